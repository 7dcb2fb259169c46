#!/usr/bin/env bash
# what: run the threaded stress binaries: ./build.sh stress [--target T] [--variant V] [--threads N] [--seconds S|--iterations N] [--seed N] [--no-tsan]
# usage: ./build.sh stress [--target bitmap|llsc|hotplug] [--variant V] [--threads N]
#                          [--seconds S | --iterations N] [--seed N] [--stop-on P] [--no-tsan]
#   Runs build/tsan/stress-<T> (or build/stress/stress-<T> with --no-tsan, no
#   sanitizer, full speed) for the workload T (default: all three) on the
#   variant V (default: every one: v6 v6-st v8 fixed cmpxchg; v6 is v6-MT).
#   Each run prints its seed first and ends with a verdict line echoing every
#   parameter; full logs go to build/stress-logs/. A seed, when given, is used
#   for every run. Exit 0 if every run said SUCCESS, 1 otherwise, 2 on bad usage.
#   Racy variants are expected to fail here: ./build.sh gate knows which must.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

usage="usage: ./build.sh stress [--target T] [--variant V] [--threads N] [--seconds S|--iterations N] [--seed N] [--stop-on P] [--no-tsan]"
WORKLOADS=(bitmap llsc hotplug)
VARIANTS=(v6 v6-st v8 fixed cmpxchg)
target= variant= cfg=tsan pass=()
secs= iters=

while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) echo "$usage"; exit 0 ;;
        --no-tsan) cfg=stress; shift; continue ;;
    esac
    opt=${1%%=*} val=
    if [[ $1 == *=* ]]; then val=${1#*=}; shift
    else
        case $opt in --target|--variant|--threads|--seconds|--iterations|--seed|--stop-on) ;;
            *) die "unknown argument '$1' ($usage)" ;; esac
        [ $# -ge 2 ] || die "$opt needs a value ($usage)"
        val=$2; shift 2
    fi
    case $opt in
        --target) target=${val#stress-}
            [[ " ${WORKLOADS[*]} " == *" $target "* ]] ||
                die "unknown target '$val' (bitmap llsc hotplug)" ;;
        --variant) variant=$val
            [[ " v6 v6-mt v6-st v8 fixed cmpxchg " == *" $val "* ]] ||
                die "unknown variant '$val' (v6 v6-mt v6-st v8 fixed cmpxchg)" ;;
        --threads) [[ $val =~ ^[0-9]+$ ]] || die "--threads wants a whole number, got '$val'"
            [ "$((10#$val))" -ge 1 ] || die "--threads must be at least 1"
            pass+=(--threads "$val") ;;
        --seconds) [[ $val =~ ^-  ]] && die "--seconds must not be negative: '$val'"
            [[ $val =~ ^[0-9]*\.?[0-9]+$ ]] || die "--seconds wants a number, got '$val'"
            secs=$val; pass+=(--seconds "$val") ;;
        --iterations) [[ $val =~ ^[0-9]+$ ]] || die "--iterations wants a whole number, got '$val'"
            iters=$val; pass+=(--iterations "$val") ;;
        --seed) [[ $val =~ ^[0-9]+$ ]] || die "--seed wants a whole number, got '$val'"
            pass+=(--seed "$val") ;;
        --stop-on) pass+=(--stop-on "$val") ;;
        *) die "unknown argument '$opt' ($usage)" ;;
    esac
done
[ -n "$secs" ] && [ -n "$iters" ] && die "give --seconds or --iterations, not both"

wl=("${WORKLOADS[@]}"); [ -n "$target" ] && wl=("$target")
vs=("${VARIANTS[@]}"); [ -n "$variant" ] && vs=("$variant")

logs=$BUILD/stress-logs
mkdir -p "$logs"
bins=()
for w in "${wl[@]}"; do bins+=("build/$cfg/stress-$w"); done
if ! make -C "$ROOT" -j"$JOBS" -s --no-print-directory "${bins[@]}" >"$logs/build.log" 2>&1; then
    tail -n 30 "$logs/build.log" >&2
    echo "stress: build failed (full log: $logs/build.log)" >&2
    exit 2
fi

ok=0 bad=0
for w in "${wl[@]}"; do
    for v in "${vs[@]}"; do
        log=$logs/$cfg-$w-$v.log
        "$BUILD/$cfg/stress-$w" --variant "$v" "${pass[@]}" >"$log" 2>&1
        rc=$?
        grep -m1 '^stress .*: seed=' "$log"
        grep '^stress: tsan report' "$log" | head -n 5
        verdict=$(grep "^stress $w: variant=" "$log" | tail -n 1)
        if [ -z "$verdict" ]; then
            echo "stress $w: variant=$v: no verdict (exit $rc; see $log)"
            bad=$((bad + 1))
        else
            echo "$verdict"
            [ $rc -eq 0 ] && [[ $verdict == *": SUCCESS" ]] && ok=$((ok + 1)) || bad=$((bad + 1))
        fi
    done
done
echo "stress: $((ok + bad)) runs ($cfg build): $ok SUCCESS, $bad FAILURE (logs: $logs)"
[ $bad -eq 0 ]
