
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The built-in system-attribute catalog (docs/rules.md, "Body"): every
 * attribute of the IMS response tables plus Glance's own.  Any operation on
 * one of them is rejected with IMG.0105.
 */


#include <string.h>

#include "ims.h"


typedef struct {
    size_t       len;
    const char  *name;
} ims_attr_t;


#define ims_attr(s)  { sizeof(s) - 1, s }


static const ims_attr_t  ims_system_attributes[] = {

    /* Glance base and read-only attributes */
    ims_attr("id"),
    ims_attr("status"),
    ims_attr("owner"),
    ims_attr("file"),
    ims_attr("self"),
    ims_attr("schema"),
    ims_attr("size"),
    ims_attr("virtual_size"),
    ims_attr("checksum"),
    ims_attr("created_at"),
    ims_attr("updated_at"),
    ims_attr("deleted"),
    ims_attr("deleted_at"),
    ims_attr("active_at"),
    ims_attr("visibility"),
    ims_attr("protected"),
    ims_attr("tags"),
    ims_attr("container_format"),
    ims_attr("disk_format"),
    ims_attr("min_ram"),
    ims_attr("max_ram"),
    ims_attr("min_disk"),
    ims_attr("locations"),
    ims_attr("location"),
    ims_attr("direct_url"),
    ims_attr("stores"),
    ims_attr("os_hidden"),
    ims_attr("os_hash_algo"),
    ims_attr("os_hash_value"),

    /* IMS attributes */
    ims_attr("hw_firmware_type"),
    ims_attr("hw_vif_multiqueue_enabled"),
    ims_attr("virtual_env_type"),
    ims_attr("enterprise_project_id"),
    ims_attr("__os_bit"),
    ims_attr("__os_version"),
    ims_attr("__os_type"),
    ims_attr("__platform"),
    ims_attr("__isregistered"),
    ims_attr("__imagetype"),
    ims_attr("__image_source_type"),
    ims_attr("__originalimagename"),
    ims_attr("__backup_id"),
    ims_attr("__productcode"),
    ims_attr("__image_size"),
    ims_attr("__data_origin"),
    ims_attr("__root_origin"),
    ims_attr("__lazyloading"),
    ims_attr("__system__cmkid"),
    ims_attr("__whole_image"),
    ims_attr("__sequence_num"),
    ims_attr("__account_code"),
    ims_attr("__os_feature_list"),
    ims_attr("__image_location"),
    ims_attr("__is_config_init"),
    ims_attr("__is_offshelved"),
    ims_attr("__system_support_market"),
    ims_attr("__support_kvm"),
    ims_attr("__support_xen"),
    ims_attr("__support_largememory"),
    ims_attr("__support_diskintensive"),
    ims_attr("__support_highperformance"),
    ims_attr("__support_xen_gpu_type"),
    ims_attr("__support_kvm_gpu_type"),
    ims_attr("__support_xen_hana"),
    ims_attr("__support_kvm_infiniband"),
    ims_attr("__support_kvm_fpga_type"),
    ims_attr("__support_fc_inject"),
    ims_attr("__support_amd"),
    ims_attr("__support_arm"),
    ims_attr("__support_agent_list"),
};


/* Glance reserves the whole namespace */
static const ims_attr_t  ims_system_prefixes[] = {
    ims_attr("os_glance"),
};


#define ims_nelts(a)  (sizeof(a) / sizeof((a)[0]))


/*
 * An open-addressing index over the catalog, built once by ims_core_init(),
 * so that a lookup hashes the name once and compares it with one entry or
 * two.  The hash reads the length and three bytes only: that tells the
 * catalog's names apart well enough, and probing settles the rest.
 */

#define IMS_ATTR_BUCKETS  256

static uint8_t   ims_attr_index[IMS_ATTR_BUCKETS];     /* entry + 1, 0: none */
static size_t    ims_attr_max_len;


/*
 * Most names an operation edits are not in the catalog: a bit per length
 * and last byte of the catalog's names turns them away before the lookup.
 */

#define IMS_ATTR_FILTER_MAX_LEN  32

static struct {
    unsigned        ready;
    size_t          min_prefix;     /* of the reserved prefixes */
    uint32_t        ends[IMS_ATTR_FILTER_MAX_LEN + 1][256 / 32];
} ims_attr_filter;


static int ims_attr_lookup(const ims_uchar_t *name, size_t len,
    int filtered);


static uint32_t
ims_attr_hash(const ims_uchar_t *p, size_t len)
{
    uint32_t  h;

    /* len >= 2 */
    h = (uint32_t) len * 0x9e3779b1u;
    h ^= (uint32_t) p[len - 1] | (uint32_t) p[len - 2] << 8
         | (uint32_t) p[len / 2] << 16;
    h *= 0x85ebca6bu;

    return h ^ (h >> 15);
}


void
ims_attrs_init(void)
{
    size_t       i, len;
    uint32_t     b;
    ims_uchar_t  c;

    if (ims_attr_filter.ready) {
        return;
    }

    for (i = 0; i < ims_nelts(ims_system_attributes); i++) {
        len = ims_system_attributes[i].len;
        b = ims_attr_hash((const ims_uchar_t *) ims_system_attributes[i].name,
                          len);

        while (ims_attr_index[b % IMS_ATTR_BUCKETS]) {
            b++;
        }

        ims_attr_index[b % IMS_ATTR_BUCKETS] = (uint8_t) (i + 1);

        if (len <= IMS_ATTR_FILTER_MAX_LEN) {
            c = (ims_uchar_t) ims_system_attributes[i].name[len - 1];
            ims_attr_filter.ends[len][c >> 5] |= 1u << (c & 31);
        }

        if (len > ims_attr_max_len) {
            ims_attr_max_len = len;
        }
    }

    ims_attr_filter.min_prefix = (size_t) -1;

    for (i = 0; i < ims_nelts(ims_system_prefixes); i++) {
        if (ims_system_prefixes[i].len < ims_attr_filter.min_prefix) {
            ims_attr_filter.min_prefix = ims_system_prefixes[i].len;
        }
    }

    ims_attr_filter.ready = 1;
}


/*
 * A name of the catalog, or one with a reserved prefix.  Before
 * ims_core_init() every name is one: refused, never passed.
 */

int
ims_is_system_attribute(const ims_uchar_t *name, size_t len)
{
    const ims_uchar_t  *last;

    if (!ims_attr_filter.ready) {
        return 1;
    }

    /* len - 1 wraps for an empty name: looked up */
    if (len - 1 < IMS_ATTR_FILTER_MAX_LEN) {
        last = &name[len - 1];

        if (!(ims_attr_filter.ends[len][*last >> 5] & (1u << (*last & 31))))
        {
            /* not a catalog name: only a reserved prefix can still match */
            return len >= ims_attr_filter.min_prefix
                   && ims_attr_lookup(name, len, 1);
        }
    }

    return ims_attr_lookup(name, len, 0);
}


/* the catalog, unless the filter ruled it out ("filtered"), then prefixes */

static int
ims_attr_lookup(const ims_uchar_t *name, size_t len, int filtered)
{
    size_t             i;
    uint32_t           b;
    const ims_attr_t  *a;

    if (filtered || len < 2 || len > ims_attr_max_len) {
        goto prefixes;
    }

    for (b = ims_attr_hash(name, len);
         ims_attr_index[b % IMS_ATTR_BUCKETS];
         b++)
    {
        a = &ims_system_attributes[ims_attr_index[b % IMS_ATTR_BUCKETS] - 1];

        if (a->len == len && ims_equal(a->name, name, len)) {
            return 1;
        }
    }

prefixes:

    for (i = 0; i < ims_nelts(ims_system_prefixes); i++) {
        a = &ims_system_prefixes[i];

        if (len >= a->len && ims_equal(a->name, name, a->len)) {
            return 1;
        }
    }

    return 0;
}


size_t
ims_system_attribute_count(void)
{
    return ims_nelts(ims_system_attributes);
}


const char *
ims_system_attribute_name(size_t i)
{
    return i < ims_nelts(ims_system_attributes)
           ? ims_system_attributes[i].name : NULL;
}
