#!/usr/bin/env bash
# what: fuzz one target: ./build.sh fuzz --target T [--engine libfuzzer|afl] [--seconds S|--runs N] [--seed N]
# usage: ./build.sh fuzz --target T [--engine libfuzzer|afl] [--seconds S] [--runs N] [--seed N]
#   Runs the engine on the target's compiled seeds (build/corpus/<t>/seeds;
#   a target without corpus/<t>/ uses those of the first target built from
#   the same source, as ./build.sh replay does)
#   with its dictionary, from seed N (a random one, printed, if not given),
#   for S seconds (default 60) or N executions, stopping at the first finding.
#   Each session starts from the seeds alone (its corpus goes to a fresh
#   build/findings/<t>/{libfuzzer,afl}-<time>-s<seed>/), so with --runs the
#   seed replays the whole session. Findings go under build/findings/<t>/;
#   each is replayed and printed with its verdict. Exit 0 no finding,
#   1 finding(s), 2 usage error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/fuzz-lib.sh"

usage="usage: ./build.sh fuzz --target T [--engine libfuzzer|afl] [--seconds S] [--runs N] [--seed N]"
target= engine=libfuzzer seconds= runs= seed=
num() { [[ $2 =~ ^[0-9]+$ ]] && [ ${#2} -le 10 ] || die "$1 needs a number, got '$2' ($usage)"; }
while [ $# -gt 0 ]; do
    case $1 in
        --target|--engine|--seconds|--runs|--seed)
            [ $# -ge 2 ] || die "$1 needs a value ($usage)"
            case $1 in
                --target) target=$2 ;;
                --engine) engine=$2 ;;
                --seconds) num "$1" "$2"; seconds=$((10#$2)) ;;
                --runs) num "$1" "$2"; runs=$((10#$2)) ;;
                --seed) num "$1" "$2"; seed=$((10#$2)) ;;
            esac
            shift 2 ;;
        -h|--help) echo "$usage"; exit 0 ;;
        *) die "unknown argument '$1' ($usage)" ;;
    esac
done
[ -n "$target" ] || die "--target is required ($usage)"
case $engine in libfuzzer|afl) ;; *) die "unknown engine '$engine' (libfuzzer or afl)" ;; esac
[ -z "$seconds" ] || [ "$seconds" -gt 0 ] || die "--seconds must be > 0"
[ -z "$runs" ] || [ "$runs" -gt 0 ] || die "--runs must be > 0"
[ -n "$seconds" ] || [ -n "$runs" ] || seconds=60
seed=${seed:-$(( $(od -An -N4 -tu4 /dev/urandom) % 2147483647 + 1 ))}
[ "$seed" -le 4294967295 ] || die "--seed must fit in 32 bits"
need_target "$target"
family=$(target_family "$target")
if [ "$engine" = libfuzzer ]; then
    make_goals "libfuzzer/$target"
else
    make_goals "afl/$target" "afl/$target.cmplog"
fi
owner=$(corpus_owner "$target")
seeds="$BUILD/corpus/$owner/seeds"
make_goals $(cd "$ROOT" && for f in corpus/"$owner"/*.txt; do
    [ -e "$f" ] && b=${f##*/} && echo "corpus/$owner/seeds/${b%.txt}.bin"; done)
[ -n "$(ls -A "$seeds" 2>/dev/null)" ] || die "target $target has no seeds (corpus/$owner/*.txt)"
dict="$ROOT/corpus/$family.dict"
findings="$BUILD/findings/$target"
mkdir -p "$findings"
stamp=$(date +%Y%m%d-%H%M%S)-$$

echo "fuzz: target $target, engine $engine, seed $seed," \
     "${seconds:+$seconds s}${seconds:+${runs:+, }}${runs:+$runs runs}"
echo "fuzz: findings go to ${findings#"$ROOT"/}/"
marker="$findings/.start-$stamp-$$"
: >"$marker"
trap 'rm -f "$marker"' EXIT
rc=0
if [ "$engine" = libfuzzer ]; then
    # A fresh corpus per session, so the seed alone replays the session.
    work="$findings/libfuzzer-$stamp-s$seed"
    mkdir -p "$work"
    args=(-seed="$seed" -artifact_prefix="$findings/" -print_final_stats=1 -timeout=10)
    [ -z "$seconds" ] || args+=(-max_total_time="$seconds")
    [ -z "$runs" ] || args+=(-runs="$runs")
    [ ! -f "$dict" ] || args+=(-dict="$dict")
    "$BUILD/libfuzzer/$target" "${args[@]}" "$work" "$seeds" || rc=$?
    mapfile -t found < <(find "$findings" -maxdepth 1 -type f -newer "$marker" \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'leak-*' -o -name 'oom-*' \) | sort)
else
    out="$findings/afl-$stamp-s$seed"
    args=(-i "$seeds" -o "$out" -s "$seed" -m none -c "$BUILD/afl/$target.cmplog")
    [ -z "$seconds" ] || args+=(-V "$seconds")
    [ -z "$runs" ] || args+=(-E "$runs")
    [ ! -f "$dict" ] || args+=(-x "$dict")
    # (the AFL++ builds have no sanitizer; afl-fuzz refuses ASAN_OPTIONS
    # without abort_on_error=1)
    env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u MSAN_OPTIONS \
    AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
    AFL_NO_AFFINITY=1 AFL_BENCH_UNTIL_CRASH=1 AFL_FAST_CAL=1 AFL_CMPLOG_ONLY_NEW=1 \
        afl-fuzz "${args[@]}" -- "$BUILD/afl/$target" || rc=$?
    mapfile -t found < <(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | sort)
fi
echo "fuzz: engine exited with status $rc; seed was $seed"
if [ ${#found[@]} -eq 0 ]; then
    [ "$rc" -eq 0 ] || { echo "fuzz: the engine failed without a finding" >&2; exit 2; }
    echo "fuzz: no findings"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -f "$marker"; rm -rf "$tmp"' EXIT
for f in "${found[@]}"; do
    v=$(replay_verdict "$target" "$f" "$tmp/out") || true
    echo "finding: ${f#"$ROOT"/}"
    echo "  verdict: $v"
    echo "  reproduce: ./build.sh repro --target $target '${f#"$ROOT"/}'"
    echo "  minimize:  ./build.sh minimize --target $target '${f#"$ROOT"/}'"
done
exit 1
