/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime_hdr.c - values of Content-Type / Content-Disposition fields.
 *
 *	value  = token *( ";" attr "=" ( token / quoted-string ) )
 *	attr   = name / name "*" / name "*" digits / name "*" digits "*"
 *
 * A trailing "*" means the value is %XX-encoded, and the first such
 * section starts with charset "'" language "'" (RFC 2231).  Sections are
 * joined in the order they appear.  Comments "(...)" are not supported
 * (rare in these fields).
 */
#include <string.h>
#include <strings.h>

#include "mt_common.h"
#include "mt_mime.h"
#include "mime_priv.h"

struct out {
	char *p;
	size_t len, cap;
	int cut;
};

static void
put(struct out *o, uint8_t c)
{
	if (o->len + 1 >= o->cap) {
		o->cut = 1;
		return;
	}
	o->p[o->len++] = (c < 0x20 || c == 0x7f) ? '_' : (char)c;
}

static int
hexv(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
mime_hdr_token(const char *v, size_t n, char *out, size_t outsz, int *cut)
{
	size_t i = 0, k = 0;

	while (i < n && is_blank(v[i]))
		i++;
	for (; i < n && v[i] != ';' && v[i] != '(' && !is_blank(v[i]); i++) {
		if (k + 1 >= outsz) {
			*cut = 1;
			break;
		}
		char c = v[i];
		out[k++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	out[k] = '\0';
}

/* %XX-decode s[0..n) into o. */
static void
put_pct(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int a, b;

		if (s[i] == '%' && i + 2 < n && (a = hexv((uint8_t)s[i + 1])) >= 0 &&
		    (b = hexv((uint8_t)s[i + 2])) >= 0) {
			put(o, (uint8_t)(a << 4 | b));
			i += 2;
		} else {
			put(o, (uint8_t)s[i]);
		}
	}
}

/* One RFC 2047 encoded word text, B or Q. */
static void
put_word(struct out *o, char enc, const char *s, size_t n)
{
	size_t i;

	if (enc == 'b' || enc == 'B') {
		struct mime_b64 d = { 0 };
		uint8_t buf[96];
		size_t used, k, j;
		int bad;

		while (n > 0) {
			size_t take = n > 64 ? 64 : n;

			k = mime_b64_decode(&d, (const uint8_t *)s, take, buf, &used);
			for (j = 0; j < k; j++)
				put(o, buf[j]);
			if (used < take)
				return;
			s += take;
			n -= take;
		}
		k = mime_b64_finish(&d, buf, &bad);
		for (j = 0; j < k; j++)
			put(o, buf[j]);
		return;
	}
	for (i = 0; i < n; i++) {
		int a, b;

		if (s[i] == '_') {
			put(o, ' ');
		} else if (s[i] == '=' && i + 2 < n && (a = hexv((uint8_t)s[i + 1])) >= 0 &&
			   (b = hexv((uint8_t)s[i + 2])) >= 0) {
			put(o, (uint8_t)(a << 4 | b));
			i += 2;
		} else {
			put(o, (uint8_t)s[i]);
		}
	}
}

/* A plain value with RFC 2047 encoded words decoded; blanks between two
 * encoded words are dropped (RFC 2047 6.2). */
static void
put_2047(struct out *o, const char *s, size_t n)
{
	size_t i = 0, gap = 0;
	int prev_word = 0;

	while (i < n) {
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?') {
			/* =?charset?X?text?= */
			const char *q1 = memchr(s + i + 2, '?', n - i - 2);
			const char *end;

			if (q1 && q1 + 3 < s + n && q1[2] == '?' &&
			    (end = memmem(q1 + 3, (size_t)(s + n - (q1 + 3)), "?=", 2)) != NULL) {
				o->len -= prev_word ? gap : 0;
				put_word(o, q1[1], q1 + 3, (size_t)(end - (q1 + 3)));
				i = (size_t)(end + 2 - s);
				prev_word = 1;
				gap = 0;
				continue;
			}
		}
		if (s[i] == ' ' || s[i] == '\t') {
			gap = o->len + 1 < o->cap ? gap + 1 : gap;
		} else {
			prev_word = 0;
			gap = 0;
		}
		put(o, (uint8_t)s[i]);
		i++;
	}
}

int
mime_hdr_param(const char *v, size_t n, const char *want, char *outp, size_t outsz, int *cut)
{
	size_t wl = strlen(want), i = 0;
	struct out plain = { outp, 0, outsz, 0 };
	char ext_buf[512];
	struct out ext = { ext_buf, 0, sizeof(ext_buf), 0 };
	int have_plain = 0, have_ext = 0;

	/* skip the leading token */
	while (i < n && v[i] != ';')
		i++;
	while (i < n) {
		size_t a0, a1, v0, v1;
		int quoted = 0;

		while (i < n && (v[i] == ';' || is_blank(v[i])))
			i++;
		a0 = i;
		while (i < n && v[i] != '=' && v[i] != ';')
			i++;
		a1 = i;
		while (a1 > a0 && is_blank(v[a1 - 1]))
			a1--;
		if (i >= n || v[i] != '=')
			continue;
		i++;
		while (i < n && is_blank(v[i]))
			i++;
		if (i < n && v[i] == '"') {
			quoted = 1;
			v0 = ++i;
			while (i < n && v[i] != '"')
				i += (v[i] == '\\' && i + 1 < n) ? 2 : 1;
			v1 = MT_MIN(i, n);
			if (i < n)
				i++;
		} else {
			v0 = i;
			while (i < n && v[i] != ';' && !is_blank(v[i]))
				i++;
			v1 = i;
		}
		if (a1 - a0 < wl || strncasecmp(v + a0, want, wl) != 0)
			continue;
		if (a1 - a0 == wl) {
			size_t j;

			if (have_plain)
				continue; /* the first one wins */
			have_plain = 1;
			if (quoted) {
				/* unescape, then RFC 2047 */
				char tmp[MT_MIME_FIELD_MAX];
				size_t k = 0;

				for (j = v0; j < v1 && k < sizeof(tmp); j++) {
					if (v[j] == '\\' && j + 1 < v1)
						j++;
					tmp[k++] = v[j];
				}
				put_2047(&plain, tmp, k);
			} else {
				put_2047(&plain, v + v0, v1 - v0);
			}
			continue;
		}
		if (v[a0 + wl] != '*')
			continue;
		/* want*  want*N  want*N*  */
		{
			size_t j = a0 + wl + 1;
			int encoded, first;

			while (j < a1 && v[j] >= '0' && v[j] <= '9')
				j++;
			encoded = (j < a1 && v[j] == '*' && j + 1 == a1) ||
				  (j == a0 + wl + 1 && j == a1);
			if (!(j == a1 || encoded))
				continue;
			first = (j == a0 + wl + 1) ||
				(j == a0 + wl + 2 && v[a0 + wl + 1] == '0');
			have_ext = 1;
			if (encoded) {
				size_t s = v0;

				if (first) {
					/* charset'lang' */
					const char *q = memchr(v + v0, '\'', v1 - v0);
					const char *q2 = q ? memchr(q + 1, '\'', (size_t)(v + v1 - q - 1)) : NULL;

					if (q2)
						s = (size_t)(q2 + 1 - v);
				}
				put_pct(&ext, v + s, v1 - s);
			} else {
				for (size_t k = v0; k < v1; k++) {
					if (quoted && v[k] == '\\' && k + 1 < v1)
						k++;
					put(&ext, (uint8_t)v[k]);
				}
			}
		}
	}
	if (have_ext) {
		size_t k = MT_MIN(ext.len, outsz - 1);

		memcpy(outp, ext_buf, k);
		outp[k] = '\0';
		if (ext.cut || k < ext.len)
			*cut = 1;
		return (int)k;
	}
	if (!have_plain)
		return -1;
	outp[plain.len] = '\0';
	if (plain.cut)
		*cut = 1;
	return (int)plain.len;
}
