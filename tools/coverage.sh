#!/usr/bin/env bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

#
# Line and branch coverage with gcc's --coverage and Debian's gcovr
# (make coverage, tools/coverage.mk; RELIABILITY.md has the numbers).
#
#   tools/coverage.sh           core, glue, then report
#   tools/coverage.sh core      the core (src/ims_*.c) under the unit tests
#                               and every committed fuzz input, replayed
#                               through each harness by tools/fuzz_replay.c
#   tools/coverage.sh glue      nginx with the module compiled in, both with
#                               --coverage, under prove -r t/ (and the body
#                               tests again with the jansson reader)
#   tools/coverage.sh report    the tables (stdout and summary.txt) and the
#                               HTML reports, from what the runs left
#
# Two tables: the core as its own tests reach it (unit tests + fuzz
# corpora: the core's targets are judged on these), and the glue as the
# integration suite reaches it.  Output under build/coverage/:
# summary.txt, core/index.html, glue/index.html.
#
# Environment: COV_OPT (the core's optimization, default -Og: see
# COV_CFLAGS below), COV_OUT (default build/coverage), COV_NGINX_TARBALL
# (default ../shared/nginx/nginx-1.30.4.tar.gz), JOBS (default: CPUs),
# COV_PROVE_TIMEOUT (seconds for the whole suite, default 2400),
# TEST_NGINX_TIMEOUT (default 10: the instrumented nginx is slower);
# floors in percent, each checked only when set: COV_CORE_MIN_LINES,
# COV_CORE_MIN_BRANCHES (the core's totals), COV_GLUE_MIN_LINES.
#
# The exit status is 1 if a unit test, a replayed input or an integration
# test failed or a total is below its floor (the report is still
# written), 2 on a setup error.

set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${COV_OUT:-$TOP/build/coverage}
TARBALL=${COV_NGINX_TARBALL:-$TOP/../shared/nginx/nginx-1.30.4.tar.gz}
JOBS=${JOBS:-$(nproc)}
CC=gcc
# -Og folds what a constant argument decides in an always-inline helper
# (ims_equal(p, "add", 3) at -O0 keeps the branches of every other
# length, once per call site); COV_OPT=-O0 counts them all
COV_CFLAGS="${COV_OPT:--Og} -g --coverage"
WARN="-Wall -Wextra -Werror -Wno-unused-parameter"

CORE=$OUT/core/obj
NGX=$OUT/nginx

FUZZ_NAMES="patch media_type query route patch_diff"

die() { echo "coverage: $*" >&2; exit 2; }

command -v gcovr > /dev/null \
    || die "gcovr not found (apt-get install gcovr)"


# the seeds of a harness, as fuzz/run.sh has them
seeds() {
    case $1 in
    patch_diff)  echo "$TOP/fuzz/corpus/patch" ;;
    *)           echo "$TOP/fuzz/corpus/$1" ;;
    esac
}


core() {
    local src obj name rc=0 srcs=()

    rm -rf "$OUT/core"
    mkdir -p "$CORE" "$OUT/core/bin"

    cd "$TOP" || die "no $TOP"

    # one object per core file, shared by every binary below, so that the
    # counts of the unit tests and of every harness add up in one .gcda
    for src in src/ims_*.c; do
        obj=$CORE/$(basename "$src" .c).o
        $CC $COV_CFLAGS $WARN -Isrc -c -o "$obj" "$src" \
            || die "$src does not compile"
        srcs+=("$obj")
    done

    echo "coverage: unit tests"
    $CC $COV_CFLAGS $WARN -Isrc -o "$OUT/core/bin/ims-unit" t/unit/*.c \
        "${srcs[@]}" --coverage -ljansson \
        || die "the unit tests do not compile"

    timeout 600 "$OUT/core/bin/ims-unit" > "$OUT/core/unit.log" 2>&1 \
        || { rc=1; grep -E '^FAIL' "$OUT/core/unit.log" | head -20; }
    tail -1 "$OUT/core/unit.log"

    for name in $FUZZ_NAMES; do
        if ! $CC $COV_CFLAGS $WARN -Isrc -Ifuzz \
                -o "$OUT/core/bin/replay-$name" \
            "fuzz/fuzz_$name.c" tools/fuzz_replay.c "${srcs[@]}" \
            --coverage -ljansson > "$OUT/core/build-$name.log" 2>&1
        then
            # said loudly, but the other harnesses and the tables go on
            echo "coverage: SKIPPED $name: fuzz/fuzz_$name.c does not" \
                 "compile (see $OUT/core/build-$name.log)"
            echo "skipped: fuzz/fuzz_$name.c does not compile" \
                >> "$OUT/core/skipped"
            continue
        fi

        echo "coverage: fuzz inputs, $name"
        timeout 600 "$OUT/core/bin/replay-$name" \
            "$TOP/fuzz/regressions/$name" "$(seeds "$name")" \
            > "$OUT/core/replay-$name.log" 2>&1 \
            || { rc=1; tail -5 "$OUT/core/replay-$name.log"; }
        tail -1 "$OUT/core/replay-$name.log"
    done

    return $rc
}


glue() {
    local tree rc=0

    [ -s "$TARBALL" ] || die "no nginx tarball at $TARBALL"

    mkdir -p "$NGX"
    tree=$NGX/$(basename "$TARBALL" .tar.gz)

    # configured once (again when the module's config changes); make
    # rebuilds what changed since
    if [ ! -f "$tree/objs/Makefile" ] \
       || [ "$TOP/config" -nt "$tree/objs/Makefile" ]
    then
        rm -rf "$tree"
        tar -C "$NGX" -xzf "$TARBALL" || die "cannot unpack $TARBALL"

        echo "coverage: configuring $(basename "$tree") with the module"
        # a release tarball has ./configure, a repository tree
        # (../shared/nginx) auto/configure
        (cd "$tree" && if [ -x configure ]; then c=./configure;
                       else c=auto/configure; fi && $c \
            --with-compat --with-debug --with-http_v2_module \
            --with-http_sub_module --add-module="$TOP" \
            --with-cc-opt="-O0 -g --coverage" --with-ld-opt=--coverage \
            > "$NGX/configure.log" 2>&1) \
            || { tail -20 "$NGX/configure.log" >&2; die "configure failed"; }
    fi

    echo "coverage: building nginx (make -j$JOBS)"
    make -C "$tree" -j"$JOBS" > "$NGX/make.log" 2>&1 \
        || { grep -E 'error' "$NGX/make.log" | head -20 >&2;
             die "make failed (see $NGX/make.log)"; }

    [ -x "$TOP/build/ims-check" ] \
        || echo "coverage: no build/ims-check (make check-tool):" \
                "t/090-ims-check.t will skip"

    # fresh counts; workers run as nobody and write their .gcda at exit:
    # every object directory is world-writable, every file created 0666
    find "$tree/objs" -name '*.gcda' -delete
    find "$tree/objs" -type d -exec chmod 0777 {} +
    mkdir -p "$NGX/tmp"
    chmod 1777 "$NGX/tmp"

    echo "coverage: prove -r t/ against $tree/objs/nginx"
    (
        umask 000
        cd "$TOP" || exit 2
        export TEST_NGINX_BINARY=$tree/objs/nginx
        export TEST_NGINX_MODULE=
        export TEST_NGINX_TIMEOUT=${TEST_NGINX_TIMEOUT:-10}
        export TMPDIR=$NGX/tmp
        r=0
        timeout "${COV_PROVE_TIMEOUT:-2400}" prove -r t/ \
            > "$NGX/prove.log" 2>&1 || r=1
        TEST_NGINX_IMS_READER=jansson timeout 600 \
            prove t/010-patch-rules.t t/100-hostile.t \
            >> "$NGX/prove.log" 2>&1 || r=1
        exit $r
    ) || rc=1

    grep -E '^(Files=|Result:|Failed|t/.*(Wstat|Failed))' "$NGX/prove.log"
    [ $rc -eq 0 ] || echo "coverage: the suite failed (see $NGX/prove.log)"

    return $rc
}


# one table: file, lines, branches; the totals last
table() {
    python3 - "$1" "$2" << 'EOF'
import json, sys

title, path = sys.argv[1], sys.argv[2]
data = json.load(open(path))

def pct(covered, total):
    return "%6.1f%%" % (100.0 * covered / total) if total else "     - "

print(title)
print("  %-30s %-22s %-22s" % ("file", "lines", "branches"))
for f in sorted(data["files"], key=lambda f: f["filename"]):
    print("  %-30s %s %6d/%-6d  %s %6d/%-6d" % (
        f["filename"],
        pct(f["line_covered"], f["line_total"]),
        f["line_covered"], f["line_total"],
        pct(f["branch_covered"], f["branch_total"]),
        f["branch_covered"], f["branch_total"]))
print("  %-30s %s %6d/%-6d  %s %6d/%-6d" % (
    "total",
    pct(data["line_covered"], data["line_total"]),
    data["line_covered"], data["line_total"],
    pct(data["branch_covered"], data["branch_total"]),
    data["branch_covered"], data["branch_total"]))
print()
EOF
}


# floors FILE line|branch PERCENT NAME: 1 if the total is below PERCENT
floors() {
    [ -n "$3" ] || return 0
    [ -f "$1" ] || { echo "coverage: no $4 measure for the floor"; return 1; }

    python3 - "$@" << 'EOF'
import json, sys

path, kind, floor, name = sys.argv[1], sys.argv[2], float(sys.argv[3]), \
    sys.argv[4]
data = json.load(open(path))
got = 100.0 * data[kind + "_covered"] / max(data[kind + "_total"], 1)
ok = got >= floor
print("coverage: %s %s %.1f%%, floor %.1f%%: %s"
      % (name, {"line": "lines", "branch": "branches"}[kind], got, floor,
         "ok" if ok else "BELOW"))
sys.exit(0 if ok else 1)
EOF
}


report() {
    local have=0

    cd "$TOP" || die "no $TOP"
    rm -rf "$OUT/html-core" "$OUT/html-glue"
    : > "$OUT/summary.txt.tmp"

    if [ -d "$CORE" ]; then
        have=1
        mkdir -p "$OUT/html-core"
        gcovr -j "$JOBS" -r "$TOP" --filter 'src/ims[_.]' \
            --json-summary "$OUT/core/summary.json" \
            --html-details "$OUT/html-core/index.html" \
            --html-title "ngx_ims_module core: unit tests + fuzz corpora" \
            "$CORE" > "$OUT/core/gcovr.log" 2>&1 \
            || { cat "$OUT/core/gcovr.log" >&2; die "gcovr failed"; }
        table "core (src/ims_*.c, headers): unit tests + fuzz corpora" \
            "$OUT/core/summary.json" >> "$OUT/summary.txt.tmp"
        [ -f "$OUT/core/skipped" ] \
            && sed 's/^/  /' "$OUT/core/skipped" >> "$OUT/summary.txt.tmp"
    fi

    if ls -d "$NGX"/*/objs > /dev/null 2>&1; then
        have=1
        mkdir -p "$OUT/html-glue"
        gcovr -j "$JOBS" -r "$TOP" \
            --filter 'ngx_ims_module\.c' --filter 'src/ngx_http_ims' \
            --filter 'src/ims[_.]' \
            --json-summary "$NGX/summary.json" \
            --html-details "$OUT/html-glue/index.html" \
            --html-title "ngx_ims_module in nginx: prove -r t/" \
            "$NGX"/*/objs/addon > "$NGX/gcovr.log" 2>&1 \
            || { cat "$NGX/gcovr.log" >&2; die "gcovr failed"; }

        # the glue's own table, then the core as the suite alone reaches it
        python3 - "$NGX/summary.json" << 'EOF'
import json, sys

path = sys.argv[1]
data = json.load(open(path))

for name, keep in (("glue", lambda f: not f.startswith("src/ims")),
                   ("core-t", lambda f: f.startswith("src/ims"))):
    files = [f for f in data["files"] if keep(f["filename"])]
    out = {"files": files}
    for k in ("line", "branch"):
        out[k + "_covered"] = sum(f[k + "_covered"] for f in files)
        out[k + "_total"] = sum(f[k + "_total"] for f in files)
    json.dump(out, open(path.replace("summary.json", name + ".json"), "w"))
EOF
        table "glue (ngx_ims_module.c, src/ngx_http_ims_*): prove -r t/" \
            "$NGX/glue.json" >> "$OUT/summary.txt.tmp"
        table "core, as the integration suite alone reaches it" \
            "$NGX/core-t.json" >> "$OUT/summary.txt.tmp"
    fi

    [ $have -eq 1 ] || die "nothing measured yet: run tools/coverage.sh"

    mv -f "$OUT/summary.txt.tmp" "$OUT/summary.txt"
    cat "$OUT/summary.txt"

    # the floors, if asked for: the core's totals, the glue's lines
    floors "$OUT/core/summary.json" line "${COV_CORE_MIN_LINES:-}" core \
        || failed=1
    floors "$OUT/core/summary.json" branch "${COV_CORE_MIN_BRANCHES:-}" \
        core || failed=1
    floors "$NGX/glue.json" line "${COV_GLUE_MIN_LINES:-}" glue || failed=1
    for html in "$OUT"/html-*/index.html; do
        echo "HTML: $html"
    done
}


mkdir -p "$OUT"
start=$SECONDS

failed=0

case ${1:-all} in
core)   core; rc=$?; report; exit $((rc | failed)) ;;
glue)   glue; rc=$?; report; exit $((rc | failed)) ;;
report) report; exit $failed ;;
all)
    rc=0
    core || rc=1
    glue || rc=1
    report
    echo "coverage: $((SECONDS - start)) s"
    exit $((rc | failed))
    ;;
*)
    echo "usage: tools/coverage.sh [core|glue|report]" >&2
    exit 2
    ;;
esac
