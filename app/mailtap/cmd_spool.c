/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtap spool: the operator's and the consumer script's view of a spool
 * (docs/SPOOL.md).  The logic is lib/spool's (spool_read.c); this file
 * parses arguments and prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "mt_spool.h"

static const char usage_text[] =
	"usage: mailtap spool SUBCOMMAND ...\n"
	"  list [--all] DIR               segments and their mails (envelope, flags);\n"
	"                                 --all: the unpublished segment too\n"
	"  show [--eml|--json] DIR ID     one mail: its record, a blank line, the message\n"
	"  export --eml OUTDIR DIR|SEG... <id>.eml + <id>.json per mail\n"
	"  export --mbox FILE DIR|SEG...  one mbox (mboxrd: From_ lines, >From quoting)\n"
	"  follow [--timeout S] DIR       print each published segment's path as it\n"
	"                                 appears (those present first); --timeout: exit\n"
	"                                 after S seconds without a new one\n"
	"  claim DIR CONSUMER             move the oldest published segment to\n"
	"                                 DIR/claimed/CONSUMER/ and print its path\n"
	"                                 (exit 3 if none is ready)\n"
	"  ack DIR CONSUMER SEG           move a claimed segment to DIR/done/\n"
	"  release DIR CONSUMER           give CONSUMER's claimed segments back\n"
	"DIR/SEG: a spool directory, or segment (.tar) files.\n";

static int
fail(const struct mt_err *err)
{
	fprintf(stderr, "mailtap: %s\n", err->msg);
	return 1;
}

static int
bad_usage(const char *why)
{
	if (why)
		fprintf(stderr, "mailtap spool: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

/* The segments named by args: a directory's (published, claimed, done;
 * with unpublished, tmp/ too), or files as given. */
static int
collect(char **args, int n, int unpublished, struct mt_spool_seg **out, size_t *cnt,
	struct mt_err *err)
{
	struct mt_spool_seg *all = NULL, *one;
	size_t total = 0, k, i;
	struct stat st;
	int a;

	for (a = 0; a < n; a++) {
		if (stat(args[a], &st) != 0)
			return mt_err_set(err, errno, "%s: %s", args[a], strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			if (mt_spool_segments(args[a], unpublished, &one, &k, err) != 0) {
				free(all);
				return -1;
			}
		} else {
			one = calloc(1, sizeof(*one));
			k = 1;
			if (one == NULL)
				return mt_err_set(err, ENOMEM, "out of memory");
			snprintf(one->path, sizeof(one->path), "%s", args[a]);
			snprintf(one->name, sizeof(one->name), "%s",
				 strrchr(args[a], '/') ? strrchr(args[a], '/') + 1 : args[a]);
			one->state = MT_SPOOL_PUBLISHED;
			one->size = (uint64_t)st.st_size;
		}
		all = realloc(all, (total + k) * sizeof(*all));
		if (all == NULL) {
			free(one);
			return mt_err_set(err, ENOMEM, "out of memory");
		}
		for (i = 0; i < k; i++)
			all[total++] = one[i];
		free(one);
	}
	*out = all;
	*cnt = total;
	return 0;
}

/* --- list --- */

/* a JSON string without its quotes (for values that need no escapes) */
static char *
bare(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

static int
list_mail(void *arg, const struct mt_spool_ref *r)
{
	char ts[64], si[64], sp[16], di[64], dp[16], from[512], to[2048], fl[256];
	const char *j = r->json;

	(void)arg;
	mt_spool_json_get(j, "timestamp", ts, sizeof(ts));
	mt_spool_json_get(j, "src_ip", si, sizeof(si));
	mt_spool_json_get(j, "src_port", sp, sizeof(sp));
	mt_spool_json_get(j, "dest_ip", di, sizeof(di));
	mt_spool_json_get(j, "dest_port", dp, sizeof(dp));
	mt_spool_json_get(j, "mail_from", from, sizeof(from));
	mt_spool_json_get(j, "rcpt_to", to, sizeof(to));
	mt_spool_json_get(j, "flags", fl, sizeof(fl));
	printf("  %s %s %s:%s -> %s:%s from=%s to=%s size=%llu flags=%s\n", r->id, bare(ts),
	       bare(si), sp, bare(di), dp, from, to, (unsigned long long)r->eml_size, fl);
	return 0;
}

static int
count_mail(void *arg, const struct mt_spool_ref *r)
{
	(void)r;
	(*(unsigned *)arg)++;
	return 0;
}

static int
sp_list(int argc, char **argv)
{
	struct mt_spool_seg *segs;
	struct mt_err err;
	int all = 0, c;
	size_t n, i;
	int64_t torn;

	static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { 0 } };

	while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
		if (c != 'a')
			return bad_usage(NULL);
		all = 1;
	}
	if (optind >= argc)
		return bad_usage("list: which spool?");
	if (collect(argv + optind, argc - optind, all, &segs, &n, &err) != 0)
		return fail(&err);
	for (i = 0; i < n; i++) {
		unsigned mails = 0;

		if (mt_spool_seg_foreach(segs[i].path, count_mail, &mails, &torn, &err) != 0) {
			free(segs);
			return fail(&err);
		}
		printf("segment %s %s%s%s %llu bytes %u mails%s\n", segs[i].name,
		       mt_spool_state_name(segs[i].state), segs[i].consumer[0] ? "/" : "",
		       segs[i].consumer, (unsigned long long)segs[i].size, mails,
		       torn >= 0 ? " (torn tail)" : "");
		if (mt_spool_seg_foreach(segs[i].path, list_mail, NULL, NULL, &err) != 0) {
			free(segs);
			return fail(&err);
		}
	}
	free(segs);
	return 0;
}

/* --- show --- */

struct show_ctx {
	const char *id;
	int what; /* 0 both, 'e' eml, 'j' json */
	int found;
};

static int
show_mail(void *arg, const struct mt_spool_ref *r)
{
	struct show_ctx *s = arg;

	if (strcmp(r->id, s->id) != 0)
		return 0;
	s->found = 1;
	if (s->what != 'e')
		fwrite(r->json, 1, r->json_len, stdout);
	if (s->what == 0)
		fputc('\n', stdout);
	if (s->what != 'j' && mt_spool_copy_eml(r, stdout) != 0)
		return -EIO;
	return 1;
}

static int
sp_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "eml", no_argument, NULL, 'e' }, { "json", no_argument, NULL, 'j' }, { 0 }
	};
	struct show_ctx s = { NULL, 0, 0 };
	struct mt_spool_seg *segs;
	struct mt_err err;
	size_t n, i;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "ej", opts, NULL)) != -1) {
		if (c != 'e' && c != 'j')
			return bad_usage(NULL);
		s.what = c;
	}
	if (argc - optind != 2)
		return bad_usage("show: DIR ID");
	s.id = argv[optind + 1];
	if (collect(argv + optind, 1, 1, &segs, &n, &err) != 0)
		return fail(&err);
	for (i = 0; i < n && !s.found; i++) {
		rc = mt_spool_seg_foreach(segs[i].path, show_mail, &s, NULL, &err);
		if (rc < 0)
			break;
	}
	free(segs);
	if (rc < 0)
		return fail(&err);
	if (!s.found) {
		fprintf(stderr, "mailtap: no mail %s in %s\n", s.id, argv[optind]);
		return 3;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* --- export --- */

struct export_ctx {
	const char *outdir;
	FILE *mbox;
	unsigned mails;
	struct mt_err err;
};

static int
write_file(struct export_ctx *x, const char *name, const struct mt_spool_ref *r, int eml)
{
	char path[PATH_MAX];
	FILE *f;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", x->outdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return mt_err_set(&x->err, errno, "%s: %s", path, strerror(errno));
	if (eml)
		rc = mt_spool_copy_eml(r, f);
	else if (fwrite(r->json, 1, r->json_len, f) != r->json_len)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		return mt_err_set(&x->err, -rc, "%s: %s", path, strerror(-rc));
	return 0;
}

static int
export_mail(void *arg, const struct mt_spool_ref *r)
{
	struct export_ctx *x = arg;
	char name[128];
	int rc;

	if (x->mbox != NULL) {
		rc = mt_spool_mbox_append(r, x->mbox);
		if (rc != 0)
			return mt_err_set(&x->err, -rc, "mbox: %s", strerror(-rc));
	} else {
		snprintf(name, sizeof(name), "%s.eml", r->id);
		if (write_file(x, name, r, 1) != 0)
			return -1;
		snprintf(name, sizeof(name), "%s.json", r->id);
		if (write_file(x, name, r, 0) != 0)
			return -1;
	}
	x->mails++;
	return 0;
}

static int
sp_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "eml", required_argument, NULL, 'e' }, { "mbox", required_argument, NULL, 'm' },
		{ 0 }
	};
	struct export_ctx x = { 0 };
	const char *mbox = NULL;
	struct mt_spool_seg *segs;
	size_t n, i;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "e:m:", opts, NULL)) != -1) {
		if (c == 'e')
			x.outdir = optarg;
		else if (c == 'm')
			mbox = optarg;
		else
			return bad_usage(NULL);
	}
	if ((x.outdir == NULL) == (mbox == NULL) || optind >= argc)
		return bad_usage("export: --eml OUTDIR or --mbox FILE, then DIR or segments");
	if (collect(argv + optind, argc - optind, 0, &segs, &n, &x.err) != 0)
		return fail(&x.err);
	if (x.outdir != NULL && mkdir(x.outdir, 0750) != 0 && errno != EEXIST) {
		free(segs);
		mt_err_set(&x.err, errno, "%s: %s", x.outdir, strerror(errno));
		return fail(&x.err);
	}
	if (mbox != NULL) {
		int fd = open(mbox, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

		if (fd < 0 || (x.mbox = fdopen(fd, "w")) == NULL) {
			free(segs);
			mt_err_set(&x.err, errno, "%s: %s", mbox, strerror(errno));
			return fail(&x.err);
		}
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = mt_spool_seg_foreach(segs[i].path, export_mail, &x, NULL, &x.err);
	free(segs);
	if (x.mbox != NULL && fclose(x.mbox) != 0 && rc == 0)
		rc = mt_err_set(&x.err, errno, "%s: %s", mbox, strerror(errno));
	if (rc != 0)
		return fail(&x.err);
	fprintf(stderr, "mailtap: exported %u mails from %zu segments to %s\n", x.mails, n,
		mbox ? mbox : x.outdir);
	return 0;
}

/* --- follow, claim, ack, release --- */

static int
sp_follow(int argc, char **argv)
{
	static const struct option opts[] = { { "timeout", required_argument, NULL, 't' },
					       { 0 } };
	struct mt_spool_follow *f;
	char path[PATH_MAX + 200];
	struct mt_err err;
	int c, rc, timeout_ms = -1;

	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c != 't')
			return bad_usage(NULL);
		timeout_ms = (int)(atof(optarg) * 1000);
	}
	if (argc - optind != 1)
		return bad_usage("follow: DIR");
	f = mt_spool_follow_open(argv[optind], &err);
	if (f == NULL)
		return fail(&err);
	while ((rc = mt_spool_follow_next(f, path, sizeof(path), timeout_ms)) == 1) {
		printf("%s\n", path);
		fflush(stdout);
	}
	mt_spool_follow_close(f);
	if (rc < 0) {
		fprintf(stderr, "mailtap: follow %s: %s\n", argv[optind], strerror(-rc));
		return 1;
	}
	return 0;
}

static int
sp_claim(int argc, char **argv)
{
	char path[PATH_MAX + 200];
	struct mt_err err;
	int rc;

	if (argc != 3)
		return bad_usage("claim: DIR CONSUMER");
	rc = mt_spool_claim(argv[1], argv[2], path, sizeof(path), &err);
	if (rc == -ENOENT)
		return 3;
	if (rc != 0)
		return fail(&err);
	printf("%s\n", path);
	return 0;
}

static int
sp_ack(int argc, char **argv)
{
	struct mt_err err;

	if (argc != 4)
		return bad_usage("ack: DIR CONSUMER SEGMENT");
	return mt_spool_ack(argv[1], argv[2], argv[3], &err) == 0 ? 0 : fail(&err);
}

static int
sp_release(int argc, char **argv)
{
	struct mt_err err;
	unsigned n;

	if (argc != 3)
		return bad_usage("release: DIR CONSUMER");
	if (mt_spool_release(argv[1], argv[2], &n, &err) != 0)
		return fail(&err);
	fprintf(stderr, "mailtap: %u segment(s) released\n", n);
	return 0;
}

int
cmd_spool(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "list", sp_list },     { "show", sp_show },   { "export", sp_export },
		{ "follow", sp_follow }, { "claim", sp_claim }, { "ack", sp_ack },
		{ "release", sp_release },
	};
	unsigned i;

	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			optind = 1;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	return bad_usage("unknown subcommand");
}
