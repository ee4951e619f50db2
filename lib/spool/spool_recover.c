/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recovery at open: every tar file in tmp/ is a segment a crash left unpublished
 * (there is at most one: a new segment is only created after the previous
 * one was published).  Its whole mails - both members complete, the
 * record a JSON object, the message's sha256 the record's - are kept,
 * everything after them is cut and counted, and the segment is published
 * under its own name (or removed if no whole mail is left).  Each step
 * can be repeated after another crash with the same result, so recovery
 * itself is crash safe; no mail can be published twice.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt_spool.h"
#include "spool_priv.h"

static int
count_mail(void *arg, const struct tar_mail *m, const char *json)
{
	(void)m;
	(void)json;
	(*(uint64_t *)arg)++;
	return 0;
}

static int
recover_one(int dfd, int tmpfd, const char *name, struct mt_spool_counters *ctr,
	    struct mt_err *err, const char *dir)
{
	struct stat st;
	uint64_t mails = 0, end;
	int fd, tail, rc;

	fd = openat(tmpfd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		return mt_err_set(err, errno, "spool: recover %s/tmp/%s: %s", dir, name,
				  strerror(errno));
	rc = tar_scan(fd, 1, count_mail, &mails, &end, &tail);
	if (rc != 0)
		goto out;
	if (tail) {
		ctr->torn_mails++;
		ctr->torn_bytes += (uint64_t)st.st_size - end;
	}
	if (mails == 0) {
		close(fd);
		if (unlinkat(tmpfd, name, 0) != 0)
			return mt_err_set(err, errno, "spool: remove %s/tmp/%s: %s", dir, name,
					  strerror(errno));
		return 0;
	}
	if (ftruncate(fd, (off_t)end) != 0 || ftruncate(fd, (off_t)(end + TAR_TRAILER)) != 0 ||
	    fdatasync(fd) != 0) {
		rc = -errno;
		goto out;
	}
	if (renameat2(tmpfd, name, dfd, name, RENAME_NOREPLACE) != 0) {
		rc = -errno;
		goto out;
	}
	fsync(dfd);
	ctr->recovered_segments++;
	ctr->recovered_mails += mails;
out:
	close(fd);
	if (rc != 0)
		return mt_err_set(err, -rc, "spool: recover %s/tmp/%s: %s", dir, name,
				  strerror(-rc));
	return 0;
}

int
spool_recover_all(struct mt_spool *sp, int dfd, int tmpfd, struct mt_spool_counters *ctr,
		  struct mt_err *err)
{
	const char *dir = mt_spool_dir(sp);
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;
	size_t n;

	fd = dup(tmpfd);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return mt_err_set(err, errno, "spool: read %s/tmp: %s", dir, strerror(errno));
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".tar") == 0)
			rc = recover_one(dfd, tmpfd, de->d_name, ctr, err, dir);
	}
	closedir(d);
	return rc;
}
