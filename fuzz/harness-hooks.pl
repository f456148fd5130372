#!/usr/bin/perl

# Prints the directory of integration tests that `make test-asan` and
# `make test-valgrind` run with prove.  Both need three hooks in
# t/lib/NgxTest.pm:
#
#   TEST_NGINX_MODULE=        (empty) the module is compiled into
#                             TEST_NGINX_BINARY: no load_module line, and
#                             require_module() does not skip;
#   TEST_NGINX_WRAPPER=CMD    nginx runs as "CMD nginx -p ..." (valgrind);
#   TEST_NGINX_MASTER=off     "master_process off;" in the generated config.
#
# If the harness has them, this prints "t".  Until it has, it copies t/ to
# build/harness/t, adds the hooks to the copy (the same change as asked
# for in RELIABILITY.md), and prints that path.  The copy's $ROOT is the
# repository, so build/ and tools/ are the real ones.
#
#   perl fuzz/harness-hooks.pl

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);

my $root = abs_path(dirname(abs_path(__FILE__)) . '/..');
my $lib = "$root/t/lib/NgxTest.pm";

sub slurp {
    open my $fh, '<', $_[0] or die "$_[0]: $!\n";
    local $/;
    return scalar <$fh>;
}

my $text = slurp($lib);
my $conf_t = "$root/t/080-config.t";
my $conf_text = -f $conf_t ? slurp($conf_t) : '';

# the hooks, and t/080-config.t aware of a module built into the binary
if ($text =~ /TEST_NGINX_WRAPPER/ && $text =~ /TEST_NGINX_MASTER/
    && ($conf_text eq '' || $conf_text =~ /BUILTIN/))
{
    print "t\n";
    exit 0;
}

my $copy = "$root/build/harness/t";
remove_tree($copy);
make_path(dirname($copy));
system('cp', '-a', "$root/t", $copy) == 0 or die "cp -a t $copy failed\n";

sub edit {
    my ($file, $text, @edits) = @_;

    for my $e (@edits) {
        my ($re, $new) = @$e;
        $text =~ s/$re/ref $new ? $new->() : $new/e
            or die "harness-hooks: $file changed, cannot apply $re\n";
    }

    open my $fh, '>', "$copy/$file" or die "$copy/$file: $!\n";
    print $fh $text;
    close $fh;
}

if ($text !~ /TEST_NGINX_WRAPPER/ || $text !~ /TEST_NGINX_MASTER/) {
    edit('lib/NgxTest.pm', $text,
        # $ROOT is the repository, not the copy's parent
        [ qr/^our \$ROOT = .*$/m, "our \$ROOT = '$root';" ],

        [ qr/^(our \$MODULE = .*;)$/m,
          sub { "$1\n"
                . "our \$BUILTIN = \$MODULE eq '';    # in \$BINARY\n"
                . "our \@WRAPPER = split ' ', "
                . "\$ENV{TEST_NGINX_WRAPPER} // '';\n"
                . "our \$MASTER = \$ENV{TEST_NGINX_MASTER} // 'on';" } ],

        [ qr/^(sub require_module \{\n)/m,
          sub { "$1    return if \$BUILTIN;\n" } ],

        [ qr/if \$self->\{module\} && !-f \$MODULE;/,
          'if $self->{module} && !$BUILTIN && !-f $MODULE;' ],

        [ qr/my \$load = \$self->\{module\} \?/,
          'my $load = $self->{module} && !$BUILTIN ?' ],

        [ qr/^master_process on;$/m, 'master_process $MASTER;' ],

        [ qr/exec\(\$BINARY, "-p"/, 'exec(@WRAPPER, $BINARY, "-p"' ],

        [ qr/if \(\$a\{module\} \/\/ 1\) && \$conf/,
          'if ($a{module} // 1) && !$BUILTIN && $conf' ]);

} else {
    # the hooks are there: the copy's $ROOT must still be the repository
    edit('lib/NgxTest.pm', $text,
        [ qr/^our \$ROOT = .*$/m, "our \$ROOT = '$root';" ]);
}

if ($conf_text ne '' && $conf_text !~ /BUILTIN/) {
    edit('080-config.t', $conf_text,
        # no load_module line is prepended to a built-in module's config
        [ qr/return defined \$i \? \$i \+ 2 : undef;/,
          'return defined $i ? $i + ($NgxTest::BUILTIN ? 1 : 2) : undef;' ],

        # a static module cannot be left out
        [ qr/^(my\ \(\$rc,\ \$out\)\ =\ NgxTest::nginx_t\(
                conf\(location\ =>\ 'ims_gateway\ on;'\),\n
                .*?\n
                \ {5}'without\ the\ module:\ unknown\ directive'\);\n)/msx,
          sub { "my (\$rc, \$out);\nSKIP: {\n"
                . "skip 'the module is built into the binary', 2\n"
                . "    if \$NgxTest::BUILTIN;\n"
                . ($1 =~ s/^my \(\$rc, \$out\)/(\$rc, \$out)/r) . "}\n" } ],

        # the examples without their load_module line
        [ qr/^(\s+)(symlink \$MODULE, )/m,
          sub { "$1\$NgxTest::BUILTIN or $2" } ],

        [ qr/run\(\$BINARY, '-t', '-p', "\$p\/", '-c', \$file,/,
          q{run($BINARY, '-t', '-p', "$p/", '-c', builtin_conf($file, $p),} ],

        [ qr/^(    my \$text = slurp\("\$NgxTest::ROOT\/conf\/\$name"\);\n)/m,
          sub { "$1    \$text =~ s/^load_module\\b.*\\n//mg "
                . "if \$NgxTest::BUILTIN;\n" } ],

        [ qr/^(sub slurp \{)/m,
          sub { "sub builtin_conf {\n"
                . "    my (\$file, \$p) = \@_;\n"
                . "    return \$file unless \$NgxTest::BUILTIN;\n"
                . "    my \$text = slurp(\$file);\n"
                . "    \$text =~ s/^load_module\\b.*\\n//mg;\n"
                . "    open my \$fh, '>', \"\$p/example.conf\"\n"
                . "        or die \"\$!\\n\";\n"
                . "    print \$fh \$text;\n"
                . "    close \$fh;\n"
                . "    return \"\$p/example.conf\";\n"
                . "}\n\n$1" } ]);
}

print STDERR "harness-hooks: t/lib/NgxTest.pm or t/080-config.t lacks the "
             . "hooks for a wrapped or built-in nginx: using a patched copy "
             . "in $copy\n";
print "$copy\n";
