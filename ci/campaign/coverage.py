"""Source-based coverage of what the corpus and a campaign reach; the logic
behind ./build.sh coverage (ci/cmd-coverage.sh builds build/cov/<t> and the
compiled seeds, then execs this).

Per target: replay every input through build/cov/<t> with LLVM_PROFILE_FILE
set, merge the profiles (llvm-profdata), write an HTML report (llvm-cov
show) and print one line of sut/ totals (llvm-cov export -summary-only).

Inputs are replayed in batches. The replay main stops at the first input that
violates a property, via exit(1) (hx_exit_on_violation), so that process's
profile still holds everything it ran: the batch resumes after the failing
input. A process that ends any other way (a signal, the timeout's _exit, a
usage error) writes no profile at all, so the inputs it ran before are run
again and only the one that ended it goes uncounted; those are listed on
stderr and in summary.json. Regressions mostly fail, so they end up one
process each; passing corpora run hundreds to a process.
"""

import argparse
import concurrent.futures
import html
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engines  # noqa: E402

BATCH = 256
# Inputs take milliseconds; the replay main's own default (10 s) is kept
# generous for the -O0 instrumented build on a loaded machine.
TIMEOUT_S = 30
RUNNING = "Running: "
VIOLATION = re.compile(r"^FAIL (?!timeout:)[^ :]+: op ", re.M)


def die(msg, code=2):
    print(f"build.sh coverage: {msg}", file=sys.stderr)
    sys.exit(code)


def llvm_tool(name):
    for cand in (name, f"{name}-14"):
        path = shutil.which(cand)
        if path:
            return path
    die(f"{name} is missing (apt-get install llvm)")


class Target:
    def __init__(self, name, owner, backend):
        self.name, self.owner, self.backend = name, owner, backend
        self.inputs = []
        self.runs = 0          # replay processes
        self.violations = 0    # inputs that failed with their profile kept
        self.lost = []         # inputs whose coverage could not be recorded
        self.sut = None        # {"lines": (covered, count), ...}
        self.error = None


def bins_of(texts_dir, bins_dir):
    """The compiled .bin of every .txt in texts_dir, as ./build.sh replay
    picks them (so a stale .bin of a deleted seed is not replayed)."""
    if not os.path.isdir(texts_dir):
        return []
    out = []
    for n in sorted(os.listdir(texts_dir)):
        if n.endswith(".txt") and os.path.isfile(os.path.join(texts_dir, n)):
            b = os.path.join(bins_dir, n[:-4] + ".bin")
            if os.path.isfile(b):
                out.append(b)
    return out


def regular_files(d, prefix=""):
    if not os.path.isdir(d):
        return []
    return [os.path.join(d, n) for n in sorted(os.listdir(d))
            if not n.startswith(".") and n.startswith(prefix)
            and os.path.isfile(os.path.join(d, n))]


def collect_inputs(t, root, build, campaign):
    c = os.path.join(root, "corpus", t.owner)
    bc = os.path.join(build, "corpus", t.owner)
    t.inputs = bins_of(c, os.path.join(bc, "seeds")) + \
        bins_of(os.path.join(c, "regressions"), os.path.join(bc, "regressions"))
    if campaign:
        # The campaign's layout is engines.py's.
        d = engines.target_dir(campaign, t.name)
        t.inputs += regular_files(os.path.join(d, "corpus"))
        for q in engines.afl_queues(d):
            t.inputs += regular_files(q, "id:")


def replay(t, binary, profile_pattern):
    env = dict(os.environ, LLVM_PROFILE_FILE=profile_pattern)
    todo = list(t.inputs)
    i = 0
    singles_until = 0  # inputs before this index run one per process
    while i < len(todo):
        batch = todo[i:i + (1 if i < singles_until else BATCH)]
        p = subprocess.run([binary, f"-timeout={TIMEOUT_S}", "--"] + batch, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace")
        t.runs += 1
        if p.returncode == 0:
            i += len(batch)
            continue
        ran = [ln[len(RUNNING):] for ln in p.stdout.splitlines() if ln.startswith(RUNNING)]
        k = len(ran) - 1
        if k < 0 or ran != batch[:k + 1]:
            # Nothing says which input ended it (a file vanished before the
            # run, say): this batch again, one input per process.
            if len(batch) > 1:
                singles_until = i + len(batch)
            else:
                t.lost.append((batch[0], last_line(p.stdout, p.returncode)))
                i += 1
            continue
        if p.returncode == 1 and VIOLATION.search(p.stdout):
            t.violations += 1
            i += k + 1
        else:
            # No profile was written: the inputs before this one run again.
            t.lost.append((todo.pop(i + k), last_line(p.stdout, p.returncode)))
            if i + k < singles_until:
                singles_until -= 1


def last_line(out, rc):
    lines = [ln for ln in out.splitlines() if ln.strip()]
    why = lines[-1] if lines else "no output"
    return f"exit status {rc}: {why}" if rc >= 0 else f"signal {-rc}: {why}"


def under(path, d):
    return path == d or path.startswith(d.rstrip(os.sep) + os.sep)


def measure(t, a, profdata_tool, cov_tool):
    binary = os.path.join(a.build, "cov", t.name)
    prof_dir = os.path.join(a.out, "profiles", t.name)
    os.makedirs(prof_dir)
    # %m: one pool file per binary, merged into by every run (under a lock),
    # so thousands of runs neither overwrite each other nor leave thousands
    # of files behind.
    replay(t, binary, os.path.join(prof_dir, "%m.profraw"))
    raws = [os.path.join(prof_dir, n) for n in os.listdir(prof_dir) if n.endswith(".profraw")]
    if not raws:
        t.error = "no profile was written (no input replayed to its end)"
        return
    profdata = os.path.join(a.out, "profiles", t.name + ".profdata")
    run_tool([profdata_tool, "merge", "-sparse", "-o", profdata] + raws, t)
    if t.error:
        return
    common = [binary, f"-instr-profile={profdata}"]
    exp = run_tool([cov_tool, "export", "-summary-only"] + common, t)
    if t.error:
        return
    files = json.loads(exp)["data"][0]["files"]

    def absolute(f):
        return os.path.normpath(f if os.path.isabs(f) else os.path.join(a.root, f))

    sut = os.path.join(a.root, "sut")
    shown = [os.path.join(a.root, "sut"), os.path.join(a.root, "harness")]
    if t.backend == "qemu" and a.qemu_src:
        shown.append(a.qemu_src)
    sums = {k: [0, 0] for k in ("lines", "functions", "branches")}
    sources = []
    for f in files:
        path = absolute(f["filename"])
        if any(under(path, d) for d in shown):
            sources.append(f["filename"])
        if under(path, sut):
            for k in sums:
                sums[k][0] += f["summary"][k]["covered"]
                sums[k][1] += f["summary"][k]["count"]
    t.sut = {k: tuple(v) for k, v in sums.items()}
    out = os.path.join(a.out, "html", t.name)
    run_tool([cov_tool, "show", "-format=html", f"-output-dir={out}", "-show-branches=count",
              f"-project-title={t.name}"] + common + sorted(sources), t)


def run_tool(argv, t):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, errors="replace")
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["no message"])[-1]
        t.error = f"{os.path.basename(argv[0])} {argv[1]} failed: {msg}"
    return p.stdout


def fraction(xy):
    x, y = xy
    return f"{x}/{y} ({100.0 * x / y:.1f}%)" if y else f"{x}/{y} (n/a)"


def line_of(name, t, why):
    if why is not None:
        return f"coverage {name}: skipped: {why}"
    if t.error:
        return f"coverage {name}: error: {t.error}"
    s = t.sut
    return (f"coverage {name}: sut/ lines {fraction(s['lines'])}, "
            f"functions {fraction(s['functions'])}, branches {fraction(s['branches'])}")


def write_index(a, rows, targets):
    cells = []
    for name, why in rows:
        t = targets.get(name)
        if why is not None:
            cells.append(f"<tr><td>{html.escape(name)}</td><td colspan=4>skipped: "
                         f"{html.escape(why)}</td></tr>")
        elif t.error:
            cells.append(f"<tr><td>{html.escape(name)}</td><td colspan=4>error: "
                         f"{html.escape(t.error)}</td></tr>")
        else:
            cells.append(
                f"<tr><td><a href=\"html/{html.escape(name)}/index.html\">{html.escape(name)}</a></td>"
                + "".join(f"<td>{fraction(t.sut[k])}</td>" for k in ("lines", "functions", "branches"))
                + f"<td>{len(t.inputs)}</td></tr>")
    src = f"<p>Campaign directory: {html.escape(a.dir)}</p>" if a.dir else \
        "<p>Seeds and regressions only (no campaign directory).</p>"
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>llsc-harness coverage</title>
<style>body{{font-family:sans-serif}} td,th{{padding:2px 10px;text-align:left}}</style>
</head><body>
<h1>llsc-harness coverage</h1>
{src}
<p>Totals over the files under <code>sut/</code>; each report shows <code>sut/</code>,
<code>harness/</code> (and QEMU's files for the qemu backend).</p>
<table>
<tr><th>target</th><th>sut/ lines</th><th>functions</th><th>branches</th><th>inputs</th></tr>
{chr(10).join(cells)}
</table>
</body></html>
"""
    with open(os.path.join(a.out, "index.html"), "w") as f:
        f.write(page)


def write_summary(a, rows, targets):
    out = {"campaign_dir": a.dir, "targets": {}}
    for name, why in rows:
        t = targets.get(name)
        if why is not None:
            out["targets"][name] = {"skipped": why}
            continue
        e = {"inputs": len(t.inputs), "processes": t.runs, "violations": t.violations,
             "lost": [{"input": f, "why": w} for f, w in t.lost]}
        if t.error:
            e["error"] = t.error
        else:
            e["sut"] = {k: {"covered": v[0], "count": v[1]} for k, v in t.sut.items()}
            e["html"] = os.path.join("html", name, "index.html")
        out["targets"][name] = e
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


class Row(argparse.Action):
    """--target and --skip share one list so the output keeps their order."""

    def __call__(self, parser, ns, value, option):
        rows = getattr(ns, "rows", None) or []
        parts = value.split("=", 2 if option == "--target" else 1)
        if not parts[0] or (option == "--target" and len(parts) != 3):
            parser.error(f"bad {option} {value!r}")
        rows.append((parts, option == "--skip"))
        ns.rows = rows


def main():
    ap = argparse.ArgumentParser(prog="coverage.py")
    ap.add_argument("--root", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--dir", help="campaign output directory")
    ap.add_argument("--qemu-src")
    ap.add_argument("--target", action=Row, dest="rows", metavar="T=OWNER=BACKEND")
    ap.add_argument("--skip", action=Row, dest="rows", metavar="T=WHY")
    a = ap.parse_args()
    a.root, a.build, a.out = (os.path.abspath(p) for p in (a.root, a.build, a.out))
    if not a.rows:
        die("no targets")
    profdata_tool, cov_tool = llvm_tool("llvm-profdata"), llvm_tool("llvm-cov")

    # Only what this command writes is removed: COVERAGE_OUT may be any directory.
    for p in ("profiles", "html"):
        shutil.rmtree(os.path.join(a.out, p), ignore_errors=True)
    for p in ("index.html", "summary.json"):
        try:
            os.remove(os.path.join(a.out, p))
        except FileNotFoundError:
            pass
    os.makedirs(os.path.join(a.out, "profiles"))

    rows, targets, seen = [], {}, set()
    for parts, skipped in a.rows:
        if parts[0] in seen:
            continue
        seen.add(parts[0])
        if skipped:
            rows.append((parts[0], parts[1]))
        else:
            t = targets[parts[0]] = Target(*parts)
            collect_inputs(t, a.root, a.build, a.dir)
            rows.append((t.name, None))

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for fut in [pool.submit(measure, t, a, profdata_tool, cov_tool) for t in targets.values()]:
            fut.result()

    write_index(a, rows, targets)
    write_summary(a, rows, targets)
    failed = False
    for name, why in rows:
        t = targets.get(name)
        print(line_of(name, t, why))
        if t is not None:
            failed |= bool(t.error)
            for f, w in t.lost:
                print(f"coverage {name}: not counted: {f}: {w}", file=sys.stderr)
    print(f"coverage: report {os.path.join(a.out, 'index.html')}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
