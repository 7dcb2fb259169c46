#!/usr/bin/env bash
# ./build.sh fuzz --until-first: one engine, one target, its own folder; exit
# 0 without a finding, 1 with one (verdict, repro and minimize commands), the
# same seed finding the same input again; both engines on a broken bitmap
# backend.
# ./build.sh fuzz (the campaign), in short runs: it keeps going past
# findings on a weak variant, shows live figures of both engines, triages
# and deduplicates into readable reproducers, writes a report with plots;
# kill -9 of the runner leaves nothing running and loses nothing, and the
# same command resumes; SIGTERM and Ctrl-C stop everything, write the
# report and exit 128+N; a second runner on the same folder is refused;
# findings, adopt, report, corpus-merge; the HTML report renders in
# headless Chromium, images included.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
. "$ROOT/ci/tests/lib/bitmap-mutants.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROOT" || exit 1
export HX_NO_BUILD=1 ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=0}
t=bitmap-builtin
procs() { python3 "$ROOT/ci/campaign/procs.py" "$@"; }
# left TAG WHAT: no process carrying TAG is alive (running or stopped).
left() {
    local l
    if l=$(procs left "$1"); then pass "$2: nothing left running"
    else fail "$2: left behind: $(tr '\n' '|' <<<"$l")"; procs kill "$1"; fi
}
# A tag of our own on every process a step starts, so we can look for them.
tagged() { local tg=$1; shift; LLSC_TAGS="${LLSC_TAGS:-} $tg" "$@"; }
# runner_of OUT: pid of the campaign runner working on OUT (its lock file).
runner_of() { cat "$1/.lock"; }
# wait_for SECONDS CMD...: until CMD succeeds (polling, no fixed sleep).
wait_for() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.5; done
}
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# ---- --until-first ------------------------------------------------------------
rc=0
./build.sh fuzz --until-first --targets $t --runs 3000 --seed 5 >"$tmp/out" 2>&1 || rc=$?
if [ $rc -eq 0 ] && grep -q '^fuzz: target bitmap-builtin, engine libfuzzer, seed 5, 3000 runs$' "$tmp/out" &&
   grep -q '^fuzz: no findings$' "$tmp/out" && grep -q '^Done 3000 runs' "$tmp/out" &&
   [ -n "$(ls -d "$BUILD"/findings/$t/libfuzzer-*-s5/corpus 2>/dev/null)" ]; then
    pass "fuzz --until-first libfuzzer: 3000 runs from seed 5, no findings, corpus kept"
else
    fail "fuzz --until-first libfuzzer - exit $rc: $(grep '^fuzz:' "$tmp/out" | tr '\n' '|')"
fi

rc=0
tagged t48-afl ./build.sh fuzz --until-first --targets $t --engine afl --time 3 --seed 5 >"$tmp/out" 2>&1 || rc=$?
stats=$(ls -d "$BUILD"/findings/$t/afl-*-s5/afl/default/fuzzer_stats 2>/dev/null | tail -n1)
if [ $rc -eq 0 ] && grep -q '^fuzz: no findings$' "$tmp/out" && [ -n "$stats" ] &&
   [ "$(awk '$1 == "execs_done" {print $3}' "$stats")" -gt 0 ]; then
    pass "fuzz --until-first afl: 3 s from seed 5, $(awk '$1 == "execs_done" {print $3}' "$stats") execs, no findings"
else
    fail "fuzz --until-first afl - exit $rc: $(grep -E '^fuzz:|PROGRAM ABORT|Location' "$tmp/out" | tr '\n' '|')"
fi
left t48-afl "fuzz --until-first afl (its persistent children stop between runs)"

# Ctrl-C (SIGINT to the whole foreground group) of a session: exit 130, not
# the usage code, and nothing left.
tagged t48-uf-int setsid ./build.sh fuzz --until-first --targets llsc-fixed --time 120 --seed 2 \
    --out "$tmp/uf-int" >"$tmp/out" 2>&1 &
bg=$!
if wait_for 60 grep -q '^INFO: Loaded' "$tmp/out"; then
    r=$(pgrep -f "cli.py fuzz --until-first .*--out $tmp/uf-int" | head -n1)
    kill -INT -- "-$(ps -o pgid= -p "$r" | tr -d ' ')"
    rc=0; wait $bg || rc=$?
    [ $rc -eq 130 ] && grep -q '^fuzz: interrupted, no findings$' "$tmp/out" &&
        pass "fuzz --until-first: Ctrl-C ends it with exit 130 and says so" ||
        fail "fuzz --until-first Ctrl-C - exit $rc: $(grep '^fuzz:' "$tmp/out" | tr '\n' '|')"
else
    kill -KILL "$bg" 2>/dev/null; wait $bg
    fail "fuzz --until-first: libFuzzer did not start within 60 s: $(tail -n3 "$tmp/out" | tr '\n' '|')"
fi
left t48-uf-int "fuzz --until-first stopped by Ctrl-C"

m=tac-fullword
if build_mutant $m libfuzzer >/dev/null && build_mutant $m replay >/dev/null &&
   build_mutant $m afl >/dev/null && build_mutant $m aflcmplog >/dev/null; then
    tree=$(mutant_build_dir $m)
    rm -rf "$tree/findings"
    for engine in libfuzzer afl; do
        rc=0
        if [ $engine = libfuzzer ]; then lim=(--runs 100000); else lim=(--time 60); fi
        BUILD="$tree" ./build.sh fuzz --until-first --targets $t --engine $engine "${lim[@]}" --seed 3 >"$tmp/out" 2>&1 || rc=$?
        f=$(sed -n 's/^finding: //p' "$tmp/out" | head -n1)
        case $f in /*) ;; *) f="$ROOT/$f" ;; esac
        if [ $rc -eq 1 ] && grep -q '^  verdict: FAIL bitmap-' "$tmp/out" && [ -f "$f" ] &&
           grep -q '^  minimize:  ./build.sh minimize --target bitmap-builtin ' "$tmp/out"; then
            v=$(BUILD="$tree" ./build.sh repro --target $t "$f" 2>/dev/null | tail -n1)
            [[ $v == "FAIL bitmap-"* ]] && pass "fuzz --until-first $engine finds the broken backend ($m): ${v%%: op*}" ||
                fail "fuzz $engine finding does not reproduce: $v"
        else
            fail "fuzz --until-first $engine on the broken backend ($m) - exit $rc: $(grep -E '^(fuzz|finding|  verdict)' "$tmp/out" | tr '\n' '|')"
        fi
    done
    # the seed replays the session: same seed, same runs -> same finding
    a=$(BUILD="$tree" ./build.sh fuzz --until-first --targets $t --runs 100000 --seed 11 2>&1 | grep '^finding: ' | sed 's/.*artifacts\///')
    b=$(BUILD="$tree" ./build.sh fuzz --until-first --targets $t --runs 100000 --seed 11 2>&1 | grep '^finding: ' | sed 's/.*artifacts\///')
    [ -n "$a" ] && [ "$a" = "$b" ] && pass "fuzz --until-first: the same seed gives the same finding ($a)" ||
        fail "fuzz --until-first: seed 11 gave '$a', then '$b'"
else
    fail "fuzz - broken backend does not build"
fi

# ---- a campaign on a weak variant, killed with -9, then resumed ------------------
c="$tmp/camp"
# Unmasked: what is checked here (triage, dedup, adopt) needs findings within
# a minute, and on v8 those are its known classes (ci/tests/52-known.sh
# checks the mask).
args=(--targets llsc-v8 --time 150s --seed 21 --no-mask --out "$c")
tagged t48-kill ./build.sh fuzz "${args[@]}" >"$tmp/run1" 2>&1 &
bg=$!
# Past AFL++'s first minute (4.04c writes no figures before it) with both
# engines running, then kill -9 the runner alone.
afl_live() { grep -qE '^llsc-v8 +afl +running +[0-9]+ +[0-9,]*[1-9][0-9,]* +[0-9,]+ ' "$c/status.log" 2>/dev/null; }
if wait_for 120 afl_live; then
    row=$(grep -E '^llsc-v8 +afl +running' "$c/status.log" | tail -n1)
    pass "campaign: AFL++'s row is live while it runs (fuzzer_stats/plot_data): $(echo $row)"
else
    fail "campaign: no live AFL++ figures in $c/status.log within 120 s: $(grep -E '^llsc-v8' "$c/status.log" | tail -n2 | tr '\n' '|')"
fi
lfrows=$(grep -cE '^llsc-v8 +libfuzzer +running +[0-9]+ +[0-9,]*[1-9]' "$c/status.log")
[ "$lfrows" -ge 2 ] && pass "campaign: libFuzzer's row is live ($lfrows refreshes with executions)" ||
    fail "campaign: libFuzzer's row never showed executions: $(grep -E '^llsc-v8 +libfuzzer' "$c/status.log" | tail -n1)"
kill -9 "$(runner_of "$c")" 2>/dev/null
wait $bg 2>/dev/null
ndisk=$( (ls "$c"/llsc-v8/libfuzzer/artifacts/ 2>/dev/null; ls "$c"/llsc-v8/afl/*/crashes/ 2>/dev/null | grep '^id:') | wc -l)
wait_for 10 procs left t48-kill >/dev/null
left t48-kill "campaign killed with -9"
[ "$ndisk" -gt 1 ] && pass "campaign: the engines kept going past findings ($ndisk finding files before the kill)" ||
    fail "campaign: only $ndisk finding file(s) before the kill"

rc=0
tagged t48-resume ./build.sh fuzz "${args[@]}" >"$tmp/run2" 2>&1 || rc=$?
left t48-resume "campaign resumed and completed"
if [ $rc -eq 1 ] && grep -qE '^fuzz: campaign camp in .*: resuming: [0-9m]+s of 2m30s done' "$tmp/run2"; then
    pass "campaign: the same command resumes it: $(grep -o 'resuming: [^;]*' "$tmp/run2")"
else
    fail "campaign resume - exit $rc: $(grep '^fuzz: campaign' "$tmp/run2" | tr '\n' '|')"
fi
st="$c/campaign.json"
if [ "$(jq_ "$st" 'len(d["segments"])')" = 2 ] && [ "$(jq_ "$st" 'd["segments"][0]["status"]')" = killed ] &&
   [ "$(jq_ "$st" 'd["status"]')" = completed ] && [ "$(jq_ "$st" 'int(d["spent"]) >= 140')" = True ]; then
    pass "campaign: state carries on across the kill: 2 runs (killed, completed), $(jq_ "$st" 'int(d["spent"])') s in all"
else
    fail "campaign state: $(jq_ "$st" '[(s["status"], int(s["seconds"])) for s in d["segments"]], d["status"], d["spent"]')"
fi
# Nothing lost: every finding file on disk is triaged (files are known by
# their contents; AFL++ renames crashes/ to crashes.<date> when it resumes).
untri=$(python3 - "$c" <<'PY'
import glob, hashlib, json, sys
c = sys.argv[1]
known = json.load(open(c + "/findings/index.json"))["files"]
files = glob.glob(c + "/llsc-v8/libfuzzer/artifacts/*") + glob.glob(c + "/llsc-v8/afl/*/crashes*/id:*")
print(len(files), sum(1 for f in files if hashlib.sha1(open(f, "rb").read()).hexdigest() not in known))
PY
)
[ "${untri#* }" = 0 ] && [ "${untri% *}" -gt 0 ] && pass "campaign: all ${untri% *} finding files are triaged" ||
    fail "campaign: of ${untri% *} finding files, ${untri#* } are not triaged"
./build.sh findings "$c" >"$tmp/findings" 2>&1
nuniq=$(sed -n 's/^\([0-9]*\) unique finding(s) in .*/\1/p' "$tmp/findings")
if [ "${nuniq:-0}" -ge 3 ] && grep -q 'mmio-double-write @' "$tmp/findings" &&
   grep -q 'code-not-invalidated @' "$tmp/findings"; then
    pass "findings: $nuniq unique findings on llsc-v8, W19 and W15 among them"
else
    fail "findings: $(head -c 600 "$tmp/findings" | tr '\n' '|')"
fi
# Each unique finding: replayed, minimized to the same property, one command away.
bad=0 n=0
while read -r cmd; do
    n=$((n + 1))
    f=${cmd##* }
    want=$(sed -n 's/^# expect: //p' "$f")
    got=$(HX_NO_BUILD=1 $cmd 2>/dev/null | tail -n1)
    [ "$(verdict_property "$got")" = "$(verdict_property "$want")" ] || { bad=$((bad + 1)); echo "  $f: $want vs $got"; }
done < <(grep -o './build.sh repro --target .*' "$tmp/findings")
[ "$n" -gt 0 ] && [ $bad -eq 0 ] && pass "findings: all $n reproducers give their recorded verdict with the printed command" ||
    fail "findings: $bad of $n reproducers do not reproduce"
sig_dupes=$(jq_ "$c/findings/index.json" 'len(d["findings"]) - len({(r["target"], r["signature"]) for r in d["findings"].values()})')
cnt=$(jq_ "$c/findings/index.json" 'sum(r["count"] for r in d["findings"].values())')
[ "$sig_dupes" = 0 ] && [ "$cnt" -gt "$nuniq" ] && pass "findings: $cnt files deduplicated into $nuniq signatures" ||
    fail "findings: dedup - $cnt files, $nuniq unique, $sig_dupes duplicate signatures"

# A finding file renamed while triage reads it (AFL++ renames crashes/ when it
# resumes) keeps its own verdict: once it came out as a "crash" no reproducer showed.
ROOT="$ROOT" python3 "$ROOT/ci/tests/lib/triage_vanish.py" llsc-v8 \
    "$BUILD/corpus/llsc-v8/regressions/w19-notdirty-full-width-into-tail.bin"

# ---- the report ----------------------------------------------------------------
r="$c/report"
if [ -s "$r/report.md" ] && [ -s "$r/report.html" ] && grep -q '^## Unique findings' "$r/report.md" &&
   [ "$(ls "$r"/*.png 2>/dev/null | wc -l)" -eq 4 ] && grep -q '(killed)\|killed' "$r/report.md"; then
    pass "report: Markdown, HTML and 4 plots; it covers both runs ($(grep -c . "$r/report.md") lines)"
else
    fail "report: $(ls "$r" 2>&1 | tr '\n' ' ')"
fi
rm -f "$r"/*
./build.sh report "$c" >"$tmp/rep" 2>&1 && [ -s "$r/report.html" ] && [ -s "$r/coverage.png" ] &&
    pass "report: ./build.sh report rewrites it on demand" || fail "report on demand: $(tr '\n' '|' <"$tmp/rep")"
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
    fail "report: no chromium to render it (ci/deps.sh test installs it)"
else
    prof="$tmp/chrome"
    copts=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
           --disable-component-update --disable-sync --user-data-dir="$prof" --virtual-time-budget=5000)
    tagged t48-chrome timeout 90 "$chrome" "${copts[@]}" --dump-dom "file://$r/report.html" >"$tmp/dom" 2>/dev/null
    tagged t48-chrome timeout 90 "$chrome" "${copts[@]}" --window-size=1200,1600 --screenshot="$tmp/shot.png" \
        "file://$r/report.html" >/dev/null 2>&1
    imgs=$(grep -o 'data-images="[0-9]*/[0-9]*"' "$tmp/dom")
    if [ "$imgs" = 'data-images="4/4"' ] && grep -q '<h2>Unique findings' "$tmp/dom" && [ -s "$tmp/shot.png" ]; then
        pass "report: headless Chromium renders the HTML, all 4 plots decoded ($imgs), screenshot $(stat -c %s "$tmp/shot.png") bytes"
    else
        fail "report: Chromium rendering - '${imgs:-no data-images mark}', screenshot $(stat -c %s "$tmp/shot.png" 2>/dev/null || echo none)"
    fi
    left t48-chrome "headless Chromium"
fi

# ---- adopt and corpus-merge, into a scratch tree ---------------------------------
s="$tmp/root"
mkdir -p "$s/corpus"
for d in ci sut harness targets mk Makefile; do ln -s "$ROOT/$d" "$s/$d"; done
cp -r "$ROOT/corpus/llsc-v8" "$s/corpus/"; cp "$ROOT/corpus/llsc.dict" "$s/corpus/"
rc=0
ROOT="$s" BUILD="$BUILD" bash ci/cmd-adopt.sh "$c" 1 --name adopted >"$tmp/adopt" 2>&1 || rc=$?
a="$s/corpus/llsc-v8/regressions/adopted.txt"
if [ $rc -eq 0 ] && [ -f "$a" ] && grep -q '^# shows: ' "$a" && grep -q '^# expect: FAIL ' "$a" &&
   grep -q 'as its .# expect:. line says' "$tmp/adopt"; then
    pass "adopt: finding 1 became $(basename "$a") with a drafted header: $(sed -n 's/^# shows: //p' "$a" | cut -c1-60)"
else
    fail "adopt - exit $rc: $(tr '\n' '|' <"$tmp/adopt")"
fi
rc=0
ROOT="$s" BUILD="$BUILD" bash ci/cmd-adopt.sh "$c" 1 --name adopted >"$tmp/adopt" 2>&1 || rc=$?
[ $rc -eq 2 ] && pass "adopt: refuses to overwrite an existing regression" || fail "adopt overwrite: exit $rc"
rc=0
before=$(ls "$s/corpus/llsc-v8"/*.txt | wc -l)
ROOT="$s" BUILD="$BUILD" bash ci/cmd-corpus-merge.sh "$c" >"$tmp/merge" 2>&1 || rc=$?
after=$(ls "$s/corpus/llsc-v8"/*.txt | wc -l)
newseed=$(ls "$s/corpus/llsc-v8"/merged-*.txt 2>/dev/null | head -n1)
if [ $rc -eq 0 ] && [ "$after" -gt "$before" ] && [ -n "$newseed" ] &&
   [ "$("$BUILD/tools/optext" --family llsc from-text "$newseed" "$tmp/m.bin" && "$BUILD/replay/llsc-v8" "$tmp/m.bin" 2>&1 | tail -n1)" = PASS ]; then
    pass "corpus-merge: $((after - before)) new text seeds; they compile and pass"
else
    fail "corpus-merge - exit $rc, $before -> $after seeds: $(tr '\n' '|' <"$tmp/merge")"
fi

# ---- the default campaign's target set may grow (a QEMU tree fetched in between) ----
out=$(python3 - "$ROOT" "$tmp/grow" <<'PY'
import json, os, sys
sys.path.insert(0, sys.argv[1] + "/ci/campaign")
import campaign, project
d = sys.argv[2]
os.makedirs(d)
def run(targets, every):
    c = campaign.Campaign(d, targets, ["afl"], 2, 60, 1, every_target=every)
    try:
        c.load_or_init()
        return ",".join(c.state["targets"])
    except project.UsageError as e:
        return "refused"
print(run(["llsc-v6", "llsc-v8"], True))           # new, every target
print(run(["llsc-v6", "llsc-v8", "llsc-fixed-qemu"], True))   # grows
print(run(["llsc-v6"], True))                      # shrinks: kept, not lost
print(run(["llsc-v6", "bitmap-qemu"], False))      # --targets that differ
PY
)
if [ "$(echo $out)" = "llsc-v6,llsc-v8 llsc-v6,llsc-v8,llsc-fixed-qemu llsc-v6,llsc-v8,llsc-fixed-qemu refused" ]; then
    pass "campaign without --targets: resuming with more (or fewer) buildable targets keeps one campaign; other --targets are refused"
else
    fail "campaign target set on resume: $(echo $out)"
fi

# ---- on a terminal: the table is redrawn in place, and nothing waits for input ------
if command -v script >/dev/null; then
    rc=0
    tagged t48-tty timeout 120 script -qec "./build.sh fuzz --targets bitmap-builtin --engine libfuzzer --time 12s --seed 3 --out $tmp/tty" \
        "$tmp/tty.typescript" </dev/null >/dev/null 2>&1 || rc=$?
    if [ $rc -eq 0 ] && grep -q $'\e\[H\e\[J' "$tmp/tty.typescript" &&
       grep -q 'campaign tty completed' "$tmp/tty.typescript" && [ -s "$tmp/tty/report/report.html" ]; then
        pass "campaign on a terminal: the table is redrawn in place; it ends with its report (no tool waits for terminal input)"
    else
        fail "campaign on a terminal - exit $rc: $(tail -c 300 "$tmp/tty.typescript" | tr -d '\033' | tr '\n' '|')"
    fi
    left t48-tty "campaign on a terminal"
else
    fail "campaign on a terminal: no script(1) to give it one (bsdutils)"
fi

# ---- stopping: SIGTERM, Ctrl-C, a second runner ------------------------------------
for how in TERM INT; do
    o="$tmp/stop-$how"
    tagged "t48-$how" setsid ./build.sh fuzz --targets llsc-fixed --engine libfuzzer --time 5m --seed 4 --out "$o" \
        >"$tmp/stop.out" 2>&1 &
    bg=$!
    wait_for 60 grep -q 'start llsc-fixed libfuzzer' "$o/runner.log" 2>/dev/null
    if [ $how = TERM ]; then
        rc=0; ./build.sh fuzz --targets llsc-fixed --engine libfuzzer --time 5m --out "$o" >"$tmp/second" 2>&1 || rc=$?
        [ $rc -eq 2 ] && grep -q 'is in use by another runner' "$tmp/second" &&
            pass "campaign: a second runner on the same folder is refused (exit 2)" ||
            fail "campaign: second runner - exit $rc: $(tr '\n' '|' <"$tmp/second")"
        kill -TERM "$(runner_of "$o")"
    else
        # Ctrl-C in a terminal: SIGINT to the whole foreground group.
        kill -INT -- "-$(ps -o pgid= -p "$(runner_of "$o")" | tr -d ' ')"
    fi
    rc=0; wait $bg || rc=$?
    want=$((128 + $([ $how = TERM ] && echo 15 || echo 2)))
    if [ $rc -eq $want ] && [ -s "$o/report/report.html" ] && grep -q 'run the same command again to resume' "$tmp/stop.out" &&
       [ "$(jq_ "$o/campaign.json" 'd["status"]')" = interrupted ]; then
        pass "campaign: SIG$how stops every engine, writes the report, exits $rc (not the usage code)"
    else
        fail "campaign: SIG$how - exit $rc (want $want): $(tail -n3 "$tmp/stop.out" | tr '\n' '|')"
    fi
    left "t48-$how" "campaign stopped by SIG$how"
done
