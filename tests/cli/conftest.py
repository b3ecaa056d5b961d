"""Fixtures for the CLI tests: the WAT SmartModules, compiled once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.wat_modules import build_modules


@pytest.fixture(scope="session")
def wat_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every module of :mod:`tests.cli.wat_modules` as a `.wasm` file."""
    return build_modules(tmp_path_factory.mktemp("wat"))
