#!/bin/bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# tools/run.sh (what `make run` calls): the gateway in front of real Glance.
#
#   - installs what is missing (as root, Debian 12), builds the module
#   - starts Glance on 127.0.0.1:$GLANCE_PORT (9292) with state in
#     build/run/glance (fresh database every run)
#   - starts nginx with conf/ims-gateway.conf on 127.0.0.1:$IMS_GATEWAY_PORT
#     (8080), prefix build/run/nginx/
#   - creates a sample image and prints curl commands to try
#   - stays in the foreground until Ctrl-C / SIGTERM, then stops both
#
# Environment: IMS_GATEWAY_PORT, GLANCE_PORT, IMS_RUN_DIR (state directory).

set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
STATE=${IMS_RUN_DIR:-$REPO/build/run}
GW_PORT=${IMS_GATEWAY_PORT:-8080}
GLANCE_PORT=${GLANCE_PORT:-9292}
MODULE=$REPO/build/ngx_http_ims_module.so
NGINX=/usr/sbin/nginx
GLANCE="$REPO/tools/glance.sh"
PACKAGES="nginx nginx-dev libjansson-dev libpcre2-dev build-essential
          dpkg-dev curl python3-glance"

NGINX_PREFIX=$STATE/nginx
NGINX_PID=
GLANCE_STARTED=

say() { printf 'run: %s\n' "$*"; }
die() { printf 'run: %s\n' "$*" >&2; exit 1; }

missing_packages() {
    local p
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null \
            | grep -q '^install ok installed' || echo "$p"
    done
}

install_deps() {
    local missing
    missing=$(missing_packages | tr '\n' ' ')
    [ -n "${missing// /}" ] || return 0

    [ "$(id -u)" = 0 ] || die "missing packages: $missing(run as root" \
                              "or install them with apt-get)"

    if grep -q '^deps:' "$REPO/Makefile" 2>/dev/null \
       && command -v make >/dev/null; then
        make -C "$REPO" deps
    fi

    missing=$(missing_packages | tr '\n' ' ')
    if [ -n "${missing// /}" ]; then
        say "installing: $missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing
    fi
}

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cleanup() {
    trap - INT TERM EXIT
    echo
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        say "stopping nginx (pid $NGINX_PID)"
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$NGINX_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$NGINX_PID" 2>/dev/null && kill -TERM "$NGINX_PID"
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    if [ -n "$GLANCE_STARTED" ]; then
        "$GLANCE" stop "$STATE/glance" | sed 's/^/run: /'
    fi
}

on_signal() {
    cleanup
    exit 0
}

start_nginx() {
    local conf=$NGINX_PREFIX/nginx.conf

    mkdir -p "$NGINX_PREFIX/logs" "$NGINX_PREFIX/temp" "$NGINX_PREFIX/modules" \
             "$NGINX_PREFIX/modules-enabled"
    ln -sf "$MODULE" "$NGINX_PREFIX/modules/ngx_http_ims_module.so"
    # what the package's snippet does for a packaged module
    echo "load_module modules/ngx_http_ims_module.so;" \
        >"$NGINX_PREFIX/modules-enabled/50-mod-http-ims.conf"

    # conf/ims-gateway.conf is a real config; only the addresses change
    sed -e "s/listen 127\.0\.0\.1:8080;/listen 127.0.0.1:$GW_PORT;/" \
        -e "s/server 127\.0\.0\.1:9292;/server 127.0.0.1:$GLANCE_PORT;/" \
        "$REPO/conf/ims-gateway.conf" >"$conf"

    "$NGINX" -t -q -p "$NGINX_PREFIX/" -c "$conf" \
        -e "$NGINX_PREFIX/logs/error.log" \
        || die "nginx -t failed for $conf"

    # own session: a Ctrl-C reaches this script, which stops nginx first
    setsid "$NGINX" -p "$NGINX_PREFIX/" -c "$conf" \
        -e "$NGINX_PREFIX/logs/error.log" -g 'daemon off;' </dev/null &
    NGINX_PID=$!

    for _ in $(seq 100); do
        port_busy "$GW_PORT" && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done

    tail -n 20 "$NGINX_PREFIX/logs/error.log" >&2 || true
    die "nginx did not start on 127.0.0.1:$GW_PORT"
}

print_demo() {
    local id=$1
    local gw=http://127.0.0.1:$GW_PORT
    local gl=http://127.0.0.1:$GLANCE_PORT
    local v21=application/openstack-images-v2.1-json-patch

    cat <<EOF

================================================================================
 ims gateway on $gw  ->  Glance on $gl
 sample image: $id
 logs: $NGINX_PREFIX/logs/  $STATE/glance/glance-api.log
================================================================================

# 1. An accepted rename (200), then read the image back:
curl -si -X PATCH $gw/v2/images/$id \\
  -H 'Content-Type: $v21' \\
  -d '[{"op":"replace","path":"/name","value":"ims-demo-renamed"}]'
curl -s $gw/v2/images/$id

# 2. Editing a system attribute is rejected (400, IMG.0105):
curl -si -X PATCH $gw/v2/images/$id \\
  -H 'Content-Type: $v21' \\
  -d '[{"op":"replace","path":"/__imagetype","value":"gold"}]'
#    Glance alone would accept it (200; this really changes the image):
#    curl -si -X PATCH $gl/v2/images/$id -H 'Content-Type: $v21' \\
#      -d '[{"op":"replace","path":"/__imagetype","value":"gold"}]'

# 3. A Content-Type variant the gateway normalizes (200 through the gateway):
curl -si -X PATCH $gw/v2/images/$id \\
  -H 'Content-Type: Application/OpenStack-Images-v2.1-JSON-Patch; charset=UTF-8' \\
  -d '[{"op":"replace","path":"/name","value":"ims-demo-ct"}]'
#    ... which Glance alone refuses (415):
curl -si -X PATCH $gl/v2/images/$id \\
  -H 'Content-Type: Application/OpenStack-Images-v2.1-JSON-Patch; charset=UTF-8' \\
  -d '[{"op":"replace","path":"/name","value":"ims-demo-ct"}]'

# 4. A valid image query, answered by Glance (GET /v2/cloudimages is mapped
#    to Glance's /v2/images list in this demo):
curl -s '$gw/v2/cloudimages?__imagetype=private&sort=name:asc&limit=5'

# 5. An invalid query, stopped at the gateway (400, IMG.0017):
curl -si '$gw/v2/cloudimages?limit=-1&created_at=lt:2018-02-30T00:00:00Z'

# 6. The gateway's counters (Prometheus text format) and its access log:
curl -s $gw/metrics
tail $NGINX_PREFIX/logs/access.log

Press Ctrl-C to stop nginx and Glance.
EOF
}

main() {
    install_deps

    make -C "$REPO" -s module    # a no-op after `make run` built it
    [ -f "$MODULE" ] || die "module not built: $MODULE"

    port_busy "$GW_PORT" && die "127.0.0.1:$GW_PORT is in use" \
                                "(set IMS_GATEWAY_PORT)"
    port_busy "$GLANCE_PORT" && die "127.0.0.1:$GLANCE_PORT is in use" \
                                    "(set GLANCE_PORT)"

    trap on_signal INT TERM
    trap cleanup EXIT

    rm -rf "$STATE/glance"
    mkdir -p "$STATE"
    GLANCE_STARTED=1
    "$GLANCE" start "$STATE/glance" "$GLANCE_PORT" | sed 's/^/run: /'

    start_nginx
    say "nginx pid $NGINX_PID on 127.0.0.1:$GW_PORT"

    local id
    id=$("$GLANCE" image "$STATE/glance" ims-demo)
    print_demo "$id"

    # foreground until a signal; `wait` returns at once when one arrives
    while kill -0 "$NGINX_PID" 2>/dev/null; do
        if ! kill -0 "$(cat "$STATE/glance/glance.pid" 2>/dev/null || echo 0)" \
                2>/dev/null; then
            tail -n 20 "$STATE/glance/glance-api.log" >&2 || true
            die "Glance exited"
        fi
        sleep 1 &
        wait $! || true
    done

    tail -n 20 "$NGINX_PREFIX/logs/error.log" >&2 || true
    die "nginx exited"
}

main "$@"
