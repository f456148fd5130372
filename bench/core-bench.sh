#!/bin/bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# bench/core-bench.sh (what `make bench-core` calls): the validation core
# alone, over the workloads of bench/payloads.pl.
#
#   1. build/core-bench: wall-clock table (validations/s, ns/byte, the JSON
#      parse share), the median of BENCH_CORE_REPS runs of
#      BENCH_CORE_SECONDS each per workload and path;
#   2. valgrind --tool=callgrind: instructions per validation, counted
#      inside bench_loop() only (--toggle-collect), over
#      BENCH_CALLGRIND_N validations after one uncounted warm-up call, so
#      that the program's setup is not in the count.
#
# Environment (defaults): BENCH_CORE_SECONDS=1 BENCH_CORE_REPS=5
# BENCH_CALLGRIND_N=200 (0 skips callgrind) BENCH_RECORD=1 (append to
# bench/RESULTS.md) BENCH_DIR=build/bench CORE_BENCH=build/core-bench

set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$REPO/bench
DIR=${BENCH_DIR:-$REPO/build/bench}
PROG=${CORE_BENCH:-$REPO/build/core-bench}
PAYLOADS=$DIR/payloads
OUT=$DIR/core
SECONDS_PER_RUN=${BENCH_CORE_SECONDS:-1}
REPS=${BENCH_CORE_REPS:-5}
N=${BENCH_CALLGRIND_N:-200}
RECORD=${BENCH_RECORD:-0}

say() { printf 'bench-core: %s\n' "$*" >&2; }
die() { printf 'bench-core: FAILED: %s\n' "$*" >&2; exit 1; }

install_valgrind() {
    command -v valgrind >/dev/null && return 0
    [ "$(id -u)" = 0 ] || die "valgrind missing: run as root or" \
                              "apt-get install valgrind"
    export DEBIAN_FRONTEND=noninteractive
    apt-cache policy valgrind 2>/dev/null | grep -q 'Candidate: [0-9]' \
        || apt-get update -q
    apt-get install -y -q --no-install-recommends valgrind
}

# instructions of N validations: the "totals:" line of callgrind's output
callgrind_count() {
    local w=$1 path=$2 file=$OUT/callgrind.$1.$2
    timeout 600 valgrind --tool=callgrind --toggle-collect=bench_loop \
        --callgrind-out-file="$file" "$PROG" -n "$N" "$w" "$path" \
        "$PAYLOADS" > "$file.log" 2>&1 \
        || { cat "$file.log" >&2; die "callgrind $w $path"; }
    awk '/^(totals|summary):/ { print $2; exit }' "$file"
}

[ -x "$PROG" ] || die "no $PROG (make bench-core builds it)"
perl "$BENCH/payloads.pl" "$PAYLOADS"
rm -rf "$OUT"
mkdir -p "$OUT"

say "timing: $REPS x ${SECONDS_PER_RUN}s per workload and path"
"$PROG" -s "$SECONDS_PER_RUN" -r "$REPS" "$PAYLOADS" > "$OUT/timing.md"

{
    echo "Wall clock, median of $REPS runs of ${SECONDS_PER_RUN}s" \
         "(parse share: the reader alone / its whole path):"
    echo
    cat "$OUT/timing.md"
} > "$OUT/table.md"

if [ "$N" -gt 0 ]; then
    install_valgrind
    say "callgrind: $N validations per workload and path"

    declare -A ir
    declare -a order=()
    declare -A bytes
    while IFS=$'\t' read -r w path len; do
        count=$(callgrind_count "$w" "$path")
        [ -n "$count" ] || die "no instruction count for $w $path"
        ir[$w.$path]=$count
        bytes[$w]=$len
        [[ " ${order[*]} " == *" $w "* ]] || order+=("$w")
    done < <("$PROG" -l "$PAYLOADS")

    {
        echo
        echo "Instructions per validation (callgrind, $N validations):"
        echo
        echo "| workload | bytes | validate | validate-stream" \
             "| stream reader | parse share | jansson reader |"
        echo "|---|--:|--:|--:|--:|--:|--:|"
        for w in "${order[@]}"; do
            awk -v w="$w" -v n="$N" -v b="${bytes[$w]}" \
                -v v="${ir[$w.validate]:-}" -v j="${ir[$w.jansson]:-}" \
                -v vs="${ir[$w.validate-stream]:-}" \
                -v s="${ir[$w.stream]:-}" '
                function cell(x) {
                    return x == "" ? "-" \
                        : sprintf("%.0f (%.1f/B)", x / n, x / n / b)
                }
                function share(r, t) {
                    return (r == "" || t == "") ? "-" \
                        : sprintf("%.0f%%", 100 * r / t)
                }
                BEGIN {
                    printf "| %s | %d | %s | %s | %s | %s | %s |\n",
                        w, b, cell(v), cell(vs), cell(s), share(s, v),
                        cell(j)
                }'
        done
    } >> "$OUT/table.md"
fi

machine() {
    local model
    model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    echo "- machine: $(nproc) CPUs, ${model:-unknown CPU}," \
         "load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- build: $("$PROG" -l "$PAYLOADS" | grep -q stream \
                     && echo 'jansson and stream readers' \
                     || echo 'jansson reader only (no stream reader found)')"
}

echo
echo "Core benchmark ($OUT):"
echo
cat "$OUT/table.md"
echo
machine

if [ "$RECORD" = 1 ]; then
    c=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
    [ -z "$(git -C "$REPO" status --porcelain -- src 2>/dev/null)" ] \
        || c="$c (core sources modified)"
    {
        echo
        echo "### Core: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $c"
        echo
        machine
        echo
        cat "$OUT/table.md"
    } >> "$BENCH/RESULTS.md"
    say "appended to bench/RESULTS.md"
fi
