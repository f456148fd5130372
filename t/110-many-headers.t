#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# The headers the gateway reads (docs/rules.md, "Method override" and
# "Content-Type") wherever they stand in a long request: nginx keeps a
# request's headers in a list of parts of 20, and a Content-Type or an
# override header in a later part must count as much as the first header.
# Also a variable ims_gateway given twice at one level (nginx -t).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use NgxTest;
use Ims;

NgxTest::require_module();

my $URI = "/v2/images/$IMAGE_ID";

# n harmless headers, to push what follows past the first parts
sub padding {
    my ($n) = @_;
    return map { ("X-Pad-$_" => "p$_") } 1 .. $n;
}

my $t = NgxTest->new();

for my $n (0, 19, 20, 21, 45) {
    my $label = "after $n other headers";

    # the Content-Type is found and the body judged
    my $r = $t->request(method => 'PATCH', uri => $URI, body => $FORBIDDEN,
                        headers => [ padding($n), 'Content-Type' => $V21 ]);
    is($r->{status}, 400, "$label: a system attribute: 400");
    is(error_code($r), 'IMG.0105', "$label: IMG.0105");

    $r = $t->request(method => 'PATCH', uri => $URI, body => $RENAME,
                     headers => [ padding($n), 'Content-Type' =>
                                  'Application/OpenStack-Images-v2.1-JSON-'
                                  . 'Patch; charset=utf-8' ]);
    is($r->{status}, 200, "$label: a rename: 200");

    # a second Content-Type, however far from the first: 415
    $r = $t->request(method => 'PATCH', uri => $URI, body => $RENAME,
                     headers => [ 'Content-Type' => $V21, padding($n),
                                  'Content-Type' => $V21 ]);
    is($r->{status}, 415, "$label: a second Content-Type: 415");
    is(error_code($r), 'IMG.0001', "$label: a second Content-Type: IMG.0001");
    is_deeply($r->{headers}{'accept-patch'},
              [ 'application/openstack-images-v2.0-json-patch, '
                . 'application/openstack-images-v2.1-json-patch' ],
              "$label: a second Content-Type: Accept-Patch");

    # each override header: 400 IMG.0017, on any route
    for my $h (qw(X-HTTP-Method-Override X-HTTP-Method X-Method-Override)) {
        $r = $t->request(method => 'GET', uri => '/v2/cloudimages?limit=1',
                         headers => [ padding($n), $h => 'DELETE' ]);
        is($r->{status}, 400, "$label: $h: 400");
        is(error_code($r), 'IMG.0017', "$label: $h: IMG.0017");
    }

    $r = $t->request(method => 'POST', uri => '/v2/images', body => 'a=1',
                     headers => [ padding($n), 'Content-Type' =>
                                  'application/x-www-form-urlencoded' ]);
    is($r->{status}, 400, "$label: a form POST: 400");
    is(error_code($r), 'IMG.0017', "$label: a form POST: IMG.0017");
}

# none of the refused requests reached the backend: only the two renames
# per round did
my @up = $t->upstream_requests;
is(scalar(grep { $_->{method} eq 'PATCH' } @up), 5,
   'only the renames were forwarded');
is(scalar(@up), 5, 'nothing else was forwarded');
is_deeply([ map { $_->{headers}{'content-type'} } @up ],
          [ ([ $V21 ]) x 5 ],
          'each forwarded with the one canonical Content-Type');

$t->stop;

# a variable ims_gateway twice at one level is as much a duplicate as a
# literal one
for my $second ('$ims_mode_b', 'on') {
    my ($rc, $out) = NgxTest::nginx_t(<<"EOF");
events {
    worker_connections 64;
}

http {
    map \$http_x_a \$ims_mode_a { default on; }
    map \$http_x_b \$ims_mode_b { default monitor; }

    server {
        listen 127.0.0.1:8080;
        ims_gateway \$ims_mode_a;
        ims_gateway $second;
    }
}
EOF
    isnt($rc, 0, "ims_gateway \$ims_mode_a, then $second: nginx -t fails");
    like($out, qr/"ims_gateway" directive is duplicate/,
         "ims_gateway \$ims_mode_a, then $second: is duplicate");
}

done_testing();
