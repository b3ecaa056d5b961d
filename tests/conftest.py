"""Shared fixtures: an isolated workspace and a way to run the real `smartbench`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

RunSmartbench = Callable[..., subprocess.CompletedProcess[bytes]]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty workspace directory, never the user's own."""
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    # Every test, in-process or subprocess, gets its own workspace and state dir,
    # and no sample topics unless it asks for them.
    monkeypatch.setenv("SMARTBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SMARTBENCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SMARTBENCH_NO_SAMPLES", "1")
    yield


@pytest.fixture
def run_smartbench(workspace: Path) -> RunSmartbench:
    """Run `python -m workbench ARGS` in a subprocess against the test workspace."""

    def run(
        *args: str | os.PathLike[str],
        input: bytes | str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[bytes]:
        full_env = {**os.environ, "SMARTBENCH_HOME": str(workspace), **(env or {})}
        data = input.encode() if isinstance(input, str) else input
        return subprocess.run(
            [sys.executable, "-m", "workbench", *map(str, args)],
            input=data,
            capture_output=True,
            env=full_env,
            cwd=REPO_ROOT,
            timeout=timeout,
        )

    return run
