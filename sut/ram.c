/*
 * ram.c - RAM blocks in the ram_addr space and the dirty-memory clients
 * (spec 2.1, 2.2, 3.1, 3.2).
 *
 * Two storages for the dirty bitmaps, as the two designs had them:
 *  - flat (v6): one unsigned long array per client, grown by realloc in
 *    ram_block_add with a plain pointer store: readers on other threads can
 *    read a moved array (W2);
 *  - blocks (v8, fixed, cmpxchg): DirtyMemoryBlocks, fixed-size blocks behind
 *    an RCU-published pointer array; old arrays are retired, never freed
 *    under a reader.
 */
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "internal.h"

/* ---- host memory ---------------------------------------------------------
 * A fuzz target runs a machine per input (sut_renew), and fresh host memory
 * per block, through ASan's quarantine, cost it more than the run. Blocks of
 * the last run give their memory back to a small pool, by power-of-two
 * size; a block gets zeroed memory of its max_length, and the rest of the
 * buffer stays poisoned for ASan, as the redzone past a calloc would be. */
static uint64_t host_class(uint64_t max)
{
    uint64_t cap = 4096;
    while (cap < max) {
        cap <<= 1;
    }
    return cap;
}

static uint8_t *host_take(sut_machine *m, uint64_t max)
{
    const uint64_t cap = host_class(max);
    for (unsigned i = 0; cap <= HOST_POOL_MAX_BYTES && i < m->nhost_pool; i++) {
        if (m->host_pool[i].cap == cap) {
            uint8_t *h = m->host_pool[i].host;
            m->host_pool[i] = m->host_pool[--m->nhost_pool];
            ASAN_UNPOISON_MEMORY_REGION(h, max);
            memset(h, 0, max);
            return h;
        }
    }
    uint8_t *h = calloc(1, cap <= HOST_POOL_MAX_BYTES ? cap : max);
    if (h && cap <= HOST_POOL_MAX_BYTES) {
        ASAN_POISON_MEMORY_REGION(h + max, cap - max);
    }
    return h;
}

/* The memory of a block being torn down (no reader is left). */
static void host_put(sut_machine *m, uint8_t *host, uint64_t max)
{
    const uint64_t cap = host_class(max);
    if (host && cap <= HOST_POOL_MAX_BYTES && m->nhost_pool < HOST_POOL_N) {
        ASAN_POISON_MEMORY_REGION(host, cap);
        m->host_pool[m->nhost_pool].host = host;
        m->host_pool[m->nhost_pool++].cap = cap;
        return;
    }
    if (host && cap <= HOST_POOL_MAX_BYTES) {
        ASAN_UNPOISON_MEMORY_REGION(host, cap);
    }
    free(host);
}

void ram_pool_free(sut_machine *m)
{
    while (m->nhost_pool) {
        m->nhost_pool--;
        ASAN_UNPOISON_MEMORY_REGION(m->host_pool[m->nhost_pool].host,
                                    m->host_pool[m->nhost_pool].cap);
        free(m->host_pool[m->nhost_pool].host);
    }
}

static void retire(sut_machine *m, void *p)
{
    retired *r = malloc(sizeof(*r));
    if (!r) {
        /* Leaking is the safe choice: a reader may still hold p. */
        return;
    }
    r->ptr = p;
    r->next = m->retired;
    m->retired = r;
}

const ram_list *ram_list_get(const sut_machine *m)
{
    return __atomic_load_n(&m->ram, __ATOMIC_ACQUIRE);
}

const ram_block *ram_find(const sut_machine *m, uint64_t ram_addr, bool used_only)
{
    const ram_list *l = ram_list_get(m);
    for (unsigned i = 0; l && i < l->n; i++) {
        const ram_block *b = l->b[i];
        uint64_t len = used_only ? __atomic_load_n(&b->used_length, __ATOMIC_ACQUIRE)
                                 : b->max_length;
        if (ram_addr >= b->offset && ram_addr - b->offset < len) {
            return b;
        }
    }
    return NULL;
}

/* Note: over max_length, not used_length (spec 2.1). */
uint64_t ram_last_offset(const sut_machine *m)
{
    const ram_list *l = ram_list_get(m);
    uint64_t last = 0;
    for (unsigned i = 0; l && i < l->n; i++) {
        uint64_t end = l->b[i]->offset + l->b[i]->max_length;
        last = end > last ? end : last;
    }
    return last;
}

/* find_ram_offset (spec 2.1): 0 for the first block; otherwise, for the end
 * of each block in list order, the gap up to the next block start - or up to
 * RAM_ADDR_MAX after the last block, so that tail gap never wins over an
 * interior gap that fits - and the smallest gap that fits wins, the first in
 * list order on a tie. ram_limit only caps where the block may end. */
static int find_ram_offset(const sut_machine *m, uint64_t size, uint64_t *out)
{
    const ram_list *l = ram_list_get(m);
    uint64_t best = UINT64_MAX, mingap = UINT64_MAX;

    if (!l || l->n == 0) {
        best = 0;
    }
    for (unsigned i = 0; l && i < l->n; i++) {
        uint64_t end = l->b[i]->offset + l->b[i]->max_length;
        uint64_t next = UINT64_MAX; /* RAM_ADDR_MAX */
        for (unsigned j = 0; j < l->n; j++) {
            if (l->b[j]->offset >= end && l->b[j]->offset < next) {
                next = l->b[j]->offset;
            }
        }
        if (next - end >= size && next - end < mingap) {
            best = end;
            mingap = next - end;
        }
    }
    if (best == UINT64_MAX || best > m->cfg.ram_limit || size > m->cfg.ram_limit - best) {
        return SUT_ENOSPC;
    }
    *out = best;
    return SUT_OK;
}

/* TARGET_PAGE_ALIGN: sizes are rounded up to whole pages, as QEMU does. */
static bool page_align(const sut_machine *m, uint64_t *size)
{
    if (*size > UINT64_MAX - (m->page_size - 1)) {
        return false;
    }
    *size = (*size + m->page_size - 1) & m->page_mask;
    return true;
}

/* ---- dirty storage ---------------------------------------------------- */

static uint64_t block_bits(const sut_machine *m)
{
    return 1ULL << m->cfg.dirty_block_bits;
}

static unsigned long excl_cells(const sut_machine *m, unsigned client)
{
    /* v6 keeps EXCL_BITMAP_CELL_SZ bits per page for the exclusive client. */
    return (client == DIRTY_MEMORY_EXCLUSIVE && !m->ops->block_storage)
               ? m->cfg.cell_sz : 1;
}

/* The storage itself says what it holds: the flat v6 map was extended to
 * pages x cells bits, each DirtyMemoryBlocks block holds one bit per page. */
int sut_excl_bitmap_size(const sut_machine *m, uint64_t *bits, uint64_t *pages)
{
    if (!m || !bits || !pages) {
        return SUT_EINVAL;
    }
    *pages = dirty_pages_get(m);
    /* cmpxchg's block storage allocates the client with the others, and
     * never reads or writes it: QEMU's cmpxchg emulation has none. */
    *bits = m->cfg.variant == SUT_CMPXCHG ? 0
                                          : *pages * excl_cells(m, DIRTY_MEMORY_EXCLUSIVE);
    return SUT_OK;
}

/* Word map and bit index for page in a block-stored client (rcu_read_lock
 * implied: arrays are never freed under readers). */
unsigned long *dirty_block_word_map(const sut_machine *m, unsigned client,
                                    uint64_t page, long *bit)
{
    const dirty_blocks *db = __atomic_load_n(&m->blocks[client], __ATOMIC_ACQUIRE);
    uint64_t idx = page >> m->cfg.dirty_block_bits;
    if (!db || idx >= db->n) {
        return NULL;
    }
    *bit = (long)(page & (block_bits(m) - 1));
    return db->blocks[idx];
}

/* dirty_memory_extend (v8): grow every client's block array, publish, retire. */
static int dirty_memory_extend(sut_machine *m, uint64_t old_pages, uint64_t new_pages)
{
    uint64_t bb = block_bits(m);
    unsigned old_n = (unsigned)((old_pages + bb - 1) / bb);
    unsigned new_n = (unsigned)((new_pages + bb - 1) / bb);

    if (new_n <= old_n) {
        return SUT_OK;
    }
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        dirty_blocks *old = m->blocks[c];
        dirty_blocks *nb = calloc(1, sizeof(*nb) + new_n * sizeof(unsigned long *));
        if (!nb) {
            return SUT_ENOMEM;
        }
        unsigned have = old ? old->n : 0;
        for (unsigned i = 0; i < have; i++) {
            nb->blocks[i] = old->blocks[i];
        }
        for (unsigned i = have; i < new_n; i++) {
            nb->blocks[i] = bm_bitmap_new((long)bb);
            if (!nb->blocks[i]) {
                for (unsigned j = have; j < i; j++) {
                    bm_bitmap_free(nb->blocks[j]);
                }
                free(nb);
                return SUT_ENOMEM;
            }
        }
        nb->n = new_n;
        __atomic_store_n(&m->blocks[c], nb, __ATOMIC_RELEASE);
        if (old) {
            retire(m, old);
        }
    }
    __atomic_store_n(&m->dirty_pages, (uint64_t)new_n * bb, __ATOMIC_RELEASE);
    return SUT_OK;
}

/* v6 step 6: realloc each flat bitmap; EXCLUSIVE by pages * cell size. The
 * new pointer is published with a plain store, as in the design (W2). */
static int flat_extend(sut_machine *m, uint64_t old_pages, uint64_t new_pages)
{
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        unsigned long k = excl_cells(m, c);
        SUT_SCHED_POINT(SUT_SP_REALLOC);
        unsigned long *p = bm_bitmap_zero_extend(m->flat[c], (long)(old_pages * k),
                                                 (long)(new_pages * k));
        if (!p) {
            return SUT_ENOMEM;
        }
        m->flat[c] = p;
        SUT_SCHED_POINT(SUT_SP_REALLOCED);
    }
    __atomic_store_n(&m->dirty_pages, new_pages, __ATOMIC_RELEASE);
    return SUT_OK;
}

static void range_pages(const sut_machine *m, uint64_t start, uint64_t length,
                        uint64_t *page, uint64_t *end)
{
    *page = start >> m->cfg.page_bits;
    *end = (start + length + m->page_size - 1) >> m->cfg.page_bits;
}

/* Apply the atomic set (cpu_physical_memory_set_dirty_range) or clear
 * (cpu_physical_memory_clear_dirty_range, used by resize) to every client
 * in mask, over the pages of [start, start+length). */
static void dirty_range_apply(sut_machine *m, uint64_t start, uint64_t length,
                              unsigned mask, bool set)
{
    uint64_t page, end;
    range_pages(m, start, length, &page, &end);
    if (end > dirty_pages_get(m)) {
        end = dirty_pages_get(m);
    }
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM && page < end; c++) {
        if (!(mask & (1u << c))) {
            continue;
        }
        for (uint64_t p = page; p < end;) {
            unsigned long *map;
            long bit = 0, k = 1;
            uint64_t n = end - p;
            if (m->ops->block_storage) {
                map = dirty_block_word_map(m, c, p, &bit);
                if (!map) {
                    break;
                }
                n = n < block_bits(m) - (uint64_t)bit ? n : block_bits(m) - (uint64_t)bit;
            } else {
                k = (long)excl_cells(m, c); /* one flat run, cells per page */
                map = m->flat[c];
                bit = (long)p * k;
            }
            if (set) {
                bm_bitmap_set_atomic(map, bit, (long)n * k);
            } else {
                bm_bitmap_test_and_clear_atomic(map, bit, (long)n * k);
            }
            p += n;
        }
    }
}

void dirty_set_range(sut_machine *m, uint64_t start, uint64_t length, unsigned mask)
{
    dirty_range_apply(m, start, length, mask, true);
}

void dirty_clear_range(sut_machine *m, uint64_t start, uint64_t length, unsigned mask)
{
    dirty_range_apply(m, start, length, mask, false);
}

/* One bit of a one-bit-per-page client. QEMU reads it with test_bit (a plain
 * load); the corrected variants read it atomically. */
bool dirty_get(const sut_machine *m, uint64_t ram_addr, unsigned client)
{
    uint64_t page = ram_addr >> m->cfg.page_bits;
    unsigned long *map;
    long bit = 0;

    if (page >= dirty_pages_get(m)) {
        return false;
    }
    if (m->ops->block_storage) {
        map = dirty_block_word_map(m, client, page, &bit);
        if (!map) {
            return false;
        }
    } else {
        map = m->flat[client];
        bit = (long)page;
    }
    if (m->ops->atomic_dirty_reads) {
        unsigned long w = __atomic_load_n(&map[bit / BM_BITS_PER_LONG], __ATOMIC_ACQUIRE);
        return (w >> (bit % BM_BITS_PER_LONG)) & 1;
    }
    return bm_test_bit(bit, map);
}

void tb_invalidate_phys_page(sut_machine *m, uint64_t ram_addr)
{
    const ram_block *b = ram_find(m, ram_addr, false);
    if (!b || dirty_get(m, ram_addr, DIRTY_MEMORY_CODE)) {
        return;
    }
    dirty_set_range(m, ram_addr, 1, 1u << DIRTY_MEMORY_CODE);
    __atomic_fetch_add(&b->tb_inval[(ram_addr - b->offset) >> m->cfg.page_bits], 1,
                       __ATOMIC_RELAXED);
}

/* cpu_physical_memory_is_clean: some client still wants to see writes. */
bool ram_is_clean(const sut_machine *m, uint64_t ram_addr)
{
    return !dirty_get(m, ram_addr, DIRTY_MEMORY_VGA) ||
           !dirty_get(m, ram_addr, DIRTY_MEMORY_CODE) ||
           !dirty_get(m, ram_addr, DIRTY_MEMORY_MIGRATION);
}

/* ---- blocks ------------------------------------------------------------ */

static int publish_list(sut_machine *m, const ram_list *from, ram_block *add,
                        const ram_block *drop)
{
    ram_list *l = calloc(1, sizeof(*l));
    if (!l) {
        return SUT_ENOMEM;
    }
    for (unsigned i = 0; from && i < from->n; i++) {
        if (from->b[i] != drop) {
            l->b[l->n++] = from->b[i];
        }
    }
    if (add) {
        /* QEMU's order: before the first block with a smaller max_length. */
        unsigned i = l->n;
        while (i > 0 && l->b[i - 1]->max_length < add->max_length) {
            l->b[i] = l->b[i - 1];
            i--;
        }
        l->b[i] = add;
        l->n++;
    }
    __atomic_store_n(&m->ram, l, __ATOMIC_RELEASE);
    if (from) {
        retire(m, (void *)from);
    }
    return SUT_OK;
}

int ram_block_add(sut_machine *m, uint64_t size, uint64_t max, unsigned flags,
                  uint64_t *offset_out)
{
    uint64_t offset;
    int rc;

    if (!page_align(m, &size) || !page_align(m, &max) || size == 0 || size > max ||
        (flags & ~(SUT_RAM_RESIZEABLE | SUT_RAM_ROM)) ||
        (!(flags & SUT_RAM_RESIZEABLE) && size != max)) {
        return SUT_EINVAL;
    }
    /* 1. old_ram_size counts pages, despite its name. */
    uint64_t old_ram_pages = ram_last_offset(m) >> m->cfg.page_bits;

    pthread_mutex_lock(&m->ramlist_mutex);
    const ram_list *l = ram_list_get(m);
    if (l && l->n >= SUT_MAX_BLOCKS) {
        pthread_mutex_unlock(&m->ramlist_mutex);
        return SUT_ENOSPC;
    }
    rc = find_ram_offset(m, max, &offset);
    if (rc) {
        pthread_mutex_unlock(&m->ramlist_mutex);
        return rc;
    }
    ram_block *b = calloc(1, sizeof(*b));
    uint8_t *host = host_take(m, max);
    uint64_t *tb_inval = calloc(max >> m->cfg.page_bits, sizeof(uint64_t));
    if (!b || !host || !tb_inval) {
        free(b);
        host_put(m, host, max);
        free(tb_inval);
        pthread_mutex_unlock(&m->ramlist_mutex);
        return SUT_ENOMEM;
    }
    b->offset = offset;
    b->used_length = size;
    b->max_length = max;
    b->flags = flags;
    b->host = host;
    b->tb_inval = tb_inval;

    uint64_t new_ram_pages = (offset + max) >> m->cfg.page_bits;
    if (m->ops->block_storage && new_ram_pages > old_ram_pages) {
        /* v8: extend under the ramlist lock, before the block is visible. */
        rc = dirty_memory_extend(m, dirty_pages_get(m), new_ram_pages);
    }
    if (rc == SUT_OK) {
        rc = publish_list(m, l, b, NULL);
    }
    pthread_mutex_unlock(&m->ramlist_mutex);
    if (rc) {
        host_put(m, host, max);
        free(tb_inval);
        free(b);
        return rc;
    }

    /* v6 step 5-6: recompute, then realloc every flat bitmap. */
    new_ram_pages = ram_last_offset(m) >> m->cfg.page_bits;
    if (!m->ops->block_storage && new_ram_pages > old_ram_pages) {
        rc = flat_extend(m, old_ram_pages, new_ram_pages);
        if (rc) {
            return rc; /* the block stays, as QEMU would have aborted */
        }
    }
    /* 7. Every used page dirty for every client (EXCLUSIVE per variant). */
    dirty_set_range(m, offset, size, DIRTY_CLIENTS_NOEXCL);
    m->ops->ram_set_dirty(m, offset, size, max);
    /* Mapping the block (memory_region_add_subregion) commits a transaction. */
    tlb_flush_ram_map_changed(m);
    *offset_out = offset;
    return SUT_OK;
}

static ram_block *ram_find_exact(sut_machine *m, uint64_t offset)
{
    const ram_list *l = ram_list_get(m);
    for (unsigned i = 0; l && i < l->n; i++) {
        if (l->b[i]->offset == offset) {
            return l->b[i];
        }
    }
    return NULL;
}

int ram_resize(sut_machine *m, uint64_t offset, uint64_t new_size)
{
    ram_block *b = ram_find_exact(m, offset);
    if (!b) {
        return SUT_ENOENT;
    }
    if (!page_align(m, &new_size) || new_size == 0) {
        return SUT_EINVAL;
    }
    uint64_t old = b->used_length;
    if (new_size == old) {
        return SUT_OK;
    }
    if (!(b->flags & SUT_RAM_RESIZEABLE) || new_size > b->max_length) {
        return SUT_EINVAL;
    }
    /* 3. MIGRATION, VGA and CODE only: the exclusive client is untouched. */
    dirty_clear_range(m, offset, old, DIRTY_CLIENTS_NOEXCL);
    __atomic_store_n(&b->used_length, new_size, __ATOMIC_RELEASE);
    /* 5. The whole new used range becomes non-exclusive (spec 3.2). */
    dirty_set_range(m, offset, new_size, DIRTY_CLIENTS_NOEXCL);
    m->ops->ram_set_dirty(m, offset, new_size, b->max_length);
    /* 6. memory_region_set_size commits a memory transaction, growing or
     * shrinking (spec 3.2). */
    tlb_flush_ram_map_changed(m);
    return SUT_OK;
}

int ram_block_remove(sut_machine *m, uint64_t offset)
{
    pthread_mutex_lock(&m->ramlist_mutex);
    ram_block *b = ram_find_exact(m, offset);
    if (!b) {
        pthread_mutex_unlock(&m->ramlist_mutex);
        return SUT_ENOENT;
    }
    int rc = publish_list(m, ram_list_get(m), NULL, b);
    if (rc == SUT_OK) {
        /* Retired with its memory: freed (or pooled) at teardown. */
        b->next_removed = m->removed;
        m->removed = b;
    }
    pthread_mutex_unlock(&m->ramlist_mutex);
    if (rc == SUT_OK) {
        /* At once in every flavour, MTTCG included: removal is for the
         * sequential harness (sut.h), and a queued flush would leave entries
         * whose addend points into the retired host memory while a new block
         * takes the same ram_addr range. */
        tlb_flush_all_cpus_now(m);
    }
    return rc;
}

void ram_free_all(sut_machine *m)
{
    const ram_list *l = m->ram;
    for (unsigned i = 0; l && i < l->n; i++) {
        host_put(m, l->b[i]->host, l->b[i]->max_length);
        free(l->b[i]->tb_inval);
        free(l->b[i]);
    }
    free((void *)l);
    while (m->removed) {
        ram_block *b = m->removed;
        m->removed = b->next_removed;
        host_put(m, b->host, b->max_length);
        free(b->tb_inval);
        free(b);
    }
    while (m->retired) {
        retired *r = m->retired;
        m->retired = r->next;
        free(r->ptr);
        free(r);
    }
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        bm_bitmap_free(m->flat[c]);
        dirty_blocks *db = m->blocks[c];
        for (unsigned i = 0; db && i < db->n; i++) {
            bm_bitmap_free(db->blocks[i]);
        }
        free(db);
    }
}

void external_write_ignored(sut_machine *m, uint64_t paddr, uint64_t len)
{
    (void)m;
    (void)paddr;
    (void)len;
}

void ram_set_dirty_excl(sut_machine *m, uint64_t start, uint64_t len, uint64_t max_len)
{
    (void)max_len; /* the tail keeps its zeroed state (W7) */
    dirty_set_range(m, start, len, 1u << DIRTY_MEMORY_EXCLUSIVE);
}
