/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker role: dequeue packets from the RX rings, find the connection,
 * feed the session (TCP order, SMTP automaton, mail rebuild), and hand
 * finished mails to the writer ring.
 */
#include <errno.h>
#include <inttypes.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_prefetch.h>

#include "mt_decode.h"
#include "pipeline_priv.h"

#define EXPIRE_BUDGET 64 /* connections expired per step at most */

/*
 * The timestamp field's unit is the driver's: net_pcap in DPDK 22.11 gives
 * microseconds since the epoch, later versions nanoseconds.  Both are
 * unambiguous for real dates: in ns, any time after 1973 is over 1e17; in
 * us, any time before the year 5000 is under it.
 */
static inline uint64_t
capture_ns(uint64_t t)
{
	return t < UINT64_C(100000000000000000) ? t * 1000 : t;
}

static void
key_from_meta(struct mt_flow_key *k, const struct mt_pkt_meta *meta, const uint8_t *d)
{
	const uint8_t *ip = d + meta->l3_off, *tcp = d + meta->l4_off;
	const uint8_t *src, *dst;
	size_t alen = meta->family == 6 ? 16 : 4;
	uint16_t sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
	uint16_t dport = (uint16_t)(tcp[2] << 8 | tcp[3]);

	src = meta->family == 6 ? ip + 8 : ip + 12;
	dst = meta->family == 6 ? ip + 24 : ip + 16;
	memset(k, 0, sizeof(*k));
	k->family = meta->family;
	if (meta->dir == MT_DIR_C2S) {
		memcpy(k->srv, dst, alen);
		memcpy(k->cli, src, alen);
		k->srv_port = dport;
		k->cli_port = sport;
	} else {
		memcpy(k->srv, src, alen);
		memcpy(k->cli, dst, alen);
		k->srv_port = sport;
		k->cli_port = dport;
	}
}

void
pl_worker_emit(struct mt_session_env *env, struct mt_mail *m)
{
	struct pl_worker *w = env->emit_arg;
	uint64_t size = m->size;

	if (w->n_stash == 0 && rte_ring_sp_enqueue(w->out, m) == 0)
		goto sent;
	if (w->p->offline && w->n_stash < PL_STASH) {
		/* Keep order: once stashing, everything goes to the stash. */
		w->stash[w->n_stash++] = m;
		goto sent;
	}
	MT_STAT_INC(env->st, mail_drop_ring_full);
	MT_STAT_ADD(env->st, scan_alerts_dropped, m->n_alerts);
	/* a lost mail is an alert-worthy event: one line a second at most */
	if (rte_get_tsc_cycles() - w->drop_log_tsc > rte_get_tsc_hz()) {
		w->drop_log_tsc = rte_get_tsc_cycles();
		PL_LOG(WARNING, "ALERT worker %u: writer ring full, mail dropped "
		       "(mail_drop_ring_full=%" PRIu64 "): the writer is behind",
		       w->idx, env->st->v[MT_STAT_mail_drop_ring_full]);
	}
	mt_mail_put(m);
	return;
sent:
	MT_STAT_INC(env->st, mail_to_writer);
	MT_STAT_ADD(env->st, mail_bytes, size);
}

/*
 * Out-of-order segments are held without a copy: the piece references the
 * packet's mbuf, whose reference count keeps it out of the pool.  A payload
 * that was not contiguous (a chained mbuf, read into the scratch buffer)
 * is copied into a chunk.  The worker holds at most max_ooo_pieces, so
 * reordering cannot drain the packet pool.
 */
int
pl_worker_hold(struct mt_session_env *env, struct mt_tcp_piece *pc)
{
	struct pl_worker *w = env->emit_arg;
	struct rte_mbuf *m = pc->ref;

	if (w->ooo_pieces >= w->max_ooo_pieces)
		goto refuse;
	if (m != NULL) {
		rte_mbuf_refcnt_update(m, 1);
	} else {
		m = rte_pktmbuf_alloc(env->chunk_pool);
		if (m == NULL || pc->len > rte_pktmbuf_tailroom(m)) {
			rte_pktmbuf_free(m);
			goto refuse;
		}
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), pc->data, pc->len);
		pc->data = rte_pktmbuf_mtod(m, const uint8_t *);
		pc->ref = m;
	}
	w->ooo_pieces++;
	w->ooo_bytes += pc->len;
	return 0;
refuse:
	MT_STAT_INC(env->st, wk_ooo_refused);
	return -1;
}

void
pl_worker_release(struct mt_session_env *env, struct mt_tcp_piece *pc)
{
	struct pl_worker *w = env->emit_arg;

	rte_pktmbuf_free(pc->ref);
	w->ooo_pieces--;
	w->ooo_bytes -= pc->len;
}

static void
flush_stash(struct pl_worker *w)
{
	unsigned n;

	if (w->n_stash == 0)
		return;
	n = rte_ring_sp_enqueue_burst(w->out, (void **)w->stash, w->n_stash, NULL);
	if (n > 0 && n < w->n_stash)
		memmove(w->stash, w->stash + n, (w->n_stash - n) * sizeof(w->stash[0]));
	w->n_stash -= n;
}

static void
end_flow(struct pl_worker *w, struct mt_flow_slot *slot)
{
	mt_session_close((struct mt_session *)slot);
	mt_flow_table_del(w->flows, slot);
}

static void
expire_flow(struct mt_flow_slot *slot, void *arg)
{
	struct pl_worker *w = arg;

	/* a closed connection leaving its slot did not time out */
	if (!mt_session_is_closed((struct mt_session *)slot))
		MT_STAT_INC(w->env.st, wk_flows_timeout);
	end_flow(w, slot);
}

static void
evict_flow(struct mt_flow_slot *slot, void *arg)
{
	struct pl_worker *w = arg;

	if (!mt_session_is_closed((struct mt_session *)slot))
		MT_STAT_INC(w->env.st, wk_flows_evicted);
	end_flow(w, slot);
}

static void
drain_flow(struct mt_flow_slot *slot, void *arg)
{
	struct pl_worker *w = arg;

	if (!mt_session_is_closed((struct mt_session *)slot))
		MT_STAT_INC(w->env.st, wk_flows_drained);
	end_flow(w, slot);
}

static void
worker_packet(struct pl_worker *w, struct mt_stats *st, struct rte_mbuf *m, uint64_t now)
{
	struct mt_pkt_meta *meta = pkt_meta(m);
	struct mt_flow_slot *slot;
	struct mt_flow_key key;
	const uint8_t *payload;
	int rc;

	key_from_meta(&key, meta, rte_pktmbuf_mtod(m, const uint8_t *));
	slot = mt_flow_table_lookup(w->flows, &key, meta->hash);
	if (slot == NULL) {
		/* A connection starts with a SYN, or is picked up mid-stream
		 * on data; a bare ACK/FIN/RST (the tail of a closed one) is
		 * not worth a slot. */
		if (!(meta->tcp_flags & MT_TCP_SYN) &&
		    (meta->payload_len == 0 || (meta->tcp_flags & MT_TCP_RST))) {
			MT_STAT_INC(st, wk_no_flow);
			return;
		}
		rc = mt_flow_table_add(w->flows, &key, meta->hash, &slot);
		if (rc == -ENOSPC && mt_flow_table_evict(w->flows, evict_flow, w) == 0)
			rc = mt_flow_table_add(w->flows, &key, meta->hash, &slot);
		if (rc != 0) {
			MT_STAT_INC(st, wk_drop_flow_full);
			return;
		}
		mt_session_init((struct mt_session *)slot, &w->env);
		MT_STAT_INC(st, wk_flows_new);
	}
	if (mt_ts_offset >= 0 && (m->ol_flags & mt_ts_flag))
		w->env.now_ns = capture_ns(*RTE_MBUF_DYNFIELD(m, mt_ts_offset, uint64_t *));
	payload = meta->payload_len == 0 ? NULL :
		rte_pktmbuf_read(m, meta->payload_off, meta->payload_len, w->scratch);
	/* a held piece may reference a single-segment mbuf only (see pl_worker_hold) */
	if (mt_session_input((struct mt_session *)slot, meta->dir, meta->seq, meta->tcp_flags,
			     meta->ack, payload, meta->payload_len,
			     payload == w->scratch ? NULL : m)) {
		MT_STAT_INC(st, wk_flows_closed);
		mt_session_close((struct mt_session *)slot);
	}
	mt_flow_table_touch(w->flows, slot, mt_session_class((struct mt_session *)slot), now);
}

static int
upstream_done(const struct pl_worker *w)
{
	unsigned r;

	for (r = 0; r < w->p->n_rx; r++)
		if (!__atomic_load_n(&w->p->rx[r]->done, __ATOMIC_ACQUIRE))
			return 0;
	for (r = 0; r < w->p->n_rx; r++)
		if (!rte_ring_empty(w->in[r]))
			return 0;
	return 1;
}

static int
pools_low(const struct mt_pipeline *p)
{
	/* a jumbo segment may need a few chunks; a packet at most a few mails */
	unsigned need = p->conf.burst * 4;

	return rte_mempool_avail_count(p->chunk_pool) < need ||
	       rte_mempool_avail_count(p->mail_pool) < need;
}

unsigned
pl_worker_step(struct pl_worker *w)
{
	struct mt_pipeline *p = w->p;
	struct mt_stats *st = mt_stats_self();
	struct rte_mbuf *pkts[PL_BURST_MAX];
	unsigned i, n = 0, r, tries;
	struct timespec ts;
	uint64_t now, t0;
	unsigned expired;

	if (w->done)
		return 0;
	w->env.st = st;
	pl_flows_worker_poll(w);
	t0 = mt_stats_tsc();
	flush_stash(w);
	if (w->n_stash > 0)
		return 1;
	/* Offline, wait rather than lose: do not take packets the writer could
	 * not take the mails of, nor while the pools are low and the writer
	 * still holds mails whose memory it will give back.  (When open
	 * transactions hold the memory, waiting cannot help: go on, and the
	 * mails are flagged.) */
	if (p->offline && (rte_ring_free_count(w->out) < p->conf.burst ||
			   (!rte_ring_empty(w->out) && pools_low(p)) ||
			   !pl_worker_fp_room(w))) {
		MT_STAT_INC(st, wk_writer_waits);
		return 0;
	}
	for (tries = 0; tries < p->n_rx && n == 0; tries++) {
		r = w->next_in;
		w->next_in = (w->next_in + 1) % p->n_rx;
		n = rte_ring_sc_dequeue_burst(w->in[r], (void **)pkts, p->conf.burst, NULL);
	}
	now = rte_get_tsc_cycles();
	if (n > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		w->env.now_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		MT_STAT_ADD(st, wk_packets, n);
		for (i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			worker_packet(w, st, pkts[i], now);
		}
		rte_pktmbuf_free_bulk(pkts, n);
		if (now - w->gauge_tsc >= rte_get_tsc_hz() / 1000) {
			/* the table's own exact high-water mark (lib/flow, O(1)) */
			struct mt_flow_table_gauges g;

			w->gauge_tsc = now;
			mt_flow_table_gauges(w->flows, &g);
			mt_stats_max(st, MT_STAT_wk_flows_max, g.high_water);
		}
	}
	expired = mt_flow_table_expire(w->flows, now, p->timeout_tsc, EXPIRE_BUDGET,
				       expire_flow, w);
	if (n == 0 && upstream_done(w)) {
		struct mt_flow_table_gauges g;

		mt_flow_table_gauges(w->flows, &g);
		mt_stats_max(st, MT_STAT_wk_flows_max, g.high_water);
		mt_flow_table_foreach(w->flows, drain_flow, w);
		flush_stash(w);
		if (w->n_stash == 0) {
			pl_flows_worker_exit(w);
			__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
		}
		n = 1;
	}
	if (t0 != 0 && (n != 0 || expired != 0)) {
		now = rte_rdtsc();
		st->v[MT_STAT_wk_cycles] += now - t0;
		mt_stats_max(st, MT_STAT_wk_step_max_us, (now - t0) * 1000000 / rte_get_tsc_hz());
	}
	return n;
}
