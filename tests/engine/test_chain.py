"""Chains over real WAT SmartModules: the five kinds, init, aggregate, chaining."""

from __future__ import annotations

import gc
import struct
import threading
import weakref

import pytest

from tests.engine.wat_fixtures import load
from workbench.engine import abi
from workbench.engine.chain import Chain, ChainSetupError, StepConfig
from workbench.engine.records import Record, decode_records, encode_values
from workbench.engine.types import ModuleKind, ProcessResult
from workbench.errors import ModuleRuntimeError, RecordsRefusedError

VERSIONS = [22, 25]


@pytest.fixture(params=VERSIONS, ids=lambda version: f"v{version}")
def version(request: pytest.FixtureRequest) -> int:
    number: int = request.param
    return number


def run_once(
    name: str,
    values: list[bytes],
    version: int,
    *,
    params: dict[str, str] | None = None,
    base_offset: int = 0,
    keys: list[bytes | None] | None = None,
) -> ProcessResult:
    step = StepConfig(load(name), params=params or {})
    with Chain.build([step], abi_version=version) as chain:
        return chain.process(encode_values(values, keys), base_offset, 1_000)


def values_of(result: ProcessResult) -> list[bytes]:
    return [record.value for record in decode_records(result.output)]


def test_filter_keeps_values_containing_a(version: int) -> None:
    result = run_once("filter", [b"apple", b"kiwi", b"banana", b""], version)

    assert values_of(result) == [b"apple", b"banana"]
    assert (result.records_in, result.records_out) == (4, 2)
    assert result.ok


def test_filter_keeps_records_byte_for_byte(version: int) -> None:
    records = encode_values([b"cherry", b"date"], [b"k1", None], first_offset_delta=3)

    with Chain.build([StepConfig(load("filter"))], abi_version=version) as chain:
        result = chain.process(records, 0, 0)

    assert result.output == b"\x00\x00\x00\x01" + Record(b"date", None, 4).encode()


def test_filter_takes_its_needle_from_init_params(version: int) -> None:
    result = run_once(
        "filter", [b"apple", b"kiwi", b"wiki"], version, params={"contains": "ki"}
    )

    assert values_of(result) == [b"kiwi", b"wiki"]


def test_map_uppercases_and_keeps_key_and_preamble(version: int) -> None:
    result = run_once("map", [b"hello", b"wOrld"], version, keys=[b"a", None])

    assert decode_records(result.output) == [
        Record(b"HELLO", b"a", 0),
        Record(b"WORLD", None, 1),
    ]


def test_map_output_matches_the_worked_example(version: int) -> None:
    result = run_once("map", [b"hello"], version, keys=[b"a"])

    expected = "000000011a0000000102610a48454c4c4f00"
    assert result.output.hex() == expected


def test_filter_map_drops_odd_and_halves_even(version: int) -> None:
    result = run_once("filter_map", [b"4", b"3", b"10", b"0"], version)

    assert decode_records(result.output) == [
        Record(b"2", None, 0),
        Record(b"5", None, 2),
        Record(b"0", None, 3),
    ]


def test_user_error_returns_records_before_it(version: int) -> None:
    result = run_once(
        "filter_map",
        [b"4", b"x", b"6"],
        version,
        base_offset=5,
        keys=[None, b"k", None],
    )

    assert values_of(result) == [b"2"]
    assert result.records_out == 1
    assert result.failure is None
    assert result.error is not None
    assert result.error.hint == "invalid digit found in string"
    assert result.error.offset == 6
    assert result.error.kind is ModuleKind.FILTER_MAP
    assert (result.error.key, result.error.value) == (b"k", b"x")
    assert not result.ok


def test_array_map_splits_on_commas_into_fresh_records(version: int) -> None:
    result = run_once("array_map", [b"a,b,c", b"x"], version, keys=[b"k", None])

    assert decode_records(result.output) == [
        Record(b"a", b"k"),
        Record(b"b", b"k"),
        Record(b"c", b"k"),
        Record(b"x"),
    ]
    assert result.records_out == 4


def test_aggregate_sums_from_the_initial_value_across_batches(version: int) -> None:
    step = StepConfig(load("aggregate"), initial=b"100")

    with Chain.build([step], abi_version=version) as chain:
        first = chain.process(encode_values([b"1", b"2"]), 0, 0)
        second = chain.process(encode_values([b"3"]), 2, 0)
        accumulator = chain.accumulator()

    assert values_of(first) == [b"101", b"103"]
    assert values_of(second) == [b"106"]
    assert accumulator == b"106"


def test_aggregate_keeps_the_output_accumulator_on_user_error(version: int) -> None:
    step = StepConfig(load("aggregate"))

    with Chain.build([step], abi_version=version) as chain:
        failed = chain.process(encode_values([b"5", b"oops", b"7"]), 0, 0)
        after = chain.accumulator()
        next_batch = chain.process(encode_values([b"1"]), 3, 0)

    assert values_of(failed) == [b"5"]
    assert failed.error is not None
    assert failed.error.kind is ModuleKind.AGGREGATE
    assert after == b"5"
    assert values_of(next_batch) == [b"6"]


def test_empty_batch_passes_through_every_kind(version: int) -> None:
    for name in ("filter", "map", "filter_map", "array_map", "aggregate"):
        result = run_once(name, [], version)

        assert result.output == b"\x00\x00\x00\x00"
        assert (result.records_in, result.records_out) == (0, 0)


def test_echo_sees_exactly_the_bytes_the_abi_specifies(version: int) -> None:
    records = encode_values([b"hello"], [b"a"])
    step = StepConfig(load("echo"), params={"key": "a"})

    with Chain.build([step], abi_version=version) as chain:
        result = chain.process(records, 0, 0)

    # The worked examples: base offset, raw_bytes, (v22 only: empty params and
    # join record), base timestamp; and the init parameter map {key: "a"}.
    raw = "00000012000000011a0000000102610a68656c6c6f00"
    v22_only = "00000000000000" if version == 22 else ""
    expected = "0000000000000000" + raw + v22_only + "0000000000000000"
    transform_input, init_input, look_back_input = values_of(result)
    assert transform_input.hex() == expected
    assert len(transform_input) == (45 if version == 22 else 38)
    assert init_input.hex() == "000100036b657900016100"
    assert look_back_input == b""


def test_echo_aggregate_sees_the_accumulator_after_the_input(version: int) -> None:
    records = encode_values([b"hello"])
    step = StepConfig(load("echo_aggregate"), initial=b"abc")

    with Chain.build([step], abi_version=version) as chain:
        result = chain.process(records, 7, 9)
        accumulator = chain.accumulator()

    transform_input = values_of(result)[0]
    assert transform_input == abi.encode_aggregate_input(records, 7, 9, b"abc", version)
    assert accumulator == b"echo"


def test_chain_feeds_successes_to_the_next_step(version: int) -> None:
    steps = [StepConfig(load("filter")), StepConfig(load("map"))]

    with Chain.build(steps, abi_version=version) as chain:
        result = chain.process(encode_values([b"apple", b"kiwi", b"pear"]), 10, 0)

    assert decode_records(result.output) == [
        Record(b"APPLE", None, 0),
        Record(b"PEAR", None, 2),
    ]
    assert chain.kind is ModuleKind.MAP
    assert [info.kind for info in chain.infos] == [ModuleKind.FILTER, ModuleKind.MAP]


def test_chain_re_bases_the_next_input_on_the_chain_input() -> None:
    steps = [StepConfig(load("filter")), StepConfig(load("echo"))]

    with Chain.build(steps) as chain:
        result = chain.process(encode_values([b"a", b"b"]), 40, 123, keep_steps=True)

    assert result.step_outputs is not None
    filtered = result.step_outputs[0]
    assert values_of(result)[0] == abi.encode_input(filtered, 40, 123, 22)


def test_a_user_error_stops_the_chain_at_that_step() -> None:
    steps = [StepConfig(load("filter_map")), StepConfig(load("map"))]

    with Chain.build(steps) as chain:
        result = chain.process(encode_values([b"8", b"nope"]), 0, 0, keep_steps=True)

    assert values_of(result) == [b"4"]
    assert result.error is not None
    assert result.step_outputs is not None
    assert len(result.step_outputs) == 1


def test_init_failure_names_module_hint_and_params() -> None:
    step = StepConfig(load("filter"), params={"contains": "", "other": "x"})

    with pytest.raises(ModuleRuntimeError) as caught:
        Chain.build([step])

    assert caught.value.message == (
        "init of filter.wasm failed: param `contains` must not be empty\n"
        "params given: contains=, other=x"
    )
    assert caught.value.exit_code == 1


def test_init_trap_says_no_params_were_given() -> None:
    with pytest.raises(ModuleRuntimeError) as caught:
        Chain.build([StepConfig(load("failing_init"))])

    assert caught.value.message == (
        "init of failing_init.wasm failed: module panicked (wasm trap: unreachable)\n"
        "params given: (none)"
    )


def test_init_error_output_carries_the_hint_and_what_init_printed() -> None:
    with pytest.raises(ChainSetupError) as caught:
        Chain.build([StepConfig(load("noisy_init"))])

    assert caught.value.message == (
        "init of noisy_init.wasm failed: Missing param key\nparams given: (none)"
    )
    assert caught.value.stdout == b"configuring\n"
    assert caught.value.stderr == b"no params\n"
    assert isinstance(caught.value, ModuleRuntimeError)


def test_what_a_successful_init_prints_is_kept_apart_from_batches() -> None:
    step = StepConfig(load("noisy_init"), params={"key": "1"})

    with Chain.build([step]) as chain:
        assert chain.setup_stdout == b"configuring\n"
        assert chain.setup_stderr == b""


def test_module_output_to_stdout_and_stderr_is_captured_per_call(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with Chain.build([StepConfig(load("printer"))]) as chain:
        first = chain.process(encode_values([b"x"]), 0, 0)
        second = chain.process(encode_values([b"y"]), 1, 0)

    assert first.stdout == second.stdout == b"hello from the module\n"
    assert first.stderr == second.stderr == b"a warning\n"
    assert values_of(second) == [b"y"]
    assert capfd.readouterr() == ("", "")


def test_wasi_shows_no_environment_arguments_directories_or_stdin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMARTBENCH_PROBE", "visible?")

    with Chain.build([StepConfig(load("wasi_probe"))]) as chain:
        result = chain.process(encode_values([b"x"]), 0, 0)

    report = struct.unpack("<4i", values_of(result)[0])
    bad_file_descriptor = 8
    assert report == (0, 0, bad_file_descriptor, 0)


def test_input_that_is_not_a_record_list_is_refused() -> None:
    chain = Chain.build([StepConfig(load("map"))])

    with chain, pytest.raises(RecordsRefusedError):
        chain.process(b"\x00", 0, 0)


def test_a_chain_needs_a_step() -> None:
    with pytest.raises(ValueError):
        Chain.build([])


def test_two_chains_run_in_parallel_threads() -> None:
    values = [f"value {index} a".encode() for index in range(500)]
    outcomes: dict[str, list[bytes]] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with Chain.build([StepConfig(load(name))]) as chain:
                collected: list[bytes] = []
                for batch in range(20):
                    result = chain.process(encode_values(values), batch * 500, 0)
                    collected.extend(values_of(result))
                outcomes[name] = collected
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("map", "filter")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes["map"] == [value.upper() for value in values] * 20
    assert outcomes["filter"] == values * 20


def test_dropped_chains_release_their_instances() -> None:
    instances = []
    for _ in range(5):
        chain = Chain.build([StepConfig(load("map"))])
        chain.process(encode_values([b"x"]), 0, 0)
        instances.append(weakref.ref(chain._steps[0].instance))
        chain.close()
        del chain

    gc.collect()

    assert [ref() for ref in instances] == [None] * 5
