#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# bench/wrk-report.pl: reads wrk's output for bench/http-bench.sh.
#
#   wrk-report.pl parse WRK-OUTPUT
#       one line: requests/s, p50 (us), p99 (us), requests, non-2xx/3xx
#       responses, socket errors (connect + read + write + timeout)
#   wrk-report.pl table RUNS.tsv MANIFEST.tsv
#       the markdown table: per workload the median of every figure over
#       the rounds, for each gateway, and the median of the rounds' ratios
#       module/plain next to its target, with the middle half of those
#       ratios (their spread: how far one round says little).  RUNS.tsv has one line per wrk run:
#       workload, gateway (plain|module), round, then the parse line, then
#       the gateway worker's CPU use in percent of one CPU.

use strict;
use warnings;

# module/plain requests/s the module must reach (issue "Performance")
my %TARGET = (W1 => 0.95, W2 => 0.75, W3 => 0.50, W4 => 1.5, W5 => 1.5,
              W6 => 0.95, W7 => 1.5);

my %UNIT_US = (us => 1, ms => 1e3, s => 1e6, m => 60e6, h => 3600e6);

sub parse {
    my ($file) = @_;
    my %r = (non2xx => 0, errors => 0);

    open(my $fh, '<', $file) or die "$file: $!\n";
    while (my $line = <$fh>) {
        if ($line =~ /^\s+(50|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$/) {
            $r{"p$1"} = $2 * $UNIT_US{$3};
        } elsif ($line =~ /^\s+(\d+) requests in /) {
            $r{requests} = $1;
        } elsif ($line =~ /^\s+Non-2xx or 3xx responses: (\d+)/) {
            $r{non2xx} = $1;
        } elsif ($line =~ /^\s+Socket errors: (.*)/) {
            # connect N, read N, write N, timeout N
            $r{errors} += $_ for $1 =~ /(\d+)/g;
        } elsif ($line =~ /^Requests\/sec:\s+([\d.]+)/) {
            $r{rps} = $1;
        }
    }
    close($fh);

    for my $k (qw(rps p50 p99 requests)) {
        die "$file: no '$k' in wrk's output\n" unless defined $r{$k};
    }

    print join("\t", @r{qw(rps p50 p99 requests non2xx errors)}), "\n";
}

sub median {
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    my $m = int(@v / 2);
    return @v % 2 ? $v[$m] : ($v[$m - 1] + $v[$m]) / 2;
}

# the q-quantile of sorted values, nearest rank
sub quantile {
    my ($q, @v) = @_;
    return $v[int($q * $#v + 0.5)];
}

sub fmt_us {
    my ($us) = @_;
    return '-' unless defined $us;
    return $us >= 1000 ? sprintf('%.2f ms', $us / 1000)
                       : sprintf('%.0f us', $us);
}

sub table {
    my ($runs, $manifest) = @_;
    my (@order, %what, %v);

    open(my $mf, '<', $manifest) or die "$manifest: $!\n";
    while (<$mf>) {
        chomp;
        my @f = split /\t/;
        push @order, $f[0];
        $what{$f[0]} = $f[6];
    }
    close($mf);

    open(my $rf, '<', $runs) or die "$runs: $!\n";
    while (<$rf>) {
        chomp;
        my ($w, $gw, $round, $rps, $p50, $p99, $requests, $non2xx, $errors,
            $cpu) = split /\t/;
        push @{ $v{$w}{$gw}{rps} }, $rps;
        push @{ $v{$w}{$gw}{p50} }, $p50;
        push @{ $v{$w}{$gw}{p99} }, $p99;
        push @{ $v{$w}{$gw}{cpu} }, $cpu;
        $v{$w}{$gw}{round}{$round} = $rps;
        $v{$w}{$gw}{rounds}++;
    }
    close($rf);

    print "| workload | plain req/s | module req/s | module/plain | target "
        . "| | rounds' ratios, middle half "
        . "| p50 plain | p50 module | p99 plain | p99 module "
        . "| gateway CPU plain/module | rounds |\n";
    print "|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|\n";

    my @idle;

    for my $w (grep { $v{$_} } @order) {
        my %m;
        for my $gw (qw(plain module)) {
            for my $k (qw(rps p50 p99 cpu)) {
                $m{$gw}{$k} = median(@{ $v{$w}{$gw}{$k} || [] });
            }
        }

        # The ratio of each round's pair (two runs seconds apart, in
        # alternating order), and the median of those: the machine's speed
        # drifts (other guests of the host), and a pair sees the same
        # drift.
        my ($plain, $module) = map { $v{$w}{$_}{round} || {} }
                               qw(plain module);
        my @pairs = sort { $a <=> $b }
                    map { $module->{$_} / $plain->{$_} }
                    grep { $plain->{$_} && defined $module->{$_} }
                    keys %$plain;

        my ($ratio, $verdict, $spread) = ('-', '', '-');
        if (@pairs) {
            my $r = median(@pairs);
            $ratio = sprintf('%.3f', $r);
            $verdict = $r >= $TARGET{$w} ? 'met' : '**below**';
            $spread = sprintf('%.2f-%.2f', quantile(0.25, @pairs),
                              quantile(0.75, @pairs));
        }

        printf "| %s %s | %.0f | %.0f | %s | >= %.2f | %s | %s | %s | %s "
             . "| %s | %s | %.0f%% / %.0f%% | %d |\n",
            $w, $what{$w}, $m{plain}{rps} // 0, $m{module}{rps} // 0,
            $ratio, $TARGET{$w}, $verdict, $spread,
            fmt_us($m{plain}{p50}), fmt_us($m{module}{p50}),
            fmt_us($m{plain}{p99}), fmt_us($m{module}{p99}),
            $m{plain}{cpu} // 0, $m{module}{cpu} // 0,
            $v{$w}{module}{rounds} // 0;

        push @idle, $w if ($m{plain}{cpu} // 0) < 90;
    }

    # The ratio compares gateways only if a gateway was the bottleneck:
    # the plain one, which passes everything, must be busy.
    if (@idle) {
        print "\nWarning: the plain gateway used less than 90% of its CPU "
            . "in @idle: the load generator's core (wrk + backend), or "
            . "other load on the machine, limited those runs, so their "
            . "ratios say little about the module's cost.\n";
    }
}

my $cmd = shift @ARGV // '';

if ($cmd eq 'parse' && @ARGV == 1) {
    parse(@ARGV);
} elsif ($cmd eq 'table' && @ARGV == 2) {
    table(@ARGV);
} else {
    die "usage: $0 parse WRK-OUTPUT | table RUNS.tsv MANIFEST.tsv\n";
}
