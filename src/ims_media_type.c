
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The Content-Type gate: an RFC 9110 media type, lenient only in allowing
 * optional whitespace around the value, around ";" and around "=".
 */


#include <string.h>
#include <strings.h>

#include "ims.h"


const char  ims_media_type_v20[] =
    "application/openstack-images-v2.0-json-patch";
const char  ims_media_type_v21[] =
    "application/openstack-images-v2.1-json-patch";
const char  ims_accept_patch[] =
    "application/openstack-images-v2.0-json-patch, "
    "application/openstack-images-v2.1-json-patch";


/* RFC 9110 tchar */

static int
ims_is_tchar(ims_uchar_t ch)
{
    return (ch >= '0' && ch <= '9')
           || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')
           || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}


static const ims_uchar_t *
ims_skip_ows(const ims_uchar_t *p, const ims_uchar_t *last)
{
    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return p;
}


static const ims_uchar_t *
ims_skip_token(const ims_uchar_t *p, const ims_uchar_t *last)
{
    while (p < last && ims_is_tchar(*p)) {
        p++;
    }

    return p;
}


/*
 * A quoted-string starting at the opening quote.  Returns the position
 * after the closing quote or NULL; the unescaped content is compared with
 * "utf-8" on the way so that charset="UTF\-8" is recognized too.
 */

static const ims_uchar_t *
ims_skip_quoted(const ims_uchar_t *p, const ims_uchar_t *last, int *is_utf8)
{
    size_t              n;
    ims_uchar_t         ch;
    static const char   utf8[] = "utf-8";

    n = 0;
    *is_utf8 = 1;

    for (p++; p < last; p++) {
        ch = *p;

        if (ch == '"') {
            if (n != sizeof(utf8) - 1) {
                *is_utf8 = 0;
            }

            return p + 1;
        }

        if (ch == '\\') {
            if (++p == last) {
                return NULL;
            }

            ch = *p;

            if (ch != '\t' && (ch < 0x20 || ch == 0x7f)) {
                return NULL;
            }

        } else if (ch != '\t' && (ch < 0x20 || ch == 0x7f)) {
            return NULL;
        }

        if (n >= sizeof(utf8) - 1 || (ch | 0x20) != (ims_uchar_t) utf8[n]) {
            *is_utf8 = 0;
        }

        n++;
    }

    return NULL;
}


/*
 * Returns the dialect, or IMS_PATCH_NONE with *why saying what was wrong
 * (our own text, for the log); *changes says what the canonical form
 * drops.
 */

ims_dialect_t
ims_media_type_parse(const ims_uchar_t *p, size_t len, unsigned *changes,
    const char **why)
{
    int                 is_utf8;
    size_t              type_len;
    ims_dialect_t       dialect;
    const ims_uchar_t  *last, *type, *name, *name_end, *value, *slash;

    *changes = 0;

    /* what nearly every client sends: the canonical type, nothing else */

    if (len == sizeof(ims_media_type_v21) - 1
        && memcmp(p, ims_media_type_v21, len) == 0)
    {
        return IMS_PATCH_V21;
    }

    if (len == sizeof(ims_media_type_v20) - 1
        && memcmp(p, ims_media_type_v20, len) == 0)
    {
        return IMS_PATCH_V20;
    }

    last = p + len;

    p = ims_skip_ows(p, last);
    type = p;

    if (p != last - len) {
        *changes |= IMS_MEDIA_WHITESPACE;
    }

    p = ims_skip_token(p, last);

    if (p == type || p == last || *p != '/') {
        *why = "not a media type";
        return IMS_PATCH_NONE;
    }

    slash = p++;
    p = ims_skip_token(p, last);

    if (p == slash + 1) {
        *why = "no media subtype";
        return IMS_PATCH_NONE;
    }

    type_len = p - type;
    dialect = IMS_PATCH_NONE;

    if (type_len == sizeof(ims_media_type_v21) - 1) {
        if (strncasecmp((const char *) type, ims_media_type_v21, type_len)
            == 0)
        {
            dialect = IMS_PATCH_V21;

        } else if (strncasecmp((const char *) type, ims_media_type_v20,
                               type_len) == 0)
        {
            dialect = IMS_PATCH_V20;
        }

        if (dialect != IMS_PATCH_NONE
            && memcmp(type, ims_media_type_canonical(dialect)->data, type_len)
               != 0)
        {
            *changes |= IMS_MEDIA_CASE;
        }
    }

    for ( ;; ) {
        value = p;
        p = ims_skip_ows(p, last);

        if (p == last) {
            if (p != value) {
                *changes |= IMS_MEDIA_WHITESPACE;
            }

            break;
        }

        *changes |= IMS_MEDIA_PARAMETERS;

        if (*p != ';') {
            *why = "malformed media type";
            return IMS_PATCH_NONE;
        }

        p = ims_skip_ows(p + 1, last);

        if (p == last || *p == ';') {
            continue;                           /* an empty parameter */
        }

        name = p;
        p = ims_skip_token(p, last);

        if (p == name) {
            *why = "malformed parameter";
            return IMS_PATCH_NONE;
        }

        name_end = p;
        p = ims_skip_ows(p, last);

        if (p == last || *p != '=') {
            *why = "parameter without a value";
            return IMS_PATCH_NONE;
        }

        p = ims_skip_ows(p + 1, last);

        if (p < last && *p == '"') {
            p = ims_skip_quoted(p, last, &is_utf8);

            if (p == NULL) {
                *why = "malformed quoted parameter";
                return IMS_PATCH_NONE;
            }

        } else {
            value = p;
            p = ims_skip_token(p, last);

            if (p == value) {
                *why = "parameter without a value";
                return IMS_PATCH_NONE;
            }

            is_utf8 = (p - value == 5
                       && strncasecmp((const char *) value, "utf-8", 5) == 0);
        }

        if ((size_t) (name_end - name) == 7
            && strncasecmp((const char *) name, "charset", 7) == 0
            && !is_utf8)
        {
            *why = "charset other than utf-8";
            return IMS_PATCH_NONE;
        }
    }

    if (dialect == IMS_PATCH_NONE) {
        *why = "unsupported media type";
    }

    return dialect;
}


/* with its length: the gateway sets it on every accepted patch */

const ims_str_t *
ims_media_type_canonical(ims_dialect_t dialect)
{
    static const ims_str_t  types[] = {
        { 0, NULL },
        { sizeof(ims_media_type_v20) - 1,
          (const ims_uchar_t *) ims_media_type_v20 },
        { sizeof(ims_media_type_v21) - 1,
          (const ims_uchar_t *) ims_media_type_v21 },
    };

    return (dialect == IMS_PATCH_V20 || dialect == IMS_PATCH_V21)
           ? &types[dialect] : NULL;
}
