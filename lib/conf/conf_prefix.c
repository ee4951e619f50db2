/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_prefix.c - IPv4/IPv6 prefixes (CIDR) as written in mailtap.conf
 * and in a [policy] servers_file.
 *
 *	192.0.2.25          a host: /32
 *	192.0.2.0/24
 *	2001:db8::/32
 *	2001:db8::25        a host: /128
 *
 * The address part goes to inet_pton(), which takes only dotted quads for
 * IPv4 (no "10.1", no octal) and no scope id for IPv6.  A prefix with
 * host bits set is refused rather than masked: "192.0.2.1/24" is more
 * likely a typo for /32 than a wish for the whole /24, and the two read
 * very differently in a capture policy.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mt_conf.h"

#define PREFIX_TEXT_MAX 64 /* longest IPv6 text (45) + "/128" + slack */

int
mt_conf_prefix_parse(const char *s, struct mt_conf_prefix *out, char *why,
		     size_t n)
{
	char addr[PREFIX_TEXT_MAX], sug[PREFIX_TEXT_MAX];
	struct mt_conf_prefix p;
	const char *slash, *d;
	unsigned len = 0, max, i, bits;
	size_t alen;

	memset(&p, 0, sizeof(p));
	if (*s == '\0') {
		snprintf(why, n, "empty address");
		return -1;
	}
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (strchr(addr, ':') != NULL) {
		if (inet_pton(AF_INET6, addr, p.addr) != 1)
			goto bad;
		p.family = 6;
		max = 128;
	} else {
		if (inet_pton(AF_INET, addr, p.addr) != 1)
			goto bad;
		p.family = 4;
		max = 32;
	}
	len = max;
	if (slash != NULL) {
		d = slash + 1;
		if (*d == '\0' || strlen(d) > 3)
			goto bad_len;
		for (len = 0; *d != '\0'; d++) {
			if (!isdigit((unsigned char)*d))
				goto bad_len;
			len = len * 10 + (unsigned)(*d - '0');
		}
		if (len > max) {
			snprintf(why, n, "'%s': prefix length %u is over %u",
				 s, len, max);
			return -1;
		}
	}
	p.len = (uint8_t)len;
	for (i = 0; i < max / 8; i++) {
		bits = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
		if (p.addr[i] & (uint8_t)~(0xff00u >> bits)) {
			struct mt_conf_prefix net = p, host = p;
			unsigned j;

			for (j = 0; j < max / 8; j++) {
				unsigned b = len >= 8 * (j + 1) ? 8 :
					     len > 8 * j ? len - 8 * j : 0;

				net.addr[j] &= (uint8_t)(0xff00u >> b);
			}
			host.len = (uint8_t)max;
			mt_conf_prefix_str(&net, addr, sizeof(addr));
			mt_conf_prefix_str(&host, sug, sizeof(sug));
			snprintf(why, n, "'%s' has host bits set (write %s for "
				 "the network or %s for the host)", s, addr,
				 sug);
			return -1;
		}
	}
	*out = p;
	return 0;
bad:
	snprintf(why, n, "'%s' is not an IPv4 or IPv6 address or prefix "
		 "(like 192.0.2.25, 192.0.2.0/24, 2001:db8::/32)", s);
	return -1;
bad_len:
	snprintf(why, n, "'%s': bad prefix length (a number 0..%u after '/')",
		 s, max);
	return -1;
}

char *
mt_conf_prefix_str(const struct mt_conf_prefix *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a,
		      sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, n, "%s/%u", a, p->len);
	return buf;
}
