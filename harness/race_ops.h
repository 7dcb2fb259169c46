/*
 * race_ops.h - the race targets' input: a config, one op list per vCPU
 * thread, and a schedule (issue 11). The op vocabulary is the llsc one
 * (llsc_ops.h); values are not in the input: every store, SC and DMA writes
 * a value unique in the run (spec 5.4), chosen by the driver.
 *
 * Byte grammar (every byte string is valid; missing header bytes read as 0):
 *   input  := h0 h1 s0 s1 s2 s3 op*
 *   h0     bits 0-1 threads {2,2,3,4}; bit 2 scheduled (PCT) else free;
 *          bits 3-4 PCT depth 1..4; bits 5-6 tlb_bits {1,2,3,4};
 *          bit 7 one TCG thread (mttcg off: v6-ST)
 *   h1     bits 0-1 page_bits {10,10,11,12}; bits 2-3 vtlb {0,1,2,8};
 *          bits 4-5 v8 history {4,1,2,64}; bits 6-7 dirty block bits {6,2,3,4}
 *   s0..s3 the schedule seed, little-endian
 *   op     := code args    thread (code >> 4) % threads, kind (code & 15) % ROP_N
 *     ll A z | sc A z | load A z | store A z | dma A z | tlb_flush_page A |
 *     protect_code A | clrex | run_work | tlb_flush | cpu_plug |
 *     ram_add z | resize b p | remove b | map x
 *   A  < 0xc0: RAM block 0, page A >> 6 (0..2), o = A & 63: byte 2*o if
 *      o < 56, else page_size - (64 - o) (the page end: 8-byte accesses cross);
 *      0xc0..0xdf: MMIO + (A & 31); 0xe0..0xff: alias page (A >> 3) & 3,
 *      byte 4 * (A & 7)
 *   z  size {4,8,1,2}[z & 3], big-endian data bit 2
 *   ram_add z  1 + (z & 3) pages, + 4 spare if z & 4 (resizeable)
 *   resize b p block b % blocks to 1 + p % 8 pages (block 0 never below 4)
 *   remove b   block 1 + b % (blocks - 1) (never block 0)
 *   map x      alias page x & 3 maps RAM page (x >> 2) & 3 of block 0
 * Block 0 (4 pages, 8 max, resizeable) exists from the start at ram_addr 0.
 * At most RACE_MAX_OPS ops in all; ops whose args run past the end end it.
 */
#ifndef HARNESS_RACE_OPS_H
#define HARNESS_RACE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RACE_HDR_LEN 6
#define RACE_MAX_THREADS 4
#define RACE_MAX_OPS 160
#define RACE_MAX_INPUT 1024
#define RACE_BLOCK0_PAGES 4
#define RACE_TRACKED_PAGES 4      /* block 0's first pages: all compared */
#define RACE_MMIO_TRACKED 64
#define RACE_ALIAS_BASE 0x180000000ULL
#define RACE_ALIAS_PAGES 4

enum race_opkind {
    ROP_LL,
    ROP_SC,
    ROP_LOAD,
    ROP_STORE,
    ROP_DMA,
    ROP_TLB_FLUSH_PAGE,
    ROP_PROTECT_CODE,
    ROP_CLREX,
    ROP_RUN_WORK,
    ROP_TLB_FLUSH,
    ROP_CPU_PLUG,
    ROP_RAM_ADD,
    ROP_RESIZE,
    ROP_REMOVE,
    ROP_MAP,
    ROP_N,
};

extern const char *const race_op_names[ROP_N];
extern const unsigned char race_op_arglen[ROP_N];

struct race_cfg {
    unsigned threads, depth, tlb_bits, page_bits, vtlb, history, block_bits;
    bool sched, st;
    uint32_t seed;
};

struct race_op {
    uint8_t kind, thread;
    uint8_t a;          /* the address byte (A), or map's x */
    uint8_t z;          /* size byte; ram_add's z; resize's p */
    uint8_t b;          /* resize/remove block selector */
    unsigned size;
    bool be;
    unsigned index;     /* position in the input (the verdict's op number) */
};

struct race_prog {
    struct race_cfg cfg;
    unsigned nops;
    struct race_op ops[RACE_MAX_OPS];
};

void race_decode(const uint8_t *data, size_t size, struct race_prog *p);
/* Whether kind may not run while another vCPU thread is in the middle of
 * an op (sut.h: removal, shrinking, map, protect_code, DMA, plug). */
bool race_op_exclusive(unsigned kind);
/* The guest-virtual address of A for a machine with page_bits. */
uint64_t race_addr(uint8_t a, unsigned page_bits);
void race_op_format(const struct race_op *op, unsigned page_bits, char *buf, size_t len);
void race_cfg_format(const struct race_cfg *c, char *buf, size_t len);

#endif
