/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_tcp.h - one direction of a TCP connection as a tap sees it: which
 * octets are new, in order, and where the tap missed some.
 *
 *        next_seq                       held out of order (sorted)
 *           |                      +--------+   +-----+
 *   ...delivered...|    hole       | piece0 |   | p1  |
 *   ---------------+---------------+--------+---+-----+---> seq
 *
 * A segment at next_seq is delivered at once, then every held piece it
 * makes contiguous.  A segment beyond next_seq is held (the caller keeps a
 * reference to its buffer: no copy) until the hole fills.  When the hold
 * cannot grow (MT_TCP_OOO_MAX pieces, the per-flow byte cap, or the
 * caller's budget refuses), or at close, the hole is declared lost: a gap
 * of that many octets is reported and the held pieces are delivered after
 * it.  The stream is never stitched across a gap silently.
 *
 * Policy: first data wins.  Octets already delivered or already held are
 * never replaced by a later copy (retransmission, overlap with different
 * content): the later copy's overlapping octets are dropped and counted.
 *
 * Sequence numbers are compared modulo 2^32 (serial arithmetic); the
 * stream offset is a 64-bit count of octets delivered or lost.
 *
 * A SYN consumes one sequence number, so does a FIN.  A FIN that arrives
 * before the data it follows is remembered and takes effect in order.
 * A stream first seen without its SYN syncs on its first segment
 * (mid-stream pickup): a segment without data (an ACK) carries the
 * sender's next sequence number, so the data sent after it is taken whole
 * even when its segments reach the tap out of order; a keepalive carries
 * one less, so a first data segment one octet ahead moves the sync point
 * there.  An RST never syncs.
 *
 * Across directions, the ACK orders: a segment that acknowledges octets of
 * the other direction (the peer) not delivered yet was sent after them, so
 * it waits (held, like an out-of-order piece) until the peer's stream has
 * reached its ACK; mt_tcp_dir_drain() releases it then.  A tap that
 * reorders a reply before the command it answers thus still feeds the
 * commands first.  The wait gives way, in order, when the hold is full,
 * and at close.  When the hold is full, the order still follows the ACKs
 * as far as they tell it (ops->peer_lost): a peer segment that waited for
 * the hole just declared lost goes first, and peer octets a held segment
 * acknowledges but the tap never showed are declared lost on the peer
 * before that segment is delivered.
 */
#ifndef MT_TCP_H
#define MT_TCP_H

#include <stdint.h>

#define MT_TCP_OOO_MAX 8
#define MT_TCP_MAX_AHEAD (1 << 30) /* a segment further ahead is ignored */

/* An out-of-order byte range, referencing the caller's buffer. */
struct mt_tcp_piece {
	uint32_t seq;
	uint32_t len;
	const uint8_t *data;
	void *ref;      /* caller's handle, held while the piece is buffered */
	uint32_t ack;   /* the segment's ACK of the peer's stream */
	uint32_t has_ack;
};

struct mt_tcp_dir {
	uint32_t next_seq;   /* next expected sequence number */
	uint32_t fin_seq;    /* sequence number of a FIN seen early */
	uint32_t ooo_bytes;  /* octets held */
	uint8_t synced;      /* next_seq is valid */
	uint8_t syn_seen;    /* synced from a SYN (not mid-stream) */
	uint8_t fin_seen;    /* FIN taken, in order */
	uint8_t fin_early;   /* fin_seq is valid */
	uint8_t rst_seen;
	uint8_t soft_sync;   /* mid-stream, synced on a segment without data */
	uint8_t n_ooo;
	uint64_t offset;     /* octets delivered or declared lost */
	struct mt_tcp_piece ooo[MT_TCP_OOO_MAX];
};

struct mt_tcp_counters;

/* What the caller provides; ctx is its own. */
struct mt_tcp_ops {
	/* in-order octets */
	void (*deliver)(void *ctx, const uint8_t *p, uint32_t n);
	/* n octets the tap never saw, at this point of the stream */
	void (*gap)(void *ctx, uint32_t n);
	/* Keep the piece's buffer while it is held.  The callback may
	 * replace pc->data and pc->ref (e.g. copy a non-contiguous payload).
	 * Returns 0, or -1 to refuse (budget exhausted, nothing to hold). */
	int (*hold)(void *ctx, struct mt_tcp_piece *pc);
	/* Drop a reference taken by hold(). */
	void (*release)(void *ctx, struct mt_tcp_piece *pc);
	/* Optional (NULL: the first held piece gives way out of order).  The
	 * hold is full: call mt_tcp_dir_lost_until(peer, seq, d, ops, peer's
	 * ctx, c) on the other direction, so that what it holds and no longer
	 * waits goes first, and its octets before seq (acknowledged by a held
	 * segment of this direction, never shown by the tap) are lost. */
	void (*peer_lost)(void *ctx, uint32_t seq, struct mt_tcp_counters *c);
};

/* Counters of one input call (added to, never reset by lib/tcp). */
struct mt_tcp_counters {
	uint64_t retrans_bytes;  /* octets seen before (first copy kept) */
	uint64_t ooo_segments;   /* segments held out of order */
	uint64_t ooo_overflow;   /* holes declared lost because the hold was full */
	uint64_t gaps;
	uint64_t gap_bytes;
	uint64_t midstream;      /* streams synced without a SYN */
	uint64_t out_of_window;  /* segments over MT_TCP_MAX_AHEAD ahead, ignored */
	uint64_t ack_waits;      /* segments held for the peer to catch up */
};

/*
 * One segment of direction d: sequence number, TCP flags, ACK, payload
 * (data, len) and the caller's handle for its buffer (passed to
 * ops->hold).  peer is the other direction of the connection (NULL: no
 * ordering by ACK).  max_ooo_bytes caps the octets held for this
 * direction.  After it, call mt_tcp_dir_drain(peer, d, ...): octets
 * delivered here may release the peer's waiting segments.
 */
void mt_tcp_dir_input(struct mt_tcp_dir *d, uint32_t seq, uint8_t flags, uint32_t ack,
		      const uint8_t *data, uint32_t len, void *ref, uint32_t max_ooo_bytes,
		      const struct mt_tcp_dir *peer, const struct mt_tcp_ops *ops, void *ctx,
		      struct mt_tcp_counters *c);

/*
 * If d's next octets are held but wait for the peer (their ACK covers
 * peer octets not delivered), set *ack to that ACK and return 1.  When
 * that lasts, the peer's missing octets were received by their receiver
 * but never shown by the tap: see mt_tcp_dir_lost_until().
 */
int mt_tcp_dir_waiting(const struct mt_tcp_dir *d, const struct mt_tcp_dir *peer, uint32_t *ack);

/* Declare d's octets from next_seq up to seq (or up to its first held
 * piece, if that comes first) lost, then deliver what is in order. */
void mt_tcp_dir_lost_until(struct mt_tcp_dir *d, uint32_t seq, const struct mt_tcp_dir *peer,
			   const struct mt_tcp_ops *ops, void *ctx, struct mt_tcp_counters *c);

/* Deliver what d holds that is now in order and no longer waits for peer. */
void mt_tcp_dir_drain(struct mt_tcp_dir *d, const struct mt_tcp_dir *peer,
		      const struct mt_tcp_ops *ops, void *ctx, struct mt_tcp_counters *c);

/* Declare every hole lost and deliver what is held (connection ending). */
void mt_tcp_dir_flush(struct mt_tcp_dir *d, const struct mt_tcp_ops *ops, void *ctx,
		      struct mt_tcp_counters *c);

#endif /* MT_TCP_H */
