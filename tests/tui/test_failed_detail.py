"""Enter on an Output line of a failed run opens the input record with the error."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.tui.helpers import (
    TEST_CONFIG,
    TOPIC_CLOCK,
    bench_spec,
    current_bench,
    make_topic,
    screen_text,
    settle,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker
from workbench.engine.types import Limits
from workbench.screens import RecordDetailScreen
from workbench.session import Session

TIGHT = replace(TEST_CONFIG, limits=Limits(memory_bytes=64 << 20, time_budget=0.5))
SAID = {
    "infinite_loop": "exceeded its 500 ms time budget",
    "memory_bomb": "exceeded its 64 MiB memory limit",
    "garbage_output": "wrote an output that cannot be decoded",
}


@pytest.mark.parametrize("fixture", sorted(SAID))
async def test_enter_on_a_failed_output_line_shows_the_record_and_the_error(
    fixture: str, workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    # Records taller than the dialog, as real ones are: the error must not sit
    # below them, out of sight.
    fields = {f"field{n}": n for n in range(40)}
    values = [json.dumps({"word": word, **fields}) for word in ("alpha", "beta")]
    make_topic(broker, "words", values)
    module = wasm_file(tmp_path, fixture)
    session = Session(benches=[bench_spec(module, "words")], existed=True)
    app = SmartbenchApp(workspace, broker, TIGHT, session=session)

    async with app.run_test(size=(100, 30)) as pilot:
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.window is not None, "the window run")
        await settle(pilot)
        bench.output_view.focus()
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecordDetailScreen), "the detail"
        )
        await pilot.pause()
        shown = screen_text(app)

    assert '"alpha"' in shown, shown
    assert SAID[fixture] in shown, shown
    assert "offset 0" in shown


async def test_an_output_record_detail_shows_its_input_timestamp(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "words", ["alpha", "beta"])
    module = wasm_file(tmp_path, "map")
    session = Session(benches=[bench_spec(module, "words")], existed=True)
    app = SmartbenchApp(workspace, broker, TEST_CONFIG, session=session)

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "BETA")
        current_bench(app).output_view.focus()
        await pilot.press("down", "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecordDetailScreen), "the detail"
        )
        shown = screen_text(app)

    assert "Output record" in shown
    assert "offset 1" in shown
    assert f"timestamp 2023-11-14 {TOPIC_CLOCK} UTC" in shown
