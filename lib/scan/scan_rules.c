/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scan_rules.c - the rules file format (docs/RULES.md).
 *
 *	# comment, blank lines ignored
 *	id=N [severity=S] [scope=A,B] [flags=F,G] [tags=T,U] [msg="..."]
 *	     [action=quarantine|alert] pattern=/EXPR/[ismu]
 *
 * Fields are key=value separated by blanks, in any order, except that
 * pattern comes last and takes the rest of the line: EXPR runs from the
 * first '/' to the last '/', so a '/' inside needs no escape.  Each error
 * names the file, the line and the field.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hs/hs.h>

#include "mt_common.h"
#include "scan_priv.h"

void
scan_rules_error(struct scan_rules *rs, int errnum, const char *file, unsigned line,
		 const char *fmt, ...)
{
	char msg[MT_ERR_LEN], full[MT_ERR_LEN + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(full, sizeof(full), "%s:%u: %s", file, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	if (rs->errors++ == 0) {
		size_t k = MT_MIN(strlen(full), sizeof(rs->first.msg) - 1);

		memcpy(rs->first.msg, full, k);
		rs->first.msg[k] = '\0';
		rs->errnum = errnum;
	}
	if (rs->prm && rs->prm->on_error)
		rs->prm->on_error(rs->prm->err_ctx, full);
}

static const char *const scope_names[] = { "envelope", "headers", "body", "attachment" };
static const char *const sev_names[] = { "low", "medium", "high", "critical" };

static const struct {
	const char *name;
	unsigned flag;
} flag_names[] = {
	{ "caseless", HS_FLAG_CASELESS },
	{ "dotall", HS_FLAG_DOTALL },
	{ "multiline", HS_FLAG_MULTILINE },
	{ "utf8", HS_FLAG_UTF8 },
	{ "ucp", HS_FLAG_UCP },
	{ "single-match", HS_FLAG_SINGLEMATCH },
};

const char *
mt_scan_scope_str(enum mt_scan_scope scope)
{
	return (unsigned)scope < MT_SCAN__SCOPES ? scope_names[scope] : "?";
}

const char *
mt_scan_severity_str(enum mt_scan_severity sev)
{
	return (unsigned)sev < MT_ARRAY_SIZE(sev_names) ? sev_names[sev] : "?";
}

/* Comma list item equal to name? */
static int
word_is(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && strncmp(w, name, n) == 0;
}

struct line_ctx {
	struct scan_rules *rs;
	const char *file;
	unsigned line;
};

#define LERR(lc, ...) scan_rules_error((lc)->rs, EINVAL, (lc)->file, (lc)->line, __VA_ARGS__)

static int
parse_scope(struct line_ctx *lc, const char *v, size_t n, uint8_t *out)
{
	size_t i = 0;

	*out = 0;
	while (i <= n) {
		size_t j = i, k;
		int found = 0;

		while (j < n && v[j] != ',')
			j++;
		if (word_is(v + i, j - i, "any")) {
			*out = (1u << MT_SCAN__SCOPES) - 1;
			found = 1;
		}
		for (k = 0; k < MT_SCAN__SCOPES; k++)
			if (word_is(v + i, j - i, scope_names[k])) {
				*out |= (uint8_t)(1u << k);
				found = 1;
			}
		if (!found) {
			LERR(lc, "unknown scope '%.*s' (envelope, headers, body, attachment, any)",
			     (int)(j - i), v + i);
			return -1;
		}
		i = j + 1;
	}
	return 0;
}

static int
parse_flags(struct line_ctx *lc, const char *v, size_t n, unsigned *out)
{
	size_t i = 0;

	while (i <= n) {
		size_t j = i, k;
		int found = 0;

		while (j < n && v[j] != ',')
			j++;
		for (k = 0; k < MT_ARRAY_SIZE(flag_names); k++)
			if (word_is(v + i, j - i, flag_names[k].name)) {
				*out |= flag_names[k].flag;
				found = 1;
			}
		if (!found) {
			LERR(lc, "unknown flag '%.*s' (caseless, dotall, multiline, utf8, ucp, "
				 "single-match)", (int)(j - i), v + i);
			return -1;
		}
		i = j + 1;
	}
	return 0;
}

static char *
dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* One non-empty, non-comment line (s[0..n), no LF). */
static void
parse_line(struct line_ctx *lc, const char *s, size_t n)
{
	struct scan_rules *rs = lc->rs;
	struct mt_scan_rule r = { .severity = MT_SCAN_SEV_MEDIUM,
				  .scopes = (1u << MT_SCAN__SCOPES) - 1 };
	const char *pat = NULL, *tags = "", *msg = "";
	size_t pat_n = 0, tags_n = 0, msg_n = 0, i = 0;
	unsigned seen = 0;
	int have_id = 0;

	while (i < n) {
		size_t k0, k1, v0, v1;
		unsigned bit;

		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= n)
			break;
		k0 = i;
		while (i < n && s[i] != '=' && s[i] != ' ' && s[i] != '\t')
			i++;
		k1 = i;
		if (i >= n || s[i] != '=') {
			LERR(lc, "expected key=value at '%.*s'", (int)(k1 - k0), s + k0);
			return;
		}
		i++;
		if (word_is(s + k0, k1 - k0, "pattern")) {
			const char *last;
			size_t e = n, j;

			while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
				e--;
			if (i >= e || s[i] != '/' ||
			    (last = memrchr(s + i + 1, '/', e - i - 1)) == NULL) {
				LERR(lc, "pattern must be /EXPR/ and the last field");
				return;
			}
			pat = s + i + 1;
			pat_n = (size_t)(last - pat);
			if (pat_n == 0) {
				LERR(lc, "empty pattern");
				return;
			}
			for (j = (size_t)(last - s) + 1; j < e; j++) {
				switch (s[j]) {
				case 'i': r.hs_flags |= HS_FLAG_CASELESS; break;
				case 's': r.hs_flags |= HS_FLAG_DOTALL; break;
				case 'm': r.hs_flags |= HS_FLAG_MULTILINE; break;
				case 'u': r.hs_flags |= HS_FLAG_UTF8; break;
				default:
					LERR(lc, "unknown pattern modifier '%c' after the closing "
						 "'/' (i, s, m, u; pattern must be the last field)", s[j]);
					return;
				}
			}
			i = n;
			break;
		}
		v0 = i;
		if (i < n && s[i] == '"') {
			v0 = ++i;
			while (i < n && s[i] != '"')
				i++;
			if (i >= n) {
				LERR(lc, "unterminated quote in '%.*s'", (int)(k1 - k0), s + k0);
				return;
			}
			v1 = i++;
		} else {
			while (i < n && s[i] != ' ' && s[i] != '\t')
				i++;
			v1 = i;
		}
		if (word_is(s + k0, k1 - k0, "id")) {
			char *end;
			unsigned long long id;
			char tmp[24];

			bit = 1;
			id = 0;
			end = tmp;
			if (v1 - v0 > 0 && v1 - v0 < sizeof(tmp)) {
				memcpy(tmp, s + v0, v1 - v0);
				tmp[v1 - v0] = '\0';
				id = tmp[0] >= '0' && tmp[0] <= '9' ? strtoull(tmp, &end, 10) : 0;
			}
			if (*end != '\0' || id == 0 || id > UINT32_MAX) {
				LERR(lc, "id must be a number from 1 to 4294967295, not '%.*s'",
				     (int)(v1 - v0), s + v0);
				return;
			}
			r.id = (uint32_t)id;
			have_id = 1;
		} else if (word_is(s + k0, k1 - k0, "severity")) {
			size_t k;

			bit = 2;
			for (k = 0; k < MT_ARRAY_SIZE(sev_names); k++)
				if (word_is(s + v0, v1 - v0, sev_names[k]))
					break;
			if (k == MT_ARRAY_SIZE(sev_names)) {
				LERR(lc, "unknown severity '%.*s' (low, medium, high, critical)",
				     (int)(v1 - v0), s + v0);
				return;
			}
			r.severity = (uint8_t)k;
		} else if (word_is(s + k0, k1 - k0, "scope")) {
			bit = 4;
			if (parse_scope(lc, s + v0, v1 - v0, &r.scopes) < 0)
				return;
		} else if (word_is(s + k0, k1 - k0, "flags")) {
			bit = 8;
			if (parse_flags(lc, s + v0, v1 - v0, &r.hs_flags) < 0)
				return;
		} else if (word_is(s + k0, k1 - k0, "tags")) {
			bit = 16;
			tags = s + v0;
			tags_n = v1 - v0;
		} else if (word_is(s + k0, k1 - k0, "msg")) {
			bit = 32;
			msg = s + v0;
			msg_n = v1 - v0;
		} else if (word_is(s + k0, k1 - k0, "action")) {
			bit = 64;
			if (word_is(s + v0, v1 - v0, "quarantine")) {
				r.quarantine = 1;
			} else if (!word_is(s + v0, v1 - v0, "alert")) {
				LERR(lc, "unknown action '%.*s' (alert, quarantine)",
				     (int)(v1 - v0), s + v0);
				return;
			}
		} else {
			LERR(lc, "unknown key '%.*s' (id, severity, scope, flags, tags, msg, "
				 "action, pattern)", (int)(k1 - k0), s + k0);
			return;
		}
		if (seen & bit) {
			LERR(lc, "duplicate key '%.*s'", (int)(k1 - k0), s + k0);
			return;
		}
		seen |= bit;
	}
	if (!have_id) {
		LERR(lc, "missing id=");
		return;
	}
	if (pat == NULL) {
		LERR(lc, "missing pattern=/.../ (the last field)");
		return;
	}
	if (tags_n >= MT_SCAN_TEXT_MAX || msg_n >= MT_SCAN_TEXT_MAX) {
		LERR(lc, "tags or msg longer than %d octets", MT_SCAN_TEXT_MAX - 1);
		return;
	}
	if (rs->n >= MT_SCAN_RULES_MAX) {
		LERR(lc, "more than %d rules", MT_SCAN_RULES_MAX);
		return;
	}
	if (rs->n == rs->cap) {
		unsigned cap = rs->cap ? rs->cap * 2 : 64;
		struct mt_scan_rule *v = realloc(rs->v, cap * sizeof(*v));

		if (v == NULL)
			goto nomem;
		rs->v = v;
		rs->cap = cap;
	}
	r.pattern = dup_n(pat, pat_n);
	r.tags = dup_n(tags, tags_n);
	r.msg = dup_n(msg, msg_n);
	r.file = rs->files[rs->nfiles - 1];
	r.line = lc->line;
	if (!r.pattern || !r.tags || !r.msg) {
		free((char *)r.pattern);
		free((char *)r.tags);
		free((char *)r.msg);
		goto nomem;
	}
	rs->v[rs->n++] = r;
	return;
nomem:
	scan_rules_error(rs, ENOMEM, lc->file, lc->line, "out of memory");
}

void
scan_rules_parse(struct scan_rules *rs, const char *file, const char *text, size_t len)
{
	struct line_ctx lc = { rs, file, 0 };
	char **files = realloc(rs->files, (rs->nfiles + 1) * sizeof(*files));
	size_t off = 0;

	if (files == NULL || (files[rs->nfiles] = strdup(file)) == NULL) {
		if (files)
			rs->files = files;
		scan_rules_error(rs, ENOMEM, file, 0, "out of memory");
		return;
	}
	rs->files = files;
	rs->nfiles++;
	while (off < len) {
		const char *s = text + off, *lf = memchr(s, '\n', len - off);
		size_t n = lf ? (size_t)(lf - s) : len - off, b = 0;

		off += n + (lf != NULL);
		lc.line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > MT_SCAN_LINE_MAX) {
			LERR(&lc, "line longer than %d octets", MT_SCAN_LINE_MAX);
			continue;
		}
		if (memchr(s, '\0', n) != NULL) {
			LERR(&lc, "NUL octet in line");
			continue;
		}
		while (b < n && (s[b] == ' ' || s[b] == '\t'))
			b++;
		if (b == n || s[b] == '#')
			continue;
		parse_line(&lc, s + b, n - b);
	}
}

static int
cmp_id(const void *a, const void *b)
{
	const struct mt_scan_rule *x = *(const struct mt_scan_rule *const *)a;
	const struct mt_scan_rule *y = *(const struct mt_scan_rule *const *)b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x < y ? -1 : x > y; /* stable: file order */
}

void
scan_rules_check_ids(struct scan_rules *rs)
{
	const struct mt_scan_rule **ix;
	unsigned i;

	if (rs->n < 2)
		return;
	ix = malloc(rs->n * sizeof(*ix));
	if (ix == NULL) {
		scan_rules_error(rs, ENOMEM, "rules", 0, "out of memory");
		return;
	}
	for (i = 0; i < rs->n; i++)
		ix[i] = &rs->v[i];
	qsort(ix, rs->n, sizeof(*ix), cmp_id);
	for (i = 1; i < rs->n; i++)
		if (ix[i]->id == ix[i - 1]->id)
			scan_rules_error(rs, EINVAL, ix[i]->file, ix[i]->line,
					 "duplicate id %u (first at %s:%u)", ix[i]->id,
					 ix[i - 1]->file, ix[i - 1]->line);
	free(ix);
}

void
scan_rules_free(struct scan_rules *rs)
{
	unsigned i;

	for (i = 0; i < rs->n; i++) {
		free((char *)rs->v[i].pattern);
		free((char *)rs->v[i].tags);
		free((char *)rs->v[i].msg);
	}
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->v);
	free(rs->files);
	memset(rs, 0, sizeof(*rs));
}
