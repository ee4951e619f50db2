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

/* Deliver the held pieces that next_seq has reached. */
static void
drain(struct mt_tcp_dir *d, const struct mt_tcp_ops *ops, void *ctx, struct mt_tcp_counters *c)
{
	struct mt_tcp_piece *pc;
	int32_t behind;

	while (d->n_ooo > 0 && ahead(d, d->ooo[0].seq) <= 0) {
		pc = &d->ooo[0];
		behind = -ahead(d, pc->seq);
		if ((uint32_t)behind < pc->len)
			deliver(d, pc->data + behind, pc->len - (uint32_t)behind, ops, ctx);
		else
			c->retrans_bytes += pc->len; /* cannot happen: held bytes are new */
		d->ooo_bytes -= pc->len;
		ops->release(ctx, pc);
		d->n_ooo--;
		memmove(&d->ooo[0], &d->ooo[1], d->n_ooo * sizeof(d->ooo[0]));
	}
	take_fin(d);
}

/* Declare the first hole lost and deliver what follows it. */
static void
skip_hole(struct mt_tcp_dir *d, const struct mt_tcp_ops *ops, void *ctx,
	  struct mt_tcp_counters *c)
{
	if (d->n_ooo == 0)
		return;
	gap(d, (uint32_t)ahead(d, d->ooo[0].seq), ops, ctx, c);
	drain(d, ops, ctx, c);
}

void
mt_tcp_dir_flush(struct mt_tcp_dir *d, const struct mt_tcp_ops *ops, void *ctx,
		 struct mt_tcp_counters *c)
{
	while (d->n_ooo > 0)
		skip_hole(d, ops, ctx, c);
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
	   uint32_t max_ooo_bytes, const struct mt_tcp_ops *ops, void *ctx,
	   struct mt_tcp_counters *c)
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
		pc = (struct mt_tcp_piece){ .seq = a, .len = b - a, .data = data, .ref = ref };
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
mt_tcp_dir_input(struct mt_tcp_dir *d, uint32_t seq, uint8_t flags, const uint8_t *data,
		 uint32_t len, void *ref, uint32_t max_ooo_bytes, const struct mt_tcp_ops *ops,
		 void *ctx, struct mt_tcp_counters *c)
{
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
		if (len == 0)
			return; /* a bare ACK/FIN tells us nothing to sync on */
		d->next_seq = seq;
		d->synced = 1;
		c->midstream++;
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
		skip = MT_MIN((uint32_t)-off, len);
		c->retrans_bytes += skip;
		seq += skip;
		data += skip;
		len -= skip;
	}
	if (len > 0) {
		if (seq == d->next_seq) {
			/* in order; octets also held are delivered from this copy,
			 * which is identical where the sender is honest, and the
			 * held copy is trimmed by drain() */
			deliver(d, data, len, ops, ctx);
		} else {
			c->ooo_segments++;
			while (hold_range(d, seq, data, len, ref, max_ooo_bytes, ops, ctx, c) != 0) {
				c->ooo_overflow++;
				if (d->n_ooo == 0) {
					/* nothing held to give way: this segment is
					 * the data after the hole */
					gap(d, (uint32_t)ahead(d, seq), ops, ctx, c);
					deliver(d, data, len, ops, ctx);
					break;
				}
				skip_hole(d, ops, ctx, c);
				off = ahead(d, seq);
				if (off <= 0) {
					/* the hole skip reached into this segment */
					skip = MT_MIN((uint32_t)-off, len);
					c->retrans_bytes += skip;
					deliver(d, data + skip, len - skip, ops, ctx);
					break;
				}
			}
		}
	}
	drain(d, ops, ctx, c);
}
