"""Hostile modules show their error; the app keeps answering keys."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Static

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
# What the error panel must say for each, in the words a module author can act on.
SAID = {
    "infinite_loop": "exceeded its 500 ms time budget",
    "memory_bomb": "exceeded its 64 MiB memory limit",
    "trap": "panicked (wasm trap: unreachable)",
    "divide_by_zero": "crashed (wasm trap: integer divide by zero)",
    "bad_pointer": "passed copy_records a buffer outside its memory",
    "garbage_output": "wrote an output that cannot be decoded",
    "negative_status": "returned error status -11 (DecodingBaseInput)",
    "never_copies": "returned without calling copy_records",
    "empty_output": "",
    "bad_alloc": "returned from alloc(43) a pointer 0x7ffffff0 outside its memory",
    "no_transform": "no SmartModule transform exported",
    "failing_init": "init of failing_init.wasm failed: module panicked",
    "unknown_import": "imports `env.now`, which the host does not provide",
}


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
        panel = bench.query_one("#error-panel", Static)
        error_shown = panel.display
        said = str(panel.render())
        await pilot.press("down")
        await pilot.pause()
        cursor = bench.input_view.cursor

    quiet = fixture == "empty_output"
    assert error_shown != quiet
    assert SAID[fixture] in said, said
    assert cursor == 1
