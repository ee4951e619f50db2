/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "mt_common.h"
#include "mt_decode.h"
#include "mt_fpsrv.h"
#include "mt_mime.h"
#include "mt_session.h"
#include "mt_smtp.h"
#include "mt_tcp.h"

#define HELO_MAX 255
/*
 * A direction that waits for octets of the other (by ACK) while this many
 * segments go by without the other direction moving has waited for octets
 * the tap lost: the receiver had them (it acknowledged them), the sender
 * will not send them again.  Reordering delays octets but the stream keeps
 * moving, which restarts the count; loss must not stall a session until it
 * closes.
 */
#define STUCK_SEGMENTS 8
#define BANNER_MAX 128
#define AUTH_ID_MAX 64
#define XATTR_MAX 128

struct mt_session {
	struct mt_flow_slot slot; /* must be first */
	struct mt_session_env *env;
	struct mt_tcp_dir tcp[2];
	struct mt_mail *mail;     /* transaction in progress, or NULL */
	uint8_t closed;
	uint8_t midstream;
	uint8_t in_tx;            /* a transaction is open (mail may be NULL: nomem) */
	uint8_t helo_len;
	uint8_t seen_any;         /* a segment was input (mid-stream decision) */
	uint8_t stuck[2];         /* segments input while dir waits for the other */
	uint64_t stuck_at[2];     /* the other direction's offset when counted */
	uint8_t banner_len;
	uint8_t xattr_len;
	uint8_t auth_mech_len, authzid_len, authcid_len;
	uint16_t auth_code;
	char *fpbuf;              /* fingerprinting: a reply being copied */
	char helo[HELO_MAX];
	/* session facts copied into each of its mails (bounded) */
	char banner[BANNER_MAX];
	char xattr[XATTR_MAX];
	char auth_mech[MT_SMTP_MECH_MAX];
	char authzid[AUTH_ID_MAX];
	char authcid[AUTH_ID_MAX];
	/* the SMTP automaton (mt_smtp_size() bytes) follows */
	uint64_t smtp[] __attribute__((aligned(8)));
};

static inline struct mt_smtp *
smtp_of(struct mt_session *s)
{
	return (struct mt_smtp *)s->smtp;
}

size_t
mt_session_size(void)
{
	return sizeof(struct mt_session) + mt_smtp_size();
}

static void
on_helo(void *ctx, const char *name, size_t len)
{
	struct mt_session *s = ctx;

	s->helo_len = (uint8_t)MT_MIN(len, HELO_MAX);
	memcpy(s->helo, name, s->helo_len);
}


/* ---- scanning (lib/mime -> lib/scan), per mail ------------------------ */

/* A match: count it per (rule, scope); alert on the first match of a rule
 * in each part (once per mail for headers and envelope). */
static void
scan_match(void *ctx, const struct mt_scan_rule *rule, enum mt_scan_scope scope,
	   uint64_t offset)
{
	struct mt_session *s = ctx;
	struct mt_mail *m = s->mail;
	struct mt_stats *st = s->env->st;
	struct mt_mail_match *x = NULL;
	struct mt_mail_alert *a;
	uint32_t key = scope >= MT_SCAN_BODY ? m->scan.part_index : UINT32_MAX;
	unsigned i;

	MT_STAT_INC(st, scan_matches);
	if (rule->quarantine)
		m->quarantine = 1;
	for (i = 0; i < m->n_matches; i++) {
		if (m->matches[i].rule == rule && m->matches[i].scope == scope) {
			x = &m->matches[i];
			break;
		}
	}
	if (x == NULL) {
		if (m->n_matches < MT_MAIL_MAX_MATCHES) {
			x = &m->matches[m->n_matches++];
			x->rule = rule;
			x->scope = (uint8_t)scope;
			x->count = 0;
			x->alerted_part = 0;
		} else {
			m->matches_lost++;
		}
	}
	if (x != NULL) {
		x->count++;
		if (x->alerted_part == key)
			return;
		x->alerted_part = key;
	}
	MT_STAT_INC(st, scan_alerts);
	if (m->n_alerts == MT_MAIL_MAX_ALERTS) {
		m->alerts_lost++;
		MT_STAT_INC(st, scan_alerts_dropped);
		return;
	}
	a = &m->alerts[m->n_alerts++];
	a->rule = rule;
	a->ts_ns = s->env->now_ns;
	a->offset = offset;
	a->scope = (uint8_t)scope;
	a->filename.off = a->filename.len = 0;
	if (scope >= MT_SCAN_BODY && m->scan.part_name_len > 0)
		mt_mail_set_aux(m, &a->filename, m->scan.part_name, m->scan.part_name_len);
}

static void
scan_open(struct mt_session *s, struct mt_scan_stream *st, enum mt_scan_scope scope)
{
	if (mt_scan_stream_open(s->env->scan, s->mail->scan_db, st, scope, scan_match, s) != 0)
		MT_STAT_INC(s->env->st, scan_stream_nomem);
}

static void
scan_close(struct mt_session *s, struct mt_scan_stream *st)
{
	mt_scan_stream_close(s->env->scan, st);
	s->mail->scan_bytes += st->bytes;
	MT_STAT_ADD(s->env->st, scan_bytes, st->bytes);
	st->bytes = 0;
}

static void
mime_header(void *ctx, unsigned depth, const uint8_t *p, size_t n)
{
	struct mt_session *s = ctx;

	(void)depth;
	mt_scan_stream_feed(s->env->scan, &s->mail->scan.hdr, p, n);
}

static void
mime_part_begin(void *ctx, const struct mt_mime_part *part)
{
	struct mt_session *s = ctx;
	struct mt_mail_scan *sc = &s->mail->scan;
	size_t n = strlen(part->filename);

	sc->part_index = part->index + 1;
	sc->part_name_len = (uint16_t)MT_MIN(n, sizeof(sc->part_name));
	memcpy(sc->part_name, part->filename, sc->part_name_len);
	scan_open(s, &sc->part,
		  part->scope == MT_MIME_SCOPE_ATTACHMENT ? MT_SCAN_ATTACHMENT : MT_SCAN_BODY);
}

static void
mime_part_data(void *ctx, const uint8_t *p, size_t n)
{
	struct mt_session *s = ctx;

	mt_scan_stream_feed(s->env->scan, &s->mail->scan.part, p, n);
}

static void
mime_part_end(void *ctx, const struct mt_mime_part *part)
{
	struct mt_session *s = ctx;

	(void)part;
	scan_close(s, &s->mail->scan.part);
}

static const struct mt_mime_ops session_mime_ops = {
	.header = mime_header,
	.part_begin = mime_part_begin,
	.part_data = mime_part_data,
	.part_end = mime_part_end,
};

/* Mail begins: take the worker's current rules (kept by the mail until
 * it is freed, see mt_mail_put) and start the MIME parser. */
static void
scan_begin(struct mt_session *s, struct mt_mail *m)
{
	struct mt_mime *mime = mt_mail_mime(m);
	uint64_t t0 = mt_stats_tsc();

	m->scan_db = mt_scan_mail_begin(s->env->scan);
	MT_STAT_INC(s->env->st, scan_mails);
	scan_open(s, &m->scan.hdr, MT_SCAN_HEADERS);
	if (mime != NULL) {
		mt_mime_init(mime, &session_mime_ops, s);
	} else {
		/* no parser state: the message is one raw body part */
		m->scan.part_index = 1;
		scan_open(s, &m->scan.part, MT_SCAN_BODY);
	}
	mt_stats_cycles_add(s->env->st, MT_STAT_wk_cycles_scan, t0);
}

static void
scan_data(struct mt_session *s, const uint8_t *p, size_t len)
{
	struct mt_mime *mime = mt_mail_mime(s->mail);
	uint64_t t0 = mt_stats_tsc();

	if (mime != NULL)
		mt_mime_feed(mime, p, len);
	else
		mt_scan_stream_feed(s->env->scan, &s->mail->scan.part, p, len);
	mt_stats_cycles_add(s->env->st, MT_STAT_wk_cycles_scan, t0);
}

static void
scan_envelope_str(struct mt_session *s, struct mt_scan_stream *st, const struct mt_mail_str *v)
{
	mt_scan_stream_feed(s->env->scan, st, mt_mail_str(s->mail, v), v->len);
	mt_scan_stream_feed(s->env->scan, st, "\n", 1);
}

/* Mail ends: flush the parser (last part_end), close the streams, scan
 * the envelope (HELO, MAIL FROM, each RCPT TO, one per line). */
static void
scan_end(struct mt_session *s, struct mt_mail *m)
{
	struct mt_mime *mime = mt_mail_mime(m);
	struct mt_scan_stream env;
	uint64_t t0 = mt_stats_tsc();
	unsigned i;

	if (mime != NULL) {
		mt_mime_close(mime);
		m->mime_flags = mt_mime_flags(mime);
	} else {
		scan_close(s, &m->scan.part);
	}
	scan_close(s, &m->scan.hdr);
	m->scan.part_index = 0;
	m->scan.part_name_len = 0;
	scan_open(s, &env, MT_SCAN_ENVELOPE);
	scan_envelope_str(s, &env, &m->helo);
	scan_envelope_str(s, &env, &m->mail_from);
	for (i = 0; i < m->n_rcpt; i++)
		scan_envelope_str(s, &env, &m->rcpt[i].addr);
	scan_close(s, &env);
	mt_stats_cycles_add(s->env->st, MT_STAT_wk_cycles_scan, t0);
}

static void
on_mail_begin(void *ctx, const char *from, size_t len)
{
	struct mt_session *s = ctx;
	struct mt_session_env *env = s->env;
	struct mt_mail *m;

	MT_BUG_ON(s->in_tx);
	s->in_tx = 1;
	MT_STAT_INC(env->st, mail_started);
	m = mt_mail_get(env->mail_pool);
	if (m == NULL) {
		MT_STAT_INC(env->st, mail_nomem);
		return;
	}
	m->ts_ns = env->now_ns;
	m->seq = env->mail_seq++;
	m->worker = env->worker;
	m->key = s->slot.key;
	if (s->midstream)
		m->flags |= MT_MAIL_F_MIDSTREAM;
	mt_mail_set_str(m, &m->helo, s->helo, s->helo_len);
	mt_mail_set_str(m, &m->banner, s->banner, s->banner_len);
	mt_mail_set_str(m, &m->xattr, s->xattr, s->xattr_len);
	if (s->auth_mech_len > 0) {
		mt_mail_set_str(m, &m->auth_mech, s->auth_mech, s->auth_mech_len);
		mt_mail_set_str(m, &m->auth_authzid, s->authzid, s->authzid_len);
		mt_mail_set_str(m, &m->auth_authcid, s->authcid, s->authcid_len);
		m->auth_code = s->auth_code;
	}
	mt_mail_set_str(m, &m->mail_from, from, len);
	s->mail = m;
	if (env->scan != NULL)
		scan_begin(s, m);
}

static void
on_rcpt(void *ctx, const char *to, size_t len)
{
	struct mt_session *s = ctx;

	if (s->mail != NULL)
		mt_mail_add_rcpt(s->mail, to, len);
}

static void
on_rcpt_reply(void *ctx, unsigned idx, unsigned code)
{
	struct mt_session *s = ctx;

	if (s->mail != NULL && idx < s->mail->n_rcpt)
		s->mail->rcpt[idx].code = (uint16_t)code;
}

static void
on_data(void *ctx, const uint8_t *p, size_t len)
{
	struct mt_session *s = ctx;

	if (s->mail == NULL)
		return;
	mt_mail_append(s->mail, s->env->chunk_pool, s->env->max_mail_size, p, len);
	if (s->mail->scan_db != NULL)
		scan_data(s, p, len);
}

/* A server takes a message only with a recipient it accepted: none seen
 * means the replies were not paired with the commands. */
static int
rcpt_accepted(const struct mt_mail *m)
{
	unsigned i, n = MT_MIN(m->n_rcpt, (uint16_t)MT_MAIL_MAX_RCPT);

	for (i = 0; i < n; i++)
		if (m->rcpt[i].code / 100 == 2)
			return 1;
	return n < m->n_rcpt; /* beyond the array: not known */
}

static void
on_mail_end(void *ctx, enum mt_smtp_end how, unsigned code)
{
	struct mt_session *s = ctx;
	struct mt_session_env *env = s->env;
	struct mt_mail *m = s->mail;
	int keep = 0;

	MT_BUG_ON(!s->in_tx);
	if (m != NULL && m->scan_db != NULL)
		scan_end(s, m); /* matches still find their mail in s->mail */
	s->in_tx = 0;
	s->mail = NULL;
	switch (how) {
	case MT_SMTP_END_ACCEPTED:
		MT_STAT_INC(env->st, mail_accepted);
		keep = 1;
		break;
	case MT_SMTP_END_REJECTED:
		MT_STAT_INC(env->st, mail_rejected);
		keep = env->keep_rejected;
		break;
	case MT_SMTP_END_ABORTED:
		MT_STAT_INC(env->st, mail_aborted);
		break;
	case MT_SMTP_END_UNCONFIRMED:
		MT_STAT_INC(env->st, mail_unconfirmed);
		keep = env->keep_incomplete;
		break;
	case MT_SMTP_END_INCOMPLETE:
		MT_STAT_INC(env->st, mail_incomplete);
		keep = env->keep_incomplete;
		break;
	}
	if (m == NULL)
		return; /* counted in mail_nomem */
	if (how != MT_SMTP_END_REJECTED && how != MT_SMTP_END_ABORTED && !rcpt_accepted(m))
		m->flags |= MT_MAIL_F_GAP; /* replies unpaired (a gap before): see METADATA */
	m->end = (uint8_t)how;
	m->reply_code = (uint16_t)code;
	m->ts_end_ns = env->now_ns;
	if (how == MT_SMTP_END_REJECTED)
		m->flags |= MT_MAIL_F_REJECTED;
	else if (how == MT_SMTP_END_ABORTED)
		m->flags |= MT_MAIL_F_ABORTED;
	else if (how == MT_SMTP_END_UNCONFIRMED)
		m->flags |= MT_MAIL_F_UNCONFIRMED;
	else if (how == MT_SMTP_END_INCOMPLETE)
		m->flags |= MT_MAIL_F_INCOMPLETE;
	if (m->flags & MT_MAIL_F_TRUNCATED)
		MT_STAT_INC(env->st, mail_truncated);
	if (m->flags & MT_MAIL_F_NOMEM)
		MT_STAT_INC(env->st, mail_chunk_nomem);
	if (!keep) {
		MT_STAT_INC(env->st, mail_discarded);
		MT_STAT_ADD(env->st, scan_alerts_dropped, m->n_alerts);
		mt_mail_put(m);
		return;
	}
	env->emit(env, m);
}

static const enum mt_stat smtp_event_stat[MT_SMTP_EV__COUNT] = {
	[MT_SMTP_EV_LINE_TOO_LONG] = MT_STAT_smtp_line_too_long,
	[MT_SMTP_EV_QUEUE_OVERFLOW] = MT_STAT_smtp_queue_overflow,
	[MT_SMTP_EV_UNKNOWN_COMMAND] = MT_STAT_smtp_unknown_command,
	[MT_SMTP_EV_OUT_OF_SEQUENCE] = MT_STAT_smtp_out_of_sequence,
	[MT_SMTP_EV_UNSOLICITED_REPLY] = MT_STAT_smtp_unsolicited_reply,
	[MT_SMTP_EV_BAD_REPLY] = MT_STAT_smtp_bad_reply,
	[MT_SMTP_EV_STARTTLS] = MT_STAT_smtp_starttls,
};

_Static_assert(MT_SMTP_EV__COUNT == 7, "map every SMTP event to a counter above");

static void
on_event(void *ctx, enum mt_smtp_event ev)
{
	struct mt_session *s = ctx;

	if ((unsigned)ev < MT_SMTP_EV__COUNT)
		s->env->st->v[smtp_event_stat[ev]]++;
	if (ev == MT_SMTP_EV_STARTTLS && s->mail != NULL)
		s->mail->flags |= MT_MAIL_F_TLS;
}

/* lib/tcp callbacks: ctx is a struct tcp_ctx on the stack of the caller. */
struct tcp_ctx {
	struct mt_session *s;
	int dir;
};

/* mt_smtp_feed, its own cycles counted ([pipeline] stage_cycles): the
 * scan it calls is counted apart, in wk_cycles_scan */
static void
smtp_feed_timed(struct mt_session *s, int dir, const uint8_t *p, uint32_t n)
{
	struct mt_stats *st = s->env->st;
	uint64_t t0 = mt_stats_tsc(), scan0 = st->v[MT_STAT_wk_cycles_scan];

	mt_smtp_feed(smtp_of(s), (enum mt_dir)dir, p, n);
	if (t0 != 0)
		st->v[MT_STAT_wk_cycles_smtp] += rte_rdtsc() - t0 -
						 (st->v[MT_STAT_wk_cycles_scan] - scan0);
}

static void
tcp_deliver(void *ctx, const uint8_t *p, uint32_t n)
{
	struct tcp_ctx *t = ctx;
	struct mt_session *s = t->s;

	if (unlikely(mt_smtp_is_tls(smtp_of(s)))) {
		MT_STAT_ADD(s->env->st, wk_tls_bytes, n);
		return;
	}
	MT_STAT_ADD(s->env->st, wk_payload_bytes, n);
	smtp_feed_timed(s, t->dir, p, n);
}

static void
tcp_gap(void *ctx, uint32_t n)
{
	struct tcp_ctx *t = ctx;
	struct mt_mail *m;

	/* the automaton resynchronises (a partial command line is dropped, a
	 * message whose terminator fell in the gap ends on its reply) */
	if (!mt_smtp_is_tls(smtp_of(t->s)))
		mt_smtp_gap(smtp_of(t->s), (enum mt_dir)t->dir, n);
	/* The mail in progress keeps what was seen and says what was not:
	 * the client's octets.  (Replies lost are the automaton's to place:
	 * it flags the transactions whose replies they were.) */
	m = t->s->mail;
	if (m != NULL && t->dir == MT_DIR_C2S) {
		m->flags |= MT_MAIL_F_GAP;
		m->gap_bytes += n;
	}
}

static int
tcp_hold(void *ctx, struct mt_tcp_piece *pc)
{
	struct tcp_ctx *t = ctx;

	return t->s->env->hold(t->s->env, pc);
}

static void
tcp_release(void *ctx, struct mt_tcp_piece *pc)
{
	struct tcp_ctx *t = ctx;

	t->s->env->release(t->s->env, pc);
}

static void tcp_peer_lost(void *ctx, uint32_t seq, struct mt_tcp_counters *c);

static const struct mt_tcp_ops session_tcp_ops = {
	.deliver = tcp_deliver,
	.gap = tcp_gap,
	.hold = tcp_hold,
	.release = tcp_release,
	.peer_lost = tcp_peer_lost,
};

/* A full hold orders the other direction first (see mt_tcp_ops). */
static void
tcp_peer_lost(void *ctx, uint32_t seq, struct mt_tcp_counters *c)
{
	struct tcp_ctx *t = ctx, p = { .s = t->s, .dir = t->dir ^ 1 };

	mt_tcp_dir_lost_until(&t->s->tcp[p.dir], seq, &t->s->tcp[t->dir], &session_tcp_ops, &p, c);
}

static void
count_tcp(struct mt_stats *st, const struct mt_tcp_counters *c)
{
	MT_STAT_ADD(st, wk_retrans_bytes, c->retrans_bytes);
	MT_STAT_ADD(st, wk_ooo_segments, c->ooo_segments);
	MT_STAT_ADD(st, wk_ooo_overflow, c->ooo_overflow);
	MT_STAT_ADD(st, wk_gaps, c->gaps);
	MT_STAT_ADD(st, wk_gap_bytes, c->gap_bytes);
	MT_STAT_ADD(st, wk_out_of_window, c->out_of_window);
	MT_STAT_ADD(st, wk_ack_waits, c->ack_waits);
}

/* Copy at most max bytes of a callback string into session storage. */
static uint8_t
keep(char *dst, size_t max, const char *src, size_t len)
{
	len = MT_MIN(len, max);
	memcpy(dst, src, len);
	return (uint8_t)len;
}

static void
on_banner(void *ctx, unsigned code, const char *text, size_t len)
{
	struct mt_session *s = ctx;

	(void)code;
	s->banner_len = keep(s->banner, BANNER_MAX, text, len);
}

static void
on_reply(void *ctx, unsigned code)
{
	struct mt_mail *m = ((struct mt_session *)ctx)->mail;

	if (m == NULL)
		return;
	if (m->n_replies < MT_MAIL_MAX_REPLIES)
		m->replies[m->n_replies] = (uint16_t)code;
	if (m->n_replies < UINT16_MAX)
		m->n_replies++;
}

static void
on_mail_params(void *ctx, const char *p, size_t len)
{
	struct mt_mail *m = ((struct mt_session *)ctx)->mail;

	if (m != NULL)
		mt_mail_set_str(m, &m->mail_params, p, len);
}

static void
on_rcpt_params(void *ctx, unsigned idx, const char *p, size_t len)
{
	struct mt_mail *m = ((struct mt_session *)ctx)->mail;

	if (m != NULL && idx < m->n_rcpt)
		mt_mail_set_str(m, &m->rcpt[idx].params, p, len);
}

/* Mechanism and identity only: lib/smtp never passes the secret. */
static void
on_auth(void *ctx, const struct mt_smtp_auth *a)
{
	struct mt_session *s = ctx;

	s->auth_mech_len = keep(s->auth_mech, sizeof(s->auth_mech), a->mech, a->mech_len);
	s->authzid_len = keep(s->authzid, AUTH_ID_MAX, a->authzid, a->authzid_len);
	s->authcid_len = keep(s->authcid, AUTH_ID_MAX, a->authcid, a->authcid_len);
	s->auth_code = (uint16_t)a->code;
}

static void
on_xattr(void *ctx, const char *verb, size_t vlen, const char *attrs, size_t alen)
{
	struct mt_session *s = ctx;
	size_t n;

	n = keep(s->xattr, XATTR_MAX, verb, vlen);
	if (n < XATTR_MAX)
		s->xattr[n++] = ' ';
	s->xattr_len = (uint8_t)(n + keep(s->xattr + n, XATTR_MAX - n, attrs, alen));
}

static void
on_tx_flags(void *ctx, unsigned f)
{
	struct mt_mail *m = ((struct mt_session *)ctx)->mail;

	if (m == NULL)
		return;
	if (f & MT_SMTP_TXF_PIPELINED)
		m->flags |= MT_MAIL_F_PIPELINED;
	if (f & MT_SMTP_TXF_BDAT)
		m->flags |= MT_MAIL_F_BDAT;
	if (f & MT_SMTP_TXF_BARE_LF)
		m->flags |= MT_MAIL_F_BARE_LF;
	if (f & MT_SMTP_TXF_NO_MAIL)
		m->flags |= MT_MAIL_F_NO_MAIL;
	if (f & MT_SMTP_TXF_MIDSTREAM)
		m->flags |= MT_MAIL_F_MIDSTREAM;
	if (f & MT_SMTP_TXF_GAP)
		m->flags |= MT_MAIL_F_GAP;
}

/* ---- passive fingerprinting (lib/fpsrv) ------------------------------ */

/* Copy a reply only if this worker has not yet sent its kind for the
 * server: normal traffic pays a filter lookup per reply, nothing more. */
static char *
on_reply_buf(void *ctx, const struct mt_smtp_cmd *cmd, size_t *cap)
{
	struct mt_session *s = ctx;
	struct mt_session_env *env = s->env;
	struct mt_fpsrv_key k;
	int kind;

	if (env->fp == NULL || (kind = mt_fpsrv_kind_of(cmd)) < 0)
		return NULL;
	mt_fpsrv_key_from_flow(&k, &s->slot.key);
	if (!mt_fpsrv_worker_want(env->fp, &k, kind))
		return NULL;
	if (s->fpbuf == NULL) {
		s->fpbuf = mt_fpsrv_worker_buf_get(env->fp);
		if (s->fpbuf == NULL) {
			MT_STAT_INC(env->st, wk_fp_nobuf);
			return NULL;
		}
	}
	*cap = MT_FPSRV_TEXT_MAX;
	return s->fpbuf;
}

static void
on_reply_text(void *ctx, const struct mt_smtp_cmd *cmd, unsigned code, const char *text,
	      size_t len, int truncated)
{
	struct mt_session *s = ctx;
	struct mt_session_env *env = s->env;
	struct mt_fpsrv_obs o;
	int kind = mt_fpsrv_kind_of(cmd);

	if (env->fp != NULL && kind >= 0) {
		mt_fpsrv_key_from_flow(&o.key, &s->slot.key);
		if (mt_fpsrv_worker_want(env->fp, &o.key, kind)) {
			mt_fpsrv_obs_fill(&o, &o.key, kind, code, text, len, truncated,
					  env->now_ns);
			if (env->fp_emit(env, &o) == 0) {
				MT_STAT_INC(env->st, wk_fp_obs);
				mt_fpsrv_worker_mark(env->fp, &o.key, kind);
			}
		}
	}
	if (env->fp != NULL && s->fpbuf != NULL) {
		mt_fpsrv_worker_buf_put(env->fp, s->fpbuf);
		s->fpbuf = NULL;
	}
}

#define SESSION_SMTP_OPS                                                  \
	.helo = on_helo, .mail_begin = on_mail_begin, .rcpt = on_rcpt,        \
	.rcpt_reply = on_rcpt_reply, .data = on_data, .mail_end = on_mail_end, \
	.event = on_event, .banner = on_banner, .reply = on_reply,            \
	.mail_params = on_mail_params, .rcpt_params = on_rcpt_params,         \
	.auth = on_auth, .xattr = on_xattr, .tx_flags = on_tx_flags

static const struct mt_smtp_ops session_smtp_ops = { SESSION_SMTP_OPS };
/* with passive fingerprinting: lib/smtp notes each command's facts and
 * asks before copying a reply (without: it does neither) */
static const struct mt_smtp_ops session_smtp_ops_fp = {
	SESSION_SMTP_OPS,
	.reply_buf = on_reply_buf,
	.reply_text = on_reply_text,
};

static inline const struct mt_smtp_ops *
smtp_ops(const struct mt_session_env *env)
{
	return env->fp != NULL ? &session_smtp_ops_fp : &session_smtp_ops;
}

void
mt_session_init(struct mt_session *s, struct mt_session_env *env)
{
	s->env = env;
	memset(s->tcp, 0, sizeof(s->tcp));
	s->mail = NULL;
	s->closed = s->midstream = s->in_tx = s->seen_any = 0;
	s->stuck[0] = s->stuck[1] = 0;
	s->stuck_at[0] = s->stuck_at[1] = 0;
	s->helo_len = s->banner_len = s->xattr_len = 0;
	s->auth_mech_len = s->authzid_len = s->authcid_len = 0;
	s->auth_code = 0;
	s->fpbuf = NULL;
	mt_smtp_init(smtp_of(s), smtp_ops(env), s);
}

/* Resolve a wait that lasts: see STUCK_SEGMENTS. */
static void
unstick(struct mt_session *s, struct mt_tcp_counters *c)
{
	struct tcp_ctx t;
	uint32_t ack;
	int w;

	for (w = 0; w < 2; w++) {
		if (!mt_tcp_dir_waiting(&s->tcp[w], &s->tcp[w ^ 1], &ack) ||
		    s->tcp[w ^ 1].offset != s->stuck_at[w]) {
			s->stuck[w] = 0;
			s->stuck_at[w] = s->tcp[w ^ 1].offset;
			continue;
		}
		if (++s->stuck[w] < STUCK_SEGMENTS)
			continue;
		s->stuck[w] = 0;
		t = (struct tcp_ctx){ .s = s, .dir = w ^ 1 };
		mt_tcp_dir_lost_until(&s->tcp[w ^ 1], ack, &s->tcp[w], &session_tcp_ops, &t, c);
		t.dir = w;
		mt_tcp_dir_drain(&s->tcp[w], &s->tcp[w ^ 1], &session_tcp_ops, &t, c);
	}
}

/*
 * What one direction delivers may release the other's waiting segments (a
 * reply that arrived before its command), which may release more of the
 * first: drain both until neither moves (bounded: each round delivers a
 * held piece or stops).
 */
static void
drain_both(struct mt_session *s, struct mt_tcp_counters *c)
{
	struct tcp_ctx t0 = { .s = s, .dir = 0 }, t1 = { .s = s, .dir = 1 };
	uint64_t before;
	unsigned round;

	for (round = 0; round < 2 * MT_TCP_OOO_MAX + 2; round++) {
		before = s->tcp[0].offset + s->tcp[1].offset;
		mt_tcp_dir_drain(&s->tcp[0], &s->tcp[1], &session_tcp_ops, &t0, c);
		mt_tcp_dir_drain(&s->tcp[1], &s->tcp[0], &session_tcp_ops, &t1, c);
		if (s->tcp[0].offset + s->tcp[1].offset == before)
			break;
	}
}

static void
settle(struct mt_session *s, struct mt_tcp_counters *c)
{
	drain_both(s, c);
	unstick(s, c);
}

/*
 * The connection is over with pieces still held: no more segment will
 * fill their holes.  Declare the holes lost in the order the ACKs tell: a
 * first piece that waits for the other side's octets (its ACK says they
 * were received) makes those lost first; otherwise the client's first
 * hole goes, then the server's (a held end of data before its held
 * reply).  Each round declares one hole or delivers; bounded.
 */
static void
flush_both(struct mt_session *s, struct mt_tcp_counters *c)
{
	struct tcp_ctx t[2] = { { .s = s, .dir = 0 }, { .s = s, .dir = 1 } };
	unsigned round, w;
	uint32_t ack;

	for (round = 0; round < 4 * MT_TCP_OOO_MAX + 4; round++) {
		drain_both(s, c);
		if (s->tcp[0].n_ooo == 0 && s->tcp[1].n_ooo == 0)
			break;
		for (w = 0; w < 2; w++)
			if (mt_tcp_dir_waiting(&s->tcp[w], &s->tcp[w ^ 1], &ack))
				break;
		if (w < 2) {
			mt_tcp_dir_lost_until(&s->tcp[w ^ 1], ack, &s->tcp[w], &session_tcp_ops,
					      &t[w ^ 1], c);
			continue;
		}
		w = s->tcp[MT_DIR_C2S].n_ooo > 0 ? MT_DIR_C2S : MT_DIR_S2C;
		mt_tcp_dir_lost_until(&s->tcp[w], s->tcp[w].ooo[0].seq, &s->tcp[w ^ 1],
				      &session_tcp_ops, &t[w], c);
	}
	/* what is left (none, but bounded) and data promised by early FINs */
	for (w = MT_DIR_C2S; w <= MT_DIR_S2C; w++)
		mt_tcp_dir_flush(&s->tcp[w], &session_tcp_ops, &t[w], c);
}

int
mt_session_input(struct mt_session *s, int dir, uint32_t seq, uint8_t flags, uint32_t ack,
		 const uint8_t *payload, uint32_t len, void *ref)
{
	struct mt_session_env *env = s->env;
	struct tcp_ctx t = { .s = s, .dir = dir };
	struct mt_tcp_counters c = { 0 };

	if (unlikely(s->closed)) {
		/* A new connection on the same 4-tuple starts with a SYN;
		 * anything else is a late copy of the finished one, which
		 * stays in its slot (closing class) to absorb them. */
		if ((flags & (MT_TCP_SYN | MT_TCP_ACK)) != MT_TCP_SYN) {
			MT_STAT_INC(env->st, wk_after_close);
			return 0;
		}
		mt_session_init(s, env);
	}
	/* A connection whose first segment is no SYN was running before the
	 * capture: the automaton hunts for a safe point before reporting. */
	if (unlikely(!s->seen_any)) {
		s->seen_any = 1;
		if (!(flags & MT_TCP_SYN))
			mt_smtp_init_midstream(smtp_of(s), smtp_ops(env), s);
	}
	mt_tcp_dir_input(&s->tcp[dir], seq, flags, ack, payload, len, ref, env->max_ooo_bytes,
			 &s->tcp[dir ^ 1], &session_tcp_ops, &t, &c);
	settle(s, &c);
	if (c.midstream && !s->tcp[dir ^ 1].synced && !s->midstream) {
		s->midstream = 1;
		MT_STAT_INC(env->st, wk_flows_midstream);
	}
	count_tcp(env->st, &c);
	if ((s->tcp[0].fin_seen && s->tcp[1].fin_seen) || (flags & MT_TCP_RST))
		return 1;
	return 0;
}

int
mt_session_is_closed(const struct mt_session *s)
{
	return s->closed;
}

enum mt_flow_class
mt_session_class(const struct mt_session *s)
{
	const struct mt_tcp_dir *c = &s->tcp[MT_DIR_C2S], *v = &s->tcp[MT_DIR_S2C];

	if (s->closed || c->fin_seen || v->fin_seen || c->rst_seen || v->rst_seen)
		return MT_FLOW_CLOSING;
	if (c->offset == 0 && v->offset == 0 && c->n_ooo == 0 && v->n_ooo == 0)
		return MT_FLOW_HANDSHAKE;
	return MT_FLOW_ESTABLISHED;
}

void
mt_session_close(struct mt_session *s)
{
	struct mt_tcp_counters c = { 0 };

	if (s->closed)
		return;
	flush_both(s, &c);
	count_tcp(s->env->st, &c);
	s->closed = 1;
	mt_smtp_close(smtp_of(s));
	if (s->fpbuf != NULL) { /* a reply cut by the close */
		mt_fpsrv_worker_buf_put(s->env->fp, s->fpbuf);
		s->fpbuf = NULL;
	}
	MT_BUG_ON(s->in_tx || s->mail != NULL);
}

void
mt_session_info(const struct mt_session *s, struct mt_session_info *out)
{
	unsigned d;

	for (d = 0; d < 2; d++) {
		out->bytes[d] = s->tcp[d].offset;
		out->ooo_bytes[d] = s->tcp[d].ooo_bytes;
	}
	out->midstream = s->midstream;
	out->in_tx = s->in_tx;
	out->tls = (uint8_t)mt_smtp_is_tls(smtp_of((struct mt_session *)(uintptr_t)s));
	out->closed = s->closed;
}
