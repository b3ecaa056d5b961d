"""A new run drops the previous run's output topic: nothing may still read it."""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import (
    BIG_RECORDS,
    big_topic_app,
    current_bench,
    wait_for,
)
from workbench.engine.broker import Broker
from workbench.widgets.output_view import STREAM


async def test_hiding_dropped_records_right_after_r_shows_the_new_runs_output(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = big_topic_app(workspace, broker, tmp_path, "filter")

    async with app.run_test(size=(100, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the first run")
        first = bench.run_summary
        assert first is not None and first.output_topic is not None
        # r and h in one turn of the event loop, as when typed within a few ms:
        # r drops the first run's topic, so h must not page through it.
        bench.action_run_topic()
        bench.action_toggle_dropped()
        await wait_for(pilot, lambda: bench.run_summary is not None, "the new run")
        summary = bench.run_summary
        await wait_for(pilot, lambda: bench.output_view.mode == STREAM, "the stream")
        assert summary is not None and summary.output_topic is not None
        shown_new = bench.output_view.shows_topic(summary.output_topic)
        lines = bench.output_view.line_count()

    assert summary.output_topic != first.output_topic
    assert not broker.topic_exists(first.output_topic)
    assert shown_new and lines == BIG_RECORDS // 2


async def test_scrolling_hidden_dropped_output_as_r_drops_it_reads_no_dropped_topic(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = big_topic_app(workspace, broker, tmp_path, "filter")

    async with app.run_test(size=(100, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the first run")
        await pilot.press("h")
        await wait_for(pilot, lambda: bench.output_view.mode == STREAM, "the stream")
        first = bench.run_summary
        assert first is not None and first.output_topic is not None
        assert bench.output_view.shows_topic(first.output_topic)
        bench.action_run_topic()
        # A page never read before: the pane must not go to the dropped topic.
        far = bench.output_view.line_at(BIG_RECORDS // 2 - 1)
        shows_first = bench.output_view.shows_topic(first.output_topic)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the new run")

    assert not shows_first
    assert far.record is None


async def test_r_twice_at_once_ends_in_one_finished_run(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = big_topic_app(workspace, broker, tmp_path, "filter")

    async with app.run_test(size=(100, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the first run")
        first = bench.run_summary
        # Two r in one turn of the event loop: the second stops the first before
        # its thread has begun, and must still get a run that ends.
        bench.action_run_topic()
        bench.action_run_topic()
        await wait_for(
            pilot,
            lambda: bench.run_summary is not None and bench.run_summary is not first,
            "a run to finish",
        )
        summary = bench.run_summary
        busy = bench.workers_in("topic")

    assert summary is not None and not summary.cancelled
    assert summary.records_in == BIG_RECORDS
    assert not busy
