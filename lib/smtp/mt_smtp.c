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
 * Lines end at LF for commands (a CR before it is dropped).  In message
 * mode only CR LF ends a line, as RFC 5321 says: "\n.\n" and "\n.\r\n" are
 * message text here (SMTP smuggling: such text always reaches ops->data).
 */
#include <string.h>

#include "mt_smtp.h"

#define STASH_MAX 512

enum cmd_kind {
	CMD_GREETING,
	CMD_HELO,
	CMD_MAIL,
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
	CMD_UNKNOWN,
};

enum in_mode { IN_LINE, IN_SKIP, IN_DATA, IN_BDAT, IN_STOP };
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
enum stash_rec { S_BEGIN, S_RCPT, S_RCPT_REPLY };

struct q_ent {
	uint32_t txn; /* 0: no transaction */
	uint32_t idx; /* CMD_RCPT: recipient number */
	uint8_t kind;
};

struct mt_smtp {
	const struct mt_smtp_ops *ops;
	void *ctx;

	/* client -> server */
	uint8_t in;
	uint8_t dstate;
	uint8_t auth_cont; /* next line answers a 334 */
	uint8_t tls;
	uint8_t closed;
	uint16_t line_len;
	uint32_t data_txn; /* receiver of message octets (0: discard) */
	uint64_t bdat_left;

	/* server -> client */
	uint8_t rstate;
	uint8_t rfinal;
	uint16_t rcode;

	/* commands awaiting replies */
	uint8_t q_head;
	uint8_t q_len;
	struct q_ent q[MT_SMTP_QUEUE_DEPTH];

	/* parser-side transaction */
	uint32_t tx_id;
	uint8_t phase;
	uint8_t msg;
	uint16_t rcpt_bad_code;
	uint32_t rcpt_n;
	uint32_t rcpt_pending;
	uint32_t rcpt_ok;

	/* callback side */
	uint32_t open_txn;  /* mail_begin called, mail_end not yet */
	uint32_t stash_txn; /* its callbacks wait in stash[] */
	uint16_t stash_len;
	uint8_t stash[STASH_MAX];

	char line[MT_SMTP_LINE_MAX];
};

_Static_assert(MT_SMTP_LINE_MAX < UINT16_MAX, "line_len is 16 bits");
_Static_assert(MT_SMTP_QUEUE_DEPTH < UINT8_MAX, "queue indexes are 8 bits");
_Static_assert(STASH_MAX < UINT16_MAX, "stash_len is 16 bits");

static const struct mt_smtp_ops no_ops;

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
	s->open_txn = 0;
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
stash_replay(struct mt_smtp *s)
{
	size_t off = 0;
	unsigned v[2];

	if (s->stash_txn == 0)
		return;
	s->open_txn = s->stash_txn;
	s->stash_txn = 0;
	while (off < s->stash_len) {
		uint8_t type = s->stash[off];
		uint16_t len;
		const void *pl = s->stash + off + 3;

		memcpy(&len, s->stash + off + 1, sizeof(len));
		off += 3 + (size_t)len;
		switch (type) {
		case S_BEGIN:
			if (s->ops->mail_begin != NULL)
				s->ops->mail_begin(s->ctx, pl, len);
			break;
		case S_RCPT:
			if (s->ops->rcpt != NULL)
				s->ops->rcpt(s->ctx, pl, len);
			break;
		case S_RCPT_REPLY:
			memcpy(v, pl, sizeof(v));
			emit_rcpt_reply(s, v[0], v[1]);
			break;
		}
	}
	s->stash_len = 0;
}

static int
stash_put(struct mt_smtp *s, uint32_t id, uint8_t type, const void *p, size_t len)
{
	uint16_t l16 = (uint16_t)len;

	if (s->stash_txn != 0 && s->stash_txn != id)
		return -1;
	if (len + 3 > (size_t)(STASH_MAX - s->stash_len))
		return -1;
	s->stash[s->stash_len] = type;
	memcpy(s->stash + s->stash_len + 1, &l16, sizeof(l16));
	memcpy(s->stash + s->stash_len + 3, p, len);
	s->stash_len += (uint16_t)(len + 3);
	s->stash_txn = id;
	return 0;
}

/* The stashed transaction cannot wait: end the open one unconfirmed. */
static void
stash_force(struct mt_smtp *s)
{
	if (s->open_txn != 0)
		emit_end(s, MT_SMTP_END_UNCONFIRMED, 0);
	stash_replay(s);
}

static void
cb_begin(struct mt_smtp *s, uint32_t id, const char *from, size_t len)
{
	for (;;) {
		if (s->open_txn == 0 && s->stash_txn == 0) {
			s->open_txn = id;
			if (s->ops->mail_begin != NULL)
				s->ops->mail_begin(s->ctx, from, len);
			return;
		}
		if (stash_put(s, id, S_BEGIN, from, len) == 0)
			return;
		stash_force(s);
	}
}

static void
cb_rcpt(struct mt_smtp *s, uint32_t id, const char *to, size_t len)
{
	if (id == 0)
		return;
	if (s->stash_txn == id) {
		if (stash_put(s, id, S_RCPT, to, len) == 0)
			return;
		stash_force(s);
	}
	if (s->open_txn == id && s->ops->rcpt != NULL)
		s->ops->rcpt(s->ctx, to, len);
}

static void
cb_rcpt_reply(struct mt_smtp *s, uint32_t id, unsigned idx, unsigned code)
{
	unsigned v[2] = { idx, code };

	if (id == 0)
		return;
	if (s->stash_txn == id) {
		if (stash_put(s, id, S_RCPT_REPLY, v, sizeof(v)) == 0)
			return;
		stash_force(s);
	}
	if (s->open_txn == id)
		emit_rcpt_reply(s, idx, code);
}

static void
cb_data(struct mt_smtp *s, uint32_t id, const uint8_t *p, size_t len)
{
	if (id == 0 || len == 0)
		return;
	if (s->stash_txn == id)
		stash_force(s);
	if (s->open_txn == id && s->ops->data != NULL)
		s->ops->data(s->ctx, p, len);
}

/* End transaction id if it is still live; a stashed successor follows. */
static void
cb_end(struct mt_smtp *s, uint32_t id, enum mt_smtp_end how, unsigned code)
{
	if (id == 0)
		return;
	if (s->stash_txn == id)
		stash_force(s);
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

	if (s->q_len == MT_SMTP_QUEUE_DEPTH) {
		emit_event(s, MT_SMTP_EV_QUEUE_OVERFLOW);
		return;
	}
	e = &s->q[(s->q_head + s->q_len) % MT_SMTP_QUEUE_DEPTH];
	e->kind = (uint8_t)kind;
	e->txn = txn;
	e->idx = idx;
	s->q_len++;
}

/* ---- transaction (parser side) ---- */

/* How an envelope-only transaction ends: REJECTED if every recipient was
 * refused, else ABORTED. */
static enum mt_smtp_end
env_end_how(const struct mt_smtp *s, unsigned *code)
{
	if (s->rcpt_n > 0 && s->rcpt_pending == 0 && s->rcpt_ok == 0) {
		*code = s->rcpt_bad_code;
		return MT_SMTP_END_REJECTED;
	}
	*code = 0;
	return MT_SMTP_END_ABORTED;
}

/* RSET, QUIT, HELO/EHLO/LHLO or MAIL: a transaction whose message is not
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

/* Everything still live ends (TLS, close). */
static void
tx_end_all(struct mt_smtp *s, int tls)
{
	enum mt_smtp_end how;
	unsigned code = 0;

	/* Only a transaction awaiting its verdict can be older than tx_id. */
	if (s->open_txn != 0 && s->open_txn != s->tx_id)
		cb_end(s, s->open_txn, tls ? MT_SMTP_END_INCOMPLETE :
		       MT_SMTP_END_UNCONFIRMED, 0);
	if (tls)
		how = MT_SMTP_END_INCOMPLETE;
	else if (s->msg == MSG_DONE)
		how = MT_SMTP_END_UNCONFIRMED;
	else if (s->msg == MSG_OPEN)
		how = MT_SMTP_END_INCOMPLETE;
	else
		how = env_end_how(s, &code);
	cb_end(s, s->tx_id, how, code);
	s->phase = PH_IDLE;
}

/* ---- replies ---- */

static void
reply_done(struct mt_smtp *s, unsigned code)
{
	struct q_ent e;
	int ok = code / 100 == 2;

	if (s->q_len == 0) {
		emit_event(s, MT_SMTP_EV_UNSOLICITED_REPLY);
		return;
	}
	e = s->q[s->q_head];
	s->q_head = (uint8_t)((s->q_head + 1) % MT_SMTP_QUEUE_DEPTH);
	s->q_len--;

	switch (e.kind) {
	case CMD_MAIL:
		if (!ok)
			tx_ended(s, e.txn, MT_SMTP_END_REJECTED, code);
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
		break;
	case CMD_DATA:
		if (code == 354)
			break;
		if (s->in == IN_DATA && s->data_txn == e.txn) {
			s->in = IN_LINE;
			s->line_len = 0;
		}
		tx_ended(s, e.txn, MT_SMTP_END_REJECTED, code);
		break;
	case CMD_BDAT:
		if (ok)
			break;
		cb_end(s, e.txn, MT_SMTP_END_REJECTED, code);
		if (e.txn != 0 && e.txn == s->tx_id && s->phase == PH_MSG)
			s->phase = PH_BDAT_SKIP;
		break;
	case CMD_EOD:
	case CMD_BDAT_LAST:
		tx_ended(s, e.txn, ok ? MT_SMTP_END_ACCEPTED :
			 MT_SMTP_END_REJECTED, code);
		break;
	case CMD_AUTH:
		if (code == 334)
			s->auth_cont = 1;
		break;
	case CMD_STARTTLS:
		if (code != 220)
			break;
		emit_event(s, MT_SMTP_EV_STARTTLS);
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
	emit_event(s, MT_SMTP_EV_BAD_REPLY);
	s->rstate = c == '\n' ? R_D1 : R_BAD;
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
			if (c == '-' || c == ' ' || c == '\r') {
				s->rfinal = c != '-';
				s->rstate = R_TEXT;
			} else if (c == '\n') {
				s->rstate = R_D1;
				reply_done(s, s->rcode);
			} else {
				reply_bad(s, c);
			}
			break;
		case R_TEXT:
		case R_BAD:
			lf = memchr(p, '\n', (size_t)(end - p));
			if (lf == NULL)
				return;
			p = lf + 1;
			if (s->rstate == R_TEXT && s->rfinal) {
				s->rstate = R_D1;
				reply_done(s, s->rcode);
				break;
			}
			s->rstate = R_D1;
			break;
		}
	}
}

/* ---- commands ---- */

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
	{ "AUTH", 4, CMD_AUTH },
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

/*
 * "FROM:<path> params" / "TO: path": the path without brackets and
 * parameters.  A quoted local part may hold '>' or spaces.
 */
static int
path_parse(const char *a, size_t len, const char *kw, size_t kwlen,
	   const char **path, size_t *plen)
{
	size_t i, start;
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
	} else {
		start = i;
		for (; i < len && a[i] != ' '; i++)
			;
	}
	*path = a + start;
	*plen = i - start;
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
cmd_mail(struct mt_smtp *s, const char *a, size_t alen)
{
	const char *path;
	size_t plen;

	if (path_parse(a, alen, "FROM:", 5, &path, &plen) < 0) {
		emit_event(s, MT_SMTP_EV_UNKNOWN_COMMAND);
		q_push(s, CMD_UNKNOWN, 0, 0);
		return;
	}
	tx_abort(s);
	if (++s->tx_id == 0)
		s->tx_id = 1;
	s->phase = PH_ENV;
	s->msg = MSG_NONE;
	s->rcpt_n = s->rcpt_pending = s->rcpt_ok = 0;
	s->rcpt_bad_code = 0;
	q_push(s, CMD_MAIL, s->tx_id, 0);
	cb_begin(s, s->tx_id, path, plen);
}

static void
cmd_rcpt(struct mt_smtp *s, const char *a, size_t alen)
{
	const char *path;
	size_t plen;

	if (path_parse(a, alen, "TO:", 3, &path, &plen) < 0) {
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
	cb_rcpt(s, s->tx_id, path, plen);
}

/* The client enters message mode at once: it must wait for 354, so what
 * follows is the message unless the reply says otherwise. */
static void
cmd_data(struct mt_smtp *s)
{
	uint32_t owner = 0;

	if (s->phase == PH_ENV) {
		owner = s->tx_id;
		if (s->rcpt_n == 0)
			emit_event(s, MT_SMTP_EV_OUT_OF_SEQUENCE);
		s->phase = PH_MSG;
		s->msg = MSG_OPEN;
	} else {
		emit_event(s, MT_SMTP_EV_OUT_OF_SEQUENCE);
	}
	q_push(s, CMD_DATA, owner, 0);
	s->data_txn = owner;
	s->dstate = D_BOL;
	s->in = IN_DATA;
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
	switch (s->phase) {
	case PH_ENV:
		if (s->rcpt_n == 0)
			emit_event(s, MT_SMTP_EV_OUT_OF_SEQUENCE);
		/* fallthrough */
	case PH_MSG:
		owner = s->tx_id;
		s->phase = last ? PH_DONE : PH_MSG;
		s->msg = last ? MSG_DONE : MSG_OPEN;
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

static void
line_done(struct mt_smtp *s)
{
	const char *l = s->line, *a;
	size_t len = s->line_len, v, alen;
	enum cmd_kind kind;

	s->line_len = 0;
	if (s->auth_cont) { /* SASL data, not a command: never parse it */
		s->auth_cont = 0;
		q_push(s, CMD_AUTH, 0, 0);
		return;
	}
	while (len > 0 && (l[len - 1] == '\r' || l[len - 1] == ' ' ||
			   l[len - 1] == '\t'))
		len--;
	for (v = 0; v < len && l[v] != ' '; v++)
		;
	for (a = l + v, alen = len - v; alen > 0 && *a == ' '; a++, alen--)
		;
	kind = verb_kind(l, v);
	switch (kind) {
	case CMD_HELO:
		tx_abort(s);
		if (s->ops->helo != NULL)
			s->ops->helo(s->ctx, a, alen);
		break;
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
	case CMD_RSET:
	case CMD_QUIT:
		tx_abort(s);
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

static const uint8_t *
line_feed(struct mt_smtp *s, const uint8_t *p, const uint8_t *end)
{
	const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));
	size_t take = (size_t)((lf != NULL ? lf : end) - p);

	if (s->in == IN_LINE) {
		if (take > (size_t)(MT_SMTP_LINE_MAX - s->line_len)) {
			if (!s->auth_cont)
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
		q_push(s, s->auth_cont ? CMD_AUTH : CMD_UNKNOWN, 0, 0);
		s->auth_cont = 0;
		s->in = IN_LINE;
	} else {
		line_done(s);
	}
	return lf + 1;
}

static void
data_end(struct mt_smtp *s)
{
	q_push(s, CMD_EOD, s->data_txn, 0);
	if (s->data_txn != 0 && s->data_txn == s->tx_id &&
	    s->phase == PH_MSG) {
		s->phase = PH_DONE;
		s->msg = MSG_DONE;
	}
	s->in = IN_LINE;
	s->line_len = 0;
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
	memset(s, 0, sizeof(*s));
	s->ops = ops != NULL ? ops : &no_ops;
	s->ctx = ctx;
	q_push(s, CMD_GREETING, 0, 0);
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
			p = line_feed(s, p, end);
			break;
		case IN_DATA:
			p = data_feed(s, p, end);
			break;
		case IN_BDAT:
			p = bdat_feed(s, p, end);
			break;
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
	if (!s->tls)
		tx_end_all(s, 0);
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
