/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mt_common.h"
#include "mt_spool.h"

#define SPOOL_IOV 64
#define JSON_MAX (64 * 1024)

struct mt_spool {
	int dfd;     /* DIR */
	int tmpfd;   /* DIR/tmp */
	char dir[PATH_MAX];
	char json[JSON_MAX];
};

static int
mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX], *p;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return -errno;
	return 0;
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
	sp->dfd = sp->tmpfd = -1;
	if (snprintf(sp->dir, sizeof(sp->dir), "%s", dir) >= (int)sizeof(sp->dir)) {
		mt_err_set(err, ENAMETOOLONG, "spool: path too long: %s", dir);
		goto fail;
	}
	rc = mkdir_p(dir, 0750);
	if (rc != 0) {
		mt_err_set(err, -rc, "spool: cannot create %s: %s", dir, strerror(-rc));
		goto fail;
	}
	sp->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dfd < 0) {
		mt_err_set(err, errno, "spool: cannot open %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (mkdirat(sp->dfd, "tmp", 0750) != 0 && errno != EEXIST) {
		mt_err_set(err, errno, "spool: cannot create %s/tmp: %s", dir, strerror(errno));
		goto fail;
	}
	sp->tmpfd = openat(sp->dfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->tmpfd < 0 || faccessat(sp->dfd, "tmp", W_OK, AT_EACCESS) != 0) {
		mt_err_set(err, errno, "spool: %s/tmp is not writable: %s", dir,
			   strerror(errno));
		goto fail;
	}
	return sp;
fail:
	mt_spool_close(sp);
	return NULL;
}

void
mt_spool_close(struct mt_spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->dfd >= 0)
		close(sp->dfd);
	if (sp->tmpfd >= 0)
		close(sp->tmpfd);
	free(sp);
}

const char *
mt_spool_dir(const struct mt_spool *sp)
{
	return sp->dir;
}

/* writev all of iov, resuming after short writes. */
static int
writev_all(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int
write_chain(int fd, const struct rte_mbuf *c)
{
	struct iovec iov[SPOOL_IOV];
	int n, rc;

	while (c != NULL) {
		for (n = 0; c != NULL && n < SPOOL_IOV; c = c->next) {
			if (c->data_len == 0)
				continue;
			iov[n].iov_base = rte_pktmbuf_mtod(c, void *);
			iov[n].iov_len = c->data_len;
			n++;
		}
		rc = writev_all(fd, iov, n);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Write tmp/name from either a chain or a buffer, then rename into DIR. */
static int
publish(struct mt_spool *sp, const char *name, const struct rte_mbuf *chain,
	const char *buf, size_t len, struct mt_err *err)
{
	struct iovec iov;
	int fd, rc;

	fd = openat(sp->tmpfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return mt_err_set(err, errno, "spool: create %s/tmp/%s: %s", sp->dir, name,
				  strerror(errno));
	if (chain != NULL) {
		rc = write_chain(fd, chain);
	} else {
		iov.iov_base = (void *)(uintptr_t)buf;
		iov.iov_len = len;
		rc = writev_all(fd, &iov, 1);
	}
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(sp->tmpfd, name, sp->dfd, name) != 0)
		rc = -errno;
	if (rc != 0) {
		unlinkat(sp->tmpfd, name, 0);
		return mt_err_set(err, -rc, "spool: write %s/%s: %s", sp->dir, name,
				  strerror(-rc));
	}
	return 0;
}

int
mt_spool_write(struct mt_spool *sp, const struct mt_mail *m, const char *id, struct mt_err *err)
{
	char name[64], sha[65];
	size_t n;
	int rc;

	mt_mail_sha256_hex(m, sha);
	n = mt_mail_json(m, id, sha[0] ? sha : NULL, sp->json, sizeof(sp->json) - 1);
	if (n >= sizeof(sp->json) - 1)
		return mt_err_set(err, EOVERFLOW, "spool: metadata of %s over %d bytes", id,
				  JSON_MAX);
	sp->json[n++] = '\n';

	snprintf(name, sizeof(name), "%s.eml", id);
	rc = publish(sp, name, m->head, "", 0, err);
	if (rc != 0)
		return rc;
	snprintf(name, sizeof(name), "%s.json", id);
	return publish(sp, name, NULL, sp->json, n, err);
}
