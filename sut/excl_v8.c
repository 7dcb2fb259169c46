/*
 * excl_v8.c - the v8 exclusive bitmap: one bit per page in the RCU block
 * storage, 1 = not exclusive, 0 = exclusive, global (not per vCPU), plus the
 * exclusive history: a FIFO of the last `history_len` pages that became
 * exclusive (spec 2.4, 2.7, 3.11). Shared by fixed, which corrects only how
 * pages leave the history.
 */
#include "internal.h"

static unsigned long *excl_word_map(const sut_machine *m, uint64_t addr, long *bit)
{
    return dirty_block_word_map(m, DIRTY_MEMORY_EXCLUSIVE, addr >> m->cfg.page_bits, bit);
}

void cpu_physical_memory_unset_excl(sut_machine *m, uint64_t addr)
{
    long bit;
    unsigned long *map = excl_word_map(m, addr, &bit);
    if (map) {
        bm_set_bit_atomic(bit, map);
    } else {
        STAT_INC(m, excl_bitmap_oob);
    }
}

bool excl_v8_bit_in_bounds(const sut_machine *m, uint64_t addr)
{
    long bit;
    return excl_word_map(m, addr, &bit) != NULL;
}

bool cpu_physical_memory_is_excl(const sut_machine *m, uint64_t addr)
{
    long bit;
    if (!excl_word_map(m, addr, &bit)) {
        /* test_bit past the storage: a host out-of-bounds read in QEMU. */
        STAT_INC((sut_machine *)m, excl_bitmap_oob);
        return false;
    }
    return !dirty_get(m, addr, DIRTY_MEMORY_EXCLUSIVE);
}

/* Returns the previous bit: true means "was not exclusive, now is". */
bool cpu_physical_memory_set_excl(sut_machine *m, uint64_t addr)
{
    long bit;
    unsigned long *map = excl_word_map(m, addr, &bit);
    if (!map) {
        STAT_INC(m, excl_bitmap_oob);
        return false;
    }
    return bm_bitmap_test_and_clear_atomic(map, bit, 1);
}

/* No lock in v8 (W21): last_idx and the slots are plain. may_release lets
 * fixed keep a page that still carries a live reservation (W6). */
void excl_history_put_addr(sut_machine *m, uint64_t hw_addr,
                           bool (*may_release)(sut_machine *, uint64_t))
{
    m->history_last_idx = (m->history_last_idx + 1) % m->cfg.history_len;
    uint64_t *slot = &m->excl_history[m->history_last_idx];
    if (*slot != EXCLUSIVE_RESET_ADDR && (!may_release || may_release(m, *slot))) {
        /* No TLB flush and no range reset happen here. */
        cpu_physical_memory_unset_excl(m, *slot);
    }
    *slot = hw_addr & m->page_mask;
}
