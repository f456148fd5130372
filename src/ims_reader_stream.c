
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The streaming reader: one pass over the body as it arrives, no
 * allocation, the same records and the same verdict as the jansson reader
 * (ims_reader_jansson.c) on every input.
 *
 * The reader is one state machine, ims_stream_parse(), with a reader for
 * each kind of token: values here (ims_stream_value()), strings, numbers
 * and literals in ims_reader_stream_tokens.c; the state is where a piece
 * may end, so that a body may come in pieces of any size.  Operation
 * objects in the shape clients send and whole in a piece take one fast
 * path, ims_stream_op_fast(), that reads them in place; it leaves any
 * other to the state machine, which reads it from its "{".  Both start,
 * check, clear and emit an operation's members with the same
 * ims_stream_op_*() calls.  The names of other members are kept, and
 * their repeats found, by ims_reader_stream_names.c.
 *
 * Scratch layout (ims_stream_init):
 *
 *   frames    one per nesting level, min(max_depth, 2048) + 1 of them;
 *   records   growing up from the frames: a stack of the decoded member
 *             names of every open object; closing an object pops them;
 *   strings   growing down from "end": the decoded strings of the current
 *             operation's members, dropped when the next one starts;
 *   buckets   a chained hash table at the end, used only by objects that
 *             grow past a few names.
 *
 * The scratch bound: a record costs at most the raw bytes of its member
 * ('"' name '"' ':' plus the value's first byte and the following ',' or
 * '}'), 4 more from 255 bytes on; an operation string at most its raw
 * bytes; what is not yet paid for is 2 bytes per open object plus the head
 * of the record being read.  Hence ims_stream_scratch_size().
 *
 * Document errors end the parse at once: they all are 400 IMG.0001, so
 * whichever is found first gives jansson's status and code.  Operation
 * verdicts (from emit) are kept and the scan goes on, because a later
 * document error must still win.
 */


#include <string.h>

#include "ims_reader_stream.h"


static const char  *ims_stream_errors[] = {
    [IMS_SE_NONE]       = "",
    [IMS_SE_TOKEN]      = "unexpected character",
    [IMS_SE_CONTROL]    = "control character in a string",
    [IMS_SE_UTF8]       = "invalid UTF-8",
    [IMS_SE_ESCAPE]     = "invalid escape",
    [IMS_SE_SURROGATE]  = "unpaired surrogate escape",
    [IMS_SE_NUMBER]     = "invalid number",
    [IMS_SE_OVERFLOW]   = "number out of the range of a double",
    [IMS_SE_LITERAL]    = "invalid literal",
    [IMS_SE_NUL_NAME]   = "U+0000 in a member name",
    [IMS_SE_DUPLICATE]  = "repeated member name",
    [IMS_SE_END]        = "premature end",
    [IMS_SE_TRAILING]   = "data after the document",
    [IMS_SE_JSON_DEPTH] = "nesting deeper than 2048",
};


static const ims_uchar_t  ims_stream_ws[256] = {
    ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [' '] = 1
};

#define ims_is_ws(c)  (ims_stream_ws[c])

#define ims_at(p, last, ch)  ((p) < (last) && *(p) == (ch))


static ims_inline const ims_uchar_t *
ims_stream_skip_ws(const ims_uchar_t *p, const ims_uchar_t *last)
{
    while (p < last && ims_is_ws(*p)) {
        p++;
    }

    return p;
}


static int
ims_stream_fail(ims_stream_t *s, ims_stream_error_t err, size_t at)
{
    switch (err) {

    case IMS_SE_NOT_ARRAY:
        ims_reject(&s->verdict, 400, IMS_IMG_0001,
                   "The body must be a JSON array of operation objects.");
        break;

    case IMS_SE_DEPTH:
        ims_reject(&s->verdict, 400, IMS_IMG_0001,
                   "The body nests more than %zu levels deep.",
                   s->max_depth);
        break;

    case IMS_SE_OPS:
        ims_reject(&s->verdict, 400, IMS_IMG_0001,
                   "The patch has more than %zu operations.", s->max_ops);
        break;

    case IMS_SE_NOT_OBJECT:
        ims_reject(&s->verdict, 400, IMS_IMG_0001,
                   "Operation %zu: operations must be JSON objects.",
                   s->ops - 1);
        break;

    case IMS_SE_NOMEM:
        ims_reject(&s->verdict, 500, IMS_OK,
                   "The stream reader's scratch buffer is too small "
                   "(byte %zu).", at);
        s->rc = IMS_STREAM_NOMEM;
        return s->rc;

    default:
        ims_reject(&s->verdict, 400, IMS_IMG_0001,
                   "The body is not valid JSON (byte %zu: %s).", at,
                   ims_stream_errors[err]);
        break;
    }

    s->rc = IMS_STREAM_REJECT;

    return s->rc;
}


/* by ims_core_init(): the string scanners' table and the hash key */

void
ims_stream_core_init(void)
{
    ims_stream_tables_init();
    ims_stream_seed();
}


size_t
ims_stream_scratch_size(const ims_patch_conf_t *conf, size_t len)
{
    size_t  levels, records;

    levels = conf->max_depth < IMS_STREAM_JSON_DEPTH
             ? conf->max_depth : IMS_STREAM_JSON_DEPTH;

    records = len + len / 64 + 2 * (levels + 1) + 128;

    /* alignment, frames, and the records at least 7/8 of the rest */
    return 8 + (levels + 1) * sizeof(ims_stream_frame_t)
           + records + records / 6 + 16;
}


int
ims_stream_init(ims_stream_t *s, const ims_patch_conf_t *conf,
    ims_emit_pt emit, void *data, ims_uchar_t *scratch, size_t size)
{
    size_t        levels, pad, frames, avail, nb;
    ims_uchar_t  *records;

    levels = conf->max_depth < IMS_STREAM_JSON_DEPTH
             ? conf->max_depth : IMS_STREAM_JSON_DEPTH;

    s->max_depth = levels;
    s->max_ops = conf->max_ops;
    s->emit = emit;
    s->data = data;
    ims_stream_hash_key(s->hash_key);

    s->state = sw_start;
    s->rc = IMS_STREAM_OK;
    s->offset = 0;
    s->depth = 0;
    s->ops = 0;
    s->dst = NULL;
    s->high_surrogate = 0;
    s->op_rejected = 0;
    s->op_members = 0;
    s->value_member = -1;
    s->buckets_ready = 0;

    /* the first operation emitted clears every member, cheaper than memset */
    s->emitted_members = (1u << IMS_MEMBER_COUNT) - 1;

    /* 32-bit offsets in the records */
    if (size > 0xffffff00) {
        size = 0xffffff00;
    }

    if (!ims_core_ready()) {
        s->base = NULL;
        ims_reject(&s->verdict, 500, IMS_OK,
                   "ims_core_init() was not called.");
        s->rc = IMS_STREAM_NOMEM;
        return s->rc;
    }

    pad = (8 - ((uintptr_t) scratch & 7)) & 7;
    frames = (levels + 1) * sizeof(ims_stream_frame_t);

    if (scratch == NULL || size < pad + frames + 64) {
        s->base = NULL;
        return ims_stream_fail(s, IMS_SE_NOMEM, 0);
    }

    s->base = scratch + pad;
    s->frames = (ims_stream_frame_t *) s->base;

    records = s->base + frames;
    avail = size - pad - frames;

    /* a power of two of buckets, at most avail / 32: 1/8 of avail */
    for (nb = 1; nb * 64 <= avail; nb <<= 1) { /* void */ }

    s->buckets = (uint32_t *) (records + ((avail - nb * 4) & ~(size_t) 3));
    s->bucket_mask = (uint32_t) (nb - 1);
    s->rec_top = records;
    s->end = (ims_uchar_t *) s->buckets;
    s->str_bottom = s->end;

    return IMS_STREAM_OK;
}


/*
 * An operation object, whichever path reads it: the six member names,
 * their repeats, the start and the end of the operation.
 */

/* which of the six member names of an operation; -1: another name */

static ims_inline int
ims_stream_member(const ims_uchar_t *p, size_t n)
{
    switch (n) {

    case 2:
        return ims_equal(p, "op", 2) ? IMS_MEMBER_OP : -1;

    case 3:
        return ims_equal(p, "add", 3) ? IMS_MEMBER_ADD : -1;

    case 4:
        return ims_equal(p, "path", 4) ? IMS_MEMBER_PATH : -1;

    case 5:
        return ims_equal(p, "value", 5) ? IMS_MEMBER_VALUE : -1;

    case 6:
        return ims_equal(p, "remove", 6) ? IMS_MEMBER_REMOVE : -1;

    case 7:
        return ims_equal(p, "replace", 7) ? IMS_MEMBER_REPLACE : -1;
    }

    return -1;
}


/* an operation starts: the previous one's strings are no longer needed */

static ims_inline void
ims_stream_op_start(ims_stream_t *s)
{
    s->op_members = 0;
    s->str_bottom = s->end;
}


/* one of the six names was read: a repeat is a document error */

static ims_inline int
ims_stream_op_name(ims_stream_t *s, int k)
{
    if (s->op_members & (1u << k)) {
        return IMS_SE_DUPLICATE;
    }

    s->op_members |= 1u << k;
    s->value_member = k;

    return IMS_SE_NONE;
}


/* a member gets a value of this kind, or none; a string's bytes come later */

static ims_inline void
ims_stream_op_member(ims_member_t *m, ims_json_kind_t kind)
{
    m->kind = kind;
    m->ascii = 0;
    m->len = 0;
    m->data = NULL;
}


/*
 * The operation object closed: the members the last one emitted had and
 * this one has not are absent (the others are all set), and emit() judges
 * it; the first refusal is kept, and later operations are not asked.
 */

static ims_inline void
ims_stream_op_end(ims_stream_t *s)
{
    unsigned       stale;
    ims_member_t  *m;

    stale = s->emitted_members & ~s->op_members;

    for (m = s->op.member; stale; m++, stale >>= 1) {
        if (stale & 1) {
            ims_stream_op_member(m, IMS_JSON_ABSENT);
        }
    }

    s->emitted_members = s->op_members;
    s->op.index = s->ops - 1;

    if (s->emit(s->data, &s->op, &s->verdict) != 0) {
        s->op_rejected = 1;
    }
}


/* in the fast path: whitespace, if any, then the byte c */

static ims_inline const ims_uchar_t *
ims_stream_fast_byte(const ims_uchar_t *p, const ims_uchar_t *last, int c)
{
    if (!ims_at(p, last, c)) {
        p = ims_stream_skip_ws(p, last);

        if (!ims_at(p, last, c)) {
            return NULL;
        }
    }

    return p + 1;
}


/*
 * In the fast path: "head" is what comes before a member's value, written
 * compactly: the "{" or "," before the member, its name in quotes, ":" and
 * the value's opening quote.  Compared as words, compact or with a space
 * after "," and ":" (as JSON encoders write), else a token at a time with
 * any whitespace between them.  Returns past the head, or NULL.
 */

static ims_inline const ims_uchar_t *
ims_stream_fast_head(const ims_uchar_t *p, const ims_uchar_t *last,
    const char *head, size_t n)
{
    size_t  sp;

    if (last - p >= 16) {
        if (ims_equal(p, head, n)) {
            return p + n;
        }

        sp = (head[0] == ',');

        if (p[0] == head[0] && (!sp || p[1] == ' ')
            && ims_equal(p + 1 + sp, head + 1, n - 2)
            && p[n - 1 + sp] == ' ' && p[n + sp] == '"')
        {
            return p + n + 1 + sp;
        }
    }

    if (!ims_at(p, last, head[0])) {
        return NULL;
    }

    p = ims_stream_skip_ws(p + 1, last);

    if (last - p < 8 || !ims_equal(p, head + 1, n - 3)) {
        return NULL;
    }

    p = ims_stream_fast_byte(p + n - 3, last, ':');

    return (p != NULL) ? ims_stream_fast_byte(p, last, '"') : NULL;
}


/*
 * In the fast path: a plain string whole in the piece, for the member; an
 * operation's verb is compared first, as a word.
 */

static ims_inline const ims_uchar_t *
ims_stream_fast_string(const ims_uchar_t *p, const ims_uchar_t *last,
    ims_member_t *m, int verb)
{
    const ims_uchar_t  *q;

    if (verb && last - p >= 8 && ims_equal(p, "add\"", 4)) {
        q = p + 3;

    } else if (verb && last - p >= 8 && ims_equal(p, "replace\"", 8)) {
        q = p + 7;

    } else if (verb && last - p >= 8 && ims_equal(p, "remove\"", 7)) {
        q = p + 6;

    } else {
        q = ims_stream_skip(p, last);

        if (q == last || *q != '"') {
            return NULL;
        }
    }

    m->kind = IMS_JSON_STRING;
    m->ascii = 1;
    m->data = p;
    m->len = q - p;

    return q + 1;
}


/*
 * The fast path: an operation object in the shape clients send, whole in
 * this piece: {"op": verb, "path": path}, or v2.0's {verb: path}, then
 * maybe "value"; each a plain string (no escape, control character or
 * non-ASCII byte), whitespace anywhere JSON allows it.  Its strings stay
 * where they are, since emit() is called before the piece is given back,
 * and the scratch is not touched.  p is at the "{"; returns past the "}",
 * or NULL for the state machine to read the object from its "{" (it then
 * sets every member set here).
 */

static const ims_uchar_t *
ims_stream_op_fast(ims_stream_t *s, const ims_uchar_t *p,
    const ims_uchar_t *last)
{
    int                 k;
    unsigned            set;
    ims_member_t       *m;
    const ims_uchar_t  *q;

    m = s->op.member;
    q = ims_stream_fast_head(p, last, "{\"op\":\"", 7);

    if (q != NULL) {
        p = ims_stream_fast_string(q, last, &m[IMS_MEMBER_OP], 1);

        if (p == NULL
            || (p = ims_stream_fast_head(p, last, ",\"path\":\"", 9)) == NULL
            || (p = ims_stream_fast_string(p, last, &m[IMS_MEMBER_PATH], 0))
               == NULL)
        {
            return NULL;
        }

        set = (1u << IMS_MEMBER_OP) | (1u << IMS_MEMBER_PATH);

    } else {
        /* v2.0: add, replace or remove, then the path */

        p = ims_stream_fast_byte(p + 1, last, '"');

        if (p == NULL) {
            return NULL;
        }

        q = ims_stream_skip(p, last);

        if (q == last || *q != '"'
            || (k = ims_stream_member(p, q - p)) < IMS_MEMBER_ADD
            || (p = ims_stream_fast_byte(q + 1, last, ':')) == NULL
            || (p = ims_stream_fast_byte(p, last, '"')) == NULL
            || (p = ims_stream_fast_string(p, last, &m[k], 0)) == NULL)
        {
            return NULL;
        }

        set = 1u << k;
    }

    q = ims_stream_fast_head(p, last, ",\"value\":\"", 10);

    if (q != NULL) {
        p = ims_stream_fast_string(q, last, &m[IMS_MEMBER_VALUE], 0);

        if (p == NULL) {
            return NULL;
        }

        set |= 1u << IMS_MEMBER_VALUE;
    }

    p = ims_stream_fast_byte(p, last, '}');

    if (p == NULL) {
        return NULL;
    }

    ims_stream_op_start(s);
    s->op_members = set;
    ims_stream_op_end(s);

    return p;
}


/* an array or object opens: c is its "[" or "{" */

static int
ims_stream_open(ims_stream_t *s, int c)
{
    ims_stream_frame_t  *f;

    if (s->depth + 1 > s->max_depth) {
        return (s->depth + 1 > IMS_STREAM_JSON_DEPTH) ? IMS_SE_JSON_DEPTH
                                                      : IMS_SE_DEPTH;
    }

    f = &s->frames[++s->depth];

    if (c == '[') {
        f->flags = 0;
        s->state = sw_first_value;
        return IMS_SE_NONE;
    }

    f->flags = IMS_FRAME_OBJECT;
    f->keys = (uint32_t) (s->rec_top - s->base);
    f->nkeys = 0;
    s->state = sw_first_name;

    if (s->depth == 2) {
        ims_stream_op_start(s);
    }

    return IMS_SE_NONE;
}


/* an array or object closes: c is its "]" or "}" */

static int
ims_stream_close(ims_stream_t *s, int c)
{
    ims_stream_frame_t  *f;

    f = &s->frames[s->depth];

    if ((c == '}') != ((f->flags & IMS_FRAME_OBJECT) != 0)) {
        return IMS_SE_TOKEN;
    }

    s->state = (--s->depth == 0) ? sw_done : sw_after_value;

    if (c == '}') {
        if (f->flags & IMS_FRAME_HASHED) {
            ims_stream_unhash(s, f);
        }

        if (s->depth == 1 && !s->op_rejected) {
            ims_stream_op_end(s);
        }

        s->rec_top = s->base + f->keys;
    }

    return IMS_SE_NONE;
}


/*
 * An element of the top-level array, at p: an operation.  Those the fast
 * path takes are read one after the other; the first it leaves is opened
 * for the state machine.
 */

static int
ims_stream_ops(ims_stream_t *s, const ims_uchar_t **pos,
    const ims_uchar_t *last)
{
    int                 err;
    const ims_uchar_t  *p, *q;

    p = *pos;

    for ( ;; ) {
        if (++s->ops > s->max_ops) {
            err = IMS_SE_OPS;
            break;
        }

        if (*p != '{') {
            err = IMS_SE_NOT_OBJECT;
            break;
        }

        q = (s->op_rejected || s->max_depth < 2)
            ? NULL : ims_stream_op_fast(s, p, last);

        if (q == NULL) {
            err = ims_stream_open(s, '{');

            if (err == IMS_SE_NONE) {
                p++;
            }

            break;
        }

        /* the next operation, if it follows at once */

        p = q;
        err = IMS_SE_NONE;
        s->state = sw_after_value;

        if (!ims_at(p, last, ',')
            || (q = ims_stream_fast_byte(p + 1, last, '{')) == NULL)
        {
            break;
        }

        p = q - 1;
    }

    *pos = p;

    return err;
}


/*
 * A value starts at p: an operation in the top-level array, a member's
 * value in an operation (recorded in s->op), or any value deeper down.
 */

static int
ims_stream_value(ims_stream_t *s, const ims_uchar_t **pos,
    const ims_uchar_t *last)
{
    int                 c, err;
    size_t              n;
    ims_member_t       *m;
    const ims_uchar_t  *p, *q;

    if (s->depth == 1) {
        return ims_stream_ops(s, pos, last);
    }

    p = *pos;
    c = *p;
    m = (s->depth == 2 && s->value_member >= 0)
        ? &s->op.member[s->value_member] : NULL;

    if (c == '{' || c == '[') {
        if (m != NULL) {
            ims_stream_op_member(m, (c == '{') ? IMS_JSON_OBJECT
                                               : IMS_JSON_ARRAY);
        }

        err = ims_stream_open(s, c);

        if (err == IMS_SE_NONE) {
            *pos = p + 1;
        }

        return err;
    }

    /* jansson counts a scalar as a level too */
    if (s->depth >= IMS_STREAM_JSON_DEPTH) {
        return IMS_SE_JSON_DEPTH;
    }

    switch (c) {

    case '"':
        p++;
        s->in_name = 0;
        s->dst = NULL;
        s->state = sw_string;

        if (m != NULL) {
            ims_stream_op_member(m, IMS_JSON_STRING);
        }

        q = ims_stream_skip(p, last);

        if (!ims_at(q, last, '"')) {
            if (m != NULL && !s->op_rejected) {
                /* decoded above the records, moved down when complete */
                s->dst = s->rec_top;
            }

            break;
        }

        if (m != NULL && !s->op_rejected) {
            /* plain and whole in this piece: straight to its place */
            n = q - p;

            if ((size_t) (s->str_bottom - s->rec_top) < n) {
                *pos = p;
                return IMS_SE_NOMEM;
            }

            s->str_bottom -= n;
            ims_stream_copy(s->str_bottom, p, n);
            m->ascii = 1;
            m->data = s->str_bottom;
            m->len = n;
        }

        p = q + 1;
        s->state = sw_after_value;
        break;

    case 't':
    case 'f':
    case 'n':
        if (m != NULL) {
            ims_stream_op_member(m, (c == 'n') ? IMS_JSON_NULL
                                               : IMS_JSON_BOOLEAN);
        }

        s->literal = (c == 't') ? "rue" : (c == 'f') ? "alse" : "ull";
        s->state = sw_literal;
        p++;
        break;

    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        if (m != NULL) {
            ims_stream_op_member(m, IMS_JSON_NUMBER);
        }

        ims_stream_number_start(s);

        if (c == '-') {
            p++;
        }

        break;

    default:
        return IMS_SE_TOKEN;
    }

    *pos = p;

    return IMS_SE_NONE;
}


/* the closing quote of a string was read: its bytes go to their place */

static int
ims_stream_string_end(ims_stream_t *s)
{
    int            k;
    size_t         n;
    ims_uchar_t   *dst, *name;
    ims_member_t  *m;

    dst = s->dst;
    s->dst = NULL;

    if (!s->in_name) {
        s->state = sw_after_value;

        if (dst != NULL) {
            /* an operation's string: down, next to the others */
            n = dst - s->rec_top;
            s->str_bottom -= n;
            memmove(s->str_bottom, s->rec_top, n);

            m = &s->op.member[s->value_member];
            m->data = s->str_bottom;
            m->len = n;
        }

        return IMS_SE_NONE;
    }

    s->state = sw_colon;

    name = ims_stream_record(s, dst, &n);

    if (name == NULL) {
        return IMS_SE_NOMEM;
    }

    if (s->depth == 2) {
        k = ims_stream_member(name, n);

        if (k >= 0) {
            s->rec_top = s->record;
            return ims_stream_op_name(s, k);
        }

        s->value_member = -1;
    }

    return ims_stream_name(s, name, n);
}


/*
 * The state machine: the structure of the document here, each token handed
 * to its reader.  Returns IMS_SE_NONE at the end of the piece (s->state
 * says where it stopped), or an error at *pos.
 */

static int
ims_stream_parse(ims_stream_t *s, const ims_uchar_t **pos,
    const ims_uchar_t *last)
{
    int                 c, k, err;
    const ims_uchar_t  *p, *q;

    p = *pos;
    err = IMS_SE_NONE;

    while (p < last && err == IMS_SE_NONE) {

        if (s->state <= sw_done && ims_is_ws(*p)) {
            p = ims_stream_skip_ws(p + 1, last);
            continue;
        }

        c = *p;

        switch (s->state) {

        /* nothing yet: the "[" of the document */
        case sw_start:
            if (c != '[') {
                err = (c == '{' || c == '"' || c == '-' || c == 't'
                       || c == 'f' || c == 'n' || (c >= '0' && c <= '9'))
                      ? IMS_SE_NOT_ARRAY : IMS_SE_TOKEN;
                break;
            }

            err = ims_stream_open(s, c);

            if (err == IMS_SE_NONE) {
                p++;
            }

            break;

        /* "[": a value or "]" */
        case sw_first_value:
            if (c == ']') {
                ims_stream_close(s, c);
                p++;
                break;
            }

            s->state = sw_value;
            continue;

        /* a name: ":" */
        case sw_colon:
            if (c != ':') {
                err = IMS_SE_TOKEN;
                break;
            }

            p++;
            s->state = sw_value;

            if (p == last || ims_is_ws(*p)) {
                break;
            }

            /* fall through */

        /* ":", or "," in an array: a value */
        case sw_value:
            err = ims_stream_value(s, &p, last);
            break;

        /* a value: ",", or the "]" or "}" around it */
        case sw_after_value:
            if (c == ',') {
                p++;
                s->state = (s->frames[s->depth].flags & IMS_FRAME_OBJECT)
                           ? sw_name : sw_value;
                break;
            }

            err = (c == ']' || c == '}') ? ims_stream_close(s, c)
                                         : IMS_SE_TOKEN;

            if (err == IMS_SE_NONE) {
                p++;
            }

            break;

        /* "{": a name or "}" */
        case sw_first_name:
            if (c == '}') {
                ims_stream_close(s, c);
                p++;
                break;
            }

            /* fall through */

        /* "," in an object: a name */
        case sw_name:
            if (c != '"') {
                err = IMS_SE_TOKEN;
                break;
            }

            p++;

            if (s->depth == 2) {
                /* one of the six, whole in this piece, needs no record */
                q = ims_stream_skip(p, last);

                if (ims_at(q, last, '"')
                    && (k = ims_stream_member(p, q - p)) >= 0)
                {
                    p = q + 1;
                    s->state = sw_colon;
                    err = ims_stream_op_name(s, k);
                    break;
                }
            }

            if (s->str_bottom - s->rec_top < IMS_RECORD_HEAD) {
                err = IMS_SE_NOMEM;
                break;
            }

            /* decoded into a record, see ims_stream_string_end() */
            s->record = s->rec_top;
            s->dst = s->rec_top + IMS_RECORD_HEAD;
            s->in_name = 1;
            s->state = sw_string;
            break;

        /* the document: nothing but whitespace */
        case sw_done:
            err = IMS_SE_TRAILING;
            break;

        case sw_string:
        case sw_escape:
        case sw_hex:
        case sw_low_backslash:
        case sw_low_u:
        case sw_utf8:
            err = ims_stream_string(s, &p, last);

            if (err == IMS_SE_STRING_END) {
                err = ims_stream_string_end(s);
            }

            break;

        /* the first letter of true, false or null: the others */
        case sw_literal:
            err = ims_stream_literal(s, &p, last);
            break;

        default: /* the number states */
            err = ims_stream_number(s, &p, last);
            break;
        }
    }

    *pos = p;

    return err;
}


/*
 * Returns IMS_STREAM_OK to be fed more, IMS_STREAM_REJECT on a document
 * error (final: v is set, the rest of the body need not be read) or
 * IMS_STREAM_NOMEM.  An operation verdict is not final: it is reported by
 * ims_stream_finish() unless a document error comes later.
 */

int
ims_stream_feed(ims_stream_t *s, const ims_uchar_t *p, size_t len,
    ims_verdict_t *v)
{
    int                 err;
    const ims_uchar_t  *pos;

    if (s->rc != IMS_STREAM_OK) {
        *v = s->verdict;
        return s->rc;
    }

    pos = p;
    err = ims_stream_parse(s, &pos, p + len);

    if (err != IMS_SE_NONE) {
        ims_stream_fail(s, err, s->offset + (pos - p));
        *v = s->verdict;
        return s->rc;
    }

    s->offset += len;

    return IMS_STREAM_OK;
}


int
ims_stream_finish(ims_stream_t *s, ims_verdict_t *v)
{
    if (s->rc == IMS_STREAM_OK && s->state != sw_done) {
        ims_stream_fail(s, IMS_SE_END, s->offset);
    }

    if (s->rc != IMS_STREAM_OK) {
        *v = s->verdict;
        return s->rc;
    }

    if (s->op_rejected) {
        *v = s->verdict;
        return IMS_STREAM_REJECT;
    }

    ims_verdict_pass(v);

    return IMS_STREAM_OK;
}


int
ims_read_patch_stream_scratch(const ims_uchar_t *body, size_t len,
    const ims_patch_conf_t *conf, ims_emit_pt emit, void *data,
    ims_uchar_t *scratch, size_t size, ims_verdict_t *v)
{
    ims_stream_t  s;

    if (ims_stream_init(&s, conf, emit, data, scratch, size)
        != IMS_STREAM_OK)
    {
        *v = s.verdict;
        return -1;
    }

    if (ims_stream_feed(&s, body, len, v) != IMS_STREAM_OK) {
        return -1;
    }

    return (ims_stream_finish(&s, v) == IMS_STREAM_OK) ? 0 : -1;
}


/*
 * The jansson reader's contract for a body in one buffer, with the scratch
 * on the stack: no allocation, but bodies needing more scratch than
 * IMS_STREAM_STACK_MAX get a 500 and must use the incremental API with a
 * buffer of their own.
 */

int
ims_read_patch_stream(const ims_uchar_t *body, size_t len,
    const ims_patch_conf_t *conf, ims_emit_pt emit, void *data,
    ims_verdict_t *v)
{
    size_t  size;

    size = ims_stream_scratch_size(conf, len);

    if (size > IMS_STREAM_STACK_MAX) {
        return ims_reject(v, 500, IMS_OK,
                          "A body of %zu bytes needs %zu bytes of scratch, "
                          "more than the stack allows.", len, size);
    }

    {
        ims_uchar_t  scratch[size];

        return ims_read_patch_stream_scratch(body, len, conf, emit, data,
                                             scratch, size, v);
    }
}
