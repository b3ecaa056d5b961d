/*
 * tpl-array-map: smdk's array-map template in C; a JSON array becomes one
 * record per element, each element as compact JSON. (The Rust template goes
 * through serde_json and so also sorts object keys; this keeps their order.)
 */
#include "smartmodule.h"

static int split(sm_call *call, const sm_record *rec) {
    sm_json_iter it;
    sm_bytes element;
    if (!sm_json_array(rec->value, &it)) return sm_fail(call, "expected a JSON array");

    while (sm_json_next(&it, &element)) {
        sm_str text = sm_str_begin();
        sm_str_json_compact(&text, element);
        sm_emit(call, 0, sm_str_bytes(&text));
    }
    if (it.malformed) return sm_fail(call, "malformed JSON array");
    return SM_OK;
}

SM_ARRAY_MAP(split)
