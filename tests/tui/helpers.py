"""Driving the real app in tests: a workspace with topics, modules, and waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.engine import wat_fixtures
from workbench.app import AppConfig, SmartbenchApp
from workbench.bench import BenchSpec, StepSpec
from workbench.engine.broker import Broker
from workbench.session import Session
from workbench.widgets.bench_view import BenchView

TEST_CONFIG = AppConfig(deterministic=True, watch_enabled=False, poll_topics=False)
"""No cursor blink, clocks, tail polling or timing figures: screens repeat."""
WAIT_SECONDS = 15.0


def wasm_file(directory: Path, fixture: str) -> Path:
    """A real ``.wasm`` file compiled from one of the WAT fixtures."""
    path = directory / f"{fixture}.wasm"
    path.write_bytes(wat_fixtures.wasm(fixture))
    return path


TOPIC_TIME = 1_700_000_000_000
"""When the records of :func:`make_topic` were produced."""
TOPIC_CLOCK = "22:13:20"
"""That time of day (UTC), as the Input pane shows it beside each record."""


def make_topic(broker: Broker, name: str, values: list[str]) -> None:
    """A topic holding ``values`` at offsets 0…"""
    broker.create_topic(name)
    broker.produce(name, [v.encode() for v in values], timestamps=TOPIC_TIME)


FRUIT = ["apple", "kiwi", "banana", "fig", "grape", "plum", "mango"]
"""Seven values, four of which hold an ``a``: the filter fixture keeps ``4 / 7``."""


def fruit_filter_app(workspace: Path, broker: Broker, tmp_path: Path) -> SmartbenchApp:
    """The app with one bench: the filter fixture on a ``fruit`` topic of FRUIT."""
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "filter")
    return make_app(workspace, broker, [bench_spec(module, "fruit")])


BIG_RECORDS = 200_000
"""Records on the topic of :func:`big_topic_app`: a run takes a moment."""


def big_topic_app(
    workspace: Path, broker: Broker, tmp_path: Path, fixture: str
) -> SmartbenchApp:
    """The app with one bench: WAT ``fixture`` on a ``big`` topic of BIG_RECORDS.

    Every other value holds an ``a``: the filter fixture drops half of them.
    """
    broker.create_topic("big")
    values = [(b"a-%d" if n % 2 else b"b-%d") % n for n in range(BIG_RECORDS)]
    broker.produce("big", values, timestamps=0)
    module = wasm_file(tmp_path, fixture)
    return make_app(workspace, broker, [bench_spec(module, "big")])


def make_app(
    workspace: Path, broker: Broker, benches: list[BenchSpec] | None = None
) -> SmartbenchApp:
    """The app on ``workspace`` with a session holding ``benches``."""
    session = Session(benches=list(benches or []), existed=benches is not None)
    return SmartbenchApp(workspace, broker, TEST_CONFIG, session=session)


def bench_spec(module: Path | str, topic: str | None, **params: str) -> BenchSpec:
    """A one-module bench on ``topic`` (None: scratch)."""
    return BenchSpec([StepSpec(str(module), dict(params))], topic=topic)


def screen_lines(app: SmartbenchApp) -> list[str]:
    """The text of every line of the screen as the terminal would show it."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def screen_text(app: SmartbenchApp) -> str:
    """The whole screen as one string."""
    return "\n".join(screen_lines(app))


async def wait_for(pilot: Pilot[int], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition`` holds; fail after a timeout."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
    await pilot.pause()


async def wait_for_text(pilot: Pilot[int], text: str) -> None:
    """Wait until ``text`` is on the screen."""
    app = pilot.app
    assert isinstance(app, SmartbenchApp)
    await wait_for(pilot, lambda: text in screen_text(app), repr(text))


async def settle(pilot: Pilot[int]) -> None:
    """Wait for every worker to end (done, failed or superseded) and the screen."""
    workers = pilot.app.workers
    await wait_for(pilot, lambda: all(w.is_finished for w in workers), "workers")


def current_bench(app: SmartbenchApp) -> BenchView:
    """The selected bench; fails when there is none."""
    bench = app.bench
    assert bench is not None
    return bench


def sample_workspace(workspace: Path) -> Broker:
    """Load the bundled sample topics and modules into ``workspace``."""
    from workbench.workspace import Workspace

    return Workspace.open(workspace, samples=True).broker
