/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_common.h - small helpers every mailtap module may use.
 *
 * Nothing here depends on DPDK, so parsers (smtp, decode) stay testable
 * as plain C.
 */
#ifndef MT_COMMON_H
#define MT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MT_MAX(a, b) ((a) > (b) ? (a) : (b))

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/*
 * MT_BUG_ON - an invariant of our own code broke (not bad input).
 * Bad input is counted; this is for "cannot happen" and aborts so the
 * core dump shows where.
 */
#define MT_BUG_ON(cond)                                                      \
	do {                                                                 \
		if (unlikely(cond)) {                                        \
			fprintf(stderr, "mailtap: BUG at %s:%d: %s\n",       \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

/* Direction of a byte stream within one TCP connection. */
enum mt_dir {
	MT_DIR_C2S = 0, /* client -> server (commands, message) */
	MT_DIR_S2C = 1, /* server -> client (replies) */
};

#endif /* MT_COMMON_H */
