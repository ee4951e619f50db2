/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_smtp.h - the SMTP/ESMTP session automaton of one TCP connection.
 *
 * SYNOPSIS
 *	struct mt_smtp *s = slot;                 (mt_smtp_size() bytes)
 *	mt_smtp_init(s, &ops, ctx);               handshake seen, or
 *	mt_smtp_init_midstream(s, &ops, ctx);     picked up mid-connection
 *	mt_smtp_feed(s, MT_DIR_C2S, bytes, n);    in-order stream bytes
 *	mt_smtp_feed(s, MT_DIR_S2C, bytes, n);
 *	mt_smtp_gap(s, MT_DIR_C2S, n);            n octets never seen
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
 *	The server's reply decides what a command did, where it can: a
 *	HELO/EHLO/LHLO resets an open envelope only when answered 2xx; a
 *	MAIL while an envelope is open ("nested": Postfix, Exim, Sendmail
 *	all answer 503) keeps the open envelope, and only a 2xx answer ends
 *	it and starts the new one (its sender is kept, bounded, until then);
 *	a DATA answered with anything but 354 leaves the envelope open as
 *	the server keeps it (RFC 5321 4.1.1.4: no reset), so a later
 *	RCPT/DATA can still deliver it; if it ends without that, it ends
 *	REJECTED with the DATA reply.  RSET and QUIT end it at the command
 *	(servers accept both).  HELO is reported at the command (what the
 *	client claimed).
 *
 *	DATA with no MAIL FROM (a server that accepts it, or a session
 *	picked up after MAIL): when the DATA is answered 354, mail_begin is
 *	called with an empty sender and the transaction carries
 *	MT_SMTP_TXF_NO_MAIL (see tx_flags); message octets sent before that
 *	354 are lost (the flag says the envelope is unknown).  A DATA that
 *	is not answered 354 starts nothing.
 *
 * GAPS (mt_smtp_gap)
 *	Client side: in command mode the partial line is dropped (its reply
 *	is still expected: it is queued as an unknown command) and the next
 *	octet starts a new line; if that line has no command verb, it is the
 *	rest of a line the gap cut, not a command of its own (queued once);
 *	if a client that waits for each reply sends yet another line with no
 *	verb before any reply, the gap took a DATA or BDAT line: the octets
 *	up to the next reply are that message's (kept raw, flagged gap) and
 *	the reply is its verdict.  In a BDAT chunk the remaining count is
 *	reduced by the gap; what is left of the gap beyond the chunk is a
 *	command-side gap.  In a DATA message the message goes on (the
 *	caller flags the mail incomplete); if a final reply arrives while
 *	the client is still in that message and no command awaits a reply,
 *	the terminator fell in the gap: the message ends there and the
 *	reply is its verdict.  Server side: a partial final reply line
 *	whose code was read still answers its command; any other partial
 *	line is dropped, and the next octet starts a line.  Replies lost in
 *	a gap leave their commands queued: a client that waits for each
 *	reply (and any client after EHLO, DATA and the other commands that
 *	end a group, RFC 2920) had the replies to all commands before the
 *	ones it sent after the gap; for a pipelined burst, the replies after the gap are held
 *	until the 354 that answers its DATA and go to the commands right
 *	before it (the lost ones were the oldest); the burst's transaction
 *	is flagged gap.  When the reply to DATA may be in the gap (354 or a
 *	refusal), the client's next line tells: a command, or the message.
 *
 * MID-STREAM (mt_smtp_init_midstream)
 *	The automaton starts "hunting": nothing is reported, no command is
 *	queued and lines that cannot matter are dropped after their first 5
 *	octets.  It leaves hunting at the first safe point: a 220 reply with
 *	no command line pending (a greeting), or a MAIL FROM line; the
 *	callbacks of that transaction are held back until its MAIL is
 *	answered 2xx (dropped, never reported, if it is refused, if a line
 *	that is no command ("." or text: it was a message line) comes before
 *	that reply, or if the held callbacks would exceed 512 octets or
 *	message octets arrive first).  Command-looking lines seen since the last reply are queued
 *	ahead of that MAIL, so a pipelined "." before it does not shift the
 *	replies.  A 354 seen while hunting makes every line up to "." text;
 *	a 220 after a STARTTLS line is TLS; a gap in the replies counts
 *	the lines before it as answered once the client sends another.
 *	So half a mail is never
 *	reported: the first mail reported starts at its MAIL FROM.
 *	Transactions then carry MT_SMTP_TXF_MIDSTREAM.
 *
 * SECRETS
 *	AUTH PLAIN (initial response or the line after 334) is base64-decoded
 *	one octet at a time; only authzid and authcid are kept and decoding
 *	stops (partial bits cleared) at the NUL before the password.  AUTH
 *	LOGIN: the username line is decoded; the password line is skipped
 *	octet by octet, never copied.  Responses of other mechanisms are
 *	skipped the same way.  None of it reaches a callback but the
 *	identity in ops->auth.
 *
 * LIMITS
 *	A command line longer than MT_SMTP_LINE_MAX octets is discarded up to
 *	its LF and reported as MT_SMTP_EV_LINE_TOO_LONG.  At most
 *	MT_SMTP_QUEUE_DEPTH commands may await their replies; more are
 *	reported as MT_SMTP_EV_QUEUE_OVERFLOW.  The held-back callbacks of a
 *	pipelined next transaction take at most 512 octets; if they need more,
 *	or its message octets arrive before the previous verdict, the
 *	previous transaction ends MT_SMTP_END_UNCONFIRMED.  In the message,
 *	only CR LF ends a line (bare LF: text, no dot handling, flagged
 *	MT_SMTP_TXF_BARE_LF): the terminator is CR LF "." CR LF only, as
 *	RFC 5321 2.3.8 and 4.1.1.4 say and the servers we watch (Postfix,
 *	Exim, Sendmail in their current defaults) do; a monitor that ended
 *	the message at "\n.\n" would disagree with the server about where
 *	the message ends (SMTP smuggling, CVE-2023-51764/5/6), so text after
 *	such a line stays in the message as the server keeps it.
 *	Bounded copies: banner MT_SMTP_BANNER_MAX, nested MAIL argument
 *	MT_SMTP_NEST_MAX, AUTH mechanism MT_SMTP_MECH_MAX, authzid and authcid
 *	MT_SMTP_ID_MAX each (longer values are cut).
 */
#ifndef MT_SMTP_H
#define MT_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "mt_common.h"

#define MT_SMTP_LINE_MAX 1024
#define MT_SMTP_QUEUE_DEPTH 32
#define MT_SMTP_BANNER_MAX 256
#define MT_SMTP_NEST_MAX 320
#define MT_SMTP_MECH_MAX 32
#define MT_SMTP_ID_MAX 256

/* Facts about one transaction, passed to ops->tx_flags before mail_end. */
#define MT_SMTP_TXF_PIPELINED 0x01 /* a command of it was sent before the
				    * previous command's reply */
#define MT_SMTP_TXF_BDAT      0x02 /* message sent with BDAT (CHUNKING) */
#define MT_SMTP_TXF_BARE_LF   0x04 /* an LF not after CR in the DATA message */
#define MT_SMTP_TXF_NO_MAIL   0x08 /* DATA answered 354 with no MAIL FROM seen:
				    * sender unknown (reported empty) */
#define MT_SMTP_TXF_GAP       0x10 /* mt_smtp_gap() was called during it,
				    * or its replies were not paired with its
				    * commands (a gap earlier): a DATA message
				    * with no 354, a 354 before every RCPT
				    * was answered */
#define MT_SMTP_TXF_MIDSTREAM 0x20 /* the session was picked up mid-stream */

struct mt_smtp;

/*
 * What a server reply answered (ops->reply_buf / ops->reply_text, for
 * passive fingerprinting).  MT_SMTP_V_OTHER: an unknown verb, or a line
 * too long to read (MT_SMTP_CF_TOO_LONG).
 */
enum mt_smtp_verb {
	MT_SMTP_V_GREETING = 0,
	MT_SMTP_V_HELO,
	MT_SMTP_V_EHLO,
	MT_SMTP_V_LHLO,
	MT_SMTP_V_MAIL,
	MT_SMTP_V_RCPT,
	MT_SMTP_V_DATA,
	MT_SMTP_V_EOD,      /* the end of a DATA message */
	MT_SMTP_V_BDAT,
	MT_SMTP_V_RSET,
	MT_SMTP_V_QUIT,
	MT_SMTP_V_NOOP,
	MT_SMTP_V_VRFY,
	MT_SMTP_V_EXPN,
	MT_SMTP_V_HELP,
	MT_SMTP_V_STARTTLS,
	MT_SMTP_V_AUTH,     /* AUTH and its SASL response lines */
	MT_SMTP_V_XCLIENT,
	MT_SMTP_V_XFORWARD,
	MT_SMTP_V_OTHER,
	MT_SMTP_V__COUNT
};

/* Facts about the command a reply answered (struct mt_smtp_cmd.flags). */
#define MT_SMTP_CF_ARG      0x01 /* the command had an argument */
#define MT_SMTP_CF_NUL      0x02 /* a NUL byte inside the command line */
#define MT_SMTP_CF_TOO_LONG 0x04 /* over MT_SMTP_LINE_MAX octets: never read */
#define MT_SMTP_CF_NO_MAIL  0x08 /* RCPT with no MAIL before it */
#define MT_SMTP_CF_BAD_PATH 0x10 /* MAIL/RCPT path without its '<' '>' */

struct mt_smtp_cmd {
	uint8_t verb;  /* enum mt_smtp_verb */
	uint8_t flags; /* MT_SMTP_CF_* */
};

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

/* AUTH, as seen (ops->auth).  Identity strings are decoded, not
 * NUL-terminated, possibly empty; never the password. */
struct mt_smtp_auth {
	const char *mech;    /* as sent, e.g. "PLAIN", "login" */
	size_t mech_len;
	const char *authzid; /* PLAIN only (often empty) */
	size_t authzid_len;
	const char *authcid; /* PLAIN authcid, LOGIN username */
	size_t authcid_len;
	unsigned code;       /* final reply (235, 535, ...); 0: none seen */
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

	/* ---- metadata (issue 4); added last so older initialisers work ---- */

	/* The greeting: its code and the text of its first line after
	 * "ddd " (cut at MT_SMTP_BANNER_MAX octets, no CR LF).  Once. */
	void (*banner)(void *ctx, unsigned code, const char *text, size_t len);
	/* Every final reply to a command of the open transaction, in order:
	 * MAIL (also a refused nested MAIL), RCPT, DATA (354 included), end
	 * of data, each BDAT. */
	void (*reply)(void *ctx, unsigned code);
	/* MAIL FROM parameters, raw ("SIZE=123 BODY=8BITMIME SMTPUTF8 RET=HDRS
	 * ENVID=x"), right after mail_begin, only when there are some. */
	void (*mail_params)(void *ctx, const char *p, size_t len);
	/* RCPT TO parameters of recipient idx, raw ("NOTIFY=NEVER ORCPT=..."),
	 * right after its rcpt, only when there are some. */
	void (*rcpt_params)(void *ctx, unsigned idx, const char *p, size_t len);
	/* An AUTH exchange ended (final reply, or TLS/close with none). */
	void (*auth)(void *ctx, const struct mt_smtp_auth *a);
	/* An XCLIENT or XFORWARD command: verb as sent, and its attributes
	 * ("NAME=... ADDR=..."), raw, at the command. */
	void (*xattr)(void *ctx, const char *verb, size_t vlen, const char *attrs,
		      size_t alen);
	/* MT_SMTP_TXF_* of the transaction, right before each mail_end. */
	void (*tx_flags)(void *ctx, unsigned flags);

	/* ---- passive fingerprinting (issue 8); added last ---- */

	/* Asked at the first line of every server reply - except in a
	 * session picked up mid-stream, and after a gap in either
	 * direction, where which reply answers which command is in doubt
	 * (a wrong pairing would be a wrong observation): a buffer of
	 * *cap octets for the reply's text,
	 * or NULL for "not wanted" (then nothing is copied: replies the
	 * caller does not want cost one call).  cmd: what it answers. */
	char *(*reply_buf)(void *ctx, const struct mt_smtp_cmd *cmd, size_t *cap);
	/* The reply that reply_buf took a buffer for is complete: code,
	 * and its lines as sent ("250-a", "250 b": code, separator, text),
	 * joined by '\n', CR LF removed, cut at the buffer's size
	 * (truncated nonzero).  Bytes are raw (NUL included).  Not called
	 * when a gap cut the reply. */
	void (*reply_text)(void *ctx, const struct mt_smtp_cmd *cmd, unsigned code,
			   const char *text, size_t len, int truncated);
};

/* Bytes of caller memory one automaton needs. */
size_t mt_smtp_size(void);

/* Initialise s (mt_smtp_size() bytes) for a new connection.  The first
 * server reply is taken as the greeting. */
void mt_smtp_init(struct mt_smtp *s, const struct mt_smtp_ops *ops, void *ctx);

/* Like mt_smtp_init, for a connection first seen without its handshake:
 * hunt for a safe point before reporting anything (see MID-STREAM). */
void mt_smtp_init_midstream(struct mt_smtp *s, const struct mt_smtp_ops *ops,
			    void *ctx);

/* n octets of direction dir were never seen (lost upstream), between the
 * octets fed before and after this call (see GAPS). */
void mt_smtp_gap(struct mt_smtp *s, enum mt_dir dir, uint32_t n);

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
