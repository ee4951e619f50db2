/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * decode.c - libFuzzer harness for lib/decode (and lib/tcp on its output).
 * Built and run by `make fuzz`.
 *
 * Checks: any frame either fails to decode or yields offsets and a payload
 * inside the frame; feeding the result to a TCP direction delivers each
 * payload octet once or counts it as seen before.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mt_decode.h"
#include "mt_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t delivered;

static void
f_deliver(void *ctx, const uint8_t *p, uint32_t n)
{
	(void)ctx;
	(void)p;
	delivered += n;
}

static void
f_gap(void *ctx, uint32_t n)
{
	(void)ctx;
	(void)n;
}

/* hold nothing: every hole is declared lost at once */
static int
f_hold(void *ctx, struct mt_tcp_piece *pc)
{
	(void)ctx;
	(void)pc;
	return -1;
}

static void
f_release(void *ctx, struct mt_tcp_piece *pc)
{
	(void)ctx;
	(void)pc;
	abort(); /* nothing was held */
}

static const struct mt_tcp_ops ops = { f_deliver, f_gap, f_hold, f_release };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mt_tcp_dir dir;
	struct mt_tcp_counters c = { 0 };
	struct mt_pkt p;
	uint64_t before = delivered;

	if (mt_decode(data, size, size, &p) != MT_DECODE_OK)
		return 0;
	if (p.l3_off >= p.l4_off || p.l4_off + 20u > p.payload_off ||
	    (size_t)p.payload_off + p.payload_len > size || (p.family != 4 && p.family != 6))
		abort();
	mt_tcp_dir_input(&dir, p.seq, p.tcp_flags, p.ack, data + p.payload_off, p.payload_len,
			 NULL, 1 << 16, NULL, &ops, NULL, &c);
	if (delivered - before + c.retrans_bytes != p.payload_len && !c.out_of_window) {
		fprintf(stderr, "seq %u len %u flags %#x delivered %lu retrans %lu next %u "
			"synced %u syn %u fin %u early %u fin_seq %u\n", p.seq, p.payload_len,
			p.tcp_flags, (unsigned long)(delivered - before),
			(unsigned long)c.retrans_bytes, dir.next_seq, dir.synced, dir.syn_seen,
			dir.fin_seen, dir.fin_early, dir.fin_seq);
		abort();
	}
	return 0;
}
