"""Each line of ci/known/<variant>.txt against its regression (issue 15):
  - the regression exists, is a regression of a target of that variant, and
    with the mask off its verdict's signature (triage.py) matches the line:
    the class still shows, so the line is not stale (positive control);
  - with the mask on, that class is not its verdict (the mask works);
  - no line of a variant shadows another's regression, ids are unique, and
    there is no list for the corrected variant.
Prints PASS:/FAIL: lines."""

import glob
import os
import re
import sys

ROOT = os.environ["ROOT"]
sys.path.insert(0, os.path.join(ROOT, "ci", "campaign"))
import project  # noqa: E402
import triage   # noqa: E402


def say(ok, msg):
    print(("PASS: " if ok else "FAIL: ") + msg, flush=True)


def matches(pattern, sig):
    return project.known_match([pattern.split()], sig)


def variant_targets(variant):
    """llsc targets whose source is targets/llsc-<variant>.c."""
    return [t for t in project.targets()
            if project.family(t) == "llsc" and
            _source(t) == f"targets/llsc-{variant}.c" and not project.target_missing(t)]


def _source(t):
    for row in project.target_rows():
        if row[0] == t:
            return row[2]
    return None


def main():
    say(not os.path.exists(os.path.join(project.KNOWN_DIR, "fixed.txt")),
        "known: there is no list for fixed (nothing is ever masked on it)")
    ids = set()
    for path in sorted(glob.glob(os.path.join(project.KNOWN_DIR, "*.txt"))):
        variant = os.path.basename(path)[:-4]
        targets = variant_targets(variant)
        say(bool(targets), f"known/{variant}: a target of variant {variant} exists")
        nlines = 0
        for ln in open(path):
            if not ln.strip() or ln.lstrip().startswith("#"):
                continue
            nlines += 1
            f = [x.strip() for x in ln.split("|")]
            if len(f) != 4:
                say(False, f"known/{variant}: malformed line '{ln.strip()}'")
                continue
            ident, pattern, weak, regr = f
            say(ident not in ids, f"known/{variant}/{ident}: id is unique")
            ids.add(ident)
            say(bool(re.search(r"\b(W\d+b?|E\d+|NEW)\b", weak)),
                f"known/{variant}/{ident}: names a weakness of the spec ({weak})")
            src = os.path.join(ROOT, regr)
            m = re.match(r"corpus/([^/]+)/regressions/([^/]+)\.txt$", regr)
            if not (m and os.path.isfile(src)):
                say(False, f"known/{variant}/{ident}: regression {regr} is not a file "
                           f"corpus/<t>/regressions/<name>.txt")
                continue
            owner, name = m.groups()
            binp = os.path.join(project.BUILD, "corpus", owner, "regressions", name + ".bin")
            for t in targets:
                if project.corpus_owner(t) != owner:
                    continue
                text = project.to_text(t, binp)
                v, out = project.replay(t, binp, mask=False)
                sig = triage.signature(v, text, out)
                say(matches(pattern, sig),
                    f"known/{variant}/{ident}: {regr} on {t}, unmasked, shows '{pattern}' "
                    f"(got '{sig}')")
                v2, out2 = project.replay(t, binp, mask=True)
                sig2 = triage.signature(v2, text, out2)
                say(not matches(pattern, sig2) and "known (masked): " in out2,
                    f"known/{variant}/{ident}: {regr} on {t}, masked, no longer ends "
                    f"with that class (got '{sig2}')")
        say(nlines > 0, f"known/{variant}: {nlines} class(es) listed")


main()
