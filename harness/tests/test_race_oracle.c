/*
 * test_race_oracle.c - the concurrent oracle (race_oracle.h) on hand-made
 * histories: each violation kind flagged, and a close history that must not
 * be flagged beside each. Prints PASS:/FAIL: lines; exit 1 on any FAIL.
 */
#include <stdio.h>
#include <string.h>

#include "race_oracle.h"

#define NLOCS 64

static struct race_hist h;
static uint8_t final[NLOCS];
static int failures;
static unsigned next_op;

static void reset(unsigned threads)
{
    memset(&h, 0, sizeof h);
    memset(final, 0, sizeof final);
    h.nthreads = threads;
    h.nlocs = NLOCS;
    h.final = final;
    next_op = 0;
}

static struct race_ev *ev(unsigned t, unsigned kind, uint32_t loc, unsigned size)
{
    struct race_ev *e = &h.ev[t][h.nev[t]++];
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->loc = loc;
    e->size = (uint8_t)size;
    e->done = true;
    e->op = next_op++;
    return e;
}

static void ll(unsigned t, uint32_t loc, unsigned size, unsigned id)
{
    struct race_ev *e = ev(t, REV_LL, loc, size);
    memset(e->val, id, size);
}

static void load(unsigned t, uint32_t loc, unsigned size, unsigned id)
{
    struct race_ev *e = ev(t, REV_LOAD, loc, size);
    memset(e->val, id, size);
}

static void wr(unsigned t, unsigned kind, uint32_t loc, unsigned size, unsigned id, bool ok)
{
    struct race_ev *e = ev(t, kind, loc, size);
    e->id = (uint8_t)id;
    e->ok = ok;
    if (kind != REV_SC || ok) {
        memset(final + loc, id, size);
    }
}

static void expect(const char *name, const char *prop)
{
    struct race_verdict v;
    bool bad = race_oracle_check(&h, &v);
    if (!prop && !bad) {
        printf("PASS: %s - clean\n", name);
    } else if (prop && bad && strcmp(v.property, prop) == 0) {
        printf("PASS: %s - %s: op %ld: %s\n", name, prop, v.op, v.msg);
    } else {
        printf("FAIL: %s - expected %s, got %s%s%s\n", name, prop ? prop : "clean",
               bad ? v.property : "clean", bad ? ": " : "", bad ? v.msg : "");
        failures++;
    }
}

int main(void)
{
    /* Lost update: both LLs read the initial 0, both SCs succeed. */
    reset(2);
    ll(0, 8, 4, 0);
    ll(1, 8, 4, 0);
    wr(0, REV_SC, 8, 4, 1, true);
    wr(1, REV_SC, 8, 4, 2, true);
    expect("lost update, two SCs from one write", "lost-update");
    reset(2);
    ll(0, 8, 4, 0);
    ll(1, 8, 4, 0);
    wr(0, REV_SC, 8, 4, 1, true);
    wr(1, REV_SC, 8, 4, 2, false);
    expect("the second SC failed", NULL);
    reset(2);
    ll(0, 8, 4, 0);
    wr(0, REV_SC, 8, 4, 1, true);
    ll(1, 8, 4, 1);
    wr(1, REV_SC, 8, 4, 2, true);
    expect("chained increments", NULL);
    reset(2);
    ll(0, 8, 4, 0);
    ll(1, 12, 4, 0);
    wr(0, REV_SC, 8, 4, 1, true);
    wr(1, REV_SC, 12, 4, 2, true);
    expect("disjoint words", NULL);

    /* A read of a value no write produced. */
    reset(2);
    load(0, 8, 4, 7);
    expect("read of an id never written", "read-no-write");
    reset(2);
    wr(0, REV_STORE, 8, 2, 1, true);
    load(1, 8, 4, 1);
    final[10] = final[11] = 0;
    expect("read of an id beyond its write's bytes", "read-no-write");
    reset(2);
    wr(0, REV_STORE, 8, 4, 1, true);
    load(1, 8, 4, 1);
    expect("read of a performed write", NULL);
    reset(1);
    wr(0, REV_STORE, 8, 4, 1, true);
    h.ev[0][0].done = false;
    memset(final + 8, 0, 4);
    load(0, 8, 4, 1);
    expect("read of a store that returned an error", "read-no-write");

    /* A failed SC that wrote. */
    reset(2);
    ll(0, 8, 4, 0);
    wr(0, REV_SC, 8, 4, 1, false);
    memset(final + 8, 1, 4);
    expect("failed SC's bytes in memory", "failed-sc-wrote");
    reset(2);
    ll(0, 8, 4, 0);
    wr(0, REV_SC, 8, 4, 1, false);
    load(1, 8, 1, 1);
    expect("failed SC's byte read", "failed-sc-wrote");
    reset(2);
    ll(0, 8, 4, 0);
    wr(0, REV_SC, 8, 4, 1, false);
    load(1, 8, 1, 0);
    expect("failed SC left memory alone", NULL);

    /* A successful SC after CLREX, after its own SC, with no LL. */
    reset(1);
    ll(0, 8, 4, 0);
    ev(0, REV_CLREX, 0, 0);
    wr(0, REV_SC, 8, 4, 1, true);
    expect("SC after CLREX", "sc-without-ll");
    reset(1);
    ll(0, 8, 4, 0);
    wr(0, REV_SC, 8, 4, 1, true);
    wr(0, REV_SC, 8, 4, 2, true);
    expect("SC after its own SC", "sc-without-ll");
    reset(1);
    wr(0, REV_SC, 8, 4, 1, true);
    expect("SC with no LL", "sc-without-ll");
    reset(1);
    ll(0, 8, 4, 0);
    ev(0, REV_CLREX, 0, 0);
    wr(0, REV_SC, 8, 4, 1, false);
    expect("failed SC after CLREX", NULL);
    reset(1);
    ll(0, 8, 4, 0);
    wr(0, REV_SC, 8, 4, 1, true);
    ll(0, 8, 4, 1);
    wr(0, REV_SC, 8, 4, 2, true);
    expect("LL SC LL SC", NULL);

    /* Final memory no write order explains. */
    reset(2);
    wr(0, REV_STORE, 8, 4, 1, true);
    wr(0, REV_STORE, 8, 4, 2, true);
    memset(final + 8, 1, 4);
    expect("final value older than the same thread's later store", "coherence");
    reset(2);
    wr(0, REV_STORE, 8, 4, 1, true);
    memset(final + 8, 0, 4);
    expect("final value the initial 0 after a store", "coherence");
    reset(2);
    wr(0, REV_STORE, 8, 4, 1, true);
    wr(1, REV_STORE, 8, 4, 2, true);
    memset(final + 8, 1, 4);
    expect("final value of either of two racing stores", NULL);
    /* Reads going backwards. */
    reset(2);
    wr(0, REV_STORE, 8, 4, 1, true);
    wr(0, REV_STORE, 8, 4, 2, true);
    load(1, 8, 4, 2);
    load(1, 8, 4, 1);
    expect("a thread reads a write, then an older one", "coherence");
    /* A store between an SC's LL and the SC, seen by a reader. */
    reset(3);
    ll(0, 8, 4, 0);
    wr(1, REV_STORE, 8, 4, 1, true);
    load(2, 8, 4, 1);
    wr(0, REV_SC, 8, 4, 2, true);
    load(2, 8, 4, 2);
    expect("SC succeeded over a store a reader saw in between", "coherence");
    reset(3);
    ll(0, 8, 4, 0);
    wr(1, REV_STORE, 8, 4, 1, true);
    wr(0, REV_SC, 8, 4, 2, true);
    load(2, 8, 4, 2);
    load(2, 8, 4, 1);
    memset(final + 8, 1, 4);
    expect("the store came after the SC", NULL);
    reset(2);
    ll(0, 8, 4, 0);
    wr(1, REV_DMA, 8, 4, 1, true);
    load(1, 8, 4, 1);
    wr(0, REV_SC, 8, 4, 2, true);
    expect("SC over a DMA its issuer saw before", "coherence");
    reset(1);
    ll(0, 8, 4, 0);
    wr(0, REV_STORE, 8, 4, 1, true);
    wr(0, REV_SC, 8, 4, 2, true);
    expect("own store between LL and SC (may succeed)", NULL);

    printf("%s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
