
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The query gate for GET/HEAD {api}/cloudimages (docs/rules.md, "Query"):
 * a strict decoder that splits as the backend does, and the parameter
 * catalog.
 */


#include <string.h>

#include "ims.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


typedef enum {
    IMS_Q_ENUM,             /* one of "values", exactly */
    IMS_Q_TEXT,             /* min..max characters */
    IMS_Q_DECIMAL,          /* digits only, min..max */
    IMS_Q_UUID,
    IMS_Q_OWNER,            /* min..max of [A-Za-z0-9_-] */
    IMS_Q_SORT,             /* key[:dir] items joined by "," */
    IMS_Q_TIME,             /* [op:]time */
    IMS_Q_UNSUPPORTED
} ims_query_type_t;


typedef enum {
    IMS_P_VISIBILITY,
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
    const ims_str_t     *values;
    uint64_t             min;
    uint64_t             max;
} ims_query_param_t;


#define ims_null_string  { 0, NULL }

/* the words of an enumerated value, ended by ims_null_string */

static const ims_str_t  ims_q_imagetype[] = {
    ims_string("gold"), ims_string("private"), ims_string("shared"),
    ims_null_string };
static const ims_str_t  ims_q_visibility[] = {
    ims_string("public"), ims_string("private"), ims_string("shared"),
    ims_null_string };
static const ims_str_t  ims_q_member_status[] = {
    ims_string("accepted"), ims_string("rejected"), ims_string("pending"),
    ims_null_string };
static const ims_str_t  ims_q_status[] = {
    ims_string("queued"), ims_string("saving"), ims_string("deleted"),
    ims_string("killed"), ims_string("active"), ims_null_string };
static const ims_str_t  ims_q_boolean[] = {
    ims_string("true"), ims_string("false"), ims_null_string };
static const ims_str_t  ims_q_true[] = { ims_string("true"), ims_null_string };
static const ims_str_t  ims_q_os_type[] = {
    ims_string("Linux"), ims_string("Windows"), ims_string("Other"),
    ims_null_string };
static const ims_str_t  ims_q_os_bit[] = {
    ims_string("32"), ims_string("64"), ims_null_string };
static const ims_str_t  ims_q_platform[] = {
    ims_string("Windows"), ims_string("Ubuntu"), ims_string("RedHat"),
    ims_string("Red Hat"), ims_string("SUSE"), ims_string("CentOS"),
    ims_string("Debian"), ims_string("OpenSUSE"), ims_string("Oracle Linux"),
    ims_string("Fedora"), ims_string("Other"), ims_string("CoreOS"),
    ims_string("EulerOS"), ims_null_string };
static const ims_str_t  ims_q_virtual_env_type[] = {
    ims_string("FusionCompute"), ims_string("Ironic"), ims_string("DataImage"),
    ims_string("IsoImage"), ims_null_string };
static const ims_str_t  ims_q_disk_format[] = {
    ims_string("vhd"), ims_string("zvhd"), ims_string("zvhd2"),
    ims_string("raw"), ims_string("qcow2"), ims_string("iso"),
    ims_null_string };
static const ims_str_t  ims_q_container_format[] = {
    ims_string("bare"), ims_null_string };
static const ims_str_t  ims_q_sort_key[] = {
    ims_string("name"), ims_string("status"), ims_string("container_format"),
    ims_string("disk_format"), ims_string("size"), ims_string("id"),
    ims_string("created_at"), ims_string("updated_at"), ims_null_string };
static const ims_str_t  ims_q_sort_dir[] = {
    ims_string("asc"), ims_string("desc"), ims_null_string };
static const ims_str_t  ims_q_time_ops[] = {
    ims_string("gt"), ims_string("gte"), ims_string("lt"), ims_string("lte"),
    ims_string("eq"), ims_string("neq"), ims_null_string };


#define IMS_INT32_MAX  2147483647ULL
#define IMS_INT64_MAX  9223372036854775807ULL


#define ims_name(n)  sizeof(n) - 1, n

/*
 * The fields a type does not read are left out (0 and NULL); a row that
 * needs none names .values, so that the compiler sees the rest is meant.
 */

#define ims_enum(n, v)                                                        \
    { ims_name(n), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_OTHER, .values = v }
#define ims_enum_eq(n, v)                                                     \
    { ims_name(n), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_OTHER, .eq_operator = 1,   \
      .values = v }
#define ims_decimal(n, m)                                                     \
    { ims_name(n), IMS_Q_DECIMAL, IMS_IMG_0017, IMS_P_OTHER, .max = m }


/* The parameter catalog: one row per parameter of docs/rules.md, "Query". */

static const ims_query_param_t  ims_query_params[] = {
    /* name, type, error code, role; then what the type reads */
    { ims_name("__imagetype"), IMS_Q_ENUM, IMS_IMG_0024, IMS_P_OTHER,
      .values = ims_q_imagetype },
    { ims_name("visibility"), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_VISIBILITY,
      .eq_operator = 1, .values = ims_q_visibility },
    { ims_name("member_status"), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_MEMBER_STATUS,
      .values = ims_q_member_status },
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
      .min = 1, .max = 255 },
    { ims_name("__support_kvm_gpu_type"), IMS_Q_TEXT, IMS_IMG_0017, IMS_P_OTHER,
      .min = 1, .max = 255 },
    { ims_name("__os_type"), IMS_Q_ENUM, IMS_IMG_0122, IMS_P_OTHER,
      .values = ims_q_os_type },
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
      .values = NULL },
    { ims_name("id"), IMS_Q_UUID, IMS_IMG_0066, IMS_P_OTHER, .eq_operator = 1 },
    { ims_name("owner"), IMS_Q_OWNER, IMS_IMG_0017, IMS_P_OTHER,
      .eq_operator = 1, .min = 1, .max = 64 },
    { ims_name("name"), IMS_Q_TEXT, IMS_IMG_0017, IMS_P_OTHER,
      .eq_operator = 1, .min = 1, .max = 255 },
    { ims_name("tag"), IMS_Q_TEXT, IMS_IMG_0017, IMS_P_OTHER,
      .repeatable = 1, .max = 255 },
    { ims_name("sort_key"), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_SORT_KEY,
      .repeatable = 1, .values = ims_q_sort_key },
    { ims_name("sort_dir"), IMS_Q_ENUM, IMS_IMG_0017, IMS_P_SORT_DIR,
      .repeatable = 1, .values = ims_q_sort_dir },
    { ims_name("sort"), IMS_Q_SORT, IMS_IMG_0017, IMS_P_SORT, .values = NULL },
    { ims_name("created_at"), IMS_Q_TIME, IMS_IMG_0017, IMS_P_OTHER,
      .values = NULL },
    { ims_name("updated_at"), IMS_Q_TIME, IMS_IMG_0017, IMS_P_OTHER,
      .values = NULL },
    { ims_name("changes-since"), IMS_Q_UNSUPPORTED, IMS_IMG_0017, IMS_P_OTHER,
      .values = NULL },
};


#define IMS_QUERY_PARAM_COUNT                                                 \
    ims_nelts(ims_query_params)


typedef struct {
    const ims_query_conf_t  *conf;
    ims_verdict_t           *v;
    ims_uchar_t             *scratch;
    const ims_uchar_t       *item;      /* the parameter being split */
    const ims_uchar_t       *eq;        /* its first "=", or NULL */
    unsigned                 encoded:1; /* it has "%", "+" or non-ASCII */
    unsigned                 visibility_shared:1;
    unsigned                 seen[IMS_QUERY_PARAM_COUNT];
    unsigned                 role_count[IMS_P_OTHER];
} ims_query_state_t;


/*
 * An open-addressing index over the catalog, built once, hashed on the
 * length and two bytes of a name, so that a lookup compares one entry or
 * two instead of walking the table (with these factors, no name of the
 * catalog takes more than two).
 */

#define IMS_QUERY_BUCKETS  128

static uint8_t   ims_query_index[IMS_QUERY_BUCKETS];   /* entry + 1, 0: none */


static unsigned
ims_query_hash(const ims_uchar_t *name, size_t len)
{
    /* len >= 1 */
    return (unsigned) (len * 11 + name[0] * 8 + name[len - 1]);
}


/* built afresh on each call, as the catalog's: a second one changes nothing */

void
ims_query_index_init(void)
{
    size_t    i;
    unsigned  b;

    memset(ims_query_index, 0, sizeof(ims_query_index));

    for (i = 0; i < IMS_QUERY_PARAM_COUNT; i++) {
        b = ims_query_hash((const ims_uchar_t *) ims_query_params[i].name,
                           ims_query_params[i].len);

        while (ims_query_index[b % IMS_QUERY_BUCKETS]) {
            b++;
        }

        ims_query_index[b % IMS_QUERY_BUCKETS] = (uint8_t) (i + 1);
    }
}


/*
 * The catalog row of a decoded name, or -1.  ims_core_init() built the
 * index; ims_query_validate() refuses to run before it.
 */

static ptrdiff_t
ims_query_lookup(const ims_uchar_t *name, size_t len)
{
    unsigned                  b;
    const ims_query_param_t  *param;

    if (len == 0) {
        return -1;
    }

    for (b = ims_query_hash(name, len);
         ims_query_index[b % IMS_QUERY_BUCKETS];
         b++)
    {
        param = &ims_query_params[ims_query_index[b % IMS_QUERY_BUCKETS] - 1];

        if (param->len == len && ims_equal(param->name, name, len)) {
            return param - ims_query_params;
        }
    }

    return -1;
}


void
ims_query_conf_init(ims_query_conf_t *conf)
{
    ims_core_init();

    conf->reject_unknown = 0;
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


static int
ims_query_in(const ims_str_t *words, const ims_uchar_t *p, size_t len)
{
    for ( /* void */ ; words->data; words++) {
        if (words->len == len && ims_equal(words->data, p, len)) {
            break;
        }
    }

    /* stopped at a word, or at the list's end */
    return words->data != NULL;
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

    n = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9' || n > (max - (p[i] - '0')) / 10) {
            break;
        }

        n = n * 10 + (p[i] - '0');
    }

    /* digits, every byte one, none past max */
    return len != 0 && i == len;
}


/* the value of n digits within min..max, or exactly -1 */

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

static int
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

    if (year == -1 || month == -1) {
        return 0;
    }

    days = month_days[month - 1];

    if (month == 2
        && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
    {
        days = 29;
    }

    /* the days of that month: the table is the one limit */
    day = ims_digits(p + 8, 2, 1, days);

    if (day == -1
        || ims_digits(p + 11, 2, 0, 23) == -1
        || ims_digits(p + 14, 2, 0, 59) == -1
        || ims_digits(p + 17, 2, 0, 59) == -1)
    {
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

    /* no zone, "Z", or an offset */
    return p == last
           || (*p == 'Z' && p + 1 == last)
           || ((*p == '+' || *p == '-') && last - p == 6 && p[3] == ':'
               && ims_digits(p + 1, 2, 0, 23) != -1
               && ims_digits(p + 4, 2, 0, 59) != -1);
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
            break;
        }

        if (!ims_query_in(ims_q_sort_key, item, colon - item)) {
            break;
        }
    }

    /* past the last item, or stopped at a bad one */
    return item > last;
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
            break;
        }
    }

    return i == len;
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
    size_t                    op_len;
    ptrdiff_t                 i;
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

    if (param->eq_operator) {
        if (value_len >= 3 && value[0] == 'e' && value[1] == 'q'
            && value[2] == ':')
        {
            value += 3;
            value_len -= 3;

        } else if (memchr(value, ':', value_len) != NULL) {
            return ims_query_reject(st, param, name, name_len,
                                    "the only operator allowed is 'eq:'");
        }
    }

    /* an operator has two or three letters; a time's first ":" is later */

    if (param->type == IMS_Q_TIME && value_len > 3) {
        op_len = (value[2] == ':') ? 2 : (value[3] == ':') ? 3 : 0;

        if (op_len && ims_query_in(ims_q_time_ops, value, op_len)) {
            value += op_len + 1;
            value_len -= op_len + 1;
        }
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


/* one parameter, raw bytes st->item..end: judged in place unless encoded */

static int
ims_query_item(ims_query_state_t *st, const ims_uchar_t *end)
{
    ptrdiff_t           name_len, value_len;
    const ims_uchar_t  *p, *eq, *name, *value;

    p = st->item;
    eq = st->eq ? st->eq : end;

    if (end == p) {
        return 0;                               /* "a=1&&b=2", "a=1;;b" */
    }

    if (!st->encoded) {
        name = p;
        name_len = eq - p;
        value = (eq < end) ? eq + 1 : end;
        value_len = end - value;

    } else {
        name = st->scratch;
        name_len = ims_query_unescape(p, eq, st->scratch);
        value = st->scratch + (name_len > 0 ? name_len : 0);
        value_len = 0;

        if (name_len >= 0 && eq < end) {
            value_len = ims_query_unescape(eq + 1, end,
                                           st->scratch + name_len);
        }

        if (name_len < 0 || value_len < 0) {
            return ims_query_reject(st, NULL, p, eq - p,
                                    "malformed percent-encoding");
        }

        if (!ims_utf8_valid(st->scratch, name_len + value_len)) {
            return ims_query_reject(st, NULL, p, eq - p,
                                    "not UTF-8 once decoded");
        }
    }

    return ims_query_param(st, name, name_len, value, value_len);
}


/* a byte the splitter stops at: "&", ";", "=", "%", "+" or non-ASCII */

static ims_inline int
ims_query_mark(ims_query_state_t *st, const ims_uchar_t *p)
{
    int  rc;

    switch (*p) {

    case '&':
    case ';':                       /* the backend splits on both */
        rc = ims_query_item(st, p);
        st->item = p + 1;
        st->eq = NULL;
        st->encoded = 0;
        return rc;

    case '=':
        if (st->eq == NULL) {
            st->eq = p;
        }

        return 0;

    default:
        st->encoded = 1;
        return 0;
    }
}


#if defined(__SSE2__) && defined(__GNUC__)

/* the stops at p + i for each bit i of mask, in order */

static ims_inline int
ims_query_marks(ims_query_state_t *st, const ims_uchar_t *p, unsigned mask)
{
    for ( /* void */ ; mask; mask &= mask - 1) {
        if (ims_query_mark(st, p + __builtin_ctz(mask)) != 0) {
            return -1;
        }
    }

    return 0;
}


/* the bytes of p[0..15] the splitter stops at, as a bit mask */

static ims_inline unsigned
ims_query_stops(const ims_uchar_t *p)
{
    __m128i  x, stops;

    x = _mm_loadu_si128((const __m128i *) p);

    stops = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('&')),
                                      _mm_cmpeq_epi8(x, _mm_set1_epi8(';'))),
                         _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('=')),
                                      _mm_cmpeq_epi8(x, _mm_set1_epi8('%'))));
    stops = _mm_or_si128(stops, _mm_cmpeq_epi8(x, _mm_set1_epi8('+')));

    /* and non-ASCII bytes: their high bit */
    return (unsigned) (_mm_movemask_epi8(stops) | _mm_movemask_epi8(x));
}

#endif


/*
 * Validates a raw query string (without "?").  scratch must have room for
 * len bytes: an encoded parameter is decoded into it, one at a time, so
 * nothing is allocated.  One sweep finds the bytes that matter, sixteen at
 * a time where SSE2 is there.
 */

int
ims_query_validate(const ims_query_conf_t *conf, const ims_uchar_t *args,
    size_t len, ims_uchar_t *scratch, ims_verdict_t *v)
{
    const ims_uchar_t  *p, *last;
    ims_query_state_t   st;

    if (!ims_core_ready()) {
        return ims_reject(v, 500, IMS_OK, "ims_core_init() was not called.");
    }

    ims_verdict_pass(v);

    memset(&st, 0, sizeof(ims_query_state_t));
    st.conf = conf;
    st.v = v;
    st.scratch = scratch;
    st.item = args;

    p = args;
    last = args + len;

#if defined(__SSE2__) && defined(__GNUC__)
    for ( /* void */ ; last - p >= 16; p += 16) {
        if (ims_query_marks(&st, p, ims_query_stops(p)) != 0) {
            return -1;
        }
    }

    /*
     * after a block, the rest is the end of the last sixteen bytes: the
     * others shifted out
     */

    if (p < last && p != args) {
        if (ims_query_marks(&st, p, ims_query_stops(last - 16)
                                    >> (16 - (last - p)))
            != 0)
        {
            return -1;
        }

        p = last;
    }
#endif

    for ( /* void */ ; p < last; p++) {
        if ((*p == '&' || *p == ';' || *p == '=' || *p == '%' || *p == '+'
             || *p >= 0x80)
            && ims_query_mark(&st, p) != 0)
        {
            return -1;
        }
    }

    if (ims_query_item(&st, last) != 0) {
        return -1;
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
