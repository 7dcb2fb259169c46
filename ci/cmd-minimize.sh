#!/usr/bin/env bash
# what: shrink a failing input to a minimal text reproducer of the same property
# usage: ./build.sh minimize [--target T] [--mask] [-o OUT] FILE
#   Deterministic delta debugging over the op lines of the text form (drop
#   chunks of lines, then single lines), then shrinking every number (0, then
#   halving), then lines again; a candidate counts only if it fails with the
#   SAME property as FILE (the name in "FAIL <property>:"), so the result
#   cannot drift to a different bug. Writes commented text (default
#   build/minimized/<t>/<name>.txt, ready to become a regression) and prints
#   where. With --mask (or a line "# mask: known" in FILE) the known violation
#   classes of ci/known/ are masked throughout, and the result says so in its
#   own "# mask: known" line. Exit 0 written, 1 FILE does not fail, 2 usage error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/fuzz-lib.sh"

usage="usage: ./build.sh minimize [--target T] [--mask] [-o OUT] FILE"
target= out= file= mask=off
while [ $# -gt 0 ]; do
    case $1 in
        --target) [ $# -ge 2 ] || die "--target needs a value ($usage)"; target=$2; shift 2 ;;
        --target=*) target=${1#--target=}; shift ;;
        -o|--out) [ $# -ge 2 ] || die "$1 needs a value ($usage)"; out=$2; shift 2 ;;
        --mask) mask=known; shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        -*) die "unknown option '$1' ($usage)" ;;
        *) [ -z "$file" ] || die "only one FILE ($usage)"; file=$1; shift ;;
    esac
done
[ -n "$file" ] || die "no input file ($usage)"
# FILE must be a regular file: it is read more than once (as text or bytes,
# then by every replay), which a directory, device or pipe cannot serve.
[ -e "$file" ] || die "no such file: $file"
[ ! -d "$file" ] || die "$file is a directory, not an input file"
[ -f "$file" ] || die "$file is not a regular file"
[ -r "$file" ] || die "cannot read $file"
[ -z "$target" ] || is_target "$target" || die "unknown target '$target' (see ./build.sh targets)"
target=${target:-$(infer_target "$file")}
[ -n "$target" ] || die "cannot tell the target of $file (not under corpus/<target>/); use --target"
name=$(basename "$file"); name=${name%.*}
out=${out:-$BUILD/minimized/$target/$name.txt}

# The result is written last, after hundreds of replays: make sure it can be
# written before doing any of them, by doing what the final write does
# (create or append to OUT) and undoing it.
[ ! -d "$out" ] || die "cannot write $out: it is a directory"
outdir=$(dirname -- "$out")
mkdir -p -- "$outdir" 2>/dev/null || die "cannot write $out: cannot create the directory $outdir"
had_out=0
[ -e "$out" ] && had_out=1
if ! err=$( { : >>"$out"; } 2>&1 ); then
    die "cannot write $out: ${err##*: }"
fi
[ $had_out = 1 ] || rm -f -- "$out"

need_target "$target"
family=$(target_family "$target")
optext="$BUILD/tools/optext"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export REPLAY_TIMEOUT=${REPLAY_TIMEOUT:-5}

[ "$(mask_of "$file")" = known ] && mask=known
export REPLAY_MASK=$mask
bin=$(input_bytes "$target" "$file" "$tmp/orig.bin")
orig_verdict=$(replay_verdict "$target" "$bin" "$tmp/out") || true
prop=$(verdict_property "$orig_verdict")
if [ "$prop" = PASS ]; then
    echo "build.sh minimize: $file passes on $target; nothing to minimize" >&2
    exit 1
fi
echo "minimize: $file on $target: $orig_verdict"
echo "minimize: keeping property '$prop'"

# The working set: op lines of the canonical text, comments dropped.
"$optext" --family "$family" to-text "$bin" | sed -e 's/#.*//' -e 's/[[:space:]]*$//' |
    grep -v '^[[:space:]]*$' >"$tmp/cur" || true
ntests=0

# interesting FILE: does this text still fail with $prop?
interesting() {
    ntests=$((ntests + 1))
    "$optext" --family "$family" from-text "$1" "$tmp/cand.bin" 2>/dev/null || return 1
    local v
    v=$(replay_verdict "$target" "$tmp/cand.bin" "$tmp/cand.out") || true
    [ "$(verdict_property "$v")" = "$prop" ]
}

# Line-level delta debugging (ddmin on complements).
ddmin_lines() {
    local n=2 len i chunk start
    len=$(wc -l <"$tmp/cur")
    while [ "$len" -ge 2 ]; do
        chunk=$(((len + n - 1) / n))
        local reduced=0
        for ((i = 0; i < n; i++)); do
            start=$((i * chunk + 1))
            [ "$start" -le "$len" ] || break
            awk -v s="$start" -v e=$((start + chunk - 1)) 'NR < s || NR > e' "$tmp/cur" >"$tmp/try"
            if interesting "$tmp/try"; then
                mv "$tmp/try" "$tmp/cur"
                len=$(wc -l <"$tmp/cur")
                n=$((n > 2 ? n - 1 : 2))
                reduced=1
                break
            fi
        done
        if [ $reduced = 0 ]; then
            [ "$n" -ge "$len" ] && break
            n=$((n * 2 > len ? len : n * 2))
        fi
    done
}

# Number shrinking: each numeric word after the first on each line (NUMBER
# or key=NUMBER), tried as 0, then halved while the property holds (hex
# stays hex).
shrink_numbers() {
    local nl li wi words w v try changed=0 key num
    nl=$(wc -l <"$tmp/cur")
    for ((li = 1; li <= nl; li++)); do
        read -r -a words < <(sed -n "${li}p" "$tmp/cur")
        for ((wi = 1; wi < ${#words[@]}; wi++)); do
            w=${words[$wi]}
            [[ $w =~ ^([A-Za-z_][A-Za-z0-9_]*=)?(0x[0-9a-fA-F]+|[0-9]+)$ ]] || continue
            key=${BASH_REMATCH[1]} num=${BASH_REMATCH[2]}
            [ ${#num} -le 18 ] || continue
            if [[ $num == 0x* ]]; then v=$((num)); else v=$((10#$num)); fi
            [ "$v" -gt 0 ] || continue
            for try in 0 $((v / 2)); do
                while [ "$try" -lt "$v" ]; do
                    local nw=("${words[@]}")
                    if [[ $num == 0x* ]]; then nw[$wi]=$key$(printf '0x%x' "$try"); else nw[$wi]=$key$try; fi
                    awk -v n="$li" -v l="${nw[*]}" 'NR == n {print l; next} {print}' "$tmp/cur" >"$tmp/try"
                    if interesting "$tmp/try"; then
                        mv "$tmp/try" "$tmp/cur"; words=("${nw[@]}"); v=$try; changed=1
                        [ "$try" -eq 0 ] && break
                        try=$((try / 2))
                    else
                        break
                    fi
                done
                [ "$v" -eq 0 ] && break
            done
        done
    done
    return $((changed ? 0 : 1))
}

before=$(wc -l <"$tmp/cur")
interesting "$tmp/cur" || die "internal error: the canonical text of $file does not reproduce '$prop'"
for round in 1 2 3; do
    ddmin_lines
    shrink_numbers || break
done
after=$(wc -l <"$tmp/cur")

"$optext" --family "$family" from-text "$tmp/cur" "$tmp/final.bin"
final_verdict=$(replay_verdict "$target" "$tmp/final.bin" "$tmp/out") || true
[ "$(verdict_property "$final_verdict")" = "$prop" ] ||
    die "internal error: the result does not reproduce '$prop' ($final_verdict)"
mkdir -p "$(dirname "$out")"
{
    echo "# Minimized by ./build.sh minimize from $file (target $target),"
    echo "# $before lines -> $after lines, $ntests candidate runs."
    echo "# $final_verdict"
    echo "# expect: FAIL $prop"
    [ "$mask" = off ] || echo "# mask: known   (found past the known classes of ci/known/)"
    "$optext" --family "$family" to-text "$tmp/final.bin"
} >"$out"
echo "minimize: $before -> $after lines in $ntests runs"
echo "minimize: $final_verdict"
echo "minimize: wrote $out"
