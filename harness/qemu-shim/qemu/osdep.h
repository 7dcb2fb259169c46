/*
 * qemu/osdep.h - our stand-in for QEMU's per-build prelude, just enough for
 * QEMU's util/bitmap.c, util/bitops.c and the headers they include
 * (qemu/bitmap.h, bitops.h, atomic.h, host-utils.h, compiler.h, bswap.h,
 * int128.h) to compile unmodified outside QEMU's build system.
 *
 * Written for this project; no QEMU text. QEMU's real prelude includes a
 * configure-generated header plus the C library and glib; we derive the few
 * configure answers those files test from the compiler's own predefined
 * macros, and take glib from the distribution (pkg-config glib-2.0).
 * This directory comes first on the include path; $(QEMU_SRC)/include second.
 */
#ifndef HX_QEMU_SHIM_OSDEP_H
#define HX_QEMU_SHIM_OSDEP_H

/* --- The C library and glib, as the real prelude provides them. --- */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib.h>

#include "qemu/compiler.h"

/*
 * --- What QEMU's configure would have found out about this host. ---
 * Recent QEMUs derive the first two in qemu/compiler.h (included above);
 * older ones took them from the generated config header.
 */
#ifndef HOST_BIG_ENDIAN
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#define HOST_WORDS_BIGENDIAN 1 /* the spelling used before QEMU 7.1 */
#else
#define HOST_BIG_ENDIAN 0
#endif
#endif
#ifndef HOST_LONG_BITS
#define HOST_LONG_BITS (__SIZEOF_LONG__ * 8)
#endif
#if defined(__SIZEOF_INT128__) && !defined(CONFIG_INT128)
#define CONFIG_INT128 1
#endif
#if (__SIZEOF_POINTER__ >= 8 || defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_8)) && \
    !defined(CONFIG_ATOMIC64)
#define CONFIG_ATOMIC64 1
#endif
#if defined(__GLIBC__) && !defined(CONFIG_BYTESWAP_H)
#define CONFIG_BYTESWAP_H 1
#endif

/* --- Helper macros the included QEMU headers expect from the prelude. --- */
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif
#ifndef DIV_ROUND_UP
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#endif
#ifndef ROUND_UP
#define ROUND_UP(n, d) (DIV_ROUND_UP(n, d) * (d))
#endif
#ifndef QEMU_IS_ALIGNED
#define QEMU_IS_ALIGNED(n, m) (((n) % (m)) == 0)
#endif
#ifndef QEMU_ALIGN_DOWN
#define QEMU_ALIGN_DOWN(n, m) ((n) / (m) * (m))
#endif
#ifndef QEMU_ALIGN_UP
#define QEMU_ALIGN_UP(n, m) QEMU_ALIGN_DOWN((n) + (m) - 1, (m))
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/*
 * A condition the compiler must prove: here a plain static assertion
 * (every use in the bitmap headers is on sizeof). The "not reached" form
 * falls back to glib's run-time assertion.
 */
#ifndef qemu_build_assert
#define qemu_build_assert(cond) do { _Static_assert(cond, #cond); } while (0)
#endif
#ifndef qemu_build_not_reached
#define qemu_build_not_reached() g_assert_not_reached()
#endif

#endif
