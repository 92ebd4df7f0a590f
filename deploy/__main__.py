"""python -m deploy run MODEL ... (see deploy.cli)."""

import sys

from deploy.cli import main

sys.exit(main())
