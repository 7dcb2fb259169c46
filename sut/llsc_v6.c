/*
 * llsc_v6.c - the v6 cell design: LL, SC, the exclusive store branch, the
 * TLB fill flags and the eviction hook (spec 3.3, 3.5, 3.6, 3.7, 3.9, 3.10).
 * Two flavours, as the patches had them:
 *  - v6-ST (mttcg=false): one TCG thread, synchronous flushes of the other
 *    vCPUs, own cluster bit cleared before the scan;
 *  - v6-MT (mttcg=true): tcg_excl_access_lock, exit_flush_request, flushes
 *    queued with tlb_query_flush_cpu, the cell cleared after the scan.
 */
#include "internal.h"

static uint64_t v6_fill_write_flags(sut_machine *m, uint64_t ram_addr)
{
    /* Clean pages get NOTDIRTY and TLB_EXCL is not considered (W15). */
    if (ram_is_clean(m, ram_addr)) {
        return SUT_TLB_NOTDIRTY;
    }
    return cpu_physical_memory_atleast_one_excl(m, ram_addr) ? SUT_TLB_EXCL : 0;
}

/* Evicting a TLB_EXCL entry makes the own cluster bit dirty. The copy that
 * goes to the victim TLB keeps TLB_EXCL. */
static void v6_evict(sut_machine *m, sut_cpu *c, const tlb_entry *te, const iotlb_entry *io)
{
    if ((te->addr_write & SUT_TLB_EXCL) && !(te->addr_write & SUT_TLB_MMIO)) {
        uint64_t ram_addr = io->addr + (te->addr_write & m->page_mask);
        cpu_physical_memory_unset_excl_v6(m, ram_addr, c->index);
    }
}

/* Every vCPU, the storing one included. */
static void lookup_and_reset_cpus_ll_addr(sut_machine *m, uint64_t hw, unsigned size)
{
    for (unsigned i = 0; i < cpus_present(m); i++) {
        if (range_live_overlaps(&m->cpus[i], hw, size)) {
            m->cpus[i].range_begin = EXCLUSIVE_RESET_ADDR;
        }
    }
}

static int v6_slow_store(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                         unsigned size, bool be, uint64_t val, tlb_entry *te,
                         iotlb_entry *io)
{
    (void)mmu;
    if ((te->addr_write & ~m->page_mask) == SUT_TLB_EXCL) {
        const uint64_t hw = hw_addr_of(io, vaddr);
        const bool mt = m->cfg.mttcg;
        if (mt) {
            pthread_mutex_lock(&m->excl_lock);
            SUT_SCHED_NOPREEMPT_BEGIN();
        }
        if (c->excl_succeeded) {
            if (c->range_begin != hw || (mt && c->range_end != hw + size)) {
                c->range_begin = EXCLUSIVE_RESET_ADDR;
                c->excl_succeeded = 0;
                if (mt) {
                    SUT_SCHED_NOPREEMPT_END();
                    pthread_mutex_unlock(&m->excl_lock);
                }
                return SUT_OK;
            }
            cpu_physical_memory_unset_excl_v6(m, hw, c->index);
            SUT_SCHED_POINT(SUT_SP_SC_CHECKED);
        }
        /* The LE store primitive in the BE helper too (W12); no split at the
         * page end, no alignment check (W13). */
        excl_ram_write(m, hw, (uint8_t *)(uintptr_t)(vaddr + te->addend), size,
                       to_le_bytes(val, size, false));
        lookup_and_reset_cpus_ll_addr(m, hw, size);
        STAT_INC(m, slow_stores);
        if (mt) {
            SUT_SCHED_NOPREEMPT_END();
            pthread_mutex_unlock(&m->excl_lock);
        }
        return SUT_OK;
    }
    /* The original IO path: no exclusive logic, excl_succeeded untouched (W8). */
    if (vaddr & (size - 1)) {
        return store_bytewise(m, c, mmu, vaddr, size, be, val);
    }
    io_write(m, c, io, vaddr, size, be, val);
    return SUT_OK;
}

static void tlb_query_flush_cpu(sut_machine *m, sut_cpu *o)
{
    int expected = 0;
    if (__atomic_compare_exchange_n(&o->pending_tlb_flush, &expected, 1, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        async_run_on_cpu(m, o, WORK_FLUSH_V6MT);
    } else {
        STAT_INC(m, flushes_dropped); /* already pending: dropped (W5) */
    }
}

static int v6st_ll(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                   unsigned size, bool be, uint64_t *val)
{
    /* mmu_idx where a TCGMemOpIdx belongs: the memop is lost (W18). */
    int rc = load_helper(m, c, mmu, vaddr, size, be, val);
    if (rc) {
        return rc;
    }
    SUT_SCHED_POINT(SUT_SP_LL_LOADED);
    const unsigned index = tlb_index(m, vaddr);
    const uint64_t hw = hw_addr_of(iotlb_at(m, c, mmu, index), vaddr);

    /* Own cluster bit first: a cluster-mate then reads clean (W3). */
    cpu_physical_memory_set_excl_v6(m, hw, c->index);
    if (cpu_physical_memory_not_excl(m, hw, m->cfg.smp_cpus)) {
        for (unsigned i = 0; i < cpus_present(m); i++) {
            sut_cpu *o = &m->cpus[i];
            if (o != c && cpu_physical_memory_not_excl(m, hw, o->index)) {
                cpu_physical_memory_set_excl_v6(m, hw, o->index);
                tlb_flush_now(m, o);
            }
        }
    }
    range_set(c, hw, size);
    tlb_at(m, c, mmu, index)->addr_write |= SUT_TLB_EXCL;
    c->ll_sc_context = 1; /* set by the TCG code after LDREX */
    return SUT_OK;
}

static int v6mt_ll(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                   unsigned size, bool be, uint64_t *val)
{
    const unsigned index = tlb_index(m, vaddr);
    tlb_entry *te = tlb_at(m, c, mmu, index);

    /* Written with || where && was meant: a matching entry is re-filled
     * unless the victim TLB also has one (W11b). */
    if (!tlb_hit(m, te->addr_read, vaddr) || !victim_tlb_hit(m, c, mmu, index, false, vaddr)) {
        int rc = tlb_fill(m, c, vaddr, mmu);
        if (rc) {
            return rc;
        }
    }
    const uint64_t hw = hw_addr_of(iotlb_at(m, c, mmu, index), vaddr);

    pthread_mutex_lock(&m->excl_lock);
    SUT_SCHED_NOPREEMPT_BEGIN();
    if (__atomic_exchange_n(&m->exit_flush_request, 1, __ATOMIC_SEQ_CST) == 0 &&
        cpu_physical_memory_not_excl(m, hw, m->cfg.smp_cpus)) {
        for (unsigned i = 0; i < cpus_present(m); i++) {
            sut_cpu *o = &m->cpus[i];
            if (o != c && cpu_physical_memory_not_excl(m, hw, o->index)) {
                tlb_query_flush_cpu(m, o);
            }
        }
        cpu_physical_memory_set_excl_v6(m, hw, m->cfg.smp_cpus);
        /* Released only here: if no bit was dirty it stays 1 (W11). */
        __atomic_store_n(&m->exit_flush_request, 0, __ATOMIC_SEQ_CST);
    }
    c->ll_sc_context = 1;
    int rc = load_helper(m, c, mmu, vaddr, size, be, val);
    if (rc == SUT_OK) {
        range_set(c, hw, size);
    }
    SUT_SCHED_NOPREEMPT_END();
    pthread_mutex_unlock(&m->excl_lock);
    /* The entry is armed after the lock: a store through it fits in between. */
    SUT_SCHED_POINT(SUT_SP_LL_LOADED);
    if (rc == SUT_OK) {
        tlb_at(m, c, mmu, index)->addr_write |= SUT_TLB_EXCL;
    }
    return rc;
}

static int v6_ll(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                 unsigned size, bool be, uint64_t *val)
{
    return m->cfg.mttcg ? v6mt_ll(m, c, mmu, vaddr, size, be, val)
                        : v6st_ll(m, c, mmu, vaddr, size, be, val);
}

/* gen_store_exclusive + helper_stcond_name. The TCG code fails without a
 * helper call unless ll_sc_context == 1, and leaves it at 1 after the helper
 * (W9). The check itself happens in the store's exclusive branch only. */
static int v6_sc(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                 unsigned size, bool be, uint64_t val, int *status)
{
    if (c->ll_sc_context != 1) {
        c->ll_sc_context = 0;
        *status = 1;
        return SUT_OK;
    }
    c->excl_succeeded = 1;
    int rc = store_helper(m, c, mmu, vaddr, size, be, val);
    if (rc) {
        c->excl_succeeded = 0;
        return rc;
    }
    if (c->excl_succeeded) {
        c->excl_succeeded = 0;
        *status = 0;
    } else {
        *status = 1; /* v6-MT would g_usleep(100) here (W22); not modelled */
    }
    return SUT_OK;
}

/* CONFIG_TCG_USE_LDST_EXCL: gen_clrex generates nothing (W10). */
static void v6_clrex(sut_machine *m, sut_cpu *c)
{
    (void)m;
    (void)c;
}

static bool v6_page_is_exclusive(const sut_machine *m, uint64_t ram_addr)
{
    return excl_v6_cell_in_bounds(m, ram_addr) &&
           cpu_physical_memory_atleast_one_excl((sut_machine *)m, ram_addr);
}

const struct variant_ops sut_ops_v6 = {
    .block_storage = false,
    .atomic_dirty_reads = false,
    .exec_regions = false,
    .fill_write_flags = v6_fill_write_flags,
    .evict = v6_evict,
    .slow_store = v6_slow_store,
    .ll = v6_ll,
    .sc = v6_sc,
    .clrex = v6_clrex,
    .external_write = external_write_ignored, /* W20 */
    .ram_set_dirty = ram_set_dirty_excl,
    .page_is_exclusive = v6_page_is_exclusive,
};
