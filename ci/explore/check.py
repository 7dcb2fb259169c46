"""Invariants of the explorer's numbers (./build.sh explore, the test tier).

    python3 ci/explore/check.py CSV [--mutate NAME]

Prints one PASS/FAIL line per invariant and exits 1 if any failed. Each
invariant follows from the designs' code (sut/) or from how the explorer
counts, so a FAIL is a bug in one of them. --mutate NAME first breaks the
data the way that invariant forbids: the test tier's negative controls (the
checker must then FAIL that invariant).

Invariants:
  fixed-correct        fixed never loses an update, and the oracle never
                       sees an SC succeed that had to fail
  oracle-clean         every other event was accepted by the oracle (a
                       point where it was not is void)
  sc-accounting        successes + failures = SCs; the oracle put every
                       failed SC in exactly one class
  lost-needs-violation an update is only lost through an SC the oracle
                       says had to fail (lost > 0 => violations > 0)
  v6-w3-staircase      mixed: v6-ST loses updates exactly when the vCPUs
                       outnumber the cell's bits (W3: the plain writers share
                       a bit with an LL-ing vCPU, and nobody flushes them)
  v6-cells-beyond-cpus v6: cells of at least as many bits as vCPUs give
                       identical numbers (the bits above smp_cpus are always
                       1 and no vCPU reads them)
  cell-ignored         v8, fixed, cmpxchg: the cell size changes nothing
                       (where they ran at several); on fixed "more bits per
                       page never means more flushes per LL" holds with
                       equality
  flush-bound          one LL flushes at most one vCPU per other cluster on
                       v6-ST (min(cell, vCPUs) - 1), every other vCPU on v6-MT
                       (it scans before it clears) and v8, every vCPU on
                       fixed, none on cmpxchg
  cmpxchg-no-slow-path cmpxchg sends no store to the exclusive path and keeps
                       no exclusive bitmap
  bitmap-bytes         the exclusive bitmap holds cell bits per page on v6,
                       1 on v8 and fixed, and bytes per GiB = bits per page /
                       8 x pages per GiB
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

SAME_EXCEPT = {"cell_bits", "bitmap_bits", "bitmap_bytes_per_gib"}


def where(r):
    cell = "NA" if r["cell_bits"] is None else r["cell_bits"]
    return f"{r['workload']} {r['variant']} cpus={r['cpus']} cell={cell} seed={r['seed']}"


def numbers(r):
    return {k: v for k, v in r.items() if k not in SAME_EXCEPT}


def diff(a, b):
    return ", ".join(f"{k} {a[k]} vs {b[k]}" for k in a if k not in SAME_EXCEPT and a[k] != b[k])


class Checker:
    def __init__(self):
        self.failed = 0

    def report(self, name, bad, ok_what, shown=3):
        if bad:
            self.failed += 1
            print(f"FAIL: explore {name} - {len(bad)} case(s): " + "; ".join(bad[:shown]))
        else:
            print(f"PASS: explore {name} - {ok_what}")


def check(rows, c):
    fixed = [r for r in rows if r["variant"] == "fixed"]
    c.report("fixed-correct",
             [f"{where(r)}: lost {r['lost_updates']}, violations {r['must_fail_violations']}"
              for r in fixed if r["lost_updates"] or r["must_fail_violations"]],
             f"{len(fixed)} fixed points, 0 lost updates, 0 must-fail violations")

    c.report("oracle-clean", [where(r) for r in rows if r["other_violations"]],
             f"{len(rows)} points")

    bad = []
    for r in rows:
        classes = r["sc_fail_must"] + r["sc_fail_allowed"] + r["sc_fail_spurious"]
        if r["sc"] != r["sc_ok"] + r["sc_fail"] or r["sc_fail"] != classes:
            bad.append(f"{where(r)}: sc {r['sc']} ok {r['sc_ok']} fail {r['sc_fail']} "
                       f"classes {classes}")
    c.report("sc-accounting", bad, f"{len(rows)} points")

    c.report("lost-needs-violation",
             [f"{where(r)}: lost {r['lost_updates']}" for r in rows
              if r["lost_updates"] and not r["must_fail_violations"]],
             f"{sum(1 for r in rows if r['lost_updates'])} points with lost updates, "
             "each with violations")

    mixed = [r for r in rows if r["variant"] == "v6" and r["workload"] == "mixed"
             and not r["mttcg"]]
    if not mixed and rows and all(r["mttcg"] for r in rows):
        mixed = None  # v6-MT scans before it clears: the staircase is v6-ST's (W3)
    if mixed is not None:
        bad = [f"{where(r)}: lost {r['lost_updates']}" for r in mixed
               if (r["lost_updates"] > 0) != (r["cell_bits"] < r["cpus"])]
        losing = sum(1 for r in mixed if r["lost_updates"])
        if not mixed:
            bad = ["no v6 mixed points"]
        elif not losing:
            bad.append("no v6 mixed point loses an update (the positive control)")
        c.report("v6-w3-staircase", bad,
                 f"{losing} of {len(mixed)} v6 mixed points lose updates, exactly those with "
                 "more vCPUs than bits per cell")

    groups = {}
    for r in rows:
        if r["variant"] == "v6" and r["cell_bits"] >= r["cpus"]:
            groups.setdefault((r["workload"], r["cpus"], r["seed"]), []).append(r)
    bad = []
    for g in groups.values():
        base = min(g, key=lambda r: r["cell_bits"])
        bad += [f"{where(r)} vs cell {base['cell_bits']}: {diff(numbers(r), numbers(base))}"
                for r in g if numbers(r) != numbers(base)]
    c.report("v6-cells-beyond-cpus", bad,
             f"{sum(len(g) for g in groups.values())} points in {len(groups)} groups identical")

    groups = {}
    for r in rows:
        if r["variant"] != "v6" and r["cell_bits"] is not None:
            groups.setdefault((r["workload"], r["variant"], r["cpus"], r["seed"]), []).append(r)
    bad = []
    for g in groups.values():
        base = g[0]
        bad += [f"{where(r)} vs cell {base['cell_bits']}: {diff(numbers(r), numbers(base))}"
                for r in g[1:] if numbers(r) != numbers(base)]
    multi = [g for g in groups.values() if len(g) > 1]
    c.report("cell-ignored", bad,
             f"{sum(len(g) for g in multi)} v8/fixed/cmpxchg points at "
             f"{len({r['cell_bits'] for g in multi for r in g})} cell sizes identical"
             if multi else "no variant other than v6 ran at several cell sizes")

    def bound(r):
        v6 = r["cpus"] - 1 if r["mttcg"] else min(r["cell_bits"] or 0, r["cpus"]) - 1
        return {"v6": v6, "v8": r["cpus"] - 1, "fixed": r["cpus"], "cmpxchg": 0}[r["variant"]]
    c.report("flush-bound",
             [f"{where(r)}: {r['flush_max_ll']} flushes in one LL, bound {bound(r)}"
              for r in rows if r["flush_max_ll"] > max(bound(r), 0)
              or (r["variant"] == "cmpxchg" and r["flushes_ll"])],
             f"{len(rows)} points")

    cx = [r for r in rows if r["variant"] == "cmpxchg"]
    c.report("cmpxchg-no-slow-path",
             [where(r) for r in cx
              if r["slow_plain_stores"] or r["slow_sc_stores"] or r["bitmap_bits"]],
             f"{len(cx)} cmpxchg points")

    bad = []
    for r in rows:
        want = {"v6": r["cell_bits"], "v8": 1, "fixed": 1, "cmpxchg": 0}[r["variant"]]
        pages_per_gib = (1 << 30) >> r["page_bits"]
        per_page = data.ratio(r["bitmap_bits"], r["bitmap_pages"])
        if per_page != want or r["bitmap_bytes_per_gib"] != want * pages_per_gib // 8:
            bad.append(f"{where(r)}: {per_page:g} bits per page, "
                       f"{r['bitmap_bytes_per_gib']} bytes per GiB")
    c.report("bitmap-bytes", bad, f"{len(rows)} points")


def first(rows, pred):
    for r in rows:
        if pred(r):
            return r
    raise SystemExit("check.py: --mutate: the data has no point to break")


MUTATIONS = {
    "fixed-correct": lambda rows: first(rows, lambda r: r["variant"] == "fixed").update(
        lost_updates=1, must_fail_violations=1),
    "v6-w3-staircase": lambda rows: first(
        rows, lambda r: r["variant"] == "v6" and r["workload"] == "mixed"
        and r["cell_bits"] < r["cpus"]).update(lost_updates=0, must_fail_violations=0),
    "v6-cells-beyond-cpus": lambda rows: first(
        rows, lambda r: r["variant"] == "v6" and r["cell_bits"] > r["cpus"]).update(
        flushes_ll=10**9),
    "cell-ignored": lambda rows: first(
        rows, lambda r: r["variant"] == "fixed" and r["cell_bits"] not in (None, 1)).update(
        flushes_ll=10**9),
    "flush-bound": lambda rows: (lambda r: r.update(flush_max_ll=min(r["cell_bits"], r["cpus"])))(
        first(rows, lambda r: r["variant"] == "v6" and r["cpus"] > 1)),
    "bitmap-bytes": lambda rows: (lambda r: r.update(bitmap_bits=r["bitmap_bits"] + 1))(
        first(rows, lambda r: r["variant"] == "v6")),
}


def main():
    ap = argparse.ArgumentParser(description="check the explorer's invariants")
    ap.add_argument("csv")
    ap.add_argument("--mutate", choices=sorted(MUTATIONS))
    a = ap.parse_args()
    rows = data.load(a.csv)
    if a.mutate:
        MUTATIONS[a.mutate](rows)
    c = Checker()
    check(rows, c)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
