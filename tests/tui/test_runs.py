"""How runs behave over time: failed setups, runs that stop early, growing topics."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from tests.tui.helpers import (
    TEST_CONFIG,
    bench_spec,
    current_bench,
    make_app,
    make_topic,
    screen_text,
    settle,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker
from workbench.engine.types import Limits
from workbench.screens import FormScreen
from workbench.session import Session

# A looping init ends at this budget instead of the default 5 s.
TIGHT = replace(TEST_CONFIG, limits=Limits(memory_bytes=64 << 20, time_budget=0.5))


async def test_a_failed_init_is_not_rerun_until_params_change_or_r_is_pressed(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", [f"word-{n}" for n in range(300)])
    module = wasm_file(tmp_path, "looping_init")
    session = Session(benches=[bench_spec(module, "words")], existed=True)
    app = SmartbenchApp(workspace, broker, TIGHT, session=session)

    async with app.run_test(size=(100, 30)) as pilot:
        bench = current_bench(app)
        await wait_for_text(pilot, "init failed")
        await settle(pilot)
        builds_at_first_failure = bench.chain_builds.count

        asked = bench.window_requests
        await pilot.press("pagedown", "pagedown", "end", "up")
        await wait_for(pilot, lambda: bench.window_requests > asked, "a recompute")
        await settle(pilot)
        builds_after_scrolling = bench.chain_builds.count
        error_after_scrolling = str(bench.query_one("#error-panel").render())
        cursor = bench.input_view.cursor

        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press(*"limit=3", "enter")
        await wait_for(pilot, lambda: bench.chain_builds.count > 1, "a new build")
        await wait_for_text(pilot, "init failed")
        await settle(pilot)
        builds_after_params = bench.chain_builds.count

        await pilot.press("r")
        await wait_for(pilot, lambda: bench.chain_builds.count > 2, "a retry")
        await settle(pilot)
        builds_after_rerun = bench.chain_builds.count

    # One build, not a window build and a whole-topic build at once.
    assert builds_at_first_failure == 1
    assert builds_after_scrolling == 1
    assert "init of looping_init.wasm failed" in error_after_scrolling
    assert cursor == 298
    assert builds_after_params == 2
    assert builds_after_rerun == 3


async def test_a_run_stopped_by_a_record_error_counts_what_ran_before_it(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    values = [str(n) for n in range(1000)]
    values[41] = "forty-one"
    make_topic(broker, "numbers", values)
    module = wasm_file(tmp_path, "filter_map")
    app = make_app(workspace, broker, [bench_spec(module, "numbers")])

    async with app.run_test(size=(120, 50)) as pilot:
        bench = current_bench(app)
        # Even numbers below 41 pass: 0, 2, …, 40.
        await wait_for_text(pilot, "21 out · error at 41")
        await wait_for(pilot, lambda: bench.window is not None, "the window")
        failing_row = bench.output_view.render_row(41).plain
        after_failure = bench.output_view.render_row(42).plain
        stats = bench.stats_text().plain

    assert failing_row.startswith("✗ error")
    assert "not processed" in after_failure
    assert "dropped" not in after_failure
    assert stats.startswith("topic: in 41 of 1,000 rec")
    assert stats.endswith("stopped: error at offset 41")


async def test_an_aggregate_window_past_where_its_run_stopped_replays_no_gap(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    values = [str(n % 10) for n in range(20_000)]
    values[1500] = "fifteen hundred"
    make_topic(broker, "numbers", values)
    module = wasm_file(tmp_path, "aggregate")
    app = make_app(workspace, broker, [bench_spec(module, "numbers")])

    async with app.run_test(size=(120, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the run")
        bench.input_view.focus()
        await pilot.press("end")
        await wait_for(
            pilot,
            lambda: bench.window is not None and bench.window.end == 20_000,
            "the last window",
        )
        window = bench.window
        assert window is not None
        note = window.accumulator_note

    # The run stopped at 1,500: the window starts near the end, from the initial
    # value, and says so, instead of replaying 18,000 rows from the last checkpoint.
    assert window.start > 19_000
    assert note == f"accumulator from offset {window.start:,}, not from the beginning"


async def test_a_run_whose_call_fails_says_which_offsets_failed(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "beta", "gamma"])
    module = wasm_file(tmp_path, "trap")
    app = make_app(workspace, broker, [bench_spec(module, "words")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "0 kept · failed at 0–2")
        bench = current_bench(app)
        rows = [bench.output_view.render_row(i).plain for i in range(3)]
        stats = bench.stats_text().plain

    assert rows[0].startswith("✗ failed")
    assert not any("dropped" in row for row in rows)
    assert stats.startswith("topic: in 0 of 3 rec")
    assert stats.endswith("stopped: failed at offsets 0–2")


async def test_counts_follow_records_another_process_appends(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "kiwi", "banana"])
    module = wasm_file(tmp_path, "filter")
    config = replace(TEST_CONFIG, poll_topics=True)
    session = Session(benches=[bench_spec(module, "words")], existed=True)
    app = SmartbenchApp(workspace, broker, config, session=session)

    async with app.run_test(size=(140, 30)) as pilot:
        await wait_for_text(pilot, "2 kept / 3")
        await wait_for_text(pilot, "words 3")
        produce = [sys.executable, "-m", "workbench", "produce", "words"]
        where = ["--workspace", str(workspace)]
        subprocess.run([*produce, *where], input=b"papaya\nfig\n", check=True)
        await wait_for_text(pilot, "3 kept / 5")
        await wait_for_text(pilot, "words 5")
        text = screen_text(app)
        bench = current_bench(app)
        summary = bench.run_summary

    assert "Input · words · 5 records" in text
    assert summary is not None and summary.records_in == 5
    assert [offset for offset in summary.source_offsets] == [0, 2, 3]
