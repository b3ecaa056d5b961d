"""Tiny SmartModules in WAT for the `smartbench test` CLI tests.

They speak the real ABI: they decode ``SmartModuleInput`` (v22 or v25), walk the
record list, and write a ``SmartModuleOutput`` through ``copy_records``. A shared
prelude holds a bump allocator, a record reader and a record writer, so each module
is only its transform.
"""

from __future__ import annotations

from pathlib import Path

import wasmtime

PRELUDE = """
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "boom is not allowed")
  (data (i32.const 48) "missing param min")
  (global $heap (mut i32) (i32.const 4096))
  (global $pos (mut i32) (i32.const 0))
  (global $out (mut i32) (i32.const 0))
  (global $out_start (mut i32) (i32.const 0))
  (global $count (mut i32) (i32.const 0))
  (global $raw_len (mut i32) (i32.const 0))
  (global $base_offset (mut i64) (i64.const 0))
  (global $rec_start (mut i32) (i32.const 0))
  (global $rec_end (mut i32) (i32.const 0))
  (global $ts (mut i64) (i64.const 0))
  (global $off (mut i64) (i64.const 0))
  (global $has_key (mut i32) (i32.const 0))
  (global $key_ptr (mut i32) (i32.const 0))
  (global $key_len (mut i32) (i32.const 0))
  (global $val_ptr (mut i32) (i32.const 0))
  (global $val_len (mut i32) (i32.const 0))

  (func $alloc (export "alloc") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap
      (i32.and (i32.add (i32.add (local.get $ptr) (local.get $len)) (i32.const 15))
               (i32.const -16)))
    (block $enough
      (loop $grow
        (br_if $enough
          (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable))
        (br $grow)))
    (local.get $ptr))

  (func $u32be (param $p i32) (result i32)
    (i32.or
      (i32.or (i32.shl (i32.load8_u (local.get $p)) (i32.const 24))
              (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 16)))
      (i32.or (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 8))
              (i32.load8_u offset=3 (local.get $p)))))

  (func $i64be (param $p i32) (result i64)
    (local $i i32) (local $v i64)
    (loop $next
      (local.set $v (i64.or (i64.shl (local.get $v) (i64.const 8))
        (i64.extend_i32_u (i32.load8_u (i32.add (local.get $p) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 8))))
    (local.get $v))

  (func $put_u32be (param $p i32) (param $v i32)
    (i32.store8 (local.get $p) (i32.shr_u (local.get $v) (i32.const 24)))
    (i32.store8 offset=1 (local.get $p) (i32.shr_u (local.get $v) (i32.const 16)))
    (i32.store8 offset=2 (local.get $p) (i32.shr_u (local.get $v) (i32.const 8)))
    (i32.store8 offset=3 (local.get $p) (local.get $v)))

  (func $w8 (param $b i32)
    (i32.store8 (global.get $out) (local.get $b))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))

  (func $w_u32 (param $v i32)
    (call $put_u32be (global.get $out) (local.get $v))
    (global.set $out (i32.add (global.get $out) (i32.const 4))))

  (func $w_i64 (param $v i64)
    (local $i i32)
    (loop $next
      (call $w8 (i32.wrap_i64 (i64.shr_u (local.get $v)
        (i64.extend_i32_u
          (i32.sub (i32.const 56) (i32.mul (local.get $i) (i32.const 8)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 8)))))

  (func $w_bytes (param $p i32) (param $n i32)
    (memory.copy (global.get $out) (local.get $p) (local.get $n))
    (global.set $out (i32.add (global.get $out) (local.get $n))))

  (func $zigzag (param $v i64) (result i64)
    (i64.xor (i64.shl (local.get $v) (i64.const 1))
             (i64.shr_s (local.get $v) (i64.const 63))))

  (func $vsize (param $v i64) (result i32)
    (local $n i64) (local $size i32)
    (local.set $n (call $zigzag (local.get $v)))
    (local.set $size (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.lt_u (local.get $n) (i64.const 128)))
        (local.set $n (i64.shr_u (local.get $n) (i64.const 7)))
        (local.set $size (i32.add (local.get $size) (i32.const 1)))
        (br $next)))
    (local.get $size))

  (func $w_varint (param $v i64)
    (local $n i64)
    (local.set $n (call $zigzag (local.get $v)))
    (block $done
      (loop $next
        (br_if $done (i64.lt_u (local.get $n) (i64.const 128)))
        (call $w8 (i32.or (i32.wrap_i64 (i64.and (local.get $n) (i64.const 127)))
                          (i32.const 128)))
        (local.set $n (i64.shr_u (local.get $n) (i64.const 7)))
        (br $next)))
    (call $w8 (i32.wrap_i64 (local.get $n))))

  (func $read_varint (result i64)
    (local $b i32) (local $shift i64) (local $n i64)
    (loop $next
      (local.set $b (i32.load8_u (global.get $pos)))
      (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
      (local.set $n (i64.or (local.get $n)
        (i64.shl (i64.extend_i32_u (i32.and (local.get $b) (i32.const 127)))
                 (local.get $shift))))
      (local.set $shift (i64.add (local.get $shift) (i64.const 7)))
      (br_if $next (i32.and (local.get $b) (i32.const 128))))
    (i64.xor (i64.shr_u (local.get $n) (i64.const 1))
             (i64.sub (i64.const 0) (i64.and (local.get $n) (i64.const 1)))))

  ;; SmartModuleInput starts with base_offset, then raw_bytes (u32 length + list).
  (func $begin_input (param $ptr i32)
    (global.set $base_offset (call $i64be (local.get $ptr)))
    (global.set $raw_len (call $u32be (i32.add (local.get $ptr) (i32.const 8))))
    (global.set $count (call $u32be (i32.add (local.get $ptr) (i32.const 12))))
    (global.set $pos (i32.add (local.get $ptr) (i32.const 16))))

  (func $next_record
    (local $len i32)
    (global.set $rec_start (global.get $pos))
    (local.set $len (i32.wrap_i64 (call $read_varint)))
    (global.set $rec_end (i32.add (global.get $pos) (local.get $len)))
    (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
    (global.set $ts (call $read_varint))
    (global.set $off (call $read_varint))
    (global.set $has_key (i32.load8_u (global.get $pos)))
    (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
    (global.set $key_len (i32.const 0))
    (if (global.get $has_key)
      (then
        (global.set $key_len (i32.wrap_i64 (call $read_varint)))
        (global.set $key_ptr (global.get $pos))
        (global.set $pos (i32.add (global.get $pos) (global.get $key_len)))))
    (global.set $val_len (i32.wrap_i64 (call $read_varint)))
    (global.set $val_ptr (global.get $pos))
    (global.set $pos (global.get $rec_end)))

  (func $begin_output (param $size i32)
    (global.set $out_start (call $alloc (local.get $size)))
    (global.set $out (i32.add (global.get $out_start) (i32.const 4))))

  (func $finish (param $n i32)
    (call $put_u32be (global.get $out_start) (local.get $n))
    (call $copy_records (global.get $out_start)
                        (i32.sub (global.get $out) (global.get $out_start))))

  (func $emit (param $ts i64) (param $off i64) (param $has_key i32)
              (param $key_ptr i32) (param $key_len i32)
              (param $val_ptr i32) (param $val_len i32)
    (local $body i32)
    (local.set $body (i32.add (i32.const 3)
      (i32.add (call $vsize (local.get $ts)) (call $vsize (local.get $off)))))
    (if (local.get $has_key)
      (then (local.set $body (i32.add (local.get $body)
        (i32.add (call $vsize (i64.extend_i32_u (local.get $key_len)))
                 (local.get $key_len))))))
    (local.set $body (i32.add (local.get $body)
      (i32.add (call $vsize (i64.extend_i32_u (local.get $val_len)))
               (local.get $val_len))))
    (call $w_varint (i64.extend_i32_u (local.get $body)))
    (call $w8 (i32.const 0))
    (call $w_varint (local.get $ts))
    (call $w_varint (local.get $off))
    (call $w8 (local.get $has_key))
    (if (local.get $has_key)
      (then
        (call $w_varint (i64.extend_i32_u (local.get $key_len)))
        (call $w_bytes (local.get $key_ptr) (local.get $key_len))))
    (call $w_varint (i64.extend_i32_u (local.get $val_len)))
    (call $w_bytes (local.get $val_ptr) (local.get $val_len))
    (call $w8 (i32.const 0)))

  (func $copy_current_record
    (call $w_bytes (global.get $rec_start)
                   (i32.sub (global.get $rec_end) (global.get $rec_start))))

  ;; A runtime error for the current record: hint, offset, kind, key, value.
  (func $w_error (param $kind i32) (param $hint i32) (param $hint_len i32)
    (call $w8 (i32.const 1))
    (call $w8 (i32.shr_u (local.get $hint_len) (i32.const 8)))
    (call $w8 (local.get $hint_len))
    (call $w_bytes (local.get $hint) (local.get $hint_len))
    (call $w_i64 (i64.add (global.get $base_offset) (global.get $off)))
    (call $w8 (local.get $kind))
    (call $w8 (global.get $has_key))
    (if (global.get $has_key)
      (then
        (call $w_varint (i64.extend_i32_u (global.get $key_len)))
        (call $w_bytes (global.get $key_ptr) (global.get $key_len))))
    (call $w_varint (i64.extend_i32_u (global.get $val_len)))
    (call $w_bytes (global.get $val_ptr) (global.get $val_len)))
"""

# Upper-cases every value; the value `boom` is a user error (kind Map = 1).
UPPERCASE_MAP = """
  (func (export "map") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (local $i i32) (local $copy i32) (local $j i32) (local $c i32)
    (call $begin_input (local.get $ptr))
    (call $begin_output (i32.add (i32.mul (local.get $len) (i32.const 2))
                                 (i32.const 1024)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (global.get $count)))
        (call $next_record)
        (if (i32.and (i32.eq (global.get $val_len) (i32.const 4))
                     (i32.eq (i32.load (global.get $val_ptr)) (i32.const 0x6d6f6f62)))
          (then
            (call $w_error (i32.const 1) (i32.const 16) (i32.const 19))
            (call $finish (local.get $i))
            (return (local.get $i))))
        (local.set $copy (i32.add (global.get $out)
          (i32.sub (global.get $val_ptr) (global.get $rec_start))))
        (call $copy_current_record)
        (local.set $j (i32.const 0))
        (block $upper_done
          (loop $upper
            (br_if $upper_done (i32.ge_u (local.get $j) (global.get $val_len)))
            (local.set $c (i32.load8_u (i32.add (local.get $copy) (local.get $j))))
            (if (i32.and (i32.ge_u (local.get $c) (i32.const 97))
                         (i32.le_u (local.get $c) (i32.const 122)))
              (then (i32.store8 (i32.add (local.get $copy) (local.get $j))
                                (i32.sub (local.get $c) (i32.const 32)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $upper)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $w8 (i32.const 0))
    (call $finish (local.get $i))
    (local.get $i))
"""

# Keeps records whose value contains `a`, like `smdk generate`'s filter.
CONTAINS_A_FILTER = """
  (func (export "filter") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (local $i i32) (local $kept i32) (local $j i32)
    (call $begin_input (local.get $ptr))
    (call $begin_output (i32.add (local.get $len) (i32.const 64)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (global.get $count)))
        (call $next_record)
        (local.set $j (i32.const 0))
        (block $found
          (loop $scan
            (br_if $found (i32.ge_u (local.get $j) (global.get $val_len)))
            (if (i32.eq (i32.load8_u (i32.add (global.get $val_ptr) (local.get $j)))
                        (i32.const 97))
              (then
                (call $copy_current_record)
                (local.set $kept (i32.add (local.get $kept) (i32.const 1)))
                (br $found)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $scan)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $w8 (i32.const 0))
    (call $finish (local.get $kept))
    (local.get $kept))
"""

# Appends each value to the accumulator and outputs the accumulator so far.
CONCAT_AGGREGATE = """
  (func (export "aggregate") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (local $i i32) (local $acc i32) (local $acc_len i32) (local $at i32)
    (local $next i32)
    (call $begin_input (local.get $ptr))
    (local.set $at (i32.add (i32.add (local.get $ptr) (i32.const 12))
                            (global.get $raw_len)))
    (local.set $at (i32.add (local.get $at)
      (select (i32.const 15) (i32.const 8)
              (i32.le_s (local.get $version) (i32.const 22)))))
    (local.set $acc_len (call $u32be (local.get $at)))
    (local.set $acc (i32.add (local.get $at) (i32.const 4)))
    (call $begin_output (i32.add (i32.const 1024) (i32.mul
      (i32.add (global.get $count) (i32.const 1))
      (i32.add (i32.add (local.get $acc_len) (local.get $len)) (i32.const 32)))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (global.get $count)))
        (call $next_record)
        (local.set $next
          (call $alloc (i32.add (local.get $acc_len) (global.get $val_len))))
        (memory.copy (local.get $next) (local.get $acc) (local.get $acc_len))
        (memory.copy (i32.add (local.get $next) (local.get $acc_len))
                     (global.get $val_ptr) (global.get $val_len))
        (local.set $acc (local.get $next))
        (local.set $acc_len (i32.add (local.get $acc_len) (global.get $val_len)))
        (call $emit (global.get $ts) (global.get $off) (global.get $has_key)
                    (global.get $key_ptr) (global.get $key_len)
                    (local.get $acc) (local.get $acc_len))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $w8 (i32.const 0))
    (call $w_u32 (local.get $acc_len))
    (call $w_bytes (local.get $acc) (local.get $acc_len))
    (call $finish (local.get $i))
    (local.get $i))
"""

# Returns the whole input buffer as one record, to see what the host sends.
ECHO_ARRAY_MAP = """
  (func (export "array_map") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (call $begin_output (i32.add (local.get $len) (i32.const 64)))
    (call $emit (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                (local.get $ptr) (local.get $len))
    (call $w8 (i32.const 0))
    (call $finish (i32.const 1))
    (i32.const 1))
"""

# Keeps what `init` and `look_back` received and returns both as two records.
PROBE_ARRAY_MAP = """
  (global $init_ptr (mut i32) (i32.const 0))
  (global $init_len (mut i32) (i32.const 0))
  (global $back_ptr (mut i32) (i32.const 0))
  (global $back_len (mut i32) (i32.const 0))
  (func (export "init") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (global.set $init_ptr (local.get $ptr))
    (global.set $init_len (local.get $len))
    (i32.const 0))
  (func (export "look_back") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (global.set $back_ptr (local.get $ptr))
    (global.set $back_len (local.get $len))
    (i32.const 0))
  (func (export "array_map") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (call $begin_output (i32.add (i32.add (global.get $init_len) (global.get $back_len))
                                 (i32.const 64)))
    (call $emit (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                (global.get $init_ptr) (global.get $init_len))
    (call $emit (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                (global.get $back_ptr) (global.get $back_len))
    (call $w8 (i32.const 0))
    (call $finish (i32.const 2))
    (i32.const 2))
"""

# Passes records through and writes a line to stdout and one to stderr per call.
LOGGING_FILTER = """
  (data (i32.const 256) "log: to stdout\\n")
  (data (i32.const 288) "log: to stderr\\n")
  (func $say (param $fd i32) (param $text i32)
    (i32.store (i32.const 320) (local.get $text))
    (i32.store (i32.const 324) (i32.const 15))
    (drop (call $fd_write (local.get $fd)
                          (i32.const 320) (i32.const 1) (i32.const 328))))
  (func (export "filter") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (local $i i32)
    (call $say (i32.const 1) (i32.const 256))
    (call $say (i32.const 2) (i32.const 288))
    (call $begin_input (local.get $ptr))
    (call $begin_output (i32.add (local.get $len) (i32.const 64)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (global.get $count)))
        (call $next_record)
        (call $copy_current_record)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $w8 (i32.const 0))
    (call $finish (local.get $i))
    (local.get $i))
"""
WASI_FD_WRITE = """
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
"""

# `init` fails unless some param is given; the filter keeps everything.
NEEDS_PARAM_FILTER = """
  (func (export "init") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (if (i32.or (i32.load8_u (local.get $ptr)) (i32.load8_u offset=1 (local.get $ptr)))
      (then (return (i32.const 0))))
    (call $begin_output (i32.const 64))
    (global.set $out (global.get $out_start))
    (call $w8 (i32.const 0))
    (call $w8 (i32.const 17))
    (call $w_bytes (i32.const 48) (i32.const 17))
    (call $copy_records (global.get $out_start) (i32.const 19))
    (i32.const -2))
  (func (export "filter") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (local $i i32)
    (call $begin_input (local.get $ptr))
    (call $begin_output (i32.add (local.get $len) (i32.const 64)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (global.get $count)))
        (call $next_record)
        (call $copy_current_record)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $w8 (i32.const 0))
    (call $finish (local.get $i))
    (local.get $i))
"""

# Traps on every call, like a Rust panic.
TRAPPING_MAP = """
  (func (export "map") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    unreachable)
"""

# Never returns: only the time budget stops it.
LOOPING_MAP = """
  (func (export "map") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (loop $forever (br $forever))
    (i32.const 0))
"""

# Grows its memory by 1 MiB at a time, 8 times per call; traps when refused.
GROWING_MAP = """
  (func (export "map") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (local $i i32)
    (loop $more
      (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 8))))
    (call $begin_output (i32.const 16))
    (call $w8 (i32.const 0))
    (call $finish (i32.const 0))
    (i32.const 0))
"""

# `init` prints a panic message on stderr, then traps, as a panicking Rust init does.
PANICKING_INIT_MAP = """
  (data (i32.const 256) "panicked at init: boom\\n")
  (func (export "init") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    (i32.store (i32.const 320) (i32.const 256))
    (i32.store (i32.const 324) (i32.const 23))
    (drop (call $fd_write (i32.const 2) (i32.const 320) (i32.const 1) (i32.const 328)))
    unreachable)
  (func (export "map") (param $ptr i32) (param $len i32) (param $version i32)
        (result i32)
    unreachable)
"""

MODULES = {
    "uppercase": (UPPERCASE_MAP, ""),
    "contains-a": (CONTAINS_A_FILTER, ""),
    "concat": (CONCAT_AGGREGATE, ""),
    "echo": (ECHO_ARRAY_MAP, ""),
    "probe": (PROBE_ARRAY_MAP, ""),
    "logger": (LOGGING_FILTER, WASI_FD_WRITE),
    "needs-param": (NEEDS_PARAM_FILTER, ""),
    "trap": (TRAPPING_MAP, ""),
    "loop": (LOOPING_MAP, ""),
    "grow": (GROWING_MAP, ""),
    "init-panics": (PANICKING_INIT_MAP, WASI_FD_WRITE),
}


def module_wat(name: str) -> str:
    """The full WAT text of the module called ``name``."""
    body, extra_imports = MODULES[name]
    return f"(module{extra_imports}{PRELUDE}{body})"


def build_modules(directory: Path) -> dict[str, Path]:
    """Compile every module into ``directory`` as ``<name>.wasm``."""
    paths = {}
    for name in MODULES:
        path = directory / f"{name}.wasm"
        path.write_bytes(bytes(wasmtime.wat2wasm(module_wat(name))))
        paths[name] = path
    return paths
