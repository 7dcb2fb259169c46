/*
 * llsc_fuzz.h - one LL/SC fuzz input, end to end: decode the byte grammar
 * (llsc_ops.h), create a fresh machine of the given variant from the config
 * header, run every op on it and on the oracle (oracle.h), check after every
 * op, and report the first violation through hx_violation() (report.h).
 *
 * Checks after each op, in this order:
 *   - the op's return code against the model (ram-api, access-error,
 *     api-error);
 *   - the system's counters of what would be out-of-bounds host accesses
 *     in QEMU (counted, not done): excl-bitmap-oob, host-oob-write;
 *   - the oracle's verdict on the access (sc-without-ll, must-fail-sc,
 *     load-value, ...);
 *   - on fixed only, the design's own invariants on the machine's state
 *     (reservation-not-exclusive, reservation-unguarded: invariant.h);
 *   - memory: the flat model against sut_peek (failed-sc-wrote,
 *     sc-wrong-write, store-wrong-write, stray-write, memory-mismatch) near
 *     each write and at the end; an input that fails anything is run again
 *     comparing all memory after every op, so the verdict names the first
 *     op that broke something (see llsc_fuzz.c); memory includes every
 *     block's unmapped tail [used, max) and ROM (rom-written);
 *   - the views the oracle models beside memory: translated code that a
 *     write must invalidate (code-not-invalidated, sut_code_invalidations)
 *     and the device's write log (mmio-double-write, sut_mmio_log).
 * A clean run prints nothing. LLSC_TRACE=1 in the environment prints each op
 * as text with its outcome, and the liveness figure at the end, to stderr.
 */
#ifndef HARNESS_LLSC_FUZZ_H
#define HARNESS_LLSC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "sut.h"

/* Always returns 0 (libFuzzer's contract); a violation does not return. */
int llsc_fuzz_one(enum sut_variant v, const uint8_t *data, size_t size);

#endif
