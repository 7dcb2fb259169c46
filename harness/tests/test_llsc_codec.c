/*
 * test_llsc_codec.c - unit tests of the LL/SC byte grammar and its text
 * codec (harness/llsc_ops.c): decode(from_text(to_text(b))) == decode(b) for
 * pseudo-random inputs (fixed seed), hand-written text decoding to what it
 * says, and refusal of text the grammar cannot express.
 * Prints one PASS:/FAIL: line per check; exits 1 if any failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "llsc_ops.h"

static int failures;

static void report(const char *name, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(const char *name, bool ok, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        printf("PASS: llsc codec %s\n", name);
        return;
    }
    failures++;
    printf("FAIL: llsc codec %s - ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint8_t rnd8(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)(rng >> 24);
}

static char *to_text(const uint8_t *b, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f) {
        return NULL;
    }
    hx_codec_llsc.to_text(b, n, f);
    fclose(f);
    return buf;
}

static struct llsc_prog pa, pb;

static void t_roundtrip(void)
{
    static const size_t sizes[] = {0, 1, 3, 4, 5, 9, 40, 200, 1000, 5000};
    unsigned bad = 0, n = 0, ops = 0;
    char why[300] = "";
    uint8_t *buf = malloc(5000);

    for (unsigned i = 0; i < 400 && buf; i++) {
        size_t len = sizes[i % 10];
        uint8_t *out = NULL;
        size_t outlen = 0;
        char err[200];
        char *text;

        for (size_t k = 0; k < len; k++) {
            buf[k] = rnd8();
        }
        /* Bias some inputs towards small RAM classes and ram ops. */
        if (i % 3 == 0) {
            for (size_t k = 4; k < len; k++) {
                buf[k] &= 0x3f;
            }
        }
        text = to_text(buf, len);
        n++;
        if (!text) {
            bad++;
            continue;
        }
        if (hx_codec_llsc.from_text(text, &out, &outlen, err, sizeof(err)) != 0) {
            if (!bad++) {
                snprintf(why, sizeof(why), "input %u: from_text: %s", i, err);
            }
        } else {
            llsc_decode(buf, len, &pa);
            llsc_decode(out, outlen, &pb);
            ops += pa.nops;
            if (!llsc_prog_equal(&pa, &pb) && !bad++) {
                snprintf(why, sizeof(why), "input %u decodes differently", i);
            }
        }
        free(out);
        free(text);
    }
    free(buf);
    report("round trip of 400 pseudo-random inputs", bad == 0 && ops > 1000,
           "%u of %u bad (%s), %u ops", bad, n, why, ops);
}

static bool compile(const char *text, uint8_t **out, size_t *len, char *err,
                    size_t errlen)
{
    return hx_codec_llsc.from_text(text, out, len, err, errlen) == 0;
}

static void t_text(void)
{
    const char *text =
        "# a comment\n"
        "config cpus=9 hotplug=1 cell=16 mttcg=1 be_host=0 mmu_modes=2 "
        "tlb_bits=2 vtlb=0 page_bits=10 history=3 ram0_pages=2 ram0_max_pages=3\n"
        "\n"
        "ll cpu=9 mmu=1 addr=0x408 size=4   # trailing comment\n"
        "store cpu=2 addr=0x408 size=4 val=0x2a\n"
        "sc cpu=9 mmu=1 addr=0x408 size=4 be=1 val=0xdeadbeef\n"
        "dma addr=0x3fc size=8 val=0x123456789abcdef\n"
        "ram_add size=0x800 max=0x800 flags=0\n"
        "load cpu=0 addr=0xc08 size=2\n"
        "resize block=0x0 size=0x400\n"
        "map vaddr=0x180000400 paddr=0xc00\n"
        "clrex cpu=3\n"
        "run_work cpu=1\n"
        "tlb_flush_page cpu=1 addr=0x100000010\n"
        "protect_code addr=0x400\n"
        "remove block=0xc00\n"
        "tlb_flush cpu=0\n";
    uint8_t *out = NULL;
    size_t len = 0;
    char err[200] = "";
    bool ok = compile(text, &out, &len, err, sizeof(err));
    const struct llsc_op *o = pa.ops;

    report("hand-written text compiles", ok, "%s", err);
    if (!ok) {
        return;
    }
    llsc_decode(out, len, &pa);
    free(out);
    report("config decodes as written",
           pa.cfg.cpus == 9 && pa.cfg.max_cpus == 10 && pa.cfg.cell_sz == 16 &&
               pa.cfg.mttcg && !pa.cfg.be_host && pa.cfg.mmu_modes == 2 &&
               pa.cfg.tlb_bits == 2 && pa.cfg.vtlb == 0 && pa.cfg.page_bits == 10 &&
               pa.cfg.history == 3 && pa.cfg.ram0_pages == 2 &&
               pa.cfg.ram0_max_pages == 3,
           "cpus=%u max=%u cell=%u", pa.cfg.cpus, pa.cfg.max_cpus, pa.cfg.cell_sz);
    report("op count (op 0 is the default block)", pa.nops == 15, "nops=%u",
           pa.nops);
    if (pa.nops != 15) {
        return;
    }
    report("op 0 default block", o[0].kind == LOP_RAM_ADD && o[0].val == 0x800 &&
                                     o[0].max == 0xc00 && o[0].expect == 0 &&
                                     o[0].offset == 0,
           "val=%#llx max=%#llx", (unsigned long long)o[0].val,
           (unsigned long long)o[0].max);
    report("ll", o[1].kind == LOP_LL && o[1].cpu == 9 && o[1].mmu == 1 &&
                     o[1].addr == 0x408 && o[1].size == 4 && !o[1].be,
           "got cpu=%u addr=%#llx", o[1].cpu, (unsigned long long)o[1].addr);
    report("store", o[2].kind == LOP_STORE && o[2].cpu == 2 && o[2].val == 0x2a,
           "val=%#llx", (unsigned long long)o[2].val);
    report("sc (be, pool value)", o[3].kind == LOP_SC && o[3].be &&
                                      o[3].val == 0xdeadbeef && o[3].cpu == 9,
           "val=%#llx", (unsigned long long)o[3].val);
    report("dma", o[4].kind == LOP_DMA && o[4].addr == 0x3fc && o[4].size == 8 &&
                      o[4].val == 0x0123456789abcdefULL,
           "addr=%#llx", (unsigned long long)o[4].addr);
    report("ram_add placed after the default block",
           o[5].kind == LOP_RAM_ADD && o[5].flags == 0 && o[5].offset == 0xc00 &&
               o[5].expect == 0,
           "offset=%#llx expect=%d", (unsigned long long)o[5].offset, o[5].expect);
    report("load in the second block", o[6].kind == LOP_LOAD && o[6].addr == 0xc08 &&
                                           o[6].size == 2,
           "addr=%#llx", (unsigned long long)o[6].addr);
    report("resize, map, clrex, run_work",
           o[7].kind == LOP_RESIZE && o[7].addr == 0 && o[7].val == 0x400 &&
               o[8].kind == LOP_MAP && o[8].addr == 0x180000400ULL &&
               o[8].val == 0xc00 && o[9].kind == LOP_CLREX && o[9].cpu == 3 &&
               o[10].kind == LOP_RUN_WORK && o[10].cpu == 1,
           "mismatch");
    report("tlb_flush_page at MMIO, protect_code, remove, tlb_flush",
           o[11].addr == 0x100000010ULL && o[12].kind == LOP_PROTECT_CODE &&
               o[12].addr == 0x400 && o[13].kind == LOP_REMOVE &&
               o[13].addr == 0xc00 && o[13].expect == 0 &&
               o[14].kind == LOP_TLB_FLUSH,
           "mismatch");
}

/* The layout model: find_ram_offset reuses the smallest fitting gap. */
static void t_layout(void)
{
    const char *text =
        "config page_bits=10 ram0_pages=1 ram0_max_pages=1\n"
        "ram_add size=0x800 max=0x800 flags=0\n"          /* 0x400 */
        "ram_add size=0x400 max=0x400 flags=0\n"          /* 0xc00 */
        "remove block=0x400\n"                            /* gap 0x400-0xc00 */
        "ram_add size=0x400 max=0x400 flags=rom\n"        /* 0x400: smallest gap */
        "ram_add size=0x2000 max=0x2000 flags=0\n"        /* 0x1000 */
        "ram_add size=0x2000 max=0x2000 flags=0\n"        /* 0x3000 */
        "ram_add size=0x2000 max=0x2000 flags=0\n"
        "ram_add size=0x2000 max=0x2000 flags=0\n"
        "resize block=0x1000 size=0x400\n";               /* not resizeable */
    uint8_t *out = NULL;
    size_t len = 0;
    char err[200] = "";
    bool ok = compile(text, &out, &len, err, sizeof(err));

    report("layout text compiles", ok, "%s", err);
    if (!ok) {
        return;
    }
    llsc_decode(out, len, &pa);
    free(out);
    report("layout: offsets, gap reuse, ram_limit, refusals",
           pa.nops == 10 && pa.ops[1].offset == 0x400 && pa.ops[2].offset == 0xc00 &&
               pa.ops[4].offset == 0x400 && pa.ops[4].flags == LLSC_RAM_ROM &&
               pa.ops[5].offset == 0x1000 && pa.ops[6].offset == 0x3000 &&
               pa.ops[7].offset == 0x5000 && pa.ops[7].expect == 0 &&
               pa.ops[8].expect != 0 && pa.ops[9].expect != 0,
           "nops=%u offsets %#llx %#llx %#llx %#llx %#llx expects %d %d",
           pa.nops, (unsigned long long)pa.ops[1].offset,
           (unsigned long long)pa.ops[2].offset,
           (unsigned long long)pa.ops[4].offset,
           (unsigned long long)pa.ops[5].offset,
           (unsigned long long)pa.ops[6].offset, pa.ops[8].expect,
           pa.ops[9].expect);
}

/* The layout model against layouts worked out by hand from QEMU's rules
 * (find_ram_offset: a new block goes after some block's end, into the
 * smallest gap up to the next block; the gap after the last block runs to
 * RAM_ADDR_MAX; ties go to the first block of the list, which is sorted by
 * decreasing max_length, equal ones in the order they were added; sizes
 * round up to whole pages). 1 KiB pages, a RAM limit of 32 pages. */
static void t_layout_qemu(void)
{
    static const struct {
        const char *name, *text;
        unsigned op;        /* the op whose placement is checked */
        uint64_t offset;    /* where QEMU puts it, or */
        int expect;         /* the refusal */
    } cases[] = {
        {"the gap after the last block never wins over one between blocks",
         "config ram0_pages=4 ram0_max_pages=4\n"
         "ram_add size=0x2000 max=0x2000 flags=0\n"     /* [4,12) */
         "ram_add size=0x2000 max=0x2000 flags=0\n"     /* [12,20) */
         "ram_add size=0x2000 max=0x2000 flags=0\n"     /* [20,28) */
         "remove block=0x1000\nremove block=0x3000\n"  /* gap [4,20) */
         "ram_add size=0x800 max=0x800 flags=0\n",      /* 4, not 28 */
         6, 0x1000, 0},
        {"a block that fits no gap between blocks goes last, within the limit",
         "config ram0_pages=4 ram0_max_pages=4\n"
         "ram_add size=0x2000 max=0x2000 flags=0\n"
         "ram_add size=0x2000 max=0x2000 flags=0\n"
         "ram_add size=0x2000 max=0x2000 flags=0\n"
         "remove block=0x1000\nremove block=0x3000\n"
         "ram_add size=0x2000 max=0x2000 flags=0\n"     /* [4,12) */
         "ram_add size=0x2000 max=0x2000 flags=0\n"     /* [12,20) */
         "ram_add size=0x1000 max=0x1000 flags=0\n"     /* [28,32) */
         "ram_add size=0x400 max=0x400 flags=0\n",      /* past the limit */
         9, 0, -4 /* SUT_ENOSPC */},
        {"a tie goes to the block with the larger max_length",
         "config ram0_pages=1 ram0_max_pages=1\n"       /* A [0,1) */
         "ram_add size=0x400 max=0x400 flags=0\n"       /* B [1,2) */
         "ram_add size=0x1000 max=0x1000 flags=0\n"     /* C [2,6) */
         "ram_add size=0x400 max=0x400 flags=0\n"       /* D [6,7) */
         "ram_add size=0x800 max=0x800 flags=0\n"       /* E [7,9) */
         "remove block=0x400\nremove block=0x1800\n"
         "ram_add size=0x400 max=0x400 flags=0\n",      /* after C: 6, not 1 */
         7, 0x1800, 0},
        {"a tie between equal max_lengths goes to the block added first",
         "config ram0_pages=2 ram0_max_pages=2\n"       /* A [0,2) */
         "ram_add size=0x1000 max=0x1000 flags=0\n"     /* G [2,6) */
         "ram_add size=0x800 max=0x800 flags=0\n"       /* B [6,8) */
         "ram_add size=0x800 max=0x800 flags=0\n"       /* F [8,10) */
         "ram_add size=0x2000 max=0x2000 flags=0\n"     /* C [10,18) */
         "remove block=0x800\n"
         "ram_add size=0x800 max=0x800 flags=0\n"       /* Q [2,4) */
         "remove block=0x2000\n"                        /* gaps [4,6), [8,10) */
         "ram_add size=0x800 max=0x800 flags=0\n",      /* after B: 8, not 4 */
         8, 0x2000, 0},
        {"sizes round up to whole pages",
         "config ram0_pages=1 ram0_max_pages=1\n"
         "ram_add size=0x600 max=0x800 flags=resizeable\n" /* [1,3) */
         "ram_add size=0x400 max=0x400 flags=0\n",      /* 3 */
         2, 0xc00, 0},
        {"a size that rounds up past max is refused",
         "config ram0_pages=1 ram0_max_pages=1\n"
         "ram_add size=0x600 max=0x400 flags=resizeable\n",
         1, 0, -1 /* SUT_EINVAL */},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *out = NULL;
        size_t len = 0;
        char err[200] = "", name[128];
        bool ok = compile(cases[i].text, &out, &len, err, sizeof(err));
        unsigned k = cases[i].op;

        snprintf(name, sizeof(name), "layout as QEMU: %s", cases[i].name);
        if (!ok) {
            report(name, false, "does not compile: %s", err);
            continue;
        }
        llsc_decode(out, len, &pa);
        free(out);
        ok = pa.nops > k && pa.ops[k].kind == LOP_RAM_ADD &&
             pa.ops[k].expect == cases[i].expect &&
             (cases[i].expect != 0 || pa.ops[k].offset == cases[i].offset);
        report(name, ok, "op %u: expect %d offset %#llx, wanted %d %#llx", k,
               pa.nops > k ? pa.ops[k].expect : 99,
               pa.nops > k ? (unsigned long long)pa.ops[k].offset : 0ULL,
               cases[i].expect, (unsigned long long)cases[i].offset);
    }
}

/* Inputs the grammar makes common or possible (issue 10): the RFC's cell of
 * 8 in three inputs of four, more vCPUs than a cell has bits at every cell
 * size up to 32, run-time hot-plug, small dirty blocks, 128 KiB of RAM. */
static void t_inputs(void)
{
    static uint8_t hdr[LLSC_HDR_LEN];
    unsigned cells[65] = {0}, w3[65] = {0}, n = 0, maxc = 0, blocks[7] = {0};

    for (unsigned h0 = 0; h0 < 256; h0++) {
        for (unsigned h1 = 0; h1 < 256; h1++) {
            hdr[0] = (uint8_t)h0;
            hdr[1] = (uint8_t)h1;
            llsc_decode(hdr, sizeof(hdr), &pa);
            cells[pa.cfg.cell_sz]++;
            w3[pa.cfg.cell_sz] += pa.cfg.max_cpus > pa.cfg.cell_sz;
            maxc = pa.cfg.max_cpus > maxc ? pa.cfg.max_cpus : maxc;
            n++;
        }
    }
    report("cell size 8 in three headers of four",
           cells[8] * 4 == n * 3 && cells[16] && cells[32] && cells[64],
           "8: %u 16: %u 32: %u 64: %u of %u", cells[8], cells[16], cells[32], cells[64], n);
    report("more vCPUs than the cell has bits, at cells 8, 16 and 32; up to 64 vCPUs",
           w3[8] && w3[16] && w3[32] && maxc == 64, "W3 inputs 8: %u 16: %u 32: %u, max %u",
           w3[8], w3[16], w3[32], maxc);
    for (unsigned h4 = 0; h4 < 16; h4++) {
        hdr[0] = hdr[1] = 0;
        hdr[4] = (uint8_t)h4;
        llsc_decode(hdr, sizeof(hdr), &pa);
        blocks[pa.cfg.block_bits]++;
        if (pa.cfg.ram_pages << pa.cfg.page_bits > 128u << 10) {
            blocks[0] = 99;
        }
    }
    report("dirty blocks of 4, 8, 16 and 64 pages; RAM at most 128 KiB",
           blocks[2] && blocks[3] && blocks[4] && blocks[6] && blocks[0] == 0,
           "block bits 2: %u 3: %u 4: %u 6: %u", blocks[2], blocks[3], blocks[4], blocks[6]);

    {
        const char *text =
            "config cpus=2 hotplug=0 block_bits=2 ram_pages=128\n"
            "ll cpu=1 addr=0x8 size=4\n"
            "cpu_plug\n"
            "ll cpu=2 addr=0x8 size=4\n"
            "cpu_plug\ncpu_plug\ncpu_plug\n"
            "store cpu=5 addr=0x10 size=4 val=0x1\n";
        uint8_t *out = NULL;
        size_t len = 0;
        char err[200] = "";
        bool ok = compile(text, &out, &len, err, sizeof(err));
        if (ok) {
            llsc_decode(out, len, &pa);
            free(out);
        }
        report("cpu_plug: vCPUs 2..5 come into existence and take ops",
               ok && pa.nplugs == 4 && pa.ops[2].kind == LOP_CPU_PLUG && pa.ops[2].cpu == 2 &&
                   pa.ops[3].cpu == 2 && pa.ops[6].cpu == 5 && pa.ops[7].cpu == 5 &&
                   pa.cfg.block_bits == 2 && pa.cfg.ram_pages == 128,
               "%s nplugs=%u", err, pa.nplugs);
    }
    {
        const char *text = "config cpus=40 cell=32 mmu_modes=2 tlb_bits=4\n"
                           "ll cpu=39 mmu=1 addr=0x8 size=4\n"
                           "ll cpu=32 addr=0x8 size=4\n";
        uint8_t *out = NULL;
        size_t len = 0;
        char err[200] = "";
        bool ok = compile(text, &out, &len, err, sizeof(err));
        if (ok) {
            llsc_decode(out, len, &pa);
            free(out);
        }
        report("40 vCPUs with a 32-bit cell: vCPUs 32 and up are addressable",
               ok && pa.cfg.cpus == 40 && pa.cfg.cell_sz == 32 && pa.nops == 3 &&
                   pa.ops[1].cpu == 39 && pa.ops[1].mmu == 1 && pa.ops[2].cpu == 32,
               "%s", err);
    }
}

static void t_errors(void)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"frobnicate cpu=1\n", "line 1: unknown op"},
        {"ll cpu=1 size=4\n", "missing addr"},
        {"ll cpu=7 addr=0x100\n", "cpu=7 out of range"},
        {"ll cpu=0 addr=0x10 size=3\n", "size=3"},
        {"store cpu=0 addr=0x10 val=0x12345\n", "not expressible"},
        {"ll cpu=0 addr=0x123456\n", "not reachable"},
        {"ll cpu=0 addr=0x10 colour=red\n", "unknown key"},
        {"clrex cpu=0\nconfig cpus=2\n", "line 2: config must come once"},
        {"config cpus=40\n", "not expressible"},
        {"config cpus=2 cpus=3\n", "duplicate key"},
        {"remove block=0x4000\n", "no block"},
        {"map vaddr=0x1000 paddr=0x0\n", "alias pages"},
        {"ll cpu=2 addr=0x8 size=4\ncpu_plug\n", "cpu=2 out of range (2 vCPUs present)"},
        {"cpu_plug\ncpu_plug\ncpu_plug\ncpu_plug\ncpu_plug\n", "no vCPU left to plug"},
        {"config cpus=40 cell=32 tlb_bits=8\n", "not expressible: tlb_bits"},
        {"config ram_pages=128 page_bits=12\n", "not expressible: block_bits"},
        {"ll cpu=zero addr=0x100\n", "not a number"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t *out = NULL;
        size_t len = 0;
        char err[200] = "", name[96];
        bool ok = compile(bad[i].text, &out, &len, err, sizeof(err));
        free(out);
        snprintf(name, sizeof(name), "refuses bad text %zu (%s)", i, bad[i].want);
        report(name, !ok && strstr(err, bad[i].want) != NULL, "got %s '%s'",
               ok ? "success" : "error", err);
    }
}

static void t_bytes(void)
{
    /* Decoder corner cases: truncated op, op cap, input cap. */
    static uint8_t big[10000];
    uint8_t trunc[LLSC_HDR_LEN + 5] = {[LLSC_HDR_LEN] = LOP_CLREX, 1, LOP_SC, 0, 0};

    llsc_decode(trunc, sizeof(trunc), &pa);
    report("a cut-off op ends the input", pa.nops == 2 && pa.ops[1].kind == LOP_CLREX,
           "nops=%u", pa.nops);
    memset(big, LOP_CLREX, sizeof(big));
    llsc_decode(big, sizeof(big), &pa);
    report("op count capped", pa.nops == LLSC_MAX_OPS + 1, "nops=%u", pa.nops);
    llsc_decode(NULL, 0, &pa);
    report("empty input: defaults and the default block",
           pa.nops == 1 && pa.cfg.cpus == 2 && pa.ops[0].expect == 0, "nops=%u",
           pa.nops);
}

int main(void)
{
    t_roundtrip();
    t_text();
    t_layout();
    t_layout_qemu();
    t_inputs();
    t_errors();
    t_bytes();
    return failures ? 1 : 0;
}
