#!/usr/bin/env bash
# Opcode names in sync: for every family, the C enum of opcodes and the text
# name table agree (the text name of PREFIX_FOO_BAR is "foo_bar", one name per
# opcode, no name for anything else); for the bitmap family also that every
# text name compiles to its enum value as the opcode byte.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
optext="$BUILD/tools/optext"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# family  enum header            name table source       enum prefix  sentinel
checks="bitmap harness/bitmap_ops.h harness/bitmap_ops.c HX_BM_OP_ COUNT
llsc harness/llsc_ops.h harness/llsc_ops.c LOP_ N
race harness/race_ops.h harness/race_ops.c ROP_ N"

while read -r fam hdr src prefix sentinel; do
    if [ ! -f "$ROOT/$hdr" ] || [ ! -f "$ROOT/$src" ]; then
        skip "opcode names $fam - $hdr or $src not there yet"; continue
    fi
    # enum entries in order (the sentinel last)
    perl -ne 'print "$1\n" if /^\s*'"$prefix"'([A-Z0-9_]+)\s*(=\s*[^,]*)?\s*(,|$|\/)/' "$ROOT/$hdr" >"$tmp/enum"
    perl -0ne 'while (/\['"$prefix"'([A-Z0-9_]+)\]\s*=\s*\{?\s*"([^"]*)"/g) { print "$1 $2\n" }' \
        "$ROOT/$src" >"$tmp/names"
    if [ "$(tail -n1 "$tmp/enum")" != "$sentinel" ]; then
        fail "opcode names $fam - enum in $hdr does not end with ${prefix}$sentinel"; continue
    fi
    sed -i '$d' "$tmp/enum"
    n=$(wc -l <"$tmp/enum")
    [ "$n" -gt 0 ] || { fail "opcode names $fam - no ${prefix}* enum entries in $hdr"; continue; }
    bad=0
    while read -r e; do
        want=$(tr 'A-Z' 'a-z' <<<"$e")
        got=$(awk -v e="$e" '$1 == e {print $2}' "$tmp/names")
        if [ "$(grep -c . <<<"$got")" -ne 1 ]; then
            fail "opcode names $fam - ${prefix}$e has $(grep -c . <<<"$got") text names in $src"; bad=1
        elif [ "$got" != "$want" ]; then
            fail "opcode names $fam - ${prefix}$e is named '$got', expected '$want'"; bad=1
        fi
    done <"$tmp/enum"
    while read -r e _; do
        grep -qx "$e" "$tmp/enum" || { fail "opcode names $fam - name for unknown ${prefix}$e in $src"; bad=1; }
    done <"$tmp/names"
    [ $bad = 1 ] || pass "opcode names $fam - $n enum entries match the text names"
done <<<"$checks"

# bitmap: name i compiles to opcode byte i (byte 2, after the 2-byte header).
if [ -x "$optext" ] && [ -f "$ROOT/harness/bitmap_ops.h" ]; then
    i=0 bad=0
    for name in $(perl -ne 'print lc($1), "\n" if /^\s*HX_BM_OP_([A-Z0-9_]+)\s*,/ && $1 ne "COUNT"' "$ROOT/harness/bitmap_ops.h"); do
        ok=0
        for args in "1" "1 1" "64"; do
            if printf 'nbits 64\n%s %s\n' "$name" "$args" | "$optext" --family bitmap from-text - "$tmp/b" 2>/dev/null; then
                ok=1; break
            fi
        done
        byte=$(od -An -tu1 -j2 -N1 "$tmp/b" 2>/dev/null | tr -d ' ')
        if [ $ok = 0 ]; then fail "opcode bytes bitmap - '$name' does not compile"; bad=1
        elif [ "$byte" != "$i" ]; then fail "opcode bytes bitmap - '$name' compiles to opcode $byte, enum says $i"; bad=1
        fi
        i=$((i + 1))
    done
    [ $bad = 1 ] || pass "opcode bytes bitmap - all $i names compile to their enum value"
else
    fail "opcode bytes bitmap - optext or harness/bitmap_ops.h missing"
fi
