#!/usr/bin/env bash
# what: fetch Debian's QEMU source package (apt-get source qemu) into .cache/qemu and print its version
# usage: ./build.sh qemu-src [--refresh]
#   Uses a private apt directory (.cache/qemu/apt: its own sources list with
#   deb-src entries derived from the system's deb entries, its own lists and
#   cache); nothing system-wide changes. The unpacked tree is .cache/qemu/src
#   (outside git). A second run only prints the version; --refresh fetches
#   the newest source package again. QEMU_SRC=/some/tree overrides the cached
#   tree everywhere else (ci/qemu.sh, mk/qemu.mk); it is not touched here.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/qemu.sh"

refresh=0
for a in "$@"; do
    case $a in
        --refresh) refresh=1 ;;
        *) die "usage: ./build.sh qemu-src [--refresh]" ;;
    esac
done

cache=$QEMU_CACHE
if [ $refresh -eq 0 ] && qemu_tree_ok "$cache/src"; then
    echo "qemu-src: cached tree $cache/src"
    echo "qemu-src: $(qemu_version "$cache/src")"
    exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: cannot fetch the QEMU source package"
command -v dpkg-source >/dev/null || die "dpkg-source not found (package dpkg-dev): run ./build.sh deps"

apt=$cache/apt
mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$apt/lists/partial" \
         "$apt/cache/archives/partial"

# deb-src twins of the system's deb entries (deb822 *.sources and one-line
# sources.list), so a mirror or proxy set up for the machine is used as is.
: >"$apt/etc/sources.list"
rm -f "$apt/etc/sources.list.d/"*.sources
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t\n]|$)/ {
             gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' \
        "$f" >"$apt/etc/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$apt/etc/sources.list"
done
if ! grep -qs . "$apt/etc/sources.list" "$apt/etc/sources.list.d/"*.sources; then
    key=/usr/share/keyrings/debian-archive-keyring.gpg
    cat >"$apt/etc/sources.list" <<SRC
deb-src [signed-by=$key] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$key] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
SRC
fi

aptopts=(-o "Dir::Etc::SourceList=$apt/etc/sources.list"
         -o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
         -o "Dir::Etc::Preferences=$apt/etc/preferences"
         -o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
         -o "Dir::State::Lists=$apt/lists"
         -o "Dir::Cache=$apt/cache"
         -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
         -o "APT::Sandbox::User=root")

start=$SECONDS
echo "qemu-src: updating the private source lists ($apt)"
apt-get "${aptopts[@]}" -qq update >&2 || die "apt-get update (private source lists) failed"
dl=$cache/dl.tmp
rm -rf "$dl"
mkdir -p "$dl"
echo "qemu-src: apt-get source qemu"
(cd "$dl" && apt-get "${aptopts[@]}" source qemu >apt-get-source.log 2>&1) || {
    tail -n 20 "$dl/apt-get-source.log" >&2
    die "apt-get source qemu failed"
}
ver=$(sed -n 's/^Version: //p' "$dl"/qemu_*.dsc | head -n1)
[ -n "$ver" ] || die "apt-get source qemu left no .dsc with a Version in $dl"
tree=$(find "$dl" -mindepth 2 -maxdepth 2 -path '*/util' -printf '%h\n' | head -n1)
[ -n "$tree" ] && qemu_tree_ok "$tree" || die "apt-get source left no QEMU tree with util/bitmap.c in $dl"
echo "$ver" >"$tree/.debian-version"

# Swap in the new tree; the build notices the change (mk/qemu.mk stamps the
# source path and version into the object directory name).
rm -rf "$cache/dl.old"
[ -d "$cache/dl" ] && mv "$cache/dl" "$cache/dl.old"
mv "$dl" "$cache/dl"
ln -sfn "dl/${tree#"$dl"/}" "$cache/src"
rm -rf "$cache/dl.old"
echo "qemu-src: fetched and unpacked in $((SECONDS - start))s into $cache/src"
echo "qemu-src: $(qemu_version "$cache/src")"
