#!/usr/bin/env bash
# 65-oss-fuzz.sh - the OSS-Fuzz / ClusterFuzzLite build contract (issue 12),
# without Docker: each project Dockerfile (oss-fuzz/, .clusterfuzzlite/) is
# played by ci/tests/lib/dockerfile_sim.py (it lays out $SRC as the image
# would, QEMU's tree standing in for the fetch), then the image's build.sh
# runs in its WORKDIR with the environment OSS-Fuzz's `compile` gives, three
# ways: libFuzzer + ASan, libFuzzer + UBSan, AFL++ (afl-clang-fast, its
# libAFLDriver.a) + ASan. Each time $OUT must hold, for every target, the
# binary, <t>_seed_corpus.zip (the project's compiled seeds), <t>.dict and
# <t>.options; each binary runs its seed corpus clean; the binaries carry the
# sanitizer and engine asked for and no other. Then: ClusterFuzzLite's build
# (the targets that must never fail), the image without QEMU's source, bad
# environments, and the example workflow (ci/templates/github-fuzz.yml)
# against all this. Budget: about 2 minutes on 2 cores (three builds).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/ci/lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
. "$ROOT/ci/qemu.sh"
cd "$ROOT"
T=$BUILD/test-logs/65-oss-fuzz
rm -rf "$T"
mkdir -p "$T"
SIM="python3 $ROOT/ci/tests/lib/dockerfile_sim.py"
qtree=$(qemu_src 2>/dev/null) || qtree=
VARS=(CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE OUT SRC WORK SANITIZER)

# The environments of OSS-Fuzz's compile (infra/base-images/base-builder),
# less -stdlib=libc++ (no libc++ here; nothing of ours is C++).
COMMON="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
ASAN="-fsanitize=address -fsanitize-address-use-after-scope"
UB_CHECKS=array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr
UBSAN="-fsanitize=$UB_CHECKS,unsigned-integer-overflow -fno-sanitize-recover=$UB_CHECKS"
AFL_DRIVER=/usr/lib/afl/libAFLDriver.a
env_asan=(CC=clang CXX=clang++ "CFLAGS=$COMMON $ASAN -fsanitize=fuzzer-no-link"
          "CXXFLAGS=$COMMON $ASAN -fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer
          SANITIZER=address FUZZING_ENGINE=libfuzzer ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c)
env_ubsan=(CC=clang CXX=clang++ "CFLAGS=$COMMON $UBSAN -fsanitize=fuzzer-no-link"
           "CXXFLAGS=$COMMON $UBSAN -fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer
           SANITIZER=undefined FUZZING_ENGINE=libfuzzer ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c)
env_afl=(CC=afl-clang-fast CXX=afl-clang-fast++ "CFLAGS=$COMMON $ASAN" "CXXFLAGS=$COMMON $ASAN"
         LIB_FUZZING_ENGINE=$AFL_DRIVER SANITIZER=address FUZZING_ENGINE=afl ARCHITECTURE=x86_64
         FUZZING_LANGUAGE=c)
# What ClusterFuzz sets when it runs the binaries.
RUN_ENV=(ASAN_OPTIONS=detect_leaks=1:symbolize=0
         UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:silence_unsigned_overflow=1)

# simulate NAME PROJECTDIR QEMU(yes|no) WORK ENV...: plays PROJECTDIR's
# Dockerfile into $T/NAME/src, runs its build.sh there (bash -eux, as compile
# does) with ENV, SRC, OUT=$T/NAME/out and WORK; stdout in $T/NAME/out.log.
simulate() {
    local name=$1 pdir=$2 qemu=() work=$4 s=$T/$1 ctx=$ROOT wd rc
    [ "$3" = yes ] && [ -n "$qtree" ] && qemu=(--qemu "$qtree")
    shift 4
    mkdir -p "$s/out" "$work"
    [ "$pdir" = oss-fuzz ] && ctx=$ROOT/oss-fuzz
    if ! wd=$($SIM "$ROOT/$pdir/Dockerfile" --context "$ctx" --src "$s/src" --project "$ROOT" \
              "${qemu[@]}" 2>"$s/docker.err"); then
        fail "$name: $pdir/Dockerfile cannot be played here: $(head -n 3 "$s/docker.err" | tr '\n' ' ')"
        return 1
    fi
    (cd "$wd" && env -i PATH="$PATH" HOME="${HOME:-/root}" LLSC_TAGS="${LLSC_TAGS:-}" JOBS="$JOBS" \
        SRC="$s/src" OUT="$s/out" WORK="$work" "$@" nice -n 10 bash -eux "$s/src/build.sh") \
        >"$s/out.log" 2>"$s/err.log"
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "$name: $pdir/build.sh exit $rc: $(tail -n 5 "$s/err.log" | tr '\n' ' ' | cut -c1-300)"
        return 1
    fi
    pass "$name: $pdir/Dockerfile played, its build.sh ran in $wd"
}

# echoed NAME WORK ENV...: the contract echoes its variables first, in order.
echoed() {
    local name=$1 s=$T/$1 work=$2 want="" v e kv
    shift 2
    for v in "${VARS[@]}"; do
        e=""
        for kv in "$@" "SRC=$s/src" "OUT=$s/out" "WORK=$work"; do
            [[ $kv == "$v="* ]] && e=$kv
        done
        want+="${e:-$v (not set)}"$'\n'
    done
    if [ "$(head -n ${#VARS[@]} "$s/out.log")"$'\n' = "$want" ]; then
        pass "$name: the build echoes ${VARS[*]} first"
    else
        fail "$name: the first lines are not the variables: $(head -n 3 "$s/out.log" | tr '\n' '|')"
    fi
}

# check_out NAME SANITIZER ENGINE TARGET...: $OUT holds exactly these
# targets with their files; each runs its seed corpus clean; symbols.
check_out() {
    local name=$1 san=$2 eng=$3 s=$T/$1 out=$T/$1/out t o fam n bad rc log nseed
    shift 3
    local got want
    got=$(find "$out" -maxdepth 1 -type f -perm -u+x -printf '%f\n' | sort | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    if [ "$got" = "$want" ]; then
        pass "$name: \$OUT holds the binaries of exactly: $want"
    else
        fail "$name: \$OUT binaries: '$got', want '$want'"
    fi
    for t in "$@"; do
        o=$(corpus_owner "$t") fam=$(target_family "$t") bad=""
        [ -x "$out/$t" ] || bad+=" no binary;"
        cmp -s "$out/$t.dict" "$ROOT/corpus/$fam.dict" || bad+=" $t.dict is not corpus/$fam.dict;"
        grep -qx '\[libfuzzer\]' "$out/$t.options" 2>/dev/null && grep -q '^max_len = [0-9]' "$out/$t.options" ||
            bad+=" $t.options lacks [libfuzzer] max_len;"
        # The zip holds the project's own compiled seeds, byte for byte.
        rm -rf "$s/seeds/$t"
        mkdir -p "$s/seeds/$t"
        if ! python3 -m zipfile -e "$out/${t}_seed_corpus.zip" "$s/seeds/$t" 2>/dev/null; then
            bad+=" ${t}_seed_corpus.zip is not a zip;"
        else
            nseed=0
            for f in "$ROOT"/corpus/"$o"/*.txt; do
                n=$(basename "$f" .txt)
                nseed=$((nseed + 1))
                cmp -s "$s/seeds/$t/$n.bin" "$BUILD/corpus/$o/seeds/$n.bin" || bad+=" seed $n.bin differs from build/corpus/$o/seeds/;"
            done
            [ "$(ls "$s/seeds/$t" | wc -l)" -eq "$nseed" ] && [ "$nseed" -gt 0 ] ||
                bad+=" the zip has $(ls "$s/seeds/$t" | wc -l) files, corpus/$o $nseed seeds;"
        fi
        if [ -z "$bad" ]; then
            pass "$name: $t: binary, ${t}_seed_corpus.zip ($nseed seeds of corpus/$o), $t.dict, $t.options"
        else
            fail "$name: $t:$bad"
            continue
        fi
        # Every seed runs through the engine's own driver, and passes.
        log=$s/run-$t.log
        env "${RUN_ENV[@]}" timeout 120 "$out/$t" "$s/seeds/$t"/*.bin >"$log" 2>&1
        rc=$?
        case $eng in
            libfuzzer) n=$(grep -c '^Executed .* in [0-9]* ms$' "$log") ;;
            afl) n=$(grep -c '^Execution successful' "$log") ;;
        esac
        if [ $rc -eq 0 ] && [ "$n" -eq "$nseed" ] && ! grep -qE '^FAIL |ERROR: |runtime error: ' "$log"; then
            pass "$name: $t runs its $nseed seeds clean ($eng driver)"
        else
            fail "$name: $t on its seed corpus: exit $rc, $n of $nseed run: $(grep -m1 -E '^FAIL |ERROR: |runtime error: ' "$log" | cut -c1-200)"
        fi
    done
    # The sanitizer and engine asked for, and nothing the contract added.
    local syms allok=1
    for t in "$@"; do
        syms=$(nm "$out/$t" 2>/dev/null)
        bad=""
        case $san in
            address) grep -q ' __asan_init$' <<<"$syms" || bad+=" no ASan;" ;;
            undefined) grep -q ' __asan_init$' <<<"$syms" && bad+=" ASan, which the environment did not ask for;"
                       grep -q ' __ubsan_handle_' <<<"$syms" || bad+=" no UBSan;" ;;
        esac
        case $eng in
            libfuzzer) grep -q ' _ZN6fuzzer' <<<"$syms" || bad+=" no libFuzzer;"
                       grep -q ' __afl_area_ptr$' <<<"$syms" && bad+=" AFL++ instrumentation;" ;;
            afl) grep -q ' __afl_area_ptr$' <<<"$syms" || bad+=" no AFL++ instrumentation;"
                 grep -q ' _ZN6fuzzer' <<<"$syms" && bad+=" libFuzzer linked in;" ;;
        esac
        # ClusterFuzz runs the binaries in base-runner, which has no glib.
        readelf -d "$out/$t" | grep -q 'NEEDED.*libglib' && bad+=" needs libglib at run time;"
        [ -z "$bad" ] || { fail "$name: $t:$bad"; allok=0; }
    done
    [ $allok = 0 ] || pass "$name: every binary has $san and $eng, no other sanitizer or engine, no shared glib"
}

all_targets=()
mapfile -t all_targets < <(targets)
bi_targets=() q_targets=()
for t in "${all_targets[@]}"; do
    if [ "$(target_backend "$t")" = qemu ]; then q_targets+=("$t"); else bi_targets+=("$t"); fi
done
if [ -n "$qtree" ]; then full=("${all_targets[@]}"); else full=("${bi_targets[@]}"); fi
[ -n "$qtree" ] || skip "the -qemu targets: no QEMU source tree here (./build.sh qemu-src), only the image without it is played"

# ---- the three builds --------------------------------------------------------
t0=$SECONDS
simulate asan oss-fuzz yes "$T/asan/work" "${env_asan[@]}" &&
    { echoed asan "$T/asan/work" "${env_asan[@]}"; check_out asan address libfuzzer "${full[@]}"; }
simulate ubsan oss-fuzz yes "$T/ubsan/work" "${env_ubsan[@]}" &&
    { echoed ubsan "$T/ubsan/work" "${env_ubsan[@]}"; check_out ubsan undefined libfuzzer "${full[@]}"; }
if [ -f "$AFL_DRIVER" ] && command -v afl-clang-fast >/dev/null; then
    simulate afl oss-fuzz yes "$T/afl/work" "${env_afl[@]}" &&
        { echoed afl "$T/afl/work" "${env_afl[@]}"; check_out afl address afl "${full[@]}"; }
else
    fail "afl: AFL++ or its driver $AFL_DRIVER is missing (package afl++)"
fi
echo "three builds: $((SECONDS - t0)) s"

# A seed run can fail: a regression of llsc-v6 makes its binary report.
reg=corpus/llsc-v6/regressions/w10-clrex-noop.txt
if [ -x "$T/asan/out/llsc-v6" ]; then
    "$T/asan/work/llsc-harness/tools/optext" --family llsc from-text "$reg" "$T/w10.bin" &&
        env "${RUN_ENV[@]}" "$T/asan/out/llsc-v6" "$T/w10.bin" >"$T/w10.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ] && grep -q '^FAIL ' "$T/w10.log"; then
        pass "negative control: \$OUT/llsc-v6 on $reg fails ($(grep -m1 '^FAIL ' "$T/w10.log" | cut -c1-60)...)"
    else
        fail "negative control: \$OUT/llsc-v6 on $reg - exit $rc, no FAIL line"
    fi
fi

# ---- ClusterFuzzLite's image: only the targets that must never fail ------------
# (the gate's rule for fuzz rows that must stay clean, ci/cmd-gate.sh).
clean=()
for t in "${full[@]}"; do
    [[ $t == *-fixed || $t == *-fixed-* || $(target_family "$t") == bitmap ]] && clean+=("$t")
done
# Same environment as ubsan, and its WORK: nothing to compile again.
simulate cflite .clusterfuzzlite yes "$T/ubsan/work" "${env_ubsan[@]}" &&
    check_out cflite undefined libfuzzer "${clean[@]}"

# ---- the image without QEMU's source: the -qemu targets left out, one line ----
if simulate no-qemu oss-fuzz no "$T/ubsan/work" "${env_ubsan[@]}"; then
    n=$(grep -c "^build.sh: leaving out $(IFS=,; echo "${q_targets[*]}" | sed 's/,/, /g'): no QEMU source tree" "$T/no-qemu/out.log")
    if [ "$n" -eq 1 ] && [ "$(grep -c 'leaving out' "$T/no-qemu/out.log")" -eq 1 ]; then
        pass "no-qemu: one line says the -qemu targets are left out: $(grep 'leaving out' "$T/no-qemu/out.log" | cut -c1-120)"
    else
        fail "no-qemu: want one 'leaving out ${q_targets[*]}' line, got: $(grep 'leaving out' "$T/no-qemu/out.log" | tr '\n' '|')"
    fi
    check_out no-qemu undefined libfuzzer "${bi_targets[@]}"
fi

# ---- bad environments: one line on stderr, exit 2 ------------------------------
bad_env() {
    local what=$1 want=$2 rc err
    shift 2
    err=$(env -i PATH="$PATH" "$@" bash "$ROOT/build.sh" oss-fuzz 2>&1 >"$T/bad.out")
    rc=$?
    if [ $rc -eq 2 ] && [ "$(grep -c . <<<"$err")" -eq 1 ] && [ ! -s "$T/bad.out" ] && [[ $err == *"$want"* ]]; then
        pass "bad environment: $what -> exit 2: $err"
    else
        fail "bad environment: $what - exit $rc, stderr '$err', stdout $(head -c 80 "$T/bad.out")"
    fi
}
bad_env "no CC" "build.sh oss-fuzz: CC is not set" OUT="$T/bad" LIB_FUZZING_ENGINE=-fsanitize=fuzzer CXX=clang++
bad_env "no OUT" "build.sh oss-fuzz: OUT is not set" LIB_FUZZING_ENGINE=-fsanitize=fuzzer CC=clang CXX=clang++
bad_env "unknown target" "unknown target 'nope'" OUT="$T/bad" LIB_FUZZING_ENGINE=-fsanitize=fuzzer CC=clang \
    CXX=clang++ LLSC_FUZZ_TARGETS=llsc-fixed,nope
# Only plain ./build.sh becomes the contract, and only with both
# LIB_FUZZING_ENGINE and OUT (the build is up to date: this is quick).
out=$(env -i PATH="$PATH" LLSC_TAGS="${LLSC_TAGS:-}" OUT="$T/bad" bash "$ROOT/build.sh" 2>&1)
if [[ $out == *"build.sh: built everything under"* ]] && ! grep -q '^CC=' <<<"$out"; then
    pass "OUT alone: plain ./build.sh builds the project as usual"
else
    fail "OUT alone: plain ./build.sh did not build as usual: $(tail -n 2 <<<"$out" | tr '\n' '|')"
fi
out=$(env -i PATH="$PATH" OUT="$T/bad" LIB_FUZZING_ENGINE=-fsanitize=fuzzer CC=clang CXX=clang++ \
      bash "$ROOT/build.sh" targets 2>&1)
[ "$out" = "$(targets)" ] && pass "with the contract's variables set, ./build.sh targets is still that command" ||
    fail "./build.sh targets with the contract's variables: $(head -n 2 <<<"$out" | tr '\n' '|')"

# ---- the example workflow against the project files ----------------------------
wf=ci/templates/github-fuzz.yml
facts=$(python3 ci/tests/lib/workflow_scan.py "$wf")
job_if() { awk -v j="$1" '$1 == j && $2 == "if" { $1 = $2 = ""; print; exit }' <<<"$facts"; }
job_of() { awk -v k="$1" -v v="$2" '$2 == k && $3 == v { print $1 }' <<<"$facts" | sort -u; }
for ev in pull_request schedule; do
    grep -qx -- "- on $ev" <<<"$facts" && pass "workflow: runs on $ev" || fail "workflow: not run on $ev"
done
for m in code-change:pull_request batch:schedule; do
    j=$(job_of mode "${m%%:*}" | head -n1)
    if [ -n "$j" ] && [[ $(job_if "$j") == *"${m#*:}"* ]]; then
        pass "workflow: ClusterFuzzLite mode ${m%%:*} in job $j, on ${m#*:}"
    else
        fail "workflow: no ClusterFuzzLite ${m%%:*} job run on ${m#*:} (job '${j:-none}', if '$(job_if "$j")')"
    fi
done
cfl_lang=$(sed -n 's/^language: *//p' .clusterfuzzlite/project.yaml)
langs=$(awk '$2 == "language" { print $3 }' <<<"$facts" | sort -u)
[ "$langs" = "$cfl_lang" ] && pass "workflow: builds with language $cfl_lang, as .clusterfuzzlite/project.yaml" ||
    fail "workflow: languages '$langs', .clusterfuzzlite/project.yaml says '$cfl_lang'"
ossf_sans=$(awk '/^sanitizers:/ { on = 1; next } /^[^ ]/ { on = 0 } on && /- / { print $2 }' oss-fuzz/project.yaml | sort -u | tr '\n' ' ')
wf_sans=$(awk '$2 == "sanitizer" && $3 !~ /\$/ { print $3 }' <<<"$facts" | sort -u | tr '\n' ' ')
if [ -n "$wf_sans" ] && [ "$wf_sans" = "$ossf_sans" ] && [ "$wf_sans" = "address undefined " ]; then
    pass "workflow and oss-fuzz/project.yaml: sanitizers $wf_sans- the ones simulated here"
else
    fail "sanitizers: workflow '$wf_sans', oss-fuzz/project.yaml '$ossf_sans', simulated 'address undefined '"
fi
gj=$(awk '$2 == "run" && $3 == "./build.sh" && $4 == "gate" { print $1; exit }' <<<"$facts")
gcmd=$(awk -v j="$gj" '$1 == j && $2 == "run" && $3 == "./build.sh" && $4 == "gate" { $1 = $2 = $3 = $4 = ""; print; exit }' <<<"$facts" | sed 's/^ *//')
if [ -n "$gj" ] && bash ci/cmd-gate.sh $gcmd --help >/dev/null 2>"$T/gate-help.err"; then
    pass "workflow: job $gj runs ./build.sh gate $gcmd, options the gate accepts"
else
    fail "workflow: no gate job, or the gate refuses its options '$gcmd': $(cat "$T/gate-help.err")"
fi
gate_dir=${BUILD#"$ROOT"/}/gate
rp=$(awk -v j="$gj" '$1 == j && $2 == "report_paths" { print $3 }' <<<"$facts")
if [ "$rp" = "$gate_dir/junit.xml" ] && grep -qx "$gj path $gate_dir/gate.md" <<<"$facts"; then
    pass "workflow: job $gj publishes $rp and comments with $gate_dir/gate.md"
else
    fail "workflow: job $gj publishes '$rp' (want $gate_dir/junit.xml) and gate.md: $(grep "$gj path" <<<"$facts" | tr '\n' '|')"
fi
exit 0
