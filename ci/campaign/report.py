"""The campaign report, from what OUT holds (so `./build.sh report OUT`
rewrites it at any time): OUT/report/report.md and a self-contained
OUT/report/report.html (plots inlined), plus the plots as PNG files.

Plots (gnuplot): coverage, exec/s, corpus size and unique findings over
the campaign's own clock, one line per target and engine.
"""

import base64
import functools
import html
import json
import os
import shutil
import subprocess
import time

import knownstats
import project
import status

PLOTS = [("coverage", "coverage", "coverage (edges)"),
         ("execs_per_sec", "exec-per-sec", "exec/s"),
         ("corpus", "corpus", "corpus size"),
         ("unique", "unique-findings", "unique findings")]


def _fmt(s):
    from campaign import fmt_secs
    return fmt_secs(s)


def load(out):
    with open(os.path.join(out, "campaign.json")) as f:
        st = json.load(f)
    db = {"findings": {}}
    p = os.path.join(out, "findings", "index.json")
    if os.path.exists(p):
        with open(p) as f:
            db = json.load(f)
    return st, db


def findings_of(db):
    import triage
    return sorted((dict(r, key=k) for k, r in db["findings"].items()
                   if r["signature"] != triage.NOT_REPRODUCED),
                  key=lambda r: r["first_seen"])


def pair_rows(out, st, db):
    rows = []
    for k, p in sorted(st["pairs"].items(), key=lambda kv: _order(st, kv[0])):
        t, e = k.split("/")
        series = status.read_series(os.path.join(out, "stats", f"{t}.{e}.csv"))
        run = [r for r in series if r["running"] == 1 and r["execs_per_sec"] > 0]
        avg = sum(r["execs_per_sec"] for r in run) / len(run) if run else 0
        last = series[-1] if series else {}
        uniq = sum(1 for r in findings_of(db) if r["target"] == t and e in r.get("engines", []))
        rows.append({"target": t, "engine": e, "execs": int(last.get("execs", p["execs"])),
                     "eps": int(avg), "corpus": int(last.get("corpus", 0)),
                     "cov": int(last.get("coverage", 0)), "unique": uniq,
                     "time": p["run_seconds"], "slices": p["slices"]})
    return rows


def _order(st, k):
    t, e = k.split("/")
    return (st["targets"].index(t) if t in st["targets"] else 99,
            st["engines"].index(e) if e in st["engines"] else 9)


def plots(out, st, dest):
    """PNG paths written (none if gnuplot is missing or there is no data)."""
    gp = shutil.which("gnuplot")
    series = []
    for k in sorted(st["pairs"], key=lambda k: _order(st, k)):
        t, e = k.split("/")
        p = os.path.join(out, "stats", f"{t}.{e}.csv")
        if os.path.exists(p) and len(status.read_series(p)) > 0:
            # One colour per target, one dash pattern per engine.
            ti, ei = _order(st, k)
            series.append((f"{t} {e}", p, f"lc {ti % 8 + 1} dt {ei + 1}"))
    if not gp or not series:
        return []
    cols = status.COLUMNS.strip().split(",")
    span = st.get("spent", 0)
    unit, div = ("hours", 3600) if span > 3 * 3600 else ("minutes", 60)
    written = []
    for col, name, label in PLOTS:
        png = os.path.join(dest, f"{name}.png")
        lines = [f"set terminal pngcairo size 900,420 noenhanced font ',10'" if _cairo(gp)
                 else "set terminal png size 900,420 noenhanced",
                 f"set output '{png}'", "set datafile separator ','", "set key outside right",
                 "set grid", f"set title '{label} over campaign time'",
                 f"set xlabel 'campaign time ({unit})'", f"set ylabel '{label}'",
                 "set yrange [0:*]", "set format y '%.0f'"]
        plot = []
        for title, p, style in series:
            plot.append(f"'{p}' every ::1 using ($1/{div}):{cols.index(col) + 1} with steps "
                        f"lw 2 {style} title '{title}'")
        lines.append("plot " + ", \\\n     ".join(plot))
        r = subprocess.run([gp], input="\n".join(lines) + "\n", text=True, capture_output=True)
        if r.returncode == 0 and os.path.exists(png) and os.path.getsize(png) > 0:
            written.append((png, label))
    return written


@functools.lru_cache(maxsize=None)
def _cairo(gp):
    r = subprocess.run([gp, "-e", "set terminal"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    return "pngcairo" in (r.stdout + r.stderr)


def write(out):
    out = os.path.abspath(out)
    st, db = load(out)
    dest = os.path.join(out, "report")
    os.makedirs(dest, exist_ok=True)
    found = findings_of(db)
    rows = pair_rows(out, st, db)
    pngs = plots(out, st, dest)
    unrep = sum(r["count"] for r in db["findings"].values()
                if r["signature"] == "not-reproduced")
    known = knownstats.read_campaign(out)
    md = _markdown(out, st, found, rows, pngs, unrep) + _known_markdown(st, found, known)
    with open(os.path.join(dest, "report.md"), "w") as f:
        f.write(md)
    page = _html(out, st, found, rows, pngs, unrep, _known_html(st, found, known))
    with open(os.path.join(dest, "report.html"), "w") as f:
        f.write(page)
    return {"md": os.path.join(dest, "report.md"), "html": os.path.join(dest, "report.html"),
            "plots": [p for p, _ in pngs]}


def _repro_cmd(out, r):
    if not r.get("repro"):
        return "(triage pending)"
    return f"./build.sh repro --target {r['target']} {project.rel(os.path.join(out, r['repro']))}"


def _repro_text(out, r):
    if not r.get("repro"):
        return ""
    try:
        with open(os.path.join(out, r["repro"])) as f:
            return f.read()
    except OSError:
        return ""


def _segments(st):
    out = []
    for s in st["segments"]:
        start = time.strftime("%Y-%m-%d %H:%M", time.localtime(s["start"]))
        out.append(f"{start}, {_fmt(s.get('seconds', 0))} on {s.get('jobs', '?')} core(s), "
                   f"{s.get('status', '?')}")
    return out


def _markdown(out, st, found, rows, pngs, unrep):
    L = [f"# Campaign {st['name']}", "",
         f"- targets: {', '.join(st['targets'])}; engines: {', '.join(st['engines'])}",
         f"- {_fmt(st['spent'])} of {_fmt(st['budget'])}, seed {st['seed']}, "
         f"status {st.get('status', '?')}",
         f"- runs: " + "; ".join(_segments(st)),
         f"- resume or extend: `./build.sh fuzz --out {project.rel(out)} "
         f"--targets {','.join(st['targets'])} --engine "
         f"{'both' if len(st['engines']) == 2 else st['engines'][0]}`", "",
         f"## Unique findings ({len(found)})", ""]
    if not found:
        L.append("None.")
    else:
        L += ["| # | target | signature | inputs | first seen | engines |",
              "|---|---|---|---|---|---|"]
        for i, r in enumerate(found, 1):
            L.append(f"| {i} | {r['target']} | `{r['signature']}` | {r['count']} | "
                     f"{_fmt(r['first_seen'])} | {', '.join(r.get('engines', []))} |")
        for i, r in enumerate(found, 1):
            L += ["", f"### {i}. {r['target']}: `{r['signature']}`", "",
                  f"Verdict of the first input: `{r['verdict']}`", "",
                  f"Reproduce: `{_repro_cmd(out, r)}`", "", "```", _repro_text(out, r).rstrip(),
                  "```"]
    if unrep:
        L += ["", f"{unrep} engine finding file(s) passed on replay and are not counted."]
    L += ["", "## Targets and engines", "",
          "| target | engine | execs | avg exec/s | corpus | coverage | unique | time | slices |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        L.append(f"| {r['target']} | {r['engine']} | {r['execs']:,} | {r['eps']:,} | "
                 f"{r['corpus']:,} | {r['cov']:,} | {r['unique']} | {_fmt(r['time'])} | "
                 f"{r['slices']} |")
    L += ["", "## Plots", ""]
    if not pngs:
        L.append("No plots (gnuplot missing, or no samples yet).")
    for p, label in pngs:
        L.append(f"![{label}]({os.path.basename(p)})")
    return "\n".join(L) + "\n"


def distinct_classes(found, known):
    """{target: set of signatures}: unique findings plus the known classes
    that showed (masked), i.e. every (property, signature) class seen."""
    out = {}
    for r in found:
        out.setdefault(r["target"], set()).add(r["signature"])
    for t, _, sig, _, _ in known:
        out.setdefault(t, set()).add(sig)
    return out


def _known_rows(known):
    """[(target, signature, id, {engine: inputs})] from the counter rows."""
    merged = {}
    for t, e, sig, ident, n in known:
        rec = merged.setdefault((t, sig), [ident, {}])
        rec[1][e] = rec[1].get(e, 0) + n
    return sorted(((t, s, i, c) for (t, s), (i, c) in merged.items()),
                  key=lambda r: (r[0], -sum(r[3].values()), r[1]))


def _known_intro(st, found, known):
    if not st.get("mask"):
        return ("Not masked (--no-mask): every known class ended its input and is among the "
                "findings above.")
    n = {t: len(s) for t, s in distinct_classes(found, known).items()}
    return ("Masked (ci/known/): an input went on past these, so the findings above are "
            "classes that are not known. Counts are inputs that showed the class. Distinct "
            "classes seen: " + (", ".join(f"{t} {k}" for t, k in sorted(n.items())) or "none")
            + ".")


def _known_markdown(st, found, known):
    L = ["", "## Known classes (ci/known/)", "", _known_intro(st, found, known)]
    rows = _known_rows(known)
    if st.get("mask") and rows:
        L += ["", "| target | class | known as | inputs |", "|---|---|---|---:|"]
        for t, sig, ident, by in rows:
            L.append(f"| {t} | `{sig}` | {ident} | "
                     f"{', '.join(f'{e} {c:,}' for e, c in sorted(by.items()))} |")
    elif st.get("mask"):
        L += ["", "None showed."]
    return "\n".join(L) + "\n"


def _known_html(st, found, known):
    e = html.escape
    H = ["<h2>Known classes (ci/known/)</h2>", f"<p>{e(_known_intro(st, found, known))}</p>"]
    rows = _known_rows(known)
    if st.get("mask") and rows:
        H.append("<table><tr><th>target</th><th>class</th><th>known as</th><th>inputs</th></tr>")
        for t, sig, ident, by in rows:
            H.append(f"<tr><td>{e(t)}</td><td><code>{e(sig)}</code></td><td>{e(ident)}</td>"
                     f"<td>{e(', '.join(f'{g} {c:,}' for g, c in sorted(by.items())))}</td></tr>")
        H.append("</table>")
    return "\n".join(H)


def _html(out, st, found, rows, pngs, unrep, known_html=""):
    e = html.escape
    css = ("body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;"
           "color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid "
           "#bbb;padding:.2em .5em;font-size:90%}th{background:#eee}td.n{text-align:right}"
           "pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:85%}"
           "code{background:#f3f3f3}img{max-width:100%;border:1px solid #ddd;margin:.3em 0}")
    H = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
         f"<title>Campaign {e(st['name'])}</title><style>{css}</style></head><body>",
         f"<h1>Campaign {e(st['name'])}</h1><ul>",
         f"<li>targets: {e(', '.join(st['targets']))}; engines: {e(', '.join(st['engines']))}</li>",
         f"<li>{_fmt(st['spent'])} of {_fmt(st['budget'])}, seed {st['seed']}, "
         f"status {e(st.get('status', '?'))}</li>",
         f"<li>runs: {e('; '.join(_segments(st)))}</li></ul>",
         f"<h2>Unique findings ({len(found)})</h2>"]
    if not found:
        H.append("<p>None.</p>")
    else:
        H.append("<table><tr><th>#</th><th>target</th><th>signature</th><th>inputs</th>"
                 "<th>first seen</th><th>engines</th><th>reproduce</th></tr>")
        for i, r in enumerate(found, 1):
            H.append(f"<tr><td class=n>{i}</td><td>{e(r['target'])}</td>"
                     f"<td><code>{e(r['signature'])}</code></td><td class=n>{r['count']}</td>"
                     f"<td>{_fmt(r['first_seen'])}</td><td>{e(', '.join(r.get('engines', [])))}"
                     f"</td><td><code>{e(_repro_cmd(out, r))}</code></td></tr>")
        H.append("</table>")
        for i, r in enumerate(found, 1):
            H += [f"<h3 id='f{i}'>{i}. {e(r['target'])}: <code>{e(r['signature'])}</code></h3>",
                  f"<p>Verdict of the first input: <code>{e(r['verdict'])}</code></p>",
                  f"<details open><summary>reproducer</summary><pre>"
                  f"{e(_repro_text(out, r))}</pre></details>"]
    if unrep:
        H.append(f"<p>{unrep} engine finding file(s) passed on replay and are not counted.</p>")
    H.append(known_html)
    H.append("<h2>Targets and engines</h2><table><tr><th>target</th><th>engine</th>"
             "<th>execs</th><th>avg exec/s</th><th>corpus</th><th>coverage</th><th>unique</th>"
             "<th>time</th><th>slices</th></tr>")
    for r in rows:
        H.append(f"<tr><td>{e(r['target'])}</td><td>{e(r['engine'])}</td>"
                 f"<td class=n>{r['execs']:,}</td><td class=n>{r['eps']:,}</td>"
                 f"<td class=n>{r['corpus']:,}</td><td class=n>{r['cov']:,}</td>"
                 f"<td class=n>{r['unique']}</td><td class=n>{_fmt(r['time'])}</td>"
                 f"<td class=n>{r['slices']}</td></tr>")
    H.append("</table><h2>Plots</h2>")
    if not pngs:
        H.append("<p>No plots (gnuplot missing, or no samples yet).</p>")
    for p, label in pngs:
        with open(p, "rb") as f:
            data = base64.b64encode(f.read()).decode()
        H.append(f"<figure><img alt='{e(label)}' src='data:image/png;base64,{data}'>"
                 f"<figcaption>{e(label)}</figcaption></figure>")
    # Marks the page once every image has decoded: a headless browser's
    # DOM dump then says whether the report rendered whole.
    H.append("<script>window.addEventListener('load',function(){var i=document.images,n=0;"
             "for(var k=0;k<i.length;k++){if(i[k].complete&&i[k].naturalWidth>0)n++;}"
             "document.body.setAttribute('data-images',n+'/'+i.length);});</script>")
    H.append("</body></html>")
    return "\n".join(H) + "\n"
