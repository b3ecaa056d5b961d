"""look_back: history before the first batch, failures, and what it receives."""

from __future__ import annotations

import pytest

from tests.engine.wat_fixtures import load
from workbench.engine import abi
from workbench.engine.chain import Chain, StepConfig
from workbench.engine.records import decode_records, encode_values
from workbench.engine.types import LookbackConfig
from workbench.errors import ModuleRuntimeError

LAST_TWO = LookbackConfig(last=2)


def values(data: bytes) -> list[bytes]:
    return [record.value for record in decode_records(data)]


@pytest.mark.parametrize("version", [22, 25])
def test_look_back_seeds_state_before_the_first_batch(version: int) -> None:
    requests: list[tuple[int, LookbackConfig]] = []

    def history(index: int, config: LookbackConfig) -> bytes:
        requests.append((index, config))
        return encode_values([b"3", b"9"])

    steps = [StepConfig(load("map")), StepConfig(load("rising"), lookback=LAST_TWO)]
    with Chain.build(steps, abi_version=version, lookback_source=history) as chain:
        result = chain.process(encode_values([b"5", b"10", b"7", b"12"]), 0, 0)

    assert values(result.output) == [b"10", b"12"]
    assert requests == [(1, LAST_TWO)]


@pytest.mark.parametrize("version", [22, 25])
def test_look_back_input_has_zero_base_offset_and_timestamp(version: int) -> None:
    history = encode_values([b"old"], first_offset_delta=4)
    step = StepConfig(load("echo"), lookback=LAST_TWO)

    with Chain.build(
        [step], abi_version=version, lookback_source=lambda index, config: history
    ) as chain:
        result = chain.process(encode_values([b"new"]), 100, 5_000)

    assert values(result.output)[2] == abi.encode_input(history, 0, 0, version)


def test_no_history_means_look_back_is_not_called() -> None:
    step = StepConfig(load("echo"), lookback=LAST_TWO)

    with Chain.build([step], lookback_source=lambda index, config: None) as chain:
        result = chain.process(encode_values([b"new"]), 0, 0)

    assert values(result.output)[2] == b""


def test_without_a_lookback_setting_the_source_is_not_asked() -> None:
    def refuse(index: int, config: LookbackConfig) -> bytes:
        raise AssertionError("look_back history requested without a setting")

    with Chain.build([StepConfig(load("rising"))], lookback_source=refuse) as chain:
        result = chain.process(encode_values([b"1", b"0"]), 0, 0)

    assert values(result.output) == [b"1"]


def test_look_back_user_error_reads_like_fluvio() -> None:
    history = encode_values([b"4", b"wrong last record"], [None, b"k"])
    step = StepConfig(load("rising"), lookback=LAST_TWO)

    with pytest.raises(ModuleRuntimeError) as caught:
        Chain.build([step], lookback_source=lambda index, config: history)

    assert caught.value.message == (
        "SmartModule look_back error: invalid digit found in string\n\n"
        "SmartModule Lookback Error: \n"
        "    Offset: 1\n"
        "    Key: k\n"
        "    Value: wrong last record\n"
        "    Module: rising.wasm"
    )
    assert caught.value.exit_code == 1


def test_look_back_trap_is_a_look_back_error() -> None:
    step = StepConfig(load("trapping_look_back"), lookback=LAST_TWO)

    with pytest.raises(ModuleRuntimeError) as caught:
        Chain.build([step], lookback_source=lambda index, config: encode_values([]))

    assert caught.value.message == (
        "SmartModule look_back error: module panicked (wasm trap: unreachable)\n"
        "    Module: trapping_look_back.wasm"
    )
