/*
 * mutate_bitmap.c - the bitmap family's half of the structure-aware mutator
 * (mutate.h) on the byte grammar of bitmap_ops.h: new ops, one argument set
 * to a boundary of the current size (0, 1, n - 1, n, word edges), an op
 * taking another op's range, a new initial size. The bitmap has no vCPUs
 * or address classes: MU_CPU and MU_CLASS do not apply. Changes are
 * checked with hx_bm_decode.
 */
#include <string.h>

#include "bitmap_ops.h"
#include "mutate.h"

_Static_assert(HX_BM_MAX_OPS <= MU_MAX_OPS, "op cap");

static struct hx_bm_prog dec_before, dec_after;
static uint8_t enc_buf[2 + HX_BM_MAX_OPS * MU_MAX_OPLEN];

static unsigned bm_op_len(uint8_t opcode)
{
    return 1u + 2u * (unsigned)hx_bm_op_nargs((enum hx_bm_opcode)(opcode % HX_BM_OP_COUNT));
}

static void decode_first(const struct mu_prog *p, unsigned n, struct hx_bm_prog *d)
{
    size_t len = 2;

    memcpy(enc_buf, p->hdr, 2);
    for (unsigned i = 0; i < n && i < p->n; i++) {
        memcpy(enc_buf + len, p->op[i].b, p->op[i].len);
        len += p->op[i].len;
    }
    hx_bm_decode(enc_buf, len, d);
}

static bool same(const struct hx_bm_prog *a, const struct hx_bm_prog *b)
{
    if (a->nbits != b->nbits || a->nops != b->nops) {
        return false;
    }
    for (size_t i = 0; i < a->nops; i++) {
        if (a->ops[i].code != b->ops[i].code || a->ops[i].a != b->ops[i].a ||
            a->ops[i].b != b->ops[i].b) {
            return false;
        }
    }
    return true;
}

/* The bitmap's size before op i: decoding stores it only in the ops that
 * change it (zero_extend, bitmap_new: their first argument). */
static long size_before(const struct mu_prog *p, unsigned i)
{
    long n;

    decode_first(p, i, &dec_after);
    n = dec_after.nbits;
    for (size_t k = 0; k < dec_after.nops; k++) {
        if (dec_after.ops[k].code == HX_BM_OP_BITMAP_ZERO_EXTEND ||
            dec_after.ops[k].code == HX_BM_OP_BITMAP_NEW) {
            n = dec_after.ops[k].a;
        }
    }
    return n;
}

/* A raw argument: mostly a boundary of size n, which the decoder's
 * reductions (raw % range) keep when it is in range. */
static unsigned interesting(long n, struct mu_rng *r)
{
    const long c[] = {0, 1, 2, n - 1, n, n + 1, 63, 64, 65, 127, 128, n / 2};

    switch (mu_below(r, 4)) {
    case 0:
        return (unsigned)mu_below(r, 65536);
    case 1:
        return (unsigned)mu_below(r, (unsigned)n + 1);
    default: {
        long v = c[mu_below(r, sizeof(c) / sizeof(c[0]))];
        return v < 0 ? 0 : (unsigned)v;
    }
    }
}

static void put16(uint8_t *b, unsigned v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static void bm_random_op(const struct mu_prog *p, struct mu_rng *r, struct mu_op *out)
{
    /* Growth and reallocation less often: they reset what came before. */
    unsigned code = mu_below(r, 8) ? mu_below(r, HX_BM_OP_BITMAP_ZERO_EXTEND)
                                   : HX_BM_OP_BITMAP_ZERO_EXTEND + mu_below(r, 2);
    long n = size_before(p, p->n);

    memset(out, 0, sizeof(*out));
    out->b[0] = (uint8_t)code;
    out->len = (uint8_t)bm_op_len(out->b[0]);
    for (int a = 0; a < hx_bm_op_nargs((enum hx_bm_opcode)code); a++) {
        put16(out->b + 1 + 2 * a, interesting(n, r));
    }
}

static bool try_op(enum mu_kind k, struct mu_prog *p, unsigned i, struct mu_rng *r)
{
    struct mu_op *op = &p->op[i];

    switch (k) {
    case MU_ARG: {
        unsigned na = (op->len - 1u) / 2;
        if (na == 0) {
            return false;
        }
        put16(op->b + 1 + 2 * mu_below(r, na), interesting(size_before(p, i), r));
        return true;
    }
    case MU_SHARE: {
        unsigned j = mu_below(r, p->n);
        if (j == i || op->len < 3 || p->op[j].len < 3) {
            return false;
        }
        /* The same start (or bit) and, where both have one, length. */
        memcpy(op->b + 1, p->op[j].b + 1, (op->len < p->op[j].len ? op->len : p->op[j].len) - 1u);
        return true;
    }
    default:
        return false;
    }
}

/* Does p decode to another program than dec_before? */
static bool bm_differs(const struct mu_prog *p)
{
    decode_first(p, p->n, &dec_after);
    return !same(&dec_before, &dec_after);
}

static bool bm_mutate(enum mu_kind k, struct mu_prog *p, struct mu_rng *r)
{
    if (k == MU_CPU || k == MU_CLASS || k == MU_COLLIDE || k == MU_REMAP || k == MU_CODE) {
        return false;
    }
    if (k == MU_HEADER) {
        decode_first(p, 0, &dec_before);
        for (int t = 0; t < 8; t++) {
            put16(p->hdr, interesting(dec_before.nbits, r));
            decode_first(p, 0, &dec_after);
            if (dec_after.nbits != dec_before.nbits) {
                return true;
            }
        }
        return false;
    }
    if (p->n == 0) {
        return false;
    }
    decode_first(p, p->n, &dec_before);
    return mu_try_ops(p, k, r, try_op, bm_differs);
}

const struct mu_family mu_bitmap = {
    .name = "bitmap",
    .hdr_len = 2,
    .max_ops = HX_BM_MAX_OPS,
    .max_input = (size_t)-1,
    .op_len = bm_op_len,
    .random_op = bm_random_op,
    .mutate = bm_mutate,
};
