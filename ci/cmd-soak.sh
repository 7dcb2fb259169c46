#!/usr/bin/env bash
# what: the negative control's soak: a long campaign on fixed (builtin and QEMU bitmaps) whose only allowed outcome is clean
# usage: ./build.sh soak [--time 1h] [--jobs N] [--seed N] [--out DIR]
#   A campaign (./build.sh fuzz) on llsc-fixed, race-fixed and their -qemu
#   twins (when a QEMU tree can be had), both engines, every core, default
#   one hour, with every llsc-fixed invariant checked after every op. Any
#   finding is a bug in fixed or in the harness. Ends with one line:
#     soak: CLEAN <targets>, <time>, <cores> core(s), seed <n>, <execs> execs
#   or "soak: FAILED ..." listing the findings. Exit 0 clean, 1 a finding,
#   2 usage error, 128+N stopped by signal N (rerun to resume).
#   Not part of ./build.sh test: the README records the longest soak passed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/ci/fuzz-lib.sh"
args=() time=1h out= seen_time=
while [ $# -gt 0 ]; do
    case $1 in
        --time|--jobs|--seed|--out)
            [ $# -ge 2 ] || die "$1 needs a value (usage: ./build.sh soak [--time 1h] [--jobs N] [--seed N] [--out DIR])"
            case $1 in --time) time=$2 ;; --out) out=$2 ;; *) args+=("$1" "$2") ;; esac
            shift 2 ;;
        -h|--help) sed -n 's/^# usage: //p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (usage: ./build.sh soak [--time 1h] [--jobs N] [--seed N] [--out DIR])" ;;
    esac
done
targets=llsc-fixed
for t in race-fixed llsc-fixed-qemu race-fixed-qemu; do
    why=$(target_missing "$t")
    if [ -z "$why" ]; then targets+=,$t; else echo "soak: $t left out: $why" >&2; fi
done
out=${out:-$BUILD/campaigns/soak-${targets//,/-}}
rc=0
bash "$ROOT/ci/cmd-fuzz.sh" --targets "$targets" --time "$time" --out "$out" "${args[@]}" || rc=$?
[ "$rc" -ne 2 ] || exit 2
set +e
python3 - "$out" "$rc" <<'PY'
import json, sys
out, rc = sys.argv[1], int(sys.argv[2])
st = json.load(open(out + "/campaign.json"))
try:
    idx = json.load(open(out + "/findings/index.json"))
except FileNotFoundError:
    idx = {"findings": {}}
found = [r for r in idx.get("findings", {}).values() if r["signature"] != "not-reproduced"]
# An engine's hang or crash that passes on replay (a loaded machine's
# timeout) is no finding: counted in the verdict line, never a failure.
unrep = sum(r["count"] for r in idx.get("findings", {}).values()
            if r["signature"] == "not-reproduced")
execs = sum(p["execs"] for p in st["pairs"].values())
h, m = divmod(int(st["spent"]) // 60, 60)
what = (f"{','.join(st['targets'])}, {h}h{m:02d}m in {len(st['segments'])} run(s), "
        f"{st.get('jobs')} core(s), seed {st['seed']}, {execs:,} execs")
if rc in (0, 1) and not found:
    print(f"soak: CLEAN {what}" + (f" ({unrep} engine file(s) not reproduced on replay)"
                                   if unrep else ""))
elif rc in (0, 1):
    print(f"soak: FAILED {what}: {len(found)} finding(s) on the negative control:")
    for r in found:
        print(f"  {r['target']}: {r['signature']} ({r['count']}): {r['verdict'][:150]}")
    sys.exit(1)
else:
    print(f"soak: STOPPED {what}; run the same command to resume")
PY
vrc=$?
[ "$rc" -ge 128 ] && exit "$rc"
exit "$vrc"
