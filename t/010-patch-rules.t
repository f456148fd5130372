#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# The body gate through nginx (docs/rules.md, "Routes", "Body" and
# "Errors and forwarding"): one table row per rule, both dialects, every
# system attribute.  An accepted patch reaches the recording upstream
# byte-for-byte with the canonical Content-Type; a rejected one gets the
# IMS error and never reaches it.

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

# every system attribute of the catalog in docs/rules.md, "Body", copied
# from there so that the C table is checked against it
my @SYSTEM = qw(id status owner file self schema size virtual_size checksum
    created_at updated_at deleted deleted_at active_at visibility protected
    tags container_format disk_format min_ram max_ram min_disk locations
    location direct_url stores os_hidden os_hash_algo os_hash_value
    hw_firmware_type hw_vif_multiqueue_enabled virtual_env_type
    enterprise_project_id __os_bit __os_version __os_type __platform
    __isregistered __imagetype __image_source_type __originalimagename
    __backup_id __productcode __image_size __data_origin __root_origin
    __lazyloading __system__cmkid __whole_image __sequence_num
    __account_code __os_feature_list __image_location __is_config_init
    __is_offshelved __system_support_market __support_kvm __support_xen
    __support_largememory __support_diskintensive __support_highperformance
    __support_xen_gpu_type __support_kvm_gpu_type __support_xen_hana
    __support_kvm_infiniband __support_kvm_fpga_type __support_fc_inject
    __support_amd __support_arm __support_agent_list
    os_glance os_glance_import_task);

# [ dialect, body, status, code ]
my @cases = (
    # docs/rules.md, "Body": document
    [ $V21, '', 400, 'IMG.0007' ],
    [ $V21, " \r\n\t", 400, 'IMG.0007' ],
    [ $V21, '[]', 200 ],
    [ $V21, '{}', 400, 'IMG.0001' ],
    [ $V21, '[1]', 400, 'IMG.0001' ],
    [ $V21, "\xef\xbb\xbf[]", 400, 'IMG.0001' ],
    [ $V21, '[] []', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('remove', '/x') . ',]', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('remove', '/x', 'NaN') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/x', "\"\xff\"") . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/x', '"\ud800"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[{"op":"replace","path":"/name","path":"/__os_bit",'
            . '"value":"x"}]', 400, 'IMG.0001' ],
    [ $V21, '[{"op":"remove","\u006fp":"add","path":"/x"}]',
      400, 'IMG.0001' ],
    [ $V21, '[' . op21('remove', '/x', '{"a":[{"b":1,"b":2}]}') . ']',
      400, 'IMG.0001' ],
    # the array is depth 1 and the object 2: 30 more levels make 32
    [ $V21, '[' . op21('remove', '/x', '[' x 30 . ']' x 30) . ']', 200 ],
    [ $V21, '[' . op21('remove', '/x', '[' x 31 . ']' x 31) . ']',
      400, 'IMG.0001' ],
    [ $V21, '[' . join(',', (op21('remove', '/x')) x 1000) . ']', 200 ],
    [ $V21, '[' . join(',', (op21('remove', '/x')) x 1001) . ']',
      400, 'IMG.0001' ],

    # docs/rules.md, "Body": operations
    [ $V21, '[' . op21('replace', '/name', '"ok"') . ']', 200 ],
    [ $V21, '[' . op21('move', '/name', '"ok"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('Replace', '/name', '"ok"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[{"path":"/name","value":"ok"}]', 400, 'IMG.0001' ],
    [ $V21, '[{"op":"replace","value":"ok"}]', 400, 'IMG.0001' ],
    [ $V21, '[{"op":"replace","path":5,"value":"ok"}]', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/custom') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('remove', '/custom', '{"any":[null]}') . ']', 200 ],
    [ $V21, '[{"replace":"/__os_bit","op":"replace","path":"/name",'
            . '"value":"ok"}]', 200 ],
    [ $V20, '[' . op20('replace', '/name', '"ok"') . ']', 200 ],
    [ $V20, '[' . op20('remove', '/custom') . ']', 200 ],
    [ $V20, '[' . op21('replace', '/name', '"ok"') . ']', 400, 'IMG.0001' ],
    [ $V20, '[{"op":"replace","path":"/name","value":"ok",'
            . '"remove":"/__os_bit"}]', 400, 'IMG.0105' ],
    [ $V20, '[{"add":"/x","remove":"/y","value":"v"}]', 400, 'IMG.0001' ],
    [ $V20, '[{"replace":null,"value":"v"}]', 400, 'IMG.0001' ],

    # docs/rules.md, "Body": paths
    [ $V21, '[' . op21('add', 'x', '"v"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/', '"v"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/a/b', '"v"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '//x', '"v"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/x/', '"v"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/tags/0', '"v"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/locations/-', '"v"') . ']',
      400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/a~1b', '"v"') . ']', 200 ],
    [ $V21, '[' . op21('add', '/tricky~01', '"v"') . ']', 200 ],
    [ $V21, '[' . op21('add', '/a~2b', '"v"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('replace', '/\u006eame', '"renamed"') . ']', 200 ],
    [ $V21, '[' . op21('replace', '/ __os_bit', '"64"') . ']',
      400, 'IMG.0001' ],
    [ $V21, '[' . op21('replace', '/\u00a0__os_bit', '"64"') . ']',
      400, 'IMG.0001' ],
    [ $V21, '[' . op21('replace', '/__os_bit\t', '"64"') . ']',
      400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/a\u200bb', '"v"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/a\u0000b', '"v"') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/' . 'a' x 255, '"v"') . ']', 200 ],
    [ $V21, '[' . op21('add', '/' . 'a' x 256, '"v"') . ']',
      400, 'IMG.0001' ],

    # docs/rules.md, "Body": attributes, name
    [ $V21, '[' . op21('replace', '/name', 'null') . ']', 400, 'IMG.0013' ],
    [ $V21, '[' . op21('replace', '/name', '""') . ']', 400, 'IMG.0013' ],
    [ $V21, '[' . op21('remove', '/name') . ']', 400, 'IMG.0013' ],
    [ $V20, '[' . op20('remove', '/name') . ']', 400, 'IMG.0013' ],
    [ $V21, '[' . op21('replace', '/name', '12') . ']', 400, 'IMG.0003' ],
    [ $V21, '[' . op21('replace', '/name', '"' . 'a' x 128 . '"') . ']',
      200 ],
    [ $V21, '[' . op21('replace', '/name', '"' . 'a' x 129 . '"') . ']',
      400, 'IMG.0002' ],
    [ $V21, '[' . op21('replace', '/name', "\"\xe9\x95\x9c\xe5\x83\x8f\"")
            . ']', 200 ],
    [ $V21, '[' . op21('replace', '/name', '" lead"') . ']',
      400, 'IMG.0003' ],
    [ $V21, '[' . op21('replace', '/name', '"a<b"') . ']', 400, 'IMG.0003' ],
    [ $V21, '[' . op21('replace', '/name', '"\ud83d\ude00"') . ']',
      400, 'IMG.0003' ],
    [ $V21, '[' . op21('replace', '/NAME', '" any "') . ']', 200 ],

    # docs/rules.md, "Body": attributes, __description
    [ $V21, '[' . op21('add', '/__description', '""') . ']', 200 ],
    [ $V21, '[' . op21('remove', '/__description') . ']', 200 ],
    [ $V21, '[' . op21('add', '/__description', '"' . 'd' x 1024 . '"')
            . ']', 200 ],
    [ $V21, '[' . op21('add', '/__description', '"' . 'd' x 1025 . '"')
            . ']', 400, 'IMG.0004' ],
    [ $V21, '[' . op21('add', '/__description', '"a\rb"') . ']',
      400, 'IMG.0054' ],
    [ $V21, '[' . op21('add', '/__description', '"a\nb"') . ']',
      400, 'IMG.0054' ],
    [ $V21, '[' . op21('add', '/__description', '"<script>"') . ']',
      400, 'IMG.0054' ],

    # docs/rules.md, "Body": attributes, custom attributes
    [ $V21, '[' . op21('add', '/custom', '"v"') . ']', 200 ],
    [ $V21, '[' . op21('add', '/custom', '1') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/custom', 'true') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/custom', 'null') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/custom', '["v"]') . ']', 400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/custom', '"' . 'v' x 65535 . '"') . ']',
      200 ],
    [ $V21, '[' . op21('add', '/custom', '"' . 'v' x 65536 . '"') . ']',
      400, 'IMG.0001' ],
    [ $V21, '[' . op21('add', '/custom', "\"\xf0\x9f\x98\x80\"") . ']',
      400, 'IMG.0001' ],

    # the first failing operation decides
    [ $V21, '[' . op21('replace', '/name', '"ok"') . ','
            . op21('remove', '/__imagetype') . ']', 400, 'IMG.0105' ],
);

for my $name (@SYSTEM) {
    for my $op (qw(add replace remove)) {
        my @v = $op eq 'remove' ? () : ('"x"');
        push @cases, [ $V21, '[' . op21($op, "/$name", @v) . ']',
                       400, 'IMG.0105' ];
        push @cases, [ $V20, '[' . op20($op, "/$name", @v) . ']',
                       400, 'IMG.0105' ];
    }
}

my $t = NgxTest->new();

for my $c (@cases) {
    my ($type, $body, $status, $code) = @$c;
    my $label = ($type eq $V20 ? 'v2.0 ' : 'v2.1 ')
                . (length $body > 70 ? substr($body, 0, 67) . '...' : $body);
    my $before = $t->upstream_count;

    my $r = $t->request(method => 'PATCH', uri => "/v2/images/$ID",
                        headers => [ 'Content-Type' => $type ],
                        body => $body);

    is($r->{status}, $status, "$label: status") or diag($r->{body});

    if ($status == 200) {
        my @up = $t->upstream_requests;
        is(scalar @up, $before + 1, "$label: forwarded once");
        is($up[-1]{body}, $body, "$label: body intact");
        is_deeply($up[-1]{headers}{'content-type'}, [ $type ],
                  "$label: canonical type");
        next;
    }

    my $err = eval { decode_json($r->{body}) } // {};
    is($err->{error}{code}, $code, "$label: code");
    is($r->{headers}{'content-type'}[0], 'application/json',
       "$label: json error");
    is($t->upstream_count, $before, "$label: not forwarded");
}

# messages name the operation and the attribute, escaped
my $r = $t->request(method => 'PATCH', uri => "/v2/images/$ID",
                    headers => [ 'Content-Type' => $V21 ],
                    body => '[' . op21('remove', '/x') . ','
                            . op21('remove', '/__os_type') . ']');
like($r->{body}, qr/Operation 1: '__os_type' is a system attribute/,
     'message names operation index and attribute');

$r = $t->request(method => 'PATCH', uri => "/v2/images/$ID",
                 headers => [ 'Content-Type' => $V21 ],
                 body => '[' . op21('add', '/<b>\"x', '1') . ']');
unlike($r->{body}, qr/<b>/, 'client markup is not echoed raw');
ok(eval { decode_json($r->{body}) }, 'escaped message is valid JSON');

like($t->error_log,
     qr/ims: rejected with 400 IMG\.0105: Operation 1: '__os_type'/,
     'error log says why');

# routes: the image id, and what is not the PATCH route
for my $u ("/v2/images/33ad552d1149471c8190ff6776174a00",
           "/v2/images/not-a-uuid",
           "/v2/images/$ID%20") {
    $r = $t->request(method => 'PATCH', uri => $u,
                     headers => [ 'Content-Type' => $V21 ], body => '[]');
    is($r->{status}, 400, "$u: status");
    like($r->{body}, qr/"IMG\.0066"/, "$u: image id error");
}

my $forbidden = '[' . op21('replace', '/__imagetype', '"gold"') . ']';

$r = $t->request(method => 'PATCH', uri => '/v2/imag%65s/' . uc($ID),
                 headers => [ 'Content-Type' => $V21 ], body => $forbidden);
is($r->{status}, 400, 'percent-encoded path is the PATCH route');

$r = $t->request(method => 'PATCH', uri => "/v2//images/./$ID",
                 headers => [ 'Content-Type' => $V21 ], body => $forbidden);
is($r->{status}, 400, 'normalized path is the PATCH route');

for my $u ("/v2/images/$ID/", "/v2/images/$ID/file", "/v2/images/$ID/tags/x",
           "/v2/images") {
    $r = $t->request(method => 'PATCH', uri => $u,
                     headers => [ 'Content-Type' => $V21 ], body => $forbidden);
    is($r->{status}, 200, "$u: not inspected");
}

for my $m (qw(PUT POST)) {
    $r = $t->request(method => $m, uri => "/v2/images/$ID",
                     headers => [ 'Content-Type' => 'text/plain' ],
                     body => $forbidden);
    is($r->{status}, 200, "$m: not inspected");
}

$t->stop;

# ims_gateway off (the default) inspects nothing
$t = NgxTest->new(config => <<'EOF');
        location / {
            proxy_pass http://backend;
        }
EOF

$r = $t->request(method => 'PATCH', uri => "/v2/images/$ID",
                 headers => [ 'Content-Type' => 'text/plain' ],
                 body => $forbidden);
is($r->{status}, 200, 'off by default');
is($t->upstream_count, 1, 'off: forwarded');

$t->stop;

done_testing();
