/*
 * bitmap.h - the backend seam for the bitmap primitives the design uses.
 *
 * Semantics are QEMU's (spec section 2.8): a bitmap is an array of unsigned
 * long, bit n lives in word n / BITS_PER_LONG at position n % BITS_PER_LONG.
 * Exactly one backend is linked into a binary, chosen at build time:
 *   builtin  sut/bitmap_builtin.c  - our reading of the semantics
 *   qemu     sut/bitmap_qemu.c     - wraps QEMU's util/bitmap.c + bitops.c
 * Nothing else in the tree may depend on which one it is.
 */
#ifndef SUT_BITMAP_H
#define SUT_BITMAP_H

#include <limits.h>
#include <stdbool.h>

#define BM_BITS_PER_LONG (sizeof(unsigned long) * CHAR_BIT)
#define BM_BITS_TO_LONGS(n) (((n) + BM_BITS_PER_LONG - 1) / BM_BITS_PER_LONG)

/* Name of the linked backend ("builtin", "qemu"). */
const char *bm_backend_name(void);

/* Atomic (per word) primitives. */
void bm_set_bit_atomic(long nr, unsigned long *map);
void bm_bitmap_set_atomic(unsigned long *map, long start, long nr);
bool bm_bitmap_test_and_clear_atomic(unsigned long *map, long start, long nr);

/* Plain primitives. */
bool bm_test_bit(long nr, const unsigned long *map);
void bm_bitmap_set(unsigned long *map, long start, long nr);
void bm_bitmap_clear(unsigned long *map, long start, long nr);
unsigned long bm_find_next_bit(const unsigned long *map, unsigned long size,
                               unsigned long offset);

/* Allocation: zeroed new map (nbits >= 1: QEMU's bitmap_new(0) aborts);
 * realloc-and-zero growth (may move the array); free. nbits must not shrink
 * (QEMU does not support it; callers check). */
unsigned long *bm_bitmap_new(long nbits);
unsigned long *bm_bitmap_zero_extend(unsigned long *old, long old_nbits,
                                     long new_nbits);
void bm_bitmap_free(unsigned long *map);

#endif
