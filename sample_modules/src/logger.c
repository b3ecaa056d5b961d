/*
 * logger (map): passes every record through unchanged, printing each value
 * with its offset and timestamp on stdout and a one-line summary of the batch
 * on stderr, through WASI's fd_write imported directly (no wasi-libc).
 */
#include "smartmodule.h"

static void write_text(int32_t fd, const char *text) {
    sm_bytes b = {(const uint8_t *)text, sm_strlen(text)};
    sm_write_fd(fd, b);
}

static void write_number(int32_t fd, int64_t n) {
    uint8_t digits[24];
    size_t at = sizeof digits;
    uint64_t magnitude = n < 0 ? 0u - (uint64_t)n : (uint64_t)n;
    do {
        digits[--at] = (uint8_t)('0' + magnitude % 10u);
        magnitude /= 10u;
    } while (magnitude);
    if (n < 0) digits[--at] = '-';
    sm_bytes b = {digits + at, sizeof digits - at};
    sm_write_fd(fd, b);
}

static int log_record(sm_call *call, const sm_record *rec, sm_record *out) {
    (void)out;
    write_text(1, "[offset ");
    write_number(1, call->input.base_offset + rec->offset_delta);
    write_text(1, ", timestamp ");
    write_number(1, call->input.base_timestamp + rec->timestamp_delta);
    write_text(1, "] ");
    sm_write_fd(1, rec->value);
    write_text(1, "\n");
    return SM_OK;
}

SM_EXPORT("map") int32_t log_batch(uint8_t *ptr, int32_t len, int32_t version) {
    int32_t count = sm_run_map_kind(ptr, len, version, log_record, SM_KIND_MAP);
    if (count >= 0) {
        write_text(2, "logger: ");
        write_number(2, count);
        write_text(2, " records\n");
    }
    return count;
}
