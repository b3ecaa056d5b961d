/*
 * late-flights (filter-map): flights delayed 15 minutes or more become
 * "ORIGIN→DEST +delay"; the others are dropped.
 */
#include "smartmodule.h"

#define LATE (15 * (int64_t)SM_DECIMAL_SCALE)

static bool is_string(sm_bytes v) {
    return v.len >= 2 && v.ptr[0] == '"';
}

static int late(sm_call *call, const sm_record *rec, sm_record *out) {
    sm_bytes delay, origin, destination;
    int64_t minutes;
    if (!sm_json_member(rec->value, "delay", 5, &delay) || !sm_parse_decimal(delay, &minutes))
        return sm_fail(call, "record has no numeric \"delay\"");
    if (minutes < LATE) return SM_DROP;
    if (!sm_json_member(rec->value, "origin", 6, &origin) || !is_string(origin) ||
        !sm_json_member(rec->value, "destination", 11, &destination) ||
        !is_string(destination))
        return sm_fail(call, "record has no \"origin\" and \"destination\" strings");

    sm_str text = sm_str_begin();
    if (!sm_str_json_text(&text, origin)) return sm_fail(call, "malformed \"origin\"");
    sm_str_cstr(&text, "\xe2\x86\x92");
    if (!sm_str_json_text(&text, destination))
        return sm_fail(call, "malformed \"destination\"");
    sm_str_cstr(&text, " +");
    sm_str_put(&text, delay.ptr, delay.len);

    out->value = sm_str_bytes(&text);
    return SM_KEEP;
}

SM_FILTER_MAP(late)
