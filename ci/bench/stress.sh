#!/usr/bin/env bash
# stress.sh - benchmark of the stress binaries and the race gate's controls
# (run by ./build.sh bench; ~5-10 minutes on 2 cores).
#   1. Per positive control of ci/gate/expectations: detection rate over
#      BENCH_RUNS (20) runs of up to BENCH_BUDGET (10) seconds each, with
#      seeds BENCH_SEED+i, and the time to the first report (median and max
#      over the first 10 detections). Aim: reported within 10 s in at least
#      19 of 20 runs. A control that misses 5 runs in a row is not run further
#      (its rate says how many runs were made).
#   2. Throughput (ops/s over BENCH_TPUT_SECONDS) of every workload on fixed
#      and cmpxchg (the variants that run their whole budget: v6 and v8 stop
#      at their first lost update), with TSan (build/tsan) and without
#      (build/stress); llsc and hotplug with --mix none (the op mix before
#      issue 11) and --mix default side by side. BENCH_STRESS_PART=tput runs
#      only this part, =detect only the first.
# Prints two tables and writes them to build/bench/stress.md.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/ci/lib.sh"
. "$ROOT/ci/gate/lib.sh"

RUNS=${BENCH_RUNS:-20}
BUDGET=${BENCH_BUDGET:-10}
SEED=${BENCH_SEED:-1000}
TPUT_SECS=${BENCH_TPUT_SECONDS:-3}
OUT=$BUILD/bench
LOGS=$OUT/stress-logs
mkdir -p "$LOGS"

# The binaries of every control (gate_goals: those on the qemu backend only
# when a QEMU tree is there; without one their rows are left out below).
goals=()
for c in tsan stress; do for w in bitmap llsc hotplug; do goals+=("build/$c/stress-$w"); done; done
mapfile -t -O ${#goals[@]} goals < <(gate_goals)
b=$BUILD; case $b in "$ROOT"/*) b=${b#"$ROOT"/} ;; esac
make -C "$ROOT" -j"$JOBS" -s --no-print-directory BUILD="$b" $(printf '%s\n' "${goals[@]}" | sed "s#^build/#$b/#" | sort -u) >"$LOGS/build.log" 2>&1 || {
    tail -n 20 "$LOGS/build.log"; echo "bench stress: build failed"; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

md=$OUT/stress.md
{
    echo "# Stress benchmark"
    echo
    echo "## Positive controls: detection within ${BUDGET}s"
    echo
    echo "| control | build | workload | variant | detected | runs | within 10 s | median s to report | max s | aim |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$md"
PART=${BENCH_STRESS_PART:-all}
case $PART in all|detect|tput) ;; *) echo "bench stress: BENCH_STRESS_PART must be all, detect or tput, got '$PART'" >&2; exit 2 ;; esac
[ "$PART" = tput ] ||
    printf '%-22s %-6s %-8s %-7s %9s %6s %12s %10s %8s %s\n' control build workload variant detected runs "within 10s" "median s" "max s" aim
while read -r name kind cfg w v n full_s short_s tries expect; do
    [ "$kind" = positive ] || continue
    [ "$PART" = tput ] && break
    why=$(gate_backend_missing "$(gate_backend "$cfg")")
    if [ -n "$why" ]; then
        printf '%-22s %-6s skipped: %s\n' "$name" "$cfg" "$why"
        echo "| $name | $cfg | $w | $v | - | 0 | - | - | - | skipped: $why |" >>"$md"
        continue
    fi
    det=0 runs=0 miss_row=0 within=0 times=()
    for ((i = 0; i < RUNS; i++)); do
        s=$((SEED + i))
        log=$LOGS/$name.$i.log
        gate_run "$cfg" "$w" "$v" "$n" "$BUDGET" "$s" "$expect" "$log"
        rc=$?
        gate_classify "$expect" "$w" "$rc" "$log"
        runs=$((runs + 1))
        if [ "$G_FIRED" = 1 ]; then
            det=$((det + 1)) miss_row=0
            [ ${#times[@]} -lt 10 ] && times+=("$G_SECS")
            awk -v t="$G_SECS" 'BEGIN {exit !(t <= 10)}' && within=$((within + 1))
        else
            miss_row=$((miss_row + 1))
            [ $miss_row -ge 5 ] && break
        fi
    done
    med=$(printf '%s\n' "${times[@]}" | grep . | median)
    max=$(printf '%s\n' "${times[@]}" | grep . | sort -g | tail -n 1)
    need=$(( (RUNS * 19 + 19) / 20 ))
    if [ $runs -eq "$RUNS" ] && [ $within -ge $need ]; then aim=met; else aim=MISSED; fi
    printf '%-22s %-6s %-8s %-7s %9s %6s %12s %10s %8s %s\n' "$name" "$cfg" "$w" "$v" "$det" "$runs" "$within/$runs" "$med" "${max:--}" "$aim"
    echo "| $name | $cfg | $w | $v | $det | $runs | $within/$runs | $med | ${max:--} | $aim ($need/$RUNS) |" >>"$md"
done < <(gate_rows)

{
    echo
    echo "## Throughput (ops/s, ${TPUT_SECS}s runs, default threads, seed $SEED)"
    echo
    echo "llsc and hotplug twice in the same run: \`--mix none\` (the fixed op mix"
    echo "before issue 11) and \`--mix default\` (DMA, MMIO, protect_code, aliases,"
    echo "shrink/remove, vCPU hot-plug, stores over the LL/SC counters)."
    echo
    echo "| workload | variant | mix | no sanitizer | TSan | slowdown |"
    echo "|---|---|---|---|---|---|"
} >>"$md"
echo
printf '%-8s %-7s %-8s %14s %14s %9s\n' workload variant mix "no sanitizer" TSan slowdown
tput_ws=(bitmap llsc hotplug)
[ "$PART" = detect ] && tput_ws=()
for w in "${tput_ws[@]}"; do
    mixes=(-)
    [ "$w" = bitmap ] || mixes=(none default)
    for v in fixed cmpxchg; do
        for mx in "${mixes[@]}"; do
            declare -A ops=()
            margs=()
            [ "$mx" = - ] || margs=(--mix "$mx")
            for cfg in stress tsan; do
                log=$LOGS/tput-$cfg-$w-$v-$mx.log
                # --stop-on none: a racy variant's reports must not end the run early.
                timeout -k 5 $((TPUT_SECS + 120)) "$BUILD/$cfg/stress-$w" --variant "$v" \
                    --seconds "$TPUT_SECS" --seed "$SEED" --stop-on none "${margs[@]}" >"$log" 2>&1
                rc=$?
                r=$(sed -n 's/^stress .*: ops=[0-9]* ops\/s=\([0-9]*\) .*/\1/p' "$log" | tail -n 1)
                [ -n "$r" ] || r="0 (no figures: exit $rc)"
                # A run its own check stopped early (v6 loses updates) is marked.
                el=$(sed -n 's/^stress .* elapsed=\([0-9.]*\)s.*/\1/p' "$log" | tail -n 1)
                [ -n "$el" ] && awk -v e="$el" -v t="$TPUT_SECS" 'BEGIN {exit !(e < 0.9 * t)}' &&
                    r="${r:-0} (stopped at ${el:-?}s)"
                # A run that did not say SUCCESS is marked too: its figure
                # is not a clean run's.
                grep -q "^stress $w: variant=.*: SUCCESS$" "$log" || r="$r (not SUCCESS)"
                ops[$cfg]=${r:--}
            done
            slow=$(awk -v a="${ops[stress]%% *}" -v b="${ops[tsan]%% *}" 'BEGIN {if (b > 0) printf "%.1fx", a / b; else print "-"}')
            printf '%-8s %-7s %-8s %14s %14s %9s\n' "$w" "$v" "$mx" "${ops[stress]}" "${ops[tsan]}" "$slow"
            echo "| $w | $v | $mx | ${ops[stress]} | ${ops[tsan]} | $slow |" >>"$md"
            unset ops
        done
    done
done
echo "bench stress: tables in $md"
