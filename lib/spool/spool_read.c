/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a spool: segments and their mails, export helpers, and the
 * consumer protocol (claim/ack/release by rename, follow).  No DPDK, no
 * state shared with the writer: everything here is safe while mailtapd
 * runs, because the writer only ever renames whole segments into DIR.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mt_spool.h"
#include "spool_priv.h"

const char *
mt_spool_state_name(enum mt_spool_state s)
{
	switch (s) {
	case MT_SPOOL_UNPUBLISHED: return "unpublished";
	case MT_SPOOL_PUBLISHED: return "published";
	case MT_SPOOL_CLAIMED: return "claimed";
	case MT_SPOOL_DONE: return "done";
	}
	return "?";
}

static int
is_seg_name(const char *n)
{
	size_t k = strlen(n);

	return k > 4 && k < 128 && n[0] != '.' && strcmp(n + k - 4, ".tar") == 0;
}

/* valid consumer names: they become a folder name */
static int
bad_consumer(const char *c, struct mt_err *err)
{
	size_t i, n = strlen(c);

	if (n == 0 || n >= 128 || c[0] == '.')
		goto bad;
	for (i = 0; i < n; i++)
		if (!((c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'z') ||
		      (c[i] >= 'A' && c[i] <= 'Z') || c[i] == '-' || c[i] == '_' || c[i] == '.'))
			goto bad;
	return 0;
bad:
	return mt_err_set(err, EINVAL, "spool: bad consumer name '%s' (letters, digits, . - _)",
			  c);
}

struct seglist {
	struct mt_spool_seg *v;
	size_t n, cap;
};

static int
scan_dir(struct seglist *l, const char *path, enum mt_spool_state state, const char *consumer)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(path);

	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		struct mt_spool_seg *s;

		if (!is_seg_name(de->d_name))
			continue;
		if (l->n == l->cap) {
			void *nv = realloc(l->v, (l->cap ? l->cap * 2 : 64) * sizeof(*l->v));

			if (nv == NULL) {
				closedir(d);
				return -ENOMEM;
			}
			l->v = nv;
			l->cap = l->cap ? l->cap * 2 : 64;
		}
		s = &l->v[l->n];
		memset(s, 0, sizeof(*s));
		snprintf(s->path, sizeof(s->path), "%s/%s", path, de->d_name);
		snprintf(s->name, sizeof(s->name), "%s", de->d_name);
		snprintf(s->consumer, sizeof(s->consumer), "%s", consumer ? consumer : "");
		s->state = state;
		if (stat(s->path, &st) != 0 || !S_ISREG(st.st_mode))
			continue; /* gone meanwhile (claimed, removed) */
		s->size = (uint64_t)st.st_size;
		s->mtime = st.st_mtime;
		l->n++;
	}
	closedir(d);
	return 0;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct mt_spool_seg *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->state - (int)y->state;
}

int
mt_spool_segments(const char *dir, int unpublished, struct mt_spool_seg **out, size_t *n,
		  struct mt_err *err)
{
	struct seglist l = { 0 };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc;

	rc = scan_dir(&l, dir, MT_SPOOL_PUBLISHED, NULL);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/done", dir);
		rc = scan_dir(&l, path, MT_SPOOL_DONE, NULL);
	}
	if (rc == 0 && unpublished) {
		snprintf(path, sizeof(path), "%s/tmp", dir);
		rc = scan_dir(&l, path, MT_SPOOL_UNPUBLISHED, NULL);
	}
	snprintf(path, sizeof(path), "%s/claimed", dir);
	if (rc == 0 && (d = opendir(path)) != NULL) {
		while (rc == 0 && (de = readdir(d)) != NULL) {
			char sub[PATH_MAX];

			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/claimed/%s", dir, de->d_name);
			rc = scan_dir(&l, sub, MT_SPOOL_CLAIMED, de->d_name);
		}
		closedir(d);
	}
	if (rc != 0) {
		free(l.v);
		return mt_err_set(err, -rc, "spool: read %s: %s", dir, strerror(-rc));
	}
	qsort(l.v, l.n, sizeof(*l.v), seg_cmp);
	*out = l.v;
	*n = l.n;
	return 0;
}

struct foreach_ctx {
	const char *path;
	int fd;
	mt_spool_mail_cb cb;
	void *arg;
};

static int
foreach_mail(void *arg, const struct tar_mail *m, const char *json)
{
	struct foreach_ctx *c = arg;
	struct mt_spool_ref r;

	memset(&r, 0, sizeof(r));
	r.seg_path = c->path;
	r.fd = c->fd;
	snprintf(r.id, sizeof(r.id), "%s", m->id);
	r.eml_off = m->eml_off;
	r.eml_size = m->eml_size;
	r.json = json;
	r.json_len = m->json_size;
	r.mtime = m->mtime;
	return c->cb(c->arg, &r);
}

int
mt_spool_seg_foreach(const char *path, mt_spool_mail_cb cb, void *arg, int64_t *torn,
		     struct mt_err *err)
{
	struct foreach_ctx c = { path, -1, cb, arg };
	uint64_t end;
	int tail, rc;

	c.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c.fd < 0)
		return mt_err_set(err, errno, "spool: open %s: %s", path, strerror(errno));
	rc = tar_scan(c.fd, 0, foreach_mail, &c, &end, &tail);
	close(c.fd);
	if (torn != NULL)
		*torn = tail ? (int64_t)end : -1;
	if (rc < 0)
		return mt_err_set(err, -rc, "spool: read %s: %s", path, strerror(-rc));
	return rc;
}

int
mt_spool_copy_eml(const struct mt_spool_ref *ref, FILE *f)
{
	char buf[65536];
	uint64_t off = ref->eml_off, left = ref->eml_size;
	ssize_t r;

	while (left > 0) {
		r = pread(ref->fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf),
			  (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		if (fwrite(buf, 1, (size_t)r, f) != (size_t)r)
			return -EIO;
		off += (uint64_t)r;
		left -= (uint64_t)r;
	}
	return 0;
}

const char *
mt_spool_json_get(const char *json, const char *key, char *buf, size_t size)
{
	char pat[64];
	const char *p, *e;
	int depth = 0, in_str = 0;
	size_t n;

	buf[0] = '\0';
	/* "key": cannot occur inside a string of the record: every quote
	 * there is escaped, so the name would be followed by \" */
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	if (p == NULL)
		return buf;
	p += strlen(pat);
	for (e = p; *e != '\0'; e++) {
		if (in_str) {
			if (*e == '\\' && e[1] != '\0')
				e++;
			else if (*e == '"')
				in_str = 0;
			continue;
		}
		if (*e == '"')
			in_str = 1;
		else if (*e == '[' || *e == '{')
			depth++;
		else if (*e == ']' || *e == '}') {
			if (depth == 0)
				break;
			depth--;
		} else if (*e == ',' && depth == 0)
			break;
	}
	n = (size_t)(e - p);
	if (n >= size)
		n = size - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* JSON string value -> plain text (escapes other than \" \\ kept). */
static void
unquote(const char *in, char *out, size_t size)
{
	size_t n = 0;

	if (*in == '"')
		in++;
	while (*in != '\0' && *in != '"' && n + 1 < size) {
		if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
			in++;
		out[n++] = *in++;
	}
	out[n] = '\0';
}

int
mt_spool_mbox_append(const struct mt_spool_ref *ref, FILE *f)
{
	char raw[1024], from[1024], date[64], buf[65536];
	uint64_t off = ref->eml_off, left = ref->eml_size;
	int bol = 1, last = '\n';
	time_t t = (time_t)ref->mtime;
	struct tm tm;
	size_t i, k, sp;
	ssize_t r;

	unquote(mt_spool_json_get(ref->json, "mail_from", raw, sizeof(raw)), from, sizeof(from));
	for (sp = 0; from[sp] != '\0'; sp++) /* no blanks in a From_ line */
		if (from[sp] == ' ' || from[sp] == '\t' || from[sp] == '\r' || from[sp] == '\n')
			from[sp] = '_';
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	if (fprintf(f, "From %s %s\n", from[0] ? from : "MAILER-DAEMON", date) < 0)
		return -EIO;
	/* mboxrd: a line that is ">*From " gets one more '>' */
	while (left > 0) {
		r = pread(ref->fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf),
			  (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		for (i = 0; i < (size_t)r; i++) {
			if (bol) {
				for (k = i; k < (size_t)r && buf[k] == '>'; k++)
					;
				/* a From line split over two reads is rare; look ahead */
				if (k + 5 <= (size_t)r && memcmp(buf + k, "From ", 5) == 0)
					fputc('>', f);
			}
			fputc(buf[i], f);
			bol = buf[i] == '\n';
			last = buf[i];
		}
		off += (uint64_t)r;
		left -= (uint64_t)r;
	}
	if (last != '\n')
		fputc('\n', f);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

/* --- consumer protocol --- */

static int
mkdir_in(const char *dir, const char *sub, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s/%s", dir, sub) >= size)
		return -ENAMETOOLONG;
	return spool_mkdir_p(out, 0750);
}

int
mt_spool_claim(const char *dir, const char *consumer, char *path, size_t size,
	       struct mt_err *err)
{
	struct mt_spool_seg *segs;
	char cdir[PATH_MAX], sub[PATH_MAX];
	size_t n, i;
	int rc;

	if (bad_consumer(consumer, err) != 0)
		return -EINVAL;
	snprintf(sub, sizeof(sub), "claimed/%s", consumer);
	rc = mkdir_in(dir, sub, cdir, sizeof(cdir));
	if (rc != 0)
		return mt_err_set(err, -rc, "spool: create %s: %s", cdir, strerror(-rc));
	rc = mt_spool_segments(dir, 0, &segs, &n, err);
	if (rc != 0)
		return rc;
	/* a claim this consumer did not ack (it crashed) comes back first */
	for (i = 0; i < n; i++)
		if (segs[i].state == MT_SPOOL_CLAIMED && strcmp(segs[i].consumer, consumer) == 0) {
			snprintf(path, size, "%s", segs[i].path);
			free(segs);
			return 0;
		}
	for (i = 0; i < n; i++) {
		if (segs[i].state != MT_SPOOL_PUBLISHED)
			continue;
		snprintf(path, size, "%s/%s", cdir, segs[i].name);
		if (rename(segs[i].path, path) == 0) {
			free(segs);
			return 0;
		}
		if (errno != ENOENT) { /* ENOENT: another consumer took it */
			rc = mt_err_set(err, errno, "spool: claim %s: %s", segs[i].path,
					strerror(errno));
			free(segs);
			return rc;
		}
	}
	free(segs);
	path[0] = '\0';
	return mt_err_set(err, ENOENT, "spool: no published segment in %s", dir);
}

int
mt_spool_ack(const char *dir, const char *consumer, const char *seg, struct mt_err *err)
{
	char from[PATH_MAX], to[PATH_MAX];
	const char *base = strrchr(seg, '/');
	int rc;

	if (bad_consumer(consumer, err) != 0)
		return -EINVAL;
	base = base ? base + 1 : seg;
	if (!is_seg_name(base))
		return mt_err_set(err, EINVAL, "spool: not a segment name: %s", seg);
	rc = mkdir_in(dir, "done", to, sizeof(to));
	if (rc != 0)
		return mt_err_set(err, -rc, "spool: create %s: %s", to, strerror(-rc));
	snprintf(from, sizeof(from), "%s/claimed/%s/%s", dir, consumer, base);
	snprintf(to, sizeof(to), "%s/done/%s", dir, base);
	if (rename(from, to) != 0)
		return mt_err_set(err, errno, "spool: ack %s: %s", from, strerror(errno));
	return 0;
}

int
mt_spool_release(const char *dir, const char *consumer, unsigned *n, struct mt_err *err)
{
	struct mt_spool_seg *segs;
	char to[PATH_MAX];
	size_t k, i;
	int rc;

	*n = 0;
	if (bad_consumer(consumer, err) != 0)
		return -EINVAL;
	rc = mt_spool_segments(dir, 0, &segs, &k, err);
	if (rc != 0)
		return rc;
	for (i = 0; i < k; i++) {
		if (segs[i].state != MT_SPOOL_CLAIMED || strcmp(segs[i].consumer, consumer) != 0)
			continue;
		snprintf(to, sizeof(to), "%s/%s", dir, segs[i].name);
		if (rename(segs[i].path, to) != 0) {
			rc = mt_err_set(err, errno, "spool: release %s: %s", segs[i].path,
					strerror(errno));
			break;
		}
		(*n)++;
	}
	free(segs);
	return rc;
}

/* --- follow --- */

struct mt_spool_follow {
	char dir[PATH_MAX];
	int ino;           /* inotify fd, -1: poll every 200 ms */
	char **seen;       /* names reported and still in DIR, sorted */
	size_t n_seen;
	char **todo;       /* found, not reported yet, sorted */
	size_t n_todo, i_todo;
	int started;
};

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct mt_spool_follow *
mt_spool_follow_open(const char *dir, struct mt_err *err)
{
	struct mt_spool_follow *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		mt_err_set(err, ENOMEM, "spool: out of memory");
		return NULL;
	}
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	f->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ino >= 0 && inotify_add_watch(f->ino, dir, IN_MOVED_TO | IN_CREATE) < 0) {
		mt_err_set(err, errno, "spool: watch %s: %s", dir, strerror(errno));
		close(f->ino);
		free(f);
		return NULL;
	}
	return f;
}

/* Rescan DIR: names not seen before go to todo; seen keeps what is there. */
static int
rescan(struct mt_spool_follow *f)
{
	struct dirent *de;
	char **now = NULL, **todo = NULL;
	size_t n_now = 0, n_todo = 0, cap = 0, i;
	DIR *d = opendir(f->dir);

	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (!is_seg_name(de->d_name))
			continue;
		if (n_now == cap) {
			cap = cap ? cap * 2 : 64;
			now = realloc(now, cap * sizeof(*now));
			if (now == NULL) {
				closedir(d);
				return -ENOMEM;
			}
		}
		now[n_now++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(now, n_now, sizeof(*now), str_cmp);
	todo = calloc(n_now + 1, sizeof(*todo));
	for (i = 0; todo != NULL && i < n_now; i++)
		if (bsearch(&now[i], f->seen, f->n_seen, sizeof(*f->seen), str_cmp) == NULL)
			todo[n_todo++] = strdup(now[i]);
	free_names(f->seen, f->n_seen);
	f->seen = now; /* everything there now is reported by this round */
	f->n_seen = n_now;
	free_names(f->todo, f->n_todo);
	f->todo = todo;
	f->n_todo = n_todo;
	f->i_todo = 0;
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
mt_spool_follow_next(struct mt_spool_follow *f, char *path, size_t size, int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1, left;
	struct pollfd pfd;
	char ev[4096];
	int rc, wait;

	for (;;) {
		if (f->i_todo < f->n_todo) {
			snprintf(path, size, "%s/%s", f->dir, f->todo[f->i_todo++]);
			return 1;
		}
		if (f->started) {
			left = deadline >= 0 ? deadline - now_ms() : -1;
			if (deadline >= 0 && left <= 0)
				return 0;
			/* without inotify, look every 200 ms */
			wait = f->ino >= 0 ? (int)left : (left >= 0 && left < 200 ? (int)left : 200);
			pfd.fd = f->ino;
			pfd.events = POLLIN;
			rc = poll(&pfd, f->ino >= 0 ? 1 : 0, wait);
			if (rc < 0 && errno != EINTR)
				return -errno;
			while (f->ino >= 0 && read(f->ino, ev, sizeof(ev)) > 0)
				;
		}
		f->started = 1;
		rc = rescan(f);
		if (rc != 0)
			return rc;
	}
}

void
mt_spool_follow_close(struct mt_spool_follow *f)
{
	if (f == NULL)
		return;
	if (f->ino >= 0)
		close(f->ino);
	free_names(f->seen, f->n_seen);
	free_names(f->todo, f->n_todo);
	free(f);
}
