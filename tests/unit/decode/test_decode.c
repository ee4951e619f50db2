/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/decode: L2-L4 decoding of hand-built frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mt_decode.h"

/* Build eth [+ vlan tags] + IPv4 + TCP + payload into f; returns length. */
static size_t
build_v4(uint8_t *f, int n_vlan, uint16_t frag, uint8_t proto, const char *payload,
	 size_t pad)
{
	size_t off = 12, plen = strlen(payload), iplen = 20 + 20 + plen;
	int i;

	memset(f, 0, 256);
	for (i = 0; i < n_vlan; i++) {
		f[off] = i == 0 && n_vlan == 2 ? 0x88 : 0x81;
		f[off + 1] = i == 0 && n_vlan == 2 ? 0xa8 : 0x00;
		f[off + 3] = (uint8_t)(10 + i);
		off += 4;
	}
	f[off] = 0x08, f[off + 1] = 0x00;
	off += 2;
	f[off] = 0x45;
	f[off + 2] = (uint8_t)(iplen >> 8), f[off + 3] = (uint8_t)iplen;
	f[off + 6] = (uint8_t)(frag >> 8), f[off + 7] = (uint8_t)frag;
	f[off + 8] = 64, f[off + 9] = proto;
	memcpy(f + off + 12, "\xc6\x33\x64\x07", 4); /* 198.51.100.7 */
	memcpy(f + off + 16, "\xc0\x00\x02\x19", 4); /* 192.0.2.25 */
	off += 20;
	f[off] = 0x9c, f[off + 1] = 0x41;            /* 40001 */
	f[off + 2] = 0, f[off + 3] = 25;
	f[off + 4] = 0x01, f[off + 5] = 0x02, f[off + 6] = 0x03, f[off + 7] = 0x04;
	f[off + 12] = 5 << 4;
	f[off + 13] = 0x18;                          /* PSH ACK */
	off += 20;
	memcpy(f + off, payload, plen);
	return off + plen + pad;
}

static void
ipv4_tcp_fields_and_payload(void **state)
{
	uint8_t f[256];
	struct mt_pkt p;
	size_t n = build_v4(f, 0, 0x4000 /* DF */, 6, "EHLO x\r\n", 0);

	(void)state;
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.sport, 40001);
	assert_int_equal(p.dport, 25);
	assert_int_equal(p.seq, 0x01020304);
	assert_int_equal(p.tcp_flags, MT_TCP_PSH | MT_TCP_ACK);
	assert_int_equal(p.payload_len, 8);
	assert_memory_equal(f + p.payload_off, "EHLO x\r\n", 8);
	assert_memory_equal(p.saddr, "\xc6\x33\x64\x07", 4);
	assert_memory_equal(p.daddr, "\xc0\x00\x02\x19", 4);
}

static void
ethernet_padding_is_not_payload(void **state)
{
	uint8_t f[256];
	struct mt_pkt p;
	/* a bare ACK padded to the 60-byte minimum frame */
	size_t n = build_v4(f, 0, 0, 6, "", 6);

	(void)state;
	assert_int_equal(n, 60);
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_OK);
	assert_int_equal(p.payload_len, 0);
}

static void
vlan_and_qinq_tags_are_skipped(void **state)
{
	uint8_t f[256];
	struct mt_pkt p;
	size_t n;

	(void)state;
	n = build_v4(f, 1, 0, 6, "QUIT\r\n", 0);
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_OK);
	assert_int_equal(p.n_vlan, 1);
	assert_int_equal(p.l3_off, 18);
	assert_int_equal(p.payload_len, 6);
	n = build_v4(f, 2, 0, 6, "QUIT\r\n", 0);
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_OK);
	assert_int_equal(p.n_vlan, 2);
	assert_int_equal(p.l3_off, 22);
	assert_memory_equal(f + p.payload_off, "QUIT\r\n", 6);
}

static void
non_tcp_fragments_and_non_ip_are_classified(void **state)
{
	uint8_t f[256];
	struct mt_pkt p;
	size_t n;

	(void)state;
	n = build_v4(f, 0, 0, 17, "x", 0);
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_NOT_TCP);
	n = build_v4(f, 0, 0x2000 /* MF */, 6, "x", 0);
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_FRAGMENT);
	n = build_v4(f, 0, 0x0010 /* offset */, 6, "x", 0);
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_FRAGMENT);
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_NOT_IP);
}

static void
every_truncation_is_malformed_never_a_crash(void **state)
{
	uint8_t f[256];
	struct mt_pkt p;
	size_t n = build_v4(f, 1, 0, 6, "DATA\r\n", 0), k;

	(void)state;
	/* Headers cut anywhere: malformed (the IP length no longer fits). */
	for (k = 0; k < n; k++)
		assert_int_equal(mt_decode(f, k, k, &p), MT_DECODE_MALFORMED);
	/* bad IHL, bad TCP data offset */
	f[18] = 0x44;
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_MALFORMED);
	f[18] = 0x45;
	f[18 + 20 + 12] = 4 << 4;
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_MALFORMED);
}

static void
ipv6_with_extension_headers(void **state)
{
	uint8_t f[256];
	struct mt_pkt p;
	size_t off = 14, n;

	(void)state;
	memset(f, 0, sizeof(f));
	f[12] = 0x86, f[13] = 0xdd;
	f[off] = 0x60;
	f[off + 5] = 8 + 20 + 4;  /* payload length: hop-by-hop + tcp + data */
	f[off + 6] = 0;           /* next: hop-by-hop */
	f[off + 8] = 0x20, f[off + 9] = 0x01, f[off + 10] = 0x0d, f[off + 11] = 0xb8;
	f[off + 39] = 0x19;
	off += 40;
	f[off] = 6;               /* next: TCP, length 0 => 8 bytes */
	off += 8;
	f[off + 1] = 25, f[off + 2] = 0x9c, f[off + 3] = 0x41;
	f[off + 12] = 5 << 4;
	f[off + 13] = 0x18;
	memcpy(f + off + 20, "250 ", 4);
	n = off + 24;
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.sport, 25);
	assert_int_equal(p.l4_off, 14 + 48);
	assert_int_equal(p.payload_len, 4);
	assert_memory_equal(p.saddr, "\x20\x01\x0d\xb8", 4);
	f[14 + 40] = 44;          /* hop-by-hop then a fragment header */
	assert_int_equal(mt_decode(f, n, n, &p), MT_DECODE_FRAGMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_tcp_fields_and_payload),
		cmocka_unit_test(ethernet_padding_is_not_payload),
		cmocka_unit_test(vlan_and_qinq_tags_are_skipped),
		cmocka_unit_test(non_tcp_fragments_and_non_ip_are_classified),
		cmocka_unit_test(every_truncation_is_malformed_never_a_crash),
		cmocka_unit_test(ipv6_with_extension_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
