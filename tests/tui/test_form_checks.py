"""Forms check their values first and say what is wrong inside, keeping them."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from tests.tui.helpers import (
    FRUIT,
    bench_spec,
    make_app,
    make_topic,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker
from workbench.screens import FormScreen


def _filter_app(workspace: Path, broker: Broker, tmp_path: Path) -> SmartbenchApp:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "filter")
    return make_app(workspace, broker, [bench_spec(module, "fruit")])


def _form_error(form: FormScreen) -> str:
    return str(form.query_one("#form-error", Static).render())


async def test_the_export_form_refuses_a_taken_topic_and_bad_files_staying_open(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = _filter_app(workspace, broker, tmp_path)
    typed = [
        ("fruit", "", "topic fruit already exists; an export makes a new topic"),
        ("Kept", "", "a topic name is lowercase: 'kept' would do"),
        ("", "/nonexistent/dir/out.jsonl", "folder /nonexistent/dir does not exist"),
        ("", str(tmp_path), f"{tmp_path} is a folder; give a file name in it"),
    ]
    shown = []

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        assert isinstance(form, FormScreen)
        for topic, file, _ in typed:
            form.query_one("#field-output_topic", Input).value = topic
            form.query_one("#field-file", Input).value = file
            form.query_one("#field-file", Input).focus()
            await pilot.press("enter")
            await pilot.pause()
            values = form.values()
            shown.append((app.screen is form, values["file"], _form_error(form)))

    for (_, file, message), (still_open, kept, error) in zip(typed, shown, strict=True):
        assert still_open and kept == file
        assert error.startswith(message), error
    assert not app._notifications


async def test_accepting_the_suggested_export_topic_works_a_second_time(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = _filter_app(workspace, broker, tmp_path)
    suggested = []

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        for count in (1, 2):

            def noted(count: int = count) -> bool:
                return len(app._notifications) == count

            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "form")
            field = app.screen.query_one("#field-output_topic", Input)
            suggested.append(field.value)
            await pilot.press("enter")
            await wait_for(pilot, noted, "a note")
        notes = [str(n.message) for n in app._notifications]

    assert suggested == ["filter-out", "filter-out-2"]
    assert notes == ["exported to topic filter-out", "exported to topic filter-out-2"]
    assert len(broker.read_records("filter-out-2", 0, 0, 10)) == 4


async def test_the_promote_form_says_the_name_rule_that_is_broken(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = _filter_app(workspace, broker, tmp_path)
    typed = {
        "": "give the SmartModule a name",
        "-lead": "a SmartModule name starts and ends with a letter or digit, not '-'",
        "my_mod": "a SmartModule name holds only letters a-z, digits 0-9 and '-', "
        "not '_'",
    }
    shown = {}

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        assert isinstance(form, FormScreen)
        for name in typed:
            form.query_one("#field-name", Input).value = name
            await pilot.press("enter")
            await pilot.pause()
            still_open = app.screen is form
            shown[name] = _form_error(form) if still_open else "closed"

    assert shown == typed


async def test_the_topic_form_asks_for_a_topic_when_left_empty(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = _filter_app(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#field-topic", Input).value = ""
        await pilot.press("enter")
        await wait_for_text(pilot, "give a topic name, or 'scratch'")
        still_open = app.screen is form
        await pilot.press(*"scratch", "enter")
        await wait_for_text(pilot, "Input · scratch")

    assert still_open
