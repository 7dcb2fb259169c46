#!/usr/bin/env bash
# Proof that it finds bugs: libFuzzer with a fixed seed and a bounded number
# of runs, from a copy of the target's seed corpus in a temp dir, must find a
# violation on the variants with known weaknesses (llsc-v6, llsc-v8 and their
# -qemu twins on QEMU's bitmap code, llsc-cmpxchg, race-v6, race-v8) and nothing on the correct
# ones (llsc-fixed, race-fixed, the bitmap targets). The same search must also find each broken bitmap backend
# (tests/lib/bitmap-mutants.sh) from an empty corpus: the shadow check and
# the fuzzer reach real bitmap bugs, not only the seeded ones.
# Budget: FIND_RUNS runs per target (default 100000), at most FIND_SECONDS
# (default 30) each; mutants 100000 runs.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
. "$ROOT/ci/tests/lib/bitmap-mutants.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
runs=${FIND_RUNS:-100000} secs=${FIND_SECONDS:-30} seed=${FIND_SEED:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=0}

# fuzz_once BINARY DICT SEEDDIR RUNS: runs libFuzzer in a fresh temp corpus
# (copy of SEEDDIR, may be empty); prints the verdict of what it found, or
# "nothing in N runs".
fuzz_once() {
    local bin=$1 dict=$2 seeds=$3 n=$4 w rc=0 args
    w=$(mktemp -d "$tmp/c.XXXX")
    [ -z "$seeds" ] || cp "$seeds"/* "$w"/ 2>/dev/null
    args=(-seed="$seed" -runs="$n" -max_total_time="$secs" -timeout=10 -artifact_prefix="$w/")
    [ ! -f "$dict" ] || args+=(-dict="$dict")
    "$bin" "${args[@]}" "$w" >"$w.log" 2>&1 || rc=$?
    if [ $rc -eq 0 ]; then
        echo "nothing in $(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs, \2 s/p' "$w.log")"
    else
        verdict_of "$w.log" "$rc"
    fi
}

# judge TARGET: one PASS/FAIL/SKIP line. Each run is one libFuzzer process on
# one core, so two targets run at a time; lines are printed in LIST order.
judge() {
    local t=$1 want c v
    case $t in
        llsc-v6|llsc-v8|llsc-cmpxchg|llsc-v6-qemu|llsc-v8-qemu|race-v6|race-v8) want=find ;;
        *-fixed|*-fixed-*|bitmap-*) want=none ;;
        *) skip "finds bugs $t - no expectation recorded for this target"; return ;;
    esac
    [ -z "$(target_missing "$t")" ] || { skip "finds bugs $t - $(target_missing "$t")"; return; }
    c=$(corpus_owner "$t")
    v=$(fuzz_once "$BUILD/libfuzzer/$t" "$ROOT/corpus/$(target_family "$t").dict" \
        "$BUILD/corpus/$c/seeds" "$runs")
    case $want:$v in
        find:FAIL\ *) pass "finds bugs $t (seed $seed, <= $runs runs): ${v%%: op*}" ;;
        find:*) fail "finds bugs $t - seed $seed found $v" ;;
        none:nothing*) pass "finds nothing on $t (seed $seed): $v" ;;
        none:*) fail "finds nothing on $t - seed $seed found: $v" ;;
    esac
}
i=0
for t in $(targets); do
    i=$((i + 1))
    [ "$(jobs -rp | wc -l)" -lt 2 ] || wait -n
    judge "$t" >"$tmp/judge.$i" &
done
wait
for j in $(seq 1 "$i"); do cat "$tmp/judge.$j"; done

for m in $MUTANTS; do
    lf=$(build_mutant "$m" libfuzzer) || { fail "finds bugs mutant $m - does not build"; continue; }
    v=$(fuzz_once "$lf" "$ROOT/corpus/bitmap.dict" "" 100000)
    case $v in
        FAIL\ bitmap-*) pass "finds bugs mutant $m from an empty corpus: ${v%%: op*}" ;;
        *) fail "finds bugs mutant $m - seed $seed found $v" ;;
    esac
done
