/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mime.c - the streaming MIME parser.
 *
 * Every callback is recorded as text in rec.log: a part prints as
 *	part <index> d<depth> <scope> <type> [<filename>] <cte> f=<flags>
 *	|<decoded content, escaped>|
 * and header sections as "hdr d<depth> <octets>".  A test compares one
 * string, so a failure prints the whole recorded parse.  Split tests feed
 * the same message cut at every position (and byte by byte) and require
 * the very same record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mt_common.h"
#include "mt_mime.h"
#include "mt_test_mail.h"

struct rec {
	char log[65536];
	size_t len;
	char data[65536];
	size_t dlen;
	unsigned hdr_depth;
	size_t hdr_n;   /* header octets of the current run of header() calls */
	int in_hdr;
	int open;
	int bad;        /* nested or stray callbacks */
	uint64_t total; /* data octets (bench) */
	int quiet;      /* bench: count only */
};

static uint64_t slot[8192 / sizeof(uint64_t)];

static void logf_(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->log + r->len, sizeof(r->log) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len = MT_MIN(r->len + (size_t)n, sizeof(r->log) - 1);
}

static void
log_esc(struct rec *r, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)p[i];

		if (c == '\r')
			logf_(r, "\\r");
		else if (c == '\n')
			logf_(r, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			logf_(r, "\\x%02x", c);
		else
			logf_(r, "%c", c);
	}
}

static void
hdr_flush(struct rec *r)
{
	if (r->in_hdr)
		logf_(r, "hdr d%u %zu\n", r->hdr_depth, r->hdr_n);
	r->in_hdr = 0;
	r->hdr_n = 0;
}

static void
on_header(void *ctx, unsigned depth, const uint8_t *p, size_t n)
{
	struct rec *r = ctx;

	(void)p;
	if (r->quiet)
		return;
	if (r->open)
		r->bad++;
	if (r->in_hdr && r->hdr_depth != depth)
		hdr_flush(r);
	r->in_hdr = 1;
	r->hdr_depth = depth;
	r->hdr_n += n;
}

static void
on_begin(void *ctx, const struct mt_mime_part *pt)
{
	struct rec *r = ctx;

	if (r->open)
		r->bad++;
	r->open = 1;
	r->dlen = 0;
	if (r->quiet)
		return;
	hdr_flush(r);
	logf_(r, "part %u d%u %s %s%s%s%s %s", pt->index, pt->depth,
	      mt_mime_scope_str(pt->scope), pt->type[0] ? pt->type : "-",
	      pt->filename[0] ? " [" : "", pt->filename, pt->filename[0] ? "]" : "",
	      pt->cte == MT_MIME_CTE_BASE64 ? "b64" : pt->cte == MT_MIME_CTE_QP ? "qp" : "id");
}

static void
on_data(void *ctx, const uint8_t *p, size_t n)
{
	struct rec *r = ctx;

	if (!r->open || n == 0)
		r->bad++;
	r->total += n;
	if (r->quiet)
		return;
	n = MT_MIN(n, sizeof(r->data) - r->dlen);
	memcpy(r->data + r->dlen, p, n);
	r->dlen += n;
}

static void
on_end(void *ctx, const struct mt_mime_part *pt)
{
	struct rec *r = ctx;
	uint32_t f;

	if (!r->open || pt->data_len != (r->quiet ? pt->data_len : r->dlen))
		r->bad++;
	r->open = 0;
	if (r->quiet)
		return;
	logf_(r, " f=");
	for (f = pt->flags; f; f &= f - 1)
		logf_(r, "%s%s", mt_mime_flag_str(f & -f), (f & (f - 1)) ? "," : "");
	logf_(r, "\n|");
	log_esc(r, r->data, r->dlen);
	logf_(r, "|\n");
}

static const struct mt_mime_ops ops = {
	.header = on_header,
	.part_begin = on_begin,
	.part_data = on_data,
	.part_end = on_end,
};

static void
rec_done(struct rec *r, struct mt_mime *m)
{
	uint32_t f;

	mt_mime_close(m);
	hdr_flush(r);
	logf_(r, "msg f=");
	for (f = mt_mime_flags(m); f; f &= f - 1)
		logf_(r, "%s%s", mt_mime_flag_str(f & -f), (f & (f - 1)) ? "," : "");
	logf_(r, "\n");
}

/* Parse msg cut at the offsets in cuts[0..ncut) (ascending). */
static void
parse_cuts(struct rec *r, const char *msg, size_t n, const size_t *cuts, size_t ncut)
{
	struct mt_mime *m = (struct mt_mime *)slot;
	size_t off = 0, i;

	memset(r, 0, sizeof(*r));
	assert_true(mt_mime_size() <= sizeof(slot));
	mt_mime_init(m, &ops, r);
	for (i = 0; i <= ncut; i++) {
		size_t end = i < ncut ? cuts[i] : n;

		mt_mime_feed(m, (const uint8_t *)msg + off, end - off);
		off = end;
	}
	rec_done(r, m);
	if (r->bad)
		fprintf(stderr, "bad callbacks in:\n%s", r->log);
	assert_int_equal(r->bad, 0);
}

static struct rec R, R2;

static void
parse(struct rec *r, const char *msg)
{
	parse_cuts(r, msg, strlen(msg), NULL, 0);
}

/* Same record for: every 2-way cut, every 3-way cut (if all3), byte by byte. */
static void
check_splits(const char *msg, int all3)
{
	size_t n = strlen(msg), i, j, cuts[2];
	struct mt_mime *m = (struct mt_mime *)slot;

	parse(&R, msg);
	for (i = 0; i <= n; i++) {
		cuts[0] = i;
		parse_cuts(&R2, msg, n, cuts, 1);
		if (strcmp(R.log, R2.log) != 0)
			fprintf(stderr, "cut at %zu:\n%s\nwhole:\n%s", i, R2.log, R.log);
		assert_string_equal(R.log, R2.log);
		for (j = i; all3 && j <= n; j++) {
			cuts[1] = j;
			parse_cuts(&R2, msg, n, cuts, 2);
			if (strcmp(R.log, R2.log) != 0)
				fprintf(stderr, "cuts at %zu,%zu:\n%s\nwhole:\n%s", i, j, R2.log,
					R.log);
			assert_string_equal(R.log, R2.log);
		}
	}
	memset(&R2, 0, sizeof(R2));
	mt_mime_init(m, &ops, &R2);
	for (i = 0; i < n; i++)
		mt_mime_feed(m, (const uint8_t *)msg + i, 1);
	rec_done(&R2, m);
	assert_string_equal(R.log, R2.log);
}

static void
expect(const char *msg, const char *want)
{
	parse(&R, msg);
	if (strcmp(R.log, want) != 0)
		fprintf(stderr, "got:\n%s\nwant:\n%s", R.log, want);
	assert_string_equal(R.log, want);
}

/* ---- messages ------------------------------------------------------- */

static const char nested[] =
	"From: a@example.org\r\n"
	"Subject: nested\r\n"
	"Content-Type: multipart/mixed;\r\n"
	"\tboundary=\"outer\"\r\n"
	"\r\n"
	"preamble text\r\n"
	"--outer\r\n"
	"Content-Type: multipart/alternative; boundary=inner\r\n"
	"\r\n"
	"--inner\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"caf=C3=A9 soft=\r\n"
	"break\r\n"
	"--inner\r\n"
	"Content-Type: text/html\r\n"
	"\r\n"
	"<p>hi</p>\r\n"
	"--inner--\r\n"
	"\r\n"
	"--outer\r\n"
	"Content-Type: application/octet-stream; name=\"ignored.bin\"\r\n"
	"Content-Disposition: attachment; filename=\"eicar.com\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"WDVPIVAlQEFQWzRcUFpYNTQoUF4p\r\n"
	"N0NDKTd9JEVJQ0FSLVNUQU5EQVJE\r\n"
	"LUFOVElWSVJVUy1URVNULUZJTEUh\r\n"
	"--outer--\r\n";

static const char nested_want[] =
	"hdr d0 91\n"
	"part 0 d0 body - id f=preamble\n"
	"|preamble text|\n"
	"hdr d1 55\n"
	"hdr d2 88\n"
	"part 1 d2 body text/plain qp f=\n"
	"|caf\\xc3\\xa9 softbreak|\n"
	"hdr d2 27\n"
	"part 2 d2 body text/html id f=\n"
	"|<p>hi</p>|\n"
	"hdr d1 152\n"
	"part 3 d1 attachment application/octet-stream [eicar.com] b64 f=\n"
	"|X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!|\n"
	"msg f=\n";

static void
nested_multipart_parts_scopes_and_decoding(void **state)
{
	(void)state;
	expect(nested, nested_want);
}

static void
nested_multipart_same_at_every_split(void **state)
{
	(void)state;
	check_splits(nested, 0);
}

static const char small[] =
	"Content-Type: multipart/mixed; boundary=b\r\n"
	"\r\n"
	"--b\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n"
	"--b\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"a=3Db=\r\nc =\r\n"
	"--b--\r\n";

static void
small_message_same_at_every_two_cuts(void **state)
{
	(void)state;
	expect(small,
	       "hdr d0 45\n"
	       "hdr d1 37\n"
	       "part 0 d1 body text/plain b64 f=\n"
	       "|hello world|\n"
	       "hdr d1 47\n"
	       "part 1 d1 body text/plain qp f=\n"
	       "|a=bc =|\n"
	       "msg f=\n");
	check_splits(small, 1);
}

static void
plain_message_passes_through(void **state)
{
	(void)state;
	expect("Subject: x\r\n folded\r\n\r\nline1\r\n--not a boundary\r\n",
	       "hdr d0 23\n"
	       "part 0 d0 body text/plain id f=\n"
	       "|line1\\r\\n--not a boundary\\r\\n|\n"
	       "msg f=\n");
	/* bare LF line ends */
	expect("Content-Type: multipart/mixed; boundary=\"x y\"\n\n--x y\n\nA\n--x y--\n",
	       "hdr d0 47\n"
	       "hdr d1 1\n"
	       "part 0 d1 body text/plain id f=\n"
	       "|A|\n"
	       "msg f=\n");
}

static void
base64_decoded_across_every_split(void **state)
{
	char msg[4096];
	size_t k = 0, i;

	(void)state;
	k += (size_t)sprintf(msg, "Content-Type: image/png\r\nContent-Transfer-Encoding: Base64\r\n\r\n");
	/* 0..255 encoded, 76 per line */
	{
		static const char tab[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		uint8_t in[256];
		size_t o = 0, col = 0;

		for (i = 0; i < 256; i++)
			in[i] = (uint8_t)i;
		for (i = 0; i < 256; i += 3) {
			uint32_t w = (uint32_t)in[i] << 16 |
				     (i + 1 < 256 ? (uint32_t)in[i + 1] << 8 : 0) |
				     (i + 2 < 256 ? in[i + 2] : 0);
			msg[k + o++] = tab[w >> 18];
			msg[k + o++] = tab[(w >> 12) & 63];
			msg[k + o++] = i + 1 < 256 ? tab[(w >> 6) & 63] : '=';
			msg[k + o++] = i + 2 < 256 ? tab[w & 63] : '=';
			if ((col += 4) == 76) {
				msg[k + o++] = '\r';
				msg[k + o++] = '\n';
				col = 0;
			}
		}
		k += o;
		msg[k] = '\0';
	}
	parse(&R, msg);
	assert_int_equal(R.dlen, 256);
	for (i = 0; i < 256; i++)
		assert_int_equal((uint8_t)R.data[i], i);
	check_splits(msg, 0);
}

static void
quoted_printable_soft_breaks_and_bad_escapes(void **state)
{
	(void)state;
	expect("Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	       "a=\r\nb= \t\r\nc=4a=4A=zz=4\r\n=\r\n=",
	       "hdr d0 47\n"
	       "part 0 d0 body text/plain qp f=bad_qp\n"
	       "|abcJJ=zz=4\\r\\n=|\n"
	       "msg f=bad_qp\n");
	check_splits("Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		     "a=\r\nb= \t\r\nc=4a=4A=zz=4\r\n=\r\n=", 1);
}

static void
filenames_rfc2231_2047_and_precedence(void **state)
{
	(void)state;
	expect("Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n"
	       "--=_b\r\n"
	       "Content-Disposition: attachment;\r\n"
	       " filename*=UTF-8''%E2%82%AC%20rates.exe\r\n\r\n"
	       "x\r\n"
	       "--=_b\r\n"
	       "Content-Type: application/pdf;\r\n name*0=\"very long \";\r\n name*1=\"name.pdf\"\r\n\r\n"
	       "y\r\n"
	       "--=_b\r\n"
	       "Content-Type: text/plain; name=\"=?UTF-8?B?w6l0w6kuZG9j?= =?utf-8?q?_x=2Edoc?=\"\r\n\r\n"
	       "z\r\n"
	       "--=_b\r\n"
	       "Content-Type: text/plain; name=a.txt\r\n"
	       "Content-Disposition: inline; filename*0*=us-ascii'en'b%2E; filename*1=\"exe\"\r\n\r\n"
	       "w\r\n"
	       "--=_b--\r\n",
	       "hdr d0 49\n"
	       "hdr d1 77\n"
	       "part 0 d1 attachment text/plain [\xe2\x82\xac rates.exe] id f=\n"
	       "|x|\n"
	       "hdr d1 77\n"
	       "part 1 d1 attachment application/pdf [very long name.pdf] id f=\n"
	       "|y|\n"
	       "hdr d1 82\n"
	       "part 2 d1 attachment text/plain [\xc3\xa9t\xc3\xa9.doc x.doc] id f=\n"
	       "|z|\n"
	       "hdr d1 117\n"
	       "part 3 d1 attachment text/plain [b.exe] id f=\n"
	       "|w|\n"
	       "msg f=\n");
}

static void
multipart_without_boundary_is_one_raw_part(void **state)
{
	(void)state;
	expect("Content-Type: multipart/mixed\r\n\r\n--x\r\nhidden\r\n--x--\r\n",
	       "hdr d0 33\n"
	       "part 0 d0 body multipart/mixed id f=no_boundary\n"
	       "|--x\\r\\nhidden\\r\\n--x--\\r\\n|\n"
	       "msg f=no_boundary\n");
}

static void
boundary_never_seen_goes_out_as_preamble(void **state)
{
	(void)state;
	expect("Content-Type: multipart/mixed; boundary=zz\r\n\r\n--x\r\nsecret\r\n",
	       "hdr d0 46\n"
	       "part 0 d0 body - id f=preamble\n"
	       "|--x\\r\\nsecret\\r\\n|\n"
	       "msg f=boundary_missing\n");
}

static void
missing_close_delimiter_is_flagged(void **state)
{
	(void)state;
	/* the inner multipart never closes; the outer boundary still ends it */
	expect("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	       "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
	       "--i\r\n\r\nin\r\n"
	       "--o\r\n\r\nafter\r\n",
	       "hdr d0 45\n"
	       "hdr d1 45\n"
	       "hdr d2 2\n"
	       "part 0 d2 body text/plain id f=\n"
	       "|in|\n"
	       "hdr d1 2\n"
	       "part 1 d1 body text/plain id f=\n"
	       "|after\\r\\n|\n"
	       "msg f=unterminated\n");
}

static void
bad_base64_goes_raw_from_the_bad_character(void **state)
{
	(void)state;
	expect("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8g\r\nd2!!not base64\r\n",
	       "hdr d0 37\n"
	       "part 0 d0 body text/plain b64 f=bad_base64\n"
	       "|hello d2!!not base64\\r\\n|\n"
	       "msg f=bad_base64\n");
	/* a lone trailing character */
	expect("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd\r\n",
	       "hdr d0 37\n"
	       "part 0 d0 body text/plain b64 f=bad_base64\n"
	       "|hello d|\n"
	       "msg f=bad_base64\n");
}

static void
non_header_line_starts_the_body(void **state)
{
	(void)state;
	expect("Subject: x\r\nHello world: this is body\r\nmore\r\n",
	       "hdr d0 18\n"
	       "part 0 d0 body text/plain id f=bad_header\n"
	       "|Hello world: this is body\\r\\nmore\\r\\n|\n"
	       "msg f=bad_header\n");
	check_splits("Subject: x\r\nHello world: this is body\r\nmore\r\n", 1);
}

/* Found by the fuzzer: a re-read line staged in the output buffer, then a
 * large slice passed straight through, came out in the wrong order. */
static void
reread_line_then_large_slice_keeps_order(void **state)
{
	static char msg[8192];
	size_t k;

	(void)state;
	k = (size_t)sprintf(msg, "Subject: x\r\n--b\r\n");
	memset(msg + k, 'A', 5000);
	msg[k + 5000] = '\0';
	parse(&R, msg);
	assert_non_null(strstr(R.log, "|--b\\r\\nAAAA"));
	check_splits(msg, 0);
}

static void
nesting_beyond_limit_is_raw_and_flagged(void **state)
{
	char msg[8192];
	size_t k = 0;
	int i;

	(void)state;
	for (i = 0; i < MT_MIME_DEPTH_MAX + 2; i++)
		k += (size_t)sprintf(msg + k,
				     "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n",
				     i, i);
	k += (size_t)sprintf(msg + k, "\r\ndeep text\r\n");
	for (i = MT_MIME_DEPTH_MAX + 1; i >= 0; i--)
		k += (size_t)sprintf(msg + k, "--b%d--\r\n", i);
	parse(&R, msg);
	assert_non_null(strstr(R.log, "part 0 d8 body multipart/mixed id f=depth\n"
				      "|--b8\\r\\nContent-Type: multipart/mixed; boundary=b9\\r\\n\\r\\n"
				      "--b9\\r\\n\\r\\ndeep text\\r\\n--b9--\\r\\n--b8--|\n"));
	assert_non_null(strstr(R.log, "msg f=depth\n"));
	check_splits(msg, 0);
}

static void
embedded_message_is_parsed(void **state)
{
	(void)state;
	expect("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b\r\nContent-Type: message/rfc822\r\n\r\n"
	       "Subject: inner\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n"
	       "--b--\r\n",
	       "hdr d0 45\n"
	       "hdr d1 32\n"
	       "hdr d2 43\n"
	       "part 0 d2 body text/html id f=\n"
	       "|<b>x</b>|\n"
	       "msg f=\n");
}

static void
header_only_and_empty_messages(void **state)
{
	(void)state;
	expect("", "msg f=\n");
	expect("Subject: x\r\n", "hdr d0 12\nmsg f=\n");
	expect("\r\nbody", "hdr d0 2\npart 0 d0 body text/plain id f=\n|body|\nmsg f=\n");
}

/* ---- rate ------------------------------------------------------------ */

static void
decode_rate_printout(void **state)
{
	static char msg[6 << 20];
	struct mt_mime *m = (struct mt_mime *)slot;
	struct timespec t0, t1;
	size_t k = 0, raw, off;
	double best = 1e9;
	int rep;

	(void)state;
	k = mt_test_b64_mail(msg, 12345, 1);
	raw = k;
	for (rep = 0; rep < 5; rep++) {
		double s;

		memset(&R, 0, sizeof(R));
		R.quiet = 1;
		mt_mime_init(m, &ops, &R);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (off = 0; off < raw; off += 1448)
			mt_mime_feed(m, (const uint8_t *)msg + off, MT_MIN((size_t)1448, raw - off));
		mt_mime_close(m);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		best = MT_MIN(best, s);
		assert_int_equal(R.bad, 0);
		if (mt_mime_flags(m))
			printf("flags %x\n", mt_mime_flags(m));
		assert_int_equal(mt_mime_flags(m), 0);
	}
	printf("# mime: %.1f MB base64 mail in 1448-byte feeds -> %.1f MB decoded: "
	       "%.0f MB/s (input, best of 5, one core)\n",
	       (double)raw / 1e6, (double)R.total / 1e6, (double)raw / 1e6 / best);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nested_multipart_parts_scopes_and_decoding),
		cmocka_unit_test(nested_multipart_same_at_every_split),
		cmocka_unit_test(small_message_same_at_every_two_cuts),
		cmocka_unit_test(plain_message_passes_through),
		cmocka_unit_test(base64_decoded_across_every_split),
		cmocka_unit_test(quoted_printable_soft_breaks_and_bad_escapes),
		cmocka_unit_test(filenames_rfc2231_2047_and_precedence),
		cmocka_unit_test(multipart_without_boundary_is_one_raw_part),
		cmocka_unit_test(boundary_never_seen_goes_out_as_preamble),
		cmocka_unit_test(missing_close_delimiter_is_flagged),
		cmocka_unit_test(bad_base64_goes_raw_from_the_bad_character),
		cmocka_unit_test(non_header_line_starts_the_body),
		cmocka_unit_test(reread_line_then_large_slice_keeps_order),
		cmocka_unit_test(nesting_beyond_limit_is_raw_and_flagged),
		cmocka_unit_test(embedded_message_is_parsed),
		cmocka_unit_test(header_only_and_empty_messages),
		cmocka_unit_test(decode_rate_printout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
