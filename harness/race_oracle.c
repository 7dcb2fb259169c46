/*
 * race_oracle.c - judges a recorded concurrent history (race_oracle.h).
 *
 * The coherence rule is checked per byte as a graph over the byte's writes
 * (the initial zero is node 0): program order gives edges (a thread's
 * write or read of a write, then its later write or read of another one,
 * must come in that order), the final value comes last, and each successful
 * SC adds "the write its LL read, then the SC" plus, for every other agent's
 * write X, "X before that write, or after the SC" - resolved as soon as
 * the edges already known decide it, until nothing changes. A cycle means no
 * per-location write order explains the run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "race_oracle.h"

#define NW (RACE_ORACLE_WRITES + 1)
#define NWORDS ((NW + 63) / 64)

struct wr {
    bool present, ok, sc;
    uint8_t thread, kind, size;
    unsigned op;
    uint32_t loc;
};

struct ctx {
    const struct race_hist *h;
    struct race_verdict *v;
    struct wr w[NW];
    /* Per SC event: its LL (thread-local event index), or -1. */
    int ll_of[RACE_ORACLE_THREADS][RACE_ORACLE_EVENTS];
};

static const char *const kind_names[REV_N] = {
    [REV_LL] = "LL", [REV_SC] = "SC", [REV_LOAD] = "load", [REV_STORE] = "store",
    [REV_DMA] = "DMA", [REV_CLREX] = "CLREX",
};

static void loc_str(const struct ctx *c, uint32_t loc, char *buf, size_t len)
{
    if (c->h->loc_name) {
        c->h->loc_name(loc, buf, len, c->h->ctx);
    } else {
        snprintf(buf, len, "byte %u", loc);
    }
}

static void write_str(const struct ctx *c, unsigned id, char *buf, size_t len)
{
    if (id == 0) {
        snprintf(buf, len, "the initial 0");
        return;
    }
    const struct wr *w = &c->w[id];
    char l[48];
    loc_str(c, w->loc, l, sizeof l);
    snprintf(buf, len, "write #%u (%s%s by t%u at %s, %u bytes, op %u)", id,
             kind_names[w->kind], w->sc ? (w->ok ? " ok" : " failed") : "", w->thread, l,
             w->size, w->op);
}

static bool verdict(struct ctx *c, const char *prop, unsigned op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool verdict(struct ctx *c, const char *prop, unsigned op, const char *fmt, ...)
{
    va_list ap;
    c->v->property = prop;
    c->v->op = op;
    va_start(ap, fmt);
    vsnprintf(c->v->msg, sizeof c->v->msg, fmt, ap);
    va_end(ap);
    return true;
}

static bool is_write(const struct race_ev *e)
{
    return e->kind == REV_SC || e->kind == REV_STORE || e->kind == REV_DMA;
}

static bool is_read(const struct race_ev *e)
{
    return e->kind == REV_LL || e->kind == REV_LOAD;
}

static bool performed(const struct wr *w)
{
    return w->present && (!w->sc || w->ok);
}

/* Monitors: sc-without-ll, and which LL each SC pairs with. */
static bool check_monitors(struct ctx *c)
{
    const struct race_hist *h = c->h;
    for (unsigned t = 0; t < h->nthreads; t++) {
        int mon = -1, closed_by = -1;
        for (unsigned i = 0; i < h->nev[t]; i++) {
            const struct race_ev *e = &h->ev[t][i];
            c->ll_of[t][i] = -1;
            if (!e->done) {
                continue;
            }
            if (e->kind == REV_LL) {
                mon = (int)i;
            } else if (e->kind == REV_CLREX) {
                mon = -1;
                closed_by = (int)i;
            } else if (e->kind == REV_SC) {
                if (e->ok && mon < 0) {
                    char l[48];
                    loc_str(c, e->loc, l, sizeof l);
                    if (closed_by < 0) {
                        return verdict(c, "sc-without-ll", e->op,
                                       "SC by t%u at %s (%u bytes) succeeded with no LL before it",
                                       t, l, e->size);
                    }
                    const struct race_ev *b = &h->ev[t][closed_by];
                    return verdict(c, "sc-without-ll", e->op,
                                   "SC by t%u at %s (%u bytes) succeeded after its %s at op %u "
                                   "closed the monitor",
                                   t, l, e->size, b->kind == REV_CLREX ? "CLREX" : "own SC", b->op);
                }
                c->ll_of[t][i] = mon;
                mon = -1;
                closed_by = (int)i;
            }
        }
    }
    return false;
}

static bool collect_writes(struct ctx *c)
{
    const struct race_hist *h = c->h;
    for (unsigned t = 0; t < h->nthreads; t++) {
        for (unsigned i = 0; i < h->nev[t]; i++) {
            const struct race_ev *e = &h->ev[t][i];
            if (!is_write(e) || e->id == 0) {
                continue;
            }
            struct wr *w = &c->w[e->id];
            if (w->present) {
                return verdict(c, "history", e->op, "write id %u used twice", e->id);
            }
            w->present = e->done;
            w->ok = e->ok;
            w->sc = e->kind == REV_SC;
            w->thread = (uint8_t)t;
            w->kind = e->kind;
            w->size = e->size;
            w->op = e->op;
            w->loc = e->loc;
        }
    }
    return false;
}

/* Is id a value byte loc may hold? Sets the verdict if not. */
static bool bad_value(struct ctx *c, unsigned id, uint32_t loc, unsigned op, const char *who)
{
    if (id == 0) {
        return false;
    }
    const struct wr *w = &c->w[id];
    char l[48], ws[160];
    loc_str(c, loc, l, sizeof l);
    if (w->present && w->sc && !w->ok && loc >= w->loc && loc < w->loc + w->size) {
        write_str(c, id, ws, sizeof ws);
        return verdict(c, "failed-sc-wrote", op, "%s %s holds %s, an SC that reported failure",
                       who, l, ws);
    }
    if (!performed(w) || loc < w->loc || loc >= w->loc + w->size) {
        if (c->w[id].present || c->w[id].sc) {
            write_str(c, id, ws, sizeof ws);
            return verdict(c, "read-no-write", op, "%s %s holds 0x%02x: %s, which %s", who, l, id,
                           ws, performed(w) ? "did not write that byte" : "was not performed");
        }
        return verdict(c, "read-no-write", op, "%s %s holds 0x%02x, which no write produced", who,
                       l, id);
    }
    return false;
}

static bool check_values(struct ctx *c)
{
    const struct race_hist *h = c->h;
    char who[64];
    /* Failed SCs first: their bytes would otherwise read as "not performed". */
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned t = 0; t < h->nthreads; t++) {
            for (unsigned i = 0; i < h->nev[t]; i++) {
                const struct race_ev *e = &h->ev[t][i];
                if (!is_read(e) || !e->done) {
                    continue;
                }
                for (unsigned k = 0; k < e->size; k++) {
                    const struct wr *w = &c->w[e->val[k]];
                    if (pass == 0 && !(w->present && w->sc && !w->ok)) {
                        continue;
                    }
                    snprintf(who, sizeof who, "the %s by t%u read", kind_names[e->kind], t);
                    if (bad_value(c, e->val[k], e->loc + k, e->op, who)) {
                        return true;
                    }
                }
            }
        }
        for (uint32_t l = 0; l < h->nlocs; l++) {
            const struct wr *w = &c->w[h->final[l]];
            if (pass == 0 && !(w->present && w->sc && !w->ok)) {
                continue;
            }
            if (bad_value(c, h->final[l], l, w->present ? w->op : 0, "at the end,")) {
                return true;
            }
        }
    }
    return false;
}

static bool covers(const struct race_ev *e, uint32_t loc)
{
    return loc >= e->loc && loc < e->loc + e->size;
}

static bool check_lost_updates(struct ctx *c)
{
    const struct race_hist *h = c->h;
    for (unsigned t1 = 0; t1 < h->nthreads; t1++) {
        for (unsigned i1 = 0; i1 < h->nev[t1]; i1++) {
            const struct race_ev *s1 = &h->ev[t1][i1];
            if (s1->kind != REV_SC || !s1->done || !s1->ok || c->ll_of[t1][i1] < 0) {
                continue;
            }
            const struct race_ev *l1 = &h->ev[t1][c->ll_of[t1][i1]];
            for (unsigned t2 = t1; t2 < h->nthreads; t2++) {
                for (unsigned i2 = t2 == t1 ? i1 + 1 : 0; i2 < h->nev[t2]; i2++) {
                    const struct race_ev *s2 = &h->ev[t2][i2];
                    if (s2->kind != REV_SC || !s2->done || !s2->ok || c->ll_of[t2][i2] < 0) {
                        continue;
                    }
                    const struct race_ev *l2 = &h->ev[t2][c->ll_of[t2][i2]];
                    for (unsigned k = 0; k < s1->size; k++) {
                        uint32_t b = s1->loc + k;
                        if (!covers(l1, b) || !covers(s2, b) || !covers(l2, b)) {
                            continue;
                        }
                        unsigned r1 = l1->val[b - l1->loc], r2 = l2->val[b - l2->loc];
                        if (r1 != r2) {
                            continue;
                        }
                        char l[48], ws[160];
                        loc_str(c, b, l, sizeof l);
                        write_str(c, r1, ws, sizeof ws);
                        const struct race_ev *later = s1->op > s2->op ? s1 : s2;
                        const struct race_ev *other = later == s1 ? s2 : s1;
                        unsigned tl = later == s1 ? t1 : t2, to = later == s1 ? t2 : t1;
                        return verdict(c, "lost-update", later->op,
                                       "SC by t%u (write #%u) and SC by t%u at op %u (write #%u) "
                                       "both succeeded after LLs (ops %u, %u) that read %s at %s",
                                       tl, later->id, to, other->op, other->id,
                                       (later == s1 ? l1 : l2)->op, (later == s1 ? l2 : l1)->op, ws, l);
                    }
                }
            }
        }
    }
    return false;
}

/* ---- per-byte write order --------------------------------------------------- */

struct graph {
    unsigned n;
    uint8_t id[NW];          /* node -> write id */
    int node[NW];            /* write id -> node, -1 */
    uint64_t r[NW][NWORDS];  /* r[i] bit j: i before j */
};

static void edge(struct graph *g, unsigned a, unsigned b)
{
    g->r[a][b / 64] |= 1ULL << (b % 64);
}

static bool reach(const struct graph *g, unsigned a, unsigned b)
{
    return (g->r[a][b / 64] >> (b % 64)) & 1;
}

static void closure(struct graph *g)
{
    const unsigned words = (g->n + 63) / 64;
    for (unsigned k = 0; k < g->n; k++) {
        for (unsigned i = 0; i < g->n; i++) {
            if (reach(g, i, k)) {
                for (unsigned w = 0; w < words; w++) {
                    g->r[i][w] |= g->r[k][w];
                }
            }
        }
    }
}

static unsigned agent(const struct wr *w)
{
    return w->kind == REV_DMA ? 100u + w->thread : w->thread;
}

static bool check_byte(struct ctx *c, struct graph *g, uint32_t b)
{
    const struct race_hist *h = c->h;
    memset(g->node, -1, sizeof g->node);
    g->n = 1;
    g->id[0] = 0;
    g->node[0] = 0;
    for (unsigned id = 1; id < NW; id++) {
        const struct wr *w = &c->w[id];
        if (performed(w) && b >= w->loc && b < w->loc + w->size) {
            g->node[id] = (int)g->n;
            g->id[g->n++] = (uint8_t)id;
        }
    }
    const unsigned final = h->final[b];
    if (g->n == 1 && final == 0) {
        return false;
    }
    for (unsigned i = 0; i < g->n; i++) {
        memset(g->r[i], 0, sizeof g->r[i]);
    }
    for (unsigned i = 1; i < g->n; i++) {
        edge(g, 0, i);
    }
    /* Values were checked: every id read or held here is a node. */
    const unsigned fnode = (unsigned)g->node[final];
    for (unsigned i = 0; i < g->n; i++) {
        if (i != fnode) {
            edge(g, i, fnode);
        }
    }
    for (unsigned t = 0; t < h->nthreads; t++) {
        int last = -1;
        for (unsigned i = 0; i < h->nev[t]; i++) {
            const struct race_ev *e = &h->ev[t][i];
            if (!e->done || !covers(e, b)) {
                continue;
            }
            int n = -1;
            if (is_write(e) && (e->kind != REV_SC || e->ok) && e->id) {
                n = g->node[e->id];
            } else if (is_read(e)) {
                n = g->node[e->val[b - e->loc]];
            }
            if (n < 0) {
                continue;
            }
            if (last >= 0 && last != n) {
                edge(g, (unsigned)last, (unsigned)n);
            }
            last = n;
        }
    }
    closure(g);
    /* SC atomicity, to a fixpoint. */
    for (bool changed = true; changed;) {
        changed = false;
        for (unsigned t = 0; t < h->nthreads; t++) {
            for (unsigned i = 0; i < h->nev[t]; i++) {
                const struct race_ev *s = &h->ev[t][i];
                if (s->kind != REV_SC || !s->done || !s->ok || !covers(s, b) ||
                    c->ll_of[t][i] < 0) {
                    continue;
                }
                const struct race_ev *l = &h->ev[t][c->ll_of[t][i]];
                if (!covers(l, b)) {
                    continue;
                }
                const unsigned W = (unsigned)g->node[l->val[b - l->loc]];
                const unsigned S = (unsigned)g->node[s->id];
                const unsigned sa = agent(&c->w[s->id]);
                if (!reach(g, W, S)) {
                    edge(g, W, S);
                    changed = true;
                }
                for (unsigned x = 1; x < g->n; x++) {
                    if (x == W || x == S || agent(&c->w[g->id[x]]) == sa) {
                        continue;
                    }
                    if (reach(g, x, S) && !reach(g, x, W)) {
                        edge(g, x, W);
                        changed = true;
                    }
                    if (reach(g, W, x) && !reach(g, S, x)) {
                        edge(g, S, x);
                        changed = true;
                    }
                }
            }
        }
        if (changed) {
            closure(g);
        }
    }
    for (unsigned i = 0; i < g->n; i++) {
        if (reach(g, i, i)) {
            char l[48], ws[160], fs[160];
            loc_str(c, b, l, sizeof l);
            write_str(c, g->id[i], ws, sizeof ws);
            write_str(c, final, fs, sizeof fs);
            unsigned op = g->id[i] ? c->w[g->id[i]].op : 0;
            for (unsigned j = 1; j < g->n; j++) {
                if (reach(g, i, j) && reach(g, j, i) && c->w[g->id[j]].op > op) {
                    op = c->w[g->id[j]].op;
                }
            }
            return verdict(c, "coherence", op,
                           "no order of the %u writes of %s explains the run: %s would have to "
                           "come before itself (reads in program order, SC atomicity; at the "
                           "end it holds %s)",
                           g->n - 1, l, ws, fs);
        }
    }
    return false;
}

static bool check_coherence(struct ctx *c)
{
    struct graph *g = malloc(sizeof *g);
    bool bad = false;
    if (!g) {
        return verdict(c, "history", 0, "out of memory");
    }
    uint8_t *touched = calloc(c->h->nlocs ? c->h->nlocs : 1, 1);
    if (!touched) {
        free(g);
        return verdict(c, "history", 0, "out of memory");
    }
    for (unsigned id = 1; id < NW; id++) {
        const struct wr *w = &c->w[id];
        for (unsigned k = 0; performed(w) && k < w->size && w->loc + k < c->h->nlocs; k++) {
            touched[w->loc + k] = 1;
        }
    }
    for (uint32_t b = 0; b < c->h->nlocs && !bad; b++) {
        if (touched[b] || c->h->final[b]) {
            bad = check_byte(c, g, b);
        }
    }
    free(touched);
    free(g);
    return bad;
}

bool race_oracle_check(const struct race_hist *h, struct race_verdict *v)
{
    struct ctx *c = calloc(1, sizeof *c);
    bool bad;
    if (!c) {
        v->property = "history";
        v->op = 0;
        snprintf(v->msg, sizeof v->msg, "out of memory");
        return true;
    }
    c->h = h;
    c->v = v;
    bad = collect_writes(c) || check_monitors(c) || check_values(c) || check_lost_updates(c) ||
          check_coherence(c);
    free(c);
    return bad;
}
