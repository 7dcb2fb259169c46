#!/usr/bin/env bash
# Known-class mask benchmark (issue 15, run by ./build.sh bench): distinct
# (property, signature) classes a campaign sees per variant, with the mask
# and without it, side by side in one run. Knobs:
#   BENCH_MASK_TARGETS (default llsc-v6 llsc-v8 llsc-cmpxchg),
#   BENCH_MASK_SECONDS (default 600 per campaign), BENCH_MASK_SEEDS (default 1 2 3).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
exec python3 "$ROOT/ci/bench/mask.py"
