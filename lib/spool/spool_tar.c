/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ustar side of the spool: headers, and the scan that finds the whole
 * mails of a segment (used by recovery and by the readers alike, so the
 * two can never disagree on what a whole mail is).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "spool_priv.h"

/* width - 1 octal digits and a NUL (v must fit; callers make sure) */
static void
octal(char *dst, size_t width, uint64_t v)
{
	size_t i;

	dst[width - 1] = '\0';
	for (i = width - 1; i > 0; i--) {
		dst[i - 1] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

static unsigned
tar_sum(const uint8_t h[TAR_BLOCK])
{
	unsigned s = 0, i;

	for (i = 0; i < TAR_BLOCK; i++)
		s += (i >= 148 && i < 156) ? ' ' : h[i];
	return s;
}

void
tar_header(uint8_t h[TAR_BLOCK], const char *name, uint64_t size, int64_t mtime, unsigned uid,
	   unsigned gid)
{
	char *c = (char *)h;

	memset(h, 0, TAR_BLOCK);
	snprintf(c, 100, "%s", name);
	octal(c + 100, 8, 0640);
	octal(c + 108, 8, uid & 07777777);
	octal(c + 116, 8, gid & 07777777);
	octal(c + 124, 12, size);
	octal(c + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
	c[156] = '0';
	memcpy(c + 257, "ustar", 6);
	memcpy(c + 263, "00", 2);
	snprintf(c + 148, 8, "%06o", tar_sum(h));
	c[155] = ' ';
}

static int
parse_octal(const uint8_t *p, size_t n, uint64_t *v)
{
	size_t i = 0;
	int digits = 0;

	*v = 0;
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++, digits++) {
		if (*v >> 60)
			return -1;
		*v = *v << 3 | (uint64_t)(p[i] - '0');
	}
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			return -1;
	return digits ? 0 : -1;
}

int
tar_parse(const uint8_t h[TAR_BLOCK], char name[101], uint64_t *size, int64_t *mtime)
{
	uint64_t sum, mt;
	unsigned i;

	for (i = 0; i < TAR_BLOCK && h[i] == 0; i++)
		;
	if (i == TAR_BLOCK)
		return 0;
	if (memcmp(h + 257, "ustar", 5) != 0 || parse_octal(h + 148, 8, &sum) != 0 ||
	    sum != tar_sum(h) || (h[156] != '0' && h[156] != '\0') || h[345] != '\0' ||
	    parse_octal(h + 124, 12, size) != 0 || parse_octal(h + 136, 12, &mt) != 0)
		return -1;
	memcpy(name, h, 100);
	name[100] = '\0';
	*mtime = (int64_t)mt;
	return 1;
}

size_t
tar_member_id(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext), i;

	if (n <= e || strcmp(name + n - e, ext) != 0 || n - e > SPOOL_ID_MAX)
		return 0;
	for (i = 0; i < n - e; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= 'A' && name[i] <= 'Z') || name[i] == '-' || name[i] == '_'))
			return 0;
	return n - e;
}

static int
read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return 0; /* short: the file ends */
		got += (size_t)r;
	}
	return 1;
}

/* 1 if the message's sha256 is the one the record names, 0 if not. */
static int
sha_matches(int fd, const struct tar_mail *m, const char *json)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	char want[65], got[65];
	const char *p = strstr(json, "\"sha256\":\"");
	uint64_t off = m->eml_off, left = m->eml_size;
	unsigned n = 0, i;
	EVP_MD_CTX *ctx;
	int ok = 0;

	if (p == NULL)
		return 1; /* a record without digest (empty message): nothing to check */
	memcpy(want, p + 10, 64);
	want[64] = '\0';
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while (left > 0) {
		size_t k = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		if (read_at(fd, buf, k, off) != 1 || EVP_DigestUpdate(ctx, buf, k) != 1)
			goto out;
		off += k;
		left -= k;
	}
	if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != 32)
		goto out;
	for (i = 0; i < 32; i++) {
		got[2 * i] = hex[md[i] >> 4];
		got[2 * i + 1] = hex[md[i] & 15];
	}
	got[64] = '\0';
	ok = strcmp(got, want) == 0;
out:
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* 1 if [off, EOF) holds only zero bytes. */
static int
only_zeros(int fd, uint64_t off)
{
	uint8_t buf[8192];
	ssize_t r, i;

	for (;;) {
		r = pread(fd, buf, sizeof(buf), (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0;
		for (i = 0; i < r; i++)
			if (buf[i] != 0)
				return 0;
		off += (uint64_t)r;
	}
}

int
tar_scan(int fd, int verify, tar_mail_cb cb, void *arg, uint64_t *end, int *tail)
{
	uint8_t h[TAR_BLOCK];
	char name[101], name2[101];
	struct tar_mail m;
	struct stat st;
	uint64_t off = 0, size;
	int64_t mt;
	char *json = NULL;
	size_t idlen;
	int rc = 0;

	*end = 0;
	*tail = 0;
	if (fstat(fd, &st) != 0)
		return -errno;
	for (;;) {
		rc = read_at(fd, h, TAR_BLOCK, off);
		if (rc < 0)
			break;
		rc = 0;
		if (off + TAR_BLOCK > (uint64_t)st.st_size || tar_parse(h, name, &size, &mt) != 1)
			break;
		idlen = tar_member_id(name, ".eml");
		if (idlen == 0)
			break;
		memset(&m, 0, sizeof(m));
		memcpy(m.id, name, idlen);
		m.mtime = mt;
		m.eml_off = off + TAR_BLOCK;
		m.eml_size = size;
		off = m.eml_off + size + tar_pad(size);
		if (off + TAR_BLOCK > (uint64_t)st.st_size || read_at(fd, h, TAR_BLOCK, off) != 1 ||
		    tar_parse(h, name2, &size, &mt) != 1 || tar_member_id(name2, ".json") != idlen ||
		    memcmp(name2, m.id, idlen) != 0 || size < 3 || size > SPOOL_JSON_MAX)
			break;
		m.json_off = off + TAR_BLOCK;
		m.json_size = size;
		m.end = m.json_off + size + tar_pad(size);
		if (m.end > (uint64_t)st.st_size)
			break;
		free(json);
		json = malloc(size + 1);
		if (json == NULL) {
			rc = -ENOMEM;
			break;
		}
		if (read_at(fd, json, size, m.json_off) != 1)
			break;
		json[size] = '\0';
		if (json[0] != '{' || json[size - 1] != '\n' || json[size - 2] != '}' ||
		    strlen(json) != size)
			break;
		if (verify && !sha_matches(fd, &m, json))
			break;
		*end = off = m.end;
		if (cb != NULL && (rc = cb(arg, &m, json)) != 0)
			break;
	}
	free(json);
	if (rc == 0)
		*tail = !only_zeros(fd, *end);
	return rc;
}

int
spool_mkdir_p(const char *path, mode_t mode)
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

/* pwritev all of iov at off, resuming after short writes.  Each call
 * covers at most IOV_MAX entries. */
int
spool_writev_all(int fd, struct iovec *iov, int n, off_t off)
{
	ssize_t w;

	while (n > 0) {
		w = pwritev(fd, iov, n < IOV_MAX ? n : IOV_MAX, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		off += w;
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
