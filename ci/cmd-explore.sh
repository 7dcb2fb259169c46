#!/usr/bin/env bash
# what: the design-space explorer: v6 cell sizes x vCPUs x variants x workloads, into build/explore/ (CSV, plots, summary)
# usage: ./build.sh explore [--quick] [--seed N] [--out DIR]
#   Runs build/gcc/explore (harness/explore.c) over its grid: workloads
#   shared, private, mixed, hotcold, ramgrow; vCPUs 1..64; v6 cells of 1..64
#   bits per page; v8, fixed, cmpxchg; 100000 steps per point, seeds N..N+2
#   (default N = 1), a few minutes on 2 cores. --quick is the test tier's
#   grid (vCPUs up to 16, 3000 steps, one seed; v8, fixed and cmpxchg at
#   every cell size too, to show they ignore it): seconds.
#   Writes DIR/explore.csv (DIR: build/explore, build/explore-quick with
#   --quick), then ci/explore/report.py writes DIR/summary.md and the PNG
#   plots, and ci/explore/check.py checks the invariants of the numbers (one
#   PASS/FAIL line each). The same command gives the same files.
#   Exit 0, 1 if an invariant failed, 2 on bad usage or a failed build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
usage="usage: ./build.sh explore [--quick] [--seed N] [--out DIR]"
quick=() seed=1 out=
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) sed -n 's/^# usage: //p' "$0"; exit 0 ;;
        --quick) quick=(--quick); shift; continue ;;
        --seed|--out) [ $# -ge 2 ] || die "$1 needs a value ($usage)" ;;
        *) die "unknown argument '$1' ($usage)" ;;
    esac
    case $1 in
        --seed) [[ $2 =~ ^[0-9]{1,18}$ ]] || die "--seed wants a whole number below 10^18, got '$2'"
            seed=$((10#$2)) ;;
        --out) [ -n "$2" ] || die "--out wants a directory"; out=$2 ;;
    esac
    shift 2
done
if [ -z "$out" ]; then
    out=$BUILD/explore${quick:+-quick}
fi
mkdir -p "$out" 2>/dev/null || die "cannot create '$out'"
[ -w "$out" ] || die "cannot write to '$out'"

bash "$ROOT/ci/deps.sh" || exit 2
b=$BUILD
case $b in "$ROOT"/*) b=${b#"$ROOT"/} ;; esac
mkdir -p "$BUILD"
if ! make -C "$ROOT" -j"$JOBS" -s --no-print-directory BUILD="$b" "$b/gcc/explore" \
        >"$BUILD/explore-build.log" 2>&1; then
    tail -n 30 "$BUILD/explore-build.log" >&2
    die "build failed (full log: $BUILD/explore-build.log)"
fi

start=$SECONDS
grid=(--seed "$seed")
[ ${#quick[@]} -eq 0 ] || grid+=(--quick --all-cells)
"$BUILD/gcc/explore" "${grid[@]}" -o "$out/explore.csv"
python3 "$ROOT/ci/explore/report.py" "$out" "${quick[@]}"
set +e
python3 "$ROOT/ci/explore/check.py" "$out/explore.csv"
rc=$?
set -e
echo "explore: $((SECONDS - start)) s; $out/summary.md"
[ $rc -eq 0 ] || { echo "explore: an invariant failed (above)"; exit 1; }
