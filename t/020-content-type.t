#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# The Content-Type gate (docs/rules.md, "Content-Type"): every class of
# variant.  Accepted ones reach the upstream with exactly one Content-Type,
# the canonical lowercase type; rejected ones get 415 with Accept-Patch
# before the body is read, and never reach the upstream.

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
my $ACCEPT_PATCH = "$V20, $V21";
my $BODY = '[{"op":"replace","path":"/name","value":"ok"}]';
my $BODY20 = '[{"replace":"/name","value":"ok"}]';

# [ Content-Type value, canonical type it becomes ]
my @accepted = (
    [ $V21, $V21 ],
    [ $V20, $V20 ],
    [ 'Application/OpenStack-Images-v2.1-JSON-Patch', $V21 ],
    [ 'APPLICATION/OPENSTACK-IMAGES-V2.0-JSON-PATCH', $V20 ],
    [ "$V21; charset=UTF-8", $V21 ],
    [ "$V21 ; charset = \"utf-8\"", $V21 ],
    [ "$V21;", $V21 ],
    [ "$V21;;", $V21 ],
    [ "$V21; foo=bar; q=\"a;b\"", $V21 ],
    [ "  $V21\t", $V21 ],
    [ "$V20\t;\tcharset=utf-8", $V20 ],
);

# Content-Type values that get 415
my @rejected = (
    '',
    'application/json',
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/openstack-images-v2.2-json-patch',
    "$V21+json",
    "$V21, application/json",
    "$V21; charset=latin1",
    "$V21; charset=\"utf-16\"",
    "$V21; charset=",
    "$V21; foo",
    "$V21; foo=\"bar",
    "$V21 x",
    'text/plain',
);

my $t = NgxTest->new();

for my $c (@accepted) {
    my ($type, $canonical) = @$c;
    my $body = $canonical eq $V20 ? $BODY20 : $BODY;
    my $before = $t->upstream_count;

    my $r = $t->request(method => 'PATCH', uri => "/v2/images/$ID",
                        headers => [ 'Content-Type' => $type ],
                        body => $body);

    is($r->{status}, 200, "'$type': accepted") or diag($r->{body});

    my @up = $t->upstream_requests;
    is(scalar @up, $before + 1, "'$type': forwarded");
    is_deeply($up[-1]{headers}{'content-type'}, [ $canonical ],
              "'$type': one canonical Content-Type");
    is($up[-1]{body}, $body, "'$type': body intact");
}

sub rejected_ok {
    my ($r, $label, $before) = @_;

    is($r->{status}, 415, "$label: 415");
    is($r->{headers}{'accept-patch'}[0], $ACCEPT_PATCH,
       "$label: Accept-Patch");
    my $err = eval { decode_json($r->{body}) } // {};
    is($err->{error}{code}, 'IMG.0001', "$label: IMS code");
    is($t->upstream_count, $before, "$label: not forwarded");
}

for my $type (@rejected) {
    my $before = $t->upstream_count;
    my $r = $t->request(method => 'PATCH', uri => "/v2/images/$ID",
                        headers => [ 'Content-Type' => $type ],
                        body => $BODY);
    rejected_ok($r, "'$type'", $before);
}

my $before = $t->upstream_count;

rejected_ok($t->request(method => 'PATCH', uri => "/v2/images/$ID",
                        body => $BODY),
            'no Content-Type', $before);

rejected_ok($t->request(method => 'PATCH', uri => "/v2/images/$ID",
                        headers => [ 'Content-Type' => $V21,
                                     'Content-Type' => $V21 ],
                        body => $BODY),
            'two identical Content-Type headers', $before);

rejected_ok($t->request(method => 'PATCH', uri => "/v2/images/$ID",
                        headers => [ 'Content-Type' => $V21,
                                     'content-type' => 'text/plain' ],
                        body => $BODY),
            'a second Content-Type header', $before);

rejected_ok($t->request(method => 'PATCH', uri => "/v2/images/$ID",
                        headers => [ 'CONTENT-TYPE' => $V21,
                                     'Content-type' => $V21 ],
                        body => $BODY),
            'two Content-Type headers, names in other cases', $before);

# header names are case-insensitive: one header, any case, counts once
{
    my $before = $t->upstream_count;
    my $r = $t->request(method => 'PATCH', uri => "/v2/images/$ID",
                        headers => [ 'CONTENT-TYPE' => $V21 ],
                        body => $BODY);
    is($r->{status}, 200, 'CONTENT-TYPE in capitals: accepted')
        or diag($r->{body});
    is($t->upstream_count, $before + 1, 'CONTENT-TYPE in capitals: forwarded');
}

# 415 is decided before the body is read: nginx answers a client that
# waits for "100 Continue" without asking for the body
my @r = $t->raw("PATCH /v2/images/$ID HTTP/1.1\r\nHost: x\r\n"
                . "Content-Type: application/json\r\n"
                . "Content-Length: 500000\r\n\r\n", expect => 1);
is($r[0]{status}, 415, 'rejected before a large body arrives');

like($t->error_log, qr/ims: rejected with 415 IMG\.0001: Content-Type/,
     'error log says why');

$t->stop;

done_testing();
