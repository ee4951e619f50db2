/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scanstage.c - bench only: the scan stage as mailtapd runs it, next to
 * raw Hyperscan over the same bytes with the same databases, in one process
 * (issue 5).  No EAL.
 *
 *	scanstage --rules FILE [--runs R] [--piece N] TRUTHDIR...
 *
 * Input: every true mail of the truth dirs (m*.eml: the message octets
 * as mailtapd spools them, dot-unstuffed), loaded in memory first.
 *
 *	stage       the scan stage of lib/session: per mail, mt_scan_mail_begin,
 *	            a "headers" stream, lib/mime's streaming parser fed the
 *	            message in N-octet pieces (default 1448, one TCP segment),
 *	            header() into the headers stream, one body/attachment
 *	            stream per leaf part fed the decoded part_data(), then
 *	            mt_mime_close, the closes and mt_scan_mail_end; through
 *	            lib/scan (per-scope databases, per-worker stream cache).
 *	            The envelope stream is left out (a few dozen octets per
 *	            mail; no envelope rule in default.rules).
 *	mime_only   the same parse with no-op callbacks: the MIME share.
 *	raw_decoded hs_scan_stream directly (no lib/scan, no lib/mime) over the
 *	            streams the stage scanned - each mail's header octets on the
 *	            headers database, each part's decoded octets on its scope's
 *	            database - recorded once beforehand, fed in N-octet pieces,
 *	            one hs_stream_t per scope reused with hs_reset_stream.  The
 *	            databases are compiled here from the loaded rules exactly as
 *	            lib/scan compiles them (hs_compile_multi, HS_MODE_STREAM,
 *	            ids = rule index, same flags), so they are the same
 *	            databases; the match counts must agree with the stage's.
 *	raw_message hs_scan_stream over the undecoded message octets, one stream
 *	            per mail per database (headers, body and attachment scopes,
 *	            each over the whole message): scanning without MIME.
 *	            raw_msg_body: the body database alone over the message
 *	            (the limits program's hs_body, at this piece size).
 *
 * Every repetition runs all measurements back to back; each line gives the
 * median over the R repetitions (default 3) and every repetition's time:
 *	NAME s=MEDIAN bytes=... matches=... all=T1,T2,...
 * then the ratios, medians of the per-repetition ratios:
 *	ratio stage/raw_decoded=...  stage/raw_message=...  mime_only/stage=...
 * bytes= is what each measurement reads: message octets (stage, mime_only,
 * raw_message per database pass) or decoded octets (raw_decoded).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <hs/hs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "mt_mime.h"
#include "mt_scan.h"

/* ---- the stage (what lib/session does per mail) ---------------------- */

static struct mt_scan_worker *W;
static struct mt_scan_db *mdb;                 /* the current mail's db */
static struct mt_scan_stream hdr_st, part_st;
static uint64_t stage_matches;

static void
on_match(void *ctx, const struct mt_scan_rule *rule, enum mt_scan_scope scope, uint64_t off)
{
	(void)ctx;
	(void)rule;
	(void)scope;
	(void)off;
	stage_matches++;
}

static void
st_header(void *ctx, unsigned depth, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)depth;
	mt_scan_stream_feed(W, &hdr_st, p, n);
}

static void
st_part_begin(void *ctx, const struct mt_mime_part *part)
{
	(void)ctx;
	mt_scan_stream_open(W, mdb, &part_st,
			    part->scope == MT_MIME_SCOPE_ATTACHMENT ? MT_SCAN_ATTACHMENT : MT_SCAN_BODY,
			    on_match, NULL);
}

static void
st_part_data(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	mt_scan_stream_feed(W, &part_st, p, n);
}

static void
st_part_end(void *ctx, const struct mt_mime_part *part)
{
	(void)ctx;
	(void)part;
	mt_scan_stream_close(W, &part_st);
}

static const struct mt_mime_ops stage_ops = {
	.header = st_header,
	.part_begin = st_part_begin,
	.part_data = st_part_data,
	.part_end = st_part_end,
};

static const struct mt_mime_ops null_ops = { 0 };

/* ---- recording the decoded streams (once, not timed) ------------------ */

struct rec {              /* one stream: scope, octets in the record area */
	uint8_t scope;
	size_t off, len;
};
static uint8_t *area;
static size_t area_len, area_cap;
static struct rec *recs;
static size_t nrecs, recs_cap;
static uint8_t *hbuf;     /* this mail's header octets */
static size_t hlen, hcap;
static struct rec cur;
static size_t decbytes;

static void
grow(uint8_t **b, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	*cap = need * 2 > (1u << 20) ? need * 2 : (1u << 20);
	*b = realloc(*b, *cap);
	if (!*b)
		die("out of memory");
}

static void
rec_push(uint8_t scope, const uint8_t *p, size_t n)
{
	if (nrecs == recs_cap) {
		recs_cap = recs_cap ? recs_cap * 2 : 65536;
		recs = realloc(recs, recs_cap * sizeof(*recs));
		if (!recs)
			die("out of memory");
	}
	grow(&area, &area_cap, area_len + n);
	memcpy(area + area_len, p, n);
	recs[nrecs].scope = scope;
	recs[nrecs].off = area_len;
	recs[nrecs].len = n;
	area_len += n;
	decbytes += n;
	nrecs++;
}

static void
rc_header(void *ctx, unsigned depth, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)depth;
	grow(&hbuf, &hcap, hlen + n);
	memcpy(hbuf + hlen, p, n);
	hlen += n;
}

static void
rc_part_begin(void *ctx, const struct mt_mime_part *part)
{
	(void)ctx;
	cur.scope = part->scope == MT_MIME_SCOPE_ATTACHMENT ? MT_SCAN_ATTACHMENT : MT_SCAN_BODY;
	cur.off = area_len;
	cur.len = 0;
}

static void
rc_part_data(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	grow(&area, &area_cap, area_len + n);
	memcpy(area + area_len, p, n);
	area_len += n;
	cur.len += n;
}

static void
rc_part_end(void *ctx, const struct mt_mime_part *part)
{
	(void)ctx;
	(void)part;
	if (nrecs == recs_cap) {
		recs_cap = recs_cap ? recs_cap * 2 : 65536;
		recs = realloc(recs, recs_cap * sizeof(*recs));
		if (!recs)
			die("out of memory");
	}
	recs[nrecs++] = cur;
	decbytes += cur.len;
}

static const struct mt_mime_ops rec_ops = {
	.header = rc_header,
	.part_begin = rc_part_begin,
	.part_data = rc_part_data,
	.part_end = rc_part_end,
};

/* ---- raw Hyperscan ---------------------------------------------------- */

static hs_database_t *hdb[MT_SCAN__SCOPES];
static hs_stream_t *hst[MT_SCAN__SCOPES];
static hs_scratch_t *scratch;
static uint64_t raw_matches;

static int
raw_cb(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(void)ctx;
	raw_matches++;
	return 0;
}

/* The per-scope databases, compiled as lib/scan compiles them. */
static void
raw_compile(struct mt_scan_db *db)
{
	unsigned n = mt_scan_db_rule_count(db), sc, i, k;
	const char **expr = calloc(n + 1, sizeof(*expr));
	unsigned *flags = calloc(n + 1, sizeof(*flags)), *ids = calloc(n + 1, sizeof(*ids));

	if (!expr || !flags || !ids)
		die("out of memory");
	for (sc = 0; sc < MT_SCAN__SCOPES; sc++) {
		hs_compile_error_t *ce = NULL;

		for (i = k = 0; i < n; i++) {
			const struct mt_scan_rule *r = mt_scan_db_rule(db, i);

			if (!(r->scopes & (1u << sc)))
				continue;
			expr[k] = r->pattern;
			flags[k] = r->hs_flags;
			ids[k] = i;
			k++;
		}
		if (k == 0)
			continue;
		if (hs_compile_multi(expr, flags, ids, k, HS_MODE_STREAM, NULL, &hdb[sc], &ce) !=
		    HS_SUCCESS)
			die(ce ? ce->message : "hs_compile_multi");
		if (hs_alloc_scratch(hdb[sc], &scratch) != HS_SUCCESS ||
		    hs_open_stream(hdb[sc], 0, &hst[sc]) != HS_SUCCESS)
			die("hs scratch/stream");
	}
	free(expr);
	free(flags);
	free(ids);
}

/* One stream of n octets on scope sc's database, in pieces. */
static void
raw_stream(unsigned sc, const uint8_t *p, size_t n, size_t piece)
{
	size_t s;

	if (!hdb[sc])
		return;
	for (s = 0; s < n; s += piece)
		if (hs_scan_stream(hst[sc], (const char *)p + s,
				   (unsigned)(n - s < piece ? n - s : piece), 0, scratch, raw_cb,
				   NULL) != HS_SUCCESS)
			die("hs_scan_stream");
	if (hs_reset_stream(hst[sc], 0, scratch, raw_cb, NULL) != HS_SUCCESS)
		die("hs_reset_stream");
}

static void
on_error(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "scanstage: %s\n", msg);
}

static void
feed_pieces(struct mt_mime *m, const struct mail *ml, size_t piece)
{
	size_t s;

	for (s = 0; s < ml->len; s += piece)
		mt_mime_feed(m, ml->p + s, ml->len - s < piece ? ml->len - s : piece);
}

static void
print_row(const char *name, const double *t, int runs, uint64_t bytes, uint64_t matches)
{
	int i;

	printf("%s s=%.4f bytes=%lu matches=%lu all=", name, median(t, runs),
	       (unsigned long)bytes, (unsigned long)matches);
	for (i = 0; i < runs; i++)
		printf("%s%.4f", i ? "," : "", t[i]);
	printf("\n");
}

int
main(int argc, char **argv)
{
	bench_prog = "scanstage";
	const char *rules = NULL;
	int runs = 3, i, c;
	size_t piece = 1448, k;
	double t_stage[MAXRUNS], t_mime[MAXRUNS], t_rawdec[MAXRUNS], t_rawmsg[MAXRUNS],
		t_rawbody[MAXRUNS], r1[MAXRUNS], r2[MAXRUNS], r3[MAXRUNS];
	uint64_t m_stage = 0, m_rawdec = 0, m_rawmsg = 0, m_rawbody = 0;
	unsigned nscopes = 0, sc;
	struct mt_scan_params prm = { MT_SCAN_SOCKET_HEAP, on_error, NULL };
	struct mt_scan_db *db;
	struct mt_scan_handle *h;
	struct mt_err err;
	struct mt_mime *mime;
	const char *paths[1];
	static const struct option lo[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "runs", required_argument, NULL, 'n' },
		{ "piece", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};

	while ((c = getopt_long(argc, argv, "r:n:p:", lo, NULL)) != -1) {
		if (c == 'r')
			rules = optarg;
		else if (c == 'n')
			runs = atoi(optarg);
		else if (c == 'p')
			piece = (size_t)atol(optarg);
		else
			return 2;
	}
	if (!rules || runs < 1 || runs > MAXRUNS || piece < 1 || optind >= argc) {
		fprintf(stderr, "usage: scanstage --rules FILE [--runs 1..%d] [--piece N] "
			"TRUTHDIR...\n", MAXRUNS);
		return 2;
	}
	for (i = optind; i < argc; i++)
		load_truth(argv[i]);

	paths[0] = rules;
	if (mt_scan_db_load(paths, 1, &prm, &db, &err) < 0)
		die(err.msg);
	raw_compile(db);
	for (sc = 0; sc < MT_SCAN__SCOPES; sc++)
		nscopes += hdb[sc] != NULL;
	h = mt_scan_handle_create(db, 1, &err);
	if (!h)
		die(err.msg);
	W = mt_scan_worker_create(h, 0, &err);
	if (!W)
		die(err.msg);
	mime = aligned_alloc(64, (mt_mime_size() + 63) & ~(size_t)63);
	if (!mime)
		die("out of memory");

	/* Record what the stage scans, per stream (not timed). */
	for (k = 0; k < nmails; k++) {
		hlen = 0;
		mt_mime_init(mime, &rec_ops, NULL);
		feed_pieces(mime, &mails[k], piece);
		mt_mime_close(mime);
		rec_push(MT_SCAN_HEADERS, hbuf, hlen);
	}

	for (i = 0; i < runs; i++) {
		double t0;

		/* (a) the stage */
		stage_matches = 0;
		t0 = now();
		for (k = 0; k < nmails; k++) {
			mdb = mt_scan_mail_begin(W);
			mt_scan_stream_open(W, mdb, &hdr_st, MT_SCAN_HEADERS, on_match, NULL);
			mt_mime_init(mime, &stage_ops, NULL);
			feed_pieces(mime, &mails[k], piece);
			mt_mime_close(mime);
			mt_scan_stream_close(W, &part_st);
			mt_scan_stream_close(W, &hdr_st);
			mt_scan_mail_end(W, mdb);
		}
		t_stage[i] = now() - t0;
		m_stage = stage_matches;

		/* the MIME parse alone */
		t0 = now();
		for (k = 0; k < nmails; k++) {
			mt_mime_init(mime, &null_ops, NULL);
			feed_pieces(mime, &mails[k], piece);
			mt_mime_close(mime);
		}
		t_mime[i] = now() - t0;

		/* (b) raw hs_scan_stream over the decoded streams */
		raw_matches = 0;
		t0 = now();
		for (k = 0; k < nrecs; k++)
			raw_stream(recs[k].scope, area + recs[k].off, recs[k].len, piece);
		t_rawdec[i] = now() - t0;
		m_rawdec = raw_matches;

		/* (c) raw hs_scan_stream over the undecoded messages, every
		 * content database */
		raw_matches = 0;
		t0 = now();
		for (k = 0; k < nmails; k++)
			for (sc = MT_SCAN_HEADERS; sc <= MT_SCAN_ATTACHMENT; sc++)
				raw_stream(sc, mails[k].p, mails[k].len, piece);
		t_rawmsg[i] = now() - t0;
		m_rawmsg = raw_matches;

		raw_matches = 0;
		t0 = now();
		for (k = 0; k < nmails; k++)
			raw_stream(MT_SCAN_BODY, mails[k].p, mails[k].len, piece);
		t_rawbody[i] = now() - t0;
		m_rawbody = raw_matches;

		r1[i] = t_stage[i] / t_rawdec[i];
		r2[i] = t_stage[i] / t_rawmsg[i];
		r3[i] = t_mime[i] / t_stage[i];
		fprintf(stderr, "scanstage: rep %d: stage %.3f mime %.3f raw_decoded %.3f "
			"raw_message %.3f s\n", i + 1, t_stage[i], t_mime[i], t_rawdec[i],
			t_rawmsg[i]);
	}
	printf("input mails=%zu message_bytes=%zu decoded_bytes=%zu streams=%zu piece=%zu "
	       "scopes_with_rules=%u rules=%u\n", nmails, mailbytes, decbytes, nrecs, piece,
	       nscopes, mt_scan_db_rule_count(db));
	print_row("stage", t_stage, runs, mailbytes, m_stage);
	print_row("mime_only", t_mime, runs, mailbytes, 0);
	print_row("raw_decoded", t_rawdec, runs, decbytes, m_rawdec);
	print_row("raw_message", t_rawmsg, runs, mailbytes, m_rawmsg);
	print_row("raw_msg_body", t_rawbody, runs, mailbytes, m_rawbody);
	printf("ratio stage/raw_decoded=%.3f stage/raw_message=%.3f mime_only/stage=%.3f\n",
	       median(r1, runs), median(r2, runs), median(r3, runs));
	if (m_stage != m_rawdec)
		fprintf(stderr, "scanstage: WARNING: stage matches %lu != raw_decoded %lu\n",
			(unsigned long)m_stage, (unsigned long)m_rawdec);

	mt_scan_worker_free(W);
	mt_scan_handle_free(h);
	for (sc = 0; sc < MT_SCAN__SCOPES; sc++) {
		if (hst[sc])
			hs_close_stream(hst[sc], scratch, NULL, NULL);
		hs_free_database(hdb[sc]);
	}
	hs_free_scratch(scratch);
	return 0;
}
