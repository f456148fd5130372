#!/usr/bin/env bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.
#
# The nginx version matrix (make test-nginx-versions): the module built
# against each release tree in ../shared/nginx (nginx and freenginx, see
# its README), statically and as a dynamic module, warning-free under
# -Werror, and the whole t/ suite run against each binary.
#
#   tools/nginx-versions.sh [NAME...]   NAME: a tree (nginx-1.30.4) or
#                                       TREE:static / TREE:dynamic;
#                                       default: every tree, both ways
#
# Environment: NGINX_TREES (default ../shared/nginx), JOBS (default: the
# number of CPUs), OUT (default build/versions).  Offline: the trees are
# local tarballs, the libraries Debian packages (make deps).

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
TREES=${NGINX_TREES:-$TOP/../shared/nginx}
OUT=${OUT:-$TOP/build/versions}
JOBS=${JOBS:-$(nproc)}

say() { printf '\n=== versions: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
die() { printf 'versions: %s\n' "$*" >&2; exit 1; }

[ -d "$TREES" ] || die "no nginx trees in $TREES"

# what the suite needs of a binary: the debug log, the sub module (the
# harness's own tests), HTTP/2; -Werror on everything, nginx's code too
CONFIGURE=(--with-compat --with-debug --with-http_v2_module
           --with-http_sub_module --with-pcre --without-http_gzip_module
           "--with-cc-opt=-O2 -g -Werror")

# build TREE static|dynamic: prints the binary's directory
build() {
    local tree=$1 how=$2 src dir log add

    src=$OUT/src/$tree
    dir=$OUT/$tree-$how
    log=$dir.log

    if [ ! -d "$src" ]; then
        mkdir -p "$OUT/src"
        tar xzf "$TREES/$tree.tar.gz" -C "$OUT/src"
    fi

    [ "$how" = static ] && add=--add-module=$TOP \
                        || add=--add-dynamic-module=$TOP

    rm -rf "$dir"
    if ! (cd "$src" && auto/configure --builddir="$dir" "${CONFIGURE[@]}" \
              "$add" && make -j"$JOBS" -f "$dir/Makefile" \
              $([ "$how" = dynamic ] && echo "build modules" || echo build)) \
            >"$log" 2>&1
    then
        tail -30 "$log" >&2
        die "$tree $how: the build failed (all of it in $log)"
    fi

    # -Werror turns a warning into a failure; none may be left as text
    if grep -E '(^|: )warning:' "$log" >&2; then
        die "$tree $how: warnings (in $log)"
    fi

    echo "$dir"
}

run_suite() {
    local tree=$1 how=$2 dir

    dir=$(build "$tree" "$how")
    "$dir/nginx" -V 2>&1 | head -1

    if [ "$how" = static ]; then
        TEST_NGINX_BINARY=$dir/nginx TEST_NGINX_MODULE= \
            prove -r "$TOP/t/"
    else
        TEST_NGINX_BINARY=$dir/nginx \
            TEST_NGINX_MODULE=$dir/ngx_http_ims_module.so \
            prove -r "$TOP/t/"
    fi
}

targets=()

if [ $# -eq 0 ]; then
    for tarball in "$TREES"/*.tar.gz; do
        tree=$(basename "$tarball" .tar.gz)
        targets+=("$tree:static" "$tree:dynamic")
    done
else
    for arg in "$@"; do
        case $arg in
            *:static|*:dynamic) targets+=("$arg") ;;
            *) targets+=("$arg:static" "$arg:dynamic") ;;
        esac
    done
fi

# the module's tools (ims-check) and Glance come from the normal build
make -C "$TOP" -s check-tool >/dev/null

failed=()

for target in "${targets[@]}"; do
    tree=${target%:*}
    how=${target##*:}
    [ -f "$TREES/$tree.tar.gz" ] || die "no $TREES/$tree.tar.gz"

    say "$tree, $how"
    if ! run_suite "$tree" "$how"; then
        failed+=("$target")
    fi
done

say "summary"
printf '%s\n' "${targets[@]/%/: built and tested}" \
    | grep -vxF -f <(printf '%s: built and tested\n' "${failed[@]:-}") || true
if [ ${#failed[@]} -gt 0 ]; then
    printf '%s: FAILED\n' "${failed[@]}"
    exit 1
fi
