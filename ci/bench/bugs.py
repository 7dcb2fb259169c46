"""The seeded-bug benchmark (issue 9, in the manner of Magma and FuzzBench):
ci/bugs/NN-name.patch seeds one bug into the corrected variant or a layer it
shares; ci/bugs/NN-name.txt is its witness, an llsc text program whose line
"# expect: FAIL <property>" says what it shows.

  bugs.py check   every patch applies to a scratch copy of the tree, its
                  llsc-fixed replay build fails the witness with the expected
                  property (positive control) while the tree's own build
                  passes it (negative control). PASS:/FAIL: lines (the test
                  suite ci/tests/58-bugs.sh); exit 1 if any check failed.
  bugs.py applies only whether every patch still applies to the working tree
                  (git apply --check in place, nothing built or changed): the
                  quick look after a merge. Exit 1 if one does not.
  bugs.py run     the same as check, then the default one-core campaign
                  (./build.sh fuzz --until-first --targets llsc-fixed, libFuzzer)
                  from the seeds, one run per seed, each capped; a table of
                  killed / median / worst time to kill on stdout and in
                  Markdown. Exit 1 if a patch no longer applies or its witness
                  no longer shows it (the bench is then broken, not slow).

A scratch copy is the tree's files as they are (git ls-files, uncommitted
edits included) plus copies of the build objects the goals need, mtimes
kept, so make recompiles only what the patch touched. Knobs (environment):
  BUGS_DIR        where the patches are (default ci/bugs)
  BENCH_BUGS      which bugs: numbers or name parts, comma or space separated
  BENCH_JOBS      bugs prepared / runs done at once (default: cores)
  BENCH_BUG_CAP   seconds per campaign run (default 120)
  BENCH_BUG_SEEDS libFuzzer seeds (default "1 2 3")
  BENCH_BUG_MD    the Markdown table (default build/bench/bugs.md)
"""

import concurrent.futures
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.environ.get("ROOT") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD") or os.path.join(ROOT, "build")
BUGS_DIR = os.environ.get("BUGS_DIR") or os.path.join(ROOT, "ci", "bugs")
TARGET = "llsc-fixed"
EXPECT_RE = re.compile(r"^#\s*expect:\s*FAIL\s+(\S+)", re.M)
VERDICT_RE = re.compile(r"^FAIL ([^ :]+): ", re.M)


class Bug:
    def __init__(self, name):
        self.name = name
        self.patch = os.path.join(BUGS_DIR, name + ".patch")
        self.witness = os.path.join(BUGS_DIR, name + ".txt")
        text = open(self.patch).read()
        self.files = re.findall(r"^\+\+\+ b/(\S+)", text, re.M)
        head = [l[2:] for l in text.splitlines() if l.startswith("# ")]
        self.place = next((l[len("place: "):] for l in head if l.startswith("place: ")), "?")
        self.expect = None
        if os.path.exists(self.witness):
            m = EXPECT_RE.search(open(self.witness).read())
            self.expect = m.group(1) if m else None


def _matches(name, w):
    """A number names a bug by its NN; anything else is a part of its name."""
    if w.isdigit():
        return name.split("-")[0].isdigit() and int(name.split("-")[0]) == int(w)
    return w in name


def select(names, spec):
    """Bugs named by numbers or name parts; every bug for an empty spec."""
    want = [w for w in re.split(r"[,\s]+", spec or "") if w]
    if not want:
        return names
    missing = [w for w in want if not any(_matches(n, w) for n in names)]
    if missing:
        sys.stderr.write(f"bench bugs: no bug matches {', '.join(missing)}\n")
        sys.exit(2)
    return [n for n in names if any(_matches(n, w) for w in want)]


def all_bugs():
    names = sorted(f[:-6] for f in os.listdir(BUGS_DIR) if f.endswith(".patch"))
    return [Bug(n) for n in select(names, os.environ.get("BENCH_BUGS", ""))]


_live, _lock, _stopping = set(), threading.Lock(), []


def _stop(signum, frame):
    """SIGTERM/SIGINT: end every child (its whole session) and start no
    other, so the temp trees are removed on the way out."""
    _stopping.append(signum)
    with _lock:
        for p in list(_live):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
    raise SystemExit(128 + signum)


def _kill(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass


def run(argv, cwd=None, env=None, timeout=600, usage=None):
    """(exit status, output); usage (a list) gets the child's CPU seconds,
    its waited-for descendants included."""
    if _stopping:
        raise RuntimeError("stopped")
    with _lock:
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        _live.add(p)
    try:
        timer = threading.Timer(timeout, _kill, (p,))
        timer.start()
        out = p.stdout.read()
        p.stdout.close()
        _, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        with _lock:
            _live.discard(p)
    if usage is not None:
        usage.append(ru.ru_utime + ru.ru_stime)
    return p.returncode, out.decode(errors="replace")


def copy_tree(dst, cfgs, extra):
    """The tree's files (mtimes kept), .cache linked, and the build objects
    of configurations cfgs plus the extra build paths, so that make only
    redoes what a patch touches."""
    rc, out = run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"])
    if rc:
        raise RuntimeError("git ls-files failed: " + out[-300:])
    for rel in out.split("\0"):
        src = os.path.join(ROOT, rel)
        if not rel or not os.path.isfile(src) or rel.startswith("build/"):
            continue
        os.makedirs(os.path.dirname(os.path.join(dst, rel)) or dst, exist_ok=True)
        shutil.copy2(src, os.path.join(dst, rel))
    if os.path.isdir(os.path.join(ROOT, ".cache")):
        os.symlink(os.path.join(ROOT, ".cache"), os.path.join(dst, ".cache"))
    b = os.path.join(dst, "build")
    paths = [f"obj/{c}" for c in cfgs] + [f"{c}/{lib}" for c in cfgs
                                           for lib in ("libsut.a", "libharness.a",
                                                       "libbm-builtin.a")] + extra
    for p in paths:
        src = os.path.join(BUILD, p)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(b, p), copy_function=shutil.copy2, symlinks=True)
        elif os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(b, p)), exist_ok=True)
            shutil.copy2(src, os.path.join(b, p))


def apply_patch(bug, tree):
    """'' if the patch applied, else why not (one line)."""
    rc, out = run(["git", "apply", "--check", bug.patch], cwd=tree)
    if rc == 0:
        rc, out = run(["git", "apply", bug.patch], cwd=tree)
    if rc:
        lines = [l for l in out.splitlines() if l.strip()]
        return "does not apply: " + (lines[0] if lines else f"git apply exit {rc}")
    return ""


def make(tree, goals):
    rc, out = run(["make", "-C", tree, "-j1", "-s", "--no-print-directory", "BUILD=build"]
                  + [f"build/{g}" for g in goals], timeout=900)
    return "" if rc == 0 else "build failed: " + " ".join(out.splitlines()[-3:])


def verdict(binary, bin_input):
    env = dict(os.environ, ASAN_OPTIONS="symbolize=0")
    env.pop("LLSC_KNOWN", None)
    rc, out = run([binary, "-timeout=10", bin_input], env=env, timeout=60)
    m = VERDICT_RE.search(out)
    if m:
        return "FAIL " + m.group(1)
    return "PASS" if rc == 0 else f"FAIL crash (exit {rc})"


def witness_checks(bug, optext, patched, base, tmp):
    """[(ok, message)]: the witness kills the patched build and passes on
    the tree's own build."""
    if not bug.expect:
        return [(False, f"{bug.name}: witness {os.path.relpath(bug.witness, ROOT)} missing or "
                        "without '# expect: FAIL <property>'")]
    binp = os.path.join(tmp, bug.name + ".bin")
    rc, out = run([optext, "--family", "llsc", "from-text", bug.witness, binp])
    if rc:
        return [(False, f"{bug.name}: witness does not compile: {out.strip()[-200:]}")]
    got_base, got_bug = verdict(base, binp), verdict(patched, binp)
    want = "FAIL " + bug.expect
    return [(got_bug == want, f"{bug.name}: witness kills the patched {TARGET} "
                              f"(want {want}, got {got_bug})"),
            (got_base == "PASS", f"{bug.name}: witness passes on unpatched {TARGET} "
                                 f"(got {got_base})")]


def prepare(bug, tmp, cfgs, goals, extra, optext_of_tree):
    """Scratch tree with the bug applied and built. (tree, [(ok, msg)])."""
    tree = os.path.join(tmp, bug.name)
    os.makedirs(tree)
    outside = [f for f in bug.files if not f.startswith("sut/")]
    checks = [(not outside, f"{bug.name}: patch touches sut/ only"
                            + (f" (also {', '.join(outside)})" if outside else ""))]
    copy_tree(tree, cfgs, extra)
    why = apply_patch(bug, tree)
    checks.append((not why, f"{bug.name}: patch applies to the current tree"
                            + (f" ({why})" if why else "")))
    if why:
        return tree, checks
    why = make(tree, goals)
    checks.append((not why, f"{bug.name}: patched {TARGET} builds" + (f" ({why})" if why else "")))
    if why:
        return tree, checks
    optext = os.path.join(tree, "build", "tools", "optext") if optext_of_tree \
        else os.path.join(BUILD, "tools", "optext")
    checks += witness_checks(bug, optext, os.path.join(tree, "build", "replay", TARGET),
                             os.path.join(BUILD, "replay", TARGET), tmp)
    return tree, checks


def jobs():
    return int(os.environ.get("BENCH_JOBS") or len(os.sched_getaffinity(0)))


def need(paths):
    missing = [p for p in paths if not os.path.exists(os.path.join(BUILD, p))]
    if missing:
        sys.stderr.write(f"bench bugs: build first (./build.sh): missing {', '.join(missing)}\n")
        sys.exit(2)


# ---- check ------------------------------------------------------------------

def cmd_check():
    need([f"replay/{TARGET}", "tools/optext", "obj/replay"])
    bugs = all_bugs()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="bugs-check-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(jobs()) as pool:
            futs = [pool.submit(prepare, b, tmp, ["replay"], [f"replay/{TARGET}"], [], False)
                    for b in bugs]
            for b, f in zip(bugs, futs):
                for ok, msg in f.result()[1]:
                    print(("PASS: " if ok else "FAIL: ") + msg, flush=True)
                    failed += not ok
    return 1 if failed else 0


def cmd_applies():
    failed = 0
    for b in all_bugs():
        rc, out = run(["git", "apply", "--check", b.patch], cwd=ROOT)
        why = next((l for l in out.splitlines() if l.strip()), f"exit {rc}")
        print(f"PASS: {b.name}: applies" if rc == 0 else f"FAIL: {b.name}: does not apply: {why}")
        failed += rc != 0
    return 1 if failed else 0


# ---- run --------------------------------------------------------------------

def campaign(tree, seed, cap):
    """(killed, wall seconds, property, CPU seconds, executions) of one
    --until-first run in tree. CPU time counts the runner and the engine:
    on a loaded machine it is the fairer clock."""
    out = os.path.join(tree, "runs", f"s{seed}")
    env = dict(os.environ, ROOT=tree, BUILD=os.path.join(tree, "build"), HX_NO_BUILD="1")
    env.pop("LLSC_KNOWN", None)
    t0, cpu = time.monotonic(), []
    rc, log = run([sys.executable, os.path.join(tree, "ci", "campaign", "cli.py"), "fuzz",
                   "--until-first", "--targets", TARGET, "--engine", "libfuzzer",
                   "--time", str(cap), "--seed", str(seed), "--out", out],
                  env=env, timeout=cap * 3 + 120, usage=cpu)
    secs = time.monotonic() - t0
    execs = re.findall(r"^stat::number_of_executed_units:\s*(\d+)", log, re.M)
    execs = int(execs[-1]) if execs else None
    with open(out + ".log", "w") as f:
        f.write(log)
    m = re.search(r"^\s*verdict: FAIL ([^ :]+)", log, re.M)
    if rc == 1:
        return True, secs, m.group(1) if m else "?", cpu[0], execs
    if rc == 0:
        return False, secs, "", cpu[0], execs
    raise RuntimeError(f"campaign exit {rc}: {log.strip()[-300:]}")


def fmt(s, cap):
    return f"{s:.1f}" if s is not None and s <= cap else f">{cap}"


def cmd_run():
    cap = int(os.environ.get("BENCH_BUG_CAP", "120"))
    seeds = [int(s) for s in os.environ.get("BENCH_BUG_SEEDS", "1 2 3").split()]
    md = os.environ.get("BENCH_BUG_MD") or os.path.join(BUILD, "bench", "bugs.md")
    need([f"replay/{TARGET}", f"libfuzzer/{TARGET}", "tools/optext"])
    bugs = all_bugs()
    print(f"bench bugs: {len(bugs)} bugs on {TARGET}, libFuzzer --until-first, one core per "
          f"run, {jobs()} at once, cap {cap} s, seeds {' '.join(map(str, seeds))}", flush=True)
    broken, rows = [], []
    with tempfile.TemporaryDirectory(prefix="bugs-bench-") as tmp:
        seeds_txt = sorted(f[:-4] for f in os.listdir(os.path.join(ROOT, "corpus", TARGET))
                           if f.endswith(".txt"))
        goals = ["tools/optext", f"replay/{TARGET}", f"libfuzzer/{TARGET}",
                 f"libfuzzer/{TARGET}.dict"] + [f"corpus/{TARGET}/seeds/{n}.bin"
                                                 for n in seeds_txt]
        extra = ["tools", f"corpus/{TARGET}"]
        cfgs = ["gcc", "fuzz", "replay"]
        trees = {}
        with concurrent.futures.ThreadPoolExecutor(jobs()) as pool:
            futs = {b.name: pool.submit(prepare, b, tmp, cfgs, goals, extra, True) for b in bugs}
            for b in bugs:
                tree, checks = futs[b.name].result()
                bad = [m for ok, m in checks if not ok]
                if bad:
                    broken.append(b)
                    for m in bad:
                        print(f"bench bugs: BROKEN {m}", flush=True)
                else:
                    trees[b.name] = tree
            # Every (bug, seed) run is one job: the pool keeps the cores busy.
            todo = [(b, s) for b in bugs if b.name in trees for s in seeds]
            runs = {(b.name, s): pool.submit(campaign, trees[b.name], s, cap) for b, s in todo}
            results = {}
            for (name, s), f in runs.items():
                try:
                    results[(name, s)] = f.result()
                except Exception as e:  # noqa: BLE001 - a run that broke is reported
                    print(f"bench bugs: BROKEN {name}: seed {s}: {e}", flush=True)
                    results[(name, s)] = None
                    if name not in [x.name for x in broken]:
                        broken.append(next(b for b in bugs if b.name == name))
    for b in bugs:
        if b.name not in trees:
            rows.append((b, None))
            continue
        rs = [results[(b.name, s)] for s in seeds]
        rows.append((b, rs))
    lines = table(rows, seeds, cap)
    print("\n".join(lines), flush=True)
    os.makedirs(os.path.dirname(md), exist_ok=True)
    with open(md, "w") as f:
        f.write(f"Seeded bugs on {TARGET} (ci/bugs/), `./build.sh bench bugs`: libFuzzer "
                f"--until-first from the seeds, one core per run, cap {cap} s, seeds "
                f"{', '.join(map(str, seeds))}, {time.strftime('%Y-%m-%d')}.\n\n")
        f.write("\n".join(lines) + "\n")
    print(f"bench bugs: table in {os.path.relpath(md, ROOT) if md.startswith(ROOT) else md}")
    if broken:
        print(f"bench bugs: {len(broken)} bug(s) BROKEN (patch does not apply, does not "
              f"build, or its witness no longer shows it): {' '.join(b.name for b in broken)}",
              flush=True)
        return 1
    return 0


def stats(values, cap):
    """Median and worst, a seed that never killed counting as over the cap."""
    key = sorted(v if v is not None else float("inf") for v in values)
    return statistics.median(key), key[-1]


def table(rows, seeds, cap):
    lines = ["| bug | place | witness | killed | median s | worst s | median CPU s | "
             "worst CPU s | median execs | found |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---|"]
    summary = []
    for b, rs in rows:
        if rs is None or any(r is None for r in rs):
            lines.append(f"| {b.name} | {b.place.split(' (')[0]} | {b.expect} | BROKEN "
                         "| | | | | | |")
            continue
        kills = sum(1 for r in rs if r[0])
        med, worst = stats([r[1] if r[0] else None for r in rs], cap)
        cmed, cworst = stats([r[3] if r[0] else None for r in rs], cap)
        emed, _ = stats([r[4] if r[0] else None for r in rs], cap)
        found = ", ".join(sorted({r[2] for r in rs if r[0]})) or "-"
        execs = f"{emed:,.0f}" if emed != float("inf") else "-"
        lines.append(f"| {b.name} | {b.place.split(' (')[0]} | {b.expect} | {kills}/{len(rs)} | "
                     f"{fmt(med, cap)} | {fmt(worst, cap)} | {fmt(cmed, cap)} | "
                     f"{fmt(cworst, cap)} | {execs} |  {found} |")
        summary.append((kills == len(rs), med, worst, cmed, cworst))
    if summary:
        n = len(summary)
        lines += ["", f"{sum(1 for x in summary if x[0])}/{n} killed by every seed; "
                      f"median under 30 s: {sum(1 for x in summary if x[1] < 30)}/{n} wall, "
                      f"{sum(1 for x in summary if x[3] < 30)}/{n} CPU; "
                      f"worst under 120 s: {sum(1 for x in summary if x[2] < 120)}/{n} wall, "
                      f"{sum(1 for x in summary if x[4] < 120)}/{n} CPU"]
    return lines


def main(argv):
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    cmds = {"check": cmd_check, "run": cmd_run, "applies": cmd_applies}
    if len(argv) != 1 or argv[0] not in cmds:
        sys.stderr.write("usage: bugs.py check|run|applies\n")
        return 2
    return cmds[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
