"""`./build.sh adopt DIR N`: a campaign's finding N becomes a regression,
corpus/<target>/regressions/<name>.txt, with its header drafted:
  # shows: the weaknesses that regressions with the same violated property
  #        already show on that target (a draft for a person to confirm)
  # expect: FAIL <property>
then it is compiled and replayed, so the new file is known to give its
verdict (and, for a weak variant, to pass on <family>-fixed as
./build.sh replay will require)."""

import os
import re
import subprocess
import time

import project
import report
import triage


def _weaknesses(owner, prop):
    """W names that regressions of owner with the same property show."""
    d = os.path.join(project.ROOT, "corpus", owner, "regressions")
    ws = []
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not f.endswith(".txt"):
            continue
        with open(os.path.join(d, f)) as fh:
            text = fh.read()
        m = re.search(r"^#\s*expect:\s*FAIL\s+(\S+)", text, re.M)
        s = re.search(r"^#\s*shows:\s*(.*)$", text, re.M)
        if m and m.group(1) == prop and s:
            for w in re.findall(r"\bW\d+b?\b", s.group(1)):
                if w not in ws:
                    ws.append(w)
    return ws


def adopt(out, n, name):
    st, db = report.load(out)
    found = report.findings_of(db)
    if not 1 <= n <= len(found):
        raise project.UsageError(f"no finding {n} in {project.rel(out)} "
                                 f"(it has {len(found)}; see ./build.sh findings)")
    r = found[n - 1]
    if not r.get("repro"):
        raise project.UsageError(f"finding {n} is not triaged yet (run ./build.sh findings first)")
    t = r["target"]
    owner = project.corpus_owner(t)
    with open(os.path.join(out, r["repro"])) as f:
        lines = f.read().splitlines()
    verdict = next((l[2:] for l in lines if l.startswith("# FAIL ")), r["verdict"])
    masked = any(project.MASK_RE.match(l) for l in lines)
    body = [l for l in lines if not l.startswith("#") or re.match(r"^# op 0:", l)]
    prop = project.verdict_property(verdict)
    name = name or triage.slug(r["signature"])
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise project.UsageError(f"bad name '{name}' (letters, digits, '.', '_', '-')")
    dest = os.path.join(project.ROOT, "corpus", owner, "regressions", name + ".txt")
    if os.path.exists(dest):
        raise project.UsageError(f"{project.rel(dest)} exists; choose another --name")
    ws = _weaknesses(owner, prop)
    shows = (" ".join(w + "?" for w in ws) if ws else "W?") + \
        " (DRAFT: say which weakness this is, and how the program shows it)"
    when = time.strftime("%Y-%m-%d", time.localtime(r.get("first_seen_at", time.time())))
    head = [f"# shows: {shows}",
            f"#   Found by campaign {st['name']} on {when} ({r['count']} input(s), "
            f"signature \"{r['signature']}\").",
            f"#   {verdict}",
            f"# expect: FAIL {prop}"] + ([project.MASK_LINE.rstrip()] if masked else [])
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w") as f:
        f.write("\n".join(head + body) + "\n")
    print(f"adopt: wrote {project.rel(dest)}")
    project.make(["tools/optext", f"replay/{t}"])
    binp = os.path.join(out, "findings", f".adopt-{name}.bin")
    r = subprocess.run([os.path.join(project.BUILD, "tools", "optext"), "--family",
                        project.family(t), "from-text", dest, binp], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        print(f"adopt: WARNING: {project.rel(dest)} does not compile: {r.stderr.strip()}")
        return 1
    got, _ = project.replay(t, binp, mask=masked)
    if masked and project.verdict_property(project.replay(t, binp, mask=False)[0]) == prop:
        # Found past the known classes, but it shows without the mask too:
        # a regression should show its class as plainly as it can.
        with open(dest) as f:
            kept = [l for l in f if not project.MASK_RE.match(l)]
        with open(dest, "w") as f:
            f.writelines(kept)
        print("adopt: it shows without the mask too; '# mask: known' dropped")
    if project.verdict_property(got) != prop:
        print(f"adopt: WARNING: it gives '{got}' on {t}, not FAIL {prop}; edit it before "
              f"committing")
        return 1
    print(f"adopt: it gives FAIL {prop} on {t}, as its '# expect:' line says")
    fixed = project.family(t) + "-fixed"
    if fixed != t and fixed in project.targets() and not project.target_missing(fixed):
        project.make([f"replay/{fixed}"])
        got_fixed, _ = project.replay(fixed, binp, mask=False)
        if got_fixed != "PASS":
            print(f"adopt: NOTE: it also fails on {fixed} ({got_fixed}): that is a bug in the "
                  f"corrected variant, and ./build.sh replay will fail until it is fixed")
        else:
            print(f"adopt: it passes on {fixed}")
    print(f"adopt: edit its '# shows:' line, then commit it; ./build.sh replay checks it")
    return 0
