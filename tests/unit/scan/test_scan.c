/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_scan.c - rules files, per-scope streams, hot reload.
 *
 * Matches are recorded as "id@offset" words in a log string so a failure
 * shows every match.  The reload test runs a worker on a pthread beside
 * the control thread that swaps rule sets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <cmocka.h>

#include <rte_memory.h>

#include "mt_common.h"
#include "mt_mime.h"
#include "mt_scan.h"
#include "mt_test_eal.h"
#include "mt_test_mail.h"

struct hits {
	char log[4096];
	size_t len;
	unsigned n;
	unsigned quarantine;
	uint64_t last_off;
};

static void
on_match(void *ctx, const struct mt_scan_rule *r, enum mt_scan_scope scope, uint64_t off)
{
	struct hits *h = ctx;
	int k = snprintf(h->log + h->len, sizeof(h->log) - h->len, "%u:%s@%llu ", r->id,
			 mt_scan_scope_str(scope), (unsigned long long)off);

	if (k > 0)
		h->len = MT_MIN(h->len + (size_t)k, sizeof(h->log) - 1);
	h->n++;
	h->quarantine += r->quarantine;
	h->last_off = off;
}

struct errs {
	char log[4096];
	size_t len;
};

static void
on_error(void *ctx, const char *msg)
{
	struct errs *e = ctx;
	int k = snprintf(e->log + e->len, sizeof(e->log) - e->len, "%s\n", msg);

	if (k > 0)
		e->len = MT_MIN(e->len + (size_t)k, sizeof(e->log) - 1);
}

static struct mt_scan_db *
load(const char *text)
{
	struct mt_scan_params prm = { MT_SCAN_SOCKET_HEAP, NULL, NULL };
	struct mt_scan_db *db;
	struct mt_err err;
	int rc = mt_scan_db_load_buf("t.rules", text, strlen(text), &prm, &db, &err);

	if (rc < 0)
		fprintf(stderr, "load: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return db;
}

/* One worker on db for single-thread tests. */
struct env {
	struct mt_scan_handle *h;
	struct mt_scan_worker *w;
	struct mt_scan_db *db;
};

static void
env_up(struct env *e, const char *rules)
{
	struct mt_err err;

	e->h = mt_scan_handle_create(load(rules), 1, &err);
	assert_non_null(e->h);
	e->w = mt_scan_worker_create(e->h, 0, &err);
	assert_non_null(e->w);
	e->db = mt_scan_mail_begin(e->w);
}

static void
env_down(struct env *e)
{
	mt_scan_mail_end(e->w, e->db);
	mt_scan_worker_free(e->w);
	mt_scan_handle_free(e->h);
}

/* Scan text in one scope, cut at the offsets in cuts (ascending, ncut). */
static void
scan_cut(struct env *e, enum mt_scan_scope scope, const char *text, const size_t *cuts,
	 size_t ncut, struct hits *h)
{
	struct mt_scan_stream s;
	size_t off = 0, i, n = strlen(text);

	memset(h, 0, sizeof(*h));
	assert_int_equal(mt_scan_stream_open(e->w, e->db, &s, scope, on_match, h), 0);
	for (i = 0; i <= ncut; i++) {
		size_t end = i < ncut ? cuts[i] : n;

		mt_scan_stream_feed(e->w, &s, text + off, end - off);
		off = end;
	}
	mt_scan_stream_close(e->w, &s);
	mt_scan_stream_close(e->w, &s); /* idempotent */
	assert_int_equal(s.errors, 0);
}

static void
scan1(struct env *e, enum mt_scan_scope scope, const char *text, struct hits *h)
{
	scan_cut(e, scope, text, NULL, 0, h);
}

/* ---- rules files ------------------------------------------------------ */

static void
rule_errors_name_every_bad_line(void **state)
{
	static const char text[] =
		"# comment\n"
		"\n"
		"id=1 pattern=/ok/\n"
		"id=2 sevrity=high pattern=/x/\n"                 /* 4 */
		"id=3 severity=huge pattern=/x/\n"                /* 5 */
		"severity=low pattern=/x/\n"                      /* 6 */
		"id=1 pattern=/dup/\n"                            /* 7 */
		"id=4 pattern=/(?<=a)b/\n"                        /* 8 */
		"id=5 pattern=/a*/\n"                             /* 9 */
		"id=6 scope=body,mailbox pattern=/x/\n"           /* 10 */
		"id=7 pattern=/x/ tags=late\n"                    /* 11 */
		"id=8 flags=caseless,fast pattern=/x/\n"          /* 12 */
		"id=0 pattern=/x/\n"                              /* 13 */
		"id=9 msg=\"open pattern=/x/\n"                   /* 14 */
		"id=10 pattern=x\n"                               /* 15 */
		"id=11 action=drop pattern=/x/\n"                 /* 16 */
		"   id=12 scope=any flags=single-match pattern=/fine/i\r\n"
		"id=13\n";                                        /* 18 */
	struct errs e = { .len = 0 };
	struct mt_scan_params prm = { MT_SCAN_SOCKET_HEAP, on_error, &e };
	struct mt_scan_db *db = (void *)1;
	struct mt_err err;
	int rc;

	(void)state;
	rc = mt_scan_db_load_buf("t.rules", text, strlen(text), &prm, &db, &err);
	assert_int_equal(rc, -EINVAL);
	assert_null(db);
	fprintf(stderr, "%s", e.log);
	assert_string_equal(
		e.log,
		"t.rules:4: unknown key 'sevrity' (id, severity, scope, flags, tags, msg, action, pattern)\n"
		"t.rules:5: unknown severity 'huge' (low, medium, high, critical)\n"
		"t.rules:6: missing id=\n"
		"t.rules:10: unknown scope 'mailbox' (envelope, headers, body, attachment, any)\n"
		"t.rules:11: unknown pattern modifier ' ' after the closing '/' (i, s, m, u; pattern must be the last field)\n"
		"t.rules:12: unknown flag 'fast' (caseless, dotall, multiline, utf8, ucp, single-match)\n"
		"t.rules:13: id must be a number from 1 to 4294967295, not '0'\n"
		"t.rules:14: unterminated quote in 'msg'\n"
		"t.rules:15: pattern must be /EXPR/ and the last field\n"
		"t.rules:16: unknown action 'drop' (alert, quarantine)\n"
		"t.rules:18: missing pattern=/.../ (the last field)\n"
		"t.rules:7: duplicate id 1 (first at t.rules:3)\n"
		"t.rules:8: id=4: pattern /(?<=a)b/: Zero-width assertions are not supported.\n"
		"t.rules:9: id=5: pattern /a*/ can match an empty string\n");
	assert_non_null(strstr(err.msg, "t.rules:4: unknown key 'sevrity'"));
	assert_non_null(strstr(err.msg, "(and 13 more errors)"));
}

static void
default_rules_compile_and_check_files_reports(void **state)
{
	const char *good[] = { "config/rules/default.rules" };
	const char *bad[] = { "config/rules/default.rules", "/nonexistent/x.rules" };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	out = open_memstream(&buf, &len);
	assert_int_equal(mt_scan_check_files(good, 1, out), 0);
	fclose(out);
	fprintf(stderr, "%s", buf);
	assert_non_null(strstr(buf, "rules: 7 OK"));
	free(buf);
	out = open_memstream(&buf, &len);
	assert_int_not_equal(mt_scan_check_files(bad, 2, out), 0);
	fclose(out);
	assert_string_equal(buf, "/nonexistent/x.rules: cannot open: No such file or directory\n"
				 "rules: 1 error\n");
	free(buf);
}

/* ---- streams ---------------------------------------------------------- */

static void
match_straddling_two_feeds_found_once(void **state)
{
	static const char text[] = "xx secret handshake yy";
	struct env e;
	struct hits h;
	size_t k;

	(void)state;
	env_up(&e, "id=7 scope=body pattern=/secret\\s+handshake/\n");
	for (k = 0; k <= strlen(text); k++) {
		scan_cut(&e, MT_SCAN_BODY, text, &k, 1, &h);
		if (h.n != 1)
			fprintf(stderr, "cut %zu: %s\n", k, h.log);
		assert_int_equal(h.n, 1);
		assert_string_equal(h.log, "7:body@19 ");
	}
	/* three pieces, every pair of cuts */
	for (k = 0; k <= strlen(text); k++) {
		size_t c[2], j;

		for (j = k; j <= strlen(text); j++) {
			c[0] = k;
			c[1] = j;
			scan_cut(&e, MT_SCAN_BODY, text, c, 2, &h);
			assert_string_equal(h.log, "7:body@19 ");
		}
	}
	env_down(&e);
}

static void
scope_filtering_and_any(void **state)
{
	struct env e;
	struct hits h;

	(void)state;
	env_up(&e, "id=1 scope=headers pattern=/needle/\n"
		   "id=2 scope=attachment pattern=/needle/\n"
		   "id=3 pattern=/needle/\n"
		   "id=4 scope=envelope,body pattern=/needle/\n");
	scan1(&e, MT_SCAN_HEADERS, "a needle", &h);
	assert_string_equal(h.log, "1:headers@8 3:headers@8 ");
	scan1(&e, MT_SCAN_ATTACHMENT, "a needle", &h);
	assert_string_equal(h.log, "2:attachment@8 3:attachment@8 ");
	scan1(&e, MT_SCAN_BODY, "a needle", &h);
	assert_string_equal(h.log, "3:body@8 4:body@8 ");
	scan1(&e, MT_SCAN_ENVELOPE, "a needle", &h);
	assert_string_equal(h.log, "3:envelope@8 4:envelope@8 ");
	env_down(&e);

	/* a scope with no rule is a no-op stream */
	env_up(&e, "id=1 scope=headers pattern=/needle/\n");
	{
		struct mt_scan_stream s;

		assert_int_equal(mt_scan_stream_open(e.w, e.db, &s, MT_SCAN_BODY, on_match, &h), 0);
		assert_null(s.hs);
		mt_scan_stream_feed(e.w, &s, "needle", 6);
		mt_scan_stream_close(e.w, &s);
		assert_int_equal(s.matches, 0);
	}
	env_down(&e);
}

static void
caseless_flags_and_modifiers(void **state)
{
	struct env e;
	struct hits h;

	(void)state;
	env_up(&e, "id=1 flags=caseless pattern=/Wire Transfer/\n"
		   "id=2 pattern=/Wire Transfer/\n"
		   "id=3 pattern=/wire transfer/i\n"
		   "id=4 flags=single-match pattern=/ab/\n"
		   "id=5 pattern=/^end$/m\n"
		   "id=6 pattern=/\\AMZ/\n");
	scan1(&e, MT_SCAN_BODY, "WIRE TRANSFER", &h);
	assert_string_equal(h.log, "1:body@13 3:body@13 ");
	scan1(&e, MT_SCAN_BODY, "ab ab ab", &h);
	assert_string_equal(h.log, "4:body@2 ");
	/* $ before end of data is reported at close */
	scan1(&e, MT_SCAN_BODY, "x\nend", &h);
	assert_string_equal(h.log, "5:body@5 ");
	scan1(&e, MT_SCAN_ATTACHMENT, "MZ\x90", &h);
	assert_string_equal(h.log, "6:attachment@2 ");
	scan1(&e, MT_SCAN_ATTACHMENT, "xMZ", &h);
	assert_string_equal(h.log, "");
	/* a recycled stream starts afresh: \A anchors again */
	scan1(&e, MT_SCAN_ATTACHMENT, "MZ", &h);
	assert_string_equal(h.log, "6:attachment@2 ");
	env_down(&e);
}

static void
quarantine_action_and_rule_fields(void **state)
{
	struct mt_scan_db *db;
	const struct mt_scan_rule *r;

	(void)state;
	db = load("id=900 severity=critical scope=body,attachment tags=a,b msg=\"two words\" "
		  "action=quarantine pattern=/x/\n"
		  "id=5 pattern=/y/\n");
	r = mt_scan_db_find(db, 900);
	assert_non_null(r);
	assert_int_equal(r->quarantine, 1);
	assert_int_equal(r->severity, MT_SCAN_SEV_CRITICAL);
	assert_int_equal(r->scopes, (1u << MT_SCAN_BODY) | (1u << MT_SCAN_ATTACHMENT));
	assert_string_equal(r->tags, "a,b");
	assert_string_equal(r->msg, "two words");
	assert_string_equal(r->file, "t.rules");
	assert_int_equal(r->line, 1);
	r = mt_scan_db_find(db, 5);
	assert_non_null(r);
	assert_int_equal(r->quarantine, 0);
	assert_int_equal(r->severity, MT_SCAN_SEV_MEDIUM);
	assert_int_equal(r->scopes, 0xf);
	assert_null(mt_scan_db_find(db, 6));
	mt_scan_db_put(db);
}

/* MIME-decoded parts into per-scope streams, as lib/session will do. */
struct mailscan {
	struct env *e;
	struct mt_scan_stream hdr, part;
	struct hits h;
};

static void
ms_header(void *ctx, unsigned depth, const uint8_t *p, size_t n)
{
	struct mailscan *ms = ctx;

	(void)depth;
	mt_scan_stream_feed(ms->e->w, &ms->hdr, p, n);
}

static void
ms_begin(void *ctx, const struct mt_mime_part *pt)
{
	struct mailscan *ms = ctx;

	mt_scan_stream_open(ms->e->w, ms->e->db, &ms->part,
			    pt->scope == MT_MIME_SCOPE_ATTACHMENT ? MT_SCAN_ATTACHMENT : MT_SCAN_BODY,
			    on_match, &ms->h);
}

static void
ms_data(void *ctx, const uint8_t *p, size_t n)
{
	struct mailscan *ms = ctx;

	mt_scan_stream_feed(ms->e->w, &ms->part, p, n);
}

static void
ms_end(void *ctx, const struct mt_mime_part *pt)
{
	struct mailscan *ms = ctx;

	(void)pt;
	mt_scan_stream_close(ms->e->w, &ms->part);
}

static const struct mt_mime_ops ms_ops = { ms_header, ms_begin, ms_data, ms_end };
static uint64_t mime_slot[8192 / sizeof(uint64_t)];

static void
scan_mail(struct env *e, struct mailscan *ms, const char *msg, size_t n, size_t feed)
{
	struct mt_mime *m = (struct mt_mime *)mime_slot;
	size_t off;

	memset(ms, 0, sizeof(*ms));
	ms->e = e;
	mt_mime_init(m, &ms_ops, ms);
	mt_scan_stream_open(e->w, e->db, &ms->hdr, MT_SCAN_HEADERS, on_match, &ms->h);
	for (off = 0; off < n; off += feed)
		mt_mime_feed(m, (const uint8_t *)msg + off, MT_MIN(feed, n - off));
	mt_mime_close(m);
	mt_scan_stream_close(e->w, &ms->hdr);
}

static void
default_rules_fire_inside_encoded_parts(void **state)
{
	static const char msg[] =
		"From: a@example.org\r\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
		"Please verify=20your=\r\n account today.\r\n"
		"--b\r\nContent-Type: application/octet-stream\r\n"
		"Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n"
		"TVqQAAMAAAAEAAAA//8AAFg1TyFQJUBBUFs0XFBaWDU0KFBeKTdDQyk3fSRFSUNBUi1TVEFO\r\n"
		"REFSRC1BTlRJVklSVVMtVEVTVC1GSUxFISRIK0gq\r\n"
		"--b--\r\n";
	static const char clean[] =
		"From: a@example.org\r\nSubject: lunch\r\n\r\nSee you at noon, account 42.\r\n";
	const char *path = "config/rules/default.rules";
	struct mt_scan_params prm = { MT_SCAN_SOCKET_HEAP, NULL, NULL };
	struct mailscan ms;
	struct mt_err err;
	struct env e;
	size_t feed;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(mt_scan_db_load(&path, 1, &prm, &e.db, &err), 0);
	e.h = mt_scan_handle_create(e.db, 1, &err);
	e.w = mt_scan_worker_create(e.h, 0, &err);
	e.db = mt_scan_mail_begin(e.w);
	for (feed = 1; feed <= sizeof(msg); feed++) {
		scan_mail(&e, &ms, msg, sizeof(msg) - 1, feed);
		if (feed == 1)
			fprintf(stderr, "%s\n", ms.h.log);
		assert_string_equal(ms.h.log, "2001:body@26 1002:headers@241 1003:attachment@2 "
					      "1001:attachment@79 ");
		assert_int_equal(ms.h.quarantine, 3);
	}
	scan_mail(&e, &ms, clean, sizeof(clean) - 1, 7);
	assert_string_equal(ms.h.log, "");
	env_down(&e);
}

static void
db_on_a_numa_socket(void **state)
{
	struct mt_scan_params prm = { SOCKET_ID_ANY, NULL, NULL };
	const char *text = "id=1 pattern=/numa/\n";
	struct mt_scan_db *db;
	struct mt_err err;
	struct env e;
	struct hits h;

	(void)state;
	assert_int_equal(mt_scan_db_load_buf("n.rules", text, strlen(text), &prm, &db, &err), 0);
	assert_true(mt_scan_db_bytes(db) > 0);
	memset(&e, 0, sizeof(e));
	e.h = mt_scan_handle_create(db, 1, &err);
	e.w = mt_scan_worker_create(e.h, 0, &err);
	e.db = mt_scan_mail_begin(e.w);
	scan1(&e, MT_SCAN_BODY, "on numa memory", &h);
	assert_string_equal(h.log, "1:body@7 ");
	env_down(&e);
}

/* ---- hot reload ------------------------------------------------------- */

struct rl {
	struct mt_scan_handle *h;
	atomic_int stop;
	atomic_uint mails;
	atomic_uint mails_new;   /* mails begun on the second db */
	atomic_uint wrong;       /* a mail matched a rule of the other db */
	atomic_int held_ok;      /* the mail held across the swap matched rule 1 */
	uint64_t gen_a;
};

static void
rl_match(void *ctx, const struct mt_scan_rule *r, enum mt_scan_scope scope, uint64_t off)
{
	unsigned *ids = ctx;

	(void)scope;
	(void)off;
	*ids |= 1u << r->id;
}

static void *
rl_worker(void *arg)
{
	struct rl *rl = arg;
	struct mt_err err;
	struct mt_scan_worker *w = mt_scan_worker_create(rl->h, 1, &err);
	struct mt_scan_db *held;
	struct mt_scan_stream hs;
	unsigned held_ids = 0;

	if (w == NULL)
		return NULL;
	/* a mail that starts on the first db and ends after the swap */
	held = mt_scan_mail_begin(w);
	mt_scan_stream_open(w, held, &hs, MT_SCAN_BODY, rl_match, &held_ids);
	mt_scan_stream_feed(w, &hs, "alp", 3);
	while (!atomic_load(&rl->stop)) {
		struct mt_scan_db *db;
		struct mt_scan_stream s;
		unsigned ids = 0;

		mt_scan_worker_refresh(w);
		db = mt_scan_mail_begin(w);
		mt_scan_stream_open(w, db, &s, MT_SCAN_BODY, rl_match, &ids);
		mt_scan_stream_feed(w, &s, "alpha ", 6);
		mt_scan_stream_feed(w, &s, "beta", 4);
		mt_scan_stream_close(w, &s);
		if (mt_scan_db_generation(db) == rl->gen_a) {
			if (ids != 1u << 1)
				atomic_fetch_add(&rl->wrong, 1);
		} else {
			if (ids != 1u << 2)
				atomic_fetch_add(&rl->wrong, 1);
			atomic_fetch_add(&rl->mails_new, 1);
		}
		mt_scan_mail_end(w, db);
		atomic_fetch_add(&rl->mails, 1);
	}
	mt_scan_stream_feed(w, &hs, "ha", 2);
	mt_scan_stream_close(w, &hs);
	atomic_store(&rl->held_ok, held_ids == 1u << 1);
	mt_scan_mail_end(w, held);
	mt_scan_worker_free(w);
	return NULL;
}

static void
reload_swaps_while_a_worker_scans(void **state)
{
	struct rl rl;
	struct mt_scan_db *a, *b;
	struct mt_err err;
	pthread_t t;
	unsigned before;

	(void)state;
	memset(&rl, 0, sizeof(rl));
	a = load("id=1 pattern=/alpha/\n");
	b = load("id=2 pattern=/beta/\n");
	rl.gen_a = mt_scan_db_generation(a);
	rl.h = mt_scan_handle_create(a, 4, &err);
	assert_non_null(rl.h);
	assert_int_equal(pthread_create(&t, NULL, rl_worker, &rl), 0);
	while (atomic_load(&rl.mails) < 1000)
		sched_yield();
	mt_scan_handle_swap(rl.h, b); /* returns once the worker has refreshed */
	before = atomic_load(&rl.mails);
	while (atomic_load(&rl.mails) < before + 1000)
		sched_yield();
	atomic_store(&rl.stop, 1);
	pthread_join(t, NULL);
	fprintf(stderr, "reload: %u mails, %u on the new rules, %u wrong\n",
		atomic_load(&rl.mails), atomic_load(&rl.mails_new), atomic_load(&rl.wrong));
	assert_int_equal(atomic_load(&rl.wrong), 0);
	assert_true(atomic_load(&rl.mails_new) >= 999);
	assert_int_equal(atomic_load(&rl.held_ok), 1);
	mt_scan_handle_free(rl.h);
}

/* ---- rate ------------------------------------------------------------- */

struct capture {
	uint8_t *p;
	size_t n;
};

static void
cap_data(void *ctx, const uint8_t *p, size_t n)
{
	struct capture *c = ctx;

	memcpy(c->p + c->n, p, n); /* dec is larger than the decoded mail */
	c->n += n;
}

static const struct mt_mime_ops cap_ops = { .part_data = cap_data };
static struct capture cap;

static void
decode_and_scan_rate_printout(void **state)
{
	static char msg[6 << 20];
	const char *path = "config/rules/default.rules";
	struct mt_scan_params prm = { MT_SCAN_SOCKET_HEAP, NULL, NULL };
	static uint8_t dec[5 << 20];
	struct mailscan ms;
	struct mt_err err;
	struct env e;
	struct timespec t0, t1;
	size_t k = 0, off, dlen = 0;
	double best_mail = 1e9, best_raw = 1e9;
	int rep;

	(void)state;
	k = mt_test_b64_mail(msg, 777, 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(mt_scan_db_load(&path, 1, &prm, &e.db, &err), 0);
	e.h = mt_scan_handle_create(e.db, 1, &err);
	e.w = mt_scan_worker_create(e.h, 0, &err);
	e.db = mt_scan_mail_begin(e.w);
	for (rep = 0; rep < 5; rep++) {
		double s;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		scan_mail(&e, &ms, msg, k, 1448);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		best_mail = MT_MIN(best_mail, s);
	}
	/* raw hs_scan_stream over the decoded octets, same db, same chunking */
	{
		struct mt_mime *m = (struct mt_mime *)mime_slot;
		struct mt_scan_stream s;
		struct hits h;

		/* the decoded octets of the same mail, all parts in a row */
		cap.p = dec;
		cap.n = 0;
		mt_mime_init(m, &cap_ops, &cap);
		mt_mime_feed(m, (const uint8_t *)msg, k);
		mt_mime_close(m);
		dlen = cap.n;
		for (rep = 0; rep < 5; rep++) {
			double sec;

			memset(&h, 0, sizeof(h));
			clock_gettime(CLOCK_MONOTONIC, &t0);
			mt_scan_stream_open(e.w, e.db, &s, MT_SCAN_ATTACHMENT, on_match, &h);
			for (off = 0; off < dlen; off += 4096)
				mt_scan_stream_feed(e.w, &s, dec + off, MT_MIN((size_t)4096, dlen - off));
			mt_scan_stream_close(e.w, &s);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			best_raw = MT_MIN(best_raw, sec);
		}
	}
	printf("# scan: %.1f MB base64 mail, default.rules (7 rules): mime decode + scan of "
	       "every scope %.0f MB/s of mail (best of 5, 1448-byte feeds, one core)\n",
	       (double)k / 1e6, (double)k / 1e6 / best_mail);
	printf("# scan: raw hs_scan_stream (attachment db) over the same %.1f MB decoded: "
	       "%.0f MB/s (4 KB feeds)\n",
	       (double)dlen / 1e6, (double)dlen / 1e6 / best_raw);
	env_down(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rule_errors_name_every_bad_line),
		cmocka_unit_test(default_rules_compile_and_check_files_reports),
		cmocka_unit_test(match_straddling_two_feeds_found_once),
		cmocka_unit_test(scope_filtering_and_any),
		cmocka_unit_test(caseless_flags_and_modifiers),
		cmocka_unit_test(quarantine_action_and_rule_fields),
		cmocka_unit_test(default_rules_fire_inside_encoded_parts),
		cmocka_unit_test(db_on_a_numa_socket),
		cmocka_unit_test(reload_swaps_while_a_worker_scans),
		cmocka_unit_test(decode_and_scan_rate_printout),
	};

	if (mt_test_eal_init("scan") < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
