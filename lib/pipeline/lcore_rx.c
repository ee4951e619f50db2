/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RX role: poll ports in bursts, decode L2-L4, keep SMTP connections
 * (a server port on either side) that the capture policy wants (mode
 * registered: a registered server, a client that is not), hash the
 * oriented 4-tuple and enqueue each packet to the ring of the worker that
 * owns its connection.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "mt_decode.h"
#include "pipeline_priv.h"

#define PREFETCH_OFFSET 3

static const enum mt_stat decode_drop[MT_DECODE__COUNT] = {
	[MT_DECODE_NOT_IP] = MT_STAT_rx_drop_not_ip,
	[MT_DECODE_NOT_TCP] = MT_STAT_rx_drop_not_tcp,
	[MT_DECODE_FRAGMENT] = MT_STAT_rx_drop_fragment,
	[MT_DECODE_MALFORMED] = MT_STAT_rx_drop_malformed,
};

/* Classify one packet; returns the worker index or -1 (dropped, freed). */
static inline int
rx_classify(struct mt_pipeline *p, struct mt_stats *st, struct rte_mbuf *m)
{
	struct mt_pkt_meta *meta;
	struct mt_flow_key key;
	enum mt_decode_res r;
	struct mt_pkt pkt;
	int dir;

	r = mt_decode(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
		      rte_pktmbuf_pkt_len(m), &pkt);
	if (unlikely(r != MT_DECODE_OK)) {
		st->v[decode_drop[r]]++;
		rte_pktmbuf_free(m);
		return -1;
	}
	if (pl_is_smtp_port(p, pkt.dport)) {
		dir = MT_DIR_C2S;
	} else if (pl_is_smtp_port(p, pkt.sport)) {
		dir = MT_DIR_S2C;
	} else {
		MT_STAT_INC(st, rx_drop_not_smtp);
		rte_pktmbuf_free(m);
		return -1;
	}
	if (!mt_policy_keep(&p->policy, &pkt, (enum mt_dir)dir)) {
		MT_STAT_INC(st, rx_drop_policy);
		rte_pktmbuf_free(m);
		return -1;
	}
	mt_flow_key_from_pkt(&key, &pkt, dir);
	meta = pkt_meta(m);
	meta->hash = mt_flow_key_hash(&key);
	meta->seq = pkt.seq;
	meta->ack = pkt.ack;
	meta->l3_off = pkt.l3_off;
	meta->l4_off = pkt.l4_off;
	meta->payload_off = pkt.payload_off;
	meta->payload_len = pkt.payload_len;
	meta->dir = (uint8_t)dir;
	meta->tcp_flags = pkt.tcp_flags;
	meta->family = pkt.family;
	/* multiply-shift: an unbiased map of the hash onto the workers */
	return (int)(((uint64_t)meta->hash * p->n_wk) >> 32);
}

/* Hand a worker's bucket to its ring; what does not fit is kept (offline)
 * or dropped (live).  Returns the number left pending. */
static unsigned
rx_flush(struct pl_rx *rx, struct mt_stats *st, unsigned w, struct rte_mbuf **pkts, unsigned n)
{
	struct mt_pipeline *p = rx->p;
	struct rte_ring *r = p->wk[w]->in[rx->idx];
	unsigned sent, i;

	sent = rte_ring_enqueue_burst(r, (void **)pkts, n, NULL);
	MT_STAT_ADD(st, rx_dispatched, sent);
	if (sent == n)
		return 0;
	if (!p->offline) {
		MT_STAT_ADD(st, rx_drop_ring_full, n - sent);
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		return 0;
	}
	MT_STAT_INC(st, rx_ring_waits);
	for (i = sent; i < n; i++)
		rx->pend[w][i - sent] = pkts[i];
	return n - sent;
}

/* Retry what the rings refused last time.  Returns nonzero if some remains. */
static int
rx_retry_pending(struct pl_rx *rx, struct mt_stats *st)
{
	unsigned w, n, left = 0;
	struct rte_mbuf *tmp[PL_BURST_MAX];

	for (w = 0; w < rx->p->n_wk; w++) {
		n = rx->n_pend[w];
		if (n == 0)
			continue;
		memcpy(tmp, rx->pend[w], n * sizeof(tmp[0]));
		rx->n_pend[w] = rx_flush(rx, st, w, tmp, n);
		left += rx->n_pend[w];
	}
	return left != 0;
}

/* Stall accounting: the time since this lcore last polled its ports.  A
 * port queue of Q frames at R frames/s overflows after a gap of Q/R. */
static inline void
rx_poll_gap(struct pl_rx *rx, struct mt_stats *st, uint64_t now)
{
	uint64_t gap, hz = rte_get_tsc_hz();

	if (rx->poll_tsc != 0 && now > rx->poll_tsc) {
		gap = now - rx->poll_tsc;
		if (gap >= hz / 1000) {
			MT_STAT_INC(st, rx_poll_gaps_1ms);
			if (gap >= hz / 100)
				MT_STAT_INC(st, rx_poll_gaps_10ms);
			mt_stats_max(st, MT_STAT_rx_poll_gap_max_us, gap * 1000000 / hz);
		}
	}
	rx->poll_tsc = now;
}

/* High-water marks of the pools, sampled once a millisecond. */
static void
rx_gauges(struct pl_rx *rx, struct mt_stats *st, uint64_t now)
{
	struct mt_pipeline *p = rx->p;

	rx->gauge_tsc = now;
	if (rx->rx_pool != NULL)
		mt_stats_max(st, MT_STAT_pool_pkts_max, rte_mempool_in_use_count(rx->rx_pool));
	mt_stats_max(st, MT_STAT_pool_mails_max, rte_mempool_in_use_count(p->mail_pool));
	mt_stats_max(st, MT_STAT_pool_chunks_max, rte_mempool_in_use_count(p->chunk_pool));
}

unsigned
pl_rx_step(struct pl_rx *rx)
{
	struct mt_pipeline *p = rx->p;
	struct mt_stats *st = mt_stats_self();
	struct rte_mbuf *pkts[PL_BURST_MAX];
	unsigned *nb = rx->nb;
	unsigned i, k, n, w, work = 0, live_ports = 0;
	struct pl_port *pp;
	uint64_t t0, now;
	int wi;

	if (rx->done)
		return 0;
	if (rx_retry_pending(rx, st))
		return 1;
	if (mt_pipeline_quit) {
		__atomic_store_n(&rx->done, 1, __ATOMIC_RELEASE);
		return 0;
	}
	now = rte_get_tsc_cycles();
	t0 = mt_stats_tsc();
	if (t0 != 0)
		rx_poll_gap(rx, st, t0);
	for (k = 0; k < rx->n_ports; k++) {
		pp = &p->ports[rx->ports[k]];
		if (pp->done)
			continue;
		live_ports++;
		n = rte_eth_rx_burst(pp->port_id, 0, pkts, (uint16_t)p->conf.burst);
		if (n == 0) {
			MT_STAT_INC(st, rx_empty_polls);
			if (pl_port_eof(pp)) {
				pp->done = 1;
				PL_LOG(INFO, "port %s: end of capture %s (%" PRIu64 " packets)",
				       pp->name, pp->file, pp->expected);
			}
			continue;
		}
		MT_STAT_INC(st, rx_bursts);
		MT_STAT_ADD(st, rx_packets, n);
		rx->rx_pool = pkts[0]->pool;
		/* sampled with this burst in hand */
		if (now - rx->gauge_tsc >= rte_get_tsc_hz() / 1000)
			rx_gauges(rx, st, now);
		memset(nb, 0, p->n_wk * sizeof(nb[0]));
		for (i = 0; i < n && i < PREFETCH_OFFSET; i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
		for (i = 0; i < n; i++) {
			if (i + PREFETCH_OFFSET < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
			MT_STAT_ADD(st, rx_bytes, rte_pktmbuf_pkt_len(pkts[i]));
			wi = rx_classify(p, st, pkts[i]);
			if (wi >= 0)
				rx->bucket[wi][nb[wi]++] = pkts[i];
		}
		for (w = 0; w < p->n_wk; w++)
			if (nb[w] > 0)
				rx->n_pend[w] = rx_flush(rx, st, w, rx->bucket[w], nb[w]);
		work += n;
		/* In offline mode a refused packet stops polling until it fits. */
		for (w = 0; w < p->n_wk; w++)
			if (rx->n_pend[w] > 0)
				goto out;
	}
	if (live_ports == 0)
		__atomic_store_n(&rx->done, 1, __ATOMIC_RELEASE);
out:
	if (work != 0)
		mt_stats_cycles_add(st, MT_STAT_rx_cycles, t0);
	return work;
}
