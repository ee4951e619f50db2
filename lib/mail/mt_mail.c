/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <openssl/evp.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "mt_common.h"
#include "mt_mail.h"
#include "mt_mime.h"

struct rte_mempool *
mt_mail_pool_create(const char *name, unsigned n, int socket_id)
{
	return rte_mempool_create(name, n, sizeof(struct mt_mail), n > 1024 ? 64 : 0, 0,
				  NULL, NULL, NULL, NULL, socket_id, 0);
}

struct rte_mempool *
mt_mail_pool_create_scan(const char *name, unsigned n, int socket_id)
{
	return rte_mempool_create(name, n, sizeof(struct mt_mail) + RTE_ALIGN_CEIL(mt_mime_size(), 64),
				  n > 1024 ? 64 : 0, 0, NULL, NULL, NULL, NULL, socket_id, 0);
}

void *
mt_mail_mime(struct mt_mail *m)
{
	if (rte_mempool_from_obj(m)->elt_size < sizeof(*m) + mt_mime_size())
		return NULL;
	return m + 1;
}

void
mt_mail_set_aux(struct mt_mail *m, struct mt_mail_str *dst, const char *s, size_t len)
{
	if (len > (size_t)(MT_MAIL_ARENA - m->arena_used)) {
		dst->off = dst->len = 0;
		return;
	}
	memcpy(m->arena + m->arena_used, s, len);
	dst->off = m->arena_used;
	dst->len = (uint16_t)len;
	m->arena_used = (uint16_t)(m->arena_used + len);
}

struct mt_mail *
mt_mail_get(struct rte_mempool *pool)
{
	struct mt_mail *m;

	if (rte_mempool_get(pool, (void **)&m) != 0)
		return NULL;
	/* Everything but the arena, whose bytes are covered by the offsets. */
	memset(m, 0, offsetof(struct mt_mail, arena));
	return m;
}

void
mt_mail_put(struct mt_mail *m)
{
	if (m == NULL)
		return;
	rte_pktmbuf_free(m->head);
	mt_scan_db_put(m->scan_db);
	rte_mempool_put(rte_mempool_from_obj(m), m);
}

int
mt_mail_set_str(struct mt_mail *m, struct mt_mail_str *dst, const char *s, size_t len)
{
	if (len > (size_t)(MT_MAIL_ARENA - m->arena_used)) {
		m->flags |= MT_MAIL_F_ENVELOPE_TRUNC;
		dst->off = dst->len = 0;
		return -ENOSPC;
	}
	memcpy(m->arena + m->arena_used, s, len);
	dst->off = m->arena_used;
	dst->len = (uint16_t)len;
	m->arena_used = (uint16_t)(m->arena_used + len);
	return 0;
}

int
mt_mail_add_rcpt(struct mt_mail *m, const char *s, size_t len)
{
	struct mt_mail_rcpt *r;

	if (m->n_rcpt == MT_MAIL_MAX_RCPT) {
		m->flags |= MT_MAIL_F_ENVELOPE_TRUNC;
		return -ENOSPC;
	}
	r = &m->rcpt[m->n_rcpt++];
	r->code = 0;
	r->params.off = r->params.len = 0;
	return mt_mail_set_str(m, &r->addr, s, len);
}

void
mt_mail_append(struct mt_mail *m, struct rte_mempool *chunk_pool, uint64_t max_size,
	       const uint8_t *p, size_t n)
{
	struct rte_mbuf *c;
	size_t room, k;

	m->seen_size += n;
	if (m->flags & (MT_MAIL_F_TRUNCATED | MT_MAIL_F_NOMEM))
		return;
	if (m->size + n > max_size) {
		n = (size_t)(max_size - m->size);
		m->flags |= MT_MAIL_F_TRUNCATED;
	}
	while (n > 0) {
		c = m->tail;
		room = c != NULL ? rte_pktmbuf_tailroom(c) : 0;
		if (room == 0) {
			c = rte_pktmbuf_alloc(chunk_pool);
			if (c == NULL) {
				m->flags |= MT_MAIL_F_NOMEM;
				return;
			}
			/* Chain by hand: rte_pktmbuf_chain() walks to the last
			 * segment each time, we keep the tail. */
			if (m->head == NULL) {
				m->head = c;
			} else {
				m->tail->next = c;
				m->head->nb_segs++;
			}
			m->tail = c;
			room = rte_pktmbuf_tailroom(c);
		}
		k = MT_MIN(room, n);
		memcpy(rte_pktmbuf_mtod_offset(c, uint8_t *, c->data_len), p, k);
		c->data_len = (uint16_t)(c->data_len + k);
		m->head->pkt_len += (uint32_t)k;
		m->size += k;
		p += k;
		n -= k;
	}
}

void
mt_mail_sha256_hex(const struct mt_mail *m, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	const struct rte_mbuf *c;
	unsigned int n = 0, i;
	EVP_MD_CTX *ctx;

	out[0] = '\0';
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (c = m->head; c != NULL; c = c->next)
		if (EVP_DigestUpdate(ctx, rte_pktmbuf_mtod(c, const void *), c->data_len) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, md, &n) != 1)
		goto out;
	for (i = 0; i < n && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * i] = '\0';
out:
	EVP_MD_CTX_free(ctx);
}

void
mt_mail_id(const struct mt_mail *m, uint32_t run_id, char *buf, size_t size)
{
	snprintf(buf, size, "%08" PRIx32 "%02x%014" PRIx64, run_id, m->worker & 0xff,
		 (uint64_t)(m->seq & 0xffffffffffffffull));
}
