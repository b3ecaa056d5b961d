"""What must stay readable when the terminal is small: 80×24, and 100×30 with the
sidebar open. Hash and size give way first; the count, the kind, the watch state
and the aggregate's note never get cut."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.helpers import (
    bench_spec,
    current_bench,
    make_app,
    screen_lines,
    settle,
    wait_for,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker
from workbench.widgets.bench_view import AUTO_RUN_LIMIT
from workbench.widgets.fitted import Part, fit_parts

SnapCompare = Callable[..., bool]
SIZES = [(80, 24, False), (100, 30, False), (100, 30, True), (80, 24, True)]
BIG = AUTO_RUN_LIMIT + 1
"""Records in a topic too big for a whole-topic run on open, so the aggregate's
window starts from the initial value."""


async def _filled(pilot: Pilot[int], sidebar: bool) -> None:
    app = pilot.app
    assert isinstance(app, SmartbenchApp)
    bench = current_bench(app)
    await wait_for(
        pilot,
        lambda: bench.run_summary is not None and bench.window is not None,
        "both panes filled",
    )
    if sidebar:
        await _open_sidebar(pilot)
    await settle(pilot)
    await pilot.pause(0.3)
    await settle(pilot)


async def _open_sidebar(pilot: Pilot[int]) -> None:
    # Ctrl+B focuses the sidebar; a click puts the focus back on the Input pane.
    await pilot.press("ctrl+b")
    await pilot.click("#input")


async def _at_the_end(pilot: Pilot[int], sidebar: bool) -> None:
    app = pilot.app
    assert isinstance(app, SmartbenchApp)
    bench = current_bench(app)
    await wait_for(pilot, lambda: bench.window is not None, "the first window")
    await pilot.press("end")
    await wait_for(
        pilot,
        lambda: bench.window is not None and bench.window.end == BIG,
        "the last window",
    )
    if sidebar:
        await _open_sidebar(pilot)
    await settle(pilot)
    await pilot.pause(0.3)
    await settle(pilot)


@pytest.fixture
def numbers(broker: Broker) -> Broker:
    broker.create_topic("numbers")
    values = [b"%d" % (n % 10) for n in range(BIG)]
    broker.produce("numbers", values, timestamps=1_700_000_000_000)
    return broker


@pytest.mark.parametrize(("width", "height", "sidebar"), SIZES)
async def test_the_filter_count_kind_and_watch_state_are_never_cut(
    width: int, height: int, sidebar: bool, workspace: Path, samples: Broker
) -> None:
    app = make_app(workspace, samples, [bench_spec("quake-filter", "earthquakes")])

    async with app.run_test(size=(width, height)) as pilot:
        await _filled(pilot, sidebar)
        lines = screen_lines(app)
        bench = current_bench(app)
        header = bench.query_one("#bench-header").region.y

    assert any("quake-filter · filter ·" in line for line in lines[header:])
    assert any(line.rstrip().endswith("watch off") for line in lines[header:])
    assert any("85 kept / 1,707" in line for line in lines)
    assert any("earthquakes · 1,707" in line for line in lines)
    assert any("in 1,707 rec" in line and "out 85 rec" in line for line in lines)


@pytest.mark.parametrize(("width", "height", "sidebar"), SIZES)
async def test_the_aggregate_note_is_shown_whole(
    width: int,
    height: int,
    sidebar: bool,
    workspace: Path,
    numbers: Broker,
    tmp_path: Path,
) -> None:
    module = wasm_file(tmp_path, "aggregate")
    app = make_app(workspace, numbers, [bench_spec(module, "numbers")])

    async with app.run_test(size=(width, height)) as pilot:
        await _at_the_end(pilot, sidebar)
        start = current_bench(app).window
        assert start is not None
        region = current_bench(app).query_one("#window-note").region
        lines = screen_lines(app)[region.y : region.bottom]
        shown = [line[region.x : region.right].strip() for line in lines]
        text = " ".join(shown)
        header = current_bench(app).header_text().plain
        header_region = current_bench(app).query_one("#bench-header").region
        header_shown = screen_lines(app)[header_region.y]
        last_shown = current_bench(app).input_view.visible_range()[1]

    # The note takes a line from the panes; the last record stays on screen.
    assert last_shown == BIG
    assert header.startswith(str(module)) and header.endswith("watch off")
    assert "aggregate.wasm · aggregate" in header_shown
    assert header_shown.rstrip().endswith("watch off")

    note = f"accumulator from offset {start.start:,}, not from the beginning"
    assert note in text


def test_the_first_bench_at_100_by_30_with_the_sidebar(
    workspace: Path, samples: Broker, snap_compare: SnapCompare
) -> None:
    app = make_app(workspace, samples, [bench_spec("quake-filter", "earthquakes")])

    async def run_before(pilot: Pilot[int]) -> None:
        await _filled(pilot, sidebar=True)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


@pytest.mark.parametrize(("width", "height", "sidebar"), [(80, 24, False)])
def test_an_aggregate_window_not_from_the_beginning(
    width: int,
    height: int,
    sidebar: bool,
    workspace: Path,
    numbers: Broker,
    tmp_path: Path,
    snap_compare: SnapCompare,
) -> None:
    module = wasm_file(tmp_path, "aggregate")
    app = make_app(workspace, numbers, [bench_spec(module, "numbers")])

    async def run_before(pilot: Pilot[int]) -> None:
        await _at_the_end(pilot, sidebar)

    assert snap_compare(app, terminal_size=(width, height), run_before=run_before)


def test_fitting_drops_the_lowest_rank_first_and_keeps_what_must_stay() -> None:
    parts = [
        Part.of(5, "quake-filter", droppable=False),
        Part.of(9, "filter", droppable=False),
        Part.of(1, "sha256:edfb6811"),
        Part.of(2, "10.1 KB"),
        Part.of(9, "1,707 records", "1,707", droppable=False),
    ]

    wide = fit_parts(parts, 80).plain
    middle = fit_parts(parts, 40).plain
    narrow = fit_parts(parts, 28).plain
    tight = fit_parts(parts, 5).plain

    assert wide == "quake-filter · filter · sha256:edfb6811 · 10.1 KB · 1,707 records"
    assert middle == "quake-filter · filter · 1,707 records"
    assert narrow == "quake-filter · filter · 1,707"
    assert tight == narrow
