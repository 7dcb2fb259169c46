"""Time to the first violation of each weakness class (bench part 2).

usage: ttf.py TARGET...   (run by ci/bench/fuzz.sh under `reaped`)

A class is (target, violated property); it is reachable when a regression
of the target records "# expect: FAIL <property>" (its W tags are listed).
Each (arm, seed) is one libFuzzer run, -fork=1 with the campaign's fork
flags (engines.LF_FORK_ARGS; BENCH_LF_GROUPS=0 leaves out
-fork_corpus_groups, as campaigns ran before), one core,
from a copy of the seeds with the family's dictionary, for at most
BENCH_TTF_MAX s. An arm is the engine setting compared:
  bytes   HX_MUTATOR=0 LLSC_FEEDBACK=0: edges and byte mutations only,
          the fuzzer as it was before issue 9's goals 2 and 3
  mut     the structure-aware mutator, no state feedback
  fb      state feedback, byte mutations only
  all     both, as built
and "<arm>+mask" runs it as a campaign does by default: LLSC_KNOWN=ci/known,
so that a known class is counted (LLSC_KNOWN_STATS, polled every 0.1 s) and
the run goes on instead of crashing; a fork job then no longer restarts at
every cheap violation. A class's time is its first crash artifact (replayed
for its property) or, masked, the first poll that shows it counted.
Arms alternate within a seed and seeds go out to BENCH_JOBS runs at once, so
a change of load on a shared machine falls on every arm alike. Median over
the seeds; a seed that never finds the class counts as "> cap".
Knobs: BENCH_ARMS="bytes all all+mask", BENCH_SEEDS=5, BENCH_TTF_MAX=60,
BENCH_JOBS (default: cores), BENCH_TTF_MD (markdown copy of the table),
BENCH_LF_GROUPS.
"""

import concurrent.futures
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "campaign"))
import engines  # noqa: E402
import knownstats  # noqa: E402
import project  # noqa: E402

ROOT, BUILD = project.ROOT, project.BUILD

ARM_ENV = {
    "bytes": {"HX_MUTATOR": "0", "LLSC_FEEDBACK": "0"},
    "mut": {"HX_MUTATOR": "1", "LLSC_FEEDBACK": "0"},
    "fb": {"HX_MUTATOR": "0", "LLSC_FEEDBACK": "1"},
    "all": {"HX_MUTATOR": "1", "LLSC_FEEDBACK": "1"},
}
KNOWN = os.path.join(ROOT, "ci", "known")


def die(msg):
    print(f"bench ttf: {msg}", file=sys.stderr)
    sys.exit(2)


def classes(target):
    """{property: sorted W tags} of the target's FAIL regressions."""
    out = {}
    for f in sorted(glob.glob(os.path.join(ROOT, "corpus", target, "regressions", "*.txt"))):
        text = open(f, encoding="utf-8", errors="replace").read()
        m = re.search(r"^#\s*expect:\s*FAIL\s+([a-z0-9-]+)", text, re.M)
        if not m:
            continue
        tags = set(re.findall(r"W[0-9]+[a-z]?", text)) or {os.path.basename(f)[:-4]}
        out.setdefault(m.group(1), set()).update(tags)
    return {p: sorted(t, key=lambda w: (len(w), w)) for p, t in out.items()}


def replay_property(target, path, masked):
    env = {k: v for k, v in os.environ.items() if k not in ("LLSC_KNOWN", "LLSC_KNOWN_STATS")}
    if masked:
        env["LLSC_KNOWN"] = KNOWN
    r = subprocess.run([os.path.join(BUILD, "replay", target), "-timeout=10", path],
                       env=env, capture_output=True, text=True, errors="replace")
    m = re.search(r"^FAIL ([a-z0-9-]+)", r.stdout + r.stderr, re.M)
    return m.group(1) if m else "?"


def one_run(target, arm, seed, cap):
    """{property: seconds to its first violation} of one run."""
    base, masked = arm.split("+")[0], arm.endswith("+mask")
    work = tempfile.mkdtemp(prefix=f"ttf-{target}-{arm}-{seed}-")
    try:
        corpus, arts = os.path.join(work, "corpus"), os.path.join(work, "art")
        os.makedirs(arts)
        shutil.copytree(project.seeds_dir(target), corpus)
        env = dict(os.environ, **ARM_ENV[base])
        env.pop("LLSC_KNOWN", None)
        stats = os.path.join(work, "known-stats")
        if masked:
            env.update(LLSC_KNOWN=KNOWN, LLSC_KNOWN_STATS=stats)
        fork = [a for a in engines.LF_FORK_ARGS
                if os.environ.get("BENCH_LF_GROUPS", "1") != "0" or "groups" not in a]
        argv = [os.path.join(BUILD, "libfuzzer", target), f"-seed={seed}", "-fork=1", *fork,
                f"-max_total_time={cap}", f"-artifact_prefix={arts}/"]
        d = project.dict_path(target)
        if d and os.path.exists(d):
            argv.append(f"-dict={d}")
        argv.append(corpus)
        first = {}
        start = time.time()
        with open(os.path.join(work, "log"), "w") as log:
            p = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
            while p.poll() is None:
                if time.time() - start > cap + 30:
                    p.kill()
                if masked:
                    now = time.time() - start
                    for sig, (_, count) in knownstats.read_file(stats).items():
                        prop = sig.split()[0]
                        if count and prop not in first:
                            first[prop] = now
                time.sleep(0.1)
        for a in sorted(glob.glob(os.path.join(arts, "crash-*")), key=os.path.getmtime):
            prop = replay_property(target, a, masked)
            when = os.path.getmtime(a) - start
            if prop not in first or when < first[prop]:
                first[prop] = when
        return first
    finally:
        shutil.rmtree(work, ignore_errors=True)


def median_text(per, cap):
    vals = sorted(v if v is not None else float("inf") for v in per)
    m = vals[(len(vals) - 1) // 2]
    return f">{cap}" if m == float("inf") else f"{m:.1f}"


def main(argv):
    arms = os.environ.get("BENCH_ARMS", "bytes all all+mask").split()
    for a in arms:
        if a.split("+")[0] not in ARM_ENV or a.count("+") > 1 or ("+" in a and not a.endswith("+mask")):
            die(f"BENCH_ARMS: '{a}' is not one of {', '.join(ARM_ENV)} (optionally +mask)")
    try:
        nseeds = int(os.environ.get("BENCH_SEEDS", "5"))
        cap = int(os.environ.get("BENCH_TTF_MAX", "60"))
        jobs = int(os.environ.get("BENCH_JOBS", str(os.cpu_count() or 1)))
    except ValueError as e:
        die(str(e))
    targets = [t for t in argv if classes(t)]
    print(f"== time to first violation per weakness class (libFuzzer -fork=1, one core per run, "
          f"{jobs} at once, seeds 1..{nseeds}, cap {cap} s; arms: {' '.join(arms)})", flush=True)
    runs = [(t, a, s) for t in targets for s in range(1, nseeds + 1) for a in arms]
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        futs = {ex.submit(one_run, t, a, s, cap): (t, a, s) for t, a, s in runs}
        for f in concurrent.futures.as_completed(futs):
            results[futs[f]] = f.result()
    rows = []
    for t in targets:
        for prop, tags in sorted(classes(t).items()):
            for a in arms:
                per = [results[(t, a, s)].get(prop) for s in range(1, nseeds + 1)]
                found = sum(v is not None for v in per)
                rows.append((t, prop, a, f"{found}/{nseeds}", median_text(per, cap),
                             " ".join(f"{v:.1f}" if v is not None else f">{cap}" for v in per),
                             ",".join(tags)))
    head = ("target", "property", "arm", "found", "median", "per seed (s)", "weaknesses")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    md = os.environ.get("BENCH_TTF_MD")
    if md:
        with open(md, "w") as f:
            f.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
            for r in rows:
                f.write("| " + " | ".join(str(c) for c in r) + " |\n")


if __name__ == "__main__":
    main(sys.argv[1:])
