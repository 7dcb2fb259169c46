/*
 * machine.c - a machine as a value, and the public entry points. Each entry
 * point validates its arguments, enters the variant's threading discipline
 * (the single TCG thread's lock under mttcg=false; an exec region that
 * start_exclusive can wait for, for the variants that stop the world), and
 * calls the design's own step.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct variant_ops *const variant_ops_table[SUT_NVARIANTS] = {
    [SUT_V6] = &sut_ops_v6, [SUT_V8] = &sut_ops_v8,
    [SUT_FIXED] = &sut_ops_fixed, [SUT_CMPXCHG] = &sut_ops_cmpxchg,
};

/* ---- threading ----------------------------------------------------------- */

static bool exec_regions(const sut_machine *m)
{
    return m->cfg.mttcg && m->ops->exec_regions;
}

static void enter(sut_machine *m, sut_cpu *c)
{
    if (!m->cfg.mttcg) {
        pthread_mutex_lock(&m->bql);
        SUT_SCHED_NOPREEMPT_BEGIN();
    } else if (c && exec_regions(m)) {
        SUT_SCHED_NOPREEMPT_BEGIN();
        pthread_mutex_lock(&m->excl_mutex);
        while (m->exclusive_active) {
            pthread_cond_wait(&m->excl_resume, &m->excl_mutex);
        }
        c->running = true;
        pthread_mutex_unlock(&m->excl_mutex);
    }
}

static void leave(sut_machine *m, sut_cpu *c)
{
    if (!m->cfg.mttcg) {
        SUT_SCHED_NOPREEMPT_END();
        pthread_mutex_unlock(&m->bql);
    } else if (c && exec_regions(m)) {
        pthread_mutex_lock(&m->excl_mutex);
        c->running = false;
        if (m->exclusive_active) {
            pthread_cond_broadcast(&m->excl_cond);
        }
        pthread_mutex_unlock(&m->excl_mutex);
        SUT_SCHED_NOPREEMPT_END();
    }
}

/* Stop every other vCPU at the end of its current call (self may be NULL for
 * a non-vCPU caller). A no-op with one TCG thread: the others are not
 * running by construction. */
void start_exclusive(sut_machine *m, sut_cpu *self)
{
    if (!exec_regions(m)) {
        return;
    }
    /* Until end_exclusive: every other vCPU thread would wait for us. */
    SUT_SCHED_NOPREEMPT_BEGIN();
    pthread_mutex_lock(&m->excl_mutex);
    if (self) {
        /* We stop running while we wait: an exclusive holder may be waiting
         * for exactly that. */
        self->running = false;
        if (m->exclusive_active) {
            pthread_cond_broadcast(&m->excl_cond);
        }
    }
    while (m->exclusive_active) {
        pthread_cond_wait(&m->excl_resume, &m->excl_mutex);
    }
    m->exclusive_active = true;
    for (;;) {
        bool any = false;
        for (unsigned i = 0; i < cpus_present(m); i++) {
            any |= &m->cpus[i] != self && m->cpus[i].running;
        }
        if (!any) {
            break;
        }
        pthread_cond_wait(&m->excl_cond, &m->excl_mutex);
    }
    pthread_mutex_unlock(&m->excl_mutex);
}

void end_exclusive(sut_machine *m, sut_cpu *self)
{
    if (!exec_regions(m)) {
        return;
    }
    pthread_mutex_lock(&m->excl_mutex);
    m->exclusive_active = false;
    if (self) {
        self->running = true;
    }
    pthread_cond_broadcast(&m->excl_resume);
    pthread_mutex_unlock(&m->excl_mutex);
    SUT_SCHED_NOPREEMPT_END();
}

/* ---- lifecycle ----------------------------------------------------------- */

static const uint8_t mmio_zeros[SUT_MMIO_SIZE];

const uint8_t *mmio_regs(const sut_machine *m)
{
    const mmio_device *d = __atomic_load_n(&m->mmio, __ATOMIC_ACQUIRE);
    return d ? d->regs : mmio_zeros;
}

static mmio_device *mmio_device_writable(sut_machine *m)
{
    mmio_device *d = __atomic_load_n(&m->mmio, __ATOMIC_ACQUIRE);
    if (!d) {
        mmio_device *fresh = calloc(1, sizeof(*fresh)), *expected = NULL;
        if (!fresh) {
            return NULL;
        }
        if (__atomic_compare_exchange_n(&m->mmio, &expected, fresh, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            d = fresh;
        } else {
            free(fresh); /* another vCPU's write got there first */
            d = expected;
        }
    }
    return d;
}

bool mmio_device_write(sut_machine *m, uint64_t off, uint8_t val)
{
    mmio_device *d = mmio_device_writable(m);
    if (!d) {
        return false;
    }
    uint64_t i = __atomic_fetch_add(&d->nlog, 1, __ATOMIC_RELAXED);
    if (i < SUT_MMIO_LOG_MAX) {
        d->log[i].off = (uint32_t)off;
        d->log[i].val = val;
    }
    __atomic_store_n(&d->regs[off], val, __ATOMIC_RELAXED);
    return true;
}

size_t sut_mmio_log(const sut_machine *m, uint64_t from, sut_mmio_write *out, size_t max,
                    uint64_t *total)
{
    const mmio_device *d = m ? __atomic_load_n(&m->mmio, __ATOMIC_ACQUIRE) : NULL;
    uint64_t n = d ? __atomic_load_n(&d->nlog, __ATOMIC_RELAXED) : 0;
    size_t k = 0;

    if (total) {
        *total = n;
    }
    n = n < SUT_MMIO_LOG_MAX ? n : SUT_MMIO_LOG_MAX;
    for (uint64_t i = from; i < n && k < max && out; i++) {
        out[k++] = d->log[i];
    }
    return k;
}

uint64_t sut_code_invalidations(const sut_machine *m, uint64_t paddr)
{
    const ram_block *b = m ? ram_find(m, paddr, false) : NULL;
    if (!b) {
        return 0;
    }
    return __atomic_load_n(&b->tb_inval[(paddr - b->offset) >> m->cfg.page_bits],
                           __ATOMIC_RELAXED);
}

/* One allocation holds every vCPU's tables: a fuzz target runs a machine
 * per input, so allocations per vCPU show up in its throughput. */
static size_t cpu_tables_bytes(const sut_machine *m)
{
    const size_t n = (size_t)m->cfg.mmu_modes * m->tlb_size;
    const size_t nv = (size_t)m->cfg.mmu_modes * m->cfg.vtlb_size;
    return (n + nv) * (sizeof(tlb_entry) + sizeof(iotlb_entry));
}

static void cpu_free(sut_cpu *c)
{
    pthread_mutex_destroy(&c->wq_lock);
}

/* The vCPU as the machine starts it. Its tables are rewritten unless they
 * are still as the last reset left them (tables_pristine: kept by sut_renew
 * while the layout stays; tlb_set_page clears it, and every other write to
 * an entry needs a hit, so a vCPU nothing was filled for has no other). */
static void cpu_init(sut_machine *m, sut_cpu *c, unsigned index, bool pristine)
{
    const size_t n = (size_t)m->cfg.mmu_modes * m->tlb_size;
    const size_t nv = (size_t)m->cfg.mmu_modes * m->cfg.vtlb_size;
    uint8_t *p = (uint8_t *)m->cpu_tables + index * cpu_tables_bytes(m);

    c->index = index;
    c->tlb = (tlb_entry *)p;
    c->vtlb = c->tlb + n;
    c->iotlb = (iotlb_entry *)(c->vtlb + nv);
    c->viotlb = c->iotlb + n;
    if (!pristine) {
        /* Empty tables as a full flush leaves them, without counting what
         * was there (the counters start at zero anyway). */
        memset(c->tlb, -1, (n + nv) * sizeof(tlb_entry));
        memset(c->iotlb, 0, (n + nv) * sizeof(iotlb_entry));
    }
    c->tables_pristine = true;
    pthread_mutex_init(&c->wq_lock, NULL);
    /* The env is zero-allocated: begin = end = 0, a range that overlaps
     * every store (spec 2.6). The corrected variants start with none. */
    c->range_begin = m->ops->exec_regions ? EXCLUSIVE_RESET_ADDR : 0;
    c->range_end = 0;
    c->exclusive_addr = UINT64_MAX;
    c->tlb_filled = false;
    c->vtlb_index = 0;
}

/* Everything but the memory sut_renew keeps. */
static void machine_teardown(sut_machine *m)
{
    for (unsigned i = 0; i < m->ncpus_alloc; i++) {
        cpu_free(&m->cpus[i]);
    }
    ram_free_all(m);
    pthread_mutex_destroy(&m->ramlist_mutex);
    pthread_mutex_destroy(&m->excl_lock);
    pthread_mutex_destroy(&m->bql);
    pthread_mutex_destroy(&m->excl_mutex);
    pthread_cond_destroy(&m->excl_cond);
    pthread_cond_destroy(&m->excl_resume);
}

sut_machine *sut_new(const sut_config *cfg, int *err)
{
    return sut_renew(NULL, cfg, err);
}

/* The machine is a zeroed struct plus what it keeps (cpu_tables,
 * excl_history, mmio and their sizes, each vCPU slot's tables_pristine, the
 * pool of host memory), which this makes as sut_new would have. */
sut_machine *sut_renew(sut_machine *m, const sut_config *cfg, int *err)
{
    int rc = sut_config_check(cfg);
    int dummy;
    err = err ? err : &dummy;
    if (rc) {
        sut_free(m);
        *err = rc;
        return NULL;
    }
    const unsigned max_cpus = cfg->max_cpus ? cfg->max_cpus : cfg->smp_cpus;
    const unsigned ncpus = max_cpus + cfg->plug_cpus; /* every vCPU that can exist */
    bool pristine[SUT_MAX_CPUS] = {false};
    struct {
        void *tables;
        size_t tables_cap;
        uint64_t *history;
        unsigned history_cap, ncpus_cap, tlb_size, vtlb_size, mmu_modes;
        mmio_device *mmio;
        unsigned npool;
        struct { uint8_t *host; uint64_t cap; } pool[HOST_POOL_N];
    } keep = {0};

    if (m && ncpus > m->ncpus_cap) {
        /* Reused, it will see every vCPU count: room for the most. */
        keep.tables = m->cpu_tables;
        keep.tables_cap = m->tables_cap;
        m->cpu_tables = NULL;
        sut_free(m);
        m = calloc(1, sizeof(*m) + SUT_MAX_CPUS * sizeof(sut_cpu));
        if (m) {
            m->ncpus_cap = SUT_MAX_CPUS;
        }
    } else if (m) {
        keep.tables = m->cpu_tables;
        keep.tables_cap = m->tables_cap;
        keep.history = m->excl_history;
        keep.history_cap = m->history_cap;
        keep.ncpus_cap = m->ncpus_cap;
        keep.tlb_size = m->tlb_size;
        keep.vtlb_size = m->cfg.vtlb_size;
        keep.mmu_modes = m->cfg.mmu_modes;
        keep.mmio = m->mmio;
        for (unsigned i = 0; i < m->ncpus_cap; i++) {
            pristine[i] = m->cpus[i].tables_pristine;
        }
        sut_clear(m);
        keep.npool = m->nhost_pool;
        memcpy(keep.pool, m->host_pool, sizeof(keep.pool));
#if SUT_TEST_LEAKY_RESET == 1
        /* ci/tests/53-fresh-state.sh only: a reset that keeps the counters,
         * which the fresh-state check must catch. */
        const sut_stats leak = m->stats;
#endif
        memset(m, 0, sizeof(*m) + m->ncpus_cap * sizeof(sut_cpu));
#if SUT_TEST_LEAKY_RESET == 1
        m->stats = leak;
#endif
        m->ncpus_cap = keep.ncpus_cap;
        m->nhost_pool = keep.npool;
        memcpy(m->host_pool, keep.pool, sizeof(keep.pool));
    } else {
        m = calloc(1, sizeof(*m) + ncpus * sizeof(sut_cpu));
        if (m) {
            m->ncpus_cap = ncpus;
        }
    }
    if (!m) {
        free(keep.tables);
        *err = SUT_ENOMEM;
        return NULL;
    }
    m->cfg = *cfg;
    m->cfg.max_cpus = max_cpus;
    m->ops = variant_ops_table[cfg->variant];
    m->page_size = 1ULL << cfg->page_bits;
    m->page_mask = ~(m->page_size - 1);
    m->tlb_size = 1u << cfg->tlb_bits;
    m->dirty_nocode = m->ops->exec_regions ? (DIRTY_CLIENTS_NOCODE & DIRTY_CLIENTS_NOEXCL)
                                           : DIRTY_CLIENTS_NOCODE;
    pthread_mutex_init(&m->ramlist_mutex, NULL);
    pthread_mutex_init(&m->excl_lock, NULL);
    pthread_mutex_init(&m->bql, NULL);
    pthread_mutex_init(&m->excl_mutex, NULL);
    pthread_cond_init(&m->excl_cond, NULL);
    pthread_cond_init(&m->excl_resume, NULL);
    /* A kept device reads as zeros, as a fresh one: every register write is
     * logged (mmio_device_write), so the log names the bytes to clear. */
#if SUT_TEST_LEAKY_RESET == 2
    /* ci/tests/53-fresh-state.sh only: a reset that keeps the device's
     * registers, which the fresh-state check must catch. */
    if (keep.mmio) {
        keep.mmio->nlog = 0;
    }
#endif
    if (keep.mmio) {
        if (keep.mmio->nlog > SUT_MMIO_LOG_MAX) {
            memset(keep.mmio->regs, 0, sizeof(keep.mmio->regs));
        }
        for (uint64_t i = 0; i < keep.mmio->nlog && i < SUT_MMIO_LOG_MAX; i++) {
            keep.mmio->regs[keep.mmio->log[i].off] = 0;
        }
        keep.mmio->nlog = 0;
        m->mmio = keep.mmio;
    }
    m->excl_history = keep.history;
    m->history_cap = keep.history_cap;
    if (cfg->history_len > m->history_cap) {
        free(m->excl_history);
        m->excl_history = malloc(cfg->history_len * sizeof(uint64_t));
        m->history_cap = m->excl_history ? cfg->history_len : 0;
    }
    rc = m->excl_history ? SUT_OK : SUT_ENOMEM;
    if (m->excl_history) { /* every slot EXCLUSIVE_RESET_ADDR, all ones */
        memset(m->excl_history, 0xff, cfg->history_len * sizeof(uint64_t));
    }
    /* Another layout puts every vCPU's tables elsewhere in the slab. */
    if (keep.tlb_size != m->tlb_size || keep.vtlb_size != cfg->vtlb_size ||
        keep.mmu_modes != cfg->mmu_modes) {
        memset(pristine, 0, sizeof(pristine));
    }
    m->cpu_tables = keep.tables;
    m->tables_cap = keep.tables_cap;
    if (ncpus * cpu_tables_bytes(m) > m->tables_cap) {
        free(m->cpu_tables);
        m->cpu_tables = malloc(ncpus * cpu_tables_bytes(m));
        m->tables_cap = m->cpu_tables ? ncpus * cpu_tables_bytes(m) : 0;
        memset(pristine, 0, sizeof(pristine));
    }
    if (rc == SUT_OK && !m->cpu_tables) {
        rc = SUT_ENOMEM;
    }
    if (rc) {
        m->ncpus_alloc = 0; /* no vCPU was set up: sut_free tears down none */
        sut_free(m);
        *err = rc;
        return NULL;
    }
    for (unsigned i = 0; i < ncpus; i++) {
        cpu_init(m, &m->cpus[i], i, pristine[i]);
    }
    m->ncpus_alloc = ncpus;
    m->ncpus = max_cpus;
    *err = SUT_OK;
    return m;
}

void sut_clear(sut_machine *m)
{
    if (m && !m->cleared) {
        machine_teardown(m);
        m->cleared = true;
    }
}

void sut_free(sut_machine *m)
{
    if (!m) {
        return;
    }
    sut_clear(m);
    ram_pool_free(m);
    free(m->mmio);
    free(m->cpu_tables);
    free(m->excl_history);
    free(m);
}

const sut_config *sut_get_config(const sut_machine *m)
{
    return &m->cfg;
}

/* ---- vCPU hot-plug ---------------------------------------------------------- */

unsigned sut_cpus_present(const sut_machine *m)
{
    return m ? cpus_present(m) : 0;
}

/* A vCPU is realized at run time: the next cpu_index, an empty TLB, no
 * reservation; the exclusive bitmap is not touched (QEMU's hot-plug leaves
 * it alone, so the new vCPU's cluster bit is whatever the pages hold). */
int sut_cpu_plug(sut_machine *m, unsigned *index)
{
    if (!m) {
        return SUT_EINVAL;
    }
    enter(m, NULL);
    start_exclusive(m, NULL);
    int rc = SUT_ENOSPC;
    const unsigned n = cpus_present(m);
    if (n < m->ncpus_alloc) {
        __atomic_store_n(&m->ncpus, n + 1, __ATOMIC_RELEASE);
        if (index) {
            *index = n;
        }
        rc = SUT_OK;
    }
    end_exclusive(m, NULL);
    leave(m, NULL);
    return rc;
}

/* ---- RAM ----------------------------------------------------------------- */

int sut_ram_block_add(sut_machine *m, uint64_t size, uint64_t max_size, unsigned flags,
                      uint64_t *offset_out)
{
    uint64_t off;
    if (!m) {
        return SUT_EINVAL;
    }
    enter(m, NULL);
    int rc = ram_block_add(m, size, max_size, flags, &off);
    leave(m, NULL);
    if (rc == SUT_OK && offset_out) {
        *offset_out = off;
    }
    return rc;
}

int sut_ram_resize(sut_machine *m, uint64_t offset, uint64_t new_size)
{
    if (!m) {
        return SUT_EINVAL;
    }
    enter(m, NULL);
    start_exclusive(m, NULL);
    int rc = ram_resize(m, offset, new_size);
    end_exclusive(m, NULL);
    leave(m, NULL);
    return rc;
}

int sut_ram_block_remove(sut_machine *m, uint64_t offset)
{
    if (!m) {
        return SUT_EINVAL;
    }
    enter(m, NULL);
    start_exclusive(m, NULL);
    const ram_block *b = NULL;
    const ram_list *l = ram_list_get(m);
    for (unsigned i = 0; l && i < l->n; i++) {
        b = l->b[i]->offset == offset ? l->b[i] : b;
    }
    uint64_t len = b ? b->max_length : 0;
    int rc = ram_block_remove(m, offset);
    if (rc == SUT_OK) {
        m->ops->external_write(m, offset, len);
    }
    end_exclusive(m, NULL);
    leave(m, NULL);
    return rc;
}

uint64_t sut_last_ram_offset(const sut_machine *m)
{
    return m ? ram_last_offset(m) : 0;
}

int sut_ram_block_info(const sut_machine *m, unsigned i, uint64_t *offset, uint64_t *used,
                       uint64_t *max, unsigned *flags)
{
    const ram_list *l = m ? ram_list_get(m) : NULL;
    if (!l || i >= l->n) {
        return SUT_ENOENT;
    }
    /* The list is in QEMU's order (by max_length): the i-th by offset. */
    const ram_block *b = NULL;
    for (unsigned k = 0; k < l->n && !b; k++) {
        unsigned below = 0;
        for (unsigned j = 0; j < l->n; j++) {
            below += l->b[j]->offset < l->b[k]->offset;
        }
        b = below == i ? l->b[k] : NULL;
    }
    if (offset) *offset = b->offset;
    if (used) *used = __atomic_load_n(&b->used_length, __ATOMIC_ACQUIRE);
    if (max) *max = b->max_length;
    if (flags) *flags = b->flags;
    return SUT_OK;
}

int sut_map_page(sut_machine *m, uint64_t vaddr, uint64_t paddr)
{
    if (!m || vaddr >= SUT_VADDR_LIMIT) {
        return SUT_EINVAL;
    }
    const uint64_t vpage = vaddr & m->page_mask, ppage = paddr & m->page_mask;
    int rc = SUT_OK;
    enter(m, NULL);
    unsigned i = 0;
    while (i < m->n_alias && m->alias[i].vpage != vpage) {
        i++;
    }
    if (vpage == ppage) {
        if (i < m->n_alias) {
            m->alias[i] = m->alias[--m->n_alias];
        }
    } else if (i < m->n_alias) {
        m->alias[i].ppage = ppage;
    } else if (m->n_alias < sizeof(m->alias) / sizeof(m->alias[0])) {
        m->alias[m->n_alias].vpage = vpage;
        m->alias[m->n_alias].ppage = ppage;
        m->n_alias++;
    } else {
        rc = SUT_ENOSPC;
    }
    /* A broadcast TLB invalidate of the page, completed. */
    for (unsigned c = 0; rc == SUT_OK && c < cpus_present(m); c++) {
        tlb_flush_page_now(m, &m->cpus[c], vaddr);
    }
    leave(m, NULL);
    return rc;
}

/* ---- guest accesses ------------------------------------------------------- */

static bool valid_access(const sut_machine *m, unsigned cpu, unsigned mmu, unsigned size)
{
    return m && cpu < cpus_present(m) && mmu < m->cfg.mmu_modes &&
           (size == 1 || size == 2 || size == 4 || size == 8);
}

static bool paddr_mapped(const sut_machine *m, uint64_t paddr)
{
    return (paddr >= SUT_MMIO_BASE && paddr - SUT_MMIO_BASE < SUT_MMIO_SIZE) ||
           ram_find(m, paddr, true) != NULL;
}

/* Faults are taken before anything happens, so a failed call has no effect
 * (QEMU would raise a guest exception part-way; the harness wants none). */
static int check_mapped(const sut_machine *m, uint64_t vaddr, unsigned size)
{
    uint64_t pa;
    if (vaddr + size > SUT_VADDR_LIMIT) {
        return SUT_EFAULT;
    }
    for (uint64_t a = vaddr; a < vaddr + size; a = (a & m->page_mask) + m->page_size) {
        if (translate(m, a, &pa) || !paddr_mapped(m, pa)) {
            return SUT_EFAULT;
        }
    }
    return SUT_OK;
}

/* The shape every guest access shares: validate, enter the variant's
 * threading discipline, fault before anything happens. On SUT_OK the caller
 * performs the access and then calls leave(m, *c). */
static int access_begin(sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr,
                        unsigned size, const void *out, sut_cpu **c)
{
    if (!valid_access(m, cpu, mmu_idx, size) || !out) {
        return SUT_EINVAL;
    }
    *c = &m->cpus[cpu];
    enter(m, *c);
    int rc = check_mapped(m, vaddr, size);
    if (rc) {
        leave(m, *c);
        return rc;
    }
    return SUT_OK;
}

int sut_load(sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr, unsigned size,
             bool be, uint64_t *val)
{
    sut_cpu *c;
    int rc = access_begin(m, cpu, mmu_idx, vaddr, size, val, &c);
    if (rc == SUT_OK) {
        rc = load_helper(m, c, mmu_idx, vaddr, size, be, val);
        leave(m, c);
    }
    return rc;
}

int sut_store(sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr, unsigned size,
              bool be, uint64_t val)
{
    sut_cpu *c;
    int rc = access_begin(m, cpu, mmu_idx, vaddr, size, &val, &c);
    if (rc == SUT_OK) {
        rc = store_helper(m, c, mmu_idx, vaddr, size, be, val);
        leave(m, c);
    }
    return rc;
}

int sut_ll(sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr, unsigned size,
           bool be, uint64_t *val)
{
    sut_cpu *c;
    int rc = access_begin(m, cpu, mmu_idx, vaddr, size, val, &c);
    if (rc == SUT_OK) {
        rc = m->ops->ll(m, c, mmu_idx, vaddr, size, be, val);
        leave(m, c);
    }
    return rc;
}

int sut_sc(sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr, unsigned size,
           bool be, uint64_t val, int *status)
{
    sut_cpu *c;
    int rc = access_begin(m, cpu, mmu_idx, vaddr, size, status, &c);
    if (rc == SUT_OK) {
        rc = m->ops->sc(m, c, mmu_idx, vaddr, size, be, val, status);
        if (rc == SUT_OK && *status == 0) {
            STAT_INC(m, sc_success);
        } else if (rc == SUT_OK) {
            STAT_INC(m, sc_fail);
        }
        leave(m, c);
    }
    return rc;
}

int sut_clrex(sut_machine *m, unsigned cpu)
{
    if (!m || cpu >= cpus_present(m)) {
        return SUT_EINVAL;
    }
    sut_cpu *c = &m->cpus[cpu];
    enter(m, c);
    m->ops->clrex(m, c);
    leave(m, c);
    return SUT_OK;
}

int sut_run_work(sut_machine *m, unsigned cpu)
{
    if (!m || cpu >= cpus_present(m)) {
        return SUT_EINVAL;
    }
    sut_cpu *c = &m->cpus[cpu];
    enter(m, c);
    int n = run_work(m, c);
    leave(m, c);
    return n;
}

int sut_tlb_flush(sut_machine *m, unsigned cpu)
{
    if (!m || cpu >= cpus_present(m)) {
        return SUT_EINVAL;
    }
    sut_cpu *c = &m->cpus[cpu];
    enter(m, c);
    tlb_flush_now(m, c);
    leave(m, c);
    return SUT_OK;
}

int sut_tlb_flush_page(sut_machine *m, unsigned cpu, uint64_t vaddr)
{
    if (!m || cpu >= cpus_present(m)) {
        return SUT_EINVAL;
    }
    sut_cpu *c = &m->cpus[cpu];
    enter(m, c);
    tlb_flush_page_now(m, c, vaddr);
    leave(m, c);
    return SUT_OK;
}

/* tlb_protect_code: clear the CODE client, make the page's entries notdirty. */
int sut_protect_code(sut_machine *m, uint64_t paddr)
{
    if (!m) {
        return SUT_EINVAL;
    }
    enter(m, NULL);
    start_exclusive(m, NULL);
    int rc = SUT_EFAULT;
    const ram_block *b = ram_find(m, paddr, true);
    if (b) {
        dirty_clear_range(m, paddr & m->page_mask, m->page_size, 1u << DIRTY_MEMORY_CODE);
        tlb_reset_dirty_range(m, paddr);
        rc = SUT_OK;
    }
    end_exclusive(m, NULL);
    leave(m, NULL);
    return rc;
}

/* address_space_write: invalidate_and_set_dirty never includes EXCLUSIVE.
 * The variants that stop the world (fixed) write and reset the reservations
 * in one exclusive section: an SC that checked its range between the two
 * would succeed after the DMA wrote. */
int sut_dma_write(sut_machine *m, uint64_t paddr, unsigned size, uint64_t val)
{
    if (!m || !(size == 1 || size == 2 || size == 4 || size == 8)) {
        return SUT_EINVAL;
    }
    enter(m, NULL);
    start_exclusive(m, NULL);
    int rc = SUT_OK;
    for (unsigned i = 0; i < size && rc == SUT_OK; i++) {
        rc = paddr_mapped(m, paddr + i) ? SUT_OK : SUT_EFAULT;
    }
    for (unsigned i = 0; i < size && rc == SUT_OK; i++) {
        const uint64_t a = paddr + i;
        const uint8_t byte = (uint8_t)(val >> (8 * i));
        if (a >= SUT_MMIO_BASE) {
            if (!mmio_device_write(m, a - SUT_MMIO_BASE, byte)) {
                rc = SUT_ENOMEM;
                break;
            }
            continue;
        }
        const ram_block *b = ram_find(m, a, true);
        if (b->flags & SUT_RAM_ROM) {
            continue;
        }
        tb_invalidate_phys_page(m, a);
        ram_host_store(b->host + (a - b->offset), 1, byte);
        dirty_set_range(m, a, 1, (1u << DIRTY_MEMORY_VGA) | (1u << DIRTY_MEMORY_MIGRATION));
    }
    if (rc == SUT_OK) {
        m->ops->external_write(m, paddr, size);
    }
    end_exclusive(m, NULL);
    leave(m, NULL);
    return rc;
}

bool sut_page_is_exclusive(const sut_machine *m, uint64_t paddr)
{
    return m && m->ops->page_is_exclusive(m, paddr);
}

int sut_tlb_write_flags(const sut_machine *m, unsigned cpu, unsigned mmu_idx, uint64_t vaddr)
{
    if (!m || cpu >= cpus_present(m) || mmu_idx >= m->cfg.mmu_modes) {
        return -1;
    }
    const sut_cpu *c = &m->cpus[cpu];
    const tlb_entry *te = &c->tlb[mmu_idx * m->tlb_size + tlb_index(m, vaddr)];
    if (!tlb_hit(m, te->addr_write, vaddr)) {
        return -1;
    }
    return (int)(te->addr_write & ~m->page_mask);
}

bool sut_tlb_read_entry(const sut_machine *m, unsigned cpu, unsigned mmu, uint64_t vaddr,
                        sut_tlb_read_view *out)
{
    if (!m || !out || cpu >= cpus_present(m) || mmu >= m->cfg.mmu_modes) {
        return false;
    }
    const sut_cpu *c = &m->cpus[cpu];
    const uint64_t vpage = vaddr & m->page_mask;
    const unsigned nv = m->cfg.vtlb_size;
    for (unsigned v = 0; v <= nv; v++) {
        const bool victim = v > 0;
        const size_t i = victim ? mmu * nv + v - 1 : mmu * m->tlb_size + tlb_index(m, vaddr);
        const tlb_entry *te = victim ? &c->vtlb[i] : &c->tlb[i];
        const iotlb_entry *io = victim ? &c->viotlb[i] : &c->iotlb[i];
        if (!tlb_hit(m, te->addr_read, vaddr)) {
            continue;
        }
        uint64_t pa = hw_addr_of(io, vpage), now = 0;
        const ram_block *b = io->kind == PHYS_MMIO ? NULL : ram_find(m, pa, false);
        pa += io->kind == PHYS_MMIO ? SUT_MMIO_BASE : 0;
        translate(m, vpage, &now);
        out->victim = victim;
        out->vaddr = vpage;
        out->paddr = pa & m->page_mask;
        out->guest_paddr = now & m->page_mask;
        out->host_current = io->kind == PHYS_MMIO ||
                            (b && (uintptr_t)(vpage + te->addend) ==
                                      (uintptr_t)(b->host + (pa - b->offset)));
        out->fill = io->fill;
        return true;
    }
    return false;
}

