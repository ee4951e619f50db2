/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writer role: take finished mails from every worker's ring and write them
 * to the spool; the mails and their chunks go back to their pools here.
 */
#include <rte_cycles.h>

#include "pipeline_priv.h"

#define WR_BURST 64

static int
workers_done(const struct mt_pipeline *p)
{
	unsigned i;

	for (i = 0; i < p->n_wk; i++)
		if (!__atomic_load_n(&p->wk[i]->done, __ATOMIC_ACQUIRE))
			return 0;
	for (i = 0; i < p->n_wk; i++)
		if (!rte_ring_empty(p->wk[i]->out))
			return 0;
	return 1;
}

unsigned
pl_writer_step(struct pl_writer *wr)
{
	struct mt_pipeline *p = wr->p;
	struct mt_stats *st = mt_stats_self();
	struct mt_mail *mails[WR_BURST];
	struct mt_err err;
	unsigned i, k, n, work = 0;
	char id[32];
	uint64_t now;

	if (wr->done)
		return 0;
	for (i = 0; i < p->n_wk; i++) {
		n = rte_ring_sc_dequeue_burst(p->wk[i]->out, (void **)mails, WR_BURST, NULL);
		for (k = 0; k < n; k++) {
			mt_mail_id(mails[k], p->run_id, id, sizeof(id));
			if (mt_spool_write(wr->spool, mails[k], id, &err) == 0) {
				MT_STAT_INC(st, wr_mails);
				MT_STAT_ADD(st, wr_bytes, mails[k]->size);
			} else {
				MT_STAT_INC(st, wr_errors);
				now = rte_get_tsc_cycles();
				/* at most one line a second */
				if (now - wr->last_err_tsc > rte_get_tsc_hz()) {
					wr->last_err_tsc = now;
					PL_LOG(ERR, "%s", err.msg);
				}
			}
			mt_mail_put(mails[k]);
		}
		work += n;
	}
	if (work == 0 && workers_done(p))
		__atomic_store_n(&wr->done, 1, __ATOMIC_RELEASE);
	return work;
}
