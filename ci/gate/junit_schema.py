"""A JUnit XML schema and a validator for it, standard library only.

  python3 junit_schema.py FILE...    exit 0 if every FILE is valid, else 1
                                     with one line per problem (FILE:LINE: ...)

The schema is the one CI systems read (Jenkins' JUnit plugin, GitLab,
GitHub actions that publish JUnit), the Ant/Jenkins layout written down here
as data, as an XSD would:
  testsuites (name, tests, failures, errors, skipped, time)
    testsuite* (name, tests, failures, errors, skipped, time; timestamp, ...)
      properties? > property* (name, value)
      testcase* (name, classname, time; ...)
        (skipped | failure | error)* (message, type; failure/error text)
        system-out*, system-err*
      system-out?, system-err?
Required here, stricter than Jenkins: every count and time on a suite, a
testcase's name, classname and time, a failure's message and type, a
skipped's message. Beyond what an XSD can say, the counts must be those of
the elements (a CI shows the attributes, the elements, or both)."""

import re
import sys
import xml.parsers.expat

INT = re.compile(r"^\d+$")
DECIMAL = re.compile(r"^\d+(\.\d+)?$")
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
STRING = re.compile(r"", re.S)
COUNTS = {"tests": INT, "failures": INT, "errors": INT, "skipped": INT, "time": DECIMAL}

# element: (required attributes, optional attributes, content, text allowed)
# content: [(names, min, max)] matched in order; max None = unbounded.
SCHEMA = {
    "testsuites": (dict(name=STRING, **COUNTS), {"disabled": INT, "timestamp": DATETIME},
                   [({"testsuite"}, 0, None)], False),
    "testsuite": (dict(name=STRING, **COUNTS),
                  {"disabled": INT, "timestamp": DATETIME, "hostname": STRING, "id": STRING,
                   "package": STRING, "file": STRING},
                  [({"properties"}, 0, 1), ({"testcase"}, 0, None), ({"system-out"}, 0, 1),
                   ({"system-err"}, 0, 1)], False),
    "properties": ({}, {}, [({"property"}, 0, None)], False),
    "property": ({"name": STRING, "value": STRING}, {}, [], False),
    "testcase": ({"name": STRING, "classname": STRING, "time": DECIMAL},
                 {"assertions": INT, "status": STRING, "file": STRING, "line": INT},
                 [({"skipped", "failure", "error"}, 0, None), ({"system-out"}, 0, None),
                  ({"system-err"}, 0, None)], False),
    "failure": ({"message": STRING, "type": STRING}, {}, [], True),
    "error": ({"message": STRING, "type": STRING}, {}, [], True),
    "skipped": ({"message": STRING}, {}, [], True),
    "system-out": ({}, {}, [], True),
    "system-err": ({}, {}, [], True),
}
ROOT_ELEMENT = "testsuites"


class Node:
    def __init__(self, name, attrs, line):
        self.name, self.attrs, self.line = name, attrs, line
        self.children, self.text = [], ""


def parse(path):
    """The element tree with line numbers, or raises ValueError."""
    p = xml.parsers.expat.ParserCreate()
    stack, root = [], []

    def start(name, attrs):
        n = Node(name, attrs, p.CurrentLineNumber)
        (stack[-1].children if stack else root).append(n)
        stack.append(n)

    def end(name):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].text += data

    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    try:
        with open(path, "rb") as f:
            p.ParseFile(f)
    except xml.parsers.expat.ExpatError as e:
        raise ValueError(f"line {e.lineno}: not well-formed XML: {xml.parsers.expat.ErrorString(e.code)}")
    return root[0]


def check_content(n, model, err):
    names = [c.name for c in n.children]
    i = 0
    for allowed, lo, hi in model:
        k = 0
        while i < len(names) and names[i] in allowed and (hi is None or k < hi):
            i, k = i + 1, k + 1
        if k < lo:
            err(n, f"<{n.name}> needs {lo} <{'|'.join(sorted(allowed))}>, has {k}")
    if i < len(names):
        c = n.children[i]
        where = "not allowed" if c.name not in SCHEMA else "out of order or too many"
        err(c, f"<{c.name}> {where} in <{n.name}>")


def check(n, err):
    spec = SCHEMA.get(n.name)
    if spec is None:
        err(n, f"unknown element <{n.name}>")
        return
    required, optional, model, text = spec
    for a, pat in required.items():
        if a not in n.attrs:
            err(n, f"<{n.name}> lacks the attribute {a}")
        elif not pat.match(n.attrs[a]):
            err(n, f"<{n.name}> {a}=\"{n.attrs[a]}\" is not a valid value")
    for a, v in n.attrs.items():
        if a in required:
            continue
        if a not in optional:
            err(n, f"<{n.name}> has an unknown attribute {a}")
        elif not optional[a].match(v):
            err(n, f"<{n.name}> {a}=\"{v}\" is not a valid value")
    if not text and n.text.strip():
        err(n, f"<{n.name}> holds text: {n.text.strip()[:40]!r}")
    check_content(n, model, err)
    for c in n.children:
        check(c, err)


def check_counts(n, err):
    """A suite's counts are those of its testcases; testsuites' the sums."""
    def count(s):
        cases = [c for c in s.children if c.name == "testcase"]
        kinds = [{k.name for k in c.children} for c in cases]
        return {"tests": len(cases), "failures": sum("failure" in k for k in kinds),
                "errors": sum("error" in k for k in kinds),
                "skipped": sum("skipped" in k for k in kinds)}
    total = dict(tests=0, failures=0, errors=0, skipped=0)
    for s in (c for c in n.children if c.name == "testsuite"):
        got = count(s)
        for k, v in got.items():
            total[k] += v
            if INT.match(s.attrs.get(k, "")) and int(s.attrs[k]) != v:
                err(s, f"<testsuite name=\"{s.attrs.get('name')}\"> says {k}=\"{s.attrs[k]}\", its testcases give {v}")
    for k, v in total.items():
        if INT.match(n.attrs.get(k, "")) and int(n.attrs[k]) != v:
            err(n, f"<testsuites> says {k}=\"{n.attrs[k]}\", its suites give {v}")


def validate(path):
    """[problem lines] for one file; empty if it is valid."""
    problems = []

    def err(node, msg):
        problems.append(f"{path}:{node.line}: {msg}")
    try:
        root = parse(path)
    except (OSError, ValueError, IndexError) as e:
        return [f"{path}: {e}"]
    if root.name != ROOT_ELEMENT:
        err(root, f"the root is <{root.name}>, not <{ROOT_ELEMENT}>")
        return problems
    check(root, err)
    if not problems:
        check_counts(root, err)
    return problems


def main(paths):
    if not paths:
        print("usage: junit_schema.py FILE...", file=sys.stderr)
        return 2
    bad = 0
    for p in paths:
        problems = validate(p)
        for line in problems:
            print(line)
        if problems:
            bad += 1
        else:
            print(f"{p}: valid JUnit")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
