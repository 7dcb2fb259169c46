#!/usr/bin/env bash
# Fresh state per input (issue 9). The llsc harness keeps one machine and one
# oracle per process and renews them for each input (sut_renew, orc_renew),
# rewriting only what the last input changed; this checks, rather than
# reallocation, that an input still starts from the state a new machine has:
#  1. every built llsc and bitmap target (race targets build a machine
#     per input), replay build: `replay -fresh-pairs`
#     over every seed and regression of the family (all llsc corpora for an
#     llsc target): each input's verdict line and sut_stats must be the same
#     run twice in a row and after every other input (every ordered pair) as
#     run first on newly allocated state;
#  2. an engine build (libFuzzer: llsc-fixed, llsc-v8): a seeded sample of
#     pairs "A then B" in one process (A a seed of the target, which passes)
#     gives B's verdict line alone, and a passing B run twice passes;
#  3. the check can fail: llsc-fixed's replay relinked with sut/machine.c
#     built with -DSUT_TEST_LEAKY_RESET=1 (the counters survive a reset) and
#     =2 (the device's registers survive it) must report differences.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=0}

# family_inputs FAMILY: every seed and regression binary of the family's corpora.
family_inputs() {
    local t
    for t in $(targets); do
        [ "$(target_family "$t")" = "$1" ] && [ "$(corpus_owner "$t")" = "$t" ] || continue
        ls "$BUILD/corpus/$t/seeds/"*.bin "$BUILD/corpus/$t/regressions/"*.bin 2>/dev/null
    done
}

# 1. Every ordered pair, replay build. Only the families whose driver keeps
# its state between inputs: the race driver builds a machine per input, and
# its free-mode inputs give whatever interleaving the threads take.
for t in $(targets); do
    case $(target_family "$t") in llsc|bitmap) ;; *) continue ;; esac
    [ -x "$BUILD/replay/$t" ] || { skip "fresh-state $t: not built"; continue; }
    mapfile -t ins < <(family_inputs "$(target_family "$t")")
    [ ${#ins[@]} -gt 0 ] || { skip "fresh-state $t: no corpus"; continue; }
    reaped "$BUILD/replay/$t" -fresh-pairs "${ins[@]}" >"$tmp/out" 2>"$tmp/err"
    rc=$? sum=$(grep '^fresh-state: ' "$tmp/out")
    if [ $rc -eq 0 ] && [ -n "$sum" ] && ! grep -q '^FAIL' "$tmp/out"; then
        pass "fresh-state $t: ${sum#fresh-state: }"
    else
        fail "fresh-state $t (exit $rc): $(grep -m3 '^FAIL' "$tmp/out" | tr '\n' '|')${sum:-$(tail -n2 "$tmp/err" | tr '\n' '|')}"
    fi
done

# 2. An engine build, sampled pairs (libFuzzer runs the files it is given in order).
verdict_line() { grep -m1 -E '^FAIL [a-z-]+: op ' "$1" || echo PASS; }
seed=${FRESH_SEED:-$(( $(date +%s) % 10000 ))}
echo "engine pairs: seed $seed (FRESH_SEED=$seed to repeat)"
for t in llsc-fixed llsc-v8; do
    bin="$BUILD/libfuzzer/$t"
    [ -x "$bin" ] || { skip "fresh-state engine $t: not built"; continue; }
    mapfile -t as < <(ls "$BUILD/corpus/$t/seeds/"*.bin)
    mapfile -t bs < <(family_inputs llsc)
    RANDOM=$seed bad=0 n=0 twice=0
    for k in $(seq 1 12); do
        a=${as[RANDOM % ${#as[@]}]} b=${bs[RANDOM % ${#bs[@]}]}
        reaped "$bin" "$b" >"$tmp/alone" 2>&1
        reaped "$bin" "$a" "$b" >"$tmp/pair" 2>&1
        want=$(verdict_line "$tmp/alone") got=$(verdict_line "$tmp/pair")
        n=$((n + 1))
        if [ "$want" != "$got" ]; then
            bad=$((bad + 1))
            [ $bad -le 3 ] && echo "  $(basename "$b") after $(basename "$a"): [$got], alone [$want]"
        fi
        if [ "$want" = PASS ]; then
            reaped "$bin" "$b" "$b" >"$tmp/twice" 2>&1
            twice=$((twice + 1))
            [ "$(verdict_line "$tmp/twice")" = PASS ] || { bad=$((bad + 1)); echo "  $(basename "$b") twice: $(verdict_line "$tmp/twice")"; }
        fi
    done
    if [ $bad -eq 0 ]; then
        pass "fresh-state engine $t: $n pairs and $twice inputs twice, as alone (seed $seed)"
    else
        fail "fresh-state engine $t: $bad of $n pairs/twice differ (seed $seed)"
    fi
done

# 3. A leaky reset must be caught.
var() { make -C "$ROOT" -s --no-print-directory --eval 'print-%: ; @echo $($*)' "print-$1" 2>/dev/null | tail -n1; }
r="$BUILD/obj/replay"
if [ -f "$r/targets/llsc-fixed.o" ] && [ -f "$BUILD/replay/libsut.a" ]; then
    cc=$(var CC_replay) flags="$(var WARN) $(var CFLAGS_replay)"
    mapfile -t ins < <(family_inputs llsc)
    for leak in 1 2; do
        what=$([ $leak = 1 ] && echo "counters kept" || echo "device registers kept")
        # shellcheck disable=SC2086
        if ! (cd "$ROOT" && $cc $flags -DSUT_TEST_LEAKY_RESET=$leak -c sut/machine.c -o "$tmp/machine.o" &&
              $cc $flags "$r/targets/llsc-fixed.o" "$r/harness/replay_main.o" "$tmp/machine.o" \
                  "$BUILD/replay/libharness.a" "$BUILD/replay/libsut.a" "$BUILD/replay/libbm-builtin.a" \
                  -o "$tmp/leaky") >"$tmp/cc.log" 2>&1; then
            fail "fresh-state leaky reset ($what): does not build: $(tail -n3 "$tmp/cc.log" | tr '\n' '|')"
            continue
        fi
        reaped "$tmp/leaky" -fresh-pairs "${ins[@]}" >"$tmp/out" 2>&1
        rc=$?
        if [ $rc -eq 1 ] && grep -q '^FAIL fresh-state: ' "$tmp/out"; then
            pass "fresh-state catches a leaky reset ($what): $(grep '^fresh-state: ' "$tmp/out" | sed 's/^fresh-state: //')"
        else
            fail "fresh-state misses a leaky reset ($what): exit $rc, $(tail -n2 "$tmp/out" | tr '\n' '|')"
        fi
    done
else
    skip "fresh-state leaky reset: llsc-fixed's replay objects are not built"
fi
