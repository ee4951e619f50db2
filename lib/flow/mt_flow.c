/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "mt_common.h"
#include "mt_flow.h"

#define FLOW_HASH_SEED 0x6d5a6d5au

#define NIL UINT32_MAX

struct mt_flow_table {
	struct rte_hash *h;
	uint8_t *slots;
	uint32_t slot_size;
	uint32_t n_slots;
	uint32_t head[MT_FLOW_NCLASS];
	uint32_t tail[MT_FLOW_NCLASS];
	uint32_t n_cls[MT_FLOW_NCLASS];
	uint32_t age_head, age_tail;  /* creation order */
	uint32_t max_flows;
	uint32_t high_water;
};

void
mt_flow_key_from_pkt(struct mt_flow_key *k, const struct mt_pkt *p, int dir)
{
	memset(k, 0, sizeof(*k));
	k->family = p->family;
	if (dir == MT_DIR_C2S) {
		memcpy(k->srv, p->daddr, 16);
		memcpy(k->cli, p->saddr, 16);
		k->srv_port = p->dport;
		k->cli_port = p->sport;
	} else {
		memcpy(k->srv, p->saddr, 16);
		memcpy(k->cli, p->daddr, 16);
		k->srv_port = p->sport;
		k->cli_port = p->dport;
	}
}

uint32_t
mt_flow_key_hash(const struct mt_flow_key *k)
{
	return rte_hash_crc(k, sizeof(*k), FLOW_HASH_SEED);
}

void
mt_flow_key_addr_str(const struct mt_flow_key *k, int srv, char *buf, size_t size)
{
	const uint8_t *a = srv ? k->srv : k->cli;

	if (inet_ntop(k->family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
}

char *
mt_flow_key_str(const struct mt_flow_key *k, char *buf, size_t size)
{
	char c[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];
	int v6 = k->family == 6;

	mt_flow_key_addr_str(k, 0, c, sizeof(c));
	mt_flow_key_addr_str(k, 1, s, sizeof(s));
	snprintf(buf, size, v6 ? "[%s]:%u > [%s]:%u" : "%s:%u > %s:%u",
		 c, k->cli_port, s, k->srv_port);
	return buf;
}

struct mt_flow_table *
mt_flow_table_create(const struct mt_flow_table_params *prm)
{
	struct rte_hash_parameters hp = {
		.name = prm->name,
		.entries = prm->max_flows,
		.key_len = sizeof(struct mt_flow_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = FLOW_HASH_SEED,
		.socket_id = prm->socket_id,
		/* Without extendable buckets a full bucket refuses a key before
		 * the table is full; with them, max_flows is what we get. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct mt_flow_table *t;

	if (prm->slot_size < sizeof(struct mt_flow_slot) || prm->max_flows == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket(prm->name, sizeof(*t), RTE_CACHE_LINE_SIZE, prm->socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->slot_size = RTE_ALIGN_CEIL(prm->slot_size, RTE_CACHE_LINE_SIZE);
	for (int c = 0; c < MT_FLOW_NCLASS; c++)
		t->head[c] = t->tail[c] = NIL;
	t->age_head = t->age_tail = NIL;
	t->max_flows = prm->max_flows;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL)
		goto fail;
	/* rte_hash positions run 0 .. entries + a few (it rounds up). */
	t->n_slots = (uint32_t)rte_hash_max_key_id(t->h) + 1;
	t->slots = rte_zmalloc_socket(prm->name, (size_t)t->n_slots * t->slot_size,
				      RTE_CACHE_LINE_SIZE, prm->socket_id);
	if (t->slots == NULL) {
		rte_errno = ENOMEM;
		goto fail;
	}
	return t;
fail:
	rte_hash_free(t->h);
	rte_free(t);
	return NULL;
}

void
mt_flow_table_free(struct mt_flow_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t->slots);
	rte_free(t);
}

static inline struct mt_flow_slot *
slot_at(struct mt_flow_table *t, uint32_t i)
{
	return (struct mt_flow_slot *)(t->slots + (size_t)i * t->slot_size);
}

static inline uint32_t
slot_idx(const struct mt_flow_table *t, const struct mt_flow_slot *s)
{
	return (uint32_t)(((const uint8_t *)s - t->slots) / t->slot_size);
}

static void
list_unlink(struct mt_flow_table *t, struct mt_flow_slot *s)
{
	if (s->prev != NIL)
		slot_at(t, s->prev)->next = s->next;
	else
		t->head[s->cls] = s->next;
	if (s->next != NIL)
		slot_at(t, s->next)->prev = s->prev;
	else
		t->tail[s->cls] = s->prev;
	t->n_cls[s->cls]--;
}

static void
list_append(struct mt_flow_table *t, struct mt_flow_slot *s)
{
	uint32_t i = slot_idx(t, s);

	s->next = NIL;
	s->prev = t->tail[s->cls];
	if (s->prev != NIL)
		slot_at(t, s->prev)->next = i;
	else
		t->head[s->cls] = i;
	t->tail[s->cls] = i;
	t->n_cls[s->cls]++;
}

static void
age_append(struct mt_flow_table *t, struct mt_flow_slot *s)
{
	uint32_t i = slot_idx(t, s);

	s->anext = NIL;
	s->aprev = t->age_tail;
	if (s->aprev != NIL)
		slot_at(t, s->aprev)->anext = i;
	else
		t->age_head = i;
	t->age_tail = i;
}

static void
age_unlink(struct mt_flow_table *t, struct mt_flow_slot *s)
{
	if (s->aprev != NIL)
		slot_at(t, s->aprev)->anext = s->anext;
	else
		t->age_head = s->anext;
	if (s->anext != NIL)
		slot_at(t, s->anext)->aprev = s->aprev;
	else
		t->age_tail = s->aprev;
}

static inline uint32_t
n_active(const struct mt_flow_table *t)
{
	uint32_t n = 0;

	for (int c = 0; c < MT_FLOW_NCLASS; c++)
		n += t->n_cls[c];
	return n;
}

struct mt_flow_slot *
mt_flow_table_lookup(struct mt_flow_table *t, const struct mt_flow_key *k, uint32_t hash)
{
	int32_t pos = rte_hash_lookup_with_hash(t->h, k, hash);

	return pos < 0 ? NULL : slot_at(t, (uint32_t)pos);
}

int
mt_flow_table_add(struct mt_flow_table *t, const struct mt_flow_key *k, uint32_t hash,
		  struct mt_flow_slot **slot)
{
	struct mt_flow_slot *s;
	int32_t pos;

	if (rte_hash_lookup_with_hash(t->h, k, hash) >= 0)
		return -EEXIST;
	pos = rte_hash_add_key_with_hash(t->h, k, hash);
	if (pos < 0)
		return pos == -ENOSPC ? -ENOSPC : pos;
	MT_BUG_ON((uint32_t)pos >= t->n_slots);
	s = slot_at(t, (uint32_t)pos);
	memset(s, 0, t->slot_size);
	s->key = *k;
	s->hash = hash;
	s->in_use = 1;
	s->cls = MT_FLOW_HANDSHAKE;
	list_append(t, s);
	age_append(t, s);
	if (n_active(t) > t->high_water)
		t->high_water = n_active(t);
	*slot = s;
	return 0;
}

void
mt_flow_table_del(struct mt_flow_table *t, struct mt_flow_slot *s)
{
	int32_t pos;

	MT_BUG_ON(!s->in_use);
	pos = rte_hash_del_key_with_hash(t->h, &s->key, s->hash);
	MT_BUG_ON(pos < 0 || slot_at(t, (uint32_t)pos) != s);
	list_unlink(t, s);
	age_unlink(t, s);
	s->in_use = 0;
}

uint32_t
mt_flow_table_count(const struct mt_flow_table *t)
{
	int32_t n = rte_hash_count(t->h);

	return n < 0 ? 0 : (uint32_t)n;
}

void
mt_flow_table_touch(struct mt_flow_table *t, struct mt_flow_slot *s, enum mt_flow_class cls,
		    uint64_t now)
{
	s->last_tsc = now;
	if (unlikely(s->first_tsc == 0))
		s->first_tsc = now;
	/* already last of its class: the common case, nothing to move */
	if (s->cls == cls && s->next == NIL)
		return;
	list_unlink(t, s);
	s->cls = (uint8_t)cls;
	list_append(t, s);
}

unsigned
mt_flow_table_expire(struct mt_flow_table *t, uint64_t now,
		     const uint64_t timeout_tsc[MT_FLOW_NCLASS], uint32_t budget,
		     mt_flow_visit_t expire, void *arg)
{
	struct mt_flow_slot *s;
	unsigned c, n = 0;

	for (c = 0; c < MT_FLOW_NCLASS; c++) {
		while (n < budget && t->head[c] != NIL) {
			s = slot_at(t, t->head[c]);
			if (s->last_tsc + timeout_tsc[c] > now)
				break;
			expire(s, arg);
			MT_BUG_ON(s->in_use);
			n++;
		}
	}
	return n;
}

int
mt_flow_table_evict(struct mt_flow_table *t, mt_flow_visit_t evict, void *arg)
{
	struct mt_flow_slot *s;
	unsigned c;

	for (c = 0; c < MT_FLOW_NCLASS; c++) {
		if (t->head[c] == NIL)
			continue;
		s = slot_at(t, t->head[c]);
		evict(s, arg);
		MT_BUG_ON(s->in_use);
		return 0;
	}
	return -ENOENT;
}

void
mt_flow_table_foreach(struct mt_flow_table *t, mt_flow_visit_t fn, void *arg)
{
	uint32_t i;

	for (i = 0; i < t->n_slots; i++)
		if (slot_at(t, i)->in_use)
			fn(slot_at(t, i), arg);
}

void
mt_flow_table_gauges(const struct mt_flow_table *t, struct mt_flow_table_gauges *g)
{
	const struct mt_flow_slot *s;
	unsigned c;

	memset(g, 0, sizeof(*g));
	g->capacity = t->max_flows;
	g->active = n_active(t);
	g->high_water = t->high_water;
	for (c = 0; c < MT_FLOW_NCLASS; c++) {
		g->by_class[c] = t->n_cls[c];
		if (t->head[c] != NIL) {
			s = (const struct mt_flow_slot *)(t->slots + (size_t)t->head[c] * t->slot_size);
			g->idlest_tsc[c] = s->last_tsc;
		}
	}
	if (t->age_head != NIL) {
		s = (const struct mt_flow_slot *)(t->slots + (size_t)t->age_head * t->slot_size);
		g->oldest_first_tsc = s->first_tsc;
	}
}

uint32_t
mt_flow_table_walk(struct mt_flow_table *t, struct mt_flow_cursor *c, uint32_t skip,
		   uint32_t n, mt_flow_visit_t fn, void *arg)
{
	uint32_t i = t->age_head, seen = 0;
	struct mt_flow_slot *s;

	if (c != NULL && c->idx < t->n_slots && slot_at(t, c->idx)->in_use &&
	    slot_at(t, c->idx)->hash == c->hash && slot_at(t, c->idx)->first_tsc == c->first_tsc)
		i = c->idx;
	else
		for (; i != NIL && skip > 0; skip--)
			i = slot_at(t, i)->anext;
	for (; i != NIL && seen < n; seen++) {
		s = slot_at(t, i);
		i = s->anext;
		fn(s, arg);
	}
	if (c != NULL) {
		c->idx = i == NIL ? MT_FLOW_CURSOR_NONE : i;
		c->hash = i == NIL ? 0 : slot_at(t, i)->hash;
		c->first_tsc = i == NIL ? 0 : slot_at(t, i)->first_tsc;
	}
	return seen;
}
