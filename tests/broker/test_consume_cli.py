"""`consume` without modules: start and end flags, partitions, output types."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, RunSmartbench
from workbench.consume_formats import hex_dump
from workbench.engine.broker import Broker

END_MESSAGE = "End-offset has been reached; exiting"


def _default_sigint() -> None:
    # A test run started in the background inherits an ignored SIGINT; the
    # child must see Ctrl-C as a terminal user would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def broker(workspace: Path) -> Broker:
    broker = Broker.open(workspace)
    broker.create_topic("letters")
    broker.produce(
        "letters",
        [b"a", b"b", b"c", b"d", b"e"],
        [b"k1", None, b"k3", None, b"k5"],
        [1_000, 2_000, 3_000, 4_000, 5_000],
    )
    return broker


def _lines(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().splitlines()


def test_start_flags(run_smartbench: RunSmartbench, broker: Broker) -> None:
    assert _lines(run_smartbench("consume", "letters", "-B", "-d")) == list("abcde")
    assert _lines(run_smartbench("consume", "letters", "-d")) == []
    assert _lines(run_smartbench("consume", "letters", "-T", "2", "-d")) == ["d", "e"]
    assert _lines(run_smartbench("consume", "letters", "-T", "9", "-d")) == list(
        "abcde"
    )
    assert _lines(run_smartbench("consume", "letters", "-H", "3", "-d")) == ["d", "e"]
    assert _lines(run_smartbench("consume", "letters", "--start", "1", "-d")) == list(
        "bcde"
    )


def test_end_is_inclusive_and_announced(
    run_smartbench: RunSmartbench, broker: Broker
) -> None:
    result = run_smartbench("consume", "letters", "--start", "1", "--end", "2")

    assert _lines(result) == ["b", "c"]
    assert result.stderr.decode().strip() == END_MESSAGE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--start", "3", "--end", "1"),
            "End offset: 1 cannot be less than starting offset: 3",
        ),
        (("--start", "-1"), "--start: -1 is negative"),
        (("-B", "-T", "2"), "not allowed with argument"),
        (("-p", "4"), "Partition 4 not found"),
        (("-F", "{{value}}", "-O", "json"), "cannot be used together"),
    ],
)
def test_bad_flags(
    run_smartbench: RunSmartbench, broker: Broker, args: tuple[str, ...], message: str
) -> None:
    result = run_smartbench("consume", "letters", *args)

    assert result.returncode in (1, 2)
    assert message in result.stderr.decode()


def test_unknown_topic(run_smartbench: RunSmartbench) -> None:
    result = run_smartbench("consume", "ghost", "-B", "-d")

    assert result.returncode == 1
    assert result.stderr.decode().strip() == 'Topic "ghost" not found'


def test_keys_template_and_jsonl(run_smartbench: RunSmartbench, broker: Broker) -> None:
    keyed = run_smartbench("consume", "letters", "-B", "-d", "-k", "--end", "1")
    template = run_smartbench(
        "consume",
        "letters",
        "-B",
        "-d",
        "-F",
        "{{offset}}:{{ key }}:{{time}}:{{value}}",
    )
    jsonl = run_smartbench("consume", "letters", "--start", "4", "-d", "-O", "JSONL")

    assert _lines(keyed) == ["[k1] a", "[null] b"]
    assert _lines(template)[:2] == [
        "0:k1:1970-01-01T00:00:01.000Z:a",
        "1:null:1970-01-01T00:00:02.000Z:b",
    ]
    assert json.loads(_lines(jsonl)[0]) == {
        "partition": 0,
        "offset": 4,
        "timestamp": 5000,
        "key": "k5",
        "value": "e",
    }


def test_output_types_for_json_and_binary_values(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    broker = Broker.open(workspace)
    broker.create_topic("mixed")
    broker.produce("mixed", [b'{"b":1,"a":"\xc3\xa9"}', b"\x00\x01binary", b"\xffbad"])

    as_json = run_smartbench("consume", "mixed", "-B", "-d", "-O", "json", "--end", "0")
    as_text = run_smartbench("consume", "mixed", "-B", "-d", "-O", "text")
    suppressed = run_smartbench(
        "consume", "mixed", "-B", "-d", "-O", "json", "--suppress-unknown"
    )
    dynamic = run_smartbench("consume", "mixed", "--start", "1", "--end", "1")
    raw = run_smartbench("consume", "mixed", "--start", "2", "-d", "-O", "raw")

    assert as_json.stdout.decode() == '{\n  "b": 1,\n  "a": "é"\n}\n'
    assert _lines(as_text)[1:] == ["binary: (8 bytes)", "\ufffdbad"]
    assert suppressed.stdout.decode() == '{\n  "b": 1,\n  "a": "é"\n}\n'
    assert dynamic.stdout.decode() == hex_dump(b"\x00\x01binary") + "\n"
    assert _lines(raw) == ["\ufffdbad"]


def test_hex_dump_layout() -> None:
    data = b'{\n    "partition'

    assert hex_dump(data[:8]).splitlines()[0] == (
        "00000000  7b 0a 20 20 20 20 22 70" + " " * 27 + '|{.    "p        |'
    )
    assert hex_dump(data + b"s").splitlines() == [
        "00000000  7b 0a 20 20 20 20 22 70  61 72 74 69 74 69 6f 6e  "
        '|{.    "partition|',
        "00000010  73" + " " * 48 + "|s               |",
        "-" * 78,
    ]


def test_table_prints_the_header_once(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    broker = Broker.open(workspace)
    broker.create_topic("rows")
    broker.produce("rows", [b'{"city":"Oslo","temp":3}', b'{"city":"Rome","temp":14}'])

    result = run_smartbench("consume", "rows", "-B", "-d", "-O", "table")

    assert _lines(result) == ["city  temp", "Oslo  3", "Rome  14"]


def test_partitions_merge_by_timestamp_then_partition(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    broker = Broker.open(workspace)
    broker.create_topic("multi", partitions=3)
    broker.produce("multi", [b"p0-t5", b"p0-t9"], timestamps=[5, 9], partition=0)
    broker.produce("multi", [b"p1-t5", b"p1-t7"], timestamps=[5, 7], partition=1)
    broker.produce("multi", [b"p2-t1"], timestamps=[1], partition=2)

    merged = run_smartbench("consume", "multi", "-B", "-d")
    one = run_smartbench("consume", "multi", "-B", "-d", "-p", "1")
    ends = run_smartbench("consume", "multi", "-B", "--end", "0", "-p", "0", "-p", "1")

    assert _lines(merged) == ["p2-t1", "p0-t5", "p1-t5", "p1-t7", "p0-t9"]
    assert _lines(one) == ["p1-t5", "p1-t7"]
    assert _lines(ends) == ["p0-t5", "p1-t5"]
    assert END_MESSAGE in ends.stderr.decode()


def test_default_start_waits_for_new_records(broker: Broker, workspace: Path) -> None:
    consumer = subprocess.Popen(
        [sys.executable, "-m", "workbench", "consume", "letters"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "SMARTBENCH_HOME": str(workspace)},
        cwd=REPO_ROOT,
        preexec_fn=_default_sigint,
    )
    assert consumer.stdout is not None
    os.set_blocking(consumer.stdout.fileno(), False)

    # Produce a tick at a time until the consumer, once started, shows one.
    received = b""
    tick = 0
    deadline = time.monotonic() + 60
    while b"\n" not in received and time.monotonic() < deadline:
        broker.produce("letters", [b"tick-%d" % tick])
        tick += 1
        time.sleep(0.2)
        received += consumer.stdout.read() or b""
    broker.produce("letters", [b"last"])
    while not received.endswith(b"last\n") and time.monotonic() < deadline:
        time.sleep(0.05)
        received += consumer.stdout.read() or b""
    consumer.send_signal(signal.SIGINT)

    lines = received.decode().splitlines()
    first = int(lines[0].removeprefix("tick-"))
    assert lines == [f"tick-{n}" for n in range(first, tick)] + ["last"]
    assert "a" not in lines
    assert consumer.wait(timeout=20) == 130
