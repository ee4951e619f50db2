/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_mail.h - one rebuilt mail: envelope, flags, and the message bytes.
 *
 * A struct mt_mail is an element of an rte_mempool (no heap).  Envelope
 * strings live in a fixed arena inside it.  The message bytes live in a
 * chain of pktmbufs from a separate "chunk" pool: the worker appends, the
 * writer walks the chain with writev and frees it.
 *
 * Ownership: a worker owns a mail from mt_mail_get() until it enqueues it
 * to the writer ring; the writer then owns it and calls mt_mail_put().
 *
 * LIMITS
 *	MT_MAIL_MAX_RCPT recipients and MT_MAIL_ARENA bytes of envelope
 *	strings per mail; beyond them the envelope is flagged
 *	MT_MAIL_F_ENVELOPE_TRUNC.  The message is cut at max_size octets
 *	(MT_MAIL_F_TRUNCATED) or when the chunk pool is empty
 *	(MT_MAIL_F_NOMEM); the octets seen are still counted in seen_size.
 */
#ifndef MT_MAIL_H
#define MT_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mt_flow.h"
#include "mt_scan.h"

#define MT_MAIL_MAX_RCPT 128
#define MT_MAIL_ARENA 4096

/* flags */
#define MT_MAIL_F_INCOMPLETE 0x0001     /* message cut short (close, TLS) */
#define MT_MAIL_F_UNCONFIRMED 0x0002    /* no final reply seen */
#define MT_MAIL_F_REJECTED 0x0004       /* the server rejected it */
#define MT_MAIL_F_TRUNCATED 0x0008      /* over max_size */
#define MT_MAIL_F_NOMEM 0x0010          /* chunk pool ran dry */
#define MT_MAIL_F_GAP 0x0020            /* bytes the tap never saw */
#define MT_MAIL_F_ENVELOPE_TRUNC 0x0040 /* envelope over the arena */
#define MT_MAIL_F_MIDSTREAM 0x0080      /* connection picked up mid-stream */
#define MT_MAIL_F_ABORTED 0x0100        /* RSET/QUIT/new MAIL before the end */
#define MT_MAIL_F_PIPELINED 0x0200      /* commands sent ahead of replies */
#define MT_MAIL_F_BDAT 0x0400           /* message sent with BDAT */
#define MT_MAIL_F_BARE_LF 0x0800        /* bare LF inside the DATA message */
#define MT_MAIL_F_NO_MAIL 0x1000        /* DATA accepted with no MAIL FROM seen */
#define MT_MAIL_F_TLS 0x2000            /* the session went TLS during it */

/* "complete": the message octets are whole and the envelope was seen */
#define MT_MAIL_F_NOT_COMPLETE                                                   \
	(MT_MAIL_F_INCOMPLETE | MT_MAIL_F_TRUNCATED | MT_MAIL_F_NOMEM | MT_MAIL_F_GAP | \
	 MT_MAIL_F_NO_MAIL)

#define MT_MAIL_MAX_REPLIES 32

struct mt_mail_str {
	uint16_t off;
	uint16_t len;
};


/*
 * Scan results (lib/scan, fed by lib/session).  matches: one entry per
 * (rule, scope), bounded; alerts: one per rule and part (the first match
 * of the rule in that part), bounded; what does not fit is counted.  The
 * rule pointers stay valid while the mail holds scan_db (a reference,
 * dropped by mt_mail_put).
 */
#define MT_MAIL_MAX_MATCHES 32
#define MT_MAIL_MAX_ALERTS 16

struct mt_mail_match {
	const struct mt_scan_rule *rule;
	uint32_t count;
	uint8_t scope;            /* enum mt_scan_scope */
	uint32_t alerted_part;    /* part index + 1 of its last alert, 0 none */
};

struct mt_mail_alert {
	const struct mt_scan_rule *rule;
	uint64_t ts_ns;           /* time of the packet that completed it */
	uint64_t offset;          /* stream offset just past the match */
	uint8_t scope;            /* enum mt_scan_scope */
	struct mt_mail_str filename; /* part filename, in the arena */
};

/* The scanning state of the mail being rebuilt (worker only). */
struct mt_mail_scan {
	struct mt_scan_stream hdr;   /* headers: every header section */
	struct mt_scan_stream part;  /* body or attachment: the open part */
	uint32_t part_index;         /* index + 1 of the open part, 0 none */
	uint16_t part_name_len;
	uint8_t part_scope;
	char part_name[256];
};

struct mt_mail_rcpt {
	struct mt_mail_str addr;
	struct mt_mail_str params; /* ESMTP parameters (NOTIFY, ORCPT), raw */
	uint16_t code; /* the server's reply, 0 if none seen */
};

struct mt_mail {
	uint64_t seq;          /* per-worker sequence number */
	uint64_t ts_ns;        /* time of MAIL FROM (ns since the epoch) */
	uint64_t ts_end_ns;    /* time of the end of the transaction */
	struct mt_flow_key key;
	uint32_t flags;
	uint16_t worker;       /* worker index */
	uint16_t reply_code;   /* the reply that ended the transaction */
	uint8_t end;           /* enum mt_smtp_end */
	uint64_t size;         /* message octets stored */
	uint64_t seen_size;    /* message octets seen (>= size) */
	uint64_t gap_bytes;
	struct rte_mbuf *head; /* message chain (NULL: empty) */
	struct rte_mbuf *tail;
	struct mt_mail_str helo;
	struct mt_mail_str banner;      /* the server's greeting, first line */
	struct mt_mail_str mail_from;
	struct mt_mail_str mail_params; /* SIZE, BODY, SMTPUTF8, RET, ENVID..., raw */
	struct mt_mail_str auth_mech;
	struct mt_mail_str auth_authzid;
	struct mt_mail_str auth_authcid;
	uint16_t auth_code;             /* 0: no AUTH */
	struct mt_mail_str xattr;       /* XCLIENT/XFORWARD attributes, raw */
	uint16_t n_replies;             /* may exceed MT_MAIL_MAX_REPLIES */
	uint16_t replies[MT_MAIL_MAX_REPLIES]; /* final reply codes, in order */
	uint16_t n_rcpt;
	uint16_t arena_used;
	struct mt_mail_rcpt rcpt[MT_MAIL_MAX_RCPT];
	/* scan results: scan_db != NULL when the mail was scanned */
	struct mt_scan_db *scan_db;
	uint8_t quarantine;
	uint16_t n_matches;
	uint16_t n_alerts;
	uint32_t matches_lost;    /* (rule, scope) pairs beyond MT_MAIL_MAX_MATCHES */
	uint32_t alerts_lost;     /* alerts beyond MT_MAIL_MAX_ALERTS */
	uint32_t mime_flags;      /* MT_MIME_F_* of the message */
	uint64_t scan_bytes;      /* octets given to scan streams */
	struct mt_mail_match matches[MT_MAIL_MAX_MATCHES];
	struct mt_mail_alert alerts[MT_MAIL_MAX_ALERTS];
	struct mt_mail_scan scan;
	/* the server's passive fingerprint when the writer wrote the mail
	 * (lib/fpsrv); fp_state 0: none (off, or nothing seen of it) */
	uint8_t fp_state;         /* 0 none, 1 unknown, 2 known */
	uint8_t fp_nonbanner;
	int16_t fp_score;
	struct mt_mail_str fp_rule, fp_vendor, fp_product, fp_family, fp_version;
	struct mt_mail_str fp_decided, fp_reason;
	char arena[MT_MAIL_ARENA];
	/* with mt_mail_pool_create_scan(): the MIME parser state follows */
};

/* Create the pool of mail objects. NULL with rte_errno on failure. */
struct rte_mempool *mt_mail_pool_create(const char *name, unsigned n, int socket_id);

/* Same, with room for a MIME parser (mt_mime_size()) after each mail. */
struct rte_mempool *mt_mail_pool_create_scan(const char *name, unsigned n, int socket_id);

/* The MIME parser state of m, or NULL if its pool has none. */
void *mt_mail_mime(struct mt_mail *m);

/* Copy into the arena without flagging the envelope (len 0 if no room). */
void mt_mail_set_aux(struct mt_mail *m, struct mt_mail_str *dst, const char *s, size_t len);

/*
 * The mail's alerts as JSON lines (one per alert, each ending in '\n';
 * EVE field names: timestamp, src_ip, ..., alert{signature_id, signature,
 * severity, category, tags}, smtp{helo, mail_from, rcpt_to}, and scope,
 * filename, offset).  Returns the length it needs (like snprintf).
 */
size_t mt_mail_alerts_json(const struct mt_mail *m, const char *id, char *buf, size_t size);

/* A zeroed mail from pool, or NULL if empty. */
struct mt_mail *mt_mail_get(struct rte_mempool *pool);

/* Free the message chain and return m to its pool. */
void mt_mail_put(struct mt_mail *m);

/* Copy a string into the arena; returns 0 or -ENOSPC (flag set). */
int mt_mail_set_str(struct mt_mail *m, struct mt_mail_str *dst, const char *s, size_t len);
int mt_mail_add_rcpt(struct mt_mail *m, const char *s, size_t len);

static inline const char *
mt_mail_str(const struct mt_mail *m, const struct mt_mail_str *s)
{
	return m->arena + s->off;
}

/*
 * Append message octets, allocating chunks from chunk_pool as needed, up
 * to max_size stored octets.  Never fails: what cannot be stored is
 * counted in seen_size and flagged.
 */
void mt_mail_append(struct mt_mail *m, struct rte_mempool *chunk_pool, uint64_t max_size,
		    const uint8_t *p, size_t n);

/* SHA-256 of the message octets stored, as 64 hex digits + NUL. */
void mt_mail_sha256_hex(const struct mt_mail *m, char out[65]);

/* The mail's id as text (24 hex digits: run id, worker, sequence). */
void mt_mail_id(const struct mt_mail *m, uint32_t run_id, char *buf, size_t size);

/*
 * The metadata as one JSON object (no newline); sha256 is the message's
 * digest in hex (NULL: left out).  Returns the length it needs (like
 * snprintf); buf holds a NUL-terminated prefix if too small.
 */
size_t mt_mail_json(const struct mt_mail *m, const char *id, const char *sha256, char *buf,
		    size_t size);

#endif /* MT_MAIL_H */
