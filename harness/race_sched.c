/*
 * race_sched.c - the PCT scheduler (race_sched.h).
 *
 * Priorities: a permutation of depth .. depth+n-1 drawn from the seed; at
 * the i-th change point (a step number drawn from the seed) the running
 * thread drops to priority depth-i, below every initial one. The running
 * thread decides at each step who runs next, so exactly one thread is ever
 * out of a wait.
 */
#include <string.h>

#include "race_sched.h"

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void race_sched_init(struct race_sched *s, unsigned n, uint32_t seed, unsigned depth,
                     uint64_t est_steps)
{
    uint64_t x = seed;

    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    for (unsigned i = 0; i < RACE_SCHED_THREADS; i++) {
        pthread_cond_init(&s->cv[i], NULL);
    }
    s->n = n;
    for (unsigned i = 0; i < n; i++) {
        s->prio[i] = depth + i;
    }
    for (unsigned i = n; i > 1; i--) {
        unsigned j = (unsigned)(splitmix(&x) % i), t = s->prio[i - 1];
        s->prio[i - 1] = s->prio[j];
        s->prio[j] = t;
    }
    s->nchange = depth > 1 ? depth - 1 : 0;
    if (s->nchange > 8) {
        s->nchange = 8;
    }
    for (unsigned i = 0; i < s->nchange; i++) {
        s->change_at[i] = 1 + splitmix(&x) % (est_steps ? est_steps : 1);
    }
    s->trace_hash = 0xcbf29ce484222325ULL;
}

void race_sched_destroy(struct race_sched *s)
{
    pthread_mutex_destroy(&s->lock);
    for (unsigned i = 0; i < RACE_SCHED_THREADS; i++) {
        pthread_cond_destroy(&s->cv[i]);
    }
}

static bool runnable(const struct race_sched *s, unsigned t)
{
    if (s->done[t]) {
        return false;
    }
    if (s->want_excl[t]) {
        for (unsigned o = 0; o < s->n; o++) {
            if (o != t && !s->done[o] && s->mid_op[o]) {
                return false;
            }
        }
    }
    return true;
}

/* Pick the next thread (lock held); n if none is left. */
static unsigned pick(const struct race_sched *s)
{
    unsigned best = s->n;
    for (unsigned t = 0; t < s->n; t++) {
        if (runnable(s, t) && (best == s->n || s->prio[t] > s->prio[best])) {
            best = t;
        }
    }
    return best;
}

static void record(struct race_sched *s, unsigned tid, unsigned point)
{
    uint64_t v[3] = {s->steps, tid, point};
    for (int k = 0; k < 3; k++) {
        for (int b = 0; b < 8; b++) {
            s->trace_hash ^= (uint8_t)(v[k] >> (8 * b));
            s->trace_hash *= 0x100000001b3ULL;
        }
    }
    if (s->ntrace < RACE_SCHED_TRACE) {
        s->trace[s->ntrace++] = (uint16_t)(tid << 8 | (point & 255));
    }
}

/* The running thread hands over (lock held) and waits until chosen again. */
static void switch_from(struct race_sched *s, unsigned tid)
{
    s->current = pick(s);
    if (s->current < s->n && s->current != tid) {
        pthread_cond_signal(&s->cv[s->current]);
    }
    while (s->current != tid && !s->done[tid]) {
        pthread_cond_wait(&s->cv[tid], &s->lock);
    }
}

static void step(struct race_sched *s, unsigned tid, unsigned point)
{
    s->steps++;
    for (unsigned i = 0; i < s->nchange; i++) {
        if (s->change_at[i] == s->steps) {
            s->prio[tid] = s->nchange - i; /* below every initial priority */
        }
    }
    record(s, tid, point);
    switch_from(s, tid);
}

void race_sched_start(struct race_sched *s, unsigned tid)
{
    pthread_mutex_lock(&s->lock);
    s->started++;
    if (s->started == s->n) {
        /* The last to arrive starts the run: the same choice every time. */
        s->current = pick(s);
        if (s->current != tid) {
            pthread_cond_signal(&s->cv[s->current]);
        }
    } else {
        s->current = s->n; /* nobody yet */
    }
    while (s->current != tid) {
        pthread_cond_wait(&s->cv[tid], &s->lock);
    }
    pthread_mutex_unlock(&s->lock);
}

void race_sched_op(struct race_sched *s, unsigned tid, bool exclusive)
{
    pthread_mutex_lock(&s->lock);
    s->mid_op[tid] = false;
    s->want_excl[tid] = exclusive;
    step(s, tid, RACE_POINT_OP);
    s->want_excl[tid] = false;
    s->in_excl[tid] = exclusive;
    s->mid_op[tid] = true;
    pthread_mutex_unlock(&s->lock);
}

void race_sched_op_end(struct race_sched *s, unsigned tid)
{
    pthread_mutex_lock(&s->lock);
    s->mid_op[tid] = false;
    s->in_excl[tid] = false;
    pthread_mutex_unlock(&s->lock);
}

void race_sched_point(struct race_sched *s, unsigned tid, unsigned point)
{
    pthread_mutex_lock(&s->lock);
    if (!s->in_excl[tid]) {
        step(s, tid, point);
    }
    pthread_mutex_unlock(&s->lock);
}

void race_sched_finish(struct race_sched *s, unsigned tid)
{
    pthread_mutex_lock(&s->lock);
    s->done[tid] = true;
    s->mid_op[tid] = false;
    s->current = pick(s);
    if (s->current < s->n) {
        pthread_cond_signal(&s->cv[s->current]);
    }
    pthread_mutex_unlock(&s->lock);
}
