#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# The routes the backend itself rewrites (docs/rules.md, "Routes" and
# "Method override"), against real OpenStack Glance.  For each class, the
# forbidden request sent straight to Glance is executed (the image changes,
# or the list runs): the route is real.  Through the gateway it is stopped
# with 400 and the image is unchanged.  A valid patch on an alias route is
# judged and forwarded, and Glance applies it.

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

my $VND = 'application/vnd.openstack.images-v2';

my $glance = Glance->start('routes');
my $port = $glance->port;
my $id = $glance->image('routes-demo');

# the gateway is enabled for the whole server, as docs/rules.md asks; the
# image list is mapped to Glance's /v2/images as in `make run`
my $t = NgxTest->new(upstream => "127.0.0.1:$port", config => <<'EOF');
        ims_gateway on;

        location / {
            proxy_pass http://backend;
        }

        location = /v2/cloudimages {
            proxy_pass http://backend/v2/images;
        }
EOF

my @direct = (port => $port);
my $FLIP = '[{"op":"replace","path":"/__imagetype","value":"gold"}]';
my $RESTORE = '[{"op":"replace","path":"/__imagetype","value":"private"}]';

sub imagetype {
    my $r = $t->request(uri => "/v2/images/$id", @direct);
    return json_body($r)->{__imagetype} // "(GET answered $r->{status})";
}

sub restore {
    my $r = $t->request(method => 'PATCH', uri => "/v2/images/$id",
                        headers => ['Content-Type' => $V21], body => $RESTORE,
                        @direct);
    is($r->{status}, 200, 'restored straight at Glance');
    is(imagetype(), 'private', '__imagetype is private again');
}

sub rejected {
    my ($r, $title, $code, $detail) = @_;
    is($r->{status}, 400, "$title: 400 at the gateway");
    is(json_body($r)->{error}{code}, $code, "$title: $code");
    like(json_body($r)->{error}{message} // '', $detail, "$title: message")
        if $detail;
}

is(imagetype(), 'private', 'initial __imagetype');

# each row: title, method, URI, extra headers; the body is $FLIP with the
# canonical Content-Type unless the headers say otherwise
my @edits = (
    ['/v2.1 alias', 'PATCH', "/v2.1/images/$id", [], 'IMG.0105'],
    ['/v2.0 alias', 'PATCH', "/v2.0/images/$id", [], 'IMG.0105'],
    ['/v2.15 alias', 'PATCH', "/v2.15/images/$id", [], 'IMG.0105'],
    ['encoded /v2.1 alias', 'PATCH', "/%76%32%2e%31/images/$id", [],
        'IMG.0105'],
    ['//v2.1 alias', 'PATCH', "//v2.1/images/$id", [], 'IMG.0105'],
    ['unversioned, Accept', 'PATCH', "/images/$id", [Accept => $VND],
        'IMG.0105'],
    ['POST ?_method=PATCH', 'POST', "/v2/images/$id?_method=PATCH", [],
        'IMG.0017'],
    ['PUT ?_method=PATCH', 'PUT', "/v2/images/$id?_method=PATCH", [],
        'IMG.0017'],
    ['DELETE ?_method=PATCH', 'DELETE', "/v2/images/$id?_method=PATCH", [],
        'IMG.0017'],
    ['GET ?_method=PATCH', 'GET', "/v2/images/$id?_method=PATCH", [],
        'IMG.0017'],
    ['OPTIONS ?_method=PATCH', 'OPTIONS', "/v2/images/$id?_method=PATCH", [],
        'IMG.0017'],
    ['POST ?_method=patch', 'POST', "/v2/images/$id?_method=patch", [],
        'IMG.0017'],
    ['POST ?a=1;_method=PATCH', 'POST', "/v2/images/$id?a=1;_method=PATCH",
        [], 'IMG.0017'],
    ['PATCH on /v2.1 with ?_method=PATCH', 'PATCH',
        "/v2.1/images/$id?_method=PATCH", [], 'IMG.0017'],
);

for my $e (@edits) {
    my ($title, $method, $uri, $headers, $code) = @$e;
    my @req = (method => $method, uri => $uri, body => $FLIP,
               headers => ['Content-Type' => $V21, @$headers]);

    my $r = $t->request(@req);
    rejected($r, $title, $code,
             $code eq 'IMG.0017' ? qr/method override is not supported/i
                                 : qr/__imagetype/);
    is(imagetype(), 'private', "$title: image unchanged");

    $r = $t->request(@req, @direct);
    is($r->{status}, 200, "$title: straight at Glance, 200");
    is(imagetype(), 'gold', "$title: Glance applied the edit");
    restore();
}

# a form POST: Glance takes the method from its _method field, so the
# request reaches the image update (which refuses the form type: 415, not
# the 405 of a plain POST on an image)
my @form = (method => 'POST', uri => "/v2/images/$id", body => '_method=PATCH',
            headers => ['Content-Type' => 'application/x-www-form-urlencoded']);
my $r = $t->request(@form, @direct);
is($r->{status}, 415, 'form POST straight at Glance: the update route (415)');
$r = $t->request(method => 'POST', uri => "/v2/images/$id", body => $FLIP,
                 headers => ['Content-Type' => $V21], @direct);
is($r->{status}, 405, 'a POST that is not a form: 405 at Glance');
rejected($t->request(@form), 'form POST', 'IMG.0017', qr/form/);

# an override header: Glance ignores it, but other backends do not
$r = $t->request(method => 'POST', uri => "/v2/images/$id", body => $FLIP,
                 headers => ['Content-Type' => $V21,
                             'X-HTTP-Method-Override' => 'PATCH']);
rejected($r, 'X-HTTP-Method-Override', 'IMG.0017', qr/header/);
is(imagetype(), 'private', 'override header: image unchanged');

# the image list: an override runs it with unchecked filters
$r = $t->request(method => 'DELETE',
                 uri => '/v2/images?_method=GET&member_status=all', @direct);
is($r->{status}, 200, 'DELETE ?_method=GET straight at Glance: the list');
is(ref json_body($r)->{images}, 'ARRAY', '... a list of images');
rejected($t->request(method => 'DELETE',
                     uri => '/v2/cloudimages?_method=GET&member_status=all'),
         'DELETE /v2/cloudimages?_method=GET', 'IMG.0017', qr/_method/);

# ";" separates parameters at the backend: a filter hidden in a value
$r = $t->request(uri => '/v2/images?foo=1;visibility=all', @direct);
is($r->{status}, 200, 'foo=1;visibility=all straight at Glance: 200');
like(json_body($r)->{first} // '', qr/[?&]visibility=all(?:&|$)/,
     '... Glance read visibility=all as a parameter of its own');
rejected($t->request(uri => '/v2/cloudimages?foo=1;visibility=all'),
         'foo=1;visibility=all', 'IMG.0017', qr/visibility/);
$r = $t->request(uri => '/v2/cloudimages?limit=1;__imagetype=private');
is($r->{status}, 200, 'a valid query split on ";" is answered by Glance');
is(scalar @{ json_body($r)->{images} // [] }, 1, '... with one image (limit=1)');

# a valid patch on an alias is judged and forwarded: Glance applies it
for my $alias ("/v2.1/images/$id", "//v2.0/images/$id", "/images/$id") {
    (my $name = "renamed$alias") =~ tr{/.-}{_}d;
    $r = $t->request(method => 'PATCH', uri => $alias,
                     headers => ['Content-Type' => $V21,
                                 $alias =~ m{^/images} ? (Accept => $VND)
                                                        : ()],
                     body => qq([{"op":"replace","path":"/name",)
                             . qq("value":"$name"}]));
    is($r->{status}, 200, "valid rename on $alias: 200");
    is(json_body($t->request(uri => "/v2/images/$id", @direct))->{name}, $name,
       "valid rename on $alias: applied");
}

$t->stop;

# A deployment that mounts the API under /image/: without ims_api_prefix
# the prefixed update is a route the gateway does not know; with it, every
# alias under the prefix is judged.
my $mount = <<'EOF';
        ims_gateway on;
        %%PREFIX%%

        location /image/ {
            proxy_pass http://backend/;
        }
EOF

(my $plain = $mount) =~ s/%%PREFIX%%//;
$t = NgxTest->new(upstream => "127.0.0.1:$port", config => $plain);
$r = $t->request(method => 'PATCH', uri => "/image/v2/images/$id",
                 headers => ['Content-Type' => $V21], body => $FLIP);
is($r->{status}, 200, 'mounted under /image/, no ims_api_prefix: forwarded');
is(imagetype(), 'gold', '... and Glance applied the edit (the hole)');
restore();
$t->stop;

(my $prefixed = $mount) =~ s/%%PREFIX%%/ims_api_prefix \/image;/;
$t = NgxTest->new(upstream => "127.0.0.1:$port", config => $prefixed);

for my $uri ("/image/v2/images/$id", "/image/v2.1/images/$id",
             "//image//v2/images/$id", "/image/images/$id") {
    $r = $t->request(method => 'PATCH', uri => $uri,
                     headers => ['Content-Type' => $V21, Accept => $VND],
                     body => $FLIP);
    rejected($r, "ims_api_prefix /image: $uri", 'IMG.0105');
}
is(imagetype(), 'private', 'ims_api_prefix: image unchanged');

$r = $t->request(method => 'PATCH', uri => "/image/v2.1/images/$id",
                 headers => ['Content-Type' => $V21],
                 body => '[{"op":"replace","path":"/name","value":"mounted"}]');
is($r->{status}, 200, 'ims_api_prefix: a valid rename is forwarded');
is(json_body($t->request(uri => "/v2/images/$id", @direct))->{name}, 'mounted',
   'ims_api_prefix: Glance applied it');

rejected($t->request(method => 'POST', uri => "/image/v2/images/$id"
                                              . '?_method=PATCH',
                     headers => ['Content-Type' => $V21], body => $FLIP),
         'ims_api_prefix: ?_method=PATCH', 'IMG.0017');
is(imagetype(), 'private', 'ims_api_prefix: image still unchanged');

$t->stop;

done_testing;
