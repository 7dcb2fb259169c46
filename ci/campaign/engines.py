"""One engine session: a target fuzzed by libFuzzer or AFL++ on `width`
cores for one slice of a campaign, in the campaign's own folders.

Layout under the campaign directory (OUT):
  OUT/<t>/corpus/                 the target's shared corpus: libFuzzer's
                                  main corpus, AFL++'s foreign sync source
  OUT/<t>/afl/<instance>/         AFL++ sync dir: main, s1, s2, ...; each
                                  with queue/, crashes/, hangs/, plot_data
  OUT/<t>/libfuzzer/artifacts/    libFuzzer's crash-*, timeout-*, oom-*
  OUT/<t>/logs/<engine>-<n>.log   the engine's output, one file per slice
Both engines of a target share what they find: libFuzzer starts each slice
from its corpus plus every AFL++ queue; AFL++'s main instance imports
OUT/<t>/corpus with -F as it runs.
"""

import os
import re
import signal
import subprocess

from project import BUILD, dict_path, family, seeds_dir
import procs

AFL_SCHEDULES = ["explore", "coe", "lin", "quad", "exploit", "rare", "seek", "mmopt"]

# "#1000827: cov: 2644 ft: 5659 corp: 795 exec/s 6128 oom/timeout/crash: 0/0/0 time: 213s"
_LF_FORK = re.compile(r"^#(\d+): cov: (\d+) ft: \d+ corp: (\d+) exec/s:? (\d+) "
                      r"oom/timeout/crash: (\d+)/(\d+)/(\d+)")
# "#4096\tpulse  cov: 85 ft: 86 corp: 2/3b lim: 4 exec/s: 2048 rss: 30Mb"
_LF_PLAIN = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: \d+ corp: (\d+)/\S+.*?exec/s: (\d+)")


# libFuzzer's fork mode as campaigns run it. Keep going past findings; and
# -fork_corpus_groups: without it each job starts from sqrt(N) corpus files
# skewed toward the newest, so once a masked campaign's corpus has grown the
# seeds (one mutation from several known classes) almost never reach a job;
# grouped by size, every job draws from every group. Measured (ci/bench/
# ttf.py, BENCH_LF_GROUPS=0 for the old way): v6 stray-write 2/5 -> 5/5 under
# 60 s, v8 host-oob-write median 39 -> 1 s; and a fork session on llsc-fixed
# runs about twice the executions (README, Benchmarks).
LF_FORK_ARGS = ["-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1",
                "-fork_corpus_groups=1"]


def target_dir(out, target):
    return os.path.join(out, target)


def known_stats_path(tdir, engine):
    return os.path.join(tdir, f"known-stats.{engine}")


class Session:
    engine = "?"

    def __init__(self, out, target, width, seconds, slice_no, seed, tags, until_first=False,
                 runs=None):
        """tags: what every process of the session carries (procs.py); the
        last one is the session's own, which ends it whole."""
        self.out, self.target, self.width = out, target, max(1, width)
        self.seconds, self.slice_no, self.seed = seconds, slice_no, seed
        self.tags = [tags] if isinstance(tags, str) else list(tags)
        self.until_first, self.runs = until_first, runs
        self.tdir = target_dir(out, target)
        self.procs = []          # (name, Popen, log path)
        self.passthrough = False  # engine output to our stdout (--until-first)

    # -- common machinery ---------------------------------------------------
    def _spawn(self, name, argv, env, log):
        """Start one engine process in its own session, tagged, dying with
        us; its output goes to log (or to our stdout, in passthrough)."""
        os.makedirs(os.path.dirname(log), exist_ok=True)
        os.makedirs(self.tdir, exist_ok=True)
        f = open(log, "ab")
        f.write(("$ " + " ".join(argv) + "\n").encode())
        f.flush()
        out = None if self.passthrough else f
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=None if self.passthrough else subprocess.STDOUT,
                             env=procs.tagged_env(self.tags, env), cwd=self.tdir,
                             preexec_fn=procs.child_setup)
        f.close()
        self.procs.append((name, p, log))
        return p

    def alive(self):
        return any(p.poll() is None for _, p, _ in self.procs)

    def returncodes(self):
        return [p.poll() for _, p, _ in self.procs]

    def stop(self, grace=5.0):
        """Ask every process to end (engines write their final stats), then
        kill any that does not; end() sweeps what they leave behind."""
        for _, p, _ in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGINT)
                except OSError:
                    pass
        for _, p, _ in self.procs:
            try:
                p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
                p.wait()

    def end(self):
        """Stop, then kill every process of the session's own tag: AFL++'s
        persistent children outlive their afl-fuzz, stopped."""
        if self.alive():
            self.stop()
        procs.kill_tagged(self.tags[-1])

    def masked_env(self, env):
        """A masking campaign: every process of the session adds the known
        classes it masked into one counter file (harness/known.h)."""
        if env.get("LLSC_KNOWN"):
            env["LLSC_KNOWN_STATS"] = known_stats_path(self.tdir, self.engine)
        return env

    def finding_files(self):
        """Every finding file this target's engine has written so far."""
        raise NotImplementedError

    def describe(self):
        raise NotImplementedError


class LibFuzzer(Session):
    engine = "libfuzzer"

    def artifacts(self):
        return os.path.join(self.tdir, "libfuzzer", "artifacts")

    def corpus(self):
        return os.path.join(self.tdir, "corpus")

    def start(self):
        os.makedirs(self.artifacts(), exist_ok=True)
        os.makedirs(self.corpus(), exist_ok=True)
        tmp = os.path.join(self.tdir, "libfuzzer", "tmp")
        os.makedirs(tmp, exist_ok=True)
        argv = [os.path.join(BUILD, "libfuzzer", self.target), f"-seed={self.seed}",
                f"-artifact_prefix={self.artifacts()}/", "-print_final_stats=1", "-timeout=10",
                "-rss_limit_mb=2048"]
        if not self.until_first:
            # Keep going past findings: every crash, timeout and OOM is
            # written to artifacts/ and the jobs carry on.
            argv += [f"-fork={self.width}"] + LF_FORK_ARGS
        if self.seconds:
            argv.append(f"-max_total_time={int(self.seconds)}")
        if self.runs:
            argv.append(f"-runs={self.runs}")
        d = dict_path(self.target)
        if d:
            argv.append(f"-dict={d}")
        argv += [self.corpus(), seeds_dir(self.target)]
        argv += afl_queues(self.tdir)
        # fork mode keeps its job folders under TMPDIR: inside the campaign,
        # so a killed runner leaves no litter in /tmp.
        env = self.masked_env(dict(os.environ, TMPDIR=tmp))
        env.setdefault("ASAN_OPTIONS", "symbolize=0")
        self.log = os.path.join(self.tdir, "logs", f"libfuzzer-{self.slice_no}.log")
        self._spawn("libfuzzer", argv, env, self.log)
        self._pos = os.path.getsize(self.log)
        self._last = {}

    def poll(self):
        """Live figures from the engine's status lines (this slice only)."""
        try:
            with open(self.log, "rb") as f:
                f.seek(self._pos)
                data = f.read()
        except OSError:
            data = b""
        cut = data.rfind(b"\n") + 1
        self._pos += cut
        for line in data[:cut].decode(errors="replace").splitlines():
            m = _LF_FORK.match(line)
            if m:
                self._last = {"execs": int(m.group(1)), "cov": int(m.group(2)),
                              "corpus": int(m.group(3)), "eps": int(m.group(4))}
                continue
            m = _LF_PLAIN.match(line)
            if m:
                self._last = {"execs": int(m.group(1)), "cov": int(m.group(2)),
                              "corpus": int(m.group(3)), "eps": int(m.group(4))}
        return dict(self._last)

    def finding_files(self):
        return list_files(self.artifacts(), ("crash-", "timeout-", "oom-", "leak-",
                                             "slow-unit-"))

    def describe(self):
        return f"libFuzzer -fork={self.width}" if not self.until_first else "libFuzzer"


class Afl(Session):
    engine = "afl"

    def sync_dir(self):
        return os.path.join(self.tdir, "afl")

    def instances(self):
        """[(name, extra argv)]: one main; the first secondary runs the
        CMPLOG build; the others vary the power schedule (AFL++'s multicore
        advice). Alone, the main takes CMPLOG itself."""
        cmplog = ["-c", os.path.join(BUILD, "afl", self.target + ".cmplog"), "-l", "2"]
        if self.until_first:
            return [("default", ["-c", cmplog[1]])]
        out = [("main", ["-M", "main"] + (cmplog if self.width == 1 else []))]
        for i in range(1, self.width):
            extra = ["-S", f"s{i}"]
            if i == 1:
                extra += cmplog
            else:
                extra += ["-p", AFL_SCHEDULES[(i - 2 + self.slice_no) % len(AFL_SCHEDULES)]]
            out.append((f"s{i}", extra))
        return out

    def start(self):
        os.makedirs(self.sync_dir(), exist_ok=True)
        corpus = os.path.join(self.tdir, "corpus")
        os.makedirs(corpus, exist_ok=True)
        env = {k: v for k, v in os.environ.items()
               if k not in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "MSAN_OPTIONS")}
        env.update(AFL_SKIP_CPUFREQ="1", AFL_NO_AFFINITY="1", AFL_NO_UI="1",
                   AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1", AFL_FAST_CAL="1",
                   AFL_CMPLOG_ONLY_NEW="1")
        self.masked_env(env)
        mutator = afl_mutator(self.target)
        if mutator:
            env["AFL_CUSTOM_MUTATOR_LIBRARY"] = mutator
        if self.until_first:
            env["AFL_BENCH_UNTIL_CRASH"] = "1"
        else:
            # Each slice resumes the instance's own queue; imports first.
            env.update(AFL_AUTORESUME="1", AFL_IMPORT_FIRST="1")
        d = dict_path(self.target)
        self._prior = {}
        for n, (name, extra) in enumerate(self.instances()):
            self._prior[name] = afl_stats(os.path.join(self.sync_dir(), name)).get("execs", 0)
            argv = ["afl-fuzz", "-i", seeds_dir(self.target), "-o", self.sync_dir(),
                    "-m", "none", "-s", str((self.seed + n) % 2**32)] + extra
            if name == "main":
                argv += ["-F", corpus]
            if d:
                argv += ["-x", d]
            if self.seconds:
                argv += ["-V", str(int(self.seconds))]
            if self.runs:
                argv += ["-E", str(self.runs)]
            argv += ["--", os.path.join(BUILD, "afl", self.target)]
            log = os.path.join(self.tdir, "logs", f"afl-{name}-{self.slice_no}.log")
            self._spawn(name, argv, env, log)

    def poll(self):
        """Live figures: each instance's plot_data (every 5 s once AFL++ is
        a minute in; 4.04c writes nothing earlier) or fuzzer_stats, and the
        queue as it grows on disk."""
        execs = eps = 0
        cov = 0
        warm = True
        for name, _ in self.instances():
            s = afl_stats(os.path.join(self.sync_dir(), name))
            e = s.get("execs", 0)
            prior = self._prior.get(name, 0)
            execs += e - prior if e >= prior else e
            if "eps" in s and self._running(name):
                eps += s["eps"]
                warm = False
            cov = max(cov, s.get("cov", 0))
        main = self.instances()[0][0]
        corpus = count_files(os.path.join(self.sync_dir(), main, "queue"), "id:")
        out = {"execs": execs, "cov": cov, "corpus": corpus}
        if not warm:
            out["eps"] = int(eps)
        return out

    def _running(self, name):
        return any(n == name and p.poll() is None for n, p, _ in self.procs)

    def finding_files(self):
        # crashes.<date>/ and hangs.<date>/ too: AFL++ renames them when it
        # resumes an instance.
        files = []
        for inst in list_dirs(self.sync_dir()):
            for sub in list_dirs(os.path.join(self.sync_dir(), inst)):
                if sub.startswith(("crashes", "hangs")):
                    files += list_files(os.path.join(self.sync_dir(), inst, sub), ("id:",))
        return files

    def describe(self):
        names = [n for n, _ in self.instances()]
        return "AFL++ " + "+".join(names)


def afl_mutator(target):
    """The family's structure-aware mutator library (mk/fuzz.mk), or None:
    not built, or HX_MUTATOR=0 (as for libFuzzer). AFL++ runs it as a stage
    of its own and keeps its byte stages (no AFL_CUSTOM_MUTATOR_ONLY)."""
    if os.environ.get("HX_MUTATOR") in ("0", "off"):
        return None
    so = os.path.join(BUILD, "afl", f"mutator-{family(target)}.so")
    return so if os.path.exists(so) else None


def afl_queues(tdir):
    d = os.path.join(tdir, "afl")
    return [os.path.join(d, i, "queue") for i in list_dirs(d)
            if os.path.isdir(os.path.join(d, i, "queue"))]


def afl_stats(inst_dir):
    """{'execs', 'eps', 'cov' (edges)} from plot_data's last line, else from
    fuzzer_stats; {} if the instance has written neither yet."""
    out = {}
    try:
        with open(os.path.join(inst_dir, "fuzzer_stats")) as f:
            kv = dict((k.strip(), v.strip()) for k, v in
                      (line.split(":", 1) for line in f if ":" in line))
        out = {"execs": int(kv.get("execs_done", 0)), "cov": int(kv.get("edges_found", 0) or 0)}
        # The file written at start-up (run_time 0) holds the calibration's
        # speed, not a fuzzing speed.
        if int(kv.get("run_time", 0) or 0) > 0:
            out["eps"] = float(kv.get("execs_per_sec", 0))
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(inst_dir, "plot_data"), "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            lines = [l for l in f.read().decode(errors="replace").splitlines()
                     if l and not l.startswith("#")]
        if lines:
            c = [x.strip() for x in lines[-1].split(",")]
            # relative_time, cycles_done, cur_item, corpus_count, pending_total,
            # pending_favs, map_size, saved_crashes, saved_hangs, max_depth,
            # execs_per_sec, total_execs, edges_found
            if len(c) >= 13 and int(c[11]) >= out.get("execs", 0):
                out = {"execs": int(c[11]), "eps": float(c[10]), "cov": int(c[12])}
    except (OSError, ValueError, IndexError):
        pass
    return out


def list_dirs(d):
    try:
        return sorted(e.name for e in os.scandir(d) if e.is_dir())
    except OSError:
        return []


def list_files(d, prefixes):
    try:
        return sorted(os.path.join(d, e.name) for e in os.scandir(d)
                      if e.is_file() and e.name.startswith(prefixes))
    except OSError:
        return []


def count_files(d, prefix=""):
    try:
        return sum(1 for e in os.scandir(d) if e.name.startswith(prefix))
    except OSError:
        return 0


ENGINES = {"libfuzzer": LibFuzzer, "afl": Afl}
