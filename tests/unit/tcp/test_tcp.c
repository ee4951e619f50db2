/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/tcp: in-order octets, first data wins, holes, wraparound, FIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mt_common.h"
#include "mt_decode.h"
#include "mt_tcp.h"

/* What the callbacks saw: the stream with '#' for every lost octet. */
struct rec {
	char out[8192];
	size_t n;
	unsigned held;
	unsigned refuse; /* refuse holds when nonzero */
	uint64_t gap_bytes;
};

static void
r_deliver(void *ctx, const uint8_t *p, uint32_t n)
{
	struct rec *r = ctx;

	assert_true(r->n + n <= sizeof(r->out));
	memcpy(r->out + r->n, p, n);
	r->n += n;
}

static void
r_gap(void *ctx, uint32_t n)
{
	struct rec *r = ctx;

	assert_true(r->n + n <= sizeof(r->out));
	memset(r->out + r->n, '#', n);
	r->n += n;
	r->gap_bytes += n;
}

static int
r_hold(void *ctx, struct mt_tcp_piece *pc)
{
	struct rec *r = ctx;

	(void)pc;
	if (r->refuse)
		return -1;
	r->held++;
	return 0;
}

static void
r_release(void *ctx, struct mt_tcp_piece *pc)
{
	struct rec *r = ctx;

	(void)pc;
	assert_true(r->held > 0);
	r->held--;
}

static const struct mt_tcp_ops ops = { r_deliver, r_gap, r_hold, r_release, NULL };

struct fix {
	struct mt_tcp_dir d;
	struct rec r;
	struct mt_tcp_counters c;
	uint32_t isn;
};

static void
start(struct fix *f, uint32_t isn)
{
	memset(f, 0, sizeof(*f));
	f->isn = isn;
	mt_tcp_dir_input(&f->d, isn, MT_TCP_SYN, 0, NULL, 0, NULL, 1 << 20, NULL, &ops, &f->r,
			 &f->c);
}

/* Segment at stream offset off (0 = first octet after the SYN). */
static void
seg(struct fix *f, uint32_t off, const char *s, uint8_t flags)
{
	mt_tcp_dir_input(&f->d, f->isn + 1 + off, flags | MT_TCP_ACK, 0, (const uint8_t *)s,
			 (uint32_t)strlen(s), (void *)s, 1 << 20, NULL, &ops, &f->r, &f->c);
}

#define assert_stream(f, want)                                                     \
	do {                                                                       \
		if ((f)->r.n != strlen(want) || memcmp((f)->r.out, want, (f)->r.n)) { \
			fprintf(stderr, "stream: '%.*s'\nwant:   '%s'\n",           \
				(int)(f)->r.n, (f)->r.out, want);                  \
			fail();                                                    \
		}                                                                  \
	} while (0)

static void
in_order_segments_are_delivered(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 1000);
	seg(&f, 0, "hello ", 0);
	seg(&f, 6, "world", MT_TCP_FIN);
	assert_stream(&f, "hello world");
	assert_true(f.d.fin_seen);
	assert_int_equal(f.d.offset, 11);
}

static void
retransmission_and_overlap_first_data_wins(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 0);
	seg(&f, 0, "abcdef", 0);
	seg(&f, 0, "ABCDEF", 0);   /* full resend, other content */
	seg(&f, 3, "DEFghi", 0);   /* overlaps 3, adds 3 */
	assert_stream(&f, "abcdefghi");
	assert_int_equal(f.c.retrans_bytes, 9);
}

static void
out_of_order_is_held_then_released(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 0);
	seg(&f, 6, "world", 0);
	seg(&f, 11, "!", 0);
	assert_stream(&f, "");
	assert_int_equal(f.r.held, 2);
	seg(&f, 0, "hello ", 0);
	assert_stream(&f, "hello world!");
	assert_int_equal(f.r.held, 0);
	assert_int_equal(f.c.ooo_segments, 2);
	assert_int_equal(f.d.ooo_bytes, 0);
}

static void
held_overlaps_keep_the_first_copy(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 0);
	seg(&f, 4, "EFGH", 0);      /* held */
	seg(&f, 2, "cdXXXXij", 0);  /* overlaps the held piece with other bytes */
	seg(&f, 10, "kl", 0);
	seg(&f, 0, "ab", 0);
	assert_stream(&f, "abcdEFGHijkl");
	assert_int_equal(f.c.retrans_bytes, 4);
	assert_int_equal(f.r.held, 0);
}

static void
in_order_copy_trims_a_held_piece(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 0);
	seg(&f, 3, "defgh", 0);     /* held */
	seg(&f, 0, "abcdef", 0);    /* covers the hole and part of the piece */
	assert_stream(&f, "abcdefgh");
	assert_int_equal(f.r.held, 0);
}

static void
full_hold_declares_the_hole_lost(void **state)
{
	struct fix f;
	static const char *const p[] = { "A", "B", "C", "D", "E", "F", "G", "H", "I" };
	unsigned i;

	(void)state;
	assert_int_equal(MT_ARRAY_SIZE(p), MT_TCP_OOO_MAX + 1);
	start(&f, 0);
	seg(&f, 0, "ab", 0);
	/* octets 2..3 never come; 8 pieces (with holes between) fill the
	 * hold, the 9th makes the first hole be declared lost */
	for (i = 0; i <= MT_TCP_OOO_MAX; i++)
		seg(&f, 4 + 2 * i, p[i], 0);
	assert_int_equal(f.c.ooo_overflow, 1);
	assert_int_equal(f.r.gap_bytes, 2);
	assert_stream(&f, "ab##A");
	assert_int_equal(f.r.held, MT_TCP_OOO_MAX);
	mt_tcp_dir_flush(&f.d, &ops, &f.r, &f.c);
	assert_stream(&f, "ab##A#B#C#D#E#F#G#H#I");
}

static void
refused_hold_is_a_gap_never_a_stitch(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 0);
	seg(&f, 0, "abc", 0);
	f.r.refuse = 1;
	seg(&f, 6, "ghi", 0);       /* cannot be held: hole of 3 declared */
	assert_stream(&f, "abc###ghi");
	seg(&f, 3, "def", 0);       /* too late: already declared lost */
	assert_stream(&f, "abc###ghi");
	assert_int_equal(f.c.gap_bytes, 3);
}

static void
flush_at_close_delivers_held_data_after_gaps(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 0);
	seg(&f, 0, "ab", 0);
	seg(&f, 4, "ef", 0);
	seg(&f, 8, "ij", MT_TCP_FIN);
	mt_tcp_dir_flush(&f.d, &ops, &f.r, &f.c);
	assert_stream(&f, "ab##ef##ij");
	assert_int_equal(f.c.gaps, 2);
	assert_true(f.d.fin_seen);
	assert_int_equal(f.r.held, 0);
}

static void
early_fin_takes_effect_in_order(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 0);
	seg(&f, 3, "def", MT_TCP_FIN);
	assert_false(f.d.fin_seen);
	seg(&f, 0, "abc", 0);
	assert_true(f.d.fin_seen);
	assert_stream(&f, "abcdef");
}

static void
old_segment_with_fin_does_not_close(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 0);
	seg(&f, 0, "abcdef", 0);
	seg(&f, 0, "ab", MT_TCP_FIN);    /* stale: its FIN would be at 2 < 6 */
	assert_false(f.d.fin_seen);
	seg(&f, 6, "", MT_TCP_FIN);
	assert_true(f.d.fin_seen);
}

static void
wraparound_in_order_held_and_overlapping(void **state)
{
	struct fix f;
	uint32_t isn;

	(void)state;
	/* the SYN, the data, the hole and the held piece on all sides of 2^32 */
	for (isn = 0xfffffff0u; isn != 0x10u; isn++) {
		start(&f, isn);
		seg(&f, 8, "ijkl", 0);
		seg(&f, 4, "EFGHIJ", 0);    /* first data wins on I, J */
		seg(&f, 0, "abcd", 0);
		seg(&f, 0, "abcdefgh", 0);  /* old */
		seg(&f, 12, "mn", MT_TCP_FIN);
		assert_stream(&f, "abcdEFGHijklmn");
		assert_true(f.d.fin_seen);
	}
}

static void
segment_half_the_sequence_space_ahead_is_ignored(void **state)
{
	struct fix f;

	(void)state;
	start(&f, 0);
	seg(&f, 0, "ab", 0);
	seg(&f, 2u + (1u << 31) - 3, "zzzzzz", 0); /* its end would wrap behind */
	assert_int_equal(f.c.out_of_window, 1);
	assert_int_equal(f.r.held, 0);
	seg(&f, 2, "cd", 0);
	assert_stream(&f, "abcd");
}

/* Both directions into one record, as the session does. */
static void
both(struct mt_tcp_dir *d, struct rec *r, struct mt_tcp_counters *c, int dir, uint32_t seq,
     uint32_t ack, const char *s)
{
	mt_tcp_dir_input(&d[dir], seq, MT_TCP_ACK | MT_TCP_PSH, ack, (const uint8_t *)s,
			 (uint32_t)strlen(s), (void *)s, 1 << 20, &d[dir ^ 1], &ops, r, c);
	mt_tcp_dir_drain(&d[dir ^ 1], &d[dir], &ops, r, c);
}

static void
reply_seen_before_its_command_waits_for_it(void **state)
{
	struct mt_tcp_dir d[2];
	struct mt_tcp_counters c = { 0 };
	struct rec r = { 0 };

	(void)state;
	memset(d, 0, sizeof(d));
	mt_tcp_dir_input(&d[0], 99, MT_TCP_SYN, 0, NULL, 0, NULL, 1 << 20, &d[1], &ops, &r, &c);
	mt_tcp_dir_input(&d[1], 499, MT_TCP_SYN | MT_TCP_ACK, 100, NULL, 0, NULL, 1 << 20, &d[0],
			 &ops, &r, &c);
	both(d, &r, &c, 1, 500, 100, "220 hi\r\n");
	/* the tap shows "250 ok" (acking the 6 octets of HELO) before HELO */
	both(d, &r, &c, 1, 508, 106, "250 ok\r\n");
	assert_int_equal(c.ack_waits, 1);
	both(d, &r, &c, 0, 100, 508, "HELO\r\n");
	assert_int_equal(r.n, 22);
	assert_memory_equal(r.out, "220 hi\r\nHELO\r\n250 ok\r\n", 22);
	assert_int_equal(r.held, 0);
}

static void
waiting_segments_give_way_at_close(void **state)
{
	struct mt_tcp_dir d[2];
	struct mt_tcp_counters c = { 0 };
	struct rec r = { 0 };

	(void)state;
	memset(d, 0, sizeof(d));
	mt_tcp_dir_input(&d[0], 99, MT_TCP_SYN, 0, NULL, 0, NULL, 1 << 20, &d[1], &ops, &r, &c);
	mt_tcp_dir_input(&d[1], 499, MT_TCP_SYN | MT_TCP_ACK, 100, NULL, 0, NULL, 1 << 20, &d[0],
			 &ops, &r, &c);
	/* acks client octets the tap never shows */
	both(d, &r, &c, 1, 500, 150, "250 ok\r\n");
	assert_int_equal(r.n, 0);
	mt_tcp_dir_flush(&d[1], &ops, &r, &c);
	assert_int_equal(r.n, 8);
	assert_int_equal(r.held, 0);
}

/* Both directions with their own contexts, as the session has them, so
 * that a full hold can order the other direction first (ops.peer_lost). */
struct side {
	struct rec *r;
	struct mt_tcp_dir *d; /* d[0], d[1] */
	int dir;
};

static void
s_deliver(void *ctx, const uint8_t *p, uint32_t n)
{
	r_deliver(((struct side *)ctx)->r, p, n);
}

static void
s_gap(void *ctx, uint32_t n)
{
	r_gap(((struct side *)ctx)->r, n);
}

static int
s_hold(void *ctx, struct mt_tcp_piece *pc)
{
	return r_hold(((struct side *)ctx)->r, pc);
}

static void
s_release(void *ctx, struct mt_tcp_piece *pc)
{
	r_release(((struct side *)ctx)->r, pc);
}

static void s_peer_lost(void *ctx, uint32_t seq, struct mt_tcp_counters *c);

static const struct mt_tcp_ops side_ops = { s_deliver, s_gap, s_hold, s_release, s_peer_lost };

static struct side sides[2];

static void
s_peer_lost(void *ctx, uint32_t seq, struct mt_tcp_counters *c)
{
	struct side *sd = ctx;
	int p = sd->dir ^ 1;

	mt_tcp_dir_lost_until(&sd->d[p], seq, &sd->d[sd->dir], &side_ops, &sides[p], c);
}

/* One segment of dir, then both drained, as the session settles. */
static void
duo(struct mt_tcp_dir *d, struct mt_tcp_counters *c, int dir, uint32_t seq, uint32_t ack,
    const char *s)
{
	mt_tcp_dir_input(&d[dir], seq, MT_TCP_ACK | MT_TCP_PSH, ack, (const uint8_t *)s,
			 (uint32_t)strlen(s), (void *)s, 1 << 20, &d[dir ^ 1], &side_ops,
			 &sides[dir], c);
	mt_tcp_dir_drain(&d[0], &d[1], &side_ops, &sides[0], c);
	mt_tcp_dir_drain(&d[1], &d[0], &side_ops, &sides[1], c);
	mt_tcp_dir_drain(&d[0], &d[1], &side_ops, &sides[0], c);
}

static void
duo_start(struct mt_tcp_dir *d, struct rec *r, struct mt_tcp_counters *c)
{
	memset(d, 0, 2 * sizeof(*d));
	memset(r, 0, sizeof(*r));
	sides[0] = (struct side){ r, d, 0 };
	sides[1] = (struct side){ r, d, 1 };
	mt_tcp_dir_input(&d[0], 99, MT_TCP_SYN, 0, NULL, 0, NULL, 1 << 20, &d[1], &side_ops,
			 &sides[0], c);
	mt_tcp_dir_input(&d[1], 499, MT_TCP_SYN | MT_TCP_ACK, 100, NULL, 0, NULL, 1 << 20, &d[0],
			 &side_ops, &sides[1], c);
	duo(d, c, 1, 500, 100, "220 hi\r\n");
}

/*
 * The tap lost the client's "DATA\r\n"; the 354 (acking it) waits; the
 * message the client sent after the 354 fills the hold.  Declaring the
 * hole lost, the 354 goes first, then the message - not the message
 * before its 354 (e2e --drop 1 --reorder 10, seed 8, 203.0.113.78:56744).
 */
static void
full_hold_lets_the_reply_that_waited_for_the_hole_go_first(void **state)
{
	static const char *m[MT_TCP_OOO_MAX + 1] = { "m0\r\n", "m1\r\n", "m2\r\n",
						     "m3\r\n", "m4\r\n", "m5\r\n",
						     "m6\r\n", "m7\r\n", "m8\r\n" };
	struct mt_tcp_dir d[2];
	struct mt_tcp_counters c = { 0 };
	struct rec r;
	unsigned i;

	(void)state;
	duo_start(d, &r, &c);
	/* client "DATA\r\n" [100, 106) never captured */
	duo(d, &c, 1, 508, 106, "354 go\r\n");
	for (i = 0; i <= MT_TCP_OOO_MAX; i++)
		duo(d, &c, 0, 106 + 4 * i, 516, m[i]);
	assert_int_equal(c.ooo_overflow, 1);
	assert_int_equal(c.gaps, 1);
	assert_int_equal(r.gap_bytes, 6);
	assert_stream(&(struct fix){ .r = r }, "220 hi\r\n######354 go\r\n"
		      "m0\r\nm1\r\nm2\r\nm3\r\nm4\r\nm5\r\nm6\r\nm7\r\nm8\r\n");
	assert_int_equal(r.held, 0);
}

/*
 * The tap lost the server's "250 ok\r\n" to MAIL; the client's next
 * commands (acking it) wait for it and fill the hold.  The server octets
 * they acknowledge are declared lost on the server side first, so the
 * automaton learns of the lost reply before it sees the commands sent
 * after it (e2e seed 7, 198.51.100.122:42320).
 */
static void
full_hold_declares_the_acknowledged_peer_octets_lost_first(void **state)
{
	static const char *m[MT_TCP_OOO_MAX + 1] = { "RCPT\r\n", "r1\r\n", "r2\r\n",
						     "r3\r\n", "r4\r\n", "r5\r\n",
						     "r6\r\n", "r7\r\n", "r8\r\n" };
	struct mt_tcp_dir d[2];
	struct mt_tcp_counters c = { 0 };
	struct rec r;
	uint32_t seq = 106;
	unsigned i;

	(void)state;
	duo_start(d, &r, &c);
	duo(d, &c, 0, 100, 508, "MAIL\r\n");
	/* server "250 ok\r\n" [508, 516) never captured; every later client
	 * segment acknowledges it (and nothing else of the server's) */
	for (i = 0; i <= MT_TCP_OOO_MAX; i++) {
		duo(d, &c, 0, seq, 516, m[i]);
		seq += (uint32_t)strlen(m[i]);
	}
	assert_int_equal(c.gaps, 1);
	assert_int_equal(r.gap_bytes, 8);
	assert_stream(&(struct fix){ .r = r }, "220 hi\r\nMAIL\r\n########RCPT\r\n"
		      "r1\r\nr2\r\nr3\r\nr4\r\nr5\r\nr6\r\nr7\r\nr8\r\n");
	assert_int_equal(r.held, 0);
}

static void
midstream_syncs_on_first_data(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_counters c = { 0 };
	struct rec r = { 0 };

	(void)state;
	mt_tcp_dir_input(&d, 5000, MT_TCP_ACK, 0, (const uint8_t *)"data", 4, NULL, 1 << 20, NULL,
			 &ops, &r, &c);
	assert_true(d.synced);
	assert_int_equal(c.midstream, 1);
	assert_int_equal(r.n, 4);
	assert_false(d.syn_seen);
}

/* An ACK seen first gives the sync point: data sent after it and reordered
 * at the tap is taken whole (the first data segment seen is not the
 * first sent). */
static void
midstream_bare_ack_syncs_and_reordered_data_is_whole(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_counters c = { 0 };
	struct rec r = { 0 };

	(void)state;
	mt_tcp_dir_input(&d, 5000, MT_TCP_ACK, 0, NULL, 0, NULL, 1 << 20, NULL, &ops, &r, &c);
	assert_true(d.synced);
	assert_int_equal(c.midstream, 1);
	mt_tcp_dir_input(&d, 5004, MT_TCP_ACK, 0, (const uint8_t *)"more", 4, NULL, 1 << 20, NULL,
			 &ops, &r, &c);
	assert_int_equal(r.n, 0); /* held: 5000..5003 not seen yet */
	mt_tcp_dir_input(&d, 5000, MT_TCP_ACK, 0, (const uint8_t *)"data", 4, NULL, 1 << 20, NULL,
			 &ops, &r, &c);
	assert_int_equal(r.n, 8);
	assert_memory_equal(r.out, "datamore", 8);
	assert_int_equal(c.gaps, 0);
	/* an RST never syncs */
	{
		struct mt_tcp_dir e = { 0 };

		mt_tcp_dir_input(&e, 7, MT_TCP_RST, 0, NULL, 0, NULL, 1 << 20, NULL, &ops, &r, &c);
		assert_false(e.synced);
	}
}

/* A keepalive (sequence number one below the next octet) seen first: the
 * first data, one octet ahead, moves the sync point; no gap is invented. */
static void
midstream_keepalive_first_leaves_no_gap(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_counters c = { 0 };
	struct rec r = { 0 };

	(void)state;
	mt_tcp_dir_input(&d, 4999, MT_TCP_ACK, 0, NULL, 0, NULL, 1 << 20, NULL, &ops, &r, &c);
	mt_tcp_dir_input(&d, 5000, MT_TCP_ACK, 0, (const uint8_t *)"data", 4, NULL, 1 << 20, NULL,
			 &ops, &r, &c);
	assert_int_equal(r.n, 4);
	assert_int_equal(c.gaps, 0);
	assert_int_equal(c.ooo_segments, 0);
}

/* xorshift, for the permutation test */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
any_reordering_with_duplicates_and_garbage_overlaps_is_byte_exact(void **state)
{
	static char text[2000], junk[64];
	struct sg { uint32_t off, len; int junk; };
	struct sg orig[600], wire[1200], t, pend[600];
	unsigned n, i, j, k, np, round, key[600];
	uint64_t s = 88172645463325252ull, r;
	struct fix f;
	uint32_t off;

	(void)state;
	for (i = 0; i < sizeof(text) - 1; i++)
		text[i] = (char)('a' + i % 26);
	memset(junk, '!', sizeof(junk));
	for (round = 0; round < 500; round++) {
		for (n = 0, off = 0; off < sizeof(text) - 1; off += orig[n++].len) {
			r = 1 + rnd(&s) % 60;
			orig[n] = (struct sg){ off, (uint32_t)MT_MIN(r, sizeof(text) - 1 - off), 0 };
		}
		/* local reordering, no segment moves more than 4 places:
		 * sort by position + a jitter of 0..4 */
		for (i = 0; i < n; i++)
			key[i] = i * 8 + (unsigned)(rnd(&s) % 5) * 8 + i % 8;
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && key[j - 1] > key[j]; j--) {
				t = orig[j];
				orig[j] = orig[j - 1];
				orig[j - 1] = t;
				r = key[j];
				key[j] = key[j - 1];
				key[j - 1] = (unsigned)r;
			}
		/* a quarter of the segments are sent again a little later: a
		 * duplicate, or a copy with other bytes that must lose */
		for (i = 0, k = 0, np = 0; i < n; i++) {
			wire[k++] = orig[i];
			if (rnd(&s) % 4 == 0) {
				pend[np] = orig[i];
				pend[np].junk = rnd(&s) % 2;
				if (pend[np].junk)
					pend[np].len = MT_MIN(pend[np].len, (uint32_t)sizeof(junk) - 1);
				np++;
			}
			if (np > 0 && rnd(&s) % 3 == 0)
				wire[k++] = pend[--np];
		}
		while (np > 0)
			wire[k++] = pend[--np];
		start(&f, (uint32_t)rnd(&s));
		for (i = 0; i < k; i++)
			mt_tcp_dir_input(&f.d, f.isn + 1 + wire[i].off, MT_TCP_ACK, 0,
					 (const uint8_t *)(wire[i].junk ? junk : text + wire[i].off),
					 wire[i].len, NULL, 1 << 20, NULL, &ops, &f.r, &f.c);
		mt_tcp_dir_flush(&f.d, &ops, &f.r, &f.c);
		/* the hold never overflowed (displacement 4 < MT_TCP_OOO_MAX) */
		assert_int_equal(f.c.ooo_overflow, 0);
		if (f.r.n != sizeof(text) - 1 || memcmp(f.r.out, text, f.r.n) != 0) {
			fprintf(stderr, "round %u: got %zu bytes\n%.*s\n", round, f.r.n,
				(int)f.r.n, f.r.out);
			fail();
		}
		assert_int_equal(f.r.held, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order_segments_are_delivered),
		cmocka_unit_test(retransmission_and_overlap_first_data_wins),
		cmocka_unit_test(out_of_order_is_held_then_released),
		cmocka_unit_test(held_overlaps_keep_the_first_copy),
		cmocka_unit_test(in_order_copy_trims_a_held_piece),
		cmocka_unit_test(full_hold_declares_the_hole_lost),
		cmocka_unit_test(refused_hold_is_a_gap_never_a_stitch),
		cmocka_unit_test(flush_at_close_delivers_held_data_after_gaps),
		cmocka_unit_test(early_fin_takes_effect_in_order),
		cmocka_unit_test(old_segment_with_fin_does_not_close),
		cmocka_unit_test(wraparound_in_order_held_and_overlapping),
		cmocka_unit_test(segment_half_the_sequence_space_ahead_is_ignored),
		cmocka_unit_test(reply_seen_before_its_command_waits_for_it),
		cmocka_unit_test(waiting_segments_give_way_at_close),
		cmocka_unit_test(full_hold_lets_the_reply_that_waited_for_the_hole_go_first),
		cmocka_unit_test(full_hold_declares_the_acknowledged_peer_octets_lost_first),
		cmocka_unit_test(midstream_syncs_on_first_data),
		cmocka_unit_test(midstream_bare_ack_syncs_and_reordered_data_is_whole),
		cmocka_unit_test(midstream_keepalive_first_leaves_no_gap),
		cmocka_unit_test(any_reordering_with_duplicates_and_garbage_overlaps_is_byte_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
