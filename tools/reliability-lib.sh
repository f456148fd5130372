# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# shellcheck shell=bash disable=SC2034
# tools/reliability-lib.sh: shared by tools/soak.sh and tools/reload-test.sh
# (sourced, not run).
#
# Starts, on 127.0.0.1 only, a backend (plain nginx, `return 200`, one
# worker) and the gateway (nginx + the module, 2 workers, proxy_pass to the
# backend), each in the foreground (daemon off) as a child of the script, so
# that the master PID is known and every process is stopped by PID on exit.
#
# Both access logs are "$http_x_kind $status $http_x_client" (tools/load.lua
# sends X-Kind and X-Client).

NGINX=${NGINX:-/usr/sbin/nginx}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULE=${MODULE:-$REPO/build/ngx_http_ims_module.so}
LOAD_LUA=$REPO/tools/load.lua

STARTED_PIDS=()
FAILURES=()

say()  { printf '%s: %s\n' "$NAME" "$*"; }
die()  { printf '%s: %s\n' "$NAME" "$*" >&2; exit 2; }

# record one check: check "what" value op limit  (op: -le -ge -eq)
check() {
    local what=$1 value=$2 op=$3 limit=$4 mark=ok
    if ! test "$value" "$op" "$limit" 2>/dev/null; then
        mark=FAIL
        FAILURES+=("$what: $value (want $op $limit)")
    fi
    printf '  %-4s %-52s %s\n' "$mark" "$what" "$value"
}

need() {
    local tool=$1 package=$2
    command -v "$tool" >/dev/null && return 0
    [ "$(id -u)" = 0 ] || die "$tool is missing (apt-get install $package)"
    say "installing $package"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "$package" >/dev/null \
        || { apt-get update -q >/dev/null \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                    --no-install-recommends "$package" >/dev/null; } \
        || die "cannot install $package"
}

check_tools() {
    need wrk wrk
    need curl curl
    need perl perl
    [ -x "$NGINX" ] || die "$NGINX not found (make deps)"
    [ -f "$MODULE" ] || die "$MODULE not found (make module)"
}

# a port the kernel hands out as free on 127.0.0.1
free_port() {
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(
        LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)->sockport'
}

wait_port() {
    local port=$1 pid=$2
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# glibc keeps freed heap memory instead of trimming it and serves every
# allocation from the heap: RSS becomes the high-water mark of the heap, so
# that it grows with a leak and does not jump with each trim (with the
# defaults a worker's idle RSS moves by +-500 kB from one sample to the next,
# depending on whether the last big body was freed at the top of the heap)
STEADY_MALLOC=(MALLOC_TRIM_THRESHOLD_=4294967295 MALLOC_MMAP_THRESHOLD_=33554432
               MALLOC_TOP_PAD_=0)

# run_nginx DIR PORT [VAR=VALUE ...]: start nginx with DIR/nginx.conf and
# that environment; sets NGINX_PID
run_nginx() {
    local dir=$1 port=$2
    shift 2
    env "$@" "$NGINX" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" \
        >"$dir/stderr.log" 2>&1 &
    NGINX_PID=$!
    STARTED_PIDS+=("$NGINX_PID")
    wait_port "$port" "$NGINX_PID" || {
        cat "$dir/stderr.log" "$dir/error.log" >&2
        die "nginx in $dir did not start"
    }
}

stop_nginx() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -QUIT "$pid" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        stop_nginx "$pid"
    done
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}

# write_backend DIR PORT
write_backend() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
error_log $dir/error.log notice;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
    log_format kind '\$http_x_kind \$status \$http_x_client';
    access_log $dir/access.log kind buffer=64k;
    client_body_temp_path $dir/client_body_temp;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:$port;
        location / { return 200 "ok\n"; }
    }
}
EOF
}

# write_gateway DIR PORT BACKEND_PORT [extra location config]
write_gateway() {
    local dir=$1 port=$2 bport=$3 extra=${4:-}
    mkdir -p "$dir"
    chmod 0777 "$dir"    # workers run as nobody when started by root
    cat >"$dir/nginx.conf" <<EOF
load_module $MODULE;
daemon off;
master_process on;
worker_processes 2;
error_log $dir/error.log notice;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
    log_format kind '\$http_x_kind \$status \$http_x_client';
    access_log $dir/access.log kind buffer=64k;
    client_body_temp_path $dir/client_body_temp;
    proxy_temp_path $dir/proxy_temp;
    fastcgi_temp_path $dir/fastcgi_temp;
    uwsgi_temp_path $dir/uwsgi_temp;
    scgi_temp_path $dir/scgi_temp;
    client_max_body_size 1m;
    client_body_buffer_size 8k;

    upstream backend {
        server 127.0.0.1:$bport;
        keepalive 16;
    }

    server {
        listen 127.0.0.1:$port;

        location / {
            ims_gateway on;
$extra
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }

        location = /metrics {
            allow 127.0.0.1;
            deny all;
            access_log off;
            ims_metrics;
        }
    }
}
EOF
}

workers_of() { ps --ppid "$1" -o pid= | tr -d ' ' | sort -n | tr '\n' ' '; }

rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }

fds_of() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# sum of the RSS of the given PIDs
rss_sum() {
    local pid sum=0
    for pid in "$@"; do sum=$((sum + $(rss_kb "$pid"))); done
    echo "$sum"
}

# an access log's lines as "kind status count", in kind order
tally() {
    awk '{ print $1, $2 }' "$1" | sort -k1,1n -k2,2n | uniq -c \
        | awk '{ print $2, $3, $1 }'
}

# growth in per mille, rounded up: growth START END
permille() {
    awk -v a="$1" -v b="$2" 'BEGIN { d = (b - a) * 1000 / a;
        printf "%d", (d == int(d) || d < 0) ? int(d) : int(d) + 1 }'
}

summary() {
    echo
    if [ ${#FAILURES[@]} -eq 0 ]; then
        say "PASS: $*"
        return 0
    fi
    say "FAIL: ${#FAILURES[@]} check(s) failed:"
    printf '  - %s\n' "${FAILURES[@]}"
    return 1
}
