#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Configuration checks with `nginx -t` (NgxTest::nginx_t): every directive's
# invalid values, ranges, duplicates, patterns, empty list entries and
# contexts fail with a message that names the directive (at the right line);
# valid configurations pass.  Then the example configurations in conf/:
# each passes `nginx -t` in a prefix laid out like tools/run.sh's, and runs
# with its addresses moved to free local ports in front of the recorder.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);
use NgxTest;
use Ims;
use Recorder;

NgxTest::require_module();

# A whole configuration with text at each level; "#!" marks the line the
# error must be reported at.
sub conf {
    my (%a) = @_;
    my $text = <<"EOF";
@{[ $a{main} // '' ]}
events {
    worker_connections 64;
}

http {
@{[ $a{http} // '' ]}
    server {
        listen 127.0.0.1:8080;
@{[ $a{server} // '' ]}
        location / {
@{[ $a{location} // '' ]}
        }
    }
}
EOF
    return $text;
}

sub marked_line {
    my ($text) = @_;
    my @lines = split /\n/, $text, -1;
    my ($i) = grep { $lines[$_] =~ /#!/ } 0 .. $#lines;
    # nginx_t prepends load_module unless the module is built in
    return defined $i ? $i + ($NgxTest::BUILTIN ? 1 : 2) : undef;
}

sub fails_ok {
    my ($text, $message, $title) = @_;
    my ($rc, $out) = NgxTest::nginx_t($text);
    my $line = marked_line($text);
    my $where = defined $line ? qr/:\Q$line\E\n/ : qr/:\d+\n/;

    isnt($rc, 0, "$title: nginx -t fails");
    like($out, ref $message
               ? qr/\[emerg\] $message in \S+nginx\.conf$where/
               : qr/\[emerg\] \Q$message\E in \S+nginx\.conf$where/,
         "$title: message" . (defined $line ? " at line $line" : ''))
        or diag($out);
}

sub passes_ok {
    my ($text, $title) = @_;
    my ($rc, $out) = NgxTest::nginx_t($text);
    is($rc, 0, "$title: nginx -t passes") or diag($out);
    like($out, qr/test is successful/, "$title: test is successful");
    unlike($out, qr/\[(warn|emerg|alert|crit)\]/, "$title: no warnings");
}

### one value per directive: enums, numbers

my %enum = (
    ims_gateway => ['"off", "on" or "monitor"', [qw(off on monitor ON Off)],
                    [qw(maybe enforce 1 true), '""']],
    ims_query_unknown => ['"pass" or "reject"', [qw(pass reject)],
                          [qw(drop allow)]],
    ims_forbidden_status => ['"400" or "403"', [qw(400 403)],
                             [qw(404 401 0400 4xx)]],
    ims_json_reader => ['"stream" or "jansson"', [qw(stream jansson)],
                        [qw(json simd 1)]],
    ims_log_level => ['"error", "warn", "notice", "info" or "debug"',
                      [qw(error warn notice info debug)],
                      [qw(crit alert emerg warning)]],
);

for my $name (sort keys %enum) {
    my ($allowed, $good, $bad) = @{ $enum{$name} };

    for my $value (@$good) {
        passes_ok(conf(http => "    $name $value;",
                       server => "        $name $value;",
                       location => "            $name $value;"),
                  "$name $value (http, server, location)");
    }

    for my $value (@$bad) {
        (my $shown = $value) =~ s/^"(.*)"$/$1/;
        fails_ok(conf(location => "            $name $value;    #!"),
                 qq{"$name" must be $allowed, not "$shown"},
                 "$name $value");
    }
}

my %number = (
    ims_max_depth              => [1, 2048],
    ims_max_operations         => [1, 1000000],
    ims_name_max_length        => [1, 65535],
    ims_description_max_length => [1, 65535],
);

for my $name (sort keys %number) {
    my ($low, $high) = @{ $number{$name} };

    for my $value ($low, $high, int(($low + $high) / 2)) {
        passes_ok(conf(server => "        $name $value;"), "$name $value");
    }

    for my $value (0, $high + 1, -1, 'abc', '10k', '1.5', '""',
                   '99999999999999999999999') {
        (my $shown = $value) =~ s/^"(.*)"$/$1/;
        fails_ok(conf(http => "    $name $value;    #!"),
                 qq{"$name" must be a number from $low to $high, }
                 . qq{not "$shown"}, "$name $value");
    }
}

### duplicates at one level

my %duplicate = (
    ims_gateway                     => ['on', 'monitor'],
    ims_query_unknown               => ['pass', 'pass'],
    ims_forbidden_status            => ['403', '400'],
    ims_log_level                   => ['warn', 'warn'],
    ims_max_depth                   => ['8', '16'],
    ims_max_operations              => ['10', '10'],
    ims_name_max_length             => ['64', '32'],
    ims_description_max_length      => ['64', '32'],
    ims_name_pattern                => ['"[a-z]+"', '"[0-9]+"'],
    ims_description_forbidden_chars => ['"#"', '"<>"'],
    ims_api_prefix                  => ['/image', 'off'],
    ims_json_reader                 => ['jansson', 'stream'],
);

for my $name (sort keys %duplicate) {
    my ($first, $second) = @{ $duplicate{$name} };

    for my $level (qw(http server location)) {
        fails_ok(conf($level => "    $name $first;\n    $name $second;    #!"),
                 qq{"$name" directive is duplicate},
                 "$name twice in $level");
    }

    # once per level is no duplicate: the inner one wins
    passes_ok(conf(http => "    $name $first;",
                   server => "        $name $second;",
                   location => "            $name $first;"),
              "$name once at each level");
}

### attribute lists

for my $name (qw(ims_system_attributes ims_editable_attributes)) {
    passes_ok(conf(http => "    $name a ~^b_ c;\n    $name d;",
                   server => "        $name a;",
                   location => "            $name ~^b_ a ~c\\d+\$;"),
              "$name: names and patterns, repeated, at every level");
    passes_ok(conf(location => "            $name \"~^[\\x{4e00}-\\x{9fff}]\" "
                               . "\"~^x{2,3}\$\";"),
              "$name: quoted patterns with braces");

    fails_ok(conf(server => "        $name a b a;    #!"),
             qq{"$name" lists "a" twice}, "$name: a name twice");
    fails_ok(conf(location => "            $name ~^x_ y;\n"
                              . "            $name ~^x_;    #!"),
             qq{"$name" lists "~^x_" twice},
             "$name: a pattern twice, on two lines");
    passes_ok(conf(location => "            $name a ~a;"),
              "$name: a name and the pattern of it differ");
    fails_ok(conf(http => "    $name a \"\";    #!"),
             qq{"$name" takes attribute names or ~patterns, not an empty one},
             "$name: an empty entry");
    fails_ok(conf(http => "    $name ~;    #!"),
             qq{"$name" takes attribute names or ~patterns, not an empty one},
             "$name: an empty pattern");
    fails_ok(conf(location => "            $name ok ~(unclosed;    #!"),
             qr/"\Q$name\E" has an invalid pattern: .*missing closing parenthesis.*/,
             "$name: an invalid pattern");
    fails_ok(conf(location => "            $name \"~[z-a]\";    #!"),
             qr/"\Q$name\E" has an invalid pattern: .*range out of order.*/,
             "$name: a range out of order");
    fails_ok(conf(location => "            $name \"~\\x{d800}\";    #!"),
             qr/"\Q$name\E" has an invalid pattern: .*/,
             "$name: a surrogate in UTF mode");
    fails_ok(conf(location => "            $name;    #!"),
             qq{invalid number of arguments in "$name" directive},
             "$name: no arguments");
}

### ims_name_pattern, ims_description_forbidden_chars

passes_ok(conf(location => '            ims_name_pattern "^[a-z0-9-]+$";'),
          'ims_name_pattern ^[a-z0-9-]+$');
passes_ok(conf(location => '            ims_name_pattern "[\x{4e00}-\x{9fff}]+";'),
          'ims_name_pattern with \x{...} code points');
passes_ok(conf(location => '            ims_name_pattern "a|b";'),
          'ims_name_pattern with an alternation');
fails_ok(conf(location => '            ims_name_pattern "(";    #!'),
         qr/"ims_name_pattern" has an invalid pattern: .*missing closing parenthesis.*/,
         'ims_name_pattern (');
fails_ok(conf(location => '            ims_name_pattern "[\x{110000}]";    #!'),
         qr/"ims_name_pattern" has an invalid pattern: .*/,
         'ims_name_pattern beyond Unicode');
fails_ok(conf(location => '            ims_name_pattern a b;    #!'),
         'invalid number of arguments in "ims_name_pattern" directive',
         'ims_name_pattern with two arguments');

for my $chars ('""', '"#"', '"\r\n<>"', '"' . "\xe2\x82\xac\xc2\xa7" . '"',
               '"' . 'abcdefghijklmnopqrstuvwxyz012345' . '"') {
    passes_ok(conf(server => "        ims_description_forbidden_chars $chars;"),
              "ims_description_forbidden_chars $chars");
}
for my $chars ('"abcdefghijklmnopqrstuvwxyz0123456"', '"' . "\xff" . '"',
               '"' . "a\xe2\x82" . '"') {
    fails_ok(conf(server => "        ims_description_forbidden_chars $chars;"
                            . "    #!"),
             '"ims_description_forbidden_chars" must be at most 32 '
             . 'characters of UTF-8',
             'ims_description_forbidden_chars '
             . ($chars =~ /^"[ -~]*"$/ ? '(33 characters)' : '(bad UTF-8)'));
}

# caught at the directive even where no server block would merge it
fails_ok("events {}\nhttp {\n    ims_description_forbidden_chars \"\xff\";"
         . "    #!\n}\n",
         '"ims_description_forbidden_chars" must be at most 32 '
         . 'characters of UTF-8', 'ims_description_forbidden_chars, http only');

### ims_api_prefix

# "off" in any case, as every other directive's keywords
for my $value (qw(/image /image/ //image// /a/b/c /image-api.v2 off Off OFF)) {
    passes_ok(conf(http => "    ims_api_prefix $value;",
                   location => '            ims_api_prefix off;'),
              "ims_api_prefix $value");
}
for my $value (qw(image / // /a//b /./a /a/.. /a%20b /a?b offf), '"/a b"',
               '"/a#b"') {
    (my $shown = $value) =~ s/^"(.*)"$/$1/;
    fails_ok(conf(server => "        ims_api_prefix $value;    #!"),
             qq{"ims_api_prefix" must be "off" or a path such as "/image" }
             . qq{(plain segments, no ".", "..", "%", "?" or "#"), }
             . qq{not "$shown"}, "ims_api_prefix $value");
}
fails_ok(conf(server => "        ims_api_prefix /a /b;    #!"),
         'invalid number of arguments in "ims_api_prefix" directive',
         'ims_api_prefix with two arguments');

### contexts

for my $name (qw(ims_gateway ims_max_depth ims_system_attributes
                ims_api_prefix)) {
    my $value = $name eq 'ims_gateway' ? 'on' : $name eq 'ims_max_depth'
              ? '8' : $name eq 'ims_api_prefix' ? '/image' : 'x';
    fails_ok(conf(main => "$name $value;    #!"),
             qq{"$name" directive is not allowed here}, "$name in main");
    fails_ok(conf(location => "            if (\$arg_x) { $name $value; }    #!"),
             qq{"$name" directive is not allowed here}, "$name in if");
}

passes_ok(conf(location => '            ims_metrics;'), 'ims_metrics in a location');
passes_ok(conf(server => "        location = /metrics {\n"
                         . "            allow 127.0.0.1;\n"
                         . "            deny all;\n"
                         . "            ims_metrics;\n"
                         . "        }"),
          'ims_metrics with access rules');
for my $level (qw(main http server)) {
    fails_ok(conf($level => "    ims_metrics;    #!"),
             '"ims_metrics" directive is not allowed here',
             "ims_metrics in $level");
}
fails_ok(conf(location => '            ims_metrics on;    #!'),
         'invalid number of arguments in "ims_metrics" directive',
         'ims_metrics with an argument');
fails_ok(conf(location => '            if ($arg_x) { ims_metrics; }    #!'),
         '"ims_metrics" directive is not allowed here', 'ims_metrics in if');

### without load_module the directives are unknown

my ($rc, $out);

SKIP: {
    skip 'the module is built into the binary', 2 if $NgxTest::BUILTIN;

    ($rc, $out) = NgxTest::nginx_t(conf(location => 'ims_gateway on;'),
                                   module => 0);
    isnt($rc, 0, 'without the module: nginx -t fails');
    like($out, qr/unknown directive "ims_gateway"/,
         'without the module: unknown directive');
}

### a full valid configuration, every directive

passes_ok(conf(
    http => <<'EOF',
    ims_gateway monitor;
    ims_query_unknown reject;
    ims_forbidden_status 403;
    ims_log_level notice;
    ims_system_attributes corp_owner ~^corp_sys_;
    ims_editable_attributes ~^__support_ __os_bit;
    ims_max_depth 16;
    ims_max_operations 500;
    ims_name_max_length 64;
    ims_name_pattern "^[a-z0-9-]+$";
    ims_description_max_length 512;
    ims_description_forbidden_chars "<>";
    log_format ims '$ims_verdict $ims_error_code "$ims_reason" '
                   '$ims_content_type';
EOF
    server => <<'EOF',
        ims_gateway on;
        ims_system_attributes __support_arm;
        access_log %%DIR%%/access.log ims;

        location = /metrics {
            ims_metrics;
        }

        location /v2/cloudimages {
            ims_query_unknown pass;
            proxy_pass http://127.0.0.1:9292;
        }
EOF
    location => <<'EOF'), 'every directive, at every level');
            ims_forbidden_status 400;
            ims_max_depth 32;
            ims_name_pattern "[\x{4e00}-\x{9fff}a-z ]+";
            ims_description_forbidden_chars "";
            ims_log_level warn;
            proxy_pass http://127.0.0.1:9292;
            proxy_set_header X-Ims-Verdict $ims_verdict;
EOF

### the examples in conf/

my $MODULE = $NgxTest::MODULE;
my $BINARY = $NgxTest::BINARY;
my @EXAMPLES = sort glob("$NgxTest::ROOT/conf/*.conf");

ok(scalar(grep { m{/conf/gateway-upstream-pool\.conf$} } @EXAMPLES)
   && scalar(grep { m{/conf/monitor-rollout\.conf$} } @EXAMPLES)
   && scalar(grep { m{/conf/metrics-internal\.conf$} } @EXAMPLES),
   'the example configurations exist');

# a prefix like tools/run.sh's: logs/, temp/, modules/ -> the built module,
# modules-enabled/ with the snippet the package installs (none for a
# module built into the binary)
sub prefix {
    my $dir = tempdir('ngx-conf-XXXXXX', TMPDIR => 1,
                      CLEANUP => !$ENV{TEST_NGINX_KEEP});
    chmod 0777, $dir;    # workers run as www-data or nobody
    mkdir "$dir/$_" for qw(logs temp modules modules-enabled);
    unless ($NgxTest::BUILTIN) {
        symlink $MODULE, "$dir/modules/ngx_http_ims_module.so" or die "$!\n";
        open my $fh, '>', "$dir/modules-enabled/50-mod-http-ims.conf"
            or die "$!\n";
        print $fh "load_module modules/ngx_http_ims_module.so;\n";
        close $fh;
    }
    return $dir;
}

sub run {
    my (@cmd) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!\n";
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        exec(@cmd) or POSIX::_exit(127);
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    return ($? >> 8, $out);
}

# the example as the prefix's nginx.conf: its modules-enabled/ is there
sub example_conf {
    my ($file, $p) = @_;
    open my $fh, '>', "$p/nginx.conf" or die "$!\n";
    print $fh slurp($file);
    close $fh;
    return "$p/nginx.conf";
}

sub slurp {
    open my $fh, '<', $_[0] or return '';
    local $/;
    return scalar <$fh>;
}

for my $file (@EXAMPLES) {
    my ($name) = $file =~ m{([^/]+)$};
    my $p = prefix();
    my ($rc, $out) = run($BINARY, '-t', '-p', "$p/",
                         '-c', example_conf($file, $p),
                         '-e', "$p/logs/error.log");
    is($rc, 0, "conf/$name: nginx -t passes") or diag($out);
    like($out, qr/test is successful/, "conf/$name: test is successful");
    unlike($out, qr/\[(warn|emerg|alert|crit)\]/, "conf/$name: no warnings")
        or diag($out);
    like(slurp($file), qr/^include modules-enabled\/\*\.conf;$/m,
         "conf/$name: the module loaded by a modules-enabled snippet");
    unlike(slurp($file), qr/^\s*load_module\b/m,
           "conf/$name: no load_module of its own (a package's would clash)");
}

### the examples running, moved to free ports in front of the recorder

# start an example (addresses rewritten) and a recorder; returns a handle
sub start_example {
    my ($name, %ports) = @_;
    my $p = prefix();
    my $text = slurp("$NgxTest::ROOT/conf/$name");
    my $up = NgxTest::free_port();

    $text =~ s/listen 127\.0\.0\.1:8080;/listen 127.0.0.1:$ports{api};/g;
    $text =~ s/listen 127\.0\.0\.1:9145;/listen 127.0.0.1:$ports{metrics};/g
        if $ports{metrics};
    $text =~ s/server 127\.0\.0\.1:929\d\b/server 127.0.0.1:$up/g;
    open my $fh, '>', "$p/nginx.conf" or die "$!\n";
    print $fh $text;
    close $fh;

    open $fh, '>', "$p/upstream.log" or die "$!\n";
    close $fh;
    my $recorder = Recorder::start(port => $up, log => "$p/upstream.log");

    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', "$p/stderr.log";
        open STDERR, '>&', \*STDOUT;
        exec($BINARY, '-p', "$p/", '-c', "$p/nginx.conf",
             '-e', "$p/logs/error.log", '-g', 'daemon off;')
            or POSIX::_exit(127);
    }

    my $ok = NgxTest::wait_for(sub {
        IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ports{api}")
    }, 10);
    diag(slurp("$p/stderr.log") . slurp("$p/logs/error.log")) unless $ok;

    return { dir => $p, pid => $pid, recorder => $recorder, %ports };
}

sub stop_example {
    my ($e) = @_;
    kill 'QUIT', $e->{pid};
    my $deadline = time + 10;
    sleep 0.02 while waitpid($e->{pid}, WNOHANG) == 0 && time < $deadline;
    if (kill 0, $e->{pid}) {
        kill 'KILL', $e->{pid};
        waitpid($e->{pid}, 0);
    }
    kill 'TERM', -$e->{recorder};
    waitpid($e->{recorder}, 0);
    my @bad = grep /\[(alert|crit|emerg)\]/, split /^/m,
              slurp("$e->{dir}/logs/error.log");
    ok(!@bad, 'no [alert], [crit] or [emerg] in error.log') or diag(@bad);
}

# one request to 127.0.0.1:$port (from $from, default 127.0.0.1)
sub client {
    my ($port, %req) = @_;
    my $from = delete $req{from};
    my $data = NgxTest::http_request(%req);
    my $head = ($req{method} // '') eq 'HEAD';

    return (NgxTest::raw({}, $data, port => $port, head => $head))[0]
        unless $from;

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  LocalAddr => $from) or die "$from: $!\n";
    print $s $data;
    my $buf = do { local $/; <$s> } // '';
    return NgxTest::parse_response(\$buf, $head, 1);
}

sub upstream_log { slurp("$_[0]{dir}/upstream.log") }
sub upstream_count { scalar(() = upstream_log($_[0]) =~ /^REQ \d+$/mg) }

my $UUID = '6f1b6a0e-6f3c-4c0e-9a51-2b0b8e7a1c01';
my $MIXED = 'Application/OpenStack-Images-v2.1-JSON-Patch; charset=utf-8';
my $BIG = '[' . join(',', map {
    sprintf '{"op":"add","path":"/k%04d","value":"%s"}', $_, 'v' x 1000
} 1 .. 1500) . ']';    # 1.5 MB: over client_max_body_size 1m

sub patch { (method => 'PATCH', uri => "/v2/images/$UUID",
             headers => ['Content-Type' => $_[0]], body => $_[1]) }

# gateway-upstream-pool.conf
{
    my $e = start_example('gateway-upstream-pool.conf',
                          api => NgxTest::free_port());
    my $api = $e->{api};

    my $r = client($api, patch($MIXED, $RENAME));
    is($r->{status}, 200, 'pool: accepted patch');
    like(upstream_log($e), qr/^Content-Type: \Q$V21\E\r$/mi,
         'pool: forwarded with the canonical type');
    like(upstream_log($e), qr{^PATCH /v2/images/\S+ HTTP/1\.1\r$}m,
         'pool: HTTP/1.1 to the upstream');
    unlike(upstream_log($e), qr/^Connection:/mi,
           'pool: no "Connection: close" (keep-alive)');

    my $before = upstream_count($e);
    $r = client($api, patch($V21, $FORBIDDEN));
    is($r->{status}, 400, 'pool: forbidden patch rejected');
    is(error_code($r), 'IMG.0105', 'pool: IMG.0105');
    $r = client($api, method => 'GET', uri => '/v2/cloudimages?limit=x');
    is(error_code($r), 'IMG.0017', 'pool: query gate on');

    # the gateway is on for the server: every alias is judged
    $r = client($api, patch($V21, $FORBIDDEN), uri => "/v2.1/images/$UUID");
    is(error_code($r), 'IMG.0105', 'pool: /v2.1 alias judged');
    $r = client($api, method => 'POST', uri => "/v2/images/$UUID/file"
                                              . '?_method=PATCH');
    is(error_code($r), 'IMG.0017', 'pool: override refused on /file too');
    is(upstream_count($e), $before, 'pool: rejects not forwarded');

    $r = client($api, patch($V21, $BIG));
    is($r->{status}, 413, 'pool: a 1.5 MB patch body: 413');
    $r = client($api, method => 'PUT', uri => "/v2/images/$UUID/file",
                headers => ['Content-Type' => 'application/octet-stream'],
                body => $BIG);
    is($r->{status}, 200, 'pool: a 1.5 MB image upload passes');
    is(upstream_count($e), $before + 1, 'pool: upload forwarded');

    my $log;
    NgxTest::wait_for(sub {
        $log = slurp("$e->{dir}/logs/access.log");
        ($log =~ tr/\n//) >= 5;
    });
    like($log, qr/"PATCH [^"]+" 200 .* ims=pass code= ct="\Q$V21\E" reason=""/,
         'pool: access log of a pass');
    like($log, qr/"PATCH [^"]+" 400 .* ims=reject code=IMG\.0105 ct="\Q$V21\E" reason="Operation 0: '__imagetype' is a system attribute/,
         'pool: access log of a reject');
    like($log, qr/"PUT [^"]+" 200 .* ims= code= ct="" reason=""/,
         'pool: access log of a route not inspected');

    stop_example($e);
}

# monitor-rollout.conf
{
    my $e = start_example('monitor-rollout.conf',
                          api => NgxTest::free_port(),
                          metrics => NgxTest::free_port());
    my $api = $e->{api};

    my $r = client($api, patch($MIXED, $FORBIDDEN));
    is($r->{status}, 200, 'rollout: forbidden patch forwarded (monitor)');
    like(upstream_log($e), qr/^Content-Type: \Q$MIXED\E\r$/mi,
         'rollout: with the original Content-Type');

    # a client named in the map is enforced, on every alias
    for my $uri ('/v2/cloudimages?__imagetype=x',
                 '/v2.1/cloudimages?a=1;__imagetype=x',
                 '/cloudimages?__imagetype=x') {
        $r = client($api, method => 'GET', uri => $uri,
                    headers => ['X-IMS-Client' => 'batch-7']);
        is($r->{status}, 400, "rollout: a named client enforced: $uri");
        is(error_code($r), 'IMG.0024', "rollout: IMG.0024, $uri");
    }

    $r = client($api, patch($V21, $RENAME));
    is($r->{status}, 200, 'rollout: accepted patch');

    NgxTest::wait_for(sub {
        (slurp("$e->{dir}/logs/access.log") =~ tr/\n//) >= 3
    });
    my $all = slurp("$e->{dir}/logs/access.log");
    like($all, qr/mode=monitor ims=would_reject outcome=would_reject\/2xx code=IMG\.0105/,
         'rollout: access log');
    like($all, qr/mode=on ims=reject outcome=reject\/4xx code=IMG\.0024/,
         'rollout: access log, enforced');
    my @review = split /\n/, slurp("$e->{dir}/logs/ims-would-reject.log");
    is(scalar @review, 1, 'rollout: one line for review');
    like($review[0] // '', qr/"PATCH .* ims=would_reject outcome=would_reject\/2xx code=IMG\.0105/,
         'rollout: the would-be rejection');
    like(slurp("$e->{dir}/logs/error.log"),
         qr/\[info\] .*ims: would reject with 400 IMG\.0105/,
         'rollout: error log at info');

    $r = client($e->{metrics}, uri => '/metrics');
    like($r->{body}, qr/^ims_requests_total\{route="patch",verdict="would_reject"\} 1$/m,
         'rollout: would_reject counted');
    like($r->{body}, qr/^ims_upstream_responses_total\{route="patch",mode="monitor",verdict="would_reject",status="2xx"\} 1$/m,
         'rollout: what enforcing would change, with the backend\'s answer');

    stop_example($e);
}

# metrics-internal.conf
{
    my $e = start_example('metrics-internal.conf',
                          api => NgxTest::free_port(),
                          metrics => NgxTest::free_port());
    my ($api, $metrics) = @$e{qw(api metrics)};

    is(client($api, patch($V21, $FORBIDDEN))->{status}, 400,
       'metrics: forbidden patch rejected');

    my $r = client($metrics, uri => '/metrics');
    is($r->{status}, 200, 'metrics: GET /metrics from 127.0.0.1');
    is_deeply($r->{headers}{'content-type'}, ['text/plain; version=0.0.4'],
              'metrics: Prometheus text');
    like($r->{body}, qr/^ims_rejections_total\{code="IMG\.0105",verdict="reject"\} 1$/m,
         'metrics: the reject counted');

    is(client($metrics, method => 'POST', uri => '/metrics', body => 'x')
       ->{status}, 405, 'metrics: POST 405');
    is(client($metrics, uri => '/')->{status}, 404, 'metrics: other paths 404');

    $r = client($metrics, uri => '/metrics', from => '127.0.0.2');
    is($r->{status}, 403, 'metrics: denied from 127.0.0.2');

    my $before = upstream_count($e);
    $r = client($api, uri => '/metrics');
    is(upstream_count($e), $before + 1,
       'metrics: /metrics on the API port is proxied, not answered');

    stop_example($e);
}

done_testing;
