/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "mt_stats.h"

struct mt_stats mt_stats_lcore[RTE_MAX_LCORE];
int mt_stats_cycles_on;

static const char *const stat_names[MT_STAT__COUNT] = {
#define MT_STAT_NAME(n, h) [MT_STAT_##n] = #n,
	MT_STATS_FIELDS(MT_STAT_NAME)
#undef MT_STAT_NAME
};

static const char *const stat_help[MT_STAT__COUNT] = {
#define MT_STAT_HELP(n, h) [MT_STAT_##n] = h,
	MT_STATS_FIELDS(MT_STAT_HELP)
#undef MT_STAT_HELP
};

const char *
mt_stats_name(enum mt_stat s)
{
	return (unsigned)s < MT_STAT__COUNT ? stat_names[s] : "?";
}

const char *
mt_stats_help(enum mt_stat s)
{
	return (unsigned)s < MT_STAT__COUNT ? stat_help[s] : "?";
}

int
mt_stats_is_max(enum mt_stat s)
{
	const char *n = mt_stats_name(s);
	size_t len = strlen(n);

	return strstr(n, "_max_") != NULL || (len > 4 && strcmp(n + len - 4, "_max") == 0);
}

void
mt_stats_sum(struct mt_stats *out)
{
	uint8_t is_max[MT_STAT__COUNT];
	unsigned l, i;

	for (i = 0; i < MT_STAT__COUNT; i++)
		is_max[i] = (uint8_t)mt_stats_is_max(i);
	memset(out, 0, sizeof(*out));
	for (l = 0; l < RTE_MAX_LCORE; l++)
		for (i = 0; i < MT_STAT__COUNT; i++)
			if (!is_max[i])
				out->v[i] += mt_stats_lcore[l].v[i];
			else if (mt_stats_lcore[l].v[i] > out->v[i])
				out->v[i] = mt_stats_lcore[l].v[i];
}

#define V(name) (tot->v[MT_STAT_##name])

static void
check(int *bad, char **p, size_t *left, const char *what, uint64_t lhs, uint64_t rhs)
{
	int n;

	if (lhs == rhs)
		return;
	(*bad)++;
	n = snprintf(*p, *left, "%s: %" PRIu64 " != %" PRIu64 "\n", what, lhs, rhs);
	if (n > 0 && (size_t)n < *left) {
		*p += n;
		*left -= (size_t)n;
	}
}

int
mt_stats_check(const struct mt_stats *tot, char *buf, size_t size)
{
	int bad = 0;

	if (size > 0)
		buf[0] = '\0';
	check(&bad, &buf, &size, "rx_packets = rx_dispatched + rx_drop_*", V(rx_packets),
	      V(rx_dispatched) + V(rx_drop_not_ip) + V(rx_drop_not_tcp) +
		      V(rx_drop_fragment) + V(rx_drop_malformed) + V(rx_drop_not_smtp) +
		      V(rx_drop_policy) + V(rx_drop_ring_full));
	check(&bad, &buf, &size, "rx_dispatched = wk_packets", V(rx_dispatched), V(wk_packets));
	check(&bad, &buf, &size, "mail_started = sum of endings", V(mail_started),
	      V(mail_accepted) + V(mail_rejected) + V(mail_aborted) + V(mail_unconfirmed) +
		      V(mail_incomplete));
	check(&bad, &buf, &size, "mail_started = to_writer + discarded + ring drops + nomem",
	      V(mail_started),
	      V(mail_to_writer) + V(mail_discarded) + V(mail_drop_ring_full) + V(mail_nomem));
	check(&bad, &buf, &size, "mail_to_writer = wr_mails + wr_errors", V(mail_to_writer),
	      V(wr_mails) + V(wr_errors));
	return bad;
}

static void
stats_to_dict(struct rte_tel_data *d, const struct mt_stats *st)
{
	unsigned i;

	rte_tel_data_start_dict(d);
	for (i = 0; i < MT_STAT__COUNT; i++)
		rte_tel_data_add_dict_u64(d, stat_names[i], st->v[i]);
}

static int
tel_stats(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	struct mt_stats tot;

	mt_stats_sum(&tot);
	stats_to_dict(d, &tot);
	return 0;
}

/* /mailtap/lcores[,ID]: without ID, the list of lcores; with one, its block. */
static int
tel_lcores(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	unsigned id;
	char *end;

	if (params == NULL || *params == '\0') {
		rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
		RTE_LCORE_FOREACH(id)
			rte_tel_data_add_array_int(d, (int)id);
		return 0;
	}
	id = (unsigned)strtoul(params, &end, 10);
	if (*end != '\0' || id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(id))
		return -EINVAL;
	stats_to_dict(d, &mt_stats_lcore[id]);
	return 0;
}

int
mt_stats_telemetry_register(void)
{
	int rc;

	rc = rte_telemetry_register_cmd("/mailtap/stats", tel_stats,
					"Returns mailtap counters summed over lcores. No parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/mailtap/lcores", tel_lcores,
						"Returns the lcore ids, or one lcore's counters. "
						"Parameters: int lcore_id");
	return rc;
}
