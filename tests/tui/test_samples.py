"""The bundled samples in the app: the first run, params, array-map, aggregate."""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import (
    bench_spec,
    current_bench,
    make_app,
    screen_text,
    settle,
    wait_for,
    wait_for_text,
)
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker
from workbench.screens import FormScreen
from workbench.session import load_session


async def test_first_run_opens_quake_filter_on_earthquakes(
    workspace: Path, samples: Broker
) -> None:
    app = SmartbenchApp(workspace, samples, make_app(workspace, samples).config)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "85 kept / 1,707")
        bench = current_bench(app)
        first_kept = next(
            i for i in range(60) if bench.output_view.render_row(i).plain[0] == "✓"
        )
        text = screen_text(app)
        await pilot.press("ctrl+q")

    assert "Input · earthquakes · 1,707 records" in text
    assert "quake-filter · filter" in text
    assert first_kept == 14
    saved = load_session(workspace)
    assert [b.steps[0].module for b in saved.benches] == ["quake-filter"]


async def test_min_mag_param_from_the_form_keeps_five(
    workspace: Path, samples: Broker
) -> None:
    app = make_app(workspace, samples, [bench_spec("quake-filter", "earthquakes")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "85 kept / 1,707")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press(*"min_mag=6", "enter")
        await wait_for_text(pilot, "5 kept / 1,707")


async def test_a_failed_init_leaves_no_figures_of_the_run_before(
    workspace: Path, samples: Broker
) -> None:
    app = make_app(workspace, samples, [bench_spec("quake-filter", "earthquakes")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "out 85 rec")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press(*"min_mag=abc", "enter")
        await wait_for_text(pilot, "init failed")
        await settle(pilot)
        stats = current_bench(app).stats_text().plain
        text = screen_text(app)

    assert "out 85 rec" not in text
    assert stats == "init failed: no records ran"


async def test_quake_split_shows_every_child_under_its_one_input(
    workspace: Path, samples: Broker
) -> None:
    app = make_app(workspace, samples, [bench_spec("quake-split", "earthquakes-raw")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "→ 1,707 children")
        bench = current_bench(app)
        lines = bench.output_view.line_count()

    assert lines == 1 + 1707


async def test_max_temp_ends_at_the_highest_temperature(
    workspace: Path, samples: Broker
) -> None:
    app = make_app(workspace, samples, [bench_spec("max-temp", "seattle-weather")])

    async with app.run_test(size=(120, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the run")
        await pilot.press("end")
        await wait_for(
            pilot,
            lambda: (
                bench.output_view.window is not None
                and bench.output_view.window.end == 1461
            ),
            "the last window",
        )
        last = bench.output_view.render_row(1460).plain

    assert last == "35.6", last
