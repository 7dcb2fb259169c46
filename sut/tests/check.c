#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

const char *check_suite = "sut";
int check_failed_tests;
static int current_failures, passed;
static const char *current_name;

void check_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    if (current_failures++ == 0) {
        printf("FAIL: %s/%s - %s:%d: %s: ", check_suite, current_name, file, line, cond);
    } else {
        printf("    also %s:%d: %s: ", file, line, cond);
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

bool check_current_failed(void)
{
    return current_failures != 0;
}

void check_run(const char *name, void (*fn)(void))
{
    current_name = name;
    current_failures = 0;
    fn();
    if (current_failures) {
        check_failed_tests++;
    } else {
        passed++;
        printf("PASS: %s/%s\n", check_suite, name);
    }
    fflush(stdout);
}

int check_done(void)
{
    fprintf(stderr, "%s: %d passed, %d failed\n", check_suite, passed, check_failed_tests);
    return check_failed_tests ? 1 : 0;
}

const struct tc_flavour tc_flavours[] = {
    {"v6-ST", SUT_V6, false},  {"v6-MT", SUT_V6, true},   {"v8", SUT_V8, false},
    {"v8-mttcg", SUT_V8, true}, {"fixed", SUT_FIXED, false}, {"fixed-mttcg", SUT_FIXED, true},
    {"cmpxchg", SUT_CMPXCHG, false},
};
const unsigned tc_nflavours = sizeof(tc_flavours) / sizeof(tc_flavours[0]);

sut_config tc_config(enum sut_variant v)
{
    sut_config c;
    sut_config_default(&c, v);
    c.tlb_bits = 4;
    c.vtlb_size = 2;
    c.mmu_modes = 2;
    c.ram_limit = 1 << 20;
    return c;
}

sut_machine *tc_machine_cfg(const sut_config *c, uint64_t ram_bytes)
{
    int err;
    uint64_t off;
    sut_machine *m = sut_new(c, &err);
    if (!m) {
        fprintf(stderr, "sut_new: %s\n", sut_strerror(err));
        abort();
    }
    if (ram_bytes && sut_ram_block_add(m, ram_bytes, ram_bytes, 0, &off) != SUT_OK) {
        fprintf(stderr, "ram_block_add failed\n");
        abort();
    }
    /* The vCPUs start after the board mapped its RAM: under MTTCG they
     * service the flushes that mapping queued before their first TB. */
    tc_run_all_work(m);
    return m;
}

sut_machine *tc_machine(enum sut_variant v)
{
    sut_config c = tc_config(v);
    return tc_machine_cfg(&c, 64 << 10);
}

uint64_t tc_ll(sut_machine *m, unsigned cpu, uint64_t addr)
{
    uint64_t v = 0;
    CHECK(sut_ll(m, cpu, 0, addr, 4, false, &v) == SUT_OK, "LL vCPU%u 0x%llx", cpu,
          (unsigned long long)addr);
    return v;
}

int tc_sc(sut_machine *m, unsigned cpu, uint64_t addr, uint64_t val)
{
    int st = -1;
    CHECK(sut_sc(m, cpu, 0, addr, 4, false, val, &st) == SUT_OK, "SC vCPU%u 0x%llx", cpu,
          (unsigned long long)addr);
    return st;
}

void tc_st(sut_machine *m, unsigned cpu, uint64_t addr, uint64_t val)
{
    CHECK(sut_store(m, cpu, 0, addr, 4, false, val) == SUT_OK, "store vCPU%u 0x%llx", cpu,
          (unsigned long long)addr);
}

uint64_t tc_ld(sut_machine *m, unsigned cpu, uint64_t addr)
{
    uint64_t v = 0;
    CHECK(sut_load(m, cpu, 0, addr, 4, false, &v) == SUT_OK, "load vCPU%u 0x%llx", cpu,
          (unsigned long long)addr);
    return v;
}

uint32_t tc_peek32(sut_machine *m, uint64_t paddr)
{
    uint8_t b[4] = {0};
    CHECK(sut_peek(m, paddr, b, 4) == SUT_OK, "peek 0x%llx", (unsigned long long)paddr);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Under MTTCG every vCPU reaches a TB boundary: what the positive tests
 * assume (without it, the window is W5). */
void tc_run_all_work(sut_machine *m)
{
    for (unsigned i = 0; i < sut_cpus_present(m); i++) {
        sut_run_work(m, i);
    }
}
