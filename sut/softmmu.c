/*
 * softmmu.c - the load and store helpers every variant shares (spec 3.7 entry,
 * 3.8): TLB lookup, victim TLB, fill, the fast path, page-crossing accesses
 * split into bytes (highest address first for stores), IO dispatch to the
 * MMIO device, ROM and notdirty_mem_write. What differs per variant is the
 * slow branch, reached through m->ops->slow_store when a flag is set.
 *
 * Guest RAM is accessed with relaxed atomics (one access per aligned datum):
 * guest memory races between vCPU threads are the guest's business, and must
 * not show up as TSan reports on the harness's side.
 */
#include <string.h>

#include "internal.h"

uint64_t to_le_bytes(uint64_t val, unsigned size, bool be)
{
    if (size < 8) {
        val &= (1ULL << (size * 8)) - 1;
    }
    if (!be) {
        return val;
    }
    return __builtin_bswap64(val) >> (64 - size * 8);
}

uint64_t from_le_bytes(uint64_t bytes, unsigned size, bool be)
{
    return to_le_bytes(bytes, size, be);
}

static bool aligned(uintptr_t p, unsigned size)
{
    return (p & (size - 1)) == 0;
}

uint64_t ram_host_load(const uint8_t *haddr, unsigned size)
{
    uint64_t v = 0;
    if (aligned((uintptr_t)haddr, size)) {
        switch (size) {
        case 1: return __atomic_load_n(haddr, __ATOMIC_RELAXED);
        case 2: return __atomic_load_n((const uint16_t *)haddr, __ATOMIC_RELAXED);
        case 4: return __atomic_load_n((const uint32_t *)haddr, __ATOMIC_RELAXED);
        case 8: return __atomic_load_n((const uint64_t *)haddr, __ATOMIC_RELAXED);
        }
    }
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)__atomic_load_n(haddr + i, __ATOMIC_RELAXED) << (8 * i);
    }
    return v;
}

void ram_host_store(uint8_t *haddr, unsigned size, uint64_t bytes)
{
    if (aligned((uintptr_t)haddr, size)) {
        switch (size) {
        case 1: __atomic_store_n(haddr, (uint8_t)bytes, __ATOMIC_RELAXED); return;
        case 2: __atomic_store_n((uint16_t *)haddr, (uint16_t)bytes, __ATOMIC_RELAXED); return;
        case 4: __atomic_store_n((uint32_t *)haddr, (uint32_t)bytes, __ATOMIC_RELAXED); return;
        case 8: __atomic_store_n((uint64_t *)haddr, bytes, __ATOMIC_RELAXED); return;
        }
    }
    for (unsigned i = 0; i < size; i++) {
        __atomic_store_n(haddr + i, (uint8_t)(bytes >> (8 * i)), __ATOMIC_RELAXED);
    }
}

/* Bytes of a write at ram_addr that stay inside the host memory of block b
 * (its max_length: the tail [used_length, max_length) is host memory too, and
 * takes the write as QEMU's would). Past it QEMU would corrupt the host: that
 * part is counted and dropped (W13, W19). */
static unsigned host_room(sut_machine *m, const ram_block *b, uint64_t ram_addr,
                          unsigned size)
{
    uint64_t room = b ? b->max_length - (ram_addr - b->offset) : 0;
    if (room < size) {
        STAT_INC(m, host_oob_write);
        return (unsigned)room;
    }
    return size;
}

static void host_write(uint8_t *haddr, unsigned size, uint64_t bytes)
{
    if (size == 1 || size == 2 || size == 4 || size == 8) {
        ram_host_store(haddr, size, bytes);
    } else {
        for (unsigned i = 0; i < size; i++) {
            ram_host_store(haddr + i, 1, bytes >> (8 * i));
        }
    }
}

/* The exclusive branches write RAM through the entry's addend, without
 * splitting at the page end and without any notdirty work: a write that runs
 * past the page lands on whatever follows in the block (W13), one to a code
 * page leaves its translations in place, one to ROM changes it (W15). */
void excl_ram_write(sut_machine *m, uint64_t ram_addr, uint8_t *haddr,
                    unsigned size, uint64_t bytes)
{
    host_write(haddr, host_room(m, ram_find(m, ram_addr, false), ram_addr, size), bytes);
}

static bool crosses_page(const sut_machine *m, uint64_t vaddr, unsigned size)
{
    return (vaddr & ~m->page_mask) + size > m->page_size;
}

/* ---- loads -------------------------------------------------------------- */

static uint64_t mmio_read(sut_machine *m, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)__atomic_load_n(&mmio_regs(m)[off + i], __ATOMIC_RELAXED) << (8 * i);
    }
    return v;
}

int load_helper(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                unsigned size, bool be, uint64_t *val)
{
    if (crosses_page(m, vaddr, size)) {
        uint64_t bytes = 0, b;
        for (unsigned i = 0; i < size; i++) {
            int rc = load_helper(m, c, mmu, vaddr + i, 1, false, &b);
            if (rc) {
                return rc;
            }
            bytes |= b << (8 * i);
        }
        *val = from_le_bytes(bytes, size, be);
        return SUT_OK;
    }
    const unsigned index = tlb_index(m, vaddr);
    tlb_entry *te = tlb_at(m, c, mmu, index);
    if (!tlb_hit(m, te->addr_read, vaddr) && !victim_tlb_hit(m, c, mmu, index, false, vaddr)) {
        int rc = tlb_fill(m, c, vaddr, mmu);
        if (rc) {
            return rc;
        }
    }
    uint64_t bytes;
    if (te->addr_read & ~m->page_mask) {
        bytes = mmio_read(m, hw_addr_of(iotlb_at(m, c, mmu, index), vaddr), size);
    } else {
        bytes = ram_host_load((const uint8_t *)(uintptr_t)(vaddr + te->addend), size);
    }
    *val = from_le_bytes(bytes, size, be);
    return SUT_OK;
}

/* ---- stores ------------------------------------------------------------- */

int probe_write(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                tlb_entry **te_out, iotlb_entry **io_out)
{
    const unsigned index = tlb_index(m, vaddr);
    tlb_entry *te = tlb_at(m, c, mmu, index);
    if (!tlb_hit(m, te->addr_write, vaddr) && !victim_tlb_hit(m, c, mmu, index, true, vaddr)) {
        int rc = tlb_fill(m, c, vaddr, mmu);
        if (rc) {
            return rc;
        }
    }
    *te_out = te;
    *io_out = iotlb_at(m, c, mmu, index);
    return SUT_OK;
}

/* do_unaligned_access: one byte at a time through the full helper. */
int store_bytewise(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                   unsigned size, bool be, uint64_t val)
{
    for (int i = (int)size - 1; i >= 0; i--) {
        uint64_t b = be ? val >> ((size - 1 - (unsigned)i) * 8) : val >> (i * 8);
        int rc = store_helper(m, c, mmu, vaddr + (unsigned)i, 1, false, b & 0xff);
        if (rc) {
            return rc;
        }
    }
    return SUT_OK;
}

int store_helper(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                 unsigned size, bool be, uint64_t val)
{
    tlb_entry *te;
    iotlb_entry *io;
    int rc = probe_write(m, c, mmu, vaddr, &te, &io);
    if (rc) {
        return rc;
    }
    if (te->addr_write & ~m->page_mask) {
        return m->ops->slow_store(m, c, mmu, vaddr, size, be, val, te, io);
    }
    if (crosses_page(m, vaddr, size)) {
        return store_bytewise(m, c, mmu, vaddr, size, be, val);
    }
    /* The fast path: no exclusive logic at all. */
    ram_host_store((uint8_t *)(uintptr_t)(vaddr + te->addend), size,
                   to_le_bytes(val, size, be));
    return SUT_OK;
}

/* memory_region_dispatch_write for the entry's kind. */
void io_write(sut_machine *m, sut_cpu *c, iotlb_entry *io, uint64_t vaddr,
              unsigned size, bool be, uint64_t val)
{
    const uint64_t hw = hw_addr_of(io, vaddr);
    const uint64_t bytes = to_le_bytes(val, size, be);

    switch (io->kind) {
    case PHYS_MMIO:
        /* The device logs each byte it receives: a guest store that reaches a
         * byte twice shows there (W19). Bytes past its register file would
         * be a host overflow here: counted, not written. */
        for (unsigned i = 0; i < size; i++) {
            if (hw + i >= SUT_MMIO_SIZE) {
                STAT_INC(m, host_oob_write);
                break;
            }
            mmio_device_write(m, hw + i, (uint8_t)(bytes >> (8 * i)));
        }
        break;
    case PHYS_ROM:
        break; /* writes to ROM are discarded */
    default:
        notdirty_mem_write(m, c, hw, vaddr, size, bytes);
        break;
    }
}

/* A store through a TLB_NOTDIRTY entry (spec W14): invalidate translated
 * code, store, then mark the page dirty for DIRTY_CLIENTS_NOCODE - which, as
 * the series left the mask, includes the exclusive client. */
void notdirty_mem_write(sut_machine *m, sut_cpu *c, uint64_t ram_addr,
                        uint64_t vaddr, unsigned size, uint64_t bytes)
{
    const ram_block *b = ram_find(m, ram_addr, true);
    if (!b) {
        return;
    }
    /* tb_invalidate_phys_page_fast: no TBs left, code bit back to dirty. */
    tb_invalidate_phys_page(m, ram_addr);
    /* Only a full-width write after a bytewise one (W19) can run past the
     * page here: it lands on what follows in the block's host memory. */
    size = host_room(m, b, ram_addr, size);
    host_write(b->host + (ram_addr - b->offset), size, bytes);
    dirty_set_range(m, ram_addr, size, m->dirty_nocode);
    if (!ram_is_clean(m, ram_addr)) {
        tlb_set_dirty(m, c, vaddr);
    }
}
