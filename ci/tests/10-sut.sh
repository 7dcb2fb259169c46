#!/usr/bin/env bash
# The systems under test: positive behaviours, every weakness trigger, RAM and
# bitmap layers, bad input - built with gcc, clang, ASan+UBSan and TSan.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:exitcode=66
for cfg in gcc clang asan tsan; do
    for t in "$BUILD/$cfg"/sut-tests/test_*; do
        [ -x "$t" ] || { fail "sut-tests/$cfg - no test binaries built"; continue; }
        out=$("$t" 2>&1); rc=$?
        # Prefix each check with the build so the four runs stay distinct.
        printf '%s\n' "$out" | sed -E "s#^(PASS|FAIL): #\1: $cfg/#"
        if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' <<<"$out"; then
            fail "$cfg/$(basename "$t") - exited $rc (sanitizer report or crash above)"
        fi
    done
done
