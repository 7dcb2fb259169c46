/*
 * bm_diff - differential check of the linked bitmap backend (sut/bitmap.h)
 * against two references compiled into this binary:
 *   model    a plain bool[] per bit (trivially correct)
 *   builtin  sut/bitmap_builtin.c, renamed ref_* (our reading of spec 2.8)
 * Linked with libbm-qemu.a it checks QEMU's util/bitmap.c + bitops.c.
 *
 * Phases (all deterministic; the seed is printed first):
 *   exhaustive  every (start, nr) range on bitmaps of 1..263 bits around
 *               word boundaries, for each range op, from a seeded pattern;
 *               every (size, offset) pair for find_next_bit and every bit
 *               for test_bit
 *   random      seeded op sequences incl. zero_extend growth and reallocs
 *   edges       boundary calls where a backend may legitimately stop the
 *               process run in a child; each outcome is one line
 *               "EDGE <name>: <outcome>" (ok, exit-N, killed-by-SIGABRT, ...)
 *               that ci/tests/50-qemu.sh compares with ci/qemu-findings.txt:
 *                 new-zero   bm_bitmap_new(0), then bm_bitmap_free
 * Any disagreement prints "MISMATCH [phase] op ...: expected ..., got ..."
 * and exits 1. Usage: bm_diff [--seed N] [--ops N] [--no-edges]
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bitmap.h"

/* The builtin backend, under other names, as the second reference. */
#define bm_backend_name ref_backend_name
#define bm_set_bit_atomic ref_set_bit_atomic
#define bm_bitmap_set_atomic ref_bitmap_set_atomic
#define bm_bitmap_test_and_clear_atomic ref_bitmap_test_and_clear_atomic
#define bm_test_bit ref_test_bit
#define bm_bitmap_set ref_bitmap_set
#define bm_bitmap_clear ref_bitmap_clear
#define bm_find_next_bit ref_find_next_bit
#define bm_bitmap_new ref_bitmap_new
#define bm_bitmap_zero_extend ref_bitmap_zero_extend
#define bm_bitmap_free ref_bitmap_free
#include "../../sut/bitmap_builtin.c"
#undef bm_backend_name
#undef bm_set_bit_atomic
#undef bm_bitmap_set_atomic
#undef bm_bitmap_test_and_clear_atomic
#undef bm_test_bit
#undef bm_bitmap_set
#undef bm_bitmap_clear
#undef bm_find_next_bit
#undef bm_bitmap_new
#undef bm_bitmap_zero_extend
#undef bm_bitmap_free

#define BPL ((long)BM_BITS_PER_LONG)
#define MAX_BITS 8192L

static uint64_t rng_state;
static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static long rnd_below(long n) { return n > 0 ? (long)(rnd() % (uint64_t)n) : 0; }

static long checks;
static const char *phase = "?";

#define MISMATCH(...)                                                          \
    do {                                                                       \
        printf("MISMATCH [%s] ", phase);                                       \
        printf(__VA_ARGS__);                                                   \
        printf("\n");                                                          \
        exit(1);                                                               \
    } while (0)

/* Text form of the set bits of a model range: "0-63,128-191". */
static const char *ranges(const bool *m, long nbits)
{
    static char buf[4096];
    size_t n = 0;
    buf[0] = 0;
    for (long i = 0; i < nbits && n + 48 < sizeof buf;) {
        if (!m[i]) {
            i++;
            continue;
        }
        long j = i;
        while (j + 1 < nbits && m[j + 1]) {
            j++;
        }
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%ld", n ? "," : "", i);
        if (j > i) {
            n += (size_t)snprintf(buf + n, sizeof buf - n, "-%ld", j);
        }
        i = j + 1;
    }
    return buf;
}

static const char *map_ranges(const unsigned long *map, long nbits)
{
    static bool tmp[MAX_BITS];
    for (long i = 0; i < nbits; i++) {
        tmp[i] = (map[i / BPL] >> (i % BPL)) & 1;
    }
    return ranges(tmp, nbits);
}

/* The backend map must equal the model on [0, nbits); with `ref` (the builtin
 * map after the same op from the same words) it must equal it word for word,
 * "don't care" tail bits included: no op may touch bits outside its range. */
static void compare(const char *what, const unsigned long *map,
                    const unsigned long *ref, const bool *model, long nbits)
{
    checks++;
    for (long i = 0; i < nbits; i++) {
        if ((bool)((map[i / BPL] >> (i % BPL)) & 1) != model[i]) {
            char exp[4096];
            snprintf(exp, sizeof exp, "%s", ranges(model, nbits));
            MISMATCH("%s (nbits %ld): bit %ld: expected \"%s\", got \"%s\"", what,
                     nbits, i, exp, map_ranges(map, nbits));
        }
    }
    if (ref) {
        for (long w = 0; w < (long)BM_BITS_TO_LONGS((unsigned long)nbits); w++) {
            if (map[w] != ref[w]) {
                MISMATCH("%s (nbits %ld): word %ld: builtin %#lx, %s %#lx", what,
                         nbits, w, ref[w], bm_backend_name(), map[w]);
            }
        }
    }
}

enum { R_SET, R_CLEAR, R_SET_ATOMIC, R_TEST_AND_CLEAR_ATOMIC, R_N };
static const char *const rname[R_N] = {"bitmap_set", "bitmap_clear",
                                       "bitmap_set_atomic",
                                       "bitmap_test_and_clear_atomic"};

/* One range op on backend map, builtin map and model; compares results. */
static void range_op(int op, unsigned long *map, unsigned long *ref, bool *model,
                     long nbits, long start, long nr)
{
    char what[160];
    snprintf(what, sizeof what, "%s(start %ld, nr %ld)", rname[op], start, nr);
    bool exp_ret = false, got_ret = false, ref_ret = false;
    switch (op) {
    case R_SET:
        bm_bitmap_set(map, start, nr);
        ref_bitmap_set(ref, start, nr);
        break;
    case R_CLEAR:
        bm_bitmap_clear(map, start, nr);
        ref_bitmap_clear(ref, start, nr);
        break;
    case R_SET_ATOMIC:
        bm_bitmap_set_atomic(map, start, nr);
        ref_bitmap_set_atomic(ref, start, nr);
        break;
    case R_TEST_AND_CLEAR_ATOMIC:
        got_ret = bm_bitmap_test_and_clear_atomic(map, start, nr);
        ref_ret = ref_bitmap_test_and_clear_atomic(ref, start, nr);
        break;
    }
    for (long i = start; i < start + nr; i++) {
        if (op == R_TEST_AND_CLEAR_ATOMIC) {
            exp_ret |= model[i];
        }
        model[i] = op == R_SET || op == R_SET_ATOMIC;
    }
    if (op == R_TEST_AND_CLEAR_ATOMIC) {
        checks++;
        if (got_ret != exp_ret) {
            MISMATCH("%s (nbits %ld): returned %d, expected %d", what, nbits,
                     got_ret, exp_ret);
        }
        if (ref_ret != exp_ret) {
            MISMATCH("builtin %s (nbits %ld): returned %d, expected %d", what,
                     nbits, ref_ret, exp_ret);
        }
    }
    compare(what, map, ref, model, nbits);
}

static void check_queries(unsigned long *map, const bool *model, long nbits)
{
    for (long i = 0; i < nbits; i++) {
        checks++;
        if (bm_test_bit(i, map) != model[i]) {
            MISMATCH("test_bit(%ld) (nbits %ld): got %d, expected %d", i, nbits,
                     bm_test_bit(i, map), model[i]);
        }
    }
    for (long size = 0; size <= nbits; size++) {
        long next = size; /* first set bit at or after offset, below size */
        for (long off = size + 1; off >= 0; off--) {
            if (off < size && model[off]) {
                next = off;
            }
            unsigned long exp = off >= size ? (unsigned long)size
                                            : (unsigned long)next;
            unsigned long got = bm_find_next_bit(map, (unsigned long)size,
                                                 (unsigned long)off);
            checks++;
            if (got != exp) {
                MISMATCH("find_next_bit(size %ld, offset %ld) on \"%s\": got %lu, "
                         "expected %lu", size, off, ranges(model, nbits), got, exp);
            }
        }
    }
}

static void fill_pattern(unsigned long *map, unsigned long *ref, bool *model,
                         long nbits, int kind)
{
    long words = (long)BM_BITS_TO_LONGS((unsigned long)nbits);
    for (long w = 0; w < words; w++) {
        unsigned long v = kind == 0 ? 0 : kind == 1 ? ~0UL : (unsigned long)rnd();
        map[w] = ref[w] = v;
    }
    for (long i = 0; i < nbits; i++) {
        model[i] = (map[i / BPL] >> (i % BPL)) & 1;
    }
}

static void exhaustive(void)
{
    static const long sizes[] = {1, 2, 63, 64, 65, 127, 128, 129, 191, 192, 193, 263};
    static bool model[MAX_BITS], base_model[MAX_BITS];
    unsigned long map[8], ref[8], base[8];
    phase = "exhaustive";
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        long nbits = sizes[s];
        for (int kind = 0; kind < 3; kind++) {
            fill_pattern(base, ref, base_model, nbits, kind);
            for (long start = 0; start <= nbits; start++) {
                for (long nr = 0; start + nr <= nbits; nr++) {
                    for (int op = 0; op < R_N; op++) {
                        memcpy(map, base, sizeof map);
                        memcpy(ref, base, sizeof ref);
                        memcpy(model, base_model, (size_t)nbits * sizeof(bool));
                        range_op(op, map, ref, model, nbits, start, nr);
                    }
                }
            }
            memcpy(map, base, sizeof map);
            check_queries(map, base_model, nbits);
            for (long i = 0; i < nbits; i++) {
                memcpy(map, base, sizeof map);
                memcpy(ref, base, sizeof ref);
                memcpy(model, base_model, (size_t)nbits * sizeof(bool));
                bm_set_bit_atomic(i, map);
                ref_set_bit_atomic(i, ref);
                model[i] = true;
                compare("set_bit_atomic", map, ref, model, nbits);
            }
        }
    }
}

/* Random sequences on heap maps from bm_bitmap_new, growing by zero_extend. */
static void random_ops(long nops)
{
    static bool model[MAX_BITS];
    phase = "random";
    long nbits = 1 + rnd_below(600);
    unsigned long *map = bm_bitmap_new(nbits);
    unsigned long *ref = ref_bitmap_new(nbits);
    if (!map || !ref) {
        MISMATCH("bitmap_new(%ld) returned NULL", nbits);
    }
    memset(model, 0, sizeof model);
    compare("bitmap_new", map, NULL, model, nbits);
    for (long n = 0; n < nops; n++) {
        int op = (int)rnd_below(8);
        long start = rnd_below(nbits + 1);
        long nr = rnd_below(nbits - start + 1);
        if (rnd_below(4) == 0 && nbits - start >= BPL) {
            nr = BPL * rnd_below((nbits - start) / BPL + 1); /* whole words */
        }
        if (op < R_N) {
            range_op(op, map, ref, model, nbits, start, nr);
        } else if (op == 4) {
            long i = rnd_below(nbits);
            bm_set_bit_atomic(i, map);
            ref_set_bit_atomic(i, ref);
            model[i] = true;
            compare("set_bit_atomic", map, ref, model, nbits);
        } else if (op == 5 || op == 6) {
            long i = rnd_below(nbits), size = rnd_below(nbits + 1);
            long off = rnd_below(size + 2), exp = off >= size ? size : off;
            while (exp < size && !model[exp]) {
                exp++;
            }
            checks += 2;
            if (bm_test_bit(i, map) != model[i]) {
                MISMATCH("op %ld: test_bit(%ld): got %d, expected %d", n, i,
                         bm_test_bit(i, map), model[i]);
            }
            unsigned long got = bm_find_next_bit(map, (unsigned long)size,
                                                 (unsigned long)off);
            if (got != (unsigned long)exp) {
                MISMATCH("op %ld: find_next_bit(size %ld, offset %ld): got %lu, "
                         "expected %ld", n, size, off, got, exp);
            }
        } else if (nbits < MAX_BITS) {
            long grow = nbits + rnd_below(MAX_BITS - nbits + 1);
            map = bm_bitmap_zero_extend(map, nbits, grow);
            ref = ref_bitmap_zero_extend(ref, nbits, grow);
            if (!map || !ref) {
                MISMATCH("op %ld: zero_extend(%ld -> %ld) returned NULL", n, nbits,
                         grow);
            }
            for (long i = nbits; i < grow; i++) {
                model[i] = false;
            }
            nbits = grow;
            /* Tail bits past nbits are realloc garbage: compare bits only. */
            compare("bitmap_zero_extend", map, NULL, model, nbits);
            compare("builtin bitmap_zero_extend", ref, NULL, model, nbits);
            long last = (long)BM_BITS_TO_LONGS((unsigned long)nbits) - 1;
            ref[last] = map[last];
        }
    }
    bm_bitmap_free(map);
    ref_bitmap_free(ref);
}

/* Runs fn in a child; returns a one-word outcome. */
static const char *in_child(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        return "fork-failed";
    }
    if (pid == 0) {
        signal(SIGABRT, SIG_DFL);
        fn();
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    static char buf[64];
    if (WIFSIGNALED(st)) {
        if (WTERMSIG(st) == SIGABRT) {
            snprintf(buf, sizeof buf, "killed-by-SIGABRT");
        } else {
            snprintf(buf, sizeof buf, "killed-by-signal-%d", WTERMSIG(st));
        }
        return buf;
    }
    if (WEXITSTATUS(st) == 0) {
        return "ok";
    }
    snprintf(buf, sizeof buf, "exit-%d", WEXITSTATUS(st));
    return buf;
}

static void edge_new_zero(void)
{
    /* Zero bits: a valid (maybe empty) allocation the caller can free. */
    unsigned long *m = bm_bitmap_new(0);
    if (!m) {
        _exit(3); /* NULL without aborting */
    }
    bm_bitmap_free(m);
}

static void edges(void)
{
    printf("EDGE new-zero: %s\n", in_child(edge_new_zero));
}

int main(int argc, char **argv)
{
    uint64_t seed = 0;
    long nops = 20000;
    bool seeded = false, do_edges = true;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            errno = 0;
            seed = strtoull(argv[++i], &end, 0);
            seeded = true;
        } else if (!strcmp(argv[i], "--ops") && i + 1 < argc) {
            errno = 0;
            nops = strtol(argv[++i], &end, 0);
        } else if (!strcmp(argv[i], "--no-edges")) {
            do_edges = false;
            continue;
        } else {
            fprintf(stderr, "usage: bm_diff [--seed N] [--ops N] [--no-edges]\n");
            return 2;
        }
        if (errno || !end || *end || nops < 0) {
            fprintf(stderr, "bm_diff: bad number '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!seeded) {
        seed = 1;
    }
    printf("bm_diff: backend %s, seed %" PRIu64 ", ops %ld\n", bm_backend_name(),
           seed, nops);
    rng_state = seed;
    exhaustive();
    for (int round = 0; round < 8; round++) {
        random_ops(nops / 8);
    }
    if (do_edges) {
        edges();
    }
    printf("bm_diff: backend %s agrees with model and builtin: %ld checks, "
           "seed %" PRIu64 "\n", bm_backend_name(), checks, seed);
    return 0;
}
