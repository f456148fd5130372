#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Sanity of the test harness itself (t/lib/NgxTest.pm, t/lib/Recorder.pm)
# against plain nginx, without the module: harness bugs show up here and
# not as mysterious gateway failures.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use Test::More;
use NgxTest;

my $F = NgxTest::features();

my $plain = <<'EOF' . ($F->{sub} ? <<'EOF' : '');
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }

        location /text {
            return 200 "hello\n";
        }
EOF
        location /chunked {
            default_type text/html;
            sub_filter a bb;
            sub_filter_once off;
            return 200 "aaa";       # sub_filter drops the length: chunked
        }
EOF

my $t = NgxTest->new(module => 0, config => $plain);

like($t->port, qr/^[1-9]\d{0,4}$/, 'a port number');
cmp_ok($t->port, '<', 65536, 'a port number below 65536');
isnt($t->port, $t->upstream_port, 'nginx and recorder on different ports');
like(NgxTest::default_config(), qr/ims_gateway on;/, 'default config');

# plain request, response with Content-Length
my $r = $t->request(uri => '/text');
is($r->{status}, 200, 'GET status');
is($r->{body}, "hello\n", 'GET body');
is_deeply($r->{headers}{'content-length'}, [6], 'headers are lists');
ok($r->{closed}, 'Connection: close by default');

# chunked response
SKIP: {
    skip("$NgxTest::BINARY lacks the sub module: no chunked response", 2)
        unless $F->{sub};
    $r = $t->request(uri => '/chunked');
    is_deeply($r->{headers}{'transfer-encoding'}, ['chunked'],
              'chunked response');
    is($r->{body}, 'bbbbbb', 'chunked response decoded');
}

# HEAD: no body although a length is announced
$r = $t->request(method => 'HEAD', uri => '/text');
is($r->{status}, 200, 'HEAD status');
is($r->{body}, '', 'HEAD has no body');

# the recorder echoes the raw request and logs it
my $body = join ',', map { qq{"k$_"} } 1 .. 100;
$r = $t->request(method => 'PATCH', uri => '/a/b?x=1&y=%20',
                 headers => ['X-Dup' => 'one', 'X-Other' => 'o',
                             'X-Dup' => 'two'],
                 body => $body);
is($r->{status}, 200, 'proxied status');
is_deeply($r->{headers}{'content-type'}, ['application/octet-stream'],
          'recorder content type');
like($r->{body}, qr{\APATCH /a/b\?x=1&y=%20 HTTP/1\.1\r\n}, 'echoed request');

my @up = $t->upstream_requests;
is(scalar @up, 1, 'one upstream request');
is($up[0]{method}, 'PATCH', 'upstream method');
is($up[0]{uri}, '/a/b?x=1&y=%20', 'upstream uri');
is_deeply($up[0]{headers}{'x-dup'}, ['one', 'two'], 'duplicates kept');
like($up[0]{raw}, qr/X-Dup: one\r\nX-Other: o\r\nX-Dup: two\r\n/,
     'header order kept');
is($up[0]{body}, $body, 'upstream body');
is($up[0]{raw}, $r->{body}, 'echo equals log');

# chunked request body with many small chunks: de-chunked by nginx
$body = 'x' x 5000;
$r = $t->request(method => 'PUT', uri => '/c', body => $body,
                 chunked => [1, 7, 100]);
is($r->{status}, 200, 'chunked request');
@up = $t->upstream_requests;
is($t->upstream_count, 2, 'upstream_count');
is($up[1]{body}, $body, 'chunked body arrives intact');
is_deeply($up[1]{headers}{'content-length'}, [5000],
          'upstream gets Content-Length');
is(NgxTest::chunk('abcdef', [1, 2]), "1\r\na\r\n2\r\nbc\r\n2\r\nde\r\n"
                                      . "1\r\nf\r\n0\r\n\r\n", 'chunk()');

# body in pieces, sent slowly
$r = ($t->raw([NgxTest::http_request(method => 'POST', uri => '/slow',
                                     headers => ['Content-Length' => 6]),
               'abc', 'def'], delay => 0.1))[0];
is($r->{status}, 200, 'slow upload');
is(($t->upstream_requests)[-1]{body}, 'abcdef', 'slow upload body');

# pipelining: keep-alive stays open, Connection: close closes
my @res = $t->raw(NgxTest::http_request(uri => '/text', keepalive => 1) x 2,
                  expect => 2);
is(scalar @res, 2, 'two pipelined responses');
ok(!$res[1]{closed}, 'keep-alive connection left open');

@res = $t->raw(NgxTest::http_request(uri => '/text', keepalive => 1)
               . NgxTest::http_request(uri => '/u1', keepalive => 1)
               . NgxTest::http_request(uri => '/u2'), expect => 5,
               timeout => 2);
is(scalar @res, 3, 'three responses, not more');
is($res[2]{body} =~ m{^GET (\S+)} && $1, '/u2', 'order kept');
ok($res[2]{closed}, 'closed after Connection: close');

# nginx's own 400 to garbage closes the connection
@res = $t->raw("GARBAGE\r\n\r\n", expect => 1);
is($res[0]{status}, 400, 'bad request line');
ok($res[0]{closed}, 'special 400 closes');

# logs
ok(NgxTest::wait_for(sub { $t->access_log =~ m{"GET /u2 HTTP/1.1" 200} }),
   'access log');
SKIP: {
    skip("$NgxTest::BINARY lacks --with-debug: no debug log", 1)
        unless $F->{debug};
    like($t->error_log, qr/\[debug\]/, 'debug error log');
}
like($t->error_log, qr/client sent invalid method/, 'error log content');

my $pid = $t->{pid};
$t->stop;
ok(!kill(0, $pid), 'nginx gone after stop');

# startup failure is reported, not hung
my $bad = eval { NgxTest->new(module => 0, config => 'no_such_directive;') };
ok(!$bad, 'broken config dies');
like($@, qr/unknown directive "no_such_directive"/, 'with nginx message');

# a port taken by someone else before nginx binds it (another test run):
# nginx is started again on another port
{
    my $busy = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Listen => 1)
        or die "listen: $!\n";
    my $taken = $busy->sockport;
    my $real = \&NgxTest::free_port;
    my $handed = 0;
    no warnings 'redefine';
    local *NgxTest::free_port = sub { $handed++ ? $real->() : $taken };

    $t = NgxTest->new(module => 0, config => $plain);
    isnt($t->port, $taken, 'a port taken before the bind: another one used');
    is($t->request(uri => '/text')->{status}, 200, '... and nginx serves');
    $t->stop;
}

# HTTP/2 (h2c prior knowledge) and more than one worker
SKIP: {
    skip("$NgxTest::BINARY lacks the HTTP/2 module", 4) unless $F->{http2};

    $t = NgxTest->new(module => 0, http2 => 1, workers => 2,
                      config => $plain);
    my ($out, $rc) = $t->nghttp('-s', '/text', '/proxied');
    is($rc, 0, 'nghttp exit code') or diag($out);
    like($out, qr/200 .*\/text/, 'nghttp stats');
    @up = $t->upstream_requests;
    is(scalar @up, 1, 'h2 request proxied');
    is($up[0]{uri}, '/proxied', 'h2 upstream uri');
    $t->stop;
}

# upstream given as host:port, no recorder
$t = NgxTest->new(module => 0, upstream => '127.0.0.1:9', config => $plain);
is($t->upstream_port, 9, 'external upstream port');
is($t->request(uri => '/x')->{status}, 502, 'external upstream used');
is($t->upstream_count, 0, 'no recorder log');
$t->stop;

# nginx -t
my ($code, $msg) = NgxTest::nginx_t("events {}\nhttp {}\n", module => 0);
is($code, 0, 'nginx -t ok') or diag($msg);
($code, $msg) = NgxTest::nginx_t("events {}\nhttp { bogus on; }\n",
                                 module => 0);
isnt($code, 0, 'nginx -t fails');
like($msg, qr/unknown directive "bogus"/, 'nginx -t message');

done_testing;
