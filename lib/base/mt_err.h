/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_err.h - error text for cold paths.
 *
 * Cold-path functions return 0 or -errno and, on failure, fill a
 * caller-owned struct mt_err with one line ("file:line: message").
 * lib/ never prints and never exits; the application decides.
 */
#ifndef MT_ERR_H
#define MT_ERR_H

#include <stdarg.h>

#define MT_ERR_LEN 512

struct mt_err {
	char msg[MT_ERR_LEN];
};

/*
 * Set the message (printf format) and return -errnum (errnum > 0), so a
 * caller can write `return mt_err_set(err, EINVAL, "...")`.  err may be NULL.
 */
int mt_err_set(struct mt_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* MT_ERR_H */
