"""The race targets' benchmark (issue 11; ci/bench/race.sh).

1. Time to find, median over seeds: libFuzzer runs a race target from its
   seeds, restarted at each finding (the corpus carries over), and every
   finding is replayed through the replay build; the clock stops at the
   first that belongs to the class. Classes, by what the finding needs (RACE_POINTS picks which
   sut/ scheduling points may preempt, sut/sched_points.h):
     W2   race-v6, an ASan heap-use-after-free (flat_extend under a reader);
     W21  race-v8, only the sc-checked point preempts, and the finding fails
          with that point and passes with none (the check-then-store window);
     W5   race-v8, only the ll-loaded point preempts, likewise (v8's load
          before it arms the page);
     LU   race-v8 and race-v6 as fuzzed (free and scheduled inputs): a
          lost-update verdict.
2. Replay rate: free-mode findings (RACE_MODE=free) of race-v8 and race-v6,
   each confirmed in free mode, then searched for in scheduled mode over
   schedule seeds 1..N and depths 1..3 (RACE_SCHED_SEED, RACE_SCHED_DEPTH):
   replayed when one gives the same property.
3. exec/s of build/libfuzzer-tsan/race-<v> (free mode's race detector).
Every seed is printed; knobs: BENCH_RACE_SEEDS (1 2 3 4 5), BENCH_RACE_CAP
(s per time-to-find run, 30), BENCH_RACE_COLLECT (s per collection, 30),
BENCH_RACE_SEARCH (schedule seeds, 100), BENCH_RACE_TSAN_S (20)."""

import glob
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.environ["ROOT"]
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
SEEDS = [int(s) for s in os.environ.get("BENCH_RACE_SEEDS", "1 2 3 4 5").split()]
CAP = float(os.environ.get("BENCH_RACE_CAP", "30"))
COLLECT = float(os.environ.get("BENCH_RACE_COLLECT", "30"))
SEARCH = int(os.environ.get("BENCH_RACE_SEARCH", "100"))
TSAN_S = int(os.environ.get("BENCH_RACE_TSAN_S", "20"))
TSAN_ENV = {"TSAN_OPTIONS": "halt_on_error=1:exitcode=1"}

FAIL_RE = re.compile(r"^FAIL ([^:]+):", re.M)


def optext(src, dst):
    subprocess.run([os.path.join(BUILD, "tools", "optext"), "--family", "race", "from-text",
                    src, dst], check=True)


def seed_corpus(target, d):
    os.makedirs(d, exist_ok=True)
    for f in sorted(glob.glob(os.path.join(ROOT, "corpus", target, "*.txt"))):
        optext(f, os.path.join(d, os.path.basename(f)[:-4]))


def verdict(target, path, env=None, tsan=False):
    b = os.path.join(BUILD, "replay-tsan" if tsan else "replay", target)
    e = dict(os.environ, **(env or {}))
    try:
        p = subprocess.run([b, path], env=e, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "timeout"
    m = FAIL_RE.search(p.stderr)
    return m.group(1) if m else ("PASS" if p.returncode == 0 else f"exit {p.returncode}")


def needs(point):
    """A finding of race-v8 in the class of `point`: fails with only that
    point preempting, passes with none."""
    def test(target, path, prop):
        if prop not in ("lost-update", "coherence"):
            return False
        with_p = verdict(target, path, {"RACE_MODE": "pct", "RACE_POINTS": point})
        without = verdict(target, path, {"RACE_MODE": "pct", "RACE_POINTS": "none"})
        return with_p in ("lost-update", "coherence") and without == "PASS"
    return test


CLASSES = [
    ("W2", "race-v6", {}, lambda t, p, prop: prop == "heap-use-after-free"),
    ("W21", "race-v8", {"RACE_MODE": "pct", "RACE_POINTS": "sc-checked"}, needs("sc-checked")),
    ("W5", "race-v8", {"RACE_MODE": "pct", "RACE_POINTS": "ll-loaded"}, needs("ll-loaded")),
    ("LU-v8", "race-v8", {}, lambda t, p, prop: prop == "lost-update"),
    ("LU-v6", "race-v6", {}, lambda t, p, prop: prop == "lost-update"),
]


def fuzz(binary, corpus, art, seed, env, seconds, on_artifact):
    """libFuzzer, restarted after each finding (fork mode restarts a job at
    every crash and runs a fraction of the executions on these targets),
    until on_artifact(path) returns True or the time is up. Run k uses seed
    seed * 1000 + k; the corpus directory carries over. Returns the seconds
    to the accepted artifact, or None."""
    t0 = time.monotonic()
    k = 0
    while True:
        left = seconds - (time.monotonic() - t0)
        if left < 1:
            return None
        before = set(glob.glob(os.path.join(art, "crash-*")))
        cmd = [binary, f"-seed={seed * 1000 + k}", f"-max_total_time={int(left) + 1}",
               f"-artifact_prefix={art}/", corpus]
        k += 1
        with open(os.path.join(art, "log"), "a") as lf:
            proc = subprocess.Popen(cmd, env=dict(os.environ, **env), stdout=lf,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            try:
                proc.wait(timeout=left + 30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        new = sorted(set(glob.glob(os.path.join(art, "crash-*"))) - before)
        when = time.monotonic() - t0
        for f in new:
            if on_artifact(f):
                return when
        if not new and proc.returncode == 0:
            return None  # the time ran out without a finding


def time_to_find(tmp):
    print(f"-- time to find (libFuzzer from the seeds, restarted at each finding, cap {CAP:.0f} s per run, "
          f"seeds {' '.join(map(str, SEEDS))})", flush=True)
    rows = []
    for name, target, env, accept in CLASSES:
        times = []
        for seed in SEEDS:
            d = os.path.join(tmp, f"ttf-{name}-{seed}")
            corpus = os.path.join(d, "corpus")
            seed_corpus(target, corpus)

            def on_art(path, target=target, env=env, accept=accept):
                prop = verdict(target, path, env)
                return accept(target, path, prop)
            t = fuzz(os.path.join(BUILD, "libfuzzer", target), corpus, d, seed, env, CAP, on_art)
            times.append(t)
            print(f"   {name:6} {target:10} seed {seed}: "
                  f"{'%.1f s' % t if t is not None else 'not found in %.0f s' % CAP}", flush=True)
        found = sorted(t for t in times if t is not None)
        # Unfound runs count as the cap: the median is a bound then.
        med = statistics.median([t if t is not None else float("inf") for t in times])
        rows.append((name, target, len(found), len(times),
                     "> %.0f s" % CAP if med == float("inf") else "%.1f s" % med))
    print(f"{'class':6} {'target':10} {'found':>7} {'median':>10}")
    for name, target, nf, n, med in rows:
        print(f"{name:6} {target:10} {nf:>3}/{n:<3} {med:>10}", flush=True)


def replay_rate(tmp):
    print(f"-- replay rate: free-mode findings ({COLLECT:.0f} s of RACE_MODE=free per target, "
          f"seed 1), searched over schedule seeds 1..{SEARCH} x depths 1..3", flush=True)
    total = replayed = flaky = 0
    for target in ("race-v8", "race-v6"):
        d = os.path.join(tmp, f"free-{target}")
        corpus = os.path.join(d, "corpus")
        seed_corpus(target, corpus)
        arts = []

        def keep(path):
            arts.append(path)
            return len(arts) >= 10
        fuzz(os.path.join(BUILD, "libfuzzer", target), corpus, d, 1, {"RACE_MODE": "free"},
             COLLECT, keep)
        for a in arts:
            prop = None
            for _ in range(3):
                v = verdict(target, a, {"RACE_MODE": "free"})
                if v not in ("PASS", "timeout") and not v.startswith("exit"):
                    prop = v
                    break
            # A finding that does not fail again in free mode (a rare
            # interleaving) still counts: any violation in scheduled mode
            # replays it.
            flaky += prop is None
            total += 1
            hit = got = None
            for s in range(1, SEARCH + 1):
                for depth in (1, 2, 3):
                    v = verdict(target, a, {"RACE_SCHED_SEED": str(s),
                                            "RACE_SCHED_DEPTH": str(depth)})
                    if v == prop or (prop is None and v not in ("PASS", "timeout")):
                        hit, got = (s, depth), v
                        break
                if hit:
                    break
            # Does it need an interleaving at all? With RACE_POINTS=none and
            # one thread's list after another (depth 1, seed 1 has a fixed
            # order) a sequential weakness fails too.
            seq = hit and verdict(target, a, {"RACE_SCHED_SEED": str(hit[0]),
                                              "RACE_SCHED_DEPTH": str(hit[1]),
                                              "RACE_POINTS": "none"}) == got
            replayed += hit is not None
            print(f"   {target} {os.path.basename(a)[:18]}: {prop or 'did not fail again free (3 runs)'}: "
                  f"{'seed %d depth %d -> %s%s' % (hit + (got, ', also without sut/ points' if seq else ', needs a sut/ point')) if hit else 'not replayed'}",
                  flush=True)
    rate = f"{replayed}/{total}" + (f" ({100 * replayed / total:.0f}%)" if total else "")
    print(f"replay rate: {rate} free-mode findings replayed in scheduled mode "
          f"({flaky} of them did not fail again in free mode)", flush=True)


def tsan_execs(tmp):
    print(f"-- exec/s under TSan (build/libfuzzer-tsan, one process, {TSAN_S} s or up to the "
          f"first finding, seed 1; RACE_MODE forces every input's mode)", flush=True)
    for v, mode in (("fixed", "free"), ("fixed", "pct"), ("v6", "pct"), ("v8", "pct"),
                    ("cmpxchg", "pct"), ("v8", "free")):
        target = f"race-{v}"
        b = os.path.join(BUILD, "libfuzzer-tsan", target)
        if not os.path.exists(b):
            print(f"   {target}: not built")
            continue
        d = os.path.join(tmp, f"tsan-{target}-{mode}")
        corpus = os.path.join(d, "corpus")
        seed_corpus(target, corpus)
        p = subprocess.run([b, "-seed=1", f"-max_total_time={TSAN_S}", "-print_final_stats=1",
                            f"-artifact_prefix={d}/", corpus],
                           env=dict(os.environ, RACE_MODE=mode, **TSAN_ENV),
                           capture_output=True, text=True, timeout=TSAN_S + 120)
        m = re.search(r"stat::average_exec_per_sec:\s*(\d+)", p.stderr)
        runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", p.stderr)
        f = FAIL_RE.search(p.stderr)
        print(f"   {target:12} {mode:5} {m.group(1) if m else '?':>6} exec/s over "
              f"{runs.group(1) if runs else '?'} runs"
              f"{', stopped at ' + f.group(1) if f else ''}", flush=True)


def main():
    what = os.environ.get("BENCH_RACE_PARTS", "ttf replay tsan").split()
    with tempfile.TemporaryDirectory() as tmp:
        if "tsan" in what:
            tsan_execs(tmp)
        if "replay" in what:
            replay_rate(tmp)
        if "ttf" in what:
            time_to_find(tmp)


if __name__ == "__main__":
    main()
