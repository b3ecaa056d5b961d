"""Opening a workspace: sample topics once, even with concurrent first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.broker.test_topic_cli import _write_manifest
from workbench.engine.broker import Broker
from workbench.workspace import Workspace


def test_samples_are_loaded_once(workspace: Path, tmp_path: Path) -> None:
    manifest = _write_manifest(tmp_path / "samples")

    first = Workspace.open(workspace, samples=False)
    first.ensure_samples(manifest)
    first.ensure_samples(manifest)
    first.broker.delete_topic("raw")
    Workspace.open(workspace, samples=False).ensure_samples(manifest)

    topics = {t.name: t.records for t in Broker.open(workspace).list_topics()}
    assert topics == {"quakes": 2, "weather": 2, "flights": 2}


def test_no_samples_variable_skips_them(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTBENCH_NO_SAMPLES", "1")

    opened = Workspace.open(workspace)

    assert opened.broker.list_topics() == []


def test_concurrent_first_use_creates_samples_once(
    workspace: Path, tmp_path: Path
) -> None:
    manifest = _write_manifest(tmp_path / "samples")
    opener = (
        "import sys\n"
        "from pathlib import Path\n"
        "from workbench.workspace import Workspace\n"
        "Workspace.open(sys.argv[1], samples=False).ensure_samples(Path(sys.argv[2]))\n"
    )

    processes = [
        subprocess.Popen([sys.executable, "-c", opener, str(workspace), str(manifest)])
        for _ in range(3)
    ]

    assert [p.wait(timeout=60) for p in processes] == [0, 0, 0]
    topics = {t.name: t.records for t in Broker.open(workspace).list_topics()}
    assert topics == {"raw": 1, "quakes": 2, "weather": 2, "flights": 2}
