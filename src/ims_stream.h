
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


#ifndef _IMS_H_INCLUDED_
#error "ims_stream.h is included by ims.h"
#endif


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
    ims_uchar_t         *rec_top;       /* name records grow up to here */
    ims_uchar_t         *str_bottom;    /* operation strings grow down */
    ims_uchar_t         *end;
    uint32_t            *buckets;
    uint32_t             bucket_mask;
    unsigned             buckets_ready:1;
    uint64_t             hash_key[2];

    /* the parser */
    unsigned             state;
    int                  rc;
    size_t               offset;        /* bytes fed before this piece */
    size_t               depth;         /* open arrays and objects */
    size_t               ops;           /* operations begun */

    /* the string being read */
    ims_uchar_t         *dst;           /* where it is decoded, or NULL */
    ims_uchar_t         *record;        /* the record of a member name */
    unsigned             in_name:1;     /* a member name, not a value */
    unsigned             hex_digits:3;  /* of a \u escape, read so far */
    unsigned             utf8_left:2;   /* continuation bytes to come */
    ims_uchar_t          utf8_min;      /* the range of the next one */
    ims_uchar_t          utf8_max;
    uint32_t             escape;        /* the code point of a \u escape */
    uint32_t             high_surrogate;    /* waiting for its low half */

    /* the number being read: just enough to tell a double overflow */
    uint64_t             int_digits;    /* digits before the point */
    uint64_t             frac_zeros;    /* leading zeros of the fraction */
    uint64_t             exponent;      /* saturated at IMS_EXP_MAX */
    unsigned             limit_digits;  /* compared with a double's limit */
    int                  limit_cmp;     /* -1, 0 (equal so far) or 1 */
    unsigned             significant:1; /* a digit other than 0 read */
    unsigned             exp_negative:1;

    const char          *literal;       /* the rest of true, false, null */

    /* the operation being read, a bit per member in op_members */
    unsigned             op_rejected:1; /* emit() refused one */
    unsigned             op_members;    /* of the six, read in this one */
    unsigned             emitted_members;   /* set in the last one emitted */
    int                  value_member;  /* the next value's member, or -1 */
    ims_members_t        op;
    ims_verdict_t        verdict;
} ims_stream_t;


void ims_stream_core_init(void);
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


#endif /* _IMS_STREAM_H_INCLUDED_ */
