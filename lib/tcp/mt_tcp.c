/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "mt_decode.h"
#include "mt_tcp.h"

void
mt_tcp_dir_segment(struct mt_tcp_dir *d, uint32_t seq, uint8_t flags, uint32_t len,
		   struct mt_tcp_verdict *v)
{
	int32_t diff;

	memset(v, 0, sizeof(*v));
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
		if (len == 0 && !(flags & MT_TCP_FIN))
			return;
		d->next_seq = seq;
		d->synced = 1;
		v->midstream = 1;
	}

	diff = (int32_t)(seq - d->next_seq);
	if (diff < 0) {
		v->skip = (uint32_t)-diff < len ? (uint32_t)-diff : len;
	} else if (diff > 0) {
		v->gap = (uint32_t)diff;
		d->next_seq = seq;
	}
	v->deliver = len - v->skip;
	d->next_seq += v->deliver;
	d->offset += v->deliver;
	/* The FIN occupies the sequence number after the data; only count it
	 * when it arrives in order, so a retransmitted old segment with FIN
	 * does not end the stream early. */
	if ((flags & MT_TCP_FIN) && (int32_t)(seq + len - d->next_seq) >= 0 && !d->fin_seen) {
		d->fin_seen = 1;
		d->next_seq++;
	}
}
