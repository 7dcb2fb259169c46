/*
 * llsc_v8.c - the v8 bit design: LL, SC, do_excl_store / do_mmio_store, the
 * TLB fill flags, the MMIO pending_excl_access flag (spec 3.3, 3.5, 3.6,
 * 3.7, 3.10, 3.11). No lock anywhere: "only one vCPU is running at once"
 * (W21). With mttcg=true the flushes of the other vCPUs go through their
 * work queues (async_run_on_cpu), otherwise they run inline.
 */
#include "internal.h"

uint64_t fill_write_flags_bit(sut_machine *m, uint64_t ram_addr)
{
    uint64_t flags = 0;
    if (ram_is_clean(m, ram_addr)) {
        flags |= SUT_TLB_NOTDIRTY;
    }
    /* Independently of NOTDIRTY: TLB_EXCL | TLB_NOTDIRTY is possible (W15). */
    if (cpu_physical_memory_is_excl(m, ram_addr)) {
        flags |= SUT_TLB_EXCL;
    }
    return flags;
}

void evict_nothing(sut_machine *m, sut_cpu *c, const tlb_entry *te, const iotlb_entry *io)
{
    (void)m;
    (void)c;
    (void)te;
    (void)io;
}

/* Plain reads and writes of other vCPUs' ranges, no lock (W21). */
bool reset_other_cpus_colliding_ll_addr(sut_machine *m, sut_cpu *self,
                                        uint64_t hw, uint64_t size)
{
    bool any = false;
    for (unsigned i = 0; i < cpus_present(m); i++) {
        sut_cpu *o = &m->cpus[i];
        if (o != self && range_live_overlaps(o, hw, size)) {
            o->range_begin = EXCLUSIVE_RESET_ADDR;
            any = true;
        }
    }
    return any;
}

/* The CPUClass hooks (bodies not read; spec 2.6 gives the inference). */
static bool cpu_valid_excl_access(const sut_cpu *c, uint64_t hw, unsigned size)
{
    return c->range_begin == hw && c->range_end == hw + size;
}

/* do_ram_store: split at the page end (bytes re-enter the full helper,
 * highest first), else one store through the addend. No NOTDIRTY or MMIO
 * handling even when those flags are set as well (W15). */
static int do_ram_store(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                        unsigned size, bool be, uint64_t val, tlb_entry *te,
                        iotlb_entry *io)
{
    if ((vaddr & ~m->page_mask) + size > m->page_size) {
        return store_bytewise(m, c, mmu, vaddr, size, be, val);
    }
    excl_ram_write(m, hw_addr_of(io, vaddr), (uint8_t *)(uintptr_t)(vaddr + te->addend),
                   size, to_le_bytes(val, size, be));
    return SUT_OK;
}

static int do_excl_store(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                         unsigned size, bool be, uint64_t val, tlb_entry *te,
                         iotlb_entry *io)
{
    const uint64_t hw = hw_addr_of(io, vaddr);
    if (c->excl_succeeded && !cpu_valid_excl_access(c, hw, size)) {
        c->range_begin = EXCLUSIVE_RESET_ADDR;
        c->excl_succeeded = 0;
        return SUT_OK;
    }
    SUT_SCHED_POINT(SUT_SP_SC_CHECKED); /* check-then-store, unlocked (W21) */
    /* A page-crossing SC passed the full-width check above; its bytes now
     * re-enter one by one and the first fails the 1-byte check (W13b). */
    int rc = do_ram_store(m, c, mmu, vaddr, size, be, val, te, io);
    if (rc) {
        return rc;
    }
    reset_other_cpus_colliding_ll_addr(m, c, hw, size);
    STAT_INC(m, slow_stores);
    return SUT_OK;
}

/* io_write's MMIO exclusive handling (spec 3.10): an SC only finalises the
 * pair - it is never validated (W8). */
static void v8_io_write(sut_machine *m, sut_cpu *c, iotlb_entry *io, uint64_t vaddr,
                        unsigned size, bool be, uint64_t val)
{
    if (io->kind == PHYS_MMIO && m->mmio_pending_excl_access) {
        if (c->excl_succeeded) {
            m->mmio_pending_excl_access = false;
        } else if (reset_other_cpus_colliding_ll_addr(m, c, hw_addr_of(io, vaddr), size)) {
            m->mmio_pending_excl_access = false;
        }
    }
    io_write(m, c, io, vaddr, size, be, val);
}

/* Unaligned: bytewise, but no return, so the full-width write follows (W19,
 * which also swaps mmu_idx and oi: invisible here). */
static int do_mmio_store(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                         unsigned size, bool be, uint64_t val, iotlb_entry *io)
{
    if (vaddr & (size - 1)) {
        int rc = store_bytewise(m, c, mmu, vaddr, size, be, val);
        if (rc) {
            return rc;
        }
        /* The bytewise stores may have moved the entry; refetch ours. */
        tlb_entry *te;
        rc = probe_write(m, c, mmu, vaddr, &te, &io);
        if (rc) {
            return rc;
        }
    }
    v8_io_write(m, c, io, vaddr, size, be, val);
    return SUT_OK;
}

static int v8_slow_store(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                         unsigned size, bool be, uint64_t val, tlb_entry *te,
                         iotlb_entry *io)
{
    if (te->addr_write & SUT_TLB_EXCL) {
        return do_excl_store(m, c, mmu, vaddr, size, be, val, te, io);
    }
    return do_mmio_store(m, c, mmu, vaddr, size, be, val, io);
}

static void v8_tlb_flush(sut_machine *m, sut_cpu *o)
{
    if (m->cfg.mttcg) {
        async_run_on_cpu(m, o, WORK_FLUSH);
    } else {
        tlb_flush_now(m, o);
    }
}

static int v8_ll(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                 unsigned size, bool be, uint64_t *val)
{
    /* The load comes before the page is armed (W5). */
    int rc = load_helper(m, c, mmu, vaddr, size, be, val);
    if (rc) {
        return rc;
    }
    SUT_SCHED_POINT(SUT_SP_LL_LOADED);
    const unsigned index = tlb_index(m, vaddr);
    tlb_entry *te = tlb_at(m, c, mmu, index);
    const uint64_t hw = hw_addr_of(iotlb_at(m, c, mmu, index), vaddr);

    if (!(te->addr_read & SUT_TLB_MMIO)) {
        if (cpu_physical_memory_set_excl(m, hw)) {
            excl_history_put_addr(m, hw, NULL);
            /* The bit is global: it cannot say who lacks TLB_EXCL. */
            for (unsigned i = 0; i < cpus_present(m); i++) {
                if (&m->cpus[i] != c) {
                    v8_tlb_flush(m, &m->cpus[i]);
                }
            }
        }
        te->addr_write |= SUT_TLB_EXCL;
    } else {
        m->mmio_pending_excl_access = true;
    }
    range_set(c, hw, size);
    c->ll_sc_context = 1;
    return SUT_OK;
}

static int v8_sc(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                 unsigned size, bool be, uint64_t val, int *status)
{
    int rc = SUT_OK;
    *status = 1;
    if (c->ll_sc_context) {
        c->excl_succeeded = 1;
        rc = store_helper(m, c, mmu, vaddr, size, be, val);
        if (rc == SUT_OK && c->excl_succeeded) {
            *status = 0;
        }
    }
    cpu_reset_excl_context(c); /* whatever the result (I10 holds in v8) */
    return rc;
}

static void v8_clrex(sut_machine *m, sut_cpu *c)
{
    (void)m;
    cpu_reset_excl_context(c);
}

static bool v8_page_is_exclusive(const sut_machine *m, uint64_t ram_addr)
{
    return excl_v8_bit_in_bounds(m, ram_addr) && cpu_physical_memory_is_excl(m, ram_addr);
}

const struct variant_ops sut_ops_v8 = {
    .block_storage = true,
    .atomic_dirty_reads = false,
    .exec_regions = false,
    .fill_write_flags = fill_write_flags_bit,
    .evict = evict_nothing,
    .slow_store = v8_slow_store,
    .ll = v8_ll,
    .sc = v8_sc,
    .clrex = v8_clrex,
    .external_write = external_write_ignored, /* W20 */
    .ram_set_dirty = ram_set_dirty_excl,
    .page_is_exclusive = v8_page_is_exclusive,
};
