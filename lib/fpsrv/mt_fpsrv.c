/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_fpsrv.c - passive fingerprinting: kinds, worker filter and buffers,
 * the per-server table (contract: mt_fpsrv.h).
 *
 * Table layout: an rte_hash maps a server key to a slot index; slots are
 * preallocated and linked in least-recently-seen order (head: newest),
 * so eviction takes the tail.  Each slot keeps its observation texts in a
 * small arena (printable form, lib/fp's) and the latest verdict.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_spinlock.h>

#include "mt_common.h"
#include "mt_fpsrv.h"

static const char *const kind_names[MT_FPSRV_NKINDS] = {
	"greeting", "ehlo", "help", "rcpt_first", "mail_bad", "unknown", "quit", "nul", "long",
};

const char *
mt_fpsrv_kind_name(int kind)
{
	return kind >= 0 && kind < MT_FPSRV_NKINDS ? kind_names[kind] : "?";
}

int
mt_fpsrv_kind_of(const struct mt_smtp_cmd *cmd)
{
	unsigned f = cmd->flags;

	if (f & MT_SMTP_CF_TOO_LONG)
		return MT_FPSRV_LONG;
	if (f & MT_SMTP_CF_NUL)
		return MT_FPSRV_NUL;
	switch (cmd->verb) {
	case MT_SMTP_V_GREETING:
		return MT_FPSRV_GREETING;
	case MT_SMTP_V_EHLO:
		return MT_FPSRV_EHLO;
	case MT_SMTP_V_HELP:
		return f & MT_SMTP_CF_ARG ? -1 : MT_FPSRV_HELP;
	case MT_SMTP_V_RCPT:
		return f & MT_SMTP_CF_NO_MAIL ? MT_FPSRV_RCPT_FIRST : -1;
	case MT_SMTP_V_MAIL:
		return f & MT_SMTP_CF_BAD_PATH ? MT_FPSRV_MAIL_BAD : -1;
	case MT_SMTP_V_OTHER:
		return MT_FPSRV_UNKNOWN;
	case MT_SMTP_V_QUIT:
		return MT_FPSRV_QUIT;
	default:
		return -1;
	}
}

void
mt_fpsrv_key_from_flow(struct mt_fpsrv_key *k, const struct mt_flow_key *fk)
{
	memset(k, 0, sizeof(*k));
	k->family = fk->family;
	k->port = fk->srv_port;
	memcpy(k->addr, fk->srv, fk->family == 6 ? 16 : 4);
}

int
mt_fpsrv_key_format(const struct mt_fpsrv_key *k, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(k->family == 6 ? AF_INET6 : AF_INET, k->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	return snprintf(buf, size, k->family == 6 ? "[%s]:%u" : "%s:%u", a, k->port);
}

int
mt_fpsrv_key_parse(struct mt_fpsrv_key *k, const char *s)
{
	char a[INET6_ADDRSTRLEN + 2];
	const char *colon;
	char *end;
	unsigned long port;
	size_t n;

	memset(k, 0, sizeof(*k));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(a))
			return -EINVAL;
		n = (size_t)(rb - s - 1);
		memcpy(a, s + 1, n);
		a[n] = '\0';
		colon = rb + 1;
		k->family = 6;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(a))
			return -EINVAL;
		n = (size_t)(colon - s);
		memcpy(a, s, n);
		a[n] = '\0';
		k->family = 4;
	}
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port > 65535)
		return -EINVAL;
	k->port = (uint16_t)port;
	if (inet_pton(k->family == 6 ? AF_INET6 : AF_INET, a, k->addr) != 1)
		return -EINVAL;
	return 0;
}

void
mt_fpsrv_obs_fill(struct mt_fpsrv_obs *o, const struct mt_fpsrv_key *k, int kind,
		  unsigned code, const char *text, size_t len, int truncated, uint64_t ts_ns)
{
	size_t n = MT_MIN(len, sizeof(o->text));

	o->key = *k;
	o->kind = (uint8_t)kind;
	o->truncated = (uint8_t)(truncated || n < len);
	o->code = (uint16_t)code;
	o->len = (uint16_t)n;
	o->pad = 0;
	o->pad2 = 0;
	o->ts_ns = ts_ns;
	memcpy(o->text, text, n);
}

static inline uint32_t
key_hash(const struct mt_fpsrv_key *k)
{
	return rte_hash_crc(k, sizeof(*k), 0);
}

/* ---- worker ---- */

struct filt {
	struct mt_fpsrv_key key;
	uint8_t used;
	uint8_t cnt[MT_FPSRV_NKINDS];
};

struct mt_fpsrv_worker {
	struct filt *filt;
	uint32_t mask;
	unsigned nbufs;
	unsigned nfree;
	char **free;
	char *mem;
};

struct mt_fpsrv_worker *
mt_fpsrv_worker_create(unsigned filter_slots, unsigned nbufs, int socket)
{
	struct mt_fpsrv_worker *w;
	uint32_t n = rte_align32pow2(filter_slots ? filter_slots : 1);
	unsigned i;

	w = rte_zmalloc_socket("mt_fpsrv_wk", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL)
		goto nomem;
	w->filt = rte_zmalloc_socket("mt_fpsrv_filt", (size_t)n * sizeof(*w->filt),
				     RTE_CACHE_LINE_SIZE, socket);
	w->free = rte_zmalloc_socket("mt_fpsrv_free", (nbufs + 1) * sizeof(char *), 0, socket);
	w->mem = nbufs ? rte_malloc_socket("mt_fpsrv_bufs", (size_t)nbufs * MT_FPSRV_TEXT_MAX,
					   0, socket)
		       : NULL;
	if (w->filt == NULL || w->free == NULL || (nbufs && w->mem == NULL)) {
		mt_fpsrv_worker_free(w);
		goto nomem;
	}
	w->mask = n - 1;
	w->nbufs = nbufs;
	for (i = 0; i < nbufs; i++)
		w->free[i] = w->mem + (size_t)i * MT_FPSRV_TEXT_MAX;
	w->nfree = nbufs;
	return w;
nomem:
	rte_errno = ENOMEM;
	return NULL;
}

void
mt_fpsrv_worker_free(struct mt_fpsrv_worker *w)
{
	if (w == NULL)
		return;
	rte_free(w->filt);
	rte_free(w->free);
	rte_free(w->mem);
	rte_free(w);
}

int
mt_fpsrv_worker_want(struct mt_fpsrv_worker *w, const struct mt_fpsrv_key *k, int kind)
{
	const struct filt *f = &w->filt[key_hash(k) & w->mask];

	if (kind < 0 || kind >= MT_FPSRV_NKINDS)
		return 0;
	if (!f->used || memcmp(&f->key, k, sizeof(*k)) != 0)
		return 1;
	return f->cnt[kind] == 0;
}

void
mt_fpsrv_worker_mark(struct mt_fpsrv_worker *w, const struct mt_fpsrv_key *k, int kind)
{
	struct filt *f = &w->filt[key_hash(k) & w->mask];

	if (kind < 0 || kind >= MT_FPSRV_NKINDS)
		return;
	if (!f->used || memcmp(&f->key, k, sizeof(*k)) != 0) {
		memset(f, 0, sizeof(*f));
		f->key = *k;
		f->used = 1;
	}
	if (f->cnt[kind] < UINT8_MAX)
		f->cnt[kind]++;
}

char *
mt_fpsrv_worker_buf_get(struct mt_fpsrv_worker *w)
{
	return w->nfree > 0 ? w->free[--w->nfree] : NULL;
}

void
mt_fpsrv_worker_buf_put(struct mt_fpsrv_worker *w, char *buf)
{
	if (buf == NULL)
		return;
	MT_BUG_ON(w->nfree >= w->nbufs);
	w->free[w->nfree++] = buf;
}

unsigned
mt_fpsrv_worker_bufs_free(const struct mt_fpsrv_worker *w)
{
	return w->nfree;
}

/* ---- table ---- */

#define NIL UINT32_MAX

struct srv {
	struct mt_fpsrv_key key;
	uint8_t used;
	uint8_t dirty;      /* observations changed since v was computed */
	uint16_t present;
	uint16_t arena_used;
	uint16_t off[MT_FP_NOBS];
	uint16_t len[MT_FP_NOBS];
	uint32_t prev, next;
	uint64_t first_ns, last_ns;
	uint64_t mails;
	struct mt_fpsrv_verdict v;
	char arena[MT_FPSRV_ARENA];
};

struct mt_fpsrv_table {
	struct rte_hash *h;
	struct srv *slot;
	unsigned cap;
	unsigned count;
	uint32_t *free;      /* stack of unused slot indexes */
	unsigned nfree;
	uint32_t head, tail; /* LRU: head newest */
	rte_spinlock_t lock;
	const struct mt_fp_db *db;
	struct mt_fp_obsset *set; /* scratch for classification */
	struct mt_fp_verdict *fv;
	struct mt_fp_obs *one;
	uint64_t nclassify;       /* writer's classifications, not yet counted */
};

struct mt_fpsrv_table *
mt_fpsrv_table_create(const struct mt_fpsrv_table_params *prm, struct mt_err *err)
{
	struct rte_hash_parameters hp = {
		.name = prm->name,
		.entries = RTE_MAX(prm->max_servers, 8u),
		.key_len = sizeof(struct mt_fpsrv_key),
		.hash_func = rte_hash_crc,
		.socket_id = prm->socket,
		/* extendable buckets: an add fails only when entries are
		 * exhausted, which the slot count prevents */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct mt_fpsrv_table *t;

	if (prm->max_servers == 0) {
		mt_err_set(err, EINVAL, "fingerprint table: max_servers is 0");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto nomem;
	t->cap = prm->max_servers;
	t->db = prm->db;
	t->head = t->tail = NIL;
	rte_spinlock_init(&t->lock);
	t->slot = rte_zmalloc_socket("mt_fpsrv_tab", (size_t)t->cap * sizeof(*t->slot),
				     RTE_CACHE_LINE_SIZE, prm->socket);
	t->free = calloc(t->cap, sizeof(*t->free));
	if (t->free != NULL)
		for (unsigned i = 0; i < t->cap; i++)
			t->free[i] = t->cap - 1 - i;
	t->nfree = t->free != NULL ? t->cap : 0;
	t->set = calloc(1, sizeof(*t->set));
	t->fv = calloc(1, sizeof(*t->fv));
	t->one = calloc(1, sizeof(*t->one));
	if (t->slot == NULL || t->free == NULL || t->set == NULL || t->fv == NULL || t->one == NULL) {
		mt_fpsrv_table_free(t);
		goto nomem;
	}
	t->h = rte_hash_create(&hp);
	if (t->h == NULL) {
		mt_err_set(err, rte_errno ? rte_errno : ENOMEM,
			   "fingerprint table: rte_hash_create(%s, %u): %s", prm->name,
			   hp.entries, rte_strerror(rte_errno));
		mt_fpsrv_table_free(t);
		return NULL;
	}
	return t;
nomem:
	mt_err_set(err, ENOMEM, "fingerprint table: out of memory (%u servers)",
		   prm->max_servers);
	return NULL;
}

void
mt_fpsrv_table_free(struct mt_fpsrv_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t->slot);
	free(t->free);
	free(t->set);
	free(t->fv);
	free(t->one);
	free(t);
}

static void
lru_unlink(struct mt_fpsrv_table *t, uint32_t i)
{
	struct srv *s = &t->slot[i];

	if (s->prev != NIL)
		t->slot[s->prev].next = s->next;
	else
		t->head = s->next;
	if (s->next != NIL)
		t->slot[s->next].prev = s->prev;
	else
		t->tail = s->prev;
	s->prev = s->next = NIL;
}

static void
lru_front(struct mt_fpsrv_table *t, uint32_t i)
{
	struct srv *s = &t->slot[i];

	s->prev = NIL;
	s->next = t->head;
	if (t->head != NIL)
		t->slot[t->head].prev = i;
	t->head = i;
	if (t->tail == NIL)
		t->tail = i;
}

static void
touch(struct mt_fpsrv_table *t, uint32_t i)
{
	if (t->head == i)
		return;
	lru_unlink(t, i);
	lru_front(t, i);
}

/*
 * The lib/fp observations a reply of this kind fills, among those the
 * server lacks.  A tap has no "first" and "second" connection: the first
 * greeting serves as banner and banner2, the first QUIT reply as quit and
 * quit2 (servers answer both alike; where the prober saw a hang-up on its
 * first connection, its second one's reply is then still matched).
 */
static unsigned
obs_mask_for(const struct srv *s, int kind)
{
	static const uint16_t ids[MT_FPSRV_NKINDS] = {
		[MT_FPSRV_GREETING] = 1u << MT_FP_BANNER | 1u << MT_FP_BANNER2,
		[MT_FPSRV_EHLO] = 1u << MT_FP_EHLO,
		[MT_FPSRV_HELP] = 1u << MT_FP_HELP,
		[MT_FPSRV_RCPT_FIRST] = 1u << MT_FP_RCPT_FIRST,
		[MT_FPSRV_MAIL_BAD] = 1u << MT_FP_MAIL_BAD,
		[MT_FPSRV_UNKNOWN] = 1u << MT_FP_UNKNOWN,
		[MT_FPSRV_QUIT] = 1u << MT_FP_QUIT | 1u << MT_FP_QUIT2,
		[MT_FPSRV_NUL] = 1u << MT_FP_NUL,
		[MT_FPSRV_LONG] = 1u << MT_FP_LONG,
	};

	if (kind < 0 || kind >= MT_FPSRV_NKINDS)
		return 0;
	return ids[kind] & ~(unsigned)s->present;
}

/* Classify s's observations with set/fv as scratch (the caller's). */
static void
classify(const struct mt_fp_db *db, const struct srv *s, struct mt_fp_obsset *set,
	 struct mt_fp_verdict *fv, struct mt_fpsrv_verdict *out)
{
	unsigned seen = 0;
	size_t dl = 0;
	int i;

	memset(out, 0, sizeof(*out));
	if (db == NULL) {
		snprintf(out->reason, sizeof(out->reason), "no rules loaded");
		return;
	}
	for (i = 0; i < MT_FP_NOBS; i++) {
		struct mt_fp_obs *o = &set->o[i];

		o->present = (s->present >> i) & 1;
		o->flags = 0;
		o->ms = 0;
		o->text[0] = '\0';
		if (o->present) {
			memcpy(o->text, s->arena + s->off[i], s->len[i]);
			o->text[s->len[i]] = '\0';
		}
	}
	mt_fp_classify(db, set, fv);
	out->known = (uint8_t)fv->known;
	out->nonbanner = (uint8_t)MT_MIN(fv->nonbanner, 255);
	out->score = (int16_t)fv->score;
	snprintf(out->rule, sizeof(out->rule), "%s", fv->rule);
	snprintf(out->vendor, sizeof(out->vendor), "%s", fv->vendor);
	snprintf(out->product, sizeof(out->product), "%s", fv->product);
	snprintf(out->family, sizeof(out->family), "%s", fv->family);
	snprintf(out->version, sizeof(out->version), "%s", fv->version);
	snprintf(out->reason, sizeof(out->reason), "%s", fv->reason ? fv->reason : "");
	for (i = 0; i < fv->ndecided; i++) {
		int id = fv->decided[i].obs;
		int k;

		if (fv->decided[i].weight <= 0 || (seen & (1u << id)))
			continue;
		seen |= 1u << id;
		k = snprintf(out->decided + dl, sizeof(out->decided) - dl, "%s%s", dl ? "," : "",
			     mt_fp_obs_name(id));
		if (k < 0 || (size_t)k >= sizeof(out->decided) - dl)
			break;
		dl += (size_t)k;
	}
}

/* A free slot: an unused one, or the least recently seen server's.
 * Under the lock. */
static int32_t
slot_take(struct mt_fpsrv_table *t, struct mt_fpsrv_counters *c)
{
	uint32_t i;

	if (t->nfree > 0)
		return (int32_t)t->free[--t->nfree];
	i = t->tail;
	if (i == NIL)
		return -1;
	lru_unlink(t, i);
	rte_hash_del_key(t->h, &t->slot[i].key);
	t->slot[i].used = 0;
	t->count--;
	c->evicted++;
	return (int32_t)i;
}

/* The slot of server k, a new one if needed (under the lock), or -1. */
static int32_t
slot_of(struct mt_fpsrv_table *t, const struct mt_fpsrv_obs *o, struct mt_fpsrv_counters *c)
{
	struct srv *s;
	void *d;
	int32_t i;

	if (rte_hash_lookup_data(t->h, &o->key, &d) >= 0) {
		i = (int32_t)(uintptr_t)d;
		s = &t->slot[i];
		s->last_ns = RTE_MAX(s->last_ns, o->ts_ns);
		touch(t, (uint32_t)i);
		return i;
	}
	rte_spinlock_lock(&t->lock);
	i = slot_take(t, c);
	if (i >= 0) {
		s = &t->slot[i];
		memset(s, 0, offsetof(struct srv, arena));
		s->key = o->key;
		s->first_ns = s->last_ns = o->ts_ns;
		s->prev = s->next = NIL;
		snprintf(s->v.reason, sizeof(s->v.reason), "no observation yet");
		if (rte_hash_add_key_data(t->h, &s->key, (void *)(uintptr_t)i) < 0) {
			t->free[t->nfree++] = (uint32_t)i;
			i = -1;
		} else {
			s->used = 1;
			t->count++;
			lru_front(t, (uint32_t)i);
		}
	}
	rte_spinlock_unlock(&t->lock);
	return i;
}

int
mt_fpsrv_table_add(struct mt_fpsrv_table *t, const struct mt_fpsrv_obs *o,
		   struct mt_fpsrv_counters *c)
{
	struct srv *s;
	int32_t i;
	unsigned mask;
	size_t fitted, n;

	c->obs++;
	i = slot_of(t, o, c);
	if (i < 0)
		return 0;
	s = &t->slot[i];
	mask = obs_mask_for(s, o->kind);
	if (mask == 0)
		return 0; /* it has that one already */
	/* printable text, into the arena */
	fitted = mt_fp_obs_set_raw(t->one, o->text, o->len);
	n = strlen(t->one->text);
	if (n > (size_t)(MT_FPSRV_ARENA - s->arena_used)) {
		n = MT_FPSRV_ARENA - s->arena_used;
		c->truncated++;
	} else if (fitted < o->len || o->truncated) {
		c->truncated++;
	}
	rte_spinlock_lock(&t->lock);
	s->dirty = 1;
	memcpy(s->arena + s->arena_used, t->one->text, n);
	for (int id = 0; id < MT_FP_NOBS; id++) {
		if (!(mask & (1u << id)))
			continue;
		s->off[id] = s->arena_used; /* one copy for both slots */
		s->len[id] = (uint16_t)n;
	}
	s->arena_used = (uint16_t)(s->arena_used + n);
	s->present |= (uint16_t)mask;
	rte_spinlock_unlock(&t->lock);
	c->obs_new++;
	return 1;
}

/* Writer: bring s->v up to date (classified when first needed, not at
 * each observation: a server no mail goes to costs no classification). */
static void
refresh(struct mt_fpsrv_table *t, struct srv *s)
{
	struct mt_fpsrv_verdict v;

	if (!s->dirty)
		return;
	classify(t->db, s, t->set, t->fv, &v); /* outside the lock: only the
						* writer changes s */
	rte_spinlock_lock(&t->lock);
	s->v = v;
	s->dirty = 0;
	rte_spinlock_unlock(&t->lock);
	t->nclassify++;
}

const struct mt_fpsrv_verdict *
mt_fpsrv_table_mail(struct mt_fpsrv_table *t, const struct mt_fpsrv_key *k)
{
	struct srv *s;
	void *d;

	if (rte_hash_lookup_data(t->h, k, &d) < 0)
		return NULL;
	s = &t->slot[(uintptr_t)d];
	if (!s->used)
		return NULL;
	refresh(t, s);
	__atomic_fetch_add(&s->mails, 1, __ATOMIC_RELAXED);
	return &s->v;
}

unsigned
mt_fpsrv_table_count(struct mt_fpsrv_table *t)
{
	unsigned n;

	rte_spinlock_lock(&t->lock);
	n = t->count;
	rte_spinlock_unlock(&t->lock);
	return n;
}

unsigned
mt_fpsrv_table_capacity(const struct mt_fpsrv_table *t)
{
	return t->cap;
}

/*
 * Readers on other threads: a copy of the entry under the lock; if its
 * verdict is stale, the copy is classified outside the lock with the
 * reader's own scratch (the database is read-only, see mt_fp.h).
 */
struct reader {
	struct srv copy;
	struct mt_fp_obsset set;
	struct mt_fp_verdict fv;
};

static void
info_of(const struct srv *s, struct mt_fpsrv_info *out)
{
	out->key = s->key;
	out->present = s->present;
	out->first_ns = s->first_ns;
	out->last_ns = s->last_ns;
	out->mails = __atomic_load_n(&s->mails, __ATOMIC_RELAXED);
	out->v = s->v;
}

/* Copy slot i (under the lock) and finish out; 0 or -ENOENT. */
static int
read_slot(struct mt_fpsrv_table *t, const struct srv *s, struct mt_fpsrv_info *out)
{
	struct reader *r = NULL;
	int dirty;

	if (!s->used)
		return -ENOENT;
	info_of(s, out);
	dirty = s->dirty;
	if (dirty && (r = malloc(sizeof(*r))) != NULL)
		memcpy(&r->copy, s, sizeof(*s));
	rte_spinlock_unlock(&t->lock);
	if (r != NULL) {
		classify(t->db, &r->copy, &r->set, &r->fv, &out->v);
		free(r);
	} else if (dirty) {
		snprintf(out->v.reason, sizeof(out->v.reason), "out of memory");
	}
	rte_spinlock_lock(&t->lock);
	return 0;
}

int
mt_fpsrv_table_get(struct mt_fpsrv_table *t, unsigned i, struct mt_fpsrv_info *out)
{
	int rc;

	if (i >= t->cap)
		return -ENOENT;
	rte_spinlock_lock(&t->lock);
	rc = read_slot(t, &t->slot[i], out);
	rte_spinlock_unlock(&t->lock);
	return rc;
}

int
mt_fpsrv_table_next(struct mt_fpsrv_table *t, unsigned *i, struct mt_fpsrv_info *out)
{
	unsigned k;
	int rc = -ENOENT;

	rte_spinlock_lock(&t->lock);
	for (k = *i; k < t->cap; k++)
		if (t->slot[k].used)
			break;
	if (k < t->cap) {
		*i = k;
		rc = read_slot(t, &t->slot[k], out);
	}
	rte_spinlock_unlock(&t->lock);
	return rc;
}

int
mt_fpsrv_table_find(struct mt_fpsrv_table *t, const struct mt_fpsrv_key *k,
		    struct mt_fpsrv_info *out)
{
	int rc = -ENOENT;
	void *d;

	rte_spinlock_lock(&t->lock);
	if (rte_hash_lookup_data(t->h, k, &d) >= 0)
		rc = read_slot(t, &t->slot[(uintptr_t)d], out);
	rte_spinlock_unlock(&t->lock);
	return rc;
}

uint64_t
mt_fpsrv_table_classified(struct mt_fpsrv_table *t)
{
	uint64_t n = t->nclassify;

	t->nclassify = 0;
	return n;
}

int
mt_fpsrv_table_obs(struct mt_fpsrv_table *t, const struct mt_fpsrv_key *k, char *buf,
		   size_t size)
{
	size_t len = 0;
	void *d;
	int i;

	if (size == 0)
		return -EINVAL;
	buf[0] = '\0';
	rte_spinlock_lock(&t->lock);
	if (rte_hash_lookup_data(t->h, k, &d) < 0 || !t->slot[(uintptr_t)d].used) {
		rte_spinlock_unlock(&t->lock);
		return -ENOENT;
	}
	for (i = 0; i < MT_FP_NOBS; i++) {
		const struct srv *s = &t->slot[(uintptr_t)d];
		int n;

		if (!(s->present & (1u << i)))
			continue;
		n = snprintf(buf + len, size - len, "[%s]\n%.*s\n", mt_fp_obs_name(i),
			     (int)s->len[i], s->arena + s->off[i]);
		if (n < 0)
			break;
		len = MT_MIN(len + (size_t)n, size - 1);
	}
	rte_spinlock_unlock(&t->lock);
	return (int)len;
}
