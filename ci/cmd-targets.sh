#!/usr/bin/env bash
# what: print the fuzz targets, one per line
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 0 ] || die "targets takes no arguments"
targets
