"""Fixtures for watch tests: a loader, atomic writes, and an event reader thread."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from workbench.engine.watch import ModuleWatcher, WatchEvent

EVENT_TIMEOUT = 10.0

EventT = TypeVar("EventT")


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it, as build tools do."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class EventReader:
    """Iterates a watcher's events in a thread so a test can act meanwhile."""

    def __init__(self, watcher: ModuleWatcher[Any]) -> None:
        self.watcher = watcher
        self.seen: list[WatchEvent] = []
        self._events: queue.Queue[WatchEvent | BaseException | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for event in self.watcher.events():
                self._events.put(event)
        except BaseException as error:
            self._events.put(error)
        self._events.put(None)

    def next(self) -> WatchEvent:
        """The next event, waiting at most the test timeout."""
        item = self._events.get(timeout=EVENT_TIMEOUT)
        if isinstance(item, BaseException):
            raise item
        if item is None:
            raise AssertionError("the watcher stopped")
        self.seen.append(item)
        return item

    def next_of(self, kind: type[EventT]) -> EventT:
        """Skip events until one of ``kind`` arrives."""
        while True:
            event = self.next()
            if isinstance(event, kind):
                return event

    def close(self) -> None:
        """Stop the watcher and check that its iteration ended promptly."""
        self.watcher.stop()
        self._thread.join(timeout=EVENT_TIMEOUT)
        assert not self._thread.is_alive()


@pytest.fixture
def readers() -> Iterator[list[EventReader]]:
    """Watchers registered here are stopped at the end of the test."""
    started: list[EventReader] = []
    yield started
    for reader in started:
        reader.close()
