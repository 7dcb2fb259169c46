/*
 * test_api.c - bad input gets a clear error, never an abort: invalid knobs,
 * RAM sizes, resizes, addresses, vCPUs and access sizes.
 */
#include <stdio.h>

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
        {"ram limit too big", NULL}, {"block bits 5", NULL}, {"variant 9", NULL},
        {"cell 0", NULL}, {"cell 128", NULL},
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
        case 15: c.dirty_block_bits = 5; break;
        case 16: c.variant = (enum sut_variant)9; break;
        case 17: c.cell_sz = 0; break;
        case 18: c.cell_sz = 128; break;
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
        CHECK_EQ(sut_ram_block_add(m, 1000, 1000, 0, &off), SUT_EINVAL);       /* unaligned */
        CHECK_EQ(sut_ram_block_add(m, 4096, 2048, SUT_RAM_RESIZEABLE, &off), SUT_EINVAL);
        CHECK_EQ(sut_ram_block_add(m, 2048, 4096, 0, &off), SUT_EINVAL);       /* not resizeable */
        CHECK_EQ(sut_ram_block_add(m, 4096, 4096, 0x80, &off), SUT_EINVAL);   /* flags */
        CHECK_EQ(sut_ram_block_add(m, 2 << 20, 2 << 20, 0, &off), SUT_ENOSPC); /* > ram_limit */
        CHECK_EQ(off, 77);
        CHECK_EQ(sut_ram_block_add(m, 4096, 8192, SUT_RAM_RESIZEABLE, &a), SUT_OK);
        CHECK_EQ(sut_ram_block_add(m, 4096, 4096, 0, &b), SUT_OK);
        CHECK_EQ(sut_ram_resize(m, a, 16384), SUT_EINVAL);  /* beyond max_length */
        CHECK_EQ(sut_ram_resize(m, a, 5000), SUT_EINVAL);   /* unaligned */
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

int main(void)
{
    check_suite = "sut/api";
    RUN(t_bad_knobs);
    RUN(t_bad_ram);
    RUN(t_bad_access);
    RUN(t_load_store);
    RUN(t_alias);
    RUN(t_rom);
    return check_done();
}
