#!/usr/bin/env bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

#
#   tools/build-asan.sh         builds build/asan/nginx: nginx 1.22.1 from
#                               Debian's orig tarball with the module
#                               compiled in statically and AddressSanitizer
#                               + UndefinedBehaviorSanitizer everywhere
#   tools/build-asan.sh test    runs prove -r t/ against it and fails on
#                               any sanitizer report (make test-asan)
#
# nginx-dev ships no .c files, so the full source comes from Debian's
# deb-src archive through a private apt configuration (the machine's own
# apt setup is not touched).  The tarball is the upstream release; the
# Debian patches are not needed for a test binary.
#
# Environment: CC (default cc), JOBS (default: number of CPUs),
# NGINX_VERSION (default 1.22.1), DEBIAN_MIRROR (default: the first Debian
# mirror in /etc/apt/sources.list{,.d}), ASAN_OUT (default build/asan),
# ASAN_MODULE_DIR (the module source to build in, default this checkout).

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${ASAN_OUT:-$TOP/build/asan}
MODULE_DIR=${ASAN_MODULE_DIR:-$TOP}
SRC=$OUT/src
DL=$TOP/build/asan/src              # the tarball, shared by every ASAN_OUT
APTSRC=$TOP/build/asan/apt
VERSION=${NGINX_VERSION:-1.22.1}
TARBALL=$DL/nginx_$VERSION.orig.tar.gz
JOBS=${JOBS:-$(nproc)}
CC=${CC:-cc}

# sha256 of nginx-1.22.1.tar.gz as published by nginx.org; Debian's orig
# tarball is that file unchanged
SHA256_1_22_1=9ebb333a9e82b952acd3e2b4aeb1d4ff6406f72491bab6cd9fe69f0dea737f31

die() { echo "build-asan: $*" >&2; exit 1; }


# The whole integration suite against the sanitized binary.  Every nginx
# process (master, workers, nginx -t) writes its reports to its own file
# under build/asan/reports; the test directories are kept so that their
# error.log and stderr.log can be searched too.

run_tests() {
    local tdir reports tmp rc

    [ -x "$OUT/nginx" ] || die "$OUT/nginx not built (run make asan)"

    tdir=$TOP/t
    reports=$OUT/reports
    tmp=$OUT/tmp

    # workers run as nobody: both directories are world-writable
    rm -rf "$reports" "$tmp"
    mkdir -p "$reports" "$tmp"
    chmod 1777 "$reports" "$tmp"

    export TEST_NGINX_BINARY=$OUT/nginx
    export TEST_NGINX_MODULE=            # built in: no load_module
    export TEST_NGINX_KEEP=1
    export TEST_NGINX_TIMEOUT=${TEST_NGINX_TIMEOUT:-15}
    export TMPDIR=$tmp

    # LeakSanitizer stays on but does not change exit codes (nginx -t
    # returns from main() without freeing its cycle: see t/lsan.supp);
    # UBSan logs every report and goes on.  The suppressions only name
    # nginx's own startup.
    export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:\
detect_stack_use_after_return=1:check_initialization_order=1"
    export LSAN_OPTIONS="suppressions=$TOP/t/lsan.supp:exitcode=0"
    export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:\
suppressions=$TOP/t/ubsan.supp"

    cd "$TOP"
    echo "build-asan: prove -r $tdir with TEST_NGINX_BINARY=$OUT/nginx"
    rc=0
    timeout 1800 prove -r "$tdir" || rc=$?

    # every report, from the report files and from each test's error.log
    # and stderr.log, grouped by kind and top frames
    if ! perl - "$reports" "$tmp" << 'EOF'
use strict;
use warnings;
use File::Find;

my (%seen, %example, @files);
my $main_pool = 0;

find(sub { push @files, $File::Find::name
               if -f && /^(asan|ubsan)\.|^(error|stderr)\.log$/ }, @ARGV);

for my $file (@files) {
    open my $fh, '<', $file or next;
    my ($kind, $text, @frames);

    my $done = sub {
        return unless $kind;
        my @top = grep { !/sanitizer|interceptor/ } @frames;
        push @top, ('') x 4;

        # nginx -t returns from main() with the pool main() created
        if ($kind =~ /leak/
            && "@top[0 .. 2]" eq 'ngx_memalign ngx_create_pool main')
        {
            $main_pool++;
            return;
        }

        my $sig = join ' < ', $kind, grep { $_ ne '' } @top[0 .. 3];
        $sig =~ s/0x[0-9a-f]+/0x.../g;
        $seen{$sig}++;
        $example{$sig} //= "$file:\n$text";
    };

    while (my $line = <$fh>) {
        my $new;

        if ($line =~ /ERROR: AddressSanitizer: ([\w-]+)/) {
            $new = "ASan $1";
        } elsif ($line =~ /^(Direct|Indirect) leak of/) {
            $new = "LSan \l$1 leak";
        } elsif ($line =~ /runtime error: (.*)/) {
            $new = "UBSan $1";
        }

        if ($new) {
            $done->();
            ($kind, $text, @frames) = ($new, '');
        }

        next unless $kind;
        $text .= $line if length $text < 4000;
        push @frames, $1 if $line =~ /^\s+#\d+ \S+ in (\S+)/;
    }

    $done->();
}

my @sigs = sort { $seen{$b} <=> $seen{$a} } keys %seen;
print "build-asan: not counted: $main_pool x the pool main() creates, "
      . "left by nginx -t and failed starts\n";
print "$seen{$_} x $_\n" for @sigs;
print "\n== one of $seen{$_}: $example{$_}" for @sigs;

exit(@sigs ? 1 : 0);
EOF
    then
        echo "build-asan: sanitizer reports above; test directories in $tmp"
        exit 1
    fi

    [ $rc -eq 0 ] || die "prove failed (exit $rc); test directories in $tmp"

    echo "build-asan: no sanitizer report ($(ls "$reports" | wc -l) report" \
         "files, $(ls "$tmp" | wc -l) test directories)"
    rm -rf "$tmp"
}


if [ "${1:-}" = test ]; then
    run_tests
    exit 0
fi

mkdir -p "$SRC" "$DL"

# 1. the orig tarball, unless a previous run fetched it

if [ ! -s "$TARBALL" ]; then
    command -v apt-get > /dev/null || die "apt-get not found"

    mirror=${DEBIAN_MIRROR:-$(cat /etc/apt/sources.list \
        /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
        2> /dev/null \
        | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security \
        | head -1 | tr -d ' ' || true)}
    mirror=${mirror:-http://deb.debian.org/debian}

    mkdir -p "$APTSRC/parts" "$APTSRC/lists/partial" \
             "$APTSRC/cache/archives/partial"
    cat > "$APTSRC/parts/debian-src.sources" << EOF
Types: deb-src
URIs: $mirror
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

    # a private source list, list directory and cache: no lock or file of
    # the system's apt is touched, so this is safe next to other apt runs
    apto=(-o Dir::Etc::SourceList=/dev/null
          -o Dir::Etc::SourceParts="$APTSRC/parts"
          -o Dir::State::Lists="$APTSRC/lists"
          -o Dir::Cache="$APTSRC/cache"
          -o Acquire::Retries=2)

    echo "build-asan: fetching the nginx source package from $mirror"
    timeout 300 apt-get -q "${apto[@]}" update > "$APTSRC/update.log" 2>&1 \
        || { tail -5 "$APTSRC/update.log" >&2;
             die "cannot reach deb-src at $mirror (see $APTSRC/update.log)"; }

    # a missing .debian.tar.xz of a newer Debian revision makes apt-get
    # fail although the orig tarball arrived: the tarball decides below
    (cd "$DL" && timeout 600 apt-get -q "${apto[@]}" source \
        --download-only nginx > "$APTSRC/source.log" 2>&1) || true

    [ -s "$TARBALL" ] || { tail -5 "$APTSRC/source.log" >&2;
        die "no $TARBALL after apt-get source (see $APTSRC/source.log)"; }
fi

if [ "$VERSION" = 1.22.1 ]; then
    sum=$(sha256sum "$TARBALL" | cut -d' ' -f1)
    [ "$sum" = "$SHA256_1_22_1" ] \
        || die "$TARBALL: sha256 $sum, expected $SHA256_1_22_1"
fi

# 2. configure and build

rm -rf "$SRC/nginx-$VERSION"
tar -C "$SRC" -xzf "$TARBALL"
cd "$SRC/nginx-$VERSION"

# NGX_DEBUG_PALLOC makes every pool allocation its own malloc(), so that
# ASan sees overruns of pool memory (the query scratch buffer, the error
# body) instead of silently reading the next allocation in the block.
# UBSan recovers: every report of a run is logged, and the one-time
# reports of nginx's own startup can be suppressed by name.
cc_opt="-fsanitize=address,undefined -fno-omit-frame-pointer -g -O1"
cc_opt="$cc_opt -DNGX_DEBUG_PALLOC=1"

# the HTTP modules of Debian's nginx that need no extra library, so that
# the tests and the example configurations run unchanged
echo "build-asan: configuring nginx $VERSION with $MODULE_DIR compiled in"
CC=$CC ./configure \
    --with-cc="$CC" \
    --with-compat \
    --with-http_v2_module \
    --with-threads \
    --with-debug \
    --with-http_ssl_module \
    --with-http_stub_status_module \
    --with-http_realip_module \
    --with-http_auth_request_module \
    --with-http_dav_module \
    --with-http_slice_module \
    --with-http_addition_module \
    --with-http_gunzip_module \
    --with-http_gzip_static_module \
    --with-http_secure_link_module \
    --with-http_sub_module \
    --with-cc-opt="$cc_opt" \
    --with-ld-opt="-fsanitize=address,undefined" \
    --add-module="$MODULE_DIR" \
    > "$OUT/configure.log" 2>&1 \
    || { tail -20 "$OUT/configure.log" >&2; die "configure failed"; }

grep -q 'checking for jansson .* found' "$OUT/configure.log" \
    || die "configure did not find jansson (see $OUT/configure.log)"

echo "build-asan: building (make -j$JOBS)"
make -j"$JOBS" > "$OUT/make.log" 2>&1 \
    || { grep -E 'error|Error' "$OUT/make.log" | head -20 >&2;
         die "make failed (see $OUT/make.log)"; }

cp objs/nginx "$OUT/nginx.tmp" && mv -f "$OUT/nginx.tmp" "$OUT/nginx"

"$OUT/nginx" -V 2>&1 | grep -q -- '--add-module=' \
    || die "$OUT/nginx was not built with the module"

echo "build-asan: $OUT/nginx"
