/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_policy.h - the capture policy: which SMTP connections are rebuilt.
 *
 * The site registers the addresses of its own mail servers (regIP); every
 * other address is anyIP.  A mail crosses one SMTP hop per server it
 * passes (the monitoring paper's six paths, e.g. external -> server1 ->
 * server2 -> external is three hops).  In mode REGISTERED only
 *
 *	requests   anyIP-{regIP}:any   -> regIP:smtp-port
 *	responses  regIP:smtp-port     -> anyIP-{regIP}:any
 *
 * are kept: the one hop on which a mail enters the site's servers.  The
 * hops after it start at a registered server (regIP -> regIP, regIP ->
 * anyIP) and are dropped, and so are connections between two outside
 * hosts, so every mail of every path is rebuilt exactly once.  Mode ALL
 * keeps every connection that has an SMTP port on one side.
 *
 *	struct mt_policy pol;                  (about 40 KiB: embed it)
 *	mt_policy_init(&pol, MT_POLICY_REGISTERED, prefixes, n, &err);
 *	per packet, after the port check said which side is the server:
 *	if (!mt_policy_keep(&pol, &pkt, dir)) drop and count;
 *
 * Lookup: the prefixes are merged into disjoint address ranges per family,
 * sorted; an address is registered if the last range starting at or below
 * it also ends at or above it (a branch-free binary search: at most 10
 * steps for 1024 ranges, over arrays the RX lcore keeps in cache).
 *
 * Pure C, no DPDK; the policy is immutable after init and may be read by
 * any number of lcores.
 *
 * Limits: MT_POLICY_MAX_PREFIXES prefixes.
 */
#ifndef MT_POLICY_H
#define MT_POLICY_H

#include <stdint.h>

#include "mt_common.h"
#include "mt_conf.h"
#include "mt_decode.h"
#include "mt_err.h"

#define MT_POLICY_MAX_PREFIXES MT_CONF_MAX_SERVERS

enum mt_policy_mode {
	MT_POLICY_ALL = MT_CONF_POLICY_ALL,
	MT_POLICY_REGISTERED = MT_CONF_POLICY_REGISTERED,
};

/* A 128-bit address as two host-order halves. */
struct mt_policy_a6 {
	uint64_t hi, lo;
};

/* Private: in the header for embedding and for the inline lookup. */
struct mt_policy {
	enum mt_policy_mode mode;
	unsigned n_prefixes;     /* as given to init */
	unsigned n4, n6;         /* merged, disjoint, sorted ranges */
	uint32_t lo4[MT_POLICY_MAX_PREFIXES];
	uint32_t hi4[MT_POLICY_MAX_PREFIXES];
	struct mt_policy_a6 lo6[MT_POLICY_MAX_PREFIXES];
	struct mt_policy_a6 hi6[MT_POLICY_MAX_PREFIXES];
};

/*
 * Build the policy from n prefixes (overlaps and duplicates are merged).
 * Returns 0, or -EINVAL with err set: more than MT_POLICY_MAX_PREFIXES,
 * a prefix of a bad family or length, or mode REGISTERED with n == 0.
 */
int mt_policy_init(struct mt_policy *p, enum mt_policy_mode mode,
		   const struct mt_conf_prefix *pfx, unsigned n,
		   struct mt_err *err);

/*
 * The same from text: mode "all" or "registered"; servers a list of
 * addresses and prefixes separated by ',' or white space (the syntax of
 * [policy] servers, see mt_conf_prefix_parse); NULL or "" is none.
 * Returns 0, or -EINVAL with err naming the bad element.
 */
int mt_policy_parse(struct mt_policy *p, const char *mode,
		    const char *servers, struct mt_err *err);

const char *mt_policy_mode_str(enum mt_policy_mode mode);

static inline uint32_t
mt_policy_be32(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	       (uint32_t)a[2] << 8 | (uint32_t)a[3];
}

static inline uint64_t
mt_policy_be64(const uint8_t *a)
{
	return (uint64_t)mt_policy_be32(a) << 32 | mt_policy_be32(a + 4);
}

static inline int
mt_policy_a6_le(struct mt_policy_a6 a, struct mt_policy_a6 b)
{
	return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo);
}

/* Is addr (family 4: its first 4 bytes; 6: 16 bytes) registered? */
static inline int
mt_policy_registered(const struct mt_policy *p, unsigned family,
		     const uint8_t *addr)
{
	unsigned n, half, i;

	if (family == 4) {
		const uint32_t a = mt_policy_be32(addr);
		const uint32_t *base = p->lo4;

		n = p->n4;
		if (n == 0)
			return 0;
		while (n > 1) {
			half = n / 2;
			base = base[half] <= a ? base + half : base;
			n -= half;
		}
		i = (unsigned)(base - p->lo4);
		return p->lo4[i] <= a && a <= p->hi4[i];
	} else {
		const struct mt_policy_a6 a = { mt_policy_be64(addr),
						mt_policy_be64(addr + 8) };
		const struct mt_policy_a6 *base = p->lo6;

		n = p->n6;
		if (n == 0)
			return 0;
		while (n > 1) {
			half = n / 2;
			base = mt_policy_a6_le(base[half], a) ? base + half : base;
			n -= half;
		}
		i = (unsigned)(base - p->lo6);
		return mt_policy_a6_le(p->lo6[i], a) && mt_policy_a6_le(a, p->hi6[i]);
	}
}

/*
 * Keep this packet's connection?  dir says which side is the server (the
 * SMTP port side): MT_DIR_C2S, the destination; MT_DIR_S2C, the source.
 */
static inline int
mt_policy_keep(const struct mt_policy *p, const struct mt_pkt *pkt,
	       enum mt_dir dir)
{
	const uint8_t *srv, *cli;

	if (p->mode == MT_POLICY_ALL)
		return 1;
	srv = dir == MT_DIR_C2S ? pkt->daddr : pkt->saddr;
	cli = dir == MT_DIR_C2S ? pkt->saddr : pkt->daddr;
	return mt_policy_registered(p, pkt->family, srv) &&
	       !mt_policy_registered(p, pkt->family, cli);
}

#endif /* MT_POLICY_H */
