/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_passive.c - passive fingerprinting in the pipeline (lib/fpsrv).
 *
 * Each worker has a ring of struct mt_fpsrv_obs elements (copied in, no
 * pool) to the writer, which owns the one per-server table: it takes the
 * observations in before each batch of mails, so a mail is annotated
 * with what its worker saw up to the mail's end, and writes each mail's
 * server verdict into its metadata.  A full ring drops the observation
 * (wk_fp_drop_ring_full); the worker will send it again with the next
 * such reply, as it only marks what was sent.  Offline, a worker takes no
 * packets while its ring lacks room for a burst's observations
 * (pl_worker_fp_room), so nothing is dropped.
 */
#include <errno.h>
#include <inttypes.h>

#include <rte_errno.h>
#include <rte_ring_elem.h>

#include "pipeline_priv.h"

#define FP_RING 1024       /* observations in flight per worker */
/* A packet can complete at most one reply of each kind per connection, so
 * a burst of packets at most burst * MT_FPSRV_NKINDS observations. */
#define FP_FILTER 4096     /* servers each worker remembers sending */
#define FP_BUFS 64         /* replies being copied at once per worker */
#define FP_BURST 32
#define FP_LOG_MAX 64      /* servers listed in the log at exit */

static struct mt_fpsrv_obs fp_rx[FP_BURST]; /* the writer's */

/* Room for two bursts' worth, at least FP_RING (a power of two). */
static unsigned
fp_ring_size(const struct mt_pipeline *p)
{
	return RTE_MAX((unsigned)FP_RING, rte_align32pow2(2 * p->conf.burst * MT_FPSRV_NKINDS));
}

int
pl_worker_fp_room(const struct pl_worker *w)
{
	return w->fp_out == NULL ||
	       rte_ring_free_count(w->fp_out) >= w->p->conf.burst * MT_FPSRV_NKINDS;
}

static int
pl_worker_fp_emit(struct mt_session_env *env, const struct mt_fpsrv_obs *o)
{
	struct pl_worker *w = env->emit_arg;

	if (rte_ring_sp_enqueue_elem(w->fp_out, (void *)(uintptr_t)o, sizeof(*o)) == 0)
		return 0;
	MT_STAT_INC(env->st, wk_fp_drop_ring_full);
	return -1;
}

int
pl_fp_setup(struct mt_pipeline *p, struct mt_err *err)
{
	struct mt_fpsrv_table_params tp;
	char name[RTE_RING_NAMESIZE];
	unsigned i;
	int rc, n;

	if (p->conf.fp_rules[0] == '\0')
		return 0;
	p->fp_db = mt_fp_db_new();
	if (p->fp_db == NULL)
		return mt_err_set(err, ENOMEM, "[fingerprint] out of memory");
	rc = mt_fp_db_load_dir(p->fp_db, p->conf.fp_rules, err);
	if (rc != 0)
		return rc;
	n = mt_fp_db_check_examples(p->fp_db, err);
	if (n < 0)
		return n;
	tp = (struct mt_fpsrv_table_params){
		.name = "mt_fpsrv",
		.max_servers = p->conf.fp_max_servers,
		.socket = (int)rte_lcore_to_socket_id(p->wr->lcore),
		.db = p->fp_db,
	};
	p->fpsrv = mt_fpsrv_table_create(&tp, err);
	if (p->fpsrv == NULL)
		return -ENOMEM;
	for (i = 0; i < p->n_wk; i++) {
		struct pl_worker *w = p->wk[i];
		int sock = (int)rte_lcore_to_socket_id(w->lcore);

		snprintf(name, sizeof(name), "mt_w%u_fp", i);
		w->fp_out = rte_ring_create_elem(name, sizeof(struct mt_fpsrv_obs),
						 fp_ring_size(p), sock,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		w->fp = mt_fpsrv_worker_create(FP_FILTER, FP_BUFS, sock);
		if (w->fp_out == NULL || w->fp == NULL)
			return mt_err_set(err, ENOMEM, "[fingerprint] worker %u: %s", i,
					  rte_strerror(rte_errno));
		w->env.fp = w->fp;
		w->env.fp_emit = pl_worker_fp_emit;
	}
	PL_LOG(INFO, "fingerprint: %zu rules from %s (%d examples pass), table of %u servers",
	       mt_fp_db_nrules(p->fp_db), p->conf.fp_rules, n, p->conf.fp_max_servers);
	return 0;
}

/* The table at exit, in the log: one line per server (bounded). */
static void
fp_log(struct mt_pipeline *p)
{
	struct mt_fpsrv_info in;
	unsigned i, shown = 0, n = mt_fpsrv_table_count(p->fpsrv);
	char srv[64];

	PL_LOG(NOTICE, "fingerprint: %u server(s) seen", n);
	for (i = 0; i < mt_fpsrv_table_capacity(p->fpsrv) && shown < FP_LOG_MAX; i++) {
		if (mt_fpsrv_table_next(p->fpsrv, &i, &in) != 0)
			break;
		shown++;
		mt_fpsrv_key_format(&in.key, srv, sizeof(srv));
		PL_LOG(NOTICE, "fingerprint server %s %s rule=%s product=\"%s\" version=\"%s\" "
		       "score=%d nonbanner=%u decided=%s reason=\"%s\" mails=%" PRIu64,
		       srv, in.v.known ? "known" : "unknown", in.v.rule[0] ? in.v.rule : "-",
		       in.v.product, in.v.version, in.v.score, in.v.nonbanner,
		       in.v.decided[0] ? in.v.decided : "-", in.v.reason, in.mails);
	}
}

void
pl_fp_free(struct mt_pipeline *p)
{
	unsigned i;

	for (i = 0; i < p->n_wk; i++) {
		if (p->wk[i] == NULL)
			continue;
		rte_ring_free(p->wk[i]->fp_out);
		mt_fpsrv_worker_free(p->wk[i]->fp);
		p->wk[i]->fp_out = NULL;
		p->wk[i]->fp = NULL;
	}
	pl_ctl_servers_detach();
	if (p->fpsrv != NULL)
		fp_log(p);
	mt_fpsrv_table_free(p->fpsrv);
	mt_fp_db_free(p->fp_db);
	p->fpsrv = NULL;
	p->fp_db = NULL;
}

unsigned
pl_writer_fp_step(struct mt_pipeline *p, struct mt_stats *st, unsigned max)
{
	struct mt_fpsrv_counters c = { 0 };
	unsigned i, k, n, total = 0, mine, cap;

	if (p->fpsrv == NULL)
		return 0;
	for (i = 0; i < p->n_wk; i++) {
		/* at most a ring's worth each call: what was queued when it
		 * started, not what a busy worker adds meanwhile */
		cap = max ? max : rte_ring_get_capacity(p->wk[i]->fp_out);
		mine = 0;
		do {
			n = rte_ring_sc_dequeue_burst_elem(p->wk[i]->fp_out, fp_rx,
							   sizeof(fp_rx[0]),
							   RTE_MIN((unsigned)FP_BURST, cap - mine),
							   NULL);
			for (k = 0; k < n; k++)
				mt_fpsrv_table_add(p->fpsrv, &fp_rx[k], &c);
			mine += n;
		} while (n > 0 && mine < cap);
		total += mine;
	}
	MT_STAT_ADD(st, wr_fp_obs, c.obs);
	MT_STAT_ADD(st, wr_fp_obs_new, c.obs_new);
	MT_STAT_ADD(st, wr_fp_classified, mt_fpsrv_table_classified(p->fpsrv));
	MT_STAT_ADD(st, wr_fp_servers_evicted, c.evicted);
	MT_STAT_ADD(st, wr_fp_obs_truncated, c.truncated);
	return total;
}

static void
set(struct mt_mail *m, struct mt_mail_str *dst, const char *s)
{
	mt_mail_set_aux(m, dst, s, strlen(s));
}

void
pl_writer_fp_annotate(struct mt_pipeline *p, struct mt_mail **mails, unsigned n)
{
	const struct mt_fpsrv_verdict *v;
	struct mt_fpsrv_key k;
	unsigned i;

	if (p->fpsrv == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct mt_mail *m = mails[i];

		mt_fpsrv_key_from_flow(&k, &m->key);
		v = mt_fpsrv_table_mail(p->fpsrv, &k);
		if (v == NULL)
			continue;
		m->fp_state = v->known ? 2 : 1;
		m->fp_score = v->score;
		m->fp_nonbanner = v->nonbanner;
		set(m, &m->fp_rule, v->rule);
		set(m, &m->fp_vendor, v->vendor);
		set(m, &m->fp_product, v->product);
		set(m, &m->fp_family, v->family);
		set(m, &m->fp_version, v->version);
		set(m, &m->fp_decided, v->decided);
		set(m, &m->fp_reason, v->reason);
	}
}
