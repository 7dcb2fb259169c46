#!/usr/bin/env bash
# Same input, same verdict: every seed and regression of every built target
# is run twice through build/replay/<t>, once through build/libfuzzer/<t>
# (the binary given the file) and once through build/afl/<t> and
# build/afl/<t>.cmplog (the AFL++ driver given the file); the verdict lines
# (PASS, or the whole "FAIL <property>: op <n>: ..." line) must be identical,
# and a regression's must match its "# expect:" line. The same is checked on
# failing inputs of broken bitmap backends, so FAIL verdicts are compared
# even before any regression fails on its target.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
. "$ROOT/ci/tests/lib/bitmap-mutants.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run_verdict BINARY FILE: the verdict of one engine binary on one file.
run_verdict() {
    local rc=0
    "$1" "$2" >"$tmp/out" 2>&1 || rc=$?
    verdict_of "$tmp/out" "$rc"
}

# compare NAME FILE EXPECT REPLAY LIBFUZZER AFL [AFLCMPLOG]
compare() {
    local name=$1 f=$2 want=$3 v0 v others=() bad=
    v0=$(run_verdict "$4" "$f")
    others+=("replay-again=$(run_verdict "$4" "$f")")
    others+=("libfuzzer=$(run_verdict "$5" "$f")")
    # A verdict only ASan can give (the race targets print one for W2's
    # use after free) has no counterpart in the AFL++ builds, which run
    # without sanitizers.
    local engines="replay x2, libFuzzer, AFL++${7:+ (+cmplog)}"
    if [[ $v0 == *"SUMMARY: AddressSanitizer"* ]]; then
        engines="replay x2, libFuzzer (an ASan verdict: AFL++ builds have no sanitizer)"
    else
        others+=("afl=$(run_verdict "$6" "$f")")
        [ -z "${7:-}" ] || others+=("afl-cmplog=$(run_verdict "$7" "$f")")
    fi
    for v in "${others[@]}"; do
        [ "${v#*=}" = "$v0" ] || bad="$bad; ${v%%=*} says: ${v#*=}"
    done
    if [ -n "$bad" ]; then
        fail "same verdict $name - replay says: $v0$bad"
    elif [ -n "$want" ] && [ "$(verdict_property "$v0")" != "$(verdict_property "$want")" ]; then
        fail "same verdict $name - all engines say '$v0', the file expects '$want'"
    else
        pass "same verdict $name in $engines: ${v0%%: op*}"
    fi
}

for t in $(targets); do
    [ -z "$(target_missing "$t")" ] || { skip "same verdict $t - $(target_missing "$t")"; continue; }
    for src in "$ROOT"/corpus/"$t"/*.txt "$ROOT"/corpus/"$t"/regressions/*.txt; do
        [ -e "$src" ] || continue
        rel=${src#"$ROOT"/corpus/"$t"/}; n=${rel%.txt}
        if [[ $rel == regressions/* ]]; then
            bin="$BUILD/corpus/$t/regressions/${n#regressions/}.bin"; want=$(expect_of "$src")
            [ -n "$want" ] || want="(no expect line)"
        else
            bin="$BUILD/corpus/$t/seeds/$n.bin"; want=PASS
        fi
        [ -f "$bin" ] || { fail "same verdict $t/$rel - $bin not built"; continue; }
        compare "$t/$rel" "$bin" "$want" "$BUILD/replay/$t" "$BUILD/libfuzzer/$t" \
            "$BUILD/afl/$t" "$BUILD/afl/$t.cmplog"
    done
done

# Broken backends: a failing input each, all three engines. (zext-noclear is
# left out: what it exposes is allocator garbage, which differs between the
# ASan and glibc allocators by nature.)
i=0
for m in tac-fullword set-atomic-first find-first test-bit; do
    i=$((i + 1))
    rp=$(build_mutant "$m" replay) && lf=$(build_mutant "$m" libfuzzer) && af=$(build_mutant "$m" afl) ||
        { fail "same verdict mutant $m - does not build"; continue; }
    case $m in
        tac-fullword) txt='nbits 200\nbitmap_set 0 70\nbitmap_test_and_clear_atomic 0 148' ;;
        set-atomic-first) txt='nbits 256\nbitmap_set 0 3\nbitmap_set_atomic 60 5' ;;
        find-first) txt='nbits 300\nbitmap_set 70 1\nbitmap_set 190 20\nfind_next_bit 300 71' ;;
        test-bit) txt='nbits 100\nbitmap_set 3 70\ntest_bit 72' ;;
    esac
    printf "$txt\n" | "$BUILD/tools/optext" --family bitmap from-text - "$tmp/m$i.bin"
    compare "mutant $m" "$tmp/m$i.bin" "FAIL $(mutant_property "$m")" "$rp" "$lf" "$af"
done
