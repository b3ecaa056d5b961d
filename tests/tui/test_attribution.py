"""Logs and errors under the record that caused them, for every kind of bench.

The ``logger`` sample (a map that prints each record on stdout and a batch summary
on stderr through WASI) and WAT fixtures make the modules; the per-record re-run
is checked headless first, then through the panes and the detail view.
"""

from __future__ import annotations

from pathlib import Path

import wasmtime
from textual.widgets import RichLog, Static

from tests.engine import wat_fixtures
from tests.samples.helpers import MODULES
from tests.tui.helpers import (
    current_bench,
    make_app,
    make_topic,
    screen_lines,
    screen_text,
    settle,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.bench import BenchSpec, InputRow, LoadedChain, StepSpec, run_window
from workbench.engine.broker import Broker
from workbench.engine.module import load_module
from workbench.screens import RecordDetailScreen

LOGGER = MODULES / "logger.wasm"

# A map that upper-cases like the ``map`` fixture but traps on a value starting
# with "!", so only one record of a batch makes the call fail.
TRAP_ON_BANG = wat_fixtures.RUNTIME + wat_fixtures.MAP.replace(
    "(call $next_record)",
    "(call $next_record)\n"
    "        (if (i32.eq (i32.load8_u (global.get $val_ptr)) (i32.const 33))\n"
    "          (then unreachable))",
)


def trap_on_bang(directory: Path) -> Path:
    """A ``.wasm`` file of :data:`TRAP_ON_BANG`."""
    path = directory / "trap-on-bang.wasm"
    path.write_bytes(bytes(wasmtime.wat2wasm(f"(module {TRAP_ON_BANG})")))
    return path


def loaded_chain(*modules: Path | str) -> LoadedChain:
    """Paths or WAT fixture names, loaded as a bench's chain."""
    loaded = [
        load_module(m) if isinstance(m, Path) else wat_fixtures.load(m) for m in modules
    ]
    return LoadedChain(BenchSpec([StepSpec(str(m)) for m in modules]), loaded)


def rows(*values: str) -> list[InputRow]:
    """Input rows at offsets 0…"""
    return [InputRow(i, 0, None, v.encode()) for i, v in enumerate(values)]


# --- headless: run_window -----------------------------------------------------------


def test_each_record_of_a_map_gets_what_the_module_wrote_for_it() -> None:
    result = run_window(loaded_chain(LOGGER), 0, rows("one", "two"))

    assert result.row_logs(0) == ["[offset 0, timestamp 0] one\nlogger: 1 records"]
    assert result.row_logs(1) == ["[offset 1, timestamp 0] two\nlogger: 1 records"]
    # The batch's own log stays whole, for the log panel.
    batch_logs = [text for row, text in result.logs if row is None]
    assert batch_logs == [
        "[offset 0, timestamp 0] one\n[offset 1, timestamp 0] two\nlogger: 2 records"
    ]


def test_a_quiet_module_is_not_run_again_per_record() -> None:
    result = run_window(loaded_chain("map"), 0, rows("one", "two"))

    assert result.attributed_from is None
    assert result.logs == []


def test_a_failing_record_is_found_and_the_records_before_it_keep_their_output(
    tmp_path: Path,
) -> None:
    chain = loaded_chain(trap_on_bang(tmp_path))

    result = run_window(chain, 0, rows("a", "b", "!c", "d"))

    assert result.error_index == 2
    assert result.row_failed(2)
    assert "unreachable" in (result.row_problem(2) or "")
    assert [result.outputs[i][0].value for i in (0, 1)] == [b"A", b"B"]
    assert 3 not in result.outputs


def test_a_user_error_and_its_log_land_on_the_same_record() -> None:
    result = run_window(loaded_chain(LOGGER, "filter_map"), 0, rows("2", "x", "4"))

    assert result.error_index == 1
    assert result.row_logs(1) == ["[offset 1, timestamp 0] x\nlogger: 1 records"]
    assert result.row_logs(2) == []


def test_aggregate_re_run_starts_at_the_visible_rows_from_their_accumulator() -> None:
    chain = loaded_chain(LOGGER, "aggregate")

    result = run_window(chain, 0, rows("1", "2", "3", "4", "5"), visible_start=3)

    assert result.attributed_from == 3
    assert [i for i in range(5) if result.row_logs(i)] == [3, 4]
    # Run alone from the accumulator the batch reached (6), row 3 gives 10 as in
    # the batch; from the initial value it would give 4 and be flagged.
    assert result.attribution_note is None
    assert result.outputs[3][0].value == b"10"


def test_a_re_run_that_disagrees_with_its_batch_is_flagged() -> None:
    # ``rising`` keeps the largest value so far in the module's own memory, which
    # the accumulator handed to a fresh instance cannot carry.
    chain = loaded_chain(LOGGER, "rising", "aggregate")

    result = run_window(chain, 0, rows("5", "1", "3", "6"), visible_start=2)

    # In the batch 3 is below the 5 seen before and dropped; alone it is kept.
    assert result.outputs[2] == []
    assert result.attribution_note is not None
    assert result.attribution_note.startswith("offset 2: run on its own")


# --- the panes ----------------------------------------------------------------------


async def test_each_output_line_marks_its_log_and_enter_shows_it(
    workspace: Path, broker: Broker
) -> None:
    make_topic(broker, "fruit", ["apple", "kiwi", "fig"])
    app = make_app(workspace, broker, [BenchSpec([StepSpec(str(LOGGER))], "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "✎ kiwi")
        bench = current_bench(app)
        await pilot.press("down", "tab", "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecordDetailScreen), "the detail"
        )
        detail = screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: bench.run_summary is not None, "the run")
        await pilot.press("l")
        panel = bench.query_one("#log-panel", RichLog)
        logged = "\n".join(line.text for line in panel.lines)

    assert "The module wrote, for this record:" in detail
    assert "[offset 1, timestamp 1700000000000] kiwi" in detail
    assert "apple" not in detail.split("The module wrote")[1]
    assert "[batch 0–2] [offset 0, timestamp 1700000000000] apple" in logged
    assert "logger: 3 records" in logged
    # A record's own log is under it, not repeated in the batch log panel.
    assert "logger: 1 records" not in logged


async def test_a_dropped_record_opens_its_input_with_its_log(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", ["apple", "kiwi", "fig"])
    steps = [StepSpec(str(LOGGER)), StepSpec(str(wasm_file(tmp_path, "filter")))]
    app = make_app(workspace, broker, [BenchSpec(steps, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "✗ ✎ dropped")
        await pilot.press("down", "tab", "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecordDetailScreen), "the detail"
        )
        detail = screen_text(app)

    assert "No output for offset 1" in detail
    assert "[offset 1, timestamp 1700000000000] kiwi" in detail


async def test_the_record_that_made_the_module_fail_is_marked(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["one", "two", "!three", "four"])
    spec = BenchSpec([StepSpec(str(trap_on_bang(tmp_path)))], "words")
    app = make_app(workspace, broker, [spec])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "✗ failed here")
        bench = current_bench(app)
        shown = [bench.output_view.render_row(i).plain for i in range(4)]
        panel = str(bench.query_one("#error-panel", Static).render())
        await pilot.press("down", "down", "tab", "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecordDetailScreen), "the detail"
        )
        detail = screen_text(app)

    assert shown[:2] == ["ONE", "TWO"]
    assert shown[2].startswith("✗ failed here: trap-on-bang.wasm: module panicked")
    assert shown[3] == "· not processed"
    assert "caused by the record at offset 2" in panel
    assert "This record caused:" in detail and "unreachable" in detail


async def test_an_aggregate_shows_each_records_log_beside_its_accumulator(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "numbers", ["1", "2", "3"])
    steps = [StepSpec(str(LOGGER)), StepSpec(str(wasm_file(tmp_path, "aggregate")))]
    app = make_app(workspace, broker, [BenchSpec(steps, "numbers")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "✎ 6")
        bench = current_bench(app)
        shown = [bench.output_view.render_row(i).plain for i in range(3)]

    assert shown == ["✎ 1", "✎ 3", "✎ 6"]


async def test_the_log_mark_shows_before_a_long_value_on_a_real_topic(
    workspace: Path, samples: Broker
) -> None:
    spec = BenchSpec([StepSpec(str(LOGGER))], "flights")
    app = make_app(workspace, samples, [spec])

    async with app.run_test(size=(120, 40)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.window is not None, "the window")
        await settle(pilot)
        lines = screen_lines(app)
        first_output = bench.output_view.render_row(0).plain

    assert first_output.startswith("✎ LAX {")
    output_side = [line.split("▏", 1)[1] for line in lines if "▏" in line]
    assert sum("✎" in line for line in output_side) >= 20
