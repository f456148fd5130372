
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The route model (docs/rules.md, "Routes"): the request the backend will
 * execute, from what nginx shows of it.  Before it dispatches a request
 * the backend strips every leading "/", maps a version segment "/v2.N" to
 * "/v2" (or, with none, takes the version from an Accept header), and
 * takes the method from a "_method" parameter.  Each of these is modelled
 * here, so that no spelling of the image update or of the image list gets
 * past the gates; method override, which no client of the API uses, is
 * refused outright.
 */


#ifndef _GNU_SOURCE
#define _GNU_SOURCE                     /* memmem() */
#endif

#include <string.h>
#include <strings.h>

#include "ims.h"


#define ims_is(p, len, s)  ((len) == sizeof(s) - 1 && memcmp(p, s, len) == 0)
#define ims_header(s, k)   { sizeof(s) - 1, s, k }


static const ims_uchar_t *
ims_route_skip_slashes(const ims_uchar_t *p, const ims_uchar_t *last)
{
    while (p < last && *p == '/') {
        p++;
    }

    return p;
}


/*
 * Past the API's version segment: "v2/" or "v2.<digits>/", which the
 * backend maps to "/v2"; without one, p itself (the backend then takes
 * the version from the Accept header, and the path is judged whatever
 * that header says).
 */

static const ims_uchar_t *
ims_route_skip_version(const ims_uchar_t *p, const ims_uchar_t *last)
{
    const ims_uchar_t  *q, *digits;

    if (last - p < 3 || p[0] != 'v' || p[1] != '2') {
        return p;
    }

    q = p + 2;

    if (*q == '.') {
        for (digits = ++q; q < last && *q >= '0' && *q <= '9'; q++) {
            /* void */
        }

        if (q == digits) {
            return p;                           /* "v2." or "v2.x" */
        }
    }

    return (q < last && *q == '/') ? q + 1 : p;
}


/* the route of the path from p on, by method */

static ims_route_t
ims_route_at(const ims_request_t *rq, const ims_uchar_t *p,
    const ims_uchar_t *last, ims_str_t *image_id)
{
    size_t              rest;
    const ims_uchar_t  *id;

    p = ims_route_skip_version(p, last);
    rest = last - p;

    if (ims_is(p, rest, "cloudimages")) {
        return (ims_is(rq->method.data, rq->method.len, "GET")
                || ims_is(rq->method.data, rq->method.len, "HEAD"))
               ? IMS_ROUTE_QUERY : IMS_ROUTE_OTHER;
    }

    if (rest <= sizeof("images/") - 1
        || memcmp(p, "images/", sizeof("images/") - 1) != 0
        || !ims_is(rq->method.data, rq->method.len, "PATCH"))
    {
        return IMS_ROUTE_OTHER;
    }

    id = p + sizeof("images/") - 1;

    /* "{id}/file", "{id}/tags/x" and a trailing "/" are other routes */
    if (memchr(id, '/', last - id) != NULL) {
        return IMS_ROUTE_OTHER;
    }

    image_id->data = id;
    image_id->len = last - id;

    return IMS_ROUTE_PATCH;
}


/* the route by method and path alone */

static ims_route_t
ims_route_path(const ims_route_conf_t *conf, const ims_request_t *rq,
    ims_str_t *image_id)
{
    ims_route_t         route;
    const ims_uchar_t  *p, *last;

    p = rq->path.data;
    last = p + rq->path.len;

    p = ims_route_skip_slashes(p, last);

    /*
     * Judged with the prefix and without it: either may reach the backend
     * (a prefix such as "/images" is also the start of a route).
     */

    if (conf->prefix.len
        && (size_t) (last - p) > conf->prefix.len
        && p[conf->prefix.len] == '/'
        && memcmp(p, conf->prefix.data, conf->prefix.len) == 0)
    {
        route = ims_route_at(rq,
                             ims_route_skip_slashes(p + conf->prefix.len,
                                                    last),
                             last, image_id);

        if (route != IMS_ROUTE_OTHER) {
            return route;
        }
    }

    return ims_route_at(rq, p, last, image_id);
}


/*
 * The raw name p..last decodes to "_method" as the backend decodes it:
 * "+" is a space, a valid "%XX" is its byte, an invalid one stays as it
 * is.
 */

static int
ims_route_name_is_method(const ims_uchar_t *p, const ims_uchar_t *last)
{
    int          hi, lo;
    size_t       n;
    ims_uchar_t  ch;

    for (n = 0; p < last; n++) {
        if (n == sizeof("_method") - 1) {
            return 0;
        }

        ch = *p++;

        /* a "+" is left as it is: as a space it matches no letter either */
        if (ch == '%' && last - p >= 2
            && (hi = ims_hex(p[0])) >= 0 && (lo = ims_hex(p[1])) >= 0)
        {
            ch = (ims_uchar_t) (hi << 4 | lo);
            p += 2;
        }

        if (ch != (ims_uchar_t) "_method"[n]) {
            return 0;
        }
    }

    return n == sizeof("_method") - 1;
}


/* a parameter of the query, split on "&" and ";", is named "_method" */

int
ims_method_override_in_query(const ims_uchar_t *args, size_t len)
{
    const ims_uchar_t  *p, *last, *end, *eq;

    /*
     * Without a "%", only the literal "_method" decodes to it: most
     * queries are turned away by two library scans.
     */

    if (len < sizeof("_method") - 1
        || (memchr(args, '%', len) == NULL
            && memmem(args, len, "_method", sizeof("_method") - 1) == NULL))
    {
        return 0;
    }

    last = args + len;

    for (p = args; p < last; p = end + 1) {
        for (end = p; end < last && *end != '&' && *end != ';'; end++) {
            /* void */
        }

        eq = memchr(p, '=', end - p);

        if (ims_route_name_is_method(p, eq ? eq : end)) {
            break;
        }
    }

    /* stopped at a "_method", or past the last parameter */
    return p < last;
}


/* the form types, whose "_method" field the backend reads from a POST */

static int
ims_route_is_form(const ims_str_t *type)
{
    size_t              i, len;
    const ims_uchar_t  *p, *last;
    static const ims_str_t  forms[] = {
        ims_string("application/x-www-form-urlencoded"),
        ims_string("multipart/form-data")
    };

    p = type->data;
    last = p + type->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    for (len = 0; p + len < last && p[len] != ';'; len++) {
        /* void */
    }

    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
        len--;
    }

    for (i = 0; i < ims_nelts(forms); i++) {
        if (len == forms[i].len
            && strncasecmp((const char *) p, (const char *) forms[i].data,
                           len) == 0)
        {
            break;
        }
    }

    /* stopped at a form type, or after the last */
    return i < ims_nelts(forms);
}


/*
 * One more Content-Type header of the request (rq->content_type starts
 * empty): the model judges the first, or of several, which the proxy
 * forwards all and the backend may read any of, a form type among them.
 */

void
ims_route_add_content_type(ims_request_t *rq, const ims_uchar_t *value,
    size_t len)
{
    ims_str_t  type;

    type.data = value;
    type.len = len;

    if (rq->content_type.data == NULL
        || (!ims_route_is_form(&rq->content_type)
            && ims_route_is_form(&type)))
    {
        rq->content_type = type;
    }
}


/*
 * The route of a request, and in v the method-override verdict, which
 * holds for every route: a rejection, or a pass.
 */

ims_route_t
ims_route(const ims_route_conf_t *conf, const ims_request_t *rq,
    ims_str_t *image_id, ims_verdict_t *v)
{
    ims_route_t  route;

    route = ims_route_path(conf, rq, image_id);

    ims_verdict_pass(v);

    if (rq->override_header) {
        ims_reject(v, 400, IMS_IMG_0017, "Method override is not supported "
                   "(an X-HTTP-Method-Override, X-HTTP-Method or "
                   "X-Method-Override header).");

    } else if (rq->args.len
               && ims_method_override_in_query(rq->args.data, rq->args.len))
    {
        ims_reject(v, 400, IMS_IMG_0017, "Method override is not supported "
                   "(a '_method' query parameter).");

    } else if (ims_is(rq->method.data, rq->method.len, "POST")
               && ims_route_is_form(&rq->content_type))
    {
        ims_reject(v, 400, IMS_IMG_0017, "Method override is not supported "
                   "(the API takes no form-encoded POST).");
    }

    return route;
}


/*
 * What a header is to the gateway, by its lowercase name.  An override
 * header may be spelt with "_" for "-" (nginx passes such names on with
 * underscores_in_headers on): WSGI turns both into the same HTTP_X_...
 * key.  Content-Type may not: the backend reads only "Content-Type".
 */

ims_header_t
ims_route_header(const ims_uchar_t *name, size_t len)
{
    size_t  i, k;
    static const struct {
        size_t          len;
        const char     *name;
        ims_header_t    kind;
    } headers[] = {
        ims_header("content-type", IMS_HEADER_CONTENT_TYPE),
        ims_header("x-http-method", IMS_HEADER_OVERRIDE),
        ims_header("x-method-override", IMS_HEADER_OVERRIDE),
        ims_header("x-http-method-override", IMS_HEADER_OVERRIDE),
    };

    for (i = 0; i < ims_nelts(headers); i++) {
        if (len != headers[i].len) {
            continue;
        }

        for (k = 0; k < len; k++) {
            if (name[k] != headers[i].name[k]
                && !(name[k] == '_' && headers[i].name[k] == '-'
                     && headers[i].kind == IMS_HEADER_OVERRIDE))
            {
                break;
            }
        }

        if (k == len) {
            return headers[i].kind;
        }
    }

    return IMS_HEADER_OTHER;
}


/*
 * The prefix as an operator writes it ("/image", "/image/"), kept without
 * its slashes; "" or "/" is no prefix.  A prefix is a plain decoded path:
 * no "." or ".." segment, no empty segment, no "%", "?", "#", space or
 * control byte.  Returns 0, or -1 for a path that is no prefix.
 */

int
ims_route_conf_set_prefix(ims_route_conf_t *conf, const ims_uchar_t *p,
    size_t len)
{
    size_t              i, seg;
    const ims_uchar_t  *last;

    last = p + len;

    while (p < last && *p == '/') {
        p++;
    }

    while (last > p && last[-1] == '/') {
        last--;
    }

    len = last - p;
    seg = 0;

    for (i = 0; i <= len; i++) {
        if (i == len || p[i] == '/') {
            if (seg == 0
                || (seg == 1 && p[i - 1] == '.')
                || (seg == 2 && p[i - 1] == '.' && p[i - 2] == '.'))
            {
                if (len == 0) {
                    break;
                }

                return -1;
            }

            seg = 0;
            continue;
        }

        if (p[i] <= ' ' || p[i] == 0x7f || p[i] == '%' || p[i] == '?'
            || p[i] == '#')
        {
            return -1;
        }

        seg++;
    }

    conf->prefix.data = p;
    conf->prefix.len = len;

    return 0;
}
