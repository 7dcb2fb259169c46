# Shared shell helpers for ci/cmd-*.sh and ci/tests/*.sh. Source, don't run.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# Errors name what the user typed: ci/cmd-X.sh runs as "./build.sh X", so
# its errors say "build.sh X: ..."; any other script says its own name.
cmd_name() {
    local who
    who=$(basename "$0")
    case $who in cmd-*.sh) who=${who#cmd-}; who="build.sh ${who%.sh}" ;; esac
    echo "$who"
}
die() { echo "$(cmd_name): $*" >&2; exit 2; }

# The single list of fuzz targets; build, CI and README all read it.
targets() { grep -v '^\s*#' "$ROOT/targets/LIST" | awk 'NF{print $1}'; }

# Test protocol: a suite prints one line per check.
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }

build_all() { make -C "$ROOT" -j"$JOBS" --no-print-directory "$@" all; }

# Runs a command whose descendants may outlive it (afl-fuzz leaves its
# persistent-mode children stopped; a killed engine orphans its jobs): they
# are killed when it ends, or when we die (ci/campaign/procs.py).
reaped() { python3 "$ROOT/ci/campaign/procs.py" run -- "$@"; }
