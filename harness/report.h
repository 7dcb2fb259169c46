/*
 * report.h - how every harness check reports a violation.
 *
 * A violation prints one verdict line to stderr,
 *   FAIL <property>: op <n>: <what happened>
 * and then ends the input the way the engine expects: abort() under libFuzzer
 * and AFL++ (a crash is a finding), exit(1) in the replay build (repro's
 * verdict contract). The line is identical in every build, so verdicts can be
 * compared across engines.
 */
#ifndef HARNESS_REPORT_H
#define HARNESS_REPORT_H

#include <stdnoreturn.h>

/* Replay main sets this to 1: violations exit(1) instead of abort(). */
extern int hx_exit_on_violation;

noreturn void hx_violation(const char *property, long op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
