"""Cross compiler discovery and firmware builds (PLATFORM.md section 7)."""

from .build import BuildError, build_program, find_compiler, firmware_dir

__all__ = ["BuildError", "build_program", "find_compiler", "firmware_dir"]
