/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "mt_err.h"

int
mt_err_set(struct mt_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}
