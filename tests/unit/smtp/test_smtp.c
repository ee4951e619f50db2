/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_smtp.c - the SMTP automaton, one dialogue per test.
 *
 * Every callback is recorded as one text line in rec.log (the message of a
 * transaction is printed, escaped, on its "end" line), so a test compares
 * one string and a failure prints the whole recorded session.  rec.bad
 * counts callbacks outside a transaction and nested transactions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mt_smtp.h"

struct rec {
	char log[16384];
	size_t len;
	uint8_t body[8192];
	size_t body_len;
	int open;
	int bad;
};

static uint64_t slot[8192 / sizeof(uint64_t)];

static void
logf_(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->log + r->len, sizeof(r->log) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len = MT_MIN(r->len + (size_t)n, sizeof(r->log) - 1);
}

static void
log_bytes(struct rec *r, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r')
			logf_(r, "\\r");
		else if (p[i] == '\n')
			logf_(r, "\\n");
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			logf_(r, "\\x%02x", p[i]);
		else
			logf_(r, "%c", p[i]);
	}
}

static void
on_helo(void *ctx, const char *name, size_t len)
{
	logf_(ctx, "helo %.*s\n", (int)len, name);
}

static void
on_begin(void *ctx, const char *from, size_t len)
{
	struct rec *r = ctx;

	if (r->open)
		r->bad++;
	r->open = 1;
	r->body_len = 0;
	logf_(r, "begin %.*s\n", (int)len, from);
}

static void
on_rcpt(void *ctx, const char *to, size_t len)
{
	struct rec *r = ctx;

	if (!r->open)
		r->bad++;
	logf_(r, "rcpt %.*s\n", (int)len, to);
}

static void
on_rcpt_reply(void *ctx, unsigned idx, unsigned code)
{
	struct rec *r = ctx;

	if (!r->open)
		r->bad++;
	logf_(r, "rcpt_reply %u %u\n", idx, code);
}

static void
on_data(void *ctx, const uint8_t *p, size_t len)
{
	struct rec *r = ctx;

	if (!r->open || len == 0)
		r->bad++;
	len = MT_MIN(len, sizeof(r->body) - r->body_len);
	memcpy(r->body + r->body_len, p, len);
	r->body_len += len;
}

static void
on_end(void *ctx, enum mt_smtp_end how, unsigned code)
{
	struct rec *r = ctx;

	if (!r->open)
		r->bad++;
	r->open = 0;
	logf_(r, "end %s %u [", mt_smtp_end_str(how), code);
	log_bytes(r, r->body, r->body_len);
	logf_(r, "]\n");
	r->body_len = 0;
}

static void
on_event(void *ctx, enum mt_smtp_event ev)
{
	logf_(ctx, "event %s\n", mt_smtp_event_str(ev));
}

static const struct mt_smtp_ops rec_ops = {
	.helo = on_helo,
	.mail_begin = on_begin,
	.rcpt = on_rcpt,
	.rcpt_reply = on_rcpt_reply,
	.data = on_data,
	.mail_end = on_end,
	.event = on_event,
};

/* ---- the metadata callbacks (issue 4), logged the same way ---- */

static void
on_banner(void *ctx, unsigned code, const char *t, size_t len)
{
	logf_(ctx, "banner %u %.*s\n", code, (int)len, t);
}

static void
on_reply(void *ctx, unsigned code)
{
	struct rec *r = ctx;

	if (!r->open)
		r->bad++;
	logf_(r, "reply %u\n", code);
}

static void
on_mail_params(void *ctx, const char *p, size_t len)
{
	struct rec *r = ctx;

	if (!r->open)
		r->bad++;
	logf_(r, "mail_params %.*s\n", (int)len, p);
}

static void
on_rcpt_params(void *ctx, unsigned idx, const char *p, size_t len)
{
	struct rec *r = ctx;

	if (!r->open)
		r->bad++;
	logf_(r, "rcpt_params %u %.*s\n", idx, (int)len, p);
}

static void
on_auth(void *ctx, const struct mt_smtp_auth *a)
{
	struct rec *r = ctx;

	logf_(r, "auth %.*s [", (int)a->mech_len, a->mech);
	log_bytes(r, (const uint8_t *)a->authzid, a->authzid_len);
	logf_(r, "] [");
	log_bytes(r, (const uint8_t *)a->authcid, a->authcid_len);
	logf_(r, "] %u\n", a->code);
}

static void
on_xattr(void *ctx, const char *v, size_t vlen, const char *a, size_t alen)
{
	logf_(ctx, "xattr %.*s %.*s\n", (int)vlen, v, (int)alen, a);
}

static void
on_tx_flags(void *ctx, unsigned f)
{
	struct rec *r = ctx;

	if (!r->open)
		r->bad++;
	if (f != 0)
		logf_(r, "flags%s%s%s%s%s%s\n",
		      f & MT_SMTP_TXF_PIPELINED ? " pipelined" : "",
		      f & MT_SMTP_TXF_BDAT ? " bdat" : "",
		      f & MT_SMTP_TXF_BARE_LF ? " bare_lf" : "",
		      f & MT_SMTP_TXF_NO_MAIL ? " no_mail" : "",
		      f & MT_SMTP_TXF_GAP ? " gap" : "",
		      f & MT_SMTP_TXF_MIDSTREAM ? " midstream" : "");
}

static const struct mt_smtp_ops meta_ops = {
	.helo = on_helo,
	.mail_begin = on_begin,
	.rcpt = on_rcpt,
	.rcpt_reply = on_rcpt_reply,
	.data = on_data,
	.mail_end = on_end,
	.event = on_event,
	.banner = on_banner,
	.reply = on_reply,
	.mail_params = on_mail_params,
	.rcpt_params = on_rcpt_params,
	.auth = on_auth,
	.xattr = on_xattr,
	.tx_flags = on_tx_flags,
};

static struct mt_smtp *
start_meta(struct rec *r)
{
	struct mt_smtp *s = (struct mt_smtp *)slot;

	memset(r, 0, sizeof(*r));
	mt_smtp_init(s, &meta_ops, r);
	return s;
}

static struct mt_smtp *
start_mid(struct rec *r)
{
	struct mt_smtp *s = (struct mt_smtp *)slot;

	memset(r, 0, sizeof(*r));
	mt_smtp_init_midstream(s, &meta_ops, r);
	return s;
}

static struct mt_smtp *
start(struct rec *r)
{
	struct mt_smtp *s = (struct mt_smtp *)slot;

	assert_true(mt_smtp_size() <= sizeof(slot));
	memset(r, 0, sizeof(*r));
	mt_smtp_init(s, &rec_ops, r);
	return s;
}

static void
C(struct mt_smtp *s, const char *t)
{
	mt_smtp_feed(s, MT_DIR_C2S, (const uint8_t *)t, strlen(t));
}

static void
S(struct mt_smtp *s, const char *t)
{
	mt_smtp_feed(s, MT_DIR_S2C, (const uint8_t *)t, strlen(t));
}

#define EXPECT_LOG(r, want)                                                  \
	do {                                                                 \
		if (strcmp((r)->log, (want)) != 0 || (r)->bad != 0) {        \
			print_message("recorded (bad=%d):\n%s\nexpected:\n%s\n", \
				      (r)->bad, (r)->log, (want));           \
			fail();                                              \
		}                                                            \
	} while (0)

/* The dialogue every "mail accepted" test starts with. */
static void
hello(struct mt_smtp *s)
{
	S(s, "220 mx.example.com ESMTP\r\n");
	C(s, "EHLO client.example.org\r\n");
	S(s, "250-mx.example.com\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n");
}

/* The dialogue up to an envelope a@x -> b@y, each command answered. */
static void
hello_envelope(struct mt_smtp *s)
{
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n");
}

/* After a test's trouble, a whole mail of a client that waits for each
 * reply: the session must be back in step (WANT_MAIL_C is its record). */
static void
then_mail_c(struct mt_smtp *s)
{
	C(s, "MAIL FROM:<c@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<d@y>\r\n");
	S(s, "250 ok\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
}

#define WANT_MAIL_C                                                              \
	"begin c@x\nreply 250\nrcpt d@y\nrcpt_reply 0 250\nreply 250\n"        \
	"reply 354\nreply 250\nend accepted 250 [two\\r\\n]\n"

static void
test_simple_session_delivers_one_accepted_mail(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<alice@example.org>\r\n");
	S(s, "250 2.1.0 Ok\r\n");
	C(s, "RCPT TO:<bob@example.com>\r\n");
	S(s, "250 2.1.5 Ok\r\n");
	C(s, "DATA\r\n");
	S(s, "354 End data with <CR><LF>.<CR><LF>\r\n");
	C(s, "Subject: hi\r\n\r\nHello\r\n.\r\n");
	S(s, "250 2.0.0 Ok: queued\r\n");
	C(s, "QUIT\r\n");
	S(s, "221 Bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin alice@example.org\n"
		   "rcpt bob@example.com\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [Subject: hi\\r\\n\\r\\nHello\\r\\n]\n");
	assert_int_equal(mt_smtp_is_tls(s), 0);
}

static void
test_pipelined_commands_match_replies_in_later_segments(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x> SIZE=100\r\nRCPT TO:<b@y>\r\n"
	     "RCPT TO:<c@z> NOTIFY=NEVER\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n");
	S(s, "550 5.1.1 no such user\r\n354");
	S(s, " go\r\n");
	C(s, "body\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt c@z\n"
		   "rcpt_reply 0 250\n"
		   "rcpt_reply 1 550\n"
		   "end accepted 250 [body\\r\\n]\n");
}

static void
test_pipelined_replies_in_one_segment(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	C(s, "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "220 hi\r\n250-mx\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "x\r\n.\r\nQUIT\r\n");
	S(s, "250 queued\r\n221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo c\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [x\\r\\n]\n");
}

static void
test_dot_unstuffing_removes_one_leading_dot(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "..one\r\n...\r\n.x\r\na.b\r\n..\r\n.\rX\r\nbare\n.\nlf\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [.one\\r\\n..\\r\\nx\\r\\na.b\\r\\n.\\r\\n"
		   "\\rX\\r\\nbare\\n.\\nlf\\r\\n]\n");
}

static void
test_empty_message_is_terminator_alone(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, ".\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 []\n");
}

/* ---- the same dialogue split anywhere gives the same record ---- */

struct step {
	enum mt_dir dir;
	const char *text;
};

static const struct step dialogue[] = {
	{ MT_DIR_S2C, "220 mx ESMTP\r\n" },
	{ MT_DIR_C2S, "EHLO c.example\r\n" },
	{ MT_DIR_S2C, "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n" },
	{ MT_DIR_C2S, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@z>\r\nDATA\r\n" },
	{ MT_DIR_S2C, "250 ok\r\n250 ok\r\n550-no\r\n550 such user\r\n354 go\r\n" },
	{ MT_DIR_C2S, "..a\r\n.\rb\r\nx\r\n\r\n..\r\n.\r\n" },
	{ MT_DIR_S2C, "250 queued\r\n" },
	{ MT_DIR_C2S, "MAIL FROM:<>\r\nRCPT TO:<d@w>\r\nBDAT 3\r\nabcBDAT 4 LAST\r\n.\r\n\n" },
	{ MT_DIR_S2C, "250 ok\r\n250 ok\r\n250 3\r\n250 done\r\n" },
	{ MT_DIR_C2S, "MAIL FROM:<e@x>\r\nRCPT TO:<f@y>\r\nDATA\r\n" },
	{ MT_DIR_S2C, "250 ok\r\n250 ok\r\n354 go\r\n" },
	{ MT_DIR_C2S, "partial\r\n.line\r\n" },
};

static const char dialogue_log[] =
	"helo c.example\n"
	"begin a@x\n"
	"rcpt b@y\n"
	"rcpt c@z\n"
	"rcpt_reply 0 250\n"
	"rcpt_reply 1 550\n"
	"end accepted 250 [.a\\r\\n\\rb\\r\\nx\\r\\n\\r\\n.\\r\\n]\n"
	"begin \n"
	"rcpt d@w\n"
	"rcpt_reply 0 250\n"
	"end accepted 250 [abc.\\r\\n\\n]\n"
	"begin e@x\n"
	"rcpt f@y\n"
	"rcpt_reply 0 250\n"
	"end incomplete 0 [partial\\r\\nline\\r\\n]\n";

/* Feed the dialogue cut at the global offsets cuts[] (sorted), or at
 * every octet, then close. */
static void
run_dialogue(struct rec *r, const size_t *cuts, size_t ncuts, int every)
{
	struct mt_smtp *s = start(r);
	size_t i, c, pos = 0;

	for (i = 0; i < MT_ARRAY_SIZE(dialogue); i++) {
		const uint8_t *t = (const uint8_t *)dialogue[i].text;
		size_t len = strlen(dialogue[i].text), off = 0, next;

		while (off < len) {
			next = every ? off + 1 : len;
			for (c = 0; c < ncuts && !every; c++)
				if (cuts[c] > pos + off && cuts[c] < pos + next)
					next = cuts[c] - pos;
			mt_smtp_feed(s, dialogue[i].dir, t + off, next - off);
			off = next;
		}
		pos += len;
	}
	mt_smtp_close(s);
}

static size_t
dialogue_len(void)
{
	size_t i, n = 0;

	for (i = 0; i < MT_ARRAY_SIZE(dialogue); i++)
		n += strlen(dialogue[i].text);
	return n;
}

static void
test_whole_dialogue_gives_expected_record(void **state)
{
	struct rec r;

	(void)state;
	run_dialogue(&r, NULL, 0, 0);
	EXPECT_LOG(&r, dialogue_log);
}

static void
test_byte_at_a_time_gives_same_record(void **state)
{
	struct rec r;

	(void)state;
	run_dialogue(&r, NULL, 0, 1);
	EXPECT_LOG(&r, dialogue_log);
}

static void
test_every_split_point_gives_same_record(void **state)
{
	static struct rec r;
	size_t n = dialogue_len(), cuts[2];

	(void)state;
	for (cuts[0] = 1; cuts[0] < n; cuts[0]++) {
		run_dialogue(&r, cuts, 1, 0);
		if (strcmp(r.log, dialogue_log) != 0 || r.bad)
			print_message("cut at %zu\n", cuts[0]);
		EXPECT_LOG(&r, dialogue_log);
	}
}

static void
test_every_pair_of_split_points_gives_same_record(void **state)
{
	static struct rec r;
	size_t n = dialogue_len(), cuts[2];

	(void)state;
	for (cuts[0] = 1; cuts[0] < n; cuts[0]++) {
		for (cuts[1] = cuts[0] + 1; cuts[1] < n; cuts[1]++) {
			run_dialogue(&r, cuts, 2, 0);
			if (strcmp(r.log, dialogue_log) != 0 || r.bad)
				print_message("cuts at %zu %zu\n", cuts[0], cuts[1]);
			EXPECT_LOG(&r, dialogue_log);
		}
	}
}

static void
test_terminator_split_in_four_calls(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "text");
	C(s, "\r\n");
	C(s, ".");
	C(s, "\r");
	C(s, "\n");
	C(s, "QUIT\r\n");
	S(s, "250 queued\r\n221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [text\\r\\n]\n");
}

static unsigned data_calls;

static void
count_data(void *ctx, const uint8_t *p, size_t len)
{
	(void)ctx;
	(void)p;
	(void)len;
	data_calls++;
}

static void
test_message_is_delivered_in_large_runs(void **state)
{
	static const struct mt_smtp_ops ops = { .data = count_data };
	struct mt_smtp *s = (struct mt_smtp *)slot;
	char msg[4096];
	size_t i;

	(void)state;
	for (i = 0; i + 8 < sizeof(msg); i += 8)
		memcpy(msg + i, "line..\r\n", 8);
	msg[i] = '\0';
	mt_smtp_init(s, &ops, NULL);
	S(s, "220 hi\r\n");
	C(s, "MAIL FROM:<a>\r\nRCPT TO:<b>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	data_calls = 0;
	C(s, msg);
	assert_int_equal(data_calls, 1);
}

static void
test_multiline_reply_pops_queue_on_final_line_only(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "NOOP\r\nMAIL FROM:<a@x>\r\n");
	S(s, "250-one\r\n250-two\r\n");
	S(s, "250-three\r\n250");
	S(s, "\r\n550 5.7.1 go away\r\n");
	C(s, "QUIT\r\n");
	S(s, "221 bye\r\n");
	S(s, "bogus\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "end rejected 550 []\n"
		   "event bad_reply\n");
}

static void
test_rejected_mail_ends_transaction_and_skips_pipelined_rest(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<spam@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "550 5.7.1 sender rejected\r\n503 need MAIL\r\n503 no valid recipients\r\n");
	C(s, "MAIL FROM:<good@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "hi\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin spam@x\n"
		   "rcpt b@y\n"
		   "end rejected 550 []\n"
		   "begin good@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [hi\\r\\n]\n");
}

static void
test_rejected_rcpt_codes_are_reported(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n450 4.2.1 try later\r\n550 5.1.1 unknown\r\n354 go\r\n");
	C(s, "m\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\nrcpt c@y\nrcpt d@y\n"
		   "rcpt_reply 0 250\n"
		   "rcpt_reply 1 450\n"
		   "rcpt_reply 2 550\n"
		   "end accepted 250 [m\\r\\n]\n");
}

static void
test_all_rcpts_rejected_then_data_is_rejected(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n550 no\r\n550 no\r\n554 5.5.1 no valid recipients\r\n");
	C(s, "NOOP\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\nrcpt c@y\n"
		   "rcpt_reply 0 550\n"
		   "rcpt_reply 1 550\n"
		   "end rejected 554 []\n");
}

static void
test_all_rcpts_rejected_then_quit_is_rejected(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n550 5.1.1 no\r\n");
	C(s, "QUIT\r\n");
	S(s, "221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 550\n"
		   "end rejected 550 []\n");
}

static void
test_rejected_data_leaves_message_mode(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n451 4.3.0 try later\r\n");
	C(s, "RSET\r\nXFOO\r\n");
	S(s, "250 ok\r\n502 unknown\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end rejected 451 []\n"
		   "event unknown_command\n");
}

static void
test_rejected_end_of_data_is_rejected(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "virus\r\n.\r\n");
	S(s, "554 5.7.1 infected\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end rejected 554 [virus\\r\\n]\n");
}

static void
test_rset_quit_helo_and_new_mail_abort_open_transaction(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRSET\r\n");
	S(s, "250 ok\r\n250 ok\r\n250 reset\r\n");
	C(s, "MAIL FROM:<c@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "EHLO again\r\n");
	S(s, "250 mx\r\n");
	C(s, "MAIL FROM:<d@x>\r\nMAIL FROM:<e@x>\r\n");
	S(s, "250 ok\r\n503 nested\r\n");
	C(s, "MAIL FROM:<f@x>\r\nQUIT\r\n");
	S(s, "250 ok\r\n221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "end aborted 0 []\n"
		   "begin c@x\n"
		   "helo again\n"         /* reported at the command, */
		   "end aborted 0 []\n"   /* the reset on its 250 */
		   "begin d@x\n"          /* e@x nested, refused 503: d goes on */
		   "end aborted 0 []\n"   /* f@x nested, accepted 250: ends d */
		   "begin f@x\n"
		   "end aborted 0 []\n");
}

static void
test_quit_pipelined_after_end_of_data_does_not_abort(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "m\r\n.\r\nQUIT\r\n");
	S(s, "250 queued\r\n221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [m\\r\\n]\n");
}

static void
test_two_mails_per_session(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "one\r\n.\r\n");
	S(s, "250 queued 1\r\n");
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued 2\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [one\\r\\n]\n"
		   "begin c@x\nrcpt d@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [two\\r\\n]\n");
}

/* MAIL pipelined right after the end of data: the first mail's verdict
 * must end it before the second begins. */
static void
test_mail_pipelined_after_end_of_data_waits_for_verdict(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "one\r\n.\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 queued 1\r\n");
	S(s, "250 ok\r\n550 no\r\n554 no recipients\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [one\\r\\n]\n"
		   "begin c@x\nrcpt d@y\nrcpt_reply 0 550\n"
		   "end rejected 554 []\n");
}

static void
test_bdat_last_pipelined_with_next_mail_waits_for_verdict(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 2\r\nhiBDAT 0 LAST\r\n"
	     "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\n");
	S(s, "250 ok\r\n250 ok\r\n250 2 octets\r\n250 queued\r\n250 ok\r\n250 ok\r\n");
	C(s, "BDAT 3 LAST\r\nyo!");
	S(s, "250 queued 2\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [hi]\n"
		   "begin c@x\nrcpt d@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [yo!]\n");
}

/* Limit: the next mail's data before the previous verdict cannot wait. */
static void
test_next_mail_data_before_verdict_ends_previous_unconfirmed(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 1 LAST\r\nA"
	     "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nBDAT 1 LAST\r\nC");
	S(s, "250 ok\r\n250 ok\r\n250 queued\r\n250 ok\r\n250 ok\r\n250 queued 2\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\n"
		   "end unconfirmed 0 [A]\n"
		   "begin c@x\nrcpt d@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [C]\n");
}

/* ---- BDAT ---- */

static void
test_bdat_single_last_chunk_accepted(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x> BODY=BINARYMIME\r\nRCPT TO:<b@y>\r\nBDAT 7 LAST\r\n.\r\nQUIT");
	S(s, "250 ok\r\n250 ok\r\n250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [.\\r\\nQUIT]\n");
}

static void
test_bdat_zero_last_ends_chunked_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n250 ok\r\n");
	C(s, "BDAT 3\r\nabc");
	S(s, "250 3 octets\r\n");
	C(s, "BDAT 0 LAST\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [abc]\n");
}

static void
test_bdat_chunk_followed_by_next_command_in_same_feed(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n250 ok\r\n");
	C(s, "BDAT 3\r\nabcBDAT 2 LAST\r\nde");
	S(s, "250 3 octets\r\n250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [abcde]\n");
}

static void
test_bdat_rejected_chunk_rejects_but_rest_is_consumed(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 3\r\nabc");
	S(s, "250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n");
	C(s, "BDAT 5\r\nRSET\n");
	C(s, "BDAT 4 LAST\r\nQUIT");
	S(s, "552 still\r\n552 still\r\n");
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nBDAT 1 LAST\r\nz");
	S(s, "250 ok\r\n250 ok\r\n250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end rejected 552 [abc]\n"
		   "begin c@x\nrcpt d@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [z]\n");
}

static void
test_bdat_last_rejected_is_rejected(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 2 LAST\r\nab");
	S(s, "250 ok\r\n250 ok\r\n554 5.7.1 no\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end rejected 554 [ab]\n");
}

static void
test_bdat_bad_size_is_unknown_command(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n250 ok\r\n");
	C(s, "BDAT x\r\nBDAT 99999999999999999999999\r\nBDAT 3 FIRST\r\nBDAT\r\nBDAT -1\r\n");
	S(s, "501\r\n501\r\n501\r\n501\r\n501\r\n");
	C(s, "BDAT 1 last\r\nk");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "event unknown_command\n"
		   "event unknown_command\n"
		   "event unknown_command\n"
		   "event unknown_command\n"
		   "event unknown_command\n"
		   "end accepted 250 [k]\n");
}

/* ---- STARTTLS, AUTH, anomalies ---- */

static void
test_starttls_stops_parsing_and_ends_incomplete(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "STARTTLS\r\n");
	S(s, "454 TLS not available\r\n");
	assert_int_equal(mt_smtp_is_tls(s), 0);
	C(s, "MAIL FROM:<a@x>\r\nSTARTTLS\r\n");
	S(s, "250 ok\r\n220 2.0.0 ready\r\n\x16\x03\x03garbage\r\n");
	assert_int_equal(mt_smtp_is_tls(s), 1);
	C(s, "\x16\x03\x01\x02\x00\x01\x00\r\nMAIL FROM:<hidden>\r\n");
	S(s, "\x17\x03\x03 more garbage\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "event starttls\n"
		   "end incomplete 0 []\n");
	assert_int_equal(mt_smtp_is_tls(s), 1);
}

static void
test_auth_exchange_lines_are_not_commands(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "AUTH LOGIN\r\n");
	S(s, "334 VXNlcm5hbWU6\r\n");
	C(s, "dXNlcg==\r\n");
	S(s, "334 UGFzc3dvcmQ6\r\n");
	C(s, "cGFzcw==\r\n");
	S(s, "235 2.7.0 ok\r\n");
	C(s, "AUTH PLAIN AHVzZXIAcGFzcw==\r\nMAIL FROM:<a@x>\r\n");
	S(s, "235 ok\r\n250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "end aborted 0 []\n");
}

static void
test_overlong_line_is_discarded_and_its_reply_consumed(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);
	char big[1500];

	(void)state;
	hello(s);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "MAIL FROM:<", 11);
	C(s, big);
	C(s, big);
	C(s, "\r\nNOOP\r\nMAIL FROM:<a@x>\r\n");
	S(s, "500 5.5.0 line too long\r\n250 ok\r\n250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "event line_too_long\n"
		   "begin a@x\n"
		   "end aborted 0 []\n");
}

static void
test_line_of_exactly_max_octets_is_kept(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);
	char line[MT_SMTP_LINE_MAX + 2];
	char want[MT_SMTP_LINE_MAX + 64];

	(void)state;
	memset(line, 'h', MT_SMTP_LINE_MAX);
	memcpy(line, "HELO ", 5);
	line[MT_SMTP_LINE_MAX] = '\n';
	line[MT_SMTP_LINE_MAX + 1] = '\0';
	C(s, line);
	snprintf(want, sizeof(want), "helo %.*s\n", MT_SMTP_LINE_MAX - 5, line + 5);
	EXPECT_LOG(&r, want);
}

static void
test_unknown_out_of_sequence_and_unsolicited_are_counted(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "XFOO foo\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "502 unknown\r\n503 need MAIL\r\n503 need MAIL\r\n");
	C(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n421 closing\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "event unknown_command\n"
		   "event out_of_sequence\n"
		   "event out_of_sequence\n"
		   "begin a@x\n"
		   "event unsolicited_reply\n"
		   "end aborted 0 []\n");
}

static void
test_queue_overflow_is_counted(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);
	int i;

	(void)state;
	for (i = 0; i < MT_SMTP_QUEUE_DEPTH; i++)
		C(s, "NOOP\r\n");
	EXPECT_LOG(&r, "event queue_overflow\n");
}

static void
test_paths_null_sender_params_and_space_after_colon(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	C(s, "MAIL FROM:<> BODY=8BITMIME\r\nRCPT TO: <b@y> NOTIFY=NEVER\r\n"
	     "RCPT TO:<\"x >y\"@z>\r\nRCPT TO:bare@z SIZE=1\r\nRCPT TO:<open@z\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "begin \n"
		   "rcpt b@y\n"
		   "rcpt \"x >y\"@z\n"
		   "rcpt bare@z\n"
		   "rcpt open@z\n"
		   "end aborted 0 []\n");
}

static void
test_lowercase_commands_are_recognised(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	S(s, "220 hi\r\n");
	C(s, "ehlo lower\r\n");
	S(s, "250 ok\r\n");
	C(s, "mail from:<a@x>\r\nrcpt to:<b@y>\r\ndata\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "x\r\n.\r\nMaIl FrOm:<c@x>\r\nRcPt To:<d@y>\r\n");
	S(s, "250 queued\r\n250 ok\r\n250 ok\r\n");
	C(s, "bdat 1 last\r\ny");
	S(s, "250 queued\r\n");
	C(s, "rset\r\nquit\r\n");
	S(s, "250 ok\r\n221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo lower\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [x\\r\\n]\n"
		   "begin c@x\nrcpt d@y\nrcpt_reply 0 250\n"
		   "end accepted 250 [y]\n");
}

/* ---- close ---- */

static void
test_close_after_complete_message_is_unconfirmed(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "m\r\n.\r\nQUIT\r\n");
	mt_smtp_close(s);
	mt_smtp_close(s);
	S(s, "250 queued\r\n");
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end unconfirmed 0 [m\\r\\n]\n");
}

static void
test_close_inside_message_is_incomplete(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "half a li");
	mt_smtp_close(s);
	C(s, "ne\r\n.\r\n");
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end incomplete 0 [half a li]\n");
}

static void
test_close_before_354_is_incomplete(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\n"
		   "end incomplete 0 []\n");
}

static void
test_close_inside_bdat_chunks_is_incomplete(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 10\r\nabc");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\n"
		   "end incomplete 0 [abc]\n");
}

static void
test_close_before_data_is_aborted_and_idempotent(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n250 ok\r\n");
	mt_smtp_close(s);
	mt_smtp_close(s);
	C(s, "DATA\r\n");
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\nrcpt b@y\nrcpt_reply 0 250\n"
		   "end aborted 0 []\n");
}

static void
test_close_without_transaction_reports_nothing(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "QUIT\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n");
}

static void
test_null_ops_and_names(void **state)
{
	struct mt_smtp *s = (struct mt_smtp *)slot;
	static const struct mt_smtp_ops none;

	(void)state;
	mt_smtp_init(s, &none, NULL);
	C(s, "MAIL FROM:<a>\r\nRCPT TO:<b>\r\nDATA\r\n");
	S(s, "220 hi\r\n250 ok\r\n250 ok\r\n354 go\r\nbad\r\n");
	C(s, "x\r\n.\r\n");
	mt_smtp_close(s);
	assert_string_equal(mt_smtp_end_str(MT_SMTP_END_UNCONFIRMED), "unconfirmed");
	assert_string_equal(mt_smtp_end_str((enum mt_smtp_end)99), "unknown");
	assert_string_equal(mt_smtp_event_str(MT_SMTP_EV_STARTTLS), "starttls");
	assert_string_equal(mt_smtp_event_str(MT_SMTP_EV__COUNT), "unknown");
}

/* ---- the server's reply decides (corpus: suricata-verify, zeek) ---- */

/* ruletype-firewall-132: a nested MAIL refused 503 keeps alice. */
static void
test_nested_mail_refused_keeps_envelope(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "mail from:<alice@example.com>\r\n");
	S(s, "250 2.1.0 Ok\r\n");
	C(s, "mail from:<bob@example.com>\r\n");
	S(s, "503 5.5.1 Error: nested MAIL command\r\n");
	C(s, "rcpt to:<bob@example.com>\r\n");
	S(s, "250 2.1.5 Ok\r\n");
	C(s, "data\r\n");
	S(s, "354 go\r\n");
	C(s, "hi\r\n.\r\n");
	S(s, "250 2.0.0 Ok: queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin alice@example.com\n"
		   "rcpt bob@example.com\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [hi\\r\\n]\n");
}

/* smtp-rejected-ehlo-preserves-envelope: EHLO refused 501 resets nothing. */
static void
test_refused_ehlo_keeps_envelope(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "mail from:<alice@example.com>\r\n");
	S(s, "250 ok\r\n");
	C(s, "ehlo\r\n");
	S(s, "501 Syntax: EHLO hostname\r\n");
	C(s, "rcpt to:<bob@example.com>\r\ndata\r\n");
	S(s, "250 ok\r\n354 go\r\n");
	C(s, "x\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin alice@example.com\n"
		   "helo \n"
		   "rcpt bob@example.com\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [x\\r\\n]\n");
}

/* zeek smtp-mail-transactions-invalid (Exim): DATA refused 503 and
 * "503 sender already given" keep the sender; the mail after is bob's. */
static void
test_refused_data_and_sender_already_given_keep_envelope(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	S(s, "220 tinkyx390 ESMTP Exim 4.94.2\r\n");
	C(s, "EHLO Bob-PC\r\n");
	S(s, "250-tinkyx390 Hello\r\n250 HELP\r\n");
	C(s, "MAIL FROM:<bob@example.org>\r\n");
	S(s, "250 OK\r\n");
	C(s, "DATA\r\n");
	S(s, "503 valid RCPT command must precede DATA\r\n");
	C(s, "Hello, Alice (3)\r\n");
	S(s, "500 unrecognized command\r\n");
	C(s, ".\r\n");
	S(s, "500 unrecognized command\r\n");
	C(s, "MAIL FROM:<bob@example.org>\r\n");
	S(s, "503 sender already given\r\n");
	C(s, "RCPT TO:<alice@example.org>\r\n");
	S(s, "250 Accepted\r\n");
	C(s, "DATA\r\n");
	S(s, "354 Enter message\r\n");
	C(s, "Hello\r\n.\r\n");
	S(s, "250 OK id=1\r\n");
	C(s, "QUIT\r\n");
	S(s, "221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 tinkyx390 ESMTP Exim 4.94.2\n"
		   "helo Bob-PC\n"
		   "begin bob@example.org\n"
		   "reply 250\n"
		   "event out_of_sequence\n"
		   "reply 503\n"
		   "event unknown_command\n"
		   "event unknown_command\n"
		   "reply 503\n"
		   "rcpt alice@example.org\n"
		   "rcpt_reply 0 250\n"
		   "reply 250\n"
		   "reply 354\n"
		   "reply 250\n"
		   "end accepted 250 [Hello\\r\\n]\n");
}

/* A refused DATA whose envelope is then given up ends rejected. */
static void
test_refused_data_then_rset_is_rejected_with_data_code(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n554 5.7.1 no\r\n");
	C(s, "QUIT\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end rejected 554 []\n");
}

/* bug-1449-01: DATA with no MAIL, answered 354 and 250: a mail, sender
 * unknown (empty) and flagged. */
static void
test_data_without_mail_answered_354_is_a_mail(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	S(s, "220 bug.server\r\n");
	C(s, "EHLO bug.client\r\n");
	S(s, "250 OK\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "Subject: x\r\n\r\nbody\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 bug.server\n"
		   "helo bug.client\n"
		   "event out_of_sequence\n"
		   "begin \n"
		   "reply 354\n"
		   "reply 250\n"
		   "flags no_mail\n"
		   "end accepted 250 [Subject: x\\r\\n\\r\\nbody\\r\\n]\n");
}

/* smtp-pipelined-rset-data-replies: RSET, DATA, "." in one segment. */
static void
test_pipelined_rset_data_dot_without_mail(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	S(s, "220 mail.example ESMTP ready\r\n");
	C(s, "EHLO client.example\r\n");
	S(s, "250-PIPELINING\r\n250 OK\r\n");
	C(s, "RSET\r\nDATA\r\n.\r\n");
	S(s, "250 reset\r\n");
	S(s, "354 continue\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example\n"
		   "event out_of_sequence\n"
		   "begin \n"
		   "end accepted 250 []\n");
}

static void
test_data_without_mail_refused_starts_nothing(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "DATA\r\n");
	S(s, "503 need MAIL\r\n");
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "m\r\n.\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "event out_of_sequence\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [m\\r\\n]\n");
}

/* ---- gaps (issue 3) ---- */

static void
G(struct mt_smtp *s, enum mt_dir d, uint32_t n)
{
	mt_smtp_gap(s, d, n);
}

/* zeek smtp-bdat-gap: 100 of "BDAT 200" seen, a 1000-octet gap, then
 * DATA in the same transaction, answered 354 and 250. */
static void
test_gap_bdat_chunk_then_data_resyncs(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);
	char chunk[101];

	(void)state;
	memset(chunk, 'A', 100);
	chunk[100] = 0;
	S(s, "220 mail.example.com ESMTP\r\n");
	C(s, "EHLO sender.example.com\r\n");
	S(s, "250-mail.example.com Hello\r\n250-CHUNKING\r\n250 OK\r\n");
	C(s, "MAIL FROM:<sender@example.com>\r\n");
	S(s, "250 OK\r\n");
	C(s, "RCPT TO:<recipient@example.com>\r\n");
	S(s, "250 OK\r\n");
	C(s, "BDAT 200\r\n");
	S(s, "250 OK\r\n");
	C(s, chunk);
	S(s, "250 OK\r\n"); /* answers a command lost in the gap */
	G(s, MT_DIR_C2S, 1000);
	C(s, "DATA\r\n");
	S(s, "354 End data\r\n");
	C(s, "Subject: Test\r\n\r\nHello!\r\n.\r\n");
	S(s, "250 OK: message queued\r\n");
	C(s, "QUIT\r\n");
	S(s, "221 Bye\r\n");
	mt_smtp_close(s);
	assert_non_null(strstr(r.log, "flags bdat gap\nend accepted 250 [AAAA"));
	assert_non_null(strstr(r.log, "AAAASubject: Test\\r\\n\\r\\nHello!\\r\\n]\n"));
	assert_int_equal(r.bad, 0);
}

/* The end of data fell in the gap: the verdict ends the message. */
static void
test_gap_swallows_end_of_data_verdict_ends_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "line one\r\nline tw");
	G(s, MT_DIR_C2S, 20); /* "o\r\n...\r\n.\r\n" lost */
	S(s, "250 2.0.0 queued\r\n");
	C(s, "MAIL FROM:<c@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "QUIT\r\n");
	S(s, "221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "begin a@x\n"
		   "reply 250\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "reply 250\n"
		   "reply 354\n"
		   "reply 250\n"
		   "flags gap\n"
		   "end accepted 250 [line one\\r\\nline tw]\n"
		   "begin c@x\n"
		   "reply 250\n"
		   "end aborted 0 []\n");
}

/* A dot right after a gap is not taken for the terminator. */
static void
test_gap_in_message_keeps_dot_as_text(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "abc");
	G(s, MT_DIR_C2S, 7);
	C(s, ".\r\nmore\r\n.\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [abc.\\r\\nmore\\r\\n]\n");
}

/* Command side: the partial line is dropped, its reply still expected. */
static void
test_gap_in_command_line_drops_partial_line(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b");
	G(s, MT_DIR_C2S, 10);
	C(s, "RCPT TO:<c@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "m\r\n.\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt c@y\n"
		   "rcpt_reply 0 250\n"
		   "end accepted 250 [m\\r\\n]\n");
}

/* Server side: replies lost in a gap; the 354 finds its DATA. */
static void
test_gap_in_replies_354_resyncs_queue(void **state)
{
	struct rec r;
	struct mt_smtp *s = start(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 o");
	G(s, MT_DIR_S2C, 12);
	S(s, "354 go\r\n");
	C(s, "m\r\n.\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "end accepted 250 [m\\r\\n]\n");
}

/* Client side: the whole "DATA" line fell in a gap (e2e seed 32,
 * 198.51.100.236:41486).  Its 354 finds no DATA queued: only DATA is
 * answered 354, so the client is in its message; the next mail of the
 * session is not parsed out of that message's lines. */
/* Commands lost while no transaction is open may be the next one's MAIL
 * or RCPTs: that transaction is flagged gap, never claimed whole. */
static void
test_command_gap_between_transactions_taints_the_next_envelope(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	G(s, MT_DIR_C2S, 40); /* e.g. a pipelined RCPT the tap lost */
	C(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "one\r\n.\r\n");
	S(s, "250 queued\r\n");
	/* the taint is spent: the next transaction is whole */
	then_mail_c(s);
	mt_smtp_close(s);
	assert_non_null(strstr(r.log, "flags gap\nend accepted 250 [one\\r\\n]"));
	assert_null(strstr(r.log, "flags gap\nend accepted 250 [two\\r\\n]"));
	assert_non_null(strstr(r.log, "end accepted 250 [two\\r\\n]"));
}

static void
test_gap_swallows_data_line_354_enters_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	G(s, MT_DIR_C2S, 6); /* DATA\r\n */
	S(s, "354 go\r\n");
	C(s, "Subject: one\r\n\r\nRCPT TO:<text@body>\r\n.\r\n");
	S(s, "250 queued\r\n");
	then_mail_c(s);
	C(s, "QUIT\r\n");
	S(s, "221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "begin a@x\nreply 250\nrcpt b@y\nrcpt_reply 0 250\nreply 250\n"
		   "reply 354\nreply 250\nflags gap\n"
		   "end accepted 250 [Subject: one\\r\\n\\r\\nRCPT TO:<text@body>\\r\\n]\n"
		   "begin c@x\nreply 250\nrcpt d@y\nrcpt_reply 0 250\nreply 250\n"
		   "reply 354\nreply 250\n"
		   "end accepted 250 [two\\r\\n]\n");
}

/* The gap cut "DATA" after "DA": the partial line was queued as unknown;
 * its 354 says it was DATA. */
static void
test_gap_cuts_data_line_354_enters_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	C(s, "DA");
	G(s, MT_DIR_C2S, 4);
	S(s, "354 go\r\n");
	C(s, "HELP me\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	assert_non_null(strstr(r.log, "reply 354\nreply 250\nflags gap\n"
				      "end accepted 250 [HELP me\\r\\n]\n"));
	assert_null(strstr(r.log, "event"));
	assert_int_equal(r.bad, 0);
}

/* MAIL, RCPT and DATA all fell in the gap: the message after the 354 is
 * a transaction with no sender seen, never complete (no_mail, gap), and
 * its lines are not commands. */
static void
test_gap_swallows_whole_envelope_354_starts_no_mail(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	G(s, MT_DIR_C2S, 40);
	S(s, "250 ok\r\n"); /* MAIL's: its command is lost, nothing waits */
	S(s, "250 ok\r\n354 go\r\n");
	C(s, "MAIL FROM:<text@body>\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	assert_non_null(strstr(r.log, "begin \nreply 354\nreply 250\nflags no_mail gap\n"
				      "end accepted 250 [MAIL FROM:<text@body>\\r\\n]\n"));
	assert_null(strstr(r.log, "begin text@body"));
	assert_int_equal(r.bad, 0);
}

/* The end of a message fell in a client gap and its verdict in a server
 * gap: the message ends at the server's gap (unconfirmed, gap), and the
 * client's next MAIL is a command, not message text (e2e --drop 1
 * --reorder 10, seed 13, 198.51.100.118:50176). */
static void
test_gap_swallows_end_of_data_and_verdict_next_mail_is_command(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "Subject: one\r\n\r\nbo");
	G(s, MT_DIR_C2S, 9);  /* "dy\r\n.\r\n" ... */
	G(s, MT_DIR_S2C, 12); /* "250 queued\r\n" */
	then_mail_c(s);
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "begin a@x\nreply 250\nrcpt b@y\nrcpt_reply 0 250\nreply 250\n"
		   "reply 354\nflags gap\n"
		   "end unconfirmed 0 [Subject: one\\r\\n\\r\\nbo]\n"
		   "begin c@x\nreply 250\nrcpt d@y\nrcpt_reply 0 250\nreply 250\n"
		   "reply 354\nreply 250\n"
		   "end accepted 250 [two\\r\\n]\n");
}

#define EXPECT_IN(r, want)                                                   \
	do {                                                                 \
		if (strstr((r)->log, (want)) == NULL) {                      \
			print_message("recorded:\n%s\nwanted inside:\n%s\n", \
				      (r)->log, (want));                     \
			fail();                                              \
		}                                                            \
	} while (0)

/* The gap took 4 octets inside a MAIL line ("MAIL FROM:<a@exa" ... "le.com>"):
 * what follows up to LF is the rest of that line, not a line of its own,
 * so replies stay paired with their commands and the next transaction
 * is whole (e2e --drop 2 --midstream 20, seed 2, 203.0.113.222:57496). */
static void
test_gap_inside_command_line_tail_is_not_a_command(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@exa");
	G(s, MT_DIR_C2S, 4);
	C(s, "le.com>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "one\r\n.\r\n");
	S(s, "250 queued\r\n");
	C(s, "MAIL FROM:<c@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<d@y>\r\n");
	S(s, "251 ok\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nreply 250\nrcpt d@y\nrcpt_reply 0 251\nreply 251\n"
				      "reply 354\nreply 250\nend accepted 250 [two\\r\\n]\n");
	/* the first one lost its MAIL line: never complete */
	EXPECT_IN(&r, "begin \nreply 354\nreply 250\nflags no_mail gap\nend accepted 250 [one\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* A gap in the replies to a pipelined burst took the replies to the
 * first two RCPTs: the replies after it belong to the commands right
 * before the DATA their 354 answers, not to the oldest waiting; the next
 * transaction is paired right (e2e seed 2, 198.51.100.119:46013). */
static void
test_gap_in_pipelined_replies_places_later_ones_before_data(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b1@y>\r\nRCPT TO:<b2@y>\r\nRCPT TO:<b3@y>\r\nDATA\r\n");
	S(s, "250 sender ok\r\n2");
	G(s, MT_DIR_S2C, 25); /* "50 b1 ok\r\n250 b2 ok\r\n55" */
	S(s, "0 tail\r\n553 b3 refused\r\n354 go\r\n");
	C(s, "one\r\n.\r\n");
	S(s, "250 queued\r\n");
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	/* b3 got its own refusal; b1 and b2 no reply (lost): flagged gap */
	EXPECT_IN(&r, "rcpt b3@y\nreply 250\nevent bad_reply\nrcpt_reply 2 553\nreply 553\n"
		      "reply 354\nreply 250\nflags pipelined gap\nend accepted 250 [one\\r\\n]\n"
		      "begin c@x\nrcpt d@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags pipelined\nend accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The gap took only the LF of the 354 line while the client's message
 * had a gap too: the message started (its 354 was read) and goes on to
 * its terminator; its verdict is the next reply (e2e seed 3,
 * 198.51.100.43:52828). */
static void
test_gap_taking_end_of_354_line_does_not_end_the_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go ahead\r");
	G(s, MT_DIR_C2S, 512);
	G(s, MT_DIR_S2C, 1);
	C(s, "rest\r\n.\r\n");
	S(s, "250 queued\r\n");
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "flags pipelined gap\nend accepted 250 [rest\\r\\n]\n");
	EXPECT_IN(&r, "end accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The gap cut the end of the EHLO reply's last line ("250 HE" .. "LP");
 * the client, which waited for it, then pipelines MAIL, RCPT, DATA: they
 * were sent after the gap, so the next reply is MAIL's (e2e seed 2,
 * 203.0.113.145:39848). */
static void
test_gap_in_ehlo_reply_then_pipelined_burst_pairs_right(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	S(s, "220 mx.example.com ESMTP\r\n");
	C(s, "EHLO client.example.org\r\n");
	S(s, "250-mx.example.com\r\n250-PIPELINING\r\n250 HE");
	G(s, MT_DIR_S2C, 2);
	S(s, "\r\n");
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "one\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin a@x\nrcpt b@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
				      "reply 354\nreply 250\nflags pipelined\n"
				      "end accepted 250 [one\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The gap took the whole last line of the EHLO reply ("250 HELP"): the
 * client waited for it (EHLO ends a group, RFC 2920), so the burst it
 * sent after the gap is answered from its first command on (e2e seed 2,
 * 198.51.100.119:46013). */
static void
test_gap_takes_last_ehlo_line_burst_after_it_pairs_right(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	S(s, "220 mx.example.com ESMTP\r\n");
	C(s, "EHLO client.example.org\r\n");
	S(s, "250-mx.example.com\r\n250-PIPELINING\r\n");
	G(s, MT_DIR_S2C, 10); /* "250 HELP\r\n" */
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "one\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin a@x\nrcpt b@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags pipelined\nend accepted 250 [one\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* Two gaps cut one MAIL line ("...@exa" | "=48110" | LF): it is one
 * command, queued once (e2e seed 4, 198.51.100.39:59967). */
static void
test_two_gaps_in_one_command_line_queue_it_once(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@exa");
	G(s, MT_DIR_C2S, 14);
	C(s, "=48110");
	G(s, MT_DIR_C2S, 2);
	S(s, "250 ok\r\n");
	C(s, "RSET\r\n");
	S(s, "250 ok\r\n");
	then_mail_c(s);
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nreply 250\nrcpt d@y\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags gap\nend accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The verdict fell in a gap and the client had pipelined its next MAIL,
 * RCPT and DATA after the ".": the replies after the gap go to them (the
 * 354 places them), not to the old end of data (e2e seed 2,
 * 198.51.100.119:46013). */
static void
test_lost_verdict_then_pipelined_burst_resyncs_on_its_354(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "one\r\n.\r\n");
	G(s, MT_DIR_S2C, 25); /* "250 OK id=..." */
	S(s, "J\r\n");
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "flags pipelined gap\nend unconfirmed 0 [one\\r\\n]\n");
	EXPECT_IN(&r, "begin c@x\nrcpt d@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags pipelined\nend accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The 354 fell in one gap and the verdict in another, with no reply in
 * between; the next pipelined burst still pairs right (e2e seed 1,
 * 203.0.113.38:56311). */
static void
test_lost_354_and_lost_verdict_then_burst_pairs_right(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 o");
	G(s, MT_DIR_S2C, 33); /* "k\r\n354 End data with <CR" */
	S(s, "LF>\r\n");
	C(s, "one\r\n.\r\n");
	G(s, MT_DIR_S2C, 28); /* "250 2.0.0 Ok: queued as B1" */
	S(s, "467\r\n");
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nRCPT TO:<e@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nrcpt d@y\nrcpt e@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "rcpt_reply 1 250\nreply 250\nreply 354\nreply 250\nflags pipelined\n"
		      "end accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The "D" of DATA fell in a client gap and the RCPT's reply in a server
 * gap: the 354 goes to the DATA ("ATA" was the rest of it), not to the
 * RCPT, and the next transaction is whole (e2e seed 14,
 * 198.51.100.136:32871). */
static void
test_lost_rcpt_reply_and_cut_data_line_354_starts_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<b@y>\r\n");
	G(s, MT_DIR_C2S, 1); /* "D" */
	G(s, MT_DIR_S2C, 25); /* "250 2.1.5 <b@y>... Recipi" */
	S(s, "ent ok\r\n");
	C(s, "ATA\r\n");
	S(s, "354 go\r\n");
	C(s, "one\r\n.\r\n");
	S(s, "250 queued\r\n");
	then_mail_c(s);
	mt_smtp_close(s);
	EXPECT_IN(&r, "reply 354\nreply 250\nflags gap\nend accepted 250 [one\\r\\n]\n");
	EXPECT_IN(&r, WANT_MAIL_C);
	assert_int_equal(r.bad, 0);
}

/* The replies to MAIL, RCPT and the 354 fell in one gap, the LF of the
 * terminator in another: the client was in its message, so the next
 * reply is its verdict and the next burst is commands, not text (e2e
 * seed 9, 203.0.113.220:52545). */
static void
test_lost_burst_replies_and_terminator_verdict_ends_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	G(s, MT_DIR_S2C, 55);
	S(s, "\" on a line by itself\r\n");
	C(s, "one\r\n.\r");
	G(s, MT_DIR_C2S, 1);
	S(s, "250 queued\r\n");
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nrcpt d@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags pipelined\nend accepted 250 [two\\r\\n]\n");
	/* the first is kept, flagged gap: never complete */
	EXPECT_IN(&r, "flags pipelined gap\nend accepted 250 [one\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The gap took "BDAT 11160 LAST" and the start of its chunk: the lines
 * after it are chunk octets, not commands (a client that waits for each
 * reply never sends two lines unanswered); the next reply is the chunk's
 * verdict and the next transaction is whole (e2e --bdat, seed 6,
 * 203.0.113.125:58035). */
static void
test_lost_bdat_line_chunk_is_not_parsed_as_commands(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	G(s, MT_DIR_C2S, 1012);
	C(s, "r your queue\r\nweekend data sheet\r\nmail me\r\nlast line\r\n");
	S(s, "250 2.0.0 Ok: queued\r\n");
	C(s, "MAIL FROM:<c@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<d@y>\r\n");
	S(s, "250 ok\r\n");
	C(s, "BDAT 5 LAST\r\ntwo\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "reply 250\nflags gap\nend accepted 250 [weekend data sheet\\r\\nmail me\\r\\n"
		      "last line\\r\\n]\n");
	EXPECT_IN(&r, "begin c@x\nreply 250\nrcpt d@y\nrcpt_reply 0 250\nreply 250\nreply 250\n"
		      "flags bdat\nend accepted 250 [two\\r\\n]\n");
	assert_null(strstr(r.log, "event unknown"));
	assert_int_equal(r.bad, 0);
}

/* DATA's refusal (503 after every RCPT was refused) fell in a gap: the
 * client's RSET and its next transaction are commands, not message text
 * (e2e --bdat 40 --drop 2, seed 1, 203.0.113.201:48901). */
static void
test_lost_data_refusal_next_commands_are_commands(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 OK\r\n550 Unrouteable address\r\n503-All RCPT commands were rejected:\r\n");
	G(s, MT_DIR_S2C, 40);
	C(s, "RSET\r\n");
	S(s, "250 Reset OK\r\n");
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 OK\r\n250 Accepted\r\n354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nrcpt d@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags pipelined\nend accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* DATA's 354 fell in a gap: the message follows as usual (dot-unstuffed)
 * and is kept, flagged gap; its verdict ends it. */
static void
test_lost_354_message_follows_flagged_gap(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 OK\r\n250 Accepted\r\n");
	G(s, MT_DIR_S2C, 40);
	C(s, "Subject: x\r\n\r\n..dot\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "flags pipelined gap\nend accepted 250 [Subject: x\\r\\n\\r\\n.dot\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The gap took exactly "T" CR LF of "RSET": the line was RSET (the tap
 * counts lost octets, and nothing else fits), so the next MAIL starts a
 * transaction of its own instead of nesting in the refused one (e2e
 * --bdat 40 --drop 2, seed 4, 203.0.113.64:60654). */
static void
test_gap_taking_exactly_the_rest_of_rset_is_rset(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 OK\r\n550 no such user\r\n554 no valid recipients\r\n");
	C(s, "RSE");
	G(s, MT_DIR_C2S, 3);
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nRCPT TO:<e@y>\r\nDATA\r\n");
	S(s, "250 Reset OK\r\n250 OK\r\n250 OK\r\n250 OK\r\n354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nrcpt d@y\nrcpt e@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "rcpt_reply 1 250\nreply 250\nreply 354\nreply 250\nflags pipelined\n"
		      "end accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The tap declared the verdict lost before the end of the message it
 * answers had been fed (a hole it cannot order); the client had pipelined
 * its next MAIL, RCPT, DATA after the dot: they still pair (e2e --drop 5
 * --midstream 30, seed 5, 198.51.100.231:54341). */
static void
test_verdict_lost_before_its_end_of_data_burst_pairs_right(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "one\r\n");
	G(s, MT_DIR_S2C, 12); /* "250 2.0.0 Ok" */
	C(s, ".\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, ": queued as A67693451C\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "two\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nrcpt d@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags pipelined\nend accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* A client-side gap took a pipelined MAIL and most of its RCPTs, a
 * server-side gap the previous verdict: more replies come than commands
 * were seen before DATA; the last ones go to the commands seen, and the
 * next transaction pairs right (e2e --drop 5, seed 9, 198.51.100.30:51317). */
static void
test_more_replies_than_commands_seen_last_ones_pair(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "one\r\n.\r\n");
	G(s, MT_DIR_C2S, 60); /* MAIL FROM:<e@x>, RCPT TO:<f1@y>, RCPT TO:<f2 */
	C(s, "@y>\r\nDATA\r\n");
	G(s, MT_DIR_S2C, 35); /* the verdict of "one" */
	S(s, "cepted for delivery\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "three\r\n.\r\n");
	S(s, "250 queued\r\n");
	C(s, "MAIL FROM:<g@x>\r\nRCPT TO:<h@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "four\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin g@x\nrcpt h@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags pipelined\nend accepted 250 [four\\r\\n]\n");
	/* the one whose MAIL was lost is kept, never complete */
	EXPECT_IN(&r, "flags pipelined no_mail gap\nend accepted 250 [three\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* A gap took the end of a RCPT refusal; DATA's refusal came and was held
 * for a 354 that never comes; the client's RSET says DATA was answered:
 * the held refusal goes to it and later replies pair (e2e --bdat 40,
 * seed 15, 198.51.100.94:44725). */
static void
test_held_data_refusal_is_placed_when_the_client_moves_on(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n550 5.1.1 ");
	G(s, MT_DIR_S2C, 38);
	S(s, "nknown\r\n503 5.0.0 Need RCPT (recipient)\r\n");
	C(s, "RSET\r\n");
	S(s, "250 2.0.0 Reset state\r\n");
	C(s, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n550 unknown\r\n503 Need RCPT\r\n");
	C(s, "RSET\r\n");
	S(s, "250 2.0.0 Reset state\r\n");
	C(s, "MAIL FROM:<e@x>\r\nRCPT TO:<f@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "three\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nrcpt d@y\nreply 250\nrcpt_reply 0 550\nreply 550\nreply 503\n");
	EXPECT_IN(&r, "begin e@x\nrcpt f@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags pipelined\nend accepted 250 [three\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* While replies were held (a lost verdict), the next pipelined DATA was
 * refused (503): the client's RSET is a command, not message text, and
 * the transaction after it pairs (e2e mss-sized segments, --drop 3,
 * seed 4, 198.51.100.202:33996). */
static void
test_data_refused_while_replies_are_held_rset_is_a_command(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "one\r\n");
	G(s, MT_DIR_S2C, 28); /* the verdict, declared before the dot */
	C(s, ".\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n");
	S(s, "250 OK\r\n550 Unrouteable address\r\n503 Valid RCPT command must precede DATA\r\n");
	C(s, "RSET\r\n");
	S(s, "250 Reset OK\r\n");
	C(s, "MAIL FROM:<e@x>\r\nRCPT TO:<f@y>\r\nDATA\r\n");
	S(s, "250 OK\r\n250 Accepted\r\n354 go\r\n");
	C(s, "three\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nrcpt d@y\nreply 250\nrcpt_reply 0 550\nreply 550\nreply 503\n");
	EXPECT_IN(&r, "begin e@x\nrcpt f@y\nreply 250\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags pipelined\nend accepted 250 [three\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The DATA line and the last RCPT's reply fell in gaps: the 354 answers
 * the lost DATA (only DATA is answered 354), the message follows, and
 * the next transaction pairs (e2e --drop 3, seed 6, 203.0.113.84:43554). */
static void
test_lost_data_line_and_rcpt_reply_354_starts_the_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<b1@y>\r\n");
	G(s, MT_DIR_S2C, 46);
	C(s, "RCPT TO:<b2@y>\r\n");
	G(s, MT_DIR_C2S, 6); /* DATA */
	G(s, MT_DIR_S2C, 50);
	S(s, "354 go\r\n");
	C(s, "one\r\n.\r\n");
	S(s, "250 queued\r\n");
	then_mail_c(s);
	mt_smtp_close(s);
	EXPECT_IN(&r, "gap\nend accepted 250 [one\\r\\n]\n");
	EXPECT_IN(&r, WANT_MAIL_C);
	assert_int_equal(r.bad, 0);
}

/* Whatever went wrong before it, a DATA message whose DATA never had its
 * 354, or a 354 that comes before every RCPT was answered, means the
 * replies were not paired with the commands: never complete. */
static void
test_unpaired_replies_never_make_a_complete_mail(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n"); /* c@y never answered */
	C(s, "one\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "flags pipelined gap\nend");
	assert_int_equal(r.bad, 0);
}

/* A gap took a RCPT line and then "BDAT n LAST" with the start of its
 * chunk; the reply to the RCPT comes between: the chunk's lines, two
 * without a verb in a row and no reply between, are message octets, not
 * 32 unknown commands (e2e MSS segments --bdat 20 --drop 3, seed 24,
 * 198.51.100.188:53018). */
static void
test_two_verbless_lines_in_a_row_after_a_gap_are_a_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n");
	G(s, MT_DIR_C2S, 32); /* RCPT TO:<b@y> and more */
	S(s, "250 ok\r\n");
	G(s, MT_DIR_C2S, 1496);
	S(s, "250 ok\r\n");
	C(s, "chunk line one\r\nchunk line two\r\nchunk line three\r\n");
	S(s, "250 2.0.0 queued\r\n");
	C(s, "MAIL FROM:<c@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<d@y>\r\n");
	S(s, "250 ok\r\n");
	C(s, "BDAT 5 LAST\r\ntwo\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nreply 250\nrcpt d@y\nrcpt_reply 0 250\nreply 250\nreply 250\n"
		      "flags bdat\nend accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* The last BDAT chunk (command and octets) fell in a gap, and the
 * connection ended without its verdict: the message is cut short, never
 * complete (make bench loss sweep, 400 kpps: a BDAT mail shorter than
 * the truth called complete). */
static void
test_lost_last_bdat_chunk_is_never_complete(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	C(s, "BDAT 4\r\none\n");
	S(s, "250 4 octets\r\n");
	G(s, MT_DIR_C2S, 20); /* "BDAT 5 LAST\r\ntwo\r\n" */
	mt_smtp_close(s);
	EXPECT_IN(&r, "gap\nend ");
	assert_null(strstr(r.log, "end accepted"));
	assert_int_equal(r.bad, 0);
}

/* The capture ends inside the octets of "BDAT n LAST" (the rest, the
 * verdict, QUIT and FIN never seen, so no gap is known): the message is
 * cut short, incomplete - not a whole mail awaiting its verdict (make
 * bench loss sweep, 400 kpps, 198.51.100.105:34501). */
static void
test_capture_ending_inside_last_bdat_chunk_is_incomplete(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	C(s, "BDAT 10 LAST\r\nhalf\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "end incomplete 0 [half\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* Replies that cannot answer the command they are paired with (221 to
 * the last BDAT, a 2xx to DATA) show the pairing is off: never complete
 * (make bench loss sweep at 1 Mpps: a QUIT's 221 taken as the verdict of
 * a BDAT mail whose RCPT replies had shifted). */
static void
test_reply_that_cannot_fit_its_command_flags_the_mail(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 5 LAST\r\nhello");
	S(s, "250 ok\r\n250 ok\r\n221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "flags pipelined bdat gap\nend accepted 221 [hello]\n");
	assert_int_equal(r.bad, 0);
}

/* Octets of a BDAT chunk still expected when the server answers it were
 * lost by the tap: never complete. */
static void
test_bdat_answered_before_its_octets_flags_the_mail(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	C(s, "BDAT 100 LAST\r\nonly part");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "flags bdat gap\nend accepted 250 [only part]\n");
	assert_int_equal(r.bad, 0);
}

/* ---- mid-stream pickup (issue 3) ---- */

/* Picked up after the greeting; a gap then took the end of the EHLO
 * reply: the MAIL the client sent after it is answered by the next reply,
 * not held behind EHLO (e2e seed 1, 203.0.113.166:39490). */
static void
test_midstream_gap_in_ehlo_reply_then_mail_pairs_right(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_mid(&r);

	(void)state;
	S(s, "0:03 +0000\r\n");
	C(s, "EHLO client.example.org\r\n");
	S(s, "250-mx.example.com\r\n250-SIZE 52428800\r\n");
	G(s, MT_DIR_S2C, 15);
	S(s, "LP\r\n");
	C(s, "MAIL FROM:<a@x> SIZE=1\r\n");
	S(s, "250 OK\r\n");
	C(s, "RCPT TO:<b@y>\r\n");
	S(s, "250 Accepted\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "m\r\n.\r\n");
	S(s, "250 queued\r\n");
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin a@x\nmail_params SIZE=1\nreply 250\nrcpt b@y\nrcpt_reply 0 250\n"
		      "reply 250\nreply 354\nreply 250\nflags midstream\n"
		      "end accepted 250 [m\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* Picked up mid-stream inside a message whose "." fell in a gap: the
 * verdict ends it, and the next transaction is taken (e2e seed 4,
 * 198.51.100.151:38094). */
static void
test_midstream_verdict_after_lost_dot_ends_the_message(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_mid(&r);

	(void)state;
	C(s, "RCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "text\r\nmore");
	G(s, MT_DIR_C2S, 3);
	S(s, "250 accepted\r\n");
	then_mail_c(s);
	mt_smtp_close(s);
	EXPECT_IN(&r, "begin c@x\nreply 250\nrcpt d@y\nrcpt_reply 0 250\nreply 250\n"
		      "reply 354\nreply 250\nflags midstream\nend accepted 250 [two\\r\\n]\n");
	assert_int_equal(r.bad, 0);
}

/* Picked up inside a message: nothing until MAIL FROM answered 250. */
static void
test_midstream_inside_message_reports_nothing_until_mail(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_mid(&r);

	(void)state;
	C(s, "part of a body\r\nMAIL FROM:<fake@body>\r\nRCPT TO:<x@y>\r\n");
	C(s, "more body\r\n.\r\n");
	S(s, "250 2.0.0 Ok: queued\r\n");
	C(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "m\r\n.\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	/* the body's MAIL FROM was a candidate, dropped when the body line
	 * after it showed it was text: never reported */
	assert_null(strstr(r.log, "fake"));
	assert_non_null(strstr(r.log, "begin a@x\nreply 250\nrcpt b@y\n"
				      "rcpt_reply 0 250\nreply 250\nreply 354\nreply 250\n"
				      "flags midstream\nend accepted 250 [m\\r\\n]\n"));
	assert_null(strstr(r.log, "end accepted 250 [more"));
	assert_null(strstr(r.log, "unconfirmed"));
	assert_int_equal(r.bad, 0);
}

/* Picked up inside a message (its 354 before the capture) whose text
 * has lines starting with command verbs ("data ", "help"): at its "."
 * they are known to be text, not commands awaiting replies, so the MAIL
 * after the verdict is matched with its own reply (e2e seed 33,
 * 198.51.100.3:47501). */
static void
test_midstream_verb_lines_in_message_do_not_shift_replies(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_mid(&r);

	(void)state;
	C(s, "tail of a body\r\ndata went missing\r\nhelp is near\r\nquit it\r\n");
	C(s, "more body\r\n.\r\n");
	S(s, "250 2.0.0 Ok: queued\r\n");
	C(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<b@y>\r\n");
	S(s, "250 ok\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "m\r\n.\r\n");
	S(s, "250 ok\r\n");
	C(s, "QUIT\r\n");
	S(s, "221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "begin a@x\nreply 250\nrcpt b@y\nrcpt_reply 0 250\nreply 250\n"
		   "reply 354\nreply 250\nflags midstream\nend accepted 250 [m\\r\\n]\n");
}

/* Picked up mid-message with a 354 seen: a MAIL FROM in the body is text. */
static void
test_midstream_after_354_body_is_text(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_mid(&r);

	(void)state;
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "MAIL FROM:<fake@body>\r\n.\r\n");
	S(s, "250 queued\r\n");
	C(s, "QUIT\r\n");
	S(s, "221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "");
}

/* A pipelined "." before the MAIL: its verdict does not confirm the MAIL. */
static void
test_midstream_pipelined_dot_then_mail_refused(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_mid(&r);

	(void)state;
	C(s, "tail of message\r\n.\r\nMAIL FROM:<a@x>\r\n");
	S(s, "250 queued\r\n550 no\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "");
}

static void
test_midstream_greeting_starts_dialogue(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_mid(&r);

	(void)state;
	S(s, "220 mx ESMTP\r\n");
	C(s, "EHLO c\r\n");
	S(s, "250 mx\r\n");
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "m\r\n.\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx ESMTP\n"
		   "helo c\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "reply 250\n"
		   "rcpt_reply 0 250\n"
		   "reply 250\n"
		   "reply 354\n"
		   "reply 250\n"
		   "flags pipelined midstream\n"
		   "end accepted 250 [m\\r\\n]\n");
}

static void
test_midstream_starttls_stops(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_mid(&r);

	(void)state;
	C(s, "STARTTLS\r\n");
	S(s, "220 2.0.0 Ready to start TLS\r\n");
	C(s, "MAIL FROM:<tls@garbage>\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "event starttls\n");
	assert_int_equal(mt_smtp_is_tls(s), 1);
}

/* A held candidate with too many recipients to hold is dropped, never
 * reported in part. */
static void
test_midstream_candidate_too_big_is_dropped(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_mid(&r);
	char line[80];
	int i;

	(void)state;
	C(s, "MAIL FROM:<a@x>\r\n");
	for (i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<recipient-%02d@example.org>\r\n", i);
		C(s, line);
	}
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	assert_null(strstr(r.log, "begin"));
	assert_int_equal(r.bad, 0);
}

/* ---- metadata (issue 4) ---- */

static void
test_banner_first_line_only(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	S(s, "220-mx.example.com ESMTP Postfix (Debian)\r\n220 second line\r\n");
	C(s, "QUIT\r\n");
	S(s, "221 bye\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP Postfix (Debian)\n");
}

static void
test_banner_split_and_bounded(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);
	char big[600];
	size_t i;

	(void)state;
	S(s, "5");
	S(s, "54 ");
	for (i = 0; i < 500; i++)
		S(s, "x");
	S(s, "\r\n");
	memset(big, 'x', MT_SMTP_BANNER_MAX);
	snprintf(big + MT_SMTP_BANNER_MAX, sizeof(big) - MT_SMTP_BANNER_MAX, "\n");
	assert_int_equal(strncmp(r.log, "banner 554 ", 11), 0);
	assert_string_equal(r.log + 11, big);
}

static void
test_params_and_replies(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x> SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<b@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@y\r\n");
	S(s, "250 ok\r\n");
	C(s, "RCPT TO:<c@z>\r\n");
	S(s, "550 no\r\n");
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "m\r\n.\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "begin a@x\n"
		   "mail_params SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159\n"
		   "reply 250\n"
		   "rcpt b@y\n"
		   "rcpt_params 0 NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@y\n"
		   "rcpt_reply 0 250\n"
		   "reply 250\n"
		   "rcpt c@z\n"
		   "rcpt_reply 1 550\n"
		   "reply 550\n"
		   "reply 354\n"
		   "reply 250\n"
		   "end accepted 250 [m\\r\\n]\n");
}

/* Params of a pipelined next transaction wait with its mail_begin. */
static void
test_params_of_stashed_transaction_follow_begin(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	S(s, "250 ok\r\n250 ok\r\n354 go\r\n");
	C(s, "m\r\n.\r\nMAIL FROM:<c@x> BODY=BINARYMIME\r\nRCPT TO:<d@y> NOTIFY=NEVER\r\n");
	S(s, "250 queued\r\n250 ok\r\n250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "begin a@x\n"
		   "rcpt b@y\n"
		   "reply 250\n"
		   "rcpt_reply 0 250\n"
		   "reply 250\n"
		   "reply 354\n"
		   "reply 250\n"
		   "flags pipelined\n"
		   "end accepted 250 [m\\r\\n]\n"
		   "begin c@x\n"
		   "mail_params BODY=BINARYMIME\n"
		   "rcpt d@y\n"
		   "rcpt_params 0 NOTIFY=NEVER\n"
		   "reply 250\n"
		   "rcpt_reply 0 250\n"
		   "reply 250\n"
		   "flags pipelined\n"
		   "end aborted 0 []\n");
}

static void
test_flags_bdat_and_not_pipelined(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	C(s, "BDAT 3 LAST\r\nabc");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	assert_non_null(strstr(r.log, "flags bdat\nend accepted 250 [abc]\n"));
}

/* Bare LF in DATA is message content, flagged; "\n.\n" ends nothing. */
static void
test_bare_lf_in_data_is_content_and_flagged(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello_envelope(s);
	C(s, "DATA\r\n");
	S(s, "354 go\r\n");
	C(s, "one\ntwo\n.\nMAIL FROM:<smuggled@x>\r\n.\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	assert_non_null(strstr(r.log, "flags bare_lf\nend accepted 250 "
				      "[one\\ntwo\\n.\\nMAIL FROM:<smuggled@x>\\r\\n]\n"));
	assert_null(strstr(r.log, "begin smuggled"));
}

static void
test_xclient_and_xforward_attributes(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C(s, "XCLIENT NAME=spike.porcupine.org ADDR=168.100.189.2\r\n");
	S(s, "220 mx ESMTP\r\n");
	C(s, "xforward HELO=client.example PROTO=ESMTP\r\n");
	S(s, "250 ok\r\n");
	C(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "xattr XCLIENT NAME=spike.porcupine.org ADDR=168.100.189.2\n"
		   "xattr xforward HELO=client.example PROTO=ESMTP\n"
		   "begin a@x\n"
		   "reply 250\n"
		   "end aborted 0 []\n");
}

#define PASSWORD "Zq9#Xw7!Kp-unique"
#define PASSWORD_B64 "WnE5I1h3NyFLcC11bmlxdWU="

/* Does the automaton's memory hold 6 consecutive octets of the password
 * or of its base64 form? */
static int
slot_holds_secret(void)
{
	static const char *const secrets[] = {
		PASSWORD, PASSWORD_B64,
		/* the PLAIN responses' base64 tails (they carry the password) */
		"WnE5I1h3NyFLcC11bmlxdWU", "WnE5I1h3NyFLcC11bmlxdWU=",
		"AFpxOSNYdzchS3AtdW5pcXVl",
	};
	const uint8_t *m = (const uint8_t *)slot;
	size_t i, j, k, n = mt_smtp_size();

	for (k = 0; k < MT_ARRAY_SIZE(secrets); k++) {
		size_t sl = strlen(secrets[k]);

		for (j = 0; j + 6 <= sl; j++)
			for (i = 0; i + 6 <= n; i++)
				if (memcmp(m + i, secrets[k] + j, 6) == 0)
					return 1;
	}
	return 0;
}

/* Feed one octet at a time and check the memory after each octet. */
static void
C_secret(struct mt_smtp *s, const char *t)
{
	size_t i;

	for (i = 0; t[i] != 0; i++) {
		mt_smtp_feed(s, MT_DIR_C2S, (const uint8_t *)t + i, 1);
		assert_false(slot_holds_secret());
	}
}

static void
assert_no_secret_recorded(const struct rec *r)
{
	static const char *const secrets[] = { PASSWORD, PASSWORD_B64, "Zq9#", "Kp-unique",
					       "WnE5I1h3", "LcC11bmlxdWU", "AFpxOSNY" };
	size_t k;

	for (k = 0; k < MT_ARRAY_SIZE(secrets); k++) {
		assert_null(memmem(r->log, r->len, secrets[k], strlen(secrets[k])));
		assert_null(memmem(r->body, r->body_len, secrets[k], strlen(secrets[k])));
	}
}

static void
test_auth_plain_initial_response_identity_only(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C_secret(s, "AUTH PLAIN YWRtaW4AYWxpY2VAZXhhbXBsZS5vcmcAWnE5I1h3NyFLcC11bmlxdWU=\r\n");
	S(s, "235 2.7.0 Authentication successful\r\n");
	C_secret(s, "MAIL FROM:<a@x>\r\n");
	S(s, "250 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "auth PLAIN [admin] [alice@example.org] 235\n"
		   "begin a@x\n"
		   "reply 250\n"
		   "end aborted 0 []\n");
	assert_no_secret_recorded(&r);
}

static void
test_auth_plain_after_334_identity_only(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C_secret(s, "auth plain\r\n");
	S(s, "334 \r\n");
	C_secret(s, "AGFsaWNlQGV4YW1wbGUub3JnAFpxOSNYdzchS3AtdW5pcXVl\r\n");
	S(s, "535 5.7.8 Error: authentication failed\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "auth plain [] [alice@example.org] 535\n");
	assert_no_secret_recorded(&r);
}

static void
test_auth_login_username_only(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C_secret(s, "AUTH LOGIN\r\n");
	S(s, "334 VXNlcm5hbWU6\r\n");
	C_secret(s, "YWxpY2VAZXhhbXBsZS5vcmc=\r\n");
	S(s, "334 UGFzc3dvcmQ6\r\n");
	C_secret(s, PASSWORD_B64 "\r\n");
	S(s, "235 2.7.0 ok\r\n");
	/* with the username as initial response, no replies seen at all */
	C_secret(s, "AUTH LOGIN YWxpY2VAZXhhbXBsZS5vcmc=\r\n" PASSWORD_B64 "\r\n");
	C_secret(s, "MAIL FROM:<a@x>\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "auth LOGIN [] [alice@example.org] 235\n"
		   "begin a@x\n"
		   "auth LOGIN [] [alice@example.org] 0\n"
		   "flags pipelined\n" /* sent before the AUTH replies */
		   "end aborted 0 []\n");
	assert_no_secret_recorded(&r);
}

static void
test_auth_other_mechanism_and_gap_never_leak(void **state)
{
	struct rec r;
	struct mt_smtp *s = start_meta(&r);

	(void)state;
	hello(s);
	C_secret(s, "AUTH XOAUTH2 " PASSWORD_B64 "\r\n");
	S(s, "235 ok\r\n");
	C_secret(s, "AUTH CRAM-MD5\r\n");
	S(s, "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n");
	C_secret(s, PASSWORD_B64 "\r\n");
	S(s, "235 ok\r\n");
	C_secret(s, "AUTH PLAIN AGFsaWNl");
	G(s, MT_DIR_C2S, 4);
	C_secret(s, "AFpxOSNYdzchS3AtdW5pcXVl\r\n");
	S(s, "235 ok\r\n");
	mt_smtp_close(s);
	EXPECT_LOG(&r, "banner 220 mx.example.com ESMTP\n"
		   "helo client.example.org\n"
		   "auth XOAUTH2 [] [] 235\n"
		   "auth CRAM-MD5 [] [] 235\n"
		   "auth PLAIN [] [alice] 235\n");
	assert_no_secret_recorded(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_session_delivers_one_accepted_mail),
		cmocka_unit_test(test_pipelined_commands_match_replies_in_later_segments),
		cmocka_unit_test(test_pipelined_replies_in_one_segment),
		cmocka_unit_test(test_dot_unstuffing_removes_one_leading_dot),
		cmocka_unit_test(test_empty_message_is_terminator_alone),
		cmocka_unit_test(test_whole_dialogue_gives_expected_record),
		cmocka_unit_test(test_byte_at_a_time_gives_same_record),
		cmocka_unit_test(test_every_split_point_gives_same_record),
		cmocka_unit_test(test_every_pair_of_split_points_gives_same_record),
		cmocka_unit_test(test_terminator_split_in_four_calls),
		cmocka_unit_test(test_message_is_delivered_in_large_runs),
		cmocka_unit_test(test_multiline_reply_pops_queue_on_final_line_only),
		cmocka_unit_test(test_rejected_mail_ends_transaction_and_skips_pipelined_rest),
		cmocka_unit_test(test_rejected_rcpt_codes_are_reported),
		cmocka_unit_test(test_all_rcpts_rejected_then_data_is_rejected),
		cmocka_unit_test(test_all_rcpts_rejected_then_quit_is_rejected),
		cmocka_unit_test(test_rejected_data_leaves_message_mode),
		cmocka_unit_test(test_rejected_end_of_data_is_rejected),
		cmocka_unit_test(test_rset_quit_helo_and_new_mail_abort_open_transaction),
		cmocka_unit_test(test_quit_pipelined_after_end_of_data_does_not_abort),
		cmocka_unit_test(test_two_mails_per_session),
		cmocka_unit_test(test_mail_pipelined_after_end_of_data_waits_for_verdict),
		cmocka_unit_test(test_bdat_last_pipelined_with_next_mail_waits_for_verdict),
		cmocka_unit_test(test_next_mail_data_before_verdict_ends_previous_unconfirmed),
		cmocka_unit_test(test_bdat_single_last_chunk_accepted),
		cmocka_unit_test(test_bdat_zero_last_ends_chunked_message),
		cmocka_unit_test(test_bdat_chunk_followed_by_next_command_in_same_feed),
		cmocka_unit_test(test_bdat_rejected_chunk_rejects_but_rest_is_consumed),
		cmocka_unit_test(test_bdat_last_rejected_is_rejected),
		cmocka_unit_test(test_bdat_bad_size_is_unknown_command),
		cmocka_unit_test(test_starttls_stops_parsing_and_ends_incomplete),
		cmocka_unit_test(test_auth_exchange_lines_are_not_commands),
		cmocka_unit_test(test_overlong_line_is_discarded_and_its_reply_consumed),
		cmocka_unit_test(test_line_of_exactly_max_octets_is_kept),
		cmocka_unit_test(test_unknown_out_of_sequence_and_unsolicited_are_counted),
		cmocka_unit_test(test_queue_overflow_is_counted),
		cmocka_unit_test(test_paths_null_sender_params_and_space_after_colon),
		cmocka_unit_test(test_lowercase_commands_are_recognised),
		cmocka_unit_test(test_close_after_complete_message_is_unconfirmed),
		cmocka_unit_test(test_close_inside_message_is_incomplete),
		cmocka_unit_test(test_close_before_354_is_incomplete),
		cmocka_unit_test(test_close_inside_bdat_chunks_is_incomplete),
		cmocka_unit_test(test_close_before_data_is_aborted_and_idempotent),
		cmocka_unit_test(test_close_without_transaction_reports_nothing),
		cmocka_unit_test(test_null_ops_and_names),
		cmocka_unit_test(test_nested_mail_refused_keeps_envelope),
		cmocka_unit_test(test_refused_ehlo_keeps_envelope),
		cmocka_unit_test(test_refused_data_and_sender_already_given_keep_envelope),
		cmocka_unit_test(test_refused_data_then_rset_is_rejected_with_data_code),
		cmocka_unit_test(test_data_without_mail_answered_354_is_a_mail),
		cmocka_unit_test(test_pipelined_rset_data_dot_without_mail),
		cmocka_unit_test(test_data_without_mail_refused_starts_nothing),
		cmocka_unit_test(test_gap_bdat_chunk_then_data_resyncs),
		cmocka_unit_test(test_gap_swallows_end_of_data_verdict_ends_message),
		cmocka_unit_test(test_gap_in_message_keeps_dot_as_text),
		cmocka_unit_test(test_gap_in_command_line_drops_partial_line),
		cmocka_unit_test(test_gap_in_replies_354_resyncs_queue),
		cmocka_unit_test(test_command_gap_between_transactions_taints_the_next_envelope),
		cmocka_unit_test(test_gap_swallows_data_line_354_enters_message),
		cmocka_unit_test(test_gap_cuts_data_line_354_enters_message),
		cmocka_unit_test(test_gap_swallows_whole_envelope_354_starts_no_mail),
		cmocka_unit_test(test_gap_swallows_end_of_data_and_verdict_next_mail_is_command),
		cmocka_unit_test(test_gap_inside_command_line_tail_is_not_a_command),
		cmocka_unit_test(test_gap_in_pipelined_replies_places_later_ones_before_data),
		cmocka_unit_test(test_gap_taking_end_of_354_line_does_not_end_the_message),
		cmocka_unit_test(test_gap_in_ehlo_reply_then_pipelined_burst_pairs_right),
		cmocka_unit_test(test_gap_takes_last_ehlo_line_burst_after_it_pairs_right),
		cmocka_unit_test(test_two_gaps_in_one_command_line_queue_it_once),
		cmocka_unit_test(test_lost_verdict_then_pipelined_burst_resyncs_on_its_354),
		cmocka_unit_test(test_lost_354_and_lost_verdict_then_burst_pairs_right),
		cmocka_unit_test(test_lost_rcpt_reply_and_cut_data_line_354_starts_message),
		cmocka_unit_test(test_lost_burst_replies_and_terminator_verdict_ends_message),
		cmocka_unit_test(test_lost_bdat_line_chunk_is_not_parsed_as_commands),
		cmocka_unit_test(test_lost_data_refusal_next_commands_are_commands),
		cmocka_unit_test(test_lost_354_message_follows_flagged_gap),
		cmocka_unit_test(test_gap_taking_exactly_the_rest_of_rset_is_rset),
		cmocka_unit_test(test_verdict_lost_before_its_end_of_data_burst_pairs_right),
		cmocka_unit_test(test_more_replies_than_commands_seen_last_ones_pair),
		cmocka_unit_test(test_held_data_refusal_is_placed_when_the_client_moves_on),
		cmocka_unit_test(test_data_refused_while_replies_are_held_rset_is_a_command),
		cmocka_unit_test(test_lost_data_line_and_rcpt_reply_354_starts_the_message),
		cmocka_unit_test(test_unpaired_replies_never_make_a_complete_mail),
		cmocka_unit_test(test_two_verbless_lines_in_a_row_after_a_gap_are_a_message),
		cmocka_unit_test(test_lost_last_bdat_chunk_is_never_complete),
		cmocka_unit_test(test_capture_ending_inside_last_bdat_chunk_is_incomplete),
		cmocka_unit_test(test_reply_that_cannot_fit_its_command_flags_the_mail),
		cmocka_unit_test(test_bdat_answered_before_its_octets_flags_the_mail),
		cmocka_unit_test(test_midstream_gap_in_ehlo_reply_then_mail_pairs_right),
		cmocka_unit_test(test_midstream_verdict_after_lost_dot_ends_the_message),
		cmocka_unit_test(test_midstream_inside_message_reports_nothing_until_mail),
		cmocka_unit_test(test_midstream_verb_lines_in_message_do_not_shift_replies),
		cmocka_unit_test(test_midstream_after_354_body_is_text),
		cmocka_unit_test(test_midstream_pipelined_dot_then_mail_refused),
		cmocka_unit_test(test_midstream_greeting_starts_dialogue),
		cmocka_unit_test(test_midstream_starttls_stops),
		cmocka_unit_test(test_midstream_candidate_too_big_is_dropped),
		cmocka_unit_test(test_banner_first_line_only),
		cmocka_unit_test(test_banner_split_and_bounded),
		cmocka_unit_test(test_params_and_replies),
		cmocka_unit_test(test_params_of_stashed_transaction_follow_begin),
		cmocka_unit_test(test_flags_bdat_and_not_pipelined),
		cmocka_unit_test(test_bare_lf_in_data_is_content_and_flagged),
		cmocka_unit_test(test_xclient_and_xforward_attributes),
		cmocka_unit_test(test_auth_plain_initial_response_identity_only),
		cmocka_unit_test(test_auth_plain_after_334_identity_only),
		cmocka_unit_test(test_auth_login_username_only),
		cmocka_unit_test(test_auth_other_mechanism_and_gap_never_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
