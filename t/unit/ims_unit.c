
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * Unit tests of the validation core, table-driven: one row per rule of
 * docs/rules.md.  Prints "N passed, N failed" and exits non-zero on any
 * failure.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <jansson.h>

#include "ims.h"
#include "ims_stream.h"
#include "unit.h"


static int  passed, failed;


/*
 * Under ASan a malloc() over its maximum aborts the test; the core's own
 * answer to a refused allocation is what test_patch_pieces() checks.
 */

const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}


#define V20  IMS_PATCH_V20
#define V21  IMS_PATCH_V21
#define NONE IMS_PATCH_NONE


void
check(int ok, const char *what, const char *input, const char *detail)
{
    if (ok) {
        passed++;
        return;
    }

    failed++;
    printf("FAIL %s: %s%s%s\n", what, input, detail ? " -> " : "",
           detail ? detail : "");
}


/*
 * The IMS error codes the gateway emits, with the fixed text of the IMS
 * error table (docs/rules.md, "Error responses"), written out here: the
 * expectations do not come from ims_code_name() or ims_code_text().
 */

static const struct {
    ims_code_t   code;
    const char  *name;
    const char  *text;
} ims_expected_codes[] = {
    { IMS_IMG_0001, "IMG.0001", "The request message format is invalid." },
    { IMS_IMG_0002, "IMG.0002",
      "The image name contains more than 128 characters." },
    { IMS_IMG_0003, "IMG.0003", "The image name format is invalid." },
    { IMS_IMG_0004, "IMG.0004",
      "The description contains more than 1024 characters." },
    { IMS_IMG_0007, "IMG.0007", "The request body is empty." },
    { IMS_IMG_0013, "IMG.0013", "The image name is not specified." },
    { IMS_IMG_0017, "IMG.0017", "The URL format is incorrect." },
    { IMS_IMG_0024, "IMG.0024", "The image type in the request is incorrect." },
    { IMS_IMG_0054, "IMG.0054", "The image description format is invalid." },
    { IMS_IMG_0066, "IMG.0066", "The image ID is incorrect." },
    { IMS_IMG_0105, "IMG.0105", "The operation is not supported." },
    { IMS_IMG_0122, "IMG.0122", "The OS type is invalid." },
};

#define IMS_EXPECTED_CODES                                                   \
    (sizeof(ims_expected_codes) / sizeof(ims_expected_codes[0]))


static const char *
expected_name(ims_code_t code)
{
    size_t  i;

    for (i = 0; i < IMS_EXPECTED_CODES; i++) {
        if (ims_expected_codes[i].code == code) {
            return ims_expected_codes[i].name;
        }
    }

    return "(not an IMS error code)";
}


static const char *
expected_text(ims_code_t code)
{
    size_t  i;

    for (i = 0; i < IMS_EXPECTED_CODES; i++) {
        if (ims_expected_codes[i].code == code) {
            return ims_expected_codes[i].text;
        }
    }

    return "(not an IMS error code)";
}


/*
 * Every error body must be strict JSON, byte for byte
 * {"error":{"code":"IMG.xxxx","message":"<text> <detail>"}} with the
 * literal code and text of the verdict's code, and no raw "<" or ">".
 */

void
check_error_body(const ims_verdict_t *v, const char *input)
{
    int           n;
    char          want[IMS_DETAIL_MAX + 256];
    size_t        size, len;
    json_t       *root;
    ims_uchar_t  *buf;
    const char   *code, *message;

    /* exactly the announced size: ASan catches a byte written past it */
    size = ims_error_body_size(v);
    buf = malloc(size);
    len = ims_error_body(v, buf);

    check(len == size, "error body size", input, NULL);

    n = snprintf(want, sizeof(want),
                 "{\"error\":{\"code\":\"%s\",\"message\":\"%s%s%s\"}}",
                 expected_name(v->code), expected_text(v->code),
                 v->detail_len ? " " : "", v->detail);

    check((size_t) n == len && memcmp(buf, want, len) == 0
          && memchr(buf, '<', len) == NULL && memchr(buf, '>', len) == NULL,
          "error body, byte for byte", input, want);

    root = json_loadb((char *) buf, len,
                      JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    code = NULL;
    message = NULL;

    if (root) {
        json_unpack(root, "{s:{s:s,s:s}}", "error", "code", &code,
                    "message", &message);
    }

    check(root && code && message
          && strcmp(code, expected_name(v->code)) == 0
          && strncmp(message, expected_text(v->code),
                     strlen(expected_text(v->code))) == 0,
          "error body is IMS JSON", input, (char *) buf);

    json_decref(root);
    free(buf);
}


typedef struct {
    ims_dialect_t   dialect;
    const char     *body;
    int             status;
    ims_code_t      code;
} patch_case_t;


#define OK    0, IMS_OK
#define E0001 400, IMS_IMG_0001
#define E0002 400, IMS_IMG_0002
#define E0003 400, IMS_IMG_0003
#define E0004 400, IMS_IMG_0004
#define E0007 400, IMS_IMG_0007
#define E0013 400, IMS_IMG_0013
#define E0054 400, IMS_IMG_0054
#define E0105 400, IMS_IMG_0105


static const patch_case_t  patch_cases[] = {

    /* 3.1 document */
    { V21, "", E0007 },
    { V21, " \t\r\n", E0007 },
    { V21, "[]", OK },
    { V21, " [ ] \n", OK },
    { V21, "{}", E0001 },
    { V21, "\"x\"", E0001 },
    { V21, "null", E0001 },
    { V21, "[1]", E0001 },
    { V21, "[[]]", E0001 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\"},null]", E0001 },
    { V21, "\xef\xbb\xbf[]", E0001 },
    { V21, "[]/* c */", E0001 },
    { V21, "[] x", E0001 },
    { V21, "[][]", E0001 },
    { V21, "[{'op':'remove','path':'/x'}]", E0001 },
    { V21, "[{op:\"remove\",\"path\":\"/x\"}]", E0001 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\"},]", E0001 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\",\"value\":NaN}]", E0001 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\",\"value\":Infinity}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"a\tb\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\xff\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\xc0\xaf\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\xed\xa0\x80\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\\ud800\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\\udc00x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"a\\u0000b\"}]", OK },

    /* duplicate members anywhere, compared after unescaping */
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"path\":\"/__os_bit\","
           "\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"\\u006fp\":\"add\",\"path\":\"/x\","
           "\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\",\"value\":{\"a\":1,"
           "\"a\":2}}]", E0001 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\",\"x\":1,\"x\":1}]", E0001 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\",\"value\":{\"a\":1,"
           "\"b\":{\"a\":1}}}]", OK },

    /* limits: depth 32 (the array is depth 1), 1000 operations */
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\",\"value\":"
           "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]",
      OK },
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\",\"value\":"
           "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]",
      E0001 },

    /* 3.2 v2.1 operations */
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"ok\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/name\",\"value\":\"ok\"}]", OK },
    { V21, "[{\"op\":\"remove\",\"path\":\"/custom\"}]", OK },
    { V21, "[{\"op\":\"remove\",\"path\":\"/custom\",\"value\":[1,{}]}]", OK },
    { V21, "[{\"path\":\"/name\",\"value\":\"ok\"}]", E0001 },
    { V21, "[{\"op\":null,\"path\":\"/name\",\"value\":\"ok\"}]", E0001 },
    { V21, "[{\"op\":1,\"path\":\"/name\",\"value\":\"ok\"}]", E0001 },
    { V21, "[{\"op\":\"Replace\",\"path\":\"/name\",\"value\":\"ok\"}]",
      E0001 },
    { V21, "[{\"op\":\"move\",\"path\":\"/name\",\"from\":\"/x\"}]", E0001 },
    { V21, "[{\"op\":\"copy\",\"path\":\"/name\",\"from\":\"/x\"}]", E0001 },
    { V21, "[{\"op\":\"test\",\"path\":\"/name\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"replace \",\"path\":\"/name\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"delete\",\"path\":\"/x\"}]", E0001 },
    { V21, "[{\"op\":\"Remove\",\"path\":\"/x\"}]", E0001 },
    { V21, "[{\"op\":\"ADD\",\"path\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"adD\",\"path\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"replacE\",\"path\":\"/x\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"\",\"path\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"a\",\"path\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"removes\",\"path\":\"/x\"}]", E0001 },
    { V21, "[{\"op\":\"\\u0061dd\",\"path\":\"/x\",\"value\":\"x\"}]",
      OK },
    { V21, "[{\"op\":true,\"path\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":[\"add\"],\"path\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":{},\"path\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":1,\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":{},\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/x\",\"value\":null}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"x\",\"op\":\"add\"}]",
      E0001 },
    { V20, "[{\"add\":\"/x\",\"remove\":\"/y\"}]", E0001 },
    { V20, "[{\"replace\":\"/x\",\"remove\":\"/y\",\"value\":\"x\"}]",
      E0001 },
    { V20, "[{\"add\":\"/x\",\"replace\":\"/y\",\"remove\":\"/z\","
           "\"value\":\"x\"}]", E0001 },
    { V20, "[{\"add\":null,\"value\":\"x\"}]", E0001 },
    { V20, "[{\"remove\":[]}]", E0001 },
    { V20, "[{\"add\":\"/x\"}]", E0001 },
    { V20, "[{\"remove\":\"/x\",\"value\":\"x\"}]", OK },
    { V20, "[{\"op\":\"remove\",\"path\":\"/x\"}]", E0001 },
    { V20, "[{}]", E0001 },
    { V21, "[{}]", E0001 },

    /* member names a letter off are other members: ignored */
    { V21, "[{\"oq\":\"add\",\"path\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"Op\":\"add\",\"op\":\"add\",\"path\":\"/x\","
           "\"value\":\"x\"}]", OK },
    { V21, "[{\"op\":\"add\",\"patg\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"qath\":\"/x\",\"path\":\"/x\","
           "\"value\":\"x\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"valuf\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"walue\":1,"
           "\"value\":\"x\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"valux\":1,\"valuee\":1,"
           "\"value\":\"x\"}]", OK },
    { V20, "[{\"adc\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V20, "[{\"bdd\":\"/x\",\"add\":\"/x\",\"value\":\"x\"}]", OK },
    { V20, "[{\"removf\":\"/x\"}]", E0001 },
    { V20, "[{\"semove\":\"/x\",\"remove\":\"/x\"}]", OK },
    { V20, "[{\"replacf\":\"/x\",\"value\":\"x\"}]", E0001 },
    { V20, "[{\"xeplace\":\"/x\",\"replace\":\"/x\",\"value\":\"x\"}]",
      OK },
    { V20, "[{\"replace\":\"/x\",\"replacd\":\"/y\",\"value\":\"x\"}]",
      OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"x\","
           "\"remove\":1,\"removf\":2,\"replacf\":3,\"adc\":4}]", OK },
    { V21, "[{\"op\":\"replace\",\"value\":\"ok\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":null,\"value\":\"ok\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":[\"/name\"],\"value\":\"ok\"}]",
      E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/custom\"}]", E0001 },
    { V21, "[{\"replace\":\"/name\",\"value\":\"ok\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"ok\","
           "\"remove\":\"/__os_bit\"}]", OK },

    /* 3.2 v2.0 operations: the op key names the path */
    { V20, "[{\"replace\":\"/name\",\"value\":\"ok\"}]", OK },
    { V20, "[{\"add\":\"/custom\",\"value\":\"v\"}]", OK },
    { V20, "[{\"remove\":\"/custom\"}]", OK },
    { V20, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"ok\"}]",
      E0001 },
    { V20, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"ok\","
           "\"remove\":\"/__os_bit\"}]", E0105 },
    { V20, "[{\"replace\":\"/name\",\"add\":\"/x\",\"value\":\"ok\"}]",
      E0001 },
    { V20, "[{\"replace\":null,\"value\":\"ok\"}]", E0001 },
    { V20, "[{\"replace\":5,\"value\":\"ok\"}]", E0001 },
    { V20, "[{\"replace\":\"/name\"}]", E0001 },
    { V20, "[{\"remove\":\"/custom\",\"value\":NaN}]", E0001 },
    { V20, "[{\"replace\":\"/__imagetype\",\"value\":\"gold\"}]", E0105 },

    /* 3.3 paths */
    { V21, "[{\"op\":\"add\",\"path\":\"name\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"//x\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/x/\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/tags/0\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/locations/-\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/a~1b\",\"value\":\"x\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/tricky~01\",\"value\":\"x\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/a~\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/a~~1\",\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/\\u006eame\",\"value\":\"a b\"}]",
      OK },
    { V21, "[{\"op\":\"replace\",\"path\":\"/\\u006eame\",\"value\":\" x\"}]",
      E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/ __os_bit\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/__os_bit \",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/\\u00a0__os_bit\","
           "\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/__os_bit\\u3000\","
           "\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/\\t__os_bit\","
           "\"value\":\"x\"}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/a b\",\"value\":\"x\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/a\\u0000b\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/a\\u007fb\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/a\\u0085b\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/a\\u200bb\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/\\u200e__os_bit\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/\\ufeffx\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/a\\u00adb\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/\\ud83d\\ude00\",\"value\":\"x\"}]",
      E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/\xe4\xb8\xad\",\"value\":\"x\"}]",
      OK },

    /* 3.4 system attributes (every one is checked in test_catalog) */
    { V21, "[{\"op\":\"replace\",\"path\":\"/__imagetype\","
           "\"value\":\"gold\"}]", E0105 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/__os_bit\"}]", E0105 },
    { V21, "[{\"op\":\"add\",\"path\":\"/os_glance_import\","
           "\"value\":\"x\"}]", E0105 },
    { V21, "[{\"op\":\"add\",\"path\":\"/os_glance\",\"value\":\"x\"}]",
      E0105 },
    { V21, "[{\"op\":\"add\",\"path\":\"/os_glanc\",\"value\":\"x\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/__imagetypes\",\"value\":\"x\"}]",
      OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/__IMAGETYPE\",\"value\":\"x\"}]",
      OK },
    { V21, "[{\"op\":\"replace\",\"path\":\"/__imagetype\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/\\u005f\\u005fos_bit\","
           "\"value\":\"x\"}]", E0105 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"ok\"},"
           "{\"op\":\"remove\",\"path\":\"/status\"}]", E0105 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/status\"},"
           "{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"\"}]", E0105 },

    /* name */
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":null}]", E0013 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"\"}]", E0013 },
    { V21, "[{\"op\":\"remove\",\"path\":\"/name\"}]", E0013 },
    { V20, "[{\"remove\":\"/name\"}]", E0013 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":5}]", E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":true}]", E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":[\"a\"]}]",
      E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"a\"}]", OK },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\","
           "\"value\":\"Ubuntu-20.04_x86 64\"}]", OK },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\","
           "\"value\":\"\xe9\x95\x9c\xe5\x83\x8f-1\"}]", OK },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\" a\"}]",
      E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"a \"}]",
      E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\" \"}]",
      E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"a/b\"}]",
      E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"a\\tb\"}]",
      E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\","
           "\"value\":\"caf\xc3\xa9\"}]", E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/name\","
           "\"value\":\"\\ud83d\\ude00\"}]", E0003 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/NAME\",\"value\":\" x\"}]", OK },

    /* __description */
    { V21, "[{\"op\":\"replace\",\"path\":\"/__description\","
           "\"value\":\"ims test\"}]", OK },
    { V21, "[{\"op\":\"replace\",\"path\":\"/__description\","
           "\"value\":\"\"}]", OK },
    { V21, "[{\"op\":\"remove\",\"path\":\"/__description\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/__description\","
           "\"value\":\"a\\rb\"}]", E0054 },
    { V21, "[{\"op\":\"add\",\"path\":\"/__description\","
           "\"value\":\"a\\nb\"}]", E0054 },
    { V21, "[{\"op\":\"add\",\"path\":\"/__description\","
           "\"value\":\"<b>\"}]", E0054 },
    { V21, "[{\"op\":\"add\",\"path\":\"/__description\","
           "\"value\":\"a>b\"}]", E0054 },
    { V21, "[{\"op\":\"add\",\"path\":\"/__description\","
           "\"value\":\"\\ud83d\\ude00\"}]", E0054 },
    { V21, "[{\"op\":\"add\",\"path\":\"/__description\",\"value\":1}]",
      E0054 },
    { V21, "[{\"op\":\"add\",\"path\":\"/__description\",\"value\":null}]",
      E0054 },

    /* custom attributes */
    { V21, "[{\"op\":\"add\",\"path\":\"/custom\",\"value\":\"v\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/custom\",\"value\":\"\"}]", OK },
    { V21, "[{\"op\":\"add\",\"path\":\"/custom\",\"value\":1}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/custom\",\"value\":true}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/custom\",\"value\":null}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/custom\",\"value\":[]}]", E0001 },
    { V21, "[{\"op\":\"add\",\"path\":\"/custom\",\"value\":{}}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/custom\","
           "\"value\":\"\\ud83d\\ude00\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/custom\","
           "\"value\":\"\xf0\x9f\x98\x80\"}]", E0001 },
    { V21, "[{\"op\":\"replace\",\"path\":\"/custom\","
           "\"value\":\"\xe4\xb8\xad <>\\r\\n\"}]", OK },
};


static void
test_patch_cases(void)
{
    size_t             i;
    ims_verdict_t      v, ref;
    ims_patch_conf_t   conf;
    const patch_case_t *c;
    char               got[IMS_DETAIL_MAX + 32];

    ims_patch_conf_init(&conf);

    for (i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++) {
        c = &patch_cases[i];

        ims_patch_validate(c->dialect, (const ims_uchar_t *) c->body,
                           strlen(c->body), &conf, &v);

        snprintf(got, sizeof(got), "%d %s %s", v.status,
                 ims_code_name(v.code), v.detail);

        check(v.status == c->status && v.code == c->code,
              c->dialect == V20 ? "patch v2.0" : "patch v2.1", c->body, got);

        /* the reference reader reaches the same verdict */
        ims_patch_validate_jansson(c->dialect, (const ims_uchar_t *) c->body,
                                   strlen(c->body), &conf, &ref);
        check(ref.status == v.status && ref.code == v.code,
              "patch, jansson reader agrees", c->body, ref.detail);

        if (v.status) {
            check_error_body(&v, c->body);
        }
    }
}


/*
 * The plain-path scan reads words: each byte it must stop at, at every
 * position of tokens of 1 to 24 bytes, takes the careful path; a plain
 * token is used where it is.
 */

static void
test_path_scan(void)
{
    int                 rc, ok;
    size_t              n, i, k;
    ims_op_t            op;
    ims_members_t       m;
    ims_verdict_t       v;
    ims_uchar_t         path[32];
    char                what[64];
    static const ims_uchar_t  stops[] = {
        '/', '~', ' ', 0x7f, 0x1f, 0x00, 0x80, 0xc3
    };

    memset(&m, 0, sizeof(ims_members_t));
    m.member[IMS_MEMBER_OP].kind = IMS_JSON_STRING;
    m.member[IMS_MEMBER_OP].data = (const ims_uchar_t *) "replace";
    m.member[IMS_MEMBER_OP].len = 7;
    m.member[IMS_MEMBER_VALUE].kind = IMS_JSON_STRING;
    m.member[IMS_MEMBER_VALUE].data = (const ims_uchar_t *) "v";
    m.member[IMS_MEMBER_VALUE].len = 1;
    m.member[IMS_MEMBER_PATH].kind = IMS_JSON_STRING;
    m.member[IMS_MEMBER_PATH].data = path;
    path[0] = '/';

    for (n = 1; n <= 24; n++) {
        memset(path + 1, 'a', n);
        m.member[IMS_MEMBER_PATH].len = n + 1;

        rc = ims_op_from_members(V21, &m, &op, &v);
        snprintf(what, sizeof(what), "plain path of %zu bytes", n);
        check(rc == 0 && op.name == path + 1 && op.name_len == n,
              what, "", v.detail);

        for (i = 0; i < n; i++) {
            for (k = 0; k < sizeof(stops); k++) {
                memset(path + 1, 'a', n);
                path[1 + i] = stops[k];

                /* only a space inside the name is allowed */
                ok = (stops[k] == ' ' && i != 0 && i != n - 1);

                ims_verdict_pass(&v);
                rc = ims_op_from_members(V21, &m, &op, &v);

                snprintf(what, sizeof(what),
                         "path of %zu bytes, 0x%02x at %zu", n, stops[k], i);
                check(ok ? rc == 0 && op.name_len == n
                           && memcmp(op.name, path + 1, n) == 0
                         : rc != 0 && v.status == 400
                           && v.code == IMS_IMG_0001,
                      what, "", v.detail);
            }
        }
    }
}


/*
 * The exported shape and rules (ims_op_from_members(), ims_op_judge(): the
 * entry points of ims-check's judge mode and the benchmarks) must reach
 * the gate's verdict: validate_buf(), judge() and the table's rows run
 * them over the reference reader too.
 */

typedef struct {
    ims_dialect_t            dialect;
    const ims_patch_conf_t  *conf;
    ims_op_t                 op;
} exported_t;


static int
exported_emit(void *data, const ims_members_t *m, ims_verdict_t *v)
{
    exported_t  *ex;

    ex = data;

    if (ims_op_from_members(ex->dialect, m, &ex->op, v) != 0) {
        return -1;
    }

    return ims_op_judge(ex->conf, &ex->op, v);
}


static void
validate_buf(ims_dialect_t dialect, const char *body, size_t len,
    int status, ims_code_t code, const char *what)
{
    int               rc;
    exported_t        ex;
    ims_verdict_t     v;
    ims_patch_conf_t  conf;

    ims_patch_conf_init(&conf);
    rc = ims_patch_validate(dialect, (const ims_uchar_t *) body, len, &conf,
                            &v);

    check(v.status == status && v.code == code, what, "", v.detail);

    /* the answer agrees with the verdict: 0 for a pass, -1 otherwise */
    check(rc == (v.status ? -1 : 0), what, "the answer", v.detail);

    if (v.status) {
        check_error_body(&v, what);
    }

    if (code == IMS_IMG_0007) {
        return;                         /* the gate's own, before reading */
    }

    /* the same through ims_op_from_members() and ims_op_judge() */
    ex.dialect = dialect;
    ex.conf = &conf;
    ims_verdict_pass(&v);
    ims_read_patch_jansson((const ims_uchar_t *) body, len, &conf,
                           exported_emit, &ex, &v);
    check(v.status == status && v.code == code, what, "exported", v.detail);
}


#define validate(dialect, body, status_code, what)                            \
    validate_buf(dialect, body, strlen(body), status_code, what)


static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    char    *s, *p;
    size_t   i;

    s = malloc(strlen(head) + strlen(unit) * n + strlen(tail) + 1);
    p = stpcpy(s, head);

    for (i = 0; i < n; i++) {
        p = stpcpy(p, unit);
    }

    strcpy(p, tail);

    return s;
}


/* boundaries that need long inputs */

static void
test_limits(void)
{
    char  *s, *ops;

    /* names: 128 characters, counted as code points */
    s = repeat("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"", "a",
               128, "\"}]");
    validate_buf(V21, s, strlen(s), OK, "name of 128 characters");
    free(s);

    s = repeat("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"", "a",
               129, "\"}]");
    validate_buf(V21, s, strlen(s), E0002, "name of 129 characters");
    free(s);

    s = repeat("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"",
               "\xe4\xb8\xad", 128, "\"}]");
    validate_buf(V21, s, strlen(s), OK, "name of 128 CJK characters");
    free(s);

    s = repeat("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"", "<",
               129, "\"}]");
    validate_buf(V21, s, strlen(s), E0002, "too long wins over format");
    free(s);

    /* descriptions: 1024 characters */
    s = repeat("[{\"op\":\"add\",\"path\":\"/__description\",\"value\":\"",
               "\xe4\xb8\xad", 1024, "\"}]");
    validate_buf(V21, s, strlen(s), OK, "description of 1024 characters");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/__description\",\"value\":\"",
               "a", 1025, "\"}]");
    validate_buf(V21, s, strlen(s), E0004, "description of 1025 characters");
    free(s);

    /* attribute names: 255 characters */
    s = repeat("[{\"op\":\"add\",\"path\":\"/", "\xe4\xb8\xad", 255,
               "\",\"value\":\"x\"}]");
    validate_buf(V21, s, strlen(s), OK, "attribute name of 255 characters");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/", "a", 256,
               "\",\"value\":\"x\"}]");
    validate_buf(V21, s, strlen(s), E0001, "attribute name of 256");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/", "a", 5000,
               "\",\"value\":\"x\"}]");
    validate_buf(V21, s, strlen(s), E0001, "attribute name of 5000");
    free(s);

    /* custom values: 65535 bytes after unescaping */
    s = repeat("[{\"op\":\"add\",\"path\":\"/c\",\"value\":\"", "a", 65535,
               "\"}]");
    validate_buf(V21, s, strlen(s), OK, "custom value of 65535 bytes");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/c\",\"value\":\"", "a", 65536,
               "\"}]");
    validate_buf(V21, s, strlen(s), E0001, "custom value of 65536 bytes");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/c\",\"value\":\"", "\\u0041",
               65535, "\"}]");
    validate_buf(V21, s, strlen(s), OK, "escaped value, 65535 decoded");
    free(s);

    /* operations: 1000 */
    ops = repeat("[", "{\"op\":\"remove\",\"path\":\"/c\"},", 999,
                 "{\"op\":\"remove\",\"path\":\"/c\"}]");
    validate_buf(V21, ops, strlen(ops), OK, "1000 operations");
    free(ops);

    ops = repeat("[", "{\"op\":\"remove\",\"path\":\"/c\"},", 1000,
                 "{\"op\":\"remove\",\"path\":\"/c\"}]");
    validate_buf(V21, ops, strlen(ops), E0001, "1001 operations");
    free(ops);

    /* nesting far beyond jansson's own limit */
    s = repeat("", "[", 100000, "");
    validate_buf(V21, s, strlen(s), E0001, "100000 levels deep");
    free(s);

    /* a NUL byte in the raw body */
    validate_buf(V21, "[]\0", 3, E0001, "raw NUL after the document");
}


/*
 * The built-in system-attribute catalog, as docs/rules.md ("Body",
 * "Attributes") lists it: every name, every op, both dialects; exact and
 * case-sensitive; nothing more in the catalog than the list.
 */

static const char  *catalog_names[] = {
    "id", "status", "owner", "file", "self", "schema", "size",
    "virtual_size", "checksum", "created_at", "updated_at", "deleted",
    "deleted_at", "active_at", "visibility", "protected", "tags",
    "container_format", "disk_format", "min_ram", "max_ram", "min_disk",
    "locations", "location", "direct_url", "stores", "os_hidden",
    "os_hash_algo", "os_hash_value", "hw_firmware_type",
    "hw_vif_multiqueue_enabled", "virtual_env_type",
    "enterprise_project_id", "__os_bit", "__os_version", "__os_type",
    "__platform", "__isregistered", "__imagetype", "__image_source_type",
    "__originalimagename", "__backup_id", "__productcode", "__image_size",
    "__data_origin", "__root_origin", "__lazyloading", "__system__cmkid",
    "__whole_image", "__sequence_num", "__account_code",
    "__os_feature_list", "__image_location", "__is_config_init",
    "__is_offshelved", "__system_support_market", "__support_kvm",
    "__support_xen", "__support_largememory", "__support_diskintensive",
    "__support_highperformance", "__support_xen_gpu_type",
    "__support_kvm_gpu_type", "__support_xen_hana",
    "__support_kvm_infiniband", "__support_kvm_fpga_type",
    "__support_fc_inject", "__support_amd", "__support_arm",
    "__support_agent_list",
};

#define CATALOG_NAMES  (sizeof(catalog_names) / sizeof(catalog_names[0]))


/* the rule itself: a documented name, or one starting with "os_glance" */

static int
expected_system(const char *p, size_t len)
{
    size_t  i;

    if (len >= 9 && memcmp(p, "os_glance", 9) == 0) {
        return 1;
    }

    for (i = 0; i < CATALOG_NAMES; i++) {
        if (strlen(catalog_names[i]) == len
            && memcmp(catalog_names[i], p, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
check_system(const char *p, size_t len, const char *what)
{
    char  show[128];

    snprintf(show, sizeof(show), "%.*s (%zu bytes)", (int) len, p, len);
    check(ims_is_system_attribute((const ims_uchar_t *) p, len)
          == expected_system(p, len), what, show, NULL);
}


/*
 * Names around the catalog's: every prefix and every extension of
 * "os_glance", the empty name, one byte, names longer than any entry.
 */

static void
test_catalog_prefix(void)
{
    size_t       i, len;
    char         name[80];
    const char  *p;
    static const char  *names[] = {
        "os_glance", "os_glance_x", "os_glance_import", "os_glance_",
        "os_glance_0123456789012345678901234567890123456789",
        "Os_glance_x", "os_Glance", "xos_glance", "_os_glance",
        "os_glancex", "os-glance", "0123456789012345678901234567890123",
        "__support_highperformancex", "x", "", "__", "i", "d",
    };

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        check_system(names[i], strlen(names[i]), "system attribute or not");
    }

    /* "os_glance" less its tail, and with each byte changed */
    p = "os_glance_import";
    len = strlen(p);

    for (i = 0; i <= len; i++) {
        check_system(p, i, "a prefix of os_glance_import");

        memcpy(name, p, len);
        name[i < len ? i : 0] ^= 0x01;
        check_system(name, len, "os_glance_import, a byte changed");
    }

    for (i = 0; i < 9; i++) {
        memcpy(name, "os_glance", 9);
        name[i] ^= 0x20;
        check_system(name, 9, "os_glance, a byte changed");
    }

    validate(V21, "[{\"op\":\"add\",\"path\":\"/os_glance_x\","
             "\"value\":\"x\"}]", E0105, "os_glance_x");
    validate(V20, "[{\"remove\":\"/os_glance_0123456789012345678901234"
             "567890123456789\"}]", E0105, "os_glance_ and 40 more");
    validate(V21, "[{\"op\":\"add\",\"path\":\"/os_glancf\","
             "\"value\":\"x\"}]", OK, "os_glancf");
}


static void
test_catalog(void)
{
    size_t       i, k, n, len;
    char         body[512], what[128], near[64];
    const char  *name;
    static const char  *fmt21[] = {
        "[{\"op\":\"add\",\"path\":\"/%s\",\"value\":\"x\"}]",
        "[{\"op\":\"replace\",\"path\":\"/%s\",\"value\":\"x\"}]",
        "[{\"op\":\"remove\",\"path\":\"/%s\"}]",
    };
    static const char  *fmt20[] = {
        "[{\"add\":\"/%s\",\"value\":\"x\"}]",
        "[{\"replace\":\"/%s\",\"value\":\"x\"}]",
        "[{\"remove\":\"/%s\"}]",
    };

    /* the list in docs/rules.md has 70 names, and so has the catalog */
    check(CATALOG_NAMES == 70, "the documented catalog has 70 names", "",
          NULL);
    check(ims_system_attribute_count() == CATALOG_NAMES, "catalog size", "",
          NULL);

    for (i = 0; i < CATALOG_NAMES; i++) {
        name = catalog_names[i];
        len = strlen(name);

        snprintf(what, sizeof(what), "system attribute %s", name);

        check(ims_is_system_attribute((const ims_uchar_t *) name, len),
              "documented name is a system attribute", name, NULL);

        for (k = 0; k < 3; k++) {
            snprintf(body, sizeof(body), fmt21[k], name);
            validate_buf(V21, body, strlen(body), E0105, what);

            snprintf(body, sizeof(body), fmt20[k], name);
            validate_buf(V20, body, strlen(body), E0105, what);
        }

        /* exact names: one byte less, one more, or another case is not */

        check_system(name + 1, len - 1, "catalog name less its first byte");
        check_system(name, len - 1, "catalog name less its last byte");

        snprintf(near, sizeof(near), "%sx", name);
        check_system(near, len + 1, "catalog name and a byte");

        snprintf(near, sizeof(near), "%s", name);
        for (n = 0; n < len && (near[n] < 'a' || near[n] > 'z'); n++) {
            /* void */
        }
        near[n] = (char) (near[n] - 'a' + 'A');
        check(!ims_is_system_attribute((const ims_uchar_t *) near, len),
              "catalog names are case-sensitive", near, NULL);

        snprintf(body, sizeof(body), fmt21[0], near);
        validate_buf(V21, body, strlen(body), OK, near);
    }

    /* every catalog entry is one of the documented names */
    for (i = 0; (name = ims_system_attribute_name(i)) != NULL; i++) {
        for (k = 0; k < CATALOG_NAMES; k++) {
            if (strcmp(name, catalog_names[k]) == 0) {
                break;
            }
        }

        check(k < CATALOG_NAMES, "catalog entry is documented", name, NULL);

        /* the rules judge these two before any catalog lookup */
        check(strcmp(name, "name") != 0 && strcmp(name, "__description") != 0,
              "the catalog leaves out the attributes with rules", name, NULL);
    }

    check(i == CATALOG_NAMES && ims_system_attribute_name(i) == NULL,
          "catalog entries, then NULL", "", NULL);

    /* and every name that starts with "os_glance", of any length */
    test_catalog_prefix();
}


typedef struct {
    const char     *value;
    ims_dialect_t   dialect;
    unsigned        changes;
} media_case_t;


#define CASE    IMS_MEDIA_CASE
#define PARAMS  IMS_MEDIA_PARAMETERS
#define SPACE   IMS_MEDIA_WHITESPACE


static const media_case_t  media_cases[] = {
    { "application/openstack-images-v2.1-json-patch", V21, 0 },
    { "application/openstack-images-v2.0-json-patch", V20, 0 },
    { "Application/OpenStack-Images-v2.1-JSON-Patch", V21, CASE },
    { "APPLICATION/OPENSTACK-IMAGES-V2.0-JSON-PATCH", V20, CASE },
    { "  application/openstack-images-v2.1-json-patch  ", V21, SPACE },
    { "application/openstack-images-v2.1-json-patch;", V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch;;", V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch ; ; ", V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch; charset=utf-8", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch;charset=UTF-8", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch ; charset = \"UTF-8\"",
      V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch; charset=\"utf\\-8\"",
      V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch; foo=bar; x=\"a;b\"",
      V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch\t;\tq=1", V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch; charset=latin1", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; charset=\"utf-16\"",
      NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; charset=", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; charset=\"\"", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; foo", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; foo=\"bar", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; =x", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch x", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch, application/json",
      NONE, 0 },
    { "application/openstack-images-v2.1-json-patch+json", NONE, 0 },
    { "application/openstack-images-v2.2-json-patch", NONE, 0 },
    { "application/openstack-images-v2.1-json-patc", NONE, 0 },
    { "application/json", NONE, 0 },
    { "application/json-patch+json", NONE, 0 },
    { "application/merge-patch+json", NONE, 0 },
    { "", NONE, 0 },
    { "   ", NONE, 0 },
    { "application/", NONE, 0 },
    { "/openstack-images-v2.1-json-patch", NONE, 0 },
    { "application openstack-images-v2.1-json-patch", NONE, 0 },
    { " Application/openstack-images-v2.0-json-patch ;", V20,
      CASE | SPACE | PARAMS },
    { "application/openstack-images-v2.1-json-patch ", V21, SPACE },
    { "\tapplication/openstack-images-v2.0-json-patch", V20, SPACE },
    { "application/openstack-images-v2.0-json-patcH", V20, CASE },
    { "application/openstack-images-v2.0-json-patch; charset=utf-8", V20,
      PARAMS },

    /* tokens: RFC 9110 tchar only */
    { "application/openstack-images-v2.1-json-patch[", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch{", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch@", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; a{=b", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; a=b[", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; !#$%&'*+-.^_`|~=x",
      V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=!#$%&'*+-.^_`|~",
      V21, PARAMS },
    { "application", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch;foo=", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch;foo= ", NONE, 0 },

    /* quoted strings: quoted-pair and HTAB allowed, other controls not */
    { "application/openstack-images-v2.1-json-patch; x=\"a\tb\"", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=\"a\\\tb\"", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=\"a\\\"b\"", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=\"\x80\xff\"", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=\"\"", V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=\"a\x01\"", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; x=\"a\x1f\"", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; x=\"a\x7f\"", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; x=\"a\\\x01\"", NONE,
      0 },
    { "application/openstack-images-v2.1-json-patch; x=\"a\\\x1f\"", NONE,
      0 },
    { "application/openstack-images-v2.1-json-patch; x=\"a\\\x20\"", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=\"a\x20\"", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=\"a\\\x7e\"", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=\"a\\\x7f\"", NONE,
      0 },
    { "application/openstack-images-v2.1-json-patch; x=\"a\\", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; x=\"a\\\"", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; x=\"a\"b", NONE, 0 },

    /* charset: utf-8 in any case, quoted or not, and nothing else */
    { "application/openstack-images-v2.1-json-patch; charset=latin", NONE,
      0 },
    { "application/openstack-images-v2.1-json-patch; charset=utf-9", NONE,
      0 },
    { "application/openstack-images-v2.1-json-patch; charset=utf-8x", NONE,
      0 },
    { "application/openstack-images-v2.1-json-patch; charset=utf8", NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; charset=\"latin\"",
      NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; charset=\"utf-9\"",
      NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; charset=\"utf-8x\"",
      NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; charset=\"utf-\"",
      NONE, 0 },
    { "application/openstack-images-v2.1-json-patch; charset=\"Utf-8\"",
      V21, PARAMS },
    { "application/openstack-images-v2.1-json-patch; CHARSET=latin1", NONE,
      0 },
    { "application/openstack-images-v2.1-json-patch; Charset=UTF-8", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; charsex=latin1", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; version=1", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; charse=latin1", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; charsets=latin1", V21,
      PARAMS },
    { "application/openstack-images-v2.1-json-patch; x=latin; charset=utf-8",
      V21, PARAMS },
};


static void
test_media_types(void)
{
    int                  tchar;
    char                 param[64], what[64];
    size_t               i, k, len;
    unsigned             b, changes;
    const char          *why;
    ims_uchar_t         *copy;
    ims_dialect_t        d;
    const media_case_t  *c;
    static const struct {
        const char  *value;
        const char  *why;
    } whys[] = {
        { "application", "not a media type" },
        { "/x", "not a media type" },
        { "application/", "no media subtype" },
        { "application/json", "unsupported media type" },
        { "application/json x", "malformed media type" },
        { "application/json; =x", "malformed parameter" },
        { "application/json; x", "parameter without a value" },
        { "application/json; x=", "parameter without a value" },
        { "application/json; x y=1", "parameter without a value" },
        { "application/json; x;y=1", "parameter without a value" },
        { "application/json; x=\"a", "malformed quoted parameter" },
        { "application/json; charset=latin1", "charset other than utf-8" },
    };

    for (i = 0; i < sizeof(media_cases) / sizeof(media_cases[0]); i++) {
        c = &media_cases[i];
        why = NULL;

        /* an exact heap copy: a read past the value is caught */
        len = strlen(c->value);
        copy = malloc(len ? len : 1);
        memcpy(copy, c->value, len);

        d = ims_media_type_parse(copy, len, &changes, &why);
        free(copy);

        check(d == c->dialect, "media type", c->value, why);
        check(d == NONE || changes == c->changes, "media type changes",
              c->value, NULL);
        check(d != NONE || why != NULL, "media type says why", c->value,
              NULL);
    }

    /* the reason, for the log line */
    for (i = 0; i < sizeof(whys) / sizeof(whys[0]); i++) {
        why = NULL;
        d = ims_media_type_parse((const ims_uchar_t *) whys[i].value,
                                 strlen(whys[i].value), &changes, &why);
        check(d == NONE && why && strcmp(why, whys[i].why) == 0,
              "media type, why", whys[i].value, why);
    }

    /* a NUL byte is no token character */
    d = ims_media_type_parse((const ims_uchar_t *)
                             "application/openstack-images-v2.1-json-patch"
                             "\0", 45, &changes, &why);
    check(d == NONE, "media type with a NUL byte", "", NULL);
    d = ims_media_type_parse((const ims_uchar_t *)
                             "application/openstack-images-v2.1-json-patch"
                             "; x=a\0", 50, &changes, &why);
    check(d == NONE, "media type parameter with a NUL byte", "", NULL);

    /*
     * every byte in a parameter's name and in its token value: accepted if
     * it is an RFC 9110 tchar, else the parameter is malformed
     */
    for (b = 0; b < 256; b++) {
        tchar = (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z')
                || (b >= 'a' && b <= 'z')
                || (b != 0 && strchr("!#$%&'*+-.^_`|~", b) != NULL);

        for (k = 0; k < 2; k++) {
            len = snprintf(param, sizeof(param),
                           "application/openstack-images-v2.1-json-patch;"
                           " %s", k ? "x=a#b" : "a#b=1");
            param[len - (k ? 2 : 4)] = (char) b;

            copy = malloc(len);
            memcpy(copy, param, len);
            d = ims_media_type_parse(copy, len, &changes, &why);
            free(copy);

            snprintf(what, sizeof(what), "media type with 0x%02x in a "
                     "parameter's %s", b, k ? "value" : "name");
            check(d == (tchar ? V21 : NONE), what, "", NULL);
        }
    }

    /* what the gateway forwards, and Accept-Patch (docs/rules.md) */
    check(ims_media_type_canonical(V21)->len == 44
          && memcmp(ims_media_type_canonical(V21)->data,
                    "application/openstack-images-v2.1-json-patch", 44) == 0
          && ims_media_type_canonical(V20)->len == 44
          && memcmp(ims_media_type_canonical(V20)->data,
                    "application/openstack-images-v2.0-json-patch", 44) == 0
          && ims_media_type_canonical(NONE) == NULL,
          "canonical media types", "", NULL);

    check(strcmp(ims_accept_patch,
                 "application/openstack-images-v2.0-json-patch, "
                 "application/openstack-images-v2.1-json-patch") == 0,
          "Accept-Patch", ims_accept_patch, NULL);
}


/*
 * The route model (docs/rules.md, "Routes"): every spelling the backend
 * routes to the image update or the list, and the near misses beside
 * each.  "I" stands for the image id; the expected id is checked too.
 */

#define ID  "33ad552d-1149-471c-8190-ff6776174a00"

static void
test_routes(void)
{
    size_t             i;
    ims_str_t          id;
    const char        *slash;
    ims_uchar_t       *method, *path;
    ims_route_t        route;
    ims_request_t      rq;
    ims_verdict_t      v;
    ims_route_conf_t   none, image, images;
    static const struct {
        const char    *method;
        const char    *path;
        int            prefix;      /* 1: ims_api_prefix /image, 2: /images */
        ims_route_t    route;
    } cases[] = {
        { "PATCH", "/v2/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "/v2.0/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "/v2.1/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "/v2.15/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "/v2.999/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "//v2.1/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "///images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "v2/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "/v2/images/x", 0, IMS_ROUTE_PATCH },
        { "PATCH", "/v2/images/" ID "/", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2.1/images/" ID "/", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/images/" ID "/", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/images/" ID "/file", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/images/" ID "/tags/x", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/images/", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/images", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/images/", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2./images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2.x/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2.1x/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2-1/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v3/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v1/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/V2/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2.1images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/imagesX/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/Images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/v2/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2//images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/x/v2/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/image/v2/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PUT", "/v2/images/" ID, 0, IMS_ROUTE_OTHER },
        { "POST", "/v2.1/images/" ID, 0, IMS_ROUTE_OTHER },
        { "GET", "/v2/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATC", "/v2/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCHX", "/v2/images/" ID, 0, IMS_ROUTE_OTHER },
        { "GET", "/v2/cloudimages", 0, IMS_ROUTE_QUERY },
        { "HEAD", "/v2/cloudimages", 0, IMS_ROUTE_QUERY },
        { "GET", "/v2.1/cloudimages", 0, IMS_ROUTE_QUERY },
        { "GET", "/v2.16/cloudimages", 0, IMS_ROUTE_QUERY },
        { "GET", "/cloudimages", 0, IMS_ROUTE_QUERY },
        { "HEAD", "//cloudimages", 0, IMS_ROUTE_QUERY },
        { "GET", "//v2.1/cloudimages", 0, IMS_ROUTE_QUERY },
        { "POST", "/v2/cloudimages", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/cloudimages", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2/cloudimages/", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2.1/cloudimages/", 0, IMS_ROUTE_OTHER },
        { "GET", "/cloudimages/", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2/cloudimagesx", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2/cloudimagea", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2/cloudimage", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2./cloudimages", 0, IMS_ROUTE_OTHER },
        { "GET", "/v3/cloudimages", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2.1cloudimages", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2/images", 0, IMS_ROUTE_OTHER },
        { "GET", "/", 0, IMS_ROUTE_OTHER },
        { "GET", "", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/image/v2/images/" ID, 1, IMS_ROUTE_PATCH },
        { "PATCH", "/image/v2.1/images/" ID, 1, IMS_ROUTE_PATCH },
        { "PATCH", "/image/images/" ID, 1, IMS_ROUTE_PATCH },
        { "PATCH", "//image//v2/images/" ID, 1, IMS_ROUTE_PATCH },
        { "PATCH", "/v2/images/" ID, 1, IMS_ROUTE_PATCH },
        { "PATCH", "/images/" ID, 1, IMS_ROUTE_PATCH },
        { "GET", "/image/v2/cloudimages", 1, IMS_ROUTE_QUERY },
        { "GET", "/image/cloudimages", 1, IMS_ROUTE_QUERY },
        { "GET", "/image", 1, IMS_ROUTE_OTHER },
        { "GET", "/image/", 1, IMS_ROUTE_OTHER },
        { "PATCH", "/imagex/v2/images/" ID, 1, IMS_ROUTE_OTHER },
        { "PATCH", "/imag/v2/images/" ID, 1, IMS_ROUTE_OTHER },
        { "PATCH", "/image/v2/images/" ID "/", 1, IMS_ROUTE_OTHER },
        { "PATCH", "/x/image/v2/images/" ID, 1, IMS_ROUTE_OTHER },
        { "PATCH", "/image/image/v2/images/" ID, 1, IMS_ROUTE_OTHER },
        /* a prefix that is also the start of a route: both readings */
        { "PATCH", "/images/" ID, 2, IMS_ROUTE_PATCH },
        { "PATCH", "/images/v2/images/" ID, 2, IMS_ROUTE_PATCH },
        { "PATCH", "/images/images/" ID, 2, IMS_ROUTE_PATCH },
        { "GET", "/images/cloudimages", 2, IMS_ROUTE_QUERY },
        { "PATCH", "/images/x/y", 2, IMS_ROUTE_OTHER },
        /* methods are case-sensitive and exact */
        { "GETX", "/v2/cloudimages", 0, IMS_ROUTE_OTHER },
        { "GE", "/v2/cloudimages", 0, IMS_ROUTE_OTHER },
        { "get", "/v2/cloudimages", 0, IMS_ROUTE_OTHER },
        { "HEADX", "/v2/cloudimages", 0, IMS_ROUTE_OTHER },
        { "HEA", "/cloudimages", 0, IMS_ROUTE_OTHER },
        { "head", "/cloudimages", 0, IMS_ROUTE_OTHER },
        { "patch", "/v2/images/" ID, 0, IMS_ROUTE_OTHER },
        /* version segments */
        { "PATCH", "/v2.0123456789/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "/v2.:/images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2./images/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2.9/images/" ID, 0, IMS_ROUTE_PATCH },
        { "PATCH", "/v2.0/", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2.0", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2/", 0, IMS_ROUTE_OTHER },
        { "GET", "/v", 0, IMS_ROUTE_OTHER },
        { "GET", "/u2/cloudimages", 0, IMS_ROUTE_OTHER },
        { "GET", "/w2/cloudimages", 0, IMS_ROUTE_OTHER },
        { "GET", "/v1/cloudimages", 0, IMS_ROUTE_OTHER },
        { "GET", "/v2.1/cloudimages", 0, IMS_ROUTE_QUERY },
        { "GET", "/v2.1//cloudimages", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/images/a", 0, IMS_ROUTE_PATCH },
        { "PATCH", "/v2/images", 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/imagesx" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/imageX/" ID, 0, IMS_ROUTE_OTHER },
        { "PATCH", "/v2/images/" ID "/x", 0, IMS_ROUTE_OTHER },
        /* a path that is the prefix alone, or the prefix and "/" */
        { "PATCH", "/image", 1, IMS_ROUTE_OTHER },
        { "PATCH", "/image/", 1, IMS_ROUTE_OTHER },
        { "GET", "/image/cloudimages/", 1, IMS_ROUTE_OTHER },
        { "GET", "/imagecloudimages", 1, IMS_ROUTE_OTHER },
        { "GET", "/images", 2, IMS_ROUTE_OTHER },
        { "GET", "/imagx/cloudimages", 1, IMS_ROUTE_OTHER },
        { "PATCH", "/imagx/images/" ID, 1, IMS_ROUTE_OTHER },
        { "GET", "/images/", 2, IMS_ROUTE_OTHER },
    };

    memset(&none, 0, sizeof(ims_route_conf_t));
    check(ims_route_conf_set_prefix(&image, (const ims_uchar_t *) "/image/",
                                    7) == 0
          && image.prefix.len == 5
          && memcmp(image.prefix.data, "image", 5) == 0,
          "route prefix", "/image/", NULL);

    (void) ims_route_conf_set_prefix(&images,
                                     (const ims_uchar_t *) "/images", 7);

    memset(&rq, 0, sizeof(ims_request_t));

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /*
         * Exact heap copies, as nginx's strings are not NUL-terminated:
         * a read past the method or the path is caught.
         */
        rq.method.len = strlen(cases[i].method);
        method = malloc(rq.method.len ? rq.method.len : 1);
        memcpy(method, cases[i].method, rq.method.len);
        rq.method.data = method;

        rq.path.len = strlen(cases[i].path);
        path = malloc(rq.path.len ? rq.path.len : 1);
        memcpy(path, cases[i].path, rq.path.len);
        rq.path.data = path;

        id.data = NULL;
        id.len = 0;

        route = ims_route(cases[i].prefix == 2 ? &images
                          : cases[i].prefix ? &image : &none, &rq, &id, &v);

        free(method);

        check(route == cases[i].route && v.status == 0, "route",
              cases[i].path, cases[i].method);

        if (route == IMS_ROUTE_PATCH) {
            /* the id is the path's last segment, in place */
            slash = strrchr(cases[i].path, '/');
            check(id.data == path + (slash + 1 - cases[i].path)
                  && id.len == strlen(slash + 1)
                  && (strstr(cases[i].path, ID) == NULL || id.len == 36),
                  "route image id", cases[i].path, NULL);
        }

        free(path);
    }
}


/*
 * Method override (docs/rules.md, "Method override"): refused on every
 * route, in the query (split on "&" and ";", "+" and "%XX" decoded as the
 * backend decodes them), from a form POST and from the three headers.
 */

static void
test_method_override(void)
{
    size_t             i;
    ims_str_t          id;
    ims_uchar_t       *args, *type;
    ims_request_t      rq;
    ims_verdict_t      v;
    ims_route_conf_t   none;
    static const struct {
        const char    *method;
        const char    *path;
        const char    *args;
        const char    *content_type;
        unsigned       header;
        int            reject;
        const char    *detail;      /* a fragment of the message */
    } cases[] = {
        { "POST", "/v2/images/" ID, "_method=PATCH", "", 0, 1, "'_method'" },
        { "PUT", "/v2/images/" ID, "_method=PATCH", "", 0, 1, "'_method'" },
        { "DELETE", "/v2/images/" ID, "_method=patch", "", 0, 1,
          "'_method'" },
        { "GET", "/v2/images/" ID, "_method=OPTIONS", "", 0, 1,
          "'_method'" },
        { "PATCH", "/v2/images/" ID, "_method=PATCH", "", 0, 1, "'_method'" },
        { "DELETE", "/v2/cloudimages", "_method=GET&member_status=all", "",
          0, 1, "'_method'" },
        { "GET", "/v2/cloudimages", "_method=GET", "", 0, 1, "'_method'" },
        { "POST", "/x", "a=1;_method=PATCH", "", 0, 1, "'_method'" },
        { "POST", "/x", "a=1&_method=PATCH", "", 0, 1, "'_method'" },
        { "POST", "/x", "a=1&_method", "", 0, 1, "'_method'" },
        { "POST", "/x", "_method=", "", 0, 1, "'_method'" },
        { "POST", "/x", "%5Fmethod=PATCH", "", 0, 1, "'_method'" },
        { "POST", "/x", "%5fmethod=PATCH", "", 0, 1, "'_method'" },
        { "POST", "/x", "_m%65thod=PATCH", "", 0, 1, "'_method'" },
        { "POST", "/x", "%5F%6D%65%74%68%6F%64=PATCH", "", 0, 1,
          "'_method'" },
        { "POST", "/x", "a=%zz;_method=PATCH", "", 0, 1, "'_method'" },
        { "POST", "/x", "x=1;;_method=PATCH;", "", 0, 1, "'_method'" },
        { "POST", "/x", "_method=PATCH&_method=GET", "", 0, 1, "'_method'" },
        { "POST", "/x", "a=_method", "", 0, 0, NULL },
        { "POST", "/x", "a=1&b=_method=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "x_method=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "_methodx=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "_metho=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "_method%3D=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "+_method=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "_method+=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "%5Gmethod=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "_METHOD=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "method=PATCH", "", 0, 0, NULL },
        { "POST", "/x", "%", "", 0, 0, NULL },
        { "POST", "/x", "%5", "", 0, 0, NULL },
        { "POST", "/x", "x=%5", "", 0, 0, NULL },
        { "POST", "/x", "_method%", "", 0, 0, NULL },
        { "POST", "/x", "%5Fmethod%", "", 0, 0, NULL },
        { "POST", "/x", "%G5method=x", "", 0, 0, NULL },
        { "POST", "/x", "%5Gmethod=x", "", 0, 0, NULL },
        { "POST", "/x", "%:Fmethod=x", "", 0, 0, NULL },
        { "POST", "/x", "%5:method=x", "", 0, 0, NULL },
        { "POST", "/x", "%/Fmethod=x", "", 0, 0, NULL },
        { "POST", "/x", "%5@method=x", "", 0, 0, NULL },
        { "POST", "/x", "%5`method=x", "", 0, 0, NULL },
        { "POST", "/x", "_metho%64", "", 0, 1, "'_method'" },
        { "POST", "/x", "_metho%44", "", 0, 0, NULL },
        { "POST", "/x", "_method;x", "", 0, 1, "'_method'" },
        { "POST", "/x", "x;_method", "", 0, 1, "'_method'" },
        { "POST", "/x", "_method&", "", 0, 1, "'_method'" },
        { "POST", "/x", "&_method", "", 0, 1, "'_method'" },
        { "POST", "/x", "%5F%5Fmethod", "", 0, 0, NULL },
        { "POST", "/x", "_method_=1", "", 0, 0, NULL },
        { "POST", "/x", "_metho%6", "", 0, 0, NULL },
        { "POST", "/x", "_metho%64=x", "", 0, 1, "'_method'" },
        { "POST", "/x", "_mathod=1", "", 0, 0, NULL },
        { "GET", "/x", "a=1&_method=x", "", 0, 1, "'_method'" },
        { "GET", "/x", "_method=x", "multipart/form-data", 0, 1,
          "'_method'" },
        { "POST", "/x", "_method=x", "", 1, 1, "X-HTTP-Method-Override" },
        { "POST", "/x", "", "multipart/form-data", 1, 1,
          "X-HTTP-Method-Override" },
        { "POST", "/x", "_method=x", "multipart/form-data", 0, 1,
          "'_method'" },
        { "POST", "/v2/images", "", "application/x-www-form-urlencoded", 0,
          1, "form" },
        { "POST", "/v2/images/" ID, "",
          "Application/X-WWW-Form-Urlencoded; charset=utf-8", 0, 1, "form" },
        { "POST", "/x", "", "multipart/form-data; boundary=x", 0, 1,
          "form" },
        { "POST", "/x", "", " multipart/form-data ;boundary=x", 0, 1,
          "form" },
        { "POST", "/x", "", "MULTIPART/FORM-DATA", 0, 1, "form" },
        { "PUT", "/x", "", "application/x-www-form-urlencoded", 0, 0, NULL },
        { "PATCH", "/x", "", "multipart/form-data", 0, 0, NULL },
        { "POST", "/x", "", "application/json", 0, 0, NULL },
        { "POST", "/x", "", "multipart/form-datax", 0, 0, NULL },
        { "POST", "/x", "", "multipart/form-dat", 0, 0, NULL },
        { "POST", "/x", "", "multipart/mixed", 0, 0, NULL },
        { "POST", "/x", "", "", 0, 0, NULL },
        { "POST", "/x", "", "multipart/form-data \t; boundary=x", 0, 1,
          "form" },
        { "POST", "/x", "", "multipart/form-data\t", 0, 1, "form" },
        { "POST", "/x", "", " \tapplication/x-www-form-urlencoded", 0, 1,
          "form" },
        { "POST", "/x", "", "application/x-www-form-urlencodeD;", 0, 1,
          "form" },
        { "POST", "/x", "", "application/x-www-form-urlencoded;;", 0, 1,
          "form" },
        { "POST", "/x", "", "multipart/form-data2", 0, 0, NULL },
        { "POST", "/x", "", "nultipart/form-data", 0, 0, NULL },
        { "POST", "/x", "", "bpplication/x-www-form-urlencoded", 0, 0,
          NULL },
        { "POST", "/x", "", "application/x-www-form-urlencodex", 0, 0,
          NULL },
        { "POST", "/x", "", "multipart/formZdata", 0, 0, NULL },
        { "POST", "/x", "", "multipart/form[data", 0, 0, NULL },
        { "POST", "/x", "", "multipart/form-dat@", 0, 0, NULL },
        { "POST", "/x", "", "Multipart/Form-Data", 0, 1, "form" },
        { "POST", "/x", "", "; multipart/form-data", 0, 0, NULL },
        { "POST", "/x", "", "x multipart/form-data", 0, 0, NULL },
        { "POST", "/x", "", "application/x-www-form-urlencoded x", 0, 0,
          NULL },
        { "POST", "/x", "", "multipart/form-data, text/plain", 0, 0, NULL },
        { "POST", "/x", "", " ", 0, 0, NULL },
        { "POSTX", "/x", "", "multipart/form-data", 0, 0, NULL },
        { "post", "/x", "", "multipart/form-data", 0, 0, NULL },
        { "GET", "/x", "", "", 1, 1, "X-HTTP-Method-Override" },
        { "PATCH", "/v2/images/" ID, "", "", 1, 1, "X-HTTP-Method-Override" },
        { "GET", "/v2/cloudimages", "limit=1", "", 1, 1,
          "X-HTTP-Method-Override" },
        { "GET", "/v2/cloudimages", "limit=1", "", 0, 0, NULL },
    };

    memset(&none, 0, sizeof(ims_route_conf_t));

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&rq, 0, sizeof(ims_request_t));
        rq.method.data = (const ims_uchar_t *) cases[i].method;
        rq.method.len = strlen(cases[i].method);
        rq.path.data = (const ims_uchar_t *) cases[i].path;
        rq.path.len = strlen(cases[i].path);
        rq.override_header = cases[i].header;

        /* exact heap copies: a read past the query or the type is caught */
        rq.args.len = strlen(cases[i].args);
        args = malloc(rq.args.len ? rq.args.len : 1);
        memcpy(args, cases[i].args, rq.args.len);
        rq.args.data = args;

        rq.content_type.len = strlen(cases[i].content_type);
        type = malloc(rq.content_type.len ? rq.content_type.len : 1);
        memcpy(type, cases[i].content_type, rq.content_type.len);
        rq.content_type.data = type;

        (void) ims_route(&none, &rq, &id, &v);

        free(args);
        free(type);

        if (!cases[i].reject) {
            check(v.status == 0, "no method override", cases[i].args,
                  cases[i].content_type);
            continue;
        }

        check(v.status == 400 && v.code == IMS_IMG_0017
              && strncmp(v.detail, "Method override is not supported (",
                         34) == 0
              && strstr(v.detail, cases[i].detail),
              "method override refused", cases[i].args, v.detail);
        check_error_body(&v, cases[i].args);
    }

    check(ims_method_override_in_query((const ims_uchar_t *) "_method", 7)
          && !ims_method_override_in_query((const ims_uchar_t *) "_metho", 6),
          "override in a query of 7 and 6 bytes", "_method", NULL);

    /* a trailing separator ends the last parameter, and names nothing */
    check(!ims_method_override_in_query((const ims_uchar_t *) "x=_method&",
                                        10)
          && !ims_method_override_in_query((const ims_uchar_t *) "%41=1;", 6)
          && ims_method_override_in_query((const ims_uchar_t *) "x&_method&",
                                          10),
          "override, a trailing separator", "x=_method&", NULL);
}


/* the headers the route model reads, by their lowercase names */

static void
test_route_headers(void)
{
    size_t         i, k;
    ims_request_t  rq;
    static const struct {
        const char    *name;
        ims_header_t   kind;
    } cases[] = {
        { "content-type", IMS_HEADER_CONTENT_TYPE },
        { "x-http-method-override", IMS_HEADER_OVERRIDE },
        { "x-http-method", IMS_HEADER_OVERRIDE },
        { "x-method-override", IMS_HEADER_OVERRIDE },
        { "content-typf", IMS_HEADER_OTHER },
        { "content-length", IMS_HEADER_OTHER },
        { "x-http-methoe", IMS_HEADER_OTHER },
        { "x-http-method-overridf", IMS_HEADER_OTHER },
        { "x-method-overridf", IMS_HEADER_OTHER },
        { "x-http-methods", IMS_HEADER_OTHER },
        { "accept", IMS_HEADER_OTHER },
        { "", IMS_HEADER_OTHER },

        /* WSGI reads "_" as "-" in these; the backend's Content-Type not */
        { "x_http_method_override", IMS_HEADER_OVERRIDE },
        { "x-http_method", IMS_HEADER_OVERRIDE },
        { "x_method-override", IMS_HEADER_OVERRIDE },
        { "x_http_method_overrides", IMS_HEADER_OTHER },
        { "x_http_methoe", IMS_HEADER_OTHER },
        { "content_type", IMS_HEADER_OTHER },
        { "x-http.method", IMS_HEADER_OTHER },
    };
    static const struct {
        const char    *types[3];
        const char    *judged;
    } several[] = {
        { { "application/json" }, "application/json" },
        { { "application/json", "multipart/form-data" },
          "multipart/form-data" },
        { { "Application/X-WWW-Form-Urlencoded; a=1", "application/json" },
          "Application/X-WWW-Form-Urlencoded; a=1" },
        { { "text/plain", "application/json", " multipart/form-data ;b=1" },
          " multipart/form-data ;b=1" },
        { { "multipart/form-data", "application/x-www-form-urlencoded" },
          "multipart/form-data" },
        { { "", "multipart/form-datA" }, "multipart/form-datA" },
        { { "text/plain", "multipart/form-data-x" }, "text/plain" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check(ims_route_header((const ims_uchar_t *) cases[i].name,
                               strlen(cases[i].name)) == cases[i].kind,
              "header kind", cases[i].name, NULL);
    }

    /* of several Content-Types, the first or a form one is judged */
    for (i = 0; i < sizeof(several) / sizeof(several[0]); i++) {
        memset(&rq, 0, sizeof(ims_request_t));

        for (k = 0; k < 3 && several[i].types[k] != NULL; k++) {
            ims_route_add_content_type(&rq,
                (const ims_uchar_t *) several[i].types[k],
                strlen(several[i].types[k]));
        }

        check(rq.content_type.len == strlen(several[i].judged)
              && memcmp(rq.content_type.data, several[i].judged,
                        rq.content_type.len) == 0,
              "the Content-Type judged of several", several[i].judged, NULL);
    }
}


/* ims_api_prefix values: kept without their slashes, or refused */

static void
test_route_prefix(void)
{
    size_t            i;
    ims_route_conf_t  conf;
    static const struct {
        const char  *value;
        const char  *kept;          /* NULL: refused */
    } cases[] = {
        { "/image", "image" },
        { "/image/", "image" },
        { "//image//", "image" },
        { "/a/b", "a/b" },
        { "/a.b/c-d_e", "a.b/c-d_e" },
        { "/...", "..." },
        { "/", "" },
        { "", "" },
        { "/a//b", NULL },
        { "/./a", NULL },
        { "/a/.", NULL },
        { "/..", NULL },
        { "/a/../b", NULL },
        { "/a b", NULL },
        { "/a%20b", NULL },
        { "/a?b", NULL },
        { "/a#b", NULL },
        { "/a\tb", NULL },
        { "/a\x7f", NULL },
        { "/a\x01", NULL },
        { "/a\x80", "a\x80" },
        { "/a!", "a!" },
        { "/a/..", NULL },
        { "/../a", NULL },
        { "/a/./b", NULL },
        { "/.a", ".a" },
        { "/a.", "a." },
        { "/..a", "..a" },
        { "/a..", "a.." },
        { "/a/.b/c.", "a/.b/c." },
        { "/.../a", ".../a" },
        { "/a/b..", "a/b.." },
        { "/x./..y", "x./..y" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&conf, 0, sizeof(ims_route_conf_t));

        if (cases[i].kept == NULL) {
            check(ims_route_conf_set_prefix(&conf,
                                      (const ims_uchar_t *) cases[i].value,
                                      strlen(cases[i].value)) == -1,
                  "prefix refused", cases[i].value, NULL);
            continue;
        }

        check(ims_route_conf_set_prefix(&conf,
                                       (const ims_uchar_t *) cases[i].value,
                                       strlen(cases[i].value)) == 0
              && conf.prefix.len == strlen(cases[i].kept)
              && memcmp(conf.prefix.data, cases[i].kept,
                        conf.prefix.len) == 0,
              "prefix kept", cases[i].value, cases[i].kept);
    }
}


/*
 * Every byte at every position of a canonical UUID, against the rule
 * itself: a dash at 8, 13, 18 and 23, a hex digit of either case anywhere
 * else.  The inputs are copied to the end of a buffer, so that a read past
 * byte 35 is caught by the sanitizer.
 */

static void
test_uuid_every_byte(void)
{
    int           c, want, got;
    char          input[48];
    size_t        i;
    ims_uchar_t  *at, *buf;

    static const char  uuid[] = "33ad552d-1149-471c-8190-ff6776174a00";

    buf = malloc(36);

    for (i = 0; i < 36; i++) {
        for (c = 0; c < 256; c++) {
            memcpy(buf, uuid, 36);
            at = buf + i;
            *at = (ims_uchar_t) c;

            if (i == 8 || i == 13 || i == 18 || i == 23) {
                want = (c == '-');

            } else {
                want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                       || (c >= 'A' && c <= 'F');
            }

            got = ims_uuid_is_canonical(buf, 36);

            if (got != want || c == 0xff) {
                snprintf(input, sizeof(input), "position %zu, byte %d", i,
                         c);
                check(got == want, "uuid every byte", input, NULL);
            }

            if (got != want) {
                break;
            }
        }
    }

    free(buf);
}


static void
test_text(void)
{
    char  buf[20];

    check(ims_uuid_is_canonical((const ims_uchar_t *)
                                "33ad552d-1149-471c-8190-ff6776174a00", 36),
          "uuid", "lower", NULL);
    check(ims_uuid_is_canonical((const ims_uchar_t *)
                                "33AD552D-1149-471c-8190-FF6776174A00", 36),
          "uuid", "mixed case", NULL);
    check(!ims_uuid_is_canonical((const ims_uchar_t *)
                                 "33ad552d1149471c8190ff6776174a00", 32),
          "uuid", "no dashes", NULL);
    check(!ims_uuid_is_canonical((const ims_uchar_t *)
                                 "33ad552d-1149-471c-8190-ff6776174a0g", 36),
          "uuid", "bad digit", NULL);
    check(!ims_uuid_is_canonical((const ims_uchar_t *)
                                 "{3ad552d-1149-471c-8190-ff6776174a00", 36),
          "uuid", "brace", NULL);
    check(!ims_uuid_is_canonical((const ims_uchar_t *)
                                 "33ad552d-1149-471c-8190+ff6776174a00", 36),
          "uuid", "bad separator", NULL);
    test_uuid_every_byte();

    check(ims_utf8_valid((const ims_uchar_t *) "a\xe4\xb8\xad", 4),
          "utf8", "valid", NULL);
    check(!ims_utf8_valid((const ims_uchar_t *) "\xe4\xb8", 2),
          "utf8", "truncated", NULL);
    check(!ims_utf8_valid((const ims_uchar_t *) "\xf4\x90\x80\x80", 4),
          "utf8", "above U+10FFFF", NULL);
    check(!ims_utf8_valid((const ims_uchar_t *) "\xe0\x80\xaf", 3),
          "utf8", "overlong", NULL);

    /*
     * The buffer is filled before each call: a missing NUL would make the
     * comparison read on into whatever the stack held, passing by luck.
     */
    memset(buf, 'Z', sizeof(buf));
    ims_escape(buf, sizeof(buf), (const ims_uchar_t *) "a\"<\\", 4);
    check(strcmp(buf, "a\\u0022\\u003c...") == 0, "escape", buf, NULL);

    memset(buf, 'Z', sizeof(buf));
    ims_escape(buf, sizeof(buf), (const ims_uchar_t *) "\xe4\xb8\xad\xff", 4);
    check(strcmp(buf, "\xe4\xb8\xad\\u00ff") == 0, "escape utf-8", buf, NULL);

    memset(buf, 'Z', sizeof(buf));
    ims_escape(buf, sizeof(buf), (const ims_uchar_t *) "\xc2\x85\xe2\x80\xa8",
               5);
    check(strcmp(buf, "\\u0085\\u2028") == 0, "escape C1 and U+2028", buf,
          NULL);
}


/*
 * Unicode White_Space as Python's str.strip() removes it in Glance
 * (docs/rules.md, "Paths"), and the categories Cc and Cf of Unicode 15,
 * written out from the Unicode Character Database: each range by its
 * ends, and the code points on either side of it.
 */

typedef struct {
    uint32_t  first;
    uint32_t  last;
} range_t;

static const range_t  white_space[] = {
    { 0x0009, 0x000d }, { 0x001c, 0x001f }, { 0x0020, 0x0020 },
    { 0x0085, 0x0085 }, { 0x00a0, 0x00a0 }, { 0x1680, 0x1680 },
    { 0x2000, 0x200a }, { 0x2028, 0x2029 }, { 0x202f, 0x202f },
    { 0x205f, 0x205f }, { 0x3000, 0x3000 },
};

static const range_t  control_or_format[] = {
    { 0x0000, 0x001f }, { 0x007f, 0x009f }, { 0x00ad, 0x00ad },
    { 0x0600, 0x0605 }, { 0x061c, 0x061c }, { 0x06dd, 0x06dd },
    { 0x070f, 0x070f }, { 0x0890, 0x0891 }, { 0x08e2, 0x08e2 },
    { 0x180e, 0x180e }, { 0x200b, 0x200f }, { 0x202a, 0x202e },
    { 0x2060, 0x2064 }, { 0x2066, 0x206f }, { 0xfeff, 0xfeff },
    { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
    { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
    { 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
};


static int
in_ranges(const range_t *r, size_t n, uint32_t c)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (c >= r[i].first && c <= r[i].last) {
            return 1;
        }
    }

    return 0;
}


static void
check_class(const char *what, int (*is)(uint32_t), const range_t *r,
    size_t n, uint32_t c)
{
    char  show[32];

    snprintf(show, sizeof(show), "U+%04X", (unsigned) c);
    check(!is(c) == !in_ranges(r, n, c), what, show, NULL);
}


static void
test_unicode_classes(void)
{
    size_t    i, k;
    uint32_t  c, edge[4];

#define NWS  (sizeof(white_space) / sizeof(white_space[0]))
#define NCF  (sizeof(control_or_format) / sizeof(control_or_format[0]))

    /* every code point of the BMP, and the planes above around each range */
    for (c = 0; c <= 0xffff; c++) {
        check_class("White_Space", ims_is_white_space, white_space, NWS, c);
        check_class("Cc or Cf", ims_is_control_or_format, control_or_format,
                    NCF, c);
    }

    for (i = 0; i < NCF; i++) {
        edge[0] = control_or_format[i].first - 1;
        edge[1] = control_or_format[i].first;
        edge[2] = control_or_format[i].last;
        edge[3] = control_or_format[i].last + 1;

        for (k = 0; k < 4; k++) {
            check_class("Cc or Cf", ims_is_control_or_format,
                        control_or_format, NCF, edge[k]);
            check_class("White_Space", ims_is_white_space, white_space, NWS,
                        edge[k]);
        }
    }

    check_class("Cc or Cf", ims_is_control_or_format, control_or_format, NCF,
                0x10ffff);
    check_class("White_Space", ims_is_white_space, white_space, NWS,
                0x10ffff);

#undef NWS
#undef NCF
}


/* UTF-8 as RFC 3629 has it, one character at a time */

static void
test_utf8(void)
{
    size_t              i;
    uint32_t            c;
    const ims_uchar_t  *p, *in;
    static const struct {
        const char  *bytes;
        size_t       len;
        uint32_t     value;         /* IMS_UTF8_INVALID: refused */
        size_t       used;          /* bytes consumed */
    } cases[] = {
        { "\x00", 1, 0x00, 1 },
        { "\x7f", 1, 0x7f, 1 },
        { "\x80", 1, IMS_UTF8_INVALID, 1 },
        { "\xbf\x80", 2, IMS_UTF8_INVALID, 1 },
        { "\xc0\x80", 2, IMS_UTF8_INVALID, 1 },
        { "\xc1\xbf", 2, IMS_UTF8_INVALID, 1 },
        { "\xc2\x80", 2, 0x80, 2 },
        { "\xc2\x7f", 2, IMS_UTF8_INVALID, 1 },
        { "\xc2\xc0", 2, IMS_UTF8_INVALID, 1 },
        { "\xc2\xbf", 2, 0xbf, 2 },
        { "\xdf\xbf", 2, 0x7ff, 2 },
        { "\xdf", 1, IMS_UTF8_INVALID, 1 },
        { "\xe0\x9f\xbf", 3, IMS_UTF8_INVALID, 1 },
        { "\xe0\xa0\x80", 3, 0x800, 3 },
        { "\xe0\xa0", 2, IMS_UTF8_INVALID, 1 },
        { "\xe0\xa0\x7f", 3, IMS_UTF8_INVALID, 1 },
        { "\xed\x9f\xbf", 3, 0xd7ff, 3 },
        { "\xed\xa0\x80", 3, IMS_UTF8_INVALID, 1 },
        { "\xed\xbf\xbf", 3, IMS_UTF8_INVALID, 1 },
        { "\xee\x80\x80", 3, 0xe000, 3 },
        { "\xef\xbf\xbf", 3, 0xffff, 3 },
        { "\xf0\x8f\xbf\xbf", 4, IMS_UTF8_INVALID, 1 },
        { "\xf0\x90\x80\x80", 4, 0x10000, 4 },
        { "\xf0\x90\x80", 3, IMS_UTF8_INVALID, 1 },
        { "\xf0\x90\x80\xc0", 4, IMS_UTF8_INVALID, 1 },
        { "\xf4\x8f\xbf\xbf", 4, 0x10ffff, 4 },
        { "\xf4\x90\x80\x80", 4, IMS_UTF8_INVALID, 1 },
        { "\xf5\x80\x80\x80", 4, IMS_UTF8_INVALID, 1 },
        { "\xf7\xbf\xbf\xbf", 4, IMS_UTF8_INVALID, 1 },
        { "\xf8\x88\x80\x80\x80", 5, IMS_UTF8_INVALID, 1 },
        { "\xff", 1, IMS_UTF8_INVALID, 1 },
        { "\xe4\xb8\xad" "x", 4, 0x4e2d, 3 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* an exact heap copy: a read past the end is caught */
        in = malloc(cases[i].len);
        memcpy((void *) in, cases[i].bytes, cases[i].len);

        p = in;
        c = ims_utf8_next(&p, in + cases[i].len);

        check(c == cases[i].value && (size_t) (p - in) == cases[i].used,
              "utf-8 character", cases[i].bytes, NULL);

        /* a string of this one character is valid exactly when it is */
        if (cases[i].used == cases[i].len || c == IMS_UTF8_INVALID) {
            check(ims_utf8_valid(in, cases[i].len)
                  == (c != IMS_UTF8_INVALID),
                  "utf-8 string", cases[i].bytes, NULL);
        }

        free((void *) in);
    }

    check(ims_utf8_valid((const ims_uchar_t *) "", 0)
          && ims_utf8_valid((const ims_uchar_t *) "a\xc2\x80z", 4)
          && !ims_utf8_valid((const ims_uchar_t *) "abc\xc2", 4),
          "utf-8 strings", "", NULL);
}


/*
 * Client text in a message (docs/rules.md, "Error responses"):
 * JSON-escaped, "<", ">" and "&" too, C1 controls and U+2028/9 too, an
 * invalid byte as \u00XX; cut at a character boundary with "..." where it
 * does not fit, and always NUL-terminated.
 */

static void
test_escape(void)
{
    size_t  i, n;
    char    buf[80];
    static const struct {
        const char  *in;
        size_t       size;
        const char  *out;
    } cases[] = {
        { "plain text", 64, "plain text" },
        { "a\"b\\c", 64, "a\\u0022b\\u005cc" },
        { "<a&b>", 64, "\\u003ca\\u0026b\\u003e" },
        { "'%;=", 64, "'%;=" },
        { "\x01\x1f\x20\x7e\x7f", 64, "\\u0001\\u001f ~\\u007f" },
        { "\xc2\x9f\xc2\xa0", 64, "\\u009f\xc2\xa0" },
        { "\xe2\x80\xa7\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa", 64,
          "\xe2\x80\xa7\\u2028\\u2029\xe2\x80\xaa" },
        { "\xf0\x9f\x98\x80", 64, "\xf0\x9f\x98\x80" },
        { "\xe4\xb8", 64, "\\u00e4\\u00b8" },
        { "\xc0\xaf", 64, "\\u00c0\\u00af" },

        /* sizes: what fits, "..." in the last four bytes, the NUL */
        { "abcdef", 11, "abcdef" },
        { "abcdef", 10, "abcdef" },
        { "abcdef", 9, "abcde..." },
        { "abcdef", 8, "abcd..." },
        { "abcdef", 5, "a..." },
        { "abcdef", 4, "..." },
        { "abcdef", 3, "" },
        { "abcdef", 1, "" },
        { "\xe4\xb8\xad\xe4\xb8\xad", 9, "\xe4\xb8\xad..." },
        { "\xe4\xb8\xad\xe4\xb8\xad", 10, "\xe4\xb8\xad\xe4\xb8\xad" },
        { "a<", 10, "a..." },
        { "a<", 11, "a\\u003c" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(buf, 'Z', sizeof(buf));
        n = ims_escape(buf, cases[i].size, (const ims_uchar_t *) cases[i].in,
                       strlen(cases[i].in));

        check(strcmp(buf, cases[i].out) == 0 && n == strlen(cases[i].out)
              && buf[cases[i].size] == 'Z',
              "escape", cases[i].in, buf);
    }

    /* no room at all: nothing written */
    memset(buf, 'Z', sizeof(buf));
    n = ims_escape(buf, 0, (const ims_uchar_t *) "abc", 3);
    check(n == 0 && buf[0] == 'Z', "escape into 0 bytes", "abc", NULL);
}


/*
 * The codes and texts (docs/rules.md, "Error responses"), the verdict's
 * fields, and the bodies built from them, byte for byte.
 */

static void
test_error_codes(void)
{
    size_t             i, size, len;
    char               long_text[512];
    ims_uchar_t        body[1024];
    ims_verdict_t      v;
    ims_patch_conf_t   conf;
    static const char  example[] =
        "{\"error\":{\"code\":\"IMG.0105\",\"message\":\"The operation is not "
        "supported. Operation 0: '__imagetype' is a system attribute and "
        "cannot be changed.\"}}";

    for (i = 0; i < IMS_EXPECTED_CODES; i++) {
        check(strcmp(ims_code_name(ims_expected_codes[i].code),
                     ims_expected_codes[i].name) == 0
              && strcmp(ims_code_text(ims_expected_codes[i].code),
                        ims_expected_codes[i].text) == 0,
              "code name and text", ims_expected_codes[i].name, NULL);

        check(ims_reject(&v, 400, ims_expected_codes[i].code, "At %d.", 7)
              == -1
              && v.status == 400 && v.code == ims_expected_codes[i].code
              && strcmp(v.detail, "At 7.") == 0 && v.detail_len == 5,
              "a rejection's verdict", ims_expected_codes[i].name, v.detail);
        check_error_body(&v, ims_expected_codes[i].name);

        /* no detail: the text alone */
        ims_reject(&v, 400, ims_expected_codes[i].code, "%s", "");
        check(v.detail_len == 0 && v.detail[0] == '\0', "an empty detail",
              ims_expected_codes[i].name, NULL);
        check_error_body(&v, ims_expected_codes[i].name);
    }

    check(IMS_EXPECTED_CODES == IMS_CODE_COUNT - 1,
          "every code the gateway emits is listed", "", NULL);

    ims_verdict_pass(&v);
    check(v.status == 0 && v.code == IMS_OK && v.detail_len == 0
          && v.detail[0] == '\0', "a pass", "", NULL);

    ims_reject(&v, 400, IMS_IMG_0001, "%s", "");
    size = ims_error_body_size(&v);
    len = ims_error_body(&v, body);
    check(size == len && len == sizeof("{\"error\":{\"code\":\"IMG.0001\","
                                       "\"message\":\"The request message "
                                       "format is invalid.\"}}") - 1
          && memcmp(body, "{\"error\":{\"code\":\"IMG.0001\",\"message\":"
                    "\"The request message format is invalid.\"}}", len) == 0,
          "error body without a detail", "", NULL);

    /* a detail longer than the verdict holds is cut, NUL-terminated */
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    ims_reject(&v, 400, IMS_IMG_0017, "%s", long_text);
    check(v.detail_len == IMS_DETAIL_MAX - 1
          && strlen(v.detail) == IMS_DETAIL_MAX - 1,
          "a long detail is cut", "", NULL);
    check_error_body(&v, "a long detail");

    ims_reject(&v, 400, IMS_IMG_0017, "%.*s", IMS_DETAIL_MAX - 1, long_text);
    check(v.detail_len == IMS_DETAIL_MAX - 1, "a detail that just fits", "",
          NULL);

    ims_reject(&v, 400, IMS_IMG_0017, "%.*s", IMS_DETAIL_MAX, long_text);
    check(v.detail_len == IMS_DETAIL_MAX - 1
          && strlen(v.detail) == IMS_DETAIL_MAX - 1,
          "a detail one byte too long", "", NULL);

    ims_reject(&v, 400, IMS_IMG_0017, "%.*s", IMS_DETAIL_MAX - 2, long_text);
    check(v.detail_len == IMS_DETAIL_MAX - 2, "a detail one short", "",
          NULL);

    /*
     * vsnprintf() fails on a wide character it cannot convert (a lone
     * surrogate, in any locale): the verdict keeps its code and an empty
     * detail, never the part formatted before the failure
     */
    check(ims_reject(&v, 400, IMS_IMG_0017, "Bad %ls.", L"\xd800") == -1
          && v.status == 400 && v.code == IMS_IMG_0017
          && v.detail_len == 0 && v.detail[0] == '\0',
          "a detail vsnprintf() cannot format", "", v.detail);
    check_error_body(&v, "a detail vsnprintf() cannot format");

    /* the example of docs/rules.md, "Error responses" */
    ims_patch_conf_init(&conf);
    ims_patch_validate(V21, (const ims_uchar_t *)
                       "[{\"op\":\"replace\",\"path\":\"/__imagetype\","
                       "\"value\":\"gold\"}]", 55, &conf, &v);
    len = ims_error_body(&v, body);
    check(v.status == 400 && len == sizeof(example) - 1
          && memcmp(body, example, len) == 0,
          "the documented error body", example, v.detail);
}


/* a code point as UTF-8, or as a JSON \u escape */

static size_t
utf8_of(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char) c;
        return 1;
    }

    if (c < 0x800) {
        out[0] = (char) (0xc0 | c >> 6);
        out[1] = (char) (0x80 | (c & 0x3f));
        return 2;
    }

    out[0] = (char) (0xe0 | c >> 12);
    out[1] = (char) (0x80 | ((c >> 6) & 0x3f));
    out[2] = (char) (0x80 | (c & 0x3f));
    return 3;
}


/*
 * The name rule (docs/rules.md, "Attributes"): ASCII letters, digits, "-",
 * ".", "_", space and CJK ideographs U+4E00-U+9FFF, no space at either
 * end, 1 to 128 characters.  Every printable ASCII character in the
 * middle of a name, first, last and alone (an all-ASCII name is judged a
 * byte at a time), beside a CJK ideograph (which takes the
 * character-by-character path), and the ends of the CJK block.
 */

static void
test_name_rule(void)
{
    int           allowed;
    char          body[128], what[64], ch[8], *s;
    unsigned      b;
    size_t        i;
    static const char  *around[] = {
        "a%sa", "\xe4\xb8\xad%sa", "a%s\xe4\xb8\xad", "%sa", "a%s", "%s"
    };
    static const struct {
        const char  *value;
        int          status;
        ims_code_t   code;
    } cases[] = {
        { "\xe4\xb7\xbf", E0003 },             /* U+4DFF */
        { "\xe4\xb8\x80", OK },                /* U+4E00 */
        { "\xe9\xbf\xbf", OK },                /* U+9FFF */
        { "\xea\x80\x80", E0003 },             /* U+A000 */
        { "a\xe9\xbf\xbf", OK },
        { "a\xea\x80\x80", E0003 },
        { " \xe4\xb8\xad", E0003 },
        { "\xe4\xb8\xad ", E0003 },
        { "\xe4\xb8\xad \xe4\xb8\xad", OK },
        { "\xe4\xb8\xad\\u0000", E0003 },
        { "\xe4\xb8\xad\\u00a0", E0003 },
        { "\\u3000\xe4\xb8\xad", E0003 },
        { "\xe4\xb8\xad\xef\xbf\xbf", E0003 },
        { "0", OK }, { "9", OK }, { "A", OK }, { "Z", OK }, { "a", OK },
        { "z", OK }, { "-", OK }, { ".", OK }, { "_", OK },
        { "\xe4\xb8\xad" "09AZaz-._", OK },
        { "a\x7f" "a", E0003 }, { "\x7f", E0003 },
        { "\xe4\xb8\xad\x7f", E0003 },
    };

    for (b = 0x20; b < 0x7f; b++) {
        allowed = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z')
                  || (b >= 'A' && b <= 'Z') || b == '-' || b == '.'
                  || b == '_' || b == ' ';

        for (i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
            if (b == '"' || b == '\\') {
                snprintf(ch, sizeof(ch), "\\%c", (char) b);

            } else {
                snprintf(ch, sizeof(ch), "%c", (char) b);
            }

            snprintf(what, sizeof(what), around[i], ch);
            snprintf(body, sizeof(body),
                     "[{\"op\":\"replace\",\"path\":\"/name\","
                     "\"value\":\"%s\"}]", what);
            snprintf(what, sizeof(what), "name with 0x%02x (%zu)", b, i);

            /* a space is allowed, but not at either end (the last three) */
            if (allowed && (b != ' ' || i < 3)) {
                validate(V21, body, OK, what);

            } else {
                validate(V21, body, E0003, what);
            }
        }
    }

    for (b = 0; b < 0x20; b++) {
        snprintf(body, sizeof(body), "[{\"op\":\"replace\",\"path\":\"/name\","
                 "\"value\":\"a\\u%04xa\"}]", b);
        validate(V21, body, E0003, "name with a control character");
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(body, sizeof(body), "[{\"op\":\"replace\",\"path\":\"/name\","
                 "\"value\":\"%s\"}]", cases[i].value);
        validate_buf(V21, body, strlen(body), cases[i].status, cases[i].code,
                     cases[i].value);
    }

    /* 128 characters, counted as code points, whatever the mix */
    s = repeat("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"",
               "\xe4\xb8\xad", 129, "\"}]");
    validate(V21, s, E0002, "name of 129 CJK characters");
    free(s);

    s = repeat("[{\"op\":\"replace\",\"path\":\"/name\","
               "\"value\":\"\xe4\xb8\xad", "a", 127, "\"}]");
    validate(V21, s, OK, "name of 1 CJK and 127 ASCII characters");
    free(s);

    s = repeat("[{\"op\":\"replace\",\"path\":\"/name\","
               "\"value\":\"\xe4\xb8\xad", "a", 128, "\"}]");
    validate(V21, s, E0002, "name of 1 CJK and 128 ASCII characters");
    free(s);

    s = repeat("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"", "a",
               127, "\"}]");
    validate(V21, s, OK, "name of 127 characters");
    free(s);
}


/*
 * __description (docs/rules.md, "Attributes"): any string of at most 1,024
 * characters without CR, LF, "<" or ">"; the characters beside those are
 * allowed, and so is every other control character.
 */

static void
test_description_rule(void)
{
    char        body[160];
    size_t      i;
    char       *s;
    static const struct {
        const char  *value;
        int          status;
        ims_code_t   code;
    } cases[] = {
        { "a\\tb", OK }, { "\\u000b", OK }, { "\\u000c", OK },
        { "\\u000e", OK }, { "\\u0009", OK }, { "\\u0000", OK },
        { "=", OK }, { "?", OK }, { ";", OK }, { "&", OK }, { "\\u007f", OK },
        { "\\u000d", E0054 }, { "\\u000a", E0054 }, { "\\u003c", E0054 },
        { "\\u003e", E0054 },
        { "\xe4\xb8\xad<", E0054 }, { "\xe4\xb8\xad\\r", E0054 },
        { "\xe4\xb8\xad>", E0054 }, { "\xe4\xb8\xad\\n", E0054 },
        { "\xe4\xb8\xad=?", OK }, { "\xef\xbf\xbf", OK },
        { "\xf0\x9f\x98\x80", E0054 },
        { "\xe4\xb8\xad\xf0\x9f\x98\x80", E0054 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(body, sizeof(body), "[{\"op\":\"add\","
                 "\"path\":\"/__description\",\"value\":\"%s\"}]",
                 cases[i].value);
        validate_buf(V21, body, strlen(body), cases[i].status, cases[i].code,
                     cases[i].value);
    }

    s = repeat("[{\"op\":\"add\",\"path\":\"/__description\",\"value\":\"",
               "a", 1024, "\"}]");
    validate(V21, s, OK, "description of 1024 ASCII characters");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/__description\",\"value\":\"",
               "\xe4\xb8\xad", 1025, "\"}]");
    validate(V21, s, E0004, "description of 1025 CJK characters");
    free(s);

    /* too long wins over a forbidden character */
    s = repeat("[{\"op\":\"add\",\"path\":\"/__description\",\"value\":\"<",
               "a", 1024, "\"}]");
    validate(V21, s, E0004, "description of 1025 with a '<'");
    free(s);

    /* names a letter away from it are custom attributes: '<' is allowed */
    validate(V21, "[{\"op\":\"add\",\"path\":\"/__descriptioN\","
                  "\"value\":\"a<b\"}]", OK, "__descriptioN is custom");
    validate(V21, "[{\"op\":\"add\",\"path\":\"/__Description\","
                  "\"value\":\"a<b\"}]", OK, "__Description is custom");
    validate(V21, "[{\"op\":\"add\",\"path\":\"/__descriptio\","
                  "\"value\":\"a<b\"}]", OK, "__descriptio is custom");
}


/*
 * Custom values (docs/rules.md, "Attributes" and "Characters outside the
 * BMP"): a string of at most 65,535 bytes, no character above U+FFFF
 * wherever it stands in the value.
 */

static void
test_custom_values(void)
{
    char         value[64], body[160], what[64];
    size_t       n, at, k, len;
    char        *s;
    static const struct {
        const char  *utf8;
        int          status;
        ims_code_t   code;
    } chars[] = {
        { "\xf0\x90\x80\x80", E0001 },       /* U+10000, the first */
        { "\xf0\x9f\x98\x80", E0001 },       /* U+1F600 */
        { "\xf4\x8f\xbf\xbf", E0001 },       /* U+10FFFF, the last */
        { "\xef\xbf\xbf", OK },               /* U+FFFF */
        { "\xe0\xa0\x80", OK },               /* U+0800 */
        { "\xe4\xb8\xad", OK },               /* U+4E2D */
        { "\xdf\xbf", OK },                   /* U+07FF */
        { "\xd0\xb0", OK },                   /* U+0430 */
        { "\xc2\x80", OK },                   /* U+0080 */
    };

    /* each character at every position of values of 0 to 24 more bytes */
    for (k = 0; k < sizeof(chars) / sizeof(chars[0]); k++) {
        len = strlen(chars[k].utf8);

        for (n = 0; n <= 24; n++) {
            for (at = 0; at <= n; at++) {
                memset(value, 'v', n);
                memcpy(value + at, chars[k].utf8, len);
                value[n + len] = '\0';
                memset(value + at + len, 'w', n - at);

                snprintf(body, sizeof(body), "[{\"op\":\"add\","
                         "\"path\":\"/c\",\"value\":\"%s\"}]", value);
                snprintf(what, sizeof(what), "custom value, character %zu "
                         "at %zu of %zu", k, at, n + len);
                validate_buf(V21, body, strlen(body), chars[k].status,
                             chars[k].code, what);
            }
        }
    }

    /* bytes, not characters: 21845 of 3 bytes, then one more byte */
    s = repeat("[{\"op\":\"add\",\"path\":\"/c\",\"value\":\"", "\xe4\xb8\xad",
               21845, "\"}]");
    validate(V21, s, OK, "custom value of 65535 bytes of CJK");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/c\",\"value\":\"a", "\xe4\xb8\xad",
               21845, "\"}]");
    validate(V21, s, E0001, "custom value of 65536 bytes");
    free(s);

    validate(V21, "[{\"op\":\"replace\",\"path\":\"/c\",\"value\":\"\"}]", OK,
             "empty custom value");
    validate(V20, "[{\"add\":\"/c\",\"value\":false}]", E0001,
             "custom value false");
}


/*
 * Attribute names (docs/rules.md, "Paths"): 1 to 255 characters once
 * "~1" and "~0" are decoded; no Cc or Cf character anywhere, no
 * White_Space character at either end (inside is fine).
 */

static void
test_attribute_names(void)
{
    int              in_middle;
    char             body[160], ch[8], what[64], *s;
    size_t           i, k, n;
    uint32_t         c, edge[2];
    const range_t   *r;

    /* a character just outside each class, at both ends */
    static const uint32_t  plain[] = {
        0x21, 0x7e, 0xa1, 0xac, 0xae, 0x167f, 0x1681, 0x1fff, 0x2010,
        0x2027, 0x2031, 0x205e, 0x2065, 0x2070, 0x2fff, 0x3001, 0xfefe,
        0xff00, 0xfff8, 0xfffc,
    };

    /* the ends of each class's ranges, as JSON escapes */
    for (k = 0; k < 2; k++) {
        r = k ? control_or_format : white_space;
        n = k ? sizeof(control_or_format) / sizeof(range_t)
              : sizeof(white_space) / sizeof(range_t);

        for (i = 0; i < n; i++) {
            edge[0] = r[i].first;
            edge[1] = r[i].last;

            for (c = 0; c < 2; c++) {
                if (edge[c] > 0xffff) {
                    continue;
                }

                snprintf(ch, sizeof(ch), "\\u%04x", (unsigned) edge[c]);
                in_middle = !in_ranges(control_or_format,
                                       sizeof(control_or_format)
                                       / sizeof(range_t), edge[c]);

                snprintf(what, sizeof(what), "U+%04X first in a name",
                         (unsigned) edge[c]);
                snprintf(body, sizeof(body), "[{\"op\":\"add\","
                         "\"path\":\"/%sx\",\"value\":\"x\"}]", ch);
                validate(V21, body, E0001, what);

                snprintf(what, sizeof(what), "U+%04X last in a name",
                         (unsigned) edge[c]);
                snprintf(body, sizeof(body), "[{\"op\":\"add\","
                         "\"path\":\"/x%s\",\"value\":\"x\"}]", ch);
                validate(V21, body, E0001, what);

                snprintf(what, sizeof(what), "U+%04X inside a name",
                         (unsigned) edge[c]);
                snprintf(body, sizeof(body), "[{\"op\":\"add\","
                         "\"path\":\"/x%sx\",\"value\":\"x\"}]", ch);

                if (in_middle) {
                    validate(V21, body, OK, what);

                } else {
                    validate(V21, body, E0001, what);
                }
            }
        }
    }

    for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        n = utf8_of(plain[i], ch);
        ch[n] = '\0';

        if (plain[i] == '"' || plain[i] == '\\' || plain[i] == '/'
            || plain[i] == '~')
        {
            continue;
        }

        snprintf(body, sizeof(body), "[{\"op\":\"add\",\"path\":\"/%sx%s\","
                 "\"value\":\"x\"}]", ch, ch);
        snprintf(what, sizeof(what), "U+%04X at both ends of a name",
                 (unsigned) plain[i]);

        if (in_ranges(control_or_format,
                      sizeof(control_or_format) / sizeof(range_t), plain[i])
            || in_ranges(white_space, sizeof(white_space) / sizeof(range_t),
                         plain[i]))
        {
            validate(V21, body, E0001, what);

        } else {
            validate(V21, body, OK, what);
        }
    }

    /* 255 characters: plain, escaped, non-ASCII */
    s = repeat("[{\"op\":\"add\",\"path\":\"/", "a", 255,
               "\",\"value\":\"x\"}]");
    validate(V21, s, OK, "attribute name of 255 bytes");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/", "a", 254,
               "~0\",\"value\":\"x\"}]");
    validate(V21, s, OK, "attribute name of 254 bytes and ~0");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/", "a", 255,
               "~1\",\"value\":\"x\"}]");
    validate(V21, s, E0001, "attribute name of 255 bytes and ~1");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/", "\xe4\xb8\xad", 256,
               "\",\"value\":\"x\"}]");
    validate(V21, s, E0001, "attribute name of 256 CJK characters");
    free(s);

    s = repeat("[{\"op\":\"add\",\"path\":\"/ ", "\xe4\xb8\xad", 253,
               " \",\"value\":\"x\"}]");
    validate(V21, s, E0001, "attribute name with spaces at both ends");
    free(s);

    /* escapes: "~1" is "/", "~0" is "~", nothing else after a "~" */
    validate(V21, "[{\"op\":\"add\",\"path\":\"/~1\",\"value\":\"x\"}]", OK,
             "attribute '/'");
    validate(V21, "[{\"op\":\"add\",\"path\":\"/~0\",\"value\":\"x\"}]", OK,
             "attribute '~'");
    validate(V21, "[{\"op\":\"add\",\"path\":\"/~\",\"value\":\"x\"}]", E0001,
             "a lone '~'");
    validate(V21, "[{\"op\":\"add\",\"path\":\"/a~/\",\"value\":\"x\"}]",
             E0001, "'~/'");
    validate(V21, "[{\"op\":\"add\",\"path\":\"/~01\",\"value\":\"x\"}]", OK,
             "attribute '~1'");
    validate(V21, "[{\"op\":\"replace\",\"path\":\"/__os~0bit\","
             "\"value\":\"x\"}]", OK, "__os~bit is custom");
    validate(V21, "[{\"op\":\"replace\",\"path\":\"/n~1ame\","
             "\"value\":\"x\"}]", OK, "n/ame is custom");
    validate(V21, "[{\"op\":\"replace\",\"path\":\"//\",\"value\":\"x\"}]",
             E0001, "two empty tokens");
    validate(V21, "[{\"op\":\"replace\",\"path\":\"x/\",\"value\":\"x\"}]",
             E0001, "no leading '/'");
    validate(V21, "[{\"op\":\"replace\",\"path\":\"~1x\",\"value\":\"x\"}]",
             E0001, "no leading '/', an escape");
    validate(V21, "[{\"op\":\"replace\",\"path\":\" /x\",\"value\":\"x\"}]",
             E0001, "a space before the '/'");
}


/*
 * The exported shape and rules on every row of the table (see
 * validate_buf()).
 */

static void
test_exported_shape_and_rules(void)
{
    size_t               i;
    exported_t           ex;
    ims_verdict_t        v;
    ims_patch_conf_t     conf;
    const patch_case_t  *c;

    ims_patch_conf_init(&conf);

    for (i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++) {
        c = &patch_cases[i];

        if (c->code == IMS_IMG_0007) {
            continue;                   /* the gate's own, before reading */
        }

        ex.dialect = c->dialect;
        ex.conf = &conf;

        ims_verdict_pass(&v);
        ims_read_patch_jansson((const ims_uchar_t *) c->body, strlen(c->body),
                               &conf, exported_emit, &ex, &v);

        check(v.status == c->status && v.code == c->code,
              "ims_op_from_members() and ims_op_judge()", c->body, v.detail);
    }
}


/* operator policies: exact names, or a prefix when the entry ends in "*" */

static int
match_list(void *data, const ims_uchar_t *p, size_t len)
{
    size_t        n;
    const char  **name;

    for (name = data; *name; name++) {
        n = strlen(*name);

        if ((*name)[n - 1] == '*' ? (len >= n - 1
                                     && memcmp(*name, p, n - 1) == 0)
                                  : (len == n && memcmp(*name, p, n) == 0))
        {
            return 1;
        }
    }

    return 0;
}


static int
match_lowercase(void *data, const ims_uchar_t *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] < 'a' || p[i] > 'z') {
            return 0;
        }
    }

    return 1;
}


static int
match_any(void *data, const ims_uchar_t *p, size_t len)
{
    return 1;
}


static void
judge(const ims_patch_conf_t *conf, const char *body, int status,
    ims_code_t code, const char *what)
{
    char           got[IMS_DETAIL_MAX + 32];
    exported_t     ex;
    ims_verdict_t  v;

    ims_patch_validate(V21, (const ims_uchar_t *) body, strlen(body), conf,
                       &v);

    snprintf(got, sizeof(got), "%d %s %s", v.status, ims_code_name(v.code),
             v.detail);
    check(v.status == status && v.code == code, what, body, got);

    /* the same through ims_op_from_members() and ims_op_judge() */
    ex.dialect = V21;
    ex.conf = conf;
    ims_verdict_pass(&v);
    ims_read_patch_jansson((const ims_uchar_t *) body, strlen(body), conf,
                           exported_emit, &ex, &v);
    check(v.status == status && v.code == code, what, body, v.detail);
}


#define OP(o, p, v)  "[{\"op\":\"" o "\",\"path\":\"/" p "\",\"value\":" v "}]"


static void
test_policy(void)
{
    ims_patch_conf_t    conf;
    static const char  *system[] = { "secret", "__support_arm", "name",
                                     "__description", NULL };
    static const char  *editable[] = { "__support_*", "min_ram", NULL };

    ims_patch_conf_init(&conf);

    conf.is_system = match_list;
    conf.is_system_data = system;
    conf.is_editable = match_list;
    conf.is_editable_data = editable;

    judge(&conf, OP("add", "secret", "\"x\""), E0105, "extra system");
    judge(&conf, OP("add", "secrets", "\"x\""), OK, "exact, not prefix");
    judge(&conf, OP("add", "min_ram", "\"1\""), OK, "made editable");
    judge(&conf, OP("add", "__support_kvm", "\"true\""), OK,
          "made editable by pattern");
    judge(&conf, OP("add", "__support_arm", "\"true\""), E0105,
          "explicit system wins over editable");
    judge(&conf, OP("add", "__imagetype", "\"gold\""), E0105,
          "built-in catalog still applies");
    judge(&conf, OP("replace", "name", "\"ok\""), E0105,
          "an operator can make name a system attribute");
    judge(&conf, OP("replace", "__description", "\"ok\""), E0105,
          "an operator can make __description a system attribute");

    conf.is_system_data = editable;
    judge(&conf, OP("replace", "name", "\"ok\""), OK, "name is editable");
    judge(&conf, OP("replace", "name", "\"a/b\""), E0003,
          "name keeps its rule when an operator lists other attributes");
    judge(&conf, OP("replace", "__description", "\"<b>\""), E0054,
          "__description keeps its rule");
    conf.is_system_data = system;

    conf.forbidden_status = 403;
    judge(&conf, OP("add", "secret", "\"x\""), 403, IMS_IMG_0105,
          "forbidden status 403");
    judge(&conf, OP("add", "custom", "1"), E0001,
          "other errors keep 400");

    ims_patch_conf_init(&conf);
    conf.name_max_chars = 4;
    judge(&conf, OP("replace", "name", "\"abcd\""), OK, "name of 4");
    judge(&conf, OP("replace", "name", "\"abcde\""), E0002, "name of 5");

    conf.name_pattern = match_lowercase;
    judge(&conf, OP("replace", "name", "\"abc\""), OK, "name pattern");
    judge(&conf, OP("replace", "name", "\"aBc\""), E0003,
          "name pattern mismatch");
    judge(&conf, OP("replace", "name", "\"\""), E0013,
          "empty name with a pattern");
    judge(&conf, OP("replace", "name", "\"\\ud83d\\ude00\""), E0003,
          "a name outside the BMP, with a pattern");
    judge(&conf, OP("replace", "name", "\"ab\\u0000\""), E0003,
          "a name the pattern refuses");
    judge(&conf, OP("replace", "name", "5"), E0003,
          "a number for a name, with a pattern");
    judge(&conf, OP("replace", "name", "\" abc\""), E0003,
          "a pattern: the pattern decides, a space is no letter");

    /* the pattern replaces the character rule: "!" and "/" are its call */
    conf.name_pattern = match_any;
    judge(&conf, OP("replace", "name", "\"a!/c\""), OK,
          "a pattern that takes any name: ASCII");
    judge(&conf, OP("replace", "name", "\"\xc3\xa9!\""), OK,
          "a pattern that takes any name: non-ASCII");

    ims_patch_conf_init(&conf);
    conf.description_max_chars = 3;
    judge(&conf, OP("add", "__description", "\"abc\""), OK,
          "description of 3");
    judge(&conf, OP("add", "__description", "\"abcd\""), E0004,
          "description of 4");

    check(ims_patch_conf_set_forbidden(&conf,
                                       (const ims_uchar_t *) "#\xe4\xb8\xad",
                                       4) == 0,
          "forbidden characters", "", NULL);
    judge(&conf, OP("add", "__description", "\"a<\""), OK,
          "'<' allowed once not forbidden");
    judge(&conf, OP("add", "__description", "\"#\""), E0054,
          "forbidden '#'");
    judge(&conf, OP("add", "__description", "\"\xe4\xb8\xad\""), E0054,
          "forbidden CJK character");

    /*
     * the first character of the set, non-ASCII; U+0080, the first
     * character past ASCII; DEL, the last ASCII one
     */
    check(ims_patch_conf_set_forbidden(&conf, (const ims_uchar_t *)
                                       "\xc2\x80\x7f\xe4\xb8\xad", 6)
          == 0, "forbidden U+0080, DEL and a CJK character", "", NULL);
    judge(&conf, OP("add", "__description", "\"a\xc2\x80\""), E0054,
          "forbidden U+0080");
    judge(&conf, OP("add", "__description", "\"a\\u0080\""), E0054,
          "forbidden U+0080, escaped");
    judge(&conf, OP("add", "__description", "\"\\u007f\""), E0054,
          "forbidden DEL, escaped");
    judge(&conf, OP("add", "__description", "\"\x7f\""), E0054,
          "forbidden DEL");
    judge(&conf, OP("add", "__description", "\"\xe4\xb8\xad\x7f\""),
          E0054, "forbidden DEL beside a CJK character");
    judge(&conf, OP("add", "__description", "\"\xc2\x81~<\""), OK,
          "U+0081 and '~' not forbidden");
    check(ims_patch_conf_set_forbidden(&conf, (const ims_uchar_t *) "\xff",
                                       1) != 0,
          "invalid forbidden characters", "", NULL);

    /* at most 32 forbidden characters */
    check(ims_patch_conf_set_forbidden(&conf, (const ims_uchar_t *)
                                       "abcdefghijklmnopqrstuvwxyz012345",
                                       32) == 0
          && conf.description_forbidden_n == 32,
          "32 forbidden characters", "", NULL);
    judge(&conf, OP("add", "__description", "\"5\""), E0054,
          "the 32nd forbidden character");
    judge(&conf, OP("add", "__description", "\"6<>\""), OK,
          "not a forbidden character");
    check(ims_patch_conf_set_forbidden(&conf, (const ims_uchar_t *)
                                       "abcdefghijklmnopqrstuvwxyz0123456",
                                       33) != 0,
          "33 forbidden characters", "", NULL);
    check(ims_patch_conf_set_forbidden(&conf, (const ims_uchar_t *) "", 0)
          == 0 && conf.description_forbidden_n == 0,
          "no forbidden character", "", NULL);
    judge(&conf, OP("add", "__description", "\"<\\r>\""), OK,
          "nothing forbidden");

    ims_patch_conf_init(&conf);
    conf.max_ops = 1;
    judge(&conf, "[{\"op\":\"remove\",\"path\":\"/a\"}]", OK, "1 op");
    judge(&conf, "[{\"op\":\"remove\",\"path\":\"/a\"},"
                 "{\"op\":\"remove\",\"path\":\"/a\"}]", E0001,
          "2 ops over a limit of 1");

    conf.max_depth = 2;
    judge(&conf, OP("add", "a", "\"x\""), OK, "depth 2");
    judge(&conf, OP("remove", "a", "[]"), E0001, "depth 3 over 2");
}


/*
 * The incremental gate the module uses (ims_patch_begin(), _feed(),
 * _end()): a body in pieces gets the verdict of the whole, a body of
 * JSON whitespace is IMG.0007 however it is cut, and a scratch too small
 * to read with is an internal error, never a pass.
 */

static void
test_patch_pieces(void)
{
    int                rc;
    char               what[256];
    size_t             i, k, len, size;
    ims_patch_t        pt;
    ims_uchar_t       *scratch;
    ims_verdict_t      v;
    ims_patch_conf_t   conf;
    static const struct {
        const char    *piece[4];
        int            status;
        ims_code_t     code;
    } cases[] = {
        { { " ", " \r\n", "\t", NULL }, E0007 },
        { { "", "", NULL }, E0007 },
        { { NULL }, E0007 },
        { { " ", "[]", NULL }, OK },
        { { "[", "]", NULL }, OK },
        { { "[]", " ", NULL }, OK },
        { { "", "[", "", "]" }, OK },
        { { "\t", "[{\"op\":\"remove\",\"path\":\"/__os_bit\"}", "]", NULL },
          E0105 },
        { { "[", "", NULL }, E0001 },
        { { " ", "x", NULL }, E0001 },
        { { "[]", "x", NULL }, E0001 },
    };

    ims_patch_conf_init(&conf);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        len = 0;
        what[0] = '\0';

        for (k = 0; k < 4 && cases[i].piece[k]; k++) {
            len += strlen(cases[i].piece[k]);
            snprintf(what + strlen(what), sizeof(what) - strlen(what),
                     "'%s' ", cases[i].piece[k]);
        }

        size = ims_patch_scratch_size(&conf, len);
        scratch = malloc(size);

        rc = ims_patch_begin(&pt, V21, &conf, scratch, size, &v);

        for (k = 0; rc == 0 && k < 4 && cases[i].piece[k]; k++) {
            rc = ims_patch_feed(&pt, (const ims_uchar_t *) cases[i].piece[k],
                                strlen(cases[i].piece[k]), &v);
        }

        if (rc == 0) {
            rc = ims_patch_end(&pt, &v);
        }

        check(v.status == cases[i].status && v.code == cases[i].code
              && (rc == 0) == (cases[i].status == 0),
              "a body in pieces", what, v.detail);

        free(scratch);
    }

    scratch = malloc(64);
    rc = ims_patch_begin(&pt, V21, &conf, scratch, 0, &v);
    check(rc != 0 && v.status == 500, "no room to read the body", "", v.detail);
    rc = ims_patch_begin(&pt, V21, &conf, NULL, 4096, &v);
    check(rc != 0 && v.status == 500, "no scratch to read the body", "",
          v.detail);
    free(scratch);

    /*
     * one buffer so large that no scratch can be had for it (over
     * PTRDIFF_MAX, which malloc() refuses): a 500 without an IMS code,
     * before a byte of the body is read
     */
    ims_patch_validate(V21, (const ims_uchar_t *) "[]", SIZE_MAX / 2, &conf,
                       &v);
    check(v.status == 500 && v.code == IMS_OK
          && strcmp(v.detail, "No room to read the body.") == 0,
          "no scratch for a body of SIZE_MAX / 2 bytes", "", v.detail);
}


/*
 * Before ims_core_init() every entry point refuses, and every name counts
 * as a system attribute: the safe side, never a pass with empty catalogs.
 * Runs first, before anything initializes the core.
 */

static void
test_core_init_first(void)
{
    size_t            i;
    ims_verdict_t     v;
    ims_uchar_t       scratch[16], big[64];
    ims_patch_t       pt;
    ims_patch_conf_t  conf;
    ims_query_conf_t  query;

    memset(&conf, 0, sizeof(ims_patch_conf_t));
    memset(&query, 0, sizeof(ims_query_conf_t));
    memset(scratch, 0xff, sizeof(scratch));

    check(!ims_core_ready(), "the core starts uninitialized", "", NULL);
    check(ims_is_system_attribute((const ims_uchar_t *) "lbl", 3),
          "before ims_core_init(): every name is a system attribute", "lbl",
          NULL);
    check(ims_patch_begin(&pt, IMS_PATCH_V21, &conf, scratch,
                          sizeof(scratch), &v) != 0
          && v.status == 500, "before ims_core_init(): no patch is read",
          "", v.detail);
    check(ims_patch_validate_jansson(IMS_PATCH_V21,
                                     (const ims_uchar_t *) "[]", 2, &conf,
                                     &v) != 0
          && v.status == 500, "before ims_core_init(): nor with jansson",
          "[]", v.detail);
    check(ims_patch_validate(IMS_PATCH_V21, (const ims_uchar_t *) "[]", 2,
                             &conf, &v) != 0
          && v.status == 500, "before ims_core_init(): nor in one buffer",
          "[]", v.detail);
    check(ims_query_validate(&query, (const ims_uchar_t *) "limit=1", 7,
                             scratch, &v) != 0
          && v.status == 500, "before ims_core_init(): no query is judged",
          "limit=1", v.detail);
    check(ims_stream_init(&pt.stream, &conf, NULL, NULL, scratch,
                          sizeof(scratch)) == IMS_STREAM_NOMEM
          && ims_stream_feed(&pt.stream, (const ims_uchar_t *) "[]", 2, &v)
             == IMS_STREAM_NOMEM
          && v.status == 500 && strstr(v.detail, "ims_core_init()") != NULL,
          "before ims_core_init(): the stream reader refuses", "",
          v.detail);

    ims_core_init();
    ims_core_init();

    check(ims_core_ready()
          && !ims_is_system_attribute((const ims_uchar_t *) "lbl", 3)
          && ims_is_system_attribute((const ims_uchar_t *) "status", 6),
          "after ims_core_init() (twice): the catalog", "", NULL);

    /* the catalog's own init again, directly: nothing changes */
    ims_attrs_init();
    check(!ims_is_system_attribute((const ims_uchar_t *) "lbl", 3)
          && ims_is_system_attribute((const ims_uchar_t *) "status", 6)
          && ims_is_system_attribute((const ims_uchar_t *) "os_glance_x", 11)
          && ims_system_attribute_count() == 70,
          "after ims_attrs_init() again: the catalog", "", NULL);

    /* and the query index's, more times than it has buckets */
    for (i = 0; i < 300; i++) {
        ims_query_index_init();
    }

    query.reject_unknown = 1;
    check(ims_query_validate(&query, (const ims_uchar_t *) "limit=1&"
                             "__os_bit=64", 19, big, &v) == 0
          && ims_query_validate(&query, (const ims_uchar_t *) "limitt=1", 8,
                                big, &v) != 0,
          "after ims_query_index_init() 300 times: the parameters", "",
          v.detail);
}


int
main(void)
{
    test_core_init_first();
    test_patch_cases();
    test_path_scan();
    test_limits();
    test_catalog();
    test_media_types();
    test_text();
    test_unicode_classes();
    test_utf8();
    test_escape();
    test_error_codes();
    test_name_rule();
    test_description_rule();
    test_custom_values();
    test_attribute_names();
    test_exported_shape_and_rules();
    test_patch_pieces();
    test_routes();
    test_method_override();
    test_route_headers();
    test_route_prefix();
    test_policy();
    test_query();
    test_stream();

    printf("%d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
