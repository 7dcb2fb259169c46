/*
 * test_ram.c - the RAM block layer and both exclusive bitmap layouts, white
 * box: ram_block_add's gap finding and growth, last_ram_offset over
 * max_length, the v6 cells (pages x EXCL_BITMAP_CELL_SZ bits, unused cluster
 * bits set, tails zeroed), the seed's four accessors and their sentinel, the
 * v8 RCU blocks, and what resize does to exclusivity.
 */
#include "check.h"
#include "internal.h"

#define KB 1024ULL

static uint64_t add(sut_machine *m, uint64_t size, uint64_t max)
{
    uint64_t off = UINT64_MAX;
    CHECK_EQ(sut_ram_block_add(m, size, max, size == max ? 0 : SUT_RAM_RESIZEABLE, &off), SUT_OK);
    return off;
}

static void t_find_ram_offset_gaps(void)
{
    for (int v = 0; v < SUT_NVARIANTS; v++) {
        sut_config c = tc_config((enum sut_variant)v);
        sut_machine *m = tc_machine_cfg(&c, 0);
        CHECK_EQ(add(m, 4 * KB, 4 * KB), 0);
        uint64_t b = add(m, 4 * KB, 4 * KB);
        CHECK_EQ(b, 4 * KB);
        CHECK_EQ(add(m, 4 * KB, 4 * KB), 8 * KB);
        CHECK_EQ(sut_ram_block_remove(m, b), SUT_OK);
        CHECK_EQ(add(m, 8 * KB, 8 * KB), 12 * KB);   /* does not fit the 4 KiB gap */
        CHECK_EQ(add(m, 2 * KB, 2 * KB), 4 * KB);    /* smallest gap that fits */
        CHECK_EQ(add(m, 1 * KB, 1 * KB), 6 * KB);
        CHECK_EQ(sut_last_ram_offset(m), 20 * KB);
        uint64_t off, used, max;
        unsigned flags, n = 0;
        uint64_t prev = 0;
        while (sut_ram_block_info(m, n, &off, &used, &max, &flags) == SUT_OK) {
            CHECK(n == 0 || off > prev, "blocks enumerate in offset order");
            prev = off;
            n++;
        }
        CHECK_EQ(n, 5);
        sut_free(m);
    }
}

/* Layouts worked out by hand from QEMU's rules (spec 2.1, 3.1): a new block
 * goes after the end of some block, into the smallest gap up to the next
 * block start; the gap after the last block runs to RAM_ADDR_MAX, so it is
 * never smaller than a gap between blocks; ties go to the first block of
 * the list, which is sorted by decreasing max_length (equal ones in the
 * order they were added); sizes are rounded up to whole pages. 1 KiB pages,
 * ram_limit 32 pages. */
static void t_find_ram_offset_qemu_rules(void)
{
    for (int v = 0; v < SUT_NVARIANTS; v++) {
        sut_config c = tc_config((enum sut_variant)v);
        c.ram_limit = 32 * KB;
        const char *vn = sut_variant_name(v);

        /* The example: blocks at pages [0,4) and [20,28). A 2-page
         * block goes into the gap [4,20), not after 28 (gap 4 up to
         * ram_limit, but RAM_ADDR_MAX for QEMU). 18 pages fit no gap
         * between blocks, and after 28 they pass ram_limit. */
        sut_machine *m = tc_machine_cfg(&c, 0);
        CHECK_EQ(add(m, 4 * KB, 4 * KB), 0);
        CHECK_EQ(add(m, 16 * KB, 16 * KB), 4 * KB);
        CHECK_EQ(add(m, 8 * KB, 8 * KB), 20 * KB);
        CHECK_EQ(sut_ram_block_remove(m, 4 * KB), SUT_OK);
        uint64_t off = 77;
        CHECK_EQ(sut_ram_block_add(m, 18 * KB, 18 * KB, 0, &off), SUT_ENOSPC);
        CHECK_EQ(add(m, 2 * KB, 2 * KB), 4 * KB);
        CHECK_EQ(add(m, 14 * KB, 14 * KB), 6 * KB);  /* exactly the gap left */
        CHECK_EQ(add(m, 2 * KB, 2 * KB), 28 * KB);   /* no gap between blocks left */
        sut_free(m);

        /* Different max_length: gaps of one page after A (1 page, at 0) and
         * after C (4 pages, at 2). C comes first in the list, so its gap
         * wins although A's is at the lower offset. */
        m = tc_machine_cfg(&c, 0);
        CHECK_EQ(add(m, 1 * KB, 1 * KB), 0);        /* A */
        CHECK_EQ(add(m, 1 * KB, 1 * KB), 1 * KB);   /* B */
        CHECK_EQ(add(m, 4 * KB, 4 * KB), 2 * KB);   /* C */
        CHECK_EQ(add(m, 1 * KB, 1 * KB), 6 * KB);   /* D */
        CHECK_EQ(add(m, 2 * KB, 2 * KB), 7 * KB);   /* E */
        CHECK_EQ(sut_ram_block_remove(m, 1 * KB), SUT_OK);
        CHECK_EQ(sut_ram_block_remove(m, 6 * KB), SUT_OK);
        CHECK(add(m, 1 * KB, 1 * KB) == 6 * KB, "%s: the gap after the larger block", vn);
        CHECK_EQ(add(m, 1 * KB, 1 * KB), 1 * KB);
        sut_free(m);

        /* Equal max_length: A (2 pages, at 0) and B (2, at 6) were added
         * before Q (2, placed at 2 once G left [2,6)). With F gone too, the
         * gaps after Q [4,6) and after B [8,10) are both 2 pages: B, added
         * first, comes first in the list and wins over Q's lower gap. */
        m = tc_machine_cfg(&c, 0);
        CHECK_EQ(add(m, 2 * KB, 2 * KB), 0);        /* A */
        CHECK_EQ(add(m, 4 * KB, 4 * KB), 2 * KB);   /* G */
        CHECK_EQ(add(m, 2 * KB, 2 * KB), 6 * KB);   /* B */
        CHECK_EQ(add(m, 2 * KB, 2 * KB), 8 * KB);   /* F */
        CHECK_EQ(add(m, 8 * KB, 8 * KB), 10 * KB);  /* C */
        CHECK_EQ(sut_ram_block_remove(m, 2 * KB), SUT_OK);
        CHECK_EQ(add(m, 2 * KB, 2 * KB), 2 * KB);   /* Q: the only gap between blocks */
        CHECK_EQ(sut_ram_block_remove(m, 8 * KB), SUT_OK);
        CHECK(add(m, 2 * KB, 2 * KB) == 8 * KB, "%s: the tie goes to the earlier block", vn);
        CHECK_EQ(add(m, 2 * KB, 2 * KB), 4 * KB);
        sut_free(m);

        /* Sizes round up to whole pages: 1500 bytes take 2 pages, and a
         * resizeable block of 2500 used, 3000 max has 3 pages of each. */
        m = tc_machine_cfg(&c, 0);
        CHECK_EQ(add(m, 1500, 1500), 0);
        uint64_t a = UINT64_MAX, used = 0, max = 0;
        CHECK_EQ(sut_ram_block_add(m, 2500, 3000, SUT_RAM_RESIZEABLE, &a), SUT_OK);
        CHECK_EQ(a, 2 * KB);
        CHECK_EQ(sut_ram_block_info(m, 1, &off, &used, &max, NULL), SUT_OK);
        CHECK(off == 2 * KB && used == 3 * KB && max == 3 * KB, "%s: 0x%llx 0x%llx 0x%llx", vn,
              (unsigned long long)off, (unsigned long long)used, (unsigned long long)max);
        CHECK_EQ(add(m, 1 * KB, 1 * KB), 5 * KB);
        sut_free(m);
    }
}

static void t_last_ram_offset_uses_max_length(void)
{
    sut_config c = tc_config(SUT_V6);
    sut_machine *m = tc_machine_cfg(&c, 0);
    uint64_t a = add(m, 1 * KB, 8 * KB);
    CHECK_EQ(sut_last_ram_offset(m), a + 8 * KB);
    CHECK_EQ(add(m, 1 * KB, 1 * KB), 8 * KB);    /* placed after max_length, not used */
    sut_free(m);
}

static uint64_t cell(sut_machine *m, uint64_t page)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < m->cfg.cell_sz; i++) {
        v |= (uint64_t)bm_test_bit((long)(page * m->cfg.cell_sz + i),
                                   m->flat[DIRTY_MEMORY_EXCLUSIVE]) << i;
    }
    return v;
}

/* ram_block_add grows the exclusive bitmap by pages x cell size and sets
 * whole cells of used pages, unused cluster bits included (I5); the tail
 * [used_length, max_length) keeps cells of 0 (W7). */
static void t_v6_cells_after_add(void)
{
    const unsigned cells[] = {1, 2, 4, 8, 16, 32, 64};
    for (unsigned i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        sut_config c = tc_config(SUT_V6);
        c.cell_sz = cells[i];
        sut_machine *m = tc_machine_cfg(&c, 0);
        uint64_t a = add(m, 3 * KB, 5 * KB);
        CHECK_EQ(m->dirty_pages, 5);
        uint64_t ones = c.cell_sz == 64 ? UINT64_MAX : (1ULL << c.cell_sz) - 1;
        for (uint64_t p = 0; p < 3; p++) {
            CHECK(cell(m, (a >> 10) + p) == ones, "cell %u: used page %llu", c.cell_sz,
                  (unsigned long long)p);
        }
        CHECK_EQ(cell(m, (a >> 10) + 3), 0);
        CHECK_EQ(cell(m, (a >> 10) + 4), 0);
        for (unsigned cl = 0; cl < DIRTY_MEMORY_EXCLUSIVE; cl++) {
            CHECK(dirty_get(m, a, cl), "client %u dirty after add", cl);
        }
        add(m, 8 * KB, 8 * KB);
        CHECK_EQ(m->dirty_pages, 13);
        CHECK(cell(m, 6) == ones, "cells of the first block survive the realloc");
        uint64_t bits, pages;
        CHECK_EQ(sut_excl_bitmap_size(m, &bits, &pages), SUT_OK);
        CHECK(pages == 13 && bits == 13 * c.cell_sz, "cell %u: %llu bits over %llu pages",
              c.cell_sz, (unsigned long long)bits, (unsigned long long)pages);
        sut_free(m);
    }
}

/* The seed's accessors, including the cpu == smp_cpus sentinel. */
static void t_v6_accessors(void)
{
    sut_config c = tc_config(SUT_V6);
    c.smp_cpus = c.max_cpus = 3;
    sut_machine *m = tc_machine_cfg(&c, 16 * KB);
    const uint64_t a = 2 * KB;
    CHECK(!cpu_physical_memory_atleast_one_excl(m, a), "starts all dirty");
    CHECK(cpu_physical_memory_set_excl_v6(m, a, 1), "bit 1 was dirty");
    CHECK(!cpu_physical_memory_set_excl_v6(m, a, 1), "bit 1 is now clean");
    CHECK_EQ(cell(m, 2), 0xfd);
    CHECK(cpu_physical_memory_atleast_one_excl(m, a), "one cluster exclusive");
    CHECK(!cpu_physical_memory_not_excl(m, a, 1), "vCPU1 exclusive");
    CHECK(cpu_physical_memory_not_excl(m, a, 4), "vCPU4 reads bit 4");
    CHECK(cpu_physical_memory_not_excl(m, a, 3), "sentinel: some of bits 0..2 dirty");
    CHECK(cpu_physical_memory_set_excl_v6(m, a, 3), "sentinel clears bits 0..2");
    CHECK_EQ(cell(m, 2), 0xf8);
    CHECK(!cpu_physical_memory_not_excl(m, a, 3), "sentinel: none dirty (bits 3..7 ignored)");
    cpu_physical_memory_unset_excl_v6(m, a, 9); /* 9 % 8 == 1 */
    CHECK_EQ(cell(m, 2), 0xfa);
    sut_free(m);
}

/* W1: a big-endian host's byte k is another page's cell. */
static void t_v6_byte_view_endianness(void)
{
    for (int be = 0; be < 2; be++) {
        sut_config c = tc_config(SUT_V6);
        c.big_endian_host = be;
        sut_machine *m = tc_machine_cfg(&c, 16 * KB);
        cpu_physical_memory_set_excl_v6(m, 1 * KB, 0); /* page 1's cell: 0xfe */
        CHECK(cpu_physical_memory_atleast_one_excl(m, 1 * KB) == !be, "page 1 via view");
        CHECK(cpu_physical_memory_atleast_one_excl(m, 6 * KB) == be, "page 6 via view");
        sut_free(m);
    }
}

/* Cells of 1, 2 and 4 bits share a byte with their neighbours: an LL makes
 * its own page exclusive and leaves the pages beside it alone, on a
 * little-endian host; a big-endian host's byte belongs to pages 56 further
 * on (cells of 1 bit: 8 per byte, 64 per word: byte 0 of the word as a BE
 * host loads it holds pages 56..63). */
static void t_v6_sub_byte_cells(void)
{
    for (unsigned n = 1; n <= 4; n *= 2) {
        sut_config c = tc_config(SUT_V6);
        c.cell_sz = n;
        sut_machine *m = tc_machine_cfg(&c, 64 * KB);
        tc_ll(m, 0, 5 * KB + 8);
        for (uint64_t p = 3; p <= 7; p++) {
            CHECK(sut_page_is_exclusive(m, p * KB) == (p == 5), "cell %u: page %llu", n,
                  (unsigned long long)p);
        }
        /* Both vCPUs' bits clear; bits beyond smp_cpus (2) stay 1 (I5). */
        CHECK_EQ(cell(m, 5), ((1u << n) - 1) & ~3u);
        CHECK_EQ(tc_sc(m, 0, 5 * KB + 8, 1), 0);
        CHECK(!sut_page_is_exclusive(m, 5 * KB) || n > 1,
              "cell 1: the SC set the only bit back, the page is released");
        sut_free(m);

        c.big_endian_host = true;
        m = tc_machine_cfg(&c, 64 * KB);
        cpu_physical_memory_set_excl_v6(m, 0, 0); /* page 0, bit 0 */
        const uint64_t per_byte = 8 / n, per_word = 64 / n;
        const uint64_t twin = per_word - per_byte; /* first cell of the word's BE byte 0 */
        CHECK(!cpu_physical_memory_atleast_one_excl(m, 0), "cell %u: page 0 via BE view", n);
        CHECK(cpu_physical_memory_atleast_one_excl(m, twin * KB), "cell %u: page %llu via BE view",
              n, (unsigned long long)twin);
        sut_free(m);
    }
}

/* v8: RCU blocks; growth publishes a new array and keeps every block. */
static void t_v8_blocks_stable(void)
{
    sut_config c = tc_config(SUT_V8);
    c.dirty_block_bits = 6; /* 64 pages per block */
    sut_machine *m = tc_machine_cfg(&c, 0);
    add(m, 64 * KB, 64 * KB);
    dirty_blocks *before = m->blocks[DIRTY_MEMORY_EXCLUSIVE];
    unsigned long *block0 = before->blocks[0];
    CHECK_EQ(before->n, 1);
    add(m, 100 * KB, 100 * KB);
    dirty_blocks *after = m->blocks[DIRTY_MEMORY_EXCLUSIVE];
    CHECK_EQ(after->n, 3);
    CHECK(after != before && after->blocks[0] == block0, "old block kept, array republished");
    CHECK(!sut_page_is_exclusive(m, 150 * KB), "used pages are non-exclusive");
    CHECK(cpu_physical_memory_set_excl(m, 150 * KB), "set_excl returns the previous bit");
    CHECK(!cpu_physical_memory_set_excl(m, 150 * KB), "second set_excl: already exclusive");
    CHECK(sut_page_is_exclusive(m, 150 * KB), "exclusive now");
    sut_free(m);
}

/* An out-of-bounds index into the exclusive bitmap is counted on every path:
 * v6's cell accessors and v8's test_bit alike; introspection counts nothing. */
static void t_excl_bitmap_oob_counted(void)
{
    for (int v = SUT_V6; v <= SUT_V8; v++) {
        sut_config c = tc_config((enum sut_variant)v);
        c.dirty_block_bits = 6;
        sut_machine *m = tc_machine_cfg(&c, 16 * KB);
        const uint64_t past = 1 << 20; /* page 1024: beyond 16 pages of storage */
        sut_stats s;
        CHECK(!sut_page_is_exclusive(m, past), "%s: past the storage", sut_variant_name(v));
        sut_get_stats(m, &s);
        CHECK_EQ(s.excl_bitmap_oob, 0);
        if (v == SUT_V6) {
            CHECK(cpu_physical_memory_not_excl(m, past, 0), "v6: OOB cell reads dirty");
        } else {
            CHECK(!cpu_physical_memory_is_excl(m, past), "v8: OOB bit reads not exclusive");
        }
        sut_get_stats(m, &s);
        CHECK_EQ(s.excl_bitmap_oob, 1);
        sut_free(m);
    }
}

/* Resize re-sets the exclusive state of the whole used range (spec 3.2):
 * a live reservation's page loses exclusivity on v6/v8, not on fixed. */
static void t_resize_wipes_exclusivity(void)
{
    for (int v = SUT_V6; v <= SUT_FIXED; v++) {
        sut_config c = tc_config((enum sut_variant)v);
        sut_machine *m = tc_machine_cfg(&c, 0);
        uint64_t a = add(m, 8 * KB, 16 * KB);
        tc_ll(m, 0, a + 0x408);
        CHECK(sut_page_is_exclusive(m, a + 0x408), "%s: LL made the page exclusive",
              sut_variant_name(v));
        CHECK_EQ(sut_ram_resize(m, a, 12 * KB), SUT_OK);
        CHECK(sut_page_is_exclusive(m, a + 0x408) == (v == SUT_FIXED),
              "%s: exclusivity after resize", sut_variant_name(v));
        CHECK(!sut_page_is_exclusive(m, a + 10 * KB), "new pages non-exclusive");
        /* Shrinking unmaps; bytes come back when it grows again. */
        tc_st(m, 1, a + 11 * KB, 0x77);
        CHECK_EQ(sut_ram_resize(m, a, 8 * KB), SUT_OK);
        uint64_t val;
        CHECK_EQ(sut_load(m, 1, 0, a + 11 * KB, 4, false, &val), SUT_EFAULT);
        CHECK_EQ(sut_ram_resize(m, a, 12 * KB), SUT_OK);
        CHECK_EQ(tc_ld(m, 1, a + 11 * KB), 0x77);
        sut_free(m);
    }
}

/* Every RAM-map change flushes every vCPU's TLB (spec 3.2): a block added,
 * grown or shrunk. At once with one TCG thread; under MTTCG the flush is
 * queued and the entry survives until the vCPU services its work. Failed
 * changes and a resize to the same size flush nothing. */
static void t_map_changes_flush_every_tlb(void)
{
    for (unsigned f = 0; f < tc_nflavours; f++) {
        const struct tc_flavour *fl = &tc_flavours[f];
        sut_config c = tc_config(fl->variant);
        c.mttcg = fl->mttcg;
        sut_machine *m = tc_machine_cfg(&c, 0);
        uint64_t a = add(m, 8 * KB, 16 * KB), off;
        tc_run_all_work(m);
        for (int step = 0; step < 5; step++) {
            tc_st(m, 1, a + 0x408, 7);
            CHECK(sut_tlb_write_flags(m, 1, 0, a + 0x408) >= 0, "%s step %d: entry filled",
                  fl->name, step);
            int rc;
            bool changes = true;
            switch (step) {
            case 0: rc = sut_ram_block_add(m, 4 * KB, 4 * KB, 0, &off); break;
            case 1: rc = sut_ram_resize(m, a, 12 * KB); break;   /* grow */
            case 2: rc = sut_ram_resize(m, a, 10 * KB); break;   /* shrink */
            case 3: rc = sut_ram_resize(m, a, 10 * KB); changes = false; break;
            default: rc = sut_ram_block_add(m, 1 << 20, 1 << 20, 0, &off); changes = false;
                     CHECK_EQ(rc, SUT_ENOSPC); rc = SUT_OK; break;
            }
            CHECK_EQ(rc, SUT_OK);
            bool gone = sut_tlb_write_flags(m, 1, 0, a + 0x408) < 0;
            CHECK(gone == (changes && !fl->mttcg), "%s step %d: entry %s at once", fl->name,
                  step, gone ? "flushed" : "kept");
            tc_run_all_work(m);
            gone = sut_tlb_write_flags(m, 1, 0, a + 0x408) < 0;
            CHECK(gone == changes, "%s step %d: entry %s after the work ran", fl->name, step,
                  gone ? "flushed" : "kept");
        }
        sut_free(m);
    }
}

int main(void)
{
    check_suite = "sut/ram";
    RUN(t_find_ram_offset_gaps);
    RUN(t_find_ram_offset_qemu_rules);
    RUN(t_last_ram_offset_uses_max_length);
    RUN(t_v6_cells_after_add);
    RUN(t_v6_accessors);
    RUN(t_v6_byte_view_endianness);
    RUN(t_v6_sub_byte_cells);
    RUN(t_v8_blocks_stable);
    RUN(t_resize_wipes_exclusivity);
    RUN(t_map_changes_flush_every_tlb);
    RUN(t_excl_bitmap_oob_counted);
    return check_done();
}
