#!/usr/bin/env bash
# The design-space explorer's quick tier (./build.sh explore --quick): the
# invariants of its numbers (ci/explore/check.py: fixed loses nothing, v6
# loses updates exactly where the vCPUs outnumber a cell's bits, cells wider
# than the vCPU count change nothing, v8/fixed/cmpxchg ignore the cell size,
# flush bounds, bitmap bytes per GiB), also under MTTCG; the same command
# gives the same CSV and summary; the ASan+UBSan build runs clean and counts
# the same; the checker fails data broken the way each invariant forbids
# (negative controls); command-line errors.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
out=$BUILD/test-explore
rm -rf "$out"
mkdir -p "$out"
start=$SECONDS

# The quick tier, twice.
for run in a b; do
    bash "$ROOT/ci/cmd-explore.sh" --quick --out "$out/$run" >"$out/$run.log" 2>&1
    echo $? >"$out/$run.rc"
done
grep -E '^(PASS|FAIL): ' "$out/a.log"
rc=$(cat "$out/a.rc")
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$out/a.log"; then
    fail "explore --quick exited $rc: $(tail -n 3 "$out/a.log" | tr '\n' ' ')"
fi
points=$(($(wc -l <"$out/a/explore.csv") - 1))
if [ "$points" -gt 0 ] && cmp -s "$out/a/explore.csv" "$out/b/explore.csv"; then
    pass "explore determinism - two --quick runs, the same CSV ($points points)"
else
    fail "explore determinism - the two --quick runs differ ($out/a, $out/b)"
fi
if cmp -s "$out/a/summary.md" "$out/b/summary.md"; then
    pass "explore determinism - the same summary.md"
else
    fail "explore determinism - summary.md differs"
fi
if grep -q '^## The answer' "$out/a/summary.md" && grep -q 'stop paying off at' "$out/a/summary.md"; then
    pass "explore summary - answers the review (where 8 bits stop paying off)"
else
    fail "explore summary - no answer section in $out/a/summary.md"
fi
npng=$(find "$out/a" -maxdepth 1 -name '*.png' -size +1k | wc -l)
if [ "$npng" -eq 5 ]; then
    pass "explore plots - $npng PNGs"
else
    fail "explore plots - $npng PNGs, want 5"
fi

# The ASan+UBSan build: no report, and the numbers of the gcc build.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
small=(--workloads mixed,hotcold,ramgrow --cpus 2,9 --cells 1,8,16 --steps 1500 --seeds 1 --seed 5)
"$BUILD/asan/explore" "${small[@]}" -o "$out/asan.csv" 2>"$out/asan.log"
arc=$?
"$BUILD/gcc/explore" "${small[@]}" -o "$out/gcc.csv" 2>/dev/null
if [ $arc -eq 0 ] && cmp -s "$out/asan.csv" "$out/gcc.csv"; then
    pass "explore asan - clean, the same numbers as gcc ($(($(wc -l <"$out/gcc.csv") - 1)) points)"
else
    fail "explore asan - exit $arc or numbers differ: $(tail -n 5 "$out/asan.log" | tr '\n' ' ')"
fi

# Under MTTCG (queued flushes, v6-MT) the invariants hold as well.
mt=(--mttcg --variants v6,v8,fixed,cmpxchg --workloads shared,mixed,ramgrow --cpus 2,9
    --cells 2,16 --steps 2000 --seeds 1)
if "$BUILD/gcc/explore" "${mt[@]}" -o "$out/mttcg.csv" 2>"$out/mttcg.log"; then
    python3 "$ROOT/ci/explore/check.py" "$out/mttcg.csv" | sed 's/^\(PASS\|FAIL\): explore /\1: explore --mttcg /'
else
    fail "explore --mttcg exited $?: $(tail -n 2 "$out/mttcg.log" | tr '\n' ' ')"
fi

# Negative controls: the checker must fail data broken as each invariant forbids.
for m in fixed-correct v6-w3-staircase v6-cells-beyond-cpus cell-ignored flush-bound bitmap-bytes; do
    o=$(python3 "$ROOT/ci/explore/check.py" "$out/a/explore.csv" --mutate "$m")
    mrc=$?
    if [ $mrc -eq 1 ] && grep -q "^FAIL: explore $m " <<<"$o"; then
        pass "explore checker negative control - $m: broken data fails it"
    else
        fail "explore checker negative control - $m: exit $mrc, $(grep -c '^FAIL' <<<"$o") FAIL lines"
    fi
done

# Command-line errors: one line naming the command, exit 2, nothing run.
for args in "--bogus" "--seed x" "--seed" "--out"; do
    # shellcheck disable=SC2086
    bash "$ROOT/ci/cmd-explore.sh" $args >"$out/cli.out" 2>"$out/cli.err"
    crc=$?
    if [ $crc -eq 2 ] && [ "$(wc -l <"$out/cli.err")" -eq 1 ] && [ ! -s "$out/cli.out" ] &&
        grep -q '^build.sh explore: ' "$out/cli.err"; then
        pass "explore bad command line: $args -> $(cat "$out/cli.err")"
    else
        fail "explore bad command line: $args - exit $crc, stderr: $(head -n 2 "$out/cli.err" | tr '\n' '|')"
    fi
done
echo "explore tier: $((SECONDS - start)) s"
