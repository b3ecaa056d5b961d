/* tpl-filter: smdk's filter template in C; keeps values containing 'a'. */
#include "smartmodule.h"

static int contains_a(sm_call *call, const sm_record *rec) {
    if (!sm_utf8_valid(rec->value)) return sm_fail(call, "invalid utf-8 sequence");
    return sm_contains_byte(rec->value, 'a') ? SM_KEEP : SM_DROP;
}

SM_FILTER(contains_a)
