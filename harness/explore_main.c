/*
 * explore_main.c - the design-space explorer's command line: runs a grid of
 * points (explore.h) and writes one CSV row per point.
 *
 *   explore [--quick] [--workloads W,...] [--variants V,...] [--cpus N,...]
 *           [--cells N,...] [--all-cells] [--mttcg] [--steps N]
 *           [--history N] [--seed N] [--seeds N] [-o FILE]
 *
 * Each point runs once per seed (seed, seed+1, ..., one row each).
 *
 * Only v6 reads the cell size: the other variants run once per vCPU count
 * (cell_bits NA) unless --all-cells runs them at every cell size too (the
 * test tier uses that to show that they ignore it). --mttcg runs every point
 * with MTTCG's queued flushes (v6 is then v6-MT); the default is one TCG
 * thread. The same arguments give the same CSV, byte for byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "explore.h"

#define MAX_LIST 16

struct grid {
    enum ex_workload workloads[EX_NWORKLOADS];
    unsigned nworkloads;
    enum sut_variant variants[SUT_NVARIANTS];
    unsigned nvariants;
    unsigned cpus[MAX_LIST], ncpus;
    unsigned cells[MAX_LIST], ncells;
    bool all_cells, mttcg;
    unsigned steps, history, seeds;
    uint64_t seed;
};

static const char usage[] =
    "usage: explore [--quick] [--workloads W,...] [--variants V,...] [--cpus N,...] "
    "[--cells N,...] [--all-cells] [--mttcg] [--steps N] [--history N] [--seed N] [--seeds N] "
    "[-o FILE]";

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "explore: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (%s)\n", usage);
    exit(2);
}

static unsigned long long number(const char *s, const char *what, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-') {
        die(what, s);
    }
    return v;
}

/* A comma list into out[]; each item through parse (0 ok). */
static unsigned list(const char *arg, unsigned max, const char *what,
                     int (*parse)(const char *, unsigned, void *), void *out)
{
    char buf[256];
    unsigned n = 0;
    if (strlen(arg) >= sizeof(buf)) {
        die(what, arg);
    }
    strcpy(buf, arg);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == max || parse(t, n, out)) {
            die(what, arg);
        }
        n++;
    }
    if (n == 0) {
        die(what, arg);
    }
    return n;
}

static int parse_workload(const char *s, unsigned i, void *out)
{
    return ex_workload_parse(s, &((enum ex_workload *)out)[i]);
}

static int parse_variant(const char *s, unsigned i, void *out)
{
    return sut_variant_parse(s, &((enum sut_variant *)out)[i]) ? -1 : 0;
}

static int parse_cpus(const char *s, unsigned i, void *out)
{
    ((unsigned *)out)[i] = (unsigned)number(s, "--cpus wants 1..64, got '%s'", SUT_MAX_CPUS);
    return ((unsigned *)out)[i] == 0 ? -1 : 0;
}

static int parse_cell(const char *s, unsigned i, void *out)
{
    unsigned v = (unsigned)number(s, "--cells wants 1, 2, 4, 8, 16, 32 or 64, got '%s'", 64);
    ((unsigned *)out)[i] = v;
    return v == 0 || (v & (v - 1)) ? -1 : 0;
}

static void defaults(struct grid *g, bool quick)
{
    static const unsigned cpus_full[] = {1, 2, 4, 8, 9, 16, 32, 64};
    static const unsigned cpus_quick[] = {1, 2, 4, 8, 9, 16};
    static const unsigned cells[] = {1, 2, 4, 8, 16, 32, 64};
    memset(g, 0, sizeof(*g));
    for (unsigned w = 0; w < EX_NWORKLOADS; w++) {
        g->workloads[g->nworkloads++] = (enum ex_workload)w;
    }
    for (unsigned v = 0; v < SUT_NVARIANTS; v++) {
        g->variants[g->nvariants++] = (enum sut_variant)v;
    }
    const unsigned *c = quick ? cpus_quick : cpus_full;
    g->ncpus = quick ? sizeof(cpus_quick) / sizeof(*c) : sizeof(cpus_full) / sizeof(*c);
    memcpy(g->cpus, c, g->ncpus * sizeof(*c));
    g->ncells = sizeof(cells) / sizeof(*cells);
    memcpy(g->cells, cells, sizeof(cells));
    g->steps = quick ? 3000 : 100000;
    g->history = 64;
    g->seed = 1;
    g->seeds = quick ? 1 : 3;
}

int main(int argc, char **argv)
{
    struct grid g;
    const char *out_path = NULL;
    bool quick = false;

    for (int i = 1; i < argc; i++) {
        quick |= strcmp(argv[i], "--quick") == 0;
    }
    defaults(&g, quick);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) {
            continue;
        }
        if (strcmp(a, "--all-cells") == 0) {
            g.all_cells = true;
            continue;
        }
        if (strcmp(a, "--mttcg") == 0) {
            g.mttcg = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            puts(usage);
            return 0;
        }
        if (i + 1 >= argc) {
            die("%s needs a value", a);
        }
        const char *v = argv[++i];
        if (strcmp(a, "--workloads") == 0) {
            g.nworkloads = list(v, EX_NWORKLOADS, "unknown workload in '%s' (shared, private, "
                                "mixed, hotcold, ramgrow)", parse_workload, g.workloads);
        } else if (strcmp(a, "--variants") == 0) {
            g.nvariants = list(v, SUT_NVARIANTS, "unknown variant in '%s' (v6, v8, fixed, "
                               "cmpxchg)", parse_variant, g.variants);
        } else if (strcmp(a, "--cpus") == 0) {
            g.ncpus = list(v, MAX_LIST, "--cpus wants 1..64, got '%s'", parse_cpus, g.cpus);
        } else if (strcmp(a, "--cells") == 0) {
            g.ncells = list(v, MAX_LIST, "--cells wants 1, 2, 4, 8, 16, 32 or 64, got '%s'",
                            parse_cell, g.cells);
        } else if (strcmp(a, "--steps") == 0) {
            g.steps = (unsigned)number(v, "--steps wants 1..100000000, got '%s'", 100000000);
            if (g.steps == 0) {
                die("--steps wants 1..100000000, got '%s'", v);
            }
        } else if (strcmp(a, "--history") == 0) {
            g.history = (unsigned)number(v, "--history wants 1..4096, got '%s'", SUT_MAX_HISTORY);
            if (g.history == 0) {
                die("--history wants 1..4096, got '%s'", v);
            }
        } else if (strcmp(a, "--seed") == 0) {
            g.seed = number(v, "--seed wants a whole number, got '%s'", UINT64_MAX);
        } else if (strcmp(a, "--seeds") == 0) {
            g.seeds = (unsigned)number(v, "--seeds wants 1..100, got '%s'", 100);
            if (g.seeds == 0) {
                die("--seeds wants 1..100, got '%s'", v);
            }
        } else if (strcmp(a, "-o") == 0) {
            out_path = v;
        } else {
            die("unknown argument '%s'", a);
        }
    }

    FILE *out = out_path ? fopen(out_path, "w") : stdout;
    if (!out) {
        fprintf(stderr, "explore: cannot write %s: %s\n", out_path, strerror(errno));
        return 2;
    }
    fprintf(stderr, "explore: seed=%llu seeds=%u steps=%u history=%u%s%s\n",
            (unsigned long long)g.seed, g.seeds, g.steps, g.history, g.mttcg ? " mttcg" : "",
            quick ? " (quick)" : "");
    ex_csv_header(out);
    const clock_t t0 = clock();
    unsigned points = 0;
    for (unsigned w = 0; w < g.nworkloads; w++) {
        for (unsigned c = 0; c < g.ncpus; c++) {
            for (unsigned v = 0; v < g.nvariants; v++) {
                const bool cells = g.variants[v] == SUT_V6 || g.all_cells;
                for (unsigned k = 0; k < (cells ? g.ncells : 1) * g.seeds; k++) {
                    struct ex_point p = {
                        .workload = g.workloads[w], .variant = g.variants[v],
                        .cpus = g.cpus[c], .cell = cells ? g.cells[k / g.seeds] : 8,
                        .cell_applies = cells, .steps = g.steps, .history = g.history,
                        .mttcg = g.mttcg, .seed = g.seed + k % g.seeds,
                    };
                    struct ex_result r;
                    char err[300];
                    if (ex_run(&p, &r, err, sizeof(err))) {
                        fprintf(stderr, "explore: %s %s cpus=%u cell=%u: %s\n",
                                ex_workload_name(p.workload), sut_variant_name(p.variant),
                                p.cpus, p.cell, err);
                        return 1;
                    }
                    if (r.other_violations) {
                        fprintf(stderr, "explore: %s %s cpus=%u cell=%u: oracle: %s\n",
                                ex_workload_name(p.workload), sut_variant_name(p.variant),
                                p.cpus, p.cell, r.first_other);
                    }
                    ex_csv_row(out, &p, &r);
                    points++;
                }
            }
        }
    }
    if (out != stdout && fclose(out)) {
        fprintf(stderr, "explore: cannot write %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    fprintf(stderr, "explore: %u points, %.1f s of CPU\n", points,
            (double)(clock() - t0) / CLOCKS_PER_SEC);
    return 0;
}
