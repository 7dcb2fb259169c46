/*
 * test_positive.c - what the design gets right (spec 4.3), on every variant
 * and flavour: a store by another vCPU to the reserved bytes fails the SC,
 * a store elsewhere in the page does not, ABA still fails the SC (except on
 * cmpxchg, whose only weakness it is), competing SCs: at most one succeeds,
 * an uncontended LL/SC succeeds on the first try.
 */
#include <stdio.h>

#include "check.h"

#define X 0x1008
#define P_OTHER 0x1100 /* same 1 KiB page as X, not overlapping */

static sut_machine *flavour_machine(const struct tc_flavour *f)
{
    sut_config c = tc_config(f->variant);
    c.mttcg = f->mttcg;
    return tc_machine_cfg(&c, 64 << 10);
}

static void for_each_flavour(void (*body)(sut_machine *m, const struct tc_flavour *f))
{
    for (unsigned i = 0; i < tc_nflavours; i++) {
        sut_machine *m = flavour_machine(&tc_flavours[i]);
        body(m, &tc_flavours[i]);
        sut_free(m);
    }
}

static void other_store_fails_sc(sut_machine *m, const struct tc_flavour *f)
{
    tc_st(m, 1, X, 7);            /* vCPU1 has a plain entry for the page */
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    tc_st(m, 1, X, 0x2a);
    CHECK_EQ(tc_sc(m, 0, X, 99), 1);
    CHECK(tc_peek32(m, X) == 0x2a, "%s: memory holds the other vCPU's store", f->name);
}

static void t_other_store_fails_sc(void)
{
    for_each_flavour(other_store_fails_sc);
}

static void same_page_store_keeps_sc(sut_machine *m, const struct tc_flavour *f)
{
    tc_st(m, 1, P_OTHER, 7);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    tc_st(m, 1, P_OTHER, 8);
    CHECK(tc_sc(m, 0, X, 99) == 0, "%s: failure is per byte, not per page", f->name);
    CHECK_EQ(tc_peek32(m, X), 99);
}

static void t_same_page_store_keeps_sc(void)
{
    for_each_flavour(same_page_store_keeps_sc);
}

static void aba(sut_machine *m, const struct tc_flavour *f)
{
    tc_st(m, 0, X, 5);
    uint64_t v = tc_ll(m, 0, X);
    tc_run_all_work(m);
    tc_st(m, 1, X, v + 1);
    tc_st(m, 1, X, v);            /* write the LL'd value back */
    int st = tc_sc(m, 0, X, 99);
    if (f->variant == SUT_CMPXCHG) {
        CHECK(st == 0, "%s: cmpxchg is ABA-blind (E1)", f->name);
    } else {
        CHECK(st == 1, "%s: ABA must still fail the SC", f->name);
    }
}

static void t_aba(void)
{
    for_each_flavour(aba);
}

static void competing_scs(sut_machine *m, const struct tc_flavour *f)
{
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    tc_ll(m, 1, X);
    tc_run_all_work(m);
    int a = tc_sc(m, 0, X, 1);
    int b = tc_sc(m, 1, X, 2);
    CHECK(a == 0 || b == 0 ? a != b : true, "%s: both SCs succeeded", f->name);
    CHECK(a == 0 && b == 1, "%s: first SC wins (%d, %d)", f->name, a, b);
}

static void t_competing_scs(void)
{
    for_each_flavour(competing_scs);
}

static void uncontended(sut_machine *m, const struct tc_flavour *f)
{
    for (int i = 0; i < 10; i++) {
        uint64_t v = tc_ll(m, 0, X);
        tc_run_all_work(m);
        CHECK(tc_sc(m, 0, X, v + 1) == 0, "%s: iteration %d", f->name, i);
    }
    CHECK_EQ(tc_peek32(m, X), 10);
}

static void t_uncontended_first_try(void)
{
    for_each_flavour(uncontended);
}

/* SC with no LL at all must fail everywhere. */
static void bare_sc(sut_machine *m, const struct tc_flavour *f)
{
    CHECK(tc_sc(m, 0, X, 1) == 1, "%s", f->name);
    CHECK_EQ(tc_peek32(m, X), 0);
}

static void t_bare_sc_fails(void)
{
    for_each_flavour(bare_sc);
}

int main(void)
{
    check_suite = "sut/positive";
    RUN(t_other_store_fails_sc);
    RUN(t_same_page_store_keeps_sc);
    RUN(t_aba);
    RUN(t_competing_scs);
    RUN(t_uncontended_first_try);
    RUN(t_bare_sc_fails);
    return check_done();
}
