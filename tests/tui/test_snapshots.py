"""Snapshots of each kind's bench on the samples, one at 80×24.

The test config turns off cursor blink, tail polling, clocks and the stats line's
timing figures, so a screen repeats exactly; regenerate with --snapshot-update
on purpose (e.g. after bumping the pinned Textual).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.helpers import bench_spec, current_bench, make_app, settle, wait_for
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker

SnapCompare = Callable[..., bool]

KIND_BENCHES = [
    ("quake-filter", "earthquakes"),
    ("quake-line", "earthquakes"),
    ("late-flights", "flights"),
    ("quake-split", "earthquakes-raw"),
    ("max-temp", "seattle-weather"),
]


async def _until_filled(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, SmartbenchApp)
    bench = current_bench(app)
    await wait_for(
        pilot,
        lambda: bench.run_summary is not None and bench.window is not None,
        "both panes filled",
    )
    await settle(pilot)
    await pilot.pause(0.3)
    await settle(pilot)


@pytest.mark.parametrize(("module", "topic"), KIND_BENCHES)
def test_each_kind_of_bench(
    module: str,
    topic: str,
    workspace: Path,
    samples: Broker,
    snap_compare: SnapCompare,
) -> None:
    app = make_app(workspace, samples, [bench_spec(module, topic)])
    assert snap_compare(app, terminal_size=(120, 30), run_before=_until_filled)


def test_the_first_bench_at_80_by_24(
    workspace: Path, samples: Broker, snap_compare: SnapCompare
) -> None:
    app = make_app(workspace, samples, [bench_spec("quake-filter", "earthquakes")])
    assert snap_compare(app, terminal_size=(80, 24), run_before=_until_filled)
