/*
 * oracle.h - the reference semantics of spec section 5 for LL/SC, written
 * independently of sut/ (no sut header is included, no code is shared).
 *
 * The oracle is an architectural model: a flat byte memory (RAM blocks with
 * their max_length backing, a byte-addressable MMIO register file, virtual
 * page aliases), a local monitor per vCPU (Open or Excl(a, s, v)) and a ghost
 * write log (sequence, writer, bytes, value) from which taint is computed as
 * spec 5.4 says. It is told what the system under test did and judges it:
 *
 *   MUST fail          SC with the monitor Open              -> sc-without-ll
 *                      SC after another agent (vCPU store,    -> must-fail-sc
 *                      successful SC, DMA) wrote one of the
 *                      reserved bytes
 *   never allowed      failed SC changed memory               -> failed-sc-wrote
 *                      successful SC did not write w exactly  -> sc-wrong-write
 *                      store/DMA did not write its value      -> store-wrong-write
 *                      a write outside the accessed bytes     -> stray-write
 *                        (the unmapped tail [used, max) included)
 *                      ROM bytes changed                      -> rom-written
 *                      a page's translated code survived a    -> code-not-
 *                        write to the page                       invalidated
 *                      the device received a byte twice in    -> mmio-double-
 *                        one access                              write
 *                      LL/load value differs from memory      -> load-value
 *                      other memory divergence                -> memory-mismatch
 *                      fault/success disagrees with the map   -> access-error
 *   MAY fail           everything else (own store, address or size mismatch,
 *                      granule, eviction...): never flagged, counted.
 *
 * Monitors hold physical byte addresses, so virtual aliases of the same
 * bytes are the same reservation. Agents are vCPUs 0..ncpus-1 and
 * ORC_AGENT_DMA. Sequence numbers are the caller's op numbers; events must
 * come in increasing op order (several events may share one op number).
 *
 * Error outcomes: an access whose bytes are all mapped must succeed, one with
 * an unmapped byte must fault; a misaligned access may instead report an
 * alignment fault. After an erroring LL or SC the monitor is left as it was
 * (the most permissive state a correct system can be in), and memory must be
 * unchanged.
 */
#ifndef HARNESS_ORACLE_H
#define HARNESS_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ORC_MAX_ACCESS 8
#define ORC_AGENT_DMA (-1)
/* A writer the model does not know: bytes taken over by orc_adopt_memory
 * after no writing access. */
#define ORC_AGENT_SYSTEM (-2)

/* What the system under test returned for an access. */
enum orc_rc { ORC_OK = 0, ORC_FAULT, ORC_ALIGN, ORC_OTHER };

struct orc_params {
    unsigned ncpus;       /* vCPUs that can issue accesses */
    unsigned page_bits;   /* granule of virtual aliasing */
    uint64_t vaddr_limit; /* virtual addresses at or above fault */
    uint64_t mmio_base, mmio_size; /* the register file (reads back writes) */
    /* MMIO bytes compared after every op: [mmio_base, +lo) and the last hi
     * bytes; the whole file is compared when orc_check_memory(full=true). */
    uint64_t mmio_window_lo, mmio_window_hi;
};

/* A violation: property name (a string literal) and a one-line message. */
struct orc_verdict {
    const char *property;
    char msg[400];
};

/* Liveness figure: SC outcomes by the class the oracle gave them. */
struct orc_liveness {
    uint64_t sc;              /* SCs judged (non-erroring) */
    uint64_t sc_ok;           /* succeeded */
    uint64_t sc_must_fail;    /* failed as required */
    uint64_t sc_fail_allowed; /* failed, explained: own store, mismatch,
                                 write to memory that is not RAM/MMIO, ... */
    uint64_t sc_fail_spurious;/* failed with no write to the range at all */
};

struct orc;

struct orc *orc_new(const struct orc_params *p);
/* The model orc_new(p) would give, reusing o's memory (o may be NULL; it is
 * freed on failure). orc_clear drops a run's model early, keeping the memory
 * (o is unusable until renewed): what a run allocated is then freed within
 * it, as libFuzzer's leak heuristic wants. */
struct orc *orc_renew(struct orc *o, const struct orc_params *p);
void orc_clear(struct orc *o);
void orc_free(struct orc *o);

/* Memory layout, applied once the system accepted the change. Return 0, or
 * -1 if the oracle's own bookkeeping rejects it (overlap, unknown block). */
int orc_ram_add(struct orc *o, uint64_t offset, uint64_t used, uint64_t max,
                bool rom);
int orc_ram_resize(struct orc *o, uint64_t offset, uint64_t used);
int orc_ram_remove(struct orc *o, uint64_t offset);
/* Virtual page of vaddr now maps the physical page of paddr. */
int orc_map_page(struct orc *o, uint64_t vaddr, uint64_t paddr);

/* Accesses: pass the system's outcome; false and *v filled on a violation. */
bool orc_ll(struct orc *o, long op, unsigned cpu, uint64_t va, unsigned size,
            bool be, enum orc_rc rc, uint64_t val, struct orc_verdict *v);
bool orc_sc(struct orc *o, long op, unsigned cpu, uint64_t va, unsigned size,
            bool be, uint64_t w, enum orc_rc rc, int status,
            struct orc_verdict *v);
bool orc_load(struct orc *o, long op, unsigned cpu, uint64_t va,
              unsigned size, bool be, enum orc_rc rc, uint64_t val,
              struct orc_verdict *v);
bool orc_store(struct orc *o, long op, unsigned cpu, uint64_t va,
               unsigned size, bool be, uint64_t w, enum orc_rc rc,
               struct orc_verdict *v);
/* Out-of-band writer: size bytes of w, little-endian, at physical pa. */
bool orc_dma(struct orc *o, long op, uint64_t pa, unsigned size, uint64_t w,
             enum orc_rc rc, struct orc_verdict *v);
void orc_clrex(struct orc *o, long op, unsigned cpu);
/* Any other op (flush, run_work, protect_code...): a later memory divergence
 * is attributed to it as "what". */
void orc_note(struct orc *o, const char *what);

/* Compare the model with the system's bytes (read through `peek`, which
 * returns 0 on success) and attribute a divergence to the last event.
 *   ORC_CHECK_NEAR     the bytes within 16 of the last access's bytes
 *   ORC_CHECK_TOUCHED  the bytes near every access so far (64-byte lines
 *                      within 16 bytes of them), and the MMIO window
 *   ORC_CHECK_RAM      every block [offset, offset+max), and the MMIO bytes
 *                      near every access so far
 *   ORC_CHECK_ALL      every block and the whole MMIO register file */
enum orc_check { ORC_CHECK_NEAR, ORC_CHECK_TOUCHED, ORC_CHECK_RAM, ORC_CHECK_ALL };
typedef int (*orc_peek_fn)(void *ctx, uint64_t pa, void *buf, size_t len);
bool orc_check_memory(struct orc *o, enum orc_check what, orc_peek_fn peek,
                      void *ctx, struct orc_verdict *v);

/* Take the system's bytes as fact where they differ from the model (every
 * block up to max, the MMIO bytes near every access so far), each changed
 * byte logged as a write at op by the last access's writer, or by
 * ORC_AGENT_SYSTEM. After a verdict the access functions have already taken
 * the system's outcome (an SC that must have failed did write, an LL that
 * returned a wrong value reserved that value); this takes its memory, so
 * judging can go on from what the system did (known.h). */
void orc_adopt_memory(struct orc *o, long op, orc_peek_fn peek, void *ctx);

/* Views of the system the oracle models itself, beside memory.
 * Translated code: protect_code made translations from the page of pa (call
 * it once the system accepted it). The first write to the page must
 * invalidate them; RAM-map changes of a block forget its pages. */
void orc_protect_code(struct orc *o, long op, uint64_t pa);
/* How many times the system has invalidated the translations of page pa. */
typedef uint64_t (*orc_code_fn)(void *ctx, uint64_t pa);
/* Since the last call: a page written while it held translations must have
 * been invalidated (code-not-invalidated). An invalidation without a write is
 * allowed. Call after every event. */
bool orc_check_code(struct orc *o, orc_code_fn fn, void *ctx,
                    struct orc_verdict *v);
/* The device's write log: the byte writes the device received since the last
 * call, in order, must be exactly the MMIO bytes the model wrote since then,
 * each once with its value (mmio-double-write, stray-write, failed-sc-wrote,
 * *-wrong-write). complete=false: the system lost entries; nothing is judged
 * and the expectations are dropped. Call after every event. */
struct orc_mmio_write {
    uint64_t off; /* offset in the register file */
    uint8_t val;
};
bool orc_check_mmio_writes(struct orc *o, const struct orc_mmio_write *w,
                           size_t n, bool complete, struct orc_verdict *v);

/* Whether every byte of [va, va+size) is mapped (RAM or MMIO). */
bool orc_mapped(const struct orc *o, uint64_t va, unsigned size);
/* What sits at physical address pa. */
enum orc_kind { ORC_NONE, ORC_RAM, ORC_ROM, ORC_MMIO };
enum orc_kind orc_phys_kind(const struct orc *o, uint64_t pa);
void orc_get_liveness(const struct orc *o, struct orc_liveness *out);

#endif
