/*
 * quake-filter (filter): keeps GeoJSON features whose properties.mag is at
 * least the `min_mag` parameter (default 4.5). A null magnitude never passes.
 */
#include "smartmodule.h"

#define DEFAULT_MIN_MAG (45 * SM_DECIMAL_SCALE / 10)

static int64_t min_mag = DEFAULT_MIN_MAG;

static int configure(const sm_params *params, sm_bytes *hint) {
    sm_bytes text;
    min_mag = DEFAULT_MIN_MAG;
    if (!sm_param(params, "min_mag", &text)) return SM_OK;
    if (sm_parse_decimal(sm_trim(text), &min_mag)) return SM_OK;

    sm_str message = sm_str_begin();
    sm_str_cstr(&message, "min_mag must be a number, got '");
    sm_str_put(&message, text.ptr, text.len);
    sm_str_cstr(&message, "'");
    *hint = sm_str_bytes(&message);
    return SM_ERROR;
}

static int keep(sm_call *call, const sm_record *rec) {
    sm_bytes mag;
    int64_t value;
    if (!sm_json_path(rec->value, "properties.mag", &mag))
        return sm_fail(call,
                       "record has no properties.mag; is it one GeoJSON feature? "
                       "(split a FeatureCollection with quake-split first)");
    if (sm_json_is_null(mag)) return SM_DROP;
    if (!sm_parse_decimal(mag, &value)) return sm_fail(call, "properties.mag is not a number");
    return value >= min_mag ? SM_KEEP : SM_DROP;
}

SM_INIT(configure)
SM_FILTER(keep)
