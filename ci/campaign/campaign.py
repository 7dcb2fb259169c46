"""The campaign runner: every target and engine asked for, on the cores
given, for the time given; it keeps going past findings, survives being
stopped and restarted, and ends with a triaged report.

How cores are shared. A *session* is one target under one engine on `w`
cores: AFL++ runs w instances (a main, a CMPLOG secondary, secondaries with
varied power schedules; alone, the main takes CMPLOG), libFuzzer runs
-fork=w. With N cores and P (target, engine) pairs:
  - N >= P: every pair runs at once, the cores split as evenly as possible;
  - N < P: sessions take turns in N // w slots. w is the widest that still
    gives every pair slices of at least MIN_SLICE seconds (a short campaign
    runs narrower sessions so that each lasts long enough for AFL++ to
    report), and a free slot goes to the pair that has had the least time.
Slices last at most MAX_SLICE: each restart hands libFuzzer what AFL++
found (AFL++'s main imports libFuzzer's corpus as it runs). A target's two
engines are adjacent in the rotation, so they usually run side by side.

Resuming. Everything lives in OUT: corpora, findings, the per-pair time
series and campaign.json (state, rewritten every few seconds). The same
command with the same OUT carries on: if the last run was cut short, for
the time it had left; if it had finished, for another --time. The engines
resume from their corpora (AFL++ with AFL_AUTORESUME). Finding files that
were written but not triaged (a killed runner) are triaged on the next run
or by `./build.sh report`.
"""

import fcntl
import json
import math
import os
import signal
import sys
import time

import engines
import procs
import project
import report
import status
import triage

MIN_SLICE = 75          # AFL++ 4.04c writes its first figures after a minute
MAX_SLICE = 30 * 60
TICK = 1.0
STATUS_EVERY = 5.0     # the table is refreshed and appended to OUT/status.log
PRINT_EVERY = 30.0     # ...and printed this often when the output is not a terminal
STATE_VERSION = 1


def parse_duration(s):
    """'8h', '10m', '90s', '90' -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    s = s.strip()
    mult = units.get(s[-1:].lower(), None)
    num = s[:-1] if mult else s
    if not num.isdigit() or len(num) > 9:
        raise project.UsageError(f"bad duration '{s}' (want N, Ns, Nm or Nh)")
    v = int(num) * (mult or 1)
    if v <= 0:
        raise project.UsageError(f"duration must be > 0, got '{s}'")
    return v


def fmt_secs(s):
    s = int(max(0, s))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def plan(ncores, npairs, seconds):
    """(width per session, concurrent slots, per-pair share in seconds)."""
    if ncores >= npairs:
        return ncores // npairs, npairs, seconds
    w = ncores
    while w > 1 and seconds * (ncores // w) / npairs < MIN_SLICE:
        w -= 1
    slots = ncores // w
    return w, slots, seconds * slots / npairs


def widths(ncores, npairs):
    """Per-pair widths when every pair runs at once."""
    base, extra = divmod(ncores, npairs)
    return [base + (1 if i < extra else 0) for i in range(npairs)]


class Campaign:
    def __init__(self, out, targets, engine_names, jobs, seconds, seed, minimize=True,
                 out_stream=sys.stdout, every_target=False, mask=True):
        self.out = os.path.abspath(out)
        self.name = os.path.basename(self.out.rstrip("/"))
        self.targets, self.engine_names = targets, engine_names
        self.jobs, self.seconds, self.seed = jobs, seconds, seed
        self.pairs = [(t, e) for t in targets for e in engine_names]
        self.term = out_stream
        self.tty = out_stream.isatty()
        self.stop_signal = None
        self.sessions = {}      # pair key -> Session
        self.slot_width = {}
        self.lockf = None
        self.minimize = minimize
        self.hurry = False
        self.frozen = None
        # Started without --targets: "every target that builds here", a set
        # that grows when a QEMU tree appears between two runs.
        self.every_target = every_target
        # Known violation classes (ci/known/) are masked unless --no-mask:
        # an input goes on past them, so findings are what is not known yet.
        self.mask = mask

    # -- state ---------------------------------------------------------------
    def state_path(self):
        return os.path.join(self.out, "campaign.json")

    def load_or_init(self):
        """Read campaign.json (resuming) or start one; returns a line that
        says which, for the user."""
        os.makedirs(self.out, exist_ok=True)
        p = self.state_path()
        if os.path.exists(p):
            with open(p) as f:
                st = json.load(f)
            same = st.get("targets") == self.targets
            if st.get("every_target") and self.every_target:
                same = set(st["targets"]) <= set(self.targets) or \
                    set(self.targets) <= set(st["targets"])
                st["targets"] = [t for t in project.targets()
                                 if t in st["targets"] or t in self.targets]
            if not same or st.get("engines") != self.engine_names:
                raise project.UsageError(
                    f"{project.rel(self.out)} holds a campaign of targets "
                    f"{','.join(st.get('targets', []))} with engines "
                    f"{','.join(st.get('engines', []))}; use another --out")
            if st.get("mask", False) != self.mask:
                raise project.UsageError(
                    f"{project.rel(self.out)} holds a campaign "
                    f"{'with' if st.get('mask') else 'without'} the known-class mask; "
                    f"{'drop' if not st.get('mask') else 'add'} --no-mask, or use another --out")
            self.state = st
            if self.seed is None:
                self.seed = st["seed"]
            left = st["budget"] - st["spent"]
            if left >= MIN_SLICE / 5:
                self.run_for = left
                how = (f"resuming: {fmt_secs(st['spent'])} of {fmt_secs(st['budget'])} done, "
                       f"{fmt_secs(left)} left")
            else:
                self.run_for = self.seconds
                st["budget"] = st["spent"] + self.seconds
                how = (f"it had finished its {fmt_secs(st['spent'])}; extending it by "
                       f"{fmt_secs(self.seconds)}")
            for k in self._keys():
                st["pairs"].setdefault(k, self._new_pair())
        else:
            if self.seed is None:
                self.seed = int.from_bytes(os.urandom(4), "little") % 2147483647 + 1
            self.state = {"version": STATE_VERSION, "name": self.name, "targets": self.targets,
                          "every_target": self.every_target, "mask": self.mask,
                          "engines": self.engine_names, "seed": self.seed,
                          "budget": self.seconds, "spent": 0.0, "segments": [],
                          "pairs": {k: self._new_pair() for k in self._keys()}}
            self.run_for = self.seconds
            how = f"new campaign, {fmt_secs(self.seconds)}"
        self.state["jobs"] = self.jobs
        self.state["status"] = "running"
        self.state["segments"].append({"start": time.time(), "end": None, "seconds": 0,
                                       "status": "running", "jobs": self.jobs,
                                       "pid": os.getpid()})
        self.save()
        return how

    def _keys(self):
        return [f"{t}/{e}" for t, e in self.pairs]

    @staticmethod
    def _new_pair():
        return {"run_seconds": 0.0, "slices": 0, "execs": 0, "last": {}}

    def save(self):
        tmp = self.state_path() + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f, indent=1, sort_keys=True)
        os.replace(tmp, self.state_path())

    def lock(self):
        """One runner per campaign directory."""
        os.makedirs(self.out, exist_ok=True)
        self.lockf = open(os.path.join(self.out, ".lock"), "a+")
        try:
            fcntl.flock(self.lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.lockf.seek(0)
            raise project.UsageError(f"{project.rel(self.out)} is in use by another runner "
                                     f"(pid {self.lockf.read().strip() or '?'})")
        self.lockf.seek(0)
        self.lockf.truncate()
        self.lockf.write(str(os.getpid()))
        self.lockf.flush()

    def log(self, msg):
        line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
        with open(os.path.join(self.out, "runner.log"), "a") as f:
            f.write(line + "\n")
        if not self.tty:
            print("fuzz: " + msg, file=self.term, flush=True)
        else:
            self.events.append(line)

    # -- the run -------------------------------------------------------------
    def run(self):
        self.lock()
        self.events = []
        how = self.load_or_init()
        # A runner killed together with its watchdog (pkill -9 -f) left its
        # engines behind: they carry its tag, recorded in its segment.
        for seg in self.state["segments"][:-1]:
            if seg.get("status") == "running":
                seg["status"] = "killed"
            if seg.get("tag") and procs.kill_tagged(seg["tag"]):
                self.log(f"killed what an earlier runner (pid {seg.get('pid')}) left running")

        project.set_masking(self.mask)
        self.tag = procs.new_tag("campaign")
        self.state["segments"][-1]["tag"] = self.tag
        self.dog = procs.Watchdog(self.tag)
        self.triage = triage.Triage(self.out, minimize=self.minimize, log=self.log)
        self.triage.start()
        self.w, self.slots, share = plan(self.jobs, len(self.pairs), self.run_for)
        if self.jobs >= len(self.pairs):
            self.slot_width = dict(zip(self._keys(), widths(self.jobs, len(self.pairs))))
        self.slice = share / max(1, math.ceil(share / MAX_SLICE))
        self.log(f"campaign {self.name} in {project.rel(self.out)}: {how}; "
                 f"{len(self.targets)} target(s) x {len(self.engine_names)} engine(s) on "
                 f"{self.jobs} core(s), seed {self.seed}, known classes "
                 f"{'masked (ci/known/; --no-mask turns it off)' if self.mask else 'not masked'}")
        self.log(f"sessions of {self.w} core(s), {self.slots} at a time, slices of "
                 f"{fmt_secs(self.slice)}")
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self.t0 = time.monotonic()
        self.spent0 = self.state["spent"]
        self.deadline = self.t0 + self.run_for
        self.recorder = status.Recorder(self.out)
        self._scan_all()   # files a killed runner left untriaged
        last_status = last_print = 0.0
        try:
            while self.stop_signal is None:
                now = time.monotonic()
                self._reap(now)
                if now < self.deadline - 5:
                    self._fill(now)
                if not self.sessions and now >= self.deadline - 5:
                    break
                self._scan_running()
                if now - last_status >= STATUS_EVERY:
                    last_status = now
                    self._status(now - last_print >= PRINT_EVERY)
                    if now - last_print >= PRINT_EVERY:
                        last_print = now
                time.sleep(TICK)
        finally:
            self._finish()
        return self.exit_code

    def _on_signal(self, signum, frame):
        if self.stop_signal is None:
            self.stop_signal = signum
        else:
            self.hurry = True

    def campaign_seconds(self):
        """The campaign's own clock: fuzzing time across every run (the
        time spent triaging after the engines stopped does not count)."""
        if self.frozen is not None:
            return self.frozen
        return self.spent0 + (time.monotonic() - self.t0)

    def _fill(self, now):
        """Start sessions in free slots: least-served pairs first."""
        left = self.deadline - now
        while len(self.sessions) < self.slots:
            idle = [k for k in self._keys() if k not in self.sessions]
            if not idle:
                return
            k = min(idle, key=lambda k: (self.state["pairs"][k]["run_seconds"],
                                         self._keys().index(k)))
            t, e = k.split("/")
            width = self.slot_width.get(k, self.w)
            secs = min(self.slice, left)
            if secs < 10:
                return
            pst = self.state["pairs"][k]
            seed = (self.seed + 7919 * self._keys().index(k) + 104729 * pst["slices"]) % 2**31
            s = engines.ENGINES[e](self.out, t, width, secs, pst["slices"] + 1, seed,
                                   [self.tag, f"{self.tag}-{t}-{e}"])
            s.start_at = now
            s.end_at = now + secs
            s.start()
            pst["slices"] += 1
            self.sessions[k] = s
            self.log(f"start {t} {e}: {s.describe()}, {fmt_secs(secs)}, seed {seed}")

    def _reap(self, now):
        for k, s in list(self.sessions.items()):
            over = now >= s.end_at + 20 or now >= self.deadline + 20
            if s.alive() and not over:
                continue
            self._end_session(k, s, now)

    def _end_session(self, k, s, now):
        s.end()
        figs = s.poll()
        pst = self.state["pairs"][k]
        pst["execs"] += figs.get("execs", 0)
        pst["run_seconds"] += now - s.start_at
        pst["last"] = {kk: v for kk, v in figs.items() if kk not in ("execs", "eps")}
        self._scan(k, s)
        rcs = s.returncodes()
        # libFuzzer's fork mode ends with its error exit code (77) when its
        # jobs found something: that is a finding, not a failure.
        ok = (0, None, -signal.SIGINT, -signal.SIGKILL, 130)
        ok += (77,) if s.engine == "libfuzzer" else ()
        bad = [rc for rc in rcs if rc not in ok]
        note = f", exit status {bad}" if bad and not self.stop_signal else ""
        self.log(f"end {k.replace('/', ' ')}: {fmt_secs(now - s.start_at)}, "
                 f"{figs.get('execs', 0):,} execs{note}")
        del self.sessions[k]
        self.recorder.sample(self, k, running=False)
        self.save()

    # -- findings ------------------------------------------------------------
    def _scan(self, k, s):
        t, e = k.split("/")
        for f in s.finding_files():
            if not self.triage.known(f):
                self.triage.submit(t, e, f, self.campaign_seconds())

    def _scan_running(self):
        for k, s in self.sessions.items():
            self._scan(k, s)

    def _scan_all(self):
        for t, e in self.pairs:
            s = engines.ENGINES[e](self.out, t, 1, 0, 0, 0, self.tag)
            self._scan(f"{t}/{e}", s)

    # -- progress ------------------------------------------------------------
    def figures(self, k):
        """Totals for a pair: finished slices plus the running one."""
        pst = self.state["pairs"][k]
        s = self.sessions.get(k)
        live = s.poll() if s else {}
        f = {kk: v for kk, v in pst["last"].items() if kk != "eps"}
        f.update({kk: v for kk, v in live.items() if kk != "execs"})
        f["execs"] = pst["execs"] + live.get("execs", 0)
        f["run_seconds"] = pst["run_seconds"] + (time.monotonic() - s.start_at if s else 0)
        f["state"] = "running" if s else ("done" if time.monotonic() >= self.deadline
                                          else "waiting")
        f["cores"] = s.width if s else 0
        t, e = k.split("/")
        f["unique"] = self.triage.unique_count(t, e)
        share = self.state["budget"] * self.slots / len(self.pairs)
        f["left"] = 0.0 if f["state"] == "done" else max(0.0, share - f["run_seconds"])
        return f

    def _status(self, to_print):
        self.state["spent"] = self.campaign_seconds()
        seg = self.state["segments"][-1]
        seg["seconds"] = self.campaign_seconds() - self.spent0
        for k in self.sessions:
            self.recorder.sample(self, k, running=True)
        self.save()
        table = status.render(self)
        if self.tty:
            self.term.write("\033[H\033[J" + table + "\n" + "\n".join(self.events[-6:]) + "\n")
            self.term.flush()
        elif to_print:
            print(table, file=self.term, flush=True)
        with open(os.path.join(self.out, "status.log"), "a") as f:
            f.write(time.strftime("%Y-%m-%d %H:%M:%S\n") + table + "\n\n")

    # -- the end -------------------------------------------------------------
    def _finish(self):
        self.hurry = getattr(self, "hurry", False)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        now = time.monotonic()
        self.state["spent"] = self.campaign_seconds()
        self.frozen = self.state["spent"]
        for k, s in list(self.sessions.items()):
            self._end_session(k, s, now)
        procs.kill_tagged(self.tag, grace=1.0)
        interrupted = (self.stop_signal is not None and
                       self.state["spent"] < self.state["budget"] - 5)
        if interrupted:
            self.log(f"stopping on signal {self.stop_signal}: triaging what was found "
                     f"({self.triage.pending()} pending; Ctrl-C again skips minimizing)")
        # Findings already written are triaged before the report.
        while not self.triage.drain(timeout=1.0):
            if self.hurry:
                self.triage.minimize = False
        self.triage.close()
        seg = self.state["segments"][-1]
        seg.update(end=time.time(), seconds=self.frozen - self.spent0,
                   status="interrupted" if interrupted else "completed")
        self.state["status"] = "interrupted" if interrupted else "completed"
        self.save()
        self._status(True)
        paths = report.write(self.out)
        self.dog.close()
        n = self.triage.unique_count()
        self.log(f"report: {project.rel(paths['md'])} and {project.rel(paths['html'])}")
        print(status.summary(self), file=self.term, flush=True)
        if interrupted:
            print(f"fuzz: interrupted after {fmt_secs(self.state['spent'])} of "
                  f"{fmt_secs(self.state['budget'])}; run the same command again to resume",
                  file=self.term, flush=True)
            self.exit_code = 128 + self.stop_signal
        else:
            self.exit_code = 1 if n else 0
