/*
 * test_oracle.c - unit tests of the LL/SC oracle (harness/oracle.c): for each
 * verdict rule a handcrafted event sequence that must be flagged (positive)
 * and a close one that must not (negative). The "system" is a fake memory
 * the tests edit by hand to play a correct or a broken implementation.
 * Prints one PASS:/FAIL: line per check; exits 1 if any failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

#define MMIO_BASE 0x100000000ULL
#define MMIO_SIZE 0x10000ULL
#define RAM_USED 0x1000ULL /* 4 pages of 1 KiB at 0 */
#define RAM_MAX 0x2000ULL
#define ROM_OFF 0x2000ULL  /* 1 page of ROM */
#define ALIAS 0x180000000ULL

static int failures;

/* The fake system: what a correct (or broken) implementation holds. */
static struct {
    uint8_t ram[RAM_MAX];
    uint8_t rom[0x400];
    uint8_t mmio[MMIO_SIZE];
} sys;

static int fake_peek(void *ctx, uint64_t pa, void *buf, size_t len)
{
    (void)ctx;
    if (pa + len <= RAM_MAX) {
        memcpy(buf, sys.ram + pa, len);
    } else if (pa >= ROM_OFF && pa + len <= ROM_OFF + sizeof(sys.rom)) {
        memcpy(buf, sys.rom + (pa - ROM_OFF), len);
    } else if (pa >= MMIO_BASE && pa + len <= MMIO_BASE + MMIO_SIZE) {
        memcpy(buf, sys.mmio + (pa - MMIO_BASE), len);
    } else {
        return -1;
    }
    return 0;
}

static void sys_put(uint64_t pa, const void *bytes, size_t n)
{
    memcpy(sys.ram + pa, bytes, n);
}

/* A machine with 4 vCPUs, one RAM block and one ROM block. */
static struct orc *setup(void)
{
    struct orc_params p = {
        .ncpus = 4,
        .page_bits = 10,
        .vaddr_limit = 0x200000000ULL,
        .mmio_base = MMIO_BASE,
        .mmio_size = MMIO_SIZE,
        .mmio_window_lo = 512,
        .mmio_window_hi = 64,
    };
    struct orc *o = orc_new(&p);

    memset(&sys, 0, sizeof(sys));
    if (!o || orc_ram_add(o, 0, RAM_USED, RAM_MAX, false) != 0 ||
        orc_ram_add(o, ROM_OFF, 0x400, 0x400, true) != 0) {
        fprintf(stderr, "setup failed\n");
        exit(1);
    }
    return o;
}

static void report(const char *name, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(const char *name, bool ok, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        printf("PASS: oracle %s\n", name);
        return;
    }
    failures++;
    printf("FAIL: oracle %s - ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Expect a verdict: prop == NULL means "no violation". */
static void expect(const char *name, bool ok, const struct orc_verdict *v,
                   const char *prop)
{
    if (prop == NULL) {
        report(name, ok, "unexpected %s: %s", ok ? "" : v->property,
               ok ? "" : v->msg);
    } else if (ok) {
        report(name, false, "expected %s, got no violation", prop);
    } else {
        report(name, strcmp(v->property, prop) == 0, "expected %s, got %s: %s",
               prop, v->property, v->msg);
    }
}

static bool mem(struct orc *o, long op, struct orc_verdict *v)
{
    (void)op;
    return orc_check_memory(o, ORC_CHECK_ALL, fake_peek, NULL, v);
}

/* ---- sc-without-ll ---- */

static void t_sc_without_ll(void)
{
    struct orc_verdict v;
    struct orc *o = setup();
    bool ok;
    uint8_t w[4] = {0x2a, 0, 0, 0};

    ok = orc_sc(o, 1, 0, 0x100, 4, false, 0x2a, ORC_OK, 0, &v);
    expect("sc-without-ll: SC with no LL succeeds", ok, &v, "sc-without-ll");
    orc_free(o);

    o = setup();
    ok = orc_sc(o, 1, 0, 0x100, 4, false, 0x2a, ORC_OK, 1, &v);
    expect("sc-without-ll negative: SC with no LL fails", ok, &v, NULL);
    orc_free(o);

    /* W9: a bare SC after a successful one. */
    o = setup();
    ok = orc_ll(o, 1, 0, 0x100, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 2, 0, 0x100, 4, false, 0x2a, ORC_OK, 0, &v);
    expect("sc-without-ll negative: LL then SC succeeds", ok, &v, NULL);
    sys_put(0x100, w, 4);
    ok = mem(o, 2, &v);
    expect("sc-without-ll negative: successful SC wrote its bytes", ok, &v,
           NULL);
    ok = orc_sc(o, 3, 0, 0x100, 4, false, 0x2b, ORC_OK, 0, &v);
    expect("sc-without-ll: second SC after a successful SC (W9)", ok, &v,
           "sc-without-ll");
    report("sc-without-ll message names the SC that closed the monitor",
           strstr(v.msg, "since its SC at op 2") != NULL, "%s", v.msg);
    orc_free(o);

    /* W10: SC after CLREX. */
    o = setup();
    ok = orc_ll(o, 1, 2, 0x100, 4, false, ORC_OK, 0, &v);
    orc_clrex(o, 2, 2);
    ok = ok && orc_sc(o, 3, 2, 0x100, 4, false, 0x2a, ORC_OK, 0, &v);
    expect("sc-without-ll: SC after CLREX succeeds (W10)", ok, &v,
           "sc-without-ll");
    orc_free(o);

    /* CLREX of another vCPU does not open ours. */
    o = setup();
    ok = orc_ll(o, 1, 2, 0x100, 4, false, ORC_OK, 0, &v);
    orc_clrex(o, 2, 3);
    ok = ok && orc_sc(o, 3, 2, 0x100, 4, false, 0x2a, ORC_OK, 0, &v);
    expect("sc-without-ll negative: CLREX by another vCPU", ok, &v, NULL);
    orc_free(o);
}

/* ---- must-fail-sc ---- */

/* LL by vCPU1 at 0x1008... in a 1 KiB-page RAM block at 0: use 0x108. */
static bool ll_store_sc(struct orc *o, unsigned writer, uint64_t st_addr,
                        unsigned st_size, uint64_t st_val, int sc_status,
                        struct orc_verdict *v)
{
    bool ok = orc_ll(o, 3, 1, 0x108, 4, false, ORC_OK, 0, v);

    if (ok && writer == 99) {
        ok = orc_dma(o, 5, st_addr, st_size, st_val, ORC_OK, v);
    } else if (ok) {
        ok = orc_store(o, 5, writer, st_addr, st_size, false, st_val, ORC_OK, v);
    }
    return ok && orc_sc(o, 7, 1, 0x108, 4, false, 0x2a, ORC_OK, sc_status, v);
}

static void t_must_fail(void)
{
    struct orc_verdict v;
    struct orc *o;
    bool ok;

    o = setup();
    ok = ll_store_sc(o, 2, 0x108, 4, 0x2a, 0, &v);
    expect("must-fail-sc: other vCPU stored the reserved bytes", ok, &v,
           "must-fail-sc");
    report("must-fail-sc message format",
           strcmp(v.msg, "SC by vCPU1 at 0x108 succeeded after vCPU2 stored "
                         "0x2a there at op 5") == 0,
           "got '%s'", v.msg);
    orc_free(o);

    o = setup();
    ok = ll_store_sc(o, 2, 0x108, 4, 0x2a, 1, &v);
    expect("must-fail-sc negative: the SC failed", ok, &v, NULL);
    orc_free(o);

    o = setup();
    ok = ll_store_sc(o, 2, 0x108, 4, 0, 0, &v);
    expect("must-fail-sc: ABA (same value written back)", ok, &v,
           "must-fail-sc");
    orc_free(o);

    o = setup();
    ok = ll_store_sc(o, 2, 0x10b, 1, 7, 0, &v);
    expect("must-fail-sc: one overlapping byte", ok, &v, "must-fail-sc");
    orc_free(o);

    o = setup();
    ok = ll_store_sc(o, 2, 0x10c, 4, 7, 0, &v);
    expect("must-fail-sc negative: same granule, no overlap", ok, &v, NULL);
    orc_free(o);

    o = setup();
    ok = ll_store_sc(o, 1, 0x108, 4, 7, 0, &v);
    expect("must-fail-sc negative: own store (MAY fail)", ok, &v, NULL);
    orc_free(o);

    o = setup();
    ok = ll_store_sc(o, 99, 0x108, 2, 0x2a, 0, &v);
    expect("must-fail-sc: DMA wrote the reserved bytes (W20)", ok, &v,
           "must-fail-sc");
    report("must-fail-sc DMA message",
           strstr(v.msg, "after DMA wrote 0x2a there at op 5") != NULL, "got '%s'",
           v.msg);
    orc_free(o);

    o = setup();
    ok = ll_store_sc(o, 99, 0x110, 8, 0x2a, 0, &v);
    expect("must-fail-sc negative: DMA elsewhere", ok, &v, NULL);
    orc_free(o);

    /* Store before the LL does not taint. */
    o = setup();
    ok = orc_store(o, 1, 2, 0x108, 4, false, 5, ORC_OK, &v) &&
         orc_ll(o, 2, 1, 0x108, 4, false, ORC_OK, 5, &v) &&
         orc_sc(o, 3, 1, 0x108, 4, false, 6, ORC_OK, 0, &v);
    expect("must-fail-sc negative: store before the LL", ok, &v, NULL);
    orc_free(o);

    /* Competing SCs: another vCPU's successful SC taints. */
    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_ll(o, 2, 2, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 3, 2, 0x108, 4, false, 1, ORC_OK, 0, &v) &&
         orc_sc(o, 4, 1, 0x108, 4, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc: both competing SCs succeed (lost update)", ok, &v,
           "must-fail-sc");
    orc_free(o);

    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_ll(o, 2, 2, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 3, 2, 0x108, 4, false, 1, ORC_OK, 1, &v) &&
         orc_sc(o, 4, 1, 0x108, 4, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc negative: a failed SC taints nobody", ok, &v, NULL);
    orc_free(o);

    /* Reservations are physical: an alias of the same bytes taints. */
    o = setup();
    ok = orc_map_page(o, ALIAS, 0x000) == 0 &&
         orc_ll(o, 1, 1, ALIAS + 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_store(o, 2, 2, 0x108, 4, false, 9, ORC_OK, &v) &&
         orc_sc(o, 3, 1, ALIAS + 0x108, 4, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc: store through another virtual alias (W4)", ok, &v,
           "must-fail-sc");
    orc_free(o);

    o = setup();
    ok = orc_map_page(o, ALIAS, 0x400) == 0 &&
         orc_ll(o, 1, 1, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_store(o, 2, 2, ALIAS + 0x108, 4, false, 9, ORC_OK, &v) &&
         orc_sc(o, 3, 1, 0x108, 4, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc negative: alias of a different page", ok, &v, NULL);
    orc_free(o);

    /* MMIO bytes are memory too. */
    o = setup();
    ok = orc_ll(o, 1, 0, MMIO_BASE + 8, 4, false, ORC_OK, 0, &v) &&
         orc_store(o, 2, 3, MMIO_BASE + 8, 4, false, 9, ORC_OK, &v) &&
         orc_sc(o, 3, 0, MMIO_BASE + 8, 4, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc: MMIO reservation stored by another vCPU", ok, &v,
           "must-fail-sc");
    orc_free(o);

    /* A store that ROM ignores wrote nothing: no mandatory taint. */
    o = setup();
    ok = orc_ll(o, 1, 0, ROM_OFF + 8, 4, false, ORC_OK, 0, &v) &&
         orc_store(o, 2, 3, ROM_OFF + 8, 4, false, 9, ORC_OK, &v) &&
         orc_sc(o, 3, 0, ROM_OFF + 8, 4, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc negative: store to ROM writes nothing", ok, &v, NULL);
    orc_free(o);

    /* CONSTRAINED UNPREDICTABLE: size mismatch may succeed despite taint. */
    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_store(o, 2, 2, 0x108, 4, false, 9, ORC_OK, &v) &&
         orc_sc(o, 3, 1, 0x108, 2, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc negative: SC size differs from the LL", ok, &v, NULL);
    orc_free(o);

    /* An LL that faults leaves the monitor as it was. */
    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_ll(o, 2, 1, 0xf0000000ULL, 4, false, ORC_FAULT, 0, &v) &&
         orc_sc(o, 3, 1, 0x108, 4, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc negative: faulting LL keeps the old reservation", ok,
           &v, NULL);
    orc_free(o);

    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_store(o, 2, 2, 0x108, 4, false, 9, ORC_OK, &v) &&
         orc_ll(o, 3, 1, 0x108, 4, false, ORC_OK, 9, &v) &&
         orc_sc(o, 4, 1, 0x108, 4, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc negative: a new LL after the store", ok, &v, NULL);
    orc_free(o);
}

/* ---- memory verdicts ---- */

static void t_memory(void)
{
    struct orc_verdict v;
    struct orc *o;
    bool ok;
    static const uint8_t be2a[4] = {0, 0, 0, 0x2a}, le2a[4] = {0x2a, 0, 0, 0};

    /* failed-sc-wrote */
    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 2, 1, 0x108, 4, false, 0x2a, ORC_OK, 1, &v);
    sys_put(0x108, le2a, 1); /* a partial write (W13b) */
    ok = ok && mem(o, 2, &v);
    expect("failed-sc-wrote: failed SC left a partial write", ok, &v,
           "failed-sc-wrote");
    orc_free(o);

    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 2, 1, 0x108, 4, false, 0x2a, ORC_OK, 1, &v) && mem(o, 2, &v);
    expect("failed-sc-wrote negative: memory unchanged", ok, &v, NULL);
    orc_free(o);

    /* sc-wrong-write: a big-endian SC stored little-endian (W12). */
    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, true, ORC_OK, 0, &v) &&
         orc_sc(o, 2, 1, 0x108, 4, true, 0x2a, ORC_OK, 0, &v);
    sys_put(0x108, le2a, 4);
    ok = ok && mem(o, 2, &v);
    expect("sc-wrong-write: BE SC written LE (W12)", ok, &v, "sc-wrong-write");
    orc_free(o);

    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, true, ORC_OK, 0, &v) &&
         orc_sc(o, 2, 1, 0x108, 4, true, 0x2a, ORC_OK, 0, &v);
    sys_put(0x108, be2a, 4);
    ok = ok && mem(o, 2, &v);
    expect("sc-wrong-write negative: BE SC written BE", ok, &v, NULL);
    orc_free(o);

    /* stray-write: a page-crossing SC through an alias whose next page maps
     * elsewhere writes past the end of the first page (W13). */
    o = setup();
    ok = orc_map_page(o, ALIAS, 0x000) == 0 &&
         orc_map_page(o, ALIAS + 0x400, 0x800) == 0 &&
         orc_ll(o, 1, 1, ALIAS + 0x3fe, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 2, 1, ALIAS + 0x3fe, 4, false, 0x11223344, ORC_OK, 0, &v);
    {
        static const uint8_t b[4] = {0x44, 0x33, 0x22, 0x11};
        sys_put(0x3fe, b, 4); /* bytes 2,3 went to 0x400 instead of 0x800 */
    }
    ok = ok && mem(o, 2, &v);
    expect("stray-write: page-crossing SC wrote the wrong page (W13)", ok, &v,
           "stray-write");
    orc_free(o);

    o = setup();
    ok = orc_map_page(o, ALIAS, 0x000) == 0 &&
         orc_map_page(o, ALIAS + 0x400, 0x800) == 0 &&
         orc_store(o, 2, 1, ALIAS + 0x3fe, 4, false, 0x11223344, ORC_OK, &v);
    {
        static const uint8_t lo[2] = {0x44, 0x33}, hi[2] = {0x22, 0x11};
        sys_put(0x3fe, lo, 2);
        sys_put(0x800, hi, 2);
    }
    ok = ok && mem(o, 2, &v);
    expect("stray-write negative: split store through two aliases", ok, &v,
           NULL);
    orc_free(o);

    /* store-wrong-write: a BE plain store written LE (W1 + W12). */
    o = setup();
    ok = orc_store(o, 1, 3, 0x38, 4, true, 0x3c, ORC_OK, &v);
    sys_put(0x38, le2a, 4);
    sys.ram[0x38] = 0x3c;
    ok = ok && mem(o, 1, &v);
    expect("store-wrong-write: BE store written LE", ok, &v, "store-wrong-write");
    sys.ram[0x38] = 0, sys.ram[0x3b] = 0x3c;
    ok = mem(o, 1, &v);
    expect("store-wrong-write negative: BE store written BE", ok, &v, NULL);
    orc_free(o);

    /* memory-mismatch after an op that writes nothing. */
    o = setup();
    orc_note(o, "tlb_flush");
    sys.ram[0x20] = 1;
    ok = mem(o, 1, &v);
    expect("memory-mismatch: memory changed by a flush", ok, &v,
           "memory-mismatch");
    orc_free(o);

    /* A ROM store is accepted and ignored. */
    o = setup();
    ok = orc_store(o, 1, 0, ROM_OFF, 4, false, 0x2a, ORC_OK, &v) && mem(o, 1, &v);
    expect("memory negative: ROM ignores a store", ok, &v, NULL);
    sys.rom[0] = 0x2a;
    ok = mem(o, 1, &v);
    expect("rom-written: a store that changed ROM", ok, &v, "rom-written");
    orc_free(o);

    /* MMIO register file reads back and is compared. */
    o = setup();
    ok = orc_store(o, 1, 0, MMIO_BASE + 4, 2, false, 0xbeef, ORC_OK, &v);
    sys.mmio[4] = 0xef;
    sys.mmio[5] = 0xbe;
    ok = ok && mem(o, 1, &v) &&
         orc_load(o, 2, 1, MMIO_BASE + 4, 2, false, ORC_OK, 0xbeef, &v);
    expect("memory negative: MMIO store then load", ok, &v, NULL);
    sys.mmio[MMIO_SIZE - 1] = 1;
    ok = mem(o, 2, &v);
    expect("memory: MMIO register changed behind the model's back", ok, &v,
           "memory-mismatch");
    orc_free(o);

    /* The tail of a block keeps its bytes across shrink and grow. */
    o = setup();
    ok = orc_store(o, 1, 0, 0xff8, 8, false, 0x0102030405060708ULL, ORC_OK, &v);
    {
        static const uint8_t b[8] = {8, 7, 6, 5, 4, 3, 2, 1};
        sys_put(0xff8, b, 8);
    }
    ok = ok && orc_ram_resize(o, 0, 0xc00) == 0 &&
         orc_load(o, 2, 0, 0xff8, 8, false, ORC_FAULT, 0, &v) &&
         orc_ram_resize(o, 0, 0x1000) == 0 &&
         orc_load(o, 3, 0, 0xff8, 8, false, ORC_OK, 0x0102030405060708ULL, &v) &&
         mem(o, 3, &v);
    expect("memory negative: tail bytes survive shrink and grow", ok, &v, NULL);
    orc_free(o);

    /* A faulting page-crossing store may leave its mapped bytes written;
     * those bytes then count as a write by that vCPU. */
    o = setup();
    ok = orc_ll(o, 1, 1, 0xffc, 4, false, ORC_OK, 0, &v) &&
         orc_store(o, 2, 2, 0xffe, 4, false, 0x11223344, ORC_FAULT, &v);
    sys.ram[0xffe] = 0x44;
    ok = ok && mem(o, 2, &v);
    expect("memory negative: faulting split store wrote one byte", ok, &v,
           NULL);
    ok = orc_sc(o, 3, 1, 0xffc, 4, false, 1, ORC_OK, 0, &v);
    expect("must-fail-sc: after a partial write by a faulting store", ok, &v,
           "must-fail-sc");
    orc_free(o);

    o = setup();
    ok = orc_store(o, 2, 2, 0xffe, 4, false, 0x11223344, ORC_FAULT, &v);
    sys.ram[0xffe] = 0x99;
    ok = ok && mem(o, 2, &v);
    expect("memory: faulting store wrote a value it did not have", ok, &v,
           "memory-mismatch");
    orc_free(o);
}

/* ---- values and access outcomes ---- */

static void t_values(void)
{
    struct orc_verdict v;
    struct orc *o = setup();
    bool ok;

    ok = orc_store(o, 5, 2, 0x200, 4, false, 0x2a, ORC_OK, &v);
    ok = ok && orc_ll(o, 6, 1, 0x200, 4, false, ORC_OK, 0, &v);
    expect("load-value: LL returned a stale value", ok, &v, "load-value");
    report("load-value message names the last writer",
           strstr(v.msg, "vCPU2 stored 0x2a there at op 5") != NULL, "%s", v.msg);
    ok = orc_ll(o, 7, 1, 0x200, 4, false, ORC_OK, 0x2a, &v) &&
         orc_ll(o, 8, 1, 0x200, 4, true, ORC_OK, 0x2a000000, &v) &&
         orc_load(o, 9, 3, 0x200, 2, false, ORC_OK, 0x2a, &v) &&
         orc_load(o, 10, 3, 0x201, 1, false, ORC_OK, 0, &v);
    expect("load-value negative: LL/load values and endianness", ok, &v, NULL);
    ok = orc_load(o, 11, 3, 0x200, 1, false, ORC_OK, 0xffffffffffffff2aULL, &v);
    expect("load-value: sign-extended byte", ok, &v, "load-value");
    orc_free(o);

    o = setup();
    ok = orc_store(o, 1, 0, 0xf0000000ULL, 4, false, 1, ORC_OK, &v);
    expect("access-error: store to an unassigned address succeeds", ok, &v,
           "access-error");
    ok = orc_store(o, 2, 0, 0x100, 4, false, 1, ORC_FAULT, &v);
    expect("access-error: store to RAM faults", ok, &v, "access-error");
    ok = orc_ll(o, 3, 0, 0x100, 4, false, ORC_ALIGN, 0, &v);
    expect("access-error: aligned LL reports an alignment fault", ok, &v,
           "access-error");
    ok = orc_ll(o, 4, 0, 0x102, 4, false, ORC_ALIGN, 0, &v) &&
         orc_sc(o, 5, 0, 0x102, 4, false, 1, ORC_ALIGN, -1, &v) &&
         orc_store(o, 6, 0, 0x1000, 4, false, 1, ORC_FAULT, &v) &&
         orc_load(o, 7, 0, 0xffe, 4, false, ORC_FAULT, 0, &v) &&
         orc_load(o, 8, 0, ALIAS, 4, false, ORC_FAULT, 0, &v) && mem(o, 8, &v);
    expect("access-error negative: misaligned, tail, crossing, unmapped alias",
           ok, &v, NULL);
    ok = orc_dma(o, 9, 0x2000 - 0x1000 + 0xffc, 8, 1, ORC_OK, &v);
    expect("access-error: DMA past used_length succeeds", ok, &v,
           "access-error");
    ok = orc_sc(o, 10, 0, 0x100, 4, false, 1, ORC_OK, 2, &v);
    expect("access-error: SC status other than 0/1", ok, &v, "access-error");
    orc_free(o);
}

/* What each check scope sees. */
static void t_scopes(void)
{
    struct orc_verdict v;
    struct orc *o = setup();
    bool ok;

    ok = orc_store(o, 1, 0, 0x3fc, 4, false, 0x01020304, ORC_OK, &v);
    sys.ram[0x3fc] = 4, sys.ram[0x3fd] = 3, sys.ram[0x3fe] = 2, sys.ram[0x3ff] = 1;
    sys.ram[0x40a] = 0x55; /* stray, 11 bytes past the store, next page */
    ok = ok && orc_check_memory(o, ORC_CHECK_NEAR, fake_peek, NULL, &v);
    expect("scope NEAR: stray byte just past the stored bytes", ok, &v,
           "stray-write");
    sys.ram[0x40a] = 0;
    sys.ram[0x1f00] = 0x55; /* far away, in the block tail */
    ok = orc_check_memory(o, ORC_CHECK_NEAR, fake_peek, NULL, &v) &&
         orc_check_memory(o, ORC_CHECK_TOUCHED, fake_peek, NULL, &v);
    expect("scope NEAR/TOUCHED negative: a far byte is not looked at", ok, &v,
           NULL);
    ok = orc_check_memory(o, ORC_CHECK_ALL, fake_peek, NULL, &v);
    expect("scope ALL: a far byte in the block tail", ok, &v, "stray-write");
    sys.ram[0x1f00] = 0;
    sys.ram[0x8ff] = 0x55; /* another page: not touched */
    ok = orc_check_memory(o, ORC_CHECK_TOUCHED, fake_peek, NULL, &v);
    expect("scope TOUCHED negative: two pages away", ok, &v, NULL);
    sys.ram[0x8ff] = 0;
    sys.ram[0x3c1] = 0x55; /* same 64-byte line as the store */
    ok = orc_check_memory(o, ORC_CHECK_TOUCHED, fake_peek, NULL, &v);
    expect("scope TOUCHED: a byte on a line near the store", ok, &v,
           "stray-write");
    sys.ram[0x3c1] = 0;
    sys.ram[0x1f00] = 0x55;
    ok = orc_check_memory(o, ORC_CHECK_RAM, fake_peek, NULL, &v);
    expect("scope RAM: a far byte in the block tail", ok, &v, "stray-write");
    sys.ram[0x1f00] = 0;
    sys.mmio[100] = 1;
    ok = orc_check_memory(o, ORC_CHECK_TOUCHED, fake_peek, NULL, &v);
    expect("scope TOUCHED: the MMIO window", ok, &v, "stray-write");
    sys.mmio[100] = 0;
    ok = orc_store(o, 2, 0, MMIO_BASE + 0x800, 4, false, 0, ORC_OK, &v);
    sys.mmio[0x810] = 1; /* within 16 bytes of the MMIO store */
    ok = ok && orc_check_memory(o, ORC_CHECK_RAM, fake_peek, NULL, &v);
    expect("scope RAM: MMIO bytes near an access", ok, &v, "stray-write");
    sys.mmio[0x810] = 0;
    sys.mmio[0x9000] = 1; /* far from every access */
    ok = orc_check_memory(o, ORC_CHECK_RAM, fake_peek, NULL, &v);
    expect("scope RAM negative: far MMIO bytes", ok, &v, NULL);
    ok = orc_check_memory(o, ORC_CHECK_ALL, fake_peek, NULL, &v);
    expect("scope ALL: far MMIO bytes", ok, &v, "stray-write");
    orc_free(o);
}

static void t_liveness(void)
{
    struct orc_verdict v;
    struct orc_liveness l;
    struct orc *o = setup();
    bool ok;

    ok = orc_ll(o, 1, 0, 0x100, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 2, 0, 0x100, 4, false, 1, ORC_OK, 1, &v) && /* spurious */
         orc_ll(o, 3, 0, 0x100, 4, false, ORC_OK, 0, &v) &&
         orc_store(o, 4, 0, 0x100, 4, false, 0, ORC_OK, &v) &&
         orc_sc(o, 5, 0, 0x100, 4, false, 1, ORC_OK, 1, &v) && /* own store */
         orc_sc(o, 6, 0, 0x100, 4, false, 1, ORC_OK, 1, &v);   /* required */
    orc_get_liveness(o, &l);
    report("liveness: spurious, explained and required failures counted",
           ok && l.sc == 3 && l.sc_fail_spurious == 1 && l.sc_fail_allowed == 1 &&
               l.sc_must_fail == 1 && l.sc_ok == 0,
           "sc=%llu spurious=%llu allowed=%llu must=%llu ok=%llu",
           (unsigned long long)l.sc, (unsigned long long)l.sc_fail_spurious,
           (unsigned long long)l.sc_fail_allowed,
           (unsigned long long)l.sc_must_fail, (unsigned long long)l.sc_ok);
    orc_free(o);
}

static void t_layout(void)
{
    struct orc_params p = {.ncpus = 1, .page_bits = 10,
                           .vaddr_limit = 0x200000000ULL,
                           .mmio_base = MMIO_BASE, .mmio_size = MMIO_SIZE};
    struct orc *o = orc_new(&p);

    report("layout: overlapping block refused",
           o && orc_ram_add(o, 0, 0x400, 0x800, false) == 0 &&
               orc_ram_add(o, 0x400, 0x400, 0x400, false) != 0 &&
               orc_ram_add(o, 0x800, 0x400, 0x400, false) == 0 &&
               orc_ram_resize(o, 0, 0xc00) != 0 && orc_ram_remove(o, 0x400) != 0 &&
               orc_ram_remove(o, 0x800) == 0 &&
               orc_phys_kind(o, 0x800) == ORC_NONE &&
               orc_phys_kind(o, 0x3ff) == ORC_RAM &&
               orc_phys_kind(o, MMIO_BASE) == ORC_MMIO,
           "block bookkeeping disagrees");
    orc_free(o);
}

/* The views beside memory: translated code and the device's write log. */
static uint64_t fake_inval[8]; /* per page of the RAM block: invalidations */

static uint64_t fake_code(void *ctx, uint64_t pa)
{
    (void)ctx;
    return pa < RAM_MAX ? fake_inval[pa >> 10] : 0;
}

static void t_views(void)
{
    struct orc_verdict v;
    struct orc *o;
    bool ok;
    static const uint8_t le2a[4] = {0x2a, 0, 0, 0};

    /* code-not-invalidated: a store to a code page left its translations. */
    o = setup();
    memset(fake_inval, 0, sizeof(fake_inval));
    orc_protect_code(o, 1, 0x408);
    ok = orc_check_code(o, fake_code, NULL, &v) &&
         orc_store(o, 2, 0, 0x410, 4, false, 0x2a, ORC_OK, &v);
    sys_put(0x410, le2a, 4);
    ok = ok && mem(o, 2, &v) && orc_check_code(o, fake_code, NULL, &v);
    expect("code-not-invalidated: store to a code page, no invalidation (W15)", ok, &v,
           "code-not-invalidated");
    report("code-not-invalidated names the write and the translation",
           !ok && strstr(v.msg, "store by vCPU0 at 0x410") &&
               strstr(v.msg, "page 0x400") && strstr(v.msg, "op 1"),
           "%s", v.msg);
    orc_free(o);

    o = setup();
    memset(fake_inval, 0, sizeof(fake_inval));
    orc_protect_code(o, 1, 0x408);
    ok = orc_check_code(o, fake_code, NULL, &v) &&
         orc_store(o, 2, 0, 0x410, 4, false, 0x2a, ORC_OK, &v);
    fake_inval[1]++;
    ok = ok && orc_check_code(o, fake_code, NULL, &v) &&
         orc_store(o, 3, 0, 0x414, 4, false, 0x2a, ORC_OK, &v) &&
         orc_check_code(o, fake_code, NULL, &v);
    expect("code-not-invalidated negative: invalidated once, then no code left", ok, &v,
           NULL);
    orc_free(o);

    o = setup();
    memset(fake_inval, 0, sizeof(fake_inval));
    orc_protect_code(o, 1, 0x408);
    ok = orc_check_code(o, fake_code, NULL, &v) &&
         orc_store(o, 2, 0, 0x810, 4, false, 0x2a, ORC_OK, &v) &&
         orc_ll(o, 3, 1, 0x410, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 4, 1, 0x410, 4, false, 7, ORC_OK, 1, &v) &&
         orc_check_code(o, fake_code, NULL, &v);
    fake_inval[1]++; /* invalidating without a write is only conservative */
    ok = ok && orc_check_code(o, fake_code, NULL, &v) &&
         orc_store(o, 5, 0, 0x410, 4, false, 0x2a, ORC_OK, &v) &&
         orc_check_code(o, fake_code, NULL, &v);
    expect("code-not-invalidated negative: other page, failed SC, early invalidation",
           ok, &v, NULL);
    orc_free(o);

    o = setup();
    memset(fake_inval, 0, sizeof(fake_inval));
    orc_protect_code(o, 1, 0x408);
    ok = orc_check_code(o, fake_code, NULL, &v) && orc_ram_resize(o, 0, 0xc00) == 0 &&
         orc_ram_resize(o, 0, RAM_USED) == 0 &&
         orc_store(o, 4, 0, 0x410, 4, false, 0x2a, ORC_OK, &v) &&
         orc_check_code(o, fake_code, NULL, &v);
    expect("code-not-invalidated negative: a resize forgets the block's code", ok, &v,
           NULL);
    orc_free(o);

    /* mmio-double-write: the device received a byte twice (W19). */
    {
        struct orc_mmio_write w[8] = {{0x13, 0x2a}, {0x14, 0}, {0x15, 0}, {0x16, 0},
                                      {0x13, 0x2a}, {0x14, 0}, {0x15, 0}, {0x16, 0}};
        o = setup();
        ok = orc_store(o, 1, 1, MMIO_BASE + 0x13, 4, false, 0x2a, ORC_OK, &v) &&
             orc_check_mmio_writes(o, w, 8, true, &v);
        expect("mmio-double-write: bytewise and full width (W19)", ok, &v,
               "mmio-double-write");
        orc_free(o);

        o = setup();
        ok = orc_store(o, 1, 1, MMIO_BASE + 0x13, 4, false, 0x2a, ORC_OK, &v) &&
             orc_check_mmio_writes(o, w + 4, 4, true, &v) &&
             orc_load(o, 2, 1, MMIO_BASE + 0x13, 4, false, ORC_OK, 0x2a, &v) &&
             orc_check_mmio_writes(o, NULL, 0, true, &v);
        expect("mmio-double-write negative: each byte once, nothing on a load", ok, &v,
               NULL);
        orc_free(o);

        o = setup();
        ok = orc_ll(o, 1, 1, MMIO_BASE + 0x13, 1, false, ORC_OK, 0, &v) &&
             orc_sc(o, 2, 1, MMIO_BASE + 0x13, 1, false, 0x2a, ORC_OK, 1, &v) &&
             orc_check_mmio_writes(o, w, 1, true, &v);
        expect("failed-sc-wrote: a failed SC reached the device", ok, &v,
               "failed-sc-wrote");
        orc_free(o);

        o = setup();
        ok = orc_store(o, 1, 1, MMIO_BASE + 0x14, 2, false, 0, ORC_OK, &v) &&
             orc_check_mmio_writes(o, w + 1, 1, true, &v);
        expect("store-wrong-write: the device never received a byte", ok, &v,
               "store-wrong-write");
        orc_free(o);

        o = setup();
        ok = orc_store(o, 1, 1, MMIO_BASE + 0x14, 1, false, 0, ORC_OK, &v) &&
             orc_check_mmio_writes(o, w, 2, true, &v);
        expect("stray-write: the device received a byte the store did not write", ok,
               &v, "stray-write");
        orc_free(o);

        o = setup();
        ok = orc_store(o, 1, 1, MMIO_BASE + 0x13, 4, false, 0x2a, ORC_OK, &v) &&
             orc_check_mmio_writes(o, w, 8, false, &v) &&
             orc_check_mmio_writes(o, NULL, 0, true, &v);
        expect("device log negative: an incomplete log judges nothing", ok, &v, NULL);
        orc_free(o);
    }

    /* rom-written: the model's ROM never changes; the system's did (W15). */
    o = setup();
    ok = orc_ll(o, 1, 1, ROM_OFF + 8, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 2, 1, ROM_OFF + 8, 4, false, 0x55, ORC_OK, 0, &v);
    sys.rom[8] = 0x55;
    ok = ok && mem(o, 2, &v);
    expect("rom-written: an SC changed ROM", ok, &v, "rom-written");
    orc_free(o);

    o = setup();
    ok = orc_store(o, 1, 1, ROM_OFF + 8, 4, false, 0x55, ORC_OK, &v) && mem(o, 1, &v);
    expect("rom-written negative: a store to ROM is discarded", ok, &v, NULL);
    orc_free(o);

    /* A write into the unmapped tail [used, max) is a stray write there. */
    o = setup();
    ok = orc_store(o, 1, 1, RAM_USED - 4, 4, false, 0x2a, ORC_OK, &v);
    sys_put(RAM_USED - 4, le2a, 4);
    sys.ram[RAM_USED] = 0x2a;
    ok = ok && mem(o, 1, &v);
    expect("stray-write: into the block's unmapped tail", ok, &v, "stray-write");
    report("stray-write into the tail says so", !ok && strstr(v.msg, "unmapped tail"),
           "%s", v.msg);
    orc_free(o);

    /* failed-sc-wrote shows the whole access and what memory should hold. */
    o = setup();
    ok = orc_ll(o, 1, 1, 0x108, 4, false, ORC_OK, 0, &v) &&
         orc_sc(o, 2, 1, 0x108, 4, false, 0x2a, ORC_OK, 1, &v);
    sys.ram[0x10a] = 0x05;
    ok = ok && mem(o, 2, &v);
    report("failed-sc-wrote shows the whole access",
           !ok && strstr(v.msg, "0x108..0x10b hold 00 00 05 00, memory should hold 00 00 00 00"),
           "%s", ok ? "no violation" : v.msg);
    orc_free(o);
}

int main(void)
{
    t_sc_without_ll();
    t_must_fail();
    t_memory();
    t_values();
    t_scopes();
    t_liveness();
    t_layout();
    t_views();
    return failures ? 1 : 0;
}
