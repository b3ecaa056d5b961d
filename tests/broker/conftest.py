"""Broker tests run most commands inside the test process: same code, no start-up.

``run_smartbench`` here calls the real entry point, :func:`workbench.cli.main`,
with stdin, stdout and stderr bound to files, and returns what a subprocess would.
Tests about processes themselves (kill -9, Ctrl-C, concurrent writers, a waiting
consumer, a terminal) start real subprocesses on their own.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, RunSmartbench
from workbench.cli import main


@pytest.fixture
def run_smartbench(
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfdbinary: pytest.CaptureFixture[bytes],
) -> RunSmartbench:
    counter = itertools.count()
    monkeypatch.chdir(REPO_ROOT)

    def run(
        *args: str | os.PathLike[str],
        input: bytes | str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[bytes]:
        argv = [os.fspath(arg) for arg in args]
        with monkeypatch.context() as patch:
            patch.setenv("SMARTBENCH_HOME", str(workspace))
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            stdin_path = tmp_path / f"stdin-{next(counter)}"
            data = input.encode() if isinstance(input, str) else input or b""
            stdin_path.write_bytes(data)
            with stdin_path.open() as stdin:
                patch.setattr("sys.stdin", stdin)
                capfdbinary.readouterr()
                try:
                    code = main(argv)
                except SystemExit as exit:
                    code = exit.code if isinstance(exit.code, int) else 2
                captured = capfdbinary.readouterr()
        return subprocess.CompletedProcess(
            ["smartbench", *argv], code, captured.out, captured.err
        )

    return run
