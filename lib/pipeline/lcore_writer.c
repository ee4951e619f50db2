/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writer role: take finished mails from every worker's ring, append them
 * to the spool's current segment in batches (lib/spool), and return the
 * mails and their chunks to their pools.
 *
 * When the spool fails (disk full, I/O error) the writer pauses: it keeps
 * the batch it holds, stops dequeuing - so the worker rings are the
 * bounded queue, and live workers drop and count (mail_drop_ring_full)
 * once they fill, offline ones wait - retries every WR_RETRY_MS, logs an
 * alert at most every WR_ALERT_S, and resumes by itself.  Nothing is
 * lost or torn by the failure itself.  Only when asked to quit while the
 * spool still fails does it give mails up, counted in wr_errors.
 *
 * There is one writer per pipeline, so its state is this file's.
 */
#include <errno.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "pipeline_priv.h"

#define WR_RETRY_MS 250
#define WR_ALERT_S 10
#define WR_TICK_MS 100
/*
 * Message bytes one step takes at most (a mail is never split): a step
 * that writes tens of MB (256 mails, or a few large ones) keeps an lcore
 * that also runs RX from polling for tens of ms, longer than a port queue
 * lasts at a few hundred kpps (docs/PERFORMANCE.md, loss sweep).  1 MiB is
 * about 1 ms of writing here, and still large enough to amortise pwritev.
 */
#define WR_STEP_BYTES (1u << 20)
#define WR_DEQ 8u

static struct {
	struct mt_mail *held[MT_SPOOL_BATCH]; /* dequeued, not yet written */
	unsigned n_held;
	unsigned next_ring;
	int configured;
	int paused;
	uint64_t pause_tsc, retry_tsc, alert_tsc, tick_tsc;
	struct mt_spool_counters seen;        /* already added to lib/stats */
} ws;

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

static uint64_t
ms_tsc(uint64_t ms)
{
	return rte_get_tsc_hz() / 1000 * ms;
}

/* Add what the spool counted since last time to this lcore's counters. */
static void
mirror_counters(struct pl_writer *wr, struct mt_stats *st)
{
	const struct mt_spool_counters *c = mt_spool_counters(wr->spool);

#define D(field) (c->field - ws.seen.field)
	MT_STAT_ADD(st, wr_mails, D(mails));
	MT_STAT_ADD(st, wr_bytes, D(bytes));
	MT_STAT_ADD(st, wr_writes, D(writes));
	MT_STAT_ADD(st, wr_segments, D(segments));
	MT_STAT_ADD(st, wr_fsyncs, D(fsyncs));
	MT_STAT_ADD(st, wr_fsync_us, c->fsync_ns / 1000 - ws.seen.fsync_ns / 1000);
	MT_STAT_ADD(st, wr_write_failures, D(write_errors));
	MT_STAT_ADD(st, wr_recovered_segments, D(recovered_segments));
	MT_STAT_ADD(st, wr_recovered_mails, D(recovered_mails));
	MT_STAT_ADD(st, wr_torn_mails, D(torn_mails));
	MT_STAT_ADD(st, wr_torn_bytes, D(torn_bytes));
	MT_STAT_ADD(st, wr_retention_removed, D(removed_segments));
	MT_STAT_ADD(st, wr_retention_unconsumed, D(removed_unconsumed));
#undef D
	ws.seen = *c;
}

static void
configure(struct pl_writer *wr)
{
	const struct mt_conf *c = &wr->p->conf;
	const struct mt_spool_counters *ctr = mt_spool_counters(wr->spool);
	struct mt_spool_params prm = {
		.segment_max_bytes = c->spool_segment_max_bytes,
		.segment_max_age_s = c->spool_segment_max_age_s,
		.fsync = (enum mt_spool_fsync)c->spool_fsync,
		.retain_max_bytes = c->spool_retain_max_bytes,
		.retain_max_age_s = c->spool_retain_max_age_s,
	};

	mt_spool_config(wr->spool, &prm);
	if (ctr->recovered_segments || ctr->torn_mails)
		PL_LOG(NOTICE, "spool %s: recovered %" PRIu64 " unpublished segment(s) with %"
		       PRIu64 " whole mail(s); cut %" PRIu64 " torn mail(s), %" PRIu64 " bytes",
		       mt_spool_dir(wr->spool), ctr->recovered_segments, ctr->recovered_mails,
		       ctr->torn_mails, ctr->torn_bytes);
	ws.configured = 1;
}

#define ALERT_BUF (64u << 10)

/* Append the alerts of the mails just written to the alert file (one
 * write per batch; a line never straddles two writes). */
static void
write_alerts(struct pl_writer *wr, struct mt_stats *st, struct mt_mail **mails, unsigned n)
{
	static char buf[ALERT_BUF];
	static uint64_t err_tsc;
	struct mt_pipeline *p = wr->p;
	size_t len = 0, k;
	unsigned i, lines = 0;
	char id[32];
	ssize_t w;

	if (p->alert_fd < 0)
		return;
	for (i = 0; i <= n; i++) {
		if (i < n && mails[i]->n_alerts == 0)
			continue;
		if (i < n) {
			mt_mail_id(mails[i], mt_spool_run_id(wr->spool), id, sizeof(id));
			k = mt_mail_alerts_json(mails[i], id, buf + len, ALERT_BUF - len);
			if (k < ALERT_BUF - len) {
				len += k;
				lines += mails[i]->n_alerts;
				continue;
			}
		}
		/* flush (end of batch, or this mail does not fit) */
		if (len > 0) {
			w = write(p->alert_fd, buf, len);
			if (w == (ssize_t)len) {
				MT_STAT_ADD(st, scan_alerts_written, lines);
			} else {
				MT_STAT_ADD(st, scan_alerts_dropped, lines);
				if (rte_get_tsc_cycles() - err_tsc > rte_get_tsc_hz() * WR_ALERT_S) {
					err_tsc = rte_get_tsc_cycles();
					PL_LOG(ERR, "alert file %s: %s", p->alert_path,
					       w < 0 ? strerror(errno) : "short write");
				}
			}
			len = 0;
			lines = 0;
		}
		if (i < n) {
			k = mt_mail_alerts_json(mails[i], id, buf, ALERT_BUF);
			if (k < ALERT_BUF) {
				len = k;
				lines = mails[i]->n_alerts;
			} else {
				MT_STAT_ADD(st, scan_alerts_dropped, mails[i]->n_alerts);
			}
		}
	}
}

/* Write what is held; on failure pause (or, quitting, give the rest up). */
static void
write_held(struct pl_writer *wr, struct mt_stats *st, uint64_t now)
{
	struct mt_err err;
	unsigned k, w;

	w = mt_spool_write_burst(wr->spool, ws.held, ws.n_held, &err);
	write_alerts(wr, st, ws.held, w);
	for (k = 0; k < w; k++)
		mt_mail_put(ws.held[k]);
	if (w == ws.n_held) {
		ws.n_held = 0;
		if (ws.paused) {
			ws.paused = 0;
			PL_LOG(NOTICE, "spool %s: writing again after %.1f s paused",
			       mt_spool_dir(wr->spool),
			       (double)(now - ws.pause_tsc) / (double)rte_get_tsc_hz());
		}
		return;
	}
	memmove(ws.held, ws.held + w, (ws.n_held - w) * sizeof(ws.held[0]));
	ws.n_held -= w;
	if (mt_pipeline_quit) {
		/* asked to stop and the spool still fails: give up, counted */
		MT_STAT_ADD(st, wr_errors, ws.n_held);
		for (k = 0; k < ws.n_held; k++) {
			MT_STAT_ADD(st, scan_alerts_dropped, ws.held[k]->n_alerts);
			mt_mail_put(ws.held[k]);
		}
		PL_LOG(ERR, "%s; quitting: %u mail(s) not written", err.msg, ws.n_held);
		ws.n_held = 0;
		return;
	}
	if (!ws.paused) {
		ws.paused = 1;
		ws.pause_tsc = now;
		ws.alert_tsc = 0;
		MT_STAT_INC(st, wr_paused);
	}
	ws.retry_tsc = now + ms_tsc(WR_RETRY_MS);
	if (ws.alert_tsc == 0 || now - ws.alert_tsc >= WR_ALERT_S * rte_get_tsc_hz()) {
		ws.alert_tsc = now;
		PL_LOG(ERR, "ALERT %s; writer paused, %u mail(s) held, retrying every %d ms%s",
		       err.msg, ws.n_held, WR_RETRY_MS,
		       wr->p->offline ? "; workers wait" :
				       "; mails are dropped (mail_drop_ring_full) once the rings fill");
	}
}

unsigned
pl_writer_step(struct pl_writer *wr)
{
	struct mt_pipeline *p = wr->p;
	struct mt_stats *st = mt_stats_self();
	unsigned i, k, r, n, work = 0;
	uint64_t now, t0, bytes = 0;
	struct mt_err err;
	int ticked = 0;

	if (wr->done)
		return 0;
	if (!ws.configured)
		configure(wr);
	t0 = mt_stats_tsc();
	now = rte_get_tsc_cycles();
	if (ws.n_held > 0) {
		if (now >= ws.retry_tsc || mt_pipeline_quit) {
			write_held(wr, st, now);
			work = 1;
		}
	} else {
		for (i = 0; i < p->n_wk && ws.n_held < MT_SPOOL_BATCH && bytes < WR_STEP_BYTES;
		     i++) {
			r = (ws.next_ring + i) % p->n_wk;
			do {
				n = rte_ring_sc_dequeue_burst(p->wk[r]->out,
							      (void **)ws.held + ws.n_held,
							      RTE_MIN(WR_DEQ, (unsigned)MT_SPOOL_BATCH - ws.n_held),
							      NULL);
				for (k = 0; k < n; k++)
					bytes += ws.held[ws.n_held + k]->size;
				ws.n_held += n;
			} while (n > 0 && ws.n_held < MT_SPOOL_BATCH && bytes < WR_STEP_BYTES);
		}
		ws.next_ring = (ws.next_ring + 1) % (p->n_wk ? p->n_wk : 1);
		work += ws.n_held;
		/* fp_passive.c: the observations a worker sent before the mails
		 * just taken, then each mail's server verdict */
		work += pl_writer_fp_step(p, st, 0);
		pl_writer_fp_annotate(p, ws.held, ws.n_held);
		if (ws.n_held > 0)
			write_held(wr, st, now);
	}
	if (now - ws.tick_tsc >= ms_tsc(WR_TICK_MS)) {
		ws.tick_tsc = now;
		ticked = 1;
		if (mt_spool_tick(wr->spool, &err) != 0 && !ws.paused)
			PL_LOG(WARNING, "%s (retrying)", err.msg);
	}
	if (work == 0 && ws.n_held == 0 && workers_done(p)) {
		pl_writer_fp_step(p, st, 0); /* what the last workers sent */
		if (mt_spool_publish(wr->spool, &err) != 0) {
			if (!mt_pipeline_quit) {
				mirror_counters(wr, st);
				return 0; /* retried on the next step */
			}
			PL_LOG(ERR, "%s; left in tmp/ for recovery at the next start", err.msg);
		}
		__atomic_store_n(&wr->done, 1, __ATOMIC_RELEASE);
	}
	mirror_counters(wr, st);
	if (t0 != 0 && (work != 0 || ticked)) {
		now = rte_rdtsc();
		st->v[MT_STAT_wr_cycles] += now - t0;
		mt_stats_max(st, MT_STAT_wr_step_max_us, (now - t0) * 1000000 / rte_get_tsc_hz());
	}
	return work;
}
