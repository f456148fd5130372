package Recorder;

# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# A recording HTTP/1.x upstream for the integration tests.
#
# Listens on 127.0.0.1:PORT, reads every request completely (headers, then a
# Content-Length or chunked body), appends the exact bytes it received to a
# log file, framed as "REQ <length>\n<bytes>\n", and answers
#
#     200 OK, Content-Type: application/octet-stream, body = the raw request
#
# Keep-alive is supported (the harness gives nginx `keepalive 4`).  Each
# connection is served by its own forked process; the recorder runs in its
# own process group so that the harness stops all of it with one signal.

use strict;
use warnings;

use Fcntl qw(:flock);
use IO::Select;
use IO::Socket::INET;
use POSIX ();

# Decode a chunked body that starts at offset $pos of $buf.
# Returns (decoded body, offset after the last CRLF) or () if incomplete.

sub dechunk {
    my ($buf, $pos) = @_;
    my $body = '';

    while (1) {
        my $eol = index($buf, "\r\n", $pos);
        return if $eol < 0;

        my ($hex) = substr($buf, $pos, $eol - $pos) =~ /^([0-9a-fA-F]+)/
            or die "bad chunk size line at offset $pos\n";
        my $size = hex $hex;
        $pos = $eol + 2;

        if ($size == 0) {
            # optional trailer fields, then an empty line
            while (1) {
                my $end = index($buf, "\r\n", $pos);
                return if $end < 0;
                my $empty = $end == $pos;
                $pos = $end + 2;
                return ($body, $pos) if $empty;
            }
        }

        return if length($buf) < $pos + $size + 2;
        $body .= substr($buf, $pos, $size);
        $pos += $size + 2;
    }
}

# Length of the first complete request in $buf, or undef if incomplete.

sub request_length {
    my ($buf) = @_;

    my $hend = index($buf, "\r\n\r\n");
    return undef if $hend < 0;

    my $head = substr($buf, 0, $hend);
    my $pos = $hend + 4;

    if ($head =~ /^transfer-encoding:[ \t]*chunked[ \t]*\r?$/mi) {
        my (undef, $end) = dechunk($buf, $pos);
        return $end;
    }

    my ($len) = $head =~ /^content-length:[ \t]*(\d+)/mi;
    $pos += $len // 0;

    return length($buf) >= $pos ? $pos : undef;
}

# Recorder::start(port => N, log => FILE) -> pid.
# The listening socket is bound before the fork: dies if the port is taken,
# and the recorder accepts connections as soon as this returns.

sub start {
    my (%args) = @_;

    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1',
        LocalPort => $args{port},
        Proto     => 'tcp',
        Listen    => 128,
        ReuseAddr => 1,
    ) or die "recorder: cannot listen on 127.0.0.1:$args{port}: $!\n";

    my $pid = fork() // die "recorder: fork: $!\n";

    if ($pid) {
        setpgrp($pid, $pid);
        close $listen;
        return $pid;
    }

    setpgrp(0, 0);
    $SIG{TERM} = sub { kill 'TERM', -$$; POSIX::_exit(0) };
    $SIG{CHLD} = 'IGNORE';
    $SIG{PIPE} = 'IGNORE';

    my $parent = getppid();
    my $sel = IO::Select->new($listen);

    while (1) {
        # the test script was killed without stopping us: go away too
        $SIG{TERM}->() if getppid() != $parent;
        next unless $sel->can_read(1);

        my $c = $listen->accept() or next;
        my $h = fork();

        if (defined $h && $h == 0) {
            close $listen;
            eval { serve($c, $args{log}) };
            POSIX::_exit(0);    # never return into the test script
        }

        close $c;
    }
}

sub serve {
    my ($c, $log) = @_;
    my $buf = '';

    while (1) {
        my $len;

        until (defined($len = request_length($buf))) {
            my $n = sysread($c, $buf, 65536, length $buf);
            return unless $n;
        }

        my $req = substr($buf, 0, $len, '');

        open my $fh, '>>', $log or die "recorder: $log: $!\n";
        binmode $fh;
        flock($fh, LOCK_EX);
        syswrite($fh, 'REQ ' . length($req) . "\n$req\n");
        close $fh;

        my ($head) = split /\r\n\r\n/, $req, 2;
        my $close = $head =~ /^connection:[ \t]*close/mi
                    || $head =~ m{\A\S+ \S+ HTTP/1\.0\r\n};

        my $resp = "HTTP/1.1 200 OK\r\n"
                   . "Content-Type: application/octet-stream\r\n"
                   . 'Content-Length: ' . length($req) . "\r\n"
                   . ($close ? "Connection: close\r\n" : '')
                   . "\r\n"
                   . ($head =~ /\AHEAD / ? '' : $req);

        while (length $resp) {
            my $n = syswrite($c, $resp);
            return unless $n;
            substr($resp, 0, $n, '');
        }

        return if $close;
    }
}

1;
