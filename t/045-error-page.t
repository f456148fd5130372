#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# When nginx itself fails a body read (413, 400 on a bad chunk) and an
# error_page redirects the request internally, the gateway must let the
# error page through instead of waiting for a body that never comes.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use NgxTest;
use Ims;

NgxTest::require_module();

my $ID = $IMAGE_ID;
my $BODY = '[{"op":"replace","path":"/name","value":"' . 'x' x 100 . '"}]';

my $t = NgxTest->new(config => <<'EOF');
        ims_gateway on;
        client_max_body_size 100;
        error_page 400 413 /error;

        location / {
            proxy_pass http://backend;
        }

        # reached after the precontent phase, where the gateway runs
        location = /error {
            proxy_pass http://backend/error-page;
            proxy_method GET;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Transfer-Encoding "";
        }
EOF

# the chunked body goes over the limit while it is read, piece by piece
my $head = "PATCH /v2/images/$ID HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
           . "Content-Type: $V21\r\nTransfer-Encoding: chunked\r\n\r\n";
my @pieces = ($head, map { sprintf("14\r\n%s\r\n", 'x' x 20) } 1 .. 8);

my @r = $t->raw(\@pieces, expect => 1, timeout => 3, delay => 0.05);
is($r[0]{status}, 413, 'chunked body over the limit, slowly: 413');
like($r[0]{body}, qr{GET /error-page}, 'the error page is served');

my $r = $t->request(method => 'PATCH', uri => "/v2/images/$ID",
                    headers => [ 'Content-Type' => $V21 ], body => $BODY,
                    chunked => [ 20 ], timeout => 3);
is($r->{status}, 413, 'chunked body over the limit: 413');
like($r->{body}, qr{GET /error-page}, 'the error page is served');

# over the limit by Content-Length: refused before the body is read
$r = $t->request(method => 'PATCH', uri => "/v2/images/$ID",
                 headers => [ 'Content-Type' => $V21 ], body => $BODY,
                 timeout => 3);
is($r->{status}, 413, 'Content-Length over the limit: 413');
like($r->{body}, qr{GET /error-page}, 'the error page is served');

# a malformed chunk
@r = $t->raw("PATCH /v2/images/$ID HTTP/1.1\r\nHost: x\r\n"
                . "Content-Type: $V21\r\nTransfer-Encoding: chunked\r\n\r\n"
                . "zz\r\n[]\r\n0\r\n\r\n", expect => 1, timeout => 3);
is($r[0]{status}, 400, 'bad chunk: 400');
like($r[0]{body}, qr{GET /error-page}, 'the error page is served');

is(scalar(grep { $_->{method} ne 'GET' } $t->upstream_requests), 0,
   'no PATCH reached the upstream');

$t->stop;

done_testing();
