#!/usr/bin/env bash
# what: build, then run every test suite (ci/tests/*.sh); ends with "N passed, N failed"
# usage: ./build.sh test [PATTERN]   run only suites whose file name contains PATTERN
set -uo pipefail
. "$(dirname "$0")/lib.sh"
pattern=${1:-}
[ $# -le 1 ] || die "usage: ./build.sh test [PATTERN]"

bash "$ROOT/ci/deps.sh" test || exit 2
# Every process the suites start carries this tag (ci/campaign/procs.py):
# at the end, none may be left, running or stopped.
tag="test-$$-$RANDOM$RANDOM"
export LLSC_TAGS="${LLSC_TAGS:+$LLSC_TAGS }$tag"
# The qemu backend's rows build only with a QEMU tree: fetch Debian's source
# first unless the user points QEMU_SRC at one (ci/tests/50-qemu.sh says SKIP
# in one line if it cannot be had).
mkdir -p "$BUILD/test-logs"
[ -n "${QEMU_SRC:-}" ] || bash "$ROOT/ci/cmd-qemu-src.sh" >"$BUILD/test-logs/qemu-src.log" 2>&1 || true
if ! build_all >"$BUILD/test-logs/build.log" 2>&1; then
    tail -n 60 "$BUILD/test-logs/build.log" >&2
    echo "build failed (full log: $BUILD/test-logs/build.log)"
    echo "0 passed, 1 failed"
    exit 1
fi

passed=0 failed=0 skipped=0
mkdir -p "$BUILD/test-logs"
for suite in "$ROOT"/ci/tests/*.sh; do
    name=$(basename "$suite" .sh)
    [ -n "$pattern" ] && [[ $name != *"$pattern"* ]] && continue
    log="$BUILD/test-logs/$name.log"
    start=$SECONDS
    bash "$suite" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^PASS: ' "$log") f=$(grep -c '^FAIL: ' "$log") s=$(grep -c '^SKIP: ' "$log")
    # A suite that dies without reporting a failure still fails.
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL: $name exited $rc without reporting a failure" >>"$log"; f=1
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    printf '%-28s %4d passed %4d failed %4d skipped  %4ds\n' "$name" "$p" "$f" "$s" $((SECONDS - start))
    grep -E '^(FAIL|SKIP): ' "$log" | sed 's/^/    /'
    [ "$f" -gt 0 ] && { echo "    --- tail of $log"; tail -n 25 "$log" | sed 's/^/    | /'; }
done
# Nothing the suites started may outlive them (engines, their stopped
# persistent children, stress binaries, helpers).
if left=$(python3 "$ROOT/ci/campaign/procs.py" left "$tag"); then
    printf '%-28s %4d passed %4d failed %4d skipped\n' "no-leftover-processes" 1 0 0
    passed=$((passed + 1))
else
    printf '%-28s %4d passed %4d failed %4d skipped\n' "no-leftover-processes" 0 1 0
    echo "    FAIL: processes started by the tests are still alive:"
    printf '%s\n' "$left" | sed 's/^/    | /'
    python3 "$ROOT/ci/campaign/procs.py" kill "$tag"
    failed=$((failed + 1))
fi
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
