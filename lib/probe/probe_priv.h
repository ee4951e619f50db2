/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe_priv.h - the resolver between probe_dns.c and probe_survey.c.
 */
#ifndef MT_PROBE_PRIV_H
#define MT_PROBE_PRIV_H

#include "mt_probe.h"

#define MT_PROBE_MAX_MX 8    /* MX hosts kept per domain (lowest preference) */
#define MT_PROBE_MAX_ADDRS 4 /* addresses kept per MX host (IPv4 first) */

enum mt_probe_dns_status {
	MT_DNS_OK,         /* MX hosts (or the implicit one) with addresses */
	MT_DNS_NULL_MX,    /* "MX 0 ." (RFC 7505): no mail service */
	MT_DNS_NXDOMAIN,   /* the domain does not exist */
	MT_DNS_NO_ADDRESS, /* no MX host has an A or AAAA record */
	MT_DNS_ERROR,      /* SERVFAIL, timeout, refused ... (error[] says) */
};

struct mt_probe_mx {
	char host[256];
	unsigned pref;
	int naddr;
	struct sockaddr_storage addr[MT_PROBE_MAX_ADDRS]; /* port 0 */
};

struct mt_probe_dns_answer {
	enum mt_probe_dns_status status;
	int implicit;      /* no MX record: the domain itself (RFC 5321 5.1) */
	char error[96];
	int nmx;
	struct mt_probe_mx mx[MT_PROBE_MAX_MX];
};

const char *mt_probe_dns_status_name(enum mt_probe_dns_status st);

typedef void (*mt_probe_dns_fn)(void *user, const struct mt_probe_dns_answer *a);

struct mt_probe_dns;

/* The resolver's sockets are watched by e's epoll. */
struct mt_probe_dns *mt_probe_dns_new(struct mt_probe_engine *e, const char *servers,
				      int timeout_ms, int tries, struct mt_err *err);
void mt_probe_dns_free(struct mt_probe_dns *d);
/* MX, then A and AAAA of each MX host; fn runs once (from the event loop). */
int mt_probe_dns_resolve(struct mt_probe_dns *d, const char *domain, mt_probe_dns_fn fn,
			 void *user);
/* ms until c-ares wants mt_probe_dns_tick (cap if sooner than nothing). */
int mt_probe_dns_wait_ms(struct mt_probe_dns *d, int cap);
void mt_probe_dns_tick(struct mt_probe_dns *d);
uint64_t mt_probe_dns_queries(const struct mt_probe_dns *d);

#endif /* MT_PROBE_PRIV_H */
