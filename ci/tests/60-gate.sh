#!/usr/bin/env bash
# 60-gate.sh - the stress binaries' command-line contract and the short tier
# of the race gate (./build.sh gate --tier short: every control of
# ci/gate/expectations on its short budget, no replay, no fuzz smoke).
# Budget: under 4 minutes on 2 cores. Expects `make all` to have run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/ci/lib.sh"
cd "$ROOT"

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

# ---- the short tier of the gate --------------------------------------------
bash ci/cmd-gate.sh --tier short
rc=$?
for f in gate.md junit.xml; do
    if [ -s "$BUILD/gate/$f" ] && grep -q 'W1-v6-cell-byte' "$BUILD/gate/$f"; then
        pass "gate wrote build/gate/$f"
    else
        fail "gate wrote build/gate/$f - missing or without the controls"
    fi
done
[ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "gate exit $rc (want 0 or 1)"
exit 0
