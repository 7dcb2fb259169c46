/*
 * llsc-fixed.c - LL/SC fuzz target for the corrected design: the negative control, must never fail.
 *
 * Fuzzer input protocol (every byte string is valid; full grammar, pools and
 * address classes in harness/llsc_ops.h):
 *
 *   input  := h0 h1 h2 h3 op*     config header: vCPUs 1..20 (+0..2 hot-plugged),
 *                                 cell size, mttcg, big-endian host, MMU modes,
 *                                 tlb_bits, vtlb, page_bits, history, default block
 *   op     := code:u8 args        code % 14: ll sc load store clrex run_work
 *                                 tlb_flush tlb_flush_page protect_code dma
 *                                 ram_add resize remove map; each op reads its
 *                                 own 1..5 argument bytes, a cut-off op ends
 *                                 the input; at most 256 ops, 4096 bytes
 *   address:= s:u8 o:u8           class s & 15: RAM block/page/slot (mostly),
 *                                 block tail, unassigned, MMIO, alias window
 *   value  := v:u8                0..0x7f, or one of 16 pool values (ABA)
 *
 * Every op runs on a fresh sut machine and on the oracle (harness/oracle.h);
 * the first violation ends the run with "FAIL <property>: op <n>: ...".
 * Text form: build/tools/optext --family llsc to-text FILE.
 */
#include <stddef.h>
#include <stdint.h>

#include "llsc_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return llsc_fuzz_one(SUT_FIXED, data, size);
}
