
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * Checks shared by the libFuzzer harnesses: a verdict is consistent, and
 * the error body built from it is strict JSON that fits the size the glue
 * allocates for it.  Every failed check is an abort(), which libFuzzer
 * reports as a crash and saves as an artifact.
 */


#ifndef _IMS_FUZZ_UTIL_H_INCLUDED_
#define _IMS_FUZZ_UTIL_H_INCLUDED_


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ims.h"


#define ims_fuzz_assert(expr, what)                                          \
    if (!(expr)) {                                                            \
        fprintf(stderr, "ims fuzz: %s:%d: %s (%s)\n", __FILE__, __LINE__,    \
                what, #expr);                                                 \
        abort();                                                              \
    }


static inline void
ims_fuzz_check_verdict(int rc, const ims_verdict_t *v)
{
    size_t          size, len;
    json_t         *json, *err, *code;
    ims_uchar_t    *body;
    json_error_t    error;

    ims_fuzz_assert(rc == 0 || rc == -1, "return code is 0 or -1");
    ims_fuzz_assert((rc == 0) == (v->status == 0), "rc agrees with status");
    ims_fuzz_assert((v->status == 0) == (v->code == IMS_OK),
                    "status agrees with code");
    ims_fuzz_assert(v->status == 0
                    || (v->status >= 400 && v->status <= 499),
                    "status is 0 or 4xx");
    ims_fuzz_assert(v->code < IMS_CODE_COUNT, "code in range");
    ims_fuzz_assert(v->detail_len < IMS_DETAIL_MAX, "detail fits");
    ims_fuzz_assert(strlen(v->detail) == v->detail_len,
                    "detail_len is the detail's length");

    if (v->status == 0) {
        return;
    }

    /*
     * Exactly the size the glue passes to ngx_pnalloc() and ims-check to
     * malloc(): a write past it is an overflow there too.  Building with
     * -DIMS_FUZZ_ERROR_BODY_SLACK=1 tolerates the trailing NUL that
     * ims_error_body() writes after the body, to look for other bugs
     * until that one is fixed (fuzz/regressions/patch/error-body-nul).
     */
    size = ims_error_body_size(v);
#if (IMS_FUZZ_ERROR_BODY_SLACK)
    body = malloc(size + 1);
#else
    body = malloc(size);
#endif
    ims_fuzz_assert(body != NULL, "malloc");

    len = ims_error_body(v, body);
    ims_fuzz_assert(len == size, "error body has the announced size");

    /* client bytes are escaped: the body is strict JSON, in UTF-8 */
    json = json_loadb((const char *) body, len,
                      JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &error);
    if (json == NULL) {
        fprintf(stderr, "ims fuzz: error body is not JSON (%s): %.*s\n",
                error.text, (int) len, body);
        abort();
    }

    err = json_object_get(json, "error");
    code = json_object_get(err, "code");
    ims_fuzz_assert(json_is_string(code)
                    && strcmp(json_string_value(code),
                              ims_code_name(v->code)) == 0,
                    "error.code is the verdict's code");
    ims_fuzz_assert(json_is_string(json_object_get(err, "message")),
                    "error.message is a string");

    json_decref(json);
    free(body);
}


/* a copy in a heap block of exactly len bytes: ASan sees any overrun */

static inline ims_uchar_t *
ims_fuzz_copy(const ims_uchar_t *data, size_t len)
{
    ims_uchar_t  *p;

    /* malloc(0) too: ASan reports any access to a zero-sized block */
    p = malloc(len);
    ims_fuzz_assert(p != NULL || len == 0, "malloc");

    if (len) {
        memcpy(p, data, len);
    }

    return p;
}


#endif /* _IMS_FUZZ_UTIL_H_INCLUDED_ */
