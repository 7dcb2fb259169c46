/*
 * test_weakness.c - one minimal trigger per expressible weakness of spec
 * 4.2, run on every flavour (v6-ST, v6-MT, v8, v8-mttcg, fixed, fixed-mttcg,
 * cmpxchg). Each trigger returns whether the wrong outcome happened; the table
 * names exactly the flavours it must happen on, and it must not happen on any
 * other - fixed above all, the negative control.
 *
 * Addresses: 1 KiB pages, one 64 KiB RAM block at ram_addr 0.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

#define X 0x1008        /* page 4 */
#define Z 0x1100        /* page 4, not overlapping X */
#define Y 0x2010        /* page 8 */
#define MMIO(off) (SUT_MMIO_BASE + (off))

static sut_stats stats_of(sut_machine *m)
{
    sut_stats s;
    sut_get_stats(m, &s);
    return s;
}

/* Another vCPU's store lands between LL and SC; did the SC still succeed? */
static bool lost_update(sut_machine *m, unsigned a, unsigned b, uint64_t addr)
{
    tc_st(m, b, addr, 0x2a);
    return tc_sc(m, a, addr, 99) == 0;
}

/* W1: the byte view of a BE host reads page 6's cell for page 1: vCPU1's
 * refill sees "all dirty" and gets no TLB_EXCL. */
static bool w1(sut_config *c)
{
    c->big_endian_host = true;
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_st(m, 1, 0x408, 7);
    tc_ll(m, 0, 0x408);
    tc_run_all_work(m);
    bool r = lost_update(m, 0, 1, 0x408);
    sut_free(m);
    return r;
}

/* W3: vCPU8 shares vCPU0's cluster bit, reads clean, is not flushed. */
static bool w3(sut_config *c)
{
    c->smp_cpus = c->max_cpus = 9;
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_st(m, 8, X, 7);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    bool r = lost_update(m, 0, 8, X);
    sut_free(m);
    return r;
}

/* W4: vCPU0's entry in MMU mode 1 predates its LL and keeps fast stores,
 * which then miss vCPU1's reservation. */
static bool w4(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    CHECK_EQ(sut_store(m, 0, 1, X, 4, false, 7), SUT_OK);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    tc_ll(m, 1, X);
    tc_run_all_work(m);
    CHECK_EQ(sut_store(m, 0, 1, X, 4, false, 0x2a), SUT_OK);
    bool r = tc_sc(m, 1, X, 99) == 0;
    sut_free(m);
    return r;
}

/* W5: the flush of vCPU1 is queued; it stores before its next TB boundary. */
static bool w5(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_st(m, 1, X, 7);
    tc_ll(m, 0, X);
    bool r = lost_update(m, 0, 1, X);
    sut_free(m);
    return r;
}

/* W6 (v6): evictions by both vCPUs make the cell 0xFF; A's SC refills
 * without TLB_EXCL and succeeds although B's store reset its range. */
static bool w6_v6(sut_config *c)
{
    c->tlb_bits = 1;
    c->vtlb_size = 0;
    const uint64_t conflict = X + 2 * 1024; /* same TLB index */
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    tc_st(m, 1, X, 0x2a);
    tc_ld(m, 1, conflict);
    tc_ld(m, 0, conflict);
    bool r = tc_sc(m, 0, X, 99) == 0;
    sut_free(m);
    return r;
}

/* W6 (v8): two new exclusive pages wrap a history of 2 and release X's page
 * while A's reservation is live. */
static bool w6_v8(sut_config *c)
{
    c->history_len = 2;
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    tc_ll(m, 1, Y);
    tc_run_all_work(m);
    tc_ll(m, 1, Y + 0x400);
    tc_run_all_work(m);
    bool r = lost_update(m, 0, 1, X);
    sut_free(m);
    return r;
}

/* W7: a tail page [used_length, max_length) starts out "exclusive". */
static bool w7(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 0);
    uint64_t off;
    CHECK_EQ(sut_ram_block_add(m, 4 << 10, 8 << 10, SUT_RAM_RESIZEABLE, &off), SUT_OK);
    bool r = sut_page_is_exclusive(m, off + (5 << 10));
    CHECK_EQ(sut_ram_resize(m, off, 8 << 10), SUT_OK);
    CHECK(!sut_page_is_exclusive(m, off + (5 << 10)), "resize re-sets the tail");
    sut_free(m);
    return r;
}

/* W8: an MMIO SC is never validated. */
static bool w8_mmio(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, MMIO(0x100));
    tc_run_all_work(m);
    bool r = lost_update(m, 0, 1, MMIO(0x100));
    sut_free(m);
    return r;
}

/* W9: after a successful SC, a flush, then a bare SC. */
static bool w9(sut_config *c)
{
    c->smp_cpus = c->max_cpus = 1;
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, X);
    CHECK_EQ(tc_sc(m, 0, X, 1), 0);
    CHECK_EQ(sut_tlb_flush(m, 0), SUT_OK);
    bool r = tc_sc(m, 0, X, 2) == 0;
    sut_free(m);
    return r;
}

/* W10: CLREX does nothing. */
static bool w10(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    CHECK_EQ(sut_clrex(m, 0), SUT_OK);
    bool r = tc_sc(m, 0, X, 1) == 0;
    sut_free(m);
    return r;
}

/* W11: an LL on an already fully exclusive page leaves exit_flush_request at
 * 1; a later LL on another page then flushes nobody. */
static bool w11(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    for (int i = 0; i < 3; i++) {
        tc_ll(m, 0, X);
        tc_run_all_work(m);
    }
    tc_st(m, 1, Y, 7);
    tc_ll(m, 0, Y);
    tc_run_all_work(m);
    bool r = lost_update(m, 0, 1, Y);
    sut_free(m);
    return r;
}

/* W11b: a second LL on the same address re-fills its TLB entry. */
static bool w11b(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    uint64_t before = stats_of(m).tlb_fills;
    tc_ll(m, 0, X);
    bool r = stats_of(m).tlb_fills > before;
    sut_free(m);
    return r;
}

/* W12: a big-endian SC through the exclusive branch stores little-endian. */
static bool w12(sut_config *c)
{
    c->smp_cpus = c->max_cpus = 1;
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    uint64_t v;
    int st = -1;
    uint8_t b[4];
    CHECK_EQ(sut_ll(m, 0, 0, X, 4, true, &v), SUT_OK);
    CHECK_EQ(sut_sc(m, 0, 0, X, 4, true, 0x11223344, &st), SUT_OK);
    CHECK_EQ(st, 0);
    sut_peek(m, X, b, 4);
    bool r = !(b[0] == 0x11 && b[1] == 0x22 && b[2] == 0x33 && b[3] == 0x44);
    sut_free(m);
    return r;
}

/* W13 / W13b: an SC that crosses into a page mapped elsewhere. Returns 1 for
 * a successful SC that wrote the wrong bytes (W13), 2 for a failed SC that
 * wrote some (W13b), 0 for a coherent outcome. */
static int w13_outcome(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    const uint64_t x = 0x83fe; /* 2 bytes before the end of page 32 */
    uint8_t before[2][8], after[2][8];
    uint64_t v;
    int st = -1, r = 0;

    CHECK_EQ(sut_map_page(m, 0x8400, 0x2000), SUT_OK);
    if (sut_ll(m, 0, 0, x, 4, false, &v) != SUT_OK) {
        sut_free(m); /* the variant refuses unaligned exclusives */
        return 0;
    }
    sut_peek(m, 0x83fc, before[0], 8);
    sut_peek(m, 0x1ffc, before[1], 8);
    if (sut_sc(m, 0, 0, x, 4, false, 0xaabbccdd, &st) == SUT_OK) {
        sut_peek(m, 0x83fc, after[0], 8);
        sut_peek(m, 0x1ffc, after[1], 8);
        bool changed = memcmp(before, after, sizeof(before)) != 0;
        bool right = after[0][2] == 0xdd && after[0][3] == 0xcc && after[1][4] == 0xbb &&
                     after[1][5] == 0xaa && after[0][4] == before[0][4] &&
                     after[0][5] == before[0][5];
        r = st == 0 ? (right ? 0 : 1) : (changed ? 2 : 0);
    }
    sut_free(m);
    return r;
}

static bool w13(sut_config *c)
{
    return w13_outcome(c) == 1;
}

static bool w13b(sut_config *c)
{
    return w13_outcome(c) == 2;
}

/* W14: a notdirty write through the LL-ing vCPU's own other entry sets the
 * exclusive client, so the page stops being exclusive under a reservation. */
static bool w14(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    uint64_t v;
    CHECK_EQ(sut_protect_code(m, X), SUT_OK);
    CHECK_EQ(sut_load(m, 0, 1, Z, 4, false, &v), SUT_OK);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    CHECK_EQ(sut_store(m, 0, 1, Z, 4, false, 5), SUT_OK);
    bool r = lost_update(m, 0, 1, X);
    sut_free(m);
    return r;
}

/* W15 (v6): TLB_EXCL | TLB_NOTDIRTY sends the SC down the IO path. */
static bool w15_v6(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    CHECK_EQ(sut_protect_code(m, X), SUT_OK);
    bool r = lost_update(m, 0, 1, X);
    sut_free(m);
    return r;
}

/* W15 (v8): the exclusive branch writes a code page without invalidating
 * its translations. */
static bool w15_code(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    CHECK_EQ(sut_protect_code(m, X), SUT_OK);
    tc_sc(m, 0, X, 99);
    bool r = tc_peek32(m, X) == 99 && sut_code_invalidations(m, X) == 0;
    sut_free(m);
    return r;
}

/* W15 (ROM): an exclusive pair on ROM writes it (v8) or reports success
 * without writing (v6). */
static bool w15_rom(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    uint64_t rom;
    CHECK_EQ(sut_ram_block_add(m, 4 << 10, 4 << 10, SUT_RAM_ROM, &rom), SUT_OK);
    tc_ll(m, 0, rom + 8);
    tc_run_all_work(m);
    int st = tc_sc(m, 0, rom + 8, 0x55);
    bool wrote = tc_peek32(m, rom + 8) == 0x55;
    sut_free(m);
    return wrote || st == 0;
}

/* W16 (v6): an MMIO LL indexes the RAM bitmap with a region offset. */
static bool w16_oob(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 4 << 10);
    tc_ll(m, 0, MMIO(0x8000));
    bool r = stats_of(m).excl_bitmap_oob > 0;
    sut_free(m);
    return r;
}

/* W16 (v8): an MMIO store resets a RAM reservation with the same number:
 * only a spurious failure (allowed by the oracle, a liveness cost). */
static bool w16_spurious(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, 0x100);
    tc_run_all_work(m);
    tc_ll(m, 1, MMIO(0x100));
    tc_run_all_work(m);
    tc_st(m, 1, MMIO(0x100), 3);
    bool r = tc_sc(m, 0, 0x100, 99) == 1;
    sut_free(m);
    return r;
}

/* W17: hot-plugged vCPU2 == smp_cpus is the "all vCPUs" sentinel. */
static bool w17(sut_config *c)
{
    c->smp_cpus = 2;
    c->max_cpus = 3;
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_st(m, 0, X, 7);
    tc_ll(m, 2, X);
    tc_run_all_work(m);
    bool r = lost_update(m, 2, 0, X);
    sut_free(m);
    return r;
}

/* W17 at run time: a page was armed, then vCPU2 is plugged in with
 * cpu_index == smp_cpus and hits the sentinel. */
static bool w17_plug(sut_config *c)
{
    unsigned idx = 0;
    c->smp_cpus = c->max_cpus = 2;
    c->plug_cpus = 1;
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 1, Y);
    tc_run_all_work(m);
    tc_st(m, 0, X, 7);
    CHECK_EQ(sut_cpu_plug(m, &idx), SUT_OK);
    CHECK_EQ(idx, 2);
    tc_ll(m, 2, X);
    tc_run_all_work(m);
    bool r = lost_update(m, 2, 0, X);
    sut_free(m);
    return r;
}

/* W19: an unaligned MMIO store is done bytewise and full width: the
 * device's log shows each byte twice. */
static bool w19(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    uint64_t total = 0;
    CHECK_EQ(sut_store(m, 1, 0, MMIO(0x101), 4, false, 0x11223344), SUT_OK);
    sut_mmio_log(m, 0, NULL, 0, &total);
    bool r = total != 4;
    CHECK_EQ(tc_peek32(m, MMIO(0x101)), 0x11223344);
    sut_free(m);
    return r;
}

/* An access at 0x1ffe crossing from page 7, the last used page of a block
 * of used 8 KiB (max: max_kb), into virtual page 0x2000, aliased to 0x400.
 * A write that goes on through page 7's host memory lands at 0x2000: in the
 * block's unmapped tail [used, max) when there is one (done, and visible to
 * sut_peek), past its host memory when not (counted, not done). */
static sut_machine *crossing_machine(sut_config *c, unsigned max_kb)
{
    sut_machine *m = tc_machine_cfg(c, 0);
    uint64_t off;
    CHECK_EQ(sut_ram_block_add(m, 8 << 10, (uint64_t)max_kb << 10,
                               max_kb == 8 ? 0 : SUT_RAM_RESIZEABLE, &off), SUT_OK);
    CHECK_EQ(off, 0);
    CHECK_EQ(sut_map_page(m, 0x2000, 0x400), SUT_OK);
    tc_run_all_work(m);
    return m;
}

static bool tail_written(sut_machine *m)
{
    return tc_peek32(m, 0x2000) != 0;
}

/* W13 into the tail: v6's exclusive branch does not split the SC. */
static bool w13_tail(sut_config *c)
{
    sut_machine *m = crossing_machine(c, 16);
    uint64_t v;
    int st = -1;
    bool r = false;
    if (sut_ll(m, 0, 0, 0x1ffe, 4, false, &v) == SUT_OK) {
        CHECK_EQ(sut_sc(m, 0, 0, 0x1ffe, 4, false, 0xaabbccdd, &st), SUT_OK);
        r = tail_written(m);
    }
    sut_free(m);
    return r;
}

/* W13 past the block: the same SC on a block without a tail. */
static bool w13_host(sut_config *c)
{
    sut_machine *m = crossing_machine(c, 8);
    uint64_t v;
    int st = -1;
    bool r = false;
    if (sut_ll(m, 0, 0, 0x1ffe, 4, false, &v) == SUT_OK) {
        CHECK_EQ(sut_sc(m, 0, 0, 0x1ffe, 4, false, 0xaabbccdd, &st), SUT_OK);
        r = stats_of(m).host_oob_write > 0;
    }
    sut_free(m);
    return r;
}

/* W19 on RAM: an unaligned store through a NOTDIRTY entry (a code page) is
 * done bytewise, then full width through notdirty_mem_write, which runs past
 * the page into the tail. */
static bool w19_tail(sut_config *c)
{
    sut_machine *m = crossing_machine(c, 16);
    CHECK_EQ(sut_protect_code(m, 0x1c00), SUT_OK);
    CHECK_EQ(sut_store(m, 1, 0, 0x1ffe, 4, false, 0xaabbccdd), SUT_OK);
    bool r = tail_written(m);
    sut_free(m);
    return r;
}

/* W20: DMA writes never reset reservations. */
static bool w20(sut_config *c)
{
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    tc_ll(m, 0, X);
    tc_run_all_work(m);
    CHECK_EQ(sut_dma_write(m, X, 4, 0x2a), SUT_OK);
    bool r = tc_sc(m, 0, X, 99) == 0;
    sut_free(m);
    return r;
}

/* W22 (cost): a page that newly becomes exclusive flushes every other
 * vCPU's whole TLB; fixed keeps this cost (it is not a correctness bug). */
static bool w22(sut_config *c)
{
    c->smp_cpus = c->max_cpus = 4;
    sut_machine *m = tc_machine_cfg(c, 64 << 10);
    uint64_t before = stats_of(m).flushes_full + stats_of(m).flushes_queued;
    tc_ll(m, 0, X);
    uint64_t after = stats_of(m).flushes_full + stats_of(m).flushes_queued;
    sut_free(m);
    return after - before >= 3;
}

struct wtest {
    const char *id;
    const char *shows; /* the flavours it must show on; none of the others */
    bool (*trigger)(sut_config *c);
};

static const struct wtest wtests[] = {
    {"W1", "v6-ST v6-MT", w1},
    {"W3", "v6-ST", w3},
    {"W4", "v6-ST v6-MT v8 v8-mttcg", w4},
    {"W5", "v6-MT v8-mttcg", w5},
    {"W6-v6", "v6-ST v6-MT", w6_v6},
    {"W6-v8", "v8 v8-mttcg", w6_v8},
    {"W7", "v6-ST v6-MT v8 v8-mttcg", w7},
    {"W8-mmio", "v6-ST v6-MT v8 v8-mttcg", w8_mmio},
    {"W9", "v6-ST v6-MT", w9},
    {"W10", "v6-ST v6-MT", w10},
    {"W11", "v6-MT", w11},
    {"W11b", "v6-MT", w11b},
    {"W12", "v6-ST v6-MT", w12},
    {"W13", "v6-ST v6-MT", w13},
    {"W13b", "v8 v8-mttcg", w13b},
    {"W13-tail", "v6-ST v6-MT", w13_tail},
    {"W13-host", "v6-ST v6-MT", w13_host},
    {"W14", "v6-ST v6-MT v8 v8-mttcg", w14},
    {"W15-v6", "v6-ST v6-MT", w15_v6},
    {"W15-code", "v8 v8-mttcg", w15_code},
    {"W15-rom", "v6-ST v6-MT v8 v8-mttcg", w15_rom},
    {"W16-oob", "v6-ST v6-MT", w16_oob},
    {"W16-spurious", "v8 v8-mttcg", w16_spurious},
    {"W17", "v6-ST", w17},
    {"W17-plug", "v6-ST", w17_plug},
    {"W19", "v8 v8-mttcg", w19},
    {"W19-tail", "v8 v8-mttcg", w19_tail},
    {"W20", "v6-ST v6-MT v8 v8-mttcg", w20},
    {"W22", "v6-ST v6-MT v8 v8-mttcg fixed fixed-mttcg", w22},
};

static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)); p += n) {
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) {
            return true;
        }
    }
    return false;
}

/* check_run takes a plain function: the case under test lives here. */
static const struct wtest *cur_w;
static sut_config cur_cfg;
static bool cur_expect;

static void run_case(void)
{
    sut_config c = cur_cfg;
    bool shown = cur_w->trigger(&c);
    CHECK(shown == cur_expect, "%s %s here", cur_w->id,
          cur_expect ? "must show but did not" : "must not show but did");
}

int main(void)
{
    check_suite = "sut/weakness";
    for (size_t i = 0; i < sizeof(wtests) / sizeof(wtests[0]); i++) {
        for (unsigned f = 0; f < tc_nflavours; f++) {
            const struct tc_flavour *fl = &tc_flavours[f];
            char name[64];
            snprintf(name, sizeof(name), "%s/%s", wtests[i].id, fl->name);
            cur_w = &wtests[i];
            cur_cfg = tc_config(fl->variant);
            cur_cfg.mttcg = fl->mttcg;
            cur_expect = listed(wtests[i].shows, fl->name);
            check_run(name, run_case);
        }
    }
    return check_done();
}
