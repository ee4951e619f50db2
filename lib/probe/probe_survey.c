/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe_survey.c - domains and addresses in, one JSON record per item out
 * (see mt_probe.h; docs/FINGERPRINTS.md describes the record).
 *
 *   domain --[dns queue, max_dns]--> MX/A/AAAA --> targets (MX order,
 *   first address of each MX host, then the second ...; max_targets)
 *   --> host table: done? reuse : probing? wait for it : probe it
 *   --> every target answered --> record
 *
 * The host table is what makes "one connection per target address at a
 * time" hold: an address is probed by one dialogue, and every domain whose
 * MX points at it waits for that dialogue's result.  Finished results stay
 * for later domains (cache_max, oldest dropped first).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/queue.h>

#include "mt_common.h"
#include "probe_priv.h"

struct summary {
	int error;
	struct mt_fp_verdict v; /* when !error */
};

struct item;

struct waiter {
	struct waiter *next;
	struct item *it;
	int t;
};

struct hentry {
	struct hentry *hnext;
	TAILQ_ENTRY(hentry) fifo;
	struct mt_probe_survey *s;
	struct sockaddr_storage sa;
	socklen_t salen;
	uint32_t hash;
	int done;
	struct waiter *waiters;
	char *frag;
	struct summary sum;
};

struct target {
	int mx;
	struct sockaddr_storage sa;
	socklen_t salen;
	char *frag;
	struct summary sum;
};

struct item {
	TAILQ_ENTRY(item) q;
	struct mt_probe_survey *s;
	char key[256];
	int is_addr;
	struct mt_probe_dns_answer *a;
	int ntargets, nleft;
	struct target t[];
};

TAILQ_HEAD(item_list, item);
TAILQ_HEAD(hentry_list, hentry);

struct mt_probe_survey {
	struct mt_probe_survey_params p;
	mt_probe_record_fn fn;
	void *user;
	struct mt_probe_engine *e;
	struct mt_probe_dns *dns;
	struct item_list dnsq;
	unsigned dns_active;
	struct hentry **ht;
	uint32_t hmask;
	struct hentry_list done; /* finished hosts, oldest first */
	unsigned ndone;
	unsigned inflight;
	struct mt_probe_survey_stats st;
	struct mt_err dns_err;
};

void
mt_probe_survey_params_default(struct mt_probe_survey_params *p)
{
	memset(p, 0, sizeof(*p));
	mt_probe_params_default(&p->probe);
	p->dns_timeout_ms = 2000;
	p->dns_tries = 2;
	p->max_dns = 200;
	p->port = 25;
	p->max_targets = 3;
	p->cache_max = 10000;
}

struct mt_probe_survey *
mt_probe_survey_new(const struct mt_probe_survey_params *p, mt_probe_record_fn fn, void *user,
		    struct mt_err *err)
{
	struct mt_probe_survey *s = calloc(1, sizeof(*s));
	uint32_t n = 1024;

	if (!s) {
		mt_err_set(err, ENOMEM, "survey: out of memory");
		return NULL;
	}
	if (!p->db || p->max_dns == 0 || p->max_targets == 0) {
		mt_err_set(err, EINVAL, "survey: needs rules, max_dns >= 1, max_targets >= 1");
		free(s);
		return NULL;
	}
	s->p = *p;
	s->fn = fn;
	s->user = user;
	TAILQ_INIT(&s->dnsq);
	TAILQ_INIT(&s->done);
	while (n < p->cache_max && n < (1u << 24))
		n <<= 1;
	s->ht = calloc(n, sizeof(*s->ht));
	s->hmask = n - 1;
	s->e = s->ht ? mt_probe_engine_new(&p->probe, err) : NULL;
	if (!s->e) {
		if (!s->ht)
			mt_err_set(err, ENOMEM, "survey: out of memory");
		free(s->ht);
		free(s);
		return NULL;
	}
	return s;
}

static void
hentry_free(struct hentry *h)
{
	while (h->waiters) {
		struct waiter *w = h->waiters;

		h->waiters = w->next;
		free(w);
	}
	free(h->frag);
	free(h);
}

static void
item_free(struct item *it)
{
	for (int i = 0; i < it->ntargets; i++)
		free(it->t[i].frag);
	free(it->a);
	free(it);
}

void
mt_probe_survey_free(struct mt_probe_survey *s)
{
	struct item *it;

	if (!s)
		return;
	mt_probe_dns_free(s->dns); /* pending DNS jobs end without callbacks */
	mt_probe_engine_free(s->e);
	/* items waiting on hosts are reachable only through the waiters */
	for (uint32_t b = 0; b <= s->hmask; b++) {
		struct hentry *h = s->ht[b];

		while (h) {
			struct hentry *nx = h->hnext;

			for (struct waiter *w = h->waiters; w; w = w->next)
				if (--w->it->nleft == 0)
					item_free(w->it);
			hentry_free(h);
			h = nx;
		}
	}
	while ((it = TAILQ_FIRST(&s->dnsq)) != NULL) {
		TAILQ_REMOVE(&s->dnsq, it, q);
		item_free(it);
	}
	free(s->ht);
	free(s);
}

unsigned
mt_probe_survey_inflight(const struct mt_probe_survey *s)
{
	return s->inflight;
}

void
mt_probe_survey_stats(const struct mt_probe_survey *s, struct mt_probe_survey_stats *st)
{
	*st = s->st;
	st->dns_queries = s->dns ? mt_probe_dns_queries(s->dns) : 0;
	mt_probe_engine_stats(s->e, &st->engine);
}

/* ---- records */

static void
json_summary(FILE *f, const struct summary *m)
{
	fprintf(f, ",");
	mt_probe_json_verdict(f, &m->v);
}

static void
emit(struct item *it)
{
	struct mt_probe_survey *s = it->s;
	char *buf = NULL, addr[80];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		goto out; /* out of memory: the item is lost, as a crash would lose it */
	if (it->is_addr) {
		fprintf(f, "{\"target\":");
		mt_probe_json_str(f, it->key);
		mt_probe_format_addr((const struct sockaddr *)&it->t[0].sa, addr, sizeof(addr), 1);
		fprintf(f, ",\"addr\":\"%s\",%s}\n", addr,
			it->t[0].frag ? it->t[0].frag : "\"status\":\"error\"");
	} else {
		const struct mt_probe_dns_answer *a = it->a;
		const char *status = mt_probe_dns_status_name(a->status);
		int best = -1;

		for (int i = 0; i < it->ntargets && best < 0; i++)
			if (!it->t[i].sum.error && it->t[i].frag)
				best = i;
		if (a->status == MT_DNS_OK && best < 0)
			status = "dead";
		fprintf(f, "{\"domain\":");
		mt_probe_json_str(f, it->key);
		fprintf(f, ",\"status\":\"%s\",\"implicit_mx\":%s", status,
			a->implicit ? "true" : "false");
		if (a->error[0]) {
			fprintf(f, ",\"error\":");
			mt_probe_json_str(f, a->error);
		}
		fprintf(f, ",\"mx\":[");
		for (int i = 0; i < a->nmx; i++) {
			fprintf(f, "%s{\"host\":", i ? "," : "");
			mt_probe_json_str(f, a->mx[i].host);
			fprintf(f, ",\"pref\":%u,\"addrs\":[", a->mx[i].pref);
			for (int k = 0; k < a->mx[i].naddr; k++) {
				mt_probe_format_addr((const struct sockaddr *)&a->mx[i].addr[k], addr,
						     sizeof(addr), 0);
				fprintf(f, "%s\"%s\"", k ? "," : "", addr);
			}
			fprintf(f, "]}");
		}
		fprintf(f, "]");
		if (best >= 0) {
			json_summary(f, &it->t[best].sum);
			mt_probe_format_addr((const struct sockaddr *)&it->t[best].sa, addr,
					     sizeof(addr), 1);
			fprintf(f, ",\"host\":\"%s\"", addr);
		} else {
			fprintf(f, ",\"verdict\":\"none\"");
		}
		fprintf(f, ",\"hosts\":[");
		for (int i = 0; i < it->ntargets; i++) {
			const struct target *t = &it->t[i];

			fprintf(f, "%s{\"mx\":", i ? "," : "");
			mt_probe_json_str(f, a->mx[t->mx].host);
			mt_probe_format_addr((const struct sockaddr *)&t->sa, addr, sizeof(addr), 1);
			fprintf(f, ",\"addr\":\"%s\",%s}", addr, t->frag ? t->frag : "\"status\":\"error\"");
		}
		fprintf(f, "]}\n");
	}
	if (fclose(f) == 0 && buf)
		s->fn(s->user, it->key, buf, len);
out:
	free(buf);
	s->st.items_done++;
	s->inflight--;
	item_free(it);
}

/* ---- host table */

static uint32_t
sa_hash(const struct sockaddr_storage *sa)
{
	const unsigned char *p;
	size_t n;
	uint32_t h = 2166136261u;

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		p = (const unsigned char *)&in->sin_addr;
		n = 4;
		h = (h ^ in->sin_port) * 16777619u;
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		p = (const unsigned char *)&in6->sin6_addr;
		n = 16;
		h = (h ^ in6->sin6_port) * 16777619u;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int
sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static void
hentry_unlink(struct mt_probe_survey *s, struct hentry *h)
{
	struct hentry **pp = &s->ht[h->hash & s->hmask];

	while (*pp != h)
		pp = &(*pp)->hnext;
	*pp = h->hnext;
}

static void
target_fill(struct item *it, int t, const struct hentry *h)
{
	it->t[t].sum = h->sum;
	it->t[t].frag = h->frag ? strdup(h->frag) : NULL;
	if (--it->nleft == 0)
		emit(it);
}

static void
host_done(void *user, const struct sockaddr *sa, const struct mt_probe_result *r)
{
	struct hentry *h = user;
	struct mt_probe_survey *s = h->s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)sa;
	s->st.hosts_probed++;
	h->sum.error = r->error;
	if (!r->error)
		mt_fp_classify(s->p.db, r->obs, &h->sum.v);
	f = open_memstream(&buf, &len);
	if (f) {
		mt_probe_json_host(f, r, &h->sum.v);
		if (fclose(f) != 0) {
			free(buf);
			buf = NULL;
		}
	}
	h->frag = buf;
	h->done = 1;
	while (h->waiters) {
		struct waiter *w = h->waiters;

		h->waiters = w->next;
		target_fill(w->it, w->t, h);
		free(w);
	}
	TAILQ_INSERT_TAIL(&s->done, h, fifo);
	s->ndone++;
	while (s->ndone > s->p.cache_max) {
		struct hentry *old = TAILQ_FIRST(&s->done);

		TAILQ_REMOVE(&s->done, old, fifo);
		s->ndone--;
		hentry_unlink(s, old);
		hentry_free(old);
	}
}

/* Probe target t of it, or wait for / reuse that address's dialogue. */
static void
target_start(struct item *it, int t)
{
	struct mt_probe_survey *s = it->s;
	struct target *tg = &it->t[t];
	uint32_t hash = sa_hash(&tg->sa);
	struct hentry *h;
	struct waiter *w;

	for (h = s->ht[hash & s->hmask]; h; h = h->hnext)
		if (h->hash == hash && sa_equal(&h->sa, &tg->sa))
			break;
	if (h && h->done) {
		s->st.cache_hits++;
		target_fill(it, t, h);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h || !w || mt_probe_engine_submit(s->e, (struct sockaddr *)&tg->sa, tg->salen,
						       host_done, h) != 0) {
			free(h);
			free(w);
			tg->sum.error = ENOMEM;
			if (--it->nleft == 0)
				emit(it);
			return;
		}
		h->s = s;
		h->sa = tg->sa;
		h->salen = tg->salen;
		h->hash = hash;
		h->hnext = s->ht[hash & s->hmask];
		s->ht[hash & s->hmask] = h;
	} else {
		s->st.cache_hits++;
		if (!w) {
			tg->sum.error = ENOMEM;
			if (--it->nleft == 0)
				emit(it);
			return;
		}
	}
	w->it = it;
	w->t = t;
	w->next = h->waiters;
	h->waiters = w;
}

static void
start_targets(struct item *it)
{
	int n = it->ntargets;

	it->nleft = n;
	if (n == 0) {
		emit(it);
		return;
	}
	/* target_start may emit (and free) the item on the last target */
	for (int t = 0; t < n; t++)
		target_start(it, t);
}

static void
dns_done(void *user, const struct mt_probe_dns_answer *a)
{
	struct item *it = user;
	struct mt_probe_survey *s = it->s;
	struct item *big;
	unsigned max = s->p.max_targets;
	int n = 0;

	s->dns_active--;
	big = realloc(it, sizeof(*it) + max * sizeof(it->t[0]));
	if (big)
		it = big;
	it->a = malloc(sizeof(*a));
	if (!big || !it->a) {
		free(it->a);
		it->a = NULL;
		s->inflight--;
		s->st.items_done++;
		free(it);
		return;
	}
	memcpy(it->a, a, sizeof(*a));
	memset(it->t, 0, max * sizeof(it->t[0]));
	if (a->status == MT_DNS_OK) {
		for (int k = 0; k < MT_PROBE_MAX_ADDRS && (unsigned)n < max; k++)
			for (int m = 0; m < a->nmx && (unsigned)n < max; m++) {
				if (k >= a->mx[m].naddr)
					continue;
				struct target *t = &it->t[n++];

				t->mx = m;
				t->sa = a->mx[m].addr[k];
				if (t->sa.ss_family == AF_INET) {
					((struct sockaddr_in *)&t->sa)->sin_port = htons(s->p.port);
					t->salen = sizeof(struct sockaddr_in);
				} else {
					((struct sockaddr_in6 *)&t->sa)->sin6_port = htons(s->p.port);
					t->salen = sizeof(struct sockaddr_in6);
				}
			}
	}
	it->ntargets = n;
	start_targets(it);
}

static int
normalize_domain(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in);

	while (n && in[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)in[i]);

		if (!(isalnum(c) || c == '-' || c == '_' || c == '.'))
			return -1;
		if (c == '.' && (i == 0 || in[i - 1] == '.'))
			return -1; /* empty label */
		out[i] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

int
mt_probe_survey_add(struct mt_probe_survey *s, const char *item, struct mt_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct item *it;

	if (mt_probe_parse_addr(item, s->p.port, &ss, &sl) == 0) {
		it = calloc(1, sizeof(*it) + sizeof(it->t[0]));
		if (!it)
			return mt_err_set(err, ENOMEM, "out of memory");
		it->s = s;
		it->is_addr = 1;
		snprintf(it->key, sizeof(it->key), "%s", item);
		it->t[0].sa = ss;
		it->t[0].salen = sl;
		it->ntargets = 1;
		s->inflight++;
		start_targets(it);
		return 0;
	}
	if (strchr(item, ':') || strchr(item, '['))
		return mt_err_set(err, EINVAL, "%s: not a numeric ADDR[:PORT]", item);
	it = calloc(1, sizeof(*it));
	if (!it)
		return mt_err_set(err, ENOMEM, "out of memory");
	if (normalize_domain(item, it->key, sizeof(it->key)) != 0) {
		free(it);
		return mt_err_set(err, EINVAL, "%s: not a domain name or address", item);
	}
	if (!s->dns) {
		s->dns = mt_probe_dns_new(s->e, s->p.resolver, s->p.dns_timeout_ms, s->p.dns_tries,
					  err);
		if (!s->dns) {
			free(it);
			return -EIO;
		}
	}
	it->s = s;
	s->inflight++;
	TAILQ_INSERT_TAIL(&s->dnsq, it, q);
	return 0;
}

int
mt_probe_survey_run(struct mt_probe_survey *s, int max_wait_ms)
{
	struct item *it;
	int wait = max_wait_ms, rc;

	while (s->dns_active < s->p.max_dns && (it = TAILQ_FIRST(&s->dnsq)) != NULL) {
		TAILQ_REMOVE(&s->dnsq, it, q);
		s->dns_active++;
		if (mt_probe_dns_resolve(s->dns, it->key, dns_done, it) != 0) {
			s->dns_active--;
			s->inflight--;
			s->st.items_done++;
			free(it);
		}
	}
	if (s->dns)
		wait = mt_probe_dns_wait_ms(s->dns, max_wait_ms);
	rc = mt_probe_engine_poll(s->e, wait);
	if (s->dns)
		mt_probe_dns_tick(s->dns);
	return rc;
}
