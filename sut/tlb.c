/*
 * tlb.c - the per-vCPU softmmu TLB (spec 2.5, 3.3, 3.4): CPU_TLB_SIZE entries
 * per MMU mode, a victim TLB, fills from the guest mapping, flushes, and the
 * per-vCPU work queue that async_run_on_cpu feeds.
 */
#include <string.h>

#include "internal.h"

int translate(const sut_machine *m, uint64_t vaddr, uint64_t *paddr)
{
    if (vaddr >= SUT_VADDR_LIMIT) {
        return SUT_EFAULT;
    }
    uint64_t vpage = vaddr & m->page_mask;
    for (unsigned i = 0; i < m->n_alias; i++) {
        if (m->alias[i].vpage == vpage) {
            *paddr = m->alias[i].ppage | (vaddr & ~m->page_mask);
            return SUT_OK;
        }
    }
    *paddr = vaddr;
    return SUT_OK;
}

/* On a hit the main and victim entries swap, flags and all. */
bool victim_tlb_hit(sut_machine *m, sut_cpu *c, unsigned mmu, unsigned index,
                    bool write, uint64_t vaddr)
{
    for (unsigned v = 0; v < m->cfg.vtlb_size; v++) {
        tlb_entry *ve = &c->vtlb[mmu * m->cfg.vtlb_size + v];
        if (tlb_hit(m, write ? ve->addr_write : ve->addr_read, vaddr)) {
            iotlb_entry *vio = &c->viotlb[mmu * m->cfg.vtlb_size + v];
            tlb_entry tmp = *tlb_at(m, c, mmu, index);
            iotlb_entry tio = *iotlb_at(m, c, mmu, index);
            *tlb_at(m, c, mmu, index) = *ve;
            *iotlb_at(m, c, mmu, index) = *vio;
            *ve = tmp;
            *vio = tio;
            return true;
        }
    }
    return false;
}

static void entry_invalidate(tlb_entry *te)
{
    te->addr_read = UINT64_MAX;
    te->addr_write = UINT64_MAX;
    te->addend = 0;
}

/* tlb_set_page_with_attrs for a guest page that translate() resolved. */
static void tlb_set_page(sut_machine *m, sut_cpu *c, uint64_t vaddr, uint64_t paddr,
                         unsigned mmu, enum phys_kind kind, const ram_block *b)
{
    const uint64_t vpage = vaddr & m->page_mask, ppage = paddr & m->page_mask;
    const unsigned index = tlb_index(m, vaddr);
    tlb_entry *te = tlb_at(m, c, mmu, index);
    iotlb_entry *io = iotlb_at(m, c, mmu, index);
    uint64_t address = vpage, ram_addr = 0, iotlb_base;
    uintptr_t addend = 0;

    if (kind == PHYS_MMIO) {
        address |= SUT_TLB_MMIO;
        iotlb_base = ppage - SUT_MMIO_BASE;     /* a region offset (W16) */
    } else {
        ram_addr = ppage;                       /* guest-physical == ram_addr */
        iotlb_base = ram_addr;
        addend = (uintptr_t)(b->host + (ram_addr - b->offset)) - (uintptr_t)vpage;
    }

    const uint64_t fill = __atomic_add_fetch(&m->stats.tlb_fills, 1, __ATOMIC_RELAXED);
    /* The v6 eviction hook looks at the entry before it is replaced. */
    m->ops->evict(m, c, te, io);

    /* Evict the old entry into the victim TLB. */
    if (m->cfg.vtlb_size) {
        unsigned vidx = c->vtlb_index++ % m->cfg.vtlb_size;
        c->vtlb[mmu * m->cfg.vtlb_size + vidx] = *te;
        c->viotlb[mmu * m->cfg.vtlb_size + vidx] = *io;
    }

    c->tlb_filled = true;
    c->tables_pristine = false;
    io->addr = iotlb_base - vpage;
    io->kind = (uint8_t)kind;
    io->fill = (uint32_t)fill;
    te->addend = addend;
    te->addr_read = address;
    if (kind == PHYS_MMIO) {
        te->addr_write = address;
    } else if (kind == PHYS_ROM) {
        te->addr_write = address | SUT_TLB_MMIO;   /* ROM writes go to IO */
    } else {
        te->addr_write = address | m->ops->fill_write_flags(m, ram_addr);
    }
}

int tlb_fill(sut_machine *m, sut_cpu *c, uint64_t vaddr, unsigned mmu)
{
    uint64_t paddr;
    int rc = translate(m, vaddr, &paddr);
    if (rc) {
        return rc;
    }
    if (paddr >= SUT_MMIO_BASE && paddr - SUT_MMIO_BASE < SUT_MMIO_SIZE) {
        tlb_set_page(m, c, vaddr, paddr, mmu, PHYS_MMIO, NULL);
        return SUT_OK;
    }
    const ram_block *b = ram_find(m, paddr, true);
    if (!b) {
        return SUT_EFAULT;
    }
    tlb_set_page(m, c, vaddr, paddr, mmu, (b->flags & SUT_RAM_ROM) ? PHYS_ROM : PHYS_RAM, b);
    return SUT_OK;
}

/* tlb_flush_nocheck: every entry of every MMU mode, main and victim. It does
 * not touch the exclusive bitmap. What it throws away is counted: a whole
 * flush costs every page the vCPU had mapped, not only the one that changed
 * (W22). */
void tlb_flush_now(sut_machine *m, sut_cpu *c)
{
    /* memset to -1 as QEMU does: every addr_* invalid, addend -1 unused.
     * Nothing filled since the last flush: every entry is invalid already
     * (a fuzz input flushes fresh TLBs when it maps its first block). */
    if (c->tlb_filled) {
        const uint64_t dropped =
            tlb_valid_entries(c->tlb, (size_t)m->cfg.mmu_modes * m->tlb_size) +
            tlb_valid_entries(c->vtlb, (size_t)m->cfg.mmu_modes * m->cfg.vtlb_size);
        __atomic_fetch_add(&m->stats.flushed_entries, dropped, __ATOMIC_RELAXED);
        memset(c->tlb, -1, (size_t)m->cfg.mmu_modes * m->tlb_size * sizeof(*c->tlb));
        memset(c->vtlb, -1, (size_t)m->cfg.mmu_modes * m->cfg.vtlb_size * sizeof(*c->vtlb));
        c->tlb_filled = false;
    }
    c->vtlb_index = 0;
    STAT_INC(m, flushes_full);
}

void tlb_flush_page_now(sut_machine *m, sut_cpu *c, uint64_t vaddr)
{
    const unsigned index = tlb_index(m, vaddr);
    STAT_INC(m, flushes_page);
    for (unsigned mmu = 0; mmu < m->cfg.mmu_modes; mmu++) {
        tlb_entry *te = tlb_at(m, c, mmu, index);
        if (tlb_hit(m, te->addr_read, vaddr) || tlb_hit(m, te->addr_write, vaddr)) {
            entry_invalidate(te);
        }
        for (unsigned v = 0; v < m->cfg.vtlb_size; v++) {
            tlb_entry *ve = &c->vtlb[mmu * m->cfg.vtlb_size + v];
            if (tlb_hit(m, ve->addr_read, vaddr) || tlb_hit(m, ve->addr_write, vaddr)) {
                entry_invalidate(ve);
            }
        }
    }
}

void tlb_flush_all_cpus_now(sut_machine *m)
{
    for (unsigned i = 0; i < cpus_present(m); i++) {
        tlb_flush_now(m, &m->cpus[i]);
    }
}

/* A RAM-map change (block mapped, block resized) commits a memory
 * transaction, and TCG's listener flushes every vCPU's TLB, victim TLB
 * included (tcg_commit -> cpu_reload_memory_map -> tlb_flush(cpu, 1)): at
 * once with one TCG thread, as queued work on each vCPU under MTTCG, like any
 * other cross-vCPU flush (spec 3.2). */
void tlb_flush_ram_map_changed(sut_machine *m)
{
    for (unsigned i = 0; i < cpus_present(m); i++) {
        if (m->cfg.mttcg) {
            async_run_on_cpu(m, &m->cpus[i], WORK_FLUSH);
        } else {
            tlb_flush_now(m, &m->cpus[i]);
        }
    }
}

/* Queue work for the vCPU's next TB boundary. A full flush already queued
 * covers a second one, so duplicates are merged (same effect, bounded queue). */
bool async_run_on_cpu(sut_machine *m, sut_cpu *c, enum work_kind w)
{
    bool queued = false;
    pthread_mutex_lock(&c->wq_lock);
    bool dup = false;
    for (unsigned i = 0; i < c->wq_n; i++) {
        dup |= c->wq[i] == w;
    }
    if (!dup && c->wq_n < WORK_QUEUE_MAX) {
        c->wq[c->wq_n++] = (uint8_t)w;
        queued = true;
    }
    pthread_mutex_unlock(&c->wq_lock);
    if (queued) {
        STAT_INC(m, flushes_queued);
        SUT_SCHED_POINT(SUT_SP_FLUSH_QUEUED);
    }
    return queued;
}

int run_work(sut_machine *m, sut_cpu *c)
{
    uint8_t items[WORK_QUEUE_MAX];
    unsigned n;

    SUT_SCHED_POINT(SUT_SP_WORK_DRAIN);
    pthread_mutex_lock(&c->wq_lock);
    n = c->wq_n;
    memcpy(items, c->wq, n);
    c->wq_n = 0;
    pthread_mutex_unlock(&c->wq_lock);
    for (unsigned i = 0; i < n; i++) {
        tlb_flush_now(m, c);
        if (items[i] == WORK_FLUSH_V6MT) {
            __atomic_store_n(&c->pending_tlb_flush, 0, __ATOMIC_SEQ_CST);
        }
    }
    SUT_SCHED_POINT(SUT_SP_WORK_DRAINED);
    return (int)n;
}

/* tlb_reset_dirty_range for one guest page: entries without INVALID, MMIO
 * or NOTDIRTY that map it get NOTDIRTY, TLB_EXCL ones included (W15). */
void tlb_reset_dirty_range(sut_machine *m, uint64_t ram_addr)
{
    const ram_block *b = ram_find(m, ram_addr, false);
    if (!b) {
        return;
    }
    const uintptr_t host = (uintptr_t)(b->host + ((ram_addr & m->page_mask) - b->offset));
    for (unsigned ci = 0; ci < cpus_present(m); ci++) {
        sut_cpu *c = &m->cpus[ci];
        for (unsigned pass = 0; pass < 2; pass++) {
            tlb_entry *t = pass ? c->vtlb : c->tlb;
            unsigned n = m->cfg.mmu_modes * (pass ? m->cfg.vtlb_size : m->tlb_size);
            for (unsigned i = 0; i < n; i++) {
                uint64_t aw = t[i].addr_write;
                if (aw & (SUT_TLB_INVALID_MASK | SUT_TLB_MMIO | SUT_TLB_NOTDIRTY)) {
                    continue;
                }
                if ((aw & m->page_mask) + t[i].addend == host) {
                    t[i].addr_write = aw | SUT_TLB_NOTDIRTY;
                }
            }
        }
    }
}

/* After a notdirty write: drop NOTDIRTY only from an entry that is exactly
 * vaddr | NOTDIRTY, so TLB_EXCL | TLB_NOTDIRTY keeps it for good (W15). */
void tlb_set_dirty(sut_machine *m, sut_cpu *c, uint64_t vaddr)
{
    const uint64_t want = (vaddr & m->page_mask) | SUT_TLB_NOTDIRTY;
    for (unsigned mmu = 0; mmu < m->cfg.mmu_modes; mmu++) {
        tlb_entry *te = tlb_at(m, c, mmu, tlb_index(m, vaddr));
        if (te->addr_write == want) {
            te->addr_write = vaddr & m->page_mask;
        }
        for (unsigned v = 0; v < m->cfg.vtlb_size; v++) {
            tlb_entry *ve = &c->vtlb[mmu * m->cfg.vtlb_size + v];
            if (ve->addr_write == want) {
                ve->addr_write = vaddr & m->page_mask;
            }
        }
    }
}
