"""Watch in the app: toggle with a key, reload on a new file, show the diff."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from textual.widgets import Input, RichLog, Select

from tests.engine import wat_fixtures
from tests.tui.helpers import (
    TEST_CONFIG,
    bench_spec,
    current_bench,
    make_topic,
    screen_text,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker
from workbench.engine.registry import Registry
from workbench.screens import ConfirmScreen, FormScreen
from workbench.session import Session, load_session

WATCHING = replace(TEST_CONFIG, watch_enabled=True)


def _replace_atomically(path: Path, fixture: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(wat_fixtures.wasm(fixture))
    os.replace(temporary, path)


async def test_watch_reloads_a_rebuilt_module_and_shows_the_diff(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "kiwi", "banana"])
    module = wasm_file(tmp_path, "map")
    session = Session(benches=[bench_spec(module, "words")], existed=True)
    app = SmartbenchApp(workspace, broker, WATCHING, session=session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "BANANA")
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "dialog")
        await pilot.press("enter")
        await wait_for_text(pilot, "watching map.wasm")

        _replace_atomically(module, "filter")
        await wait_for_text(pilot, "= 2 changed, 0 added, 1 removed, 0 unchanged")
        await wait_for_text(pilot, "2 kept / 3")
        bench = current_bench(app)
        text = screen_text(app)
        header = bench.header_text().plain

        await pilot.press("w")
        await pilot.pause()
        stopped = not bench.spec.watch

    assert "~ 0  ALPHA → alpha" in text
    assert "- 1  KIWI" in text
    assert "watch on" in header and "reloaded" in header
    assert stopped
    assert str(module) in load_session(workspace).watch_builds


async def test_a_module_that_fails_to_load_keeps_the_old_one_running(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "kiwi"])
    module = wasm_file(tmp_path, "map")
    spec = bench_spec(module, "words")
    spec.watch = True
    session = Session(benches=[spec], existed=True)
    app = SmartbenchApp(workspace, broker, WATCHING, session=session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "watching map.wasm")
        _replace_atomically(module, "no_transform")
        await wait_for_text(pilot, "reload failed")
        await pilot.press("down")
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.input_view.cursor == 1, "the cursor")
        # The window may still be on its way on a loaded machine; it must come
        # from the old module, which is still running.
        await wait_for(pilot, lambda: bench.window is not None, "the window")
        kept_output = bench.output_view.render_row(1).plain
        header = bench.header_text().plain

    assert kept_output == "KIWI"
    assert "map.wasm · map" in header


async def test_a_build_on_source_change_reloads_and_a_failing_one_keeps_the_module(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "kiwi", "banana"])
    module = wasm_file(tmp_path, "map")
    variants = tmp_path / "variants"
    variants.mkdir()
    (variants / "filter.wasm").write_bytes(wat_fixtures.wasm("filter"))
    source = tmp_path / "src"
    source.mkdir()
    choice = source / "which.txt"
    choice.write_text("map\n")
    # The "build" copies the variant named in the source file over the module;
    # a name with no variant makes it fail like a compile error would.
    staged = tmp_path / "staged"
    build = f"cp {variants}/$(cat {choice}).wasm {staged} && mv {staged} {module}"
    session = Session(benches=[bench_spec(module, "words")], existed=True)
    app = SmartbenchApp(workspace, broker, WATCHING, session=session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "BANANA")
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "dialog")
        app.screen.query_one("#field-build", Input).value = build
        app.screen.query_one("#field-src", Input).value = str(source)
        await pilot.press("enter")
        await wait_for_text(pilot, "watching map.wasm")

        choice.write_text("filter\n")
        await wait_for_text(pilot, "2 kept / 3")
        await wait_for_text(pilot, "- 1  KIWI")

        choice.write_text("no-such-variant\n")
        await wait_for_text(pilot, "build failed")
        bench = current_bench(app)
        header = bench.header_text().plain

    assert "filter" in header
    assert module.read_bytes() == wat_fixtures.wasm("filter")


async def test_the_palettes_watch_form_turns_watch_off_when_it_is_on(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "kiwi", "banana"])
    module = wasm_file(tmp_path, "map")
    session = Session(benches=[bench_spec(module, "words")], existed=True)
    app = SmartbenchApp(workspace, broker, WATCHING, session=session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "BANANA")
        bench = current_bench(app)
        offered: list[str] = []
        for _ in range(2):
            app._form("watch")
            await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "form")
            offered.append(str(app.screen.query_one("#field-watch", Select).value))
            await pilot.press("enter")
            await wait_for(pilot, lambda: not isinstance(app.screen, FormScreen), "")
            await wait_for(pilot, lambda: bench.spec.watch is (offered[-1] == "on"), "")
        watching = bench._watcher is not None

    assert offered == ["on", "off"]
    assert not watching


async def test_a_registered_bench_watching_its_source_says_when_to_promote_again(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "kiwi"])
    source = wasm_file(tmp_path, "map")
    registry = Registry.open(workspace)
    try:
        registry.create("shout", source)
    finally:
        registry.close()
    spec = bench_spec("shout", "words")
    spec.watch = True
    session = Session(benches=[spec], existed=True)
    app = SmartbenchApp(workspace, broker, WATCHING, session=session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "watching map.wasm")
        bench = current_bench(app)
        _replace_atomically(source, "filter")
        await wait_for_text(pilot, "source newer than registered — promote again")
        still_registered = bench.header_text().plain
        _replace_atomically(source, "map")
        await wait_for_text(pilot, "same as registered")

    # The bench keeps running the registered copy: a map, by its name.
    assert still_registered.startswith("shout · map")


def _register(workspace: Path, name: str, source: Path) -> None:
    registry = Registry.open(workspace)
    try:
        registry.create(name, source)
    finally:
        registry.close()


def _noted(app: SmartbenchApp, text: str) -> bool:
    return any(text in str(note.message) for note in app._notifications)


async def test_promote_again_registers_the_followed_source_under_the_same_name(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "kiwi"])
    source = wasm_file(tmp_path, "map")
    _register(workspace, "shout", source)
    spec = bench_spec("shout", "words")
    spec.watch = True
    session = Session(benches=[spec], existed=True)
    app = SmartbenchApp(workspace, broker, WATCHING, session=session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "watching map.wasm")
        bench = current_bench(app)
        _replace_atomically(source, "filter")
        await wait_for_text(pilot, "source newer than registered — promote again")
        # The Output pane still shows the registered map: no reload, no diff.
        await wait_for(pilot, lambda: _noted(app, "P promotes it"), "the toast")
        reload_claimed = _noted(app, "changed, 0 added")
        diff_shown = bench.query_one("#diff-panel").display
        kept_output = bench.output_view.render_row(1).plain

        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        prefilled = app.screen.query_one("#field-name", Input).value
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirm")
        await pilot.press("y")
        await wait_for_text(pilot, "watching map.wasm; same as registered")
        await wait_for_text(pilot, "1 kept / 2")
        header = bench.header_text().plain

    assert not reload_claimed
    assert not diff_shown
    assert kept_output == "KIWI"
    assert prefilled == "shout"
    assert header.startswith("shout · filter")
    registry = Registry.open(workspace)
    try:
        assert registry.describe("shout").kind == "filter"
    finally:
        registry.close()


async def test_a_registered_bench_compares_its_source_when_the_watch_starts(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "kiwi"])
    source = wasm_file(tmp_path, "map")
    _register(workspace, "shout", source)
    # Rebuilt while the app was not running.
    _replace_atomically(source, "filter")
    spec = bench_spec("shout", "words")
    spec.watch = True
    session = Session(benches=[spec], existed=True)
    app = SmartbenchApp(workspace, broker, WATCHING, session=session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(
            pilot, "watching map.wasm; source newer than registered — promote again"
        )


async def test_a_failed_build_says_why_and_where_its_log_is(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "kiwi"])
    module = wasm_file(tmp_path, "map")
    source = tmp_path / "src"
    source.mkdir()
    (source / "main.c").write_text("1\n")
    build = f"cp {tmp_path}/missing.wasm {module}"
    session = Session(benches=[bench_spec(module, "words")], existed=True)
    app = SmartbenchApp(workspace, broker, WATCHING, session=session)
    log_path = workspace / "logs" / "build-map.log"

    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_text(pilot, "KIWI")
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "dialog")
        app.screen.query_one("#field-build", Input).value = build
        app.screen.query_one("#field-src", Input).value = str(source)
        await pilot.press("enter")
        await wait_for_text(pilot, "watching map.wasm")
        (source / "main.c").write_text("2\n")
        await wait_for(pilot, lambda: _noted(app, "cannot stat"), "the reason")
        toast_names_log = _noted(app, str(log_path))
        bench = current_bench(app)
        await pilot.press("l")
        await pilot.pause()
        log_panel = bench.query_one("#log-panel", RichLog)
        logged = "\n".join(line.text for line in log_panel.lines)

    assert toast_names_log
    assert "cannot stat" in logged
    assert "cannot stat" in log_path.read_text()
