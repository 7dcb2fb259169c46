/*
 * sut.h - public API of the systems under test: a standalone reconstruction of
 * the "Slow-path for atomic instruction translation" design (exclusive dirty
 * bitmap + TLB_EXCL softmmu slow path), see ../shared/design/llsc-slowpath-spec.md.
 *
 * A machine is a value: create one per fuzz input, drive it from one thread or
 * from several (one per vCPU), destroy it. Nothing here is global state.
 * The variant is chosen per machine at run time:
 *   v6       cell bitmap (EXCL_BITMAP_CELL_SZ bits per page); mttcg=false is
 *            v6-ST (sync flushes, one TCG thread), mttcg=true is v6-MT
 *            (tcg_excl_access_lock, async flushes via the vCPU work queue)
 *   v8       1 bit per page, RCU-grown DirtyMemoryBlocks, exclusive history
 *   fixed    the design corrected so that the oracle of spec section 5 holds
 *   cmpxchg  the value-comparing emulation QEMU merged instead (ABA-blind)
 *
 * Every entry point returns 0 or a negative SUT_E* code; invalid arguments
 * never abort and never reach undefined behaviour. A negative return means the
 * call had no effect at all (no memory, monitor or TLB change visible to the
 * guest): unmapped addresses give SUT_EFAULT before anything happens.
 *
 * Threads: with mttcg=false the machine has one TCG thread (every call takes a
 * global lock, round-robin style). With mttcg=true each vCPU's calls must come
 * from one thread of its own, and only the variant's own locking applies (v8
 * has none: that is W21). RAM adds and growing resizes may run concurrently
 * with vCPU threads (that is W2 on v6); removal, shrinking resizes,
 * sut_map_page, sut_protect_code and sut_dma_write are for the sequential
 * harness (or any variant under mttcg=false); fixed also takes sut_dma_write
 * from any thread (it stops the world for it).
 *
 * Variant rules a harness needs to know:
 *  - Stores to a SUT_RAM_ROM block are discarded (memory unchanged).
 *  - fixed and cmpxchg require naturally aligned LL/SC (else SUT_EALIGN, no
 *    effect); v6 and v8 do not check alignment (W13, W18).
 */
#ifndef SUT_SUT_H
#define SUT_SUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sut_variant { SUT_V6, SUT_V8, SUT_FIXED, SUT_CMPXCHG, SUT_NVARIANTS };

enum {
    SUT_OK = 0,
    SUT_EINVAL = -1,  /* bad argument or knob */
    SUT_EFAULT = -2,  /* address not mapped (gap, beyond used_length, hole) */
    SUT_ENOMEM = -3,  /* allocation failed */
    SUT_ENOSPC = -4,  /* ram_addr space (ram_limit) exhausted */
    SUT_ENOENT = -5,  /* no RAM block at that offset */
    SUT_EALIGN = -6,  /* alignment fault (only variants that check) */
};

/* Upper bounds of the knobs: they cap memory so no input can exhaust it. */
#define SUT_MAX_CPUS 64
#define SUT_MAX_MMU_MODES 7
#define SUT_MAX_TLB_BITS 8
#define SUT_MAX_VTLB 16
#define SUT_MAX_HISTORY 4096
#define SUT_MAX_RAM_LIMIT (256ULL << 20)
#define SUT_MAX_BLOCKS 32
#define SUT_MIN_PAGE_BITS 10
#define SUT_MAX_PAGE_BITS 16

/* Guest physical map: RAM block bytes sit at guest-physical == ram_addr;
 * one MMIO device (a byte-addressable register file that reads back what was
 * written) sits at SUT_MMIO_BASE. Everything else is unassigned. */
#define SUT_MMIO_BASE 0x100000000ULL
#define SUT_MMIO_SIZE 0x10000ULL
/* Guest virtual addresses are below this; identity-mapped unless aliased. */
#define SUT_VADDR_LIMIT 0x200000000ULL

typedef struct sut_config {
    enum sut_variant variant;
    unsigned smp_cpus;     /* boot vCPUs, 1..SUT_MAX_CPUS */
    unsigned max_cpus;     /* vCPUs that exist from the start,
                              smp_cpus..SUT_MAX_CPUS; those >= smp_cpus are
                              hot-plugged (W17) */
    unsigned plug_cpus;    /* vCPUs sut_cpu_plug can add at run time, after
                              those (max_cpus + plug_cpus <= SUT_MAX_CPUS) */
    unsigned page_bits;    /* TARGET_PAGE_BITS, 10..16 (ARM32: 10) */
    unsigned tlb_bits;     /* CPU_TLB_BITS, 1..8 */
    unsigned vtlb_size;    /* CPU_VTLB_SIZE, 0..16 */
    unsigned mmu_modes;    /* NB_MMU_MODES, 1..7 */
    unsigned cell_sz;      /* v6 EXCL_BITMAP_CELL_SZ: 1, 2, 4, 8, 16, 32 or
                              64 (the seed's 8; below 8 a cell is part of
                              a byte) */
    unsigned history_len;  /* v8 excl_history length, 1..SUT_MAX_HISTORY */
    bool mttcg;            /* one host thread per vCPU: v6-MT; v8/fixed flush
                              asynchronously through the work queues */
    bool big_endian_host;  /* v6 cell view as a big-endian host reads it (W1) */
    uint64_t ram_limit;    /* cap on last_ram_offset() in bytes */
    unsigned dirty_block_bits; /* log2 of DIRTY_MEMORY_BLOCK_SIZE for the RCU
                              block storage (v8, fixed, cmpxchg), 2..21;
                              QEMU's value is 21 (2097152 bits); small values
                              make the block array grow with little RAM */
} sut_config;

typedef struct sut_machine sut_machine;

/* Counters for liveness figures, and for the two events that would be
 * out-of-bounds host accesses in QEMU: the reconstruction counts them (on
 * every path of every variant) instead of corrupting the host. Everything
 * else a design gets wrong is done for real and shows in what a harness can
 * read back: memory up to max_length (sut_peek), the code invalidations
 * (sut_code_invalidations) and the device's write log (sut_mmio_log). */
typedef struct sut_stats {
    uint64_t tlb_fills;           /* tlb_set_page calls (W11b) */
    uint64_t flushes_full;        /* whole-TLB flushes performed */
    uint64_t flushes_queued;      /* flush work items queued */
    uint64_t flushes_dropped;     /* v6-MT requests dropped (pending) */
    uint64_t flushes_page;        /* single-page flushes performed */
    uint64_t flushed_entries;     /* valid TLB entries (main and victim) the
                                     whole-TLB flushes threw away */
    uint64_t sc_success, sc_fail;
    uint64_t slow_stores;         /* stores through the exclusive branch */
    uint64_t excl_bitmap_oob;     /* W16: exclusive bitmap index beyond its
                                     storage (v6 cells, v8 bits): not done */
    uint64_t host_oob_write;      /* W13, W19: a write beyond a RAMBlock's host
                                     memory (its max_length) or past the
                                     device's registers: clamped there. Writes
                                     into [used_length, max_length) are done */
} sut_stats;

/* Configuration. */
void sut_config_default(sut_config *c, enum sut_variant v);
int sut_config_check(const sut_config *c);
const char *sut_variant_name(enum sut_variant v);
int sut_variant_parse(const char *name, enum sut_variant *out);
const char *sut_strerror(int err);

/* Lifecycle. sut_new copies the config; NULL with *err set on failure.
 * sut_renew(m, c, err) gives the machine sut_new(c, err) would, reusing m's
 * memory where it fits and rewriting only what m's run changed (a fuzz target
 * runs one machine per input); m may be NULL, and is freed on failure.
 * sut_clear(m) ends a run early, keeping the memory: m is unusable until
 * renewed or freed (what a run allocated is freed within it, as libFuzzer's
 * leak heuristic wants). */
sut_machine *sut_new(const sut_config *c, int *err);
sut_machine *sut_renew(sut_machine *m, const sut_config *c, int *err);
void sut_clear(sut_machine *m);
void sut_free(sut_machine *m);
const sut_config *sut_get_config(const sut_machine *m);
void sut_get_stats(const sut_machine *m, sut_stats *out);

/* vCPU hot-plug at run time: the next vCPU (cpu_index = the number of vCPUs
 * present) comes into existence with an empty TLB and no reservation; *index
 * gets its index. SUT_ENOSPC once plug_cpus vCPUs were added. With
 * smp_cpus == max_cpus the first one has cpu_index == smp_cpus, v6's "all
 * vCPUs" sentinel (W17). Calls naming a vCPU not present yet get SUT_EINVAL. */
int sut_cpu_plug(sut_machine *m, unsigned *index);
unsigned sut_cpus_present(const sut_machine *m);

/* RAM blocks (spec 3.1, 3.2). Sizes are rounded up to whole pages, as QEMU's
 * TARGET_PAGE_ALIGN does; then 0 < size <= max, and size == max unless
 * SUT_RAM_RESIZEABLE. The block's host memory is max_size bytes, zero-filled.
 * It is placed by QEMU's find_ram_offset: after the end of a block, in the
 * smallest gap up to the next block that fits, where the gap after the last
 * block ends at RAM_ADDR_MAX (so it is taken only when no gap between blocks
 * fits, and then only if the block ends within ram_limit); a tie goes to the
 * first block in QEMU's list order, by decreasing max_length. */
#define SUT_RAM_RESIZEABLE 1u
#define SUT_RAM_ROM 2u
int sut_ram_block_add(sut_machine *m, uint64_t size, uint64_t max_size,
                      unsigned flags, uint64_t *offset_out);
int sut_ram_resize(sut_machine *m, uint64_t offset, uint64_t new_size);
int sut_ram_block_remove(sut_machine *m, uint64_t offset);
uint64_t sut_last_ram_offset(const sut_machine *m);
/* Enumerate blocks in offset order (not the list's); SUT_ENOENT past the end. */
int sut_ram_block_info(const sut_machine *m, unsigned i, uint64_t *offset,
                       uint64_t *used, uint64_t *max, unsigned *flags);

/* Guest virtual mapping: make the virtual page of vaddr map the physical page
 * of paddr for every vCPU and MMU mode (virtual aliases, W4). Does not flush. */
int sut_map_page(sut_machine *m, uint64_t vaddr, uint64_t paddr);

/* Guest accesses by vCPU cpu in MMU mode mmu_idx. size is 1, 2, 4 or 8; be
 * selects big-endian data (the *_be_* helpers). */
int sut_load(sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr,
             unsigned size, bool be, uint64_t *val);
int sut_store(sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr,
              unsigned size, bool be, uint64_t val);
/* LDREX: loads and arms a reservation. */
int sut_ll(sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr,
           unsigned size, bool be, uint64_t *val);
/* STREX: *status = 0 success, 1 failure (ARM convention). */
int sut_sc(sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr,
           unsigned size, bool be, uint64_t val, int *status);
int sut_clrex(sut_machine *m, unsigned cpu);

/* The vCPU reaches a TB boundary and services its work queue (as the
 * async_run_on_cpu items run). Returns the number of items run. */
int sut_run_work(sut_machine *m, unsigned cpu);
int sut_tlb_flush(sut_machine *m, unsigned cpu);
int sut_tlb_flush_page(sut_machine *m, unsigned cpu, uint64_t vaddr);

/* Code was translated from the page of paddr: the CODE dirty client is
 * cleared and TLB entries get TLB_NOTDIRTY (tlb_protect_code). */
int sut_protect_code(sut_machine *m, uint64_t paddr);
/* An out-of-band writer (DMA, address_space_write) stores size bytes of val
 * in little-endian order at guest-physical paddr (W20). */
int sut_dma_write(sut_machine *m, uint64_t paddr, unsigned size, uint64_t val);

/* Harness back door, no side effects: bytes of a RAM block at ram_addr ==
 * guest-physical, up to its max_length (bytes cut off by a shrinking resize
 * are kept and reappear when it grows again), and the MMIO registers. */
int sut_peek(const sut_machine *m, uint64_t paddr, void *buf, size_t len);

/* Translated code (tlb_protect_code, tb_invalidate_phys_page): how many times
 * the translations made from the guest-physical page of paddr were
 * invalidated - a write that reached a page whose CODE client was clean. 0
 * for a page nothing invalidated, or that is no RAM block's. */
uint64_t sut_code_invalidations(const sut_machine *m, uint64_t paddr);

/* The MMIO device's write log: every byte write it received (guest stores,
 * SCs, DMA), in order, from the machine's creation on. */
typedef struct sut_mmio_write {
    uint32_t off;          /* offset in the register file */
    uint8_t val;
} sut_mmio_write;
#define SUT_MMIO_LOG_MAX 4096  /* entries kept; later writes are only counted */
/* Copies entries from, from+1, ... into out (at most max of them, and none
 * past SUT_MMIO_LOG_MAX) and returns how many; *total (if not NULL) is the
 * number of byte writes the device has received. */
size_t sut_mmio_log(const sut_machine *m, uint64_t from, sut_mmio_write *out,
                    size_t max, uint64_t *total);

/* Introspection for tests (not used by the oracle's verdicts). */
bool sut_page_is_exclusive(const sut_machine *m, uint64_t paddr);
/* What the variant's exclusive bitmap takes: *bits over the *pages the dirty
 * storage covers (v6: cell_sz bits per page; v8 and fixed: one bit per page
 * in DirtyMemoryBlocks; cmpxchg: none, its design keeps no such client). */
int sut_excl_bitmap_size(const sut_machine *m, uint64_t *bits, uint64_t *pages);
#define SUT_TLB_INVALID_MASK (1u << 3)
#define SUT_TLB_NOTDIRTY (1u << 4)
#define SUT_TLB_MMIO (1u << 5)
#define SUT_TLB_EXCL (1u << 6)
/* Flags of the main-TLB write entry that maps vaddr, or -1 if none. */
int sut_tlb_write_flags(const sut_machine *m, unsigned cpu, unsigned mmu_idx,
                        uint64_t vaddr);
/* The protected range vCPU cpu holds, in the variant's own namespace (fixed:
 * guest-physical): true and [*begin, *end) if one is live. */
bool sut_reservation(const sut_machine *m, unsigned cpu, uint64_t *begin,
                     uint64_t *end);
/* The read entry of vCPU cpu, MMU mode mmu_idx, that maps vaddr's page (the
 * main entry, else a victim one): for messages about a load that returned
 * what memory does not hold. False if there is none. */
typedef struct sut_tlb_read_view {
    bool victim;
    uint64_t vaddr;        /* the virtual page */
    uint64_t paddr;        /* the guest-physical page the entry maps */
    uint64_t guest_paddr;  /* the guest-physical page vaddr maps to now */
    bool host_current;     /* its host pointer is the memory that backs paddr now */
    uint32_t fill;         /* stats.tlb_fills (low 32 bits) right after its fill */
} sut_tlb_read_view;
bool sut_tlb_read_entry(const sut_machine *m, unsigned cpu, unsigned mmu_idx,
                        uint64_t vaddr, sut_tlb_read_view *out);

/* Every valid write entry, main or victim, of every vCPU and MMU mode, that
 * maps the guest-physical page of paddr through any virtual alias: fn is
 * called once per entry with its flags. Returns the number of entries.
 * Invariant checks use it to prove that no store to a reserved page can take
 * the fast path. */
typedef struct sut_tlb_view {
    unsigned cpu, mmu_idx;
    bool victim;
    uint64_t vaddr;        /* the virtual page the entry maps */
    unsigned flags;        /* SUT_TLB_* bits of addr_write */
} sut_tlb_view;
unsigned sut_tlb_write_entries(const sut_machine *m, uint64_t paddr,
                               void (*fn)(const sut_tlb_view *e, void *ctx),
                               void *ctx);

#endif
