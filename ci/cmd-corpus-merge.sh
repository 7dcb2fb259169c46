#!/usr/bin/env bash
# what: merge a campaign's corpora back into corpus/<target>/ as text seeds
# usage: ./build.sh corpus-merge DIR [--targets T,...]
#   DIR is a campaign directory (./build.sh fuzz --out DIR; default
#   build/campaigns/<targets>-<engine>). The work is in ci/campaign/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
exec python3 "$ROOT/ci/campaign/cli.py" corpus-merge "$@"
