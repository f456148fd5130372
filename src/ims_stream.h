
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The streaming reader: a single-pass, allocation-free JSON-patch reader
 * with the contract of ims_read_patch_jansson(): the same member records
 * in the same order, and the same verdict status and code, on every body.
 *
 *   ims_stream_init()    with a scratch buffer of any alignment and at
 *                        least ims_stream_scratch_size(conf, len) bytes for
 *                        a body of len bytes (about 1.19 * len + 650 with
 *                        the default limits);
 *   ims_stream_feed()    with each piece of the body in order, of any size,
 *                        empty ones included; a piece may be freed or
 *                        reused as soon as the call returns;
 *   ims_stream_finish()  at the end of the body.
 *
 * emit() is called as each operation object closes, in document order,
 * until it first returns -1; the ims_members_t and its strings are valid
 * until it returns.  Its verdict is reported by ims_stream_finish() only
 * if the rest of the document is sound, because document errors win: on
 * one, ims_stream_feed() returns IMS_STREAM_REJECT at once and the rest of
 * the body need not be read.  A scratch smaller than the formula may end
 * in IMS_STREAM_NOMEM (a 500 verdict), never in a write outside it.
 */


#ifndef _IMS_STREAM_H_INCLUDED_
#define _IMS_STREAM_H_INCLUDED_


#include "ims.h"


/* jansson's own nesting limit, which the gateway inherits */
#define IMS_STREAM_JSON_DEPTH  2048

/* ims_read_patch_stream() keeps its scratch on the stack up to this size */
#ifndef IMS_STREAM_STACK_MAX
#define IMS_STREAM_STACK_MAX   (256 * 1024)
#endif

/* ims_stream_feed() and ims_stream_finish() return values */
#define IMS_STREAM_OK       0       /* feed: go on; finish: the body passes */
#define IMS_STREAM_REJECT  -1       /* verdict set */
#define IMS_STREAM_NOMEM   -2       /* scratch too small: verdict 500 set */


typedef struct {
    uint32_t             keys;      /* offset of the first member record */
    uint32_t             nkeys;
    uint32_t             flags;
} ims_stream_frame_t;


typedef struct {
    /* limits and the consumer */
    size_t               max_depth;
    size_t               max_ops;
    ims_emit_pt          emit;
    void                *data;

    /* scratch layout, see ims_reader_stream.c */
    ims_uchar_t         *base;
    ims_stream_frame_t  *frames;
    ims_uchar_t         *top;           /* records grow up to here */
    ims_uchar_t         *vtop;          /* operation strings grow down */
    ims_uchar_t         *end;
    uint32_t            *buckets;
    uint32_t             mask;
    unsigned             buckets_ready:1;

    /* the parser */
    unsigned             state;
    int                  rc;
    size_t               pos;           /* bytes fed before this piece */
    size_t               depth;
    size_t               ops;

    /* the string being read */
    ims_uchar_t         *dst;           /* NULL when not kept */
    ims_uchar_t         *rec;           /* its record */
    uint32_t             cp;
    uint32_t             high;          /* a pending high surrogate */
    unsigned             hex_n:3;
    unsigned             need:2;        /* UTF-8 continuation bytes left */
    unsigned             name;          /* a member name, not a value */
    ims_uchar_t          lo;
    ims_uchar_t          hi;

    /* the number being read: just enough to tell a double overflow */
    uint64_t             nint;          /* integer digits */
    uint64_t             fzero;         /* leading zeros of the fraction */
    uint64_t             exp;
    unsigned             tpos;          /* digits compared with the limit */
    int                  tcmp;
    unsigned             sig:1;
    unsigned             eneg:1;

    const char          *lit;           /* the rest of a literal */
    unsigned             op_failed;
    unsigned             seen;          /* of the six member names */

    int                  member;        /* of the current operation name */
    ims_members_t        m;
    uint64_t             k0;
    uint64_t             k1;
    ims_verdict_t        verdict;
} ims_stream_t;


size_t ims_stream_scratch_size(const ims_patch_conf_t *conf, size_t len);
int ims_stream_init(ims_stream_t *s, const ims_patch_conf_t *conf,
    ims_emit_pt emit, void *data, ims_uchar_t *scratch, size_t size);
int ims_stream_feed(ims_stream_t *s, const ims_uchar_t *p, size_t len,
    ims_verdict_t *v);
int ims_stream_finish(ims_stream_t *s, ims_verdict_t *v);

int ims_read_patch_stream_scratch(const ims_uchar_t *body, size_t len,
    const ims_patch_conf_t *conf, ims_emit_pt emit, void *data,
    ims_uchar_t *scratch, size_t size, ims_verdict_t *v);
int ims_read_patch_stream(const ims_uchar_t *body, size_t len,
    const ims_patch_conf_t *conf, ims_emit_pt emit, void *data,
    ims_verdict_t *v);


/* the PATCH body gate over the streaming reader, fed piece by piece */

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


#endif /* _IMS_STREAM_H_INCLUDED_ */
