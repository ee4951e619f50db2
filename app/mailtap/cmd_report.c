/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtap probe report [--html OUT.html] [--examples N] FILE
 *
 * The survey of a `mailtap probe --output FILE` run, in the manner of the
 * MailChannels article (../shared/MISSION.md, source 2): what the domains
 * are (answered, no MX, null MX, NXDOMAIN, no address, dead, DNS error),
 * the software of each answering domain's first reachable MX host by
 * product and by family, the share identified, why the rest is unknown,
 * and the same per unique host address.  --html writes one self-contained
 * page (inline CSS and SVG, no script, no external resource).
 * Exit: 0; 1 FILE unreadable or no record in it; 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_client.h"

int cmd_report(int argc, char **argv);

struct tally {
	char *name;
	char *extra; /* family of a product */
	unsigned long n;
};

struct tallies {
	struct tally *t;
	size_t n, cap;
};

static struct tally *
tally_add(struct tallies *ts, const char *name, const char *extra)
{
	for (size_t i = 0; i < ts->n; i++)
		if (strcmp(ts->t[i].name, name) == 0) {
			ts->t[i].n++;
			return &ts->t[i];
		}
	if (ts->n == ts->cap) {
		size_t nc = ts->cap ? ts->cap * 2 : 16;
		struct tally *nt = realloc(ts->t, nc * sizeof(*nt));

		if (!nt)
			return NULL;
		ts->t = nt;
		ts->cap = nc;
	}
	ts->t[ts->n] = (struct tally){ strdup(name), strdup(extra ? extra : ""), 1 };
	return &ts->t[ts->n++];
}

static int
tally_cmp(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void
tallies_free(struct tallies *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		free(ts->t[i].name);
		free(ts->t[i].extra);
	}
	free(ts->t);
}

/* Domain statuses, in report order. */
static const struct {
	const char *status;
	const char *label;
} statuses[] = {
	{ "ok", "a mail server answered" },
	{ "dead", "dead: no MX host answered on the port" },
	{ "no_address", "MX hosts without an address" },
	{ "null_mx", "null MX (\"0 .\", RFC 7505): no mail service" },
	{ "nxdomain", "NXDOMAIN: the domain does not exist" },
	{ "dns_error", "DNS error (SERVFAIL, timeout, refused)" },
};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

#define MAX_EXAMPLES 50

struct host {
	char *addr;
	int dead, known;
	char *product, *family, *reason;
};

struct report {
	unsigned long records, bad_lines, domains, targets;
	unsigned long status_n[NSTATUS], other_status;
	unsigned long implicit;      /* answered or not, no MX record */
	unsigned long answered, known;
	struct tallies product, family, reason;
	char *examples[NSTATUS][MAX_EXAMPLES];
	unsigned nexamples[NSTATUS];
	char *implicit_ex[MAX_EXAMPLES];
	unsigned nimplicit_ex;
	struct host *hosts;
	size_t nhosts, caphosts;
};

static const char *
jstr(const struct mt_json *o, const char *key)
{
	const struct mt_json *v = mt_json_get(o, key);

	return v && v->type == MT_JSON_STR ? v->str : NULL;
}

static void
add_host(struct report *r, const struct mt_json *h)
{
	const char *addr = jstr(h, "addr"), *verdict = jstr(h, "verdict");
	struct host *x;

	if (!addr)
		addr = jstr(h, "target");
	if (!addr || !verdict)
		return;
	if (r->nhosts == r->caphosts) {
		size_t nc = r->caphosts ? r->caphosts * 2 : 64;
		struct host *nh = realloc(r->hosts, nc * sizeof(*nh));

		if (!nh)
			return;
		r->hosts = nh;
		r->caphosts = nc;
	}
	x = &r->hosts[r->nhosts++];
	x->addr = strdup(addr);
	x->dead = strcmp(verdict, "unreachable") == 0;
	x->known = strcmp(verdict, "known") == 0;
	x->product = strdup(jstr(h, "product") ? jstr(h, "product") : "");
	x->family = strdup(jstr(h, "family") ? jstr(h, "family") : "");
	x->reason = strdup(jstr(h, "reason") ? jstr(h, "reason") : "");
}

static void
add_verdict(struct report *r, const struct mt_json *o)
{
	const char *verdict = jstr(o, "verdict");

	r->answered++;
	if (verdict && strcmp(verdict, "known") == 0) {
		const char *prod = jstr(o, "product"), *fam = jstr(o, "family");

		r->known++;
		tally_add(&r->product, prod ? prod : "?", fam);
		tally_add(&r->family, fam ? fam : "?", NULL);
	} else {
		const char *reason = jstr(o, "reason");

		tally_add(&r->product, "unknown", "");
		tally_add(&r->family, "unknown", NULL);
		tally_add(&r->reason, reason && reason[0] ? reason : "?", NULL);
	}
}

static void
add_record(struct report *r, const struct mt_json *o)
{
	const char *domain = jstr(o, "domain"), *status = jstr(o, "status");
	const struct mt_json *hosts = mt_json_get(o, "hosts"), *imp = mt_json_get(o, "implicit_mx");
	size_t i;

	r->records++;
	if (!domain) { /* an address record */
		if (jstr(o, "target")) {
			r->targets++;
			add_host(r, o);
		}
		return;
	}
	r->domains++;
	for (i = 0; status && i < NSTATUS; i++)
		if (strcmp(status, statuses[i].status) == 0)
			break;
	if (!status || i == NSTATUS) {
		r->other_status++;
	} else {
		r->status_n[i]++;
		if (r->nexamples[i] < MAX_EXAMPLES)
			r->examples[i][r->nexamples[i]++] = strdup(domain);
		if (i == 0)
			add_verdict(r, o);
	}
	if (imp && imp->type == MT_JSON_BOOL && imp->b) {
		r->implicit++;
		if (r->nimplicit_ex < MAX_EXAMPLES)
			r->implicit_ex[r->nimplicit_ex++] = strdup(domain);
	}
	for (size_t k = 0; hosts && hosts->type == MT_JSON_ARR && k < hosts->n; k++)
		add_host(r, &hosts->kid[k]);
}

static int
host_cmp(const void *a, const void *b)
{
	return strcmp(((const struct host *)a)->addr, ((const struct host *)b)->addr);
}

struct host_sum {
	unsigned long unique, dead, answered, known;
	struct tallies product, family;
};

static void
sum_hosts(struct report *r, struct host_sum *hs)
{
	memset(hs, 0, sizeof(*hs));
	qsort(r->hosts, r->nhosts, sizeof(r->hosts[0]), host_cmp);
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct host *h = &r->hosts[i];

		if (i && strcmp(h->addr, r->hosts[i - 1].addr) == 0)
			continue;
		hs->unique++;
		if (h->dead) {
			hs->dead++;
			continue;
		}
		hs->answered++;
		hs->known += h->known != 0;
		tally_add(&hs->product, h->known ? h->product : "unknown", h->family);
		tally_add(&hs->family, h->known ? h->family : "unknown", NULL);
	}
	qsort(hs->product.t, hs->product.n, sizeof(struct tally), tally_cmp);
	qsort(hs->family.t, hs->family.n, sizeof(struct tally), tally_cmp);
}

static double
pct(unsigned long a, unsigned long b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

/* ---- text */

static void
text_table(FILE *f, const char *title, const char *col, const struct tallies *ts,
	   unsigned long total)
{
	fprintf(f, "\n%s\n  %-36s %8s %7s\n", title, col, "count", "share");
	for (size_t i = 0; i < ts->n; i++) {
		int bar = (int)(pct(ts->t[i].n, total) / 2.5 + 0.5);

		fprintf(f, "  %-36.36s %8lu %6.1f%%  ", ts->t[i].name, ts->t[i].n,
			pct(ts->t[i].n, total));
		for (int k = 0; k < bar; k++)
			fputc('#', f);
		fputc('\n', f);
	}
}

static void
text_report(FILE *f, const char *path, struct report *r, const struct host_sum *hs,
	    unsigned examples)
{
	fprintf(f, "mailtap probe survey of %s\n", path);
	fprintf(f, "\nDomains: %lu\n", r->domains);
	for (size_t i = 0; i < NSTATUS; i++)
		fprintf(f, "  %-48s %8lu %6.1f%%\n", statuses[i].label, r->status_n[i],
			pct(r->status_n[i], r->domains));
	if (r->other_status)
		fprintf(f, "  %-48s %8lu\n", "other status", r->other_status);
	fprintf(f, "  %-48s %8lu %6.1f%%\n", "no MX record (the domain's own A/AAAA used)",
		r->implicit, pct(r->implicit, r->domains));
	text_table(f, "Software by product (first answering MX host of each domain)", "product",
		   &r->product, r->answered);
	text_table(f, "By family", "family", &r->family, r->answered);
	fprintf(f, "\nIdentified: %lu of %lu answering domains (%.1f%%); unknown %lu\n", r->known,
		r->answered, pct(r->known, r->answered), r->answered - r->known);
	if (r->reason.n)
		text_table(f, "Why unknown", "reason", &r->reason, r->answered - r->known);
	fprintf(f, "\nHosts: %lu unique addresses probed, %lu answered, %lu dead; identified %lu "
		   "(%.1f%% of those that answered)\n",
		hs->unique, hs->answered, hs->dead, hs->known, pct(hs->known, hs->answered));
	text_table(f, "Hosts by product", "product", &hs->product, hs->answered);
	if (r->targets)
		fprintf(f, "\n(%lu address records besides the domains)\n", r->targets);
	for (size_t i = 1; i < NSTATUS && examples; i++) {
		if (!r->nexamples[i])
			continue;
		fprintf(f, "\n%s:", statuses[i].label);
		for (unsigned k = 0; k < r->nexamples[i] && k < examples; k++)
			fprintf(f, " %s", r->examples[i][k]);
		fprintf(f, "%s\n", r->status_n[i] > examples ? " ..." : "");
	}
	if (r->nimplicit_ex && examples) {
		fprintf(f, "\nno MX record:");
		for (unsigned k = 0; k < r->nimplicit_ex && k < examples; k++)
			fprintf(f, " %s", r->implicit_ex[k]);
		fprintf(f, "%s\n", r->implicit > examples ? " ..." : "");
	}
	if (r->bad_lines)
		fprintf(f, "\n%lu lines were not records and were skipped\n", r->bad_lines);
}

/* ---- HTML */

static void
h_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char *palette[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
				 "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" };

/* Horizontal bars, one per tally, as inline SVG. */
static void
h_bars(FILE *f, const char *title, const struct tallies *ts, unsigned long total)
{
	int row = 26, w = 760, lab = 230, bw = 420;
	size_t n = ts->n;

	fprintf(f, "<h2>");
	h_esc(f, title);
	fprintf(f, "</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
		   "role=\"img\" aria-label=\"",
		w, n * (size_t)row + 10);
	h_esc(f, title);
	fprintf(f, "\">\n");
	for (size_t i = 0; i < n; i++) {
		double p = pct(ts->t[i].n, total);
		int y = (int)i * row + 5, len = (int)(bw * p / 100.0 + 0.5);
		const char *col = strcmp(ts->t[i].name, "unknown") == 0 ? "#999999"
									 : palette[i % 10];

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\">", lab - 8,
			y + 16);
		h_esc(f, ts->t[i].name);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
			   "<text x=\"%d\" y=\"%d\" font-size=\"12\">%lu (%.1f%%)</text>\n",
			lab, y + 3, len > 0 ? len : 1, row - 8, col, lab + len + 6, y + 16,
			ts->t[i].n, p);
	}
	fprintf(f, "</svg>\n");
}

/* One stacked bar of the domain statuses. */
static void
h_status_bar(FILE *f, const struct report *r)
{
	static const char *cols[NSTATUS] = { "#59a14f", "#e15759", "#f28e2b", "#76b7b2",
					     "#bab0ac", "#b07aa1" };
	double x = 0;

	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"40\" "
		   "role=\"img\" aria-label=\"domains by status\">\n");
	for (size_t i = 0; i < NSTATUS; i++) {
		double w = r->domains ? 760.0 * (double)r->status_n[i] / (double)r->domains : 0;

		if (w <= 0)
			continue;
		fprintf(f, "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"40\" fill=\"%s\">"
			   "<title>%s: %lu</title></rect>\n",
			x, w, cols[i], statuses[i].status, r->status_n[i]);
		x += w;
	}
	fprintf(f, "</svg>\n<p class=\"legend\">");
	for (size_t i = 0; i < NSTATUS; i++)
		fprintf(f, "<span><i style=\"background:%s\"></i>%s %lu</span> ", cols[i],
			statuses[i].status, r->status_n[i]);
	fprintf(f, "</p>\n");
}

static void
h_table(FILE *f, const char *col, const struct tallies *ts, unsigned long total, int with_extra)
{
	fprintf(f, "<table><tr><th>%s</th>%s<th>count</th><th>share</th></tr>\n", col,
		with_extra ? "<th>family</th>" : "");
	for (size_t i = 0; i < ts->n; i++) {
		fprintf(f, "<tr><td>");
		h_esc(f, ts->t[i].name);
		fprintf(f, "</td>");
		if (with_extra) {
			fprintf(f, "<td>");
			h_esc(f, ts->t[i].extra);
			fprintf(f, "</td>");
		}
		fprintf(f, "<td class=\"n\">%lu</td><td class=\"n\">%.1f%%</td></tr>\n", ts->t[i].n,
			pct(ts->t[i].n, total));
	}
	fprintf(f, "</table>\n");
}

static int
html_report(const char *out, const char *path, struct report *r, const struct host_sum *hs)
{
	FILE *f = fopen(out, "w");

	if (!f)
		return -errno;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<title>mailtap probe survey</title>\n<style>\n"
		   "body{font-family:sans-serif;max-width:820px;margin:2em auto;color:#222}\n"
		   "table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
		   "td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}\n"
		   "td.n{text-align:right}\n.legend span{margin-right:1em;font-size:13px}\n"
		   ".legend i{display:inline-block;width:12px;height:12px;margin-right:4px}\n"
		   ".big{font-size:28px;font-weight:bold}\n</style></head><body>\n");
	fprintf(f, "<h1>Mail-server software survey</h1>\n<p>Records: <code>");
	h_esc(f, path);
	fprintf(f, "</code> &mdash; %lu domains, %lu answered, identified "
		   "<span class=\"big\">%.1f%%</span></p>\n",
		r->domains, r->answered, pct(r->known, r->answered));
	fprintf(f, "<h2>Domains</h2>\n");
	h_status_bar(f, r);
	fprintf(f, "<table><tr><th>status</th><th>domains</th><th>share</th></tr>\n");
	for (size_t i = 0; i < NSTATUS; i++) {
		fprintf(f, "<tr><td>");
		h_esc(f, statuses[i].label);
		fprintf(f, "</td><td class=\"n\">%lu</td><td class=\"n\">%.1f%%</td></tr>\n",
			r->status_n[i], pct(r->status_n[i], r->domains));
	}
	fprintf(f, "<tr><td>no MX record (the domain's own A/AAAA used)</td><td class=\"n\">%lu"
		   "</td><td class=\"n\">%.1f%%</td></tr></table>\n",
		r->implicit, pct(r->implicit, r->domains));
	h_bars(f, "Software by product (domains)", &r->product, r->answered);
	h_table(f, "product", &r->product, r->answered, 1);
	h_bars(f, "Software by family (domains)", &r->family, r->answered);
	h_table(f, "family", &r->family, r->answered, 0);
	if (r->reason.n) {
		fprintf(f, "<h2>Why unknown</h2>\n");
		h_table(f, "reason", &r->reason, r->answered - r->known, 0);
	}
	fprintf(f, "<h2>Hosts</h2>\n<p>%lu unique addresses probed, %lu answered, %lu dead; "
		   "identified %lu (%.1f%%).</p>\n",
		hs->unique, hs->answered, hs->dead, hs->known, pct(hs->known, hs->answered));
	h_bars(f, "Hosts by product", &hs->product, hs->answered);
	for (size_t i = 1; i < NSTATUS; i++) {
		if (!r->nexamples[i])
			continue;
		fprintf(f, "<h3>");
		h_esc(f, statuses[i].label);
		fprintf(f, "</h3>\n<p>");
		for (unsigned k = 0; k < r->nexamples[i]; k++) {
			h_esc(f, r->examples[i][k]);
			fputc(' ', f);
		}
		fprintf(f, "%s</p>\n", r->status_n[i] > r->nexamples[i] ? "&hellip;" : "");
	}
	fprintf(f, "<p><small>mailtap probe report</small></p>\n</body></html>\n");
	return fclose(f) == 0 ? 0 : -errno;
}

static void
report_free(struct report *r)
{
	tallies_free(&r->product);
	tallies_free(&r->family);
	tallies_free(&r->reason);
	for (size_t i = 0; i < NSTATUS; i++)
		for (unsigned k = 0; k < r->nexamples[i]; k++)
			free(r->examples[i][k]);
	for (unsigned k = 0; k < r->nimplicit_ex; k++)
		free(r->implicit_ex[k]);
	for (size_t i = 0; i < r->nhosts; i++) {
		free(r->hosts[i].addr);
		free(r->hosts[i].product);
		free(r->hosts[i].family);
		free(r->hosts[i].reason);
	}
	free(r->hosts);
}

int
cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "html", required_argument, NULL, 'H' },
		{ "examples", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *html = NULL;
	unsigned examples = 10;
	struct report r;
	struct host_sum hs;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *in;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "H:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': html = optarg; break;
		case 'e': examples = (unsigned)atoi(optarg); break;
		case 'h':
			printf("usage: mailtap probe report [--html OUT.html] [--examples N] FILE\n");
			return 0;
		default:
			fprintf(stderr, "usage: mailtap probe report [--html OUT.html] [--examples N] "
					"FILE\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: mailtap probe report [--html OUT.html] [--examples N] FILE\n");
		return 2;
	}
	in = strcmp(argv[optind], "-") == 0 ? stdin : fopen(argv[optind], "r");
	if (!in) {
		fprintf(stderr, "mailtap probe report: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	memset(&r, 0, sizeof(r));
	while ((len = getline(&line, &cap, in)) > 0) {
		struct mt_err err = { "" };
		struct mt_json *j = mt_json_parse(line, (size_t)len, &err);

		if (!j || j->type != MT_JSON_OBJ)
			r.bad_lines++;
		else
			add_record(&r, j);
		mt_json_free(j);
	}
	free(line);
	if (in != stdin)
		fclose(in);
	if (r.records == 0) {
		fprintf(stderr, "mailtap probe report: %s: no records\n", argv[optind]);
		report_free(&r);
		return 1;
	}
	qsort(r.product.t, r.product.n, sizeof(struct tally), tally_cmp);
	qsort(r.family.t, r.family.n, sizeof(struct tally), tally_cmp);
	qsort(r.reason.t, r.reason.n, sizeof(struct tally), tally_cmp);
	sum_hosts(&r, &hs);
	text_report(stdout, argv[optind], &r, &hs, examples);
	if (html) {
		int k = html_report(html, argv[optind], &r, &hs);

		if (k < 0) {
			fprintf(stderr, "mailtap probe report: %s: %s\n", html, strerror(-k));
			rc = 1;
		}
	}
	tallies_free(&hs.product);
	tallies_free(&hs.family);
	report_free(&r);
	return rc;
}
