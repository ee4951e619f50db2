/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtap probe [--json] [--raw] [--rules DIR] ADDR[:PORT]...
 *
 * Runs the fingerprint probe dialogue (lib/probe) against each address
 * (numeric IPv4, or [IPv6]:PORT; port 25 by default) and prints the verdict
 * of the rule engine (lib/fp): product, version, family, score and the
 * observations that decided, or "unknown".  Host names, MX resolution and
 * the survey report come later (issue 8).
 * Exit: 0 every host probed; 1 a host could not be reached or rules failed
 * to load; 2 bad usage.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <libgen.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "mt_fp.h"
#include "mt_probe.h"

static void
probe_usage(FILE *f)
{
	fprintf(f, "usage: mailtap probe [--json] [--raw] [--rules DIR] [--timeout MS] ADDR[:PORT]...\n"
		   "  ADDR is a numeric IPv4 address or [IPv6]; PORT defaults to 25.\n"
		   "  --rules DIR  fingerprint rules (default: config/fingerprints next to the\n"
		   "               build, else /etc/mailtap/fingerprints)\n"
		   "  --raw        also print the transcript (fixture format)\n");
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int
parse_target(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256], port[16] = "25";
	const char *colon;
	struct addrinfo hints, *ai = NULL;

	if (arg[0] == '[') {
		const char *rb = strchr(arg, ']');

		if (!rb || (size_t)(rb - arg - 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - arg - 1), arg + 1);
		if (rb[1] == ':')
			snprintf(port, sizeof(port), "%s", rb + 2);
		else if (rb[1])
			return -1;
	} else {
		colon = strrchr(arg, ':');
		if (colon && strchr(arg, ':') == colon) {
			snprintf(host, sizeof(host), "%.*s", (int)(colon - arg), arg);
			snprintf(port, sizeof(port), "%s", colon + 1);
		} else {
			snprintf(host, sizeof(host), "%s", arg);
		}
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void
default_rules(const char *argv0, char *buf, size_t cap)
{
	char tmp[1024], exe[1024];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)argv0;
	if (n > 0) {
		exe[n] = '\0';
		/* build/bin/mailtap -> ../../config/fingerprints */
		snprintf(tmp, sizeof(tmp), "%s/../../config/fingerprints", dirname(exe));
		if (access(tmp, R_OK) == 0) {
			snprintf(buf, cap, "%s", tmp);
			return;
		}
	}
	snprintf(buf, cap, "/etc/mailtap/fingerprints");
}

static void
print_text(const char *target, const struct mt_fp_verdict *v)
{
	if (v->known)
		printf("%s: %s%s%s (%s, %s) score %d, %d non-banner observations agree\n", target,
		       v->product, v->version[0] ? " " : "", v->version, v->vendor, v->family,
		       v->score, v->nonbanner);
	else
		printf("%s: unknown (%s)%s%s%s\n", target, v->reason,
		       v->rule[0] ? "; nearest " : "", v->rule, v->rule[0] ? "" : "");
	for (int i = 0; v->known && i < v->ndecided; i++)
		printf("    %+3d %-10s %s\n", v->decided[i].weight, mt_fp_obs_name(v->decided[i].obs),
		       v->decided[i].cond);
}

static void
print_json(const char *target, const struct mt_fp_verdict *v, const struct mt_fp_obsset *set)
{
	printf("{\"target\":");
	json_str(stdout, target);
	printf(",\"verdict\":\"%s\"", v->known ? "known" : "unknown");
	if (v->known) {
		printf(",\"rule\":");
		json_str(stdout, v->rule);
		printf(",\"product\":");
		json_str(stdout, v->product);
		printf(",\"vendor\":");
		json_str(stdout, v->vendor);
		printf(",\"family\":");
		json_str(stdout, v->family);
		printf(",\"version\":");
		if (v->version[0])
			json_str(stdout, v->version);
		else
			printf("null");
	} else {
		printf(",\"reason\":");
		json_str(stdout, v->reason);
		printf(",\"nearest\":");
		json_str(stdout, v->rule);
	}
	printf(",\"score\":%d,\"threshold\":%d,\"nonbanner\":%d", v->score, MT_FP_THRESHOLD,
	       v->nonbanner);
	printf(",\"runner_up\":");
	json_str(stdout, v->runner_up);
	printf(",\"runner_score\":%d,\"decided\":[", v->runner_score);
	for (int i = 0; i < v->ndecided; i++) {
		printf("%s{\"obs\":\"%s\",\"weight\":%d,\"cond\":", i ? "," : "",
		       mt_fp_obs_name(v->decided[i].obs), v->decided[i].weight);
		json_str(stdout, v->decided[i].cond);
		printf("}");
	}
	printf("],\"transcript\":{");
	for (int i = 0, first = 1; i < MT_FP_NOBS; i++) {
		const struct mt_fp_obs *o = &set->o[i];

		if (!o->present)
			continue;
		printf("%s\"%s\":{\"reply\":", first ? "" : ",", mt_fp_obs_name(i));
		json_str(stdout, o->text);
		printf(",\"ms\":%u,\"closed\":%s,\"timeout\":%s,\"slow\":%s}", o->ms,
		       o->flags & MT_FP_F_CLOSED ? "true" : "false",
		       o->flags & MT_FP_F_TIMEOUT ? "true" : "false",
		       o->flags & MT_FP_F_SLOW ? "true" : "false");
		first = 0;
	}
	printf("}}\n");
}

int
cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },  { "raw", no_argument, NULL, 'r' },
		{ "rules", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },  { NULL, 0, NULL, 0 },
	};
	struct mt_probe_params pp;
	char rules[1024] = "";
	int json = 0, raw = 0, c, rc = 0;
	struct mt_fp_db *db;
	struct mt_err err = { "" };

	mt_probe_params_default(&pp);
	while ((c = getopt_long(argc, argv, "jrR:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'r': raw = 1; break;
		case 'R': snprintf(rules, sizeof(rules), "%s", optarg); break;
		case 't':
			pp.read_ms = atoi(optarg);
			if (pp.read_ms <= 0) {
				probe_usage(stderr);
				return 2;
			}
			pp.connect_ms = pp.read_ms;
			break;
		case 'h': probe_usage(stdout); return 0;
		default: probe_usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		probe_usage(stderr);
		return 2;
	}
	if (!rules[0])
		default_rules(argv[0], rules, sizeof(rules));
	db = mt_fp_db_new();
	if (!db || mt_fp_db_load_dir(db, rules, &err) != 0) {
		fprintf(stderr, "mailtap probe: %s\n", db ? err.msg : "out of memory");
		mt_fp_db_free(db);
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		struct sockaddr_storage ss;
		socklen_t sl;
		struct mt_fp_obsset *set = calloc(1, sizeof(*set));
		struct mt_fp_verdict v;

		if (!set || parse_target(argv[i], &ss, &sl) != 0) {
			fprintf(stderr, "mailtap probe: %s: not a numeric ADDR[:PORT] "
					"(host names come with MX resolution, not yet)\n", argv[i]);
			free(set);
			mt_fp_db_free(db);
			return 2;
		}
		if (mt_probe_host((struct sockaddr *)&ss, sl, &pp, set, &err) != 0) {
			fprintf(stderr, "mailtap probe: %s: %s\n", argv[i], err.msg);
			if (json)
				printf("{\"target\":\"%s\",\"verdict\":\"unreachable\",\"error\":\"%s\"}\n",
				       argv[i], err.msg);
			rc = 1;
			free(set);
			continue;
		}
		mt_fp_classify(db, set, &v);
		if (json)
			print_json(argv[i], &v, set);
		else
			print_text(argv[i], &v);
		if (raw) {
			static char buf[MT_FP_NOBS * (MT_FP_TEXT_MAX + 32)];

			mt_fp_obsset_format(set, buf, sizeof(buf));
			fputs(buf, json ? stderr : stdout);
		}
		free(set);
	}
	mt_fp_db_free(db);
	return rc;
}
