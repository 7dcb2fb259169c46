#!/usr/bin/env bash
# Campaign benchmark (run by ./build.sh bench): what a user gets from the
# same wall-clock budget, side by side in one run, on the weak variants.
#   before: `./build.sh fuzz --until-first` (what `./build.sh fuzz` did
#           before campaigns): each engine stops at its first finding; the
#           budget is spent restarting it, one session after another, with
#           new seeds, and the distinct signatures of what they found are
#           counted (the replay build's verdict, keyed as triage keys it);
#   after:  one campaign (`./build.sh fuzz --targets T --no-mask`) for the
#           same budget; unmasked, so both sides count the same classes
#           (ci/bench/mask.sh measures what the known-class mask adds).
# Reported per target: unique findings (signatures), findings per hour, and
# the time to the first finding of each run.
# Knobs: BENCH_CAMPAIGN_TARGETS (default llsc-v6 llsc-v8),
#        BENCH_CAMPAIGN_SECONDS (default 300 per target and mode).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
secs=${BENCH_CAMPAIGN_SECONDS:-300}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HX_NO_BUILD=1 ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=0}

signature() {  # signature TARGET FILE -> the triage signature of one input
    python3 - "$ROOT" "$1" "$2" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/ci/campaign")
import project, triage
t, f = sys.argv[2], sys.argv[3]
v, out = project.replay(t, f)
print(triage.signature(v, project.to_text(t, f), out))
PY
}

printf '%-12s %-34s %8s %10s %14s\n' target mode unique "per hour" "first finding"
for t in ${BENCH_CAMPAIGN_TARGETS:-llsc-v6 llsc-v8}; do
    [ -z "$(target_missing "$t")" ] || { echo "bench: skipping $t: $(target_missing "$t")"; continue; }
    # before: back-to-back --until-first sessions, alternating engines
    end=$((SECONDS + secs)) n=0 first=
    : >"$tmp/sigs"
    while [ $SECONDS -lt $end ]; do
        n=$((n + 1))
        eng=$([ $((n % 2)) = 1 ] && echo libfuzzer || echo afl)
        t0=$SECONDS
        ./build.sh fuzz --until-first --targets "$t" --engine "$eng" --seed "$n" \
            --time $((end - SECONDS > 1 ? end - SECONDS : 1)) --out "$tmp/uf-$n" >"$tmp/uf.log" 2>&1
        [ -n "$first" ] || first=$((SECONDS - t0))
        for f in $(sed -n 's/^finding: //p' "$tmp/uf.log"); do
            case $f in /*) ;; *) f="$ROOT/$f" ;; esac
            signature "$t" "$f" >>"$tmp/sigs"
        done
    done
    u=$(sort -u "$tmp/sigs" | grep -vc '^not-reproduced$')
    printf '%-12s %-34s %8d %10d %13ss\n' "$t" "--until-first, $n sessions" "$u" $((u * 3600 / secs)) "${first:-?}"
    # after: one campaign for the same budget
    ./build.sh fuzz --targets "$t" --time "$secs" --seed 1 --no-mask --out "$tmp/camp-$t" >"$tmp/c.log" 2>&1
    read -r u f1 < <(python3 -c "
import json; d = json.load(open('$tmp/camp-$t/findings/index.json'))['findings'].values()
r = [x for x in d if x['signature'] != 'not-reproduced']
print(len(r), int(min((x['first_seen'] for x in r), default=-1)))")
    printf '%-12s %-34s %8d %10d %13ss\n' "$t" "campaign, both engines, all cores" "$u" $((u * 3600 / secs)) "$f1"
done
