/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_probe.c - see mt_probe.h.  tests/fp/capture.py mirrors this dialogue.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mt_common.h"
#include "mt_probe.h"

struct step {
	int conn;
	int obs;
	const char *cmd; /* NULL: read the greeting */
	size_t len;
};

#define LONG_LEN 1105 /* "NOOP " + 1100 x 'A' */

static char long_cmd[LONG_LEN + 3];

static const struct step steps[] = {
	{ 1, MT_FP_BANNER, NULL, 0 },
	{ 1, MT_FP_EHLO, "EHLO probe.invalid\r\n", 20 },
	{ 1, MT_FP_HELP, "HELP\r\n", 6 },
	{ 1, MT_FP_RCPT_FIRST, "RCPT TO:<probe@example.com>\r\n", 29 },
	{ 1, MT_FP_MAIL_BAD, "MAIL FROM:<bad\r\n", 16 },
	{ 1, MT_FP_UNKNOWN, "XYZZY\r\n", 7 },
	{ 1, MT_FP_QUIT, "QUIT\r\n", 6 },
	{ 2, MT_FP_BANNER2, NULL, 0 },
	{ 2, MT_FP_NUL, "HE\0LO probe.invalid\r\n", 21 },
	{ 2, MT_FP_LONG, long_cmd, LONG_LEN + 2 },
	{ 2, MT_FP_QUIT2, "QUIT\r\n", 6 },
};

void
mt_probe_params_default(struct mt_probe_params *p)
{
	p->connect_ms = 5000;
	p->read_ms = 10000;
	p->slow_ms = 2000;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
connect_to(const struct sockaddr *sa, socklen_t salen, int ms)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd pfd;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return -errno;
	if (connect(fd, sa, salen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return -e;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, ms) <= 0) {
		close(fd);
		return -ETIMEDOUT;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		close(fd);
		return -(soerr ? soerr : errno);
	}
	return fd;
}

static int
send_all(int fd, const char *p, size_t n, int ms)
{
	long end = now_ms() + ms;

	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		long left = end - now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
	}
	return 0;
}

/* Printable form of one reply line (see mt_fp.h). */
static void
append_line(struct mt_fp_obs *o, const char *s, size_t n)
{
	size_t len = strlen(o->text);

	if (len && len + 1 < sizeof(o->text))
		o->text[len++] = '\n';
	for (size_t i = 0; i < n && len + 5 < sizeof(o->text); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0) {
			o->text[len++] = '\\';
			o->text[len++] = '0';
		} else if (c < 0x20 || c == 0x7f) {
			len += (size_t)snprintf(o->text + len, 5, "\\x%02x", c);
		} else {
			o->text[len++] = (char)c;
		}
	}
	o->text[len] = '\0';
}

struct rbuf {
	char b[8192];
	size_t n;
};

/* Read one complete reply into o; sets MT_FP_F_* on failure.  0 = got it. */
static int
read_reply(int fd, struct rbuf *rb, struct mt_fp_obs *o, int ms)
{
	long end = now_ms() + ms;

	for (;;) {
		char *nl;

		while ((nl = memchr(rb->b, '\n', rb->n)) != NULL) {
			size_t l = (size_t)(nl - rb->b);
			size_t ll = l && rb->b[l - 1] == '\r' ? l - 1 : l;
			int last = ll < 4 || rb->b[3] != '-';

			append_line(o, rb->b, ll);
			memmove(rb->b, nl + 1, rb->n - l - 1);
			rb->n -= l + 1;
			if (last)
				return 0;
		}
		if (rb->n == sizeof(rb->b)) { /* a line longer than the buffer */
			append_line(o, rb->b, rb->n);
			rb->n = 0;
		}
		long left = end - now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			o->flags |= MT_FP_F_TIMEOUT;
			return -1;
		}
		ssize_t k = recv(fd, rb->b + rb->n, sizeof(rb->b) - rb->n, 0);

		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
			o->flags |= MT_FP_F_CLOSED;
			return -1;
		}
		if (k > 0)
			rb->n += (size_t)k;
	}
}

int
mt_probe_host(const struct sockaddr *sa, socklen_t salen, const struct mt_probe_params *p,
	      struct mt_fp_obsset *out, struct mt_err *err)
{
	struct rbuf rb;
	int fd = -1, conn = 0, dead = 0;

	memset(out, 0, sizeof(*out));
	memcpy(long_cmd, "NOOP ", 5);
	memset(long_cmd + 5, 'A', LONG_LEN - 5);
	memcpy(long_cmd + LONG_LEN, "\r\n", 3);
	for (size_t i = 0; i < MT_ARRAY_SIZE(steps); i++) {
		const struct step *s = &steps[i];
		struct mt_fp_obs *o = &out->o[s->obs];
		long t0;

		if (s->conn != conn) {
			if (fd >= 0)
				close(fd);
			conn = s->conn;
			rb.n = 0;
			dead = 0;
			fd = connect_to(sa, salen, p->connect_ms);
			if (fd < 0) {
				if (conn == 1)
					return mt_err_set(err, -fd, "connect: %s", strerror(-fd));
				dead = 1; /* refused the second connection */
			}
		}
		o->present = 1;
		if (dead) {
			o->flags |= MT_FP_F_CLOSED;
			continue;
		}
		t0 = now_ms();
		if (s->cmd && send_all(fd, s->cmd, s->len, p->read_ms) < 0) {
			o->flags |= MT_FP_F_CLOSED;
			dead = 1;
			continue;
		}
		if (read_reply(fd, &rb, o, p->read_ms) < 0)
			dead = 1;
		o->ms = (uint32_t)(now_ms() - t0);
		if (!dead && o->ms >= (uint32_t)p->slow_ms)
			o->flags |= MT_FP_F_SLOW;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}
