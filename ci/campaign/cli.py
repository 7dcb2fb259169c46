"""Entry points of the campaign tools: `python3 ci/campaign/cli.py COMMAND
ARGS...`, called by the thin ci/cmd-*.sh wrappers. Usage errors print one
line on stderr and exit 2."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import project  # noqa: E402
from project import UsageError  # noqa: E402

FUZZ_USAGE = ("usage: ./build.sh fuzz [--targets T,...] [--engine afl|libfuzzer|both] "
              "[--time 8h] [--jobs N] [--out DIR] [--seed N] [--no-minimize] [--no-mask] | "
              "./build.sh fuzz --until-first --targets T [--engine afl|libfuzzer] "
              "[--time S|--runs N] [--seed N]")


class Args:
    """A tiny option parser: --opt VALUE or --opt=VALUE, and flags."""

    def __init__(self, argv, with_value, flags, usage, positional=0):
        self.values, self.flags, self.pos = {}, set(), []
        i = 0
        while i < len(argv):
            a = argv[i]
            if a in ("-h", "--help"):
                print(usage)
                sys.exit(0)
            name, eq, val = a.partition("=")
            if name in with_value:
                if not eq:
                    if i + 1 >= len(argv):
                        raise UsageError(f"{name} needs a value ({usage})")
                    i += 1
                    val = argv[i]
                self.values[with_value[name]] = val
            elif a in flags:
                self.flags.add(flags[a])
            elif a.startswith("-"):
                raise UsageError(f"unknown option '{a}' ({usage})")
            else:
                self.pos.append(a)
            i += 1
        if len(self.pos) > positional:
            raise UsageError(f"unknown argument '{self.pos[positional]}' ({usage})")


def number(name, s, lo=0, hi=2**32 - 1):
    if not s.isdigit() or len(s) > 10 or not lo <= int(s) <= hi:
        raise UsageError(f"{name} needs a number from {lo} to {hi}, got '{s}'")
    return int(s)


def parse_targets(spec):
    known = project.targets()
    if not spec or spec == "all":
        return known
    out = []
    for t in spec.split(","):
        if t not in known:
            raise UsageError(f"unknown target '{t}' (see ./build.sh targets)")
        if t not in out:
            out.append(t)
    return out


# ---- fuzz -------------------------------------------------------------------

def cmd_fuzz(argv):
    a = Args(argv, {"--targets": "targets", "--target": "targets", "--engine": "engine",
                    "--time": "time", "--seconds": "time", "--runs": "runs", "--jobs": "jobs",
                    "--out": "out", "--seed": "seed"},
             {"--until-first": "until_first", "--no-minimize": "no_minimize",
              "--no-mask": "no_mask"}, FUZZ_USAGE)
    v = a.values
    import campaign
    seconds = campaign.parse_duration(v["time"]) if "time" in v else None
    seed = number("--seed", v["seed"]) if "seed" in v else None
    runs = number("--runs", v["runs"], 1) if "runs" in v else None
    # "every core": the cores this process may run on, as nproc counts them
    jobs = number("--jobs", v["jobs"], 1, 4096) if "jobs" in v else len(os.sched_getaffinity(0))
    engine = v.get("engine", "both")
    if engine not in ("afl", "libfuzzer", "both"):
        raise UsageError(f"unknown engine '{engine}' (afl, libfuzzer or both)")
    targets = parse_targets(v.get("targets"))
    if "until_first" in a.flags:
        if "no_mask" in a.flags:
            raise UsageError("--until-first never masks known classes; drop --no-mask")
        if len(targets) != 1:
            raise UsageError(f"--until-first runs one target: give --targets T ({FUZZ_USAGE})")
        if engine == "both":
            engine = "libfuzzer"
        return until_first(targets[0], engine, seconds, runs, seed, v.get("out"))
    if runs is not None:
        raise UsageError("--runs is for --until-first; a campaign runs for --time")
    usable = []
    for t in targets:
        why = project.target_missing(t)
        if why:
            if "targets" in v:
                raise UsageError(f"target {t} cannot be built here: {why}")
            print(f"fuzz: skipping {t}: {why}", flush=True)
        else:
            usable.append(t)
    if not usable:
        raise UsageError("no target can be built here")
    engines = ["afl", "libfuzzer"] if engine == "both" else [engine]
    name = ("all" if "targets" not in v else "-".join(usable)) + "-" + engine
    out = v.get("out") or os.path.join(project.BUILD, "campaigns", name)
    build_for(usable, engines)
    c = campaign.Campaign(out, usable, engines, jobs, seconds or 600, seed,
                          minimize="no_minimize" not in a.flags,
                          every_target="targets" not in v, mask="no_mask" not in a.flags)
    return c.run()


def build_for(targets, engines):
    goals = ["tools/optext"]
    for t in targets:
        goals.append(f"replay/{t}")
        if "libfuzzer" in engines:
            goals.append(f"libfuzzer/{t}")
        if "afl" in engines:
            goals += [f"afl/{t}", f"afl/{t}.cmplog"]
        goals += project.seed_goals(t)[1]
    project.make(goals)
    for t in targets:
        if not os.listdir(project.seeds_dir(t)):
            raise UsageError(f"target {t} has no seeds (corpus/{project.corpus_owner(t)}/*.txt)")


def until_first(target, engine, seconds, runs, seed, out):
    """One engine on one target until its first finding (the gate's smoke
    and the tests): exit 0 no finding, 1 finding(s)."""
    import engines
    import procs
    why = project.target_missing(target)
    if why:
        raise UsageError(f"target {target} cannot be built yet: {why}")
    if seconds is None and runs is None:
        seconds = 60
    # The gate's smoke run: a known class must still show, so nothing is masked.
    project.set_masking(False)
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little") % 2147483647 + 1
    build_for([target], [engine])
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    sdir = os.path.abspath(out or os.path.join(project.BUILD, "findings", target,
                                               f"{engine}-{stamp}-s{seed}"))
    lim = ", ".join(x for x in (f"{seconds} s" if seconds else "",
                                f"{runs} runs" if runs else "") if x)
    print(f"fuzz: target {target}, engine {engine}, seed {seed}, {lim}", flush=True)
    print(f"fuzz: findings go to {project.rel(sdir)}/", flush=True)
    tag = procs.new_tag("fuzz")
    dog = procs.Watchdog(tag)
    s = engines.ENGINES[engine](sdir, target, 1, seconds, 1, seed, tag, until_first=True,
                                runs=runs)
    s.tdir = sdir
    s.passthrough = True
    stopped = []
    signal.signal(signal.SIGINT, lambda n, f: stopped.append(n))
    signal.signal(signal.SIGTERM, lambda n, f: stopped.append(n))
    try:
        s.start()
        while s.alive() and not stopped:
            time.sleep(0.2)
        if stopped:
            s.stop()
    finally:
        procs.kill_tagged(tag, grace=0.5)
        dog.close()
    rcs = [rc for rc in s.returncodes() if rc is not None]
    rc = max(rcs, key=abs) if rcs else 0
    print(f"fuzz: engine exited with status {rc}; seed was {seed}", flush=True)
    found = s.finding_files()
    if not found:
        if stopped:
            print("fuzz: interrupted, no findings", flush=True)
            return 128 + stopped[0]
        if rc != 0:
            print(f"fuzz: the engine failed without a finding (status {rc}); "
                  f"its output is above", file=sys.stderr)
            return 3
        print("fuzz: no findings", flush=True)
        return 0
    for f in found:
        verdict, _ = project.replay(target, f)
        print(f"finding: {project.rel(f)}")
        print(f"  verdict: {verdict}")
        print(f"  reproduce: ./build.sh repro --target {target} '{project.rel(f)}'")
        print(f"  minimize:  ./build.sh minimize --target {target} '{project.rel(f)}'")
    return 1


# ---- findings, adopt, report, corpus-merge -----------------------------------

def campaign_dir(path, usage):
    if not path:
        raise UsageError(f"no campaign directory given ({usage})")
    if not os.path.isfile(os.path.join(path, "campaign.json")):
        raise UsageError(f"{path} is not a campaign directory (no campaign.json)")
    return os.path.abspath(path)


def triage_leftovers(out):
    """Triage finding files nobody triaged yet (a killed runner), unless a
    runner is at work on this directory right now."""
    import fcntl
    import json
    import engines
    import triage
    with open(os.path.join(out, ".lock"), "a+") as lk:
        try:
            fcntl.flock(lk, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None
        with open(os.path.join(out, "campaign.json")) as f:
            st = json.load(f)
        project.set_masking(st.get("mask", False))  # replay as the campaign did
        tr = triage.Triage(out, log=lambda m: print("triage: " + m, file=sys.stderr))
        n = 0
        for t in st["targets"]:
            for e in st["engines"]:
                s = engines.ENGINES[e](out, t, 1, 0, 0, 0, "")
                for f in s.finding_files():
                    if not tr.known(f):
                        tr.triage_one(t, e, f, st.get("spent", 0))
                        n += 1
        return n


FINDINGS_USAGE = "usage: ./build.sh findings DIR"


def cmd_findings(argv):
    a = Args(argv, {}, {}, FINDINGS_USAGE, positional=1)
    out = campaign_dir(a.pos[0] if a.pos else None, FINDINGS_USAGE)
    import report
    from campaign import fmt_secs
    triage_leftovers(out)
    st, db = report.load(out)
    found = report.findings_of(db)
    print(f"{len(found)} unique finding(s) in {project.rel(out)} "
          f"({fmt_secs(st['spent'])} of campaign time)")
    for i, r in enumerate(found, 1):
        print(f"{i:3d}  {r['target']}  {r['signature']}")
        print(f"     count {r['count']}, first seen at {fmt_secs(r['first_seen'])} "
              f"({time.strftime('%Y-%m-%d %H:%M', time.localtime(r['first_seen_at']))}), "
              f"engines {', '.join(r.get('engines', []))}")
        print(f"     {report._repro_cmd(out, r)}")
    unrep = sum(r["count"] for r in db["findings"].values() if r["signature"] == "not-reproduced")
    if unrep:
        print(f"({unrep} engine file(s) passed on replay and are not findings)")
    return 0


ADOPT_USAGE = ("usage: ./build.sh adopt DIR N [--name NAME]   "
               "(N as listed by ./build.sh findings DIR)")


def cmd_adopt(argv):
    a = Args(argv, {"--name": "name"}, {}, ADOPT_USAGE, positional=2)
    if len(a.pos) != 2:
        raise UsageError(f"adopt needs a campaign directory and a finding number ({ADOPT_USAGE})")
    out = campaign_dir(a.pos[0], ADOPT_USAGE)
    import adopt
    return adopt.adopt(out, number("N", a.pos[1], 1), a.values.get("name"))


REPORT_USAGE = "usage: ./build.sh report DIR"


def cmd_report(argv):
    a = Args(argv, {}, {}, REPORT_USAGE, positional=1)
    out = campaign_dir(a.pos[0] if a.pos else None, REPORT_USAGE)
    import report
    n = triage_leftovers(out)
    if n:
        print(f"report: triaged {n} finding file(s) nobody had triaged")
    paths = report.write(out)
    print(f"report: {project.rel(paths['md'])}")
    print(f"report: {project.rel(paths['html'])}")
    for p in paths["plots"]:
        print(f"report: {project.rel(p)}")
    return 0


MERGE_USAGE = "usage: ./build.sh corpus-merge DIR [--targets T,...]"


def cmd_corpus_merge(argv):
    a = Args(argv, {"--targets": "targets"}, {}, MERGE_USAGE, positional=1)
    out = campaign_dir(a.pos[0] if a.pos else None, MERGE_USAGE)
    import merge
    return merge.merge(out, a.values.get("targets"))


def cmd_procs(argv):
    import procs
    return procs.main(["procs"] + argv)


COMMANDS = {"fuzz": cmd_fuzz, "findings": cmd_findings, "adopt": cmd_adopt,
            "report": cmd_report, "corpus-merge": cmd_corpus_merge, "procs": cmd_procs}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print("usage: cli.py " + "|".join(COMMANDS) + " ARGS...", file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[1]](argv[2:])
    except UsageError as e:
        print(f"build.sh {argv[1]}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
