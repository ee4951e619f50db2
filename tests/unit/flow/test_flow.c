/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/flow: oriented keys, symmetric hash, bounded table, idle sweep. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mt_common.h"
#include "mt_flow.h"
#include "mt_test_eal.h"

static struct mt_pkt
pkt(uint32_t cli, uint16_t cport, int c2s)
{
	struct mt_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = 4;
	if (c2s) {
		memcpy(p.saddr, &cli, 4);
		memcpy(p.daddr, "\xc0\x00\x02\x19", 4);
		p.sport = cport;
		p.dport = 25;
	} else {
		memcpy(p.daddr, &cli, 4);
		memcpy(p.saddr, "\xc0\x00\x02\x19", 4);
		p.dport = cport;
		p.sport = 25;
	}
	return p;
}

static void
both_directions_give_one_key_and_hash(void **state)
{
	struct mt_flow_key a, b;
	struct mt_pkt p = pkt(0x07643398, 40001, 1), q = pkt(0x07643398, 40001, 0);
	char s[128];

	(void)state;
	mt_flow_key_from_pkt(&a, &p, MT_DIR_C2S);
	mt_flow_key_from_pkt(&b, &q, MT_DIR_S2C);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(mt_flow_key_hash(&a), mt_flow_key_hash(&b));
	assert_string_equal(mt_flow_key_str(&a, s, sizeof(s)), "152.51.100.7:40001 > 192.0.2.25:25");
}

static void
table_is_bounded_and_slots_are_reused(void **state)
{
	struct mt_flow_table_params prm = { .name = "t_flows", .max_flows = 64,
					    .slot_size = 256, .socket_id = 0 };
	struct mt_flow_table *t = mt_flow_table_create(&prm);
	struct mt_flow_slot *s, *first = NULL;
	struct mt_flow_key k;
	struct mt_pkt p;
	unsigned i, added = 0;
	int rc;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 200; i++) {
		p = pkt(0x01000000u + i, (uint16_t)(1024 + i), 1);
		mt_flow_key_from_pkt(&k, &p, MT_DIR_C2S);
		rc = mt_flow_table_add(t, &k, mt_flow_key_hash(&k), &s);
		if (rc == -ENOSPC)
			break;
		assert_int_equal(rc, 0);
		if (first == NULL)
			first = s;
		added++;
	}
	assert_true(added >= 64 && added < 200);
	assert_int_equal(mt_flow_table_count(t), added);
	/* lookup finds the first; a duplicate add is refused */
	p = pkt(0x01000000u, 1024, 0);
	mt_flow_key_from_pkt(&k, &p, MT_DIR_S2C);
	assert_ptr_equal(mt_flow_table_lookup(t, &k, mt_flow_key_hash(&k)), first);
	assert_int_equal(mt_flow_table_add(t, &k, mt_flow_key_hash(&k), &s), -EEXIST);
	mt_flow_table_del(t, first);
	assert_null(mt_flow_table_lookup(t, &k, mt_flow_key_hash(&k)));
	assert_int_equal(mt_flow_table_add(t, &k, mt_flow_key_hash(&k), &s), 0);
	mt_flow_table_free(t);
}

static unsigned expired;

static void
expire(struct mt_flow_slot *s, void *arg)
{
	expired++;
	mt_flow_table_del(arg, s);
}

static struct mt_flow_slot *
add(struct mt_flow_table *t, uint32_t cli)
{
	struct mt_flow_slot *s;
	struct mt_flow_key k;
	struct mt_pkt p = pkt(cli, 2000, 1);

	mt_flow_key_from_pkt(&k, &p, MT_DIR_C2S);
	assert_int_equal(mt_flow_table_add(t, &k, mt_flow_key_hash(&k), &s), 0);
	return s;
}

static void
expiry_follows_each_class_timeout_oldest_first(void **state)
{
	struct mt_flow_table_params prm = { .name = "t_exp", .max_flows = 128,
					    .slot_size = 128, .socket_id = 0 };
	struct mt_flow_table *t = mt_flow_table_create(&prm);
	const uint64_t timeout[MT_FLOW_NCLASS] = { 30, 10, 300 };
	struct mt_flow_slot *s[100];
	unsigned i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 100; i++) {
		s[i] = add(t, 0x02000000u + i);
		/* 0-29 handshake, 30-59 closing, 60-99 established */
		mt_flow_table_touch(t, s[i], i < 30 ? MT_FLOW_HANDSHAKE :
				    i < 60 ? MT_FLOW_CLOSING : MT_FLOW_ESTABLISHED, 1000 + i);
	}
	/* a later packet moves 60 to the end of its class */
	mt_flow_table_touch(t, s[60], MT_FLOW_ESTABLISHED, 1200);
	expired = 0;
	/* at 1050: handshake flows idle since <= 1020 and closing ones since
	 * <= 1040 are due: 0..20 and 30..40 */
	mt_flow_table_expire(t, 1050, timeout, 1000, expire, t);
	assert_int_equal(expired, 21 + 11);
	assert_int_equal(mt_flow_table_count(t), 100 - 32);
	/* the budget bounds the work of one call */
	expired = 0;
	assert_int_equal(mt_flow_table_expire(t, 1399, timeout, 5, expire, t), 5);
	/* at 1399 every established flow but 60 (touched at 1200) is due */
	mt_flow_table_expire(t, 1399, timeout, 1000, expire, t);
	assert_int_equal(mt_flow_table_count(t), 1);
	assert_true(s[60]->in_use);
	mt_flow_table_free(t);
}

static void
eviction_takes_handshake_flows_before_mail_sessions(void **state)
{
	struct mt_flow_table_params prm = { .name = "t_evict", .max_flows = 64,
					    .slot_size = 128, .socket_id = 0 };
	struct mt_flow_table *t = mt_flow_table_create(&prm);
	struct mt_flow_slot *est, *syn1, *syn2;

	(void)state;
	assert_non_null(t);
	est = add(t, 0x03000001);
	mt_flow_table_touch(t, est, MT_FLOW_ESTABLISHED, 1);   /* oldest of all */
	syn1 = add(t, 0x03000002);
	mt_flow_table_touch(t, syn1, MT_FLOW_HANDSHAKE, 5);
	syn2 = add(t, 0x03000003);
	mt_flow_table_touch(t, syn2, MT_FLOW_HANDSHAKE, 6);
	expired = 0;
	assert_int_equal(mt_flow_table_evict(t, expire, t), 0);
	assert_false(syn1->in_use);
	assert_true(est->in_use && syn2->in_use);
	assert_int_equal(mt_flow_table_evict(t, expire, t), 0);
	assert_false(syn2->in_use);
	assert_int_equal(mt_flow_table_evict(t, expire, t), 0);
	assert_false(est->in_use);
	assert_int_equal(mt_flow_table_evict(t, expire, t), -ENOENT);
	mt_flow_table_free(t);
}

struct walk_log {
	uint32_t cli[16];
	unsigned n;
};

static void
log_slot(struct mt_flow_slot *s, void *arg)
{
	struct walk_log *l = arg;
	uint32_t cli;

	memcpy(&cli, s->key.cli, 4);
	l->cli[l->n++] = cli;
}

static void
gauges_and_pages_follow_adds_deletes_and_class_moves(void **state)
{
	struct mt_flow_table_params prm = { .name = "t_gauge", .max_flows = 32,
					    .slot_size = 128, .socket_id = 0 };
	struct mt_flow_table *t = mt_flow_table_create(&prm);
	struct mt_flow_table_gauges g;
	struct mt_flow_slot *s[10];
	struct walk_log l = { .n = 0 };
	unsigned i;

	(void)state;
	assert_non_null(t);
	mt_flow_table_gauges(t, &g);
	assert_int_equal(g.capacity, 32);
	assert_int_equal(g.active + g.high_water + g.oldest_first_tsc, 0);
	for (i = 0; i < 10; i++) {
		s[i] = add(t, 0x04000000u + i);
		mt_flow_table_touch(t, s[i], MT_FLOW_HANDSHAKE, 100 + i);
	}
	/* 2..5 carry data, 6 and 7 close; 2 is seen again later */
	for (i = 2; i < 6; i++)
		mt_flow_table_touch(t, s[i], MT_FLOW_ESTABLISHED, 200 + i);
	mt_flow_table_touch(t, s[6], MT_FLOW_CLOSING, 300);
	mt_flow_table_touch(t, s[7], MT_FLOW_CLOSING, 301);
	mt_flow_table_touch(t, s[2], MT_FLOW_ESTABLISHED, 400);
	mt_flow_table_gauges(t, &g);
	assert_int_equal(g.active, 10);
	assert_int_equal(g.by_class[MT_FLOW_HANDSHAKE], 4);   /* 0, 1, 8, 9 */
	assert_int_equal(g.by_class[MT_FLOW_ESTABLISHED], 4);
	assert_int_equal(g.by_class[MT_FLOW_CLOSING], 2);
	assert_int_equal(g.high_water, 10);
	assert_int_equal(g.oldest_first_tsc, 100);           /* s[0]: first touch */
	assert_int_equal(g.idlest_tsc[MT_FLOW_HANDSHAKE], 100);
	assert_int_equal(g.idlest_tsc[MT_FLOW_ESTABLISHED], 203);  /* 2 moved on */
	assert_int_equal(g.idlest_tsc[MT_FLOW_CLOSING], 300);
	assert_int_equal(s[2]->first_tsc, 102);               /* later touches keep it */

	/* the oldest go, counts and the oldest age follow; the mark stays */
	mt_flow_table_del(t, s[0]);
	mt_flow_table_del(t, s[3]);
	mt_flow_table_del(t, s[6]);
	mt_flow_table_gauges(t, &g);
	assert_int_equal(g.active, 7);
	assert_int_equal(g.by_class[MT_FLOW_HANDSHAKE] + g.by_class[MT_FLOW_ESTABLISHED] +
			 g.by_class[MT_FLOW_CLOSING], 7);
	assert_int_equal(g.by_class[MT_FLOW_CLOSING], 1);
	assert_int_equal(g.high_water, 10);
	assert_int_equal(g.oldest_first_tsc, 101);
	assert_int_equal(g.idlest_tsc[MT_FLOW_ESTABLISHED], 204);

	/* pages in creation order: 1 2 4 5 7 8 9, by 3 */
	assert_int_equal(mt_flow_table_walk(t, NULL, 0, 3, log_slot, &l), 3);
	assert_int_equal(mt_flow_table_walk(t, NULL, 3, 3, log_slot, &l), 3);
	assert_int_equal(mt_flow_table_walk(t, NULL, 6, 3, log_slot, &l), 1);
	assert_int_equal(mt_flow_table_walk(t, NULL, 9, 3, log_slot, &l), 0);
	{
		static const uint32_t order[] = { 1, 2, 4, 5, 7, 8, 9 };

		assert_int_equal(l.n, 7);
		for (i = 0; i < 7; i++)
			assert_int_equal(l.cli[i], 0x04000000u + order[i]);
	}
	/* a slot reused by a new connection is the youngest */
	s[0] = add(t, 0x04000100u);
	mt_flow_table_touch(t, s[0], MT_FLOW_HANDSHAKE, 500);
	l.n = 0;
	mt_flow_table_walk(t, NULL, 7, 3, log_slot, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.cli[0], 0x04000100u);
	assert_int_equal(s[0]->first_tsc, 500);

	/* with a cursor: page after page, each from where the last ended
	 * (the skip is ignored: 99 would find nothing) */
	{
		static const uint32_t order[] = { 1, 2, 4, 5, 7, 8, 9, 0x100 };
		struct mt_flow_cursor cur = { .idx = MT_FLOW_CURSOR_NONE };

		l.n = 0;
		assert_int_equal(mt_flow_table_walk(t, &cur, 0, 3, log_slot, &l), 3);
		assert_int_equal(mt_flow_table_walk(t, &cur, 99, 3, log_slot, &l), 3);
		assert_int_equal(mt_flow_table_walk(t, &cur, 99, 3, log_slot, &l), 2);
		assert_int_equal(cur.idx, MT_FLOW_CURSOR_NONE);
		for (i = 0; i < 8; i++)
			assert_int_equal(l.cli[i], 0x04000000u + order[i]);
		/* a cursor on a flow that has gone: the skip counts again */
		cur.idx = MT_FLOW_CURSOR_NONE;
		l.n = 0;
		mt_flow_table_walk(t, &cur, 0, 2, log_slot, &l);   /* 1 2, cursor on 4 */
		mt_flow_table_del(t, s[4]);
		assert_int_equal(mt_flow_table_walk(t, &cur, 2, 2, log_slot, &l), 2);
		assert_int_equal(l.cli[2], 0x04000000u + 5);       /* 5 7: skip 2 from 1 */
		/* ... and one whose slot a new flow took */
		mt_flow_table_walk(t, &cur, 0, 0, log_slot, &l);   /* cursor stays on 8 */
		mt_flow_table_del(t, s[8]);
		s[8] = add(t, 0x04000200u);
		mt_flow_table_touch(t, s[8], MT_FLOW_HANDSHAKE, 600);
		l.n = 0;
		assert_int_equal(mt_flow_table_walk(t, &cur, 4, 9, log_slot, &l), 3);
		assert_int_equal(l.cli[0], 0x04000000u + 9);       /* 9 0x100 0x200 */
		assert_int_equal(l.cli[2], 0x04000200u);
	}
	mt_flow_table_free(t);
}

static int
setup(void **state)
{
	(void)state;
	return mt_test_eal_init("flow");
}

static int
teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_directions_give_one_key_and_hash),
		cmocka_unit_test(table_is_bounded_and_slots_are_reused),
		cmocka_unit_test(expiry_follows_each_class_timeout_oldest_first),
		cmocka_unit_test(eviction_takes_handshake_flows_before_mail_sessions),
		cmocka_unit_test(gauges_and_pages_follow_adds_deletes_and_class_moves),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
