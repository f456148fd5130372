
/*
 * The query gate for GET/HEAD /v2/cloudimages (gateway-rules.md,
 * section 4): a strict decoder and the parameter catalog.
 */


#include <string.h>

#include "ims.h"


typedef enum {
    IMS_Q_ENUM = 0,         /* one of "values", exactly */
    IMS_Q_TEXT,             /* min..max characters */
    IMS_Q_DECIMAL,          /* digits only, min..max */
    IMS_Q_UUID,
    IMS_Q_OWNER,            /* min..max of [A-Za-z0-9_-] */
    IMS_Q_SORT,             /* key[:dir] items joined by "," */
    IMS_Q_TIME,             /* [op:]time */
    IMS_Q_UNSUPPORTED
} ims_query_type_t;


typedef enum {
    IMS_P_VISIBILITY = 0,
    IMS_P_MEMBER_STATUS,
    IMS_P_SORT,
    IMS_P_SORT_KEY,
    IMS_P_SORT_DIR,
    IMS_P_OTHER
} ims_query_role_t;


typedef struct {
    size_t               len;
    const char          *name;
    ims_query_type_t     type;
    ims_code_t           code;
    ims_query_role_t     role;
    unsigned             repeatable:1;
    unsigned             eq_operator:1;  /* "a:b" is an operator expression */
    const char *const   *values;
    uint64_t             min;
    uint64_t             max;
} ims_query_param_t;


static const char *const  ims_q_imagetype[] = {
    "gold", "private", "shared", NULL };
static const char *const  ims_q_visibility[] = {
    "public", "private", "shared", NULL };
static const char *const  ims_q_member_status[] = {
    "accepted", "rejected", "pending", NULL };
static const char *const  ims_q_status[] = {
    "queued", "saving", "deleted", "killed", "active", NULL };
static const char *const  ims_q_boolean[] = { "true", "false", NULL };
static const char *const  ims_q_true[] = { "true", NULL };
static const char *const  ims_q_os_type[] = {
    "Linux", "Windows", "Other", NULL };
static const char *const  ims_q_os_bit[] = { "32", "64", NULL };
static const char *const  ims_q_platform[] = {
    "Windows", "Ubuntu", "RedHat", "Red Hat", "SUSE", "CentOS", "Debian",
    "OpenSUSE", "Oracle Linux", "Fedora", "Other", "CoreOS", "EulerOS",
    NULL };
static const char *const  ims_q_virtual_env_type[] = {
    "FusionCompute", "Ironic", "DataImage", "IsoImage", NULL };
static const char *const  ims_q_disk_format[] = {
    "vhd", "zvhd", "zvhd2", "raw", "qcow2", "iso", NULL };
static const char *const  ims_q_container_format[] = { "bare", NULL };
static const char *const  ims_q_sort_key[] = {
    "name", "status", "container_format", "disk_format", "size", "id",
    "created_at", "updated_at", NULL };
static const char *const  ims_q_sort_dir[] = { "asc", "desc", NULL };
static const char *const  ims_q_time_ops[] = {
    "gt", "gte", "lt", "lte", "eq", "neq", NULL };


#define IMS_INT32_MAX  2147483647ULL
#define IMS_INT64_MAX  9223372036854775807ULL


#define ims_name(n)  sizeof(n) - 1, n

#define ims_enum(n, v)                                                        \
    { ims_name(n), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_OTHER, 0, 0, v, 0, 0 }
#define ims_enum_eq(n, v)                                                     \
    { ims_name(n), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_OTHER, 0, 1, v, 0, 0 }
#define ims_decimal(n, max)                                                   \
    { ims_name(n), IMS_Q_DECIMAL, IMS_IMG_0017, IMS_P_OTHER, 0, 0, NULL, 0,   \
      max }


/* The parameter catalog: one row per parameter of section 4. */

static const ims_query_param_t  ims_query_params[] = {
    /* name, type, error code, role, repeatable, eq: operator,
     * values, minimum, maximum */
    { ims_name("__imagetype"), IMS_Q_ENUM, IMS_IMG_0024, IMS_P_OTHER,
      0, 0, ims_q_imagetype, 0, 0 },
    { ims_name("visibility"), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_VISIBILITY,
      0, 1, ims_q_visibility, 0, 0 },
    { ims_name("member_status"), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_MEMBER_STATUS,
      0, 0, ims_q_member_status, 0, 0 },
    ims_enum_eq("status", ims_q_status),
    ims_enum("protected", ims_q_boolean),
    ims_enum("__whole_image", ims_q_boolean),
    ims_enum("__isregistered", ims_q_boolean),
    ims_enum("os_hidden", ims_q_boolean),
    ims_enum("__support_kvm", ims_q_true),
    ims_enum("__support_xen", ims_q_true),
    ims_enum("__support_largememory", ims_q_true),
    ims_enum("__support_diskintensive", ims_q_true),
    ims_enum("__support_highperformance", ims_q_true),
    ims_enum("__support_xen_hana", ims_q_true),
    ims_enum("__support_kvm_infiniband", ims_q_true),
    { ims_name("__support_xen_gpu_type"), IMS_Q_TEXT, IMS_IMG_0017, IMS_P_OTHER,
      0, 0, NULL, 1, 255 },
    { ims_name("__support_kvm_gpu_type"), IMS_Q_TEXT, IMS_IMG_0017, IMS_P_OTHER,
      0, 0, NULL, 1, 255 },
    { ims_name("__os_type"), IMS_Q_ENUM, IMS_IMG_0122, IMS_P_OTHER,
      0, 0, ims_q_os_type, 0, 0 },
    ims_enum("__os_bit", ims_q_os_bit),
    ims_enum("__platform", ims_q_platform),
    ims_enum("virtual_env_type", ims_q_virtual_env_type),
    ims_enum_eq("disk_format", ims_q_disk_format),
    ims_enum_eq("container_format", ims_q_container_format),
    ims_decimal("limit", IMS_INT32_MAX),
    ims_decimal("min_ram", IMS_INT32_MAX),
    ims_decimal("min_disk", 1024),
    ims_decimal("size_min", IMS_INT64_MAX),
    ims_decimal("size_max", IMS_INT64_MAX),
    { ims_name("marker"), IMS_Q_UUID, IMS_IMG_0066, IMS_P_OTHER,
      0, 0, NULL, 0, 0 },
    { ims_name("id"), IMS_Q_UUID, IMS_IMG_0066, IMS_P_OTHER,
      0, 1, NULL, 0, 0 },
    { ims_name("owner"), IMS_Q_OWNER, IMS_IMG_0017, IMS_P_OTHER,
      0, 1, NULL, 1, 64 },
    { ims_name("name"), IMS_Q_TEXT, IMS_IMG_0017, IMS_P_OTHER,
      0, 1, NULL, 1, 255 },
    { ims_name("tag"), IMS_Q_TEXT, IMS_IMG_0017, IMS_P_OTHER,
      1, 0, NULL, 0, 255 },
    { ims_name("sort_key"), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_SORT_KEY,
      1, 0, ims_q_sort_key, 0, 0 },
    { ims_name("sort_dir"), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_SORT_DIR,
      1, 0, ims_q_sort_dir, 0, 0 },
    { ims_name("sort"), IMS_Q_SORT, IMS_IMG_0017, IMS_P_SORT,
      0, 0, NULL, 0, 0 },
    { ims_name("created_at"), IMS_Q_TIME, IMS_IMG_0017, IMS_P_OTHER,
      0, 0, NULL, 0, 0 },
    { ims_name("updated_at"), IMS_Q_TIME, IMS_IMG_0017, IMS_P_OTHER,
      0, 0, NULL, 0, 0 },
    { ims_name("changes-since"), IMS_Q_UNSUPPORTED, IMS_IMG_0017, IMS_P_OTHER,
      0, 0, NULL, 0, 0 },
};


#define IMS_QUERY_PARAM_COUNT                                                 \
    (sizeof(ims_query_params) / sizeof(ims_query_params[0]))


typedef struct {
    const ims_query_conf_t  *conf;
    ims_verdict_t           *v;
    unsigned                 seen[IMS_QUERY_PARAM_COUNT];
    unsigned                 role_count[IMS_P_OTHER];
    unsigned                 visibility_shared:1;
} ims_query_state_t;


/*
 * An open-addressing index over the catalog, built once, hashed on the
 * length and two bytes of a name, so that a lookup compares one entry or
 * two instead of walking the table.
 */

#define IMS_QUERY_BUCKETS  128

static uint8_t   ims_query_index[IMS_QUERY_BUCKETS];   /* entry + 1, 0: none */
static unsigned  ims_query_index_ready;


static unsigned
ims_query_hash(const ims_uchar_t *name, size_t len)
{
    /* len >= 1 */
    return (unsigned) (len * 31 + name[0] * 7 + name[len - 1]);
}


static void
ims_query_index_init(void)
{
    size_t    i;
    unsigned  b;

    for (i = 0; i < IMS_QUERY_PARAM_COUNT; i++) {
        b = ims_query_hash((const ims_uchar_t *) ims_query_params[i].name,
                           ims_query_params[i].len);

        while (ims_query_index[b % IMS_QUERY_BUCKETS]) {
            b++;
        }

        ims_query_index[b % IMS_QUERY_BUCKETS] = (uint8_t) (i + 1);
    }

    ims_query_index_ready = 1;
}


/* the catalog row of a decoded name, or -1 */

static ptrdiff_t
ims_query_lookup(const ims_uchar_t *name, size_t len)
{
    unsigned                  b;
    const ims_query_param_t  *param;

    if (!ims_query_index_ready) {
        ims_query_index_init();
    }

    if (len == 0) {
        return -1;
    }

    for (b = ims_query_hash(name, len);
         ims_query_index[b % IMS_QUERY_BUCKETS];
         b++)
    {
        param = &ims_query_params[ims_query_index[b % IMS_QUERY_BUCKETS] - 1];

        if (param->len == len && memcmp(param->name, name, len) == 0) {
            return param - ims_query_params;
        }
    }

    return -1;
}


void
ims_query_conf_init(ims_query_conf_t *conf)
{
    conf->reject_unknown = 0;

    if (!ims_query_index_ready) {
        ims_query_index_init();
    }
}


static int
ims_hex(ims_uchar_t ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    ch |= 0x20;

    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }

    return -1;
}


/*
 * Decodes p..last into dst ("+" is a space, "%XX" must be two hex digits);
 * returns the decoded length or -1.  dst has room for last - p bytes.
 */

static ptrdiff_t
ims_query_unescape(const ims_uchar_t *p, const ims_uchar_t *last,
    ims_uchar_t *dst)
{
    int           hi, lo;
    ims_uchar_t  *d;

    d = dst;

    while (p < last) {
        if (*p == '%') {
            if (last - p < 3 || (hi = ims_hex(p[1])) < 0
                || (lo = ims_hex(p[2])) < 0)
            {
                return -1;
            }

            *d++ = (ims_uchar_t) (hi << 4 | lo);
            p += 3;
            continue;
        }

        *d++ = (*p == '+') ? ' ' : *p;
        p++;
    }

    return d - dst;
}


/* no "%", "+" or non-ASCII byte: the raw text is the decoded text */

#define ims_query_word_plain(w)                                               \
    (!(((w) & IMS_HIGHS) || ims_has_byte(w, '%') || ims_has_byte(w, '+')))

static int
ims_query_plain(const ims_uchar_t *p, const ims_uchar_t *last)
{
    uint64_t  w;

    if (last - p < 8) {
        for ( /* void */ ; p < last; p++) {
            if (*p == '%' || *p == '+' || *p >= 0x80) {
                return 0;
            }
        }

        return 1;
    }

    /* eight bytes at a time, the last word overlapping */

    for ( /* void */ ; last - p > 8; p += 8) {
        memcpy(&w, p, sizeof(uint64_t));

        if (!ims_query_word_plain(w)) {
            return 0;
        }
    }

    memcpy(&w, last - 8, sizeof(uint64_t));

    return ims_query_word_plain(w);
}


static int
ims_query_in(const char *const *values, const ims_uchar_t *p, size_t len)
{
    size_t       i;
    const char  *s;

    if (len == 0) {
        return 0;
    }

    /* the words are short: compared in place, never read past their NUL */

    for ( /* void */ ; *values; values++) {
        s = *values;

        if (s[0] != (char) p[0]) {
            continue;
        }

        for (i = 0; i < len && s[i] != '\0' && s[i] == (char) p[i]; i++) {
            /* void */
        }

        if (i == len && s[i] == '\0') {
            return 1;
        }
    }

    return 0;
}


static size_t
ims_chars(const ims_uchar_t *p, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        n += ((p[i] & 0xc0) != 0x80);
    }

    return n;
}


static int
ims_decimal_in(const ims_uchar_t *p, size_t len, uint64_t max)
{
    size_t    i;
    uint64_t  n;

    if (len == 0) {
        return 0;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }

        if (n > (max - (p[i] - '0')) / 10) {
            return 0;
        }

        n = n * 10 + (p[i] - '0');
    }

    return 1;
}


static int
ims_digits(const ims_uchar_t *p, size_t n, unsigned min, unsigned max)
{
    size_t    i;
    unsigned  v;

    v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        v = v * 10 + (p[i] - '0');
    }

    return (v >= min && v <= max) ? (int) v : -1;
}


/*
 * YYYY-MM-DD{T| }hh:mm:ss[.f{1,9}][Z|(+|-)hh:mm], a day that exists.
 */

int
ims_time_valid(const ims_uchar_t *p, size_t len)
{
    int                 year, month, day, days;
    size_t              n;
    const ims_uchar_t  *last;
    static const int    month_days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    last = p + len;

    if (len < 19 || p[4] != '-' || p[7] != '-'
        || (p[10] != 'T' && p[10] != ' ') || p[13] != ':' || p[16] != ':')
    {
        return 0;
    }

    year = ims_digits(p, 4, 1, 9999);
    month = ims_digits(p + 5, 2, 1, 12);
    day = ims_digits(p + 8, 2, 1, 31);

    if (year < 0 || month < 0 || day < 0
        || ims_digits(p + 11, 2, 0, 23) < 0
        || ims_digits(p + 14, 2, 0, 59) < 0
        || ims_digits(p + 17, 2, 0, 59) < 0)
    {
        return 0;
    }

    days = month_days[month - 1];

    if (month == 2
        && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
    {
        days = 29;
    }

    if (day > days) {
        return 0;
    }

    p += 19;

    if (p < last && *p == '.') {
        for (n = 0, p++; p < last && *p >= '0' && *p <= '9'; p++) {
            n++;
        }

        if (n < 1 || n > 9) {
            return 0;
        }
    }

    if (p == last) {
        return 1;
    }

    if (*p == 'Z') {
        return p + 1 == last;
    }

    if ((*p == '+' || *p == '-') && last - p == 6 && p[3] == ':') {
        return ims_digits(p + 1, 2, 0, 23) >= 0
               && ims_digits(p + 4, 2, 0, 59) >= 0;
    }

    return 0;
}


static int
ims_sort_valid(const ims_uchar_t *p, size_t len)
{
    const ims_uchar_t  *last, *item, *colon, *end;

    last = p + len;

    for (item = p; item <= last; item = end + 1) {
        end = memchr(item, ',', last - item);
        end = end ? end : last;

        colon = memchr(item, ':', end - item);

        if (colon == NULL) {
            colon = end;

        } else if (!ims_query_in(ims_q_sort_dir, colon + 1,
                                 end - colon - 1))
        {
            return 0;
        }

        if (!ims_query_in(ims_q_sort_key, item, colon - item)) {
            return 0;
        }
    }

    return 1;
}


static int
ims_owner_valid(const ims_uchar_t *p, size_t len, uint64_t min,
    uint64_t max)
{
    size_t       i;
    ims_uchar_t  ch;

    if (len < min || len > max) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        ch = p[i];

        if (!((ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a'
                                           && (ch | 0x20) <= 'z')
              || ch == '-' || ch == '_'))
        {
            return 0;
        }
    }

    return 1;
}


/* the checks of one value, by the parameter's type */

static int
ims_query_value_valid(const ims_query_param_t *param, const ims_uchar_t *p,
    size_t len)
{
    size_t  chars;

    switch (param->type) {

    case IMS_Q_ENUM:
        return ims_query_in(param->values, p, len);

    case IMS_Q_TEXT:
        chars = ims_chars(p, len);
        return chars >= param->min && chars <= param->max;

    case IMS_Q_DECIMAL:
        return ims_decimal_in(p, len, param->max);

    case IMS_Q_UUID:
        return ims_uuid_is_canonical(p, len);

    case IMS_Q_OWNER:
        return ims_owner_valid(p, len, param->min, param->max);

    case IMS_Q_SORT:
        return ims_sort_valid(p, len);

    case IMS_Q_TIME:
        return ims_time_valid(p, len);

    default:
        return 0;
    }
}


static int
ims_query_reject(ims_query_state_t *st, const ims_query_param_t *param,
    const ims_uchar_t *name, size_t len, const char *problem)
{
    char  show[64];

    ims_escape(show, sizeof(show), name, len);

    return ims_reject(st->v, 400, param ? param->code : IMS_IMG_0017,
                      "Query parameter '%s': %s.", show, problem);
}


static int
ims_query_param(ims_query_state_t *st, const ims_uchar_t *name,
    size_t name_len, const ims_uchar_t *value, size_t value_len)
{
    ptrdiff_t                 i;
    const ims_uchar_t        *colon;
    const ims_query_param_t  *param;

    i = ims_query_lookup(name, name_len);

    if (i < 0) {
        if (st->conf->reject_unknown) {
            return ims_query_reject(st, NULL, name, name_len,
                                    "unknown parameter");
        }

        return 0;
    }

    param = &ims_query_params[i];

    if (st->seen[i]++ && !param->repeatable) {
        return ims_query_reject(st, param, name, name_len,
                                "may appear only once");
    }

    if (param->role != IMS_P_OTHER) {
        st->role_count[param->role]++;
    }

    if (param->type == IMS_Q_UNSUPPORTED) {
        return ims_query_reject(st, param, name, name_len,
                                "is not supported by the image API v2");
    }

    if (param->eq_operator
        && (colon = memchr(value, ':', value_len)) != NULL)
    {
        if (colon - value != 2 || memcmp(value, "eq", 2) != 0) {
            return ims_query_reject(st, param, name, name_len,
                                    "the only operator allowed is 'eq:'");
        }

        value += 3;
        value_len -= 3;
    }

    if (param->type == IMS_Q_TIME
        && (colon = memchr(value, ':', value_len)) != NULL
        && ims_query_in(ims_q_time_ops, value, colon - value))
    {
        value_len -= colon + 1 - value;
        value = colon + 1;
    }

    if (!ims_query_value_valid(param, value, value_len)) {
        return ims_query_reject(st, param, name, name_len,
                                "invalid value");
    }

    if (param->role == IMS_P_VISIBILITY) {
        st->visibility_shared = (value_len == 6
                                 && memcmp(value, "shared", 6) == 0);
    }

    return 0;
}


/*
 * Validates a raw query string (without "?").  scratch must have room for
 * len bytes: names and values are decoded into it, one parameter at a
 * time, so nothing is allocated.
 */

int
ims_query_validate(const ims_query_conf_t *conf, const ims_uchar_t *args,
    size_t len, ims_uchar_t *scratch, ims_verdict_t *v)
{
    ptrdiff_t           name_len, value_len;
    const ims_uchar_t  *p, *last, *end, *eq, *name, *value;
    ims_query_state_t   st;

    ims_verdict_pass(v);

    memset(&st, 0, sizeof(ims_query_state_t));
    st.conf = conf;
    st.v = v;

    last = args + len;

    for (p = args; p < last; p = end + 1) {
        end = memchr(p, '&', last - p);
        end = end ? end : last;

        if (end == p) {
            continue;                           /* "a=1&&b=2" */
        }

        eq = memchr(p, '=', end - p);
        eq = eq ? eq : end;

        if (ims_query_plain(p, end)) {
            /* nothing to decode, ASCII: judged where it is */
            name = p;
            name_len = eq - p;
            value = (eq < end) ? eq + 1 : end;
            value_len = end - value;

        } else {
            name = scratch;
            name_len = ims_query_unescape(p, eq, scratch);
            value = scratch + (name_len > 0 ? name_len : 0);
            value_len = 0;

            if (name_len >= 0 && eq < end) {
                value_len = ims_query_unescape(eq + 1, end,
                                               scratch + name_len);
            }

            if (name_len < 0 || value_len < 0) {
                return ims_query_reject(&st, NULL, p, eq - p,
                                        "malformed percent-encoding");
            }

            if (!ims_utf8_valid(scratch, name_len + value_len)) {
                return ims_query_reject(&st, NULL, p, eq - p,
                                        "not UTF-8 once decoded");
            }
        }

        if (ims_query_param(&st, name, name_len, value, value_len) != 0) {
            return -1;
        }
    }

    if (st.role_count[IMS_P_MEMBER_STATUS] && !st.visibility_shared) {
        return ims_reject(v, 400, IMS_IMG_0017,
                          "Query parameter 'member_status': requires "
                          "visibility=shared.");
    }

    if (st.role_count[IMS_P_SORT]
        && (st.role_count[IMS_P_SORT_KEY] || st.role_count[IMS_P_SORT_DIR]))
    {
        return ims_reject(v, 400, IMS_IMG_0017,
                          "Query parameter 'sort': cannot be combined with "
                          "sort_key or sort_dir.");
    }

    if (st.role_count[IMS_P_SORT_DIR] > 1
        && st.role_count[IMS_P_SORT_DIR] != st.role_count[IMS_P_SORT_KEY])
    {
        return ims_reject(v, 400, IMS_IMG_0017,
                          "Query parameter 'sort_dir': give one, or one "
                          "per sort_key.");
    }

    return 0;
}
