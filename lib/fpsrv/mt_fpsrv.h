/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_fpsrv.h - passive fingerprinting: what the appliance learns about each
 * mail server from the replies it sees, and the bounded per-server table.
 *
 * SYNOPSIS
 *	worker (one per worker lcore, no locks):
 *	  w = mt_fpsrv_worker_create(filter_slots, nbufs, socket);
 *	  kind = mt_fpsrv_kind_of(&cmd);              reply -> observation kind
 *	  if (mt_fpsrv_worker_want(w, &key, kind))    still needed from here?
 *	      buf = mt_fpsrv_worker_buf_get(w);       copy the reply there
 *	  ... mt_fpsrv_obs_fill(&rec, ...); send rec to the writer (a ring);
 *	  mt_fpsrv_worker_mark(w, &key, kind);
 *	writer (the table's only writer):
 *	  t = mt_fpsrv_table_create(&params, &err);
 *	  mt_fpsrv_table_add(t, &rec, &ctr);          classify on news
 *	  v = mt_fpsrv_table_mail(t, &key);           verdict for a mail
 *	telemetry (any other thread):
 *	  mt_fpsrv_table_get(t, i, &info);            a copy, under the lock
 *
 * DESCRIPTION
 *	The probe dialogue (lib/probe) asks a server for a fixed set of
 *	replies; a tap sees the same kinds of reply whenever some client
 *	happens to send the command.  mt_fpsrv_kind_of() names the kind from
 *	what the reply answered (lib/smtp's struct mt_smtp_cmd): the
 *	greeting, EHLO, a bare HELP, RCPT before MAIL, MAIL with a path
 *	missing its angle brackets, an unknown verb, QUIT, a command with a
 *	NUL byte, a line over MT_SMTP_LINE_MAX.  The table turns kinds into
 *	lib/fp observation ids: the first greeting seen is both "banner"
 *	and "banner2", the first QUIT reply both "quit" and "quit2" (a tap
 *	has no first and second connection, and servers answer both
 *	alike); every kind keeps its first reply.
 *	A server's verdict is mt_fp_classify() on its observations (the
 *	same rules and thresholds as the prober), computed lazily: when a
 *	mail to it is written after its observations changed
 *	(mt_fpsrv_table_mail, on the writer), or on a reader's copy
 *	(mt_fpsrv_table_get/_find, any thread).  So a server no mail goes to
 *	costs the writer no classification.
 *
 *	Connections are hashed to workers by 4-tuple, so one server's
 *	connections land on several workers: the table lives in one place
 *	(the writer lcore) and workers send it small records.  So that normal
 *	traffic costs nothing, each worker keeps a filter of what it already
 *	sent per server, and a reply is copied only when its kind is still
 *	wanted (mt_fpsrv_worker_want).
 *
 * LIMITS
 *	Worker: a direct-mapped filter of filter_slots servers (a collision
 *	forgets the older server: at worst it is reported again, and the
 *	table ignores what it already has); nbufs reply buffers of
 *	MT_FPSRV_TEXT_MAX octets, taken while a wanted reply is in flight
 *	(none free: the reply is not copied, counted by the caller).
 *	Table: max_servers entries (the least recently seen server is
 *	evicted), MT_FPSRV_ARENA octets of observation text per server
 *	(more is cut, counted).  Replies are cut at MT_FPSRV_TEXT_MAX.
 *	Passive observations carry no hang-up or delay flags (a tap cannot
 *	tell a server that hung up from a capture that ended).
 *
 * THREADS
 *	A worker object belongs to its worker.  The table has one writer;
 *	mt_fpsrv_table_get/_count take its lock (held by the writer only
 *	while it changes an entry, which happens only on news), so the
 *	telemetry thread reads consistent copies.
 */
#ifndef MT_FPSRV_H
#define MT_FPSRV_H

#include <stddef.h>
#include <stdint.h>

#include "mt_err.h"
#include "mt_flow.h"
#include "mt_fp.h"
#include "mt_smtp.h"

enum mt_fpsrv_kind {
	MT_FPSRV_GREETING = 0,
	MT_FPSRV_EHLO,
	MT_FPSRV_HELP,
	MT_FPSRV_RCPT_FIRST,
	MT_FPSRV_MAIL_BAD,
	MT_FPSRV_UNKNOWN,
	MT_FPSRV_QUIT,
	MT_FPSRV_NUL,
	MT_FPSRV_LONG,
	MT_FPSRV_NKINDS
};

#define MT_FPSRV_TEXT_MAX 1024 /* raw reply octets per observation */
#define MT_FPSRV_ARENA 2048    /* printable observation text per server */

/* A server: address family (4/6), address, port (host order). */
struct mt_fpsrv_key {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t addr[16];
};

/* One observation, sent by a worker to the table (fixed size: ring slot). */
struct mt_fpsrv_obs {
	struct mt_fpsrv_key key;
	uint8_t kind;      /* enum mt_fpsrv_kind */
	uint8_t truncated; /* the reply was cut at MT_FPSRV_TEXT_MAX */
	uint16_t code;
	uint16_t len;
	uint16_t pad;
	uint64_t ts_ns;
	uint64_t pad2;     /* the size a multiple of 16: rte_ring copies such
			    * elements 16 octets at a time */
	char text[MT_FPSRV_TEXT_MAX]; /* raw, see ops->reply_text */
};

_Static_assert(sizeof(struct mt_fpsrv_obs) % 16 == 0, "ring element of 16-octet units");

/* The kind of observation a reply to cmd is, or -1 (not one). */
int mt_fpsrv_kind_of(const struct mt_smtp_cmd *cmd);
const char *mt_fpsrv_kind_name(int kind);

void mt_fpsrv_key_from_flow(struct mt_fpsrv_key *k, const struct mt_flow_key *fk);
/* "192.0.2.1:25" / "[2001:db8::1]:25"; returns the length (snprintf). */
int mt_fpsrv_key_format(const struct mt_fpsrv_key *k, char *buf, size_t size);
/* The inverse; 0 or -EINVAL. */
int mt_fpsrv_key_parse(struct mt_fpsrv_key *k, const char *s);

/* Fill a record (text cut at MT_FPSRV_TEXT_MAX). */
void mt_fpsrv_obs_fill(struct mt_fpsrv_obs *o, const struct mt_fpsrv_key *k, int kind,
		       unsigned code, const char *text, size_t len, int truncated,
		       uint64_t ts_ns);

/* ---- worker side ---- */

struct mt_fpsrv_worker;

/* NULL with rte_errno on failure.  filter_slots is rounded up to a power
 * of two. */
struct mt_fpsrv_worker *mt_fpsrv_worker_create(unsigned filter_slots, unsigned nbufs,
					       int socket);
void mt_fpsrv_worker_free(struct mt_fpsrv_worker *w);
/* Nonzero while this worker has not yet reported kind for server k. */
int mt_fpsrv_worker_want(struct mt_fpsrv_worker *w, const struct mt_fpsrv_key *k, int kind);
void mt_fpsrv_worker_mark(struct mt_fpsrv_worker *w, const struct mt_fpsrv_key *k, int kind);
/* A reply buffer of MT_FPSRV_TEXT_MAX octets, or NULL if all are taken. */
char *mt_fpsrv_worker_buf_get(struct mt_fpsrv_worker *w);
void mt_fpsrv_worker_buf_put(struct mt_fpsrv_worker *w, char *buf);
unsigned mt_fpsrv_worker_bufs_free(const struct mt_fpsrv_worker *w);

/* ---- the table (writer lcore) ---- */

/* A verdict as kept per server (copied from struct mt_fp_verdict). */
struct mt_fpsrv_verdict {
	uint8_t known;
	uint8_t nonbanner;
	int16_t score;
	char rule[64];
	char vendor[96];
	char product[96];
	char family[48];
	char version[64];
	char reason[48];    /* why unknown, or "" */
	char decided[160];  /* observations that scored, "help,nul,..." */
};

struct mt_fpsrv_info {
	struct mt_fpsrv_key key;
	uint16_t present;   /* bit per lib/fp observation id held */
	uint64_t first_ns;  /* time of its first observation */
	uint64_t last_ns;   /* time of its latest */
	uint64_t mails;     /* mails annotated with this entry's verdict */
	struct mt_fpsrv_verdict v;
};

struct mt_fpsrv_counters {
	uint64_t obs;        /* records taken in */
	uint64_t obs_new;    /* ... that added an observation */
	uint64_t evicted;    /* servers evicted (table full) */
	uint64_t truncated;  /* observations cut (arena or reply size) */
};

struct mt_fpsrv_table_params {
	const char *name;          /* unique (rte_hash name) */
	unsigned max_servers;
	int socket;
	const struct mt_fp_db *db; /* rules; must outlive the table */
};

struct mt_fpsrv_table;

struct mt_fpsrv_table *mt_fpsrv_table_create(const struct mt_fpsrv_table_params *prm,
					     struct mt_err *err);
void mt_fpsrv_table_free(struct mt_fpsrv_table *t);

/* Take in one observation (writer only).  Returns 1 if the server's
 * observations changed (its verdict is then stale until next needed),
 * else 0. */
int mt_fpsrv_table_add(struct mt_fpsrv_table *t, const struct mt_fpsrv_obs *o,
		       struct mt_fpsrv_counters *c);

/* The verdict to annotate a mail to server k with, or NULL when the table
 * holds nothing about it; counts the mail.  Writer only; the pointer is
 * valid until the next mt_fpsrv_table_add. */
const struct mt_fpsrv_verdict *mt_fpsrv_table_mail(struct mt_fpsrv_table *t,
						    const struct mt_fpsrv_key *k);

/* Writer: classifications run since the last call. */
uint64_t mt_fpsrv_table_classified(struct mt_fpsrv_table *t);

/* Any thread: servers held, capacity. */
unsigned mt_fpsrv_table_count(struct mt_fpsrv_table *t);
unsigned mt_fpsrv_table_capacity(const struct mt_fpsrv_table *t);
/* Any thread: a copy of the entry at slot index i (0 <= i < capacity),
 * its verdict up to date (classified on the copy if stale).  Returns 0,
 * or -ENOENT for an empty slot. */
int mt_fpsrv_table_get(struct mt_fpsrv_table *t, unsigned i, struct mt_fpsrv_info *out);
/* Any thread: the first held entry at a slot >= *i (one scan under the
 * lock); sets *i to its slot.  0, or -ENOENT when there is none. */
int mt_fpsrv_table_next(struct mt_fpsrv_table *t, unsigned *i, struct mt_fpsrv_info *out);
/* Any thread: the entry of server k; 0 or -ENOENT. */
int mt_fpsrv_table_find(struct mt_fpsrv_table *t, const struct mt_fpsrv_key *k,
			struct mt_fpsrv_info *out);
/* Any thread: the observation text held for server k (the format of
 * mt_fp_obsset_format); returns the length, or -ENOENT. */
int mt_fpsrv_table_obs(struct mt_fpsrv_table *t, const struct mt_fpsrv_key *k, char *buf,
		       size_t size);

#endif /* MT_FPSRV_H */
