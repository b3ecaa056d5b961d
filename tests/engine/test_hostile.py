"""Hostile modules: each fails with its own message, and nothing else breaks."""

from __future__ import annotations

import pytest

from tests.engine.wat_fixtures import load
from workbench.engine import abi
from workbench.engine.chain import Chain, StepConfig
from workbench.engine.records import decode_records, encode_values
from workbench.engine.types import Limits
from workbench.errors import ModuleRuntimeError

SHORT_BUDGET = Limits(time_budget=0.2)
BATCH = encode_values([b"one", b"two"])
OLD_SDK_HINT = (
    "hint: a status of -11 at ABI version 25 usually means the module was built "
    "with an SDK older than fluvio-smartmodule 0.7.2 (July 2023), which cannot "
    "read this input; run it at ABI version 22"
)


def a_good_module_still_runs() -> None:
    with Chain.build([StepConfig(load("map"))]) as chain:
        result = chain.process(encode_values([b"ok"]), 0, 0)
    assert [record.value for record in decode_records(result.output)] == [b"OK"]


@pytest.mark.parametrize("version", [22, 25])
@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("infinite_loop", "exceeded its 200 ms time budget"),
        ("memory_bomb", "exceeded its 1 GiB memory limit"),
        ("trap", "panicked (wasm trap: unreachable)"),
        ("divide_by_zero", "crashed (wasm trap: integer divide by zero)"),
        (
            "bad_pointer",
            "passed copy_records a buffer outside its memory "
            "(pointer 0x7fff0000, length 100, memory 64 KiB)",
        ),
        (
            "garbage_output",
            "wrote an output that cannot be decoded "
            "(record length runs past the end of the output)",
        ),
        ("negative_status", "returned error status -11 (DecodingBaseInput)"),
        ("never_copies", "returned without calling copy_records"),
        ("exits", "exited through WASI proc_exit with status 3"),
    ],
)
def test_failure_message_and_recovery(fixture: str, reason: str, version: int) -> None:
    step = StepConfig(load(fixture))

    with Chain.build([step], abi_version=version, limits=SHORT_BUDGET) as chain:
        first = chain.process(BATCH, 40, 0)
        second = chain.process(BATCH, 42, 0)

    expected = f"{fixture}.wasm: module {reason} on the batch starting at offset 40"
    assert first.failure is not None
    assert first.failure.splitlines()[0] == expected
    assert first.output == b"\x00\x00\x00\x00"
    assert (first.records_in, first.records_out) == (2, 0)
    assert first.error is None
    assert second.failure is not None
    assert second.failure.splitlines()[0] == expected.replace("40", "42")
    a_good_module_still_runs()


def test_alloc_returning_an_out_of_bounds_pointer() -> None:
    with Chain.build([StepConfig(load("bad_alloc"))]) as chain:
        result = chain.process(BATCH, 7, 0)

    size = len(abi.encode_input(BATCH, 7, 0, 22))
    assert result.failure == (
        f"bad_alloc.wasm: module returned from alloc({size}) a pointer 0x7ffffff0 "
        "outside its memory of 64 KiB on the batch starting at offset 7"
    )
    a_good_module_still_runs()


def test_minus_11_at_v25_hints_at_an_old_sdk() -> None:
    with Chain.build([StepConfig(load("negative_status"))], abi_version=25) as chain:
        result = chain.process(BATCH, 0, 0)

    assert result.failure is not None
    assert result.failure.splitlines()[1] == OLD_SDK_HINT


def test_minus_11_at_v22_has_no_old_sdk_hint() -> None:
    with Chain.build([StepConfig(load("negative_status"))]) as chain:
        result = chain.process(BATCH, 0, 0)

    assert result.failure is not None
    assert "hint:" not in result.failure


def test_a_trapped_instance_is_rebuilt_with_one_notice() -> None:
    with Chain.build([StepConfig(load("trap"))]) as chain:
        chain.process(BATCH, 0, 0)
        second = chain.process(BATCH, 2, 0)
        third = chain.process(BATCH, 4, 0)

    assert second.notices == (
        "trap.wasm: module static state was reset: it stopped in the middle of the "
        "previous batch, so it was instantiated again",
    )
    assert third.notices == ()


def test_a_status_failure_keeps_the_instance() -> None:
    with Chain.build([StepConfig(load("negative_status"))]) as chain:
        chain.process(BATCH, 0, 0)
        second = chain.process(BATCH, 2, 0)

    assert second.notices == ()


def test_a_failing_step_stops_the_chain_with_earlier_output_kept() -> None:
    steps = [StepConfig(load("map")), StepConfig(load("trap"))]

    with Chain.build(steps) as chain:
        result = chain.process(BATCH, 3, 0, keep_steps=True)

    assert result.failure == (
        "trap.wasm: module panicked (wasm trap: unreachable) on the batch "
        "starting at offset 3"
    )
    assert result.output == b"\x00\x00\x00\x00"
    assert result.step_outputs is not None
    assert len(result.step_outputs) == 1


def test_init_that_never_returns_hits_the_time_budget() -> None:
    step = StepConfig(load("looping_init"), params={"a": "1"})

    with pytest.raises(ModuleRuntimeError) as caught:
        Chain.build([step], limits=SHORT_BUDGET)

    assert caught.value.message == (
        "init of looping_init.wasm failed: module exceeded its 200 ms time budget\n"
        "params given: a=1"
    )
    a_good_module_still_runs()


def test_memory_below_the_module_minimum_fails_to_instantiate() -> None:
    with pytest.raises(ModuleRuntimeError) as caught:
        Chain.build([StepConfig(load("map"))], limits=Limits(memory_bytes=1000))

    assert caught.value.message.startswith(
        "map.wasm: module could not be instantiated: "
    )
