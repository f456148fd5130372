
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * libFuzzer harness for the PATCH body gate, ims_patch_validate().
 *
 * Input: one control byte, then the body.
 *   bit 0     dialect: 0 v2.0, 1 v2.1;
 *   bit 1     small limits, so that the depth, operation, name and
 *             description limits are reached by short inputs;
 *   bit 2     an operator's attribute policy and name pattern, so that
 *             the callbacks' paths run too.
 * Everything else comes from ims_patch_conf_init().
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ims.h"
#include "fuzz_util.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* operator's extra system attributes: every name starting with "corp_" */

static int
ims_fuzz_is_system(void *data, const ims_uchar_t *p, size_t len)
{
    return len >= 5 && memcmp(p, "corp_", 5) == 0;
}


/* system attributes an operator made editable */

static int
ims_fuzz_is_editable(void *data, const ims_uchar_t *p, size_t len)
{
    return (len == 4 && memcmp(p, "tags", 4) == 0)
           || (len == 7 && memcmp(p, "min_ram", 7) == 0);
}


/* an operator's name rule: lowercase ASCII letters, digits and "-" */

static int
ims_fuzz_name_pattern(void *data, const ims_uchar_t *p, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')
              || p[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                rc;
    uint8_t            ctl;
    ims_uchar_t       *body;
    ims_verdict_t      v;
    ims_dialect_t      dialect;
    ims_patch_conf_t   conf;

    if (size == 0) {
        return 0;
    }

    ctl = data[0];
    dialect = (ctl & 1) ? IMS_PATCH_V21 : IMS_PATCH_V20;

    ims_patch_conf_init(&conf);

    if (ctl & 2) {
        conf.max_depth = 3;
        conf.max_ops = 4;
        conf.name_max_chars = 8;
        conf.description_max_chars = 16;
    }

    if (ctl & 4) {
        conf.forbidden_status = 403;
        conf.is_system = ims_fuzz_is_system;
        conf.is_editable = ims_fuzz_is_editable;
        conf.name_pattern = ims_fuzz_name_pattern;
    }

    body = ims_fuzz_copy(data + 1, size - 1);

    memset(&v, 0xa5, sizeof(ims_verdict_t));    /* no stale verdict */

    rc = ims_patch_validate(dialect, body, size - 1, &conf, &v);

    ims_fuzz_check_verdict(rc, &v);

    ims_fuzz_assert(memcmp(body, data + 1, size - 1) == 0,
                    "the body is not modified");

    free(body);

    return 0;
}
