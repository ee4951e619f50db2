/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fp.c - the fingerprint rule database and engine on real replies:
 * every rule's example lines, and the golden fixtures captured from real
 * servers (tests/fp/fixtures/<server>/, see its README.md).  Run from the
 * repository root (run-tests.sh does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mt_fp.h"

#define RULES "config/fingerprints"
#define FIX "tests/fp/fixtures"

static struct mt_fp_db *db;

static int
setup(void **state)
{
	struct mt_err err = { "" };

	(void)state;
	db = mt_fp_db_new();
	if (!db || mt_fp_db_load_dir(db, RULES, &err) != 0) {
		fprintf(stderr, "load: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	mt_fp_db_free(db);
	return 0;
}

static void
load_fixture(const char *rel, struct mt_fp_obsset *set)
{
	char path[512], *buf;
	struct mt_err err = { "" };
	FILE *f;
	long n;

	snprintf(path, sizeof(path), FIX "/%s", rel);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (mt_fp_obsset_parse(set, buf, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	free(buf);
}

static void
generic_banner(struct mt_fp_obsset *set)
{
	snprintf(set->o[MT_FP_BANNER].text, MT_FP_TEXT_MAX, "220 mail.example.com ESMTP");
	snprintf(set->o[MT_FP_BANNER2].text, MT_FP_TEXT_MAX, "220 mail.example.com ESMTP");
}

static void
test_examples(void **state)
{
	struct mt_err err = { "" };
	int n;

	(void)state;
	assert_true(mt_fp_db_nrules(db) >= 2);
	n = mt_fp_db_check_examples(db, &err);
	if (n < 0)
		fail_msg("%s", err.msg);
	assert_true(n >= 10);
}

static void
test_parse_errors(void **state)
{
	struct mt_fp_obsset set;
	struct mt_err err = { "" };

	(void)state;
	assert_int_not_equal(mt_fp_obsset_parse(&set, "[nosuch]\n250 x\n", &err), 0);
	assert_non_null(strstr(err.msg, "line 1"));
	assert_int_equal(mt_fp_obsset_parse(&set, "[nul]\n!closed\n", &err), 0);
	assert_true(set.o[MT_FP_NUL].flags & MT_FP_F_CLOSED);
}

/* Known server: right product, >= 2 non-banner observations; with the
 * banner made generic: right or unknown, never another product. */
static void
check_known(const char *rel, const char *rule, const char *version)
{
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_fp_verdict v;

	assert_non_null(set);
	load_fixture(rel, set);
	mt_fp_classify(db, set, &v);
	if (!v.known || strcmp(v.rule, rule) != 0)
		fail_msg("%s: got %s %s (%s, score %d)", rel, v.known ? "known" : "unknown",
			 v.rule, v.reason, v.score);
	assert_true(v.nonbanner >= 2);
	if (version)
		assert_string_equal(v.version, version);
	generic_banner(set);
	mt_fp_classify(db, set, &v);
	if (v.known && strcmp(v.rule, rule) != 0)
		fail_msg("%s with generic banner: WRONG product %s", rel, v.rule);
	free(set);
}

static void
check_unknown(const char *rel)
{
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_fp_verdict v;

	assert_non_null(set);
	load_fixture(rel, set);
	mt_fp_classify(db, set, &v);
	if (v.known)
		fail_msg("%s: unknown server called %s (score %d)", rel, v.rule, v.score);
	generic_banner(set);
	mt_fp_classify(db, set, &v);
	assert_false(v.known);
	free(set);
}

static void test_postfix(void **s) { (void)s; check_known("postfix/default.txt", "postfix", NULL); }
static void test_postfix_hidden(void **s)
{
	(void)s;
	check_known("postfix/generic-banner.txt", "postfix", NULL);
}
static void test_aiosmtpd(void **s) { (void)s; check_known("aiosmtpd/default.txt", "aiosmtpd", "1.4.3"); }
static void test_unknown_python_smtpd(void **s)
{
	(void)s;
	check_unknown("python-smtpd-unknown/default.txt");
}

static void test_exim(void **s) { (void)s; check_known("exim/default.txt", "exim", "4.96"); }
static void test_exim_hidden(void **s) { (void)s; check_known("exim/generic-banner.txt", "exim", NULL); }
static void test_opensmtpd(void **s) { (void)s; check_known("opensmtpd/default.txt", "opensmtpd", NULL); }
static void test_sendmail(void **s) { (void)s; check_known("sendmail/default.txt", "sendmail", "8.17.1.9"); }
static void test_sendmail_hidden(void **s)
{
	(void)s;
	check_known("sendmail/generic-banner.txt", "sendmail", NULL);
}

static void test_courier(void **s) { (void)s; check_known("courier/default.txt", "courier", NULL); }
static void test_courier_hidden(void **s)
{
	(void)s;
	check_known("courier/generic-banner.txt", "courier", NULL);
}

static void test_chasquid(void **s) { (void)s; check_known("chasquid/default.txt", "chasquid", NULL); }
static void test_chasquid_hidden(void **s)
{
	(void)s;
	check_known("chasquid/generic-banner.txt", "chasquid", NULL);
}

static void test_qpsmtpd(void **s) { (void)s; check_known("qpsmtpd/default.txt", "qpsmtpd", "0.94"); }
static void test_qpsmtpd_hidden(void **s)
{
	(void)s;
	check_known("qpsmtpd/generic-banner.txt", "qpsmtpd", NULL);
}

/* Products that cannot run here, from their documented replies
 * (tests/fp/documented/README.md). */
static void test_documented_exchange(void **s) { (void)s; check_known("../documented/exchange.txt", "exchange", NULL); }
static void test_documented_qmail(void **s) { (void)s; check_known("../documented/qmail.txt", "qmail", NULL); }
static void test_documented_cisco_esa(void **s)
{
	(void)s;
	check_known("../documented/cisco-esa.txt", "cisco-esa", NULL);
}
static void test_documented_cisco_pix(void **s)
{
	(void)s;
	check_known("../documented/cisco-pix.txt", "cisco-pix-mailguard", NULL);
}
/* One documented non-banner reply: below the bar, so unknown. */
static void test_documented_postini_unknown(void **s) { (void)s; check_unknown("../documented/postini.txt"); }

/* The goal of issue 8: every known server right from behaviour alone. */
static void
test_generic_banner_all_known(void **state)
{
	static const struct { const char *fix, *rule; } cases[] = {
		{ "postfix/default.txt", "postfix" },
		{ "aiosmtpd/default.txt", "aiosmtpd" },
		{ "exim/default.txt", "exim" },
		{ "opensmtpd/default.txt", "opensmtpd" },
		{ "sendmail/default.txt", "sendmail" },
		{ "courier/default.txt", "courier" },
		{ "chasquid/default.txt", "chasquid" },
		{ "qpsmtpd/default.txt", "qpsmtpd" },
	};
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_fp_verdict v;
	size_t i;

	(void)state;
	assert_non_null(set);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(set, 0, sizeof(*set));
		load_fixture(cases[i].fix, set);
		generic_banner(set);
		mt_fp_classify(db, set, &v);
		if (!v.known || strcmp(v.rule, cases[i].rule) != 0)
			fail_msg("%s, generic banner: got %s %s (%s, score %d)", cases[i].fix,
				 v.known ? "known" : "unknown", v.rule, v.reason, v.score);
		assert_true(v.nonbanner >= 2);
	}
	free(set);
}

static void
test_generic_banner_postfix_still_known(void **state)
{
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_fp_verdict v;

	(void)state;
	load_fixture("postfix/default.txt", set);
	generic_banner(set);
	mt_fp_classify(db, set, &v);
	assert_true(v.known);
	assert_string_equal(v.rule, "postfix");
	free(set);
}

static void
test_empty_is_unknown(void **state)
{
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_fp_verdict v;

	(void)state;
	mt_fp_classify(db, set, &v);
	assert_false(v.known);
	free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_postfix),
		cmocka_unit_test(test_postfix_hidden),
		cmocka_unit_test(test_generic_banner_postfix_still_known),
		cmocka_unit_test(test_aiosmtpd),
		cmocka_unit_test(test_exim),
		cmocka_unit_test(test_exim_hidden),
		cmocka_unit_test(test_opensmtpd),
		cmocka_unit_test(test_sendmail),
		cmocka_unit_test(test_sendmail_hidden),
		cmocka_unit_test(test_courier),
		cmocka_unit_test(test_courier_hidden),
		cmocka_unit_test(test_chasquid),
		cmocka_unit_test(test_chasquid_hidden),
		cmocka_unit_test(test_qpsmtpd),
		cmocka_unit_test(test_qpsmtpd_hidden),
		cmocka_unit_test(test_documented_exchange),
		cmocka_unit_test(test_documented_qmail),
		cmocka_unit_test(test_documented_cisco_esa),
		cmocka_unit_test(test_documented_cisco_pix),
		cmocka_unit_test(test_documented_postini_unknown),
		cmocka_unit_test(test_generic_banner_all_known),
		cmocka_unit_test(test_unknown_python_smtpd),
		cmocka_unit_test(test_empty_is_unknown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
