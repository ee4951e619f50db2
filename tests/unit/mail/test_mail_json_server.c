/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/mail: the "server" object of the JSON record (passive fingerprint). */
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

static struct rte_mempool *mail_pool;

static struct mt_mail *
new_mail(void)
{
	struct mt_mail *m = mt_mail_get(mail_pool);

	assert_non_null(m);
	m->key.family = 4;
	m->key.srv_port = 25;
	return m;
}

static void
set(struct mt_mail *m, struct mt_mail_str *s, const char *v)
{
	mt_mail_set_aux(m, s, v, strlen(v));
}

/* No verdict (fingerprinting off, or nothing seen of the server): no
 * "server" member at all. */
static void
no_verdict_no_member(void **state)
{
	struct mt_mail *m = new_mail();
	char json[8192];

	(void)state;
	mt_mail_json(m, "01", NULL, json, sizeof(json));
	assert_null(strstr(json, "\"server\""));
	mt_mail_put(m);
}

static void
known_and_unknown_verdicts(void **state)
{
	struct mt_mail *m = new_mail();
	char json[8192];
	size_t n;

	(void)state;
	m->fp_state = 2;
	m->fp_score = 30;
	m->fp_nonbanner = 8;
	set(m, &m->fp_rule, "postfix");
	set(m, &m->fp_vendor, "Postfix project (Wietse \"V\")");
	set(m, &m->fp_product, "Postfix");
	set(m, &m->fp_family, "open-source-mta");
	set(m, &m->fp_version, "3.7");
	set(m, &m->fp_decided, "help,nul");
	set(m, &m->fp_reason, "");
	n = mt_mail_json(m, "01", NULL, json, sizeof(json));
	assert_int_equal(n, strlen(json));
	assert_non_null(strstr(json, ",\"server\":{\"known\":true,\"rule\":\"postfix\","
				     "\"vendor\":\"Postfix project (Wietse \\\"V\\\")\","
				     "\"product\":\"Postfix\",\"family\":\"open-source-mta\","
				     "\"version\":\"3.7\",\"score\":30,\"nonbanner\":8,"
				     "\"decided\":\"help,nul\",\"reason\":\"\"}}"));
	mt_mail_put(m);

	m = new_mail();
	m->fp_state = 1;
	m->fp_score = -3;
	set(m, &m->fp_reason, "score below threshold");
	mt_mail_json(m, "02", NULL, json, sizeof(json));
	assert_non_null(strstr(json, "\"server\":{\"known\":false,\"rule\":\"\""));
	assert_non_null(strstr(json, "\"score\":-3,\"nonbanner\":0"));
	assert_non_null(strstr(json, "\"reason\":\"score below threshold\"}"));
	mt_mail_put(m);
}

static int
setup(void **state)
{
	(void)state;
	if (mt_test_eal_init("mailjs") != 0)
		return -1;
	mail_pool = mt_mail_pool_create("t_mails_js", 7, 0);
	return mail_pool ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	rte_mempool_free(mail_pool);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_verdict_no_member),
		cmocka_unit_test(known_and_unknown_verdicts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
