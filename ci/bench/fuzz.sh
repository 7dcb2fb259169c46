#!/usr/bin/env bash
# Fuzzing benchmark (run by ./build.sh bench after a full build):
#  1. executions per second, per target and engine:
#     libFuzzer (ASan+UBSan build): $BENCH_RUNS executions from a copy of the
#       seeds (-runs, -print_final_stats=1; at most $BENCH_LF_SECONDS s),
#       wall time including start-up; a run that stops at a violation is
#       followed by another with the next seed (the count of runs is shown:
#       for a target whose violations come within a few hundred executions
#       that figure is dominated by restarts, and the -fixed variant of the
#       same family is the one that measures the pipeline's throughput);
#     AFL++ (no sanitizer, persistent driver): afl-fuzz -V $BENCH_AFL_SECONDS,
#       execs_per_sec from fuzzer_stats.
#  2. time to the first violation of each weakness class the fuzzer can
#     reach, per engine setting (arm): ci/bench/ttf.py, whose docstring says
#     how (BENCH_ARMS, BENCH_SEEDS, BENCH_TTF_MAX, BENCH_JOBS, BENCH_TTF_MD).
# Knobs: BENCH_TARGETS (default: every built target), BENCH_RUNS=200000,
#        BENCH_LF_SECONDS=20, BENCH_AFL_SECONDS=10, BENCH_PARTS="1 2" (which
#        parts run). With the defaults part 2 takes arms x seeds x cap per
#        llsc target with regressions, over BENCH_JOBS cores (~23 min for
#        the three on 2 cores); lower the knobs for a quick look.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
runs=${BENCH_RUNS:-200000} lf_s=${BENCH_LF_SECONDS:-20} afl_s=${BENCH_AFL_SECONDS:-10}
parts=${BENCH_PARTS:-1 2}
export ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sel=()
for t in ${BENCH_TARGETS:-$(targets)}; do
    is_target "$t" || { echo "bench: unknown target $t" >&2; exit 2; }
    why=$(target_missing "$t")
    if [ -n "$why" ]; then echo "bench: skipping $t: $why"; continue; fi
    sel+=("$t")
done
[ ${#sel[@]} -gt 0 ] || { echo "bench: no target is built"; exit 0; }

seedcopy() {  # seedcopy TARGET -> fresh dir with the target's seeds
    local d
    d=$(mktemp -d "$tmp/c.XXXX")
    cp "$BUILD/corpus/$(corpus_owner "$1")/seeds"/* "$d"/ 2>/dev/null
    echo "$d"
}
dict_args() { local d="$ROOT/corpus/$(target_family "$1").dict"; [ -f "$d" ] && echo "-dict=$d"; }

if [[ " $parts " == *" 1 "* ]]; then
echo "== executions per second (libFuzzer: ASan+UBSan, -runs=$runs; AFL++: -V $afl_s s, no sanitizer)"
printf '%-18s %20s %12s\n' target libfuzzer afl++
for t in "${sel[@]}"; do
    # Runs until $runs executions or $lf_s s in all; a run that stops at a
    # violation is followed by another (next seed, fresh seed copy).
    done_units=0 spent=0 nrun=0
    while [ "$done_units" -lt "$runs" ] && [ "$(awk -v s="$spent" -v m="$lf_s" 'BEGIN {print (s < m)}')" = 1 ]; do
        nrun=$((nrun + 1))
        c=$(seedcopy "$t")
        t0=$(date +%s.%N)
        reaped "$BUILD/libfuzzer/$t" -seed="$nrun" -runs=$((runs - done_units)) -max_total_time="$lf_s" \
            -print_final_stats=1 $(dict_args "$t") -artifact_prefix="$c/" "$c" >"$tmp/lf.log" 2>&1
        t1=$(date +%s.%N)
        u=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$tmp/lf.log")
        [ -n "$u" ] || break
        done_units=$((done_units + u))
        spent=$(awk -v s="$spent" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", s + b - a}')
    done
    lf=$(awk -v u="$done_units" -v s="$spent" -v n="$nrun" \
         'BEGIN {if (s > 0) printf "%d%s", u / s, (n > 1 ? " (" n " runs)" : "")}')
    c=$(seedcopy "$t")
    reaped env -u ASAN_OPTIONS AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
        AFL_NO_AFFINITY=1 AFL_FAST_CAL=1 \
        afl-fuzz -i "$c" -o "$tmp/afl-$t" -s 1 -m none -V "$afl_s" -- "$BUILD/afl/$t" >"$tmp/afl.log" 2>&1
    afl=$(awk '$1 == "execs_per_sec" {printf "%d", $3}' "$tmp/afl-$t/default/fuzzer_stats" 2>/dev/null)
    printf '%-18s %20s %12s\n' "$t" "${lf:-?}" "${afl:-failed}"
done
echo
fi
[[ " $parts " == *" 2 "* ]] || exit 0
reaped python3 "$ROOT/ci/bench/ttf.py" "${sel[@]}"
