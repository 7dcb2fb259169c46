/*
 * bm_race - minimal two-thread reproducers for data races in a bitmap
 * backend, for ThreadSanitizer builds. Each scenario runs thread A and
 * thread B on the same word (word 1 of a 3-word map) for --iters rounds; the
 * rounds start together at a pthread barrier. Whether TSan reports a
 * race is the result; this program checks nothing else. ci/tests/50-qemu.sh
 * runs every scenario on the qemu and builtin backends and compares the
 * reports with ci/qemu-findings.txt.
 *
 *   scenario                 thread A                          thread B
 *   set-atomic-vs-set-bit    bitmap_set_atomic(0, 192)         set_bit_atomic(69)
 *   test-clear-vs-set-bit    bitmap_test_and_clear_atomic(0,192) set_bit_atomic(69)
 *   test-bit-vs-set-bit      test_bit(69)                      set_bit_atomic(70)
 *   find-next-vs-set-bit     find_next_bit(192, 0)             set_bit_atomic(70)
 *   atomic-only (control)    bitmap_set_atomic(65, 20) +       set_bit_atomic(70)
 *                            bitmap_test_and_clear_atomic(65,20)
 * Usage: bm_race SCENARIO [--iters N]    |   bm_race --list
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"

#define BPL ((long)BM_BITS_PER_LONG)

static unsigned long *map;
static long iters = 2000;
static pthread_barrier_t round_start;
static volatile unsigned long sink;

static void a_set_atomic(void) { bm_bitmap_set_atomic(map, 0, 3 * BPL); }
static void a_test_clear(void)
{
    sink += bm_bitmap_test_and_clear_atomic(map, 0, 3 * BPL);
}
static void a_test_bit(void) { sink += bm_test_bit(BPL + 5, map); }
static void a_find_next(void) { sink += bm_find_next_bit(map, 3 * BPL, 0); }
static void a_atomic_only(void)
{
    bm_bitmap_set_atomic(map, BPL + 1, 20);
    sink += bm_bitmap_test_and_clear_atomic(map, BPL + 1, 20);
}
static void b_set_bit_69(void) { bm_set_bit_atomic(BPL + 5, map); }
static void b_set_bit_70(void) { bm_set_bit_atomic(BPL + 6, map); }

static const struct scenario {
    const char *name;
    void (*a)(void), (*b)(void);
} scenarios[] = {
    {"set-atomic-vs-set-bit", a_set_atomic, b_set_bit_69},
    {"test-clear-vs-set-bit", a_test_clear, b_set_bit_69},
    {"test-bit-vs-set-bit", a_test_bit, b_set_bit_70},
    {"find-next-vs-set-bit", a_find_next, b_set_bit_70},
    {"atomic-only", a_atomic_only, b_set_bit_70},
};
#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

static void *run(void *arg)
{
    void (*fn)(void) = (void (*)(void))arg;
    for (long i = 0; i < iters; i++) {
        pthread_barrier_wait(&round_start);
        fn();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const struct scenario *sc = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list")) {
            for (size_t k = 0; k < N_SCENARIOS; k++) {
                printf("%s\n", scenarios[k].name);
            }
            return 0;
        } else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
            char *end;
            iters = strtol(argv[++i], &end, 10);
            if (*end || iters <= 0) {
                fprintf(stderr, "bm_race: bad --iters '%s'\n", argv[i]);
                return 2;
            }
        } else if (!sc) {
            for (size_t k = 0; k < N_SCENARIOS; k++) {
                if (!strcmp(argv[i], scenarios[k].name)) {
                    sc = &scenarios[k];
                }
            }
            if (!sc) {
                fprintf(stderr, "bm_race: unknown scenario '%s' (try --list)\n",
                        argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: bm_race SCENARIO [--iters N] | --list\n");
            return 2;
        }
    }
    if (!sc) {
        fprintf(stderr, "usage: bm_race SCENARIO [--iters N] | --list\n");
        return 2;
    }
    printf("bm_race: backend %s, scenario %s, iters %ld\n", bm_backend_name(),
           sc->name, iters);
    fflush(stdout);
    map = bm_bitmap_new(3 * BPL);
    pthread_barrier_init(&round_start, NULL, 2);
    pthread_t ta, tb;
    if (pthread_create(&ta, NULL, run, (void *)sc->a) ||
        pthread_create(&tb, NULL, run, (void *)sc->b)) {
        fprintf(stderr, "bm_race: pthread_create failed\n");
        return 2;
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&round_start);
    bm_bitmap_free(map);
    printf("bm_race: done, scenario %s\n", sc->name);
    return 0;
}
