#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# bench/payloads.pl OUTDIR: the benchmark workloads W1-W7, written once so
# that the HTTP benchmark (wrk) and the core benchmark (core-bench) measure
# exactly the same bytes.
#
# For every workload OUTDIR gets:
#   Wn.body   the request body (patch) or the query string without "?"
#   Wn.lua    a wrk script sending that request
# and OUTDIR/manifest.tsv has one line per workload:
#   id  kind(patch|query)  module-status  method  uri  file  description
# module-status is what the gateway with "ims_gateway on" must answer (the
# plain gateway proxies everything, so it always gets the backend's 200).

use strict;
use warnings;

use File::Path qw(make_path);

my $out = shift @ARGV or die "usage: $0 OUTDIR\n";
make_path($out);

my $IMAGE = '/v2/images/33ad552d-1149-471c-8190-ff6776174a00';
my $QUERY = '/v2/cloudimages';
my $V21 = 'application/openstack-images-v2.1-json-patch';

# One v2.1 operation; the JSON is written by hand so that the byte layout is
# fixed (no whitespace, members in the usual order).
sub op {
    my ($op, $attr, $value) = @_;
    my $s = qq({"op":"$op","path":"/$attr");
    $s .= qq(,"value":"$value") if defined $value;
    return $s . '}';
}

# A valid patch of n operations: the two checked attributes first, then
# custom attributes cycling through add, replace and remove.  $pad sets the
# value length, i.e. the body size per operation.
sub patch {
    my ($n, $pad) = @_;
    my @ops = (op('replace', 'name', 'web-server-image-2024'),
               op('replace', '__description',
                  'Base image for the web tier, hardened and patched.'));
    my @kinds = qw(add replace remove);
    for my $i (scalar(@ops) .. $n - 1) {
        my $kind = $kinds[$i % 3];
        my $attr = sprintf('lbl_%03d', $i);
        my $value = $kind eq 'remove'
                    ? undef
                    : sprintf('%s-%03d', 'v' x $pad, $i);
        push @ops, op($kind, $attr, $value);
    }
    return '[' . join(',', @ops[0 .. $n - 1]) . ']';
}

my @workloads = (
    [ 'W1', 'patch', 200, 'valid v2.1 patch, 1 op',
      '[' . op('replace', 'name', 'web-server-01') . ']' ],
    [ 'W2', 'patch', 200, 'valid patch, 50 ops', patch(50, 24) ],
    [ 'W3', 'patch', 200, 'valid patch, 200 ops', patch(200, 10) ],
    [ 'W4', 'patch', 400, 'forbidden attribute (__imagetype)',
      '[' . op('replace', '__imagetype', 'gold') . ']' ],
    [ 'W5', 'patch', 400, 'malformed JSON',
      '[{"op":"replace","path":"/name","value":"web-server-01"]' ],
    [ 'W6', 'query', 200, 'valid query, 8 parameters',
      join('&', '__imagetype=gold', 'visibility=public', 'status=eq:active',
           '__os_type=Linux', 'disk_format=eq:qcow2', 'limit=100',
           'sort=name:asc,created_at:desc',
           'created_at=gte:2024-01-01T00:00:00Z') ],
    [ 'W7', 'query', 400, 'invalid query (8 parameters, last bad)',
      join('&', '__imagetype=gold', 'visibility=public', 'status=eq:active',
           '__os_type=Linux', 'disk_format=eq:qcow2', 'limit=100',
           'sort=name:asc,created_at:desc',
           'created_at=gte:2024-02-30T00:00:00Z') ],
);

# a Lua long string whose closing bracket occurs only at its end (a text
# ending in "]" must not close "[[ ... ]]" early)
sub lua_string {
    my ($s) = @_;
    my $eq = '';
    $eq .= '=' while index("$s]$eq]", "]$eq]") != length($s);
    return "[$eq\[$s]$eq]";
}

sub write_file {
    my ($path, $data) = @_;
    open(my $fh, '>:raw', $path) or die "$path: $!\n";
    print $fh $data;
    close($fh) or die "$path: $!\n";
}

open(my $manifest, '>', "$out/manifest.tsv.tmp") or die "$out: $!\n";

for my $w (@workloads) {
    my ($id, $kind, $status, $what, $data) = @$w;
    my ($method, $uri, $lua);

    if ($kind eq 'patch') {
        ($method, $uri) = ('PATCH', $IMAGE);
        $lua = join("\n",
            qq(wrk.method = "PATCH"),
            qq(wrk.path = "$uri"),
            qq(wrk.headers["Content-Type"] = "$V21"),
            'wrk.body = ' . lua_string($data), '');
    } else {
        ($method, $uri) = ('GET', "$QUERY?$data");
        $lua = join("\n",
            qq(wrk.method = "GET"),
            'wrk.path = ' . lua_string($uri), '');
    }

    write_file("$out/$id.body", $data);
    write_file("$out/$id.lua", "-- $id: $what (generated)\n$lua");
    print $manifest join("\t", $id, $kind, $status, $method, $uri,
                         "$id.body", sprintf('%s, %d B', $what,
                                             length($data))), "\n";
}

close($manifest) or die "$out: $!\n";
rename("$out/manifest.tsv.tmp", "$out/manifest.tsv") or die "$out: $!\n";
