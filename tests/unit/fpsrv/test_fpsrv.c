/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/fpsrv and its feed from lib/smtp: which server reply is which
 * observation (pipelined, split anywhere, malformed commands), the worker
 * filter and buffers, and the per-server table's bounds (eviction,
 * per-server text), and that a table fed a fixture's replies gives the
 * verdict mt_fp_classify gives on the fixture itself.  Run from the
 * repository root (make test does).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "mt_fpsrv.h"
#include "mt_smtp.h"
#include "mt_test_eal.h"

#define RULES "config/fingerprints"
#define FIX "tests/fp/fixtures"

/* ---- lib/smtp: ops->reply_buf / reply_text --------------------------- */

#define MAX_R 32

struct rec {
	struct mt_smtp_cmd cmd;
	unsigned code;
	char text[2048];
	size_t len;
	int trunc;
};

static struct {
	struct rec r[MAX_R];
	unsigned n;
	unsigned asked;
	size_t cap;      /* buffer size offered */
	int refuse_kind; /* kind for which reply_buf says no, -1 none */
	char buf[2048];
} cb;

static char *
t_reply_buf(void *ctx, const struct mt_smtp_cmd *cmd, size_t *cap)
{
	(void)ctx;
	cb.asked++;
	if (cb.refuse_kind >= 0 && mt_fpsrv_kind_of(cmd) == cb.refuse_kind)
		return NULL;
	*cap = cb.cap;
	return cb.buf;
}

static void
t_reply_text(void *ctx, const struct mt_smtp_cmd *cmd, unsigned code, const char *text,
	     size_t len, int trunc)
{
	struct rec *r;

	(void)ctx;
	assert_true(cb.n < MAX_R);
	assert_ptr_equal(text, cb.buf);
	r = &cb.r[cb.n++];
	r->cmd = *cmd;
	r->code = code;
	r->len = len;
	r->trunc = trunc;
	memcpy(r->text, text, len);
	r->text[len] = '\0';
}

static const struct mt_smtp_ops t_ops = {
	.reply_buf = t_reply_buf,
	.reply_text = t_reply_text,
};

static struct mt_smtp *
new_smtp(void)
{
	static uint64_t mem[8192];

	assert_true(mt_smtp_size() <= sizeof(mem));
	memset(&cb, 0, sizeof(cb));
	cb.cap = sizeof(cb.buf) - 1;
	cb.refuse_kind = -1;
	mt_smtp_init((struct mt_smtp *)mem, &t_ops, NULL);
	return (struct mt_smtp *)mem;
}

/* Feed s in pieces of `step` octets (split anywhere). */
static void
feed(struct mt_smtp *s, enum mt_dir d, const char *p, size_t n, size_t step)
{
	for (size_t i = 0; i < n; i += step)
		mt_smtp_feed(s, d, (const uint8_t *)p + i, MT_MIN(step, n - i));
}

#define FEED(s, d, lit, step) feed((s), (d), (lit), sizeof(lit) - 1, (step))

static void
expect(unsigned i, int kind, unsigned code, const char *text)
{
	assert_true(i < cb.n);
	if (mt_fpsrv_kind_of(&cb.r[i].cmd) != kind || cb.r[i].code != code ||
	    strcmp(cb.r[i].text, text) != 0)
		fail_msg("reply %u: kind %s code %u text '%s' (verb %u flags 0x%x); want %s %u '%s'",
			 i, mt_fpsrv_kind_name(mt_fpsrv_kind_of(&cb.r[i].cmd)), cb.r[i].code,
			 cb.r[i].text, cb.r[i].cmd.verb, cb.r[i].cmd.flags,
			 mt_fpsrv_kind_name(kind), code, text);
}

/* The probe's first connection, the client pipelining everything after
 * the greeting, the replies split at every octet and at 7 octets. */
static void
test_smtp_pipelined_probe_dialogue(void **state)
{
	static const char c2s[] = "EHLO probe.invalid\r\nHELP\r\nRCPT TO:<probe@example.com>\r\n"
				  "MAIL FROM:<bad\r\nXYZZY\r\nHELP DATA\r\nQUIT\r\n";
	static const char s2c[] = "220 mx.test ESMTP Postfix\r\n"
				  "250-mx.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
				  "500 5.5.2 Error: command not recognized\r\n"
				  "503 5.5.1 Error: need MAIL command\r\n"
				  "501 5.1.7 Bad sender address syntax\r\n"
				  "500 5.5.2 Error: command not recognized\r\n"
				  "214 2.0.0 see RFC 5321\r\n"
				  "221 2.0.0 Bye\r\n";
	size_t steps[] = { 1, 7, sizeof(s2c) };

	(void)state;
	for (unsigned k = 0; k < MT_ARRAY_SIZE(steps); k++) {
		struct mt_smtp *s = new_smtp();

		FEED(s, MT_DIR_C2S, c2s, 11);
		feed(s, MT_DIR_S2C, s2c, sizeof(s2c) - 1, steps[k]);
		assert_int_equal(cb.n, 8);
		expect(0, MT_FPSRV_GREETING, 220, "220 mx.test ESMTP Postfix");
		expect(1, MT_FPSRV_EHLO, 250, "250-mx.test\n250-PIPELINING\n250 CHUNKING");
		expect(2, MT_FPSRV_HELP, 500, "500 5.5.2 Error: command not recognized");
		expect(3, MT_FPSRV_RCPT_FIRST, 503, "503 5.5.1 Error: need MAIL command");
		expect(4, MT_FPSRV_MAIL_BAD, 501, "501 5.1.7 Bad sender address syntax");
		expect(5, MT_FPSRV_UNKNOWN, 500, "500 5.5.2 Error: command not recognized");
		expect(6, -1, 214, "214 2.0.0 see RFC 5321"); /* HELP with an argument */
		expect(7, MT_FPSRV_QUIT, 221, "221 2.0.0 Bye");
		mt_smtp_close(s);
	}
}

/* The second connection: NUL inside a command, an over-long line, and a
 * reply that itself holds a NUL (aiosmtpd echoes the command). */
static void
test_smtp_nul_and_long_lines(void **state)
{
	char longcmd[1200];
	struct mt_smtp *s = new_smtp();
	static const char nul[] = "HE\0LO probe.invalid\r\n";
	static const char rep[] = "220 x Python SMTP 1.4.3\r\n"
				  "500 Error: command \"HE\0LO\" not recognized\r\n"
				  "500 Command line too long\r\n";

	(void)state;
	memset(longcmd, 'A', sizeof(longcmd));
	memcpy(longcmd, "NOOP ", 5);
	memcpy(longcmd + sizeof(longcmd) - 2, "\r\n", 2);
	feed(s, MT_DIR_C2S, nul, sizeof(nul) - 1, 3);
	feed(s, MT_DIR_C2S, longcmd, sizeof(longcmd), 100);
	feed(s, MT_DIR_S2C, rep, sizeof(rep) - 1, 5);
	assert_int_equal(cb.n, 3);
	assert_int_equal(mt_fpsrv_kind_of(&cb.r[1].cmd), MT_FPSRV_NUL);
	assert_int_equal(cb.r[1].len, strlen("500 Error: command \"HE") + 1 + strlen("LO\" not recognized"));
	assert_memory_equal(cb.r[1].text, "500 Error: command \"HE\0LO\"", 26);
	expect(2, MT_FPSRV_LONG, 500, "500 Command line too long");
	mt_smtp_close(s);
}

/* Not wanted: nothing copied; a small buffer cuts and says so; a gap in
 * the replies drops the reply it cut; bare LF and CR-only lines. */
static void
test_smtp_refused_truncated_and_gap(void **state)
{
	struct mt_smtp *s = new_smtp();

	(void)state;
	cb.refuse_kind = MT_FPSRV_GREETING;
	cb.cap = 8;
	FEED(s, MT_DIR_C2S, "EHLO a\r\nHELP\r\nXYZZY\r\n", 4);
	FEED(s, MT_DIR_S2C, "220 hidden greeting\r\n250-abcdefghij\n250 x\r\n", 3);
	assert_int_equal(cb.n, 1); /* greeting refused */
	assert_int_equal(cb.asked, 2);
	expect(0, MT_FPSRV_EHLO, 250, "250-abcd");
	assert_true(cb.r[0].trunc);
	/* HELP's reply is cut by a gap: not reported, and after a gap
	 * which reply answers which command is in doubt (a pipelined
	 * client), so nothing more is reported for this connection */
	FEED(s, MT_DIR_S2C, "214-first line\r\n214-sec", 5);
	mt_smtp_gap(s, MT_DIR_S2C, 40);
	cb.cap = 100;
	FEED(s, MT_DIR_S2C, "500 unknown\r\n", 2);
	FEED(s, MT_DIR_C2S, "QUIT\r\n", 6);
	FEED(s, MT_DIR_S2C, "221 bye\r\n", 9);
	assert_int_equal(cb.n, 1);
	mt_smtp_close(s);
	/* a client-side gap too */
	s = new_smtp();
	FEED(s, MT_DIR_S2C, "220 ok\r\n", 8);
	FEED(s, MT_DIR_C2S, "HEL", 3);
	mt_smtp_gap(s, MT_DIR_C2S, 10);
	FEED(s, MT_DIR_C2S, "\r\nQUIT\r\n", 3);
	FEED(s, MT_DIR_S2C, "250 x\r\n221 bye\r\n", 4);
	assert_int_equal(cb.n, 1);
	expect(0, MT_FPSRV_GREETING, 220, "220 ok");
	mt_smtp_close(s);
}

/* Inside a transaction: RCPT after MAIL is no observation; a NUL in a
 * MAIL argument is "nul"; RCPT TO without brackets is not "rcpt_first"
 * once MAIL was sent; replies to DATA and the message are not asked for
 * a kind (kind -1). */
static void
test_smtp_transaction_replies(void **state)
{
	struct mt_smtp *s = new_smtp();

	(void)state;
	FEED(s, MT_DIR_S2C, "220 ok\r\n", 8);
	FEED(s, MT_DIR_C2S, "MAIL FROM:<a@b>\r\nRCPT TO:c@d\r\nDATA\r\n", 5);
	FEED(s, MT_DIR_S2C, "250 ok\r\n250 ok\r\n354 go\r\n", 6);
	FEED(s, MT_DIR_C2S, "hi\r\n.\r\n", 3);
	FEED(s, MT_DIR_S2C, "250 queued\r\n", 4);
	assert_int_equal(cb.n, 5);
	expect(0, MT_FPSRV_GREETING, 220, "220 ok");
	assert_int_equal(cb.r[1].cmd.verb, MT_SMTP_V_MAIL);
	expect(1, -1, 250, "250 ok");
	assert_int_equal(cb.r[2].cmd.verb, MT_SMTP_V_RCPT);
	expect(2, -1, 250, "250 ok"); /* no '<': but MAIL came first */
	assert_int_equal(cb.r[3].cmd.verb, MT_SMTP_V_DATA);
	assert_int_equal(cb.r[4].cmd.verb, MT_SMTP_V_EOD);
	mt_smtp_close(s);
}

/* ---- worker filter and buffers --------------------------------------- */

static void
key_n(struct mt_fpsrv_key *k, unsigned n)
{
	memset(k, 0, sizeof(*k));
	k->family = 4;
	k->port = 25;
	k->addr[0] = 192;
	k->addr[1] = 0;
	k->addr[2] = (uint8_t)(n >> 8);
	k->addr[3] = (uint8_t)n;
}

static void
test_worker_filter_and_buffers(void **state)
{
	struct mt_fpsrv_worker *w = mt_fpsrv_worker_create(4, 3, 0);
	struct mt_fpsrv_key a, b;
	char *x[4];

	(void)state;
	assert_non_null(w);
	key_n(&a, 1);
	key_n(&b, 2);
	/* one reply of each kind per server */
	assert_true(mt_fpsrv_worker_want(w, &a, MT_FPSRV_GREETING));
	mt_fpsrv_worker_mark(w, &a, MT_FPSRV_GREETING);
	assert_false(mt_fpsrv_worker_want(w, &a, MT_FPSRV_GREETING));
	assert_true(mt_fpsrv_worker_want(w, &a, MT_FPSRV_QUIT));
	mt_fpsrv_worker_mark(w, &a, MT_FPSRV_HELP);
	assert_false(mt_fpsrv_worker_want(w, &a, MT_FPSRV_HELP));
	assert_true(mt_fpsrv_worker_want(w, &a, MT_FPSRV_NUL));
	assert_false(mt_fpsrv_worker_want(w, &a, -1));
	assert_false(mt_fpsrv_worker_want(w, &a, MT_FPSRV_NKINDS));
	/* many servers through 4 slots: the filter forgets, never grows */
	for (unsigned i = 10; i < 1000; i++) {
		key_n(&b, i);
		mt_fpsrv_worker_mark(w, &b, MT_FPSRV_HELP);
		assert_false(mt_fpsrv_worker_want(w, &b, MT_FPSRV_HELP));
	}
	/* buffers: three, then none, then back */
	for (int i = 0; i < 3; i++) {
		x[i] = mt_fpsrv_worker_buf_get(w);
		assert_non_null(x[i]);
		memset(x[i], 'x', MT_FPSRV_TEXT_MAX);
	}
	assert_null(mt_fpsrv_worker_buf_get(w));
	assert_int_equal(mt_fpsrv_worker_bufs_free(w), 0);
	mt_fpsrv_worker_buf_put(w, x[1]);
	x[3] = mt_fpsrv_worker_buf_get(w);
	assert_ptr_equal(x[3], x[1]);
	mt_fpsrv_worker_buf_put(w, x[0]);
	mt_fpsrv_worker_buf_put(w, x[2]);
	mt_fpsrv_worker_buf_put(w, x[3]);
	assert_int_equal(mt_fpsrv_worker_bufs_free(w), 3);
	mt_fpsrv_worker_free(w);
}

static void
test_key_format_parse(void **state)
{
	struct mt_fpsrv_key k, r;
	char buf[64];

	(void)state;
	key_n(&k, 258);
	mt_fpsrv_key_format(&k, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.1.2:25");
	assert_int_equal(mt_fpsrv_key_parse(&r, buf), 0);
	assert_memory_equal(&r, &k, sizeof(k));
	assert_int_equal(mt_fpsrv_key_parse(&r, "[2001:db8::25]:2525"), 0);
	assert_int_equal(r.family, 6);
	assert_int_equal(r.port, 2525);
	mt_fpsrv_key_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::25]:2525");
	assert_int_not_equal(mt_fpsrv_key_parse(&r, "192.0.2.1"), 0);
	assert_int_not_equal(mt_fpsrv_key_parse(&r, "192.0.2.1:99999"), 0);
	assert_int_not_equal(mt_fpsrv_key_parse(&r, "192.0.2.x:25"), 0);
	assert_int_not_equal(mt_fpsrv_key_parse(&r, "[::1:25"), 0);
	assert_int_not_equal(mt_fpsrv_key_parse(&r, "1.2.3.4:"), 0);
}

/* ---- the table ------------------------------------------------------- */

static struct mt_fp_db *db;

static struct mt_fpsrv_table *
new_table(const char *name, unsigned max)
{
	struct mt_fpsrv_table_params p = {
		.name = name, .max_servers = max, .socket = 0, .db = db,
	};
	struct mt_err err;
	struct mt_fpsrv_table *t = mt_fpsrv_table_create(&p, &err);

	if (t == NULL)
		fail_msg("%s", err.msg);
	return t;
}

static void
add(struct mt_fpsrv_table *t, const struct mt_fpsrv_key *k, int kind, const char *text,
    struct mt_fpsrv_counters *c)
{
	static struct mt_fpsrv_obs o;

	mt_fpsrv_obs_fill(&o, k, kind, (unsigned)atoi(text), text, strlen(text), 0, 1);
	mt_fpsrv_table_add(t, &o, c);
}

static void
test_table_bounded_lru_eviction(void **state)
{
	struct mt_fpsrv_table *t = new_table("t_lru", 16);
	struct mt_fpsrv_counters c = { 0 };
	struct mt_fpsrv_info in;
	struct mt_fpsrv_key k;
	unsigned i, held = 0;

	(void)state;
	for (i = 0; i < 40; i++) {
		key_n(&k, i);
		add(t, &k, MT_FPSRV_GREETING, "220 x ESMTP", &c);
		/* server 0 keeps being seen: it must survive */
		key_n(&k, 0);
		add(t, &k, MT_FPSRV_QUIT, "221 bye", &c);
	}
	assert_int_equal(mt_fpsrv_table_count(t), 16);
	assert_int_equal(c.evicted, 40 - 16 + 0);
	key_n(&k, 0);
	assert_int_equal(mt_fpsrv_table_find(t, &k, &in), 0);
	/* the first greeting and QUIT serve both connections' slots */
	assert_int_equal(in.present, (1u << MT_FP_BANNER) | (1u << MT_FP_BANNER2) |
					     (1u << MT_FP_QUIT) | (1u << MT_FP_QUIT2));
	for (i = 1; i < 40; i++) {
		key_n(&k, i);
		if (mt_fpsrv_table_find(t, &k, &in) == 0) {
			held++;
			assert_true(i >= 40 - 15); /* the 15 most recent besides 0 */
		}
	}
	assert_int_equal(held, 15);
	for (i = 0, held = 0; i < mt_fpsrv_table_capacity(t); i++)
		held += mt_fpsrv_table_get(t, i, &in) == 0;
	assert_int_equal(held, 16);
	for (i = 0, held = 0; mt_fpsrv_table_next(t, &i, &in) == 0; i++)
		held++;
	assert_int_equal(held, 16);
	i = mt_fpsrv_table_capacity(t);
	assert_int_equal(mt_fpsrv_table_next(t, &i, &in), -ENOENT);
	assert_int_equal(mt_fpsrv_table_get(t, 99999, &in), -ENOENT);
	mt_fpsrv_table_free(t);
}

/* Hostile replies: each observation is cut, the server's text stays
 * within its arena, nothing grows; a third greeting is ignored. */
static void
test_table_huge_replies_bounded(void **state)
{
	struct mt_fpsrv_table *t = new_table("t_huge", 16);
	struct mt_fpsrv_counters c = { 0 };
	static char big[MT_FPSRV_TEXT_MAX * 4];
	static struct mt_fpsrv_obs o;
	char dump[8192];
	struct mt_fpsrv_key k;
	int kind, n;

	(void)state;
	memset(big, 0, sizeof(big)); /* NULs: 2 printable octets each */
	memcpy(big, "500 ", 4);
	key_n(&k, 7);
	for (kind = 0; kind < MT_FPSRV_NKINDS; kind++) {
		mt_fpsrv_obs_fill(&o, &k, kind, 500, big, sizeof(big), 0, 5);
		assert_int_equal(o.len, MT_FPSRV_TEXT_MAX);
		assert_true(o.truncated);
		mt_fpsrv_table_add(t, &o, &c);
	}
	assert_int_equal(c.obs, MT_FPSRV_NKINDS);
	assert_true(c.truncated >= MT_FPSRV_NKINDS);
	n = mt_fpsrv_table_obs(t, &k, dump, sizeof(dump));
	assert_true(n > 0);
	/* section headers and newlines aside, at most the arena (greeting
	 * and QUIT texts listed twice: banner/banner2, quit/quit2) */
	assert_true((size_t)n <= 2 * MT_FPSRV_ARENA + MT_FP_NOBS * 16);
	assert_int_equal(c.obs_new, MT_FPSRV_NKINDS);
	add(t, &k, MT_FPSRV_GREETING, "220 second", &c);
	add(t, &k, MT_FPSRV_QUIT, "221 second", &c);
	assert_int_equal(c.obs_new, MT_FPSRV_NKINDS);
	mt_fpsrv_table_free(t);
}

/* Printable fixture text -> raw reply ("\0" -> NUL). */
static size_t
raw_of(const char *p, char *out)
{
	size_t n = 0;

	for (; *p; p++) {
		if (p[0] == '\\' && p[1] == '0') {
			out[n++] = '\0';
			p++;
		} else {
			out[n++] = *p;
		}
	}
	return n;
}

static const int obs_kind[MT_FP_NOBS] = {
	[MT_FP_BANNER] = MT_FPSRV_GREETING, [MT_FP_EHLO] = MT_FPSRV_EHLO,
	[MT_FP_HELP] = MT_FPSRV_HELP, [MT_FP_RCPT_FIRST] = MT_FPSRV_RCPT_FIRST,
	[MT_FP_MAIL_BAD] = MT_FPSRV_MAIL_BAD, [MT_FP_UNKNOWN] = MT_FPSRV_UNKNOWN,
	[MT_FP_QUIT] = MT_FPSRV_QUIT, [MT_FP_BANNER2] = MT_FPSRV_GREETING,
	[MT_FP_NUL] = MT_FPSRV_NUL, [MT_FP_LONG] = MT_FPSRV_LONG, [MT_FP_QUIT2] = MT_FPSRV_QUIT,
};

static void
pair_fill(struct mt_fp_obsset *set, int a, int b)
{
	if (!set->o[a].present)
		set->o[a] = set->o[b];
	else if (!set->o[b].present)
		set->o[b] = set->o[a];
}

static void
passive_view(struct mt_fp_obsset *set)
{
	for (int id = 0; id < MT_FP_NOBS; id++) {
		if (set->o[id].flags & (MT_FP_F_CLOSED | MT_FP_F_TIMEOUT))
			set->o[id].present = 0;
		set->o[id].flags = 0;
	}
	pair_fill(set, MT_FP_BANNER, MT_FP_BANNER2);
	pair_fill(set, MT_FP_QUIT, MT_FP_QUIT2);
	/* the table keeps the first of the pair for both */
	if (set->o[MT_FP_BANNER].present)
		set->o[MT_FP_BANNER2] = set->o[MT_FP_BANNER];
	if (set->o[MT_FP_QUIT].present)
		set->o[MT_FP_QUIT2] = set->o[MT_FP_QUIT];
}

/* Every golden fixture, fed to the table one reply at a time in the
 * probe's order, gives the verdict the engine gives on what a tap sees of
 * the fixture (tests/e2e/test_fp_passive.py compares with the prober). */
static void
test_table_verdicts_match_engine_on_fixtures(void **state)
{
	static char fx[64][160];
	unsigned nfx = 0, nunknown = 0;
	static struct mt_fp_obsset set;
	static struct mt_fp_verdict want;
	struct mt_fpsrv_table *t = new_table("t_fix", 64);
	struct mt_fpsrv_counters c = { 0 };
	struct mt_fpsrv_info in;
	struct mt_err err;
	unsigned known = 0;

	(void)state;
	/* every tests/fp/fixtures/<server>/<name>.txt */
	{
		DIR *top = opendir(FIX), *sub;
		struct dirent *e, *g;
		char dir[512];

		assert_non_null(top);
		while ((e = readdir(top)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(dir, sizeof(dir), FIX "/%.255s", e->d_name);
			if ((sub = opendir(dir)) == NULL)
				continue;
			while ((g = readdir(sub)) != NULL && nfx < MT_ARRAY_SIZE(fx)) {
				size_t l = strlen(g->d_name);

				if (l > 4 && strcmp(g->d_name + l - 4, ".txt") == 0) {
					snprintf(fx[nfx++], sizeof(fx[0]), "%.60s/%.90s",
						 e->d_name, g->d_name);
					nunknown += strstr(e->d_name, "unknown") != NULL;
				}
			}
			closedir(sub);
		}
		closedir(top);
	}
	assert_true(nfx >= 9);
	for (unsigned f = 0; f < nfx; f++) {
		static char text[65536], raw[4096];
		static struct mt_fpsrv_obs o;
		char path[512];
		struct mt_fpsrv_key k;
		FILE *fp;
		size_t n;

		snprintf(path, sizeof(path), FIX "/%.159s", fx[f]);
		fp = fopen(path, "r");
		assert_non_null(fp);
		n = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
		text[n] = '\0';
		if (mt_fp_obsset_parse(&set, text, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		key_n(&k, 100 + f);
		for (int id = 0; id < MT_FP_NOBS; id++) {
			if (!set.o[id].present || (set.o[id].flags & (MT_FP_F_CLOSED |
								       MT_FP_F_TIMEOUT)))
				continue;
			n = raw_of(set.o[id].text, raw);
			mt_fpsrv_obs_fill(&o, &k, obs_kind[id], 0, raw, n, 0, 1);
			mt_fpsrv_table_add(t, &o, &c);
		}
		/* what a tap sees of it: replies only (no hang-up, timeout or
		 * delay flags); the first greeting and QUIT reply in both slots */
		passive_view(&set);
		mt_fp_classify(db, &set, &want);
		assert_int_equal(mt_fpsrv_table_find(t, &k, &in), 0);
		if (in.v.known != want.known || strcmp(in.v.rule, want.rule) != 0 ||
		    in.v.score != want.score)
			fail_msg("%s: table %s %s score %d; engine %s %s score %d", fx[f],
				 in.v.known ? "known" : "unknown", in.v.rule, in.v.score,
				 want.known ? "known" : "unknown", want.rule, want.score);
		known += in.v.known;
		/* lazily: the writer classifies when a mail needs the verdict,
		 * once per change */
		assert_int_equal(mt_fpsrv_table_classified(t), 0);
		assert_non_null(mt_fpsrv_table_mail(t, &k));
		assert_int_equal(mt_fpsrv_table_mail(t, &k)->score, want.score);
		assert_int_equal(mt_fpsrv_table_classified(t), 1);
		assert_int_equal(mt_fpsrv_table_find(t, &k, &in), 0);
		assert_int_equal(in.mails, 2);
	}
	assert_int_equal(known, nfx - nunknown); /* python smtpd: unknown */
	mt_fpsrv_table_free(t);
}

static int
setup(void **state)
{
	struct mt_err err;

	(void)state;
	if (mt_test_eal_init("fpsrv") != 0)
		return -1;
	db = mt_fp_db_new();
	if (db == NULL || mt_fp_db_load_dir(db, RULES, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	mt_fp_db_free(db);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp_pipelined_probe_dialogue),
		cmocka_unit_test(test_smtp_nul_and_long_lines),
		cmocka_unit_test(test_smtp_refused_truncated_and_gap),
		cmocka_unit_test(test_smtp_transaction_replies),
		cmocka_unit_test(test_worker_filter_and_buffers),
		cmocka_unit_test(test_key_format_parse),
		cmocka_unit_test(test_table_bounded_lru_eviction),
		cmocka_unit_test(test_table_huge_replies_bounded),
		cmocka_unit_test(test_table_verdicts_match_engine_on_fixtures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
