/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_decode.h - L2..L4 decoding of one captured frame; stateless.
 *
 *	Ethernet II [802.1Q | 802.1ad/QinQ, up to 2 tags]
 *	  -> IPv4 (options skipped; fragments reported, not reassembled)
 *	   | IPv6 (hop-by-hop, routing, destination options skipped;
 *	           fragment header reported)
 *	  -> TCP (options skipped)
 *
 * The payload length comes from the IP length fields, never from the
 * frame length, so Ethernet padding of short frames is not taken as data.
 */
#ifndef MT_DECODE_H
#define MT_DECODE_H

#include <stddef.h>
#include <stdint.h>

enum mt_decode_res {
	MT_DECODE_OK = 0,
	MT_DECODE_NOT_IP,    /* ARP, LLDP, other ethertypes */
	MT_DECODE_NOT_TCP,   /* UDP, ICMP, ... */
	MT_DECODE_FRAGMENT,  /* IPv4/IPv6 fragment (not reassembled) */
	MT_DECODE_MALFORMED, /* truncated frame, bad header lengths */
	MT_DECODE__COUNT
};

/* TCP flag bits as on the wire. */
#define MT_TCP_FIN 0x01
#define MT_TCP_SYN 0x02
#define MT_TCP_RST 0x04
#define MT_TCP_PSH 0x08
#define MT_TCP_ACK 0x10

struct mt_pkt {
	uint8_t family;      /* 4 or 6 */
	uint8_t tcp_flags;
	uint8_t n_vlan;
	uint16_t l3_off;     /* offsets from the start of the frame */
	uint16_t l4_off;
	uint16_t payload_off;
	uint16_t payload_len;
	uint16_t sport, dport; /* host order */
	uint32_t seq, ack;     /* host order */
	uint8_t saddr[16];     /* IPv4: first 4 bytes, rest zero */
	uint8_t daddr[16];
};

/*
 * Decode the first len bytes of a frame (the headers must be contiguous;
 * the payload need not be).  wire_len is the frame's full length, used to
 * check that the IP length fits.  Fills p on MT_DECODE_OK.
 */
enum mt_decode_res mt_decode(const uint8_t *frame, size_t len, size_t wire_len,
			     struct mt_pkt *p);

const char *mt_decode_res_str(enum mt_decode_res r);

#endif /* MT_DECODE_H */
