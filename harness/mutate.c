/*
 * mutate.c - the family-independent half of the structure-aware mutator
 * (mutate.h): ops as units (insert, delete, duplicate, swap, splice,
 * crossover), bytes <-> ops, and the seeded generator. Argument, vCPU,
 * class, share and header mutations are the family's (mutate_llsc.c,
 * mutate_bitmap.c).
 */
#include <string.h>

#include "mutate.h"

const char *const mu_kind_names[MU_KINDS] = {
    [MU_INSERT] = "insert", [MU_DELETE] = "delete", [MU_DUPLICATE] = "duplicate",
    [MU_SWAP] = "swap",     [MU_SPLICE] = "splice", [MU_ARG] = "arg",
    [MU_CPU] = "cpu",       [MU_CLASS] = "class",   [MU_SHARE] = "share",
    [MU_HEADER] = "header", [MU_COLLIDE] = "collide", [MU_REMAP] = "remap",
    [MU_CODE] = "code",
};

/* splitmix64: any seed, including 0, gives a full-period stream. */
uint64_t mu_rand(struct mu_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

unsigned mu_below(struct mu_rng *r, unsigned n)
{
    return n ? (unsigned)(mu_rand(r) % n) : 0;
}

void mu_parse(const struct mu_family *f, const uint8_t *data, size_t size,
              struct mu_prog *p)
{
    size_t at = f->hdr_len;

    if (size > f->max_input) {
        size = f->max_input;
    }
    memset(p->hdr, 0, sizeof(p->hdr));
    memcpy(p->hdr, data, size < f->hdr_len ? size : f->hdr_len);
    p->n = 0;
    while (at < size && p->n < f->max_ops) {
        unsigned len = f->op_len(data[at]);
        if (size - at < len) {
            break;
        }
        p->op[p->n].len = (uint8_t)len;
        memset(p->op[p->n].b, 0, MU_MAX_OPLEN);
        memcpy(p->op[p->n].b, data + at, len);
        p->n++;
        at += len;
    }
}

size_t mu_write(const struct mu_family *f, const struct mu_prog *p, uint8_t *out,
                size_t max)
{
    size_t len;

    if (max > f->max_input) {
        max = f->max_input;
    }
    len = f->hdr_len < max ? f->hdr_len : max;
    memcpy(out, p->hdr, len);
    for (unsigned i = 0; i < p->n && i < f->max_ops; i++) {
        if (max - len < p->op[i].len) {
            break;
        }
        memcpy(out + len, p->op[i].b, p->op[i].len);
        len += p->op[i].len;
    }
    return len;
}

void mu_insert(struct mu_prog *p, unsigned at, const struct mu_op *op)
{
    memmove(&p->op[at + 1], &p->op[at], (p->n - at) * sizeof(p->op[0]));
    p->op[at] = *op;
    p->n++;
}

/* Ops as units; false if the kind cannot apply to p. */
static bool generic(const struct mu_family *f, enum mu_kind k, struct mu_prog *p,
                    struct mu_rng *r)
{
    unsigned i, j;

    switch (k) {
    case MU_INSERT: {
        struct mu_op op;
        if (p->n >= f->max_ops) {
            return false;
        }
        f->random_op(p, r, &op);
        mu_insert(p, mu_below(r, p->n + 1), &op);
        return true;
    }
    case MU_DELETE:
        if (p->n == 0) {
            return false;
        }
        i = mu_below(r, p->n);
        memmove(&p->op[i], &p->op[i + 1], (p->n - i - 1) * sizeof(p->op[0]));
        p->n--;
        return true;
    case MU_DUPLICATE: {
        struct mu_op op;
        if (p->n == 0 || p->n >= f->max_ops) {
            return false;
        }
        op = p->op[mu_below(r, p->n)];
        mu_insert(p, mu_below(r, p->n + 1), &op);
        return true;
    }
    case MU_SWAP: {
        struct mu_op t;
        if (p->n < 2) {
            return false;
        }
        i = mu_below(r, p->n);
        j = (i + 1 + mu_below(r, p->n - 1)) % p->n;
        if (memcmp(&p->op[i], &p->op[j], sizeof(t)) == 0) {
            return false;
        }
        t = p->op[i];
        p->op[i] = p->op[j];
        p->op[j] = t;
        return true;
    }
    case MU_SPLICE: {
        /* A run of up to 4 ops copied elsewhere: a short scenario repeated
         * (a reservation, then the stores that race it) keeps its order. */
        struct mu_op run[4];
        unsigned len, at;
        if (p->n == 0 || p->n >= f->max_ops) {
            return false;
        }
        len = 1 + mu_below(r, p->n < 4 ? p->n : 4);
        if (len > f->max_ops - p->n) {
            len = f->max_ops - p->n;
        }
        i = mu_below(r, p->n - len + 1);
        memcpy(run, &p->op[i], len * sizeof(run[0]));
        at = mu_below(r, p->n + 1);
        memmove(&p->op[at + len], &p->op[at], (p->n - at) * sizeof(p->op[0]));
        memcpy(&p->op[at], run, len * sizeof(run[0]));
        p->n += len;
        return true;
    }
    default:
        return false;
    }
}

bool mu_try_ops(struct mu_prog *p, enum mu_kind k, struct mu_rng *r,
                bool (*try_op)(enum mu_kind k, struct mu_prog *p, unsigned i, struct mu_rng *r),
                bool (*differs)(const struct mu_prog *p))
{
    static struct mu_prog orig;

    memcpy(&orig, p, sizeof(orig));
    for (int t = 0; t < 8; t++) {
        if (!try_op(k, p, mu_below(r, p->n), r)) {
            continue;
        }
        if (differs(p)) {
            return true;
        }
        memcpy(p, &orig, sizeof(orig));
    }
    return false;
}

int mu_mutate_prog(const struct mu_family *f, struct mu_prog *p, int kind,
                   struct mu_rng *r)
{
    /* Weights: argument-level changes most, then whole-op edits; deletes
     * about as often as the kinds that add ops (insert, duplicate, splice:
     * 2.5 ops on average), so that inputs do not grow without bound: a
     * longer input costs every later execution. */
    static const unsigned weight[MU_KINDS] = {
        [MU_INSERT] = 3, [MU_DELETE] = 6, [MU_DUPLICATE] = 2, [MU_SWAP] = 2,
        [MU_SPLICE] = 1, [MU_ARG] = 6,    [MU_CPU] = 3,       [MU_CLASS] = 2,
        [MU_SHARE] = 3,  [MU_HEADER] = 3, [MU_COLLIDE] = 3, [MU_REMAP] = 2,
        [MU_CODE] = 2,
    };
    unsigned total = 0;

    for (int k = 0; k < MU_KINDS; k++) {
        total += weight[k];
    }
    for (int tries = 0; tries < 16; tries++) {
        int k = kind;
        struct mu_prog save;
        bool ok;
        if (k < 0) {
            unsigned x = mu_below(r, total);
            for (k = 0; x >= weight[k]; k++) {
                x -= weight[k];
            }
        }
        if (k <= MU_SPLICE) {
            ok = generic(f, (enum mu_kind)k, p, r);
        } else {
            memcpy(&save, p, sizeof(save));
            ok = f->mutate((enum mu_kind)k, p, r);
            if (!ok) {
                memcpy(p, &save, sizeof(save));
            }
        }
        if (ok) {
            return k;
        }
        if (kind >= 0 && tries >= 3) {
            break;
        }
    }
    return -1;
}

void mu_cross_prog(const struct mu_family *f, const struct mu_prog *a,
                   const struct mu_prog *b, struct mu_prog *out, struct mu_rng *r)
{
    unsigned cap = f->max_ops;

    memcpy(out->hdr, a->hdr, sizeof(out->hdr));
    out->n = 0;
    if (mu_below(r, 2) == 0) {
        /* One point: a's ops before the cut, b's from its cut on. */
        unsigned ca = a->n ? 1 + mu_below(r, a->n) : 0;
        unsigned cb = b->n ? mu_below(r, b->n) : 0;
        for (unsigned i = 0; i < ca && out->n < cap; i++) {
            out->op[out->n++] = a->op[i];
        }
        for (unsigned i = cb; i < b->n && out->n < cap; i++) {
            out->op[out->n++] = b->op[i];
        }
    } else {
        /* Interleave: position by position, a run of 1-4 ops from either
         * parent, so the child is as long as the longer parent. */
        unsigned at = 0, end = a->n > b->n ? a->n : b->n;
        while (at < end && out->n < cap) {
            unsigned run = 1 + mu_below(r, 4);
            bool from_a = at >= b->n || (at < a->n && mu_below(r, 2) == 0);
            const struct mu_prog *s = from_a ? a : b;
            for (; run && at < s->n && out->n < cap; run--) {
                out->op[out->n++] = s->op[at++];
            }
        }
    }
}

size_t mu_mutate(const struct mu_family *f, uint8_t *data, size_t size, size_t max,
                 uint64_t seed, int kind, int *applied)
{
    static struct mu_prog p;
    struct mu_rng r = {seed};
    int k;

    mu_parse(f, data, size, &p);
    k = mu_mutate_prog(f, &p, kind, &r);
    /* Stack a few when chosen at random, as byte mutators do. */
    if (kind < 0 && k >= 0) {
        for (unsigned extra = mu_below(&r, 4) == 0 ? 1 + mu_below(&r, 3) : 0; extra; extra--) {
            (void)mu_mutate_prog(f, &p, -1, &r);
        }
    }
    if (applied) {
        *applied = k;
    }
    return mu_write(f, &p, data, max);
}

size_t mu_crossover(const struct mu_family *f, const uint8_t *a, size_t na,
                    const uint8_t *b, size_t nb, uint8_t *out, size_t max,
                    uint64_t seed)
{
    static struct mu_prog pa, pb, po;
    struct mu_rng r = {seed};

    mu_parse(f, a, na, &pa);
    mu_parse(f, b, nb, &pb);
    mu_cross_prog(f, &pa, &pb, &po, &r);
    return mu_write(f, &po, out, max);
}
