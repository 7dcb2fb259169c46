/*
 * bitmap_ops.c - decoder, text codec and shadow-model runner of the bitmap
 * target (grammar in bitmap_ops.h). The shadow is a plain bool per bit; the
 * backend's storage is read directly with the layout of spec section 2.8
 * (bit n = bit n % BITS_PER_LONG of word n / BITS_PER_LONG), so the check
 * shares no code with any backend.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "bitmap_ops.h"
#include "codec.h"
#include "report.h"

/* How a raw u16 argument becomes an effective value (see bitmap_ops.h). */
enum argk { A_NONE, A_NR, A_START, A_LEN, A_SIZE, A_OFFSET, A_GROW, A_NBITS };

static const struct {
    const char *name;
    enum argk arg[2];
    const char *usage;
} op_table[HX_BM_OP_COUNT] = {
    [HX_BM_OP_SET_BIT_ATOMIC] = {"set_bit_atomic", {A_NR, A_NONE}, "NR"},
    [HX_BM_OP_BITMAP_SET_ATOMIC] = {"bitmap_set_atomic", {A_START, A_LEN}, "START LEN"},
    [HX_BM_OP_BITMAP_TEST_AND_CLEAR_ATOMIC] = {"bitmap_test_and_clear_atomic",
                                              {A_START, A_LEN}, "START LEN"},
    [HX_BM_OP_TEST_BIT] = {"test_bit", {A_NR, A_NONE}, "NR"},
    [HX_BM_OP_BITMAP_SET] = {"bitmap_set", {A_START, A_LEN}, "START LEN"},
    [HX_BM_OP_BITMAP_CLEAR] = {"bitmap_clear", {A_START, A_LEN}, "START LEN"},
    [HX_BM_OP_FIND_NEXT_BIT] = {"find_next_bit", {A_SIZE, A_OFFSET}, "SIZE OFFSET"},
    [HX_BM_OP_BITMAP_ZERO_EXTEND] = {"bitmap_zero_extend", {A_GROW, A_NONE}, "NEW_NBITS"},
    [HX_BM_OP_BITMAP_NEW] = {"bitmap_new", {A_NBITS, A_NONE}, "NBITS"},
};

const char *hx_bm_op_name(enum hx_bm_opcode code)
{
    return (unsigned)code < HX_BM_OP_COUNT ? op_table[code].name : "?";
}

int hx_bm_op_nargs(enum hx_bm_opcode code)
{
    if ((unsigned)code >= HX_BM_OP_COUNT) {
        return 0;
    }
    return (op_table[code].arg[0] != A_NONE) + (op_table[code].arg[1] != A_NONE);
}

/* Effective value of raw argument `raw` of kind k, at size n, after the
 * op's first effective argument `first` (LEN depends on START). */
static long reduce(enum argk k, unsigned raw, long n, long first)
{
    switch (k) {
    case A_NR:
        return (long)(raw % (unsigned long)n); /* n >= 1 always */
    case A_START:
    case A_SIZE:
    case A_OFFSET:
        return (long)(raw % (unsigned long)(n + 1));
    case A_LEN:
        return (long)(raw % (unsigned long)(n - first + 1));
    case A_GROW:
        return n + (long)(raw % (unsigned long)(HX_BM_MAX_BITS - n + 1));
    case A_NBITS:
        return 1 + (long)(raw % (unsigned long)HX_BM_MAX_BITS);
    case A_NONE:
        break;
    }
    return 0;
}

/* Range of effective values of kind k at size n after first argument
 * `first`: from_text accepts exactly these, so every text value means
 * what it says (the byte decoder reduces raw values into the same ranges). */
static void arg_range(enum argk k, long n, long first, long *lo, long *hi)
{
    *lo = 0;
    switch (k) {
    case A_NR:
        *hi = n - 1;
        break;
    case A_LEN:
        *hi = n - first;
        break;
    case A_GROW:
        *lo = n;
        *hi = HX_BM_MAX_BITS;
        break;
    case A_NBITS:
        *lo = 1;
        *hi = HX_BM_MAX_BITS;
        break;
    default:
        *hi = n;
        break;
    }
}

/* The raw value that reduces to effective value v (v within arg_range). */
static unsigned unreduce(enum argk k, long v, long n)
{
    if (k == A_GROW) {
        return (unsigned)(v - n);
    }
    if (k == A_NBITS) {
        return (unsigned)(v - 1);
    }
    return (unsigned)v;
}

static const char *const argk_name[] = {
    [A_NONE] = "-", [A_NR] = "NR", [A_START] = "START", [A_LEN] = "LEN",
    [A_SIZE] = "SIZE", [A_OFFSET] = "OFFSET", [A_GROW] = "NEW_NBITS", [A_NBITS] = "NBITS",
};

/* One decoding step shared by the decoder and from_text: builds op from
 * the raw arguments and updates the tracked size *n. */
static void step(enum hx_bm_opcode code, const unsigned raw[2], long *n,
                 struct hx_bm_op *op)
{
    op->code = code;
    op->a = reduce(op_table[code].arg[0], raw[0], *n, 0);
    op->b = reduce(op_table[code].arg[1], raw[1], *n, op->a);
    if (code == HX_BM_OP_BITMAP_ZERO_EXTEND || code == HX_BM_OP_BITMAP_NEW) {
        *n = op->a;
    }
}

void hx_bm_decode(const uint8_t *data, size_t len, struct hx_bm_prog *prog)
{
    size_t pos = len < 2 ? len : 2;
    unsigned hdr = (len > 0 ? data[0] : 0) | (len > 1 ? data[1] << 8 : 0);
    long n = reduce(A_NBITS, hdr, 0, 0);

    prog->nbits = n;
    prog->nops = 0;
    prog->truncated = false;
    while (pos < len && prog->nops < HX_BM_MAX_OPS) {
        enum hx_bm_opcode code = data[pos] % HX_BM_OP_COUNT;
        size_t need = 1 + 2 * (size_t)hx_bm_op_nargs(code);
        unsigned raw[2] = {0, 0};

        if (len - pos < need) {
            prog->truncated = true;
            break;
        }
        for (int i = 0; i < hx_bm_op_nargs(code); i++) {
            raw[i] = data[pos + 1 + 2 * i] | data[pos + 2 + 2 * i] << 8;
        }
        step(code, raw, &n, &prog->ops[prog->nops++]);
        pos += need;
    }
    prog->used = pos;
}

/* ---- text codec ---- */

static void bm_to_text(const uint8_t *data, size_t len, FILE *out)
{
    struct hx_bm_prog *p = malloc(sizeof(*p));

    if (!p) {
        fputs("# out of memory\n", out);
        return;
    }
    hx_bm_decode(data, len, p);
    fprintf(out, "# bitmap ops: %zu op%s from %zu bytes\n", p->nops,
            p->nops == 1 ? "" : "s", len);
    fprintf(out, "nbits %ld\n", p->nbits);
    for (size_t i = 0; i < p->nops; i++) {
        const struct hx_bm_op *op = &p->ops[i];
        int na = hx_bm_op_nargs(op->code);

        fputs(hx_bm_op_name(op->code), out);
        fprintf(out, " %ld", op->a);
        if (na > 1) {
            fprintf(out, " %ld", op->b);
        }
        fputc('\n', out);
    }
    if (p->used < len) {
        fprintf(out, "# %zu trailing byte%s ignored (%s)\n", len - p->used,
                len - p->used == 1 ? "" : "s",
                p->truncated ? "op cut short" : "op limit reached");
    }
    free(p);
}

static int errf(char *err, size_t errlen, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int errf(char *err, size_t errlen, int line, const char *fmt, ...)
{
    va_list ap;
    int k = snprintf(err, errlen, "line %d: ", line);

    if (k >= 0 && (size_t)k < errlen) {
        va_start(ap, fmt);
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Split s (modified in place) into at most max whitespace-separated words. */
static int split(char *s, char **w, int max)
{
    int n = 0;

    for (;;) {
        while (*s && isspace((unsigned char)*s)) {
            s++;
        }
        if (!*s) {
            return n;
        }
        if (n == max) {
            return max + 1;
        }
        w[n++] = s;
        while (*s && !isspace((unsigned char)*s)) {
            s++;
        }
        if (*s) {
            *s++ = '\0';
        }
    }
}

static int parse_u16(const char *s, unsigned long *v)
{
    char *end;

    if (!isdigit((unsigned char)*s)) {
        return -1;
    }
    errno = 0;
    /* decimal, or hex with 0x (never octal: "010" is ten) */
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        *v = strtoul(s + 2, &end, 16);
        if (end == s + 2) {
            return -1;
        }
    } else {
        *v = strtoul(s, &end, 10);
    }
    return (*end || errno || *v > 0xffff) ? -1 : 0;
}

static int bm_from_text(const char *text, uint8_t **out, size_t *outlen,
                        char *err, size_t errlen)
{
    size_t cap = 2 + (size_t)HX_BM_MAX_OPS * 5, used = 0;
    uint8_t *buf = malloc(cap);
    char *copy = strdup(text);
    char *save = NULL, *line;
    int lineno = 0, nops = 0, rc = 0;
    bool have_header = false;
    long n = 0;

    if (!buf || !copy) {
        free(buf);
        free(copy);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* strtok_r would merge empty lines and break line numbers. */
    for (line = copy; line && rc == 0; line = save) {
        char *w[4];
        int nw;
        unsigned long v[2] = {0, 0};

        save = strchr(line, '\n');
        if (save) {
            *save++ = '\0';
        }
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) {
            *hash = '\0';
        }
        nw = split(line, w, 3);
        if (nw == 0) {
            continue;
        }
        if (!have_header) {
            if (strcmp(w[0], "nbits") != 0 || nw != 2 || parse_u16(w[1], &v[0])) {
                rc = errf(err, errlen, lineno, "expected the header 'nbits N' first");
                break;
            }
            if (v[0] < 1 || v[0] > HX_BM_MAX_BITS) {
                rc = errf(err, errlen, lineno, "nbits %lu out of range 1..%d", v[0],
                          HX_BM_MAX_BITS);
                break;
            }
            unsigned hraw = unreduce(A_NBITS, (long)v[0], 0);
            n = reduce(A_NBITS, hraw, 0, 0);
            buf[used++] = hraw & 0xff;
            buf[used++] = hraw >> 8;
            have_header = true;
            continue;
        }
        int code;
        for (code = 0; code < HX_BM_OP_COUNT; code++) {
            if (strcmp(w[0], op_table[code].name) == 0) {
                break;
            }
        }
        if (code == HX_BM_OP_COUNT) {
            rc = errf(err, errlen, lineno, "unknown op '%s'", w[0]);
            break;
        }
        int na = hx_bm_op_nargs(code);
        if (nw - 1 != na) {
            rc = errf(err, errlen, lineno, "%s takes %d argument%s (%s)", w[0], na,
                      na == 1 ? "" : "s", op_table[code].usage);
            break;
        }
        if (nops == HX_BM_MAX_OPS) {
            rc = errf(err, errlen, lineno, "more than %d ops", HX_BM_MAX_OPS);
            break;
        }
        unsigned raw[2] = {0, 0};
        struct hx_bm_op op;
        for (int i = 0; i < na; i++) {
            enum argk k = op_table[code].arg[i];
            long lo, hi;
            if (parse_u16(w[1 + i], &v[i])) {
                rc = errf(err, errlen, lineno, "bad number '%s'", w[1 + i]);
                break;
            }
            arg_range(k, n, i ? (long)v[0] : 0, &lo, &hi);
            if ((long)v[i] < lo || (long)v[i] > hi) {
                rc = errf(err, errlen, lineno, "%s %s %lu out of range %ld..%ld (nbits %ld)",
                          w[0], argk_name[k], v[i], lo, hi, n);
                break;
            }
            raw[i] = unreduce(k, (long)v[i], n);
        }
        if (rc) {
            break;
        }
        buf[used++] = (uint8_t)code;
        for (int i = 0; i < na; i++) {
            buf[used++] = raw[i] & 0xff;
            buf[used++] = raw[i] >> 8;
        }
        step(code, raw, &n, &op);
        nops++;
    }
    if (rc == 0 && !have_header) {
        rc = errf(err, errlen, lineno, "no 'nbits N' header");
    }
    free(copy);
    if (rc) {
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = used;
    return 0;
}

const struct hx_codec hx_codec_bitmap = {
    .family = "bitmap",
    .to_text = bm_to_text,
    .from_text = bm_from_text,
};

/* ---- runner ---- */

#define RANGES_MAX 240

/* "0-63,79-97" for the set bits of bits[0..n); shortened with "...". */
static void fmt_ranges(const bool *bits, long n, char *buf, size_t cap)
{
    size_t k = 0;
    long i = 0;

    buf[0] = '\0';
    while (i < n) {
        if (!bits[i]) {
            i++;
            continue;
        }
        long j = i;
        while (j + 1 < n && bits[j + 1]) {
            j++;
        }
        char item[48];
        int m = j > i ? snprintf(item, sizeof(item), "%s%ld-%ld", k ? "," : "", i, j)
                      : snprintf(item, sizeof(item), "%s%ld", k ? "," : "", i);
        if (k + (size_t)m + 4 >= cap) {
            snprintf(buf + k, cap - k, ",...");
            return;
        }
        memcpy(buf + k, item, (size_t)m + 1);
        k += (size_t)m;
        i = j + 1;
    }
    if (k == 0) {
        snprintf(buf, cap, "none");
    }
}

static bool map_bit(const unsigned long *map, long i)
{
    return (map[(unsigned long)i / BM_BITS_PER_LONG] >>
            ((unsigned long)i % BM_BITS_PER_LONG)) & 1;
}

static void describe(const struct hx_bm_op *op, char *buf, size_t cap)
{
    if (hx_bm_op_nargs(op->code) > 1) {
        snprintf(buf, cap, "%s %ld %ld", hx_bm_op_name(op->code), op->a, op->b);
    } else {
        snprintf(buf, cap, "%s %ld", hx_bm_op_name(op->code), op->a);
    }
}

/* Index of the first word of map whose bits below n differ from the shadow,
 * or -1. Word by word: the shadow's bits of a word are gathered into the
 * value the layout of spec 2.8 says the word must hold, the word is read
 * once, and bits >= n of the last word are masked ("don't care"). */
static long first_bad_word(const unsigned long *map, const bool *shadow, long n)
{
    const long bpl = (long)BM_BITS_PER_LONG;

    for (long w = 0; w * bpl < n; w++) {
        const long base = w * bpl, lim = n - base < bpl ? n - base : bpl;
        const unsigned long mask = lim == bpl ? ~0UL : (1UL << lim) - 1;
        unsigned long want = 0;

        for (long j = 0; j < lim; j++) {
            want |= (unsigned long)shadow[base + j] << j;
        }
        if ((map[w] & mask) != want) {
            return w;
        }
    }
    return -1;
}

static void check_contents(const unsigned long *map, const bool *shadow, long n,
                           long opno, const char *what)
{
    if (first_bad_word(map, shadow, n) < 0) {
        return;
    }
    bool got[HX_BM_MAX_BITS], diff[HX_BM_MAX_BITS];
    char e[RANGES_MAX], g[RANGES_MAX], d[RANGES_MAX];
    for (long i = 0; i < n; i++) {
        got[i] = map_bit(map, i);
        diff[i] = got[i] != shadow[i];
    }
    fmt_ranges(shadow, n, e, sizeof(e));
    fmt_ranges(got, n, g, sizeof(g));
    fmt_ranges(diff, n, d, sizeof(d));
    hx_violation("bitmap-contents", opno,
                 "after %s (nbits %ld): expected set bits \"%s\", got \"%s\" (differ: %s)",
                 what, n, e, g, d);
}

static bool shadow_any(const bool *shadow, long start, long len)
{
    for (long i = start; i < start + len; i++) {
        if (shadow[i]) {
            return true;
        }
    }
    return false;
}

void hx_bm_run(const struct hx_bm_prog *p)
{
    bool shadow[HX_BM_MAX_BITS];
    long n = p->nbits;
    unsigned long *map = bm_bitmap_new(n);
    char what[96];

    memset(shadow, 0, sizeof(shadow));
    if (!map) {
        hx_violation("bitmap-alloc", 0, "bitmap_new %ld (header) returned NULL", n);
    }
    snprintf(what, sizeof(what), "bitmap_new %ld (header)", n);
    check_contents(map, shadow, n, 0, what);

    for (size_t i = 0; i < p->nops; i++) {
        const struct hx_bm_op *op = &p->ops[i];
        const long opno = (long)i + 1, a = op->a, b = op->b;
        bool got, exp;

        describe(op, what, sizeof(what));
        switch (op->code) {
        case HX_BM_OP_SET_BIT_ATOMIC:
            bm_set_bit_atomic(a, map);
            shadow[a] = true;
            break;
        case HX_BM_OP_BITMAP_SET_ATOMIC:
        case HX_BM_OP_BITMAP_SET:
            if (op->code == HX_BM_OP_BITMAP_SET) {
                bm_bitmap_set(map, a, b);
            } else {
                bm_bitmap_set_atomic(map, a, b);
            }
            memset(shadow + a, 1, (size_t)b * sizeof(bool));
            break;
        case HX_BM_OP_BITMAP_CLEAR:
            bm_bitmap_clear(map, a, b);
            memset(shadow + a, 0, (size_t)b * sizeof(bool));
            break;
        case HX_BM_OP_BITMAP_TEST_AND_CLEAR_ATOMIC: {
            char e[RANGES_MAX];
            exp = shadow_any(shadow, a, b);
            fmt_ranges(shadow, n, e, sizeof(e));
            got = bm_bitmap_test_and_clear_atomic(map, a, b);
            if (got != exp) {
                hx_violation("bitmap-test-and-clear", opno,
                             "%s returned %s, expected %s (set bits before: \"%s\")",
                             what, got ? "true" : "false", exp ? "true" : "false", e);
            }
            memset(shadow + a, 0, (size_t)b * sizeof(bool));
            break;
        }
        case HX_BM_OP_TEST_BIT:
            exp = shadow[a];
            got = bm_test_bit(a, map);
            if (got != exp) {
                char e[RANGES_MAX];
                fmt_ranges(shadow, n, e, sizeof(e));
                hx_violation("bitmap-test-bit", opno,
                             "%s returned %s, expected %s (set bits: \"%s\")", what,
                             got ? "true" : "false", exp ? "true" : "false", e);
            }
            break;
        case HX_BM_OP_FIND_NEXT_BIT: {
            unsigned long want = (unsigned long)a;
            for (long k = b; k < a; k++) {
                if (shadow[k]) {
                    want = (unsigned long)k;
                    break;
                }
            }
            unsigned long res = bm_find_next_bit(map, (unsigned long)a, (unsigned long)b);
            if (res != want) {
                char e[RANGES_MAX];
                fmt_ranges(shadow, n, e, sizeof(e));
                hx_violation("bitmap-find-next-bit", opno,
                             "%s returned %lu, expected %lu (set bits: \"%s\")", what,
                             res, want, e);
            }
            break;
        }
        case HX_BM_OP_BITMAP_ZERO_EXTEND: {
            unsigned long *m = bm_bitmap_zero_extend(map, n, a);
            if (!m) {
                hx_violation("bitmap-alloc", opno, "%s from %ld bits returned NULL",
                             what, n);
            }
            map = m;
            n = a; /* shadow bits >= the old size are false already */
            break;
        }
        case HX_BM_OP_BITMAP_NEW:
            bm_bitmap_free(map);
            map = bm_bitmap_new(a);
            if (!map) {
                hx_violation("bitmap-alloc", opno, "%s returned NULL", what);
            }
            n = a;
            memset(shadow, 0, sizeof(shadow));
            break;
        case HX_BM_OP_COUNT:
            break;
        }
        check_contents(map, shadow, n, opno, what);
    }
    bm_bitmap_free(map);
}
