/*
 * sched_points.c - the scheduling-point hook (sched_points.h). Without SUT_SCHED_POINTS
 * there are no points: registering a hook does nothing.
 */
#include <stddef.h>

#include "sched_points.h"

static const char *const point_names[SUT_SP_N] = {
    [SUT_SP_SC_CHECKED] = "sc-checked",
    [SUT_SP_LL_LOADED] = "ll-loaded",
    [SUT_SP_FLUSH_QUEUED] = "flush-queued",
    [SUT_SP_WORK_DRAIN] = "work-drain",
    [SUT_SP_WORK_DRAINED] = "work-drained",
    [SUT_SP_REALLOC] = "realloc",
    [SUT_SP_REALLOCED] = "realloced",
    [SUT_SP_BITMAP_READ] = "bitmap-read",
};

const char *sut_sched_point_name(enum sut_sched_point p)
{
    return (unsigned)p < SUT_SP_N ? point_names[p] : "?";
}

#ifdef SUT_SCHED_POINTS
void (*sut_sched_fn)(void *ctx, enum sut_sched_point p);
void *sut_sched_ctx;
_Thread_local unsigned sut_sched_nopreempt;

void sut_sched_set_hook(void (*fn)(void *ctx, enum sut_sched_point p), void *ctx)
{
    sut_sched_ctx = ctx;
    sut_sched_fn = fn;
}

int sut_sched_available(void)
{
    return 1;
}
#else
void sut_sched_set_hook(void (*fn)(void *ctx, enum sut_sched_point p), void *ctx)
{
    (void)fn;
    (void)ctx;
}

int sut_sched_available(void)
{
    return 0;
}
#endif
