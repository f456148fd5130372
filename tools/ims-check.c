
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * ims-check: judges one request offline with the gateway's own core, so
 * that an operator can check a captured request or a policy change
 * without nginx.  Exit status: 0 pass, 1 reject, 2 usage or input error.
 */


#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>

#include "ims.h"
#include "ngx_http_ims_version.h"


#define IMS_CHECK_MAX_TYPES  8


typedef struct {
    size_t         n;
    const char    *names[64];
    pcre2_code    *regex[64];
} ims_check_list_t;


static void usage(FILE *f);
static void die(const char *fmt, const char *arg);
static pcre2_code *compile(const char *pattern, int anchored);
static int match_regex(pcre2_code *re, const ims_uchar_t *p, size_t len);
static int match_list(void *data, const ims_uchar_t *p, size_t len);
static int match_name(void *data, const ims_uchar_t *p, size_t len);
static void list_add(ims_check_list_t *list, char *arg);
static size_t number(const char *arg, size_t low, size_t high,
    const char *what);
static ims_uchar_t *read_body(const char *path, size_t *len);
static size_t normalize_path(char *path);
static void add_header(ims_request_t *rq, char *header, const char **types,
    size_t *ntypes);


static const struct option  options[] = {
    { "content-type", required_argument, NULL, 't' },
    { "header", required_argument, NULL, 'H' },
    { "api-prefix", required_argument, NULL, 'A' },
    { "system-attributes", required_argument, NULL, 's' },
    { "editable-attributes", required_argument, NULL, 'e' },
    { "forbidden-status", required_argument, NULL, 'f' },
    { "max-depth", required_argument, NULL, 'D' },
    { "max-operations", required_argument, NULL, 'O' },
    { "name-max-length", required_argument, NULL, 'N' },
    { "name-pattern", required_argument, NULL, 'P' },
    { "description-max-length", required_argument, NULL, 'L' },
    { "description-forbidden-chars", required_argument, NULL, 'F' },
    { "query-unknown", required_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 }
};


int
main(int argc, char **argv)
{
    int                opt;
    char              *method, *uri, *query;
    char               show[64];
    size_t             i, ntypes, len, path_len;
    unsigned           changes;
    ims_str_t          image_id;
    const char        *types[IMS_CHECK_MAX_TYPES], *why, *body_path;
    ims_uchar_t       *body, *scratch, *error;
    ims_route_t        route;
    ims_request_t      rq;
    ims_dialect_t      dialect;
    ims_verdict_t      v;
    const ims_str_t   *type;
    ims_patch_conf_t   patch;
    ims_query_conf_t   query_conf;
    ims_route_conf_t   route_conf;
    ims_check_list_t   system, editable;
    static const char  *routes[] = {
        "patch", "query", "other (only the method-override check)"
    };

    ims_core_init();
    ims_patch_conf_init(&patch);
    ims_query_conf_init(&query_conf);
    memset(&route_conf, 0, sizeof(ims_route_conf_t));
    memset(&rq, 0, sizeof(ims_request_t));
    memset(&system, 0, sizeof(ims_check_list_t));
    memset(&editable, 0, sizeof(ims_check_list_t));
    ntypes = 0;

    while ((opt = getopt_long(argc, argv, "t:H:hV", options, NULL)) != -1) {
        switch (opt) {

        case 't':
            if (ntypes == IMS_CHECK_MAX_TYPES) {
                die("too many Content-Type values", NULL);
            }

            types[ntypes++] = optarg;
            break;

        case 'H':
            add_header(&rq, optarg, types, &ntypes);
            break;

        case 'A':
            /* as the ims_api_prefix directive takes it */
            if (strcasecmp(optarg, "off") == 0) {
                break;
            }

            if (optarg[0] != '/'
                || ims_route_conf_set_prefix(&route_conf,
                                             (const ims_uchar_t *) optarg,
                                             strlen(optarg))
                   != 0
                || route_conf.prefix.len == 0)
            {
                die("--api-prefix must be \"off\" or a path such as "
                    "/image, not \"%s\"", optarg);
            }

            break;

        case 's':
            list_add(&system, optarg);
            patch.is_system = match_list;
            patch.is_system_data = &system;
            break;

        case 'e':
            list_add(&editable, optarg);
            patch.is_editable = match_list;
            patch.is_editable_data = &editable;
            break;

        case 'f':
            if (strcmp(optarg, "400") != 0 && strcmp(optarg, "403") != 0) {
                die("--forbidden-status must be 400 or 403, not \"%s\"",
                    optarg);
            }

            patch.forbidden_status = atoi(optarg);
            break;

        case 'D':
            patch.max_depth = number(optarg, 1, 2048, "--max-depth");
            break;

        case 'O':
            patch.max_ops = number(optarg, 1, 1000000, "--max-operations");
            break;

        case 'N':
            patch.name_max_chars = number(optarg, 1, 65535,
                                          "--name-max-length");
            break;

        case 'P':
            patch.name_pattern = match_name;
            patch.name_pattern_data = compile(optarg, 1);
            break;

        case 'L':
            patch.description_max_chars = number(optarg, 1, 65535,
                                                 "--description-max-length");
            break;

        case 'F':
            if (ims_patch_conf_set_forbidden(&patch,
                                             (const ims_uchar_t *) optarg,
                                             strlen(optarg))
                != 0)
            {
                die("--description-forbidden-chars: at most 32 UTF-8 "
                    "characters", NULL);
            }

            break;

        case 'q':
            if (strcmp(optarg, "pass") != 0 && strcmp(optarg, "reject") != 0)
            {
                die("--query-unknown must be pass or reject, not \"%s\"",
                    optarg);
            }

            query_conf.reject_unknown = (optarg[0] == 'r');
            break;

        case 'h':
            usage(stdout);
            return 0;

        case 'V':
            printf("ims-check (ngx_http_ims_module) %s\n",
                   NGX_HTTP_IMS_VERSION);
            return 0;

        default:
            usage(stderr);
            return 2;
        }
    }

    if (argc - optind < 2 || argc - optind > 3) {
        usage(stderr);
        return 2;
    }

    method = argv[optind];
    uri = argv[optind + 1];
    body_path = (argc - optind == 3) ? argv[optind + 2] : NULL;

    query = strchr(uri, '?');

    if (query) {
        *query++ = '\0';
    }

    path_len = normalize_path(uri);

    dialect = IMS_PATCH_NONE;

    rq.method.data = (const ims_uchar_t *) method;
    rq.method.len = strlen(method);
    rq.path.data = (const ims_uchar_t *) uri;
    rq.path.len = path_len;
    rq.args.data = (const ims_uchar_t *) (query ? query : "");
    rq.args.len = query ? strlen(query) : 0;

    for (i = 0; i < ntypes; i++) {
        ims_route_add_content_type(&rq, (const ims_uchar_t *) types[i],
                                   strlen(types[i]));
    }

    route = ims_route(&route_conf, &rq, &image_id, &v);

    printf("route: %s\n", routes[route]);

    if (v.status) {
        /* method override, refused on every route */
        route = IMS_ROUTE_OTHER;
    }

    switch (route) {

    case IMS_ROUTE_QUERY:
        if (query && *query) {
            len = strlen(query);
            scratch = malloc(len);
            if (scratch == NULL) {
                die("out of memory", NULL);
            }

            ims_query_validate(&query_conf, (ims_uchar_t *) query, len,
                               scratch, &v);
            free(scratch);
        }

        break;

    case IMS_ROUTE_PATCH:
        if (!ims_uuid_is_canonical(image_id.data, image_id.len)) {
            ims_reject(&v, 400, IMS_IMG_0066,
                       "The image ID in the path must be a canonical UUID.");
            break;
        }

        if (ntypes != 1) {
            ims_reject(&v, 415, IMS_IMG_0001,
                       ntypes ? "Send exactly one Content-Type header."
                              : "A Content-Type header is required.");
            break;
        }

        dialect = ims_media_type_parse((const ims_uchar_t *) types[0],
                                       strlen(types[0]), &changes, &why);

        if (dialect == IMS_PATCH_NONE) {
            ims_escape(show, sizeof(show), (const ims_uchar_t *) types[0],
                       strlen(types[0]));
            ims_reject(&v, 415, IMS_IMG_0001, "Content-Type '%s': %s.",
                       show, why);
            break;
        }

        body = read_body(body_path, &len);
        ims_patch_validate(dialect, body, len, &patch, &v);
        free(body);
        break;

    default: /* IMS_ROUTE_OTHER */
        break;
    }

    if (v.status == 0) {
        printf("verdict: pass\n");

        if (dialect != IMS_PATCH_NONE) {
            type = ims_media_type_canonical(dialect);
            printf("content-type: %.*s\n", (int) type->len, type->data);
        }

        return 0;
    }

    error = malloc(ims_error_body_size(&v));
    if (error == NULL) {
        die("out of memory", NULL);
    }

    len = ims_error_body(&v, error);

    printf("verdict: reject\nstatus: %d\n", v.status);

    if (v.status == 415) {
        printf("accept-patch: %s\n", ims_accept_patch);
    }

    printf("body: %.*s\n", (int) len, error);
    free(error);

    return 1;
}


static void
usage(FILE *f)
{
    fprintf(f,
        "usage: ims-check [options] METHOD URI [BODY-FILE | -]\n"
        "\n"
        "Judges one request as ngx_ims_module would, and prints the route,\n"
        "the verdict, the canonical Content-Type or the error response.\n"
        "Exit status: 0 pass, 1 reject, 2 usage or input error.\n"
        "\n"
        "  -t, --content-type TYPE          a Content-Type header (repeat\n"
        "                                   for several headers)\n"
        "  -H, --header 'NAME: VALUE'       any request header (repeat);\n"
        "                                   Content-Type as with -t\n"
        "  --api-prefix PATH                like ims_api_prefix\n"
        "  --system-attributes NAME|~RE     like ims_system_attributes\n"
        "  --editable-attributes NAME|~RE   like ims_editable_attributes\n"
        "  --forbidden-status 400|403       like ims_forbidden_status\n"
        "  --max-depth N                    like ims_max_depth\n"
        "  --max-operations N               like ims_max_operations\n"
        "  --name-max-length N              like ims_name_max_length\n"
        "  --name-pattern RE                like ims_name_pattern\n"
        "  --description-max-length N       like "
        "ims_description_max_length\n"
        "  --description-forbidden-chars S  like "
        "ims_description_forbidden_chars\n"
        "  --query-unknown pass|reject      like ims_query_unknown\n"
        "  -V, --version                    print the version and exit\n"
        "\n"
        "example:\n"
        "  ims-check -t application/openstack-images-v2.1-json-patch \\\n"
        "      PATCH /v2/images/33ad552d-1149-471c-8190-ff6776174a00 "
        "patch.json\n");
}


static void
die(const char *fmt, const char *arg)
{
    fprintf(stderr, "ims-check: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(2);
}


/* the same pattern semantics as the module: UTF mode, unanchored */

static pcre2_code *
compile(const char *pattern, int anchored)
{
    int          rc;
    char        *full;
    size_t       offset;
    pcre2_code  *re;
    PCRE2_UCHAR  message[256];

    full = malloc(strlen(pattern) + sizeof("^(?:)\\z"));
    if (full == NULL) {
        die("out of memory", NULL);
    }

    sprintf(full, anchored ? "^(?:%s)\\z" : "%s", pattern);

    re = pcre2_compile((PCRE2_SPTR) full, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
                       &rc, &offset, NULL);
    free(full);

    if (re == NULL) {
        pcre2_get_error_message(rc, message, sizeof(message));
        fprintf(stderr, "ims-check: invalid pattern \"%s\": %s\n", pattern,
                (char *) message);
        exit(2);
    }

    return re;
}


static int
match_regex(pcre2_code *re, const ims_uchar_t *p, size_t len)
{
    int                rc;
    pcre2_match_data  *md;

    md = pcre2_match_data_create_from_pattern(re, NULL);
    rc = pcre2_match(re, p, len, 0, 0, md, NULL);
    pcre2_match_data_free(md);

    return rc >= 0;
}


static int
match_list(void *data, const ims_uchar_t *p, size_t len)
{
    size_t             i;
    ims_check_list_t  *list;

    list = data;

    for (i = 0; i < list->n; i++) {
        if (list->regex[i] ? match_regex(list->regex[i], p, len)
                           : (strlen(list->names[i]) == len
                              && memcmp(list->names[i], p, len) == 0))
        {
            return 1;
        }
    }

    return 0;
}


static int
match_name(void *data, const ims_uchar_t *p, size_t len)
{
    return match_regex(data, p, len);
}


static void
list_add(ims_check_list_t *list, char *arg)
{
    if (list->n == sizeof(list->names) / sizeof(list->names[0])) {
        die("too many attributes in one list", NULL);
    }

    if (arg[0] == '\0' || strcmp(arg, "~") == 0) {
        die("an attribute list takes names or ~patterns, not \"%s\"", arg);
    }

    list->names[list->n] = arg;
    list->regex[list->n] = (arg[0] == '~') ? compile(arg + 1, 0) : NULL;
    list->n++;
}


static size_t
number(const char *arg, size_t low, size_t high, const char *what)
{
    char           *end;
    unsigned long   n;

    errno = 0;
    n = strtoul(arg, &end, 10);

    if (errno || *end || end == arg || arg[0] == '-' || n < low || n > high)
    {
        fprintf(stderr, "ims-check: %s must be a number from %zu to %zu, "
                "not \"%s\"\n", what, low, high, arg);
        exit(2);
    }

    return n;
}


static ims_uchar_t *
read_body(const char *path, size_t *len)
{
    FILE         *f;
    size_t        size, n;
    ims_uchar_t  *buf;

    size = 65536;
    *len = 0;

    buf = malloc(size);
    if (buf == NULL) {
        die("out of memory", NULL);
    }

    if (path == NULL) {
        return buf;
    }

    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        die("cannot open the body file \"%s\"", path);
    }

    while ((n = fread(buf + *len, 1, size - *len, f)) > 0) {
        *len += n;

        if (*len == size) {
            size *= 2;
            buf = realloc(buf, size);
            if (buf == NULL) {
                die("out of memory", NULL);
            }
        }
    }

    if (ferror(f)) {
        die("cannot read the body file \"%s\"", path);
    }

    if (f != stdin) {
        fclose(f);
    }

    return buf;
}


/*
 * -H "Name: value", as a client would send it: what the route model reads
 * of it (a Content-Type is one of the Content-Type headers, as with -t).
 */

static void
add_header(ims_request_t *rq, char *header, const char **types,
    size_t *ntypes)
{
    char    *colon, *value, *p;
    size_t   i, len;

    colon = strchr(header, ':');

    if (colon == NULL || colon == header) {
        die("-H takes \"Name: value\", not \"%s\"", header);
    }

    len = (size_t) (colon - header);

    for (value = colon + 1; *value == ' ' || *value == '\t'; value++) {
        /* void */
    }

    for (p = value + strlen(value);
         p > value && (p[-1] == ' ' || p[-1] == '\t');
         p--)
    {
        /* void */
    }

    *p = '\0';

    /* header names are matched lowercase, as nginx keeps them */
    for (i = 0; i < len; i++) {
        if (header[i] >= 'A' && header[i] <= 'Z') {
            header[i] |= 0x20;
        }
    }

    switch (ims_route_header((const ims_uchar_t *) header, len)) {

    case IMS_HEADER_CONTENT_TYPE:
        if (*ntypes == IMS_CHECK_MAX_TYPES) {
            die("too many Content-Type values", NULL);
        }

        types[(*ntypes)++] = value;
        break;

    case IMS_HEADER_OVERRIDE:
        rq->override_header = 1;
        break;

    default: /* IMS_HEADER_OTHER: Accept and the like change nothing */
        break;
    }
}


/*
 * What nginx makes of a request path for $uri: percent-decoded, "//"
 * merged, "." and ".." segments resolved.  In place; returns the length.
 */

static size_t
normalize_path(char *path)
{
    int    hi, lo;
    char  *s, *d, *seg;

    if (path[0] != '/') {
        die("the URI must start with \"/\", not \"%s\"", path);
    }

    for (s = d = path; *s; s++) {
        if (*s == '%') {
            if ((hi = ims_hex(s[1])) < 0 || (lo = ims_hex(s[2])) < 0) {
                die("invalid percent-encoding in \"%s\"", path);
            }

            *d++ = (char) (hi << 4 | lo);
            s += 2;
            continue;
        }

        *d++ = *s;
    }

    *d = '\0';

    for (s = d = path; *s; /* void */) {
        if (*s != '/') {
            *d++ = *s++;
            continue;
        }

        while (*s == '/') {
            s++;
        }

        seg = s;

        if (seg[0] == '.' && (seg[1] == '/' || seg[1] == '\0')) {
            s = seg + 1;

            if (*s == '\0') {
                *d++ = '/';
            }

            continue;
        }

        if (seg[0] == '.' && seg[1] == '.' && (seg[2] == '/' || seg[2] == '\0'))
        {
            while (d > path && *--d != '/') {
                /* void */
            }

            s = seg + 2;

            if (*s == '\0') {
                *d++ = '/';
            }

            continue;
        }

        *d++ = '/';
    }

    if (d == path) {
        *d++ = '/';
    }

    *d = '\0';

    return (size_t) (d - path);
}
