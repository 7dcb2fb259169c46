/*
 * bitmap.c - fuzz target for the bitmap primitives behind sut/bitmap.h.
 *
 * The backend (builtin, qemu, ...) is chosen at link time by column 4 of
 * targets/LIST; this file does not know which one it drives.
 *
 * Fuzzer input protocol (every byte string is a valid input):
 *
 *   input := nbits:u16le op*             initial size in bits,
 *                                        1 + nbits % HX_BM_MAX_BITS; missing
 *                                        header bytes read as 0
 *   op    := code:u8 arg:u16le{nargs}    code % HX_BM_OP_COUNT; an op whose
 *                                        arguments are cut off ends the input
 *
 *   code  op                            args          checked after the op
 *   0     set_bit_atomic                NR            contents
 *   1     bitmap_set_atomic             START LEN     contents
 *   2     bitmap_test_and_clear_atomic  START LEN     result, contents
 *   3     test_bit                      NR            result, contents
 *   4     bitmap_set                    START LEN     contents
 *   5     bitmap_clear                  START LEN     contents
 *   6     find_next_bit                 SIZE OFFSET   result, contents
 *   7     bitmap_zero_extend            NEW_NBITS     contents (map may move)
 *   8     bitmap_new                    NBITS         contents (old map freed)
 *
 * Arguments are reduced against the current size n so every range lies in
 * [0, n): NR % n, START % (n + 1), LEN % (n - START + 1), SIZE and OFFSET
 * % (n + 1) each, NEW_NBITS = n + raw % (MAX - n + 1), NBITS = 1 + raw % MAX
 * (never an empty map: QEMU's bitmap_new(0) aborts, see bitmap_ops.h).
 * Zero lengths, zero sizes, unaligned ranges, OFFSET >= SIZE and growth
 * (in place or moving) are all reachable. At most HX_BM_MAX_OPS ops run; the rest of the
 * input is ignored. The text form is in harness/bitmap_ops.h; `build/tools/
 * optext --family bitmap to-text FILE` prints any input in it.
 *
 * Checks: a plain bool[] shadow is compared with the backend's storage after
 * every op (violation "bitmap-contents", printed as bit ranges), and return
 * values against the shadow ("bitmap-test-and-clear", "bitmap-test-bit",
 * "bitmap-find-next-bit"); allocation failures are "bitmap-alloc".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bitmap_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hx_bm_prog *prog = malloc(sizeof(*prog));

    if (!prog) {
        return 0;
    }
    hx_bm_decode(data, size, prog);
    hx_bm_run(prog);
    free(prog);
    return 0;
}
