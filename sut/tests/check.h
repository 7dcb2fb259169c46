/*
 * check.h - a very small test framework for the SUT's unit tests. Each test
 * is a function; RUN() prints `PASS: <suite>/<name>` or `FAIL: <suite>/<name>
 * - file:line: what`, the protocol ./build.sh test counts.
 */
#ifndef SUT_TESTS_CHECK_H
#define SUT_TESTS_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "sut.h"

extern const char *check_suite;
extern int check_failed_tests;

void check_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool check_current_failed(void);
void check_run(const char *name, void (*fn)(void));
int check_done(void);

#define RUN(fn) check_run(#fn, fn)
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            check_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);              \
        }                                                                    \
    } while (0)
#define CHECK_EQ(a, b)                                                       \
    do {                                                                     \
        long long a_ = (long long)(a), b_ = (long long)(b);                  \
        if (a_ != b_) {                                                      \
            check_fail(__FILE__, __LINE__, #a " == " #b, "%lld != %lld",    \
                       a_, b_);                                              \
        }                                                                    \
    } while (0)

/* A test machine: defaults with a small TLB, one 64 KiB RAM block at 0. */
sut_config tc_config(enum sut_variant v);
sut_machine *tc_machine_cfg(const sut_config *c, uint64_t ram_bytes);
sut_machine *tc_machine(enum sut_variant v);

/* 4-byte little-endian accesses in MMU mode 0 that must not fail. */
uint64_t tc_ll(sut_machine *m, unsigned cpu, uint64_t addr);
int tc_sc(sut_machine *m, unsigned cpu, uint64_t addr, uint64_t val);
void tc_st(sut_machine *m, unsigned cpu, uint64_t addr, uint64_t val);
uint64_t tc_ld(sut_machine *m, unsigned cpu, uint64_t addr);
uint32_t tc_peek32(sut_machine *m, uint64_t paddr);
void tc_run_all_work(sut_machine *m);

/* Variants under test: v6 (ST and MT), v8 (sync and mttcg), fixed, cmpxchg. */
struct tc_flavour {
    const char *name;
    enum sut_variant variant;
    bool mttcg;
};
extern const struct tc_flavour tc_flavours[];
extern const unsigned tc_nflavours;

#endif
