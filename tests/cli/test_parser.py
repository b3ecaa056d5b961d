"""The parser is built from the command registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import RunSmartbench
from workbench.commands import Command, arg, build_parser, find_command


def _sample_commands() -> tuple[Command, ...]:
    return (
        Command(
            path=("smartmodule", "list"),
            summary="list registered SmartModules",
            usage="smartbench smartmodule list",
            handler="workbench.nowhere:handler",
        ),
        Command(
            path=("echo",),
            summary="print a word",
            usage="smartbench echo WORD",
            handler="workbench.nowhere:handler",
            arguments=(arg("word", help="the word"),),
        ),
    )


def test_group_alias_and_workspace_after_subcommand() -> None:
    parser = build_parser(_sample_commands())
    args = parser.parse_args(["sm", "list", "--workspace", "/tmp/w"])
    assert args.command.path == ("smartmodule", "list")
    assert args.workspace == "/tmp/w"


def test_workspace_before_subcommand_is_kept() -> None:
    parser = build_parser(_sample_commands())
    args = parser.parse_args(["--workspace", "/tmp/w", "echo", "hi"])
    assert args.workspace == "/tmp/w"
    assert args.word == "hi"


def test_find_command_by_alias_path() -> None:
    commands = _sample_commands()
    found = find_command(["sm", "list", "--workspace", "w"], commands)
    assert found is not None
    assert found.path == ("smartmodule", "list")
    assert find_command(["nothing"], commands) is None


def test_help_runs_as_a_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "usage: smartbench" in result.stdout


def test_unknown_flag_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "--no-such-flag"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-flag" in result.stderr


def test_unknown_flag_of_a_subcommand_shows_that_subcommand_usage() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "topic", "list", "--no-such-flag"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("usage: smartbench topic list")
    assert "unrecognized arguments: --no-such-flag" in result.stderr


def test_consume_refuses_all_partitions_with_a_partition() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "consume", "t", "-p", "0", "-A"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "not allowed with argument -p/--partition" in result.stderr


def test_a_lone_unknown_word_is_refused_before_the_app(
    run_smartbench: RunSmartbench,
) -> None:
    unknown = run_smartbench("no-such-module", "--topic", "words")
    misspelt = run_smartbench("topc", "list")

    assert unknown.returncode == 2
    assert (
        "'no-such-module' is not a command, a file or a registered SmartModule"
        in unknown.stderr.decode()
    )
    assert misspelt.returncode == 2
    assert "invalid choice: 'topc'" in misspelt.stderr.decode()


def test_a_folder_or_a_missing_wasm_file_is_refused_before_the_app(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    folder = run_smartbench(str(tmp_path), "--topic", "words")
    missing = run_smartbench(str(tmp_path / "nope.wasm"))

    assert folder.returncode == 2
    assert f"{tmp_path} is a folder, not a .wasm file" in folder.stderr.decode()
    assert missing.returncode == 2
    assert f"no such file: {tmp_path / 'nope.wasm'}" in missing.stderr.decode()
