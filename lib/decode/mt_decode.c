/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "mt_decode.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define IPPROTO_TCP_ 6
#define MT_MAX_VLAN 2

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum mt_decode_res
decode_ipv4(const uint8_t *f, size_t len, size_t off, size_t wire_len, struct mt_pkt *p,
	    size_t *l4, size_t *l4_end)
{
	const uint8_t *ip = f + off;
	size_t ihl, tot;

	if (len < off + 20)
		return MT_DECODE_MALFORMED;
	if ((ip[0] >> 4) != 4)
		return MT_DECODE_MALFORMED;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot = rd16(ip + 2);
	if (ihl < 20 || tot < ihl || len < off + ihl || wire_len < off + tot)
		return MT_DECODE_MALFORMED;
	/* MF set or a non-zero offset: a fragment */
	if (rd16(ip + 6) & 0x3fff)
		return MT_DECODE_FRAGMENT;
	if (ip[9] != IPPROTO_TCP_)
		return MT_DECODE_NOT_TCP;
	p->family = 4;
	memset(p->saddr, 0, sizeof(p->saddr));
	memset(p->daddr, 0, sizeof(p->daddr));
	memcpy(p->saddr, ip + 12, 4);
	memcpy(p->daddr, ip + 16, 4);
	*l4 = off + ihl;
	*l4_end = off + tot;
	return MT_DECODE_OK;
}

static enum mt_decode_res
decode_ipv6(const uint8_t *f, size_t len, size_t off, size_t wire_len, struct mt_pkt *p,
	    size_t *l4, size_t *l4_end)
{
	const uint8_t *ip = f + off;
	size_t end, cur;
	uint8_t nh;
	int hops;

	if (len < off + 40)
		return MT_DECODE_MALFORMED;
	if ((ip[0] >> 4) != 6)
		return MT_DECODE_MALFORMED;
	end = off + 40 + rd16(ip + 4);
	if (wire_len < end)
		return MT_DECODE_MALFORMED;
	nh = ip[6];
	cur = off + 40;
	/* Bounded walk over extension headers. */
	for (hops = 0; hops < 8; hops++) {
		switch (nh) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
			if (len < cur + 8 || end < cur + 8)
				return MT_DECODE_MALFORMED;
			nh = f[cur];
			cur += ((size_t)f[cur + 1] + 1) * 8;
			continue;
		case 44:  /* fragment */
			return MT_DECODE_FRAGMENT;
		case IPPROTO_TCP_:
			p->family = 6;
			memcpy(p->saddr, ip + 8, 16);
			memcpy(p->daddr, ip + 24, 16);
			*l4 = cur;
			*l4_end = end;
			return cur <= end ? MT_DECODE_OK : MT_DECODE_MALFORMED;
		default:
			return MT_DECODE_NOT_TCP;
		}
	}
	return MT_DECODE_MALFORMED;
}

enum mt_decode_res
mt_decode(const uint8_t *f, size_t len, size_t wire_len, struct mt_pkt *p)
{
	enum mt_decode_res r;
	size_t off = ETH_HLEN, l4 = 0, l4_end = 0, thl;
	uint16_t type;

	if (len < ETH_HLEN)
		return MT_DECODE_MALFORMED;
	type = rd16(f + 12);
	p->n_vlan = 0;
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
		if (p->n_vlan == MT_MAX_VLAN || len < off + 4)
			return MT_DECODE_MALFORMED;
		type = rd16(f + off + 2);
		off += 4;
		p->n_vlan++;
	}
	if (type == ETHERTYPE_IPV4)
		r = decode_ipv4(f, len, off, wire_len, p, &l4, &l4_end);
	else if (type == ETHERTYPE_IPV6)
		r = decode_ipv6(f, len, off, wire_len, p, &l4, &l4_end);
	else
		return MT_DECODE_NOT_IP;
	if (r != MT_DECODE_OK)
		return r;

	if (len < l4 + 20 || l4_end < l4 + 20)
		return MT_DECODE_MALFORMED;
	thl = (size_t)(f[l4 + 12] >> 4) * 4;
	if (thl < 20 || len < l4 + thl || l4_end < l4 + thl)
		return MT_DECODE_MALFORMED;
	p->l3_off = (uint16_t)off;
	p->l4_off = (uint16_t)l4;
	p->payload_off = (uint16_t)(l4 + thl);
	p->payload_len = (uint16_t)(l4_end - l4 - thl);
	p->sport = rd16(f + l4);
	p->dport = rd16(f + l4 + 2);
	p->seq = rd32(f + l4 + 4);
	p->ack = rd32(f + l4 + 8);
	p->tcp_flags = f[l4 + 13];
	return MT_DECODE_OK;
}

const char *
mt_decode_res_str(enum mt_decode_res r)
{
	static const char *const names[MT_DECODE__COUNT] = {
		[MT_DECODE_OK] = "ok",
		[MT_DECODE_NOT_IP] = "not_ip",
		[MT_DECODE_NOT_TCP] = "not_tcp",
		[MT_DECODE_FRAGMENT] = "fragment",
		[MT_DECODE_MALFORMED] = "malformed",
	};

	return (unsigned)r < MT_DECODE__COUNT ? names[r] : "?";
}
