#!/usr/bin/env bash
# ./build.sh repro contract: prints the input as text, ends with the verdict
# line; exit 0 pass, 1 violation, 2 usage error (one line on stderr); target
# inferred from corpus/<t>/ and build/corpus/<t>/. Violations come from a
# broken bitmap backend swapped in through a scratch BUILD tree.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
. "$ROOT/ci/tests/lib/bitmap-mutants.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROOT" || exit 1

# run NAME [env...] -- args: runs ./build.sh repro, sets $rc, $out, $err.
run() {
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    rc=0
    env "${envs[@]}" ./build.sh repro "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
}
check() { if eval "$2"; then pass "repro: $1"; else fail "repro: $1 - rc=$rc, last line '$(tail -n1 "$tmp/out")', stderr '$(head -n2 "$tmp/err" | tr '\n' '|')'"; fi; }

run -- corpus/bitmap-builtin/basic-ranges.txt
check "a passing seed: exit 0, text shown, last line PASS" \
    '[ $rc -eq 0 ] && [ "$(tail -n1 "$tmp/out")" = PASS ] && grep -qx "nbits 200" "$tmp/out" && grep -q "^bitmap_set 3 70" "$tmp/out"'

run HX_NO_BUILD=1 -- build/corpus/bitmap-builtin/seeds/growth.bin
check "bytes under build/corpus/<t>/: target inferred, printed as text, PASS" \
    '[ $rc -eq 0 ] && [ "$(tail -n1 "$tmp/out")" = PASS ] && grep -q "(target bitmap-builtin)" "$tmp/out" && grep -q "^bitmap_zero_extend 70" "$tmp/out"'

run HX_NO_BUILD=1 -- corpus/bitmap-builtin/growth.txt corpus/bitmap-builtin/find-next.txt
check "two files: two verdicts, exit 0" '[ $rc -eq 0 ] && [ "$(grep -cx PASS "$tmp/out")" -eq 2 ]'

if rp=$(build_mutant tac-fullword replay); then
    tree=$(mutant_build_dir tac-fullword)
    printf '# a bug\nnbits 200\nbitmap_set 0 70\nbitmap_test_and_clear_atomic 0 148\n' >"$tmp/bug.txt"
    run HX_NO_BUILD=1 BUILD="$tree" -- --target bitmap-builtin "$tmp/bug.txt"
    check "a violation: exit 1, last line is the FAIL verdict, printed once" \
        '[ $rc -eq 1 ] && [[ "$(tail -n1 "$tmp/out")" == "FAIL bitmap-contents: op 2: after bitmap_test_and_clear_atomic 0 148 "* ]] && [ "$(grep -c "^FAIL bitmap-contents" "$tmp/out")" -eq 1 ]'
    run HX_NO_BUILD=1 BUILD="$tree" -- --target bitmap-builtin corpus/bitmap-builtin/growth.txt "$tmp/bug.txt"
    check "a passing and a failing file: exit 1" '[ $rc -eq 1 ] && grep -qx PASS "$tmp/out"'
else
    fail "repro: broken backend does not build"
fi

# Usage errors: exit 2, one line on stderr, nothing run.
usage_case() {
    local what=$1; shift
    run HX_NO_BUILD=1 -- "$@"
    check "$what: exit 2 with one line" '[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ -z "$out" ]'
}
usage_case "no file"
usage_case "missing file" corpus/bitmap-builtin/no-such-file.txt
usage_case "unknown target" --target no-such-target corpus/bitmap-builtin/growth.txt
usage_case "file outside corpus/ without --target" "$tmp/bug.txt"
usage_case "unknown option" --bogus corpus/bitmap-builtin/growth.txt
usage_case "--target without a value" --target
printf 'nbits 10\nno_such_op 1\n' >"$tmp/bad.txt"
usage_case "text that does not parse" --target bitmap-builtin "$tmp/bad.txt"
for t in $(targets); do
    why=$(target_missing "$t")
    [ -n "$why" ] || continue
    usage_case "target that cannot be built yet ($t)" --target "$t" corpus/bitmap-builtin/growth.txt
    break
done
