/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/session: whole SMTP dialogues as TCP segments, through the TCP
 * direction tracking, the SMTP automaton and the mail rebuild, to the
 * emitted struct mt_mail - without lcores or rings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_mbuf.h>

#include "mt_decode.h"
#include "mt_session.h"
#include "mt_smtp.h"
#include "mt_test_eal.h"

#define MAX_OUT 16

static struct rte_mempool *mail_pool, *chunk_pool;
static struct mt_stats st;
static struct mt_mail *out[MAX_OUT];
static unsigned n_out;
static uint8_t slot_mem[8192] __attribute__((aligned(64)));

static void
emit(struct mt_session_env *env, struct mt_mail *m)
{
	(void)env;
	assert_true(n_out < MAX_OUT);
	out[n_out++] = m;
}

static unsigned held;

/* Test payloads are string literals: holding needs no copy. */
static int
hold(struct mt_session_env *e, struct mt_tcp_piece *pc)
{
	(void)e;
	(void)pc;
	held++;
	return 0;
}

static void
release(struct mt_session_env *e, struct mt_tcp_piece *pc)
{
	(void)e;
	(void)pc;
	assert_true(held > 0);
	held--;
}

static struct mt_session_env env = {
	.max_mail_size = 1 << 20,
	.max_ooo_bytes = 1 << 16,
	.keep_incomplete = 1,
	.emit = emit,
	.hold = hold,
	.release = release,
};

struct conv {
	struct mt_session *s;
	uint32_t seq[2];
	int closed;
};

static void
conv_start(struct conv *c)
{
	memset(slot_mem, 0, sizeof(slot_mem));
	assert_true(mt_session_size() <= sizeof(slot_mem));
	c->s = (struct mt_session *)slot_mem;
	mt_session_init(c->s, &env);
	c->seq[0] = 0xfffffff0u; /* wraps during the dialogue */
	c->seq[1] = 7000;
	c->closed = 0;
	mt_session_input(c->s, MT_DIR_C2S, c->seq[0]++, MT_TCP_SYN, 0, NULL, 0, NULL);
	mt_session_input(c->s, MT_DIR_S2C, c->seq[1]++, MT_TCP_SYN | MT_TCP_ACK, c->seq[0],
			 NULL, 0, NULL);
}

/* Send text in segments of at most seg bytes. */
static void
say(struct conv *c, int dir, const char *text, size_t seg)
{
	size_t n = strlen(text), k;

	while (n > 0) {
		k = n < seg ? n : seg;
		c->closed |= mt_session_input(c->s, dir, c->seq[dir], MT_TCP_ACK | MT_TCP_PSH,
					      c->seq[dir ^ 1],
					      (const uint8_t *)text, (uint32_t)k, NULL);
		c->seq[dir] += (uint32_t)k;
		text += k;
		n -= k;
	}
}

static void
reset_out(void)
{
	unsigned i;

	for (i = 0; i < n_out; i++)
		mt_mail_put(out[i]);
	n_out = 0;
	memset(&st, 0, sizeof(st));
}

static void
assert_body(const struct mt_mail *m, const char *want)
{
	char buf[4096];
	const void *p;

	assert_int_equal(m->size, strlen(want));
	if (m->size == 0)
		return;
	p = rte_pktmbuf_read(m->head, 0, (uint32_t)m->size, buf);
	assert_non_null(p);
	assert_memory_equal(p, want, m->size);
}

static void
dialogue(struct conv *c, size_t seg)
{
	say(c, MT_DIR_S2C, "220 mx.example ESMTP\r\n", seg);
	say(c, MT_DIR_C2S, "EHLO client.example\r\n", seg);
	say(c, MT_DIR_S2C, "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n", seg);
	say(c, MT_DIR_C2S, "MAIL FROM:<a@example.org>\r\n", seg);
	say(c, MT_DIR_S2C, "250 2.1.0 Ok\r\n", seg);
	say(c, MT_DIR_C2S, "RCPT TO:<b@example.net>\r\n", seg);
	say(c, MT_DIR_S2C, "250 2.1.5 Ok\r\n", seg);
	say(c, MT_DIR_C2S, "RCPT TO:<nobody@example.net>\r\n", seg);
	say(c, MT_DIR_S2C, "550 5.1.1 no such user\r\n", seg);
	say(c, MT_DIR_C2S, "DATA\r\n", seg);
	say(c, MT_DIR_S2C, "354 go ahead\r\n", seg);
	say(c, MT_DIR_C2S, "Subject: t\r\n\r\n..leading dot\r\n.\r\n", seg);
	say(c, MT_DIR_S2C, "250 2.0.0 Ok: queued\r\n", seg);
	say(c, MT_DIR_C2S, "QUIT\r\n", seg);
	say(c, MT_DIR_S2C, "221 bye\r\n", seg);
}

static void
dialogue_rebuilds_one_mail_at_every_segment_size(void **state)
{
	struct conv c;
	size_t seg;

	(void)state;
	for (seg = 1; seg <= 64; seg++) {
		conv_start(&c);
		dialogue(&c, seg);
		mt_session_close(c.s);
		assert_int_equal(n_out, 1);
		assert_body(out[0], "Subject: t\r\n\r\n.leading dot\r\n");
		assert_int_equal(out[0]->end, MT_SMTP_END_ACCEPTED);
		assert_int_equal(out[0]->reply_code, 250);
		assert_int_equal(out[0]->flags, 0);
		assert_int_equal(out[0]->n_rcpt, 2);
		assert_int_equal(out[0]->rcpt[0].code, 250);
		assert_int_equal(out[0]->rcpt[1].code, 550);
		assert_memory_equal(mt_mail_str(out[0], &out[0]->mail_from), "a@example.org", 13);
		assert_memory_equal(mt_mail_str(out[0], &out[0]->helo), "client.example", 14);
		assert_int_equal(st.v[MT_STAT_mail_accepted], 1);
		reset_out();
	}
}

static void
fin_from_both_sides_ends_the_session(void **state)
{
	struct conv c;

	(void)state;
	conv_start(&c);
	dialogue(&c, 1460);
	assert_false(mt_session_input(c.s, MT_DIR_C2S, c.seq[0], MT_TCP_FIN | MT_TCP_ACK,
				      c.seq[1], NULL, 0, NULL));
	assert_true(mt_session_input(c.s, MT_DIR_S2C, c.seq[1], MT_TCP_FIN | MT_TCP_ACK,
				     c.seq[0] + 1, NULL, 0, NULL));
	mt_session_close(c.s);
	mt_session_close(c.s); /* idempotent */
	assert_int_equal(n_out, 1);
	reset_out();
}

static void
capture_ending_inside_the_message_gives_an_incomplete_mail(void **state)
{
	struct conv c;
	char json[2048];

	(void)state;
	conv_start(&c);
	say(&c, MT_DIR_S2C, "220 mx\r\n", 100);
	say(&c, MT_DIR_C2S, "HELO c\r\n", 100);
	say(&c, MT_DIR_S2C, "250 mx\r\n", 100);
	say(&c, MT_DIR_C2S, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 100);
	say(&c, MT_DIR_S2C, "250 ok\r\n250 ok\r\n354 go\r\n", 100);
	say(&c, MT_DIR_C2S, "Subject: cut\r\n\r\nhalf a mai", 100);
	mt_session_close(c.s);
	assert_int_equal(n_out, 1);
	assert_int_equal(out[0]->end, MT_SMTP_END_INCOMPLETE);
	assert_true(out[0]->flags & MT_MAIL_F_INCOMPLETE);
	assert_body(out[0], "Subject: cut\r\n\r\nhalf a mai");
	mt_mail_json(out[0], "x", NULL, json, sizeof(json));
	assert_non_null(strstr(json, "\"complete\":false"));
	assert_non_null(strstr(json, "\"incomplete\""));
	assert_int_equal(st.v[MT_STAT_mail_incomplete], 1);
	reset_out();
}

static void
gap_in_the_message_flags_the_mail(void **state)
{
	struct conv c;

	(void)state;
	conv_start(&c);
	say(&c, MT_DIR_S2C, "220 mx\r\n", 100);
	say(&c, MT_DIR_C2S, "HELO c\r\n", 100);
	say(&c, MT_DIR_S2C, "250 mx\r\n", 100);
	say(&c, MT_DIR_C2S, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 100);
	say(&c, MT_DIR_S2C, "250 ok\r\n250 ok\r\n354 go\r\n", 100);
	say(&c, MT_DIR_C2S, "line one\r\n", 100);
	c.seq[0] += 500; /* the tap missed 500 bytes */
	say(&c, MT_DIR_C2S, "line two\r\n.\r\n", 100);
	say(&c, MT_DIR_S2C, "250 queued\r\n", 100);
	mt_session_close(c.s);
	assert_int_equal(n_out, 1);
	assert_true(out[0]->flags & MT_MAIL_F_GAP);
	assert_int_equal(out[0]->gap_bytes, 500);
	assert_int_equal(st.v[MT_STAT_wk_gaps], 1);
	reset_out();
}

static void
rejected_mail_is_discarded_and_counted(void **state)
{
	struct conv c;

	(void)state;
	conv_start(&c);
	say(&c, MT_DIR_S2C, "220 mx\r\n", 100);
	say(&c, MT_DIR_C2S, "HELO c\r\n", 100);
	say(&c, MT_DIR_S2C, "250 mx\r\n", 100);
	say(&c, MT_DIR_C2S, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 100);
	say(&c, MT_DIR_S2C, "250 ok\r\n250 ok\r\n354 go\r\n", 100);
	say(&c, MT_DIR_C2S, "spam\r\n.\r\n", 100);
	say(&c, MT_DIR_S2C, "554 5.7.1 rejected\r\n", 100);
	mt_session_close(c.s);
	assert_int_equal(n_out, 0);
	assert_int_equal(st.v[MT_STAT_mail_rejected], 1);
	assert_int_equal(st.v[MT_STAT_mail_discarded], 1);
	reset_out();
}

static void
max_mail_size_truncates_and_flags(void **state)
{
	struct conv c;
	uint64_t saved = env.max_mail_size;

	(void)state;
	env.max_mail_size = 10;
	conv_start(&c);
	say(&c, MT_DIR_S2C, "220 mx\r\n", 100);
	say(&c, MT_DIR_C2S, "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 100);
	say(&c, MT_DIR_S2C, "250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n", 100);
	say(&c, MT_DIR_C2S, "0123456789abcdef\r\n.\r\n", 7);
	say(&c, MT_DIR_S2C, "250 queued\r\n", 100);
	mt_session_close(c.s);
	env.max_mail_size = saved;
	assert_int_equal(n_out, 1);
	assert_body(out[0], "0123456789");
	assert_int_equal(out[0]->seen_size, 18);
	assert_true(out[0]->flags & MT_MAIL_F_TRUNCATED);
	assert_int_equal(st.v[MT_STAT_mail_truncated], 1);
	reset_out();
}

/* The capture ends with both sides holding segments: the server's verdict
 * of "one" was never seen, the replies after it wait behind that hole,
 * and the client's next message waits for them (its ACK says it had the
 * 354).  Closing declares the holes lost in the order the ACKs tell: the
 * replies come before the message they allowed, so "two" is whole. */
static void
close_flushes_holes_in_ack_order(void **state)
{
	struct conv c;

	(void)state;
	conv_start(&c);
	say(&c, MT_DIR_S2C, "220 mx\r\n", 100);
	say(&c, MT_DIR_C2S, "EHLO c\r\n", 100);
	say(&c, MT_DIR_S2C, "250-mx\r\n250 PIPELINING\r\n", 100);
	say(&c, MT_DIR_C2S, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 100);
	say(&c, MT_DIR_S2C, "250 ok\r\n250 ok\r\n354 go\r\n", 100);
	say(&c, MT_DIR_C2S, "one\r\n.\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n", 100);
	c.seq[MT_DIR_S2C] += 16; /* "250 queued one\r\n": never seen */
	say(&c, MT_DIR_S2C, "250 ok\r\n250 ok\r\n354 go\r\n", 100);
	say(&c, MT_DIR_C2S, "two\r\n.\r\n", 100);
	say(&c, MT_DIR_S2C, "250 queued two\r\n", 100);
	assert_int_equal(n_out, 0); /* all held behind the hole */
	mt_session_close(c.s);
	assert_int_equal(n_out, 2);
	assert_true(out[0]->flags & MT_MAIL_F_GAP);
	assert_int_equal(out[1]->end, MT_SMTP_END_ACCEPTED);
	assert_false(out[1]->flags & MT_MAIL_F_NOT_COMPLETE);
	assert_body(out[1], "two\r\n");
	assert_int_equal(held, 0);
	reset_out();
}

static int
setup(void **state)
{
	(void)state;
	if (mt_test_eal_init("session") != 0)
		return -1;
	mail_pool = mt_mail_pool_create("t_mails", 63, 0);
	/* small chunks so mails span several */
	chunk_pool = rte_pktmbuf_pool_create("t_chunks", 1023, 0, 0,
					     RTE_PKTMBUF_HEADROOM + 64, 0);
	env.mail_pool = mail_pool;
	env.chunk_pool = chunk_pool;
	env.st = &st;
	return mail_pool && chunk_pool ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	/* every mail and chunk went back to its pool */
	if (rte_mempool_in_use_count(mail_pool) != 0 || rte_mempool_in_use_count(chunk_pool) != 0)
		return -1;
	rte_mempool_free(mail_pool);
	rte_mempool_free(chunk_pool);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dialogue_rebuilds_one_mail_at_every_segment_size),
		cmocka_unit_test(fin_from_both_sides_ends_the_session),
		cmocka_unit_test(capture_ending_inside_the_message_gives_an_incomplete_mail),
		cmocka_unit_test(gap_in_the_message_flags_the_mail),
		cmocka_unit_test(rejected_mail_is_discarded_and_counted),
		cmocka_unit_test(max_mail_size_truncates_and_flags),
		cmocka_unit_test(close_flushes_holes_in_ack_order),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
