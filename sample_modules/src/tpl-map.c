/* tpl-map: smdk's map template in C; doubles an integer (i32, wrapping). */
#include "smartmodule.h"

static int double_it(sm_call *call, const sm_record *rec, sm_record *out) {
    int32_t number;
    const char *problem = sm_parse_i32(rec->value, &number);
    if (!sm_utf8_valid(rec->value)) return sm_fail(call, "invalid utf-8 sequence");
    if (problem) return sm_fail(call, problem);

    sm_str text = sm_str_begin();
    sm_str_int(&text, (int32_t)((uint32_t)number * 2u));
    out->value = sm_str_bytes(&text);
    return SM_OK;
}

SM_MAP(double_it)
