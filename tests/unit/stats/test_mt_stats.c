/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/stats/mt_stats: sums over lcores, high-water marks, stage cycles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mt_stats.h"

static void
reset(void)
{
	memset(mt_stats_lcore, 0, sizeof(mt_stats_lcore));
	mt_stats_cycles_on = 0;
}

static void
sum_adds_counters_and_takes_the_max_of_high_water_marks(void **state)
{
	struct mt_stats tot;

	(void)state;
	reset();
	mt_stats_lcore[0].v[MT_STAT_rx_packets] = 5;
	mt_stats_lcore[3].v[MT_STAT_rx_packets] = 7;
	mt_stats_lcore[1].v[MT_STAT_wk_flows_max] = 40;
	mt_stats_lcore[2].v[MT_STAT_wk_flows_max] = 90;
	mt_stats_lcore[2].v[MT_STAT_rx_poll_gap_max_us] = 12;
	mt_stats_lcore[5].v[MT_STAT_rx_poll_gap_max_us] = 3;
	mt_stats_sum(&tot);
	assert_int_equal(tot.v[MT_STAT_rx_packets], 12);
	assert_int_equal(tot.v[MT_STAT_wk_flows_max], 90);
	assert_int_equal(tot.v[MT_STAT_rx_poll_gap_max_us], 12);
}

static void
only_max_counters_are_high_water_marks(void **state)
{
	unsigned i, n = 0;

	(void)state;
	for (i = 0; i < MT_STAT__COUNT; i++) {
		const char *name = mt_stats_name(i);

		if (mt_stats_is_max(i)) {
			n++;
			assert_non_null(strstr(name, "_max"));
		}
	}
	assert_true(mt_stats_is_max(MT_STAT_pool_pkts_max));
	assert_true(mt_stats_is_max(MT_STAT_wr_step_max_us));
	assert_false(mt_stats_is_max(MT_STAT_mail_truncated));
	assert_false(mt_stats_is_max(MT_STAT_wk_cycles));
	assert_true(n >= 7); /* the seven of the stage and gauge counters */
}

static void
stage_cycles_count_only_when_on(void **state)
{
	struct mt_stats st;
	uint64_t t0;

	(void)state;
	reset();
	memset(&st, 0, sizeof(st));
	t0 = mt_stats_tsc();
	assert_true(t0 == 0);
	mt_stats_cycles_add(&st, MT_STAT_wk_cycles, t0);
	assert_int_equal(st.v[MT_STAT_wk_cycles], 0);
	mt_stats_cycles_on = 1;
	t0 = mt_stats_tsc();
	assert_true(t0 != 0);
	mt_stats_cycles_add(&st, MT_STAT_wk_cycles, t0);
	assert_true(st.v[MT_STAT_wk_cycles] > 0);
	mt_stats_max(&st, MT_STAT_wk_step_max_us, 9);
	mt_stats_max(&st, MT_STAT_wk_step_max_us, 4);
	assert_int_equal(st.v[MT_STAT_wk_step_max_us], 9);
	reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sum_adds_counters_and_takes_the_max_of_high_water_marks),
		cmocka_unit_test(only_max_counters_are_high_water_marks),
		cmocka_unit_test(stage_cycles_count_only_when_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
