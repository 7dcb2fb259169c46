#!/usr/bin/env bash
# what: run the threaded stress binaries: ./build.sh stress [--target T] [--variant V] [--backend B] [--threads N] [--seconds S|--iterations N] [--seed N] [--no-tsan]
# usage: ./build.sh stress [--target bitmap|llsc|hotplug] [--variant V] [--backend builtin|qemu]
#                          [--threads N] [--seconds S | --iterations N] [--seed N] [--stop-on P] [--no-tsan]
#   Runs build/tsan/stress-<T> (or build/stress/stress-<T> with --no-tsan, no
#   sanitizer, full speed) for the workload T (default: all three) on the
#   variant V (default: every one: v6 v6-st v8 fixed cmpxchg; v6 is v6-MT).
#   --backend qemu runs build/<cfg>/stress-<T>-qemu instead: the same body
#   linked with QEMU's own util/bitmap.c and util/bitops.c (mk/qemu.mk), from
#   QEMU_SRC if set, else the tree of ./build.sh qemu-src; make rebuilds it
#   when QEMU_SRC points at another tree. No tree: one-line error, exit 2.
#   Each run prints its seed first and ends with a verdict line echoing every
#   parameter; full logs go to build/stress-logs/. A seed, when given, is used
#   for every run. Exit 0 if every run said SUCCESS, 1 otherwise, 2 on bad usage.
#   Racy variants are expected to fail here: ./build.sh gate knows which must.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

usage="usage: ./build.sh stress [--target T] [--variant V] [--backend builtin|qemu] [--threads N] [--seconds S|--iterations N] [--seed N] [--stop-on P] [--no-tsan]"
WORKLOADS=(bitmap llsc hotplug)
VARIANTS=(v6 v6-st v8 fixed cmpxchg)
# A tree you point QEMU_SRC at is what you want stressed: it becomes the
# default backend (an explicit --backend still wins).
target= variant= cfg=tsan pass=() backend=builtin
[ -n "${QEMU_SRC:-}" ] && backend=qemu
secs= iters=

while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) echo "$usage"; exit 0 ;;
        --no-tsan) cfg=stress; shift; continue ;;
    esac
    opt=${1%%=*} val=
    if [[ $1 == *=* ]]; then val=${1#*=}; shift
    else
        case $opt in --target|--variant|--backend|--threads|--seconds|--iterations|--seed|--stop-on) ;;
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
    echo "stress: build failed (full log: $logs/build.log)" >&2
    exit 2
fi

ok=0 bad=0
for w in "${wl[@]}"; do
    for v in "${vs[@]}"; do
        log=$logs/$cfg-$w$sfx-$v.log
        "$BUILD/$cfg/stress-$w$sfx" --variant "$v" --backend "$backend" "${pass[@]}" >"$log" 2>&1
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
echo "stress: $((ok + bad)) runs ($cfg build, backend $backend): $ok SUCCESS, $bad FAILURE (logs: $logs)"
[ $bad -eq 0 ]
