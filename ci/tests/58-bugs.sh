#!/usr/bin/env bash
# The seeded-bug benchmark's bugs (ci/bugs/, issue 9) stay valid: at least 15
# of them; every patch applies to the current tree and touches sut/ only; its
# witness fails the patched llsc-fixed replay build with the recorded
# property (positive control) and passes the tree's own (negative control).
# Then the checker itself: a patch whose context no longer matches and a
# witness that does not show its bug must both be reported, by `check` and
# by the bench (`run` stops before any campaign and exits 1), and by the
# quick `applies` (no build).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bugs=$ROOT/ci/bugs
export ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=0}
unset BENCH_BUGS

n=$(find "$bugs" -name '*.patch' | wc -l)
if [ "$n" -ge 15 ]; then pass "ci/bugs holds $n seeded bugs (at least 15)"
else fail "ci/bugs holds $n seeded bugs, fewer than 15"; fi
for p in "$bugs"/*.patch; do
    [ -f "${p%.patch}.txt" ] || fail "$(basename "$p"): no witness ${p%.patch}.txt"
    grep -q '^# place: ' "$p" || fail "$(basename "$p"): no '# place:' header"
done

python3 "$ROOT/ci/bench/bugs.py" check >"$tmp/check.out" 2>&1
rc=$?
grep -E '^(PASS|FAIL): ' "$tmp/check.out"
[ $rc -eq 0 ] || grep -q '^FAIL: ' "$tmp/check.out" ||
    fail "bugs.py check exited $rc without a FAIL line: $(tail -n1 "$tmp/check.out")"

# The checker's own controls, on a scratch bug folder.
mkdir -p "$tmp/bugs"
# The first context line of the first hunk no longer matches the tree.
awk '!done && hunk && /^ / {$0 = $0 " /* changed since */"; done = 1} /^@@/ {hunk = 1} 1' \
    "$bugs/06-clrex-inverted.patch" >"$tmp/bugs/90-stale-context.patch"
cp "$bugs/06-clrex-inverted.txt" "$tmp/bugs/90-stale-context.txt"
cp "$bugs/19-failed-sc-keeps-reservation.patch" "$tmp/bugs/91-wrong-witness.patch"
cp "$bugs/06-clrex-inverted.txt" "$tmp/bugs/91-wrong-witness.txt"
BUGS_DIR=$tmp/bugs python3 "$ROOT/ci/bench/bugs.py" check >"$tmp/self.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '^FAIL: 90-stale-context: patch applies.*does not apply' "$tmp/self.out"; then
    pass "check reports a patch that no longer applies"
else fail "check missed a stale patch (exit $rc): $(grep 90- "$tmp/self.out" | head -n3)"; fi
if grep -q '^FAIL: 91-wrong-witness: witness kills the patched' "$tmp/self.out" &&
   grep -q '^PASS: 91-wrong-witness: witness passes on unpatched' "$tmp/self.out"; then
    pass "check reports a witness that does not show its bug"
else fail "check missed a witness that does not kill: $(grep 91- "$tmp/self.out" | head -n3)"; fi
if python3 "$ROOT/ci/bench/bugs.py" applies >/dev/null 2>&1 &&
   ! BUGS_DIR=$tmp/bugs python3 "$ROOT/ci/bench/bugs.py" applies >"$tmp/applies.out" 2>&1 &&
   grep -q '^FAIL: 90-stale-context: does not apply' "$tmp/applies.out" &&
   grep -q '^PASS: 91-wrong-witness: applies' "$tmp/applies.out"; then
    pass "bugs.py applies: every patch applies; a stale one is named, exit 1"
else fail "bugs.py applies did not tell stale from current patches: $(cat "$tmp/applies.out")"; fi
BUGS_DIR=$tmp/bugs BENCH_BUGS=90 BENCH_BUG_MD=$tmp/bugs.md \
    python3 "$ROOT/ci/bench/bugs.py" run >"$tmp/run.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'BROKEN 90-stale-context.*does not apply' "$tmp/run.out" &&
   grep -q '| 90-stale-context |.*| BROKEN |' "$tmp/run.out"; then
    pass "the bench reports a patch that no longer applies and exits 1"
else fail "the bench did not report a stale patch (exit $rc): $(tail -n3 "$tmp/run.out")"; fi
