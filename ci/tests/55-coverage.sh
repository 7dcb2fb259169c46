#!/usr/bin/env bash
# ./build.sh coverage on two small targets (llsc-v6: regressions that fail;
# bitmap-builtin: seeds only): one line per target in the documented format
# with sane figures, the HTML index and per-target reports; a missing or
# empty campaign DIR is a usage error (exit 2, one stderr line); a campaign
# DIR (libFuzzer corpus and AFL++ queues) never lowers the figures and every
# one of its inputs is replayed. Then the replay loop itself, on a probe
# target: a violation keeps its profile and the batch goes on after it; a
# crash loses only the crashing input, not those run before it in its batch.
# Reports go to a scratch COVERAGE_OUT, never over build/coverage.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROOT" || exit 1
targets=llsc-v6,bitmap-builtin
line_re='^coverage ([a-z0-9-]+): sut/ lines ([0-9]+)/([0-9]+) \(([0-9.]+)%\), functions ([0-9]+)/([0-9]+) \(([0-9.]+)%\), branches ([0-9]+)/([0-9]+) \(([0-9.]+)%\)$'

# cov NAME ARGS...: run the command into $tmp/NAME.{out,err}, exit status in $rc.
cov() {
    local n=$1; shift
    rc=0
    COVERAGE_OUT="$tmp/$n" ./build.sh coverage "$@" >"$tmp/$n.out" 2>"$tmp/$n.err" </dev/null || rc=$?
}

# figures FILE: "target lx ly fx fy bx by" per line; fails on any line that
# is not in the format or whose figures are not sane.
figures() {
    local l ok=0
    while IFS= read -r l; do
        if [[ $l =~ $line_re ]]; then
            local m=("${BASH_REMATCH[@]}") i
            for i in 2 5 8; do
                local x=${m[$i]} y=${m[$((i + 1))]} p=${m[$((i + 2))]}
                if [ "$y" -le 0 ] || [ "$x" -le 0 ] || [ "$x" -gt "$y" ] ||
                   [ "$(awk -v x="$x" -v y="$y" 'BEGIN{printf "%.1f", 100*x/y}')" != "$p" ]; then
                    echo "insane figures ($x/$y, $p%) in: $l" >&2; ok=1
                fi
            done
            echo "${m[1]} ${m[2]} ${m[3]} ${m[5]} ${m[6]} ${m[8]} ${m[9]}"
        else
            echo "not in the format: $l" >&2; ok=1
        fi
    done <"$1"
    return $ok
}

cov base --targets "$targets"
if [ $rc -eq 0 ] && figures "$tmp/base.out" >"$tmp/base.fig" 2>"$tmp/fig.err" &&
   [ "$(cut -d' ' -f1 "$tmp/base.fig" | paste -sd,)" = "$targets" ]; then
    pass "coverage --targets $targets: one sane line per target, in order ($(paste -sd'|' "$tmp/base.out"))"
else
    fail "coverage --targets $targets - exit $rc: $(head -n4 "$tmp/base.out" "$tmp/base.err" "$tmp/fig.err" 2>/dev/null | tr '\n' '|')"
fi
ok=1
for t in ${targets//,/ }; do
    grep -q "href=\"html/$t/index.html\"" "$tmp/base/index.html" 2>/dev/null || ok=0
    [ -s "$tmp/base/html/$t/index.html" ] || ok=0
    [ -n "$(find "$tmp/base/html/$t" -path '*/sut/*.c.html' 2>/dev/null | head -n1)" ] || ok=0
    # Only sut/ and harness/ sources (and QEMU's for qemu targets) are shown.
    [ -z "$(find "$tmp/base/html/$t" -name '*.html' 2>/dev/null | grep -v -e '/sut/' -e '/harness/' -e "html/$t/index.html")" ] || ok=0
done
if [ $ok = 1 ]; then pass "coverage: index.html links each target's report; reports show sut/ and harness/ only"
else fail "coverage: HTML missing or showing other files: $(cd "$tmp/base" 2>/dev/null && find . -name '*.html' | head -n 5 | tr '\n' ' ')"; fi

# expect_usage NAME ARGS...: exit 2, one stderr line, nothing on stdout.
expect_usage() {
    local n=$1; shift
    cov err "$@"
    if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err.err")" -eq 1 ] && [ ! -s "$tmp/err.out" ]; then
        pass "coverage $n: exit 2, one line: $(cat "$tmp/err.err")"
    else
        fail "coverage $n - exit $rc, stderr: $(head -n3 "$tmp/err.err" | tr '\n' '|'), stdout: $(head -c 100 "$tmp/err.out")"
    fi
}
expect_usage "with a DIR that does not exist" --targets "$targets" "$tmp/no-such-dir"
mkdir -p "$tmp/empty/llsc-v6/afl/main"
expect_usage "with a DIR holding no campaign output" --targets "$targets" "$tmp/empty"
expect_usage "with an unknown target" --targets llsc-v6,nope

# A fake campaign: seeds and regressions again, random inputs (some may
# fail on v6: at least the two regressions do), and AFL++'s
# queue layout with its hidden state and non-input files beside the queue.
c="$tmp/campaign"
mkdir -p "$c/llsc-v6/corpus" "$c/llsc-v6/afl/main/queue/.state/auto_extras" \
         "$c/llsc-v6/afl/s1/queue" "$c/bitmap-builtin/afl/main/queue"
seeds=("$BUILD"/corpus/llsc-v6/seeds/*.bin) regs=("$BUILD"/corpus/llsc-v6/regressions/*.bin)
cp "${seeds[0]}" "$c/llsc-v6/corpus/"; cp "${regs[0]}" "$c/llsc-v6/corpus/"
# Seeded bytes, so that the run is the same every time.
python3 - "$c" <<'EOF'
import random, sys
c, r = sys.argv[1], random.Random(55)
for i in range(6):
    for path, n in ((f"llsc-v6/corpus/rand{i}", 64 + 97 * i),
                    (f"llsc-v6/afl/s1/queue/id:00000{i},time:0,execs:0,op:havoc", 40 + 61 * i),
                    (f"bitmap-builtin/afl/main/queue/id:00000{i},src:000000", 16 + 50 * i)):
        with open(f"{c}/{path}", "wb") as f:
            f.write(bytes(r.randrange(256) for _ in range(n)))
EOF
cp "${regs[1]}" "$c/llsc-v6/afl/main/queue/id:000000,orig:reg"
cp "${seeds[1]}" "$c/llsc-v6/afl/main/queue/id:000001,orig:seed"
echo x >"$c/llsc-v6/afl/main/queue/.state/auto_extras/x"
echo "not an input" >"$c/llsc-v6/afl/main/fuzzer_stats"
n_llsc=$(($(find "$c/llsc-v6" -type f -not -path '*/.state/*' -not -name fuzzer_stats | wc -l)))
n_bm=$(($(find "$c/bitmap-builtin" -type f | wc -l)))

cov camp --targets "$targets" "$c"
if [ $rc -eq 0 ] && figures "$tmp/camp.out" >"$tmp/camp.fig" 2>"$tmp/fig.err"; then
    pass "coverage with a campaign DIR: one sane line per target"
else
    fail "coverage with a campaign DIR - exit $rc: $(head -n4 "$tmp/camp.out" "$tmp/camp.err" "$tmp/fig.err" 2>/dev/null | tr '\n' '|')"
fi
while read -r t lx ly fx fy bx by; do
    read -r _ clx cly cfx cfy cbx cby < <(grep "^$t " "$tmp/camp.fig")
    if [ -n "${clx:-}" ] && [ "$cly" -eq "$ly" ] && [ "$clx" -ge "$lx" ] && [ "$cfx" -ge "$fx" ] && [ "$cbx" -ge "$bx" ]; then
        pass "coverage $t: the campaign DIR does not lower the figures (lines $lx -> $clx of $ly)"
    else
        fail "coverage $t: with the campaign DIR lines $lx/$ly -> ${clx:-?}/${cly:-?}, functions $fx -> ${cfx:-?}, branches $bx -> ${cbx:-?}"
    fi
done <"$tmp/base.fig"
got=$(python3 - "$tmp/base/summary.json" "$tmp/camp/summary.json" <<'EOF'
import json, sys
b, c = (json.load(open(p))["targets"] for p in sys.argv[1:])
for t in ("llsc-v6", "bitmap-builtin"):
    print(t, c[t]["inputs"] - b[t]["inputs"], len(c[t]["lost"]), min(2, c[t]["violations"] - b[t]["violations"]))
EOF
)
if [ "$got" = "llsc-v6 $n_llsc 0 2"$'\n'"bitmap-builtin $n_bm 0 0" ]; then
    pass "coverage: every campaign input replayed ($n_llsc and $n_bm more), none lost, the copied regressions fail with their profiles kept"
else
    fail "coverage: inputs/lost/violations beyond the corpus, per target: $(echo "$got" | tr '\n' '|') (want llsc-v6 $n_llsc 0 2, bitmap-builtin $n_bm 0 0)"
fi

# The replay loop on a probe: each input byte reaches its own function; 'F'
# is a violation (exit 1 through hx_violation), 'S' aborts.
var() { make -C "$ROOT" -s --no-print-directory --eval 'print-%: ; @echo $($*)' "print-$1" 2>/dev/null | tail -n1; }
cat >"$tmp/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "report.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static volatile int sink;
static void saw_a(void) { sink = 1; }
static void saw_b(void) { sink = 2; }
static void saw_c(void) { sink = 3; }
static void saw_f(void) { hx_violation("probe-property", 1, "probe saw F"); }
static void saw_s(void) { abort(); }
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    switch (size ? data[0] : 0) {
    case 'a': saw_a(); break;
    case 'b': saw_b(); break;
    case 'c': saw_c(); break;
    case 'F': saw_f(); break;
    case 'S': saw_s(); break;
    }
    return 0;
}
EOF
if ! $(var CC_cov) $(var WARN) $(var CFLAGS_cov) -I"$ROOT/harness" "$tmp/probe.c" \
        "$ROOT/harness/replay_main.c" "$ROOT/harness/report.c" -o "$tmp/probe" 2>"$tmp/cc.log"; then
    fail "coverage replay loop - probe does not build: $(head -n3 "$tmp/cc.log" | tr '\n' '|')"; exit 0
fi
mkdir -p "$tmp/in" "$tmp/prof"
for x in 1-a 2-F 3-b 4-S 5-c; do printf '%s' "${x#*-}" >"$tmp/in/$x"; done
got=$(python3 - "$ROOT/ci/campaign/coverage.py" "$tmp/probe" "$tmp/in" "$tmp/prof" 2>&1 <<'EOF'
import importlib.util, json, os, subprocess, sys
mod, probe, indir, prof = sys.argv[1:]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
spec = importlib.util.spec_from_file_location("hx_coverage", mod)
cov = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cov)
t = cov.Target("probe", "probe", "builtin")
t.inputs = [os.path.join(indir, n) for n in sorted(os.listdir(indir))]
cov.replay(t, probe, os.path.join(prof, "%m.profraw"))
raws = [os.path.join(prof, n) for n in os.listdir(prof)]
subprocess.run([cov.llvm_tool("llvm-profdata"), "merge", "-o", prof + "/m.profdata"] + raws, check=True)
exp = json.loads(subprocess.run([cov.llvm_tool("llvm-cov"), "export", probe,
                                 "-instr-profile=" + prof + "/m.profdata"],
                                check=True, capture_output=True, text=True).stdout)
# Static functions are named "<file>:<name>".
hit = sorted(n for f in exp["data"][0]["functions"] if f["count"]
             for n in [f["name"].rsplit(":", 1)[-1]] if n.startswith("saw_"))
print(t.violations, [os.path.basename(f) for f, _ in t.lost], ",".join(hit))
EOF
)
if [ "$got" = "1 ['4-S'] saw_a,saw_b,saw_c,saw_f" ]; then
    pass "coverage replay loop: a violation's profile is kept and its batch goes on; an abort loses only its own input"
else
    fail "coverage replay loop: violations, lost inputs, functions reached: $(echo "$got" | tail -n3 | tr '\n' '|') (want: 1 ['4-S'] saw_a,saw_b,saw_c,saw_f)"
fi
