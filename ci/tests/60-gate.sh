#!/usr/bin/env bash
# 60-gate.sh - the stress binaries' command-line contract and the short tier
# of the race gate (./build.sh gate --tier short: every control of
# ci/gate/expectations on its short budget, no replay, no fuzz smoke),
# including its rows on the qemu bitmap backend (issue 5): KNOWN for findings
# of ci/qemu-findings.txt, FAIL for a new one, SKIP without a QEMU tree.
# Its reports as CI shows them (issue 12): one table of at most 120 columns,
# the JUnit file valid against ci/gate/junit_schema.py (which must reject
# broken files), KNOWN and INFO rows marked, gate.md fit for a pull-request
# comment, and a gate made to fail whose failures carry their report and log.
# Budget: under 1 minute on 2 cores. Expects `make all` to have run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/ci/lib.sh"
cd "$ROOT"
. "$ROOT/ci/gate/lib.sh"
logs=$BUILD/test-logs/60-gate
rm -rf "$logs"
mkdir -p "$logs"

# ---- bad input: one line on stderr, nothing on stdout, exit 2 --------------
bad() {
    local name=$1 out err rc n
    shift
    err=$(mktemp)
    out=$("$@" 2>"$err")
    rc=$?
    n=$(grep -c . "$err")
    if [ $rc -eq 2 ] && [ "$n" -eq 1 ] && [ -z "$out" ]; then
        pass "bad input: $name"
    else
        fail "bad input: $name - exit $rc, $n stderr line(s), stdout '$(head -c 100 <<<"$out")': $(head -c 200 "$err")"
    fi
    rm -f "$err"
}
for w in bitmap llsc hotplug; do
    for cfg in tsan stress; do
        [ -x "$BUILD/$cfg/stress-$w" ] || { fail "build: $BUILD/$cfg/stress-$w missing"; continue; }
    done
done
b=$BUILD/stress/stress-llsc
bad "stress-llsc unknown variant" "$b" --variant v9
bad "stress-llsc zero threads" "$b" --threads 0
bad "stress-llsc negative seconds" "$b" --seconds -1
bad "stress-llsc negative iterations" "$b" --iterations -5
bad "stress-llsc seconds and iterations" "$b" --seconds 1 --iterations 5
bad "stress-llsc unknown option" "$b" --colour red
bad "stress-bitmap wrong backend" "$BUILD/stress/stress-bitmap" --backend nosuch
bad "stress-hotplug too many threads" "$BUILD/stress/stress-hotplug" --threads 32
bad "./build.sh stress unknown workload" bash ci/cmd-stress.sh --target nosuch
bad "./build.sh stress unknown variant" bash ci/cmd-stress.sh --variant v9
bad "./build.sh stress zero threads" bash ci/cmd-stress.sh --threads 0
bad "./build.sh stress negative seconds" bash ci/cmd-stress.sh --seconds -2
bad "./build.sh gate unknown tier" bash ci/cmd-gate.sh --tier huge
bad "./build.sh stress unknown backend" bash ci/cmd-stress.sh --backend nosuch
bad "./build.sh stress --backend qemu, QEMU_SRC not a tree" env QEMU_SRC=/nonexistent bash ci/cmd-stress.sh --backend qemu
bad "./build.sh stress --backend qemu, no QEMU tree" env -u QEMU_SRC QEMU_CACHE=/nonexistent bash ci/cmd-stress.sh --backend qemu
bad "./build.sh gate, QEMU_SRC not a tree" env QEMU_SRC=/nonexistent bash ci/cmd-gate.sh --tier short

# ---- the run contract: seed first, one verdict line echoing every parameter,
# per-thread iterations exactly --------------------------------------------
out=$("$BUILD/stress/stress-bitmap" --variant fixed --threads 3 --iterations 5000 --seed 99 2>&1)
rc=$?
first=$(head -n 1 <<<"$out") last=$(tail -n 1 <<<"$out")
if [ $rc -eq 0 ] && [ "$first" = "stress bitmap: seed=99" ] &&
   [ "$last" = "stress bitmap: variant=fixed backend=builtin threads=3 iterations=5000 seed=99: SUCCESS" ] &&
   grep -q '^stress bitmap: ops=15000 ' <<<"$out"; then
    pass "stress contract: seed first, verdict echoes parameters, 3x5000 ops"
else
    fail "stress contract: exit $rc, first '$first', last '$last'"
fi
out=$("$BUILD/stress/stress-llsc" --variant fixed --threads 2 --seconds 0.3 2>&1)
seed=$(sed -n '1s/^stress llsc: seed=\([0-9]*\)$/\1/p' <<<"$out")
if [ -n "$seed" ] && tail -n 1 <<<"$out" | grep -qx "stress llsc: variant=fixed backend=builtin threads=2 seconds=0.3 mix=dma,mmio,protect,alias,plug,overlap seed=$seed: SUCCESS"; then
    pass "stress contract: a picked seed is printed first and echoed"
else
    fail "stress contract: picked seed: $(head -n 1 <<<"$out") / $(tail -n 1 <<<"$out")"
fi

# ---- ./build.sh stress --backend qemu runs the binary on QEMU's code --------
qtree=$(qemu_src 2>/dev/null)
if [ -n "$qtree" ]; then
    out=$(bash ci/cmd-stress.sh --backend qemu --target llsc --variant fixed --threads 2 --iterations 2000 --seed 7 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && grep -qx 'stress llsc: variant=fixed backend=qemu threads=2 iterations=2000 mix=dma,mmio,protect,alias,plug,overlap seed=7: SUCCESS' <<<"$out"; then
        pass "./build.sh stress --backend qemu runs build/tsan/stress-llsc-qemu on $(qemu_version "$qtree")"
    else
        fail "./build.sh stress --backend qemu - exit $rc: $(tail -n 2 <<<"$out" | tr '\n' ' ' | cut -c1-200)"
    fi
else
    skip "./build.sh stress --backend qemu - no QEMU source tree (./build.sh qemu-src, or set QEMU_SRC)"
fi

# ---- the short tier of the gate --------------------------------------------
bash ci/cmd-gate.sh --tier short | tee "$logs/gate.out"
rc=${PIPESTATUS[0]}
G=$BUILD/gate
for f in gate.md junit.xml; do
    if [ -s "$G/$f" ] && grep -q 'W1-v6-cell-byte' "$G/$f" && grep -q 'qemu-fixed-bitmap' "$G/$f"; then
        pass "gate wrote build/gate/$f, with the builtin and the qemu rows"
    else
        fail "gate wrote build/gate/$f - missing, or without the builtin or the qemu controls"
    fi
done
[ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "gate exit $rc (want 0 or 1)"

# The qemu rows: with a tree they ran (PASS, KNOWN or FAIL, never SKIP), and
# the Markdown and the JUnit XML agree on each one's result.
# How a CI reads each testcase: PASS, FAIL, SKIP, or the KNOWN / INFO its
# <skipped> message starts with.
junit_results() {
    python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
for tc in ET.parse(sys.argv[1]).iter("testcase"):
    f, s = tc.find("failure"), tc.find("skipped")
    if f is not None:
        r = "FAIL"
    elif s is not None:
        m = s.get("message", "")
        r = m.split(":")[0] if m.startswith(("KNOWN:", "INFO:")) else "SKIP"
    else:
        r = "PASS"
    print(tc.get("name"), r)
PY
}
junit_results "$G/junit.xml" >"$logs/junit-results.txt"
qrows=$(gate_rows | awk '$3 ~ /:qemu$/ {print $1}')
for r in $qrows; do
    md=$(grep -m1 "^| $r | " "$G/gate.md" | awk -F'|' '{gsub(/[ *]/, "", $3); print $3}')
    xml=$(awk -v r="$r" '$1 == r {print $2}' "$logs/junit-results.txt")
    if [ -z "$md" ] || [ "$md" != "$xml" ]; then
        fail "gate qemu row $r - gate.md says '${md:-nothing}', junit.xml '${xml:-nothing}'"
    elif [ -n "$qtree" ] && [ "$md" = SKIP ]; then
        fail "gate qemu row $r - skipped although the QEMU tree $qtree is there"
    elif [ -z "$qtree" ] && [ "$md" != SKIP ]; then
        fail "gate qemu row $r - $md without a QEMU tree (want SKIP)"
    else
        pass "gate qemu row $r - $md in gate.md and junit.xml"
    fi
done
[ -n "$qrows" ] || fail "gate qemu rows - ci/gate/expectations has no row on the qemu backend"

# The lookup decides: TSan reports on QEMU's code (the qemu-fixed-bitmap
# run's own log, judged as the gate does; else the log of the bm_race
# reproducer of a recorded finding, through the same lookup) are KNOWN with
# ci/qemu-findings.txt and fail once their line is taken out.
lookup() {   # prints "<fired> <observed>"
    if [ "$src" = gate ]; then
        gate_classify qemu-known bitmap 66 "$tlog"
        echo "$G_FIRED $G_OBS"
    else
        gate_qemu_tsan "$tlog"
        if [ -n "$GQ_NEW" ]; then echo "1 NEW finding(s), not in $GQ_FILE: $GQ_NEW"
        elif [ -n "$GQ_IDS" ]; then echo "0 KNOWN: $GQ_IDS"
        else echo "0 clean"; fi
    fi
}
if [ -n "$qtree" ]; then
    tlog=$G/logs/qemu-fixed-bitmap.0.log src=gate what="the gate's qemu-fixed-bitmap run"
    if [ -z "$(qemu_tsan_keys "$tlog" 2>/dev/null)" ]; then
        tlog=$logs/bm_race.log src=bm_race what="bm_race set-atomic-vs-set-bit"
        "$BUILD/tsan/qemu-tests/bm_race" set-atomic-vs-set-bit >"$tlog" 2>&1
    fi
    with=$(lookup)
    k=$(qemu_tsan_keys "$tlog" | awk '{print $2; exit}')
    grep -vE "\| *$k *(\||,)" "$ROOT/ci/qemu-findings.txt" >"$logs/findings-minus.txt"
    without=$(GATE_QEMU_FINDINGS=$logs/findings-minus.txt GQ_FILE=findings-minus.txt; GQ_KNOWN=(); lookup)
    if [ -z "$k" ]; then
        fail "gate qemu lookup - no TSan report on QEMU's code in $tlog"
    elif [[ $with == "0 KNOWN: "* ]] && [[ $without == "1 NEW finding(s), not in findings-minus.txt: $k "* ]]; then
        pass "gate qemu lookup - $what: ${with#0 }; without its line in ci/qemu-findings.txt it fails: ${without#1 }"
    else
        fail "gate qemu lookup - $what: with the file '$with', without $k: '$without'"
    fi
fi

# Without a QEMU tree every qemu row is SKIP, one line each, and the gate
# decides on the rest (exit 0 here); --require-qemu turns them into FAIL.
for req in "" --require-qemu; do
    out=$(env -u QEMU_SRC QEMU_CACHE=/nonexistent GATE_OUT="$logs/no-qemu" \
          bash ci/cmd-gate.sh --tier short --only '^qemu-fixed-(llsc|hotplug)$' $req 2>&1)
    rc=$?
    if [ -z "$req" ]; then want=SKIP wrc=0 wskip=2; else want=FAIL wrc=1 wskip=0; fi
    n=$(grep -cE "^$want: +qemu-fixed-[a-z]+ .*backend qemu: no QEMU source tree" <<<"$out")
    if [ $rc -eq $wrc ] && [ "$n" -eq 2 ] && grep -q "skipped=\"$wskip\"" "$logs/no-qemu/junit.xml"; then
        pass "gate without a QEMU tree${req:+ $req}: the qemu rows are $want, one line each (exit $rc)"
    else
        fail "gate without a QEMU tree${req:+ $req}: exit $rc (want $wrc), $n $want line(s) (want 2): $(grep -m1 -E '^(FAIL|SKIP|PASS):' <<<"$out" | cut -c1-150)"
    fi
done
# ---- the reports as CI shows them (issue 12) --------------------------------
# One table: every control on exactly one line of the gate's output, and no
# line over 120 columns.
n_rows=$(gate_rows | wc -l)
once=0 not_once=""
for r in $(gate_rows | awk '{print $1}'); do
    c=$(grep -cE "^[A-Z]+: +$r( |$)" "$logs/gate.out")
    if [ "$c" -eq 1 ]; then once=$((once + 1)); else not_once+=" $r($c)"; fi
done
wide=$(awk 'length($0) > 120 { n++ } END { print n + 0 }' "$logs/gate.out")
if [ "$once" -eq "$n_rows" ] && [ "$wide" -eq 0 ]; then
    pass "gate output: one table, each of the $n_rows controls on one line, none over 120 columns"
else
    fail "gate output: controls not on exactly one line:${not_once:- none}; $wide line(s) over 120 columns"
fi
# The JUnit file against the schema, and the schema against broken files.
if out=$(python3 ci/gate/junit_schema.py "$G/junit.xml" 2>&1); then
    pass "gate junit.xml is valid JUnit (ci/gate/junit_schema.py)"
else
    fail "gate junit.xml against the schema: $(head -n 3 <<<"$out" | tr '\n' '|')"
fi
cat >"$logs/junit-good.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="s" tests="2" failures="1" errors="0" skipped="0" time="1.5">
  <testsuite name="s" tests="2" failures="1" errors="0" skipped="0" time="1.5">
    <properties><property name="seed" value="1"/></properties>
    <testcase name="a" classname="c" time="0.5"><system-out>x</system-out></testcase>
    <testcase name="b" classname="c" time="1"><failure message="m" type="t">r</failure></testcase>
  </testsuite>
</testsuites>
EOF
if out=$(python3 ci/gate/junit_schema.py "$logs/junit-good.xml" 2>&1); then
    pass "junit schema: accepts a well-formed file (positive control)"
else
    fail "junit schema: rejects a good file: $(head -n 2 <<<"$out" | tr '\n' '|')"
fi
# broken NAME SED-SCRIPT PROBLEM: the good file, edited, is refused for PROBLEM.
broken() {
    local out rc
    sed -e "$2" "$logs/junit-good.xml" >"$logs/junit-$1.xml"
    out=$(python3 ci/gate/junit_schema.py "$logs/junit-$1.xml" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && [[ $out == *"$3"* ]]; then
        pass "junit schema rejects $1: $(grep -m1 -F -- "$3" <<<"$out" | sed 's/^[^ ]* //')"
    else
        fail "junit schema: $1 - exit $rc (want 1), want '$3': $(head -n 2 <<<"$out" | tr '\n' '|')"
    fi
}
broken failure-without-message 's/<failure message="m" /<failure /' '<failure> lacks the attribute message'
broken failure-without-type 's/ type="t"//' '<failure> lacks the attribute type'
broken testcase-without-classname 's/name="a" classname="c"/name="a"/' '<testcase> lacks the attribute classname'
broken time-not-a-number 's/time="0.5"/time="soon"/' 'time="soon" is not a valid value'
broken tests-miscounted '3s/tests="2"/tests="3"/' 'says tests="3", its testcases give 2'
broken unknown-element 's|<system-out>x</system-out>|<result>x</result>|' 'unknown element <result>'
broken properties-after-testcases '4d; 6a\    <properties/>' '<properties> out of order or too many in <testsuite>'
broken bare-testsuite-root '2d; $d' 'the root is <testsuite>, not <testsuites>'
broken text-in-a-testcase 's|time="0.5">|time="0.5">stray text|' '<testcase> holds text'
broken not-well-formed 's|</testsuites>||' 'not well-formed XML'
# How a CI shows the rows: KNOWN and INFO are <skipped> with a message that
# says so; every other row is its result; gate.md says the same.
marked=0 mism=""
while read -r name rest; do
    want=$(grep -m1 "^| $name | " "$G/gate.md" | awk -F'|' '{gsub(/[ *]/, "", $3); print $3}')
    got=$(awk -v r="$name" '$1 == r {print $2}' "$logs/junit-results.txt")
    if [ -n "$want" ] && [ "$want" = "$got" ]; then marked=$((marked + 1)); else mism+=" $name(md $want, junit $got)"; fi
done < <(gate_rows)
kinds=$(awk '{print $2}' "$logs/junit-results.txt" | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')
if [ "$marked" -eq "$n_rows" ] && grep -q ' INFO$' "$logs/junit-results.txt" &&
   { [ -z "$qtree" ] || grep -q ' KNOWN$' "$logs/junit-results.txt"; }; then
    pass "gate junit.xml and gate.md agree on every row; KNOWN and INFO rows are skipped with their reason (${kinds%, })"
else
    fail "gate rows as CI shows them:${mism:- agree}; results: ${kinds%, } (want INFO, and KNOWN with a QEMU tree)"
fi
# gate.md fits a pull-request comment: under GitHub's 65536 characters,
# narrow cells, every control once in the main table.
size=$(wc -c <"$G/gate.md")
widest=$(awk -F'|' '/^\|/ { for (i = 2; i < NF; i++) if (length($i) > w) w = length($i) } END { print w + 0 }' "$G/gate.md")
inmain=$(awk '/^\| control \| result /,/^$/' "$G/gate.md" | grep -c '^| [^-]')
if [ "$size" -lt 60000 ] && [ "$widest" -le 66 ] && [ "$inmain" -eq $((n_rows + 1)) ]; then
    pass "gate.md fits a comment: $size bytes, widest cell $widest characters, $n_rows controls in its table"
else
    fail "gate.md: $size bytes (limit 60000), widest cell $widest (limit 66), $((inmain - 1)) of $n_rows controls in its table"
fi

# A gate made to fail (its own expectations): a negative control that TSan
# reports, a positive that cannot fire (two tries), an INFO row, a clean one.
cat >"$logs/fail-expect" <<'EOF'
v8-llsc-must-be-clean negative tsan   llsc    v8      4  3  2  1  clean
fixed-must-lose       positive stress llsc    fixed   2  1  1  2  lost-update
v6st-info             info     stress llsc    v6-st   2  1  1  1  clean
fixed-ok              negative stress bitmap  fixed   2  1  1  1  clean
EOF
F=$logs/failing
GATE_EXPECT=$logs/fail-expect GATE_OUT=$F bash ci/cmd-gate.sh --tier short --seed 11 >"$logs/failing.out" 2>&1
rc=$?
msgs=$(python3 - "$F/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
for tc in ET.parse(sys.argv[1]).iter("testcase"):
    f = tc.find("failure")
    if f is not None:
        print("@@", tc.get("name"))
        print(f.get("message"))
PY
)
tsan_msg=$(awk '/^@@ v8-llsc-must-be-clean$/ {on = 1; next} /^@@/ {on = 0} on' <<<"$msgs")
pos_msg=$(awk '/^@@ fixed-must-lose$/ {on = 1; next} /^@@/ {on = 0} on' <<<"$msgs")
tlog=$(sed -n 's/^log: \([^ ]*\).*/\1/p' <<<"$tsan_msg")
plog=$(sed -n 's/^log: \([^ ]*\).*/\1/p' <<<"$pos_msg")
at_root() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
if [ $rc -eq 1 ] && python3 ci/gate/junit_schema.py "$F/junit.xml" >/dev/null &&
   grep -q '^WARNING: ThreadSanitizer: ' <<<"$tsan_msg" && [ -f "$(at_root "$tlog")" ] &&
   grep -q 'WARNING: ThreadSanitizer' "$(at_root "$tlog")"; then
    pass "failing gate: the TSan row's failure message has the report's first lines and its log ($tlog)"
else
    fail "failing gate: exit $rc; TSan row message: $(head -n 5 <<<"$tsan_msg" | tr '\n' '|' | cut -c1-300)"
fi
if grep -qE '^stress llsc: variant=fixed .*: SUCCESS$' <<<"$pos_msg" && [ -f "$(at_root "$plog")" ] &&
   [[ $plog == *fixed-must-lose.1.log ]]; then
    pass "failing gate: the positive that did not fire shows its verdict and its last try's log ($plog)"
else
    fail "failing gate: positive row message: $(head -n 5 <<<"$pos_msg" | tr '\n' '|' | cut -c1-300)"
fi
nd=$(grep -c '^<details><summary>FAIL ' "$F/gate.md")
if [ "$nd" -eq 2 ] && grep -q '^### Race gate: FAIL' "$F/gate.md" &&
   grep -qF "log $tlog" "$logs/failing.out" && grep -qF "log $plog" "$logs/failing.out" &&
   [ "$(awk 'length($0) > 120' "$logs/failing.out" | wc -l)" -eq 0 ]; then
    pass "failing gate: gate.md folds each failure's report under <details>; the terminal names each log"
else
    fail "failing gate: $nd <details> in gate.md (want 2); terminal: $(grep -A2 'What failed' "$logs/failing.out" | tr '\n' '|' | cut -c1-200)"
fi
exit 0
