"""Reads the example CI workflow (ci/templates/github-fuzz.yml) for
ci/tests/65-oss-fuzz.sh: no YAML parser in the standard library, and the
workflow keeps to plain `key: value` lines, so one pass over the lines,
knowing which job each belongs to, is enough.

  python3 workflow_scan.py WORKFLOW

Prints one line per fact, `<job> <key> <value>`, for the keys the test
judges: on (the triggers, job "-"), if, uses, mode, sanitizer (a matrix list
gives one line per entry), language, run, report_paths, path."""

import re
import sys

KEYS = ("if", "uses", "mode", "sanitizer", "language", "run", "report_paths", "path")


def scan(path):
    facts, job, section = [], "-", None
    for raw in open(path):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        if indent == 0:
            section = text.rstrip(":").split(":")[0]
            job = "-"
            if section == "on" and text != "on:":
                facts.append(("-", "on", text.split(":", 1)[1].strip()))
            continue
        if section == "on" and indent == 2:
            facts.append(("-", "on", text.split(":")[0]))
            continue
        if section != "jobs":
            continue
        if indent == 2 and text.endswith(":"):
            job = text[:-1]
            continue
        m = re.match(r"^(?:- )?([A-Za-z_-]+):\s*(.*)$", text)
        if not m or m.group(1) not in KEYS:
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "sanitizer" and value.startswith("["):
            for v in value.strip("[]").split(","):
                facts.append((job, key, v.strip()))
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        facts.append((job, key, value))
    return facts


if __name__ == "__main__":
    for j, k, v in scan(sys.argv[1]):
        print(j, k, v)
