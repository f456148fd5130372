#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# The query gate for GET/HEAD /v2/cloudimages (docs/rules.md, "Query")
# through nginx: for every row, an accepted value reaches the upstream with
# the query string unchanged and a rejected one gets the IMS error without
# reaching it.  Boundaries are in the unit tests (t/unit/ims_query_unit.c).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use NgxTest;
use Ims;

NgxTest::require_module();

my $ID = $IMAGE_ID;

# [ accepted query, rejected query, code of the rejection ]
my @rows = (
    [ '__imagetype=gold', '__imagetype=Gold', 'IMG.0024' ],
    [ 'visibility=eq:shared', 'visibility=community', 'IMG.0017' ],
    [ 'visibility=shared&member_status=pending', 'member_status=accepted',
      'IMG.0017' ],
    [ 'status=active', 'status=gt:active', 'IMG.0017' ],
    [ 'protected=false', 'protected=True', 'IMG.0017' ],
    [ '__whole_image=true', '__whole_image=1', 'IMG.0017' ],
    [ '__isregistered=true', '__isregistered=yes', 'IMG.0017' ],
    [ 'os_hidden=false', 'os_hidden=FALSE', 'IMG.0017' ],
    [ '__support_kvm=true', '__support_kvm=false', 'IMG.0017' ],
    [ '__support_xen=true', '__support_xen=false', 'IMG.0017' ],
    [ '__support_largememory=true', '__support_largememory=1', 'IMG.0017' ],
    [ '__support_diskintensive=true', '__support_diskintensive=', 'IMG.0017' ],
    [ '__support_highperformance=true', '__support_highperformance=no',
      'IMG.0017' ],
    [ '__support_xen_hana=true', '__support_xen_hana=false', 'IMG.0017' ],
    [ '__support_kvm_infiniband=true', '__support_kvm_infiniband=False',
      'IMG.0017' ],
    [ '__support_xen_gpu_type=M60', '__support_xen_gpu_type=', 'IMG.0017' ],
    [ '__support_kvm_gpu_type=' . 'g' x 255,
      '__support_kvm_gpu_type=' . 'g' x 256, 'IMG.0017' ],
    [ '__os_type=Windows', '__os_type=windows', 'IMG.0122' ],
    [ '__os_bit=64', '__os_bit=16', 'IMG.0017' ],
    [ '__platform=Oracle+Linux', '__platform=Arch', 'IMG.0017' ],
    [ 'virtual_env_type=IsoImage', 'virtual_env_type=iso', 'IMG.0017' ],
    [ 'disk_format=zvhd2', 'disk_format=vmdk', 'IMG.0017' ],
    [ 'container_format=bare', 'container_format=docker', 'IMG.0017' ],
    [ 'limit=02147483647', 'limit=2147483648', 'IMG.0017' ],
    [ 'min_ram=0', 'min_ram=-1', 'IMG.0017' ],
    [ 'min_disk=1024', 'min_disk=1025', 'IMG.0017' ],
    [ 'size_min=9223372036854775807', 'size_min=9223372036854775808',
      'IMG.0017' ],
    [ 'size_max=0', 'size_max=1e3', 'IMG.0017' ],
    [ "marker=$ID", 'marker=abc', 'IMG.0066' ],
    [ "id=eq:$ID", "id=in:$ID", 'IMG.0066' ],
    [ 'owner=abc_DEF-1', 'owner=a.b', 'IMG.0017' ],
    [ 'name=eq:Ubuntu:20.04', 'name=Ubuntu:20.04', 'IMG.0017' ],
    [ 'tag=&tag=a=b', 'tag=' . 't' x 256, 'IMG.0017' ],
    [ 'sort_key=name&sort_key=size&sort_dir=asc',
      'sort_key=%20name%20', 'IMG.0017' ],
    [ 'sort_key=name&sort_dir=desc', 'sort_dir=sideways', 'IMG.0017' ],
    [ 'sort=name:asc,size', 'sort=name&sort_key=size', 'IMG.0017' ],
    [ 'created_at=lt:2018-10-28T10:00:00Z',
      'created_at=lt:2018-10-28', 'IMG.0017' ],
    [ 'updated_at=gte:2024-02-29+23:59:59.5%2B08:00',
      'updated_at=gte:2023-02-29T00:00:00Z', 'IMG.0017' ],
    [ 'limit=5&foo=bar', 'changes-since=2018-10-28T10:00:00Z', 'IMG.0017' ],
    [ '%6cimit=5', 'limit=%zz', 'IMG.0017' ],
    [ 'x=%E4%B8%AD', 'x=%C3%28', 'IMG.0017' ],
    [ 'limit=5&limit2=5', 'limit=5&limit=5', 'IMG.0017' ],
    [ 'limit=5', 'limit=5;limit=x', 'IMG.0017' ],

    # decoded on the stack up to 2048 bytes, in the request pool above
    [ join('&', map { "tag=t%41$_" } 1 .. 150),
      join('&', (map { "tag=t%41$_" } 1 .. 150), 'limit=%zz'), 'IMG.0017' ],
    [ join('&', map { "tag=t%41$_" } 1 .. 250),
      join('&', (map { "tag=t%41$_" } 1 .. 250), 'limit=%zz'), 'IMG.0017' ],
);

my $t = NgxTest->new();

for my $row (@rows) {
    my ($good, $bad, $code) = @$row;

    for my $method (qw(GET HEAD)) {
        my $before = $t->upstream_count;

        my $r = $t->request(method => $method,
                            uri => "/v2/cloudimages?$good");
        is($r->{status}, 200, "$method ?$good: accepted");

        my @up = $t->upstream_requests;
        is($up[-1]{uri}, "/v2/cloudimages?$good",
           "$method ?$good: query forwarded unchanged");

        $r = $t->request(method => $method, uri => "/v2/cloudimages?$bad");
        is($r->{status}, 400, "$method ?$bad: rejected");
        is($t->upstream_count, $before + 1, "$method ?$bad: not forwarded");

        next if $method eq 'HEAD';

        my $err = eval { decode_json($r->{body}) } // {};
        is($err->{error}{code}, $code, "?$bad: $code");
    }
}

my $r = $t->request(uri => '/v2/cloudimages?__os_type=linux');
like($r->{body}, qr/Query parameter '__os_type'/,
     'message names the parameter');
like($t->error_log, qr/ims: rejected with 400 IMG\.0122: Query parameter/,
     'error log says why');

$r = $t->request(uri => '/v2/cloudimages?%3Cb%3E=1&%3Cb%3E=2');
is($r->{status}, 200, 'unknown parameters pass by default');

# other routes are not inspected
for my $u ('/v2/cloudimages/?limit=x', '/v2/images?limit=x',
           '/v2/cloudimages/x?limit=x') {
    $r = $t->request(uri => $u);
    is($r->{status}, 200, "$u: not inspected");
}

$r = $t->request(method => 'POST', uri => '/v2/cloudimages?limit=x',
                 body => '{}');
is($r->{status}, 200, 'POST /v2/cloudimages: not inspected');

$r = $t->request(uri => '/v2/cloud%69mages?limit=x');
is($r->{status}, 400, 'percent-encoded path is the query route');

$t->stop;

# ims_query_unknown reject, set at server level and inherited
$t = NgxTest->new(config => <<'EOF');
        ims_query_unknown reject;

        location / {
            ims_gateway on;
            proxy_pass http://backend;
        }

        location /v2/cloudimages/lenient {
            ims_gateway on;
            ims_query_unknown pass;
            proxy_pass http://backend;
        }
EOF

$r = $t->request(uri => '/v2/cloudimages?limit=5&__os_bit=64');
is($r->{status}, 200, 'reject: known parameters pass');

$r = $t->request(uri => '/v2/cloudimages?limit=5&foo=bar');
is($r->{status}, 400, 'reject: unknown parameter rejected');
like($r->{body}, qr/'foo': unknown parameter/, 'reject: names it');

$r = $t->request(uri => '/v2/cloudimages?Limit=5');
is($r->{status}, 400, 'reject: names are case-sensitive');

$t->stop;

my ($rc, $out) = NgxTest::nginx_t(<<'EOF');
events {}
http {
    server {
        listen 127.0.0.1:8;
        ims_query_unknown maybe;
    }
}
EOF
isnt($rc, 0, 'nginx -t refuses an unknown value');
like($out, qr/"ims_query_unknown" must be "pass" or "reject", not "maybe"/,
     'nginx -t names the directive');

done_testing();
