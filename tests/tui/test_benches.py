"""Pilot tests: real keys into the real app, asserting on what the panes show."""

from __future__ import annotations

import hashlib
from pathlib import Path

from textual.widgets import Button, Input, Select

from tests.engine import wat_fixtures
from tests.tui.helpers import (
    FRUIT,
    TOPIC_CLOCK,
    bench_spec,
    current_bench,
    fruit_filter_app,
    make_app,
    make_topic,
    screen_lines,
    screen_text,
    settle,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.bench import BenchSpec, StepSpec
from workbench.engine.broker import Broker
from workbench.engine.registry import Registry
from workbench.screens import ConfirmScreen, FormScreen


async def test_filter_marks_each_record_and_counts_kept(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        bench = current_bench(app)
        shown = [bench.output_view.render_row(i).plain for i in range(7)]

    assert shown[0] == "✓ apple"
    assert shown[1] == "✗ dropped"
    assert [line.startswith("✓") for line in shown] == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
    ]


async def test_params_form_reruns_with_new_param(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        params = app.screen.query_one("#field-params")
        params.focus()
        await pilot.press(*"contains=an", "enter")
        await wait_for_text(pilot, "2 kept / 7")
        assert "-e contains=an" in screen_text(app)


async def test_an_aggregate_initial_value_and_abi_version_from_their_forms(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "numbers", ["1", "2", "3", "4"])
    module = wasm_file(tmp_path, "aggregate")
    app = make_app(workspace, broker, [bench_spec(module, "numbers")])

    async with app.run_test(size=(120, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.window is not None, "the window")
        first_total = bench.output_view.render_row(3).plain
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        app.screen.query_one("#field-aggregate_initial", Input).value = "100"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "initial '100'" in bench.header_text().plain, "")
        await wait_for(
            pilot, lambda: "110" in bench.output_view.render_row(3).plain, ""
        )

        at_22 = bench.window
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "ABI form")
        app.screen.query_one("#field-abi_version", Select).value = "25"
        app.screen.query_one("#ok", Button).press()
        await wait_for(pilot, lambda: "ABI 25" in bench.header_text().plain, "ABI 25")
        await wait_for(
            pilot,
            lambda: bench.window is not None and bench.window is not at_22,
            "a window run at ABI 25",
        )
        at_25 = bench.output_view.render_row(3).plain

    assert first_total.strip().endswith("10")
    assert at_25.strip().endswith("110")


async def test_map_output_lines_up_with_its_input(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "map")
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "7 records")
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.window is not None, "the window run")
        lines = screen_lines(app)

    row = next(line for line in lines if f"      2 {TOPIC_CLOCK} banana" in line)
    assert row.rstrip().endswith("BANANA")


async def test_array_map_children_sit_under_their_input(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "csv", ["a,b,c", "d", "e,f"])
    module = wasm_file(tmp_path, "array_map")
    app = make_app(workspace, broker, [bench_spec(module, "csv")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "→ 3 children")
        text = screen_text(app)

    assert "6 children / 3" in text
    assert "→ 1 child" in text
    assert "→ 2 children" in text


async def test_a_chain_after_an_array_map_lists_every_output_under_its_input(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "csv", ["a,b,c", "d", "e,f"])
    steps = [
        StepSpec(str(wasm_file(tmp_path, "array_map"))),
        StepSpec(str(wasm_file(tmp_path, "map"))),
    ]
    app = make_app(workspace, broker, [BenchSpec(steps, topic="csv")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "→ 3 children")
        bench = current_bench(app)
        lines = [
            bench.output_view.render_row(i).plain
            for i in range(bench.output_view.line_count())
        ]
        title = bench.output_title().plain

    # The last step is a map, but after the split each input has several outputs.
    assert "6 children / 3" in title
    assert [line.strip() for line in lines if line.strip().isupper()] == [
        "A", "B", "C", "D", "E", "F",
    ]  # fmt: skip


async def test_aggregate_ends_at_the_whole_topic_total(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "numbers", [str(n) for n in range(1, 2501)])
    module = wasm_file(tmp_path, "aggregate")
    app = make_app(workspace, broker, [bench_spec(module, "numbers")])

    async with app.run_test(size=(120, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the run")
        bench.input_view.focus()
        await pilot.press("end")
        await wait_for_text(pilot, f"   2499 {TOPIC_CLOCK} 2500")
        # The output window is recomputed a moment after the scroll settles.
        await wait_for(
            pilot,
            lambda: (
                bench.output_view.window is not None
                and bench.output_view.window.end == 2500
            ),
            "the last window",
        )
        last = bench.output_view.render_row(2499).plain

    assert last == str(sum(range(1, 2501)))


async def test_scratch_input_updates_the_output_as_you_type(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    module = wasm_file(tmp_path, "map")
    app = make_app(workspace, broker, [bench_spec(module, None)])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "Input · scratch · 0 records")
        bench = current_bench(app)
        await pilot.press(*"hello", "enter", *"world")
        await wait_for_text(pilot, "WORLD")
        text = screen_text(app)
        # Typing is debounced: one window run after the burst, not one per key.
        windows_run = bench.window_requests

    assert "HELLO" in text
    assert "Input · scratch · 2 records" in text
    assert 1 <= windows_run <= 3, windows_run
    # Scratch input is the bench's own: nothing is written to the broker.
    assert broker.list_topics() == []


SCRATCH_LINES = [
    "short",
    "x" * 100,
    "",
    "after blank",
    *(f"line {n}" for n in range(30)),
    "last",
]


def _scratch_app(workspace: Path, broker: Broker, tmp_path: Path) -> SmartbenchApp:
    spec = bench_spec(wasm_file(tmp_path, "map"), None)
    spec.scratch_text = "\n".join(SCRATCH_LINES)
    return make_app(workspace, broker, [spec])


def _misaligned(lines: list[str], typed: list[str]) -> list[str]:
    """Screen lines where a typed record does not sit beside its output."""
    beside = {f" {line} ": f"▏{line.upper()} " for line in typed if line}
    return [
        shown
        for shown in lines
        for left, right in beside.items()
        if left in shown and right not in shown
    ]


async def test_scratch_rows_line_up_with_the_output_despite_long_and_blank_lines(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = _scratch_app(workspace, broker, tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "▏SHORT")
        await settle(pilot)
        lines = screen_lines(app)

    assert _misaligned(lines, SCRATCH_LINES) == []
    assert any(" after blank " in line for line in lines)
    assert any(" line 11 " in line for line in lines)


async def test_the_scratch_editor_and_the_output_scroll_together(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = _scratch_app(workspace, broker, tmp_path)

    async with app.run_test(size=(40, 12)) as pilot:
        await wait_for_text(pilot, "▏SHORT")
        await settle(pilot)
        bench = current_bench(app)
        editor, output = bench.scratch_editor, bench.output_view
        await pilot.press(*["down"] * len(SCRATCH_LINES))
        await settle(pilot)
        at_the_end = screen_lines(app)
        tops_at_the_end = (editor.scroll_offset.y, output.scroll_offset.y)
        await pilot.press("tab", "home")
        await settle(pilot)
        tops_at_the_start = (editor.scroll_offset.y, output.scroll_offset.y)

    assert any(" last " in line and "▏LAST " in line for line in at_the_end)
    assert _misaligned(at_the_end, SCRATCH_LINES) == []
    assert tops_at_the_end[0] > 0
    assert tops_at_the_end[0] == tops_at_the_end[1]
    assert tops_at_the_start == (0, 0)


async def test_promote_registers_the_file_and_the_bench_runs_it_by_name(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        name_field = app.screen.query_one("#field-name", Input)
        assert name_field.value == "filter"
        name_field.value = "Bad Name"
        await pilot.press("enter")
        await wait_for_text(pilot, "name holds only letters a-z, digits 0-9 and '-'")
        name_field.value = "fruit-filter"
        await pilot.press("enter")
        bench = current_bench(app)
        await wait_for(
            pilot, lambda: bench.spec.steps[0].module == "fruit-filter", "promotion"
        )
        await wait_for_text(pilot, "fruit-filter · filter")
        await wait_for_text(pilot, "4 kept / 7")

        # Now registered: promoting again has nothing to do, and says so.
        await pilot.press("P")
        await wait_for(pilot, lambda: _noted(app, "is already a registered"), "why")

    registry = Registry.open(workspace)
    try:
        registered = registry.describe("fruit-filter")
    finally:
        registry.close()
    assert registered.source == str(module)
    assert bench.spec.source_path == str(module)


async def test_promote_registers_the_running_bytes_not_a_newer_file(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "filter")
    running = module.read_bytes()
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        module.write_bytes(wat_fixtures.wasm("map"))
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        app.screen.query_one("#field-name", Input).value = "what-i-saw"
        await pilot.press("enter")
        bench = current_bench(app)
        await wait_for(
            pilot, lambda: bench.spec.steps[0].module == "what-i-saw", "promotion"
        )

    registry = Registry.open(workspace)
    try:
        registered = registry.describe("what-i-saw")
    finally:
        registry.close()
    assert registered.kind == "filter"
    assert registered.sha256 == hashlib.sha256(running).hexdigest()
    assert registered.source == str(module)


async def test_promoting_over_a_taken_name_asks_first(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    registry = Registry.open(workspace)
    registry.create("taken", wasm_file(tmp_path, "map"))
    registry.close()
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await wait_for(pilot, lambda: bool(app.scan.modules), "the sidebar scan")
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        app.screen.query_one("#field-name", Input).value = "taken"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirm")
        await pilot.press("y")
        bench = current_bench(app)
        await wait_for(
            pilot, lambda: bench.spec.steps[0].module == "taken", "the promotion"
        )

    registry = Registry.open(workspace)
    try:
        assert registry.describe("taken").kind == "filter"
    finally:
        registry.close()


async def test_a_chain_shows_each_steps_output_on_request(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    steps = [StepSpec(str(wasm_file(tmp_path, f))) for f in ("filter", "map")]
    app = make_app(workspace, broker, [BenchSpec(steps, topic="fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "chain: filter → map")
        await wait_for_text(pilot, "✗ dropped")
        bench = current_bench(app)
        last_step = bench.output_view.render_row(0).plain
        await pilot.press("left_square_bracket")
        await wait_for_text(pilot, "step 1/2")
        await wait_for_text(pilot, "✓ apple")
        first_step = bench.output_view.render_row(0).plain

    assert last_step == "APPLE"
    assert first_step == "✓ apple"


async def test_scratch_lines_can_carry_keys(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "map")
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "7 records")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        app.screen.query_one("#field-topic", Input).value = "scratch"
        app.screen.query_one("#field-key_separator", Input).value = "="
        await pilot.press("enter")
        await wait_for_text(pilot, "Input · scratch · 0 records")
        # The form leaves the focus out of the editor; s enters it.
        await pilot.press("s", *"k1=pear")
        await wait_for_text(pilot, "k1 PEAR")


def _noted(app: SmartbenchApp, text: str) -> bool:
    return any(text in str(note.message) for note in app._notifications)
