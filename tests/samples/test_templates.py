"""The C versions of smdk's templates give Fluvio's documented outcomes."""

from __future__ import annotations

import pytest

from tests.samples.helpers import ABI_VERSIONS, Step, build_chain, run, values
from workbench.engine.records import Record, encode_record_list, encode_values
from workbench.engine.types import ModuleKind

abi_versions = pytest.mark.parametrize("abi", ABI_VERSIONS)


@abi_versions
def test_filter_keeps_values_containing_a(abi: int) -> None:
    result = run(["tpl-filter"], [b"apple", b"kiwi", b"banana", b"", b"A"], abi)

    assert values(result) == [b"apple", b"banana"]


@abi_versions
def test_filter_finds_an_a_at_any_position_of_long_values(abi: int) -> None:
    with_a = [b"x" * before + b"a" + b"y" * (20 - before) for before in range(21)]
    without_a = [b"b" * length for length in range(20)]
    accented = "é" * 9 + "a"

    result = run(["tpl-filter"], [*with_a, *without_a, accented.encode()], abi)

    assert values(result) == [*with_a, accented.encode()]


@abi_versions
def test_filter_reports_invalid_utf8_after_a_long_ascii_prefix(abi: int) -> None:
    broken = b"abcdefghijklmnop\xe9!"

    result = run(["tpl-filter"], ["ok é".encode(), broken], abi)

    assert result.error is not None
    assert (result.error.offset, result.error.value) == (1, broken)


@abi_versions
def test_filter_reports_a_value_that_is_not_utf8(abi: int) -> None:
    result = run(["tpl-filter"], [b"a", b"\xff\xfe", b"ab"], abi)

    assert values(result) == [b"a"]
    assert result.error is not None
    assert result.error.hint == "invalid utf-8 sequence"
    assert (result.error.offset, result.error.value) == (1, b"\xff\xfe")


@abi_versions
def test_map_doubles_integers_and_stops_at_the_first_non_integer(abi: int) -> None:
    result = run(
        ["tpl-map"], [b"21", b"-4", b"x", b"5"], abi, keys=[b"k", None, b"bad", None]
    )

    assert values(result) == [b"42", b"-8"]
    assert result.error is not None
    assert result.error.hint == "invalid digit found in string"
    assert result.error.kind is ModuleKind.MAP
    assert (result.error.offset, result.error.key) == (2, b"bad")


@abi_versions
def test_map_reports_integers_out_of_range_like_rust(abi: int) -> None:
    too_large = run(["tpl-map"], [b"2147483648"], abi).error
    empty = run(["tpl-map"], [b""], abi).error

    assert too_large is not None and empty is not None
    assert too_large.hint == "number too large to fit in target type"
    assert empty.hint == "cannot parse integer from empty string"


@abi_versions
def test_filter_map_drops_37_and_turns_100_into_50(abi: int) -> None:
    result = run(["tpl-filter-map"], [b"37", b"100"], abi)

    assert values(result) == [b"50"]


@abi_versions
def test_filter_map_halves_negative_even_numbers(abi: int) -> None:
    result = run(["tpl-filter-map"], [b"-8", b"-3", b"0"], abi)

    assert values(result) == [b"-4", b"0"]


@abi_versions
def test_array_map_splits_an_array_into_three_fruits(abi: int) -> None:
    result = run(["tpl-array-map"], [b'["Apple", "Banana",\n "Cranberry"]'], abi)

    assert values(result) == [b'"Apple"', b'"Banana"', b'"Cranberry"']


@abi_versions
def test_array_map_refuses_a_value_that_is_no_array(abi: int) -> None:
    result = run(["tpl-array-map"], [b"[1]", b'{"a": 1}'], abi)

    assert values(result) == [b"1"]
    assert result.error is not None
    assert result.error.hint == "expected a JSON array"
    assert result.error.kind is ModuleKind.ARRAY_MAP


@abi_versions
def test_aggregate_sums_2_3_4_from_initial_1_into_3_6_10(abi: int) -> None:
    result = run([Step("tpl-aggregate", initial=b"1")], [b"2", b"3", b"4"], abi)

    assert values(result) == [b"3", b"6", b"10"]


@abi_versions
def test_aggregate_counts_an_unparsable_accumulator_as_zero(abi: int) -> None:
    result = run([Step("tpl-aggregate", initial=b"many")], [b" 2\n", b"3"], abi)

    assert values(result) == [b"2", b"5"]


@abi_versions
def test_aggregate_keeps_summing_across_batches(abi: int) -> None:
    with build_chain(["tpl-aggregate"], abi) as chain:
        chain.process(encode_values([b"1", b"2"]), 0, 0)
        result = chain.process(encode_values([b"10"]), 2, 0)

    assert values(result) == [b"13"]


@abi_versions
def test_filter_returns_kept_records_byte_for_byte_with_their_preamble(
    abi: int,
) -> None:
    kept = Record(b"banana", b"k1", offset_delta=1, timestamp_delta=300)
    dropped = Record(b"kiwi", None, offset_delta=2, timestamp_delta=-5)
    also_kept = Record(b"a" * 200, None, offset_delta=70_000, timestamp_delta=1 << 30)

    with build_chain(["tpl-filter"], abi) as chain:
        batch = encode_record_list([kept, dropped, also_kept])
        result = chain.process(batch, 0, 0)

    assert result.output == encode_record_list([kept, also_kept])


@abi_versions
def test_array_map_resets_the_preamble_and_aggregate_keeps_it(abi: int) -> None:
    source = Record(b"[1,2]", b"key", offset_delta=4, timestamp_delta=9)
    number = Record(b"5", b"key", offset_delta=4, timestamp_delta=9)

    with build_chain(["tpl-array-map"], abi) as chain:
        split = chain.process(encode_record_list([source]), 0, 0)
    with build_chain(["tpl-aggregate"], abi) as chain:
        summed = chain.process(encode_record_list([number]), 0, 0)

    assert split.output == encode_record_list([Record(b"1"), Record(b"2")])
    assert summed.output == encode_record_list([number])
