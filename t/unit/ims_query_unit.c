
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
    { "__support_xen_gpu_type=a", OK },
    { "__support_kvm_gpu_type=%41", OK },

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
    { "owner=a", OK },
    { "owner=.a", E0017 },
    { "owner=a.", E0017 },
    { "owner=eq:Z", OK },
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

    /* every field at both ends of its range, and just outside it */
    { "created_at=0001-01-01T00:00:00Z", OK },
    { "created_at=9999-12-31T23:59:59Z", OK },
    { "created_at=2018-01-31T00:00:00Z", OK },
    { "created_at=2018-01-32T00:00:00Z", E0017 },
    { "created_at=2018-01-00T00:00:00Z", E0017 },
    { "created_at=2018-01-01T00:00:00Z", OK },
    { "created_at=2018-02-28T00:00:00Z", OK },
    { "created_at=2018-03-31T00:00:00Z", OK },
    { "created_at=2018-04-30T00:00:00Z", OK },
    { "created_at=2018-05-31T00:00:00Z", OK },
    { "created_at=2018-06-30T00:00:00Z", OK },
    { "created_at=2018-06-31T00:00:00Z", E0017 },
    { "created_at=2018-07-31T00:00:00Z", OK },
    { "created_at=2018-08-31T00:00:00Z", OK },
    { "created_at=2018-09-30T00:00:00Z", OK },
    { "created_at=2018-09-31T00:00:00Z", E0017 },
    { "created_at=2018-10-31T00:00:00Z", OK },
    { "created_at=2018-11-30T00:00:00Z", OK },
    { "created_at=2018-11-31T00:00:00Z", E0017 },
    { "created_at=2018-12-31T00:00:00Z", OK },
    { "created_at=2018-12-32T00:00:00Z", E0017 },
    { "created_at=2016-02-29T00:00:00Z", OK },
    { "created_at=2016-02-30T00:00:00Z", E0017 },
    { "created_at=2100-02-29T00:00:00Z", E0017 },
    { "created_at=2400-02-29T00:00:00Z", OK },
    { "created_at=2018-03-29T00:00:00Z", OK },
    { "created_at=2019-02-29T00:00:00Z", E0017 },
    { "created_at=2018-10-28T23:00:00Z", OK },
    { "created_at=2018-10-28T00:59:00Z", OK },
    { "created_at=2018-10-28T00:00:59Z", OK },
    { "created_at=10000-10-28T00:00:00Z", E0017 },

    /* a non-digit in each field, ":" and "/" beside the digits */
    { "created_at=2/18-10-28T10:00:00Z", E0017 },
    { "created_at=201:-10-28T10:00:00Z", E0017 },
    { "created_at=2018-0:-28T10:00:00Z", E0017 },
    { "created_at=2018-1/-28T10:00:00Z", E0017 },
    { "created_at=2018-10-0:T10:00:00Z", E0017 },
    { "created_at=2018-10-2/T10:00:00Z", E0017 },
    { "created_at=2018-10-28T0::00:00Z", E0017 },
    { "created_at=2018-10-28T1/:00:00Z", E0017 },
    { "created_at=2018-10-28T10:0::00Z", E0017 },
    { "created_at=2018-10-28T10:1/:00Z", E0017 },
    { "created_at=2018-10-28T10:00:0:Z", E0017 },
    { "created_at=2018-10-28T10:00:1/Z", E0017 },
    { "created_at=2018-10-28T10:00:00%2B0::00", E0017 },
    { "created_at=2018-10-28T10:00:00%2B00:0:", E0017 },
    { "created_at=2018-10-28T10:00:00%2B00:1/", E0017 },

    /* separators */
    { "created_at=2018/10-28T10:00:00Z", E0017 },
    { "created_at=2018-10/28T10:00:00Z", E0017 },
    { "created_at=2018-10-28X10:00:00Z", E0017 },
    { "created_at=2018-10-28T10.00:00Z", E0017 },
    { "created_at=2018-10-28T10:00.00Z", E0017 },
    { "created_at=2018-10-28T10:00:00", OK },
    { "created_at=2018-10-28T10:00:0", E0017 },

    /* fractions of 1 to 9 digits, then a zone or nothing */
    { "created_at=2018-10-28T10:00:00.0", OK },
    { "created_at=2018-10-28T10:00:00.123456789", OK },
    { "created_at=2018-10-28T10:00:00.", E0017 },
    { "created_at=2018-10-28T10:00:00.1x", E0017 },
    { "created_at=2018-10-28T10:00:00.1/", E0017 },
    { "created_at=2018-10-28T10:00:00.1:", E0017 },
    { "created_at=2018-10-28T10:00:00.12345678%2B08:00", OK },

    /* zones: Z, +hh:mm, -hh:mm; hours 00-23, minutes 00-59 */
    { "created_at=2018-10-28T10:00:00%2B00:00", OK },
    { "created_at=2018-10-28T10:00:00-00:00", OK },
    { "created_at=2018-10-28T10:00:00%2B23:59", OK },
    { "created_at=2018-10-28T10:00:00-24:00", E0017 },
    { "created_at=2018-10-28T10:00:00-23:60", E0017 },
    { "created_at=2018-10-28T10:00:00%2B08:00x", E0017 },
    { "created_at=2018-10-28T10:00:00%2B08:0", E0017 },
    { "created_at=2018-10-28T10:00:00%2B08-00", E0017 },
    { "created_at=2018-10-28T10:00:00*08:00", E0017 },
    { "created_at=2018-10-28T10:00:00ZZ", E0017 },
    { "created_at=2018-10-28T10:00:00Z%2B08:00", E0017 },
    { "created_at=2018-10-28T10:00:00 ", E0017 },

    /* operators: gt gte lt lte eq neq, lowercase, then the time */
    { "created_at=gt:2018-10-28T10:00:00Z", OK },
    { "created_at=gte:2018-10-28T10:00:00Z", OK },
    { "created_at=lt:2018-10-28T10:00:00Z", OK },
    { "created_at=lte:2018-10-28T10:00:00Z", OK },
    { "created_at=eq:2018-10-28T10:00:00Z", OK },
    { "created_at=neq:2018-10-28T10:00:00Z", OK },
    { "updated_at=neq:2018-10-28T10:00:00Z", OK },
    { "created_at=ge:2018-10-28T10:00:00Z", E0017 },
    { "created_at=ne:2018-10-28T10:00:00Z", E0017 },
    { "created_at=in:2018-10-28T10:00:00Z", E0017 },
    { "created_at=gtx:2018-10-28T10:00:00Z", E0017 },
    { "created_at=Lt:2018-10-28T10:00:00Z", E0017 },
    { "created_at=gt:", E0017 },
    { "created_at=gt", E0017 },
    { "created_at=gte", E0017 },
    { "created_at=gt:gt:2018-10-28T10:00:00Z", E0017 },
    { "created_at=gte:gt:2018-10-28T10:00:00Z", E0017 },

    /* changes-since */
    { "changes-since=2018-10-28T10:00:00Z", E0017 },
    { "changes-since=", E0017 },
    { "changes-sinc=1", OK },

    /* every known parameter but tag, sort_key and sort_dir appears once */
    { "__imagetype=gold&__imagetype=private", E0024 },
    { "member_status=accepted&visibility=shared&member_status=accepted",
      E0017 },
    { "status=active&status=active", E0017 },
    { "protected=true&protected=true", E0017 },
    { "__whole_image=true&__whole_image=true", E0017 },
    { "__isregistered=true&__isregistered=true", E0017 },
    { "os_hidden=true&os_hidden=true", E0017 },
    { "__support_kvm=true&__support_kvm=true", E0017 },
    { "__support_xen=true&__support_xen=true", E0017 },
    { "__support_largememory=true&__support_largememory=true", E0017 },
    { "__support_diskintensive=true&__support_diskintensive=true", E0017 },
    { "__support_highperformance=true&__support_highperformance=true",
      E0017 },
    { "__support_xen_hana=true&__support_xen_hana=true", E0017 },
    { "__support_kvm_infiniband=true&__support_kvm_infiniband=true", E0017 },
    { "__support_xen_gpu_type=a&__support_xen_gpu_type=a", E0017 },
    { "__support_kvm_gpu_type=a&__support_kvm_gpu_type=a", E0017 },
    { "__os_type=Linux&__os_type=Linux", E0122 },
    { "__os_bit=64&__os_bit=64", E0017 },
    { "__platform=Debian&__platform=Debian", E0017 },
    { "virtual_env_type=Ironic&virtual_env_type=Ironic", E0017 },
    { "disk_format=raw&disk_format=raw", E0017 },
    { "container_format=bare&container_format=bare", E0017 },
    { "min_ram=1&min_ram=1", E0017 },
    { "min_disk=1&min_disk=1", E0017 },
    { "size_min=1&size_min=1", E0017 },
    { "size_max=1&size_max=1", E0017 },
    { "marker=" UUID "&marker=" UUID, E0066 },
    { "id=" UUID "&id=" UUID, E0066 },
    { "owner=a&owner=a", E0017 },
    { "updated_at=2018-10-28T10:00:00Z&updated_at=2018-10-28T10:00:00Z",
      E0017 },
    { "changes-since=x&changes-since=x", E0017 },
    { "tag=a&tag=a&tag=b", OK },
    { "sort_key=name&sort_key=name", OK },
    { "sort_dir=asc", OK },

    /* sort_dir: none, one, or one per sort_key */
    { "sort_key=name&sort_key=size&sort_key=id&sort_dir=asc", OK },
    { "sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=asc"
      "&sort_dir=desc", OK },
    { "sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=asc",
      E0017 },
    { "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=asc&sort_dir=asc",
      E0017 },
    { "sort_dir=asc&sort_key=name", OK },
    { "sort=name&sort_dir=asc&sort_key=name", E0017 },
    { "sort=status:desc,id", OK },
    { "sort=name:asc:desc", E0017 },
    { "sort=:asc", E0017 },
    { "sort=,name", E0017 },
    { "sort=name,,size", E0017 },
    { "sort=name:desc,size:asc,id:desc,created_at,updated_at:asc", OK },

    /* eq: before the value of the operator parameters only */
    { "name=eq:", E0017 },
    { "name=eq:a", OK },
    { "name=eq", OK },
    { "name=eq;", OK },
    { "name=eQ:a", E0017 },
    { "name=Eq:a", E0017 },
    { "name=ex:a", E0017 },
    { "name=qe:a", E0017 },
    { "name=eq-a", OK },
    { "name=e:a", E0017 },
    { "name=:a", E0017 },
    { "name=a:", E0017 },
    { "status=eq:eq:active", E0017 },
    { "owner=eq:", E0017 },
    { "owner=eq:a:b", E0017 },
    { "container_format=neq:bare", E0017 },
    { "id=eq:eq:" UUID, E0066 },
    { "visibility=eq:", E0017 },
    { "__os_type=eq:Linux", E0122 },
    { "__imagetype=eq:gold", E0024 },
    { "__os_bit=eq:64", E0017 },
    { "__platform=eq:Debian", E0017 },
    { "protected=eq:true", E0017 },
    { "marker=eq:" UUID, E0066 },
    { "limit=eq:1", E0017 },
    { "min_ram=eq:1", E0017 },
    { "min_disk=eq:1", E0017 },
    { "size_min=eq:1", E0017 },
    { "size_max=eq:1", E0017 },
    { "sort_key=eq:name", E0017 },
    { "sort_dir=eq:asc", E0017 },
    { "sort=eq:name", E0017 },
    { "visibility=shared&member_status=eq:accepted", E0017 },
    { "virtual_env_type=eq:Ironic", E0017 },
    { "__support_kvm=eq:true", E0017 },
    { "__whole_image=eq:true", E0017 },
    { "__isregistered=eq:true", E0017 },
    { "os_hidden=eq:true", E0017 },
    { "tag=eq:a", OK },
    { "tag=a:b", OK },
    { "__support_kvm_gpu_type=eq:V100", OK },
    { "visibility=eq:shared&member_status=accepted", OK },
    { "visibility=eq:sharedx&member_status=accepted", E0017 },
    { "visibility=shared&visibility=shared&member_status=accepted", E0017 },
    { "visibility=private&member_status=pending", E0017 },
    { "member_status=pending&visibility=public", E0017 },

    /* integers: digits only, leading zeros, the maximum */
    { "limit=/", E0017 },
    { "limit=:", E0017 },
    { "limit=1/", E0017 },
    { "limit=1:", E0017 },
    { "limit=0/", E0017 },
    { "limit=2147483646", OK },
    { "limit=00000000000000000000000000000", OK },
    { "limit=21474836470", E0017 },
    { "limit=4294967296", E0017 },
    { "limit=4294967295", E0017 },
    { "min_ram=02147483647", OK },
    { "min_ram=", E0017 },
    { "min_disk=1023", OK },
    { "min_disk=10240", E0017 },
    { "min_disk=2000", E0017 },
    { "size_min=9223372036854775806", OK },
    { "size_min=18446744073709551615", E0017 },
    { "size_min=18446744073709551616", E0017 },
    { "size_max=09223372036854775807", OK },
    { "size_max=", E0017 },

    /* owner: 1 to 64 of ASCII letters, digits, "-", "_" */
    { "owner=0123456789-_azAZ", OK },
    { "owner=a/b", E0017 },
    { "owner=a:b", E0017 },
    { "owner=a@b", E0017 },
    { "owner=a[b", E0017 },
    { "owner=a`b", E0017 },
    { "owner=a{b", E0017 },
    { "owner=a%7Fb", E0017 },
    { "owner=a.b", E0017 },
    { "owner=a%C3%A9", E0017 },
    { "owner=abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
      "abcd", OK },
    { "owner=abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
      "abcde", E0017 },

    /* text: characters, not bytes */
    { "name=%E4%B8%AD", OK },
    { "__support_xen_gpu_type=%E4%B8%AD", OK },

    /* percent-encoding: exactly two hex digits of either case */
    { "limit=%30", OK },
    { "limit=%3", E0017 },
    { "limit=%/0", E0017 },
    { "limit=%:0", E0017 },
    { "limit=%3/", E0017 },
    { "limit=%3:", E0017 },
    { "x=%40%60%5b%7B", OK },
    { "x=%4G", E0017 },
    { "x=%G4", E0017 },
    { "x=%4g", E0017 },
    { "x=%@0", E0017 },
    { "x=%`0", E0017 },
    { "x=%4%", E0017 },
    { "x=%af%AF", E0017 },
    { "x=%c3%a9", OK },
    { "x=%C3%A9", OK },
    { "__os_bit=%36%34", OK },
    { "__os_bit=%36%3", E0017 },
    { "%5F%5Fos_bit=64", OK },
    { "%5F%5Fos_bit=65", E0017 },
    { "__os_bit+=65", OK },
    { "__os_bit=6+4", E0017 },
    { "name=+", OK },
    { "name=%2B", OK },
    { "name=%20", OK },
    { "x=%ED%A0%80", E0017 },
    { "x=%F4%90%80%80", E0017 },
    { "x=%C0%AF", E0017 },
    { "%6Cimit", E0017 },
    { "%6Cimit=", E0017 },
    { "x%41", OK },
    { "limit=x&a", E0017 },
    { "limit=1=2", E0017 },
    { "tag=1=2", OK },
    { "limit==1", E0017 },
};


/*
 * A query is judged in an exact heap copy with an exact scratch, so that
 * ASan sees a byte read or written past either, and again followed by
 * bytes that would change the verdict if they were read, over a scratch
 * filled differently: the same verdict both times.
 */

#define POISON  "&__imagetype=Gold;visibility=all&%zz"

static void
run_query(const ims_query_conf_t *conf, const char *query, int status,
    ims_code_t code, const char *what)
{
    int            rc;
    char           got[IMS_DETAIL_MAX + 32];
    size_t         len;
    ims_uchar_t   *copy, *scratch;
    ims_verdict_t  v, w;

    len = strlen(query);
    copy = malloc(len ? len : 1);
    scratch = malloc(len ? len : 1);

    /*
     * scratch filled with 0x00, then 0xff: a read of a byte the decoder
     * did not write would change the verdict
     */
    memset(scratch, 0x00, len ? len : 1);
    memcpy(copy, query, len);
    rc = ims_query_validate(conf, copy, len, scratch, &v);

    snprintf(got, sizeof(got), "%d %s %s", v.status, ims_code_name(v.code),
             v.detail);

    check(v.status == status && v.code == code, what, query, got);

    /* the answer agrees with the verdict: 0 for a pass, -1 otherwise */
    check(rc == (v.status ? -1 : 0), "query, the answer", query, got);

    if (v.status) {
        check_error_body(&v, query);
    }

    free(copy);

    copy = malloc(len + sizeof(POISON));
    memcpy(copy, query, len);
    memcpy(copy + len, POISON, sizeof(POISON));
    memset(scratch, 0xff, len ? len : 1);
    ims_query_validate(conf, copy, len, scratch, &w);

    check(w.status == v.status && w.code == v.code
          && strcmp(w.detail, v.detail) == 0,
          "query, nothing past its end is read", query, w.detail);

    free(copy);
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

        /* a refusal in the middle of the query, not only at its end */
        snprintf(query, sizeof(query), "p%s=1&__imagetype=Gold&x", pad);
        run_query(conf, query, E0024, what);
        snprintf(query, sizeof(query), "p%s=1=2;limit=x;x", pad);
        run_query(conf, query, E0017, what);
        snprintf(query, sizeof(query), "p%s=%%41&limit=1%%41&x", pad);
        run_query(conf, query, E0017, what);

        /* a missed non-ASCII byte is never checked as UTF-8 */
        snprintf(query, sizeof(query), "p%s=1&name=caf\xc3\xa9", pad);
        run_query(conf, query, OK, what);
        snprintf(query, sizeof(query), "p%s=1&name=caf\xc3", pad);
        run_query(conf, query, E0017, what);
    }
}


/*
 * Every parameter of docs/rules.md, "Query", is known by its exact name:
 * 256 characters are too many for any of them, refused with the
 * parameter's own code and naming it.  A name one byte off is unknown:
 * passed, or refused with IMG.0017 under ims_query_unknown reject.
 */

static void
test_query_names(void)
{
    char              *query, name[64], what[96], got[IMS_DETAIL_MAX + 32];
    size_t             i, k, n, len;
    ims_uchar_t       *scratch;
    ims_verdict_t      v;
    ims_query_conf_t   conf, strict;
    static const struct {
        const char  *name;
        ims_code_t   code;
    } params[] = {
        { "__imagetype", IMS_IMG_0024 }, { "visibility", IMS_IMG_0017 },
        { "member_status", IMS_IMG_0017 }, { "status", IMS_IMG_0017 },
        { "protected", IMS_IMG_0017 }, { "__whole_image", IMS_IMG_0017 },
        { "__isregistered", IMS_IMG_0017 }, { "os_hidden", IMS_IMG_0017 },
        { "__support_kvm", IMS_IMG_0017 }, { "__support_xen", IMS_IMG_0017 },
        { "__support_largememory", IMS_IMG_0017 },
        { "__support_diskintensive", IMS_IMG_0017 },
        { "__support_highperformance", IMS_IMG_0017 },
        { "__support_xen_hana", IMS_IMG_0017 },
        { "__support_kvm_infiniband", IMS_IMG_0017 },
        { "__support_xen_gpu_type", IMS_IMG_0017 },
        { "__support_kvm_gpu_type", IMS_IMG_0017 },
        { "__os_type", IMS_IMG_0122 }, { "__os_bit", IMS_IMG_0017 },
        { "__platform", IMS_IMG_0017 }, { "virtual_env_type", IMS_IMG_0017 },
        { "disk_format", IMS_IMG_0017 }, { "container_format", IMS_IMG_0017 },
        { "limit", IMS_IMG_0017 }, { "min_ram", IMS_IMG_0017 },
        { "min_disk", IMS_IMG_0017 }, { "size_min", IMS_IMG_0017 },
        { "size_max", IMS_IMG_0017 }, { "marker", IMS_IMG_0066 },
        { "id", IMS_IMG_0066 }, { "owner", IMS_IMG_0017 },
        { "name", IMS_IMG_0017 }, { "tag", IMS_IMG_0017 },
        { "sort_key", IMS_IMG_0017 }, { "sort_dir", IMS_IMG_0017 },
        { "sort", IMS_IMG_0017 }, { "created_at", IMS_IMG_0017 },
        { "updated_at", IMS_IMG_0017 }, { "changes-since", IMS_IMG_0017 },
    };

    ims_query_conf_init(&conf);
    ims_query_conf_init(&strict);
    strict.reject_unknown = 1;

    query = malloc(64 + 1 + 256 + 1);
    scratch = malloc(64 + 1 + 256 + 1);

    for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        len = strlen(params[i].name);

        /*
         * names a byte off (each byte changed, one less, one more), then
         * the name itself
         */
        for (k = 0; k <= len + 2; k++) {
            memcpy(name, params[i].name, len + 1);

            if (k < len) {
                name[k] = (name[k] == 'x') ? 'y' : 'x';

            } else if (k == len) {
                name[len - 1] = '\0';

            } else if (k == len + 1) {
                name[len] = 'x';
                name[len + 1] = '\0';

            } else {
                /* k == len + 2: the name itself */
            }

            n = strlen(name);
            memcpy(query, name, n);
            query[n] = '=';
            memset(query + n + 1, 'x', 256);
            query[n + 1 + 256] = '\0';

            ims_query_validate(&conf, (const ims_uchar_t *) query,
                               strlen(query), scratch, &v);

            snprintf(what, sizeof(what), "query name %s", name);
            snprintf(got, sizeof(got), "%d %s %s", v.status,
                     ims_code_name(v.code), v.detail);

            if (k == len + 2) {
                snprintf(what, sizeof(what), "'%s'", name);
                check(v.status == 400 && v.code == params[i].code
                      && strstr(v.detail, what) != NULL,
                      "a known parameter, 256 characters", name, got);
                continue;
            }

            check(v.status == 0, "a name a byte off is unknown", name, got);

            ims_query_validate(&strict, (const ims_uchar_t *) query,
                               strlen(query), scratch, &v);
            check(v.status == 400 && v.code == IMS_IMG_0017,
                  "a name a byte off is unknown, and refused", name, got);
        }
    }

    free(query);
    free(scratch);
}


/* text values: at most 255 characters (owner: 64), counted as characters */

static void
test_query_lengths(const ims_query_conf_t *conf)
{
    int          status;
    char        *q, what[64];
    size_t       i, k, n, len, max;
    ims_code_t   code;
    static const char  *texts[] = {
        "name", "tag", "__support_xen_gpu_type", "__support_kvm_gpu_type",
        "owner"
    };

    q = malloc(64 + 256 * 9 + 1);

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        max = (strcmp(texts[i], "owner") == 0) ? 64 : 255;

        for (n = max - 1; n <= max + 1; n++) {
            status = (n <= max) ? 0 : 400;
            code = (n <= max) ? IMS_OK : IMS_IMG_0017;

            len = sprintf(q, "%s=", texts[i]);
            memset(q + len, 'a', n);
            q[len + n] = '\0';

            snprintf(what, sizeof(what), "%s of %zu characters", texts[i], n);
            run_query(conf, q, status, code, what);

            if (max == 64) {
                continue;
            }

            /* the same count of CJK ideographs, percent-encoded */
            len = sprintf(q, "%s=", texts[i]);

            for (k = 0; k < n; k++) {
                len += sprintf(q + len, "%%E4%%B8%%AD");
            }

            snprintf(what, sizeof(what), "%s of %zu CJK characters",
                     texts[i], n);
            run_query(conf, q, status, code, what);
        }
    }

    free(q);
}


void
test_query(void)
{
    char              query[128], pad[48];
    size_t            i, k;
    ims_query_conf_t  conf;

    ims_query_conf_init(&conf);

    for (i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
        run_query(&conf, query_cases[i].query, query_cases[i].status,
                  query_cases[i].code, "query");
    }

    /*
     * non-ASCII bytes in queries shorter than one sixteen-byte block: the
     * decoded bytes must be valid UTF-8 (docs/rules.md, "Decoding")
     */
    run_query(&conf, "name=\xc3\xa9", OK, "short query, UTF-8");
    run_query(&conf, "name=a\x80", E0017, "short query, 0x80");
    run_query(&conf, "name=\xc3", E0017, "short query, a lead byte alone");
    run_query(&conf, "tag=\xff", E0017, "short query, 0xff");
    run_query(&conf, "tag=\x7f", OK, "short query, DEL");
    run_query(&conf, "n\x80=1", E0017, "short query, 0x80 in a name");

    /* and its separators: a missed one hides a bad value in another */
    run_query(&conf, "a=1&limit=x", E0017, "short query, '&'");
    run_query(&conf, "a=1;limit=x", E0017, "short query, ';'");
    run_query(&conf, "limit=5&a=1", OK, "short query, '&'");

    test_query_escape_everywhere(&conf);
    test_query_split_everywhere(&conf);
    test_query_names();
    test_query_lengths(&conf);

    conf.reject_unknown = 1;

    run_query(&conf, "limit=5&__os_bit=64", OK, "query, unknown rejected");
    run_query(&conf, "foo=bar", E0017, "query, unknown rejected");
    run_query(&conf, "=x", E0017, "query, unknown rejected");
    run_query(&conf, "Limit=5", E0017, "query, unknown rejected");
    run_query(&conf, "hl=1", E0017, "query, unknown rejected");
    run_query(&conf, "i=1", E0017, "query, unknown rejected");
    run_query(&conf, "x", E0017, "query, unknown rejected");
    run_query(&conf, "", OK, "query, unknown rejected");
    run_query(&conf, "&;&", OK, "query, unknown rejected");
    run_query(&conf, "%78=1", E0017, "query, unknown rejected");
    run_query(&conf, "tag=x&sort=name&changes-sinc=1", E0017,
              "query, unknown rejected");

    /*
     * Known parameters only, a separator at every position of the
     * sixteen-byte blocks: no piece between two separators may be judged
     * twice or skipped (an empty or misplaced piece is an unknown name
     * here).
     */
    for (k = 0; k < 40; k++) {
        memset(pad, 'a', k);
        pad[k] = '\0';

        snprintf(query, sizeof(query),
                 "tag=%s&limit=5;sort_key=name&sort_dir=asc;tag=b", pad);
        run_query(&conf, query, OK, "query, known parameters only");

        snprintf(query, sizeof(query), "tag=%s&limit=5;sort_key=nam", pad);
        run_query(&conf, query, E0017, "query, known parameters only");
    }
}
