"""Fast paths over encoded record lists for the broker's hot loops.

The broker stores each batch as a record list (u32 count, then records) exactly as a
module receives it in ``raw_bytes``. Producing encodes millions of plain lines, and
consuming walks millions of stored records, so these helpers avoid per-record
objects: they work on bytes and tuples, with one-byte varints read and written
inline. :mod:`workbench.engine.records` stays the reference codec; the tests check
that both agree byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence

from workbench.engine.codec import DecodeError, decode_varint, encode_varint

_U32 = struct.Struct(">I")

# Zig-zag varints of 0..8191 (one or two bytes), indexed by value: offset deltas,
# body lengths and small value lengths of a batch all come from this table.
_VARINT_CACHE_SIZE = 8192
_VARINTS = [encode_varint(n) for n in range(_VARINT_CACHE_SIZE)]

_ABSENT = b"\x00"
_ZERO = b"\x00"

RecordFields = tuple[int, int, bytes | None, bytes]
"""``(offset_delta, timestamp_delta, key, value)`` of one record."""


def _varint(value: int) -> bytes:
    if 0 <= value < _VARINT_CACHE_SIZE:
        return _VARINTS[value]
    return encode_varint(value)


def encode_batch(
    values: Sequence[bytes],
    keys: Sequence[bytes | None] | None = None,
    timestamp_deltas: Sequence[int] | None = None,
) -> bytes:
    """Encode records as a record list whose offset deltas are 0, 1, 2, ….

    Args:
        values: The record values.
        keys: One key (or None) per value; None means no record has a key.
        timestamp_deltas: Milliseconds after the batch's base timestamp, one per
            value; None means every record has the base timestamp.

    Returns:
        The record list bytes, identical to what
        :func:`workbench.engine.records.encode_values` produces.
    """
    parts: list[bytes] = [_U32.pack(len(values))]
    append = parts.append
    varints = _VARINTS
    cache = _VARINT_CACHE_SIZE
    for index, value in enumerate(values):
        length = len(value)
        value_length = varints[length] if length < cache else encode_varint(length)
        offset_delta = varints[index] if index < cache else encode_varint(index)
        key = keys[index] if keys is not None else None
        key_part = _ABSENT if key is None else b"\x01" + _varint(len(key)) + key
        stamp = _ZERO if timestamp_deltas is None else _varint(timestamp_deltas[index])
        body = (
            len(stamp) + len(offset_delta) + len(key_part) + len(value_length) + length
        ) + 2
        append(varints[body] if body < cache else encode_varint(body))
        append(b"\x00")
        append(stamp)
        append(offset_delta)
        append(key_part)
        append(value_length)
        append(value)
        append(_ZERO)
    return b"".join(parts)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if byte < 0x80:
        return (byte >> 1) ^ -(byte & 1), pos + 1
    return decode_varint(data, pos)


def iter_fields(data: bytes) -> Iterator[RecordFields]:
    """Yield ``(offset_delta, timestamp_delta, key, value)`` for each record.

    Raises:
        DecodeError: The bytes are not a well-formed record list.
    """
    return iter(decode_fields(data))


def decode_fields(data: bytes) -> list[RecordFields]:
    """``(offset_delta, timestamp_delta, key, value)`` of every record, in order.

    Varints of one or two bytes (every delta and length below 8192) are read
    inline; this loop is what a consumer spends most of its time in.

    Raises:
        DecodeError: The bytes are not a well-formed record list.
    """
    if len(data) < 4:
        raise DecodeError("record list shorter than its 4-byte count")
    count = _U32.unpack_from(data, 0)[0]
    fields: list[RecordFields] = []
    append = fields.append
    pos = 4
    try:
        for _ in range(count):
            length, pos = _read_length(data, pos)
            end = pos + length

            byte = data[pos + 1]
            if byte < 0x80:
                timestamp_delta = (byte >> 1) ^ -(byte & 1)
                pos += 2
            else:
                timestamp_delta, pos = decode_varint(data, pos + 1)

            byte = data[pos]
            if byte < 0x80:
                offset_delta = (byte >> 1) ^ -(byte & 1)
                pos += 1
            elif data[pos + 1] < 0x80:
                raw = (byte & 0x7F) | (data[pos + 1] << 7)
                offset_delta = (raw >> 1) ^ -(raw & 1)
                pos += 2
            else:
                offset_delta, pos = decode_varint(data, pos)

            key = None
            if data[pos]:
                key_length, pos = _read_length(data, pos + 1)
                key = data[pos : pos + key_length]
                pos += key_length
            else:
                pos += 1

            value_length, pos = _read_length(data, pos)
            if pos + value_length > end or end > len(data):
                raise DecodeError("record runs past its length or the buffer")
            append((offset_delta, timestamp_delta, key, data[pos : pos + value_length]))
            pos = end
    except IndexError as error:
        raise DecodeError("record list ends in the middle of a record") from error
    return fields


def decode_values(data: bytes) -> list[bytes]:
    """Just the values of a record list, for output that shows nothing else.

    Raises:
        DecodeError: The bytes are not a well-formed record list.
    """
    if len(data) < 4:
        raise DecodeError("record list shorter than its 4-byte count")
    count = _U32.unpack_from(data, 0)[0]
    values: list[bytes] = []
    append = values.append
    pos = 4
    try:
        for _ in range(count):
            length, pos = _read_length(data, pos)
            end = pos + length
            # Skip attributes, then the timestamp and offset varints by their
            # continuation bits.
            pos += 1
            while data[pos] & 0x80:
                pos += 1
            pos += 1
            while data[pos] & 0x80:
                pos += 1
            pos += 1
            if data[pos]:
                key_length, pos = _read_length(data, pos + 1)
                pos += key_length
            else:
                pos += 1
            value_length, pos = _read_length(data, pos)
            if pos + value_length > end or end > len(data):
                raise DecodeError("record runs past its length or the buffer")
            append(data[pos : pos + value_length])
            pos = end
    except IndexError as error:
        raise DecodeError("record list ends in the middle of a record") from error
    return values


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    # Lengths are never negative, so zig-zag is a plain shift; two-byte varints
    # (64..8191) are the common case for values and get their own branch.
    byte = data[pos]
    if byte < 0x80:
        return byte >> 1, pos + 1
    second = data[pos + 1]
    if second < 0x80:
        return ((byte & 0x7F) | (second << 7)) >> 1, pos + 2
    value, pos = decode_varint(data, pos)
    if value < 0:
        raise DecodeError(f"negative length {value}")
    return value, pos


def record_spans(data: bytes) -> list[int]:
    """Start positions of each record in a record list, plus the end position."""
    count = _U32.unpack_from(data, 0)[0]
    spans = [4]
    pos = 4
    for _ in range(count):
        length, body = _read_varint(data, pos)
        pos = body + length
        spans.append(pos)
    if pos > len(data):
        raise DecodeError("record list ends in the middle of a record")
    return spans


def slice_batch(data: bytes, skip: int, take: int | None = None) -> bytes:
    """The record list holding records ``skip`` … ``skip + take - 1`` of ``data``.

    Records keep their deltas, so the slice still belongs to the same base offset
    and base timestamp: this is how a consumer starts or ends inside a batch
    without re-encoding anything.
    """
    count = _U32.unpack_from(data, 0)[0]
    stop = count if take is None else min(count, skip + take)
    if skip <= 0 and stop >= count:
        return data
    spans = record_spans(data)
    start = min(max(skip, 0), count)
    stop = max(stop, start)
    return _U32.pack(stop - start) + data[spans[start] : spans[stop]]
