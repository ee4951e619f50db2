/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtap stat servers: the passive fingerprint of every mail server a
 * running mailtapd has seen (/mailtap/servers on DPDK's telemetry socket,
 * lib/pipeline/ctl_servers.c): the table is read page by page, then each
 * server's verdict.
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
	"usage: mailtap stat servers [--prefix P | --socket PATH] [--json]\n"
	"                            [--limit N] [--server ADDR:PORT]\n"
	"  --prefix P, --socket PATH   as for mailtap stat\n"
	"  (no format)       one line per server: verdict (known/unknown), rule,\n"
	"                    product, version, score, non-banner observations that\n"
	"                    agreed, observations held, mails annotated\n"
	"  --server A:P      only that server (IPv6: [ADDR]:PORT), with why\n"
	"  --limit N         at most N servers (default 1000)\n"
	"  --json            one JSON object: {\"servers\": n, \"capacity\": c,\n"
	"                    \"list\": [{server, known, rule, vendor, product, family,\n"
	"                    version, score, nonbanner, decided, reason,\n"
	"                    observations, first_seen_ns, last_seen_ns, mails}]}\n"
	"Exit codes: 0 done; 1 cannot reach or read the socket, or no such server;\n"
	"2 bad usage.\n";

static const char *const str_cols[] = {
	"server", "rule", "vendor", "product", "family", "version", "decided", "reason",
	"observations",
};
static const char *const num_cols[] = {
	"known", "score", "nonbanner", "first_seen_ns", "last_seen_ns", "mails",
};

static int
bad_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "mailtap stat servers: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

static const char *
str(const struct mt_json *o, const char *k)
{
	const struct mt_json *v = mt_json_get(o, k);

	return v != NULL && v->type == MT_JSON_STR ? v->str : "";
}

static long long
num(const struct mt_json *o, const char *k)
{
	const struct mt_json *v = mt_json_get(o, k);

	return v != NULL && v->type == MT_JSON_NUM ? (long long)v->num : 0;
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

static void
print_json(FILE *f, const struct mt_json *d, int first)
{
	size_t c;

	fputs(first ? "{" : ", {", f);
	for (c = 0; c < sizeof(str_cols) / sizeof(str_cols[0]); c++) {
		fprintf(f, "%s\"%s\": ", c ? ", " : "", str_cols[c]);
		json_str(f, str(d, str_cols[c]));
	}
	for (c = 0; c < sizeof(num_cols) / sizeof(num_cols[0]); c++)
		fprintf(f, ", \"%s\": %lld", num_cols[c], num(d, num_cols[c]));
	fputc('}', f);
}

static void
print_row(FILE *f, const struct mt_json *d, int first, int why)
{
	if (first)
		fprintf(f, "%-40s %-7s %-12s %-20s %-12s %5s %3s %-40s %6s\n", "SERVER", "VERDICT",
			"RULE", "PRODUCT", "VERSION", "SCORE", "NB", "OBSERVATIONS", "MAILS");
	fprintf(f, "%-40s %-7s %-12s %-20s %-12s %5lld %3lld %-40s %6lld\n", str(d, "server"),
		num(d, "known") ? "known" : "unknown", *str(d, "rule") ? str(d, "rule") : "-",
		*str(d, "product") ? str(d, "product") : "-",
		*str(d, "version") ? str(d, "version") : "-", num(d, "score"),
		num(d, "nonbanner"), str(d, "observations"), num(d, "mails"));
	if (why)
		fprintf(f, "  decided by: %s\n  %s%s\n", *str(d, "decided") ? str(d, "decided") : "-",
			num(d, "known") ? "" : "unknown because: ", str(d, "reason"));
}

/* One server's detail into *out (NULL result: no such server). */
static int
detail(struct mt_tel *t, const char *srv, struct mt_json **out, struct mt_err *err)
{
	char q[160];

	snprintf(q, sizeof(q), "/mailtap/servers,%s", srv);
	return mt_tel_query(t, q, out, err);
}

int
cmd_stat_servers(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'n' },
		{ "server", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = NULL, *sock = NULL, *only = NULL;
	struct mt_json *pg = NULL, *d = NULL;
	long limit = 1000, shown = 0;
	long long next = 0;
	int c, json = 0, rc = 1, pages = 0;
	struct mt_err err;
	struct mt_tel t;
	char q[64], *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:s:jn:S:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p': prefix = optarg; break;
		case 's': sock = optarg; break;
		case 'j': json = 1; break;
		case 'S': only = optarg; break;
		case 'n':
			errno = 0;
			limit = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || limit < 1)
				return bad_usage("--limit: a number >= 1");
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
	if (only != NULL) {
		if (detail(&t, only, &d, &err) != 0)
			goto fail;
		if (d->type != MT_JSON_OBJ) {
			mt_err_set(&err, ENOENT, "%s: no server %s in the fingerprint table",
				   t.path, only);
			goto fail;
		}
		if (json)
			print_json(stdout, d, 1), fputc('\n', stdout);
		else
			print_row(stdout, d, 1, 1);
		rc = 0;
		goto out;
	}
	while (next >= 0 && shown < limit && pages++ < 1 << 20) {
		const struct mt_json *list;
		size_t i;

		snprintf(q, sizeof(q), "/mailtap/servers,%lld", next);
		if (mt_tel_query(&t, q, &pg, &err) != 0)
			goto fail;
		if (pg->type != MT_JSON_OBJ) {
			mt_err_set(&err, ENOENT, "%s: no /mailtap/servers command (is this mailtapd?)",
				   t.path);
			goto fail;
		}
		if (pages == 1) {
			if (json)
				printf("{\"enabled\": %lld, \"servers\": %lld, \"capacity\": %lld, "
				       "\"list\": [", num(pg, "enabled"), num(pg, "servers"),
				       num(pg, "capacity"));
			else if (!num(pg, "enabled"))
				printf("passive fingerprinting is off ([fingerprint] rules)\n");
			else
				printf("%lld server(s) of %lld\n", num(pg, "servers"),
				       num(pg, "capacity"));
		}
		list = mt_json_get(pg, "list");
		for (i = 0; list != NULL && list->type == MT_JSON_ARR && i < list->n &&
			    shown < limit; i++) {
			const struct mt_json *it = &list->kid[i];
			char srv[128];

			if (it->type != MT_JSON_STR)
				continue;
			snprintf(srv, sizeof(srv), "%.*s", (int)strcspn(it->str, " "), it->str);
			if (detail(&t, srv, &d, &err) != 0)
				goto fail;
			if (d->type == MT_JSON_OBJ) { /* else evicted meanwhile */
				if (json)
					print_json(stdout, d, shown == 0);
				else
					print_row(stdout, d, shown == 0, 0);
				shown++;
			}
			mt_json_free(d);
			d = NULL;
		}
		next = num(pg, "next");
		mt_json_free(pg);
		pg = NULL;
	}
	if (json)
		printf("]}\n");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "mailtap: %s\n", err.msg);
out:
	mt_json_free(pg);
	mt_json_free(d);
	mt_tel_close(&t);
	return rc;
}
