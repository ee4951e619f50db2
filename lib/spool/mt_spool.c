/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The segment writer.  State of the current segment (tmp/<seg>.tar):
 *
 *	0                                   seg_off        seg_off + 1024
 *	| eml hdr | message | pad | json hdr | json | pad | ... | 0 x 1024 |
 *	 <------------- whole mails, all on disk ---------->  end of archive
 *
 * A write batch goes to seg_off with the end-of-archive blocks after it,
 * in one pwritev: the next batch overwrites those blocks.  When a batch
 * fails, the file is cut back to seg_off and the blocks restored with
 * ftruncate (a hole reads as zeros and needs no space, so even a full
 * disk cannot leave a torn mail behind a live writer).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "mt_common.h"
#include "mt_spool.h"
#include "spool_priv.h"

#define SPOOL_IOV 1024
#define JSON_ARENA (2u << 20)
#define JSON_ONE_MAX (256u << 10)
#define RETAIN_EVERY_NS (10ull * 1000000000ull)

static const uint8_t zeros[TAR_TRAILER];

struct mt_spool {
	int dfd;   /* DIR */
	int tmpfd; /* DIR/tmp */
	char dir[PATH_MAX];
	struct mt_spool_params prm;
	struct mt_spool_counters ctr;
	uint32_t run_id;
	uint32_t seg_seq;
	unsigned uid, gid;
	/* current segment */
	int seg_fd;
	char seg_name[96];
	uint64_t seg_off;      /* end of the whole mails */
	uint64_t seg_mails;
	uint64_t seg_open_ns;
	int need_cut;          /* a write failed and the cut back did too */
	uint64_t next_retain_ns;
	/* the batch being built */
	struct iovec iov[SPOOL_IOV];
	int n_iov;
	uint64_t run_bytes;    /* bytes in iov so far, flushed or not */
	uint64_t flushed;      /* of which already written */
	uint8_t hdr[2 * MT_SPOOL_BATCH][TAR_BLOCK];
	char json[JSON_ARENA];
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
fault(struct mt_spool *sp, const char *op)
{
	return sp->prm.fault != NULL ? sp->prm.fault(op) : 0;
}

/* Read DIR/.run, take a run id above it and above the clock's, store it. */
static int
pick_run_id(struct mt_spool *sp)
{
	char buf[32];
	uint32_t last = 0, now = (uint32_t)time(NULL);
	ssize_t n;
	int fd, rc = 0;

	fd = openat(sp->dfd, ".run", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			last = (uint32_t)strtoul(buf, NULL, 16);
		}
	}
	sp->run_id = now > last ? now : last + 1;
	n = snprintf(buf, sizeof(buf), "%08" PRIx32 "\n", sp->run_id);
	fd = openat(sp->dfd, ".run.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		rc = -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(sp->dfd, ".run.tmp", sp->dfd, ".run") != 0)
		rc = -errno;
	return rc;
}

struct mt_spool *
mt_spool_open(const char *dir, struct mt_err *err)
{
	struct mt_spool *sp;
	int rc;

	sp = calloc(1, sizeof(*sp));
	if (sp == NULL) {
		mt_err_set(err, ENOMEM, "spool: out of memory");
		return NULL;
	}
	sp->dfd = sp->tmpfd = sp->seg_fd = -1;
	sp->uid = (unsigned)getuid();
	sp->gid = (unsigned)getgid();
	mt_spool_config(sp, NULL);
	if (snprintf(sp->dir, sizeof(sp->dir), "%s", dir) >= (int)sizeof(sp->dir)) {
		mt_err_set(err, ENAMETOOLONG, "spool: path too long: %s", dir);
		goto fail;
	}
	rc = spool_mkdir_p(dir, 0750);
	if (rc != 0) {
		mt_err_set(err, -rc, "spool: cannot create %s: %s", dir, strerror(-rc));
		goto fail;
	}
	sp->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dfd < 0) {
		mt_err_set(err, errno, "spool: cannot open %s: %s", dir, strerror(errno));
		goto fail;
	}
	if ((mkdirat(sp->dfd, "tmp", 0750) != 0 && errno != EEXIST) ||
	    (mkdirat(sp->dfd, "done", 0750) != 0 && errno != EEXIST) ||
	    (mkdirat(sp->dfd, "claimed", 0750) != 0 && errno != EEXIST)) {
		mt_err_set(err, errno, "spool: cannot create the folders of %s: %s", dir,
			   strerror(errno));
		goto fail;
	}
	sp->tmpfd = openat(sp->dfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->tmpfd < 0 || faccessat(sp->dfd, "tmp", W_OK, AT_EACCESS) != 0) {
		mt_err_set(err, errno, "spool: %s/tmp is not writable: %s", dir,
			   strerror(errno));
		goto fail;
	}
	rc = pick_run_id(sp);
	if (rc != 0) {
		mt_err_set(err, -rc, "spool: cannot write %s/.run: %s", dir, strerror(-rc));
		goto fail;
	}
	if (spool_recover_all(sp, sp->dfd, sp->tmpfd, &sp->ctr, err) != 0)
		goto fail;
	return sp;
fail:
	mt_spool_close(sp);
	return NULL;
}

void
mt_spool_config(struct mt_spool *sp, const struct mt_spool_params *prm)
{
	if (prm != NULL)
		sp->prm = *prm;
	else
		memset(&sp->prm, 0, sizeof(sp->prm));
	if (sp->prm.segment_max_bytes == 0)
		sp->prm.segment_max_bytes = 64ull << 20;
}

uint32_t
mt_spool_run_id(const struct mt_spool *sp)
{
	return sp->run_id;
}

const struct mt_spool_counters *
mt_spool_counters(const struct mt_spool *sp)
{
	return &sp->ctr;
}

const char *
mt_spool_dir(const struct mt_spool *sp)
{
	return sp->dir;
}

static int
seg_create(struct mt_spool *sp, struct mt_err *err)
{
	struct timespec ts;
	struct tm tm;
	char t[32];
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%S", &tm);
	snprintf(sp->seg_name, sizeof(sp->seg_name), "%s.%06ldZ-%08" PRIx32 "-%06" PRIu32 ".tar",
		 t, ts.tv_nsec / 1000, sp->run_id, ++sp->seg_seq);
	rc = fault(sp, "open");
	if (rc == 0) {
		sp->seg_fd = openat(sp->tmpfd, sp->seg_name,
				    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		rc = sp->seg_fd < 0 ? -errno : 0;
	}
	if (rc != 0) {
		sp->seg_fd = -1;
		sp->ctr.write_errors++;
		return mt_err_set(err, -rc, "spool: create %s/tmp/%s: %s", sp->dir, sp->seg_name,
				  strerror(-rc));
	}
	sp->seg_off = 0;
	sp->seg_mails = 0;
	sp->need_cut = 0;
	sp->seg_open_ns = mono_ns();
	return 0;
}

/* Cut the segment back to its whole mails, end-of-archive blocks after. */
static int
seg_cut(struct mt_spool *sp)
{
	if (ftruncate(sp->seg_fd, (off_t)sp->seg_off) != 0 ||
	    ftruncate(sp->seg_fd, (off_t)(sp->seg_off + TAR_TRAILER)) != 0) {
		sp->need_cut = 1;
		return -errno;
	}
	sp->need_cut = 0;
	return 0;
}

static int
timed_sync(struct mt_spool *sp, int fd, int data_only)
{
	uint64_t t0 = mono_ns();
	int rc = fault(sp, "sync");

	if (rc == 0 && (data_only ? fdatasync(fd) : fsync(fd)) != 0)
		rc = -errno;
	sp->ctr.fsyncs++;
	sp->ctr.fsync_ns += mono_ns() - t0;
	return rc;
}

int
mt_spool_publish(struct mt_spool *sp, struct mt_err *err)
{
	int rc = 0;

	if (sp->seg_fd < 0 || sp->seg_mails == 0)
		return 0;
	if (sp->need_cut && (rc = seg_cut(sp)) != 0)
		goto fail;
	if (sp->prm.fsync != MT_SPOOL_FSYNC_NONE && (rc = timed_sync(sp, sp->seg_fd, 1)) != 0)
		goto fail;
	rc = fault(sp, "rename");
	if (rc == 0 && renameat2(sp->tmpfd, sp->seg_name, sp->dfd, sp->seg_name,
				 RENAME_NOREPLACE) != 0)
		rc = -errno;
	if (rc != 0)
		goto fail;
	close(sp->seg_fd);
	sp->seg_fd = -1;
	sp->ctr.segments++;
	/* the rename itself is durable once the directory is */
	if (sp->prm.fsync != MT_SPOOL_FSYNC_NONE && timed_sync(sp, sp->dfd, 0) != 0)
		sp->ctr.write_errors++;
	sp->next_retain_ns = 0;
	return 0;
fail:
	sp->ctr.write_errors++;
	return mt_err_set(err, -rc, "spool: publish %s/tmp/%s: %s", sp->dir, sp->seg_name,
			  strerror(-rc));
}

/* Write the iov entries gathered so far at their place in the segment. */
static int
run_flush(struct mt_spool *sp, uint64_t start)
{
	int rc;

	if (sp->n_iov == 0)
		return 0;
	rc = fault(sp, "write");
	if (rc == 0)
		rc = spool_writev_all(sp->seg_fd, sp->iov, sp->n_iov, (off_t)(start + sp->flushed));
	sp->ctr.writes++;
	sp->n_iov = 0;
	sp->flushed = sp->run_bytes;
	return rc;
}

static int
run_add(struct mt_spool *sp, uint64_t start, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	if (sp->n_iov == SPOOL_IOV && (rc = run_flush(sp, start)) != 0)
		return rc;
	sp->iov[sp->n_iov].iov_base = (void *)(uintptr_t)p;
	sp->iov[sp->n_iov].iov_len = n;
	sp->n_iov++;
	sp->run_bytes += n;
	return 0;
}

/* A record that always fits, for a mail whose real one would not. */
static size_t
json_fallback(const struct mt_mail *m, const char *id, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "{\"id\":\"%s\",\"size\":%" PRIu64 ",\"complete\":false,"
			 "\"flags\":[\"metadata_too_large\"]}\n", id, m->size);

	return n > 0 ? (size_t)n : 0;
}

/*
 * Write mails[0..n) as one all-or-nothing run into the current segment,
 * stopping early (*took < n) when the segment is full or the batch
 * buffers are.  0 or -errno (nothing of the run counted then).
 */
static int
write_run(struct mt_spool *sp, struct mt_mail *const *mails, unsigned n, unsigned *took)
{
	const uint64_t start = sp->seg_off;
	uint64_t json_used = 0, bytes = 0;
	unsigned i, h = 0;
	int rc = 0;

	sp->n_iov = 0;
	sp->run_bytes = sp->flushed = 0;
	for (i = 0; i < n; i++) {
		const struct mt_mail *m = mails[i];
		const struct rte_mbuf *c;
		char id[32], name[48], sha[65], *js;
		size_t jn;
		int64_t mt = (int64_t)((m->ts_end_ns ? m->ts_end_ns : m->ts_ns) / 1000000000ull);

		if (i > 0 && (start + sp->run_bytes >= sp->prm.segment_max_bytes ||
			      json_used + JSON_ONE_MAX > JSON_ARENA))
			break;
		mt_mail_id(m, sp->run_id, id, sizeof(id));
		mt_mail_sha256_hex(m, sha);
		js = sp->json + json_used;
		jn = mt_mail_json(m, id, sha[0] ? sha : NULL, js, JSON_ONE_MAX - 1);
		if (jn >= JSON_ONE_MAX - 1)
			jn = json_fallback(m, id, js, JSON_ONE_MAX);
		else
			js[jn++] = '\n';
		json_used += jn;

		snprintf(name, sizeof(name), "%s.eml", id);
		tar_header(sp->hdr[h], name, m->size, mt, sp->uid, sp->gid);
		if ((rc = run_add(sp, start, sp->hdr[h++], TAR_BLOCK)) != 0)
			goto out;
		for (c = m->head; c != NULL; c = c->next)
			if ((rc = run_add(sp, start, rte_pktmbuf_mtod(c, void *), c->data_len)) != 0)
				goto out;
		if ((rc = run_add(sp, start, zeros, tar_pad(m->size))) != 0)
			goto out;
		snprintf(name, sizeof(name), "%s.json", id);
		tar_header(sp->hdr[h], name, jn, mt, sp->uid, sp->gid);
		if ((rc = run_add(sp, start, sp->hdr[h++], TAR_BLOCK)) != 0 ||
		    (rc = run_add(sp, start, js, jn)) != 0 ||
		    (rc = run_add(sp, start, zeros, tar_pad(jn))) != 0)
			goto out;
		bytes += m->size;
	}
	*took = i;
	{
		uint64_t end = sp->run_bytes;

		if ((rc = run_add(sp, start, zeros, TAR_TRAILER)) != 0 ||
		    (rc = run_flush(sp, start)) != 0)
			goto out;
		if (sp->prm.fsync == MT_SPOOL_FSYNC_MAIL && (rc = timed_sync(sp, sp->seg_fd, 1)) != 0)
			goto out;
		sp->seg_off = start + end;
	}
	sp->seg_mails += i;
	sp->ctr.mails += i;
	sp->ctr.bytes += bytes;
out:
	return rc;
}

unsigned
mt_spool_write_burst(struct mt_spool *sp, struct mt_mail *const *mails, unsigned n,
		     struct mt_err *err)
{
	unsigned done = 0, took;
	int rc;

	if (n > MT_SPOOL_BATCH)
		n = MT_SPOOL_BATCH;
	while (done < n) {
		if (sp->seg_fd >= 0 && sp->seg_off >= sp->prm.segment_max_bytes &&
		    mt_spool_publish(sp, err) != 0)
			return done;
		if (sp->seg_fd < 0 && seg_create(sp, err) != 0)
			return done;
		if (sp->need_cut && (rc = seg_cut(sp)) != 0) {
			sp->ctr.write_errors++;
			mt_err_set(err, -rc, "spool: cut back %s/tmp/%s: %s", sp->dir,
				   sp->seg_name, strerror(-rc));
			return done;
		}
		took = 0;
		rc = write_run(sp, mails + done, n - done, &took);
		if (rc != 0) {
			sp->ctr.write_errors++;
			seg_cut(sp);
			mt_err_set(err, -rc, "spool: write %s/tmp/%s: %s", sp->dir, sp->seg_name,
				   strerror(-rc));
			return done;
		}
		done += took;
	}
	if (sp->seg_fd >= 0 && sp->seg_off >= sp->prm.segment_max_bytes)
		mt_spool_publish(sp, err); /* failure: retried by the next call or tick */
	return done;
}

/* --- retention --- */

static int
retain_cmp(const void *a, const void *b)
{
	const struct mt_spool_seg *x = a, *y = b;
	int cx = x->state != MT_SPOOL_DONE, cy = y->state != MT_SPOOL_DONE;

	if (cx != cy)
		return cx - cy;
	return strcmp(x->name, y->name);
}

static void
retention(struct mt_spool *sp)
{
	struct mt_spool_seg *segs = NULL;
	struct mt_err err;
	uint64_t total = sp->seg_fd >= 0 ? sp->seg_off : 0;
	int64_t oldest = (int64_t)time(NULL) - (int64_t)sp->prm.retain_max_age_s;
	size_t n = 0, i;

	if (mt_spool_segments(sp->dir, 0, &segs, &n, &err) != 0)
		return;
	for (i = 0; i < n; i++)
		total += segs[i].size;
	qsort(segs, n, sizeof(*segs), retain_cmp);
	for (i = 0; i < n; i++) {
		struct mt_spool_seg *s = &segs[i];
		int old = sp->prm.retain_max_age_s && s->mtime < oldest;
		int big = sp->prm.retain_max_bytes && total > sp->prm.retain_max_bytes;

		if (s->state == MT_SPOOL_CLAIMED || (!old && !big))
			continue;
		if (unlink(s->path) != 0)
			continue;
		total -= s->size;
		sp->ctr.removed_segments++;
		sp->ctr.removed_unconsumed += s->state != MT_SPOOL_DONE;
	}
	free(segs);
}

int
mt_spool_tick(struct mt_spool *sp, struct mt_err *err)
{
	uint64_t now = mono_ns();
	int rc = 0;

	if (sp->seg_fd >= 0 && sp->seg_mails > 0 &&
	    ((sp->prm.segment_max_age_s &&
	      now - sp->seg_open_ns >= (uint64_t)sp->prm.segment_max_age_s * 1000000000ull) ||
	     sp->seg_off >= sp->prm.segment_max_bytes))
		rc = mt_spool_publish(sp, err);
	if ((sp->prm.retain_max_bytes || sp->prm.retain_max_age_s) && now >= sp->next_retain_ns) {
		retention(sp);
		sp->next_retain_ns = now + RETAIN_EVERY_NS;
	}
	return rc;
}

void
mt_spool_close(struct mt_spool *sp)
{
	struct mt_err err;

	if (sp == NULL)
		return;
	if (sp->seg_fd >= 0) {
		if (sp->seg_mails > 0)
			mt_spool_publish(sp, &err);
		if (sp->seg_fd >= 0 && sp->seg_mails == 0) {
			close(sp->seg_fd);
			sp->seg_fd = -1;
			unlinkat(sp->tmpfd, sp->seg_name, 0);
		}
		if (sp->seg_fd >= 0)
			close(sp->seg_fd); /* left for the next start's recovery */
	}
	if (sp->dfd >= 0)
		close(sp->dfd);
	if (sp->tmpfd >= 0)
		close(sp->tmpfd);
	free(sp);
}
