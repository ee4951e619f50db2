/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_spool.h - where finished mails go: segment files a downstream
 * program consumes (docs/SPOOL.md is the operator's view).
 *
 * Layout of a spool directory DIR:
 *	DIR/<seg>.tar              published segments, ready for consumers
 *	DIR/tmp/<seg>.tar          the one segment being written (unpublished)
 *	DIR/claimed/<consumer>/    segments a consumer has claimed
 *	DIR/done/                  segments consumers have acknowledged
 *	DIR/.run                   the last run id (mail ids stay unique)
 *
 * A segment is a POSIX ustar archive: per mail a member <id>.eml (the
 * message octets exactly as the client sent them, dot-unstuffed) and then
 * a member <id>.json (the one-line record of mt_mail_json, sha256 of the
 * message included), and the two zero blocks that end an archive.
 * <seg> is <UTC time>-<run id>-<n>, so names sort by creation time:
 *	20260115T103000.123456Z-65a4f0c1-000001.tar
 *
 * Writing: mails are appended in batches (one pwritev per batch, the
 * end-of-archive blocks included, so the unpublished segment is a valid
 * archive after every batch).  The segment is published - fdatasync, then
 * renamed into DIR without replacing anything, then DIR synced - once it
 * reaches segment_max_bytes or segment_max_age_s, and at close.
 *
 * Crash safety: a published segment is complete (rename is atomic and
 * happens after the sync).  At open, an unpublished segment left by a
 * crash is recovered: every mail whose two members are whole and whose
 * message matches the record's sha256 is kept, the torn tail is cut
 * (counted), and the segment is published.  No mail is written twice.
 *
 * Errors: a failed write (ENOSPC, EIO, ...) is cut back to the last whole
 * batch, so the segment never holds half a mail; the caller keeps the
 * mails and retries (mt_spool_write_burst returns how many were written).
 *
 * Files are created mode 0640, directories 0750.  lib/spool never prints.
 *
 * LIMITS
 *	A message up to 8 GiB - 1 (ustar size field); [smtp] max_mail_size
 *	is at most 1 GiB.  MT_SPOOL_BATCH mails per write batch.
 */
#ifndef MT_SPOOL_H
#define MT_SPOOL_H

#include <stdint.h>
#include <stdio.h>

#include "mt_err.h"
#include "mt_mail.h"

struct mt_spool;

#define MT_SPOOL_BATCH 256

enum mt_spool_fsync {
	MT_SPOOL_FSYNC_SEGMENT = 0, /* fdatasync each segment before publishing */
	MT_SPOOL_FSYNC_NONE,        /* never: the page cache decides */
	MT_SPOOL_FSYNC_MAIL,        /* after every write batch, and before publishing */
};

struct mt_spool_params {
	uint64_t segment_max_bytes; /* publish at this size (0: 64 MiB) */
	uint32_t segment_max_age_s; /* publish a non-empty segment this old (0: never) */
	enum mt_spool_fsync fsync;
	uint64_t retain_max_bytes;  /* cap on all segments (0: none) */
	uint32_t retain_max_age_s;  /* remove segments older (0: none) */
	/* Test hook: called before each write, sync and rename with its
	 * name ("write", "sync", "rename", "open"); a negative errno return
	 * makes that call fail with it.  NULL in production. */
	int (*fault)(const char *op);
};

/* What the spool did; monotonic, read by the writer into lib/stats. */
struct mt_spool_counters {
	uint64_t mails;              /* mails written */
	uint64_t bytes;              /* message bytes written */
	uint64_t writes;             /* write system calls */
	uint64_t segments;           /* segments published */
	uint64_t fsyncs;             /* fdatasync/fsync calls */
	uint64_t fsync_ns;           /* time spent in them */
	uint64_t write_errors;       /* failed write/sync/rename/open attempts */
	uint64_t recovered_segments; /* unpublished segments recovered at open */
	uint64_t recovered_mails;    /* whole mails kept from them */
	uint64_t torn_mails;         /* partial mails cut from them */
	uint64_t torn_bytes;         /* bytes cut from them */
	uint64_t removed_segments;   /* segments removed by retention */
	uint64_t removed_unconsumed; /* ... of which never acknowledged */
};

/*
 * Create or open DIR (and DIR/tmp), pick this run's id, and recover the
 * unpublished segment a crash may have left.  Default params.  NULL with
 * err set on failure.
 */
struct mt_spool *mt_spool_open(const char *dir, struct mt_err *err);

/* Set the limits and policies (before or between writes). */
void mt_spool_config(struct mt_spool *sp, const struct mt_spool_params *prm);

/* The run id chosen at open: above every run id this spool has seen. */
uint32_t mt_spool_run_id(const struct mt_spool *sp);

/*
 * Append mails[0..n) (n <= MT_SPOOL_BATCH), ids from mt_mail_id() with
 * this run id; publishes segments as they fill.  Returns the number of
 * mails written, in order; fewer than n with err set (the reason in it)
 * when writing failed: the segment is cut back to its last whole mail and
 * mails[ret..n) were not written - retry them later.  Mails are not freed.
 */
unsigned mt_spool_write_burst(struct mt_spool *sp, struct mt_mail *const *mails, unsigned n,
			      struct mt_err *err);

/*
 * Periodic work (call a few times a second): publish a segment older than
 * segment_max_age_s, apply retention.  0, or -errno with err set.
 */
int mt_spool_tick(struct mt_spool *sp, struct mt_err *err);

/* Publish the current segment if it holds mails.  0, or -errno. */
int mt_spool_publish(struct mt_spool *sp, struct mt_err *err);

const struct mt_spool_counters *mt_spool_counters(const struct mt_spool *sp);
const char *mt_spool_dir(const struct mt_spool *sp);

/* Publish what is pending (best effort) and free sp. */
void mt_spool_close(struct mt_spool *sp);

/* --- reading (spool_read.c): no DPDK, used by app/mailtap and tests --- */

/* Where a segment is in the consumer protocol. */
enum mt_spool_state {
	MT_SPOOL_UNPUBLISHED, /* tmp/ */
	MT_SPOOL_PUBLISHED,   /* DIR/ */
	MT_SPOOL_CLAIMED,     /* claimed/<consumer>/ */
	MT_SPOOL_DONE,        /* done/ */
};

struct mt_spool_seg {
	char path[4096];
	char name[128];
	char consumer[128]; /* MT_SPOOL_CLAIMED only */
	enum mt_spool_state state;
	uint64_t size;
	int64_t mtime;
};

/* One mail of a segment, as mt_spool_seg_foreach hands it over. */
struct mt_spool_ref {
	const char *seg_path;
	int fd;              /* the segment, open for reading */
	char id[101];
	uint64_t eml_off;    /* message octets: [eml_off, eml_off + eml_size) */
	uint64_t eml_size;
	const char *json;    /* the record, NUL-terminated, newline included */
	size_t json_len;
	int64_t mtime;
};

typedef int (*mt_spool_mail_cb)(void *arg, const struct mt_spool_ref *ref);

const char *mt_spool_state_name(enum mt_spool_state s);

/*
 * Segments of DIR in name (= time) order: published, claimed and done, and
 * with unpublished != 0 tmp/ too.  *out is malloc'd (free it).  0 or -errno.
 */
int mt_spool_segments(const char *dir, int unpublished, struct mt_spool_seg **out, size_t *n,
		      struct mt_err *err);

/*
 * Call cb for every whole mail of the segment at path, in order; stops at
 * the first member that is not part of a whole mail (a torn tail).  A
 * non-zero cb return stops and is returned.  0, or -errno with err set.
 * *torn (may be NULL) gets the byte offset where whole mails end, or -1
 * if the segment ends cleanly.
 */
int mt_spool_seg_foreach(const char *path, mt_spool_mail_cb cb, void *arg, int64_t *torn,
			 struct mt_err *err);

/* Copy the message of ref to f.  0 or -errno. */
int mt_spool_copy_eml(const struct mt_spool_ref *ref, FILE *f);

/* The value of "key" in a mail's JSON record, raw (a string keeps its
 * quotes and escapes), into buf; "" when absent.  Returns buf. */
const char *mt_spool_json_get(const char *json, const char *key, char *buf, size_t size);

/* Append the message as an mboxrd entry: From_ line, >From quoting. */
int mt_spool_mbox_append(const struct mt_spool_ref *ref, FILE *f);

/*
 * Consumer protocol (docs/SPOOL.md).  claim: move the oldest published
 * segment into claimed/<consumer>/ (returns one this consumer already
 * holds first); path gets its new path.  0, -ENOENT when none is ready.
 * ack: move claimed/<consumer>/<seg> into done/.  release: move every
 * segment consumer holds back to DIR (for a consumer that will not come
 * back).  Return 0 or -errno with err set.
 */
int mt_spool_claim(const char *dir, const char *consumer, char *path, size_t size,
		   struct mt_err *err);
int mt_spool_ack(const char *dir, const char *consumer, const char *seg, struct mt_err *err);
int mt_spool_release(const char *dir, const char *consumer, unsigned *n, struct mt_err *err);

/*
 * Wait for segments published in DIR that were not reported before (the
 * ones present at the first call count as new).  Fills path with one and
 * returns 1; 0 on timeout (timeout_ms < 0: wait forever); -errno.
 */
struct mt_spool_follow;
struct mt_spool_follow *mt_spool_follow_open(const char *dir, struct mt_err *err);
int mt_spool_follow_next(struct mt_spool_follow *f, char *path, size_t size, int timeout_ms);
void mt_spool_follow_close(struct mt_spool_follow *f);

#endif /* MT_SPOOL_H */
