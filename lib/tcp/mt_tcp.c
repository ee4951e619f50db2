/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "mt_common.h"
#include "mt_decode.h"
#include "mt_tcp.h"

/* Distance of seq ahead of next_seq (negative: behind). */
static inline int32_t
ahead(const struct mt_tcp_dir *d, uint32_t seq)
{
	return (int32_t)(seq - d->next_seq);
}

static void
deliver(struct mt_tcp_dir *d, const uint8_t *p, uint32_t n, const struct mt_tcp_ops *ops,
	void *ctx)
{
	if (n == 0)
		return;
	ops->deliver(ctx, p, n);
	d->next_seq += n;
	d->offset += n;
}

static void
gap(struct mt_tcp_dir *d, uint32_t n, const struct mt_tcp_ops *ops, void *ctx,
    struct mt_tcp_counters *c)
{
	if (n == 0)
		return;
	ops->gap(ctx, n);
	d->next_seq += n;
	d->offset += n;
	c->gaps++;
	c->gap_bytes += n;
}

static void
take_fin(struct mt_tcp_dir *d)
{
	if (d->fin_early && d->fin_seq == d->next_seq && !d->fin_seen) {
		d->fin_seen = 1;
		d->next_seq++;
	}
}

/* Does a segment acknowledging ack wait for the peer's stream? */
static inline int
waits(const struct mt_tcp_dir *peer, int has_ack, uint32_t ack)
{
	int32_t a;

	if (peer == NULL || !has_ack || !peer->synced)
		return 0;
	a = ahead(peer, ack);
	return a > 0 && a <= MT_TCP_MAX_AHEAD;
}

/* Deliver the held pieces that next_seq has reached (and, unless peer is
 * NULL, whose ACK the peer has reached). */
static void
drain(struct mt_tcp_dir *d, const struct mt_tcp_dir *peer, const struct mt_tcp_ops *ops,
      void *ctx, struct mt_tcp_counters *c)
{
	struct mt_tcp_piece *pc;
	uint32_t behind;

	while (d->n_ooo > 0 && ahead(d, d->ooo[0].seq) <= 0 &&
	       !waits(peer, d->ooo[0].has_ack, d->ooo[0].ack)) {
		pc = &d->ooo[0];
		behind = 0u - (uint32_t)ahead(d, pc->seq); /* unsigned: no overflow */
		if (behind < pc->len)
			deliver(d, pc->data + behind, pc->len - behind, ops, ctx);
		else
			c->retrans_bytes += pc->len; /* cannot happen: held bytes are new */
		d->ooo_bytes -= pc->len;
		ops->release(ctx, pc);
		d->n_ooo--;
		memmove(&d->ooo[0], &d->ooo[1], d->n_ooo * sizeof(d->ooo[0]));
	}
	take_fin(d);
}

/* Give way: declare the first hole lost (if any) and deliver the first
 * held piece even if it waits for the peer, then what follows. */
static void
skip_hole(struct mt_tcp_dir *d, const struct mt_tcp_dir *peer, const struct mt_tcp_ops *ops,
	  void *ctx, struct mt_tcp_counters *c)
{
	if (d->n_ooo == 0)
		return;
	if (ahead(d, d->ooo[0].seq) > 0)
		gap(d, (uint32_t)ahead(d, d->ooo[0].seq), ops, ctx, c);
	d->ooo[0].has_ack = 0;
	drain(d, peer, ops, ctx, c);
}

/*
 * The hold is full.  Declare d's first hole lost (if any) and deliver what
 * is then in order, keeping the order the endpoints saw where the ACKs
 * tell it (ops->peer_lost): if the peer waited for the octets just
 * declared lost (a reply acknowledging a lost command), the peer goes
 * first; if d's first piece waits for peer octets the tap never showed
 * (its ACK says the receiver had them), those are declared lost on the
 * peer first.  Only when that moves nothing does the first piece give
 * way out of order.
 */
static void
give_way(struct mt_tcp_dir *d, const struct mt_tcp_dir *peer, const struct mt_tcp_ops *ops,
	 void *ctx, struct mt_tcp_counters *c)
{
	unsigned n = d->n_ooo;

	if (ahead(d, d->ooo[0].seq) > 0) {
		gap(d, (uint32_t)ahead(d, d->ooo[0].seq), ops, ctx, c);
		drain(d, peer, ops, ctx, c);
		if (d->n_ooo < n)
			return;
	}
	if (ops->peer_lost != NULL && peer != NULL && peer->synced) {
		/* the peer's held pieces that d's progress released go first */
		if (peer->n_ooo > 0)
			ops->peer_lost(ctx, peer->next_seq, c);
		/* then the peer octets d's first piece acknowledges are lost */
		if (waits(peer, d->ooo[0].has_ack, d->ooo[0].ack))
			ops->peer_lost(ctx, d->ooo[0].ack, c);
		drain(d, peer, ops, ctx, c);
		if (d->n_ooo < n)
			return;
	}
	skip_hole(d, peer, ops, ctx, c);
}

int
mt_tcp_dir_waiting(const struct mt_tcp_dir *d, const struct mt_tcp_dir *peer, uint32_t *ack)
{
	if (d->n_ooo == 0 || ahead(d, d->ooo[0].seq) > 0 ||
	    !waits(peer, d->ooo[0].has_ack, d->ooo[0].ack))
		return 0;
	*ack = d->ooo[0].ack;
	return 1;
}

void
mt_tcp_dir_lost_until(struct mt_tcp_dir *d, uint32_t seq, const struct mt_tcp_dir *peer,
		      const struct mt_tcp_ops *ops, void *ctx, struct mt_tcp_counters *c)
{
	int32_t n = ahead(d, seq);

	if (d->n_ooo > 0 && ahead(d, d->ooo[0].seq) < n)
		n = ahead(d, d->ooo[0].seq);
	if (n > 0 && n <= MT_TCP_MAX_AHEAD)
		gap(d, (uint32_t)n, ops, ctx, c);
	drain(d, peer, ops, ctx, c);
}

void
mt_tcp_dir_drain(struct mt_tcp_dir *d, const struct mt_tcp_dir *peer,
		 const struct mt_tcp_ops *ops, void *ctx, struct mt_tcp_counters *c)
{
	drain(d, peer, ops, ctx, c);
}

void
mt_tcp_dir_flush(struct mt_tcp_dir *d, const struct mt_tcp_ops *ops, void *ctx,
		 struct mt_tcp_counters *c)
{
	while (d->n_ooo > 0)
		skip_hole(d, NULL, ops, ctx, c);
	/* data promised by an early FIN that never came */
	if (d->fin_early && !d->fin_seen && ahead(d, d->fin_seq) > 0) {
		gap(d, (uint32_t)ahead(d, d->fin_seq), ops, ctx, c);
		take_fin(d);
	}
}

/*
 * Hold [seq, seq+len) minus what is already held (first data wins):
 * the new range is cut into the pieces that fall in the holes between
 * held pieces.  Returns 0, or -1 if a piece could not be held (the
 * caller then skips the first hole and retries).
 */
static int
hold_range(struct mt_tcp_dir *d, uint32_t seq, const uint8_t *data, uint32_t len, void *ref,
	   int has_ack, uint32_t ack, uint32_t max_ooo_bytes, const struct mt_tcp_ops *ops,
	   void *ctx, struct mt_tcp_counters *c)
{
	struct mt_tcp_piece pc;
	uint32_t end = seq + len, a, b, cut;
	unsigned i;

	i = 0;
	while (ahead(d, seq) < ahead(d, end)) {
		/* the first held piece that ends after seq */
		while (i < d->n_ooo && ahead(d, d->ooo[i].seq + d->ooo[i].len) <= ahead(d, seq))
			i++;
		if (i < d->n_ooo && ahead(d, d->ooo[i].seq) <= ahead(d, seq)) {
			/* seq lies inside piece i: those octets are held already */
			cut = d->ooo[i].seq + d->ooo[i].len;
			if (ahead(d, cut) > ahead(d, end))
				cut = end;
			c->retrans_bytes += cut - seq;
			data += cut - seq;
			seq = cut;
			continue;
		}
		/* [a, b): up to the next held piece or the end */
		a = seq;
		b = end;
		if (i < d->n_ooo && ahead(d, d->ooo[i].seq) < ahead(d, end))
			b = d->ooo[i].seq;
		if (d->n_ooo == MT_TCP_OOO_MAX || d->ooo_bytes + (b - a) > max_ooo_bytes)
			return -1;
		pc = (struct mt_tcp_piece){ .seq = a, .len = b - a, .data = data, .ref = ref,
					    .ack = ack, .has_ack = (uint32_t)has_ack };
		if (ops->hold(ctx, &pc) != 0)
			return -1;
		memmove(&d->ooo[i + 1], &d->ooo[i], (d->n_ooo - i) * sizeof(d->ooo[0]));
		d->ooo[i] = pc;
		d->n_ooo++;
		d->ooo_bytes += pc.len;
		data += b - a;
		seq = b;
		i++;
	}
	return 0;
}

void
mt_tcp_dir_input(struct mt_tcp_dir *d, uint32_t seq, uint8_t flags, uint32_t ack,
		 const uint8_t *data, uint32_t len, void *ref, uint32_t max_ooo_bytes,
		 const struct mt_tcp_dir *peer, const struct mt_tcp_ops *ops, void *ctx,
		 struct mt_tcp_counters *c)
{
	int has_ack = (flags & MT_TCP_ACK) != 0;
	uint32_t skip, end;
	int32_t off;

	if (flags & MT_TCP_RST)
		d->rst_seen = 1;
	if (flags & MT_TCP_SYN) {
		/* A SYN (re)starts the stream; a retransmitted SYN is harmless. */
		if (!d->synced || !d->syn_seen) {
			d->next_seq = seq + 1;
			d->synced = 1;
			d->syn_seen = 1;
		}
		seq++;
	}
	if (!d->synced) {
		if (flags & MT_TCP_RST)
			return;
		d->next_seq = seq;
		d->synced = 1;
		d->soft_sync = len == 0;
		c->midstream++;
	}
	if (d->soft_sync && len > 0) {
		d->soft_sync = 0;
		if (ahead(d, seq) == 1 && d->n_ooo == 0 && d->offset == 0)
			d->next_seq = seq; /* the sync came from a keepalive */
	}
	/* No real window reaches 2^30 octets ahead (the largest scaled window
	 * is just under it); beyond, serial arithmetic would wrap: ignore. */
	if (ahead(d, seq) > MT_TCP_MAX_AHEAD) {
		c->out_of_window++;
		return;
	}
	end = seq + len;
	if ((flags & MT_TCP_FIN) && !d->fin_seen && !d->fin_early && ahead(d, end) >= 0) {
		d->fin_seq = end;
		d->fin_early = 1;
	}

	/* octets before next_seq were delivered (or lost) already */
	off = ahead(d, seq);
	if (off < 0) {
		skip = MT_MIN(0u - (uint32_t)off, len);
		c->retrans_bytes += skip;
		seq += skip;
		data += skip;
		len -= skip;
	}
	if (len > 0) {
		if (seq == d->next_seq && !waits(peer, has_ack, ack) &&
		    (d->n_ooo == 0 || ahead(d, d->ooo[0].seq) > 0)) {
			/* in order and no held piece (a first copy waiting for
			 * the peer) at next_seq: deliver; drain() trims what
			 * of the held pieces it covers */
			deliver(d, data, len, ops, ctx);
		} else {
			if (seq != d->next_seq)
				c->ooo_segments++;
			else
				c->ack_waits++;
			while (hold_range(d, seq, data, len, ref, has_ack, ack, max_ooo_bytes, ops,
					  ctx, c) != 0) {
				c->ooo_overflow++;
				if (d->n_ooo == 0) {
					/* nothing held to give way: deliver this
					 * segment, after the hole if there is one */
					if (ahead(d, seq) > 0)
						gap(d, (uint32_t)ahead(d, seq), ops, ctx, c);
					deliver(d, data, len, ops, ctx);
					break;
				}
				give_way(d, peer, ops, ctx, c);
				off = ahead(d, seq);
				if (off <= 0) {
					/* giving way reached into this segment */
					skip = MT_MIN(0u - (uint32_t)off, len);
					c->retrans_bytes += skip;
					if (skip < len) {
						seq += skip;
						data += skip;
						len -= skip;
						continue; /* hold (or deliver) the rest */
					}
					break;
				}
			}
		}
	}
	drain(d, peer, ops, ctx, c);
}
