/*
 * race_fuzz.h - one race input, end to end (issue 11): decode it
 * (race_ops.h), create a machine of the variant with one vCPU per thread,
 * run each vCPU's op list on a thread of its own, all started together,
 * record what every op saw, and judge the history with the concurrent
 * oracle (race_oracle.h). A violation ends the input through hx_violation
 * (report.h) with the oracle's property; a sanitizer report (TSan's data
 * race, ASan's use-after-free) prints a verdict line of the same form first,
 * with the bug type as the property and the op the reporting thread was in.
 *
 * Modes (the input's config): free - the threads run unrestrained; pct - the
 * scheduler of race_sched.h runs one thread at a time at op boundaries and
 * at sut/'s scheduling points (needs a libsut built with SUT_SCHED_POINTS),
 * so the run, its trace and its verdict are a function of the input.
 *
 * Environment: RACE_TRACE=1 prints each op as text with its outcome, and the
 * schedule's trace hash, to stderr. RACE_MODE=free|pct overrides the
 * input's mode. RACE_SCHED_SEED=N (and RACE_SCHED_DEPTH=D) runs an input in
 * pct mode with that seed instead (the replay search of ci/bench/race.sh).
 * RACE_POINTS=a,b,... lets only the named sut/ points preempt (names:
 * sut_sched_point_name; "none" leaves the op boundaries only).
 */
#ifndef HARNESS_RACE_FUZZ_H
#define HARNESS_RACE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "sut.h"

int race_fuzz_one(enum sut_variant v, const uint8_t *data, size_t size);

#endif
