
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * libFuzzer harness for the route model, ims_route() (docs/rules.md,
 * "Routes" and "Method override").
 *
 * Input: one control byte, then six fields separated by "\n": method,
 * path, query, Content-Type, prefix, header name.  A missing field is
 * empty; the last one takes the rest of the input, "\n" included.
 *   bit 0     an override header: rq.override_header, as the glue sets it
 *             for any of the three header names (a header name field that
 *             ims_route_header() calls an override header sets it too);
 *   bit 1     an API prefix: the prefix field goes through
 *             ims_route_conf_set_prefix() as the directive's value does;
 *             a refused prefix leaves the route without one.
 * "\n" can be the separator because no method, query or header holds a
 * raw one; a decoded path can, but the rules treat it as any byte other
 * than the few they name.  Each field is a heap block of exactly its
 * length, as ASan needs to see an overrun.
 *
 * Besides memory safety it checks:
 *   - the route is one of the three; a PATCH route is the method "PATCH"
 *     and an image id inside the path, non-empty, without "/", ending
 *     where the path ends; a QUERY route is GET or HEAD on a path ending
 *     with "cloudimages";
 *   - the verdict is a pass, or 400 IMG.0017 with a NUL-terminated detail
 *     saying "Method override is not supported", and its error body is
 *     strict JSON (fuzz_util.h); an override header, and a query that
 *     ims_method_override_in_query() finds an override in, are always
 *     rejected;
 *   - a reference written here from the rules, not from ims_route.c,
 *     agrees on the route, the image id, the query's override, the form
 *     POST, the header kind and the prefix: two readings of the same rules
 *     that differ are a hole in one of them;
 *   - no input is modified.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ims.h"
#include "fuzz_util.h"


enum {
    IMS_FIELD_METHOD = 0,
    IMS_FIELD_PATH,
    IMS_FIELD_ARGS,
    IMS_FIELD_CONTENT_TYPE,
    IMS_FIELD_PREFIX,
    IMS_FIELD_HEADER,
    IMS_FIELD_COUNT
};


#define IMS_FUZZ_OVERRIDE_HEADER  0x01
#define IMS_FUZZ_PREFIX           0x02


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/*
 * The reference.  Plain index loops over whole strings, one rule at a
 * time, in the words of docs/rules.md; speed does not matter here.
 */


/* the rules fold ASCII letters only, whatever the locale */

static ims_uchar_t
ims_ref_lower(ims_uchar_t ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (ims_uchar_t) (ch + 'a' - 'A') : ch;
}


static int
ims_ref_equals(const ims_uchar_t *p, size_t len, const char *s)
{
    return len == strlen(s) && memcmp(p, s, len) == 0;
}


static int
ims_ref_starts(const ims_uchar_t *p, size_t len, const char *s)
{
    return len >= strlen(s) && memcmp(p, s, strlen(s)) == 0;
}


static size_t
ims_ref_skip_slashes(const ims_uchar_t *p, size_t i, size_t len)
{
    while (i < len && p[i] == '/') {
        i++;
    }

    return i;
}


/*
 * docs/rules.md, "Normalization": every leading "/" dropped; the prefix
 * and the "/"s after it, if the path starts with prefix + "/" (and if the
 * rest is no route, the path without dropping it: judged with or without
 * the prefix); "v2/" or "v2." + digits + "/"; then exactly "cloudimages"
 * or "images/{id}".  *id is the id's offset in the path.
 */

static ims_route_t ims_ref_route_at(const ims_str_t *method,
    const ims_str_t *path, size_t i, size_t *id);


static ims_route_t
ims_ref_route(const ims_str_t *prefix, const ims_str_t *method,
    const ims_str_t *path, size_t *id)
{
    size_t              i, len;
    ims_route_t         route;
    const ims_uchar_t  *p;

    p = path->data;
    len = path->len;

    i = ims_ref_skip_slashes(p, 0, len);

    if (prefix->len > 0
        && len - i >= prefix->len + 1
        && memcmp(p + i, prefix->data, prefix->len) == 0
        && p[i + prefix->len] == '/')
    {
        route = ims_ref_route_at(method, path,
                                 ims_ref_skip_slashes(p, i + prefix->len + 1,
                                                      len),
                                 id);
        if (route != IMS_ROUTE_OTHER) {
            return route;
        }
    }

    return ims_ref_route_at(method, path, i, id);
}


static ims_route_t
ims_ref_route_at(const ims_str_t *method, const ims_str_t *path, size_t i,
    size_t *id)
{
    size_t              d, len;
    const ims_uchar_t  *p;

    p = path->data;
    len = path->len;

    if (ims_ref_starts(p + i, len - i, "v2/")) {
        i += 3;

    } else if (ims_ref_starts(p + i, len - i, "v2.")) {
        d = i + 3;

        while (d < len && p[d] >= '0' && p[d] <= '9') {
            d++;
        }

        if (d > i + 3 && d < len && p[d] == '/') {
            i = d + 1;
        }
    }

    if (ims_ref_equals(p + i, len - i, "cloudimages")) {
        if (ims_ref_equals(method->data, method->len, "GET")
            || ims_ref_equals(method->data, method->len, "HEAD"))
        {
            return IMS_ROUTE_QUERY;
        }

        return IMS_ROUTE_OTHER;
    }

    if (!ims_ref_equals(method->data, method->len, "PATCH")
        || !ims_ref_starts(p + i, len - i, "images/"))
    {
        return IMS_ROUTE_OTHER;
    }

    i += 7;

    if (i == len || memchr(p + i, '/', len - i) != NULL) {
        return IMS_ROUTE_OTHER;
    }

    *id = i;

    return IMS_ROUTE_PATCH;
}


/* memchr(), not strchr(): a NUL byte is no hex digit */

static int
ims_ref_hex(ims_uchar_t ch)
{
    const char  *digits, *p;

    digits = "0123456789abcdef";
    p = memchr(digits, ims_ref_lower(ch), 16);

    return p ? (int) (p - digits) : -1;
}


/*
 * docs/rules.md, "Method override": split on "&" and ";", each name up to
 * its first "=" decoded whole ("+" a space, "%XX" its byte, any other "%"
 * itself), then compared.  The decoded name goes to name, which has room
 * for the whole query.
 */

static int
ims_ref_query(const ims_uchar_t *q, size_t len, ims_uchar_t *name)
{
    size_t  start, end, stop, i, n;

    for (start = 0; start <= len; start = end + 1) {
        end = start;

        while (end < len && q[end] != '&' && q[end] != ';') {
            end++;
        }

        stop = start;

        while (stop < end && q[stop] != '=') {
            stop++;
        }

        n = 0;

        for (i = start; i < stop; i++) {
            if (q[i] == '+') {
                name[n++] = ' ';

            } else if (q[i] == '%' && i + 2 < stop
                       && ims_ref_hex(q[i + 1]) >= 0
                       && ims_ref_hex(q[i + 2]) >= 0)
            {
                name[n++] = (ims_uchar_t) (ims_ref_hex(q[i + 1]) * 16
                                           + ims_ref_hex(q[i + 2]));
                i += 2;

            } else {
                name[n++] = q[i];
            }
        }

        if (ims_ref_equals(name, n, "_method")) {
            return 1;
        }
    }

    return 0;
}


/* the Content-Type's type, spaces and tabs trimmed, parameters cut off */

static int
ims_ref_form(const ims_str_t *type)
{
    size_t              b, e, i;
    ims_uchar_t         lower[sizeof("application/x-www-form-urlencoded")];
    const ims_uchar_t  *p;

    p = type->data;
    b = 0;
    e = 0;

    while (e < type->len && p[e] != ';') {
        e++;
    }

    while (b < e && (p[b] == ' ' || p[b] == '\t')) {
        b++;
    }

    while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t')) {
        e--;
    }

    if (e - b > sizeof(lower)) {
        return 0;
    }

    for (i = b; i < e; i++) {
        lower[i - b] = ims_ref_lower(p[i]);
    }

    return ims_ref_equals(lower, e - b, "application/x-www-form-urlencoded")
           || ims_ref_equals(lower, e - b, "multipart/form-data");
}


static ims_header_t
ims_ref_header(const ims_uchar_t *name, size_t len)
{
    size_t       i;
    ims_uchar_t  dashed[64];

    if (ims_ref_equals(name, len, "content-type")) {
        return IMS_HEADER_CONTENT_TYPE;
    }

    /* WSGI reads "_" and "-" alike in the name of any other header */
    if (len > sizeof(dashed)) {
        return IMS_HEADER_OTHER;
    }

    for (i = 0; i < len; i++) {
        dashed[i] = (name[i] == '_') ? '-' : name[i];
    }

    if (ims_ref_equals(dashed, len, "x-http-method-override")
        || ims_ref_equals(dashed, len, "x-http-method")
        || ims_ref_equals(dashed, len, "x-method-override"))
    {
        return IMS_HEADER_OVERRIDE;
    }

    return IMS_HEADER_OTHER;
}


/*
 * The prefix rule of ims_route_conf_set_prefix(): "/"s at both ends
 * dropped, nothing left is no prefix; otherwise "/"-separated segments,
 * none empty, "." or "..", and no byte up to " ", DEL, "%", "?" or "#".
 */

static int
ims_ref_prefix(const ims_uchar_t *p, size_t len, ims_str_t *prefix)
{
    size_t  b, e, i, seg;

    b = ims_ref_skip_slashes(p, 0, len);
    e = len;

    while (e > b && p[e - 1] == '/') {
        e--;
    }

    prefix->data = p + b;
    prefix->len = e - b;

    if (b == e) {
        return 0;
    }

    seg = b;

    for (i = b; i <= e; i++) {
        if (i < e && p[i] != '/') {
            if (p[i] <= ' ' || p[i] == 0x7f || p[i] == '%' || p[i] == '?'
                || p[i] == '#')
            {
                return -1;
            }

            continue;
        }

        if (ims_ref_equals(p + seg, i - seg, "")
            || ims_ref_equals(p + seg, i - seg, ".")
            || ims_ref_equals(p + seg, i - seg, ".."))
        {
            return -1;
        }

        seg = i + 1;
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 in_query, rejected, rc;
    size_t              i, id;
    ims_str_t           field[IMS_FIELD_COUNT], image_id, ref_prefix;
    ims_route_t         route, ref;
    ims_uchar_t        *copy[IMS_FIELD_COUNT], *lower, *name;
    ims_header_t        header;
    ims_verdict_t       v;
    ims_request_t       rq;
    ims_route_conf_t    conf;
    const ims_uchar_t  *p, *last, *end, *src[IMS_FIELD_COUNT];

    if (size == 0) {
        return 0;
    }

    p = data + 1;
    last = data + size;

    for (i = 0; i < IMS_FIELD_COUNT; i++) {
        end = (i + 1 < IMS_FIELD_COUNT) ? memchr(p, '\n', last - p) : NULL;

        if (end == NULL) {
            end = last;
        }

        src[i] = p;
        copy[i] = ims_fuzz_copy(p, end - p);
        field[i].data = copy[i];
        field[i].len = end - p;

        p = (end < last) ? end + 1 : last;
    }

    /* a header name as nginx passes it, lowercased */

    lower = ims_fuzz_copy(field[IMS_FIELD_HEADER].data,
                          field[IMS_FIELD_HEADER].len);

    for (i = 0; i < field[IMS_FIELD_HEADER].len; i++) {
        lower[i] = ims_ref_lower(lower[i]);
    }

    header = ims_route_header(lower, field[IMS_FIELD_HEADER].len);

    ims_fuzz_assert(header == ims_ref_header(lower,
                                             field[IMS_FIELD_HEADER].len),
                    "ims_route_header() agrees with the reference");

    memset(&conf, 0, sizeof(ims_route_conf_t));

    if (data[0] & IMS_FUZZ_PREFIX) {
        rc = ims_route_conf_set_prefix(&conf, field[IMS_FIELD_PREFIX].data,
                                       field[IMS_FIELD_PREFIX].len);

        ims_fuzz_assert(rc == ims_ref_prefix(field[IMS_FIELD_PREFIX].data,
                                             field[IMS_FIELD_PREFIX].len,
                                             &ref_prefix),
                        "the prefix is refused as the reference refuses it");

        if (rc == 0) {
            ims_fuzz_assert(conf.prefix.data == ref_prefix.data
                            && conf.prefix.len == ref_prefix.len,
                            "the prefix is stored without its slashes");

        } else {
            conf.prefix.data = NULL;
            conf.prefix.len = 0;
        }
    }

    rq.method = field[IMS_FIELD_METHOD];
    rq.path = field[IMS_FIELD_PATH];
    rq.args = field[IMS_FIELD_ARGS];
    rq.content_type = field[IMS_FIELD_CONTENT_TYPE];
    rq.override_header = (data[0] & IMS_FUZZ_OVERRIDE_HEADER)
                         || header == IMS_HEADER_OVERRIDE;

    /* garbage where ims_route() has to write */
    memset(&v, 0xa5, sizeof(ims_verdict_t));
    memset(&image_id, 0x5a, sizeof(ims_str_t));

    route = ims_route(&conf, &rq, &image_id, &v);

    ims_fuzz_assert(route == IMS_ROUTE_PATCH || route == IMS_ROUTE_QUERY
                    || route == IMS_ROUTE_OTHER, "a route of the three");

    /* before ims_fuzz_check_verdict()'s strlen() */
    ims_fuzz_assert(memchr(v.detail, '\0', IMS_DETAIL_MAX) != NULL,
                    "the detail is NUL-terminated");

    ims_fuzz_check_verdict(v.status ? -1 : 0, &v);

    if (route == IMS_ROUTE_PATCH) {
        ims_fuzz_assert(image_id.data >= rq.path.data
                        && image_id.data <= rq.path.data + rq.path.len
                        && image_id.data + image_id.len
                           == rq.path.data + rq.path.len,
                        "the image id ends where the path ends");
        ims_fuzz_assert(image_id.len > 0, "the image id is not empty");
        ims_fuzz_assert(memchr(image_id.data, '/', image_id.len) == NULL,
                        "the image id has no \"/\"");
        ims_fuzz_assert(ims_ref_equals(rq.method.data, rq.method.len,
                                       "PATCH"),
                        "the update route is a PATCH");
    }

    if (route == IMS_ROUTE_QUERY) {
        ims_fuzz_assert(ims_ref_equals(rq.method.data, rq.method.len, "GET")
                        || ims_ref_equals(rq.method.data, rq.method.len,
                                          "HEAD"),
                        "the image list is a GET or a HEAD");
        ims_fuzz_assert(rq.path.len >= sizeof("cloudimages") - 1
                        && memcmp(rq.path.data + rq.path.len
                                  - (sizeof("cloudimages") - 1),
                                  "cloudimages",
                                  sizeof("cloudimages") - 1) == 0,
                        "the image list's path ends with \"cloudimages\"");
    }

    id = 0;
    ref = ims_ref_route(&conf.prefix, &rq.method, &rq.path, &id);

    if (ref != route) {
        fprintf(stderr, "ims fuzz: route %d, reference %d: \"%.*s\" "
                "prefix \"%.*s\"\n", (int) route, (int) ref,
                (int) rq.path.len, rq.path.data, (int) conf.prefix.len,
                conf.prefix.len ? (const char *) conf.prefix.data : "");
        abort();
    }

    if (route == IMS_ROUTE_PATCH) {
        ims_fuzz_assert(image_id.data == rq.path.data + id,
                        "the image id is where the reference finds it");
    }

    /* the query's override, and the whole verdict, by the reference */

    name = malloc(rq.args.len + 1);
    ims_fuzz_assert(name != NULL, "malloc");

    in_query = ims_method_override_in_query(rq.args.data, rq.args.len);

    ims_fuzz_assert(in_query == ims_ref_query(rq.args.data, rq.args.len,
                                              name),
                    "the query's override is the reference's");

    rejected = (v.status != 0);

    if (rq.override_header) {
        ims_fuzz_assert(rejected, "an override header is rejected");
    }

    if (in_query) {
        ims_fuzz_assert(rejected, "a \"_method\" query is rejected");
    }

    ims_fuzz_assert(rejected
                    == (rq.override_header || in_query
                        || (ims_ref_equals(rq.method.data, rq.method.len,
                                           "POST")
                            && ims_ref_form(&rq.content_type))),
                    "rejected exactly for a method override");

    if (rejected) {
        ims_fuzz_assert(v.status == 400 && v.code == IMS_IMG_0017,
                        "a method override is 400 IMG.0017");
        ims_fuzz_assert(strstr(v.detail, "Method override is not supported")
                        != NULL, "the detail names the method override");
    }

    for (i = 0; i < IMS_FIELD_COUNT; i++) {
        ims_fuzz_assert(memcmp(copy[i], src[i], field[i].len) == 0,
                        "the request is not modified");
        free(copy[i]);
    }

    free(name);
    free(lower);

    return 0;
}
