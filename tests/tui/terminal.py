"""Driving the real `smartbench` in a real terminal: a private tmux server."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

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


def start_smartbench(
    tmux: Tmux,
    workspace: Path,
    state: Path,
    arguments: list[str],
    size: tuple[int, int] = (120, 30),
    samples: bool = True,
) -> None:
    """Run ``smartbench ARGUMENTS`` in the terminal; its exit status is echoed.

    The environment is a new user's: the workspace, a state folder for the log,
    and the sample topics and modules unless ``samples`` is off.
    """
    environment = {
        "SMARTBENCH_HOME": str(workspace),
        "SMARTBENCH_STATE_DIR": str(state),
        "SMARTBENCH_NO_SAMPLES": "0" if samples else "1",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
    words = " ".join(shlex.quote(word) for word in arguments)
    program = f"{shlex.quote(sys.executable)} -m workbench {words}"
    tmux.start(
        f"cd {shlex.quote(str(REPO_ROOT))} && env {exports} {program}; "
        "echo smartbench exited $?; sleep 60",
        *size,
    )
