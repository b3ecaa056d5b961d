"""Fluvio records and record lists, byte-exact.

A record on the wire: varint body length, then attributes (i8), timestamp delta
(varint), offset delta (varint), optional key (presence byte, varint length, bytes),
value (varint length, bytes) and a header count (varint, always 0). A record list is
a u32 big-endian count followed by the records back to back; it is what a module's
``raw_bytes`` holds and what it writes back in ``successes``.

Records travel between the broker and the engine in this encoded form. Decoding into
:class:`Record` objects is for display and tests, never for the hot path.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from workbench.engine.codec import DecodeError, Reader, decode_varint, encode_varint

_U32 = struct.Struct(">I")

# Varints of 0..63 are one byte, 2 * n: cached so the common case avoids a call.
_SMALL_VARINTS = [bytes([n << 1]) for n in range(64)]


def _varint(value: int) -> bytes:
    if 0 <= value < 64:
        return _SMALL_VARINTS[value]
    return encode_varint(value)


@dataclass(frozen=True, slots=True)
class Record:
    """One decoded record; offsets and timestamps are deltas from its batch base."""

    value: bytes
    key: bytes | None = None
    offset_delta: int = 0
    timestamp_delta: int = 0
    attributes: int = 0
    headers: int = 0

    def encode(self) -> bytes:
        """The record's wire form, body length first."""
        return encode_record(
            self.value,
            self.key,
            self.offset_delta,
            self.timestamp_delta,
            self.attributes,
            self.headers,
        )


def encode_record(
    value: bytes,
    key: bytes | None = None,
    offset_delta: int = 0,
    timestamp_delta: int = 0,
    attributes: int = 0,
    headers: int = 0,
) -> bytes:
    """Encode one record exactly as Fluvio's record encoder does."""
    key_part = b"\x00" if key is None else b"\x01" + _varint(len(key)) + key
    body = b"".join(
        (
            struct.pack(">b", attributes),
            _varint(timestamp_delta),
            _varint(offset_delta),
            key_part,
            _varint(len(value)),
            value,
            _varint(headers),
        )
    )
    return _varint(len(body)) + body


def encode_record_list(records: Iterable[Record]) -> bytes:
    """A record list: u32 count, then each record."""
    encoded = [record.encode() for record in records]
    return _U32.pack(len(encoded)) + b"".join(encoded)


def encode_values(
    values: Iterable[bytes],
    keys: Iterable[bytes | None] | None = None,
    first_offset_delta: int = 0,
    timestamp_deltas: Iterable[int] | None = None,
) -> bytes:
    """Encode plain values (and optional keys) as a record list with rising offsets.

    Record *i* gets offset delta ``first_offset_delta + i``; timestamp deltas default
    to 0. This is how produced lines and test input become a batch.
    """
    value_list = list(values)
    key_list = list(keys) if keys is not None else [None] * len(value_list)
    if len(key_list) != len(value_list):
        raise ValueError("keys and values differ in length")
    deltas = (
        list(timestamp_deltas)
        if timestamp_deltas is not None
        else [0] * len(value_list)
    )
    parts = [_U32.pack(len(value_list))]
    for index, (value, key) in enumerate(zip(value_list, key_list, strict=True)):
        parts.append(
            encode_record(value, key, first_offset_delta + index, deltas[index])
        )
    return b"".join(parts)


def iter_records(data: bytes | memoryview) -> Iterator[Record]:
    """Decode a record list lazily; raises :class:`DecodeError` on broken bytes."""
    reader = Reader(data)
    count = reader.i32()
    for _ in range(max(count, 0)):
        yield _decode_record(reader)


def decode_records(data: bytes | memoryview) -> list[Record]:
    """Decode a whole record list (display and tests only)."""
    return list(iter_records(data))


def record_count(data: bytes | memoryview) -> int:
    """The count at the head of an encoded record list, without decoding records."""
    if len(data) < 4:
        raise DecodeError("record list shorter than its 4-byte count")
    count: int = _U32.unpack_from(data, 0)[0]
    return count


def _decode_record(reader: Reader) -> Record:
    length = reader.varint()
    if length < 0 or reader.pos + length > len(reader.data):
        raise DecodeError(
            f"record of {length} bytes at position {reader.pos} runs past the end"
        )
    attributes = reader.i8()
    timestamp_delta = reader.varint()
    offset_delta = reader.varint()
    key = read_data(reader) if reader.bool() else None
    value = read_data(reader)
    headers = reader.varint()
    return Record(value, key, offset_delta, timestamp_delta, attributes, headers)


def read_data(reader: Reader) -> bytes:
    """Read a ``RecordData``: varint length, then that many bytes."""
    length, reader.pos = decode_varint(reader.data, reader.pos)
    if length < 0:
        raise DecodeError(f"negative byte-string length {length}")
    end = reader.pos + length
    if end > len(reader.data):
        raise DecodeError(f"byte string of {length} bytes runs past the end")
    chunk = bytes(reader.data[reader.pos : end])
    reader.pos = end
    return chunk
