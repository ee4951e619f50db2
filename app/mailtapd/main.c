/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtapd - rebuild the mails crossing a site's mail servers from
 * mirrored packets.
 *
 *	mailtapd [EAL options] -- [--config FILE] [--spool DIR] [--check-config]
 *	mailtapd -- --check-rules FILE...
 *
 * Exit codes: 0 done; 1 runtime failure (EAL, ports, pools, spool);
 * 2 bad usage or configuration; 3 the pipeline drained but its counters do
 * not add up (a bug: please report it with the summary).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "mt_conf.h"
#include "mt_eal.h"
#include "mt_pipeline.h"
#include "mt_scan.h"
#include "mt_stats.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_COUNTERS = 3 };

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [EAL options] -- [options]\n"
		"  --config FILE    read FILE (INI; see config/mailtap.conf); built-in\n"
		"                   defaults without it\n"
		"  --spool DIR      write mails to DIR (overrides [spool] dir)\n"
		"  --check-config   load the config, report errors, exit 0 if valid\n"
		"  --print-config   print the documented default config and exit\n"
		"  --check-rules FILE...  compile scan rules files, print every error\n"
		"                   as FILE:LINE: message; exit 0 if all compile, 2 if not\n"
		"  --help           this text\n"
		"examples:\n"
		"  %s -l 0-1 --no-pci --vdev net_pcap0,rx_pcap=/path/mail.pcap -- --spool /tmp/sp\n"
		"  %s -l 0-3 -a 0000:03:00.0 -- --config /etc/mailtap/mailtap.conf\n",
		prog, prog, prog);
}

static void
on_signal(int sig)
{
	(void)sig;
	mt_pipeline_stop();
}

static void
on_hup(int sig)
{
	(void)sig;
	mt_pipeline_reload_rules();
}

/*
 * [scan] rules: split the ',' list, make each relative path relative to
 * the config file's directory, and store the result back (still a ','
 * list) for the pipeline.  Returns 0 or -1 (message printed).
 */
static int
resolve_rules(struct mt_conf *conf, const char *config)
{
	char out[sizeof(conf->scan_rules)], item[MT_CONF_PATH_MAX * 2];
	const char *p = conf->scan_rules, *e, *slash;
	size_t len = 0, n, dlen = 0;
	int k;

	if (config != NULL && (slash = strrchr(config, '/')) != NULL)
		dlen = (size_t)(slash - config) + 1;
	out[0] = '\0';
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (p[0] == '/' || dlen == 0)
			k = snprintf(item, sizeof(item), "%.*s", (int)n, p);
		else
			k = snprintf(item, sizeof(item), "%.*s%.*s", (int)dlen, config, (int)n, p);
		if (k < 0 || (size_t)k >= sizeof(item) ||
		    len + (size_t)k + 2 > sizeof(out)) {
			fprintf(stderr, "mailtapd: [scan] rules: path list too long\n");
			return -1;
		}
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", len ? "," : "",
					item);
		p += e ? (size_t)(e - p) : strlen(p);
	}
	memcpy(conf->scan_rules, out, len + 1);
	return 0;
}

/* [fingerprint] rules: a relative directory is taken from the config
 * file's directory, as [scan] rules and [policy] servers_file are. */
static int
resolve_fp_rules(struct mt_conf *conf, const char *config)
{
	char out[sizeof(conf->fp_rules)];
	const char *slash;
	int k;

	if (conf->fp_rules[0] == '\0' || conf->fp_rules[0] == '/' || config == NULL ||
	    (slash = strrchr(config, '/')) == NULL)
		return 0;
	k = snprintf(out, sizeof(out), "%.*s%s", (int)(slash - config) + 1, config,
		     conf->fp_rules);
	if (k < 0 || (size_t)k >= sizeof(out)) {
		fprintf(stderr, "mailtapd: [fingerprint] rules: path too long once made "
				"relative to the directory of %s\n", config);
		return -1;
	}
	memcpy(conf->fp_rules, out, (size_t)k + 1);
	return 0;
}

/* Every path of a resolved ',' list into paths[] (pointing into buf). */
static unsigned
split_rules(const char *list, char *buf, size_t size, const char **paths, unsigned max)
{
	unsigned n = 0;
	char *s, *save = NULL;

	snprintf(buf, size, "%s", list);
	for (s = strtok_r(buf, ",", &save); s != NULL && n < max; s = strtok_r(NULL, ",", &save))
		paths[n++] = s;
	return n;
}

static void
print_rule_error(void *ctx, const char *msg)
{
	(*(unsigned *)ctx)++;
	fprintf(stderr, "mailtapd: %s\n", msg);
}

/* Refuse to start on a bad rules file: compile once on the heap (the
 * pipeline compiles again on the workers' node). */
static int
check_rules_at_start(const struct mt_conf *conf)
{
	const char *paths[MT_PIPELINE_MAX_RULES_FILES];
	char buf[sizeof(conf->scan_rules)];
	unsigned n, errors = 0;
	struct mt_scan_params prm = { MT_SCAN_SOCKET_HEAP, print_rule_error, &errors };
	struct mt_scan_db *db;
	struct mt_err err;

	n = split_rules(conf->scan_rules, buf, sizeof(buf), paths, MT_PIPELINE_MAX_RULES_FILES);
	if (n == 0)
		return 0;
	if (mt_scan_db_load(paths, n, &prm, &db, &err) < 0) {
		if (errors == 0)
			fprintf(stderr, "mailtapd: %s\n", err.msg);
		fprintf(stderr, "mailtapd: [scan] rules: %u error%s; not starting\n",
			errors ? errors : 1, errors == 1 ? "" : "s");
		return -1;
	}
	mt_scan_db_put(db);
	return 0;
}

/* App options after the EAL's "--".  Returns 0, 1 (exit 0 now) or -1. */
static int
parse_args(int argc, char **argv, struct mt_conf *conf, int *check_only)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "spool", required_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "print-config", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *spool = NULL;
	struct mt_err err;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 's':
			spool = optarg;
			break;
		case 'k':
			*check_only = 1;
			break;
		case 'p':
			mt_conf_print_doc(stdout);
			return 1;
		case 'h':
			usage(stdout, "mailtapd");
			return 1;
		default:
			usage(stderr, "mailtapd");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mailtapd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (config != NULL && mt_conf_load(conf, config, &err) != 0) {
		fprintf(stderr, "mailtapd: %s\n", err.msg);
		return -1;
	}
	if (resolve_rules(conf, config) != 0 || resolve_fp_rules(conf, config) != 0 ||
	    check_rules_at_start(conf) != 0)
		return -1;
	if (spool != NULL) {
		if (strlen(spool) >= sizeof(conf->spool_dir)) {
			fprintf(stderr, "mailtapd: --spool path too long\n");
			return -1;
		}
		strcpy(conf->spool_dir, spool);
	}
	if (*check_only)
		printf("mailtapd: %s: configuration is valid\n", config ? config : "(defaults)");
	return 0;
}

/* Is "--check-config"/"--help"/"--print-config" among the app arguments?
 * Then the EAL need not start at all. */
static int
app_only(int argc, char **argv)
{
	int i, after = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			after = 1;
		else if (after && (!strcmp(argv[i], "--check-config") ||
				   !strcmp(argv[i], "--help") || !strcmp(argv[i], "--print-config")))
			return i;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct mt_pipeline *p;
	struct mt_conf conf;
	struct mt_err err;
	int n, rc, check_only = 0, bad, i;

	mt_conf_defaults(&conf);
	/* --check-rules FILE...: no EAL, no config */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i + 1 < argc && strcmp(argv[i + 1], "--check-rules") == 0) {
		if (i + 2 >= argc) {
			fprintf(stderr, "mailtapd: --check-rules needs at least one FILE\n");
			return EXIT_USAGE;
		}
		rc = mt_scan_check_files((const char *const *)argv + i + 2,
					 (unsigned)(argc - i - 2), stdout);
		return rc ? EXIT_USAGE : 0;
	}
	if (app_only(argc, argv)) {
		for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
			;
		argv[i] = argv[0];
		rc = parse_args(argc - i, argv + i, &conf, &check_only);
		return rc < 0 ? EXIT_USAGE : 0;
	}

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "mailtapd: EAL init failed: %s\n", rte_strerror(rte_errno));
		return EXIT_RUNTIME;
	}
	argc -= n;
	argv += n;
	argv[0] = (char *)"mailtapd";
	rc = parse_args(argc, argv, &conf, &check_only);
	if (rc != 0 || check_only) {
		mt_eal_cleanup();
		return rc < 0 ? EXIT_USAGE : 0;
	}
	rte_log_set_level_pattern("mailtap.*", conf.log_level);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_hup);

	p = mt_pipeline_create(&conf, &err);
	if (p == NULL) {
		fprintf(stderr, "mailtapd: %s\n", err.msg);
		mt_eal_cleanup();
		return EXIT_RUNTIME;
	}
	if (mt_stats_telemetry_register() != 0)
		fprintf(stderr, "mailtapd: warning: telemetry commands not registered\n");
	mt_pipeline_print_roles(p, stdout);
	fflush(stdout);
	rc = mt_pipeline_run(p);
	bad = mt_pipeline_print_summary(p, stdout);
	mt_pipeline_free(p);
	mt_eal_cleanup();
	if (rc != 0)
		return EXIT_RUNTIME;
	return bad ? EXIT_COUNTERS : 0;
}
