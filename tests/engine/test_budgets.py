"""Memory limits, rebuilds past half the limit, and budget formatting."""

from __future__ import annotations

import pytest

from tests.engine.wat_fixtures import load
from workbench.engine.chain import Chain, StepConfig
from workbench.engine.records import decode_records, encode_values
from workbench.engine.types import Limits, LookbackConfig, ProcessResult
from workbench.engine.units import (
    format_bytes,
    format_duration,
    parse_duration,
    parse_size,
)

SMALL_MEMORY = Limits(memory_bytes=1 << 20)
ONES = encode_values([b"1"] * 1_000)


def values(result: ProcessResult) -> list[bytes]:
    return [record.value for record in decode_records(result.output)]


def test_memory_bomb_reports_a_smaller_limit_in_mib() -> None:
    limits = Limits(memory_bytes=64 << 20)

    with Chain.build([StepConfig(load("memory_bomb"))], limits=limits) as chain:
        result = chain.process(ONES, 40, 0)

    assert result.failure == (
        "memory_bomb.wasm: module exceeded its 64 MiB memory limit on the batch "
        "starting at offset 40"
    )


def test_instance_past_half_its_memory_is_rebuilt_keeping_the_accumulator() -> None:
    step = StepConfig(load("aggregate"), initial=b"0")
    results = []

    with Chain.build([step], limits=SMALL_MEMORY) as chain:
        for batch in range(30):
            results.append(chain.process(ONES, batch * 1_000, 0))
            assert max(chain.memory_sizes) <= SMALL_MEMORY.memory_bytes

    notices = [notice for result in results for notice in result.notices]
    assert notices == [
        "aggregate.wasm: module static state was reset: its memory passed half its "
        "1 MiB limit (output buffers are never freed), so it was instantiated "
        "again; the aggregate accumulator was kept"
    ]
    assert all(result.ok for result in results)
    assert values(results[-1])[-1] == b"30000"


def test_rebuild_runs_init_and_look_back_again() -> None:
    history = encode_values([b"100"])
    step = StepConfig(load("rising"), lookback=LookbackConfig(last=1))
    rising = encode_values([str(100 + n).encode() for n in range(1, 1_001)])
    kept_per_batch = []

    with Chain.build(
        [step], limits=SMALL_MEMORY, lookback_source=lambda i, c: history
    ) as chain:
        for _ in range(30):
            kept_per_batch.append(chain.process(rising, 0, 0).records_out)

    # The maximum seen survives between batches, so a repeat keeps nothing, until a
    # rebuild resets it to the history's 100 and the batch passes again.
    assert kept_per_batch[0] == 1_000
    assert kept_per_batch[1] == 0
    assert kept_per_batch.count(1_000) >= 2


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (1 << 30, "1 GiB"),
        (64 << 20, "64 MiB"),
        (1536, "1.5 KiB"),
        (100, "100 bytes"),
        (1_000_000_000, "953.67 MiB"),
    ],
)
def test_format_bytes(size: int, text: str) -> None:
    assert format_bytes(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(5.0, "5 s"), (0.5, "500 ms"), (90, "90 s"), (1.25, "1.25 s")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "size"),
    [("64MiB", 64 << 20), ("1 GiB", 1 << 30), ("512k", 512 << 10), ("1000", 1000)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "seconds"), [("5s", 5.0), ("500ms", 0.5), ("2m", 120.0), ("1.5", 1.5)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "lots", "5 parsecs", "0", "-3MiB"])
def test_bad_sizes_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_size(text)


@pytest.mark.parametrize("text", ["", "soon", "0s", "5 hours"])
def test_bad_durations_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_refused_allocation_reported_by_the_guest_is_the_memory_limit() -> None:
    limits = Limits(memory_bytes=1 << 20)

    with Chain.build([StepConfig(load("allocation_failure"))], limits=limits) as chain:
        result = chain.process(ONES, 40, 0)

    assert result.failure == (
        "allocation_failure.wasm: module exceeded its 1 MiB memory limit on the "
        "batch starting at offset 40"
    )
    assert result.stderr == b"memory allocation of 2000000 bytes failed\n"


def test_an_allocation_failure_within_the_limit_is_a_panic() -> None:
    step = StepConfig(load("capped_allocation_failure"))

    with Chain.build([step], limits=Limits(memory_bytes=1 << 20)) as chain:
        result = chain.process(ONES, 0, 0)

    assert result.failure == (
        "capped_allocation_failure.wasm: module panicked (wasm trap: unreachable) "
        "on the batch starting at offset 0"
    )
    assert result.stderr == b"memory allocation of 2000000 bytes failed\n"


def test_a_module_born_past_half_its_limit_is_not_rebuilt_for_it() -> None:
    limits = Limits(memory_bytes=96 << 10)

    with Chain.build([StepConfig(load("empty_output"))], limits=limits) as chain:
        results = [chain.process(encode_values([b"x"]), n, 0) for n in range(3)]

    assert [result.notices for result in results] == [(), (), ()]
    assert all(result.ok for result in results)
