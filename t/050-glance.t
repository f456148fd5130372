#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# End to end against real OpenStack Glance (python3-glance, started by
# tools/glance.sh): what the gateway lets through changes the image, what it
# rejects does not - although Glance alone would accept it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use NgxTest;
use Ims;
use Glance;

NgxTest::require_module();
Glance::skip_unless_installed();

my $glance = Glance->start('test');
my ($dir, $port) = ($glance->dir, $glance->port);

my $t = NgxTest->new(upstream => "127.0.0.1:$port");

my $id = $glance->image('ims-demo');
my $uri = "/v2/images/$id";

sub patch {
    my ($ct, $body, %via) = @_;
    return $t->request(method => 'PATCH', uri => $uri, body => $body,
                       headers => ['Content-Type' => $ct], %via);
}

sub image {
    my $r = $t->request(uri => $uri);
    is($r->{status}, 200, 'GET through the gateway');
    return eval { decode_json($r->{body}) } // {};
}

# PATCH requests in Glance's own log
sub glance_patches {
    open my $fh, '<', "$dir/glance-api.log" or return 0;
    return scalar grep /"PATCH /, <$fh>;
}

my @direct = (port => $port);    # straight to Glance, no gateway

# the gateway's own forwarding is not the subject: the image is as created
my $img = image();
is($img->{name}, 'ims-demo', 'initial name');
is($img->{__imagetype}, 'private', 'initial __imagetype');

# accepted renames
my $r = patch($V21, '[{"op":"replace","path":"/name","value":"renamed-v21"}]');
is($r->{status}, 200, 'v2.1 rename accepted');
is(json_body($r)->{name}, 'renamed-v21', 'Glance answered with the new name');
is(image()->{name}, 'renamed-v21', 'GET shows the v2.1 rename');

$r = patch($V20, '[{"replace":"/name","value":"renamed-v20"}]');
is($r->{status}, 200, 'v2.0 rename accepted');
is(image()->{name}, 'renamed-v20', 'GET shows the v2.0 rename');

# a system attribute: the gateway refuses, Glance alone would not
my $flip = '[{"op":"replace","path":"/__imagetype","value":"gold"}]';
my $patches = glance_patches();

$r = patch($V21, $flip);
is($r->{status}, 400, '__imagetype edit rejected by the gateway');
is(json_body($r)->{error}{code}, 'IMG.0105', 'IMG.0105');
is_deeply($r->{headers}{'content-type'}, ['application/json'], 'JSON error');
like(json_body($r)->{error}{message} // '', qr/__imagetype/,
     'message names the attribute');
is(image()->{__imagetype}, 'private', '__imagetype unchanged');
is(glance_patches(), $patches, 'the rejected PATCH never reached Glance');

$r = patch($V21, $flip, @direct);
is($r->{status}, 200, 'the same edit straight to Glance: 200 (why the '
                      . 'gateway exists)');
is(image()->{__imagetype}, 'gold', 'Glance changed it');
cmp_ok(glance_patches(), '>', $patches,
       "Glance's log does record PATCH requests");

$r = patch($V21, '[{"op":"replace","path":"/__imagetype","value":"private"}]',
           @direct);
is($r->{status}, 200, 'restored directly');
is(image()->{__imagetype}, 'private', 'restored');

# a Content-Type variant: the gateway normalizes it, Glance alone refuses it
my $variant = 'Application/OpenStack-Images-v2.1-JSON-Patch; charset=UTF-8';

$r = patch($variant, '[{"op":"replace","path":"/name","value":"renamed-ct"}]',
           @direct);
is($r->{status}, 415, 'Glance alone: 415 for the variant');
is(image()->{name}, 'renamed-v20', 'name unchanged');

$r = patch($variant, '[{"op":"replace","path":"/name","value":"renamed-ct"}]');
is($r->{status}, 200, 'through the gateway: variant accepted');
is(image()->{name}, 'renamed-ct', 'GET shows the rename');

# another IMS system attribute
$r = patch($V21, '[{"op":"replace","path":"/__os_bit","value":"32"}]');
is($r->{status}, 400, '__os_bit is a system attribute too');
is(image()->{__os_bit}, '64', '__os_bit unchanged');

# a patch that Glance would read in two ways: a repeated member
$r = patch($V21, '[{"op":"replace","path":"/name","path":"/__os_bit",'
                 . '"value":"16"}]');
is($r->{status}, 400, 'duplicate member rejected');
is(image()->{__os_bit}, '64', '__os_bit unchanged by a duplicate member');

$t->stop;

# the query gate: Glance has no /v2/cloudimages, so it is mapped to the
# image list as in `make run`
$t = NgxTest->new(upstream => "127.0.0.1:$port", config => <<'EOF');
        location = /v2/cloudimages {
            ims_gateway on;
            proxy_pass http://backend/v2/images;
        }
EOF

for my $q ('__imagetype=private&sort=name:asc&limit=5',
           'sort_key=name&sort_key=created_at&sort_dir=asc&limit=10',
           "marker=$id", 'created_at=lt:2100-01-01T00:00:00Z',
           'name=eq:renamed-ct', 'visibility=shared&member_status=accepted') {
    $r = $t->request(uri => "/v2/cloudimages?$q");
    is($r->{status}, 200, "?$q: answered by Glance");
    is(ref json_body($r)->{images}, 'ARRAY', "?$q: a list of images");
}

$r = $t->request(uri => '/v2/cloudimages?__imagetype=private');
is((json_body($r)->{images} // [])->[0]{id}, $id, 'the sample image is listed');

for my $q ('limit=-1', 'created_at=lt:2018-02-30T00:00:00Z',
           '__imagetype=bogus', 'member_status=accepted', 'limit=1;limit=2',
           'foo=1;visibility=all') {
    $r = $t->request(uri => "/v2/cloudimages?$q");
    is($r->{status}, 400, "?$q: stopped at the gateway");
    like($r->{body}, qr/"code":"IMG\.\d{4}"/, "?$q: IMS error");
}

$t->stop;

done_testing;
