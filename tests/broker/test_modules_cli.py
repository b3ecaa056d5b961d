"""`produce` and `consume` with SmartModules: flags, offsets, state, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, RunSmartbench
from tests.engine.wat_fixtures import wasm
from workbench.engine.broker import Broker

SAMPLES = REPO_ROOT / "sample_modules"
END_MESSAGE = "End-offset has been reached; exiting"


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    """The WAT fixtures compiled into .wasm files."""
    folder = tmp_path / "modules"
    folder.mkdir()
    for name in ("filter", "map", "filter_map", "array_map", "aggregate", "rising"):
        (folder / f"{name}.wasm").write_bytes(wasm(name))
    (folder / "trap.wasm").write_bytes(wasm("trap"))
    return folder


def _values(workspace: Path, topic: str, partition: int = 0) -> list[bytes]:
    records = Broker.open(workspace).read_records(topic, partition, 0, 10_000)
    return [record.value for record in records]


def _stdout(result: object) -> list[str]:
    assert getattr(result, "returncode") == 0, getattr(result, "stderr")  # noqa: B009
    return getattr(result, "stdout").decode().splitlines()  # type: ignore[no-any-return]  # noqa: B009


def _topic(
    workspace: Path, name: str, values: list[bytes], partitions: int = 1
) -> None:
    broker = Broker.open(workspace)
    broker.create_topic(name, partitions)
    broker.produce(name, values, timestamps=list(range(1, len(values) + 1)))


# --- produce: what is stored is the modules' output ----------------------------------


@pytest.mark.parametrize(
    ("module", "flags", "lines", "stored"),
    [
        (
            "tpl-aggregate",
            ("--aggregate-initial", "1"),
            "2\n3\n4\n",
            [b"3", b"6", b"10"],
        ),
        ("tpl-filter-map", (), "37\n100\n", [b"50"]),
        ("tpl-filter", (), "zzzzz\naaaaa\n", [b"aaaaa"]),
        ("tpl-map", (), "21\n", [b"42"]),
        (
            "tpl-array-map",
            (),
            '["Apple","Banana","Cranberry"]\n',
            [b'"Apple"', b'"Banana"', b'"Cranberry"'],
        ),
    ],
)
def test_producer_outcomes_through_the_c_templates(
    run_smartbench: RunSmartbench,
    workspace: Path,
    module: str,
    flags: tuple[str, ...],
    lines: str,
    stored: list[bytes],
) -> None:
    run_smartbench("topic", "create", "out")

    result = run_smartbench(
        "produce", "out", "--smartmodule-path", SAMPLES / f"{module}.wasm", *flags,
        input=lines,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert _values(workspace, "out") == stored


def test_produce_with_registered_name_and_transforms(
    run_smartbench: RunSmartbench, workspace: Path, tmp_path: Path
) -> None:
    run_smartbench("sm", "create", "upper", "--wasm-file", SAMPLES / "tpl-map.wasm")
    run_smartbench("topic", "create", "out")
    transforms = tmp_path / "transforms.yaml"
    transforms.write_text("transforms:\n  - uses: upper\n  - uses: upper\n")

    by_name = run_smartbench("produce", "out", "--sm", "upper", input="5\n")
    by_file = run_smartbench("produce", "out", "-t", transforms, input="5\n")
    wrong = run_smartbench(
        "produce", "out", "--transform", '{"uses":"wrong"}', input="5\n"
    )

    assert by_name.returncode == 0 and by_file.returncode == 0
    assert _values(workspace, "out") == [b"10", b"20"]
    assert wrong.returncode != 0
    assert "SmartModule wrong was not found" in wrong.stderr.decode()


def test_produce_module_error_keeps_the_records_before_it(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path
) -> None:
    run_smartbench("topic", "create", "nums")

    result = run_smartbench(
        "produce", "nums", "--smartmodule-path", fixtures / "filter_map.wasm",
        input="4\n8\nnot-a-number\n6\n",
    )  # fmt: skip

    assert result.returncode == 1
    assert "SmartModule transform error" in result.stderr.decode()
    assert "Value: not-a-number" in result.stderr.decode()
    assert _values(workspace, "nums") == [b"2", b"4"]


# --- consume --------------------------------------------------------------------------


def test_fluvio_style_line_prints_input_offsets_with_gaps(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path
) -> None:
    _topic(workspace, "words", [b"apple", b"kiwi", b"banana", b"fig", b"grape"])

    plain = run_smartbench(
        "consume", "words", "-B", "-d", "--smartmodule-path", fixtures / "filter.wasm"
    )
    offsets = run_smartbench(
        "consume", "words", "-B", "-d", "--sm_path", fixtures / "filter.wasm",
        "-e", "contains=g", "-F", "{{offset}} {{value}}",
    )  # fmt: skip

    assert _stdout(plain) == ["apple", "banana", "grape"]
    assert _stdout(offsets) == ["3 fig", "4 grape"]


def test_map_and_filter_map_keep_their_input_offsets(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path
) -> None:
    _topic(workspace, "nums", [b"10", b"7", b"4", b"x"])

    mapped = run_smartbench(
        "consume", "nums", "-B", "--end", "2", "--sm_path", fixtures / "map.wasm",
        "-F", "{{offset}}:{{value}}",
    )  # fmt: skip
    halved = run_smartbench(
        "consume", "nums", "-B", "-d", "--end", "2",
        "--filter-map", fixtures / "filter_map.wasm", "-F", "{{offset}}:{{value}}",
    )  # fmt: skip

    assert _stdout(mapped) == ["0:10", "1:7", "2:4"]
    assert _stdout(halved) == ["0:5", "2:2"]
    assert END_MESSAGE in halved.stderr.decode()


def test_end_judged_on_input_offsets_when_the_filter_drops_it(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path
) -> None:
    _topic(workspace, "words", [b"apple", b"kiwi", b"plum", b"banana"])

    # No -d: only the input offset reaching --end can stop this consumer.
    result = run_smartbench(
        "consume", "words", "-B", "--end", "2", "--sm_path", fixtures / "filter.wasm",
        timeout=30,
    )  # fmt: skip

    assert _stdout(result) == ["apple"]
    assert result.stderr.decode().strip() == END_MESSAGE


def test_array_map_children_show_the_first_input_offset_of_the_call(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path
) -> None:
    _topic(workspace, "csv", [b"a,b", b"c,d,e", b"f"])

    result = run_smartbench(
        "consume", "csv", "--start", "1", "-d",
        "--array-map", fixtures / "array_map.wasm", "-F", "{{offset}} {{value}}",
    )  # fmt: skip

    assert _stdout(result) == ["1 c", "1 d", "1 e", "1 f"]


def test_aggregate_state_is_per_partition(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path, tmp_path: Path
) -> None:
    broker = Broker.open(workspace)
    broker.create_topic("sums", 2)
    broker.produce("sums", [b"1", b"2", b"3"], timestamps=[1, 3, 5], partition=0)
    broker.produce("sums", [b"10", b"20"], timestamps=[2, 4], partition=1)
    initial = tmp_path / "initial.txt"
    initial.write_bytes(b"100")

    result = run_smartbench(
        "consume", "sums", "-B", "-d", "--aggregate", fixtures / "aggregate.wasm",
        "--initial", initial, "-F", "{{partition}}/{{offset}} {{value}}",
    )  # fmt: skip
    literal = run_smartbench(
        "consume", "sums", "-B", "-d", "-p", "1", "--a-init", "5",
        "--smartmodule-path", fixtures / "aggregate.wasm",
    )  # fmt: skip

    assert _stdout(result) == [
        "0/0 101",
        "1/0 110",
        "0/1 103",
        "1/1 130",
        "0/2 106",
    ]
    assert _stdout(literal) == ["15", "35"]


def test_module_error_prints_records_before_it_then_the_error(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path
) -> None:
    _topic(workspace, "nums", [b"2", b"4", b"oops", b"8"])

    result = run_smartbench(
        "consume", "nums", "-B", "-d", "--sm_path", fixtures / "filter_map.wasm"
    )

    assert result.returncode == 1
    assert result.stdout.decode() == "1\n2\n"
    error = result.stderr.decode()
    assert error.startswith("SmartModule transform error")
    assert "Type: FilterMap" in error and "Offset: 2" in error
    assert "Value: oops" in error


def test_trap_is_reported_with_exit_1(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path
) -> None:
    _topic(workspace, "any", [b"x"])

    result = run_smartbench(
        "consume", "any", "-B", "-d", "--sm_path", fixtures / "trap.wasm"
    )

    assert result.returncode == 1
    assert "unreachable" in result.stderr.decode()


def test_lookback_sees_history_per_partition(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path, tmp_path: Path
) -> None:
    broker = Broker.open(workspace)
    broker.create_topic("levels", 2)
    broker.produce("levels", [b"3", b"5", b"9", b"8"], timestamps=1, partition=0)
    broker.produce("levels", [b"6", b"1"], timestamps=2, partition=1)

    def run(last: int | None) -> list[str]:
        step = f"  - uses: {fixtures / 'rising.wasm'}\n"
        if last is not None:
            step += f"    lookback:\n      last: {last}\n"
        transforms = tmp_path / f"rising-{last}.yaml"
        transforms.write_text("transforms:\n" + step)
        result = run_smartbench(
            "consume", "levels", "-B", "-d", "-t", transforms,
            "-F", "{{partition}}:{{value}}",
        )  # fmt: skip
        return _stdout(result)

    # Without history every partition starts from nothing. With the last record
    # of its own partition as history, partition 0 starts above 8 and
    # partition 1 above 1 (partition 0's history would have dropped the 6).
    assert run(None) == ["0:3", "0:5", "0:9", "1:6"]
    assert run(1) == ["0:9", "1:6"]
    assert run(3) == []


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("--sm", "ghost"), "SmartModule ghost was not found", 1),
        (("-e", "a=b"), "-e/--params needs --smartmodule", 2),
        (("--sm", "x", "--sm_path", "y.wasm"), "give one module", 2),
        (("--filter", "missing.wasm"), "missing.wasm: no such file", 2),
        (("--sm_path", "missing.wasm", "-e", "novalue"), "no `=` found", 2),
    ],
)
def test_module_flag_errors(
    run_smartbench: RunSmartbench,
    workspace: Path,
    args: tuple[str, ...],
    message: str,
    code: int,
) -> None:
    _topic(workspace, "t", [b"x"])

    result = run_smartbench("consume", "t", "-B", "-d", *args)

    assert result.returncode == code
    assert message in result.stderr.decode()
    assert len(result.stderr.decode().strip().splitlines()) == 1


def test_legacy_flag_checks_the_kind(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path
) -> None:
    _topic(workspace, "t", [b"x"])

    result = run_smartbench(
        "consume", "t", "-B", "-d", "--filter", fixtures / "map.wasm"
    )

    assert result.returncode == 2
    assert "not a valid 'filter' SmartModule" in result.stderr.decode()


def test_budget_and_abi_flags_reach_the_engine(
    run_smartbench: RunSmartbench, workspace: Path, tmp_path: Path
) -> None:
    _topic(workspace, "nums", [b"1", b"2"])
    looping = tmp_path / "loop.wasm"
    looping.write_bytes(wasm("infinite_loop"))

    stuck = run_smartbench(
        "consume", "nums", "-B", "-d", "--sm_path", looping, "--time-budget", "300ms"
    )
    newer = run_smartbench(
        "consume", "nums", "-B", "-d", "--abi-version", "25",
        "--sm_path", SAMPLES / "tpl-map.wasm",
    )  # fmt: skip

    assert stuck.returncode == 1
    assert "exceeded its 300 ms time budget" in stuck.stderr.decode()
    assert _stdout(newer) == ["2", "4"]


def test_records_typed_one_at_a_time_give_the_same_output(
    run_smartbench: RunSmartbench, workspace: Path, fixtures: Path
) -> None:
    broker = Broker.open(workspace)
    broker.create_topic("typed")
    for value in (b"1", b"2", b"3,4", b"5"):
        broker.produce("typed", [value])

    sums = run_smartbench(
        "consume", "typed", "-B", "-d", "--end", "1",
        "--sm_path", fixtures / "aggregate.wasm", "-F", "{{offset}}:{{value}}",
    )  # fmt: skip
    pieces = run_smartbench(
        "consume", "typed", "-B", "-d", "--sm_path", fixtures / "array_map.wasm",
        "-F", "{{offset}}:{{value}}",
    )  # fmt: skip

    assert _stdout(sums) == ["0:1", "1:3"]
    # Array-map children keep the offset of the record they came from.
    assert _stdout(pieces) == ["0:1", "1:2", "2:3", "2:4", "3:5"]
