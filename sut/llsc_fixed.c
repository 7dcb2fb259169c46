/*
 * llsc_fixed.c - the design corrected so that the oracle of spec section 5
 * holds, threads included. It keeps v8's storage (1 bit per page in RCU
 * blocks, the history) and fill rule, and changes what the weaknesses say:
 *
 *  W1, W21   one lock (tcg_excl_access_lock) serialises LL arming, SC check +
 *            store, slow-path stores, range resets and the history; the
 *            bitmap is read with atomic loads, never through a byte view.
 *  W2        RCU block storage (from v8).
 *  W3, W17   one global bit per page: no clusters, no cpu == smp_cpus sentinel.
 *  W4, W5    an LL that makes a page exclusive stops every vCPU
 *            (start_exclusive) and flushes every TLB, its own included, before
 *            it loads; the load comes after arming.
 *  W6, W7    a page with a live reservation never turns non-exclusive: the
 *            history skips it, RAM map changes skip it.
 *  W8, W9,   SC validates under the lock on every route (RAM, NOTDIRTY, MMIO)
 *  W10, W11  and ends the reservation whatever the result; CLREX ends it.
 *  W12, W13  correct data endianness; LL/SC must be naturally aligned, so an
 *            exclusive access never crosses a page; plain stores split.
 *  W14, W15  notdirty writes leave the exclusive client alone; the exclusive
 *            branch does the notdirty work (TB invalidation, dirty bits) and
 *            drops NOTDIRTY while keeping TLB_EXCL; ROM is never written and an
 *            SC to ROM fails.
 *  W16       reservations are kept in one namespace, guest-physical.
 *  W19       an unaligned IO store is bytewise only.
 *  W20       DMA and block removal reset overlapping reservations.
 */
#include "internal.h"

static bool fixed_may_release(sut_machine *m, uint64_t page)
{
    for (unsigned i = 0; i < cpus_present(m); i++) {
        if (range_live_overlaps(&m->cpus[i], page, m->page_size)) {
            return false;
        }
    }
    return true;
}

static uint64_t guest_phys(const sut_machine *m, uint64_t vaddr)
{
    uint64_t paddr = 0;
    translate(m, vaddr, &paddr);
    return paddr;
}

static bool is_mmio(uint64_t paddr)
{
    return paddr >= SUT_MMIO_BASE && paddr - SUT_MMIO_BASE < SUT_MMIO_SIZE;
}

/* The RAM part of a store with flag bits: notdirty work, store, resets. */
static void fixed_ram_store(sut_machine *m, sut_cpu *c, uint64_t vaddr, unsigned size,
                            uint64_t bytes, tlb_entry *te, iotlb_entry *io)
{
    const uint64_t hw = hw_addr_of(io, vaddr);
    if (te->addr_write & SUT_TLB_NOTDIRTY) {
        notdirty_mem_write(m, c, hw, vaddr, size, bytes);
        if (!ram_is_clean(m, hw)) {
            te->addr_write &= ~(uint64_t)SUT_TLB_NOTDIRTY;
        }
    } else {
        ram_host_store((uint8_t *)(uintptr_t)(vaddr + te->addend), size, bytes);
    }
    if (te->addr_write & SUT_TLB_EXCL) {
        reset_other_cpus_colliding_ll_addr(m, c, hw, size);
        STAT_INC(m, slow_stores);
    }
}

static int fixed_slow_store(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                            unsigned size, bool be, uint64_t val, tlb_entry *te,
                            iotlb_entry *io)
{
    if ((vaddr & (size - 1)) || (vaddr & ~m->page_mask) + size > m->page_size) {
        return store_bytewise(m, c, mmu, vaddr, size, be, val);
    }
    pthread_mutex_lock(&m->excl_lock);
    SUT_SCHED_NOPREEMPT_BEGIN();
    if (te->addr_write & SUT_TLB_MMIO) {
        if (io->kind == PHYS_MMIO) {
            reset_other_cpus_colliding_ll_addr(m, c, guest_phys(m, vaddr), size);
        }
        io_write(m, c, io, vaddr, size, be, val);
    } else {
        fixed_ram_store(m, c, vaddr, size, to_le_bytes(val, size, be), te, io);
    }
    SUT_SCHED_NOPREEMPT_END();
    pthread_mutex_unlock(&m->excl_lock);
    return SUT_OK;
}

static int fixed_ll(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                    unsigned size, bool be, uint64_t *val)
{
    if (vaddr & (size - 1)) {
        return SUT_EALIGN;
    }
    const uint64_t pa = guest_phys(m, vaddr);
    start_exclusive(m, c);
    pthread_mutex_lock(&m->excl_lock);
    SUT_SCHED_NOPREEMPT_BEGIN();
    /* Arm first: the history insertion below may evict a slot that holds
     * this very page (a RAM map change released it without touching the
     * history), and fixed_may_release must then see the reservation it is
     * about to protect. Arming also ends our previous reservation, so the
     * page it held can be released now rather than never. */
    range_set(c, pa, size);
    c->ll_sc_context = 1;
    if (!is_mmio(pa) && cpu_physical_memory_set_excl(m, pa)) {
        excl_history_put_addr(m, pa, fixed_may_release);
        /* Every vCPU is stopped: no entry without TLB_EXCL survives, in any
         * MMU mode, alias or victim slot, ours included. */
        tlb_flush_all_cpus_now(m);
    }
    int rc = load_helper(m, c, mmu, vaddr, size, be, val);
    if (rc) {
        cpu_reset_excl_context(c);
    }
    SUT_SCHED_NOPREEMPT_END();
    pthread_mutex_unlock(&m->excl_lock);
    end_exclusive(m, c);
    return rc;
}

static int fixed_sc(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                    unsigned size, bool be, uint64_t val, int *status)
{
    if (vaddr & (size - 1)) {
        return SUT_EALIGN;
    }
    const uint64_t pa = guest_phys(m, vaddr);
    tlb_entry *te;
    iotlb_entry *io;

    pthread_mutex_lock(&m->excl_lock);
    SUT_SCHED_NOPREEMPT_BEGIN();
    int rc = probe_write(m, c, mmu, vaddr, &te, &io);
    *status = 1;
    if (rc == SUT_OK && c->ll_sc_context && c->range_begin == pa &&
        c->range_end == pa + size && io->kind != PHYS_ROM) {
        const uint64_t bytes = to_le_bytes(val, size, be);
        if (io->kind == PHYS_MMIO) {
            io_write(m, c, io, vaddr, size, be, val);
            reset_other_cpus_colliding_ll_addr(m, c, pa, size);
        } else {
            te->addr_write |= SUT_TLB_EXCL; /* the page is exclusive: keep it so */
            fixed_ram_store(m, c, vaddr, size, bytes, te, io);
        }
        *status = 0;
    }
    cpu_reset_excl_context(c);
    SUT_SCHED_NOPREEMPT_END();
    pthread_mutex_unlock(&m->excl_lock);
    return rc;
}

static void fixed_clrex(sut_machine *m, sut_cpu *c)
{
    pthread_mutex_lock(&m->excl_lock);
    SUT_SCHED_NOPREEMPT_BEGIN();
    cpu_reset_excl_context(c);
    SUT_SCHED_NOPREEMPT_END();
    pthread_mutex_unlock(&m->excl_lock);
}

/* Another agent wrote: every overlapping reservation ends (W20). */
static void fixed_external_write(sut_machine *m, uint64_t paddr, uint64_t len)
{
    pthread_mutex_lock(&m->excl_lock);
    SUT_SCHED_NOPREEMPT_BEGIN();
    reset_other_cpus_colliding_ll_addr(m, NULL, paddr, len);
    SUT_SCHED_NOPREEMPT_END();
    pthread_mutex_unlock(&m->excl_lock);
}

/* RAM map changes make pages non-exclusive only where no reservation lives,
 * and cover the whole reserved range, tail included (W7). */
static void fixed_ram_set_dirty(sut_machine *m, uint64_t start, uint64_t len, uint64_t max_len)
{
    const uint64_t end = start + (max_len > len ? max_len : len);
    pthread_mutex_lock(&m->excl_lock);
    SUT_SCHED_NOPREEMPT_BEGIN();
    for (uint64_t p = start & m->page_mask; p < end; p += m->page_size) {
        if (fixed_may_release(m, p)) {
            cpu_physical_memory_unset_excl(m, p);
        }
    }
    SUT_SCHED_NOPREEMPT_END();
    pthread_mutex_unlock(&m->excl_lock);
}

static bool fixed_page_is_exclusive(const sut_machine *m, uint64_t ram_addr)
{
    return excl_v8_bit_in_bounds(m, ram_addr) && cpu_physical_memory_is_excl(m, ram_addr);
}

const struct variant_ops sut_ops_fixed = {
    .block_storage = true,
    .atomic_dirty_reads = true,
    .exec_regions = true,
    .fill_write_flags = fill_write_flags_bit,
    .evict = evict_nothing,
    .slow_store = fixed_slow_store,
    .ll = fixed_ll,
    .sc = fixed_sc,
    .clrex = fixed_clrex,
    .external_write = fixed_external_write,
    .ram_set_dirty = fixed_ram_set_dirty,
    .page_is_exclusive = fixed_page_is_exclusive,
};
