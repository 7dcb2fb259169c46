"""The live status table, the final summary, and the time series the
report plots (OUT/stats/<target>.<engine>.csv, one row per sample, on the
campaign's own clock so that resumptions continue the same axis)."""

import os
import time

COLUMNS = "campaign_seconds,wall,execs,execs_per_sec,corpus,coverage,unique,running\n"


def _n(v):
    return f"{v:,}" if isinstance(v, int) else str(v)


def render(camp):
    from campaign import fmt_secs
    st = camp.state
    spent = camp.campaign_seconds()
    total = camp.triage.unique_count()
    head = (f"campaign {camp.name}: {fmt_secs(spent)} of {fmt_secs(st['budget'])}, "
            f"{camp.jobs} core(s), seed {camp.seed}; {total} unique finding(s), "
            f"{camp.triage.pending()} file(s) in triage, "
            f"{camp.triage.unreproduced()} not reproduced")
    rows = [("target", "engine", "state", "cores", "execs", "exec/s", "corpus", "cov",
             "unique", "time left")]
    for t, e in camp.pairs:
        f = camp.figures(f"{t}/{e}")
        eps = "-"
        if f["state"] == "running":
            eps = _n(int(f["eps"])) if "eps" in f else "warming"
        rows.append((t, e, f["state"], str(f["cores"] or "-"), _n(f.get("execs", 0)), eps,
                     _n(f.get("corpus", 0)), _n(f.get("cov", 0)), str(f["unique"]),
                     fmt_secs(f["left"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [head]
    for r in rows:
        cells = [c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def summary(camp):
    from campaign import fmt_secs
    import project
    found = camp.triage.findings()
    lines = [f"fuzz: campaign {camp.name} {camp.state['status']}: "
             f"{fmt_secs(camp.state['spent'])} in all, {len(found)} unique finding(s)"]
    for i, r in enumerate(found, 1):
        lines.append(f"  {i:2d}. {r['target']}: {r['signature']} ({r['count']} input(s), first "
                     f"at {fmt_secs(r['first_seen'])})")
        if r.get("repro"):
            lines.append(f"      ./build.sh repro --target {r['target']} "
                         f"{project.rel(os.path.join(camp.out, r['repro']))}")
    n = camp.triage.unreproduced()
    if n:
        lines.append(f"  ({n} engine finding file(s) passed on replay: not counted)")
    lines.append(f"fuzz: ./build.sh findings {project.rel(camp.out)}  lists them; "
                 f"the report is {project.rel(os.path.join(camp.out, 'report', 'report.html'))}")
    return "\n".join(lines)


class Recorder:
    def __init__(self, out):
        self.dir = os.path.join(out, "stats")
        os.makedirs(self.dir, exist_ok=True)

    def sample(self, camp, k, running):
        t, e = k.split("/")
        path = os.path.join(self.dir, f"{t}.{e}.csv")
        f = camp.figures(k)
        new = not os.path.exists(path)
        with open(path, "a") as fh:
            if new:
                fh.write(COLUMNS)
            fh.write(f"{camp.campaign_seconds():.1f},{time.time():.0f},{f.get('execs', 0)},"
                     f"{int(f.get('eps', 0)) if running else 0},{f.get('corpus', 0)},"
                     f"{f.get('cov', 0)},{f['unique']},{1 if running else 0}\n")


def read_series(path):
    """[dict] rows of one stats CSV."""
    rows = []
    try:
        with open(path) as f:
            head = f.readline().strip().split(",")
            for line in f:
                c = line.strip().split(",")
                if len(c) == len(head):
                    rows.append({h: float(v) for h, v in zip(head, c)})
    except (OSError, ValueError):
        pass
    return rows
