#!/usr/bin/env bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# tools/reload-test.sh (make reload-test, make reload-test-ci): RELOADS
# reloads (SIGHUP to the master, each waited for until its new workers are
# started) of the gateway (nginx + the module, 2 workers, attribute lists in
# the configuration) while three clients run:
#
#   close      wrk, "Connection: close" on every request (tools/load.lua);
#   curl       a loop of curl runs, 20 requests each on one keep-alive
#              connection, every answer checked against its expected status;
#              curl retries a request only when a reused connection closed
#              before a single response byte (a "clean close");
#   keepalive  wrk on keep-alive connections, which does not retry.
#
# On a reload, the old workers close their idle keep-alive connections.  A
# client that sends its next request at that moment gets the connection
# closed (FIN, or RST when the request was already in the socket) with no
# answer: the request was never processed, and HTTP clients retry it on a
# new connection (curl does).  wrk counts it as a read or write error and
# does not retry, so for the keepalive client the test checks that every
# such error is of that kind (its requests never reached nginx's access log)
# and reports their number; the other two clients must see no error at all.
#
# Checks: every reload done; no connection error (close, curl), no 5xx, no
# wrong status (the access log by kind, the curl answers); the backend saw
# no request of a rejected kind; every old worker exited (code 0) and no
# worker died; master RSS after reload RELOAD_RSS_BASE (20) and after the
# last one: growth <= 1%; no [alert]/[crit]/[emerg]; no temporary file left.
#
# Environment: RELOADS (200), RELOAD_RSS_BASE (20; RELOADS/3 when RELOADS <
# 60), RELOAD_INTERVAL (0.05 s between reloads), RELOAD_CONNECTIONS (4 per
# wrk), RELOAD_PATTERNS=1 adds PCRE2 patterns to the configuration (then the
# master grows by ~0.25 kB per reload, as it does with a regex location and
# no module: nginx's own, see RELIABILITY.md), MODULE, NGINX, KEEP=1 keeps
# the work directory.  Exit status 0
# pass, 1 fail, 2 could not run.

set -uo pipefail

NAME=reload-test
# shellcheck source=tools/reliability-lib.sh
. "$(dirname "$0")/reliability-lib.sh"

RELOADS=${RELOADS:-200}
if [ "$RELOADS" -ge 60 ]; then BASE_AT=${RELOAD_RSS_BASE:-20}
else BASE_AT=${RELOAD_RSS_BASE:-$((RELOADS / 3))}; fi
[ "$BASE_AT" -ge 1 ] || BASE_AT=1
INTERVAL=${RELOAD_INTERVAL:-0.05}
CONNS=${RELOAD_CONNECTIONS:-4}
# the loads stop themselves even if this script is killed
LIMIT=$((RELOADS * 2 + 60))

check_tools

WORK=$(mktemp -d /tmp/ims-reload.XXXXXX)
chmod 0755 "$WORK"
CHILDREN=()
stop_clients() {
    local pid
    touch "$WORK/stop"
    for pid in "${CHILDREN[@]}"; do
        kill -INT "$pid" 2>/dev/null
    done
    for pid in "${CHILDREN[@]}"; do
        wait "$pid" 2>/dev/null
    done
    CHILDREN=()
}
trap 'stop_clients; cleanup' EXIT
trap 'exit 130' INT TERM

BPORT=$(free_port)
GPORT=$(free_port)
write_backend "$WORK/backend" "$BPORT"
run_nginx "$WORK/backend" "$BPORT"
BACKEND_PID=$NGINX_PID
POLICY='
            ims_editable_attributes __support_kvm custom_attr;
            ims_system_attributes __support_arm internal_flag;
            ims_description_max_length 1024;
            ims_query_unknown pass;'
if [ -n "${RELOAD_PATTERNS:-}" ]; then
    POLICY+='
            ims_editable_attributes ~^__support_ custom_attr;
            ims_system_attributes __support_arm ~^os_glance ~^__sys_;
            ims_name_pattern "[A-Za-z0-9 ._-]+";'
fi
write_gateway "$WORK/gateway" "$GPORT" "$BPORT" "$POLICY"
run_nginx "$WORK/gateway" "$GPORT" "${STEADY_MALLOC[@]}"
MASTER=$NGINX_PID
GW=$WORK/gateway
URL=http://127.0.0.1:$GPORT

say "gateway 127.0.0.1:$GPORT (master $MASTER), backend 127.0.0.1:$BPORT;" \
    "$RELOADS reloads; work directory $WORK"

### the clients

wrk -t 1 -c "$CONNS" -d "${LIMIT}s" --timeout 10s -s "$LOAD_LUA" "$URL/" \
    -- keepalive keepalive >"$WORK/wrk-keepalive.txt" 2>&1 &
CHILDREN+=($!)
wrk -t 1 -c "$CONNS" -d "${LIMIT}s" --timeout 10s -s "$LOAD_LUA" "$URL/" \
    -- close close >"$WORK/wrk-close.txt" 2>&1 &
CHILDREN+=($!)

# kinds and expected statuses as in tools/load.lua
UUID=33ad552d-1149-471c-8190-ff6776174a00
V21=application/openstack-images-v2.1-json-patch
CURL_BATCH=()
curl_request() {    # curl_request KIND [curl options] URL
    local kind=$1
    shift
    CURL_BATCH+=(--next -o /dev/null -w '%{http_code}\n' --max-time 10
                 -H 'X-Client: curl' -H "X-Kind: $kind" "$@")
}
for _ in 1 2 3 4; do
    curl_request 1 -X PATCH -H "Content-Type: $V21" \
        --data-binary '[{"op":"replace","path":"/name","value":"renamed"}]' \
        "$URL/v2/images/$UUID"
    curl_request 9 -X PATCH -H "Content-Type: $V21" --data-binary \
        '[{"op":"replace","path":"/__imagetype","value":"gold"}]' \
        "$URL/v2/images/$UUID"
    curl_request 6 "$URL/v2/cloudimages?limit=5&__imagetype=gold"
    curl_request 17 "$URL/v2/cloudimages?limit=x"
    curl_request 15 -X PATCH -H "Content-Type: application/json" \
        --data-binary '[{"op":"replace","path":"/name","value":"renamed"}]' \
        "$URL/v2/images/$UUID"
done
CURL_EXPECT="200 400 200 400 415"

curl_loop() {
    local deadline=$((SECONDS + LIMIT)) out rc
    while [ ! -e "$WORK/stop" ] && [ $SECONDS -lt $deadline ]; do
        out=$(curl -sS -v "${CURL_BATCH[@]:1}" 2>"$WORK/curl.err")
        rc=$?
        paste -d ' ' <(for _ in 1 2 3 4; do tr ' ' '\n' <<<"$CURL_EXPECT"
                       done) \
                     <(printf '%s\n' "$out") >>"$WORK/curl-answers.txt"
        if [ $rc -ne 0 ]; then
            echo "curl exit $rc: $(grep -v '^[<>*{}]' "$WORK/curl.err" \
                                   | tail -1)" >>"$WORK/curl-errors.txt"
        fi
        grep -c 'retrying a fresh connect' "$WORK/curl.err" \
            >>"$WORK/curl-retries.txt"
    done
}
curl_loop &
CHILDREN+=($!)

sleep 2

### the reloads

started() { grep -c 'start worker processes' "$GW/error.log"; }

RSS_BASE='' RSS_END='' DONE=0 T0=$SECONDS
for i in $(seq "$RELOADS"); do
    want=$(( $(started) + 1 ))
    kill -HUP "$MASTER"
    for _ in $(seq 200); do
        [ "$(started)" -ge "$want" ] && break
        sleep 0.05
    done
    if [ "$(started)" -lt "$want" ]; then
        say "reload $i not done after 10 s"
        break
    fi
    DONE=$i
    if [ "$i" -eq "$BASE_AT" ] || [ "$i" -eq "$RELOADS" ]; then
        sleep 0.5
        rss=$(rss_kb "$MASTER")
        [ "$i" -eq "$BASE_AT" ] && RSS_BASE=$rss
        [ "$i" -eq "$RELOADS" ] && RSS_END=$rss
        say "master RSS after reload $i: $rss kB"
    fi
    sleep "$INTERVAL"
done
RELOAD_TIME=$((SECONDS - T0))

sleep 2
stop_clients

# every old worker finishes its requests and exits
for _ in $(seq 300); do
    [ "$(workers_of "$MASTER" | wc -w)" -le 2 ] && break
    sleep 0.1
done
LEFT=$(workers_of "$MASTER" | wc -w)

stop_nginx "$MASTER"      # flushes the access logs
stop_nginx "$BACKEND_PID"

### the numbers

field() {    # field FILE N: field N of the load-total line
    awk -v f="$2" '$1 == "load-total" { print $f }' "$1"
}
status_count() {    # status_count FILE CONDITION-ON-s
    awk "\$1 == \"load-status\" { s = \$2; if ($2) n += \$3 }
         END { print n + 0 }" "$1"
}
lines_of() { awk -v c="$1" '$3 == c' "$GW/access.log" | wc -l; }

grep -h '^load-kind' "$WORK/wrk-close.txt" >"$WORK/kinds.txt"
[ -s "$WORK/kinds.txt" ] || { cat "$WORK/wrk-close.txt"; die "no wrk summary"; }

KA=$WORK/wrk-keepalive.txt CL=$WORK/wrk-close.txt
KA_TOTAL=$(field "$KA" 2) CL_TOTAL=$(field "$CL" 2)
KA_IDLE_CLOSED=$(( $(field "$KA" 4) + $(field "$KA" 5) ))
CL_ERRORS=$(( $(field "$CL" 3) + $(field "$CL" 4) + $(field "$CL" 5)
              + $(field "$CL" 6) ))
KA_OTHER=$(( $(field "$KA" 3) + $(field "$KA" 6) ))
WRK5XX=$(( $(status_count "$KA" 's >= 500')
           + $(status_count "$CL" 's >= 500') ))
CURL_TOTAL=$(wc -l <"$WORK/curl-answers.txt")
CURL_WRONG=$(awk '$1 != $2' "$WORK/curl-answers.txt" | wc -l)
CURL_ERRORS=0
[ -f "$WORK/curl-errors.txt" ] && CURL_ERRORS=$(wc -l <"$WORK/curl-errors.txt")
CURL_RETRIES=$(awk '{ n += $1 } END { print n + 0 }' "$WORK/curl-retries.txt")

GW5XX=$(awk '$2 >= 500' "$GW/access.log" | wc -l)
WRONG=$(awk 'NR == FNR { want[$2] = $4; next }
             $2 != 499 && want[$1] != $2 { n++ } END { print n + 0 }' \
        "$WORK/kinds.txt" "$GW/access.log")
LEAKED=$(awk 'NR == FNR { if ($4 >= 300) bad[$2] = 1; next }
              bad[$1] { n++ } END { print n + 0 }' \
         "$WORK/kinds.txt" "$WORK/backend/access.log")
KA_LINES=$(lines_of keepalive) CL_LINES=$(lines_of close)
EXITED=$(grep -c 'exited with code 0' "$GW/error.log")
SIGNALED=$(grep -c 'exited on signal' "$GW/error.log")
TEMP_LEFT=$(find "$GW/client_body_temp" -type f 2>/dev/null | wc -l)
ALERTS=$(grep -cE '\[(alert|crit|emerg)\]' "$GW/error.log" \
              "$WORK/backend/error.log" \
         | awk -F: '{ n += $NF } END { print n + 0 }')
GROWTH=$(permille "${RSS_BASE:-1}" "${RSS_END:-0}")

echo
say "results: $DONE reloads in ${RELOAD_TIME}s; requests answered:" \
    "close $CL_TOTAL, keepalive $KA_TOTAL, curl $CURL_TOTAL"
echo "  master RSS after reload $BASE_AT: ${RSS_BASE:--} kB," \
     "after reload $RELOADS: ${RSS_END:--} kB"
echo "  keepalive: $KA_IDLE_CLOSED requests sent on a connection closed idle" \
     "by a reload (not answered, not processed; curl retried $CURL_RETRIES" \
     "such requests itself)"
check "reloads done" "$DONE" -eq "$RELOADS"
check "close: socket errors" "$CL_ERRORS" -eq 0
check "curl: failed runs (connection errors, timeouts)" "$CURL_ERRORS" -eq 0
check "curl: answers other than expected" "$CURL_WRONG" -eq 0
check "keepalive: connect and timeout errors" "$KA_OTHER" -eq 0
check "keepalive: idle-close errors (<= reloads x connections)" \
      "$KA_IDLE_CLOSED" -le "$((RELOADS * CONNS))"
check "keepalive: processed minus answered (in flight at stop)" \
      "$((KA_LINES - KA_TOTAL))" -le "$CONNS"
check "close: processed minus answered" "$((CL_LINES - CL_TOTAL))" -le "$CONNS"
check "5xx answers seen by wrk" "$WRK5XX" -eq 0
check "5xx lines in the gateway access log" "$GW5XX" -eq 0
check "lines with a status other than their kind's" "$WRONG" -eq 0
check "backend requests of a rejected kind" "$LEAKED" -eq 0
check "old workers still running after the load stopped" "$((LEFT - 2))" -le 0
check "workers exited with code 0 (2 per reload)" "$EXITED" -ge "$((2 * DONE))"
check "workers exited on a signal" "$SIGNALED" -eq 0
check "master RSS growth, per mille, reload $BASE_AT -> $RELOADS" \
      "$GROWTH" -le 10
check "temporary files left" "$TEMP_LEFT" -eq 0
check "[alert], [crit], [emerg] in the error logs" "$ALERTS" -eq 0

summary "$DONE reloads, master RSS ${RSS_BASE:--} -> ${RSS_END:--} kB"
