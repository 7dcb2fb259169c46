#!/usr/bin/env bash
# what: make finding N of a campaign a regression in corpus/<target>/regressions/
# usage: ./build.sh adopt DIR N [--name NAME]
#   DIR is a campaign directory (./build.sh fuzz --out DIR; default
#   build/campaigns/<targets>-<engine>). The work is in ci/campaign/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
exec python3 "$ROOT/ci/campaign/cli.py" adopt "$@"
