/*
 * config.c - machine knobs (spec 5.4): defaults, validation, names.
 */
#include <string.h>

#include "internal.h"

static const char *const variant_names[SUT_NVARIANTS] = {
    [SUT_V6] = "v6", [SUT_V8] = "v8", [SUT_FIXED] = "fixed", [SUT_CMPXCHG] = "cmpxchg",
};

void sut_config_default(sut_config *c, enum sut_variant v)
{
    memset(c, 0, sizeof(*c));
    c->variant = v;
    c->smp_cpus = 2;
    c->max_cpus = 2;
    c->page_bits = 10;        /* 32-bit ARM softmmu */
    c->tlb_bits = 8;          /* CPU_TLB_SIZE 256 */
    c->vtlb_size = 8;         /* CPU_VTLB_SIZE */
    c->mmu_modes = 7;         /* ARM NB_MMU_MODES in the 2.4 tree */
    c->cell_sz = 8;           /* EXCL_BITMAP_CELL_SZ */
    c->history_len = 64;
    c->mttcg = false;
    c->big_endian_host = false;
    c->ram_limit = 64ULL << 20;
    c->dirty_block_bits = 21; /* DIRTY_MEMORY_BLOCK_SIZE = 256 * 1024 * 8 */
}

int sut_config_check(const sut_config *c)
{
    if (!c || (unsigned)c->variant >= SUT_NVARIANTS) {
        return SUT_EINVAL;
    }
    unsigned max_cpus = c->max_cpus ? c->max_cpus : c->smp_cpus;
    if (c->smp_cpus < 1 || c->smp_cpus > SUT_MAX_CPUS || max_cpus < c->smp_cpus ||
        max_cpus > SUT_MAX_CPUS || c->plug_cpus > SUT_MAX_CPUS - max_cpus) {
        return SUT_EINVAL;
    }
    if (c->page_bits < SUT_MIN_PAGE_BITS || c->page_bits > SUT_MAX_PAGE_BITS ||
        c->tlb_bits < 1 || c->tlb_bits > SUT_MAX_TLB_BITS || c->vtlb_size > SUT_MAX_VTLB ||
        c->mmu_modes < 1 || c->mmu_modes > SUT_MAX_MMU_MODES) {
        return SUT_EINVAL;
    }
    /* 1, 2 and 4 go below the seed's byte: the design-space explorer asks
     * what a smaller cell trades (ci/cmd-explore.sh). */
    if (c->cell_sz == 0 || c->cell_sz > 64 || (c->cell_sz & (c->cell_sz - 1))) {
        return SUT_EINVAL;
    }
    if (c->history_len < 1 || c->history_len > SUT_MAX_HISTORY) {
        return SUT_EINVAL;
    }
    const uint64_t page = 1ULL << c->page_bits;
    if (c->ram_limit < page || c->ram_limit > SUT_MAX_RAM_LIMIT || (c->ram_limit & (page - 1))) {
        return SUT_EINVAL;
    }
    if (c->dirty_block_bits < 2 || c->dirty_block_bits > 21) {
        return SUT_EINVAL;
    }
    return SUT_OK;
}

const char *sut_variant_name(enum sut_variant v)
{
    return (unsigned)v < SUT_NVARIANTS ? variant_names[v] : "?";
}

int sut_variant_parse(const char *name, enum sut_variant *out)
{
    for (unsigned v = 0; name && v < SUT_NVARIANTS; v++) {
        if (strcmp(name, variant_names[v]) == 0) {
            *out = (enum sut_variant)v;
            return SUT_OK;
        }
    }
    return SUT_EINVAL;
}

const char *sut_strerror(int err)
{
    switch (err) {
    case SUT_OK: return "ok";
    case SUT_EINVAL: return "invalid argument";
    case SUT_EFAULT: return "address not mapped";
    case SUT_ENOMEM: return "out of memory";
    case SUT_ENOSPC: return "ram_addr space or table full";
    case SUT_ENOENT: return "no RAM block at that offset";
    case SUT_EALIGN: return "unaligned exclusive access";
    default: return "unknown error";
    }
}
