
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * What the three files of the streaming reader share: the states, the
 * document errors, and the scanners every token reader needs.
 *
 *   ims_reader_stream.c         the document and its operations: the
 *                               state machine, the fast path, the API;
 *   ims_reader_stream_tokens.c  strings (escapes, UTF-8), numbers and
 *                               literals, byte by byte across pieces;
 *   ims_reader_stream_names.c   the member names of open objects and
 *                               the check for a repeated one.
 */


#ifndef _IMS_READER_STREAM_H_INCLUDED_
#define _IMS_READER_STREAM_H_INCLUDED_


#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ims.h"


#define IMS_FRAME_OBJECT    0x01
#define IMS_FRAME_HASHED    0x02

/* head room of a record while it is read: next and a 1-byte length */
#define IMS_RECORD_HEAD     5

/* ims_stream_string() at the closing quote: not an error */
#define IMS_SE_STRING_END   (-1)


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


/*
 * String bytes the scanners pass over: printable ASCII but '"' and '\';
 * built by ims_stream_tables_init().
 */
extern ims_uchar_t  ims_stream_plain[256];


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


/* ims_reader_stream_tokens.c */
void ims_stream_tables_init(void);
int ims_stream_string(ims_stream_t *s, const ims_uchar_t **pos,
    const ims_uchar_t *last);
void ims_stream_number_start(ims_stream_t *s);
int ims_stream_number(ims_stream_t *s, const ims_uchar_t **pos,
    const ims_uchar_t *last);
int ims_stream_literal(ims_stream_t *s, const ims_uchar_t **pos,
    const ims_uchar_t *last);

/* ims_reader_stream_names.c */
void ims_stream_seed(void);
void ims_stream_hash_key(uint64_t key[2]);
ims_uchar_t *ims_stream_record(ims_stream_t *s, ims_uchar_t *dst,
    size_t *len);
int ims_stream_name(ims_stream_t *s, const ims_uchar_t *name, size_t n);
void ims_stream_unhash(ims_stream_t *s, ims_stream_frame_t *f);


#endif /* _IMS_READER_STREAM_H_INCLUDED_ */
