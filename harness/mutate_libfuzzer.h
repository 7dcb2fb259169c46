/*
 * mutate_libfuzzer.h - what the per-family libFuzzer entry points
 * (mutate_lf_<family>.c) call: see mutate_libfuzzer.c.
 */
#ifndef HARNESS_MUTATE_LIBFUZZER_H
#define HARNESS_MUTATE_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

#include "mutate.h"

size_t mu_lf_mutate(const struct mu_family *f, uint8_t *data, size_t size,
                    size_t max_size, unsigned seed);
size_t mu_lf_crossover(const struct mu_family *f, const uint8_t *a, size_t na,
                       const uint8_t *b, size_t nb, uint8_t *out, size_t max_out,
                       unsigned seed);

/* The two libFuzzer entry points for family `fam` (a struct mu_family). */
#define MU_LIBFUZZER_ENTRY_POINTS(fam)                                          \
    size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, \
                                   unsigned int seed);                          \
    size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,              \
                                     const uint8_t *d2, size_t s2, uint8_t *out, \
                                     size_t max_out, unsigned int seed);        \
    size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, \
                                   unsigned int seed)                           \
    {                                                                           \
        return mu_lf_mutate(&(fam), data, size, max_size, seed);                \
    }                                                                           \
    size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,              \
                                     const uint8_t *d2, size_t s2, uint8_t *out, \
                                     size_t max_out, unsigned int seed)         \
    {                                                                           \
        return mu_lf_crossover(&(fam), d1, s1, d2, s2, out, max_out, seed);     \
    }

#endif
