/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe_conn.c - the event-driven probe engine (see mt_probe.h).
 * tests/fp/capture.py mirrors this dialogue; the fixtures it wrote stay
 * valid only while the steps below keep their order and bytes.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
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

#define NSTEPS MT_ARRAY_SIZE(steps)

enum sess_state { S_TOKEN, S_CONNECTING, S_SENDING, S_READING, S_DONE };

enum tlist { T_CONNECT, T_READ, T_TOTAL, T_NLISTS };

struct sess {
	struct mt_probe_watch w; /* first: epoll data points here */
	struct mt_probe_engine *e;
	TAILQ_ENTRY(sess) q;        /* host queue, token queue or free list */
	TAILQ_ENTRY(sess) tq;       /* T_CONNECT or T_READ */
	TAILQ_ENTRY(sess) tt;       /* T_TOTAL */
	int on_tq;                  /* which step list (-1 none) */
	int on_tt;
	uint64_t step_deadline, total_deadline;
	enum sess_state st;
	struct sockaddr_storage sa;
	socklen_t salen;
	mt_probe_done_fn done;
	void *user;
	int fd;
	int conn;
	int dead;
	size_t i;                   /* step index */
	size_t sent;
	uint64_t t0, tstart;
	struct mt_probe_result res;
	struct mt_fp_obsset *obs;
	size_t rn;
	char rb[MT_PROBE_RBUF];
};

TAILQ_HEAD(sess_list, sess);

struct mt_probe_engine {
	struct mt_probe_params p;
	int epfd;
	struct sess_list hosts;  /* submitted, not started */
	struct sess_list tokens; /* waiting for a connection token */
	struct sess_list gone;   /* finished in this round: freed at its end */
	struct sess_list timers[T_NLISTS];
	unsigned nhosts, active;
	double tokens_avail;
	uint64_t tokens_t;
	struct mt_probe_engine_stats stats;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
mt_probe_params_default(struct mt_probe_params *p)
{
	p->connect_ms = 5000;
	p->read_ms = 10000;
	p->slow_ms = 2000;
	p->total_ms = 60000;
	p->max_sessions = 500;
	p->rate = 100;
}

static void
init_long_cmd(void)
{
	memcpy(long_cmd, "NOOP ", 5);
	memset(long_cmd + 5, 'A', LONG_LEN - 5);
	memcpy(long_cmd + LONG_LEN, "\r\n", 3);
}

/* ---- timers */

static void
timer_step_set(struct sess *s, enum tlist l, int ms)
{
	struct mt_probe_engine *e = s->e;

	if (s->on_tq >= 0)
		TAILQ_REMOVE(&e->timers[s->on_tq], s, tq);
	s->on_tq = (int)l;
	s->step_deadline = now_ms() + (uint64_t)ms;
	TAILQ_INSERT_TAIL(&e->timers[l], s, tq);
}

static void
timer_step_clear(struct sess *s)
{
	if (s->on_tq >= 0)
		TAILQ_REMOVE(&s->e->timers[s->on_tq], s, tq);
	s->on_tq = -1;
}

/* ---- reply text */

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

/* Consume complete lines of the buffer into o; 1 when the reply ended. */
static int
take_reply(struct sess *s, struct mt_fp_obs *o)
{
	char *nl;

	while ((nl = memchr(s->rb, '\n', s->rn)) != NULL) {
		size_t l = (size_t)(nl - s->rb);
		size_t ll = l && s->rb[l - 1] == '\r' ? l - 1 : l;
		int last = ll < 4 || s->rb[3] != '-';

		append_line(o, s->rb, ll);
		memmove(s->rb, nl + 1, s->rn - l - 1);
		s->rn -= l + 1;
		if (last)
			return 1;
	}
	if (s->rn == sizeof(s->rb)) { /* a line longer than the buffer */
		append_line(o, s->rb, s->rn);
		s->rn = 0;
	}
	return 0;
}

/* ---- session life */

static void sess_advance(struct sess *s);

static void
sess_close_fd(struct sess *s)
{
	if (s->fd >= 0) {
		epoll_ctl(s->e->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
		s->fd = -1;
	}
}

static void
sess_finish(struct sess *s)
{
	struct mt_probe_engine *e = s->e;

	sess_close_fd(s);
	timer_step_clear(s);
	if (s->on_tt >= 0)
		TAILQ_REMOVE(&e->timers[T_TOTAL], s, tt);
	s->on_tt = -1;
	if (s->st == S_TOKEN)
		TAILQ_REMOVE(&e->tokens, s, q);
	s->st = S_DONE;
	s->res.ms = (uint32_t)(now_ms() - s->tstart);
	s->res.obs = s->obs;
	e->active--;
	e->stats.hosts_done++;
	if (s->res.error)
		e->stats.hosts_dead++;
	if (s->done)
		s->done(s->user, (const struct sockaddr *)&s->sa, &s->res);
	TAILQ_INSERT_TAIL(&e->gone, s, q);
}

static void
sess_set_events(struct sess *s, uint32_t ev)
{
	epoll_ctl(s->e->epfd, EPOLL_CTL_MOD, s->fd, &(struct epoll_event){ .events = ev,
									    .data.ptr = s });
}

/* The current step ended (ok: a reply came). */
static void
step_end(struct sess *s, int ok)
{
	struct mt_fp_obs *o = &s->obs->o[steps[s->i].obs];

	timer_step_clear(s);
	if (!ok)
		s->dead = 1;
	o->ms = (uint32_t)(now_ms() - s->t0);
	if (!s->dead && o->ms >= (uint32_t)s->e->p.slow_ms)
		o->flags |= MT_FP_F_SLOW;
	s->i++;
}

/* Connection conn could not be made (err: errno). */
static void
connect_failed(struct sess *s, int err)
{
	s->e->stats.connect_failures++;
	sess_close_fd(s);
	timer_step_clear(s);
	if (s->conn == 1) {
		s->res.error = err;
		sess_finish(s);
		return;
	}
	s->dead = 1; /* refused the second connection */
	sess_advance(s);
}

static void
start_connect(struct sess *s)
{
	struct mt_probe_engine *e = s->e;
	int fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	e->stats.connects++;
	if (fd < 0) {
		connect_failed(s, errno);
		return;
	}
	if (connect(fd, (struct sockaddr *)&s->sa, s->salen) != 0 && errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		connect_failed(s, err);
		return;
	}
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd,
		      &(struct epoll_event){ .events = EPOLLOUT, .data.ptr = s }) != 0) {
		int err = errno;

		close(fd);
		connect_failed(s, err);
		return;
	}
	s->fd = fd;
	s->st = S_CONNECTING;
	s->rn = 0;
	s->dead = 0;
	timer_step_set(s, T_CONNECT, e->p.connect_ms);
}

static void
try_send(struct sess *s)
{
	const struct step *st = &steps[s->i];

	while (s->sent < st->len) {
		ssize_t k = send(s->fd, st->cmd + s->sent, st->len - s->sent, MSG_NOSIGNAL);

		if (k > 0) {
			s->sent += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			if (s->st != S_SENDING) {
				s->st = S_SENDING;
				sess_set_events(s, EPOLLOUT);
			}
			return;
		}
		/* cannot send: hung up (no reply time, as before) */
		s->obs->o[st->obs].flags |= MT_FP_F_CLOSED;
		s->dead = 1;
		timer_step_clear(s);
		s->i++;
		sess_advance(s);
		return;
	}
	s->st = S_READING;
	sess_set_events(s, EPOLLIN);
	if (take_reply(s, &s->obs->o[st->obs])) { /* already buffered */
		step_end(s, 1);
		sess_advance(s);
	}
}

/* Start the step at s->i (and any that complete without waiting). */
static void
sess_advance(struct sess *s)
{
	struct mt_probe_engine *e = s->e;

	for (;;) {
		if (s->i == NSTEPS) {
			sess_finish(s);
			return;
		}
		const struct step *st = &steps[s->i];
		struct mt_fp_obs *o = &s->obs->o[st->obs];

		if (st->conn != s->conn) {
			sess_close_fd(s);
			s->conn = st->conn;
			s->st = S_TOKEN;
			TAILQ_INSERT_TAIL(&e->tokens, s, q);
			return;
		}
		o->present = 1;
		if (s->dead) {
			o->flags |= MT_FP_F_CLOSED;
			s->i++;
			continue;
		}
		s->t0 = now_ms();
		s->sent = 0;
		timer_step_set(s, T_READ, e->p.read_ms);
		if (st->cmd) {
			s->st = S_READING; /* try_send switches to SENDING on EAGAIN */
			try_send(s);
			return;
		}
		s->st = S_READING;
		sess_set_events(s, EPOLLIN);
		if (!take_reply(s, o))
			return;
		step_end(s, 1);
	}
}

static void
sess_event(struct mt_probe_watch *w, uint32_t ev)
{
	struct sess *s = (struct sess *)w;

	switch (s->st) {
	case S_CONNECTING: {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			connect_failed(s, soerr);
			return;
		}
		if (!(ev & EPOLLOUT))
			return;
		timer_step_clear(s);
		sess_advance(s);
		return;
	}
	case S_SENDING:
		try_send(s);
		return;
	case S_READING: {
		struct mt_fp_obs *o = &s->obs->o[steps[s->i].obs];

		for (int rounds = 0; rounds < 4; rounds++) {
			ssize_t k = recv(s->fd, s->rb + s->rn, sizeof(s->rb) - s->rn, 0);

			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (k <= 0) {
				o->flags |= MT_FP_F_CLOSED;
				step_end(s, 0);
				sess_advance(s);
				return;
			}
			s->rn += (size_t)k;
			if (take_reply(s, o)) {
				step_end(s, 1);
				sess_advance(s);
				return;
			}
		}
		return;
	}
	default:
		return; /* stale event */
	}
}

/* ---- engine */

struct mt_probe_engine *
mt_probe_engine_new(const struct mt_probe_params *p, struct mt_err *err)
{
	struct mt_probe_engine *e;

	if (p->connect_ms <= 0 || p->read_ms <= 0 || p->slow_ms < 0 || p->total_ms < 0 ||
	    p->max_sessions == 0) {
		mt_err_set(err, EINVAL, "probe: timeouts must be > 0 and max_sessions >= 1");
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		mt_err_set(err, ENOMEM, "probe: out of memory");
		return NULL;
	}
	e->p = *p;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		mt_err_set(err, errno, "probe: epoll_create1: %s", strerror(errno));
		free(e);
		return NULL;
	}
	TAILQ_INIT(&e->hosts);
	TAILQ_INIT(&e->tokens);
	TAILQ_INIT(&e->gone);
	for (int i = 0; i < T_NLISTS; i++)
		TAILQ_INIT(&e->timers[i]);
	e->tokens_t = now_ms();
	e->tokens_avail = 1;
	init_long_cmd();
	return e;
}

static void
sess_free(struct sess *s)
{
	free(s->obs);
	free(s);
}

void
mt_probe_engine_free(struct mt_probe_engine *e)
{
	struct sess *s;

	if (!e)
		return;
	while ((s = TAILQ_FIRST(&e->gone)) != NULL) {
		TAILQ_REMOVE(&e->gone, s, q);
		sess_free(s);
	}
	while ((s = TAILQ_FIRST(&e->hosts)) != NULL) {
		TAILQ_REMOVE(&e->hosts, s, q);
		sess_free(s);
	}
	/* every started session is on the total list */
	while ((s = TAILQ_FIRST(&e->timers[T_TOTAL])) != NULL) {
		TAILQ_REMOVE(&e->timers[T_TOTAL], s, tt);
		if (s->fd >= 0)
			close(s->fd);
		sess_free(s);
	}
	close(e->epfd);
	free(e);
}

int
mt_probe_engine_submit(struct mt_probe_engine *e, const struct sockaddr *sa, socklen_t salen,
		       mt_probe_done_fn done, void *user)
{
	struct sess *s;

	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    salen > sizeof(struct sockaddr_storage))
		return -EAFNOSUPPORT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->w.fn = sess_event;
	s->e = e;
	memcpy(&s->sa, sa, salen);
	s->salen = salen;
	s->done = done;
	s->user = user;
	s->fd = -1;
	s->on_tq = s->on_tt = -1;
	TAILQ_INSERT_TAIL(&e->hosts, s, q);
	e->nhosts++;
	return 0;
}

unsigned
mt_probe_engine_pending(const struct mt_probe_engine *e)
{
	return e->nhosts + e->active;
}

int
mt_probe_engine_watch(struct mt_probe_engine *e, int fd, uint32_t events, struct mt_probe_watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (events == 0)
		return epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL) == 0 ? 0 : -errno;
	if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	if (errno == ENOENT && epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	return -errno;
}

/* Move hosts into sessions while there is room. */
static void
start_hosts(struct mt_probe_engine *e)
{
	struct sess *s;

	while (e->active < e->p.max_sessions && (s = TAILQ_FIRST(&e->hosts)) != NULL) {
		TAILQ_REMOVE(&e->hosts, s, q);
		e->nhosts--;
		s->obs = calloc(1, sizeof(*s->obs));
		if (!s->obs) {
			TAILQ_INSERT_HEAD(&e->hosts, s, q);
			e->nhosts++;
			return;
		}
		e->active++;
		if (e->active > e->stats.peak_active)
			e->stats.peak_active = e->active;
		s->tstart = now_ms();
		if (e->p.total_ms) {
			s->total_deadline = s->tstart + (uint64_t)e->p.total_ms;
			TAILQ_INSERT_TAIL(&e->timers[T_TOTAL], s, tt);
			s->on_tt = T_TOTAL;
		}
		sess_advance(s); /* conn 0 -> 1: onto the token queue */
	}
}

/* Hand out connection tokens; returns ms until the next one (-1: none needed). */
static int
give_tokens(struct mt_probe_engine *e)
{
	uint64_t now = now_ms();
	struct sess *s;

	if (e->p.rate) {
		double burst = MT_MAX(1.0, e->p.rate / 20.0);

		e->tokens_avail += (double)(now - e->tokens_t) * e->p.rate / 1000.0;
		if (e->tokens_avail > burst)
			e->tokens_avail = burst;
	}
	e->tokens_t = now;
	while ((s = TAILQ_FIRST(&e->tokens)) != NULL) {
		if (e->p.rate && e->tokens_avail < 1.0)
			return (int)((1.0 - e->tokens_avail) * 1000.0 / e->p.rate) + 1;
		if (e->p.rate)
			e->tokens_avail -= 1.0;
		TAILQ_REMOVE(&e->tokens, s, q);
		s->st = S_CONNECTING; /* off the token queue, even if connect fails now */
		start_connect(s);
	}
	return -1;
}

static void
expire(struct mt_probe_engine *e, uint64_t now)
{
	struct sess *s;

	while ((s = TAILQ_FIRST(&e->timers[T_CONNECT])) != NULL && s->step_deadline <= now)
		connect_failed(s, ETIMEDOUT);
	while ((s = TAILQ_FIRST(&e->timers[T_READ])) != NULL && s->step_deadline <= now) {
		struct mt_fp_obs *o = &s->obs->o[steps[s->i].obs];

		e->stats.read_timeouts++;
		if (s->st == S_SENDING)
			o->flags |= MT_FP_F_CLOSED;
		else
			o->flags |= MT_FP_F_TIMEOUT;
		step_end(s, 0);
		sess_advance(s);
	}
	while ((s = TAILQ_FIRST(&e->timers[T_TOTAL])) != NULL && s->total_deadline <= now) {
		e->stats.total_timeouts++;
		s->res.total_timeout = 1;
		if (s->conn == 1 && (s->st == S_CONNECTING || s->st == S_TOKEN) && s->i == 0)
			s->res.error = ETIMEDOUT;
		else if (s->i < NSTEPS && (s->st == S_READING || s->st == S_SENDING))
			s->obs->o[steps[s->i].obs].flags |= MT_FP_F_TIMEOUT;
		sess_finish(s);
	}
}

static int
next_timer_ms(struct mt_probe_engine *e, uint64_t now, int cap)
{
	int best = cap;

	for (int i = 0; i < T_NLISTS; i++) {
		struct sess *s = TAILQ_FIRST(&e->timers[i]);
		uint64_t d;

		if (!s)
			continue;
		d = i == T_TOTAL ? s->total_deadline : s->step_deadline;
		int ms = d <= now ? 0 : (int)MT_MIN(d - now, (uint64_t)INT32_MAX);

		if (best < 0 || ms < best)
			best = ms;
	}
	return best;
}

int
mt_probe_engine_poll(struct mt_probe_engine *e, int max_wait_ms)
{
	struct epoll_event evs[256];
	struct sess *s;
	int n, wait, tok;

	start_hosts(e);
	tok = give_tokens(e);
	wait = next_timer_ms(e, now_ms(), max_wait_ms);
	if (tok >= 0 && (wait < 0 || tok < wait))
		wait = tok;
	n = epoll_wait(e->epfd, evs, (int)MT_ARRAY_SIZE(evs), wait);
	if (n < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct mt_probe_watch *w = evs[i].data.ptr;

		w->fn(w, evs[i].events);
	}
	expire(e, now_ms());
	give_tokens(e);
	while ((s = TAILQ_FIRST(&e->gone)) != NULL) {
		TAILQ_REMOVE(&e->gone, s, q);
		sess_free(s);
	}
	start_hosts(e);
	give_tokens(e);
	return 0;
}

void
mt_probe_engine_stats(const struct mt_probe_engine *e, struct mt_probe_engine_stats *st)
{
	*st = e->stats;
	st->active = e->active;
}
