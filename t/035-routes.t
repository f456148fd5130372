#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# The route model and the method-override check through nginx
# (docs/rules.md, "Routes" and "Method override"), against the recording
# upstream: what an alias route forwards, byte for byte; what an override
# costs (400 IMG.0017, nothing forwarded, the connection kept, the reason
# logged); monitor mode; HTTP/2; the API prefix.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use NgxTest;
use Ims;

NgxTest::require_module();

my $UUID = '6f1b6a0e-6f3c-4c0e-9a51-2b0b8e7a1c01';

# the access log is written after the response: wait for the line
sub logged {
    my ($t, $re) = @_;
    NgxTest::wait_for(sub { $t->file('ims.log') =~ $re });
    return $t->file('ims.log');
}

my $t = NgxTest->new(http_config => <<'EOF', config => <<'EOF');
    log_format ims '$request_method $request_uri ims=$ims_verdict '
                   'code=$ims_error_code reason="$ims_reason"';
EOF
        ims_gateway on;
        access_log %%DIR%%/ims.log ims;

        # headers named with "_" reach the backend (and WSGI) too
        underscores_in_headers on;

        location / {
            proxy_pass http://backend;
        }

        location /monitor/ {
            ims_gateway monitor;
            proxy_pass http://backend;
        }
EOF

### an accepted patch on an alias: forwarded as sent, with the canonical type

for my $uri ("/v2.1/images/$UUID", "/v2.0/images/$UUID",
             "/%76%32%2e%31/images/$UUID", "//v2.16/images/$UUID",
             "/images/$UUID") {
    my $n = $t->upstream_count;
    my $r = $t->request(method => 'PATCH', uri => $uri, body => $RENAME,
                        headers => ['Content-Type' =>
                                    'Application/OpenStack-Images-v2.1-JSON-Patch'
                                    . '; charset=UTF-8']);
    is($r->{status}, 200, "valid patch on $uri: 200");
    is($t->upstream_count, $n + 1, "$uri: forwarded once");
    my $up = ($t->upstream_requests)[-1];
    is("$up->{method} $up->{uri}", "PATCH $uri", "$uri: request line as sent");
    is($up->{body}, $RENAME, "$uri: body byte for byte");
    is_deeply($up->{headers}{'content-type'}, [$V21],
              "$uri: one canonical Content-Type");
}

### a forbidden edit on each alias, and the near misses that are not routes

for my $uri ("/v2.1/images/$UUID", "/v2.15/images/$UUID",
             "/%76%32%2e%31/images/$UUID", "//v2.1/images/$UUID",
             "/images/$UUID", "/v2/imag%65s/$UUID", "/v2.1/x/../images/$UUID") {
    my $n = $t->upstream_count;
    my $r = $t->request(method => 'PATCH', uri => $uri, body => $FORBIDDEN,
                        headers => ['Content-Type' => $V21]);
    is($r->{status}, 400, "forbidden edit on $uri: 400");
    is(error_code($r), 'IMG.0105', "$uri: IMG.0105");
    is($t->upstream_count, $n, "$uri: nothing forwarded");
}

my $r = $t->request(method => 'PATCH', uri => '/v2.1/images/not-a-uuid',
                    body => $RENAME, headers => ['Content-Type' => $V21]);
is(error_code($r), 'IMG.0066', '/v2.1/images/not-a-uuid: IMG.0066');

for my $uri ("/v2./images/$UUID", "/v2.x/images/$UUID", "/v3/images/$UUID",
             "/v2.1images/$UUID", "/imagesX/$UUID", "/v2.1/images/$UUID/",
             "/images/$UUID/", "/v2.1/images/$UUID/file") {
    my $n = $t->upstream_count;
    $r = $t->request(method => 'PATCH', uri => $uri, body => $FORBIDDEN,
                     headers => ['Content-Type' => $V21]);
    is($r->{status}, 200, "$uri: not a route, forwarded");
    is($t->upstream_count, $n + 1, "$uri: reached the upstream");
}

### queries: ";" splits, aliases, forwarded exactly as received

for my $q ('limit=5;__imagetype=gold', ';limit=5;;sort_key=name;&',
           'name=a%3Bb', 'foo=1;bar=2') {
    for my $path ('/v2/cloudimages', '/v2.1/cloudimages', '/cloudimages') {
        my $n = $t->upstream_count;
        $r = $t->request(uri => "$path?$q");
        is($r->{status}, 200, "$path?$q: 200");
        is(($t->upstream_requests)[-1]{uri}, "$path?$q",
           "$path?$q: forwarded unchanged")
            if $t->upstream_count == $n + 1;
    }
}

for my $q ('foo=1;visibility=all', 'limit=5;limit=6', 'x=1;__imagetype=Gold') {
    for my $path ('/v2/cloudimages', '/v2.1/cloudimages', '//cloudimages') {
        my $n = $t->upstream_count;
        $r = $t->request(uri => "$path?$q");
        is($r->{status}, 400, "$path?$q: 400");
        is($t->upstream_count, $n, "$path?$q: nothing forwarded");
    }
}

### method override: refused on every route, the connection kept

my @overrides = (
    ['POST', "/v2/images/$UUID?_method=PATCH", [], qr/'_method'/],
    ['DELETE', '/v2/cloudimages?_method=GET&member_status=all', [],
        qr/'_method'/],
    ['GET', '/anything?a=1;%5Fmethod=PUT', [], qr/'_method'/],
    ['GET', '/v2/cloudimages?limit=1&_m%65thod=GET', [], qr/'_method'/],
    ['POST', '/v2/images', ['Content-Type' => 'multipart/form-data; b=x'],
        qr/form/],
    ['POST', "/v2/images/$UUID",
        ['Content-Type' => 'Application/X-WWW-Form-Urlencoded'], qr/form/],
    ['PATCH', "/v2/images/$UUID", ['Content-Type' => $V21,
                                   'X-HTTP-Method-Override' => 'PUT'],
        qr/header/],
    ['GET', '/v2/images', ['X-HTTP-Method' => 'DELETE'], qr/header/],
    ['GET', '/', ['x-method-override' => 'DELETE'], qr/header/],
    ['GET', '/v2/images', ['X_HTTP_Method_Override' => 'DELETE'], qr/header/],
    ['PATCH', "/v2/images/$UUID", ['Content-Type' => $V21,
                                   'X-Http_Method' => 'PUT'], qr/header/],
    ['POST', '/v2/images', ['Content-Type' => 'application/json',
                            'Content-Type' => 'multipart/form-data'],
        qr/form/],
    ['POST', "/v2/images/$UUID",
        ['Content-Type' => 'application/x-www-form-urlencoded',
         'Content-Type' => 'application/json'], qr/form/],
);

for my $o (@overrides) {
    my ($method, $uri, $headers, $detail) = @$o;
    my $n = $t->upstream_count;
    my @res = $t->raw(NgxTest::http_request(method => $method, uri => $uri,
                                            headers => $headers,
                                            body => '_method=PATCH',
                                            keepalive => 1)
                      . NgxTest::http_request(uri => '/after'),
                      expect => 2);
    is($res[0]{status}, 400, "$method $uri: 400");
    is(error_code($res[0]), 'IMG.0017', "$method $uri: IMG.0017");
    like((eval { decode_json($res[0]{body}) } // {})->{error}{message} // '',
         qr/Method override is not supported.*$detail/,
         "$method $uri: the message says why");
    is($res[1]{status}, 200, "$method $uri: the connection stays usable");
    my @up = $t->upstream_requests;
    is(scalar @up, $n + 1, "$method $uri: only the next request forwarded");
    is($up[-1]{uri}, '/after', "$method $uri: the body was not read as a "
                               . 'request');
}

like(logged($t, qr{^DELETE /v2/cloudimages}m),
     qr{^DELETE /v2/cloudimages\?_method=GET&member_status=all ims=reject }m,
     'access log: the override is a reject');
like(logged($t, qr{^POST /v2/images/\S+ ims=}m),
     qr{^POST /v2/images/\S+ ims=reject code=IMG\.0017 reason="Method override}m,
     'access log: $ims_error_code and $ims_reason');
like($t->error_log,
     qr/ims: rejected with 400 IMG\.0017: Method override is not supported/,
     'error log: the rejection and why');

# requests that are not overrides are not inspected at all
my $n = $t->upstream_count;
for my $req (['GET', '/v2/images?x=_method'], ['POST', '/v2/images?a_method=1'],
             ['PUT', '/v2/images?_methods=1']) {
    $r = $t->request(method => $req->[0], uri => $req->[1], body => '{}',
                     headers => ['Content-Type' => 'application/json']);
    is($r->{status}, 200, "$req->[0] $req->[1]: not an override, forwarded");
}
is($t->upstream_count, $n + 3, 'all three reached the upstream');

# names near the override headers', and a Content_Type the backend does not
# read as the Content-Type, are other headers
$n = $t->upstream_count;
for my $h (['X_HTTP_Method_Overrides' => 'PUT'], ['X-HTTP-Methods' => 'PUT'],
           ['Content_Type' => 'application/x-www-form-urlencoded']) {
    $r = $t->request(method => 'POST', uri => '/v2/images', body => '{}',
                     headers => ['Content-Type' => 'application/json', @$h]);
    is($r->{status}, 200, "POST with $h->[0]: forwarded");
    my ($up) = reverse $t->upstream_requests;
    is_deeply($up->{headers}{lc $h->[0]}, [$h->[1]],
              "POST with $h->[0]: the header forwarded as sent");
}
is($t->upstream_count, $n + 3, 'all three reached the upstream');
for my $line ('GET /v2/images?x=_method', 'POST /v2/images?a_method=1',
              'PUT /v2/images?_methods=1') {
    like(logged($t, qr{^\Q$line\E }m), qr{^\Q$line\E ims= code= }m,
         "$line: not judged");
}

### monitor mode: reported, forwarded unchanged

$n = $t->upstream_count;
$r = $t->request(method => 'POST', uri => "/monitor/x?_method=PATCH",
                 body => '[]', headers => ['X-HTTP-Method-Override' => 'PUT']);
is($r->{status}, 200, 'monitor: an override is forwarded');
is($t->upstream_count, $n + 1, 'monitor: reached the upstream');
is(($t->upstream_requests)[-1]{uri}, '/monitor/x?_method=PATCH',
   'monitor: unchanged');
like(logged($t, qr{^POST /monitor/x}m),
     qr{^POST /monitor/x\?_method=PATCH ims=would_reject code=IMG\.0017 }m,
     'monitor: would_reject in the access log');
like($t->error_log, qr/ims: would reject with 400 IMG\.0017/,
     'monitor: would reject in the error log');

$t->stop;

### HTTP/2: the same checks

SKIP: {
    skip('nghttp (nghttp2-client) not installed', 6)
        if system('command -v nghttp >/dev/null 2>&1') != 0;
    skip("$NgxTest::BINARY lacks the HTTP/2 module", 6)
        unless NgxTest::features()->{http2};

    $t = NgxTest->new(http2 => 1, config => <<'EOF');
        ims_gateway on;

        location / {
            proxy_pass http://backend;
        }
EOF

    my ($out) = $t->nghttp('-v', '-H', 'x-http-method-override: PATCH',
                           "/v2/images/$UUID");
    like($out, qr/:status: 400/, 'HTTP/2: override header, 400');
    like($out, qr/IMG\.0017/, 'HTTP/2: IMG.0017');

    ($out) = $t->nghttp('-v', "/v2.1/cloudimages?a=1;visibility=all");
    like($out, qr/:status: 400/, 'HTTP/2: ";" query on an alias, 400');

    my $body = "$t->{dir}/patch.json";
    open my $fh, '>', $body or die "$!\n";
    print $fh $FORBIDDEN;
    close $fh;
    ($out) = $t->nghttp('-v', '-d', $body, '-H', ":method: PATCH",
                        '-H', "content-type: $V21", "/v2.1/images/$UUID");
    like($out, qr/:status: 400/, 'HTTP/2: forbidden edit on /v2.1, 400');
    like($out, qr/IMG\.0105/, 'HTTP/2: IMG.0105');
    is($t->upstream_count, 0, 'HTTP/2: nothing forwarded');

    $t->stop;
}

### the API prefix

$t = NgxTest->new(config => <<'EOF');
        ims_gateway on;
        ims_api_prefix /image/;

        location / {
            proxy_pass http://backend;
        }

        # "off" undoes an inherited prefix (a test of it, not advice)
        location /image/v2.1/ {
            ims_api_prefix off;
            proxy_pass http://backend;
        }
EOF

for my $uri ("/image/v2/images/$UUID", "/image/v2.15/images/$UUID",
             "/image/images/$UUID", "//image//v2/images/$UUID",
             "/v2/images/$UUID") {
    $r = $t->request(method => 'PATCH', uri => $uri, body => $FORBIDDEN,
                     headers => ['Content-Type' => $V21]);
    is(error_code($r), 'IMG.0105', "ims_api_prefix /image/: $uri judged");
}

for my $uri ("/imagex/v2/images/$UUID", "/x/image/v2/images/$UUID",
             "/image/v2.1/images/$UUID") {
    $r = $t->request(method => 'PATCH', uri => $uri, body => $FORBIDDEN,
                     headers => ['Content-Type' => $V21]);
    is($r->{status}, 200, "ims_api_prefix /image/: $uri is another route");
}

$r = $t->request(uri => '/image/v2.2/cloudimages?foo=1;limit=x');
is(error_code($r), 'IMG.0017', 'ims_api_prefix: the list under the prefix');

$t->stop;

done_testing;
