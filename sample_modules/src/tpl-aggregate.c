/*
 * tpl-aggregate: smdk's aggregate template in C; sums integers. An
 * accumulator that is not an integer counts as 0.
 */
#include "smartmodule.h"

static int sum(sm_call *call, sm_bytes accumulator, const sm_record *rec, sm_bytes *next) {
    int32_t total = 0, number;
    const char *problem = sm_parse_i32(sm_trim(rec->value), &number);
    if (problem) return sm_fail(call, problem);
    if (sm_parse_i32(sm_trim(accumulator), &total)) total = 0;

    sm_str text = sm_str_begin();
    sm_str_int(&text, (int32_t)((uint32_t)total + (uint32_t)number));
    *next = sm_str_bytes(&text);
    return SM_OK;
}

SM_AGGREGATE(sum)
