
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The streaming reader: one pass over the body as it arrives, no
 * allocation, the same records and the same verdict as the jansson reader
 * (ims_reader_jansson.c) on every input.
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
 * "seen" tells their duplicates, and no other name can equal them.
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
#include "ims_stream.h"


/* a linear scan is faster than hashing for the few members of most objects */
#define IMS_STREAM_LINEAR   8

#define IMS_FRAME_OBJECT    0x01
#define IMS_FRAME_HASHED    0x02

/* head room of a record while it is read: next and a 1-byte length */
#define IMS_RECORD_HEAD     5

#define IMS_EXP_MAX         1000000000000000ULL


/* where a piece ended; see the labels in ims_stream_feed() */
enum {
    IMS_SS_START = 0,
    IMS_SS_VALUE,
    IMS_SS_ARRAY,
    IMS_SS_OBJECT,
    IMS_SS_NAME,
    IMS_SS_COLON,
    IMS_SS_NEXT,
    IMS_SS_END,
    IMS_SS_STRING,
    IMS_SS_ESCAPE,
    IMS_SS_HEX,
    IMS_SS_LOW_ESCAPE,
    IMS_SS_LOW_U,
    IMS_SS_UTF8,
    IMS_SS_MINUS,
    IMS_SS_ZERO,
    IMS_SS_INT,
    IMS_SS_DOT,
    IMS_SS_FRAC,
    IMS_SS_EXP,
    IMS_SS_EXP_SIGN,
    IMS_SS_EXP_DIGITS,
    IMS_SS_LITERAL
};


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


/* string bytes the fast loops pass over: printable ASCII but '"' and '\' */
static const ims_uchar_t  ims_stream_plain[256] = {
    [0x20] =    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0x30] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0x40] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0x50] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    [0x60] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0x70] =    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};


static uint64_t  ims_stream_key[2];
static unsigned  ims_stream_seeded;


static const ims_uchar_t  ims_stream_ws[256] = {
    ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [' '] = 1
};

#define ims_is_ws(c)  (ims_stream_ws[c])


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

    v0 = s->k0 ^ 0x736f6d6570736575ULL;
    v1 = s->k1 ^ 0x646f72616e646f6dULL;
    v2 = s->k0 ^ 0x6c7967656e657261ULL;
    v3 = s->k1 ^ 0x7465646279746573ULL;

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
 * The string scanners stop at the bytes the slow path must see: '"', '\',
 * controls and non-ASCII (UTF-8 is checked byte by byte, ASCII is not).
 * A signed compare with 0x20 catches both controls and bytes >= 0x80.
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


/*
 * The copy stores 16 bytes whenever 16 fit below the limit: bytes past the
 * string's end land in free scratch and are overwritten later.
 */

static ims_inline const ims_uchar_t *
ims_stream_copy(const ims_uchar_t *p, const ims_uchar_t *last,
    ims_uchar_t **dstp, const ims_uchar_t *limit)
{
    int           mask, n;
    __m128i       x, quote, bslash, space;
    ims_uchar_t  *dst;

    dst = *dstp;
    quote = _mm_set1_epi8('"');
    bslash = _mm_set1_epi8('\\');
    space = _mm_set1_epi8(0x20);

    while (last - p >= 16 && limit - dst >= 16) {
        x = _mm_loadu_si128((const __m128i *) p);
        _mm_storeu_si128((__m128i *) dst, x);
        mask = _mm_movemask_epi8(
                   _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
                                             _mm_cmpeq_epi8(x, bslash)),
                                _mm_cmplt_epi8(x, space)));
        if (mask) {
            n = __builtin_ctz(mask);
            *dstp = dst + n;
            return p + n;
        }

        p += 16;
        dst += 16;
    }

    while (p < last && dst < limit && ims_stream_plain[*p]) {
        *dst++ = *p++;
    }

    *dstp = dst;

    return p;
}

#elif defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__

/*
 * 8 bytes at a time: a flag in bit 7 of every byte that is '"', '\', below
 * 0x20 or above 0x7f.  Borrows only ever flag bytes above a true match, so
 * the lowest flag is exact.
 */


static ims_inline uint64_t
ims_stream_special(uint64_t w)
{
    uint64_t  q, b;

    q = w ^ (IMS_ONES * '"');
    b = w ^ (IMS_ONES * '\\');

    return ((q - IMS_ONES) & ~q) | ((b - IMS_ONES) & ~b)
           | ((w - IMS_ONES * 0x20) & ~w) | w;
}


static ims_inline const ims_uchar_t *
ims_stream_skip(const ims_uchar_t *p, const ims_uchar_t *last)
{
    uint64_t  w, mask;

    while (last - p >= 8) {
        memcpy(&w, p, sizeof(uint64_t));
        mask = ims_stream_special(w) & IMS_HIGHS;

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


static ims_inline const ims_uchar_t *
ims_stream_copy(const ims_uchar_t *p, const ims_uchar_t *last,
    ims_uchar_t **dstp, const ims_uchar_t *limit)
{
    size_t        n;
    uint64_t      w, mask;
    ims_uchar_t  *dst;

    dst = *dstp;

    while (last - p >= 8 && limit - dst >= 8) {
        memcpy(&w, p, sizeof(uint64_t));
        memcpy(dst, &w, sizeof(uint64_t));
        mask = ims_stream_special(w) & IMS_HIGHS;

        if (mask) {
            n = __builtin_ctzll(mask) >> 3;
            *dstp = dst + n;
            return p + n;
        }

        p += 8;
        dst += 8;
    }

    while (p < last && dst < limit && ims_stream_plain[*p]) {
        *dst++ = *p++;
    }

    *dstp = dst;

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


static ims_inline const ims_uchar_t *
ims_stream_copy(const ims_uchar_t *p, const ims_uchar_t *last,
    ims_uchar_t **dstp, const ims_uchar_t *limit)
{
    ims_uchar_t  *dst;

    dst = *dstp;

    while (p < last && dst < limit && ims_stream_plain[*p]) {
        *dst++ = *p++;
    }

    *dstp = dst;

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


/* compares a significant digit with the overflow limit, until one differs */

static ims_inline void
ims_stream_digit(ims_stream_t *s, int c)
{
    int  t;

    if (s->tcmp == 0 && s->tpos < IMS_DBL_LIMIT_DIGITS) {
        t = ims_stream_dbl_limit[s->tpos++];

        if (c != t) {
            s->tcmp = (c > t) ? 1 : -1;
        }
    }
}


static ims_inline void
ims_stream_number(ims_stream_t *s)
{
    s->nint = 0;
    s->fzero = 0;
    s->exp = 0;
    s->tpos = 0;
    s->tcmp = 0;
    s->sig = 0;
    s->eneg = 0;
}


/*
 * Exactly strtod()'s overflow: the value is 0.d1d2... * 10^(e + 1), so it
 * is below 10^308 when e < 308, at least 10^309 when e > 308, and for
 * e == 308 its digits are compared with the limit's 309 digits (all of
 * them equal and more digits: the value is at or above the limit).
 */

static int
ims_stream_number_ok(const ims_stream_t *s)
{
    int64_t  e;

    if (!s->sig) {
        return 1;
    }

    e = s->nint ? (int64_t) s->nint - 1 : -(int64_t) s->fzero - 1;
    e += s->eneg ? -(int64_t) s->exp : (int64_t) s->exp;

    if (e != 308) {
        return e < 308;
    }

    return s->tcmp < 0
           || (s->tcmp == 0 && s->tpos < IMS_DBL_LIMIT_DIGITS);
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
    s->k0 = ims_stream_key[0];
    s->k1 = ims_stream_key[1];

    s->state = IMS_SS_START;
    s->rc = IMS_STREAM_OK;
    s->pos = 0;
    s->depth = 0;
    s->ops = 0;
    s->dst = NULL;
    s->high = 0;
    s->op_failed = 0;
    s->member = -1;
    s->buckets_ready = 0;

    /* the first operation clears every member, cheaper than a memset */
    s->seen = (1u << IMS_MEMBER_COUNT) - 1;

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
    s->mask = (uint32_t) (nb - 1);
    s->top = records;
    s->end = (ims_uchar_t *) s->buckets;
    s->vtop = s->end;

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
        memset(s->buckets, 0, (s->mask + 1) * sizeof(uint32_t));
        s->buckets_ready = 1;
    }

    /* oldest first, so that each chain stays newest first */
    for (r = s->base + f->keys; r < s->top; r = (ims_uchar_t *) name + len) {
        name = ims_record_name(r, &len);
        b = &s->buckets[ims_stream_hash(s, name, len) & s->mask];
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

    for (r = s->base + f->keys; r < s->top; r = name + len) {
        name = ims_record_name(r, &len);
        next = ims_get32(r);

        /* the object's oldest name in its chain */
        if (next < f->keys) {
            s->buckets[ims_stream_hash(s, name, len) & s->mask] = next;
        }
    }
}


/* closes the record at s->rec, whose bytes end at dst; NULL: no room */

static ims_inline ims_uchar_t *
ims_stream_record(ims_stream_t *s, ims_uchar_t *dst, size_t *len)
{
    size_t        n;
    ims_uchar_t  *rec, *bytes;

    rec = s->rec;
    bytes = rec + IMS_RECORD_HEAD;
    n = dst - bytes;

    if (n < 0xff) {
        rec[4] = (ims_uchar_t) n;

    } else {
        if (s->vtop - dst < 4) {
            return NULL;
        }

        memmove(bytes + 4, bytes, n);
        rec[4] = 0xff;
        ims_put32(bytes, (uint32_t) n);
        bytes += 4;
    }

    *len = n;
    s->top = bytes + n;

    return bytes;
}


/* which of the six member names of an operation; -1: another name */

#define ims_word(p, s)  (ims_get32(p) == ims_get32((const ims_uchar_t *) s))

static ims_inline int
ims_stream_member(const ims_uchar_t *p, size_t n)
{
    /* word compares: memcmp() of an odd length may be a call */

    switch (n) {

    case 2:
        return (p[0] == 'o' && p[1] == 'p') ? IMS_MEMBER_OP : -1;

    case 3:
        return (p[0] == 'a' && p[1] == 'd' && p[2] == 'd') ? IMS_MEMBER_ADD
                                                           : -1;

    case 4:
        return ims_word(p, "path") ? IMS_MEMBER_PATH : -1;

    case 5:
        return (ims_word(p, "valu") && p[4] == 'e') ? IMS_MEMBER_VALUE : -1;

    case 6:
        return (ims_word(p, "remo") && p[4] == 'v' && p[5] == 'e')
               ? IMS_MEMBER_REMOVE : -1;

    case 7:
        return (ims_word(p, "repl") && ims_word(p + 3, "lace"))
               ? IMS_MEMBER_REPLACE : -1;
    }

    return -1;
}


#define ims_at(p, last, ch)  ((p) < (last) && *(p) == (ch))


/*
 * An operation read in one of the fast paths below: the members it set are
 * in "seen"; those the previous operation set and this one did not are
 * cleared, then it is emitted.
 */

static ims_inline void
ims_stream_emit_plain(ims_stream_t *s, unsigned seen)
{
    unsigned       stale;
    ims_member_t  *m;

    for (m = s->m.member, stale = s->seen & ~seen; stale; m++, stale >>= 1) {
        if (stale & 1) {
            m->kind = IMS_JSON_ABSENT;
            m->len = 0;
            m->data = NULL;
        }
    }

    s->seen = seen;
    s->m.index = s->ops - 1;

    if (s->emit(s->data, &s->m, &s->verdict) != 0) {
        s->op_failed = 1;
    }
}


/* a plain string whole in this piece: p is past its opening quote */

static ims_inline const ims_uchar_t *
ims_stream_plain_string(const ims_uchar_t *p, const ims_uchar_t *last)
{
    p = ims_stream_skip(p, last);

    return (p < last && *p == '"') ? p : NULL;
}


/*
 * ',"name":"' or, with sp 1, ', "name": "' (name holds its quotes and the
 * colon), then a plain string whole in this piece: returns the string's
 * first byte and sets *end to its closing quote, or returns NULL.
 */

static ims_inline const ims_uchar_t *
ims_stream_usual_member(const ims_uchar_t *p, const ims_uchar_t *last,
    const char *name, size_t n, size_t sp, const ims_uchar_t **end)
{
    if (last - p < (ptrdiff_t) (n + 2 + 2 * sp)
        || p[0] != ',' || (sp && p[1] != ' '))
    {
        return NULL;
    }

    p += 1 + sp;

    if (memcmp(p, name, n) != 0) {
        return NULL;
    }

    p += n;

    if ((sp && *p++ != ' ') || *p++ != '"') {
        return NULL;
    }

    *end = ims_stream_plain_string(p, last);

    return (*end != NULL) ? p : NULL;
}


/*
 * What clients send: {"op":"...","path":"..."[,"value":"..."]}, exactly
 * these members in this order, plain strings, compact or with one space
 * after every ':' and ',' (as JSON encoders write by default).  p is at
 * the "{"; returns past the "}", or NULL with nothing set, to leave the
 * object to ims_stream_plain_op().
 */

static ims_inline const ims_uchar_t *
ims_stream_usual_op(ims_stream_t *s, const ims_uchar_t *p,
    const ims_uchar_t *last)
{
    size_t              sp;
    unsigned            seen;
    ims_member_t       *m;
    const ims_uchar_t  *op, *op_end, *path, *path_end, *value, *value_end;

    if (last - p < 8 || memcmp(p, "{\"op\":", 6) != 0) {
        return NULL;
    }

    sp = (p[6] == ' ');
    p += 6 + sp;

    if (*p != '"') {
        return NULL;
    }

    /* the three usual verbs by a word compare, anything else scanned */

    op = p + 1;

    if (last - op >= 8 && memcmp(op, "replace\"", 8) == 0) {
        op_end = op + 7;

    } else if (last - op >= 8 && memcmp(op, "remove\"", 7) == 0) {
        op_end = op + 6;

    } else if (last - op >= 8 && memcmp(op, "add\"", 4) == 0) {
        op_end = op + 3;

    } else {
        op_end = ims_stream_plain_string(op, last);

        if (op_end == NULL) {
            return NULL;
        }
    }

    path = ims_stream_usual_member(op_end + 1, last, "\"path\":", 7, sp,
                                   &path_end);

    if (path == NULL) {
        return NULL;
    }

    p = path_end + 1;
    seen = (1u << IMS_MEMBER_OP) | (1u << IMS_MEMBER_PATH);
    value = NULL;
    value_end = NULL;

    if (p < last && *p == ',') {
        value = ims_stream_usual_member(p, last, "\"value\":", 8, sp,
                                        &value_end);

        if (value == NULL) {
            return NULL;
        }

        p = value_end + 1;
        seen |= 1u << IMS_MEMBER_VALUE;
    }

    if (!ims_at(p, last, '}')) {
        return NULL;
    }

    m = s->m.member;

    m[IMS_MEMBER_OP].kind = IMS_JSON_STRING;
    m[IMS_MEMBER_OP].ascii = 1;
    m[IMS_MEMBER_OP].data = op;
    m[IMS_MEMBER_OP].len = op_end - op;

    m[IMS_MEMBER_PATH].kind = IMS_JSON_STRING;
    m[IMS_MEMBER_PATH].ascii = 1;
    m[IMS_MEMBER_PATH].data = path;
    m[IMS_MEMBER_PATH].len = path_end - path;

    if (value != NULL) {
        m[IMS_MEMBER_VALUE].kind = IMS_JSON_STRING;
        m[IMS_MEMBER_VALUE].ascii = 1;
        m[IMS_MEMBER_VALUE].data = value;
        m[IMS_MEMBER_VALUE].len = value_end - value;
    }

    ims_stream_emit_plain(s, seen);

    return p + 1;
}


/*
 * An operation object whole in this piece and in the usual shape: only the
 * six names, each once, every value a plain string (no escape, control
 * character or non-ASCII byte); whitespace anywhere JSON allows it.  It is
 * read here without a frame and its strings are used where they are,
 * since emit() is called before the piece is given back.  p is at its
 * "{"; returns past its "}", or NULL to leave it to the general path,
 * which reads it again from the "{" (s->seen then also holds the members
 * set here, so that they are cleared as the previous operation's are).
 */

static const ims_uchar_t *
ims_stream_plain_op(ims_stream_t *s, const ims_uchar_t *p,
    const ims_uchar_t *last)
{
    int                 c;
    unsigned            seen;
    ims_member_t       *m;
    const ims_uchar_t  *q;

    q = ims_stream_usual_op(s, p, last);

    if (q != NULL) {
        return q;
    }

    seen = 0;
    p++;

    for ( ;; ) {
        if (!ims_at(p, last, '"')) {
            p = ims_stream_skip_ws(p, last);

            if (!ims_at(p, last, '"')) {
                goto general;
            }
        }

        /*
         * The usual names, compact, compared as words in the usual order
         * (op, path, value): names already seen are not tried again.
         */

        if (!(seen & (1u << IMS_MEMBER_OP)) && last - p >= 9
            && ims_word(p, "\"op\"") && p[4] == ':' && p[5] == '"')
        {
            c = IMS_MEMBER_OP;
            p += 6;

        } else if (!(seen & (1u << IMS_MEMBER_PATH)) && last - p >= 9
                   && memcmp(p, "\"path\":\"", 8) == 0)
        {
            c = IMS_MEMBER_PATH;
            p += 8;

        } else if (!(seen & (1u << IMS_MEMBER_VALUE)) && last - p >= 9
                   && memcmp(p, "\"value\":", 8) == 0 && p[8] == '"')
        {
            c = IMS_MEMBER_VALUE;
            p += 9;

        } else {
            q = ims_stream_skip(++p, last);

            if (q == last || *q != '"'
                || (c = ims_stream_member(p, q - p)) < 0)
            {
                goto general;
            }

            p = ims_stream_skip_ws(q + 1, last);

            if (!ims_at(p, last, ':')) {
                goto general;
            }

            p = ims_stream_skip_ws(p + 1, last);

            if (!ims_at(p, last, '"')) {
                goto general;
            }

            p++;
        }

        /* p is past the opening quote of the value */

        q = ims_stream_skip(p, last);

        if (q == last || *q != '"' || (seen & (1u << c))) {
            goto general;
        }

        seen |= 1u << c;
        m = &s->m.member[c];
        m->kind = IMS_JSON_STRING;
        m->ascii = 1;
        m->data = p;
        m->len = q - p;

        /* q < last: p <= last */
        p = q + 1;

        if (p < last && *p == ',') {
            p++;
            continue;
        }

        if (p < last && *p != '}') {
            p = ims_stream_skip_ws(p, last);

            if (ims_at(p, last, ',')) {
                p++;
                continue;
            }
        }

        if (!ims_at(p, last, '}')) {
            goto general;
        }

        break;
    }

    ims_stream_emit_plain(s, seen);

    return p + 1;

general:

    s->seen |= seen;

    return NULL;
}


/* a name was read into the record at s->rec: duplicates, and the member */

static int
ims_stream_name(ims_stream_t *s, const ims_uchar_t *name, size_t n)
{
    int                  k;
    size_t               len;
    uint32_t             off, *b;
    ims_uchar_t         *rec;
    const ims_uchar_t   *r, *other;
    ims_stream_frame_t  *f;

    rec = s->rec;

    if (s->depth == 2) {
        k = ims_stream_member(name, n);
        s->member = k;

        if (k >= 0) {
            if (s->seen & (1u << k)) {
                return -IMS_SE_DUPLICATE;
            }

            s->seen |= 1u << k;
            s->top = rec;
            return 0;
        }
    }

    f = &s->frames[s->depth];

    if (f->flags & IMS_FRAME_HASHED) {
        b = &s->buckets[ims_stream_hash(s, name, n) & s->mask];

        for (off = *b; off >= f->keys; off = ims_get32(s->base + off)) {
            other = ims_record_name(s->base + off, &len);

            if (len == n && memcmp(other, name, n) == 0) {
                return -IMS_SE_DUPLICATE;
            }
        }

        ims_put32(rec, *b);
        *b = (uint32_t) (rec - s->base);

    } else {
        ims_put32(rec, 0);

        for (r = s->base + f->keys; r < rec; r = other + len) {
            other = ims_record_name(r, &len);

            if (len == n && memcmp(other, name, n) == 0) {
                return -IMS_SE_DUPLICATE;
            }
        }

        if (f->nkeys == IMS_STREAM_LINEAR) {
            ims_stream_rehash(s, f);
        }
    }

    f->nkeys++;

    return 0;
}


/* copies a short string of the operation that does not overlap */

static ims_inline void
ims_stream_copy_short(ims_uchar_t *dst, const ims_uchar_t *src, size_t n)
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


/* a "\uXXXX" was read into s->cp */

static int
ims_stream_escaped(ims_stream_t *s)
{
    uint32_t      cp;
    ims_uchar_t  *d;

    cp = s->cp;

    if (s->high) {
        if (cp < 0xdc00 || cp > 0xdfff) {
            return -IMS_SE_SURROGATE;
        }

        cp = 0x10000 + ((s->high - 0xd800) << 10) + (cp - 0xdc00);
        s->high = 0;

    } else if (cp >= 0xd800 && cp <= 0xdbff) {
        s->high = cp;
        return IMS_SS_LOW_ESCAPE;

    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return -IMS_SE_SURROGATE;

    } else if (cp == 0 && s->name) {
        /* jansson refuses it, even with JSON_ALLOW_NUL */
        return -IMS_SE_NUL_NAME;
    }

    d = s->dst;

    if (d == NULL) {
        return IMS_SS_STRING;
    }

    if (s->vtop - d < 4) {
        return -IMS_SE_NOMEM;
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

    return IMS_SS_STRING;
}


/*
 * A state machine written as labels: each label is where the parse may
 * stop when a piece ends (the matching IMS_SS_* state), and a transition
 * is a goto, so that the common path never goes through a dispatch.
 *
 * Returns IMS_STREAM_OK to be fed more, IMS_STREAM_REJECT on a document
 * error (final: v is set, the rest of the body need not be read) or
 * IMS_STREAM_NOMEM.  An operation verdict is not final: it is reported by
 * ims_stream_finish() unless a document error comes later.
 */

int
ims_stream_feed(ims_stream_t *s, const ims_uchar_t *p, size_t len,
    ims_verdict_t *v)
{
    int                  c, rc, need;
    size_t               n;
    unsigned             state, seen;
    ims_uchar_t          lo, hi, *dst, *bytes;
    ims_member_t        *m;
    const ims_uchar_t   *start, *last, *q;
    ims_stream_frame_t  *f;
    ims_stream_error_t   err;

    if (s->rc != IMS_STREAM_OK) {
        *v = s->verdict;
        return s->rc;
    }

    start = p;
    last = p + len;
    state = s->state;

    switch (state) {
    case IMS_SS_START:
        goto start;
    case IMS_SS_VALUE:
        goto value;
    case IMS_SS_ARRAY:
        goto array;
    case IMS_SS_OBJECT:
        goto object;
    case IMS_SS_NAME:
        goto name;
    case IMS_SS_COLON:
        goto colon;
    case IMS_SS_NEXT:
        goto next;
    case IMS_SS_END:
        goto end;
    case IMS_SS_STRING:
        goto string;
    case IMS_SS_ESCAPE:
        goto escape;
    case IMS_SS_HEX:
        goto hex;
    case IMS_SS_LOW_ESCAPE:
        goto low_escape;
    case IMS_SS_LOW_U:
        goto low_u;
    case IMS_SS_UTF8:
        goto utf8;
    case IMS_SS_MINUS:
        goto minus;
    case IMS_SS_ZERO:
        goto zero;
    case IMS_SS_INT:
        goto integer;
    case IMS_SS_DOT:
        goto dot;
    case IMS_SS_FRAC:
        goto frac;
    case IMS_SS_EXP:
        goto exponent;
    case IMS_SS_EXP_SIGN:
        goto exp_sign;
    case IMS_SS_EXP_DIGITS:
        goto exp_digits;
    default: /* IMS_SS_LITERAL */
        goto literal;
    }

start:

    p = ims_stream_skip_ws(p, last);

    if (p == last) {
        state = IMS_SS_START;
        goto more;
    }

    c = *p;

    if (c == '[') {
        goto open;
    }

    err = (c == '{' || c == '"' || c == '-' || c == 't' || c == 'f'
           || c == 'n' || (c >= '0' && c <= '9'))
          ? IMS_SE_NOT_ARRAY : IMS_SE_TOKEN;
    goto failed;

open:

    /* c is "[" or "{" at p */

    if (s->depth + 1 > s->max_depth) {
        err = (s->depth + 1 > IMS_STREAM_JSON_DEPTH) ? IMS_SE_JSON_DEPTH
                                                     : IMS_SE_DEPTH;
        goto failed;
    }

    f = &s->frames[++s->depth];
    p++;

    if (c == '[') {
        f->flags = 0;
        goto array;
    }

    f->flags = IMS_FRAME_OBJECT;
    f->keys = (uint32_t) (s->top - s->base);
    f->nkeys = 0;

    if (s->depth == 2) {
        /* an operation: the members the previous one set are absent */
        for (m = s->m.member, seen = s->seen; seen; m++, seen >>= 1) {
            if (seen & 1) {
                m->kind = IMS_JSON_ABSENT;
                m->len = 0;
                m->data = NULL;
            }
        }

        s->seen = 0;

        s->vtop = s->end;

        if (p < last && *p == '"') {
            p++;
            goto member;
        }
    }

    goto object;

array:

    p = ims_stream_skip_ws(p, last);

    if (p == last) {
        state = IMS_SS_ARRAY;
        goto more;
    }

    if (*p == ']') {
        c = ']';
        goto close;
    }

    goto value_start;

value:

    p = ims_stream_skip_ws(p, last);

    if (p == last) {
        state = IMS_SS_VALUE;
        goto more;
    }

value_start:

    c = *p;
    m = NULL;

    if (s->depth <= 2) {
        if (s->depth == 1) {
            /* an operation, in the top-level array */
            if (++s->ops > s->max_ops) {
                err = IMS_SE_OPS;
                goto failed;
            }

            if (c != '{') {
                err = IMS_SE_NOT_OBJECT;
                goto failed;
            }

            /* operations in the usual shape, one after the other */

            while (!s->op_failed && s->max_depth >= 2
                   && (q = ims_stream_plain_op(s, p, last)) != NULL)
            {
                p = q;

                if (last - p < 2 || p[0] != ',' || p[1] != '{') {
                    goto next;
                }

                p++;

                if (++s->ops > s->max_ops) {
                    err = IMS_SE_OPS;
                    goto failed;
                }
            }

            c = '{';
            goto open;
        }

        if (s->member >= 0) {
            m = &s->m.member[s->member];
        }
    }

    if (c == '{' || c == '[') {
        if (m != NULL) {
            m->kind = (c == '{') ? IMS_JSON_OBJECT : IMS_JSON_ARRAY;
        }

        goto open;
    }

    /* jansson counts a scalar as a level too */
    if (s->depth >= IMS_STREAM_JSON_DEPTH) {
        err = IMS_SE_JSON_DEPTH;
        goto failed;
    }

    switch (c) {

    case '"':
        p++;

        if (m == NULL || s->op_failed) {
            if (m != NULL) {
                m->kind = IMS_JSON_STRING;
                m->ascii = 0;
            }

            /* most strings nobody keeps end in this piece */
            p = ims_stream_skip(p, last);

            if (p < last && *p == '"') {
                p++;
                goto next;
            }

            s->dst = NULL;
            s->name = 0;
            goto string;
        }

        m->kind = IMS_JSON_STRING;
        m->ascii = 0;
        q = ims_stream_skip(p, last);

        if (q < last && *q == '"') {
            /* plain and whole in this piece: straight to its place */
            n = q - p;

            if ((size_t) (s->vtop - s->top) < n) {
                err = IMS_SE_NOMEM;
                goto failed;
            }

            s->vtop -= n;
            ims_stream_copy_short(s->vtop, p, n);
            m->ascii = 1;
            m->data = s->vtop;
            m->len = n;
            p = q + 1;
            goto next;
        }

        /* decoded above the records, moved down when complete */
        s->dst = s->top;
        s->name = 0;
        goto string;

    case 't':
    case 'f':
    case 'n':
        if (m != NULL) {
            m->kind = (c == 'n') ? IMS_JSON_NULL : IMS_JSON_BOOLEAN;
        }

        s->lit = (c == 't') ? "rue" : (c == 'f') ? "alse" : "ull";
        p++;
        goto literal;

    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        if (m != NULL) {
            m->kind = IMS_JSON_NUMBER;
        }

        ims_stream_number(s);
        p++;

        if (c == '-') {
            goto minus;
        }

        if (c == '0') {
            goto zero;
        }

        s->sig = 1;
        s->nint = 1;
        ims_stream_digit(s, c);
        goto integer;

    default:
        err = IMS_SE_TOKEN;
        goto failed;
    }

object:

    p = ims_stream_skip_ws(p, last);

    if (p == last) {
        state = IMS_SS_OBJECT;
        goto more;
    }

    if (*p == '}') {
        c = '}';
        goto close;
    }

    goto name_start;

name:

    p = ims_stream_skip_ws(p, last);

    if (p == last) {
        state = IMS_SS_NAME;
        goto more;
    }

name_start:

    if (*p != '"') {
        err = IMS_SE_TOKEN;
        goto failed;
    }

    p++;

    if (s->depth == 2) {
        goto member;
    }

record:

    if (s->vtop - s->top < IMS_RECORD_HEAD) {
        err = IMS_SE_NOMEM;
        goto failed;
    }

    s->rec = s->top;
    s->dst = s->top + IMS_RECORD_HEAD;
    s->name = 1;

string:

    dst = s->dst;

    for ( ;; ) {
        if (dst == NULL) {
            p = ims_stream_skip(p, last);

        } else {
            p = ims_stream_copy(p, last, &dst, s->vtop);
        }

        if (p == last) {
            s->dst = dst;
            state = IMS_SS_STRING;
            goto more;
        }

        c = *p++;

        if (c == '"') {
            break;
        }

        if (c == '\\') {
            s->dst = dst;
            goto escape;
        }

        if (c < 0x80) {
            /* a plain byte is only left when the copy is full */
            p--;
            err = (c < 0x20) ? IMS_SE_CONTROL : IMS_SE_NOMEM;
            goto failed;
        }

        /* RFC 3629: no overlong forms, surrogates, or > U+10FFFF */

        if (c < 0xc2 || c > 0xf4) {
            p--;
            err = IMS_SE_UTF8;
            goto failed;
        }

        if (c < 0xe0) {
            need = 1;
            lo = 0x80;
            hi = 0xbf;

        } else if (c < 0xf0) {
            need = 2;
            lo = (c == 0xe0) ? 0xa0 : 0x80;
            hi = (c == 0xed) ? 0x9f : 0xbf;

        } else {
            need = 3;
            lo = (c == 0xf0) ? 0x90 : 0x80;
            hi = (c == 0xf4) ? 0x8f : 0xbf;
        }

        for ( ;; ) {
            if (dst != NULL) {
                if (dst == s->vtop) {
                    p--;
                    err = IMS_SE_NOMEM;
                    goto failed;
                }

                *dst++ = (ims_uchar_t) c;
            }

            if (need == 0) {
                break;
            }

            if (p == last) {
                /* the character goes on in the next piece */
                s->dst = dst;
                s->need = need;
                s->lo = lo;
                s->hi = hi;
                state = IMS_SS_UTF8;
                goto more;
            }

            c = *p;

            if (c < lo || c > hi) {
                err = IMS_SE_UTF8;
                goto failed;
            }

            p++;
            need--;
            lo = 0x80;
            hi = 0xbf;
        }
    }

    /* the closing quote */

    if (dst == NULL) {
        goto next;
    }

    s->dst = NULL;

    if (!s->name) {
        n = dst - s->top;
        s->vtop -= n;
        memmove(s->vtop, s->top, n);

        m = &s->m.member[s->member];
        m->data = s->vtop;
        m->len = n;

        goto next;
    }

    bytes = ims_stream_record(s, dst, &n);

    if (bytes == NULL) {
        err = IMS_SE_NOMEM;
        goto failed;
    }

    rc = ims_stream_name(s, bytes, n);

    if (rc != 0) {
        err = -rc;
        goto failed;
    }

    goto colon;

member:

    /*
     * Past the opening quote of a name in an operation.  Most are one of
     * the six, plain, with a plain string value right after the colon:
     * this path takes "name":"value", and the next name, in one go, and
     * leaves anything else to the general one.
     */

    q = ims_stream_skip(p, last);

    if (q == last || *q != '"' || (c = ims_stream_member(p, q - p)) < 0) {
        goto record;
    }

    if (s->seen & (1u << c)) {
        /* reported past the name, as the general path does */
        p = q + 1;
        err = IMS_SE_DUPLICATE;
        goto failed;
    }

    s->seen |= 1u << c;
    s->member = c;
    p = q + 1;

    if (last - p < 2 || p[0] != ':' || p[1] != '"' || s->op_failed) {
        goto colon;
    }

    q = ims_stream_skip(p + 2, last);

    if (q == last || *q != '"') {
        goto colon;
    }

    p += 2;
    n = q - p;

    if ((size_t) (s->vtop - s->top) < n) {
        err = IMS_SE_NOMEM;
        goto failed;
    }

    s->vtop -= n;
    ims_stream_copy_short(s->vtop, p, n);

    m = &s->m.member[c];
    m->kind = IMS_JSON_STRING;
    m->ascii = 1;
    m->data = s->vtop;
    m->len = n;

    p = q + 1;

    if (last - p >= 2 && p[0] == ',' && p[1] == '"') {
        p += 2;
        goto member;
    }

    goto next;

utf8:

    /* continuation bytes of a character split between pieces */

    while (s->need) {
        if (p == last) {
            state = IMS_SS_UTF8;
            goto more;
        }

        c = *p;

        if (c < s->lo || c > s->hi) {
            err = IMS_SE_UTF8;
            goto failed;
        }

        if (s->dst != NULL) {
            if (s->dst == s->vtop) {
                err = IMS_SE_NOMEM;
                goto failed;
            }

            *s->dst++ = (ims_uchar_t) c;
        }

        p++;
        s->need--;
        s->lo = 0x80;
        s->hi = 0xbf;
    }

    goto string;

escape:

    if (p == last) {
        state = IMS_SS_ESCAPE;
        goto more;
    }

    c = *p;

    switch (c) {
    case '"':
    case '\\':
    case '/':
        break;
    case 'b':
        c = '\b';
        break;
    case 'f':
        c = '\f';
        break;
    case 'n':
        c = '\n';
        break;
    case 'r':
        c = '\r';
        break;
    case 't':
        c = '\t';
        break;
    case 'u':
        p++;
        s->cp = 0;
        s->hex_n = 0;
        goto hex;
    default:
        err = IMS_SE_ESCAPE;
        goto failed;
    }

    if (s->dst != NULL) {
        if (s->dst == s->vtop) {
            err = IMS_SE_NOMEM;
            goto failed;
        }

        *s->dst++ = (ims_uchar_t) c;
    }

    p++;
    goto string;

hex:

    do {
        if (p == last) {
            state = IMS_SS_HEX;
            goto more;
        }

        c = ims_hex(*p);

        if (c < 0) {
            err = IMS_SE_ESCAPE;
            goto failed;
        }

        p++;
        s->cp = (s->cp << 4) | c;

    } while (++s->hex_n < 4);

    rc = ims_stream_escaped(s);

    if (rc < 0) {
        err = -rc;
        goto failed;
    }

    if (rc == IMS_SS_STRING) {
        goto string;
    }

low_escape:

    /* a high surrogate must be followed by the escape of a low one */

    if (p == last) {
        state = IMS_SS_LOW_ESCAPE;
        goto more;
    }

    if (*p != '\\') {
        err = IMS_SE_SURROGATE;
        goto failed;
    }

    p++;

low_u:

    if (p == last) {
        state = IMS_SS_LOW_U;
        goto more;
    }

    if (*p != 'u') {
        err = IMS_SE_SURROGATE;
        goto failed;
    }

    p++;
    s->cp = 0;
    s->hex_n = 0;
    goto hex;

colon:

    p = ims_stream_skip_ws(p, last);

    if (p == last) {
        state = IMS_SS_COLON;
        goto more;
    }

    if (*p != ':') {
        err = IMS_SE_TOKEN;
        goto failed;
    }

    p++;
    goto value;

next:

    p = ims_stream_skip_ws(p, last);

    if (p == last) {
        state = IMS_SS_NEXT;
        goto more;
    }

    c = *p;

    if (c == ',') {
        p++;

        if (s->frames[s->depth].flags & IMS_FRAME_OBJECT) {
            goto name;
        }

        goto value;
    }

    if (c != ']' && c != '}') {
        err = IMS_SE_TOKEN;
        goto failed;
    }

close:

    /* c is "]" or "}" at p */

    f = &s->frames[s->depth];

    if ((c == '}') != ((f->flags & IMS_FRAME_OBJECT) != 0)) {
        err = IMS_SE_TOKEN;
        goto failed;
    }

    p++;

    if (c == ']') {
        if (--s->depth == 0) {
            goto end;
        }

        goto next;
    }

    if (f->flags & IMS_FRAME_HASHED) {
        ims_stream_unhash(s, f);
    }

    if (--s->depth == 1 && !s->op_failed) {
        /* the first operation verdict is kept; later ones are not asked */
        s->m.index = s->ops - 1;

        if (s->emit(s->data, &s->m, &s->verdict) != 0) {
            s->op_failed = 1;
        }
    }

    s->top = s->base + f->keys;

    goto next;

minus:

    if (p == last) {
        state = IMS_SS_MINUS;
        goto more;
    }

    c = *p;

    if (c == '0') {
        p++;
        goto zero;
    }

    if (c < '1' || c > '9') {
        err = IMS_SE_NUMBER;
        goto failed;
    }

    p++;
    s->sig = 1;
    s->nint = 1;
    ims_stream_digit(s, c);

integer:

    while (p < last && *p >= '0' && *p <= '9') {
        ims_stream_digit(s, *p++);
        s->nint++;
    }

    if (p == last) {
        state = IMS_SS_INT;
        goto more;
    }

    goto fraction;

zero:

    if (p == last) {
        state = IMS_SS_ZERO;
        goto more;
    }

    if (*p >= '0' && *p <= '9') {
        err = IMS_SE_NUMBER;
        goto failed;
    }

fraction:

    if (*p == '.') {
        p++;
        goto dot;
    }

    if (*p == 'e' || *p == 'E') {
        p++;
        goto exponent;
    }

    goto number;

dot:

    if (p == last) {
        state = IMS_SS_DOT;
        goto more;
    }

    if (*p < '0' || *p > '9') {
        err = IMS_SE_NUMBER;
        goto failed;
    }

frac:

    while (p < last && *p >= '0' && *p <= '9') {
        c = *p++;

        if (s->sig) {
            ims_stream_digit(s, c);

        } else if (c == '0') {
            s->fzero++;

        } else {
            s->sig = 1;
            ims_stream_digit(s, c);
        }
    }

    if (p == last) {
        state = IMS_SS_FRAC;
        goto more;
    }

    if (*p == 'e' || *p == 'E') {
        p++;
        goto exponent;
    }

    goto number;

exponent:

    if (p == last) {
        state = IMS_SS_EXP;
        goto more;
    }

    if (*p == '+' || *p == '-') {
        s->eneg = (*p == '-');
        p++;
    }

exp_sign:

    if (p == last) {
        state = IMS_SS_EXP_SIGN;
        goto more;
    }

    if (*p < '0' || *p > '9') {
        err = IMS_SE_NUMBER;
        goto failed;
    }

exp_digits:

    while (p < last && *p >= '0' && *p <= '9') {
        if (s->exp < IMS_EXP_MAX) {
            s->exp = s->exp * 10 + (*p - '0');
        }

        p++;
    }

    if (p == last) {
        state = IMS_SS_EXP_DIGITS;
        goto more;
    }

number:

    /* the byte after the number is the next token's */

    if (!ims_stream_number_ok(s)) {
        err = IMS_SE_OVERFLOW;
        goto failed;
    }

    goto next;

literal:

    while (*s->lit != '\0') {
        if (p == last) {
            state = IMS_SS_LITERAL;
            goto more;
        }

        if (*p != (ims_uchar_t) *s->lit) {
            err = IMS_SE_LITERAL;
            goto failed;
        }

        p++;
        s->lit++;
    }

    goto next;

end:

    p = ims_stream_skip_ws(p, last);

    if (p == last) {
        state = IMS_SS_END;
        goto more;
    }

    err = IMS_SE_TRAILING;
    goto failed;

more:

    s->state = state;
    s->pos += len;

    return IMS_STREAM_OK;

failed:

    rc = ims_stream_fail(s, err, s->pos + (p - start));
    *v = s->verdict;

    return rc;
}


int
ims_stream_finish(ims_stream_t *s, ims_verdict_t *v)
{
    if (s->rc == IMS_STREAM_OK && s->state != IMS_SS_END) {
        ims_stream_fail(s, IMS_SE_END, s->pos);
    }

    if (s->rc != IMS_STREAM_OK) {
        *v = s->verdict;
        return s->rc;
    }

    if (s->op_failed) {
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
