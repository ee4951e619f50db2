/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime_qp.c - streaming quoted-printable decoder (RFC 2045 6.7).
 *
 *	QP_TEXT --'='--> QP_EQ --hex--> QP_EQ1 --hex--> octet, QP_TEXT
 *	                   |  --LF-------------------> soft break, QP_TEXT
 *	                   |  --CR--> QP_EQ_CR --LF--> soft break
 *	                   +--blank--> QP_EQ_WS --CR/LF--> (as above)
 *
 * Any other octet after '=' makes the sequence literal: '=' and what was
 * held go out as they came, *bad is set, and the octet is read again as
 * text.  Lowercase hex digits are accepted.
 */
#include <string.h>

#include "mime_priv.h"

enum { QP_TEXT, QP_EQ, QP_EQ1, QP_EQ_WS, QP_EQ_CR };

static int
hexv(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The held sequence, literally. */
static size_t
qp_literal(struct mime_qp *d, uint8_t *o)
{
	size_t k = 0;

	switch (d->st) {
	case QP_EQ:
		o[k++] = '=';
		break;
	case QP_EQ1:
		o[k++] = '=';
		o[k++] = d->h1;
		break;
	case QP_EQ_WS:
	case QP_EQ_CR:
		o[k++] = '=';
		memset(o + k, ' ', d->ws);
		k += d->ws;
		if (d->st == QP_EQ_CR)
			o[k++] = '\r';
		break;
	}
	d->st = QP_TEXT;
	d->ws = 0;
	return k;
}

size_t
mime_qp_decode(struct mime_qp *d, const uint8_t *in, size_t n, uint8_t *out, int *bad)
{
	uint8_t *o = out;
	size_t i = 0;

	while (i < n) {
		uint8_t c = in[i];
		int h;

		switch (d->st) {
		case QP_TEXT: {
			const uint8_t *eq = memchr(in + i, '=', n - i);
			size_t run = eq ? (size_t)(eq - (in + i)) : n - i;

			memcpy(o, in + i, run);
			o += run;
			i += run;
			if (eq) {
				d->st = QP_EQ;
				i++;
			}
			continue;
		}
		case QP_EQ:
			if (hexv(c) >= 0) {
				d->h1 = c;
				d->st = QP_EQ1;
			} else if (c == '\n') {
				d->st = QP_TEXT;
			} else if (c == '\r') {
				d->st = QP_EQ_CR;
			} else if (c == ' ' || c == '\t') {
				d->ws = 1;
				d->st = QP_EQ_WS;
			} else {
				o += qp_literal(d, o);
				*bad = 1;
				continue; /* read c again as text */
			}
			break;
		case QP_EQ1:
			h = hexv(c);
			if (h < 0) {
				o += qp_literal(d, o);
				*bad = 1;
				continue;
			}
			*o++ = (uint8_t)(hexv(d->h1) << 4 | h);
			d->st = QP_TEXT;
			break;
		case QP_EQ_WS:
			if ((c == ' ' || c == '\t') && d->ws < 64) {
				d->ws++;
			} else if (c == '\n') {
				d->st = QP_TEXT;
				d->ws = 0;
			} else if (c == '\r') {
				d->st = QP_EQ_CR;
			} else {
				o += qp_literal(d, o);
				*bad = 1;
				continue;
			}
			break;
		case QP_EQ_CR:
			if (c != '\n') {
				o += qp_literal(d, o);
				*bad = 1;
				continue;
			}
			d->st = QP_TEXT;
			d->ws = 0;
			break;
		}
		i++;
	}
	return (size_t)(o - out);
}

size_t
mime_qp_finish(struct mime_qp *d, uint8_t *out)
{
	return qp_literal(d, out);
}
