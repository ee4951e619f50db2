/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_tcp.h - one direction of a TCP connection: which bytes of a segment
 * are new stream data, in order.
 *
 * Sequence numbers are compared modulo 2^32 (serial arithmetic), so the
 * stream may wrap.  The stream offset is kept as a 64-bit count of the
 * octets delivered.
 *
 * Policy: first data wins.  Bytes already delivered (retransmissions,
 * overlapping resends) are skipped and counted, even if their content
 * differs.
 *
 * LIMITS
 *	No out-of-order buffering yet: a segment beyond the next expected
 *	sequence number is a gap; the missing octets are reported (the
 *	caller flags the mail in progress incomplete) and the stream resumes
 *	at the new segment.
 */
#ifndef MT_TCP_H
#define MT_TCP_H

#include <stdint.h>

struct mt_tcp_dir {
	uint32_t next_seq;  /* next expected sequence number */
	uint8_t synced;     /* next_seq is valid */
	uint8_t syn_seen;   /* synced from a SYN (not mid-stream) */
	uint8_t fin_seen;
	uint8_t rst_seen;
	uint64_t offset;    /* octets delivered so far */
};

/* What to do with one segment's payload. */
struct mt_tcp_verdict {
	uint32_t skip;      /* leading payload octets already seen */
	uint32_t deliver;   /* octets after skip that are new, in order */
	uint32_t gap;       /* octets missing before this segment */
	uint8_t midstream;  /* this segment synced a stream with no SYN */
};

/*
 * Account one segment (seq, TCP flags, payload length) in direction d and
 * say which payload octets to deliver.  A SYN's sequence number is
 * consumed, so is a FIN's.
 */
void mt_tcp_dir_segment(struct mt_tcp_dir *d, uint32_t seq, uint8_t flags,
			uint32_t len, struct mt_tcp_verdict *v);

#endif /* MT_TCP_H */
