/*
 * invariant.h - invariants of the corrected design, checked on the SUT's own
 * state after every op of every llsc-fixed input (and by its unit tests).
 *
 * The oracle (oracle.h) judges outcomes and only sees a broken invariant once
 * a later store and SC turn it into damage. These checks see the broken state
 * itself, the op it appears at, whatever follows:
 *
 *   reservation-not-exclusive  I4: a page under a live reservation is
 *                              exclusive (the bitmap says so);
 *   reservation-unguarded      I3': every write entry, main or victim, of
 *                              every vCPU, MMU mode and virtual alias that
 *                              maps such a page carries TLB_EXCL (or
 *                              TLB_MMIO: ROM), so no store to it can take
 *                              the fast path or skip the range reset.
 *
 * v6 and v8 break both by design (W3-W6, W14), so only fixed is held to them.
 */
#ifndef HARNESS_INVARIANT_H
#define HARNESS_INVARIANT_H

#include <stdbool.h>
#include <stddef.h>

#include "sut.h"

/* True if both hold; otherwise the property name goes to *property and a
 * sentence saying which vCPU, page and entry to msg. */
bool fixed_invariants_hold(const sut_machine *m, const char **property,
                           char *msg, size_t len);

#endif
