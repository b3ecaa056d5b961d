"""Pilot tests: real keys into the real app, asserting on what the panes show."""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import (
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
from workbench.engine.broker import Broker

FRUIT = ["apple", "kiwi", "banana", "fig", "grape", "plum", "mango"]


async def test_filter_marks_each_record_and_counts_kept(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        bench = current_bench(app)
        shown = [bench.output_view.render_row(i).plain for i in range(7)]

    assert shown[0] == "✓ apple"
    assert shown[1] == "✗ dropped"
    assert [line.startswith("✓") for line in shown] == [
        True, False, True, False, True, False, True
    ]


async def test_params_form_reruns_with_new_param(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.id != "_default", "the form")
        params = app.screen.query_one("#field-params")
        params.focus()
        params.text = "contains=an"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for_text(pilot, "2 kept / 7")
        assert "-e contains=an" in screen_text(app)
