"""The one command registry: CLI parser, `--help`, REPL, TUI palette and help read it.

A command is plain data: its name (a path such as ``("topic", "create")``), aliases,
usage, summary, arguments and the dotted path of its handler. Handlers are imported
only when their command runs, so building the parser (and `smartbench --help`)
never imports wasmtime, Textual or prompt-toolkit.

A handler takes the parsed :class:`argparse.Namespace` and returns an exit code; it
raises :class:`workbench.errors.SmartbenchError` subclasses for anything the user
should read.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Argument:
    """One argparse argument: flags (or a positional name) and its settings."""

    flags: tuple[str, ...]
    help: str
    options: dict[str, Any] = field(default_factory=dict)

    def add_to(self, parser: argparse.ArgumentParser | Any) -> None:
        """Add this argument to a parser or an argument group."""
        parser.add_argument(*self.flags, help=self.help, **self.options)


def arg(*flags: str, help: str, **options: Any) -> Argument:
    """Shorthand for :class:`Argument` that reads like ``add_argument``."""
    return Argument(flags=flags, help=help, options=options)


@dataclass(frozen=True)
class Group:
    """A parent command such as ``topic`` or ``smartmodule`` (alias ``sm``)."""

    name: str
    summary: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """A command the user can run from the CLI, the REPL or the app's palette."""

    path: tuple[str, ...]
    summary: str
    usage: str
    handler: str
    arguments: tuple[Argument, ...] = ()
    aliases: tuple[str, ...] = ()
    description: str = ""
    in_app: bool = False
    mutually_exclusive: tuple[tuple[str, ...], ...] = ()

    @property
    def name(self) -> str:
        """The command as typed, e.g. ``topic create``."""
        return " ".join(self.path)

    def load_handler(self) -> Handler:
        """Import and return the handler function."""
        module_name, _, attribute = self.handler.partition(":")
        module = importlib.import_module(module_name)
        handler: Handler = getattr(module, attribute)
        return handler


# Flags shared by every command that runs SmartModules (test, produce, consume,
# watch). Defined once so their names, aliases and help never drift apart.
PARAMS_ARGUMENT = arg(
    "-e",
    "--params",
    help="parameter for the module's init, as KEY=value (repeatable)",
    action="append",
    default=[],
    metavar="KEY=value",
)
AGGREGATE_INITIAL_ARGUMENT = arg(
    "--aggregate-initial",
    "--a-init",
    help="starting accumulator of an aggregate, taken as the literal bytes given",
    dest="aggregate_initial",
    metavar="S",
)
TRANSFORMS_FILE_ARGUMENT = arg(
    "-t",
    "--transforms",
    "--transforms-file",
    help="YAML file with a chain of modules (transforms: - uses: …)",
    dest="transforms",
    metavar="FILE",
)
TRANSFORMS_LINE_ARGUMENT = arg(
    "--transforms-line",
    "--transform",
    help='one chain step as JSON, e.g. \'{"uses":"x.wasm"}\' (repeatable, in order)',
    dest="transforms_line",
    action="append",
    default=[],
    metavar="JSON",
)
ABI_VERSION_ARGUMENT = arg(
    "--abi-version",
    help="protocol version passed to the module (22 like smdk test, 25 like a cluster)",
    type=int,
    default=None,
    metavar="N",
)
MEMORY_LIMIT_ARGUMENT = arg(
    "--memory-limit",
    help="guest memory limit per chain, e.g. 64MiB or 1GiB (default 1GiB)",
    default=None,
    metavar="SIZE",
)
TIME_BUDGET_ARGUMENT = arg(
    "--time-budget",
    help="wall-clock budget per module call, e.g. 5s or 500ms (default 5s)",
    default=None,
    metavar="DURATION",
)
MODULE_RUN_ARGUMENTS: tuple[Argument, ...] = (
    PARAMS_ARGUMENT,
    AGGREGATE_INITIAL_ARGUMENT,
    TRANSFORMS_FILE_ARGUMENT,
    TRANSFORMS_LINE_ARGUMENT,
    ABI_VERSION_ARGUMENT,
    MEMORY_LIMIT_ARGUMENT,
    TIME_BUDGET_ARGUMENT,
)

GROUPS: tuple[Group, ...] = (
    Group("topic", "create, list and delete topics"),
    Group("partition", "list partitions"),
    Group("smartmodule", "register, list, describe and delete SmartModules", ("sm",)),
    Group("app", "open the TUI and run one of its palette commands"),
)

# --- smartbench test ------------------------------------------------------------

TEST_INPUT_FLAGS = ("--text", "--file", "--stdin")

TEST_COMMANDS: tuple[Command, ...] = (
    Command(
        path=("test",),
        summary="run a SmartModule or a chain over records you type or pipe in",
        usage=(
            "smartbench test (--wasm-file PATH | -t FILE | --transforms-line JSON) "
            "(--text S ... | --file F | --stdin) [options]"
        ),
        description=(
            "Run a module (or a chain) over test records and print one line per "
            "output record, like `smdk test`. Records carry offsets 0, 1, 2, … "
            "and one base timestamp; module logs and errors go to stderr."
        ),
        handler="workbench.run_test:run_test",
        mutually_exclusive=(TEST_INPUT_FLAGS,),
        arguments=(
            arg("--wasm-file", help="the .wasm module to run", metavar="PATH"),
            arg(
                "--text",
                help="one record with this value, newlines kept (repeatable)",
                action="append",
                metavar="S",
            ),
            arg("--file", help="one record per line of this file", metavar="F"),
            arg("--stdin", help="one record per line of stdin", action="store_true"),
            arg(
                "--raw",
                help="with --file/--stdin: the whole input as one record",
                action="store_true",
            ),
            arg("--key", help="key of every input record", metavar="K"),
            arg(
                "--key-separator",
                help="split each line at the first SEP into key and value",
                metavar="SEP",
            ),
            arg(
                "--batch-size",
                help="records per module call (default 10000)",
                type=int,
                default=10_000,
                metavar="N",
            ),
            arg(
                "--base-timestamp",
                help="base timestamp in ms since the epoch (default: now)",
                type=int,
                metavar="MS",
            ),
            *MODULE_RUN_ARGUMENTS,
            arg(
                "-r",
                "--record",
                help="an existing record for look_back (repeatable)",
                action="append",
                default=[],
                metavar="S",
            ),
            arg(
                "-l",
                "--lookback-last",
                help="give look_back the last N --record values",
                type=int,
                metavar="N",
            ),
            arg(
                "-k",
                "--key-value",
                help="print [key] value ([null] for no key)",
                action="store_true",
            ),
            arg(
                "-O",
                "--output",
                help="output format: text (default) or jsonl",
                type=str.lower,
                choices=("text", "jsonl"),
                default="text",
            ),
            arg(
                "--expect",
                help="compare the output lines with this file; diff on stderr",
                metavar="FILE",
            ),
            arg(
                "-v",
                "--verbose",
                help="print record counts on stderr",
                action="store_true",
            ),
        ),
    ),
)

# --- broker: topic, partition, produce, consume ---------------------------------

SMARTMODULE_NAME_ARGUMENT = arg(
    "--smartmodule",
    "--sm",
    help="a registered SmartModule to run",
    dest="smartmodule",
    metavar="NAME",
)
SMARTMODULE_PATH_ARGUMENT = arg(
    "--smartmodule-path",
    "--sm_path",
    help="a local .wasm SmartModule to run",
    dest="smartmodule_path",
    metavar="PATH",
)
LEGACY_KIND_ARGUMENTS = tuple(
    arg(
        f"--{kind}",
        help=f"run a {kind} module (a path if such a file exists, else a "
        "registered name); its kind is checked",
        dest=kind.replace("-", "_"),
        metavar="PATH-OR-NAME",
    )
    for kind in ("filter", "map", "filter-map", "array-map", "aggregate")
)
INITIAL_FILE_ARGUMENT = arg(
    "--initial",
    help="file holding the aggregate's starting accumulator (raw bytes)",
    metavar="FILE",
)

_MAX_RECORD_SIZE_ARGUMENT = arg(
    "--max-record-size",
    help="largest record accepted, e.g. 1048576 or 16MiB (default 8MiB)",
    default=None,
    metavar="SIZE",
)

BROKER_COMMANDS: tuple[Command, ...] = (
    Command(
        path=("topic", "create"),
        summary="create a topic",
        usage="smartbench topic create NAME [-p N]",
        handler="workbench.broker_cli:topic_create",
        arguments=(
            arg("name", help="lowercase letters, digits and hyphens, at most 63"),
            arg(
                "-p",
                "--partitions",
                help="number of partitions (default 1)",
                type=int,
                default=1,
                metavar="N",
            ),
        ),
        in_app=True,
    ),
    Command(
        path=("topic", "list"),
        summary="list topics with their partitions, records and size",
        usage="smartbench topic list",
        handler="workbench.broker_cli:topic_list",
        in_app=True,
    ),
    Command(
        path=("topic", "delete"),
        summary="delete topics and their records",
        usage="smartbench topic delete NAME...",
        handler="workbench.broker_cli:topic_delete",
        arguments=(arg("names", help="topics to delete", nargs="+", metavar="NAME"),),
        in_app=True,
    ),
    Command(
        path=("topic", "load"),
        summary="create the topics and SmartModules a topics.toml manifest lists",
        usage="smartbench topic load DIR",
        handler="workbench.broker_cli:topic_load",
        arguments=(arg("directory", help="folder holding topics.toml", metavar="DIR"),),
    ),
    Command(
        path=("partition", "list"),
        summary="list partitions: base offset, high watermark and size",
        usage="smartbench partition list [TOPIC]",
        handler="workbench.broker_cli:partition_list",
        arguments=(
            arg("topic", help="only this topic's partitions", nargs="?", default=None),
        ),
        in_app=True,
    ),
    Command(
        path=("produce",),
        summary="write records to a topic, one per input line",
        usage="smartbench produce TOPIC [-f FILE | --raw] [--key K | "
        "--key-separator SEP] [-p N] [SmartModule options]",
        description=(
            "Read records from stdin or a file, one per line (or all input as one "
            "record with --raw), and store them in TOPIC. Keyed records go to the "
            "partition their key hashes to, others round-robin. SmartModules given "
            "here run before storing, so what is stored is their output."
        ),
        handler="workbench.broker_cli:produce",
        arguments=(
            arg("topic", help="the topic to write to"),
            arg("-f", "--file", help="read records from FILE, one per line"),
            arg(
                "--raw",
                help="send all of the input as one record",
                action="store_true",
            ),
            arg("--key", help="the same key for every record", metavar="K"),
            arg(
                "--key-separator",
                help="split each line at the first SEP into key and value",
                metavar="SEP",
            ),
            arg(
                "-v",
                "--verbose",
                help="with --key-separator, echo each record as [key] value",
                action="store_true",
            ),
            arg(
                "-p",
                "--partition",
                help="send every record to partition N",
                type=int,
                default=None,
                metavar="N",
            ),
            _MAX_RECORD_SIZE_ARGUMENT,
            SMARTMODULE_NAME_ARGUMENT,
            SMARTMODULE_PATH_ARGUMENT,
            *MODULE_RUN_ARGUMENTS,
        ),
    ),
    Command(
        path=("consume",),
        summary="print a topic's records, optionally through SmartModules",
        usage="smartbench consume TOPIC [-B | -H N | -T N | --start N] [--end N] "
        "[-d] [-p P] [-k] [-O TYPE | -F TEMPLATE] [SmartModule options]",
        description=(
            "Print records of TOPIC. With no start flag, waits at the end of the "
            "log for new records (Ctrl-C stops); -d stops at the current end. "
            "Printed offsets are input offsets, so a filter leaves gaps."
        ),
        handler="workbench.consume_cli:consume",
        arguments=(
            arg("topic", help="the topic to read"),
            arg(
                "-p",
                "--partition",
                help="read partition P (repeatable; default: all partitions)",
                type=int,
                action="append",
                default=[],
                metavar="P",
            ),
            arg(
                "-A",
                "--all-partitions",
                help="read every partition (the default)",
                action="store_true",
            ),
            arg(
                "-d",
                "--disable-continuous",
                help="stop at the current end of the log instead of waiting",
                action="store_true",
            ),
            arg(
                "--disable-progressbar",
                help="accepted for compatibility; no spinner is shown",
                action="store_true",
            ),
            arg(
                "-k",
                "--key-value",
                help="print [key] value ([null] for no key)",
                action="store_true",
            ),
            arg(
                "-F",
                "--format",
                help="template with {{key}} {{value}} {{offset}} {{partition}} "
                "{{time}}",
                metavar="TEMPLATE",
            ),
            arg(
                "-O",
                "--output",
                help="dynamic (default), text, binary, json, raw, table or jsonl",
                type=str.lower,
                choices=("dynamic", "text", "binary", "json", "raw", "table", "jsonl"),
                metavar="TYPE",
            ),
            arg(
                "--suppress-unknown",
                help="skip non-JSON values with -O json; print binary as text with "
                "-O text",
                action="store_true",
            ),
            arg(
                "-B",
                "--beginning",
                help="start at the first stored record",
                action="store_true",
            ),
            arg(
                "-H",
                "--head",
                help="start N records after the first stored record",
                type=int,
                metavar="N",
            ),
            arg(
                "-T",
                "--tail",
                help="start N records before the end (the last N records)",
                type=int,
                metavar="N",
            ),
            arg("--start", help="start at absolute offset N", type=int, metavar="N"),
            arg(
                "--end",
                help="stop after input offset N (inclusive)",
                type=int,
                metavar="N",
            ),
            arg(
                "-b",
                "--maxbytes",
                help="accepted for compatibility; batches are read whole",
                type=int,
                metavar="N",
            ),
            arg(
                "--isolation",
                help="accepted for compatibility: read_committed or read_uncommitted",
                choices=(
                    "read_committed",
                    "read_uncommitted",
                    "ReadCommitted",
                    "ReadUncommitted",
                ),
            ),
            SMARTMODULE_NAME_ARGUMENT,
            SMARTMODULE_PATH_ARGUMENT,
            *LEGACY_KIND_ARGUMENTS,
            INITIAL_FILE_ARGUMENT,
            *MODULE_RUN_ARGUMENTS,
        ),
        mutually_exclusive=(("-B", "-H", "-T", "--start"), ("-p", "-A")),
    ),
)

# --- SmartModule registry ---------------------------------------------------------

REGISTRY_COMMANDS: tuple[Command, ...] = (
    Command(
        path=("smartmodule", "create"),
        summary="validate a .wasm file and register a copy of it under NAME",
        usage="smartbench smartmodule create NAME --wasm-file PATH [--replace]",
        handler="workbench.registry_cli:smartmodule_create",
        arguments=(
            arg("name", help="lowercase letters, digits and hyphens, at most 63"),
            arg(
                "--wasm-file",
                help="the SmartModule to register",
                required=True,
                metavar="PATH",
            ),
            arg(
                "--replace",
                help="replace a module already registered under NAME",
                action="store_true",
            ),
        ),
        in_app=True,
    ),
    Command(
        path=("smartmodule", "list"),
        summary="list registered SmartModules",
        usage="smartbench smartmodule list",
        handler="workbench.registry_cli:smartmodule_list",
        in_app=True,
    ),
    Command(
        path=("smartmodule", "delete"),
        summary="unregister SmartModules",
        usage="smartbench smartmodule delete [-c] NAME...",
        handler="workbench.registry_cli:smartmodule_delete",
        arguments=(
            arg("names", help="modules to delete", nargs="+", metavar="NAME"),
            arg(
                "-c",
                "--continue-on-error",
                help="go on with the other names when one fails",
                action="store_true",
            ),
        ),
        in_app=True,
    ),
    Command(
        path=("smartmodule", "describe"),
        summary="show a registered SmartModule: kind, exports, params, source",
        usage="smartbench smartmodule describe NAME",
        handler="workbench.registry_cli:smartmodule_describe",
        arguments=(arg("name", help="the registered name"),),
        in_app=True,
    ),
)

# --- watch mode -------------------------------------------------------------------

WATCH_COMMANDS: tuple[Command, ...] = (
    Command(
        path=("watch",),
        summary="re-run a module over a topic window on every rebuild, with a diff",
        usage=(
            "smartbench watch PATH --topic T [-B | -T N | --start N [--end N]] "
            "[-p P] [--build CMD [--src DIR]] [-e k=v]... [--aggregate-initial S] "
            "[-k] [-O TYPE | -F TEMPLATE]"
        ),
        description=(
            "Print the module's output for a fixed window of a topic (the last "
            "1,000 records unless a start flag is given), then follow the .wasm "
            "file: on every change it is reloaded, run over the same window and "
            "the difference printed. With --build, a change under the source "
            "folder runs the build first. Runs until Ctrl-C or SIGTERM."
        ),
        handler="workbench.watch_cli:watch",
        arguments=(
            arg("path", help="the .wasm file to follow", metavar="PATH"),
            arg("--topic", help="topic the window is read from", required=True),
            arg(
                "-B",
                "--beginning",
                help="the window is the whole topic",
                action="store_true",
            ),
            arg(
                "-T",
                "--tail",
                help="the window is the last N records (default 1000)",
                type=int,
                metavar="N",
            ),
            arg("--start", help="the window starts at this offset", type=int),
            arg("--end", help="the window ends at this offset, inclusive", type=int),
            arg(
                "-p",
                "--partition",
                help="partition to read (repeatable; default all)",
                type=int,
                action="append",
                dest="partitions",
                metavar="P",
            ),
            arg(
                "--build",
                help="command run through sh -c when the sources change",
                metavar="CMD",
            ),
            arg(
                "--src",
                help="source folder watched for --build (default: nearest parent "
                "of PATH with Cargo.toml or build.sh, else PATH's folder)",
                metavar="DIR",
            ),
            arg(
                "-k",
                "--key-value",
                help="print keys as [key] value",
                action="store_true",
                dest="key_value",
            ),
            arg(
                "-O",
                "--output",
                help="as consume: dynamic (default), text, binary, json, raw, "
                "table or jsonl",
                type=str.lower,
                choices=("dynamic", "text", "binary", "json", "raw", "table", "jsonl"),
                default=None,
                metavar="TYPE",
            ),
            arg(
                "-F",
                "--format",
                help="template with {{key}} {{value}} {{offset}} {{partition}} "
                "{{time}}",
                default=None,
                metavar="TEMPLATE",
            ),
            arg(
                "--suppress-unknown",
                help="skip non-JSON values with -O json; print binary as text with "
                "-O text",
                action="store_true",
            ),
            PARAMS_ARGUMENT,
            AGGREGATE_INITIAL_ARGUMENT,
            ABI_VERSION_ARGUMENT,
            MEMORY_LIMIT_ARGUMENT,
            TIME_BUDGET_ARGUMENT,
        ),
        mutually_exclusive=(("-B", "-T", "--start"), ("-O", "-F")),
    ),
)

# --- the app and the REPL ---------------------------------------------------------

# Each of these is a palette entry in the TUI (a form prefilled from the current
# bench); from the shell, `smartbench app NAME …` opens the TUI and runs it first.
APP_HANDLER = "workbench.app:run_app"
APP_COMMANDS: tuple[Command, ...] = (
    Command(
        path=("app", "open"),
        summary="open a module in a new bench",
        usage="smartbench app open MODULE [--topic T]",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg("module", help="a .wasm path or a registered SmartModule name"),
            arg(
                "--topic",
                help="input topic, or 'scratch' to type records by hand",
                default="",
            ),
        ),
    ),
    Command(
        path=("app", "open-transforms"),
        summary="open a transforms file (a chain of modules) in a new bench",
        usage="smartbench app open-transforms FILE [--topic T]",
        description="Open the chain a transforms file lists (transforms: - uses: "
        "NAME or PATH.wasm, with: params, initial: an aggregate's start) in a new "
        "bench; `smartbench -t FILE` does the same from the shell.",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg("file", help="YAML file with transforms: - uses: …"),
            arg(
                "--topic",
                help="input topic, or 'scratch' to type records by hand",
                default="",
            ),
        ),
    ),
    Command(
        path=("app", "add-step"),
        summary="append a module to the bench's chain",
        usage="smartbench app add-step MODULE [-e KEY=value]… [--aggregate-initial S]",
        description="Append a module (a .wasm path or a registered name) to the "
        "bench's chain; the bench changes only once the new module loads.",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg("module", help="a .wasm path or a registered SmartModule name"),
            PARAMS_ARGUMENT,
            AGGREGATE_INITIAL_ARGUMENT,
        ),
    ),
    Command(
        path=("app", "remove-step"),
        summary="remove a step from the bench's chain",
        usage="smartbench app remove-step [STEP]",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg(
                "step",
                help="the step's number, 1 for the first (default: the last)",
                nargs="?",
                default="",
            ),
        ),
    ),
    Command(
        path=("app", "step"),
        summary="show the output after one step of the bench's chain",
        usage="smartbench app step [STEP]",
        description="Show the output after one step of the bench's chain ([ and ] "
        "step back and forth); the header highlights the step shown.",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg(
                "step",
                help="the step's number, 1 for the first (default: the last)",
                nargs="?",
                default="",
            ),
        ),
    ),
    Command(
        path=("app", "topic"),
        summary="switch the bench's input topic",
        usage="smartbench app topic TOPIC [--key-separator SEP]",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg("topic", help="a topic name, or 'scratch'"),
            arg(
                "--key-separator",
                help="scratch lines are KEY<SEP>value (empty: no keys)",
                default="",
            ),
        ),
    ),
    Command(
        path=("app", "run"),
        summary="run the bench's module over the whole topic",
        usage="smartbench app run",
        description="Run the module over every record of the topic, in batches, "
        "into a temporary topic that the Output pane reads; Esc cancels.",
        handler=APP_HANDLER,
        in_app=True,
    ),
    Command(
        path=("app", "params"),
        summary="set the bench's params and aggregate initial value",
        usage="smartbench app params [-e KEY=value]… [--aggregate-initial S]",
        description="Set the params and aggregate initial value of the bench's "
        "module (on a chain, of the step shown) and run it again.",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(PARAMS_ARGUMENT, AGGREGATE_INITIAL_ARGUMENT),
    ),
    Command(
        path=("app", "promote"),
        summary="register the bench's module file under a name",
        usage="smartbench app promote NAME",
        description="Copy the open module's current bytes into the registry; the "
        "bench then runs the registered copy by name.",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(arg("name", help="lowercase letters, digits and '-', at most 63"),),
    ),
    Command(
        path=("app", "watch"),
        summary="toggle watch: reload the module when its file changes",
        usage="smartbench app watch [--build CMD] [--src DIR] [--watch {on,off}]",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg("--build", help="command run through sh -c when sources change"),
            arg("--src", help="directory whose changes trigger the build"),
            arg(
                "--watch",
                help="on: follow the module's file; off: stop following it",
                choices=["on", "off"],
            ),
        ),
    ),
    Command(
        path=("app", "export"),
        summary="export the whole-topic run's output",
        usage="smartbench app export (--output-topic NAME | --file PATH)",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg(
                "--output-topic",
                help="new topic to copy the output into (leave empty for a file)",
            ),
            arg("--file", help="JSON Lines file to write (leave empty for a topic)"),
        ),
    ),
    Command(
        path=("app", "produce"),
        summary="produce a record into the bench's topic",
        usage="smartbench app produce VALUE [--key K]",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg("value", help="the record's value"),
            arg("--key", help="the record's key (optional)"),
        ),
    ),
    Command(
        path=("app", "theme"),
        summary="switch between the dark and light theme",
        usage="smartbench app theme {dark,light}",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(arg("theme", help="dark or light", choices=["dark", "light"]),),
    ),
    Command(
        path=("app", "abi"),
        summary="set the ABI version the bench's modules see",
        usage="smartbench app abi {22,25}",
        handler=APP_HANDLER,
        in_app=True,
        arguments=(
            arg(
                "abi_version",
                help="22 like smdk test and Fluvio's engine, 25 like a current cluster",
                choices=["22", "25"],
            ),
        ),
    ),
)

# -----------------------------------------------------------------------------------


def all_commands() -> tuple[Command, ...]:
    """Every registered command, in the order help lists them."""
    return (
        TEST_COMMANDS
        + BROKER_COMMANDS
        + REGISTRY_COMMANDS
        + WATCH_COMMANDS
        + APP_COMMANDS
        + REPL_COMMANDS
    )


def find_command(
    words: Sequence[str], commands: Iterable[Command] | None = None
) -> Command | None:
    """The command whose name or alias path starts ``words``, longest first."""
    aliases = {alias: group.name for group in GROUPS for alias in group.aliases}
    canonical = [aliases.get(words[0], words[0]), *words[1:]] if words else []
    candidates = all_commands() if commands is None else tuple(commands)
    for command in sorted(candidates, key=lambda c: -len(c.path)):
        names = {command.path, *((*command.path[:-1], a) for a in command.aliases)}
        if tuple(canonical[: len(command.path)]) in names:
            return command
    return None


def top_level_names() -> set[str]:
    """Every word that starts a command: groups, lone commands and their aliases."""
    names = {name for group in GROUPS for name in (group.name, *group.aliases)}
    for command in all_commands():
        if len(command.path) == 1:
            names.update((command.path[0], *command.aliases))
    return names


def app_commands() -> tuple[Command, ...]:
    """Commands that make sense inside the TUI's palette."""
    return tuple(c for c in all_commands() if c.in_app)


def _workspace_argument() -> Argument:
    # SUPPRESS keeps a subcommand's unset flag from overwriting one given before it.
    return arg(
        "--workspace",
        help="workspace directory (default: $SMARTBENCH_HOME or the user data dir)",
        default=argparse.SUPPRESS,
        metavar="DIR",
    )


def _add_command(
    subparsers: Any, command: Command, leaf_name: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        leaf_name,
        aliases=list(command.aliases),
        help=command.summary,
        description=command.description or command.summary,
        usage=command.usage,
        allow_abbrev=False,
    )
    exclusive = {flag for group in command.mutually_exclusive for flag in group}
    groups = {
        members: parser.add_mutually_exclusive_group()
        for members in command.mutually_exclusive
    }
    for argument in command.arguments:
        target: Any = parser
        if argument.flags[0] in exclusive:
            target = next(g for m, g in groups.items() if argument.flags[0] in m)
        argument.add_to(target)
    _workspace_argument().add_to(parser)
    parser.set_defaults(command=command, command_parser=parser)
    return parser


def build_parser(commands: Iterable[Command] | None = None) -> argparse.ArgumentParser:
    """The `smartbench` argument parser, built from the registry."""
    parser = argparse.ArgumentParser(
        prog="smartbench",
        description="A workbench for Fluvio SmartModules: run, test and watch "
        "modules on an embedded broker. With no command, opens the TUI: "
        "smartbench [PATH.wasm | -t FILE | --transforms-line JSON] [--topic T].",
        allow_abbrev=False,
    )
    _workspace_argument().add_to(parser)
    top = parser.add_subparsers(title="commands", metavar="COMMAND")

    group_parsers: dict[str, Any] = {}
    for group in GROUPS:
        group_parser = top.add_parser(
            group.name,
            aliases=list(group.aliases),
            help=group.summary,
            description=group.summary,
            allow_abbrev=False,
        )
        _workspace_argument().add_to(group_parser)
        group_parser.set_defaults(group_parser=group_parser)
        group_parsers[group.name] = group_parser.add_subparsers(
            title="commands", metavar="COMMAND"
        )

    for command in commands if commands is not None else all_commands():
        if len(command.path) == 1:
            _add_command(top, command, command.path[0])
        else:
            _add_command(group_parsers[command.path[0]], command, command.path[1])
    return parser


# --- the REPL ---------------------------------------------------------------------

REPL_COMMANDS: tuple[Command, ...] = (
    Command(
        path=("repl",),
        summary="an interactive prompt for every command, with completion",
        usage="smartbench repl [--workspace DIR]",
        description=(
            "Type any smartbench command without the program name. Tab completes "
            "commands, flags, topics and modules; the bottom line shows the usage "
            "of the command being typed; help lists commands; exit or Ctrl+D leaves."
        ),
        handler="workbench.repl:run_repl",
    ),
)


def parse_command_line(
    parser: argparse.ArgumentParser, words: Sequence[str]
) -> argparse.Namespace:
    """Parse ``words``; a stray flag is reported with its own command's usage.

    Plain ``parse_args`` reports unknown flags with the top-level usage, which
    tells a user nothing about the command they were typing.
    """
    args, extras = parser.parse_known_args(list(words))
    if extras:
        reporter: argparse.ArgumentParser = getattr(args, "command_parser", parser)
        reporter.error(f"unrecognized arguments: {' '.join(extras)}")
    return args
