/*
 * quake-split (array-map): a GeoJSON FeatureCollection -> one record per
 * feature, the feature as compact JSON, keyed by its "id" when it has one.
 * A bare JSON array is split the same way.
 */
#include "smartmodule.h"

static sm_bytes *feature_id(sm_bytes feature, sm_bytes *key) {
    sm_bytes id;
    if (!sm_json_member(feature, "id", 2, &id) || id.len == 0 || id.ptr[0] != '"')
        return 0;

    sm_str text = sm_str_begin();
    if (!sm_str_json_text(&text, id)) return 0;
    *key = sm_str_bytes(&text);
    return key;
}

static int split(sm_call *call, const sm_record *rec) {
    sm_bytes features;
    sm_json_iter it;
    bool found = sm_json_path(rec->value, "features", &features);
    if (!sm_json_array(found ? features : rec->value, &it))
        return sm_fail(call,
                       "expected a GeoJSON FeatureCollection (an object with a "
                       "\"features\" array) or a JSON array");

    sm_bytes feature;
    while (sm_json_next(&it, &feature)) {
        sm_bytes key;
        sm_bytes *maybe_key = feature_id(feature, &key);

        sm_str value = sm_str_begin();
        sm_str_json_compact(&value, feature);
        sm_emit(call, maybe_key, sm_str_bytes(&value));
    }
    if (it.malformed) return sm_fail(call, "malformed JSON inside the features array");
    return SM_OK;
}

SM_ARRAY_MAP(split)
