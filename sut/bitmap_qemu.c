/*
 * bitmap_qemu.c - the `qemu` bitmap backend: every bm_* primitive of
 * sut/bitmap.h is a direct call of QEMU's own code, compiled from the tree
 * in $(QEMU_SRC) (see mk/qemu.mk):
 *   util/bitmap.c   bitmap_set, bitmap_clear, bitmap_set_atomic,
 *                   bitmap_test_and_clear_atomic
 *   util/bitops.c   find_next_bit
 *   include/qemu/bitops.h, bitmap.h (inline)
 *                   set_bit_atomic, test_bit, bitmap_new, bitmap_zero_extend
 * plus glib's g_free, the deallocator matching bitmap_new's g_try_malloc0.
 *
 * No argument is checked or adjusted here: the caller gets QEMU's behaviour,
 * edge cases included (an assert on a negative count, abort() from
 * bitmap_new when g_try_malloc0 returns NULL, which it does for 0 bytes).
 * Differences from the builtin backend are findings (ci/qemu-findings.txt).
 *
 * Compiled with -std=gnu11 (QEMU's headers use typeof and statement
 * expressions) and QEMU's include directory as a system directory, so our
 * -Werror does not judge QEMU's headers; this file itself is held to it.
 */
#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/bitmap.h"

#include "bitmap.h"

/* The seam and QEMU must agree on the layout (spec section 2.8). */
_Static_assert(BM_BITS_PER_LONG == BITS_PER_LONG, "BITS_PER_LONG differs");

const char *bm_backend_name(void) { return "qemu"; }

void bm_set_bit_atomic(long nr, unsigned long *map)
{
    set_bit_atomic(nr, map);
}

void bm_bitmap_set_atomic(unsigned long *map, long start, long nr)
{
    bitmap_set_atomic(map, start, nr);
}

bool bm_bitmap_test_and_clear_atomic(unsigned long *map, long start, long nr)
{
    return bitmap_test_and_clear_atomic(map, start, nr);
}

bool bm_test_bit(long nr, const unsigned long *map)
{
    return test_bit(nr, map) != 0;
}

void bm_bitmap_set(unsigned long *map, long start, long nr)
{
    bitmap_set(map, start, nr);
}

void bm_bitmap_clear(unsigned long *map, long start, long nr)
{
    bitmap_clear(map, start, nr);
}

unsigned long bm_find_next_bit(const unsigned long *map, unsigned long size,
                               unsigned long offset)
{
    return find_next_bit(map, size, offset);
}

unsigned long *bm_bitmap_new(long nbits)
{
    return bitmap_new(nbits);
}

unsigned long *bm_bitmap_zero_extend(unsigned long *old, long old_nbits,
                                     long new_nbits)
{
    return bitmap_zero_extend(old, old_nbits, new_nbits);
}

void bm_bitmap_free(unsigned long *map)
{
    g_free(map);
}
