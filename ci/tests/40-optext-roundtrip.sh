#!/usr/bin/env bash
# Text form round trip, for every seed and regression of every built target
# and for pseudo-random byte strings of every family (fixed seeds):
#   bytes -> text -> bytes must decode to the same ops, i.e. the op lines of
#   to-text(bytes) and to-text(from-text(to-text(bytes))) are equal;
#   and a hand-written seed's op lines must be what its bytes decode to
#   (numbers compared by value), so no written value silently wraps.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
optext="$BUILD/tools/optext"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Op lines only: comments and blank lines dropped, spacing normalized.
oplines() { sed -e 's/#.*//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$1" | grep -v '^$'; }
# ... with every number in decimal.
opnums() { oplines "$1" | perl -pe 's/\b0[xX]([0-9a-fA-F]+)\b/hex($1)/ge; s/\b0+(\d)/$1/g'; }
# onlykeys SRC: stdin's config line cut down to the keys SRC's config line
# writes (a key a seed omits takes what zero header bytes give it).
onlykeys() {
    perl -e 'my %k; open(my $f, "<", $ARGV[0]); while (<$f>) { s/#.*//;
                 if (/^\s*config\s/) { $k{$1} = 1 while /(\w+)=/g; last } }
             while (<STDIN>) { if (/^config\s/ && %k) {
                 my @kv = grep { /^(\w+)=/ && $k{$1} } split;
                 $_ = join(" ", "config", @kv) . "\n" } print }' "$1"
}

# roundtrip FAMILY BYTES NAME
roundtrip() {
    local fam=$1 bin=$2 name=$3
    if ! "$optext" --family "$fam" to-text "$bin" >"$tmp/t1" 2>"$tmp/err"; then
        fail "round trip $name - to-text failed: $(head -n1 "$tmp/err")"; return
    fi
    if ! "$optext" --family "$fam" from-text "$tmp/t1" "$tmp/b2" 2>"$tmp/err"; then
        fail "round trip $name - from-text rejects to-text's output: $(head -n1 "$tmp/err")"; return
    fi
    "$optext" --family "$fam" to-text "$tmp/b2" >"$tmp/t2"
    if [ "$(oplines "$tmp/t1")" != "$(oplines "$tmp/t2")" ]; then
        fail "round trip $name - decodes differently after bytes->text->bytes: $(diff <(oplines "$tmp/t1") <(oplines "$tmp/t2") | sed -n 2p)"
        return
    fi
    [ -n "$(oplines "$tmp/t1")" ] || { fail "round trip $name - empty text"; return; }
    pass "round trip $name"
}

# Families of targets/LIST whose codec optext has (even if no target of
# the family builds yet).
families=()
for fam in $(for t in $(targets); do target_family "$t"; done | sort -u); do
    if "$optext" --family "$fam" to-text /dev/null >/dev/null 2>&1; then families+=("$fam")
    else skip "round trip of $fam inputs - optext has no $fam codec yet"; fi
done
for t in $(targets); do
    [ -z "$(target_missing "$t")" ] || { skip "round trip $t - $(target_missing "$t")"; continue; }
    fam=$(target_family "$t")
    for src in "$ROOT"/corpus/"$t"/*.txt "$ROOT"/corpus/"$t"/regressions/*.txt; do
        [ -e "$src" ] || continue
        rel=${src#"$ROOT"/corpus/"$t"/}; n=${rel%.txt}
        sub=seeds; [[ $rel == regressions/* ]] && { sub=regressions; n=${n#regressions/}; }
        bin="$BUILD/corpus/$t/$sub/$n.bin"
        [ -f "$bin" ] || { fail "round trip $t/$rel - not compiled ($bin missing)"; continue; }
        roundtrip "$fam" "$bin" "$t/$rel"
        "$optext" --family "$fam" to-text "$bin" | onlykeys "$src" >"$tmp/t"
        if [ "$(opnums "$src")" = "$(opnums "$tmp/t")" ]; then
            pass "text of $t/$rel is what its bytes decode to"
        else
            fail "text of $t/$rel is not what its bytes decode to (a value out of range?): $(diff <(opnums "$src") <(opnums "$tmp/t") | grep '^[<>]' | head -n2 | tr '\n' ' ')"
        fi
    done
done

# Pseudo-random inputs, fixed seeds: short, long, and past every size cap.
for fam in "${families[@]}"; do
    ok=0 n=0
    for s in $(seq 1 40) 1000 1001; do
        len=$(( s <= 40 ? (s * 37) % 300 : 20000 ))
        perl -e 'srand($ARGV[0]); print map { chr(int(rand(256))) } 1 .. $ARGV[1]' "$s" "$len" >"$tmp/r.bin"
        out=$(roundtrip "$fam" "$tmp/r.bin" "$fam random seed $s ($len bytes)")
        n=$((n + 1))
        case $out in PASS:*) ok=$((ok + 1)) ;; *) echo "$out" ;; esac
    done
    : >"$tmp/empty.bin"; printf '\377' >"$tmp/one.bin"
    for e in empty one; do
        "$optext" --family "$fam" to-text "$tmp/$e.bin" >/dev/null 2>&1 &&
            "$optext" --family "$fam" to-text "$tmp/$e.bin" | "$optext" --family "$fam" from-text >/dev/null 2>&1 &&
            ok=$((ok + 1))
        n=$((n + 1))
    done
    if [ $ok -eq $n ]; then pass "round trip of $n random/edge $fam inputs"
    else fail "round trip of random $fam inputs - $((n - ok)) of $n failed"; fi
done
[ ${#families[@]} -gt 0 ] || fail "round trip - optext knows no family"
