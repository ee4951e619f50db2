/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policy.c - lib/policy: prefixes from text (errors, IPv4/IPv6,
 * /0 /32 /128 boundaries), the merged range lookup against a brute-force
 * mask compare, the six mail paths of the monitoring paper (every hop kept
 * in mode all, exactly one per path in mode registered), and the cost of
 * a lookup for 16 and 1024 prefixes (printed, not asserted).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mt_policy.h"

static struct mt_policy pol; /* 40 KiB: not on the stack */

static void
parse_ok(const char *mode, const char *servers)
{
	struct mt_err err = { "" };
	int rc = mt_policy_parse(&pol, mode, servers, &err);

	if (rc != 0)
		print_error("mt_policy_parse(%s, %s): %s\n", mode, servers, err.msg);
	assert_int_equal(rc, 0);
}

static void
parse_err(const char *mode, const char *servers, const char *want)
{
	struct mt_err err = { "" };
	int rc = mt_policy_parse(&pol, mode, servers, &err);

	if (rc != -EINVAL || strstr(err.msg, want) == NULL) {
		print_error("mt_policy_parse(%s, %s) = %d '%s', want -EINVAL '%s'\n",
			    mode, servers, rc, err.msg, want);
		fail();
	}
}

/* Address text to the 16 bytes of struct mt_pkt; returns the family. */
static unsigned
addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(s, ':') != NULL) {
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
		return 6;
	}
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
	return 4;
}

static int
reg(const char *s)
{
	uint8_t a[16];
	unsigned f = addr(s, a);

	return mt_policy_registered(&pol, f, a);
}

#define ASSERT_REG(s) do { if (!reg(s)) { print_error("%s not registered\n", s); fail(); } } while (0)
#define ASSERT_NOT_REG(s) do { if (reg(s)) { print_error("%s registered\n", s); fail(); } } while (0)

/* ------------------------------------------------------------------ */
/* Text */

static void
test_parse_modes_and_lists(void **state)
{
	(void)state;
	parse_ok("all", NULL);
	assert_int_equal(pol.mode, MT_POLICY_ALL);
	assert_int_equal(pol.n_prefixes, 0);
	parse_ok("all", "");
	parse_ok("ALL", "192.0.2.25");
	assert_int_equal(pol.mode, MT_POLICY_ALL);
	assert_int_equal(pol.n_prefixes, 1);
	parse_ok("registered", " 192.0.2.25, 2001:db8::/32\n10.0.0.0/8\t198.51.100.0/24 ,");
	assert_int_equal(pol.mode, MT_POLICY_REGISTERED);
	assert_int_equal(pol.n_prefixes, 4);
	assert_int_equal(pol.n4, 3);
	assert_int_equal(pol.n6, 1);
	assert_string_equal(mt_policy_mode_str(MT_POLICY_ALL), "all");
	assert_string_equal(mt_policy_mode_str(MT_POLICY_REGISTERED), "registered");
}

static void
test_parse_errors(void **state)
{
	(void)state;
	parse_err("some", "192.0.2.25", "mode 'some' is not all or registered");
	parse_err(NULL, "192.0.2.25", "mode '(null)'");
	parse_err("registered", "", "mode registered needs at least one");
	parse_err("registered", NULL, "mode registered needs at least one");
	parse_err("registered", "192.0.2.1/24", "'192.0.2.1/24' has host bits set "
		  "(write 192.0.2.0/24 for the network or 192.0.2.1/32 for the host)");
	parse_err("registered", "10.0.0.1/0", "has host bits set (write 0.0.0.0/0");
	parse_err("registered", "::1/0", "has host bits set (write ::/0");
	parse_err("registered", "2001:db8::4000/113", "write 2001:db8::/113");
	parse_err("registered", "192.0.2.0/33", "prefix length 33 is over 32");
	parse_err("registered", "2001:db8::/129", "prefix length 129 is over 128");
	parse_err("registered", "192.0.2.0/1234", "bad prefix length");
	parse_err("registered", "192.0.2.0/-1", "bad prefix length");
	parse_err("registered", "192.0.2.0/", "bad prefix length");
	parse_err("registered", "/24", "'/24' is not an IPv4 or IPv6 address");
	parse_err("registered", "192.0.2.256", "is not an IPv4 or IPv6 address");
	parse_err("registered", "192.0.2", "is not an IPv4 or IPv6 address");
	parse_err("registered", "010.0.0.1", "is not an IPv4 or IPv6 address");
	parse_err("registered", "2001:db8:::1", "is not an IPv4 or IPv6 address");
	parse_err("registered", "fe80::1%lo", "is not an IPv4 or IPv6 address");
	parse_err("registered", "mx.example.org", "is not an IPv4 or IPv6 address");
	parse_err("registered", "192.0.2.25, 0123456789012345678901234567890123456789"
		  "0123456789012345678901234567890123456789", "is not an address or prefix");
}

static void
test_init_errors(void **state)
{
	struct mt_conf_prefix p[2] = { { .family = 4, .len = 33 }, { .family = 5 } };
	struct mt_err err;

	(void)state;
	assert_int_equal(mt_policy_init(&pol, MT_POLICY_ALL, p, 1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bad family 4 or length 33"));
	assert_int_equal(mt_policy_init(&pol, MT_POLICY_ALL, p + 1, 1, &err), -EINVAL);
	assert_int_equal(mt_policy_init(&pol, MT_POLICY_ALL, p, MT_POLICY_MAX_PREFIXES + 1,
					&err), -EINVAL);
	assert_non_null(strstr(err.msg, "at most 1024"));
	assert_int_equal(mt_policy_init(&pol, MT_POLICY_REGISTERED, NULL, 0, &err), -EINVAL);
	assert_int_equal(mt_policy_init(&pol, MT_POLICY_ALL, NULL, 0, &err), 0);
}

/* ------------------------------------------------------------------ */
/* Lookup */

static void
test_boundaries_v4(void **state)
{
	(void)state;
	parse_ok("registered", "192.0.2.0/24, 198.51.100.7/32, 203.0.113.128/25");
	ASSERT_NOT_REG("192.0.1.255");
	ASSERT_REG("192.0.2.0");
	ASSERT_REG("192.0.2.255");
	ASSERT_NOT_REG("192.0.3.0");
	ASSERT_NOT_REG("198.51.100.6");
	ASSERT_REG("198.51.100.7");
	ASSERT_NOT_REG("198.51.100.8");
	ASSERT_NOT_REG("203.0.113.127");
	ASSERT_REG("203.0.113.128");
	ASSERT_REG("203.0.113.255");
	ASSERT_NOT_REG("203.0.114.0");
	ASSERT_NOT_REG("0.0.0.0");
	ASSERT_NOT_REG("255.255.255.255");
	/* an IPv4 list registers no IPv6 address */
	ASSERT_NOT_REG("::");
	ASSERT_NOT_REG("::ffff:192.0.2.1");

	parse_ok("registered", "0.0.0.0/0");
	ASSERT_REG("0.0.0.0");
	ASSERT_REG("255.255.255.255");
	ASSERT_REG("192.0.2.1");
	ASSERT_NOT_REG("::1");

	parse_ok("registered", "255.255.255.255/32, 0.0.0.0/32");
	ASSERT_REG("255.255.255.255");
	ASSERT_REG("0.0.0.0");
	ASSERT_NOT_REG("255.255.255.254");
	ASSERT_NOT_REG("0.0.0.1");
	assert_int_equal(pol.n4, 2);
}

static void
test_boundaries_v6(void **state)
{
	(void)state;
	parse_ok("registered", "2001:db8:2::/48, 2001:db8:9::19/128, 2001:db8:5:0:8000::/65");
	ASSERT_NOT_REG("2001:db8:1:ffff:ffff:ffff:ffff:ffff");
	ASSERT_REG("2001:db8:2::");
	ASSERT_REG("2001:db8:2:ffff:ffff:ffff:ffff:ffff");
	ASSERT_NOT_REG("2001:db8:3::");
	ASSERT_NOT_REG("2001:db8:9::18");
	ASSERT_REG("2001:db8:9::19");
	ASSERT_NOT_REG("2001:db8:9::1a");
	/* /65: the split falls inside the low 64 bits */
	ASSERT_NOT_REG("2001:db8:5:0:7fff:ffff:ffff:ffff");
	ASSERT_REG("2001:db8:5:0:8000::");
	ASSERT_REG("2001:db8:5:0:ffff:ffff:ffff:ffff");
	ASSERT_NOT_REG("2001:db8:5:1::");
	ASSERT_NOT_REG("192.0.2.25");

	parse_ok("registered", "::/0");
	ASSERT_REG("::");
	ASSERT_REG("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ASSERT_NOT_REG("192.0.2.25");

	parse_ok("registered", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128, ::/128, "
		 "2001:db8::/64, 2001:db8:0:1::/64");
	ASSERT_REG("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ASSERT_NOT_REG("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	ASSERT_REG("::");
	ASSERT_NOT_REG("::1");
	/* two adjacent /64 merge into one range */
	assert_int_equal(pol.n6, 3);
	ASSERT_REG("2001:db8:0:1:ffff:ffff:ffff:ffff");
	ASSERT_NOT_REG("2001:db8:0:2::");
}

static void
test_overlaps_merge(void **state)
{
	(void)state;
	parse_ok("registered", "10.0.0.0/8, 10.1.0.0/16, 10.1.2.3, 10.0.0.0/8, "
		 "11.0.0.0/8, 9.255.255.255");
	/* 9.255.255.255 + 10/8 + 11/8 are one contiguous range */
	assert_int_equal(pol.n4, 1);
	assert_int_equal(pol.n_prefixes, 6);
	ASSERT_REG("9.255.255.255");
	ASSERT_REG("11.255.255.255");
	ASSERT_NOT_REG("9.255.255.254");
	ASSERT_NOT_REG("12.0.0.0");
}

/* xorshift64*: reproducible */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static int
naive_in(const struct mt_conf_prefix *pf, unsigned n, unsigned family, const uint8_t *a)
{
	unsigned i, b, full, rest;

	for (i = 0; i < n; i++) {
		if (pf[i].family != family)
			continue;
		full = pf[i].len / 8;
		rest = pf[i].len % 8;
		if (memcmp(pf[i].addr, a, full) != 0)
			continue;
		b = (0xff00u >> rest) & 0xff;
		if (rest && (pf[i].addr[full] & b) != (a[full] & b))
			continue;
		return 1;
	}
	return 0;
}

/* Random prefixes from a small space (so they overlap and touch); random
 * addresses near them; the ranges must agree with a mask compare. */
static void
test_matches_brute_force(void **state)
{
	static struct mt_conf_prefix pf[MT_POLICY_MAX_PREFIXES];
	unsigned round, n, i, j, k, family, len;
	struct mt_err err;
	uint8_t a[16];

	(void)state;
	for (round = 0; round < 200; round++) {
		n = 1 + (unsigned)(rnd() % (round < 100 ? 16 : MT_POLICY_MAX_PREFIXES));
		for (i = 0; i < n; i++) {
			family = rnd() % 2 ? 4 : 6;
			memset(&pf[i], 0, sizeof(pf[i]));
			pf[i].family = (uint8_t)family;
			/* few distinct leading bytes: many overlaps */
			for (j = 0; j < (family == 4 ? 4u : 16u); j++)
				pf[i].addr[j] = (uint8_t)(j < 2 ? rnd() % 3 : rnd());
			len = family == 4 ? (unsigned)(rnd() % 33) : (unsigned)(rnd() % 129);
			pf[i].len = (uint8_t)len;
			for (j = 0; j < (family == 4 ? 4u : 16u); j++) {
				unsigned keep = len >= 8 * (j + 1) ? 8 : len > 8 * j ? len - 8 * j : 0;

				pf[i].addr[j] &= (uint8_t)(0xff00u >> keep);
			}
		}
		assert_int_equal(mt_policy_init(&pol, MT_POLICY_REGISTERED, pf, n, &err), 0);
		for (k = 0; k < 2000; k++) {
			const struct mt_conf_prefix *near = &pf[rnd() % n];

			family = near->family;
			memcpy(a, near->addr, 16);
			/* flip a few bits around the prefix boundary */
			for (j = 0; j < 3; j++) {
				unsigned bit = (near->len + (unsigned)(rnd() % 9) + 124) %
					       (family == 4 ? 32 : 128);

				if (rnd() % 2)
					a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
			}
			if (family == 4)
				memset(a + 4, 0, 12);
			if (mt_policy_registered(&pol, family, a) != naive_in(pf, n, family, a)) {
				char s[64];

				inet_ntop(family == 4 ? AF_INET : AF_INET6, a, s, sizeof(s));
				print_error("round %u: %s: ranges say %d, masks say %d\n", round, s,
					    mt_policy_registered(&pol, family, a),
					    naive_in(pf, n, family, a));
				for (j = 0; j < n; j++)
					if (naive_in(&pf[j], 1, family, a))
						print_error("  in %s\n",
							    mt_conf_prefix_str(&pf[j], s, sizeof(s)));
				fail();
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* The six paths */

#define EXT_SRV "203.0.113.10"   /* an external mail server */
#define EXT_DST "198.51.100.20"  /* an external destination server */
#define USER "10.1.2.3"          /* an internal user's MUA (not a server) */
#define REG1 "192.0.2.25"        /* internal server 1 */
#define REG2 "192.0.2.26"        /* internal server 2 */

#define EXT_SRV6 "2001:db8:ee::10"
#define EXT_DST6 "2001:db8:dd::20"
#define USER6 "2001:db8:1:2::3"
#define REG1_6 "2001:db8:2::19"
#define REG2_6 "2001:db8:2::1a"

struct hop {
	const char *cli, *srv;
};

struct path {
	const char *what;
	struct hop hop[3];
	unsigned n;
	unsigned entry; /* the hop kept under registered */
};

/* What RX does: the SMTP port side is the server; then the policy. */
static int
rx_keeps(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct mt_pkt pkt;
	enum mt_dir dir;

	memset(&pkt, 0, sizeof(pkt));
	pkt.family = (uint8_t)addr(src, pkt.saddr);
	assert_int_equal(addr(dst, pkt.daddr), pkt.family);
	pkt.sport = sport;
	pkt.dport = dport;
	if (dport == 25)
		dir = MT_DIR_C2S;
	else if (sport == 25)
		dir = MT_DIR_S2C;
	else
		return 0;
	return mt_policy_keep(&pol, &pkt, dir);
}

/* Both directions of a hop get the same verdict; returns it. */
static int
hop_kept(const struct hop *h)
{
	int req = rx_keeps(h->cli, 40000, h->srv, 25);
	int rsp = rx_keeps(h->srv, 25, h->cli, 40000);

	if (req != rsp) {
		print_error("%s -> %s:25: request %d, response %d\n", h->cli, h->srv, req, rsp);
		fail();
	}
	return req;
}

static void
check_paths(const struct path *paths, unsigned n_paths, const char *reg_list)
{
	unsigned i, h, kept;

	parse_ok("all", reg_list);
	for (i = 0; i < n_paths; i++)
		for (h = 0; h < paths[i].n; h++)
			if (!hop_kept(&paths[i].hop[h])) {
				print_error("all: %s: hop %u dropped\n", paths[i].what, h + 1);
				fail();
			}
	parse_ok("registered", reg_list);
	for (i = 0; i < n_paths; i++) {
		for (h = 0, kept = 0; h < paths[i].n; h++) {
			int k = hop_kept(&paths[i].hop[h]);

			kept += (unsigned)k;
			if (k && h != paths[i].entry) {
				print_error("registered: %s: hop %u (%s -> %s) kept\n", paths[i].what,
					    h + 1, paths[i].hop[h].cli, paths[i].hop[h].srv);
				fail();
			}
		}
		if (kept != 1) {
			print_error("registered: %s: %u hops kept, want exactly 1\n", paths[i].what,
				    kept);
			fail();
		}
	}
}

static void
test_six_paths_v4(void **state)
{
	static const struct path paths[] = {
		{ "1 external -> server1", { { EXT_SRV, REG1 } }, 1, 0 },
		{ "2 external -> server1 -> server2",
		  { { EXT_SRV, REG1 }, { REG1, REG2 } }, 2, 0 },
		{ "3 user -> server1 (local delivery)", { { USER, REG1 } }, 1, 0 },
		{ "4 user -> server1 -> server2", { { USER, REG1 }, { REG1, REG2 } }, 2, 0 },
		{ "5 user -> server1 -> external", { { USER, REG1 }, { REG1, EXT_DST } }, 2, 0 },
		{ "6 user -> server1 -> server2 -> external",
		  { { USER, REG1 }, { REG1, REG2 }, { REG2, EXT_DST } }, 3, 0 },
		/* the same paths entering through server 2 */
		{ "1' external -> server2", { { EXT_SRV, REG2 } }, 1, 0 },
		{ "6' user -> server2 -> server1 -> external",
		  { { USER, REG2 }, { REG2, REG1 }, { REG1, EXT_DST } }, 3, 0 },
	};

	(void)state;
	check_paths(paths, MT_ARRAY_SIZE(paths), REG1 ", " REG2);
	/* a /24 covering both servers: the same verdicts */
	check_paths(paths, MT_ARRAY_SIZE(paths), "192.0.2.0/24");

	/* not inspected under registered: two outside hosts */
	parse_ok("registered", REG1 ", " REG2);
	assert_false(hop_kept(&(struct hop){ EXT_SRV, EXT_DST }));
	assert_false(hop_kept(&(struct hop){ USER, EXT_DST }));
	/* and a server talking to itself is registered on both sides */
	assert_false(hop_kept(&(struct hop){ REG1, REG1 }));
	/* no SMTP port on either side: not the policy's business */
	assert_false(rx_keeps(USER, 40000, REG1, 80));
}

static void
test_six_paths_v6(void **state)
{
	static const struct path paths[] = {
		{ "1 external -> server1", { { EXT_SRV6, REG1_6 } }, 1, 0 },
		{ "2 external -> server1 -> server2",
		  { { EXT_SRV6, REG1_6 }, { REG1_6, REG2_6 } }, 2, 0 },
		{ "3 user -> server1", { { USER6, REG1_6 } }, 1, 0 },
		{ "4 user -> server1 -> server2", { { USER6, REG1_6 }, { REG1_6, REG2_6 } }, 2, 0 },
		{ "5 user -> server1 -> external",
		  { { USER6, REG1_6 }, { REG1_6, EXT_DST6 } }, 2, 0 },
		{ "6 user -> server1 -> server2 -> external",
		  { { USER6, REG1_6 }, { REG1_6, REG2_6 }, { REG2_6, EXT_DST6 } }, 3, 0 },
	};

	(void)state;
	check_paths(paths, MT_ARRAY_SIZE(paths), REG1_6 " " REG2_6 " " REG1);
	check_paths(paths, MT_ARRAY_SIZE(paths), "2001:db8:2::/48");
}

/* ------------------------------------------------------------------ */
/* Cost */

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define N_ADDR 4096
#define N_LOOKUP (1u << 24)

static void
measure(unsigned n_prefixes)
{
	static struct mt_conf_prefix pf[MT_POLICY_MAX_PREFIXES];
	static struct mt_pkt pkts[N_ADDR];
	struct mt_err err;
	double t0, t[2] = { 0, 0 };
	unsigned nr[2] = { 0, 0 };
	unsigned i, family;
	volatile unsigned sink = 0;
	unsigned hits;

	for (family = 4; family <= 6; family += 2) {
		for (i = 0; i < n_prefixes; i++) {
			uint64_t r = rnd();

			memset(&pf[i], 0, sizeof(pf[i]));
			pf[i].family = (uint8_t)family;
			if (family == 4) {
				/* /24s spread over 10.0.0.0/8 */
				pf[i].addr[0] = 10;
				pf[i].addr[1] = (uint8_t)(r >> 8);
				pf[i].addr[2] = (uint8_t)r;
				pf[i].len = 24;
			} else {
				/* /48s under 2001:db8::/32 */
				pf[i].addr[0] = 0x20;
				pf[i].addr[1] = 0x01;
				pf[i].addr[2] = 0x0d;
				pf[i].addr[3] = 0xb8;
				pf[i].addr[4] = (uint8_t)(r >> 8);
				pf[i].addr[5] = (uint8_t)r;
				pf[i].len = 48;
			}
		}
		assert_int_equal(mt_policy_init(&pol, MT_POLICY_REGISTERED, pf, n_prefixes, &err),
				 0);
		/* half the server addresses registered, clients random */
		for (i = 0; i < N_ADDR; i++) {
			uint64_t r = rnd();

			memset(&pkts[i], 0, sizeof(pkts[i]));
			pkts[i].family = (uint8_t)family;
			memcpy(pkts[i].daddr, pf[r % n_prefixes].addr, 16);
			pkts[i].daddr[family == 4 ? 3 : 15] = (uint8_t)(r >> 16);
			if (r & (1ull << 40))
				pkts[i].daddr[family == 4 ? 1 : 7] ^= 0x55;
			pkts[i].saddr[0] = family == 4 ? 10 : 0x20;
			memcpy(pkts[i].saddr + 1, &r, 8);
			if (family == 4)
				memset(pkts[i].saddr + 4, 0, 12);
		}
		hits = 0;
		t0 = now_ns();
		for (i = 0; i < N_LOOKUP; i++)
			hits += (unsigned)mt_policy_keep(&pol, &pkts[i & (N_ADDR - 1)], MT_DIR_C2S);
		sink += hits;
		t[family == 6] = (now_ns() - t0) / N_LOOKUP;
		nr[family == 6] = family == 4 ? pol.n4 : pol.n6;
	}
	printf("# policy lookup, %4u prefixes: mt_policy_keep %.1f ns/packet IPv4, "
	       "%.1f ns/packet IPv6 (two range searches each; %u IPv4 ranges, %u IPv6)\n",
	       n_prefixes, t[0], t[1], nr[0], nr[1]);
	(void)sink;
}

static void
test_lookup_cost(void **state)
{
	struct mt_pkt pkt;
	double t0, t;
	unsigned i;
	volatile unsigned sink = 0;

	(void)state;
	parse_ok("all", NULL);
	memset(&pkt, 0, sizeof(pkt));
	pkt.family = 4;
	t0 = now_ns();
	for (i = 0; i < N_LOOKUP; i++)
		sink += (unsigned)mt_policy_keep(&pol, &pkt, MT_DIR_C2S);
	t = (now_ns() - t0) / N_LOOKUP;
	printf("# policy lookup, mode all: %.2f ns/packet\n", t);
	measure(16);
	measure(1024);
	(void)sink;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_modes_and_lists),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_boundaries_v4),
		cmocka_unit_test(test_boundaries_v6),
		cmocka_unit_test(test_overlaps_merge),
		cmocka_unit_test(test_matches_brute_force),
		cmocka_unit_test(test_six_paths_v4),
		cmocka_unit_test(test_six_paths_v6),
		cmocka_unit_test(test_lookup_cost),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
