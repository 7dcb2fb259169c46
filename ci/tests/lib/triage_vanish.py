"""A finding file that disappears while it is triaged (AFL++ renames
crashes/ to crashes.<date> when it resumes) is judged by the bytes triage
read, not by a replay of the path: its finding is the input's own verdict,
never "crash: exit status 2" (the replay's "cannot open"), which no
reproducer would show. usage: triage_vanish.py TARGET INPUT
Prints PASS:/FAIL: lines."""

import os
import shutil
import sys
import tempfile

ROOT = os.environ["ROOT"]
sys.path.insert(0, os.path.join(ROOT, "ci", "campaign"))
import project  # noqa: E402
import triage   # noqa: E402

target, inp = sys.argv[1], sys.argv[2]
want = project.verdict_property(project.replay(target, inp)[0])
out = tempfile.mkdtemp(prefix="triage-vanish-")
try:
    src = os.path.join(out, "crashes", "id:000000")
    os.makedirs(os.path.dirname(src))
    shutil.copy(inp, src)
    real = project.replay

    def vanishing(t, path, *a, **k):
        # AFL++ resuming: the folder is renamed between read and replay.
        if os.path.exists(src):
            os.rename(os.path.dirname(src), os.path.dirname(src) + ".2026-12-02")
        return real(t, path, *a, **k)

    project.replay = vanishing
    tr = triage.Triage(out, minimize=False)
    tr.triage_one(target, "afl", src, 0)
    got = sorted(r["property"] for r in tr.db["findings"].values())
    ok = got == [want] and want not in ("crash", "PASS")
    print(f"{'PASS' if ok else 'FAIL'}: triage: a finding file renamed while it is triaged "
          f"keeps its own verdict ({want}); findings: {', '.join(got) or 'none'}")
    leftover = [f for f in os.listdir(tr.dir) if f.startswith(".replaying")]
    print(f"{'FAIL' if leftover else 'PASS'}: triage: no private copy left behind"
          f"{': ' + ', '.join(leftover) if leftover else ''}")
finally:
    shutil.rmtree(out, ignore_errors=True)
