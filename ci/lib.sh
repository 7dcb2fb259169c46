# Shared shell helpers for ci/cmd-*.sh and ci/tests/*.sh. Source, don't run.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

die() { echo "$(basename "$0"): $*" >&2; exit 2; }

# The single list of fuzz targets; build, CI and README all read it.
targets() { grep -v '^\s*#' "$ROOT/targets/LIST" | awk 'NF{print $1}'; }

# Test protocol: a suite prints one line per check.
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }

build_all() { make -C "$ROOT" -j"$JOBS" --no-print-directory "$@" all; }
