/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/spool: segments (ustar, modes, publication by size and age), crash
 * recovery with a torn tail at every byte offset, write failures (injected
 * and a real full tmpfs), run ids, the consumer protocol, retention, mbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_mbuf.h>

#include "mt_spool.h"
#include "mt_test_eal.h"

static struct rte_mempool *mail_pool, *chunk_pool;
static char root[256];
static unsigned n_dir;

/* python3 -c "import hashlib; print(hashlib.sha256(b'Subject: x\\r\\n\\r\\nbody\\r\\n' * 100).hexdigest())" */
#define SHA_100_MSG "a5204439dbcde46fb191a194c046ef8872aef57af354833ebeef9a95e65d1658"
#define MSG "Subject: x\r\n\r\nbody\r\n"

/* a fresh directory under root */
static const char *
new_dir(char *buf, size_t size)
{
	snprintf(buf, size, "%s/d%u", root, n_dir++);
	return buf;
}

static struct mt_mail *
mail(uint64_t seq, unsigned copies)
{
	struct mt_mail *m = mt_mail_get(mail_pool);
	unsigned i;

	assert_non_null(m);
	m->seq = seq;
	m->key.family = 4;
	for (i = 0; i < copies; i++)
		mt_mail_append(m, chunk_pool, 1 << 20, (const uint8_t *)MSG, strlen(MSG));
	return m;
}

static void
put_all(struct mt_mail **m, unsigned n)
{
	while (n-- > 0)
		mt_mail_put(m[n]);
}

struct seen {
	unsigned n;
	char ids[64][101];
	uint64_t sizes[64];
	char json[8192];
};

static int
collect(void *arg, const struct mt_spool_ref *r)
{
	struct seen *s = arg;

	if (s->n < 64) {
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", r->id);
		s->sizes[s->n] = r->eml_size;
		if (s->n == 0)
			snprintf(s->json, sizeof(s->json), "%s", r->json);
	}
	s->n++;
	return 0;
}

/* mails of every published segment of d, and how many segments */
static unsigned
published(const char *d, struct seen *s, size_t *n_segs)
{
	struct mt_spool_seg *segs;
	struct mt_err err;
	size_t n, i;
	int64_t torn;

	memset(s, 0, sizeof(*s));
	assert_int_equal(mt_spool_segments(d, 0, &segs, &n, &err), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(mt_spool_seg_foreach(segs[i].path, collect, s, &torn, &err), 0);
		assert_int_equal(torn, -1); /* a published segment is never torn */
	}
	free(segs);
	if (n_segs)
		*n_segs = n;
	return s->n;
}

/* entries matching pattern sub in d ("tmp": what tmp/ holds) */
static unsigned
count_in(const char *d, const char *sub)
{
	char pat[512];
	glob_t g;
	unsigned n;

	snprintf(pat, sizeof(pat), "%s/%s%s", d, sub, strchr(sub, '*') ? "" : "/*");
	if (glob(pat, 0, NULL, &g) != 0)
		return 0;
	n = (unsigned)g.gl_pathc;
	globfree(&g);
	return n;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_rf(const char *d)
{
	assert_int_equal(nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void
appends_then_publishes_one_tar_0640(void **state)
{
	struct mt_mail *m[3] = { mail(1, 100), mail(2, 1), mail(3, 0) };
	struct mt_spool_seg *segs;
	struct mt_spool *sp;
	struct mt_err err;
	struct seen s;
	char d[300], path[600];
	struct stat st;
	size_t n;

	(void)state;
	new_dir(d, sizeof(d));
	sp = mt_spool_open(d, &err);
	assert_non_null(sp);
	assert_int_equal(mt_spool_write_burst(sp, m, 3, &err), 3);
	assert_int_equal(published(d, &s, NULL), 0); /* not yet */
	assert_int_equal(count_in(d, "tmp"), 1);
	assert_int_equal(mt_spool_publish(sp, &err), 0);
	assert_int_equal(count_in(d, "tmp"), 0);
	assert_int_equal(published(d, &s, &n), 3);
	assert_int_equal(n, 1);
	assert_int_equal(s.sizes[0], 100 * strlen(MSG));
	assert_int_equal(s.sizes[1], strlen(MSG));
	assert_int_equal(s.sizes[2], 0);
	assert_int_equal(strlen(s.ids[0]), 24);
	assert_non_null(strstr(s.json, "\"sha256\":\"" SHA_100_MSG "\""));
	assert_int_equal(mt_spool_segments(d, 0, &segs, &n, &err), 0);
	assert_int_equal(stat(segs[0].path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_size % 512, 0);
	free(segs);
	snprintf(path, sizeof(path), "%s/tmp", d);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	assert_int_equal(mt_spool_counters(sp)->segments, 1);
	assert_int_equal(mt_spool_counters(sp)->mails, 3);
	mt_spool_close(sp);
	put_all(m, 3);
	/* standard tools read it */
	snprintf(path, sizeof(path), "tar -tf %s/*.tar | wc -l | grep -qx 6", d);
	/* (tar is in every Debian install; this is the "standard tools" check) */
	assert_int_equal(system(path), 0);
}

static void
publishes_by_size_and_age_and_at_close(void **state)
{
	/* a mail here takes 3584 bytes: 2 fill a segment */
	struct mt_spool_params prm = { .segment_max_bytes = 6000, .segment_max_age_s = 1 };
	struct mt_mail *m[8];
	struct mt_spool *sp;
	struct mt_err err;
	struct seen s;
	char d[300];
	size_t n;
	unsigned i;

	(void)state;
	for (i = 0; i < 8; i++)
		m[i] = mail(i, 100); /* 2000 bytes + 2 headers + json: ~3.5K */
	new_dir(d, sizeof(d));
	sp = mt_spool_open(d, &err);
	mt_spool_config(sp, &prm);
	assert_int_equal(mt_spool_write_burst(sp, m, 7, &err), 7);
	assert_int_equal(published(d, &s, &n), 6); /* 3 full segments of 2 */
	assert_int_equal(n, 3);
	assert_int_equal(mt_spool_tick(sp, &err), 0);
	assert_int_equal(published(d, &s, &n), 6); /* the 7th is young */
	sleep(1);
	usleep(100000);
	assert_int_equal(mt_spool_tick(sp, &err), 0);
	assert_int_equal(published(d, &s, &n), 7);
	assert_int_equal(n, 4);
	assert_int_equal(mt_spool_write_burst(sp, m + 7, 1, &err), 1);
	mt_spool_close(sp);
	assert_int_equal(published(d, &s, &n), 8);
	assert_int_equal(n, 5);
	assert_int_equal(count_in(d, "tmp"), 0);
	put_all(m, 8);
}

static void
run_ids_increase_across_opens(void **state)
{
	struct mt_spool *a, *b;
	struct mt_err err;
	char d[300];

	(void)state;
	new_dir(d, sizeof(d));
	a = mt_spool_open(d, &err);
	b = mt_spool_open(d, &err); /* same second: still a new id */
	assert_true(mt_spool_run_id(b) > mt_spool_run_id(a));
	mt_spool_close(a);
	mt_spool_close(b);
}

/* Make an unpublished segment of 3 small mails; returns its bytes. */
static size_t
torn_source(char *buf, size_t size, char *name, size_t nsize, uint64_t ends[3])
{
	struct mt_mail *m[3] = { mail(1, 1), mail(2, 3), mail(3, 2) };
	struct mt_spool *sp;
	struct mt_err err;
	char d[300], cmd[700];
	FILE *f;
	size_t n;
	unsigned i;

	new_dir(d, sizeof(d));
	sp = mt_spool_open(d, &err);
	for (i = 0; i < 3; i++) {
		char path[600];
		struct stat st;

		assert_int_equal(mt_spool_write_burst(sp, m + i, 1, &err), 1);
		{
			glob_t g;

			snprintf(cmd, sizeof(cmd), "%s/tmp/*.tar", d);
			assert_int_equal(glob(cmd, 0, NULL, &g), 0);
			assert_int_equal(g.gl_pathc, 1);
			snprintf(name, nsize, "%s", strrchr(g.gl_pathv[0], '/') + 1);
			globfree(&g);
		}
		snprintf(path, sizeof(path), "%s/tmp/%s", d, name);
		assert_int_equal(stat(path, &st), 0);
		ends[i] = (uint64_t)st.st_size - 1024; /* before the end-of-archive blocks */
	}
	snprintf(cmd, sizeof(cmd), "%s/tmp/%s", d, name);
	f = fopen(cmd, "rb");
	n = fread(buf, 1, size, f);
	fclose(f);
	/* a crash: no mt_spool_close (it would publish); its fds are left open */
	free(sp);
	rm_rf(d);
	put_all(m, 3);
	return n;
}

static void
recovers_a_torn_tail_at_every_byte_offset(void **state)
{
	static char src[16384];
	uint64_t ends[3], eff[3];
	char name[128], d[300], path[600];
	size_t len, k;
	int zero_fill, i;

	(void)state;
	len = torn_source(src, sizeof(src), name, sizeof(name), ends);
	assert_true(len > ends[2]);
	for (i = 0; i < 3; i++) /* after the last non-zero byte of each mail */
		for (eff[i] = ends[i]; src[eff[i] - 1] == 0; eff[i]--)
			;
	for (zero_fill = 0; zero_fill < 2; zero_fill++) {
		for (k = 0; k <= len; k++) {
			const struct mt_spool_counters *c;
			struct mt_spool *sp;
			struct mt_err err;
			struct seen s;
			/* with zero fill, a mail missing only its zero padding is whole */
			const uint64_t *e = zero_fill ? eff : ends;
			unsigned whole = (k >= e[0]) + (k >= e[1]) + (k >= e[2]);
			uint64_t end = whole ? ends[whole - 1] : 0;
			int fd;

			new_dir(d, sizeof(d));
			snprintf(path, sizeof(path), "%s/tmp", d);
			mkdir(d, 0750);
			mkdir(path, 0750);
			snprintf(path, sizeof(path), "%s/tmp/%s", d, name);
			fd = open(path, O_WRONLY | O_CREAT, 0640);
			assert_true(write(fd, src, k) == (ssize_t)k);
			if (zero_fill) /* the rest of the file never reached the disk */
				assert_int_equal(ftruncate(fd, (off_t)len), 0);
			close(fd);

			sp = mt_spool_open(d, &err);
			assert_non_null(sp);
			c = mt_spool_counters(sp);
			if (published(d, &s, NULL) != whole)
				fail_msg("offset %zu (zero fill %d): %u whole mails, expected %u", k,
					 zero_fill, s.n, whole);
			assert_int_equal(c->recovered_mails, whole);
			assert_int_equal(c->recovered_segments, whole ? 1 : 0);
			/* the torn tail: whatever non-zero bytes follow the whole mails */
			{
				int nonzero = 0;
				size_t b;

				for (b = end; b < k; b++)
					nonzero |= src[b] != 0;
				assert_int_equal(c->torn_mails, nonzero ? 1 : 0);
			}
			assert_int_equal(count_in(d, "tmp"), 0);
			mt_spool_close(sp);
			rm_rf(d);
		}
	}
}

static int fail_from, fail_calls;
static const char *fail_op;

static int
inject(const char *op)
{
	if (fail_op == NULL || strcmp(op, fail_op) != 0)
		return 0;
	return fail_calls++ >= fail_from ? -ENOSPC : 0;
}

static void
write_failure_cuts_back_and_resumes(void **state)
{
	struct mt_spool_params prm = { .fault = inject };
	struct mt_mail *m[6];
	struct mt_spool *sp;
	struct mt_err err;
	struct seen s;
	char d[300];
	unsigned i;
	const char *ops[] = { "write", "sync", "rename", "open" };

	(void)state;
	for (i = 0; i < 6; i++)
		m[i] = mail(i, 10 * i);
	for (i = 0; i < 4; i++) {
		new_dir(d, sizeof(d));
		fail_op = NULL;
		sp = mt_spool_open(d, &err);
		mt_spool_config(sp, &prm);
		if (strcmp(ops[i], "open") != 0)
			assert_int_equal(mt_spool_write_burst(sp, m, 2, &err), 2);
		fail_op = ops[i];
		fail_calls = fail_from = 0;
		if (strcmp(ops[i], "write") == 0 || strcmp(ops[i], "open") == 0) {
			/* the batch fails whole; the writer keeps the mails */
			assert_int_equal(mt_spool_write_burst(sp, m + 2, 4, &err), 0);
			assert_non_null(strstr(err.msg, strerror(ENOSPC)));
			assert_true(mt_spool_counters(sp)->write_errors >= 1);
			fail_op = NULL;
			assert_int_equal(mt_spool_write_burst(sp, m + 2, 4, &err), 4);
		} else {
			assert_int_not_equal(mt_spool_publish(sp, &err), 0);
			assert_int_equal(published(d, &s, NULL), 0);
			fail_op = NULL;
			assert_int_equal(mt_spool_write_burst(sp, m + 2, 4, &err), 4);
		}
		assert_int_equal(mt_spool_publish(sp, &err), 0);
		if (published(d, &s, NULL) != 6 - (strcmp(ops[i], "open") == 0 ? 2 : 0))
			fail_msg("fault on %s: %u mails", ops[i], s.n);
		mt_spool_close(sp);
	}
	put_all(m, 6);
}

/* A real full disk: a 256 KiB tmpfs (root only; skipped otherwise). */
static void
full_tmpfs_never_tears_and_resumes(void **state)
{
	struct mt_mail *m[4];
	struct mt_spool *sp;
	struct mt_err err;
	struct seen s;
	char d[300], filler[400], cmd[700];
	unsigned written = 0, i, w;
	int fd, failed = 0;

	(void)state;
	new_dir(d, sizeof(d));
	mkdir(d, 0750);
	if (geteuid() != 0 || mount("tmpfs", d, "tmpfs", 0, "size=256k") != 0)
		skip();
	/* take most of the space */
	snprintf(filler, sizeof(filler), "%s/filler", d);
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	{
		static char big[160 * 1024];

		assert_true(write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
	}
	close(fd);
	sp = mt_spool_open(d, &err);
	assert_non_null(sp);
	for (i = 0; i < 4; i++)
		m[i] = mail(i, 400); /* 8 KB each */
	for (i = 0; i < 40 && !failed; i++) {
		w = mt_spool_write_burst(sp, m, 4, &err);
		written += w;
		failed = w < 4;
	}
	assert_true(failed);
	assert_non_null(strstr(err.msg, strerror(ENOSPC)));
	/* the unpublished segment holds whole mails only, and every one written */
	snprintf(cmd, sizeof(cmd), "%s/tmp", d);
	{
		struct mt_spool_seg *segs;
		size_t n;
		int64_t torn;

		assert_int_equal(mt_spool_segments(d, 1, &segs, &n, &err), 0);
		assert_int_equal(n, 1);
		memset(&s, 0, sizeof(s));
		assert_int_equal(mt_spool_seg_foreach(segs[0].path, collect, &s, &torn, &err), 0);
		assert_int_equal(torn, -1);
		assert_int_equal(s.n, written);
		free(segs);
	}
	/* space comes back: writing resumes where it stopped */
	unlink(filler);
	assert_int_equal(mt_spool_write_burst(sp, m + (written % 4), 4 - written % 4, &err),
			 4 - written % 4);
	assert_int_equal(mt_spool_publish(sp, &err), 0);
	assert_int_equal(published(d, &s, NULL), written + 4 - written % 4);
	mt_spool_close(sp);
	put_all(m, 4);
	umount(d);
}

static void
claim_ack_release(void **state)
{
	struct mt_spool_params prm = { .segment_max_bytes = 3000 }; /* a mail each */
	struct mt_mail *m[3] = { mail(1, 100), mail(2, 100), mail(3, 100) };
	char d[300], a[4200], b[4200], c[4200];
	struct mt_spool *sp;
	struct mt_err err;
	unsigned n;

	(void)state;
	new_dir(d, sizeof(d));
	sp = mt_spool_open(d, &err);
	mt_spool_config(sp, &prm);
	assert_int_equal(mt_spool_write_burst(sp, m, 3, &err), 3); /* 3 segments */
	mt_spool_close(sp);
	assert_int_equal(mt_spool_claim(d, "alpha", a, sizeof(a), &err), 0);
	assert_int_equal(mt_spool_claim(d, "alpha", b, sizeof(b), &err), 0);
	assert_string_equal(a, b); /* not acked yet: the same one again */
	assert_int_equal(mt_spool_claim(d, "beta", b, sizeof(b), &err), 0);
	assert_string_not_equal(a, b);
	assert_non_null(strstr(a, "/claimed/alpha/"));
	assert_int_equal(mt_spool_ack(d, "alpha", a, &err), 0);
	assert_int_equal(mt_spool_claim(d, "alpha", c, sizeof(c), &err), 0);
	assert_int_equal(mt_spool_ack(d, "alpha", c, &err), 0);
	assert_int_equal(mt_spool_claim(d, "alpha", c, sizeof(c), &err), -ENOENT);
	assert_int_equal(count_in(d, "done"), 2);
	assert_int_equal(mt_spool_release(d, "beta", &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_in(d, "*.tar"), 1);
	assert_int_not_equal(mt_spool_ack(d, "../x", a, &err), 0);
	put_all(m, 3);
}

static void
retention_removes_consumed_first_never_claimed(void **state)
{
	struct mt_spool_params prm = { .segment_max_bytes = 3000 }; /* a mail each */
	struct mt_mail *m[5];
	char d[300], p[4200];
	struct mt_spool *sp;
	struct mt_err err;
	struct stat st;
	unsigned i;
	glob_t g;

	(void)state;
	for (i = 0; i < 5; i++)
		m[i] = mail(i, 100); /* one mail per segment, all of one size */
	new_dir(d, sizeof(d));
	sp = mt_spool_open(d, &err);
	mt_spool_config(sp, &prm);
	assert_int_equal(mt_spool_write_burst(sp, m, 5, &err), 5);
	/* the segment size (the JSON record's length varies with its fields) */
	snprintf(p, sizeof(p), "%s/*.tar", d);
	assert_int_equal(glob(p, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 5);
	assert_int_equal(stat(g.gl_pathv[0], &st), 0);
	globfree(&g);
	assert_int_equal(mt_spool_claim(d, "c", p, sizeof(p), &err), 0); /* oldest: kept */
	assert_int_equal(mt_spool_claim(d, "d", p, sizeof(p), &err), 0);
	assert_int_equal(mt_spool_ack(d, "d", p, &err), 0);               /* 2nd: done */
	prm.retain_max_bytes = 3 * (uint64_t)st.st_size + 100;
	mt_spool_config(sp, &prm);
	assert_int_equal(mt_spool_tick(sp, &err), 0);
	/* 5 segments > 3 + a bit: done/ goes first, then the oldest published */
	assert_int_equal(count_in(d, "done"), 0);
	assert_int_equal(count_in(d, "claimed/c"), 1);
	assert_int_equal(count_in(d, "*.tar"), 2);
	assert_int_equal(mt_spool_counters(sp)->removed_segments, 2);
	assert_int_equal(mt_spool_counters(sp)->removed_unconsumed, 1);
	mt_spool_close(sp);
	put_all(m, 5);
}

static int
mbox_one(void *arg, const struct mt_spool_ref *r)
{
	return mt_spool_mbox_append(r, arg);
}

static void
mbox_quotes_from_lines(void **state)
{
	struct mt_mail *m = mt_mail_get(mail_pool);
	const char *msg = "Subject: q\n\nFrom here\n>From there\nFrom";
	struct mt_spool_seg *segs;
	struct mt_spool *sp;
	struct mt_err err;
	char d[300], out[512];
	size_t n;
	FILE *f;

	(void)state;
	mt_mail_append(m, chunk_pool, 1 << 20, (const uint8_t *)msg, strlen(msg));
	mt_mail_set_str(m, &m->mail_from, "a b@x", 5);
	new_dir(d, sizeof(d));
	sp = mt_spool_open(d, &err);
	assert_int_equal(mt_spool_write_burst(sp, &m, 1, &err), 1);
	mt_spool_close(sp);
	assert_int_equal(mt_spool_segments(d, 0, &segs, &n, &err), 0);
	f = fmemopen(out, sizeof(out), "w");
	assert_int_equal(mt_spool_seg_foreach(segs[0].path, mbox_one, f, NULL, &err), 0);
	fclose(f);
	free(segs);
	assert_memory_equal(out, "From a_b@x ", 11);
	assert_non_null(strstr(out, "\n\n>From here\n>>From there\nFrom\n\n"));
	mt_mail_put(m);
}

static void
unusable_directory_is_a_clear_error(void **state)
{
	struct mt_err err;
	char path[512];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/file", root);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/file/spool", root);
	assert_null(mt_spool_open(path, &err));
	assert_non_null(strstr(err.msg, path));
}

static int
setup(void **state)
{
	(void)state;
	/* tmpfs when there is one: recovery syncs, thousands of times here */
	snprintf(root, sizeof(root), "%s/mt-unit-spool-%d",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
	if (mkdir(root, 0700) != 0 || mt_test_eal_init("spool") != 0)
		return -1;
	mail_pool = mt_mail_pool_create("t_mails", 31, 0);
	chunk_pool = rte_pktmbuf_pool_create("t_chunks", 8191, 0, 0, RTE_PKTMBUF_HEADROOM + 100, 0);
	return mail_pool && chunk_pool ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		return -1;
	rte_mempool_free(mail_pool);
	rte_mempool_free(chunk_pool);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appends_then_publishes_one_tar_0640),
		cmocka_unit_test(publishes_by_size_and_age_and_at_close),
		cmocka_unit_test(run_ids_increase_across_opens),
		cmocka_unit_test(recovers_a_torn_tail_at_every_byte_offset),
		cmocka_unit_test(write_failure_cuts_back_and_resumes),
		cmocka_unit_test(full_tmpfs_never_tears_and_resumes),
		cmocka_unit_test(claim_ack_release),
		cmocka_unit_test(retention_removes_consumed_first_never_claimed),
		cmocka_unit_test(mbox_quotes_from_lines),
		cmocka_unit_test(unusable_directory_is_a_clear_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
