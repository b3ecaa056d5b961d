"""The error hierarchy every layer raises and every front end shows as-is.

Each error carries the exit code the CLI returns for it, so a handler never has to
decide how bad a failure is: 1 for a module that failed at run time or records that
were refused, 2 for a usage mistake or a module that cannot be loaded.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class SmartbenchError(Exception):
    """A failure with a message written for the user."""

    exit_code = EXIT_RUNTIME
    title = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(SmartbenchError):
    """The command line or a form was filled in wrongly."""

    exit_code = EXIT_USAGE
    title = "Usage error"


class ModuleLoadError(SmartbenchError):
    """A `.wasm` file is missing, is not wasm, or is not a SmartModule."""

    exit_code = EXIT_USAGE
    title = "Cannot load SmartModule"


class ModuleRuntimeError(SmartbenchError):
    """A SmartModule failed while running: trap, budget, bad output, `init`."""

    exit_code = EXIT_RUNTIME
    title = "SmartModule failed"


class RecordsRefusedError(SmartbenchError):
    """Input records were refused (bad line, too large, broken encoding)."""

    exit_code = EXIT_RUNTIME
    title = "Records refused"


class NotFoundError(SmartbenchError):
    """A topic or a registered SmartModule does not exist."""

    exit_code = EXIT_RUNTIME
    title = "Not found"
