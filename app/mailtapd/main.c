/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtapd - rebuild the mails crossing a site's mail servers from
 * mirrored packets.
 *
 *	mailtapd [EAL options] -- [--config FILE] [--spool DIR] [--check-config]
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
#include "mt_pipeline.h"
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
		rte_eal_cleanup();
		return rc < 0 ? EXIT_USAGE : 0;
	}
	rte_log_set_level_pattern("mailtap.*", conf.log_level);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	p = mt_pipeline_create(&conf, &err);
	if (p == NULL) {
		fprintf(stderr, "mailtapd: %s\n", err.msg);
		rte_eal_cleanup();
		return EXIT_RUNTIME;
	}
	if (mt_stats_telemetry_register() != 0)
		fprintf(stderr, "mailtapd: warning: telemetry commands not registered\n");
	mt_pipeline_print_roles(p, stdout);
	fflush(stdout);
	rc = mt_pipeline_run(p);
	bad = mt_pipeline_print_summary(p, stdout);
	mt_pipeline_free(p);
	rte_eal_cleanup();
	if (rc != 0)
		return EXIT_RUNTIME;
	return bad ? EXIT_COUNTERS : 0;
}
