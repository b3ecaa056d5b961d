"""`smartbench test` end to end: a real process running real `.wasm` modules."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import pytest

from tests.conftest import RunSmartbench
from workbench.engine.records import encode_values

Modules = dict[str, Path]
TIMESTAMP = 1_700_000_000_000


def _lines(output: bytes) -> list[str]:
    return output.decode().splitlines()


def _smartmodule_input(
    records: bytes, base_offset: int, base_timestamp: int, version: int = 22
) -> bytes:
    # The bytes the host hands a module: base offset, record list, and at v22
    # the empty params and join record before the timestamp.
    legacy = b"\0" * 7 if version <= 22 else b""
    return (
        struct.pack(">qI", base_offset, len(records))
        + records
        + legacy
        + struct.pack(">q", base_timestamp)
    )


def _init_input(params: dict[str, str]) -> bytes:
    encoded = struct.pack(">H", len(params))
    for name in sorted(params):
        for text in (name, params[name]):
            data = text.encode()
            encoded += struct.pack(">H", len(data)) + data
    return encoded + b"\0"


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _values(output: bytes) -> list[bytes]:
    # JSON lines carry any bytes safely: text, or base64 when not UTF-8.
    values = []
    for line in output.decode().split("\n")[:-1]:
        value = json.loads(line)["value"]
        is_text = isinstance(value, str)
        values.append(value.encode() if is_text else base64.b64decode(value["base64"]))
    return values


# --- input ---------------------------------------------------------------------------


def test_text_records_keep_their_newlines(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--text",
        "hello",
        "--text",
        "two\nlines",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"HELLO\nTWO\nLINES\n"
    assert result.stderr == b""


def test_file_lines_follow_the_record_rules(
    run_smartbench: RunSmartbench, wat_modules: Modules, tmp_path: Path
) -> None:
    data = tmp_path / "in.txt"
    data.write_bytes(b"a\r\nb\n\nlast")
    result = run_smartbench(
        "test", "--wasm-file", wat_modules["uppercase"], "--file", data
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"A\nB\n\nLAST\n"


def test_stdin_trailing_newline_adds_no_record(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test", "--wasm-file", wat_modules["uppercase"], "--stdin", input=b"x\ny\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"X\nY\n"


def test_raw_makes_one_record_of_the_whole_input(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--stdin",
        "--raw",
        "-O",
        "jsonl",
        input=b"one\r\ntwo\n",
    )
    assert result.returncode == 0, result.stderr
    (line,) = _lines(result.stdout)
    assert json.loads(line)["value"] == "ONE\r\nTWO\n"


def test_no_input_is_a_usage_error(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench("test", "--wasm-file", wat_modules["uppercase"])
    assert result.returncode == 2
    assert b"no input: give --text S, --file F or --stdin" in result.stderr


def test_two_input_sources_are_a_usage_error(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test", "--wasm-file", wat_modules["uppercase"], "--text", "a", "--stdin"
    )
    assert result.returncode == 2
    assert b"not allowed with argument" in result.stderr


def test_missing_input_file_is_a_usage_error(
    run_smartbench: RunSmartbench, wat_modules: Modules, tmp_path: Path
) -> None:
    missing = tmp_path / "absent.txt"
    result = run_smartbench(
        "test", "--wasm-file", wat_modules["uppercase"], "--file", missing
    )
    assert result.returncode == 2
    assert f"cannot read {missing}".encode() in result.stderr


# --- keys ----------------------------------------------------------------------------


def test_key_and_key_value_output(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    keyed = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--text",
        "v",
        "--key",
        "id",
        "-k",
    )
    assert keyed.stdout == b"[id] V\n"
    unkeyed = run_smartbench(
        "test", "--wasm-file", wat_modules["uppercase"], "--text", "v", "--key-value"
    )
    assert unkeyed.stdout == b"[null] V\n"


def test_key_separator_reports_lines_without_it_and_exits_1(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--stdin",
        "--key-separator",
        "=",
        "-k",
        input=b"k1=a=b\nno separator\nk2=c\n",
    )
    assert result.returncode == 1
    assert result.stdout == b"[k1] A=B\n[k2] C\n"
    assert (
        b"line 2: Failed to find separator '=' in record, skipping: 'no separator'"
        in result.stderr
    )


def test_empty_key_separator_is_refused(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--stdin",
        "--key-separator",
        "",
        input=b"a\n",
    )
    assert result.returncode == 2
    assert b"--key-separator must be non-empty" in result.stderr


# --- output --------------------------------------------------------------------------


def test_jsonl_numbers_offsets_across_batches(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--stdin",
        "--batch-size",
        "2",
        "--base-timestamp",
        str(TIMESTAMP),
        "-O",
        "jsonl",
        input=b"a\nb\nc\nd\ne\n",
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in _lines(result.stdout)]
    assert rows == [
        {
            "partition": 0,
            "offset": offset,
            "timestamp": TIMESTAMP,
            "key": None,
            "value": value,
        }
        for offset, value in enumerate("ABCDE")
    ]


def test_jsonl_carries_keys(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--text",
        "id:v",
        "--key-separator",
        ":",
        "-O",
        "jsonl",
    )
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert (row["key"], row["value"]) == ("id", "V")


def test_binary_output_is_hex_or_base64(
    run_smartbench: RunSmartbench, wat_modules: Modules, tmp_path: Path
) -> None:
    data = tmp_path / "binary"
    data.write_bytes(b"\xff\xfeab\n")
    text = run_smartbench(
        "test", "--wasm-file", wat_modules["uppercase"], "--file", data
    )
    assert text.stdout == b"0xfffe4142\n"

    jsonl = run_smartbench(
        "test", "--wasm-file", wat_modules["uppercase"], "--file", data, "-O", "jsonl"
    )
    assert json.loads(jsonl.stdout)["value"] == {"base64": "//5BQg=="}


def test_host_input_bytes_per_batch_at_both_abi_versions(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    for version in (22, 25):
        result = run_smartbench(
            "test",
            "--wasm-file",
            wat_modules["echo"],
            "--text",
            "a",
            "--text",
            "b",
            "--text",
            "c",
            "--batch-size",
            "2",
            "--base-timestamp",
            str(TIMESTAMP),
            "--abi-version",
            str(version),
        )
        assert result.returncode == 0, result.stderr
        first = encode_values([b"a", b"b"])
        second = encode_values([b"c"])
        assert _lines(result.stdout) == [
            _hex(_smartmodule_input(first, 0, TIMESTAMP, version)),
            _hex(_smartmodule_input(second, 2, TIMESTAMP, version)),
        ]


def test_abi_version_from_config_and_flag_beats_it(
    run_smartbench: RunSmartbench, wat_modules: Modules, workspace: Path
) -> None:
    (workspace / "config.toml").write_text("[engine]\nabi_version = 25\n")
    args = ("test", "--wasm-file", wat_modules["echo"], "--text", "a", "-O", "jsonl")
    records = encode_values([b"a"])
    from_config = run_smartbench(*args, "--base-timestamp", "7")
    assert _values(from_config.stdout) == [_smartmodule_input(records, 0, 7, 25)]
    from_flag = run_smartbench(*args, "--base-timestamp", "7", "--abi-version", "22")
    assert _values(from_flag.stdout) == [_smartmodule_input(records, 0, 7, 22)]


def test_verbose_counts_go_to_stderr(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["contains-a"],
        "--stdin",
        "-v",
        input=b"apple\nkiwi\nbanana\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"apple\nbanana\n"
    assert _lines(result.stderr)[0] == "2 records outputted"
    assert "3 records in, 1 batches" in result.stderr.decode()


def test_module_logs_go_to_stderr_only(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test", "--wasm-file", wat_modules["logger"], "--text", "record"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"record\n"
    assert b"log: to stdout\n" in result.stderr
    assert b"log: to stderr\n" in result.stderr


# --- module flags --------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--aggregate-initial", "--a-init"])
def test_aggregate_initial_carries_across_batches(
    run_smartbench: RunSmartbench, wat_modules: Modules, flag: str
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["concat"],
        "--stdin",
        "--batch-size",
        "1",
        flag,
        "X",
        input=b"a\nb\nc\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"Xa\nXab\nXabc\n"


def test_params_reach_init(run_smartbench: RunSmartbench, wat_modules: Modules) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["probe"],
        "--text",
        "x",
        "-e",
        "key=a",
        "--params",
        "other=b=c",
        "-O",
        "jsonl",
    )
    assert result.returncode == 0, result.stderr
    init_bytes, lookback_bytes = _values(result.stdout)
    assert init_bytes == _init_input({"key": "a", "other": "b=c"})
    assert lookback_bytes == b""


def test_param_without_equals_is_refused(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test", "--wasm-file", wat_modules["probe"], "--text", "x", "-e", "key"
    )
    assert result.returncode == 2
    assert b"invalid KEY=value: no `=` found in `key`" in result.stderr


def test_budget_flags_are_checked(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    args = ("test", "--wasm-file", wat_modules["uppercase"], "--text", "a")
    fine = run_smartbench(*args, "--memory-limit", "64MiB", "--time-budget", "2s")
    assert fine.returncode == 0, fine.stderr
    assert fine.stdout == b"A\n"

    bad_size = run_smartbench(*args, "--memory-limit", "lots")
    assert bad_size.returncode == 2
    assert b"--memory-limit: invalid size 'lots'" in bad_size.stderr
    bad_time = run_smartbench(*args, "--time-budget", "5 fortnights")
    assert bad_time.returncode == 2
    assert b"--time-budget: invalid duration" in bad_time.stderr


def test_time_budget_from_flag_and_config(
    run_smartbench: RunSmartbench, wat_modules: Modules, workspace: Path
) -> None:
    args = ("test", "--wasm-file", wat_modules["loop"], "--text", "a")
    from_flag = run_smartbench(*args, "--time-budget", "200ms")
    assert from_flag.returncode == 1
    assert b"exceeded its 200 ms time budget" in from_flag.stderr

    (workspace / "config.toml").write_text('[engine]\ntime_budget = "300ms"\n')
    from_config = run_smartbench(*args)
    assert from_config.returncode == 1
    assert b"exceeded its 300 ms time budget" in from_config.stderr


def test_memory_limit_flag_reaches_the_engine(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    args = ("test", "--wasm-file", wat_modules["grow"], "--text", "a")
    limited = run_smartbench(*args, "--memory-limit", "4MiB")
    assert limited.returncode == 1
    assert b"exceeded its 4 MiB memory limit" in limited.stderr
    assert run_smartbench(*args, "--memory-limit", "64MiB").returncode == 0


def test_batch_size_must_be_positive(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--text",
        "a",
        "--batch-size",
        "0",
    )
    assert result.returncode == 2
    assert b"--batch-size must be at least 1" in result.stderr


def test_lookback_gets_the_last_n_records(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["probe"],
        "--text",
        "x",
        "-r",
        "r1",
        "--record",
        "r2",
        "-r",
        "r3",
        "-l",
        "2",
        "-O",
        "jsonl",
    )
    assert result.returncode == 0, result.stderr
    lookback_bytes = _values(result.stdout)[1]
    assert lookback_bytes == _smartmodule_input(encode_values([b"r2", b"r3"]), 0, 0)


def test_records_without_lookback_last_are_noted(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["probe"],
        "--text",
        "x",
        "-r",
        "r1",
        "-O",
        "jsonl",
    )
    assert result.returncode == 0, result.stderr
    assert _values(result.stdout)[1] == b""
    assert b"--record values are only used with --lookback-last" in result.stderr


# --- errors --------------------------------------------------------------------------


def test_user_error_prints_records_before_it_then_the_block(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--stdin",
        input=b"fine\nboom\nnever\n",
    )
    assert result.returncode == 1
    assert result.stdout == b"FINE\n"
    stderr = result.stderr.decode()
    assert "boom is not allowed" in stderr
    assert "SmartModule Info:" in stderr
    assert "    Type: Map\n    Offset: 1\n    Key: NULL\n    Value: boom" in stderr


def test_trap_is_a_runtime_failure(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench("test", "--wasm-file", wat_modules["trap"], "--text", "a")
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"module panicked (wasm trap: unreachable)" in result.stderr


def test_init_failure_names_module_and_params(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test", "--wasm-file", wat_modules["needs-param"], "--text", "a"
    )
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "init of needs-param.wasm failed: missing param min" in stderr
    assert "params given: (none)" in stderr

    with_param = run_smartbench(
        "test", "--wasm-file", wat_modules["needs-param"], "--text", "a", "-e", "min=3"
    )
    assert with_param.returncode == 0, with_param.stderr
    assert with_param.stdout == b"a\n"


def test_what_a_failing_init_printed_comes_before_the_error(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    result = run_smartbench(
        "test", "--wasm-file", wat_modules["init-panics"], "--text", "a"
    )

    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "panicked at init: boom" in stderr
    assert stderr.index("panicked at init: boom") < stderr.index("init of")


def test_load_errors_exit_2(run_smartbench: RunSmartbench, tmp_path: Path) -> None:
    not_wasm = tmp_path / "notes.wasm"
    not_wasm.write_text("just text\n")
    for path in (not_wasm, tmp_path / "absent.wasm"):
        result = run_smartbench("test", "--wasm-file", path, "--text", "a")
        assert result.returncode == 2
        assert path.name.encode() in result.stderr
        assert b"Traceback" not in result.stderr


def test_no_module_is_a_usage_error(run_smartbench: RunSmartbench) -> None:
    result = run_smartbench("test", "--text", "a")
    assert result.returncode == 2
    assert b"no module: give --wasm-file PATH, -t FILE or --transform JSON" in (
        result.stderr
    )


# --- --expect ------------------------------------------------------------------------


def test_expect_passes_on_identical_lines(
    run_smartbench: RunSmartbench, wat_modules: Modules, tmp_path: Path
) -> None:
    golden = tmp_path / "golden.txt"
    golden.write_text("APPLE\nKIWI\n")
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--text",
        "apple",
        "--text",
        "kiwi",
        "--expect",
        golden,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"APPLE\nKIWI\n"


def test_expect_mismatch_prints_a_unified_diff(
    run_smartbench: RunSmartbench, wat_modules: Modules, tmp_path: Path
) -> None:
    golden = tmp_path / "golden.txt"
    golden.write_text("APPLE\nPEAR\n")
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--text",
        "apple",
        "--text",
        "kiwi",
        "--expect",
        golden,
    )
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert f"--- {golden}" in stderr
    assert "+++ output" in stderr
    assert "-PEAR" in stderr
    assert "+KIWI" in stderr
    assert " APPLE" in stderr


# --- chains --------------------------------------------------------------------------


def test_chain_from_a_transforms_file_with_relative_paths(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    transforms = wat_modules["uppercase"].parent / "chain.yaml"
    transforms.write_text(
        "transforms:\n  - uses: ./contains-a.wasm\n  - uses: uppercase.wasm\n"
    )
    result = run_smartbench(
        "test", "-t", transforms, "--stdin", input=b"apple\nkiwi\nbanana\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"APPLE\nBANANA\n"


def test_transforms_line_with_params_reaches_init_as_sorted_json(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    step = {
        "uses": str(wat_modules["probe"]),
        "with": {"spec": {"z": [1, "two"], "a": {"y": 1, "b": 2}}, "plain": "p"},
    }
    result = run_smartbench(
        "test", "--transforms-line", json.dumps(step), "--text", "x", "-O", "jsonl"
    )
    assert result.returncode == 0, result.stderr
    expected = _init_input({"plain": "p", "spec": '{"a":{"b":2,"y":1},"z":[1,"two"]}'})
    assert _values(result.stdout)[0] == expected


def test_transform_lines_run_in_order(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    first = json.dumps({"uses": str(wat_modules["uppercase"])})
    second = json.dumps({"uses": str(wat_modules["contains-a"])})
    result = run_smartbench(
        "test",
        "--transform",
        first,
        "--transforms-line",
        second,
        "--text",
        "apple",
        "--text",
        "banana",
    )
    # Upper-cased first, so the filter looking for `a` finds none.
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""


def test_chain_step_initial_feeds_the_next_step(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    transforms = wat_modules["concat"].parent / "initial.yaml"
    transforms.write_text(
        "transforms:\n"
        "  - uses: ./concat.wasm\n"
        "    initial: '>'\n"
        "  - uses: ./uppercase.wasm\n"
    )
    result = run_smartbench("test", "-t", transforms, "--text", "x", "--text", "y")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b">X\n>XY\n"


def test_chain_step_lookback_gets_the_last_records(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    transforms = wat_modules["probe"].parent / "lookback.yaml"
    transforms.write_text(
        "transforms:\n"
        "  - uses: ./probe.wasm\n"
        "    with: {n: 6}\n"
        "    lookback: {last: 1}\n"
    )
    result = run_smartbench(
        "test",
        "-t",
        transforms,
        "--text",
        "x",
        "-r",
        "old",
        "-r",
        "newest",
        "-O",
        "jsonl",
    )
    assert result.returncode == 0, result.stderr
    init_bytes, lookback_bytes = _values(result.stdout)
    assert init_bytes == _init_input({"n": "6"})
    assert lookback_bytes == _smartmodule_input(encode_values([b"newest"]), 0, 0)


def test_empty_transforms_list_passes_records_through(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    transforms = tmp_path / "empty.yaml"
    transforms.write_text("transforms: []\n")
    result = run_smartbench("test", "-t", transforms, "--text", "as is")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"as is\n"


def test_lookback_last_with_a_chain_is_refused(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    step = json.dumps({"uses": str(wat_modules["probe"])})
    result = run_smartbench(
        "test", "--transform", step, "--text", "x", "-r", "a", "-l", "1"
    )
    assert result.returncode == 2
    assert b"--lookback-last applies to one module" in result.stderr


@pytest.mark.parametrize(
    "extra", [("-e", "a=1"), ("--aggregate-initial", "0"), ("--a-init", "")]
)
def test_module_flags_are_refused_with_a_chain(
    run_smartbench: RunSmartbench, wat_modules: Modules, extra: tuple[str, str]
) -> None:
    step = json.dumps({"uses": str(wat_modules["uppercase"])})
    result = run_smartbench("test", "--transforms-line", step, "--text", "a", *extra)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (
        "-e/--aggregate-initial apply to one module; with -t put them in the "
        "step's with:/initial:"
    )


def test_registered_name_in_uses(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    created = run_smartbench(
        "smartmodule", "create", "shout", "--wasm-file", wat_modules["uppercase"]
    )
    assert created.returncode == 0, created.stderr
    result = run_smartbench(
        "test", "--transforms-line", '{"uses":"shout"}', "--text", "hey"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"HEY\n"


def test_missing_path_in_uses_is_a_load_error(
    run_smartbench: RunSmartbench, tmp_path: Path
) -> None:
    transforms = tmp_path / "chain.yaml"
    transforms.write_text("transforms:\n  - uses: ./not-built-yet.wasm\n")
    result = run_smartbench("test", "-t", transforms, "--text", "a")
    assert result.returncode == 2
    assert str(tmp_path / "not-built-yet.wasm").encode() in result.stderr


def test_unknown_registered_name(run_smartbench: RunSmartbench) -> None:
    result = run_smartbench(
        "test", "--transforms-line", '{"uses":"wrong"}', "--text", "a"
    )
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "smartmodule wrong not found"


def test_bad_transforms_input(run_smartbench: RunSmartbench, tmp_path: Path) -> None:
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("transforms:\n  - with: {}\n")
    from_file = run_smartbench("test", "-t", bad_file, "--text", "a")
    assert from_file.returncode == 2
    assert from_file.stderr.decode().startswith(
        "unable to process `transforms` argument: "
    )
    assert b"missing field `uses`" in from_file.stderr

    from_line = run_smartbench("test", "--transform", "{not json", "--text", "a")
    assert from_line.returncode == 2
    assert from_line.stderr.decode().startswith(
        "unable to parse `transform` argument: "
    )


def test_wasm_file_and_chain_together_are_refused(
    run_smartbench: RunSmartbench, wat_modules: Modules
) -> None:
    step = json.dumps({"uses": str(wat_modules["uppercase"])})
    result = run_smartbench(
        "test",
        "--wasm-file",
        wat_modules["uppercase"],
        "--transform",
        step,
        "--text",
        "a",
    )
    assert result.returncode == 2
    assert b"--wasm-file cannot be used with -t/--transforms-line" in result.stderr
