
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * IMS error codes, verdicts and the error body
 * {"error":{"code":"IMG.xxxx","message":"..."}}.
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ims.h"


typedef struct {
    const char  *name;
    const char  *text;
} ims_code_entry_t;


/* The texts are the IMS error table's own (notes/ims-rules.md). */
static const ims_code_entry_t  ims_codes[IMS_CODE_COUNT] = {
    [IMS_OK]       = { "", "" },
    [IMS_IMG_0001] = { "IMG.0001", "The request message format is invalid." },
    [IMS_IMG_0002] = { "IMG.0002",
                       "The image name contains more than 128 characters." },
    [IMS_IMG_0003] = { "IMG.0003", "The image name format is invalid." },
    [IMS_IMG_0004] = { "IMG.0004",
                       "The description contains more than 1024 characters." },
    [IMS_IMG_0007] = { "IMG.0007", "The request body is empty." },
    [IMS_IMG_0013] = { "IMG.0013", "The image name is not specified." },
    [IMS_IMG_0017] = { "IMG.0017", "The URL format is incorrect." },
    [IMS_IMG_0024] = { "IMG.0024",
                       "The image type in the request is incorrect." },
    [IMS_IMG_0054] = { "IMG.0054", "The image description format is invalid." },
    [IMS_IMG_0066] = { "IMG.0066", "The image ID is incorrect." },
    [IMS_IMG_0105] = { "IMG.0105", "The operation is not supported." },
    [IMS_IMG_0122] = { "IMG.0122", "The OS type is invalid." },
};


#define IMS_BODY_HEAD  "{\"error\":{\"code\":\""
#define IMS_BODY_MID   "\",\"message\":\""
#define IMS_BODY_TAIL  "\"}}"


const char *
ims_code_name(ims_code_t code)
{
    return ims_codes[code].name;
}


const char *
ims_code_text(ims_code_t code)
{
    return ims_codes[code].text;
}


void
ims_verdict_pass(ims_verdict_t *v)
{
    v->status = 0;
    v->code = IMS_OK;
    v->detail_len = 0;
    v->detail[0] = '\0';
}


/*
 * The detail is formatted from our own text; any client bytes in the
 * arguments must already have gone through ims_escape().  Returns -1 so
 * that callers can "return ims_reject(...)".
 */

int
ims_reject(ims_verdict_t *v, int status, ims_code_t code, const char *fmt,
    ...)
{
    int      n;
    va_list  args;

    v->status = status;
    v->code = code;

    va_start(args, fmt);
    n = vsnprintf(v->detail, sizeof(v->detail), fmt, args);
    va_end(args);

    if (n < 0) {
        n = 0;
        v->detail[0] = '\0';
    }

    v->detail_len = ((size_t) n < sizeof(v->detail))
                    ? (size_t) n : sizeof(v->detail) - 1;

    return -1;
}


/*
 * Client text to show in a message: JSON-escaped, with <, > and & escaped
 * too so that no client markup ever appears as is, and cut at a character
 * boundary with "..." when it does not fit.  The source may be any bytes;
 * invalid UTF-8 is shown as \u00XX per byte.  Always NUL-terminates.
 */

size_t
ims_escape(char *dst, size_t size, const ims_uchar_t *src, size_t len)
{
    size_t              n, need;
    uint32_t            c;
    const ims_uchar_t  *p, *last, *start;
    static const char   hex[] = "0123456789abcdef";

    n = 0;
    p = src;
    last = src + len;

    while (p < last) {
        start = p;

        if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\'
            && *p != '<' && *p != '>' && *p != '&')
        {
            need = 1;
            p++;

        } else {
            c = ims_utf8_next(&p, last);

            /*
             * the rest of ASCII, C1 controls and the JavaScript line breaks
             * are escaped
             */
            need = (c == IMS_UTF8_INVALID || c <= 0x9f
                    || c == 0x2028 || c == 0x2029)
                   ? 6 : (size_t) (p - start);
        }

        if (n + need + 4 > size) {
            if (n + 4 <= size) {
                memcpy(dst + n, "...", 3);
                n += 3;
            }

            break;
        }

        if (need == 6) {
            if (c == IMS_UTF8_INVALID) {
                c = *start;
            }

            dst[n++] = '\\';
            dst[n++] = 'u';
            dst[n++] = hex[(c >> 12) & 0xf];
            dst[n++] = hex[(c >> 8) & 0xf];
            dst[n++] = hex[(c >> 4) & 0xf];
            dst[n++] = hex[c & 0xf];

        } else {
            memcpy(dst + n, start, need);
            n += need;
        }
    }

    if (size > 0) {
        dst[n < size ? n : size - 1] = '\0';
    }

    return n;
}


size_t
ims_error_body_size(const ims_verdict_t *v)
{
    const char  *text;

    text = ims_codes[v->code].text;

    return sizeof(IMS_BODY_HEAD) - 1 + strlen(ims_codes[v->code].name)
           + sizeof(IMS_BODY_MID) - 1 + strlen(text)
           + (v->detail_len ? 1 + v->detail_len : 0)
           + sizeof(IMS_BODY_TAIL) - 1;
}


size_t
ims_error_body(const ims_verdict_t *v, ims_uchar_t *buf)
{
    char  *p;

    p = (char *) buf;

    p = stpcpy(p, IMS_BODY_HEAD);
    p = stpcpy(p, ims_codes[v->code].name);
    p = stpcpy(p, IMS_BODY_MID);
    p = stpcpy(p, ims_codes[v->code].text);

    if (v->detail_len) {
        *p++ = ' ';
        memcpy(p, v->detail, v->detail_len);
        p += v->detail_len;
    }

    /* no stpcpy() here: the buffer has no room for a terminating NUL */
    memcpy(p, IMS_BODY_TAIL, sizeof(IMS_BODY_TAIL) - 1);
    p += sizeof(IMS_BODY_TAIL) - 1;

    return (size_t) (p - (char *) buf);
}
