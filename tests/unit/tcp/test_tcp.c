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

static const struct mt_tcp_ops ops = { r_deliver, r_gap, r_hold, r_release };

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

static void
midstream_syncs_on_first_data(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_counters c = { 0 };
	struct rec r = { 0 };

	(void)state;
	mt_tcp_dir_input(&d, 5000, MT_TCP_ACK, 0, NULL, 0, NULL, 1 << 20, NULL, &ops, &r, &c);
	assert_false(d.synced);
	mt_tcp_dir_input(&d, 5000, MT_TCP_ACK, 0, (const uint8_t *)"data", 4, NULL, 1 << 20, NULL,
			 &ops, &r, &c);
	assert_int_equal(c.midstream, 1);
	assert_int_equal(r.n, 4);
	assert_false(d.syn_seen);
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
		cmocka_unit_test(midstream_syncs_on_first_data),
		cmocka_unit_test(any_reordering_with_duplicates_and_garbage_overlaps_is_byte_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
