#!/usr/bin/env bash
# ./build.sh fuzz: both engines run on a target with its seeds and dictionary
# from the given seed, print it, keep their state under build/findings/<t>/,
# exit 0 without a finding; on a broken bitmap backend both engines report
# a finding (exit 1) with its verdict and the repro/minimize commands, the
# finding file is there and reproduces, and the same seed finds it again.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
. "$ROOT/ci/tests/lib/bitmap-mutants.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROOT" || exit 1
export HX_NO_BUILD=1 ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=0}
t=bitmap-builtin

rc=0
./build.sh fuzz --target $t --runs 3000 --seed 5 >"$tmp/out" 2>&1 || rc=$?
if [ $rc -eq 0 ] && grep -q '^fuzz: target bitmap-builtin, engine libfuzzer, seed 5, 3000 runs$' "$tmp/out" &&
   grep -q '^fuzz: no findings$' "$tmp/out" && grep -q '^Done 3000 runs' "$tmp/out" &&
   [ -n "$(ls -d "$BUILD"/findings/$t/libfuzzer-*-s5 2>/dev/null)" ]; then
    pass "fuzz libfuzzer: 3000 runs from seed 5, no findings, corpus kept"
else
    fail "fuzz libfuzzer - exit $rc: $(grep '^fuzz:' "$tmp/out" | tr '\n' '|')"
fi

rc=0
./build.sh fuzz --target $t --engine afl --seconds 3 --seed 5 >"$tmp/out" 2>&1 || rc=$?
stats=$(ls -d "$BUILD"/findings/$t/afl-*-s5/default/fuzzer_stats 2>/dev/null | tail -n1)
if [ $rc -eq 0 ] && grep -q '^fuzz: no findings$' "$tmp/out" && [ -n "$stats" ] &&
   [ "$(awk '$1 == "execs_done" {print $3}' "$stats")" -gt 0 ]; then
    pass "fuzz afl: 3 s from seed 5, $(awk '$1 == "execs_done" {print $3}' "$stats") execs, no findings"
else
    fail "fuzz afl - exit $rc: $(grep -E '^fuzz:|PROGRAM ABORT|Location' "$tmp/out" | tr '\n' '|')"
fi

m=tac-fullword
if build_mutant $m libfuzzer >/dev/null && build_mutant $m replay >/dev/null &&
   build_mutant $m afl >/dev/null && build_mutant $m aflcmplog >/dev/null; then
    tree=$(mutant_build_dir $m)
    rm -rf "$tree/findings"
    for engine in libfuzzer afl; do
        rc=0
        if [ $engine = libfuzzer ]; then lim=(--runs 100000); else lim=(--seconds 60); fi
        BUILD="$tree" ./build.sh fuzz --target $t --engine $engine "${lim[@]}" --seed 3 >"$tmp/out" 2>&1 || rc=$?
        f=$(sed -n 's/^finding: //p' "$tmp/out" | head -n1)
        case $f in /*) ;; *) f="$ROOT/$f" ;; esac
        if [ $rc -eq 1 ] && grep -q '^  verdict: FAIL bitmap-' "$tmp/out" && [ -f "$f" ] &&
           grep -q '^  minimize:  ./build.sh minimize --target bitmap-builtin ' "$tmp/out"; then
            v=$(BUILD="$tree" ./build.sh repro --target $t "$f" 2>/dev/null | tail -n1)
            [[ $v == "FAIL bitmap-"* ]] && pass "fuzz $engine finds the broken backend ($m): ${v%%: op*}" ||
                fail "fuzz $engine finding does not reproduce: $v"
        else
            fail "fuzz $engine on the broken backend ($m) - exit $rc: $(grep -E '^(fuzz|finding|  verdict)' "$tmp/out" | tr '\n' '|')"
        fi
    done
    # the seed replays the session: same seed, same runs -> same finding
    a=$(BUILD="$tree" ./build.sh fuzz --target $t --runs 100000 --seed 11 2>&1 | grep '^finding: ')
    b=$(BUILD="$tree" ./build.sh fuzz --target $t --runs 100000 --seed 11 2>&1 | grep '^finding: ')
    [ -n "$a" ] && [ "$a" = "$b" ] && pass "fuzz libfuzzer: the same seed gives the same finding (${a##*/})" ||
        fail "fuzz libfuzzer: seed 11 gave '$a', then '$b'"
else
    fail "fuzz - broken backend does not build"
fi
