/*
 * max-temp (aggregate): the running maximum of temp_max, the third column of
 * the Seattle weather CSV rows (date,precipitation,temp_max,...). The
 * accumulator is the text of the warmest value so far; a row without a
 * numeric third column (such as the header) leaves it unchanged.
 */
#include "smartmodule.h"

static int running_max(sm_call *call, sm_bytes accumulator, const sm_record *rec,
                       sm_bytes *next) {
    sm_bytes field;
    int64_t temp, warmest;
    (void)call;
    *next = accumulator;
    if (!sm_csv_field(sm_trim(rec->value), 2, &field)) return SM_OK;
    field = sm_trim(field);
    if (!sm_parse_decimal(field, &temp)) return SM_OK;

    if (!sm_parse_decimal(sm_trim(accumulator), &warmest) || temp > warmest) *next = field;
    return SM_OK;
}

SM_AGGREGATE(running_max)
