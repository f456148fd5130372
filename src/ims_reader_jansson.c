
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The reference reader: jansson's strict parser (RFC 8259, UTF-8 checked,
 * duplicate members rejected at every level after unescaping).
 *
 * jansson limits that the gateway inherits and documents: a member name
 * holding U+0000 is refused, and so is a number outside the range of a
 * double.  Both are invalid JSON to the gateway (IMG.0001).  A raw NUL
 * byte is refused up front: jansson drops one that follows a number or a
 * literal ("[1\0]"), which no other JSON parser accepts.
 */


#include <string.h>
#include <jansson.h>

#include "ims.h"


static const char  *ims_member_names[IMS_MEMBER_COUNT] = {
    [IMS_MEMBER_OP]      = "op",
    [IMS_MEMBER_PATH]    = "path",
    [IMS_MEMBER_VALUE]   = "value",
    [IMS_MEMBER_ADD]     = "add",
    [IMS_MEMBER_REPLACE] = "replace",
    [IMS_MEMBER_REMOVE]  = "remove",
};


/* jansson itself stops at 2048 levels, which bounds the recursion */

static size_t
ims_json_depth(json_t *json)
{
    size_t       i, d, max;
    json_t      *item;
    const char  *key;

    max = 0;

    if (json_is_array(json)) {
        json_array_foreach(json, i, item) {
            d = ims_json_depth(item);
            max = (d > max) ? d : max;
        }

        return max + 1;
    }

    if (json_is_object(json)) {
        json_object_foreach(json, key, item) {
            d = ims_json_depth(item);
            max = (d > max) ? d : max;
        }

        return max + 1;
    }

    return 0;
}


static void
ims_member_set(ims_member_t *m, json_t *json)
{
    m->data = NULL;
    m->len = 0;

    if (json == NULL) {
        m->kind = IMS_JSON_ABSENT;
        return;
    }

    switch (json_typeof(json)) {

    case JSON_OBJECT:
        m->kind = IMS_JSON_OBJECT;
        break;

    case JSON_ARRAY:
        m->kind = IMS_JSON_ARRAY;
        break;

    case JSON_STRING:
        m->kind = IMS_JSON_STRING;
        m->ascii = 0;
        m->data = (const ims_uchar_t *) json_string_value(json);
        m->len = json_string_length(json);
        break;

    case JSON_INTEGER:
    case JSON_REAL:
        m->kind = IMS_JSON_NUMBER;
        break;

    case JSON_TRUE:
    case JSON_FALSE:
        m->kind = IMS_JSON_BOOLEAN;
        break;

    default:
        m->kind = IMS_JSON_NULL;
        break;
    }
}


int
ims_read_patch_jansson(const ims_uchar_t *body, size_t len,
    const ims_patch_conf_t *conf, ims_emit_pt emit, void *data,
    ims_verdict_t *v)
{
    int            rc;
    char           text[96];
    size_t         i, k, n, depth;
    json_t        *root, *item;
    json_error_t   error;
    ims_members_t  m;

    if (memchr(body, '\0', len) != NULL) {
        return ims_reject(v, 400, IMS_IMG_0001,
                          "The body is not valid JSON (a NUL byte).");
    }

    root = json_loadb((const char *) body, len,
                      JSON_REJECT_DUPLICATES | JSON_DECODE_ANY
                      | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &error);

    if (root == NULL) {
        ims_escape(text, sizeof(text), (const ims_uchar_t *) error.text,
                   strlen(error.text));
        return ims_reject(v, 400, IMS_IMG_0001,
                          "The body is not valid JSON (byte %d: %s).",
                          error.position, text);
    }

    rc = -1;

    if (!json_is_array(root)) {
        ims_reject(v, 400, IMS_IMG_0001,
                   "The body must be a JSON array of operation objects.");
        goto done;
    }

    depth = ims_json_depth(root);

    if (depth > conf->max_depth) {
        ims_reject(v, 400, IMS_IMG_0001,
                   "The body nests more than %zu levels deep.",
                   conf->max_depth);
        goto done;
    }

    n = json_array_size(root);

    if (n > conf->max_ops) {
        ims_reject(v, 400, IMS_IMG_0001,
                   "The patch has more than %zu operations.", conf->max_ops);
        goto done;
    }

    for (i = 0; i < n; i++) {
        if (!json_is_object(json_array_get(root, i))) {
            ims_reject(v, 400, IMS_IMG_0001,
                       "Operation %zu: operations must be JSON objects.", i);
            goto done;
        }
    }

    for (i = 0; i < n; i++) {
        item = json_array_get(root, i);

        m.index = i;

        for (k = 0; k < IMS_MEMBER_COUNT; k++) {
            ims_member_set(&m.member[k],
                           json_object_get(item, ims_member_names[k]));
        }

        if (emit(data, &m, v) != 0) {
            goto done;
        }
    }

    rc = 0;

done:

    json_decref(root);

    return rc;
}
