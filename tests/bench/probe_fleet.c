/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe_fleet - a loopback fleet of fake mail servers for the prober
 * benchmark: N listening sockets on consecutive 127.x.y.z addresses (one
 * port), each replaying one recorded dialogue (tests/fp/fixtures/DIR/NAME.txt,
 * listener i gets fixture i % nfix) to whatever connects.  One thread,
 * epoll, non-blocking; replies are precomputed wire bytes, so the fleet
 * costs far less per dialogue than the prober it serves.
 *
 *   probe_fleet --base 127.77.0.1 --count N --port P [--ports K]
 *               [--delay-ms D] FIXTURE...
 *
 * --ports K listens on ports P..P+K-1 of each address (count x K targets);
 * --delay-ms D sends every reply (and the greeting) D ms late, as an
 * Internet round trip would, from a FIFO of pending replies (one fixed
 * delay, so the queue is in deadline order).
 * Prints "ready" on stdout once every socket listens, runs until SIGTERM or
 * SIGINT, then prints "connections C commands K" and exits 0.
 *
 * The command -> observation map is the prober's dialogue (lib/probe):
 * the first command "HE\0LO" marks connection 2 (then QUIT is quit2).  A
 * reply recorded as "!closed" closes the connection; "!timeout" sends
 * nothing.  Loopback only: it refuses a base outside 127.0.0.0/8.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "mt_fp.h"

struct wire {
	char *b;
	size_t n;
	int close; /* hang up instead of / after replying */
	int silent;
};

struct fixture {
	struct wire w[MT_FP_NOBS];
};

struct conn {
	int fd;
	int listener; /* -1 for a connection */
	const struct fixture *fx;
	int conn2;
	int closed;   /* fd closed; freed when no reply is pending */
	int pending;  /* delayed replies queued */
	size_t n;
	char in[2048];
};

struct pend {
	struct pend *next;
	struct conn *c;
	int obs;
	uint64_t due;
};

static struct pend *phead, *ptail;
static int delay_ms;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static volatile sig_atomic_t stop;

static void
on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

/* Printable reply text (mt_fp.h) back to wire bytes, CRLF per line. */
static void
to_wire(const struct mt_fp_obs *o, struct wire *w)
{
	size_t cap = strlen(o->text) + 64;
	const char *s = o->text;

	w->b = malloc(cap);
	w->n = 0;
	w->close = (o->flags & MT_FP_F_CLOSED) != 0;
	w->silent = (o->flags & MT_FP_F_TIMEOUT) != 0;
	if (!w->b)
		exit(1);
	if (!o->present || !s[0])
		return;
	while (*s) {
		if (s[0] == '\\' && s[1] == '0') {
			w->b[w->n++] = '\0';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char h[3] = { s[2], s[3], 0 };

			w->b[w->n++] = (char)strtol(h, NULL, 16);
			s += 4;
		} else if (s[0] == '\n') {
			w->b[w->n++] = '\r';
			w->b[w->n++] = '\n';
			s++;
		} else {
			w->b[w->n++] = *s++;
		}
	}
	w->b[w->n++] = '\r';
	w->b[w->n++] = '\n';
}

static int
load_fixture(const char *path, struct fixture *fx)
{
	static struct mt_fp_obsset set;
	struct mt_err err = { "" };
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (mt_fp_obsset_parse(&set, buf, &err) != 0) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		free(buf);
		return -1;
	}
	free(buf);
	for (int i = 0; i < MT_FP_NOBS; i++)
		to_wire(&set.o[i], &fx->w[i]);
	return 0;
}

static uint64_t nconn, ncmd;

static void
conn_close(int ep, struct conn *c)
{
	if (!c->closed) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->closed = 1;
	}
	if (!c->pending)
		free(c);
}

static int send_reply(int ep, struct conn *c, int obs);

/* 0 keep, -1 closed (or, delayed: 0, and the close comes later). */
static int
reply(int ep, struct conn *c, int obs)
{
	struct pend *p;

	if (!delay_ms)
		return send_reply(ep, c, obs);
	p = calloc(1, sizeof(*p));
	if (!p)
		exit(1);
	p->c = c;
	p->obs = obs;
	p->due = now_ms() + (uint64_t)delay_ms;
	c->pending++;
	if (ptail)
		ptail->next = p;
	else
		phead = p;
	ptail = p;
	return 0;
}

static void
run_pending(int ep)
{
	uint64_t now = now_ms();

	while (phead && phead->due <= now) {
		struct pend *p = phead;

		phead = p->next;
		if (!phead)
			ptail = NULL;
		p->c->pending--;
		if (p->c->closed)
			conn_close(ep, p->c);
		else
			send_reply(ep, p->c, p->obs);
		free(p);
	}
}

static int
send_reply(int ep, struct conn *c, int obs)
{
	const struct wire *w = &c->fx->w[obs];

	if (w->silent)
		return 0;
	if (w->n && send(c->fd, w->b, w->n, MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
		conn_close(ep, c);
		return -1;
	}
	if (w->close || obs == MT_FP_QUIT || obs == MT_FP_QUIT2) {
		conn_close(ep, c);
		return -1;
	}
	return 0;
}

static int
command(int ep, struct conn *c, const char *l, size_t n)
{
	int obs;

	ncmd++;
	if (n >= 3 && memcmp(l, "HE\0", 3) == 0) {
		c->conn2 = 1;
		obs = MT_FP_NUL;
	} else if (n >= 4 && strncasecmp(l, "EHLO", 4) == 0) {
		obs = MT_FP_EHLO;
	} else if (n >= 4 && strncasecmp(l, "HELP", 4) == 0) {
		obs = MT_FP_HELP;
	} else if (n >= 4 && strncasecmp(l, "RCPT", 4) == 0) {
		obs = MT_FP_RCPT_FIRST;
	} else if (n >= 4 && strncasecmp(l, "MAIL", 4) == 0) {
		obs = MT_FP_MAIL_BAD;
	} else if (n >= 4 && strncasecmp(l, "NOOP", 4) == 0) {
		obs = MT_FP_LONG;
	} else if (n >= 4 && strncasecmp(l, "QUIT", 4) == 0) {
		obs = c->conn2 ? MT_FP_QUIT2 : MT_FP_QUIT;
	} else {
		obs = MT_FP_UNKNOWN;
	}
	return reply(ep, c, obs);
}

static void
readable(int ep, struct conn *c)
{
	for (;;) {
		ssize_t k = recv(c->fd, c->in + c->n, sizeof(c->in) - c->n, 0);
		char *nl;

		if (k < 0 && errno == EAGAIN)
			return;
		if (k <= 0) {
			conn_close(ep, c);
			return;
		}
		c->n += (size_t)k;
		while ((nl = memchr(c->in, '\n', c->n)) != NULL) {
			size_t l = (size_t)(nl - c->in);

			if (command(ep, c, c->in, l) < 0)
				return;
			memmove(c->in, nl + 1, c->n - l - 1);
			c->n -= l + 1;
		}
		if (c->n == sizeof(c->in)) /* an over-long line: keep its tail only */
			c->n = 0;
	}
}

int
main(int argc, char **argv)
{
	const char *base = "127.77.0.1";
	int count = 1000, port = 0, nports = 1, nfix = 0, ep;
	struct fixture *fx;
	struct in_addr a;
	struct rlimit rl;
	struct epoll_event evs[256];

	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--base") == 0)
			base = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0)
			count = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--ports") == 0)
			nports = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--delay-ms") == 0)
			delay_ms = atoi(argv[i + 1]);
		else
			break;
	}
	if (i >= argc || count < 1 || port < 1 || nports < 1 || port + nports > 65536 ||
	    delay_ms < 0 || inet_pton(AF_INET, base, &a) != 1 ||
	    (ntohl(a.s_addr) >> 24) != 127) {
		fprintf(stderr, "usage: probe_fleet --base 127.A.B.C --count N --port P [--ports K] "
				"[--delay-ms D] FIXTURE...\n");
		return 2;
	}
	fx = calloc((size_t)(argc - i), sizeof(*fx));
	for (; i < argc; i++)
		if (load_fixture(argv[i], &fx[nfix++]) != 0) {
			fprintf(stderr, "probe_fleet: cannot load %s\n", argv[i]);
			return 1;
		}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	ep = epoll_create1(0);
	for (int k = 0; k < count * nports; k++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)(port + k / count)) };
		struct conn *l = calloc(1, sizeof(*l));
		int one = 1;

		sa.sin_addr.s_addr = htonl(ntohl(a.s_addr) + (uint32_t)(k % count));
		if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
			fprintf(stderr, "probe_fleet: --count leaves 127.0.0.0/8\n");
			return 2;
		}
		l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		l->listener = k;
		l->fx = &fx[k % nfix];
		setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    listen(l->fd, 1024) != 0) {
			fprintf(stderr, "probe_fleet: listen %s:%d: %s\n", inet_ntoa(sa.sin_addr), port,
				strerror(errno));
			return 1;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, l->fd,
			  &(struct epoll_event){ .events = EPOLLIN, .data.ptr = l });
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		int wait = 200;

		if (phead) {
			uint64_t now = now_ms();

			wait = phead->due <= now ? 0 : (int)(phead->due - now);
		}
		int n = epoll_wait(ep, evs, 256, wait);

		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			if (c->listener < 0) {
				readable(ep, c);
				continue;
			}
			for (int m = 0; m < 64; m++) {
				int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK);
				struct conn *nc;

				if (fd < 0)
					break;
				nc = calloc(1, sizeof(*nc));
				nc->fd = fd;
				nc->listener = -1;
				nc->fx = c->fx;
				nconn++;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd,
					  &(struct epoll_event){ .events = EPOLLIN, .data.ptr = nc });
				reply(ep, nc, MT_FP_BANNER);
			}
		}
		run_pending(ep);
	}
	printf("connections %llu commands %llu\n", (unsigned long long)nconn,
	       (unsigned long long)ncmd);
	return 0;
}
