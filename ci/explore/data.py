"""The design-space explorer's CSV (harness/explore.c, one row per point and
seed), read back: counts as integers, and sums over seeds with the ratios
recomputed from the sums (a ratio of sums, not a mean of ratios)."""

import csv

WORKLOADS = ["shared", "private", "mixed", "hotcold", "ramgrow"]
VARIANTS = ["v6", "v8", "fixed", "cmpxchg"]

# Columns that are counts (summed over seeds) and columns that say what ran.
COUNTS = ["ll", "sc", "sc_ok", "sc_fail", "sc_fail_must", "sc_fail_allowed",
          "sc_fail_spurious", "plain_incs", "lost_updates", "must_fail_violations",
          "other_violations", "stores", "slow_plain_stores", "slow_sc_stores",
          "flushes_ll", "flushed_entries_ll", "flushes_other", "page_flushes",
          "tlb_fills", "ram_ops"]
MAXIMA = ["flush_max_ll"]
KEYS = ["workload", "variant", "cpus", "cell_bits", "seed", "steps", "history", "mttcg",
        "page_bits"]


def load(path):
    """Rows as dicts: counts and sizes as int, cell_bits int or None (NA)."""
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            out = dict(r)
            for k in COUNTS + MAXIMA + ["cpus", "seed", "steps", "history", "mttcg", "page_bits",
                                        "bitmap_bits", "bitmap_pages", "bitmap_bytes_per_gib"]:
                out[k] = int(r[k])
            out["cell_bits"] = None if r["cell_bits"] == "NA" else int(r["cell_bits"])
            rows.append(out)
    return rows


def ratio(a, b):
    return a / b if b else 0.0


def derive(p):
    """Ratios of one point (one row, or a sum over seeds)."""
    incs = p["sc_ok"] + p["plain_incs"]
    p["flushes_per_ll"] = ratio(p["flushes_ll"], p["ll"])
    p["entries_per_ll"] = ratio(p["flushed_entries_ll"], p["ll"])
    p["page_flushes_per_ll"] = ratio(p["page_flushes"], p["ll"])
    p["slow_pct"] = 100.0 * ratio(p["slow_plain_stores"], p["stores"])
    p["lost_per_1k"] = 1000.0 * ratio(p["lost_updates"], incs)
    p["spurious_per_1k_sc"] = 1000.0 * ratio(p["sc_fail_spurious"], p["sc"])
    p["bits_per_page"] = ratio(p["bitmap_bits"], p["bitmap_pages"])
    p["kib_per_gib"] = p["bitmap_bytes_per_gib"] / 1024.0
    return p


def aggregate(rows):
    """{(workload, variant, cpus, cell): summed point}; cell is None for the
    variants that do not read it (or every cell, if they ran at several)."""
    agg = {}
    for r in rows:
        cell = r["cell_bits"] if r["variant"] == "v6" else None
        k = (r["workload"], r["variant"], r["cpus"], cell)
        if k not in agg:
            agg[k] = {c: 0 for c in COUNTS}
            agg[k].update({m: 0 for m in MAXIMA})
            agg[k].update({"seeds": set(), "bitmap_bytes_per_gib": r["bitmap_bytes_per_gib"],
                           "bitmap_bits": r["bitmap_bits"], "bitmap_pages": r["bitmap_pages"],
                           "steps": r["steps"], "history": r["history"], "mttcg": r["mttcg"],
                           "page_bits": r["page_bits"]})
        a = agg[k]
        if r["variant"] != "v6" and r["seed"] in a["seeds"]:
            continue  # the same run at another cell size: counted once
        a["seeds"].add(r["seed"])
        for c in COUNTS:
            a[c] += r[c]
        for m in MAXIMA:
            a[m] = max(a[m], r[m])
    for a in agg.values():
        derive(a)
    return agg


def axes(agg):
    """The workloads, vCPU counts and v6 cell sizes present, in order."""
    workloads = [w for w in WORKLOADS if any(k[0] == w for k in agg)]
    cpus = sorted({k[2] for k in agg})
    cells = sorted({k[3] for k in agg if k[3] is not None})
    return workloads, cpus, cells
