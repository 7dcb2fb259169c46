/*
 * llsc_cmpxchg.c - the emulation QEMU merged instead (spec source E1, Emilio
 * Cota, "target-arm: emulate LL/SC using cmpxchg helpers"): LDREX records
 * exclusive_addr and the value it loaded; STREX is an atomic cmpxchg of that
 * value against memory. No bitmap, no TLB_EXCL, plain stores stay fast.
 * Correct except for ABA: a store that writes the loaded value back is
 * invisible to it.
 */
#include "internal.h"

static uint64_t cmpxchg_fill_write_flags(sut_machine *m, uint64_t ram_addr)
{
    return ram_is_clean(m, ram_addr) ? SUT_TLB_NOTDIRTY : 0;
}

/* Only TLB_MMIO and TLB_NOTDIRTY reach here: the IO path. */
static int cmpxchg_slow_store(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                              unsigned size, bool be, uint64_t val, tlb_entry *te,
                              iotlb_entry *io)
{
    (void)te;
    if ((vaddr & (size - 1)) || (vaddr & ~m->page_mask) + size > m->page_size) {
        return store_bytewise(m, c, mmu, vaddr, size, be, val);
    }
    io_write(m, c, io, vaddr, size, be, val);
    return SUT_OK;
}

static int cmpxchg_ll(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                      unsigned size, bool be, uint64_t *val)
{
    if (vaddr & (size - 1)) {
        return SUT_EALIGN; /* MO_ALIGN */
    }
    int rc = load_helper(m, c, mmu, vaddr, size, be, val);
    if (rc == SUT_OK) {
        c->exclusive_addr = vaddr;
        c->exclusive_val = *val;
        c->exclusive_size = size;
    }
    return rc;
}

static bool host_cmpxchg(uint8_t *haddr, unsigned size, uint64_t expected, uint64_t desired)
{
    switch (size) {
    case 1: {
        uint8_t e = (uint8_t)expected;
        return __atomic_compare_exchange_n(haddr, &e, (uint8_t)desired, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
    case 2: {
        uint16_t e = (uint16_t)expected;
        return __atomic_compare_exchange_n((uint16_t *)haddr, &e, (uint16_t)desired, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
    case 4: {
        uint32_t e = (uint32_t)expected;
        return __atomic_compare_exchange_n((uint32_t *)haddr, &e, (uint32_t)desired, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
    default: {
        uint64_t e = expected;
        return __atomic_compare_exchange_n((uint64_t *)haddr, &e, desired, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
    }
}

/* STREX: fail on another address; otherwise cmpxchg(exclusive_val -> val).
 * The comparison is of the access size (a size mismatch compares the low
 * bytes, as the sized atomic helpers do). */
static int cmpxchg_sc(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                      unsigned size, bool be, uint64_t val, int *status)
{
    if (vaddr & (size - 1)) {
        return SUT_EALIGN;
    }
    *status = 1;
    if (vaddr == c->exclusive_addr) {
        tlb_entry *te;
        iotlb_entry *io;
        int rc = probe_write(m, c, mmu, vaddr, &te, &io);
        if (rc) {
            return rc;
        }
        const uint64_t expected = to_le_bytes(c->exclusive_val, size, be);
        const uint64_t desired = to_le_bytes(val, size, be);
        const uint64_t hw = hw_addr_of(io, vaddr);
        if (io->kind == PHYS_ROM) {
            /* Not writable: the atomic cannot be performed. */
        } else if (io->kind == PHYS_MMIO) {
            /* Atomics on IO run serially with every vCPU stopped. */
            start_exclusive(m, c);
            uint64_t cur = 0;
            for (unsigned i = 0; i < size; i++) {
                cur |= (uint64_t)__atomic_load_n(&mmio_regs(m)[hw + i], __ATOMIC_RELAXED) << (8 * i);
            }
            if (cur == expected) {
                io_write(m, c, io, vaddr, size, be, val);
                *status = 0;
            }
            end_exclusive(m, c);
        } else {
            if (te->addr_write & SUT_TLB_NOTDIRTY) {
                /* The atomic helpers' notdirty handling: invalidate first. */
                tb_invalidate_phys_page(m, hw);
            }
            if (host_cmpxchg((uint8_t *)(uintptr_t)(vaddr + te->addend), size, expected,
                             desired)) {
                *status = 0;
                if (te->addr_write & SUT_TLB_NOTDIRTY) {
                    dirty_set_range(m, hw, size, m->dirty_nocode);
                }
            }
        }
    }
    c->exclusive_addr = UINT64_MAX;
    return SUT_OK;
}

static void cmpxchg_clrex(sut_machine *m, sut_cpu *c)
{
    (void)m;
    c->exclusive_addr = UINT64_MAX;
}

static bool cmpxchg_page_is_exclusive(const sut_machine *m, uint64_t ram_addr)
{
    (void)m;
    (void)ram_addr;
    return false;
}

const struct variant_ops sut_ops_cmpxchg = {
    .block_storage = true,
    .atomic_dirty_reads = true,
    .exec_regions = true,
    .fill_write_flags = cmpxchg_fill_write_flags,
    .evict = evict_nothing,
    .slow_store = cmpxchg_slow_store,
    .ll = cmpxchg_ll,
    .sc = cmpxchg_sc,
    .clrex = cmpxchg_clrex,
    .external_write = external_write_ignored,
    .ram_set_dirty = ram_set_dirty_excl,
    .page_is_exclusive = cmpxchg_page_is_exclusive,
};
