/*
 * invariant.c - see invariant.h.
 */
#include <inttypes.h>
#include <stdio.h>

#include "invariant.h"

struct unguarded {
    bool found;
    sut_tlb_view e;
};

static void note_unguarded(const sut_tlb_view *e, void *ctx)
{
    struct unguarded *u = ctx;

    if (!u->found && !(e->flags & (SUT_TLB_EXCL | SUT_TLB_MMIO))) {
        u->found = true;
        u->e = *e;
    }
}

bool fixed_invariants_hold(const sut_machine *m, const char **property,
                           char *msg, size_t len)
{
    const sut_config *c = sut_get_config(m);
    const uint64_t page = 1ULL << c->page_bits;
    /* Pages already found guarded: vCPUs often reserve the same one, and
     * each look walks every vCPU's TLBs. */
    uint64_t seen[8];
    unsigned nseen = 0;

    for (unsigned cpu = 0; cpu < sut_cpus_present(m); cpu++) {
        uint64_t b, e;
        if (!sut_reservation(m, cpu, &b, &e) || e <= b) {
            continue;
        }
        /* An MMIO reservation has no page in the bitmap: its stores always
         * take the IO path, which checks the ranges itself. */
        if (b >= SUT_MMIO_BASE) {
            continue;
        }
        for (uint64_t p = b & ~(page - 1); p < e; p += page) {
            if (!sut_page_is_exclusive(m, p)) {
                *property = "reservation-not-exclusive";
                snprintf(msg, len,
                         "vCPU%u's reservation [0x%" PRIx64 ", 0x%" PRIx64
                         ") is live but page 0x%" PRIx64 " is not exclusive",
                         cpu, b, e, p);
                return false;
            }
            bool done = false;
            for (unsigned i = 0; i < nseen; i++) {
                done |= seen[i] == p;
            }
            if (done) {
                continue;
            }
            struct unguarded u = {0};
            sut_tlb_write_entries(m, p, note_unguarded, &u);
            if (u.found) {
                *property = "reservation-unguarded";
                snprintf(msg, len,
                         "vCPU%u's reservation [0x%" PRIx64 ", 0x%" PRIx64
                         ") is live but vCPU%u's %s write entry for vaddr 0x%" PRIx64
                         " (mmu %u) maps page 0x%" PRIx64 " without TLB_EXCL"
                         " (flags 0x%x): its stores take the fast path",
                         cpu, b, e, u.e.cpu, u.e.victim ? "victim" : "main",
                         u.e.vaddr, u.e.mmu_idx, p, u.e.flags);
                return false;
            }
            if (nseen < 8) {
                seen[nseen++] = p;
            }
        }
    }
    return true;
}
