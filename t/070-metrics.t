#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# The ims_metrics endpoint: the Prometheus text format (every series, HELP
# and TYPE lines), exact counts after a known sequence of requests (pass,
# reject, would_reject, every error code, Content-Type variants, inspected
# body bytes), 405 for other methods, exact totals with two workers and
# concurrent clients, and counters that survive a reload (SIGHUP).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);
use NgxTest;
use Ims;

NgxTest::require_module();

my $UUID = '6f1b6a0e-6f3c-4c0e-9a51-2b0b8e7a1c01';
my $URI = "/v2/images/$UUID";


# about 60 KB: read into a temporary file with client_body_buffer_size 1k
my $BIG = '[' . join(',', map {
    sprintf '{"op":"add","path":"/k%03d","value":"%s"}', $_, 'v' x 200
} 1 .. 250) . ']';

my @ROUTES   = qw(patch query other);
my @VERDICTS = qw(pass reject would_reject);
my @CODES    = qw(IMG.0001 IMG.0002 IMG.0003 IMG.0004 IMG.0007 IMG.0013
                  IMG.0017 IMG.0024 IMG.0054 IMG.0066 IMG.0105 IMG.0122);
my @VARIANTS = qw(canonical case parameters whitespace);

my %FAMILY = (
    ims_requests_total => [map { my $r = $_; map {
        qq{ims_requests_total{route="$r",verdict="$_"}} } @VERDICTS } @ROUTES],
    ims_rejections_total => [map { my $c = $_; map {
        qq{ims_rejections_total{code="$c",verdict="$_"}} }
        qw(reject would_reject) } @CODES],
    ims_content_types_total => [map {
        qq{ims_content_types_total{variant="$_"}} } @VARIANTS],
    ims_body_inspected_bytes_total => ['ims_body_inspected_bytes_total'],
    # what can happen (docs/rules.md): a monitor never rejects, "on" never
    # would-rejects, and the gateway's own rejections are 4xx
    ims_upstream_responses_total => [map { my $r = $_; map { my $m = $_;
        map { my $v = $_; map {
            sprintf('ims_upstream_responses_total{route="%s",mode="%s",'
                    . 'verdict="%s",status="%s"}', $r, $m, $v, $_)
        } $v eq 'reject' ? ('4xx') : qw(2xx 3xx 4xx 5xx)
        } $m eq 'on' ? qw(pass reject) : qw(pass would_reject)
        } qw(on monitor) } @ROUTES],
);

# the outcome series of one request
sub outcome {
    my ($route, $mode, $verdict, $status) = @_;
    return sprintf('ims_upstream_responses_total{route="%s",mode="%s",'
                   . 'verdict="%s",status="%dxx"}', $route, $mode, $verdict,
                   $status / 100);
}

sub zero { return { map { $_ => 0 } map { @$_ } values %FAMILY } }

# Parse the exposition text; returns ({series => value}, [format errors]).
sub parse_metrics {
    my ($text) = @_;
    my (%value, %help, %type, @errors);

    push @errors, 'does not end with a newline' unless $text =~ /\n\z/;

    for my $line (split /\n/, $text) {
        if ($line =~ /^# HELP (\w+) (\S.*)$/) {
            push @errors, "second HELP for $1" if $help{$1}++;
        } elsif ($line =~ /^# TYPE (\w+) (\w+)$/) {
            push @errors, "TYPE of $1 is $2"
                unless $2 eq ($1 eq 'ims_build_info' ? 'gauge' : 'counter');
            push @errors, "TYPE of $1 before its HELP" unless $help{$1};
            push @errors, "second TYPE for $1" if $type{$1}++;
        } elsif ($line =~ /^((\w+)(?:\{(\w+="[^"\\]*"(?:,\w+="[^"\\]*")*)\})?) (\d+)$/) {
            my ($series, $family, $value) = ($1, $2, $4);
            push @errors, "$series before the TYPE of $family"
                unless $type{$family};
            push @errors, "$series twice" if exists $value{$series};
            # the one gauge is checked on its own: no counter
            $value{$series} = $value unless $family eq 'ims_build_info';
        } else {
            push @errors, "bad line: $line";
        }
    }

    for my $family (sort keys %FAMILY) {
        push @errors, "no HELP for $family" unless $help{$family};
        push @errors, "no TYPE for $family" unless $type{$family};
    }

    return (\%value, \@errors);
}

sub metrics {
    my ($t, %a) = @_;
    my $r = $t->request(uri => '/metrics', headers => $a{headers} // []);
    die "GET /metrics: $r->{status}\n" unless $r->{status} == 200;
    my ($m) = parse_metrics($r->{body});
    return $m;
}

# compare every series; one test, a diff of what differs
sub metrics_are {
    my ($t, $expect, $title) = @_;
    my $got = metrics($t);
    my @diff = map { "$_: got " . ($got->{$_} // 'none') . ", expected "
                     . ($expect->{$_} // 'none') }
               grep { ($got->{$_} // -1) != ($expect->{$_} // -1) }
               sort keys %{ { %$got, %$expect } };
    ok(!@diff, $title) or diag(join "\n", @diff);
    return $got;
}

sub patch {
    my ($ct, $body, %more) = @_;
    return { method => 'PATCH', uri => $more{uri} // $URI, body => $body,
             headers => [defined $ct ? ('Content-Type' => $ct) : (),
                         @{ $more{headers} // [] }],
             $more{chunked} ? (chunked => $more{chunked}) : () };
}

sub query { return { method => $_[1] // 'GET', uri => "/v2/cloudimages$_[0]",
                     @_ > 2 ? (headers => $_[2]) : () } }

my @MONITOR = (Host => 'monitor.test');

my $CONFIG = <<'EOF';
        ims_gateway on;

        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }

        location = /metrics {
            ims_metrics;
        }
EOF

my $HTTP = <<'EOF';
    client_body_buffer_size 1k;
    log_format pid '$pid $status "$request"';

    # the same routes in monitor mode, for Host: monitor.test
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name monitor.test;

        ims_gateway monitor;

        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
EOF

my $t = NgxTest->new(http_config => $HTTP, config => $CONFIG);

### the text format

my $r = $t->request(uri => '/metrics');
is($r->{status}, 200, 'GET /metrics: 200');
is_deeply($r->{headers}{'content-type'}, ['text/plain; version=0.0.4'],
          'Prometheus text format 0.0.4');
my ($m, $errors) = parse_metrics($r->{body});
is_deeply($errors, [], 'well-formed: HELP, TYPE counter, then samples');
is_deeply([sort keys %$m], [sort map { @$_ } values %FAMILY],
          'every series present, nothing else');
is_deeply($m, zero(), 'a fresh nginx counts nothing');

# the version, from the one place that defines it
my ($VERSION) = NgxTest::_slurp("$NgxTest::ROOT/src/ngx_http_ims_version.h")
                =~ /^#define NGX_HTTP_IMS_VERSION\s+"([^"]+)"/m;
like($VERSION // '', qr/^\d+\.\d+\.\d+$/, "the module's version: $VERSION");
like($r->{body}, qr/^# HELP ims_build_info \S.*\n# TYPE ims_build_info gauge\n\Qims_build_info{version="$VERSION"} 1\E\n/m,
     'ims_build_info: the version, as a gauge of 1');
like($t->error_log, qr/\[notice\] .*ngx_http_ims_module \Q$VERSION\E/,
     'the version is logged at notice when the configuration is loaded');

SKIP: {
    my $promtool = `command -v promtool 2>/dev/null`;
    chomp $promtool;
    skip('promtool (Debian package prometheus) not installed', 2)
        unless $promtool;
    open my $fh, '|-', "$promtool check metrics >$t->{dir}/promtool.out 2>&1"
        or die "$promtool: $!\n";
    print $fh $r->{body};
    close $fh;
    is($? >> 8, 0, 'promtool check metrics: exit 0');
    is(NgxTest::_slurp("$t->{dir}/promtool.out"), '',
       'promtool check metrics: nothing to say');
}
for my $family (sort keys %FAMILY) {
    like($r->{body}, qr/^# HELP $family \S.*\n# TYPE $family counter\n\Q$FAMILY{$family}[0]\E /m,
         "$family: HELP and TYPE right before its samples");
}

my $get = $r;
$r = $t->request(method => 'HEAD', uri => '/metrics');
is($r->{status}, 200, 'HEAD /metrics: 200');
is($r->{body}, '', 'HEAD: no body');
is_deeply($r->{headers}{'content-length'}, [length $get->{body}],
          'HEAD: the length of the GET body');

for my $method (qw(POST PUT DELETE PATCH OPTIONS)) {
    $r = $t->request(method => $method, uri => '/metrics',
                     $method =~ /^P/ ? (body => '[]') : ());
    is($r->{status}, 405, "$method /metrics: 405");
}
$r = $t->request(method => 'POST', uri => '/metrics', chunked => [2],
                 body => 'x' x 100, keepalive => 1);
is($r->{status}, 405, 'POST /metrics, chunked body: 405');

# the refused body is discarded, never read as the next request
my @res = $t->raw(NgxTest::http_request(method => 'POST', uri => '/metrics',
                                        body => "GET /smuggled HTTP/1.1\r\n"
                                                . "Host: x\r\n\r\n",
                                        keepalive => 1)
                  . NgxTest::http_request(uri => '/metrics'),
                  expect => 3, timeout => 1);
is(join(' ', map { $_->{status} } @res), '405 200',
   'POST with a body, then GET on one connection: 405, 200');

is($t->upstream_count, 0, 'metrics requests never reach the upstream');
metrics_are($t, zero(), 'metrics requests count nothing');

### exact counts after a known sequence

my $LONG_NAME = '[{"op":"replace","path":"/name","value":"' . 'n' x 129 . '"}]';
my $LONG_DESC = '[{"op":"add","path":"/__description","value":"'
                . 'd' x 1025 . '"}]';
my $BAD_NAME = '[{"op":"replace","path":"/name","value":"<"}]';
my $BAD_DESC = '[{"op":"add","path":"/__description","value":"<"}]';
my $NO_NAME = '[{"op":"remove","path":"/name"}]';

# title, request, status, route, verdict, code, variants, body bytes
my @sequence = (
    ['canonical v2.1', patch($V21, $RENAME), 200, 'patch', 'pass', undef,
        ['canonical'], length $RENAME],
    ['canonical v2.0', patch($V20, $RENAME20), 200, 'patch', 'pass', undef,
        ['canonical'], length $RENAME20],
    ['mixed case', patch('Application/OpenStack-Images-v2.1-JSON-Patch',
                         $RENAME), 200, 'patch', 'pass', undef, ['case'],
        length $RENAME],
    ['charset parameter', patch("$V21; charset=utf-8", $RENAME), 200,
        'patch', 'pass', undef, ['parameters'], length $RENAME],
    ['empty parameter', patch("$V20;", $RENAME20), 200,
        'patch', 'pass', undef, ['parameters'], length $RENAME20],
    ['leading tab', patch("\t$V21", $RENAME), 200,
        'patch', 'pass', undef, ['whitespace'], length $RENAME],
    ['trailing tab', patch("$V20\t", $RENAME20), 200,
        'patch', 'pass', undef, ['whitespace'], length $RENAME20],
    ['case and parameters',
        patch('APPLICATION/OPENSTACK-IMAGES-V2.1-JSON-PATCH;charset="UTF-8"',
              $RENAME), 200, 'patch', 'pass', undef, ['case', 'parameters'],
        length $RENAME],
    ['case, whitespace and parameters',
        patch("\tApplication/openstack-images-v2.1-json-patch ; a=b", $RENAME),
        200, 'patch', 'pass', undef, ['case', 'parameters', 'whitespace'],
        length $RENAME],
    ['chunked', patch($V21, $RENAME, chunked => [3]), 200, 'patch', 'pass',
        undef, ['canonical'], length $RENAME],
    ['60 KB in a temporary file', patch($V21, $BIG), 200, 'patch', 'pass',
        undef, ['canonical'], length $BIG],
    ['60 KB, chunked', patch($V21, $BIG, chunked => [1000]), 200, 'patch',
        'pass', undef, ['canonical'], length $BIG],

    # every code, each counted with the Content-Type it was sent with
    ['IMG.0105', patch($V21, $FORBIDDEN), 400, 'patch', 'reject',
        'IMG.0105', ['canonical'], length $FORBIDDEN],
    ['IMG.0105, case', patch('application/OpenStack-images-v2.1-json-patch',
                             $FORBIDDEN), 400, 'patch', 'reject',
        'IMG.0105', ['case'], length $FORBIDDEN],
    ['IMG.0001 (JSON)', patch($V21, '[{"op":'), 400, 'patch', 'reject',
        'IMG.0001', ['canonical'], 7],
    ['IMG.0007', patch($V21, ''), 400, 'patch', 'reject', 'IMG.0007',
        ['canonical'], 0],
    ['IMG.0007, whitespace body', patch($V21, " \r\n"), 400, 'patch',
        'reject', 'IMG.0007', ['canonical'], 3],
    ['IMG.0002', patch($V21, $LONG_NAME), 400, 'patch', 'reject',
        'IMG.0002', ['canonical'], length $LONG_NAME],
    ['IMG.0003', patch($V21, $BAD_NAME), 400, 'patch', 'reject', 'IMG.0003',
        ['canonical'], length $BAD_NAME],
    ['IMG.0004', patch($V21, $LONG_DESC), 400, 'patch', 'reject',
        'IMG.0004', ['canonical'], length $LONG_DESC],
    ['IMG.0054', patch($V21, $BAD_DESC), 400, 'patch', 'reject', 'IMG.0054',
        ['canonical'], length $BAD_DESC],
    ['IMG.0013', patch($V21, $NO_NAME), 400, 'patch', 'reject', 'IMG.0013',
        ['canonical'], length $NO_NAME],
    # decided before the body is read: no Content-Type count, no bytes
    ['IMG.0066 (image id)', patch($V21, $RENAME, uri => '/v2/images/x'),
        400, 'patch', 'reject', 'IMG.0066', [], 0],
    ['IMG.0001 (415)', patch('application/json', $RENAME), 415, 'patch',
        'reject', 'IMG.0001', [], 0],
    ['IMG.0001 (no Content-Type)', patch(undef, $RENAME), 415, 'patch',
        'reject', 'IMG.0001', [], 0],

    ['query pass', query('?limit=10'), 200, 'query', 'pass', undef, [], 0],
    ['query pass, no arguments', query('', 'HEAD'), 200, 'query', 'pass',
        undef, [], 0],
    ['IMG.0017', query('?limit=x'), 400, 'query', 'reject', 'IMG.0017',
        [], 0],
    ['IMG.0024', query('?__imagetype=Gold'), 400, 'query', 'reject',
        'IMG.0024', [], 0],
    ['IMG.0122', query('?__os_type=linux'), 400, 'query', 'reject',
        'IMG.0122', [], 0],
    ['IMG.0066 (marker), HEAD', query('?marker=x', 'HEAD'), 400, 'query',
        'reject', 'IMG.0066', [], 0],

    # monitor mode
    ['monitor: IMG.0105', patch($V21, $FORBIDDEN, headers => \@MONITOR),
        200, 'patch', 'would_reject', 'IMG.0105', ['canonical'],
        length $FORBIDDEN],
    ['monitor: pass, parameters', patch("$V20; charset=UTF-8", $RENAME20,
                                        headers => \@MONITOR),
        200, 'patch', 'pass', undef, ['parameters'], length $RENAME20],
    ['monitor: IMG.0001 (415)', patch('text/plain', $RENAME,
                                      headers => \@MONITOR),
        200, 'patch', 'would_reject', 'IMG.0001', [], 0],
    ['monitor: IMG.0024', query('?__imagetype=x', 'GET', \@MONITOR), 200,
        'query', 'would_reject', 'IMG.0024', [], 0],
    ['monitor: query pass', query('?limit=1', 'GET', \@MONITOR), 200,
        'query', 'pass', undef, [], 0],

    # method override, refused on any route (docs/rules.md, "Method
    # override"): counted under the route the request took
    ['override: POST ?_method=PATCH', { method => 'POST', body => '[]',
        uri => "$URI?_method=PATCH" }, 400, 'other', 'reject', 'IMG.0017',
        [], 0],
    ['override: header on the query route', { method => 'GET',
        uri => '/v2/cloudimages?limit=1',
        headers => ['X-HTTP-Method-Override' => 'DELETE'] }, 400, 'query',
        'reject', 'IMG.0017', [], 0],
    ['monitor: override', { method => 'DELETE',
        uri => '/v2/cloudimages?_method=GET', headers => \@MONITOR }, 200,
        'other', 'would_reject', 'IMG.0017', [], 0],

    # not inspected: nothing counted
    ['GET /v2/images', { method => 'GET', uri => '/v2/images' }, 200],
    ['PUT image data', { method => 'PUT', uri => "$URI/file", body => 'x' x 50,
                         headers => ['Content-Type' => $V21] }, 200],
    ['PATCH, trailing slash', patch($V21, $FORBIDDEN, uri => "$URI/"), 200],
    ['POST /v2/cloudimages', { method => 'POST', body => '{}',
                               uri => '/v2/cloudimages?limit=x' }, 200],
);

my $expect = zero();

for my $row (@sequence) {
    my ($title, $req, $status, $route, $verdict, $code, $variants, $bytes)
        = @$row;

    $r = $t->request(%$req);
    is($r->{status}, $status, "$title: $status");
    is(error_code($r), $code, "$title: $code")
        if $code && $verdict eq 'reject' && $req->{method} ne 'HEAD';

    if ($route) {
        $expect->{qq{ims_requests_total{route="$route",verdict="$verdict"}}}++;
        $expect->{qq{ims_rejections_total{code="$code",verdict="$verdict"}}}++
            if $code;
        $expect->{qq{ims_content_types_total{variant="$_"}}}++
            for @$variants;
        $expect->{ims_body_inspected_bytes_total} += $bytes;
        $expect->{outcome($route, $title =~ /^monitor:/ ? 'monitor' : 'on',
                          $verdict, $status)}++;
    }

    metrics_are($t, $expect, "$title: exactly these counters moved");
}

# Two checks that do not lean on the table's own columns: the server's
# counters against the documented list of codes, and the body bytes against
# the requests as sent.  Every code of docs/rules.md was counted:
my $got = metrics($t);
my $rejections = sub {
    my ($code) = @_;
    my $sum = 0;
    for my $verdict (qw(reject would_reject)) {
        my $s = qq{ims_rejections_total{code="$code",verdict="$verdict"}};
        defined $got->{$s} or die "no series $s\n";
        $sum += $got->{$s};
    }
    return $sum;
};
is_deeply([grep { $rejections->($_) > 0 } @CODES], \@CODES,
          'the gateway counted every IMS code');

# every byte of every body judged, and only those: a PATCH to the update
# route with a canonical image id and a patch Content-Type (docs/rules.md,
# "Content-Type": the body of any other request is not read)
my $judged = 0;
for my $row (@sequence) {
    my $req = $row->[1];
    my %h = @{ $req->{headers} // [] };
    $judged += length($req->{body} // '')
        if $req->{method} eq 'PATCH' && $req->{uri} eq $URI
           && ($h{'Content-Type'} // '')
              =~ m{^[ \t]*application/openstack-images-v2\.[01]-json-patch
                   [ \t]*(;|$)}xi;
}
is($got->{ims_body_inspected_bytes_total}, $judged,
   "body bytes: the $judged bytes of the judged bodies");
cmp_ok($got->{ims_body_inspected_bytes_total}, '>', 2 * length $BIG,
       'body bytes include the bodies in temporary files');

$t->stop;

### two workers, concurrent clients: exact totals

my $CLIENTS = 8;
my $ROUNDS = 40;

# one round of a client: request, status
my @round = (
    [patch($V21, $RENAME), 200],
    [patch('Application/OpenStack-Images-v2.1-JSON-Patch; charset=utf-8',
           $RENAME), 200],
    [patch($V21, $FORBIDDEN), 400],
    [patch('application/json', $RENAME), 415],
    [patch($V21, $BIG), 200],
    [query('?limit=5'), 200],
    [query('?__os_type=x'), 400],
    [patch($V21, $FORBIDDEN, headers => \@MONITOR), 200],
    [query('?status=x', 'GET', \@MONITOR), 200],
);

$t = NgxTest->new(workers => 2, http_config => $HTTP,
                  config => "        access_log %%DIR%%/pid.log pid;\n$CONFIG");

my $start = time;
my @kids;
for my $client (1 .. $CLIENTS) {
    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        my $bad = 0;
        for (1 .. $ROUNDS) {
            for my $step (@round) {
                my ($req, $status) = @$step;
                my $got = eval { $t->request(%$req, timeout => 5)->{status} }
                          // 'none';
                $bad++ if $got ne $status;
            }
        }
        POSIX::_exit($bad > 250 ? 250 : $bad);
    }
    push @kids, $pid;
}

my %exit;
my $deadline = time + 30;
while (keys %exit < @kids && time < $deadline) {
    for my $pid (@kids) {
        next if exists $exit{$pid};
        $exit{$pid} = $? >> 8 if waitpid($pid, WNOHANG) == $pid;
    }
    sleep 0.05;
}
for my $pid (grep { !exists $exit{$_} } @kids) {
    kill 'KILL', $pid;
    waitpid($pid, 0);
    $exit{$pid} = 'timeout';
}

my $n = $CLIENTS * $ROUNDS;
is(join(' ', map { $exit{$_} } @kids), join(' ', (0) x $CLIENTS),
   "$CLIENTS clients x " . ($ROUNDS * @round) . ' requests, every status right');
diag(sprintf '%d requests in %.1f s', $n * @round, time - $start)
    if $ENV{TEST_NGINX_VERBOSE};

my %pids;
NgxTest::wait_for(sub {
    %pids = ();
    my @lines = split /\n/, $t->file('pid.log');
    $pids{(split / /)[0]}++ for @lines;
    @lines >= $n * 7;
});
is(scalar keys %pids, 2, "both workers served requests")
    or diag(join ', ', map { "$_: $pids{$_}" } sort keys %pids);
diag('requests per worker: ' . join ', ', map { $pids{$_} } sort keys %pids)
    if $ENV{TEST_NGINX_VERBOSE};

my $total = zero();
$total->{'ims_requests_total{route="patch",verdict="pass"}'} = 3 * $n;
$total->{'ims_requests_total{route="patch",verdict="reject"}'} = 2 * $n;
$total->{'ims_requests_total{route="patch",verdict="would_reject"}'} = $n;
$total->{'ims_requests_total{route="query",verdict="pass"}'} = $n;
$total->{'ims_requests_total{route="query",verdict="reject"}'} = $n;
$total->{'ims_requests_total{route="query",verdict="would_reject"}'} = $n;
$total->{'ims_rejections_total{code="IMG.0105",verdict="reject"}'} = $n;
$total->{'ims_rejections_total{code="IMG.0001",verdict="reject"}'} = $n;
$total->{'ims_rejections_total{code="IMG.0122",verdict="reject"}'} = $n;
$total->{'ims_rejections_total{code="IMG.0105",verdict="would_reject"}'} = $n;
$total->{'ims_rejections_total{code="IMG.0017",verdict="would_reject"}'} = $n;
$total->{'ims_content_types_total{variant="canonical"}'} = 4 * $n;
$total->{'ims_content_types_total{variant="case"}'} = $n;
$total->{'ims_content_types_total{variant="parameters"}'} = $n;
$total->{ims_body_inspected_bytes_total}
    = $n * (2 * length($RENAME) + 2 * length($FORBIDDEN) + length $BIG);
$total->{outcome('patch', 'on', 'pass', 200)} = 3 * $n;
$total->{outcome('patch', 'on', 'reject', 400)} = 2 * $n;
$total->{outcome('patch', 'monitor', 'would_reject', 200)} = $n;
$total->{outcome('query', 'on', 'pass', 200)} = $n;
$total->{outcome('query', 'on', 'reject', 400)} = $n;
$total->{outcome('query', 'monitor', 'would_reject', 200)} = $n;

# ask each worker (new connections land on either)
metrics_are($t, $total, 'exact totals across both workers');
metrics_are($t, $total, 'the same totals on another request');

### the counters survive a reload

my $conf = $t->file('nginx.conf');
$conf =~ s{(\n\s*location = /metrics \{)}
          {\n        location = /reloaded { return 200 "reloaded\\n"; }$1}
    or die "cannot edit nginx.conf\n";
open my $fh, '>', $t->dir . '/nginx.conf' or die "$!\n";
print $fh $conf;
close $fh;

isnt($t->request(uri => '/reloaded')->{body}, "reloaded\n",
     'before the reload: /reloaded is proxied');

my ($master) = $t->file('nginx.pid') =~ /^(\d+)/;
ok($master && kill('HUP', $master), "SIGHUP to the master ($master)");

ok(NgxTest::wait_for(sub {
    $t->request(uri => '/reloaded')->{body} eq "reloaded\n"
}, 10), 'the new configuration serves requests');
like($t->error_log, qr/signal 1 \(SIGHUP\) received.*reconfiguring/,
     'error log: reconfiguring');

metrics_are($t, $total, 'after the reload: the same totals');

# new workers count into the same counters
for my $step (@round) {
    my ($req, $status) = @$step;
    is($t->request(%$req)->{status}, $status, 'after the reload: '
       . "$req->{method} $req->{uri}: $status");
}
$_ /= $n for values %$total;
$_ *= $n + 1 for values %$total;
metrics_are($t, $total, 'after the reload: one more round counted');

# and a second reload, without changes
my $workers = sub { scalar(() = $t->error_log =~ /start worker process \d+/g) };
is($workers->(), 4, 'two workers, then two more after the reload');
kill 'HUP', $master;
ok(NgxTest::wait_for(sub { $workers->() == 6 }, 10),
   'second reload: two new workers');
metrics_are($t, $total, 'after the second reload: the same totals');

$t->stop;

done_testing;
