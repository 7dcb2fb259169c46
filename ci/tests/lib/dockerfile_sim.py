"""Plays a project Dockerfile (oss-fuzz/, .clusterfuzzlite/) without Docker,
for ci/tests/65-oss-fuzz.sh: there is no Docker engine here, so the test
lays out $SRC as the image would have it and then runs the image's build.sh
in its WORKDIR with the environment OSS-Fuzz's `compile` gives.

  python3 dockerfile_sim.py DOCKERFILE --context DIR --src SRC --project ROOT [--qemu TREE]

Every instruction must be one this file knows how to stand in for; any
other is an error, so a step added to a Dockerfile has to be taught here
(and so is seen by the test) before the test passes again:
  FROM gcr.io/oss-fuzz-base/base-builder[...]
  RUN apt-get ... install PKG...   each PKG must be installed on this machine
  RUN git clone ... URL DIR        the project's repository: SRC/DIR -> ROOT;
                                   QEMU's (gitlab.com/qemu-project): SRC/DIR ->
                                   TREE (absent without --qemu: the fetch failed)
  RUN git -C DIR checkout REF -- PATH...   each PATH must be in DIR
  COPY . DEST | COPY FILE DEST     from the build context
  WORKDIR DIR
Prints the final WORKDIR; exit 1 with one line per problem."""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys

BASE_IMAGE = "gcr.io/oss-fuzz-base/base-builder"


def instructions(path):
    """[(line number, INSTRUCTION, rest)], continuation lines joined."""
    out, buf, start = [], "", 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            s = line.rstrip("\n")
            if not buf and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if not buf:
                start = n
            if s.endswith("\\"):
                buf += s[:-1] + " "
                continue
            buf += s
            word, _, rest = buf.strip().partition(" ")
            out.append((start, word.upper(), rest.strip()))
            buf = ""
    return out


def expand(s, src):
    return s.replace("${SRC}", src).replace("$SRC", src)


def at(cwd, p):
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(cwd, p))


def link(path, target):
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return "install ok installed" in r.stdout


def run_step(words, cwd, a, errors, where):
    if words[:1] == ["apt-get"]:
        if "install" in words:
            pkgs = [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
            for p in pkgs:
                if not installed(p):
                    errors.append(f"{where}: package {p} is not installed here")
        return
    if words[:2] == ["git", "clone"]:
        args = [w for w in words[2:] if not w.startswith("-")]
        # options taking a value: --depth N, --branch B
        for opt in ("--depth", "--branch", "-b"):
            if opt in words[2:]:
                v = words[words.index(opt) + 1]
                if v in args:
                    args.remove(v)
        if len(args) != 2:
            errors.append(f"{where}: git clone wants URL DIR, got {args}")
            return
        url, d = args
        dest = at(cwd, d)
        if "qemu-project" in url or url.rstrip("/").endswith("qemu.git"):
            if a.qemu:
                link(dest, a.qemu)
        else:
            link(dest, a.project)
        return
    if words[:1] == ["git"] and "-C" in words and "checkout" in words:
        d = at(cwd, words[words.index("-C") + 1])
        if "--" not in words:
            errors.append(f"{where}: git checkout without '-- PATH...'")
            return
        if not os.path.isdir(d):
            return          # the clone failed (no --qemu): nothing to check out
        for p in words[words.index("--") + 1:]:
            if not os.path.exists(os.path.join(d, p)):
                errors.append(f"{where}: {p} is not in {d}")
        return
    errors.append(f"{where}: no stand-in for RUN {' '.join(words)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dockerfile")
    ap.add_argument("--context", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--qemu")
    a = ap.parse_args()
    src = os.path.abspath(a.src)
    os.makedirs(src, exist_ok=True)
    cwd, errors, seen_from = src, [], False
    for n, ins, rest in instructions(a.dockerfile):
        where = f"{a.dockerfile}:{n}"
        rest = expand(rest, src)
        if ins == "FROM":
            seen_from = True
            if not rest.startswith(BASE_IMAGE):
                errors.append(f"{where}: FROM {rest}: OSS-Fuzz builds on {BASE_IMAGE}")
        elif ins == "RUN":
            for cmd in re.split(r"\s*&&\s*", rest):
                run_step(shlex.split(cmd), cwd, a, errors, where)
        elif ins == "COPY":
            w = shlex.split(rest)
            if len(w) != 2:
                errors.append(f"{where}: COPY wants SOURCE DEST, got {w}")
                continue
            s, d = w
            dest = at(cwd, d)
            if s == ".":
                link(dest, os.path.abspath(a.context))
                continue
            f = os.path.join(a.context, s)
            if not os.path.isfile(f):
                errors.append(f"{where}: COPY {s}: no such file in the context {a.context}")
                continue
            if d.endswith("/"):
                dest = os.path.join(dest, os.path.basename(s))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy2(f, dest)
        elif ins == "WORKDIR":
            cwd = at(cwd, rest)
        else:
            errors.append(f"{where}: no stand-in for {ins}")
    if not seen_from:
        errors.append(f"{a.dockerfile}: no FROM")
    if not os.path.isdir(cwd):
        errors.append(f"{a.dockerfile}: the WORKDIR {cwd} is not there after the build steps")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print(cwd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
