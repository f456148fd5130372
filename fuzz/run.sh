#!/usr/bin/env bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

#
# Runs the libFuzzer harnesses built by fuzz/fuzz.mk (see RELIABILITY.md).
#
#   fuzz/run.sh fuzz NAME...       each harness for FUZZ_SECONDS (600) on
#                                  build/fuzz/corpus/NAME + the seeds;
#                                  prints executions, exec/s, coverage
#   fuzz/run.sh replay NAME...     every fuzz/regressions/NAME/* file and
#                                  every seed, once
#   fuzz/run.sh coverage NAME...   llvm-cov line coverage of src/ over the
#                                  seeds and the grown corpus
#
# Exit status 1 if any harness crashed (artifacts under
# build/fuzz/artifacts/NAME/), leaked, timed out or failed to run.

set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FUZZ_OUT:-$TOP/build/fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-600}
MODE=${1:?usage: fuzz/run.sh fuzz|replay|coverage NAME...}
shift

# -max_len: bodies and query strings long enough for every limit that a
# small configuration reaches; a header value is short; a route is a
# request line's path and query and a few header values
max_len() {
    case $1 in
    media_type)  echo 512 ;;
    query|route) echo 4096 ;;
    *)           echo 8192 ;;
    esac
}

# fuzz_patch_diff.c reads the input format of fuzz_patch.c
seeds() {
    case $1 in
    patch_diff)  echo "$TOP/fuzz/corpus/patch" ;;
    *)           echo "$TOP/fuzz/corpus/$1" ;;
    esac
}

dict() {
    case $1 in
    patch|patch_diff)  echo "$TOP/fuzz/json.dict" ;;
    *)                 echo "$TOP/fuzz/$1.dict" ;;
    esac
}

stat_of() {
    sed -n "s/^stat::$2: *//p" "$1" | tail -1
}

fuzz_one() {
    local name=$1 bin=$OUT/fuzz-$1 log=$OUT/logs/$1.log rc cov ft corp
    local execs rate

    mkdir -p "$OUT/corpus/$name" "$OUT/artifacts/$name" "$OUT/logs"

    # libFuzzer writes new inputs to the first directory only: the seeds
    # in fuzz/corpus stay as committed
    timeout --signal=INT --kill-after=30 $((SECONDS_EACH + 120)) \
        "$bin" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$name")" \
        -timeout=10 -rss_limit_mb=2048 -dict="$(dict "$name")" \
        -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name/" \
        "$OUT/corpus/$name" "$(seeds "$name")" > "$log" 2>&1
    rc=$?

    execs=$(stat_of "$log" number_of_executed_units)
    rate=$(stat_of "$log" average_exec_per_sec)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 \
           | cut -d' ' -f2)

    printf '%-11s %4ss  execs %-10s exec/s %-7s cov %-5s ft %-6s corpus %s' \
        "$name" "$SECONDS_EACH" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}"

    if [ $rc -ne 0 ]; then
        echo "  FAILED (exit $rc)"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|ims fuzz)' \
            "$log" | head -5 | sed 's/^/    /'
        grep -E 'Test unit written to' "$log" | sed 's/^/    /'
        echo "    log: $log"
        return 1
    fi

    echo
    return 0
}

replay_one() {
    local name=$1 bin=$OUT/fuzz-$1 f n=0 bad=0

    for f in "$TOP/fuzz/regressions/$name"/* "$(seeds "$name")"/*; do
        [ -f "$f" ] || continue
        n=$((n + 1))

        if ! timeout 60 "$bin" -timeout=10 "$f" > "$OUT/replay.log" 2>&1
        then
            bad=$((bad + 1))
            echo "FAIL $name ${f#$TOP/}"
            grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|ims fuzz)' \
                "$OUT/replay.log" | head -3 | sed 's/^/    /'
        fi
    done

    echo "$name: $n inputs replayed, $bad failed"
    [ $bad -eq 0 ]
}

coverage_one() {
    local name=$1 bin=$OUT/cov-$1 dir=$OUT/coverage/$1

    rm -rf "$dir"
    mkdir -p "$dir" "$OUT/corpus/$name"

    # -runs=0: execute the corpus once, fuzz nothing
    LLVM_PROFILE_FILE="$dir/%p.profraw" timeout -s KILL 600 "$bin" -runs=0 \
        -max_len="$(max_len "$name")" "$OUT/corpus/$name" \
        "$(seeds "$name")" > "$dir/run.log" 2>&1 \
        || { echo "$name: coverage run failed ($dir/run.log)"; return 1; }

    llvm-profdata merge -sparse -o "$dir/merged.profdata" "$dir"/*.profraw
    llvm-cov report "$bin" -instr-profile="$dir/merged.profdata" \
        "$TOP"/src/ims_*.c > "$dir/report.txt"

    echo "== $name (corpus: $(ls "$OUT/corpus/$name" | wc -l) grown +" \
         "$(ls "$(seeds "$name")" | wc -l) seeds)"
    # file, regions, missed, cover, functions, missed, executed, lines,
    # missed, cover: the line columns of the files this harness reaches
    awk 'NR > 2 && $1 ~ /\.c$/ && $8 > $9 {
             printf "  %-24s lines %5s of %5s  %7s   branches %7s\n",
                    $1, $8 - $9, $8, $10, $13
         }' "$dir/report.txt"
}

failed=0

case $MODE in
fuzz)
    for name in "$@"; do fuzz_one "$name" || failed=1; done
    ;;
replay)
    for name in "$@"; do replay_one "$name" || failed=1; done
    ;;
coverage)
    for name in "$@"; do coverage_one "$name" || failed=1; done
    ;;
*)
    echo "usage: fuzz/run.sh fuzz|replay|coverage NAME..." >&2
    exit 2
    ;;
esac

exit $failed
