/*
 * llsc_fuzz.c - run one decoded LL/SC program on a fresh machine and on the
 * oracle, checking after every op (see llsc_fuzz.h for the order of checks).
 */
#include <ctype.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "invariant.h"
#include "known.h"
#include "llsc_fuzz.h"
#include "llsc_ops.h"
#include "oracle.h"
#include "report.h"

/* MMIO is compared where accesses touched it (and whole in the precise run);
 * no extra window. */
#define MMIO_WINDOW_LO 0
#define MMIO_WINDOW_HI 0

/*
 * Two ways to run a program. The fast run (every input) compares the bytes
 * near each write after the op, and the bytes near every access at the end
 * (orc_check_memory NEAR / TOUCHED). If it finds any violation, the input
 * runs again precisely: all RAM (and the MMIO bytes near accesses) after
 * every op, everything at the end, so the verdict names the first op that
 * broke anything. Both runs are deterministic, so the verdict line is the
 * same in every build; only failing inputs pay for the precise run. With
 * LLSC_TRACE the precise run is the only one.
 */
struct run {
    sut_machine *m;
    struct orc *o;
    const struct llsc_prog *p;
    long op;
    bool trace, precise;
    bool invariants;          /* fixed: check the design's invariants too */
    uint64_t mmio_seen;       /* device writes the oracle has judged */
    uint64_t fills[LLSC_MAX_OPS + 1]; /* stats.tlb_fills after each op */
    sut_stats stats;
    jmp_buf out;              /* fast run: where a violation returns to */
    const char *property;     /* fast run: the violation found */
    long fail_op;
    char msg[512];
    char sig[KNOWN_SIG_MAX];  /* its signature (known.h) */
    /* Masking (known.h): in the precise run, a violation of a known class
     * unwinds to op_out, the model takes what the system did, and the
     * program goes on. */
    const struct known_list *known;
    bool fast_known;          /* the fast run's violation is a known one */
    jmp_buf op_out;
    unsigned nmasked;
    char masked[16][KNOWN_SIG_MAX]; /* distinct signatures masked, this input */
    /* the system's outcome of the current op, for the model to take */
    bool orc_done;
    int rc, status;
    uint64_t val, off;
};

/* One machine and one model per process, renewed for each run (sut_renew,
 * orc_renew): fresh memory per input, through ASan's quarantine, cost more
 * than the run itself. That a run starts from the state a fresh machine has
 * is checked by ci/tests/53-fresh-state.sh, not by reallocating. */
static sut_machine *machine;
static struct orc *oracle;
static sut_stats last_stats; /* the machine's at the end of the last run */

static int trace_enabled(void)
{
    static int cached = -1;

    if (cached < 0) {
        const char *e = getenv("LLSC_TRACE");
        cached = e && *e && strcmp(e, "0") != 0;
    }
    return cached;
}

static enum orc_rc to_orc(int rc)
{
    switch (rc) {
    case SUT_OK: return ORC_OK;
    case SUT_EFAULT: return ORC_FAULT;
    case SUT_EALIGN: return ORC_ALIGN;
    default: return ORC_OTHER;
    }
}

static const char *errname(int rc)
{
    return rc == SUT_OK ? "ok" : sut_strerror(rc);
}

static int peek(void *ctx, uint64_t pa, void *buf, size_t len)
{
    return sut_peek((const sut_machine *)ctx, pa, buf, len);
}

/* Report a violation: at once in the precise run; the fast run records it
 * and unwinds (only harness code is on the stack: the SUT call returned). */
static void violation(struct run *r, const char *property, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The kind of op n as the text form names it (op 0 is the header's block). */
static const char *op_kind(const struct run *r, long n)
{
    if (n == 0) {
        return "config";
    }
    if (n < 0 || (unsigned long)n >= r->p->nops || r->p->ops[n].kind >= LOP_N) {
        return NULL;
    }
    return llsc_op_names[r->p->ops[n].kind];
}

/* The campaign's deduplication key (ci/campaign/triage.py signature()):
 * "<property> @<op>" and " <<kind>" for each other op the message cites. */
static void signature(const struct run *r, const char *property, char *buf,
                      size_t len)
{
    const char *k = op_kind(r, r->op), *cited[8];
    unsigned nc = 0;
    size_t at;

    at = (size_t)snprintf(buf, len, "%s @%s", property, k ? k : "?");
    for (const char *m = r->msg; (m = strstr(m, "op ")) != NULL; m += 3) {
        char *end;
        long n;
        bool dup = false;
        if ((m > r->msg && (isalnum((unsigned char)m[-1]) || m[-1] == '_')) ||
            !isdigit((unsigned char)m[3])) {
            continue;
        }
        n = strtol(m + 3, &end, 10);
        if (isalnum((unsigned char)*end) || *end == '_' || n == r->op ||
            !(k = op_kind(r, n))) {
            continue;
        }
        for (unsigned i = 0; i < nc; i++) {
            dup |= strcmp(cited[i], k) == 0;
        }
        if (!dup && nc < 8) {
            cited[nc++] = k;
            if (at < len) {
                at += (size_t)snprintf(buf + at, len - at, " <%s", k);
            }
        }
    }
}

/* A violation of a known class in the precise run: count it once per input,
 * say so where a person reads (replay, trace), and go on from what the
 * system did (run_prog). */
static void mask(struct run *r, const char *id)
{
    bool seen = false;

    for (unsigned i = 0; i < r->nmasked; i++) {
        seen |= strcmp(r->masked[i], r->sig) == 0;
    }
    if (!seen && r->nmasked < 16) {
        snprintf(r->masked[r->nmasked++], KNOWN_SIG_MAX, "%s", r->sig);
        known_count(r->sig, id);
    }
    if (r->trace || hx_exit_on_violation) {
        fprintf(stderr, "known (masked): %s [%s]: op %ld: %s\n", r->sig, id,
                r->op, r->msg);
    }
    longjmp(r->op_out, 1);
}

static void violation(struct run *r, const char *property, const char *fmt, ...)
{
    va_list ap;
    const char *id;

    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
    signature(r, property, r->sig, sizeof(r->sig));
    id = known_match(r->known, r->sig);
    if (r->precise) {
        if (id) {
            mask(r, id);
        }
        sut_get_stats(r->m, &last_stats);
        hx_violation(property, r->op, "%s", r->msg);
    }
    r->property = property;
    r->fail_op = r->op;
    r->fast_known = id != NULL;
    longjmp(r->out, 1);
}

static void check(struct run *r, bool ok, const struct orc_verdict *v)
{
    if (!ok) {
        violation(r, v->property, "%s", v->msg);
    }
}

/* A load that returned what memory does not hold: which TLB entry it read
 * through, filled when, and whether that entry still maps what the guest
 * maps there (a stale entry is the usual cause). */
static void explain_load_value(struct run *r, const struct llsc_op *op,
                               struct orc_verdict *v)
{
    sut_tlb_read_view e;
    char what[160];
    long at = r->op;
    size_t n = strlen(v->msg);

    if (strcmp(v->property, "load-value") != 0 ||
        !sut_tlb_read_entry(r->m, op->cpu, op->mmu, op->addr, &e)) {
        return;
    }
    for (long i = 0; i < r->op; i++) {
        if (r->fills[i] >= e.fill) {
            at = i;
            break;
        }
    }
    if (e.paddr != e.guest_paddr) {
        snprintf(what, sizeof(what), "a stale entry: it maps guest-physical page 0x%" PRIx64
                 ", the guest maps 0x%" PRIx64 " there now", e.paddr, e.guest_paddr);
    } else if (!e.host_current) {
        snprintf(what, sizeof(what), "a stale entry: its host memory no longer backs "
                 "page 0x%" PRIx64, e.paddr);
    } else {
        snprintf(what, sizeof(what), "which maps page 0x%" PRIx64 " as the guest does",
                 e.paddr);
    }
    snprintf(v->msg + n, sizeof(v->msg) - n,
             "; it read through vCPU%u's %s TLB entry for page 0x%" PRIx64
             " (mmu %u), filled at op %ld, %s",
             op->cpu, e.victim ? "victim" : "main", e.vaddr, op->mmu, at, what);
}

static void op_text(const struct run *r, char *buf, size_t len)
{
    llsc_op_format(&r->p->ops[r->op], buf, len);
}

/* Counters of the events that would corrupt the host in QEMU (an
 * out-of-bounds access the SUT counts instead of doing): any increase is a
 * violation, named by the counter. Everything else is judged on what the
 * system did, through views the oracle models itself. */
static void check_stats(struct run *r)
{
    static const struct {
        size_t off;
        const char *property, *what;
    } counters[] = {
        {offsetof(sut_stats, excl_bitmap_oob), "excl-bitmap-oob",
         "indexed the exclusive bitmap out of bounds"},
        {offsetof(sut_stats, host_oob_write), "host-oob-write",
         "wrote beyond a RAMBlock's host memory (max_length) or the device's "
         "registers"},
    };
    sut_stats now;

    sut_get_stats(r->m, &now);
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        uint64_t a, b;
        memcpy(&a, (const char *)&r->stats + counters[i].off, sizeof(a));
        memcpy(&b, (const char *)&now + counters[i].off, sizeof(b));
        if (b != a) {
            char t[160];
            op_text(r, t, sizeof(t));
            violation(r, counters[i].property, "%s: the system %s", t,
                      counters[i].what);
        }
    }
    r->stats = now;
}

/* The corrected design's own invariants (invariant.h), after every op: they
 * name the op that broke the state, before any store or SC shows damage. */
static void check_invariants(struct run *r)
{
    const char *property;
    char why[320], t[160];

    if (!fixed_invariants_hold(r->m, &property, why, sizeof(why))) {
        op_text(r, t, sizeof(t));
        violation(r, property, "after %s: %s", t, why);
    }
}

static void check_memory(struct run *r, enum orc_check what)
{
    struct orc_verdict v;

    check(r, orc_check_memory(r->o, what, peek, r->m, &v), &v);
}

static uint64_t code_invalidations(void *ctx, uint64_t pa)
{
    return sut_code_invalidations((const sut_machine *)ctx, pa);
}

/* The views beside memory, after every op: the pages whose translated code a
 * write must have invalidated, and the bytes the device received. */
static void check_views(struct run *r)
{
    static struct orc_mmio_write w[SUT_MMIO_LOG_MAX];
    static sut_mmio_write got[64];
    struct orc_verdict v;
    uint64_t total;
    size_t n = 0, k;

    check(r, orc_check_code(r->o, code_invalidations, r->m, &v), &v);
    while ((k = sut_mmio_log(r->m, r->mmio_seen + n, got, 64, &total)) > 0) {
        for (size_t i = 0; i < k && n < SUT_MMIO_LOG_MAX; i++, n++) {
            w[n].off = got[i].off;
            w[n].val = got[i].val;
        }
    }
    check(r, orc_check_mmio_writes(r->o, w, n, total <= SUT_MMIO_LOG_MAX, &v), &v);
    r->mmio_seen = total;
}

/* After a masked violation: the views' expectations and the system's logs
 * since the last check are consumed unjudged, as memory is adopted. */
static void sync_views(struct run *r)
{
    static sut_mmio_write got[64];
    uint64_t total = r->mmio_seen;
    size_t k;

    for (unsigned i = 0; i < 64; i++) { /* one violation per call at most */
        if (orc_check_code(r->o, code_invalidations, r->m, NULL)) {
            break;
        }
    }
    while ((k = sut_mmio_log(r->m, r->mmio_seen, got, 64, &total)) > 0) {
        r->mmio_seen += k;
    }
    orc_check_mmio_writes(r->o, NULL, 0, false, NULL);
    r->mmio_seen = total;
}

static void api(struct run *r, int rc, bool want_ok)
{
    char t[160];

    if ((rc < 0) == want_ok) {
        op_text(r, t, sizeof(t));
        violation(r, "api-error", "%s returned %s", t, errname(rc));
    }
}

/* The system rounds block sizes up to whole pages (QEMU's TARGET_PAGE_ALIGN). */
static uint64_t page_up(const struct run *r, uint64_t x)
{
    const uint64_t page = UINT64_C(1) << r->p->cfg.page_bits;

    return (x + page - 1) & ~(page - 1);
}

static void ram_result(struct run *r, const struct llsc_op *op, int rc,
                       uint64_t off)
{
    char t[160];

    op_text(r, t, sizeof(t));
    if (rc != op->expect) {
        violation(r, "ram-api", "%s returned %s, expected %s", t, errname(rc),
                  errname(op->expect));
    }
    if (op->kind == LOP_RAM_ADD && rc == SUT_OK && off != op->offset) {
        violation(r, "ram-api",
                  "%s placed the block at 0x%" PRIx64 ", expected 0x%" PRIx64
                  " (find_ram_offset)",
                  t, off, op->offset);
    }
}

/* The model takes the current op as the system did it, if the op's checks
 * stopped before it got there (a masked violation, known.h). The access
 * functions take the system's outcome even when they judge it wrong. */
static void oracle_take(struct run *r, const struct llsc_op *op)
{
    enum orc_rc rc = to_orc(r->rc);
    long n = r->op;

    if (r->orc_done) {
        return;
    }
    switch (op->kind) {
    case LOP_LL:
        orc_ll(r->o, n, op->cpu, op->addr, op->size, op->be, rc, r->val, NULL);
        break;
    case LOP_LOAD:
        orc_load(r->o, n, op->cpu, op->addr, op->size, op->be, rc, r->val, NULL);
        break;
    case LOP_SC:
        orc_sc(r->o, n, op->cpu, op->addr, op->size, op->be, op->val, rc,
               r->status, NULL);
        break;
    case LOP_STORE:
        orc_store(r->o, n, op->cpu, op->addr, op->size, op->be, op->val, rc,
                  NULL);
        break;
    case LOP_DMA:
        orc_dma(r->o, n, op->addr, op->size, op->val, rc, NULL);
        break;
    case LOP_CLREX:
        orc_clrex(r->o, n, op->cpu);
        break;
    case LOP_RAM_ADD:
        if (r->rc == SUT_OK) {
            orc_ram_add(r->o, r->off, page_up(r, op->val), page_up(r, op->max),
                        op->flags & LLSC_RAM_ROM);
        }
        break;
    case LOP_RESIZE:
        if (r->rc == SUT_OK) {
            orc_ram_resize(r->o, op->addr, page_up(r, op->val));
        }
        break;
    case LOP_REMOVE:
        if (r->rc == SUT_OK) {
            orc_ram_remove(r->o, op->addr);
        }
        break;
    case LOP_MAP:
        orc_map_page(r->o, op->addr, op->val);
        break;
    default:
        break;
    }
}

static void run_op(struct run *r, const struct llsc_op *op)
{
    struct orc_verdict v;
    uint64_t val = 0, off = 0;
    int rc = SUT_OK, status = -1;
    bool write = false, ok;

    r->orc_done = false;
    r->rc = SUT_OK;
    switch (op->kind) {
    case LOP_LL:
        rc = r->rc = sut_ll(r->m, op->cpu, op->mmu, op->addr, op->size, op->be,
                            &val);
        r->val = val;
        if (r->trace) {
            fprintf(stderr, "    -> %s val=0x%" PRIx64 "\n", errname(rc), val);
        }
        check_stats(r);
        ok = orc_ll(r->o, r->op, op->cpu, op->addr, op->size, op->be,
                    to_orc(rc), val, &v);
        r->orc_done = true;
        if (!ok) {
            explain_load_value(r, op, &v);
        }
        check(r, ok, &v);
        break;
    case LOP_LOAD:
        rc = r->rc = sut_load(r->m, op->cpu, op->mmu, op->addr, op->size,
                              op->be, &val);
        r->val = val;
        if (r->trace) {
            fprintf(stderr, "    -> %s val=0x%" PRIx64 "\n", errname(rc), val);
        }
        check_stats(r);
        ok = orc_load(r->o, r->op, op->cpu, op->addr, op->size, op->be,
                      to_orc(rc), val, &v);
        r->orc_done = true;
        if (!ok) {
            explain_load_value(r, op, &v);
        }
        check(r, ok, &v);
        break;
    case LOP_SC:
        rc = r->rc = sut_sc(r->m, op->cpu, op->mmu, op->addr, op->size, op->be,
                            op->val, &status);
        r->status = status;
        if (r->trace) {
            fprintf(stderr, "    -> %s status=%d\n", errname(rc), status);
        }
        check_stats(r);
        ok = orc_sc(r->o, r->op, op->cpu, op->addr, op->size, op->be, op->val,
                    to_orc(rc), status, &v);
        r->orc_done = true;
        check(r, ok, &v);
        write = true;
        break;
    case LOP_STORE:
        rc = r->rc = sut_store(r->m, op->cpu, op->mmu, op->addr, op->size,
                               op->be, op->val);
        if (r->trace) {
            fprintf(stderr, "    -> %s\n", errname(rc));
        }
        check_stats(r);
        ok = orc_store(r->o, r->op, op->cpu, op->addr, op->size, op->be,
                       op->val, to_orc(rc), &v);
        r->orc_done = true;
        check(r, ok, &v);
        write = true;
        break;
    case LOP_DMA:
        rc = r->rc = sut_dma_write(r->m, op->addr, op->size, op->val);
        if (r->trace) {
            fprintf(stderr, "    -> %s\n", errname(rc));
        }
        check_stats(r);
        ok = orc_dma(r->o, r->op, op->addr, op->size, op->val, to_orc(rc), &v);
        r->orc_done = true;
        check(r, ok, &v);
        write = true;
        break;
    case LOP_CLREX:
        api(r, sut_clrex(r->m, op->cpu), true);
        check_stats(r);
        orc_clrex(r->o, r->op, op->cpu);
        r->orc_done = true;
        break;
    case LOP_RUN_WORK:
        rc = sut_run_work(r->m, op->cpu);
        if (r->trace) {
            fprintf(stderr, "    -> %d item(s)\n", rc);
        }
        api(r, rc, true);
        check_stats(r);
        orc_note(r->o, "run_work");
        break;
    case LOP_TLB_FLUSH:
        api(r, sut_tlb_flush(r->m, op->cpu), true);
        check_stats(r);
        orc_note(r->o, "tlb_flush");
        break;
    case LOP_TLB_FLUSH_PAGE:
        api(r, sut_tlb_flush_page(r->m, op->cpu, op->addr), true);
        check_stats(r);
        orc_note(r->o, "tlb_flush_page");
        break;
    case LOP_PROTECT_CODE: {
        enum orc_kind k = orc_phys_kind(r->o, op->addr);
        rc = sut_protect_code(r->m, op->addr);
        if (r->trace) {
            fprintf(stderr, "    -> %s\n", errname(rc));
        }
        /* RAM pages can hold code; elsewhere a refusal is fine too. */
        if (k == ORC_RAM || k == ORC_ROM) {
            api(r, rc, true);
        }
        check_stats(r);
        if (rc == SUT_OK) {
            orc_protect_code(r->o, r->op, op->addr);
        } else {
            orc_note(r->o, "protect_code");
        }
        break;
    }
    case LOP_RAM_ADD:
        rc = r->rc = sut_ram_block_add(r->m, op->val, op->max, op->flags, &off);
        r->off = off;
        if (r->trace) {
            fprintf(stderr, "    -> %s at 0x%" PRIx64 "\n", errname(rc), off);
        }
        ram_result(r, op, rc, off);
        r->orc_done = true;
        if (rc == SUT_OK && orc_ram_add(r->o, off, page_up(r, op->val),
                                        page_up(r, op->max),
                                        op->flags & LLSC_RAM_ROM) != 0) {
            violation(r, "ram-api", "block at 0x%" PRIx64 " overlaps another block",
                      off);
        }
        orc_note(r->o, "ram_add");
        check_stats(r);
        write = true;
        break;
    case LOP_RESIZE:
        rc = r->rc = sut_ram_resize(r->m, op->addr, op->val);
        if (r->trace) {
            fprintf(stderr, "    -> %s\n", errname(rc));
        }
        ram_result(r, op, rc, 0);
        r->orc_done = true;
        if (rc == SUT_OK && orc_ram_resize(r->o, op->addr, page_up(r, op->val)) != 0) {
            violation(r, "ram-api", "resize of an unknown block");
        }
        orc_note(r->o, "resize");
        check_stats(r);
        write = true;
        break;
    case LOP_REMOVE:
        rc = r->rc = sut_ram_block_remove(r->m, op->addr);
        if (r->trace) {
            fprintf(stderr, "    -> %s\n", errname(rc));
        }
        ram_result(r, op, rc, 0);
        r->orc_done = true;
        if (rc == SUT_OK && orc_ram_remove(r->o, op->addr) != 0) {
            violation(r, "ram-api", "removal of an unknown block");
        }
        orc_note(r->o, "remove");
        check_stats(r);
        write = true;
        break;
    case LOP_CPU_PLUG: {
        unsigned idx = 0;
        char t[160];
        rc = sut_cpu_plug(r->m, &idx);
        if (r->trace) {
            fprintf(stderr, "    -> %s vCPU%u\n", errname(rc), idx);
        }
        api(r, rc, true);
        if (idx != op->cpu) {
            op_text(r, t, sizeof(t));
            violation(r, "api-error", "%s brought up vCPU%u, expected vCPU%u", t, idx,
                      op->cpu);
        }
        check_stats(r);
        orc_note(r->o, "cpu_plug");
        break;
    }
    case LOP_MAP:
        /* sut_map_page completes a broadcast invalidation of the page. */
        api(r, sut_map_page(r->m, op->addr, op->val), true);
        orc_map_page(r->o, op->addr, op->val);
        r->orc_done = true;
        orc_note(r->o, "map");
        check_stats(r);
        break;
    }
    if (r->invariants) {
        check_invariants(r);
    }
    if (r->precise) {
        check_memory(r, ORC_CHECK_RAM);
    } else if (write) {
        check_memory(r, ORC_CHECK_NEAR);
    }
    check_views(r);
}

/* The vCPUs start after op 0 mapped the default block: under MTTCG they
 * service the flushes that mapping queued before their first TB (QEMU runs a
 * vCPU's queued work before it executes anything). */
static void boot_vcpus(struct run *r)
{
    const sut_config *c = sut_get_config(r->m);

    for (unsigned i = 0; i < c->max_cpus; i++) {
        sut_run_work(r->m, i);
    }
    check_stats(r);
}

static void machine_config(const struct llsc_prog *p, enum sut_variant v,
                           sut_config *c)
{
    const struct llsc_cfg *k = &p->cfg;

    sut_config_default(c, v);
    c->smp_cpus = k->cpus;
    c->max_cpus = k->max_cpus;
    c->plug_cpus = p->nplugs;
    c->page_bits = k->page_bits;
    c->tlb_bits = k->tlb_bits;
    c->vtlb_size = k->vtlb;
    c->mmu_modes = k->mmu_modes;
    c->cell_sz = k->cell_sz;
    c->history_len = k->history;
    c->mttcg = k->mttcg;
    c->big_endian_host = k->be_host;
    c->ram_limit = (uint64_t)k->ram_pages << k->page_bits;
    /* Small dirty blocks: cheap to allocate per input, and the block array
     * grows (down to 4 pages a block: growth, copy, publish, retire). */
    c->dirty_block_bits = k->block_bits;
}

/* After op r->op, masked or not: the vCPUs start once the boot block is
 * there, and the TLB fill count is kept to date stale-entry messages. */
static void after_op(struct run *r)
{
    sut_stats s;

    if (r->op == 0) {
        boot_vcpus(r);
    }
    sut_get_stats(r->m, &s);
    r->fills[r->op] = s.tlb_fills;
}

/* Run the program once; false if the fast run found a violation. */
static bool run_prog(struct run *r, enum sut_variant v)
{
    const struct llsc_prog *prog = r->p;
    sut_config c;
    struct orc_params op;
    int err = 0;
    char line[256];

    r->op = 0;
    r->mmio_seen = 0;
    machine_config(prog, v, &c);
    r->m = machine = sut_renew(machine, &c, &err);
    if (!r->m) {
        llsc_cfg_format(&prog->cfg, line, sizeof(line));
        hx_violation("api-error", 0, "sut_new(%s) failed: %s", line,
                     sut_strerror(err));
    }
    memset(&op, 0, sizeof(op));
    op.ncpus = c.max_cpus + c.plug_cpus;
    op.page_bits = c.page_bits;
    op.vaddr_limit = SUT_VADDR_LIMIT;
    op.mmio_base = SUT_MMIO_BASE;
    op.mmio_size = SUT_MMIO_SIZE;
    op.mmio_window_lo = MMIO_WINDOW_LO;
    op.mmio_window_hi = MMIO_WINDOW_HI;
    r->o = oracle = orc_renew(oracle, &op);
    if (!r->o) {
        hx_violation("oracle-usage", 0, "orc_new failed");
    }
    sut_get_stats(r->m, &r->stats);
    fb_input_start(prog);
    if (setjmp(r->out)) {
        sut_get_stats(machine, &last_stats);
        sut_clear(machine);
        orc_clear(oracle);
        return false;
    }
    if (r->trace) {
        llsc_cfg_format(&prog->cfg, line, sizeof(line));
        fprintf(stderr, "%s  # variant %s\n", line, sut_variant_name(v));
    }
    /* r->op, not a local, counts: it must survive the longjmp of mask(). */
    for (r->op = 0; r->op < (long)prog->nops; r->op++) {
        const struct llsc_op *op = &prog->ops[r->op];
        if (setjmp(r->op_out)) {
            /* A known violation: go on from what the system did. */
            oracle_take(r, op);
            sut_get_stats(r->m, &r->stats);
            orc_adopt_memory(r->o, r->op, peek, r->m);
            sync_views(r);
            after_op(r);
            continue;
        }
        if (r->trace) {
            llsc_op_format(op, line, sizeof(line));
            fprintf(stderr, "op %ld: %s\n", r->op, line);
        }
        fb_op(r->m, r->o, op);
        run_op(r, op);
        after_op(r);
    }
    r->op = prog->nops ? (long)prog->nops - 1 : 0;
    /* All RAM (at most LLSC_MAX_RAM bytes), not only the lines near the
     * accesses: a write far from any access shows too. */
    if (!setjmp(r->op_out)) {
        check_memory(r, r->precise ? ORC_CHECK_ALL : ORC_CHECK_RAM);
    }
    if (r->trace) {
        struct orc_liveness l;
        orc_get_liveness(r->o, &l);
        fprintf(stderr,
                "liveness: %" PRIu64 " SC judged, %" PRIu64 " succeeded, %" PRIu64
                " failed as required, %" PRIu64 " failed for a reason (own "
                "store, mismatch), %" PRIu64 " failed spuriously\n",
                l.sc, l.sc_ok, l.sc_must_fail, l.sc_fail_allowed,
                l.sc_fail_spurious);
    }
    sut_get_stats(machine, &last_stats);
    sut_clear(machine);
    orc_clear(oracle);
    return true;
}

void hx_fresh_drop(void)
{
    sut_free(machine);
    orc_free(oracle);
    machine = NULL;
    oracle = NULL;
}

void hx_fresh_state(char *buf, size_t len)
{
    const uint64_t *w = (const uint64_t *)&last_stats;
    size_t at = 0;

    buf[0] = 0;
    for (size_t i = 0; i < sizeof(last_stats) / sizeof(*w) && at < len; i++) {
        at += (size_t)snprintf(buf + at, len - at, "%s%" PRIu64, i ? " " : "stats ",
                               w[i]);
    }
}

int llsc_fuzz_one(enum sut_variant v, const uint8_t *data, size_t size)
{
    static struct llsc_prog prog;
    static struct run r;

    llsc_decode(data, size, &prog);
    memset(&r, 0, sizeof(r));
    r.p = &prog;
    r.trace = trace_enabled();
    r.invariants = v == SUT_FIXED;
    r.known = known_for_variant(sut_variant_name(v));
    /* Tracing: run precisely at once, so the trace shows each op once. */
    r.precise = r.trace;
    if (run_prog(&r, v)) {
        return 0;
    }
    /* The fast run found something: find the op that broke it. */
    if (r.trace) {
        fprintf(stderr, "fast run: %s at op %ld; running again, checking all "
                "memory after every op\n", r.property, r.fail_op);
    }
    r.precise = true;
    if (run_prog(&r, v) && r.fast_known) {
        return 0; /* every violation was a known one */
    }
    hx_violation(r.property, r.fail_op, "%s", r.msg);
}
