#!/usr/bin/env bash
# what: run the threaded stress binaries: ./build.sh stress [--target T] [--variant V] [--backend B] [--threads N] [--seconds S|--iterations N] [--seed N] [--mix LIST] [--no-tsan]
# usage: ./build.sh stress [--target bitmap|llsc|hotplug] [--variant V] [--backend builtin|qemu]
#                          [--threads N] [--seconds S | --iterations N] [--seed N] [--mix LIST]
#                          [--stop-on P] [--no-tsan]
#   Runs build/tsan/stress-<T> (or build/stress/stress-<T> with --no-tsan, no
#   sanitizer, full speed) for the workload T (default: all three) on the
#   variant V (default: every one: v6 v6-st v8 fixed cmpxchg; v6 is v6-MT).
#   --backend qemu runs build/<cfg>/stress-<T>-qemu instead: the same body
#   linked with QEMU's own util/bitmap.c and util/bitops.c (mk/qemu.mk), from
#   QEMU_SRC if set, else the tree of ./build.sh qemu-src; make rebuilds it
#   when QEMU_SRC points at another tree. No tree: one-line error, exit 2.
#   Each run prints its seed first and ends with a verdict line echoing every
#   parameter; full logs go to build/stress-logs/. A seed, when given, is used
#   for every run. --mix (llsc and hotplug; harness/stress.h STRESS_MIX_*):
#   default (every op kind the variant takes with running vCPUs), none (the
#   fixed mix of before issue 11) or kinds joined by ',' (dma mmio protect
#   alias shrink plug overlap); a kind a variant cannot take concurrently ends
#   that run with the binary's one-line reason (exit 2). Exit 0 if every run said SUCCESS, 1 otherwise, 2 on bad usage.
#   Racy variants are expected to fail here: ./build.sh gate knows which must.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

usage="usage: ./build.sh stress [--target T] [--variant V] [--backend builtin|qemu] [--threads N] [--seconds S|--iterations N] [--seed N] [--mix LIST] [--stop-on P] [--no-tsan]"
WORKLOADS=(bitmap llsc hotplug)
VARIANTS=(v6 v6-st v8 fixed cmpxchg)
# A tree you point QEMU_SRC at is what you want stressed: it becomes the
# default backend (an explicit --backend still wins).
target= variant= cfg=tsan pass=() backend=builtin
[ -n "${QEMU_SRC:-}" ] && backend=qemu
secs= iters= threads= threads_arg= mix=
MIX_KINDS=(dma mmio protect alias shrink plug overlap)

# The binaries' own limits (harness/stress_main.c), checked here before
# anything is built or run: a value every binary rejects would otherwise end
# each of up to 15 runs in "no verdict" instead of one usage error.
# STRESS_MAX_THREADS is read from the header so the two cannot drift apart.
max_threads=$(sed -n 's/^#define STRESS_MAX_THREADS \([0-9][0-9]*\).*/\1/p' "$ROOT/harness/stress.h")
[ -n "$max_threads" ] || die "internal error: no STRESS_MAX_THREADS in harness/stress.h"
# Threads a workload starts besides its --threads workers (its nthreads()):
# hotplug adds an iothread (hp_nthreads in harness/stress_hotplug.c).
declare -A HELPERS=([bitmap]=0 [llsc]=0 [hotplug]=1)
MAX_SECONDS=86400                # parse_seconds
U64_MAX=18446744073709551615     # --iterations and --seed: strtoull

# dec N: the digits N without leading zeros. The binaries read numbers with
# strtoull(..., 0), where a leading 0 means octal ("010" is 8, "08" an
# error); this command takes decimal, so it passes them on normalised.
dec() { local n=${1#"${1%%[!0]*}"}; echo "${n:-0}"; }
# dec_le A B: A <= B for dec-normalised numbers of any length (bash
# arithmetic wraps past 2^63-1, below the binaries' 2^64-1).
dec_le() { [ ${#1} -lt ${#2} ] || { [ ${#1} -eq ${#2} ] && [[ ! $1 > $2 ]]; }; }

while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) echo "$usage"; exit 0 ;;
        --no-tsan) cfg=stress; shift; continue ;;
    esac
    opt=${1%%=*} val=
    if [[ $1 == *=* ]]; then val=${1#*=}; shift
    else
        case $opt in --target|--variant|--backend|--threads|--seconds|--iterations|--seed|--mix|--stop-on) ;;
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
        --backend) backend=$val
            case $val in builtin|qemu) ;; *) die "unknown backend '$val' (builtin qemu)" ;; esac ;;
        --threads) [[ $val =~ ^[0-9]+$ ]] || die "--threads wants a whole number, got '$val'"
            # The range depends on the workloads, known after the loop.
            threads=$(dec "$val") threads_arg=$val ;;
        --seconds) [[ $val =~ ^-  ]] && die "--seconds must not be negative: '$val'"
            [[ $val =~ ^[0-9]*\.?[0-9]+$ ]] || die "--seconds wants a number, got '$val'"
            # awk compares as doubles, as the binary's strtod does.
            awk -v s="$val" -v max=$MAX_SECONDS 'BEGIN { exit !(s + 0 > 0 && s + 0 <= max) }' ||
                die "--seconds must be more than 0 and at most $MAX_SECONDS, got '$val'"
            secs=$val; pass+=(--seconds "$val") ;;
        --iterations) [[ $val =~ ^[0-9]+$ ]] || die "--iterations wants a whole number, got '$val'"
            iters=$(dec "$val")
            dec_le 1 "$iters" && dec_le "$iters" $U64_MAX ||
                die "--iterations must be 1..$U64_MAX, got '$val'"
            pass+=(--iterations "$iters") ;;
        --seed) [[ $val =~ ^[0-9]+$ ]] || die "--seed wants a whole number, got '$val'"
            dec_le "$(dec "$val")" $U64_MAX || die "--seed must be 0..$U64_MAX, got '$val'"
            pass+=(--seed "$(dec "$val")") ;;
        --mix) [ -n "$val" ] || die "--mix wants default, none or kinds joined by ','"
            if [ "$val" != default ] && [ "$val" != none ]; then
                [[ $val == *, || $val == ,* || $val == *,,* ]] && die "--mix: empty kind in '$val'"
                IFS=, read -ra ks <<<"$val"
                for k in "${ks[@]}"; do
                    [[ " ${MIX_KINDS[*]} " == *" $k "* ]] ||
                        die "--mix: unknown kind '$k' (${MIX_KINDS[*]}, or default, none)"
                done
            fi
            mix=$val ;;
        --stop-on) [ -n "$val" ] || die "--stop-on wants any, none or a pattern"
            pass+=(--stop-on "$val") ;;
        *) die "unknown argument '$opt' ($usage)" ;;
    esac
done
[ -n "$secs" ] && [ -n "$iters" ] && die "give --seconds or --iterations, not both"

wl=("${WORKLOADS[@]}"); [ -n "$target" ] && wl=("$target")
vs=("${VARIANTS[@]}"); [ -n "$variant" ] && vs=("$variant")

# One range for every run: the tightest of the workloads that will run.
if [ -n "$threads" ]; then
    tmax=$max_threads why=
    for w in "${wl[@]}"; do
        if [ $((max_threads - HELPERS[$w])) -lt "$tmax" ]; then
            tmax=$((max_threads - HELPERS[$w]))
            why=" for $w (it starts an iothread too; $max_threads threads at most)"
        fi
    done
    dec_le 1 "$threads" || die "--threads must be 1..$tmax, got '$threads_arg'"
    dec_le "$threads" "$tmax" || die "--threads must be 1..$tmax$why, got '$threads_arg'"
    pass+=(--threads "$threads")
fi

# The qemu backend needs a QEMU tree (QEMU_SRC, else ./build.sh qemu-src's);
# make reads QEMU_SRC from the environment (mk/00-qemu-src.mk).
sfx=
if [ "$backend" = qemu ]; then
    . "$ROOT/ci/qemu.sh"
    if [ -n "${QEMU_SRC:-}" ]; then
        qemu_tree_ok "$QEMU_SRC" ||
            die "QEMU_SRC=$QEMU_SRC is not a QEMU source tree (no util/bitmap.c, util/bitops.c, include/qemu/bitmap.h)"
    else
        qemu_src >/dev/null 2>&1 ||
            die "--backend qemu: no QEMU source tree (run ./build.sh qemu-src, or set QEMU_SRC)"
    fi
    sfx=-qemu
fi

logs=$BUILD/stress-logs
mkdir -p "$logs"
# Goals relative to the top directory when the build directory is below it
# (as ci/fuzz-lib.sh make_goals does), so make's own rules match them.
b=$BUILD
case $b in "$ROOT"/*) b=${b#"$ROOT"/} ;; esac
bins=()
for w in "${wl[@]}"; do bins+=("$b/$cfg/stress-$w$sfx"); done
if ! make -C "$ROOT" -j"$JOBS" -s --no-print-directory BUILD="$b" "${bins[@]}" >"$logs/build.log" 2>&1; then
    tail -n 30 "$logs/build.log" >&2
    echo "build.sh stress: build failed (full log: $logs/build.log)" >&2
    exit 2
fi

ok=0 bad=0
for w in "${wl[@]}"; do
    for v in "${vs[@]}"; do
        log=$logs/$cfg-$w$sfx-$v.log
        wmix=()
        [ -n "$mix" ] && [ "$w" != bitmap ] && wmix=(--mix "$mix")
        "$BUILD/$cfg/stress-$w$sfx" --variant "$v" --backend "$backend" "${pass[@]}" "${wmix[@]}" >"$log" 2>&1
        rc=$?
        grep -m1 '^stress .*: seed=' "$log"
        grep '^stress: tsan report' "$log" | head -n 5
        verdict=$(grep "^stress $w: variant=" "$log" | tail -n 1)
        if [ -z "$verdict" ]; then
            why=
            [ $rc -eq 2 ] && why=": $(tail -n 1 "$log")"
            echo "stress $w: variant=$v: no verdict (exit $rc$why; see $log)"
            bad=$((bad + 1))
        else
            echo "$verdict"
            [ $rc -eq 0 ] && [[ $verdict == *": SUCCESS" ]] && ok=$((ok + 1)) || bad=$((bad + 1))
        fi
    done
done
echo "stress: $((ok + bad)) runs ($cfg build, backend $backend): $ok SUCCESS, $bad FAILURE (logs: $logs)"
[ $bad -eq 0 ]
