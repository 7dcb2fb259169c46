/*
 * test_mutate.c - the structure-aware mutator (harness/mutate.h) on the llsc
 * and bitmap families: for many seeds and inputs (random ones, plus the
 * files named on the command line: corpus seeds and regressions), every
 * output is whole ops within the caps, each kind happens and does what it
 * says, crossover mixes both parents, the same seed gives the same output.
 * Each checker is also shown a wrong pair and must reject it.
 * Usage: test_mutate [--family llsc|bitmap FILE...]...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap_ops.h"
#include "llsc_ops.h"
#include "mutate.h"

#define SEEDS 400
#define MAX_FILES 256

static int failures;

static void check(int ok, const char *fam, const char *what, const char *detail)
{
    if (!ok) {
        failures++;
        printf("FAIL: %s: %s (%s)\n", fam, what, detail);
    }
}

static int op_eq(const struct mu_op *a, const struct mu_op *b)
{
    return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

/* b is a with the ops [at, at + len) removed. */
static int removed(const struct mu_prog *a, const struct mu_prog *b, unsigned at,
                   unsigned len)
{
    if (b->n + len != a->n || at + len > a->n) {
        return 0;
    }
    for (unsigned i = 0; i < b->n; i++) {
        if (!op_eq(&b->op[i], &a->op[i < at ? i : i + len])) {
            return 0;
        }
    }
    return 1;
}

/* b is a minus a run of len ops somewhere; that run's position or -1. */
static int minus_run(const struct mu_prog *a, const struct mu_prog *b, unsigned len)
{
    for (unsigned at = 0; at + len <= a->n; at++) {
        if (removed(a, b, at, len)) {
            return (int)at;
        }
    }
    return -1;
}

static int same_ops(const struct mu_prog *a, const struct mu_prog *b)
{
    return removed(a, b, 0, 0);
}

/* Index of the one op in which a and b (same length) differ; -1 if none or
 * more than one. */
static int one_diff(const struct mu_prog *a, const struct mu_prog *b)
{
    int at = -1;

    if (a->n != b->n) {
        return -1;
    }
    for (unsigned i = 0; i < a->n; i++) {
        if (!op_eq(&a->op[i], &b->op[i])) {
            if (at >= 0) {
                return -1;
            }
            at = (int)i;
        }
    }
    return at;
}

/* ---- family views: decoded ops and caps ---- */

static struct llsc_prog da, db;
static struct hx_bm_prog ba, bb;
static uint8_t buf_a[1 << 16], buf_b[1 << 16];

/* Bytes of p as the family decodes them: whole ops, nothing cut off. */
static int valid_output(const struct mu_family *f, const uint8_t *d, size_t n, size_t max,
                        const char **why)
{
    static struct mu_prog q;
    size_t m;

    *why = "";
    if (n > max || n > f->max_input) {
        *why = "over the size cap";
        return 0;
    }
    mu_parse(f, d, n, &q);
    m = mu_write(f, &q, buf_b, sizeof(buf_b));
    if ((n >= f->hdr_len && m != n) || memcmp(buf_b, d, n) != 0) {
        *why = "not whole ops";
        return 0;
    }
    if (f == &mu_llsc) {
        llsc_decode(d, n, &da);
        if (da.nops > LLSC_MAX_OPS + 1 || q.n > LLSC_MAX_OPS) {
            *why = "over the op cap";
            return 0;
        }
    } else {
        hx_bm_decode(d, n, &ba);
        if (ba.truncated || (n >= 2 && ba.used != n) || ba.nops != q.n ||
            q.n > HX_BM_MAX_OPS) {
            *why = "bitmap decode disagrees";
            return 0;
        }
    }
    return 1;
}

static size_t bytes_of(const struct mu_family *f, const struct mu_prog *p, uint8_t *out)
{
    return mu_write(f, p, out, 1 << 16);
}

static int decoded_differ(const struct mu_family *f, const struct mu_prog *a,
                          const struct mu_prog *b)
{
    size_t na = bytes_of(f, a, buf_a), nb = bytes_of(f, b, buf_b);

    if (f == &mu_llsc) {
        llsc_decode(buf_a, na, &da);
        llsc_decode(buf_b, nb, &db);
        return !llsc_prog_equal(&da, &db);
    }
    hx_bm_decode(buf_a, na, &ba);
    hx_bm_decode(buf_b, nb, &bb);
    if (ba.nbits != bb.nbits || ba.nops != bb.nops) {
        return 1;
    }
    for (size_t i = 0; i < ba.nops; i++) {
        if (ba.ops[i].code != bb.ops[i].code || ba.ops[i].a != bb.ops[i].a ||
            ba.ops[i].b != bb.ops[i].b) {
            return 1;
        }
    }
    return 0;
}

/* llsc: the decoded ops of a and b differ in exactly one, and only in the
 * vCPU (what = 0) or only in the address (what = 1). */
static int llsc_moved(const struct mu_prog *a, const struct mu_prog *b, int what)
{
    int diff = -1;

    llsc_decode(buf_a, bytes_of(&mu_llsc, a, buf_a), &da);
    llsc_decode(buf_b, bytes_of(&mu_llsc, b, buf_b), &db);
    if (da.nops != db.nops) {
        return 0;
    }
    for (unsigned i = 0; i < da.nops; i++) {
        struct llsc_op x = da.ops[i], y = db.ops[i];
        if (memcmp(&x, &y, sizeof(x)) == 0) {
            continue;
        }
        if (diff >= 0) {
            return what == 1; /* an address move may change a later map's page */
        }
        diff = (int)i;
        if (what == 0 ? (x.cpu == y.cpu || x.mmu != y.mmu || x.addr != y.addr)
                      : (x.addr == y.addr && x.val == y.val) || x.cpu != y.cpu) {
            return 0;
        }
        if (what == 0) {
            x.cpu = y.cpu;
            if (memcmp(&x, &y, sizeof(x)) != 0) {
                return 0;
            }
        }
    }
    return diff >= 0;
}

static unsigned addr_at(const struct mu_op *op)
{
    static const uint8_t at[LOP_N] = {
        [LOP_LL] = 2, [LOP_SC] = 2, [LOP_LOAD] = 2, [LOP_STORE] = 2,
        [LOP_TLB_FLUSH_PAGE] = 2, [LOP_PROTECT_CODE] = 1, [LOP_DMA] = 1, [LOP_MAP] = 2,
    };
    return at[op->b[0] % LOP_N];
}

static unsigned group(uint8_t s)
{
    return (s & 15) < 12 ? 0 : (s & 15) - 11u;
}

/* ---- the checks of one kind: b is a after a mutation of kind k ---- */

static int kind_ok(const struct mu_family *f, int k, const struct mu_prog *a,
                   const struct mu_prog *b)
{
    int i;

    if (k != MU_HEADER && memcmp(a->hdr, b->hdr, f->hdr_len) != 0) {
        return 0;
    }
    switch (k) {
    case MU_INSERT:
        return minus_run(b, a, 1) >= 0;
    case MU_DELETE:
        return minus_run(a, b, 1) >= 0;
    case MU_DUPLICATE:
        for (unsigned at = 0; at < b->n; at++) {
            if (removed(b, a, at, 1)) {
                for (unsigned j = 0; j < a->n; j++) {
                    if (op_eq(&a->op[j], &b->op[at])) {
                        return 1;
                    }
                }
            }
        }
        return 0;
    case MU_SWAP: {
        int x = -1, y = -1;
        if (a->n != b->n) {
            return 0;
        }
        for (unsigned j = 0; j < a->n; j++) {
            if (!op_eq(&a->op[j], &b->op[j])) {
                if (x < 0) {
                    x = (int)j;
                } else if (y < 0) {
                    y = (int)j;
                } else {
                    return 0;
                }
            }
        }
        return y >= 0 && op_eq(&a->op[x], &b->op[y]) && op_eq(&a->op[y], &b->op[x]);
    }
    case MU_SPLICE:
        if (b->n <= a->n || b->n - a->n > 4) {
            return 0;
        }
        for (unsigned at = 0; at + (b->n - a->n) <= b->n; at++) {
            unsigned len = b->n - a->n;
            if (!removed(b, a, at, len)) {
                continue;
            }
            for (unsigned s = 0; s + len <= a->n; s++) {
                unsigned m = 0;
                while (m < len && op_eq(&a->op[s + m], &b->op[at + m])) {
                    m++;
                }
                if (m == len) {
                    return 1;
                }
            }
        }
        return 0;
    case MU_ARG:
        i = one_diff(a, b);
        return i >= 0 && a->op[i].b[0] == b->op[i].b[0] && decoded_differ(f, a, b);
    case MU_CPU:
        return f == &mu_llsc && one_diff(a, b) >= 0 && llsc_moved(a, b, 0);
    case MU_CLASS:
        i = one_diff(a, b);
        return f == &mu_llsc && i >= 0 && addr_at(&a->op[i]) &&
               group(a->op[i].b[addr_at(&a->op[i])]) !=
                   group(b->op[i].b[addr_at(&b->op[i])]) &&
               llsc_moved(a, b, 1);
    case MU_SHARE:
        i = one_diff(a, b);
        if (i < 0 || !decoded_differ(f, a, b)) {
            return 0;
        }
        for (unsigned j = 0; j < b->n; j++) {
            if ((int)j == i) {
                continue;
            }
            if (f == &mu_llsc ? addr_at(&b->op[i]) && addr_at(&b->op[j]) &&
                                    memcmp(b->op[i].b + addr_at(&b->op[i]),
                                           b->op[j].b + addr_at(&b->op[j]), 2) == 0
                              : b->op[j].len >= 3 && memcmp(b->op[i].b + 1, b->op[j].b + 1, 2) == 0) {
                return 1;
            }
        }
        return 0;
    case MU_HEADER:
        return same_ops(a, b) && decoded_differ(f, a, b);
    case MU_COLLIDE: {
        /* A store or DMA inserted, or a later op retargeted, onto the
         * address of an LL before it. */
        int w = -1;
        if (f != &mu_llsc) {
            return 0;
        }
        if (b->n == a->n + 1) {
            for (unsigned at = 0; at < b->n && w < 0; at++) {
                unsigned kw = b->op[at].b[0] % LOP_N;
                if (removed(b, a, at, 1) && (kw == LOP_STORE || kw == LOP_DMA)) {
                    w = (int)at;
                }
            }
        } else if (b->n == a->n && decoded_differ(f, a, b)) {
            w = one_diff(a, b);
        }
        for (int l = 0; w >= 0 && l < w; l++) {
            if (b->op[l].b[0] % LOP_N == LOP_LL &&
                memcmp(b->op[l].b + 2, b->op[w].b + addr_at(&b->op[w]), 2) == 0) {
                return 1;
            }
        }
        return 0;
    }
    case MU_REMAP:
        /* Two or three ops more: an access through alias page j, a map of
         * j, then the same vCPU and address again. */
        if (f != &mu_llsc || b->n < a->n + 2 || b->n > a->n + 3) {
            return 0;
        }
        for (unsigned y = 1; y < b->n; y++) {
            if (b->op[y].b[0] % LOP_N != LOP_MAP) {
                continue;
            }
            for (unsigned x = 0; x < y; x++) {
                const uint8_t *bx = b->op[x].b;
                if (bx[0] % LOP_N > LOP_STORE || (bx[2] & 15) != 15 ||
                    ((bx[3] >> 4) & 7) != b->op[y].b[1] % 8) {
                    continue;
                }
                for (unsigned z = y + 1; z < b->n; z++) {
                    const uint8_t *bz = b->op[z].b;
                    if (bz[0] % LOP_N <= LOP_STORE && bz[1] == bx[1] &&
                        memcmp(bz + 2, bx + 2, 2) == 0) {
                        return 1;
                    }
                }
            }
        }
        return 0;
    case MU_CODE:
        /* One protect_code more, of the page of an access after it (RAM),
         * or of a map's page before it (an alias page). */
        if (f != &mu_llsc || b->n != a->n + 1) {
            return 0;
        }
        for (unsigned x = 0; x < b->n; x++) {
            if (b->op[x].b[0] % LOP_N != LOP_PROTECT_CODE || !removed(b, a, x, 1)) {
                continue;
            }
            for (unsigned z = 0; z < b->n; z++) {
                unsigned kz = b->op[z].b[0] % LOP_N;
                if (((z > x && kz <= LOP_STORE) || (z < x && kz == LOP_MAP)) &&
                    memcmp(b->op[z].b + 2, b->op[x].b + 1, 2) == 0) {
                    return 1;
                }
            }
        }
        return 0;
    }
    return 0;
}

/* ---- inputs ---- */

struct input {
    uint8_t *d;
    size_t n;
};

static struct input inputs[2][MAX_FILES + 64];
static unsigned ninputs[2];

static void add_input(int fam, const uint8_t *d, size_t n)
{
    struct input *in;

    if (ninputs[fam] >= sizeof(inputs[0]) / sizeof(inputs[0][0])) {
        return;
    }
    in = &inputs[fam][ninputs[fam]++];
    in->d = malloc(n ? n : 1);
    memcpy(in->d, d, n);
    in->n = n;
}

static void random_inputs(int fam, const struct mu_family *f)
{
    struct mu_rng r = {0x5eed + (unsigned)fam};
    static struct mu_prog p;

    /* Random bytes, and programs built from the family's own new ops. */
    for (int k = 0; k < 24; k++) {
        uint8_t d[600];
        size_t n = mu_below(&r, sizeof(d));
        for (size_t i = 0; i < n; i++) {
            d[i] = (uint8_t)mu_rand(&r);
        }
        add_input(fam, d, n);
    }
    for (int k = 0; k < 24; k++) {
        static uint8_t d[1 << 16];
        unsigned n = k == 0 ? f->max_ops : mu_below(&r, 40);
        memset(&p, 0, sizeof(p));
        for (unsigned h = 0; h < f->hdr_len; h++) {
            p.hdr[h] = (uint8_t)mu_rand(&r);
        }
        for (unsigned i = 0; i < n; i++) {
            f->random_op(&p, &r, &p.op[p.n]);
            p.n++;
        }
        add_input(fam, d, mu_write(f, &p, d, sizeof(d)));
    }
}

static int load_file(int fam, const char *path)
{
    static uint8_t d[1 << 16];
    FILE *fp = fopen(path, "rb");
    size_t n;

    if (!fp) {
        return 0;
    }
    n = fread(d, 1, sizeof(d), fp);
    fclose(fp);
    add_input(fam, d, n);
    return 1;
}

/* ---- the test of one family ---- */

static void test_family(int fam, const struct mu_family *f)
{
    static struct mu_prog a, b, c;
    static uint8_t out[1 << 16], out2[1 << 16];
    unsigned seen[MU_KINDS] = {0}, ok_kind[MU_KINDS] = {0}, tried[MU_KINDS] = {0};
    unsigned outputs = 0, mixed = 0, crosses = 0, same_seed = 0, diff_seed = 0;
    unsigned rejected = 0, controls = 0;
    char detail[160];
    const char *why;

    for (unsigned in = 0; in < ninputs[fam]; in++) {
        const struct input *x = &inputs[fam][in];
        for (unsigned s = 0; s < SEEDS / 4 + (in < 4 ? SEEDS : 0); s++) {
            uint64_t seed = (uint64_t)in * 1000003u + s;
            size_t max = s % 5 == 0 ? 7 + s % 64 : sizeof(out);
            size_t n = x->n < max ? x->n : max, n2;
            int k, k2;

            /* Random kind: a valid output within caps, deterministic. */
            memcpy(out, x->d, n);
            n = mu_mutate(f, out, n, max, seed, -1, &k);
            outputs++;
            if (!valid_output(f, out, n, max, &why)) {
                snprintf(detail, sizeof(detail), "input %u seed %llu max %zu: %s", in,
                         (unsigned long long)seed, max, why);
                check(0, f->name, "output valid", detail);
            }
            if (k >= 0) {
                seen[k]++;
            }
            n2 = x->n < max ? x->n : max;
            memcpy(out2, x->d, n2);
            n2 = mu_mutate(f, out2, n2, max, seed, -1, &k2);
            if (n2 == n && k2 == k && memcmp(out, out2, n) == 0) {
                same_seed++;
            } else {
                snprintf(detail, sizeof(detail), "input %u seed %llu", in,
                         (unsigned long long)seed);
                check(0, f->name, "same seed, same output", detail);
            }
            memcpy(out2, x->d, x->n < max ? x->n : max);
            n2 = mu_mutate(f, out2, x->n < max ? x->n : max, max, seed + 7777, -1, &k2);
            diff_seed += n2 != n || memcmp(out, out2, n) != 0;

            /* Each kind by name, on the parsed program. */
            for (k = 0; k < MU_KINDS; k++) {
                struct mu_rng r = {seed * 31 + (unsigned)k};
                int got;
                mu_parse(f, x->d, x->n, &a);
                memcpy(&b, &a, sizeof(b));
                got = mu_mutate_prog(f, &b, k, &r);
                tried[k]++;
                if (got < 0) {
                    if (memcmp(&a, &b, sizeof(a)) != 0) {
                        check(0, f->name, "a kind that does not apply leaves p", mu_kind_names[k]);
                    }
                    continue;
                }
                if (got != k || !kind_ok(f, k, &a, &b)) {
                    snprintf(detail, sizeof(detail), "%s on input %u seed %llu",
                             mu_kind_names[k], in, (unsigned long long)seed);
                    check(0, f->name, "the mutation does what it says", detail);
                } else {
                    ok_kind[k]++;
                }
                /* Negative control: the checker of another kind rejects it. */
                if (s % 8 == 0 && k != MU_DUPLICATE && k != MU_INSERT && k != MU_SPLICE) {
                    int other = k == MU_DELETE ? MU_INSERT : MU_DELETE;
                    controls++;
                    rejected += !kind_ok(f, other, &a, &b);
                }
            }

            /* Crossover with another input. */
            {
                const struct input *y = &inputs[fam][(in + 1 + s) % ninputs[fam]];
                struct mu_rng r = {seed};
                int from_a = 0, from_b = 0;
                mu_parse(f, x->d, x->n, &a);
                mu_parse(f, y->d, y->n, &b);
                mu_cross_prog(f, &a, &b, &c, &r);
                for (unsigned i = 0; i < c.n; i++) {
                    int in_a = 0, in_b = 0;
                    for (unsigned j = 0; j < a.n && !in_a; j++) {
                        in_a = op_eq(&c.op[i], &a.op[j]);
                    }
                    for (unsigned j = 0; j < b.n && !in_b; j++) {
                        in_b = op_eq(&c.op[i], &b.op[j]);
                    }
                    if (!in_a && !in_b) {
                        check(0, f->name, "crossover ops come from the parents", "");
                    }
                    from_a += in_a && !in_b;
                    from_b += in_b && !in_a;
                }
                if (memcmp(c.hdr, a.hdr, f->hdr_len) != 0 || c.n > f->max_ops) {
                    check(0, f->name, "crossover keeps a's header and the op cap", "");
                }
                crosses++;
                mixed += from_a > 0 && from_b > 0;
                n = mu_crossover(f, x->d, x->n, y->d, y->n, out, max, seed);
                n2 = mu_crossover(f, x->d, x->n, y->d, y->n, out2, max, seed);
                if (!valid_output(f, out, n, max, &why) || n != n2 ||
                    memcmp(out, out2, n) != 0) {
                    check(0, f->name, "crossover output valid and deterministic", why);
                }
            }
        }
    }
    printf("%s: %u inputs, %u outputs, %u crossovers\n", f->name, ninputs[fam], outputs,
           crosses);
    for (int k = 0; k < MU_KINDS; k++) {
        int applies = f == &mu_llsc ||
                      (k != MU_CPU && k != MU_CLASS && k != MU_COLLIDE && k != MU_REMAP &&
                       k != MU_CODE);
        snprintf(detail, sizeof(detail), "%s: %u of %u calls by name applied and checked, %u chosen at random",
                 mu_kind_names[k], ok_kind[k], tried[k], seen[k]);
        if (applies) {
            check(ok_kind[k] * 4 >= tried[k] && seen[k] > 0, f->name,
                  "each kind happens and does what it says", detail);
            if (ok_kind[k] * 4 >= tried[k] && seen[k] > 0) {
                printf("PASS: %s: kind %s\n", f->name, detail);
            }
        } else {
            check(ok_kind[k] == 0 && seen[k] == 0, f->name, "no vCPU or class kind", detail);
        }
    }
    check(same_seed == outputs, f->name, "same seed, same output", "");
    check(diff_seed * 2 > outputs, f->name, "other seeds, other outputs", "");
    check(mixed * 2 > crosses, f->name, "crossover mixes ops of both parents", "");
    check(controls > 0 && rejected == controls, f->name,
          "negative control: a checker rejects another kind's result", "");
    printf("PASS: %s: %u/%u outputs same for same seed, %u differ for another seed; "
           "%u/%u crossovers mix both parents; %u/%u negative controls rejected\n",
           f->name, same_seed, outputs, diff_seed, mixed, crosses, rejected, controls);
}

int main(int argc, char **argv)
{
    int fam = -1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--family") == 0 && i + 1 < argc) {
            fam = strcmp(argv[++i], "bitmap") == 0;
        } else if (fam < 0 || !load_file(fam, argv[i])) {
            fprintf(stderr, "test_mutate: cannot read %s (or no --family before it)\n", argv[i]);
            return 2;
        }
    }
    printf("corpus files: llsc %u, bitmap %u\n", ninputs[0], ninputs[1]);
    random_inputs(0, &mu_llsc);
    random_inputs(1, &mu_bitmap);
    test_family(0, &mu_llsc);
    test_family(1, &mu_bitmap);
    if (failures) {
        printf("FAIL: %d failures\n", failures);
    }
    return failures != 0;
}
