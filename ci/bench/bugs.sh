#!/usr/bin/env bash
# Seeded-bug benchmark (issue 9, run by ./build.sh bench bugs): each patch of
# ci/bugs/ is applied to a scratch copy of the tree, its witness must kill
# the patched llsc-fixed and pass the tree's own, then the default one-core
# campaign (./build.sh fuzz --until-first --targets llsc-fixed) runs from the
# seeds once per seed. Prints killed / median / worst time to kill per bug
# and writes the table to build/bench/bugs.md. Exit 1 when a patch no longer
# applies or its witness no longer shows the bug. Knobs (ci/bench/bugs.py):
#   BENCH_BUGS (numbers or name parts), BENCH_JOBS (default: cores),
#   BENCH_BUG_CAP (seconds per run, default 120), BENCH_BUG_SEEDS ("1 2 3"),
#   BENCH_BUG_MD. Full run: bugs x seeds x up to the cap, over BENCH_JOBS.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
reaped python3 "$ROOT/ci/bench/bugs.py" run
