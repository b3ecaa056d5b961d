"""`produce` through the real process: lines, keys, limits, crashes, concurrency."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, RunSmartbench
from workbench.engine.broker import Broker, StoredRecord


def _records(workspace: Path, topic: str, partition: int = 0) -> list[StoredRecord]:
    broker = Broker.open(workspace)
    return broker.read_records(topic, partition, 0, 10**7)


def _default_sigint() -> None:
    # A test run started in the background inherits an ignored SIGINT; the
    # child must see Ctrl-C as a terminal user would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _spawn(workspace: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "SMARTBENCH_HOME": str(workspace)},
        cwd=REPO_ROOT,
        preexec_fn=_default_sigint,
    )


def test_lines_become_records_byte_for_byte(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    run_smartbench("topic", "create", "lines")

    result = run_smartbench("produce", "lines", input=b"one\r\n\nthr\xffee\nlast")

    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    values = [r.value for r in _records(workspace, "lines")]
    assert values == [b"one", b"", b"thr\xffee", b"last"]


def test_file_key_and_partition_flags(
    run_smartbench: RunSmartbench, workspace: Path, tmp_path: Path
) -> None:
    run_smartbench("topic", "create", "keyed", "-p", "3")
    source = tmp_path / "input.txt"
    source.write_bytes(b"a\nb\n")

    result = run_smartbench("produce", "keyed", "-f", source, "--key", "k", "-p", "2")

    assert result.returncode == 0, result.stderr
    stored = _records(workspace, "keyed", 2)
    assert [(r.key, r.value) for r in stored] == [(b"k", b"a"), (b"k", b"b")]


def test_key_separator_skips_bad_lines_with_their_numbers(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    run_smartbench("topic", "create", "pairs")

    result = run_smartbench(
        "produce",
        "pairs",
        "--key-separator",
        ":",
        "-v",
        input=b"a:1\nnokey\nb\xff:2\nc:3:x\n",
    )

    assert result.returncode == 1
    errors = result.stderr.decode().splitlines()
    assert errors == [
        "line 2: Failed to find separator ':' in record, skipping: 'nokey'",
        "line 3: not valid UTF-8, skipping",
    ]
    assert result.stdout.decode().splitlines() == ["[a] 1", "[c] 3:x"]
    stored = [(r.key, r.value) for r in _records(workspace, "pairs")]
    assert stored == [(b"a", b"1"), (b"c", b"3:x")]


def test_raw_sends_all_input_as_one_record(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    run_smartbench("topic", "create", "blob")
    data = bytes(range(256)) * 3 + b"\n\n"

    result = run_smartbench("produce", "blob", "--raw", input=data)

    assert result.returncode == 0, result.stderr
    assert [r.value for r in _records(workspace, "blob")] == [data]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--key-separator", ""), "--key-separator must be non-empty"),
        (("--key", "k", "--key-separator", "="), "cannot be used together"),
        (("--raw", "--key-separator", "="), "cannot be used together"),
        (("-f", "/no/such/file.txt"), "/no/such/file.txt: no such file"),
        (("-p", "5"), "Partition 5 not found"),
    ],
)
def test_bad_options_are_one_line_errors(
    run_smartbench: RunSmartbench, args: tuple[str, ...], message: str
) -> None:
    run_smartbench("topic", "create", "opts")

    result = run_smartbench("produce", "opts", *args, input="x\n")

    assert result.returncode in (1, 2)
    assert message in result.stderr.decode()
    assert len(result.stderr.decode().strip().splitlines()) == 1


def test_unknown_topic(run_smartbench: RunSmartbench) -> None:
    result = run_smartbench("produce", "ghost", input="x\n")

    assert result.returncode == 1
    assert result.stderr.decode().strip() == 'Topic "ghost" not found'


def test_oversized_line_is_refused_and_earlier_lines_kept(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    run_smartbench("topic", "create", "sized")
    data = b"short\n" + b"x" * 2000 + b"\nafter\n"

    result = run_smartbench("produce", "sized", "--max-record-size", "1000", input=data)

    assert result.returncode == 1
    message = result.stderr.decode()
    assert "line 2:" in message and "2000 bytes" in message and "1000 bytes" in message
    assert [r.value for r in _records(workspace, "sized")] == [b"short"]


def test_ctrl_c_keeps_committed_records_and_exits_130(workspace: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "workbench", "topic", "create", "typed"],
        env={**os.environ, "SMARTBENCH_HOME": str(workspace)},
        check=True,
    )
    process = _spawn(workspace, "produce", "typed")
    assert process.stdin is not None

    process.stdin.write(b"first\nsecond\n")
    process.stdin.flush()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(_records(workspace, "typed")) < 2:
        time.sleep(0.05)
    process.stdin.write(b"partial")
    process.stdin.flush()
    process.send_signal(signal.SIGINT)

    assert process.wait(timeout=20) == 130
    assert [r.value for r in _records(workspace, "typed")] == [b"first", b"second"]


def test_kill_9_leaves_an_unbroken_prefix(
    run_smartbench: RunSmartbench, workspace: Path, tmp_path: Path
) -> None:
    run_smartbench("topic", "create", "crash", "-p", "2")
    source = tmp_path / "lines.txt"
    source.write_bytes(b"\n".join(b"%d" % n for n in range(3_000_000)) + b"\n")
    process = _spawn(workspace, "produce", "crash", "-f", str(source))

    time.sleep(2)
    process.kill()
    process.wait()

    broker = Broker.open(workspace)
    # Record n was routed to partition n % 2, so partition p must hold exactly
    # p, p + 2, p + 4, … up to its high watermark.
    counts = []
    for partition in (0, 1):
        values = [int(r.value) for r in _records(workspace, "crash", partition)]
        assert values == list(range(partition, 2 * len(values) + partition, 2))
        counts.append(len(values))
    assert counts[0] > 0
    assert counts[0] - counts[1] in (0, 1)
    assert run_smartbench("topic", "list").returncode == 0
    run_smartbench("produce", "crash", "-p", "0", input="next\n")
    last = broker.read_records("crash", 0, counts[0], 1)
    assert [(r.offset, r.value) for r in last] == [(counts[0], b"next")]


def test_two_writers_share_one_partition_without_gaps(
    run_smartbench: RunSmartbench, workspace: Path, tmp_path: Path
) -> None:
    run_smartbench("topic", "create", "shared")
    files = []
    for writer in ("a", "b"):
        path = tmp_path / f"{writer}.txt"
        path.write_text("".join(f"{writer}{n}\n" for n in range(10_000)))
        files.append(path)

    processes = [_spawn(workspace, "produce", "shared", "-f", str(f)) for f in files]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]

    stored = _records(workspace, "shared")
    assert [r.offset for r in stored] == list(range(20_000))
    for writer in ("a", "b"):
        mine = [r.value.decode() for r in stored if r.value.startswith(writer.encode())]
        assert mine == [f"{writer}{n}" for n in range(10_000)]


def test_many_small_transactions_from_two_processes(workspace: Path) -> None:
    Broker.open(workspace).create_topic("busy")
    writer = (
        "import sys\n"
        "from workbench.engine.broker import Broker\n"
        "broker = Broker.open(sys.argv[1])\n"
        "for n in range(100):\n"
        "    broker.produce('busy', [b'%s-%d-%d' % (sys.argv[2].encode(), n, i)"
        " for i in range(100)])\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", writer, str(workspace), name])
        for name in ("x", "y")
    ]

    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    stored = _records(workspace, "busy")
    assert [r.offset for r in stored] == list(range(20_000))
    assert len({r.value for r in stored}) == 20_000


def test_interactive_produce_prompts_and_confirms_each_line(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    run_smartbench("topic", "create", "typed")
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "produce", "typed"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "SMARTBENCH_HOME": str(workspace)},
        cwd=REPO_ROOT,
    )
    os.close(terminal)

    os.write(controller, b"hello\n")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _records(workspace, "typed"):
        time.sleep(0.05)
    os.write(controller, b"world\n\x04")
    stdout, stderr = process.communicate(timeout=30)
    os.close(controller)

    assert process.returncode == 0
    assert stdout.decode().splitlines() == ["Ok!", "Ok!", "Ok!"]
    assert stderr.decode().startswith("> ")
    assert [r.value for r in _records(workspace, "typed")] == [b"hello", b"world"]


def test_max_record_size_takes_units(
    run_smartbench: RunSmartbench, workspace: Path
) -> None:
    run_smartbench("topic", "create", "sized")

    result = run_smartbench(
        "produce", "sized", "--max-record-size", "1KiB", input=b"ok\n" + b"x" * 1025
    )
    bad = run_smartbench("produce", "sized", "--max-record-size", "lots", input="x")

    assert result.returncode == 1
    assert "1025 bytes" in result.stderr.decode()
    assert "1024 bytes" in result.stderr.decode()
    assert [r.value for r in _records(workspace, "sized")] == [b"ok"]
    assert bad.returncode == 2
    assert "--max-record-size: invalid size 'lots'" in bad.stderr.decode()
