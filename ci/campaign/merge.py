"""`./build.sh corpus-merge DIR`: what a campaign's engines found that the
target's seeds do not already cover goes back into corpus/<target>/ as text
seeds (seeds are text, compiled at build time).

libFuzzer's -merge=1 picks the inputs that add coverage over the current
seeds, from the campaign's shared corpus and every AFL++ queue. Each pick
is written as text and compiled back, and kept only if that text form
passes on the replay build (every seed must pass) and still adds
coverage: the merge is run once more on the compiled texts."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import engines
import project


def _lf_merge(target, dest, sources):
    """Run libFuzzer -merge=1 of sources into dest; the new file names."""
    before = set(os.listdir(dest))
    # Edges only (no hit-count buckets): the seeds are for people to read.
    r = subprocess.run([os.path.join(project.BUILD, "libfuzzer", target), "-merge=1",
                        "-use_counters=0",
                        "-timeout=10", dest] + sources, capture_output=True, text=True,
                       env=dict(os.environ, ASAN_OPTIONS="symbolize=0"),
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise project.UsageError(f"libFuzzer -merge failed on {target}: "
                                 f"{(r.stdout + r.stderr).strip().splitlines()[-1:]}")
    return sorted(set(os.listdir(dest)) - before)


def merge(out, targets_spec):
    with open(os.path.join(out, "campaign.json")) as f:
        st = json.load(f)
    targets = st["targets"]
    if targets_spec:
        targets = [t for t in targets_spec.split(",")]
        for t in targets:
            if t not in st["targets"]:
                raise project.UsageError(f"target {t} is not in this campaign "
                                         f"({','.join(st['targets'])})")
    owners_done = set()
    total = 0
    for t in targets:
        owner = project.corpus_owner(t)
        if owner in owners_done:
            print(f"corpus-merge: {t}: its seeds are {owner}'s, merged already")
            continue
        owners_done.add(owner)
        owner_t, seed_goals = project.seed_goals(t)
        project.make(["tools/optext", f"libfuzzer/{t}", f"replay/{t}"] + seed_goals)
        tdir = engines.target_dir(out, t)
        sources = [d for d in [os.path.join(tdir, "corpus")] + engines.afl_queues(tdir)
                   if os.path.isdir(d) and os.listdir(d)]
        if not sources:
            print(f"corpus-merge: {t}: the campaign has no corpus for it")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            base = os.path.join(tmp, "base")
            shutil.copytree(project.seeds_dir(t), base)
            picks = _lf_merge(t, base, sources)
            # Text round trip: keep what passes and still adds coverage.
            texts = os.path.join(tmp, "texts")
            os.makedirs(texts)
            kept = {}
            for p in picks:
                src = os.path.join(base, p)
                text = project.to_text(t, src)
                if not text:
                    continue
                h = hashlib.sha1(text.encode()).hexdigest()[:10]
                name = f"merged-{st['name']}-{h}"
                txt = os.path.join(texts, name + ".txt")
                binp = os.path.join(texts, name + ".bin")
                with open(txt, "w") as f:
                    f.write(f"# Merged from campaign {st['name']} by ./build.sh corpus-merge.\n"
                            + text)
                r = subprocess.run([os.path.join(project.BUILD, "tools", "optext"), "--family",
                                    project.family(t), "from-text", txt, binp],
                                   capture_output=True, stdin=subprocess.DEVNULL)
                if r.returncode != 0:
                    continue
                verdict, _ = project.replay(t, binp, mask=False)  # seeds pass unmasked
                if verdict == "PASS":
                    kept[name] = txt
            base2 = os.path.join(tmp, "base2")
            shutil.copytree(project.seeds_dir(t), base2)
            cand = os.path.join(tmp, "cand")
            os.makedirs(cand)
            by_hash = {}
            for name in kept:
                with open(os.path.join(texts, name + ".bin"), "rb") as f:
                    data = f.read()
                by_hash[hashlib.sha1(data).hexdigest()] = name
                shutil.copy(os.path.join(texts, name + ".bin"), os.path.join(cand, name))
            # -merge=1 names what it adds by the SHA-1 of its contents.
            final = [by_hash[h] for h in (_lf_merge(t, base2, [cand]) if kept else [])
                     if h in by_hash]
            dest = os.path.join(project.ROOT, "corpus", owner)
            os.makedirs(dest, exist_ok=True)
            for name in final:
                shutil.copy(kept[name], os.path.join(dest, name + ".txt"))
            print(f"corpus-merge: {t}: {len(picks)} input(s) add coverage over the seeds; "
                  f"{len(final)} written as text to corpus/{owner}/ "
                  f"({len(picks) - len(final)} dropped: no text form, failing, or no new "
                  f"coverage once written as text)")
            total += len(final)
    print(f"corpus-merge: {total} new seed(s); review and commit them "
          f"(git status corpus/)")
    return 0
