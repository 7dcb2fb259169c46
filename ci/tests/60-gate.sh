#!/usr/bin/env bash
# 60-gate.sh - the stress binaries' command-line contract and the short tier
# of the race gate (./build.sh gate --tier short: every control of
# ci/gate/expectations on its short budget, no replay, no fuzz smoke),
# including its rows on the qemu bitmap backend (issue 5): KNOWN for findings
# of ci/qemu-findings.txt, FAIL for a new one, SKIP without a QEMU tree.
# Budget: under 1 minute on 2 cores. Expects `make all` to have run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/ci/lib.sh"
cd "$ROOT"
. "$ROOT/ci/gate/lib.sh"
logs=$BUILD/test-logs/60-gate
rm -rf "$logs"
mkdir -p "$logs"

# ---- bad input: one line on stderr, nothing on stdout, exit 2 --------------
bad() {
    local name=$1 out err rc n
    shift
    err=$(mktemp)
    out=$("$@" 2>"$err")
    rc=$?
    n=$(grep -c . "$err")
    if [ $rc -eq 2 ] && [ "$n" -eq 1 ] && [ -z "$out" ]; then
        pass "bad input: $name"
    else
        fail "bad input: $name - exit $rc, $n stderr line(s), stdout '$(head -c 100 <<<"$out")': $(head -c 200 "$err")"
    fi
    rm -f "$err"
}
for w in bitmap llsc hotplug; do
    for cfg in tsan stress; do
        [ -x "$BUILD/$cfg/stress-$w" ] || { fail "build: $BUILD/$cfg/stress-$w missing"; continue; }
    done
done
b=$BUILD/stress/stress-llsc
bad "stress-llsc unknown variant" "$b" --variant v9
bad "stress-llsc zero threads" "$b" --threads 0
bad "stress-llsc negative seconds" "$b" --seconds -1
bad "stress-llsc negative iterations" "$b" --iterations -5
bad "stress-llsc seconds and iterations" "$b" --seconds 1 --iterations 5
bad "stress-llsc unknown option" "$b" --colour red
bad "stress-bitmap wrong backend" "$BUILD/stress/stress-bitmap" --backend nosuch
bad "stress-hotplug too many threads" "$BUILD/stress/stress-hotplug" --threads 32
bad "./build.sh stress unknown workload" bash ci/cmd-stress.sh --target nosuch
bad "./build.sh stress unknown variant" bash ci/cmd-stress.sh --variant v9
bad "./build.sh stress zero threads" bash ci/cmd-stress.sh --threads 0
bad "./build.sh stress negative seconds" bash ci/cmd-stress.sh --seconds -2
bad "./build.sh gate unknown tier" bash ci/cmd-gate.sh --tier huge
bad "./build.sh stress unknown backend" bash ci/cmd-stress.sh --backend nosuch
bad "./build.sh stress --backend qemu, QEMU_SRC not a tree" env QEMU_SRC=/nonexistent bash ci/cmd-stress.sh --backend qemu
bad "./build.sh stress --backend qemu, no QEMU tree" env -u QEMU_SRC QEMU_CACHE=/nonexistent bash ci/cmd-stress.sh --backend qemu
bad "./build.sh gate, QEMU_SRC not a tree" env QEMU_SRC=/nonexistent bash ci/cmd-gate.sh --tier short

# ---- the run contract: seed first, one verdict line echoing every parameter,
# per-thread iterations exactly --------------------------------------------
out=$("$BUILD/stress/stress-bitmap" --variant fixed --threads 3 --iterations 5000 --seed 99 2>&1)
rc=$?
first=$(head -n 1 <<<"$out") last=$(tail -n 1 <<<"$out")
if [ $rc -eq 0 ] && [ "$first" = "stress bitmap: seed=99" ] &&
   [ "$last" = "stress bitmap: variant=fixed backend=builtin threads=3 iterations=5000 seed=99: SUCCESS" ] &&
   grep -q '^stress bitmap: ops=15000 ' <<<"$out"; then
    pass "stress contract: seed first, verdict echoes parameters, 3x5000 ops"
else
    fail "stress contract: exit $rc, first '$first', last '$last'"
fi
out=$("$BUILD/stress/stress-llsc" --variant fixed --threads 2 --seconds 0.3 2>&1)
seed=$(sed -n '1s/^stress llsc: seed=\([0-9]*\)$/\1/p' <<<"$out")
if [ -n "$seed" ] && tail -n 1 <<<"$out" | grep -qx "stress llsc: variant=fixed backend=builtin threads=2 seconds=0.3 seed=$seed: SUCCESS"; then
    pass "stress contract: a picked seed is printed first and echoed"
else
    fail "stress contract: picked seed: $(head -n 1 <<<"$out") / $(tail -n 1 <<<"$out")"
fi

# ---- ./build.sh stress --backend qemu runs the binary on QEMU's code --------
qtree=$(qemu_src 2>/dev/null)
if [ -n "$qtree" ]; then
    out=$(bash ci/cmd-stress.sh --backend qemu --target llsc --variant fixed --threads 2 --iterations 2000 --seed 7 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && grep -qx 'stress llsc: variant=fixed backend=qemu threads=2 iterations=2000 seed=7: SUCCESS' <<<"$out"; then
        pass "./build.sh stress --backend qemu runs build/tsan/stress-llsc-qemu on $(qemu_version "$qtree")"
    else
        fail "./build.sh stress --backend qemu - exit $rc: $(tail -n 2 <<<"$out" | tr '\n' ' ' | cut -c1-200)"
    fi
else
    skip "./build.sh stress --backend qemu - no QEMU source tree (./build.sh qemu-src, or set QEMU_SRC)"
fi

# ---- the short tier of the gate --------------------------------------------
bash ci/cmd-gate.sh --tier short
rc=$?
G=$BUILD/gate
for f in gate.md junit.xml; do
    if [ -s "$G/$f" ] && grep -q 'W1-v6-cell-byte' "$G/$f" && grep -q 'qemu-fixed-bitmap' "$G/$f"; then
        pass "gate wrote build/gate/$f, with the builtin and the qemu rows"
    else
        fail "gate wrote build/gate/$f - missing, or without the builtin or the qemu controls"
    fi
done
[ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "gate exit $rc (want 0 or 1)"

# The qemu rows: with a tree they ran (PASS, KNOWN or FAIL, never SKIP), and
# the Markdown and the JUnit XML agree on each one's result.
qrows=$(gate_rows | awk '$3 ~ /:qemu$/ {print $1}')
for r in $qrows; do
    md=$(grep "^| $r | " "$G/gate.md" | awk -F'|' '{gsub(/ /, "", $(NF-1)); print $(NF-1)}')
    xml=$(grep -A3 "name=\"$r\"" "$G/junit.xml" | sed -n 's/.*result: \([A-Z]*\)<.*/\1/p' | head -n1)
    if [ -z "$md" ] || [ "$md" != "$xml" ]; then
        fail "gate qemu row $r - gate.md says '${md:-nothing}', junit.xml '${xml:-nothing}'"
    elif [ -n "$qtree" ] && [ "$md" = SKIP ]; then
        fail "gate qemu row $r - skipped although the QEMU tree $qtree is there"
    elif [ -z "$qtree" ] && [ "$md" != SKIP ]; then
        fail "gate qemu row $r - $md without a QEMU tree (want SKIP)"
    else
        pass "gate qemu row $r - $md in gate.md and junit.xml"
    fi
done
[ -n "$qrows" ] || fail "gate qemu rows - ci/gate/expectations has no row on the qemu backend"

# The lookup decides: TSan reports on QEMU's code (the qemu-fixed-bitmap
# run's own log, judged as the gate does; else the log of the bm_race
# reproducer of a recorded finding, through the same lookup) are KNOWN with
# ci/qemu-findings.txt and fail once their line is taken out.
lookup() {   # prints "<fired> <observed>"
    if [ "$src" = gate ]; then
        gate_classify qemu-known bitmap 66 "$tlog"
        echo "$G_FIRED $G_OBS"
    else
        gate_qemu_tsan "$tlog"
        if [ -n "$GQ_NEW" ]; then echo "1 NEW finding(s), not in $GQ_FILE: $GQ_NEW"
        elif [ -n "$GQ_IDS" ]; then echo "0 KNOWN: $GQ_IDS"
        else echo "0 clean"; fi
    fi
}
if [ -n "$qtree" ]; then
    tlog=$G/logs/qemu-fixed-bitmap.0.log src=gate what="the gate's qemu-fixed-bitmap run"
    if [ -z "$(qemu_tsan_keys "$tlog" 2>/dev/null)" ]; then
        tlog=$logs/bm_race.log src=bm_race what="bm_race set-atomic-vs-set-bit"
        "$BUILD/tsan/qemu-tests/bm_race" set-atomic-vs-set-bit >"$tlog" 2>&1
    fi
    with=$(lookup)
    k=$(qemu_tsan_keys "$tlog" | awk '{print $2; exit}')
    grep -vE "\| *$k *(\||,)" "$ROOT/ci/qemu-findings.txt" >"$logs/findings-minus.txt"
    without=$(GATE_QEMU_FINDINGS=$logs/findings-minus.txt GQ_FILE=findings-minus.txt; GQ_KNOWN=(); lookup)
    if [ -z "$k" ]; then
        fail "gate qemu lookup - no TSan report on QEMU's code in $tlog"
    elif [[ $with == "0 KNOWN: "* ]] && [[ $without == "1 NEW finding(s), not in findings-minus.txt: $k "* ]]; then
        pass "gate qemu lookup - $what: ${with#0 }; without its line in ci/qemu-findings.txt it fails: ${without#1 }"
    else
        fail "gate qemu lookup - $what: with the file '$with', without $k: '$without'"
    fi
fi

# Without a QEMU tree every qemu row is SKIP, one line each, and the gate
# decides on the rest (exit 0 here); --require-qemu turns them into FAIL.
for req in "" --require-qemu; do
    out=$(env -u QEMU_SRC QEMU_CACHE=/nonexistent GATE_OUT="$logs/no-qemu" \
          bash ci/cmd-gate.sh --tier short --only '^qemu-fixed-(llsc|hotplug)$' $req 2>&1)
    rc=$?
    if [ -z "$req" ]; then want=SKIP wrc=0 wskip=2; else want=FAIL wrc=1 wskip=0; fi
    n=$(grep -c "^$want: gate qemu-fixed-[a-z]* - .*backend qemu: no QEMU source tree" <<<"$out")
    if [ $rc -eq $wrc ] && [ "$n" -eq 2 ] && grep -q "skipped=\"$wskip\"" "$logs/no-qemu/junit.xml"; then
        pass "gate without a QEMU tree${req:+ $req}: the qemu rows are $want, one line each (exit $rc)"
    else
        fail "gate without a QEMU tree${req:+ $req}: exit $rc (want $wrc), $n $want line(s) (want 2): $(grep -m1 -E '^(FAIL|SKIP|PASS):' <<<"$out" | cut -c1-150)"
    fi
done
exit 0
