/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe_dns.c - MX resolution with c-ares on the probe engine's epoll.
 *
 *   MX query --NXDOMAIN------------------------------> NXDOMAIN
 *            --no MX record (NODATA)--> A+AAAA of the domain (implicit MX)
 *            --only "0 ."----------------------------> NULL_MX
 *            --MX hosts--> A+AAAA of each (up to MT_PROBE_MAX_MX, by
 *                          preference) --none has one--> NO_ADDRESS
 *            --SERVFAIL, timeout, refused------------> ERROR
 *
 * Queries go only to the configured servers, with ares_query (no search
 * list, no hosts file).
 */
#include <arpa/inet.h>
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>

#include "mt_common.h"
#include "probe_priv.h"

struct dns_watch {
	struct mt_probe_watch w;
	struct mt_probe_dns *d;
	int fd;
};

struct mt_probe_dns {
	ares_channel ch;
	struct mt_probe_engine *e;
	struct dns_watch **watch; /* by fd */
	int nwatch;
	uint64_t queries;
	int destroying;
};

struct dns_job {
	struct mt_probe_dns *d;
	mt_probe_dns_fn fn;
	void *user;
	int pending;
	char domain[256];
	struct mt_probe_dns_answer a;
};

struct dns_q {
	struct dns_job *j;
	int mx;   /* index into a.mx */
	int type; /* T_A / T_AAAA */
};

static int lib_init_done;

const char *
mt_probe_dns_status_name(enum mt_probe_dns_status st)
{
	switch (st) {
	case MT_DNS_OK: return "ok";
	case MT_DNS_NULL_MX: return "null_mx";
	case MT_DNS_NXDOMAIN: return "nxdomain";
	case MT_DNS_NO_ADDRESS: return "no_address";
	case MT_DNS_ERROR: return "dns_error";
	}
	return "?";
}

static void
watch_fn(struct mt_probe_watch *w, uint32_t ev)
{
	struct dns_watch *dw = (struct dns_watch *)w;
	int fd = dw->fd;

	ares_process_fd(dw->d->ch, ev & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
			ev & EPOLLOUT ? fd : ARES_SOCKET_BAD);
}

static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct mt_probe_dns *d = data;
	uint32_t ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	if (d->destroying || fd < 0)
		return;
	if (fd >= d->nwatch) {
		int n = MT_MAX(fd + 1, d->nwatch * 2);
		struct dns_watch **nw = realloc(d->watch, (size_t)n * sizeof(*nw));

		if (!nw)
			return; /* the query will time out */
		memset(nw + d->nwatch, 0, (size_t)(n - d->nwatch) * sizeof(*nw));
		d->watch = nw;
		d->nwatch = n;
	}
	if (!d->watch[fd]) {
		d->watch[fd] = calloc(1, sizeof(**d->watch));
		if (!d->watch[fd])
			return;
		d->watch[fd]->w.fn = watch_fn;
		d->watch[fd]->d = d;
	}
	d->watch[fd]->fd = fd;
	mt_probe_engine_watch(d->e, fd, ev, &d->watch[fd]->w);
}

struct mt_probe_dns *
mt_probe_dns_new(struct mt_probe_engine *e, const char *servers, int timeout_ms, int tries,
		 struct mt_err *err)
{
	struct ares_options o;
	struct mt_probe_dns *d;
	int rc;

	if (!lib_init_done) {
		rc = ares_library_init(ARES_LIB_INIT_ALL);
		if (rc != ARES_SUCCESS) {
			mt_err_set(err, EIO, "c-ares: %s", ares_strerror(rc));
			return NULL;
		}
		lib_init_done = 1;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		mt_err_set(err, ENOMEM, "resolver: out of memory");
		return NULL;
	}
	d->e = e;
	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_NOSEARCH;
	o.timeout = timeout_ms > 0 ? timeout_ms : 2000;
	o.tries = tries > 0 ? tries : 2;
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = d;
	o.lookups = (char *)"b";
	rc = ares_init_options(&d->ch, &o,
			       ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
				       ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS);
	if (rc != ARES_SUCCESS) {
		mt_err_set(err, EIO, "c-ares init: %s", ares_strerror(rc));
		free(d);
		return NULL;
	}
	if (servers && servers[0]) {
		rc = ares_set_servers_ports_csv(d->ch, servers);
		if (rc != ARES_SUCCESS) {
			mt_err_set(err, EINVAL, "resolver %s: %s", servers, ares_strerror(rc));
			ares_destroy(d->ch);
			free(d);
			return NULL;
		}
	}
	return d;
}

void
mt_probe_dns_free(struct mt_probe_dns *d)
{
	if (!d)
		return;
	d->destroying = 1;
	for (int fd = 0; fd < d->nwatch; fd++)
		if (d->watch[fd])
			mt_probe_engine_watch(d->e, fd, 0, &d->watch[fd]->w);
	ares_destroy(d->ch); /* callbacks run with ARES_EDESTRUCTION and free their jobs */
	for (int fd = 0; fd < d->nwatch; fd++)
		free(d->watch[fd]);
	free(d->watch);
	free(d);
}

static void
job_error(struct dns_job *j, const char *what, int status)
{
	j->a.status = MT_DNS_ERROR;
	snprintf(j->a.error, sizeof(j->a.error), "%s: %s", what, ares_strerror(status));
}

static void
job_put(struct dns_job *j)
{
	if (--j->pending > 0)
		return;
	if (!j->d->destroying) {
		if (j->a.status == MT_DNS_OK) {
			int any = 0;

			for (int i = 0; i < j->a.nmx; i++)
				any |= j->a.mx[i].naddr > 0;
			if (!any)
				j->a.status = MT_DNS_NO_ADDRESS;
		}
		j->fn(j->user, &j->a);
	}
	free(j);
}

static void
addr_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_q *q = arg;
	struct dns_job *j = q->j;
	struct mt_probe_mx *mx = &j->a.mx[q->mx];

	(void)timeouts;
	if (status == ARES_SUCCESS && q->type == T_A) {
		struct ares_addrttl at[MT_PROBE_MAX_ADDRS];
		int n = MT_PROBE_MAX_ADDRS;

		if (ares_parse_a_reply(abuf, alen, NULL, at, &n) == ARES_SUCCESS) {
			/* IPv4 first: shift any IPv6 already there */
			int keep = MT_MIN(mx->naddr, MT_PROBE_MAX_ADDRS - n);

			memmove(&mx->addr[n], &mx->addr[0], (size_t)keep * sizeof(mx->addr[0]));
			for (int i = 0; i < n; i++) {
				struct sockaddr_in *in = (struct sockaddr_in *)&mx->addr[i];

				memset(&mx->addr[i], 0, sizeof(mx->addr[i]));
				in->sin_family = AF_INET;
				in->sin_addr = at[i].ipaddr;
			}
			mx->naddr = n + keep;
		}
	} else if (status == ARES_SUCCESS) {
		struct ares_addr6ttl at[MT_PROBE_MAX_ADDRS];
		int n = MT_PROBE_MAX_ADDRS;

		if (ares_parse_aaaa_reply(abuf, alen, NULL, at, &n) == ARES_SUCCESS) {
			for (int i = 0; i < n && mx->naddr < MT_PROBE_MAX_ADDRS; i++) {
				struct sockaddr_in6 *in6 =
					(struct sockaddr_in6 *)&mx->addr[mx->naddr++];

				memset(in6, 0, sizeof(mx->addr[0]));
				in6->sin6_family = AF_INET6;
				memcpy(&in6->sin6_addr, &at[i].ip6addr, sizeof(in6->sin6_addr));
			}
		}
	} else if (status != ARES_ENODATA && status != ARES_ENOTFOUND &&
		   status != ARES_EDESTRUCTION && j->a.implicit) {
		/* the domain's own address could not be looked up: that is the answer */
		job_error(j, q->type == T_A ? "A" : "AAAA", status);
	}
	free(q);
	job_put(j);
}

static void
query_addrs(struct dns_job *j, int mx)
{
	static const int types[] = { T_A, T_AAAA };

	for (int t = 0; t < 2; t++) {
		struct dns_q *q = calloc(1, sizeof(*q));

		if (!q)
			continue; /* counted as no address */
		q->j = j;
		q->mx = mx;
		q->type = types[t];
		j->pending++;
		j->d->queries++;
		ares_query(j->d->ch, j->a.mx[mx].host, C_IN, types[t], addr_cb, q);
	}
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct mt_probe_mx *x = a, *y = b;

	return (int)x->pref - (int)y->pref;
}

static void
mx_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_job *j = arg;
	struct ares_mx_reply *mx = NULL;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION) {
		job_put(j);
		return;
	}
	if (status == ARES_ENOTFOUND) {
		j->a.status = MT_DNS_NXDOMAIN;
	} else if (status == ARES_ENODATA ||
		   (status == ARES_SUCCESS && ares_parse_mx_reply(abuf, alen, &mx) == ARES_ENODATA)) {
		j->a.implicit = 1;
		j->a.nmx = 1;
		snprintf(j->a.mx[0].host, sizeof(j->a.mx[0].host), "%s", j->domain);
		query_addrs(j, 0);
	} else if (status != ARES_SUCCESS) {
		job_error(j, "MX", status);
	} else if (!mx) {
		job_error(j, "MX", ARES_EBADRESP);
	} else {
		int nnull = 0, nall = 0;
		struct mt_probe_mx all[64];

		for (struct ares_mx_reply *m = mx; m; m = m->next) {
			if (!m->host[0] || strcmp(m->host, ".") == 0) {
				nnull++;
				continue;
			}
			if (nall < (int)MT_ARRAY_SIZE(all)) {
				memset(&all[nall], 0, sizeof(all[0]));
				snprintf(all[nall].host, sizeof(all[0].host), "%s", m->host);
				all[nall++].pref = m->priority;
			}
		}
		ares_free_data(mx);
		if (nall == 0 && nnull) {
			j->a.status = MT_DNS_NULL_MX;
		} else {
			/* RFC 7505: a "." among real hosts is meaningless; ignore it */
			qsort(all, (size_t)nall, sizeof(all[0]), mx_cmp);
			j->a.nmx = MT_MIN(nall, MT_PROBE_MAX_MX);
			memcpy(j->a.mx, all, (size_t)j->a.nmx * sizeof(all[0]));
			for (int i = 0; i < j->a.nmx; i++)
				query_addrs(j, i);
		}
	}
	job_put(j);
}

int
mt_probe_dns_resolve(struct mt_probe_dns *d, const char *domain, mt_probe_dns_fn fn, void *user)
{
	struct dns_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->d = d;
	j->fn = fn;
	j->user = user;
	j->pending = 1;
	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	d->queries++;
	ares_query(d->ch, j->domain, C_IN, T_MX, mx_cb, j);
	return 0;
}

int
mt_probe_dns_wait_ms(struct mt_probe_dns *d, int cap)
{
	struct timeval max = { cap / 1000, (cap % 1000) * 1000 }, tv, *t;

	t = ares_timeout(d->ch, cap >= 0 ? &max : NULL, &tv);
	if (!t)
		return cap;
	return (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
}

void
mt_probe_dns_tick(struct mt_probe_dns *d)
{
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

uint64_t
mt_probe_dns_queries(const struct mt_probe_dns *d)
{
	return d->queries;
}
