#!/usr/bin/env bash
# what: list a campaign's unique findings: signature, count, first seen, reproducer
# usage: ./build.sh findings DIR
#   DIR is a campaign directory (./build.sh fuzz --out DIR; default
#   build/campaigns/<targets>-<engine>). The work is in ci/campaign/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
exec python3 "$ROOT/ci/campaign/cli.py" findings "$@"
