/*
 * race_oracle.h - the oracle for concurrent outcomes (issue 11), independent
 * of sut/: it judges a recorded history, never the machine's state.
 *
 * Every store, SC and DMA writes one write id (1..255) into each of its bytes
 * (spec 5.4: values unique in the run), so each byte an LL or load returns
 * names the write it read from (0: the initial zero). Each vCPU thread
 * records its events in program order; the final memory is read at the end.
 * Violations, in the order they are looked for:
 *   sc-without-ll    a successful SC with no LL since the vCPU's last SC or
 *                    CLREX (or none at all);
 *   failed-sc-wrote  a byte (read, or in the final memory) holds the id of
 *                    an SC that reported failure;
 *   read-no-write    a byte holds an id that no performed write of that byte
 *                    produced (a stray, lost or invented write);
 *   lost-update      two successful SCs whose LLs read the same write of a
 *                    byte both SCs wrote;
 *   coherence        no order of a byte's writes explains what the threads
 *                    read, in program order, the final value and the SCs'
 *                    atomicity (no other agent's write of the byte between
 *                    the write an SC's LL read and the SC itself).
 */
#ifndef HARNESS_RACE_ORACLE_H
#define HARNESS_RACE_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RACE_ORACLE_THREADS 4
#define RACE_ORACLE_EVENTS 256   /* per thread */
#define RACE_ORACLE_WRITES 255   /* ids 1..255 */

enum race_ev_kind { REV_LL, REV_SC, REV_LOAD, REV_STORE, REV_DMA, REV_CLREX, REV_N };

struct race_ev {
    uint8_t kind;
    uint8_t size;        /* bytes, 1..8 */
    uint8_t id;          /* SC, store, DMA: the write id */
    bool done;           /* the call returned 0 (an error has no effect) */
    bool ok;             /* SC: status 0 */
    unsigned op;         /* the op number for verdicts */
    uint32_t loc;        /* first tracked location (byte index) */
    uint8_t val[8];      /* LL, load: the ids read, byte by byte */
};

struct race_hist {
    unsigned nthreads;
    unsigned nev[RACE_ORACLE_THREADS];
    struct race_ev ev[RACE_ORACLE_THREADS][RACE_ORACLE_EVENTS];
    uint32_t nlocs;
    const uint8_t *final;     /* nlocs bytes, the memory at the end */
    /* Names location loc for messages ("ram0+0x12"); may be NULL. */
    void (*loc_name)(uint32_t loc, char *buf, size_t len, void *ctx);
    void *ctx;
};

struct race_verdict {
    const char *property;
    long op;
    char msg[640];
};

/* true and *v filled if the history violates one of the rules above. */
bool race_oracle_check(const struct race_hist *h, struct race_verdict *v);

#endif
