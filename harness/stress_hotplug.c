/*
 * stress_hotplug.c - workload "hotplug": RAM blocks are added and grown while
 * the vCPU threads run the LL/SC engine of stress_llsc.c (W2: on v6-MT the
 * exclusive bitmap is realloc'd under its readers).
 *
 * Threads: --threads vCPU threads (thread i drives vCPU i) plus one iothread
 * (the last thread), which does the RAM changes, as QEMU's main loop does.
 *
 * The run is a series of rounds, each on a fresh machine (the ram_addr space
 * and SUT_MAX_BLOCKS run out otherwise):
 *   1. the iothread builds the machine and the LL/SC world (block 0);
 *   2. start barrier; each vCPU does up to ROUND_OPS engine ops, offered a
 *      page of hot-added RAM for some of them; meanwhile the iothread spreads
 *      HOTPLUG_OPS changes over the round, paced by the vCPUs' progress:
 *      sut_ram_block_add of new blocks (1-8 pages, some resizeable; each one
 *      grows the ram_addr space, so v6 reallocs its flat bitmaps) and growing
 *      sut_ram_resize of resizeable blocks, block 0 included. Only adds and
 *      growing resizes run concurrently (sut.h). After each, it publishes a
 *      newly usable page for the vCPUs;
 *   3. end barrier; with the machine quiescent the iothread runs the engine's
 *      exact check (counters, claims, slots) and compares the RAM block list
 *      with its own record (offsets, used and max lengths, last_ram_offset).
 * The barriers order rounds only; nothing inside a round is ordered by them.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

#define ROUND_OPS 3000
#define HOTPLUG_OPS 24
#define PAGE 1024ULL

struct blk {
    uint64_t offset, used, max;
    unsigned flags;
};

struct hp_state {
    struct stress_params p;
    unsigned nvcpus;
    pthread_barrier_t start, end;
    /* Set by the iothread before the start barrier. */
    sut_machine *m;
    struct llsc_world *w;
    bool quit;
    /* Within a round: relaxed atomics only. */
    uint64_t extra_page;
    unsigned done;
    uint64_t progress[STRESS_MAX_THREADS];
    bool finished[STRESS_MAX_THREADS];   /* read after the end barrier */
    /* iothread's own record and figures. */
    struct blk blk[SUT_MAX_BLOCKS];
    unsigned nblk;
    bool removed;                        /* this round */
    uint64_t rounds, adds, add_full, resizes, shrinks, removes;
    struct llsc_figures f;
};

static unsigned hp_nthreads(unsigned threads) { return threads + 1; }

static void *hp_setup(const struct stress_params *p, char *err, size_t errlen)
{
    struct hp_state *s = calloc(1, sizeof *s);

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->p = *p;
    s->nvcpus = p->threads;
    pthread_barrier_init(&s->start, NULL, s->nvcpus + 1);
    pthread_barrier_init(&s->end, NULL, s->nvcpus + 1);
    return s;
}

static bool round_new(struct hp_state *s)
{
    sut_config c;
    char err[256];
    int rc = 0;
    uint64_t off, used, max;
    unsigned flags;

    llsc_config(&c, &s->p, s->nvcpus);
    s->m = sut_new(&c, &rc);
    if (!s->m) {
        stress_fail(NULL, "round %" PRIu64 ": sut_new: %s", s->rounds, sut_strerror(rc));
        return false;
    }
    s->w = llsc_world_new(s->m, s->nvcpus, s->p.mix, (uint64_t)ROUND_OPS * s->nvcpus + 1,
                          err, sizeof err);
    if (!s->w) {
        stress_fail(NULL, "round %" PRIu64 ": %s", s->rounds, err);
        sut_free(s->m);
        s->m = NULL;
        return false;
    }
    if (sut_ram_block_info(s->m, 0, &off, &used, &max, &flags) != 0) {
        stress_fail(NULL, "round %" PRIu64 ": block 0 missing", s->rounds);
        return false;
    }
    s->blk[0] = (struct blk){off, used, max, flags};
    s->nblk = 1;
    s->removed = false;
    s->extra_page = UINT64_MAX;
    s->done = 0;
    memset(s->progress, 0, sizeof s->progress);
    return true;
}

/* mix shrink: shrink a resizeable block (block 0 keeps the engine's pages)
 * or remove a hot-added one. 1 done, 0 nothing to do, -1 the SUT refused. */
static int shrink_op(struct hp_state *s, struct stress_thread *t)
{
    unsigned i = stress_below(t, s->nblk);
    struct blk *b = &s->blk[i];
    uint64_t floor = i == 0 ? llsc_ram_pages() * PAGE : PAGE;
    int rc;

    if (i > 0 && stress_below(t, 3) == 0) {
        rc = sut_ram_block_remove(s->m, b->offset);
        if (rc != 0) {
            stress_fail(t, "iothread: sut_ram_block_remove(0x%" PRIx64 ") returned %d (%s)",
                        b->offset, rc, sut_strerror(rc));
            return -1;
        }
        s->blk[i] = s->blk[--s->nblk];
        s->removed = true;
        s->removes++;
        return 1;
    }
    if (!(b->flags & SUT_RAM_RESIZEABLE) || b->used <= floor) {
        return 0;
    }
    uint64_t n = b->used - PAGE * (1 + stress_below(t, 2));
    n = n < floor ? floor : n;
    rc = sut_ram_resize(s->m, b->offset, n);
    if (rc != 0) {
        stress_fail(t, "iothread: shrinking sut_ram_resize(0x%" PRIx64 ", 0x%" PRIx64
                    ") returned %d (%s)", b->offset, n, rc, sut_strerror(rc));
        return -1;
    }
    b->used = n;
    s->shrinks++;
    return 1;
}

/* One RAM change; false once the machine is full (stop changing it). */
static bool hotplug_op(struct hp_state *s, struct stress_thread *t)
{
    if ((s->p.mix & STRESS_MIX_SHRINK) && stress_below(t, 100) < 35) {
        int r = shrink_op(s, t);
        if (r != 0) {
            return r > 0;
        }
    }
    bool grow = s->nblk > 0 && (s->removed || stress_below(t, 100) < 40);

    if (grow) {
        struct blk *b = &s->blk[stress_below(t, s->nblk)];
        if ((b->flags & SUT_RAM_RESIZEABLE) && b->used < b->max) {
            uint64_t n = b->used + PAGE * (1 + stress_below(t, 4));
            n = n > b->max ? b->max : n;
            int rc = sut_ram_resize(s->m, b->offset, n);
            if (rc != 0) {
                stress_fail(t, "iothread: sut_ram_resize(0x%" PRIx64 ", 0x%" PRIx64
                            ") of a resizeable block (max 0x%" PRIx64 ") returned %d (%s)",
                            b->offset, n, b->max, rc, sut_strerror(rc));
                return false;
            }
            __atomic_store_n(&s->extra_page, b->offset + b->used, __ATOMIC_RELAXED);
            b->used = n;
            s->resizes++;
            return true;
        }
    }
    if (s->nblk >= SUT_MAX_BLOCKS || s->removed) {
        return !s->removed;
    }
    uint64_t size = PAGE * (1 + stress_below(t, 8));
    uint64_t max = size * (1 + stress_below(t, 4));
    unsigned flags = stress_below(t, 2) ? SUT_RAM_RESIZEABLE : 0;
    uint64_t off;
    if (!(flags & SUT_RAM_RESIZEABLE)) {
        max = size;
    }
    int rc = sut_ram_block_add(s->m, size, max, flags, &off);
    if (rc == SUT_ENOSPC || rc == SUT_ENOMEM) {
        s->add_full++;
        return false;
    }
    if (rc != 0) {
        stress_fail(t, "iothread: sut_ram_block_add(0x%" PRIx64 ", 0x%" PRIx64
                    ") returned %d (%s)", size, max, rc, sut_strerror(rc));
        return false;
    }
    s->blk[s->nblk++] = (struct blk){off, size, max, flags};
    __atomic_store_n(&s->extra_page, off, __ATOMIC_RELAXED);
    s->adds++;
    return true;
}

/* The SUT's block list must match the iothread's record. */
static void check_blocks(struct hp_state *s)
{
    uint64_t last = 0;

    for (unsigned i = 0; i < s->nblk; i++) {
        uint64_t end = s->blk[i].offset + s->blk[i].max;
        last = end > last ? end : last;
    }
    for (unsigned i = 0;; i++) {
        uint64_t off, used, max;
        unsigned flags;
        if (sut_ram_block_info(s->m, i, &off, &used, &max, &flags) != 0) {
            if (i != s->nblk) {
                stress_fail(NULL, "round %" PRIu64 ": %u RAM blocks listed, %u added",
                            s->rounds, i, s->nblk);
            }
            break;
        }
        unsigned j = 0;
        while (j < s->nblk && s->blk[j].offset != off) {
            j++;
        }
        if (j == s->nblk || s->blk[j].used != used || s->blk[j].max != max) {
            stress_fail(NULL, "round %" PRIu64 ": block at 0x%" PRIx64 " used 0x%" PRIx64
                        " max 0x%" PRIx64 " does not match what was added/resized",
                        s->rounds, off, used, max);
            return;
        }
    }
    if (sut_last_ram_offset(s->m) != last) {
        stress_fail(NULL, "round %" PRIu64 ": last_ram_offset 0x%" PRIx64 ", expected 0x%" PRIx64,
                    s->rounds, sut_last_ram_offset(s->m), last);
    }
}

static void round_end(struct hp_state *s)
{
    if (!stress_failed()) {
        char when[48];
        snprintf(when, sizeof when, "round %" PRIu64, s->rounds);
        llsc_world_check(s->w, when);
    }
    if (!stress_failed()) {
        check_blocks(s);
    }
    llsc_world_figures(s->w, &s->f);
    llsc_world_free(s->w);
    sut_free(s->m);
    s->w = NULL;
    s->m = NULL;
    s->rounds++;
}

static void iothread(struct hp_state *s, struct stress_thread *t)
{
    for (;;) {
        bool all_finished = s->rounds > 0;
        for (unsigned c = 0; c < s->nvcpus; c++) {
            all_finished &= s->finished[c];
        }
        /* A failure ends the rounds only when it stops the run: a TSan run
         * told to stop at a given race (W2's realloc) goes on after an
         * earlier lost update, as the vCPUs do. */
        if (all_finished || stress_stopping() || !round_new(s)) {
            s->quit = true;
            pthread_barrier_wait(&s->start);
            return;
        }
        pthread_barrier_wait(&s->start);

        uint64_t step = (uint64_t)ROUND_OPS * s->nvcpus / (HOTPLUG_OPS + 1);
        uint64_t next_at = step;
        unsigned n = 0;
        bool full = false;
        while (__atomic_load_n(&s->done, __ATOMIC_RELAXED) < s->nvcpus) {
            uint64_t prog = 0;
            for (unsigned c = 0; c < s->nvcpus; c++) {
                prog += __atomic_load_n(&s->progress[c], __ATOMIC_RELAXED);
            }
            if (!full && n < HOTPLUG_OPS && prog >= next_at) {
                full = !hotplug_op(s, t);
                t->ops++;
                n++;
                next_at += step;
            } else {
                sched_yield();  /* pacing only: nothing is ordered by it */
            }
        }
        pthread_barrier_wait(&s->end);
        round_end(s);
    }
}

static void vcpu(struct hp_state *s, struct stress_thread *t)
{
    const unsigned cpu = t->idx;

    for (;;) {
        pthread_barrier_wait(&s->start);
        if (s->quit) {
            return;
        }
        uint64_t n = 0;
        bool more = true;
        while (n < ROUND_OPS && (more = stress_next(t))) {
            llsc_vcpu_op(s->w, t, cpu, __atomic_load_n(&s->extra_page, __ATOMIC_RELAXED));
            __atomic_store_n(&s->progress[cpu], ++n, __ATOMIC_RELAXED);
        }
        s->finished[cpu] = !more;
        __atomic_add_fetch(&s->done, 1, __ATOMIC_RELAXED);
        pthread_barrier_wait(&s->end);
    }
}

static void hp_worker(void *state, struct stress_thread *t)
{
    struct hp_state *s = state;

    if (t->idx == s->nvcpus) {
        iothread(s, t);
    } else {
        vcpu(s, t);
    }
}

static void hp_check(void *state)
{
    /* Each round was checked by the iothread at its end barrier. */
    (void)state;
}

static void hp_figures(void *state, char *buf, size_t len)
{
    struct hp_state *s = state;
    char more[256], shr[64] = "";

    llsc_figures_print(&s->f, s->p.mix, more, sizeof more);
    if (s->p.mix & STRESS_MIX_SHRINK) {
        snprintf(shr, sizeof shr, " shrinks=%" PRIu64 " removes=%" PRIu64, s->shrinks,
                 s->removes);
    }
    snprintf(buf, len, "rounds=%" PRIu64 " block_adds=%" PRIu64 " resizes=%" PRIu64
             "%s ram_full=%" PRIu64 " increments=%" PRIu64 " sc_ok=%" PRIu64
             " sc_fail=%" PRIu64 " liveness=%" PRIu64 "%s", s->rounds, s->adds, s->resizes,
             shr, s->add_full, s->f.incs, s->f.sc_ok, s->f.sc_fail, s->f.liveness, more);
}

static void hp_teardown(void *state)
{
    struct hp_state *s = state;

    if (s->w) {
        llsc_world_free(s->w);
    }
    if (s->m) {
        sut_free(s->m);
    }
    pthread_barrier_destroy(&s->start);
    pthread_barrier_destroy(&s->end);
    free(s);
}

const struct stress_ops stress_hotplug_ops = {
    .name = "hotplug",
    .what = "RAM blocks added and grown by an iothread while the vCPU threads run "
            "LL/SC and stores (W2: realloc under readers); rounds on fresh machines",
    .default_threads = 4,
    .mix_kinds = (1u << STRESS_MIX_KINDS) - 1,
    .nthreads = hp_nthreads,
    .setup = hp_setup,
    .worker = hp_worker,
    .check = hp_check,
    .figures = hp_figures,
    .teardown = hp_teardown,
};
