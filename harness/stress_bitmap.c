/*
 * stress_bitmap.c - workload "bitmap": the atomic bitmap primitives
 * (sut/bitmap.h, spec 2.8) under real threads, read through the views the
 * design reads the exclusive bitmap with.
 *
 * Threads: the first ceil(n/2) are writers, the rest readers.
 *
 * Writers own disjoint bits: writer w owns [w*OWN_BITS, (w+1)*OWN_BITS).
 * OWN_BITS = 96, so neighbouring writers share a word (word 1 holds bits of
 * writer 0 and writer 1) and some words are wholly owned (the plain ~0 stores
 * of bitmap_set_atomic's middle words). Bits past the last owner, at least one
 * whole word, belong to nobody: the guard, which must stay 0. A writer applies
 * bm_set_bit_atomic, bm_bitmap_set_atomic and bm_bitmap_test_and_clear_atomic
 * to random sub-ranges of its own bits (nr = 0 included) and keeps a shadow
 * copy; since nobody else changes its bits, every result is exact:
 * test_and_clear must return "some bit of the range was 1" per the shadow,
 * and a re-read of its own bits (atomic loads) must equal the shadow.
 *
 * Readers read random bits and bytes through the variant's view:
 *   v6, v6-mt, v6-st  the cell byte view, ((const uint8_t *)map)[k], a plain
 *                     one-byte load (cpu_physical_memory_atleast_one_excl and
 *                     cpu_physical_memory_not_excl, spec 2.3), and test_bit
 *                     (a plain word load, spec 2.8). The byte load against
 *                     the writers' atomic word RMW is W1's data race: TSan
 *                     must report it, in stress_view_cell_byte.
 *   v8                test_bit only (cpu_physical_memory_is_excl, spec 2.4):
 *                     also a plain load against atomic RMW, reported in
 *                     bm_test_bit.
 *   fixed, cmpxchg    atomic word loads only (relaxed); a cell is taken from
 *                     the loaded word by shifting. No race may be reported.
 * Every view checks that no guard bit ever reads as 1.
 *
 * Final check (all threads joined): every owned bit equals its owner's shadow
 * and every guard bit is 0.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "stress.h"

#define OWN_BITS 96
#define BPL ((long)BM_BITS_PER_LONG)

enum view { VIEW_V6, VIEW_V8, VIEW_ATOMIC };

struct bm_state {
    enum view view;
    unsigned nwriters, nreaders;
    long owned_bits;          /* nwriters * OWN_BITS; guard from here */
    long nbits;               /* whole map */
    unsigned long *map;
    unsigned char shadow[STRESS_MAX_THREADS][OWN_BITS]; /* writer w's row */
    uint64_t writes, reads;   /* summed after join */
    uint64_t per_thread[STRESS_MAX_THREADS];
};

static unsigned bm_nthreads(unsigned threads) { return threads; }

static void *bm_setup(const struct stress_params *p, char *err, size_t errlen)
{
    struct bm_state *s = calloc(1, sizeof *s);

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    switch (p->variant) {
    case SUT_V6: s->view = VIEW_V6; break;
    case SUT_V8: s->view = VIEW_V8; break;
    default: s->view = VIEW_ATOMIC; break;
    }
    s->nwriters = (p->threads + 1) / 2;
    s->nreaders = p->threads / 2;
    s->owned_bits = (long)s->nwriters * OWN_BITS;
    /* Round up to a word, then one whole guard word more. */
    s->nbits = (s->owned_bits + BPL - 1) / BPL * BPL + BPL;
    s->map = bm_bitmap_new(s->nbits);
    if (!s->map) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return s;
}

/* The views. noinline so that a race report names them. */
__attribute__((noinline)) static unsigned stress_view_cell_byte(const unsigned long *map, long k)
{
    return ((const unsigned char *)map)[k];
}

__attribute__((noinline)) static unsigned long stress_view_atomic_word(const unsigned long *map, long w)
{
    return __atomic_load_n(&map[w], __ATOMIC_RELAXED);
}

static bool atomic_test_bit(const unsigned long *map, long nr)
{
    return (stress_view_atomic_word(map, nr / BPL) >> (nr % BPL)) & 1;
}

/* A byte of the map as the variant's view sees it (cells are 8 bits here;
 * on this little-endian host byte k holds bits [8k, 8k+8)). */
static unsigned view_byte(const struct bm_state *s, long k)
{
    if (s->view == VIEW_V6) {
        return stress_view_cell_byte(s->map, k);
    }
    unsigned long w = stress_view_atomic_word(s->map, k / (BPL / 8));
    return (unsigned)(w >> (8 * (k % (BPL / 8)))) & 0xff;
}

static bool view_bit(const struct bm_state *s, long nr)
{
    if (s->view == VIEW_ATOMIC) {
        return atomic_test_bit(s->map, nr);
    }
    return bm_test_bit(nr, s->map);
}

static void reader(struct bm_state *s, struct stress_thread *t)
{
    const long nbytes = s->nbits / 8;

    while (stress_next(t)) {
        bool byte_op = s->view != VIEW_V8 && stress_below(t, 2) == 0;
        if (byte_op) {
            long k = (long)stress_below(t, (unsigned)nbytes);
            unsigned v = view_byte(s, k);
            /* Bits of byte k at or past owned_bits must be 0. */
            long first = k * 8;
            unsigned guard_mask = 0;
            for (int j = 0; j < 8; j++) {
                if (first + j >= s->owned_bits) {
                    guard_mask |= 1u << j;
                }
            }
            if (v & guard_mask) {
                stress_fail(t, "reader: byte %ld reads 0x%02x: guard bits (>= %ld) set",
                            k, v, s->owned_bits);
                return;
            }
        } else {
            long nr = (long)stress_below(t, (unsigned)s->nbits);
            if (view_bit(s, nr) && nr >= s->owned_bits) {
                stress_fail(t, "reader: guard bit %ld reads 1", nr);
                return;
            }
        }
    }
}

static bool shadow_any(const unsigned char *row, long off, long nr)
{
    for (long i = 0; i < nr; i++) {
        if (row[off + i]) {
            return true;
        }
    }
    return false;
}

static void writer(struct bm_state *s, struct stress_thread *t, unsigned w)
{
    unsigned char *row = s->shadow[w];
    const long base = (long)w * OWN_BITS;

    while (stress_next(t)) {
        unsigned op = stress_below(t, 100);
        long off = (long)stress_below(t, OWN_BITS);
        long nr = stress_below(t, 100) < 3 ? 0 : 1 + (long)stress_below(t, (unsigned)(OWN_BITS - off));

        if (op < 30) {
            bm_set_bit_atomic(base + off, s->map);
            row[off] = 1;
        } else if (op < 55) {
            bm_bitmap_set_atomic(s->map, base + off, nr);
            memset(row + off, 1, (size_t)nr);
        } else if (op < 90) {
            if (op >= 80) {
                nr = 1;
            }
            bool want = shadow_any(row, off, nr);
            bool got = bm_bitmap_test_and_clear_atomic(s->map, base + off, nr);
            if (got != want) {
                stress_fail(t, "writer %u: bitmap_test_and_clear_atomic(start=%ld, nr=%ld) "
                            "returned %d, own bits say %d", w, base + off, nr, got, want);
                return;
            }
            memset(row + off, 0, (size_t)nr);
        } else {
            for (long i = 0; i < OWN_BITS; i++) {
                if (atomic_test_bit(s->map, base + i) != row[i]) {
                    stress_fail(t, "writer %u: own bit %ld reads %d, expected %d",
                                w, base + i, !row[i], row[i]);
                    return;
                }
            }
        }
    }
}

static void bm_worker(void *state, struct stress_thread *t)
{
    struct bm_state *s = state;

    if (t->idx < s->nwriters) {
        writer(s, t, t->idx);
    } else {
        reader(s, t);
    }
    s->per_thread[t->idx] = t->ops;
}

static void bm_check(void *state)
{
    struct bm_state *s = state;

    for (long nr = 0; nr < s->nbits; nr++) {
        bool got = bm_test_bit(nr, s->map);
        bool want = nr < s->owned_bits && s->shadow[nr / OWN_BITS][nr % OWN_BITS];
        if (got != want) {
            stress_fail(NULL, "final: bit %ld (%s) is %d, expected %d", nr,
                        nr < s->owned_bits ? "owned" : "guard", got, want);
            return;
        }
    }
}

static void bm_figures(void *state, char *buf, size_t len)
{
    struct bm_state *s = state;
    uint64_t wr = 0, rd = 0;

    for (unsigned i = 0; i < s->nwriters + s->nreaders; i++) {
        if (i < s->nwriters) {
            wr += s->per_thread[i];
        } else {
            rd += s->per_thread[i];
        }
    }
    snprintf(buf, len, "writers=%u readers=%u writer_ops=%" PRIu64 " reader_ops=%" PRIu64
             " view=%s", s->nwriters, s->nreaders, wr, rd,
             s->view == VIEW_V6 ? "cell-byte+test_bit" :
             s->view == VIEW_V8 ? "test_bit" : "atomic-load");
}

static void bm_teardown(void *state)
{
    struct bm_state *s = state;

    bm_bitmap_free(s->map);
    free(s);
}

const struct stress_ops stress_bitmap_ops = {
    .name = "bitmap",
    .what = "atomic bitmap primitives on shared words, disjoint bit ownership, "
            "read through the variant's views (v6 cell byte + test_bit, v8 test_bit, "
            "fixed/cmpxchg atomic loads)",
    .default_threads = 4,
    .nthreads = bm_nthreads,
    .setup = bm_setup,
    .worker = bm_worker,
    .check = bm_check,
    .figures = bm_figures,
    .teardown = bm_teardown,
};
