#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# ims-check judges a request offline with the same core: for every case,
# its verdict and error body must be exactly what the gateway answers.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempfile);
use Test::More;
use NgxTest;
use Ims;

NgxTest::require_module();

my $CHECK = "$NgxTest::ROOT/build/ims-check";
plan(skip_all => "not built: $CHECK (run make)") unless -x $CHECK;

my $ID = $IMAGE_ID;

# [ expected status, expected code or undef, method, uri,
#   [ Content-Type values ], body, ims-check options, directives ]:
# each expectation written from docs/rules.md; ims-check and the gateway
# must both answer it, with the same error body
my @cases = (
    [ 200, undef, 'PATCH', "/v2/images/$ID", [ $V21 ],
      '[{"op":"replace","path":"/name","value":"ok"}]' ],
    [ 200, undef, 'PATCH', "/v2/images/$ID",
      [ "Application/OpenStack-Images-v2.0-JSON-Patch ; charset=utf-8" ],
      '[{"replace":"/name","value":"ok"}]' ],
    [ 400, 'IMG.0105', 'PATCH', "/v2/images/$ID", [ $V21 ],
      '[{"op":"replace","path":"/__imagetype","value":"gold"}]' ],
    [ 400, 'IMG.0105', 'PATCH', "/v2/imag%65s//./$ID", [ $V21 ],
      '[{"op":"remove","path":"/__os_bit"}]' ],
    [ 400, 'IMG.0001', 'PATCH', "/v2/images/$ID", [ $V21 ],
      '[{"op":"add","path":"/a/b"}]' ],
    [ 400, 'IMG.0007', 'PATCH', "/v2/images/$ID", [ $V21 ], '' ],
    [ 400, 'IMG.0001', 'PATCH', "/v2/images/$ID", [ $V21 ], '[{"op":"x"},]' ],
    [ 415, 'IMG.0001', 'PATCH', "/v2/images/$ID", [ 'application/json' ],
      '[]' ],
    [ 415, 'IMG.0001', 'PATCH', "/v2/images/$ID", [ $V21, $V21 ], '[]' ],
    [ 415, 'IMG.0001', 'PATCH', "/v2/images/$ID", [], '[]' ],
    [ 400, 'IMG.0066', 'PATCH', "/v2/images/not-a-uuid", [ $V21 ], '[]' ],
    [ 200, undef, 'PATCH', "/v2/images/$ID/file", [ 'text/plain' ], 'x' ],
    [ 200, undef, 'GET', '/v2/cloudimages?__imagetype=gold&limit=5', [],
      undef ],
    [ 400, 'IMG.0122', 'GET', '/v2/cloudimages?__os_type=linux', [], undef ],
    [ 400, 'IMG.0017', 'GET', '/v2/cloudimages?sort=name&sort_key=size', [],
      undef ],
    [ 400, 'IMG.0017', 'GET', '/v2/cloudimages?foo=bar', [], undef,
      [ '--query-unknown', 'reject' ], 'ims_query_unknown reject;' ],
    [ 200, undef, 'PATCH', "/v2/images/$ID", [ $V21 ],
      '[{"op":"replace","path":"/min_ram","value":"1"}]',
      [ '--editable-attributes', '~^min_' ],
      'ims_editable_attributes ~^min_;' ],
    [ 403, 'IMG.0105', 'PATCH', "/v2/images/$ID", [ $V21 ],
      '[{"op":"add","path":"/secret","value":"1"}]',
      [ '--system-attributes', 'secret', '--forbidden-status', '403' ],
      'ims_system_attributes secret; ims_forbidden_status 403;' ],
    [ 400, 'IMG.0003', 'PATCH', "/v2/images/$ID", [ $V21 ],
      '[{"op":"replace","path":"/name","value":"UPPER"}]',
      [ '--name-pattern', '[a-z]+' ], 'ims_name_pattern [a-z]+;' ],
);

# [ method, uri, headers, body, expected route, expected code or undef ]:
# the route model's cases, each expectation written from docs/rules.md
my $FLIP = '[{"op":"replace","path":"/__imagetype","value":"gold"}]';
my $VND = 'application/vnd.openstack.images-v2';
my @routes = (
    [ 'PATCH', "/v2.1/images/$ID", [ 'Content-Type' => $V21 ], $FLIP,
      'patch', 'IMG.0105' ],
    [ 'PATCH', "/%76%32%2e%31/images/$ID", [ 'Content-Type' => $V21 ], $FLIP,
      'patch', 'IMG.0105' ],
    [ 'PATCH', "/images/$ID", [ 'Content-Type' => $V21, Accept => $VND ],
      $FLIP, 'patch', 'IMG.0105' ],
    [ 'PATCH', "/v2.1/images/$ID", [ 'Content-Type' => $V21 ],
      '[{"op":"replace","path":"/name","value":"ok"}]', 'patch', undef ],
    [ 'PATCH', "/v2.x/images/$ID", [ 'Content-Type' => $V21 ], $FLIP,
      'other', undef ],
    [ 'POST', "/v2/images/$ID?_method=PATCH", [ 'Content-Type' => $V21 ],
      $FLIP, 'other', 'IMG.0017' ],
    [ 'DELETE', '/v2/cloudimages?_method=GET&member_status=all', [], undef,
      'other', 'IMG.0017' ],
    [ 'GET', '/v2/cloudimages?limit=1', [ 'X-HTTP-Method-Override' => 'PUT' ],
      undef, 'query', 'IMG.0017' ],
    [ 'POST', '/v2/images', [ 'Content-Type' => 'multipart/form-data; b=1' ],
      '', 'other', 'IMG.0017' ],
    [ 'GET', '/v2.1/cloudimages?foo=1;visibility=all', [], undef, 'query',
      'IMG.0017' ],
    [ 'GET', '/cloudimages?limit=1;__os_bit=64', [], undef, 'query', undef ],
    [ 'GET', '/v2/images', [ 'X_HTTP_Method' => 'PUT' ], undef, 'other',
      'IMG.0017' ],
    [ 'POST', '/v2/images', [ 'Content-Type' => 'application/json',
                              'Content-Type' => 'multipart/form-data' ],
      '{}', 'other', 'IMG.0017' ],
);

sub run_check {
    my ($c) = @_;
    my ($method, $uri, $types, $body, $opts) = @$c;
    my @cmd = ($CHECK, (map { ('-t', $_) } @$types), @{ $opts // [] },
               $method, $uri);

    if (defined $body) {
        my ($fh, $file) = tempfile(UNLINK => 1);
        print $fh $body;
        close $fh;
        push @cmd, $file;
    }

    open my $out, '-|', @cmd or die "$CHECK: $!\n";
    my %r = map { /^([\w-]+): (.*)$/ ? ($1, $2) : () } <$out>;
    close $out;
    $r{exit} = $? >> 8;
    return \%r;
}

for my $case (@cases) {
    my ($status, $code, @c) = @$case;
    my ($method, $uri, $types, $body, $opts, $directives) = @c;
    my $label = "$method $uri " . join(',', @$types);

    my $t = NgxTest->new(config => <<"EOF");
        location / {
            ims_gateway on;
            ${\ ($directives // '')}
            proxy_pass http://backend;
        }
EOF

    my $r = $t->request(method => $method, uri => $uri,
                        headers => [ map { ('Content-Type' => $_) } @$types ],
                        body => $body);
    my $check = run_check(\@c);

    # the documented answer, from both
    is($r->{status}, $status, "$label: the gateway answers $status");

    if (defined $code) {
        like($r->{body}, qr/^\{"error":\{"code":"\Q$code\E","message":"/,
             "$label: the gateway's code is $code");
        is($check->{verdict}, 'reject', "$label: reject");
        is($check->{exit}, 1, "$label: exit 1");
        is($check->{status}, $status, "$label: ims-check says $status");
        like($check->{body} // '', qr/^\{"error":\{"code":"\Q$code\E"/,
             "$label: ims-check's code is $code");

    } else {
        is($check->{verdict}, 'pass', "$label: pass");
        is($check->{exit}, 0, "$label: exit 0");
    }

    # and the same answer from both
    if ($r->{status} == 200) {
        my ($up) = $t->upstream_requests;
        is($check->{'content-type'}, $up->{headers}{'content-type'}[0],
           "$label: same canonical type")
            if ($check->{route} // '') eq 'patch';

    } else {
        is($check->{status}, $r->{status}, "$label: same status");
        is($check->{body}, $r->{body}, "$label: same error body");
    }

    $t->stop;
}

for my $c (@routes) {
    my ($method, $uri, $headers, $body, $route, $code) = @$c;
    my $label = "$method $uri";
    my @h;
    for (my $i = 0; $i < @$headers; $i += 2) {
        push @h, '-H', "$headers->[$i]: $headers->[$i + 1]";
    }

    my $check = run_check([ $method, $uri, [], $body, \@h ]);
    like($check->{route}, qr/^\Q$route\E\b/, "$label: route $route");
    is($check->{exit}, defined $code ? 1 : 0, "$label: exit status");
    like($check->{body} // '', qr/"code":"\Q$code\E"/, "$label: $code")
        if defined $code;

    my $t = NgxTest->new(config => <<'EOF');
        ims_gateway on;
        underscores_in_headers on;
        location / {
            proxy_pass http://backend;
        }
EOF
    my $r = $t->request(method => $method, uri => $uri, headers => $headers,
                        body => $body);
    is($r->{status}, defined $code ? 400 : 200,
       "$label: the gateway's status");
    is($check->{body}, $r->{body}, "$label: the gateway's error body")
        if defined $code;
    $t->stop;
}

# --api-prefix takes what ims_api_prefix takes
for my $p ([ 'off', 0 ], [ 'OFF', 0 ], [ '/image', 0 ], [ '/', 2 ],
           [ 'image', 2 ], [ '/a/../b', 2 ]) {
    my $out = `$CHECK --api-prefix '$p->[0]' GET /image/v2/cloudimages 2>&1`;
    is($? >> 8, $p->[1], "--api-prefix '$p->[0]': exit $p->[1]");
    like($out, qr/must be "off" or a path/, "--api-prefix '$p->[0]': says why")
        if $p->[1];
}

my $out = `$CHECK --max-depth 0 GET / 2>&1`;
is($? >> 8, 2, 'bad option: exit 2');
like($out, qr/--max-depth must be a number from 1 to 2048/, 'says why');

$out = `$CHECK --name-pattern '(' GET / 2>&1`;
is($? >> 8, 2, 'bad pattern: exit 2');
like($out, qr/invalid pattern/, 'bad pattern: says why');

done_testing();
