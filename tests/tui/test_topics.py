"""Large and live topics: a million records, tail, the new-records badge."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from tests.tui.helpers import (
    TEST_CONFIG,
    bench_spec,
    current_bench,
    make_app,
    screen_lines,
    wait_for,
    wait_for_text,
    wasm_file,
)
from workbench.app import SmartbenchApp
from workbench.engine.broker import Broker
from workbench.session import Session

MILLION = 1_000_000
PRODUCE_FROM_ANOTHER_PROCESS = (
    "import sys\n"
    "from workbench.engine.broker import Broker\n"
    "broker = Broker.open(sys.argv[1])\n"
    "broker.produce('live', [v.encode() for v in sys.argv[2:]])\n"
)


async def test_end_on_a_million_records_shows_the_last_offset(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    broker.create_topic("big")
    values = [b"value-%d" % n for n in range(MILLION)]
    for start in range(0, MILLION, 200_000):
        broker.produce("big", values[start : start + 200_000], timestamps=0)
    module = wasm_file(tmp_path, "map")
    app = make_app(workspace, broker, [bench_spec(module, "big")])

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "1,000,000 records")
        await pilot.press("end")
        await wait_for_text(pilot, "VALUE-999999")
        last_line = next(line for line in screen_lines(app) if "999999" in line)

    assert "999999 value-999999" in last_line
    assert last_line.rstrip().endswith("VALUE-999999")


def _produce_elsewhere(workspace: Path, *values: str) -> None:
    command = [sys.executable, "-c", PRODUCE_FROM_ANOTHER_PROCESS]
    subprocess.run([*command, str(workspace), *values], check=True)


async def test_tail_follows_records_another_process_writes(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    broker.create_topic("live")
    broker.produce("live", [b"one", b"two"])
    module = wasm_file(tmp_path, "map")
    config = replace(TEST_CONFIG, poll_topics=True)
    session = Session(benches=[bench_spec(module, "live")], existed=True)
    app = SmartbenchApp(workspace, broker, config, session=session)

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "TWO")
        _produce_elsewhere(workspace, "three")
        await wait_for_text(pilot, "THREE")
        bench = current_bench(app)
        assert bench.input_view.cursor == 2

        await pilot.press("f")
        assert not bench.tail
        _produce_elsewhere(workspace, "four", "five")
        await wait_for_text(pilot, "● 2 new")
        assert bench.input_view.cursor == 2

        await pilot.press("f")
        await wait_for_text(pilot, "FIVE")
        assert bench.input_view.cursor == 4
        assert "new" not in bench.input_title().plain


async def test_escape_cancels_a_whole_topic_run_between_batches(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    broker.create_topic("big")
    broker.produce("big", [b"value-%d" % n for n in range(300_000)], timestamps=0)
    module = wasm_file(tmp_path, "slow_map")
    app = make_app(workspace, broker, [bench_spec(module, "big")])

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "300,000 records")
        bench = current_bench(app)
        await pilot.press("r")
        await wait_for(pilot, lambda: bench.run_progress is not None, "progress")
        await pilot.press("escape")
        await wait_for(pilot, lambda: bench.run_summary is not None, "the end")
        summary = bench.run_summary

    assert summary is not None and summary.cancelled
    assert summary.records_in < 300_000


async def test_a_topic_deleted_under_the_bench_is_said_once_and_polling_stops(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    broker.create_topic("short-lived")
    broker.produce("short-lived", [b"one"])
    module = wasm_file(tmp_path, "map")
    config = replace(TEST_CONFIG, poll_topics=True)
    session = Session(benches=[bench_spec(module, "short-lived")], existed=True)
    app = SmartbenchApp(workspace, broker, config, session=session)

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "ONE")
        where = ("--workspace", str(workspace))
        delete = ("topic", "delete", "short-lived")
        command = [sys.executable, "-m", "workbench", *where, *delete]
        subprocess.run(command, check=True, capture_output=True)
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench._poll_timer is None, "polling to stop")
        notes = [str(n.message) for n in app._notifications]

    assert any("topic short-lived no longer exists" in note for note in notes)


async def test_a_record_with_no_key_keeps_its_value_out_of_the_key_column(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    broker.create_topic("mixed")
    keys = [b"k1", None, b"longer-key", None]
    values = [b"apple", b"kiwi", b"fig", b"plum"]
    broker.produce("mixed", values, keys, timestamps=1_700_000_000_000)
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "mixed")])

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_text(pilot, "PLUM")
        lines = screen_lines(app)

    def value_column(value: str) -> int:
        line = next(line for line in lines if f" {value}" in line)
        return line.index(f" {value}")

    columns = {value: value_column(value) for value in ("apple", "kiwi", "fig")}
    assert len(set(columns.values())) == 1, columns
    assert value_column("plum") == columns["apple"]
