/*
 * llsc_ops.h - the byte grammar of the LL/SC fuzz targets, decoded into an
 * op array, and its readable text form (hx_codec_llsc in codec.h).
 *
 * Byte grammar (every byte string is valid; missing header bytes read as 0):
 *
 *   input  := header op*                 at most LLSC_MAX_INPUT bytes are read,
 *                                        at most LLSC_MAX_OPS ops decoded
 *   header := h0 h1 h2 h3 h4
 *     h1   bits 0-1 vCPUs present at boot beyond cpus {0,0,1,2} (hotplug;
 *          max_cpus = cpus + this, at most 64); bits 2-3 cell size: 0-2 ->
 *          8 (the RFC's), 3 -> {16,16,32,64}[h0 >> 6]; bit 4 mttcg;
 *          bit 5 big-endian host; bits 6-7 MMU modes {1,2,3,7}
 *     h0   n = h0 & 15; cpus = (h0 & 0x30) == 0x30 ? min(64, cell + 1 + n)
 *          (more vCPUs than a cell has bits: W3 at any cell size up to 32)
 *          : h0 & 0x10 ? 9 + n % 12 : 1 + (n + 1) % 8 (h0 = 0: 2 vCPUs)
 *     h2   bits 0-2 tlb_bits {1,2,3,4,1,2,5,8}; bits 3-5 vtlb {8,0,1,2,4,16,3,7}
 *          bits 6-7 page_bits {10,10,11,12}
 *          with more than LLSC_BIG_CPUS vCPUs, tlb_bits and vtlb are capped
 *          at 4 and MMU modes at 2, so that an input stays small
 *     h3   bits 0-2 history {4,1,2,3,8,16,64,4096}
 *          bits 3-5 default block pages {4,1,2,3,5,6,7,8}
 *          bits 6-7 its extra max pages {4,0,1,8} (resizeable)
 *     h4   bits 0-1 dirty block bits {6,2,3,4} (pages per RCU block of the
 *          v8/fixed/cmpxchg storage: 64, 4, 8, 16, so the block array grows)
 *          bits 2-3 RAM limit pages {32,128,64,32}, at most LLSC_MAX_RAM bytes
 *   op     := opcode args                opcode byte % LOP_N picks the op;
 *                                        an op whose args run past the end
 *                                        ends the input
 *     ll        c A z        sc    c A z v     load  c A z     store c A z v
 *     clrex     c            run_work c        tlb_flush c
 *     tlb_flush_page c A     protect_code A    dma   A z v
 *     ram_add   z f          resize b p        remove b        map   j A
 *     cpu_plug             (no args; skipped once LLSC_MAX_PLUGS vCPUs, or
 *                          64 in all, were plugged)
 *   c  with max_cpus + LLSC_MAX_PLUGS <= 32: cpu = (c & 31) % present,
 *      mmu_idx = (c >> 5) % mmu_modes; else cpu = (c & 63) % present,
 *      mmu_idx = (c >> 6) % mmu_modes. present counts the vCPUs that exist
 *      at that op: max_cpus, plus one per cpu_plug before it
 *   z  size = {4,8,1,2}[z & 3], big-endian data = bit 2
 *   v  v < 0x80: v itself; else a pool value (LLSC_POOL), masked to size.
 *      A small pool on purpose: writing back the same value (ABA) is common.
 *   A  two bytes s o: class = s & 15
 *      0-11 RAM: block (s >> 4) % nblocks, page (o >> 4) % its pages,
 *           in-page slot o & 15: 0-11 -> 8 * slot, 12-15 -> page end -8,-4,-2,-1
 *      12   block tail: offset + used_length - 8 + 4 * (o & 31)
 *      13   unassigned: (s >> 4) & 1 ? LLSC_GAP_BASE : last_ram_offset, + 8 * o
 *      14   MMIO: s >> 4 == 15 ? the last 8 bytes + (o & 15) : SUT_MMIO_BASE + o
 *      15   alias window: LLSC_ALIAS_BASE + page ((o >> 4) & 7), slot o & 15
 *   ram_add z f   f & 1 clear: resizeable; (f & 14) == 14: ROM;
 *                 used pages 1 + (z & 7); max = used + {0,0,1,4}[(z>>3)&3]
 *                 pages if resizeable, else max = used; (z >> 5) == 7 adds
 *                 half a page to used (rounded up to a whole page, as QEMU
 *                 does: refused if that passes max)
 *   resize b p    block b % nblocks to 1 + p % (max pages + 1) pages
 *   remove b      block b % nblocks (both skipped when there is no block)
 *   map j A       alias page j % 8 maps the physical page of address A
 *   cpu_plug      vCPU `present` comes into existence at run time (sut_cpu_plug):
 *                 with hotplug 0 the first has cpu_index == smp_cpus (W17)
 *
 * Op 0 is implicit: the default RAM block from the header, so that short
 * inputs do something. The decoder keeps a layout model (QEMU's
 * find_ram_offset, spec 2.1: sizes rounded up to pages; 0 for the first
 * block; else the smallest gap after a block end that fits, where the gap
 * after the last block runs to RAM_ADDR_MAX, the first block in QEMU's list
 * order - by decreasing max_length - winning a tie; the block must end within
 * the RAM limit) to turn selectors into absolute addresses; the fuzz driver
 * checks that the system places blocks where this model says.
 */
#ifndef HARNESS_LLSC_OPS_H
#define HARNESS_LLSC_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LLSC_HDR_LEN 5
#define LLSC_MAX_OPS 256
#define LLSC_MAX_INPUT 4096
#define LLSC_MAX_BLOCKS 32
#define LLSC_MAX_RAM (128u << 10)  /* RAM limit: all of it is compared */
#define LLSC_MAX_PLUGS 4            /* cpu_plug ops that take effect */
#define LLSC_BIG_CPUS 22            /* above: small TLBs (cfg_decode) */
#define LLSC_ALIAS_BASE 0x180000000ULL
#define LLSC_ALIAS_PAGES 8
#define LLSC_GAP_BASE 0xF0000000ULL
#define LLSC_POOL_SIZE 16

enum llsc_opkind {
    LOP_LL,
    LOP_SC,
    LOP_LOAD,
    LOP_STORE,
    LOP_CLREX,
    LOP_RUN_WORK,
    LOP_TLB_FLUSH,
    LOP_TLB_FLUSH_PAGE,
    LOP_PROTECT_CODE,
    LOP_DMA,
    LOP_RAM_ADD,
    LOP_RESIZE,
    LOP_REMOVE,
    LOP_MAP,
    LOP_CPU_PLUG,
    LOP_N
};

/* Text names, indexed by enum llsc_opkind (designated initialisers). */
extern const char *const llsc_op_names[LOP_N];
/* Argument bytes after the opcode, per op. */
extern const unsigned char llsc_op_arglen[LOP_N];
extern const uint64_t llsc_pool[LLSC_POOL_SIZE];

struct llsc_cfg {
    unsigned cpus, hotplug, max_cpus;
    unsigned cell_sz, mmu_modes, tlb_bits, vtlb, page_bits, history;
    bool mttcg, be_host;
    unsigned ram0_pages, ram0_max_pages;
    unsigned block_bits, ram_pages;
};

/* Flags of ram_add (same bits as SUT_RAM_* in sut.h; checked there). */
#define LLSC_RAM_RESIZEABLE 1u
#define LLSC_RAM_ROM 2u

struct llsc_op {
    uint8_t kind;
    uint8_t cpu, mmu, size;   /* cpu_plug: the index the new vCPU gets */
    bool be;
    /* access, tlb_flush_page: vaddr; dma, protect_code: paddr;
     * resize, remove: block offset; map: alias vaddr (page) */
    uint64_t addr;
    /* store, sc, dma: value (masked to size); map: paddr (page);
     * ram_add: used bytes; resize: new used bytes */
    uint64_t val;
    uint64_t max;     /* ram_add: max bytes */
    unsigned flags;   /* ram_add: LLSC_RAM_* */
    int expect;       /* ram ops: the layout model's return code (SUT_E*) */
    uint64_t offset;  /* ram_add: where the layout model places the block */
};

struct llsc_prog {
    struct llsc_cfg cfg;
    unsigned nops;                          /* including op 0 */
    unsigned nplugs;                        /* cpu_plug ops that take effect */
    struct llsc_op ops[LLSC_MAX_OPS + 1];
};

/* Decode any bytes into a program (never fails). */
void llsc_decode(const uint8_t *data, size_t size, struct llsc_prog *p);
bool llsc_prog_equal(const struct llsc_prog *a, const struct llsc_prog *b);

/* One line of text (no newline, no op number). */
void llsc_cfg_format(const struct llsc_cfg *c, char *buf, size_t len);
void llsc_op_format(const struct llsc_op *op, char *buf, size_t len);

#endif
