"""Start-up: what the shell asked for, the first run and the saved session agree."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from tests.tui.helpers import (
    TEST_CONFIG,
    bench_spec,
    current_bench,
    make_topic,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.commands import build_parser, parse_command_line
from workbench.engine.broker import Broker
from workbench.session import Session, load_session, session_path

WATCHING = replace(TEST_CONFIG, watch_enabled=True)
WORDS = ["alpha", "kiwi", "banana"]


def shell_start(
    path: str | None = None, topic: str | None = None, transforms: str | None = None
) -> argparse.Namespace:
    """What `smartbench [PATH] [-t FILE] [--topic T]` parses to."""
    return argparse.Namespace(
        path=path, transforms=transforms, transforms_line=[], topic=topic
    )


def scanned(app: SmartbenchApp) -> bool:
    """True once the first scan of the workspace reached the app."""
    return bool(app.scan.topics)


async def test_a_path_from_the_shell_starts_watch_on_a_first_run(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", WORDS)
    module = wasm_file(tmp_path, "map")
    start = shell_start(str(module), "words")
    app = SmartbenchApp(workspace, broker, WATCHING, Session(), start_command=start)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "watching map.wasm")
        await wait_for_text(pilot, "BANANA")
        watch = current_bench(app).spec.watch
        count = len(app.benches())

    assert watch
    assert count == 1


async def test_a_palette_command_from_the_shell_applies_to_the_first_run_bench(
    workspace: Path, samples: Broker
) -> None:
    start = parse_command_line(build_parser(), ["app", "params", "-e", "min_mag=6"])
    app = SmartbenchApp(workspace, samples, TEST_CONFIG, start_command=start)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "5 kept / 1,707")
        params = current_bench(app).spec.steps[0].params

    assert params == {"min_mag": "6"}


async def test_a_chain_from_the_shell_becomes_the_selected_tab(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", WORDS)
    earlier = bench_spec(wasm_file(tmp_path, "map"), "words")
    chain = tmp_path / "transforms.yaml"
    chain.write_text(f"transforms:\n  - uses: {wasm_file(tmp_path, 'filter')}\n")
    start = shell_start(topic="words", transforms=str(chain))
    session = Session(benches=[earlier], existed=True)
    app = SmartbenchApp(workspace, broker, TEST_CONFIG, session, start_command=start)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: scanned(app), "start-up")
        await wait_for_text(pilot, "2 kept / 3")
        await pilot.pause(0.3)
        shown = current_bench(app).spec.title
        count = len(app.benches())

    assert count == 2
    assert shown == "filter.wasm"
    assert load_session(workspace).active == 1


async def test_a_path_from_the_shell_becomes_the_selected_tab(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", WORDS)
    earlier = bench_spec(wasm_file(tmp_path, "map"), "words")
    start = shell_start(str(wasm_file(tmp_path, "filter")), "words")
    session = Session(benches=[earlier], existed=True)
    app = SmartbenchApp(workspace, broker, TEST_CONFIG, session, start_command=start)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: scanned(app), "start-up")
        await wait_for_text(pilot, "2 kept / 3")
        await pilot.pause(0.3)
        shown = current_bench(app).spec.title

    assert shown == "filter.wasm"


async def test_quitting_while_the_workspace_opens_keeps_the_first_run(
    workspace: Path, broker: Broker
) -> None:
    # Loading the samples takes seconds, so Ctrl+Q lands before the first scan ends.
    app = SmartbenchApp(workspace, broker, TEST_CONFIG, load_samples=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+q")
        quit_early = not app.scan.modules

    assert quit_early
    assert not session_path(workspace).exists()
    assert not load_session(workspace).existed


async def test_the_saved_tab_is_selected_again(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", WORDS)
    specs = [
        bench_spec(wasm_file(tmp_path, fixture), "words")
        for fixture in ("map", "filter", "array_map")
    ]
    session = Session(benches=specs, active=2, existed=True)
    app = SmartbenchApp(workspace, broker, TEST_CONFIG, session)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: scanned(app), "start-up")
        await wait_for(pilot, lambda: all(b.is_mounted for b in app.benches()), "")
        await pilot.pause(0.3)
        shown = current_bench(app).spec.title

    assert shown == "array_map.wasm"
    assert load_session(workspace).active == 2


async def test_reopening_a_benchs_path_selects_it_and_turns_watch_on(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", WORDS)
    module = wasm_file(tmp_path, "map")
    specs = [
        bench_spec(module, "words"),
        bench_spec(wasm_file(tmp_path, "filter"), "words"),
    ]
    session = Session(benches=specs, active=1, existed=True)
    start = shell_start(str(module), "words")
    app = SmartbenchApp(workspace, broker, WATCHING, session, start_command=start)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: scanned(app), "start-up")
        await wait_for_text(pilot, "watching map.wasm")
        bench = current_bench(app)
        titles = [b.spec.title for b in app.benches()]

    assert titles == ["map.wasm", "filter.wasm"]
    assert bench.spec.title == "map.wasm"
    assert bench.spec.watch
