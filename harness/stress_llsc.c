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
 *
 * The wider op mix (--mix, stress.h STRESS_MIX_*) adds, each checkable
 * exactly or by a rule that holds in any correct design:
 *   overlap  NOVER 8-byte counters at 256*k + 192 of page 0, incremented by
 *            every vCPU with 8-byte LL/add/SC, and overwritten by one owner
 *            thread (k % threads) with plain 8-byte stores (or DMA) of
 *            epoch << 32, its epochs 1, 2, 3, ... Values stay unique, and
 *            they only grow along the location's write order, so: a thread's
 *            reads never go backwards; at the end the epoch is the owner's
 *            last and the count equals the successful SCs whose LL read that
 *            epoch. Two taint checks: an increment sometimes loads the
 *            counter between its LL and its SC, and one that read another
 *            write there must not succeed (spec 5.3: another agent's store
 *            is a mandatory taint); the owner sometimes DMA-writes a new
 *            epoch between its own LL and SC, and that SC must fail (W20).
 *            The owner never plain-stores under its own open reservation
 *            (own stores may or may not taint, spec 5.2).
 *   dma      a quarter of the scratch stores go through sut_dma_write.
 *   mmio     thread t owns MMIO registers [16t, 16t+16): an 8-byte slot for
 *            1-8 byte stores and loads, and an LL/SC cell (own_cell rules).
 *   protect  sut_protect_code of page 0 or a scratch page: later stores go
 *            through the notdirty path (W14, W15).
 *   alias    ALIAS_VADDR maps page 0 (set before the vCPUs run: sut_map_page
 *            is sequential-only); counter LL/SC pairs and loads use either
 *            address. It shares TLB index 0 with page 0 (more evictions).
 *   plug     once per thread, it plugs a vCPU and from then on runs each
 *            op on one of its two vCPUs (W17: the first plugged index is
 *            v6's smp_cpus sentinel).
 * Everything a thread owns (slots, cells, shadows) is keyed by the thread,
 * not by the vCPU it drives.
 */
#include <inttypes.h>
#include <limits.h>
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
#define NOVER 2             /* overlap counters */
#define OVER_OFF 192        /* past every neighbour slot (4 + 4 * 32) */
#define MMIO_STRIDE 16
#define ALIAS_VADDR 0x180000000ULL  /* TLB index 0, like page 0 */

/* Per thread (slot t), whatever vCPU it drives. */
struct vcpu_state {
    unsigned cpu;                       /* the vCPU this op runs on */
    unsigned boot_cpu, plug_cpu;        /* its vCPUs; plug_cpu UINT_MAX: none */
    bool plugged;
    uint32_t neigh[NCOUNTERS];          /* shadow of my 4-byte slot per counter */
    uint64_t scratch[NSCRATCH];         /* shadow of my plain-store slot */
    uint64_t cell[NSCRATCH];            /* shadow of my LL/SC cell */
    uint64_t last_seen[NCOUNTERS + NOVER];
    uint64_t succ[NCOUNTERS];
    /* overlap: my successful SCs in the highest epoch I succeeded in */
    uint64_t ov_epoch[NOVER], ov_count[NOVER];
    uint64_t epoch[NOVER];              /* owner: last epoch stored */
    uint64_t mmio[2];                   /* shadows: MMIO slot, MMIO cell */
    uint64_t sc_ok, sc_fail, incs, liveness, seq;
    uint64_t n_dma, n_mmio, n_protect, n_alias, n_plug, n_ovstore, n_taint;
    char pad[64];
};

struct llsc_world {
    sut_machine *m;
    unsigned nvcpus;
    unsigned mix;
    uint64_t taint_violations, dma_violations;  /* relaxed atomics */
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
    if (p->mix & STRESS_MIX_PLUG) {
        /* One plug per thread; SUT_MAX_CPUS caps it. */
        c->plug_cpus = nvcpus <= SUT_MAX_CPUS - nvcpus ? nvcpus : SUT_MAX_CPUS - nvcpus;
    }
}

struct llsc_world *llsc_world_new(sut_machine *m, unsigned nvcpus, unsigned mix,
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
    w->mix = mix;
    w->claim_cap = claim_cap;
    for (unsigned c = 0; c < nvcpus; c++) {
        w->v[c].cpu = w->v[c].boot_cpu = c;
        w->v[c].plug_cpu = UINT_MAX;
    }
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
    if (mix & STRESS_MIX_ALIAS) {
        rc = sut_map_page(m, ALIAS_VADDR, w->base);
        if (rc != 0) {
            snprintf(err, errlen, "sut_map_page: %s", sut_strerror(rc));
            llsc_world_free(w);
            return NULL;
        }
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

/* Counters 0..NCOUNTERS-1 are the LL/SC-only ones; NCOUNTERS + j is
 * overlap counter j. */
static uint64_t counter_addr(const struct llsc_world *w, unsigned k)
{
    if (k >= NCOUNTERS) {
        return w->base + (uint64_t)(k - NCOUNTERS) * COUNTER_STRIDE + OVER_OFF;
    }
    return w->base + (uint64_t)k * COUNTER_STRIDE;
}

/* The virtual address a counter access goes through: the identity map, or
 * with mix alias sometimes the alias of page 0. */
static uint64_t counter_view(struct llsc_world *w, struct stress_thread *t, unsigned k,
                             struct vcpu_state *me)
{
    uint64_t a = counter_addr(w, k);

    if ((w->mix & STRESS_MIX_ALIAS) && stress_below(t, 2)) {
        me->n_alias++;
        return ALIAS_VADDR + (a - w->base);
    }
    return a;
}

static bool is_over(unsigned k) { return k >= NCOUNTERS; }
static unsigned over_owner(const struct llsc_world *w, unsigned j) { return j % w->nvcpus; }

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

/* This thread's reads of a counter never go backwards; false (and the run
 * failed) if one did. Overlap counters print as epoch:count. */
static bool counter_forward(struct stress_thread *t, struct vcpu_state *me, unsigned cpu,
                            unsigned k, uint64_t v, const char *how)
{
    if (v < me->last_seen[k]) {
        if (is_over(k)) {
            stress_fail(t, "vCPU %u: %s of overlap counter %u returned %" PRIu64 ":%" PRIu64
                        " after this thread saw %" PRIu64 ":%" PRIu64 " (went backwards)",
                        cpu, how, k - NCOUNTERS, v >> 32, v & 0xffffffffu,
                        me->last_seen[k] >> 32, me->last_seen[k] & 0xffffffffu);
        } else {
            stress_fail(t, "vCPU %u: %s of counter %u returned %" PRIu64
                        " after this vCPU saw %" PRIu64 " (went backwards)",
                        cpu, how, k, v, me->last_seen[k]);
        }
        return false;
    }
    me->last_seen[k] = v;
    return true;
}

/* A plain 8-byte store to my slot in a TLB-conflicting scratch page (with
 * mix dma, sometimes a device's write there instead). */
static void op_scratch(struct llsc_world *w, struct stress_thread *t, unsigned slot)
{
    struct vcpu_state *me = &w->v[slot];
    const unsigned cpu = me->cpu;
    unsigned s = stress_below(t, NSCRATCH);
    uint64_t a = scratch_addr(w, s, slot);
    uint64_t val = ((uint64_t)(slot + 1) << 56) | ++me->seq;

    if ((w->mix & STRESS_MIX_DMA) && stress_below(t, 4) == 0) {
        me->n_dma++;
        if (sut_ok(t, sut_dma_write(w->m, a, 8, val), "sut_dma_write", cpu, a)) {
            me->scratch[s] = val;
        }
        return;
    }
    if (sut_ok(t, sut_store(w->m, cpu, 0, a, 8, false, val), "sut_store", cpu, a)) {
        me->scratch[s] = val;
    }
}

/* LL / add 1 / SC until success (or RETRY_MAX, or the run stops). With mix
 * overlap, a fifth of the increments go to the overlap counters (8 bytes)
 * and some tries load the counter between LL and SC (the taint check). */
static void op_increment(struct llsc_world *w, struct stress_thread *t, unsigned slot)
{
    struct vcpu_state *me = &w->v[slot];
    const bool over = (w->mix & STRESS_MIX_OVERLAP) && stress_below(t, 5) == 0;
    const unsigned k = over ? NCOUNTERS + stress_below(t, NOVER) : stress_below(t, NCOUNTERS);
    const unsigned size = over ? 8 : 4;
    const uint64_t mask = over ? ~0ULL : 0xffffffffu;

    me->incs++;
    for (unsigned tries = 0; tries < RETRY_MAX; tries++) {
        const unsigned cpu = me->cpu;
        const uint64_t a = counter_view(w, t, k, me);
        uint64_t v, seen = 0;
        bool tainted = false, dma_taint = false;
        int st = 1;

        if (!sut_ok(t, sut_ll(w->m, cpu, 0, a, size, false, &v), "sut_ll", cpu, a)) {
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
            op_scratch(w, t, slot);
        }
        if ((w->mix & STRESS_MIX_OVERLAP) && stress_below(t, 8) == 0) {
            /* Another write between LL and SC (values are unique) is a
             * mandatory taint: this SC must fail. */
            uint64_t a2 = counter_view(w, t, k, me);
            if (!sut_ok(t, sut_load(w->m, cpu, 0, a2, size, false, &seen), "sut_load", cpu, a2) ||
                !counter_forward(t, me, cpu, k, seen, "load between LL and SC")) {
                return;
            }
            tainted = seen != v;
            me->n_taint++;
        }
        if (over && slot == over_owner(w, k - NCOUNTERS) && (w->mix & STRESS_MIX_DMA) &&
            stress_below(t, 8) == 0) {
            /* W20: a device writes the reserved bytes; the SC must fail. */
            unsigned j = k - NCOUNTERS;
            uint64_t nv = ++me->epoch[j] << 32, pa = counter_addr(w, k);
            me->n_dma++;
            me->n_ovstore++;
            if (!sut_ok(t, sut_dma_write(w->m, pa, 8, nv), "sut_dma_write", cpu, pa)) {
                return;
            }
            me->last_seen[k] = nv;
            dma_taint = true;
        }
        if (!sut_ok(t, sut_sc(w->m, cpu, 0, a, size, false, (v + 1) & mask, &st),
                    "sut_sc", cpu, a)) {
            return;
        }
        if (st == 0 && (tainted || dma_taint)) {
            /* Counted as well as reported: a run that goes on after its
             * first failure (TSan, --stop-on none) shows how often each
             * check fired, not only which fired first. */
            __atomic_add_fetch(dma_taint ? &w->dma_violations : &w->taint_violations, 1,
                               __ATOMIC_RELAXED);
            if (dma_taint) {
                stress_fail(t, "vCPU %u: lost update on overlap counter %u: SC of %" PRIu64
                            ":%" PRIu64 " succeeded after this thread's DMA wrote epoch %"
                            PRIu64 " over its reserved bytes (W20)", cpu, k - NCOUNTERS,
                            (v + 1) >> 32, (v + 1) & 0xffffffffu, me->epoch[k - NCOUNTERS]);
            } else {
                stress_fail(t, "vCPU %u: lost update on %scounter %u: SC of 0x%" PRIx64
                            " succeeded, but a load between its LL (0x%" PRIx64 ") and it "
                            "read another write, 0x%" PRIx64, cpu, over ? "overlap " : "",
                            over ? k - NCOUNTERS : k, (v + 1) & mask, v, seen);
            }
            return;
        }
        if (st == 0) {
            me->sc_ok++;
            me->last_seen[k] = (v + 1) & mask;
            if (over) {
                unsigned j = k - NCOUNTERS;
                if ((v >> 32) != me->ov_epoch[j]) {
                    me->ov_epoch[j] = v >> 32;   /* only grows: reads do */
                    me->ov_count[j] = 0;
                }
                me->ov_count[j]++;
                return;
            }
            me->succ[k]++;
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

/* The owner's plain (or DMA) store of a new epoch over its overlap counter.
 * Its own monitor is closed here: every LL of this engine ends in an SC. */
static void op_overstore(struct llsc_world *w, struct stress_thread *t, unsigned slot)
{
    struct vcpu_state *me = &w->v[slot];
    const unsigned cpu = me->cpu;

    for (unsigned j = 0; j < NOVER; j++) {
        if (over_owner(w, j) != slot || stress_below(t, 2)) {
            continue;
        }
        uint64_t nv = ++me->epoch[j] << 32, a = counter_addr(w, NCOUNTERS + j);
        int rc;
        me->n_ovstore++;
        if ((w->mix & STRESS_MIX_DMA) && stress_below(t, 4) == 0) {
            me->n_dma++;
            rc = sut_dma_write(w->m, a, 8, nv);
        } else {
            a = counter_view(w, t, NCOUNTERS + j, me);
            rc = sut_store(w->m, cpu, 0, a, 8, false, nv);
        }
        if (!sut_ok(t, rc, "store of a new epoch", cpu, a)) {
            return;
        }
        me->last_seen[NCOUNTERS + j] = nv;
    }
}

/* A plain store of 1, 2 or 4 bytes into my slot next to counter k. */
static void op_neighbour(struct llsc_world *w, struct stress_thread *t, unsigned slot)
{
    struct vcpu_state *me = &w->v[slot];
    const unsigned cpu = me->cpu;
    unsigned k = stress_below(t, NCOUNTERS);
    unsigned size = 1u << stress_below(t, 3);
    unsigned off = stress_below(t, 4 / size) * size;
    uint64_t val = stress_rand(t) & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
    uint64_t a = neigh_addr(w, k, slot) + off;

    if (!sut_ok(t, sut_store(w->m, cpu, 0, a, size, false, val), "sut_store", cpu, a)) {
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        me->neigh[k] &= ~(0xffu << (8 * (off + i)));
        me->neigh[k] |= (uint32_t)((val >> (8 * i)) & 0xff) << (8 * (off + i));
    }
    if (stress_below(t, 4) == 0) {
        uint64_t got;
        a = neigh_addr(w, k, slot);
        if (!sut_ok(t, sut_load(w->m, cpu, 0, a, 4, false, &got), "sut_load", cpu, a)) {
            return;
        }
        if (got != me->neigh[k]) {
            stress_fail(t, "vCPU %u: my slot next to counter %u reads 0x%08" PRIx64
                        ", I wrote 0x%08" PRIx32, cpu, k, got, me->neigh[k]);
        }
    }
}

/* sut_ok, except that SUT_EFAULT is no failure where the address may have
 * gone (hotplug's extra page: shrunk or removed): the monitor is cleared. */
static bool sut_ok_or_gone(const struct stress_thread *t, sut_machine *m, int rc,
                           const char *call, unsigned cpu, uint64_t addr, bool may_go)
{
    if (rc == SUT_EFAULT && may_go) {
        sut_clrex(m, cpu);
        return false;
    }
    return sut_ok(t, rc, call, cpu, addr);
}

/* LL/SC on a cell nobody else touches: the LL must return exactly my last
 * value, and a failed SC must leave it. */
static bool own_cell(struct stress_thread *t, sut_machine *m, unsigned slot,
                     uint64_t a, uint64_t *shadow, struct vcpu_state *me, bool may_go)
{
    const unsigned cpu = me->cpu;
    uint64_t v, got, val = ((uint64_t)(slot + 1) << 56) | (1ULL << 48) | ++me->seq;
    int st = 1;

    if (!sut_ok_or_gone(t, m, sut_ll(m, cpu, 0, a, 8, false, &v), "sut_ll", cpu, a, may_go)) {
        return false;
    }
    if (v != *shadow) {
        stress_fail(t, "vCPU %u: LL of my own cell 0x%" PRIx64 " returned 0x%" PRIx64
                    ", I last wrote 0x%" PRIx64, cpu, a, v, *shadow);
        return false;
    }
    if (!sut_ok_or_gone(t, m, sut_sc(m, cpu, 0, a, 8, false, val, &st), "sut_sc", cpu, a,
                        may_go)) {
        return false;
    }
    if (st == 0) {
        me->sc_ok++;
        *shadow = val;
    } else {
        me->sc_fail++;
    }
    if (!sut_ok_or_gone(t, m, sut_load(m, cpu, 0, a, 8, false, &got), "sut_load", cpu, a,
                        may_go)) {
        return false;
    }
    if (got != *shadow) {
        stress_fail(t, "vCPU %u: after SC status %d my own cell 0x%" PRIx64 " reads 0x%" PRIx64
                    ", expected 0x%" PRIx64, cpu, st, a, got, *shadow);
        return false;
    }
    return true;
}

static void op_cell(struct llsc_world *w, struct stress_thread *t, unsigned slot)
{
    struct vcpu_state *me = &w->v[slot];
    unsigned s = stress_below(t, NSCRATCH);

    own_cell(t, w->m, slot, scratch_addr(w, s, slot) + 8, &me->cell[s], me, false);
}

/* mix mmio: my registers [16 * slot, +16) of the device: a slot for 1-8 byte
 * stores (re-read sometimes) and an LL/SC cell. */
static void op_mmio(struct llsc_world *w, struct stress_thread *t, unsigned slot)
{
    struct vcpu_state *me = &w->v[slot];
    const unsigned cpu = me->cpu;
    const uint64_t base = SUT_MMIO_BASE + (uint64_t)slot * MMIO_STRIDE;

    me->n_mmio++;
    if (stress_below(t, 2)) {
        own_cell(t, w->m, slot, base + 8, &me->mmio[1], me, false);
        return;
    }
    unsigned size = 1u << stress_below(t, 4);
    unsigned off = stress_below(t, 8 / size) * size;
    uint64_t val = stress_rand(t), got;
    uint64_t mask = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
    if (!sut_ok(t, sut_store(w->m, cpu, 0, base + off, size, false, val & mask), "sut_store",
                cpu, base + off)) {
        return;
    }
    me->mmio[0] = (me->mmio[0] & ~(mask << (8 * off))) | ((val & mask) << (8 * off));
    if (stress_below(t, 4) == 0) {
        if (!sut_ok(t, sut_load(w->m, cpu, 0, base, 8, false, &got), "sut_load", cpu, base)) {
            return;
        }
        if (got != me->mmio[0]) {
            stress_fail(t, "vCPU %u: my MMIO slot 0x%" PRIx64 " reads 0x%016" PRIx64
                        ", I wrote 0x%016" PRIx64, cpu, base, got, me->mmio[0]);
        }
    }
}

/* mix protect: code was translated from page 0 or a scratch page. */
static void op_protect(struct llsc_world *w, struct stress_thread *t, unsigned slot)
{
    struct vcpu_state *me = &w->v[slot];
    uint64_t pa = w->base + (uint64_t)(8 * stress_below(t, NSCRATCH + 1)) * PAGE_SIZE;

    me->n_protect++;
    sut_ok(t, sut_protect_code(w->m, pa), "sut_protect_code", me->cpu, pa);
}

/* mix plug: a new vCPU comes up and this thread drives it too, an op at a
 * time on one or the other (each vCPU's calls still come from one thread). */
static void op_plug(struct llsc_world *w, struct stress_thread *t, unsigned slot)
{
    struct vcpu_state *me = &w->v[slot];
    unsigned idx;
    int rc;

    if (me->plugged) {
        return;
    }
    me->plugged = true;
    rc = sut_cpu_plug(w->m, &idx);
    if (rc == SUT_ENOSPC) {
        return;
    }
    if (sut_ok(t, rc, "sut_cpu_plug", me->cpu, 0)) {
        me->plug_cpu = idx;
        me->n_plug++;
    }
}

/* hotplug: my slot in a page the iothread offered (hot-added RAM). Nobody
 * else writes [32*cpu + 16, +8) of it: store, LL, SC, re-read, all exact. */
static void op_extra(struct llsc_world *w, struct stress_thread *t, unsigned slot,
                     uint64_t page)
{
    struct vcpu_state *me = &w->v[slot];
    const unsigned cpu = me->cpu;
    uint64_t a = page + (uint64_t)slot * SCRATCH_STRIDE + 16;
    uint64_t val = ((uint64_t)(slot + 1) << 56) | (2ULL << 48) | ++me->seq;
    int rc = sut_store(w->m, cpu, 0, a, 8, false, val);

    if (rc == SUT_EFAULT) {
        return;  /* not (yet) mapped, or shrunk or removed: allowed */
    }
    if (sut_ok(t, rc, "sut_store", cpu, a)) {
        /* With mix shrink the page may go between any two calls; it never
         * comes back within a round with other contents (hotplug adds no
         * block after its first removal). */
        own_cell(t, w->m, slot, a, &val, me, (w->mix & STRESS_MIX_SHRINK) != 0);
    }
}

static void op_load(struct llsc_world *w, struct stress_thread *t, unsigned slot)
{
    struct vcpu_state *me = &w->v[slot];
    const bool over = (w->mix & STRESS_MIX_OVERLAP) && stress_below(t, 5) == 0;
    unsigned k = over ? NCOUNTERS + stress_below(t, NOVER) : stress_below(t, NCOUNTERS);
    uint64_t a = counter_view(w, t, k, me), v;

    if (!sut_ok(t, sut_load(w->m, me->cpu, 0, a, over ? 8 : 4, false, &v), "sut_load",
                me->cpu, a)) {
        return;
    }
    counter_forward(t, me, me->cpu, k, v, "load");
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

    /* The wider mix: a small share of the ops, drawn before the classic
     * ones so that --mix none keeps the old op sequence exactly. */
    if (w->v[cpu].plug_cpu != UINT_MAX) {
        /* Both vCPUs keep running: a halted one would keep its v6 cluster
         * bit at 0 for good (it never evicts), so the page never turns
         * non-exclusive and W6 could not happen any more. */
        w->v[cpu].cpu = stress_below(t, 2) ? w->v[cpu].plug_cpu : w->v[cpu].boot_cpu;
    }
    if (w->mix) {
        unsigned x = stress_below(t, 1000);
        if ((w->mix & STRESS_MIX_OVERLAP) && x < 20) {
            op_overstore(w, t, cpu);
            goto tb;
        } else if ((w->mix & STRESS_MIX_MMIO) && x >= 20 && x < 70) {
            op_mmio(w, t, cpu);
            goto tb;
        } else if ((w->mix & STRESS_MIX_PROTECT) && x >= 70 && x < 73) {
            op_protect(w, t, cpu);
            goto tb;
        } else if ((w->mix & STRESS_MIX_PLUG) && x == 73) {
            op_plug(w, t, cpu);
            goto tb;
        }
    }
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
tb:
    if (stress_below(t, 4) == 0) {
        sut_run_work(w->m, w->v[cpu].cpu);  /* a TB boundary */
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
    if (w->mix & STRESS_MIX_OVERLAP) {
        for (unsigned j = 0; j < NOVER; j++) {
            const unsigned k = NCOUNTERS + j;
            const uint64_t last = w->v[over_owner(w, j)].epoch[j];
            uint64_t n = 0;
            if (!peek_u64(w, counter_addr(w, k), 8, &v, when)) {
                return;
            }
            /* The owner's last store is the last write but for the SCs
             * that read from its epoch: one from an older epoch after it
             * overwrote a store its LL never saw. */
            if ((v >> 32) != last) {
                stress_fail(NULL, "%s: lost update: overlap counter %u ends in epoch %" PRIu64
                            " (count %" PRIu64 "), but its owner's last store wrote epoch %"
                            PRIu64, when, j, v >> 32, v & 0xffffffffu, last);
                return;
            }
            for (unsigned c = 0; c < w->nvcpus; c++) {
                n += w->v[c].ov_epoch[j] == last ? w->v[c].ov_count[j] : 0;
                if (w->v[c].last_seen[k] > v) {
                    stress_fail(NULL, "%s: overlap counter %u ends at %" PRIu64 ":%" PRIu64
                                " but thread %u read %" PRIu64 ":%" PRIu64 " (went backwards)",
                                when, j, v >> 32, v & 0xffffffffu, c,
                                w->v[c].last_seen[k] >> 32, w->v[c].last_seen[k] & 0xffffffffu);
                    return;
                }
            }
            if ((v & 0xffffffffu) != n) {
                stress_fail(NULL, "%s: lost update: overlap counter %u is %" PRIu64 ":%" PRIu64
                            " after %" PRIu64 " successful SCs in epoch %" PRIu64, when, j,
                            v >> 32, v & 0xffffffffu, n, last);
                return;
            }
        }
    }
    if (w->mix & STRESS_MIX_MMIO) {
        for (unsigned c = 0; c < w->nvcpus; c++) {
            for (unsigned i = 0; i < 2; i++) {
                uint64_t a = SUT_MMIO_BASE + (uint64_t)c * MMIO_STRIDE + 8 * i;
                if (!peek_u64(w, a, 8, &v, when)) {
                    return;
                }
                if (v != w->v[c].mmio[i]) {
                    stress_fail(NULL, "%s: thread %u's MMIO %s 0x%" PRIx64 " is 0x%" PRIx64
                                ", it wrote 0x%" PRIx64, when, c, i ? "cell" : "slot", a, v,
                                w->v[c].mmio[i]);
                    return;
                }
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

void llsc_world_figures(const struct llsc_world *w, struct llsc_figures *f)
{
    for (unsigned c = 0; c < w->nvcpus; c++) {
        const struct vcpu_state *v = &w->v[c];
        f->sc_ok += v->sc_ok;
        f->sc_fail += v->sc_fail;
        f->incs += v->incs;
        f->liveness += v->liveness;
        f->dma += v->n_dma;
        f->mmio += v->n_mmio;
        f->protect += v->n_protect;
        f->alias += v->n_alias;
        f->plug += v->n_plug;
        f->overlap_stores += v->n_ovstore;
        f->taint_checks += v->n_taint;
    }
    f->taint_violations += __atomic_load_n(&w->taint_violations, __ATOMIC_RELAXED);
    f->dma_violations += __atomic_load_n(&w->dma_violations, __ATOMIC_RELAXED);
}

void llsc_figures_print(const struct llsc_figures *f, unsigned mix, char *buf, size_t len)
{
    const struct { unsigned kind; const char *name; uint64_t n; } k[] = {
        {STRESS_MIX_DMA, "dma", f->dma},
        {STRESS_MIX_MMIO, "mmio", f->mmio},
        {STRESS_MIX_PROTECT, "protect", f->protect},
        {STRESS_MIX_ALIAS, "alias", f->alias},
        {STRESS_MIX_PLUG, "plugged", f->plug},
        {STRESS_MIX_OVERLAP, "overlap_stores", f->overlap_stores},
        {STRESS_MIX_OVERLAP, "taint_checks", f->taint_checks},
        {STRESS_MIX_OVERLAP, "taint_violations", f->taint_violations},
        {STRESS_MIX_OVERLAP, "dma_violations", f->dma_violations},
    };
    size_t n = 0;

    buf[0] = 0;
    for (size_t i = 0; i < sizeof k / sizeof k[0] && n < len; i++) {
        if (mix & k[i].kind) {
            n += (size_t)snprintf(buf + n, len - n, " %s=%" PRIu64, k[i].name, k[i].n);
        }
    }
}

/* ---- workload "llsc" ---------------------------------------------------- */
struct llsc_state {
    sut_machine *m;
    struct llsc_world *w;
    unsigned mix;
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
    s->mix = p->mix;
    llsc_config(&c, p, p->threads);
    s->m = sut_new(&c, &rc);
    if (!s->m) {
        snprintf(err, errlen, "sut_new: %s", sut_strerror(rc));
        free(s);
        return NULL;
    }
    s->w = llsc_world_new(s->m, p->threads, p->mix, 1ULL << 24, err, errlen);
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
    struct llsc_figures f = {0};
    char more[256];
    sut_stats st;

    llsc_world_figures(s->w, &f);
    llsc_figures_print(&f, s->mix, more, sizeof more);
    sut_get_stats(s->m, &st);
    snprintf(buf, len, "increments=%" PRIu64 " sc_ok=%" PRIu64 " sc_fail=%" PRIu64
             " liveness=%" PRIu64 " flushes=%" PRIu64 "/%" PRIu64 "q/%" PRIu64 "d%s",
             f.incs, f.sc_ok, f.sc_fail, f.liveness, st.flushes_full, st.flushes_queued,
             st.flushes_dropped, more);
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
    .mix_kinds = STRESS_MIX_DMA | STRESS_MIX_MMIO | STRESS_MIX_PROTECT | STRESS_MIX_ALIAS |
                 STRESS_MIX_PLUG | STRESS_MIX_OVERLAP,
    .nthreads = llsc_nthreads,
    .setup = llsc_setup,
    .worker = llsc_worker,
    .check = llsc_check,
    .figures = llsc_figures,
    .teardown = llsc_teardown,
};
