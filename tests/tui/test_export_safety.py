"""Export only a finished run's output, and leave nothing behind when it fails."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from tests.tui.helpers import (
    bench_spec,
    big_topic_app,
    current_bench,
    fruit_filter_app,
    make_app,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker
from workbench.screens import FormScreen


def _notes(app: SmartbenchApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_export_is_refused_while_a_run_is_in_progress(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = big_topic_app(workspace, broker, tmp_path, "slow_map")

    async with app.run_test(size=(100, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_progress is not None, "the run")
        await pilot.press("x")
        await pilot.pause()
        form_opened = isinstance(app.screen, FormScreen)
        notes = _notes(app)

    assert not form_opened
    assert notes == [
        "a whole-topic run is in progress; export when it ends (Esc cancels it)"
    ]
    assert not broker.topic_exists("slow-map-out")


async def test_a_run_started_while_the_export_form_is_open_keeps_it_open(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = big_topic_app(workspace, broker, tmp_path, "slow_map")

    async with app.run_test(size=(120, 30)) as pilot:
        bench = current_bench(app)
        # A cancelled run's output can be exported (as partial).
        await wait_for(pilot, lambda: bench.run_progress is not None, "the run")
        await pilot.press("escape")
        await wait_for(pilot, lambda: bench.run_summary is not None, "the end")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        # As if r had been pressed just before x: the run starts under the form.
        bench.action_run_topic()
        await pilot.press("enter")
        await pilot.pause()
        still_open = app.screen is form
        error = str(form.query_one("#form-error", Static).render())

    assert still_open
    assert error.startswith("a whole-topic run is in progress")
    assert not broker.topic_exists("slow-map-out")


async def test_an_export_whose_source_is_dropped_keeps_no_target(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)
    file = tmp_path / "out.jsonl"

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        # What an export finds when a new run dropped its source mid-copy.
        app._export("smartbench-run-gone", "kept", None, "")
        app._export("smartbench-run-gone", None, str(file), "")
        await wait_for(pilot, lambda: len(app._notifications) >= 2, "two notes")
        notes = sorted(_notes(app))

    replaced = "a new run replaced the output while it was being copied"
    assert notes == [
        f"export to {file} failed: {replaced}; nothing was kept",
        f"export to topic kept failed: {replaced}; nothing was kept",
    ]
    assert not broker.topic_exists("kept")
    assert list(tmp_path.glob("*out.jsonl*")) == []


async def test_an_export_file_that_cannot_be_created_is_caught_by_the_form(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        form.query_one("#field-output_topic", Input).value = ""
        form.query_one("#field-file", Input).value = "/proc/x.jsonl"
        form.query_one("#field-file", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        still_open = app.screen is form
        error = str(form.query_one("#form-error", Static).render())
        # Past the form (the folder changed after the check): said, nothing kept.
        app._export(current_bench(app).output_topic or "", None, "/proc/y.jsonl", "")
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        notes = _notes(app)

    assert still_open
    assert error == "cannot write /proc/x.jsonl: folder /proc does not take new files"
    assert notes == [
        "export to /proc/y.jsonl failed: cannot write /proc/y.jsonl: folder /proc "
        "does not take new files; nothing was kept"
    ]


async def test_export_without_run_output_says_why_before_any_form(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        bench = current_bench(app)
        broker.delete_topic("fruit")
        await pilot.press("r")
        await wait_for(pilot, lambda: bench.topic_gone, "the deletion")
        await pilot.press("x")
        await pilot.pause()
        form_after_delete = isinstance(app.screen, FormScreen)
        notes = _notes(app)

    assert not form_after_delete
    assert notes[-1] == (
        "topic fruit no longer exists, so there is no run output to export; "
        "press t to pick another"
    )


async def test_export_on_scratch_input_says_there_is_no_run_output(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, None)])

    async with app.run_test(size=(120, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.loaded is not None, "the module")
        bench.input_view.focus()
        await pilot.press("x")
        await pilot.pause()
        form_opened = isinstance(app.screen, FormScreen)
        notes = _notes(app)

    assert not form_opened
    assert notes == ["export copies a whole-topic run's output; scratch input has none"]
