"""`smartbench repl`: an interactive prompt over the same command registry as the CLI.

Every line is parsed by the parser the CLI uses and run by the same handlers, so a
command behaves identically typed here or in a shell. The prompt adds what a shell
cannot: completion of commands, flags, topics and registered modules; the usage of
the command being typed in the bottom toolbar; a history file; and a confirmation
before anything is deleted.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from workbench.cli import execute, state_dir
from workbench.commands import (
    GROUPS,
    Command,
    all_commands,
    build_parser,
    find_command,
    parse_command_line,
)
from workbench.errors import EXIT_USAGE

log = logging.getLogger(__name__)

EXIT_WORDS = frozenset({"exit", "quit", r"\q"})
DESTRUCTIVE = frozenset({("topic", "delete"), ("smartmodule", "delete")})
# Positionals that name a topic or a module, so completion can offer real names.
TOPIC_COMMANDS = frozenset(
    {("consume",), ("produce",), ("topic", "delete"), ("partition", "list")}
)
MODULE_COMMANDS = frozenset({("smartmodule", "delete"), ("smartmodule", "describe")})
MODULE_FLAGS = frozenset({"--smartmodule", "--sm", "--filter", "--map", "--aggregate"})


@dataclass
class WorkspaceNames:
    """Topic and module names offered by completion, refreshed after each command."""

    topics: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)

    def refresh(self, workspace: str | None) -> None:
        """Re-read the names; a workspace that cannot be opened offers none."""
        from workbench.workspace import Workspace, workspace_dir

        args = argparse.Namespace(workspace=workspace)
        try:
            opened = Workspace.open(workspace_dir(args), samples=False)
        except Exception as error:  # completion must never break the prompt
            log.warning("names for completion not loaded: %s", error)
            return
        try:
            self.topics = [topic.name for topic in opened.broker.list_topics()]
            self.modules = [module.name for module in opened.registry.list()]
        finally:
            opened.close()


def _command_words() -> list[str]:
    words = {command.path[0] for command in all_commands()}
    for group in GROUPS:
        words.update((group.name, *group.aliases))
    return sorted(words | {"help", "exit"})


def _leaf_words(group_word: str) -> list[str]:
    group = next((g for g in GROUPS if group_word in (g.name, *g.aliases)), None)
    if group is None:
        return []
    leaves = (c for c in all_commands() if c.path[0] == group.name)
    return sorted(word for c in leaves for word in (c.path[-1], *c.aliases))


def _flags(command: Command) -> list[str]:
    flags = [flag for a in command.arguments for flag in a.flags if flag[0] == "-"]
    return sorted({*flags, "--workspace", "--help"})


class RegistryCompleter(Completer):
    """Completes command words, then the typed command's flags and names."""

    def __init__(self, names: WorkspaceNames) -> None:
        self.names = names

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        words = text.split()
        current = "" if not words or text.endswith(" ") else words[-1]
        done = words if current == "" else words[:-1]

        for candidate in self._candidates(done, current):
            if candidate.startswith(current):
                yield Completion(candidate, start_position=-len(current))

    def _candidates(self, done: list[str], current: str) -> Iterable[str]:
        if not done:
            return _command_words()
        command = find_command(done)
        if command is None:
            return _leaf_words(done[0]) if len(done) == 1 else []
        if done[-1] in MODULE_FLAGS:
            return self.names.modules
        if current.startswith("-"):
            return _flags(command)
        if command.path in TOPIC_COMMANDS:
            return self.names.topics
        if command.path in MODULE_COMMANDS:
            return self.names.modules
        return []


def bottom_toolbar_text(line: str) -> str:
    """The usage and summary of the command being typed, or a hint."""
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    command = find_command(words) if words else None
    if command is None:
        return "help lists commands · Tab completes · Ctrl+R searches history"
    return f"{command.usage} — {command.summary}"


def help_text(words: list[str]) -> str:
    """`help` lists every command; `help CMD` shows its usage and flags."""
    if words:
        command = find_command(words)
        if command is None:
            return f"no command {' '.join(words)!r}; type help for the list"
        lines = [command.usage, "", command.description or command.summary, ""]
        lines += [f"  {', '.join(a.flags):<34} {a.help}" for a in command.arguments]
        return "\n".join(lines)
    width = max(len(c.name) for c in all_commands())
    rows = [f"  {c.name:<{width}}  {c.summary}" for c in all_commands()]
    return "\n".join(["commands:", *rows, "", "help CMD shows a command's flags"])


@dataclass
class Repl:
    """One REPL session: parses lines with the CLI parser and runs them."""

    workspace: str | None = None
    confirm: Callable[[str], bool] = field(default=lambda question: False)
    parser: argparse.ArgumentParser = field(default_factory=build_parser)
    last_exit_code: int = 0

    def run_line(self, line: str) -> bool:
        """Run one line; return False when the session should end."""
        try:
            words = shlex.split(line)
        except ValueError as error:
            print(f"cannot parse the line: {error}", file=sys.stderr)
            self.last_exit_code = EXIT_USAGE
            return True
        if not words:
            return True
        if words[0] in EXIT_WORDS:
            return False
        if words[0] == "help":
            print(help_text(words[1:]))
            return True

        self.last_exit_code = self._run_command(words)
        return True

    def _run_command(self, words: list[str]) -> int:
        try:
            args = parse_command_line(self.parser, words)
        except SystemExit as stop:
            # argparse already printed its usage error (or the help asked for).
            return int(stop.code or 0)
        if self.workspace is not None and not getattr(args, "workspace", None):
            args.workspace = self.workspace
        command: Command | None = getattr(args, "command", None)
        if command is None:
            print(help_text(words), file=sys.stderr)
            return EXIT_USAGE
        if command.path in DESTRUCTIVE and not self._confirmed(command, words):
            print("cancelled", file=sys.stderr)
            return 0
        return execute(args)

    def _confirmed(self, command: Command, words: list[str]) -> bool:
        targets = [w for w in words[len(command.path) :] if not w.startswith("-")]
        what = "topic" if command.path[0] == "topic" else "SmartModule"
        return self.confirm(f"delete {what} {', '.join(targets)}? [y/N] ")


def _history(path: Path) -> History:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return FileHistory(str(path))
    except OSError:
        return InMemoryHistory()


def run_repl(args: argparse.Namespace) -> int:
    """Handler of `smartbench repl`."""
    names = WorkspaceNames()
    workspace = getattr(args, "workspace", None)
    names.refresh(workspace)
    session: PromptSession[str] = PromptSession(
        history=_history(Path(state_dir()) / "repl-history"),
        auto_suggest=AutoSuggestFromHistory(),
        completer=RegistryCompleter(names),
        complete_while_typing=False,
        bottom_toolbar=lambda: bottom_toolbar_text(session.default_buffer.text),
    )

    def confirm(question: str) -> bool:
        answer: str = session.prompt(question, completer=None, bottom_toolbar=None)
        return answer.strip().lower() in ("y", "yes")

    repl = Repl(workspace=workspace, confirm=confirm)
    print("smartbench repl — help lists commands, exit or Ctrl+D leaves")
    while True:
        try:
            line = session.prompt("smartbench> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        if not repl.run_line(line):
            break
        names.refresh(workspace)
    return 0


__all__ = ["RegistryCompleter", "Repl", "WorkspaceNames", "run_repl"]
