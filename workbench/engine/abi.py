"""The SmartModule host ABI: the structures passed to and read back from a guest.

Every guest call gets one buffer encoded with Fluvio's protocol at the instance's
version, and answers through ``copy_records`` with another. Record lists inside
those structures stay encoded: the host only needs their boundaries, never their
contents, so the hot path walks record lengths without decoding records.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from workbench.engine.codec import DecodeError, Reader, Writer
from workbench.engine.records import read_data
from workbench.engine.types import (
    LookbackConfig,
    ModuleKind,
    TransformError,
    record_text,
)

_U32 = struct.Struct(">I")

# Version thresholds where the encoded layout changes.
JOIN_RECORD_VERSION = 16
LOOKBACK_VERSION = 20
LOOKBACK_AGE_VERSION = 21
TIMESTAMP_VERSION = 22
LAST_PARAMS_VERSION = 22

TRANSFORM_STATUS_NAMES = {
    -1: "UnknownError",
    -11: "DecodingBaseInput",
    -22: "DecodingRecords",
    -33: "EncodingOutput",
    -44: "ParsingExtraParams",
    -55: "UndefinedRightRecord",
}
INIT_STATUS_NAMES = {
    -1: "Unknown",
    -2: "InitError",
    -10: "DecodingInput",
    -11: "EncodingOutput",
}
LOOK_BACK_STATUS_NAMES = {
    -1: "Unknown",
    -66: "DecodingBaseInput",
    -77: "DecodingRecords",
    -88: "EncodingOutput",
    -99: "PropagatedError",
}
INIT_ERROR_STATUS = -2
LOOK_BACK_ERROR_STATUS = -99


def _extra_params(
    writer: Writer,
    params: dict[str, str],
    lookback: LookbackConfig | None,
    version: int,
) -> None:
    writer.string_map(params)
    if version < LOOKBACK_VERSION:
        return
    writer.bool(lookback is not None)
    if lookback is None:
        return
    writer.u64(lookback.last)
    if version < LOOKBACK_AGE_VERSION:
        return
    writer.bool(lookback.age_seconds is not None)
    if lookback.age_seconds is not None:
        seconds = int(lookback.age_seconds)
        nanos = round((lookback.age_seconds - seconds) * 1_000_000_000)
        writer.u64(seconds).u32(nanos)


def input_parts(
    records: bytes,
    base_offset: int,
    base_timestamp: int,
    version: int,
    accumulator: bytes | None = None,
) -> tuple[bytes, bytes, bytes]:
    """A transform's input as (head, records, tail), in the order they are sent.

    The record list is passed through as it is, so the host can copy it into guest
    memory once instead of first joining it with the few bytes around it.

    Args:
        records: An encoded record list (u32 count + records).
        base_offset: Offset the record offset deltas are relative to.
        base_timestamp: Milliseconds the record timestamp deltas are relative to.
        version: The ABI version the instance runs at.
        accumulator: For an aggregate, the accumulator sent after the base input.

    Returns:
        A ``SmartModuleInput`` (or ``SmartModuleAggregateInput`` when given an
        accumulator) split in three. Up to version 22 the tail carries the empty
        parameter map and join record that Fluvio always sends there.
    """
    head = Writer().i64(base_offset).u32(len(records)).getvalue()
    tail = Writer()
    if version <= LAST_PARAMS_VERSION:
        _extra_params(tail, {}, None, version)
        if version >= JOIN_RECORD_VERSION:
            tail.byte_vector(b"")
    if version >= TIMESTAMP_VERSION:
        tail.i64(base_timestamp)
    if accumulator is not None:
        tail.byte_vector(accumulator)
    return head, records, tail.getvalue()


def encode_input(
    records: bytes, base_offset: int, base_timestamp: int, version: int
) -> bytes:
    """Encode a ``SmartModuleInput`` for a transform or ``look_back`` call."""
    return b"".join(input_parts(records, base_offset, base_timestamp, version))


def encode_aggregate_input(
    records: bytes,
    base_offset: int,
    base_timestamp: int,
    accumulator: bytes,
    version: int,
) -> bytes:
    """Encode a ``SmartModuleAggregateInput``: the base input, then the accumulator."""
    parts = input_parts(records, base_offset, base_timestamp, version, accumulator)
    return b"".join(parts)


def encode_init_input(
    params: dict[str, str], version: int, lookback: LookbackConfig | None = None
) -> bytes:
    """Encode a ``SmartModuleInitInput``: the parameter map and optional lookback.

    Fluvio's engine passes no lookback here (it lives outside the parameters), so
    callers normally leave ``lookback`` as None.
    """
    writer = Writer()
    _extra_params(writer, params, lookback, version)
    return writer.getvalue()


def skip_record_list(data: bytes, pos: int = 0) -> tuple[int, int]:
    """Find where the record list at ``pos`` ends without decoding its records.

    Returns:
        The record count and the position just after the last record.

    Raises:
        DecodeError: The count or a record length runs past the end.
    """
    end = len(data)
    if pos + 4 > end:
        raise DecodeError("record list shorter than its 4-byte count")
    count: int = _U32.unpack_from(data, pos)[0]
    signed_count = count - (1 << 32) if count >= 1 << 31 else count
    pos += 4
    for _ in range(max(signed_count, 0)):
        length, pos = _record_length(data, pos, end)
        pos += length
        if pos > end:
            raise DecodeError("a record runs past the end of the output")
    return max(signed_count, 0), pos


def _list_count(data: bytes) -> int:
    count: int = _U32.unpack_from(data, 0)[0]
    return count if count < 1 << 31 else 0


def _record_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    # Almost every record is shorter than 64 bytes or a few KiB: read the varint
    # inline instead of calling the general decoder for each one.
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise DecodeError("record length runs past the end of the output")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
        if shift > 63:
            raise DecodeError("record length varint longer than 64 bits")
    length = (result >> 1) ^ -(result & 1)
    if length < 0:
        raise DecodeError(f"negative record length {length}")
    return length, pos


@dataclass(frozen=True, slots=True)
class TransformOutput:
    """A decoded ``SmartModuleOutput`` (plus the aggregate accumulator)."""

    successes: bytes
    """The encoded record list of successful records, exactly as the guest wrote it."""
    count: int
    error: TransformError | None
    accumulator: bytes | None = None


def _optional_data(reader: Reader) -> bytes | None:
    if not reader.bool():
        return None
    return read_data(reader)


def _transform_error(reader: Reader) -> TransformError:
    hint = reader.string()
    offset = reader.i64()
    tag = reader.u8()
    if tag > 6:
        raise DecodeError(f"unknown SmartModule kind tag {tag}")
    key = _optional_data(reader)
    value = read_data(reader)
    return TransformError(hint, offset, ModuleKind.from_tag(tag), key, value)


def decode_output(
    data: bytes, version: int, *, aggregate: bool, records_end: int | None = None
) -> TransformOutput:
    """Decode what a transform passed to ``copy_records``.

    Args:
        data: The guest's output buffer.
        version: The ABI version of the instance.
        aggregate: Whether to read a ``SmartModuleAggregateOutput``.
        records_end: Where the successes end, when already known from a scan;
            otherwise the record lengths are walked here.

    Raises:
        DecodeError: The buffer is not a valid output structure.
    """
    if records_end is None:
        count, end = skip_record_list(data)
    else:
        count, end = _list_count(data), records_end
    reader = Reader(data, end)
    error = _transform_error(reader) if reader.bool() else None
    accumulator = None
    if aggregate and version >= JOIN_RECORD_VERSION:
        accumulator = reader.byte_vector()
    return TransformOutput(data[:end], count, error, accumulator)


def decode_init_hint(data: bytes) -> str:
    """Read the hint of a ``SmartModuleInitOutput`` (sent with init status -2)."""
    return Reader(data).string()


@dataclass(frozen=True, slots=True)
class LookbackError:
    """A decoded ``SmartModuleLookbackRuntimeError`` (sent with status -99)."""

    hint: str
    offset: int
    key: bytes | None
    value: bytes

    def render(self) -> str:
        """Fluvio's look-back error block, after the hint."""
        key, value = record_text(self.key, self.value)
        return (
            f"{self.hint}\n\n"
            "SmartModule Lookback Error: \n"
            f"    Offset: {self.offset}\n"
            f"    Key: {key}\n"
            f"    Value: {value}"
        )


def decode_lookback_error(data: bytes) -> LookbackError:
    """Decode a ``SmartModuleLookbackOutput``."""
    reader = Reader(data)
    hint = reader.string()
    offset = reader.i64()
    key = _optional_data(reader)
    value = read_data(reader)
    return LookbackError(hint, offset, key, value)
