/*
 * smartmodule.h - the guest side of Fluvio's SmartModule ABI for freestanding C.
 *
 * One header, no libc: include it once from a module's single source file and
 * define the transform with one of the SM_* macros at the bottom. It provides
 *
 *   - a bump allocator over linear memory and the exported `alloc`;
 *   - the `copy_records` import (module `env`) that carries every output back;
 *   - decoding of SmartModuleInput at any protocol version (params and
 *     join_record only up to 22, base_timestamp from 22 on), of the aggregate
 *     input with its accumulator, and of the init parameter map;
 *   - record lists with Fluvio's zig-zag varints, both directions;
 *   - the output struct with its optional runtime error (kind tag, offset,
 *     key, value) and, for aggregates, the accumulator;
 *   - a small JSON scanner, decimal numbers and text helpers for the samples;
 *   - `fd_write` from WASI preview 1, linked only when a module logs.
 *
 * Memory: the host calls `alloc` once per call, for that call's input, and has
 * read the previous call's output by then. So `alloc` starts a new arena at
 * the heap base; a module's memory stays as large as its largest call.
 */
#ifndef SMARTMODULE_H
#define SMARTMODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SM_UNUSED __attribute__((unused))
#define SM_EXPORT(name) __attribute__((export_name(name), visibility("default")))

/* Status codes a transform returns when it cannot even read its input. */
#define SM_DECODING_BASE_INPUT (-11)
#define SM_DECODING_RECORDS (-22)
#define SM_INIT_ERROR (-2)
#define SM_INIT_DECODING_INPUT (-10)

/* What a user callback returns. */
#define SM_OK 0
#define SM_KEEP 1
#define SM_DROP 0
#define SM_ERROR (-1)

/* Fluvio's SmartModuleKind tags, written into a runtime error. */
enum sm_kind {
    SM_KIND_FILTER = 0,
    SM_KIND_MAP = 1,
    SM_KIND_ARRAY_MAP = 2,
    SM_KIND_AGGREGATE = 3,
    SM_KIND_FILTER_MAP = 4,
};

typedef struct {
    const uint8_t *ptr;
    size_t len;
} sm_bytes;

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

extern unsigned char __heap_base;

static SM_UNUSED uintptr_t sm_heap_top;
static SM_UNUSED uintptr_t sm_heap_limit;

static SM_UNUSED void *sm_memset(void *dest, int byte, size_t n) {
    return __builtin_memset(dest, byte, n);
}

static SM_UNUSED void *sm_memcpy(void *dest, const void *src, size_t n) {
    return __builtin_memcpy(dest, src, n);
}

static SM_UNUSED bool sm_memeq(const void *a, const void *b, size_t n) {
    const uint8_t *x = a;
    const uint8_t *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return false;
    return true;
}

static SM_UNUSED size_t sm_strlen(const char *text) {
    size_t n = 0;
    while (text[n]) n++;
    return n;
}

static SM_UNUSED void sm_heap_reset(void) {
    sm_heap_top = (uintptr_t)&__heap_base;
    sm_heap_limit = __builtin_wasm_memory_size(0) * 65536u;
}

/* Make sure [top, top + n) is inside memory; trap when memory cannot grow. */
static SM_UNUSED void sm_heap_ensure(size_t n) {
    if (sm_heap_top == 0) sm_heap_reset();
    if (n > sm_heap_limit - sm_heap_top) {
        size_t missing = n - (sm_heap_limit - sm_heap_top);
        size_t pages = (missing + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) __builtin_trap();
        sm_heap_limit += pages * 65536u;
    }
}

static SM_UNUSED void *sm_alloc(size_t n) {
    if (sm_heap_top == 0) sm_heap_reset();
    sm_heap_top = (sm_heap_top + 7u) & ~(uintptr_t)7u;
    sm_heap_ensure(n);
    void *block = (void *)sm_heap_top;
    sm_heap_top += n;
    return block;
}

/* Grow a block; in place when it is the newest allocation. */
static SM_UNUSED void *sm_realloc(void *block, size_t old_size, size_t new_size) {
    if (block && (uintptr_t)block + old_size == sm_heap_top) {
        sm_heap_ensure(new_size - old_size);
        sm_heap_top += new_size - old_size;
        return block;
    }
    void *grown = sm_alloc(new_size);
    if (block) sm_memcpy(grown, block, old_size);
    return grown;
}

SM_EXPORT("alloc") void *sm_export_alloc(int32_t len) {
    sm_heap_reset();
    return sm_alloc(len > 0 ? (size_t)len : 0);
}

/* ------------------------------------------------------------------------ */
/* Text builder: appends at the top of the arena, so nothing else may be    */
/* allocated between sm_str_begin and the last sm_str_put.                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint8_t *start;
    size_t len;
} sm_str;

static SM_UNUSED sm_str sm_str_begin(void) {
    sm_str s = {sm_alloc(0), 0};
    return s;
}

static SM_UNUSED uint8_t *sm_str_extend(sm_str *s, size_t n) {
    if ((uintptr_t)s->start + s->len != sm_heap_top) __builtin_trap();
    sm_heap_ensure(n);
    uint8_t *at = s->start + s->len;
    sm_heap_top += n;
    s->len += n;
    return at;
}

static SM_UNUSED void sm_str_put(sm_str *s, const void *data, size_t n) {
    sm_memcpy(sm_str_extend(s, n), data, n);
}

static SM_UNUSED void sm_str_cstr(sm_str *s, const char *text) {
    sm_str_put(s, text, sm_strlen(text));
}

static SM_UNUSED void sm_str_byte(sm_str *s, uint8_t byte) {
    *sm_str_extend(s, 1) = byte;
}

static SM_UNUSED void sm_str_int(sm_str *s, int64_t value) {
    uint8_t digits[20];
    size_t n = 0;
    uint64_t magnitude = value < 0 ? 0u - (uint64_t)value : (uint64_t)value;
    do {
        digits[n++] = (uint8_t)('0' + magnitude % 10u);
        magnitude /= 10u;
    } while (magnitude);
    if (value < 0) sm_str_byte(s, '-');
    while (n) sm_str_byte(s, digits[--n]);
}

static SM_UNUSED sm_bytes sm_str_bytes(const sm_str *s) {
    sm_bytes b = {s->start, s->len};
    return b;
}

/* ------------------------------------------------------------------------ */
/* Reading Fluvio's codec: big-endian fixed widths, zig-zag varints.         */
/* A failed read clears `ok` and every later read returns zero.              */
/* ------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
    bool ok;
} sm_reader;

static SM_UNUSED const uint8_t *sm_read_take(sm_reader *r, size_t n) {
    if (!r->ok || (size_t)(r->end - r->p) < n) {
        r->ok = false;
        return 0;
    }
    const uint8_t *at = r->p;
    r->p += n;
    return at;
}

static SM_UNUSED uint64_t sm_read_be(sm_reader *r, size_t width) {
    const uint8_t *at = sm_read_take(r, width);
    uint64_t value = 0;
    if (!at) return 0;
    for (size_t i = 0; i < width; i++) value = (value << 8) | at[i];
    return value;
}

static SM_UNUSED bool sm_read_bool(sm_reader *r) {
    uint8_t byte = (uint8_t)sm_read_be(r, 1);
    if (byte > 1) r->ok = false;
    return byte == 1;
}

static SM_UNUSED int64_t sm_read_varint(sm_reader *r) {
    uint64_t raw = 0;
    unsigned shift = 0;
    for (;;) {
        const uint8_t *at = sm_read_take(r, 1);
        if (!at) return 0;
        if (shift < 64) raw |= (uint64_t)(*at & 0x7f) << shift;
        shift += 7;
        if (!(*at & 0x80)) break;
    }
    return (int64_t)(raw >> 1) ^ -(int64_t)(raw & 1);
}

/* Vec<u8>: u32 length read as i32, a length of zero or less is empty. */
static SM_UNUSED sm_bytes sm_read_vec(sm_reader *r) {
    int32_t len = (int32_t)sm_read_be(r, 4);
    sm_bytes b = {0, 0};
    if (len > 0) {
        b.ptr = sm_read_take(r, (size_t)len);
        b.len = b.ptr ? (size_t)len : 0;
    }
    return b;
}

/* String: u16 length read as i16, a length of zero or less is empty. */
static SM_UNUSED sm_bytes sm_read_string(sm_reader *r) {
    int16_t len = (int16_t)sm_read_be(r, 2);
    sm_bytes b = {0, 0};
    if (len > 0) {
        b.ptr = sm_read_take(r, (size_t)len);
        b.len = b.ptr ? (size_t)len : 0;
    }
    return b;
}

/* RecordData: varint length, then the bytes. */
static SM_UNUSED sm_bytes sm_read_data(sm_reader *r) {
    int64_t len = sm_read_varint(r);
    sm_bytes b = {0, 0};
    if (len < 0) r->ok = false;
    if (len > 0) {
        b.ptr = sm_read_take(r, (size_t)len);
        b.len = b.ptr ? (size_t)len : 0;
    }
    return b;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    int8_t attributes;
    int64_t timestamp_delta;
    int64_t offset_delta;
    bool has_key;
    sm_bytes key;
    sm_bytes value;
    int64_t headers;
} sm_record;

typedef struct {
    sm_reader r;
    int32_t remaining;
} sm_record_iter;

static SM_UNUSED sm_record_iter sm_records_begin(sm_bytes list) {
    sm_record_iter it = {{list.ptr, list.ptr + list.len, true}, 0};
    it.remaining = (int32_t)sm_read_be(&it.r, 4);
    return it;
}

/* The next record, or false at the end; `it->r.ok` tells an end from an error. */
static SM_UNUSED bool sm_records_next(sm_record_iter *it, sm_record *rec) {
    if (!it->r.ok || it->remaining <= 0) return false;
    it->remaining--;

    int64_t body = sm_read_varint(&it->r);
    if (body < 0 || (uint64_t)(it->r.end - it->r.p) < (uint64_t)body) it->r.ok = false;

    rec->attributes = (int8_t)sm_read_be(&it->r, 1);
    rec->timestamp_delta = sm_read_varint(&it->r);
    rec->offset_delta = sm_read_varint(&it->r);
    rec->has_key = sm_read_bool(&it->r);
    rec->key = rec->has_key ? sm_read_data(&it->r) : (sm_bytes){0, 0};
    rec->value = sm_read_data(&it->r);
    rec->headers = sm_read_varint(&it->r);
    return it->r.ok;
}

/* Fluvio's encoder keeps a 32-bit zig-zag; reproduce it for byte equality. */
static SM_UNUSED uint64_t sm_zigzag(int64_t n) {
    return (uint64_t)((n << 1) ^ (n >> 31));
}

static SM_UNUSED size_t sm_varint_size(int64_t n) {
    uint64_t v = sm_zigzag(n);
    size_t size = 1;
    while (v & 0xFFFFFF80u) {
        size++;
        v = (uint64_t)((int64_t)v >> 7);
    }
    return size;
}

static SM_UNUSED uint8_t *sm_put_varint(uint8_t *out, int64_t n) {
    uint64_t v = sm_zigzag(n);
    while (v & 0xFFFFFF80u) {
        *out++ = (uint8_t)((v & 0x7f) | 0x80);
        v = (uint64_t)((int64_t)v >> 7);
    }
    *out++ = (uint8_t)v;
    return out;
}

static SM_UNUSED uint8_t *sm_put_be(uint8_t *out, uint64_t value, size_t width) {
    for (size_t i = width; i > 0; i--) *out++ = (uint8_t)(value >> (8 * (i - 1)));
    return out;
}

static SM_UNUSED uint8_t *sm_put_raw(uint8_t *out, sm_bytes b) {
    sm_memcpy(out, b.ptr, b.len);
    return out + b.len;
}

static SM_UNUSED size_t sm_record_body_size(const sm_record *rec) {
    size_t size = 1 + sm_varint_size(rec->timestamp_delta) +
                  sm_varint_size(rec->offset_delta) + 1;
    if (rec->has_key) size += sm_varint_size((int64_t)rec->key.len) + rec->key.len;
    size += sm_varint_size((int64_t)rec->value.len) + rec->value.len;
    return size + sm_varint_size(rec->headers);
}

static SM_UNUSED size_t sm_record_size(const sm_record *rec) {
    size_t body = sm_record_body_size(rec);
    return sm_varint_size((int64_t)body) + body;
}

static SM_UNUSED uint8_t *sm_put_record(uint8_t *out, const sm_record *rec) {
    out = sm_put_varint(out, (int64_t)sm_record_body_size(rec));
    *out++ = (uint8_t)rec->attributes;
    out = sm_put_varint(out, rec->timestamp_delta);
    out = sm_put_varint(out, rec->offset_delta);
    *out++ = rec->has_key ? 1 : 0;
    if (rec->has_key) {
        out = sm_put_varint(out, (int64_t)rec->key.len);
        out = sm_put_raw(out, rec->key);
    }
    out = sm_put_varint(out, (int64_t)rec->value.len);
    out = sm_put_raw(out, rec->value);
    return sm_put_varint(out, rec->headers);
}

/* ------------------------------------------------------------------------ */
/* Inputs                                                                    */
/* ------------------------------------------------------------------------ */

/* SmartModuleExtraParams: the string map, then the lookback from v20 on. */
typedef struct {
    uint16_t count;
    sm_bytes entries; /* the encoded key/value pairs */
    bool has_lookback;
    uint64_t lookback_last;
    bool has_lookback_age;
    uint64_t lookback_age_seconds;
    uint32_t lookback_age_nanos;
} sm_params;

static SM_UNUSED sm_params sm_read_params(sm_reader *r, int16_t version) {
    sm_params params = {0};
    params.count = (uint16_t)sm_read_be(r, 2);
    params.entries.ptr = r->p;
    for (uint16_t i = 0; i < params.count; i++) {
        sm_read_string(r);
        sm_read_string(r);
    }
    params.entries.len = r->ok ? (size_t)(r->p - params.entries.ptr) : 0;

    if (version >= 20) {
        params.has_lookback = sm_read_bool(r);
        if (params.has_lookback) {
            params.lookback_last = sm_read_be(r, 8);
            if (version >= 21) {
                params.has_lookback_age = sm_read_bool(r);
                if (params.has_lookback_age) {
                    params.lookback_age_seconds = sm_read_be(r, 8);
                    params.lookback_age_nanos = (uint32_t)sm_read_be(r, 4);
                }
            }
        }
    }
    return params;
}

/* The value of parameter `key`, if the map has it. */
static SM_UNUSED bool sm_param(const sm_params *params, const char *key, sm_bytes *value) {
    sm_reader r = {params->entries.ptr, params->entries.ptr + params->entries.len, true};
    size_t key_len = sm_strlen(key);
    for (uint16_t i = 0; i < params->count && r.ok; i++) {
        sm_bytes name = sm_read_string(&r);
        sm_bytes found = sm_read_string(&r);
        if (r.ok && name.len == key_len && sm_memeq(name.ptr, key, key_len)) {
            *value = found;
            return true;
        }
    }
    return false;
}

/* SmartModuleInput, plus the accumulator that follows it for aggregates. */
typedef struct {
    int16_t version;
    int64_t base_offset;
    int64_t base_timestamp;
    sm_bytes raw_bytes;
    sm_params params;
    sm_bytes join_record;
    sm_bytes accumulator;
} sm_input;

static SM_UNUSED bool sm_read_input(sm_input *in, const uint8_t *ptr, size_t len, int16_t version,
                          bool aggregate) {
    sm_reader r = {ptr, ptr + len, true};
    sm_memset(in, 0, sizeof *in);
    in->version = version;
    in->base_offset = (int64_t)sm_read_be(&r, 8);
    in->raw_bytes = sm_read_vec(&r);
    if (version <= 22) {
        in->params = sm_read_params(&r, version);
        if (version >= 16) in->join_record = sm_read_vec(&r);
    }
    if (version >= 22) in->base_timestamp = (int64_t)sm_read_be(&r, 8);
    if (aggregate) in->accumulator = sm_read_vec(&r);
    return r.ok;
}

/* ------------------------------------------------------------------------ */
/* Output: the successes, an optional runtime error, the accumulator.        */
/* ------------------------------------------------------------------------ */

__attribute__((import_module("env"), import_name("copy_records"))) extern void
sm_copy_records(const void *ptr, int32_t len);

typedef struct {
    sm_input input;
    sm_record *records;
    uint32_t count;
    uint32_t capacity;
    bool failed;
    sm_bytes hint;
    const sm_record *failed_record;
} sm_call;

static SM_UNUSED void sm_emit_record(sm_call *call, const sm_record *rec) {
    if (call->count == call->capacity) {
        uint32_t grown = call->capacity ? call->capacity * 2 : 64;
        call->records = sm_realloc(call->records, call->capacity * sizeof(sm_record),
                                   grown * sizeof(sm_record));
        call->capacity = grown;
    }
    call->records[call->count++] = *rec;
}

/* Report a user error: processing stops at the current record. */
static SM_UNUSED int sm_fail(sm_call *call, const char *hint) {
    call->failed = true;
    call->hint.ptr = (const uint8_t *)hint;
    call->hint.len = sm_strlen(hint);
    return SM_ERROR;
}

/* The same, with a hint built in the arena (sm_str). */
static SM_UNUSED int sm_fail_bytes(sm_call *call, sm_bytes hint) {
    call->failed = true;
    call->hint = hint;
    return SM_ERROR;
}

static SM_UNUSED size_t sm_error_size(const sm_call *call) {
    const sm_record *rec = call->failed_record;
    size_t size = 1;
    if (!call->failed) return size;
    size += 2 + call->hint.len + 8 + 1 + 1;
    if (rec->has_key) size += sm_varint_size((int64_t)rec->key.len) + rec->key.len;
    return size + sm_varint_size((int64_t)rec->value.len) + rec->value.len;
}

static SM_UNUSED uint8_t *sm_put_error(uint8_t *out, const sm_call *call, enum sm_kind kind) {
    const sm_record *rec = call->failed_record;
    *out++ = call->failed ? 1 : 0;
    if (!call->failed) return out;

    out = sm_put_be(out, call->hint.len, 2);
    out = sm_put_raw(out, call->hint);
    out = sm_put_be(out, (uint64_t)(call->input.base_offset + rec->offset_delta), 8);
    *out++ = (uint8_t)kind;
    *out++ = rec->has_key ? 1 : 0;
    if (rec->has_key) {
        out = sm_put_varint(out, (int64_t)rec->key.len);
        out = sm_put_raw(out, rec->key);
    }
    out = sm_put_varint(out, (int64_t)rec->value.len);
    return sm_put_raw(out, rec->value);
}

/* Encode the output, hand it to the host and return the success count. */
static SM_UNUSED int32_t sm_send(sm_call *call, enum sm_kind kind, const sm_bytes *accumulator) {
    /* A String's length is read back as i16: keep hints below 32 KiB. */
    if (call->hint.len > 32767) call->hint.len = 32767;

    size_t size = 4 + sm_error_size(call);
    for (uint32_t i = 0; i < call->count; i++) size += sm_record_size(&call->records[i]);
    if (accumulator && call->input.version >= 16) size += 4 + accumulator->len;

    uint8_t *buffer = sm_alloc(size);
    uint8_t *out = sm_put_be(buffer, call->count, 4);
    for (uint32_t i = 0; i < call->count; i++) out = sm_put_record(out, &call->records[i]);
    out = sm_put_error(out, call, kind);
    if (accumulator && call->input.version >= 16) {
        out = sm_put_be(out, accumulator->len, 4);
        out = sm_put_raw(out, *accumulator);
    }
    if ((size_t)(out - buffer) != size) __builtin_trap();

    sm_copy_records(buffer, (int32_t)(out - buffer));
    return (int32_t)call->count;
}

/* ------------------------------------------------------------------------ */
/* Drivers: decode, run the user function per record, encode, send.         */
/* ------------------------------------------------------------------------ */

typedef int (*sm_filter_fn)(sm_call *call, const sm_record *rec);
typedef int (*sm_map_fn)(sm_call *call, const sm_record *rec, sm_record *out);
typedef int (*sm_array_map_fn)(sm_call *call, const sm_record *rec);
typedef int (*sm_aggregate_fn)(sm_call *call, sm_bytes accumulator, const sm_record *rec,
                               sm_bytes *next);
typedef int (*sm_init_fn)(const sm_params *params, sm_bytes *hint);

static SM_UNUSED sm_call sm_call_state;
static SM_UNUSED sm_record sm_current;

static SM_UNUSED int32_t sm_begin(sm_call *call, uint8_t *ptr, int32_t len, int32_t version,
                        bool aggregate, sm_record_iter *it) {
    sm_memset(call, 0, sizeof *call);
    if (!sm_read_input(&call->input, ptr, len > 0 ? (size_t)len : 0, (int16_t)version,
                       aggregate))
        return SM_DECODING_BASE_INPUT;
    *it = sm_records_begin(call->input.raw_bytes);
    return it->r.ok ? 0 : (aggregate ? SM_DECODING_RECORDS : SM_DECODING_BASE_INPUT);
}

static SM_UNUSED int32_t sm_run_filter(uint8_t *ptr, int32_t len, int32_t version, sm_filter_fn fn) {
    sm_call *call = &sm_call_state;
    sm_record_iter it;
    int32_t status = sm_begin(call, ptr, len, version, false, &it);
    if (status) return status;

    while (sm_records_next(&it, &sm_current)) {
        int verdict = fn(call, &sm_current);
        if (verdict == SM_ERROR) {
            call->failed_record = &sm_current;
            break;
        }
        if (verdict == SM_KEEP) sm_emit_record(call, &sm_current);
    }
    if (!it.r.ok) return SM_DECODING_BASE_INPUT;
    return sm_send(call, SM_KIND_FILTER, 0);
}

/* Map and filter-map share one loop: a map never drops. */
static SM_UNUSED int32_t sm_run_map_kind(uint8_t *ptr, int32_t len, int32_t version, sm_map_fn fn,
                               enum sm_kind kind) {
    sm_call *call = &sm_call_state;
    sm_record_iter it;
    int32_t status = sm_begin(call, ptr, len, version, false, &it);
    if (status) return status;

    while (sm_records_next(&it, &sm_current)) {
        sm_record mapped = sm_current;
        int verdict = fn(call, &sm_current, &mapped);
        if (verdict == SM_ERROR) {
            call->failed_record = &sm_current;
            break;
        }
        if (kind == SM_KIND_MAP || verdict == SM_KEEP) sm_emit_record(call, &mapped);
    }
    if (!it.r.ok) return SM_DECODING_BASE_INPUT;
    return sm_send(call, kind, 0);
}

/* For array-map callbacks: one new record (preamble reset, as Fluvio does). */
static SM_UNUSED void sm_emit(sm_call *call, const sm_bytes *key, sm_bytes value) {
    sm_record rec = {0};
    rec.has_key = key != 0;
    if (key) rec.key = *key;
    rec.value = value;
    sm_emit_record(call, &rec);
}

static SM_UNUSED int32_t sm_run_array_map(uint8_t *ptr, int32_t len, int32_t version,
                                sm_array_map_fn fn) {
    sm_call *call = &sm_call_state;
    sm_record_iter it;
    int32_t status = sm_begin(call, ptr, len, version, false, &it);
    if (status) return status;

    while (sm_records_next(&it, &sm_current)) {
        uint32_t before = call->count;
        if (fn(call, &sm_current) == SM_ERROR) {
            /* Elements split from the failing record are not output. */
            call->count = before;
            call->failed_record = &sm_current;
            break;
        }
    }
    if (!it.r.ok) return SM_DECODING_BASE_INPUT;
    return sm_send(call, SM_KIND_ARRAY_MAP, 0);
}

static SM_UNUSED int32_t sm_run_aggregate(uint8_t *ptr, int32_t len, int32_t version,
                                sm_aggregate_fn fn) {
    sm_call *call = &sm_call_state;
    sm_record_iter it;
    int32_t status = sm_begin(call, ptr, len, version, true, &it);
    if (status) return status;

    sm_bytes accumulator = call->input.accumulator;
    while (sm_records_next(&it, &sm_current)) {
        sm_bytes next = {0, 0};
        if (fn(call, accumulator, &sm_current, &next) == SM_ERROR) {
            call->failed_record = &sm_current;
            break;
        }
        accumulator = next;
        sm_record out = sm_current;
        out.value = next;
        sm_emit_record(call, &out);
    }
    if (!it.r.ok) return SM_DECODING_RECORDS;
    return sm_send(call, SM_KIND_AGGREGATE, &accumulator);
}

static SM_UNUSED int32_t sm_run_init(uint8_t *ptr, int32_t len, int32_t version, sm_init_fn fn) {
    sm_reader r = {ptr, ptr + (len > 0 ? len : 0), true};
    sm_params params = sm_read_params(&r, (int16_t)version);
    if (!r.ok) return SM_INIT_DECODING_INPUT;

    sm_bytes hint = {0, 0};
    if (fn(&params, &hint) != SM_ERROR) return 0;

    /* SmartModuleInitOutput: one runtime error holding one String. */
    if (hint.len > 32767) hint.len = 32767;
    uint8_t *buffer = sm_alloc(2 + hint.len);
    sm_put_raw(sm_put_be(buffer, hint.len, 2), hint);
    sm_copy_records(buffer, (int32_t)(2 + hint.len));
    return SM_INIT_ERROR;
}

#define SM_TRANSFORM_EXPORT(export, call)                                           \
    SM_EXPORT(export) int32_t sm_export_transform(uint8_t *ptr, int32_t len,        \
                                                  int32_t version) {                \
        return call;                                                                \
    }

#define SM_FILTER(fn) SM_TRANSFORM_EXPORT("filter", sm_run_filter(ptr, len, version, fn))
#define SM_MAP(fn) \
    SM_TRANSFORM_EXPORT("map", sm_run_map_kind(ptr, len, version, fn, SM_KIND_MAP))
#define SM_FILTER_MAP(fn)                                                           \
    SM_TRANSFORM_EXPORT("filter_map",                                               \
                        sm_run_map_kind(ptr, len, version, fn, SM_KIND_FILTER_MAP))
#define SM_ARRAY_MAP(fn) \
    SM_TRANSFORM_EXPORT("array_map", sm_run_array_map(ptr, len, version, fn))
#define SM_AGGREGATE(fn) \
    SM_TRANSFORM_EXPORT("aggregate", sm_run_aggregate(ptr, len, version, fn))
#define SM_INIT(fn)                                                                 \
    SM_EXPORT("init") int32_t sm_export_init(uint8_t *ptr, int32_t len, int32_t version) { \
        return sm_run_init(ptr, len, version, fn);                                  \
    }

/* ------------------------------------------------------------------------ */
/* WASI preview 1: fd_write, for modules that log.                           */
/* ------------------------------------------------------------------------ */

typedef struct {
    const void *buf;
    size_t len;
} sm_ciovec;

__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write"))) extern int32_t
sm_wasi_fd_write(int32_t fd, const sm_ciovec *iovs, size_t count, size_t *written);

/* Write all of `data` to a file descriptor (1 stdout, 2 stderr). */
static SM_UNUSED bool sm_write_fd(int32_t fd, sm_bytes data) {
    while (data.len) {
        sm_ciovec vec = {data.ptr, data.len};
        size_t written = 0;
        if (sm_wasi_fd_write(fd, &vec, 1, &written) != 0 || written == 0) return false;
        data.ptr += written;
        data.len -= written;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Text: UTF-8 checks, trimming, decimal numbers.                            */
/* ------------------------------------------------------------------------ */

/* Eight bytes at a time: fewer loop iterations, each a budget check for the host. */
#define SM_ONES 0x0101010101010101ull
#define SM_HIGHS 0x8080808080808080ull

static SM_UNUSED uint64_t sm_load64(const uint8_t *at) {
    uint64_t word;
    __builtin_memcpy(&word, at, 8);
    return word;
}

static SM_UNUSED bool sm_utf8_valid(sm_bytes b) {
    size_t i = 0;
    while (i < b.len) {
        if (b.len - i >= 8 && !(sm_load64(b.ptr + i) & SM_HIGHS)) {
            i += 8;
            continue;
        }
        uint8_t c = b.ptr[i];
        size_t extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
        if (extra == 9 || (extra && c < 0xc2) || extra >= b.len - i) return false;
        uint32_t code = extra ? (c & (0x3fu >> extra)) : c;
        for (size_t k = 1; k <= extra; k++) {
            if ((b.ptr[i + k] & 0xc0) != 0x80) return false;
            code = (code << 6) | (b.ptr[i + k] & 0x3f);
        }
        if ((extra == 2 && (code < 0x800 || (code >= 0xd800 && code < 0xe000))) ||
            (extra == 3 && (code < 0x10000 || code > 0x10ffff)))
            return false;
        i += extra + 1;
    }
    return true;
}

static SM_UNUSED bool sm_is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static SM_UNUSED sm_bytes sm_trim(sm_bytes b) {
    while (b.len && sm_is_space(b.ptr[0])) {
        b.ptr++;
        b.len--;
    }
    while (b.len && sm_is_space(b.ptr[b.len - 1])) b.len--;
    return b;
}

static SM_UNUSED bool sm_contains_byte(sm_bytes b, uint8_t needle) {
    uint64_t pattern = SM_ONES * needle;
    size_t i = 0;
    for (; b.len - i >= 8; i += 8) {
        uint64_t word = sm_load64(b.ptr + i) ^ pattern;
        if ((word - SM_ONES) & ~word & SM_HIGHS) return true;
    }
    for (; i < b.len; i++)
        if (b.ptr[i] == needle) return true;
    return false;
}

static SM_UNUSED bool sm_equals(sm_bytes b, const char *text) {
    size_t n = sm_strlen(text);
    return b.len == n && sm_memeq(b.ptr, text, n);
}

/* Why an integer did not parse, in the words Rust's str::parse uses. */
static SM_UNUSED const char *const SM_INT_EMPTY = "cannot parse integer from empty string";
static SM_UNUSED const char *const SM_INT_INVALID = "invalid digit found in string";
static SM_UNUSED const char *const SM_INT_TOO_LARGE = "number too large to fit in target type";
static SM_UNUSED const char *const SM_INT_TOO_SMALL = "number too small to fit in target type";

/* Parse an i32 like Rust's `str::parse::<i32>`; returns 0 or the reason. */
static SM_UNUSED const char *sm_parse_i32(sm_bytes b, int32_t *out) {
    size_t i = 0;
    bool negative = false;
    if (b.len == 0) return SM_INT_EMPTY;
    if (b.ptr[0] == '+' || b.ptr[0] == '-') {
        negative = b.ptr[0] == '-';
        i = 1;
        if (b.len == 1) return SM_INT_INVALID;
    }
    int64_t value = 0;
    for (; i < b.len; i++) {
        uint8_t c = b.ptr[i];
        if (c < '0' || c > '9') return SM_INT_INVALID;
        value = value * 10 + (negative ? -(int64_t)(c - '0') : (int64_t)(c - '0'));
        if (value > INT32_MAX) return SM_INT_TOO_LARGE;
        if (value < INT32_MIN) return SM_INT_TOO_SMALL;
    }
    *out = (int32_t)value;
    return 0;
}

/* Decimal numbers as fixed point with six fractional digits. */
#define SM_DECIMAL_SCALE 1000000

/* Parse a JSON or CSV number (sign, digits, fraction, exponent) exactly. */
static SM_UNUSED bool sm_parse_decimal(sm_bytes b, int64_t *out) {
    size_t i = 0;
    bool negative = false;
    int64_t digits = 0;
    int exponent = 0;
    bool any = false;
    if (i < b.len && (b.ptr[i] == '-' || b.ptr[i] == '+')) negative = b.ptr[i++] == '-';
    for (; i < b.len && b.ptr[i] >= '0' && b.ptr[i] <= '9'; i++, any = true)
        if (digits < (INT64_MAX / 100)) digits = digits * 10 + (b.ptr[i] - '0');
        else exponent++;
    if (i < b.len && b.ptr[i] == '.') {
        for (i++; i < b.len && b.ptr[i] >= '0' && b.ptr[i] <= '9'; i++, any = true)
            if (digits < (INT64_MAX / 100)) {
                digits = digits * 10 + (b.ptr[i] - '0');
                exponent--;
            }
    }
    if (!any) return false;
    if (i < b.len && (b.ptr[i] == 'e' || b.ptr[i] == 'E')) {
        int32_t power = 0;
        size_t start = ++i;
        while (i < b.len && (b.ptr[i] == '-' || b.ptr[i] == '+' ||
                             (b.ptr[i] >= '0' && b.ptr[i] <= '9')))
            i++;
        sm_bytes tail = {b.ptr + start, i - start};
        if (sm_parse_i32(tail, &power) || power > 40 || power < -40) return false;
        exponent += power;
    }
    if (i != b.len) return false;

    exponent += 6; /* the fixed-point scale */
    for (; exponent > 0; exponent--) {
        if (digits > INT64_MAX / 10) return false;
        digits *= 10;
    }
    for (; exponent < 0; exponent++) digits /= 10;
    *out = negative ? -digits : digits;
    return true;
}

/* Append a fixed-point decimal rounded half away from zero to `places` digits. */
static SM_UNUSED void sm_str_decimal(sm_str *s, int64_t value, int places) {
    uint64_t unit = SM_DECIMAL_SCALE;
    for (int k = 0; k < places; k++) unit /= 10u;
    uint64_t magnitude = value < 0 ? 0u - (uint64_t)value : (uint64_t)value;
    uint64_t scaled = (magnitude + unit / 2u) / unit;
    uint64_t divisor = 1;
    for (int k = 0; k < places; k++) divisor *= 10u;

    if (value < 0 && scaled != 0) sm_str_byte(s, '-');
    sm_str_int(s, (int64_t)(scaled / divisor));
    if (places == 0) return;
    sm_str_byte(s, '.');
    uint64_t fraction = scaled % divisor;
    for (uint64_t d = divisor / 10u; d > 0; d /= 10u) sm_str_byte(s, (uint8_t)('0' + fraction / d % 10u));
}

/* The n-th comma-separated field of a CSV line (no quoting in our data). */
static SM_UNUSED bool sm_csv_field(sm_bytes line, unsigned n, sm_bytes *field) {
    size_t start = 0;
    for (size_t i = 0; i <= line.len; i++) {
        if (i == line.len || line.ptr[i] == ',') {
            if (n == 0) {
                field->ptr = line.ptr + start;
                field->len = i - start;
                return true;
            }
            n--;
            start = i + 1;
        }
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* A small JSON scanner: enough to find fields, walk arrays and read text.   */
/* Values are slices of the original bytes; nothing is allocated.            */
/* ------------------------------------------------------------------------ */

static SM_UNUSED bool sm_json_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static SM_UNUSED const uint8_t *sm_json_ws(const uint8_t *p, const uint8_t *end) {
    while (p < end && sm_json_space(*p)) p++;
    return p;
}

/* Past the closing quote of the string starting at p, or 0. */
static SM_UNUSED const uint8_t *sm_json_skip_string(const uint8_t *p, const uint8_t *end) {
    for (p++; p < end; p++) {
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    }
    return 0;
}

/* Past the value starting at p (no leading space), or 0 when malformed. */
static SM_UNUSED const uint8_t *sm_json_skip(const uint8_t *p, const uint8_t *end) {
    if (p >= end) return 0;
    if (*p == '"') return sm_json_skip_string(p, end);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (p < end) {
            uint8_t c = *p;
            if (c == '"') {
                p = sm_json_skip_string(p, end);
                if (!p) return 0;
                continue;
            }
            if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0) return p + 1;
            }
            p++;
        }
        return 0;
    }
    const uint8_t *start = p;
    while (p < end && !sm_json_space(*p) && *p != ',' && *p != '}' && *p != ']') p++;
    return p > start ? p : 0;
}

/* The member `key` (raw bytes, no escapes) of the object `obj`. */
static SM_UNUSED bool sm_json_member(sm_bytes obj, const char *key, size_t key_len,
                                     sm_bytes *value) {
    const uint8_t *end = obj.ptr + obj.len;
    const uint8_t *p = sm_json_ws(obj.ptr, end);
    if (p >= end || *p != '{') return false;
    p = sm_json_ws(p + 1, end);
    if (p < end && *p == '}') return false;

    while (p < end && *p == '"') {
        const uint8_t *name_end = sm_json_skip_string(p, end);
        if (!name_end) return false;
        bool match = (size_t)(name_end - p) == key_len + 2 && sm_memeq(p + 1, key, key_len);

        p = sm_json_ws(name_end, end);
        if (p >= end || *p != ':') return false;
        p = sm_json_ws(p + 1, end);
        const uint8_t *value_end = sm_json_skip(p, end);
        if (!value_end) return false;
        if (match) {
            value->ptr = p;
            value->len = (size_t)(value_end - p);
            return true;
        }

        p = sm_json_ws(value_end, end);
        if (p >= end || *p != ',') return false;
        p = sm_json_ws(p + 1, end);
    }
    return false;
}

/* Follow a dotted path of member names ("properties.mag"). */
static SM_UNUSED bool sm_json_path(sm_bytes doc, const char *path, sm_bytes *value) {
    sm_bytes current = doc;
    while (*path) {
        size_t n = 0;
        while (path[n] && path[n] != '.') n++;
        if (!sm_json_member(current, path, n, &current)) return false;
        path += n;
        if (*path == '.') path++;
    }
    *value = current;
    return true;
}

static SM_UNUSED bool sm_json_is_null(sm_bytes v) {
    return sm_equals(v, "null");
}

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
    bool first;
    bool malformed;
} sm_json_iter;

/* Start walking the array `arr`; false when it is not an array. */
static SM_UNUSED bool sm_json_array(sm_bytes arr, sm_json_iter *it) {
    const uint8_t *end = arr.ptr + arr.len;
    const uint8_t *p = sm_json_ws(arr.ptr, end);
    if (p >= end || *p != '[') return false;
    it->p = p + 1;
    it->end = end;
    it->first = true;
    it->malformed = false;
    return true;
}

/* The next element, or false at the end (check `malformed`). */
static SM_UNUSED bool sm_json_next(sm_json_iter *it, sm_bytes *element) {
    const uint8_t *p = sm_json_ws(it->p, it->end);
    if (p < it->end && *p == ']') return false;
    if (!it->first) {
        if (p >= it->end || *p != ',') {
            it->malformed = true;
            return false;
        }
        p = sm_json_ws(p + 1, it->end);
    }
    const uint8_t *value_end = sm_json_skip(p, it->end);
    if (!value_end) {
        it->malformed = true;
        return false;
    }
    element->ptr = p;
    element->len = (size_t)(value_end - p);
    it->p = value_end;
    it->first = false;
    return true;
}

static SM_UNUSED int sm_hex_digit(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static SM_UNUSED bool sm_json_hex4(const uint8_t *p, const uint8_t *end, uint32_t *code) {
    *code = 0;
    if (end - p < 4) return false;
    for (int k = 0; k < 4; k++) {
        int digit = sm_hex_digit(p[k]);
        if (digit < 0) return false;
        *code = (*code << 4) | (uint32_t)digit;
    }
    return true;
}

static SM_UNUSED void sm_str_utf8(sm_str *s, uint32_t code) {
    if (code < 0x80) {
        sm_str_byte(s, (uint8_t)code);
    } else if (code < 0x800) {
        sm_str_byte(s, (uint8_t)(0xc0 | code >> 6));
        sm_str_byte(s, (uint8_t)(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
        sm_str_byte(s, (uint8_t)(0xe0 | code >> 12));
        sm_str_byte(s, (uint8_t)(0x80 | ((code >> 6) & 0x3f)));
        sm_str_byte(s, (uint8_t)(0x80 | (code & 0x3f)));
    } else {
        sm_str_byte(s, (uint8_t)(0xf0 | code >> 18));
        sm_str_byte(s, (uint8_t)(0x80 | ((code >> 12) & 0x3f)));
        sm_str_byte(s, (uint8_t)(0x80 | ((code >> 6) & 0x3f)));
        sm_str_byte(s, (uint8_t)(0x80 | (code & 0x3f)));
    }
}

/* Append the text of the JSON string `v`, escapes resolved; false if not one. */
static SM_UNUSED bool sm_str_json_text(sm_str *s, sm_bytes v) {
    if (v.len < 2 || v.ptr[0] != '"' || v.ptr[v.len - 1] != '"') return false;
    const uint8_t *p = v.ptr + 1;
    const uint8_t *end = v.ptr + v.len - 1;
    while (p < end) {
        if (*p != '\\') {
            sm_str_byte(s, *p++);
            continue;
        }
        if (++p >= end) return false;
        uint8_t c = *p++;
        const char *plain = c == 'n' ? "\n" : c == 't' ? "\t" : c == 'r' ? "\r" :
                            c == 'b' ? "\b" : c == 'f' ? "\f" : 0;
        if (plain) sm_str_byte(s, (uint8_t)plain[0]);
        else if (c == '"' || c == '\\' || c == '/') sm_str_byte(s, c);
        else if (c == 'u') {
            uint32_t code;
            if (!sm_json_hex4(p, end, &code)) return false;
            p += 4;
            uint32_t low;
            if (code >= 0xd800 && code < 0xdc00 && end - p >= 6 && p[0] == '\\' &&
                p[1] == 'u' && sm_json_hex4(p + 2, end, &low) && low >= 0xdc00 &&
                low < 0xe000) {
                code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                p += 6;
            }
            sm_str_utf8(s, code);
        } else {
            return false;
        }
    }
    return true;
}

/* Append `v` without the whitespace between tokens. */
static SM_UNUSED void sm_str_json_compact(sm_str *s, sm_bytes v) {
    const uint8_t *p = v.ptr;
    const uint8_t *end = v.ptr + v.len;
    while (p < end) {
        if (*p == '"') {
            const uint8_t *string_end = sm_json_skip_string(p, end);
            if (!string_end) string_end = end;
            sm_str_put(s, p, (size_t)(string_end - p));
            p = string_end;
        } else {
            if (!sm_json_space(*p)) sm_str_byte(s, *p);
            p++;
        }
    }
}

#endif /* SMARTMODULE_H */
