
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * ngx_ims_module validation core.
 *
 * Plain C over byte buffers: nothing here knows nginx, so the same code is
 * linked into the module, the unit tests, the fuzzers and the benchmarks.
 *
 * A PATCH body flows through three layers:
 *
 *   reader   bytes -> one ims_members_t per operation object (the six
 *            members the backend looks at, JSON-unescaped);
 *   shape    ims_members_t -> ims_op_t for the dialect (op, decoded
 *            attribute name, value kind, value string);
 *   rules    ims_op_t -> verdict.
 *
 * Only readers touch a JSON library.
 */


#ifndef _IMS_H_INCLUDED_
#define _IMS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <string.h>


typedef unsigned char  ims_uchar_t;


/*
 * The core's one initialization: the catalogs' indexes, built once.  The
 * module calls it at configuration time, and so do ims-check, the tests
 * and the benchmarks; the configurations' init functions call it too,
 * which is how the fuzzers reach it.  Without it every entry point refuses with
 * an internal error rather than judge with an empty catalog.
 */
void ims_core_init(void);
int ims_core_ready(void);


/*
 * Word-at-a-time byte tests: a byte each of 0x01, of 0x80; whether any of
 * the eight bytes of w is zero, or is c (borrows flag only bytes above a
 * true match, so "any" is exact).
 */
#define IMS_ONES   0x0101010101010101ULL
#define IMS_HIGHS  0x8080808080808080ULL

#define ims_has_zero(w)     (((w) - IMS_ONES) & ~(w) & IMS_HIGHS)
#define ims_has_byte(w, c)  ims_has_zero((w) ^ (IMS_ONES * (c)))


/* the few small functions of the hot path inline, rejections out of it */
#if defined(__GNUC__)
#define ims_inline  inline __attribute__((always_inline))
#define ims_cold    __attribute__((cold))
#else
#define ims_inline  inline
#define ims_cold
#endif


/*
 * a and b are equal over len bytes.  Catalog names and words are short,
 * and memcmp() of a length known only at run time is a library call:
 * compared a word at a time, the last word overlapping, within len bytes.
 */

static ims_inline int
ims_equal(const void *a, const void *b, size_t len)
{
    size_t              i;
    uint32_t            x4, y4;
    uint64_t            x8, y8;
    const ims_uchar_t  *p, *q;

    p = a;
    q = b;

    if (len >= 8) {
        for (i = 0; i + 8 < len; i += 8) {
            memcpy(&x8, p + i, 8);
            memcpy(&y8, q + i, 8);

            if (x8 != y8) {
                return 0;
            }
        }

        memcpy(&x8, p + len - 8, 8);
        memcpy(&y8, q + len - 8, 8);

        return x8 == y8;
    }

    if (len >= 4) {
        memcpy(&x4, p, 4);
        memcpy(&y4, q, 4);

        if (x4 != y4) {
            return 0;
        }

        memcpy(&x4, p + len - 4, 4);
        memcpy(&y4, q + len - 4, 4);

        return x4 == y4;
    }

    for (i = 0; i < len; i++) {
        if (p[i] != q[i]) {
            return 0;
        }
    }

    return 1;
}


typedef struct {
    size_t              len;
    const ims_uchar_t  *data;
} ims_str_t;

#define ims_string(s)  { sizeof(s) - 1, (const ims_uchar_t *) s }

#define ims_nelts(a)   (sizeof(a) / sizeof((a)[0]))


/* the value of a hex digit of either case, or -1 */

static ims_inline int
ims_hex(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    ch |= 0x20;

    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }

    return -1;
}


/* IMS error codes the gateway emits; texts live in ims_error.c */
typedef enum {
    IMS_OK = 0,
    IMS_IMG_0001,           /* request message format invalid */
    IMS_IMG_0002,           /* name longer than 128 characters */
    IMS_IMG_0003,           /* name format invalid */
    IMS_IMG_0004,           /* description longer than 1024 characters */
    IMS_IMG_0007,           /* request body empty */
    IMS_IMG_0013,           /* name not specified */
    IMS_IMG_0017,           /* URL format incorrect */
    IMS_IMG_0024,           /* image type incorrect */
    IMS_IMG_0054,           /* description format invalid */
    IMS_IMG_0066,           /* image ID incorrect */
    IMS_IMG_0105,           /* operation not supported */
    IMS_IMG_0122,           /* OS type invalid */
    IMS_CODE_COUNT
} ims_code_t;


#define IMS_DETAIL_MAX  320


typedef struct {
    int             status;         /* 0: pass; else the HTTP status */
    ims_code_t      code;
    size_t          detail_len;
    char            detail[IMS_DETAIL_MAX];  /* JSON-safe, NUL-terminated */
} ims_verdict_t;


void ims_verdict_pass(ims_verdict_t *v);
int ims_reject(ims_verdict_t *v, int status, ims_code_t code,
    const char *fmt, ...) ims_cold
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
size_t ims_escape(char *dst, size_t size, const ims_uchar_t *src,
    size_t len);
const char *ims_code_name(ims_code_t code);
const char *ims_code_text(ims_code_t code);
size_t ims_error_body_size(const ims_verdict_t *v);
size_t ims_error_body(const ims_verdict_t *v, ims_uchar_t *buf);


/* text helpers */

#define IMS_UTF8_INVALID  0xFFFFFFFFu

uint32_t ims_utf8_next(const ims_uchar_t **pp, const ims_uchar_t *last);
int ims_utf8_valid(const ims_uchar_t *p, size_t len);
int ims_is_white_space(uint32_t c);
int ims_is_control_or_format(uint32_t c);
int ims_uuid_is_canonical(const ims_uchar_t *p, size_t len);


/* routes (docs/rules.md, "Routes") */

typedef enum {
    IMS_ROUTE_PATCH = 0,            /* PATCH {api}/images/{image_id} */
    IMS_ROUTE_QUERY,                /* GET or HEAD {api}/cloudimages */
    IMS_ROUTE_OTHER,                /* only the method-override check */
    IMS_ROUTE_COUNT
} ims_route_t;


/* the API's path prefix, if the deployment mounts it under one */
typedef struct {
    ims_str_t       prefix;         /* without "/" at either end; may be "" */
} ims_route_conf_t;


/* what the route model reads of a request */
typedef struct {
    ims_str_t       method;
    ims_str_t       path;           /* normalized: decoded, "//" merged */
    ims_str_t       args;           /* the raw query string, without "?" */
    ims_str_t       content_type;   /* see ims_route_add_content_type() */
    unsigned        override_header:1;  /* one of the override headers */
} ims_request_t;


/* what a header is to the route model, by its lowercase name */
typedef enum {
    IMS_HEADER_OTHER = 0,
    IMS_HEADER_CONTENT_TYPE,
    IMS_HEADER_OVERRIDE             /* X-HTTP-Method-Override and the like */
} ims_header_t;

int ims_route_conf_set_prefix(ims_route_conf_t *conf, const ims_uchar_t *p,
    size_t len);
ims_header_t ims_route_header(const ims_uchar_t *lowcase_name, size_t len);
void ims_route_add_content_type(ims_request_t *rq, const ims_uchar_t *value,
    size_t len);
ims_route_t ims_route(const ims_route_conf_t *conf, const ims_request_t *rq,
    ims_str_t *image_id, ims_verdict_t *v);
int ims_method_override_in_query(const ims_uchar_t *args, size_t len);


/* Content-Type gate */

typedef enum {
    IMS_PATCH_NONE = 0,
    IMS_PATCH_V20,
    IMS_PATCH_V21
} ims_dialect_t;

extern const char  ims_media_type_v20[];
extern const char  ims_media_type_v21[];
extern const char  ims_accept_patch[];

/* what normalizing a media type changed, for the operator's counters */
#define IMS_MEDIA_CASE        0x01      /* the type was not lowercase */
#define IMS_MEDIA_PARAMETERS  0x02      /* parameters or ";" were dropped */
#define IMS_MEDIA_WHITESPACE  0x04      /* whitespace around the type */

ims_dialect_t ims_media_type_parse(const ims_uchar_t *p, size_t len,
    unsigned *changes, const char **why);
const ims_str_t *ims_media_type_canonical(ims_dialect_t dialect);


/* the reader seam */

typedef enum {
    IMS_JSON_ABSENT = 0,
    IMS_JSON_NULL,
    IMS_JSON_BOOLEAN,
    IMS_JSON_NUMBER,
    IMS_JSON_STRING,
    IMS_JSON_ARRAY,
    IMS_JSON_OBJECT
} ims_json_kind_t;


/*
 * "ascii" is a reader's hint that spares the rules a second look at a
 * string: 1 only if every byte of data is below 0x80 (0 is always safe).
 */
typedef struct {
    ims_json_kind_t      kind;
    unsigned             ascii;     /* kind == IMS_JSON_STRING only */
    size_t               len;       /* kind == IMS_JSON_STRING only */
    const ims_uchar_t   *data;      /* unescaped UTF-8, may hold NUL */
} ims_member_t;


typedef enum {
    IMS_MEMBER_OP = 0,
    IMS_MEMBER_PATH,
    IMS_MEMBER_VALUE,
    IMS_MEMBER_ADD,
    IMS_MEMBER_REPLACE,
    IMS_MEMBER_REMOVE,
    IMS_MEMBER_COUNT
} ims_member_name_t;


typedef struct {
    size_t          index;
    ims_member_t    member[IMS_MEMBER_COUNT];
} ims_members_t;


/* an operator's pattern or list: 1 if it matches the whole name */
typedef int (*ims_match_pt)(void *data, const ims_uchar_t *p, size_t len);

#define IMS_FORBIDDEN_MAX  32


typedef struct {
    size_t          max_depth;      /* the top-level array is depth 1 */
    size_t          max_ops;
    size_t          name_max_chars;
    size_t          description_max_chars;
    int             forbidden_status;   /* for system-attribute edits */

    /* description characters that are refused, as code points */
    size_t          description_forbidden_n;
    uint32_t        description_forbidden[IMS_FORBIDDEN_MAX];
    uint8_t         description_forbidden_ascii[16];    /* a bitmap */

    /*
     * Attribute policy, most explicit first: extra system attributes, then
     * attributes made editable, then the built-in catalog.
     */
    ims_match_pt    is_system;
    void           *is_system_data;
    ims_match_pt    is_editable;
    void           *is_editable_data;

    /* replaces the built-in character rule of "name" when set */
    ims_match_pt    name_pattern;
    void           *name_pattern_data;
} ims_patch_conf_t;

#define IMS_DEFAULT_MAX_DEPTH              32
#define IMS_DEFAULT_MAX_OPS                1000
#define IMS_DEFAULT_IMAGE_NAME_MAX_CHARS   128
#define IMS_DEFAULT_DESCRIPTION_MAX_CHARS  1024
#define IMS_DEFAULT_DESCRIPTION_FORBIDDEN  "\r\n<>"

void ims_patch_conf_init(ims_patch_conf_t *conf);


/*
 * A reader calls "emit" once per operation object, in document order (the
 * jansson reader after checking the whole document, the streaming reader
 * as each object closes); document errors always win over operation
 * errors, so every reader reaches the same verdict.  emit returns 0 to go
 * on, -1 to stop with its verdict.  A reader returns 0 or -1 (verdict
 * set).
 */
typedef int (*ims_emit_pt)(void *data, const ims_members_t *m,
    ims_verdict_t *v);

int ims_read_patch_jansson(const ims_uchar_t *body, size_t len,
    const ims_patch_conf_t *conf, ims_emit_pt emit, void *data,
    ims_verdict_t *v);


/* shape and rules */

typedef enum {
    IMS_OP_ADD = 1,
    IMS_OP_REPLACE,
    IMS_OP_REMOVE
} ims_op_kind_t;

/* the longest attribute name, in bytes, once "~0" and "~1" are decoded */
#define IMS_ATTR_NAME_MAX_BYTES  1024


typedef struct {
    size_t               index;
    ims_op_kind_t        op;
    size_t               name_len;
    const ims_uchar_t   *name;      /* in the path, or in decoded[] */
    ims_json_kind_t      value_kind;
    unsigned             value_ascii;   /* every byte below 0x80 */
    size_t               value_len;
    const ims_uchar_t   *value;
    ims_uchar_t          decoded[IMS_ATTR_NAME_MAX_BYTES];  /* "~0", "~1" */
} ims_op_t;


int ims_op_from_members(ims_dialect_t dialect, const ims_members_t *m,
    ims_op_t *op, ims_verdict_t *v);
int ims_op_judge(const ims_patch_conf_t *conf, const ims_op_t *op,
    ims_verdict_t *v);
void ims_patch_init(void);
int ims_patch_conf_set_forbidden(ims_patch_conf_t *conf,
    const ims_uchar_t *chars, size_t len);
int ims_patch_validate(ims_dialect_t dialect, const ims_uchar_t *body,
    size_t len, const ims_patch_conf_t *conf, ims_verdict_t *v);
int ims_patch_validate_jansson(ims_dialect_t dialect,
    const ims_uchar_t *body, size_t len, const ims_patch_conf_t *conf,
    ims_verdict_t *v);


/*
 * The PATCH body gate fed piece by piece, as the module reads a body: the
 * streaming reader (ims_stream.h) under the rules above.
 */

#include "ims_stream.h"


typedef struct {
    ims_dialect_t            dialect;
    const ims_patch_conf_t  *conf;
    unsigned                 blank:1;   /* only JSON whitespace so far */
    ims_stream_t             stream;
    ims_op_t                 op;
} ims_patch_t;


size_t ims_patch_scratch_size(const ims_patch_conf_t *conf, size_t len);
int ims_patch_begin(ims_patch_t *pt, ims_dialect_t dialect,
    const ims_patch_conf_t *conf, ims_uchar_t *scratch, size_t size,
    ims_verdict_t *v);
int ims_patch_feed(ims_patch_t *pt, const ims_uchar_t *p, size_t len,
    ims_verdict_t *v);
int ims_patch_end(ims_patch_t *pt, ims_verdict_t *v);


/* the query gate */

typedef struct {
    unsigned        reject_unknown:1;
} ims_query_conf_t;

void ims_query_conf_init(ims_query_conf_t *conf);
int ims_query_validate(const ims_query_conf_t *conf, const ims_uchar_t *args,
    size_t len, ims_uchar_t *scratch, ims_verdict_t *v);
void ims_query_index_init(void);


/* the system-attribute catalog */

void ims_attrs_init(void);
int ims_is_system_attribute(const ims_uchar_t *name, size_t len);
size_t ims_system_attribute_count(void);
const char *ims_system_attribute_name(size_t i);


#endif /* _IMS_H_INCLUDED_ */
