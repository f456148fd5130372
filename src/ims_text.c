
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * Text helpers: strict UTF-8 decoding, the Unicode classes the rules need,
 * canonical UUIDs.
 */


#include "ims.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


/*
 * Decodes one character and advances *pp; returns IMS_UTF8_INVALID (and
 * advances by one byte) on anything RFC 3629 forbids: bad lead or
 * continuation bytes, overlong forms, surrogates, values above U+10FFFF,
 * truncated sequences.
 */

uint32_t
ims_utf8_next(const ims_uchar_t **pp, const ims_uchar_t *last)
{
    size_t              n, i;
    uint32_t            c, min;
    const ims_uchar_t  *p;

    p = *pp;
    c = *p;

    if (c < 0x80) {
        *pp = p + 1;
        return c;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        c &= 0x1f;
        min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        c &= 0x0f;
        min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        c &= 0x07;
        min = 0x10000;

    } else {
        *pp = p + 1;
        return IMS_UTF8_INVALID;
    }

    if ((size_t) (last - p) <= n) {
        *pp = p + 1;
        return IMS_UTF8_INVALID;
    }

    for (i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *pp = p + 1;
            return IMS_UTF8_INVALID;
        }

        c = (c << 6) | (p[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        *pp = p + 1;
        return IMS_UTF8_INVALID;
    }

    *pp = p + n + 1;

    return c;
}


int
ims_utf8_valid(const ims_uchar_t *p, size_t len)
{
    const ims_uchar_t  *last;

    last = p + len;

    while (p < last) {
        if (*p < 0x80) {
            p++;
            continue;
        }

        if (ims_utf8_next(&p, last) == IMS_UTF8_INVALID) {
            return 0;
        }
    }

    return 1;
}


/* Unicode White_Space, the set Python's str.strip() removes in Glance */

int
ims_is_white_space(uint32_t c)
{
    if (c > 0x20 && c < 0x85) {
        return 0;
    }

    return (c >= 0x09 && c <= 0x0d) || c == 0x20
           || (c >= 0x1c && c <= 0x1f)
           || c == 0x85 || c == 0xa0 || c == 0x1680
           || (c >= 0x2000 && c <= 0x200a)
           || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f
           || c == 0x3000;
}


/* Unicode general categories Cc and Cf (Unicode 15) */

int
ims_is_control_or_format(uint32_t c)
{
    /* below the first character of the list below: Cc only */
    if (c < 0xad) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }

    return c == 0xad
           || (c >= 0x600 && c <= 0x605) || c == 0x61c || c == 0x6dd
           || c == 0x70f || c == 0x890 || c == 0x891 || c == 0x8e2
           || c == 0x180e
           || (c >= 0x200b && c <= 0x200f)
           || (c >= 0x202a && c <= 0x202e)
           || (c >= 0x2060 && c <= 0x2064)
           || (c >= 0x2066 && c <= 0x206f)
           || c == 0xfeff
           || (c >= 0xfff9 && c <= 0xfffb)
           || c == 0x110bd || c == 0x110cd
           || (c >= 0x13430 && c <= 0x1343f)
           || (c >= 0x1bca0 && c <= 0x1bca3)
           || (c >= 0x1d173 && c <= 0x1d17a)
           || c == 0xe0001
           || (c >= 0xe0020 && c <= 0xe007f);
}


/* 8-4-4-4-12 hex digits, either case */

/* the dashes of 8-4-4-4-12, and every other position a digit */
#define IMS_UUID_DASHES  ((1ull << 8) | (1ull << 13) | (1ull << 18)          \
                          | (1ull << 23))
#define IMS_UUID_DIGITS  (((1ull << 36) - 1) & ~IMS_UUID_DASHES)


#if defined(__SSE2__) && defined(__GNUC__)

/*
 * Bit i is set where byte i of the 16 in x is a hex digit.  Signed
 * compares leave bytes of 0x80 and above out; OR-ing 0x20 folds only
 * 'A'-'F' onto 'a'-'f'.
 */

static ims_inline unsigned
ims_hex_mask16(__m128i x)
{
    __m128i  y, digit, letter;

    digit = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                          _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));

    y = _mm_or_si128(x, _mm_set1_epi8(0x20));
    letter = _mm_and_si128(_mm_cmpgt_epi8(y, _mm_set1_epi8('a' - 1)),
                           _mm_cmplt_epi8(y, _mm_set1_epi8('f' + 1)));

    return (unsigned) _mm_movemask_epi8(_mm_or_si128(digit, letter));
}


int
ims_uuid_is_canonical(const ims_uchar_t *p, size_t len)
{
    size_t    i;
    __m128i   x;
    uint64_t  hex, dash;

    /* bytes 0-15, 16-31 and 20-35: 36 in all, none read past them */
    static const int  at[] = { 0, 16, 20 };

    if (len != 36) {
        return 0;
    }

    hex = 0;
    dash = 0;

    for (i = 0; i < ims_nelts(at); i++) {
        x = _mm_loadu_si128((const __m128i *) (p + at[i]));
        hex |= (uint64_t) ims_hex_mask16(x) << at[i];
        dash |= (uint64_t) _mm_movemask_epi8(
                    _mm_cmpeq_epi8(x, _mm_set1_epi8('-'))) << at[i];
    }

    return hex == IMS_UUID_DIGITS && dash == IMS_UUID_DASHES;
}

#else

int
ims_uuid_is_canonical(const ims_uchar_t *p, size_t len)
{
    size_t    i;
    unsigned  bad;

    if (len != 36) {
        return 0;
    }

    bad = 0;

    /* the shape of the SSE2 version, a byte at a time */
    for (i = 0; i < 36; i++) {
        bad |= ((IMS_UUID_DASHES >> i) & 1) ? p[i] != '-' : ims_hex(p[i]) < 0;
    }

    return !bad;
}

#endif
