
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * libFuzzer harness for the query gate, ims_query_validate().
 *
 * Input: one control byte (bit 0: reject unknown parameters), then the raw
 * query string.  The args and the scratch buffer are separate heap blocks
 * of exactly the query's length, as the glue allocates them, so ASan
 * reports any decode past either end.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ims.h"
#include "fuzz_util.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                rc, rc2;
    size_t             len;
    ims_uchar_t       *args, *scratch;
    ims_verdict_t      v, v2;
    ims_query_conf_t   conf;

    if (size == 0) {
        return 0;
    }

    ims_query_conf_init(&conf);
    conf.reject_unknown = data[0] & 1;

    len = size - 1;
    args = ims_fuzz_copy(data + 1, len);

    scratch = malloc(len);
    ims_fuzz_assert(scratch != NULL || len == 0, "malloc");

    /*
     * Twice, over scratch filled with different garbage: ASan cannot see
     * a read of scratch bytes that were never written, a changed verdict
     * can.
     */
    memset(scratch, 0x00, len);
    memset(&v, 0xa5, sizeof(ims_verdict_t));

    rc = ims_query_validate(&conf, args, len, scratch, &v);

    ims_fuzz_check_verdict(rc, &v);

    memset(scratch, 0xff, len);
    memset(&v2, 0x5a, sizeof(ims_verdict_t));

    rc2 = ims_query_validate(&conf, args, len, scratch, &v2);

    ims_fuzz_assert(rc2 == rc && v2.status == v.status && v2.code == v.code
                    && strcmp(v2.detail, v.detail) == 0,
                    "the verdict does not depend on the scratch contents");

    if (rc != 0) {
        ims_fuzz_assert(v.status == 400, "a query is rejected with 400");
        ims_fuzz_assert(v.code == IMS_IMG_0017 || v.code == IMS_IMG_0024
                        || v.code == IMS_IMG_0066 || v.code == IMS_IMG_0122,
                        "a query error has a query code");
    }

    ims_fuzz_assert(memcmp(args, data + 1, len) == 0,
                    "the query is not modified");

    free(scratch);
    free(args);

    return 0;
}
