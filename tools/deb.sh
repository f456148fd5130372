#!/bin/bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.
#
#   tools/deb.sh build   dpkg-buildpackage -b on a copy of the tree (the
#                        tracked and new files, not build/), into build/deb/
#   tools/deb.sh test    apt-get install the built packages, check the
#                        module is enabled for the system nginx, run tests
#                        through the packaged module, remove the packages
#
# Offline: the build dependencies are Debian packages (make deps installs
# them); nothing is fetched but through apt-get.

set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
OUT=$TOP/build/deb
VERSION=$(sed -n 's/^#define NGX_HTTP_IMS_VERSION *"\(.*\)"$/\1/p' \
              src/ngx_http_ims_version.h)
BUILD_DEPS="debhelper dpkg-dev nginx-dev libjansson-dev libpcre2-dev"
PACKAGES="libnginx-mod-http-ims ims-check"

say() { printf 'deb: %s\n' "$*"; }
die() { printf 'deb: %s\n' "$*" >&2; exit 1; }

install_missing() {
    local p missing=
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null \
            | grep -q '^install ok installed' || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        say "installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing
    fi
}

build() {
    local changelog src

    changelog=$(dpkg-parsechangelog -l debian/changelog -S Version)
    [ "$changelog" = "$VERSION" ] \
        || die "debian/changelog says $changelog, NGX_HTTP_IMS_VERSION $VERSION"

    install_missing $BUILD_DEPS

    rm -rf "$OUT"
    src=$OUT/libnginx-mod-http-ims-$VERSION
    mkdir -p "$src"
    git ls-files -z --cached --others --exclude-standard \
        | grep -zv '^build/' | xargs -0 cp --parents -t "$src"

    say "dpkg-buildpackage in $src"
    (cd "$src" && dpkg-buildpackage -b -uc -us) >"$OUT/build.log" 2>&1 \
        || { tail -40 "$OUT/build.log"; die "dpkg-buildpackage failed"; }

    ls -1 "$OUT"/*.deb
    for deb in "$OUT"/*.deb; do
        say "$(basename "$deb"):"
        dpkg-deb -c "$deb" | awk '{ print "    " $6 }'
        dpkg-deb -f "$deb" Depends | sed 's/^/    Depends: /'
    done
}

installed() {
    dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null \
        | grep -q '^install ok installed'
}

smoke() {
    local so=/usr/lib/nginx/modules/ngx_http_ims_module.so
    local snippet=/usr/share/nginx/modules-available/mod-http-ims.conf
    local enabled

    # (called in a "||" list, where set -e is off: every step checks)
    [ -f "$so" ] || die "$so is not installed"
    grep -qx "load_module modules/ngx_http_ims_module.so;" "$snippet" \
        || die "$snippet does not load the module"
    enabled=$(ls /etc/nginx/modules-enabled/*mod-http-ims.conf 2>/dev/null) \
        || die "the module is not enabled in /etc/nginx/modules-enabled"
    say "enabled: $enabled -> $(readlink -f "$enabled")"

    # the system nginx, through modules-enabled: the main configuration
    # includes the snippets, the harness adds no load_module of its own
    TEST_NGINX_MODULE= TEST_NGINX_MAIN_INCLUDE=/etc/nginx/modules-enabled \
        prove t/035-routes.t t/010-patch-rules.t \
        || die "the tests through the packaged module failed"

    ims-check --version | grep -qx "ims-check (ngx_http_ims_module) $VERSION" \
        || die "ims-check --version does not say $VERSION"
    man -w ims-check >/dev/null || die "no man page for ims-check"
    say "ims-check $VERSION and its man page: installed"
}

test_deb() {
    local debs

    debs=$(ls "$OUT"/libnginx-mod-http-ims_"$VERSION"_*.deb \
              "$OUT"/ims-check_"$VERSION"_*.deb) || die "run make deb first"

    for p in $PACKAGES; do
        ! installed "$p" || die "$p is installed already: not touching it"
    done

    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $debs \
        || die "apt-get install failed"

    local rc=0
    (smoke) || rc=$?

    apt-get remove -y -q --purge $PACKAGES || die "apt-get remove failed"

    for p in $PACKAGES; do
        ! installed "$p" || die "$p is still installed"
    done
    [ ! -e /usr/lib/nginx/modules/ngx_http_ims_module.so ] \
        || die "the module file is left behind"
    ! ls /etc/nginx/modules-enabled/*mod-http-ims.conf >/dev/null 2>&1 \
        || die "the modules-enabled link is left behind"
    [ ! -e /usr/bin/ims-check ] || die "ims-check is left behind"
    say "removed cleanly"

    [ "$rc" = 0 ] || die "the smoke test failed"
    say "test-deb: passed"
}

case ${1:-} in
    build) build ;;
    test) test_deb ;;
    *) echo "usage: $0 build | test" >&2; exit 2 ;;
esac
