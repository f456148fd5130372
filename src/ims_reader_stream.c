
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
 * each kind of token (ims_stream_value(), ims_stream_string(),
 * ims_stream_number()); the state is where a piece may end, so that a body
 * may come in pieces of any size.  Operation objects in the shape clients
 * send and whole in a piece take one fast path, ims_stream_op_fast(), that
 * reads them in place; it leaves any other to the state machine, which
 * reads it from its "{".  Both start, check, clear and emit an operation's
 * members with the same ims_stream_op_*() calls.
 *
 * Scratch layout (ims_stream_init):
 *
 *   frames    one per nesting level, min(max_depth, 2048) + 1 of them;
 *   records   growing up from the frames: a stack of the decoded member
 *             names of every open object; closing an object pops them;
 *   strings   growing down from "end": the decoded strings of the current
 *             operation's members, dropped when the next one starts;
 *   buckets   a chained hash table at the end, used only by objects that
 *             grow past IMS_STREAM_LINEAR names.
 *
 * The six member names of an operation have no record: a bit each in
 * "op_members" tells their duplicates, and no other name can equal them.
 *
 * A record is [u32 next][u8 len, or 0xff and u32 len][bytes].  "next" is
 * 0, or in a hashed object the link in its bucket's chain, newest first.
 * The chains of all open hashed objects share the table: an object's names
 * are the newest in every chain, so a lookup stops at the first record
 * older than the object, and closing the object restores each bucket it
 * touched from its oldest name's "next".
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
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/random.h>
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ims.h"


/* a linear scan is faster than hashing for the few members of most objects */
#define IMS_STREAM_LINEAR   8

#define IMS_FRAME_OBJECT    0x01
#define IMS_FRAME_HASHED    0x02

/* head room of a record while it is read: next and a 1-byte length */
#define IMS_RECORD_HEAD     5

#define IMS_EXP_MAX         1000000000000000ULL


/*
 * The states: where the parse stands between two bytes, so where a piece
 * may end; each comment says what was read last, then what may come.
 * Whitespace may come first in the states up to sw_done.
 */
typedef enum {
    sw_start = 0,       /* nothing: the document's "[" */
    sw_first_value,     /* "[": a value or "]" */
    sw_value,           /* ":", or "," in an array: a value */
    sw_first_name,      /* "{": a name or "}" */
    sw_name,            /* "," in an object: a name */
    sw_colon,           /* a name: ":" */
    sw_after_value,     /* a value: "," or the "]" or "}" around it */
    sw_done,            /* the document's "]": nothing else */
    sw_string,          /* '"' and maybe some bytes: more, up to '"' */
    sw_escape,          /* "\": the escape's letter */
    sw_hex,             /* "\u" and hex_digits digits: the rest of 4 */
    sw_low_backslash,   /* a high surrogate's escape: a low one's "\" */
    sw_low_u,           /* a high surrogate's escape and "\": "u" */
    sw_utf8,            /* a UTF-8 lead byte: utf8_left more bytes */
    sw_int_first,       /* nothing, or "-": the number's first digit */
    sw_zero,            /* a leading "0": ".", "e" or the end, no digit */
    sw_int,             /* integer digits: more, ".", "e" or the end */
    sw_dot,             /* ".": a digit */
    sw_frac,            /* fraction digits: more, "e" or the end */
    sw_exp,             /* "e": a sign or a digit */
    sw_exp_sign,        /* "e" and maybe a sign: a digit */
    sw_exp_digits,      /* exponent digits: more or the end */
    sw_literal          /* a letter of true, false or null: the others */
} ims_stream_state_t;


typedef enum {
    IMS_SE_NONE = 0,
    IMS_SE_TOKEN,
    IMS_SE_CONTROL,
    IMS_SE_UTF8,
    IMS_SE_ESCAPE,
    IMS_SE_SURROGATE,
    IMS_SE_NUMBER,
    IMS_SE_OVERFLOW,
    IMS_SE_LITERAL,
    IMS_SE_NUL_NAME,
    IMS_SE_DUPLICATE,
    IMS_SE_END,
    IMS_SE_TRAILING,
    IMS_SE_JSON_DEPTH,
    IMS_SE_NOT_ARRAY,
    IMS_SE_DEPTH,
    IMS_SE_OPS,
    IMS_SE_NOT_OBJECT,
    IMS_SE_NOMEM
} ims_stream_error_t;


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


/*
 * 2^1024 - 2^970, halfway between DBL_MAX and 2^1024: strtod() rounds a
 * value to infinity (and jansson refuses it) from there on, ties to even
 * included.
 */
static const char  ims_stream_dbl_limit[] =
    "1797693134862315807937289714053034150799341327100378269361737789804449"
    "6829276475094664901797758720709633028641669288791094655554785194040263"
    "0657488671505820681908902000708383676273854845817711531764475730270069"
    "8555713669596228429148198608349364752927190741684443655107043427115596"
    "99508093042880177904174497792";

#define IMS_DBL_LIMIT_DIGITS  (sizeof(ims_stream_dbl_limit) - 1)


/* string bytes the scanners pass over: printable ASCII but '"' and '\' */
static const ims_uchar_t  ims_stream_plain[256] = {
    [0x20] =    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0x30] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0x40] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0x50] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    [0x60] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0x70] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};


/* the byte a one-letter escape stands for; 0: not an escape */
static const ims_uchar_t  ims_stream_unescape[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f',
    ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'
};


static const ims_uchar_t  ims_stream_ws[256] = {
    ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [' '] = 1
};

#define ims_is_ws(c)  (ims_stream_ws[c])

#define ims_at(p, last, ch)  ((p) < (last) && *(p) == (ch))


static uint64_t  ims_stream_key[2];
static unsigned  ims_stream_seeded;


static ims_inline uint32_t
ims_get32(const ims_uchar_t *p)
{
    uint32_t  n;

    memcpy(&n, p, sizeof(uint32_t));

    return n;
}


static ims_inline void
ims_put32(ims_uchar_t *p, uint32_t n)
{
    memcpy(p, &n, sizeof(uint32_t));
}


/* the name in a record; the next record starts right after it */

static ims_inline const ims_uchar_t *
ims_record_name(const ims_uchar_t *r, size_t *len)
{
    if (r[4] != 0xff) {
        *len = r[4];
        return r + IMS_RECORD_HEAD;
    }

    *len = ims_get32(r + IMS_RECORD_HEAD);

    return r + IMS_RECORD_HEAD + 4;
}


/*
 * SipHash-1-3 with a per-process random key: member names are client
 * input, and a predictable hash would let a body put every name of a big
 * object into one chain.
 */

#define IMS_ROTL(x, b)  (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

#define IMS_SIPROUND                                                         \
    v0 += v1; v1 = IMS_ROTL(v1, 13); v1 ^= v0; v0 = IMS_ROTL(v0, 32);       \
    v2 += v3; v3 = IMS_ROTL(v3, 16); v3 ^= v2;                              \
    v0 += v3; v3 = IMS_ROTL(v3, 21); v3 ^= v0;                              \
    v2 += v1; v1 = IMS_ROTL(v1, 17); v1 ^= v2; v2 = IMS_ROTL(v2, 32)


static uint32_t
ims_stream_hash(const ims_stream_t *s, const ims_uchar_t *p, size_t len)
{
    uint64_t            v0, v1, v2, v3, m, b;
    const ims_uchar_t  *last;

    v0 = s->hash_key[0] ^ 0x736f6d6570736575ULL;
    v1 = s->hash_key[1] ^ 0x646f72616e646f6dULL;
    v2 = s->hash_key[0] ^ 0x6c7967656e657261ULL;
    v3 = s->hash_key[1] ^ 0x7465646279746573ULL;

    b = (uint64_t) len << 56;

    /* host byte order: the hash never leaves the process */
    for (last = p + (len & ~(size_t) 7); p < last; p += 8) {
        memcpy(&m, p, sizeof(uint64_t));
        v3 ^= m;
        IMS_SIPROUND;
        v0 ^= m;
    }

    switch (len & 7) {
    case 7: b |= (uint64_t) p[6] << 48;     /* fall through */
    case 6: b |= (uint64_t) p[5] << 40;     /* fall through */
    case 5: b |= (uint64_t) p[4] << 32;     /* fall through */
    case 4: b |= (uint64_t) p[3] << 24;     /* fall through */
    case 3: b |= (uint64_t) p[2] << 16;     /* fall through */
    case 2: b |= (uint64_t) p[1] << 8;      /* fall through */
    case 1: b |= (uint64_t) p[0];           /* fall through */
    default: break;
    }

    v3 ^= b;
    IMS_SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    IMS_SIPROUND;
    IMS_SIPROUND;
    IMS_SIPROUND;

    return (uint32_t) (v0 ^ v1 ^ v2 ^ v3);
}


/*
 * Once per process; a race between threads at worst seeds twice, and any
 * key is as good as another for correctness.
 */

static void
ims_stream_seed(void)
{
    struct timespec  ts;

#if defined(__linux__)
    if (getrandom(ims_stream_key, sizeof(ims_stream_key), GRND_NONBLOCK)
        == (ssize_t) sizeof(ims_stream_key))
    {
        ims_stream_seeded = 1;
        return;
    }
#endif

    /* no entropy source: the clock, pid and ASLR are unknown to clients */
    clock_gettime(CLOCK_REALTIME, &ts);

    ims_stream_key[0] = ((uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ULL)
                        ^ (uint64_t) ts.tv_sec ^ (uintptr_t) &ts;
    ims_stream_key[1] = ((uint64_t) getpid() * 0xc2b2ae3d27d4eb4fULL)
                        ^ (uintptr_t) ims_stream_seed;
    ims_stream_seeded = 1;
}


/*
 * The string scanner stops at the bytes the string states must see: '"',
 * '\', controls and non-ASCII (UTF-8 is checked byte by byte, ASCII is
 * not).  A signed compare with 0x20 catches both controls and bytes >= 0x80.
 */

#if defined(__SSE2__) && defined(__GNUC__)

static ims_inline const ims_uchar_t *
ims_stream_skip(const ims_uchar_t *p, const ims_uchar_t *last)
{
    int      mask;
    __m128i  x, quote, bslash, space;

    quote = _mm_set1_epi8('"');
    bslash = _mm_set1_epi8('\\');
    space = _mm_set1_epi8(0x20);

    while (last - p >= 16) {
        x = _mm_loadu_si128((const __m128i *) p);
        mask = _mm_movemask_epi8(
                   _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
                                             _mm_cmpeq_epi8(x, bslash)),
                                _mm_cmplt_epi8(x, space)));
        if (mask) {
            return p + __builtin_ctz(mask);
        }

        p += 16;
    }

    while (p < last && ims_stream_plain[*p]) {
        p++;
    }

    return p;
}

#elif defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__

/*
 * 8 bytes at a time: a flag in bit 7 of every byte that is '"', '\', below
 * 0x20 or above 0x7f.  Borrows only ever flag bytes above a true match, so
 * the lowest flag is exact.
 */

static ims_inline const ims_uchar_t *
ims_stream_skip(const ims_uchar_t *p, const ims_uchar_t *last)
{
    uint64_t  w, q, b, mask;

    while (last - p >= 8) {
        memcpy(&w, p, sizeof(uint64_t));

        q = w ^ (IMS_ONES * '"');
        b = w ^ (IMS_ONES * '\\');
        mask = (((q - IMS_ONES) & ~q) | ((b - IMS_ONES) & ~b)
                | ((w - IMS_ONES * 0x20) & ~w) | w) & IMS_HIGHS;

        if (mask) {
            return p + (__builtin_ctzll(mask) >> 3);
        }

        p += 8;
    }

    while (p < last && ims_stream_plain[*p]) {
        p++;
    }

    return p;
}

#else

static ims_inline const ims_uchar_t *
ims_stream_skip(const ims_uchar_t *p, const ims_uchar_t *last)
{
    while (p < last && ims_stream_plain[*p]) {
        p++;
    }

    return p;
}

#endif


static ims_inline const ims_uchar_t *
ims_stream_skip_ws(const ims_uchar_t *p, const ims_uchar_t *last)
{
    while (p < last && ims_is_ws(*p)) {
        p++;
    }

    return p;
}


/*
 * Copies the bytes of a string into the scratch; most are short, and a
 * memcpy() of a length not known at compile time may be a call.
 */

static ims_inline void
ims_stream_copy(ims_uchar_t *dst, const ims_uchar_t *src, size_t n)
{
    uint32_t  a4, b4;
    uint64_t  a8, b8;

    if (n > 16) {
        memcpy(dst, src, n);

    } else if (n >= 8) {
        memcpy(&a8, src, 8);
        memcpy(&b8, src + n - 8, 8);
        memcpy(dst, &a8, 8);
        memcpy(dst + n - 8, &b8, 8);

    } else if (n >= 4) {
        memcpy(&a4, src, 4);
        memcpy(&b4, src + n - 4, 4);
        memcpy(dst, &a4, 4);
        memcpy(dst + n - 4, &b4, 4);

    } else if (n > 0) {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}


/* compares a significant digit with the overflow limit, until one differs */

static ims_inline void
ims_stream_digit(ims_stream_t *s, int c)
{
    int  t;

    if (s->limit_cmp == 0 && s->limit_digits < IMS_DBL_LIMIT_DIGITS) {
        t = ims_stream_dbl_limit[s->limit_digits++];

        if (c != t) {
            s->limit_cmp = (c > t) ? 1 : -1;
        }
    }
}


/*
 * A number ended: is it out of the range of a double?  Exactly strtod()'s
 * overflow: the value is 0.d1d2... * 10^(e + 1), so it is below 10^308
 * when e < 308, at least 10^309 when e > 308, and for e == 308 its digits
 * are compared with the limit's 309 digits (all of them equal and more
 * digits: the value is at or above the limit).
 */

static int
ims_stream_number_end(ims_stream_t *s)
{
    int64_t  e;

    s->state = sw_after_value;

    if (!s->significant) {
        return IMS_SE_NONE;
    }

    e = s->int_digits ? (int64_t) s->int_digits - 1
                      : -(int64_t) s->frac_zeros - 1;
    e += s->exp_negative ? -(int64_t) s->exponent : (int64_t) s->exponent;

    if (e != 308) {
        return (e < 308) ? IMS_SE_NONE : IMS_SE_OVERFLOW;
    }

    return (s->limit_cmp < 0
            || (s->limit_cmp == 0 && s->limit_digits < IMS_DBL_LIMIT_DIGITS))
           ? IMS_SE_NONE : IMS_SE_OVERFLOW;
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

    if (!ims_stream_seeded) {
        ims_stream_seed();
    }

    levels = conf->max_depth < IMS_STREAM_JSON_DEPTH
             ? conf->max_depth : IMS_STREAM_JSON_DEPTH;

    s->max_depth = levels;
    s->max_ops = conf->max_ops;
    s->emit = emit;
    s->data = data;
    s->hash_key[0] = ims_stream_key[0];
    s->hash_key[1] = ims_stream_key[1];

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


static void
ims_stream_rehash(ims_stream_t *s, ims_stream_frame_t *f)
{
    size_t              len;
    uint32_t           *b;
    ims_uchar_t        *r;
    const ims_uchar_t  *name;

    if (!s->buckets_ready) {
        memset(s->buckets, 0, (s->bucket_mask + 1) * sizeof(uint32_t));
        s->buckets_ready = 1;
    }

    /* oldest first, so that each chain stays newest first */
    for (r = s->base + f->keys; r < s->rec_top;
         r = (ims_uchar_t *) name + len)
    {
        name = ims_record_name(r, &len);
        b = &s->buckets[ims_stream_hash(s, name, len) & s->bucket_mask];
        ims_put32(r, *b);
        *b = (uint32_t) (r - s->base);
    }

    f->flags |= IMS_FRAME_HASHED;
}


static void
ims_stream_unhash(ims_stream_t *s, ims_stream_frame_t *f)
{
    size_t              len;
    uint32_t            next;
    const ims_uchar_t  *r, *name;

    for (r = s->base + f->keys; r < s->rec_top; r = name + len) {
        name = ims_record_name(r, &len);
        next = ims_get32(r);

        /* the object's oldest name in its chain */
        if (next < f->keys) {
            s->buckets[ims_stream_hash(s, name, len) & s->bucket_mask] = next;
        }
    }
}


/* closes the record of a name whose bytes end at dst; NULL: no room */

static ims_inline ims_uchar_t *
ims_stream_record(ims_stream_t *s, ims_uchar_t *dst, size_t *len)
{
    size_t        n;
    ims_uchar_t  *rec, *bytes;

    rec = s->record;
    bytes = rec + IMS_RECORD_HEAD;
    n = dst - bytes;

    if (n < 0xff) {
        rec[4] = (ims_uchar_t) n;

    } else {
        if (s->str_bottom - dst < 4) {
            return NULL;
        }

        memmove(bytes + 4, bytes, n);
        rec[4] = 0xff;
        ims_put32(bytes, (uint32_t) n);
        bytes += 4;
    }

    *len = n;
    s->rec_top = bytes + n;

    return bytes;
}


/* a name other than the six of an operation: a repeat in its object? */

static int
ims_stream_name(ims_stream_t *s, const ims_uchar_t *name, size_t n)
{
    size_t               len;
    uint32_t             off, *b;
    ims_uchar_t         *rec;
    const ims_uchar_t   *r, *other;
    ims_stream_frame_t  *f;

    rec = s->record;
    f = &s->frames[s->depth];

    if (f->flags & IMS_FRAME_HASHED) {
        b = &s->buckets[ims_stream_hash(s, name, n) & s->bucket_mask];

        for (off = *b; off >= f->keys; off = ims_get32(s->base + off)) {
            other = ims_record_name(s->base + off, &len);

            if (len == n && memcmp(other, name, n) == 0) {
                return IMS_SE_DUPLICATE;
            }
        }

        ims_put32(rec, *b);
        *b = (uint32_t) (rec - s->base);

    } else {
        ims_put32(rec, 0);

        for (r = s->base + f->keys; r < rec; r = other + len) {
            other = ims_record_name(r, &len);

            if (len == n && memcmp(other, name, n) == 0) {
                return IMS_SE_DUPLICATE;
            }
        }

        if (f->nkeys == IMS_STREAM_LINEAR) {
            ims_stream_rehash(s, f);
        }
    }

    f->nkeys++;

    return IMS_SE_NONE;
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

        s->int_digits = 0;
        s->frac_zeros = 0;
        s->exponent = 0;
        s->limit_digits = 0;
        s->limit_cmp = 0;
        s->significant = 0;
        s->exp_negative = 0;
        s->state = sw_int_first;

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


/* a "\uXXXX" was read into s->escape */

static int
ims_stream_escaped(ims_stream_t *s)
{
    uint32_t      cp;
    ims_uchar_t  *d;

    cp = s->escape;

    if (s->high_surrogate) {
        if (cp < 0xdc00 || cp > 0xdfff) {
            return IMS_SE_SURROGATE;
        }

        cp = 0x10000 + ((s->high_surrogate - 0xd800) << 10) + (cp - 0xdc00);
        s->high_surrogate = 0;

    } else if (cp >= 0xd800 && cp <= 0xdbff) {
        s->high_surrogate = cp;
        s->state = sw_low_backslash;
        return IMS_SE_NONE;

    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return IMS_SE_SURROGATE;

    } else if (cp == 0 && s->in_name) {
        /* jansson refuses it, even with JSON_ALLOW_NUL */
        return IMS_SE_NUL_NAME;
    }

    s->state = sw_string;
    d = s->dst;

    if (d == NULL) {
        return IMS_SE_NONE;
    }

    if (s->str_bottom - d < 4) {
        return IMS_SE_NOMEM;
    }

    if (cp < 0x80) {
        *d++ = (ims_uchar_t) cp;

    } else if (cp < 0x800) {
        *d++ = (ims_uchar_t) (0xc0 | (cp >> 6));
        *d++ = (ims_uchar_t) (0x80 | (cp & 0x3f));

    } else if (cp < 0x10000) {
        *d++ = (ims_uchar_t) (0xe0 | (cp >> 12));
        *d++ = (ims_uchar_t) (0x80 | ((cp >> 6) & 0x3f));
        *d++ = (ims_uchar_t) (0x80 | (cp & 0x3f));

    } else {
        *d++ = (ims_uchar_t) (0xf0 | (cp >> 18));
        *d++ = (ims_uchar_t) (0x80 | ((cp >> 12) & 0x3f));
        *d++ = (ims_uchar_t) (0x80 | ((cp >> 6) & 0x3f));
        *d++ = (ims_uchar_t) (0x80 | (cp & 0x3f));
    }

    s->dst = d;

    return IMS_SE_NONE;
}


/* a decoded byte of a kept string */

static ims_inline int
ims_stream_put(ims_stream_t *s, int c)
{
    if (s->dst != NULL) {
        if (s->dst == s->str_bottom) {
            return IMS_SE_NOMEM;
        }

        *s->dst++ = (ims_uchar_t) c;
    }

    return IMS_SE_NONE;
}


/*
 * The string states, from past the opening quote to past the closing one:
 * the bytes are checked, and decoded to s->dst unless it is NULL.
 */

static int
ims_stream_string(ims_stream_t *s, const ims_uchar_t **pos,
    const ims_uchar_t *last)
{
    int                 c, err;
    size_t              n;
    const ims_uchar_t  *p, *q;

    p = *pos;
    err = IMS_SE_NONE;

    while (p < last && err == IMS_SE_NONE) {

        switch (s->state) {

        /* in the string: plain bytes, then '"', '\' or another byte */
        case sw_string:
            q = ims_stream_skip(p, last);

            if (s->dst != NULL) {
                /* a plain byte is left only when the scratch is full */
                n = q - p;

                if (n > (size_t) (s->str_bottom - s->dst)) {
                    n = s->str_bottom - s->dst;
                }

                ims_stream_copy(s->dst, p, n);
                s->dst += n;
                q = p + n;
            }

            p = q;

            if (p == last) {
                break;
            }

            c = *p;

            if (c == '"') {
                *pos = p + 1;
                return ims_stream_string_end(s);
            }

            if (c == '\\') {
                p++;
                s->state = sw_escape;
                break;
            }

            if (c < 0x80) {
                err = (c < 0x20) ? IMS_SE_CONTROL : IMS_SE_NOMEM;
                break;
            }

            /* RFC 3629: no overlong forms, surrogates, or > U+10FFFF */

            if (c < 0xc2 || c > 0xf4) {
                err = IMS_SE_UTF8;
                break;
            }

            err = ims_stream_put(s, c);

            if (err) {
                break;
            }

            p++;
            s->utf8_left = (c >= 0xf0) ? 3 : (c >= 0xe0) ? 2 : 1;
            s->utf8_min = (c == 0xe0) ? 0xa0 : (c == 0xf0) ? 0x90 : 0x80;
            s->utf8_max = (c == 0xed) ? 0x9f : (c == 0xf4) ? 0x8f : 0xbf;
            s->state = sw_utf8;
            break;

        /* a UTF-8 lead byte: continuation bytes in utf8_min..utf8_max */
        case sw_utf8:
            c = *p;

            if (c < s->utf8_min || c > s->utf8_max) {
                err = IMS_SE_UTF8;
                break;
            }

            err = ims_stream_put(s, c);

            if (err) {
                break;
            }

            p++;
            s->utf8_min = 0x80;
            s->utf8_max = 0xbf;

            if (--s->utf8_left == 0) {
                s->state = sw_string;
            }

            break;

        /* "\": the escape's letter */
        case sw_escape:
            if (*p == 'u') {
                p++;
                s->escape = 0;
                s->hex_digits = 0;
                s->state = sw_hex;
                break;
            }

            c = ims_stream_unescape[*p];

            if (c == 0) {
                err = IMS_SE_ESCAPE;
                break;
            }

            err = ims_stream_put(s, c);

            if (err) {
                break;
            }

            p++;
            s->state = sw_string;
            break;

        /* "\u": four hex digits, s->hex_digits of them read */
        case sw_hex:
            c = ims_hex(*p);

            if (c < 0) {
                err = IMS_SE_ESCAPE;
                break;
            }

            p++;
            s->escape = (s->escape << 4) | c;

            if (++s->hex_digits == 4) {
                err = ims_stream_escaped(s);
            }

            break;

        /* the escape of a high surrogate: the "\" of a low one */
        case sw_low_backslash:
            if (*p != '\\') {
                err = IMS_SE_SURROGATE;
                break;
            }

            p++;
            s->state = sw_low_u;
            break;

        /* a high surrogate's escape and "\": the "u" */
        default: /* sw_low_u */
            if (*p != 'u') {
                err = IMS_SE_SURROGATE;
                break;
            }

            p++;
            s->escape = 0;
            s->hex_digits = 0;
            s->state = sw_hex;
            break;
        }
    }

    *pos = p;

    return err;
}


/*
 * The number states, from its first digit to the byte after its last,
 * which is the next token's: only then is its range known.
 */

static int
ims_stream_number(ims_stream_t *s, const ims_uchar_t **pos,
    const ims_uchar_t *last)
{
    int                 c, err;
    const ims_uchar_t  *p;

    p = *pos;
    err = IMS_SE_NONE;

    while (p < last && err == IMS_SE_NONE) {
        c = *p;

        switch (s->state) {

        /* nothing, or "-": the first digit */
        case sw_int_first:
            if (c < '0' || c > '9') {
                err = IMS_SE_NUMBER;
                break;
            }

            p++;
            s->state = (c == '0') ? sw_zero : sw_int;

            if (c != '0') {
                s->significant = 1;
                s->int_digits = 1;
                ims_stream_digit(s, c);
            }

            break;

        /* a leading "0", the whole integer part: no digit may follow */
        case sw_zero:
            if (c >= '0' && c <= '9') {
                err = IMS_SE_NUMBER;
                break;
            }

            s->state = sw_int;
            break;

        /* integer digits: more, then ".", "e", or the end */
        case sw_int:
            while (p < last && *p >= '0' && *p <= '9') {
                ims_stream_digit(s, *p++);
                s->int_digits++;
            }

            if (p == last) {
                break;
            }

            if (*p == '.') {
                p++;
                s->state = sw_dot;
                break;
            }

            if (*p == 'e' || *p == 'E') {
                p++;
                s->state = sw_exp;
                break;
            }

            *pos = p;
            return ims_stream_number_end(s);

        /* ".": a digit */
        case sw_dot:
            if (c < '0' || c > '9') {
                err = IMS_SE_NUMBER;
                break;
            }

            s->state = sw_frac;
            break;

        /* fraction digits: more, then "e", or the end */
        case sw_frac:
            while (p < last && *p >= '0' && *p <= '9') {
                c = *p++;

                if (s->significant) {
                    ims_stream_digit(s, c);

                } else if (c == '0') {
                    s->frac_zeros++;

                } else {
                    s->significant = 1;
                    ims_stream_digit(s, c);
                }
            }

            if (p == last) {
                break;
            }

            if (*p == 'e' || *p == 'E') {
                p++;
                s->state = sw_exp;
                break;
            }

            *pos = p;
            return ims_stream_number_end(s);

        /* "e": a sign or a digit */
        case sw_exp:
            if (c == '+' || c == '-') {
                s->exp_negative = (c == '-');
                p++;
            }

            s->state = sw_exp_sign;
            break;

        /* "e" and maybe a sign: a digit */
        case sw_exp_sign:
            if (c < '0' || c > '9') {
                err = IMS_SE_NUMBER;
                break;
            }

            s->state = sw_exp_digits;
            break;

        /* exponent digits: more, or the end */
        default: /* sw_exp_digits */
            while (p < last && *p >= '0' && *p <= '9') {
                if (s->exponent < IMS_EXP_MAX) {
                    s->exponent = s->exponent * 10 + (*p - '0');
                }

                p++;
            }

            if (p == last) {
                break;
            }

            *pos = p;
            return ims_stream_number_end(s);
        }
    }

    *pos = p;

    return err;
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
            break;

        /* the first letter of true, false or null: the others */
        case sw_literal:
            while (p < last && *s->literal != '\0'
                   && *p == (ims_uchar_t) *s->literal)
            {
                p++;
                s->literal++;
            }

            if (*s->literal == '\0') {
                s->state = sw_after_value;

            } else if (p < last) {
                err = IMS_SE_LITERAL;
            }

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
