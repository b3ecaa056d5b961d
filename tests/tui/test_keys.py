"""Keys a new user reaches for: moving between benches, leaving the scratch
editor, where the focus goes after a dialog, and how forms are titled."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Label, Static

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
from workbench.app import SmartbenchApp, command_title
from workbench.commands import app_commands
from workbench.engine.broker import Broker
from workbench.screens import FormScreen, HelpScreen
from workbench.session import Session
from workbench.widgets.output_view import OutputView

FRUIT = ["apple", "kiwi", "banana", "fig"]


def _two_benches(workspace: Path, broker: Broker, tmp_path: Path) -> SmartbenchApp:
    make_topic(broker, "fruit", FRUIT)
    upper = bench_spec(wasm_file(tmp_path, "map"), "fruit")
    kiwi = bench_spec(wasm_file(tmp_path, "filter"), "fruit", contains="i")
    return make_app(workspace, broker, [upper, kiwi])


def _selected_module(app: SmartbenchApp) -> str:
    return Path(current_bench(app).spec.steps[0].module).stem


async def test_keys_move_between_benches_and_wrap_around(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = _two_benches(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 records")
        await settle(pilot)
        first = _selected_module(app)
        await pilot.press("ctrl+pagedown")
        after_next = _selected_module(app)
        footer = screen_text(app).splitlines()[-1]
        await pilot.press("ctrl+pagedown")
        wrapped = _selected_module(app)
        await pilot.press("ctrl+pageup")
        after_previous = _selected_module(app)
        await pilot.press("less_than_sign")
        after_less = _selected_module(app)
        await pilot.press("greater_than_sign")
        after_greater = _selected_module(app)

    assert (first, after_next, wrapped) == ("map", "filter", "map")
    assert (after_previous, after_less, after_greater) == ("filter", "map", "filter")
    assert "^pgup/dn Benches" in footer


async def test_the_footer_keeps_promote_on_a_path_bench_at_80_by_24(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = _two_benches(workspace, broker, tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "4 records")
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]

    assert "P Promote" in footer


async def test_the_footer_shows_bench_keys_only_while_a_bench_is_open(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    app = make_app(workspace, broker, [])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "No bench open")
        await settle(pilot)
        empty_footer = screen_text(app).splitlines()[-1]
        app.add_bench(bench_spec(wasm_file(tmp_path, "map"), "fruit"))
        await wait_for_text(pilot, "4 records")
        await settle(pilot)
        bench_footer = screen_text(app).splitlines()[-1]
        await pilot.press("ctrl+w")
        await wait_for_text(pilot, "No bench open")
        await settle(pilot)
        closed_footer = screen_text(app).splitlines()[-1]

    for footer in (empty_footer, closed_footer):
        assert "o Open" in footer
        assert "t Topic" not in footer and "P Promote" not in footer
    assert "t Topic" in bench_footer and "P Promote" in bench_footer


async def test_palette_goes_to_a_bench_by_name(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = _two_benches(workspace, broker, tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 records")
        await pilot.press("ctrl+p")
        await wait_for(
            pilot, lambda: isinstance(app.screen, CommandPalette), "the palette"
        )
        await pilot.press(*"go to bench 2")
        await wait_for_text(pilot, "Go to bench 2: filter.wasm")
        await pilot.press("enter")
        await wait_for(pilot, lambda: _selected_module(app) == "filter", "bench 2")
        await pilot.press("ctrl+p")
        await wait_for(
            pilot, lambda: isinstance(app.screen, CommandPalette), "the palette"
        )
        await pilot.press(*"next bench", "enter")
        await wait_for(pilot, lambda: _selected_module(app) == "map", "bench 1")


async def test_f1_lists_the_keys_between_benches(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, "4 records")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        text = screen_text(app)

    for key, does in [("^pgdn", "Next bench"), (">", "Next bench")]:
        assert any(key in line and does in line for line in text.splitlines())
    assert any("^pgup" in line and "Prev bench" in line for line in text.splitlines())


async def test_escape_leaves_the_scratch_editor_so_keys_work_again(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), None)])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "Input · scratch · 0 records")
        bench = current_bench(app)
        await pilot.press(*"pear")
        await wait_for_text(pilot, "PEAR")
        await pilot.press("escape")
        focused_after_escape = app.focused
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "params")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, FormScreen), "back")
        await pilot.press("s", *" plum")
        await wait_for_text(pilot, "PEAR PLUM")
        typed = bench.scratch_editor.text

    assert isinstance(focused_after_escape, OutputView)
    assert typed == "pear plum"


async def test_ctrl_w_closes_a_scratch_bench_while_typing_in_it(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), None)])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "Input · scratch · 0 records")
        await pilot.press(*"pear plum")
        await wait_for_text(pilot, "PEAR PLUM")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        help_lines = screen_text(app).splitlines()
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), "back")
        typed_before = current_bench(app).scratch_editor.text
        await pilot.press("ctrl+w")
        await wait_for(pilot, lambda: not app.benches(), "the bench closed")

    assert typed_before == "pear plum"
    assert any("^w" in line and "Close" in line for line in help_lines)
    assert any("Ctrl+W closes the bench" in line for line in help_lines)


async def test_a_dialog_gives_the_focus_back_not_to_the_editor(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    spec = bench_spec(wasm_file(tmp_path, "map"), None)
    spec.scratch_text = "pear"
    app = make_app(workspace, broker, [spec])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "PEAR")
        await pilot.press("escape", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "topic")
        # The form offers scratch (the bench's input); Enter keeps it.
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, FormScreen), "back")
        await settle(pilot)
        focused_after_form = app.focused
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "params")
        typed = current_bench(app).scratch_editor.text

    assert isinstance(focused_after_form, OutputView)
    assert typed == "pear"


async def test_switching_to_a_scratch_bench_does_not_type_into_its_editor(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    module = wasm_file(tmp_path, "map")
    scratch = bench_spec(module, None)
    scratch.scratch_text = "pear"
    benches = [bench_spec(module, "fruit"), scratch, bench_spec(module, "fruit")]
    session = Session(benches=benches, existed=True)
    app = SmartbenchApp(workspace, broker, make_app(workspace, broker).config, session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 records")
        await pilot.press("greater_than_sign")
        await wait_for_text(pilot, "PEAR")
        await pilot.press("greater_than_sign")
        selected = app.benches().index(current_bench(app))
        typed = app.benches()[1].scratch_editor.text

    assert selected == 2
    assert typed == "pear"


def test_palette_titles_read_as_words_not_command_names() -> None:
    titles = {command.path: command_title(command) for command in app_commands()}

    assert titles[("app", "abi")] == "ABI version"
    assert titles[("smartmodule", "list")] == "List SmartModules"
    assert titles[("topic", "create")] == "Create topic"
    for path, title in titles.items():
        assert title[0].isupper(), path
        for word in ("Abi", "Smartmodule", "Json", "Wasm"):
            assert word not in title.split(), (path, title)


async def test_the_abi_form_is_titled_abi_version(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 records")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        title = app.screen.query_one(".dialog-title", Label).content
        help_text = app.screen.query_one(".dialog-help", Static).content

    assert str(title) == "ABI version — map.wasm on fruit"
    assert str(help_text).startswith("Set the ABI version the bench's modules see")


async def test_lined_up_panes_stay_lined_up_when_a_bar_opens_below_them(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", [f"{'a' if n % 3 else 'b'}{n}" for n in range(100)])
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "words")])
    apart = []
    cursor_hidden = []

    async with app.run_test(size=(80, 24)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.window is not None, "the window")
        await pilot.press("tab", *["down"] * 30)
        for keys in (["slash"], ["escape"], ["r"]):
            await pilot.press(*keys)
            await settle(pilot)
            await pilot.pause(0.2)
            tops = (bench.input_view.scroll_offset.y, bench.output_view.scroll_offset.y)
            apart.append(tops[0] != tops[1])
            top, bottom = bench.output_view.visible_range()
            cursor_hidden.append(not top <= bench.output_view.cursor < bottom)

    assert apart == [False, False, False]
    # The search bar takes the focus, but the pane being searched still leads.
    assert cursor_hidden == [False, False, False]


async def test_hiding_the_sidebar_gives_the_focus_back_to_the_bench(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "beta"])
    make_topic(broker, "other", ["gamma"])
    module = wasm_file(tmp_path, "filter")
    app = make_app(workspace, broker, [bench_spec(module, "words")])

    async with app.run_test(size=(100, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.window is not None, "the window")
        # Below 120 columns the sidebar starts hidden: show it, move in it, hide it.
        await pilot.press("ctrl+b", "down", "ctrl+b")
        await settle(pilot)
        on_input = app.focused is bench.input_view
        await pilot.press("down", "enter")
        await settle(pilot)
        topic = bench.spec.topic

    assert on_input
    assert topic == "words"


async def test_d_before_any_reload_says_how_to_get_a_diff(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha"])
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "words")])

    async with app.run_test(size=(100, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.window is not None, "the window")
        await pilot.press("d")
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        note = str(list(app._notifications)[-1].message)
        panel_shown = bench.query_one("#diff-panel").display

    assert note.startswith("no reload yet: turn watch on (w)")
    assert not panel_shown
