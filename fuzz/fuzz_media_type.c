
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * libFuzzer harness for the Content-Type gate, ims_media_type_parse().
 * The whole input is the header value.
 *
 * Besides memory safety it checks what the glue relies on: a dialect comes
 * with a canonical type, a rejection with a reason, and the parse is a
 * function of the bytes (a second run agrees).
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ims.h"
#include "fuzz_util.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t              i;
    unsigned            changes, changes2;
    const char         *why, *why2;
    ims_uchar_t        *value;
    ims_dialect_t       dialect, dialect2;
    const ims_str_t    *canonical;

    value = ims_fuzz_copy(data, size);

    changes = 0xdead;
    why = NULL;

    dialect = ims_media_type_parse(value, size, &changes, &why);

    ims_fuzz_assert(dialect == IMS_PATCH_NONE || dialect == IMS_PATCH_V20
                    || dialect == IMS_PATCH_V21, "dialect in range");
    ims_fuzz_assert((changes & ~(unsigned) (IMS_MEDIA_CASE
                                            | IMS_MEDIA_PARAMETERS
                                            | IMS_MEDIA_WHITESPACE)) == 0,
                    "only known change bits");

    if (dialect == IMS_PATCH_NONE) {
        ims_fuzz_assert(why != NULL && why[0] != '\0',
                        "a rejection says why");

    } else {
        canonical = ims_media_type_canonical(dialect);

        ims_fuzz_assert(canonical != NULL
                        && strcmp((const char *) canonical->data,
                                  dialect == IMS_PATCH_V21
                                  ? ims_media_type_v21
                                  : ims_media_type_v20) == 0
                        && canonical->len
                           == strlen((const char *) canonical->data),
                        "a dialect has its canonical type");

        /* after optional whitespace the value starts with the type */
        for (i = 0; i < size && (value[i] == ' ' || value[i] == '\t'); i++) {
            /* void */
        }

        ims_fuzz_assert(size - i >= canonical->len
                        && strncasecmp((const char *) value + i,
                                       (const char *) canonical->data,
                                       canonical->len) == 0,
                        "a dialect is named by the value's type");

        /* nothing changed: the value is exactly the canonical type */
        if (changes == 0) {
            ims_fuzz_assert(size == canonical->len
                            && memcmp(value, canonical->data, size) == 0,
                            "no change means the canonical type");
        }

        if (size == canonical->len
            && memcmp(value, canonical->data, size) == 0)
        {
            ims_fuzz_assert(changes == 0, "the canonical type is unchanged");
        }
    }

    dialect2 = ims_media_type_parse(value, size, &changes2, &why2);

    ims_fuzz_assert(dialect2 == dialect
                    && (dialect == IMS_PATCH_NONE || changes2 == changes),
                    "the parse is deterministic");

    ims_fuzz_assert(memcmp(value, data, size) == 0,
                    "the value is not modified");

    free(value);

    return 0;
}
