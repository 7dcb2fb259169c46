/*
 * mutate_llsc.c - the llsc family's half of the structure-aware mutator
 * (mutate.h): new ops, one argument, vCPU, address class, shared address
 * and header, on the byte grammar of llsc_ops.h. Changes that are to alter
 * meaning are checked with llsc_decode (the program before and after), so
 * the mutator needs no second copy of the layout model.
 */
#include <string.h>

#include "llsc_ops.h"
#include "mutate.h"

_Static_assert(LLSC_MAX_OPS <= MU_MAX_OPS, "op cap");
_Static_assert(LLSC_HDR_LEN <= MU_MAX_HDR, "header");

enum fld { F_NONE, F_CPU, F_ADDR, F_SIZE, F_VAL, F_BYTE };

/* Argument fields of each op and their offsets after the opcode. */
static const struct {
    uint8_t n;
    uint8_t f[4], off[4];
} fields[LOP_N] = {
    [LOP_LL] = {3, {F_CPU, F_ADDR, F_SIZE}, {0, 1, 3}},
    [LOP_LOAD] = {3, {F_CPU, F_ADDR, F_SIZE}, {0, 1, 3}},
    [LOP_SC] = {4, {F_CPU, F_ADDR, F_SIZE, F_VAL}, {0, 1, 3, 4}},
    [LOP_STORE] = {4, {F_CPU, F_ADDR, F_SIZE, F_VAL}, {0, 1, 3, 4}},
    [LOP_CLREX] = {1, {F_CPU}, {0}},
    [LOP_RUN_WORK] = {1, {F_CPU}, {0}},
    [LOP_TLB_FLUSH] = {1, {F_CPU}, {0}},
    [LOP_TLB_FLUSH_PAGE] = {2, {F_CPU, F_ADDR}, {0, 1}},
    [LOP_PROTECT_CODE] = {1, {F_ADDR}, {0}},
    [LOP_DMA] = {3, {F_ADDR, F_SIZE, F_VAL}, {0, 2, 3}},
    [LOP_RAM_ADD] = {2, {F_BYTE, F_BYTE}, {0, 1}},
    [LOP_RESIZE] = {2, {F_BYTE, F_BYTE}, {0, 1}},
    [LOP_REMOVE] = {1, {F_BYTE}, {0}},
    [LOP_MAP] = {2, {F_BYTE, F_ADDR}, {0, 1}},
    [LOP_CPU_PLUG] = {0, {F_NONE}, {0}},
};

/* How often a new op is of each kind: the accesses that make LL/SC
 * scenarios most, the layout and TLB ops that disturb them less. */
static const uint8_t new_weight[LOP_N] = {
    [LOP_LL] = 20,         [LOP_SC] = 20,        [LOP_LOAD] = 8,
    [LOP_STORE] = 20,      [LOP_CLREX] = 4,      [LOP_RUN_WORK] = 3,
    [LOP_TLB_FLUSH] = 4,   [LOP_TLB_FLUSH_PAGE] = 5, [LOP_PROTECT_CODE] = 3,
    [LOP_DMA] = 4,         [LOP_RAM_ADD] = 3,    [LOP_RESIZE] = 2,
    [LOP_REMOVE] = 2,      [LOP_MAP] = 3,        [LOP_CPU_PLUG] = 2,
};

static struct llsc_prog dec_before, dec_after;
static uint8_t enc_buf[LLSC_MAX_INPUT];

static unsigned llsc_op_len(uint8_t opcode)
{
    return 1u + llsc_op_arglen[opcode % LOP_N];
}

static unsigned kind_of(const struct mu_op *op)
{
    return op->b[0] % LOP_N;
}

/* Decode the header and the first n ops of p. */
static void decode_first(const struct mu_prog *p, unsigned n, struct llsc_prog *d)
{
    size_t len = LLSC_HDR_LEN;

    memcpy(enc_buf, p->hdr, LLSC_HDR_LEN);
    for (unsigned i = 0; i < n && i < p->n; i++) {
        if (sizeof(enc_buf) - len < p->op[i].len) {
            break;
        }
        memcpy(enc_buf + len, p->op[i].b, p->op[i].len);
        len += p->op[i].len;
    }
    llsc_decode(enc_buf, len, d);
}

/* Offset in op->b of the first field of type t, or 0 if it has none. */
static unsigned field_at(const struct mu_op *op, enum fld t)
{
    unsigned k = kind_of(op);

    for (unsigned i = 0; i < fields[k].n; i++) {
        if (fields[k].f[i] == t) {
            return 1u + fields[k].off[i];
        }
    }
    return 0;
}

/* A random op index whose op has a field of type t; -1 if none. */
static int pick_with(const struct mu_prog *p, enum fld t, struct mu_rng *r)
{
    unsigned start = mu_below(r, p->n);

    for (unsigned k = 0; k < p->n; k++) {
        unsigned i = (start + k) % p->n;
        if (field_at(&p->op[i], t)) {
            return (int)i;
        }
    }
    return -1;
}

static void random_addr(const struct mu_prog *p, struct mu_rng *r, uint8_t *a)
{
    int j = p->n ? pick_with(p, F_ADDR, r) : -1;

    /* Half the time another op's address: LL/SC bugs need two ops on the
     * same location. */
    if (j >= 0 && mu_below(r, 2) == 0) {
        memcpy(a, p->op[j].b + field_at(&p->op[j], F_ADDR), 2);
        return;
    }
    a[0] = (uint8_t)((mu_below(r, 4) == 0 ? mu_below(r, 16) : mu_below(r, 2)) << 4);
    a[0] |= (uint8_t)(mu_below(r, 4) ? 0 : 12 + mu_below(r, 4));
    a[1] = (uint8_t)mu_rand(r);
}

static uint8_t random_val(struct mu_rng *r)
{
    switch (mu_below(r, 3)) {
    case 0:
        return (uint8_t)mu_below(r, 4);
    case 1:
        return (uint8_t)(0x80 | mu_below(r, LLSC_POOL_SIZE));
    default:
        return (uint8_t)mu_rand(r);
    }
}

static void random_field(const struct mu_prog *p, enum fld t, struct mu_rng *r,
                         uint8_t *b)
{
    switch (t) {
    case F_CPU:
        b[0] = (uint8_t)(mu_below(r, 4) ? mu_below(r, 4) : mu_rand(r));
        break;
    case F_ADDR:
        random_addr(p, r, b);
        break;
    case F_SIZE:
        b[0] = (uint8_t)(mu_below(r, 2) ? mu_below(r, 2) : mu_below(r, 8));
        break;
    case F_VAL:
        b[0] = random_val(r);
        break;
    default:
        b[0] = (uint8_t)mu_rand(r);
        break;
    }
}

static void llsc_random_op(const struct mu_prog *p, struct mu_rng *r, struct mu_op *out)
{
    unsigned total = 0, x, k;

    for (k = 0; k < LOP_N; k++) {
        total += new_weight[k];
    }
    x = mu_below(r, total);
    for (k = 0; x >= new_weight[k]; k++) {
        x -= new_weight[k];
    }
    memset(out, 0, sizeof(*out));
    out->b[0] = (uint8_t)k;
    out->len = (uint8_t)llsc_op_len(out->b[0]);
    for (unsigned i = 0; i < fields[k].n; i++) {
        random_field(p, (enum fld)fields[k].f[i], r, out->b + 1 + fields[k].off[i]);
    }
}

/* A random op index of kind k (ll..store when k is LOP_N: any access); -1
 * if p has none. */
static int pick_kind(const struct mu_prog *p, unsigned k, struct mu_rng *r)
{
    unsigned start = mu_below(r, p->n);

    for (unsigned n = 0; n < p->n; n++) {
        unsigned i = (start + n) % p->n, ki = kind_of(&p->op[i]);
        if (k == LOP_N ? ki <= LOP_STORE : ki == k) {
            return (int)i;
        }
    }
    return -1;
}

/* The c byte of the next vCPU (modulo those present, llsc_ops.h), in the
 * same MMU mode: c + 1 within the vCPU bits. */
static uint8_t next_cpu(uint8_t c)
{
    return (uint8_t)((c & ~31u) | ((c + 1u) & 31u));
}

static unsigned upto(struct mu_rng *r, unsigned n, unsigned cap)
{
    return mu_below(r, n < cap ? n : cap);
}

/* MU_COLLIDE: a write onto an LL's bytes after it, by another vCPU or by
 * DMA; inserted, or a later op retargeted. */
static bool collide(struct mu_prog *p, struct mu_rng *r)
{
    int l = pick_kind(p, LOP_LL, r);
    struct mu_op w;
    unsigned la, start, n;

    if (l < 0) {
        return false;
    }
    la = field_at(&p->op[l], F_ADDR); /* c A z: the size byte follows A */
    if (mu_below(r, 2) == 0 && p->n < LLSC_MAX_OPS) {
        const struct mu_op *ll = &p->op[l];
        memset(&w, 0, sizeof(w));
        if (mu_below(r, 4) == 0) {
            w.b[0] = LOP_DMA; /* A z v */
            memcpy(w.b + 1, ll->b + la, 3);
            w.b[4] = random_val(r);
        } else {
            w.b[0] = LOP_STORE; /* c A z v */
            w.b[1] = next_cpu(ll->b[field_at(ll, F_CPU)]);
            memcpy(w.b + 2, ll->b + la, 3);
            w.b[5] = random_val(r);
        }
        w.len = (uint8_t)llsc_op_len(w.b[0]);
        mu_insert(p, (unsigned)l + 1 + upto(r, p->n - (unsigned)l, 3), &w);
        return true;
    }
    n = p->n - (unsigned)l - 1;
    start = mu_below(r, n);
    for (unsigned t = 0; t < n; t++) {
        unsigned j = (unsigned)l + 1 + (start + t) % n, kj = kind_of(&p->op[j]), aj, cj;
        if (kj != LOP_STORE && kj != LOP_SC && kj != LOP_DMA && kj != LOP_LL) {
            continue;
        }
        aj = field_at(&p->op[j], F_ADDR);
        memcpy(p->op[j].b + aj, p->op[l].b + la, mu_below(r, 2) ? 3 : 2);
        cj = field_at(&p->op[j], F_CPU);
        if (cj && p->op[j].b[cj] == p->op[l].b[field_at(&p->op[l], F_CPU)]) {
            p->op[j].b[cj] = next_cpu(p->op[j].b[cj]);
        }
        return true;
    }
    return false;
}

/* MU_REMAP: an access through alias page j (a RAM access first moved
 * there: j mapped onto its page before it), then j mapped onto another RAM
 * page, then the access again (a load or LL half the time as a store). */
static bool remap(struct mu_prog *p, struct mu_rng *r)
{
    int i = pick_kind(p, LOP_N, r);
    struct mu_op m, again;
    unsigned at, j, pos;

    if (i < 0 || p->n + 3 > LLSC_MAX_OPS) {
        return false;
    }
    at = field_at(&p->op[i], F_ADDR);
    memset(&m, 0, sizeof(m));
    m.b[0] = LOP_MAP; /* j A */
    m.len = (uint8_t)llsc_op_len(LOP_MAP);
    if ((p->op[i].b[at] & 15) != 15) {
        if ((p->op[i].b[at] & 15) >= 12) {
            return false; /* not RAM: nothing an alias can map */
        }
        j = mu_below(r, LLSC_ALIAS_PAGES);
        m.b[1] = (uint8_t)j;
        memcpy(m.b + 2, p->op[i].b + at, 2);
        mu_insert(p, (unsigned)i, &m);
        i++;
        p->op[i].b[at] = (uint8_t)((p->op[i].b[at] & 0xf0) | 15);
        p->op[i].b[at + 1] = (uint8_t)(j << 4 | (p->op[i].b[at + 1] & 15));
    }
    j = (p->op[i].b[at + 1] >> 4) & 7;
    again = p->op[i];
    if ((kind_of(&again) == LOP_LOAD || kind_of(&again) == LOP_LL) && mu_below(r, 2)) {
        again.b[0] = LOP_STORE; /* c A z, then v */
        again.b[5] = random_val(r);
        again.len = (uint8_t)llsc_op_len(LOP_STORE);
    }
    m.b[1] = (uint8_t)j;
    m.b[2] = (uint8_t)(mu_below(r, 16) << 4 | mu_below(r, 12));
    m.b[3] = (uint8_t)mu_rand(r);
    pos = (unsigned)i + 1 + upto(r, p->n - (unsigned)i, 2);
    mu_insert(p, pos, &m);
    mu_insert(p, pos + 1 + upto(r, p->n - pos, 2), &again);
    return true;
}

/* MU_CODE: protect_code of the page an access goes to, up to two ops
 * before it (through an alias page: the page its last map names). */
static bool code(struct mu_prog *p, struct mu_rng *r)
{
    int i = pick_kind(p, LOP_N, r), m;
    const uint8_t *a;
    struct mu_op c;

    if (i < 0 || p->n >= LLSC_MAX_OPS) {
        return false;
    }
    a = p->op[i].b + field_at(&p->op[i], F_ADDR);
    if ((a[0] & 15) == 15) {
        const unsigned j = (a[1] >> 4) & 7;
        for (m = i - 1; m >= 0; m--) {
            if (kind_of(&p->op[m]) == LOP_MAP && p->op[m].b[1] % 8 == j) {
                break;
            }
        }
        if (m < 0) {
            return false;
        }
        a = p->op[m].b + field_at(&p->op[m], F_ADDR);
        i = m + 1 + (int)upto(r, (unsigned)(i - m), 3); /* after the map */
    } else if ((a[0] & 15) >= 12) {
        return false; /* not RAM */
    } else {
        i -= (int)upto(r, (unsigned)i + 1, 3);
    }
    memset(&c, 0, sizeof(c));
    c.b[0] = LOP_PROTECT_CODE; /* A */
    memcpy(c.b + 1, a, 2);
    c.len = (uint8_t)llsc_op_len(LOP_PROTECT_CODE);
    mu_insert(p, (unsigned)i, &c);
    return true;
}

static unsigned addr_group(uint8_t s)
{
    return (s & 15) < 12 ? 0 : (s & 15) - 11u;
}

/* One try of kind k on op i; false if it does not apply to that op. */
static bool try_op(enum mu_kind k, struct mu_prog *p, unsigned i, struct mu_rng *r)
{
    struct mu_op *op = &p->op[i];
    unsigned kind = kind_of(op), at;

    switch (k) {
    case MU_ARG: {
        unsigned f;
        if (fields[kind].n == 0) {
            return false;
        }
        f = mu_below(r, fields[kind].n);
        at = 1u + fields[kind].off[f];
        if (fields[kind].f[f] == F_ADDR && mu_below(r, 2)) {
            /* Within the class: another slot, page or block. */
            switch (mu_below(r, 3)) {
            case 0:
                op->b[at + 1] = (uint8_t)((op->b[at + 1] & 0xf0) | mu_below(r, 16));
                break;
            case 1:
                op->b[at + 1] = (uint8_t)((op->b[at + 1] & 0x0f) | mu_below(r, 16) << 4);
                break;
            default:
                op->b[at] = (uint8_t)((op->b[at] & 0x0f) | mu_below(r, 16) << 4);
                break;
            }
        } else {
            random_field(p, (enum fld)fields[kind].f[f], r, op->b + at);
        }
        return true;
    }
    case MU_CPU: {
        unsigned present, bits, mask, cur, to;
        if (!(at = field_at(op, F_CPU))) {
            return false;
        }
        decode_first(p, i + 1, &dec_after);
        present = dec_after.cfg.max_cpus + dec_after.nplugs;
        if (present < 2) {
            return false;
        }
        /* The c byte (llsc_ops.h): low 5 bits pick the vCPU, or 6 when
         * max_cpus + LLSC_MAX_PLUGS > 32; the rest the MMU mode, kept. */
        bits = dec_after.cfg.max_cpus + LLSC_MAX_PLUGS > 32 ? 6 : 5;
        mask = (1u << bits) - 1;
        cur = dec_after.ops[dec_after.nops - 1].cpu;
        to = (cur + 1 + mu_below(r, present - 1)) % present;
        op->b[at] = (uint8_t)((op->b[at] & ~mask) | to);
        return true;
    }
    case MU_CLASS: {
        unsigned g, to;
        if (!(at = field_at(op, F_ADDR))) {
            return false;
        }
        g = addr_group(op->b[at]);
        to = (g + 1 + mu_below(r, 4)) % 5;
        op->b[at] = (uint8_t)((op->b[at] & 0xf0) | (to == 0 ? mu_below(r, 12) : 11 + to));
        return true;
    }
    case MU_SHARE: {
        int j;
        unsigned aj;
        if (!(at = field_at(op, F_ADDR)) || (j = pick_with(p, F_ADDR, r)) < 0 ||
            (unsigned)j == i) {
            return false;
        }
        aj = field_at(&p->op[j], F_ADDR);
        if (memcmp(op->b + at, p->op[j].b + aj, 2) == 0) {
            return false;
        }
        memcpy(op->b + at, p->op[j].b + aj, 2);
        return true;
    }
    case MU_COLLIDE:
        return collide(p, r);
    case MU_REMAP:
        return remap(p, r);
    case MU_CODE:
        return code(p, r);
    default:
        return false;
    }
}

/* Does p decode to another program than dec_before? */
static bool llsc_differs(const struct mu_prog *p)
{
    decode_first(p, p->n, &dec_after);
    return !llsc_prog_equal(&dec_before, &dec_after);
}

static bool llsc_mutate(enum mu_kind k, struct mu_prog *p, struct mu_rng *r)
{
    if (k == MU_HEADER) {
        struct llsc_cfg before;
        decode_first(p, 0, &dec_before);
        before = dec_before.cfg;
        for (int t = 0; t < 8; t++) {
            unsigned h = mu_below(r, LLSC_HDR_LEN);
            uint8_t old = p->hdr[h];
            p->hdr[h] = mu_below(r, 2) ? (uint8_t)(old ^ (1u << mu_below(r, 8)))
                                       : (uint8_t)mu_rand(r);
            decode_first(p, 0, &dec_after);
            if (memcmp(&before, &dec_after.cfg, sizeof(before)) != 0) {
                return true;
            }
            p->hdr[h] = old;
        }
        return false;
    }
    if (p->n == 0) {
        return false;
    }
    decode_first(p, p->n, &dec_before);
    return mu_try_ops(p, k, r, try_op, llsc_differs);
}

const struct mu_family mu_llsc = {
    .name = "llsc",
    .hdr_len = LLSC_HDR_LEN,
    .max_ops = LLSC_MAX_OPS,
    .max_input = LLSC_MAX_INPUT,
    .op_len = llsc_op_len,
    .random_op = llsc_random_op,
    .mutate = llsc_mutate,
};
