#!/usr/bin/env bash
# The structure-aware mutator (harness/mutate.h, issue 9):
#  1. harness/tests/test_mutate under gcc, clang and ASan+UBSan, on random
#     inputs and on every seed and regression of the llsc and bitmap targets:
#     outputs are whole ops within the caps, each kind happens and does what
#     it says, crossover mixes both parents, same seed -> same output;
#  2. every libFuzzer build of a family with a mutator exports
#     LLVMFuzzerCustomMutator and LLVMFuzzerCustomCrossOver (linked
#     explicitly: a weak reference pulls nothing out of libharness.a), the
#     replay build does not; a short libFuzzer run reaches the custom
#     crossover, and with HX_MUTATOR=0 does not;
#  3. afl-fuzz -V 5 with the family's library (the campaign runner's choice,
#     engines.afl_mutator) loads it and queues inputs it made (AFL++ names
#     them after afl_custom_describe: "mu-<kind>").
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files() {  # files FAMILY: corpus inputs of every target of that family
    local t
    for t in $(targets); do
        [ "$(target_family "$t")" = "$1" ] || continue
        ls "$BUILD/corpus/$t"/seeds/*.bin "$BUILD/corpus/$t"/regressions/*.bin 2>/dev/null
    done
}
mapfile -t llsc_files < <(files llsc)
mapfile -t bm_files < <(files bitmap)

for cfg in gcc clang asan; do
    bin=$BUILD/$cfg/harness-tests/test_mutate
    if [ ! -x "$bin" ]; then
        fail "$cfg/test_mutate - not built ($bin)"; continue
    fi
    out=$("$bin" --family llsc "${llsc_files[@]}" --family bitmap "${bm_files[@]}" 2>&1); rc=$?
    if [ "$cfg" = gcc ]; then
        printf '%s\n' "$out" | grep -E '^(PASS|FAIL): '
    else
        printf '%s\n' "$out" | grep -E '^FAIL: ' | sed "s/^FAIL: /FAIL: $cfg: /"
        n=$(printf '%s\n' "$out" | grep -c '^PASS: ')
        [ $rc -eq 0 ] && pass "$cfg/test_mutate - $n checks (${#llsc_files[@]} llsc, ${#bm_files[@]} bitmap corpus files)"
    fi
    if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' <<<"$out"; then
        fail "$cfg/test_mutate exited $rc: $(printf '%s\n' "$out" | tail -n 3 | tr '\n' ' ')"
    fi
done

# ---- 2. libFuzzer ----
for t in $(targets); do
    f=$(target_family "$t")
    [ -f "$ROOT/harness/mutate_lf_$f.c" ] || continue
    [ -z "$(target_missing "$t")" ] || { skip "$t - $(target_missing "$t")"; continue; }
    syms=$(nm "$BUILD/libfuzzer/$t" 2>/dev/null | awk '$2 == "T" && /LLVMFuzzerCustom/ {print $3}' | sort | paste -sd' ' -)
    if [ "$syms" = "LLVMFuzzerCustomCrossOver LLVMFuzzerCustomMutator" ]; then
        pass "libfuzzer/$t exports $syms"
    else
        fail "libfuzzer/$t - custom mutator entry points: '${syms:-none}'"
    fi
    if [ ! -x "$BUILD/replay/$t" ]; then
        fail "replay/$t - not built"
    elif nm "$BUILD/replay/$t" | grep -q 'LLVMFuzzerCustom'; then
        fail "replay/$t - links the custom mutator"
    else
        pass "replay/$t - no custom mutator"
    fi
done

t=llsc-fixed
if [ -x "$BUILD/libfuzzer/$t" ]; then
    for m in 1 0; do
        c=$tmp/lf-$m
        mkdir -p "$c" && cp "$BUILD/corpus/$t"/seeds/*.bin "$c"/
        HX_MUTATOR=$m reaped "$BUILD/libfuzzer/$t" -seed=1 -runs=5000 -artifact_prefix="$tmp/" \
            "$c" >"$tmp/lf-$m.log" 2>&1
        n=$(grep -c 'MS: .*CustomCrossOver' "$tmp/lf-$m.log")
        if [ "$m" = 1 ] && [ "$n" -gt 0 ]; then
            pass "libfuzzer/$t -seed=1 -runs=5000: $n new inputs came through the custom crossover"
        elif [ "$m" = 0 ] && [ "$n" -eq 0 ]; then
            pass "libfuzzer/$t with HX_MUTATOR=0: no input through the custom crossover"
        else
            fail "libfuzzer/$t HX_MUTATOR=$m: $n new inputs through the custom crossover"
        fi
    done
fi

# ---- 3. AFL++ ----
for t in llsc-fixed bitmap-builtin; do
    is_target "$t" && [ -x "$BUILD/afl/$t" ] || { skip "afl/$t - not built"; continue; }
    so=$(cd "$ROOT/ci/campaign" && BUILD=$BUILD python3 -c "import engines; print(engines.afl_mutator('$t') or '')")
    if [ -z "$so" ] || [ ! -f "$so" ]; then
        fail "afl/$t - the campaign runner finds no mutator library ('$so')"; continue
    fi
    none=$(cd "$ROOT/ci/campaign" && HX_MUTATOR=0 BUILD=$BUILD python3 -c "import engines; print(engines.afl_mutator('$t') or '')")
    [ -z "$none" ] || fail "afl/$t - HX_MUTATOR=0 still gives the campaign runner $none"
    d=$tmp/afl-$t
    reaped env -u ASAN_OPTIONS -u UBSAN_OPTIONS AFL_CUSTOM_MUTATOR_LIBRARY="$so" \
        AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
        AFL_FAST_CAL=1 timeout 60 afl-fuzz -i "$BUILD/corpus/$t/seeds" -o "$d" -s 1 -m none -V 5 \
        -- "$BUILD/afl/$t" >"$d.log" 2>&1
    rc=$?
    mu=$(ls "$d/default/queue" 2>/dev/null | grep -c ',mu-')
    kinds=$(ls "$d/default/queue" 2>/dev/null | grep -o ',mu-[a-z]*' | sort -u | sed 's/,mu-//' | paste -sd, -)
    if [ $rc -eq 0 ] && grep -q "Loading custom mutator library from '$so'" "$d.log" && [ "$mu" -gt 0 ]; then
        pass "afl/$t -V 5 loads $(basename "$so"): $mu queue entries from it ($kinds)"
    else
        fail "afl/$t - rc $rc, library loaded: $(grep -c 'Loading custom mutator' "$d.log"), queue entries from it: $mu"
    fi
done
