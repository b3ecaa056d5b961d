/* tpl-filter-map: smdk's filter-map template in C; halves even integers. */
#include "smartmodule.h"

static int halve_even(sm_call *call, const sm_record *rec, sm_record *out) {
    int32_t number;
    const char *problem = sm_parse_i32(rec->value, &number);
    if (problem) return sm_fail(call, problem);
    if (number % 2 != 0) return SM_DROP;

    sm_str text = sm_str_begin();
    sm_str_int(&text, number / 2);
    out->value = sm_str_bytes(&text);
    return SM_KEEP;
}

SM_FILTER_MAP(halve_even)
