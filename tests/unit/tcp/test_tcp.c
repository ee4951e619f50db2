/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/tcp: which payload octets of a segment are new, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mt_decode.h"
#include "mt_tcp.h"

static void
syn_then_in_order_data(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_verdict v;

	(void)state;
	mt_tcp_dir_segment(&d, 1000, MT_TCP_SYN, 0, &v);
	assert_int_equal(d.next_seq, 1001);
	mt_tcp_dir_segment(&d, 1001, MT_TCP_ACK, 100, &v);
	assert_int_equal(v.skip, 0);
	assert_int_equal(v.deliver, 100);
	assert_int_equal(v.gap, 0);
	mt_tcp_dir_segment(&d, 1101, MT_TCP_ACK | MT_TCP_FIN, 10, &v);
	assert_int_equal(v.deliver, 10);
	assert_true(d.fin_seen);
	assert_int_equal(d.offset, 110);
}

static void
retransmission_and_partial_overlap_are_skipped(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_verdict v;

	(void)state;
	mt_tcp_dir_segment(&d, 0, MT_TCP_SYN, 0, &v);
	mt_tcp_dir_segment(&d, 1, 0, 100, &v);
	mt_tcp_dir_segment(&d, 1, 0, 100, &v);      /* full retransmission */
	assert_int_equal(v.skip, 100);
	assert_int_equal(v.deliver, 0);
	mt_tcp_dir_segment(&d, 51, 0, 100, &v);     /* overlaps 50 */
	assert_int_equal(v.skip, 50);
	assert_int_equal(v.deliver, 50);
	assert_int_equal(d.offset, 150);
}

static void
sequence_wraparound(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_verdict v;

	(void)state;
	mt_tcp_dir_segment(&d, 0xffffff00u, MT_TCP_SYN, 0, &v);
	mt_tcp_dir_segment(&d, 0xffffff01u, 0, 0x200, &v);  /* crosses 2^32 */
	assert_int_equal(v.deliver, 0x200);
	assert_int_equal(d.next_seq, 0x101);
	mt_tcp_dir_segment(&d, 0xfffffff1u, 0, 0x20, &v);   /* old, before the wrap */
	assert_int_equal(v.skip, 0x20);
	mt_tcp_dir_segment(&d, 0x101, 0, 5, &v);
	assert_int_equal(v.deliver, 5);
	assert_int_equal(d.offset, 0x205);
}

static void
gap_is_reported_not_stitched(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_verdict v;

	(void)state;
	mt_tcp_dir_segment(&d, 0, MT_TCP_SYN, 0, &v);
	mt_tcp_dir_segment(&d, 1, 0, 10, &v);
	mt_tcp_dir_segment(&d, 31, 0, 10, &v);
	assert_int_equal(v.gap, 20);
	assert_int_equal(v.deliver, 10);
	assert_int_equal(d.next_seq, 41);
}

static void
midstream_pickup_syncs_on_first_data(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_verdict v;

	(void)state;
	mt_tcp_dir_segment(&d, 5000, MT_TCP_ACK, 0, &v);    /* pure ACK: nothing */
	assert_false(d.synced);
	mt_tcp_dir_segment(&d, 5000, MT_TCP_ACK, 20, &v);
	assert_true(v.midstream);
	assert_int_equal(v.deliver, 20);
	assert_false(d.syn_seen);
}

static void
old_segment_with_fin_does_not_close(void **state)
{
	struct mt_tcp_dir d = { 0 };
	struct mt_tcp_verdict v;

	(void)state;
	mt_tcp_dir_segment(&d, 0, MT_TCP_SYN, 0, &v);
	mt_tcp_dir_segment(&d, 1, 0, 100, &v);
	mt_tcp_dir_segment(&d, 1, MT_TCP_FIN, 10, &v);  /* stale, FIN at 11 < 101 */
	assert_false(d.fin_seen);
	mt_tcp_dir_segment(&d, 101, MT_TCP_FIN, 0, &v);
	assert_true(d.fin_seen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_then_in_order_data),
		cmocka_unit_test(retransmission_and_partial_overlap_are_skipped),
		cmocka_unit_test(sequence_wraparound),
		cmocka_unit_test(gap_is_reported_not_stitched),
		cmocka_unit_test(midstream_pickup_syncs_on_first_data),
		cmocka_unit_test(old_segment_with_fin_does_not_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
