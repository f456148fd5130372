#!/bin/bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# bench/http-bench.sh (what `make bench` calls): the gateway's throughput and
# latency against the same nginx without it.
#
#   core 0 (BENCH_LOAD_CPU)     wrk + the backend (nginx, `return 200`)
#   core 1 (BENCH_GATEWAY_CPU)  gateway "plain"  (module, ims_gateway off)
#                               gateway "module" (module, ims_gateway on)
#
# Both gateways are the same config but for the directive, proxy to the
# backend with upstream keepalive, and run one at a time.  Every workload
# (bench/payloads.pl) gets a warm-up, then BENCH_ROUNDS interleaved rounds
# of BENCH_DURATION seconds each, in pairs whose order alternates (plain
# then module, module then plain, ...).  The table has the medians, and the
# median of the rounds' ratios module/plain: short pairs, because the
# machine's speed drifts (bench/RESULTS.md).
#
# Every run is checked: one curl per workload and gateway for the exact
# status, then wrk's counts: the module's rejections (W4, W5, W7) must all
# be non-2xx, everything else all 2xx, and no socket errors.  A failed check
# stops the benchmark with a non-zero exit.
#
# Environment (defaults):
#   BENCH_DURATION=1  BENCH_ROUNDS=45  BENCH_WARMUP=2    seconds, rounds
#   BENCH_CONNECTIONS=32  BENCH_THREADS=1                wrk's -c and -t
#   BENCH_WORKLOADS="W1 W2 W3 W4 W5 W6 W7"
#   BENCH_LOAD_CPU=0  BENCH_GATEWAY_CPU=1
#   BENCH_PORT=19180                backend; the gateways use +1 and +2
#   BENCH_RECORD=1                  append the table to bench/RESULTS.md
#   BENCH_DIR=build/bench  IMS_MODULE=build/ngx_http_ims_module.so
#   BENCH_JSON_READER=stream        the module's ims_json_reader

set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$REPO/bench
DIR=${BENCH_DIR:-$REPO/build/bench}
MODULE=${IMS_MODULE:-$REPO/build/ngx_http_ims_module.so}
PAYLOADS=$DIR/payloads
RUN=$DIR/http
NGINX=/usr/sbin/nginx

DURATION=${BENCH_DURATION:-1}
ROUNDS=${BENCH_ROUNDS:-45}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-1}
WORKLOADS=${BENCH_WORKLOADS:-W1 W2 W3 W4 W5 W6 W7}
LOAD_CPU=${BENCH_LOAD_CPU:-0}
GATEWAY_CPU=${BENCH_GATEWAY_CPU:-1}
PORT=${BENCH_PORT:-19180}
RECORD=${BENCH_RECORD:-0}

declare -A GW_PORT=([plain]=$((PORT + 1)) [module]=$((PORT + 2)))
declare -A GW_MODE=([plain]=off [module]=on)
declare -A MASTER=()
PIDS=()
WRK_PID=
CLK_TCK=$(getconf CLK_TCK)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }

# stop what this script started, by pid: QUIT lets nginx finish its
# requests, TERM and KILL follow if it does not stop
cleanup() {
    local pid
    trap - EXIT INT TERM
    # timeout passes the signal on to wrk
    [ -z "$WRK_PID" ] || kill -TERM "$WRK_PID" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do
        kill -QUIT "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -TERM "$pid" 2>/dev/null && sleep 0.5
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wrk and curl are all this needs beyond the build (apt-get as root;
# `apt-get update` only when apt does not know the packages yet)
install_tools() {
    local missing=() p
    command -v wrk >/dev/null || missing+=(wrk)
    command -v curl >/dev/null || missing+=(curl)
    command -v taskset >/dev/null || missing+=(util-linux)
    command -v pgrep >/dev/null || missing+=(procps)
    [ ${#missing[@]} = 0 ] && return 0

    [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run as root or" \
                              "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    for p in "${missing[@]}"; do
        if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'
        then
            say "apt-get update (apt does not know $p yet)"
            apt-get update -q
            break
        fi
    done
    say "installing ${missing[*]}"
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

cpu_mask() {
    # worker_cpu_affinity's bit mask, CPU 0 rightmost
    local mask=1 i
    for ((i = 0; i < $1; i++)); do mask="${mask}0"; done
    echo "$mask"
}

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_nginx NAME TEMPLATE PORT CPU [IMS_GATEWAY]
start_nginx() {
    local name=$1 template=$2 port=$3 cpu=$4 mode=${5:-off}
    local prefix=$RUN/$name pid

    port_busy "$port" && die "127.0.0.1:$port is in use (set BENCH_PORT)"
    rm -rf "$prefix"
    mkdir -p "$prefix"
    # workers run as nobody when started by root: they must reach the prefix
    chmod 755 "$prefix"
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" \
        -e "s|@BACKEND_PORT@|$PORT|g" -e "s|@MODULE@|$MODULE|g" \
        -e "s|@IMS_GATEWAY@|$mode|g" -e "s|@CPU_MASK@|$(cpu_mask "$cpu")|g" \
        -e "s|@JSON_READER@|${BENCH_JSON_READER:-stream}|g" \
        "$template" > "$prefix/nginx.conf"

    "$NGINX" -t -q -p "$prefix" -e "$prefix/error.log" \
        -c "$prefix/nginx.conf" 2>"$prefix/test.log" \
        || { cat "$prefix/test.log" >&2; die "nginx -t: $name"; }

    taskset -c "$cpu" "$NGINX" -p "$prefix" -e "$prefix/error.log" \
        -c "$prefix/nginx.conf" &
    pid=$!
    PIDS+=("$pid")
    MASTER[$name]=$pid

    for _ in $(seq 100); do
        port_busy "$port" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$prefix/error.log" >&2 2>/dev/null || true
    die "nginx $name did not start on 127.0.0.1:$port"
}

field() {
    # field ID COLUMN: a column of the workload's manifest line
    awk -F '\t' -v id="$1" -v col="$2" '$1 == id { print $col }' \
        "$PAYLOADS/manifest.tsv"
}

# one request with curl: the exact status, and who answered
check_status() {
    local w=$1 gw=$2 want=$3 port=${GW_PORT[$2]} out status body
    local -a args=(-s -o "$RUN/curl.body" -w '%{http_code}' --max-time 5)

    if [ "$(field "$w" 2)" = patch ]; then
        args+=(-X PATCH --data-binary "@$PAYLOADS/$(field "$w" 6)"
               -H 'Content-Type: application/openstack-images-v2.1-json-patch')
    fi
    status=$(curl "${args[@]}" "http://127.0.0.1:$port$(field "$w" 5)") \
        || true
    body=$(head -c 200 "$RUN/curl.body")

    [ "$status" = "$want" ] \
        || die "$w $gw: status $status, expected $want: $body"
    if [ "$want" = 200 ]; then
        [ "$body" = ok ] || die "$w $gw: not the backend's answer: $body"
    else
        case $body in
        *'"code":"IMG.'*) ;;
        *) die "$w $gw: not an IMS error body: $body" ;;
        esac
    fi
}

# the CPU time (clock ticks) a gateway's worker has used so far
worker_ticks() {
    local worker
    worker=$(pgrep -P "${MASTER[$1]}" | head -1)
    [ -n "$worker" ] || die "no worker process for gateway $1"
    # utime and stime, after the parenthesized command name
    sed 's/^.*) //' "/proc/$worker/stat" | awk '{ print $12 + $13 }'
}

# run_wrk WORKLOAD GATEWAY SECONDS OUTPUT: sets GW_CPU, how busy the
# gateway's worker was (percent of one CPU): near 100 means the gateway,
# not the load generator, was the bottleneck, as it must be
run_wrk() {
    local w=$1 gw=$2 seconds=$3 out=$4 rc=0 t0 t1 c0 c1
    c0=$(worker_ticks "$gw")
    t0=$(date +%s.%N)
    # in the background: a signal to this script is handled at once (a
    # foreground child would delay the trap until it ends)
    timeout -k 5 $((seconds + 30)) \
        taskset -c "$LOAD_CPU" wrk -t "$THREADS" -c "$CONNECTIONS" \
            -d "${seconds}s" --timeout 5s --latency \
            -s "$PAYLOADS/$w.lua" "http://127.0.0.1:${GW_PORT[$gw]}/" \
            > "$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=
    t1=$(date +%s.%N)
    c1=$(worker_ticks "$gw")
    [ $rc = 0 ] || { cat "$out" >&2; die "$w $gw: wrk exited with $rc"; }
    GW_CPU=$(awk -v c="$((c1 - c0))" -v t="$t0" -v u="$t1" -v hz="$CLK_TCK" \
                 'BEGIN { printf "%.0f", 100 * c / hz / (u - t) }')
}

# verify WORKLOAD GATEWAY PARSE-LINE OUTPUT: every response as expected
verify() {
    local w=$1 gw=$2 out=$4 requests non2xx errors
    read -r _ _ _ requests non2xx errors <<< "$3"

    [ "$requests" -gt 0 ] || die "$w $gw: no request completed ($out)"
    [ "$errors" = 0 ] || die "$w $gw: $errors socket errors ($out)"
    if [ "$gw" = module ] && [ "$(field "$w" 3)" != 200 ]; then
        [ "$non2xx" = "$requests" ] \
            || die "$w $gw: $non2xx of $requests responses non-2xx," \
                   "all must be rejections ($out)"
    else
        [ "$non2xx" = 0 ] \
            || die "$w $gw: $non2xx of $requests responses non-2xx ($out)"
    fi
}

machine_info() {
    local model
    model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    echo "- machine: $(nproc) CPUs, ${model:-unknown CPU}, Linux $(uname -r)"
    echo "- $("$NGINX" -v 2>&1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
    echo "- load average at start: $LOADAVG"
    echo "- settings: $ROUNDS rounds x ${DURATION}s, warm-up ${WARMUP}s," \
         "$CONNECTIONS connections, $THREADS wrk thread(s); wrk and backend" \
         "on CPU $LOAD_CPU, gateway on CPU $GATEWAY_CPU"
}

commit_info() {
    local c
    c=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git -C "$REPO" status --porcelain -- src ngx_ims_module.c \
               config 2>/dev/null)" ]; then
        c="$c (module sources modified)"
    fi
    echo "$c"
}


install_tools
[ -f "$MODULE" ] || die "no module $MODULE (run make module)"
if [ "$(nproc)" -le "$GATEWAY_CPU" ] || [ "$(nproc)" -le "$LOAD_CPU" ]; then
    die "CPUs $LOAD_CPU and $GATEWAY_CPU needed, $(nproc) online" \
        "(set BENCH_LOAD_CPU and BENCH_GATEWAY_CPU)"
fi

perl "$BENCH/payloads.pl" "$PAYLOADS"
rm -rf "$RUN"
mkdir -p "$RUN"
chmod 755 "$DIR" "$RUN"

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
n=$(wc -w <<< "$WORKLOADS")
say "$n workloads x ($ROUNDS rounds x 2 x ${DURATION}s + 2 x ${WARMUP}s" \
    "warm-up): about $(( (n * (ROUNDS * 2 * DURATION + 2 * WARMUP)
    + 59) / 60 )) min"

start_nginx backend "$BENCH/conf/backend.conf.in" "$PORT" "$LOAD_CPU"
for gw in plain module; do
    start_nginx "$gw" "$BENCH/conf/gateway.conf.in" "${GW_PORT[$gw]}" \
        "$GATEWAY_CPU" "${GW_MODE[$gw]}"
done

runs=$RUN/runs.tsv
: > "$runs"

for w in $WORKLOADS; do
    [ -n "$(field "$w" 1)" ] || die "unknown workload $w"
    check_status "$w" plain 200
    check_status "$w" module "$(field "$w" 3)"

    for gw in plain module; do
        run_wrk "$w" "$gw" "$WARMUP" "$RUN/$w-$gw-warmup.txt"
    done

    for round in $(seq "$ROUNDS"); do
        # counterbalanced: a pair's second run is not always the module's
        order="plain module"
        (( round % 2 == 0 )) && order="module plain"

        for gw in $order; do
            out=$RUN/$w-$gw-$round.txt
            run_wrk "$w" "$gw" "$DURATION" "$out"
            line=$(perl "$BENCH/wrk-report.pl" parse "$out")
            verify "$w" "$gw" "$line" "$out"
            printf '%s\t%s\t%s\t%s\t%s\n' "$w" "$gw" "$round" "$line" \
                "$GW_CPU" >> "$runs"
            say "$w round $round $gw: $(cut -f1 <<< "$line") req/s," \
                "gateway CPU $GW_CPU%"
        done
    done
done

# a worker that crashed and was restarted would not show in wrk's counts
for name in backend plain module; do
    if grep -E '\[(alert|crit|emerg)\]' "$RUN/$name/error.log" >&2; then
        die "nginx $name logged the errors above"
    fi
done

table=$RUN/table.md
perl "$BENCH/wrk-report.pl" table "$runs" "$PAYLOADS/manifest.tsv" > "$table"

echo
echo "HTTP benchmark, $ROUNDS rounds; ratio: the median of the rounds' own" \
     "(wrk output in $RUN):"
echo
cat "$table"
echo
machine_info

if [ "$RECORD" = 1 ]; then
    {
        echo
        echo "### HTTP: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(commit_info)"
        echo
        machine_info
        echo
        cat "$table"
    } >> "$BENCH/RESULTS.md"
    say "appended to bench/RESULTS.md"
fi
