"""Forms from keys and the palette: export, destructive commands, params."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from textual import events
from textual.command import CommandPalette
from textual.widgets import Button, Input, Static

from tests.tui.helpers import (
    FRUIT,
    TEST_CONFIG,
    bench_spec,
    current_bench,
    fruit_filter_app,
    make_app,
    make_topic,
    screen_lines,
    settle,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.bench import RUN_TOPIC_PREFIX, BenchSpec, StepSpec, is_run_topic
from workbench.engine.broker import Broker
from workbench.screens import ConfirmScreen, Field, FormScreen, TextScreen
from workbench.session import Session


async def test_the_prefilled_export_form_exports_as_it_stands(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        note = str(list(app._notifications)[-1].message)

    assert note == "exported to topic filter-out"
    exported = broker.read_records("filter-out", 0, 0, 10)
    assert [r.value for r in exported] == [b"apple", b"banana", b"grape", b"mango"]


async def test_a_chains_export_form_suggests_a_valid_topic_name(
    workspace: Path, samples: Broker
) -> None:
    steps = [StepSpec("quake-filter"), StepSpec("quake-line")]
    app = make_app(workspace, samples, [BenchSpec(steps, "earthquakes")])

    async with app.run_test(size=(120, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the run")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        suggested = app.screen.query_one("#field-output_topic", Input).value
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        note = str(list(app._notifications)[-1].message)

    assert suggested == "quake-filter-chain-out"
    assert note == "exported to topic quake-filter-chain-out"
    assert len(samples.read_records("quake-filter-chain-out", 0, 0, 100)) == 85


async def test_exporting_a_run_that_stopped_on_an_error_says_it_is_partial(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    values = [str(n) for n in range(1000)]
    values[41] = "forty-one"
    make_topic(broker, "numbers", values)
    module = wasm_file(tmp_path, "filter_map")
    app = make_app(workspace, broker, [bench_spec(module, "numbers")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "21 out · error at 41")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        note = str(list(app._notifications)[-1].message)

    assert note == (
        "exported to topic filter-map-out\npartial: the run stopped on an error; "
        "the output covers 41 of 1,000 input records"
    )
    assert len(broker.read_records("filter-map-out", 0, 0, 100)) == 21


async def test_an_export_form_with_both_targets_says_so_and_keeps_the_values(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        form.query_one("#field-file", Input).focus()
        await pilot.press(*"kept.jsonl", "enter")
        await wait_for_text(pilot, "give either a topic name or a file, not both")
        still_open = app.screen is form
        topic = form.query_one("#field-output_topic", Input).value

    assert still_open
    assert topic == "filter-out"
    assert not broker.topic_exists("filter-out")


async def test_deleting_a_topic_from_the_palette_asks_first_naming_it(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    make_topic(broker, "veggies", ["leek"])
    config = replace(TEST_CONFIG, poll_topics=True)
    session = Session(benches=[bench_spec(wasm_file(tmp_path, "map"), "fruit")])
    app = SmartbenchApp(workspace, broker, config, session=session)

    async def delete_fruit() -> ConfirmScreen:
        await pilot.press("ctrl+p", *"topic delete")
        await wait_for_text(pilot, "delete topics and their records")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press(*"fruit", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "asking")
        assert isinstance(app.screen, ConfirmScreen)
        return app.screen

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "7 records")
        first = await delete_fruit()
        question = str(first.query_one(Static).render())
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is not first, "the answer")
        kept_after_no = broker.topic_exists("fruit")

        await delete_fruit()
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), "output")
        await wait_for_text(pilot, "exit 0")
        await pilot.press("escape")
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.topic_gone, "the bench to see it")
        rows_left = bench.input_view.line_count()
        notes = [str(n.message) for n in app._notifications]

    assert "Delete topics: fruit?" in question
    assert "Benches reading it: map.wasm." in question
    assert kept_after_no
    assert not broker.topic_exists("fruit")
    assert broker.topic_exists("veggies")
    assert sum("topic fruit no longer exists" in note for note in notes) == 1
    assert rows_left == 0


async def test_the_params_form_names_the_bench_it_applies_to(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "fruit", contains="i")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "2 kept / 7")
        await pilot.press("ctrl+p")
        await wait_for(
            pilot, lambda: isinstance(app.screen, CommandPalette), "the palette"
        )
        await pilot.press(*"params")
        await wait_for_text(pilot, "set the bench's params")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        assert isinstance(app.screen, FormScreen)
        title = app.screen.form_title
        await wait_for_text(pilot, "— filter.wasm on fruit")

    assert title.endswith(" — filter.wasm on fruit")


async def test_the_params_form_fits_at_80_by_24_with_its_buttons_whole(
    workspace: Path, samples: Broker
) -> None:
    app = make_app(workspace, samples, [bench_spec("quake-filter", "earthquakes")])

    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "kept / 1,707")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await settle(pilot)
        screen = app.screen
        placed = {
            name: screen.find_widget(screen.query_one(f"#{name}", Button))
            for name in ("ok", "cancel")
        }
        screen_region = screen.region
        lines = screen_lines(app)

    for name, geometry in placed.items():
        assert screen_region.contains_region(geometry.region), name
        # Drawn whole, not clipped by the dialog it overflows.
        assert geometry.visible_region == geometry.region, name
    assert any(" OK " in line and " Cancel " in line for line in lines)


async def test_a_long_form_error_leaves_the_buttons_on_screen_at_80_by_24(
    workspace: Path, broker: Broker
) -> None:
    app = make_app(workspace, broker, [])
    long_problem = "\n".join(f"problem line {n}" for n in range(30))
    fields = [Field(f"field{n}", f"Field {n}", help="help") for n in range(4)]
    form = FormScreen("A form", fields, validate=lambda values: long_problem)

    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(form)
        await wait_for(pilot, lambda: app.screen is form, "the form")
        await pilot.press("enter")
        await wait_for_text(pilot, "problem line 0")
        await settle(pilot)
        placed = {
            name: form.find_widget(form.query_one(f"#{name}", Button))
            for name in ("ok", "cancel")
        }
        screen_region = form.region

    for name, geometry in placed.items():
        assert screen_region.contains_region(geometry.region), name
        assert geometry.visible_region == geometry.region, name


async def test_params_with_no_bench_open_says_so(
    workspace: Path, broker: Broker
) -> None:
    make_topic(broker, "fruit", FRUIT)
    app = make_app(workspace, broker, [])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "No bench open")
        await pilot.press("ctrl+p")
        await wait_for(
            pilot, lambda: isinstance(app.screen, CommandPalette), "the palette"
        )
        await pilot.press(*"params")
        await wait_for_text(pilot, "set the bench's params")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        note = str(list(app._notifications)[-1].message)
        screen = app.screen

    assert "no bench is open" in note
    assert not isinstance(screen, FormScreen)


async def test_a_session_naming_a_deleted_topic_opens_the_bench_on_scratch(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    module = wasm_file(tmp_path, "filter")
    session = Session(benches=[bench_spec(module, "gone")], existed=True)
    app = SmartbenchApp(workspace, broker, TEST_CONFIG, session=session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        note = str(list(app._notifications)[-1].message)
        bench = current_bench(app)
        bench.scratch_editor.insert("banana\nfig\n")
        await wait_for_text(pilot, "1 kept / 2")

    assert note.startswith("topic gone no longer exists; this bench reads scratch")
    assert bench.spec.topic is None


async def test_the_open_form_names_a_topic_that_does_not_exist(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        form.query_one("#field-module", Input).value = str(module)
        form.query_one("#field-topic", Input).value = "fruits"
        form.query_one("#field-module", Input).focus()
        await pilot.press("enter")
        await wait_for_text(pilot, "Topic fruits not found")
        still_open = app.screen is form
        benches = len(app.benches())

    assert still_open
    assert benches == 1


async def test_closing_a_bench_after_an_export_drops_its_run_topic(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        bench = current_bench(app)
        run_topic = bench.output_topic
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press("enter")
        await wait_for(pilot, lambda: broker.topic_exists("filter-out"), "export")
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        await pilot.press("ctrl+w")
        await wait_for(pilot, lambda: not app.benches(), "the bench to close")

    assert run_topic is not None and is_run_topic(run_topic)
    assert not broker.topic_exists(run_topic)
    assert len(broker.read_records("filter-out", 0, 0, 10)) == 4


async def test_run_topics_left_by_a_dead_app_are_dropped_at_start(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    orphan = f"{RUN_TOPIC_PREFIX}{gone.stdout.strip()}-0123456789"
    ours = f"{RUN_TOPIC_PREFIX}{os.getpid()}-0123456789"
    for name in (orphan, ours):
        make_topic(broker, name, ["left"])
    app = make_app(workspace, broker, [])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app._scanned_once, "the first scan")

    assert not broker.topic_exists(orphan)
    assert broker.topic_exists(ours)


async def test_the_open_form_names_a_missing_file_a_folder_or_an_unknown_module(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])
    tries = {
        str(tmp_path / "nope.wasm"): f"{tmp_path / 'nope.wasm'}: no such file",
        str(tmp_path): f"{tmp_path} is a directory, not a .wasm file",
        "no-such-module": "smartmodule no-such-module not found",
    }
    said = []

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        for module_text, message in tries.items():
            form.query_one("#field-module", Input).value = module_text
            form.query_one("#field-topic", Input).value = "fruit"
            form.query_one("#field-module", Input).focus()
            await pilot.press("enter")
            error = form.query_one("#form-error", Static)

            def shown(error: Static = error, message: str = message) -> bool:
                return message in str(error.render())

            await wait_for(pilot, shown, message)
            said.append(app.screen is form)
        benches = len(app.benches())

    assert said == [True, True, True]
    assert benches == 1


async def test_the_topic_form_completes_topic_names_and_lists_them(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    make_topic(broker, "vegetables", ["leek"])
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await wait_for(pilot, lambda: len(app.scan.topics) == 2, "the scan")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        field = app.screen.query_one("#field-topic", Input)
        field.value = ""
        field.focus()
        await pilot.press(*"veg", "right")
        completed = field.value
        await pilot.press("enter")
        await wait_for_text(pilot, "Input · vegetables")

    assert completed == "vegetables"


async def test_enter_pressed_twice_quickly_closes_the_form_once(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        # Both presses reach the driver before the first is handled, as with a
        # key repeat (Pilot's own press waits for the app between keys).
        driver = app._driver
        assert driver is not None
        for _ in range(2):
            key = events.Key("enter", "\r")
            key.set_sender(app)
            driver.send_message(key)
        await settle(pilot)
        await pilot.press("escape", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "again")

    assert app.return_code in (None, 0)
