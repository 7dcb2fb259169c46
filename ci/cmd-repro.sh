#!/usr/bin/env bash
# what: print an input as text, run it, end with its verdict: ./build.sh repro [--target T] FILE...
# usage: ./build.sh repro [--target T] [--mask] FILE...
#   FILE is a text input (.txt) or raw bytes (anything else). --mask masks
#   the known violation classes of ci/known/ (as a masked campaign does); a
#   text input with a line "# mask: known" is always run masked. Without
#   --target, the target is taken from the file's place: corpus/<t>/...,
#   build/corpus/<t>/..., build/findings/<t>/... or build/minimized/<t>/...
#   Each file ends with a verdict line, PASS or "FAIL <property>: op <n>: ...".
#   Exit 0 if every file passes, 1 on any violation, 2 on a usage error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/fuzz-lib.sh"

usage="usage: ./build.sh repro [--target T] [--mask] FILE..."
target= mask=off
files=()
while [ $# -gt 0 ]; do
    case $1 in
        --target) [ $# -ge 2 ] || die "--target needs a value ($usage)"; target=$2; shift 2 ;;
        --target=*) target=${1#--target=}; shift ;;
        --mask) mask=known; shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        --) shift; files+=("$@"); break ;;
        -*) die "unknown option '$1' ($usage)" ;;
        *) files+=("$1"); shift ;;
    esac
done
[ ${#files[@]} -gt 0 ] || die "no input file ($usage)"
[ -z "$target" ] || is_target "$target" || die "unknown target '$target' (see ./build.sh targets)"

# Check every file and its target before running anything. An input must be
# a regular file: it is read more than once (as text or bytes, then by the
# replay), which a directory, device or pipe cannot serve.
targets_of=()
for f in "${files[@]}"; do
    [ -e "$f" ] || die "no such file: $f"
    [ ! -d "$f" ] || die "$f is a directory, not an input file (give its files: ${f%/}/*)"
    [ -f "$f" ] || die "$f is not a regular file"
    [ -r "$f" ] || die "cannot read $f"
    t=${target:-$(infer_target "$f")}
    [ -n "$t" ] || die "cannot tell the target of $f (not under corpus/<target>/); use --target"
    targets_of+=("$t")
done
for t in $(printf '%s\n' "${targets_of[@]}" | sort -u); do need_target "$t"; done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for i in "${!files[@]}"; do
    f=${files[$i]} t=${targets_of[$i]}
    bin=$(input_bytes "$t" "$f" "$tmp/input.bin")
    echo "== $f (target $t)"
    "$BUILD/tools/optext" --family "$(target_family "$t")" to-text "$bin"
    REPLAY_MASK=$mask
    [ "$(mask_of "$f")" = known ] && REPLAY_MASK=known
    if [ "$REPLAY_MASK" = known ]; then
        echo "-- run: build/replay/$t, known classes masked (ci/known/)"
    else
        echo "-- run: build/replay/$t"
    fi
    rc=0
    verdict=$(replay_verdict "$t" "$bin" "$tmp/out") || rc=$?
    [ "$rc" -eq 2 ] && { cat "$tmp/out" >&2; exit 2; }
    grep -v -x -F -e "$verdict" -e PASS "$tmp/out" | grep -v '^Running: ' || true
    echo "$verdict"
    [ "$verdict" = PASS ] || status=1
done
exit $status
