/*
 * race_ops.c - decoder of the race targets' byte grammar (race_ops.h) and its
 * text codec hx_codec_race.
 *
 * Text form, one op per line, `#` comments, the config line first (optional;
 * omitted keys take the value of a zero byte):
 *   config threads=2 mode=pct seed=0x2a depth=2 tlb_bits=3 page_bits=10
 *          vtlb=0 history=4 block_bits=6 st=0          (mode=free: free mode)
 *   ll t0 ram1+0x10 4        address forms: ram<p>+<n> (n even, < 112),
 *   store t1 ram1-4 8be                     ram<p>-<k> (page end, k 1..8),
 *   sc t0 ram1+0x10 4                       mmio+<n> (n < 32),
 *   dma t1 ram0+0 2                         alias<j>+<n> (n = 4 * 0..7)
 *   clrex t0 | run_work t0 | tlb_flush t0 | cpu_plug t0
 *   tlb_flush_page t1 A | protect_code t1 A
 *   ram_add t1 pages=2 spare=4 | resize t1 b1 pages=3 | remove t1 b0 |
 *   map t0 alias1 page2
 * The op comes first (as in the llsc form, and as triage reads a program's
 * op kinds); "t1 ll ..." with the thread first is read too.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "race_ops.h"
#include "sut.h"

_Static_assert(RACE_ALIAS_BASE >= SUT_MMIO_BASE + SUT_MMIO_SIZE, "alias window above MMIO");

const char *const race_op_names[ROP_N] = {
    [ROP_LL] = "ll", [ROP_SC] = "sc", [ROP_LOAD] = "load", [ROP_STORE] = "store",
    [ROP_DMA] = "dma", [ROP_TLB_FLUSH_PAGE] = "tlb_flush_page",
    [ROP_PROTECT_CODE] = "protect_code", [ROP_CLREX] = "clrex",
    [ROP_RUN_WORK] = "run_work", [ROP_TLB_FLUSH] = "tlb_flush",
    [ROP_CPU_PLUG] = "cpu_plug", [ROP_RAM_ADD] = "ram_add",
    [ROP_RESIZE] = "resize", [ROP_REMOVE] = "remove", [ROP_MAP] = "map",
};

const unsigned char race_op_arglen[ROP_N] = {
    [ROP_LL] = 2, [ROP_SC] = 2, [ROP_LOAD] = 2, [ROP_STORE] = 2, [ROP_DMA] = 2,
    [ROP_TLB_FLUSH_PAGE] = 1, [ROP_PROTECT_CODE] = 1, [ROP_CLREX] = 0,
    [ROP_RUN_WORK] = 0, [ROP_TLB_FLUSH] = 0, [ROP_CPU_PLUG] = 0,
    [ROP_RAM_ADD] = 1, [ROP_RESIZE] = 2, [ROP_REMOVE] = 1, [ROP_MAP] = 1,
};

static const unsigned sizes[4] = {4, 8, 1, 2};

bool race_op_exclusive(unsigned kind)
{
    return kind == ROP_DMA || kind == ROP_PROTECT_CODE || kind == ROP_CPU_PLUG ||
           kind == ROP_RESIZE || kind == ROP_REMOVE || kind == ROP_MAP;
}

uint64_t race_addr(uint8_t a, unsigned page_bits)
{
    const uint64_t ps = 1ULL << page_bits;
    if (a < 0xc0) {
        unsigned o = a & 63;
        uint64_t page = (uint64_t)(a >> 6) * ps;
        return o < 56 ? page + 2 * o : page + ps - (64 - o);
    }
    if (a < 0xe0) {
        return SUT_MMIO_BASE + (a & 31);
    }
    return RACE_ALIAS_BASE + (uint64_t)((a >> 3) & 3) * ps + 4 * (a & 7);
}

void race_decode(const uint8_t *data, size_t size, struct race_prog *p)
{
    uint8_t h[RACE_HDR_LEN] = {0};
    size_t pos;

    memset(p, 0, sizeof *p);
    if (size > RACE_MAX_INPUT) {
        size = RACE_MAX_INPUT;
    }
    for (pos = 0; pos < RACE_HDR_LEN && pos < size; pos++) {
        h[pos] = data[pos];
    }
    static const unsigned threads[4] = {2, 2, 3, 4}, pbits[4] = {10, 10, 11, 12},
                          vtlb[4] = {0, 1, 2, 8}, hist[4] = {4, 1, 2, 64},
                          bbits[4] = {6, 2, 3, 4};
    struct race_cfg *c = &p->cfg;
    c->threads = threads[h[0] & 3];
    c->sched = (h[0] >> 2) & 1;
    c->depth = 1 + ((h[0] >> 3) & 3);
    c->tlb_bits = 1 + ((h[0] >> 5) & 3);
    c->st = h[0] >> 7;
    c->page_bits = pbits[h[1] & 3];
    c->vtlb = vtlb[(h[1] >> 2) & 3];
    c->history = hist[(h[1] >> 4) & 3];
    c->block_bits = bbits[h[1] >> 6];
    c->seed = (uint32_t)h[2] | (uint32_t)h[3] << 8 | (uint32_t)h[4] << 16 | (uint32_t)h[5] << 24;
    while (pos < size && p->nops < RACE_MAX_OPS) {
        const size_t at = pos;
        const uint8_t code = data[pos++];
        const unsigned kind = (code & 15) % ROP_N;
        const unsigned n = race_op_arglen[kind];
        if (pos + n > size) {
            break;
        }
        struct race_op *op = &p->ops[p->nops];
        op->kind = (uint8_t)kind;
        op->thread = (uint8_t)((code >> 4) % c->threads);
        op->index = p->nops;
        (void)at;
        switch (kind) {
        case ROP_LL: case ROP_SC: case ROP_LOAD: case ROP_STORE: case ROP_DMA:
            op->a = data[pos];
            op->z = data[pos + 1];
            op->size = sizes[op->z & 3];
            op->be = (op->z >> 2) & 1;
            break;
        case ROP_TLB_FLUSH_PAGE: case ROP_PROTECT_CODE: case ROP_MAP:
            op->a = data[pos];
            break;
        case ROP_RAM_ADD:
            op->z = data[pos];
            break;
        case ROP_RESIZE:
            op->b = data[pos];
            op->z = data[pos + 1];
            break;
        case ROP_REMOVE:
            op->b = data[pos];
            break;
        default:
            break;
        }
        pos += n;
        p->nops++;
    }
}

static void addr_format(uint8_t a, char *buf, size_t len)
{
    if (a < 0xc0) {
        unsigned o = a & 63;
        if (o < 56) {
            snprintf(buf, len, "ram%u+0x%x", a >> 6, 2 * o);
        } else {
            snprintf(buf, len, "ram%u-%u", a >> 6, 64 - o);
        }
    } else if (a < 0xe0) {
        snprintf(buf, len, "mmio+0x%x", a & 31);
    } else {
        snprintf(buf, len, "alias%u+0x%x", (a >> 3) & 3, 4 * (a & 7));
    }
}

void race_op_format(const struct race_op *op, unsigned page_bits, char *buf, size_t len)
{
    char a[32];
    (void)page_bits;
    int n = snprintf(buf, len, "%s t%u", race_op_names[op->kind], op->thread);
    if (n < 0 || (size_t)n >= len) {
        return;
    }
    buf += n;
    len -= (size_t)n;
    switch (op->kind) {
    case ROP_LL: case ROP_SC: case ROP_LOAD: case ROP_STORE: case ROP_DMA:
        addr_format(op->a, a, sizeof a);
        snprintf(buf, len, " %s %u%s", a, op->size, op->be ? "be" : "");
        break;
    case ROP_TLB_FLUSH_PAGE: case ROP_PROTECT_CODE:
        addr_format(op->a, a, sizeof a);
        snprintf(buf, len, " %s", a);
        break;
    case ROP_RAM_ADD:
        snprintf(buf, len, " pages=%u spare=%u", 1 + (op->z & 3), (op->z & 4) ? 4 : 0);
        break;
    case ROP_RESIZE:
        snprintf(buf, len, " b%u pages=%u", op->b, 1 + op->z % 8);
        break;
    case ROP_REMOVE:
        snprintf(buf, len, " b%u", op->b);
        break;
    case ROP_MAP:
        snprintf(buf, len, " alias%u page%u", op->a & 3, (op->a >> 2) & 3);
        break;
    default:
        break;
    }
}

void race_cfg_format(const struct race_cfg *c, char *buf, size_t len)
{
    snprintf(buf, len,
             "config threads=%u mode=%s seed=0x%" PRIx32 " depth=%u tlb_bits=%u "
             "page_bits=%u vtlb=%u history=%u block_bits=%u st=%u",
             c->threads, c->sched ? "pct" : "free", c->seed, c->depth, c->tlb_bits,
             c->page_bits, c->vtlb, c->history, c->block_bits, c->st ? 1 : 0);
}

/* ---- text codec ------------------------------------------------------------ */

static void race_to_text(const uint8_t *data, size_t len, FILE *out)
{
    struct race_prog *p = malloc(sizeof *p);
    char line[160];

    if (!p) {
        return;
    }
    race_decode(data, len, p);
    race_cfg_format(&p->cfg, line, sizeof line);
    fprintf(out, "%s\n", line);
    for (unsigned i = 0; i < p->nops; i++) {
        race_op_format(&p->ops[i], p->cfg.page_bits, line, sizeof line);
        fprintf(out, "%s    # op %u\n", line, i);
    }
    free(p);
}

struct tbuf {
    uint8_t *b;
    size_t n, cap;
};

static int put(struct tbuf *t, uint8_t v)
{
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        uint8_t *nb = realloc(t->b, nc);
        if (!nb) {
            return -1;
        }
        t->b = nb;
        t->cap = nc;
    }
    t->b[t->n++] = v;
    return 0;
}

static int find_pick(const unsigned *vals, unsigned n, unsigned v)
{
    for (unsigned i = 0; i < n; i++) {
        if (vals[i] == v) {
            return (int)i;
        }
    }
    return -1;
}

/* key=value from a config line; false if the key is absent. */
static bool kv(const char *line, const char *key, char *val, size_t vlen)
{
    size_t kl = strlen(key);
    for (const char *s = line; (s = strstr(s, key)); s++) {
        if ((s == line || isspace((unsigned char)s[-1])) && s[kl] == '=') {
            size_t i = 0;
            s += kl + 1;
            while (s[i] && !isspace((unsigned char)s[i]) && i + 1 < vlen) {
                val[i] = s[i];
                i++;
            }
            val[i] = '\0';
            return true;
        }
    }
    return false;
}

/* key=N within [lo, hi], def when absent; false if out of range. */
static bool num(const char *line, const char *key, unsigned long lo, unsigned long hi,
                unsigned long def, unsigned long *x)
{
    char v[32], *end;
    if (!kv(line, key, v, sizeof v)) {
        *x = def;
        return true;
    }
    *x = strtoul(v, &end, 0);
    return *end == '\0' && end != v && *x + 1 >= lo + 1 && *x <= hi;
}

static int parse_cfg(const char *line, uint8_t h[RACE_HDR_LEN], char *err, size_t errlen)
{
    static const unsigned threads[4] = {2, 2, 3, 4}, pbits[4] = {10, 10, 11, 12},
                          vtlb[4] = {0, 1, 2, 8}, hist[4] = {4, 1, 2, 64},
                          bbits[4] = {6, 2, 3, 4};
    char v[32];
    int k;
    unsigned long x;

    memset(h, 0, RACE_HDR_LEN);
    if (!num(line, "threads", 2, 4, 2, &x) || (k = find_pick(threads + 1, 3, (unsigned)x)) < 0) {
        snprintf(err, errlen, "threads must be 2, 3 or 4");
        return -1;
    }
    h[0] |= (uint8_t)(k + 1);
    if (kv(line, "mode", v, sizeof v)) {
        if (strcmp(v, "pct") == 0) {
            h[0] |= 4;
        } else if (strcmp(v, "free") != 0) {
            snprintf(err, errlen, "mode must be pct or free");
            return -1;
        }
    }
    if (!num(line, "depth", 1, 4, 1, &x)) {
        snprintf(err, errlen, "depth must be 1..4");
        return -1;
    }
    h[0] |= (uint8_t)((x - 1) << 3);
    if (!num(line, "tlb_bits", 1, 4, 1, &x)) {
        snprintf(err, errlen, "tlb_bits must be 1..4");
        return -1;
    }
    h[0] |= (uint8_t)((x - 1) << 5);
    if (!num(line, "st", 0, 1, 0, &x)) {
        snprintf(err, errlen, "st must be 0 or 1");
        return -1;
    }
    h[0] |= (uint8_t)(x << 7);
    if (!num(line, "page_bits", 10, 12, 10, &x) || (k = find_pick(pbits + 1, 3, (unsigned)x)) < 0) {
        snprintf(err, errlen, "page_bits must be 10, 11 or 12");
        return -1;
    }
    h[1] |= (uint8_t)(k + 1);
    if (!num(line, "vtlb", 0, 8, 0, &x) || (k = find_pick(vtlb, 4, (unsigned)x)) < 0) {
        snprintf(err, errlen, "vtlb must be 0, 1, 2 or 8");
        return -1;
    }
    h[1] |= (uint8_t)(k << 2);
    if (!num(line, "history", 1, 64, 4, &x) || (k = find_pick(hist, 4, (unsigned)x)) < 0) {
        snprintf(err, errlen, "history must be 1, 2, 4 or 64");
        return -1;
    }
    h[1] |= (uint8_t)(k << 4);
    if (!num(line, "block_bits", 2, 6, 6, &x) || (k = find_pick(bbits, 4, (unsigned)x)) < 0) {
        snprintf(err, errlen, "block_bits must be 2, 3, 4 or 6");
        return -1;
    }
    h[1] |= (uint8_t)(k << 6);
    if (!num(line, "seed", 0, 0xffffffffUL, 0, &x)) {
        snprintf(err, errlen, "seed must fit 32 bits");
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        h[2 + i] = (uint8_t)(x >> (8 * i));
    }
    return 0;
}

static int parse_addr(const char *s, uint8_t *a)
{
    unsigned p, n;
    char tail;

    if (sscanf(s, "ram%u+%i%c", &p, (int *)&n, &tail) == 2 && p < 3 && n % 2 == 0 && n / 2 < 56) {
        *a = (uint8_t)(p << 6 | n / 2);
    } else if (sscanf(s, "ram%u-%u%c", &p, &n, &tail) == 2 && p < 3 && n >= 1 && n <= 8) {
        *a = (uint8_t)(p << 6 | (64 - n));
    } else if (sscanf(s, "mmio+%i%c", (int *)&n, &tail) == 1 && n < 32) {
        *a = (uint8_t)(0xc0 | n);
    } else if (sscanf(s, "alias%u+%i%c", &p, (int *)&n, &tail) == 2 && p < 4 && n % 4 == 0 &&
               n / 4 < 8) {
        *a = (uint8_t)(0xe0 | p << 3 | n / 4);
    } else {
        return -1;
    }
    return 0;
}

static int parse_size(const char *s, uint8_t *z)
{
    unsigned sz;
    char be[4] = "";
    int k;

    if (sscanf(s, "%u%3s", &sz, be) < 1 || (k = find_pick(sizes, 4, sz)) < 0 ||
        (be[0] && strcmp(be, "be") != 0)) {
        return -1;
    }
    *z = (uint8_t)(k | (be[0] ? 4 : 0));
    return 0;
}

static int parse_op(const char *line, struct tbuf *t, unsigned threads, char *err, size_t errlen)
{
    char w[5][40] = {{0}};
    unsigned th;
    /* "<op> t<thread> args" (what to_text writes; the op first, as the
     * campaign's triage reads it), or "t<thread> <op> args". */
    int nw = sscanf(line, "%39s t%u %39s %39s %39s", w[0], &th, w[1], w[2], w[3]);
    int kind = -1;

    if (nw < 2) {
        nw = sscanf(line, "t%u %39s %39s %39s %39s", &th, w[0], w[1], w[2], w[3]);
    }
    if (nw < 2) {
        snprintf(err, errlen, "expected '<op> t<thread> ...'");
        return -1;
    }
    if (th >= threads) {
        snprintf(err, errlen, "thread t%u, but threads=%u", th, threads);
        return -1;
    }
    for (int k = 0; k < ROP_N; k++) {
        if (strcmp(w[0], race_op_names[k]) == 0) {
            kind = k;
        }
    }
    if (kind < 0) {
        snprintf(err, errlen, "unknown op '%s'", w[0]);
        return -1;
    }
    const int nargs = nw - 2;
    uint8_t args[2] = {0, 0};
    unsigned u = 1, v = 0;
    int bad = 0;
    switch (kind) {
    case ROP_LL: case ROP_SC: case ROP_LOAD: case ROP_STORE: case ROP_DMA:
        bad = nargs != 2 || parse_addr(w[1], &args[0]) || parse_size(w[2], &args[1]);
        break;
    case ROP_TLB_FLUSH_PAGE: case ROP_PROTECT_CODE:
        bad = nargs != 1 || parse_addr(w[1], &args[0]);
        break;
    case ROP_RAM_ADD:
        bad = nargs != 2 || sscanf(w[1], "pages=%u", &u) != 1 || sscanf(w[2], "spare=%u", &v) != 1 ||
              u < 1 || u > 4 || (v != 0 && v != 4);
        args[0] = (uint8_t)((u - 1) | (v ? 4 : 0));
        break;
    case ROP_RESIZE:
        bad = nargs != 2 || sscanf(w[1], "b%u", &u) != 1 || sscanf(w[2], "pages=%u", &v) != 1 ||
              u > 255 || v < 1 || v > 8;
        args[0] = (uint8_t)u;
        args[1] = (uint8_t)(v - 1);
        break;
    case ROP_REMOVE:
        bad = nargs != 1 || sscanf(w[1], "b%u", &u) != 1 || u > 255;
        args[0] = (uint8_t)u;
        break;
    case ROP_MAP:
        bad = nargs != 2 || sscanf(w[1], "alias%u", &u) != 1 || sscanf(w[2], "page%u", &v) != 1 ||
              u > 3 || v > 3;
        args[0] = (uint8_t)(u | v << 2);
        break;
    default:
        bad = nargs != 0;
        break;
    }
    if (bad) {
        snprintf(err, errlen, "bad arguments for %s", race_op_names[kind]);
        return -1;
    }
    /* Thread selector: code >> 4 == th, which % threads gives back th. */
    if (put(t, (uint8_t)(th << 4 | (unsigned)kind))) {
        goto oom;
    }
    for (unsigned i = 0; i < race_op_arglen[kind]; i++) {
        if (put(t, args[i])) {
            goto oom;
        }
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int race_from_text(const char *text, uint8_t **out, size_t *outlen, char *err,
                          size_t errlen)
{
    struct tbuf t = {0};
    uint8_t h[RACE_HDR_LEN] = {0};
    unsigned lineno = 0, threads = 2, nops = 0;
    bool header = false;
    char why[160];
    const char *s = text;

    for (int i = 0; i < RACE_HDR_LEN; i++) {
        if (put(&t, 0)) {
            goto oom;
        }
    }
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char line[512];
        lineno++;
        if (n >= sizeof line) {
            snprintf(err, errlen, "line %u: too long", lineno);
            goto fail;
        }
        memcpy(line, s, n);
        line[n] = '\0';
        s += n + (e ? 1 : 0);
        char *hash = strchr(line, '#');
        if (hash) {
            *hash = '\0';
        }
        char *l = line;
        while (isspace((unsigned char)*l)) {
            l++;
        }
        for (size_t k = strlen(l); k > 0 && isspace((unsigned char)l[k - 1]); k--) {
            l[k - 1] = '\0';
        }
        if (!*l) {
            continue;
        }
        if (strncmp(l, "config", 6) == 0 && (l[6] == '\0' || isspace((unsigned char)l[6]))) {
            if (header || nops) {
                snprintf(err, errlen, "line %u: the config line must come first, once", lineno);
                goto fail;
            }
            if (parse_cfg(l, h, why, sizeof why)) {
                snprintf(err, errlen, "line %u: %s", lineno, why);
                goto fail;
            }
            static const unsigned thr[4] = {2, 2, 3, 4};
            threads = thr[h[0] & 3];
            memcpy(t.b, h, RACE_HDR_LEN);
            header = true;
            continue;
        }
        if (nops == RACE_MAX_OPS) {
            snprintf(err, errlen, "line %u: more than %u ops", lineno, RACE_MAX_OPS);
            goto fail;
        }
        if (parse_op(l, &t, threads, why, sizeof why)) {
            snprintf(err, errlen, "line %u: %s", lineno, why);
            goto fail;
        }
        nops++;
    }
    if (t.n > RACE_MAX_INPUT) {
        snprintf(err, errlen, "longer than %u bytes", RACE_MAX_INPUT);
        goto fail;
    }
    *out = t.b;
    *outlen = t.n;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    free(t.b);
    return -1;
}

const struct hx_codec hx_codec_race = {
    .family = "race",
    .to_text = race_to_text,
    .from_text = race_from_text,
};
