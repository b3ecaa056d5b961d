"""The real `smartbench` in a real terminal (tmux), read back with capture-pane."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 30.0


class Tmux:
    """A private tmux server holding one session."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.socket = f"smartbench-test-{uuid.uuid4().hex[:8]}"
        self.session = "bench"

    def run(self, *args: str) -> str:
        command = [self.binary, "-L", self.socket, *args]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return done.stdout

    def start(self, command: str, width: int, height: int) -> None:
        size = ["-x", str(width), "-y", str(height)]
        self.run("new-session", "-d", "-s", self.session, *size, command)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; screen:\n{screen}")
            time.sleep(0.2)

    def kill(self) -> None:
        subprocess.run(
            [self.binary, "-L", self.socket, "kill-server"], capture_output=True
        )


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    binary = shutil.which("tmux")
    if binary is None:
        pytest.fail("tmux is needed to run smartbench in a real terminal")
    server = Tmux(binary)
    yield server
    server.kill()


def test_smartbench_opens_the_samples_and_quits_on_ctrl_q(
    tmux: Tmux, workspace: Path, tmp_path: Path
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
    tmux.start(
        f"cd {shlex.quote(str(REPO_ROOT))} && env {exports} {program}; "
        "echo smartbench exited $?; sleep 60",
        80,
        24,
    )

    screen = tmux.wait_for("85 kept / 1,707")
    assert "Input · earthquakes · 1,707 records" in screen
    assert "✓" in screen and "✗ dropped" in screen
    assert "^q Quit" in screen

    tmux.keys("C-q")
    tmux.wait_for("smartbench exited 0")
    log = tmp_path / "state" / "smartbench.log"
    assert not log.exists() or "Traceback" not in log.read_text()


def test_ctrl_q_quits_while_a_module_spins(
    tmux: Tmux, workspace: Path, tmp_path: Path
) -> None:
    from tests.tui.helpers import make_topic, wasm_file
    from workbench.engine.broker import Broker

    broker = Broker.open(workspace)
    make_topic(broker, "words", ["alpha", "beta"])
    broker.close()
    module = wasm_file(tmp_path, "infinite_loop")
    # A budget far longer than the test, read from the workspace config, so the
    # module is still spinning when Ctrl+Q arrives however slow the machine is.
    (workspace / "config.toml").write_text('[engine]\ntime_budget = "10m"\n')
    environment = {
        "SMARTBENCH_HOME": str(workspace),
        "SMARTBENCH_STATE_DIR": str(tmp_path / "state"),
        "SMARTBENCH_NO_SAMPLES": "1",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
    program = f"{shlex.quote(sys.executable)} -m workbench {shlex.quote(str(module))}"
    tmux.start(
        f"cd {shlex.quote(str(REPO_ROOT))} && env {exports} {program} --topic words; "
        "echo smartbench exited $?; sleep 60",
        100,
        30,
    )

    # The module spins for its whole 5 s budget; quit while it does.
    tmux.wait_for("Input · words · 2 records")
    tmux.keys("C-q")
    # wait_for gives up long before the 10-minute budget could end the call.
    screen = tmux.wait_for("smartbench exited 0")
    assert "Traceback" not in screen
    assert "time budget" not in screen


def _start_smartbench(
    tmux: Tmux, workspace: Path, tmp_path: Path, arguments: list[str]
) -> None:
    # A fresh workspace with the samples, as a new user's first `smartbench` sees.
    environment = {
        "SMARTBENCH_HOME": str(workspace),
        "SMARTBENCH_STATE_DIR": str(tmp_path / "state"),
        "SMARTBENCH_NO_SAMPLES": "0",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
    words = " ".join(shlex.quote(word) for word in arguments)
    program = f"{shlex.quote(sys.executable)} -m workbench {words}"
    tmux.start(
        f"cd {shlex.quote(str(REPO_ROOT))} && env {exports} {program}; "
        "echo smartbench exited $?; sleep 60",
        120,
        30,
    )


def test_a_module_path_on_a_first_run_opens_with_watch_on(
    tmux: Tmux, workspace: Path, tmp_path: Path
) -> None:
    arguments = ["sample_modules/quake-filter.wasm", "--topic", "earthquakes"]
    _start_smartbench(tmux, workspace, tmp_path, arguments)

    tmux.wait_for("85 kept / 1,707")
    screen = tmux.wait_for("watching quake-filter.wasm")
    tmux.keys("C-q")
    ended = tmux.wait_for("smartbench exited")

    assert "Traceback" not in screen
    assert "smartbench exited 0" in ended


def test_a_registered_name_on_a_first_run_opens_its_bench(
    tmux: Tmux, workspace: Path, tmp_path: Path
) -> None:
    arguments = ["quake-split", "--topic", "earthquakes-raw"]
    _start_smartbench(tmux, workspace, tmp_path, arguments)

    screen = tmux.wait_for("→ 1,707 children")
    tmux.keys("C-q")
    ended = tmux.wait_for("smartbench exited")

    assert "quake-split" in screen
    assert "smartbench exited 0" in ended
