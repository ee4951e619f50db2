/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_conf.c - lib/conf: defaults, a full file, every error class with
 * its line number, lists, sizes, ranges, combinations, and that the
 * shipped config/mailtap.conf is exactly mt_conf_print_doc()'s output.
 *
 * Run from the repository root (or set MT_SRCDIR).  With --print-doc it
 * prints the documented default config instead of testing:
 *	build/tests/unit/conf/test_conf --print-doc > config/mailtap.conf
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "conf_schema.h"
#include "mt_conf.h"

#define SHIPPED "config/mailtap.conf"

static char conf_path[256];   /* of the last load_text() */

/* Write len bytes to a temporary file, load it over the defaults. */
static int
load_mem(const char *text, size_t len, struct mt_conf *c, struct mt_err *err)
{
	const char *dir = getenv("TMPDIR");
	int fd, rc;

	snprintf(conf_path, sizeof(conf_path), "%s/mt_conf_test_XXXXXX",
		 dir != NULL && *dir != '\0' ? dir : "/tmp");
	fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);

	mt_conf_defaults(c);
	memset(err, 0, sizeof(*err));
	rc = mt_conf_load(c, conf_path, err);
	unlink(conf_path);
	return rc;
}

static int
load_text(const char *text, struct mt_conf *c, struct mt_err *err)
{
	return load_mem(text, strlen(text), c, err);
}

static void
load_ok(const char *text, struct mt_conf *c)
{
	struct mt_err err;
	int rc = load_text(text, c, &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
}

/* Loading text must fail with "PATH:line: ...want...". */
static void
expect_err_at(const char *text, unsigned line, const char *want)
{
	struct mt_conf c, before;
	struct mt_err err;
	char prefix[300];
	int rc;

	rc = load_text(text, &c, &err);
	if (rc == 0)
		print_error("loaded, expected line %u: %s\n", line, want);
	assert_int_equal(rc, -EINVAL);
	if (line != 0)
		snprintf(prefix, sizeof(prefix), "%s:%u: ", conf_path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", conf_path);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
	    strstr(err.msg, want) == NULL) {
		print_error("got:  %s\nwant: %s...%s\n", err.msg, prefix, want);
		fail();
	}
	/* a failed load leaves the struct as it was */
	mt_conf_defaults(&before);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
expect_value_err(const char *section, const char *key, const char *value,
		 const char *want)
{
	char text[1024];

	/* the value is on line 4, after a comment and a blank line */
	snprintf(text, sizeof(text), "; test\n\n[%s]\n%s = %s\n",
		 section, key, value);
	expect_err_at(text, 4, want);
}

static void
set_one(const char *section, const char *key, const char *value,
	struct mt_conf *c)
{
	char text[1024];

	snprintf(text, sizeof(text), "[%s]\n%s = %s\n", section, key, value);
	load_ok(text, c);
}

/* The three lcore roles are set together (or all auto). */
static void
set_roles(const char *rx, const char *wk, const char *wr, struct mt_conf *c)
{
	char text[1024];

	snprintf(text, sizeof(text), "[pipeline]\nrx_lcores = %s\n"
		 "worker_lcores = %s\nwriter_lcore = %s\n", rx, wk, wr);
	load_ok(text, c);
}

/* ------------------------------------------------------------------ */

static void
test_defaults(void **state)
{
	struct mt_conf c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	mt_conf_defaults(&c);
	assert_int_equal(c.n_rx_lcores, 0);
	assert_int_equal(c.n_worker_lcores, 0);
	assert_int_equal(c.writer_lcore, -1);
	assert_int_equal(c.burst, 32);
	assert_int_equal(c.ring_size, 4096);
	assert_int_equal(c.mbuf_pool_size, 16383);
	assert_int_equal(c.mail_pool_size, 4095);
	assert_int_equal(c.chunk_pool_size, 8191);
	assert_int_equal(c.chunk_size, 16384);
	assert_int_equal(c.idle_sleep_us, 50);
	assert_int_equal(c.max_flows, 65536);
	assert_int_equal(c.idle_timeout_s, 300);
	assert_int_equal(c.n_smtp_ports, 1);
	assert_int_equal(c.smtp_ports[0], 25);
	assert_true(c.max_mail_size == 64ull << 20);
	assert_string_equal(c.spool_dir, "/var/spool/mailtap");
	assert_int_equal(c.keep_rejected, 0);
	assert_int_equal(c.keep_incomplete, 1);
	assert_int_equal(c.log_level, 7); /* RTE_LOG_INFO */
}

static void
test_full_file(void **state)
{
	static const char text[] =
		"# mailtap test config\n"
		"; another comment style\n"
		"\n"
		"[pipeline]\n"
		"rx_lcores = 1,2\n"
		"  worker_lcores=3-5 , 7\n"
		"writer_lcore = 8 ; trailing comment\n"
		"burst = 64\r\n"
		"ring_size = 8192\n"
		"mbuf_pool_size = 32767\n"
		"mail_pool_size = 1023\n"
		"chunk_pool_size = 2047\n"
		"chunk_size = 4K\n"
		"idle_sleep_us = 0\n"
		"\t# indented comment with = sign\n"
		"[ flow ]\n"
		"max_flows = 1024\n"
		"idle_timeout_s = 60\n"
		"[smtp]\n"
		"ports = 25, 587,2525-2526\n"
		"max_mail_size = 10M\n"
		"[spool]\n"
		"dir = /srv/mail spool ; with a space\n"
		"keep_rejected = Yes\n"
		"keep_incomplete = off\n"
		"[log]\n"
		"level = debug\n";
	struct mt_conf c;

	(void)state;
	load_ok(text, &c);
	assert_int_equal(c.n_rx_lcores, 2);
	assert_int_equal(c.rx_lcores[0], 1);
	assert_int_equal(c.rx_lcores[1], 2);
	assert_int_equal(c.n_worker_lcores, 4);
	assert_int_equal(c.worker_lcores[0], 3);
	assert_int_equal(c.worker_lcores[1], 4);
	assert_int_equal(c.worker_lcores[2], 5);
	assert_int_equal(c.worker_lcores[3], 7);
	assert_int_equal(c.writer_lcore, 8);
	assert_int_equal(c.burst, 64);
	assert_int_equal(c.ring_size, 8192);
	assert_int_equal(c.mbuf_pool_size, 32767);
	assert_int_equal(c.mail_pool_size, 1023);
	assert_int_equal(c.chunk_pool_size, 2047);
	assert_int_equal(c.chunk_size, 4096);
	assert_int_equal(c.idle_sleep_us, 0);
	assert_int_equal(c.max_flows, 1024);
	assert_int_equal(c.idle_timeout_s, 60);
	assert_int_equal(c.n_smtp_ports, 4);
	assert_int_equal(c.smtp_ports[0], 25);
	assert_int_equal(c.smtp_ports[1], 587);
	assert_int_equal(c.smtp_ports[2], 2525);
	assert_int_equal(c.smtp_ports[3], 2526);
	assert_true(c.max_mail_size == 10ull << 20);
	assert_string_equal(c.spool_dir, "/srv/mail spool");
	assert_int_equal(c.keep_rejected, 1);
	assert_int_equal(c.keep_incomplete, 0);
	assert_int_equal(c.log_level, 8);
}

/* Keys left out keep what the struct held; an empty file changes nothing. */
static void
test_partial_and_empty(void **state)
{
	struct mt_conf c, d;

	(void)state;
	load_ok("[flow]\nmax_flows = 7\n", &c);
	mt_conf_defaults(&d);
	d.max_flows = 7;
	assert_memory_equal(&c, &d, sizeof(c));

	load_ok("", &c);
	mt_conf_defaults(&d);
	assert_memory_equal(&c, &d, sizeof(c));
}

/*
 * '#' lines mean nothing to rte_cfgfile: with '=' they become entries,
 * which must not fail the load before a section or with an empty value.
 */
static void
test_hash_comments(void **state)
{
	struct mt_conf c;

	(void)state;
	load_ok("# burst = 1\n#x=\n[pipeline]\n# ring_size = 3\n#y =\n"
		"burst = 8\n", &c);
	assert_int_equal(c.burst, 8);
	assert_int_equal(c.ring_size, 4096);
}

static void
test_missing_file(void **state)
{
	struct mt_conf c;
	struct mt_err err;

	(void)state;
	mt_conf_defaults(&c);
	assert_int_equal(mt_conf_load(&c, "/nonexistent/mailtap.conf", &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/mailtap.conf: "));
}

/* ------------------------------------------------------------------ */
/* Pre-scan errors */

static void
test_err_no_equals(void **state)
{
	(void)state;
	expect_err_at("[pipeline]\nburst = 32\n\nring_size 4096\n", 4,
		      "'ring_size 4096': expected 'key = value'");
}

static void
test_err_key_before_section(void **state)
{
	(void)state;
	expect_err_at("; comment\n\nburst = 32\n[pipeline]\n", 3,
		      "key 'burst' before the first [section] "
		      "(it belongs in [pipeline])");
	expect_err_at("\nfoo = 1\n", 2, "key 'foo' before the first [section]");
}

static void
test_err_unknown_section(void **state)
{
	char want[256] = "unknown section [pipe] (known: ";
	unsigned i;

	(void)state;
	/* the schema's sections, in order (a new section joins the list) */
	assert_true(mt_conf_n_sections >= 7);
	assert_string_equal(mt_conf_sections[0].name, "pipeline");
	for (i = 0; i < mt_conf_n_sections; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
			 i ? ", " : "", mt_conf_sections[i].name);
	snprintf(want + strlen(want), sizeof(want) - strlen(want), ")");
	assert_non_null(strstr(want, "flow, smtp, policy, spool, scan, "));
	expect_err_at("[pipeline]\nburst = 32\n[pipe]\nburst = 32\n", 3, want);
	expect_err_at("[]\n", 1, "unknown section []");
	expect_err_at("[GLOBAL]\n", 1, "unknown section [GLOBAL]");
}

static void
test_err_unknown_key(void **state)
{
	struct mt_conf c;
	struct mt_err err;

	(void)state;
	expect_err_at("[pipeline]\nburst = 32\n[flow]\nbogus = 1\n", 4,
		      "unknown key 'bogus' in [flow]");
	assert_int_equal(load_text("[flow]\nbogus = 1\n", &c, &err), -EINVAL);
	assert_null(strstr(err.msg, "belongs"));
	/* a key of another section: say where it belongs */
	expect_err_at("[pipeline]\n\n[flow]\nburst = 32\n", 4,
		      "unknown key 'burst' in [flow]; it belongs in "
		      "[pipeline]");
}

static void
test_err_duplicates(void **state)
{
	(void)state;
	expect_err_at("[pipeline]\nburst = 32\nring_size = 64\nburst = 16\n",
		      4, "duplicate key 'burst' in [pipeline] "
		      "(first at line 2)");
	/* rte_cfgfile would never look at a second [pipeline] */
	expect_err_at("[pipeline]\nburst = 32\n[flow]\n[pipeline]\n"
		      "ring_size = 64\n", 4,
		      "duplicate section [pipeline] (first at line 1)");
}

static void
test_err_name_too_long(void **state)
{
	char text[512], name[80];

	(void)state;
	/* 63 bytes is a name (here an unknown one), 64 is too long */
	memset(name, 'k', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), "[log]\n%s = 1\n", name);
	expect_err_at(text, 2, "unknown key");
	snprintf(text, sizeof(text), "[log]\n%sk = 1\n", name);
	expect_err_at(text, 2, "key name too long (64 bytes, max 63)");
	snprintf(text, sizeof(text), "[log]\n\n[%ss]\n", name);
	expect_err_at(text, 3, "section name too long (64 bytes, max 63)");
}

static void
test_err_value_too_long(void **state)
{
	char text[600], value[300];
	struct mt_conf c;

	(void)state;
	/* 255 bytes is accepted whole (rte_cfgfile keeps 255) ... */
	value[0] = '/';
	memset(value + 1, 'v', 254);
	value[255] = '\0';
	snprintf(text, sizeof(text), "[spool]\ndir = %s\n", value);
	load_ok(text, &c);
	assert_string_equal(c.spool_dir, value);
	/* ... 256 would be truncated by it, so it is an error */
	snprintf(text, sizeof(text), "[spool]\n\ndir = %sv\n", value);
	expect_err_at(text, 3, "value of 'dir' too long (256 bytes, max 255)");
}

static void
test_err_line_too_long(void **state)
{
	char text[800], line[400];

	(void)state;
	/* rte_cfgfile fails on lines over 322 bytes (before the '\n') */
	line[0] = ';';
	memset(line + 1, 'c', 321);
	line[322] = '\0';
	snprintf(text, sizeof(text), "%s\n[log]\nlevel = 3\n", line);
	{
		struct mt_conf c;

		load_ok(text, &c);
		assert_int_equal(c.log_level, 3);
	}
	snprintf(text, sizeof(text), "[log]\n%sc\nlevel = 3\n", line);
	expect_err_at(text, 2, "line too long (323 bytes, max 322)");
	/* a '\r' counts: rte_cfgfile reads it too */
	snprintf(text, sizeof(text), "[log]\n%s\r\n", line);
	expect_err_at(text, 2, "line too long (323 bytes, max 322)");
}

static void
test_err_section_header(void **state)
{
	(void)state;
	expect_err_at("[pipeline]\nburst = 32\n[flow\nmax_flows = 1\n", 3,
		      "unterminated section header (no ']')");
	/* rte_cfgfile cuts at ';': "[flow ; x]" has no ']' for it either */
	expect_err_at("[flow ; x]\n", 1, "unterminated section header");
	expect_err_at("[log]\n[flow] max_flows = 1\n", 2,
		      "unexpected text after ']'");
}

static void
test_err_misc_lines(void **state)
{
	(void)state;
	expect_err_at("[log]\n = 3\n", 2, "missing key name before '='");
	{
		static const char text[] = "[log]\nlevel = 3\nx\0y = 1\n";
		struct mt_conf c;
		struct mt_err err;
		char want[300];

		assert_int_equal(load_mem(text, sizeof(text) - 1, &c, &err),
				 -EINVAL);
		snprintf(want, sizeof(want), "%s:3: NUL byte in line",
			 conf_path);
		assert_string_equal(err.msg, want);
	}
}

/* ------------------------------------------------------------------ */
/* Values */

static void
test_uint(void **state)
{
	struct mt_conf c;

	(void)state;
	set_one("pipeline", "burst", "1", &c);
	assert_int_equal(c.burst, 1);
	set_one("pipeline", "burst", "512", &c);
	assert_int_equal(c.burst, 512);
	set_one("pipeline", "idle_sleep_us", "0", &c);
	assert_int_equal(c.idle_sleep_us, 0);

	expect_value_err("pipeline", "burst", "0",
			 "[pipeline] burst: 0 is out of range 1..512");
	expect_value_err("pipeline", "burst", "513",
			 "[pipeline] burst: 513 is out of range 1..512");
	expect_value_err("pipeline", "burst", "99999999999999999999999",
			 "is out of range 1..512");
	expect_value_err("pipeline", "burst", "abc",
			 "'abc' is not a decimal number");
	expect_value_err("pipeline", "burst", "-1", "is not a decimal number");
	expect_value_err("pipeline", "burst", "+1", "is not a decimal number");
	expect_value_err("pipeline", "burst", "3 2", "is not a decimal number");
	expect_value_err("pipeline", "burst", "0x10",
			 "is not a decimal number");
	expect_value_err("pipeline", "burst", "", "empty value");
	expect_value_err("flow", "idle_timeout_s", "86401",
			 "86401 is out of range 1..86400");
	/* a '#' after a value is not a comment; say so */
	expect_value_err("pipeline", "burst", "32 # packets",
			 "(a comment after a value must start with ';')");
}

static void
test_ring_size_pow2(void **state)
{
	struct mt_conf c;

	(void)state;
	set_one("pipeline", "ring_size", "1048576", &c);
	assert_int_equal(c.ring_size, 1048576);
	expect_value_err("pipeline", "ring_size", "1000",
			 "[pipeline] ring_size: 1000 is not a power of 2");
	expect_value_err("pipeline", "ring_size", "32",
			 "32 is out of range 64..1048576");
	expect_value_err("pipeline", "ring_size", "2097152",
			 "out of range");
}

static void
test_sizes(void **state)
{
	struct mt_conf c;

	(void)state;
	set_one("smtp", "max_mail_size", "1G", &c);
	assert_true(c.max_mail_size == 1ull << 30);
	set_one("smtp", "max_mail_size", "1g", &c);
	assert_true(c.max_mail_size == 1ull << 30);
	set_one("smtp", "max_mail_size", "1024", &c);
	assert_true(c.max_mail_size == 1024);
	set_one("smtp", "max_mail_size", "1500k", &c);
	assert_true(c.max_mail_size == 1500ull << 10);
	set_one("pipeline", "chunk_size", "32K", &c);
	assert_int_equal(c.chunk_size, 32768);
	set_one("pipeline", "chunk_size", "2000", &c);
	assert_int_equal(c.chunk_size, 2000);

	expect_value_err("smtp", "max_mail_size", "2G",
			 "[smtp] max_mail_size: 2G is out of range 1K..1G");
	expect_value_err("smtp", "max_mail_size", "1023",
			 "1023 is out of range 1K..1G");
	expect_value_err("smtp", "max_mail_size", "64X",
			 "'64X' is not a size");
	expect_value_err("smtp", "max_mail_size", "64MB", "is not a size");
	expect_value_err("smtp", "max_mail_size", "M", "is not a size");
	expect_value_err("smtp", "max_mail_size", "", "is not a size");
	expect_value_err("smtp", "max_mail_size", "18014398509481984K",
			 "out of range");
	expect_value_err("pipeline", "chunk_size", "33K",
			 "33K is out of range 1K..32K");
}

static void
test_bools(void **state)
{
	static const char *yes[] = { "yes", "true", "on", "1", "YES", "True" };
	static const char *no[] = { "no", "false", "off", "0", "No", "OFF" };
	struct mt_conf c;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		set_one("spool", "keep_rejected", yes[i], &c);
		assert_int_equal(c.keep_rejected, 1);
		set_one("spool", "keep_incomplete", no[i], &c);
		assert_int_equal(c.keep_incomplete, 0);
	}
	expect_value_err("spool", "keep_rejected", "maybe",
			 "'maybe' is not a boolean");
	expect_value_err("spool", "keep_rejected", "", "is not a boolean");
}

static void
test_log_level(void **state)
{
	static const char *names[] = { "emerg", "alert", "crit", "err",
				       "warning", "notice", "info", "debug" };
	struct mt_conf c;
	char num[4];
	unsigned i;

	(void)state;
	for (i = 0; i < 8; i++) {
		set_one("log", "level", names[i], &c);
		assert_int_equal(c.log_level, i + 1);
		snprintf(num, sizeof(num), "%u", i + 1);
		set_one("log", "level", num, &c);
		assert_int_equal(c.log_level, i + 1);
	}
	set_one("log", "level", "ERROR", &c);
	assert_int_equal(c.log_level, 4);
	expect_value_err("log", "level", "9", "'9' is not a log level");
	expect_value_err("log", "level", "0", "is not a log level");
	expect_value_err("log", "level", "loud", "is not a log level");
}

static void
test_path(void **state)
{
	(void)state;
	expect_value_err("spool", "dir", "", "[spool] dir: empty path");
}

static void
test_lcore_lists(void **state)
{
	struct mt_conf c;
	unsigned i;

	(void)state;
	set_roles("0,2-4", "100", "101", &c);
	assert_int_equal(c.n_rx_lcores, 4);
	assert_int_equal(c.rx_lcores[0], 0);
	assert_int_equal(c.rx_lcores[1], 2);
	assert_int_equal(c.rx_lcores[2], 3);
	assert_int_equal(c.rx_lcores[3], 4);
	set_roles("0", " 9 - 10 ,1", "2", &c);
	assert_int_equal(c.n_worker_lcores, 3);
	assert_int_equal(c.worker_lcores[0], 9);
	assert_int_equal(c.worker_lcores[1], 10);
	assert_int_equal(c.worker_lcores[2], 1);
	/* ';' starts a comment, as for rte_cfgfile */
	set_roles("1;2", "2", "3", &c);
	assert_int_equal(c.n_rx_lcores, 1);
	assert_int_equal(c.rx_lcores[0], 1);
	set_roles("5-5", "6", "7", &c);
	assert_int_equal(c.n_rx_lcores, 1);
	assert_int_equal(c.rx_lcores[0], 5);
	/* long lists: 126 + 1 + 1 lcores, all there are */
	set_roles("0-125", "126", "127", &c);
	assert_int_equal(c.n_rx_lcores, 126);
	for (i = 0; i < 126; i++)
		assert_int_equal(c.rx_lcores[i], i);
	assert_int_equal(c.worker_lcores[0], 126);
	assert_int_equal(c.writer_lcore, 127);
	/* auto or empty: derived later */
	set_roles("auto", "", "auto", &c);
	assert_int_equal(c.n_rx_lcores, 0);
	assert_int_equal(c.n_worker_lcores, 0);
	assert_int_equal(c.writer_lcore, -1);
	set_one("pipeline", "rx_lcores", "", &c);
	assert_int_equal(c.n_rx_lcores, 0);
	/* all 128 lcores parse, and roles may share lcores */
	load_ok("[pipeline]\nrx_lcores = 0-127\nworker_lcores = 1\n"
		"writer_lcore = 2\n", &c);
	assert_int_equal(c.n_rx_lcores, 128);

	expect_value_err("pipeline", "rx_lcores", "4-2",
			 "[pipeline] rx_lcores: range 4-2 is backwards");
	expect_value_err("pipeline", "rx_lcores", "1,1",
			 "lcore 1 is listed twice");
	expect_value_err("pipeline", "rx_lcores", "0-3,2",
			 "lcore 2 is listed twice");
	expect_value_err("pipeline", "rx_lcores", "128",
			 "lcore 128 is out of range 0..127");
	expect_value_err("pipeline", "rx_lcores", "1-200",
			 "lcore 200 is out of range 0..127");
	expect_value_err("pipeline", "rx_lcores", "1,",
			 "'1,' is not a list of lcores like 0,2-4");
	expect_value_err("pipeline", "rx_lcores", ",1", "is not a list");
	expect_value_err("pipeline", "rx_lcores", "1-", "is not a list");
	expect_value_err("pipeline", "rx_lcores", "1/2", "is not a list");
	expect_value_err("pipeline", "rx_lcores", "a", "is not a list");
	expect_value_err("pipeline", "rx_lcores", "1 2", "is not a list");
}

static void
test_writer_lcore(void **state)
{
	struct mt_conf c;

	(void)state;
	set_roles("1", "2", "0", &c);
	assert_int_equal(c.writer_lcore, 0);
	set_roles("1", "2", "127", &c);
	assert_int_equal(c.writer_lcore, 127);
	set_one("pipeline", "writer_lcore", "auto", &c);
	assert_int_equal(c.writer_lcore, -1);
	expect_value_err("pipeline", "writer_lcore", "128",
			 "128 is out of range 0..127");
	expect_value_err("pipeline", "writer_lcore", "-1",
			 "is not a decimal number");
}

static void
test_port_lists(void **state)
{
	struct mt_conf c;

	(void)state;
	set_one("smtp", "ports", "25,587", &c);
	assert_int_equal(c.n_smtp_ports, 2);
	assert_int_equal(c.smtp_ports[0], 25);
	assert_int_equal(c.smtp_ports[1], 587);
	set_one("smtp", "ports", "65535", &c);
	assert_int_equal(c.n_smtp_ports, 1);
	assert_int_equal(c.smtp_ports[0], 65535);
	set_one("smtp", "ports", "1-64", &c);
	assert_int_equal(c.n_smtp_ports, MT_CONF_MAX_PORTS);

	expect_value_err("smtp", "ports", "1-65", "more than 64 ports");
	expect_value_err("smtp", "ports", "0",
			 "[smtp] ports: port 0 is out of range 1..65535");
	expect_value_err("smtp", "ports", "65536",
			 "port 65536 is out of range 1..65535");
	expect_value_err("smtp", "ports", "25,587,25",
			 "port 25 is listed twice");
	expect_value_err("smtp", "ports", "",
			 "empty list (at least one port is needed)");
	expect_value_err("smtp", "ports", "auto",
			 "'auto' is not a list of ports like 25,587");
	expect_value_err("smtp", "ports", "smtp", "is not a list");
}

/* ------------------------------------------------------------------ */
/* Combinations */

static void
test_combinations(void **state)
{
	struct mt_conf c;

	(void)state;
	load_ok("[pipeline]\nrx_lcores = 0-1\nworker_lcores = 2-5\n"
		"writer_lcore = 6\nburst = 64\nring_size = 128\n", &c);

	/* run to completion: one lcore holds every role */
	load_ok("[pipeline]\nrx_lcores = 0\nworker_lcores = 0\n"
		"writer_lcore = 0\n", &c);
	assert_int_equal(c.worker_lcores[0], 0);
	assert_int_equal(c.writer_lcore, 0);
	/* the three roles are given together or not at all */
	expect_err_at("[pipeline]\nrx_lcores = 0\n\nworker_lcores = 1\n", 4,
		      "[pipeline] rx_lcores, worker_lcores and writer_lcore "
		      "must be set together (or all auto)");
	expect_err_at("[pipeline]\nwriter_lcore = 3\n", 2,
		      "must be set together");
	expect_err_at("[pipeline]\nburst = 64\nring_size = 64\n", 3,
		      "[pipeline] ring_size (64) must be larger than burst "
		      "(64)");
	expect_err_at("[pipeline]\nring_size = 128\n\nburst = 128\n", 4,
		      "ring_size (128) must be larger than burst (128)");
}

/* ------------------------------------------------------------------ */
/* The shipped config */

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n;

	if (f == NULL)
		return NULL;
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	fclose(f);
	return buf;
}

static void
shipped_path(char *buf, size_t n)
{
	const char *src = getenv("MT_SRCDIR");

	if (src != NULL && *src != '\0')
		snprintf(buf, n, "%s/%s", src, SHIPPED);
	else
		snprintf(buf, n, "%s", SHIPPED);
}

static void
test_shipped_config_is_doc(void **state)
{
	char path[1024], *doc = NULL, *file;
	size_t doc_len = 0, file_len = 0, i, line = 1;
	bool same;
	FILE *f;

	(void)state;
	f = open_memstream(&doc, &doc_len);
	assert_non_null(f);
	mt_conf_print_doc(f);
	assert_int_equal(fclose(f), 0);

	shipped_path(path, sizeof(path));
	file = read_file(path, &file_len);
	if (file == NULL) {
		free(doc);
		print_error("cannot read %s (run from the repository root or "
			    "set MT_SRCDIR)\n", path);
		fail();
	}
	for (i = 0; i < file_len && i < doc_len && file[i] == doc[i]; i++)
		if (file[i] == '\n')
			line++;
	same = file_len == doc_len && i == doc_len;
	free(file);
	free(doc);
	if (!same) {
		print_error("%s differs from mt_conf_print_doc() at line %zu; "
			    "regenerate it: test_conf --print-doc > %s\n",
			    path, line, SHIPPED);
		fail();
	}
}

static void
test_shipped_config_loads_defaults(void **state)
{
	struct mt_conf c, d;
	struct mt_err err;
	char path[1024];
	int rc;

	(void)state;
	shipped_path(path, sizeof(path));
	/* every key is set, so values that were not defaults are reset */
	mt_conf_defaults(&c);
	c.burst = 1;
	c.n_smtp_ports = 0;
	c.writer_lcore = 3;
	c.spool_dir[0] = '\0';
	rc = mt_conf_load(&c, path, &err);
	if (rc != 0)
		print_error("%s\n", err.msg);
	assert_int_equal(rc, 0);
	mt_conf_defaults(&d);
	assert_memory_equal(&c, &d, sizeof(c));
}


/* ------------------------------------------------------------------ */
/* [policy] */

static const char *
tmp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir != NULL && *dir != '\0' ? dir : "/tmp";
}

/* Write text to a new temporary file; its path goes into path. */
static void
write_tmp(const char *text, char *path, size_t n)
{
	int fd;

	snprintf(path, n, "%s/mt_servers_test_XXXXXX", tmp_dir());
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static void
assert_prefix(const struct mt_conf_prefix *p, const char *want)
{
	char buf[64];

	mt_conf_prefix_str(p, buf, sizeof(buf));
	if (strcmp(buf, want) != 0) {
		print_error("prefix %s, want %s\n", buf, want);
		fail();
	}
}

static void
test_policy_defaults(void **state)
{
	struct mt_conf c;

	(void)state;
	mt_conf_defaults(&c);
	assert_int_equal(c.policy_mode, MT_CONF_POLICY_ALL);
	assert_int_equal(c.n_servers, 0);
	assert_int_equal(c.n_servers_inline, 0);
	assert_string_equal(c.servers_file, "");
	/* the section on its own is fine in mode all */
	load_ok("[policy]\nmode = all\nservers =\nservers_file =\n", &c);
	assert_int_equal(c.policy_mode, MT_CONF_POLICY_ALL);
	assert_int_equal(c.n_servers, 0);
}

static void
test_policy_servers_inline(void **state)
{
	struct mt_conf c;

	(void)state;
	load_ok("[policy]\nmode = Registered\n"
		"servers = 192.0.2.25, 2001:db8::/32 ,10.0.0.0/8,"
		"2001:db8:2::19,0.0.0.0/0, ::/0,198.51.100.7/32\n", &c);
	assert_int_equal(c.policy_mode, MT_CONF_POLICY_REGISTERED);
	assert_int_equal(c.n_servers, 7);
	assert_int_equal(c.n_servers_inline, 7);
	assert_prefix(&c.servers[0], "192.0.2.25/32");
	assert_prefix(&c.servers[1], "2001:db8::/32");
	assert_prefix(&c.servers[2], "10.0.0.0/8");
	assert_prefix(&c.servers[3], "2001:db8:2::19/128");
	assert_prefix(&c.servers[4], "0.0.0.0/0");
	assert_prefix(&c.servers[5], "::/0");
	assert_prefix(&c.servers[6], "198.51.100.7/32");
	assert_int_equal(c.servers[0].family, 4);
	assert_int_equal(c.servers[1].family, 6);
	/* the order of the keys does not matter */
	load_ok("[policy]\nservers = 192.0.2.25\nmode = registered\n", &c);
	assert_int_equal(c.n_servers, 1);
}

static void
test_policy_errors(void **state)
{
	(void)state;
	expect_value_err("policy", "mode", "some",
			 "[policy] mode: 'some' is not one of: all, registered");
	expect_value_err("policy", "mode", "", "'' is not one of");
	expect_value_err("policy", "servers", "192.0.2.1/24",
			 "[policy] servers: '192.0.2.1/24' has host bits set "
			 "(write 192.0.2.0/24 for the network or 192.0.2.1/32 "
			 "for the host)");
	expect_value_err("policy", "servers", "2001:db8::1/64",
			 "'2001:db8::1/64' has host bits set (write "
			 "2001:db8::/64 for the network or 2001:db8::1/128");
	expect_value_err("policy", "servers", "192.0.2.0/33",
			 "prefix length 33 is over 32");
	expect_value_err("policy", "servers", "2001:db8::/129",
			 "prefix length 129 is over 128");
	expect_value_err("policy", "servers", "192.0.2.0/",
			 "bad prefix length");
	expect_value_err("policy", "servers", "192.0.2.0/+8",
			 "bad prefix length");
	expect_value_err("policy", "servers", "192.0.2/24",
			 "'192.0.2/24' is not an IPv4 or IPv6 address");
	expect_value_err("policy", "servers", "mx.example.org",
			 "'mx.example.org' is not an IPv4 or IPv6 address");
	expect_value_err("policy", "servers", "fe80::1%eth0",
			 "is not an IPv4 or IPv6 address");
	expect_value_err("policy", "servers", "192.0.2.25 192.0.2.26",
			 "separated by ','");
	expect_value_err("policy", "servers", "192.0.2.25,,192.0.2.26",
			 "empty element");
	expect_value_err("policy", "servers", "192.0.2.25,",
			 "empty element");
	expect_value_err("policy", "servers", "192.0.2.25, 10.0.0.0/8, "
			 "192.0.2.25/32", "192.0.2.25/32 is listed twice");
	/* registered needs servers: the later of the keys' lines */
	expect_err_at("[policy]\nmode = registered\n", 2,
		      "[policy] mode = registered needs the site's mail "
		      "servers in servers or servers_file");
	expect_err_at("[policy]\nservers =\n\nmode = registered\n", 4,
		      "needs the site's mail servers");
	expect_err_at("[policy]\nmode = registered\n; x\nservers =\n", 4,
		      "needs the site's mail servers");
}

static void
test_policy_servers_file(void **state)
{
	char spath[256], text[1024], rel[256];
	const char *base;
	struct mt_conf c;

	(void)state;
	write_tmp("# the site's mail servers\n"
		  "192.0.2.25\n"
		  "\n"
		  "   2001:db8:2::/48   ; IPv6 relays\n"
		  "198.51.100.0/24# no space before the comment\r\n", spath,
		  sizeof(spath));
	snprintf(text, sizeof(text), "[policy]\nmode = registered\n"
		 "servers = 203.0.113.5\nservers_file = %s\n", spath);
	load_ok(text, &c);
	assert_int_equal(c.n_servers_inline, 1);
	assert_int_equal(c.n_servers, 4);
	assert_prefix(&c.servers[0], "203.0.113.5/32");
	assert_prefix(&c.servers[1], "192.0.2.25/32");
	assert_prefix(&c.servers[2], "2001:db8:2::/48");
	assert_prefix(&c.servers[3], "198.51.100.0/24");
	assert_string_equal(c.servers_file, spath);

	/* a relative path is taken from the config file's directory */
	base = strrchr(spath, '/') + 1;
	snprintf(text, sizeof(text), "[policy]\nmode = registered\n"
		 "servers_file = %s\n", base);
	load_ok(text, &c);
	assert_int_equal(c.n_servers, 3);
	assert_string_equal(c.servers_file, spath);
	/* ... which is not the working directory */
	snprintf(rel, sizeof(rel), "%s", base);
	assert_int_equal(access(rel, F_OK) == 0, 0);

	/* a servers file alone satisfies mode registered; empty does not */
	unlink(spath);
	write_tmp("# nothing yet\n\n", spath, sizeof(spath));
	snprintf(text, sizeof(text), "[policy]\nmode = registered\n"
		 "servers_file = %s\n", spath);
	expect_err_at(text, 3, "needs the site's mail servers");
	unlink(spath);
}

/* Errors inside the servers file are reported at its own FILE:LINE. */
static void
expect_servers_file_err(const char *content, unsigned line, const char *want)
{
	char spath[256], text[1024], prefix[300];
	struct mt_conf c;
	struct mt_err err;
	int rc;

	write_tmp(content, spath, sizeof(spath));
	snprintf(text, sizeof(text), "[policy]\nservers = 192.0.2.25\n"
		 "servers_file = %s\n", spath);
	rc = load_text(text, &c, &err);
	unlink(spath);
	assert_int_equal(rc, -EINVAL);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", spath, line);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
	    strstr(err.msg, want) == NULL) {
		print_error("got:  %s\nwant: %s...%s\n", err.msg, prefix, want);
		fail();
	}
}

static void
test_policy_servers_file_errors(void **state)
{
	char *big, text[1024];
	struct mt_conf c;
	struct mt_err err;
	size_t len = 0;
	unsigned i;

	(void)state;
	expect_servers_file_err("10.0.0.0/8\n# ok\n10.1.2.3/16\n", 3,
				"'10.1.2.3/16' has host bits set");
	expect_servers_file_err("\n\nbogus\n", 3, "'bogus' is not an IPv4");
	expect_servers_file_err("10.0.0.0/8 10.1.0.0/16\n", 1,
				"one prefix per line");
	expect_servers_file_err("10.0.0.0/8\n10.0.0.0/8\n", 2,
				"10.0.0.0/8 is listed twice (also in this file)");
	expect_servers_file_err("192.0.2.25/32\n", 1,
				"192.0.2.25/32 is listed twice (also in [policy] "
				"servers)");
	expect_servers_file_err("2001:db8::/129\n", 1, "over 128");

	/* more than MT_CONF_MAX_SERVERS (one is inline) */
	big = malloc(MT_CONF_MAX_SERVERS * 24);
	assert_non_null(big);
	for (i = 0; i < MT_CONF_MAX_SERVERS; i++)
		len += (size_t)sprintf(big + len, "10.%u.%u.0/24\n", i >> 8, i & 255);
	expect_servers_file_err(big, MT_CONF_MAX_SERVERS,
				"more than 1024 registered prefixes");
	free(big);

	/* a missing file: the config line says which key */
	snprintf(text, sizeof(text), "[policy]\n\nservers_file = %s/mt-no-such-file\n",
		 tmp_dir());
	assert_int_equal(load_text(text, &c, &err), -ENOENT);
	assert_non_null(strstr(err.msg, ":3: [policy] servers_file: "));
	assert_non_null(strstr(err.msg, "mt-no-such-file: No such file"));
}

/*
 * Every error path of lib/conf and the test that asserts its message:
 *
 *  mt_conf.c conf_prescan    cannot open                test_missing_file
 *                            line too long / NUL byte   test_err_line_too_long, test_err_misc_lines
 *                            read error                 test_err_read_errors (below)
 *  conf_scan_section         no ']' / text after ']'    test_err_section_header
 *                            name too long              test_err_name_too_long
 *                            unknown / duplicate        test_err_unknown_section,
 *                                                       test_err_duplicates
 *  conf_scan_entry           no '='                     test_err_no_equals
 *                            missing key name           test_err_misc_lines
 *                            key name / value too long  test_err_name_too_long,
 *                                                       test_err_value_too_long
 *                            key before [section]       test_err_key_before_section (both forms)
 *                            unknown key (both forms)   test_err_unknown_key
 *                            duplicate key              test_err_duplicates
 *  conf_set and parsers      empty value, not decimal,  test_uint, test_ring_size_pow2
 *                            out of range, power of 2
 *                            not a size, range          test_sizes
 *                            boolean                    test_bools
 *                            log level                  test_log_level
 *                            empty path, path too long  test_path
 *                            choice                     test_combinations / test_policy_errors
 *                            lcore/port list: empty,    test_lcore_lists, test_writer_lcore,
 *                            syntax, range, backwards,  test_port_lists
 *                            twice, too many
 *                            prefix list: empty element test_policy_errors
 *                            separator, twice, too many
 *                            (the comment hint '#')     test_hash_comments
 *  conf_prefix.c             empty address              test_err_read_errors (API)
 *                            not an address, bad /len,  test_policy_errors,
 *                            over max, host bits        test_policy_servers_file_errors
 *  conf_policy_servers       path too long (relative)   test_err_read_errors (below)
 *                            cannot open                test_policy_servers_file_errors
 *                            one per line, parse, twice, test_policy_servers_file_errors
 *                            too many
 *                            read error                 test_err_read_errors (below)
 *  conf_check                roles together, ring >     test_combinations
 *                            burst, registered w/o
 *                            servers                    test_policy_errors
 *
 * Not reachable from a test without fault injection, each a guard with
 * its message: "out of memory" (calloc of a few hundred bytes), and
 * "rte_cfgfile_load failed" / "not found by rte_cfgfile" (the file
 * changed between the pre-scan and rte_cfgfile's own read).  Not
 * reachable from a config at all: "more than 128 lcores" (128 distinct
 * ids 0..127 at most) and "more than 1024 prefixes" in [policy] servers
 * (255 bytes hold about 30); "more than 64 ports" and the servers_file
 * limit are tested.
 */
static void
test_err_read_errors(void **state)
{
	char dir[256], deep[700], path[800], text[300], want[2000], rel[121];
	struct mt_conf_prefix pf;
	struct mt_conf c;
	struct mt_err err;
	FILE *f;

	(void)state;
	/* the config is a directory: fopen works, reading does not */
	snprintf(dir, sizeof(dir), "%s/mt_conf_dir_XXXXXX", tmp_dir());
	assert_non_null(mkdtemp(dir));
	mt_conf_defaults(&c);
	assert_int_equal(mt_conf_load(&c, dir, &err), -EIO);
	snprintf(want, sizeof(want), "%s: read error", dir);
	assert_string_equal(err.msg, want);

	/* so is the servers file */
	snprintf(text, sizeof(text), "[policy]\nservers_file = %s\n", dir);
	assert_int_equal(load_text(text, &c, &err), -EIO);
	assert_string_equal(err.msg, want);

	/* a relative servers_file too long once joined to the config's
	 * directory (MT_CONF_PATH_MAX) */
	memset(rel, 'r', sizeof(rel) - 1);
	rel[sizeof(rel) - 1] = '\0';
	snprintf(deep, sizeof(deep), "%s/%0200d", dir, 0);
	assert_int_equal(mkdir(deep, 0700), 0);
	snprintf(deep + strlen(deep), sizeof(deep) - strlen(deep), "/%0200d", 1);
	assert_int_equal(mkdir(deep, 0700), 0);
	assert_true(strlen(deep) + 1 + strlen(rel) >= MT_CONF_PATH_MAX);
	snprintf(path, sizeof(path), "%s/m.conf", deep);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[policy]\n\nservers_file = %s\n", rel);
	assert_int_equal(fclose(f), 0);
	mt_conf_defaults(&c);
	assert_int_equal(mt_conf_load(&c, path, &err), -EINVAL);
	/* (the message is cut at MT_ERR_LEN: the path is long) */
	snprintf(want, sizeof(want), "%s:3: [policy] servers_file: path too long once made "
		 "relative to the directory of %s", path, path);
	assert_true(strlen(err.msg) > strlen(path) + 60);
	assert_memory_equal(err.msg, want, strlen(err.msg));
	unlink(path);
	rmdir(deep);
	*strrchr(deep, '/') = '\0';
	rmdir(deep);
	rmdir(dir);

	/* the prefix parser itself refuses an empty address */
	assert_int_equal(mt_conf_prefix_parse("", &pf, want, sizeof(want)), -1);
	assert_string_equal(want, "empty address");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_partial_and_empty),
		cmocka_unit_test(test_hash_comments),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_err_no_equals),
		cmocka_unit_test(test_err_key_before_section),
		cmocka_unit_test(test_err_unknown_section),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_duplicates),
		cmocka_unit_test(test_err_name_too_long),
		cmocka_unit_test(test_err_value_too_long),
		cmocka_unit_test(test_err_line_too_long),
		cmocka_unit_test(test_err_section_header),
		cmocka_unit_test(test_err_misc_lines),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_ring_size_pow2),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_lcore_lists),
		cmocka_unit_test(test_writer_lcore),
		cmocka_unit_test(test_port_lists),
		cmocka_unit_test(test_combinations),
		cmocka_unit_test(test_shipped_config_is_doc),
		cmocka_unit_test(test_shipped_config_loads_defaults),
		cmocka_unit_test(test_policy_defaults),
		cmocka_unit_test(test_policy_servers_inline),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_policy_servers_file),
		cmocka_unit_test(test_policy_servers_file_errors),
		cmocka_unit_test(test_err_read_errors),
	};

	if (argc > 1 && strcmp(argv[1], "--print-doc") == 0) {
		mt_conf_print_doc(stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
