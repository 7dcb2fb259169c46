#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs. As root it runs apt-get
# itself; otherwise it prints the exact command and exits 2.
#   make gcc libc6-dev            gcc builds
#   clang llvm libclang-rt-14-dev clang, libFuzzer, sanitizer runtimes, llvm-symbolizer
#   afl++                         afl-clang-fast, afl-fuzz, libAFLDriver.a
#   libglib2.0-dev pkg-config     QEMU's util/bitmap.c needs glib (qemu backend)
#   dpkg-dev xz-utils             apt-get source qemu
#   python3                       the campaign runner, triage, reports (ci/campaign/)
#   gnuplot-nox                   the report's plots
# With the argument "test" (./build.sh test), also:
#   chromium                      renders the campaign report headless (a test)
set -euo pipefail
PKGS=(make gcc libc6-dev clang llvm libclang-rt-14-dev afl++
      libglib2.0-dev pkg-config dpkg-dev xz-utils ca-certificates python3 gnuplot-nox)
[ "${1:-}" != test ] || PKGS+=(chromium)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
    echo "build.sh: missing packages: ${missing[*]}" >&2
    echo "build.sh: run as root: $line" >&2
    exit 2
fi
log=${TMPDIR:-/tmp}/llsc-harness-apt.log
echo "build.sh: installing ${missing[*]} (log: $log)" >&2
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "build.sh: apt-get failed; run as root: $line" >&2
    exit 2
fi
