/*
 * peek.c - the machine's loops that feed a fuzzer nothing: the harness's
 * reads it runs after every op (sut_peek: guest memory for the oracle;
 * sut_get_stats; sut_reservation and sut_tlb_write_entries: fixed's
 * invariants), and the count of the entries a full flush drops. The fuzz
 * builds compile this file without comparison tracing (mk/fuzz.mk): these
 * loops were a fifth of libFuzzer's time. sut_peek reads with relaxed atomic
 * loads (vCPU threads may be storing), eight bytes at a time where the
 * source is aligned.
 */
#include <string.h>

#include "internal.h"

static void copy_relaxed(uint8_t *out, const uint8_t *src, size_t n)
{
    size_t i = 0;

    for (; i < n && ((uintptr_t)(src + i) & 7); i++) {
        out[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w = __atomic_load_n((const uint64_t *)(const void *)(src + i),
                                     __ATOMIC_RELAXED);
        memcpy(out + i, &w, 8);
    }
    for (; i < n; i++) {
        out[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    }
}

int sut_peek(const sut_machine *m, uint64_t paddr, void *buf, size_t len)
{
    uint8_t *out = buf;
    if (!m || (!buf && len)) {
        return SUT_EINVAL;
    }
    /* One run per block or device. */
    while (len) {
        const uint8_t *src;
        uint64_t room;
        if (paddr >= SUT_MMIO_BASE && paddr - SUT_MMIO_BASE < SUT_MMIO_SIZE) {
            src = mmio_regs(m) + (paddr - SUT_MMIO_BASE);
            room = SUT_MMIO_SIZE - (paddr - SUT_MMIO_BASE);
        } else {
            const ram_block *b = ram_find(m, paddr, false);
            if (!b) {
                return SUT_EFAULT;
            }
            src = b->host + (paddr - b->offset);
            room = b->max_length - (paddr - b->offset);
        }
        size_t n = room < len ? (size_t)room : len;
        copy_relaxed(out, src, n);
        out += n;
        paddr += n;
        len -= n;
    }
    return SUT_OK;
}

/* One virtual page, every vCPU and MMU mode: entries that map it onto ppage. */
static unsigned write_entries_at(const sut_machine *m, uint64_t vpage, uint64_t ppage,
                                 void (*fn)(const sut_tlb_view *, void *), void *ctx)
{
    const unsigned nv = m->cfg.vtlb_size;
    unsigned n = 0;
    for (unsigned cpu = 0; cpu < cpus_present(m); cpu++) {
        const sut_cpu *c = &m->cpus[cpu];
        for (unsigned mmu = 0; mmu < m->cfg.mmu_modes; mmu++) {
            for (unsigned v = 0; v <= nv; v++) {
                const bool victim = v < nv;
                const size_t i = victim ? mmu * nv + v
                                        : mmu * m->tlb_size + tlb_index(m, vpage);
                const tlb_entry *te = victim ? &c->vtlb[i] : &c->tlb[i];
                const iotlb_entry *io = victim ? &c->viotlb[i] : &c->iotlb[i];
                if (!tlb_hit(m, te->addr_write, vpage)) {
                    continue;
                }
                uint64_t pa = hw_addr_of(io, vpage);
                pa += io->kind == PHYS_MMIO ? SUT_MMIO_BASE : 0;
                if ((pa & m->page_mask) != ppage) {
                    continue;
                }
                const sut_tlb_view e = {cpu, mmu, victim, vpage,
                                        (unsigned)(te->addr_write & ~m->page_mask)};
                fn(&e, ctx);
                n++;
            }
        }
    }
    return n;
}

unsigned sut_tlb_write_entries(const sut_machine *m, uint64_t paddr,
                               void (*fn)(const sut_tlb_view *e, void *ctx), void *ctx)
{
    if (!m || !fn || paddr >= SUT_VADDR_LIMIT) {
        return 0;
    }
    const uint64_t ppage = paddr & m->page_mask;
    uint64_t pa;
    unsigned n = 0;
    /* The identity mapping, unless an alias took that virtual page... */
    if (translate(m, ppage, &pa) == SUT_OK && (pa & m->page_mask) == ppage) {
        n += write_entries_at(m, ppage, ppage, fn, ctx);
    }
    /* ...and every other virtual page aliased onto it. */
    for (unsigned i = 0; i < m->n_alias; i++) {
        if (m->alias[i].ppage == ppage && m->alias[i].vpage != ppage) {
            n += write_entries_at(m, m->alias[i].vpage, ppage, fn, ctx);
        }
    }
    return n;
}

void sut_get_stats(const sut_machine *m, sut_stats *out)
{
    const uint64_t *src = (const uint64_t *)&m->stats;
    uint64_t *dst = (uint64_t *)out;
    for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++) {
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    }
}

bool sut_reservation(const sut_machine *m, unsigned cpu, uint64_t *begin, uint64_t *end)
{
    if (!m || cpu >= cpus_present(m)) {
        return false;
    }
    const sut_cpu *c = &m->cpus[cpu];
    if (c->range_begin == EXCLUSIVE_RESET_ADDR) {
        return false;
    }
    *begin = c->range_begin;
    *end = c->range_end;
    return true;
}

uint64_t tlb_valid_entries(const tlb_entry *t, size_t n)
{
    uint64_t valid = 0;
    for (size_t i = 0; i < n; i++) {
        valid += t[i].addr_read != UINT64_MAX || t[i].addr_write != UINT64_MAX;
    }
    return valid;
}
