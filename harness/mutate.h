/*
 * mutate.h - structure-aware mutation of fuzz inputs (issue 9): an input is
 * cut into its header and whole ops (the family's byte grammar: llsc_ops.h,
 * bitmap_ops.h), mutated op by op, and written back as bytes. Each op keeps
 * its own bytes, so an op moved, copied or spliced means what it meant
 * before relative to the program around it (block, page and slot selectors,
 * vCPU index modulo the vCPUs present).
 *
 * Every output is a valid input of the family (any byte string is): a whole
 * header, whole ops only, at most the family's op cap, input cap and the
 * engine's MaxSize. Mutations that are to change meaning (an argument, a
 * vCPU, an address class, the header) are checked with the family's decoder
 * and retried until they do. Only the seed given is used: same seed and
 * input, same output.
 *
 * Glue: mutate_libfuzzer.c (LLVMFuzzerCustomMutator/CrossOver, one object
 * per family, linked explicitly), mutate_afl.c (AFL++ custom mutator
 * library, build/afl/mutator-<family>.so).
 */
#ifndef HARNESS_MUTATE_H
#define HARNESS_MUTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MU_MAX_OPS 256  /* the largest op cap of any family */
#define MU_MAX_OPLEN 8  /* opcode + argument bytes of the longest op */
#define MU_MAX_HDR 8

enum mu_kind {
    MU_INSERT,    /* a new op at a random position */
    MU_DELETE,    /* one op removed */
    MU_DUPLICATE, /* a copy of one op at another position */
    MU_SWAP,      /* two ops exchanged */
    MU_SPLICE,    /* a run of ops copied to another position (AFL++: from
                     the other input it gives) */
    MU_ARG,       /* one argument of one op changed (decoded op differs) */
    MU_CPU,       /* one op moved to another vCPU (llsc) */
    MU_CLASS,     /* one op's address moved to another class (llsc) */
    MU_SHARE,     /* one op takes another op's address / range */
    MU_HEADER,    /* the config header changed (decoded config differs) */
    MU_COLLIDE,   /* another vCPU's store or a DMA onto an LL's bytes, after
                     the LL: the write every later SC must notice (llsc) */
    MU_REMAP,     /* after an access through an alias page, the page mapped
                     elsewhere and the access again: what a flush left
                     behind shows (llsc) */
    MU_CODE,      /* the page an access goes to made to hold translated code
                     (protect_code) before it: the NOTDIRTY path (llsc) */
    MU_KINDS
};

extern const char *const mu_kind_names[MU_KINDS];

struct mu_op {
    uint8_t len;
    uint8_t b[MU_MAX_OPLEN]; /* opcode, then its argument bytes */
};

struct mu_prog {
    uint8_t hdr[MU_MAX_HDR];
    unsigned n;
    struct mu_op op[MU_MAX_OPS];
};

struct mu_rng {
    uint64_t s;
};

uint64_t mu_rand(struct mu_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
unsigned mu_below(struct mu_rng *r, unsigned n);

struct mu_family {
    const char *name;
    unsigned hdr_len, max_ops;
    size_t max_input;
    /* Bytes of the op starting with this opcode byte (opcode included). */
    unsigned (*op_len)(uint8_t opcode);
    /* A new op for MU_INSERT, given the program it goes into. */
    void (*random_op)(const struct mu_prog *p, struct mu_rng *r, struct mu_op *out);
    /* Kinds MU_ARG..MU_HEADER; false if the kind does not apply to p (the
     * caller then restores p and may try another kind). */
    bool (*mutate)(enum mu_kind k, struct mu_prog *p, struct mu_rng *r);
};

extern const struct mu_family mu_llsc;
extern const struct mu_family mu_bitmap;

/* Bytes <-> ops. Parsing keeps the header (zero-padded), then whole ops up to
 * the family's caps; trailing bytes the decoder would ignore are dropped. */
void mu_parse(const struct mu_family *f, const uint8_t *data, size_t size,
              struct mu_prog *p);
/* Writes at most max bytes (dropping ops from the end to fit); the length. */
size_t mu_write(const struct mu_family *f, const struct mu_prog *p, uint8_t *out,
                size_t max);

/* op into p before index at (at == p->n: at the end); the caller keeps
 * p->n below the op cap. */
void mu_insert(struct mu_prog *p, unsigned at, const struct mu_op *op);

/* For a family's kinds that change one op: up to 8 tries of try_op on a
 * random op (false: not applicable there) until differs says the program
 * now means something else; p is restored after each try that does not.
 * False if no try did. */
bool mu_try_ops(struct mu_prog *p, enum mu_kind k, struct mu_rng *r,
                bool (*try_op)(enum mu_kind k, struct mu_prog *p, unsigned i, struct mu_rng *r),
                bool (*differs)(const struct mu_prog *p));

/* One structured mutation of p; kind < 0: chosen at random. Returns the kind
 * applied, or -1 if none applied (p then unchanged). */
int mu_mutate_prog(const struct mu_family *f, struct mu_prog *p, int kind,
                   struct mu_rng *r);
/* Splice for crossover: ops of a and b mixed into out (header of a). */
void mu_cross_prog(const struct mu_family *f, const struct mu_prog *a,
                   const struct mu_prog *b, struct mu_prog *out, struct mu_rng *r);

/* Bytes in, bytes out (in place, at most max). *applied: the kind or -1. */
size_t mu_mutate(const struct mu_family *f, uint8_t *data, size_t size, size_t max,
                 uint64_t seed, int kind, int *applied);
size_t mu_crossover(const struct mu_family *f, const uint8_t *a, size_t na,
                    const uint8_t *b, size_t nb, uint8_t *out, size_t max,
                    uint64_t seed);

#endif
