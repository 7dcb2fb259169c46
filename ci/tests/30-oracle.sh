#!/usr/bin/env bash
# The LL/SC oracle, codec, fixed-invariant and known-class unit tests (harness/tests), under gcc, clang and
# ASan+UBSan: every verdict rule of spec section 5 flagged on a handcrafted
# sequence and not flagged on a close negative one; the byte grammar and text
# codec round trip. The oracle must not include any sut/ header.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

if grep -nE '#include *"(sut|internal|bitmap)\.h"' "$ROOT/harness/oracle.c" "$ROOT/harness/oracle.h"; then
    fail "oracle independence - harness/oracle.[ch] include a sut/ header"
else
    pass "oracle independence - harness/oracle.[ch] include no sut/ header"
fi

for cfg in gcc clang asan; do
    for t in test_oracle test_llsc_codec test_invariant test_known; do
        bin="$BUILD/$cfg/harness-tests/$t"
        if [ ! -x "$bin" ]; then
            fail "$cfg/$t - not built ($bin)"; continue
        fi
        out=$("$bin" 2>&1); rc=$?
        if [ "$cfg" = gcc ]; then
            printf '%s\n' "$out" | grep -E '^(PASS|FAIL): '
        else
            # Other configs: one line each, failures in full.
            printf '%s\n' "$out" | grep -E '^FAIL: ' | sed "s/^FAIL: /FAIL: $cfg: /"
            n=$(printf '%s\n' "$out" | grep -c '^PASS: ')
            [ $rc -eq 0 ] && pass "$cfg/$t - $n checks"
        fi
        if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' <<<"$out"; then
            fail "$cfg/$t exited $rc: $(printf '%s\n' "$out" | tail -n 3 | tr '\n' ' ')"
        fi
    done
done
