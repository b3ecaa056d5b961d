"""The REPL runs registry commands, completes from the registry and the workspace."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from workbench.repl import (
    RegistryCompleter,
    Repl,
    WorkspaceNames,
    bottom_toolbar_text,
    help_text,
    run_repl,
)


def _completions(completer: RegistryCompleter, text: str) -> list[str]:
    document = Document(text, len(text))
    return [c.text for c in completer.get_completions(document, CompleteEvent())]


def test_lines_run_the_cli_handlers(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repl = Repl(workspace=str(workspace))

    assert repl.run_line("topic create demo -p 2")
    assert repl.last_exit_code == 0
    assert repl.run_line("topic list")

    out = capsys.readouterr().out
    assert 'topic "demo" created' in out
    assert "demo" in out.splitlines()[-1]


def test_errors_keep_the_session_and_set_the_exit_code(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repl = Repl(workspace=str(workspace))

    assert repl.run_line("topic create demo")
    assert repl.run_line("topic create demo")
    assert repl.last_exit_code == 1
    assert repl.run_line("consume --no-such-flag demo")
    assert repl.last_exit_code == 2
    assert repl.run_line('produce "unclosed')
    assert repl.last_exit_code == 2

    err = capsys.readouterr().err
    assert "Topic already exists" in err
    assert "unrecognized arguments: --no-such-flag" in err
    assert "cannot parse the line" in err


def test_delete_asks_first_and_no_keeps_the_topic(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions: list[str] = []

    def refuse(question: str) -> bool:
        questions.append(question)
        return False

    repl = Repl(workspace=str(workspace), confirm=refuse)
    repl.run_line("topic create keep-me")
    repl.run_line("topic delete keep-me")
    repl.run_line("topic list")

    assert questions == ["delete topic keep-me? [y/N] "]
    assert "keep-me" in capsys.readouterr().out.splitlines()[-1]


def test_exit_words_end_the_session() -> None:
    repl = Repl()
    assert repl.run_line("") is True
    assert repl.run_line("exit") is False
    assert repl.run_line("quit") is False


def test_completion_of_commands_flags_and_names(workspace: Path) -> None:
    Repl(workspace=str(workspace)).run_line("topic create quakes")
    names = WorkspaceNames()
    names.refresh(str(workspace))
    completer = RegistryCompleter(names)

    assert "consume" in _completions(completer, "con")
    assert _completions(completer, "sm de") == ["delete", "describe"]
    assert "--beginning" in _completions(completer, "consume quakes --beg")
    assert _completions(completer, "consume qu") == ["quakes"]
    assert names.topics == ["quakes"]


def test_toolbar_and_help_come_from_the_registry() -> None:
    assert bottom_toolbar_text("topic create x").startswith("smartbench topic create")
    assert "Tab completes" in bottom_toolbar_text("")
    assert "consume" in help_text([])
    assert "--beginning" in help_text(["consume"])
    assert "no command" in help_text(["frobnicate"])


def test_session_over_a_pipe(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(workspace=str(workspace))
    with (
        create_pipe_input() as pipe,
        create_app_session(input=pipe, output=DummyOutput()),
    ):
        pipe.send_text("topic create piped\r")
        pipe.send_text("topic delete piped\r")
        pipe.send_text("y\r")
        pipe.send_text("topic list\r")
        pipe.send_text("exit\r")
        assert run_repl(args) == 0

    out = capsys.readouterr().out
    assert 'topic "piped" created' in out
    assert 'topic "piped" deleted' in out
    assert "piped" not in out.splitlines()[-1]
