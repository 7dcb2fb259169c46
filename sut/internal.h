/*
 * internal.h - the machine's insides, shared by the files in sut/ only.
 *
 * Layering follows the spec: ram.c (RAM blocks + dirty-memory clients),
 * excl_v6.c / excl_v8.c (the two exclusive bitmaps), tlb.c (softmmu TLB),
 * softmmu.c (load/store helpers, common to every variant), then one file per
 * variant's LL/SC/slow path (llsc_v6.c, llsc_v8.c, llsc_fixed.c,
 * llsc_cmpxchg.c), glued by machine.c.
 */
#ifndef SUT_INTERNAL_H
#define SUT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bitmap.h"
#include "sched_points.h"
#include "sut.h"

/* Dirty-memory clients (spec 2.2). */
enum { DIRTY_MEMORY_VGA, DIRTY_MEMORY_CODE, DIRTY_MEMORY_MIGRATION,
       DIRTY_MEMORY_EXCLUSIVE, DIRTY_MEMORY_NUM };
#define DIRTY_CLIENTS_ALL ((1u << DIRTY_MEMORY_NUM) - 1)
/* The series never changed this mask, so it includes EXCLUSIVE (W14). */
#define DIRTY_CLIENTS_NOCODE (DIRTY_CLIENTS_ALL & ~(1u << DIRTY_MEMORY_CODE))
#define DIRTY_CLIENTS_NOEXCL (DIRTY_CLIENTS_ALL & ~(1u << DIRTY_MEMORY_EXCLUSIVE))

#define EXCLUSIVE_RESET_ADDR UINT64_MAX
#define TLB_FLAGS_MASK (SUT_TLB_INVALID_MASK | SUT_TLB_NOTDIRTY | SUT_TLB_MMIO | SUT_TLB_EXCL)

/* Host memory kept for reuse (ram.c): buffers, and the largest pooled. */
#define HOST_POOL_N 32
#define HOST_POOL_MAX_BYTES (1ULL << 20)

typedef struct ram_block {
    uint64_t offset;       /* in the ram_addr space */
    uint64_t used_length;  /* read concurrently: atomic access */
    uint64_t max_length;
    unsigned flags;
    uint8_t *host;         /* max_length bytes */
    uint64_t *tb_inval;    /* per page of max_length: translations invalidated */
    struct ram_block *next_removed; /* m->removed: retired, memory and all */
} ram_block;

/* RCU-published list of blocks (base QEMU: the block list is RCU), in QEMU's
 * order: by decreasing max_length, a new block after those of equal size.
 * Retired lists and blocks are freed at machine teardown: a conservative
 * grace period. */
typedef struct ram_list {
    unsigned n;
    ram_block *b[SUT_MAX_BLOCKS];
} ram_list;

/* v8 DirtyMemoryBlocks: an RCU-published array of fixed-size blocks. */
typedef struct dirty_blocks {
    unsigned n;
    unsigned long *blocks[];
} dirty_blocks;

typedef struct retired {
    struct retired *next;
    void *ptr;
} retired;

typedef struct tlb_entry {
    uint64_t addr_read;    /* page | flags, or -1 */
    uint64_t addr_write;
    uintptr_t addend;      /* host pointer - vaddr */
} tlb_entry;

enum phys_kind { PHYS_RAM, PHYS_ROM, PHYS_MMIO };

typedef struct iotlb_entry {
    uint64_t addr;         /* (ram_addr or region offset) page - vaddr page */
    uint8_t kind;
    uint32_t fill;         /* the machine's fill count when it was filled */
} iotlb_entry;

enum work_kind { WORK_FLUSH_V6MT, WORK_FLUSH };
#define WORK_QUEUE_MAX 8

typedef struct sut_cpu {
    unsigned index;        /* cpu_index */
    tlb_entry *tlb;        /* [mmu_modes][tlb_size] */
    iotlb_entry *iotlb;
    tlb_entry *vtlb;       /* [mmu_modes][vtlb_size] */
    iotlb_entry *viotlb;
    unsigned vtlb_index;
    bool tlb_filled;       /* an entry was filled since the last full flush */
    bool tables_pristine;  /* tables as the last sut_new/sut_renew left them */

    /* LL/SC context (v6 CPU_COMMON, v8 CPUState). */
    int ll_sc_context;
    int excl_succeeded;
    uint64_t range_begin, range_end;  /* [begin, end), begin==RESET: none */
    int pending_tlb_flush;            /* v6-MT, taken atomically */

    /* cmpxchg emulation (E1). */
    uint64_t exclusive_addr, exclusive_val;
    unsigned exclusive_size;

    /* async_run_on_cpu work queue. */
    pthread_mutex_t wq_lock;
    unsigned wq_n;
    uint8_t wq[WORK_QUEUE_MAX];

    /* fixed: exec region for start_exclusive (guarded by m->excl_mutex). */
    bool running;
} sut_cpu;

/* The MMIO device: a register file that logs every byte written to it. */
typedef struct mmio_device {
    uint8_t regs[SUT_MMIO_SIZE];
    uint64_t nlog;                   /* byte writes received */
    sut_mmio_write log[SUT_MMIO_LOG_MAX];
} mmio_device;

struct variant_ops;

struct sut_machine {
    sut_config cfg;
    const struct variant_ops *ops;
    uint64_t page_size, page_mask;   /* page_mask = ~(page_size - 1) */
    unsigned tlb_size;
    unsigned dirty_nocode;           /* mask notdirty writes set */

    /* RAM. */
    ram_list *ram;                   /* RCU-published */
    unsigned nhost_pool;             /* host memory for new blocks (ram.c) */
    struct { uint8_t *host; uint64_t cap; } host_pool[HOST_POOL_N];
    pthread_mutex_t ramlist_mutex;
    retired *retired;
    ram_block *removed;              /* removed blocks (ram_block_remove) */
    /* v6: flat bitmaps, realloc'd in place (W2). v8/fixed/cmpxchg: blocks. */
    unsigned long *flat[DIRTY_MEMORY_NUM];
    dirty_blocks *blocks[DIRTY_MEMORY_NUM];
    uint64_t dirty_pages;            /* pages the dirty storage covers */

    /* Guest virtual aliases: vpage -> ppage (identity otherwise). */
    unsigned n_alias;
    struct { uint64_t vpage, ppage; } alias[64];

    /* MMIO device: a register file plus the v8 MemoryRegion flag. */
    mmio_device *mmio;               /* allocated on the first write */
    void *cpu_tables;                /* every vCPU's TLB arrays, one slab */
    size_t tables_cap;               /* its bytes (sut_renew keeps it) */
    unsigned history_cap;            /* excl_history's entries */
    unsigned ncpus_cap;              /* cpus[] slots */
    bool cleared;                    /* sut_clear tore the run down */
    bool mmio_pending_excl_access;

    /* v6-MT and fixed: tcg_excl_access_lock. */
    pthread_mutex_t excl_lock;
    int exit_flush_request;          /* v6-MT (W11) */

    /* v8 exclusive history. */
    uint64_t *excl_history;
    unsigned history_last_idx;

    /* mttcg=false: the single TCG thread. */
    pthread_mutex_t bql;

    /* fixed: start_exclusive / end_exclusive. */
    pthread_mutex_t excl_mutex;
    pthread_cond_t excl_cond, excl_resume;
    bool exclusive_active;

    sut_stats stats;                 /* counters updated atomically */
    unsigned ncpus;                  /* vCPUs that exist (cpu_plug adds) */
    unsigned ncpus_alloc;            /* max_cpus + plug_cpus */
    sut_cpu cpus[];
};

/* CPU_FOREACH: the vCPUs that exist now. */
static inline unsigned cpus_present(const sut_machine *m)
{
    return __atomic_load_n(&m->ncpus, __ATOMIC_ACQUIRE);
}

#define STAT_INC(m, field) __atomic_fetch_add(&(m)->stats.field, 1, __ATOMIC_RELAXED)

/* Per-variant design steps. Shared steps live in the common files. */
struct variant_ops {
    bool block_storage;      /* dirty memory in RCU blocks (v8) or flat (v6) */
    bool atomic_dirty_reads; /* corrected readers (fixed, cmpxchg) */
    bool exec_regions;       /* vCPU calls are exec regions that
                                start_exclusive waits for (under mttcg) */
    /* addr_write flags for a RAM write entry at ram_addr (spec 3.3 step 7). */
    uint64_t (*fill_write_flags)(sut_machine *m, uint64_t ram_addr);
    /* Hook on the main entry about to be replaced (v6 eviction hook). */
    void (*evict)(sut_machine *m, sut_cpu *cpu, const tlb_entry *te,
                  const iotlb_entry *io);
    /* Slow branch of the store helper: called when the write entry has flag
     * bits. */
    int (*slow_store)(sut_machine *m, sut_cpu *cpu, unsigned mmu_idx,
                      uint64_t vaddr, unsigned size, bool be, uint64_t val,
                      tlb_entry *te, iotlb_entry *io);
    int (*ll)(sut_machine *m, sut_cpu *cpu, unsigned mmu_idx, uint64_t vaddr,
              unsigned size, bool be, uint64_t *val);
    int (*sc)(sut_machine *m, sut_cpu *cpu, unsigned mmu_idx, uint64_t vaddr,
              unsigned size, bool be, uint64_t val, int *status);
    void (*clrex)(sut_machine *m, sut_cpu *cpu);
    /* Memory changed behind the vCPUs' backs (DMA, block removal) on
     * guest-physical [paddr, paddr+len). */
    void (*external_write)(sut_machine *m, uint64_t paddr, uint64_t len);
    /* RAM map changes: the used range [start, start+len) of a block whose
     * reserved range is [start, start+max_len) was (re)mapped. */
    void (*ram_set_dirty)(sut_machine *m, uint64_t start, uint64_t len, uint64_t max_len);
    bool (*page_is_exclusive)(const sut_machine *m, uint64_t ram_addr);
};

extern const struct variant_ops sut_ops_v6, sut_ops_v8, sut_ops_fixed,
    sut_ops_cmpxchg;

/* ram.c */
const ram_list *ram_list_get(const sut_machine *m);
const ram_block *ram_find(const sut_machine *m, uint64_t ram_addr, bool used_only);
uint64_t ram_last_offset(const sut_machine *m);
int ram_block_add(sut_machine *m, uint64_t size, uint64_t max, unsigned flags,
                  uint64_t *offset);
int ram_resize(sut_machine *m, uint64_t offset, uint64_t new_size);
int ram_block_remove(sut_machine *m, uint64_t offset);
void ram_free_all(sut_machine *m);   /* the blocks' memory goes to the pool */
void ram_pool_free(sut_machine *m);
void dirty_set_range(sut_machine *m, uint64_t start, uint64_t length, unsigned mask);
void dirty_clear_range(sut_machine *m, uint64_t start, uint64_t length, unsigned mask);
bool dirty_get(const sut_machine *m, uint64_t ram_addr, unsigned client);
bool ram_is_clean(const sut_machine *m, uint64_t ram_addr);
/* tb_invalidate_phys_page: if translations exist for the page (CODE client
 * clean), drop them (CODE dirty) and count it. */
void tb_invalidate_phys_page(sut_machine *m, uint64_t ram_addr);
unsigned long *dirty_block_word_map(const sut_machine *m, unsigned client,
                                    uint64_t page, long *bit);

/* The MMIO register file: reads of a device nobody wrote see zeros; the
 * first write allocates it (most fuzz inputs never touch MMIO). */
const uint8_t *mmio_regs(const sut_machine *m);
/* The device receives byte val at offset off (logged); false if the device
 * could not be allocated. */
bool mmio_device_write(sut_machine *m, uint64_t off, uint8_t val);

/* Pages the dirty storage covers; grown by hotplug while vCPUs read it. */
static inline uint64_t dirty_pages_get(const sut_machine *m)
{
    return __atomic_load_n(&m->dirty_pages, __ATOMIC_ACQUIRE);
}

/* excl_v6.c: the seed's four accessors, by their v6 names. */
void cpu_physical_memory_unset_excl_v6(sut_machine *m, uint64_t addr, unsigned cpu);
bool cpu_physical_memory_atleast_one_excl(sut_machine *m, uint64_t addr);
unsigned long cpu_physical_memory_not_excl(sut_machine *m, uint64_t addr, unsigned cpu);
bool cpu_physical_memory_set_excl_v6(sut_machine *m, uint64_t addr, unsigned cpu);
bool excl_v6_cell_in_bounds(const sut_machine *m, uint64_t addr);

/* excl_v8.c */
void cpu_physical_memory_unset_excl(sut_machine *m, uint64_t addr);
bool cpu_physical_memory_is_excl(const sut_machine *m, uint64_t addr);
bool excl_v8_bit_in_bounds(const sut_machine *m, uint64_t addr);
bool cpu_physical_memory_set_excl(sut_machine *m, uint64_t addr);
void excl_history_put_addr(sut_machine *m, uint64_t hw_addr,
                           bool (*may_release)(sut_machine *, uint64_t));

/* tlb.c */
static inline unsigned tlb_index(const sut_machine *m, uint64_t vaddr)
{
    return (unsigned)(vaddr >> m->cfg.page_bits) & (m->tlb_size - 1);
}
static inline tlb_entry *tlb_at(sut_machine *m, sut_cpu *c, unsigned mmu, unsigned i)
{
    return &c->tlb[mmu * m->tlb_size + i];
}
static inline iotlb_entry *iotlb_at(sut_machine *m, sut_cpu *c, unsigned mmu, unsigned i)
{
    return &c->iotlb[mmu * m->tlb_size + i];
}
/* A store hits when the page matches; flag bits other than INVALID do not
 * cause a miss, they only divert the hit to the slow branch. Inline: a
 * file's comparison tracing decides whether its uses are traced (peek.c). */
static inline bool tlb_hit(const sut_machine *m, uint64_t tlb_addr, uint64_t vaddr)
{
    return (vaddr & m->page_mask) == (tlb_addr & (m->page_mask | SUT_TLB_INVALID_MASK));
}
bool victim_tlb_hit(sut_machine *m, sut_cpu *c, unsigned mmu, unsigned index,
                    bool write, uint64_t vaddr);
int tlb_fill(sut_machine *m, sut_cpu *c, uint64_t vaddr, unsigned mmu);
void tlb_flush_now(sut_machine *m, sut_cpu *c);
/* Entries of t[0..n) that are not invalid (peek.c). */
uint64_t tlb_valid_entries(const tlb_entry *t, size_t n);
void tlb_flush_page_now(sut_machine *m, sut_cpu *c, uint64_t vaddr);
void tlb_flush_all_cpus_now(sut_machine *m);
void tlb_flush_ram_map_changed(sut_machine *m);
bool async_run_on_cpu(sut_machine *m, sut_cpu *c, enum work_kind w);
int run_work(sut_machine *m, sut_cpu *c);
void tlb_reset_dirty_range(sut_machine *m, uint64_t ram_addr);
void tlb_set_dirty(sut_machine *m, sut_cpu *c, uint64_t vaddr);
int translate(const sut_machine *m, uint64_t vaddr, uint64_t *paddr);

/* softmmu.c: the load/store helpers (common to every variant). */
int load_helper(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                unsigned size, bool be, uint64_t *val);
int store_helper(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                 unsigned size, bool be, uint64_t val);
int store_bytewise(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                   unsigned size, bool be, uint64_t val);
int probe_write(sut_machine *m, sut_cpu *c, unsigned mmu, uint64_t vaddr,
                tlb_entry **te, iotlb_entry **io);
void ram_host_store(uint8_t *haddr, unsigned size, uint64_t bytes_le);
void excl_ram_write(sut_machine *m, uint64_t ram_addr, uint8_t *haddr,
                    unsigned size, uint64_t bytes_le);
uint64_t ram_host_load(const uint8_t *haddr, unsigned size);
void io_write(sut_machine *m, sut_cpu *c, iotlb_entry *io, uint64_t vaddr,
              unsigned size, bool be, uint64_t val);
void notdirty_mem_write(sut_machine *m, sut_cpu *c, uint64_t ram_addr,
                        uint64_t vaddr, unsigned size, uint64_t bytes_le);
uint64_t to_le_bytes(uint64_t val, unsigned size, bool be);
uint64_t from_le_bytes(uint64_t bytes, unsigned size, bool be);
static inline uint64_t hw_addr_of(const iotlb_entry *io, uint64_t vaddr)
{
    return io->addr + vaddr;
}

/* Ranges (QEMU ranges_overlap semantics, including the zero-length wrap). */
static inline bool ranges_overlap(uint64_t first1, uint64_t len1,
                                  uint64_t first2, uint64_t len2)
{
    uint64_t last1 = first1 + len1 - 1, last2 = first2 + len2 - 1;
    return !(last2 < first1 || last1 < first2);
}

/* Reservation helpers shared by the variants that keep protected ranges. */
static inline void range_set(sut_cpu *c, uint64_t hw, unsigned size)
{
    c->range_begin = hw;
    c->range_end = hw + size;
}
static inline bool range_live_overlaps(const sut_cpu *c, uint64_t hw, uint64_t size)
{
    return c->range_begin != EXCLUSIVE_RESET_ADDR &&
           ranges_overlap(c->range_begin, c->range_end - c->range_begin, hw, size);
}
/* v8 reset_other_cpus_colliding_ll_addr; fixed calls it under its lock. */
bool reset_other_cpus_colliding_ll_addr(sut_machine *m, sut_cpu *self,
                                        uint64_t hw, uint64_t size);

static inline void cpu_reset_excl_context(sut_cpu *c)
{
    c->range_begin = EXCLUSIVE_RESET_ADDR;
    c->ll_sc_context = 0;
    c->excl_succeeded = 0;
}

/* Steps several variants share. */
uint64_t fill_write_flags_bit(sut_machine *m, uint64_t ram_addr); /* v8 fill */
void evict_nothing(sut_machine *m, sut_cpu *c, const tlb_entry *te, const iotlb_entry *io);
/* DMA and friends never reach the exclusive logic (W20). */
void external_write_ignored(sut_machine *m, uint64_t paddr, uint64_t len);
/* RAM map changes mark the range non-exclusive (spec 3.1 step 7, 3.2 step 5). */
void ram_set_dirty_excl(sut_machine *m, uint64_t start, uint64_t len, uint64_t max_len);

/* machine.c: fixed's stop-the-world section. */
void start_exclusive(sut_machine *m, sut_cpu *self);
void end_exclusive(sut_machine *m, sut_cpu *self);

#endif
