"""Find where a guest's record list ends, scanning inside its own memory.

A transform's output is a record list followed by an optional error (and, for
aggregates, the accumulator), so the host must walk the records' lengths to find
the fields after them. Doing that in Python costs about as much as the guest's
whole call; a tiny trusted wasm module that imports the guest's memory does it at
native speed without copying anything first.
"""

from __future__ import annotations

import threading

import wasmtime

from workbench.engine.fastcall import I32Call
from workbench.engine.runtime import engine

# scan(pos, end) -> the position after the record list starting at pos, or -1 when
# a count or a length runs past end (the host then reports the precise error).
_SCANNER_WAT = r"""
(module
  (import "guest" "memory" (memory 0))
  (func (export "scan") (param $pos i32) (param $end i32) (result i32)
    (local $count i32) (local $length i64) (local $shift i64) (local $byte i32)
    (if (i32.gt_u (i32.add (local.get $pos) (i32.const 4)) (local.get $end))
      (then (return (i32.const -1))))
    (local.set $count (i32.or
      (i32.or (i32.shl (i32.load8_u (local.get $pos)) (i32.const 24))
              (i32.shl (i32.load8_u offset=1 (local.get $pos)) (i32.const 16)))
      (i32.or (i32.shl (i32.load8_u offset=2 (local.get $pos)) (i32.const 8))
              (i32.load8_u offset=3 (local.get $pos)))))
    (local.set $pos (i32.add (local.get $pos) (i32.const 4)))
    (block $done
      (loop $records
        (br_if $done (i32.le_s (local.get $count) (i32.const 0)))
        (local.set $length (i64.const 0))
        (local.set $shift (i64.const 0))
        (loop $varint
          (if (i32.ge_u (local.get $pos) (local.get $end))
            (then (return (i32.const -1))))
          (local.set $byte (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (local.set $length (i64.or (local.get $length)
            (i64.shl (i64.extend_i32_u (i32.and (local.get $byte) (i32.const 0x7f)))
                     (local.get $shift))))
          (local.set $shift (i64.add (local.get $shift) (i64.const 7)))
          (if (i32.and (local.get $byte) (i32.const 0x80))
            (then
              (br_if $varint (i64.lt_u (local.get $shift) (i64.const 63)))
              (return (i32.const -1)))))
        ;; An odd zig-zag value is a negative length.
        (if (i64.ne (i64.and (local.get $length) (i64.const 1)) (i64.const 0))
          (then (return (i32.const -1))))
        (local.set $length (i64.shr_u (local.get $length) (i64.const 1)))
        (if (i64.gt_u (local.get $length)
              (i64.extend_i32_u (i32.sub (local.get $end) (local.get $pos))))
          (then (return (i32.const -1))))
        (local.set $pos (i32.add (local.get $pos) (i32.wrap_i64 (local.get $length))))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $records)))
    (local.get $pos)))
"""

_compiled: wasmtime.Module | None = None
_lock = threading.Lock()


def _scanner_module() -> wasmtime.Module:
    global _compiled
    with _lock:
        if _compiled is None:
            _compiled = wasmtime.Module(engine(), _SCANNER_WAT)
        return _compiled


def attach_scanner(store: wasmtime.Store, memory: wasmtime.Memory) -> I32Call:
    """Instantiate the scanner over ``memory``; returns ``scan(pos, end) -> int``."""
    instance = wasmtime.Instance(store, _scanner_module(), [memory])
    scan = instance.exports(store)["scan"]
    assert isinstance(scan, wasmtime.Func)
    return I32Call(scan, 2)
