/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtap probe [options] TARGET...
 * mailtap probe [options] --input FILE|-
 * mailtap probe report [--html OUT] FILE          (cmd_report.c)
 *
 * A TARGET is a numeric ADDR[:PORT] / [IPv6][:PORT] (probed directly) or a
 * domain name (MX hosts resolved with c-ares, RFC 5321 fallback to the
 * domain's own A/AAAA, then each MX host's --port probed).  lib/probe runs
 * the dialogues (thousands at once, one thread), lib/fp names the software.
 *
 * Addresses only, without --input/--output: one verdict per host as text
 * (or --json lines; --raw adds the transcript in fixture format).
 * Otherwise: one JSON record per domain/address (docs/FINGERPRINTS.md), to
 * stdout or appended to --output FILE, which also makes the run resumable:
 * items FILE already holds are skipped.  A progress bar with rate and ETA
 * goes to stderr when it is a terminal.
 * Exit: 0 done (dead hosts and domains without mail are results);
 * 1 a host was unreachable (address/text mode), or rules, resolver or
 * output failed; 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "mt_fp.h"
#include "mt_probe.h"

int cmd_report(int argc, char **argv); /* cmd_report.c */

static void
probe_usage(FILE *f)
{
	fprintf(f,
		"usage: mailtap probe [options] TARGET...\n"
		"       mailtap probe [options] --input FILE|-\n"
		"       mailtap probe report [--html OUT.html] FILE\n"
		"  TARGET: a numeric ADDR[:PORT] or [IPv6][:PORT], or a domain (MX hosts probed)\n"
		"  --input FILE       targets, one per line ('#' comments); '-' = stdin\n"
		"  --output FILE      append JSON records to FILE; targets it holds are skipped\n"
		"  --resolver A[:P][,...]  DNS server(s) for MX/A/AAAA (default: /etc/resolv.conf)\n"
		"  --port N           port probed on MX hosts and bare addresses (25)\n"
		"  --concurrency N    hosts in dialogue at once (500)\n"
		"  --rate N           new connections per second, 0 = no limit (100)\n"
		"  --timeout MS       connect and read timeout at once\n"
		"  --connect-timeout MS (5000)  --read-timeout MS (10000)  --total-timeout MS (60000)\n"
		"  --max-targets N    addresses probed per domain (3)\n"
		"  --dns-concurrency N  domains resolving at once (200)\n"
		"  --progress | --no-progress   (default: when stderr is a terminal)\n"
		"  --stats            print the run's counters to stderr at the end\n"
		"  --rules DIR        fingerprint rules (default: config/fingerprints next to the\n"
		"                     build, else /etc/mailtap/fingerprints)\n"
		"  --json             address mode: JSON lines instead of text\n"
		"  --raw              address mode: also print the transcript (fixture format)\n");
}

static void
default_rules(char *buf, size_t cap)
{
	char tmp[1024], exe[900];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- address mode: text / --json / --raw, as mailtap probe always printed */

struct addr_run {
	const struct mt_fp_db *db;
	int json, raw, rc;
};

static void
print_text(const char *target, const struct mt_fp_verdict *v)
{
	if (v->known)
		printf("%s: %s%s%s (%s, %s) score %d, %d non-banner observations agree\n", target,
		       v->product, v->version[0] ? " " : "", v->version, v->vendor, v->family,
		       v->score, v->nonbanner);
	else
		printf("%s: unknown (%s)%s%s\n", target, v->reason, v->rule[0] ? "; nearest " : "",
		       v->rule);
	for (int i = 0; v->known && i < v->ndecided; i++)
		printf("    %+3d %-10s %s\n", v->decided[i].weight, mt_fp_obs_name(v->decided[i].obs),
		       v->decided[i].cond);
}

struct addr_target {
	struct addr_run *ar;
	char key[];
};

static void
addr_done(void *user, const struct sockaddr *sa, const struct mt_probe_result *r)
{
	const struct addr_target *at = user;
	const char *target = at->key;
	struct addr_run *ar = at->ar;
	struct mt_fp_verdict *v;

	(void)sa;
	if (r->error) {
		fprintf(stderr, "mailtap probe: %s: connect: %s\n", target, strerror(r->error));
		ar->rc = 1;
		if (ar->json) {
			printf("{\"target\":");
			mt_probe_json_str(stdout, target);
			printf(",");
			mt_probe_json_host(stdout, r, NULL);
			printf("}\n");
		}
		fflush(stdout);
		return;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		ar->rc = 1;
		return;
	}
	mt_fp_classify(ar->db, r->obs, v);
	if (ar->json) {
		printf("{\"target\":");
		mt_probe_json_str(stdout, target);
		printf(",");
		mt_probe_json_host(stdout, r, v);
		printf("}\n");
	} else {
		print_text(target, v);
	}
	if (ar->raw) {
		static char buf[MT_FP_NOBS * (MT_FP_TEXT_MAX + 32)];

		mt_fp_obsset_format(r->obs, buf, sizeof(buf));
		fputs(buf, ar->json ? stderr : stdout);
	}
	fflush(stdout);
	free(v);
}

static int
run_addresses(char **targets, int n, const struct mt_probe_params *pp, uint16_t port,
	      struct addr_run *ar)
{
	struct mt_err err = { "" };
	struct mt_probe_engine *e = mt_probe_engine_new(pp, &err);
	struct addr_target **keys = calloc((size_t)n, sizeof(*keys));
	struct sockaddr_storage *ss = calloc((size_t)n, sizeof(*ss));
	socklen_t *sl = calloc((size_t)n, sizeof(*sl));
	int rc = 0;

	if (!e || !keys || !ss || !sl) {
		fprintf(stderr, "mailtap probe: %s\n", e ? "out of memory" : err.msg);
		rc = 1;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		int dup = 0;

		mt_probe_parse_addr(targets[i], port, &ss[i], &sl[i]);
		for (int k = 0; k < i && !dup; k++)
			dup = sl[k] == sl[i] && memcmp(&ss[k], &ss[i], sl[i]) == 0;
		if (dup) /* one connection per target at a time: probe it once */
			continue;
		keys[i] = malloc(sizeof(*keys[i]) + strlen(targets[i]) + 1);
		if (!keys[i]) {
			rc = 1;
			goto out;
		}
		keys[i]->ar = ar;
		strcpy(keys[i]->key, targets[i]);
		if (mt_probe_engine_submit(e, (struct sockaddr *)&ss[i], sl[i], addr_done,
					   keys[i]) != 0) {
			rc = 1;
			goto out;
		}
	}
	while (mt_probe_engine_pending(e) > 0) {
		int k = mt_probe_engine_poll(e, 1000);

		if (k < 0) {
			fprintf(stderr, "mailtap probe: %s\n", strerror(-k));
			rc = 1;
			break;
		}
	}
	if (!rc)
		rc = ar->rc;
out:
	mt_probe_engine_free(e);
	for (int i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	free(ss);
	free(sl);
	return rc;
}

/* ---- survey mode */

/* Set of item keys: resumed from --output and added in this run. */
struct keyset {
	char **slot;
	size_t cap, n;
};

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* 1 if added, 0 if it was there, -1 out of memory. */
static int
keyset_add(struct keyset *k, const char *key)
{
	if ((k->n + 1) * 2 > k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 1024;
		char **ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return -1;
		for (size_t i = 0; i < k->cap; i++) {
			if (!k->slot[i])
				continue;
			size_t j = str_hash(k->slot[i]) & (ncap - 1);

			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = k->slot[i];
		}
		free(k->slot);
		k->slot = ns;
		k->cap = ncap;
	}
	size_t j = str_hash(key) & (k->cap - 1);

	while (k->slot[j]) {
		if (strcmp(k->slot[j], key) == 0)
			return 0;
		j = (j + 1) & (k->cap - 1);
	}
	k->slot[j] = strdup(key);
	if (!k->slot[j])
		return -1;
	k->n++;
	return 1;
}

static void
keyset_free(struct keyset *k)
{
	for (size_t i = 0; i < k->cap; i++)
		free(k->slot[i]);
	free(k->slot);
}

/* Same form as the survey's key: trimmed; domains lower-cased, no final dot. */
static void
item_key(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		memmove(s, s + 1, strlen(s));
	n = strcspn(s, " \t\r\n#");
	s[n] = '\0';
	if (strchr(s, ':') || strchr(s, '['))
		return; /* an address: as given */
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	while (n > 1 && s[n - 1] == '.')
		s[--n] = '\0';
}

/*
 * Read the keys of an earlier run's records; cut a torn last line (a run
 * killed mid-write) so that appending starts on a line of its own.
 */
static int
resume_load(const char *path, struct keyset *ks, size_t *nkeys)
{
	FILE *f = fopen(path, "r+");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	off_t good = 0;

	*nkeys = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		char key[300];
		const char *p;
		size_t k = 0;

		if (line[len - 1] != '\n')
			break;
		good += len;
		if (strncmp(line, "{\"domain\":\"", 11) == 0)
			p = line + 11;
		else if (strncmp(line, "{\"target\":\"", 11) == 0)
			p = line + 11;
		else
			continue;
		while (p[k] && p[k] != '"' && p[k] != '\\' && k + 1 < sizeof(key)) {
			key[k] = p[k];
			k++;
		}
		if (p[k] != '"')
			continue;
		key[k] = '\0';
		if (keyset_add(ks, key) > 0)
			(*nkeys)++;
	}
	free(line);
	fflush(f);
	if (ftruncate(fileno(f), good) != 0) {
		int e = errno;

		fclose(f);
		return -e;
	}
	fclose(f);
	return 0;
}

struct survey_out {
	int fd;          /* --output, or -1: stdout */
	int failed;
	uint64_t records;
};

static void
record(void *user, const char *key, const char *line, size_t len)
{
	struct survey_out *o = user;

	(void)key;
	o->records++;
	if (o->fd < 0) {
		if (fwrite(line, 1, len, stdout) != len)
			o->failed = 1;
		return;
	}
	while (len) {
		ssize_t k = write(o->fd, line, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			o->failed = 1;
			return;
		}
		line += k;
		len -= (size_t)k;
	}
}

static void
progress(const struct mt_probe_survey *s, uint64_t base, uint64_t total, double t0, int end)
{
	struct mt_probe_survey_stats st;
	double el = now_s() - t0;
	uint64_t done;
	double rate;
	char eta[32] = "?";

	mt_probe_survey_stats(s, &st);
	done = base + st.items_done;
	rate = el > 0 ? st.items_done / el : 0;
	if (total && rate > 0 && done <= total) {
		long secs = (long)((total - done) / rate);

		snprintf(eta, sizeof(eta), "%ld:%02ld:%02ld", secs / 3600, secs / 60 % 60,
			 secs % 60);
	}
	if (total) {
		int w = 30, fill = (int)(w * (double)done / (double)(total ? total : 1));
		char bar[64];

		fill = fill > w ? w : fill;
		memset(bar, '=', (size_t)fill);
		memset(bar + fill, ' ', (size_t)(w - fill));
		bar[w] = '\0';
		fprintf(stderr, "\r[%s] %llu/%llu %5.1f%%  %.1f/s  ETA %s  active %u  ", bar,
			(unsigned long long)done, (unsigned long long)total,
			100.0 * (double)done / (double)total, rate, eta, st.engine.active);
	} else {
		fprintf(stderr, "\r%llu done  %.1f/s  active %u  ", (unsigned long long)done, rate,
			st.engine.active);
	}
	if (end)
		fputc('\n', stderr);
}

static uint64_t
count_items(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	uint64_t n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		item_key(line);
		n += line[0] != '\0';
	}
	fclose(f);
	return n;
}

struct survey_opts {
	struct mt_probe_survey_params sp;
	const char *input, *output;
	int progress; /* -1: when stderr is a terminal */
	int stats;
};

static int
run_survey(struct survey_opts *so, char **targets, int ntargets)
{
	struct survey_out out = { -1, 0, 0 };
	struct keyset ks = { NULL, 0, 0 };
	struct mt_err err = { "" };
	struct mt_probe_survey *s = NULL;
	FILE *in = NULL;
	size_t resumed = 0;
	uint64_t total = 0, skipped = 0;
	unsigned window = so->sp.probe.max_sessions * 2 + so->sp.max_dns;
	int rc = 0, eof = 0, argi = 0, show;
	double t0 = now_s(), last = 0;

	if (so->output) {
		int k = resume_load(so->output, &ks, &resumed);

		if (k < 0) {
			fprintf(stderr, "mailtap probe: %s: %s\n", so->output, strerror(-k));
			return 1;
		}
		out.fd = open(so->output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (out.fd < 0) {
			fprintf(stderr, "mailtap probe: %s: %s\n", so->output, strerror(errno));
			keyset_free(&ks);
			return 1;
		}
	}
	if (so->input) {
		in = strcmp(so->input, "-") == 0 ? stdin : fopen(so->input, "r");
		if (!in) {
			fprintf(stderr, "mailtap probe: %s: %s\n", so->input, strerror(errno));
			rc = 1;
			goto out;
		}
		if (in != stdin)
			total = count_items(so->input);
	} else {
		total = (uint64_t)ntargets;
	}
	show = so->progress < 0 ? isatty(2) : so->progress;
	s = mt_probe_survey_new(&so->sp, record, &out, &err);
	if (!s) {
		fprintf(stderr, "mailtap probe: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	for (;;) {
		/* top up the window from the arguments or the input */
		while (!eof && mt_probe_survey_inflight(s) < window) {
			char line[1024];

			if (in) {
				if (!fgets(line, sizeof(line), in)) {
					eof = 1;
					break;
				}
			} else if (argi < ntargets) {
				snprintf(line, sizeof(line), "%s", targets[argi++]);
			} else {
				eof = 1;
				break;
			}
			item_key(line);
			if (!line[0])
				continue;
			int k = keyset_add(&ks, line);

			if (k == 0) { /* in --output already, or a repeat */
				skipped++;
				continue;
			}
			if (k > 0)
				k = mt_probe_survey_add(s, line, &err);
			if (k == -EINVAL) { /* a bad line is reported and skipped */
				fprintf(stderr, "mailtap probe: %s\n", err.msg);
				skipped++;
			} else if (k < 0) {
				fprintf(stderr, "mailtap probe: %s\n", err.msg[0] ? err.msg : "out of memory");
				rc = 1;
				goto out;
			}
		}
		if (eof && mt_probe_survey_inflight(s) == 0)
			break;
		int k = mt_probe_survey_run(s, 200);

		if (k < 0) {
			fprintf(stderr, "mailtap probe: %s\n", strerror(-k));
			rc = 1;
			break;
		}
		if (out.failed) {
			fprintf(stderr, "mailtap probe: writing records failed\n");
			rc = 1;
			break;
		}
		if (show && now_s() - last >= 0.2) {
			last = now_s();
			progress(s, skipped, total, t0, 0);
		}
		if (out.fd < 0)
			fflush(stdout);
	}
	if (show)
		progress(s, skipped, total, t0, 1);
	if (so->stats) {
		struct mt_probe_survey_stats st;

		mt_probe_survey_stats(s, &st);
		fprintf(stderr,
			"probe stats: items %llu skipped %llu seconds %.3f hosts_probed %llu "
			"cache_hits %llu dns_queries %llu connects %llu connect_failures %llu "
			"read_timeouts %llu total_timeouts %llu peak_active %u\n",
			(unsigned long long)st.items_done, (unsigned long long)skipped, now_s() - t0,
			(unsigned long long)st.hosts_probed, (unsigned long long)st.cache_hits,
			(unsigned long long)st.dns_queries, (unsigned long long)st.engine.connects,
			(unsigned long long)st.engine.connect_failures,
			(unsigned long long)st.engine.read_timeouts,
			(unsigned long long)st.engine.total_timeouts, st.engine.peak_active);
	}
	if (resumed)
		fprintf(stderr, "mailtap probe: resumed: %zu records already in %s\n", resumed,
			so->output);
out:
	fflush(stdout);
	mt_probe_survey_free(s);
	if (in && in != stdin)
		fclose(in);
	if (out.fd >= 0 && close(out.fd) != 0)
		rc = 1;
	keyset_free(&ks);
	return rc;
}

/* Enough descriptors for the sessions, the resolver and the files. */
static int
raise_nofile(unsigned sessions)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur >= (rlim_t)sessions + 64 ? 0 : -1;
}

static int
num_arg(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end || *v < lo || *v > hi ? -1 : 0;
}

int
cmd_probe(int argc, char **argv)
{
	enum { O_INPUT = 256, O_OUTPUT, O_RESOLVER, O_PORT, O_CONC, O_RATE, O_CTO, O_RTO,
	       O_TTO, O_MAXT, O_DNSC, O_PROG, O_NOPROG, O_STATS };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ "rules", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 't' },
		{ "input", required_argument, NULL, O_INPUT },
		{ "output", required_argument, NULL, O_OUTPUT },
		{ "resolver", required_argument, NULL, O_RESOLVER },
		{ "port", required_argument, NULL, O_PORT },
		{ "concurrency", required_argument, NULL, O_CONC },
		{ "rate", required_argument, NULL, O_RATE },
		{ "connect-timeout", required_argument, NULL, O_CTO },
		{ "read-timeout", required_argument, NULL, O_RTO },
		{ "total-timeout", required_argument, NULL, O_TTO },
		{ "max-targets", required_argument, NULL, O_MAXT },
		{ "dns-concurrency", required_argument, NULL, O_DNSC },
		{ "progress", no_argument, NULL, O_PROG },
		{ "no-progress", no_argument, NULL, O_NOPROG },
		{ "stats", no_argument, NULL, O_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct survey_opts so = { .progress = -1 };
	struct mt_probe_params *pp = &so.sp.probe;
	char rules[1024] = "";
	int json = 0, raw = 0, c, rc, all_addr = 1;
	struct mt_fp_db *db;
	struct mt_err err = { "" };
	long v;

	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	mt_probe_survey_params_default(&so.sp);
	while ((c = getopt_long(argc, argv, "jrR:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'r': raw = 1; break;
		case 'R': snprintf(rules, sizeof(rules), "%s", optarg); break;
		case 't':
			if (num_arg(optarg, 1, 3600000, &v))
				goto usage;
			pp->connect_ms = pp->read_ms = (int)v;
			break;
		case O_CTO:
			if (num_arg(optarg, 1, 3600000, &v))
				goto usage;
			pp->connect_ms = (int)v;
			break;
		case O_RTO:
			if (num_arg(optarg, 1, 3600000, &v))
				goto usage;
			pp->read_ms = (int)v;
			break;
		case O_TTO:
			if (num_arg(optarg, 0, 36000000, &v))
				goto usage;
			pp->total_ms = (int)v;
			break;
		case O_INPUT: so.input = optarg; break;
		case O_OUTPUT: so.output = optarg; break;
		case O_RESOLVER: so.sp.resolver = optarg; break;
		case O_PORT:
			if (num_arg(optarg, 1, 65535, &v))
				goto usage;
			so.sp.port = (uint16_t)v;
			break;
		case O_CONC:
			if (num_arg(optarg, 1, 1000000, &v))
				goto usage;
			pp->max_sessions = (unsigned)v;
			break;
		case O_RATE:
			if (num_arg(optarg, 0, 10000000, &v))
				goto usage;
			pp->rate = (unsigned)v;
			break;
		case O_MAXT:
			if (num_arg(optarg, 1, 64, &v))
				goto usage;
			so.sp.max_targets = (unsigned)v;
			break;
		case O_DNSC:
			if (num_arg(optarg, 1, 100000, &v))
				goto usage;
			so.sp.max_dns = (unsigned)v;
			break;
		case O_PROG: so.progress = 1; break;
		case O_NOPROG: so.progress = 0; break;
		case O_STATS: so.stats = 1; break;
		case 'h': probe_usage(stdout); return 0;
		default: goto usage;
		}
	}
	if (optind >= argc && !so.input)
		goto usage;
	if (optind < argc && so.input)
		goto usage;
	for (int i = optind; i < argc; i++) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (mt_probe_parse_addr(argv[i], so.sp.port, &ss, &sl) != 0) {
			all_addr = 0;
			if (strchr(argv[i], ':') || strchr(argv[i], '[')) {
				fprintf(stderr, "mailtap probe: %s: not a numeric ADDR[:PORT]\n",
					argv[i]);
				return 2;
			}
		}
	}
	if (raise_nofile(pp->max_sessions) != 0)
		fprintf(stderr, "mailtap probe: warning: the open-files limit is below "
				"--concurrency + 64; connections may fail\n");
	if (!rules[0])
		default_rules(rules, sizeof(rules));
	db = mt_fp_db_new();
	if (!db || mt_fp_db_load_dir(db, rules, &err) != 0) {
		fprintf(stderr, "mailtap probe: %s\n", db ? err.msg : "out of memory");
		mt_fp_db_free(db);
		return 1;
	}
	so.sp.db = db;
	if (all_addr && !so.input && !so.output) {
		struct addr_run ar = { db, json, raw, 0 };

		rc = run_addresses(argv + optind, argc - optind, pp, so.sp.port, &ar);
	} else {
		if (raw)
			fprintf(stderr, "mailtap probe: --raw applies to address mode only; "
					"records hold the transcript\n");
		rc = run_survey(&so, argv + optind, argc - optind);
	}
	mt_fp_db_free(db);
	return rc;
usage:
	probe_usage(stderr);
	return 2;
}
