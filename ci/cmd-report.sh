#!/usr/bin/env bash
# what: (re)write a campaign's report: DIR/report/report.md, report.html and plots
# usage: ./build.sh report DIR
#   DIR is a campaign directory (./build.sh fuzz --out DIR; default
#   build/campaigns/<targets>-<engine>). The work is in ci/campaign/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
exec python3 "$ROOT/ci/campaign/cli.py" report "$@"
