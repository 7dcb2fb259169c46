#!/usr/bin/env bash
# The race targets' benchmark (issue 11, run by ./build.sh bench): time to
# find W2, W21, W5 and lost updates (median over seeds), the share of
# free-mode findings that replay in scheduled mode, exec/s under TSan.
# Knobs: see the docstring of ci/bench/race.py.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
export ROOT BUILD
exec python3 "$ROOT/ci/bench/race.py"
