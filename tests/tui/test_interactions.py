"""Palette, help, record detail, search, theme, produce, export, hide dropped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input

from tests.tui.helpers import (
    FRUIT,
    bench_spec,
    current_bench,
    fruit_filter_app,
    make_app,
    make_topic,
    screen_text,
    settle,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.engine.broker import Broker
from workbench.screens import FormScreen, HelpScreen, RecordDetailScreen, TextScreen
from workbench.widgets.output_view import STREAM
from workbench.widgets.record_view import RecordView


async def test_palette_lists_registry_commands_and_opens_a_prefilled_form(
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
        params = app.screen.query_one("#field-params", Input)
        text = screen_text(app)

    assert params.value == "contains=i"
    assert "parameter for the module's init, as KEY=value" in text


async def test_f1_explains_the_focused_pane(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "7 records")
        await pilot.press("tab", "f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        text = screen_text(app)

    assert "The module's output." in text
    assert "Run the whole topic" in text or "Run" in text


async def test_enter_opens_the_record_pretty_printed(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "json", ['{"name": "kiwi", "n": [1, 2]}'])
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "json")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "1 record")
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecordDetailScreen), "detail"
        )
        text = screen_text(app)

    assert '"name": "kiwi",' in text
    assert "offset 0" in text and "key NULL" in text


async def test_a_binary_record_opens_as_a_hex_dump_with_key_and_time(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    broker.create_topic("raw")
    value = bytes(range(0, 256, 15))
    broker.produce("raw", [value], [b"sensor-7"], timestamps=1_700_000_000_000)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "raw")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "1 record")
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecordDetailScreen), "detail"
        )
        text = screen_text(app)

    assert "00000000  00 0f 1e 2d 3c 4b 5a 69 78 87 96 a5 b4 c3 d2 e1" in text
    assert "key sensor-7" in text
    assert "timestamp 2023-11-14 22:13:20 UTC" in text


async def test_c_in_the_detail_view_copies_the_value_to_the_clipboard(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", ["apple", "banana"])
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "2 records")
        await pilot.press("down", "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecordDetailScreen), "detail"
        )
        await pilot.press("c")
        await pilot.pause()

    assert app.clipboard == "banana"


async def test_search_moves_the_cursor_to_the_next_match(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT * 50)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "350 records")
        bench = current_bench(app)
        await pilot.press("slash", *"plum", "enter")
        await wait_for(pilot, lambda: bench.input_view.cursor == 5, "first match")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bench.input_view.cursor == 12, "next match")


async def test_produce_from_the_form_appends_to_the_topic(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "7 records")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        app.screen.query_one("#field-key", Input).value = "k1"
        await pilot.press(*"pear", "enter")
        # Offset, the time it was produced (now), key and value.
        await wait_for_text(pilot, " k1 pear")
        await wait_for_text(pilot, "      7 ")
        await wait_for_text(pilot, "k1 PEAR")

    stored = broker.read_records("fruit", 0, 7, 1)
    assert [(r.key, r.value) for r in stored] == [(b"k1", b"pear")]


async def test_hide_dropped_then_export_the_kept_records(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = fruit_filter_app(workspace, broker, tmp_path)
    exported = tmp_path / "kept.jsonl"

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        bench = current_bench(app)
        await pilot.press("h")
        await wait_for(pilot, lambda: bench.output_view.mode == STREAM, "hidden")
        kept = [bench.output_view.render_row(i).plain for i in range(4)]

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        app.screen.query_one("#field-output_topic", Input).value = ""
        app.screen.query_one("#field-file", Input).value = str(exported)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        note = list(app._notifications)[-1].message

    assert note == f"exported to {exported}"
    assert [line.split()[0] for line in kept] == ["0", "2", "4", "6"]
    lines = exported.read_text().splitlines()
    assert [json.loads(line)["value"] for line in lines] == [
        "apple",
        "banana",
        "grape",
        "mango",
    ]


def _row_backgrounds(view: RecordView) -> list[object]:
    # The background of each drawn line's last cell (the padding after the text).
    styles = [view.render_line(y)._segments[-1].style for y in (2, 3, 4)]
    return [style.bgcolor if style is not None else None for style in styles]


async def test_theme_toggles_and_is_remembered(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "7 records")
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.window is not None, "the window")
        dark_rows = _row_backgrounds(bench.input_view)
        await pilot.press("ctrl+t")
        await settle(pilot)
        theme = app.theme
        light_rows = _row_backgrounds(bench.input_view)
        light_pane = bench.input_view.rich_style.bgcolor

    assert theme == "textual-light"
    # Every drawn row takes the new colours at once, not only the pane around it.
    assert light_rows != dark_rows
    assert set(light_rows) == {light_pane}
    saved = json.loads((workspace / "tui-session.json").read_text())
    assert saved["theme"] == "textual-light"


def test_bench_logic_imports_no_ui_toolkit() -> None:
    probe = (
        "import sys, workbench.bench, workbench.session\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


async def test_a_registry_command_from_the_palette_runs_and_shows_its_output(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "7 records")
        await pilot.press("ctrl+p", *"topic create")
        await wait_for_text(pilot, "Create topic")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press(*"veggies", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), "output")
        await wait_for_text(pilot, "exit 0")
        await pilot.press("escape")
        await wait_for(pilot, lambda: "veggies" in dict(app.scan.topics), "rescan")

    assert broker.topic_exists("veggies")


async def test_the_palette_has_one_theme_entry_the_workbenchs_own(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = make_app(workspace, broker, [])

    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        system = [command.title for command in app.get_system_commands(app.screen)]

    assert "Theme" not in system
    assert "Quit" in system
