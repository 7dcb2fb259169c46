"""The race gate's reports. ci/cmd-gate.sh runs the controls and prints the
terminal table as they end (ci/gate/lib.sh gate_table_row); at the end

  report.py write --rows FILE --out DIR --tier T --seed N --wall S
                  [--qemu LINE] [--findings FILE]

writes OUT/junit.xml and OUT/gate.md from every row of FILE (one row a
line, fields NAME KIND EXPECTED OBSERVED SECONDS SEED RATE RESULT LOG joined
by the ASCII unit separator), prints what failed (each failure's log and the
first lines of its report, else its verdict) and the summary line, and
exits 1 if a row failed.

A row's RESULT is PASS, FAIL, SKIP, KNOWN (only findings listed in the
known-findings file: accepted) or INFO (shown, never judged). In the JUnit
file KNOWN and INFO rows are <skipped> with a message that says which, and a
failure's message holds the first lines of the sanitizer report (else the
verdict) and the log's path. gate.md is short enough for a pull-request
comment: narrow cells, details folded. Lines printed stay within 120
columns."""

import argparse
import os
import re
import sys
from xml.sax.saxutils import escape, quoteattr

ROOT = os.environ.get("ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
WIDTH = 120
FIELDS = ("name", "kind", "expected", "observed", "seconds", "seed", "rate", "result", "log")
MD_CELL = 60                 # widest Markdown cell
MD_LIMIT = 60000             # GitHub refuses comments over 65536 characters
MESSAGE_LINES = 6            # report lines in a JUnit failure message
BODY_LINES = 40              # ... and in its text


def rel(path):
    if not path or path == "-":
        return ""
    p = os.path.abspath(path)
    return os.path.relpath(p, ROOT) if p.startswith(ROOT + os.sep) else path


def cut(s, n):
    return s if len(s) <= n else s[:n - 3] + "..."


# ---- narrow cells ---------------------------------------------------------

def short_secs(s):
    try:
        return f"{float(s):.1f}"
    except ValueError:
        return s


def short_obs(r):
    """The observed text for a narrow cell: what the other columns say
    already is left out (as in the terminal table)."""
    o = r["observed"]
    if r["result"] == "KNOWN" and o.startswith("KNOWN: "):
        o = o[len("KNOWN: "):]
    return o.replace("race: data-race: ", "race: ")


# ---- what a failure shows -------------------------------------------------

REPORT_START = re.compile(r"WARNING: ThreadSanitizer: |ERROR: AddressSanitizer: |"
                          r"ERROR: LeakSanitizer: |runtime error: |ERROR: libFuzzer: ")
VERDICT = re.compile(r"^(stress \S+: variant=.*|\s*(verdict: )?FAIL \S+: .*|finding: .*|FAIL: .*)$")
NOISE = re.compile(r" \((BuildId: [0-9a-f]+|[\w.+-]+\+0x[0-9a-f]+)\)")


def tidy(line):
    line = NOISE.sub("", NOISE.sub("", line.rstrip()))
    return line.replace(ROOT + "/", "")


def report_lines(log, n):
    """The first n lines of the first sanitizer report in log, else its
    verdict lines, else its last lines."""
    try:
        with open(log, errors="replace") as f:
            lines = [tidy(x) for x in f]
    except OSError:
        return []
    for i, x in enumerate(lines):
        if REPORT_START.search(x):
            block = [y for y in lines[i:] if y.strip() and y.strip() != "=================="]
            return block[:n]
    v = [x for x in lines if VERDICT.match(x)]
    if v:
        return v[:n]
    return [x for x in lines if x.strip()][-n:]


def replay_command(r, tier, seed):
    t = " --tier short" if tier == "short" else ""
    if r["kind"] == "replay":
        return "./build.sh replay"
    extra = " --no-replay" if r["kind"] == "fuzz" else " --no-replay --no-fuzz"
    return f"./build.sh gate{t} --seed {seed} --only '^{r['name']}$'{extra}"


def logs_of(r):
    """The row's log and, for a retried control, how many tries it had."""
    log = r["log"]
    if not log or log == "-":
        return "", ""
    m = re.match(r"^(.*)\.(\d+)\.log$", log)
    if m and int(m.group(2)) > 0:
        return rel(log), f" (last of {int(m.group(2)) + 1} tries: {rel(m.group(1))}.*.log)"
    return rel(log), ""


# ---- JUnit -----------------------------------------------------------------

def attr(s):
    return quoteattr(s).replace("\n", "&#10;")


def junit(rows, a):
    n = len(rows)
    nfail = sum(r["result"] == "FAIL" for r in rows)
    nskip = sum(r["result"] in ("SKIP", "KNOWN", "INFO") for r in rows)
    wall = f"{float(a.wall):.3f}"
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="race-gate" tests="{n}" failures="{nfail}" errors="0" '
           f'skipped="{nskip}" time="{wall}">',
           f'  <testsuite name="race-gate-{a.tier}" tests="{n}" failures="{nfail}" errors="0" '
           f'skipped="{nskip}" time="{wall}">',
           "    <properties>"]
    props = [("seed", a.seed),
             ("replay", f"./build.sh gate{' --tier short' if a.tier == 'short' else ''} --seed {a.seed}"),
             ("known", str(sum(r["result"] == "KNOWN" for r in rows))),
             ("info", str(sum(r["result"] == "INFO" for r in rows))),
             ("skipped-not-run", str(sum(r["result"] == "SKIP" for r in rows))),
             ("known-findings", a.findings)]
    if a.qemu:
        props.append(("qemu", a.qemu))
    out += [f"      <property name={attr(k)} value={attr(v)}/>" for k, v in props]
    out.append("    </properties>")
    for r in rows:
        secs = r["seconds"] if re.match(r"^\d+(\.\d+)?$", r["seconds"]) else "0"
        out.append(f"    <testcase name={attr(r['name'])} classname={attr('gate.' + r['kind'])} "
                   f"time=\"{secs}\">")
        log, tries = logs_of(r)
        res = r["result"]
        if res == "FAIL":
            lines = report_lines(r["log"], BODY_LINES) if log else []
            msg = [f"{r['observed']}", f"expected: {r['expected']}"]
            if log:
                msg.append(f"log: {log}{tries}")
            msg += lines[:MESSAGE_LINES]
            body = lines + [f"seed {r['seed']}, rate {r['rate']}",
                            f"replay: {replay_command(r, a.tier, a.seed)}"]
            ftype = {"positive": "did-not-fire", "negative": "fired"}.get(r["kind"], r["kind"])
            out.append(f"      <failure message={attr(chr(10).join(msg))} type={attr(ftype)}>"
                       f"{escape(chr(10).join(body))}</failure>")
        elif res == "KNOWN":
            out.append(f"      <skipped message={attr('KNOWN: only findings listed in ' + a.findings + ': ' + strip_known(r['observed']))}/>")
        elif res == "INFO":
            out.append(f"      <skipped message={attr('INFO: shown for information, never decides the gate: ' + r['observed'])}/>")
        elif res == "SKIP":
            out.append(f"      <skipped message={attr('not run: ' + r['observed'])}/>")
        sysout = (f"result: {res}\nexpected: {r['expected']}\nobserved: {r['observed']}\n"
                  f"seed: {r['seed']}\nrate: {r['rate']}" + (f"\nlog: {log}" if log else ""))
        out.append(f"      <system-out>{escape(sysout)}</system-out>")
        out.append("    </testcase>")
    out += ["  </testsuite>", "</testsuites>"]
    return "\n".join(out) + "\n"


def strip_known(obs):
    return obs[len("KNOWN: "):] if obs.startswith("KNOWN: ") else obs


# ---- Markdown -------------------------------------------------------------

def md_cell(s, n=MD_CELL):
    s = cut(s.replace("`", "'"), n).replace("|", "\\|")
    return f"`{s}`" if s else ""


def markdown(rows, a, counts):
    verdict = "FAIL" if counts["FAIL"] else "PASS"
    out = [f"### Race gate: {verdict} ({a.tier} tier)", "",
           f"{summary_counts(counts)} in {a.wall} s (known: only findings listed in "
           f"`{a.findings}`). "
           f"Base seed {a.seed}: `./build.sh gate{' --tier short' if a.tier == 'short' else ''} "
           f"--seed {a.seed}` replays it."]
    if a.qemu:
        out.append(f"{a.qemu}.")
    out += ["", "| control | result | s | observed |", "|---|---|--:|---|"]
    for r in rows:
        res = {"FAIL": "**FAIL**"}.get(r["result"], r["result"])
        out.append(f"| {r['name']} | {res} | {short_secs(r['seconds'])} | {md_cell(short_obs(r))} |")
    failed = [r for r in rows if r["result"] == "FAIL"]
    for r in failed[:10]:
        log, tries = logs_of(r)
        lines = [cut(x, 110) for x in report_lines(r["log"], 12)] if log else []
        out += ["", f"<details><summary>FAIL {r['name']}: {escape(cut(r['observed'], 80))}</summary>", "",
                f"Expected {escape(r['expected'])}; seed {r['seed']}, rate {r['rate']}.",
                f"Log `{log}`{escape(tries)}; replay: `{replay_command(r, a.tier, a.seed)}`" if log else
                f"Replay: `{replay_command(r, a.tier, a.seed)}`"]
        if lines:
            out += ["", "```", *[x.replace("```", "'''") for x in lines], "```"]
        out.append("</details>")
    if len(failed) > 10:
        out += ["", f"... and {len(failed) - 10} more failures: see the JUnit file."]
    out += ["", "<details><summary>Expected, seed and rate of every control</summary>", "",
            "| control | kind | expected | seed | rate |", "|---|---|---|--:|---|"]
    for r in rows:
        out.append(f"| {r['name']} | {r['kind']} | {md_cell(r['expected'])} | {r['seed']} | {r['rate']} |")
    out += ["", "</details>", ""]
    text = "\n".join(out)
    if len(text) > MD_LIMIT:
        text = text[:MD_LIMIT] + "\n\n(cut: see the JUnit file)\n"
    return text


def summary_counts(c):
    return (f"{c['PASS']} passed, {c['KNOWN']} known, {c['INFO']} info, {c['FAIL']} failed, "
            f"{c['SKIP']} skipped")


# ---- commands ---------------------------------------------------------------

def read_rows(path):
    rows = []
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\x1f")
                if len(parts) == len(FIELDS):
                    rows.append(dict(zip(FIELDS, parts)))
    return rows


def write(a):
    rows = read_rows(a.rows)
    counts = {k: sum(r["result"] == k for r in rows) for k in ("PASS", "KNOWN", "INFO", "FAIL", "SKIP")}
    junit_path = os.path.join(a.out, "junit.xml")
    md_path = os.path.join(a.out, "gate.md")
    with open(junit_path, "w") as f:
        f.write(junit(rows, a))
    with open(md_path, "w") as f:
        f.write(markdown(rows, a, counts))
    failed = [r for r in rows if r["result"] == "FAIL"]
    if failed:
        print()
        print("What failed (first lines of each report, else the verdict):")
        for r in failed:
            log, tries = logs_of(r)
            print(cut(f"  {r['name']}: expected {r['expected']}", WIDTH))
            if log:
                print(cut(f"    log {log}{tries}", WIDTH))
                for x in report_lines(r["log"], 8):
                    print(cut(f"    | {x}", WIDTH))
            print(cut(f"    replay: {replay_command(r, a.tier, a.seed)}", WIDTH))
    print(cut(f"gate: {summary_counts(counts)} in {a.wall}s ({rel(md_path)}, {rel(junit_path)})", WIDTH))
    return 1 if failed else 0


def main(argv):
    ap = argparse.ArgumentParser(prog="report.py write")
    ap.add_argument("--rows", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tier", required=True)
    ap.add_argument("--seed", required=True)
    ap.add_argument("--wall", required=True)
    ap.add_argument("--qemu", default="")
    ap.add_argument("--findings", default="ci/qemu-findings.txt")
    if not argv or argv[0] != "write":
        print("usage: report.py write --rows FILE --out DIR --tier T --seed N --wall S "
              "[--qemu LINE] [--findings FILE]", file=sys.stderr)
        return 2
    return write(ap.parse_args(argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
