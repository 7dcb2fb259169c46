#!/usr/bin/env bash
# One entry point for everything: ./build.sh [COMMAND] [ARGS...]
#   (none)     install missing Debian packages, build every target and test
#   test       build, then run every test; ends with "N passed, N failed"
#   targets    print the fuzz targets, one per line (from targets/LIST)
#   deps       only install (or print how to install) missing packages
#   help       list every command
# Further commands live in ci/cmd-<command>.sh (repro, minimize, bench, ...).
# With LIB_FUZZING_ENGINE and OUT set (OSS-Fuzz, ClusterFuzzLite), plain
# ./build.sh follows their build contract instead (ci/cmd-oss-fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")"
export ROOT=$PWD

usage() {
    echo "usage: ./build.sh [COMMAND] [ARGS...]"
    echo "commands:"
    printf '  %-13s %s\n' all "install dependencies and build everything (default)"
    for f in ci/cmd-*.sh; do
        n=${f#ci/cmd-}; n=${n%.sh}
        [ "$n" = all ] && continue
        printf '  %-13s %s\n' "$n" "$(sed -n 's/^# what: //p' "$f" | head -n1)"
    done
}

cmd=${1:-all}
[ $# -gt 0 ] && shift
if [ "$cmd" = all ] && [ $# -eq 0 ] && [ -n "${LIB_FUZZING_ENGINE:-}" ] && [ -n "${OUT:-}" ]; then
    cmd=oss-fuzz
fi
case $cmd in
    -h|--help|help) usage; exit 0 ;;
esac
if [ -f "ci/cmd-$cmd.sh" ]; then
    exec bash "ci/cmd-$cmd.sh" "$@"
fi
echo "build.sh: unknown command '$cmd' (try ./build.sh help)" >&2
exit 2
