/*
 * test_invariant.c - "a page with a live reservation is exclusive, and no
 * write entry maps it without TLB_EXCL" (invariant.h), after every op, on
 * fixed with exclusive histories of every length 1..MAX_HISTORY.
 *
 * Two kinds of programs:
 *  - directed: the history ring wraps onto a page that a RAM map change
 *    released without touching the history, at the very LL that re-arms it
 *    (the llsc-fixed finding of issue 14), for each way to release a page:
 *    removal and re-add, shrink and grow, grow within max_length;
 *  - random: seeded programs over a small RAM block with aliases, code pages,
 *    DMA, resizes, removals and flushes.
 * The same programs run on v8 and must break the invariant there (W6): the
 * check can fail. Prints one PASS:/FAIL: line per check; exit 1 on failure.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "invariant.h"

#define MAX_HISTORY 16
#define PAGE 0x400ULL           /* page_bits 10 */
#define USED (24 * PAGE)
#define MAX (32 * PAGE)
#define RANDOM_PROGS 150
#define RANDOM_OPS 60

static int failures;

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: invariant/", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures += !ok;
}

struct run {
    sut_machine *m;
    int ops;               /* ops run so far */
    int broken_at;         /* first op after which the invariant broke, -1 */
    const char *property;
    char why[320];
};

static sut_machine *machine(enum sut_variant v, unsigned history, bool mttcg, unsigned cpus)
{
    sut_config c;
    int err;
    uint64_t off;

    sut_config_default(&c, v);
    c.smp_cpus = c.max_cpus = cpus;
    c.page_bits = 10;
    c.tlb_bits = 3;
    c.vtlb_size = 2;
    c.mmu_modes = 2;
    c.history_len = history;
    c.mttcg = mttcg;
    c.ram_limit = 1 << 20;
    c.dirty_block_bits = 6;
    sut_machine *m = sut_new(&c, &err);
    if (m && sut_ram_block_add(m, USED, MAX, SUT_RAM_RESIZEABLE, &off) != SUT_OK) {
        sut_free(m);
        m = NULL;
    }
    return m;
}

/* After every op: record the first break. */
static void after(struct run *r)
{
    r->ops++;
    if (r->broken_at < 0 &&
        !fixed_invariants_hold(r->m, &r->property, r->why, sizeof(r->why))) {
        r->broken_at = r->ops;
    }
}

static void ll(struct run *r, unsigned cpu, uint64_t a)
{
    uint64_t v;
    (void)sut_ll(r->m, cpu, 0, a, 4, false, &v);
    after(r);
}

enum release { BY_READD, BY_SHRINK, BY_GROW, NRELEASE };
static const char *const release_name[] = {"remove+re-add", "shrink+grow", "grow"};

/* A RAM map change that makes P non-exclusive (no reservation lives there)
 * and leaves P in the history. */
static void release(struct run *r, enum release how)
{
    uint64_t off;
    switch (how) {
    case BY_READD:
        (void)sut_ram_block_remove(r->m, 0);
        after(r);
        (void)sut_ram_block_add(r->m, USED, MAX, SUT_RAM_RESIZEABLE, &off);
        break;
    case BY_SHRINK:
        (void)sut_ram_resize(r->m, 0, USED / 2);
        after(r);
        (void)sut_ram_resize(r->m, 0, USED);
        break;
    case BY_GROW:
        (void)sut_ram_resize(r->m, 0, MAX);
        break;
    case NRELEASE:
        break;
    }
    after(r);
}

/* The issue-14 shape for a history of length h: vCPU0 arms P and lets go,
 * the map change releases P, vCPU1 arms h-1 fresh pages so the ring is one
 * step before P's slot, vCPU0 arms P again; then vCPU1 stores to P and
 * vCPU0's SC must fail. Returns whether the SC (wrongly) succeeded. */
static bool directed(struct run *r, unsigned h, enum release how)
{
    const uint64_t p = 2 * PAGE + 8;
    int st = -1;

    ll(r, 0, p);
    (void)sut_clrex(r->m, 0);
    after(r);
    release(r, how);
    for (unsigned i = 0; i + 1 < h; i++) {
        ll(r, 1, (3 + i) * PAGE);   /* a fresh page each: the ring advances */
    }
    ll(r, 0, p);
    (void)sut_store(r->m, 1, 0, p, 4, false, 0x2a);
    after(r);
    (void)sut_sc(r->m, 0, 0, p, 4, false, 0x63, &st);
    after(r);
    return st == 0;
}

/* xorshift64*: the same seed gives the same program on every build. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static void random_prog(struct run *r, uint64_t seed, unsigned cpus)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1, v, off;
    int st;

    for (int i = 0; i < RANDOM_OPS; i++) {
        const unsigned cpu = (unsigned)(rnd(&s) % cpus), mmu = (unsigned)(rnd(&s) % 2);
        uint64_t a = (rnd(&s) % 12) * PAGE + (rnd(&s) % 4) * 4;
        if (rnd(&s) % 8 == 0) {
            a += 0x10000000;   /* the alias window (map ops below) */
        }
        switch (rnd(&s) % 14) {
        case 0: case 1: case 2:
            (void)sut_ll(r->m, cpu, mmu, a, 4, false, &v);
            break;
        case 3: case 4:
            (void)sut_sc(r->m, cpu, mmu, a, 4, false, rnd(&s) % 4, &st);
            break;
        case 5: case 6:
            (void)sut_store(r->m, cpu, mmu, a, 4, false, rnd(&s) % 4);
            break;
        case 7:
            (void)sut_clrex(r->m, cpu);
            break;
        case 8:
            (void)sut_dma_write(r->m, a & 0xfffffff, 4, rnd(&s) % 4);
            break;
        case 9:
            (void)sut_protect_code(r->m, a & 0xfffffff);
            break;
        case 10:
            (void)sut_ram_resize(r->m, 0, (1 + rnd(&s) % 32) * PAGE);
            break;
        case 11:
            if (sut_ram_block_remove(r->m, 0) == SUT_OK) {
                after(r);
                (void)sut_ram_block_add(r->m, USED, MAX, SUT_RAM_RESIZEABLE, &off);
            }
            break;
        case 12:
            (void)sut_map_page(r->m, 0x10000000 + (rnd(&s) % 12) * PAGE,
                               (rnd(&s) % 12) * PAGE);
            break;
        default:
            if (rnd(&s) % 2) {
                (void)sut_tlb_flush(r->m, cpu);
            } else {
                (void)sut_run_work(r->m, cpu);
            }
            break;
        }
        after(r);
    }
}

int main(void)
{
    /* Directed, every history length, every release, both flush modes. */
    for (unsigned h = 1; h <= MAX_HISTORY; h++) {
        unsigned fixed_ok = 0, fixed_n = 0, v8_broken = 0, v8_n = 0;
        char first[400] = "";
        for (int how = 0; how < NRELEASE; how++) {
            for (int mt = 0; mt < 2; mt++) {
                for (int v = 0; v < 2; v++) {
                    struct run r = {.broken_at = -1};
                    r.m = machine(v ? SUT_V8 : SUT_FIXED, h, mt, 2);
                    if (!r.m) {
                        report(false, "history %u: no machine", h);
                        continue;
                    }
                    const bool lost = directed(&r, h, (enum release)how);
                    if (v) {
                        v8_n++;
                        v8_broken += r.broken_at >= 0;
                    } else {
                        fixed_n++;
                        fixed_ok += r.broken_at < 0 && !lost;
                        if ((r.broken_at >= 0 || lost) && !*first) {
                            snprintf(first, sizeof(first), "%s%s: %s at op %d: %s",
                                     release_name[how], mt ? " mttcg" : "",
                                     lost ? "lost update" : r.property, r.broken_at,
                                     r.why);
                        }
                    }
                    sut_free(r.m);
                }
            }
        }
        report(fixed_ok == fixed_n, "fixed history %u: ring wraps onto the page being armed, "
               "%u/%u programs keep it exclusive and guarded%s%s", h, fixed_ok, fixed_n,
               *first ? "; first: " : "", first);
        /* v8's history unsets whatever it evicts: the same programs break it
         * (with h = 1 only the page being armed is evicted: always). */
        report(v8_broken == v8_n, "v8 history %u (expect broken): %u/%u programs break it",
               h, v8_broken, v8_n);
    }

    /* Random programs, seeds printed. */
    for (unsigned h = 1; h <= 8; h++) {
        unsigned fixed_bad = 0, v8_broken = 0, n = 0;
        char first[400] = "";
        for (uint64_t seed = 1; seed <= RANDOM_PROGS; seed++) {
            const unsigned cpus = 2 + (unsigned)(seed % 3);
            for (int v = 0; v < 2; v++) {
                struct run r = {.broken_at = -1};
                r.m = machine(v ? SUT_V8 : SUT_FIXED, h, seed % 2, cpus);
                if (!r.m) {
                    report(false, "history %u: no machine", h);
                    continue;
                }
                random_prog(&r, seed * 100 + h, cpus);
                if (v) {
                    v8_broken += r.broken_at >= 0;
                } else if (r.broken_at >= 0) {
                    if (!fixed_bad++) {
                        snprintf(first, sizeof(first), "seed %" PRIu64 ": %s at op %d: %s",
                                 seed * 100 + h, r.property, r.broken_at, r.why);
                    }
                }
                sut_free(r.m);
            }
            n++;
        }
        report(fixed_bad == 0, "fixed history %u: %u random programs (seeds %u..%u step 100), "
               "invariant after every op%s%s", h, n, 100 + h, RANDOM_PROGS * 100 + h,
               *first ? "; broken by " : "", first);
        report(v8_broken > 0, "v8 history %u (expect broken): %u/%u random programs break it",
               h, v8_broken, n);
    }
    return failures ? 1 : 0;
}
