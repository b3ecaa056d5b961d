"""/ in the Output pane: the whole-topic run's output, else the window, said so."""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import (
    FRUIT,
    bench_spec,
    current_bench,
    make_app,
    make_topic,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.bench import BenchSpec, StepSpec
from workbench.engine.broker import Broker


def _notes(app: SmartbenchApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_output_search_finds_a_kept_record_far_past_the_window(
    workspace: Path, samples: Broker
) -> None:
    app = make_app(workspace, samples, [bench_spec("quake-filter", "earthquakes")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "kept / 1,707")
        bench = current_bench(app)
        output = bench.output_view
        window_end = bench.window.end if bench.window else 0
        output.focus()
        await pilot.press("slash", *"Alaska", "enter")
        await wait_for(
            pilot,
            lambda: "alaska" in output.render_row(output.cursor).plain.casefold(),
            "the Output line of an Alaska quake",
        )
        cursor = output.cursor
        input_cursor = bench.input_view.cursor
        line = output.render_row(cursor).plain

    assert cursor > window_end
    assert input_cursor == cursor
    assert line.startswith("✓ ")


async def test_output_search_steps_through_the_run_output_and_wraps(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT * 50)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "350 records")
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the run")
        output = bench.output_view
        output.focus()
        await pilot.press("end", "up", "up")
        await pilot.press("slash", *"PLUM", "enter")
        await wait_for(pilot, lambda: output.cursor == 348, "the last PLUM")
        await pilot.press("enter")
        await wait_for(pilot, lambda: output.cursor == 5, "the first, wrapped")
        await pilot.press("enter")
        await wait_for(pilot, lambda: output.cursor == 12, "the next")
        await pilot.press("escape")
        await pilot.press("slash", *"durian", "enter")
        said = "no match for 'durian' in the output of the whole topic"
        await wait_for(pilot, lambda: said in _notes(app), said)


async def test_output_search_without_run_output_says_what_it_searched(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT * 50)
    steps = [
        StepSpec(str(wasm_file(tmp_path, "filter")), {"contains": "i"}),
        StepSpec(str(wasm_file(tmp_path, "map"))),
    ]
    app = make_app(workspace, broker, [BenchSpec(steps, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "KIWI")
        bench = current_bench(app)
        await pilot.press("left_square_bracket")
        await wait_for_text(pilot, "✓ kiwi")
        bench.output_view.focus()
        await pilot.press("slash", *"durian", "enter")
        # The window itself may move by a row or two as the pane settles.
        said = "no match for 'durian' in the output of offsets 0–"
        await wait_for(pilot, lambda: said in _notes(app), said)
        notes = _notes(app)

    assert "; only a window's output of a chain step is computed" in notes
    last = int(notes.split("offsets 0–")[1].split(";")[0])
    assert 20 < last < 349
