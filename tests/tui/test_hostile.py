"""Hostile modules show their error; the app keeps answering keys."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.engine.wat_fixtures import HOSTILE
from tests.tui.helpers import (
    TEST_CONFIG,
    bench_spec,
    current_bench,
    make_topic,
    settle,
    wait_for,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker
from workbench.engine.types import Limits
from workbench.session import Session

# Small budgets keep a runaway module from holding the test for the default 5 s.
TIGHT = replace(TEST_CONFIG, limits=Limits(memory_bytes=64 << 20, time_budget=0.5))
LOAD_FAILURES = ("bad_alloc", "no_transform", "failing_init", "unknown_import")


@pytest.mark.parametrize("fixture", [*sorted(HOSTILE), *LOAD_FAILURES])
async def test_hostile_module_shows_an_error_and_the_app_answers(
    fixture: str, workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "beta", "gamma"])
    module = wasm_file(tmp_path, fixture)
    session = Session(benches=[bench_spec(module, "words")], existed=True)
    app = SmartbenchApp(workspace, broker, TIGHT, session=session)

    async with app.run_test(size=(100, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(
            pilot,
            lambda: bench.query_one("#error-panel").display or bench.window is not None,
            "the run to end",
        )
        await settle(pilot)
        panel = bench.query_one("#error-panel")
        error_shown = panel.display
        await pilot.press("down")
        await pilot.pause()
        cursor = bench.input_view.cursor

    quiet = fixture == "empty_output"
    assert error_shown != quiet
    assert cursor == 1
