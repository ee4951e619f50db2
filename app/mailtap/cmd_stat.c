/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtap stat: read a running mailtapd's counters from DPDK's telemetry
 * socket (/mailtap/lcores, /mailtap/ports) and print them as a per-lcore
 * table with rates (like top), as JSON, or as Prometheus text.  The socket
 * client and the JSON reader are lib/stats/stats_client.c; this file parses
 * arguments and prints.  No EAL: it only talks to the socket.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "mt_stats.h"
#include "stats_client.h"


static const char usage_text[] =
	"usage: mailtap stat [--prefix P | --socket PATH] [--json | --prometheus]\n"
	"                    [--watch SECONDS] [--count N] [--all]\n"
	"       mailtap stat flows ...  each worker's flow table (mailtap stat flows --help)\n"
	"       mailtap stat servers ...  passive fingerprints (mailtap stat servers --help)\n"
	"  --prefix P        the --file-prefix mailtapd was started with (default rte)\n"
	"  --socket PATH     the telemetry socket itself\n"
	"                    (default /var/run/dpdk/P/dpdk_telemetry.v2)\n"
	"  (no format)       per-lcore table: each counter, its rate per second over\n"
	"                    the interval, and the total (the maximum for the *_max\n"
	"                    high-water marks); ports' ethdev counters below\n"
	"  --json            one JSON object per sample: lcores, total, ports\n"
	"  --prometheus      Prometheus text exposition: mailtap_<counter>{lcore=\"N\"},\n"
	"                    mailtap_port_<counter>{port=\"N\"}, and the flow tables'\n"
	"                    gauges mailtap_flow_<gauge>{worker=\"W\"}\n"
	"  --watch SECONDS   repeat every SECONDS (the table is redrawn like top);\n"
	"                    the table's rates are over this interval (default 1)\n"
	"  --count N         stop after N outputs (default 1, or unlimited with --watch)\n"
	"  --all             table: show counters that are 0 everywhere too\n"
	"Exit codes: 0 done; 1 cannot reach or read the socket; 2 bad usage.\n";

enum fmt { FMT_TABLE, FMT_JSON, FMT_PROM };

struct opts {
	enum fmt fmt;
	double interval;
	int watch;
	long count;
	int all;
};

static const struct {
	const char *name, *help;
} port_help[] = {
	{ "ipackets", "packets the port received" },
	{ "ibytes", "bytes the port received" },
	{ "imissed", "packets the NIC dropped: no free RX descriptor (RX lcore too slow)" },
	{ "ierrors", "erroneous packets the port received" },
	{ "rx_nombuf", "RX mbuf allocation failures (packet pool empty)" },
};

static const char *
counter_help(const char *name)
{
	int i;

	for (i = 0; i < MT_STAT__COUNT; i++)
		if (strcmp(mt_stats_name((enum mt_stat)i), name) == 0)
			return mt_stats_help((enum mt_stat)i);
	return "mailtap counter";
}

static const char *
port_counter_help(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(port_help) / sizeof(port_help[0]); i++)
		if (strcmp(port_help[i].name, name) == 0)
			return port_help[i].help;
	return "ethdev counter";
}

/* Counter names in first-seen order over the units. */
static size_t
names_of(const struct mt_sc_unit *u, unsigned n, const char ***out)
{
	const char **names = NULL;
	size_t cnt = 0, cap = 0, i, k;
	unsigned j;

	for (j = 0; j < n; j++)
		for (i = 0; i < u[j].n; i++) {
			for (k = 0; k < cnt && strcmp(names[k], u[j].name[i]) != 0; k++)
				;
			if (k < cnt)
				continue;
			if (cnt == cap) {
				const char **nn = realloc(names, (cap ? cap * 2 : 64) * sizeof(*nn));

				if (nn == NULL)
					break;
				names = nn;
				cap = cap ? cap * 2 : 64;
			}
			names[cnt++] = u[j].name[i];
		}
	*out = names;
	return cnt;
}

static const struct mt_sc_unit *
unit_by_id(const struct mt_sc_unit *u, unsigned n, unsigned id)
{
	unsigned i;

	for (i = 0; u && i < n; i++)
		if (u[i].id == id)
			return &u[i];
	return NULL;
}

/* A high-water mark (*_max*): its total is the maximum over lcores, as
 * in mt_stats_sum(), and Prometheus calls it a gauge. */
static int
is_max(const char *name)
{
	int i;

	for (i = 0; i < MT_STAT__COUNT; i++)
		if (strcmp(mt_stats_name((enum mt_stat)i), name) == 0)
			return mt_stats_is_max((enum mt_stat)i);
	return 0;
}

static uint64_t
total_of(const struct mt_sc_unit *u, unsigned n, const char *name)
{
	uint64_t t = 0, v;
	int max = is_max(name);
	unsigned i;

	for (i = 0; i < n; i++) {
		v = mt_sc_value(&u[i], name, NULL);
		t = max ? (v > t ? v : t) : t + v;
	}
	return t;
}

/* ---- JSON */

static void
json_units(FILE *f, const struct mt_sc_unit *u, unsigned n)
{
	unsigned j;
	size_t i;

	fputc('{', f);
	for (j = 0; j < n; j++) {
		fprintf(f, "%s\"%u\": {", j ? ", " : "", u[j].id);
		for (i = 0; i < u[j].n; i++)
			fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", u[j].name[i], u[j].v[i]);
		fputc('}', f);
	}
	fputc('}', f);
}

static void
print_json(FILE *f, const struct mt_tel *t, const struct mt_sc_sample *s)
{
	const char **names;
	size_t n = names_of(s->lcore, s->n_lcores, &names), i;

	fprintf(f, "{\"time\": %.3f, \"pid\": %ld, \"lcores\": ", s->wall, t->pid);
	json_units(f, s->lcore, s->n_lcores);
	fputs(", \"total\": {", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", names[i],
			total_of(s->lcore, s->n_lcores, names[i]));
	fputs("}, \"ports\": ", f);
	json_units(f, s->port, s->n_ports);
	fputs("}\n", f);
	free(names);
}

/* ---- Prometheus text exposition format 0.0.4 */

static void
prom_help(FILE *f, const char *metric, const char *help, const char *type)
{
	fprintf(f, "# HELP %s ", metric);
	for (; *help; help++) {
		if (*help == '\\')
			fputs("\\\\", f);
		else if (*help == '\n')
			fputs("\\n", f);
		else
			fputc(*help, f);
	}
	fprintf(f, "\n# TYPE %s %s\n", metric, type);
}

static void
prom_units(FILE *f, const char *prefix, const char *label, const struct mt_sc_unit *u,
	   unsigned n, const char *(*help)(const char *))
{
	const char **names;
	size_t cnt = names_of(u, n, &names), i;
	char metric[256];
	unsigned j;
	int found;

	for (i = 0; i < cnt; i++) {
		snprintf(metric, sizeof(metric), "%s%s", prefix, names[i]);
		prom_help(f, metric, help(names[i]),
			  help == counter_help && is_max(names[i]) ? "gauge" : "counter");
		for (j = 0; j < n; j++) {
			uint64_t v = mt_sc_value(&u[j], names[i], &found);

			if (found)
				fprintf(f, "%s{%s=\"%u\"} %" PRIu64 "\n", metric, label, u[j].id, v);
		}
	}
	free(names);
}

static void
print_prom(FILE *f, const struct mt_sc_sample *s)
{
	prom_units(f, "mailtap_", "lcore", s->lcore, s->n_lcores, counter_help);
	prom_units(f, "mailtap_port_", "port", s->port, s->n_ports, port_counter_help);
}

/* ---- table */

static void
print_table(FILE *f, const struct mt_tel *t, const struct mt_sc_sample *prev,
	    const struct mt_sc_sample *s, const struct opts *o)
{
	double dt = prev ? s->t - prev->t : 0;
	const char **names;
	size_t n = names_of(s->lcore, s->n_lcores, &names), i;
	char when[64];
	time_t wall = (time_t)s->wall;
	struct tm tm;
	unsigned j;

	localtime_r(&wall, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "mailtap stat  %s  pid %ld  %s  %u lcore(s)  %u port(s)  rates over %.2f s\n\n",
		t->path, t->pid, when, s->n_lcores, s->n_ports, dt);
	fprintf(f, "%-26s", "COUNTER");
	for (j = 0; j < s->n_lcores; j++) {
		char h[32];

		snprintf(h, sizeof(h), "lcore%u", s->lcore[j].id);
		fprintf(f, " %14s %11s", h, "/s");
	}
	fprintf(f, " %14s %11s\n", "total", "/s");
	for (i = 0; i < n; i++) {
		uint64_t tot = total_of(s->lcore, s->n_lcores, names[i]);
		uint64_t ptot = prev ? total_of(prev->lcore, prev->n_lcores, names[i]) : tot;

		if (!o->all && tot == 0)
			continue;
		fprintf(f, "%-26s", names[i]);
		for (j = 0; j < s->n_lcores; j++) {
			uint64_t v = mt_sc_value(&s->lcore[j], names[i], NULL);
			const struct mt_sc_unit *pu =
				prev ? unit_by_id(prev->lcore, prev->n_lcores, s->lcore[j].id) : NULL;
			uint64_t pv = pu ? mt_sc_value(pu, names[i], NULL) : v;

			fprintf(f, " %14" PRIu64 " %11.0f", v, mt_sc_rate(pv, v, dt));
		}
		fprintf(f, " %14" PRIu64 " %11.0f\n", tot, mt_sc_rate(ptot, tot, dt));
	}
	free(names);
	if (s->n_ports == 0)
		return;
	n = names_of(s->port, s->n_ports, &names);
	fprintf(f, "\n%-8s", "PORT");
	for (i = 0; i < n; i++)
		fprintf(f, " %14s", names[i]);
	fprintf(f, " %14s\n", "ipackets/s");
	for (j = 0; j < s->n_ports; j++) {
		const struct mt_sc_unit *pu =
			prev ? unit_by_id(prev->port, prev->n_ports, s->port[j].id) : NULL;
		uint64_t v = mt_sc_value(&s->port[j], "ipackets", NULL);

		fprintf(f, "%-8u", s->port[j].id);
		for (i = 0; i < n; i++)
			fprintf(f, " %14" PRIu64, mt_sc_value(&s->port[j], names[i], NULL));
		fprintf(f, " %14.0f\n", mt_sc_rate(pu ? mt_sc_value(pu, "ipackets", NULL) : v, v, dt));
	}
	free(names);
}

/* ---- main */

static int
bad_usage(const char *why)
{
	if (why)
		fprintf(stderr, "mailtap stat: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

static void
sleep_until(double mono)
{
	struct timespec ts;

	for (;;) {
		double now;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		if (now >= mono)
			return;
		ts.tv_sec = (time_t)(mono - now);
		ts.tv_nsec = (long)((mono - now - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

int
stat_open(const char *prefix, const char *sock, struct mt_tel *t)
{
	char path[256];
	struct mt_err err;

	if (prefix && sock)
		return -1;
	if (sock)
		snprintf(path, sizeof(path), "%s", sock);
	else
		mt_tel_path(prefix, path, sizeof(path));
	if (mt_tel_open(t, path, &err) != 0) {
		fprintf(stderr, "mailtap: %s\n", err.msg);
		return 1;
	}
	return 0;
}

int
cmd_stat(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .fmt = FMT_TABLE, .interval = 1.0, .count = -1 };
	const char *prefix = NULL, *sock = NULL;
	struct mt_sc_sample *prev, *cur, *tmp;
	char *end;
	struct mt_tel t;
	struct mt_err err;
	long done = 0;
	int c, rc = 0;

	if (argc >= 2 && strcmp(argv[1], "flows") == 0)
		return cmd_stat_flows(argc - 1, argv + 1);  /* cmd_stat_flows.c */
	if (argc >= 2 && strcmp(argv[1], "servers") == 0)
		return cmd_stat_servers(argc - 1, argv + 1);
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:s:jPw:c:ah", lopts, NULL)) != -1) {
		switch (c) {
		case 'p': prefix = optarg; break;
		case 's': sock = optarg; break;
		case 'j': o.fmt = FMT_JSON; break;
		case 'P': o.fmt = FMT_PROM; break;
		case 'a': o.all = 1; break;
		case 'w':
			errno = 0;
			o.interval = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o.interval >= 0.01) ||
			    o.interval > 86400)
				return bad_usage("--watch: seconds between 0.01 and 86400");
			o.watch = 1;
			break;
		case 'c':
			errno = 0;
			o.count = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o.count < 1)
				return bad_usage("--count: a number >= 1");
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
	if (prefix && sock)
		return bad_usage("--prefix and --socket exclude each other");
	if (o.count > 1 && !o.watch)
		o.watch = 1;                /* --count N alone: every second */
	if (o.count < 0)
		o.count = o.watch ? 0 : 1;  /* 0: unlimited */
	prev = calloc(1, sizeof(*prev));
	cur = calloc(1, sizeof(*cur));
	if (prev == NULL || cur == NULL) {
		fprintf(stderr, "mailtap: out of memory\n");
		free(prev);
		free(cur);
		return 1;
	}
	if (stat_open(prefix, sock, &t) != 0) {
		free(prev);
		free(cur);
		return 1;
	}
	/* the table shows rates: it needs a first sample one interval back */
	if (o.fmt == FMT_TABLE) {
		if (mt_sc_sample(&t, prev, &err) != 0)
			goto fail;
		sleep_until(prev->t + o.interval);
	}
	for (;;) {
		if (mt_sc_sample(&t, cur, &err) != 0)
			goto fail;
		switch (o.fmt) {
		case FMT_TABLE:
			if (o.watch && isatty(STDOUT_FILENO))
				fputs("\033[H\033[2J", stdout);
			print_table(stdout, &t, prev, cur, &o);
			break;
		case FMT_JSON:
			print_json(stdout, &t, cur);
			break;
		case FMT_PROM:
			print_prom(stdout, cur);
			if (mt_stat_flows_prom(stdout, &t, &err) != 0)
				goto fail;
			break;
		}
		fflush(stdout);
		if ((o.count && ++done >= o.count) || !o.watch)
			break;
		mt_sc_sample_free(prev);
		tmp = prev;
		prev = cur;
		cur = tmp;
		sleep_until(prev->t + o.interval);
	}
	goto out;
fail:
	fprintf(stderr, "mailtap: %s\n", err.msg);
	rc = 1;
out:
	mt_sc_sample_free(prev);
	mt_sc_sample_free(cur);
	free(prev);
	free(cur);
	mt_tel_close(&t);
	return rc;
}
