#!/usr/bin/env bash
# what: replay every seed and regression through build/replay/<t>: ./build.sh replay [--target T]
# usage: ./build.sh replay [--target T]
#   Every seed corpus/<t>/*.txt must PASS. Every regression
#   corpus/<t>/regressions/*.txt must give the verdict of its line
#   "# expect: PASS" or "# expect: FAIL <property>" on its own target, and
#   must PASS on <family>-fixed when targets/LIST has that target (so every
#   llsc regression passes on llsc-fixed). A target without a corpus/<t>/
#   directory replays that of the first target built from the same source
#   (bitmap-qemu: bitmap-builtin's), with the same expectations.
#   Prints PASS:/FAIL:/SKIP: lines; exit 1 if any check failed, 2 on a
#   usage error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/fuzz-lib.sh"

usage="usage: ./build.sh replay [--target T]"
only=
while [ $# -gt 0 ]; do
    case $1 in
        --target) [ $# -ge 2 ] || die "--target needs a value ($usage)"; only=$2; shift 2 ;;
        --target=*) only=${1#--target=}; shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        *) die "unknown argument '$1' ($usage)" ;;
    esac
done
[ -z "$only" ] || is_target "$only" || die "unknown target '$only' (see ./build.sh targets)"
mapfile -t all < <(targets)
sel=("${all[@]}")
[ -z "$only" ] || sel=("$only")

# Build what the selected targets (and their <family>-fixed) need, at once.
buildable=() goals=(tools/optext)
for t in "${all[@]}"; do
    [ -z "$(target_missing "$t")" ] || continue
    buildable+=("$t")
    goals+=("replay/$t")
    mapfile -t -O "${#goals[@]}" goals < <(corpus_goals "$t")
done
make_goals "${goals[@]}"
built() { printf '%s\n' "${buildable[@]}" | grep -qx -- "$1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
bad() { fail "$@"; failed=1; }

for t in "${sel[@]}"; do
    if ! built "$t"; then
        skip "replay $t - $(target_missing "$t")"
        continue
    fi
    fam=$(target_family "$t")
    c=$(corpus_owner "$t")
    of=; [ "$c" = "$t" ] || of=" (corpus of $c)"
    fixed="$fam-fixed"
    if ! is_target "$fixed" || [ "$fixed" = "$t" ]; then
        fixed=
    elif ! built "$fixed"; then
        skip "regressions of $t on $fixed - $(target_missing "$fixed")"
        fixed=
    fi
    nseeds=0
    for src in "$ROOT"/corpus/"$c"/*.txt; do
        [ -e "$src" ] || continue
        nseeds=$((nseeds + 1))
        n=${src##*/}; n=${n%.txt}
        v=$(replay_verdict "$t" "$BUILD/corpus/$c/seeds/$n.bin" "$tmp/out") || true
        if [ "$v" = PASS ]; then pass "replay $t seed $n$of"; else bad "replay $t seed $n$of - $v"; fi
    done
    [ "$nseeds" -gt 0 ] || bad "replay $t - no seeds (corpus/$c/*.txt)"
    [ "$c" = "$t" ] || fixed=   # the owner's own run checks <family>-fixed
    for src in "$ROOT"/corpus/"$c"/regressions/*.txt; do
        [ -e "$src" ] || continue
        n=${src##*/}; n=${n%.txt}
        bin="$BUILD/corpus/$c/regressions/$n.bin"
        want=$(expect_of "$src")
        case $want in
            PASS|FAIL\ *) ;;
            *) bad "regression $c/$n - no '# expect: PASS' or '# expect: FAIL <property>' line"; continue ;;
        esac
        # Regressions run unmasked, so each known class still shows, but
        # for one found past them ("# mask: known").
        REPLAY_MASK=$(mask_of "$src")
        v=$(replay_verdict "$t" "$bin" "$tmp/out") || true
        REPLAY_MASK=off
        got=$(verdict_property "$v")
        if [ "$got" = "$(verdict_property "$want")" ]; then
            pass "regression $c/$n gives $want on $t"
        else
            bad "regression $c/$n on $t - expected $want, got: $v"
        fi
        if [ -n "$fixed" ]; then
            v=$(replay_verdict "$fixed" "$bin" "$tmp/out") || true
            if [ "$v" = PASS ]; then pass "regression $c/$n passes on $fixed"
            else bad "regression $c/$n on $fixed - $v"; fi
        fi
    done
done
exit $failed
