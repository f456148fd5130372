#!/usr/bin/env bash
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

#
# The gateway under valgrind memcheck (make test-valgrind): Debian's nginx
# with the dynamic module, each nginx started by the test harness wrapped
# in valgrind, one log file per process.
#
#   1. the integration suite: the tests in VALGRIND_TESTS with
#      master_process off (one process does everything), those in
#      VALGRIND_TESTS_MASTER, which count workers, with master_process on
#      (the workers are forks of the master, so valgrind checks them too);
#      every error in any nginx process fails the run;
#   2. leak growth: the same request mix, N and then 3N rounds, each in a
#      fresh nginx; the bytes definitely and indirectly lost must be the
#      same for both (and are 0 once nginx's own one-time allocations are
#      suppressed by t/valgrind.supp), so no request leaks.
#
# Environment: VALGRIND_TESTS, VALGRIND_TESTS_MASTER (test names, defaults
# below), VALGRIND_ROUNDS (N, default 50), TEST_NGINX_BINARY,
# TEST_NGINX_MODULE as for prove.

set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$TOP/build/valgrind
ROUNDS=${VALGRIND_ROUNDS:-50}

# Left out: 000-harness (the harness itself, mostly without the module),
# 050-glance (real Glance behind the gateway: the gateway's requests are
# those of 010-040), 080-config (runs nginx -t and the examples itself,
# not through the harness, so not under valgrind).
TESTS=${VALGRIND_TESTS:-010-patch-rules 020-content-type 030-query
                       035-routes 040-forwarding 045-error-page
                       060-operator 090-ims-check}
TESTS_MASTER=${VALGRIND_TESTS_MASTER:-070-metrics 075-rollout 100-hostile}

die() { echo "test-valgrind: $*" >&2; exit 1; }

command -v valgrind > /dev/null || die "valgrind not installed"

export TEST_NGINX_MODULE=${TEST_NGINX_MODULE:-$TOP/build/ngx_http_ims_module.so}
# responses are many times slower under valgrind: the one timeout knob
export TEST_NGINX_TIMEOUT=${TEST_NGINX_TIMEOUT:-30}
[ -f "$TEST_NGINX_MODULE" ] || die "$TEST_NGINX_MODULE not built (run make)"

tdir=$TOP/t

rm -rf "$OUT"
mkdir -p "$OUT/suite" "$OUT/leak-n" "$OUT/leak-3n"
chmod 1777 "$OUT" "$OUT"/*

vg() {
    echo "valgrind --tool=memcheck --leak-check=full" \
         "--show-leak-kinds=definite,indirect" \
         "--errors-for-leak-kinds=definite,indirect --num-callers=40" \
         "--error-exitcode=99 --suppressions=$TOP/t/valgrind.supp" \
         "--gen-suppressions=all --log-file=$1/vg.%p.log"
}

cd "$TOP"
rc=0

# 1. the suite

# prove the tests named in $2 (those that exist) with master_process $1
suite() {
    local t files=()

    for t in $2; do
        if [ -f "$tdir/$t.t" ]; then
            files+=("$tdir/$t.t")
        else
            echo "test-valgrind: no $t.t, skipped"
        fi
    done

    [ ${#files[@]} -gt 0 ] || return 0

    echo "test-valgrind: master_process $1:" $2
    TEST_NGINX_MASTER=$1 TEST_NGINX_WRAPPER=$(vg "$OUT/suite") \
        timeout 1200 prove "${files[@]}" || rc=1
}

suite off "$TESTS"
suite on "$TESTS_MASTER"

export TEST_NGINX_MASTER=off

# 2. leak growth

cat > "$OUT/leak.t" << 'EOF'
use strict;
use warnings;
use Test::More;
use NgxTest;

my $rounds = shift // 20;
my $ID = '33ad552d-1149-471c-8190-ff6776174a00';
my $V21 = 'application/openstack-images-v2.1-json-patch';
my $V20 = 'Application/OpenStack-Images-V2.0-JSON-Patch ; charset="utf-8"';
my $big = 'x' x 60000;    # past client_body_buffer_size: a temp file

sub patch {
    my ($ct, $body, %a) = @_;
    return (method => 'PATCH', uri => "/v2/images/$ID",
            headers => [ 'Content-Type' => $ct ], body => $body, %a);
}

my @mix = (
    [ 200, patch($V21, '[{"op":"replace","path":"/name","value":"a"}]') ],
    [ 200, patch($V20, '[{"add":"/x","value":"y"},{"remove":"/z"}]') ],
    [ 400, patch($V21, '[{"op":"add","path":"/id","value":"x"}]') ],
    [ 400, patch($V21, '[{"op":"add","path":"/x","value":"y"') ],
    [ 400, patch($V21, '[{"op":"add","op":"remove","path":"/x"}]') ],
    [ 400, patch($V21, '[{"op":"add","path":"/x","value":1}]') ],
    [ 415, patch('application/json', '[]') ],
    [ 200, patch($V21, qq([{"op":"add","path":"/x","value":"$big"}])) ],
    [ 200, patch($V21, '[{"op":"remove","path":"/x"}]', chunked => [3]) ],
    [ 400, method => 'PATCH', uri => '/v2/images/not-an-id',
           headers => [ 'Content-Type' => $V21 ], body => '[]' ],
    [ 200, method => 'GET', uri => '/v2/cloudimages?limit=5&sort=name:asc' ],
    [ 400, method => 'GET', uri => '/v2/cloudimages?limit=x&name=%zz' ],
    [ 200, method => 'GET', uri => '/other' ],
);

my $t = NgxTest->new();
my $bad = 0;

for my $round (1 .. $rounds) {
    for my $m (@mix) {
        my ($status, %req) = @$m;
        my $r = eval { $t->request(%req, timeout => 30) };
        next if $r && $r->{status} == $status;
        $bad++;
        diag("round $round: $req{method} $req{uri}: "
             . ($r ? $r->{status} : $@) . ", expected $status");
    }
}

is($bad, 0, "$rounds rounds of " . @mix . " requests, every status right");
$t->stop;
done_testing;
EOF

for run in leak-n:$ROUNDS leak-3n:$((ROUNDS * 3)); do
    dir=$OUT/${run%%:*}
    echo "test-valgrind: leak run, ${run#*:} rounds"
    TEST_NGINX_WRAPPER=$(vg "$dir") timeout 1200 \
        prove -I "$tdir/lib" "$OUT/leak.t" :: "${run#*:}" || rc=1
done

# 3. the verdict, from valgrind's own logs

# "definitely lost: 1,234 bytes in 5 blocks" -> 1234
lost() {
    grep -hE "$2 lost:" "$1"/vg.*.log 2> /dev/null \
        | sed -E 's/.*lost: ([0-9,]+) bytes.*/\1/; s/,//g' \
        | awk '{ s += $1 } END { print s + 0 }'
}

# a worker (master_process on) may still be in its own leak check when
# the harness has seen its master go: give the last ones some time
for i in $(seq 60); do
    [ -z "$(grep -L 'ERROR SUMMARY' "$OUT"/*/vg.*.log 2> /dev/null)" ] \
        && break
    sleep 0.5
done

# every error context of every process, grouped by kind and top frames,
# with one full example each; exit 1 if there is any.  A process killed
# before its exit (no summary) still shows the errors found until then.
perl - "$OUT"/*/vg.*.log << 'EOF'
use strict;
use warnings;

my (%seen, %example);

for my $log (@ARGV) {
    open my $fh, '<', $log or next;
    my $text = do { local $/; <$fh> };

    if ($text !~ /ERROR SUMMARY: (\d+) errors/) {
        my ($cmd) = $text =~ /Command: ([^\n]*)/;
        print "warning: $log: killed before its leak check: $cmd\n";
    }

    # a record: from its headline to the next empty "==pid==" line
    while ($text =~ /^==\d+==\ (
                         (?:Invalid|Conditional|Use\ of|Syscall|Mismatched
                            |Source\ and)[^\n]*
                       | [\d,]+\ (?:\([^)]*\)\ )?bytes\ in\ [\d,]+\ blocks
                         \ are\ (?:definitely|indirectly)\ lost[^\n]*
                     )\n
                     ((?:==\d+==\ {3,}[^\n]*\n)+)/mgx)
    {
        my ($head, $stack) = ($1, $2);
        my @frames = $stack =~ /(?:at|by) 0x\w+: (\S+)/g;
        $head =~ s/[\d,]+ (\([^)]*\) )?bytes in [\d,]+ blocks/N bytes/;
        $head =~ s/ in loss record.*//;
        my $sig = join ' < ', $head, grep { defined } @frames[0 .. 4];
        $seen{$sig}++;
        $example{$sig} //= "$log:\n$head\n$stack";
    }
}

my @sigs = sort { $seen{$b} <=> $seen{$a} } keys %seen;
print "$seen{$_} x $_\n" for @sigs;
print "\n== one of $seen{$_}: $example{$_}" for @sigs;

exit(@sigs ? 1 : 0);
EOF
bad=$?

# every part ran under valgrind: a missing log would read as "0 lost"
for part in suite leak-n leak-3n; do
    grep -qs 'ERROR SUMMARY' "$OUT/$part"/vg.*.log \
        || die "no complete valgrind log in $OUT/$part"
done
nlogs=$(ls "$OUT"/*/vg.*.log 2> /dev/null | wc -l)

dn=$(lost "$OUT/leak-n" definitely)
d3=$(lost "$OUT/leak-3n" definitely)
in=$(lost "$OUT/leak-n" indirectly)
i3=$(lost "$OUT/leak-3n" indirectly)
ds=$(lost "$OUT/suite" definitely)

echo "test-valgrind: $nlogs nginx processes under valgrind;" \
     "definitely/indirectly lost (not suppressed): $ROUNDS rounds" \
     "$dn/$in bytes, $((ROUNDS * 3)) rounds $d3/$i3 bytes, suite $ds bytes"

if [ "$dn" != "$d3" ] || [ "$in" != "$i3" ]; then
    echo "test-valgrind: lost bytes grow with the number of requests"
    bad=1
fi

[ $rc -eq 0 ] || die "tests failed (logs in $OUT)"
[ $bad -eq 0 ] || die "valgrind found errors (logs in $OUT)"

echo "test-valgrind: no error, no leak"
