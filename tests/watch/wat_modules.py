"""Tiny real SmartModules written in WAT, for watch tests.

Each module speaks the host ABI at version 22: it reads the input struct (base
offset, then the encoded record list), walks the records and calls
``copy_records`` with a ``SmartModuleOutput`` (the records, then "no error").
The map rewrites value bytes in place (so lengths never change); the filter copies
whole records. ``tag`` changes the bytes (and so the hash) without changing what
the module does.
"""

from __future__ import annotations

import wasmtime

_COMMON = """
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "{tag}")

  (func $alloc (export "alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $need i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap
      (i32.add (local.get $ptr) (i32.add (local.get $len) (i32.const 8))))
    (local.set $need (i32.sub
      (i32.shr_u (i32.add (global.get $heap) (i32.const 65535)) (i32.const 16))
      (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (drop (memory.grow (local.get $need)))))
    (local.get $ptr))

  (func $be32 (param $p i32) (result i32)
    (i32.or (i32.or
      (i32.shl (i32.load8_u (local.get $p)) (i32.const 24))
      (i32.shl (i32.load8_u (i32.add (local.get $p) (i32.const 1))) (i32.const 16)))
      (i32.or
        (i32.shl (i32.load8_u (i32.add (local.get $p) (i32.const 2))) (i32.const 8))
        (i32.load8_u (i32.add (local.get $p) (i32.const 3))))))

  (func $store_be32 (param $p i32) (param $v i32)
    (i32.store8 (local.get $p) (i32.shr_u (local.get $v) (i32.const 24)))
    (i32.store8 (i32.add (local.get $p) (i32.const 1))
      (i32.shr_u (local.get $v) (i32.const 16)))
    (i32.store8 (i32.add (local.get $p) (i32.const 2))
      (i32.shr_u (local.get $v) (i32.const 8)))
    (i32.store8 (i32.add (local.get $p) (i32.const 3)) (local.get $v)))

  ;; Reads a zig-zag varint at $pos into $varint_value; returns the next position.
  (global $varint_value (mut i32) (i32.const 0))
  (func $varint (param $pos i32) (result i32)
    (local $byte i32) (local $acc i32) (local $shift i32)
    (loop $more
      (local.set $byte (i32.load8_u (local.get $pos)))
      (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
      (local.set $acc (i32.or (local.get $acc)
        (i32.shl (i32.and (local.get $byte) (i32.const 127)) (local.get $shift))))
      (local.set $shift (i32.add (local.get $shift) (i32.const 7)))
      (br_if $more (i32.and (local.get $byte) (i32.const 128))))
    (global.set $varint_value (i32.xor
      (i32.shr_u (local.get $acc) (i32.const 1))
      (i32.sub (i32.const 0) (i32.and (local.get $acc) (i32.const 1)))))
    (local.get $pos))

  ;; Skips a record's preamble and key; leaves the value length in $varint_value
  ;; and returns the position of the value's first byte.
  (func $value_start (param $pos i32) (result i32)
    (local.set $pos (call $varint (local.get $pos)))
    (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
    (local.set $pos (call $varint (local.get $pos)))
    (local.set $pos (call $varint (local.get $pos)))
    (if (i32.load8_u (local.get $pos))
      (then
        (local.set $pos (call $varint (i32.add (local.get $pos) (i32.const 1))))
        (local.set $pos (i32.add (local.get $pos) (global.get $varint_value))))
      (else (local.set $pos (i32.add (local.get $pos) (i32.const 1)))))
    (call $varint (local.get $pos)))
"""

_MAP = """
(module
  {common}
  ;; $b: the byte; $first: the first byte of the record's value.
  (func $xf (param $b i32) (param $first i32) (result i32)
    {transform})

  (func (export "map") (param $ptr i32) (param $len i32) (param $version i32)
    (result i32)
    (local $size i32) (local $out i32) (local $count i32) (local $i i32)
    (local $pos i32) (local $value i32) (local $end i32) (local $first i32)
    (local.set $size (call $be32 (i32.add (local.get $ptr) (i32.const 8))))
    (local.set $out (call $alloc (i32.add (local.get $size) (i32.const 1))))
    (memory.copy (local.get $out) (i32.add (local.get $ptr) (i32.const 12))
      (local.get $size))
    (i32.store8 (i32.add (local.get $out) (local.get $size)) (i32.const 0))
    (local.set $count (call $be32 (local.get $out)))
    (local.set $pos (i32.add (local.get $out) (i32.const 4)))
    (block $done (loop $record
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $value (call $value_start (local.get $pos)))
      (local.set $end (i32.add (local.get $value) (global.get $varint_value)))
      (local.set $first (i32.load8_u (local.get $value)))
      (block $bytes_done (loop $byte
        (br_if $bytes_done (i32.ge_u (local.get $value) (local.get $end)))
        (i32.store8 (local.get $value)
          (call $xf (i32.load8_u (local.get $value)) (local.get $first)))
        (local.set $value (i32.add (local.get $value) (i32.const 1)))
        (br $byte)))
      (local.set $pos (call $varint (local.get $end)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $record)))
    (call $copy_records (local.get $out) (i32.add (local.get $size) (i32.const 1)))
    (local.get $count))
)
"""

_FILTER = """
(module
  {common}
  ;; Keep the record when its value's first byte is not $drop_byte.
  (func (export "filter") (param $ptr i32) (param $len i32) (param $version i32)
    (result i32)
    (local $size i32) (local $in i32) (local $out i32) (local $write i32)
    (local $count i32) (local $kept i32) (local $i i32) (local $pos i32)
    (local $value i32) (local $end i32)
    (local.set $size (call $be32 (i32.add (local.get $ptr) (i32.const 8))))
    (local.set $in (i32.add (local.get $ptr) (i32.const 12)))
    (local.set $out (call $alloc (i32.add (local.get $size) (i32.const 1))))
    (local.set $write (i32.add (local.get $out) (i32.const 4)))
    (local.set $count (call $be32 (local.get $in)))
    (local.set $pos (i32.add (local.get $in) (i32.const 4)))
    (block $done (loop $record
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $value (call $value_start (local.get $pos)))
      (local.set $end (call $varint
        (i32.add (local.get $value) (global.get $varint_value))))
      (if (i32.ne (i32.load8_u (local.get $value)) (i32.const {drop_byte}))
        (then
          (memory.copy (local.get $write) (local.get $pos)
            (i32.sub (local.get $end) (local.get $pos)))
          (local.set $write (i32.add (local.get $write)
            (i32.sub (local.get $end) (local.get $pos))))
          (local.set $kept (i32.add (local.get $kept) (i32.const 1)))))
      (local.set $pos (local.get $end))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $record)))
    (call $store_be32 (local.get $out) (local.get $kept))
    (i32.store8 (local.get $write) (i32.const 0))
    (call $copy_records (local.get $out)
      (i32.add (i32.sub (local.get $write) (local.get $out)) (i32.const 1)))
    (local.get $kept))
)
"""

UPPERCASE = """
    (if (result i32) (i32.and (i32.ge_u (local.get $b) (i32.const 97))
                              (i32.le_u (local.get $b) (i32.const 122)))
      (then (i32.sub (local.get $b) (i32.const 32)))
      (else (local.get $b)))"""

LOWERCASE = """
    (if (result i32) (i32.and (i32.ge_u (local.get $b) (i32.const 65))
                              (i32.le_u (local.get $b) (i32.const 90)))
      (then (i32.add (local.get $b) (i32.const 32)))
      (else (local.get $b)))"""


def uppercase_unless(first_byte: str) -> str:
    """A transform that upper-cases values, except those starting with a byte."""
    return f"""
    (if (result i32) (i32.eq (local.get $first) (i32.const {ord(first_byte)}))
      (then (local.get $b))
      (else {UPPERCASE}))"""


# An init that always fails with an internal error status.
_FAILING_INIT = """
  (func (export "init") (param i32 i32 i32) (result i32) (i32.const -1))
"""


def map_module(
    transform: str = UPPERCASE,
    tag: str = "",
    failing_init: bool = False,
    extra: str = "",
) -> bytes:
    """A map SmartModule whose value bytes go through ``transform``.

    ``extra`` is more WAT placed inside the module (e.g. unused functions).
    """
    common = _COMMON.replace("{tag}", tag) + extra
    if failing_init:
        common += _FAILING_INIT
    text = _MAP.replace("{common}", common).replace("{transform}", transform)
    return bytes(wasmtime.wat2wasm(text))


def filter_text(drop_first_byte: str = "x", tag: str = "") -> str:
    """The WAT text of a filter dropping values whose first byte is given."""
    common = _COMMON.replace("{tag}", tag)
    return _FILTER.replace("{common}", common).replace(
        "{drop_byte}", str(ord(drop_first_byte))
    )


def filter_module(drop_first_byte: str = "x", tag: str = "") -> bytes:
    """A filter SmartModule dropping values whose first byte is ``drop_first_byte``."""
    return bytes(wasmtime.wat2wasm(filter_text(drop_first_byte, tag)))
