"""Byte-exact codec tests against the worked examples of Fluvio's protocol."""

from __future__ import annotations

import pytest

from workbench.engine.codec import (
    DecodeError,
    Reader,
    Writer,
    decode_varint,
    encode_varint,
)
from workbench.engine.records import (
    Record,
    decode_records,
    encode_record,
    encode_record_list,
    encode_values,
    record_count,
)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "00"),
        (1, "02"),
        (-1, "01"),
        (5, "0a"),
        (13, "1a"),
        (63, "7e"),
        (64, "8001"),
        (300, "d804"),
        (-300, "d704"),
        (2**31 - 1, "feffffff0f"),
        (-(2**31), "ffffffff0f"),
    ],
)
def test_varint_matches_fluvio_examples(value: int, encoded: str) -> None:
    assert encode_varint(value).hex() == encoded
    assert decode_varint(bytes.fromhex(encoded), 0) == (value, len(encoded) // 2)


def test_varint_encoder_keeps_the_32_bit_quirk() -> None:
    assert encode_varint(2**31).hex() == "01"
    assert decode_varint(encode_varint(2**31), 0)[0] == -1
    assert encode_varint(2**40).hex() == "8004"
    assert decode_varint(bytes.fromhex("8004"), 0)[0] == 256


def test_varint_past_the_end_is_an_error() -> None:
    with pytest.raises(DecodeError):
        decode_varint(b"\x80", 0)


def test_record_worked_example() -> None:
    encoded = encode_record(b"hello", key=b"a")
    assert encoded.hex(" ") == "1a 00 00 00 01 02 61 0a 68 65 6c 6c 6f 00"
    listed = encode_record_list([Record(b"hello", b"a")])
    assert listed.hex() == "00000001" + encoded.hex()
    assert len(listed) == 18


def test_fluvio_unit_test_record_without_key() -> None:
    encoded = encode_record(b"dog", offset_delta=1)
    assert encoded.hex(" ") == "12 00 00 02 00 06 64 6f 67 00"


def test_record_list_round_trip_with_deltas_and_binary() -> None:
    values = [b"", b"\xff\x00binary", b"x" * 300]
    encoded = encode_values(values, keys=[None, b"k", b""], timestamp_deltas=[0, 7, -2])
    assert record_count(encoded) == 3
    records = decode_records(encoded)
    assert [r.value for r in records] == values
    assert [r.key for r in records] == [None, b"k", b""]
    assert [r.offset_delta for r in records] == [0, 1, 2]
    assert [r.timestamp_delta for r in records] == [0, 7, -2]


def test_truncated_record_list_is_a_decode_error() -> None:
    encoded = encode_values([b"hello"])
    with pytest.raises(DecodeError):
        decode_records(encoded[:-3])


def test_strings_and_maps() -> None:
    writer = Writer().string_map({"key": "a"}).bool(False)
    assert writer.getvalue().hex(" ") == "00 01 00 03 6b 65 79 00 01 61 00"
    reader = Reader(writer.getvalue())
    assert reader.i16() == 1
    assert reader.string() == "key"
    assert reader.string() == "a"
    assert reader.bool() is False


def test_map_keys_are_sorted_bytewise() -> None:
    encoded = Writer().string_map({"b": "2", "a": "1", "Z": "0"}).getvalue()
    assert encoded.hex() == "0003" + "00015a000130" + "000161000131" + "000162000132"


def test_bool_rejects_other_bytes() -> None:
    with pytest.raises(DecodeError):
        Reader(b"\x02").bool()
