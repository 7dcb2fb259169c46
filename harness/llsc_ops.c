/*
 * llsc_ops.c - decoder of the LL/SC byte grammar (see llsc_ops.h for the
 * grammar), the RAM layout model it uses to turn selectors into absolute
 * addresses, and the text codec hx_codec_llsc.
 *
 * Text form, one op per line, `#` comments:
 *   config cpus=9 hotplug=0 cell=8 mttcg=0 be_host=0 mmu_modes=1 tlb_bits=2
 *          vtlb=0 page_bits=10 history=4 ram0_pages=4 ram0_max_pages=8
 *   ll cpu=1 addr=0x1008 size=4            (mmu=N, be=1 when not 0)
 *   sc cpu=1 addr=0x1008 size=4 val=0x2a
 *   load / store (as ll / sc), clrex cpu=N, run_work cpu=N, tlb_flush cpu=N
 *   tlb_flush_page cpu=N addr=A, protect_code addr=A, dma addr=A size=S val=V
 *   ram_add size=0x1000 max=0x2000 flags=resizeable|rom|0
 *   resize block=0x2000 size=0x800, remove block=0x2000
 *   map vaddr=0x180000400 paddr=0x1000
 * The config line is optional (omitted keys take the value of a zero byte)
 * and must come first. Addresses are absolute; the encoder finds selector
 * bytes that the decoder turns back into the same address given the RAM
 * layout at that point, and reports the line if none exists.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "llsc_ops.h"
#include "sut.h"

_Static_assert(LLSC_RAM_RESIZEABLE == SUT_RAM_RESIZEABLE, "flag bits");
_Static_assert(LLSC_RAM_ROM == SUT_RAM_ROM, "flag bits");
_Static_assert(LLSC_MAX_BLOCKS == SUT_MAX_BLOCKS, "block cap");
_Static_assert(LLSC_ALIAS_BASE + LLSC_ALIAS_PAGES * 65536 <= SUT_VADDR_LIMIT,
               "alias window below the vaddr limit");
_Static_assert(LLSC_ALIAS_BASE >= SUT_MMIO_BASE + SUT_MMIO_SIZE,
               "alias window above MMIO");

const char *const llsc_op_names[LOP_N] = {
    [LOP_LL] = "ll",
    [LOP_SC] = "sc",
    [LOP_LOAD] = "load",
    [LOP_STORE] = "store",
    [LOP_CLREX] = "clrex",
    [LOP_RUN_WORK] = "run_work",
    [LOP_TLB_FLUSH] = "tlb_flush",
    [LOP_TLB_FLUSH_PAGE] = "tlb_flush_page",
    [LOP_PROTECT_CODE] = "protect_code",
    [LOP_DMA] = "dma",
    [LOP_RAM_ADD] = "ram_add",
    [LOP_RESIZE] = "resize",
    [LOP_REMOVE] = "remove",
    [LOP_MAP] = "map",
    [LOP_CPU_PLUG] = "cpu_plug",
};

const unsigned char llsc_op_arglen[LOP_N] = {
    [LOP_LL] = 4,        [LOP_SC] = 5,           [LOP_LOAD] = 4,
    [LOP_STORE] = 5,     [LOP_CLREX] = 1,        [LOP_RUN_WORK] = 1,
    [LOP_TLB_FLUSH] = 1, [LOP_TLB_FLUSH_PAGE] = 3, [LOP_PROTECT_CODE] = 2,
    [LOP_DMA] = 4,       [LOP_RAM_ADD] = 2,      [LOP_RESIZE] = 2,
    [LOP_REMOVE] = 1,    [LOP_MAP] = 3,          [LOP_CPU_PLUG] = 0,
};

const uint64_t llsc_pool[LLSC_POOL_SIZE] = {
    0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xdeadbeef,
    0xffffffff, 0x100000000ULL, 0x0123456789abcdefULL, 0xfedcba9876543210ULL,
    0x8000000000000000ULL, 0xffffffffffffffffULL, 0xcafe, 0x2a2a2a2a,
};

static const unsigned hotplug_tab[4] = {0, 0, 1, 2};
static const unsigned tlb_tab[8] = {1, 2, 3, 4, 1, 2, 5, 8};
static const unsigned mmu_tab[4] = {1, 2, 3, 7};
static const unsigned vtlb_tab[8] = {8, 0, 1, 2, 4, 16, 3, 7};
static const unsigned pbits_tab[4] = {10, 10, 11, 12};
static const unsigned hist_tab[8] = {4, 1, 2, 3, 8, 16, 64, 4096};
static const unsigned ram0_tab[8] = {4, 1, 2, 3, 5, 6, 7, 8};
static const unsigned ram0x_tab[4] = {4, 0, 1, 8};
static const unsigned size_tab[4] = {4, 8, 1, 2};
static const unsigned addx_tab[4] = {0, 0, 1, 4};
static const unsigned cell_tab[4] = {16, 16, 32, 64};
static const unsigned block_tab[4] = {6, 2, 3, 4};
static const unsigned ram_tab[4] = {32, 128, 64, 32};

/* ---- header ---- */

/* The whole header at once: the cell size (h1, and h0's top bits) comes
 * first, because the vCPU count may depend on it (h0); the TLB sizes and the
 * RAM limit are capped by what other bytes chose (vCPU count, page size). */
static void cfg_decode(struct llsc_cfg *c, const uint8_t h[LLSC_HDR_LEN])
{
    const unsigned n = h[0] & 15u;

    memset(c, 0, sizeof(*c));
    /* 8 bits per page, the RFC's cell, in three inputs of four. */
    c->cell_sz = ((h[1] >> 2) & 3) < 3 ? 8 : cell_tab[h[0] >> 6];
    if ((h[0] & 0x30) == 0x30) {
        /* More vCPUs than the cell has bits: cluster aliasing (W3) at any
         * cell size that SUT_MAX_CPUS allows. */
        c->cpus = c->cell_sz + 1 + n;
        c->cpus = c->cpus < SUT_MAX_CPUS ? c->cpus : SUT_MAX_CPUS;
    } else {
        /* Half of the rest give 9..20 vCPUs: W3 at the RFC's cell size. */
        c->cpus = h[0] & 0x10 ? 9 + n % 12 : 1 + (n + 1) % 8;
    }
    c->hotplug = hotplug_tab[h[1] & 3];
    if (c->cpus + c->hotplug > SUT_MAX_CPUS) {
        c->hotplug = SUT_MAX_CPUS - c->cpus;
    }
    c->max_cpus = c->cpus + c->hotplug;
    c->mttcg = (h[1] >> 4) & 1;
    c->be_host = (h[1] >> 5) & 1;
    c->mmu_modes = mmu_tab[h[1] >> 6];
    c->tlb_bits = tlb_tab[h[2] & 7];
    c->vtlb = vtlb_tab[(h[2] >> 3) & 7];
    c->page_bits = pbits_tab[h[2] >> 6];
    if (c->max_cpus > LLSC_BIG_CPUS) {
        /* Many vCPUs: small TLBs, so that one input stays small. */
        c->mmu_modes = c->mmu_modes < 2 ? c->mmu_modes : 2;
        c->tlb_bits = c->tlb_bits < 4 ? c->tlb_bits : 4;
        c->vtlb = c->vtlb < 4 ? c->vtlb : 4;
    }
    c->history = hist_tab[h[3] & 7];
    c->ram0_pages = ram0_tab[(h[3] >> 3) & 7];
    c->ram0_max_pages = c->ram0_pages + ram0x_tab[h[3] >> 6];
    c->block_bits = block_tab[h[4] & 3];
    c->ram_pages = ram_tab[(h[4] >> 2) & 3];
    if ((uint64_t)c->ram_pages << c->page_bits > LLSC_MAX_RAM) {
        c->ram_pages = (unsigned)(LLSC_MAX_RAM >> c->page_bits);
    }
}

/* Header byte groups the text encoder searches in turn: h0 and h1
 * together, then h2, h3, h4. */
#define CFG_GROUPS 4

/* ---- RAM layout model ---- */

struct layout {
    unsigned n;
    uint64_t page, limit;
    uint64_t added;           /* blocks added so far */
    unsigned present;         /* vCPUs that exist (cpu_plug adds) */
    unsigned plug_max;        /* how many vCPUs may exist at most */
    struct {
        uint64_t off, used, max;
        unsigned flags;
        uint64_t seq;         /* when it was added */
    } b[LLSC_MAX_BLOCKS];     /* in offset order: the selectors index it */
};

static uint64_t last_ram_offset(const struct layout *L)
{
    uint64_t last = 0;

    for (unsigned i = 0; i < L->n; i++) {
        if (L->b[i].off + L->b[i].max > last) {
            last = L->b[i].off + L->b[i].max;
        }
    }
    return last;
}

/* QEMU's block list order: by decreasing max_length, a block added later
 * after those of the same size. */
static bool list_before(const struct layout *L, unsigned i, unsigned j)
{
    return L->b[i].max != L->b[j].max ? L->b[i].max > L->b[j].max
                                      : L->b[i].seq < L->b[j].seq;
}

/* find_ram_offset, by QEMU's rules: 0 when there are no blocks; else after
 * the end of each block, in list order, the gap up to the next block start,
 * or up to RAM_ADDR_MAX after the last block (so that one is taken only when
 * no gap between blocks fits); the smallest gap that fits, the first in list
 * order on a tie. The block must end within ram_limit. UINT64_MAX: refused. */
static uint64_t find_ram_offset(const struct layout *L, uint64_t size)
{
    uint64_t best = UINT64_MAX, mingap = UINT64_MAX;
    unsigned order[LLSC_MAX_BLOCKS];

    if (L->n == 0) {
        best = 0;
    }
    for (unsigned i = 0; i < L->n; i++) {
        unsigned k = i;
        for (; k > 0 && list_before(L, i, order[k - 1]); k--) {
            order[k] = order[k - 1];
        }
        order[k] = i;
    }
    for (unsigned o = 0; o < L->n; o++) {
        unsigned i = order[o];
        uint64_t end = L->b[i].off + L->b[i].max, next = UINT64_MAX;
        for (unsigned j = 0; j < L->n; j++) {
            if (L->b[j].off >= end && L->b[j].off < next) {
                next = L->b[j].off;
            }
        }
        if (next - end >= size && next - end < mingap) {
            best = end;
            mingap = next - end;
        }
    }
    if (best == UINT64_MAX || best > L->limit || size > L->limit - best) {
        return UINT64_MAX;
    }
    return best;
}

/* TARGET_PAGE_ALIGN, as QEMU rounds block sizes. */
static uint64_t page_up(const struct layout *L, uint64_t x)
{
    return x > UINT64_MAX - (L->page - 1) ? 0 : (x + L->page - 1) & ~(L->page - 1);
}

static int layout_add(struct layout *L, uint64_t used, uint64_t max,
                      unsigned flags, uint64_t *off)
{
    uint64_t o;
    unsigned i;

    *off = 0;
    used = page_up(L, used);
    max = page_up(L, max);
    if (used == 0 || used > max || (!(flags & LLSC_RAM_RESIZEABLE) && used != max)) {
        return SUT_EINVAL;
    }
    if (L->n == LLSC_MAX_BLOCKS) {
        return SUT_ENOSPC;
    }
    o = find_ram_offset(L, max);
    if (o == UINT64_MAX) {
        return SUT_ENOSPC;
    }
    for (i = L->n; i > 0 && L->b[i - 1].off > o; i--) {
        L->b[i] = L->b[i - 1];
    }
    L->b[i].off = o;
    L->b[i].used = used;
    L->b[i].max = max;
    L->b[i].flags = flags;
    L->b[i].seq = L->added++;
    L->n++;
    *off = o;
    return 0;
}

static int layout_find(const struct layout *L, uint64_t off)
{
    for (unsigned i = 0; i < L->n; i++) {
        if (L->b[i].off == off) {
            return (int)i;
        }
    }
    return -1;
}

static int layout_resize(struct layout *L, uint64_t off, uint64_t used)
{
    int i = layout_find(L, off);

    if (i < 0) {
        return SUT_ENOENT;
    }
    used = page_up(L, used);
    if (used == 0) {
        return SUT_EINVAL;
    }
    if (used == L->b[i].used) {
        return 0;
    }
    if (!(L->b[i].flags & LLSC_RAM_RESIZEABLE) || used > L->b[i].max) {
        return SUT_EINVAL;
    }
    L->b[i].used = used;
    return 0;
}

static int layout_remove(struct layout *L, uint64_t off)
{
    int i = layout_find(L, off);

    if (i < 0) {
        return SUT_ENOENT;
    }
    for (unsigned j = (unsigned)i; j + 1 < L->n; j++) {
        L->b[j] = L->b[j + 1];
    }
    L->n--;
    return 0;
}

/* ---- field decoders ---- */

static uint64_t in_page(uint64_t page, unsigned slot)
{
    static const unsigned back[4] = {8, 4, 2, 1};
    return slot < 12 ? 8u * slot : page - back[slot - 12];
}

static uint64_t decode_addr(const struct layout *L, uint8_t s, uint8_t o)
{
    unsigned cls = s & 15;
    uint64_t off = 0, used = L->page;

    if (cls <= 12 && L->n) {
        unsigned bi = (s >> 4) % L->n;
        off = L->b[bi].off;
        used = L->b[bi].used;
    }
    switch (cls) {
    case 12:
        return off + used - 8 + 4u * (o & 31);
    case 13:
        return ((s >> 4) & 1 ? LLSC_GAP_BASE : last_ram_offset(L)) + 8u * o;
    case 14:
        if ((s >> 4) == 15) {
            return SUT_MMIO_BASE + SUT_MMIO_SIZE - 8 + (o & 15);
        }
        return SUT_MMIO_BASE + o;
    case 15:
        return LLSC_ALIAS_BASE + ((o >> 4) & 7) * L->page +
               in_page(L->page, o & 15);
    default: {
        uint64_t pages = used / L->page;
        if (pages == 0) {
            pages = 1;
        }
        return off + ((o >> 4) % pages) * L->page + in_page(L->page, o & 15);
    }
    }
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

static uint64_t decode_val(uint8_t v, unsigned size)
{
    uint64_t x = v < 0x80 ? v : llsc_pool[v & 15];
    return x & size_mask(size);
}

/* Up to 32 vCPUs: 5 bits of the byte pick the vCPU, 3 the MMU mode; with
 * more, 6 and 2 (those inputs have at most 2 MMU modes). */
static unsigned cpu_bits(const struct llsc_cfg *c)
{
    return c->max_cpus + LLSC_MAX_PLUGS > 32 ? 6 : 5;
}

static void decode_cpu(const struct llsc_cfg *c, const struct layout *L, uint8_t x,
                       struct llsc_op *op)
{
    const unsigned bits = cpu_bits(c);

    op->cpu = (uint8_t)((x & ((1u << bits) - 1)) % L->present);
    op->mmu = (uint8_t)((x >> bits) % c->mmu_modes);
}

static void decode_size(uint8_t z, struct llsc_op *op)
{
    op->size = (uint8_t)size_tab[z & 3];
    op->be = (z >> 2) & 1;
}

static void ram_add_sizes(uint64_t page, uint8_t z, uint8_t f, uint64_t *used,
                          uint64_t *max, unsigned *flags)
{
    uint64_t pages = 1 + (z & 7u);

    *flags = (f & 1 ? 0 : LLSC_RAM_RESIZEABLE) |
             ((f & 14) == 14 ? LLSC_RAM_ROM : 0);
    *used = pages * page;
    /* A block that cannot be resized has max == used. */
    *max = *used + (*flags & LLSC_RAM_RESIZEABLE ? addx_tab[(z >> 3) & 3] : 0) * page;
    if ((z >> 5) == 7) {
        *used += page / 2;
    }
}

/* Decode one op at a (args available), updating the layout model. Returns
 * false if the op is skipped (resize/remove without blocks). */
static bool decode_op(const struct llsc_cfg *c, struct layout *L, unsigned kind,
                      const uint8_t *a, struct llsc_op *op)
{
    memset(op, 0, sizeof(*op));
    op->kind = (uint8_t)kind;
    switch (kind) {
    case LOP_LL:
    case LOP_LOAD:
    case LOP_SC:
    case LOP_STORE:
        decode_cpu(c, L, a[0], op);
        op->addr = decode_addr(L, a[1], a[2]);
        decode_size(a[3], op);
        if (kind == LOP_SC || kind == LOP_STORE) {
            op->val = decode_val(a[4], op->size);
        }
        return true;
    case LOP_CLREX:
    case LOP_RUN_WORK:
    case LOP_TLB_FLUSH:
        decode_cpu(c, L, a[0], op);
        op->mmu = 0;
        return true;
    case LOP_TLB_FLUSH_PAGE:
        decode_cpu(c, L, a[0], op);
        op->mmu = 0;
        op->addr = decode_addr(L, a[1], a[2]);
        return true;
    case LOP_PROTECT_CODE:
        op->addr = decode_addr(L, a[0], a[1]);
        return true;
    case LOP_DMA:
        op->addr = decode_addr(L, a[0], a[1]);
        decode_size(a[2], op);
        op->be = false;
        op->val = decode_val(a[3], op->size);
        return true;
    case LOP_RAM_ADD:
        ram_add_sizes(L->page, a[0], a[1], &op->val, &op->max, &op->flags);
        op->expect = layout_add(L, op->val, op->max, op->flags, &op->offset);
        return true;
    case LOP_RESIZE: {
        unsigned bi;
        uint64_t maxp;
        if (L->n == 0) {
            return false;
        }
        bi = a[0] % L->n;
        maxp = L->b[bi].max / L->page;
        op->addr = L->b[bi].off;
        op->val = (1 + a[1] % (maxp + 1)) * L->page;
        op->expect = layout_resize(L, op->addr, op->val);
        return true;
    }
    case LOP_REMOVE:
        if (L->n == 0) {
            return false;
        }
        op->addr = L->b[a[0] % L->n].off;
        op->expect = layout_remove(L, op->addr);
        return true;
    case LOP_MAP:
        op->addr = LLSC_ALIAS_BASE + (a[0] % LLSC_ALIAS_PAGES) * L->page;
        op->val = decode_addr(L, a[1], a[2]) & ~(L->page - 1);
        return true;
    case LOP_CPU_PLUG:
        if (L->present == L->plug_max) {
            return false;
        }
        op->cpu = (uint8_t)L->present++; /* the cpu_index it gets */
        return true;
    }
    return false;
}

static void layout_init(struct layout *L, const struct llsc_cfg *c)
{
    memset(L, 0, sizeof(*L));
    L->page = UINT64_C(1) << c->page_bits;
    L->limit = (uint64_t)c->ram_pages << c->page_bits;
    L->present = c->max_cpus;
    L->plug_max = c->max_cpus + LLSC_MAX_PLUGS < SUT_MAX_CPUS
                      ? c->max_cpus + LLSC_MAX_PLUGS : SUT_MAX_CPUS;
}

static void default_block(const struct llsc_cfg *c, struct layout *L,
                          struct llsc_op *op)
{
    memset(op, 0, sizeof(*op));
    op->kind = LOP_RAM_ADD;
    op->val = (uint64_t)c->ram0_pages << c->page_bits;
    op->max = (uint64_t)c->ram0_max_pages << c->page_bits;
    op->flags = LLSC_RAM_RESIZEABLE;
    op->expect = layout_add(L, op->val, op->max, op->flags, &op->offset);
}

void llsc_decode(const uint8_t *data, size_t size, struct llsc_prog *p)
{
    uint8_t hdr[LLSC_HDR_LEN] = {0};
    struct layout L;
    size_t at;

    if (size > LLSC_MAX_INPUT) {
        size = LLSC_MAX_INPUT;
    }
    if (size) {
        memcpy(hdr, data, size < LLSC_HDR_LEN ? size : LLSC_HDR_LEN);
    }
    cfg_decode(&p->cfg, hdr);
    layout_init(&L, &p->cfg);
    default_block(&p->cfg, &L, &p->ops[0]);
    p->nops = 1;
    at = LLSC_HDR_LEN;
    while (at < size && p->nops <= LLSC_MAX_OPS) {
        unsigned kind = data[at] % LOP_N;
        unsigned n = llsc_op_arglen[kind];
        if (size - at - 1 < n) {
            break;
        }
        if (decode_op(&p->cfg, &L, kind, data + at + 1, &p->ops[p->nops])) {
            p->nops++;
        }
        at += 1 + n;
    }
    p->nplugs = L.present - p->cfg.max_cpus;
}

bool llsc_prog_equal(const struct llsc_prog *a, const struct llsc_prog *b)
{
    if (memcmp(&a->cfg, &b->cfg, sizeof(a->cfg)) != 0 || a->nops != b->nops ||
        a->nplugs != b->nplugs) {
        return false;
    }
    for (unsigned i = 0; i < a->nops; i++) {
        const struct llsc_op *x = &a->ops[i], *y = &b->ops[i];
        if (x->kind != y->kind || x->cpu != y->cpu || x->mmu != y->mmu ||
            x->size != y->size || x->be != y->be || x->addr != y->addr ||
            x->val != y->val || x->max != y->max || x->flags != y->flags ||
            x->expect != y->expect || x->offset != y->offset) {
            return false;
        }
    }
    return true;
}

/* ---- text output ---- */

void llsc_cfg_format(const struct llsc_cfg *c, char *buf, size_t len)
{
    snprintf(buf, len,
             "config cpus=%u hotplug=%u cell=%u mttcg=%d be_host=%d "
             "mmu_modes=%u tlb_bits=%u vtlb=%u page_bits=%u history=%u "
             "ram0_pages=%u ram0_max_pages=%u block_bits=%u ram_pages=%u",
             c->cpus, c->hotplug, c->cell_sz, c->mttcg, c->be_host,
             c->mmu_modes, c->tlb_bits, c->vtlb, c->page_bits, c->history,
             c->ram0_pages, c->ram0_max_pages, c->block_bits, c->ram_pages);
}

static const char *flags_name(unsigned f)
{
    static const char *const names[4] = {"0", "resizeable", "rom",
                                         "resizeable|rom"};
    return names[f & 3];
}

void llsc_op_format(const struct llsc_op *op, char *buf, size_t len)
{
    const char *name = op->kind < LOP_N ? llsc_op_names[op->kind] : "?";
    unsigned long long addr = op->addr, val = op->val;
    char extra[32] = "";

    switch (op->kind) {
    case LOP_LL:
    case LOP_LOAD:
    case LOP_SC:
    case LOP_STORE:
        if (op->mmu) {
            snprintf(extra, sizeof(extra), " mmu=%u", op->mmu);
        }
        if (op->kind == LOP_SC || op->kind == LOP_STORE) {
            snprintf(buf, len, "%s cpu=%u%s addr=0x%llx size=%u%s val=0x%llx",
                     name, op->cpu, extra, addr, op->size,
                     op->be ? " be=1" : "", val);
        } else {
            snprintf(buf, len, "%s cpu=%u%s addr=0x%llx size=%u%s", name,
                     op->cpu, extra, addr, op->size, op->be ? " be=1" : "");
        }
        break;
    case LOP_CLREX:
    case LOP_RUN_WORK:
    case LOP_TLB_FLUSH:
        snprintf(buf, len, "%s cpu=%u", name, op->cpu);
        break;
    case LOP_TLB_FLUSH_PAGE:
        snprintf(buf, len, "%s cpu=%u addr=0x%llx", name, op->cpu, addr);
        break;
    case LOP_PROTECT_CODE:
        snprintf(buf, len, "%s addr=0x%llx", name, addr);
        break;
    case LOP_DMA:
        snprintf(buf, len, "%s addr=0x%llx size=%u val=0x%llx", name, addr,
                 op->size, val);
        break;
    case LOP_RAM_ADD:
        snprintf(buf, len, "%s size=0x%llx max=0x%llx flags=%s", name, val,
                 (unsigned long long)op->max, flags_name(op->flags));
        break;
    case LOP_RESIZE:
        snprintf(buf, len, "%s block=0x%llx size=0x%llx", name, addr, val);
        break;
    case LOP_REMOVE:
        snprintf(buf, len, "%s block=0x%llx", name, addr);
        break;
    case LOP_MAP:
        snprintf(buf, len, "%s vaddr=0x%llx paddr=0x%llx", name, addr, val);
        break;
    case LOP_CPU_PLUG:
        snprintf(buf, len, "%s", name);
        break;
    default:
        snprintf(buf, len, "?");
    }
}

static const char *expect_name(int e)
{
    switch (e) {
    case 0: return "ok";
    case SUT_EINVAL: return "EINVAL";
    case SUT_ENOSPC: return "ENOSPC";
    case SUT_ENOENT: return "ENOENT";
    default: return "error";
    }
}

static void llsc_to_text(const uint8_t *data, size_t len, FILE *out)
{
    struct llsc_prog *p = malloc(sizeof(*p));
    char line[256];

    if (!p) {
        fprintf(out, "# out of memory\n");
        return;
    }
    llsc_decode(data, len, p);
    llsc_cfg_format(&p->cfg, line, sizeof(line));
    fprintf(out, "%s\n", line);
    if (p->ops[0].expect == 0) {
        fprintf(out, "# op 0: default block at 0x%llx\n",
                (unsigned long long)p->ops[0].offset);
    }
    for (unsigned i = 1; i < p->nops; i++) {
        const struct llsc_op *op = &p->ops[i];
        llsc_op_format(op, line, sizeof(line));
        if (op->kind == LOP_RAM_ADD && op->expect == 0) {
            fprintf(out, "%-52s # op %u -> 0x%llx\n", line, i,
                    (unsigned long long)op->offset);
        } else if (op->kind == LOP_CPU_PLUG) {
            fprintf(out, "%-52s # op %u -> vCPU%u\n", line, i, op->cpu);
        } else if (op->kind >= LOP_RAM_ADD && op->kind <= LOP_REMOVE &&
                   op->expect != 0) {
            fprintf(out, "%-52s # op %u -> %s\n", line, i,
                    expect_name(op->expect));
        } else {
            fprintf(out, "%-52s # op %u\n", line, i);
        }
    }
    free(p);
}

/* ---- text input ---- */

struct enc {
    uint8_t *buf;
    size_t len, cap;
    char *err;
    size_t errlen;
    int line;
};

static bool fail(struct enc *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool fail(struct enc *e, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(e->err, e->errlen, "line %d: ", e->line);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < e->errlen) {
        vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
    }
    va_end(ap);
    return false;
}

static bool put(struct enc *e, uint8_t b)
{
    if (e->len == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 256;
        uint8_t *nb = realloc(e->buf, cap);
        if (!nb) {
            return fail(e, "out of memory");
        }
        e->buf = nb;
        e->cap = cap;
    }
    e->buf[e->len++] = b;
    return true;
}

#define MAX_KEYS 16
struct kv {
    unsigned n;
    char *key[MAX_KEYS], *val[MAX_KEYS];
    bool used[MAX_KEYS];
};

static bool split_kv(struct enc *e, char *s, struct kv *kv)
{
    char *save = NULL, *tok;

    kv->n = 0;
    for (tok = strtok_r(s, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || !eq[1]) {
            return fail(e, "expected key=value, got '%s'", tok);
        }
        if (kv->n == MAX_KEYS) {
            return fail(e, "too many arguments");
        }
        *eq = 0;
        for (unsigned i = 0; i < kv->n; i++) {
            if (strcmp(kv->key[i], tok) == 0) {
                return fail(e, "duplicate key '%s'", tok);
            }
        }
        kv->key[kv->n] = tok;
        kv->val[kv->n] = eq + 1;
        kv->used[kv->n] = false;
        kv->n++;
    }
    return true;
}

/* Look up key; *found tells whether it was given. Parses C integers. */
static bool get_num(struct enc *e, struct kv *kv, const char *key, uint64_t def,
                    uint64_t *out, bool *found)
{
    for (unsigned i = 0; i < kv->n; i++) {
        if (strcmp(kv->key[i], key) == 0) {
            char *end;
            errno = 0;
            if (kv->val[i][0] == '-') {
                return fail(e, "%s=%s: negative", key, kv->val[i]);
            }
            *out = strtoull(kv->val[i], &end, 0);
            if (errno || *end) {
                return fail(e, "%s=%s: not a number", key, kv->val[i]);
            }
            kv->used[i] = true;
            if (found) {
                *found = true;
            }
            return true;
        }
    }
    *out = def;
    if (found) {
        *found = false;
    }
    return true;
}

static bool no_unknown_keys(struct enc *e, const struct kv *kv, const char *op)
{
    for (unsigned i = 0; i < kv->n; i++) {
        if (!kv->used[i]) {
            return fail(e, "%s: unknown key '%s'", op, kv->key[i]);
        }
    }
    return true;
}

static bool need(struct enc *e, struct kv *kv, const char *op, const char *key,
                 uint64_t *out)
{
    bool found;

    if (!get_num(e, kv, key, 0, out, &found)) {
        return false;
    }
    return found ? true : fail(e, "%s: missing %s=", op, key);
}

static bool parse_config(struct enc *e, struct kv *kv, struct llsc_cfg *c,
                         uint8_t hdr[LLSC_HDR_LEN])
{
    /* Each key with the group of header bytes that decides it (h0 and h1
     * together, then h2, h3, h4: see cfg_decode). */
    static const struct {
        const char *key;
        size_t off;
        bool boolean;
        unsigned group;
    } keys[] = {
#define K(name, field, b, g) {name, offsetof(struct llsc_cfg, field), b, g}
        K("cpus", cpus, false, 0),         K("hotplug", hotplug, false, 0),
        K("cell", cell_sz, false, 0),      K("mttcg", mttcg, true, 0),
        K("be_host", be_host, true, 0),    K("mmu_modes", mmu_modes, false, 0),
        K("tlb_bits", tlb_bits, false, 1), K("vtlb", vtlb, false, 1),
        K("page_bits", page_bits, false, 1), K("history", history, false, 2),
        K("ram0_pages", ram0_pages, false, 2),
        K("ram0_max_pages", ram0_max_pages, false, 2),
        K("block_bits", block_bits, false, 3), K("ram_pages", ram_pages, false, 3),
#undef K
    };
    bool given[sizeof(keys) / sizeof(keys[0])] = {false};
    static const uint8_t zero[LLSC_HDR_LEN];
    struct llsc_cfg want, got;

    cfg_decode(&want, zero);
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        uint64_t v;
        bool found;
        if (!get_num(e, kv, keys[k].key, 0, &v, &found)) {
            return false;
        }
        if (!found) {
            continue;
        }
        given[k] = true;
        if (keys[k].boolean) {
            if (v > 1) {
                return fail(e, "config: %s=%llu must be 0 or 1", keys[k].key,
                            (unsigned long long)v);
            }
            *(bool *)((char *)&want + keys[k].off) = v != 0;
        } else {
            if (v > 65536) {
                return fail(e, "config: %s=%llu out of range", keys[k].key,
                            (unsigned long long)v);
            }
            *(unsigned *)((char *)&want + keys[k].off) = (unsigned)v;
        }
    }
    if (!no_unknown_keys(e, kv, "config")) {
        return false;
    }
    /* Group by group, in the order the decoder depends on them: h0 and h1
     * together, then h2 (capped by the vCPU count), h3, h4 (capped by the
     * page size); each with the bytes before it already chosen. An omitted
     * key takes what zero bytes give it there (capped like any value). */
    memset(hdr, 0, LLSC_HDR_LEN);
    for (unsigned g = 0; g < CFG_GROUPS; g++) {
        const unsigned lo = g == 0 ? 0 : g + 1, nb = g == 0 ? 2 : 1;
        unsigned x, end = 1u << (8 * nb);
        struct llsc_cfg dflt;
        cfg_decode(&dflt, hdr);
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            if (!given[k] && keys[k].group == g) {
                memcpy((char *)&want + keys[k].off, (const char *)&dflt + keys[k].off,
                       keys[k].boolean ? sizeof(bool) : sizeof(unsigned));
            }
        }
        for (x = 0; x < end; x++) {
            bool same = true;
            hdr[lo] = (uint8_t)x;
            if (nb == 2) {
                hdr[lo + 1] = (uint8_t)(x >> 8);
            }
            cfg_decode(&got, hdr);
            for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && same; k++) {
                const char *a = (const char *)&got + keys[k].off;
                const char *b = (const char *)&want + keys[k].off;
                same = keys[k].group != g ||
                       (keys[k].boolean ? *(const bool *)a == *(const bool *)b
                                        : *(const unsigned *)a == *(const unsigned *)b);
            }
            if (same) {
                break;
            }
        }
        if (x == end) {
            static const char *const what[CFG_GROUPS] = {
                ("cpus (1..20; cell+1..cell+16, at most 64), hotplug (0..2), "
                 "cell (8,16,32,64), mmu_modes (1,2,3,7; at most 2 with more "
                 "than 22 vCPUs)"),
                ("tlb_bits (1,2,3,4,5,8), vtlb (0,1,2,3,4,7,8,16), page_bits "
                 "(10..12); tlb_bits and vtlb at most 4 with more than 22 vCPUs"),
                "history (1,2,3,4,8,16,64,4096), ram0_pages (1..8), extra max pages (0,1,4,8)",
                "block_bits (2,3,4,6), ram_pages (32,64,128; at most 128 KiB)",
            };
            return fail(e, "config: not expressible: %s", what[g]);
        }
    }
    *c = got;
    return true;
}

static int find_cpu_byte(const struct llsc_cfg *c, const struct layout *L, uint64_t cpu,
                         uint64_t mmu, bool with_mmu)
{
    for (unsigned b = 0; b < 256; b++) {
        struct llsc_op o;
        decode_cpu(c, L, (uint8_t)b, &o);
        if (o.cpu == cpu && (!with_mmu || o.mmu == mmu)) {
            return (int)b;
        }
    }
    return -1;
}

static int find_size_byte(uint64_t size, uint64_t be)
{
    for (unsigned b = 0; b < 8; b++) {
        if (size_tab[b & 3] == size && ((b >> 2) & 1) == be) {
            return (int)b;
        }
    }
    return -1;
}

static int find_val_byte(uint64_t val, unsigned size)
{
    for (unsigned b = 0; b < 256; b++) {
        if (decode_val((uint8_t)b, size) == val) {
            return (int)b;
        }
    }
    return -1;
}

static int find_flags_byte(unsigned flags)
{
    for (unsigned b = 0; b < 16; b++) {
        if (((b & 1 ? 0 : LLSC_RAM_RESIZEABLE) |
             ((b & 14) == 14 ? LLSC_RAM_ROM : 0)) == flags) {
            return (int)b;
        }
    }
    return -1;
}

static bool enc_cpu(struct enc *e, const struct llsc_cfg *c, const struct layout *L,
                    struct kv *kv, const char *op, bool with_mmu, struct llsc_op *o)
{
    uint64_t cpu, mmu;
    int x;

    if (!get_num(e, kv, "cpu", 0, &cpu, NULL) ||
        (with_mmu && !get_num(e, kv, "mmu", 0, &mmu, NULL))) {
        return false;
    }
    if (!with_mmu) {
        mmu = 0;
    }
    if (cpu >= L->present) {
        return fail(e, "%s: cpu=%llu out of range (%u vCPUs present)", op,
                    (unsigned long long)cpu, L->present);
    }
    if (mmu >= c->mmu_modes) {
        return fail(e, "%s: mmu=%llu out of range (mmu_modes %u)", op,
                    (unsigned long long)mmu, c->mmu_modes);
    }
    x = find_cpu_byte(c, L, cpu, mmu, with_mmu);
    if (x < 0) {
        return fail(e, "%s: cpu=%llu mmu=%llu not expressible", op,
                    (unsigned long long)cpu, (unsigned long long)mmu);
    }
    o->cpu = (uint8_t)cpu;
    o->mmu = (uint8_t)mmu;
    return put(e, (uint8_t)x);
}

static bool enc_addr(struct enc *e, const struct layout *L, uint64_t addr,
                     bool page_only, const char *op)
{
    uint64_t want = page_only ? addr & ~(L->page - 1) : addr;

    /* The RAM class first: it is the natural spelling of a RAM address. */
    for (unsigned bi = 0; bi < L->n && bi < 16 && !page_only; bi++) {
        uint64_t off = L->b[bi].off;
        if (addr >= off && addr - off < L->b[bi].used) {
            for (unsigned o = 0; o < 256; o++) {
                uint8_t s = (uint8_t)(bi << 4);
                if (decode_addr(L, s, (uint8_t)o) == addr) {
                    return put(e, s) && put(e, (uint8_t)o);
                }
            }
        }
    }
    for (unsigned s = 0; s < 256; s++) {
        for (unsigned o = 0; o < 256; o++) {
            uint64_t a = decode_addr(L, (uint8_t)s, (uint8_t)o);
            if (page_only) {
                a &= ~(L->page - 1);
            }
            if (a == want) {
                return put(e, (uint8_t)s) && put(e, (uint8_t)o);
            }
        }
    }
    return fail(e, "%s: address 0x%llx is not reachable by the grammar here",
                op, (unsigned long long)addr);
}

static bool enc_size(struct enc *e, struct kv *kv, const char *op, bool with_be,
                     struct llsc_op *o)
{
    uint64_t size, be;
    int x;

    if (!get_num(e, kv, "size", 4, &size, NULL) ||
        (with_be && !get_num(e, kv, "be", 0, &be, NULL))) {
        return false;
    }
    if (!with_be) {
        be = 0;
    }
    x = find_size_byte(size, be);
    if (x < 0) {
        return fail(e, "%s: size=%llu be=%llu not expressible (size 1,2,4,8)",
                    op, (unsigned long long)size, (unsigned long long)be);
    }
    o->size = (uint8_t)size;
    o->be = be != 0;
    return put(e, (uint8_t)x);
}

static bool enc_val(struct enc *e, struct kv *kv, const char *op,
                    struct llsc_op *o)
{
    uint64_t val;
    int x;

    if (!get_num(e, kv, "val", 0, &val, NULL)) {
        return false;
    }
    x = find_val_byte(val, o->size);
    if (x < 0) {
        return fail(e, "%s: val=0x%llx not expressible at size %u (0..0x7f or "
                    "a pool value masked to the size)",
                    op, (unsigned long long)val, o->size);
    }
    return put(e, (uint8_t)x);
}

static bool parse_flags(struct enc *e, struct kv *kv, unsigned *flags)
{
    for (unsigned i = 0; i < kv->n; i++) {
        if (strcmp(kv->key[i], "flags") == 0) {
            char tmp[64], *save = NULL, *t;
            kv->used[i] = true;
            *flags = 0;
            snprintf(tmp, sizeof(tmp), "%s", kv->val[i]);
            for (t = strtok_r(tmp, "|,", &save); t; t = strtok_r(NULL, "|,", &save)) {
                if (strcmp(t, "resizeable") == 0) {
                    *flags |= LLSC_RAM_RESIZEABLE;
                } else if (strcmp(t, "rom") == 0) {
                    *flags |= LLSC_RAM_ROM;
                } else if (strcmp(t, "0") != 0) {
                    return fail(e, "ram_add: unknown flag '%s'", t);
                }
            }
            return true;
        }
    }
    *flags = LLSC_RAM_RESIZEABLE;
    return true;
}

static bool encode_line(struct enc *e, const struct llsc_cfg *c,
                        struct layout *L, char *s)
{
    char *sp = s + strcspn(s, " \t");
    char name[32];
    unsigned kind;
    struct kv kv;
    struct llsc_op o;
    uint64_t a, b;

    snprintf(name, sizeof(name), "%.*s", (int)(sp - s), s);
    for (kind = 0; kind < LOP_N; kind++) {
        if (strcmp(llsc_op_names[kind], name) == 0) {
            break;
        }
    }
    if (kind == LOP_N) {
        return fail(e, "unknown op '%s'", name);
    }
    if (!split_kv(e, sp, &kv) || !put(e, (uint8_t)kind)) {
        return false;
    }
    memset(&o, 0, sizeof(o));
    switch (kind) {
    case LOP_LL:
    case LOP_LOAD:
    case LOP_SC:
    case LOP_STORE:
        if (!enc_cpu(e, c, L, &kv, name, true, &o) ||
            !need(e, &kv, name, "addr", &a) || !enc_addr(e, L, a, false, name) ||
            !enc_size(e, &kv, name, true, &o)) {
            return false;
        }
        if ((kind == LOP_SC || kind == LOP_STORE) && !enc_val(e, &kv, name, &o)) {
            return false;
        }
        break;
    case LOP_CLREX:
    case LOP_RUN_WORK:
    case LOP_TLB_FLUSH:
        if (!enc_cpu(e, c, L, &kv, name, false, &o)) {
            return false;
        }
        break;
    case LOP_TLB_FLUSH_PAGE:
        if (!enc_cpu(e, c, L, &kv, name, false, &o) ||
            !need(e, &kv, name, "addr", &a) || !enc_addr(e, L, a, false, name)) {
            return false;
        }
        break;
    case LOP_PROTECT_CODE:
        if (!need(e, &kv, name, "addr", &a) || !enc_addr(e, L, a, false, name)) {
            return false;
        }
        break;
    case LOP_DMA:
        if (!need(e, &kv, name, "addr", &a) || !enc_addr(e, L, a, false, name) ||
            !enc_size(e, &kv, name, false, &o) || !enc_val(e, &kv, name, &o)) {
            return false;
        }
        break;
    case LOP_RAM_ADD: {
        unsigned flags;
        int z, f;
        if (!need(e, &kv, name, "size", &a) ||
            !get_num(e, &kv, "max", a, &b, NULL) || !parse_flags(e, &kv, &flags)) {
            return false;
        }
        f = find_flags_byte(flags);
        if (f < 0) {
            return fail(e, "ram_add: flags not expressible");
        }
        z = -1;
        for (unsigned x = 0; x < 256 && z < 0; x++) {
            uint64_t u, m;
            unsigned fl;
            ram_add_sizes(L->page, (uint8_t)x, (uint8_t)f, &u, &m, &fl);
            if (u == a && m == b) {
                z = (int)x;
            }
        }
        if (z < 0) {
            return fail(e, "ram_add: size=0x%llx max=0x%llx not expressible "
                        "(1..8 pages, max = size + 0, 1 or 4 pages when "
                        "resizeable, else max = size)",
                        (unsigned long long)a, (unsigned long long)b);
        }
        if (!put(e, (uint8_t)z) || !put(e, (uint8_t)f)) {
            return false;
        }
        {
            uint64_t off;
            (void)layout_add(L, a, b, flags, &off);
        }
        break;
    }
    case LOP_RESIZE:
    case LOP_REMOVE: {
        int bi;
        if (!need(e, &kv, name, "block", &a)) {
            return false;
        }
        bi = layout_find(L, a);
        if (bi < 0) {
            return fail(e, "%s: no block at 0x%llx", name,
                        (unsigned long long)a);
        }
        if (!put(e, (uint8_t)bi)) {
            return false;
        }
        if (kind == LOP_REMOVE) {
            (void)layout_remove(L, a);
            break;
        }
        if (!need(e, &kv, name, "size", &b)) {
            return false;
        }
        if (b == 0 || b % L->page || b / L->page > L->b[bi].max / L->page + 1) {
            return fail(e, "resize: size=0x%llx not expressible (1 .. max + 1 "
                        "pages)", (unsigned long long)b);
        }
        if (!put(e, (uint8_t)(b / L->page - 1))) {
            return false;
        }
        (void)layout_resize(L, a, b);
        break;
    }
    case LOP_CPU_PLUG:
        if (L->present == L->plug_max) {
            return fail(e, "cpu_plug: no vCPU left to plug (%u present, at most %d "
                        "plugged per input)", L->present, LLSC_MAX_PLUGS);
        }
        L->present++;
        break;
    case LOP_MAP: {
        uint64_t j;
        if (!need(e, &kv, name, "vaddr", &a) || !need(e, &kv, name, "paddr", &b)) {
            return false;
        }
        j = (a - LLSC_ALIAS_BASE) / L->page;
        if (a < LLSC_ALIAS_BASE || (a - LLSC_ALIAS_BASE) % L->page ||
            j >= LLSC_ALIAS_PAGES) {
            return fail(e, "map: vaddr=0x%llx is not one of the %d alias pages "
                        "at 0x%llx",
                        (unsigned long long)a, LLSC_ALIAS_PAGES,
                        LLSC_ALIAS_BASE);
        }
        if (b % L->page) {
            return fail(e, "map: paddr=0x%llx not page aligned",
                        (unsigned long long)b);
        }
        if (!put(e, (uint8_t)j) || !enc_addr(e, L, b, true, name)) {
            return false;
        }
        break;
    }
    }
    return no_unknown_keys(e, &kv, name);
}

static int llsc_from_text(const char *text, uint8_t **out, size_t *outlen,
                          char *err, size_t errlen)
{
    struct enc e = {NULL, 0, 0, err, errlen, 0};
    struct llsc_cfg c;
    struct layout L;
    uint8_t hdr[LLSC_HDR_LEN] = {0};
    bool have_cfg = false, seen_op = false;
    unsigned nops = 0;
    const char *p = text;
    struct llsc_op dummy;

    if (errlen) {
        err[0] = 0;
    }
    cfg_decode(&c, hdr);
    for (unsigned h = 0; h < LLSC_HDR_LEN; h++) {
        put(&e, 0);
    }
    while (*p) {
        size_t n = strcspn(p, "\n");
        char line[1024], *s, *end;
        e.line++;
        if (n >= sizeof(line)) {
            fail(&e, "line too long");
            goto bad;
        }
        memcpy(line, p, n);
        line[n] = 0;
        p += n + (p[n] == '\n');
        if ((s = strchr(line, '#')) != NULL) {
            *s = 0;
        }
        for (s = line; isspace((unsigned char)*s); s++) {
        }
        for (end = s + strlen(s); end > s && isspace((unsigned char)end[-1]); end--) {
        }
        *end = 0;
        if (!*s) {
            continue;
        }
        if (strncmp(s, "config", 6) == 0 && (s[6] == 0 || isspace((unsigned char)s[6]))) {
            struct kv kv;
            if (have_cfg || seen_op) {
                fail(&e, "config must come once, before any op");
                goto bad;
            }
            if (!split_kv(&e, s + 6, &kv) || !parse_config(&e, &kv, &c, hdr)) {
                goto bad;
            }
            memcpy(e.buf, hdr, LLSC_HDR_LEN);
            have_cfg = true;
            continue;
        }
        if (!seen_op) {
            layout_init(&L, &c);
            default_block(&c, &L, &dummy);
            seen_op = true;
        }
        if (++nops > LLSC_MAX_OPS) {
            fail(&e, "more than %d ops", LLSC_MAX_OPS);
            goto bad;
        }
        if (!encode_line(&e, &c, &L, s)) {
            goto bad;
        }
        if (e.len > LLSC_MAX_INPUT) {
            fail(&e, "input longer than %d bytes", LLSC_MAX_INPUT);
            goto bad;
        }
    }
    *out = e.buf;
    *outlen = e.len;
    return 0;
bad:
    free(e.buf);
    return -1;
}

const struct hx_codec hx_codec_llsc = {
    .family = "llsc",
    .to_text = llsc_to_text,
    .from_text = llsc_from_text,
};
