/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/mail: chunk chains, envelope arena bounds, the JSON record. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_mbuf.h>

#include "mt_common.h"
#include "mt_mail.h"
#include "mt_test_eal.h"

static struct rte_mempool *mail_pool, *chunk_pool;

static void
append_spans_chunks_and_keeps_bytes(void **state)
{
	struct mt_mail *m = mt_mail_get(mail_pool);
	uint8_t src[1000], out[1000];
	const void *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7);
	/* odd pieces over 100-byte chunks */
	for (i = 0; i < sizeof(src); i += 13)
		mt_mail_append(m, chunk_pool, 1 << 20, src + i, MT_MIN(13, sizeof(src) - i));
	assert_int_equal(m->size, 1000);
	assert_int_equal(m->head->pkt_len, 1000);
	assert_int_equal(m->head->nb_segs, 10);
	p = rte_pktmbuf_read(m->head, 0, 1000, out);
	assert_memory_equal(p, src, 1000);
	mt_mail_put(m);
	assert_int_equal(rte_mempool_in_use_count(chunk_pool), 0);
}

static void
empty_chunk_pool_flags_nomem_and_counts_seen(void **state)
{
	struct mt_mail *m = mt_mail_get(mail_pool);
	struct rte_mbuf *hold[64];
	unsigned n = 0;
	uint8_t buf[250] = { 0 };

	(void)state;
	while (n < 64 && (hold[n] = rte_pktmbuf_alloc(chunk_pool)) != NULL)
		n++;
	rte_pktmbuf_free(hold[--n]);
	rte_pktmbuf_free(hold[--n]); /* two chunks left: 200 bytes */
	mt_mail_append(m, chunk_pool, 1 << 20, buf, sizeof(buf));
	mt_mail_append(m, chunk_pool, 1 << 20, buf, sizeof(buf));
	assert_int_equal(m->size, 200);
	assert_int_equal(m->seen_size, 500);
	assert_true(m->flags & MT_MAIL_F_NOMEM);
	mt_mail_put(m);
	while (n > 0)
		rte_pktmbuf_free(hold[--n]);
}

static void
envelope_arena_and_recipient_bounds(void **state)
{
	struct mt_mail *m = mt_mail_get(mail_pool);
	char big[MT_MAIL_ARENA + 1];
	unsigned i;

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_int_equal(mt_mail_set_str(m, &m->helo, big, sizeof(big)), -ENOSPC);
	assert_true(m->flags & MT_MAIL_F_ENVELOPE_TRUNC);
	assert_int_equal(m->helo.len, 0);
	for (i = 0; i < MT_MAIL_MAX_RCPT; i++)
		assert_int_equal(mt_mail_add_rcpt(m, "r@x", 3), 0);
	assert_int_equal(mt_mail_add_rcpt(m, "r@x", 3), -ENOSPC);
	assert_int_equal(m->n_rcpt, MT_MAIL_MAX_RCPT);
	mt_mail_put(m);
}

static void
json_escapes_and_replaces_invalid_utf8(void **state)
{
	struct mt_mail *m = mt_mail_get(mail_pool);
	char json[2048];
	size_t n;

	(void)state;
	m->key.family = 4;
	memcpy(m->key.cli, "\xc6\x33\x64\x07", 4);
	memcpy(m->key.srv, "\xc0\x00\x02\x19", 4);
	m->key.cli_port = 40001;
	m->key.srv_port = 25;
	m->ts_ns = 1704067200123456789ull;
	mt_mail_set_str(m, &m->helo, "a\"b\\c\x01", 6);
	/* valid UTF-8 (e-acute), an invalid byte, an overlong encoding */
	mt_mail_set_str(m, &m->mail_from, "j\xc3\xa9@x\xff\xc0\xaf", 8);
	mt_mail_add_rcpt(m, "ok@y", 4);
	m->rcpt[0].code = 250;
	mt_mail_add_rcpt(m, "no@y", 4);
	m->rcpt[1].code = 550;
	m->flags = MT_MAIL_F_GAP | MT_MAIL_F_UNCONFIRMED;
	m->ts_end_ns = 1704067201000000000ull;
	n = mt_mail_json(m, "0011", "ab12", json, sizeof(json));
	assert_int_equal(n, strlen(json));
	assert_non_null(strstr(json, "\"timestamp\":\"2024-01-01T00:00:00.123456+0000\""));
	assert_non_null(strstr(json, "\"src_ip\":\"198.51.100.7\",\"src_port\":40001"));
	assert_non_null(strstr(json, "\"helo\":\"a\\\"b\\\\c\\u0001\""));
	assert_non_null(strstr(json, "\"mail_from\":\"j\xc3\xa9@x\\ufffd\\ufffd\\ufffd\""));
	assert_non_null(strstr(json, "\"rcpt_to\":[\"ok@y\"]"));
	assert_non_null(strstr(json, "\"rcpt_rejected\":[{\"addr\":\"no@y\",\"code\":550}]"));
	assert_non_null(strstr(json, "\"complete\":false,\"flags\":[\"unconfirmed\",\"gap\"]"));
	/* too small a buffer: the needed length, a terminated prefix */
	assert_non_null(strstr(json, "\"timestamp_end\":\"2024-01-01T00:00:01.000000+0000\""));
	assert_non_null(strstr(json, "\"sha256\":\"ab12\""));
	assert_int_equal(mt_mail_json(m, "0011", "ab12", json, 10), n);
	assert_int_equal(strlen(json), 9);
	mt_mail_put(m);
}

static int
setup(void **state)
{
	(void)state;
	if (mt_test_eal_init("mail") != 0)
		return -1;
	mail_pool = mt_mail_pool_create("t_mails", 15, 0);
	chunk_pool = rte_pktmbuf_pool_create("t_chunks", 63, 0, 0, RTE_PKTMBUF_HEADROOM + 100, 0);
	return mail_pool && chunk_pool ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	rte_mempool_free(mail_pool);
	rte_mempool_free(chunk_pool);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(append_spans_chunks_and_keeps_bytes),
		cmocka_unit_test(empty_chunk_pool_flags_nomem_and_counts_seen),
		cmocka_unit_test(envelope_arena_and_recipient_bounds),
		cmocka_unit_test(json_escapes_and_replaces_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
