"""A new user's first minutes, in the real `smartbench` in a real terminal (tmux).

Each step is what the README tells a newcomer to do: look at the sample bench,
change a param, open their own module on typed input, promote it; the screen is
read back with capture-pane after every key.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.tui.terminal import REPO_ROOT, Tmux, start_smartbench


def _type(tmux: Tmux, *keys: str) -> None:
    # A person's pace: a key that moves the focus takes effect before the next.
    for key in keys:
        tmux.keys(key)
        time.sleep(0.3)


def test_a_new_user_changes_a_param_types_input_and_promotes_a_module(
    tmux: Tmux, workspace: Path, tmp_path: Path
) -> None:
    start_smartbench(tmux, workspace, tmp_path / "state", [], size=(100, 30))
    own = tmp_path / "mine" / "my_filter.wasm"
    own.parent.mkdir()
    shutil.copyfile(REPO_ROOT / "sample_modules" / "tpl-filter.wasm", own)

    tmux.wait_for("85 kept / 1,707")
    tmux.keys("e")
    tmux.wait_for("Params and initial value")
    _type(tmux, "C-a", "C-k", "min_mag=6", "Enter")
    tmux.wait_for("5 kept / 1,707")

    tmux.keys("o")
    tmux.wait_for("Open a module in a new bench")
    _type(tmux, "C-a", "C-k", str(own), "Tab", "C-a", "C-k", "scratch", "Enter")
    tmux.wait_for("my_filter.wasm")
    _type(tmux, "banana", "Enter", "cherry", "Enter", "papaya")
    screen = tmux.wait_for("2 kept / 3")
    assert "✓" in screen and "✗ dropped" in screen

    _type(tmux, "Escape", "P")
    tmux.wait_for("Promote to a registered module")
    tmux.keys("Enter")
    tmux.wait_for("my-filter")
    tmux.keys("C-q")
    tmux.wait_for("smartbench exited 0")

    listed = subprocess.run(
        [sys.executable, "-m", "workbench", "sm", "list"],
        cwd=REPO_ROOT,
        env={**os.environ, "SMARTBENCH_HOME": str(workspace)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert any(line.startswith("my-filter") for line in listed.splitlines()), listed
    log = tmp_path / "state" / "smartbench.log"
    assert not log.exists() or "Traceback" not in log.read_text()
