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
#     reach: a class is (target, violated property), reachable when a
#     regression of the target records "# expect: FAIL <property>" (its
#     "W<n>" tags are listed, or its file name when it has none). libFuzzer -fork=1 -ignore_crashes=1 (one core)
#     runs from the seeds with seeds 1..$BENCH_SEEDS for at most
#     $BENCH_TTF_MAX s each; the first finding of each property is timed by
#     the finding file's modification time. Median over the seeds; a seed
#     that never finds the class counts as "> cap" (median shown as ">cap"
#     when that is the middle value). Each seed runs once per state
#     feedback mode (harness/feedback.h): LLSC_FEEDBACK=0 (edges only) and
#     1 (edges + state features), side by side in the table.
# Knobs: BENCH_TARGETS (default: every built target), BENCH_RUNS=200000,
#        BENCH_LF_SECONDS=20, BENCH_AFL_SECONDS=10, BENCH_SEEDS=5,
#        BENCH_TTF_MAX=60, BENCH_FEEDBACK="0 1" (the modes of part 2),
#        BENCH_PARTS="1 2" (which parts run). With the defaults a full run
#        takes about 30 s per target plus modes x seeds x cap per target
#        with regressions (~30 min for the llsc targets); lower the knobs
#        for a quick look.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
runs=${BENCH_RUNS:-200000} lf_s=${BENCH_LF_SECONDS:-20} afl_s=${BENCH_AFL_SECONDS:-10} nseeds=${BENCH_SEEDS:-5} cap=${BENCH_TTF_MAX:-60}
modes=${BENCH_FEEDBACK:-0 1} parts=${BENCH_PARTS:-1 2}
for m in $modes; do
    case $m in 0|1) ;; *) echo "bench: BENCH_FEEDBACK: '$m' is not 0 or 1" >&2; exit 2 ;; esac
done
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

echo "== time to first violation per weakness class (libFuzzer -fork=1, one core, seeds 1..$nseeds, cap $cap s; fb: LLSC_FEEDBACK)"
printf '%-14s %-24s %2s %6s %8s  %-34s %s\n' target property fb found median "per seed (s)" weaknesses
for t in "${sel[@]}"; do
    [ "$(corpus_owner "$t")" = "$t" ] || continue
    # reachable classes: property -> weakness tags of its regressions
    : >"$tmp/classes"
    for f in "$ROOT"/corpus/"$t"/regressions/*.txt; do
        [ -e "$f" ] || continue
        w=$(expect_of "$f")
        case $w in FAIL\ *) ;; *) continue ;; esac
        tags=$(grep -o 'W[0-9]\+[a-z]\?' "$f" | sort -u | tr '\n' ',')
        [ -n "$tags" ] || tags="$(basename "$f" .txt),"  # no W tag: name the regression
        echo "$(verdict_property "$w") $tags" >>"$tmp/classes"
    done
    [ -s "$tmp/classes" ] || continue
    : >"$tmp/times"
    # Modes alternate per seed, so that a change of load on a shared machine
    # falls on both alike.
    for s in $(seq 1 "$nseeds"); do
        for m in $modes; do
            c=$(seedcopy "$t") a=$(mktemp -d "$tmp/a.XXXX")
            start=$(date +%s.%N)
            LLSC_FEEDBACK=$m reaped "$BUILD/libfuzzer/$t" -seed="$s" -fork=1 -ignore_crashes=1 \
                -max_total_time="$cap" $(dict_args "$t") -artifact_prefix="$a/" "$c" >"$tmp/ttf.log" 2>&1
            find "$a" -maxdepth 1 -type f -name 'crash-*' -printf '%T@ %p\n' | sort -n |
            while read -r when f; do
                v=$(replay_verdict "$t" "$f" "$tmp/out") || true
                echo "$m $s $(verdict_property "$v") $(awk -v a="$when" -v b="$start" 'BEGIN {printf "%.1f", a - b}')"
            done >>"$tmp/times"
            rm -rf "$a" "$c"
        done
    done
    sort -u -k1,1 -k2,2 "$tmp/classes" | awk '{p[$1] = p[$1] $2} END {for (k in p) print k, p[k]}' | sort |
    while read -r prop tags; do
        tags=$(tr ',' '\n' <<<"$tags" | grep . | sort -u -V | paste -sd, -)
        for m in $modes; do
            per=() found=0
            for s in $(seq 1 "$nseeds"); do
                x=$(awk -v m="$m" -v s="$s" -v p="$prop" '$1 == m && $2 == s && $3 == p {print $4; exit}' "$tmp/times")
                if [ -n "$x" ]; then per+=("$x"); found=$((found + 1)); else per+=(">$cap"); fi
            done
            med=$(printf '%s\n' "${per[@]}" | sed "s/^>$cap\$/999999/" | sort -g |
                  awk -v c="$cap" '{a[NR] = $1} END {m = a[int((NR + 1) / 2)]; if (m == 999999) print ">" c; else print m}')
            printf '%-14s %-24s %2s %3d/%-2d %8s  %-34s %s\n' "$t" "$prop" "$m" "$found" "$nseeds" "$med" "${per[*]}" "${tags:--}"
        done
    done
done
