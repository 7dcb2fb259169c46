/*
 * excl_v6.c - the v6 exclusive bitmap: EXCL_BITMAP_CELL_SZ bits ("a cell") per
 * page; bit n of a cell stands for every vCPU i with i % CELL_SZ == n
 * (spec 2.3, the seed mail). 1 = dirty (some vCPU of the cluster may lack
 * TLB_EXCL), 0 = exclusive. cpu == smp_cpus is the "all vCPUs" sentinel.
 *
 * Cells are written with word-wide atomic bit ops but read through a narrow
 * view of the word array (the seed's `((uint8_t *)bitmap)[page]`, the byte
 * that holds the cell for cells of 1, 2 or 4 bits): a plain
 * load that races with the RMWs (W1), and that reads another page's cell on a
 * big-endian host (the big_endian_host knob shows it here).
 */
#include <string.h>

#include "internal.h"

#define EXCL_BITMAP_CELL_SZ(m) ((m)->cfg.cell_sz)
#define EXCL_BITMAP_GET_BIT_OFFSET(m, addr) \
    (EXCL_BITMAP_CELL_SZ(m) * ((addr) >> (m)->cfg.page_bits))
#define EXCL_BITMAP_GET_CELL_OFFSET(m, addr) ((addr) >> (m)->cfg.page_bits)
#define EXCL_IDX(m, cpu) ((cpu) % EXCL_BITMAP_CELL_SZ(m))

static unsigned long *excl_map(const sut_machine *m)
{
    unsigned long *map = m->flat[DIRTY_MEMORY_EXCLUSIVE]; /* plain read: may be moving (W2) */
    SUT_SCHED_POINT(SUT_SP_BITMAP_READ);
    return map;
}

static uint64_t cell_ones(const sut_machine *m)
{
    return m->cfg.cell_sz == 64 ? UINT64_MAX : (1ULL << m->cfg.cell_sz) - 1;
}

/* Every access below is bounds-checked: an MMIO hw_addr (a region offset)
 * used as a ram_addr can point past the bitmap (W16). QEMU would read or
 * write out of bounds; we count it and act as if the cell were all ones. */
bool excl_v6_cell_in_bounds(const sut_machine *m, uint64_t addr)
{
    return EXCL_BITMAP_GET_CELL_OFFSET(m, addr) < dirty_pages_get(m);
}

static bool check_bounds(sut_machine *m, uint64_t addr)
{
    if (excl_v6_cell_in_bounds(m, addr)) {
        return true;
    }
    STAT_INC(m, excl_bitmap_oob);
    return false;
}

/* A cell narrower than a byte is read as the seed reads one of 8 bits, a
 * plain byte load, then shifted to the cell's bits within that byte. On a
 * big-endian host the byte is another part of the word (W1); the shift
 * within the byte is the same. */
static uint64_t sub_byte_cell_view(const sut_machine *m, const unsigned long *map,
                                   uint64_t cell)
{
    const uint64_t bit = cell * m->cfg.cell_sz;
    const unsigned shift = (unsigned)(bit % 8);
    uint8_t byte;

    if (!m->cfg.big_endian_host) {
        memcpy(&byte, (const char *)map + bit / 8, 1);
    } else {
        const unsigned long w = map[bit / BM_BITS_PER_LONG];
        const unsigned k = (unsigned)((bit / 8) % (BM_BITS_PER_LONG / 8));
        byte = (uint8_t)(w >> ((BM_BITS_PER_LONG / 8 - 1 - k) * 8));
    }
    return (byte >> shift) & cell_ones(m);
}

/* The narrow view: the cell of addr's page as the host's loads see it. */
static uint64_t cell_view(sut_machine *m, uint64_t addr)
{
    const unsigned n = m->cfg.cell_sz;
    const uint64_t cell = EXCL_BITMAP_GET_CELL_OFFSET(m, addr);
    const unsigned long *map = excl_map(m);

    if (n < 8) {
        return sub_byte_cell_view(m, map, cell);
    }
    if (!m->cfg.big_endian_host) {
        uint64_t v = 0;
        /* Little-endian host: element `cell` of the array viewed as uintN_t. */
        memcpy(&v, (const char *)map + cell * (n / 8), n / 8);
        return v;
    }
    /* Big-endian host: element j of a word holds the word's bits from the
     * top down, so it is another page's cell (W1). */
    const unsigned per_word = BM_BITS_PER_LONG / n;
    const unsigned long w = map[cell / per_word];
    const unsigned shift = (per_word - 1 - (unsigned)(cell % per_word)) * n;
    return (w >> shift) & cell_ones(m);
}

/* Was set_excl_dirty in v5: the cluster of cpu may lack TLB_EXCL. */
void cpu_physical_memory_unset_excl_v6(sut_machine *m, uint64_t addr, unsigned cpu)
{
    if (check_bounds(m, addr)) {
        bm_set_bit_atomic((long)(EXCL_BITMAP_GET_BIT_OFFSET(m, addr) + EXCL_IDX(m, cpu)),
                          excl_map(m));
    }
}

/* "Safe even if smp_cpus < CELL_SZ since the unused bits are always 1" (I5). */
bool cpu_physical_memory_atleast_one_excl(sut_machine *m, uint64_t addr)
{
    if (!check_bounds(m, addr)) {
        return false;
    }
    return cell_view(m, addr) != cell_ones(m);
}

unsigned long cpu_physical_memory_not_excl(sut_machine *m, uint64_t addr, unsigned cpu)
{
    const unsigned smp = m->cfg.smp_cpus;
    if (!check_bounds(m, addr)) {
        return 1;
    }
    uint64_t cell = cell_view(m, addr);
    if (cpu == smp) {
        if (smp >= EXCL_BITMAP_CELL_SZ(m)) {
            return cell != 0;
        }
        return (cell & ((1ULL << smp) - 1)) != 0;
    }
    return (cell & (1ULL << EXCL_IDX(m, cpu))) != 0;
}

/* Was clear_excl_dirty in v5; returns whether any cleared bit was 1. */
bool cpu_physical_memory_set_excl_v6(sut_machine *m, uint64_t addr, unsigned cpu)
{
    const unsigned smp = m->cfg.smp_cpus;
    if (!check_bounds(m, addr)) {
        return false;
    }
    if (cpu == smp) {
        long nr = smp >= EXCL_BITMAP_CELL_SZ(m) ? (long)EXCL_BITMAP_CELL_SZ(m) : (long)smp;
        return bm_bitmap_test_and_clear_atomic(
            excl_map(m), (long)EXCL_BITMAP_GET_BIT_OFFSET(m, addr), nr);
    }
    return bm_bitmap_test_and_clear_atomic(
        excl_map(m), (long)(EXCL_BITMAP_GET_BIT_OFFSET(m, addr) + EXCL_IDX(m, cpu)), 1);
}
