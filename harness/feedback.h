/*
 * feedback.h - state feedback for the LL/SC fuzz targets (issue 9, goal 3):
 * which abstract states of the machine an input went through, as extra
 * coverage beside the edges. A store that bypasses a reservation runs the
 * same code as a legal one; these features tell them apart, so the engine
 * keeps an input that reaches "a store through a plain TLB entry while
 * another vCPU holds a reservation on the page" before anything fails.
 *
 * Before each op, the driver (llsc_fuzz.c) calls fb_op with the machine and
 * the op; one counter of a fixed map is bumped per feature the op shows:
 *
 *   access (ll, sc, load, store): op kind x the acting vCPU's TLB entry for
 *     the page (absent, plain, EXCL, NOTDIRTY, MMIO, victim TLB) x another
 *     vCPU's reservation (none, same page, overlapping bytes) x own
 *     reservation on the page x page crossing (no, into the physically next
 *     page, into another page) x address class (RAM, RAM through an alias,
 *     MMIO, other) x the entry is stale (maps another page, or memory that
 *     no longer backs it: after ram_add, resize, remove, map);
 *   page crossing: op kind x entry x into the next page or another x what
 *     the second page is (RAM, RAM holding code, other, unmapped) x the
 *     first page holds code; and where: op kind x an EXCL or NOTDIRTY
 *     entry x into the next page or another x the alias page (or none) x
 *     the physical page (mod 16);
 *   sc: own reservation armed x another vCPU wrote since the ll (no, the
 *     page, the reserved bytes) x entry;
 *   exclusive bitmap: op kind (with dma) x the page's exclusive bit x
 *     another vCPU's reservation;
 *   reservation shape at each ll: against the other vCPUs' reservations
 *     (none, another page, same page, overlapping, identical) x crossing x
 *     own reservation already armed;
 *   remaps: an access through an alias page: op kind x entry x MMU mode
 *     above 0 x the same vCPU and mode used the page under an earlier
 *     mapping and not since (a flush that missed an entry leaves exactly
 *     that one stale); a map of an alias page x it had users x in a mode
 *     above 0;
 *   other ops: kind x any reservation live.
 * The index of a feature is a fixed mixed-radix number of its fields (no
 * hash): the same state gives the same counter in every build.
 *
 * Reservations are the driver's own model (armed by ll, ended by the same
 * vCPU's sc, clrex or next ll, marked when another vCPU or DMA writes there;
 * translated through the alias maps the program made), not the system's:
 * what the guest asked for; so are the pages protect_code made hold code. The TLB and the
 * exclusive bit are read from the system through sut.h's read-only views.
 *
 * Where the counters go, by build (mk/fuzz.mk defines the switch):
 *   LLSC_FB_LIBFUZZER  a uint8_t array in section __libfuzzer_extra_counters,
 *                      which libFuzzer clears and reads as features;
 *   LLSC_FB_AFL        IJON-style, entries of AFL++'s map __afl_area_ptr:
 *                      AFL++ 4.04c has no IJON API, so the map indices are
 *                      guards this file registers with the runtime's
 *                      __sanitizer_cov_trace_pc_guard_init at start-up
 *                      (after the edges; __afl_final_loc counts them);
 *   otherwise          a plain array, cleared per input: fb_counters() shows
 *                      it to tests.
 * LLSC_FEEDBACK=0 in the environment turns it off (for before/after
 * measurements: ci/bench/fuzz.sh).
 */
#ifndef HARNESS_FEEDBACK_H
#define HARNESS_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llsc_ops.h"
#include "oracle.h"
#include "sut.h"

enum fb_entry { FB_ABSENT, FB_PLAIN, FB_EXCL, FB_NOTDIRTY, FB_MMIO, FB_VICTIM, FB_NENTRY };
enum fb_other { FB_OTHER_NONE, FB_OTHER_PAGE, FB_OTHER_OVERLAP, FB_NOTHER };
enum fb_cross { FB_CROSS_NO, FB_CROSS_NEXT, FB_CROSS_APART, FB_NCROSS };
enum fb_class { FB_CLASS_RAM, FB_CLASS_ALIAS, FB_CLASS_MMIO, FB_CLASS_OTHER, FB_NCLASS };
enum fb_shape { FB_SHAPE_NONE, FB_SHAPE_PAGE_OTHER, FB_SHAPE_SAME_PAGE, FB_SHAPE_OVERLAP,
                FB_SHAPE_SAME, FB_NSHAPE };

/* One access as the features see it (fb_access_index). kind: LOP_LL,
 * LOP_SC, LOP_LOAD or LOP_STORE. */
struct fb_access {
    unsigned kind;
    enum fb_entry entry;
    enum fb_other other;
    bool own;
    enum fb_cross cross;
    enum fb_class cls;
    bool stale;
};

#define FB_MAP_SIZE 6400

/* Is feedback on (LLSC_FEEDBACK unset or not "0"; read once)? */
bool fb_enabled(void);
/* A new input: forget the model; clear the map where we own it. */
void fb_input_start(const struct llsc_prog *p);
/* Op n is about to run on m (o: the oracle, for the address class). */
void fb_op(const sut_machine *m, const struct orc *o, const struct llsc_op *op);

/* The feature indices (the map's layout), for tests. */
unsigned fb_access_index(const struct fb_access *a);
/* sc: own reservation armed, hit (0 none, 1 another vCPU wrote its page,
 * 2 the reserved bytes), the entry. */
unsigned fb_sc_index(bool armed, unsigned hit, enum fb_entry entry);
/* An access through an alias page: kind, entry, MMU mode above 0, the
 * vCPU used the page in that mode under an earlier mapping and not since. */
unsigned fb_remap_index(unsigned kind, enum fb_entry entry, bool upper_mode, bool before);
/* The counters of the current input (every build; in the engine builds the
 * engine clears them between inputs). */
const uint8_t *fb_counters(void);

#endif
