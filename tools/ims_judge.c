
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * libims-judge: the validation core behind one entry point for ctypes, so
 * that tools/glance_diff.py can hold the gateway's verdict on a PATCH body
 * next to what Glance's own parser makes of it.
 *
 *   ssize_t ims_judge(int dialect, int reader, const u_char *body,
 *       size_t len, size_t chunk, char *out, size_t size);
 *
 * dialect is 20 (v2.0) or 21 (v2.1); reader is 0 for the streaming reader
 * (the gateway's default path: ims_patch_begin(), ims_patch_feed() with
 * pieces of "chunk" bytes, 0 for the whole body in one piece, then
 * ims_patch_end(), as ngx_http_ims_read_stream() does) or 1 for the
 * reference reader (ims_patch_validate_jansson(), "ims_json_reader
 * jansson").  The default configuration of ims_patch_conf_init() is used.
 *
 * The verdict comes from that real path.  The operations are recorded by a
 * second run of the same reader whose emit callback shapes each operation
 * with ims_op_from_members() and judges it with ims_op_judge(), the calls
 * the gateway's own callback makes: what is recorded is what the rules
 * saw.  The two runs must agree; "record" says how the second one ended.
 *
 * The result is one JSON text in out (not NUL-terminated):
 *
 *   {"status":0,"code":"","detail":"","record":0,
 *    "ops":[{"index":0,"op":"replace","name":"6e616d65",
 *            "kind":"string","value":"78"}, ...]}
 *
 * "name" (the decoded attribute name) and "value" (the unescaped string,
 * null for any other kind) are hex, byte for byte.  Returns the length
 * written, -1 if size is too small (call again with more), -2 on a bad
 * argument, -3 if out of memory.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "ims.h"
#include "ims_stream.h"


#define IMS_JUDGE_STREAM   0
#define IMS_JUDGE_JANSSON  1


typedef struct {
    char           *data;
    size_t          size;
    size_t          n;
    unsigned        overflow:1;
} ims_judge_out_t;


typedef struct {
    ims_dialect_t            dialect;
    const ims_patch_conf_t  *conf;
    ims_judge_out_t         *out;
    size_t                   ops;
    ims_op_t                 op;
} ims_judge_ctx_t;


ssize_t ims_judge(int dialect, int reader, const ims_uchar_t *body,
    size_t len, size_t chunk, char *out, size_t size);

static int ims_judge_emit(void *data, const ims_members_t *m,
    ims_verdict_t *v);
static int ims_judge_stream(const ims_patch_conf_t *conf,
    ims_dialect_t dialect, const ims_uchar_t *body, size_t len,
    size_t chunk, ims_verdict_t *v);
static int ims_judge_record(const ims_patch_conf_t *conf,
    ims_judge_ctx_t *ctx, int reader, const ims_uchar_t *body, size_t len,
    size_t chunk, ims_verdict_t *v);
static void ims_judge_put(ims_judge_out_t *o, const char *s, size_t len);
static void ims_judge_puts(ims_judge_out_t *o, const char *s);
static void ims_judge_hex(ims_judge_out_t *o, const ims_uchar_t *p,
    size_t len);
static void ims_judge_text(ims_judge_out_t *o, const char *p, size_t len);


static const char  *ims_judge_op_names[] = {
    "", "add", "replace", "remove"
};

static const char  *ims_judge_kinds[] = {
    "absent", "null", "boolean", "number", "string", "array", "object"
};


static ims_patch_conf_t  ims_judge_conf;
static unsigned          ims_judge_ready;


ssize_t
ims_judge(int dialect, int reader, const ims_uchar_t *body, size_t len,
    size_t chunk, char *out, size_t size)
{
    int               rc, rec;
    char              num[64];
    ims_verdict_t     v, rv;
    ims_judge_out_t   o;
    ims_judge_ctx_t  *ctx;

    if ((dialect != 20 && dialect != 21)
        || (reader != IMS_JUDGE_STREAM && reader != IMS_JUDGE_JANSSON)
        || (body == NULL && len != 0) || out == NULL)
    {
        return -2;
    }

    if (!ims_judge_ready) {
        ims_patch_conf_init(&ims_judge_conf);
        ims_judge_ready = 1;
    }

    ctx = malloc(sizeof(ims_judge_ctx_t));
    if (ctx == NULL) {
        return -3;
    }

    o.data = out;
    o.size = size;
    o.n = 0;
    o.overflow = 0;

    ctx->dialect = (dialect == 20) ? IMS_PATCH_V20 : IMS_PATCH_V21;
    ctx->conf = &ims_judge_conf;
    ctx->out = &o;
    ctx->ops = 0;

    /* the verdict: the gateway's own path */

    if (reader == IMS_JUDGE_STREAM) {
        rc = ims_judge_stream(&ims_judge_conf, ctx->dialect, body, len,
                              chunk, &v);

    } else {
        rc = ims_patch_validate_jansson(ctx->dialect, body, len,
                                        &ims_judge_conf, &v);
    }

    if (rc == -3) {
        free(ctx);
        return -3;
    }

    /* the operations, as the rules saw them */

    ims_judge_puts(&o, "{\"ops\":[");

    rec = ims_judge_record(&ims_judge_conf, ctx, reader, body, len, chunk,
                           &rv);

    if (rec == -3) {
        free(ctx);
        return -3;
    }

    snprintf(num, sizeof(num), "],\"status\":%d,\"code\":\"", v.status);
    ims_judge_puts(&o, num);
    ims_judge_puts(&o, v.status ? ims_code_name(v.code) : "");
    ims_judge_puts(&o, "\",\"detail\":\"");
    ims_judge_text(&o, v.detail, v.detail_len);

    snprintf(num, sizeof(num), "\",\"record\":%d,\"record_code\":\"",
             rv.status);
    ims_judge_puts(&o, num);
    ims_judge_puts(&o, rv.status ? ims_code_name(rv.code) : "");
    ims_judge_puts(&o, "\"}");

    free(ctx);

    return o.overflow ? -1 : (ssize_t) o.n;
}


/* the gateway's incremental path, fed as nginx would feed it */

static int
ims_judge_stream(const ims_patch_conf_t *conf, ims_dialect_t dialect,
    const ims_uchar_t *body, size_t len, size_t chunk, ims_verdict_t *v)
{
    int           rc;
    size_t        size, n, off;
    ims_patch_t   pt;
    ims_uchar_t  *scratch;

    size = ims_patch_scratch_size(conf, len);

    scratch = malloc(size ? size : 1);
    if (scratch == NULL) {
        return -3;
    }

    rc = ims_patch_begin(&pt, dialect, conf, scratch, size, v);

    for (off = 0; rc == 0 && off < len; off += n) {
        n = (chunk == 0 || chunk > len - off) ? len - off : chunk;
        rc = ims_patch_feed(&pt, body + off, n, v);
    }

    if (rc == 0) {
        rc = ims_patch_end(&pt, v);
    }

    free(scratch);

    return rc;
}


/* the same reader again, with a callback that records each operation */

static int
ims_judge_record(const ims_patch_conf_t *conf, ims_judge_ctx_t *ctx,
    int reader, const ims_uchar_t *body, size_t len, size_t chunk,
    ims_verdict_t *v)
{
    int            rc;
    size_t         size, n, off;
    ims_uchar_t   *scratch;
    ims_stream_t   s;

    ims_verdict_pass(v);

    if (reader == IMS_JUDGE_JANSSON) {
        return ims_read_patch_jansson(body, len, conf, ims_judge_emit, ctx,
                                      v);
    }

    size = ims_stream_scratch_size(conf, len);

    scratch = malloc(size ? size : 1);
    if (scratch == NULL) {
        return -3;
    }

    if (ims_stream_init(&s, conf, ims_judge_emit, ctx, scratch, size)
        != IMS_STREAM_OK)
    {
        *v = s.verdict;
        free(scratch);
        return -1;
    }

    rc = IMS_STREAM_OK;

    for (off = 0; rc == IMS_STREAM_OK && off < len; off += n) {
        n = (chunk == 0 || chunk > len - off) ? len - off : chunk;
        rc = ims_stream_feed(&s, body + off, n, v);
    }

    if (rc == IMS_STREAM_OK) {
        rc = ims_stream_finish(&s, v);
    }

    free(scratch);

    return (rc == IMS_STREAM_OK) ? 0 : -1;
}


static int
ims_judge_emit(void *data, const ims_members_t *m, ims_verdict_t *v)
{
    char              num[32];
    ims_op_t         *op;
    ims_judge_ctx_t  *ctx;
    ims_judge_out_t  *o;

    ctx = data;
    op = &ctx->op;
    o = ctx->out;

    if (ims_op_from_members(ctx->dialect, m, op, v) != 0) {
        return -1;
    }

    if (ims_op_judge(ctx->conf, op, v) != 0) {
        return -1;
    }

    snprintf(num, sizeof(num), "%s{\"index\":%zu", ctx->ops ? "," : "",
             op->index);
    ims_judge_puts(o, num);

    ims_judge_puts(o, ",\"op\":\"");
    ims_judge_puts(o, ims_judge_op_names[op->op]);
    ims_judge_puts(o, "\",\"name\":\"");
    ims_judge_hex(o, op->name, op->name_len);
    ims_judge_puts(o, "\",\"kind\":\"");
    ims_judge_puts(o, ims_judge_kinds[op->value_kind]);

    if (op->value_kind == IMS_JSON_STRING) {
        ims_judge_puts(o, "\",\"value\":\"");
        ims_judge_hex(o, op->value, op->value_len);
        ims_judge_puts(o, "\"}");

    } else {
        ims_judge_puts(o, "\",\"value\":null}");
    }

    ctx->ops++;

    return 0;
}


static void
ims_judge_put(ims_judge_out_t *o, const char *s, size_t len)
{
    if (o->overflow || len > o->size - o->n) {
        o->overflow = 1;
        return;
    }

    memcpy(o->data + o->n, s, len);
    o->n += len;
}


static void
ims_judge_puts(ims_judge_out_t *o, const char *s)
{
    ims_judge_put(o, s, strlen(s));
}


static void
ims_judge_hex(ims_judge_out_t *o, const ims_uchar_t *p, size_t len)
{
    char               *d;
    size_t              i;
    static const char   hex[] = "0123456789abcdef";

    if (o->overflow || len > (o->size - o->n) / 2) {
        o->overflow = 1;
        return;
    }

    d = o->data + o->n;

    for (i = 0; i < len; i++) {
        *d++ = hex[p[i] >> 4];
        *d++ = hex[p[i] & 0xf];
    }

    o->n += 2 * len;
}


/*
 * A verdict's detail is JSON-safe already (ims_escape()); escaped again
 * all the same, so that the output is JSON whatever it holds.
 */

static void
ims_judge_text(ims_judge_out_t *o, const char *p, size_t len)
{
    char           esc[8];
    size_t         i;
    unsigned char  c;

    for (i = 0; i < len; i++) {
        c = (unsigned char) p[i];

        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            ims_judge_puts(o, esc);

        } else {
            ims_judge_put(o, (const char *) &c, 1);
        }
    }
}
