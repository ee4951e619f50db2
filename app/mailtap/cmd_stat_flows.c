/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtap stat flows: each worker's flow table from a running mailtapd
 * (/mailtap/flows on DPDK's telemetry socket, lib/pipeline/ctl_flows.c):
 * gauges per worker, and with --list its connections, page by page.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "stats_client.h"


static const char usage_text[] =
	"usage: mailtap stat flows [--prefix P | --socket PATH] [--json]\n"
	"                          [--worker W] [--list [--limit N]]\n"
	"  --prefix P, --socket PATH   as for mailtap stat\n"
	"  (no format)       one line per worker: capacity, active flows by class\n"
	"                    (handshake, established, closing), high-water mark,\n"
	"                    oldest flow age, out-of-order bytes and pieces held\n"
	"                    against the worker's budget\n"
	"  --list            also each worker's connections: client, server, class,\n"
	"                    SMTP state, age, idle time, bytes each way, bytes held\n"
	"  --limit N         at most N connections per worker (default 1000)\n"
	"  --worker W        only worker W\n"
	"  --json            one JSON object: {\"workers\": [{gauges, \"flows\": [...]}]}\n"
	"Exit codes: 0 done; 1 cannot reach or read the socket; 2 bad usage.\n";

static const char *const gauge_cols[] = {
	"capacity", "active", "handshake", "established", "closing", "high_water",
	"oldest_age_ms", "ooo_bytes", "ooo_pieces", "ooo_pieces_max",
};

static const char *const flow_str_cols[] = { "client", "server", "class", "smtp" };
static const char *const flow_num_cols[] = {
	"age_ms", "idle_ms", "c2s_bytes", "s2c_bytes", "held_bytes", "midstream",
};
#define NSTR (sizeof(flow_str_cols) / sizeof(flow_str_cols[0]))
#define NNUM (sizeof(flow_num_cols) / sizeof(flow_num_cols[0]))

static uint64_t
num(const struct mt_json *o, const char *k)
{
	const struct mt_json *v = mt_json_get(o, k);

	return v != NULL && v->type == MT_JSON_NUM && v->is_u64 ? v->u64 : 0;
}

static const char *
str(const struct mt_json *o, const char *k)
{
	const struct mt_json *v = mt_json_get(o, k);

	return v != NULL && v->type == MT_JSON_STR ? v->str : "";
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Item i of array member k of o, or NULL. */
static const struct mt_json *
item(const struct mt_json *o, const char *k, size_t i)
{
	const struct mt_json *a = mt_json_get(o, k);

	return a != NULL && a->type == MT_JSON_ARR && i < a->n ? &a->kid[i] : NULL;
}

static size_t
page_len(const struct mt_json *pg)
{
	const struct mt_json *a = mt_json_get(pg, "client");

	return a != NULL && a->type == MT_JSON_ARR ? a->n : 0;
}

struct worker_view {
	struct mt_json *first;      /* page 0 reply: gauges */
	struct mt_json **pages;     /* pages fetched for --list */
	size_t n_pages;
};

static int
fetch(struct mt_tel *t, unsigned w, int list, long limit, struct worker_view *v,
      struct mt_err *err)
{
	char q[64];
	uint64_t pages;
	size_t got = 0, p;

	snprintf(q, sizeof(q), "/mailtap/flows,%u", w);
	if (mt_tel_query(t, q, &v->first, err) != 0)
		return -1;
	if (v->first->type != MT_JSON_OBJ)
		return mt_err_set(err, ENOENT, "%s: no worker %u", t->path, w);
	if (!list || strcmp(str(v->first, "list"), "ok") != 0)
		return 0;
	pages = num(v->first, "pages");
	got = page_len(v->first);
	for (p = 1; p < pages && (long)got < limit; p++) {
		struct mt_json *pg, **np;

		snprintf(q, sizeof(q), "/mailtap/flows,%u,%zu", w, p);
		if (mt_tel_query(t, q, &pg, err) != 0)
			return -1;
		if (pg->type != MT_JSON_OBJ || strcmp(str(pg, "list"), "ok") != 0 ||
		    page_len(pg) == 0) {
			mt_json_free(pg);
			break;
		}
		np = realloc(v->pages, (v->n_pages + 1) * sizeof(*np));
		if (np == NULL) {
			mt_json_free(pg);
			return mt_err_set(err, ENOMEM, "out of memory");
		}
		v->pages = np;
		v->pages[v->n_pages++] = pg;
		got += page_len(pg);
	}
	return 0;
}

static void
view_free(struct worker_view *v)
{
	size_t i;

	mt_json_free(v->first);
	for (i = 0; i < v->n_pages; i++)
		mt_json_free(v->pages[i]);
	free(v->pages);
	memset(v, 0, sizeof(*v));
}

/* Call fn on every flow of v, at most limit. */
static void
each_flow(const struct worker_view *v, long limit, FILE *f,
	  void (*fn)(FILE *f, const struct mt_json *pg, size_t i, int first))
{
	long n = 0;
	size_t p, i;

	for (p = 0; p <= v->n_pages; p++) {
		const struct mt_json *pg = p == 0 ? v->first : v->pages[p - 1];

		for (i = 0; i < page_len(pg) && n < limit; i++, n++)
			fn(f, pg, i, n == 0);
	}
}

static void
flow_json(FILE *f, const struct mt_json *pg, size_t i, int first)
{
	const struct mt_json *x;
	size_t c;

	fputs(first ? "{" : ", {", f);
	for (c = 0; c < NSTR; c++) {
		x = item(pg, flow_str_cols[c], i);
		fprintf(f, "%s\"%s\": ", c ? ", " : "", flow_str_cols[c]);
		json_str(f, x && x->type == MT_JSON_STR ? x->str : "");
	}
	for (c = 0; c < NNUM; c++) {
		x = item(pg, flow_num_cols[c], i);
		fprintf(f, ", \"%s\": %" PRIu64, flow_num_cols[c],
			x && x->type == MT_JSON_NUM && x->is_u64 ? x->u64 : 0);
	}
	fputc('}', f);
}

static void
flow_row(FILE *f, const struct mt_json *pg, size_t i, int first)
{
	const struct mt_json *x[NSTR], *y[NNUM];
	size_t c;

	if (first)
		fprintf(f, "  %-46s %-46s %-11s %-7s %10s %10s %12s %12s %9s\n", "CLIENT",
			"SERVER", "CLASS", "SMTP", "AGE_S", "IDLE_S", "C2S_BYTES",
			"S2C_BYTES", "HELD");
	for (c = 0; c < NSTR; c++)
		x[c] = item(pg, flow_str_cols[c], i);
	for (c = 0; c < NNUM; c++)
		y[c] = item(pg, flow_num_cols[c], i);
#define S(k) (x[k] && x[k]->type == MT_JSON_STR ? x[k]->str : "?")
#define N(k) (y[k] && y[k]->type == MT_JSON_NUM && y[k]->is_u64 ? y[k]->u64 : 0)
	fprintf(f, "  %-46s %-46s %-11s %-7s%s %10.1f %10.1f %12" PRIu64 " %12" PRIu64
		" %9" PRIu64 "\n", S(0), S(1), S(2), S(3), N(5) ? "*" : " ",
		(double)N(0) / 1e3, (double)N(1) / 1e3, N(2), N(3), N(4));
#undef S
#undef N
}

static void
print_json(FILE *f, struct worker_view *v, unsigned n, int list, long limit)
{
	const struct mt_json *o;
	unsigned w;
	size_t i;

	fputs("{\"workers\": [", f);
	for (w = 0; w < n; w++) {
		o = v[w].first;
		fputs(w ? ", {" : "{", f);
		for (i = 0; i < o->n; i++) {
			const struct mt_json *x = &o->kid[i];

			if (x->type == MT_JSON_ARR)
				continue;   /* the page's columns: "flows" below */
			fprintf(f, "%s", i ? ", " : "");
			json_str(f, o->key[i]);
			fputs(": ", f);
			if (x->type == MT_JSON_STR)
				json_str(f, x->str);
			else if (x->type == MT_JSON_NUM && x->is_u64)
				fprintf(f, "%" PRIu64, x->u64);
			else if (x->type == MT_JSON_NUM)
				fprintf(f, "%.17g", x->num);
			else
				fputs("null", f);
		}
		if (list) {
			fputs(", \"flows\": [", f);
			each_flow(&v[w], limit, f, flow_json);
			fputc(']', f);
		}
		fputc('}', f);
	}
	fputs("]}\n", f);
}

static void
print_table(FILE *f, const struct mt_tel *t, struct worker_view *v, unsigned n, int list,
	    long limit)
{
	unsigned w;
	size_t c;

	fprintf(f, "mailtap stat flows  %s  pid %ld  %u worker(s)\n\n", t->path, t->pid, n);
	fprintf(f, "%-6s %-5s %-8s", "WORKER", "LCORE", "STATE");
	for (c = 0; c < sizeof(gauge_cols) / sizeof(gauge_cols[0]); c++)
		fprintf(f, " %*s", c < 6 ? 11 : 14, gauge_cols[c]);
	fputc('\n', f);
	for (w = 0; w < n; w++) {
		const struct mt_json *o = v[w].first;

		fprintf(f, "%-6" PRIu64 " %-5" PRIu64 " %-8s", num(o, "worker"), num(o, "lcore"),
			str(o, "state"));
		for (c = 0; c < sizeof(gauge_cols) / sizeof(gauge_cols[0]); c++)
			fprintf(f, " %*" PRIu64, c < 6 ? 11 : 14, num(o, gauge_cols[c]));
		fputc('\n', f);
	}
	if (!list)
		return;
	for (w = 0; w < n; w++) {
		const struct mt_json *o = v[w].first;

		fprintf(f, "\nworker %" PRIu64 ": ", num(o, "worker"));
		if (strcmp(str(o, "list"), "ok") != 0) {
			fprintf(f, "no list (%s)\n", str(o, "list"));
			continue;
		}
		fprintf(f, "%" PRIu64 " connection(s)%s\n", num(o, "flows_total"),
			(long)num(o, "flows_total") > limit ? " (--limit reached)" : "");
		each_flow(&v[w], limit, f, flow_row);
	}
	fputs("(* picked up mid-stream; ages in seconds)\n", f);
}

/*
 * The flow gauges in Prometheus text format (for mailtap stat
 * --prometheus): mailtap_flow_<gauge>{worker="W"}, and the active flows
 * by class as mailtap_flow_class{worker="W",class="..."}.  Nothing when
 * the daemon has no /mailtap/flows.  0, or -1 with err set.
 */
int
mt_stat_flows_prom(FILE *f, struct mt_tel *t, struct mt_err *err)
{
	static const struct {
		const char *name, *key, *help;
		double scale;
	} g[] = {
		{ "capacity", "capacity", "flow table slots of the worker ([flow] max_flows)", 1 },
		{ "active", "active", "connections the worker tracks now", 1 },
		{ "high_water", "high_water", "most connections tracked at once since start", 1 },
		{ "oldest_age_seconds", "oldest_age_ms", "age of the oldest connection tracked",
		  1e-3 },
		{ "ooo_bytes", "ooo_bytes", "octets held out of order by the worker now", 1 },
		{ "ooo_pieces", "ooo_pieces", "segments held out of order by the worker now", 1 },
		{ "ooo_pieces_max", "ooo_pieces_max", "the worker's budget of held segments", 1 },
	};
	static const char *const cls[] = { "handshake", "established", "closing" };
	struct mt_json *ids = NULL, **w = NULL;
	size_t n = 0, i, k;
	char q[64];
	int rc = 0;

	if (mt_tel_query(t, "/mailtap/flows", &ids, err) != 0)
		return -1;
	if (ids->type != MT_JSON_ARR || ids->n == 0)
		goto out;
	w = calloc(ids->n, sizeof(*w));
	if (w == NULL) {
		rc = mt_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ids->n; i++) {
		if (ids->kid[i].type != MT_JSON_NUM || !ids->kid[i].is_u64)
			continue;
		snprintf(q, sizeof(q), "/mailtap/flows,%" PRIu64, ids->kid[i].u64);
		if (mt_tel_query(t, q, &w[n], err) != 0) {
			rc = -1;
			goto out;
		}
		if (w[n]->type != MT_JSON_OBJ) {
			mt_json_free(w[n]);
			w[n] = NULL;
			continue;
		}
		n++;
	}
	for (k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
		fprintf(f, "# HELP mailtap_flow_%s %s\n# TYPE mailtap_flow_%s gauge\n", g[k].name,
			g[k].help, g[k].name);
		for (i = 0; i < n; i++) {
			double v = (double)num(w[i], g[k].key) * g[k].scale;

			fprintf(f, "mailtap_flow_%s{worker=\"%" PRIu64 "\"} %.15g\n", g[k].name,
				num(w[i], "worker"), v);
		}
	}
	fputs("# HELP mailtap_flow_class connections the worker tracks now, by timeout class\n"
	      "# TYPE mailtap_flow_class gauge\n", f);
	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof(cls) / sizeof(cls[0]); k++)
			fprintf(f, "mailtap_flow_class{worker=\"%" PRIu64 "\",class=\"%s\"} %" PRIu64
				"\n", num(w[i], "worker"), cls[k], num(w[i], cls[k]));
out:
	for (i = 0; w != NULL && i < n; i++)
		mt_json_free(w[i]);
	free(w);
	mt_json_free(ids);
	return rc;
}

static int
bad_usage(const char *why)
{
	if (why)
		fprintf(stderr, "mailtap stat flows: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

int
cmd_stat_flows(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'L' },
		{ "limit", required_argument, NULL, 'n' },
		{ "worker", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = NULL, *sock = NULL;
	struct worker_view *v = NULL;
	long limit = 1000, only = -1;
	int c, json = 0, list = 0, rc = 1;
	unsigned n = 0, i;
	struct mt_json *ids = NULL;
	struct mt_err err;
	struct mt_tel t;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:s:jLn:w:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p': prefix = optarg; break;
		case 's': sock = optarg; break;
		case 'j': json = 1; break;
		case 'L': list = 1; break;
		case 'n':
			errno = 0;
			limit = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || limit < 1)
				return bad_usage("--limit: a number >= 1");
			break;
		case 'w':
			errno = 0;
			only = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || only < 0 || only > 65535)
				return bad_usage("--worker: a worker id");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return bad_usage(NULL);
		}
	}
	if (optind != argc)
		return bad_usage("unexpected argument");
	switch (stat_open(prefix, sock, &t)) {
	case 0:
		break;
	case -1:
		return bad_usage("--prefix and --socket exclude each other");
	default:
		return 1;
	}
	if (mt_tel_query(&t, "/mailtap/flows", &ids, &err) != 0)
		goto fail;
	if (ids->type != MT_JSON_ARR) {
		mt_err_set(&err, ENOENT, "%s: no /mailtap/flows command (is this mailtapd?)",
			   t.path);
		goto fail;
	}
	v = calloc(ids->n ? ids->n : 1, sizeof(*v));
	if (v == NULL) {
		mt_err_set(&err, ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < ids->n; i++) {
		const struct mt_json *id = &ids->kid[i];

		if (id->type != MT_JSON_NUM || !id->is_u64 ||
		    (only >= 0 && id->u64 != (uint64_t)only))
			continue;
		if (fetch(&t, (unsigned)id->u64, list, limit, &v[n], &err) != 0) {
			n++;
			goto fail;
		}
		n++;
	}
	if (only >= 0 && n == 0) {
		mt_err_set(&err, ENOENT, "%s: no worker %ld", t.path, only);
		goto fail;
	}
	if (json)
		print_json(stdout, v, n, list, limit);
	else
		print_table(stdout, &t, v, n, list, limit);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "mailtap: %s\n", err.msg);
out:
	for (i = 0; i < n; i++)
		view_free(&v[i]);
	free(v);
	mt_json_free(ids);
	mt_tel_close(&t);
	return rc;
}
