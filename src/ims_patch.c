
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The PATCH body gate (docs/rules.md, "Body"): operation shape for both
 * dialects, JSON-pointer paths, and the attribute rules.
 */


#include <stdlib.h>
#include <string.h>

#include "ims.h"


#define IMS_ATTR_NAME_MAX_CHARS     255
#define IMS_CUSTOM_VALUE_MAX_BYTES  65535

#define IMS_SHOW_MAX  96

/* the tables a byte value indexes, built by ims_patch_init() */
#define IMS_BYTE_VALUES  256


typedef int (*ims_char_allowed_pt)(const ims_patch_conf_t *conf, uint32_t c);


typedef struct {
    size_t      chars;
    unsigned    valid:1;        /* UTF-8, BMP only, every char allowed */
} ims_string_scan_t;


/* for messages only: the operation is matched in ims_op_shape() */
static const char  *ims_op_names[] = { "", "add", "replace", "remove" };


void
ims_patch_conf_init(ims_patch_conf_t *conf)
{
    memset(conf, 0, sizeof(ims_patch_conf_t));

    ims_core_init();

    conf->max_depth = IMS_DEFAULT_MAX_DEPTH;
    conf->max_ops = IMS_DEFAULT_MAX_OPS;
    conf->name_max_chars = IMS_DEFAULT_IMAGE_NAME_MAX_CHARS;
    conf->description_max_chars = IMS_DEFAULT_DESCRIPTION_MAX_CHARS;
    conf->forbidden_status = 400;

    (void) ims_patch_conf_set_forbidden(conf,
                 (const ims_uchar_t *) IMS_DEFAULT_DESCRIPTION_FORBIDDEN,
                 sizeof(IMS_DEFAULT_DESCRIPTION_FORBIDDEN) - 1);
}


/* the characters a description must not hold, as UTF-8; -1 if invalid */

int
ims_patch_conf_set_forbidden(ims_patch_conf_t *conf, const ims_uchar_t *chars,
    size_t len)
{
    uint32_t            c;
    const ims_uchar_t  *last;

    last = chars + len;
    conf->description_forbidden_n = 0;
    memset(conf->description_forbidden_ascii, 0,
           sizeof(conf->description_forbidden_ascii));

    while (chars < last) {
        c = ims_utf8_next(&chars, last);

        if (c == IMS_UTF8_INVALID
            || conf->description_forbidden_n == IMS_FORBIDDEN_MAX)
        {
            return -1;
        }

        conf->description_forbidden[conf->description_forbidden_n++] = c;

        if (c < 0x80) {
            conf->description_forbidden_ascii[c >> 3] |= 1 << (c & 7);
        }
    }

    return 0;
}


/*
 * Counts characters and checks that each one is valid UTF-8, inside the
 * Basic Multilingual Plane (the backend's database cannot store more) and
 * allowed by the rule.
 */

static void
ims_scan_string(const ims_patch_conf_t *conf, const ims_uchar_t *p,
    size_t len, ims_char_allowed_pt allowed, ims_string_scan_t *scan)
{
    uint32_t            c;
    const ims_uchar_t  *last;

    last = p + len;
    scan->chars = 0;
    scan->valid = 1;

    while (p < last) {
        c = (*p < 0x80) ? *p++ : ims_utf8_next(&p, last);
        scan->chars++;

        if (c == IMS_UTF8_INVALID || c > 0xffff
            || (allowed != NULL && !allowed(conf, c)))
        {
            scan->valid = 0;
        }
    }
}


/* ASCII letters, digits, "-", ".", "_", space and CJK ideographs */

static int
ims_image_name_char(const ims_patch_conf_t *conf, uint32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
           || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_'
           || c == ' ' || (c >= 0x4e00 && c <= 0x9fff);
}


/*
 * The same rule a byte at a time, for a name the reader found all ASCII:
 * built from ims_image_name_char() by ims_patch_init(), so that the rule
 * is written once (other bytes: 0; all 0 before it: every name refused).
 */

static ims_uchar_t  ims_name_ascii[IMS_BYTE_VALUES];


static int
ims_name_plain(const ims_uchar_t *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!ims_name_ascii[p[i]]) {
            break;
        }
    }

    return i == len;
}


static int
ims_description_char(const ims_patch_conf_t *conf, uint32_t c)
{
    size_t  i;

    if (c < 0x80) {
        return !(conf->description_forbidden_ascii[c >> 3] & (1 << (c & 7)));
    }

    for (i = 0;
         i < conf->description_forbidden_n
         && c != conf->description_forbidden[i];
         i++)
    {
        /* void */
    }

    /* allowed if the scan ran past the set */
    return i == conf->description_forbidden_n;
}


/* the same rule for a string the reader found all ASCII: a byte a character */

static ims_inline int
ims_description_ascii(const ims_patch_conf_t *conf, const ims_uchar_t *p,
    size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (conf->description_forbidden_ascii[p[i] >> 3] & (1 << (p[i] & 7))) {
            break;
        }
    }

    return i == len;
}


static int
ims_reject_name(ims_verdict_t *v, const ims_op_t *op, const char *problem)
{
    char  show[IMS_SHOW_MAX];

    ims_escape(show, sizeof(show), op->name, op->name_len);

    return ims_reject(v, 400, IMS_IMG_0001,
                      "Operation %zu: the path names '%s', which %s.",
                      op->index, show, problem);
}


/*
 * Path bytes a plain reference token may hold, used where they are:
 * printable ASCII but RFC 6901's separator "/" and escape "~".  Controls,
 * space, DEL and every byte of a non-ASCII character need the closer look.
 */

static int
ims_path_byte_plain(size_t c)
{
    return c > ' ' && c < '~' && c != '/';
}


/* the same rule as a table (all 0 before ims_patch_init(): all careful) */

static ims_uchar_t  ims_path_plain_byte[IMS_BYTE_VALUES];


void
ims_patch_init(void)
{
    size_t  c;

    c = IMS_BYTE_VALUES;

    while (c--) {
        ims_name_ascii[c] = (ims_uchar_t) ims_image_name_char(NULL, c);
        ims_path_plain_byte[c] = (ims_uchar_t) ims_path_byte_plain(c);
    }
}


/*
 * Whether any of eight path bytes stops the plain scan: one below 0x21, one
 * above 0x7d ('~', DEL, non-ASCII) or a '/'.  Carries only ever flag bytes
 * next to a true match, so the answer is exact.
 */

static ims_inline int
ims_path_word_stops(uint64_t w)
{
    return ((((w - IMS_ONES * 0x21) & ~w) | (w + IMS_ONES * 0x02) | w)
            & IMS_HIGHS)
           || ims_has_byte(w, '/');
}


/* whether a reference token is plain: used as it is */

static ims_inline int
ims_path_plain(const ims_uchar_t *p, size_t n)
{
    size_t    i;
    uint32_t  lo, hi;
    uint64_t  w;

    if (n < 8) {
        if (n >= 4) {
            /* two halves, overlapping */
            memcpy(&lo, p, 4);
            memcpy(&hi, p + n - 4, 4);

            return !ims_path_word_stops(lo | (uint64_t) hi << 32);
        }

        for (i = 0; i < n; i++) {
            if (!ims_path_plain_byte[p[i]]) {
                break;
            }
        }

        return i == n;
    }

    /* eight bytes at a time, the last word overlapping */
    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);

        if (ims_path_word_stops(w)) {
            return 0;
        }
    }

    memcpy(&w, p + n - 8, 8);

    return !ims_path_word_stops(w);
}


/*
 * RFC 6901 with exactly one reference token: "~1" decodes to "/" and "~0"
 * to "~"; a lone "/" ends the single token, so any second one is a
 * nested path.  Always decodes into op->decoded: ims_path_decode() takes
 * plain tokens in place before calling this.
 */

static int
ims_path_decode_careful(const ims_member_t *path, ims_op_t *op,
    ims_verdict_t *v)
{
    int                 lead;
    uint32_t            c;
    ims_uchar_t         ch, seen;
    const ims_uchar_t  *p, *last;
    ims_string_scan_t   scan;

    p = path->data;
    last = p + path->len;

    if (p == last || *p != '/') {
        return ims_reject(v, 400, IMS_IMG_0001,
                          "Operation %zu: the path must start with '/'.",
                          op->index);
    }

    op->name = op->decoded;
    op->name_len = 0;
    seen = 0;

    for (p++; p < last; p++) {
        ch = *p;

        if (ch == '/') {
            return ims_reject(v, 400, IMS_IMG_0001,
                              "Operation %zu: the path must name exactly "
                              "one attribute.", op->index);
        }

        if (ch == '~') {
            if (p + 1 == last || (p[1] != '0' && p[1] != '1')) {
                return ims_reject(v, 400, IMS_IMG_0001,
                                  "Operation %zu: '~' in the path must "
                                  "be followed by 0 or 1.", op->index);
            }

            ch = (*++p == '1') ? '/' : '~';
        }

        if (op->name_len == IMS_ATTR_NAME_MAX_BYTES) {
            /* at most 4 bytes a character: already over 255 */
            goto too_long;
        }

        /* non-ASCII, control characters, space, "/" and "~": a closer look */
        seen |= !ims_path_plain_byte[ch];
        op->decoded[op->name_len++] = ch;
    }

    if (op->name_len == 0) {
        return ims_reject(v, 400, IMS_IMG_0001,
                          "Operation %zu: the path names no attribute.",
                          op->index);
    }

    if (!seen) {
        /* printable ASCII: one byte a character, no class to check */
        if (op->name_len > IMS_ATTR_NAME_MAX_CHARS) {
            goto too_long;
        }

        return 0;
    }

    ims_scan_string(NULL, op->name, op->name_len, NULL, &scan);

    if (!scan.valid) {
        return ims_reject_name(v, op, "is not BMP UTF-8");
    }

    if (scan.chars > IMS_ATTR_NAME_MAX_CHARS) {
        goto too_long;
    }

    p = op->name;
    last = p + op->name_len;
    lead = 1;

    /* valid BMP UTF-8 by now: ims_utf8_next() takes ASCII as it is */
    while (p < last) {
        c = ims_utf8_next(&p, last);

        if (ims_is_control_or_format(c)) {
            return ims_reject_name(v, op,
                                   "holds a control or format character");
        }

        if (ims_is_white_space(c) && (lead || p == last)) {
            return ims_reject_name(v, op,
                                   "starts or ends with whitespace");
        }

        lead = 0;
    }

    return 0;

too_long:

    return ims_reject(v, 400, IMS_IMG_0001,
                      "Operation %zu: the attribute name is longer than %d "
                      "characters.", op->index, IMS_ATTR_NAME_MAX_CHARS);
}


/* the common case in place; anything else takes the careful path */

static ims_inline int
ims_path_decode(const ims_member_t *path, ims_op_t *op, ims_verdict_t *v)
{
    if (path->len < 2 || path->len - 1 > IMS_ATTR_NAME_MAX_CHARS
        || path->data[0] != '/'
        || !ims_path_plain(path->data + 1, path->len - 1))
    {
        return ims_path_decode_careful(path, op, v);
    }

    op->name = path->data + 1;
    op->name_len = path->len - 1;

    return 0;
}


/*
 * Shape and rules are inlined into the reader's emit callback, the hot
 * path of every operation; the exported names are for tools and tests.
 */

static ims_inline int
ims_op_shape(ims_dialect_t dialect, const ims_members_t *m, ims_op_t *op,
    ims_verdict_t *v)
{
    size_t               i, found;
    const ims_member_t  *mop, *path;

    op->index = m->index;

    if (dialect == IMS_PATCH_V21) {
        mop = &m->member[IMS_MEMBER_OP];

        if (mop->kind != IMS_JSON_STRING) {
            return ims_reject(v, 400, IMS_IMG_0001,
                              "Operation %zu: 'op' must be a string: add, "
                              "replace or remove.", op->index);
        }

        switch (mop->len) {
        case 3:
            op->op = (memcmp(mop->data, "add", 3) == 0) ? IMS_OP_ADD : 0;
            break;
        case 6:
            op->op = (memcmp(mop->data, "remove", 6) == 0) ? IMS_OP_REMOVE
                                                           : 0;
            break;
        case 7:
            op->op = (memcmp(mop->data, "replace", 7) == 0) ? IMS_OP_REPLACE
                                                            : 0;
            break;
        default:
            op->op = 0;
        }

        if (op->op == 0) {
            return ims_reject(v, 400, IMS_IMG_0001,
                              "Operation %zu: 'op' must be add, replace "
                              "or remove.", op->index);
        }

        path = &m->member[IMS_MEMBER_PATH];

        if (path->kind != IMS_JSON_STRING) {
            return ims_reject(v, 400, IMS_IMG_0001,
                              "Operation %zu: 'path' must be a string.",
                              op->index);
        }

    } else {
        found = 0;
        path = NULL;

        for (i = 0; i < 3; i++) {
            if (m->member[IMS_MEMBER_ADD + i].kind != IMS_JSON_ABSENT) {
                found++;
                path = &m->member[IMS_MEMBER_ADD + i];
                op->op = IMS_OP_ADD + i;
            }
        }

        if (found != 1) {
            return ims_reject(v, 400, IMS_IMG_0001,
                              "Operation %zu: a v2.0 operation needs exactly "
                              "one member named add, replace or remove.",
                              op->index);
        }

        if (path->kind != IMS_JSON_STRING) {
            return ims_reject(v, 400, IMS_IMG_0001,
                              "Operation %zu: '%s' must be a path string.",
                              op->index, ims_op_names[op->op]);
        }
    }

    op->value_kind = m->member[IMS_MEMBER_VALUE].kind;
    op->value_ascii = m->member[IMS_MEMBER_VALUE].ascii;
    op->value = m->member[IMS_MEMBER_VALUE].data;
    op->value_len = m->member[IMS_MEMBER_VALUE].len;

    if (op->op != IMS_OP_REMOVE && op->value_kind == IMS_JSON_ABSENT) {
        return ims_reject(v, 400, IMS_IMG_0001,
                          "Operation %zu: '%s' requires a member named "
                          "'value'.", op->index, ims_op_names[op->op]);
    }

    return ims_path_decode(path, op, v);
}


static int
ims_judge_image_name(const ims_patch_conf_t *conf, const ims_op_t *op,
    ims_verdict_t *v)
{
    int                valid;
    ims_string_scan_t  scan;

    if (op->op == IMS_OP_REMOVE || op->value_kind == IMS_JSON_NULL
        || (op->value_kind == IMS_JSON_STRING && op->value_len == 0))
    {
        return ims_reject(v, 400, IMS_IMG_0013,
                          "Operation %zu: 'name' cannot be removed or "
                          "emptied.", op->index);
    }

    if (op->value_kind != IMS_JSON_STRING) {
        return ims_reject(v, 400, IMS_IMG_0003,
                          "Operation %zu: 'name' must be a string.",
                          op->index);
    }

    if (conf->name_pattern == NULL && op->value_ascii) {
        /* a byte a character, and the table alone judges each */
        scan.chars = op->value_len;
        scan.valid = ims_name_plain(op->value, op->value_len);

    } else {
        ims_scan_string(conf, op->value, op->value_len,
                        conf->name_pattern ? NULL : ims_image_name_char,
                        &scan);
    }

    if (scan.chars > conf->name_max_chars) {
        return ims_reject(v, 400, IMS_IMG_0002,
                          "Operation %zu: 'name' has %zu characters, more "
                          "than %zu.", op->index, scan.chars,
                          conf->name_max_chars);
    }

    if (conf->name_pattern) {
        valid = scan.valid
                && conf->name_pattern(conf->name_pattern_data, op->value,
                                      op->value_len);

    } else {
        valid = scan.valid && op->value[0] != ' '
                && op->value[op->value_len - 1] != ' ';
    }

    if (!valid) {
        return ims_reject(v, 400, IMS_IMG_0003,
                          "Operation %zu: 'name' does not match the name "
                          "rule.", op->index);
    }

    return 0;
}


static int
ims_judge_description(const ims_patch_conf_t *conf, const ims_op_t *op,
    ims_verdict_t *v)
{
    ims_string_scan_t  scan;

    if (op->op == IMS_OP_REMOVE) {
        return 0;
    }

    if (op->value_kind != IMS_JSON_STRING) {
        return ims_reject(v, 400, IMS_IMG_0054,
                          "Operation %zu: '__description' must be a string.",
                          op->index);
    }

    if (op->value_ascii) {
        scan.chars = op->value_len;
        scan.valid = ims_description_ascii(conf, op->value, op->value_len);

    } else {
        ims_scan_string(conf, op->value, op->value_len, ims_description_char,
                        &scan);
    }

    if (scan.chars > conf->description_max_chars) {
        return ims_reject(v, 400, IMS_IMG_0004,
                          "Operation %zu: '__description' has %zu "
                          "characters, more than %zu.", op->index,
                          scan.chars, conf->description_max_chars);
    }

    if (!scan.valid) {
        return ims_reject(v, 400, IMS_IMG_0054,
                          "Operation %zu: '__description' holds a forbidden "
                          "character or one outside the BMP.", op->index);
    }

    return 0;
}


static int
ims_reject_custom(const ims_op_t *op, ims_verdict_t *v, const char *problem)
{
    char  show[IMS_SHOW_MAX];

    ims_escape(show, sizeof(show), op->name, op->name_len);

    return ims_reject(v, 400, IMS_IMG_0001,
                      "Operation %zu: the value of '%s' %s.", op->index, show,
                      problem);
}


/*
 * Readers hand over valid UTF-8, so a character outside the BMP is a
 * 4-byte sequence, which starts with a byte of 0xF0 or more: one whose
 * four high bits are set.  Eight bytes at a time, bit 7 of each byte of
 * w & w << 1 & w << 2 & w << 3 is the AND of that byte's bits 7 to 4 (a
 * shift of three or less moves no bit into another byte's bit 7).
 */

static ims_inline int
ims_has_non_bmp(const ims_uchar_t *p, size_t len)
{
    size_t    i;
    uint64_t  w;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);

        if (w & w << 1 & w << 2 & w << 3 & IMS_HIGHS) {
            break;
        }
    }

    /* the byte, in the word that has one or in the tail */
    for ( /* void */ ; i < len; i++) {
        if (p[i] >= 0xf0) {
            break;
        }
    }

    return i < len;
}


static ims_inline int
ims_judge_custom(const ims_op_t *op, ims_verdict_t *v)
{
    if (op->op == IMS_OP_REMOVE) {
        return 0;
    }

    if (op->value_kind != IMS_JSON_STRING) {
        return ims_reject_custom(op, v, "must be a string");
    }

    if (op->value_len > IMS_CUSTOM_VALUE_MAX_BYTES) {
        return ims_reject_custom(op, v, "is longer than 65535 bytes");
    }

    if (!op->value_ascii && ims_has_non_bmp(op->value, op->value_len)) {
        return ims_reject_custom(op, v, "holds characters outside the BMP");
    }

    return 0;
}


/*
 * The attribute policy, most explicit first: an operator's system
 * attributes, then the attributes an operator made editable, then the
 * built-in catalog.
 */

static ims_inline int
ims_is_operator_system(const ims_patch_conf_t *conf, const ims_op_t *op)
{
    return conf->is_system
           && conf->is_system(conf->is_system_data, op->name, op->name_len);
}


static ims_inline int
ims_is_forbidden(const ims_patch_conf_t *conf, const ims_op_t *op)
{
    /* the operator's own system attributes first, then their exceptions */
    if (ims_is_operator_system(conf, op)) {
        return 1;
    }

    if (conf->is_editable
        && conf->is_editable(conf->is_editable_data, op->name, op->name_len))
    {
        return 0;
    }

    return ims_is_system_attribute(op->name, op->name_len);
}


static int
ims_reject_system(const ims_patch_conf_t *conf, const ims_op_t *op,
    ims_verdict_t *v)
{
    char  show[IMS_SHOW_MAX];

    ims_escape(show, sizeof(show), op->name, op->name_len);

    return ims_reject(v, conf->forbidden_status, IMS_IMG_0105,
                      "Operation %zu: '%s' is a system attribute and "
                      "cannot be changed.", op->index, show);
}


/*
 * "name" and "__description" have rules of their own and are not in the
 * built-in catalog (the unit tests hold it to that): only an operator's
 * list can make them system attributes.
 */

static ims_inline int
ims_op_rules(const ims_patch_conf_t *conf, const ims_op_t *op,
    ims_verdict_t *v)
{
    if (op->name_len == 4 && memcmp(op->name, "name", 4) == 0) {
        return ims_is_operator_system(conf, op)
               ? ims_reject_system(conf, op, v)
               : ims_judge_image_name(conf, op, v);
    }

    if (op->name_len == 13 && memcmp(op->name, "__description", 13) == 0) {
        return ims_is_operator_system(conf, op)
               ? ims_reject_system(conf, op, v)
               : ims_judge_description(conf, op, v);
    }

    if (ims_is_forbidden(conf, op)) {
        return ims_reject_system(conf, op, v);
    }

    return ims_judge_custom(op, v);
}


int
ims_op_from_members(ims_dialect_t dialect, const ims_members_t *m,
    ims_op_t *op, ims_verdict_t *v)
{
    return ims_op_shape(dialect, m, op, v);
}


int
ims_op_judge(const ims_patch_conf_t *conf, const ims_op_t *op,
    ims_verdict_t *v)
{
    return ims_op_rules(conf, op, v);
}


/* emits from a reader: shape the operation for the dialect, judge it */

static int
ims_patch_emit(void *data, const ims_members_t *m, ims_verdict_t *v)
{
    int           rc;
    ims_patch_t  *pt;

    pt = data;

    rc = ims_op_shape(pt->dialect, m, &pt->op, v);

    return (rc != 0) ? rc : ims_op_rules(pt->conf, &pt->op, v);
}


size_t
ims_patch_scratch_size(const ims_patch_conf_t *conf, size_t len)
{
    return ims_stream_scratch_size(conf, len);
}


/* JSON whitespace only, or nothing: a body with its own code, IMG.0007 */

static int
ims_patch_blank(const ims_uchar_t *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
            break;
        }
    }

    return i == len;
}


static int
ims_patch_reject_blank(ims_verdict_t *v)
{
    return ims_reject(v, 400, IMS_IMG_0007,
                      "A JSON array of operations is required.");
}


/*
 * The incremental gate over the streaming reader: the body is fed piece by
 * piece as nginx holds it (memory buffers, temporary-file chunks), with a
 * scratch of ims_patch_scratch_size() bytes for the whole body.
 */

int
ims_patch_begin(ims_patch_t *pt, ims_dialect_t dialect,
    const ims_patch_conf_t *conf, ims_uchar_t *scratch, size_t size,
    ims_verdict_t *v)
{
    if (!ims_core_ready()) {
        return ims_reject(v, 500, IMS_OK, "ims_core_init() was not called.");
    }

    ims_verdict_pass(v);

    pt->dialect = dialect;
    pt->conf = conf;
    pt->blank = 1;

    if (ims_stream_init(&pt->stream, conf, ims_patch_emit, pt, scratch, size)
        != IMS_STREAM_OK)
    {
        return ims_reject(v, 500, IMS_OK, "No room to read the body.");
    }

    return 0;
}


int
ims_patch_feed(ims_patch_t *pt, const ims_uchar_t *p, size_t len,
    ims_verdict_t *v)
{
    if (pt->blank) {
        pt->blank = ims_patch_blank(p, len);
    }

    return ims_stream_feed(&pt->stream, p, len, v) == IMS_STREAM_OK ? 0 : -1;
}


int
ims_patch_end(ims_patch_t *pt, ims_verdict_t *v)
{
    if (pt->blank) {
        return ims_patch_reject_blank(v);
    }

    return ims_stream_finish(&pt->stream, v) == IMS_STREAM_OK ? 0 : -1;
}


#define IMS_PATCH_STACK_SCRATCH  4096


/* one buffer, for tools and tests; the scratch is malloc()ed if large */

int
ims_patch_validate(ims_dialect_t dialect, const ims_uchar_t *body,
    size_t len, const ims_patch_conf_t *conf, ims_verdict_t *v)
{
    int           rc;
    size_t        size;
    ims_patch_t   pt;
    ims_uchar_t  *scratch;
    ims_uchar_t   stack[IMS_PATCH_STACK_SCRATCH];

    size = ims_patch_scratch_size(conf, len);
    scratch = (size <= sizeof(stack)) ? stack : malloc(size);

    if (scratch == NULL) {
        return ims_reject(v, 500, IMS_OK, "No room to read the body.");
    }

    rc = ims_patch_begin(&pt, dialect, conf, scratch, size, v);

    if (rc == 0) {
        rc = ims_patch_feed(&pt, body, len, v);
    }

    if (rc == 0) {
        rc = ims_patch_end(&pt, v);
    }

    if (scratch != stack) {
        free(scratch);
    }

    return rc;
}


/* the same gate over the reference reader, to compare the two */

int
ims_patch_validate_jansson(ims_dialect_t dialect, const ims_uchar_t *body,
    size_t len, const ims_patch_conf_t *conf, ims_verdict_t *v)
{
    ims_patch_t  pt;

    if (!ims_core_ready()) {
        return ims_reject(v, 500, IMS_OK, "ims_core_init() was not called.");
    }

    ims_verdict_pass(v);

    if (ims_patch_blank(body, len)) {
        return ims_patch_reject_blank(v);
    }

    pt.dialect = dialect;
    pt.conf = conf;

    return ims_read_patch_jansson(body, len, conf, ims_patch_emit, &pt, v);
}
