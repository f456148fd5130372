#!/bin/sh
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Run a real OpenStack Glance (Debian python3-glance) as the local backend:
# sqlite database, local file store, no authentication, 127.0.0.1 only.
#
#   tools/glance.sh start DIR [PORT]   write config into DIR, db_sync, start,
#                                      wait until GET /v2/images answers 200
#   tools/glance.sh stop DIR           SIGTERM the PID in DIR/glance.pid, wait
#   tools/glance.sh image DIR [NAME]   create a sample image, print its id
#
# PORT defaults to 9292.

set -eu

PYTHON=/usr/bin/python3

usage() {
    echo "usage: $0 start DIR [PORT] | stop DIR | image DIR [NAME]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)

port_of() {
    cat "$dir/glance.port" 2>/dev/null || echo 9292
}

running() {
    [ -f "$dir/glance.pid" ] && kill -0 "$(cat "$dir/glance.pid")" 2>/dev/null
}

http_code() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true
}

write_config() {
    cat >"$dir/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $1
enabled_backends = fs:file
workers = 1
log_file = $dir/glance-api.log
[database]
connection = sqlite:///$dir/glance.sqlite
[paste_deploy]
config_file = $dir/glance-api-paste.ini
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $dir/images
[oslo_policy]
enforce_new_defaults = false
enforce_scope = false
EOF

    cat >"$dir/glance-api-paste.ini" <<'EOF'
[pipeline:glance-api]
pipeline = versionnegotiation unauthenticated-context rootapp
[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app
[app:apiversions]
paste.app_factory = glance.api.versions:create_resource
[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory
[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory
[filter:unauthenticated-context]
paste.filter_factory = glance.api.middleware.context:UnauthenticatedContextMiddleware.factory
EOF
}

start() {
    port=${1:-9292}

    if running; then
        echo "glance: already running (pid $(cat "$dir/glance.pid"))" >&2
        exit 1
    fi

    if ! $PYTHON -c 'import glance' 2>/dev/null; then
        echo "glance: python3-glance is not installed" \
             "(apt-get install -y --no-install-recommends python3-glance)" >&2
        exit 1
    fi

    mkdir -p "$dir/images"
    write_config "$port"
    echo "$port" >"$dir/glance.port"

    echo "glance: db_sync ($dir/glance.sqlite)"
    if ! $PYTHON -m glance.cmd.manage --config-file "$dir/glance-api.conf" \
            db_sync >"$dir/db_sync.log" 2>&1; then
        echo "glance: db_sync failed:" >&2
        tail -n 20 "$dir/db_sync.log" >&2
        exit 1
    fi

    # setsid: own session, so Ctrl-C in a calling terminal does not reach it
    # before the caller stops it in order.
    setsid $PYTHON -m glance.cmd.api --config-file "$dir/glance-api.conf" \
        >"$dir/glance-api.out" 2>&1 </dev/null &
    echo $! >"$dir/glance.pid"
    echo "glance: started pid $(cat "$dir/glance.pid"), waiting for" \
         "http://127.0.0.1:$port/v2/images"

    i=0
    while [ $i -lt 120 ]; do
        if [ "$(http_code "http://127.0.0.1:$port/v2/images")" = 200 ]; then
            echo "glance: ready on 127.0.0.1:$port ($((i / 2)) s)"
            return 0
        fi
        if ! running; then
            break
        fi
        i=$((i + 1))
        [ $((i % 10)) -eq 0 ] && echo "glance: still waiting ($((i / 2)) s)"
        sleep 0.5
    done

    echo "glance: did not become ready on 127.0.0.1:$port" >&2
    tail -n 30 "$dir/glance-api.out" "$dir/glance-api.log" >&2 2>/dev/null || true
    stop
    exit 1
}

stop() {
    if ! running; then
        echo "glance: not running"
        rm -f "$dir/glance.pid"
        return 0
    fi

    pid=$(cat "$dir/glance.pid")
    kill -TERM "$pid"

    i=0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            echo "glance: pid $pid ignored SIGTERM for 10 s, sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done

    rm -f "$dir/glance.pid"
    echo "glance: stopped pid $pid"
}

image() {
    name=${1:-ims-demo}
    port=$(port_of)
    body='{"name":"'"$name"'","container_format":"bare","disk_format":"raw"'
    body="$body"',"__imagetype":"private","__os_bit":"64"}'
    out=$(curl -s --max-time 10 -X POST "http://127.0.0.1:$port/v2/images" \
        -H 'Content-Type: application/json' -d "$body")
    id=$(printf '%s' "$out" | $PYTHON -c \
        'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null) || {
        echo "glance: image creation failed: $out" >&2
        exit 1
    }
    echo "$id"
}

case $cmd in
    start) start "${3:-9292}" ;;
    stop)  stop ;;
    image) image "${3:-}" ;;
    *)     usage ;;
esac
