
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * Unit tests of the query gate: for every row of docs/rules.md, "Query",
 * accepted and rejected values at the boundaries.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ims.h"
#include "unit.h"


typedef struct {
    const char  *query;
    int          status;
    ims_code_t   code;
} query_case_t;


#define OK    0, IMS_OK
#define E0017 400, IMS_IMG_0017
#define E0024 400, IMS_IMG_0024
#define E0066 400, IMS_IMG_0066
#define E0122 400, IMS_IMG_0122

#define UUID  "33ad552d-1149-471c-8190-ff6776174a00"


static const query_case_t  query_cases[] = {

    /* decoding */
    { "", OK },
    { "limit=5", OK },
    { "limit=5&", OK },
    { "&limit=5&&__os_bit=64", OK },
    { "%6cimit=5", OK },
    { "%6Cimit=x", E0017 },
    { "limit=%35", OK },
    { "limit=5;limit=x", E0017 },
    { "limit=5;limit=6", E0017 },
    { "foo=1;visibility=all", E0017 },
    { "foo=1;__imagetype=Gold", E0024 },
    { "limit=1;x=2", OK },
    { "limit=5;", OK },
    { ";limit=5;;__os_bit=64;&", OK },
    { "__imagetype=gold;__imagetype=gold", E0024 },
    { "visibility=shared;member_status=accepted", OK },
    { "visibility=public;member_status=accepted", E0017 },
    { "sort=name:asc;sort_key=name", E0017 },
    { "tag=a;b", OK },
    { "name=a%3Bb", OK },
    { "name=eq:a%3Bvisibility=all", OK },
    { "x=%3B__imagetype=Gold", OK },
    { "x=1;%5F_imagetype=Gold", E0024 },
    { "limit=%zz", E0017 },
    { "limit=5%", E0017 },
    { "limit=5%4", E0017 },
    { "x=%ff", E0017 },
    { "x=%C3%28", E0017 },
    { "x%ff=1", E0017 },
    { "%zz=1", E0017 },
    { "%=1", E0017 },
    { "a%4=%41", E0017 },
    { "x=%E4%B8%AD", OK },
    { "x=%F0%9F%98%80", OK },
    { "x", OK },
    { "=x", OK },
    { "Limit=abc", OK },
    { "foo=bar&foo=baz", OK },

    /* __imagetype */
    { "__imagetype=gold", OK },
    { "__imagetype=private", OK },
    { "__imagetype=shared", OK },
    { "__imagetype=Gold", E0024 },
    { "__imagetype=", E0024 },
    { "__imagetype=gold&__imagetype=gold", E0024 },

    /* visibility, member_status */
    { "visibility=public", OK },
    { "visibility=private", OK },
    { "visibility=shared", OK },
    { "visibility=eq:public", OK },
    { "visibility=community", E0017 },
    { "visibility=all", E0017 },
    { "visibility=EQ:public", E0017 },
    { "visibility=public&visibility=shared", E0017 },
    { "visibility=shared&member_status=accepted", OK },
    { "member_status=rejected&visibility=shared", OK },
    { "visibility=shared&member_status=pending", OK },
    { "visibility=eq:shared&member_status=pending", OK },
    { "member_status=accepted", E0017 },
    { "visibility=public&member_status=accepted", E0017 },
    { "visibility=shared&member_status=all", E0017 },
    { "visibility=shared&member_status=accepted&member_status=pending",
      E0017 },

    /* status */
    { "status=queued", OK },
    { "status=saving", OK },
    { "status=deleted", OK },
    { "status=killed", OK },
    { "status=active", OK },
    { "status=eq:active", OK },
    { "status=gt:active", E0017 },
    { "status=Active", E0017 },
    { "status=uploading", E0017 },

    /* booleans */
    { "protected=true", OK },
    { "protected=false", OK },
    { "protected=True", E0017 },
    { "protected=1", E0017 },
    { "__whole_image=false", OK },
    { "__whole_image=yes", E0017 },
    { "__isregistered=true", OK },
    { "__isregistered=", E0017 },
    { "os_hidden=false", OK },
    { "os_hidden=FALSE", E0017 },

    /* true-only */
    { "__support_kvm=true", OK },
    { "__support_kvm=false", E0017 },
    { "__support_xen=true", OK },
    { "__support_xen=1", E0017 },
    { "__support_largememory=true", OK },
    { "__support_largememory=false", E0017 },
    { "__support_diskintensive=true", OK },
    { "__support_diskintensive=", E0017 },
    { "__support_highperformance=true", OK },
    { "__support_highperformance=TRUE", E0017 },
    { "__support_xen_hana=true", OK },
    { "__support_xen_hana=false", E0017 },
    { "__support_kvm_infiniband=true", OK },
    { "__support_kvm_infiniband=no", E0017 },

    /* gpu types */
    { "__support_xen_gpu_type=M60_vGPU", OK },
    { "__support_xen_gpu_type=", E0017 },
    { "__support_kvm_gpu_type=V100", OK },
    { "__support_kvm_gpu_type=", E0017 },

    /* __os_type, __os_bit, __platform */
    { "__os_type=Linux", OK },
    { "__os_type=Windows", OK },
    { "__os_type=Other", OK },
    { "__os_type=linux", E0122 },
    { "__os_bit=32", OK },
    { "__os_bit=64", OK },
    { "__os_bit=128", E0017 },
    { "__os_bit=064", E0017 },
    { "__platform=Windows", OK },
    { "__platform=Ubuntu", OK },
    { "__platform=RedHat", OK },
    { "__platform=Red+Hat", OK },
    { "__platform=Red%20Hat", OK },
    { "__platform=SUSE", OK },
    { "__platform=CentOS", OK },
    { "__platform=Debian", OK },
    { "__platform=OpenSUSE", OK },
    { "__platform=Oracle+Linux", OK },
    { "__platform=Fedora", OK },
    { "__platform=Other", OK },
    { "__platform=CoreOS", OK },
    { "__platform=EulerOS", OK },
    { "__platform=ubuntu", E0017 },
    { "__platform=Red++Hat", E0017 },

    /* virtual_env_type, disk_format, container_format */
    { "virtual_env_type=FusionCompute", OK },
    { "virtual_env_type=Ironic", OK },
    { "virtual_env_type=DataImage", OK },
    { "virtual_env_type=IsoImage", OK },
    { "virtual_env_type=KVM", E0017 },
    { "disk_format=vhd", OK },
    { "disk_format=zvhd", OK },
    { "disk_format=zvhd2", OK },
    { "disk_format=raw", OK },
    { "disk_format=qcow2", OK },
    { "disk_format=iso", OK },
    { "disk_format=eq:qcow2", OK },
    { "disk_format=vmdk", E0017 },
    { "disk_format=in:raw,qcow2", E0017 },
    { "container_format=bare", OK },
    { "container_format=eq:bare", OK },
    { "container_format=ovf", E0017 },

    /* integers */
    { "limit=0", OK },
    { "limit=2147483647", OK },
    { "limit=002147483647", OK },
    { "limit=2147483648", E0017 },
    { "limit=-1", E0017 },
    { "limit=+5", E0017 },
    { "limit=%2B5", E0017 },
    { "limit=+", E0017 },
    { "limit=1_000", E0017 },
    { "limit=1e3", E0017 },
    { "limit=0x10", E0017 },
    { "limit=", E0017 },
    { "limit=5&limit=6", E0017 },
    { "min_ram=0", OK },
    { "min_ram=2147483647", OK },
    { "min_ram=2147483648", E0017 },
    { "min_ram=abc", E0017 },
    { "min_disk=0", OK },
    { "min_disk=1024", OK },
    { "min_disk=01024", OK },
    { "min_disk=1025", E0017 },
    { "size_min=0", OK },
    { "size_min=9223372036854775807", OK },
    { "size_min=9223372036854775808", E0017 },
    { "size_max=9223372036854775807", OK },
    { "size_max=99999999999999999999999", E0017 },
    { "size_max=1.5", E0017 },

    /* marker, id */
    { "marker=" UUID, OK },
    { "marker=33AD552D-1149-471C-8190-FF6776174A00", OK },
    { "marker=33ad552d1149471c8190ff6776174a00", E0066 },
    { "marker=", E0066 },
    { "id=" UUID, OK },
    { "id=eq:" UUID, OK },
    { "id=in:" UUID, E0066 },
    { "id=x", E0066 },

    /* owner */
    { "owner=abc-DEF_123", OK },
    { "owner=eq:abc", OK },
    { "owner=", E0017 },
    { "owner=a.b", E0017 },
    { "owner=a%20b", E0017 },
    { "owner=neq:abc", E0017 },

    /* name, tag */
    { "name=Ubuntu", OK },
    { "name=eq:Ubuntu:20.04", OK },
    { "name=Ubuntu:20.04", E0017 },
    { "name=EQ:Ubuntu", E0017 },
    { "name=", E0017 },
    { "name=a&name=b", E0017 },
    { "tag=", OK },
    { "tag=a=b&tag=c:d", OK },

    /* sorting */
    { "sort_key=name", OK },
    { "sort_key=status&sort_key=container_format&sort_key=disk_format"
      "&sort_key=size&sort_key=id&sort_key=created_at&sort_key=updated_at",
      OK },
    { "sort_key=%20name%20", E0017 },
    { "sort_key=owner", E0017 },
    { "sort_key=Name", E0017 },
    { "sort_dir=asc", OK },
    { "sort_dir=desc", OK },
    { "sort_dir=up", E0017 },
    { "sort_key=name&sort_dir=asc", OK },
    { "sort_key=name&sort_key=size&sort_dir=asc", OK },
    { "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc", OK },
    { "sort_key=name&sort_dir=asc&sort_dir=desc", E0017 },
    { "sort_dir=asc&sort_dir=desc", E0017 },
    { "sort=name", OK },
    { "sort=name:asc,size:desc,name", OK },
    { "sort=name:asc,size:DESC", E0017 },
    { "sort=name,", E0017 },
    { "sort=", E0017 },
    { "sort=name:", E0017 },
    { "sort=name:asc%20", E0017 },
    { "sort=name,%20size", E0017 },
    { "sort=owner", E0017 },
    { "sort=name&sort_key=name", E0017 },
    { "sort=name&sort_dir=asc", E0017 },
    { "sort=name&sort=size", E0017 },

    /* created_at, updated_at */
    { "created_at=2018-10-28T10:00:00Z", OK },
    { "created_at=lt:2018-10-28T10:00:00Z", OK },
    { "created_at=gt:2018-10-28T10:00:00", OK },
    { "created_at=gte:2018-10-28+10:00:00", OK },
    { "created_at=lte:2018-10-28%2010:00:00.123456789%2B08:00", OK },
    { "created_at=eq:2018-10-28T10:00:00-23:59", OK },
    { "created_at=neq:0001-01-01T00:00:00Z", OK },
    { "updated_at=9999-12-31T23:59:59.1Z", OK },
    { "updated_at=2024-02-29T00:00:00Z", OK },
    { "updated_at=2000-02-29T00:00:00Z", OK },
    { "updated_at=1900-02-29T00:00:00Z", E0017 },
    { "updated_at=2023-02-29T00:00:00Z", E0017 },
    { "updated_at=2023-04-31T00:00:00Z", E0017 },
    { "updated_at=2023-13-01T00:00:00Z", E0017 },
    { "updated_at=2023-00-01T00:00:00Z", E0017 },
    { "updated_at=0000-01-01T00:00:00Z", E0017 },
    { "created_at=2018-10-28", E0017 },
    { "created_at=2018", E0017 },
    { "created_at=2018-10-28T24:00:00Z", E0017 },
    { "created_at=2018-10-28T10:60:00Z", E0017 },
    { "created_at=2018-10-28T10:00:60Z", E0017 },
    { "created_at=2018-10-28t10:00:00Z", E0017 },
    { "created_at=2018-10-28T10:00:00z", E0017 },
    { "created_at=2018-10-28T10:00:00.Z", E0017 },
    { "created_at=2018-10-28T10:00:00.1234567890Z", E0017 },
    { "created_at=2018-10-28T10:00:00+08:00", E0017 },
    { "created_at=2018-10-28T10:00:00%2B24:00", E0017 },
    { "created_at=2018-10-28T10:00:00%2B08:60", E0017 },
    { "created_at=2018-10-28T10:00:00%2B0800", E0017 },
    { "created_at=xx:2018-10-28T10:00:00Z", E0017 },
    { "created_at=GT:2018-10-28T10:00:00Z", E0017 },
    { "created_at=lt:2018-10-28T10:00:00Z&created_at=gt:2017-01-01T00:00:00Z",
      E0017 },
    { "created_at=2018-1-28T10:00:00Z", E0017 },

    /* changes-since */
    { "changes-since=2018-10-28T10:00:00Z", E0017 },
};


static void
run_query(const ims_query_conf_t *conf, const char *query, int status,
    ims_code_t code, const char *what)
{
    char           got[IMS_DETAIL_MAX + 32];
    size_t         len;
    ims_uchar_t   *scratch;
    ims_verdict_t  v;

    len = strlen(query);
    scratch = malloc(len + 1);

    ims_query_validate(conf, (const ims_uchar_t *) query, len, scratch, &v);

    snprintf(got, sizeof(got), "%d %s %s", v.status, ims_code_name(v.code),
             v.detail);

    check(v.status == status && v.code == code, what, query, got);

    if (v.status) {
        check_error_body(&v, query);
    }

    free(scratch);
}


/*
 * Parameters that are only right once decoded, one character
 * percent-encoded at each position in turn: the plain scan must see the
 * "%" wherever it is, or the raw text is judged (and refused).
 */

static void
test_query_escape_everywhere(const ims_query_conf_t *conf)
{
    char         query[96], what[64];
    size_t       i, k, len;
    const char  *plain;

    /* parameters of 7 to 43 bytes: shorter than a word, one, several */
    static const char  *plains[] = {
        "__imagetype=gold&created_at=gte:2024-01-01T00:00:00Z&limit=9",
        "limit=10&marker=" UUID "&sort_key=name&sort_dir=desc",
    };

    for (k = 0; k < sizeof(plains) / sizeof(plains[0]); k++) {
        plain = plains[k];
        len = strlen(plain);

        for (i = 0; i < len; i++) {
            if (plain[i] == '&' || plain[i] == '=') {
                continue;
            }

            snprintf(query, sizeof(query), "%.*s%%%02X%s", (int) i, plain,
                     (unsigned char) plain[i], plain + i + 1);
            snprintf(what, sizeof(what), "query %zu, %%XX at %zu", k, i);
            run_query(conf, query, OK, what);
        }
    }
}


/*
 * The splitter stops at "&", ";", "=", "%", "+" and non-ASCII bytes, sixteen
 * bytes at a time: an unknown parameter of growing length moves each of
 * them through every position of a block and of the tail after it.
 */

static void
test_query_split_everywhere(const ims_query_conf_t *conf)
{
    char    query[128], pad[48], what[64];
    size_t  k;

    for (k = 0; k < 40; k++) {
        memset(pad, 'a', k);
        pad[k] = '\0';
        snprintf(what, sizeof(what), "query split, %zu bytes before", k);

        /* a missed "&" or "=" hides the bad value in the unknown one */
        snprintf(query, sizeof(query), "p%s=1&__imagetype=Gold", pad);
        run_query(conf, query, E0024, what);

        /* the backend splits on ";" as well */
        snprintf(query, sizeof(query), "p%s=1;__imagetype=Gold", pad);
        run_query(conf, query, E0024, what);
        snprintf(query, sizeof(query), "p%s=1;visibility=all", pad);
        run_query(conf, query, E0017, what);

        /* a missed "+" leaves "Red+Hat", which is not a platform */
        snprintf(query, sizeof(query), "p%s=1&__platform=Red+Hat", pad);
        run_query(conf, query, OK, what);

        /* a missed non-ASCII byte is never checked as UTF-8 */
        snprintf(query, sizeof(query), "p%s=1&name=caf\xc3\xa9", pad);
        run_query(conf, query, OK, what);
        snprintf(query, sizeof(query), "p%s=1&name=caf\xc3", pad);
        run_query(conf, query, E0017, what);
    }
}


void
test_query(void)
{
    size_t            i;
    ims_query_conf_t  conf;

    ims_query_conf_init(&conf);

    for (i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
        run_query(&conf, query_cases[i].query, query_cases[i].status,
                  query_cases[i].code, "query");
    }

    test_query_escape_everywhere(&conf);
    test_query_split_everywhere(&conf);

    conf.reject_unknown = 1;

    run_query(&conf, "limit=5&__os_bit=64", OK, "query, unknown rejected");
    run_query(&conf, "foo=bar", E0017, "query, unknown rejected");
    run_query(&conf, "=x", E0017, "query, unknown rejected");
    run_query(&conf, "Limit=5", E0017, "query, unknown rejected");
}
