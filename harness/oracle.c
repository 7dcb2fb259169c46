/*
 * oracle.c - spec section 5 (reference semantics for LL/SC) as an independent
 * model: flat memory, local monitors, ghost write log. See oracle.h.
 *
 * Nothing here knows how the system under test works; it only knows what the
 * architecture allows. Deliberately simple data structures: linear scans over
 * at most a few dozen blocks, aliases and a few hundred log entries.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "oracle.h"

#define ORC_MAX_BLOCKS 64
#define ORC_MAX_ALIASES 64
#define ORC_LINE_BITS 6      /* touched memory is tracked in 64-byte lines */
#define ORC_TOUCHED_SLOTS 1024 /* hash set; when 3/4 full, TOUCHED checks all */
#define ORC_NEAR 16
#define ORC_MMIO_CHUNK 1024 /* the register file is allocated lazily */
#define ORC_MAX_CODE_PAGES 32  /* pages with translated code tracked */
#define ORC_MAX_MMIO_WANT 64   /* device byte writes expected between checks */

struct orc_block {
    uint64_t off, used, max;
    bool rom;
    uint8_t *mem; /* max bytes: the tail keeps its contents across resizes */
};

/* Where one byte lives in the model. */
struct orc_byte {
    uint64_t pa;
    uint8_t *p; /* NULL: unmapped */
    bool rom;
    bool mmio;
};

struct orc_access {
    unsigned n;
    bool mapped, aligned;
    struct orc_byte b[ORC_MAX_ACCESS];
};

enum { MON_OPEN, MON_EXCL };

struct orc_monitor {
    int state;
    /* Excl: the reserved bytes and the LL that set them */
    unsigned n;
    uint64_t pa[ORC_MAX_ACCESS];
    uint64_t va, val, ll_seq;
    unsigned size;
    long ll_op;
    /* Open: why (for messages) */
    const char *open_why;
    long open_op;
};

enum { W_STORE, W_SC, W_DMA };

/* Ghost write log: one entry per write that changed the model's memory
 * (writes ignored by ROM are not writes). */
struct orc_write {
    uint64_t seq;
    long op;
    int writer; /* vCPU index or ORC_AGENT_DMA */
    int kind;
    unsigned n;
    uint64_t pa[ORC_MAX_ACCESS];
    uint64_t va, val;
    unsigned size;
};

/* A page that had translated code (views section at the end). */
struct orc_code_page {
    uint64_t page;
    bool code;          /* translations exist: protect_code since the last write */
    bool must;          /* written while they existed, not judged yet */
    bool fresh;         /* the system's count not read yet */
    uint64_t seen;      /* the system's invalidation count at the last check */
    long code_op;       /* the protect_code that made them */
    char what[112];     /* the write that must invalidate them */
};

/* The last event, to attribute a memory divergence. */
struct orc_footprint {
    const char *what;  /* "SC", "store", ... or a note */
    const char *who;   /* NULL, "DMA", or "vCPU" + cpu */
    unsigned cpu;
    uint64_t addr;
    unsigned asize;
    bool access;     /* an access: bytes below are its footprint */
    bool is_sc;
    int status;      /* SC status, or -1 */
    bool writes;     /* store/DMA/successful SC */
    unsigned n;
    uint64_t pa[ORC_MAX_ACCESS];
    /* A faulting multi-byte write: each mapped byte may hold either its old
     * value or its new one (the bytes of a faulting access are UNKNOWN). */
    bool maybe;
    uint8_t newb[ORC_MAX_ACCESS];
    bool newb_valid[ORC_MAX_ACCESS];
    int writer, kind;
    long op;
    uint64_t va, val;
    unsigned size;
};

struct orc {
    struct orc_params p;
    uint64_t page_mask;
    unsigned nblocks;
    struct orc_block blocks[ORC_MAX_BLOCKS];
    uint8_t **mmio;       /* chunks of ORC_MMIO_CHUNK bytes, NULL: zeros */
    size_t nchunks, capchunks;
    unsigned naliases;
    struct { uint64_t vpage, ppage; } alias[ORC_MAX_ALIASES];
    struct orc_monitor *mon;
    unsigned capmon;
    struct orc_write *log;
    size_t nlog, caplog;
    uint64_t seq;
    struct orc_footprint last;
    struct orc_liveness live;
    unsigned ntouched, ntouched_mmio; /* lines, and those in MMIO */
    bool touched_overflow;
    uint64_t *touched; /* hash set of line numbers + 1 (0: empty slot) */
    bool adopting;     /* orc_adopt_memory: take differing bytes, no verdict */
    long adopt_op;
    /* Views the oracle models beside memory (views section at the end). */
    unsigned ncode;
    struct orc_code_page code[ORC_MAX_CODE_PAGES];
    unsigned nmmio_want;
    bool mmio_want_lost;
    struct orc_mmio_write mmio_want[ORC_MAX_MMIO_WANT];
    /* A memory check's first divergence inside the last access's bytes:
     * reported only if no byte outside them diverges anywhere. */
    bool inside_found;
    uint64_t inside_pa;
    /* Memory of removed blocks, and of the last run's (orc_renew). */
    unsigned nspare;
    struct { uint8_t *mem; uint64_t cap; } spare[ORC_MAX_BLOCKS];
};

static void views_note_byte(struct orc *o, const struct orc_byte *b, uint8_t val);
static void views_forget_block(struct orc *o, uint64_t off, uint64_t max);

static void touch_line(struct orc *o, uint64_t line)
{
    uint64_t key = line + 1;
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 53) % ORC_TOUCHED_SLOTS;

    if (o->touched_overflow) {
        return;
    }
    while (o->touched[i] != 0) {
        if (o->touched[i] == key) {
            return;
        }
        i = (i + 1) % ORC_TOUCHED_SLOTS;
    }
    if (o->ntouched >= ORC_TOUCHED_SLOTS * 3 / 4) {
        o->touched_overflow = true;
        return;
    }
    o->touched[i] = key;
    o->ntouched++;
    if ((line << ORC_LINE_BITS) - o->p.mmio_base < o->p.mmio_size ||
        ((line + 1) << ORC_LINE_BITS) - o->p.mmio_base < o->p.mmio_size) {
        o->ntouched_mmio++;
    }
}

/* An access at pa: the lines within ORC_NEAR of it are compared at the end
 * (the NEAR check after a write already covered them once). */
static void touch(struct orc *o, uint64_t pa)
{
    uint64_t lo = pa > ORC_NEAR ? pa - ORC_NEAR : 0;

    for (uint64_t l = lo >> ORC_LINE_BITS; l <= (pa + ORC_NEAR) >> ORC_LINE_BITS; l++) {
        touch_line(o, l);
    }
}

static bool verdict(struct orc_verdict *v, const char *prop, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

static bool verdict(struct orc_verdict *v, const char *prop, const char *fmt,
                    ...)
{
    va_list ap;

    if (v) {
        v->property = prop;
        va_start(ap, fmt);
        vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
        va_end(ap);
    }
    return false;
}

struct orc *orc_new(const struct orc_params *p)
{
    return orc_renew(NULL, p);
}

/* Memory of a removed block, for the next orc_ram_add: a fuzz target runs a
 * model per input, and fresh memory per block cost it more than the model's
 * work. The tail past the block's bytes stays poisoned for ASan. */
static uint64_t spare_class(uint64_t max)
{
    uint64_t cap = 4096;

    while (cap < max) {
        cap <<= 1;
    }
    return cap;
}

static uint8_t *spare_take(struct orc *o, uint64_t max)
{
    const uint64_t cap = spare_class(max);
    uint8_t *mem;

    for (unsigned i = 0; i < o->nspare; i++) {
        if (o->spare[i].cap == cap) {
            mem = o->spare[i].mem;
            o->spare[i] = o->spare[--o->nspare];
            ASAN_UNPOISON_MEMORY_REGION(mem, max);
            memset(mem, 0, max);
            return mem;
        }
    }
    mem = calloc(cap, 1);
    if (mem) {
        ASAN_POISON_MEMORY_REGION(mem + max, cap - max);
    }
    return mem;
}

static void spare_put(struct orc *o, uint8_t *mem, uint64_t max)
{
    const uint64_t cap = spare_class(max);

    ASAN_UNPOISON_MEMORY_REGION(mem, cap);
    if (o->nspare == ORC_MAX_BLOCKS) {
        free(mem);
        return;
    }
    ASAN_POISON_MEMORY_REGION(mem, cap);
    o->spare[o->nspare].mem = mem;
    o->spare[o->nspare++].cap = cap;
}

static void spare_free(struct orc *o)
{
    for (unsigned i = 0; i < o->nspare; i++) {
        ASAN_UNPOISON_MEMORY_REGION(o->spare[i].mem, o->spare[i].cap);
        free(o->spare[i].mem);
    }
    o->nspare = 0;
}

/* The model as orc_new makes it; kept: the buffers, sized for the largest
 * run (their contents are rewritten by orc_renew or unread). */
void orc_clear(struct orc *o)
{
    if (!o) {
        return;
    }
    for (unsigned i = 0; i < o->nblocks; i++) {
        spare_put(o, o->blocks[i].mem, o->blocks[i].max);
    }
    o->nblocks = 0;
    for (size_t i = 0; o->mmio && i < o->nchunks; i++) {
        free(o->mmio[i]);
        o->mmio[i] = NULL;
    }
    if (o->ntouched || o->touched_overflow) {
        memset(o->touched, 0, ORC_TOUCHED_SLOTS * sizeof(*o->touched));
        o->ntouched = 0;
        o->ntouched_mmio = 0;
        o->touched_overflow = false;
    }
}

struct orc *orc_renew(struct orc *o, const struct orc_params *p)
{
    struct orc keep;

    if (!p || p->ncpus == 0 || p->page_bits < 1 || p->page_bits > 30 ||
        p->mmio_window_lo > p->mmio_size || p->mmio_window_hi > p->mmio_size) {
        orc_free(o);
        return NULL;
    }
    if (!o) {
        o = calloc(1, sizeof(*o));
        if (!o) {
            return NULL;
        }
    }
    orc_clear(o);
    memcpy(&keep, o, sizeof(keep));
    memset(o, 0, sizeof(*o));
    o->touched = keep.touched;
    o->log = keep.log;
    o->caplog = keep.caplog;
    o->mon = keep.mon;
    o->capmon = keep.capmon;
    o->nspare = keep.nspare;
    memcpy(o->spare, keep.spare, sizeof(o->spare));
    o->p = *p;
    o->page_mask = ~((UINT64_C(1) << p->page_bits) - 1);
    o->nchunks = (p->mmio_size + ORC_MMIO_CHUNK - 1) / ORC_MMIO_CHUNK;
    o->mmio = keep.mmio; /* every chunk NULL (orc_clear) */
    o->capchunks = keep.capchunks;
    if (o->nchunks > o->capchunks || !o->mmio) {
        free(o->mmio);
        o->mmio = calloc(o->nchunks ? o->nchunks : 1, sizeof(*o->mmio));
        o->capchunks = o->mmio ? o->nchunks : 0;
    }
    if (p->ncpus > o->capmon) {
        free(o->mon);
        o->mon = malloc(p->ncpus * sizeof(*o->mon));
        o->capmon = o->mon ? p->ncpus : 0;
    }
    if (!o->touched) {
        o->touched = calloc(ORC_TOUCHED_SLOTS, sizeof(*o->touched));
    }
    if (!o->mmio || !o->mon || !o->touched) {
        orc_free(o);
        return NULL;
    }
    memset(o->mon, 0, p->ncpus * sizeof(*o->mon));
    for (unsigned i = 0; i < p->ncpus; i++) {
        o->mon[i].state = MON_OPEN;
        o->mon[i].open_why = "no LL yet";
        o->mon[i].open_op = -1;
    }
    o->last.what = "start";
    o->last.status = -1;
    return o;
}

void orc_free(struct orc *o)
{
    if (!o) {
        return;
    }
    for (unsigned i = 0; i < o->nblocks; i++) {
        free(o->blocks[i].mem);
    }
    spare_free(o);
    for (size_t i = 0; o->mmio && i < o->nchunks; i++) {
        free(o->mmio[i]);
    }
    free(o->mmio);
    free(o->mon);
    free(o->touched);
    free(o->log);
    free(o);
}

/* ---- memory layout ---- */

static void set_other(struct orc *o, const char *what)
{
    memset(&o->last, 0, sizeof(o->last));
    o->last.what = what;
    o->last.status = -1;
}

int orc_ram_add(struct orc *o, uint64_t offset, uint64_t used, uint64_t max,
                bool rom)
{
    uint8_t *mem;
    unsigned i;

    set_other(o, "ram_add");
    if (o->nblocks == ORC_MAX_BLOCKS || used == 0 || used > max ||
        offset + max < offset) {
        return -1;
    }
    for (i = 0; i < o->nblocks; i++) {
        const struct orc_block *b = &o->blocks[i];
        if (offset < b->off + b->max && b->off < offset + max) {
            return -1;
        }
    }
    mem = spare_take(o, max);
    if (!mem) {
        return -1;
    }
    o->blocks[o->nblocks++] = (struct orc_block){offset, used, max, rom, mem};
    return 0;
}

static struct orc_block *find_block(struct orc *o, uint64_t offset)
{
    for (unsigned i = 0; i < o->nblocks; i++) {
        if (o->blocks[i].off == offset) {
            return &o->blocks[i];
        }
    }
    return NULL;
}

int orc_ram_resize(struct orc *o, uint64_t offset, uint64_t used)
{
    struct orc_block *b = find_block(o, offset);

    set_other(o, "resize");
    if (!b || used == 0 || used > b->max) {
        return -1;
    }
    views_forget_block(o, b->off, b->max);
    b->used = used;
    return 0;
}

int orc_ram_remove(struct orc *o, uint64_t offset)
{
    struct orc_block *b = find_block(o, offset);

    set_other(o, "remove");
    if (!b) {
        return -1;
    }
    views_forget_block(o, b->off, b->max);
    spare_put(o, b->mem, b->max);
    *b = o->blocks[--o->nblocks];
    return 0;
}

int orc_map_page(struct orc *o, uint64_t vaddr, uint64_t paddr)
{
    uint64_t vp = vaddr >> o->p.page_bits, pp = paddr >> o->p.page_bits;

    set_other(o, "map");
    if (vaddr >= o->p.vaddr_limit) {
        return -1;
    }
    for (unsigned i = 0; i < o->naliases; i++) {
        if (o->alias[i].vpage == vp) {
            o->alias[i].ppage = pp;
            return 0;
        }
    }
    if (o->naliases == ORC_MAX_ALIASES) {
        return -1;
    }
    o->alias[o->naliases].vpage = vp;
    o->alias[o->naliases].ppage = pp;
    o->naliases++;
    return 0;
}

/* ---- translation ---- */

/* The model byte of MMIO offset off (allocating its chunk), or NULL. */
static uint8_t *mmio_byte(const struct orc *o, uint64_t off)
{
    uint8_t **c = &o->mmio[off / ORC_MMIO_CHUNK];

    if (!*c) {
        *c = calloc(ORC_MMIO_CHUNK, 1);
        if (!*c) {
            return NULL;
        }
    }
    return *c + off % ORC_MMIO_CHUNK;
}

static void locate(const struct orc *o, uint64_t pa, struct orc_byte *b)
{
    b->pa = pa;
    b->p = NULL;
    b->rom = false;
    b->mmio = false;
    for (unsigned i = 0; i < o->nblocks; i++) {
        const struct orc_block *bl = &o->blocks[i];
        if (pa >= bl->off && pa - bl->off < bl->used) {
            b->p = bl->mem + (pa - bl->off);
            b->rom = bl->rom;
            return;
        }
    }
    if (pa >= o->p.mmio_base && pa - o->p.mmio_base < o->p.mmio_size) {
        b->p = mmio_byte(o, pa - o->p.mmio_base);
        b->mmio = b->p != NULL;
    }
}

static bool xlate(const struct orc *o, uint64_t va, uint64_t *pa)
{
    uint64_t vp = va >> o->p.page_bits;

    if (va >= o->p.vaddr_limit) {
        return false;
    }
    for (unsigned i = 0; i < o->naliases; i++) {
        if (o->alias[i].vpage == vp) {
            *pa = (o->alias[i].ppage << o->p.page_bits) | (va & ~o->page_mask);
            return true;
        }
    }
    *pa = va;
    return true;
}

static void resolve(const struct orc *o, uint64_t va, unsigned size,
                    struct orc_access *a)
{
    a->n = size;
    a->mapped = true;
    a->aligned = (va & (size - 1)) == 0;
    for (unsigned k = 0; k < size; k++) {
        uint64_t pa;
        if (!xlate(o, va + k, &pa)) {
            a->b[k] = (struct orc_byte){UINT64_MAX, NULL, false, false};
        } else {
            locate(o, pa, &a->b[k]);
        }
        if (!a->b[k].p) {
            a->mapped = false;
        }
    }
}

static void resolve_phys(const struct orc *o, uint64_t pa, unsigned size,
                         struct orc_access *a)
{
    a->n = size;
    a->mapped = true;
    a->aligned = true;
    for (unsigned k = 0; k < size; k++) {
        locate(o, pa + k, &a->b[k]);
        if (!a->b[k].p) {
            a->mapped = false;
        }
    }
}

bool orc_mapped(const struct orc *o, uint64_t va, unsigned size)
{
    struct orc_access a;

    if (size == 0 || size > ORC_MAX_ACCESS) {
        return false;
    }
    resolve(o, va, size, &a);
    return a.mapped;
}

enum orc_kind orc_phys_kind(const struct orc *o, uint64_t pa)
{
    struct orc_byte b;

    locate(o, pa, &b);
    if (!b.p) {
        return ORC_NONE;
    }
    return b.mmio ? ORC_MMIO : b.rom ? ORC_ROM : ORC_RAM;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

/* Byte k of a size-byte value in memory order. */
static uint8_t val_byte(uint64_t v, unsigned size, bool be, unsigned k)
{
    return (uint8_t)(v >> (8 * (be ? size - 1 - k : k)));
}

static uint64_t read_val(const struct orc_access *a, bool be)
{
    uint64_t v = 0;

    for (unsigned k = 0; k < a->n; k++) {
        unsigned sh = 8 * (be ? a->n - 1 - k : k);
        v |= (uint64_t)*a->b[k].p << sh;
    }
    return v;
}

/* ---- ghost log ---- */

static const char *agent_name(int writer, char *buf, size_t len)
{
    if (writer == ORC_AGENT_DMA) {
        snprintf(buf, len, "DMA");
    } else if (writer == ORC_AGENT_SYSTEM) {
        snprintf(buf, len, "the system");
    } else {
        snprintf(buf, len, "vCPU%d", writer);
    }
    return buf;
}

/* Apply a write to the model and log it. ROM bytes ignore writes; a write
 * that lands only on ROM is not logged (it wrote nothing). */
static void do_write(struct orc *o, long op, int writer, int kind,
                     const struct orc_access *a, uint64_t va, uint64_t w,
                     unsigned size, bool be)
{
    struct orc_write e = {o->seq, op, writer, kind, 0, {0}, va, w, size};

    for (unsigned k = 0; k < a->n; k++) {
        if (a->b[k].rom) {
            continue;
        }
        *a->b[k].p = val_byte(w, size, be, k);
        e.pa[e.n++] = a->b[k].pa;
        views_note_byte(o, &a->b[k], *a->b[k].p);
    }
    if (e.n == 0) {
        return;
    }
    if (o->nlog == o->caplog) {
        size_t cap = o->caplog ? 2 * o->caplog : 64;
        struct orc_write *nl = realloc(o->log, cap * sizeof(*nl));
        if (!nl) {
            /* Losing the log can only hide taint (no false verdicts). */
            return;
        }
        o->log = nl;
        o->caplog = cap;
    }
    o->log[o->nlog++] = e;
}

static bool overlaps(const uint64_t *a, unsigned na, const uint64_t *b,
                     unsigned nb)
{
    for (unsigned i = 0; i < na; i++) {
        for (unsigned j = 0; j < nb; j++) {
            if (a[i] == b[j]) {
                return true;
            }
        }
    }
    return false;
}

/* First write since the LL of monitor m that overlaps its bytes, by another
 * agent (own=false) or by the vCPU itself (own=true). The log is in sequence
 * order, so only its tail since the LL is read: long runs (the design-space
 * explorer's) would otherwise rescan every write of the run at each SC. */
static const struct orc_write *first_write_since(const struct orc *o,
                                                 const struct orc_monitor *m,
                                                 int cpu, bool own)
{
    const struct orc_write *first = NULL;
    for (size_t i = o->nlog; i-- > 0 && o->log[i].seq > m->ll_seq;) {
        const struct orc_write *e = &o->log[i];
        if ((e->writer == cpu) == own && overlaps(e->pa, e->n, m->pa, m->n)) {
            first = e;
        }
    }
    return first;
}

static const struct orc_write *last_writer_of(const struct orc *o, uint64_t pa)
{
    for (size_t i = o->nlog; i-- > 0;) {
        if (overlaps(&pa, 1, o->log[i].pa, o->log[i].n)) {
            return &o->log[i];
        }
    }
    return NULL;
}

/* ---- access checks ---- */

static const char *rc_name(enum orc_rc rc)
{
    switch (rc) {
    case ORC_OK: return "success";
    case ORC_FAULT: return "a fault";
    case ORC_ALIGN: return "an alignment fault";
    default: return "an unexpected error";
    }
}

static void set_footprint(struct orc *o, const char *what, const char *who,
                          unsigned cpu, uint64_t va, unsigned size,
                          const struct orc_access *a, bool is_sc, int status,
                          bool writes)
{
    memset(&o->last, 0, sizeof(o->last));
    o->last.what = what;
    o->last.who = who;
    o->last.cpu = cpu;
    o->last.addr = va;
    o->last.asize = size;
    o->last.access = true;
    o->last.is_sc = is_sc;
    o->last.status = status;
    o->last.writes = writes;
    o->last.n = 0;
    for (unsigned k = 0; k < a->n; k++) {
        if (a->b[k].pa != UINT64_MAX) {
            o->last.pa[o->last.n++] = a->b[k].pa;
            touch(o, a->b[k].pa);
        }
    }
}

/* The last event, as text for a message. */
static void describe_last(const struct orc *o, char *buf, size_t len)
{
    const struct orc_footprint *f = &o->last;

    if (!f->access) {
        snprintf(buf, len, "%s", f->what ? f->what : "?");
    } else if (f->is_sc && f->status >= 0) {
        snprintf(buf, len, "%s by vCPU%u at 0x%llx size %u (status %d)", f->what,
                 f->cpu, (unsigned long long)f->addr, f->asize, f->status);
    } else if (f->who) {
        snprintf(buf, len, "%s by %s at 0x%llx size %u", f->what, f->who,
                 (unsigned long long)f->addr, f->asize);
    } else {
        snprintf(buf, len, "%s by vCPU%u at 0x%llx size %u", f->what, f->cpu,
                 (unsigned long long)f->addr, f->asize);
    }
}

/* A write that faulted may still have changed its mapped bytes. */
static void set_maybe(struct orc *o, long op, int writer, int kind,
                      const struct orc_access *a, uint64_t va, uint64_t w,
                      unsigned size, bool be)
{
    o->last.maybe = true;
    o->last.writer = writer;
    o->last.kind = kind;
    o->last.op = op;
    o->last.va = va;
    o->last.val = w;
    o->last.size = size;
    o->last.n = 0;
    for (unsigned k = 0; k < a->n; k++) {
        if (a->b[k].pa == UINT64_MAX) {
            continue;
        }
        o->last.pa[o->last.n] = a->b[k].pa;
        o->last.newb[o->last.n] = val_byte(w, size, be, k);
        o->last.newb_valid[o->last.n] = a->b[k].p && !a->b[k].rom;
        o->last.n++;
    }
}

/* The outcome must agree with the map: mapped -> success, unmapped -> fault,
 * misaligned -> an alignment fault is also allowed. */
static bool check_rc(const char *what, int agent, uint64_t va,
                     unsigned size, const struct orc_access *a,
                     enum orc_rc rc, struct orc_verdict *v)
{
    char who[16];

    if (rc == ORC_ALIGN && !a->aligned) {
        return true;
    }
    if (rc == ORC_OK && a->mapped) {
        return true;
    }
    if (rc == ORC_FAULT && !a->mapped) {
        return true;
    }
    agent_name(agent, who, sizeof(who));
    if (a->mapped || rc != ORC_OK) {
        return verdict(v, "access-error",
                       "%s by %s at 0x%llx size %u returned %s, expected %s",
                       what, who, (unsigned long long)va, size, rc_name(rc),
                       a->mapped ? "success" : "a fault");
    }
    for (unsigned k = 0; k < a->n; k++) {
        if (!a->b[k].p) {
            return verdict(v, "access-error",
                           "%s by %s at 0x%llx size %u succeeded, but byte "
                           "0x%llx is not mapped",
                           what, who, (unsigned long long)va, size,
                           (unsigned long long)(va + k));
        }
    }
    return verdict(v, "access-error", "%s: inconsistent", what);
}

static bool bad_args(struct orc *o, unsigned cpu, unsigned size)
{
    return cpu >= o->p.ncpus || size == 0 || size > ORC_MAX_ACCESS ||
           (size & (size - 1)) != 0;
}

static bool check_value(struct orc *o, const char *what, unsigned cpu,
                        uint64_t va, unsigned size, const struct orc_access *a,
                        bool be, uint64_t val, struct orc_verdict *v)
{
    uint64_t want = read_val(a, be);
    const struct orc_write *e = NULL;
    char tail[96] = "", who[16];

    if (val == want) {
        return true;
    }
    for (unsigned k = 0; k < a->n && !e; k++) {
        e = last_writer_of(o, a->b[k].pa);
    }
    if (e) {
        snprintf(tail, sizeof(tail), " (%s stored 0x%llx there at op %ld)",
                 agent_name(e->writer, who, sizeof(who)),
                 (unsigned long long)e->val, e->op);
    }
    return verdict(v, "load-value",
                   "%s by vCPU%u at 0x%llx size %u returned 0x%llx, memory "
                   "holds 0x%llx%s",
                   what, cpu, (unsigned long long)va, size,
                   (unsigned long long)val, (unsigned long long)want, tail);
}

/* What LL and a plain load share: the access's footprint, its result code and
 * the value it returned. False on a violation; *performed says whether the
 * access happened (an expected fault leaves everything as it was). */
static bool read_checks(struct orc *o, const char *what, unsigned cpu, uint64_t va,
                        unsigned size, bool be, enum orc_rc rc, uint64_t val,
                        struct orc_access *a, struct orc_verdict *v, bool *performed)
{
    *performed = false;
    if (bad_args(o, cpu, size)) {
        return verdict(v, "oracle-usage", "%s: bad cpu or size", what);
    }
    o->seq++;
    resolve(o, va, size, a);
    set_footprint(o, what, NULL, cpu, va, size, a, false, -1, false);
    if (!check_rc(what, (int)cpu, va, size, a, rc, v)) {
        return false;
    }
    if (rc != ORC_OK) {
        return true;
    }
    *performed = true;
    return check_value(o, what, cpu, va, size, a, be, val, v);
}

bool orc_ll(struct orc *o, long op, unsigned cpu, uint64_t va, unsigned size,
            bool be, enum orc_rc rc, uint64_t val, struct orc_verdict *v)
{
    struct orc_access a;
    struct orc_monitor *m;
    bool performed;

    bool ok = read_checks(o, "LL", cpu, va, size, be, rc, val, &a, v,
                          &performed);

    if (!performed) {
        return ok; /* monitor unchanged */
    }
    /* Even after a load-value verdict: the LL reserved what it returned. */
    m = &o->mon[cpu];
    m->state = MON_EXCL;
    m->n = a.n;
    for (unsigned k = 0; k < a.n; k++) {
        m->pa[k] = a.b[k].pa;
    }
    m->va = va;
    m->size = size;
    m->val = val;
    m->ll_seq = o->seq;
    m->ll_op = op;
    return ok;
}

bool orc_load(struct orc *o, long op, unsigned cpu, uint64_t va,
              unsigned size, bool be, enum orc_rc rc, uint64_t val,
              struct orc_verdict *v)
{
    struct orc_access a;
    bool performed;

    (void)op;
    return read_checks(o, "load", cpu, va, size, be, rc, val, &a, v, &performed);
}

bool orc_store(struct orc *o, long op, unsigned cpu, uint64_t va,
               unsigned size, bool be, uint64_t w, enum orc_rc rc,
               struct orc_verdict *v)
{
    struct orc_access a;

    if (bad_args(o, cpu, size)) {
        return verdict(v, "oracle-usage", "store: bad cpu or size");
    }
    o->seq++;
    resolve(o, va, size, &a);
    set_footprint(o, "store", NULL, cpu, va, size, &a, false, -1, rc == ORC_OK);
    if (!check_rc("store", (int)cpu, va, size, &a, rc, v)) {
        return false;
    }
    if (rc == ORC_OK) {
        do_write(o, op, (int)cpu, W_STORE, &a, va, w & size_mask(size), size,
                 be);
    } else if (rc == ORC_FAULT && size > 1) {
        set_maybe(o, op, (int)cpu, W_STORE, &a, va, w & size_mask(size), size,
                  be);
    }
    return true;
}

bool orc_dma(struct orc *o, long op, uint64_t pa, unsigned size, uint64_t w,
             enum orc_rc rc, struct orc_verdict *v)
{
    struct orc_access a;

    if (size == 0 || size > ORC_MAX_ACCESS) {
        return verdict(v, "oracle-usage", "DMA: bad size");
    }
    o->seq++;
    resolve_phys(o, pa, size, &a);
    set_footprint(o, "DMA write", "DMA", 0, pa, size, &a, false,
                  -1, rc == ORC_OK);
    if (!check_rc("DMA write", ORC_AGENT_DMA, pa, size, &a, rc, v)) {
        return false;
    }
    if (rc == ORC_OK) {
        do_write(o, op, ORC_AGENT_DMA, W_DMA, &a, pa, w & size_mask(size),
                 size, false);
    } else if (rc == ORC_FAULT && size > 1) {
        set_maybe(o, op, ORC_AGENT_DMA, W_DMA, &a, pa, w & size_mask(size),
                  size, false);
    }
    return true;
}

void orc_note(struct orc *o, const char *what)
{
    set_other(o, what);
}

void orc_clrex(struct orc *o, long op, unsigned cpu)
{
    o->seq++;
    set_other(o, "CLREX");
    if (cpu < o->p.ncpus) {
        o->mon[cpu].state = MON_OPEN;
        o->mon[cpu].open_why = "CLREX";
        o->mon[cpu].open_op = op;
    }
}

static void close_monitor(struct orc_monitor *m, long op)
{
    m->state = MON_OPEN;
    m->open_why = "SC";
    m->open_op = op;
}

static bool same_bytes(const struct orc_monitor *m, const struct orc_access *a)
{
    if (m->n != a->n) {
        return false;
    }
    for (unsigned k = 0; k < a->n; k++) {
        if (m->pa[k] != a->b[k].pa) {
            return false;
        }
    }
    return true;
}

bool orc_sc(struct orc *o, long op, unsigned cpu, uint64_t va, unsigned size,
            bool be, uint64_t w, enum orc_rc rc, int status,
            struct orc_verdict *v)
{
    struct orc_access a;
    struct orc_monitor *m;
    const struct orc_write *e;
    bool match;

    if (bad_args(o, cpu, size)) {
        return verdict(v, "oracle-usage", "SC: bad cpu or size");
    }
    o->seq++;
    resolve(o, va, size, &a);
    set_footprint(o, "SC", NULL, cpu, va, size, &a, true,
                  rc == ORC_OK ? status : -1, rc == ORC_OK && status == 0);
    if (!check_rc("SC", (int)cpu, va, size, &a, rc, v)) {
        return false;
    }
    if (rc != ORC_OK) {
        /* monitor unchanged; memory unchanged but for a faulting split */
        if (rc == ORC_FAULT && size > 1) {
            set_maybe(o, op, (int)cpu, W_SC, &a, va, w & size_mask(size), size,
                      be);
        }
        return true;
    }
    m = &o->mon[cpu];
    if (status != 0 && status != 1) {
        close_monitor(m, op);
        return verdict(v, "access-error",
                       "SC by vCPU%u at 0x%llx returned status %d (not 0/1)",
                       cpu, (unsigned long long)va, status);
    }
    o->live.sc++;
    match = m->state == MON_EXCL && same_bytes(m, &a);
    e = m->state == MON_EXCL ? first_write_since(o, m, (int)cpu, false) : NULL;
    if (status == 0) {
        /* Judge, then take the success as fact (known.h: a masked verdict
         * goes on from what the system did). */
        bool ok = m->state == MON_EXCL && !(match && e);
        if (ok) {
            o->live.sc_ok++;
        } else if (m->state == MON_OPEN) {
            char since[48] = "";
            if (m->open_op >= 0) {
                snprintf(since, sizeof(since), " since its %s at op %ld",
                         m->open_why, m->open_op);
            }
            verdict(v, "sc-without-ll",
                    "SC by vCPU%u at 0x%llx succeeded with its monitor "
                    "open (no LL%s)",
                    cpu, (unsigned long long)va,
                    m->open_op >= 0 ? since : " before it");
        } else if (e->writer == ORC_AGENT_DMA) {
            verdict(v, "must-fail-sc",
                    "SC by vCPU%u at 0x%llx succeeded after DMA "
                    "wrote 0x%llx there at op %ld",
                    cpu, (unsigned long long)va,
                    (unsigned long long)e->val, e->op);
        } else {
            char wn[16];
            verdict(v, "must-fail-sc",
                    "SC by vCPU%u at 0x%llx succeeded after %s stored "
                    "0x%llx there at op %ld",
                    cpu, (unsigned long long)va,
                    agent_name(e->writer, wn, sizeof(wn)),
                    (unsigned long long)e->val, e->op);
        }
        do_write(o, op, (int)cpu, W_SC, &a, va, w & size_mask(size), size, be);
        close_monitor(m, op);
        return ok;
    } else if (m->state == MON_OPEN || (match && e)) {
        o->live.sc_must_fail++;
    } else if (!match || first_write_since(o, m, (int)cpu, true)) {
        o->live.sc_fail_allowed++;
    } else {
        o->live.sc_fail_spurious++;
    }
    close_monitor(m, op);
    return true;
}

/* ---- memory comparison ---- */

static bool in_footprint(const struct orc *o, uint64_t pa)
{
    for (unsigned k = 0; k < o->last.n; k++) {
        if (o->last.pa[k] == pa) {
            return true;
        }
    }
    return false;
}

/* A faulting write left byte pa at its new value: take it into the model
 * and the ghost log (it is a write by that agent). */
static bool adopt_maybe(struct orc *o, uint64_t pa, uint8_t sysb, uint8_t *model)
{
    if (!o->last.maybe) {
        return false;
    }
    for (unsigned k = 0; k < o->last.n; k++) {
        if (o->last.pa[k] == pa && o->last.newb_valid[k] &&
            o->last.newb[k] == sysb) {
            struct orc_access one;
            *model = sysb;
            one.n = 1;
            one.b[0].pa = pa;
            one.b[0].p = model;
            one.b[0].rom = false;
            do_write(o, o->last.op, o->last.writer, o->last.kind, &one,
                     o->last.va, sysb, 1, false);
            o->log[o->nlog - 1].val = o->last.val;
            o->log[o->nlog - 1].size = o->last.size;
            o->last.newb_valid[k] = false;
            return true;
        }
    }
    return false;
}

static void hexbytes(char *buf, size_t len, const uint8_t *b, unsigned n)
{
    size_t at = 0;

    buf[0] = 0;
    for (unsigned k = 0; k < n && at + 4 < len; k++) {
        at += (size_t)snprintf(buf + at, len - at, "%s%02x", k ? " " : "", b[k]);
    }
}

static bool byte_is_rom(const struct orc *o, uint64_t pa);
static void where_note(const struct orc *o, uint64_t pa, char *buf, size_t len);
static void footprint_text(struct orc *o, orc_peek_fn peek, void *ctx, char *buf,
                           size_t len);

/* Report the divergence starting at index i of a region at base. */
static bool report_diff(struct orc *o, uint64_t base, const uint8_t *model,
                        const uint8_t *sys, size_t len, size_t i,
                        bool outside, orc_peek_fn peek, void *ctx,
                        struct orc_verdict *v)
{
    const char *prop;
    size_t j = i;
    char got[32], want[32], what[96], where[80], access[200] = "";

    while (j + 1 < len && j + 1 - i < 8 && model[j + 1] != sys[j + 1]) {
        j++;
    }
    hexbytes(got, sizeof(got), sys + i, (unsigned)(j - i + 1));
    hexbytes(want, sizeof(want), model + i, (unsigned)(j - i + 1));
    where_note(o, base + i, where, sizeof(where));
    if (byte_is_rom(o, base + i)) {
        prop = "rom-written";
    } else if (o->last.is_sc && o->last.status == 1) {
        prop = "failed-sc-wrote";
        footprint_text(o, peek, ctx, access, sizeof(access));
    } else if (outside && (o->last.writes || o->last.maybe)) {
        prop = "stray-write";
    } else if (o->last.is_sc && o->last.status == 0) {
        prop = "sc-wrong-write";
    } else if (o->last.writes && !o->last.is_sc) {
        prop = "store-wrong-write";
    } else {
        prop = "memory-mismatch";
    }
    describe_last(o, what, sizeof(what));
    return verdict(v, prop, "%s: 0x%llx..0x%llx%s hold %s, expected %s%s", what,
                   (unsigned long long)(base + i), (unsigned long long)(base + j),
                   where, got, want, access);
}

/* Who wrote what the model adopts: the last access if it wrote, else
 * nobody the model knows of. Either way another vCPU's reservation of those
 * bytes is broken, as any write by another agent breaks it. */
static int adopted_writer(const struct orc *o)
{
    if (o->last.access && (o->last.writes || o->last.is_sc)) {
        return o->last.who ? ORC_AGENT_DMA : (int)o->last.cpu;
    }
    return ORC_AGENT_SYSTEM;
}

/* Make [base, base+len) of the model what the system holds, logging each
 * changed byte as a write (orc_adopt_memory). */
static void adopt_region(struct orc *o, uint64_t base, uint8_t *model,
                         size_t len, orc_peek_fn peek, void *ctx)
{
    uint8_t buf[4096];

    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
        if (peek(ctx, base + done, buf, n) == 0 &&
            memcmp(buf, model + done, n) != 0) {
            for (size_t i = 0; i < n; i++) {
                struct orc_access one;
                if (buf[i] == model[done + i]) {
                    continue;
                }
                one.n = 1;
                one.b[0].pa = base + done + i;
                one.b[0].p = &model[done + i];
                one.b[0].rom = false;
                do_write(o, o->adopt_op, adopted_writer(o), W_STORE, &one,
                         base + done + i, buf[i], 1, false);
            }
        }
        done += n;
    }
}

/* Compare [base, base+len) of the model (at model) with the system. */
static bool compare_region(struct orc *o, uint64_t base, uint8_t *model,
                           size_t len, orc_peek_fn peek, void *ctx,
                           struct orc_verdict *v)
{
    uint8_t buf[4096];
    size_t done = 0;

    if (o->adopting) {
        adopt_region(o, base, model, len, peek, ctx);
        return true;
    }
    while (done < len) {
        size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
        size_t first = SIZE_MAX;
        if (peek(ctx, base + done, buf, n) != 0) {
            char what[96];
            describe_last(o, what, sizeof(what));
            return verdict(v, "access-error",
                           "%s: the system cannot read back mapped bytes "
                           "0x%llx..0x%llx",
                           what, (unsigned long long)(base + done),
                           (unsigned long long)(base + done + n - 1));
        }
        if (memcmp(buf, model + done, n) != 0) {
            /* A byte outside the last access's footprint wins: it names
             * the stray write rather than the symptom inside. */
            for (size_t i = 0; i < n; i++) {
                if (buf[i] == model[done + i] ||
                    adopt_maybe(o, base + done + i, buf[i], &model[done + i])) {
                    continue;
                }
                if (first == SIZE_MAX) {
                    first = i;
                }
                if (!in_footprint(o, base + done + i)) {
                    return report_diff(o, base + done, model + done, buf, n, i,
                                       true, peek, ctx, v);
                }
            }
            if (first != SIZE_MAX && !o->inside_found) {
                o->inside_found = true;
                o->inside_pa = base + done + first;
            }
        }
        done += n;
    }
    return true;
}

/* Compare MMIO offsets [s, e) chunk by chunk. */
static bool compare_mmio(struct orc *o, uint64_t s, uint64_t e,
                         orc_peek_fn peek, void *ctx, struct orc_verdict *v)
{
    while (s < e) {
        uint64_t n = ORC_MMIO_CHUNK - s % ORC_MMIO_CHUNK;
        uint8_t *p = mmio_byte(o, s);
        if (n > e - s) {
            n = e - s;
        }
        if (!p) {
            return verdict(v, "oracle-usage", "out of memory");
        }
        if (!compare_region(o, o->p.mmio_base + s, p, n, peek, ctx, v)) {
            return false;
        }
        s += n;
    }
    return true;
}

/* Compare [lo, hi) clipped to the model's regions (blocks and MMIO). */
static bool compare_range(struct orc *o, uint64_t lo, uint64_t hi,
                          orc_peek_fn peek, void *ctx, struct orc_verdict *v)
{
    for (unsigned i = 0; i < o->nblocks; i++) {
        struct orc_block *b = &o->blocks[i];
        uint64_t s = lo > b->off ? lo : b->off;
        uint64_t e = hi < b->off + b->max ? hi : b->off + b->max;
        if (s < e && !compare_region(o, s, b->mem + (s - b->off), e - s, peek,
                                     ctx, v)) {
            return false;
        }
    }
    {
        uint64_t mb = o->p.mmio_base, me = mb + o->p.mmio_size;
        uint64_t s = lo > mb ? lo : mb, e = hi < me ? hi : me;
        if (s < e && !compare_mmio(o, s - mb, e - mb, peek, ctx, v)) {
            return false;
        }
    }
    return true;
}

static bool check_regions(struct orc *o, enum orc_check what, orc_peek_fn peek,
                          void *ctx, struct orc_verdict *v);
static bool report_inside(struct orc *o, orc_peek_fn peek, void *ctx,
                          struct orc_verdict *v);

/* Bytes outside the last access's footprint are looked for everywhere
 * first: a stray write is named as such, not by its symptom inside. */
bool orc_check_memory(struct orc *o, enum orc_check what, orc_peek_fn peek,
                      void *ctx, struct orc_verdict *v)
{
    o->inside_found = false;
    if (!check_regions(o, what, peek, ctx, v)) {
        return false;
    }
    return !o->inside_found || report_inside(o, peek, ctx, v);
}

static bool check_regions(struct orc *o, enum orc_check what, orc_peek_fn peek,
                          void *ctx, struct orc_verdict *v)
{
    const uint64_t ms = o->p.mmio_size;

    if (what == ORC_CHECK_NEAR) {
        /* One range per run of footprint bytes closer than 2 * ORC_NEAR. */
        uint64_t pa[ORC_MAX_ACCESS];
        unsigned n = o->last.n;
        memcpy(pa, o->last.pa, n * sizeof(pa[0]));
        for (unsigned i = 1; i < n; i++) {
            for (unsigned j = i; j > 0 && pa[j - 1] > pa[j]; j--) {
                uint64_t t = pa[j];
                pa[j] = pa[j - 1];
                pa[j - 1] = t;
            }
        }
        for (unsigned i = 0; i < n;) {
            unsigned j = i;
            while (j + 1 < n && pa[j + 1] - pa[j] <= 2 * ORC_NEAR) {
                j++;
            }
            if (!compare_range(o, pa[i] > ORC_NEAR ? pa[i] - ORC_NEAR : 0,
                               pa[j] + ORC_NEAR + 1, peek, ctx, v)) {
                return false;
            }
            i = j + 1;
        }
        return true;
    }
    if (o->touched_overflow) {
        what = ORC_CHECK_ALL; /* too many lines to track: compare everything */
    }
    if (what == ORC_CHECK_ALL || what == ORC_CHECK_RAM) {
        for (unsigned i = 0; i < o->nblocks; i++) {
            struct orc_block *b = &o->blocks[i];
            /* max, not used: the tail keeps its bytes for a later grow */
            if (!compare_region(o, b->off, b->mem, b->max, peek, ctx, v)) {
                return false;
            }
        }
    }
    /* RAM was compared whole: only touched MMIO lines are left. */
    if (what != ORC_CHECK_ALL && (what != ORC_CHECK_RAM || o->ntouched_mmio)) {
        for (size_t i = 0; i < ORC_TOUCHED_SLOTS; i++) {
            uint64_t a;
            if (!o->touched[i]) {
                continue;
            }
            a = (o->touched[i] - 1) << ORC_LINE_BITS;
            if (what == ORC_CHECK_RAM &&
                (a < o->p.mmio_base || a - o->p.mmio_base >= ms)) {
                continue; /* RAM was compared whole above */
            }
            if (!compare_range(o, a, a + (UINT64_C(1) << ORC_LINE_BITS), peek,
                               ctx, v)) {
                return false;
            }
        }
    }
    if (what == ORC_CHECK_ALL ||
        o->p.mmio_window_lo + o->p.mmio_window_hi >= ms) {
        return compare_mmio(o, 0, ms, peek, ctx, v);
    }
    return compare_mmio(o, 0, o->p.mmio_window_lo, peek, ctx, v) &&
           compare_mmio(o, ms - o->p.mmio_window_hi, ms, peek, ctx, v);
}

void orc_adopt_memory(struct orc *o, long op, orc_peek_fn peek, void *ctx)
{
    o->seq++;
    o->adopting = true;
    o->adopt_op = op;
    (void)orc_check_memory(o, ORC_CHECK_RAM, peek, ctx, NULL);
    o->adopting = false;
}

void orc_get_liveness(const struct orc *o, struct orc_liveness *out)
{
    *out = o->live;
}

/* ---- views the oracle models itself: translated code, the device's log ----
 *
 * Beside memory the system shows two more things a write must do, and the
 * oracle keeps its own model of each (nothing is taken from a counter the
 * system keeps about its own mistakes):
 *  - translated code: after protect_code, the first write to any byte of
 *    the page must invalidate the page's translations (the system's count of
 *    invalidations for the page goes up); an invalidation without a write is
 *    allowed (only conservative). A RAM-map change of a block forgets its
 *    pages (QEMU's resize marks them dirty for CODE without invalidating).
 *  - the device's write log: between two checks, the device must have
 *    received exactly the MMIO bytes the model wrote, each once, with its
 *    value. */

static bool byte_is_rom(const struct orc *o, uint64_t pa)
{
    struct orc_byte b;

    locate(o, pa, &b);
    return b.p && b.rom;
}

/* " (in block 0x..'s unmapped tail)" for a byte in [used, max) of a block. */
static void where_note(const struct orc *o, uint64_t pa, char *buf, size_t len)
{
    buf[0] = 0;
    for (unsigned i = 0; i < o->nblocks; i++) {
        const struct orc_block *b = &o->blocks[i];
        if (pa >= b->off + b->used && pa < b->off + b->max) {
            snprintf(buf, len, " (in the unmapped tail [0x%llx, 0x%llx) of block 0x%llx)",
                     (unsigned long long)(b->off + b->used),
                     (unsigned long long)(b->off + b->max),
                     (unsigned long long)b->off);
        }
    }
}

/* "; the whole access: 0x..-0x.. hold .., memory should hold .." */
static void footprint_text(struct orc *o, orc_peek_fn peek, void *ctx, char *buf,
                           size_t len)
{
    const struct orc_footprint *f = &o->last;
    char ranges[96] = "", got[32], want[32];
    uint8_t sys[ORC_MAX_ACCESS], mod[ORC_MAX_ACCESS];
    size_t at = 0;

    for (unsigned k = 0; k < f->n; k++) {
        struct orc_byte b;
        locate(o, f->pa[k], &b);
        mod[k] = b.p ? *b.p : 0;
        if (peek(ctx, f->pa[k], &sys[k], 1) != 0) {
            sys[k] = mod[k];
        }
        if (k == 0 || f->pa[k] != f->pa[k - 1] + 1) {
            unsigned e = k;
            while (e + 1 < f->n && f->pa[e + 1] == f->pa[e] + 1) {
                e++;
            }
            at += (size_t)snprintf(ranges + at, sizeof(ranges) - at, "%s0x%llx..0x%llx",
                                   k ? ", " : "", (unsigned long long)f->pa[k],
                                   (unsigned long long)f->pa[e]);
            if (at >= sizeof(ranges)) {
                at = sizeof(ranges) - 1;
            }
        }
    }
    hexbytes(got, sizeof(got), sys, f->n);
    hexbytes(want, sizeof(want), mod, f->n);
    snprintf(buf, len, "; its %u bytes %s hold %s, memory should hold %s (unchanged)",
             f->n, ranges, got, want);
}

static struct orc_code_page *code_page(struct orc *o, uint64_t page, bool add)
{
    for (unsigned i = 0; i < o->ncode; i++) {
        if (o->code[i].page == page) {
            return &o->code[i];
        }
    }
    if (!add) {
        return NULL;
    }
    for (unsigned i = 0; i < o->ncode; i++) {
        struct orc_code_page *c = &o->code[i];
        if (!c->code && !c->must && !c->fresh) {
            memset(c, 0, sizeof(*c)); /* reuse a page that holds no code */
            c->page = page;
            c->fresh = true;
            return c;
        }
    }
    if (o->ncode == ORC_MAX_CODE_PAGES) {
        return NULL; /* not tracked: can only hide a finding */
    }
    memset(&o->code[o->ncode], 0, sizeof(o->code[0]));
    o->code[o->ncode].page = page;
    o->code[o->ncode].fresh = true;
    return &o->code[o->ncode++];
}

void orc_protect_code(struct orc *o, long op, uint64_t pa)
{
    struct orc_code_page *c;

    set_other(o, "protect_code");
    c = code_page(o, pa & o->page_mask, true);
    if (c) {
        c->code = true;
        c->code_op = op;
    }
}

/* do_write calls this for every byte it writes. */
static void views_note_byte(struct orc *o, const struct orc_byte *b, uint8_t val)
{
    struct orc_code_page *c;

    if (b->pa >= o->p.mmio_base && b->pa - o->p.mmio_base < o->p.mmio_size) {
        if (o->nmmio_want == ORC_MAX_MMIO_WANT) {
            o->mmio_want_lost = true;
            return;
        }
        o->mmio_want[o->nmmio_want].off = b->pa - o->p.mmio_base;
        o->mmio_want[o->nmmio_want].val = val;
        o->nmmio_want++;
        return;
    }
    c = code_page(o, b->pa & o->page_mask, false);
    if (c && c->code) {
        c->code = false;
        c->must = true;
        describe_last(o, c->what, sizeof(c->what));
    }
}

static void views_forget_block(struct orc *o, uint64_t off, uint64_t max)
{
    for (unsigned i = 0; i < o->ncode;) {
        if (o->code[i].page >= off && o->code[i].page - off < max) {
            o->code[i] = o->code[--o->ncode];
        } else {
            i++;
        }
    }
}

bool orc_check_code(struct orc *o, orc_code_fn fn, void *ctx, struct orc_verdict *v)
{
    for (unsigned i = 0; i < o->ncode; i++) {
        struct orc_code_page *c = &o->code[i];
        uint64_t n = fn(ctx, c->page);
        if (c->fresh) {
            c->seen = n;
            c->fresh = false;
        } else if (c->must && n == c->seen) {
            c->must = false;
            return verdict(v, "code-not-invalidated",
                           "%s wrote page 0x%llx, which holds code translated at op "
                           "%ld, and the page's translations were not invalidated "
                           "(%llu invalidation(s) so far)",
                           c->what, (unsigned long long)c->page, c->code_op,
                           (unsigned long long)n);
        } else if (n != c->seen) {
            c->code = false; /* invalidated, written or not */
            c->seen = n;
        }
        c->must = false;
    }
    return true;
}

bool orc_check_mmio_writes(struct orc *o, const struct orc_mmio_write *w, size_t n,
                           bool complete, struct orc_verdict *v)
{
    bool got[ORC_MAX_MMIO_WANT] = {false};
    const char *wrong = o->last.is_sc ? "sc-wrong-write"
                        : o->last.writes ? "store-wrong-write"
                                         : "memory-mismatch";
    char what[96];
    bool ok = true;

    if (n == 0 && o->nmmio_want == 0) {
        return true; /* the common case: no device write expected or made */
    }
    describe_last(o, what, sizeof(what));
    for (size_t i = 0; ok && complete && !o->mmio_want_lost && i < n; i++) {
        unsigned j, seen = o->nmmio_want;
        for (j = 0; j < o->nmmio_want; j++) {
            if (o->mmio_want[j].off == w[i].off) {
                seen = j;
                if (!got[j]) {
                    break;
                }
            }
        }
        if (j < o->nmmio_want) {
            got[j] = true;
            if (o->mmio_want[j].val != w[i].val) {
                ok = verdict(v, wrong, "%s: the device received 0x%02x at offset 0x%llx, "
                             "expected 0x%02x", what, w[i].val,
                             (unsigned long long)w[i].off, o->mmio_want[j].val);
            }
        } else if (seen < o->nmmio_want) {
            ok = verdict(v, "mmio-double-write",
                         "%s: the device received offset 0x%llx (0x%llx) twice in "
                         "one access (0x%02x, then 0x%02x)",
                         what, (unsigned long long)w[i].off,
                         (unsigned long long)(o->p.mmio_base + w[i].off),
                         o->mmio_want[seen].val, w[i].val);
        } else {
            ok = verdict(v, o->last.is_sc && o->last.status == 1 ? "failed-sc-wrote"
                                                                  : "stray-write",
                         "%s: the device received 0x%02x at offset 0x%llx (0x%llx), "
                         "a byte the access did not write",
                         what, w[i].val, (unsigned long long)w[i].off,
                         (unsigned long long)(o->p.mmio_base + w[i].off));
        }
    }
    for (unsigned j = 0; ok && complete && !o->mmio_want_lost && j < o->nmmio_want; j++) {
        if (!got[j]) {
            ok = verdict(v, wrong, "%s: the device never received offset 0x%llx (0x%llx)",
                         what, (unsigned long long)o->mmio_want[j].off,
                         (unsigned long long)(o->p.mmio_base + o->mmio_want[j].off));
        }
    }
    o->nmmio_want = 0;
    o->mmio_want_lost = false;
    return ok;
}

/* The model byte at pa: blocks up to max_length, the register file. */
static uint8_t *model_byte(struct orc *o, uint64_t pa)
{
    for (unsigned i = 0; i < o->nblocks; i++) {
        struct orc_block *b = &o->blocks[i];
        if (pa >= b->off && pa - b->off < b->max) {
            return b->mem + (pa - b->off);
        }
    }
    if (pa >= o->p.mmio_base && pa - o->p.mmio_base < o->p.mmio_size) {
        return mmio_byte(o, pa - o->p.mmio_base);
    }
    return NULL;
}

/* Report the divergence a memory check found at o->inside_pa. */
static bool report_inside(struct orc *o, orc_peek_fn peek, void *ctx,
                          struct orc_verdict *v)
{
    uint8_t model[8], sys[8];
    size_t n = 0;

    for (; n < sizeof(model); n++) {
        uint8_t *p = model_byte(o, o->inside_pa + n);
        if (!p || peek(ctx, o->inside_pa + n, &sys[n], 1) != 0) {
            break;
        }
        model[n] = *p;
    }
    if (n == 0) {
        return verdict(v, "oracle-usage", "divergence at 0x%llx vanished",
                       (unsigned long long)o->inside_pa);
    }
    return report_diff(o, o->inside_pa, model, sys, n, 0, false, peek, ctx, v);
}
