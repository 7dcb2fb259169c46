/*
 * test_api.c - bad input gets a clear error, never an abort: invalid knobs,
 * RAM sizes, resizes, addresses, vCPUs and access sizes.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

static void t_bad_knobs(void)
{
    sut_config c;
    int err = 0;
    struct { const char *what; void (*set)(sut_config *); } cases[] = {
        {"0 vCPUs", NULL}, {"65 vCPUs", NULL}, {"max_cpus < smp", NULL},
        {"page bits 9", NULL}, {"page bits 17", NULL}, {"tlb bits 0", NULL},
        {"tlb bits 9", NULL}, {"vtlb 17", NULL}, {"0 mmu modes", NULL},
        {"8 mmu modes", NULL}, {"cell 12", NULL}, {"history 0", NULL},
        {"history too long", NULL}, {"ram limit unaligned", NULL},
        {"ram limit too big", NULL}, {"block bits 1", NULL}, {"variant 9", NULL},
        {"65 vCPUs with hot-plug", NULL}, {"cell 0", NULL}, {"cell 128", NULL},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sut_config_default(&c, SUT_V6);
        switch (i) {
        case 0: c.smp_cpus = 0; break;
        case 1: c.smp_cpus = c.max_cpus = 65; break;
        case 2: c.smp_cpus = 4; c.max_cpus = 3; break;
        case 3: c.page_bits = 9; break;
        case 4: c.page_bits = 17; break;
        case 5: c.tlb_bits = 0; break;
        case 6: c.tlb_bits = 9; break;
        case 7: c.vtlb_size = 17; break;
        case 8: c.mmu_modes = 0; break;
        case 9: c.mmu_modes = 8; break;
        case 10: c.cell_sz = 12; break;
        case 11: c.history_len = 0; break;
        case 12: c.history_len = SUT_MAX_HISTORY + 1; break;
        case 13: c.ram_limit = (1 << 20) + 1; break;
        case 14: c.ram_limit = SUT_MAX_RAM_LIMIT * 2; break;
        case 15: c.dirty_block_bits = 1; break;
        case 16: c.variant = (enum sut_variant)9; break;
        case 17: c.smp_cpus = c.max_cpus = 60; c.plug_cpus = 5; break;
        case 18: c.cell_sz = 0; break;
        case 19: c.cell_sz = 128; break;
        }
        sut_machine *m = sut_new(&c, &err);
        CHECK(m == NULL && err == SUT_EINVAL, "%s accepted", cases[i].what);
        sut_free(m);
    }
    CHECK(sut_new(NULL, &err) == NULL && err == SUT_EINVAL, "NULL config");
    for (unsigned n = 1; n <= 64; n *= 2) {
        sut_config_default(&c, SUT_V6);
        c.cell_sz = n;
        CHECK(sut_config_check(&c) == SUT_OK, "cell %u refused", n);
    }
    for (int v = 0; v < SUT_NVARIANTS; v++) {
        sut_config_default(&c, (enum sut_variant)v);
        CHECK(sut_config_check(&c) == SUT_OK, "default of %s", sut_variant_name(v));
        enum sut_variant back;
        CHECK(sut_variant_parse(sut_variant_name(v), &back) == SUT_OK && back == (enum sut_variant)v,
              "name round trip");
    }
    enum sut_variant out;
    CHECK(sut_variant_parse("v7", &out) == SUT_EINVAL, "unknown variant name");
}

static void t_bad_ram(void)
{
    for (int v = 0; v < SUT_NVARIANTS; v++) {
        sut_config c = tc_config((enum sut_variant)v);
        sut_machine *m = tc_machine_cfg(&c, 0);
        uint64_t off = 77, a, b;
        CHECK_EQ(sut_ram_block_add(m, 0, 4096, SUT_RAM_RESIZEABLE, &off), SUT_EINVAL);
        CHECK_EQ(sut_ram_block_add(m, 3000, 2048, SUT_RAM_RESIZEABLE, &off),
                 SUT_EINVAL);                         /* 3 KiB once rounded: above max */
        CHECK_EQ(sut_ram_block_add(m, 4096, 2048, SUT_RAM_RESIZEABLE, &off), SUT_EINVAL);
        CHECK_EQ(sut_ram_block_add(m, 2048, 4096, 0, &off), SUT_EINVAL);       /* not resizeable */
        CHECK_EQ(sut_ram_block_add(m, 4096, 4096, 0x80, &off), SUT_EINVAL);   /* flags */
        CHECK_EQ(sut_ram_block_add(m, 2 << 20, 2 << 20, 0, &off), SUT_ENOSPC); /* > ram_limit */
        CHECK_EQ(off, 77);
        CHECK_EQ(sut_ram_block_add(m, 4096, 8192, SUT_RAM_RESIZEABLE, &a), SUT_OK);
        CHECK_EQ(sut_ram_block_add(m, 4096, 4096, 0, &b), SUT_OK);
        CHECK_EQ(sut_ram_resize(m, a, 16384), SUT_EINVAL);  /* beyond max_length */
        CHECK_EQ(sut_ram_resize(m, a, 8193), SUT_EINVAL);   /* 9 KiB once rounded */
        CHECK_EQ(sut_ram_resize(m, a, 3073), SUT_OK);       /* rounded up to 4 KiB: */
        CHECK_EQ(sut_ram_resize(m, a, 4096), SUT_OK);       /* the same size */
        CHECK_EQ(sut_ram_resize(m, a, 0), SUT_EINVAL);
        CHECK_EQ(sut_ram_resize(m, b, 2048), SUT_EINVAL);   /* not resizeable */
        CHECK_EQ(sut_ram_resize(m, a + 1024, 4096), SUT_ENOENT);
        CHECK_EQ(sut_ram_resize(m, a, 4096), SUT_OK);       /* same size: no-op */
        CHECK_EQ(sut_ram_block_remove(m, b), SUT_OK);
        CHECK_EQ(sut_ram_block_remove(m, b), SUT_ENOENT);
        sut_free(m);
    }
}

static void t_bad_access(void)
{
    for (int v = 0; v < SUT_NVARIANTS; v++) {
        sut_machine *m = tc_machine((enum sut_variant)v);
        uint64_t val = 0;
        int st = 5;
        uint8_t buf[4];
        /* 64 KiB of RAM: 0x10000 is a gap, and so is anything past it. */
        CHECK_EQ(sut_load(m, 0, 0, 0x10000, 4, false, &val), SUT_EFAULT);
        CHECK_EQ(sut_store(m, 0, 0, 0xfffe, 4, false, 1), SUT_EFAULT); /* runs off the end */
        CHECK_EQ(sut_ll(m, 0, 0, 0x20000, 4, false, &val), SUT_EFAULT);
        CHECK_EQ(sut_sc(m, 0, 0, 0x20000, 4, false, 1, &st), SUT_EFAULT);
        CHECK_EQ(st, 5);
        CHECK_EQ(sut_load(m, 0, 0, SUT_VADDR_LIMIT, 4, false, &val), SUT_EFAULT);
        CHECK_EQ(sut_load(m, 0, 0, UINT64_MAX - 1, 4, false, &val), SUT_EFAULT);
        CHECK_EQ(sut_load(m, 2, 0, 0, 4, false, &val), SUT_EINVAL);    /* no vCPU 2 */
        CHECK_EQ(sut_load(m, 0, 2, 0, 4, false, &val), SUT_EINVAL);    /* no MMU mode 2 */
        CHECK_EQ(sut_store(m, 0, 0, 0, 3, false, 1), SUT_EINVAL);      /* size 3 */
        CHECK_EQ(sut_ll(m, 0, 0, 0, 16, false, &val), SUT_EINVAL);
        CHECK_EQ(sut_clrex(m, 9), SUT_EINVAL);
        CHECK_EQ(sut_run_work(m, 9), SUT_EINVAL);
        CHECK_EQ(sut_dma_write(m, 0x10000, 4, 1), SUT_EFAULT);
        CHECK_EQ(sut_dma_write(m, 0, 5, 1), SUT_EINVAL);
        CHECK_EQ(sut_protect_code(m, 0x10000), SUT_EFAULT);
        CHECK_EQ(sut_peek(m, 0x10000, buf, 4), SUT_EFAULT);
        CHECK_EQ(sut_map_page(m, SUT_VADDR_LIMIT, 0), SUT_EINVAL);
        /* A failed call has no effect: memory is untouched. */
        CHECK_EQ(tc_peek32(m, 0xfffc), 0);
        sut_free(m);
    }
}

/* Every variant: a plain store then load round-trips, in both endiannesses,
 * aligned, unaligned and page-crossing, RAM and MMIO. */
static void t_load_store(void)
{
    const uint64_t addrs[] = {0x10, 0x13, 0x3fe, 0x3fd, SUT_MMIO_BASE + 0x20, SUT_MMIO_BASE + 0x3ff};
    for (int v = 0; v < SUT_NVARIANTS; v++) {
        sut_machine *m = tc_machine((enum sut_variant)v);
        for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
            for (unsigned size = 1; size <= 8; size *= 2) {
                for (int be = 0; be < 2; be++) {
                    uint64_t want = 0x0102030405060708ULL >> (64 - 8 * size), got = 0;
                    CHECK_EQ(sut_store(m, 1, 1, addrs[i], size, be, want), SUT_OK);
                    CHECK_EQ(sut_load(m, 0, 0, addrs[i], size, be, &got), SUT_OK);
                    CHECK(got == want, "%s 0x%llx size %u be %d: %llx", sut_variant_name(v),
                          (unsigned long long)addrs[i], size, be, (unsigned long long)got);
                    uint8_t b[8];
                    sut_peek(m, addrs[i], b, size);
                    CHECK(b[be ? size - 1 : 0] == (uint8_t)want, "byte order in memory");
                }
            }
        }
        sut_free(m);
    }
}

static void t_alias(void)
{
    for (int v = 0; v < SUT_NVARIANTS; v++) {
        sut_machine *m = tc_machine((enum sut_variant)v);
        uint64_t got = 0;
        CHECK_EQ(sut_map_page(m, 0x100000, 0x2000), SUT_OK);
        CHECK_EQ(sut_store(m, 0, 0, 0x100010, 4, false, 0xabcd), SUT_OK);
        CHECK_EQ(tc_peek32(m, 0x2010), 0xabcd);
        CHECK_EQ(sut_load(m, 1, 0, 0x2010, 4, false, &got), SUT_OK);
        CHECK_EQ(got, 0xabcd);
        CHECK_EQ(sut_map_page(m, 0x100000, 0x100000), SUT_OK); /* unmap the alias */
        CHECK_EQ(sut_load(m, 0, 0, 0x100010, 4, false, &got), SUT_EFAULT);
        sut_free(m);
    }
}

static void t_rom(void)
{
    for (int v = 0; v < SUT_NVARIANTS; v++) {
        sut_machine *m = tc_machine((enum sut_variant)v);
        uint64_t rom, got = 1;
        CHECK_EQ(sut_ram_block_add(m, 4096, 4096, SUT_RAM_ROM, &rom), SUT_OK);
        CHECK_EQ(sut_store(m, 0, 0, rom + 4, 4, false, 9), SUT_OK);
        CHECK_EQ(sut_load(m, 0, 0, rom + 4, 4, false, &got), SUT_OK);
        CHECK(got == 0, "%s: ROM is not written by stores", sut_variant_name(v));
        CHECK_EQ(sut_dma_write(m, rom + 4, 4, 9), SUT_OK);
        CHECK_EQ(tc_peek32(m, rom + 4), 0);
        sut_free(m);
    }
}

/* Run-time hot-plug: a vCPU does not exist until sut_cpu_plug brings it up,
 * with the next cpu_index; no more than plug_cpus of them. */
static void t_cpu_plug(void)
{
    for (int v = 0; v < SUT_NVARIANTS; v++) {
        sut_config c = tc_config((enum sut_variant)v);
        c.plug_cpus = 2;
        sut_machine *m = tc_machine_cfg(&c, 64 << 10);
        uint64_t val = 0;
        unsigned idx = 99;
        CHECK_EQ(sut_cpus_present(m), 2);
        CHECK_EQ(sut_load(m, 2, 0, 0x100, 4, false, &val), SUT_EINVAL);
        CHECK_EQ(sut_clrex(m, 2), SUT_EINVAL);
        CHECK_EQ(sut_cpu_plug(m, &idx), SUT_OK);
        CHECK_EQ(idx, 2);
        CHECK_EQ(sut_load(m, 2, 0, 0x100, 4, false, &val), SUT_OK);
        CHECK_EQ(sut_tlb_write_flags(m, 3, 0, 0x100), -1);
        CHECK_EQ(sut_cpu_plug(m, &idx), SUT_OK);
        CHECK_EQ(idx, 3);
        CHECK_EQ(sut_cpus_present(m), 4);
        CHECK_EQ(sut_cpu_plug(m, &idx), SUT_ENOSPC);
        CHECK_EQ(idx, 3);
        tc_st(m, 3, 0x100, 5);
        CHECK_EQ(tc_ld(m, 0, 0x100), 5);
        sut_free(m);
    }
}

/* The read-entry view a load-value message uses: which entry, filled when,
 * mapping what. */
static void t_tlb_read_view(void)
{
    sut_config c = tc_config(SUT_V8);
    c.vtlb_size = 2;
    sut_machine *m = tc_machine_cfg(&c, 64 << 10);
    sut_tlb_read_view e;
    sut_stats s;
    CHECK(!sut_tlb_read_entry(m, 0, 0, 0x408, &e), "no entry before the first access");
    CHECK_EQ(sut_map_page(m, 0x180000400ULL, 0x800), SUT_OK);
    tc_ld(m, 0, 0x180000408ULL);
    sut_get_stats(m, &s);
    CHECK(sut_tlb_read_entry(m, 0, 0, 0x180000408ULL, &e), "entry after a load");
    CHECK(!e.victim && e.vaddr == 0x180000400ULL && e.paddr == 0x800 &&
              e.guest_paddr == 0x800 && e.host_current && e.fill == (uint32_t)s.tlb_fills,
          "view: victim %d vaddr 0x%llx paddr 0x%llx now 0x%llx host %d fill %u", e.victim,
          (unsigned long long)e.vaddr, (unsigned long long)e.paddr,
          (unsigned long long)e.guest_paddr, e.host_current, e.fill);
    /* Same TLB index, another page: the entry moves to the victim TLB. */
    tc_ld(m, 0, 0x408);
    CHECK(sut_tlb_read_entry(m, 0, 0, 0x180000408ULL, &e) && e.victim, "now a victim entry");
    CHECK(sut_tlb_read_entry(m, 0, 0, 0x100000010ULL, &e) == false, "MMIO not touched yet");
    tc_ld(m, 1, 0x100000010ULL);
    CHECK(sut_tlb_read_entry(m, 1, 0, 0x100000010ULL, &e) && e.paddr == 0x100000000ULL &&
              e.host_current,
          "MMIO entry");
    sut_free(m);
}

/* A renewed machine is the machine sut_new gives: after a run that filled
 * TLBs, reserved, wrote RAM and the device, aliased and removed a block, in
 * the same config, another one and one with more vCPUs than it had. */
static void dirty_run(sut_machine *m)
{
    uint64_t off, val;
    uint8_t b = 0x5a;

    CHECK_EQ(sut_ram_block_add(m, 8 << 10, 8 << 10, 0, &off), SUT_OK);
    CHECK_EQ(sut_map_page(m, 0x180000000ULL, 0x1000), SUT_OK);
    tc_st(m, 0, 0x1008, 0x11223344);
    tc_ll(m, 1, 0x1008);
    CHECK_EQ(sut_store(m, 0, 0, 0x100000010ULL, 1, false, b), SUT_OK);
    CHECK_EQ(sut_load(m, 1, 0, 0x180000008ULL, 4, false, &val), SUT_OK);
    CHECK_EQ(sut_dma_write(m, off + 16, 4, 0xdeadbeef), SUT_OK);
    CHECK_EQ(sut_ram_block_remove(m, off), SUT_OK);
}

static void expect_pristine(sut_machine *m, const sut_config *c, const char *what)
{
    sut_stats s, zero = {0};
    sut_tlb_read_view e;
    uint64_t b, end, total = 1, val = 1, off;
    uint8_t buf[64] = {0}, zeros[64] = {0};

    sut_get_stats(m, &s);
    CHECK(memcmp(&s, &zero, sizeof(s)) == 0, "%s: counters not zero", what);
    CHECK_EQ(sut_cpus_present(m), c->max_cpus ? c->max_cpus : c->smp_cpus);
    CHECK_EQ(sut_last_ram_offset(m), 0);
    for (unsigned i = 0; i < sut_cpus_present(m); i++) {
        CHECK(!sut_reservation(m, i, &b, &end) || c->variant == SUT_V6 ||
                  c->variant == SUT_V8,
              "%s: vCPU%u holds a reservation", what, i);
        CHECK(!sut_tlb_read_entry(m, i, 0, 0x1008, &e), "%s: vCPU%u TLB entry", what, i);
    }
    sut_mmio_log(m, 0, NULL, 0, &total);
    CHECK_EQ(total, 0);
    CHECK_EQ(sut_peek(m, 0x100000000ULL, buf, sizeof(buf)), SUT_OK);
    CHECK(memcmp(buf, zeros, sizeof(buf)) == 0, "%s: device registers not zero", what);
    CHECK_EQ(sut_ram_block_add(m, 8 << 10, 8 << 10, 0, &off), SUT_OK);
    CHECK_EQ(off, 0);
    CHECK_EQ(sut_peek(m, 0x1000, buf, sizeof(buf)), SUT_OK);
    CHECK(memcmp(buf, zeros, sizeof(buf)) == 0, "%s: RAM not zero", what);
    /* The alias is gone: that page is nothing now. */
    CHECK_EQ(sut_load(m, 0, 0, 0x180000008ULL, 4, false, &val), SUT_EFAULT);
}

static void t_renew(void)
{
    sut_config a = tc_config(SUT_V8), bcfg = tc_config(SUT_FIXED), many = tc_config(SUT_FIXED);
    int err = -1;
    bcfg.smp_cpus = bcfg.max_cpus = 2;
    bcfg.tlb_bits = 3;
    bcfg.history_len = 8;
    many.smp_cpus = many.max_cpus = 12;
    sut_machine *m = sut_new(&a, &err);
    CHECK(m != NULL, "sut_new");
    dirty_run(m);
    m = sut_renew(m, &a, &err);
    CHECK(m != NULL && err == SUT_OK, "renew, same config");
    expect_pristine(m, &a, "same config");
    dirty_run(m);
    sut_clear(m);
    m = sut_renew(m, &bcfg, &err);
    CHECK(m != NULL && err == SUT_OK, "renew, another config");
    expect_pristine(m, &bcfg, "another config");
    dirty_run(m);
    m = sut_renew(m, &many, &err);
    CHECK(m != NULL && err == SUT_OK, "renew, more vCPUs");
    expect_pristine(m, &many, "more vCPUs");
    many.page_bits = 9; /* invalid: m is freed */
    CHECK(sut_renew(m, &many, &err) == NULL && err == SUT_EINVAL, "renew, bad config");
}

int main(void)
{
    check_suite = "sut/api";
    RUN(t_bad_knobs);
    RUN(t_bad_ram);
    RUN(t_bad_access);
    RUN(t_load_store);
    RUN(t_alias);
    RUN(t_rom);
    RUN(t_cpu_plug);
    RUN(t_tlb_read_view);
    RUN(t_renew);
    return check_done();
}
