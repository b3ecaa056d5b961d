"""Chains in the TUI: opened from a transforms file or the shell, edited by hand."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Static, Tab

from tests.conftest import RunSmartbench
from tests.tui.helpers import (
    FRUIT,
    TEST_CONFIG,
    bench_spec,
    current_bench,
    make_app,
    make_topic,
    screen_text,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.bench import BenchSpec, StepSpec
from workbench.commands import find_command
from workbench.engine.broker import Broker
from workbench.engine.registry import Registry
from workbench.screens import FormScreen
from workbench.session import Session, load_session


def transforms_file(folder: Path, text: str) -> Path:
    """``transforms.yaml`` in ``folder`` holding ``text``."""
    path = folder / "transforms.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def open_form(pilot: Pilot[int], words: str) -> FormScreen:
    """Pick a palette entry by typing ``words``; the form it opens."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
    await pilot.press(*words)
    await wait_for_text(pilot, words.capitalize())
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
    assert isinstance(app.screen, FormScreen)
    return app.screen


def notes(app: SmartbenchApp) -> str:
    """Every notification the app has shown, one a line."""
    return "\n".join(str(n.message) for n in app._notifications)


async def command_form(pilot: Pilot[int], name: str) -> FormScreen:
    """The form of app command ``name``, opened as its palette entry does."""
    app = pilot.app
    assert isinstance(app, SmartbenchApp)
    command = find_command(["app", name])
    assert command is not None
    app.open_command_form(command)
    await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
    assert isinstance(app.screen, FormScreen)
    return app.screen


async def submit_for_error(pilot: Pilot[int], form: FormScreen) -> str:
    """Press Enter in ``form`` and wait for the error it shows next."""
    before = form_error(form)
    await pilot.press("enter")
    await wait_for(pilot, lambda: form_error(form) != before, "the form's error")
    return form_error(form)


def form_error(form: FormScreen) -> str:
    """What the form says is wrong."""
    return str(form.query_one("#form-error", Static).render())


async def test_a_transforms_file_opens_as_a_chain_bench_from_the_palette(
    workspace: Path,
    broker: Broker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_topic(broker, "fruit", FRUIT)
    wasm_file(tmp_path, "filter")
    wasm_file(tmp_path, "map")
    path = transforms_file(
        tmp_path,
        "transforms:\n"
        "  - uses: ./filter.wasm\n"
        "    with: {contains: i}\n"
        "  - uses: map.wasm\n",
    )
    monkeypatch.chdir(tmp_path)
    app = make_app(workspace, broker, [])

    async with app.run_test(size=(120, 30)) as pilot:
        form = await open_form(pilot, "open transforms")
        prefilled = form.query_one("#field-file", Input).value
        await pilot.press("enter")
        await wait_for_text(pilot, "step 1/2 filter.wasm ▸ 2/2 map.wasm")
        await wait_for_text(pilot, "KIWI")
        bench = current_bench(app)
        header = bench.header_text()
        await pilot.press("left_square_bracket")
        await wait_for_text(pilot, "✓ kiwi")
        inspected = bench.steps_text()
        footer_keys = screen_text(app).splitlines()[-1]
        app.apply_command("step", {"step": "2"})
        await wait_for_text(pilot, "KIWI")
        back_to_last = bench.steps_text()

    assert prefilled == str(path)
    assert "· chain: filter → map" in header.plain
    assert _marked(header) == "2/2 map.wasm"
    assert _marked(inspected) == "1/2 filter.wasm"
    assert "[ Prev step" in footer_keys and "] Next step" in footer_keys
    assert _marked(back_to_last) == "2/2 map.wasm"
    steps = load_session(workspace).benches[0].steps
    assert [(Path(s.module).name, s.params) for s in steps] == [
        ("filter.wasm", {"contains": "i"}),
        ("map.wasm", {}),
    ]


def _marked(text: object) -> str:
    """The part of a header drawn reversed: the inspected step."""
    from rich.text import Text

    assert isinstance(text, Text)
    return "".join(
        text.plain[span.start : span.end]
        for span in text.spans
        if "reverse" in str(span.style)
    )


BROKEN_FILES = {
    "missing.yaml": (None, "No such file or directory"),
    "bad-yaml.yaml": ("transforms:\n  - uses: a.wasm\n   with: x\n", "line 3"),
    "unknown.yaml": ("transforms:\n  - uses: nope\n", "smartmodule nope not found"),
    "empty.yaml": ("transforms: []\n", "the chain lists no steps"),
}


async def test_a_broken_transforms_file_is_said_in_the_form_and_nothing_changes(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    for name, (content, _) in BROKEN_FILES.items():
        if content is not None:
            (tmp_path / name).write_text(content, encoding="utf-8")
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "fruit")])
    errors: dict[str, str] = {}

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "APPLE")
        form = await command_form(pilot, "open-transforms")
        field = form.query_one("#field-file", Input)
        for name in BROKEN_FILES:
            field.value = str(tmp_path / name)
            errors[name] = await submit_for_error(pilot, form)
        typed = field.value
        still_open = app.screen is form
        benches = len(app.benches())

    for name, (_, expected) in BROKEN_FILES.items():
        assert expected in errors[name], name
    assert typed == str(tmp_path / "empty.yaml")
    assert still_open and benches == 1


async def test_steps_are_added_and_removed_by_hand_and_a_bad_one_changes_nothing(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    filter_path = wasm_file(tmp_path, "filter")
    map_path = wasm_file(tmp_path, "map")
    app = make_app(workspace, broker, [bench_spec(filter_path, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        bench = current_bench(app)

        form = await open_form(pilot, "add step")
        form.query_one("#field-module", Input).value = "nope"
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(form_error(form)), "the form's error")
        unknown = form_error(form)
        form.query_one("#field-module", Input).value = str(filter_path)
        form.query_one("#field-params", Input).value = "contains="
        await pilot.press("enter")
        await wait_for(pilot, lambda: "The chain is unchanged" in notes(app), "note")
        bad_init = notes(app)
        after_bad_init = len(bench.spec.steps)

        form = await command_form(pilot, "add-step")
        form.query_one("#field-module", Input).value = str(map_path)
        await pilot.press("enter")
        await wait_for_text(pilot, "step 1/2 filter.wasm ▸ 2/2 map.wasm")
        await wait_for_text(pilot, "APPLE")
        tab_title = str(app.query(Tab).first().label)
        saved = [Path(s.module).name for s in load_session(workspace).benches[0].steps]

        form = await command_form(pilot, "remove-step")
        suggested = form.query_one("#field-step", Input).value
        await pilot.press("enter")
        await wait_for_text(pilot, "4 kept / 7")
        remaining = [Path(s.module).name for s in bench.spec.steps]

    assert unknown == "smartmodule nope not found"
    assert "init of filter.wasm failed: param `contains` must not be empty" in bad_init
    assert after_bad_init == 1
    assert tab_title == "filter.wasm +1"
    assert saved == ["filter.wasm", "map.wasm"]
    assert suggested == "2"
    assert remaining == ["filter.wasm"]


async def test_a_registered_module_joins_a_chain_by_name(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    registry = Registry.open(workspace)
    try:
        registry.create("shout", wasm_file(tmp_path, "map"))
    finally:
        registry.close()
    app = make_app(
        workspace, broker, [bench_spec(wasm_file(tmp_path, "filter"), "fruit")]
    )

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "4 kept / 7")
        form = await command_form(pilot, "add-step")
        form.query_one("#field-module", Input).value = "shout"
        await pilot.press("enter")
        await wait_for_text(pilot, "2/2 shout")
        await wait_for_text(pilot, "BANANA")


def chain_start(**values: object) -> argparse.Namespace:
    """What `smartbench -t …` / `--transforms-line …` parse to."""
    defaults: dict[str, object] = {
        "path": None,
        "transforms": None,
        "transforms_line": [],
        "topic": None,
    }
    return argparse.Namespace(**{**defaults, **values})


async def test_the_shell_opens_a_chain_from_transforms_lines(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    lines = [
        json.dumps(
            {"uses": str(wasm_file(tmp_path, "filter")), "with": {"contains": "g"}}
        ),
        json.dumps({"uses": str(wasm_file(tmp_path, "map"))}),
    ]
    start = chain_start(transforms_line=lines, topic="fruit")
    session = Session(existed=True)
    app = SmartbenchApp(workspace, broker, TEST_CONFIG, session, start_command=start)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "step 1/2 filter.wasm ▸ 2/2 map.wasm")
        await wait_for_text(pilot, "MANGO")
        bench = current_bench(app)

    assert bench.spec.topic == "fruit"
    assert bench.spec.steps[0].params == {"contains": "g"}


async def test_the_shell_says_an_unknown_module_of_a_chain_in_the_app(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    path = transforms_file(tmp_path, "transforms:\n  - uses: nope\n")
    start = chain_start(transforms=str(path))
    session = Session(
        benches=[BenchSpec([StepSpec(str(wasm_file(tmp_path, "map")))], "fruit")],
        existed=True,
    )
    app = SmartbenchApp(workspace, broker, TEST_CONFIG, session, start_command=start)

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: "smartmodule nope" in notes(app), "the error")
        error = notes(app)
        benches = len(app.benches())
        text = screen_text(app)

    assert "smartmodule nope not found" in error
    assert benches == 1
    assert "APPLE" in text


def test_a_broken_transforms_file_fails_in_the_shell_before_the_app(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    path = transforms_file(tmp_path, "transforms:\n  - uses: a.wasm\n   with: x\n")

    broken = run_smartbench("-t", path)
    missing = run_smartbench("--transforms-file", tmp_path / "none.yaml")
    both = run_smartbench("x.wasm", "-t", path)

    assert broken.returncode == 2
    assert "unable to process `transforms` argument" in broken.stderr.decode()
    assert "line 3" in broken.stderr.decode()
    assert missing.returncode == 2
    assert "No such file or directory" in missing.stderr.decode()
    assert both.returncode == 2
    assert "give one of PATH.wasm, -t FILE or --transforms-line" in both.stderr.decode()


async def test_params_on_a_chain_belong_to_the_step_shown(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "fruit", FRUIT)
    steps = [
        StepSpec(str(wasm_file(tmp_path, "filter")), {"contains": "i"}),
        StepSpec(str(wasm_file(tmp_path, "map"))),
    ]
    app = make_app(workspace, broker, [BenchSpec(steps, "fruit")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "KIWI")
        bench = current_bench(app)
        await pilot.press("left_square_bracket")
        await wait_for_text(pilot, "✓ kiwi")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        field = app.screen.query_one("#field-params", Input)
        prefilled = field.value
        field.value = "contains=g"
        await pilot.press("enter")
        await wait_for_text(pilot, "✓ grape")
        await pilot.press("right_square_bracket")
        await wait_for_text(pilot, "MANGO")

    assert prefilled == "contains=i"
    assert [s.params for s in bench.spec.steps] == [{"contains": "g"}, {}]


async def test_a_filter_step_of_a_chain_on_a_long_topic_counts_its_window(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "many", [f"{FRUIT[n % 7]}-{n}" for n in range(300)])
    steps = [
        StepSpec(str(wasm_file(tmp_path, "filter")), {"contains": "i"}),
        StepSpec(str(wasm_file(tmp_path, "map"))),
    ]
    app = make_app(workspace, broker, [BenchSpec(steps, "many")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "KIWI-1")
        bench = current_bench(app)
        await pilot.press("left_square_bracket")
        await wait_for_text(pilot, "✓ kiwi-1")
        await wait_for(pilot, lambda: bench.window is not None, "the step's window")
        title = bench.output_title().plain
        window = bench.window

    assert window is not None and window.start == 0
    assert window.end < 300
    kept = sum(1 for row in window.rows if "i" in row.value.decode())
    assert f"{kept:,} kept / {len(window.rows):,} · window" in title, title
