#!/usr/bin/env bash
# Suite: the qemu bitmap backend (issue 5), QEMU's own util/bitmap.c and
# util/bitops.c behind sut/bitmap.h, and the gate on findings in that code.
#   1 tree      QEMU_SRC, else the cached Debian tree, else `./build.sh
#               qemu-src` is run here; no source at all: one SKIP line
#   2 build     make all with the tree (libbm-qemu.a for every config, the
#               bitmap-qemu fuzz targets, the stress binaries on qemu)
#   3 diff      bm_diff (qemu vs model + builtin) under gcc, clang, ASan;
#               edge outcomes compared with the builtin control
#   4 races     bm_race reproducers under TSan, qemu and builtin (controls)
#   5 sut       the SUT's unit tests linked with libbm-qemu.a (gcc, ASan) and
#               the stress workloads on it under TSan (bitmap fixed and v8,
#               llsc fixed, hotplug fixed)
#   6 fuzz      every targets/LIST row with backend qemu (bitmap-qemu,
#               llsc-v6-qemu, llsc-v8-qemu, llsc-fixed-qemu): replay of the
#               seeds, libFuzzer, AFL++ (what the builtin twin fails too is
#               the SUT's, not QEMU's)
#   7 override  QEMU_SRC=<a copy with a local patch> is picked up
#   8 findings  every finding seen above against ci/qemu-findings.txt:
#               known -> PASS, new -> FAIL; a finding recorded on this very
#               version that its reproducer no longer shows -> FAIL
# Logs: build/test-logs/50-qemu/. Budget: < 3 min once the source is cached.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/qemu.sh"
logs=$BUILD/test-logs/50-qemu
rm -rf "$logs"
mkdir -p "$logs"
rel() { echo "${1#"$ROOT"/}"; }

# ---- 1. the tree -----------------------------------------------------------
start=$SECONDS
if [ -n "${QEMU_SRC:-}" ]; then
    tree=$(qemu_src) || { fail "qemu-src - QEMU_SRC=$QEMU_SRC is not a QEMU source tree"; exit 0; }
elif ! tree=$(qemu_src 2>/dev/null); then
    if bash "$ROOT/ci/cmd-qemu-src.sh" >"$logs/qemu-src.log" 2>&1 && tree=$(qemu_src); then
        echo "fetched the QEMU source package in $((SECONDS - start))s"
    else
        skip "qemu - no QEMU source: ./build.sh qemu-src failed ($(tail -n1 "$logs/qemu-src.log")); set QEMU_SRC to a QEMU tree to run these checks"
        exit 0
    fi
fi
version=$(qemu_version "$tree")
vid=$(qemu_version_id "$tree")
echo "qemu tree: $tree"
echo "qemu version: $version (id $vid)"
export QEMU_SRC=$tree

# ---- 2. build --------------------------------------------------------------
if ! build_all >"$logs/build.log" 2>&1; then
    tail -n 30 "$logs/build.log"
    fail "qemu-build - make all with QEMU_SRC=$tree failed (log: $(rel "$logs/build.log"))"
    exit 0
fi
missing=()
for c in gcc clang asan tsan stress fuzz replay afl aflcmplog; do
    { [ -f "$BUILD/$c/libbm-qemu.a" ] && ! [ "$BUILD/qemu-src.tag" -nt "$BUILD/$c/libbm-qemu.a" ]; } ||
        missing+=("$c")
done
if [ ${#missing[@]} -eq 0 ] && grep -qF " $tree " "$BUILD/qemu-src.tag"; then
    pass "qemu-build - libbm-qemu.a for 9 configs from $tree ($version)"
else
    fail "qemu-build - libbm-qemu.a missing for: ${missing[*]:-} or build/qemu-src.tag is not for $tree"
fi

# Findings seen in this run: key -> where (first place it showed).
declare -A seen=()
see() { [ -n "${seen[$1]:-}" ] || seen[$1]=$2; }

# ---- 3. differential check -------------------------------------------------
qt() { echo "$BUILD/$1/qemu-tests/$2"; }
for cs in gcc:1 clang:2 asan:3; do
    c=${cs%%:*} s=${cs#*:}
    log=$logs/bm_diff-$c.log
    if "$(qt "$c" bm_diff)" --seed "$s" >"$log" 2>&1; then
        pass "qemu-diff-$c - QEMU's bitmap code agrees with the model and builtin: $(sed -n 's/.*agrees with model and builtin: //p' "$log")"
    else
        fail "qemu-diff-$c - $(grep -m1 -E 'MISMATCH|ERROR|runtime error' "$log" || tail -n1 "$log") (seed $s, log: $(rel "$log"))"
    fi
done
blog=$logs/bm_diff-builtin.log
if "$(qt gcc bm_diff-builtin)" --seed 1 >"$blog" 2>&1; then
    pass "qemu-diff-control - bm_diff on the builtin backend agrees too"
else
    fail "qemu-diff-control - bm_diff fails on the builtin backend (log: $(rel "$blog"))"
fi
while read -r _ name outcome; do
    name=${name%:}
    ref=$(sed -n "s/^EDGE $name: //p" "$blog")
    if [ "$outcome" = "$ref" ]; then
        pass "qemu-edge-$name - same outcome as builtin: $outcome"
    else
        echo "edge $name: qemu $outcome, builtin ${ref:-?}"
        see "$name=$outcome" "bm_diff edge $name (builtin: ${ref:-?})"
    fi
done < <(grep '^EDGE ' "$logs/bm_diff-gcc.log")

# ---- 4. race reproducers under TSan -----------------------------------------
race=$(qt tsan bm_race)
for s in $("$race" --list); do
    for be in qemu builtin; do
        bin=$race; [ $be = builtin ] && bin=$race-builtin
        log=$logs/bm_race-$be-$s.log
        "$bin" "$s" >"$log" 2>&1
        rc=$?
        keys=$(qemu_tsan_keys "$log")
        if [ $rc -ne 0 ] && [ $rc -ne 66 ]; then
            fail "qemu-race-$be-$s - exited $rc (log: $(rel "$log"))"
            continue
        fi
        if [ $be = qemu ]; then
            while read -r type sites; do
                [ -n "$type" ] || continue
                [ "$type" = data-race ] || sites="tsan:$type $sites"
                for k in $sites; do see "$k" "bm_race $s ($(rel "$log"))"; done
            done <<<"$keys"
            [ "$s" = atomic-only ] || continue
        fi
        case $be/$s in
            */atomic-only|builtin/set-atomic-vs-set-bit|builtin/test-clear-vs-set-bit)
                if [ -z "$keys" ]; then
                    pass "qemu-race-control-$be-$s - no report (negative control)"
                else
                    fail "qemu-race-control-$be-$s - TSan reported: $(echo "$keys" | head -n1) (log: $(rel "$log"))"
                fi ;;
            builtin/test-bit-vs-set-bit)
                if grep -q 'read:test_bit\|read:bm_test_bit\|other-read:bm_test_bit' <<<"$keys"; then
                    pass "qemu-race-control-builtin-$s - TSan reports the spec's plain test_bit load (positive control)"
                else
                    fail "qemu-race-control-builtin-$s - TSan did not report the plain test_bit load (log: $(rel "$log"))"
                fi ;;
        esac
    done
done

# ---- 5. the SUT's unit tests and the stress workloads on QEMU's code --------
for c in gcc asan; do
    for t in "$BUILD/$c"/sut-tests-qemu/test_*; do
        [ -x "$t" ] || { skip "qemu-sut-$c - no SUT unit tests built on qemu (mk/qemu.mk)"; continue; }
        n=$(basename "$t") log=$logs/sut-$c-$(basename "$t").log
        ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            "$t" >"$log" 2>&1
        rc=$?
        np=$(grep -c '^PASS: ' "$log") nf=$(grep -c '^FAIL: ' "$log")
        if [ $rc -eq 0 ] && [ "$nf" -eq 0 ] && [ "$np" -gt 0 ]; then
            pass "qemu-sut-$c-$n - $np SUT checks pass on QEMU's bitmap code"
        else
            grep '^FAIL: ' "$log" | sed "s#^FAIL: #FAIL: qemu-sut-$c-$n: #"
            [ "$nf" -gt 0 ] || fail "qemu-sut-$c-$n - exited $rc (log: $(rel "$log"))"
        fi
    done
done
# Under TSan, --stop-on none: every report goes to the findings check; the
# workload's own verdict must be SUCCESS. fixed must be race-free by design,
# so any report there is QEMU's (or new); v8 reads with test_bit (spec 2.4).
for wv in bitmap:fixed bitmap:v8 llsc:fixed hotplug:fixed; do
    w=${wv%%:*} v=${wv#*:}
    bin=$BUILD/tsan/stress-$w-qemu log=$logs/stress-$w-qemu-$v.log
    [ -x "$bin" ] || { skip "qemu-stress-$w-$v - $(rel "$bin") is not built (mk/stress.mk, mk/qemu.mk)"; continue; }
    timeout 120 "$bin" --variant "$v" --backend qemu --seconds 2 --seed 5 --stop-on none >"$log" 2>&1
    rc=$?
    verdict=$(grep "^stress $w: variant=" "$log" | tail -n1)
    if { [ $rc -ne 0 ] && [ $rc -ne 66 ]; } || [[ $verdict != *": SUCCESS" && $verdict != *"tsan"* ]]; then
        fail "qemu-stress-$w-$v - exit $rc: ${verdict:-no verdict} (log: $(rel "$log"))"
        continue
    fi
    n=0
    while read -r type sites; do
        [ -n "$type" ] || continue
        n=$((n + 1))
        [ "$type" = data-race ] || sites="tsan:$type $sites"
        for k in $sites; do see "$k" "stress-$w-qemu --variant $v --seed 5 ($(rel "$log"))"; done
    done < <(qemu_tsan_keys "$log")
    pass "qemu-stress-$w-$v - seed 5, 2 s: the workload's checks hold on QEMU's code; $n TSan report(s) go to the findings check"
done

# ---- 6. the fuzz targets on the qemu backend --------------------------------
# Rows of targets/LIST with backend qemu, each next to its builtin twin (same
# source, backend builtin). A failing input is a QEMU finding only if the
# twin runs it clean; one that fails on both is the SUT's or harness's (its
# own suites judge it) and is only listed here.
# classify T FILE: replay FILE on target T; prints the failure's key
# (abort() and UBSan with stacks), returns 1 if it replays clean.
classify() {
    local out=$logs/classify.log
    ASAN_OPTIONS=handle_abort=1:detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
        "$BUILD/replay/$1" "$2" >"$out" 2>&1 && return 1
    qemu_crash_key "$out"
}
# classify_all T TWIN WHAT FILE...: classifies each failing file, records
# the QEMU-specific keys and leaves a summary " key xN ..." in $CLS (no
# subshell: see() must record in this shell).
classify_all() {
    local t=$1 twin=$2 what=$3 f k
    shift 3
    declare -A n=()
    for f in "$@"; do
        [ -f "$f" ] || continue
        k=$(classify "$t" "$f") || continue
        if [ -n "$twin" ] && classify "$twin" "$f" >/dev/null; then
            k="shared-with-builtin:$k"
        else
            see "$k" "$what $(rel "$f")"
        fi
        n[$k]=$((${n[$k]:-0} + 1))
    done
    CLS=""
    for k in "${!n[@]}"; do CLS="$CLS $k x${n[$k]}"; done
}
# The seeds of target T (its own corpus, else its twin's).
seeds_of() {
    local d
    for d in "$BUILD/corpus/$1/seeds" "$BUILD/corpus/$2/seeds"; do
        [ -d "$d" ] && { echo "$d"; return; }
    done
}
nq=0
while read -r t fam src be; do
    [ "$be" = qemu ] || continue
    nq=$((nq + 1))
    twin=$(awk -v s="$src" '!/^[ \t]*#/ && NF >= 4 && $3 == s && $4 == "builtin" {print $1; exit}' "$ROOT/targets/LIST")
    if [ ! -x "$BUILD/replay/$t" ] || [ ! -x "$BUILD/libfuzzer/$t" ] || [ ! -x "$BUILD/afl/$t" ]; then
        fail "qemu-fuzz-$t - not built by make all (mk/fuzz.mk; log: $(rel "$logs/build.log"))"
        continue
    fi
    [ -n "$twin" ] && [ -x "$BUILD/replay/$twin" ] || twin=""
    d=$logs/$t
    mkdir -p "$d/seeds" "$d/lf-corpus" "$d/lf-artifacts"
    seeds=$(seeds_of "$t" "$twin")
    # Replay: seeds and regressions; the clean ones seed the engines.
    np=0 nf=0 keys=""
    for f in ${seeds:+"$seeds"/*} "$BUILD/corpus/$t/regressions"/* ${twin:+"$BUILD/corpus/$twin/regressions"/*}; do
        [ -f "$f" ] || continue
        classify_all "$t" "$twin" replay "$f"
        if [ -n "$CLS" ]; then
            nf=$((nf + 1)) keys="$keys$CLS"
        else
            np=$((np + 1))
            cp "$f" "$d/seeds/"
        fi
    done
    if [ $((np + nf)) -eq 0 ]; then
        skip "qemu-replay-$t - no seeds (corpus/$t or corpus/$twin)"
    else
        pass "qemu-replay-$t - $np input(s) replay clean; $nf stop in a failure:${keys:- none}"
    fi
    [ -n "$(ls -A "$d/seeds")" ] || printf '\0\0' >"$d/seeds/empty"

    # libFuzzer: fork mode carries on past crashes; each one is classified.
    reaped "$BUILD/libfuzzer/$t" -seed=7 -fork=1 -ignore_crashes=1 -max_total_time=10 -timeout=10 \
        -artifact_prefix="$d/lf-artifacts/" "$d/lf-corpus" "$d/seeds" >"$d/libfuzzer.log" 2>&1
    rc=$?
    classify_all "$t" "$twin" "libFuzzer artifact" "$d"/lf-artifacts/*
    keys=$CLS
    stats=$(grep -E '^#[0-9]+: cov: ' "$d/libfuzzer.log" | tail -n1 | sed 's/ time:.*//; s/^#[0-9]*: //')
    if [ $rc -eq 0 ] || { [ -n "$keys" ] && grep -q 'INFO: exiting: ' "$d/libfuzzer.log"; }; then
        pass "qemu-libfuzzer-$t - 10 s in fork mode, seed 7 (${stats:-no stats}); failures:${keys:- none}"
    else
        fail "qemu-libfuzzer-$t - exited $rc without artifacts (log: $(rel "$d/libfuzzer.log"))"
    fi

    # AFL++ with CMPLOG, from the seeds that replay clean.
    reaped env -u ASAN_OPTIONS -u UBSAN_OPTIONS \
    AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
    AFL_FAST_CAL=1 AFL_CMPLOG_ONLY_NEW=1 AFL_QUIET=1 \
        timeout 60 afl-fuzz -i "$d/seeds" -o "$d/afl" -s 7 -m none -V 10 \
        -c "$BUILD/afl/$t.cmplog" -- "$BUILD/afl/$t" >"$d/afl.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && [ -f "$d/afl/default/fuzzer_stats" ]; then
        execs=$(awk -F': *' '/^execs_done/ {print $2}' "$d/afl/default/fuzzer_stats")
        classify_all "$t" "$twin" "AFL++ crash" "$d"/afl/default/crashes/id*
        keys=$CLS
        pass "qemu-afl-$t - 10 s under AFL++ with CMPLOG, seed 7 ($execs execs); failures:${keys:- none}"
    else
        fail "qemu-afl-$t - afl-fuzz exited $rc (log: $(rel "$d/afl.log"))"
    fi
done < <(grep -v '^[[:space:]]*#' "$ROOT/targets/LIST" | awk 'NF >= 4')
[ $nq -gt 0 ] || skip "qemu-fuzz - targets/LIST has no row with backend qemu (bitmap-qemu, llsc-fixed-qemu)"

# ---- 7. another tree through QEMU_SRC --------------------------------------
ov=$BUILD/qemu-override
rm -rf "$ov"
mkdir -p "$ov/tree/util"
cp "$tree"/util/bitmap.c "$tree"/util/bitops.c "$ov/tree/util/"
cp -r "$tree/include" "$ov/tree/"
[ -f "$tree/VERSION" ] && cp "$tree/VERSION" "$ov/tree/"
# The local patch: find_next_bit reports one bit too far when it finds one.
sed -i '0,/return result + ctzl(tmp);/s//return result + ctzl(tmp) + 1;/' "$ov/tree/util/bitops.c"
if ! grep -q 'ctzl(tmp) + 1;' "$ov/tree/util/bitops.c"; then
    skip "qemu-override - no patch point (find_next_bit's 'return result + ctzl(tmp);') in this tree"
elif ! QEMU_SRC=$ov/tree make -C "$ROOT" -s --no-print-directory -j"$JOBS" BUILD="$(rel "$ov/build")" \
        "$(rel "$ov/build")/gcc/qemu-tests/bm_diff" >"$logs/override-build.log" 2>&1; then
    fail "qemu-override - build with QEMU_SRC=$(rel "$ov/tree") failed (log: $(rel "$logs/override-build.log"))"
else
    "$ov/build/gcc/qemu-tests/bm_diff" --seed 1 --no-edges >"$logs/override-diff.log" 2>&1
    rc=$?
    t_main=$(cut -d' ' -f1 "$BUILD/qemu-src.tag") t_ov=$(cut -d' ' -f1 "$ov/build/qemu-src.tag")
    if [ $rc -eq 1 ] && grep -q 'MISMATCH .*find_next_bit' "$logs/override-diff.log" && [ "$t_main" != "$t_ov" ]; then
        pass "qemu-override - QEMU_SRC=<patched copy> is built (objects qemu-$t_ov, not qemu-$t_main) and the differential check catches the patch: $(grep -m1 MISMATCH "$logs/override-diff.log" | cut -c1-120)"
    else
        fail "qemu-override - bm_diff on the patched tree exited $rc without a find_next_bit mismatch (log: $(rel "$logs/override-diff.log"))"
    fi
fi
rm -rf "$ov"

# ---- 8. findings against ci/qemu-findings.txt -------------------------------
# judge FILE: one PASS/FAIL line per finding seen (known or new) and per
# recorded finding not seen (absent on another version, lost on its own).
judge() {
    local id kind key repro on k hit
    declare -A known_id=()
    while IFS='|' read -r id kind key repro on; do
        IFS=',' read -ra ks <<<"$key"
        for k in "${ks[@]}"; do known_id[$(echo "$k" | xargs)]=$id; done
    done < <(qemu_findings "$1")
    for k in $(printf '%s\n' "${!seen[@]}" | sort); do
        if [ -n "${known_id[$k]:-}" ]; then
            pass "qemu-finding-known - ${known_id[$k]} ($k) on $vid: ${seen[$k]}"
        else
            fail "qemu-finding-new - $k on QEMU $vid: ${seen[$k]}; explain it in the README and add it to ci/qemu-findings.txt"
        fi
    done
    while IFS='|' read -r id kind key repro on; do
        hit=""
        IFS=',' read -ra ks <<<"$key"
        for k in "${ks[@]}"; do [ -n "${seen[$(echo "$k" | xargs)]:-}" ] && hit=1; done
        [ -n "$hit" ] && continue
        if [[ ",$(echo "$on" | tr -d ' ')," == *",$vid,"* ]]; then
            fail "qemu-finding-lost - $id is recorded on $vid but its reproducer ($repro) no longer shows it"
        else
            pass "qemu-finding-absent - $id (recorded on $on) does not show on $vid"
        fi
    done < <(qemu_findings "$1")
}
# The judge itself, on doctored copies of the file: a finding missing from
# the file must be new, one recorded on this version but not seen must be lost.
if [ ${#seen[@]} -gt 0 ]; then
    first=$(printf '%s\n' "${!seen[@]}" | sort | head -n1)
    grep -vF " $first " "$ROOT/ci/qemu-findings.txt" | grep -vF " $first," >"$logs/findings-minus.txt"
    printf 'fake-finding | tsan | write:no_such_function | none | %s\n' "$vid" \
        | cat "$ROOT/ci/qemu-findings.txt" - >"$logs/findings-plus.txt"
    # Capture before matching: `judge | grep -q` under pipefail fails whenever
    # grep exits first and the judge dies of SIGPIPE (a timing-dependent flake).
    minus=$(judge "$logs/findings-minus.txt") plus=$(judge "$logs/findings-plus.txt")
    if grep -q "^FAIL: qemu-finding-new - $first " <<<"$minus" &&
       grep -q '^FAIL: qemu-finding-lost - fake-finding ' <<<"$plus"; then
        pass "qemu-finding-judge - an unlisted finding fails as new, a listed one that vanished on its version fails as lost"
    else
        fail "qemu-finding-judge - the findings check does not fail on doctored expectations ($(rel "$logs")/findings-*.txt)"
    fi
fi
judge "$ROOT/ci/qemu-findings.txt"
echo "qemu suite: $((SECONDS - start))s"
