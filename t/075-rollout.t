#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Rollout (docs/rules.md, "Configuration"; README, "Rolling out"): the mode
# chosen per request by a variable (map, geo, split_clients), an invalid
# value judged "on" and logged once per worker, $ims_mode and
# $ims_outcome, and the outcome counters exact against real Glance.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use NgxTest;
use Ims;
use Glance;

NgxTest::require_module();

my $URI = "/v2/images/$IMAGE_ID";

sub patch {
    my ($body, @headers) = @_;
    return (method => 'PATCH', uri => $URI, body => $body,
            headers => ['Content-Type' => $V21, @headers]);
}

# the access log line of the request with this X-Id
sub line_of {
    my ($t, $id) = @_;
    my $line;
    NgxTest::wait_for(sub {
        ($line) = $t->file('outcome.log') =~ /^\Q$id\E (.*)$/m;
    });
    return $line // '';
}

my $HTTP = <<'EOF';
    log_format outcome '$http_x_id mode=$ims_mode verdict=$ims_verdict '
                       'outcome=$ims_outcome status=$status';

    # a client identity, from a header (or $ssl_client_s_dn with TLS)
    map $http_x_client $ims_by_client {
        default     monitor;
        batch-job   on;
        legacy-tool off;
        broken      enforce;
    }

    # a trusted network is exempt; everyone else is enforced
    geo $ims_by_network {
        default       on;
        127.0.0.2/32  off;
    }

    # a percentage: half the clients, by a stable key
    split_clients "${http_x_client}" $ims_by_share {
        50%  on;
        *    monitor;
    }
EOF

my $t = NgxTest->new(workers => 2, http_config => $HTTP, config => <<'EOF');
        access_log %%DIR%%/outcome.log outcome;

        location / {
            ims_gateway $ims_by_client;
            proxy_pass http://backend;
        }

        location /net/ {
            ims_gateway $ims_by_network;
            ims_api_prefix /net;
            proxy_pass http://backend;
        }

        location /share/ {
            ims_gateway $ims_by_share;
            ims_api_prefix /share;
            proxy_pass http://backend;
        }

        location /literal/ {
            ims_gateway "monitor";
            ims_api_prefix /literal;
            proxy_pass http://backend;
        }
EOF

### map: the mode by client

my @map = (
    # client, status, mode, verdict, outcome
    ['batch-job', 400, 'on', 'reject', 'reject/4xx'],
    ['anyone', 200, 'monitor', 'would_reject', 'would_reject/2xx'],
    ['legacy-tool', 200, '', '', ''],
    ['broken', 400, 'on', 'reject', 'reject/4xx'],
);

my $id = 0;
for my $row (@map) {
    my ($client, $status, $mode, $verdict, $outcome) = @$row;
    $id++;
    my $r = $t->request(patch($FORBIDDEN, 'X-Client' => $client,
                              'X-Id' => "map$id"));
    is($r->{status}, $status, "map, $client: $status");
    is(line_of($t, "map$id"),
       "mode=$mode verdict=$verdict outcome=$outcome status=$status",
       "map, $client: \$ims_mode, \$ims_verdict, \$ims_outcome");
}

is($t->upstream_count, 2, 'map: the monitored and the exempt request forwarded');

# a value that is none of on, off, monitor: judged "on", logged once by
# each worker that met it
for (1 .. 6) {
    is($t->request(patch($FORBIDDEN, 'X-Client' => 'broken'))->{status}, 400,
       'an invalid mode is judged "on"');
}
my @warned = $t->error_log =~ /\[warn\] (\d+)#\d+: .*ims: "ims_gateway" evaluated to "enforce", not "on", "off" or "monitor": judged as "on"/g;
my %by_pid;
$by_pid{$_}++ for @warned;
ok(@warned >= 1 && @warned <= 2, 'the invalid value is logged, at warn, '
   . 'by at most the two workers') or diag($t->error_log);
is(scalar(grep { $_ > 1 } values %by_pid), 0, '... once per worker');

### geo: a trusted network is exempt

SKIP: {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.2',
                                  PeerAddr => '127.0.0.1:' . $t->port);
    skip('127.0.0.2 is not usable as a source address here', 4) unless $s;
    close $s;

    my $n = $t->upstream_count;
    my $r = $t->request(patch($FORBIDDEN), uri => "/net$URI");
    is($r->{status}, 400, 'geo, 127.0.0.1: enforced');

    # the same request from 127.0.0.2, by hand
    my $req = NgxTest::http_request(patch($FORBIDDEN), uri => "/net$URI",
                                    headers => ['Content-Type' => $V21,
                                                'X-Id' => 'geo']);
    my $c = IO::Socket::INET->new(LocalAddr => '127.0.0.2',
                                  PeerAddr => '127.0.0.1:' . $t->port)
        or die "connect: $!\n";
    print $c $req;
    my $resp = do { local $/; <$c> } // '';
    close $c;
    like($resp, qr{^HTTP/1\.1 200 }, 'geo, 127.0.0.2: exempt, forwarded');
    is($t->upstream_count, $n + 1, 'geo: only the exempt one forwarded');
    is(line_of($t, 'geo'), 'mode= verdict= outcome= status=200',
       'geo, 127.0.0.2: not judged');
}

### split_clients: about half of the clients enforced, each one stable

my %mode_of;
my $enforced = 0;
my $CLIENTS = 400;

for my $k (1 .. $CLIENTS) {
    my $r = $t->request(patch($FORBIDDEN, 'X-Client' => "client-$k"),
                        uri => "/share$URI");
    $mode_of{$k} = $r->{status} == 400 ? 'on' : 'monitor';
    $enforced++ if $r->{status} == 400;
}

cmp_ok($enforced, '>=', $CLIENTS * 0.40, "split_clients 50%: $enforced of "
       . "$CLIENTS enforced (at least 40%)");
cmp_ok($enforced, '<=', $CLIENTS * 0.60, 'split_clients 50%: at most 60%');

my $stable = grep {
    my $r = $t->request(patch($FORBIDDEN, 'X-Client' => "client-$_"),
                        uri => "/share$URI");
    ($r->{status} == 400 ? 'on' : 'monitor') eq $mode_of{$_};
} 1 .. 50;
is($stable, 50, 'split_clients: a client keeps its mode');

# a literal in quotes has no variable: the plain mode
my $r = $t->request(patch($FORBIDDEN, 'X-Id' => 'literal'),
                    uri => "/literal$URI");
is($r->{status}, 200, 'ims_gateway "monitor": monitored');
like(line_of($t, 'literal'), qr/^mode=monitor verdict=would_reject /,
     '... and $ims_mode says so');

$t->stop;

### the outcome counters against real Glance

SKIP: {
    skip('python3-glance not installed', 1)
        if system('/usr/bin/python3 -c "import glance" 2>/dev/null') != 0;

    my $glance = Glance->start('rollout');
    my $port = $glance->port;
    my $image = $glance->image('rollout-demo');

    $t = NgxTest->new(upstream => "127.0.0.1:$port",
                      http_config => <<'EOF', config => <<'EOF');
    map $http_x_mode $ims_mode_wanted {
        default  on;
        monitor  monitor;
    }
EOF
        ims_gateway $ims_mode_wanted;

        location / {
            proxy_pass http://backend;
        }

        location = /metrics {
            ims_metrics;
        }
EOF

    my $missing = '00000000-0000-4000-8000-000000000000';
    my @mixed = (
        # uri, body, X-Mode, status, series (route/mode/verdict/class)
        ["/v2/images/$image", $FORBIDDEN, 'monitor', 200,
            'patch monitor would_reject 2xx'],
        ["/v2/images/$image", $FORBIDDEN, 'on', 400, 'patch on reject 4xx'],
        ["/v2/images/$image", $RENAME, 'on', 200, 'patch on pass 2xx'],
        ["/v2/images/$missing", $RENAME, 'on', 404, 'patch on pass 4xx'],
        ["/v2/images/$missing", $RENAME, 'monitor', 404,
            'patch monitor pass 4xx'],
        ["/v2/images/$image", '[{"op":"add","path":"/os_glance_x",'
                              . '"value":"1"}]', 'monitor', 403,
            'patch monitor would_reject 4xx'],
    );

    my %want;
    for my $m (@mixed) {
        my ($uri, $body, $mode, $status, $series) = @$m;
        my $res = $t->request(method => 'PATCH', uri => $uri, body => $body,
                              headers => ['Content-Type' => $V21,
                                          'X-Mode' => $mode]);
        is($res->{status}, $status, "$series: $status");
        $want{$series}++;
    }

    my $img = json_body($t->request(uri => "/v2/images/$image"));
    is($img->{__imagetype}, 'gold',
       'the monitored __imagetype edit was applied by Glance: the evidence '
       . 'that enforcing changes something');

    my $text = $t->request(uri => '/metrics')->{body};
    my %got;
    while ($text =~ /^ims_upstream_responses_total\{route="(\w+)",mode="(\w+)",verdict="(\w+)",status="(\dxx)"\} (\d+)$/mg) {
        $got{"$1 $2 $3 $4"} = $5 if $5;
    }
    is_deeply(\%got, \%want, 'ims_upstream_responses_total: exactly the '
              . 'mixed run') or diag($text);

    $t->stop;
}

done_testing;
