/*
 * explore.h - the design-space explorer (./build.sh explore): one point is a
 * workload run on one machine (variant, vCPUs, v6 cell size) under a seeded,
 * deterministic schedule, single-threaded over the vCPUs.
 *
 * The machine is the one the fuzzers drive (sut/sut.h) and every cost is
 * read from its own counters (sut_stats), attributed to the call that moved
 * them. Correctness is judged outside sut/: the oracle of spec section 5
 * (harness/oracle.h) classifies every SC, and lost updates are counted from
 * the counters' final values (every counter only ever grows by increments
 * of 1, so increments - final value is what was lost).
 */
#ifndef HARNESS_EXPLORE_H
#define HARNESS_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sut.h"

enum ex_workload {
    EX_SHARED,  /* LL/SC increments of 4 counters on one page, every vCPU */
    EX_PRIVATE, /* each vCPU increments its own counter on its own page */
    EX_MIXED,   /* shared increments with plain stores to their page and
                   elsewhere, some between LL and SC; a quarter of the vCPUs
                   write the counters with plain increments only */
    EX_HOTCOLD, /* 2 hot counter pages (LL/SC and plain increments), 1024
                   cold pages (LL/SC and stores) that overflow the
                   256-entry TLB */
    EX_RAMGROW, /* shared increments plus increments and stores on the RAM
                   most recently added: the block grows (resize) and blocks
                   are added while the vCPUs run */
    EX_NWORKLOADS
};

const char *ex_workload_name(enum ex_workload w);
int ex_workload_parse(const char *name, enum ex_workload *out);

struct ex_point {
    enum ex_workload workload;
    enum sut_variant variant;
    unsigned cpus;
    unsigned cell;        /* v6 EXCL_BITMAP_CELL_SZ (set for every variant) */
    bool cell_applies;    /* false: printed as NA (only v6 reads it) */
    unsigned steps;       /* scheduler steps: one vCPU micro-op each */
    unsigned history;     /* v8/fixed exclusive history length */
    bool mttcg;           /* flushes of other vCPUs are queued work, run when
                             that vCPU next steps (v6 is then v6-MT) */
    uint64_t seed;
};

struct ex_result {
    /* Guest work. */
    uint64_t ll, sc, sc_ok, sc_fail, stores, ram_ops;
    uint64_t plain_incs;          /* plain increments (among the stores) */
    /* The oracle's classes of failed SCs (struct orc_liveness). */
    uint64_t sc_must_fail, sc_fail_allowed, sc_fail_spurious;
    /* Correctness. */
    uint64_t lost_updates;        /* from the counters' final values */
    uint64_t must_fail_violations;/* oracle: SC succeeded after another
                                     agent wrote its bytes */
    uint64_t other_violations;    /* any other verdict: the point is void */
    char first_other[480];
    /* Costs, from sut_stats deltas around each call. */
    uint64_t flushes_ll;          /* whole-TLB flushes during LLs (under
                                     mttcg: done or queued by the LL) */
    uint64_t flushes_other;       /* ... during anything else (RAM map) */
    uint64_t flush_max_ll;        /* most whole flushes one LL caused */
    uint64_t page_flushes;        /* single-page flushes, every call */
    uint64_t flushed_entries_ll;  /* TLB entries the LLs' flushes dropped
                                     (under mttcg: every queued flush's) */
    uint64_t slow_plain_stores;   /* plain stores through the excl branch */
    uint64_t slow_sc_stores;      /* SCs through it */
    uint64_t tlb_fills;
    /* The exclusive bitmap's storage (sut_excl_bitmap_size). */
    uint64_t bitmap_bits, bitmap_pages;
    unsigned page_bits;
};

/* Runs one point; 0, or -1 with err set (a harness or SUT API failure, not
 * a finding: findings are counted in the result). */
int ex_run(const struct ex_point *p, struct ex_result *r, char *err, size_t errlen);

void ex_csv_header(FILE *f);
void ex_csv_row(FILE *f, const struct ex_point *p, const struct ex_result *r);

#endif
