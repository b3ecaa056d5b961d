"""SmartModules written in WebAssembly text, compiled with ``wasmtime.wat2wasm``.

The well-behaved fixtures share a small runtime (``RUNTIME``): a bump allocator,
big-endian readers and writers, Fluvio varints, a record parser and writers for
``SmartModuleOutput``. On top of it each fixture implements one kind with real
logic over the records, the way SDK-generated code does:

- ``filter``: keeps records whose value contains ``contains`` (init param,
  default ``a``); ``init`` fails with -2 when the param is given but empty.
- ``map``: upper-cases ASCII values, key and preamble kept.
- ``filter_map``: parses the value as a decimal number; odd numbers are dropped,
  even ones become half their value; a non-number is a user error.
- ``array_map``: splits the value on commas, one new record per piece.
- ``aggregate``: sums decimal values into a decimal accumulator and emits the
  running sum; a non-number is a user error.
- ``rising``: a filter keeping values larger than every value seen so far,
  ``look_back`` seeds the maximum from history (-99 on a non-number).
- ``echo`` / ``echo_aggregate``: output the raw bytes they were given (transform
  input, init input, look_back input) as three records.
- ``printer``: passes records through and writes to WASI stdout and stderr.

The hostile fixtures misbehave in one specific way each.
"""

from __future__ import annotations

from functools import cache

import wasmtime

from workbench.engine.module import LoadedModule, load_module

RUNTIME = r"""
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (global $cur (mut i32) (i32.const 0))
  (global $out (mut i32) (i32.const 0))
  (global $out_start (mut i32) (i32.const 0))
  (global $count (mut i32) (i32.const 0))
  (global $base_offset (mut i64) (i64.const 0))
  (global $base_ts (mut i64) (i64.const 0))
  (global $raw_ptr (mut i32) (i32.const 0))
  (global $raw_len (mut i32) (i32.const 0))
  (global $input_end (mut i32) (i32.const 0))
  (global $rec_start (mut i32) (i32.const 0))
  (global $rec_body (mut i32) (i32.const 0))
  (global $rec_end (mut i32) (i32.const 0))
  (global $pre_end (mut i32) (i32.const 0))
  (global $key_end (mut i32) (i32.const 0))
  (global $offset_delta (mut i32) (i32.const 0))
  (global $has_key (mut i32) (i32.const 0))
  (global $key_ptr (mut i32) (i32.const 0))
  (global $key_len (mut i32) (i32.const 0))
  (global $val_ptr (mut i32) (i32.const 0))
  (global $val_len (mut i32) (i32.const 0))
  (global $parse_error (mut i32) (i32.const 0))
  (global $digits_len (mut i32) (i32.const 0))

  ;; 0..8191 is static data: hints at 100.., scratch digits at 2048.
  (data (i32.const 100) "invalid digit found in string")
  (data (i32.const 200) "cannot parse integer from empty string")

  (func $alloc (export "alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $end i32) (local $size i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (local.set $size (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $size))
      (then
        (if (i32.eq
              (memory.grow (i32.add
                (i32.shr_u (i32.sub (local.get $end) (local.get $size)) (i32.const 16))
                (i32.const 1)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap
      (i32.and (i32.add (local.get $end) (i32.const 7)) (i32.const -8)))
    (local.get $ptr))

  (func $u8 (result i32) (local $v i32)
    (local.set $v (i32.load8_u (global.get $cur)))
    (global.set $cur (i32.add (global.get $cur) (i32.const 1)))
    (local.get $v))
  (func $u16 (result i32)
    (i32.or (i32.shl (call $u8) (i32.const 8)) (call $u8)))
  (func $u32 (result i32)
    (i32.or (i32.shl (call $u16) (i32.const 16)) (call $u16)))
  (func $i64 (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (call $u32)) (i64.const 32))
            (i64.extend_i32_u (call $u32))))
  (func $varint (result i32)
    (local $result i32) (local $shift i32) (local $b i32)
    (loop $more
      (local.set $b (call $u8))
      (local.set $result (i32.or (local.get $result)
        (i32.shl (i32.and (local.get $b) (i32.const 0x7f)) (local.get $shift))))
      (local.set $shift (i32.add (local.get $shift) (i32.const 7)))
      (br_if $more (i32.and (local.get $b) (i32.const 0x80))))
    (i32.xor (i32.shr_u (local.get $result) (i32.const 1))
             (i32.sub (i32.const 0) (i32.and (local.get $result) (i32.const 1)))))
  (func $skip (param $n i32)
    (global.set $cur (i32.add (global.get $cur) (local.get $n))))

  (func $put8 (param $v i32)
    (i32.store8 (global.get $out) (local.get $v))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))
  (func $put32 (param $v i32)
    (call $put8 (i32.shr_u (local.get $v) (i32.const 24)))
    (call $put8 (i32.shr_u (local.get $v) (i32.const 16)))
    (call $put8 (i32.shr_u (local.get $v) (i32.const 8)))
    (call $put8 (local.get $v)))
  (func $put64 (param $v i64)
    (call $put32 (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 32))))
    (call $put32 (i32.wrap_i64 (local.get $v))))
  (func $put_bytes (param $src i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $src) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))
  (func $put_varint (param $v i32) (local $z i32)
    (local.set $z (i32.xor (i32.shl (local.get $v) (i32.const 1))
                           (i32.shr_s (local.get $v) (i32.const 31))))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (i32.and (local.get $z) (i32.const 0xFFFFFF80))))
        (call $put8 (i32.or (i32.and (local.get $z) (i32.const 0x7f)) (i32.const 0x80)))
        (local.set $z (i32.shr_u (local.get $z) (i32.const 7)))
        (br $more)))
    (call $put8 (local.get $z)))
  (func $varint_size (param $v i32) (result i32) (local $z i32) (local $n i32)
    (local.set $z (i32.shl (local.get $v) (i32.const 1)))
    (local.set $n (i32.const 1))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (i32.and (local.get $z) (i32.const 0xFFFFFF80))))
        (local.set $z (i32.shr_u (local.get $z) (i32.const 7)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $more)))
    (local.get $n))

  ;; SmartModuleExtraParams: map, then lookback (v>=20) with age (v>=21).
  (func $skip_params (param $version i32) (local $n i32)
    (local.set $n (call $u16))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (call $skip (call $u16))
        (call $skip (call $u16))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (if (i32.ge_s (local.get $version) (i32.const 20))
      (then
        (if (call $u8)
          (then
            (call $skip (i32.const 8))
            (if (i32.ge_s (local.get $version) (i32.const 21))
              (then (if (call $u8) (then (call $skip (i32.const 12)))))))))))

  ;; SmartModuleInput; returns 0, or -11 when it runs past the buffer.
  (func $read_input (param $ptr i32) (param $len i32) (param $version i32) (result i32)
    (global.set $cur (local.get $ptr))
    (global.set $input_end (i32.add (local.get $ptr) (local.get $len)))
    (global.set $base_offset (call $i64))
    (global.set $raw_len (call $u32))
    (global.set $raw_ptr (global.get $cur))
    (call $skip (global.get $raw_len))
    (if (i32.le_s (local.get $version) (i32.const 22))
      (then
        (call $skip_params (local.get $version))
        (if (i32.ge_s (local.get $version) (i32.const 16))
          (then (call $skip (call $u32))))))
    (if (i32.ge_s (local.get $version) (i32.const 22))
      (then (global.set $base_ts (call $i64))))
    (if (result i32) (i32.gt_u (global.get $cur) (global.get $input_end))
      (then (i32.const -11)) (else (i32.const 0))))

  ;; Position the cursor on the records and return their count.
  (func $start_records (result i32)
    (global.set $cur (global.get $raw_ptr))
    (call $u32))

  (func $next_record (local $flag i32)
    (global.set $rec_start (global.get $cur))
    (global.set $rec_end (i32.add (call $varint) (global.get $cur)))
    (global.set $rec_body (global.get $cur))
    (drop (call $u8))
    (drop (call $varint))
    (global.set $offset_delta (call $varint))
    (global.set $pre_end (global.get $cur))
    (global.set $has_key (call $u8))
    (if (global.get $has_key)
      (then
        (global.set $key_len (call $varint))
        (global.set $key_ptr (global.get $cur))
        (call $skip (global.get $key_len))))
    (global.set $key_end (global.get $cur))
    (global.set $val_len (call $varint))
    (global.set $val_ptr (global.get $cur))
    (global.set $cur (global.get $rec_end)))

  ;; Output: reserve room, then count placeholder, records, error, accumulator.
  (func $begin_output (param $room i32)
    (global.set $out_start (call $alloc (local.get $room)))
    (global.set $out (global.get $out_start))
    (global.set $count (i32.const 0))
    (call $put32 (i32.const 0)))
  (func $finish_records (local $end i32)
    (local.set $end (global.get $out))
    (global.set $out (global.get $out_start))
    (call $put32 (global.get $count))
    (global.set $out (local.get $end)))
  (func $no_error (call $put8 (i32.const 0)))
  (func $user_error (param $hint i32) (param $hint_len i32) (param $kind i32)
    (call $put8 (i32.const 1))
    (call $put8 (i32.shr_u (local.get $hint_len) (i32.const 8)))
    (call $put8 (local.get $hint_len))
    (call $put_bytes (local.get $hint) (local.get $hint_len))
    (call $put64 (i64.add (global.get $base_offset)
                          (i64.extend_i32_s (global.get $offset_delta))))
    (call $put8 (local.get $kind))
    (call $put8 (global.get $has_key))
    (if (global.get $has_key)
      (then
        (call $put_varint (global.get $key_len))
        (call $put_bytes (global.get $key_ptr) (global.get $key_len))))
    (call $put_varint (global.get $val_len))
    (call $put_bytes (global.get $val_ptr) (global.get $val_len)))
  (func $send (result i32)
    (call $copy_records (global.get $out_start)
      (i32.sub (global.get $out) (global.get $out_start)))
    (global.get $count))

  (func $keep_record
    (call $put_bytes (global.get $rec_start)
      (i32.sub (global.get $rec_end) (global.get $rec_start)))
    (global.set $count (i32.add (global.get $count) (i32.const 1))))
  ;; The current record with its preamble and key, and a new value.
  (func $put_with_value (param $ptr i32) (param $len i32)
    (call $put_varint (i32.add (i32.add
      (i32.sub (global.get $key_end) (global.get $rec_body))
      (call $varint_size (local.get $len)))
      (i32.add (local.get $len) (i32.const 1))))
    (call $put_bytes (global.get $rec_body)
      (i32.sub (global.get $key_end) (global.get $rec_body)))
    (call $put_varint (local.get $len))
    (call $put_bytes (local.get $ptr) (local.get $len))
    (call $put8 (i32.const 0))
    (global.set $count (i32.add (global.get $count) (i32.const 1))))
  ;; A fresh record (zero preamble) with the current key and a new value.
  (func $put_fresh (param $ptr i32) (param $len i32)
    (call $put_varint (i32.add (i32.add
      (i32.sub (global.get $key_end) (global.get $pre_end))
      (call $varint_size (local.get $len)))
      (i32.add (local.get $len) (i32.const 4))))
    (call $put8 (i32.const 0))
    (call $put8 (i32.const 0))
    (call $put8 (i32.const 0))
    (call $put_bytes (global.get $pre_end)
      (i32.sub (global.get $key_end) (global.get $pre_end)))
    (call $put_varint (local.get $len))
    (call $put_bytes (local.get $ptr) (local.get $len))
    (call $put8 (i32.const 0))
    (global.set $count (i32.add (global.get $count) (i32.const 1))))

  ;; Decimal numbers: $parse_error is 0 ok, 1 empty, 2 bad digit.
  (func $parse_decimal (param $ptr i32) (param $len i32) (result i64)
    (local $n i64) (local $i i32) (local $c i32)
    (global.set $parse_error (i32.const 0))
    (if (i32.eqz (local.get $len))
      (then (global.set $parse_error (i32.const 1)) (return (i64.const 0))))
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (if (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9))
          (then (global.set $parse_error (i32.const 2)) (return (i64.const 0))))
        (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 10))
                               (i64.extend_i32_u (i32.sub (local.get $c)
                                   (i32.const 48)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $more)))
    (local.get $n))
  (func $parse_error_hint (result i32)
    (if (result i32) (i32.eq (global.get $parse_error) (i32.const 1))
      (then (i32.const 200)) (else (i32.const 100))))
  (func $parse_error_len (result i32)
    (if (result i32) (i32.eq (global.get $parse_error) (i32.const 1))
      (then (i32.const 38)) (else (i32.const 29))))
  ;; Digits of $n written to 2048.., their count in $digits_len.
  (func $format_decimal (param $n i64) (local $p i32) (local $len i32)
    (local.set $p (i32.const 2100))
    (loop $more
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $n)
            (i64.const 10)))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $more (i64.ne (local.get $n) (i64.const 0))))
    (local.set $len (i32.sub (i32.const 2100) (local.get $p)))
    (memory.copy (i32.const 2048) (local.get $p) (local.get $len))
    (global.set $digits_len (local.get $len)))
"""

FILTER = r"""
  (global $needle_ptr (mut i32) (i32.const 300))
  (global $needle_len (mut i32) (i32.const 1))
  (data (i32.const 300) "a")
  (data (i32.const 320) "contains")
  (data (i32.const 340) "param `contains` must not be empty")

  (func $contains (param $hay i32) (param $hay_len i32) (result i32) (local $i i32)
    (if (i32.gt_u (global.get $needle_len) (local.get $hay_len))
      (then (return (i32.const 0))))
    (block $done
      (loop $more
        (br_if $done (i32.gt_u (local.get $i)
          (i32.sub (local.get $hay_len) (global.get $needle_len))))
        (if (call $same (i32.add (local.get $hay) (local.get $i)))
          (then (return (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $more)))
    (i32.const 0))
  (func $same (param $at i32) (result i32) (local $i i32)
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $i) (global.get $needle_len)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $at) (local.get $i)))
                    (i32.load8_u (i32.add (global.get $needle_ptr) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $more)))
    (i32.const 1))

  (func (export "init") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (local $n i32) (local $klen i32) (local $kptr i32) (local $vlen i32)
    (global.set $cur (local.get $ptr))
    (local.set $n (call $u16))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $klen (call $u16))
        (local.set $kptr (global.get $cur))
        (call $skip (local.get $klen))
        (local.set $vlen (call $u16))
        (if (i32.and (i32.eq (local.get $klen) (i32.const 8))
                     (call $same_key (local.get $kptr)))
          (then
            (if (i32.eqz (local.get $vlen))
              (then
                (global.set $out_start (call $alloc (i32.const 64)))
                (global.set $out (global.get $out_start))
                (call $put8 (i32.const 0))
                (call $put8 (i32.const 34))
                (call $put_bytes (i32.const 340) (i32.const 34))
                (drop (call $send))
                (return (i32.const -2))))
            (global.set $needle_ptr (global.get $cur))
            (global.set $needle_len (local.get $vlen))))
        (call $skip (local.get $vlen))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (i32.const 0))
  (func $same_key (param $kptr i32) (result i32) (local $i i32)
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $i) (i32.const 8)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $kptr) (local.get $i)))
                    (i32.load8_u (i32.add (i32.const 320) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $more)))
    (i32.const 1))

  (func (export "filter") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (local $n i32)
    (if (call $read_input (local.get $ptr) (local.get $len) (local.get $version))
      (then (return (i32.const -11))))
    (call $begin_output (i32.add (global.get $raw_len) (i32.const 64)))
    (local.set $n (call $start_records))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (call $next_record)
        (if (call $contains (global.get $val_ptr) (global.get $val_len))
          (then (call $keep_record)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (call $finish_records)
    (call $no_error)
    (call $send))
"""

MAP = r"""
  (func (export "map") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (local $n i32) (local $p i32) (local $c i32)
    (if (call $read_input (local.get $ptr) (local.get $len) (local.get $version))
      (then (return (i32.const -11))))
    (call $begin_output (i32.add (global.get $raw_len) (i32.const 64)))
    (local.set $n (call $start_records))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (call $next_record)
        (call $put_with_value (global.get $val_ptr) (global.get $val_len))
        ;; Upper-case the copy just written (it ends before the header byte).
        (local.set $p (i32.sub (i32.sub (global.get $out) (i32.const 1))
                               (global.get $val_len)))
        (block $cased
          (loop $letters
            (br_if $cased (i32.ge_u (local.get $p)
                                    (i32.sub (global.get $out) (i32.const 1))))
            (local.set $c (i32.load8_u (local.get $p)))
            (if (i32.le_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 25))
              (then (i32.store8 (local.get $p) (i32.sub (local.get $c)
                  (i32.const 32)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $letters)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (call $finish_records)
    (call $no_error)
    (call $send))
"""

# The map above with a busy loop per record: a whole-topic run over it lasts long
# enough to be cancelled half-way on any machine.
SLOW_MAP = MAP.replace(
    "(local $n i32) (local $p i32) (local $c i32)",
    "(local $n i32) (local $p i32) (local $c i32) (local $spin i32)",
).replace(
    "        (call $next_record)\n",
    "        (call $next_record)\n"
    "        (local.set $spin (i32.const 200000))\n"
    "        (loop $busy (local.set $spin (i32.sub (local.get $spin) (i32.const 1)))\n"
    "          (br_if $busy (local.get $spin)))\n",
)

FILTER_MAP = r"""
  (func (export "filter_map") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (local $n i32) (local $number i64)
    (if (call $read_input (local.get $ptr) (local.get $len) (local.get $version))
      (then (return (i32.const -11))))
    (call $begin_output (i32.add (global.get $raw_len) (i32.const 128)))
    (local.set $n (call $start_records))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (call $next_record)
        (local.set $number (call $parse_decimal (global.get $val_ptr)
            (global.get $val_len)))
        (if (global.get $parse_error)
          (then
            (call $finish_records)
            (call $user_error (call $parse_error_hint) (call $parse_error_len)
                (i32.const 4))
            (return (call $send))))
        (if (i64.eqz (i64.rem_u (local.get $number) (i64.const 2)))
          (then
            (call $format_decimal (i64.div_u (local.get $number) (i64.const 2)))
            (call $put_with_value (i32.const 2048) (global.get $digits_len))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (call $finish_records)
    (call $no_error)
    (call $send))
"""

ARRAY_MAP = r"""
  (func (export "array_map") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (local $n i32) (local $p i32) (local $end i32) (local $piece i32)
    (if (call $read_input (local.get $ptr) (local.get $len) (local.get $version))
      (then (return (i32.const -11))))
    (call $begin_output (i32.add (i32.mul (global.get $raw_len) (i32.const 16))
                                 (i32.const 64)))
    (local.set $n (call $start_records))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (call $next_record)
        (local.set $p (global.get $val_ptr))
        (local.set $piece (global.get $val_ptr))
        (local.set $end (i32.add (global.get $val_ptr) (global.get $val_len)))
        (block $split
          (loop $bytes
            (br_if $split (i32.ge_u (local.get $p) (local.get $end)))
            (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 44))
              (then
                (call $put_fresh (local.get $piece)
                  (i32.sub (local.get $p) (local.get $piece)))
                (local.set $piece (i32.add (local.get $p) (i32.const 1)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $bytes)))
        (call $put_fresh (local.get $piece) (i32.sub (local.get $end)
            (local.get $piece)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (call $finish_records)
    (call $no_error)
    (call $send))
"""

AGGREGATE = r"""
  (func (export "aggregate") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (local $n i32) (local $sum i64) (local $number i64)
    (local $acc_len i32) (local $acc_ptr i32) (local $any i32)
    (if (call $read_input (local.get $ptr) (local.get $len) (local.get $version))
      (then (return (i32.const -11))))
    (local.set $acc_len (call $u32))
    (local.set $acc_ptr (global.get $cur))
    (if (local.get $acc_len)
      (then
        (local.set $sum (call $parse_decimal (local.get $acc_ptr) (local.get $acc_len)))
        (if (global.get $parse_error) (then (return (i32.const -22))))))
    (call $begin_output (i32.add (i32.mul (global.get $raw_len) (i32.const 4))
                                 (i32.add (local.get $acc_len) (i32.const 128))))
    (local.set $n (call $start_records))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (call $next_record)
        (local.set $number (call $parse_decimal (global.get $val_ptr)
            (global.get $val_len)))
        (if (global.get $parse_error)
          (then
            (call $finish_records)
            (call $user_error (call $parse_error_hint) (call $parse_error_len)
                (i32.const 3))
            (br $done)))
        (local.set $sum (i64.add (local.get $sum) (local.get $number)))
        (local.set $any (i32.const 1))
        (call $format_decimal (local.get $sum))
        (call $put_with_value (i32.const 2048) (global.get $digits_len))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (if (i32.eqz (local.get $n))
      (then (call $finish_records) (call $no_error)))
    (if (local.get $any)
      (then
        (call $format_decimal (local.get $sum))
        (call $put32 (global.get $digits_len))
        (call $put_bytes (i32.const 2048) (global.get $digits_len)))
      (else
        (call $put32 (local.get $acc_len))
        (call $put_bytes (local.get $acc_ptr) (local.get $acc_len))))
    (call $send))
"""

RISING = r"""
  (global $max (mut i64) (i64.const -1))

  (func (export "look_back") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (local $n i32) (local $number i64)
    (if (call $read_input (local.get $ptr) (local.get $len) (local.get $version))
      (then (return (i32.const -66))))
    (local.set $n (call $start_records))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (call $next_record)
        (local.set $number (call $parse_decimal (global.get $val_ptr)
            (global.get $val_len)))
        (if (global.get $parse_error)
          (then
            (call $begin_output (i32.add (global.get $val_len) (i32.const 128)))
            (global.set $out (global.get $out_start))
            ;; SmartModuleLookbackOutput: the user error without a kind tag.
            (call $put8 (i32.const 0))
            (call $put8 (call $parse_error_len))
            (call $put_bytes (call $parse_error_hint) (call $parse_error_len))
            (call $put64 (i64.add (global.get $base_offset)
                                  (i64.extend_i32_s (global.get $offset_delta))))
            (call $put8 (global.get $has_key))
            (if (global.get $has_key)
              (then
                (call $put_varint (global.get $key_len))
                (call $put_bytes (global.get $key_ptr) (global.get $key_len))))
            (call $put_varint (global.get $val_len))
            (call $put_bytes (global.get $val_ptr) (global.get $val_len))
            (drop (call $send))
            (return (i32.const -99))))
        (if (i64.gt_s (local.get $number) (global.get $max))
          (then (global.set $max (local.get $number))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (i32.const 0))

  (func (export "filter") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (local $n i32) (local $number i64)
    (if (call $read_input (local.get $ptr) (local.get $len) (local.get $version))
      (then (return (i32.const -11))))
    (call $begin_output (i32.add (global.get $raw_len) (i32.const 128)))
    (local.set $n (call $start_records))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (call $next_record)
        (local.set $number (call $parse_decimal (global.get $val_ptr)
            (global.get $val_len)))
        (if (global.get $parse_error)
          (then
            (call $finish_records)
            (call $user_error (call $parse_error_hint) (call $parse_error_len)
                (i32.const 0))
            (return (call $send))))
        (if (i64.gt_s (local.get $number) (global.get $max))
          (then
            (global.set $max (local.get $number))
            (call $keep_record)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (call $finish_records)
    (call $no_error)
    (call $send))
"""

_ECHO_COMMON = r"""
  (global $init_ptr (mut i32) (i32.const 0))
  (global $init_len (mut i32) (i32.const 0))
  (global $back_ptr (mut i32) (i32.const 0))
  (global $back_len (mut i32) (i32.const 0))
  (data (i32.const 300) "echo")

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
  (func $put_raw_record (param $ptr i32) (param $len i32)
    (call $put_varint (i32.add (i32.add (local.get $len) (i32.const 5))
                               (call $varint_size (local.get $len))))
    (call $put8 (i32.const 0))
    (call $put8 (i32.const 0))
    (call $put8 (i32.const 0))
    (call $put8 (i32.const 0))
    (call $put_varint (local.get $len))
    (call $put_bytes (local.get $ptr) (local.get $len))
    (call $put8 (i32.const 0)))
  (func $echo (param $ptr i32) (param $len i32) (param $aggregate i32) (result i32)
    (call $begin_output (i32.add (i32.add (local.get $len) (i32.const 128))
      (i32.add (global.get $init_len) (global.get $back_len))))
    (call $put_raw_record (local.get $ptr) (local.get $len))
    (call $put_raw_record (global.get $init_ptr) (global.get $init_len))
    (call $put_raw_record (global.get $back_ptr) (global.get $back_len))
    (global.set $count (i32.const 3))
    (call $finish_records)
    (call $no_error)
    (if (local.get $aggregate)
      (then
        (call $put32 (i32.const 4))
        (call $put_bytes (i32.const 300) (i32.const 4))))
    (call $send))
"""

ECHO = (
    _ECHO_COMMON
    + r"""
  (func (export "map") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (call $echo (local.get $ptr) (local.get $len) (i32.const 0)))
"""
)

ECHO_AGGREGATE = (
    _ECHO_COMMON
    + r"""
  (func (export "aggregate") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (call $echo (local.get $ptr) (local.get $len) (i32.const 1)))
"""
)

# Imports must precede the runtime's functions.
PRINTER_IMPORTS = r"""
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
"""

PRINTER = r"""
  (data (i32.const 300) "hello from the module\n")
  (data (i32.const 400) "a warning\n")

  (func $print (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 1000) (local.get $ptr))
    (i32.store (i32.const 1004) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 1000) (i32.const 1)
        (i32.const 1008))))

  (func (export "filter") (param $ptr i32) (param $len i32) (param $version i32)
      (result i32)
    (if (call $read_input (local.get $ptr) (local.get $len) (local.get $version))
      (then (return (i32.const -11))))
    (call $print (i32.const 1) (i32.const 300) (i32.const 22))
    (call $print (i32.const 2) (i32.const 400) (i32.const 10))
    (call $begin_output (i32.add (global.get $raw_len) (i32.const 64)))
    (global.set $out (global.get $out_start))
    (call $put_bytes (global.get $raw_ptr) (global.get $raw_len))
    (global.set $count (call $start_records))
    (call $no_error)
    (call $send))
"""

# Hostile modules: a minimal host interface and one misbehaviour each.
_HOSTILE_PRELUDE = r"""
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "alloc") (param $len i32) (result i32) (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 16)))))
    (local.get $ptr))
  ;; A valid empty SmartModuleOutput: no records, no error.
  (data (i32.const 16) "\00\00\00\00\00")
"""

_TRANSFORM = '(func (export "filter") (param i32 i32 i32) (result i32)'

HOSTILE: dict[str, str] = {
    "infinite_loop": f"{_TRANSFORM} (loop $forever (br $forever)) (i32.const 0))",
    "memory_bomb": f"""{_TRANSFORM}
        (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 256)) (i32.const -1))))
        unreachable)""",
    "trap": f"{_TRANSFORM} unreachable)",
    "divide_by_zero": f"""{_TRANSFORM}
        (drop (i32.div_u (i32.const 1) (i32.const 0))) (i32.const 0))""",
    "bad_pointer": f"""{_TRANSFORM}
        (call $copy_records (i32.const 0x7fff0000) (i32.const 100)) (i32.const 0))""",
    "garbage_output": f"""{_TRANSFORM}
        (i32.store (i32.const 32) (i32.const 0x05000000))
        (call $copy_records (i32.const 32) (i32.const 6)) (i32.const 0))""",
    "negative_status": f"{_TRANSFORM} (i32.const -11))",
    "never_copies": f"{_TRANSFORM} (i32.const 0))",
    "empty_output": f"""{_TRANSFORM}
        (call $copy_records (i32.const 16) (i32.const 5)) (i32.const 0))""",
}

BAD_ALLOC = r"""
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0x7ffffff0))
  (func (export "filter") (param i32 i32 i32) (result i32) (i32.const 0))
"""

NO_TRANSFORM = r"""
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "transform") (param i32 i32 i32) (result i32) (i32.const 0))
"""

LEGACY_SIGNATURE = r"""
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "filter") (param i32 i32) (result i32) (i32.const 0))
"""

UNKNOWN_IMPORT = r"""
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (import "env" "now" (func $now (result i64)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "filter") (param i32 i32 i32) (result i32) (i32.const 0))
"""

NO_COPY_RECORDS = r"""
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "filter") (param i32 i32 i32) (result i32) (i32.const 0))
"""

FAILING_INIT = r"""
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "init") (param i32 i32 i32) (result i32) unreachable)
  (func (export "filter") (param i32 i32 i32) (result i32) (i32.const 0))
"""

LOOPING_INIT = r"""
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "init") (param i32 i32 i32) (result i32) (loop $forever (br $forever))
    (i32.const 0))
  (func (export "map") (param i32 i32 i32) (result i32) (i32.const 0))
"""

TRAPPING_LOOK_BACK = r"""
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "look_back") (param i32 i32 i32) (result i32) unreachable)
  (func (export "filter") (param i32 i32 i32) (result i32) (i32.const 0))
"""

# Like a Rust guest whose allocator is refused: print the std message, abort.
ALLOCATION_FAILURE = r"""
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "memory allocation of 2000000 bytes failed\n")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "filter") (param i32 i32 i32) (result i32)
    (if (i32.eq (memory.grow (i32.const 31)) (i32.const -1))
      (then
        (i32.store (i32.const 0) (i32.const 100))
        (i32.store (i32.const 4) (i32.const 42))
        (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
        unreachable))
    (i32.const 0))
"""

# init prints, then refuses an empty parameter map with Fluvio's example hint.
NOISY_INIT = r"""
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "configuring\n")
  (data (i32.const 200) "no params\n")
  (data (i32.const 300) "\00\11Missing param key")
  (func $print (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "init") (param $ptr i32) (param i32 i32) (result i32)
    (call $print (i32.const 1) (i32.const 100) (i32.const 12))
    (if (i32.eqz (i32.load16_u (local.get $ptr)))
      (then
        (call $print (i32.const 2) (i32.const 200) (i32.const 10))
        (call $copy_records (i32.const 300) (i32.const 19))
        (return (i32.const -2))))
    (i32.const 0))
  (func (export "map") (param i32 i32 i32) (result i32) (i32.const 0))
"""

# Reports what WASI shows it as one record of four little-endian i32s: the
# environment count, the argument count, fd_prestat_get(3)'s errno and how many
# bytes a read of stdin returned.
WASI_PROBE = r"""
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "\00\00\00\01\2c\00\00\00\00\20")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "map") (param i32 i32 i32) (result i32)
    (drop (call $environ_sizes_get (i32.const 300) (i32.const 304)))
    (drop (call $args_sizes_get (i32.const 308) (i32.const 312)))
    (i32.store (i32.const 316) (call $fd_prestat_get (i32.const 3) (i32.const 500)))
    (i32.store (i32.const 320) (i32.const 600))
    (i32.store (i32.const 324) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 320) (i32.const 1) (i32.const 328)))
    (i32.store (i32.const 210) (i32.load (i32.const 300)))
    (i32.store (i32.const 214) (i32.load (i32.const 308)))
    (i32.store (i32.const 218) (i32.load (i32.const 316)))
    (i32.store (i32.const 222) (i32.load (i32.const 328)))
    (i32.store16 (i32.const 226) (i32.const 0))
    (call $copy_records (i32.const 200) (i32.const 28))
    (i32.const 1))
"""

EXITS = r"""
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "map") (param i32 i32 i32) (result i32) (call $proc_exit (i32.const 3))
    (i32.const 0))
"""

_SOURCES: dict[str, str] = {
    "filter": RUNTIME + FILTER,
    "map": RUNTIME + MAP,
    "slow_map": RUNTIME + SLOW_MAP,
    "filter_map": RUNTIME + FILTER_MAP,
    "array_map": RUNTIME + ARRAY_MAP,
    "aggregate": RUNTIME + AGGREGATE,
    "rising": RUNTIME + RISING,
    "echo": RUNTIME + ECHO,
    "echo_aggregate": RUNTIME + ECHO_AGGREGATE,
    "printer": PRINTER_IMPORTS + RUNTIME + PRINTER,
    "bad_alloc": BAD_ALLOC,
    "no_transform": NO_TRANSFORM,
    "legacy_signature": LEGACY_SIGNATURE,
    "unknown_import": UNKNOWN_IMPORT,
    "no_copy_records": NO_COPY_RECORDS,
    "failing_init": FAILING_INIT,
    "looping_init": LOOPING_INIT,
    "exits": EXITS,
    "wasi_probe": WASI_PROBE,
    "noisy_init": NOISY_INIT,
    "allocation_failure": ALLOCATION_FAILURE,
    # The module's own maximum refuses the growth, not the host's limit.
    "capped_allocation_failure": ALLOCATION_FAILURE.replace(
        '(memory (export "memory") 1)', '(memory (export "memory") 1 2)'
    ),
    "trapping_look_back": TRAPPING_LOOK_BACK,
    **{name: _HOSTILE_PRELUDE + body for name, body in HOSTILE.items()},
}

FIXTURE_NAMES = tuple(_SOURCES)


@cache
def wasm(name: str) -> bytes:
    """The compiled binary of fixture ``name``."""
    return bytes(wasmtime.wat2wasm(f"(module {_SOURCES[name]})"))


def load(name: str) -> LoadedModule:
    """Fixture ``name`` loaded and validated, named after itself."""
    return load_module(wasm(name), name=f"{name}.wasm")
