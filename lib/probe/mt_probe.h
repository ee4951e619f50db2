/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_probe.h - the active prober: the probe dialogue, an event-driven
 * engine that runs thousands of dialogues at once on one thread, and the
 * survey that turns domains into MX hosts (c-ares) and probe results into
 * one JSON record per domain.  Sockets only, no DPDK; lib/ never prints.
 *
 * The dialogue: at most 2 connections and 10 commands per host,
 * informative probes first (EHLO, HELP, out-of-sequence RCPT, bad MAIL
 * syntax, unknown verb, QUIT), then a second connection for the inputs
 * that make servers hang up (NUL inside a command, over-long line, QUIT).
 * A hang-up, a timeout or a slow reply is recorded as an observation.  It
 * never sends a mail and always closes with QUIT.
 *
 * Engine (probe_conn.c):
 *
 *   submit -> [host queue] --max_sessions--> session
 *   session: [token queue] --rate--> CONNECTING -> (SENDING -> READING)* ->
 *            next connection or done callback
 *
 * Non-blocking sockets on one epoll; three timer lists (connect, read,
 * total), each in deadline order because each has one fixed duration, so
 * expiry looks only at list heads and nothing allocates per timer.  A token
 * bucket limits new connections per second (both connections of a host
 * count).  The engine does not look at addresses: one connection per target
 * address at a time is the survey's job (it probes each address once and
 * lets other domains with the same MX wait for that result).
 *
 * Limits: MT_PROBE_RBUF bytes of unconsumed reply per session (a longer
 * line is cut, as the fixture format shows); MT_FP_TEXT_MAX per reply;
 * max_sessions sessions of ~35 KB each.
 */
#ifndef MT_PROBE_H
#define MT_PROBE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "mt_err.h"
#include "mt_fp.h"

#define MT_PROBE_RBUF 8192

struct mt_probe_params {
	int connect_ms;        /* per connection attempt */
	int read_ms;           /* per reply */
	int slow_ms;           /* a reply slower than this is marked slow */
	int total_ms;          /* per host, both connections; 0: no limit */
	unsigned max_sessions; /* hosts in dialogue at once */
	unsigned rate;         /* new connections per second; 0: no limit */
};

/* 5 s connect, 10 s read, 2 s slow, 60 s total, 500 sessions, 100/s. */
void mt_probe_params_default(struct mt_probe_params *p);

struct mt_probe_result {
	int error;              /* 0: connection 1 was made; else its errno */
	int total_timeout;      /* the dialogue ran out of total_ms */
	uint32_t ms;            /* first connect to the end */
	struct mt_fp_obsset *obs; /* valid during the callback only */
};

typedef void (*mt_probe_done_fn)(void *user, const struct sockaddr *sa,
				 const struct mt_probe_result *r);

/* Another file descriptor served by the engine's epoll (the resolver). */
struct mt_probe_watch {
	void (*fn)(struct mt_probe_watch *w, uint32_t epoll_events);
};

struct mt_probe_engine;

/* NULL with err on failure (epoll_create, memory, bad params). */
struct mt_probe_engine *mt_probe_engine_new(const struct mt_probe_params *p, struct mt_err *err);
/* Closes every socket; no callback runs for unfinished hosts. */
void mt_probe_engine_free(struct mt_probe_engine *e);

/*
 * Queue one host.  done runs from mt_probe_engine_poll when its dialogue
 * ends (it may submit more).  0, or -ENOMEM / -EAFNOSUPPORT.
 */
int mt_probe_engine_submit(struct mt_probe_engine *e, const struct sockaddr *sa,
			   socklen_t salen, mt_probe_done_fn done, void *user);
/* Hosts queued or in dialogue. */
unsigned mt_probe_engine_pending(const struct mt_probe_engine *e);

/*
 * Wait for socket events (at most max_wait_ms, less when a timer or a
 * connection token is due), run the state machines, the timers and the
 * callbacks, start queued hosts.  Returns 0 or -errno.
 */
int mt_probe_engine_poll(struct mt_probe_engine *e, int max_wait_ms);

/* Add (events != 0), change or remove (events == 0) a watched fd. */
int mt_probe_engine_watch(struct mt_probe_engine *e, int fd, uint32_t events,
			  struct mt_probe_watch *w);

struct mt_probe_engine_stats {
	uint64_t hosts_done;
	uint64_t hosts_dead;        /* connection 1 failed */
	uint64_t connects;          /* connection attempts */
	uint64_t connect_failures;
	uint64_t read_timeouts;
	uint64_t total_timeouts;
	unsigned active;            /* sessions in dialogue now */
	unsigned peak_active;
};
void mt_probe_engine_stats(const struct mt_probe_engine *e, struct mt_probe_engine_stats *st);

/*
 * Probe one address with its own engine and wait (the old blocking call).
 * Returns 0 when the first connection was made (the observations say the
 * rest), or -errno with err when it could not connect.
 */
int mt_probe_host(const struct sockaddr *sa, socklen_t salen, const struct mt_probe_params *p,
		  struct mt_fp_obsset *out, struct mt_err *err);

/*
 * "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" (numeric only) -> sockaddr;
 * port defaults to defport.  0 or -EINVAL.
 */
int mt_probe_parse_addr(const char *s, uint16_t defport, struct sockaddr_storage *ss,
			socklen_t *len);
/* "127.0.0.1:25" / "[::1]:25" */
void mt_probe_format_addr(const struct sockaddr *sa, char *buf, size_t cap, int with_port);

/* ---- JSON (probe_json.c) */

/* s as a JSON string (quoted, escaped; bytes >= 0x7f as \u00XX). */
void mt_probe_json_str(FILE *f, const char *s);
/*
 * The verdict's members, without braces: "verdict" (known/unknown), rule,
 * product, vendor, family, version (or reason and nearest), score,
 * threshold, nonbanner, runner_up, runner_score, decided[].
 */
void mt_probe_json_verdict(FILE *f, const struct mt_fp_verdict *v);
/*
 * The members of one host's record, without braces: "status" ("ok" or
 * "dead"), "verdict" (known/unknown/unreachable), the verdict fields, and
 * "transcript" {obs: {reply, ms, closed, timeout, slow}}.
 */
void mt_probe_json_host(FILE *f, const struct mt_probe_result *r, const struct mt_fp_verdict *v);

/* ---- survey (probe_dns.c, probe_survey.c) */

struct mt_probe_survey_params {
	struct mt_probe_params probe;
	const char *resolver;   /* "ADDR[:PORT][,...]" (c-ares csv); NULL: system */
	int dns_timeout_ms;     /* per try */
	int dns_tries;
	unsigned max_dns;       /* domains resolving at once */
	uint16_t port;          /* probed port of every MX host (25) */
	unsigned max_targets;   /* addresses probed per domain */
	unsigned cache_max;     /* finished host results kept for later domains */
	const struct mt_fp_db *db;
};

void mt_probe_survey_params_default(struct mt_probe_survey_params *p);

/*
 * One finished item: a JSON object on one line, newline included.  key is
 * the domain or the address as added.
 */
typedef void (*mt_probe_record_fn)(void *user, const char *key, const char *line, size_t len);

struct mt_probe_survey;

struct mt_probe_survey *mt_probe_survey_new(const struct mt_probe_survey_params *p,
					    mt_probe_record_fn fn, void *user, struct mt_err *err);
void mt_probe_survey_free(struct mt_probe_survey *s);

/*
 * Add a domain (MX -> A/AAAA -> probe) or a numeric ADDR[:PORT] (probe).
 * Domains are lower-cased without a trailing dot.  0, -EINVAL (neither a
 * domain nor an address; err says why) or -ENOMEM.
 */
int mt_probe_survey_add(struct mt_probe_survey *s, const char *item, struct mt_err *err);
/* Items added and not yet reported. */
unsigned mt_probe_survey_inflight(const struct mt_probe_survey *s);
/* One round of the event loop (see mt_probe_engine_poll). */
int mt_probe_survey_run(struct mt_probe_survey *s, int max_wait_ms);

struct mt_probe_survey_stats {
	uint64_t items_done;
	uint64_t hosts_probed;   /* dialogues run */
	uint64_t cache_hits;     /* a host's result reused for another domain */
	uint64_t dns_queries;
	struct mt_probe_engine_stats engine;
};
void mt_probe_survey_stats(const struct mt_probe_survey *s, struct mt_probe_survey_stats *st);

#endif /* MT_PROBE_H */
