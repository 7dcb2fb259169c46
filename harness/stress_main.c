/*
 * stress_main.c - the generic threaded stress body (see stress.h).
 *
 * Command line (every binary, whatever its workload):
 *   --variant V     v6 (= v6-mt), v6-mt, v6-st, v8, fixed, cmpxchg  [fixed]
 *   --backend B     the bitmap backend this binary links must be B (it is
 *                   chosen at link time; a mismatch is a usage error)
 *   --threads N     worker threads, 1..32 (workloads may add a helper)
 *   --seconds S     wall-clock budget (> 0, fractions allowed)     [2]
 *   --iterations N  ops per thread instead of a time budget
 *   --seed N        decimal or 0x hex; without it one is picked and printed
 *   --mix LIST      the wider op mix (stress.h STRESS_MIX_*): comma-separated
 *                   kinds, "default" (every kind the workload has and the
 *                   variant allows) or "none" (the fixed mix of before)
 *   --stop-on P     TSan builds: stop at the first report whose summary
 *                   contains one of the '|'-separated substrings of P;
 *                   "any" (default) stops at the first report, "none" runs
 *                   the whole budget
 * Bad input: one line on stderr, exit 2.
 *
 * ThreadSanitizer glue (TSan builds only). The options are set here, not by
 * the caller's environment (TSAN_OPTIONS still overrides them for one-off
 * experiments): no halt on error (the body stops the workers itself and still
 * prints its verdict), exitcode 66, a longer history so both stacks of a race
 * are kept, and reports deduplicated by stack pair (not by address). __tsan_on_report
 * (a runtime hook, called after each report is printed) is compiled without
 * instrumentation: it counts the report, prints a one-line summary with the
 * time since the start barrier,
 *   stress: tsan report 1 at 0.004s: data-race: atomic-write8@bm_set_bit_atomic<... vs read1@stress_view_cell_byte<...
 * and asks the workers to stop. Its counters are read through equally
 * uninstrumented accessors, so they add no happens-before edge that could
 * hide a race between the workers.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "bitmap.h"
#include "stress.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_TSAN 1
#endif
#endif
#if !defined(STRESS_TSAN) && defined(__SANITIZE_THREAD__)
#define STRESS_TSAN 1
#endif
#ifdef STRESS_TSAN
/* Not instrumented: runs inside the TSan runtime's report hook. */
#define NOINST __attribute__((disable_sanitizer_instrumentation))
#else
#define NOINST
#endif

/* ---- run state ------------------------------------------------------------
 * Written by main before the threads start (thread creation and the start
 * barrier order it), then only touched with relaxed atomics, which TSan does
 * not treat as synchronisation. */
static struct {
    struct timespec t0;
    double deadline;   /* seconds after t0; 0: iterations mode */
    int stop;          /* relaxed */
    int failed;        /* relaxed CAS: the first violation wins */
    char why[512];     /* written by the winner, read by main after join */
} run;

static const char *prog = "stress";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (try --help)\n", stderr);
    exit(2);
}

NOINST static double now_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

double stress_elapsed(void) { return now_since(&run.t0); }

/* ---- ThreadSanitizer ----------------------------------------------------- */
#ifdef STRESS_TSAN
void *__tsan_get_current_report(void);
int __tsan_get_report_data(void *report, const char **description, int *count,
                           int *stack_count, int *mop_count, int *loc_count,
                           int *mutex_count, int *thread_count,
                           int *unique_tid_count, void **blocked_trace,
                           unsigned long trace_size);
int __tsan_get_report_mop(void *report, unsigned long idx, int *tid,
                          void **addr, int *size, int *write, int *atomic,
                          void **trace, unsigned long trace_size);
void __sanitizer_symbolize_pc(void *pc, const char *fmt, char *out_buf,
                              size_t out_buf_size);
const char *__tsan_default_options(void);
void __tsan_on_report(void *report);

const char *__tsan_default_options(void)
{
    /* Dedup by stack pair only: deduplicating by address would hide the
     * second view's race on a word whose first race was already reported
     * (the bitmap workload's map is a few words; v6 reads it two ways). */
    return "halt_on_error=0:exitcode=66:history_size=4:"
           "suppress_equal_stacks=1:suppress_equal_addresses=0:"
           "report_signal_unsafe=0:second_deadlock_stack=1";
}

static struct {
    unsigned long reports;
    unsigned long stop;
    int stop_mode;            /* 0 any, 1 none, 2 pattern */
    char pattern[256];
    char first[640];          /* summary of the first report */
    char line[768];
} ts;

/* Tiny appenders: the hook runs inside the runtime, so no stdio. */
NOINST static size_t put(char *b, size_t n, size_t cap, const char *s)
{
    while (*s && n + 1 < cap) {
        b[n++] = *s++;
    }
    b[n] = 0;
    return n;
}

NOINST static size_t put_u(char *b, size_t n, size_t cap, unsigned long v)
{
    char d[24];
    int k = 0;

    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && k < 23);
    while (k > 0 && n + 1 < cap) {
        b[n++] = d[--k];
    }
    b[n] = 0;
    return n;
}

NOINST static bool has_prefix(const char *s, const char *p)
{
    while (*p) {
        if (*s++ != *p++) {
            return false;
        }
    }
    return true;
}

NOINST static bool same(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

NOINST static bool contains(const char *hay, const char *needle, size_t nlen)
{
    if (nlen == 0) {
        return false;
    }
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < nlen && hay[i] && hay[i] == needle[i]) {
            i++;
        }
        if (i == nlen) {
            return true;
        }
    }
    return false;
}

NOINST static bool matches_pattern(const char *summary)
{
    const char *p = ts.pattern;

    while (*p) {
        const char *e = p;
        while (*e && *e != '|') {
            e++;
        }
        if (contains(summary, p, (size_t)(e - p))) {
            return true;
        }
        p = *e ? e + 1 : e;
    }
    return false;
}

/* "data-race: atomic-write8@f0<f1<f2 vs read1@g0<g1<g2": per memory access,
 * its kind and the first three frames outside the TSan runtime. */
NOINST static void summarise(void *rep, char *b, size_t cap)
{
    const char *desc = "?";
    int count, sc, mc = 0, lc, muc, tc, utc;
    void *blocked_trace[1];
    size_t n = 0;

    b[0] = 0;
    if (!rep || __tsan_get_report_data(rep, &desc, &count, &sc, &mc, &lc, &muc,
                                       &tc, &utc, blocked_trace, 1) != 1) {
        put(b, 0, cap, "unknown report");
        return;
    }
    n = put(b, n, cap, desc);
    n = put(b, n, cap, ":");
    for (int i = 0; i < mc && i < 4; i++) {
        int tid, size, wr, at;
        void *addr, *tr[16] = {0};
        int shown = 0;

        __tsan_get_report_mop(rep, (unsigned long)i, &tid, &addr, &size, &wr,
                              &at, tr, 16);
        n = put(b, n, cap, i ? " vs " : " ");
        n = put(b, n, cap, at ? "atomic-" : "");
        n = put(b, n, cap, wr ? "write" : "read");
        n = put_u(b, n, cap, (unsigned long)size);
        char prev[160] = "";
        for (int k = 0; k < 16 && tr[k] && shown < 3; k++) {
            char fn[160];
            const char *f = fn;
            __sanitizer_symbolize_pc(tr[k], "%f", fn, sizeof fn);
            if (has_prefix(fn, "__tsan")) {
                continue;
            }
            if (has_prefix(fn, "__interceptor_")) {
                f += sizeof "__interceptor_" - 1;
            }
            if (same(f, prev)) {
                continue; /* inlined frames repeat the caller's name */
            }
            put(prev, 0, sizeof prev, f);
            n = put(b, n, cap, shown ? "<" : "@");
            n = put(b, n, cap, f);
            shown++;
        }
    }
}

NOINST void __tsan_on_report(void *report)
{
    char summary[640];
    unsigned long k = __atomic_add_fetch(&ts.reports, 1, __ATOMIC_RELAXED);
    double t = now_since(&run.t0);
    size_t n = 0;

    (void)report;
    summarise(__tsan_get_current_report(), summary, sizeof summary);
    if (k == 1) {
        put(ts.first, 0, sizeof ts.first, summary);
    }
    n = put(ts.line, n, sizeof ts.line, "stress: tsan report ");
    n = put_u(ts.line, n, sizeof ts.line, k);
    n = put(ts.line, n, sizeof ts.line, " at ");
    n = put_u(ts.line, n, sizeof ts.line, (unsigned long)t);
    n = put(ts.line, n, sizeof ts.line, ".");
    {
        unsigned long ms = (unsigned long)((t - (double)(unsigned long)t) * 1000.0);
        if (ms < 100) {
            n = put(ts.line, n, sizeof ts.line, ms < 10 ? "00" : "0");
        }
        n = put_u(ts.line, n, sizeof ts.line, ms);
    }
    n = put(ts.line, n, sizeof ts.line, "s: ");
    n = put(ts.line, n, sizeof ts.line, summary);
    n = put(ts.line, n, sizeof ts.line, "\n");
    if (write(2, ts.line, n) < 0) {
        /* nothing to do: stderr is gone */
    }
    if (ts.stop_mode == 0 || (ts.stop_mode == 2 && matches_pattern(summary))) {
        __atomic_store_n(&ts.stop, 1, __ATOMIC_RELAXED);
    }
}

NOINST static unsigned long tsan_reports(void)
{
    return __atomic_load_n(&ts.reports, __ATOMIC_RELAXED);
}

NOINST static bool tsan_stop(void)
{
    return __atomic_load_n(&ts.stop, __ATOMIC_RELAXED) != 0;
}

/* A run told to stop only at a given race (or never) goes on after the
 * workload's own failure: on v6-MT a lost update (W6) often comes first,
 * and the realloc race of W2 must still get its chance to show. */
static bool stop_at_failure(void)
{
    return ts.stop_mode == 0;
}

static void tsan_set_stop(const char *spec)
{
    if (strcmp(spec, "any") == 0) {
        ts.stop_mode = 0;
    } else if (strcmp(spec, "none") == 0) {
        ts.stop_mode = 1;
    } else {
        ts.stop_mode = 2;
        snprintf(ts.pattern, sizeof ts.pattern, "%s", spec);
    }
}
#else
static unsigned long tsan_reports(void) { return 0; }
static bool tsan_stop(void) { return false; }
static void tsan_set_stop(const char *spec) { (void)spec; }
static bool stop_at_failure(void) { return true; }
#endif

/* ---- worker helpers ------------------------------------------------------ */
bool stress_stopping(void)
{
    return __atomic_load_n(&run.stop, __ATOMIC_RELAXED) || tsan_stop();
}

bool stress_next(struct stress_thread *t)
{
    if (t->ops >= t->budget) {
        return false;
    }
    if ((t->ops & 63) == 0) {
        if (stress_stopping()) {
            return false;
        }
        if (run.deadline > 0 && stress_elapsed() >= run.deadline) {
            __atomic_store_n(&run.stop, 1, __ATOMIC_RELAXED);
            return false;
        }
    }
    t->ops++;
    return true;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t stress_rand(struct stress_thread *t)
{
    uint64_t x = t->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

unsigned stress_below(struct stress_thread *t, unsigned n)
{
    return (unsigned)(((stress_rand(t) >> 32) * (uint64_t)n) >> 32);
}

void stress_fail(const struct stress_thread *t, const char *fmt, ...)
{
    int zero = 0;
    va_list ap;
    int n = 0;

    if (!__atomic_compare_exchange_n(&run.failed, &zero, 1, false,
                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        if (stop_at_failure()) {
            __atomic_store_n(&run.stop, 1, __ATOMIC_RELAXED);
        }
        return;
    }
    if (t) {
        n = snprintf(run.why, sizeof run.why, "thread %u op %" PRIu64 ": ",
                     t->idx, t->ops);
    }
    va_start(ap, fmt);
    vsnprintf(run.why + n, sizeof run.why - (size_t)n, fmt, ap);
    va_end(ap);
    if (stop_at_failure()) {
        __atomic_store_n(&run.stop, 1, __ATOMIC_RELAXED);
    }
}

bool stress_failed(void)
{
    return __atomic_load_n(&run.failed, __ATOMIC_RELAXED) != 0;
}

/* ---- threads ------------------------------------------------------------- */
struct worker_arg {
    const struct stress_ops *ops;
    void *state;
    pthread_barrier_t *start;
    struct stress_thread t;
};

static void *worker_main(void *p)
{
    struct worker_arg *a = p;

    pthread_barrier_wait(a->start);
    a->ops->worker(a->state, &a->t);
    return NULL;
}

/* ---- the op mix ---------------------------------------------------------- */
static const char *const mix_names[STRESS_MIX_KINDS] = {
    "dma", "mmio", "protect", "alias", "shrink", "plug", "overlap",
};

unsigned stress_mix_allowed(const struct stress_params *p)
{
    unsigned all = (1u << STRESS_MIX_KINDS) - 1;

    /* sut.h: DMA, protect_code, shrinking resizes and removal are for the
     * sequential harness, except where the SUT stops the world for them
     * (fixed, cmpxchg) or runs one TCG thread (v6-st). Elsewhere they would
     * be races of the harness's making, not the design's. */
    if (p->mttcg && p->variant != SUT_FIXED && p->variant != SUT_CMPXCHG) {
        all &= ~(unsigned)(STRESS_MIX_DMA | STRESS_MIX_PROTECT | STRESS_MIX_SHRINK);
    }
    return all;
}

static void mix_format(unsigned mix, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = 0;
    for (unsigned k = 0; k < STRESS_MIX_KINDS; k++) {
        if (mix & (1u << k)) {
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", mix_names[k]);
            if (n >= len) {
                break;
            }
        }
    }
    if (!buf[0]) {
        snprintf(buf, len, "none");
    }
}

/* --mix LIST against the workload and the variant; exits 2 on a kind the
 * workload lacks or the variant cannot take concurrently. */
static unsigned mix_parse(const char *spec, const struct stress_ops *ops,
                          const struct stress_params *p)
{
    unsigned allowed = ops->mix_kinds & stress_mix_allowed(p), mix = 0;
    const char *s = spec;

    if (strcmp(spec, "default") == 0) {
        return allowed;
    }
    if (strcmp(spec, "none") == 0) {
        return 0;
    }
    while (*s) {
        size_t len = strcspn(s, ",");
        unsigned k = 0;
        while (k < STRESS_MIX_KINDS &&
               !(strlen(mix_names[k]) == len && strncmp(s, mix_names[k], len) == 0)) {
            k++;
        }
        if (k == STRESS_MIX_KINDS) {
            usage_error("--mix: unknown kind '%.*s' (dma mmio protect alias shrink plug "
                        "overlap, or default, none)", (int)len, s);
        }
        if (!(ops->mix_kinds & (1u << k))) {
            usage_error("--mix: workload %s has no '%s' ops", ops->name, mix_names[k]);
        }
        if (!(allowed & (1u << k))) {
            usage_error("--mix: '%s' is sequential-only on %s (sut.h): not with running "
                        "vCPUs", mix_names[k], p->variant_name);
        }
        mix |= 1u << k;
        s += len;
        if (*s == ',') {
            s++;
            if (!*s) {
                usage_error("--mix: empty kind at the end of '%s'", spec);
            }
        }
    }
    if (!mix) {
        usage_error("--mix wants kinds, default or none");
    }
    return mix;
}

/* ---- command line -------------------------------------------------------- */
static uint64_t parse_u64(const char *opt, const char *s)
{
    char *end;
    unsigned long long v;

    while (*s == ' ') {
        s++;
    }
    if (*s == '-') {
        usage_error("%s must not be negative: '%s'", opt, s);
    }
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s || *end) {
        usage_error("%s wants a number, got '%s'", opt, s);
    }
    return v;
}

static double parse_seconds(const char *s)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || isnan(v) || isinf(v)) {
        usage_error("--seconds wants a number, got '%s'", s);
    }
    if (v < 0) {
        usage_error("--seconds must not be negative: '%s'", s);
    }
    if (v == 0) {
        usage_error("--seconds must be greater than 0");
    }
    if (v > 86400) {
        usage_error("--seconds at most 86400, got '%s'", s);
    }
    return v;
}

static void usage(const struct stress_ops *ops)
{
    printf("usage: %s [--variant V] [--backend B] [--threads N] "
           "[--seconds S | --iterations N] [--seed N] [--mix LIST] [--stop-on any|none|PAT]\n"
           "  workload %s: %s\n"
           "  variants: v6 (= v6-mt), v6-mt, v6-st, v8, fixed, cmpxchg (default fixed)\n"
           "  backend: this binary links '%s'\n"
           "  threads: 1..%u (default %u); seconds default 2; iterations are per thread\n"
           "  mix: default, none, or kinds joined by ',': dma mmio protect alias shrink "
           "plug overlap (llsc and hotplug; shrink: hotplug only)\n"
           "  exit: 0 SUCCESS, 1 check failed, 2 bad usage, 66 ThreadSanitizer report\n",
           prog, ops->name, ops->what, bm_backend_name(), STRESS_MAX_THREADS,
           ops->default_threads);
}

static void parse_variant(struct stress_params *p, const char *v)
{
    const char *base = v;

    p->mttcg = true;
    if (strcmp(v, "v6-st") == 0) {
        base = "v6";
        p->mttcg = false;
    } else if (strcmp(v, "v6-mt") == 0) {
        base = "v6";
    }
    if (sut_variant_parse(base, &p->variant) != 0) {
        usage_error("unknown variant '%s' (v6 v6-mt v6-st v8 fixed cmpxchg)", v);
    }
    p->variant_name = v;
}

/* A stress run dies with whatever started it (kill -9 included): nothing
 * the project starts may outlive its command. */
static void die_with_parent(void)
{
#ifdef __linux__
    const pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(1); /* the parent died before prctl took effect */
    }
#endif
}

int stress_main(int argc, char **argv, const struct stress_ops *ops)
{
    struct stress_params p = {.workload = ops->name, .threads = ops->default_threads};

    die_with_parent();
    bool have_seed = false, have_secs = false, have_iters = false;
    const char *stop_on = "any";
    const char *mix_spec = "default";
    char mix_str[96] = "";
    char err[256] = "";
    char figures[512] = "";

    if (argc > 0 && argv[0]) {
        const char *s = strrchr(argv[0], '/');
        prog = s ? s + 1 : argv[0];
    }
    parse_variant(&p, "fixed");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        char name[32];
        const char *eq = strchr(a, '=');

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(ops);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0) {
            usage_error("unexpected argument '%s'", a);
        }
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
            if (i + 1 >= argc) {
                usage_error("%s needs a value", a);
            }
            val = argv[++i];
        }
        if (strcmp(name, "--variant") == 0) {
            parse_variant(&p, val);
        } else if (strcmp(name, "--backend") == 0) {
            if (strcmp(val, bm_backend_name()) != 0) {
                usage_error("this binary links bitmap backend '%s', not '%s'",
                            bm_backend_name(), val);
            }
        } else if (strcmp(name, "--threads") == 0) {
            uint64_t n = parse_u64(name, val);
            if (n == 0) {
                usage_error("--threads must be at least 1");
            }
            if (n > STRESS_MAX_THREADS) {
                usage_error("--threads at most %u, got %" PRIu64, STRESS_MAX_THREADS, n);
            }
            p.threads = (unsigned)n;
        } else if (strcmp(name, "--seconds") == 0) {
            p.seconds = parse_seconds(val);
            have_secs = true;
        } else if (strcmp(name, "--iterations") == 0) {
            p.iterations = parse_u64(name, val);
            if (p.iterations == 0) {
                usage_error("--iterations must be at least 1");
            }
            have_iters = true;
        } else if (strcmp(name, "--seed") == 0) {
            p.seed = parse_u64(name, val);
            have_seed = true;
        } else if (strcmp(name, "--mix") == 0) {
            if (!ops->mix_kinds) {
                usage_error("--mix: workload %s has a fixed op mix", ops->name);
            }
            mix_spec = val;
        } else if (strcmp(name, "--stop-on") == 0) {
            if (!*val) {
                usage_error("--stop-on wants any, none or a pattern");
            }
            stop_on = val;
        } else {
            usage_error("unknown option '%s'", name);
        }
    }
    if (have_secs && have_iters) {
        usage_error("give --seconds or --iterations, not both");
    }
    if (!have_secs && !have_iters) {
        p.seconds = 2;
    }
    if (ops->nthreads(p.threads) > STRESS_MAX_THREADS) {
        usage_error("--threads %u needs more than %u threads", p.threads, STRESS_MAX_THREADS);
    }
    if (!have_seed) {
        uint64_t s = 0;
        if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s) {
            struct timespec t;
            clock_gettime(CLOCK_REALTIME, &t);
            s = (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 20) ^ (uint64_t)getpid();
        }
        p.seed = s % 1000000000ULL;
    }
    tsan_set_stop(stop_on);
    /* After the loop: the variant decides what "default" means. */
    if (ops->mix_kinds) {
        p.mix = mix_parse(mix_spec, ops, &p);
        mix_format(p.mix, mix_str + 5, sizeof mix_str - 5);
        memcpy(mix_str, " mix=", 5);
    }

    /* The seed first, so that even a run that dies can be replayed. */
    printf("stress %s: seed=%" PRIu64 "\n", ops->name, p.seed);
    fflush(stdout);

    void *state = ops->setup(&p, err, sizeof err);
    if (!state) {
        fprintf(stderr, "%s: setup failed: %s\n", prog, err[0] ? err : "?");
        return 2;
    }

    unsigned n = ops->nthreads(p.threads);
    struct worker_arg *args = calloc(n, sizeof *args);
    pthread_t *tids = calloc(n, sizeof *tids);
    pthread_barrier_t start;
    uint64_t mix = p.seed;

    if (!args || !tids) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    pthread_barrier_init(&start, NULL, n + 1);
    for (unsigned i = 0; i < n; i++) {
        args[i].ops = ops;
        args[i].state = state;
        args[i].start = &start;
        args[i].t.idx = i;
        args[i].t.rng = splitmix64(&mix) | 1;
        args[i].t.budget = p.iterations ? p.iterations : UINT64_MAX;
        if (pthread_create(&tids[i], NULL, worker_main, &args[i]) != 0) {
            fprintf(stderr, "%s: pthread_create failed\n", prog);
            exit(2);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &run.t0);
    run.deadline = p.iterations ? 0 : p.seconds;
    pthread_barrier_wait(&start);

    char budget[64];
    if (p.iterations) {
        snprintf(budget, sizeof budget, "iterations=%" PRIu64, p.iterations);
    } else {
        snprintf(budget, sizeof budget, "seconds=%g", p.seconds);
    }
    /* Watchdog (time budgets only): threads still running GRACE after the
     * deadline are hung (a deadlock or livelock in the SUT); say so in the
     * verdict and leave without waiting for them. */
    unsigned hung = 0;
    const double grace = 10 + p.seconds;
    for (unsigned i = 0; i < n; i++) {
        if (p.iterations) {
            pthread_join(tids[i], NULL);
            continue;
        }
        struct timespec lim;
        clock_gettime(CLOCK_REALTIME, &lim);
        double left = p.seconds + grace - stress_elapsed();
        left = left > 0 ? left : 0;
        lim.tv_sec += (time_t)left;
        lim.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
        if (lim.tv_nsec >= 1000000000L) {
            lim.tv_sec++;
            lim.tv_nsec -= 1000000000L;
        }
        if (pthread_timedjoin_np(tids[i], NULL, &lim) != 0) {
            hung++;
        }
    }
    if (hung) {
        printf("stress %s: variant=%s backend=%s threads=%u %s%s seed=%" PRIu64
               ": FAILURE (hang: %u of %u threads still running %.0fs after the "
               "deadline)\n", ops->name, p.variant_name, bm_backend_name(), p.threads,
               budget, mix_str, p.seed, hung, n, grace);
        fflush(stdout);
        _exit(1);
    }
    double elapsed = stress_elapsed();
    pthread_barrier_destroy(&start);

    uint64_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        total += args[i].t.ops;
    }
    if (!stress_failed()) {
        ops->check(state);
    }
    if (ops->figures) {
        ops->figures(state, figures, sizeof figures);
    }
    printf("stress %s: ops=%" PRIu64 " ops/s=%.0f elapsed=%.3fs%s%s\n", ops->name,
           total, elapsed > 0 ? (double)total / elapsed : 0.0, elapsed,
           figures[0] ? " " : "", figures);

    printf("stress %s: variant=%s backend=%s threads=%u %s%s seed=%" PRIu64 ": ",
           ops->name, p.variant_name, bm_backend_name(), p.threads, budget, mix_str,
           p.seed);

    unsigned long reports = tsan_reports();
    int rc = 0;
    if (!stress_failed() && reports == 0) {
        printf("SUCCESS\n");
    } else {
        printf("FAILURE (");
        if (stress_failed()) {
            printf("%s", run.why);
            rc = 1;
        }
#ifdef STRESS_TSAN
        if (reports) {
            printf("%stsan: %lu report%s, first: %s", stress_failed() ? "; " : "",
                   reports, reports == 1 ? "" : "s", ts.first);
        }
#endif
        printf(")\n");
    }
    fflush(stdout);
    ops->teardown(state);
    free(args);
    free(tids);
    return rc;
}
