
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
#include <jansson.h>

#include "ims.h"
#include "ims_stream.h"
#include "unit.h"


static int  passed, failed;


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


/* every error body must be valid JSON with exactly the expected code */

void
check_error_body(const ims_verdict_t *v, const char *input)
{
    size_t        size, len;
    json_t       *root;
    ims_uchar_t  *buf;
    const char   *code, *message;

    /* exactly the announced size: ASan catches a byte written past it */
    size = ims_error_body_size(v);
    buf = malloc(size);
    len = ims_error_body(v, buf);

    check(len == size, "error body size", input, NULL);

    root = json_loadb((char *) buf, len,
                      JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    code = NULL;
    message = NULL;

    if (root) {
        json_unpack(root, "{s:{s:s,s:s}}", "error", "code", &code,
                    "message", &message);
    }

    check(root && code && message
          && strcmp(code, ims_code_name(v->code)) == 0
          && strncmp(message, ims_code_text(v->code),
                     strlen(ims_code_text(v->code))) == 0
          && strchr(message, '<') == NULL,
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


static void
validate_buf(ims_dialect_t dialect, const char *body, size_t len,
    int status, ims_code_t code, const char *what)
{
    ims_verdict_t     v;
    ims_patch_conf_t  conf;

    ims_patch_conf_init(&conf);
    ims_patch_validate(dialect, (const ims_uchar_t *) body, len, &conf, &v);

    check(v.status == status && v.code == code, what, "", v.detail);

    if (v.status) {
        check_error_body(&v, what);
    }
}


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


/* every catalog entry, every op, both dialects; case-sensitive */

static void
test_catalog(void)
{
    size_t       i, k;
    char         body[512], what[128];
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

    check(ims_system_attribute_count() == 70, "catalog size", "", NULL);

    for (i = 0; (name = ims_system_attribute_name(i)) != NULL; i++) {
        for (k = 0; k < 3; k++) {
            snprintf(what, sizeof(what), "system attribute %s", name);

            snprintf(body, sizeof(body), fmt21[k], name);
            validate_buf(V21, body, strlen(body), E0105, what);

            snprintf(body, sizeof(body), fmt20[k], name);
            validate_buf(V20, body, strlen(body), E0105, what);
        }

        check(!ims_is_system_attribute((const ims_uchar_t *) name + 1,
                                       strlen(name) - 1),
              "catalog suffix is not a system attribute", name, NULL);

        /* the rules judge these two before any catalog lookup */
        check(strcmp(name, "name") != 0 && strcmp(name, "__description") != 0,
              "the catalog leaves out the attributes with rules", name, NULL);
    }
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
};


static void
test_media_types(void)
{
    size_t               i;
    unsigned             changes;
    const char          *why;
    ims_dialect_t        d;
    const media_case_t  *c;

    for (i = 0; i < sizeof(media_cases) / sizeof(media_cases[0]); i++) {
        c = &media_cases[i];
        why = NULL;

        d = ims_media_type_parse((const ims_uchar_t *) c->value,
                                 strlen(c->value), &changes, &why);

        check(d == c->dialect, "media type", c->value, why);
        check(d == NONE || changes == c->changes, "media type changes",
              c->value, NULL);
        check(d != NONE || why != NULL, "media type says why", c->value,
              NULL);
    }

    check(strcmp((const char *) ims_media_type_canonical(V21)->data,
                  ims_media_type_v21) == 0
          && ims_media_type_canonical(V21)->len == strlen(ims_media_type_v21)
          && strcmp((const char *) ims_media_type_canonical(V20)->data,
                    ims_media_type_v20) == 0
          && ims_media_type_canonical(V20)->len == strlen(ims_media_type_v20)
          && ims_media_type_canonical(NONE) == NULL,
          "canonical media types", "", NULL);
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
        rq.method.data = (const ims_uchar_t *) cases[i].method;
        rq.method.len = strlen(cases[i].method);
        rq.path.data = (const ims_uchar_t *) cases[i].path;
        rq.path.len = strlen(cases[i].path);

        id.data = NULL;
        id.len = 0;

        route = ims_route(cases[i].prefix == 2 ? &images
                          : cases[i].prefix ? &image : &none, &rq, &id, &v);

        check(route == cases[i].route && v.status == 0, "route",
              cases[i].path, cases[i].method);

        if (route != IMS_ROUTE_PATCH) {
            continue;
        }

        if (strstr(cases[i].path, ID)) {
            check(id.len == 36 && memcmp(id.data, ID, 36) == 0,
                  "route image id", cases[i].path, NULL);

        } else {
            check(id.len == 1 && id.data[0] == 'x', "route image id",
                  cases[i].path, NULL);
        }
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
        rq.args.data = (const ims_uchar_t *) cases[i].args;
        rq.args.len = strlen(cases[i].args);
        rq.content_type.data = (const ims_uchar_t *) cases[i].content_type;
        rq.content_type.len = strlen(cases[i].content_type);
        rq.override_header = cases[i].header;

        (void) ims_route(&none, &rq, &id, &v);

        if (!cases[i].reject) {
            check(v.status == 0, "no method override", cases[i].args,
                  cases[i].content_type);
            continue;
        }

        check(v.status == 400 && v.code == IMS_IMG_0017
              && strstr(v.detail, "Method override is not supported")
              && strstr(v.detail, cases[i].detail),
              "method override refused", cases[i].args, v.detail);
    }

    check(ims_method_override_in_query((const ims_uchar_t *) "_method", 7)
          && !ims_method_override_in_query((const ims_uchar_t *) "_metho", 6),
          "override in a query of 7 and 6 bytes", "_method", NULL);
}


/* the headers the route model reads, by their lowercase names */

static void
test_route_headers(void)
{
    size_t  i;
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
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check(ims_route_header((const ims_uchar_t *) cases[i].name,
                               strlen(cases[i].name)) == cases[i].kind,
              "header kind", cases[i].name, NULL);
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
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&conf, 0, sizeof(ims_route_conf_t));

        if (cases[i].kept == NULL) {
            check(ims_route_conf_set_prefix(&conf,
                                      (const ims_uchar_t *) cases[i].value,
                                      strlen(cases[i].value)) != 0,
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

    ims_escape(buf, sizeof(buf), (const ims_uchar_t *) "a\"<\\", 4);
    check(strcmp(buf, "a\\u0022\\u003c...") == 0, "escape", buf, NULL);

    ims_escape(buf, sizeof(buf), (const ims_uchar_t *) "\xe4\xb8\xad\xff", 4);
    check(strcmp(buf, "\xe4\xb8\xad\\u00ff") == 0, "escape utf-8", buf, NULL);

    ims_escape(buf, sizeof(buf), (const ims_uchar_t *) "\xc2\x85\xe2\x80\xa8",
               5);
    check(strcmp(buf, "\\u0085\\u2028") == 0, "escape C1 and U+2028", buf,
          NULL);
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


static void
judge(const ims_patch_conf_t *conf, const char *body, int status,
    ims_code_t code, const char *what)
{
    char           got[IMS_DETAIL_MAX + 32];
    ims_verdict_t  v;

    ims_patch_validate(V21, (const ims_uchar_t *) body, strlen(body), conf,
                       &v);

    snprintf(got, sizeof(got), "%d %s %s", v.status, ims_code_name(v.code),
             v.detail);
    check(v.status == status && v.code == code, what, body, got);
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
    check(ims_patch_conf_set_forbidden(&conf, (const ims_uchar_t *) "\xff",
                                       1) != 0,
          "invalid forbidden characters", "", NULL);

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
 * Before ims_core_init() every entry point refuses, and every name counts
 * as a system attribute: the safe side, never a pass with empty catalogs.
 * Runs first, before anything initializes the core.
 */

static void
test_core_init_first(void)
{
    ims_verdict_t     v;
    ims_uchar_t       scratch[16];
    ims_patch_t       pt;
    ims_patch_conf_t  conf;
    ims_query_conf_t  query;

    memset(&conf, 0, sizeof(ims_patch_conf_t));
    memset(&query, 0, sizeof(ims_query_conf_t));

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
    check(ims_query_validate(&query, (const ims_uchar_t *) "limit=1", 7,
                             scratch, &v) != 0
          && v.status == 500, "before ims_core_init(): no query is judged",
          "limit=1", v.detail);

    ims_core_init();
    ims_core_init();

    check(ims_core_ready()
          && !ims_is_system_attribute((const ims_uchar_t *) "lbl", 3)
          && ims_is_system_attribute((const ims_uchar_t *) "status", 6),
          "after ims_core_init() (twice): the catalog", "", NULL);
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
