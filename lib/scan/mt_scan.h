/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_scan.h - Hyperscan rules, a shared read-only database with hot
 * reload, one scratch per worker, one stream per mail part.
 *
 * SYNOPSIS
 *	control thread, at start:
 *	    mt_scan_db_load(paths, n, &prm, &db, &err);      compile (cold)
 *	    h = mt_scan_handle_create(db, max_workers, &err);
 *	each worker, on its own lcore, at start:
 *	    w = mt_scan_worker_create(h, worker_index, &err);
 *	worker poll loop (every round, or every few):
 *	    mt_scan_worker_refresh(w);            picks up a new db, reports
 *	                                          a quiescent state
 *	per mail:
 *	    db = mt_scan_mail_begin(w);           the db this mail keeps
 *	    per part / scope:
 *	        mt_scan_stream_open(w, db, &s, MT_SCAN_BODY, on_match, ctx);
 *	        mt_scan_stream_feed(w, &s, p, n);    ... as octets arrive
 *	        mt_scan_stream_close(w, &s);         end-anchored matches too
 *	    mt_scan_mail_end(w, db);
 *	control thread, on SIGHUP / a stats-socket command:
 *	    mt_scan_db_load(..., &db2, &err);     off the hot path; on error
 *	                                          keep running on the old one
 *	    mt_scan_handle_swap(h, db2);          blocks the control thread
 *	                                          only, until every worker
 *	                                          has passed a refresh
 *	at exit: mt_scan_worker_free(w) (each), mt_scan_handle_free(h).
 *
 * RULES
 *	Format: docs/RULES.md (and the comment atop
 *	config/rules/default.rules).  One rule per line:
 *	    id=1001 severity=high scope=body,attachment flags=caseless
 *	        tags=phish msg="..." action=quarantine pattern=/regex/i
 *	Every error is reported as "file:line: message" (Hyperscan's own
 *	message for a bad pattern, mapped from its expression index back to
 *	the line); loading fails if there is any.
 *
 * DATABASES: ONE PER SCOPE
 *	A db holds up to four Hyperscan STREAM databases, one per scope
 *	(envelope, headers, body, attachment), each compiled from the rules
 *	of that scope; a rule with several scopes (or "any") is compiled into
 *	each.  Why not one database filtered at match time: in real mail most
 *	octets are base64 attachments, and regexes dominate scan cost
 *	(../shared/FACTS.md: 10 literals 1.8 GB/s, 100 rules with 20 regexes
 *	0.16 GB/s per stream).  Per-scope databases scan attachment bytes
 *	only with attachment rules, never raise and discard matches of other
 *	scopes, and a scope without rules costs nothing (the stream is a
 *	no-op).  The price is compile time and memory for multi-scope rules,
 *	paid off the hot path.  Expression ids are rule indexes, so a match
 *	finds its rule in O(1).
 *
 * NUMA
 *	Hyperscan's allocator hooks are process-wide, so they cannot place
 *	one database on one node.  Instead the database is compiled on the
 *	heap, serialized, and deserialized with hs_deserialize_database_at()
 *	into rte_malloc_socket() memory on prm->socket_id (hugepages, the
 *	workers' node); the heap copy is freed.  MT_SCAN_SOCKET_HEAP keeps the
 *	heap copy (no EAL needed: --check-rules, tools, tests).  Workers on
 *	two sockets: load one db per socket (two handles).  Scratch and
 *	stream state are allocated by Hyperscan on the heap from the worker's
 *	own thread (first touch: the worker's node) - create workers on
 *	their lcore.
 *
 * HOT RELOAD
 *	A db is reference-counted: the handle holds one reference, each
 *	worker one (the db it hands to new mails), each mail in flight one.
 *	mt_scan_handle_swap() publishes the new db, then waits (DPDK
 *	rte_rcu_qsbr) until every registered worker has reported a quiescent
 *	state, i.e. has passed mt_scan_worker_refresh(); only then it drops
 *	the handle's reference to the old db.  This closes the window where a
 *	worker has read the old pointer but not yet taken its reference.  A
 *	worker's refresh moves its own reference to the new db; mails begun
 *	before keep theirs and finish on the old db; the last mt_scan_mail_end()
 *	(or refresh) on it frees it - on that worker, once per reload (a few
 *	rte_free/free calls, no packet processing waits on the control
 *	thread).  RX never takes part, so a reload never stalls RX.
 *
 * HOT PATH
 *	No allocation per packet or per part: streams closed on the worker's
 *	current db are reset (hs_reset_stream, which also reports end-of-data
 *	matches) and kept in a per-worker cache of MT_SCAN_STREAM_CACHE per
 *	scope for the next part; only a cache miss calls hs_open_stream.  A
 *	reload costs each worker one scratch reallocation in its refresh.
 *
 * LIMITS
 *	MT_SCAN_LINE_MAX octets per rules line; ids 1..4294967295, unique
 *	across all files of one load; tags and msg up to MT_SCAN_TEXT_MAX - 1
 *	octets; at most MT_SCAN_RULES_MAX rules.
 */
#ifndef MT_SCAN_H
#define MT_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mt_err.h"

#define MT_SCAN_LINE_MAX 8192
#define MT_SCAN_TEXT_MAX 256
#define MT_SCAN_RULES_MAX 100000
#define MT_SCAN_STREAM_CACHE 32
#define MT_SCAN_SOCKET_HEAP (-2) /* prm->socket_id: plain heap, no EAL */

struct mt_scan_db;
struct mt_scan_handle;
struct mt_scan_worker;

enum mt_scan_scope {
	MT_SCAN_ENVELOPE = 0,  /* MAIL FROM / RCPT TO (as the caller feeds them) */
	MT_SCAN_HEADERS,       /* raw header sections (lib/mime header()) */
	MT_SCAN_BODY,          /* decoded body text parts */
	MT_SCAN_ATTACHMENT,    /* decoded attachment content */
	MT_SCAN__SCOPES
};

enum mt_scan_severity {
	MT_SCAN_SEV_LOW = 0,
	MT_SCAN_SEV_MEDIUM,
	MT_SCAN_SEV_HIGH,
	MT_SCAN_SEV_CRITICAL,
};

/* One rule, as loaded; read-only, lives as long as its db. */
struct mt_scan_rule {
	uint32_t id;
	uint8_t severity;      /* enum mt_scan_severity */
	uint8_t scopes;        /* bit (1u << enum mt_scan_scope) */
	uint8_t quarantine;    /* action=quarantine */
	unsigned hs_flags;     /* HS_FLAG_* */
	const char *pattern;   /* the expression between the slashes */
	const char *tags;      /* "phish,test", or "" */
	const char *msg;       /* or "" */
	const char *file;
	unsigned line;
};

struct mt_scan_params {
	int socket_id;         /* NUMA node, SOCKET_ID_ANY, or MT_SCAN_SOCKET_HEAP */
	/* Called once per error with "file:line: message" (may be NULL). */
	void (*on_error)(void *ctx, const char *msg);
	void *err_ctx;
};

/*
 * A match: rule, the scope of the stream, and the stream offset just past
 * the match's last octet (Hyperscan's `to`).  Called inside feed/close.
 */
typedef void (*mt_scan_match_fn)(void *ctx, const struct mt_scan_rule *rule,
				 enum mt_scan_scope scope, uint64_t offset);

/* One stream: caller memory (e.g. in the session), fields private. */
struct mt_scan_stream {
	void *hs;                   /* hs_stream_t; NULL: closed / no rules */
	struct mt_scan_db *db;
	mt_scan_match_fn fn;
	void *ctx;
	uint64_t bytes;             /* octets fed */
	uint32_t matches;           /* matches reported */
	uint8_t scope;
	uint8_t errors;             /* hs_scan_stream failures (count, bug) */
};

/* ---- databases (cold path) ------------------------------------------ */

/*
 * Parse the rules files paths[0..n) and compile them.  On success *dbp
 * holds one reference.  On failure returns -EINVAL (bad rules), -ENOENT
 * etc. (file), -ENOMEM; err gets the first error and the count; every
 * error went to prm->on_error.  prm NULL: heap, no error callback.
 */
int mt_scan_db_load(const char *const *paths, unsigned n, const struct mt_scan_params *prm,
		    struct mt_scan_db **dbp, struct mt_err *err);

/* Same from a string; name stands for the file name in messages. */
int mt_scan_db_load_buf(const char *name, const char *text, size_t len,
			const struct mt_scan_params *prm, struct mt_scan_db **dbp,
			struct mt_err *err);

/* Reference counting (atomic; any thread). put frees at zero; NULL ok. */
void mt_scan_db_get(struct mt_scan_db *db);
void mt_scan_db_put(struct mt_scan_db *db);

unsigned mt_scan_db_rule_count(const struct mt_scan_db *db);
const struct mt_scan_rule *mt_scan_db_rule(const struct mt_scan_db *db, unsigned idx);
/* Rule by id, NULL if none (binary search). */
const struct mt_scan_rule *mt_scan_db_find(const struct mt_scan_db *db, uint32_t id);
/* 1, 2, ... in order of successful loads in this process. */
uint64_t mt_scan_db_generation(const struct mt_scan_db *db);
/* Bytes of compiled databases (all scopes). */
size_t mt_scan_db_bytes(const struct mt_scan_db *db);

/*
 * mailtapd --check-rules FILE...: load paths[0..n) on the heap, print
 * every error ("file:line: message") and a summary line to out.
 * Returns 0 when all rules compile, 1 otherwise.
 */
int mt_scan_check_files(const char *const *paths, unsigned n, FILE *out);

/* ---- the shared handle (control thread) ----------------------------- */

/* Publish db (takes over the caller's reference) for up to max_workers
 * workers.  NULL with err set on failure (db untouched). */
struct mt_scan_handle *mt_scan_handle_create(struct mt_scan_db *db, unsigned max_workers,
					     struct mt_err *err);

/* Publish db (takes over the caller's reference), wait until every
 * registered worker has refreshed, drop the old db's handle reference.
 * One control thread at a time. */
void mt_scan_handle_swap(struct mt_scan_handle *h, struct mt_scan_db *db);

/* Workers must be freed first. */
void mt_scan_handle_free(struct mt_scan_handle *h);

/* ---- workers --------------------------------------------------------- */

/* Register worker `index` (< max_workers) and take the current db; call
 * on the worker's own thread.  NULL with err set on failure. */
struct mt_scan_worker *mt_scan_worker_create(struct mt_scan_handle *h, unsigned index,
					     struct mt_err *err);

/* Unregister, drop the worker's db reference, free scratch and cache.
 * Mails still holding a db must have ended. */
void mt_scan_worker_free(struct mt_scan_worker *w);

/* From the poll loop: adopt a newly published db, then report a
 * quiescent state.  Never called with a pointer to the handle's db held
 * across it except through references.  Cheap when nothing changed. */
void mt_scan_worker_refresh(struct mt_scan_worker *w);

/* The db a new mail uses (one reference for the mail). */
struct mt_scan_db *mt_scan_mail_begin(struct mt_scan_worker *w);
void mt_scan_mail_end(struct mt_scan_worker *w, struct mt_scan_db *db);

/* ---- streams (hot path, the worker's thread) ------------------------- */

/*
 * Open s for one part in one scope on db (the mail's).  When db has no
 * rule for the scope, s is a no-op stream (feed/close return at once).
 * Returns 0, or -ENOMEM if Hyperscan cannot allocate stream state (s is
 * then a no-op stream; count it).
 */
int mt_scan_stream_open(struct mt_scan_worker *w, struct mt_scan_db *db,
			struct mt_scan_stream *s, enum mt_scan_scope scope,
			mt_scan_match_fn fn, void *ctx);

/* Scan the next n octets of the part; matches may span earlier feeds. */
void mt_scan_stream_feed(struct mt_scan_worker *w, struct mt_scan_stream *s,
			 const void *p, size_t n);

/* End of the part: end-anchored matches are reported; s is closed.
 * Idempotent. */
void mt_scan_stream_close(struct mt_scan_worker *w, struct mt_scan_stream *s);

/* Names for logs and JSON: "envelope", ... / "low", ... */
const char *mt_scan_scope_str(enum mt_scan_scope scope);
const char *mt_scan_severity_str(enum mt_scan_severity sev);

#endif /* MT_SCAN_H */
