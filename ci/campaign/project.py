"""The project as the campaign tools see it: paths, targets/LIST, builds,
and the replay build's verdict on one input (the same rules as
ci/fuzz-lib.sh, which the shell commands use)."""

import os
import re
import subprocess
import sys

ROOT = os.environ.get("ROOT") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD") or os.path.join(ROOT, "build")


class UsageError(Exception):
    """A bad command line or argument: one line on stderr, exit 2."""


def rel(path):
    """A path as a user in ROOT would type it."""
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def target_rows():
    """[(target, family, source, backend)] from targets/LIST, in order."""
    rows = []
    with open(os.path.join(ROOT, "targets", "LIST")) as f:
        for line in f:
            if line.lstrip().startswith("#") or not line.split():
                continue
            w = line.split()
            if len(w) >= 4:
                rows.append(tuple(w[:4]))
    return rows


def targets():
    return [r[0] for r in target_rows()]


def family(target):
    return {r[0]: r[1] for r in target_rows()}[target]


def _fuzz_lib(call):
    """Run a function of ci/fuzz-lib.sh; its stdout."""
    script = f'. "$ROOT/ci/lib.sh"; . "$ROOT/ci/fuzz-lib.sh"; {call}'
    env = dict(os.environ, ROOT=ROOT, BUILD=BUILD)
    r = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    return r.stdout.strip()


def target_missing(target):
    """Why target cannot be built here ('' if it can)."""
    return _fuzz_lib(f"target_missing {shq(target)}")


def corpus_owner(target):
    return _fuzz_lib(f"corpus_owner {shq(target)}") or target


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def make(goals, quiet=True):
    """Build goals (paths relative to BUILD); raise UsageError on failure."""
    if os.environ.get("HX_NO_BUILD") == "1" or not goals:
        return
    b = os.path.relpath(BUILD, ROOT) if BUILD.startswith(ROOT + os.sep) else BUILD
    cmd = ["make", "-C", ROOT, f"-j{os.cpu_count() or 2}", "-s", "--no-print-directory",
           f"BUILD={b}"] + [os.path.join(b, g) for g in goals]
    r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        sys.stderr.write((r.stdout + r.stderr)[-3000:])
        raise UsageError("build failed: " + " ".join(goals))


def seed_goals(target):
    owner = corpus_owner(target)
    d = os.path.join(ROOT, "corpus", owner)
    names = sorted(f[:-4] for f in os.listdir(d) if f.endswith(".txt")) if os.path.isdir(d) else []
    return owner, [f"corpus/{owner}/seeds/{n}.bin" for n in names]


def seeds_dir(target):
    return os.path.join(BUILD, "corpus", corpus_owner(target), "seeds")


def dict_path(target):
    p = os.path.join(ROOT, "corpus", family(target) + ".dict")
    return p if os.path.isfile(p) else None


# ---- verdicts ---------------------------------------------------------------

VERDICT_RE = re.compile(r"^FAIL ([^ :]+): ")
SANITIZER_RE = re.compile(r"^SUMMARY: (\w+Sanitizer): (\S+)(?: .*? in (\S+))?")


def verdict_of(output, rc):
    """The FAIL line, PASS, or a FAIL line made up for a crash that came
    from no check (same rules as verdict_of in ci/fuzz-lib.sh)."""
    for line in output.splitlines():
        if VERDICT_RE.match(line):
            return line.strip()
    if rc == 0:
        return "PASS"
    for line in output.splitlines():
        if line.startswith("SUMMARY: ") and "Sanitizer" in line:
            return "FAIL sanitizer: " + line[len("SUMMARY: "):].strip()
    return f"FAIL crash: exit status {rc} without a verdict line"


def verdict_property(v):
    if v == "PASS":
        return "PASS"
    m = VERDICT_RE.match(v)
    return m.group(1) if m else "?"


# The known violation classes (ci/known/<variant>.txt, harness/known.h). A
# masked campaign sets LLSC_KNOWN in its own environment, so its engines,
# replays and minimizations all mask the same classes; a reproducer found
# that way carries MASK_LINE, which repro, minimize and replay honour.
# LLSC_KNOWN_DIR names another folder of lists (a list of one's own).
KNOWN_DIR = os.environ.get("LLSC_KNOWN_DIR") or os.path.join(ROOT, "ci", "known")
MASK_LINE = "# mask: known   (found past the known classes of ci/known/)\n"
MASK_RE = re.compile(r"^#\s*mask:\s*known(\s|$)", re.M)


def known_patterns(variant):
    """The signature patterns of ci/known/<variant>.txt, each a token list."""
    path = os.path.join(KNOWN_DIR, variant + ".txt")
    if not os.path.exists(path):
        return []
    return [l.split("|")[1].split() for l in open(path)
            if "|" in l and not l.lstrip().startswith("#")]


def known_match(patterns, sig):
    """Whether a signature matches one of the patterns (as harness/known.c
    matches: same property, and every token of the pattern present)."""
    s = sig.split()
    return bool(s) and any(p[0] == s[0] and all(t in s[1:] for t in p[1:])
                           for p in patterns)


def set_masking(on):
    if on:
        os.environ["LLSC_KNOWN"] = KNOWN_DIR
    else:
        os.environ.pop("LLSC_KNOWN", None)
    os.environ.pop("LLSC_KNOWN_STATS", None)


def masking():
    return bool(os.environ.get("LLSC_KNOWN"))


def replay(target, path, timeout=10, mask=None):
    """(verdict line, full output) of the replay build on one input; mask
    None: as this process masks (masking()), else on or off."""
    binary = os.path.join(BUILD, "replay", target)
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "symbolize=1"))
    env.pop("LLSC_KNOWN_STATS", None)   # replays are not counted
    if mask is not None:
        env.pop("LLSC_KNOWN", None)
        if mask:
            env["LLSC_KNOWN"] = KNOWN_DIR
    try:
        r = subprocess.run([binary, f"-timeout={timeout}", path], capture_output=True,
                           text=True, errors="replace", env=env, timeout=timeout * 3 + 30,
                           stdin=subprocess.DEVNULL)
        out, rc = r.stdout + r.stderr, r.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or "") + (e.stderr or "") if isinstance(e.stdout, str) else ""
        return f"FAIL timeout: the replay did not end in {timeout * 3 + 30} s", out
    return verdict_of(out, rc), out


def to_text(target, path):
    """The readable text form of an input (optext), or '' if it fails."""
    r = subprocess.run([os.path.join(BUILD, "tools", "optext"), "--family", family(target),
                        "to-text", path], capture_output=True, text=True, errors="replace",
                       stdin=subprocess.DEVNULL)
    return r.stdout if r.returncode == 0 else ""
