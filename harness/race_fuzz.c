/*
 * race_fuzz.c - the race targets' driver (race_fuzz.h).
 *
 * Shared harness state is small: the write-id counter (atomic), the alias
 * map and the list of RAM blocks. In free mode the ops that sut.h says must
 * not run beside vCPU calls (race_op_exclusive) take a write lock that every
 * other op takes for reading; in pct mode the scheduler gives them the same
 * guarantee. Everything else a thread records is its own until the join.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "race_fuzz.h"
#include "race_oracle.h"
#include "race_ops.h"
#include "race_sched.h"
#include "report.h"
#include "sched_points.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RACE_TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define RACE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define RACE_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#define RACE_ASAN 1
#endif

#define MAX_BLOCKS 32

struct run {
    sut_machine *m;
    const struct race_prog *p;
    struct race_hist *h;
    struct race_sched sched;
    bool sched_mode, trace;
    unsigned points;                      /* mask of enabled sut/ points */
    unsigned page_bits;
    uint64_t ps;
    atomic_uint next_id;
    pthread_rwlock_t excl;
    pthread_barrier_t start;
    pthread_mutex_t blocks_lock;
    unsigned nblocks;
    uint64_t blocks[MAX_BLOCKS];
    int alias[RACE_ALIAS_PAGES];          /* block 0 page, or -1 */
};

struct worker {
    struct run *r;
    unsigned tid;
};

static _Thread_local int cur_tid = -1;
static _Thread_local long cur_op = -1;

/* ---- sanitizer reports as verdict lines --------------------------------- */

#if defined(RACE_TSAN) || defined(RACE_ASAN)
void __sanitizer_report_error_summary(const char *summary);
void __sanitizer_report_error_summary(const char *summary)
{
    /* "SUMMARY: ThreadSanitizer: data race file:line in fn" */
    const char *s = strstr(summary, "Sanitizer: ");
    char prop[48] = "sanitizer";
    if (s) {
        s += strlen("Sanitizer: ");
        size_t i = 0;
        /* The bug type: words up to the first one with a '/' or ':'. */
        while (s[i] && i + 1 < sizeof prop) {
            size_t w = strcspn(s + i, " ");
            if (memchr(s + i, '/', w) || memchr(s + i, ':', w) || memchr(s + i, '(', w)) {
                break;
            }
            i += w + (s[i + w] == ' ');
        }
        while (i > 0 && s[i - 1] == ' ') {
            i--;
        }
        if (i > 0 && i < sizeof prop) {
            for (size_t k = 0; k < i; k++) {
                prop[k] = s[k] == ' ' ? '-' : s[k];
            }
            prop[i] = '\0';
        }
    }
    fprintf(stderr, "FAIL %s: op %ld: t%d: %s\n", prop, cur_op < 0 ? 0 : cur_op, cur_tid, summary);
    fflush(stderr);
}
#endif

#ifdef RACE_TSAN
/* Both hooks run before TSan is initialised: no instrumentation of any kind
 * (coverage included: libFuzzer's counters are not set up yet either). */
#if defined(__clang__)
#define RACE_UNINSTRUMENTED __attribute__((disable_sanitizer_instrumentation, no_sanitize("coverage")))
#else
#define RACE_UNINSTRUMENTED __attribute__((no_sanitize_thread))
#endif

const char *__tsan_default_options(void);
RACE_UNINSTRUMENTED const char *__tsan_default_options(void)
{
    /* A race is a finding at once, with repro's exit status. */
    return "halt_on_error=1:exitcode=1:report_signal_unsafe=0";
}

/* libFuzzer's inline 8-bit coverage counters are plain increments from
 * every thread; clang 14 lets TSan instrument them. They live in
 * __sancov_cntrs, which TSan names after the symbol before it. */
const char *__tsan_default_suppressions(void);
RACE_UNINSTRUMENTED const char *__tsan_default_suppressions(void)
{
    return "race:__TMC_END__\n";
}
#endif

/* ---- locations ----------------------------------------------------------- */

static void loc_name(uint32_t loc, char *buf, size_t len, void *ctx)
{
    const struct run *r = ctx;
    const uint32_t ram = (uint32_t)(RACE_TRACKED_PAGES * r->ps);
    if (loc < ram) {
        snprintf(buf, len, "ram%" PRIu64 "+0x%" PRIx64, loc / r->ps, loc % r->ps);
    } else {
        snprintf(buf, len, "mmio+0x%x", loc - ram);
    }
}

/* The tracked location of vaddr's first byte; false if it is not tracked
 * (an alias page not mapped). */
static bool locate(const struct run *r, uint64_t vaddr, unsigned size, uint32_t *loc,
                   uint64_t *paddr)
{
    const uint64_t ram = RACE_TRACKED_PAGES * r->ps;
    if (vaddr >= SUT_MMIO_BASE && vaddr < SUT_MMIO_BASE + RACE_MMIO_TRACKED) {
        *paddr = vaddr;
        *loc = (uint32_t)(ram + (vaddr - SUT_MMIO_BASE));
        return vaddr + size <= SUT_MMIO_BASE + RACE_MMIO_TRACKED;
    }
    if (vaddr >= RACE_ALIAS_BASE) {
        const uint64_t j = (vaddr - RACE_ALIAS_BASE) / r->ps;
        if (j >= RACE_ALIAS_PAGES || r->alias[j] < 0) {
            *paddr = vaddr;
            return false;
        }
        vaddr = (uint64_t)r->alias[j] * r->ps + (vaddr - RACE_ALIAS_BASE) % r->ps;
    }
    *paddr = vaddr;
    *loc = (uint32_t)vaddr;
    return vaddr + size <= ram;
}

/* ---- the scheduling-point hook ----------------------------------------- */

static void on_point(void *ctx, enum sut_sched_point p)
{
    struct run *r = ctx;
    if (cur_tid >= 0 && r->sched_mode && (r->points >> p & 1)) {
        race_sched_point(&r->sched, (unsigned)cur_tid, (unsigned)p);
    }
}

/* ---- ops ----------------------------------------------------------------- */

static uint64_t id_value(unsigned id, unsigned size)
{
    uint64_t v = 0x0101010101010101ULL * id;
    return size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

static void bytes_of(uint64_t val, unsigned size, bool be, uint8_t *out)
{
    for (unsigned k = 0; k < size; k++) {
        out[k] = (uint8_t)(val >> (8 * (be ? size - 1 - k : k)));
    }
}

static struct race_ev *new_ev(struct run *r, unsigned tid, const struct race_op *op, unsigned kind)
{
    struct race_hist *h = r->h;
    if (h->nev[tid] >= RACE_ORACLE_EVENTS) {
        return NULL;
    }
    struct race_ev *e = &h->ev[tid][h->nev[tid]++];
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->op = op->index;
    e->size = (uint8_t)op->size;
    return e;
}

static const char *rc_name(int rc)
{
    return rc ? sut_strerror(rc) : "ok";
}

static void run_op(struct run *r, unsigned tid, const struct race_op *op)
{
    sut_machine *m = r->m;
    const uint64_t va = race_addr(op->a, r->page_bits);
    uint64_t pa = va, val = 0;
    uint32_t loc = 0;
    int rc = 0, st = 1;
    struct race_ev *e = NULL;
    const bool tracked = locate(r, va, op->size ? op->size : 1, &loc, &pa);
    char note[96] = "";

    switch (op->kind) {
    case ROP_LL:
    case ROP_LOAD:
        rc = op->kind == ROP_LL ? sut_ll(m, tid, 0, va, op->size, op->be, &val)
                                : sut_load(m, tid, 0, va, op->size, op->be, &val);
        if (tracked && (e = new_ev(r, tid, op, op->kind == ROP_LL ? REV_LL : REV_LOAD))) {
            e->loc = loc;
            e->done = rc == 0;
            bytes_of(val, op->size, op->be, e->val);
        }
        snprintf(note, sizeof note, "-> 0x%" PRIx64, val);
        break;
    case ROP_SC:
    case ROP_STORE:
    case ROP_DMA: {
        unsigned id = atomic_fetch_add(&r->next_id, 1) + 1;
        if (id > RACE_ORACLE_WRITES) {
            snprintf(note, sizeof note, "(skipped: no write id left)");
            rc = 0;
            break;
        }
        val = id_value(id, op->size);
        if (op->kind == ROP_SC) {
            rc = sut_sc(m, tid, 0, va, op->size, op->be, val, &st);
        } else if (op->kind == ROP_STORE) {
            rc = sut_store(m, tid, 0, va, op->size, op->be, val);
        } else {
            rc = sut_dma_write(m, pa, op->size, val);
        }
        /* An untracked write (an unmapped alias) must fail; if it did not,
         * its id is simply never seen. */
        if (tracked && (e = new_ev(r, tid, op,
                                   op->kind == ROP_SC ? REV_SC
                                   : op->kind == ROP_STORE ? REV_STORE : REV_DMA))) {
            e->loc = loc;
            e->id = (uint8_t)id;
            e->done = rc == 0;
            e->ok = op->kind != ROP_SC || st == 0;
        }
        snprintf(note, sizeof note, "#%u%s", id,
                 op->kind == ROP_SC ? (rc ? "" : st ? " failed" : " ok") : "");
        break;
    }
    case ROP_CLREX:
        rc = sut_clrex(m, tid);
        if ((e = new_ev(r, tid, op, REV_CLREX))) {
            e->done = rc == 0;
            e->size = 0;
        }
        break;
    case ROP_RUN_WORK:
        rc = sut_run_work(m, tid);
        rc = rc < 0 ? rc : 0;
        break;
    case ROP_TLB_FLUSH:
        rc = sut_tlb_flush(m, tid);
        break;
    case ROP_TLB_FLUSH_PAGE:
        rc = sut_tlb_flush_page(m, tid, va);
        break;
    case ROP_PROTECT_CODE:
        rc = sut_protect_code(m, pa);
        break;
    case ROP_CPU_PLUG: {
        unsigned idx = 0;
        rc = sut_cpu_plug(m, &idx);
        break;
    }
    case ROP_RAM_ADD: {
        const uint64_t used = (1 + (op->z & 3u)) * r->ps;
        const uint64_t max = used + ((op->z & 4) ? 4 * r->ps : 0);
        uint64_t off = 0;
        rc = sut_ram_block_add(m, used, max, max > used ? SUT_RAM_RESIZEABLE : 0, &off);
        if (rc == 0) {
            pthread_mutex_lock(&r->blocks_lock);
            if (r->nblocks < MAX_BLOCKS) {
                r->blocks[r->nblocks++] = off;
            }
            pthread_mutex_unlock(&r->blocks_lock);
            snprintf(note, sizeof note, "at 0x%" PRIx64, off);
        }
        break;
    }
    case ROP_RESIZE:
    case ROP_REMOVE: {
        pthread_mutex_lock(&r->blocks_lock);
        const unsigned nb = r->nblocks;
        unsigned i = op->kind == ROP_RESIZE ? op->b % nb : nb > 1 ? 1 + op->b % (nb - 1) : 0;
        const uint64_t off = r->blocks[i];
        pthread_mutex_unlock(&r->blocks_lock);
        if (op->kind == ROP_RESIZE) {
            uint64_t pages = 1 + op->z % 8u;
            if (i == 0 && pages < RACE_BLOCK0_PAGES) {
                pages = RACE_BLOCK0_PAGES;
            }
            rc = sut_ram_resize(m, off, pages * r->ps);
        } else if (i == 0) {
            snprintf(note, sizeof note, "(skipped: only block 0)");
            break;
        } else {
            rc = sut_ram_block_remove(m, off);
            if (rc == 0) {
                pthread_mutex_lock(&r->blocks_lock);
                r->blocks[i] = r->blocks[--r->nblocks];
                pthread_mutex_unlock(&r->blocks_lock);
            }
        }
        snprintf(note, sizeof note, "block 0x%" PRIx64, off);
        break;
    }
    case ROP_MAP: {
        const unsigned j = op->a & 3u, page = (op->a >> 2) & 3u;
        rc = sut_map_page(m, RACE_ALIAS_BASE + j * r->ps, page * r->ps);
        if (rc == 0) {
            r->alias[j] = (int)page;
        }
        break;
    }
    default:
        break;
    }
    if (r->trace) {
        char line[160];
        race_op_format(op, r->page_bits, line, sizeof line);
        fprintf(stderr, "op %u: %s: %s %s\n", op->index, line, rc_name(rc), note);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->r;
    const unsigned tid = w->tid;

    cur_tid = (int)tid;
    if (r->sched_mode) {
        race_sched_start(&r->sched, tid);
    } else {
        pthread_barrier_wait(&r->start);
    }
    for (unsigned i = 0; i < r->p->nops; i++) {
        const struct race_op *op = &r->p->ops[i];
        if (op->thread != tid) {
            continue;
        }
        const bool excl = race_op_exclusive(op->kind);
        cur_op = op->index;
        if (r->sched_mode) {
            race_sched_op(&r->sched, tid, excl);
        } else if (excl) {
            pthread_rwlock_wrlock(&r->excl);
        } else {
            pthread_rwlock_rdlock(&r->excl);
        }
        run_op(r, tid, op);
        if (r->sched_mode) {
            race_sched_op_end(&r->sched, tid);
        } else {
            pthread_rwlock_unlock(&r->excl);
        }
    }
    cur_op = -1;
    if (r->sched_mode) {
        race_sched_finish(&r->sched, tid);
    }
    cur_tid = -1;
    return NULL;
}

/* RACE_POINTS=name,name,... (sut_sched_point_name; "none"): only those
 * points preempt, to tell which racy step a finding needs. Default: all. */
static unsigned points_mask(const char *list)
{
    unsigned mask = 0;
    if (!list || !*list) {
        return ~0u;
    }
    while (*list) {
        size_t n = strcspn(list, ",");
        for (unsigned p = 0; p < SUT_SP_N; p++) {
            const char *name = sut_sched_point_name((enum sut_sched_point)p);
            if (strlen(name) == n && strncmp(name, list, n) == 0) {
                mask |= 1u << p;
            }
        }
        list += n + (list[n] == ',');
    }
    return mask;
}

static void configure(sut_config *c, enum sut_variant v, const struct race_cfg *rc)
{
    sut_config_default(c, v);
    c->smp_cpus = rc->threads;
    c->max_cpus = rc->threads;
    c->plug_cpus = 2;
    c->page_bits = rc->page_bits;
    c->tlb_bits = rc->tlb_bits;
    c->vtlb_size = rc->vtlb;
    c->mmu_modes = 1;
    c->history_len = rc->history;
    c->dirty_block_bits = rc->block_bits;
    c->mttcg = !rc->st;
    c->ram_limit = 64ULL << rc->page_bits;
}

int race_fuzz_one(enum sut_variant v, const uint8_t *data, size_t size)
{
    struct race_prog *p = malloc(sizeof *p);
    struct race_hist *h = calloc(1, sizeof *h);
    struct run *r = calloc(1, sizeof *r);
    uint8_t *final = NULL;
    sut_config cfg;
    int err = 0;

    if (!p || !h || !r) {
        goto out;
    }
    race_decode(data, size, p);
    const char *env = getenv("RACE_MODE");
    if (env && strcmp(env, "free") == 0) {
        p->cfg.sched = false;
    } else if (env && strcmp(env, "pct") == 0) {
        p->cfg.sched = true;
    }
    env = getenv("RACE_SCHED_SEED");
    if (env && *env) {
        p->cfg.sched = true;
        p->cfg.seed = (uint32_t)strtoul(env, NULL, 0);
        const char *d = getenv("RACE_SCHED_DEPTH");
        if (d && *d) {
            p->cfg.depth = (unsigned)strtoul(d, NULL, 0);
        }
    }
    configure(&cfg, v, &p->cfg);
    if (sut_config_check(&cfg) != 0) {
        goto out;
    }
    r->m = sut_new(&cfg, &err);
    if (!r->m) {
        goto out;
    }
    r->p = p;
    r->h = h;
    r->page_bits = p->cfg.page_bits;
    r->ps = 1ULL << r->page_bits;
    r->sched_mode = p->cfg.sched && sut_sched_available();
    r->points = points_mask(getenv("RACE_POINTS"));
    const char *tr = getenv("RACE_TRACE");
    r->trace = tr && *tr && strcmp(tr, "0") != 0;
    for (unsigned j = 0; j < RACE_ALIAS_PAGES; j++) {
        r->alias[j] = -1;
    }
    uint64_t off0 = 1;
    if (sut_ram_block_add(r->m, RACE_BLOCK0_PAGES * r->ps, 2 * RACE_BLOCK0_PAGES * r->ps,
                          SUT_RAM_RESIZEABLE, &off0) != 0 || off0 != 0) {
        hx_violation("ram-api", 0, "block 0 was not placed at ram_addr 0");
    }
    r->blocks[r->nblocks++] = 0;
    atomic_init(&r->next_id, 0);
    pthread_rwlock_init(&r->excl, NULL);
    pthread_mutex_init(&r->blocks_lock, NULL);
    pthread_barrier_init(&r->start, NULL, p->cfg.threads);
    if (r->sched_mode) {
        race_sched_init(&r->sched, p->cfg.threads, p->cfg.seed, p->cfg.depth,
                        3ULL * p->nops + 1);
    }
    if (r->trace) {
        char line[200];
        race_cfg_format(&p->cfg, line, sizeof line);
        fprintf(stderr, "%s (variant %s, %s)\n", line, sut_variant_name(v),
                r->sched_mode ? "scheduled" : "free");
    }
    sut_sched_set_hook(on_point, r);

    pthread_t th[RACE_MAX_THREADS];
    struct worker w[RACE_MAX_THREADS];
    for (unsigned t = 0; t < p->cfg.threads; t++) {
        w[t].r = r;
        w[t].tid = t;
        if (pthread_create(&th[t], NULL, worker_main, &w[t]) != 0) {
            fprintf(stderr, "race: pthread_create failed\n");
            abort();
        }
    }
    for (unsigned t = 0; t < p->cfg.threads; t++) {
        pthread_join(th[t], NULL);
    }
    sut_sched_set_hook(NULL, NULL);

    const uint32_t nlocs = (uint32_t)(RACE_TRACKED_PAGES * r->ps + RACE_MMIO_TRACKED);
    final = calloc(nlocs, 1);
    if (!final) {
        goto out;
    }
    sut_peek(r->m, 0, final, RACE_TRACKED_PAGES * r->ps);
    sut_peek(r->m, SUT_MMIO_BASE, final + RACE_TRACKED_PAGES * r->ps, RACE_MMIO_TRACKED);
    h->nthreads = p->cfg.threads;
    h->nlocs = nlocs;
    h->final = final;
    h->loc_name = loc_name;
    h->ctx = r;
    if (r->trace && r->sched_mode) {
        fprintf(stderr, "schedule: %" PRIu64 " steps, trace 0x%016" PRIx64 "\n", r->sched.steps,
                r->sched.trace_hash);
        /* Who stood at each step, and where: op boundary or a sut/ point. */
        for (unsigned i = 0; i < r->sched.ntrace; i++) {
            const unsigned pt = r->sched.trace[i] & 255;
            fprintf(stderr, "%s t%u@%s", i ? "" : "steps:", r->sched.trace[i] >> 8,
                    pt == RACE_POINT_OP ? "op" : sut_sched_point_name((enum sut_sched_point)pt));
        }
        fputc('\n', stderr);
    }
    struct race_verdict vd;
    if (race_oracle_check(h, &vd)) {
        hx_violation(vd.property, vd.op, "%s", vd.msg);
    }
    if (r->sched_mode) {
        race_sched_destroy(&r->sched);
    }
    pthread_barrier_destroy(&r->start);
    pthread_mutex_destroy(&r->blocks_lock);
    pthread_rwlock_destroy(&r->excl);
out:
    if (r && r->m) {
        sut_free(r->m);
    }
    free(final);
    free(r);
    free(h);
    free(p);
    return 0;
}
