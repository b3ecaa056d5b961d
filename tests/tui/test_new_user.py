"""A new user's first minutes, in the real `smartbench` in a real terminal (tmux).

Each step is what the README tells a newcomer to do: look at the sample bench,
change a param, open their own module on typed input, promote it; the screen is
read back with capture-pane after every key.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.test_terminal import REPO_ROOT, Tmux


@pytest.fixture
def terminal() -> Iterator[Tmux]:
    binary = shutil.which("tmux")
    if binary is None:
        pytest.fail("tmux is needed to run smartbench in a real terminal")
    server = Tmux(binary)
    yield server
    server.kill()


def _type(terminal: Tmux, *keys: str) -> None:
    # A person's pace: a key that moves the focus takes effect before the next.
    for key in keys:
        terminal.keys(key)
        time.sleep(0.3)


def test_a_new_user_changes_a_param_types_input_and_promotes_a_module(
    terminal: Tmux, workspace: Path, tmp_path: Path
) -> None:
    environment = {
        "SMARTBENCH_HOME": str(workspace),
        "SMARTBENCH_STATE_DIR": str(tmp_path / "state"),
        "SMARTBENCH_NO_SAMPLES": "0",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
    program = f"{shlex.quote(sys.executable)} -m workbench"
    terminal.start(
        f"cd {shlex.quote(str(REPO_ROOT))} && env {exports} {program}; "
        "echo smartbench exited $?; sleep 60",
        100,
        30,
    )
    own = tmp_path / "mine" / "my_filter.wasm"
    own.parent.mkdir()
    shutil.copyfile(REPO_ROOT / "sample_modules" / "tpl-filter.wasm", own)

    terminal.wait_for("85 kept / 1,707")
    terminal.keys("e")
    terminal.wait_for("Params and initial value")
    _type(terminal, "C-a", "C-k", "min_mag=6", "Enter")
    terminal.wait_for("5 kept / 1,707")

    terminal.keys("o")
    terminal.wait_for("Open a module in a new bench")
    _type(terminal, "C-a", "C-k", str(own), "Tab", "C-a", "C-k", "scratch", "Enter")
    terminal.wait_for("my_filter.wasm")
    _type(terminal, "banana", "Enter", "cherry", "Enter", "papaya")
    screen = terminal.wait_for("2 kept / 3")
    assert "✓" in screen and "✗ dropped" in screen

    _type(terminal, "Escape", "P")
    terminal.wait_for("Promote to a registered module")
    terminal.keys("Enter")
    terminal.wait_for("my-filter")
    terminal.keys("C-q")
    terminal.wait_for("smartbench exited 0")

    listed = subprocess.run(
        [sys.executable, "-m", "workbench", "sm", "list"],
        cwd=REPO_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert any(line.startswith("my-filter") for line in listed.splitlines()), listed
    log = tmp_path / "state" / "smartbench.log"
    assert not log.exists() or "Traceback" not in log.read_text()
