/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * decode.c - libFuzzer harness for lib/decode (and lib/tcp on its output).
 * Built and run by `make fuzz`.
 *
 * Checks: any frame either fails to decode or yields offsets and a payload
 * inside the frame; feeding the result to a TCP direction never delivers
 * more than the payload.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mt_decode.h"
#include "mt_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mt_tcp_dir dir;
	struct mt_tcp_verdict v;
	struct mt_pkt p;

	if (mt_decode(data, size, size, &p) != MT_DECODE_OK)
		return 0;
	if (p.l3_off >= p.l4_off || p.l4_off + 20u > p.payload_off ||
	    (size_t)p.payload_off + p.payload_len > size || (p.family != 4 && p.family != 6))
		abort();
	mt_tcp_dir_segment(&dir, p.seq, p.tcp_flags, p.payload_len, &v);
	if (v.skip + v.deliver != p.payload_len)
		abort();
	return 0;
}
