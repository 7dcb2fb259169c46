#!/usr/bin/env bash
# what: source-based coverage of the corpus (and a campaign): ./build.sh coverage [--targets T,...] [DIR]
# usage: ./build.sh coverage [--targets T,...] [DIR]
#   Builds build/cov/<t> (clang -fprofile-instr-generate -fcoverage-mapping,
#   no sanitizer, replay main) for every buildable target of targets/LIST, or
#   the listed ones, and replays each one's seeds and regressions (the corpus
#   of corpus_owner, as ./build.sh replay does) plus, with DIR, the campaign
#   output DIR/<t>/corpus/* and DIR/<t>/afl/<instance>/queue/id:*. Writes
#   build/coverage/html/<t>/ (llvm-cov show), build/coverage/index.html and
#   build/coverage/summary.json (COVERAGE_OUT moves all three), and prints
#   one line per target:
#     coverage <t>: sut/ lines X/Y (P%), functions X/Y (P%), branches X/Y (P%)
#   (totals over the files under sut/), or "coverage <t>: skipped: <why>".
#   Exit 0 done, 1 a replay or llvm tool failed, 2 usage error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/fuzz-lib.sh"

usage="usage: ./build.sh coverage [--targets T,...] [DIR]"
list= have_list= dir=
while [ $# -gt 0 ]; do
    case $1 in
        --targets) [ $# -ge 2 ] || die "--targets needs a value ($usage)"; list=$2 have_list=1; shift 2 ;;
        --targets=*) list=${1#--targets=} have_list=1; shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        --) shift; [ $# -le 1 ] || die "one DIR at most ($usage)"; dir=${1:-}; shift $# ;;
        -*) die "unknown argument '$1' ($usage)" ;;
        *) [ -z "$dir" ] || die "one DIR at most ($usage)"; dir=$1; shift ;;
    esac
done
mapfile -t sel < <(targets)
if [ -n "$have_list" ]; then
    IFS=, read -ra sel <<<"$list"
    [ ${#sel[@]} -gt 0 ] || die "--targets needs at least one target ($usage)"
    for t in "${sel[@]}"; do is_target "$t" || die "unknown target '$t' (see ./build.sh targets)"; done
fi
if [ -n "$dir" ]; then
    [ -d "$dir" ] || die "$dir: no such directory"
    found=
    for t in "${sel[@]}"; do
        if [ -d "$dir/$t/corpus" ] || compgen -G "$dir/$t/afl/*/queue" >/dev/null; then found=1; fi
    done
    [ -n "$found" ] || die "$dir holds no campaign output (<target>/corpus/ or <target>/afl/<instance>/queue/) for ${sel[*]}"
    dir=$(cd "$dir" && pwd)
fi
command -v python3 >/dev/null || die "python3 is missing (apt-get install python3)"

# Rows for coverage.py, in the order of targets/LIST: what to replay, or why not.
rows=() goals=(tools/optext)
for t in "${sel[@]}"; do
    why=$(target_missing "$t")
    if [ -n "$why" ]; then rows+=(--skip "$t=$why"); continue; fi
    o=$(corpus_owner "$t")
    rows+=(--target "$t=$o=$(target_backend "$t")")
    goals+=("cov/$t")
    mapfile -t -O "${#goals[@]}" goals < <(corpus_goals "$o")
done
make_goals "${goals[@]}"

qemu=$(. "$ROOT/ci/qemu.sh" && qemu_src 2>/dev/null) || qemu=
exec python3 "$ROOT/ci/campaign/coverage.py" --root "$ROOT" --build "$BUILD" \
    --out "${COVERAGE_OUT:-$BUILD/coverage}" --jobs "$JOBS" ${dir:+--dir "$dir"} \
    ${qemu:+--qemu-src "$qemu"} "${rows[@]}"
