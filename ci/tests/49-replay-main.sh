#!/usr/bin/env bash
# harness/replay_main.c, linked (replay flags) with a probe target whose
# behaviour the first input byte picks: 'H' hangs, 'F' reports a violation
# with memory still allocated, 'L' leaks, 'U' hits undefined behaviour,
# anything else passes. Checks: each path printed before it runs, PASS after
# it; directories run in name order; a timeout is a failure (exit 1, FAIL
# timeout line); a violation exits 1 at once with its verdict line and no
# leak report; a leak or UB in a passing run still fails (sanitizers on).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

var() { make -C "$ROOT" -s --no-print-directory --eval 'print-%: ; @echo $($*)' "print-$1" 2>/dev/null | tail -n1; }
cat >"$tmp/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "report.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static volatile unsigned long spin;
void *volatile probe_keep;
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(64);
    int big = 0x7fffffff;
    if (size > 0 && data[0] == 'H') {
        for (;;) {
            spin++;
        }
    }
    if (size > 0 && data[0] == 'F') {
        hx_violation("probe-property", 3, "probe saw '%c' (%zu bytes)", data[0], size);
    }
    if (size > 0 && data[0] == 'U') {
        big += (int)size; /* signed overflow */
        probe_keep = &big;
    }
    if (size > 0 && data[0] == 'L') {
        for (int i = 0; i < 64; i++) {
            probe_keep = malloc(32 + (size_t)i); /* all but the last leak */
        }
    }
    free(p);
    return 0;
}
EOF
if ! $(var CC_replay) $(var WARN) $(var CFLAGS_replay) -I"$ROOT/harness" "$tmp/probe.c" \
        "$ROOT/harness/replay_main.c" "$ROOT/harness/report.c" -o "$tmp/probe" 2>"$tmp/cc.log"; then
    fail "replay main - probe does not build: $(head -n3 "$tmp/cc.log" | tr '\n' '|')"; exit 0
fi
mkdir -p "$tmp/dir"
printf 'b' >"$tmp/dir/2-b"; printf 'a' >"$tmp/dir/1-a"; printf 'c' >"$tmp/dir/3-c"
printf 'H' >"$tmp/hang"; printf 'F!' >"$tmp/fail"; printf 'L' >"$tmp/leak"; printf 'U' >"$tmp/ub"

run() { rc=0; "$tmp/probe" "$@" >"$tmp/out" 2>&1 || rc=$?; }
check() { if eval "$2"; then pass "replay main: $1"; else fail "replay main: $1 - rc=$rc: $(head -n8 "$tmp/out" | tr '\n' '|')"; fi; }

run "$tmp/dir"
check "a directory runs in name order, path before each, PASS after each, exit 0" \
    '[ $rc -eq 0 ] && [ "$(tr "\n" " " <"$tmp/out")" = "Running: $tmp/dir/1-a PASS Running: $tmp/dir/2-b PASS Running: $tmp/dir/3-c PASS " ]'

run "$tmp/dir/1-a" "$tmp/fail" "$tmp/dir/2-b"
check "a violation: its verdict line, exit 1 at once, nothing after it, no leak report" \
    '[ $rc -eq 1 ] && grep -qx "FAIL probe-property: op 3: probe saw .F. (2 bytes)" "$tmp/out" && [ "$(tail -n1 "$tmp/out")" = "FAIL probe-property: op 3: probe saw '"'F'"' (2 bytes)" ] && ! grep -q "2-b\|LeakSanitizer" "$tmp/out"'
check "the path is printed before the input that fails" '[ "$(grep -n "Running: $tmp/fail" "$tmp/out" | cut -d: -f1)" -eq 3 ]'

start=$SECONDS
run -timeout=1 "$tmp/hang" "$tmp/dir/1-a"
check "a timeout is a failure: FAIL timeout line, exit 1" \
    '[ $rc -eq 1 ] && grep -q "^FAIL timeout: $tmp/hang ran longer than 1 s" "$tmp/out" && ! grep -q "1-a" "$tmp/out" && [ $((SECONDS - start)) -lt 10 ]'

run "$tmp/leak"
check "a leak in a passing input still fails (LeakSanitizer)" '[ $rc -ne 0 ] && grep -q "LeakSanitizer" "$tmp/out"'
run "$tmp/ub"
check "undefined behaviour fails (UBSan, no recovery)" '[ $rc -ne 0 ] && grep -q "runtime error: signed integer overflow" "$tmp/out"'
