/*
 * peek.c - sut_peek, the harness's read of guest memory: the oracle compares
 * every block after every op, so this copy is the hottest loop a fuzz input
 * runs. It reads with relaxed atomic loads (vCPU threads may be storing),
 * eight bytes at a time where the source is aligned, and the fuzz builds
 * compile it without comparison tracing (mk/fuzz.mk): its loop feeds the
 * fuzzer nothing.
 */
#include <string.h>

#include "internal.h"

static void copy_relaxed(uint8_t *out, const uint8_t *src, size_t n)
{
    size_t i = 0;

    for (; i < n && ((uintptr_t)(src + i) & 7); i++) {
        out[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w = __atomic_load_n((const uint64_t *)(const void *)(src + i),
                                     __ATOMIC_RELAXED);
        memcpy(out + i, &w, 8);
    }
    for (; i < n; i++) {
        out[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    }
}

int sut_peek(const sut_machine *m, uint64_t paddr, void *buf, size_t len)
{
    uint8_t *out = buf;
    if (!m || (!buf && len)) {
        return SUT_EINVAL;
    }
    /* One run per block or device. */
    while (len) {
        const uint8_t *src;
        uint64_t room;
        if (paddr >= SUT_MMIO_BASE && paddr - SUT_MMIO_BASE < SUT_MMIO_SIZE) {
            src = mmio_regs(m) + (paddr - SUT_MMIO_BASE);
            room = SUT_MMIO_SIZE - (paddr - SUT_MMIO_BASE);
        } else {
            const ram_block *b = ram_find(m, paddr, false);
            if (!b) {
                return SUT_EFAULT;
            }
            src = b->host + (paddr - b->offset);
            room = b->max_length - (paddr - b->offset);
        }
        size_t n = room < len ? (size_t)room : len;
        copy_relaxed(out, src, n);
        out += n;
        paddr += n;
        len -= n;
    }
    return SUT_OK;
}
