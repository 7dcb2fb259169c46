/*
 * feedback.c - state features of an LL/SC run as extra coverage (feedback.h
 * has the features, the model and where the counters go per build).
 */
#include <stdlib.h>
#include <string.h>

#include "feedback.h"

/* The map's layout: one base per feature family, fields mixed-radix. */
#define FB_ACCESS_BASE 0u
#define FB_ACCESS_N (4u * FB_NENTRY * FB_NOTHER * 2u * FB_NCROSS * FB_NCLASS * 2u)
#define FB_EXCL_BASE (FB_ACCESS_BASE + FB_ACCESS_N)
#define FB_EXCL_N (5u * 2u * FB_NOTHER)
#define FB_SHAPE_BASE (FB_EXCL_BASE + FB_EXCL_N)
#define FB_SHAPE_N (FB_NSHAPE * 2u * 2u)
#define FB_OPS_BASE (FB_SHAPE_BASE + FB_SHAPE_N)
#define FB_OPS_N (LOP_N * 2u)
#define FB_SC_BASE (FB_OPS_BASE + FB_OPS_N)
#define FB_SC_N (2u * 3u * FB_NENTRY)
#define FB_CROSSING_BASE (FB_SC_BASE + FB_SC_N)
#define FB_CROSSING_N (4u * FB_NENTRY * 2u * 4u * 2u)
#define FB_WHERE_BASE (FB_CROSSING_BASE + FB_CROSSING_N)
#define FB_WHERE_N (4u * 2u * 2u * (1u + LLSC_ALIAS_PAGES) * 16u)
#define FB_REMAP_BASE (FB_WHERE_BASE + FB_WHERE_N)
#define FB_REMAP_N (4u * FB_NENTRY * 2u * 2u + 4u)
_Static_assert(FB_REMAP_BASE + FB_REMAP_N <= FB_MAP_SIZE, "feedback map too small");

/* Pages protect_code made hold code, as the program asked (a small ring). */
#define FB_CODE_PAGES 8

#if defined(LLSC_FB_LIBFUZZER)
/* libFuzzer finds this section by its __start_/__stop_ symbols, clears it
 * before each input and turns its counters into features. */
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t fb_map[FB_MAP_SIZE];
#define FB_SLOT(i) (&fb_map[i])
#elif defined(LLSC_FB_AFL)
/* AFL++ (4.04c: no IJON calls): our features take map indices the way
 * instrumented edges do, from the runtime's guard numbering, so the map size
 * the fork server reports covers them. This file is compiled by plain
 * clang there (mk/fuzz.mk): the instrumentation declares __afl_area_ptr
 * itself and renames a second declaration. */
extern uint8_t *__afl_area_ptr;
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);
static uint32_t fb_guard[FB_MAP_SIZE];
__attribute__((constructor)) static void fb_afl_guards(void)
{
    __sanitizer_cov_trace_pc_guard_init(fb_guard, fb_guard + FB_MAP_SIZE);
}
#define FB_SLOT(i) (&__afl_area_ptr[fb_guard[i]])
#else
static uint8_t fb_map[FB_MAP_SIZE];
#define FB_SLOT(i) (&fb_map[i])
#endif

#define FB_MAX_CPUS (SUT_MAX_CPUS + LLSC_MAX_PLUGS)

static struct {
    uint64_t page;
    bool alias_on[LLSC_ALIAS_PAGES];
    uint64_t alias_pa[LLSC_ALIAS_PAGES];
    /* Per alias page, bit (cpu % 8) * 8 + mmu % 8: who accessed it since
     * its last map, and who did under an earlier mapping and not since
     * (where a flush that missed an entry leaves it stale). */
    uint64_t seen[LLSC_ALIAS_PAGES], before[LLSC_ALIAS_PAGES];
    struct {
        bool armed;
        uint8_t hit;          /* another vCPU wrote since: 1 the page, 2 the bytes */
        uint64_t pa, end;
    } res[FB_MAX_CPUS];
    uint64_t code[FB_CODE_PAGES];
    unsigned ncode;
    unsigned ncpus;           /* vCPUs the program can name: the loops' bound */
} st;

bool fb_enabled(void)
{
    static int cached = -1;

    if (cached < 0) {
        const char *e = getenv("LLSC_FEEDBACK");
        cached = !(e && strcmp(e, "0") == 0);
    }
    return cached;
}

const uint8_t *fb_counters(void)
{
#if defined(LLSC_FB_AFL)
    return NULL; /* the map is AFL++'s; its indices are fb_guard[] */
#else
    return fb_map;
#endif
}

static void bump(unsigned i)
{
    uint8_t *c = FB_SLOT(i);

    /* Saturate: a wrapped counter would read as a state never reached. */
    if (*c != 255) {
        (*c)++;
    }
}

void fb_input_start(const struct llsc_prog *p)
{
    if (!fb_enabled()) {
        return;
    }
    memset(&st, 0, sizeof(st));
    st.page = UINT64_C(1) << p->cfg.page_bits;
    st.ncpus = p->cfg.max_cpus + p->nplugs;
    st.ncpus = st.ncpus < FB_MAX_CPUS ? st.ncpus : FB_MAX_CPUS;
#if !defined(LLSC_FB_LIBFUZZER) && !defined(LLSC_FB_AFL)
    memset(fb_map, 0, sizeof(fb_map));
#endif
}

/* The guest-physical address of va as the program mapped it: identity below
 * the alias window, the map ops' pages inside it. */
static bool translate(uint64_t va, uint64_t *pa, bool *alias)
{
    *alias = va >= LLSC_ALIAS_BASE && va < LLSC_ALIAS_BASE + LLSC_ALIAS_PAGES * st.page;
    if (!*alias) {
        *pa = va;
        return true;
    }
    unsigned j = (unsigned)((va - LLSC_ALIAS_BASE) / st.page);
    if (!st.alias_on[j]) {
        return false;
    }
    *pa = st.alias_pa[j] + (va & (st.page - 1));
    return true;
}

unsigned fb_access_index(const struct fb_access *a)
{
    unsigned i = a->kind & 3u;

    i = i * FB_NENTRY + a->entry;
    i = i * FB_NOTHER + a->other;
    i = i * 2u + a->own;
    i = i * FB_NCROSS + a->cross;
    i = i * FB_NCLASS + a->cls;
    i = i * 2u + a->stale;
    return FB_ACCESS_BASE + i;
}

unsigned fb_remap_index(unsigned kind, enum fb_entry entry, bool upper_mode, bool before)
{
    return FB_REMAP_BASE + (((kind & 3u) * FB_NENTRY + entry) * 2u + upper_mode) * 2u + before;
}

unsigned fb_sc_index(bool armed, unsigned hit, enum fb_entry entry)
{
    return FB_SC_BASE + (armed * 3u + hit % 3u) * FB_NENTRY + entry;
}

/* The other vCPUs' reservations against [pa, pa + size). */
static enum fb_other others(unsigned cpu, uint64_t pa, unsigned size)
{
    enum fb_other o = FB_OTHER_NONE;
    const uint64_t pg = pa & ~(st.page - 1);

    for (unsigned c = 0; c < st.ncpus; c++) {
        if (c == cpu || !st.res[c].armed) {
            continue;
        }
        if (st.res[c].pa < pa + size && pa < st.res[c].end) {
            return FB_OTHER_OVERLAP;
        }
        if ((st.res[c].pa & ~(st.page - 1)) == pg) {
            o = FB_OTHER_PAGE;
        }
    }
    return o;
}

static enum fb_shape shape(unsigned cpu, uint64_t pa, unsigned size)
{
    enum fb_shape s = FB_SHAPE_NONE;
    const uint64_t pg = pa & ~(st.page - 1);

    for (unsigned c = 0; c < st.ncpus; c++) {
        enum fb_shape t;
        if (c == cpu || !st.res[c].armed) {
            continue;
        }
        if (st.res[c].pa == pa && st.res[c].end == pa + size) {
            t = FB_SHAPE_SAME;
        } else if (st.res[c].pa < pa + size && pa < st.res[c].end) {
            t = FB_SHAPE_OVERLAP;
        } else if ((st.res[c].pa & ~(st.page - 1)) == pg) {
            t = FB_SHAPE_SAME_PAGE;
        } else {
            t = FB_SHAPE_PAGE_OTHER;
        }
        s = t > s ? t : s;
    }
    return s;
}

/* A write by cpu (FB_MAX_CPUS: DMA) to [pa, pa + size): the other vCPUs'
 * reservations it touches are marked, so that their SC is told apart. */
static void note_write(unsigned cpu, uint64_t pa, unsigned size)
{
    const uint64_t pg = pa & ~(st.page - 1);

    for (unsigned c = 0; c < st.ncpus; c++) {
        if (c == cpu || !st.res[c].armed) {
            continue;
        }
        if (st.res[c].pa < pa + size && pa < st.res[c].end) {
            st.res[c].hit = 2;
        } else if ((st.res[c].pa & ~(st.page - 1)) == pg && st.res[c].hit < 1) {
            st.res[c].hit = 1;
        }
    }
}

static bool is_code(uint64_t pa)
{
    const uint64_t pg = pa & ~(st.page - 1);

    for (unsigned i = 0; i < st.ncode && i < FB_CODE_PAGES; i++) {
        if (st.code[i] == pg) {
            return true;
        }
    }
    return false;
}

/* What the second page of a crossing access is: 0 RAM, 1 RAM holding code,
 * 2 anything else (ROM, MMIO, unassigned), 3 not mapped at all. */
static unsigned second_page(const struct orc *o, uint64_t va)
{
    uint64_t pa;
    bool alias;

    if (!translate(va, &pa, &alias)) {
        return 3;
    }
    if (orc_phys_kind(o, pa) != ORC_RAM) {
        return 2;
    }
    return is_code(pa) ? 1 : 0;
}

static enum fb_entry entry_of(const sut_machine *m, const struct llsc_op *op, bool *stale)
{
    sut_tlb_read_view v;
    int w = sut_tlb_write_flags(m, op->cpu, op->mmu, op->addr);
    bool r = sut_tlb_read_entry(m, op->cpu, op->mmu, op->addr, &v);

    *stale = r && (v.paddr != v.guest_paddr || !v.host_current);
    if (w >= 0) {
        return (w & SUT_TLB_EXCL) ? FB_EXCL
             : (w & SUT_TLB_MMIO) ? FB_MMIO
             : (w & SUT_TLB_NOTDIRTY) ? FB_NOTDIRTY : FB_PLAIN;
    }
    return !r ? FB_ABSENT : v.victim ? FB_VICTIM : FB_PLAIN;
}

static bool any_reservation(void)
{
    for (unsigned c = 0; c < st.ncpus; c++) {
        if (st.res[c].armed) {
            return true;
        }
    }
    return false;
}

static void access_features(const sut_machine *m, const struct orc *o,
                            const struct llsc_op *op)
{
    struct fb_access a;
    uint64_t pa, pa2;
    bool alias, alias2;
    const uint64_t off = op->addr & (st.page - 1);

    if (op->cpu >= FB_MAX_CPUS || !translate(op->addr, &pa, &alias)) {
        return; /* a fault: nothing of the page's state to tell */
    }
    a.kind = op->kind;
    a.entry = entry_of(m, op, &a.stale);
    a.other = others(op->cpu, pa, op->size);
    a.own = st.res[op->cpu].armed &&
            (st.res[op->cpu].pa & ~(st.page - 1)) == (pa & ~(st.page - 1));
    a.cross = FB_CROSS_NO;
    if (off + op->size > st.page) {
        uint64_t next = (op->addr & ~(st.page - 1)) + st.page;
        a.cross = translate(next, &pa2, &alias2) && pa2 == (pa & ~(st.page - 1)) + st.page
                      ? FB_CROSS_NEXT : FB_CROSS_APART;
    }
    switch (orc_phys_kind(o, pa)) {
    case ORC_RAM:
        a.cls = alias ? FB_CLASS_ALIAS : FB_CLASS_RAM;
        break;
    case ORC_MMIO:
        a.cls = FB_CLASS_MMIO;
        break;
    default:
        a.cls = FB_CLASS_OTHER;
        break;
    }
    bump(fb_access_index(&a));
    if (alias) {
        const unsigned j = (unsigned)((op->addr - LLSC_ALIAS_BASE) / st.page);
        const uint64_t bit = UINT64_C(1) << ((op->cpu % 8u) * 8u + op->mmu % 8u);
        bump(fb_remap_index(op->kind, a.entry, op->mmu > 0, st.before[j] & bit));
        st.seen[j] |= bit;
        st.before[j] &= ~bit;
    }
    if (a.cross != FB_CROSS_NO) {
        const uint64_t next = (op->addr & ~(st.page - 1)) + st.page;
        bump(FB_CROSSING_BASE +
             (((op->kind * FB_NENTRY + a.entry) * 2u + (a.cross == FB_CROSS_APART)) * 4u +
              second_page(o, next)) * 2u + is_code(pa));
        /* Where it crosses: the alias page (or none) and the physical page.
         * Page crossings are rare; telling them apart by place keeps their
         * neighbourhood, one page or map away from W13/W19, in the corpus. */
        bump(FB_WHERE_BASE +
             (((op->kind * 2u + (a.entry == FB_EXCL || a.entry == FB_NOTDIRTY)) * 2u +
               (a.cross == FB_CROSS_APART)) * (1u + LLSC_ALIAS_PAGES) +
              (alias ? 1u + (unsigned)((op->addr - LLSC_ALIAS_BASE) / st.page) : 0u)) * 16u +
             (unsigned)(pa / st.page) % 16u);
    }
    bump(FB_EXCL_BASE + ((unsigned)op->kind * 2u + sut_page_is_exclusive(m, pa)) * FB_NOTHER +
         a.other);
    if (op->kind == LOP_LL) {
        bump(FB_SHAPE_BASE + (shape(op->cpu, pa, op->size) * 2u + (a.cross != FB_CROSS_NO)) * 2u +
             st.res[op->cpu].armed);
        st.res[op->cpu].armed = true;
        st.res[op->cpu].hit = 0;
        st.res[op->cpu].pa = pa;
        st.res[op->cpu].end = pa + op->size;
    } else if (op->kind == LOP_SC) {
        /* an SC after another vCPU wrote the reserved bytes must fail */
        bump(fb_sc_index(st.res[op->cpu].armed, st.res[op->cpu].hit, a.entry));
        st.res[op->cpu].armed = false;
        note_write(op->cpu, pa, op->size);
    } else if (op->kind == LOP_STORE) {
        note_write(op->cpu, pa, op->size);
    }
}

void fb_op(const sut_machine *m, const struct orc *o, const struct llsc_op *op)
{
    if (!fb_enabled()) {
        return;
    }
    switch (op->kind) {
    case LOP_LL:
    case LOP_SC:
    case LOP_LOAD:
    case LOP_STORE:
        access_features(m, o, op);
        return;
    case LOP_DMA:
        bump(FB_EXCL_BASE + (4u * 2u + sut_page_is_exclusive(m, op->addr)) * FB_NOTHER +
             others(FB_MAX_CPUS, op->addr, op->size));
        note_write(FB_MAX_CPUS, op->addr, op->size);
        break;
    case LOP_PROTECT_CODE:
        st.code[st.ncode++ % FB_CODE_PAGES] = op->addr & ~(st.page - 1);
        break;
    case LOP_CLREX:
        if (op->cpu < FB_MAX_CPUS) {
            st.res[op->cpu].armed = false;
        }
        break;
    case LOP_MAP: {
        unsigned j = (unsigned)((op->addr - LLSC_ALIAS_BASE) / st.page);
        if (op->addr >= LLSC_ALIAS_BASE && j < LLSC_ALIAS_PAGES) {
            /* A remap: did this page have users, in mode 0 or above? */
            bump(FB_REMAP_BASE + FB_REMAP_N - 4u + (st.seen[j] != 0) * 2u +
                 ((st.seen[j] & ~UINT64_C(0x0101010101010101)) != 0));
            st.before[j] |= st.seen[j];
            st.seen[j] = 0;
            st.alias_on[j] = true;
            st.alias_pa[j] = op->val;
        }
        break;
    }
    default:
        break;
    }
    bump(FB_OPS_BASE + (unsigned)op->kind * 2u + any_reservation());
}
