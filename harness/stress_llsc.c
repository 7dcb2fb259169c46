/*
 * stress_llsc.c - workload "llsc" and the LL/SC engine it shares with
 * "hotplug" (see stress.h).
 *
 * One thread per vCPU (thread i drives vCPU i; mttcg=true except for v6-st,
 * where the SUT serialises the calls itself). Guest RAM (block 0, 64 pages of
 * 1 KiB, identity-mapped) is laid out as:
 *   page 0     counters: NCOUNTERS 4-byte counters at 256*k. Only ever
 *              changed by LL / add 1 / SC retry loops.
 *              neighbour slots: thread t owns the 4 bytes at 256*k + 4 + 4*t,
 *              right next to counter k (t = 0 shares the counter's 8-byte
 *              word); plain stores of 1, 2 or 4 bytes.
 *   pages 8, 16, ..., 56  scratch pages: they share TLB index 0 with page 0
 *              (tlb_bits = 3), so stores to them evict the counter page's
 *              entry (W6's eviction path). Thread t owns [32t, 32t+32) of
 *              each: an 8-byte plain-store slot at +0 and an 8-byte LL/SC
 *              cell at +8 that only t touches (its uncontended LL/SCs also
 *              churn v8's short exclusive history: W6's history wrap).
 * Each vCPU picks ops from its PRNG (even threads mostly increment, odd ones
 * mostly store) and calls sut_run_work() at random TB boundaries, so queued
 * flushes are serviced. One increment in four makes 1-3 scratch stores
 * between its LL and its SC (LDREX; STR elsewhere; STREX): they evict the
 * counter page's TLB entry, so the SC has to refill it (W6).
 *
 * The oracle (spec 5.4). Counters only ever grow by successful SCs, so their
 * values are unique versions and ABA cannot hide anything:
 *   - a successful SC whose LL read v claims v in the counter's claim bitmap;
 *     a second successful SC from the same version is a lost update, reported
 *     at once with both values;
 *   - an LL or load of a counter never returns less than this vCPU saw before
 *     (coherence);
 *   - own cells have one writer, so an LL must return exactly the last value
 *     that vCPU wrote and a failed SC must leave it unchanged;
 *   - at the end: each counter equals its number of successful SCs, the claim
 *     bitmap is exactly [0, value), and every slot holds its owner's shadow.
 * SC failures are never errors (spurious failure is always allowed); an
 * increment that needs more than RETRY_MAX attempts counts as a liveness
 * figure, not a failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

#define PAGE_BITS 10
#define PAGE_SIZE (1u << PAGE_BITS)
#define RAM_PAGES 64
#define NCOUNTERS 4
#define COUNTER_STRIDE 256
#define NSCRATCH 7          /* pages 8, 16, ..., 56 */
#define SCRATCH_STRIDE 32
#define RETRY_MAX 256

struct vcpu_state {
    uint32_t neigh[NCOUNTERS];          /* shadow of my 4-byte slot per counter */
    uint64_t scratch[NSCRATCH];         /* shadow of my plain-store slot */
    uint64_t cell[NSCRATCH];            /* shadow of my LL/SC cell */
    uint32_t last_seen[NCOUNTERS];
    uint64_t succ[NCOUNTERS];
    uint64_t sc_ok, sc_fail, incs, liveness, seq;
    char pad[64];
};

struct llsc_world {
    sut_machine *m;
    unsigned nvcpus;
    uint64_t base;                      /* ram_addr of block 0 */
    uint64_t claim_cap;                 /* values tracked per counter */
    uint64_t *claims[NCOUNTERS];        /* relaxed fetch_or only */
    struct vcpu_state v[STRESS_MAX_THREADS];
};

uint64_t llsc_ram_pages(void) { return RAM_PAGES; }
uint64_t llsc_world_base(const struct llsc_world *w) { return w->base; }

void llsc_config(sut_config *c, const struct stress_params *p, unsigned nvcpus)
{
    sut_config_default(c, p->variant);
    c->smp_cpus = nvcpus;
    c->max_cpus = nvcpus;
    c->mttcg = p->mttcg;
    c->page_bits = PAGE_BITS;
    c->tlb_bits = 3;
    c->vtlb_size = 2;
    c->mmu_modes = 1;
    c->history_len = 4;
}

struct llsc_world *llsc_world_new(sut_machine *m, unsigned nvcpus,
                                  uint64_t claim_cap, char *err, size_t errlen)
{
    struct llsc_world *w = calloc(1, sizeof *w);
    int rc;

    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->m = m;
    w->nvcpus = nvcpus;
    w->claim_cap = claim_cap;
    for (int k = 0; k < NCOUNTERS; k++) {
        w->claims[k] = calloc((size_t)(claim_cap / 64 + 1), sizeof(uint64_t));
        if (!w->claims[k]) {
            llsc_world_free(w);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
    }
    rc = sut_ram_block_add(m, (uint64_t)RAM_PAGES * PAGE_SIZE,
                           (uint64_t)RAM_PAGES * PAGE_SIZE * 2,
                           SUT_RAM_RESIZEABLE, &w->base);
    if (rc != 0) {
        snprintf(err, errlen, "sut_ram_block_add: %s", sut_strerror(rc));
        llsc_world_free(w);
        return NULL;
    }
    return w;
}

void llsc_world_free(struct llsc_world *w)
{
    if (!w) {
        return;
    }
    for (int k = 0; k < NCOUNTERS; k++) {
        free(w->claims[k]);
    }
    free(w);
}

static uint64_t counter_addr(const struct llsc_world *w, unsigned k)
{
    return w->base + (uint64_t)k * COUNTER_STRIDE;
}

static uint64_t neigh_addr(const struct llsc_world *w, unsigned k, unsigned cpu)
{
    return counter_addr(w, k) + 4 + 4 * (uint64_t)cpu;
}

static uint64_t scratch_addr(const struct llsc_world *w, unsigned s, unsigned cpu)
{
    return w->base + (uint64_t)(8 * (s + 1)) * PAGE_SIZE + (uint64_t)cpu * SCRATCH_STRIDE;
}

static bool sut_ok(const struct stress_thread *t, int rc, const char *call,
                   unsigned cpu, uint64_t addr)
{
    if (rc == 0) {
        return true;
    }
    stress_fail(t, "vCPU %u: %s(0x%" PRIx64 ") returned %d (%s)", cpu, call, addr,
                rc, sut_strerror(rc));
    return false;
}

/* A plain 8-byte store to my slot in a TLB-conflicting scratch page. */
/* This vCPU's reads of a counter never go backwards; false (and the run
 * failed) if one did. */
static bool counter_forward(struct stress_thread *t, struct vcpu_state *me, unsigned cpu,
                            unsigned k, uint64_t v, const char *how)
{
    if (v < me->last_seen[k]) {
        stress_fail(t, "vCPU %u: %s of counter %u returned %" PRIu64
                    " after this vCPU saw %" PRIu32 " (went backwards)",
                    cpu, how, k, v, me->last_seen[k]);
        return false;
    }
    me->last_seen[k] = (uint32_t)v;
    return true;
}

static void op_scratch(struct llsc_world *w, struct stress_thread *t, unsigned cpu)
{
    struct vcpu_state *me = &w->v[cpu];
    unsigned s = stress_below(t, NSCRATCH);
    uint64_t a = scratch_addr(w, s, cpu);
    uint64_t val = ((uint64_t)(cpu + 1) << 56) | ++me->seq;

    if (sut_ok(t, sut_store(w->m, cpu, 0, a, 8, false, val), "sut_store", cpu, a)) {
        me->scratch[s] = val;
    }
}

/* LL / add 1 / SC until success (or RETRY_MAX, or the run stops). */
static void op_increment(struct llsc_world *w, struct stress_thread *t, unsigned cpu)
{
    struct vcpu_state *me = &w->v[cpu];
    unsigned k = stress_below(t, NCOUNTERS);
    uint64_t a = counter_addr(w, k);

    me->incs++;
    for (unsigned tries = 0; tries < RETRY_MAX; tries++) {
        uint64_t v;
        int st = 1;

        if (!sut_ok(t, sut_ll(w->m, cpu, 0, a, 4, false, &v), "sut_ll", cpu, a)) {
            return;
        }
        if (!counter_forward(t, me, cpu, k, v, "LL")) {
            return;
        }
        /* Sometimes the guest touches other pages between LDREX and STREX:
         * plain stores to TLB-conflicting scratch pages evict the counter
         * page's entry (and, with vtlb_size 2, its victim copy), so the SC
         * refills it (W6's path: a refill without TLB_EXCL takes the fast
         * path and succeeds unchecked). */
        for (unsigned i = 0, n = stress_below(t, 4) == 0 ? 1 + stress_below(t, 3) : 0; i < n; i++) {
            op_scratch(w, t, cpu);
        }
        if (!sut_ok(t, sut_sc(w->m, cpu, 0, a, 4, false, (v + 1) & 0xffffffffu, &st),
                    "sut_sc", cpu, a)) {
            return;
        }
        if (st == 0) {
            me->sc_ok++;
            me->succ[k]++;
            me->last_seen[k] = (uint32_t)(v + 1);
            if (v < w->claim_cap) {
                uint64_t bit = 1ULL << (v % 64);
                uint64_t old = __atomic_fetch_or(&w->claims[k][v / 64], bit, __ATOMIC_RELAXED);
                if (old & bit) {
                    stress_fail(t, "vCPU %u: lost update on counter %u: SC of %" PRIu64
                                " succeeded, but another successful SC had already "
                                "consumed the value %" PRIu64 " its LL read",
                                cpu, k, v + 1, v);
                }
            }
            return;
        }
        if (st != 1) {
            stress_fail(t, "vCPU %u: sut_sc status %d (want 0 or 1)", cpu, st);
            return;
        }
        me->sc_fail++;
        if (stress_stopping()) {
            return;
        }
        if (stress_below(t, 4) == 0) {
            sut_run_work(w->m, cpu);
        }
    }
    me->liveness++;
}

/* A plain store of 1, 2 or 4 bytes into my slot next to counter k. */
static void op_neighbour(struct llsc_world *w, struct stress_thread *t, unsigned cpu)
{
    struct vcpu_state *me = &w->v[cpu];
    unsigned k = stress_below(t, NCOUNTERS);
    unsigned size = 1u << stress_below(t, 3);
    unsigned off = stress_below(t, 4 / size) * size;
    uint64_t val = stress_rand(t) & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
    uint64_t a = neigh_addr(w, k, cpu) + off;

    if (!sut_ok(t, sut_store(w->m, cpu, 0, a, size, false, val), "sut_store", cpu, a)) {
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        me->neigh[k] &= ~(0xffu << (8 * (off + i)));
        me->neigh[k] |= (uint32_t)((val >> (8 * i)) & 0xff) << (8 * (off + i));
    }
    if (stress_below(t, 4) == 0) {
        uint64_t got;
        a = neigh_addr(w, k, cpu);
        if (!sut_ok(t, sut_load(w->m, cpu, 0, a, 4, false, &got), "sut_load", cpu, a)) {
            return;
        }
        if (got != me->neigh[k]) {
            stress_fail(t, "vCPU %u: my slot next to counter %u reads 0x%08" PRIx64
                        ", I wrote 0x%08" PRIx32, cpu, k, got, me->neigh[k]);
        }
    }
}

/* LL/SC on a cell nobody else touches: the LL must return exactly my last
 * value, and a failed SC must leave it. */
static bool own_cell(struct stress_thread *t, sut_machine *m, unsigned cpu,
                     uint64_t a, uint64_t *shadow, struct vcpu_state *me)
{
    uint64_t v, got, val = ((uint64_t)(cpu + 1) << 56) | (1ULL << 48) | ++me->seq;
    int st = 1;

    if (!sut_ok(t, sut_ll(m, cpu, 0, a, 8, false, &v), "sut_ll", cpu, a)) {
        return false;
    }
    if (v != *shadow) {
        stress_fail(t, "vCPU %u: LL of my own cell 0x%" PRIx64 " returned 0x%" PRIx64
                    ", I last wrote 0x%" PRIx64, cpu, a, v, *shadow);
        return false;
    }
    if (!sut_ok(t, sut_sc(m, cpu, 0, a, 8, false, val, &st), "sut_sc", cpu, a)) {
        return false;
    }
    if (st == 0) {
        me->sc_ok++;
        *shadow = val;
    } else {
        me->sc_fail++;
    }
    if (!sut_ok(t, sut_load(m, cpu, 0, a, 8, false, &got), "sut_load", cpu, a)) {
        return false;
    }
    if (got != *shadow) {
        stress_fail(t, "vCPU %u: after SC status %d my own cell 0x%" PRIx64 " reads 0x%" PRIx64
                    ", expected 0x%" PRIx64, cpu, st, a, got, *shadow);
        return false;
    }
    return true;
}

static void op_cell(struct llsc_world *w, struct stress_thread *t, unsigned cpu)
{
    struct vcpu_state *me = &w->v[cpu];
    unsigned s = stress_below(t, NSCRATCH);

    own_cell(t, w->m, cpu, scratch_addr(w, s, cpu) + 8, &me->cell[s], me);
}

/* hotplug: my slot in a page the iothread offered (hot-added RAM). Nobody
 * else writes [32*cpu + 16, +8) of it: store, LL, SC, re-read, all exact. */
static void op_extra(struct llsc_world *w, struct stress_thread *t, unsigned cpu,
                     uint64_t page)
{
    struct vcpu_state *me = &w->v[cpu];
    uint64_t a = page + (uint64_t)cpu * SCRATCH_STRIDE + 16;
    uint64_t val = ((uint64_t)(cpu + 1) << 56) | (2ULL << 48) | ++me->seq;
    int rc = sut_store(w->m, cpu, 0, a, 8, false, val);

    if (rc == SUT_EFAULT) {
        return;  /* not (yet) mapped: allowed */
    }
    if (sut_ok(t, rc, "sut_store", cpu, a)) {
        own_cell(t, w->m, cpu, a, &val, me);
    }
}

static void op_load(struct llsc_world *w, struct stress_thread *t, unsigned cpu)
{
    struct vcpu_state *me = &w->v[cpu];
    unsigned k = stress_below(t, NCOUNTERS);
    uint64_t a = counter_addr(w, k), v;

    if (!sut_ok(t, sut_load(w->m, cpu, 0, a, 4, false, &v), "sut_load", cpu, a)) {
        return;
    }
    counter_forward(t, me, cpu, k, v, "load");
}

void llsc_vcpu_op(struct llsc_world *w, struct stress_thread *t, unsigned cpu,
                  uint64_t extra_page)
{
    /* Even vCPUs mostly increment, odd ones mostly store. */
    static const unsigned char mix[2][5] = {
        /* increment, neighbour, scratch, cell, load */
        {70, 10, 8, 8, 4},
        {25, 40, 17, 13, 5},
    };
    const unsigned char *p = mix[cpu & 1];
    unsigned r = stress_below(t, 100);

    if (extra_page != UINT64_MAX && stress_below(t, 8) == 0) {
        op_extra(w, t, cpu, extra_page);
    } else if (r < p[0]) {
        op_increment(w, t, cpu);
    } else if ((r -= p[0]) < p[1]) {
        op_neighbour(w, t, cpu);
    } else if ((r -= p[1]) < p[2]) {
        op_scratch(w, t, cpu);
    } else if ((r -= p[2]) < p[3]) {
        op_cell(w, t, cpu);
    } else {
        op_load(w, t, cpu);
    }
    if (stress_below(t, 4) == 0) {
        sut_run_work(w->m, cpu);  /* a TB boundary */
    }
}

static bool peek_u64(const struct llsc_world *w, uint64_t a, unsigned size, uint64_t *v,
                     const char *when)
{
    uint8_t b[8] = {0};
    int rc = sut_peek(w->m, a, b, size);

    if (rc != 0) {
        stress_fail(NULL, "%s: sut_peek(0x%" PRIx64 ") returned %d (%s)", when, a, rc,
                    sut_strerror(rc));
        return false;
    }
    *v = 0;
    for (unsigned i = 0; i < size; i++) {
        *v |= (uint64_t)b[i] << (8 * i);
    }
    return true;
}

void llsc_world_check(struct llsc_world *w, const char *when)
{
    uint64_t v;

    for (unsigned k = 0; k < NCOUNTERS; k++) {
        uint64_t succ = 0;
        for (unsigned c = 0; c < w->nvcpus; c++) {
            succ += w->v[c].succ[k];
        }
        if (!peek_u64(w, counter_addr(w, k), 4, &v, when)) {
            return;
        }
        if (v != (succ & 0xffffffffu)) {
            stress_fail(NULL, "%s: lost update: counter %u is %" PRIu64 " after %" PRIu64
                        " successful SCs", when, k, v, succ);
            return;
        }
        /* Claimed values must be exactly [0, min(v, cap)). */
        uint64_t lim = v < w->claim_cap ? v : w->claim_cap;
        for (uint64_t i = 0; i <= w->claim_cap / 64; i++) {
            uint64_t want = lim >= 64 * (i + 1) ? ~0ULL
                            : lim > 64 * i ? (1ULL << (lim - 64 * i)) - 1 : 0;
            uint64_t diff = w->claims[k][i] ^ want;
            if (diff) {
                uint64_t x = 64 * i + (uint64_t)__builtin_ctzll(diff);
                stress_fail(NULL, "%s: counter %u is %" PRIu64 " but the value %" PRIu64
                            " was %s by a successful SC", when, k, v, x,
                            x < lim ? "never consumed" : "consumed");
                return;
            }
        }
        for (unsigned c = 0; c < w->nvcpus; c++) {
            if (!peek_u64(w, neigh_addr(w, k, c), 4, &v, when)) {
                return;
            }
            if (v != w->v[c].neigh[k]) {
                stress_fail(NULL, "%s: vCPU %u's slot next to counter %u is 0x%08" PRIx64
                            ", it wrote 0x%08" PRIx32, when, c, k, v, w->v[c].neigh[k]);
                return;
            }
        }
    }
    for (unsigned s = 0; s < NSCRATCH; s++) {
        for (unsigned c = 0; c < w->nvcpus; c++) {
            if (!peek_u64(w, scratch_addr(w, s, c), 8, &v, when)) {
                return;
            }
            if (v != w->v[c].scratch[s]) {
                stress_fail(NULL, "%s: vCPU %u's scratch slot 0x%" PRIx64 " is 0x%" PRIx64
                            ", it wrote 0x%" PRIx64, when, c, scratch_addr(w, s, c), v,
                            w->v[c].scratch[s]);
                return;
            }
            if (!peek_u64(w, scratch_addr(w, s, c) + 8, 8, &v, when)) {
                return;
            }
            if (v != w->v[c].cell[s]) {
                stress_fail(NULL, "%s: vCPU %u's LL/SC cell 0x%" PRIx64 " is 0x%" PRIx64
                            ", its last successful SC wrote 0x%" PRIx64, when, c,
                            scratch_addr(w, s, c) + 8, v, w->v[c].cell[s]);
                return;
            }
        }
    }
}

void llsc_world_figures(const struct llsc_world *w, uint64_t *sc_ok,
                        uint64_t *sc_fail, uint64_t *incs, uint64_t *liveness)
{
    for (unsigned c = 0; c < w->nvcpus; c++) {
        *sc_ok += w->v[c].sc_ok;
        *sc_fail += w->v[c].sc_fail;
        *incs += w->v[c].incs;
        *liveness += w->v[c].liveness;
    }
}

/* ---- workload "llsc" ---------------------------------------------------- */
struct llsc_state {
    sut_machine *m;
    struct llsc_world *w;
};

static unsigned llsc_nthreads(unsigned threads) { return threads; }

static void *llsc_setup(const struct stress_params *p, char *err, size_t errlen)
{
    struct llsc_state *s = calloc(1, sizeof *s);
    sut_config c;
    int rc = 0;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    llsc_config(&c, p, p->threads);
    s->m = sut_new(&c, &rc);
    if (!s->m) {
        snprintf(err, errlen, "sut_new: %s", sut_strerror(rc));
        free(s);
        return NULL;
    }
    s->w = llsc_world_new(s->m, p->threads, 1ULL << 24, err, errlen);
    if (!s->w) {
        sut_free(s->m);
        free(s);
        return NULL;
    }
    return s;
}

static void llsc_worker(void *state, struct stress_thread *t)
{
    struct llsc_state *s = state;

    while (stress_next(t)) {
        llsc_vcpu_op(s->w, t, t->idx, UINT64_MAX);
    }
}

static void llsc_check(void *state)
{
    struct llsc_state *s = state;

    llsc_world_check(s->w, "final");
}

static void llsc_figures(void *state, char *buf, size_t len)
{
    struct llsc_state *s = state;
    uint64_t ok = 0, fail = 0, incs = 0, live = 0;
    sut_stats st;

    llsc_world_figures(s->w, &ok, &fail, &incs, &live);
    sut_get_stats(s->m, &st);
    snprintf(buf, len, "increments=%" PRIu64 " sc_ok=%" PRIu64 " sc_fail=%" PRIu64
             " liveness=%" PRIu64 " flushes=%" PRIu64 "/%" PRIu64 "q/%" PRIu64 "d",
             incs, ok, fail, live, st.flushes_full, st.flushes_queued, st.flushes_dropped);
}

static void llsc_teardown(void *state)
{
    struct llsc_state *s = state;

    llsc_world_free(s->w);
    sut_free(s->m);
    free(s);
}

const struct stress_ops stress_llsc_ops = {
    .name = "llsc",
    .what = "one thread per vCPU: LL/add/SC retry loops on shared counters, plain "
            "stores next to them and on TLB-conflicting pages; no lost update",
    .default_threads = 4,
    .nthreads = llsc_nthreads,
    .setup = llsc_setup,
    .worker = llsc_worker,
    .check = llsc_check,
    .figures = llsc_figures,
    .teardown = llsc_teardown,
};
