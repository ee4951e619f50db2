/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_smtp.c - the SMTP/ESMTP session automaton (contract: mt_smtp.h).
 *
 * Three byte machines share one struct; each saves its state between calls
 * so input may split at any octet.
 *
 * Client -> server (mode `in`):
 *
 *	IN_LINE --LF--> line_done() --DATA--> IN_DATA --"\r\n.\r\n"--> IN_LINE
 *	   |  ^                      --BDAT n--> IN_BDAT --n octets--> IN_LINE
 *	   | LF (queue UNKNOWN)
 *	   v  |
 *	IN_SKIP     (line longer than MT_SMTP_LINE_MAX: discard up to LF)
 *
 *	IN_DATA (dot-unstuffing; CR and LF are passed on at once, only a
 *	'.' at the beginning of a line and a following CR are held back):
 *
 *	D_BOL --'.'--> D_DOT --CR--> D_DOT_CR --LF--> end of message
 *	  |              |              |
 *	  |  other: drop the '.'       other: drop the '.', emit CR
 *	  v              v              v
 *	D_TEXT <--> D_CR   (memchr for LF; "CR LF" goes back to D_BOL)
 *
 * Server -> client: "ddd" then '-' (more lines), ' ' / CR / LF (final);
 * the text is skipped with memchr.  Only a final line pops the queue.
 *
 *	R_D1 -> R_D2 -> R_D3 -> R_SEP -> R_TEXT --LF--> R_D1
 *	   (not a digit / bad separator: event, R_BAD --LF--> R_D1)
 *
 * Command queue: a ring of {kind, rcpt index, transaction id}.  The
 * greeting is queued at init.  DATA's end of message queues CMD_EOD, whose
 * reply is the verdict; BDAT ... LAST's reply is the verdict too.
 *
 * Transactions: the parser side (tx_id, phase) moves on as soon as the
 * client does; the callback side (open_txn) follows the replies.  A client
 * may pipeline the next MAIL after the end of data, before the verdict:
 * the new transaction's mail_begin/rcpt then wait in `stash` until the
 * verdict ends the old one, so callbacks never nest.  If the stash is full
 * or the new transaction needs data before that, the old transaction is
 * ended UNCONFIRMED first.
 *
 * Reply-decided commands: CMD_HELO (reset on 2xx), CMD_MAIL_NESTED
 * (a MAIL while an envelope is open: its argument waits in nest[] and
 * only a 2xx starts it), CMD_DATA (not 354: the envelope stays, see
 * data_refused()).  A DATA with no envelope gets a transaction id at
 * once (octets before its 354 go nowhere); its 354 calls mail_begin.
 *
 * Line gate: the first 5 octets of a command line are taken one at a
 * time; "AUTH " switches to IN_AUTH (mechanism, then the initial response
 * streamed through the base64 decoder, never copied), and while hunting
 * a line that cannot be a command we care about goes to IN_DROP.  After
 * an AUTH, the client's response lines go to IN_SASL (decoded or skipped
 * octet by octet).
 *
 * Lines end at LF for commands (a CR before it is dropped).  In message
 * mode only CR LF ends a line, as RFC 5321 says: "\n.\n" and "\n.\r\n" are
 * message text here (SMTP smuggling: such text always reaches ops->data).
 */
#include <string.h>

#include "mt_smtp.h"

#define STASH_MAX 512
/* txf[] bits of our own, above the public MT_SMTP_TXF_* ones */
#define TXF_PUBLIC 0x00ff
#define TXF_I_OCTETS 0x4000 /* message octets were passed out */
#define TXF_I_GO 0x8000     /* its DATA was answered 354 */
/* c_tail: the gap cut a line already queued / began at a line boundary */
#define TAIL_QUEUED 1
#define TAIL_LOST 2
#define GATE 5 /* command octets taken one at a time before bulk copy */

enum cmd_kind {
	CMD_GREETING,
	CMD_HELO,
	CMD_MAIL,
	CMD_MAIL_NESTED,
	CMD_RCPT,
	CMD_DATA,
	CMD_EOD,
	CMD_BDAT,
	CMD_BDAT_LAST,
	CMD_RSET,
	CMD_QUIT,
	CMD_NOOP,
	CMD_VRFY,
	CMD_EXPN,
	CMD_HELP,
	CMD_STARTTLS,
	CMD_AUTH,
	CMD_AUTH_RESP,
	CMD_XCLIENT,
	CMD_XFORWARD,
	CMD_UNKNOWN,
};

enum in_mode {
	IN_LINE,
	IN_SKIP,  /* overlong line: discard up to LF, then queue UNKNOWN */
	IN_DROP,  /* hunting: discard up to LF, queue nothing */
	IN_AUTH,  /* the rest of an "AUTH " command line */
	IN_SASL,  /* a SASL response line */
	IN_DATA,
	IN_BDAT,
	IN_LOST,  /* after a lost DATA/BDAT line: message octets up to a reply */
	IN_STOP,
};
enum data_state { D_BOL, D_TEXT, D_CR, D_DOT, D_DOT_CR };
enum reply_state { R_D1, R_D2, R_D3, R_SEP, R_TEXT, R_BAD };

/* Where the parser-side transaction stands. */
enum phase {
	PH_IDLE,      /* no transaction */
	PH_ENV,       /* MAIL seen: envelope */
	PH_MSG,       /* DATA sent, or BDAT chunks without LAST */
	PH_DONE,      /* end of data / BDAT LAST sent: verdict pending */
	PH_BDAT_SKIP, /* a chunk was rejected: skip BDATs up to LAST/RSET */
};

enum msg_state { MSG_NONE, MSG_OPEN, MSG_DONE };
enum stash_rec { S_BEGIN, S_MAIL_PARAMS, S_RCPT, S_RCPT_PARAMS, S_RCPT_REPLY, S_REPLY };

/* AUTH: what the base64 decoder feeds */
enum b64_sink { B_NONE, B_PLAIN, B_USER };
enum auth_mech { M_OTHER, M_PLAIN, M_LOGIN };

struct q_ent {
	uint32_t txn; /* 0: no transaction */
	uint32_t idx; /* CMD_RCPT: recipient number; CMD_MAIL_NESTED: generation */
	uint8_t kind;
	uint8_t verb; /* enum mt_smtp_verb, for ops->reply_buf */
	uint8_t cf;   /* MT_SMTP_CF_* */
};

struct mt_smtp {
	const struct mt_smtp_ops *ops;
	void *ctx;

	/* client -> server */
	uint8_t in;
	uint8_t dstate;
	uint8_t tls;
	uint8_t closed;
	uint8_t gated;     /* the current line passed the GATE */
	uint8_t c_gap;     /* a gap fell inside the current DATA message */
	uint8_t s_gap;     /* a gap fell in the replies: 354 may resync */
	uint8_t s_gap_pre; /* commands queued before that gap (their replies
			    * may be in it); later ones were sent after it */
	uint8_t s_gap_wait; /* ... and only once the client had their replies */
	uint8_t s_gap_msg; /* a gap in the replies during a message: maybe its
			    * verdict (see data_end) */
	uint8_t rs_on;     /* replies of a pipelined burst fell in a gap:
			    * later ones wait for the 354 that places them */
	uint8_t rs_n;
	uint16_t rs_code[MT_SMTP_QUEUE_DEPTH];
	uint8_t c_lost;    /* a client gap in command mode: whole command
			    * lines may be lost, their replies will come */
	uint8_t piped;     /* the client sent a command ahead of a reply (not
			    * because a reply fell in a gap) */
	uint8_t cmd_gap;   /* commands were lost: the next envelope may lack
			    * some (its MAIL, RCPTs of a pipelined burst) */
	uint8_t c_tail;    /* the line after a command-mode gap may be the
			    * rest of a line the gap cut: TAIL_* */
	uint8_t c_quiet;   /* no reply since that gap */
	uint8_t vless;     /* verb-less lines in a row since a reply */
	uint8_t d_unsure;  /* DATA's reply may be lost: its 354 re-enters */
	uint8_t midstream;
	uint16_t line_len;
	uint32_t data_txn; /* receiver of message octets (0: discard) */
	uint64_t bdat_left;

	/* hunting (mid-stream pickup) */
	uint8_t hunt;
	uint8_t hunt_msg;     /* a 354 was seen: lines are text up to "." */
	uint8_t hunt_last;    /* kind of the last command line since a reply */
	uint8_t hunt_pending; /* command-looking lines since the last reply */
	uint8_t hunt_gap;     /* a gap in the replies since the last line */
	uint8_t hunt_pre;     /* hunt_pending at that gap */
	uint32_t hold_txn;    /* candidate: callbacks held until MAIL is 2xx */

	/* server -> client */
	uint8_t rstate;
	uint8_t rfinal;
	uint8_t rfirst;    /* the reply's first line is being read */
	uint8_t rcap;      /* capture this line's text as the banner */
	uint8_t banner_done;
	uint16_t rcode;
	uint16_t ban_len;

	/* commands awaiting replies */
	uint8_t q_head;
	uint8_t q_len;
	struct q_ent q[MT_SMTP_QUEUE_DEPTH];

	/* parser-side transaction */
	uint32_t tx_id;
	uint8_t phase;
	uint8_t msg;
	uint8_t tx_octets;      /* message octets were passed out */
	uint16_t rcpt_bad_code;
	uint16_t data_bad_code; /* a DATA refused, envelope kept */
	uint32_t rcpt_n;
	uint32_t rcpt_pending;
	uint32_t rcpt_ok;
	uint16_t txf[4];        /* MT_SMTP_TXF_* by transaction id & 3 */

	/* nested MAIL waiting for its reply */
	uint8_t nest_gen;
	uint16_t nest_len;

	/* AUTH */
	uint8_t auth_active;    /* an exchange awaits its final reply */
	uint8_t auth_mech;
	uint8_t auth_resp_left; /* response lines the client will send */
	uint8_t auth_user_done; /* LOGIN: the username was sent */
	uint8_t auth_mech_done; /* IN_AUTH: past the mechanism */
	uint8_t auth_ir;        /* IN_AUTH: an initial response was present */
	uint8_t b64_sink;
	uint8_t b64_bits;
	uint8_t plain_field;
	uint8_t mech_len;
	uint16_t authzid_len;
	uint16_t authcid_len;
	uint32_t b64_acc;

	/* callback side */
	uint32_t open_txn;  /* mail_begin called, mail_end not yet */
	uint32_t stash_txn; /* its callbacks wait in stash[] */
	uint16_t stash_len;
	uint8_t stash[STASH_MAX];

	/* fingerprinting (ops->reply_buf): the command line being queued,
	 * and the reply being copied */
	uint8_t cur_verb;   /* MT_SMTP_V_EHLO/LHLO (CMD_HELO), else 0 */
	uint8_t cur_cf;     /* MT_SMTP_CF_* */
	uint8_t rbuf_trunc;
	uint8_t rbuf_off;   /* a gap: which reply answers which command is
			     * in doubt, so none is reported any more */
	struct mt_smtp_cmd rcmd;
	uint32_t rbuf_cap;
	uint32_t rbuf_len;
	uint32_t rbuf_line; /* where the current line starts */
	char *rbuf;         /* NULL: this reply is not copied */

	char line[MT_SMTP_LINE_MAX];
	char nest[MT_SMTP_NEST_MAX];
	char banner[MT_SMTP_BANNER_MAX];
	char mech[MT_SMTP_MECH_MAX];
	char authzid[MT_SMTP_ID_MAX];
	char authcid[MT_SMTP_ID_MAX];
};

_Static_assert(MT_SMTP_LINE_MAX < UINT16_MAX, "line_len is 16 bits");
_Static_assert(MT_SMTP_QUEUE_DEPTH < UINT8_MAX, "queue indexes are 8 bits");
_Static_assert(STASH_MAX < UINT16_MAX, "stash_len is 16 bits");
_Static_assert(MT_SMTP_MECH_MAX < UINT8_MAX, "mech_len is 8 bits");
_Static_assert(GATE <= MT_SMTP_LINE_MAX, "gate fits the line");

static const struct mt_smtp_ops no_ops;

static const uint8_t kind_verb[] = {
	[CMD_GREETING] = MT_SMTP_V_GREETING, [CMD_HELO] = MT_SMTP_V_HELO,
	[CMD_MAIL] = MT_SMTP_V_MAIL,	     [CMD_MAIL_NESTED] = MT_SMTP_V_MAIL,
	[CMD_RCPT] = MT_SMTP_V_RCPT,	     [CMD_DATA] = MT_SMTP_V_DATA,
	[CMD_EOD] = MT_SMTP_V_EOD,	     [CMD_BDAT] = MT_SMTP_V_BDAT,
	[CMD_BDAT_LAST] = MT_SMTP_V_BDAT,    [CMD_RSET] = MT_SMTP_V_RSET,
	[CMD_QUIT] = MT_SMTP_V_QUIT,	     [CMD_NOOP] = MT_SMTP_V_NOOP,
	[CMD_VRFY] = MT_SMTP_V_VRFY,	     [CMD_EXPN] = MT_SMTP_V_EXPN,
	[CMD_HELP] = MT_SMTP_V_HELP,	     [CMD_STARTTLS] = MT_SMTP_V_STARTTLS,
	[CMD_AUTH] = MT_SMTP_V_AUTH,	     [CMD_AUTH_RESP] = MT_SMTP_V_AUTH,
	[CMD_XCLIENT] = MT_SMTP_V_XCLIENT,   [CMD_XFORWARD] = MT_SMTP_V_XFORWARD,
	[CMD_UNKNOWN] = MT_SMTP_V_OTHER,
};
_Static_assert(sizeof(kind_verb) == CMD_UNKNOWN + 1, "a verb for every command kind");

static void line_done(struct mt_smtp *s);

/* ---- per-transaction facts ---- */

static void
txf_set(struct mt_smtp *s, uint32_t id, unsigned f)
{
	if (id != 0)
		s->txf[id & 3] |= (uint16_t)f;
}

/* ---- callbacks, with the stash that keeps transactions from nesting ---- */

static void
emit_event(struct mt_smtp *s, enum mt_smtp_event ev)
{
	if (s->ops->event != NULL)
		s->ops->event(s->ctx, ev);
}

static void
emit_end(struct mt_smtp *s, enum mt_smtp_end how, unsigned code)
{
	uint32_t id = s->open_txn;
	unsigned f = s->txf[id & 3];

	/* Message octets of a DATA that never had its 354: the replies
	 * were not paired with the commands (after a gap elsewhere in the
	 * session), so they may be anything: never complete. */
	if ((f & TXF_I_OCTETS) && !(f & (TXF_I_GO | MT_SMTP_TXF_BDAT)))
		f |= MT_SMTP_TXF_GAP;
	s->open_txn = 0;
	if (s->ops->tx_flags != NULL)
		s->ops->tx_flags(s->ctx, f & TXF_PUBLIC);
	if (s->ops->mail_end != NULL)
		s->ops->mail_end(s->ctx, how, code);
}

static void
emit_rcpt_reply(struct mt_smtp *s, unsigned idx, unsigned code)
{
	if (s->ops->rcpt_reply != NULL)
		s->ops->rcpt_reply(s->ctx, idx, code);
}

static void
emit_reply(struct mt_smtp *s, unsigned code)
{
	if (s->ops->reply != NULL)
		s->ops->reply(s->ctx, code);
}

static void
emit_begin(struct mt_smtp *s, const char *from, size_t len)
{
	if (s->ops->mail_begin != NULL)
		s->ops->mail_begin(s->ctx, from, len);
}

static void
emit_mail_params(struct mt_smtp *s, const char *p, size_t len)
{
	if (len > 0 && s->ops->mail_params != NULL)
		s->ops->mail_params(s->ctx, p, len);
}

static void
emit_rcpt(struct mt_smtp *s, unsigned idx, const char *to, size_t len,
	  const char *pr, size_t plen)
{
	if (s->ops->rcpt != NULL)
		s->ops->rcpt(s->ctx, to, len);
	if (plen > 0 && s->ops->rcpt_params != NULL)
		s->ops->rcpt_params(s->ctx, idx, pr, plen);
}

/*
 * Stash records: [type][len16][payload].  S_RCPT and S_RCPT_PARAMS carry
 * the recipient index (unsigned) before the text; S_RCPT_REPLY two
 * unsigned; S_REPLY one.
 */
static void
stash_replay(struct mt_smtp *s)
{
	size_t off = 0;
	unsigned v[2];
	const char *rcpt = NULL;
	size_t rcpt_len = 0;

	if (s->stash_txn == 0 || s->stash_txn == s->hold_txn)
		return;
	s->open_txn = s->stash_txn;
	s->stash_txn = 0;
	while (off < s->stash_len) {
		uint8_t type = s->stash[off];
		uint16_t len;
		const char *pl = (const char *)s->stash + off + 3;

		memcpy(&len, s->stash + off + 1, sizeof(len));
		off += 3 + (size_t)len;
		switch (type) {
		case S_BEGIN:
			emit_begin(s, pl, len);
			break;
		case S_MAIL_PARAMS:
			emit_mail_params(s, pl, len);
			break;
		case S_RCPT:
			rcpt = pl + sizeof(unsigned);
			rcpt_len = len - sizeof(unsigned);
			if (s->ops->rcpt != NULL)
				s->ops->rcpt(s->ctx, rcpt, rcpt_len);
			break;
		case S_RCPT_PARAMS:
			memcpy(v, pl, sizeof(unsigned));
			if (s->ops->rcpt_params != NULL)
				s->ops->rcpt_params(s->ctx, v[0], pl + sizeof(unsigned),
						    len - sizeof(unsigned));
			break;
		case S_RCPT_REPLY:
			memcpy(v, pl, sizeof(v));
			emit_rcpt_reply(s, v[0], v[1]);
			break;
		case S_REPLY:
			memcpy(v, pl, sizeof(unsigned));
			emit_reply(s, v[0]);
			break;
		}
	}
	s->stash_len = 0;
}

/* Room for records of these payload sizes (0: none). */
static int
stash_room(const struct mt_smtp *s, uint32_t id, size_t a, size_t b)
{
	size_t need = a + 3 + (b > 0 ? b + 3 : 0);

	if (s->stash_txn != 0 && s->stash_txn != id)
		return 0;
	return need <= (size_t)(STASH_MAX - s->stash_len);
}

static void
stash_put(struct mt_smtp *s, uint32_t id, uint8_t type, const void *h, size_t hlen,
	  const void *p, size_t len)
{
	uint16_t l16 = (uint16_t)(hlen + len);
	uint8_t *w = s->stash + s->stash_len;

	w[0] = type;
	memcpy(w + 1, &l16, sizeof(l16));
	if (hlen > 0)
		memcpy(w + 3, h, hlen);
	if (len > 0)
		memcpy(w + 3 + hlen, p, len);
	s->stash_len += (uint16_t)(3 + hlen + len);
	s->stash_txn = id;
}

/* The stashed transaction cannot wait: end the open one unconfirmed.  A
 * held (hunting) candidate that cannot wait is dropped: never reported. */
static void
stash_force(struct mt_smtp *s)
{
	if (s->stash_txn != 0 && s->stash_txn == s->hold_txn) {
		s->stash_txn = 0;
		s->stash_len = 0;
		s->hold_txn = 0;
		return;
	}
	if (s->open_txn != 0)
		emit_end(s, MT_SMTP_END_UNCONFIRMED, 0);
	stash_replay(s);
}

static void
cb_begin(struct mt_smtp *s, uint32_t id, const char *from, size_t len,
	 const char *pr, size_t plen)
{
	for (;;) {
		if (s->open_txn == 0 && s->stash_txn == 0 && s->hold_txn != id) {
			s->open_txn = id;
			emit_begin(s, from, len);
			emit_mail_params(s, pr, plen);
			return;
		}
		if (stash_room(s, id, len, plen)) {
			stash_put(s, id, S_BEGIN, NULL, 0, from, len);
			if (plen > 0)
				stash_put(s, id, S_MAIL_PARAMS, NULL, 0, pr, plen);
			return;
		}
		if (s->hold_txn == id) { /* too big to hold: drop the candidate */
			s->hold_txn = 0;
			return;
		}
		stash_force(s);
	}
}

static void
cb_rcpt(struct mt_smtp *s, uint32_t id, unsigned idx, const char *to, size_t len,
	const char *pr, size_t plen)
{
	if (id == 0)
		return;
	if (s->stash_txn == id) {
		if (stash_room(s, id, sizeof(idx) + len, plen > 0 ? sizeof(idx) + plen : 0)) {
			stash_put(s, id, S_RCPT, &idx, sizeof(idx), to, len);
			if (plen > 0)
				stash_put(s, id, S_RCPT_PARAMS, &idx, sizeof(idx), pr, plen);
			return;
		}
		stash_force(s);
	}
	if (s->open_txn == id)
		emit_rcpt(s, idx, to, len, pr, plen);
}

static void
cb_rcpt_reply(struct mt_smtp *s, uint32_t id, unsigned idx, unsigned code)
{
	unsigned v[2] = { idx, code };

	if (id == 0)
		return;
	if (s->stash_txn == id) {
		if (stash_room(s, id, sizeof(v), 0)) {
			stash_put(s, id, S_RCPT_REPLY, NULL, 0, v, sizeof(v));
			return;
		}
		stash_force(s);
	}
	if (s->open_txn == id)
		emit_rcpt_reply(s, idx, code);
}

static void
cb_reply(struct mt_smtp *s, uint32_t id, unsigned code)
{
	if (id == 0)
		return;
	if (s->stash_txn == id) {
		if (stash_room(s, id, sizeof(code), 0)) {
			stash_put(s, id, S_REPLY, NULL, 0, &code, sizeof(code));
			return;
		}
		stash_force(s);
	}
	if (s->open_txn == id)
		emit_reply(s, code);
}

static void
cb_data(struct mt_smtp *s, uint32_t id, const uint8_t *p, size_t len)
{
	if (id == 0 || len == 0)
		return;
	if (s->stash_txn == id)
		stash_force(s);
	txf_set(s, id, TXF_I_OCTETS);
	if (s->open_txn == id) {
		if (id == s->tx_id)
			s->tx_octets = 1;
		if (s->ops->data != NULL)
			s->ops->data(s->ctx, p, len);
	}
}

/* End transaction id if it is still live; a stashed successor follows. */
static void
cb_end(struct mt_smtp *s, uint32_t id, enum mt_smtp_end how, unsigned code)
{
	if (id == 0)
		return;
	if (s->stash_txn == id)
		stash_force(s);
	if (s->hold_txn == id)
		s->hold_txn = 0;
	if (s->open_txn != id)
		return;
	emit_end(s, how, code);
	stash_replay(s);
}

/* ---- command queue ---- */

static void
q_push(struct mt_smtp *s, enum cmd_kind kind, uint32_t txn, uint32_t idx)
{
	struct q_ent *e;

	if (s->hunt)
		return;
	if (s->q_len == MT_SMTP_QUEUE_DEPTH) {
		emit_event(s, MT_SMTP_EV_QUEUE_OVERFLOW);
		return;
	}
	/* a command pushed behind one whose reply fell in a gap is not
	 * pipelining: the client had that reply.  Behind one sent after
	 * the gap, it is. */
	if (s->q_len > 0 && kind != CMD_EOD && (!s->s_gap || s->q_len > s->s_gap_pre)) {
		txf_set(s, txn, MT_SMTP_TXF_PIPELINED);
		s->piped = 1;
	}
	e = &s->q[(s->q_head + s->q_len) % MT_SMTP_QUEUE_DEPTH];
	e->kind = (uint8_t)kind;
	e->txn = txn;
	e->idx = idx;
	e->verb = s->cur_verb != 0 ? s->cur_verb : kind_verb[kind];
	e->cf = s->cur_cf;
	s->q_len++;
}

static const struct q_ent *
q_last(const struct mt_smtp *s)
{
	return &s->q[(s->q_head + s->q_len - 1) % MT_SMTP_QUEUE_DEPTH];
}

static struct q_ent
q_pop(struct mt_smtp *s)
{
	struct q_ent e = s->q[s->q_head];

	s->q_head = (uint8_t)((s->q_head + 1) % MT_SMTP_QUEUE_DEPTH);
	s->q_len--;
	return e;
}

/* The oldest command's reply fell in a gap: its transaction is flagged. */
static void
q_lost(struct mt_smtp *s)
{
	struct q_ent e = q_pop(s);

	txf_set(s, e.txn, MT_SMTP_TXF_GAP);
}

/* ---- transaction (parser side) ---- */

/* How an envelope-only transaction ends: REJECTED if its DATA was refused
 * or every recipient was, else ABORTED. */
static enum mt_smtp_end
env_end_how(const struct mt_smtp *s, unsigned *code)
{
	if (s->data_bad_code != 0) {
		*code = s->data_bad_code;
		return MT_SMTP_END_REJECTED;
	}
	if (s->rcpt_n > 0 && s->rcpt_pending == 0 && s->rcpt_ok == 0) {
		*code = s->rcpt_bad_code;
		return MT_SMTP_END_REJECTED;
	}
	*code = 0;
	return MT_SMTP_END_ABORTED;
}

/* An envelope is open and no message is being sent: a MAIL now is nested,
 * a HELO resets it when accepted.  (Between BDAT chunks counts.) */
static int
env_open(const struct mt_smtp *s)
{
	return s->phase == PH_ENV || (s->phase == PH_MSG && s->in != IN_DATA);
}

/* RSET, QUIT, an accepted HELO or MAIL: a transaction whose message is not
 * complete is over.  A complete one still waits for its verdict. */
static void
tx_abort(struct mt_smtp *s)
{
	unsigned code;
	enum mt_smtp_end how;

	if (s->phase == PH_ENV) {
		how = env_end_how(s, &code);
		cb_end(s, s->tx_id, how, code);
	} else if (s->phase == PH_MSG) {
		cb_end(s, s->tx_id, MT_SMTP_END_ABORTED, 0);
	}
	s->phase = PH_IDLE;
}

/* The transaction ended through a reply. */
static void
tx_ended(struct mt_smtp *s, uint32_t id, enum mt_smtp_end how, unsigned code)
{
	cb_end(s, id, how, code);
	if (id != 0 && id == s->tx_id && s->phase != PH_BDAT_SKIP)
		s->phase = PH_IDLE;
}

/* A new parser-side transaction id. */
static uint32_t
tx_new(struct mt_smtp *s)
{
	if (++s->tx_id == 0)
		s->tx_id = 1;
	s->txf[s->tx_id & 3] = s->midstream ? MT_SMTP_TXF_MIDSTREAM : 0;
	s->msg = MSG_NONE;
	s->rcpt_n = s->rcpt_pending = s->rcpt_ok = 0;
	s->rcpt_bad_code = s->data_bad_code = 0;
	s->tx_octets = 0;
	return s->tx_id;
}

/* Everything still live ends (TLS, close). */
static void
tx_end_all(struct mt_smtp *s, int tls)
{
	enum mt_smtp_end how;
	unsigned code = 0;

	s->hold_txn = 0;
	if (s->stash_txn != 0 && s->stash_txn != s->tx_id)
		stash_force(s);
	/* Only a transaction awaiting its verdict can be older than tx_id. */
	if (s->open_txn != 0 && s->open_txn != s->tx_id)
		cb_end(s, s->open_txn, tls ? MT_SMTP_END_INCOMPLETE :
		       MT_SMTP_END_UNCONFIRMED, 0);
	if (tls)
		how = MT_SMTP_END_INCOMPLETE;
	else if (s->msg == MSG_DONE && s->bdat_left == 0)
		how = MT_SMTP_END_UNCONFIRMED;
	else if (s->msg != MSG_NONE) /* open, or its last chunk cut short */
		how = MT_SMTP_END_INCOMPLETE;
	else
		how = env_end_how(s, &code);
	cb_end(s, s->tx_id, how, code);
	s->phase = PH_IDLE;
}

/* ---- paths ---- */

static int
ci_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (x >= 'a' && x <= 'z')
			x = (char)(x - 'a' + 'A');
		if (x != y)
			return 0;
	}
	return 1;
}

/*
 * "FROM:<path> params" / "TO: path": the path without brackets, and the
 * parameters after it.  A quoted local part may hold '>' or spaces.
 */
static int
path_parse(const char *a, size_t len, const char *kw, size_t kwlen,
	   const char **path, size_t *plen, const char **pr, size_t *prlen)
{
	size_t i, start, rest;
	int quoted = 0;

	if (len < kwlen || !ci_eq(a, kw, kwlen))
		return -1;
	for (i = kwlen; i < len && a[i] == ' '; i++)
		;
	if (i < len && a[i] == '<') {
		start = ++i;
		for (; i < len; i++) {
			if (quoted && a[i] == '\\' && i + 1 < len)
				i++;
			else if (a[i] == '"')
				quoted = !quoted;
			else if (a[i] == '>' && !quoted)
				break;
		}
		if (i == len) /* no '>': up to the first space */
			for (i = start; i < len && a[i] != ' '; i++)
				;
		rest = i < len && a[i] == '>' ? i + 1 : i;
	} else {
		start = i;
		for (; i < len && a[i] != ' '; i++)
			;
		rest = i;
	}
	*path = a + start;
	*plen = i - start;
	while (rest < len && a[rest] == ' ')
		rest++;
	*pr = a + rest;
	*prlen = len - rest;
	return 0;
}

/* ---- MAIL and its transaction ---- */

/* Start a transaction from a MAIL argument.  queue: push its CMD_MAIL. */
static void
tx_start(struct mt_smtp *s, const char *a, size_t alen, int queue)
{
	const char *path, *pr;
	size_t plen, prlen;
	uint32_t id;

	if (path_parse(a, alen, "FROM:", 5, &path, &plen, &pr, &prlen) < 0)
		return;
	id = tx_new(s);
	s->phase = PH_ENV;
	if (s->cmd_gap) {
		/* a gap in the commands before this MAIL may have taken part
		 * of its envelope (a pipelined burst): never claim it whole */
		txf_set(s, id, MT_SMTP_TXF_GAP);
		s->cmd_gap = 0;
	}
	if (queue)
		q_push(s, CMD_MAIL, id, 0);
	cb_begin(s, id, path, plen, pr, prlen);
}

static void
cmd_mail(struct mt_smtp *s, const char *a, size_t alen)
{
	const char *path, *pr;
	size_t plen, prlen;

	if (path_parse(a, alen, "FROM:", 5, &path, &plen, &pr, &prlen) < 0) {
		emit_event(s, MT_SMTP_EV_UNKNOWN_COMMAND);
		q_push(s, CMD_UNKNOWN, 0, 0);
		return;
	}
	if (env_open(s)) {
		/* nested: the server decides (servers answer 503) */
		s->nest_len = (uint16_t)MT_MIN(alen, sizeof(s->nest));
		memcpy(s->nest, a, s->nest_len);
		s->nest_gen++;
		q_push(s, CMD_MAIL_NESTED, s->tx_id, s->nest_gen);
		return;
	}
	tx_abort(s);
	tx_start(s, a, alen, 1);
}

/* The reply to a nested MAIL. */
static void
nested_reply(struct mt_smtp *s, const struct q_ent *e, unsigned code)
{
	uint32_t id;

	cb_reply(s, e->txn, code);
	if (code / 100 != 2 || e->idx != s->nest_gen)
		return;
	if (e->txn == s->tx_id && env_open(s))
		tx_abort(s);
	if (s->phase != PH_IDLE)
		return;
	tx_start(s, s->nest, s->nest_len, 0);
	id = s->tx_id;
	cb_reply(s, id, code);
}

/* A DATA refused (not 354). */
static void
data_refused(struct mt_smtp *s, const struct q_ent *e, unsigned code)
{
	if (s->in == IN_DATA && s->data_txn == e->txn) {
		s->in = IN_LINE;
		s->line_len = 0;
		s->gated = 0;
		s->c_gap = 0;
	}
	if (e->txn != 0 && e->txn == s->tx_id && s->phase == PH_MSG &&
	    !s->tx_octets && !(s->txf[e->txn & 3] & MT_SMTP_TXF_NO_MAIL) &&
	    s->msg == MSG_OPEN) {
		/* nothing of it was passed out: the server keeps the envelope */
		s->phase = PH_ENV;
		s->msg = MSG_NONE;
		s->data_bad_code = (uint16_t)code;
		return;
	}
	tx_ended(s, e->txn, MT_SMTP_END_REJECTED, code);
}

/* ---- AUTH ---- */

static int
b64_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static void
b64_stop(struct mt_smtp *s)
{
	s->b64_sink = B_NONE;
	s->b64_acc = 0;
	s->b64_bits = 0;
}

/* One octet of a SASL response.  Only identity octets are kept; the
 * decoder stops, its partial bits cleared, where the password starts. */
static void
b64_feed(struct mt_smtp *s, uint8_t c)
{
	int v = b64_val(c);
	uint8_t o;

	if (s->b64_sink == B_NONE)
		return;
	if (v < 0) {
		if (c == '=')
			b64_stop(s);
		return;
	}
	s->b64_acc = (s->b64_acc << 6) | (uint32_t)v;
	s->b64_bits += 6;
	if (s->b64_bits < 8)
		return;
	s->b64_bits -= 8;
	o = (uint8_t)(s->b64_acc >> s->b64_bits);
	s->b64_acc &= (1u << s->b64_bits) - 1;
	if (s->b64_sink == B_USER) {
		if (s->authcid_len < sizeof(s->authcid))
			s->authcid[s->authcid_len++] = (char)o;
		return;
	}
	if (o == 0) {
		if (++s->plain_field >= 2)
			b64_stop(s); /* the password follows */
		return;
	}
	if (s->plain_field == 0 && s->authzid_len < sizeof(s->authzid))
		s->authzid[s->authzid_len++] = (char)o;
	else if (s->plain_field == 1 && s->authcid_len < sizeof(s->authcid))
		s->authcid[s->authcid_len++] = (char)o;
}

/* Where the next response (or initial response) goes. */
static void
b64_start(struct mt_smtp *s)
{
	s->b64_acc = 0;
	s->b64_bits = 0;
	if (s->auth_mech == M_PLAIN && s->plain_field == 0 && s->authcid_len == 0)
		s->b64_sink = B_PLAIN;
	else if (s->auth_mech == M_LOGIN && !s->auth_user_done)
		s->b64_sink = B_USER;
	else
		s->b64_sink = B_NONE;
}

static void
auth_report(struct mt_smtp *s, unsigned code)
{
	struct mt_smtp_auth a = {
		.mech = s->mech, .mech_len = s->mech_len,
		.authzid = s->authzid, .authzid_len = s->authzid_len,
		.authcid = s->authcid, .authcid_len = s->authcid_len,
		.code = code,
	};

	if (!s->auth_active)
		return;
	s->auth_active = 0;
	s->auth_resp_left = 0;
	b64_stop(s);
	if (!s->hunt && s->ops->auth != NULL)
		s->ops->auth(s->ctx, &a);
}

/* The AUTH command line ended. */
static void
auth_cmd_done(struct mt_smtp *s)
{
	if (s->auth_active)
		auth_report(s, 0); /* a previous exchange never answered */
	s->auth_active = 1;
	if (s->auth_mech == M_PLAIN)
		s->auth_resp_left = s->auth_ir ? 0 : 1;
	else if (s->auth_mech == M_LOGIN) {
		s->auth_user_done = s->auth_ir;
		s->auth_resp_left = s->auth_ir ? 1 : 2;
	} else {
		s->auth_resp_left = 0; /* one per 334 */
	}
	b64_stop(s);
	q_push(s, CMD_AUTH, 0, 0);
	if (s->hunt) {
		s->hunt_last = CMD_AUTH;
		s->hunt_pending++;
	}
}

static void
auth_mech_done(struct mt_smtp *s)
{
	s->auth_mech_done = 1;
	if (s->mech_len == 5 && ci_eq(s->mech, "PLAIN", 5))
		s->auth_mech = M_PLAIN;
	else if (s->mech_len == 5 && ci_eq(s->mech, "LOGIN", 5))
		s->auth_mech = M_LOGIN;
	else
		s->auth_mech = M_OTHER;
}

/* The rest of an "AUTH " line: mechanism, then the initial response. */
static const uint8_t *
auth_feed(struct mt_smtp *s, const uint8_t *p, const uint8_t *end)
{
	const uint8_t *lf;

	while (p < end) {
		uint8_t c = *p++;

		if (c == '\n') {
			if (!s->auth_mech_done)
				auth_mech_done(s);
			s->in = IN_LINE;
			s->line_len = 0;
			s->gated = 0;
			auth_cmd_done(s);
			return p;
		}
		if (!s->auth_mech_done) {
			if (c == ' ' || c == '\r') {
				auth_mech_done(s);
				if (c == ' ') {
					s->auth_ir = 1;
					b64_start(s);
				}
			} else if (s->mech_len < sizeof(s->mech)) {
				s->mech[s->mech_len++] = (char)c;
			}
			continue;
		}
		if (s->b64_sink == B_NONE) {
			lf = memchr(p - 1, '\n', (size_t)(end - (p - 1)));
			p = lf != NULL ? lf : end;
			continue;
		}
		b64_feed(s, c);
	}
	return p;
}

/* A SASL response line: decoded for identity or skipped, never copied. */
static const uint8_t *
sasl_feed(struct mt_smtp *s, const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		const uint8_t *lf;
		uint8_t c;

		if (s->b64_sink == B_NONE) {
			lf = memchr(p, '\n', (size_t)(end - p));
			if (lf == NULL)
				return end;
			p = lf;
		}
		c = *p++;
		if (c != '\n') {
			b64_feed(s, c);
			continue;
		}
		b64_stop(s);
		if (s->auth_mech == M_LOGIN)
			s->auth_user_done = 1;
		if (s->auth_mech == M_PLAIN)
			s->plain_field = 2; /* one response only */
		if (s->auth_resp_left > 0)
			s->auth_resp_left--;
		s->in = IN_LINE;
		s->line_len = 0;
		s->gated = 0;
		q_push(s, CMD_AUTH_RESP, 0, 0);
		if (s->hunt)
			s->hunt_pending++;
		return p;
	}
	return p;
}

/* ---- replies ---- */

/* A reply while hunting: only looks for a safe point. */
static void
hunt_reply(struct mt_smtp *s, unsigned code)
{
	uint8_t last = s->hunt_last;

	s->hunt_last = CMD_UNKNOWN;
	if (code == 334) {
		if (s->auth_active && s->auth_mech == M_OTHER)
			s->auth_resp_left++;
		return;
	}
	if (s->auth_active)
		auth_report(s, code);
	if (code == 354) {
		s->hunt_msg = 1;
		s->hunt_pending = 0;
		return;
	}
	if (s->hunt_msg) {
		/* during a message the server says nothing but its verdict:
		 * the "." fell in a gap, the message is over */
		s->hunt_msg = 0;
		s->hunt_pending = 0;
		return;
	}
	if (code == 220 && last == CMD_STARTTLS) {
		emit_event(s, MT_SMTP_EV_STARTTLS);
		s->tls = 1;
		s->in = IN_STOP;
		return;
	}
	if (s->hunt_gap) {
		/* no line since the gap: a client that waits for each reply
		 * had one in flight, older ones' replies fell in the gap */
		s->hunt_gap = 0;
		if (s->hunt_pending > 1)
			s->hunt_pending = 1;
	}
	if (code == 220 && s->hunt_pending == 0 && !s->hunt_msg) {
		/* a greeting: the dialogue starts here */
		s->hunt = 0;
		if (!s->banner_done && s->ops->banner != NULL)
			s->ops->banner(s->ctx, code, s->banner, s->ban_len);
		s->banner_done = 1;
		return;
	}
	if (s->hunt_pending > 0)
		s->hunt_pending--;
}

static void cmd_data(struct mt_smtp *s);

/*
 * A 354 after command lines fell in a client gap, with no DATA waiting
 * for it: only DATA is answered 354, so the lost lines ended with one and
 * the client is sending the message now.  (Under ACK ordering none of it
 * was fed yet: the message's segments acknowledge this reply.)  A line
 * queued as unknown because the gap cut it is that DATA.  The transaction
 * carries the gap flag, so its mail is never taken as complete.
 */
static void
lost_data(struct mt_smtp *s)
{
	unsigned i;

	s->c_lost = 0;
	for (i = 0; i < s->q_len; i++)
		if (s->q[(s->q_head + i) % MT_SMTP_QUEUE_DEPTH].kind == CMD_DATA)
			return; /* a DATA seen: the ordinary match */
	if (s->in != IN_LINE)
		return;
	while (s->q_len > 0)
		q_lost(s); /* only DATA is answered 354: theirs were lost */
	s->line_len = 0;
	s->gated = 0;
	cmd_data(s);
	txf_set(s, s->tx_id, MT_SMTP_TXF_GAP);
}

static void reply_apply(struct mt_smtp *s, unsigned code);
static void data_end(struct mt_smtp *s);
static unsigned data_waiting(const struct mt_smtp *s);
static void resync_data_answered(struct mt_smtp *s, int with_reply);
static const uint8_t *data_feed(struct mt_smtp *s, const uint8_t *p, const uint8_t *end);
static int waits_reply(uint8_t kind);

/* Queue index of the DATA still waiting for its 354 (q_len: none): the
 * last one, unless the client sent its message already (its 354 fell in a
 * gap).  A client sends nothing after DATA before its 354. */
static unsigned
data_waiting(const struct mt_smtp *s)
{
	unsigned d = s->q_len, k;

	for (k = 0; k < s->q_len; k++) {
		uint8_t kind = s->q[(s->q_head + k) % MT_SMTP_QUEUE_DEPTH].kind;

		if (kind == CMD_DATA)
			d = k;
		else if (kind == CMD_EOD)
			d = s->q_len;
	}
	return d;
}

/* After a gap in the replies: if the client sent commands after it, and
 * only once it had the replies to those before (see reply_done), those
 * replies fell in the gap.  Returns 1 if so. */
static int
s_gap_settle(struct mt_smtp *s)
{
	unsigned pre = MT_MIN(s->s_gap_pre, s->q_len);

	if (s->q_len <= pre || !s->s_gap_wait)
		return 0;
	while (pre-- > 0)
		q_lost(s);
	s->s_gap_pre = 0;
	return 1;
}

/* Commands after which even a pipelining client waits for the reply
 * (RFC 2920 3.1: they end a group), and the greeting. */
static int
waits_reply(uint8_t kind)
{
	switch (kind) {
	case CMD_GREETING:
	case CMD_HELO:
	case CMD_DATA:
	case CMD_NOOP:
	case CMD_QUIT:
	case CMD_VRFY:
	case CMD_EXPN:
	case CMD_HELP:
	case CMD_STARTTLS:
	case CMD_AUTH:
	case CMD_AUTH_RESP:
		return 1;
	default:
		return 0;
	}
}

/* Replies held while resynchronising, in order from the oldest command. */
static void
resync_flush(struct mt_smtp *s)
{
	unsigned i, n = s->rs_n;

	s->rs_on = 0;
	s->rs_n = 0;
	for (i = 0; i < n; i++)
		reply_apply(s, s->rs_code[i]);
}

/*
 * RESYNC: a gap in the replies to a pipelined burst (MAIL, RCPTs, DATA,
 * maybe behind the end of the previous message) took some of them; which
 * ones is unknown, but not that the tap lost the oldest: replies come in
 * order.  So the replies seen after the gap are
 * held until the 354 that answers the burst's DATA, and then given to the
 * commands right before it; older ones lost theirs (and if there are more
 * replies than commands seen, the first ones answered commands the tap
 * lost).  With no DATA waiting
 * (or more replies than the queue holds) they go in order, oldest first.
 * Returns 1 if the reply was held.
 */
/*
 * The DATA waiting for its 354 was answered after all, by a refusal (the
 * client sent a command instead of a message: with_reply, the last held
 * reply was it) or by a 354 the tap lost (the message came: not
 * with_reply).  The held replies go to the commands right before it.
 */
static void
resync_data_answered(struct mt_smtp *s, int with_reply)
{
	unsigned d = data_waiting(s), n, k = s->rs_n;

	if (d == s->q_len) {
		resync_flush(s);
		return;
	}
	n = with_reply ? d + 1 : d;
	if (k > n) {
		memmove(s->rs_code, s->rs_code + (k - n), n * sizeof(s->rs_code[0]));
		s->rs_n = (uint8_t)n;
	}
	for (; k < n; n--)
		q_lost(s); /* their replies fell in the gap */
	resync_flush(s);
	if (!with_reply && s->q_len > 0 && s->q[s->q_head].kind == CMD_DATA)
		q_lost(s); /* its 354 fell in the gap */
}

static int
resync_hold(struct mt_smtp *s, unsigned code)
{
	unsigned d, k;

	d = data_waiting(s);
	if (d == s->q_len || (code != 354 && s->rs_n == MT_SMTP_QUEUE_DEPTH)) {
		resync_flush(s);
		return 0;
	}
	if (code != 354) {
		s->rs_code[s->rs_n++] = (uint16_t)code;
		return 1;
	}
	k = s->rs_n;
	if (k > d) {
		/* more replies than commands seen before the DATA: the first
		 * ones answered commands a client-side gap took */
		memmove(s->rs_code, s->rs_code + (k - d), d * sizeof(s->rs_code[0]));
		s->rs_n = (uint8_t)d;
	}
	for (; k < d; d--)
		q_lost(s); /* their replies fell in the gap */
	resync_flush(s);
	return 0;
}

static void
reply_done(struct mt_smtp *s, unsigned code)
{
	s->c_quiet = 0;
	s->vless = 0;
	s->s_gap_msg = 0;
	if (s->hunt) {
		hunt_reply(s, code);
		return;
	}
	if (s->in == IN_LOST) {
		/* the verdict of the message whose command the gap took: the
		 * client had the replies to everything before it */
		if (s->rs_on)
			resync_flush(s);
		while (s->q_len > 0)
			q_lost(s);
		data_end(s);
	}
	if (s->c_gap && s->in == IN_DATA && code != 354) {
		/* The end of data fell in the gap: this is its verdict.  (The
		 * client was in its message, so it had the 354: commands
		 * still queued lost their replies in a gap, the 354 too.) */
		if (s->rs_on)
			resync_flush(s);
		while (s->q_len > 0)
			q_lost(s);
		s->in = IN_LINE;
		s->line_len = 0;
		s->gated = 0;
		s->c_gap = 0;
		s->hunt = 0;
		q_push(s, CMD_EOD, s->data_txn, 0);
		if (s->data_txn != 0 && s->data_txn == s->tx_id && s->phase == PH_MSG) {
			s->phase = PH_DONE;
			s->msg = MSG_DONE;
		}
	}
	if (s->s_gap) {
		/* A client that waits for each reply had one command in
		 * flight when this reply was sent: if it sent commands after
		 * the gap, it had the replies to all those before (the tap
		 * lost them); if not, older entries than the last are
		 * commands whose replies the tap lost.  A pipelining client
		 * waits too after the commands that end a group (RFC 2920:
		 * EHLO, DATA, NOOP, ...).  Only DATA is answered 354: the
		 * commands before the DATA waiting for it lost their replies.
		 * (Otherwise: see RESYNC.) */
		int settled = s_gap_settle(s);
		unsigned d = code == 354 ? data_waiting(s) : s->q_len;

		if (d < s->q_len) {
			while (d-- > 0)
				q_lost(s);
		} else if (!settled && !s->piped) {
			while (s->q_len > 1)
				q_lost(s);
		}
		s->s_gap = 0;
	}
	if (s->c_lost && code == 354)
		lost_data(s);
	if (s->rs_on && resync_hold(s, code))
		return;
	reply_apply(s, code);
}

/* A server answers BDAT once it has the chunk: octets of it still expected
 * here are octets the tap lost (the hole was given way, not declared):
 * the transaction is never complete. */
static void
bdat_answered(struct mt_smtp *s, const struct q_ent *e)
{
	if (s->in == IN_BDAT && s->bdat_left > 0 && e->txn == s->data_txn)
		txf_set(s, e->txn, MT_SMTP_TXF_GAP);
}

/* Could this reply answer a command of this kind?  A reply that cannot
 * (250 to DATA, 221 or 354 to MAIL, RCPT or an end of data) says the
 * replies are not paired with the commands. */
static int
code_fits(uint8_t kind, unsigned code)
{
	unsigned cls = code / 100;

	if (cls == 4 || cls == 5)
		return 1;
	switch (kind) {
	case CMD_DATA:
		return code == 354;
	case CMD_MAIL:
	case CMD_MAIL_NESTED:
	case CMD_RCPT:
	case CMD_EOD:
	case CMD_BDAT:
	case CMD_BDAT_LAST:
		return cls == 2 && code != 220 && code != 221 && code != 235;
	default:
		return 1;
	}
}

/* The reply answers the oldest command waiting. */
static void
reply_apply(struct mt_smtp *s, unsigned code)
{
	struct q_ent e;
	int ok = code / 100 == 2;

	if (s->q_len == 0) {
		emit_event(s, MT_SMTP_EV_UNSOLICITED_REPLY);
		return;
	}
	e = q_pop(s);
	if (!code_fits(e.kind, code))
		txf_set(s, e.txn, MT_SMTP_TXF_GAP);

	switch (e.kind) {
	case CMD_GREETING:
		if (!s->banner_done && s->ops->banner != NULL)
			s->ops->banner(s->ctx, code, s->banner, s->ban_len);
		s->banner_done = 1;
		break;
	case CMD_HELO:
		if (ok && e.txn != 0 && e.txn == s->tx_id && env_open(s))
			tx_abort(s);
		break;
	case CMD_MAIL:
		cb_reply(s, e.txn, code);
		if (s->hold_txn != 0 && s->hold_txn == e.txn) {
			if (!ok) {
				s->stash_txn = 0;
				s->stash_len = 0;
			}
			s->hold_txn = 0;
			if (ok && s->open_txn == 0)
				stash_replay(s);
		}
		if (!ok)
			tx_ended(s, e.txn, MT_SMTP_END_REJECTED, code);
		break;
	case CMD_MAIL_NESTED:
		nested_reply(s, &e, code);
		break;
	case CMD_RCPT:
		if (e.txn != 0 && e.txn == s->tx_id && s->rcpt_pending > 0) {
			s->rcpt_pending--;
			if (ok)
				s->rcpt_ok++;
			else
				s->rcpt_bad_code = (uint16_t)code;
		}
		cb_rcpt_reply(s, e.txn, e.idx, code);
		cb_reply(s, e.txn, code);
		break;
	case CMD_DATA:
		if (code == 354) {
			txf_set(s, e.txn, TXF_I_GO);
			/* every RCPT was answered before this 354, one 2xx at
			 * least: if not, replies were paired wrong */
			if (e.txn != 0 && e.txn == s->tx_id &&
			    !(s->txf[e.txn & 3] & MT_SMTP_TXF_NO_MAIL) &&
			    (s->rcpt_pending > 0 || s->rcpt_ok == 0))
				txf_set(s, e.txn, MT_SMTP_TXF_GAP);
			if (e.txn != 0 && (s->txf[e.txn & 3] & MT_SMTP_TXF_NO_MAIL) &&
			    e.txn == s->tx_id)
				cb_begin(s, e.txn, "", 0, "", 0);
			cb_reply(s, e.txn, code);
			if (s->d_unsure && s->in == IN_LINE && s->line_len == 0 &&
			    e.txn == s->tx_id && s->phase == PH_MSG) {
				/* it was not lost after all: the message */
				s->in = IN_DATA;
				s->dstate = D_BOL;
				s->data_txn = e.txn;
			}
			s->d_unsure = 0;
			break;
		}
		s->d_unsure = 0;
		cb_reply(s, e.txn, code);
		data_refused(s, &e, code);
		break;
	case CMD_BDAT:
		bdat_answered(s, &e);
		cb_reply(s, e.txn, code);
		if (ok)
			break;
		cb_end(s, e.txn, MT_SMTP_END_REJECTED, code);
		if (e.txn != 0 && e.txn == s->tx_id && s->phase == PH_MSG)
			s->phase = PH_BDAT_SKIP;
		break;
	case CMD_EOD:
	case CMD_BDAT_LAST:
		if (e.kind == CMD_BDAT_LAST)
			bdat_answered(s, &e);
		cb_reply(s, e.txn, code);
		tx_ended(s, e.txn, ok ? MT_SMTP_END_ACCEPTED :
			 MT_SMTP_END_REJECTED, code);
		break;
	case CMD_AUTH:
	case CMD_AUTH_RESP:
		if (code == 334) {
			if (s->auth_active && s->auth_mech == M_OTHER)
				s->auth_resp_left++;
			break;
		}
		auth_report(s, code);
		break;
	case CMD_STARTTLS:
		if (code != 220)
			break;
		emit_event(s, MT_SMTP_EV_STARTTLS);
		auth_report(s, 0);
		tx_end_all(s, 1);
		s->tls = 1;
		s->in = IN_STOP;
		break;
	default:
		break;
	}
}

static void
reply_bad(struct mt_smtp *s, uint8_t c)
{
	if (!s->hunt)
		emit_event(s, MT_SMTP_EV_BAD_REPLY);
	s->rstate = c == '\n' ? R_D1 : R_BAD;
}

/* Is the line being read the first line of the greeting (or, hunting,
 * maybe one)?  Its text is the banner. */
static int
banner_line(const struct mt_smtp *s)
{
	if (s->banner_done || !s->rfirst)
		return 0;
	if (s->hunt)
		return s->rcode == 220;
	return s->q_len > 0 && s->q[s->q_head].kind == CMD_GREETING;
}

/* ---- reply text for fingerprinting (ops->reply_buf) ---- */

static void
rtext_add(struct mt_smtp *s, const void *p, size_t n)
{
	size_t k = MT_MIN(n, (size_t)(s->rbuf_cap - s->rbuf_len));

	memcpy(s->rbuf + s->rbuf_len, p, k);
	s->rbuf_len += (uint32_t)k;
	if (k < n)
		s->rbuf_trunc = 1;
}

/* A reply line's code and separator were read (c: '-', ' ', CR, LF). */
static void
rtext_line(struct mt_smtp *s, uint8_t c)
{
	char code[4];
	size_t cap = 0;

	if (s->rfirst) {
		s->rbuf = NULL;
		if (s->hunt || s->q_len == 0 || s->rbuf_off)
			return;
		s->rcmd.verb = s->q[s->q_head].verb;
		s->rcmd.flags = s->q[s->q_head].cf;
		s->rbuf = s->ops->reply_buf(s->ctx, &s->rcmd, &cap);
		s->rbuf_cap = (uint32_t)MT_MIN(cap, (size_t)UINT32_MAX);
		s->rbuf_len = 0;
		s->rbuf_trunc = 0;
		if (s->rbuf == NULL || s->rbuf_cap == 0) {
			s->rbuf = NULL;
			return;
		}
	} else if (s->rbuf == NULL) {
		return;
	} else {
		rtext_add(s, "\n", 1);
	}
	s->rbuf_line = s->rbuf_len;
	code[0] = (char)('0' + s->rcode / 100);
	code[1] = (char)('0' + s->rcode / 10 % 10);
	code[2] = (char)('0' + s->rcode % 10);
	code[3] = (char)c;
	rtext_add(s, code, c == '-' || c == ' ' ? 4 : 3);
}

static void
rtext_put(struct mt_smtp *s, const uint8_t *p, const uint8_t *e, int eol)
{
	rtext_add(s, p, (size_t)(e - p));
	if (eol)
		while (s->rbuf_len > s->rbuf_line && s->rbuf[s->rbuf_len - 1] == '\r')
			s->rbuf_len--;
}

/* The final line ended: hand the text over (before the reply's effects). */
static void
rtext_end(struct mt_smtp *s)
{
	char *b = s->rbuf;

	if (b == NULL)
		return;
	s->rbuf = NULL;
	if (s->ops->reply_text != NULL)
		s->ops->reply_text(s->ctx, &s->rcmd, s->rcode, b, s->rbuf_len, s->rbuf_trunc);
}

static void
reply_feed(struct mt_smtp *s, const uint8_t *p, const uint8_t *end)
{
	const uint8_t *lf;
	uint8_t c;

	while (p < end && !s->tls) {
		switch (s->rstate) {
		case R_D1:
			c = *p++;
			if (c < '1' || c > '5') {
				reply_bad(s, c);
				break;
			}
			s->rcode = (uint16_t)((c - '0') * 100);
			s->rstate = R_D2;
			break;
		case R_D2:
		case R_D3:
			c = *p++;
			if (c < '0' || c > '9') {
				reply_bad(s, c);
				break;
			}
			s->rcode += (uint16_t)((c - '0') * (s->rstate == R_D2 ? 10 : 1));
			s->rstate++;
			break;
		case R_SEP:
			c = *p++;
			if (s->ops->reply_buf != NULL && (c == '-' || c == ' ' || c == '\r' ||
							  c == '\n'))
				rtext_line(s, c);
			if (c == '-' || c == ' ' || c == '\r') {
				s->rfinal = c != '-';
				s->rstate = R_TEXT;
				s->rcap = banner_line(s) && c != '\r';
				if (s->rcap)
					s->ban_len = 0;
			} else if (c == '\n') {
				s->rstate = R_D1;
				if (banner_line(s))
					s->ban_len = 0;
				s->rfirst = 1;
				rtext_end(s);
				reply_done(s, s->rcode);
			} else {
				reply_bad(s, c);
			}
			break;
		case R_TEXT:
		case R_BAD:
			lf = memchr(p, '\n', (size_t)(end - p));
			if (s->rbuf != NULL && s->rstate == R_TEXT)
				rtext_put(s, p, lf != NULL ? lf : end, lf != NULL);
			if (s->rstate == R_TEXT && s->rcap) {
				const uint8_t *e = lf != NULL ? lf : end;
				size_t k = (size_t)(e - p);

				k = MT_MIN(k, sizeof(s->banner) - s->ban_len);
				memcpy(s->banner + s->ban_len, p, k);
				s->ban_len += (uint16_t)k;
				if (lf != NULL) {
					while (s->ban_len > 0 && s->banner[s->ban_len - 1] == '\r')
						s->ban_len--;
					s->rcap = 0;
				}
			}
			if (lf == NULL)
				return;
			p = lf + 1;
			if (s->rstate == R_TEXT && s->rfinal) {
				s->rstate = R_D1;
				s->rfirst = 1;
				rtext_end(s);
				reply_done(s, s->rcode);
				break;
			}
			if (s->rstate == R_TEXT)
				s->rfirst = 0;
			s->rstate = R_D1;
			break;
		}
	}
}

/* ---- commands ---- */

static const struct {
	char name[9];
	uint8_t len;
	uint8_t kind;
} verbs[] = {
	{ "HELO", 4, CMD_HELO },	 { "EHLO", 4, CMD_HELO },
	{ "LHLO", 4, CMD_HELO },	 { "MAIL", 4, CMD_MAIL },
	{ "RCPT", 4, CMD_RCPT },	 { "DATA", 4, CMD_DATA },
	{ "BDAT", 4, CMD_BDAT },	 { "RSET", 4, CMD_RSET },
	{ "QUIT", 4, CMD_QUIT },	 { "NOOP", 4, CMD_NOOP },
	{ "VRFY", 4, CMD_VRFY },	 { "EXPN", 4, CMD_EXPN },
	{ "HELP", 4, CMD_HELP },	 { "STARTTLS", 8, CMD_STARTTLS },
	{ "AUTH", 4, CMD_AUTH },	 { "XCLIENT", 7, CMD_XCLIENT },
	{ "XFORWARD", 8, CMD_XFORWARD },
};

static enum cmd_kind
verb_kind(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < MT_ARRAY_SIZE(verbs); i++)
		if (verbs[i].len == len && ci_eq(v, verbs[i].name, len))
			return (enum cmd_kind)verbs[i].kind;
	return CMD_UNKNOWN;
}

/* Hunting: could a line starting with these GATE octets be a command? */
static int
hunt_gate_ok(const char *l)
{
	size_t i, n;

	for (i = 0; i < MT_ARRAY_SIZE(verbs); i++) {
		n = MT_MIN((size_t)verbs[i].len, (size_t)GATE);
		if (!ci_eq(l, verbs[i].name, n))
			continue;
		if (n == GATE || l[n] == ' ' || l[n] == '\r')
			return 1;
	}
	return 0;
}

/* "n" or "n LAST" */
static int
bdat_parse(const char *a, size_t len, uint64_t *n, int *last)
{
	size_t i = 0;
	uint64_t v = 0;

	if (len == 0 || a[0] < '0' || a[0] > '9')
		return -1;
	for (; i < len && a[i] >= '0' && a[i] <= '9'; i++) {
		unsigned d = (unsigned)(a[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (i < len && a[i] != ' ')
		return -1;
	while (i < len && a[i] == ' ')
		i++;
	*n = v;
	*last = 0;
	if (i == len)
		return 0;
	if (len - i == 4 && ci_eq(a + i, "LAST", 4)) {
		*last = 1;
		return 0;
	}
	return -1;
}

static void
cmd_rcpt(struct mt_smtp *s, const char *a, size_t alen)
{
	const char *path, *pr;
	size_t plen, prlen;

	if (path_parse(a, alen, "TO:", 3, &path, &plen, &pr, &prlen) < 0) {
		emit_event(s, MT_SMTP_EV_UNKNOWN_COMMAND);
		q_push(s, CMD_UNKNOWN, 0, 0);
		return;
	}
	if (s->phase != PH_ENV) {
		emit_event(s, MT_SMTP_EV_OUT_OF_SEQUENCE);
		q_push(s, CMD_RCPT, 0, 0);
		return;
	}
	q_push(s, CMD_RCPT, s->tx_id, s->rcpt_n);
	s->rcpt_n++;
	s->rcpt_pending++;
	cb_rcpt(s, s->tx_id, s->rcpt_n - 1, path, plen, pr, prlen);
}

/* The client enters message mode at once: it must wait for 354, so what
 * follows is the message unless the reply says otherwise.  With no
 * envelope (or after BDAT chunks) the reply decides too. */
static void
cmd_data(struct mt_smtp *s)
{
	uint32_t owner;

	if (s->phase == PH_ENV || s->phase == PH_MSG) {
		owner = s->tx_id;
		if (s->rcpt_n == 0 || s->phase == PH_MSG)
			emit_event(s, MT_SMTP_EV_OUT_OF_SEQUENCE);
	} else {
		/* no MAIL seen: a transaction of its own if answered 354;
		 * commands lost before it were its own (never complete) */
		emit_event(s, MT_SMTP_EV_OUT_OF_SEQUENCE);
		owner = tx_new(s);
		txf_set(s, owner, MT_SMTP_TXF_NO_MAIL);
		if (s->cmd_gap)
			txf_set(s, owner, MT_SMTP_TXF_GAP);
		s->cmd_gap = 0;
	}
	s->phase = PH_MSG;
	s->msg = MSG_OPEN;
	q_push(s, CMD_DATA, owner, 0);
	s->data_txn = owner;
	s->dstate = D_BOL;
	s->c_gap = 0;
	s->in = IN_DATA;
	if (s->rs_on) {
		/* replies are held (RESYNC): whether this DATA gets its 354
		 * or a refusal is not known yet, so the client's next line
		 * tells, as when its reply may be lost */
		s->in = IN_LINE;
		s->d_unsure = 1;
	}
}

static void
cmd_bdat(struct mt_smtp *s, const char *a, size_t alen)
{
	uint32_t owner = 0;
	uint64_t n;
	int last;

	if (bdat_parse(a, alen, &n, &last) < 0) {
		emit_event(s, MT_SMTP_EV_UNKNOWN_COMMAND);
		q_push(s, CMD_UNKNOWN, 0, 0);
		return;
	}
	if (s->hunt) { /* skip the chunk, never parse it as lines */
		s->data_txn = 0;
		s->bdat_left = n;
		if (n > 0)
			s->in = IN_BDAT;
		return;
	}
	switch (s->phase) {
	case PH_ENV:
		if (s->rcpt_n == 0)
			emit_event(s, MT_SMTP_EV_OUT_OF_SEQUENCE);
		/* fallthrough */
	case PH_MSG:
		owner = s->tx_id;
		s->phase = last ? PH_DONE : PH_MSG;
		s->msg = last ? MSG_DONE : MSG_OPEN;
		txf_set(s, owner, MT_SMTP_TXF_BDAT);
		break;
	case PH_BDAT_SKIP:
		if (last)
			s->phase = PH_IDLE;
		break;
	default:
		emit_event(s, MT_SMTP_EV_OUT_OF_SEQUENCE);
		break;
	}
	q_push(s, last ? CMD_BDAT_LAST : CMD_BDAT, owner, 0);
	s->data_txn = owner;
	s->bdat_left = n;
	if (n > 0)
		s->in = IN_BDAT;
}

/*
 * Hunting: could this line be the command it starts like, or is it text
 * of a message (or BDAT chunk) whose start the tap never saw ("data
 * sheet attached", "quit smoking")?  Arguments as RFC 5321 has them.
 */
static int
hunt_plausible(enum cmd_kind kind, const char *a, size_t alen)
{
	const char *path, *pr;
	size_t plen, prlen;

	switch (kind) {
	case CMD_DATA:
	case CMD_RSET:
	case CMD_QUIT:
	case CMD_STARTTLS:
		return alen == 0;
	case CMD_HELO:
	case CMD_VRFY:
	case CMD_EXPN:
	case CMD_AUTH:
		return alen > 0;
	case CMD_RCPT:
		return path_parse(a, alen, "TO:", 3, &path, &plen, &pr, &prlen) == 0;
	default:
		return 1;
	}
}

/*
 * LOST MESSAGE: after a command-mode gap (and the rest of the line it cut),
 * the client sent another line with no verb before any reply (or, any
 * time after such a gap, two in a row with no reply between them): no client
 * sends such a line as a command (not even a pipelining one, whose
 * commands all have verbs), so it is sending message octets whose DATA or
 * BDAT line fell in the gap (a BDAT chunk gets no 354 to say so; a 354 of
 * DATA may be lost too).  Replies to the commands before it came before
 * those octets (they acknowledge them) or are lost.  The octets up to the
 * next reply go to the open transaction raw (no dot-unstuffing: which
 * command it was is unknown), flagged gap; that reply is its verdict.
 */
static void
lost_msg(struct mt_smtp *s, const char *l, size_t len)
{
	static const uint8_t crlf[2] = { '\r', '\n' };
	uint32_t owner = env_open(s) && s->rcpt_n > 0 ? s->tx_id : 0;

	if (s->q_len > 0 && q_last(s)->kind == CMD_UNKNOWN)
		s->q_len--; /* the line taken for the cut line's rest: text too */
	s->c_quiet = 0;
	s->data_txn = owner;
	if (owner != 0) {
		txf_set(s, owner, MT_SMTP_TXF_GAP);
		s->phase = PH_MSG;
		s->msg = MSG_OPEN;
	}
	if (s->d_unsure) {
		/* the command was the DATA seen, its 354 was lost: the
		 * message as usual, from this line */
		s->d_unsure = 0;
		if (s->rs_on)
			resync_data_answered(s, 0);
		s->in = IN_DATA;
		s->dstate = D_BOL;
		(void)data_feed(s, (const uint8_t *)l, (const uint8_t *)l + len);
		(void)data_feed(s, crlf, crlf + sizeof(crlf));
		return;
	}
	cb_data(s, owner, (const uint8_t *)l, len);
	cb_data(s, owner, crlf, sizeof(crlf));
	s->in = IN_LOST;
}

/* A complete line while hunting. */
static void
hunt_line(struct mt_smtp *s, const char *l, size_t len, enum cmd_kind kind,
	  const char *a, size_t alen)
{
	unsigned i;

	if (s->hunt_msg) {
		if (len == 1 && l[0] == '.') {
			s->hunt_msg = 0;
			s->hunt_pending++;
		}
		return;
	}
	if (s->hunt_gap && (kind != CMD_UNKNOWN || (len == 1 && l[0] == '.'))) {
		/* a command sent after a gap in the replies: a client that
		 * waits had the replies to the lines before it */
		s->hunt_gap = 0;
		s->hunt_pending = (uint8_t)(s->hunt_pending - MT_MIN(s->hunt_pending, s->hunt_pre));
	}
	if (len == 1 && l[0] == '.') {
		/* The end of a message whose 354 came before the capture:
		 * the command-looking lines since the last reply were its
		 * text ("data ...", "help ..."), not commands awaiting
		 * replies.  Only this "." waits for one (the verdict). */
		s->hunt_pending = 1;
		return;
	}
	if (kind == CMD_UNKNOWN || !hunt_plausible(kind, a, alen))
		return;
	if (kind == CMD_MAIL) {
		const char *path, *pr;
		size_t plen, prlen;

		if (path_parse(a, alen, "FROM:", 5, &path, &plen, &pr, &prlen) < 0)
			return;
		/* safe point: the lines still waiting go first */
		s->hunt = 0;
		for (i = 0; i < s->hunt_pending && i + 1 < MT_SMTP_QUEUE_DEPTH; i++)
			q_push(s, CMD_UNKNOWN, 0, 0);
		s->hunt_pending = 0;
		s->phase = PH_IDLE;
		s->hold_txn = s->tx_id + 1 != 0 ? s->tx_id + 1 : 1;
		tx_start(s, a, alen, 1);
		return;
	}
	if (kind == CMD_BDAT)
		cmd_bdat(s, a, alen);
	if (s->hunt_pending < UINT8_MAX)
		s->hunt_pending++;
	s->hunt_last = (uint8_t)kind;
}

/* A held candidate is followed, before its MAIL is answered, by a line
 * that is no command (text, "."): it was a message line; hunt again. */
static void
hunt_again(struct mt_smtp *s)
{
	if (s->stash_txn == s->hold_txn) {
		s->stash_txn = 0;
		s->stash_len = 0;
	}
	s->hold_txn = 0;
	s->phase = PH_IDLE;
	s->q_len = 0;
	s->hunt = 1;
	s->hunt_pending = 0;
	s->hunt_msg = 0;
	s->hunt_last = CMD_UNKNOWN;
}

static void
line_done(struct mt_smtp *s)
{
	const char *l = s->line, *a;
	size_t len = s->line_len, v, alen;
	enum cmd_kind kind;

	s->line_len = 0;
	s->gated = 0;
	while (len > 0 && (l[len - 1] == '\r' || l[len - 1] == ' ' ||
			   l[len - 1] == '\t'))
		len--;
	for (v = 0; v < len && l[v] != ' '; v++)
		;
	for (a = l + v, alen = len - v; alen > 0 && *a == ' '; a++, alen--)
		;
	kind = verb_kind(l, v);
	if (s->c_tail != 0) {
		uint8_t t = s->c_tail;

		s->c_tail = 0;
		if (kind == CMD_UNKNOWN && !s->hunt) {
			/* no verb: the rest of a line whose start fell in
			 * the gap, not a line of its own.  Its reply will
			 * come: queued once, at the gap or here. */
			if (t == TAIL_LOST)
				q_push(s, CMD_UNKNOWN, 0, 0);
			return;
		}
	}
	if (kind == CMD_UNKNOWN && !s->hunt &&
	    (s->c_quiet || s->d_unsure || (s->c_lost && s->vless > 0))) {
		lost_msg(s, l, len);
		return;
	}
	if (s->rs_on && s->rs_n > 0 && kind != CMD_UNKNOWN && !s->hunt &&
	    data_waiting(s) < s->q_len)
		resync_data_answered(s, 1); /* a command, not the message */
	s->vless = kind == CMD_UNKNOWN ? (uint8_t)MT_MIN(s->vless + 1, 2) : 0;
	if (!s->hunt && s->hold_txn != 0 && kind == CMD_UNKNOWN)
		hunt_again(s); /* the candidate MAIL was message text */
	if (s->hunt) {
		hunt_line(s, l, len, kind, a, alen);
		return;
	}
	switch (kind) {
	case CMD_HELO:
		if (s->ops->helo != NULL)
			s->ops->helo(s->ctx, a, alen);
		q_push(s, kind, env_open(s) ? s->tx_id : 0, 0);
		return;
	case CMD_MAIL:
		cmd_mail(s, a, alen);
		return;
	case CMD_RCPT:
		cmd_rcpt(s, a, alen);
		return;
	case CMD_DATA:
		cmd_data(s);
		return;
	case CMD_BDAT:
		cmd_bdat(s, a, alen);
		return;
	case CMD_AUTH: /* "AUTH" alone (the gate takes "AUTH x") */
		s->mech_len = 0;
		s->auth_mech = M_OTHER;
		s->auth_ir = 0;
		auth_cmd_done(s);
		return;
	case CMD_RSET:
	case CMD_QUIT:
		tx_abort(s);
		break;
	case CMD_XCLIENT:
	case CMD_XFORWARD:
		if (s->ops->xattr != NULL)
			s->ops->xattr(s->ctx, l, v, a, alen);
		break;
	case CMD_UNKNOWN:
		emit_event(s, MT_SMTP_EV_UNKNOWN_COMMAND);
		break;
	default:
		break;
	}
	q_push(s, kind, 0, 0);
}

/* ---- client byte machines ---- */

/* The first GATE octets of a line decide how the rest is taken. */
static const uint8_t *
line_gate(struct mt_smtp *s, const uint8_t *p, const uint8_t *end)
{
	while (p < end && s->line_len < GATE && *p != '\n')
		s->line[s->line_len++] = (char)*p++;
	if (p == end || *p == '\n')
		return p;
	s->gated = 1;
	if (ci_eq(s->line, "AUTH ", 5)) {
		s->in = IN_AUTH;
		s->mech_len = 0;
		s->auth_mech_done = 0;
		s->auth_ir = 0;
		s->plain_field = 0;
		s->authzid_len = s->authcid_len = 0;
		s->auth_user_done = 0;
		b64_stop(s);
	} else if (s->hunt && (s->hunt_msg || !hunt_gate_ok(s->line))) {
		s->in = IN_DROP;
	}
	return p;
}

/*
 * Fingerprinting: the facts about a complete command line that its
 * reply's ops->reply_buf call reports (set before line_done queues it).
 */
static void
cmd_note(struct mt_smtp *s)
{
	const char *l = s->line, *lt, *gt;
	size_t len = s->line_len, v;

	while (len > 0 && (l[len - 1] == '\r' || l[len - 1] == ' ' || l[len - 1] == '\t'))
		len--;
	for (v = 0; v < len && l[v] != ' '; v++)
		;
	s->cur_cf = (uint8_t)((v < len ? MT_SMTP_CF_ARG : 0) |
			      (memchr(l, 0, len) != NULL ? MT_SMTP_CF_NUL : 0));
	if (v != 4)
		return;
	if (ci_eq(l, "EHLO", 4)) {
		s->cur_verb = MT_SMTP_V_EHLO;
	} else if (ci_eq(l, "LHLO", 4)) {
		s->cur_verb = MT_SMTP_V_LHLO;
	} else if (ci_eq(l, "RCPT", 4) || ci_eq(l, "MAIL", 4)) {
		if (ci_eq(l, "RCPT", 4) && s->phase != PH_ENV)
			s->cur_cf |= MT_SMTP_CF_NO_MAIL;
		lt = memchr(l, '<', len);
		gt = lt != NULL ? memchr(lt, '>', len - (size_t)(lt - l)) : NULL;
		if (gt == NULL)
			s->cur_cf |= MT_SMTP_CF_BAD_PATH;
	}
}

static const uint8_t *
line_feed(struct mt_smtp *s, const uint8_t *p, const uint8_t *end)
{
	const uint8_t *lf;
	size_t take;

	if (s->in == IN_LINE && s->line_len == 0 && !s->gated &&
	    s->auth_active && s->auth_resp_left > 0) {
		s->in = IN_SASL;
		b64_start(s);
		return p;
	}
	if (s->in == IN_LINE && !s->gated) {
		p = line_gate(s, p, end);
		if (p == end || s->in != IN_LINE)
			return p;
	}
	lf = memchr(p, '\n', (size_t)(end - p));
	take = (size_t)((lf != NULL ? lf : end) - p);
	if (s->in == IN_LINE) {
		if (take > (size_t)(MT_SMTP_LINE_MAX - s->line_len)) {
			emit_event(s, MT_SMTP_EV_LINE_TOO_LONG);
			s->in = IN_SKIP;
			s->line_len = 0;
		} else {
			memcpy(s->line + s->line_len, p, take);
			s->line_len += (uint16_t)take;
		}
	}
	if (lf == NULL)
		return end;
	if (s->in == IN_SKIP) {
		/* still queued: the server answers it (500 line too long) */
		s->cur_cf = MT_SMTP_CF_TOO_LONG;
		q_push(s, CMD_UNKNOWN, 0, 0);
		s->cur_cf = 0;
		s->in = IN_LINE;
		s->line_len = 0;
		s->gated = 0;
	} else if (s->in == IN_DROP) {
		s->in = IN_LINE;
		s->line_len = 0;
		s->gated = 0;
	} else {
		if (s->ops->reply_buf != NULL)
			cmd_note(s);
		line_done(s);
		s->cur_verb = 0;
		s->cur_cf = 0;
	}
	return lf + 1;
}

static void
data_end(struct mt_smtp *s)
{
	q_push(s, CMD_EOD, s->data_txn, 0);
	if (s->s_gap_msg) {
		/* a gap in the replies came during the message: it may hold
		 * this verdict, as if it came now */
		s->s_gap_msg = 0;
		s->s_gap = 1;
		s->s_gap_pre = s->q_len;
		s->s_gap_wait = !s->piped;
		if (s->piped)
			s->rs_on = 1;
	}
	if (s->data_txn != 0 && s->data_txn == s->tx_id &&
	    s->phase == PH_MSG) {
		s->phase = PH_DONE;
		s->msg = MSG_DONE;
	}
	s->in = IN_LINE;
	s->line_len = 0;
	s->gated = 0;
	s->c_gap = 0;
	s->dstate = D_BOL;
}

static const uint8_t *
data_feed(struct mt_smtp *s, const uint8_t *p, const uint8_t *end)
{
	static const uint8_t cr = '\r';
	const uint8_t *run = p, *lf;
	int crlf;

	while (p < end) {
		switch (s->dstate) {
		case D_BOL:
			if (*p == '.') {
				cb_data(s, s->data_txn, run, (size_t)(p - run));
				run = ++p;
				s->dstate = D_DOT;
				break;
			}
			s->dstate = D_TEXT;
			/* fallthrough */
		case D_TEXT:
		case D_CR:
			lf = memchr(p, '\n', (size_t)(end - p));
			if (lf == NULL) {
				s->dstate = end[-1] == '\r' ? D_CR : D_TEXT;
				p = end;
				break;
			}
			crlf = lf > p ? lf[-1] == '\r' : s->dstate == D_CR;
			if (!crlf)
				txf_set(s, s->data_txn, MT_SMTP_TXF_BARE_LF);
			s->dstate = crlf ? D_BOL : D_TEXT;
			p = lf + 1;
			break;
		case D_DOT:
			if (*p == '\r') {
				run = ++p;
				s->dstate = D_DOT_CR;
				break;
			}
			/* a stuffed dot: dropped, the line goes on */
			run = p;
			s->dstate = D_TEXT;
			break;
		case D_DOT_CR:
			if (*p == '\n') {
				data_end(s);
				return p + 1;
			}
			/* ".\r" then text: the dot was stuffing, the CR is text */
			cb_data(s, s->data_txn, &cr, 1);
			run = p;
			s->dstate = D_CR;
			break;
		}
	}
	cb_data(s, s->data_txn, run, (size_t)(p - run));
	return p;
}

static const uint8_t *
bdat_feed(struct mt_smtp *s, const uint8_t *p, const uint8_t *end)
{
	size_t take = (size_t)MT_MIN((uint64_t)(end - p), s->bdat_left);

	cb_data(s, s->data_txn, p, take);
	s->bdat_left -= take;
	if (s->bdat_left == 0) {
		s->in = IN_LINE;
		s->line_len = 0;
		s->gated = 0;
	}
	return p + take;
}

/* ---- public ---- */

size_t
mt_smtp_size(void)
{
	return sizeof(struct mt_smtp);
}

void
mt_smtp_init(struct mt_smtp *s, const struct mt_smtp_ops *ops, void *ctx)
{
	memset(s, 0, offsetof(struct mt_smtp, line));
	s->ops = ops != NULL ? ops : &no_ops;
	s->ctx = ctx;
	s->rfirst = 1;
	q_push(s, CMD_GREETING, 0, 0);
}

void
mt_smtp_init_midstream(struct mt_smtp *s, const struct mt_smtp_ops *ops, void *ctx)
{
	mt_smtp_init(s, ops, ctx);
	s->q_len = 0; /* no greeting to wait for */
	s->hunt = 1;
	s->midstream = 1;
	s->hunt_last = CMD_UNKNOWN;
	s->rbuf_off = 1; /* commands seen while hunting are placeholders */
}

/*
 * A gap of exactly the octets that complete the command line begun as one
 * without argument ("RSE" + 3 lost: "T" CR LF): the line was that command.
 * The tap counts lost octets exactly, so nothing else fits in the gap.
 * Completes s->line and returns 1 if so.
 */
static int
gap_completes(struct mt_smtp *s, uint32_t n)
{
	static const char *const bare[] = { "DATA\r\n", "RSET\r\n", "QUIT\r\n", "NOOP\r\n",
					    "STARTTLS\r\n" };
	size_t i, vl, have = s->line_len;

	for (i = 0; i < MT_ARRAY_SIZE(bare); i++) {
		vl = strlen(bare[i]); /* with CR LF */
		if (have == 0 || have >= vl || n != vl - have || !ci_eq(s->line, bare[i], have))
			continue;
		memcpy(s->line + have, bare[i] + have, vl - 2 > have ? vl - 2 - have : 0);
		s->line_len = (uint16_t)(vl - 2);
		return 1;
	}
	return 0;
}

void
mt_smtp_gap(struct mt_smtp *s, enum mt_dir dir, uint32_t n)
{
	if (s->closed || s->tls || n == 0)
		return;
	s->rbuf = NULL; /* a reply cut by the gap is not reported, nor */
	s->rbuf_off = 1; /* any later one (ops->reply_buf) */
	/* the transaction whose replies are coming; a reply lost in a gap
	 * flags its own command's transaction when that shows (q_lost) */
	txf_set(s, s->open_txn, MT_SMTP_TXF_GAP);
	if (s->phase != PH_IDLE && dir == MT_DIR_C2S)
		txf_set(s, s->tx_id, MT_SMTP_TXF_GAP);
	if (dir == MT_DIR_S2C) {
		int answered = 0;

		/* a final line whose end fell in the gap still answered its
		 * command; any other partial line is dropped, and the next
		 * octet starts a line (a fragment is a bad reply, skipped) */
		if (s->rstate == R_TEXT && s->rfinal) {
			s->rstate = R_D1;
			s->rfirst = 1;
			reply_done(s, s->rcode);
			answered = 1;
		}
		s->rstate = R_D1;
		s->rcap = 0;
		if (s->s_gap)
			s_gap_settle(s); /* a second gap before any reply */
		s->s_gap = 1;
		s->s_gap_pre = s->q_len;
		s->s_gap_wait = !s->piped || (s->q_len > 0 && waits_reply(q_last(s)->kind));
		if (s->hunt) {
			s->hunt_gap = 1;
			s->hunt_pre = s->hunt_pending;
		}
		if (s->piped && s->q_len > 0)
			s->rs_on = 1;
		/* nothing waits while the client sends its message, but the
		 * tap may declare a verdict lost before the end of data it
		 * answers: data_end() takes the gap as its own */
		s->s_gap_msg = s->in == IN_DATA && s->q_len == 0 && !s->hunt;
		if (s->in == IN_DATA && !s->hunt && s->q_len > 0 && q_last(s)->kind == CMD_DATA &&
		    s->dstate == D_BOL && !s->tx_octets) {
			/* The DATA's reply may be in this gap: a 354, or a
			 * refusal.  The client's next line tells: a command
			 * (RSET, MAIL, QUIT) says refused, text says the
			 * message (LOST MESSAGE).  Until then, lines. */
			s->in = IN_LINE;
			s->line_len = 0;
			s->gated = 0;
			s->c_quiet = 1;
			s->d_unsure = 1;
		}
		if (s->in == IN_DATA && s->c_gap && s->q_len == 0 && !s->hunt && !answered) {
			/* While a message is sent the server says nothing but
			 * its verdict: the terminator fell in the client's gap
			 * and the verdict in this one.  The message ends here,
			 * so the client's next command is not taken as text.
			 * (Not when the gap only took the end of the reply
			 * that let the message start: its 354.) */
			uint32_t id = s->data_txn;

			data_end(s);
			(void)q_pop(s);
			tx_ended(s, id, MT_SMTP_END_UNCONFIRMED, 0);
		}
		return;
	}
	switch (s->in) {
	case IN_BDAT:
		if (n < s->bdat_left) {
			s->bdat_left -= n;
			return;
		}
		s->bdat_left = 0;
		s->in = IN_LINE;
		s->line_len = 0;
		s->gated = 0;
		return;
	case IN_DATA:
		s->dstate = D_TEXT; /* where the line stands is unknown */
		s->c_gap = 1;
		return;
	case IN_AUTH:
	case IN_SASL:
		b64_stop(s); /* the rest of the line is skipped */
		return;
	case IN_SKIP:
	case IN_LINE:
		if (s->in == IN_LINE && s->c_tail == 0 && gap_completes(s, n)) {
			line_done(s); /* nothing else was lost */
			return;
		}
		if (s->c_tail == TAIL_QUEUED) {
			/* a second gap in the line the last one cut: it is
			 * queued already */
		} else if (s->in == IN_SKIP || s->line_len > 0 || s->c_tail == TAIL_LOST) {
			q_push(s, CMD_UNKNOWN, 0, 0); /* its reply will come */
			s->c_tail = TAIL_QUEUED;
		} else {
			s->c_tail = TAIL_LOST;
		}
		/* whole lines may be lost too: a 354 then says one was DATA */
		s->c_lost = !s->hunt;
		s->c_quiet = 1;
		/* fallthrough */
	case IN_DROP:
		/* lost commands belong to the open transaction (flagged
		 * above) unless none is open or the client pipelines, when
		 * they may be the next one's MAIL or RCPTs (hunting inside a
		 * message, the lost octets were its text) */
		if ((s->phase == PH_IDLE || s->piped) && !(s->hunt && s->hunt_msg))
			s->cmd_gap = 1;
		s->in = IN_LINE;
		s->line_len = 0;
		s->gated = 0;
		return;
	default:
		return;
	}
}

void
mt_smtp_feed(struct mt_smtp *s, enum mt_dir dir, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;

	if (s->closed || s->tls || n == 0)
		return;
	if (dir == MT_DIR_S2C) {
		reply_feed(s, p, end);
		return;
	}
	while (p < end) {
		switch (s->in) {
		case IN_LINE:
		case IN_SKIP:
		case IN_DROP:
			p = line_feed(s, p, end);
			break;
		case IN_AUTH:
			p = auth_feed(s, p, end);
			break;
		case IN_SASL:
			p = sasl_feed(s, p, end);
			break;
		case IN_DATA:
			p = data_feed(s, p, end);
			break;
		case IN_BDAT:
			p = bdat_feed(s, p, end);
			break;
		case IN_LOST:
			cb_data(s, s->data_txn, p, (size_t)(end - p));
			return;
		default:
			return;
		}
	}
}

void
mt_smtp_close(struct mt_smtp *s)
{
	if (s->closed)
		return;
	s->closed = 1;
	s->in = IN_STOP;
	if (s->rs_on)
		resync_flush(s);
	if (!s->tls) {
		auth_report(s, 0);
		tx_end_all(s, 0);
	}
}

int
mt_smtp_is_tls(const struct mt_smtp *s)
{
	return s->tls;
}

const char *
mt_smtp_end_str(enum mt_smtp_end how)
{
	static const char *const names[] = {
		[MT_SMTP_END_ACCEPTED] = "accepted",
		[MT_SMTP_END_REJECTED] = "rejected",
		[MT_SMTP_END_ABORTED] = "aborted",
		[MT_SMTP_END_UNCONFIRMED] = "unconfirmed",
		[MT_SMTP_END_INCOMPLETE] = "incomplete",
	};

	if ((unsigned)how >= MT_ARRAY_SIZE(names))
		return "unknown";
	return names[how];
}

const char *
mt_smtp_event_str(enum mt_smtp_event ev)
{
	static const char *const names[] = {
		[MT_SMTP_EV_LINE_TOO_LONG] = "line_too_long",
		[MT_SMTP_EV_QUEUE_OVERFLOW] = "queue_overflow",
		[MT_SMTP_EV_UNKNOWN_COMMAND] = "unknown_command",
		[MT_SMTP_EV_OUT_OF_SEQUENCE] = "out_of_sequence",
		[MT_SMTP_EV_UNSOLICITED_REPLY] = "unsolicited_reply",
		[MT_SMTP_EV_BAD_REPLY] = "bad_reply",
		[MT_SMTP_EV_STARTTLS] = "starttls",
	};

	if ((unsigned)ev >= MT_ARRAY_SIZE(names))
		return "unknown";
	return names[ev];
}
