"""Fluvio's binary protocol primitives: big-endian fixed ints, strings, zig-zag varints.

The codec is not self-describing: fields are written one after another in declaration
order. Decoders ignore trailing bytes, as Fluvio's do, which is what lets a module
built for an older protocol version read a newer input.
"""

from __future__ import annotations

import struct

_I8 = struct.Struct(">b")
_U16 = struct.Struct(">H")
_I16 = struct.Struct(">h")
_U32 = struct.Struct(">I")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_U64 = struct.Struct(">Q")

_MASK64 = (1 << 64) - 1


class DecodeError(ValueError):
    """The bytes do not hold what the decoder expected."""


def _to_signed64(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value & (1 << 63) else value


def encode_varint(value: int) -> bytes:
    """Zig-zag LEB128 exactly as Fluvio writes it, 32-bit quirk included.

    Fluvio zig-zags with a shift of 31 and stops when bits 7-31 are clear, so values
    outside the i32 range lose their high bits. Inside it, this is standard zig-zag.
    """
    zigzag = _to_signed64((value << 1) ^ (value >> 31))
    out = bytearray()
    while zigzag & 0xFFFFFF80:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag & 0xFF)
    return bytes(out)


def decode_varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Read one zig-zag varint at ``pos``; return the value and the next position."""
    result = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise DecodeError("varint runs past the end of the buffer")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
        if shift > 63:
            raise DecodeError("varint longer than 64 bits")
    result = _to_signed64(result)
    return (result >> 1) ^ -(result & 1), pos


class Writer:
    """Appends Fluvio-encoded fields to a growing buffer."""

    __slots__ = ("buffer",)

    def __init__(self) -> None:
        self.buffer = bytearray()

    def i8(self, value: int) -> Writer:
        self.buffer += _I8.pack(value)
        return self

    def u8(self, value: int) -> Writer:
        self.buffer.append(value & 0xFF)
        return self

    def bool(self, value: bool) -> Writer:
        self.buffer.append(1 if value else 0)
        return self

    def u16(self, value: int) -> Writer:
        self.buffer += _U16.pack(value)
        return self

    def u32(self, value: int) -> Writer:
        self.buffer += _U32.pack(value)
        return self

    def i64(self, value: int) -> Writer:
        self.buffer += _I64.pack(value)
        return self

    def u64(self, value: int) -> Writer:
        self.buffer += _U64.pack(value)
        return self

    def byte_vector(self, data: bytes) -> Writer:
        """``Vec<u8>``: u32 length, then the bytes."""
        self.buffer += _U32.pack(len(data))
        self.buffer += data
        return self

    def string(self, text: str) -> Writer:
        """``String``: u16 length, then UTF-8 bytes."""
        encoded = text.encode("utf-8")
        self.buffer += _U16.pack(len(encoded) & 0xFFFF)
        self.buffer += encoded
        return self

    def string_map(self, mapping: dict[str, str]) -> Writer:
        """``BTreeMap<String, String>``: u16 count, entries in bytewise key order."""
        items = sorted(mapping.items(), key=lambda item: item[0].encode("utf-8"))
        self.u16(len(items))
        for key, value in items:
            self.string(key).string(value)
        return self

    def raw(self, data: bytes) -> Writer:
        self.buffer += data
        return self

    def getvalue(self) -> bytes:
        return bytes(self.buffer)


class Reader:
    """Reads Fluvio-encoded fields from a buffer, raising :class:`DecodeError`."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes | memoryview, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def _take(self, size: int) -> bytes:
        end = self.pos + size
        if size < 0 or end > len(self.data):
            raise DecodeError(
                f"needed {size} bytes at position {self.pos}, "
                f"only {len(self.data) - self.pos} left"
            )
        chunk = bytes(self.data[self.pos : end])
        self.pos = end
        return chunk

    def i8(self) -> int:
        value: int = _I8.unpack(self._take(1))[0]
        return value

    def u8(self) -> int:
        return self._take(1)[0]

    def bool(self) -> bool:
        flag = self.u8()
        if flag > 1:
            raise DecodeError(f"invalid bool byte {flag:#04x}")
        return flag == 1

    def i16(self) -> int:
        value: int = _I16.unpack(self._take(2))[0]
        return value

    def i32(self) -> int:
        value: int = _I32.unpack(self._take(4))[0]
        return value

    def i64(self) -> int:
        value: int = _I64.unpack(self._take(8))[0]
        return value

    def u64(self) -> int:
        value: int = _U64.unpack(self._take(8))[0]
        return value

    def byte_vector(self) -> bytes:
        """``Vec<u8>``: the count is read as i32 and a count of 0 or less is empty."""
        count = self.i32()
        return self._take(count) if count > 0 else b""

    def string(self) -> str:
        """``String``: the length is read as i16; 0 or less is the empty string."""
        length = self.i16()
        if length <= 0:
            return ""
        raw = self._take(length)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DecodeError(f"string is not UTF-8: {error}") from error

    def varint(self) -> int:
        value, self.pos = decode_varint(self.data, self.pos)
        return value
