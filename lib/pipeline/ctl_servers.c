/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_servers.c - /mailtap/servers on DPDK's telemetry socket: the passive
 * fingerprint table (lib/fpsrv, owned by the writer lcore).
 *
 *	/mailtap/servers          the table: servers, capacity, enabled, and
 *	                          "list" - one string per server,
 *	                          "ADDR:PORT known|unknown RULE VERSION SCORE"
 *	                          (RULE "-" when none scored) - from slot 0,
 *	                          at most CTL_PAGE; "next" is the slot to ask
 *	                          for next (-1: done)
 *	/mailtap/servers,N        the same from slot N
 *	/mailtap/servers,ADDR:PORT  one server: verdict fields, the
 *	                          observations held, times, mails annotated
 *
 * A reply is capped at 16 KB, hence the pages.  Entries are copied under
 * the table's lock (see mt_fpsrv.h), never read while the writer changes
 * them.  The table pointer is cleared (under this file's lock) before
 * the table is freed, so a late command finds "enabled": 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "pipeline_priv.h"

#define CTL_PAGE 64

static rte_spinlock_t ctl_lock = RTE_SPINLOCK_INITIALIZER;
static struct mt_fpsrv_table *ctl_tab;

static void
obs_list(uint16_t present, char *buf, size_t size)
{
	size_t len = 0;
	int i, k;

	buf[0] = '\0';
	for (i = 0; i < MT_FP_NOBS; i++) {
		if (!(present & (1u << i)))
			continue;
		k = snprintf(buf + len, size - len, "%s%s", len ? "," : "", mt_fp_obs_name(i));
		if (k < 0 || (size_t)k >= size - len)
			break;
		len += (size_t)k;
	}
}

static void
one_server(struct rte_tel_data *d, const struct mt_fpsrv_info *in)
{
	char buf[256];

	rte_tel_data_start_dict(d);
	mt_fpsrv_key_format(&in->key, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "server", buf);
	rte_tel_data_add_dict_int(d, "known", in->v.known);
	rte_tel_data_add_dict_string(d, "rule", in->v.rule);
	rte_tel_data_add_dict_string(d, "vendor", in->v.vendor);
	rte_tel_data_add_dict_string(d, "product", in->v.product);
	rte_tel_data_add_dict_string(d, "family", in->v.family);
	rte_tel_data_add_dict_string(d, "version", in->v.version);
	rte_tel_data_add_dict_int(d, "score", in->v.score);
	rte_tel_data_add_dict_int(d, "nonbanner", in->v.nonbanner);
	rte_tel_data_add_dict_string(d, "decided", in->v.decided);
	rte_tel_data_add_dict_string(d, "reason", in->v.reason);
	obs_list(in->present, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "observations", buf);
	rte_tel_data_add_dict_u64(d, "first_seen_ns", in->first_ns);
	rte_tel_data_add_dict_u64(d, "last_seen_ns", in->last_ns);
	rte_tel_data_add_dict_u64(d, "mails", in->mails);
}

static int
tel_servers(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *list;
	struct mt_fpsrv_info in;
	struct mt_fpsrv_key key;
	unsigned long from = 0;
	unsigned i, cap, shown = 0;
	long next = -1;
	char line[RTE_TEL_MAX_STRING_LEN], srv[64];
	char *end;
	int rc = 0;

	if (params != NULL && *params != '\0') {
		from = strtoul(params, &end, 10);
		if (*end != '\0') {
			if (mt_fpsrv_key_parse(&key, params) != 0)
				return -EINVAL;
			rte_spinlock_lock(&ctl_lock);
			rc = ctl_tab != NULL ? mt_fpsrv_table_find(ctl_tab, &key, &in) : -ENOENT;
			rte_spinlock_unlock(&ctl_lock);
			if (rc != 0)
				return -EINVAL;
			one_server(d, &in);
			return 0;
		}
	}
	list = rte_tel_data_alloc();
	if (list == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(list, RTE_TEL_STRING_VAL);
	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&ctl_lock);
	rte_tel_data_add_dict_int(d, "enabled", ctl_tab != NULL);
	cap = ctl_tab != NULL ? mt_fpsrv_table_capacity(ctl_tab) : 0;
	rte_tel_data_add_dict_u64(d, "servers", ctl_tab != NULL ? mt_fpsrv_table_count(ctl_tab) : 0);
	rte_tel_data_add_dict_u64(d, "capacity", cap);
	for (i = (unsigned)RTE_MIN(from, (unsigned long)cap); i < cap; i++) {
		if (mt_fpsrv_table_next(ctl_tab, &i, &in) != 0)
			break;
		if (shown == CTL_PAGE) {
			next = i;
			break;
		}
		mt_fpsrv_key_format(&in.key, srv, sizeof(srv));
		snprintf(line, sizeof(line), "%.60s %s %.24s %.24s %d", srv,
			 in.v.known ? "known" : "unknown", in.v.rule[0] ? in.v.rule : "-",
			 in.v.version[0] ? in.v.version : "-", in.v.score);
		rte_tel_data_add_array_string(list, line);
		shown++;
	}
	rte_spinlock_unlock(&ctl_lock);
	rte_tel_data_add_dict_int(d, "next", (int)next);
	rte_tel_data_add_dict_container(d, "list", list, 0);
	return 0;
}

void
pl_ctl_servers_detach(void)
{
	rte_spinlock_lock(&ctl_lock);
	ctl_tab = NULL;
	rte_spinlock_unlock(&ctl_lock);
}

/* The help text must fit RTE_TEL_MAX_STRING_LEN (128), or registration
 * fails with -EINVAL. */
int
pl_ctl_servers_register(struct mt_pipeline *p)
{
	rte_spinlock_lock(&ctl_lock);
	ctl_tab = p->fpsrv;
	rte_spinlock_unlock(&ctl_lock);
	return rte_telemetry_register_cmd("/mailtap/servers", tel_servers,
					  "Passive fingerprints: the server table from a slot, "
					  "or one server. Parameters: int slot | ADDR:PORT");
}
