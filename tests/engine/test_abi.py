"""Byte-exact host structures against the worked examples of the ABI."""

from __future__ import annotations

import pytest

from workbench.engine import abi
from workbench.engine.codec import DecodeError
from workbench.engine.records import encode_record, encode_values
from workbench.engine.types import LookbackConfig, ModuleKind

HELLO_LIST = bytes.fromhex("000000011a0000000102610a68656c6c6f00")
V22_TAIL = "00000000000000"


def test_hello_record_list_matches_the_worked_example() -> None:
    assert b"\x00\x00\x00\x01" + encode_record(b"hello", b"a") == HELLO_LIST


def test_input_at_v22_carries_empty_params_join_record_and_timestamp() -> None:
    encoded = abi.encode_input(HELLO_LIST, 0, 0, 22)

    expected = (
        "000000000000000000000012" + HELLO_LIST.hex() + V22_TAIL + "0000000000000000"
    )
    assert encoded.hex() == expected
    assert len(encoded) == 45


def test_input_at_v25_drops_params_and_join_record() -> None:
    encoded = abi.encode_input(HELLO_LIST, 0, 0, 25)

    assert encoded.hex() == "000000000000000000000012" + HELLO_LIST.hex() + (
        "0000000000000000"
    )
    assert len(encoded) == 38


def test_input_fields_are_big_endian() -> None:
    encoded = abi.encode_input(b"\x00\x00\x00\x00", 0x0102, 0x0A0B, 25)

    assert encoded.hex() == "000000000000010200000004000000000000000000000a0b"


def test_aggregate_input_appends_the_accumulator() -> None:
    encoded = abi.encode_aggregate_input(HELLO_LIST, 0, 0, b"abc", 25)

    assert encoded == abi.encode_input(HELLO_LIST, 0, 0, 25) + b"\x00\x00\x00\x03abc"


@pytest.mark.parametrize("version", [21, 22, 25])
def test_input_parts_pass_the_record_list_through_uncopied(version: int) -> None:
    records = encode_values([b"x" * 1000, b"y"])

    head, middle, tail = abi.input_parts(records, 5, 9, version, b"acc")

    assert middle is records
    assert head == abi.encode_input(records, 5, 9, version)[: len(head)]
    assert head + middle + tail == abi.encode_aggregate_input(
        records, 5, 9, b"acc", version
    )


@pytest.mark.parametrize(
    ("params", "lookback", "expected"),
    [
        ({"key": "a"}, None, "0001 0003 6b6579 0001 61 00"),
        (
            {"key": "a"},
            LookbackConfig(last=3),
            "0001 0003 6b6579 0001 61 01 0000000000000003 00",
        ),
        (
            {},
            LookbackConfig(last=0, age_seconds=60),
            "0000 01 0000000000000000 01 000000000000003c 00000000",
        ),
    ],
)
def test_init_input_matches_the_worked_examples(
    params: dict[str, str], lookback: LookbackConfig | None, expected: str
) -> None:
    encoded = abi.encode_init_input(params, 22, lookback)

    assert encoded.hex() == expected.replace(" ", "")


def test_init_params_are_sorted_by_utf8_bytes() -> None:
    encoded = abi.encode_init_input({"é": "3", "b": "2", "B": "1"}, 22)

    assert encoded == (
        b"\x00\x03\x00\x01B\x00\x011\x00\x01b\x00\x012\x00\x02\xc3\xa9\x00\x013\x00"
    )


def test_init_input_before_v20_has_no_lookback_field() -> None:
    assert abi.encode_init_input({}, 19, LookbackConfig(last=3)) == b"\x00\x00"


def test_map_output_example_decodes_to_its_successes() -> None:
    data = bytes.fromhex("000000011a0000000102610a48454c4c4f0000")

    output = abi.decode_output(data, 22, aggregate=False)

    assert output.count == 1
    assert output.error is None
    assert output.successes == data[:-1]


def test_filter_map_error_example_decodes_every_field() -> None:
    hint = b"invalid digit found in string"
    data = (
        b"\x00\x00\x00\x00\x01\x00\x1d"
        + hint
        + bytes.fromhex("000000000000000704000278")
    )

    output = abi.decode_output(data, 22, aggregate=False)

    assert output.count == 0
    assert output.successes == b"\x00\x00\x00\x00"
    assert output.error is not None
    assert output.error.hint == hint.decode()
    assert output.error.offset == 7
    assert output.error.kind is ModuleKind.FILTER_MAP
    assert output.error.key is None
    assert output.error.value == b"x"


def test_aggregate_output_example_carries_the_accumulator() -> None:
    data = (
        bytes.fromhex("00000001200000000102611061626368656c6c6f000000000008")
        + b"abchello"
    )

    output = abi.decode_output(data, 22, aggregate=True)

    assert output.count == 1
    assert output.accumulator == b"abchello"
    assert output.error is None


def test_aggregate_output_before_v16_has_no_accumulator() -> None:
    data = encode_values([b"x"]) + b"\x00"

    assert abi.decode_output(data, 15, aggregate=True).accumulator is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00\x00\x05\x00",
        b"\x00\x00\x00\x01\x1a\x00\x00",
        encode_values([b"x"]),
        encode_values([b"x"]) + b"\x02",
        encode_values([b"x"]) + b"\x01\x00\x05ab",
    ],
)
def test_broken_outputs_raise_decode_errors(data: bytes) -> None:
    with pytest.raises(DecodeError):
        abi.decode_output(data, 22, aggregate=False)


def test_unknown_kind_tag_is_a_decode_error() -> None:
    data = b"\x00\x00\x00\x00\x01\x00\x00" + bytes(8) + b"\x09\x00\x00"

    with pytest.raises(DecodeError, match="kind tag 9"):
        abi.decode_output(data, 22, aggregate=False)


def test_skip_record_list_walks_long_records() -> None:
    values = [b"v" * 300, b"", b"w" * 70_000]
    data = encode_values(values) + b"tail"

    count, end = abi.skip_record_list(data)

    assert count == 3
    assert data[end:] == b"tail"


def test_init_output_hint_example() -> None:
    assert abi.decode_init_hint(b"\x00\x11Missing param key") == "Missing param key"


def test_lookback_output_renders_like_fluvio() -> None:
    data = b"\x00\x05wrong" + bytes(8) + b"\x00" + b"\x0a" + b"wrong"

    error = abi.decode_lookback_error(data)

    assert error.render() == (
        "wrong\n\nSmartModule Lookback Error: \n"
        "    Offset: 0\n    Key: NULL\n    Value: wrong"
    )
