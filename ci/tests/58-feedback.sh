#!/usr/bin/env bash
# State feedback (harness/feedback.h): the unit test (specific programs light
# specific features, the same program the same counters, LLSC_FEEDBACK=0
# nothing) under gcc and ASan+UBSan; every built libFuzzer binary of the llsc
# family carries the __libfuzzer_extra_counters section and every AFL++ one
# registers the feature guards (feedback lights entries past the edges of
# AFL++'s map on a seed, and none with LLSC_FEEDBACK=0).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for cfg in gcc replay; do
    bin="$BUILD/$cfg/harness-tests/test_feedback"
    if [ ! -x "$bin" ]; then
        fail "$cfg/test_feedback - not built ($bin)"; continue
    fi
    out=$("$bin" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^(PASS|FAIL): ' | sed "s/^\(PASS\|FAIL\): /\1: $cfg: /"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' <<<"$out"; then
        fail "$cfg/test_feedback exited $rc: $(printf '%s\n' "$out" | tail -n 3 | tr '\n' ' ')"
    fi
done

for t in $(targets); do
    [ "$(target_family "$t")" = llsc ] || continue
    [ -z "$(target_missing "$t")" ] || continue
    lf="$BUILD/libfuzzer/$t"
    # Whole output first: grep -q stops reading early, and readelf's SIGPIPE
    # would fail the pipeline under pipefail.
    sections=$(readelf -SW "$lf" 2>/dev/null)
    if grep -q ' __libfuzzer_extra_counters ' <<<"$sections"; then
        pass "$t: libFuzzer binary has the __libfuzzer_extra_counters section"
    else
        fail "$t: libFuzzer binary $lf has no __libfuzzer_extra_counters section"
    fi
done

# AFL++: the features take map indices after the edges (fb_guard); a seed
# that does LL/SC lights some with feedback and none without.
t=llsc-fixed
afl="$BUILD/afl/$t" seed=$(ls "$BUILD/corpus/$t/seeds/"*.bin 2>/dev/null | head -n1)
if [ ! -x "$afl" ] || [ -z "$seed" ] || ! command -v afl-showmap >/dev/null; then
    skip "$t: AFL++ feature map (no AFL++ build or afl-showmap)"
else
    edges=$(AFL_DEBUG=1 afl-showmap -q -o /dev/null -m none -- "$afl" - <"$seed" 2>&1 |
            sed -n 's/^Done __sanitizer_cov_trace_pc_guard_init: __afl_final_loc = //p' | head -n1)
    for fbk in 1 0; do
        LLSC_FEEDBACK=$fbk afl-showmap -q -o "$tmp/map$fbk" -m none -- "$afl" - <"$seed" >/dev/null 2>&1
        n[$fbk]=$(awk -F: -v e="${edges:-0}" '$1 + 0 > e' "$tmp/map$fbk" | wc -l)
    done
    if [ -n "$edges" ] && [ "${n[1]}" -gt 0 ] && [ "${n[0]}" -eq 0 ]; then
        pass "$t: AFL++ map: $(basename "$seed") lights ${n[1]} feature entries past the $edges edges (0 with LLSC_FEEDBACK=0)"
    else
        fail "$t: AFL++ map: edges=${edges:-?}, feature entries ${n[1]} with feedback, ${n[0]} without"
    fi
fi
