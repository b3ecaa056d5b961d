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

from workbench.commands import (
    TRANSFORMS_FILE_ARGUMENT,
    TRANSFORMS_LINE_ARGUMENT,
    build_parser,
    parse_command_line,
    top_level_names,
)
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


APP_CHAIN_OPTIONS = (
    *TRANSFORMS_FILE_ARGUMENT.flags,
    *TRANSFORMS_LINE_ARGUMENT.flags,
)
APP_OPTIONS_WITH_VALUES = ("--workspace", "--topic", *APP_CHAIN_OPTIONS)
APP_OPENING_OPTIONS = ("--topic", *APP_CHAIN_OPTIONS)


def _opens_app_on_path(arguments: Sequence[str]) -> bool:
    # `smartbench x.wasm [--topic T]`, `smartbench NAME`, `smartbench -t
    # chain.yaml` and `smartbench --topic T` open the app; a command's name, or
    # several words, go to the registry's parser, which keeps its errors.
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
        first = positionals[0]
        lone_word = len(positionals) == 1 and first not in top_level_names()
        return first.endswith(".wasm") or lone_word
    return any(
        a == option or a.startswith(f"{option}=")
        for a in arguments
        for option in APP_OPENING_OPTIONS
    )


def _app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartbench",
        usage="smartbench [--workspace DIR] [PATH.wasm | NAME | -t FILE | "
        "--transforms-line JSON …] [--topic T]",
        description="Open the TUI on a module file (with watch on), a registered "
        "module or a chain.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "path", nargs="?", help="a SmartModule .wasm file or a registered name"
    )
    TRANSFORMS_FILE_ARGUMENT.add_to(parser)
    TRANSFORMS_LINE_ARGUMENT.add_to(parser)
    parser.add_argument("--topic", help="input topic of the bench", default=None)
    parser.add_argument("--workspace", help="workspace directory", default=None)
    return parser


def _parse_app_arguments(arguments: Sequence[str]) -> argparse.Namespace:
    parser = _app_parser()
    args = parser.parse_args(arguments)
    chains = bool(args.transforms) + bool(args.transforms_line)
    if chains + bool(args.path) > 1:
        parser.error("give one of PATH.wasm, -t FILE or --transforms-line")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run `smartbench` with ``argv`` (default: the process arguments)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if _opens_app_on_path(arguments):
        app_args = _parse_app_arguments(arguments)
        _configure_logging()
        return execute(app_args)
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
