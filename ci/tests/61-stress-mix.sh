#!/usr/bin/env bash
# 61-stress-mix.sh - the stress workloads' wider op mix (issue 11, --mix; see
# harness/stress.h STRESS_MIX_*): DMA, MMIO, protect_code, aliases,
# shrink/remove, vCPU hot-plug and plain stores over LL/SC counters.
#   - bad --mix values: one line on stderr, exit 2 (binaries and ./build.sh stress);
#   - every kind is exercised: the default mix on fixed runs each of them
#     (the figures count them) and the verdict echoes the mix;
#   - negative controls: fixed with each kind alone under TSan, and fixed
#     and cmpxchg with the whole mix with and without TSan, stay SUCCESS;
#   - positive controls of the new checks: v6-st's W20 (a DMA over the
#     reserved bytes does not break the reservation) is reported by the
#     owner's DMA-between-LL-and-SC check, and the taint check (a load between
#     LL and SC saw another write, yet the SC succeeded) fires on v8 / v6-MT.
# The gate's own controls (ci/tests/60-gate.sh) run with the default mix too.
# Budget: about 40 s on 2 cores. Expects `make all` to have run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/ci/lib.sh"
cd "$ROOT" || exit 1
logs=$BUILD/test-logs/61-stress-mix
rm -rf "$logs"
mkdir -p "$logs"
S=$BUILD/stress T=$BUILD/tsan
for w in llsc hotplug bitmap; do
    for b in "$S" "$T"; do
        [ -x "$b/stress-$w" ] || { fail "build: $b/stress-$w missing"; exit 0; }
    done
done

# ---- bad input --------------------------------------------------------------
bad() {   # bad NAME WANT CMD...: exit 2, one stderr line containing WANT, no stdout
    local name=$1 want=$2 out err rc
    shift 2
    err=$(mktemp)
    out=$("$@" 2>"$err")
    rc=$?
    if [ $rc -eq 2 ] && [ "$(grep -c . "$err")" -eq 1 ] && [ -z "$out" ] && grep -qF -- "$want" "$err"; then
        pass "bad --mix: $name: $(cat "$err")"
    else
        fail "bad --mix: $name - exit $rc, stdout '$(head -c 80 <<<"$out")', stderr: $(head -n 2 "$err" | tr '\n' '|') (want '$want')"
    fi
    rm -f "$err"
}
bad "unknown kind" "unknown kind 'nosuch'" "$S/stress-llsc" --mix dma,nosuch
bad "empty kind" "unknown kind ''" "$S/stress-llsc" --mix dma,,mmio
bad "trailing comma" "empty kind at the end" "$S/stress-llsc" --mix dma,
bad "empty list" "wants kinds" "$S/stress-llsc" --mix ""
bad "shrink on llsc (no iothread)" "has no 'shrink' ops" "$S/stress-llsc" --mix shrink
bad "dma on v8 (sequential-only there)" "'dma' is sequential-only on v8" "$S/stress-llsc" --variant v8 --mix dma
bad "protect on v6-MT" "'protect' is sequential-only on v6" "$S/stress-hotplug" --variant v6 --mix mmio,protect
bad "shrink on v6-mt" "'shrink' is sequential-only on v6-mt" "$S/stress-hotplug" --variant v6-mt --mix shrink
bad "--mix on bitmap" "fixed op mix" "$S/stress-bitmap" --mix none
bad "./build.sh stress unknown kind" "build.sh stress: --mix: unknown kind 'dmaa'" bash ci/cmd-stress.sh --mix dmaa
bad "./build.sh stress empty kind" "build.sh stress: --mix: empty kind" bash ci/cmd-stress.sh --mix ,dma

# ---- every kind exercised; the verdict echoes the mix -----------------------
# fig LOG NAME: the value of NAME=N on the figures line (empty if absent).
fig() { sed -n "s/^stress [a-z]*: ops=.* $2=\([0-9]*\).*/\1/p" "$1" | tail -n 1; }
declare -A WANT=(
    [llsc]="dma mmio protect alias plugged overlap_stores taint_checks"
    [hotplug]="dma mmio protect alias plugged overlap_stores taint_checks shrinks removes"
)
declare -A MIXSTR=(
    [llsc]="dma,mmio,protect,alias,plug,overlap"
    [hotplug]="dma,mmio,protect,alias,shrink,plug,overlap"
)
for w in llsc hotplug; do
    log=$logs/kinds-$w.log
    "$S/stress-$w" --variant fixed --threads 3 --iterations 30000 --seed 7 >"$log" 2>&1
    rc=$?
    verdict=$(tail -n 1 "$log")
    want="stress $w: variant=fixed backend=builtin threads=3 iterations=30000 mix=${MIXSTR[$w]} seed=7: SUCCESS"
    zero=""
    for k in ${WANT[$w]}; do
        n=$(fig "$log" "$k")
        [ -n "$n" ] && [ "$n" -gt 0 ] || zero+=" $k=${n:-missing}"
    done
    if [ $rc -eq 0 ] && [ "$verdict" = "$want" ] && [ -z "$zero" ]; then
        pass "mix kinds: $w on fixed runs every kind ($(grep -o ' \(dma\|mmio\|protect\|alias\|plugged\|overlap_stores\|taint_checks\|shrinks\|removes\)=[0-9]*' "$log" | tr -d '\n' | cut -c2-)) and says SUCCESS"
    else
        fail "mix kinds: $w on fixed - exit $rc, verdict '$verdict' (want '$want'), not exercised:${zero:- none}"
    fi
done
# --mix none: the fixed mix of before, echoed, no new kind counted; on v8 the
# default leaves out the kinds it cannot take concurrently.
"$S/stress-llsc" --variant fixed --threads 2 --iterations 5000 --seed 3 --mix none >"$logs/none.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && tail -n 1 "$logs/none.log" | grep -qx 'stress llsc: variant=fixed backend=builtin threads=2 iterations=5000 mix=none seed=3: SUCCESS' &&
   [ -z "$(fig "$logs/none.log" dma)$(fig "$logs/none.log" mmio)$(fig "$logs/none.log" overlap_stores)" ]; then
    pass "mix none: the old op mix, echoed as mix=none, no new kind run"
else
    fail "mix none: exit $rc: $(tail -n 2 "$logs/none.log" | tr '\n' '|' | cut -c1-300)"
fi
"$S/stress-hotplug" --variant v8 --threads 2 --iterations 100 --seed 3 >"$logs/v8-default.log" 2>&1
if grep -q '^stress hotplug: variant=v8 .* mix=mmio,alias,plug,overlap seed=3: ' "$logs/v8-default.log"; then
    pass "mix default on v8: mmio,alias,plug,overlap (dma, protect and shrink are sequential-only there)"
else
    fail "mix default on v8: $(tail -n 1 "$logs/v8-default.log" | cut -c1-200)"
fi

# ---- negative controls --------------------------------------------------------
# Each kind alone on fixed under TSan (hotplug has them all), then the whole
# mix on fixed and cmpxchg with and without TSan.
neg() {   # neg NAME CMD...: exit 0, SUCCESS, no TSan report
    local name=$1 log=$logs/neg-$1.log rc
    shift
    "$@" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && tail -n 1 "$log" | grep -q ': SUCCESS$' && ! grep -q '^stress: tsan report' "$log"; then
        pass "negative $name: SUCCESS, no TSan report ($(tail -n 1 "$log" | sed 's/^.* \(seed=[0-9]*\).*/\1/'))"
    else
        fail "negative $name - exit $rc: $(grep -m1 '^stress: tsan report' "$log")$(tail -n 1 "$log" | cut -c1-250) (log $log)"
    fi
}
for k in dma mmio protect alias shrink plug overlap; do
    neg "fixed-tsan-$k" "$T/stress-hotplug" --variant fixed --threads 3 --seconds 1 --seed 11 --mix "$k"
done
for v in fixed cmpxchg; do
    for w in llsc hotplug; do
        neg "$v-$w-tsan" "$T/stress-$w" --variant "$v" --seconds 1.5 --seed 12
        neg "$v-$w-stress" "$S/stress-$w" --variant "$v" --seconds 1 --seed 13
    done
done

# ---- positive controls of the new checks --------------------------------------
# v6-st has W20: the owner's DMA over its reserved overlap counter leaves the
# reservation, and its SC succeeds. Up to 3 seeds (it fires in the first
# milliseconds).
fired=""
for s in 21 22 23; do
    "$S/stress-llsc" --variant v6-st --seconds 2 --seed $s --mix dma,overlap >"$logs/w20.$s.log" 2>&1
    v=$(tail -n 1 "$logs/w20.$s.log")
    if [[ $v == *"FAILURE ("*"lost update on overlap counter"*"(W20))" ]]; then fired=$s; break; fi
done
if [ -n "$fired" ]; then
    pass "positive W20 on v6-st (seed $fired): $(tail -n 1 "$logs/w20.$fired.log" | sed 's/^.*: FAILURE/FAILURE/' | cut -c1-200)"
else
    fail "positive W20 on v6-st: not reported in 3 seeds: $(tail -n 1 "$logs/w20.23.log" | cut -c1-200)"
fi
# The taint check on v8 and v6-MT (W21, W5, W6): a load between LL and SC
# read another write and the SC still succeeded. Which check reports a lost
# update first is up to the interleaving (the claim check on the plain
# counters mostly wins), so the TSan build runs on past its first failure
# (--stop-on none) and the figures count the SCs the taint check caught.
# Up to 6 runs of 2 s, v8 and v6 in turn.
fired="" last=""
for s in 1 2 3 4 5 6; do
    v=v8; [ $((s % 2)) -eq 0 ] && v=v6
    last=$logs/taint.$s.log
    "$T/stress-llsc" --variant $v --seconds 2 --seed $s --mix overlap --stop-on none >"$last" 2>&1
    n=$(fig "$last" taint_violations)
    if [ -n "$n" ] && [ "$n" -gt 0 ]; then fired="$v seed $s: $n SCs caught"; break; fi
done
if [ -n "$fired" ]; then
    pass "positive taint check ($fired; the run's first failure: $(grep "^stress llsc: variant=" "$last" | tail -n 1 | sed 's/^.*: FAILURE (//' | cut -c1-120))"
else
    fail "positive taint check on v8/v6-MT: no SC caught in 6 runs (last: $(grep '^stress llsc: ops=' "$last" | cut -c1-200))"
fi
exit 0
