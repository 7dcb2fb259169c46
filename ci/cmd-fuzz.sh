#!/usr/bin/env bash
# what: the overnight campaign (no arguments: every target, both engines, all cores, 10 min)
# usage: ./build.sh fuzz [--targets T,...] [--engine afl|libfuzzer|both] [--time 8h]
#                        [--jobs N] [--out DIR] [--seed N] [--no-minimize]
#        ./build.sh fuzz --until-first --targets T [--engine afl|libfuzzer]
#                        [--time S|--runs N] [--seed N]
#   A campaign keeps going past findings, triages them as they come
#   (OUT/findings/), shows a live table (also appended to OUT/status.log) and
#   ends with OUT/report/report.{md,html}. The same command with the same
#   --out (default build/campaigns/<targets>-<engine>) resumes it. Exit 0 no
#   finding, 1 finding(s), 2 usage error, 128+N stopped by signal N
#   (resumable). --until-first: one engine on one target until its first
#   finding, as the gate's smoke run does (exit 0 none, 1 found).
#   The runner is ci/campaign/campaign.py; see its header for how cores are
#   shared.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bash "$ROOT/ci/deps.sh" >&2 || exit 2
exec python3 "$ROOT/ci/campaign/cli.py" fuzz "$@"
