/*
 * bitmap_builtin.c - our own implementation of the bitmap primitives, written
 * from the semantics in spec section 2.8 (including its word-walk shapes, so
 * that the race profile matches: plain stores of ~0 for full middle words,
 * atomic RMW for partial ones, a plain read before the xchg of a full word).
 */
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"

#define WORD(nr) ((unsigned long)(nr) / BM_BITS_PER_LONG)
#define MASK(nr) (1UL << ((unsigned long)(nr) % BM_BITS_PER_LONG))
/* Mask of the bits of the word holding bit `start` from `start` upwards. */
#define FIRST_MASK(start) (~0UL << ((unsigned long)(start) % BM_BITS_PER_LONG))
/* Mask of the bits of the last word below `nbits` (all ones if aligned). */
#define LAST_MASK(nbits) (~0UL >> (-(unsigned long)(nbits) % BM_BITS_PER_LONG))

const char *bm_backend_name(void) { return "builtin"; }

void bm_set_bit_atomic(long nr, unsigned long *map)
{
    __atomic_fetch_or(&map[WORD(nr)], MASK(nr), __ATOMIC_SEQ_CST);
}

bool bm_test_bit(long nr, const unsigned long *map)
{
    return (map[WORD(nr)] & MASK(nr)) != 0;
}

void bm_bitmap_set(unsigned long *map, long start, long nr)
{
    if (nr <= 0) {
        return;
    }
    unsigned long *p = map + WORD(start);
    const long size = start + nr;
    long bits_to_set = BM_BITS_PER_LONG - start % BM_BITS_PER_LONG;
    unsigned long mask = FIRST_MASK(start);

    while (nr - bits_to_set >= 0) {
        *p++ |= mask;
        nr -= bits_to_set;
        bits_to_set = BM_BITS_PER_LONG;
        mask = ~0UL;
    }
    if (nr) {
        *p |= mask & LAST_MASK(size);
    }
}

void bm_bitmap_clear(unsigned long *map, long start, long nr)
{
    if (nr <= 0) {
        return;
    }
    unsigned long *p = map + WORD(start);
    const long size = start + nr;
    long bits_to_clear = BM_BITS_PER_LONG - start % BM_BITS_PER_LONG;
    unsigned long mask = FIRST_MASK(start);

    while (nr - bits_to_clear >= 0) {
        *p++ &= ~mask;
        nr -= bits_to_clear;
        bits_to_clear = BM_BITS_PER_LONG;
        mask = ~0UL;
    }
    if (nr) {
        *p &= ~(mask & LAST_MASK(size));
    }
}

void bm_bitmap_set_atomic(unsigned long *map, long start, long nr)
{
    if (nr <= 0) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        return;
    }
    unsigned long *p = map + WORD(start);
    const long size = start + nr;
    long bits_to_set = BM_BITS_PER_LONG - start % BM_BITS_PER_LONG;
    unsigned long mask = FIRST_MASK(start);

    /* First word: only when the range reaches strictly past it. */
    if (nr - bits_to_set > 0) {
        __atomic_fetch_or(p, mask, __ATOMIC_SEQ_CST);
        nr -= bits_to_set;
        bits_to_set = BM_BITS_PER_LONG;
        mask = ~0UL;
        p++;
    }
    /* Full words: a plain store of ~0 is still a linearizable "set". */
    if (bits_to_set == (long)BM_BITS_PER_LONG) {
        while (nr >= (long)BM_BITS_PER_LONG) {
            __atomic_store_n(p, ~0UL, __ATOMIC_RELAXED);
            nr -= BM_BITS_PER_LONG;
            p++;
        }
    }
    if (nr) {
        __atomic_fetch_or(p, mask & LAST_MASK(size), __ATOMIC_SEQ_CST);
    } else {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
}

bool bm_bitmap_test_and_clear_atomic(unsigned long *map, long start, long nr)
{
    if (nr <= 0) {
        return false;
    }
    unsigned long *p = map + WORD(start);
    const long size = start + nr;
    long bits_to_clear = BM_BITS_PER_LONG - start % BM_BITS_PER_LONG;
    unsigned long mask = FIRST_MASK(start);
    unsigned long dirty = 0;

    if (nr - bits_to_clear > 0) {
        dirty |= __atomic_fetch_and(p, ~mask, __ATOMIC_SEQ_CST) & mask;
        nr -= bits_to_clear;
        bits_to_clear = BM_BITS_PER_LONG;
        p++;
    }
    if (bits_to_clear == (long)BM_BITS_PER_LONG) {
        while (nr >= (long)BM_BITS_PER_LONG) {
            /* Read first: a clean word costs no RMW. */
            if (__atomic_load_n(p, __ATOMIC_RELAXED)) {
                dirty |= __atomic_exchange_n(p, 0UL, __ATOMIC_SEQ_CST);
            }
            nr -= BM_BITS_PER_LONG;
            p++;
        }
    }
    if (nr) {
        mask = (bits_to_clear == (long)BM_BITS_PER_LONG ? ~0UL : mask) &
               LAST_MASK(size);
        dirty |= __atomic_fetch_and(p, ~mask, __ATOMIC_SEQ_CST) & mask;
    } else if (!dirty) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    return dirty != 0;
}

unsigned long bm_find_next_bit(const unsigned long *map, unsigned long size,
                               unsigned long offset)
{
    if (offset >= size) {
        return size;
    }
    unsigned long w = WORD(offset);
    unsigned long tmp = map[w] & FIRST_MASK(offset);
    const unsigned long last = WORD(size - 1);

    for (;;) {
        if (w == last) {
            tmp &= LAST_MASK(size);
        }
        if (tmp) {
            unsigned long bit = w * BM_BITS_PER_LONG + __builtin_ctzl(tmp);
            return bit < size ? bit : size;
        }
        if (w == last) {
            return size;
        }
        tmp = map[++w];
    }
}

unsigned long *bm_bitmap_new(long nbits)
{
    size_t n = nbits > 0 ? BM_BITS_TO_LONGS((unsigned long)nbits) : 1;
    return calloc(n, sizeof(unsigned long));
}

unsigned long *bm_bitmap_zero_extend(unsigned long *old, long old_nbits,
                                     long new_nbits)
{
    if (new_nbits < old_nbits || old_nbits < 0) {
        return NULL;
    }
    size_t n = new_nbits > 0 ? BM_BITS_TO_LONGS((unsigned long)new_nbits) : 1;
    unsigned long *map = realloc(old, n * sizeof(unsigned long));
    if (map) {
        bm_bitmap_clear(map, old_nbits, new_nbits - old_nbits);
    }
    return map;
}

void bm_bitmap_free(unsigned long *map)
{
    free(map);
}
