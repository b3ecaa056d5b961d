"""The committed sample modules are exactly what their C sources build to."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE_MODULES = Path(__file__).resolve().parents[2] / "sample_modules"


def _sources() -> list[Path]:
    return sorted((SAMPLE_MODULES / "src").glob("*.c"))


def test_every_source_has_a_committed_module_and_no_module_lacks_a_source() -> None:
    built = {path.stem for path in SAMPLE_MODULES.glob("*.wasm")}
    sources = {path.stem for path in _sources()}

    assert sources == built
    assert len(sources) >= 11


def test_a_fresh_build_reproduces_the_committed_bytes(tmp_path: Path) -> None:
    pytest.importorskip("ziglang")
    copy = tmp_path / "sample_modules"
    shutil.copytree(SAMPLE_MODULES / "src", copy / "src")
    shutil.copytree(SAMPLE_MODULES / "include", copy / "include")
    shutil.copy(SAMPLE_MODULES / "build.sh", copy / "build.sh")

    subprocess.run(
        ["sh", str(copy / "build.sh")],
        env={**os.environ, "PYTHON": sys.executable},
        check=True,
        capture_output=True,
        timeout=600,
    )

    for source in _sources():
        rebuilt = (copy / f"{source.stem}.wasm").read_bytes()
        committed = (SAMPLE_MODULES / f"{source.stem}.wasm").read_bytes()
        assert rebuilt == committed, f"{source.stem}.wasm differs from its source"
