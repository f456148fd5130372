#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# What reaches the upstream: accepted patches byte-for-byte with the one
# canonical Content-Type (body in memory, in a temporary file, chunked,
# HTTP/2), nothing of rejected ones; connection handling around rejects
# (pipelining, keep-alive); internal redirects keep the verdict.
# The upstream is the harness's recorder (t/lib/Recorder.pm).

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
my $URI  = "/v2/images/$UUID";


# about 210 KB, 800 operations on custom attributes
my $BIG = '[' . join(',', map {
    sprintf '{"op":"add","path":"/k%03d","value":"%s"}', $_, 'v' x 230
} 1 .. 800) . ']';

# n operations of 55 bytes: with the default depth limit the reader's
# scratch is on the stack for 52 (2,861 bytes), in the request pool for 53
sub ops {
    my ($n) = @_;
    return '[' . join(',', map {
        sprintf '{"op":"add","path":"/k%03d","value":"%s"}', $_, 'v' x 16
    } 1 .. $n) . ']';
}

sub patch {
    my ($ct, $body, %more) = @_;
    return (method => 'PATCH', uri => $URI, body => $body,
            headers => [defined $ct ? ('Content-Type' => $ct) : (),
                        @{ delete $more{headers} // [] }],
            %more);
}

my $t = NgxTest->new(http_config => <<'EOF');
    client_body_buffer_size 1k;
    client_max_body_size 1m;
EOF

### accepted: forwarded byte-for-byte, one canonical Content-Type

my @accepted = (
    # title, Content-Type sent, body, what the upstream must see, options
    ['v2.1, in memory',       $V21, $RENAME,   $V21],
    ['v2.0, in memory',       $V20, $RENAME20, $V20],
    ['mixed case, charset',
        'Application/OpenStack-Images-v2.1-JSON-Patch; charset=UTF-8',
        $RENAME, $V21],
    ['spaces, quoted charset',
        'application/openstack-images-v2.0-json-patch ; charset="utf-8"',
        $RENAME20, $V20],
    ['temp file (210 KB)',    $V21, $BIG,      $V21],
    ['52 ops, scratch on the stack', $V21, ops(52), $V21],
    ['53 ops, scratch in the pool',  $V21, ops(53), $V21],
    ['chunked, 1-byte chunks', $V21, $RENAME,  $V21, chunked => [1]],
    ['chunked, many small chunks, temp file',
        'APPLICATION/OPENSTACK-IMAGES-V2.1-JSON-PATCH', $BIG, $V21,
        chunked => [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]],
);

for my $case (@accepted) {
    my ($title, $ct, $body, $canonical, %opt) = @$case;
    my $before = $t->upstream_count;

    my $r = $t->request(patch($ct, $body, headers => ['X-Trace' => $title],
                              %opt));
    is($r->{status}, 200, "$title: accepted");
    is($t->upstream_count, $before + 1, "$title: forwarded once");

    my $up = ($t->upstream_requests)[-1];
    is($up->{method} . ' ' . $up->{uri}, "PATCH $URI", "$title: route");
    is_deeply($up->{headers}{'content-type'}, [$canonical],
              "$title: one canonical Content-Type");
    ok($up->{body} eq $body, "$title: body byte-for-byte")
        or diag(length($up->{body}) . ' bytes vs ' . length($body));
    is_deeply($up->{headers}{'content-length'}, [length $body],
              "$title: Content-Length");
    ok(!$up->{headers}{'transfer-encoding'}, "$title: de-chunked");
    is_deeply($up->{headers}{'x-trace'}, [$title], "$title: other headers");
}

# a body that comes after the headers is judged when the last byte is in
# (the body handler reruns the phases); one all there is judged at once
for my $case (['accepted', $RENAME, 200], ['rejected', $FORBIDDEN, 400]) {
    my ($title, $body, $status) = @$case;
    my $before = $t->upstream_count;

    my $head = NgxTest::http_request(method => 'PATCH', uri => $URI,
        headers => ['Content-Type' => $V21,
                    'Content-Length' => length $body]);
    my ($r) = $t->raw([$head, substr($body, 0, 10), substr($body, 10)],
                      delay => 0.2);
    is($r->{status}, $status, "body after the headers, $title: $status");
    is($t->upstream_count, $before + ($status == 200),
       "body after the headers, $title: forwarded only if accepted");
    is(($t->upstream_requests)[-1]{body}, $body,
       "body after the headers, $title: intact") if $status == 200;
}

like($t->error_log, qr/a client request body is buffered to a temporary file/,
     'big bodies were spilled to a file');
opendir(my $dh, $t->dir . '/client_body_temp');
is(scalar(grep { !/^\./ } readdir $dh), 0, 'temporary files removed');

my $r = $t->request(method => 'PATCH', uri => "$URI?x=%41&y",
                    headers => ['Content-Type' => $V21], body => $RENAME);
is(($t->upstream_requests)[-1]{uri}, "$URI?x=%41&y", 'query string unchanged');

### rejected: never reaches the upstream

my @rejected = (
    # title, headers, body, status, error code
    ['forbidden attribute', ['Content-Type' => $V21], $FORBIDDEN,
        400, 'IMG.0105'],
    ['forbidden attribute, v2.0', ['Content-Type' => $V20],
        '[{"replace":"/__imagetype","value":"gold"}]', 400, 'IMG.0105'],
    ['forbidden after 799 valid ops', ['Content-Type' => $V21],
        substr($BIG, 0, -1) . ',' . substr($FORBIDDEN, 1), 400, 'IMG.0105'],
    ['forbidden after 51 ops (stack scratch)', ['Content-Type' => $V21],
        substr(ops(51), 0, -1) . ',' . substr($FORBIDDEN, 1), 400, 'IMG.0105'],
    ['forbidden after 52 ops (pool scratch)', ['Content-Type' => $V21],
        substr(ops(52), 0, -1) . ',' . substr($FORBIDDEN, 1), 400, 'IMG.0105'],
    ['invalid JSON', ['Content-Type' => $V21], '[{"op":', 400, 'IMG.0001'],
    ['empty body', ['Content-Type' => $V21], '', 400, 'IMG.0007'],
    ['application/json', ['Content-Type' => 'application/json'], $RENAME,
        415, 'IMG.0001'],
    ['no Content-Type', [], $RENAME, 415, 'IMG.0001'],
    ['duplicate Content-Type',
        ['Content-Type' => $V21, 'Content-Type' => $V21], $RENAME,
        415, 'IMG.0001'],
    ['duplicate Content-Type, second other',
        ['Content-Type' => $V21, 'Content-Type' => 'text/plain'], $RENAME,
        415, 'IMG.0001'],
    ['duplicate Content-Type, different case',
        ['Content-Type' => $V21, 'content-type' => $V20], $RENAME,
        415, 'IMG.0001'],
);

for my $case (@rejected) {
    my ($title, $headers, $body, $status, $code) = @$case;
    my $before = $t->upstream_count;

    for my $chunked (0, 1) {
        my $how = $chunked ? ' (chunked)' : '';
        my $r = $t->request(method => 'PATCH', uri => $URI,
                            headers => $headers, body => $body,
                            chunked => $chunked);
        is($r->{status}, $status, "$title$how: $status");
        is(error_code($r), $code, "$title$how: $code");
        is_deeply($r->{headers}{'content-type'}, ['application/json'],
                  "$title$how: JSON error");
        if ($status == 415) {
            like($r->{headers}{'accept-patch'}[0] // '',
                 qr/\Q$V21\E.*\Q$V20\E|\Q$V20\E.*\Q$V21\E/,
                 "$title$how: Accept-Patch");
        }
    }

    is($t->upstream_count, $before, "$title: nothing reached the upstream");
}

### connection handling around rejects

my $next = NgxTest::http_request(uri => '/after', keepalive => 1);
my $smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

my @pipelined = (
    # title, first request, its status
    ['early 415, body looks like a request',
        NgxTest::http_request(patch('text/plain', $smuggled, keepalive => 1)),
        415],
    ['early 415, JSON body',
        NgxTest::http_request(patch('application/json', $RENAME,
                                    keepalive => 1)), 415],
    ['early 415, 210 KB body',
        NgxTest::http_request(patch('application/json', $BIG,
                                    keepalive => 1)), 415],
    ['early 415, chunked body',
        NgxTest::http_request(patch('text/plain', $smuggled, keepalive => 1,
                                    chunked => [3])), 415],
    ['early 400 (not a UUID), body looks like a request',
        NgxTest::http_request(method => 'PATCH', uri => '/v2/images/x',
                              headers => ['Content-Type' => $V21],
                              body => $smuggled, keepalive => 1), 400],
    ['400 after body, forbidden attribute',
        NgxTest::http_request(patch($V21, $FORBIDDEN, keepalive => 1)), 400],
    ['400 after body, temp file',
        NgxTest::http_request(patch($V21,
            substr($BIG, 0, -1) . ',' . substr($FORBIDDEN, 1),
            keepalive => 1)), 400],
);

for my $case (@pipelined) {
    my ($title, $first, $status) = @$case;
    my $before = $t->upstream_count;

    # both requests in one write: the body must not be read as a request
    my @res = $t->raw($first . $next, expect => 3, timeout => 1);
    is(scalar @res, 2, "$title: exactly two responses");
    is($res[0]{status}, $status, "$title: first $status");
    is($res[1]{status}, 200, "$title: next request served");
    like($res[1]{body}, qr{\AGET /after }, "$title: it was the next request");
    ok(!$res[1]{closed}, "$title: still keep-alive");
    is_deeply($res[0]{headers}{connection}, ['keep-alive'],
              "$title: no Connection: close on the reject");

    # the same, the second request sent after the first response
    @res = $t->raw([$first, $next], expect => 2, delay => 0.3);
    is(join(' ', map { $_->{status} } @res), "$status 200",
       "$title: sequential on one connection");

    is($t->upstream_count, $before + 2, "$title: only GET /after forwarded");
}

ok(NgxTest::wait_for(sub {
    my @lines = split /\n/, $t->access_log;
    @lines == grep m{"(GET|PATCH) /\S* HTTP/1\.1" \d{3} }, @lines;
}), 'access log: every line a real request, no garbage');
unlike($t->access_log, qr/smuggled/, 'access log: nothing smuggled');
ok(!grep({ $_->{uri} =~ /smuggled/ } $t->upstream_requests),
   'upstream: nothing smuggled');

$t->stop;

### HTTP/2

SKIP: {
skip("$NgxTest::BINARY lacks the HTTP/2 module", 1)
    unless NgxTest::features()->{http2};

$t = NgxTest->new(http2 => 1, http_config => <<'EOF', config => <<'EOF');
    client_body_buffer_size 1k;
    log_format conn '$connection $status "$request"';
EOF
        access_log %%DIR%%/conn.log conn;
        location / {
            ims_gateway on;
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
EOF

sub h2 {
    my ($ct, $body, @uris) = @_;
    my $file = $t->dir . '/h2-body';
    open my $fh, '>', $file or die "$file: $!\n";
    print $fh $body;
    close $fh;

    my ($out, $rc) = $t->nghttp('-n', '-r', '-', '-H', ':method: PATCH',
                                '-H', "content-type: $ct", '-d', $file, @uris);
    my $har = eval { decode_json($out) };
    diag("nghttp exit $rc: $out") unless $rc == 0 && $har;
    return map { $_->{response}{status} } @{ $har->{log}{entries} // [] };
}

for my $case (['small', $RENAME], ['210 KB, temp file', $BIG]) {
    my ($title, $body) = @$case;
    my $before = $t->upstream_count;
    my @status = h2('Application/OpenStack-Images-v2.1-JSON-Patch; charset=utf-8',
                    $body, $URI);
    is("@status", '200', "h2 $title: accepted");
    is($t->upstream_count, $before + 1, "h2 $title: forwarded once");
    my $up = ($t->upstream_requests)[-1];
    ok($up->{body} eq $body, "h2 $title: body byte-for-byte");
    is_deeply($up->{headers}{'content-type'}, [$V21],
              "h2 $title: canonical Content-Type");
}

my $before = $t->upstream_count;
is(join(' ', h2($V21, $FORBIDDEN, $URI)), '400', 'h2 forbidden: 400');
is($t->upstream_count, $before, 'h2 forbidden: not forwarded');
is(join(' ', h2('application/json', $BIG, $URI)), '415',
   'h2 early reject of a big body: 415');

# one connection, a rejected (not a UUID) and an accepted stream
my @status = h2($V21, $RENAME, '/v2/images/not-a-uuid', $URI,
                '/v2/images/6F1B6A0E-6F3C-4C0E-9A51-2B0B8E7A1C0Z');
is("@status", '400 200 400', 'h2: rejected and accepted streams');
is($t->upstream_count, $before + 1, 'h2: only the accepted stream forwarded');
ok(NgxTest::wait_for(sub {
    my @c = $t->file('conn.log') =~ /^(\d+) \d+ "PATCH/mg;
    @c >= 3 && $c[-1] == $c[-2] && $c[-2] == $c[-3];
}), 'h2: the three streams shared one connection');

$t->stop;
}

### internal redirects keep the verdict and do not parse twice

# Every judged body adds one "http ims body of N bytes judged" to the debug
# log: whether the gate is on in one location or in both, the accepted
# request's body is judged once.

my %redirect = (
    'try_files' => 'try_files /nonexistent @backend;',
    'error_page' => 'error_page 405 = @backend;    # static: PATCH is 405',
);

for my $kind (sort keys %redirect) {
    my %judged;

    for my $gates (['on', 'on'], ['on', 'off'], ['off', 'on'], ['off', 'off']) {
        my ($first, $named) = @$gates;
        my $title = "$kind, gate $first/$named";

        $t = NgxTest->new(config => <<"EOF");
        location /v2/images/ {
            ims_gateway $first;
            root %%DIR%%;
            $redirect{$kind}
        }

        location \@backend {
            ims_gateway $named;
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
EOF

        my $r = $t->request(patch('Application/OpenStack-Images-v2.1-JSON-Patch',
                                  $RENAME));
        is($r->{status}, 200, "$title: accepted");
        my @up = $t->upstream_requests;
        is(scalar @up, 1, "$title: forwarded once");
        is_deeply($up[0]{headers}{'content-type'},
                  [$first eq 'off' && $named eq 'off'
                   ? 'Application/OpenStack-Images-v2.1-JSON-Patch' : $V21],
                  "$title: Content-Type");
        is($up[0]{body}, $RENAME, "$title: body");
        $judged{"$first/$named"} =
            () = $t->error_log =~ /http ims body of \d+ bytes judged/g;

        unless ($first eq 'off' && $named eq 'off') {
            $r = $t->request(patch($V21, $FORBIDDEN));
            is($r->{status}, 400, "$title: forbidden edit rejected");
            is(error_code($r), 'IMG.0105', "$title: IMG.0105");
            is($t->upstream_count, 1, "$title: rejected one not forwarded");
        }

        $t->stop;
    }

    SKIP: {
        skip("$NgxTest::BINARY lacks --with-debug: the judged bodies are "
             . 'counted in the debug log', 4)
            unless NgxTest::features()->{debug};

        is($judged{'on/on'}, 1, "$kind: on/on judges the body once");
        is($judged{'on/off'}, 1, "$kind: on/off judges the body once");
        is($judged{'off/on'}, 1, "$kind: off/on judges the body once");
        is($judged{'off/off'}, 0, "$kind: off/off judges nothing");
    }
}

done_testing;
