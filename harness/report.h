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

#include <setjmp.h>
#include <stddef.h>
#include <stdnoreturn.h>

/* Replay main sets this to 1: violations exit(1) instead of abort(). */
extern int hx_exit_on_violation;

/* The fresh-state check (replay -fresh-pairs) runs many inputs in one
 * process: while hx_catch is set, the verdict line goes to hx_caught (not
 * stderr) and hx_violation longjmps to hx_catch. */
extern jmp_buf *hx_catch;
extern char hx_caught[1024];

/* Hooks of a family whose harness keeps state across inputs (llsc_fuzz.c;
 * weak in replay_main.c, so a family without them links): hx_fresh_drop
 * frees it, so the next input starts from newly allocated state;
 * hx_fresh_state prints what the last input left that must not depend on
 * the inputs before it (the machine's sut_stats). */
void hx_fresh_drop(void);
void hx_fresh_state(char *buf, size_t len);

noreturn void hx_violation(const char *property, long op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
