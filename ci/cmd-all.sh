#!/usr/bin/env bash
# what: install dependencies and build everything
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bash "$ROOT/ci/deps.sh"
build_all "$@"
echo "build.sh: built everything under $BUILD"
