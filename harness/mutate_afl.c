/*
 * mutate_afl.c - the structure-aware mutator (mutate.h) as an AFL++ custom
 * mutator library (AFL++ 4.04c API), one per family: compiled with
 * -DMU_FAMILY=mu_<family> into build/afl/mutator-<family>.so (mk/fuzz.mk),
 * loaded with AFL_CUSTOM_MUTATOR_LIBRARY by the campaign runner. AFL++ runs
 * it as a stage of its own and keeps its byte stages (no
 * AFL_CUSTOM_MUTATOR_ONLY). The only randomness is the seed afl_custom_init
 * gets (afl-fuzz -s makes it fixed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mutate.h"

#ifndef MU_FAMILY
#error "compile with -DMU_FAMILY=mu_llsc or mu_bitmap"
#endif

#define EXPORT __attribute__((visibility("default")))

struct mu_afl {
    struct mu_rng rng;
    uint8_t *buf;
    size_t cap;
    int last; /* kind of the last mutation, -2: crossover */
    char desc[32];
};

EXPORT void *afl_custom_init(void *afl, unsigned int seed);
EXPORT size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                              uint8_t *add_buf, size_t add_buf_size, size_t max_size);
EXPORT const char *afl_custom_describe(void *data, size_t max_description_len);
EXPORT void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
    struct mu_afl *m = calloc(1, sizeof(*m));

    (void)afl;
    if (m) {
        m->rng.s = seed;
        m->last = -1;
    }
    return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
    struct mu_afl *m = data;
    /* Room for the input as it is plus one op of every kind it may gain. */
    size_t need = (buf_size > add_buf_size ? buf_size : add_buf_size) + 16 * MU_MAX_OPLEN + MU_MAX_HDR;
    uint64_t seed = mu_rand(&m->rng);
    size_t len;

    if (need > m->cap) {
        uint8_t *nb = realloc(m->buf, need);
        if (!nb) {
            *out_buf = buf;
            return buf_size;
        }
        m->buf = nb;
        m->cap = need;
    }
    if (max_size > m->cap) {
        max_size = m->cap;
    }
    /* One call in four splices with the other queue entry AFL++ offers. */
    if (add_buf && add_buf_size && seed % 4 == 0) {
        len = mu_crossover(&MU_FAMILY, buf, buf_size, add_buf, add_buf_size, m->buf,
                           max_size, seed >> 2);
        m->last = -2;
    } else {
        memcpy(m->buf, buf, buf_size < max_size ? buf_size : max_size);
        len = mu_mutate(&MU_FAMILY, m->buf, buf_size < max_size ? buf_size : max_size,
                        max_size, seed >> 2, -1, &m->last);
    }
    *out_buf = m->buf;
    return len;
}

/* Names the queue entries the stage finds ("...,op:mu-share,..."). */
const char *afl_custom_describe(void *data, size_t max_description_len)
{
    struct mu_afl *m = data;

    snprintf(m->desc, sizeof(m->desc) < max_description_len ? sizeof(m->desc) : max_description_len,
             "mu-%s", m->last == -2 ? "cross" : m->last < 0 ? "none" : mu_kind_names[m->last]);
    return m->desc;
}

void afl_custom_deinit(void *data)
{
    struct mu_afl *m = data;

    if (m) {
        free(m->buf);
        free(m);
    }
}
