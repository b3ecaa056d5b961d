"""The broker's fast batch codec agrees byte for byte with the reference codec."""

from __future__ import annotations

import pytest

from workbench.engine.batches import (
    decode_values,
    encode_batch,
    iter_fields,
    slice_batch,
)
from workbench.engine.codec import DecodeError
from workbench.engine.records import decode_records, encode_values


def test_encode_batch_matches_reference_codec() -> None:
    values = [b"", b"x", b"y" * 100, b"z" * 9000, "é".encode() * 40000]
    keys = [None, b"k", None, b"kk" * 5000, b""]
    deltas = [0, 5, -3, 100_000, (1 << 31) - 1]

    assert encode_batch(values, keys, deltas) == encode_values(values, keys, 0, deltas)
    assert encode_batch(values) == encode_values(values)


def test_encode_batch_with_many_records_uses_wide_offset_deltas() -> None:
    values = [str(n).encode() for n in range(10_000)]

    encoded = encode_batch(values)

    assert encoded == encode_values(values)
    assert [r.offset_delta for r in decode_records(encoded)][-1] == 9_999


def test_iter_fields_reads_what_the_reference_decoder_reads() -> None:
    values = [b"a", b"b" * 300, b""]
    keys = [b"key", None, b"x" * 200]
    encoded = encode_values(values, keys, 0, [0, -70, 9999])

    fields = list(iter_fields(encoded))

    expected = [
        (r.offset_delta, r.timestamp_delta, r.key, r.value)
        for r in decode_records(encoded)
    ]
    assert fields == expected


def test_decode_values_skips_every_other_field() -> None:
    values = [b"", b"v" * 70, b"w" * 20_000, b"x"]
    keys = [b"k" * 300, None, b"", b"key"]
    encoded = encode_values(values, keys, 5_000, [0, -1, 1 << 30, 64])

    assert decode_values(encoded) == values
    with pytest.raises(DecodeError):
        decode_values(encoded[:-2])


def test_slice_batch_keeps_deltas_of_the_records_kept() -> None:
    encoded = encode_values([b"a", b"b", b"c", b"d"])

    middle = decode_records(slice_batch(encoded, 1, 2))

    assert [(r.offset_delta, r.value) for r in middle] == [(1, b"b"), (2, b"c")]
    assert slice_batch(encoded, 0) is encoded
    assert decode_records(slice_batch(encoded, 4)) == []


def test_truncated_record_list_is_a_decode_error() -> None:
    encoded = encode_values([b"hello", b"world"])

    with pytest.raises(DecodeError):
        list(iter_fields(encoded[:-3]))
