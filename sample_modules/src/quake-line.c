/*
 * quake-line (map): a GeoJSON feature -> "M4.7 — 7km E of Hualian, Taiwan",
 * the magnitude rounded half away from zero to one decimal ("M?" when null).
 */
#include "smartmodule.h"

static int line(sm_call *call, const sm_record *rec, sm_record *out) {
    sm_bytes properties, mag, place;
    int64_t value;
    if (!sm_json_path(rec->value, "properties", &properties))
        return sm_fail(call, "record has no properties; is it one GeoJSON feature?");

    sm_str text = sm_str_begin();
    sm_str_byte(&text, 'M');
    if (sm_json_member(properties, "mag", 3, &mag) && sm_parse_decimal(mag, &value))
        sm_str_decimal(&text, value, 1);
    else
        sm_str_byte(&text, '?');
    sm_str_cstr(&text, " \xe2\x80\x94 ");
    if (!sm_json_member(properties, "place", 5, &place) || !sm_str_json_text(&text, place))
        sm_str_cstr(&text, "(unknown place)");

    out->value = sm_str_bytes(&text);
    return SM_OK;
}

SM_MAP(line)
