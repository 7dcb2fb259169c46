#!/usr/bin/env bash
# ./build.sh minimize keeps the SAME violated property and shrinks:
#  - on a backend with two bugs, an input whose first violation is
#    bitmap-find-next-bit while dropping lines would expose bitmap-test-bit
#    first: the result must still be bitmap-find-next-bit (no drift);
#  - on the first FAIL regression of each target: same property, not longer;
#  - the result replays with ./build.sh repro to the same property, carries
#    "# expect: FAIL <property>", and a passing input is refused (exit 1).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
. "$ROOT/ci/tests/lib/bitmap-mutants.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROOT" || exit 1
oplines() { sed -e 's/#.*//' "$1" | grep -c '[^[:space:]]'; }

if build_mutant find-first+test-bit replay >/dev/null; then
    tree=$(mutant_build_dir find-first+test-bit)
    cat >"$tmp/two-bugs.txt" <<'EOF'
# find-first makes find_next_bit see set bits below the offset in its first
# word; test-bit makes test_bit read the next bit. Op 3 breaks the first;
# without op 3, op 4 breaks the second.
nbits 300
bitmap_set 3 70
bitmap_set 190 20
find_next_bit 300 71
test_bit 72
bitmap_set 100 100
bitmap_clear 0 1
EOF
    rc=0
    HX_NO_BUILD=1 BUILD="$tree" ./build.sh minimize --target bitmap-builtin -o "$tmp/min.txt" \
        "$tmp/two-bugs.txt" >"$tmp/out" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        fail "minimize two bugs - exit $rc: $(tail -n1 "$tmp/out")"
    else
        grep -q "^minimize: wrote $tmp/min.txt\$" "$tmp/out" && pass "minimize prints where it wrote" ||
            fail "minimize does not print where it wrote: $(tail -n1 "$tmp/out")"
        if grep -qx '# expect: FAIL bitmap-find-next-bit' "$tmp/min.txt"; then
            pass "minimize keeps the property (bitmap-find-next-bit), does not drift to bitmap-test-bit"
        else
            fail "minimize drifted: $(grep '^# expect' "$tmp/min.txt")"
        fi
        n0=$(oplines "$tmp/two-bugs.txt") n1=$(oplines "$tmp/min.txt")
        [ "$n1" -le 3 ] && pass "minimize shrinks $n0 -> $n1 lines" ||
            fail "minimize left $n1 of $n0 lines: $(sed -e 's/#.*//' "$tmp/min.txt" | grep . | tr '\n' '|')"
        v=$(HX_NO_BUILD=1 BUILD="$tree" ./build.sh repro --target bitmap-builtin "$tmp/min.txt" 2>&1 | tail -n1)
        [[ $v == "FAIL bitmap-find-next-bit: "* ]] && pass "minimized text reproduces with repro" ||
            fail "minimized text does not reproduce: $v"
    fi
    rc=0
    printf 'nbits 100\nbitmap_set 0 3\nbitmap_clear 1 1\n' >"$tmp/ok.txt"
    HX_NO_BUILD=1 BUILD="$tree" ./build.sh minimize --target bitmap-builtin -o "$tmp/p.txt" \
        "$tmp/ok.txt" >"$tmp/out" 2>&1 || rc=$?
    [ $rc -eq 1 ] && [ ! -e "$tmp/p.txt" ] && pass "minimize refuses a passing input (exit 1)" ||
        fail "minimize on a passing input: exit $rc, $(tail -n1 "$tmp/out")"
else
    fail "minimize - broken backend does not build"
fi

# The first FAIL regression of every built target.
for t in $(targets); do
    [ -z "$(target_missing "$t")" ] || continue
    [ "$(corpus_owner "$t")" = "$t" ] || continue
    src=
    for f in corpus/"$t"/regressions/*.txt; do
        [ -e "$f" ] || continue
        case $(expect_of "$f") in FAIL\ *) src=$f; break ;; esac
    done
    # Negative controls (fixed, the bitmap backends) have no failing input to
    # shrink; their minimizer is exercised through the mutant backends above.
    [ -n "$src" ] || continue
    want=$(verdict_property "$(expect_of "$src")")
    rc=0
    HX_NO_BUILD=1 ./build.sh minimize -o "$tmp/r.txt" "$src" >"$tmp/out" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then fail "minimize $src - exit $rc: $(tail -n1 "$tmp/out")"; continue; fi
    got=$(verdict_property "$(expect_of "$tmp/r.txt")")
    n0=$(HX_NO_BUILD=1 "$BUILD/tools/optext" --family "$(target_family "$t")" from-text "$src" - |
         "$BUILD/tools/optext" --family "$(target_family "$t")" to-text | sed -e 's/#.*//' | grep -c '[^[:space:]]')
    n1=$(oplines "$tmp/r.txt")
    if [ "$got" = "$want" ] && [ "$n1" -le "$n0" ]; then
        pass "minimize $src keeps $want ($n0 -> $n1 lines)"
    else
        fail "minimize $src - property $want -> $got, $n0 -> $n1 lines"
    fi
done
