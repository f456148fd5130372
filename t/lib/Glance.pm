package Glance;

# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Real OpenStack Glance for a test file (tools/glance.sh: Debian's
# python3-glance, sqlite, no auth, 127.0.0.1 on a free port).
#
#   Glance::skip_unless_installed();   # skip_all without python3-glance
#   my $g = Glance->start('routes');       # or the test file ends, failed
#   my $id = $g->image('demo');            # a sample image's id
#   $g->port; $g->dir;                     # stopped when the file ends

use strict;
use warnings;

use File::Temp qw(tempdir);
use Test::More;

use NgxTest;

my $GLANCE = "$NgxTest::ROOT/tools/glance.sh";
my @started;

END {
    local $?;
    note(scalar `$GLANCE stop $_ 2>&1`) for @started;
}

sub skip_unless_installed {
    plan(skip_all => 'python3-glance not installed')
        if system('/usr/bin/python3 -c "import glance" 2>/dev/null') != 0;
}

sub start {
    my ($class, $name) = @_;
    my $dir = tempdir("glance-$name-XXXXXX", TMPDIR => 1,
                      CLEANUP => !$ENV{TEST_NGINX_KEEP});
    my $port = NgxTest::free_port();

    my $out = `$GLANCE start $dir $port 2>&1`;
    push @started, $dir;
    note($out);
    ok($? == 0, "Glance started on 127.0.0.1:$port") or do {
        diag($out);
        done_testing;
        exit 1;
    };

    return bless { dir => $dir, port => $port }, $class;
}

sub dir  { $_[0]{dir} }
sub port { $_[0]{port} }

# a sample image (tools/glance.sh image), or the test file ends, failed
sub image {
    my ($self, $name) = @_;
    my $id = `$GLANCE image $self->{dir} $name`;
    chomp $id;
    like($id, qr/^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/,
         "sample image $name: $id") or do { done_testing; exit 1 };
    return $id;
}

1;
