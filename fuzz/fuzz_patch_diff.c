
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * Differential libFuzzer harness: the jansson reader against the
 * streaming reader, and what the gate accepts against a strict parse.
 *
 * Input: the format of fuzz_patch.c, so that both share a corpus: one
 * control byte, then the body.
 *   bit 0      dialect: 0 v2.0, 1 v2.1;
 *   bit 1      small limits (depth 3, 4 operations, short name and
 *              description);
 *   bit 2      record only: emit always returns 0, so every operation of a
 *              valid document is read, even after a bad one; otherwise
 *              emit applies the gate's rules and stops at the first
 *              rejected operation, as in production;
 *   bit 3      a depth limit of 4096, past jansson's own 2048 levels,
 *              which the streaming reader must reproduce;
 *   bits 4-7   how the body is cut for ims_stream_feed(): 0 in one piece,
 *              else pieces of 1 to 16 bytes from a generator seeded with
 *              them.
 *
 * Three reads of the same bytes: ims_read_patch_jansson(),
 * ims_read_patch_stream(), and the incremental stream API fed the pieces,
 * each piece a heap block of its own that is freed as soon as it was fed
 * (ASan: nothing may point into a piece afterwards) and a scratch block of
 * exactly ims_stream_scratch_size() bytes.  Each emitted ims_members_t
 * (index, member kinds, decoded string bytes) is recorded; then:
 *
 *   - the verdicts agree in status and code (document errors may differ in
 *     their text: each reader names its own byte position);
 *   - the records agree whenever the document is valid, that is whenever
 *     the jansson reader emitted anything or passed.  On a document error
 *     the jansson reader emits nothing, while the streaming reader has
 *     already emitted the operations before the error (it cannot know
 *     what follows); the verdict is the same, so only the verdict is
 *     compared then;
 *   - the two streaming runs agree exactly (records and verdict text);
 *   - the gate itself agrees: ims_patch_validate() (streaming reader, one
 *     buffer), ims_patch_validate_jansson(), and ims_patch_begin(),
 *     ims_patch_feed() with the same pieces and ims_patch_end(), as the
 *     glue feeds nginx's buffer chain, reach the verdict the rules reach
 *     here;
 *   - when the gate accepts, a strict jansson parse of the same bytes
 *     (JSON_REJECT_DUPLICATES) succeeds and gives the same operations:
 *     op, attribute name (the path decoded here, independently of
 *     ims_patch.c) and value, so the gateway and the backend cannot read
 *     two different patches.
 *
 * Any difference prints both sides and aborts.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ims.h"
#include "ims_stream.h"
#include "fuzz_util.h"


#define IMS_DIFF_PIECE_MAX  16

#ifndef IMS_FUZZ_DIFF_POSITIONS
#define IMS_FUZZ_DIFF_POSITIONS  1
#endif


typedef struct {
    ims_uchar_t     *data;
    size_t           len;
    size_t           size;
} ims_diff_buf_t;


typedef struct {
    ims_op_kind_t    op;
    size_t           name_len;
    ims_json_kind_t  value_kind;
    size_t           value_len;
    ims_uchar_t     *value;
    ims_uchar_t      name[IMS_ATTR_NAME_MAX_BYTES];
} ims_diff_op_t;


typedef struct {
    const char              *reader;
    ims_dialect_t            dialect;
    const ims_patch_conf_t  *conf;
    unsigned                 record_only:1;
    unsigned                 all_accepted:1;
    size_t                   emits;
    ims_diff_buf_t           records;
    size_t                   nops;
    ims_diff_op_t           *ops;
    ims_verdict_t            op_verdict;    /* the first rule verdict */
    ims_op_t                 op;
} ims_diff_run_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const char  *ims_diff_op_names[] = { "", "add", "replace", "remove" };


static void
ims_diff_append(ims_diff_buf_t *b, const void *p, size_t len)
{
    size_t        size;
    ims_uchar_t  *data;

    if (b->len + len > b->size) {
        size = (b->size ? b->size * 2 : 256);

        while (size < b->len + len) {
            size *= 2;
        }

        data = realloc(b->data, size);
        ims_fuzz_assert(data != NULL, "realloc");

        b->data = data;
        b->size = size;
    }

    memcpy(b->data + b->len, p, len);
    b->len += len;
}


static int
ims_diff_emit(void *data, const ims_members_t *m, ims_verdict_t *v)
{
    int                  rc;
    size_t               i, k;
    ims_diff_op_t       *dop;
    ims_diff_run_t      *run;
    const ims_member_t  *mb;

    run = data;

    ims_fuzz_assert(m->index == run->emits, "operations come in order");
    run->emits++;

    ims_diff_append(&run->records, "E", 1);
    ims_diff_append(&run->records, &m->index, sizeof(size_t));

    for (k = 0; k < IMS_MEMBER_COUNT; k++) {
        mb = &m->member[k];

        ims_fuzz_assert(mb->kind <= IMS_JSON_OBJECT, "member kind in range");
        ims_fuzz_assert(mb->kind == IMS_JSON_STRING
                        || (mb->len == 0 && mb->data == NULL),
                        "only strings carry bytes");

        ims_diff_append(&run->records, &mb->kind, sizeof(mb->kind));

        if (mb->kind == IMS_JSON_STRING) {
            ims_fuzz_assert(mb->data != NULL || mb->len == 0,
                            "a string has its bytes");
            ims_diff_append(&run->records, &mb->len, sizeof(size_t));
            ims_diff_append(&run->records, mb->data, mb->len);

            for (i = 0; mb->ascii && i < mb->len; i++) {
                ims_fuzz_assert(mb->data[i] < 0x80,
                                "the ascii hint holds");
            }
        }
    }

    /* the gate's own rules, as ims_patch_validate() applies them */

    rc = ims_op_from_members(run->dialect, m, &run->op, v);

    if (rc == 0) {
        rc = ims_op_judge(run->conf, &run->op, v);
    }

    if (rc != 0) {
        if (run->all_accepted) {
            run->op_verdict = *v;
        }

        run->all_accepted = 0;

        if (!run->record_only) {
            return -1;
        }

        /* the reader must not see a rejection it was not told about */
        ims_verdict_pass(v);

        return 0;
    }

    /* kept for the strict parse: the reader's strings die with the call */

    if (run->all_accepted) {
        dop = realloc(run->ops, (run->nops + 1) * sizeof(ims_diff_op_t));
        ims_fuzz_assert(dop != NULL, "realloc");
        run->ops = dop;

        dop = &run->ops[run->nops++];
        dop->op = run->op.op;
        dop->name_len = run->op.name_len;
        memcpy(dop->name, run->op.name, run->op.name_len);
        dop->value_kind = run->op.value_kind;
        dop->value_len = run->op.value_len;
        dop->value = ims_fuzz_copy(run->op.value, run->op.value_len);
    }

    return 0;
}


static void
ims_diff_run_init(ims_diff_run_t *run, const char *reader,
    ims_dialect_t dialect, const ims_patch_conf_t *conf, int record_only)
{
    memset(run, 0, sizeof(ims_diff_run_t));

    run->reader = reader;
    run->dialect = dialect;
    run->conf = conf;
    run->record_only = record_only;
    run->all_accepted = 1;

    ims_verdict_pass(&run->op_verdict);
}


static void
ims_diff_run_free(ims_diff_run_t *run)
{
    size_t  i;

    for (i = 0; i < run->nops; i++) {
        free(run->ops[i].value);
    }

    free(run->ops);
    free(run->records.data);
}


/* what a reader's run ends with, after the rules, as the gate would see */

static void
ims_diff_final(ims_diff_run_t *run, int rc, const ims_verdict_t *v,
    ims_verdict_t *out)
{
    if (rc != 0 || !run->record_only) {
        *out = *v;
        return;
    }

    /* record only: the document passed; the first rule verdict decides */
    *out = run->op_verdict;
}


static void
ims_diff_dump_records(const char *name, const ims_diff_buf_t *b)
{
    size_t  i;

    fprintf(stderr, "%s records (%zu bytes):", name, b->len);

    for (i = 0; i < b->len; i++) {
        fprintf(stderr, "%s%02x", (i % 32) ? " " : "\n  ", b->data[i]);
    }

    fprintf(stderr, "\n");
}


static void
ims_diff_fail(const char *what, const ims_diff_run_t *a, int rca,
    const ims_verdict_t *va, const ims_diff_run_t *b, int rcb,
    const ims_verdict_t *vb)
{
    fprintf(stderr, "ims fuzz diff: %s\n", what);
    fprintf(stderr, "%s: rc %d, status %d, code %s, %zu emits: %s\n",
            a->reader, rca, va->status, ims_code_name(va->code), a->emits,
            va->detail);
    fprintf(stderr, "%s: rc %d, status %d, code %s, %zu emits: %s\n",
            b->reader, rcb, vb->status, ims_code_name(vb->code), b->emits,
            vb->detail);
    ims_diff_dump_records(a->reader, &a->records);
    ims_diff_dump_records(b->reader, &b->records);

    abort();
}


static int
ims_diff_same_records(const ims_diff_run_t *a, const ims_diff_run_t *b)
{
    return a->records.len == b->records.len
           && (a->records.len == 0
               || memcmp(a->records.data, b->records.data, a->records.len)
                  == 0);
}


/*
 * RFC 6901 with exactly one reference token, written again here from the
 * RFC rather than shared with ims_patch.c: "~1" is "/", "~0" is "~".
 * Returns -1 for anything the gate must have rejected.
 */

static int
ims_diff_pointer(const char *p, size_t len, ims_uchar_t *name, size_t *n)
{
    size_t  i;

    if (len == 0 || p[0] != '/') {
        return -1;
    }

    *n = 0;

    for (i = 1; i < len; i++) {
        if (p[i] == '/') {
            return -1;
        }

        if (*n == IMS_ATTR_NAME_MAX_BYTES) {
            return -1;
        }

        if (p[i] == '~') {
            if (i + 1 == len || (p[i + 1] != '0' && p[i + 1] != '1')) {
                return -1;
            }

            name[(*n)++] = (p[++i] == '1') ? '/' : '~';
            continue;
        }

        name[(*n)++] = (ims_uchar_t) p[i];
    }

    return 0;
}


static ims_json_kind_t
ims_diff_kind(json_t *json)
{
    if (json == NULL) {
        return IMS_JSON_ABSENT;
    }

    switch (json_typeof(json)) {
    case JSON_OBJECT:
        return IMS_JSON_OBJECT;
    case JSON_ARRAY:
        return IMS_JSON_ARRAY;
    case JSON_STRING:
        return IMS_JSON_STRING;
    case JSON_INTEGER:
    case JSON_REAL:
        return IMS_JSON_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE:
        return IMS_JSON_BOOLEAN;
    default:
        return IMS_JSON_NULL;
    }
}


/*
 * The backend's reading of an accepted patch.  Its JSON parser takes
 * U+0000 in strings and integers of any size, so those flags are on: a
 * patch the backend reads the same way must not be reported.
 */

static void
ims_diff_strict(ims_dialect_t dialect, const ims_uchar_t *body, size_t len,
    const ims_diff_run_t *run)
{
    size_t          i, k, n, found;
    json_t         *root, *obj, *jop, *jpath, *jvalue, *j;
    ims_uchar_t     name[IMS_ATTR_NAME_MAX_BYTES];
    json_error_t    error;
    ims_op_kind_t   op;
    ims_diff_op_t  *dop;

    root = json_loadb((const char *) body, len,
                      JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL
                      | JSON_DECODE_INT_AS_REAL, &error);

    if (root == NULL) {
        fprintf(stderr, "ims fuzz diff: %s accepted what a strict parse "
                "refuses: %s (byte %d)\n", run->reader, error.text,
                error.position);
        abort();
    }

    ims_fuzz_assert(json_is_array(root), "an accepted patch is an array");

    n = json_array_size(root);

    if (n != run->nops) {
        fprintf(stderr, "ims fuzz diff: %s accepted %zu operations, the "
                "strict parse has %zu\n", run->reader, run->nops, n);
        abort();
    }

    for (i = 0; i < n; i++) {
        obj = json_array_get(root, i);
        dop = &run->ops[i];

        ims_fuzz_assert(json_is_object(obj), "an operation is an object");

        op = 0;
        jpath = NULL;

        if (dialect == IMS_PATCH_V21) {
            jop = json_object_get(obj, "op");
            jpath = json_object_get(obj, "path");

            for (k = IMS_OP_ADD; k <= IMS_OP_REMOVE; k++) {
                if (json_is_string(jop)
                    && json_string_length(jop)
                       == strlen(ims_diff_op_names[k])
                    && memcmp(json_string_value(jop), ims_diff_op_names[k],
                              json_string_length(jop)) == 0)
                {
                    op = k;
                }
            }

        } else {
            found = 0;

            for (k = IMS_OP_ADD; k <= IMS_OP_REMOVE; k++) {
                j = json_object_get(obj, ims_diff_op_names[k]);

                if (j != NULL) {
                    found++;
                    op = k;
                    jpath = j;
                }
            }

            if (found != 1) {
                op = 0;
            }
        }

        if (op != dop->op) {
            fprintf(stderr, "ims fuzz diff: operation %zu: the gate judged "
                    "'%s', the strict parse reads '%s'\n", i,
                    ims_diff_op_names[dop->op], ims_diff_op_names[op]);
            abort();
        }

        if (!json_is_string(jpath)
            || ims_diff_pointer(json_string_value(jpath),
                                json_string_length(jpath), name, &k) != 0)
        {
            fprintf(stderr, "ims fuzz diff: operation %zu: the strict parse "
                    "has no single-token path\n", i);
            abort();
        }

        if (k != dop->name_len || memcmp(name, dop->name, k) != 0) {
            fprintf(stderr, "ims fuzz diff: operation %zu: the gate judged "
                    "attribute '%.*s', the strict parse reads '%.*s'\n", i,
                    (int) dop->name_len, dop->name, (int) k, name);
            abort();
        }

        jvalue = json_object_get(obj, "value");

        if (ims_diff_kind(jvalue) != dop->value_kind
            || (dop->value_kind == IMS_JSON_STRING
                && (json_string_length(jvalue) != dop->value_len
                    || memcmp(json_string_value(jvalue), dop->value,
                              dop->value_len) != 0)))
        {
            fprintf(stderr, "ims fuzz diff: operation %zu: the gate judged "
                    "another value than the strict parse reads\n", i);
            abort();
        }
    }

    json_decref(root);
}


/* piece sizes 1..16 from a small LCG: the same cut for the same input */

static size_t
ims_diff_next_piece(uint32_t *x, unsigned seed, size_t len)
{
    size_t  n;

    if (seed == 0) {
        return len;
    }

    *x = *x * 1103515245u + 12345u;
    n = 1 + ((*x >> 16) % IMS_DIFF_PIECE_MAX);

    return (n < len) ? n : len;
}


static int
ims_diff_feed_pieces(ims_stream_t *s, const ims_uchar_t *body, size_t len,
    unsigned seed, ims_verdict_t *v)
{
    int           rc;
    size_t        n;
    uint32_t      x;
    ims_uchar_t  *piece;

    x = seed * 2654435761u + 1;

    while (len) {
        n = ims_diff_next_piece(&x, seed, len);

        piece = ims_fuzz_copy(body, n);
        rc = ims_stream_feed(s, piece, n, v);
        free(piece);

        if (rc != IMS_STREAM_OK) {
            return rc;
        }

        body += n;
        len -= n;
    }

    return IMS_STREAM_OK;
}


/* the gate as the glue runs it: begin, a feed per buffer, end */

static int
ims_diff_gate_pieces(ims_dialect_t dialect, const ims_patch_conf_t *conf,
    const ims_uchar_t *body, size_t len, unsigned seed, ims_verdict_t *v)
{
    int           rc;
    size_t        n, size;
    uint32_t      x;
    ims_patch_t   pt;
    ims_uchar_t  *scratch, *piece;

    size = ims_patch_scratch_size(conf, len);
    scratch = malloc(size);
    ims_fuzz_assert(scratch != NULL, "malloc");

    x = seed * 2654435761u + 1;

    rc = ims_patch_begin(&pt, dialect, conf, scratch, size, v);

    while (rc == 0 && len) {
        n = ims_diff_next_piece(&x, seed, len);

        piece = ims_fuzz_copy(body, n);
        rc = ims_patch_feed(&pt, piece, n, v);
        free(piece);

        body += n;
        len -= n;
    }

    if (rc == 0) {
        rc = ims_patch_end(&pt, v);
    }

    free(scratch);

    return rc;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                rcj, rcs, rci, rcv, rc, record_only;
    size_t             len, scratch_size;
    uint8_t            ctl;
    unsigned           seed;
    ims_uchar_t       *body, *scratch;
    ims_stream_t       stream;
    ims_verdict_t      vj, vs, vi, vv, vg, fj, fs, fi;
    ims_dialect_t      dialect;
    ims_diff_run_t     rj, rs, ri;
    ims_patch_conf_t   conf;

    if (size == 0) {
        return 0;
    }

    ctl = data[0];
    seed = ctl >> 4;
    dialect = (ctl & 1) ? IMS_PATCH_V21 : IMS_PATCH_V20;
    record_only = (ctl & 4) != 0;

    ims_patch_conf_init(&conf);

    if (ctl & 2) {
        conf.max_depth = 3;
        conf.max_ops = 4;
        conf.name_max_chars = 8;
        conf.description_max_chars = 16;
    }

    if (ctl & 8) {
        conf.max_depth = 4096;
    }

    len = size - 1;
    body = ims_fuzz_copy(data + 1, len);

    /* the jansson reader */

    ims_diff_run_init(&rj, "jansson", dialect, &conf, record_only);
    ims_verdict_pass(&vj);          /* as ims_patch_validate() does */
    rcj = ims_read_patch_jansson(body, len, &conf, ims_diff_emit, &rj, &vj);
    ims_fuzz_check_verdict(rcj, &vj);

    /* the streaming reader, one call */

    ims_diff_run_init(&rs, "stream", dialect, &conf, record_only);
    ims_verdict_pass(&vs);
    rcs = ims_read_patch_stream(body, len, &conf, ims_diff_emit, &rs, &vs);

    if (vs.status == 500) {
        fprintf(stderr, "ims fuzz diff: the stream reader ran out of "
                "scratch on %zu bytes: %s\n", len, vs.detail);
        abort();
    }

    ims_fuzz_check_verdict(rcs, &vs);

    /* the streaming reader, fed in pieces, its scratch on the heap */

    ims_diff_run_init(&ri, "stream-pieces", dialect, &conf, record_only);
    ims_verdict_pass(&vi);

    scratch_size = ims_stream_scratch_size(&conf, len);
    scratch = malloc(scratch_size);
    ims_fuzz_assert(scratch != NULL, "malloc");

    rc = ims_stream_init(&stream, &conf, ims_diff_emit, &ri, scratch,
                         scratch_size);
    ims_fuzz_assert(rc == IMS_STREAM_OK, "ims_stream_init");

    rc = ims_diff_feed_pieces(&stream, body, len, seed, &vi);

    if (rc == IMS_STREAM_OK) {
        rc = ims_stream_finish(&stream, &vi);
    }

    ims_fuzz_assert(rc != IMS_STREAM_NOMEM, "the scratch bound holds");
    rci = (rc == IMS_STREAM_OK) ? 0 : -1;
    ims_fuzz_check_verdict(rci, &vi);

    free(scratch);

    /*
     * readers against each other; the cut must not even move the byte
     * position a document error names, unless built with
     * -DIMS_FUZZ_DIFF_POSITIONS=0 to look past such a difference
     */

    if (!ims_diff_same_records(&rs, &ri) || rcs != rci
        || vs.status != vi.status || vs.code != vi.code
        || (IMS_FUZZ_DIFF_POSITIONS && strcmp(vs.detail, vi.detail) != 0))
    {
        ims_diff_fail("one piece and many pieces differ", &rs, rcs, &vs, &ri,
                      rci, &vi);
    }

    if (rcj != rcs || vj.status != vs.status || vj.code != vs.code) {
        ims_diff_fail("the verdicts differ", &rj, rcj, &vj, &rs, rcs, &vs);
    }

    /* the jansson reader emits only for a valid document */
    if ((rcj == 0 || rj.emits > 0) && !ims_diff_same_records(&rj, &rs)) {
        ims_diff_fail("the records differ", &rj, rcj, &vj, &rs, rcs, &vs);
    }

    /* a rule verdict is the same text whichever reader fed the rule */
    if (rj.emits > 0 && rcj != 0 && strcmp(vj.detail, vs.detail) != 0) {
        ims_diff_fail("the operation verdicts differ", &rj, rcj, &vj, &rs,
                      rcs, &vs);
    }

    /* the production entry point */

    ims_diff_final(&rj, rcj, &vj, &fj);
    ims_diff_final(&rs, rcs, &vs, &fs);
    ims_diff_final(&ri, rci, &vi, &fi);

    rcv = ims_patch_validate(dialect, body, len, &conf, &vv);
    ims_fuzz_check_verdict(rcv, &vv);

    rc = ims_patch_validate_jansson(dialect, body, len, &conf, &vg);
    ims_fuzz_check_verdict(rc, &vg);

    if (rc != rcv || vg.status != vv.status || vg.code != vv.code
        || ((rj.emits > 0 || vv.code == IMS_IMG_0007)
            && strcmp(vg.detail, vv.detail) != 0))
    {
        fprintf(stderr, "ims fuzz diff: ims_patch_validate() says %d %s "
                "(%s), ims_patch_validate_jansson() %d %s (%s)\n",
                vv.status, ims_code_name(vv.code), vv.detail, vg.status,
                ims_code_name(vg.code), vg.detail);
        abort();
    }

    rc = ims_diff_gate_pieces(dialect, &conf, body, len, seed, &vg);
    ims_fuzz_check_verdict(rc, &vg);

    if (rc != rcv || vg.status != vv.status || vg.code != vv.code
        || (IMS_FUZZ_DIFF_POSITIONS && strcmp(vg.detail, vv.detail) != 0))
    {
        fprintf(stderr, "ims fuzz diff: ims_patch_validate() says %d %s "
                "(%s), the gate fed in pieces %d %s (%s)\n",
                vv.status, ims_code_name(vv.code), vv.detail, vg.status,
                ims_code_name(vg.code), vg.detail);
        abort();
    }

    if (vv.code == IMS_IMG_0007) {
        /* blank: the gate answers before any reader runs */
        ims_fuzz_assert(fj.status == 400 && fj.code == IMS_IMG_0001
                        && rj.emits == 0, "a blank body is not JSON");

    } else if (vv.status != fj.status || vv.code != fj.code
               || (rj.emits > 0 && strcmp(vv.detail, fj.detail) != 0))
    {
        fprintf(stderr, "ims fuzz diff: ims_patch_validate() says %d %s "
                "(%s), the rules over the jansson reader %d %s (%s)\n",
                vv.status, ims_code_name(vv.code), vv.detail, fj.status,
                ims_code_name(fj.code), fj.detail);
        abort();
    }

    ims_fuzz_assert(fs.status == fj.status && fs.code == fj.code
                    && fi.status == fj.status && fi.code == fj.code,
                    "the final verdicts agree");

    /* what the gate accepts, the backend reads the same way */

    if (fj.status == 0) {
        ims_diff_strict(dialect, body, len, &rj);
        ims_diff_strict(dialect, body, len, &rs);
        ims_diff_strict(dialect, body, len, &ri);
    }

    ims_diff_run_free(&rj);
    ims_diff_run_free(&rs);
    ims_diff_run_free(&ri);
    free(body);

    return 0;
}
