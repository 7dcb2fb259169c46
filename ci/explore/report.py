"""The explorer's report: plots (gnuplot) and a Markdown summary that says,
from the numbers of DIR/explore.csv, what the v6 cell size trades and where
8 bits per page stop paying off.

    python3 ci/explore/report.py DIR

Writes DIR/summary.md, DIR/*.png and DIR/plots/*.dat (gnuplot's input).
Every sentence with a number is computed here from the CSV; the same CSV
gives the same summary, byte for byte.
"""

import functools
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

WHAT = {
    "shared": "LL/SC increments of 4 counters on one page by every vCPU",
    "private": "each vCPU increments its own counter on its own page",
    "mixed": "shared LL/SC increments and plain stores to the same page; the top quarter "
             "of the vCPUs write the counters with plain increments only",
    "hotcold": "2 hot counter pages (LL/SC, plain increments), 1024 cold pages (LL/SC, "
               "stores) that overflow the 256-entry TLB",
    "ramgrow": "shared and newest-RAM increments and stores while block 0 grows and "
               "blocks are added",
}


def fmt(x, digits=2):
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}" if abs(x) >= 0.01 else f"{x:.4f}"


def row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(head, rows):
    out = [row(head), row(["---"] + ["---:"] * (len(head) - 1))]
    out += [row(r) for r in rows]
    return out


class Report:
    def __init__(self, agg):
        self.agg = agg
        self.workloads, self.cpus, self.cells = data.axes(agg)

    def get(self, w, v, c, cell=None):
        return self.agg.get((w, v, c, cell if v == "v6" else None))

    def v6(self, w, c, cell):
        return self.get(w, "v6", c, cell)

    # ---- facts -------------------------------------------------------------

    def min_safe_cell(self, w, c):
        """Smallest v6 cell from which on no cell lost an update at (w, c),
        or None if the widest cell lost some."""
        safe = None
        for k in reversed(self.cells):
            p = self.v6(w, c, k)
            if not p or p["lost_updates"]:
                break
            safe = k
        return safe

    def staircase(self, w):
        """Whether v6 loses updates at (w, c, cell) exactly when cell < c."""
        pts = [(c, k, self.v6(w, c, k)) for c in self.cpus for k in self.cells]
        pts = [(c, k, p) for c, k, p in pts if p]
        return pts and all((p["lost_updates"] > 0) == (k < c) for c, k, p in pts)

    def beyond_cpus_identical(self):
        same = total = 0
        for w in self.workloads:
            for c in self.cpus:
                ps = [self.v6(w, c, k) for k in self.cells if k >= c and self.v6(w, c, k)]
                if len(ps) > 1:
                    total += 1
                    keys = [k for k in data.COUNTS + data.MAXIMA]
                    same += all(all(p[x] == ps[0][x] for x in keys) for p in ps)
        return same, total

    def flush_trend(self):
        """Series (w, c) over cells <= c: how many never fall as the cell grows,
        and the ones that do."""
        rising, falls = 0, []
        for w in self.workloads:
            for c in self.cpus:
                ks = [k for k in self.cells if k <= c and self.v6(w, c, k)]
                if len(ks) < 2:
                    continue
                ys = [self.v6(w, c, k)["flushes_per_ll"] for k in ks]
                if all(b >= a for a, b in zip(ys, ys[1:])):
                    rising += 1
                else:
                    i = next(i for i in range(1, len(ys)) if ys[i] < ys[i - 1])
                    lost = self.v6(w, c, ks[i - 1])["lost_updates"]
                    falls.append((f"{w} at {c} vCPUs ({ks[i - 1]} to {ks[i]} bits: "
                                   f"{fmt(ys[i - 1], 3)} to {fmt(ys[i], 3)})", lost))
        return rising, falls

    def total(self, key, variants=None):
        return sum(p[key] for k, p in self.agg.items() if variants is None or k[1] in variants)

    # ---- summary -----------------------------------------------------------

    def answer(self):
        L = ["## The answer", "",
             "The reviewer asked why the exclusive bitmap spends 8 bits per page rather than "
             "one, and what clustering vCPUs buys. From these runs:", ""]
        pages_per_gib = (1 << 30) >> self.any()["page_bits"]
        kib1 = pages_per_gib / 8 / 1024
        L.append(f"- **Memory.** A cell of b bits costs b x {fmt(kib1)} KiB per GiB of guest "
                 f"RAM ({pages_per_gib} pages of "
                 f"{1 << self.any()['page_bits']} bytes per GiB): 8 bits are "
                 f"{fmt(8 * kib1)} KiB per GiB, 8 times v8's and fixed's one bit "
                 f"({fmt(kib1)} KiB).")
        if "mixed" in self.workloads and self.staircase("mixed"):
            c9 = next((c for c in self.cpus if c > 8), None)
            p8, p16 = (self.v6("mixed", c9, 8), self.v6("mixed", c9, 16)) if c9 else (None, None)
            L.append("- **What the bits buy is correctness, one vCPU per bit.** With plain "
                     "writers beside the LL/SC users (workload mixed), v6 lost updates at "
                     "every point where the vCPUs outnumber the cell's bits, and at no point "
                     "where they do not: the writer that shares a bit with an LL-ing vCPU is "
                     "never flushed, keeps its pre-LL TLB entry and stores around the "
                     "reservation (W3, and the scan that flushes one vCPU per dirty "
                     "cluster).")
            if p8 and p16:
                L.append(f"- **8 bits stop paying off at {c9} vCPUs.** There 8-bit cells lose "
                         f"{fmt(p8['lost_per_1k'])} updates per 1000 increments in mixed "
                         f"({p8['lost_updates']} of {p8['sc_ok'] + p8['plain_incs']}); 16-bit "
                         f"cells lose {p16['lost_updates']}.")
        same, total = self.beyond_cpus_identical()
        L.append(f"- **Bits beyond the vCPU count buy nothing.** In {same} of {total} "
                 "(workload, vCPUs) groups every cell at least as wide as the vCPU count gave "
                 "identical numbers: the extra bits are 1 from the first `ram_block_add` on "
                 "(I5) and nothing reads them. Up to 8 vCPUs, 8-bit cells are exactly the "
                 "per-vCPU design the author called ideal; with fewer vCPUs part of each "
                 "byte is dead weight.")
        lo = [self.v6(w, c, 1)["flushes_ll"] for w in self.workloads for c in self.cpus
              if self.v6(w, c, 1)]
        rising, falls = self.flush_trend()
        most = [p["flush_max_ll"] == min(k, c) - 1 for (w, v, c, k), p in self.agg.items()
                if v == "v6"]
        text = (f"- **What clustering buys is fewer flushes, by not flushing.** An LL flushes "
                f"at most one vCPU per other cluster: the most flushes one LL caused were "
                f"min(cell, vCPUs) - 1 at {sum(most)} of {len(most)} v6 points (never more), "
                f"and 1-bit cells flushed {sum(lo)} times in all runs. In {rising} of "
                f"{rising + len(falls)} series (workload, vCPUs) the flushes per LL never fell "
                "as the cell grew towards the vCPU count: more bits, more flushes.")
        if falls:
            text += (" Where they fell (" + "; ".join(f for f, _ in falls) + ")")
            if all(lost for _, lost in falls):
                text += (", the narrower cell was losing updates, so the two runs differ in "
                         "more than the flushes.")
            else:
                text += "."
        L.append(text)
        cmp = self.one_bit_comparison()
        if cmp:
            L.append("- **Against one bit per page (v8, fixed).** " + cmp)
        spur = self.total("sc_fail_spurious")
        L.append(f"- **Spurious SC failures: {spur}** in {self.total('sc')} SCs over the whole "
                 "grid: every failed SC had another agent's write to its bytes, at every cell "
                 "size. The cell size costs no SC successes; its price is paid in flushes and "
                 "in updates lost.")
        return L

    def any(self):
        return next(iter(self.agg.values()))

    def one_bit_comparison(self):
        c = max((c for c in self.cpus if c <= 8), default=None)
        if c is None:
            return ""
        parts, pts = [], {}
        for w in self.workloads:
            p6, p8, pf = self.v6(w, c, 8), self.get(w, "v8", c), self.get(w, "fixed", c)
            if p6 and p8 and pf:
                pts[w] = (p6, p8, pf)
                parts.append(f"{w} {fmt(p6['flushes_per_ll'], 3)} vs "
                             f"{fmt(p8['flushes_per_ll'], 3)} / {fmt(pf['flushes_per_ll'], 3)}")
        s = (f"At {c} vCPUs (every vCPU has its own bit in an 8-bit cell), flushes per LL, "
             f"v6-8 vs v8 / fixed: {'; '.join(parts)}.")
        hot = [w for w in ("shared", "mixed") if w in pts and pts[w][1]["flushes_per_ll"]]
        if hot:
            r = [pts[w][0]["flushes_per_ll"] / pts[w][1]["flushes_per_ll"] for w in hot]
            s += (f" On one page LL'd over and over ({', '.join(hot)}) v6 flushes "
                  f"{fmt(min(r), 0)} to {fmt(max(r), 0)} times as often as v8: it gives its "
                  "bit back at every successful SC, so the next LL by another vCPU flushes the "
                  "winner again, while v8 keeps the page exclusive")
            same = all(abs(pts[w][0]["slow_pct"] - pts[w][1]["slow_pct"]) < 0.5 for w in hot)
            s += " (and the same share of plain stores takes the slow path)." if same else "."
        if "hotcold" in pts:
            p6, p8, _ = pts["hotcold"]
            more = p6["flushes_per_ll"] < p8["flushes_per_ll"]
            s += (f" Where many pages come and go (hotcold) v6 flushes "
                  f"{'less' if more else 'more'}, and sends {fmt(p6['slow_pct'], 1)}% of the "
                  f"plain stores to the slow path against v8's {fmt(p8['slow_pct'], 1)}%: a v6 "
                  "page stays exclusive until every cluster has given its bit back, a v8 page "
                  f"leaves after {p8['history']} newer ones.")
        return s

    def correctness_table(self):
        L = ["### Correctness: how many bits per page v6 needs", "",
             "The smallest cell from which on no v6 cell lost an update (over all seeds); "
             "`none`: even the widest lost some.", ""]
        head = ["workload"] + [f"{c} vCPUs" for c in self.cpus]
        rows = []
        for w in self.workloads:
            r = [w]
            for c in self.cpus:
                k = self.min_safe_cell(w, c)
                r.append("none" if k is None else k)
            rows.append(r)
        L += table(head, rows)
        L += ["", "Lost updates per 1000 increments, v6, workload mixed (rows: bits per cell):",
              ""]
        L += self.v6_grid("mixed", "lost_per_1k")
        return L

    def v6_grid(self, w, key):
        if w not in self.workloads:
            return ["(no data)"]
        head = ["bits"] + [f"{c} vCPUs" for c in self.cpus]
        rows = [[k] + [fmt(self.v6(w, c, k)[key]) if self.v6(w, c, k) else "-"
                       for c in self.cpus] for k in self.cells]
        return table(head, rows)

    def headline(self):
        cs = [c for c in self.cpus if c in (8, 9, 64)] or self.cpus[-1:]
        L = ["## Headline numbers", "",
             "Per workload and vCPU count: whole-TLB flushes per LL, TLB entries those "
             "flushes dropped per LL, plain stores sent to the slow path, updates lost per "
             "1000 increments, spurious SC failures, exclusive bitmap KiB per GiB. `v6-b`: "
             "v6 with b-bit cells.", ""]
        head = ["workload", "vCPUs", "variant", "flushes/LL", "entries/LL", "slow stores %",
                "lost /1k", "spurious", "KiB/GiB"]
        rows = []
        for w in self.workloads:
            for c in cs:
                for v, k in [("v6", 8), ("v6", max(self.cells)), ("v8", None),
                             ("fixed", None), ("cmpxchg", None)]:
                    p = self.get(w, v, c, k)
                    if not p:
                        continue
                    rows.append([w, c, f"v6-{k}" if v == "v6" else v,
                                 fmt(p["flushes_per_ll"], 3), fmt(p["entries_per_ll"], 3),
                                 fmt(p["slow_pct"], 1), fmt(p["lost_per_1k"]),
                                 p["sc_fail_spurious"], fmt(p["kib_per_gib"], 0)])
        return L + table(head, rows)

    def flush_tables(self):
        L = ["### Flushes: whole-TLB flushes per LL, v6 (rows: bits per cell)", ""]
        for w in self.workloads:
            L += [f"{w}:", ""] + self.v6_grid(w, "flushes_per_ll") + [""]
        pf = self.total("page_flushes")
        L.append(f"Single-page flushes: {pf} in the whole grid. No design flushes a page: "
                 "every flush an LL causes is a whole-TLB flush of another vCPU (fixed: of "
                 "every vCPU, its own included), and the column `entries/LL` is what those "
                 "flushes threw away, in pages. A flush here drops few entries because a "
                 "workload touches few pages; a guest with a full TLB loses up to 256 per "
                 "MMU mode.")
        return L

    def memory_table(self):
        head = ["bits per page"] + [str(k) for k in self.cells] + ["v8, fixed", "cmpxchg"]
        w = self.workloads[0]
        c = self.cpus[0]
        r = ["KiB per GiB"] + [fmt(self.v6(w, c, k)["kib_per_gib"], 0) for k in self.cells]
        r += [fmt(self.get(w, "v8", c)["kib_per_gib"], 0) if self.get(w, "v8", c) else "-",
              fmt(self.get(w, "cmpxchg", c)["kib_per_gib"], 0)
              if self.get(w, "cmpxchg", c) else "-"]
        return ["### Memory: the exclusive bitmap per GiB of guest RAM", "",
                "As the SUT's storage holds it (`sut_excl_bitmap_size`), 1 KiB pages:", ""] + \
            table(head, [r])

    def other(self):
        L = ["## Other observations", ""]
        for w in ("ramgrow", "hotcold"):
            if w not in self.workloads:
                continue
            los = {v: sum(self.get(w, v, c, k)["lost_updates"] for c in self.cpus
                          for k in (self.cells if v == "v6" else [None])
                          if self.get(w, v, c, k))
                   for v in data.VARIANTS}
            L.append(f"- {w}: updates lost over the grid: " +
                     ", ".join(f"{v} {n}" for v, n in los.items()) + ".")
        if "ramgrow" in self.workloads:
            L.append("  In ramgrow a resize marks the whole block non-exclusive and every TLB "
                     "is flushed (spec 3.2): a live reservation's SC then refills without "
                     "TLB_EXCL and succeeds through the fast path, at every cell size; fixed "
                     "keeps pages with live reservations exclusive.")
        if "hotcold" in self.workloads:
            L.append("  In hotcold v8 loses updates through its exclusive history (64 pages "
                     "here): a page leaves it while a reservation on it is live (W6).")
        L.append(f"- Oracle verdicts other than must-fail: {self.total('other_violations')}; "
                 f"fixed lost {self.total('lost_updates', ['fixed'])} updates; cmpxchg "
                 f"lost {self.total('lost_updates', ['cmpxchg'])} (counters only grow, so "
                 "ABA, cmpxchg's weakness, never arises here) and never touched the slow "
                 "path or a bitmap.")
        return L

    def markdown(self, meta, pngs):
        L = ["# Design-space explorer: what the exclusive bitmap's cell size trades", "",
             f"Generated by `./build.sh explore{meta['quick']}` from `explore.csv`: "
             f"{meta['points']} points, {meta['steps']} scheduler steps each, seeds "
             f"{meta['seeds']}; vCPUs {', '.join(map(str, self.cpus))}; v6 cells of "
             f"{', '.join(map(str, self.cells))} bits per page; v8, fixed and cmpxchg once "
             f"per vCPU count (they do not read the cell size); v8/fixed exclusive history "
             f"{meta['history']}; {meta['tcg']}; 1 KiB "
             "pages, a 256-entry TLB with 8 victim entries, one MMU mode. Counts are summed "
             "over the seeds. Costs are the SUT's own counters (`sut_stats`) around each "
             "call; SCs are judged by the oracle of spec 5 (`harness/oracle.c`), lost updates "
             "are counted from the counters' final values.", "",
             "Workloads:", ""]
        L += [f"- `{w}`: {WHAT[w]}" for w in self.workloads]
        L += [""] + self.answer() + [""] + self.headline() + ["", "## What the cell size trades (v6)", ""]
        L += self.memory_table() + [""] + self.correctness_table() + [""] + self.flush_tables()
        L += [""] + self.other() + ["", "## Plots", ""]
        L += [f"![{t}]({os.path.basename(p)})" for p, t in pngs] or ["No plots (gnuplot missing)."]
        L += ["", "Columns of `explore.csv` are described in `harness/explore.c` (`ex_csv_header`)"
              " and the README's explorer section."]
        return "\n".join(L) + "\n"

    # ---- plots -------------------------------------------------------------

    def plots(self, dest):
        gp = shutil.which("gnuplot")
        if not gp:
            return []
        pd = os.path.join(dest, "plots")
        os.makedirs(pd, exist_ok=True)
        for w in self.workloads:
            for key in ("flushes_per_ll", "lost_per_1k"):
                with open(os.path.join(pd, f"v6-{key}-{w}.dat"), "w") as f:
                    f.write("# bits " + " ".join(f"cpus{c}" for c in self.cpus) + "\n")
                    for k in self.cells:
                        f.write(f"{k} " + " ".join(
                            f"{self.v6(w, c, k)[key]:.6f}" if self.v6(w, c, k) else "NaN"
                            for c in self.cpus) + "\n")
            lines = self.variant_lines()
            for key in ("flushes_per_ll", "slow_pct", "lost_per_1k"):
                with open(os.path.join(pd, f"variants-{key}-{w}.dat"), "w") as f:
                    f.write("# cpus " + " ".join(t for t, _, _ in lines) + "\n")
                    for c in self.cpus:
                        vals = [self.get(w, v, c, k) for _, v, k in lines]
                        f.write(f"{c} " + " ".join(f"{p[key]:.6f}" if p else "NaN"
                                                   for p in vals) + "\n")
        out = []
        term = ("set terminal pngcairo size 1200,760 noenhanced font ',9'" if _cairo(gp)
                else "set terminal png size 1200,760 noenhanced")
        specs = [
            ("v6-flushes-per-ll", "v6: whole-TLB flushes per LL against bits per cell",
             "flushes_per_ll", "flushes per LL", "v6"),
            ("v6-lost-updates", "v6: updates lost per 1000 increments against bits per cell",
             "lost_per_1k", "lost per 1000 increments", "v6"),
            ("variants-flushes-per-ll", "flushes per LL against vCPUs",
             "flushes_per_ll", "flushes per LL", "variants"),
            ("variants-slow-stores", "plain stores sent to the slow path (%) against vCPUs",
             "slow_pct", "slow-path stores %", "variants"),
            ("variants-lost-updates", "updates lost per 1000 increments against vCPUs",
             "lost_per_1k", "lost per 1000 increments", "variants"),
        ]
        for name, title, key, ylabel, kind in specs:
            png = os.path.join(dest, f"{name}.png")
            g = [term, f"set output '{png}'", "set grid",
                 "set key top left font ',8' samplen 2 opaque",
                 "set logscale x 2", f"set multiplot layout 2,3 title '{title}'"]
            for w in self.workloads:
                g += [f"set title '{w}'", f"set ylabel '{ylabel}'", "set yrange [0:*]"]
                if kind == "v6":
                    g += ["set xlabel 'bits per cell'", "set xrange [1:64]"]
                    dat = os.path.join(pd, f"v6-{key}-{w}.dat")
                    plot = [f"'{dat}' using 1:{i + 2} with linespoints lw 2 title "
                            f"'{c} vCPUs'" for i, c in enumerate(self.cpus)]
                else:
                    g += ["set xlabel 'vCPUs'", f"set xrange [1:{max(self.cpus)}]"]
                    dat = os.path.join(pd, f"variants-{key}-{w}.dat")
                    plot = [f"'{dat}' using 1:{i + 2} with linespoints lw 2 title '{t}'"
                            for i, (t, _, _) in enumerate(self.variant_lines())]
                g.append("plot " + ", ".join(plot))
            g.append("unset multiplot")
            r = subprocess.run([gp], input="\n".join(g) + "\n", text=True, capture_output=True,
                               stdin=None)
            if r.returncode == 0 and os.path.getsize(png) > 0:
                out.append((png, title))
            else:
                print(f"report.py: gnuplot failed for {name}: {r.stderr.strip()[:300]}",
                      file=sys.stderr)
        return out

    def variant_lines(self):
        big = max(self.cells) if self.cells else None
        lines = [("v6-1", "v6", 1), ("v6-8", "v6", 8), (f"v6-{big}", "v6", big),
                 ("v8", "v8", None), ("fixed", "fixed", None), ("cmpxchg", "cmpxchg", None)]
        return [(t, v, k) for t, v, k in lines
                if v != "v6" or k in self.cells]


@functools.lru_cache(maxsize=None)
def _cairo(gp):
    r = subprocess.run([gp, "-e", "set terminal"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    return "pngcairo" in (r.stdout + r.stderr)


def write(dest, quick=False):
    rows = data.load(os.path.join(dest, "explore.csv"))
    agg = data.aggregate(rows)
    rep = Report(agg)
    pngs = rep.plots(dest)
    meta = {"points": len(rows), "steps": rows[0]["steps"], "history": rows[0]["history"],
            "seeds": ", ".join(str(s) for s in sorted({r["seed"] for r in rows})),
            "quick": " --quick" if quick else "",
            "tcg": ("MTTCG (flushes of other vCPUs are queued work, run at their next step; "
                    "v6 is v6-MT)") if rows[0]["mttcg"]
            else "single-threaded TCG (synchronous flushes, v6-ST)"}
    md = rep.markdown(meta, pngs)
    with open(os.path.join(dest, "summary.md"), "w") as f:
        f.write(md)
    return md, pngs


def main():
    import argparse
    ap = argparse.ArgumentParser(description="the explorer's plots and summary")
    ap.add_argument("dir")
    ap.add_argument("--quick", action="store_true", help="say so in the summary")
    a = ap.parse_args()
    md, pngs = write(a.dir, a.quick)
    print(f"explore: wrote {os.path.join(a.dir, 'summary.md')} and {len(pngs)} plots")
    start = md.index("## The answer")
    end = md.index("## Headline numbers")
    print(md[start:end].rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
