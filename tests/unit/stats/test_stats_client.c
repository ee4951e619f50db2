/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/stats/stats_client: the JSON reader behind `mailtap stat`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats_client.h"

static struct mt_json *
parse(const char *s)
{
	struct mt_err err;

	return mt_json_parse(s, strlen(s), &err);
}

static void
telemetry_reply_with_exact_u64_counters(void **state)
{
	struct mt_json *j;
	const struct mt_json *v, *d;

	(void)state;
	/* a counter beyond 2^53 must stay exact (a double would round it) */
	j = parse("{\"/mailtap/lcores\": {\"rx_packets\": 18446744073709551615, "
		  "\"wr_mails\": 9007199254740993, \"x\": -1.5, \"ok\": true, \"n\": null}}");
	assert_non_null(j);
	d = mt_json_get(j, "/mailtap/lcores");
	assert_non_null(d);
	assert_int_equal(d->type, MT_JSON_OBJ);
	v = mt_json_get(d, "rx_packets");
	assert_true(v->is_u64);
	assert_true(v->u64 == UINT64_MAX);
	v = mt_json_get(d, "wr_mails");
	assert_true(v->is_u64 && v->u64 == 9007199254740993ull);
	v = mt_json_get(d, "x");
	assert_false(v->is_u64);
	assert_true(v->num == -1.5);
	assert_int_equal(mt_json_get(d, "ok")->type, MT_JSON_BOOL);
	assert_int_equal(mt_json_get(d, "n")->type, MT_JSON_NULL);
	assert_null(mt_json_get(d, "absent"));
	mt_json_free(j);
}

static void
strings_arrays_and_escapes(void **state)
{
	struct mt_json *j;

	(void)state;
	j = parse("[0, 1, \"a\\\"b\\\\c\\n\\u00e9\", [], {}]");
	assert_non_null(j);
	assert_int_equal(j->type, MT_JSON_ARR);
	assert_int_equal(j->n, 5);
	assert_string_equal(j->kid[2].str, "a\"b\\c\n\xc3\xa9");
	assert_int_equal(j->kid[3].n, 0);
	assert_int_equal(j->kid[4].type, MT_JSON_OBJ);
	mt_json_free(j);
}

static void
malformed_input_is_an_error_never_a_crash(void **state)
{
	static const char *const bad[] = {
		"", "{", "[1,", "{\"a\" 1}", "{\"a\":}", "[1 2]", "\"abc", "tru", "nul",
		"{\"a\":1}x", "[\"\\x\"]", "[\"\\u12\"]", "-", "01", "1.", "1e", "[,1]",
	};
	struct mt_json *j;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i]);
		if (j != NULL)
			fail_msg("accepted bad JSON: '%s'", bad[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(telemetry_reply_with_exact_u64_counters),
		cmocka_unit_test(strings_arrays_and_escapes),
		cmocka_unit_test(malformed_input_is_an_error_never_a_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
