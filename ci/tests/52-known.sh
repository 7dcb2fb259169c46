#!/usr/bin/env bash
# Known violation classes (ci/known/, issue 15): every listed class still
# shows unmasked on its regression and stops showing masked; a masked input
# goes on past a known violation to the next one (positive control), the
# same verdict in every engine build; fixed never reads a list (negative
# control); a bad list is a usage error; repro and minimize honour
# "# mask: known" and --mask; a masked campaign reports no known class as a
# finding and counts the ones it saw, an unmasked one finds them.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROOT" || exit 1
export HX_NO_BUILD=1 ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=0}
unset LLSC_KNOWN LLSC_KNOWN_STATS
optext=$BUILD/tools/optext

python3 ci/tests/lib/known_lines.py

# A program with a known violation (W10: SC after CLREX) and then another
# (W20: an SC after DMA). With only the first known, the mask must carry the
# input past it to the second.
mkdir -p "$tmp/k1"
echo "clrex-only | sc-without-ll @sc <clrex | W10 | corpus/llsc-v6/regressions/w10-clrex-noop.txt" >"$tmp/k1/v6.txt"
cat >"$tmp/two.txt" <<'PROG'
config cpus=2 hotplug=0 cell=8 mttcg=0 be_host=0 mmu_modes=1 tlb_bits=4 vtlb=2 page_bits=10 history=4 ram0_pages=8 ram0_max_pages=8
ll cpu=0 addr=0x1008 size=4
clrex cpu=0
sc cpu=0 addr=0x1008 size=4 val=0x63
ll cpu=1 addr=0x1010 size=4
dma addr=0x1010 size=4 val=0x2a
sc cpu=1 addr=0x1010 size=4 val=0x64
PROG
"$optext" --family llsc from-text "$tmp/two.txt" "$tmp/two.bin"
v=$(build/replay/llsc-v6 "$tmp/two.bin" 2>&1 | grep -m1 '^FAIL')
[[ $v == "FAIL sc-without-ll: op 3:"* ]] && pass "unmasked: the input ends at the first violation ($v)" ||
    fail "unmasked: expected sc-without-ll at op 3, got '$v'"
out=$(LLSC_KNOWN=$tmp/k1 build/replay/llsc-v6 "$tmp/two.bin" 2>&1)
v=$(grep -m1 '^FAIL' <<<"$out")
[[ $v == "FAIL must-fail-sc: op 6: SC by vCPU1 at 0x1010 succeeded after DMA"* ]] &&
    grep -q '^known (masked): sc-without-ll @sc <clrex \[clrex-only\]: op 3: ' <<<"$out" &&
    pass "masked: the known violation is recorded, the input goes on to the next ($v)" ||
    fail "masked: expected a masked op 3 and must-fail-sc at op 6, got: $(tr '\n' '|' <<<"$out")"
v2=$(LLSC_KNOWN=$tmp/k1 build/replay/llsc-v6 "$tmp/two.bin" 2>&1 | grep -m1 '^FAIL')
[ "$v2" = "$v" ] && pass "masked: the same verdict twice" || fail "masked: '$v' then '$v2'"
for eng in libfuzzer afl; do
    b=$BUILD/$eng/llsc-v6
    [ -x "$b" ] || { fail "masked: $b is not built"; continue; }
    ve=$(LLSC_KNOWN=$tmp/k1 "$b" "$tmp/two.bin" 2>&1 </dev/null | grep -m1 '^FAIL')
    [ "$ve" = "$v" ] && pass "masked: the $eng build gives the same verdict" ||
        fail "masked: the $eng build gives '$ve', replay '$v'"
done
# Both known: the input passes, and each class is counted once in the
# counter file (known.h), however often the program shows it.
cat "$tmp/k1/v6.txt" >"$tmp/k1/both.tmp"
echo "dma | must-fail-sc @sc <dma | W20 | corpus/llsc-v6/regressions/w20-dma.txt" >>"$tmp/k1/both.tmp"
mkdir -p "$tmp/k2" && mv "$tmp/k1/both.tmp" "$tmp/k2/v6.txt"
out=$(LLSC_KNOWN=$tmp/k2 LLSC_KNOWN_STATS=$tmp/stats build/replay/llsc-v6 "$tmp/two.bin" "$tmp/two.bin" 2>&1); rc=$?
counts=$(python3 -c "
import sys; sys.path.insert(0, 'ci/campaign'); import knownstats
for s, (i, n) in sorted(knownstats.read_file('$tmp/stats').items()): print(f'{s}={i}:{n}')")
[ $rc -eq 0 ] && [ "$(grep -c '^PASS' <<<"$out")" -eq 2 ] &&
    [ "$counts" = $'must-fail-sc @sc <dma=dma:2\nsc-without-ll @sc <clrex=clrex-only:2' ] &&
    pass "masked: every violation known, the input passes; counts per class: $(tr '\n' ' ' <<<"$counts")" ||
    fail "masked: both known: rc=$rc, counts '$(tr '\n' ' ' <<<"$counts")', out $(tr '\n' '|' <<<"$out" | cut -c1-300)"

# fixed: never masked. A list for it is not even read (a malformed one
# would be an error), so fixed's seeds pass exactly as unmasked.
mkdir -p "$tmp/k3"
echo "this is not a list" >"$tmp/k3/fixed.txt"
echo "this is not a list" >"$tmp/k3/v6.txt"
out=$(LLSC_KNOWN=$tmp/k3 build/replay/llsc-fixed build/corpus/llsc-fixed/seeds 2>&1); rc=$?
[ $rc -eq 0 ] && ! grep -q 'known (masked)' <<<"$out" &&
    pass "fixed: a list named fixed.txt is never read, its seeds pass" ||
    fail "fixed: rc=$rc: $(tail -n2 <<<"$out" | tr '\n' '|')"
out=$(LLSC_KNOWN=$tmp/k3 build/replay/llsc-v6 "$tmp/two.bin" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "^llsc: $tmp/k3/v6.txt: line 1: want 4 fields" <<<"$out" &&
    pass "a malformed list: exit 2, one line naming the file and the line" ||
    fail "a malformed list: rc=$rc: $(tr '\n' '|' <<<"$out")"
# The mask never changes a verdict on fixed: a regression of fixed with
# every known list of the project.
v=$(LLSC_KNOWN=$ROOT/ci/known build/replay/llsc-fixed build/corpus/llsc-fixed/regressions 2>&1 | tail -n1)
[ "$v" = PASS ] && pass "fixed: its regressions pass with LLSC_KNOWN set" || fail "fixed: $v"

# repro and minimize: "# mask: known" in a text input, --mask for bytes.
{ echo "# mask: known"; cat "$tmp/two.txt"; } >"$tmp/masked.txt"
out=$(LLSC_KNOWN_DIR=$tmp/k1 ./build.sh repro --target llsc-v6 "$tmp/masked.txt" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $(tail -n1 <<<"$out") == "FAIL must-fail-sc: op 6:"* ]] &&
    grep -q "known classes masked" <<<"$out" && grep -q '^known (masked): sc-without-ll' <<<"$out" &&
    pass "repro: a text input with '# mask: known' runs masked (LLSC_KNOWN_DIR), says so" ||
    fail "repro: masked text: rc=$rc: $(tail -n3 <<<"$out" | tr '\n' '|')"
out=$(./build.sh repro --target llsc-v6 "$tmp/masked.txt" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(grep -c '^known (masked): ' <<<"$out")" -eq 2 ] &&
    pass "repro: masked with the project's lists (ci/known/), both classes are known: PASS" ||
    fail "repro: masked with ci/known/: rc=$rc: $(tail -n3 <<<"$out" | tr '\n' '|')"
out=$(LLSC_KNOWN_DIR=$tmp/k1 ./build.sh repro --target llsc-v6 --mask "$tmp/two.bin" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $(tail -n1 <<<"$out") == "FAIL must-fail-sc: op 6:"* ]] &&
    pass "repro: --mask masks bytes too" || fail "repro --mask: rc=$rc: $(tail -n1 <<<"$out")"
out=$(LLSC_KNOWN=$ROOT/ci/known ./build.sh repro --target llsc-v6 "$tmp/two.bin" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $(tail -n1 <<<"$out") == "FAIL sc-without-ll: op 3:"* ]] &&
    pass "repro: unmasked unless asked, whatever LLSC_KNOWN says" ||
    fail "repro unmasked: rc=$rc: $(tail -n1 <<<"$out")"
out=$(LLSC_KNOWN_DIR=$tmp/k1 ./build.sh minimize --target llsc-v6 --mask -o "$tmp/min.txt" "$tmp/two.txt" 2>&1); rc=$?
v=$(LLSC_KNOWN_DIR=$tmp/k1 ./build.sh repro --target llsc-v6 "$tmp/min.txt" 2>&1 | tail -n1)
[ $rc -eq 0 ] && grep -q '^# mask: known' "$tmp/min.txt" && [[ $v == "FAIL must-fail-sc: "* ]] &&
    [ "$(grep -vc '^#' "$tmp/min.txt")" -le 4 ] &&
    pass "minimize --mask: keeps the property past the known class, writes '# mask: known'" ||
    fail "minimize --mask: rc=$rc, verdict '$v': $(tr '\n' '|' <<<"$out" | cut -c1-300)"

# Campaigns: masked by default, --no-mask to turn it off.
camp() { reaped ./build.sh fuzz --targets llsc-v6 --engine libfuzzer --jobs 1 --time 25s \
             --seed 5 --no-minimize "$@" >"$tmp/camp.log" 2>&1; }
camp --out "$tmp/masked"; rc=$?
sigs=$(python3 -c "
import json; db = json.load(open('$tmp/masked/findings/index.json'))
print('\n'.join(r['signature'] for r in db['findings'].values() if r['signature'] != 'not-reproduced'))" 2>/dev/null)
known_hit=$(python3 -c "
import sys; sys.path.insert(0, 'ci/campaign'); import project
p = project.known_patterns('v6')
print('\n'.join(s for s in sys.argv[1].splitlines() if project.known_match(p, s)))" "$sigs")
grep -q "known classes masked" "$tmp/camp.log" && [ -z "$known_hit" ] && [ $rc -le 1 ] &&
    pass "masked campaign: no finding is a known class (findings: $(tr '\n' ',' <<<"$sigs"))" ||
    fail "masked campaign: rc=$rc, known classes reported as findings: $(tr '\n' ',' <<<"$known_hit")"
rows=$(python3 -c "
import sys; sys.path.insert(0, 'ci/campaign'); import knownstats
for r in knownstats.read_campaign('$tmp/masked'): print(r[2], r[4])")
[ -n "$rows" ] && grep -q '^## Known classes' "$tmp/masked/report/report.md" &&
    grep -q "^| llsc-v6 | \`$(head -n1 <<<"$rows" | sed 's/ [0-9]*$//')\`" "$tmp/masked/report/report.md" &&
    pass "masked campaign: the report counts the known classes it saw ($(tr '\n' ',' <<<"$rows"))" ||
    fail "masked campaign: counts '$(tr '\n' ',' <<<"$rows")', report: $(grep -A4 'Known classes' "$tmp/masked/report/report.md" | tr '\n' '|')"
camp --out "$tmp/masked" --no-mask; rc=$?
[ $rc -eq 2 ] && grep -q "with the known-class mask" "$tmp/camp.log" &&
    pass "resuming a masked campaign with --no-mask is refused (exit 2)" ||
    fail "resume with --no-mask: rc=$rc: $(tail -n1 "$tmp/camp.log")"
camp --out "$tmp/unmasked" --no-mask; rc=$?
n=$(./build.sh findings "$tmp/unmasked" 2>/dev/null | grep -cE '^ +[0-9]+  llsc-v6  (sc-without-ll|must-fail-sc|store-wrong-write|sc-wrong-write) ')
[ $rc -eq 1 ] && [ "$n" -ge 1 ] && grep -q '^Not masked' "$tmp/unmasked/report/report.md" &&
    pass "unmasked campaign: known classes are findings again ($n)" ||
    fail "unmasked campaign: rc=$rc, $n known-class findings"
