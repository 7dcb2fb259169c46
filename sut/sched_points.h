/*
 * sched_points.h - scheduling points at the design's racy steps, for the race
 * targets' deterministic scheduler (harness/race_sched.h).
 *
 * Built with -DSUT_SCHED_POINTS (only the race targets' libsut-sched.a),
 * SUT_SCHED_POINT(p) calls the hook registered with sut_sched_set_hook, which
 * may block the calling thread and let another one run. In every other build
 * the macros are empty, so the sequential targets and the stress binaries
 * carry no trace of them.
 *
 * A thread must never be parked while it holds something another vCPU
 * thread can wait for (the one-TCG-thread lock, tcg_excl_access_lock, an
 * exec region a start_exclusive waits for): the scheduler runs one thread at
 * a time and would deadlock. Those regions are bracketed with
 * SUT_SCHED_NOPREEMPT_BEGIN/END, and points inside them are not reported.
 * The hook is process-wide (one scheduled run at a time); sut/ includes
 * nothing from harness/, the harness registers a function pointer.
 */
#ifndef SUT_SCHED_POINTS_H
#define SUT_SCHED_POINTS_H

enum sut_sched_point {
    SUT_SP_SC_CHECKED,     /* an SC passed its check, its store is next */
    SUT_SP_LL_LOADED,      /* an LL loaded, its arming is next */
    SUT_SP_FLUSH_QUEUED,   /* a flush request was queued for another vCPU */
    SUT_SP_WORK_DRAIN,     /* a vCPU is about to drain its work queue */
    SUT_SP_WORK_DRAINED,   /* ... and has drained it */
    SUT_SP_REALLOC,        /* the flat bitmaps are about to move */
    SUT_SP_REALLOCED,      /* ... and have moved */
    SUT_SP_BITMAP_READ,    /* a reader holds the flat exclusive bitmap pointer */
    SUT_SP_N
};

/* Always declared; defined (and effective) only with SUT_SCHED_POINTS.
 * sut_sched_available() says whether this build has the points. */
void sut_sched_set_hook(void (*fn)(void *ctx, enum sut_sched_point p), void *ctx);
int sut_sched_available(void);
const char *sut_sched_point_name(enum sut_sched_point p);

#ifdef SUT_SCHED_POINTS
extern void (*sut_sched_fn)(void *ctx, enum sut_sched_point p);
extern void *sut_sched_ctx;
extern _Thread_local unsigned sut_sched_nopreempt;
#define SUT_SCHED_POINT(p)                                                   \
    do {                                                                     \
        if (sut_sched_fn && !sut_sched_nopreempt) {                          \
            sut_sched_fn(sut_sched_ctx, (p));                                \
        }                                                                    \
    } while (0)
#define SUT_SCHED_NOPREEMPT_BEGIN() (sut_sched_nopreempt++)
#define SUT_SCHED_NOPREEMPT_END() (sut_sched_nopreempt--)
#else
#define SUT_SCHED_POINT(p) ((void)0)
#define SUT_SCHED_NOPREEMPT_BEGIN() ((void)0)
#define SUT_SCHED_NOPREEMPT_END() ((void)0)
#endif

#endif
