#!/usr/bin/env bash
# Corpus and regression replay (./build.sh replay): every seed passes, every
# regression gives its recorded verdict on its target and passes on
# <family>-fixed. Then the replay checker itself, on a scratch tree whose
# bitmap target is a broken backend: it must flag a wrong, a missing and a
# mismatched expectation, and a regression that fails on <family>-fixed.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
. "$ROOT/ci/tests/lib/bitmap-mutants.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The real corpus (built by ./build.sh test before the suites run).
HX_NO_BUILD=1 bash "$ROOT/ci/cmd-replay.sh" >"$tmp/replay.out" 2>&1
rc=$?
grep -E '^(PASS|FAIL|SKIP): ' "$tmp/replay.out"
if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' "$tmp/replay.out"; then
    fail "./build.sh replay exited $rc without a FAIL line: $(tail -n1 "$tmp/replay.out")"
fi

# 2. The checker on a scratch tree.
mut=$(build_mutant tac-fullword replay) || { fail "replay checker - mutant does not build"; exit 0; }
r="$tmp/root" b="$tmp/build"
mkdir -p "$r/targets" "$r/corpus/bitmap-builtin/regressions" "$b/replay" "$b/tools" \
         "$b/corpus/bitmap-builtin/seeds" "$b/corpus/bitmap-builtin/regressions"
ln -s "$ROOT/ci" "$r/ci"; ln -s "$ROOT/sut" "$r/sut"; ln -s "$ROOT/targets/bitmap.c" "$r/targets/bitmap.c"
ln -s "$BUILD/tools/optext" "$b/tools/optext"
printf '%s\n' "bitmap-builtin bitmap targets/bitmap.c builtin" \
              "bitmap-fixed bitmap targets/bitmap.c builtin" >"$r/targets/LIST"
cp "$ROOT/corpus/bitmap-builtin/basic-ranges.txt" "$r/corpus/bitmap-builtin/"
bug='nbits 200
bitmap_set 0 70
bitmap_test_and_clear_atomic 0 148'
printf '%s\n' "$bug" >"$r/corpus/bitmap-builtin/bug.txt"
printf '# expect: FAIL bitmap-contents\n%s\n' "$bug" >"$r/corpus/bitmap-builtin/regressions/right.txt"
printf '# expect: PASS\n%s\n' "$bug" >"$r/corpus/bitmap-builtin/regressions/wrong.txt"
printf '# no expectation\n%s\n' "$bug" >"$r/corpus/bitmap-builtin/regressions/none.txt"
printf '# expect: FAIL bitmap-test-bit\n%s\n' "$bug" >"$r/corpus/bitmap-builtin/regressions/other.txt"
"$BUILD/tools/optext" --family bitmap from-text "$r/corpus/bitmap-builtin/basic-ranges.txt" \
    "$b/corpus/bitmap-builtin/seeds/basic-ranges.bin"
"$BUILD/tools/optext" --family bitmap from-text "$r/corpus/bitmap-builtin/bug.txt" \
    "$b/corpus/bitmap-builtin/seeds/bug.bin"
for n in right wrong none other; do
    "$BUILD/tools/optext" --family bitmap from-text "$r/corpus/bitmap-builtin/regressions/$n.txt" \
        "$b/corpus/bitmap-builtin/regressions/$n.bin"
done

# scratch_replay FIXED_BINARY: runs the checker, bitmap-builtin = the mutant.
scratch_replay() {
    cp "$mut" "$b/replay/bitmap-builtin"
    cp "$1" "$b/replay/bitmap-fixed"
    ROOT="$r" BUILD="$b" HX_NO_BUILD=1 bash "$ROOT/ci/cmd-replay.sh" --target bitmap-builtin >"$tmp/s.out" 2>&1
}
# expect_line REGEX WHAT
expect_line() {
    if grep -qE "$1" "$tmp/s.out"; then pass "replay checker: $2"
    else fail "replay checker: $2 - no line matching '$1' in: $(tr '\n' '|' <"$tmp/s.out")"; fi
}

scratch_replay "$BUILD/replay/bitmap-builtin"
src=$?
[ $src -eq 1 ] && pass "replay checker: exits 1 when a check fails" ||
    fail "replay checker: exits $src, expected 1"
expect_line '^PASS: replay bitmap-builtin seed basic-ranges$' "a seed that passes passes"
expect_line '^PASS: regression bitmap-builtin/right gives FAIL bitmap-contents on bitmap-builtin$' "a matching FAIL expectation passes"
expect_line '^FAIL: regression bitmap-builtin/wrong on bitmap-builtin - expected PASS, got: FAIL bitmap-contents: ' "flags a regression that fails but should pass"
expect_line '^FAIL: regression bitmap-builtin/none - no ' "flags a missing expect line"
expect_line '^FAIL: regression bitmap-builtin/other on bitmap-builtin - expected FAIL bitmap-test-bit, got: FAIL bitmap-contents' "flags a different property"
expect_line '^PASS: regression bitmap-builtin/right passes on bitmap-fixed$' "a regression passes on the fixed target"

scratch_replay "$mut"
expect_line '^FAIL: regression bitmap-builtin/right on bitmap-fixed - FAIL bitmap-contents' "flags a regression that fails on the fixed target"
expect_line '^FAIL: replay bitmap-builtin seed bug - FAIL bitmap-contents: ' "flags a seed that fails"
