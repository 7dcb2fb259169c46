/*
 * bitmap_ops.h - the bitmap target's op sequence: byte grammar, decoder, text
 * codec (hx_codec_bitmap) and the runner that drives the linked bitmap backend
 * (sut/bitmap.h) next to a plain bool[] shadow, compared after every op.
 *
 * Byte grammar (any byte string is valid; see targets/bitmap.c):
 *   input  := nbits:u16le op*            missing header bytes read as 0
 *   op     := code:u8 arg:u16le{nargs}   code % HX_BM_OP_COUNT picks the op;
 *                                        an op whose args are cut off ends
 *                                        the input
 * Raw argument values are reduced against the current size n (tracked by the
 * decoder, so the decoded sequence never depends on what the backend does):
 *   NR            raw % n
 *   START         raw % (n + 1)
 *   LEN           raw % (n - START + 1)     ranges always lie inside [0, n)
 *   SIZE, OFFSET  raw % (n + 1) each        (OFFSET >= SIZE is allowed)
 *   NEW_NBITS     n + raw % (MAX - n + 1)   zero_extend only grows
 *   NBITS         1 + raw % MAX             header and bitmap_new
 * with MAX = HX_BM_MAX_BITS. Ops past HX_BM_MAX_OPS are ignored. No map is
 * ever empty: QEMU's bitmap_new(0) aborts (g_try_malloc0(0) is NULL), an
 * edge issue 5 keeps as a known finding; a fuzz target that reached it on
 * every empty input would find nothing else on the qemu backend.
 *
 * Text form (one op per line, `#` comments): a header line `nbits N`, then
 * `<name> <arg>...` with the names below. Values are the effective ones:
 * to_text prints them, from_text accepts only values inside the ranges
 * above (so a text means what it says) and stores the raw value that
 * reduces back to each.
 */
#ifndef HARNESS_BITMAP_OPS_H
#define HARNESS_BITMAP_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HX_BM_MAX_BITS 1024
#define HX_BM_MAX_OPS 128

/* Keep in the order of the name table in bitmap_ops.c: the text name of
 * HX_BM_OP_FOO is "foo" (ci/tests/41-opnames.sh checks it). */
enum hx_bm_opcode {
    HX_BM_OP_SET_BIT_ATOMIC,               /* NR */
    HX_BM_OP_BITMAP_SET_ATOMIC,            /* START LEN */
    HX_BM_OP_BITMAP_TEST_AND_CLEAR_ATOMIC, /* START LEN, checks the result */
    HX_BM_OP_TEST_BIT,                     /* NR, checks the result */
    HX_BM_OP_BITMAP_SET,                   /* START LEN */
    HX_BM_OP_BITMAP_CLEAR,                 /* START LEN */
    HX_BM_OP_FIND_NEXT_BIT,                /* SIZE OFFSET, checks the result */
    HX_BM_OP_BITMAP_ZERO_EXTEND,           /* NEW_NBITS (grows, may move) */
    HX_BM_OP_BITMAP_NEW,                   /* NBITS (frees, allocates anew) */
    HX_BM_OP_COUNT
};

struct hx_bm_op {
    enum hx_bm_opcode code;
    long a, b;  /* effective arguments (b unused by one-argument ops) */
};

struct hx_bm_prog {
    long nbits;      /* initial size */
    size_t nops;
    size_t used;     /* input bytes the ops consumed (rest ignored) */
    bool truncated;  /* the last op's arguments were cut off */
    struct hx_bm_op ops[HX_BM_MAX_OPS];
};

/* Text name and argument count of an opcode. */
const char *hx_bm_op_name(enum hx_bm_opcode code);
int hx_bm_op_nargs(enum hx_bm_opcode code);

/* Decode any bytes into *prog (never fails). */
void hx_bm_decode(const uint8_t *data, size_t len, struct hx_bm_prog *prog);

/* Run prog against the linked backend and the shadow model; any mismatch
 * ends in hx_violation (report.h). Op numbers in reports count from 1. */
void hx_bm_run(const struct hx_bm_prog *prog);

#endif
