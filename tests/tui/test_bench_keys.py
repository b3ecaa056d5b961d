"""Keys shown where they apply: promote only on a module opened from a file."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.tui.helpers import (
    bench_spec,
    current_bench,
    make_app,
    screen_lines,
    screen_text,
    settle,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.engine.broker import Broker
from workbench.screens import FormScreen, HelpScreen


async def test_promote_is_offered_only_on_a_bench_of_a_module_file(
    workspace: Path, samples: Broker, tmp_path: Path
) -> None:
    module = wasm_file(tmp_path, "filter")
    registered = bench_spec("quake-filter", "earthquakes")
    app = make_app(workspace, samples, [registered, bench_spec(module, "earthquakes")])

    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        registered_footer = screen_lines(app)[-1]
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        registered_help = screen_text(app)
        await pilot.press("escape", "P")
        await wait_for(pilot, lambda: len(app._notifications) > 0, "a note")
        note = str(list(app._notifications)[-1].message)
        no_form = not isinstance(app.screen, FormScreen)
        await pilot.press("ctrl+pagedown")
        await wait_for(pilot, lambda: current_bench(app).spec.steps[0].is_path, "2")
        await settle(pilot)
        file_footer = screen_lines(app)[-1]

    assert "Promote" not in registered_footer and "Promote" not in registered_help
    assert note.startswith("quake-filter is already a registered SmartModule;")
    assert no_form
    assert "P Promote" in file_footer


async def test_the_footer_has_one_key_for_both_directions_between_benches(
    workspace: Path, samples: Broker, tmp_path: Path
) -> None:
    module = wasm_file(tmp_path, "filter")
    benches = [bench_spec("quake-filter", "earthquakes"), bench_spec(module, None)]
    app = make_app(workspace, samples, benches)

    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        footer = screen_lines(app)[-1]

    assert "^pgup/dn Benches" in footer


async def test_a_bench_opened_past_the_right_edge_of_the_tabs_is_scrolled_to(
    workspace: Path, samples: Broker, tmp_path: Path
) -> None:
    names = ["quake-filter", "quake-line", "quake-split", "late-flights"]
    benches = [bench_spec(name, "earthquakes") for name in names * 2]
    app = make_app(workspace, samples, benches)

    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.add_bench(bench_spec(wasm_file(tmp_path, "filter"), "earthquakes"))
        await settle(pilot)
        tab_row = screen_lines(app)[1]

    assert tab_row.rstrip().endswith("filter.wasm"), tab_row


async def test_a_module_that_fails_to_load_leaves_the_editor_and_says_so(
    workspace: Path, samples: Broker, tmp_path: Path
) -> None:
    not_wasm = tmp_path / "notwasm.wasm"
    not_wasm.write_text("just text\n")
    typing = bench_spec("quake-filter", None)
    typing.scratch_text = '{"mag": 5}'
    app = make_app(workspace, samples, [typing])

    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        app.action_open_module()
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        form = app.screen
        form.query_one("#field-module", Input).value = str(not_wasm)
        await pilot.press("enter")
        await wait_for_text(pilot, "not a WebAssembly module")
        await settle(pilot)
        bench = current_bench(app)
        output_focused = app.focused is bench.output_view
        failed_screen = screen_text(app)
        await pilot.press("ctrl+w")
        await wait_for(pilot, lambda: len(app.benches()) == 1, "the close")
        await settle(pilot)
        closed_screen = screen_text(app)

    assert bench.spec.topic is None
    assert output_focused
    assert "Output · module not loaded" in failed_screen
    assert "notwasm.wasm path" in failed_screen
    assert "notwasm.wasm" not in closed_screen
