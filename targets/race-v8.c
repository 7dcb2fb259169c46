/*
 * race-v8.c - the race target for v8 (issue 11): one op list per vCPU, each
 * on its own thread, judged by the concurrent oracle. Input grammar and text
 * form: harness/race_ops.h; the run: harness/race_fuzz.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "race_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return race_fuzz_one(SUT_V8, data, size);
}
