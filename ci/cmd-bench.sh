#!/usr/bin/env bash
# what: run the benchmarks (ci/bench/*.sh): fuzz exec/s, time to first finding, campaign findings per hour, stress throughput, seeded bugs
# usage: ./build.sh bench [PATTERN]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pattern=${1:-}
[ $# -le 1 ] || die "usage: ./build.sh bench [PATTERN]"
bash "$ROOT/ci/deps.sh"
build_all >/dev/null
for b in "$ROOT"/ci/bench/*.sh; do
    [ -e "$b" ] || continue
    n=$(basename "$b" .sh)
    [ -n "$pattern" ] && [[ $n != *"$pattern"* ]] && continue
    echo "== bench $n"
    bash "$b"
done
