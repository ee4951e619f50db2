/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scan_priv.h - lib/scan internals: the rule list while loading.
 */
#ifndef SCAN_PRIV_H
#define SCAN_PRIV_H

#include "mt_scan.h"

struct scan_rules {
	struct mt_scan_rule *v;
	unsigned n, cap;
	char **files;          /* file names the rules point to */
	unsigned nfiles;
	unsigned errors;
	int errnum;            /* first error's errno */
	struct mt_err first;   /* first error */
	const struct mt_scan_params *prm;
};

/* Report one error ("file:line: ..."; line 0: "file: ..."). */
void scan_rules_error(struct scan_rules *rs, int errnum, const char *file, unsigned line,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Parse text (one file) and append its rules; errors are reported and
 * counted, the other lines still parsed. */
void scan_rules_parse(struct scan_rules *rs, const char *file, const char *text, size_t len);

/* After all files: duplicate ids (reported), then sort by line order
 * kept; returns the number of new errors. */
void scan_rules_check_ids(struct scan_rules *rs);

void scan_rules_free(struct scan_rules *rs);

#endif /* SCAN_PRIV_H */
