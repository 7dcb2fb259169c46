"""Distinct violation classes per variant in a fixed budget, with the
known-class mask (ci/known/) and without it (ci/bench/mask.sh).

Each (target, seed) runs two libFuzzer campaigns of one core each, masked
and --no-mask, side by side (so the machine's noise hits both alike). A
class is a triage signature (ci/campaign/triage.py): the unique findings of
a campaign, plus, when masked, the known classes it counted on its way
(ci/campaign/knownstats.py). Prints the median over seeds and every class
seen, marking the ones no line of ci/known/ names (new findings)."""

import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.environ["ROOT"]
sys.path.insert(0, os.path.join(ROOT, "ci", "campaign"))
import knownstats  # noqa: E402
import project     # noqa: E402
import report      # noqa: E402

TARGETS = os.environ.get("BENCH_MASK_TARGETS", "llsc-v6 llsc-v8 llsc-cmpxchg").split()
SECONDS = int(os.environ.get("BENCH_MASK_SECONDS", "600"))
SEEDS = [int(s) for s in os.environ.get("BENCH_MASK_SEEDS", "1 2 3").split()]


def is_known(target, sig):
    return project.known_match(project.known_patterns(target.split("-")[1]), sig)


def classes(out, target):
    st, db = report.load(out)
    found = report.findings_of(db)
    return report.distinct_classes(found, knownstats.read_campaign(out)).get(target, set())


def execs_per_sec(out):
    st, db = report.load(out)
    rows = report.pair_rows(out, st, db)
    return rows[0]["execs"] / max(1.0, rows[0]["time"]) if rows else 0.0


def main():
    env = dict(os.environ, HX_NO_BUILD="1")
    print(f"bench mask: {SECONDS} s per campaign, libFuzzer, 1 core each, seeds "
          f"{' '.join(map(str, SEEDS))}", flush=True)
    print(f"{'target':14} {'seed':>4} {'masked':>7} {'unmasked':>9}   exec/s masked, unmasked",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for t in TARGETS:
            if project.target_missing(t):
                print(f"bench mask: skipping {t}: {project.target_missing(t)}")
                continue
            got = {"masked": [], "unmasked": []}
            seen = {"masked": set(), "unmasked": set()}
            for seed in SEEDS:
                runs = {}
                for mode in ("masked", "unmasked"):
                    out = os.path.join(tmp, f"{t}-{seed}-{mode}")
                    argv = ["./build.sh", "fuzz", "--targets", t, "--engine", "libfuzzer",
                            "--jobs", "1", "--time", f"{SECONDS}s", "--seed", str(seed),
                            "--no-minimize", "--out", out]
                    if mode == "unmasked":
                        argv.append("--no-mask")
                    runs[mode] = (out, subprocess.Popen(argv, cwd=ROOT, env=env,
                                                        stdout=subprocess.DEVNULL,
                                                        stderr=subprocess.STDOUT))
                eps = {}
                for mode, (out, p) in runs.items():
                    p.wait()
                    c = classes(out, t)
                    got[mode].append(len(c))
                    seen[mode] |= c
                    eps[mode] = execs_per_sec(out)
                print(f"{t:14} {seed:>4} {got['masked'][-1]:>7} {got['unmasked'][-1]:>9}   "
                      f"{eps['masked']:,.0f}, {eps['unmasked']:,.0f}", flush=True)
            mm, mu = statistics.median(got["masked"]), statistics.median(got["unmasked"])
            print(f"{t:14} {'med':>4} {mm:>7g} {mu:>9g}   "
                  f"{'more with the mask' if mm > mu else 'NOT more with the mask'}", flush=True)
            for sig in sorted(seen["masked"] | seen["unmasked"]):
                where = ", ".join(m for m in ("masked", "unmasked") if sig in seen[m])
                new = "" if is_known(t, sig) else "   NEW: in no line of ci/known/"
                print(f"    {sig:42} {where}{new}", flush=True)


main()
