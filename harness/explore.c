/*
 * explore.c - one point of the design-space explorer (see explore.h).
 *
 * Guest RAM (1 KiB pages, identity-mapped, one MMU mode, a 256-entry TLB
 * with 8 victim entries): block 0 is 2 MiB used (of 8 MiB reserved for
 * ramgrow).
 *   page 1, 2          counters: 4-byte, at 64*k (k < 4); page 1 is the
 *                      shared page, pages 1-2 the hot pages of hotcold;
 *                      vCPU i's plain-store slot on a counter page is the
 *                      8 bytes at 512 + 8*i (never a counter's bytes)
 *   16 + i             vCPU i's private counter (offset 0)
 *   128 + i            vCPU i's data page (8-byte slot at 0)
 *   256 .. 1279        cold pages: counter at 0, slot i at 512 + 8*i
 *   2048 ..            what ramgrow adds: block 0 grows by 64 pages, every
 *                      8th growth adds a 64-page block instead; the newest
 *                      64 pages are "the frontier" (counter at 0, slots)
 * Counters are changed by increments only (LL / +1 / SC, or a plain load
 * and store of +1 in one step of the schedule), so they are versions: a
 * write that overwrites another's increment shows as final < increments.
 *
 * With mttcg (v6 is v6-MT), a vCPU services its work queue before each of
 * its micro-ops, so the flushes other vCPUs asked for reach it at its next
 * step; without (the default), flushes are immediate.
 *
 * The schedule: at each step one vCPU, drawn from the scheduler's PRNG,
 * does its next micro-op (an LL, a plain store between LL and SC, the SC, a
 * retry after a failed SC, or an op outside any LL/SC). The scheduler's and
 * the vCPUs' PRNGs depend on (seed, workload, vCPUs) only, so every variant
 * and cell size sees the same draws; runs differ only where the machine
 * answered differently (an SC failed and is retried).
 */
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "oracle.h"

#define PAGE_BITS 10
#define PAGE ((uint64_t)1 << PAGE_BITS)
#define RAM0_USED (2048 * PAGE)
#define RAM0_MAX (8192 * PAGE)
#define GROW_PAGES 64
#define NCOUNTERS 4
#define CTR_STRIDE 64
#define SLOT_BASE 512
#define PRIVATE_PAGE 16
#define DATA_PAGE 128
#define COLD_PAGE 256
#define NCOLD 1024
#define RAM_LIMIT (16ULL << 20)
#define GRAIN_BITS 6 /* one success count per 64 bytes: a counter's granule */

static const char *const workload_names[EX_NWORKLOADS] = {
    [EX_SHARED] = "shared", [EX_PRIVATE] = "private", [EX_MIXED] = "mixed",
    [EX_HOTCOLD] = "hotcold", [EX_RAMGROW] = "ramgrow",
};

const char *ex_workload_name(enum ex_workload w)
{
    return (unsigned)w < EX_NWORKLOADS ? workload_names[w] : "?";
}

int ex_workload_parse(const char *name, enum ex_workload *out)
{
    for (unsigned w = 0; name && w < EX_NWORKLOADS; w++) {
        if (strcmp(name, workload_names[w]) == 0) {
            *out = (enum ex_workload)w;
            return 0;
        }
    }
    return -1;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t s = a ^ (b * 0x2545f4914f6cdd1dULL);
    return splitmix(&s);
}

enum vstate { V_IDLE, V_LLED, V_RETRY };

struct vcpu {
    uint64_t rng;
    enum vstate state;
    uint64_t ctr;       /* the counter being incremented */
    uint32_t val;       /* what its LL returned */
    unsigned between;   /* plain stores still to do before the SC */
};

struct run {
    const struct ex_point *p;
    struct ex_result *r;
    sut_machine *m;
    struct orc *o;
    bool oracle_on;     /* off after a verdict it cannot continue from */
    long op;
    struct vcpu v[SUT_MAX_CPUS];
    uint32_t *succ;     /* increments (successful SCs, plain) per 64 bytes */
    size_t nsucc;
    uint64_t frontier;  /* first page of the newest GROW_PAGES */
    uint64_t ram0_used;
    unsigned growths;
    char *err;
    size_t errlen;
};

/* ---- oracle --------------------------------------------------------------- */

static void other_violation(struct run *x, const struct orc_verdict *v)
{
    if (x->r->other_violations++ == 0) {
        snprintf(x->r->first_other, sizeof(x->r->first_other), "op %ld: %.40s: %.400s", x->op,
                 v->property, v->msg);
    }
    /* Its model no longer matches the machine: later verdicts would only
     * echo this one. */
    x->oracle_on = false;
}

static int peek(void *ctx, uint64_t pa, void *buf, size_t len)
{
    return sut_peek(ctx, pa, buf, len);
}

/* ---- one guest access, with what it cost ---------------------------------- */

static bool api_fail(struct run *x, const char *what, int rc)
{
    snprintf(x->err, x->errlen, "%s: %s (after oracle event %ld)", what, sut_strerror(rc), x->op);
    return false;
}

static bool do_ll(struct run *x, unsigned cpu, struct vcpu *c)
{
    sut_stats a, b;
    uint64_t val;
    sut_get_stats(x->m, &a);
    int rc = sut_ll(x->m, cpu, 0, c->ctr, 4, false, &val);
    sut_get_stats(x->m, &b);
    if (rc) {
        return api_fail(x, "sut_ll", rc);
    }
    /* Under MTTCG the flushes an LL asks for are queued work. */
    const uint64_t fl = b.flushes_full - a.flushes_full + b.flushes_queued - a.flushes_queued;
    x->r->ll++;
    x->r->flushes_ll += fl;
    x->r->flush_max_ll = fl > x->r->flush_max_ll ? fl : x->r->flush_max_ll;
    x->r->flushed_entries_ll += b.flushed_entries - a.flushed_entries;
    x->r->page_flushes += b.flushes_page - a.flushes_page;
    c->val = (uint32_t)val;
    c->state = V_LLED;
    struct orc_verdict v;
    if (x->oracle_on && !orc_ll(x->o, ++x->op, cpu, c->ctr, 4, false, ORC_OK, val, &v)) {
        other_violation(x, &v);
    }
    return true;
}

static bool do_sc(struct run *x, unsigned cpu, struct vcpu *c)
{
    sut_stats a, b;
    int status = 1;
    const uint32_t w = c->val + 1;
    sut_get_stats(x->m, &a);
    int rc = sut_sc(x->m, cpu, 0, c->ctr, 4, false, w, &status);
    sut_get_stats(x->m, &b);
    if (rc) {
        return api_fail(x, "sut_sc", rc);
    }
    x->r->sc++;
    x->r->slow_sc_stores += b.slow_stores - a.slow_stores;
    x->r->flushes_other += b.flushes_full - a.flushes_full;
    x->r->page_flushes += b.flushes_page - a.flushes_page;
    if (status == 0) {
        x->r->sc_ok++;
        x->succ[c->ctr >> GRAIN_BITS]++;
        c->state = V_IDLE;
    } else {
        x->r->sc_fail++;
        c->state = V_RETRY;
    }
    struct orc_verdict v;
    ++x->op;
    if (x->oracle_on && !orc_sc(x->o, x->op, cpu, c->ctr, 4, false, w, ORC_OK, status, &v)) {
        if (strcmp(v.property, "must-fail-sc") == 0) {
            /* A lost update. The machine did store w: the oracle takes the
             * store in as another agent's write (it taints every other
             * reservation of these bytes, as the SC's own store would) and
             * the SC's monitor closes, as every SC closes it. */
            x->r->must_fail_violations++;
            struct orc_verdict v2;
            if (!orc_dma(x->o, x->op, c->ctr, 4, w, ORC_OK, &v2)) {
                other_violation(x, &v2);
            }
            orc_clrex(x->o, x->op, cpu);
        } else {
            other_violation(x, &v);
        }
    }
    return true;
}

/* A plain increment: a load and a store of the value + 1 in one step of
 * the schedule (so no other vCPU runs in between: a new version of the
 * counter, as a successful SC makes). Every reservation of those bytes must
 * now fail; a design that lets the store through the fast path loses it. */
static bool do_plain_inc(struct run *x, unsigned cpu, uint64_t addr)
{
    sut_stats a, b;
    uint64_t v;
    int rc = sut_load(x->m, cpu, 0, addr, 4, false, &v);
    if (rc) {
        return api_fail(x, "sut_load", rc);
    }
    const uint32_t w = (uint32_t)v + 1;
    sut_get_stats(x->m, &a);
    rc = sut_store(x->m, cpu, 0, addr, 4, false, w);
    sut_get_stats(x->m, &b);
    if (rc) {
        return api_fail(x, "sut_store", rc);
    }
    x->r->stores++;
    x->r->plain_incs++;
    x->succ[addr >> GRAIN_BITS]++;
    x->r->slow_plain_stores += b.slow_stores - a.slow_stores;
    x->r->flushes_other += b.flushes_full - a.flushes_full;
    x->r->page_flushes += b.flushes_page - a.flushes_page;
    struct orc_verdict verd;
    if (x->oracle_on && (!orc_load(x->o, ++x->op, cpu, addr, 4, false, ORC_OK, v, &verd) ||
                         !orc_store(x->o, ++x->op, cpu, addr, 4, false, w, ORC_OK, &verd))) {
        other_violation(x, &verd);
    }
    return true;
}

static bool do_store(struct run *x, unsigned cpu, struct vcpu *c, uint64_t addr)
{
    sut_stats a, b;
    const uint64_t w = splitmix(&c->rng);
    sut_get_stats(x->m, &a);
    int rc = sut_store(x->m, cpu, 0, addr, 8, false, w);
    sut_get_stats(x->m, &b);
    if (rc) {
        return api_fail(x, "sut_store", rc);
    }
    x->r->stores++;
    x->r->slow_plain_stores += b.slow_stores - a.slow_stores;
    x->r->flushes_other += b.flushes_full - a.flushes_full;
    x->r->page_flushes += b.flushes_page - a.flushes_page;
    struct orc_verdict v;
    if (x->oracle_on && !orc_store(x->o, ++x->op, cpu, addr, 8, false, w, ORC_OK, &v)) {
        other_violation(x, &v);
    }
    return true;
}

/* ---- RAM growth ----------------------------------------------------------- */

static bool grow(struct run *x)
{
    sut_stats a, b;
    uint64_t off = 0;
    int rc;
    const bool add = x->growths % 8 == 7 || x->ram0_used + GROW_PAGES * PAGE > RAM0_MAX;

    sut_get_stats(x->m, &a);
    if (add) {
        rc = sut_ram_block_add(x->m, GROW_PAGES * PAGE, GROW_PAGES * PAGE, 0, &off);
    } else {
        rc = sut_ram_resize(x->m, 0, x->ram0_used + GROW_PAGES * PAGE);
    }
    sut_get_stats(x->m, &b);
    if (rc == SUT_ENOSPC) {
        return true; /* ram_limit reached: the frontier stays */
    }
    if (rc) {
        return api_fail(x, add ? "sut_ram_block_add" : "sut_ram_resize", rc);
    }
    x->r->ram_ops++;
    x->r->flushes_other += b.flushes_full - a.flushes_full + b.flushes_queued - a.flushes_queued;
    x->r->page_flushes += b.flushes_page - a.flushes_page;
    x->growths++;
    ++x->op;
    int orc_rc;
    if (add) {
        x->frontier = off >> PAGE_BITS;
        orc_rc = orc_ram_add(x->o, off, GROW_PAGES * PAGE, GROW_PAGES * PAGE, false);
    } else {
        x->frontier = x->ram0_used >> PAGE_BITS;
        x->ram0_used += GROW_PAGES * PAGE;
        orc_rc = orc_ram_resize(x->o, 0, x->ram0_used);
    }
    if (orc_rc) {
        snprintf(x->err, x->errlen, "oracle refused RAM op %ld", x->op);
        return false;
    }
    return true;
}

/* ---- the workloads -------------------------------------------------------- */

static uint64_t page_addr(uint64_t page, uint64_t off)
{
    return (page << PAGE_BITS) + off;
}

static uint64_t slot(uint64_t page, unsigned cpu)
{
    return page_addr(page, SLOT_BASE + 8 * cpu);
}

static uint64_t shared_counter(struct vcpu *c)
{
    return page_addr(1, CTR_STRIDE * (splitmix(&c->rng) % NCOUNTERS));
}

static uint64_t cold_page(struct vcpu *c)
{
    return COLD_PAGE + splitmix(&c->rng) % NCOLD;
}

static uint64_t frontier_page(struct run *x, struct vcpu *c)
{
    return x->frontier + splitmix(&c->rng) % GROW_PAGES;
}

/* Where a plain store between LL and SC goes (the workloads that have
 * them: 1 increment in 4 does 1 or 2). */
static uint64_t between_target(struct run *x, unsigned cpu, struct vcpu *c)
{
    switch (x->p->workload) {
    case EX_MIXED: return slot(1, cpu);                  /* the counters' page */
    case EX_HOTCOLD: return slot(cold_page(c), cpu);      /* evicts */
    case EX_RAMGROW: return slot(frontier_page(x, c), cpu);
    default: return slot(DATA_PAGE + cpu, 0);
    }
}

static uint64_t hot_counter(struct vcpu *c)
{
    const uint64_t page = 1 + splitmix(&c->rng) % 2;
    return page_addr(page, CTR_STRIDE * (splitmix(&c->rng) % NCOUNTERS));
}

enum action { A_LLSC, A_STORE, A_PLAIN_INC };

/* mixed: the top quarter of the vCPUs (at least one, from 2 vCPUs on)
 * never use LL/SC; they write the counters with plain increments, as code
 * that updates a word without atomics does. Their stores must still reach
 * the exclusive slow path: their TLB entries are only ever fixed by the
 * flushes of other vCPUs' LLs (their own LLs would mark their own entry). */
static bool is_writer(const struct run *x, unsigned cpu)
{
    const unsigned n = x->p->cpus, writers = n < 2 ? 0 : n < 8 ? 1 : n / 4;
    return cpu >= n - writers;
}

/* An op outside any LL/SC: a plain store or a plain increment at *addr,
 * or the start of an LL/SC increment of c->ctr. Percentages per workload:
 *   shared   100 LL/SC (4 counters, one page)
 *   private  100 LL/SC (own counter, own page)
 *   mixed     70 LL/SC, 20 stores to the counters' page (own slot), 10 to
 *             the own data page; writers (is_writer): 40 plain increments
 *             of the counters, 40 stores to the counters' page, 20 to their
 *             data page
 *   hotcold   60 LL/SC hot, 20 LL/SC cold, 10 plain increments hot, 10
 *             stores cold
 *   ramgrow   40 LL/SC frontier, 40 LL/SC shared, 20 stores frontier
 * Where LL and SC may have plain stores between them (mixed, hotcold,
 * ramgrow), 1 increment in 4 does 1 or 2 (between_target). */
static enum action choose(struct run *x, unsigned cpu, struct vcpu *c, uint64_t *addr)
{
    const unsigned pct = (unsigned)(splitmix(&c->rng) % 100);
    bool stores_between = true;

    switch (x->p->workload) {
    case EX_SHARED:
        c->ctr = shared_counter(c);
        stores_between = false;
        break;
    case EX_PRIVATE:
        c->ctr = page_addr(PRIVATE_PAGE + cpu, 0);
        stores_between = false;
        break;
    case EX_MIXED:
        if (is_writer(x, cpu)) {
            *addr = pct < 40 ? shared_counter(c)
                  : pct < 80 ? slot(1, cpu) : page_addr(DATA_PAGE + cpu, 0);
            return pct < 40 ? A_PLAIN_INC : A_STORE;
        }
        if (pct < 20) {
            *addr = slot(1, cpu);
            return A_STORE;
        }
        if (pct < 30) {
            *addr = page_addr(DATA_PAGE + cpu, 0);
            return A_STORE;
        }
        c->ctr = shared_counter(c);
        break;
    case EX_HOTCOLD:
        if (pct < 10) {
            *addr = hot_counter(c);
            return A_PLAIN_INC;
        }
        if (pct < 20) {
            *addr = slot(cold_page(c), cpu);
            return A_STORE;
        }
        c->ctr = pct < 40 ? page_addr(cold_page(c), 0) : hot_counter(c);
        break;
    case EX_RAMGROW:
        if (pct < 20) {
            *addr = slot(frontier_page(x, c), cpu);
            return A_STORE;
        }
        c->ctr = pct < 60 ? page_addr(frontier_page(x, c), 0) : shared_counter(c);
        break;
    default:
        break;
    }
    c->between = 0;
    if (stores_between && splitmix(&c->rng) % 4 == 0) {
        c->between = 1 + (unsigned)(splitmix(&c->rng) % 2);
    }
    return A_LLSC;
}

/* Under MTTCG a vCPU services its work queue at each TB boundary: before
 * each of its micro-ops here. The flushes were counted when queued; what
 * they drop is counted when they run. */
static bool run_work(struct run *x, unsigned cpu)
{
    sut_stats a, b;
    sut_get_stats(x->m, &a);
    int rc = sut_run_work(x->m, cpu);
    sut_get_stats(x->m, &b);
    if (rc < 0) {
        return api_fail(x, "sut_run_work", rc);
    }
    x->r->flushed_entries_ll += b.flushed_entries - a.flushed_entries;
    return true;
}

static bool vcpu_step(struct run *x, unsigned cpu)
{
    struct vcpu *c = &x->v[cpu];
    if (x->p->mttcg && !run_work(x, cpu)) {
        return false;
    }
    switch (c->state) {
    case V_IDLE: {
        uint64_t addr = 0;
        switch (choose(x, cpu, c, &addr)) {
        case A_STORE: return do_store(x, cpu, c, addr);
        case A_PLAIN_INC: return do_plain_inc(x, cpu, addr);
        case A_LLSC: return do_ll(x, cpu, c);
        }
        return false;
    }
    case V_RETRY:
        return do_ll(x, cpu, c);
    case V_LLED:
        if (c->between) {
            c->between--;
            return do_store(x, cpu, c, between_target(x, cpu, c));
        }
        return do_sc(x, cpu, c);
    }
    return false;
}

/* ---- a point ---------------------------------------------------------------- */

static bool lost_updates(struct run *x)
{
    uint64_t succ = 0, final = 0;
    const size_t n = (size_t)(sut_last_ram_offset(x->m) >> GRAIN_BITS);
    for (size_t g = 0; g < n && g < x->nsucc; g++) {
        if (!x->succ[g]) {
            continue;
        }
        uint32_t v;
        int rc = sut_peek(x->m, (uint64_t)g << GRAIN_BITS, &v, sizeof(v));
        if (rc) {
            return api_fail(x, "sut_peek", rc);
        }
        succ += x->succ[g];
        final += v;
    }
    /* A stale write is a smaller version: final never exceeds increments. */
    x->r->lost_updates = succ - final;
    return true;
}

static bool setup(struct run *x)
{
    const struct ex_point *p = x->p;
    sut_config c;
    int err;

    sut_config_default(&c, p->variant);
    c.smp_cpus = c.max_cpus = p->cpus;
    c.page_bits = PAGE_BITS;
    c.tlb_bits = 8;
    c.vtlb_size = 8;
    c.mmu_modes = 1;
    c.cell_sz = p->cell;
    c.history_len = p->history;
    c.ram_limit = RAM_LIMIT;
    c.mttcg = p->mttcg;
    x->m = sut_new(&c, &err);
    if (!x->m) {
        return api_fail(x, "sut_new", err);
    }
    /* Only ramgrow grows block 0: the others keep it at its used size, so
     * the final comparison of the whole RAM with the oracle stays short. */
    const uint64_t max = p->workload == EX_RAMGROW ? RAM0_MAX : RAM0_USED;
    uint64_t off;
    int rc = sut_ram_block_add(x->m, RAM0_USED, max, SUT_RAM_RESIZEABLE, &off);
    if (rc || off != 0) {
        return api_fail(x, "sut_ram_block_add", rc ? rc : SUT_EINVAL);
    }
    x->ram0_used = RAM0_USED;
    x->frontier = (RAM0_USED >> PAGE_BITS) - GROW_PAGES;
    /* vCPUs start after the board mapped its RAM: the map change's queued
     * flushes are behind them. */
    for (unsigned i = 0; p->mttcg && i < p->cpus; i++) {
        sut_run_work(x->m, i);
    }

    const struct orc_params op = {
        .ncpus = p->cpus, .page_bits = PAGE_BITS, .vaddr_limit = SUT_VADDR_LIMIT,
        .mmio_base = SUT_MMIO_BASE, .mmio_size = SUT_MMIO_SIZE,
    };
    x->o = orc_new(&op);
    if (!x->o || orc_ram_add(x->o, 0, RAM0_USED, max, false)) {
        snprintf(x->err, x->errlen, "orc_new failed");
        return false;
    }
    x->oracle_on = true;
    x->nsucc = (size_t)(RAM_LIMIT >> GRAIN_BITS);
    x->succ = calloc(x->nsucc, sizeof(*x->succ));
    if (!x->succ) {
        snprintf(x->err, x->errlen, "out of memory");
        return false;
    }
    for (unsigned i = 0; i < p->cpus; i++) {
        x->v[i].rng = mix(mix(p->seed, p->workload), ((uint64_t)p->cpus << 8) | i);
    }
    return true;
}

int ex_run(const struct ex_point *p, struct ex_result *r, char *err, size_t errlen)
{
    struct run x = {.p = p, .r = r, .err = err, .errlen = errlen};
    sut_stats start, end;
    bool ok;

    memset(r, 0, sizeof(*r));
    r->page_bits = PAGE_BITS;
    err[0] = 0;
    if (p->cpus < 1 || p->cpus > SUT_MAX_CPUS || p->steps == 0) {
        snprintf(err, errlen, "bad point");
        return -1;
    }
    ok = setup(&x);
    /* Where plain stores are part of the workload, the vCPUs ran before the
     * first LL: each has stored to its slot on the counters' page, so its
     * TLB holds a write entry filled while the page was not exclusive. */
    const bool warm = p->workload != EX_SHARED && p->workload != EX_PRIVATE;
    for (unsigned i = 0; ok && warm && i < p->cpus; i++) {
        ok = do_store(&x, i, &x.v[i], slot(1, i));
    }
    if (ok) {
        sut_get_stats(x.m, &start);
        uint64_t sched = mix(mix(p->seed, p->workload), p->cpus);
        const unsigned grow_every = p->steps / 110 ? p->steps / 110 : 1;
        for (unsigned s = 0; ok && s < p->steps; s++) {
            if (p->workload == EX_RAMGROW && s && s % grow_every == 0) {
                ok = grow(&x);
            }
            ok = ok && vcpu_step(&x, (unsigned)(splitmix(&sched) % p->cpus));
        }
        sut_get_stats(x.m, &end);
        r->tlb_fills = end.tlb_fills - start.tlb_fills;
    }
    ok = ok && lost_updates(&x);
    if (ok && x.oracle_on) {
        /* Every byte near an access (all of RAM once too many were touched):
         * the machine's memory must be the model's. */
        struct orc_verdict v;
        if (!orc_check_memory(x.o, ORC_CHECK_TOUCHED, peek, x.m, &v)) {
            other_violation(&x, &v);
        }
    }
    if (ok) {
        struct orc_liveness l;
        orc_get_liveness(x.o, &l);
        r->sc_must_fail = l.sc_must_fail;
        r->sc_fail_allowed = l.sc_fail_allowed;
        r->sc_fail_spurious = l.sc_fail_spurious;
        ok = sut_excl_bitmap_size(x.m, &r->bitmap_bits, &r->bitmap_pages) == SUT_OK;
    }
    free(x.succ);
    orc_free(x.o);
    sut_free(x.m);
    return ok ? 0 : -1;
}

/* ---- CSV -------------------------------------------------------------------- */

void ex_csv_header(FILE *f)
{
    fputs("workload,variant,cpus,cell_bits,seed,steps,history,mttcg,page_bits,"
          "ll,sc,sc_ok,sc_fail,sc_fail_must,sc_fail_allowed,sc_fail_spurious,plain_incs,"
          "lost_updates,must_fail_violations,other_violations,"
          "stores,slow_plain_stores,slow_sc_stores,"
          "flushes_ll,flush_max_ll,flushed_entries_ll,flushes_other,page_flushes,"
          "tlb_fills,ram_ops,bitmap_bits,bitmap_pages,"
          "flushes_per_ll,entries_per_ll,page_flushes_per_ll,slow_store_frac,"
          "spurious_per_sc,lost_per_1k_incs,bitmap_bytes_per_gib\n",
          f);
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

void ex_csv_row(FILE *f, const struct ex_point *p, const struct ex_result *r)
{
    char cell[16];
    if (p->cell_applies) {
        snprintf(cell, sizeof(cell), "%u", p->cell);
    } else {
        snprintf(cell, sizeof(cell), "NA");
    }
    const uint64_t pages_per_gib = (1ULL << 30) >> r->page_bits;
    /* bits per page as the storage holds them, times the pages of a GiB */
    const uint64_t bytes_per_gib =
        r->bitmap_pages ? r->bitmap_bits * pages_per_gib / r->bitmap_pages / 8 : 0;
    fprintf(f,
            "%s,%s,%u,%s,%llu,%u,%u,%d,%u,"
            "%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,"
            "%llu,%llu,%llu,"
            "%llu,%llu,%llu,"
            "%llu,%llu,%llu,%llu,%llu,"
            "%llu,%llu,%llu,%llu,"
            "%.4f,%.2f,%.4f,%.4f,"
            "%.4f,%.3f,%llu\n",
            ex_workload_name(p->workload), sut_variant_name(p->variant), p->cpus, cell,
            (unsigned long long)p->seed, p->steps, p->history, p->mttcg, r->page_bits,
            (unsigned long long)r->ll, (unsigned long long)r->sc, (unsigned long long)r->sc_ok,
            (unsigned long long)r->sc_fail, (unsigned long long)r->sc_must_fail,
            (unsigned long long)r->sc_fail_allowed, (unsigned long long)r->sc_fail_spurious,
            (unsigned long long)r->plain_incs,
            (unsigned long long)r->lost_updates, (unsigned long long)r->must_fail_violations,
            (unsigned long long)r->other_violations,
            (unsigned long long)r->stores, (unsigned long long)r->slow_plain_stores,
            (unsigned long long)r->slow_sc_stores,
            (unsigned long long)r->flushes_ll, (unsigned long long)r->flush_max_ll,
            (unsigned long long)r->flushed_entries_ll, (unsigned long long)r->flushes_other,
            (unsigned long long)r->page_flushes,
            (unsigned long long)r->tlb_fills, (unsigned long long)r->ram_ops,
            (unsigned long long)r->bitmap_bits, (unsigned long long)r->bitmap_pages,
            ratio(r->flushes_ll, r->ll), ratio(r->flushed_entries_ll, r->ll),
            ratio(r->page_flushes, r->ll), ratio(r->slow_plain_stores, r->stores),
            ratio(r->sc_fail_spurious, r->sc),
            1000.0 * ratio(r->lost_updates, r->sc_ok + r->plain_incs),
            (unsigned long long)bytes_per_gib);
}
