package NgxTest;

# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# The project's own small integration-test harness (core Perl only).
#
#   my $t = NgxTest->new(config => $server_body);    # nginx + recorder
#   my $r = $t->request(method => 'PATCH', uri => '/v2/images/...',
#                       headers => ['Content-Type' => $ct], body => $patch);
#   is($r->{status}, 200);
#   my ($up) = $t->upstream_requests;                 # what the upstream saw
#   $t->stop;                                         # + "no alerts" test
#
# Environment: TEST_NGINX_BINARY (default /usr/sbin/nginx), TEST_NGINX_MODULE
# (default <repo>/build/ngx_http_ims_module.so; empty: the module is compiled
# into TEST_NGINX_BINARY, no load_module), TEST_NGINX_WRAPPER (a command put
# before nginx, e.g. valgrind ...), TEST_NGINX_MASTER (on or off, default
# on), TEST_NGINX_KEEP=1 keeps the temporary directories,
# TEST_NGINX_VERBOSE=1 prints where they are, TEST_NGINX_MAIN_INCLUDE=DIR
# includes DIR/*.conf in the main context (a packaged module's
# /etc/nginx/modules-enabled, with TEST_NGINX_MODULE empty),
# TEST_NGINX_IMS_READER=jansson sets ims_json_reader for every test server,
# TEST_NGINX_TIMEOUT=N gives a response N seconds (default 5),
# TEST_NGINX_PORT_BASE=N takes ports from N up instead of the kernel's
# choice.  A check that needs what a binary may lack (--with-debug, the sub
# or HTTP/2 module: NgxTest::features()) is skipped with the reason.
#
# Config texts may use %%DIR%% (the test directory), %%PORT%% (nginx) and
# %%UPSTREAM_PORT%%.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

use Recorder;

our $ROOT = abs_path(dirname(abs_path(__FILE__)) . '/../..');
our $BINARY = $ENV{TEST_NGINX_BINARY} // '/usr/sbin/nginx';
our $MODULE = $ENV{TEST_NGINX_MODULE} // "$ROOT/build/ngx_http_ims_module.so";
our $BUILTIN = $MODULE eq '';    # compiled into $BINARY
our @WRAPPER = split ' ', $ENV{TEST_NGINX_WRAPPER} // '';
our $MASTER = $ENV{TEST_NGINX_MASTER} // 'on';
# how long a response may take; slower under valgrind or a sanitizer
our $TIMEOUT = $ENV{TEST_NGINX_TIMEOUT} || 5;

use constant DEFAULT_CONFIG => <<'EOF';
        location / {
            ims_gateway on;
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
EOF

sub default_config { DEFAULT_CONFIG }

# skip the whole test file unless the module has been built
sub require_module {
    return if $BUILTIN;
    plan(skip_all => "module not built: $MODULE (run make)") unless -f $MODULE;
}

# an interrupted test script still stops its nginx and recorder (DESTROY)
for my $sig (qw(INT TERM)) {
    $SIG{$sig} = sub { exit 128 + ($sig eq 'INT' ? 2 : 15) }
        if !$SIG{$sig} || $SIG{$sig} eq 'DEFAULT';
}

my %used_ports;
my $next_port = $ENV{TEST_NGINX_PORT_BASE};

# A free local port: the kernel's choice (an unused ephemeral port), or,
# with TEST_NGINX_PORT_BASE, the next free one from that base.  Never one
# this process handed out before.  A port taken between this check and
# nginx's bind is handled by _start_nginx, which starts again on another.
sub free_port {
    for (1 .. 200) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $next_port ? $next_port++
                                                              : 0,
                                      Proto => 'tcp', Listen => 1,
                                      ReuseAddr => 1)
            or next;
        my $port = $s->sockport;
        close $s;
        next if $used_ports{$port}++;
        return $port;
    }
    die "no free local port\n";
}

# skip the rest of a test file, saying why, unless the binary has $feature
sub require_feature {
    my ($feature, $why) = @_;
    plan(skip_all => "$BINARY lacks $feature: $why")
        unless features()->{$feature};
}

# What the binary was built with (nginx -V), asked once:
# { debug => 0|1, sub => 0|1, http2 => 0|1, modules_path => '...' }
my $features;

sub features {
    return $features if $features;
    my $v = `$BINARY -V 2>&1`;
    $features = {
        debug => scalar($v =~ /--with-debug\b/),
        sub => scalar($v =~ /--with-http_sub_module\b/),
        http2 => scalar($v =~ /--with-http_v2_module\b/),
        modules_path => $v =~ /--modules-path=(\S+)/ ? $1 : '',
    };
    return $features;
}

sub _tempdir {
    my $dir = tempdir('ngx-test-XXXXXX', TMPDIR => 1,
                      CLEANUP => !$ENV{TEST_NGINX_KEEP});
    chmod 0777, $dir;    # workers run as nobody when started by root
    diag("test directory: $dir") if $ENV{TEST_NGINX_VERBOSE};

    # a packaged module's snippet loads "modules/...", relative to the
    # prefix: the prefix is this directory
    symlink(features()->{modules_path}, "$dir/modules")
        if $ENV{TEST_NGINX_MAIN_INCLUDE} && features()->{modules_path};

    return $dir;
}

sub new {
    my ($class, %args) = @_;

    my $self = bless {
        owner    => $$,
        module   => $args{module} // 1,
        upstream => $args{upstream} // 'recorder',
        workers  => $args{workers} // 1,
        http2    => $args{http2} // 0,
        dir      => _tempdir(),
    }, $class;

    die "module not built: $MODULE\n"
        if $self->{module} && !$BUILTIN && !-f $MODULE;

    $self->{port} = free_port();

    if ($self->{upstream} eq 'recorder') {
        $self->{upstream_log} = "$self->{dir}/upstream.log";
        open my $fh, '>', $self->{upstream_log} or die "$!\n";
        close $fh;
        for (1 .. 20) {
            $self->{upstream_port} = free_port();
            $self->{recorder} = eval {
                Recorder::start(port => $self->{upstream_port},
                                log => $self->{upstream_log});
            } and last;
        }
        die "cannot start recorder\n" unless $self->{recorder};

    } elsif ($self->{upstream} =~ /:(\d+)$/) {
        $self->{upstream_port} = $1;
    }

    # a port taken by another run between free_port() and nginx's bind:
    # start again on another one
    for my $try (1 .. 5) {
        $self->_write_conf(\%args);
        last if eval { $self->_start_nginx(); 1 };
        die $@ if $try == 5 || $@ !~ /Address already in use/;
        $self->{port} = free_port();
    }

    return $self;
}

sub dir           { $_[0]{dir} }
sub port          { $_[0]{port} }
sub upstream_port { $_[0]{upstream_port} }

sub _expand {
    my ($self, $text) = @_;
    $text //= '';
    $text =~ s/%%DIR%%/$self->{dir}/g;
    $text =~ s/%%PORT%%/$self->{port}/g;
    $text =~ s{%%UPSTREAM_PORT%%}{$self->{upstream_port} // 0}ge;
    return $text;
}

sub _write_conf {
    my ($self, $args) = @_;
    my $d = $self->{dir};

    my $load = $self->{module} && !$BUILTIN ? "load_module $MODULE;\n" : '';
    # a packaged module: its modules-enabled snippets load it
    $load .= "include $ENV{TEST_NGINX_MAIN_INCLUDE}/*.conf;\n"
        if $ENV{TEST_NGINX_MAIN_INCLUDE};
    my $upstream = $self->{upstream_port} ? <<"EOF" : '';
    upstream backend {
        server 127.0.0.1:$self->{upstream_port};
        keepalive 4;
    }
EOF
    my $h2 = $self->{http2} ? ' http2' : '';

    _write("$d/nginx.conf", $self->_expand(<<"EOF"));
${load}daemon off;
master_process $MASTER;
worker_processes $self->{workers};
error_log $d/error.log debug;
pid $d/nginx.pid;
@{[ $args->{main_config} // '' ]}
events {
    worker_connections 256;
}

http {
    access_log $d/access.log;
    client_body_temp_path $d/client_body_temp;
    proxy_temp_path $d/proxy_temp;
    fastcgi_temp_path $d/fastcgi_temp;
    uwsgi_temp_path $d/uwsgi_temp;
    scgi_temp_path $d/scgi_temp;

@{[ $args->{http_config} // '' ]}
@{[ $self->{module} && $ENV{TEST_NGINX_IMS_READER}
    ? "    ims_json_reader $ENV{TEST_NGINX_IMS_READER};" : '' ]}
$upstream
    server {
        listen 127.0.0.1:$self->{port}$h2;
        server_name localhost;

@{[ $args->{config} // DEFAULT_CONFIG ]}
    }
}
EOF
}

sub _write {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "$file: $!\n";
    binmode $fh;
    print $fh $text;
    close $fh;
}

sub _slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return '';
    binmode $fh;
    local $/;
    return scalar <$fh>;
}

sub _start_nginx {
    my ($self) = @_;
    my $d = $self->{dir};

    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', "$d/stderr.log";
        open STDERR, '>&', \*STDOUT;
        exec(@WRAPPER, $BINARY, "-p", "$d/", "-c", "$d/nginx.conf",
             "-e", "$d/error.log")
            or POSIX::_exit(127);
    }
    $self->{pid} = $pid;

    my $deadline = time + 10;
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            my $status = $? >> 8;
            delete $self->{pid};
            my $log = _slurp("$d/stderr.log") . _slurp("$d/error.log");
            $self->stop(quiet => 1);
            die "nginx exited at startup (exit code $status):\n"
                . join("\n", grep /\[(emerg|alert|crit)\]|nginx:/,
                                  split /\n/, $log) . "\n";
        }
        # the pid file is written once the listening sockets are bound:
        # before it, a connect may reach someone else's socket on the port
        if (-s "$d/nginx.pid") {
            return if IO::Socket::INET->new(
                          PeerAddr => "127.0.0.1:$self->{port}");
        }
        sleep 0.05;
    }

    $self->stop(quiet => 1);
    die "nginx did not start listening on 127.0.0.1:$self->{port}\n";
}

sub stop {
    my ($self, %args) = @_;
    return if $self->{stopped} || $$ != $self->{owner};
    $self->{stopped} = 1;

    if (my $pid = delete $self->{pid}) {
        kill 'QUIT', $pid;
        my $deadline = time + 10;
        sleep 0.02 while waitpid($pid, WNOHANG) == 0 && time < $deadline;
        if (kill 0, $pid) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
    }

    if (my $pid = delete $self->{recorder}) {
        kill 'TERM', -$pid;    # the recorder's own process group
        waitpid($pid, 0);
    }

    $self->no_alerts unless $args{quiet};
}

sub DESTROY {
    my ($self) = @_;
    return if $self->{stopped} || $$ != $self->{owner};
    $self->stop(quiet => 1);
    my @bad = $self->_alerts;
    diag("error.log has alerts:\n@bad") if @bad;
}

sub _alerts {
    my ($self) = @_;
    return grep /\[(alert|crit|emerg)\]/, split /^/m, $self->error_log;
}

sub no_alerts {
    my ($self) = @_;
    my @bad = $self->_alerts;
    ok(!@bad, 'no [alert], [crit] or [emerg] in error.log')
        or diag(join '', @bad);
}

sub error_log  { _slurp("$_[0]{dir}/error.log") }
sub access_log { _slurp("$_[0]{dir}/access.log") }
sub file       { _slurp("$_[0]{dir}/$_[1]") }    # any file in the test dir

# wait until $code returns true (logs are written after the response)
sub wait_for {
    my ($code, $timeout) = @_;
    my $deadline = time + ($timeout // 2);
    until ($code->()) {
        return 0 if time > $deadline;
        sleep 0.05;
    }
    return 1;
}

### client side

# Build request bytes.  headers => [name => value, ...] keeps order and
# duplicates; Host, Connection: close and Content-Length (or, with
# chunked => 1 | [sizes], Transfer-Encoding) are added unless present.
# keepalive => 1 leaves out "Connection: close".

sub http_request {
    my (%a) = @_;
    my @h = @{ $a{headers} // [] };
    my %has;
    for (my $i = 0; $i < @h; $i += 2) { $has{ lc $h[$i] } = 1 }
    my $body = $a{body};

    unshift @h, Host => 'localhost' unless $has{host};
    push @h, Connection => 'close' unless $has{connection} || $a{keepalive};

    if ($a{chunked}) {
        push @h, 'Transfer-Encoding' => 'chunked'
            unless $has{'transfer-encoding'};
        $body = chunk($body // '', $a{chunked});
    } elsif (defined $body && !$has{'content-length'}) {
        push @h, 'Content-Length' => length $body;
    }

    my $req = ($a{method} // 'GET') . ' ' . ($a{uri} // '/') . " HTTP/1.1\r\n";
    for (my $i = 0; $i < @h; $i += 2) { $req .= "$h[$i]: $h[$i + 1]\r\n" }
    return "$req\r\n" . ($body // '');
}

# chunked encoding; $sizes: 1 = one chunk, [n, m, ...] = sizes, the last
# one repeated until the body is used up
sub chunk {
    my ($body, $sizes) = @_;
    my @sizes = ref $sizes ? @$sizes : (length($body) || 1);
    my $out = '';
    while (length $body) {
        my $n = @sizes > 1 ? shift @sizes : $sizes[0];
        my $part = substr($body, 0, $n, '');
        $out .= sprintf("%x\r\n%s\r\n", length $part, $part);
    }
    return "${out}0\r\n\r\n";
}

sub request {
    my ($self, %a) = @_;
    my ($r) = $self->raw(http_request(%a), expect => 1,
                         head => (($a{method} // '') eq 'HEAD'),
                         timeout => $a{timeout}, port => $a{port});
    return $r;
}

# Send bytes (a string, or [pieces] sent `delay` (0.1) s apart) on one
# connection and read up to `expect` responses (1xx are skipped) for at most
# `timeout` s.  Every returned response has `closed`: whether the server
# closed the connection.  head => 1: responses carry no body (HEAD).
# port => N talks to another local server.
sub raw {
    my ($self, $data, %a) = @_;
    my $expect = $a{expect} // 1;
    my $timeout = $a{timeout} // $TIMEOUT;
    my @pieces = ref $data ? @$data : ($data);

    local $SIG{PIPE} = 'IGNORE';
    my $port = $a{port} // $self->{port};
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
        or die "connect 127.0.0.1:$port: $!\n";
    $s->blocking(0);
    my $sel = IO::Select->new($s);

    my ($buf, $out, $eof, @resp) = ('', shift(@pieces) // '', 0);
    my ($next_piece, $deadline) = (0, time + $timeout);

    while (@resp < $expect && time < $deadline) {
        if ($out eq '' && @pieces && time >= $next_piece) {
            $out = shift @pieces;
        }
        my $want_write = $out ne '';
        my ($r, $w) = IO::Select->select($sel, $want_write ? $sel : undef,
                                         undef, 0.05);
        if ($w && @$w) {
            my $n = syswrite($s, $out);
            if (defined $n) {
                substr($out, 0, $n, '');
                $next_piece = time + ($a{delay} // 0.1) if $out eq '';
            } elsif (!$!{EAGAIN}) {
                ($out, @pieces) = ('');    # peer closed or reset
            }
        }
        if ($r && @$r) {
            my $n = sysread($s, $buf, 65536, length $buf);
            $eof = 1 if defined $n ? $n == 0 : !$!{EAGAIN};
        }
        while (my $resp = parse_response(\$buf, $a{head}, $eof)) {
            push @resp, $resp unless $resp->{status} =~ /^1/;
        }
        last if $eof;
    }

    unless ($eof) {    # a server closing after the last response does so now
        my $wait = time + ($a{close_wait} // 0.2);
        while (time < $wait) {
            next unless $sel->can_read(0.05);
            my $n = sysread($s, $buf, 65536, length $buf);
            if (defined $n ? $n == 0 : !$!{EAGAIN}) {
                $eof = 1;
                last;
            }
        }
    }

    $_->{closed} = $eof for @resp;
    close $s;
    return @resp;
}

# Parse and remove one response from the start of $$buf; undef if incomplete.
sub parse_response {
    my ($buf, $head, $eof) = @_;

    my $hend = index($$buf, "\r\n\r\n");
    return undef if $hend < 0;

    my ($line, @lines) = split /\r\n/, substr($$buf, 0, $hend);
    my ($status, $reason) = $line =~ m{^HTTP/\d\.\d (\d{3})(?: (.*))?$}
        or die "bad status line: $line\n";

    my %h;
    for (@lines) {
        my ($n, $v) = /^([^:]+):[ \t]*(.*?)[ \t]*$/ or next;
        push @{ $h{lc $n} }, $v;
    }

    my ($pos, $body) = ($hend + 4, '');
    my ($te) = @{ $h{'transfer-encoding'} // [] };
    my ($cl) = @{ $h{'content-length'} // [] };

    if ($head || $status =~ /^(1..|204|304)$/) {
        # no body
    } elsif (defined $te && $te =~ /chunked/i) {
        ($body, $pos) = Recorder::dechunk($$buf, $pos) or return undef;
    } elsif (defined $cl) {
        return undef if length($$buf) < $pos + $cl;
        $body = substr($$buf, $pos, $cl);
        $pos += $cl;
    } else {
        return undef unless $eof;
        $body = substr($$buf, $pos);
        $pos = length $$buf;
    }

    return { status => $status, reason => $reason // '', headers => \%h,
             body => $body, raw => substr($$buf, 0, $pos, '') };
}

### upstream side

sub upstream_requests {
    my ($self) = @_;
    my $log = _slurp($self->{upstream_log} // return ());
    my @reqs;

    while ($log =~ /\GREQ (\d+)\n/gc) {
        my $raw = substr($log, pos($log), $1);
        pos($log) += $1 + 1;

        my ($head, $body) = split /\r\n\r\n/, $raw, 2;
        my ($line, @lines) = split /\r\n/, $head;
        my ($method, $uri) = split / /, $line;
        my %h;
        for (@lines) {
            my ($n, $v) = /^([^:]+):[ \t]*(.*?)[ \t]*$/ or next;
            push @{ $h{lc $n} }, $v;
        }
        if (join(',', @{ $h{'transfer-encoding'} // [] }) =~ /chunked/i) {
            ($body) = Recorder::dechunk($raw, length($head) + 4);
        }
        push @reqs, { method => $method, uri => $uri, headers => \%h,
                      body => $body, raw => $raw };
    }

    return @reqs;
}

sub upstream_count { scalar(my @r = $_[0]->upstream_requests) }

### HTTP/2 and config checks

# Run nghttp (h2c, prior knowledge) with @args; arguments starting with "/"
# (not option values such as -d /file) become http://127.0.0.1:PORT/...
# Returns (stdout+stderr, exit code).
my %nghttp_value = map { $_ => 1 }
    qw(-d --data -r --har -H --header --trailer -t --timeout -m --multiply
       -w --window-bits -W --connection-window-bits -p --pri -c -b -M);

sub nghttp {
    my ($self, @args) = @_;
    for my $i (0 .. $#args) {
        next if $args[$i] !~ m{^/} || $i > 0 && $nghttp_value{ $args[$i - 1] };
        $args[$i] = "http://127.0.0.1:$self->{port}$args[$i]";
    }
    return _run('nghttp', '-t', $TIMEOUT, @args);
}

sub _run {
    my (@cmd) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!\n";
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        exec(@cmd) or POSIX::_exit(127);
    }
    binmode $fh;
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    return wantarray ? ($out, $? >> 8) : $out;
}

# nginx -t on a whole configuration; load_module is prepended unless the
# text has one or module => 0.  Returns (exit code, output).
sub nginx_t {
    my ($conf, %a) = @_;
    my $dir = _tempdir();
    mkdir "$dir/logs";

    $conf = "load_module $MODULE;\n$conf"
        if ($a{module} // 1) && !$BUILTIN && $conf !~ /^\s*load_module\b/m;
    $conf =~ s/%%DIR%%/$dir/g;
    _write("$dir/nginx.conf", $conf);

    my ($out, $rc) = _run($BINARY, '-t', '-p', "$dir/", '-c', "$dir/nginx.conf",
                          '-e', "$dir/error.log");
    return ($rc, $out);
}

1;
