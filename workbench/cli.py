"""Entry point of `smartbench`: parses with the registry, runs a handler, maps errors.

Logging is configured here and only here, to a file in the state directory, so no
library code ever writes diagnostics over a terminal that the TUI or a pipe owns.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from workbench.commands import build_parser, parse_command_line
from workbench.errors import EXIT_INTERRUPTED, EXIT_USAGE, SmartbenchError

APP_HANDLER = "workbench.app:run_app"


def state_dir() -> str:
    """Where logs and history live: ``$SMARTBENCH_STATE_DIR`` or the user state dir."""
    from platformdirs import user_state_dir

    return os.environ.get("SMARTBENCH_STATE_DIR") or user_state_dir("smartbench")


def _configure_logging() -> None:
    folder = state_dir()
    try:
        os.makedirs(folder, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(
            os.path.join(folder, "smartbench.log"), delay=True, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _quiet_broken_pipe() -> int:
    # The reader (e.g. `head`) went away: point stdout at /dev/null so the
    # interpreter's final flush does not print a traceback, and end quietly.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


def _run_app(args: argparse.Namespace) -> int:
    import importlib

    module_name, _, attribute = APP_HANDLER.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        build_parser().print_help()
        return 0
    exit_code: int = getattr(module, attribute)(args)
    return exit_code


APP_OPTIONS_WITH_VALUES = ("--workspace", "--topic")


def _opens_app_on_path(arguments: Sequence[str]) -> bool:
    # `smartbench x.wasm [--topic T]` and `smartbench --topic T` open the app; any
    # other first word is a command, so the registry's parser keeps its errors.
    positionals: list[str] = []
    skip = False
    for argument in arguments:
        if skip:
            skip = False
        elif argument in APP_OPTIONS_WITH_VALUES:
            skip = True
        elif not argument.startswith("-"):
            positionals.append(argument)
    if positionals:
        return positionals[0].endswith(".wasm")
    return any(a == "--topic" or a.startswith("--topic=") for a in arguments)


def _app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartbench",
        usage="smartbench [--workspace DIR] [PATH.wasm] [--topic T]",
        description="Open the TUI on a module file, with watch on.",
        allow_abbrev=False,
    )
    parser.add_argument("path", nargs="?", help="a SmartModule .wasm file")
    parser.add_argument("--topic", help="input topic of the bench", default=None)
    parser.add_argument("--workspace", help="workspace directory", default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `smartbench` with ``argv`` (default: the process arguments)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if _opens_app_on_path(arguments):
        app_args = _app_parser().parse_args(arguments)
        _configure_logging()
        return _run_app(app_args)
    parser = build_parser()
    args = parse_command_line(parser, arguments)
    _configure_logging()
    return execute(args)


def _dispatch(args: argparse.Namespace) -> int:
    command = getattr(args, "command", None)
    if command is not None:
        exit_code: int = command.load_handler()(args)
        return exit_code
    group_parser = getattr(args, "group_parser", None)
    if group_parser is not None:
        group_parser.print_help(sys.stderr)
        return EXIT_USAGE
    return _run_app(args)


def execute(args: argparse.Namespace) -> int:
    """Run a parsed command line (no command opens the app); errors → exit codes."""
    try:
        return _dispatch(args)
    except SmartbenchError as error:
        print(error.message, file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except argparse.ArgumentError as error:
        print(f"smartbench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
