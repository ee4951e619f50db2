/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_mime.c - streaming MIME parser (contract: mt_mime.h).
 *
 * Two modes, each a byte machine whose state survives between feeds:
 *
 * M_HDR (one header section):
 *
 *	H_BOL --blank--> H_VALUE (folded line: appended to the field)
 *	  |   --CR--> H_CR --LF--> end of headers
 *	  |   --LF--> end of headers
 *	  +---other--> H_NAME --':'--> H_VALUE --LF--> H_BOL
 *	                 |  (not a field name: the line is body, re-read)
 *	                 +--blank--> H_NAME_WS --':'--> H_VALUE
 *
 * M_BODY (the content of a part, a preamble or an epilogue):
 *
 *	B_TEXT --LF--> B_BOL   (the line break is held in `eol`: it belongs to
 *	                        a delimiter if one follows)
 *	B_BOL: octets go to `hold` while they can still be "--" + one of the
 *	       enclosing boundaries; on a mismatch eol + hold go out as
 *	       content and B_TEXT reads on; on a match:
 *	  "--b" + CR/LF/blank --> delimiter;  "--b-" --> B_DASH --'-'--> close
 *	B_SKIP: the rest of a delimiter line, up to LF; then the next mode
 *	        (headers of the next part, or the epilogue).
 *
 * With no enclosing boundary, B_TEXT passes everything on at once.
 *
 * Levels: a stack of multiparts (with a boundary) and embedded messages.
 * The entity being parsed is at depth nlev.  Its header fields fill `ent`;
 * at the end of its header section it becomes a level or a leaf part.
 *
 * Output goes through struct fctx, a buffer on mt_mime_feed's stack that
 * gathers decoded octets into few part_data calls.
 */
#include <string.h>

#include "mt_common.h"
#include "mt_mime.h"
#include "mime_priv.h"

enum mode { M_HDR, M_BODY, M_DONE };
enum hstate { H_BOL, H_NAME, H_NAME_WS, H_VALUE, H_CR };
enum bstate { B_BOL, B_TEXT, B_SKIP, B_DASH };
enum lkind { L_MULTI, L_MSG };
enum lstate { L_PREAMBLE, L_PARTS, L_EPILOGUE };

#define HOLD_MAX (MT_MIME_BOUNDARY_MAX + 4)
#define OUT_MAX 4096

struct level {
	uint8_t kind;
	uint8_t state;
	uint8_t blen;
	char boundary[MT_MIME_BOUNDARY_MAX];
};

/* What the header section of the current entity said. */
struct entity {
	char type[MT_MIME_TYPE_MAX];
	char name[MT_MIME_NAME_MAX];
	char boundary[MT_MIME_BOUNDARY_MAX + 1];
	int blen;          /* -1: none */
	uint8_t cte;
	uint8_t attach;    /* Content-Disposition: attachment */
	uint8_t name_src;  /* 0 none, 1 Content-Type name, 2 disposition */
	uint32_t flags;
};

struct mt_mime {
	const struct mt_mime_ops *ops;
	void *ctx;
	uint8_t mode;
	uint8_t hst;
	uint8_t bst;
	uint8_t nlev;
	uint8_t eol_len;     /* held line break: 0, 1 ("\n") or 2 ("\r\n") */
	uint8_t cr_pending;  /* B_TEXT: a CR ended the last feed */
	uint8_t hold_len;
	uint8_t match;       /* level whose boundary matched (B_DASH) */
	uint8_t close;       /* B_SKIP: the delimiter was a closing one */
	uint8_t part_open;
	uint8_t raw;         /* base64 part gone raw */
	uint32_t flags;
	unsigned nparts;
	uint16_t fld_len;    /* octets in fld */
	uint16_t fname_len;  /* field-name octets (H_NAME) */
	struct mt_mime_part part;
	struct mime_b64 b64;
	struct mime_qp qp;
	struct entity ent;
	struct level lev[MT_MIME_DEPTH_MAX];
	uint8_t hold[HOLD_MAX];
	char fld[MT_MIME_FIELD_MAX];
};

struct fctx {
	struct mt_mime *m;
	size_t len;
	uint8_t buf[OUT_MAX];
};

size_t
mt_mime_size(void)
{
	return sizeof(struct mt_mime);
}

static void
ent_reset(struct mt_mime *m)
{
	m->ent.type[0] = '\0';
	m->ent.name[0] = '\0';
	m->ent.blen = -1;
	m->ent.cte = MT_MIME_CTE_IDENTITY;
	m->ent.attach = 0;
	m->ent.name_src = 0;
	m->ent.flags = 0;
	m->fld_len = 0;
	m->hst = H_BOL;
	m->mode = M_HDR;
}

void
mt_mime_init(struct mt_mime *m, const struct mt_mime_ops *ops, void *ctx)
{
	memset(m, 0, offsetof(struct mt_mime, hold));
	m->ops = ops;
	m->ctx = ctx;
	ent_reset(m);
}

uint32_t
mt_mime_flags(const struct mt_mime *m)
{
	return m->flags;
}

unsigned
mt_mime_parts(const struct mt_mime *m)
{
	return m->nparts;
}

/* ---- output ---------------------------------------------------------- */

static void
flush(struct fctx *fc)
{
	struct mt_mime *m = fc->m;

	if (fc->len == 0)
		return;
	m->part.data_len += fc->len;
	if (m->ops->part_data)
		m->ops->part_data(m->ctx, fc->buf, fc->len);
	fc->len = 0;
}

static void
out_put(struct fctx *fc, const uint8_t *p, size_t n)
{
	struct mt_mime *m = fc->m;

	if (fc->len + n > OUT_MAX || n >= OUT_MAX / 2)
		flush(fc); /* keep the order */
	if (n >= OUT_MAX / 2) {
		/* large slice: hand it over as it is */
		m->part.data_len += n;
		if (m->ops->part_data)
			m->ops->part_data(m->ctx, p, n);
		return;
	}
	memcpy(fc->buf + fc->len, p, n);
	fc->len += n;
}

/* Make room for at least `need` octets in fc->buf. */
static size_t
out_room(struct fctx *fc, size_t need)
{
	if (OUT_MAX - fc->len < need)
		flush(fc);
	return OUT_MAX - fc->len;
}

static void
part_begin(struct mt_mime *m, unsigned depth, enum mt_mime_scope scope, enum mt_mime_cte cte,
	   const char *type, const char *name, uint32_t flags)
{
	m->part.index = m->nparts++;
	m->part.depth = depth;
	m->part.scope = scope;
	m->part.cte = cte;
	m->part.flags = flags;
	m->part.raw_len = 0;
	m->part.data_len = 0;
	m->part.type = type;
	m->part.filename = name;
	m->part_open = 1;
	m->raw = 0;
	memset(&m->b64, 0, sizeof(m->b64));
	memset(&m->qp, 0, sizeof(m->qp));
	if (m->ops->part_begin)
		m->ops->part_begin(m->ctx, &m->part);
}

static void
part_flag(struct mt_mime *m, uint32_t f)
{
	m->part.flags |= f;
	m->flags |= f;
}

static void
part_end(struct fctx *fc)
{
	struct mt_mime *m = fc->m;
	size_t k;
	int bad;

	if (!m->part_open)
		return;
	if (!m->raw && m->part.cte == MT_MIME_CTE_BASE64) {
		out_room(fc, 4);
		k = mime_b64_finish(&m->b64, fc->buf + fc->len, &bad);
		fc->len += k;
		if (bad) {
			part_flag(m, MT_MIME_F_BAD_BASE64);
			out_put(fc, m->b64.raw, 1);
		}
	} else if (!m->raw && m->part.cte == MT_MIME_CTE_QP) {
		out_room(fc, MIME_QP_SLACK);
		fc->len += mime_qp_finish(&m->qp, fc->buf + fc->len);
	}
	flush(fc);
	m->part_open = 0;
	if (m->ops->part_end)
		m->ops->part_end(m->ctx, &m->part);
}

/* Content octets of the current part (opened as a preamble/epilogue part
 * if none is open). */
static void
emit(struct fctx *fc, const uint8_t *p, size_t n)
{
	struct mt_mime *m = fc->m;

	if (n == 0)
		return;
	if (!m->part_open) {
		uint32_t f = 0;

		if (m->nlev > 0 && m->lev[m->nlev - 1].kind == L_MULTI)
			f = m->lev[m->nlev - 1].state == L_EPILOGUE ? MT_MIME_F_EPILOGUE
								    : MT_MIME_F_PREAMBLE;
		/* a preamble/epilogue belongs to the multipart, one level up */
		part_begin(m, m->nlev ? m->nlev - 1u : 0, MT_MIME_SCOPE_BODY,
			   MT_MIME_CTE_IDENTITY, "", "", f);
	}
	m->part.raw_len += n;
	if (m->raw || m->part.cte == MT_MIME_CTE_IDENTITY) {
		out_put(fc, p, n);
	} else if (m->part.cte == MT_MIME_CTE_BASE64) {
		while (n > 0) {
			size_t room = out_room(fc, 64);
			size_t take = MT_MIN(n, (room - 3) / 3 * 4), used;

			fc->len += mime_b64_decode(&m->b64, p, take, fc->buf + fc->len, &used);
			if (used < take) {
				/* not base64: the rest of the part goes out raw */
				part_flag(m, MT_MIME_F_BAD_BASE64);
				m->raw = 1;
				out_put(fc, m->b64.raw, m->b64.n);
				out_put(fc, p + used, n - used);
				return;
			}
			p += take;
			n -= take;
		}
	} else {
		while (n > 0) {
			size_t room = out_room(fc, MIME_QP_SLACK + 64);
			size_t take = MT_MIN(n, room - MIME_QP_SLACK);
			int bad = 0;

			fc->len += mime_qp_decode(&m->qp, p, take, fc->buf + fc->len, &bad);
			if (bad)
				part_flag(m, MT_MIME_F_BAD_QP);
			p += take;
			n -= take;
		}
	}
}

/* ---- structure ------------------------------------------------------- */

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The header section of the current entity is over. */
static void
headers_end(struct fctx *fc)
{
	struct mt_mime *m = fc->m;
	struct entity *e = &m->ent;
	const char *type = e->type[0] ? e->type : "text/plain";
	enum mt_mime_scope scope;
	uint32_t f = e->flags;

	m->mode = M_BODY;
	m->bst = B_BOL;
	m->eol_len = 0;
	m->hold_len = 0;
	m->cr_pending = 0;
	if (starts(type, "multipart/")) {
		if (e->blen <= 0) {
			f |= MT_MIME_F_NO_BOUNDARY;
		} else if (m->nlev >= MT_MIME_DEPTH_MAX) {
			f |= MT_MIME_F_DEPTH;
		} else {
			struct level *l = &m->lev[m->nlev++];

			l->kind = L_MULTI;
			l->state = L_PREAMBLE;
			l->blen = (uint8_t)e->blen;
			memcpy(l->boundary, e->boundary, (size_t)e->blen);
			m->flags |= f;
			return;
		}
	} else if ((strcmp(type, "message/rfc822") == 0 ||
		    strcmp(type, "message/global") == 0) &&
		   e->cte == MT_MIME_CTE_IDENTITY) {
		if (m->nlev < MT_MIME_DEPTH_MAX) {
			struct level *l = &m->lev[m->nlev++];

			l->kind = L_MSG;
			l->state = L_PARTS;
			l->blen = 0;
			m->flags |= f;
			ent_reset(m);
			return;
		}
		f |= MT_MIME_F_DEPTH;
	}
	if (starts(type, "multipart/")) {
		scope = MT_MIME_SCOPE_BODY; /* raw MIME text */
		e->cte = MT_MIME_CTE_IDENTITY;
	} else if (e->attach || e->name[0] != '\0' ||
	    !(starts(type, "text/") || starts(type, "message/")))
		scope = MT_MIME_SCOPE_ATTACHMENT;
	else
		scope = MT_MIME_SCOPE_BODY;
	if (!e->type[0])
		strcpy(e->type, "text/plain");
	m->flags |= f;
	part_begin(m, m->nlev, scope, (enum mt_mime_cte)e->cte, e->type, e->name, f);
}

/* A delimiter of level i was read. */
static void
delimiter(struct fctx *fc, unsigned i, int close)
{
	struct mt_mime *m = fc->m;
	unsigned j;

	part_end(fc);
	for (j = m->nlev; j-- > i + 1;)
		if (m->lev[j].kind == L_MULTI && m->lev[j].state != L_EPILOGUE)
			m->flags |= m->lev[j].state == L_PREAMBLE ? MT_MIME_F_BOUNDARY_MISSING
								   : MT_MIME_F_UNTERMINATED;
	m->nlev = (uint8_t)(i + 1);
	m->lev[i].state = close ? L_EPILOGUE : L_PARTS;
	m->close = (uint8_t)close;
}

/* ---- header section -------------------------------------------------- */

static int
field_is(const char *f, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && strncasecmp(f, name, k) == 0 &&
	       (f[k] == ':' || f[k] == ' ' || f[k] == '\t');
}

/* A complete (unfolded) header field is in fld. */
static void
field_done(struct mt_mime *m)
{
	struct entity *e = &m->ent;
	const char *f = m->fld, *v;
	size_t n = m->fld_len, vn;
	char tmp[MT_MIME_NAME_MAX];
	int cut = 0, k;

	m->fld_len = 0;
	v = memchr(f, ':', n);
	if (v == NULL)
		return;
	v++;
	vn = n - (size_t)(v - f);
	if (field_is(f, n, "content-type")) {
		mime_hdr_token(v, vn, e->type, sizeof(e->type), &cut);
		k = mime_hdr_param(v, vn, "boundary", tmp, sizeof(tmp), &cut);
		if (k > 0 && k <= MT_MIME_BOUNDARY_MAX) {
			memcpy(e->boundary, tmp, (size_t)k);
			e->blen = k;
		}
		if (e->name_src < 2 &&
		    mime_hdr_param(v, vn, "name", e->name, sizeof(e->name), &cut) >= 0)
			e->name_src = 1;
	} else if (field_is(f, n, "content-disposition")) {
		int cut2 = 0;

		mime_hdr_token(v, vn, tmp, 16, &cut2);
		if (strcmp(tmp, "attachment") == 0)
			e->attach = 1;
		if (mime_hdr_param(v, vn, "filename", tmp, sizeof(tmp), &cut) >= 0 &&
		    tmp[0] != '\0') {
			strcpy(e->name, tmp);
			e->name_src = 2;
		}
	} else if (field_is(f, n, "content-transfer-encoding")) {
		mime_hdr_token(v, vn, tmp, 24, &cut);
		cut = 0; /* "quoted-printable" fits; longer is unknown anyway */
		if (strcmp(tmp, "base64") == 0)
			e->cte = MT_MIME_CTE_BASE64;
		else if (strcmp(tmp, "quoted-printable") == 0)
			e->cte = MT_MIME_CTE_QP;
		else
			e->cte = MT_MIME_CTE_IDENTITY;
	} else {
		return;
	}
	if (cut || n >= MT_MIME_FIELD_MAX)
		e->flags |= MT_MIME_F_LONG_FIELD;
}

static void
fld_add(struct mt_mime *m, const uint8_t *p, size_t n)
{
	size_t k = MT_MIN(n, (size_t)MT_MIME_FIELD_MAX - m->fld_len);

	memcpy(m->fld + m->fld_len, p, k);
	m->fld_len = (uint16_t)(m->fld_len + k);
}

static size_t run(struct fctx *fc, const uint8_t *p, size_t n);
static int have_boundary(const struct mt_mime *m);

/*
 * The line in fld (started at H_BOL) is not a header field: the header
 * section ends and the line is read again as the first body line.
 */
static void
not_a_field(struct fctx *fc)
{
	struct mt_mime *m = fc->m;
	uint8_t line[MT_MIME_FNAME_MAX + 8];
	size_t n = MT_MIN(m->fld_len, sizeof(line));

	memcpy(line, m->fld, n);
	m->fld_len = 0;
	if (!(n >= 2 && line[0] == '-' && line[1] == '-' && have_boundary(m)))
		m->ent.flags |= MT_MIME_F_BAD_HEADER; /* a delimiter is fine */
	headers_end(fc);
	run(fc, line, n);
}

/* Header mode: consume a prefix of p[0..n); returns its length. */
static size_t
hdr_step(struct fctx *fc, const uint8_t *p, size_t n)
{
	struct mt_mime *m = fc->m;
	size_t i = 0;
	int ended = 0;
	unsigned depth = m->nlev;

	while (i < n && !ended) {
		uint8_t c = p[i];

		switch (m->hst) {
		case H_BOL:
			if (c == ' ' || c == '\t') {
				m->hst = H_VALUE; /* folded: unfolding keeps the blank */
				continue;
			}
			if (m->fld_len > 0)
				field_done(m);
			if (c == '\r') {
				m->hst = H_CR;
			} else if (c == '\n') {
				ended = 1;
			} else {
				m->hst = H_NAME;
				m->fname_len = 0;
				continue;
			}
			break;
		case H_CR:
			ended = 1;
			if (c != '\n')
				continue; /* lone CR: the body starts at c */
			break;
		case H_NAME:
			if (c == ':' && m->fname_len > 0) {
				fld_add(m, &c, 1);
				m->hst = H_VALUE;
			} else if (c > ' ' && c < 0x7f && c != ':' &&
				   m->fname_len < MT_MIME_FNAME_MAX) {
				fld_add(m, &c, 1);
				m->fname_len++;
			} else if ((c == ' ' || c == '\t') && m->fname_len > 0) {
				fld_add(m, &c, 1);
				m->hst = H_NAME_WS;
			} else {
				goto body;
			}
			break;
		case H_NAME_WS:
			if (c == ':') {
				fld_add(m, &c, 1);
				m->hst = H_VALUE;
			} else if ((c == ' ' || c == '\t') && m->fld_len < MT_MIME_FNAME_MAX) {
				fld_add(m, &c, 1);
			} else {
				goto body;
			}
			break;
		case H_VALUE: {
			const uint8_t *lf = memchr(p + i, '\n', n - i);
			size_t k = lf ? (size_t)(lf - (p + i)) : n - i;

			fld_add(m, p + i, k);
			i += k;
			if (lf) {
				if (m->fld_len > 0 && m->fld[m->fld_len - 1] == '\r')
					m->fld_len--;
				m->hst = H_BOL;
				i++;
			}
			continue;
		}
		}
		i++;
	}
	if (m->ops->header && i > 0)
		m->ops->header(m->ctx, depth, p, i);
	if (ended)
		headers_end(fc);
	return i;
body:
	if (m->ops->header && i > 0)
		m->ops->header(m->ctx, depth, p, i);
	not_a_field(fc);
	return i;
}

/* ---- body ------------------------------------------------------------ */

static const uint8_t crlf[2] = { '\r', '\n' };

static void
emit_eol(struct fctx *fc)
{
	struct mt_mime *m = fc->m;

	if (m->eol_len)
		emit(fc, crlf + 2 - m->eol_len, m->eol_len);
	m->eol_len = 0;
}

/* Does the boundary of some level continue with c at position k (0-based,
 * after "--")?  Returns the innermost such level, -1 if none; *done is
 * set when that boundary is complete and c is a valid terminator. */
static int
bound_step(const struct mt_mime *m, size_t k, uint8_t c, int *done)
{
	int i;

	*done = 0;
	for (i = m->nlev - 1; i >= 0; i--) {
		const struct level *l = &m->lev[i];

		if (l->kind != L_MULTI || k > l->blen ||
		    memcmp(l->boundary, m->hold + 2, k) != 0)
			continue;
		if (k < l->blen && l->boundary[k] == (char)c)
			return i;
		if (k == l->blen &&
		    (c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == '-')) {
			*done = 1;
			return i;
		}
	}
	return -1;
}

static int
have_boundary(const struct mt_mime *m)
{
	unsigned i;

	for (i = 0; i < m->nlev; i++)
		if (m->lev[i].kind == L_MULTI)
			return 1;
	return 0;
}

/* After a delimiter line: headers of the next part, or the epilogue. */
static void
delimiter_line_done(struct mt_mime *m)
{
	if (m->close) {
		m->mode = M_BODY;
		m->bst = B_BOL;
		m->eol_len = 0;
		m->hold_len = 0;
	} else {
		ent_reset(m);
	}
}

static size_t
body_step(struct fctx *fc, const uint8_t *p, size_t n)
{
	struct mt_mime *m = fc->m;
	size_t i = 0;

	if (!have_boundary(m)) {
		if (m->cr_pending) {
			m->cr_pending = 0;
			emit(fc, crlf, 1);
		}
		emit_eol(fc);
		if (m->hold_len) {
			emit(fc, m->hold, m->hold_len);
			m->hold_len = 0;
		}
		emit(fc, p, n);
		m->bst = B_TEXT;
		return n;
	}
	while (i < n) {
		uint8_t c = p[i];

		switch (m->bst) {
		case B_TEXT: {
			const uint8_t *lf;
			size_t k;

			if (m->cr_pending) {
				m->cr_pending = 0;
				if (c == '\n') {
					m->eol_len = 2;
					m->bst = B_BOL;
					i++;
					continue;
				}
				emit(fc, crlf, 1);
			}
			lf = memchr(p + i, '\n', n - i);
			if (lf == NULL) {
				k = n - i;
				if (p[n - 1] == '\r') {
					m->cr_pending = 1;
					k--;
				}
				emit(fc, p + i, k);
				return n;
			}
			k = (size_t)(lf - (p + i));
			if (k > 0 && lf[-1] == '\r') {
				emit(fc, p + i, k - 1);
				m->eol_len = 2;
			} else {
				emit(fc, p + i, k);
				m->eol_len = 1;
			}
			m->bst = B_BOL;
			i += k + 1;
			continue;
		}
		case B_BOL: {
			int lvl, done = 0;

			if (m->hold_len < 2)
				lvl = c == '-' ? 0 : -1;
			else
				lvl = bound_step(m, m->hold_len - 2u, c, &done);
			if (lvl < 0) {
				emit_eol(fc);
				emit(fc, m->hold, m->hold_len);
				m->hold_len = 0;
				m->bst = B_TEXT;
				continue; /* c is text */
			}
			m->hold[m->hold_len++] = c;
			i++;
			if (!done)
				break;
			if (c == '-') {
				m->match = (uint8_t)lvl;
				m->bst = B_DASH;
				break;
			}
			m->hold_len = 0;
			m->eol_len = 0; /* the line break is the delimiter's */
			delimiter(fc, (unsigned)lvl, 0);
			m->bst = B_SKIP;
			if (c == '\n') {
				delimiter_line_done(m);
				return i;
			}
			break;
		}
		case B_DASH:
			if (c != '-') {
				/* "--b-x": not a delimiter after all */
				emit_eol(fc);
				emit(fc, m->hold, m->hold_len);
				m->hold_len = 0;
				m->bst = B_TEXT;
				continue;
			}
			m->hold_len = 0;
			m->eol_len = 0;
			delimiter(fc, m->match, 1);
			m->bst = B_SKIP;
			i++;
			break;
		case B_SKIP: {
			const uint8_t *lf = memchr(p + i, '\n', n - i);

			if (lf == NULL)
				return n;
			i = (size_t)(lf - p) + 1;
			delimiter_line_done(m);
			return i;
		}
		}
	}
	return n;
}

static size_t
run(struct fctx *fc, const uint8_t *p, size_t n)
{
	struct mt_mime *m = fc->m;
	size_t i = 0;

	while (i < n) {
		if (m->mode == M_HDR)
			i += hdr_step(fc, p + i, n - i);
		else if (m->mode == M_BODY)
			i += body_step(fc, p + i, n - i);
		else
			break;
	}
	return i;
}

void
mt_mime_feed(struct mt_mime *m, const uint8_t *p, size_t n)
{
	struct fctx fc;

	if (m->mode == M_DONE || n == 0)
		return;
	fc.m = m;
	fc.len = 0;
	run(&fc, p, n);
	flush(&fc);
}

void
mt_mime_close(struct mt_mime *m)
{
	struct fctx fc;
	unsigned j;

	if (m->mode == M_DONE)
		return;
	fc.m = m;
	fc.len = 0;
	if (m->mode == M_HDR) {
		if (m->fld_len > 0 && m->hst != H_NAME && m->hst != H_NAME_WS)
			field_done(m);
		else if (m->fld_len > 0)
			not_a_field(&fc);
	}
	if (m->mode == M_BODY && m->bst != B_SKIP) {
		if (m->bst == B_DASH)
			m->bst = B_BOL; /* "--b-" at the very end: text */
		if (m->bst == B_BOL) {
			emit_eol(&fc);
			emit(&fc, m->hold, m->hold_len);
			m->hold_len = 0;
		} else if (m->cr_pending) {
			m->cr_pending = 0;
			emit(&fc, crlf, 1);
		}
	}
	part_end(&fc);
	for (j = m->nlev; j-- > 0;)
		if (m->lev[j].kind == L_MULTI && m->lev[j].state != L_EPILOGUE)
			m->flags |= m->lev[j].state == L_PREAMBLE ? MT_MIME_F_BOUNDARY_MISSING
								   : MT_MIME_F_UNTERMINATED;
	m->nlev = 0;
	m->mode = M_DONE;
}

const char *
mt_mime_flag_str(uint32_t flag)
{
	static const char *const names[MT_MIME_F__COUNT] = {
		"no_boundary", "boundary_missing", "unterminated", "depth",
		"bad_base64",  "bad_qp",           "bad_header",   "long_field",
		"preamble",    "epilogue",
	};
	unsigned b;

	if (flag == 0 || (flag & (flag - 1)) != 0)
		return "?";
	b = (unsigned)__builtin_ctz(flag);
	return b < MT_MIME_F__COUNT ? names[b] : "?";
}

const char *
mt_mime_scope_str(enum mt_mime_scope scope)
{
	switch (scope) {
	case MT_MIME_SCOPE_HEADERS:
		return "headers";
	case MT_MIME_SCOPE_BODY:
		return "body";
	case MT_MIME_SCOPE_ATTACHMENT:
		return "attachment";
	}
	return "?";
}
