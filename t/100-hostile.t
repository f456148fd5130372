#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Hostile input through a real nginx (2 workers) with the module in front of
# the recording upstream: absurd nesting and sizes, broken UTF-8 and
# surrogates, NUL, huge numbers, duplicate members at every level, hostile
# text echoed in errors, nginx's size limits, request framing attacks, slow
# and aborted bodies, pipelining after rejections, and HTTP/2 (nghttp, and
# frames by hand for stalled and reset streams) with rejected streams next
# to accepted ones on one connection.
#
# For every request: a clear status, nothing of a rejected request reaches
# the upstream, error bodies are JSON that echo no raw markup or control
# bytes; for every nginx: no worker exits (same worker PIDs before and
# after), temporary files removed, no [alert]/[crit] (checked by stop).
# About 35 s.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep time);
use NgxTest;
use Ims;

NgxTest::require_module();

my $UUID = '33ad552d-1149-471c-8190-ff6776174a00';
my $URI  = "/v2/images/$UUID";

my $OK   = '[{"op":"add","path":"/k","value":"v"}]';

my $PROXY = <<'EOF';
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
EOF

# /deep/... and /small/... are the same route with other limits
my $LOCATIONS = <<"EOF";
        location / {
            ims_gateway on;
$PROXY
        }

        location /deep/ {
            ims_gateway on;
            ims_max_depth 2048;
            rewrite ^/deep(/.*)\$ \$1 break;
$PROXY
        }

        location /small/ {
            ims_gateway on;
            client_max_body_size 1k;
            rewrite ^/small(/.*)\$ \$1 break;
$PROXY
        }
EOF

my $HTTP = <<'EOF';
    client_max_body_size 16m;
    client_body_buffer_size 16k;
    client_body_timeout 1s;
    log_format conn '$connection $status "$request"';
EOF

### helpers

# a remove ignores its value: the reader alone judges what is in it
sub in_value { '[{"op":"remove","path":"/x","value":' . $_[0] . '}]' }

# sorted worker PIDs, children of the master ($t->{pid}, daemon off)
sub workers {
    my ($t) = @_;
    my @pids = sort { $a <=> $b }
               map { /(\d+)/ ? $1 : () } `ps --ppid $t->{pid} -o pid=`;
    return "@pids";
}

sub temp_files {
    my ($t) = @_;
    opendir(my $dh, $t->dir . '/client_body_temp') or return 0;
    return scalar grep { !/^\./ } readdir $dh;
}

# an IMS error: strict UTF-8 JSON with the code, no raw markup or controls
sub check_error {
    my ($r, $code, $title) = @_;
    my $e = eval { JSON::PP->new->utf8->decode($r->{body}) };
    ok(ref $e eq 'HASH' && ref $e->{error} eq 'HASH'
       && ($e->{error}{code} // '') eq $code, "$title: $code")
        or diag(substr($r->{body} // '', 0, 300));
    ok($r->{body} !~ /[<>&\x00-\x1f\x7f]/, "$title: nothing raw echoed");
}

sub patch {
    my (%a) = @_;
    return (method => 'PATCH', uri => ($a{prefix} // '') . $URI,
            headers => ['Content-Type' => $a{ct} // $V21,
                        @{ $a{headers} // [] }],
            body => $a{body}, chunked => $a{chunked},
            keepalive => $a{keepalive}, timeout => 30);
}

my $t = NgxTest->new(workers => 2, http_config => $HTTP,
                     config => $LOCATIONS);
# both workers up (slow under valgrind) before they are counted
NgxTest::wait_for(sub { workers($t) =~ /^\d+ \d+$/ }, 10);
my $workers = workers($t);
like($workers, qr/^\d+ \d+$/, "two workers: $workers");

### bodies: every row with Content-Length and chunked (64 KB chunks)

my $DIGITS = '9' x 400;
my $deep = sub { my ($n, $open, $close) = @_; $open x $n . $close x $n };

my @bodies = (
    # title, body, status, code, options

    # nesting
    ['100,000 nested arrays', $deep->(100000, '[', ']'), 400, 'IMG.0001'],
    ['100,000 nested objects',
        '[' . $deep->(100000, '{"a":', '}') =~ s/:\}/:1}/r . ']',
        400, 'IMG.0001'],
    ['100,000 nested arrays in a value',
        in_value($deep->(100000, '[', ']')), 400, 'IMG.0001'],
    ['100,000 unclosed arrays', '[' x 100000, 400, 'IMG.0001'],
    ['ims_max_depth 2048: 2048 levels pass',
        in_value($deep->(2046, '[', ']')), 200, undef, prefix => '/deep'],
    ['ims_max_depth 2048: 2049 levels',
        in_value($deep->(2047, '[', ']')), 400, 'IMG.0001', prefix => '/deep'],
    ['ims_max_depth 2048: 100,000 levels',
        in_value($deep->(100000, '[', ']')), 400, 'IMG.0001',
        prefix => '/deep'],

    # 1,000,000 elements
    ['1,000,000 operations', '[' . join(',', ('{}') x 1000000) . ']',
        400, 'IMG.0001'],
    ['1,000,000 numbers', '[' . join(',', (0) x 1000000) . ']',
        400, 'IMG.0001'],
    ['1,000,000 strings in a removed value',
        in_value('[' . join(',', ('""') x 1000000) . ']'), 200],

    # invalid and overlong UTF-8, anywhere
    ['UTF-8: lone continuation byte', in_value("\"\x80\""), 400, 'IMG.0001'],
    ['UTF-8: 0xff', in_value("\"\xff\""), 400, 'IMG.0001'],
    ['UTF-8: overlong 2 bytes (/)', in_value("\"\xc0\xaf\""), 400, 'IMG.0001'],
    ['UTF-8: overlong 3 bytes', in_value("\"\xe0\x80\xaf\""), 400, 'IMG.0001'],
    ['UTF-8: overlong 4 bytes', in_value("\"\xf0\x80\x80\xaf\""),
        400, 'IMG.0001'],
    ['UTF-8: overlong NUL', in_value("\"\xc0\x80\""), 400, 'IMG.0001'],
    ['UTF-8: encoded surrogate', in_value("\"\xed\xa0\x80\""),
        400, 'IMG.0001'],
    ['UTF-8: above U+10FFFF', in_value("\"\xf4\x90\x80\x80\""),
        400, 'IMG.0001'],
    ['UTF-8: 5-byte form', in_value("\"\xf8\x88\x80\x80\x80\""),
        400, 'IMG.0001'],
    ['UTF-8: truncated in a string', in_value("\"\xe4\xb8\""),
        400, 'IMG.0001'],
    ['UTF-8: truncated at the end', "[\"\xe4\xb8", 400, 'IMG.0001'],
    ['UTF-8: in a path', '[' . op21('add', "/x\xff", '"v"') . ']',
        400, 'IMG.0001'],
    ['UTF-8: in a member name', "[{\"op\":\"remove\",\"p\xc0\xaf\":\"/x\"}]",
        400, 'IMG.0001'],
    ['UTF-8: outside strings', "[\xe4\xb8\x80]", 400, 'IMG.0001'],
    ['UTF-8: valid CJK value passes',
        '[' . op21('add', '/k', "\"\xe9\x95\x9c\xe5\x83\x8f\"") . ']', 200],

    # surrogate escapes
    ['lone high surrogate', in_value('"\ud800"'), 400, 'IMG.0001'],
    ['lone high surrogate U+DBFF', in_value('"\udbff"'), 400, 'IMG.0001'],
    ['lone low surrogate', in_value('"\udc00"'), 400, 'IMG.0001'],
    ['high surrogate then a letter', in_value('"\ud800\u0041"'),
        400, 'IMG.0001'],
    ['two high surrogates', in_value('"\ud800\ud800"'), 400, 'IMG.0001'],
    ['reversed pair', in_value('"\udc00\ud800"'), 400, 'IMG.0001'],
    ['high surrogate at the end of a string', in_value('"x\ud83d"'),
        400, 'IMG.0001'],
    ['lone surrogate in a path', '[' . op21('add', '/\udfff', '"v"') . ']',
        400, 'IMG.0001'],
    ['lone surrogate in a member name',
        '[{"op":"remove","path":"/x","\ud800":1}]', 400, 'IMG.0001'],
    ['paired surrogates in a custom value (outside the BMP)',
        '[' . op21('add', '/k', '"\ud83d\ude00"') . ']', 400, 'IMG.0001'],

    # U+0000
    ['\u0000 in a member name', '[{"op":"remove","path":"/x","\u0000":1}]',
        400, 'IMG.0001'],
    ['\u0000 in a nested member name', in_value('{"a\u0000b":1}'),
        400, 'IMG.0001'],
    ['\u0000 in an attribute name', '[' . op21('add', '/a\u0000', '"v"') . ']',
        400, 'IMG.0001'],
    ['\u0000 in the name', '[' . op21('replace', '/name', '"a\u0000b"') . ']',
        400, 'IMG.0003'],
    ['\u0000 in a custom value (no rule against it)',
        '[' . op21('add', '/k', '"a\u0000b"') . ']', 200],
    ['raw NUL in a string', in_value("\"a\x00b\""), 400, 'IMG.0001'],
    ['raw NUL outside strings', "[\x00]", 400, 'IMG.0001'],

    # numbers
    ['1e400', in_value('1e400'), 400, 'IMG.0001'],
    ['-1E+400', in_value('-1E+400'), 400, 'IMG.0001'],
    ['400-digit integer', in_value($DIGITS), 400, 'IMG.0001'],
    ['negative 400-digit integer', in_value("-$DIGITS"), 400, 'IMG.0001'],
    ['400-digit integer in an array', in_value("[1,$DIGITS]"),
        400, 'IMG.0001'],
    ['400 fraction digits (in range)', in_value("0.$DIGITS"), 200],
    ['leading zeros', in_value('007'), 400, 'IMG.0001'],

    # duplicate members, at every level, compared after unescaping
    ['duplicate op', '[{"op":"remove","op":"add","path":"/x","value":"v"}]',
        400, 'IMG.0001'],
    ['duplicate path',
        '[{"op":"replace","path":"/name","path":"/__os_bit","value":"x"}]',
        400, 'IMG.0001'],
    ['duplicate value',
        '[{"op":"add","path":"/k","value":"a","value":"b"}]', 400, 'IMG.0001'],
    ['duplicate op, escaped', '[{"op":"remove","\u006fp":"add","path":"/x"}]',
        400, 'IMG.0001'],
    ['duplicate path, all escaped',
        '[{"op":"remove","path":"/x","\u0070\u0061\u0074\u0068":"/y"}]',
        400, 'IMG.0001'],
    ['duplicate empty name', in_value('{"":1,"":2}'), 400, 'IMG.0001'],
    ['duplicate non-BMP name',
        in_value('{"\ud83d\ude00":1,"' . "\xf0\x9f\x98\x80" . '":2}'),
        400, 'IMG.0001'],
    ['duplicate at depth 3', in_value('{"b":1,"b":2}'), 400, 'IMG.0001'],
    ['duplicate at depth 10',
        in_value($deep->(7, '{"a":', '}') =~ s/:\}/:{"b":1,"b":2}}/r),
        400, 'IMG.0001'],
    ['duplicate at depth 32 (the limit)',
        in_value($deep->(29, '{"a":', '}') =~ s/:\}/:{"b":1,"b":2}}/r),
        400, 'IMG.0001'],
    ['duplicate in an object in an array',
        in_value('[[1],{"c":[{"d":1,"e":2,"d":3}]}]'), 400, 'IMG.0001'],
    ['duplicate after 10,000 other members',
        in_value('{"d":0,' . join(',', map { "\"m$_\":0" } 1 .. 10000)
                 . ',"d":1}'), 400, 'IMG.0001'],
    ['duplicate in the 1000th operation',
        '[' . join(',', (op21('remove', '/x')) x 999)
        . ',{"op":"remove","path":"/x","path":"/y"}]', 400, 'IMG.0001'],
    ['v2.0: duplicate op key', '[{"replace":"/k","replace":"/__os_bit",'
        . '"value":"v"}]', 400, 'IMG.0001', ct => $V20],
    ['v2.0: duplicate value', '[{"add":"/k","value":"a","value":"b"}]',
        400, 'IMG.0001', ct => $V20],
    ['different case is no duplicate',
        '[{"op":"add","Op":"remove","path":"/k","value":"v"}]', 200],

    # the end of a long body still counts
    ['garbage after 1000 valid operations',
        '[' . join(',', (op21('remove', '/x')) x 1000) . '] x', 400,
        'IMG.0001'],
    ['invalid UTF-8 in the last string of 1000 operations',
        '[' . join(',', (op21('remove', '/x')) x 999) . ','
        . op21('add', '/k', "\"\xc0\"") . ']', 400, 'IMG.0001'],
    ['a 60 KB value of 3-byte characters, split everywhere',
        '[' . op21('add', '/k', '"' . "\xe9\x95\x9c" x 20000 . '"') . ']', 200,
        undef, tiny => 1],
    ['a lone surrogate after 60 KB of 3-byte characters',
        in_value('"' . "\xe9\x95\x9c" x 20000 . '\ud800"'), 400, 'IMG.0001',
        tiny => 1],
);

# bodies of up to 4 KB are also sent in 1-byte chunks: every escape and
# UTF-8 sequence is then split across the buffers the reader is fed
my %MODE = ('' => 0, ' (chunked)' => [65536], ' (1-byte chunks)' => [1]);

for my $row (@bodies) {
    my ($title, $body, $status, $code, %opt) = @$row;
    my $tiny = delete $opt{tiny} || length $body <= 4096;

    for my $how ('', ' (chunked)', $tiny ? ' (1-byte chunks)' : ()) {
        my $before = $t->upstream_count;
        my $r = $t->request(patch(%opt, body => $body,
                                  chunked => $MODE{$how}));

        is($r->{status}, $status, "$title$how: $status")
            or diag(substr($r->{body} // '', 0, 300));

        if ($status == 200) {
            is($t->upstream_count, $before + 1, "$title$how: forwarded");
            my $up = ($t->upstream_requests)[-1];
            ok(defined $up && $up->{body} eq $body,
               "$title$how: body byte-for-byte");
        } else {
            check_error($r, $code, "$title$how");
            is($t->upstream_count, $before, "$title$how: not forwarded");
        }
    }
}

### echoes of hostile text in error bodies

my @echoes = (
    # title, request, status, code
    ['markup in a path',
        {patch(body => '[' . op21('add', '/ <script>&amp;', '"v"') . ']')},
        400, 'IMG.0001'],
    ['escape sequence in a path',
        {patch(body => '[' . op21('add', '/ \u001b[31m', '"v"') . ']')},
        400, 'IMG.0001'],
    ['a line break meant for the error log',
        {patch(body => '[' . op21('add', '/ x\n[error] 1#1: forged', '"v"')
                       . ']')}, 400, 'IMG.0001'],
    ['markup and bad bytes in the Content-Type',
        {patch(ct => "text/<b>\xff\xfe\x01", body => '[]')}, 415, 'IMG.0001'],
    ['markup in a query name',
        {uri => '/v2/cloudimages?%3cscript%3e%ff=1'}, 400, 'IMG.0017'],
    ['markup in a query value',
        {uri => '/v2/cloudimages?limit=%3cscript%3e'}, 400, 'IMG.0017'],
);

for my $row (@echoes) {
    my ($title, $req, $status, $code) = @$row;
    my $before = $t->upstream_count;
    my $r = $t->request(%$req);
    is($r->{status}, $status, "$title: $status");
    check_error($r, $code, $title);
    is($t->upstream_count, $before, "$title: not forwarded");
}

### nginx's size limit in front of the gate (/small: 1k)

my $HEAD = "PATCH /small$URI HTTP/1.1\r\nHost: localhost\r\n"
           . "Content-Type: $V21\r\n";
my $KB2 = in_value('"' . 'x' x 2000 . '"');

my @limits = (
    # title, pieces, expected status
    ['Content-Length over the limit, body never sent',
        ["${HEAD}Content-Length: 2000\r\n\r\n"], 413],
    ['Content-Length over the limit, body sent',
        ["${HEAD}Content-Length: " . length($KB2) . "\r\n\r\n$KB2"], 413],
    ['Content-Length 10^18',
        ["${HEAD}Content-Length: 1000000000000000000\r\n\r\n"], 413],
    ['chunked over the limit, one write',
        ["${HEAD}Transfer-Encoding: chunked\r\n\r\n"
         . NgxTest::chunk($KB2, [100])], 413],
    ['chunked over the limit, slowly',
        ["${HEAD}Transfer-Encoding: chunked\r\n\r\n",
         map { "100\r\n" . 'x' x 256 . "\r\n" } 1 .. 6], 413],
    ['chunked, one huge chunk size',
        ["${HEAD}Transfer-Encoding: chunked\r\n\r\n100000\r\n[]"], 413],
    ['Expect: 100-continue over the limit',
        ["${HEAD}Content-Length: 2000\r\nExpect: 100-continue\r\n\r\n"], 413],
);

for my $row (@limits) {
    my ($title, $pieces, $status) = @$row;
    my $before = $t->upstream_count;
    my $t0 = time;
    my @r = $t->raw($pieces, expect => 1, timeout => 3, delay => 0.1);
    is($r[0]{status}, $status, "$title: $status");
    ok(time - $t0 < 2, "$title: answered at once");
    is_deeply($r[0]{headers}{connection}, ['close'],
              "$title: connection closed");
    is($t->upstream_count, $before, "$title: not forwarded");
}

{
    my $fit = in_value('"' . 'x' x (1024 - length(in_value('""'))) . '"');
    my $r = $t->request(patch(prefix => '/small', body => $fit));
    is($r->{status}, 200, 'exactly client_max_body_size: accepted');
    $r = $t->request(patch(prefix => '/small', body => "$fit "));
    is($r->{status}, 413, 'one byte more: 413');
}

### request framing nginx refuses before the gate (nothing upstream)

my $RAW = "PATCH $URI HTTP/1.1\r\nHost: localhost\r\nContent-Type: $V21\r\n";

my @framing = (
    # title, request, status
    ['Content-Length and Transfer-Encoding',
        "${RAW}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "2\r\n[]\r\n0\r\n\r\n", 400],
    ['two Content-Length headers',
        "${RAW}Content-Length: 2\r\nContent-Length: 2\r\n\r\n[]", 400],
    ['negative Content-Length', "${RAW}Content-Length: -2\r\n\r\n[]", 400],
    ['chunk size overflow',
        "${RAW}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\n[]"
        . "\r\n0\r\n\r\n", 400],
    ['chunk without CRLF',
        "${RAW}Transfer-Encoding: chunked\r\n\r\n2\r\n[]0\r\n\r\n", 400],
    ['Transfer-Encoding gzip, chunked',
        "${RAW}Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n",
        501],
);

for my $row (@framing) {
    my ($title, $req, $status) = @$row;
    my $before = $t->upstream_count;
    my @r = $t->raw($req, expect => 2, timeout => 2);
    is(join(' ', map { $_->{status} } @r), $status, "$title: $status");
    ok(@r && $r[0]{closed}, "$title: connection closed");
    is($t->upstream_count, $before, "$title: not forwarded");
}

{
    my $before = $t->upstream_count;
    my @r = $t->raw("${RAW}Transfer-Encoding: chunked\r\n\r\n"
                    . "2;ext=\"a;b\"\r\n[]\r\n0\r\nX-Trailer: 1\r\n\r\n",
                    expect => 1);
    is($r[0]{status}, 200, 'chunk extension and trailer: accepted');
    my $up = ($t->upstream_requests)[-1];
    ok($t->upstream_count == $before + 1 && $up->{body} eq '[]'
       && !grep(/trailer/, keys %{ $up->{headers} }),
       'chunk extension and trailer: body only, no trailer forwarded');
}

### slow bodies (client_body_timeout 1s)

my $PART = "${RAW}Content-Length: " . length($OK) . "\r\n\r\n"
           . substr($OK, 0, 10);

my @slow = (
    # title, pieces, what happens
    ['Content-Length body stalls', [$PART], 'timeout'],
    ['chunked body stalls in a chunk',
        ["${RAW}Transfer-Encoding: chunked\r\n\r\n20\r\n" . substr($OK, 0, 9)],
        'timeout'],
    ['chunked body stalls between chunks',
        ["${RAW}Transfer-Encoding: chunked\r\n\r\n"
         . substr(NgxTest::chunk($OK, [10]), 0, 15)], 'timeout'],
    ['Expect: 100-continue, body never sent',
        ["${RAW}Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"],
        'timeout'],
    ['body trickles, every piece in time',
        ["${RAW}Content-Length: " . length($OK) . "\r\n\r\n",
         $OK =~ /(.{1,10})/gs], 200],
    ['stalled body behind a bad Content-Type',
        ["PATCH $URI HTTP/1.1\r\nHost: localhost\r\n"
         . "Content-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc"], 415],
);

for my $row (@slow) {
    my ($title, $pieces, $want) = @$row;
    my $before = $t->upstream_count;
    my $t0 = time;
    my @r = $t->raw($pieces, expect => 1, timeout => 5, delay => 0.5);
    my $took = time - $t0;

    if ($want eq 'timeout') {
        ok(!@r || $r[0]{status} == 408, "$title: no answer but 408")
            or diag("got $r[0]{status}");
        ok($took > 0.8 && $took < 3, sprintf "$title: closed after %.1f s",
                                             $took);
        is($t->upstream_count, $before, "$title: not forwarded");
    } else {
        is($r[0]{status}, $want, "$title: $want");
        is($t->upstream_count, $before + ($want == 200),
           "$title: upstream count");
    }
}

# many stalled clients do not hold up the others
{
    my $before = $t->upstream_count;
    my @stalled;
    for (1 .. 40) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port)
            or last;
        syswrite($s, $PART);
        push @stalled, $s;
    }
    is(scalar @stalled, 40, '40 stalled bodies');

    my ($ok, $t0) = (0, time);
    for (1 .. 10) {
        my $r = $t->request(patch(body => $OK));
        $ok++ if $r && $r->{status} == 200;
    }
    is($ok, 10, 'meanwhile 10 valid requests answered');
    ok(time - $t0 < 1, 'without waiting for the stalled ones');

    my $closed = 0;
    my $deadline = time + 4;
    for my $s (@stalled) {
        $s->blocking(0);
        while (time < $deadline) {
            my $n = sysread($s, my $buf, 4096);
            if (defined $n ? $n == 0 : !$!{EAGAIN}) { $closed++; last }
            sleep 0.05;
        }
        close $s;
    }
    is($closed, 40, 'every stalled connection closed by nginx');
    is($t->upstream_count, $before + 10, 'only the valid requests forwarded');
}

### clients that abort mid-body

my $BIG = '[' . join(',', map { op21('add', "/k$_", '"' . 'v' x 200 . '"') }
                     1 .. 500) . ']';    # ~ 120 KB: a temporary file

my @aborts = (
    # title, bytes sent before the client goes away
    ['in memory', "${RAW}Content-Length: 1000\r\n\r\n" . substr($OK, 0, 20)],
    ['temporary file',
        "${RAW}Content-Length: " . length($BIG) . "\r\n\r\n"
        . substr($BIG, 0, 60000)],
    ['chunked, temporary file',
        "${RAW}Transfer-Encoding: chunked\r\n\r\n"
        . substr(NgxTest::chunk($BIG, [4000]), 0, 60000)],
    ['chunked, inside a chunk size line',
        "${RAW}Transfer-Encoding: chunked\r\n\r\n"
        . substr(NgxTest::chunk($BIG, [30000]), 0, 30010)],
    ['after an early 415',
        "PATCH $URI HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain"
        . "\r\nContent-Length: " . length($BIG) . "\r\n\r\n"
        . substr($BIG, 0, 60000)],
);

for my $row (@aborts) {
    my ($title, $sent) = @$row;
    my $before = $t->upstream_count;
    my $spilled = () = $t->error_log =~ /buffered to a temporary file/g;

    $t->raw($sent, expect => 1, timeout => 0.3);    # then closes

    ok(NgxTest::wait_for(sub { temp_files($t) == 0 }, 3),
       "abort, $title: temporary files removed");
    is($t->upstream_count, $before, "abort, $title: not forwarded");
    if ($title =~ /temporary file/) {
        ok(NgxTest::wait_for(sub {
            (() = $t->error_log =~ /buffered to a temporary file/g)
                > $spilled }), "abort, $title: a file was written");
    }
}

### pipelining after rejections: the next request is answered, a body is
### never read as a request

my $SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";

my @pipelined = (
    # title, first request, its status
    ['415, body is a request',
        {patch(ct => 'text/plain', body => $SMUGGLED, keepalive => 1)}, 415],
    ['415, chunked body is a request',
        {patch(ct => 'text/plain', body => $SMUGGLED, keepalive => 1,
               chunked => [7])}, 415],
    ['415, Expect: 100-continue, body is a request',
        {patch(ct => 'text/plain', body => $SMUGGLED, keepalive => 1,
               headers => ['Expect' => '100-continue'])}, 415],
    ['415, 3 MB body', {patch(ct => 'text/plain', keepalive => 1,
                              body => 'x' x 3_000_000)}, 415],
    ['400 not a UUID, body is a request',
        {method => 'PATCH', uri => '/v2/images/x', keepalive => 1,
         headers => ['Content-Type' => $V21], body => $SMUGGLED}, 400],
    ['400 query, GET body is a request',
        {uri => '/v2/cloudimages?limit=x', keepalive => 1,
         body => $SMUGGLED}, 400],
    ['400 query, HEAD body is a request',
        {method => 'HEAD', uri => '/v2/cloudimages?limit=x', keepalive => 1,
         body => $SMUGGLED}, 400],
    ['400 after the body, invalid UTF-8',
        {patch(body => in_value("\"\xc0\xaf\""), keepalive => 1)}, 400],
    ['400 after the body, 100,000 levels',
        {patch(body => $deep->(100000, '[', ']'), keepalive => 1)}, 400],
    ['400 after the body, duplicate member, chunked',
        {patch(body => in_value('{"b":1,"b":2}'), keepalive => 1,
               chunked => [3])}, 400],
    ['200, a request inside a JSON string',
        {patch(body => in_value(encode_json([$SMUGGLED])), keepalive => 1)},
        200],
);

for my $row (@pipelined) {
    my ($title, $first, $status) = @$row;
    my $before = $t->upstream_count;

    # after a HEAD the next request is a HEAD too: no response has a body
    my $head = ($first->{method} // '') eq 'HEAD';
    my $next = NgxTest::http_request(method => $head ? 'HEAD' : 'GET',
                                     uri => '/after', keepalive => 1);
    # a third response would be a body read as a request
    my @r = $t->raw(NgxTest::http_request(%$first) . $next, expect => 3,
                    timeout => 0.7, head => $head);

    is(join(' ', map { $_->{status} } @r), "$status 200",
       "$title: both answered, in order");
    ok(@r == 2 && !$r[1]{closed}, "$title: connection kept");
    is($t->upstream_count, $before + 1 + ($status == 200),
       "$title: only what was accepted forwarded");
    is(($t->upstream_requests)[-1]{uri}, '/after',
       "$title: the second request reached the upstream");
}

# a chain of rejections on one connection, then an accepted patch
{
    my $before = $t->upstream_count;
    my @chain = (
        {patch(ct => 'text/plain', body => $SMUGGLED, keepalive => 1)},
        {patch(body => in_value('1e400'), keepalive => 1)},
        {patch(body => in_value('"\ud800"'), keepalive => 1, chunked => 1)},
        {uri => '/v2/cloudimages?%zz', keepalive => 1, body => $SMUGGLED},
        {patch(body => '[' . op21('replace', '/__imagetype', '"gold"') . ']',
               keepalive => 1)},
        {patch(body => $OK)},
    );
    my @r = $t->raw(join('', map { NgxTest::http_request(%$_) } @chain),
                    expect => 7, timeout => 0.7);
    is(join(' ', map { $_->{status} } @r), '415 400 400 400 400 200',
       'six pipelined requests, five rejected: six answers');
    is($t->upstream_count, $before + 1, 'six pipelined: one forwarded');
}

ok(!grep({ $_->{uri} =~ /smuggled/ } $t->upstream_requests),
   'upstream: nothing smuggled');
unlike($t->access_log, qr/smuggled/, 'access log: nothing smuggled');

### the worker processes survived all of it

is(workers($t), $workers, 'same worker processes as at the start');
is(temp_files($t), 0, 'client_body_temp is empty');
like($t->error_log, qr/ims: rejected .* x\\u000a\[error\] 1#1: forged/,
     'error.log: a line break in a path is logged escaped');
unlike($t->error_log, qr/^\[error\] 1#1: forged/m,
       'error.log: no line forged by a client');
$t->stop;

### HTTP/2: rejected streams next to accepted ones on one connection

if (!NgxTest::features()->{http2}) {
    SKIP: { skip("$NgxTest::BINARY lacks the HTTP/2 module", 1) }
    done_testing;
    exit 0;
}

$t = NgxTest->new(workers => 2, http2 => 1, http_config => $HTTP,
                  config => "access_log %%DIR%%/conn.log conn;\n$LOCATIONS");
NgxTest::wait_for(sub { workers($t) =~ /^\d+ \d+$/ }, 10);
$workers = workers($t);

sub spew {
    my ($file, $data) = @_;
    open my $fh, '>', $file or die "$file: $!\n";
    binmode $fh;
    print $fh $data;
    close $fh;
}

sub log_lines { my @l = split /\n/, $t->file('conn.log'); @l }

# one nghttp run; returns { path => [statuses] } and the number of
# connections its streams used
sub h2 {
    my ($body, $multiply, @uris) = @_;
    my @args = ('-n', '-r', '-', '-m', $multiply);
    if (defined $body) {
        spew($t->dir . '/h2-body', $body);
        push @args, '-H', ':method: PATCH', '-H', "content-type: $V21",
                    '-d', $t->dir . '/h2-body';
    }

    my $logged = () = log_lines();
    my ($out, $rc) = $t->nghttp(@args, @uris);
    my $har = eval { decode_json($out) };
    diag("nghttp exit $rc: " . substr($out, 0, 500)) unless $rc == 0 && $har;

    my %status;
    for my $e (@{ $har->{log}{entries} // [] }) {
        (my $path = $e->{request}{url}) =~ s{^http://[^/]+}{};
        push @{ $status{$path} }, $e->{response}{status};
    }

    my $streams = @uris * $multiply;
    NgxTest::wait_for(sub { log_lines() >= $logged + $streams });
    my %conn = map { /^(\d+) / ? ($1 => 1) : () }
               (log_lines())[$logged .. $logged + $streams - 1];
    return (\%status, scalar keys %conn);
}

my @PATCH_URIS = ($URI, '/v2/images/not-a-uuid', '/passthrough',
                  "$URI/file", "/small$URI", "/v2/imag%65s/$UUID");

my @h2 = (
    # title, body, copies of each stream, status per URI above
    ['100,000 levels', $deep->(100000, '[', ']'), 3,
        [400, 400, 200, 200, 413, 400]],
    ['1,000,000 operations', '[' . join(',', ('{}') x 1000000) . ']', 1,
        [400, 400, 200, 200, 413, 400]],
    ['invalid UTF-8', in_value("\"\xed\xa0\x80\""), 3,
        [400, 400, 200, 200, 400, 400]],
    ['duplicate member',
        '[{"op":"add","path":"/k","path":"/__os_bit","value":"64"}]', 3,
        [400, 400, 200, 200, 400, 400]],
    ['valid', $OK, 3, [200, 400, 200, 200, 200, 200]],
);

for my $row (@h2) {
    my ($title, $body, $n, $want) = @$row;
    my $before = $t->upstream_count;
    my ($status, $conns) = h2($body, $n, @PATCH_URIS);

    for my $i (0 .. $#PATCH_URIS) {
        is(join(' ', @{ $status->{ $PATCH_URIS[$i] } // [] }),
           join(' ', ($want->[$i]) x $n), "h2 $title: $PATCH_URIS[$i]");
    }
    is($t->upstream_count, $before + $n * grep({ $_ == 200 } @$want),
       "h2 $title: only the accepted streams forwarded");
    is($conns, 1, "h2 $title: all streams on one connection");
}

{
    my @q = ('/v2/cloudimages?limit=x', '/v2/cloudimages?limit=5',
             '/v2/cloudimages?%zz', '/v2/cloudimages?name=%ff',
             '/v2/cloudimages?limit=1&limit=1', '/v2/cloudimages?tag=a');
    my $before = $t->upstream_count;
    my ($status, $conns) = h2(undef, 5, @q);
    is(join(' ', map { join ',', @{ $status->{$_} // [] } } @q),
       join(' ', map { join ',', ($_) x 5 } 400, 200, 400, 400, 400, 200),
       'h2 queries: rejected and accepted streams');
    is($t->upstream_count, $before + 10, 'h2 queries: 10 forwarded');
    is($conns, 1, 'h2 queries: all streams on one connection');
}

### HTTP/2 by hand: a stalled stream, a stream reset mid-body (in memory
### and in a temporary file), next to streams that are answered, on one
### connection

sub frame {
    my ($type, $flags, $stream, $payload) = @_;
    return substr(pack('N', length $payload), 1)
           . pack('CCN', $type, $flags, $stream) . $payload;
}

# HPACK: every field a literal without indexing, new name, no Huffman
sub hpack {
    my (@h) = @_;
    my $out = '';
    while (my ($n, $v) = splice(@h, 0, 2)) {
        $out .= "\x00" . chr(length $n) . $n . chr(length $v) . $v;
    }
    return $out;
}

sub h2_headers {
    my ($stream, $method, $path, $end, @more) = @_;
    return frame(1, 0x4 | ($end ? 0x1 : 0), $stream,
                 hpack(':method' => $method, ':scheme' => 'http',
                       ':authority' => 'localhost', ':path' => $path, @more));
}

sub h2_patch {    # HEADERS, then the body in DATA frames, the last ends it
    my ($stream, $body, $cut) = @_;
    my $head = h2_headers($stream, 'PATCH', $URI, 0, 'content-type' => $V21,
                          'content-length' => length $body);
    return $head . frame(0, 0x1, $stream, $body) unless defined $cut;
    return $head . frame(0, 0, $stream, substr($body, 0, $cut));
}

# the status of each stream's response (from the first header byte: nginx
# sends 200 and 400 indexed, others as a literal), RST_STREAM codes, GOAWAY
sub h2_read {
    my ($sock, $want, $timeout) = @_;
    my ($buf, %got) = ('');
    my $deadline = time + $timeout;
    my $sel = IO::Select->new($sock);
    while (time < $deadline && grep { !exists $got{$_} } @$want) {
        next unless $sel->can_read(0.05);
        my $n = sysread($sock, $buf, 65536, length $buf);
        last unless $n;
        while (length $buf >= 9) {
            my ($len, $type, $flags, $stream) =
                (unpack('N', "\0" . substr($buf, 0, 3)),
                 unpack('CCN', substr($buf, 3, 6)));
            last if length $buf < 9 + $len;
            my $payload = substr($buf, 9, $len);
            substr($buf, 0, 9 + $len, '');
            $stream &= 0x7fffffff;
            if ($type == 1 && !exists $got{$stream}) {
                my $b = ord $payload;
                $got{$stream} = $b == 0x88 ? 200 : $b == 0x8c ? 400
                    : $b == 0x8d ? 404 : $b == 0x8e ? 500
                    : ($payload =~ /^\x48\x03(\d{3})/)[0] // "?$b";
            } elsif ($type == 3) {
                $got{$stream} //= 'RST_STREAM ' . unpack('N', $payload);
            } elsif ($type == 7) {
                $got{goaway} = unpack('N', substr($payload, 4, 4));
            }
        }
    }
    return \%got;
}

{
    my $before = $t->upstream_count;
    my $spilled = () = $t->error_log =~ /buffered to a temporary file/g;
    my $forbidden = '[' . op21('replace', '/__imagetype', '"gold"') . ']';
    my $h2 = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port)
        or die "connect: $!\n";
    local $SIG{PIPE} = 'IGNORE';

    syswrite($h2, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" . frame(4, 0, 0, '')
                  . frame(4, 0x1, 0, '')
                  . h2_patch(1, $OK, 10)                 # stalls
                  . h2_patch(3, $forbidden)
                  . h2_patch(5, $OK)
                  . h2_patch(7, $OK, 10) . frame(3, 0, 7, pack('N', 8))
                  . h2_patch(9, $BIG, 30000) . frame(3, 0, 9, pack('N', 8))
                  . h2_headers(11, 'GET', '/v2/cloudimages?limit=x', 1)
                  . h2_headers(13, 'GET', '/v2/cloudimages?limit=5', 1));
    my $t0 = time;
    my $got = h2_read($h2, [3, 5, 11, 13], 3);
    is(join(' ', map { $got->{$_} // '-' } 3, 5, 11, 13), '400 200 400 200',
       'h2 by hand: streams answered while one stalls and two were reset');
    ok(time - $t0 < 0.9,
       'h2 by hand: answered before the stalled one timed out');
    ok(!exists $got->{1}, 'h2 by hand: the stalled stream still waits');

    $got = h2_read($h2, [1], 3);
    ok(time - $t0 > 0.9 && defined $got->{1}
       && $got->{1} =~ /^(408|RST_STREAM \d+)$/,
       'h2 by hand: the stalled stream ends after client_body_timeout: '
       . ($got->{1} // 'nothing'));

    syswrite($h2, h2_patch(15, $OK));
    $got = h2_read($h2, [15], 3);
    is($got->{15}, 200, 'h2 by hand: the connection still serves');
    ok(!exists $got->{goaway}, 'h2 by hand: no GOAWAY');
    close $h2;

    is($t->upstream_count, $before + 3, 'h2 by hand: 3 streams forwarded');
    ok((() = $t->error_log =~ /buffered to a temporary file/g) > $spilled,
       'h2 by hand: the reset 30 KB stream was in a temporary file');
    ok(NgxTest::wait_for(sub { temp_files($t) == 0 }, 3),
       'h2 by hand: temporary file of the reset stream removed');
}

is(workers($t), $workers, 'h2: same worker processes as at the start');
is(temp_files($t), 0, 'h2: client_body_temp is empty');
$t->stop;

done_testing;
