"""Triage: every file an engine wrote as a finding is replayed with the
replay build, classified, deduplicated and, the first time its class is
seen, minimized into a readable reproducer.

Signature (the deduplication key, per target):
  <property> @<op>[ <cited-op>...]
where <property> is the violated property of the verdict line, <op> the
kind of the op the verdict names ("FAIL must-fail-sc: op 6: ..." -> the
6th op of the program, "sc"), and each <cited-op> the kind of an op the
message blames ("... after vCPU1 stored 0x2a there at op 5" -> "<store").
So an SC that succeeds after a plain store and one that succeeds after DMA
are two findings; the same lost update reached by a thousand programs is
one. A crash without a verdict line is keyed by the sanitizer's summary
(type and frame). An input that passes on replay is not a finding: it is
counted as "not reproduced" and kept apart.

The findings database is OUT/findings/index.json:
  {"files": {sha1 of an input: signature-key}, "findings": {key: record}}
and each unique finding lives in OUT/findings/<target>/<slug>/:
  input        the first input that showed it (bytes, as the engine wrote it)
  input.txt    its text form
  repro.txt    the minimized text reproducer (same property), with its
               "# expect:" line
  reproduce    the one command that reproduces it:
               ./build.sh repro --target T OUT/findings/T/<slug>/repro.txt
  verdict.txt  the replay output of the original input
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time

import project

NOT_REPRODUCED = "not-reproduced"


def op_kinds(text):
    """{op number: kind} from a program's text form. LL/SC programs
    annotate every op ("# op N"); other families number op lines from 1
    after their header line."""
    kinds, plain = {}, []
    for line in text.splitlines():
        code, _, comment = line.partition("#")
        m = re.search(r"\bop (\d+)\b", comment)
        if m and code.strip():
            kinds[int(m.group(1))] = code.split()[0]
        elif m and m.group(1) == "0":
            kinds[0] = "config"
        elif code.strip():
            plain.append(code.split()[0])
    if not kinds:
        kinds = {i: k for i, k in enumerate(plain[1:], start=1)}
    return kinds


def signature(verdict, text, output=""):
    if verdict == "PASS":
        return NOT_REPRODUCED
    prop = project.verdict_property(verdict)
    if prop == "sanitizer":
        m = project.SANITIZER_RE.match("SUMMARY: " + verdict.split(": ", 1)[1])
        frame = m.group(3) if m and m.group(3) else _top_frame(output)
        kind = m.group(2) if m else "?"
        return f"sanitizer {kind}" + (f" in {frame}" if frame else "")
    m = re.match(r"^FAIL [^:]+: op (\d+): (.*)$", verdict)
    if not m:
        return prop
    n, msg = int(m.group(1)), m.group(2)
    kinds = op_kinds(text)
    sig = f"{prop} @{kinds.get(n, '?')}"
    cited = []
    for c in re.findall(r"\bop (\d+)\b", msg):
        k = kinds.get(int(c))
        if int(c) != n and k and k not in cited:
            cited.append(k)
    return sig + "".join(f" <{k}" for k in cited)


def _top_frame(output):
    m = re.search(r"^\s*#0 0x[0-9a-f]+ in (\S+)", output, re.M)
    return m.group(1) if m else ""


def slug(sig):
    s = re.sub(r"[^A-Za-z0-9]+", "-", sig.replace("<", "from-").replace("@", "at-")).strip("-")
    return s[:80] or "finding"


class Triage:
    """Thread-safe findings database of one campaign directory."""

    def __init__(self, out, minimize=True, log=None):
        self.out = out
        self.dir = os.path.join(out, "findings")
        self.path = os.path.join(self.dir, "index.json")
        self.minimize = minimize
        self.log = log or (lambda msg: None)
        self.lock = threading.Lock()
        self.db = {"files": {}, "findings": {}}
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.db = json.load(f)
        else:
            self._save()   # an empty database says "nothing found" to readers
        self._queue = []
        self._seen = set()       # paths known to be triaged (this process)
        self._cv = threading.Condition(self.lock)
        self._thread = None
        self._stop = False
        self.busy = False

    # -- queries -------------------------------------------------------------
    def _key(self, path):
        """Files are known by their contents: AFL++ renames crashes/ to
        crashes.<date> when it resumes, and the same input may be written
        by both engines."""
        try:
            with open(path, "rb") as f:
                return hashlib.sha1(f.read()).hexdigest()
        except OSError:
            return None

    def known(self, path):
        if path in self._seen:
            return True
        key = self._key(path)
        with self.lock:
            if key is None or key in self.db["files"]:
                self._seen.add(path)
                return True
        return False

    def findings(self, target=None):
        with self.lock:
            return [dict(r, key=k) for k, r in sorted(self.db["findings"].items(),
                                                       key=lambda kv: kv[1]["first_seen"])
                    if r["signature"] != NOT_REPRODUCED
                    and (target is None or r["target"] == target)]

    def unreproduced(self):
        with self.lock:
            return sum(r["count"] for r in self.db["findings"].values()
                       if r["signature"] == NOT_REPRODUCED)

    def unique_count(self, target=None, engine=None):
        n = 0
        for r in self.findings(target):
            if engine is None or engine in r.get("engines", []):
                n += 1
        return n

    def pending(self):
        with self.lock:
            return len(self._queue) + (1 if self.busy else 0)

    # -- work ----------------------------------------------------------------
    def submit(self, target, engine, path, campaign_seconds):
        with self.lock:
            if any(q[2] == path for q in self._queue):
                return
            self._queue.append((target, engine, path, campaign_seconds))
            self._cv.notify()

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def drain(self, timeout=None):
        """Wait until everything submitted is triaged (or timeout)."""
        end = None if timeout is None else time.monotonic() + timeout
        while self.pending():
            if end is not None and time.monotonic() > end:
                return False
            time.sleep(0.1)
        return True

    def close(self):
        with self.lock:
            self._stop = True
            self._cv.notify()
        if self._thread:
            self._thread.join(timeout=30)

    def _run(self):
        while True:
            with self.lock:
                while not self._queue and not self._stop:
                    self._cv.wait()
                if self._stop:
                    return
                item = self._queue.pop(0)
                self.busy = True
            try:
                self.triage_one(*item)
            except Exception as e:  # a triage bug must not stop the campaign
                self.log(f"triage of {item[2]} failed: {e!r}")
            finally:
                with self.lock:
                    self.busy = False

    def triage_one(self, target, engine, path, campaign_seconds):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return
        fkey = hashlib.sha1(data).hexdigest()
        with self.lock:
            if fkey in self.db["files"]:
                self._seen.add(path)
                return
        # Replay the bytes read, not the path: AFL++ renames crashes/ when it
        # resumes, and a file gone in between replayed as "cannot open",
        # a crash finding that no reproducer shows.
        own = os.path.join(self.dir, f".replaying-{os.getpid()}-{fkey[:12]}")
        os.makedirs(self.dir, exist_ok=True)
        with open(own, "wb") as f:
            f.write(data)
        try:
            verdict, output = project.replay(target, own)
            text = project.to_text(target, own)
        finally:
            os.unlink(own)
        sig = signature(verdict, text, output)
        key = f"{target}/{sig}"
        with self.lock:
            rec = self.db["findings"].get(key)
            new = rec is None
            if new:
                rec = {"target": target, "signature": sig, "property":
                       project.verdict_property(verdict), "verdict": verdict, "count": 0,
                       "first_seen": campaign_seconds, "first_seen_at": time.time(),
                       "engines": [], "examples": [], "dir": None, "repro": None}
                self.db["findings"][key] = rec
            rec["count"] += 1
            if engine not in rec["engines"]:
                rec["engines"].append(engine)
            if len(rec["examples"]) < 5:
                rec["examples"].append(os.path.relpath(path, self.out))
            self.db["files"][fkey] = key
            self._seen.add(path)
            self._save()
        if not new or sig == NOT_REPRODUCED:
            return
        d = os.path.join(self.dir, target, slug(sig))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "input"), "wb") as f:
            f.write(data)
        with open(os.path.join(d, "input.txt"), "w") as f:
            f.write((project.MASK_LINE if project.masking() else "") + text)
        with open(os.path.join(d, "verdict.txt"), "w") as f:
            f.write(output if output.endswith("\n") else output + "\n")
        repro = self._minimize(target, os.path.join(d, "input"), os.path.join(d, "repro.txt"),
                               verdict, text)
        with open(os.path.join(d, "reproduce"), "w") as f:
            f.write(f"./build.sh repro --target {target} {project.rel(repro)}\n")
        with self.lock:
            rec["dir"] = os.path.relpath(d, self.out)
            rec["repro"] = os.path.relpath(repro, self.out)
            self._save()
        self.log(f"new finding on {target}: {sig} ({verdict[:120]})")

    def _minimize(self, target, inp, dest, verdict, text):
        """The minimized reproducer (same property: ./build.sh minimize);
        the original's text form if minimizing fails or is off."""
        if self.minimize and project.verdict_property(verdict) not in ("timeout", "crash"):
            env = dict(os.environ, HX_NO_BUILD="1", ROOT=project.ROOT, BUILD=project.BUILD,
                       REPLAY_TIMEOUT="5")
            try:
                mask = ["--mask"] if project.masking() else []
                r = subprocess.run(["bash", os.path.join(project.ROOT, "ci", "cmd-minimize.sh"),
                                    "--target", target, "-o", dest] + mask + [inp],
                                   capture_output=True, text=True, env=env, timeout=600,
                                   stdin=subprocess.DEVNULL)
                if r.returncode == 0 and os.path.exists(dest):
                    return dest
            except subprocess.TimeoutExpired:
                pass
        with open(dest, "w") as f:
            f.write(f"# Not minimized: the input as found on {target}.\n# {verdict}\n"
                    f"# expect: FAIL {project.verdict_property(verdict)}\n" +
                    (project.MASK_LINE if project.masking() else "") + text)
        return dest

    def _save(self):
        os.makedirs(self.dir, exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.db, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)
