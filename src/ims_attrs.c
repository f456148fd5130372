
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




/*
 * An index over the catalog, built by ims_core_init(): for a length
 * and a last byte, the first name of the catalog that has both (entry + 1,
 * 0: none), and for each name the next one.  Most names an operation edits
 * are not in the catalog, and one look at their slot turns them away.
 */

#define IMS_ATTR_LEN_MAX  25            /* the catalog's longest name */

static uint8_t   ims_attr_first[IMS_ATTR_LEN_MAX + 1][256];
static uint8_t   ims_attr_next[ims_nelts(ims_system_attributes)];


/* built afresh on each call: a second one changes nothing */

void
ims_attrs_init(void)
{
    size_t        i, len;
    ims_uchar_t   last;

    memset(ims_attr_first, 0, sizeof(ims_attr_first));

    for (i = 0; i < ims_nelts(ims_system_attributes); i++) {
        len = ims_system_attributes[i].len;

        /* a longer name would be left out: test_catalog() finds it */
        if (len <= IMS_ATTR_LEN_MAX) {
            last = (ims_uchar_t) ims_system_attributes[i].name[len - 1];
            ims_attr_next[i] = ims_attr_first[len][last];
            ims_attr_first[len][last] = (uint8_t) (i + 1);
        }
    }
}


/* a name of the catalog: the entries in the slot of its length and end */

static int
ims_attr_in_catalog(const ims_uchar_t *name, size_t len)
{
    unsigned  e;

    /* len - 1 wraps for an empty name */
    if (len - 1 >= IMS_ATTR_LEN_MAX) {
        return 0;
    }

    for (e = ims_attr_first[len][name[len - 1]];
         e && !ims_equal(ims_system_attributes[e - 1].name, name, len);
         e = ims_attr_next[e - 1])
    {
        /* void */
    }

    return e != 0;
}


static int
ims_attr_prefixed(const ims_uchar_t *name, size_t len)
{
    size_t             i;
    const ims_attr_t  *a;

    for (i = 0; i < ims_nelts(ims_system_prefixes); i++) {
        a = &ims_system_prefixes[i];

        if (len >= a->len && ims_equal(a->name, name, a->len)) {
            break;
        }
    }

    /* stopped at a prefix, or after the last */
    return i < ims_nelts(ims_system_prefixes);
}


/*
 * A name of the catalog, or one with a reserved prefix.  Before
 * ims_core_init() every name is one: refused, never passed.
 */

int
ims_is_system_attribute(const ims_uchar_t *name, size_t len)
{
    return !ims_core_ready() || ims_attr_in_catalog(name, len)
           || ims_attr_prefixed(name, len);
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
