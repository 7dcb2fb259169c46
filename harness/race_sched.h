/*
 * race_sched.h - a PCT scheduler (probabilistic concurrency testing: random
 * thread priorities, d-1 priority change points) that runs the race targets'
 * vCPU threads one at a time, so that an input and its schedule seed give
 * the same interleaving every time.
 *
 * A thread gives the scheduler a chance to switch at each op boundary
 * (race_sched_op) and at every scheduling point sut/ reports (sut/sched_points.h).
 * There the highest-priority runnable thread runs; all others wait on their
 * own condition variable. Nothing depends on timing: the choice is a
 * function of the seed and of the step count. A thread that asks for an
 * exclusive op (race_op_exclusive) is runnable only when no other thread is
 * in the middle of an op, and is not preempted inside it.
 */
#ifndef HARNESS_RACE_SCHED_H
#define HARNESS_RACE_SCHED_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define RACE_SCHED_THREADS 4
#define RACE_SCHED_TRACE 4096

struct race_sched {
    pthread_mutex_t lock;
    pthread_cond_t cv[RACE_SCHED_THREADS];
    unsigned n, started, current;
    unsigned prio[RACE_SCHED_THREADS];
    bool done[RACE_SCHED_THREADS], mid_op[RACE_SCHED_THREADS], want_excl[RACE_SCHED_THREADS];
    bool in_excl[RACE_SCHED_THREADS];  /* running an exclusive op: not preempted */
    unsigned nchange;
    uint64_t change_at[8];
    uint64_t steps;
    uint64_t trace_hash;          /* FNV-1a of (step, thread, point) */
    unsigned ntrace;
    uint16_t trace[RACE_SCHED_TRACE]; /* thread << 8 | point, per switch decision */
};

/* n threads; depth d (d-1 change points spread over about est_steps). */
void race_sched_init(struct race_sched *s, unsigned n, uint32_t seed, unsigned depth,
                     uint64_t est_steps);
void race_sched_destroy(struct race_sched *s);
/* Each thread calls this first: it returns when the thread is chosen. */
void race_sched_start(struct race_sched *s, unsigned tid);
/* Before each op; returns when the thread may run it. */
void race_sched_op(struct race_sched *s, unsigned tid, bool exclusive);
/* After each op. */
void race_sched_op_end(struct race_sched *s, unsigned tid);
/* A scheduling point inside the SUT (point: enum sut_sched_point). */
void race_sched_point(struct race_sched *s, unsigned tid, unsigned point);
/* The thread has finished its list. */
void race_sched_finish(struct race_sched *s, unsigned tid);

#define RACE_POINT_OP 255u         /* the trace's code for an op boundary */

#endif
