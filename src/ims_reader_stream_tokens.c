
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The token readers of the streaming reader (ims_reader_stream.c):
 * strings, numbers and the literals true, false and null, each read a
 * byte at a time from where the last piece left it, with the states of
 * ims_reader_stream.h.  A string is checked as jansson checks it (RFC
 * 8259 escapes, surrogate pairs, RFC 3629 UTF-8) and decoded to s->dst
 * when the reader keeps it; of a number only its range matters, so its
 * digits are compared, not converted.
 */


#include <string.h>

#include "ims_reader_stream.h"


#define IMS_EXP_MAX         1000000000000000ULL


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


ims_uchar_t  ims_stream_plain[256];


/* the byte a one-letter escape stands for; 0: not an escape */
static const ims_uchar_t  ims_stream_unescape[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f',
    ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'
};


void
ims_stream_tables_init(void)
{
    int  c;

    for (c = 0; c < 256; c++) {
        ims_stream_plain[c] = (c >= 0x20 && c < 0x80 && c != '"'
                               && c != '\\');
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

int
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
                return IMS_SE_STRING_END;
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


/* a number starts: its digits are yet to be seen */

void
ims_stream_number_start(ims_stream_t *s)
{
    s->int_digits = 0;
    s->frac_zeros = 0;
    s->exponent = 0;
    s->limit_digits = 0;
    s->limit_cmp = 0;
    s->significant = 0;
    s->exp_negative = 0;
    s->state = sw_int_first;
}


/*
 * The number states, from its first digit to the byte after its last,
 * which is the next token's: only then is its range known.
 */

int
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


/* the first letter of true, false or null was read: the others */

int
ims_stream_literal(ims_stream_t *s, const ims_uchar_t **pos,
    const ims_uchar_t *last)
{
    const ims_uchar_t  *p;

    p = *pos;

    while (p < last && *s->literal != '\0'
           && *p == (ims_uchar_t) *s->literal)
    {
        p++;
        s->literal++;
    }

    *pos = p;

    if (*s->literal == '\0') {
        s->state = sw_after_value;
        return IMS_SE_NONE;
    }

    return (p < last) ? IMS_SE_LITERAL : IMS_SE_NONE;
}
