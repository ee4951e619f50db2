/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_probe.c - the event-driven probe engine against small scripted
 * servers forked on 127.0.0.1 (an ephemeral port, loopback only; every
 * child is killed and reaped by its pid): the dialogue's bytes and order,
 * replies split across segments, hang-ups, tarpits and slow replies as
 * observations, the total timeout, the session cap and the connection rate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "mt_probe.h"

enum mode { M_SCRIPT, M_HANGUP, M_SLOW };

struct server {
	pid_t pid;
	int lfd;
	int logfd; /* parent's end: what the server received */
	struct sockaddr_in sa;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sendstr(int fd, const char *s)
{
	(void)!send(fd, s, strlen(s), MSG_NOSIGNAL);
}

/* One connection of the scripted server; logs "<conn>:<line length>:<first 8 bytes>". */
static void
serve_conn(int fd, int conn, enum mode m, int logfd)
{
	char buf[4096];
	size_t n = 0;

	if (m == M_SLOW)
		usleep(300 * 1000);
	sendstr(fd, "220 unit.test ESMTP ready\r\n");
	for (;;) {
		ssize_t k = recv(fd, buf + n, sizeof(buf) - n, 0);
		char *nl;

		if (k <= 0)
			return;
		n += (size_t)k;
		while ((nl = memchr(buf, '\n', n)) != NULL) {
			size_t l = (size_t)(nl - buf);
			char rec[64];

			snprintf(rec, sizeof(rec), "%d:%zu:", conn, l + 1);
			(void)!write(logfd, rec, strlen(rec));
			(void)!write(logfd, buf, l < 8 ? l : 8);
			(void)!write(logfd, "\n", 1);
			if (m == M_HANGUP && conn == 1)
				return; /* hang up at the first command */
			if (memcmp(buf, "EHLO", 4) == 0) {
				/* a multi-line reply split across two segments */
				sendstr(fd, "250-unit.test\r\n250-PIPE");
				usleep(20 * 1000);
				sendstr(fd, "LINING\r\n250 SIZE 1000\r\n");
			} else if (memcmp(buf, "QUIT", 4) == 0) {
				sendstr(fd, "221 bye\r\n");
				return;
			} else if (l >= 3 && memcmp(buf, "HE\0", 3) == 0) {
				sendstr(fd, "500 5.5.1 Command unrecognized: \"HE\"\r\n");
			} else if (memcmp(buf, "NOOP", 4) == 0) {
				sendstr(fd, "500 line too long\r\n");
			} else {
				char r[64];

				snprintf(r, sizeof(r), "502 no %.4s\r\n", buf);
				sendstr(fd, r);
			}
			memmove(buf, nl + 1, n - l - 1);
			n -= l + 1;
		}
	}
}

static void
server_start(struct server *s, int accept_conns, enum mode m)
{
	socklen_t sl = sizeof(s->sa);
	int pfd[2];

	memset(&s->sa, 0, sizeof(s->sa));
	s->sa.sin_family = AF_INET;
	s->sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&s->sa, sizeof(s->sa)), 0);
	assert_int_equal(listen(s->lfd, 64), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&s->sa, &sl), 0);
	assert_int_equal(pipe(pfd), 0);
	s->pid = -1;
	s->logfd = pfd[0];
	if (!accept_conns) { /* a tarpit: the kernel completes handshakes, nobody answers */
		close(pfd[1]);
		return;
	}
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		close(pfd[0]);
		for (int c = 1; c <= accept_conns; c++) {
			int fd = accept(s->lfd, NULL, NULL);

			if (fd < 0)
				_exit(1);
			serve_conn(fd, c, m, pfd[1]);
			close(fd);
		}
		_exit(0);
	}
	close(pfd[1]);
}

static void
server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	close(s->lfd);
	close(s->logfd);
}

static void
params(struct mt_probe_params *p, int read_ms)
{
	mt_probe_params_default(p);
	p->connect_ms = 2000;
	p->read_ms = read_ms;
	p->slow_ms = 200;
	p->rate = 0;
}

static void
test_dialogue_bytes_order_and_split_replies(void **state)
{
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_probe_params p;
	struct mt_err err = { "" };
	struct server s;
	char log[4096] = "";
	ssize_t n;

	(void)state;
	server_start(&s, 2, M_SCRIPT);
	params(&p, 3000);
	assert_int_equal(mt_probe_host((struct sockaddr *)&s.sa, sizeof(s.sa), &p, set, &err), 0);
	waitpid(s.pid, NULL, 0);
	s.pid = -1;
	n = read(s.logfd, log, sizeof(log) - 1);
	assert_true(n > 0);
	log[n] = '\0';
	/* every command once, in order, with its exact length; NUL kept inside */
	assert_memory_equal(log,
			    "1:20:EHLO pro\n1:6:HELP\r\n1:29:RCPT TO:\n1:16:MAIL FRO\n"
			    "1:7:XYZZY\r\n1:6:QUIT\r\n2:21:HE\0LO pr\n2:1107:NOOP AAA\n"
			    "2:6:QUIT\r\n",
			    (size_t)n);
	for (int i = 0; i < MT_FP_NOBS; i++) {
		assert_true(set->o[i].present);
		assert_int_equal(set->o[i].flags, 0);
	}
	assert_string_equal(set->o[MT_FP_BANNER].text, "220 unit.test ESMTP ready");
	assert_string_equal(set->o[MT_FP_EHLO].text, "250-unit.test\n250-PIPELINING\n250 SIZE 1000");
	assert_string_equal(set->o[MT_FP_NUL].text, "500 5.5.1 Command unrecognized: \"HE\"");
	assert_string_equal(set->o[MT_FP_UNKNOWN].text, "502 no XYZZ");
	assert_string_equal(set->o[MT_FP_QUIT2].text, "221 bye");
	server_stop(&s);
	free(set);
}

static void
test_refused_is_an_error(void **state)
{
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_probe_params p;
	struct mt_err err = { "" };
	struct server s;

	(void)state;
	server_start(&s, 0, M_SCRIPT);
	close(s.lfd); /* nothing listens on that port now */
	s.lfd = socket(AF_INET, SOCK_STREAM, 0);
	params(&p, 1000);
	assert_int_equal(mt_probe_host((struct sockaddr *)&s.sa, sizeof(s.sa), &p, set, &err),
			 -ECONNREFUSED);
	assert_non_null(strstr(err.msg, "connect"));
	server_stop(&s);
	free(set);
}

static void
test_tarpit_times_out_per_reply(void **state)
{
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_probe_params p;
	struct mt_err err = { "" };
	struct server s;
	double t0;

	(void)state;
	server_start(&s, 0, M_SCRIPT);
	params(&p, 300);
	t0 = now_s();
	assert_int_equal(mt_probe_host((struct sockaddr *)&s.sa, sizeof(s.sa), &p, set, &err), 0);
	/* two greetings waited for, nothing else */
	assert_true(now_s() - t0 >= 0.55);
	assert_true(now_s() - t0 < 5.0); /* generous: a loaded machine */
	assert_int_equal(set->o[MT_FP_BANNER].flags, MT_FP_F_TIMEOUT);
	assert_true(set->o[MT_FP_BANNER].ms >= 290);
	assert_int_equal(set->o[MT_FP_EHLO].flags, MT_FP_F_CLOSED);
	assert_int_equal(set->o[MT_FP_QUIT].flags, MT_FP_F_CLOSED);
	assert_int_equal(set->o[MT_FP_BANNER2].flags, MT_FP_F_TIMEOUT);
	assert_int_equal(set->o[MT_FP_LONG].flags, MT_FP_F_CLOSED);
	server_stop(&s);
	free(set);
}

static void
test_hangup_is_an_observation(void **state)
{
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_probe_params p;
	struct mt_err err = { "" };
	struct server s;

	(void)state;
	server_start(&s, 2, M_HANGUP);
	params(&p, 3000);
	assert_int_equal(mt_probe_host((struct sockaddr *)&s.sa, sizeof(s.sa), &p, set, &err), 0);
	assert_int_equal(set->o[MT_FP_BANNER].flags, 0);
	assert_true(set->o[MT_FP_EHLO].flags & MT_FP_F_CLOSED);
	assert_true(set->o[MT_FP_HELP].flags & MT_FP_F_CLOSED);
	/* the second connection runs normally */
	assert_int_equal(set->o[MT_FP_BANNER2].flags, 0);
	assert_string_equal(set->o[MT_FP_QUIT2].text, "221 bye");
	server_stop(&s);
	free(set);
}

static void
test_slow_reply_is_flagged(void **state)
{
	struct mt_fp_obsset *set = calloc(1, sizeof(*set));
	struct mt_probe_params p;
	struct mt_err err = { "" };
	struct server s;

	(void)state;
	server_start(&s, 2, M_SLOW);
	params(&p, 3000);
	assert_int_equal(mt_probe_host((struct sockaddr *)&s.sa, sizeof(s.sa), &p, set, &err), 0);
	assert_int_equal(set->o[MT_FP_BANNER].flags, MT_FP_F_SLOW);
	assert_true(set->o[MT_FP_BANNER].ms >= 250);
	assert_int_equal(set->o[MT_FP_EHLO].flags, 0);
	server_stop(&s);
	free(set);
}

struct tally {
	int done, dead, total_timeouts;
	double last;
};

static void
count_done(void *user, const struct sockaddr *sa, const struct mt_probe_result *r)
{
	struct tally *t = user;

	(void)sa;
	t->done++;
	t->dead += r->error != 0;
	t->total_timeouts += r->total_timeout;
	t->last = now_s();
}

static void
run_engine(struct mt_probe_engine *e)
{
	for (int i = 0; i < 1000 && mt_probe_engine_pending(e); i++)
		assert_int_equal(mt_probe_engine_poll(e, 100), 0);
	assert_int_equal(mt_probe_engine_pending(e), 0);
}

static void
test_total_timeout_ends_the_host(void **state)
{
	struct mt_probe_params p;
	struct mt_err err = { "" };
	struct mt_probe_engine *e;
	struct tally t = { 0 };
	struct server s;
	double t0;

	(void)state;
	server_start(&s, 0, M_SCRIPT);
	params(&p, 5000);
	p.total_ms = 300;
	e = mt_probe_engine_new(&p, &err);
	assert_non_null(e);
	t0 = now_s();
	assert_int_equal(mt_probe_engine_submit(e, (struct sockaddr *)&s.sa, sizeof(s.sa),
						count_done, &t), 0);
	run_engine(e);
	assert_int_equal(t.done, 1);
	assert_int_equal(t.total_timeouts, 1);
	assert_true(t.last - t0 >= 0.28 && t.last - t0 < 2.5); /* not the 5 s read timeout */
	mt_probe_engine_free(e);
	server_stop(&s);
}

static void
test_session_cap_and_connection_rate(void **state)
{
	struct mt_probe_params p;
	struct mt_err err = { "" };
	struct mt_probe_engine_stats st;
	struct mt_probe_engine *e;
	struct tally t = { 0 };
	struct server s;
	double t0;

	(void)state;
	server_start(&s, 0, M_SCRIPT);
	close(s.lfd); /* refused at once: each host costs one connection attempt */
	s.lfd = socket(AF_INET, SOCK_STREAM, 0);
	params(&p, 1000);
	p.max_sessions = 3;
	p.rate = 20; /* a burst of 1, then one per 50 ms */
	e = mt_probe_engine_new(&p, &err);
	assert_non_null(e);
	t0 = now_s();
	for (int i = 0; i < 10; i++)
		assert_int_equal(mt_probe_engine_submit(e, (struct sockaddr *)&s.sa, sizeof(s.sa),
							count_done, &t), 0);
	assert_int_equal(mt_probe_engine_pending(e), 10);
	run_engine(e);
	mt_probe_engine_stats(e, &st);
	assert_int_equal(t.done, 10);
	assert_int_equal(t.dead, 10);
	assert_int_equal(st.connects, 10);
	assert_true(st.peak_active <= 3);
	assert_true(t.last - t0 >= 0.4); /* 9 tokens at 20/s */
	mt_probe_engine_free(e);
	server_stop(&s);
}

static void
test_parse_addr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char buf[80];

	(void)state;
	assert_int_equal(mt_probe_parse_addr("127.0.0.2", 25, &ss, &sl), 0);
	mt_probe_format_addr((struct sockaddr *)&ss, buf, sizeof(buf), 1);
	assert_string_equal(buf, "127.0.0.2:25");
	assert_int_equal(mt_probe_parse_addr("[::1]:2525", 25, &ss, &sl), 0);
	mt_probe_format_addr((struct sockaddr *)&ss, buf, sizeof(buf), 1);
	assert_string_equal(buf, "[::1]:2525");
	assert_int_equal(mt_probe_parse_addr("10.1.2.3:0", 25, &ss, &sl), -EINVAL);
	assert_int_equal(mt_probe_parse_addr("10.1.2.3:70000", 25, &ss, &sl), -EINVAL);
	assert_int_equal(mt_probe_parse_addr("example.com", 25, &ss, &sl), -EINVAL);
	assert_int_equal(mt_probe_parse_addr("[::1", 25, &ss, &sl), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dialogue_bytes_order_and_split_replies),
		cmocka_unit_test(test_refused_is_an_error),
		cmocka_unit_test(test_tarpit_times_out_per_reply),
		cmocka_unit_test(test_hangup_is_an_observation),
		cmocka_unit_test(test_slow_reply_is_flagged),
		cmocka_unit_test(test_total_timeout_ends_the_host),
		cmocka_unit_test(test_session_cap_and_connection_rate),
		cmocka_unit_test(test_parse_addr),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
