/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_fp.h - mail-server fingerprinting: observations, rule database, verdict.
 *
 * An observation set holds a server's replies to mailtap's fixed probe set
 * (greeting, EHLO, HELP, out-of-sequence and malformed commands).  The rule
 * database (config/fingerprints/ *.fp, format in docs/FINGERPRINTS.md) gives
 * each product weighted conditions over those observations; the engine adds
 * the weights of the conditions that hold and names a product only when the
 * score reaches the threshold, at least MT_FP_MIN_NONBANNER observations
 * other than the greeting agree, and the runner-up is clearly behind.
 * Otherwise the verdict is "unknown".  Pure C (PCRE2), no DPDK.
 *
 * Reply text is kept in a printable form: lines joined by '\n', CR removed,
 * a NUL byte as the two characters "\0", other control bytes as "\xHH".
 *
 * THREADS: a loaded database is read-only; any number of threads may call
 * mt_fp_classify and mt_fp_db_check_examples on it at once (each call
 * uses its own PCRE2 match data).  Loading is not thread-safe.
 */
#ifndef MT_FP_H
#define MT_FP_H

#include <stddef.h>
#include <stdint.h>

#include "mt_err.h"

enum mt_fp_obs_id {
	MT_FP_BANNER = 0,  /* greeting of connection 1 */
	MT_FP_EHLO,        /* EHLO probe.invalid */
	MT_FP_HELP,        /* HELP */
	MT_FP_RCPT_FIRST,  /* RCPT TO before MAIL */
	MT_FP_MAIL_BAD,    /* MAIL FROM:<bad */
	MT_FP_UNKNOWN,     /* XYZZY */
	MT_FP_QUIT,        /* QUIT */
	MT_FP_BANNER2,     /* greeting of connection 2 */
	MT_FP_NUL,         /* HE<NUL>LO probe.invalid */
	MT_FP_LONG,        /* NOOP + 1100 x 'A' */
	MT_FP_QUIT2,       /* QUIT */
	MT_FP_NOBS
};

#define MT_FP_F_CLOSED  0x1 /* hung up instead of replying */
#define MT_FP_F_TIMEOUT 0x2 /* no reply within the read timeout */
#define MT_FP_F_SLOW    0x4 /* replied, but slowly (tarpit) */

#define MT_FP_TEXT_MAX 2048
#define MT_FP_MIN_NONBANNER 2
#define MT_FP_THRESHOLD 10
#define MT_FP_MARGIN 4
#define MT_FP_MAX_DECIDED 16

struct mt_fp_obs {
	uint8_t present; /* this probe ran */
	uint8_t flags;   /* MT_FP_F_* */
	uint32_t ms;     /* time to the reply */
	char text[MT_FP_TEXT_MAX];
};

struct mt_fp_obsset {
	struct mt_fp_obs o[MT_FP_NOBS];
};

/*
 * Put raw reply text (lines separated by '\n', CR removed, as read off the
 * wire, NUL bytes included) into o->text in the printable form above,
 * cut at MT_FP_TEXT_MAX - 1.  Sets o->present.  Returns the raw octets
 * that fitted (n when all did).
 */
size_t mt_fp_obs_set_raw(struct mt_fp_obs *o, const char *raw, size_t n);

const char *mt_fp_obs_name(int id);
int mt_fp_obs_lookup(const char *name); /* id, or -1 */
int mt_fp_obs_is_banner(int id);

/*
 * Fixture/transcript text: "[name]" sections, reply lines, "!closed",
 * "!timeout", "!slow".  Returns 0 or -EINVAL with err ("line N: ...").
 */
int mt_fp_obsset_parse(struct mt_fp_obsset *set, const char *text, struct mt_err *err);
/* The same format; returns the length written (truncated to cap-1). */
size_t mt_fp_obsset_format(const struct mt_fp_obsset *set, char *buf, size_t cap);

struct mt_fp_db;

struct mt_fp_db *mt_fp_db_new(void);
void mt_fp_db_free(struct mt_fp_db *db);
/* Add one .fp file; 0 or -errno with err "file:line: message". */
int mt_fp_db_load_file(struct mt_fp_db *db, const char *path, struct mt_err *err);
/* Every *.fp in dir, in name order. */
int mt_fp_db_load_dir(struct mt_fp_db *db, const char *dir, struct mt_err *err);
size_t mt_fp_db_nrules(const struct mt_fp_db *db);
/*
 * Run every rule's `example` lines: each must satisfy at least one positive
 * condition of its rule on its observation.  Returns the number of examples
 * run, or -EINVAL with err naming the first that failed.
 */
int mt_fp_db_check_examples(const struct mt_fp_db *db, struct mt_err *err);

struct mt_fp_decided {
	int obs;
	int weight;
	char cond[160]; /* the condition as written in the rule */
};

struct mt_fp_verdict {
	int known;
	char rule[64];
	char vendor[96];
	char product[96];
	char family[48];
	char version[64];
	int score;
	int nonbanner; /* distinct non-banner observations that agreed */
	char runner_up[64];
	int runner_score;
	const char *reason; /* why unknown (static text), or "" */
	int ndecided;
	struct mt_fp_decided decided[MT_FP_MAX_DECIDED];
};

/* best: the leading rule even when unknown (rule[] empty if none scored). */
void mt_fp_classify(const struct mt_fp_db *db, const struct mt_fp_obsset *set,
		    struct mt_fp_verdict *v);

#endif /* MT_FP_H */
