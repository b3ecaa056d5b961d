"""Fixtures for the app tests: a real broker in the test's workspace."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.terminal import Tmux
from workbench.engine.broker import Broker


@pytest.fixture
def broker(workspace: Path) -> Iterator[Broker]:
    """The workspace's broker (a real SQLite database)."""
    opened = Broker.open(workspace)
    yield opened
    opened.close()


@pytest.fixture
def samples(workspace: Path) -> Iterator[Broker]:
    """The broker of a workspace holding the bundled sample topics and modules."""
    from tests.tui.helpers import sample_workspace

    opened = sample_workspace(workspace)
    yield opened
    opened.close()


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    """A tmux server of the test's own, killed afterwards."""
    binary = shutil.which("tmux")
    if binary is None:
        pytest.fail("tmux is needed to run smartbench in a real terminal")
    server = Tmux(binary)
    yield server
    server.kill()
