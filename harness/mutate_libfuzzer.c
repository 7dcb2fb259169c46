/*
 * mutate_libfuzzer.c - libFuzzer's side of the structure-aware mutator
 * (mutate.h). The entry points themselves (LLVMFuzzerCustomMutator,
 * LLVMFuzzerCustomCrossOver) are in mutate_lf_<family>.c, one per family:
 * libFuzzer looks them up by weak reference, which pulls nothing out of an
 * archive, so mk/fuzz.mk links that object explicitly.
 *
 * Half of the calls go to libFuzzer's own byte mutations (which include
 * its dictionary, comparison operands and byte-level crossover): they still
 * find what the grammar's structure hides, such as a cut that shifts every
 * later op, or a header bit. libFuzzer picks the custom crossover as often
 * as the custom mutator (its only two mutators once a custom one exists);
 * three calls in four decline (return 0: libFuzzer picks again), so that
 * crossover stays one mutation in five or so. HX_MUTATOR=0 in the
 * environment turns the structured half off in the same binary (every call
 * byte mutations, custom crossover declined), for side-by-side benchmarks.
 */
#include <stdlib.h>
#include <string.h>

#include "mutate.h"
#include "mutate_libfuzzer.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static bool structured_on(void)
{
    static int on = -1;

    if (on < 0) {
        const char *e = getenv("HX_MUTATOR");
        on = !(e && (strcmp(e, "0") == 0 || strcmp(e, "off") == 0));
    }
    return on;
}

size_t mu_lf_mutate(const struct mu_family *f, uint8_t *data, size_t size,
                    size_t max_size, unsigned seed)
{
    if (!structured_on() || seed % 2 == 0) {
        return LLVMFuzzerMutate(data, size, max_size);
    }
    return mu_mutate(f, data, size, max_size, seed / 2, -1, NULL);
}

size_t mu_lf_crossover(const struct mu_family *f, const uint8_t *a, size_t na,
                       const uint8_t *b, size_t nb, uint8_t *out, size_t max_out,
                       unsigned seed)
{
    if (!structured_on() || seed % 4 != 0) {
        return 0;
    }
    return mu_crossover(f, a, na, b, nb, out, max_out, seed / 4);
}
