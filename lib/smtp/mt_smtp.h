/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_smtp.h - the SMTP/ESMTP session automaton of one TCP connection.
 *
 * SYNOPSIS
 *	struct mt_smtp *s = slot;                 (mt_smtp_size() bytes)
 *	mt_smtp_init(s, &ops, ctx);
 *	mt_smtp_feed(s, MT_DIR_C2S, bytes, n);    in-order stream bytes
 *	mt_smtp_feed(s, MT_DIR_S2C, bytes, n);
 *	mt_smtp_close(s);                         connection over
 *
 * DESCRIPTION
 *	The caller pushes the in-order bytes of each direction as they
 *	arrive, split anywhere (a command, a reply or the end-of-data line
 *	may straddle any number of calls).  The automaton follows the
 *	source paper's Fig. 4 (greeting, HELO/EHLO, MAIL, RCPT..., DATA, 354,
 *	message, ".", 250, QUIT) and reports what it learns through the
 *	callbacks in struct mt_smtp_ops.  Commands are matched to their
 *	replies through a fixed-size queue, so PIPELINING works: a reply
 *	pops one entry, on its final line only.
 *
 *	The message is delivered to ops->data dot-unstuffed, up to and
 *	including the CRLF that precedes the terminating ".".
 *
 *	The state needs no heap: it lives in caller memory (a flow slot).
 *
 *	Transactions never nest: mail_begin, then rcpt/rcpt_reply/data, then
 *	mail_end, before the next mail_begin.  When the client pipelines the
 *	next MAIL after the end of data, the new transaction's callbacks are
 *	held back until the previous verdict arrives.
 *
 * LIMITS
 *	A command line longer than MT_SMTP_LINE_MAX octets is discarded up to
 *	its LF and reported as MT_SMTP_EV_LINE_TOO_LONG.  At most
 *	MT_SMTP_QUEUE_DEPTH commands may await their replies; more are
 *	reported as MT_SMTP_EV_QUEUE_OVERFLOW.  The held-back callbacks of a
 *	pipelined next transaction take at most 512 octets; if they need more,
 *	or its message octets arrive before the previous verdict, the
 *	previous transaction ends MT_SMTP_END_UNCONFIRMED.  In the message,
 *	only CR LF ends a line (bare LF: text, no dot handling).
 */
#ifndef MT_SMTP_H
#define MT_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "mt_common.h"

#define MT_SMTP_LINE_MAX 1024
#define MT_SMTP_QUEUE_DEPTH 32

struct mt_smtp;

/* How a mail transaction ended. */
enum mt_smtp_end {
	/* The end of data (or BDAT LAST) was answered 2xx: a mail delivered. */
	MT_SMTP_END_ACCEPTED = 0,
	/* MAIL, every RCPT, DATA or the end of data was answered 4xx/5xx. */
	MT_SMTP_END_REJECTED,
	/* RSET, QUIT, HELO/EHLO or a new MAIL before the message completed. */
	MT_SMTP_END_ABORTED,
	/* The message was complete but its final reply was never seen
	 * (client hung up, capture ended). */
	MT_SMTP_END_UNCONFIRMED,
	/* The connection ended (or went TLS) inside the message. */
	MT_SMTP_END_INCOMPLETE,
};

/* Anomalies the automaton counts (the caller maps them to counters). */
enum mt_smtp_event {
	MT_SMTP_EV_LINE_TOO_LONG = 0,
	MT_SMTP_EV_QUEUE_OVERFLOW,
	MT_SMTP_EV_UNKNOWN_COMMAND,
	MT_SMTP_EV_OUT_OF_SEQUENCE,  /* e.g. RCPT with no MAIL, DATA with no RCPT */
	MT_SMTP_EV_UNSOLICITED_REPLY, /* a reply with no command waiting */
	MT_SMTP_EV_BAD_REPLY,        /* a reply line that is not "ddd[ -]..." */
	MT_SMTP_EV_STARTTLS,         /* session went TLS; nothing after is parsed */
	MT_SMTP_EV__COUNT
};

/*
 * Callbacks.  Strings are not NUL-terminated and are only valid during the
 * call.  Any callback may be NULL.
 */
struct mt_smtp_ops {
	/* HELO/EHLO/LHLO argument (the domain or address literal). */
	void (*helo)(void *ctx, const char *name, size_t len);
	/* MAIL FROM seen: a transaction starts.  from is the reverse-path
	 * without angle brackets and without ESMTP parameters (may be empty:
	 * the null sender <>). */
	void (*mail_begin)(void *ctx, const char *from, size_t len);
	/* RCPT TO seen (forward-path, no brackets, no parameters).  The
	 * recipients of a transaction are numbered 0, 1, ... in this order. */
	void (*rcpt)(void *ctx, const char *to, size_t len);
	/* The server's final reply code to recipient number idx. */
	void (*rcpt_reply)(void *ctx, unsigned idx, unsigned code);
	/* Message octets, dot-unstuffed, in order. */
	void (*data)(void *ctx, const uint8_t *p, size_t len);
	/* The transaction ended.  code: the reply that decided (0: none). */
	void (*mail_end)(void *ctx, enum mt_smtp_end how, unsigned code);
	/* An anomaly to count. */
	void (*event)(void *ctx, enum mt_smtp_event ev);
};

/* Bytes of caller memory one automaton needs. */
size_t mt_smtp_size(void);

/* Initialise s (mt_smtp_size() bytes) for a new connection.  The first
 * server reply is taken as the greeting. */
void mt_smtp_init(struct mt_smtp *s, const struct mt_smtp_ops *ops, void *ctx);

/* Push n in-order octets of one direction. */
void mt_smtp_feed(struct mt_smtp *s, enum mt_dir dir, const uint8_t *p, size_t n);

/* The connection is over (FIN/RST, timeout, end of capture).  A
 * transaction in progress ends with MT_SMTP_END_UNCONFIRMED or
 * MT_SMTP_END_INCOMPLETE.  Idempotent. */
void mt_smtp_close(struct mt_smtp *s);

/* Nonzero once the session went TLS (STARTTLS answered 220). */
int mt_smtp_is_tls(const struct mt_smtp *s);

/* Name of an end reason / event, for logs and JSON ("accepted", ...). */
const char *mt_smtp_end_str(enum mt_smtp_end how);
const char *mt_smtp_event_str(enum mt_smtp_event ev);

#endif /* MT_SMTP_H */
