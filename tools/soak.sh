#!/usr/bin/env bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# tools/soak.sh (make soak, make soak-ci): a bounded mixed load against the
# gateway (nginx + the module, 2 workers) in front of a small backend (plain
# nginx, `return 200`), then checks:
#
#   - no socket error (connect, read, write, timeout), no 5xx;
#   - no request lost: the gateway's access log has one line per request wrk
#     counted (plus at most one in flight per connection when wrk stops),
#     every line has the status its kind must get (tools/load.lua), the
#     share of non-2xx answers is that of the rejected kinds, and the backend
#     saw exactly the accepted requests and none of a rejected kind;
#   - worker RSS after the soak <= worker RSS after the warm-up + 1% (both
#     measured idle, after the load stopped; glibc set not to return freed
#     memory, see STEADY_MALLOC), same worker PIDs, no file
#     descriptor growth beyond the upstream keepalive pool, no temporary
#     file left, no [alert]/[crit]/[emerg], the gateway's counters
#     (ims_metrics) agree with the access log.
#
# Environment: SOAK_SECONDS (600), SOAK_WARMUP (30 s, 10 s when
# SOAK_SECONDS < 300), SOAK_CONNECTIONS (8), SOAK_WARMUP_CONNECTIONS
# (twice as many), SOAK_THREADS (1), MODULE,
# NGINX, KEEP=1 keeps the work directory.  Exit status 0 pass, 1 fail,
# 2 could not run.

set -uo pipefail

NAME=soak
# shellcheck source=tools/reliability-lib.sh
. "$(dirname "$0")/reliability-lib.sh"

SECONDS_MAIN=${SOAK_SECONDS:-600}
if [ "$SECONDS_MAIN" -ge 300 ]; then WARMUP=${SOAK_WARMUP:-30}
else WARMUP=${SOAK_WARMUP:-10}; fi
CONNS=${SOAK_CONNECTIONS:-8}
THREADS=${SOAK_THREADS:-1}
# the warm-up runs twice as many connections: the workers' heaps reach the
# size that the soak's peaks need, so that what grows later is what stays
WARMUP_CONNS=${SOAK_WARMUP_CONNECTIONS:-$((2 * CONNS))}

check_tools

WORK=$(mktemp -d /tmp/ims-soak.XXXXXX)
chmod 0755 "$WORK"
trap cleanup EXIT
trap 'exit 130' INT TERM

BPORT=$(free_port)
GPORT=$(free_port)
write_backend "$WORK/backend" "$BPORT"
run_nginx "$WORK/backend" "$BPORT"
BACKEND_PID=$NGINX_PID
write_gateway "$WORK/gateway" "$GPORT" "$BPORT"
run_nginx "$WORK/gateway" "$GPORT" "${STEADY_MALLOC[@]}"
MASTER=$NGINX_PID
GW=$WORK/gateway

say "gateway 127.0.0.1:$GPORT (master $MASTER," \
    "workers $(workers_of "$MASTER" | xargs))," \
    "backend 127.0.0.1:$BPORT; work directory $WORK"

# run_wrk SECONDS CONNECTIONS OUTPUT
run_wrk() {
    wrk -t "$THREADS" -c "$2" -d "${1}s" --timeout 10s -s "$LOAD_LUA" \
        "http://127.0.0.1:$GPORT/" >"$3" 2>&1
}

sample() {    # idle state: per-worker RSS and fds, master RSS
    local w out=""
    for w in $(workers_of "$MASTER"); do
        out+="$w:rss=$(rss_kb "$w")kB,fds=$(fds_of "$w") "
    done
    echo "${out}master:rss=$(rss_kb "$MASTER")kB"
}

say "warm-up: ${WARMUP}s, $WARMUP_CONNS connections"
run_wrk "$WARMUP" "$WARMUP_CONNS" "$WORK/wrk-warmup.txt" || {
    cat "$WORK/wrk-warmup.txt"; die "wrk failed"; }
sleep 1

WORKERS_START=$(workers_of "$MASTER")
read -r -a W <<<"$WORKERS_START"
RSS_START=$(rss_sum "${W[@]}")
FDS_START=0
for w in "${W[@]}"; do FDS_START=$((FDS_START + $(fds_of "$w"))); done
SAMPLE_START=$(sample)
say "after warm-up (idle): $SAMPLE_START"

say "soak: ${SECONDS_MAIN}s, $CONNS connections"
run_wrk "$SECONDS_MAIN" "$CONNS" "$WORK/wrk-main.txt" &
WRK_PID=$!
RSS_MIN=$RSS_START RSS_MAX=$RSS_START
while kill -0 "$WRK_PID" 2>/dev/null; do
    sleep 10
    kill -0 "$WRK_PID" 2>/dev/null || break
    r=$(rss_sum "${W[@]}")
    [ "$r" -lt "$RSS_MIN" ] && RSS_MIN=$r
    [ "$r" -gt "$RSS_MAX" ] && RSS_MAX=$r
    echo "$(date +%s) $r" >>"$WORK/rss-under-load.txt"
done
wait "$WRK_PID" || { cat "$WORK/wrk-main.txt"; die "wrk failed"; }
sleep 1

WORKERS_END=$(workers_of "$MASTER")
RSS_END=$(rss_sum "${W[@]}")
FDS_END=0
for w in "${W[@]}"; do FDS_END=$((FDS_END + $(fds_of "$w"))); done
SAMPLE_END=$(sample)
say "after soak (idle):    $SAMPLE_END"

METRICS=$(curl -s "http://127.0.0.1:$GPORT/metrics")

stop_nginx "$MASTER"      # flushes the access logs
stop_nginx "$BACKEND_PID"

### the numbers

grep -h '^load-kind' "$WORK/wrk-main.txt" >"$WORK/kinds.txt"
[ -s "$WORK/kinds.txt" ] || { cat "$WORK/wrk-main.txt"; die "no wrk summary"; }

wrk_sum() {    # wrk_sum FIELD: load-total field summed over both runs
    awk -v f="$1" '$1 == "load-total" { s += $f } END { print s + 0 }' \
        "$WORK/wrk-warmup.txt" "$WORK/wrk-main.txt"
}
status_sum() {    # status_sum AWK-CONDITION-ON-s
    awk "\$1 == \"load-status\" { s = \$2; if ($1) n += \$3 }
         END { print n + 0 }" \
        "$WORK/wrk-warmup.txt" "$WORK/wrk-main.txt"
}

TOTAL=$(wrk_sum 2)
ERRORS=$(( $(wrk_sum 3) + $(wrk_sum 4) + $(wrk_sum 5) + $(wrk_sum 6) ))
NON2XX=$(status_sum 's >= 300')
WRK5XX=$(status_sum 's >= 500')
KINDS=$(wc -l <"$WORK/kinds.txt")
REJECTED_KINDS=$(awk '$4 >= 300' "$WORK/kinds.txt" | wc -l)
EXPECTED_NON2XX=$((TOTAL * REJECTED_KINDS / KINDS))
SLACK=$((2 * KINDS + CONNS + WARMUP_CONNS))

LINES=$(wc -l <"$GW/access.log")
CLOSED=$(awk '$2 == 499' "$GW/access.log" | wc -l)
GW5XX=$(awk '$2 >= 500 && $2 != 499' "$GW/access.log" | wc -l)
# lines whose status is not the one of their kind (499: client went away)
WRONG=$(awk 'NR == FNR { want[$2] = $4; next }
             $2 != 499 && want[$1] != $2 { n++ } END { print n + 0 }' \
        "$WORK/kinds.txt" "$GW/access.log")
ACCEPTED=$(awk 'NR == FNR { if ($4 < 300) ok[$2] = 1; next }
                ok[$1] && $2 == 200 { n++ } END { print n + 0 }' \
           "$WORK/kinds.txt" "$GW/access.log")
BACKEND=$(wc -l <"$WORK/backend/access.log")
LEAKED=$(awk 'NR == FNR { if ($4 >= 300) bad[$2] = 1; next }
              bad[$1] { n++ } END { print n + 0 }' \
         "$WORK/kinds.txt" "$WORK/backend/access.log")
INSPECTED=$(awk 'NR == FNR { if ($3 != "passthrough") in_[$2] = 1; next }
                 in_[$1] { n++ } END { print n + 0 }' \
            "$WORK/kinds.txt" "$GW/access.log")
COUNTED=$(printf '%s\n' "$METRICS" \
          | awk '/^ims_requests_total/ { n += $NF } END { print n + 0 }')
TEMP_LEFT=$(find "$GW/client_body_temp" -type f 2>/dev/null | wc -l)
ALERTS=$(grep -cE '\[(alert|crit|emerg)\]' "$GW/error.log" \
              "$WORK/backend/error.log" \
         | awk -F: '{ n += $NF } END { print n + 0 }')
GROWTH=$(permille "$RSS_START" "$RSS_END")
RATE=$(awk -v n="$TOTAL" -v s="$((WARMUP + SECONDS_MAIN))" \
       'BEGIN { printf "%d", n / s }')

echo
say "results (warm-up + soak: $((WARMUP + SECONDS_MAIN)) s, $TOTAL requests," \
    "$RATE req/s)"
echo "  requests by kind (gateway access log: kind status count):"
tally "$GW/access.log" | while read -r k s c; do
    name=$(awk -v k="$k" '$2 == k { print $3 }' "$WORK/kinds.txt")
    printf '       %-3s %-24s %s %s\n' "$k" "${name:--}" "$s" "$c"
done
echo "  worker RSS after warm-up ${RSS_START} kB, after soak ${RSS_END} kB" \
     "(under load: min ${RSS_MIN} kB, max ${RSS_MAX} kB)"
check "wrk socket errors (connect+read+write+timeout)" "$ERRORS" -eq 0
check "5xx answers seen by wrk" "$WRK5XX" -eq 0
check "5xx lines in the gateway access log" "$GW5XX" -eq 0
check "access-log lines minus wrk requests" "$((LINES - TOTAL))" -ge 0
check "  ... at most one in flight per connection" "$((LINES - TOTAL))" \
      -le "$((CONNS + WARMUP_CONNS))"
check "lines closed by the client at the end (499)" "$CLOSED" \
      -le "$((CONNS + WARMUP_CONNS))"
check "lines with a status other than their kind's" "$WRONG" -eq 0
check "non-2xx off the rejected share ($REJECTED_KINDS/$KINDS of $TOTAL)" \
      "$(( NON2XX > EXPECTED_NON2XX ? NON2XX - EXPECTED_NON2XX
                                    : EXPECTED_NON2XX - NON2XX ))" -le "$SLACK"
check "backend requests of a rejected kind" "$LEAKED" -eq 0
check "backend requests minus accepted ones" "$((BACKEND - ACCEPTED))" -ge 0
check "  ... at most the ones closed by the client" "$((BACKEND - ACCEPTED))" \
      -le "$CLOSED"
check "ims_requests_total minus inspected lines" \
      "$(( COUNTED > INSPECTED ? COUNTED - INSPECTED : INSPECTED - COUNTED ))" \
      -le "$CLOSED"
check "worker RSS growth, per mille (start $RSS_START kB)" "$GROWTH" -le 10
check "worker file descriptors growth" "$((FDS_END - FDS_START))" -le 32
check "worker processes replaced" \
      "$([ "$WORKERS_START" = "$WORKERS_END" ] && echo 0 || echo 1)" -eq 0
check "temporary files left" "$TEMP_LEFT" -eq 0
check "[alert], [crit], [emerg] in the error logs" "$ALERTS" -eq 0

summary "$TOTAL requests, ${RATE} req/s, worker RSS $RSS_START -> $RSS_END kB"
