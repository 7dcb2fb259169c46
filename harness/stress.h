/*
 * stress.h - the generic threaded stress body and its workload ops vectors.
 *
 * One body (harness/stress_main.c) parses the command line, derives one PRNG
 * per thread from the seed, starts every thread on a barrier, runs the
 * workload's worker on each, joins, runs the workload's final check and
 * prints one verdict line that echoes every parameter:
 *
 *   stress bitmap: seed=123
 *   ...
 *   stress bitmap: variant=v6 backend=builtin threads=4 iterations=20000 seed=123: SUCCESS
 *
 * A workload is an ops vector (rcutorture's struct rcu_torture_ops); each
 * targets/stress-<w>.c entry file only picks one. Built with clang
 * -fsanitize=thread into build/tsan/ and without sanitizers into
 * build/stress/ (mk/stress.mk).
 *
 * With a time budget, a watchdog gives threads still running 10 s + the
 * budget after the deadline up as hung (a deadlock or livelock in the SUT):
 * the verdict says "FAILURE (hang: ...)" and the process leaves at once.
 *
 * Exit status: 0 SUCCESS, 1 the workload's own check failed (or a hang), 2 bad
 * command line or setup, 66 ThreadSanitizer reported (its exitcode, set here).
 */
#ifndef HARNESS_STRESS_H
#define HARNESS_STRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sut.h"

#define STRESS_MAX_THREADS 32

struct stress_params {
    const char *workload;      /* ops->name */
    const char *variant_name;  /* as given: v6, v6-st, v6-mt, v8, fixed, cmpxchg */
    enum sut_variant variant;
    bool mttcg;                /* false only for v6-st */
    unsigned threads;          /* worker threads the workload asked for */
    double seconds;            /* wall-clock budget; 0 if iterations is set */
    uint64_t iterations;       /* ops per thread; 0 if seconds is set */
    uint64_t seed;
    unsigned mix;              /* STRESS_MIX_* bits in force (--mix) */
};

/* The wider op mix (issue 11), chosen with --mix: each kind is a seeded
 * share of the vCPU ops, on top of the increments and stores every run has.
 *   dma      sut_dma_write: to the thread's own scratch slots, and the
 *            owner's new-epoch stores over the overlap counters
 *   mmio     stores, loads and LL/SC on the thread's own MMIO registers
 *   protect  sut_protect_code of the counter and scratch pages (W14/W15)
 *   alias    a second virtual page mapped to the counter page (sut_map_page,
 *            set while the machine is quiescent); LL/SC and loads of the
 *            counters go through either address (W4)
 *   shrink   hotplug: shrinking resizes and removal of hot-added blocks
 *   plug     a thread plugs a new vCPU (sut_cpu_plug) and drives it from
 *            then on; its old vCPU stays halted (W17)
 *   overlap  counters that also take plain 8-byte stores (and DMA) from one
 *            owner thread, over the LL/SC words (epoch << 32 | count)
 * dma, protect and shrink are sequential-only calls except where the SUT
 * stops the world (fixed, cmpxchg) or serialises every call (v6-st): sut.h.
 * The default is every kind the workload has and the variant allows. */
enum {
    STRESS_MIX_DMA = 1u << 0,
    STRESS_MIX_MMIO = 1u << 1,
    STRESS_MIX_PROTECT = 1u << 2,
    STRESS_MIX_ALIAS = 1u << 3,
    STRESS_MIX_SHRINK = 1u << 4,
    STRESS_MIX_PLUG = 1u << 5,
    STRESS_MIX_OVERLAP = 1u << 6,
    STRESS_MIX_KINDS = 7,
};
/* The kinds the SUT takes concurrently with running vCPUs on p's variant. */
unsigned stress_mix_allowed(const struct stress_params *p);

/* One worker thread: its index, its own PRNG, its op count. */
struct stress_thread {
    unsigned idx;
    uint64_t rng;
    uint64_t ops;
    uint64_t budget;           /* ops this thread may do (iterations mode) */
};

struct stress_ops {
    const char *name;          /* "bitmap" */
    const char *what;          /* one line for --help */
    unsigned default_threads;
    /* STRESS_MIX_* kinds this workload has (0: no --mix, none echoed). */
    unsigned mix_kinds;
    /* Threads to start for --threads n (a workload may add helpers, e.g. the
     * hotplug thread); at most STRESS_MAX_THREADS. */
    unsigned (*nthreads)(unsigned threads);
    /* Build the shared state before any thread starts. NULL with a one-line
     * reason in err on failure (exit 2). */
    void *(*setup)(const struct stress_params *p, char *err, size_t errlen);
    void (*worker)(void *state, struct stress_thread *t);
    /* After every thread joined: the exact final-state check; report through
     * stress_fail(). */
    void (*check)(void *state);
    /* Optional: a line of workload figures ("sc_success=... sc_fail=..."). */
    void (*figures)(void *state, char *buf, size_t len);
    void (*teardown)(void *state);
};

int stress_main(int argc, char **argv, const struct stress_ops *ops);

/* The workloads (harness/stress_<w>.c). */
extern const struct stress_ops stress_bitmap_ops, stress_llsc_ops,
    stress_hotplug_ops;

/* ---- for workers ---------------------------------------------------------
 * stress_next(): count one op; false when this thread must stop (budget,
 * deadline, a failure anywhere, or a ThreadSanitizer report). Call it once per
 * op of the worker's main loop. stress_stopping() only asks whether the run is
 * being stopped (for inner retry loops). */
bool stress_next(struct stress_thread *t);
bool stress_stopping(void);
/* Seconds since the start barrier (monotonic clock). */
double stress_elapsed(void);

/* Per-thread PRNG (xorshift64*, seeded by splitmix64 from seed and idx). */
uint64_t stress_rand(struct stress_thread *t);
/* Uniform in [0, n), n > 0. */
unsigned stress_below(struct stress_thread *t, unsigned n);

/* Record a violation (only the first is kept, rcutorture's err_segs: name the
 * thread and op) and stop the run. Safe from any thread; t may be NULL (final
 * check). */
void stress_fail(const struct stress_thread *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool stress_failed(void);

/* ---- the shared LL/SC engine (stress_llsc.c), used by llsc and hotplug ---
 * A guest RAM layout driven by vCPU threads: shared counters incremented with
 * LL/add/SC retry loops, per-thread neighbour slots next to each counter and
 * per-thread scratch slots on TLB-conflicting pages, all plain stores. */
struct llsc_world;
/* cfg for the workload: variant, smp_cpus = nvcpus, small TLB (evictions),
 * plug_cpus for the plug kind. */
void llsc_config(sut_config *c, const struct stress_params *p, unsigned nvcpus);
/* Adds the vCPU RAM block (block 0) to m, maps the alias page (mix alias);
 * claims sized for claim_cap values per counter. NULL with err on failure. */
struct llsc_world *llsc_world_new(sut_machine *m, unsigned nvcpus, unsigned mix,
                                  uint64_t claim_cap, char *err, size_t errlen);
void llsc_world_free(struct llsc_world *w);
uint64_t llsc_ram_pages(void);  /* used pages of block 0 */
/* Offset of block 0, so workloads can place things after it. */
uint64_t llsc_world_base(const struct llsc_world *w);
/* One vCPU op (chosen from t's PRNG); cpu is this thread's slot (its
 * first vCPU; with mix plug it may drive a plugged one later).
 * extra_page: a guest-physical page the hotplug workload offers for plain
 * stores and LL/SC on the thread's own slot (UINT64_MAX: none). */
void llsc_vcpu_op(struct llsc_world *w, struct stress_thread *t, unsigned cpu,
                  uint64_t extra_page);
/* Exact end-of-run (or end-of-round) check; the machine must be quiescent. */
void llsc_world_check(struct llsc_world *w, const char *when);
/* Adds this world's totals to the running figures. */
struct llsc_figures {
    uint64_t sc_ok, sc_fail, incs, liveness;
    uint64_t dma, mmio, protect, alias, plug, overlap_stores, taint_checks;
    uint64_t taint_violations, dma_violations;  /* SCs those checks caught */
};
void llsc_world_figures(const struct llsc_world *w, struct llsc_figures *f);
/* " dma=N mmio=N ..." for the kinds of mix, into buf. */
void llsc_figures_print(const struct llsc_figures *f, unsigned mix, char *buf,
                        size_t len);

#endif
