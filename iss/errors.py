"""Errors a simulation can end with. Each carries one clear message for the user."""


class SimError(Exception):
    """A user-facing simulation error: printed as one message, exit status non-zero."""

    exit_status = 2


class ProgramError(SimError):
    """The simulated program did something illegal (no trap handler installed)."""

    exit_status = 3


class DeadlockError(SimError):
    exit_status = 4


class LimitError(SimError):
    """--max-cycles or --timeout reached."""

    exit_status = 5


class BadInputError(SimError):
    """A file or option given by the user is not usable."""

    exit_status = 2
