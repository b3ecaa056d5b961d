"""Large and live topics: a million records, tail, the new-records badge."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from tests.tui.helpers import (
    TEST_CONFIG,
    bench_spec,
    current_bench,
    make_app,
    make_topic,
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


def _smartbench(workspace: Path, *argv: str) -> None:
    where = ("--workspace", str(workspace))
    command = [sys.executable, "-m", "workbench", *where, *argv]
    subprocess.run(command, check=True, capture_output=True)


async def test_a_topic_deleted_under_the_bench_is_said_once_and_its_rows_go(
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
        _smartbench(workspace, "topic", "delete", "short-lived")
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.topic_gone, "the deletion to be seen")
        # Several more polls: the note must not repeat.
        await pilot.pause(1.2)
        notes = [str(n.message) for n in app._notifications]
        screen = "\n".join(screen_lines(app))
        title = bench.input_title().plain

    assert sum("topic short-lived no longer exists" in n for n in notes) == 1
    assert "one" not in screen and "ONE" not in screen
    assert "0 records" in title and "deleted" in title


async def test_a_topic_deleted_and_created_again_outside_is_followed_from_zero(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "live", [f"old-{n}" for n in range(8)])
    module = wasm_file(tmp_path, "map")
    config = replace(TEST_CONFIG, poll_topics=True)
    session = Session(benches=[bench_spec(module, "live")], existed=True)
    app = SmartbenchApp(workspace, broker, config, session=session)

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "OLD-7")
        bench = current_bench(app)
        _smartbench(workspace, "topic", "delete", "live")
        await wait_for(pilot, lambda: bench.topic_gone, "the deletion to be seen")
        assert bench.input_view.line_count() == 0
        _smartbench(workspace, "topic", "create", "live")
        _produce_elsewhere(workspace, "ten", "eleven", "twelve")
        await wait_for_text(pilot, "TWELVE")
        await wait_for(
            pilot,
            lambda: bench.run_summary is not None and bench.run_summary.records_in > 0,
            "the run of the new topic",
        )
        await wait_for_text(pilot, "TEN")
        screen = "\n".join(screen_lines(app))
        summary = bench.run_summary
        count = bench.input_view.line_count()
        title = bench.input_title().plain

    assert count == 3
    assert "3 records" in title
    assert summary is not None and summary.records_in == 3
    assert "old-" not in screen and "OLD-" not in screen
    assert "not processed" not in screen


async def test_r_runs_and_shows_a_topic_created_again_with_fewer_records(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "live", [f"old-{n}" for n in range(8)])
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "live")])

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "OLD-7")
        bench = current_bench(app)
        await wait_for(pilot, lambda: bench.run_summary is not None, "the first run")
        broker.delete_topic("live")
        make_topic(broker, "live", ["ten", "eleven", "twelve"])
        await pilot.press("r")
        await wait_for_text(pilot, "TWELVE")
        await wait_for(
            pilot,
            lambda: bench.run_summary is not None and bench.run_summary.records_in == 3,
            "the run of the new topic",
        )
        await wait_for_text(pilot, "ELEVEN")
        screen = "\n".join(screen_lines(app))
        title = bench.input_title().plain

    assert "3 records" in title
    assert "OLD-" not in screen and "old-" not in screen


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


async def test_a_topic_created_again_with_more_records_is_read_anew(
    workspace: Path, broker: Broker, tmp_path: Path
) -> None:
    make_topic(broker, "live", [f"old-{n}" for n in range(8)])
    app = make_app(workspace, broker, [bench_spec(wasm_file(tmp_path, "map"), "live")])

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "OLD-7")
        bench = current_bench(app)
        broker.delete_topic("live")
        # A new topic is told from the old one by when it was made (to the ms).
        time.sleep(0.01)
        make_topic(broker, "live", [f"new-{n}" for n in range(12)])
        await pilot.press("r")
        await wait_for_text(pilot, "NEW-11")
        await wait_for(
            pilot,
            lambda: (
                bench.run_summary is not None and bench.run_summary.records_in == 12
            ),
            "the run of the new topic",
        )
        await pilot.press("home")
        await wait_for_text(pilot, "NEW-0")
        screen = "\n".join(screen_lines(app))
        count = bench.input_view.line_count()

    assert count == 12
    assert "OLD-" not in screen and "old-" not in screen
