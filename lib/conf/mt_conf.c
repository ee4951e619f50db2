/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_conf.c - load mailtap.conf: a line-numbered pre-scan of our own, then
 * the values through DPDK's rte_cfgfile, checked against conf_schema.c.
 *
 * What rte_cfgfile 22.11 does with a file (lib/cfgfile/rte_cfgfile.c),
 * and so what the pre-scan must agree with:
 *  - a line is read with fgets() into CFG_NAME_LEN + CFG_VALUE_LEN + 4
 *    bytes; a line that does not fit with its '\n' (more than 322 bytes)
 *    fails the whole load without saying which;
 *  - the first ';' of a line, unless preceded by '\', ends it (full-line
 *    and trailing comments); '#' means nothing to it: a '#' line without
 *    '=' is skipped, one with '=' becomes an entry named "#...", which
 *    fails the load before any section or with an empty value unless
 *    CFG_FLAG_GLOBAL_SECTION and CFG_FLAG_EMPTY_VALUES are set (they are:
 *    the pre-scan has already rejected keys before a section, and empty
 *    values are for the type parsers to judge);
 *  - "\;" in a value becomes ";";
 *  - lines without '=' are silently skipped, names are truncated to 63
 *    bytes and values to 255, a duplicate section is a second section of
 *    the same name whose entries rte_cfgfile_get_entry() never finds, a
 *    duplicate key is ignored, text after ']' is ignored;
 *  - no line numbers are kept.
 * The pre-scan rejects all of these with "FILE:LINE: message" and records
 * the line of every key, so that value errors carry it too.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cfgfile.h>
#include <rte_log.h>

#include "mt_common.h"
#include "mt_conf.h"
#include "conf_schema.h"

#define CONF_NAME_MAX (CFG_NAME_LEN - 1)   /* 63 */
#define CONF_VALUE_MAX (CFG_VALUE_LEN - 1) /* 255 */
/* rte_cfgfile's fgets() buffer, less the '\n' and the NUL */
#define CONF_LINE_MAX (CFG_NAME_LEN + CFG_VALUE_LEN + 4 - 2) /* 322 */
#define CONF_COMMENT CFG_DEFAULT_COMMENT_CHARACTER         /* ';' */
#define CONF_CFG_FLAGS (CFG_FLAG_GLOBAL_SECTION | CFG_FLAG_EMPTY_VALUES)
#define CONF_DOC_WIDTH 72

#define CONF_WHY_LEN 320

_Static_assert(RTE_LOG_EMERG == 1 && RTE_LOG_DEBUG == 8,
	       "log_level 1..8 is RTE_LOG_EMERG..RTE_LOG_DEBUG");

static const struct {
	const char *name;
	unsigned level;
} conf_log_levels[] = {
	{ "emerg", RTE_LOG_EMERG },
	{ "alert", RTE_LOG_ALERT },
	{ "crit", RTE_LOG_CRIT },
	{ "err", RTE_LOG_ERR },
	{ "warning", RTE_LOG_WARNING },
	{ "notice", RTE_LOG_NOTICE },
	{ "info", RTE_LOG_INFO },
	{ "debug", RTE_LOG_DEBUG },
	{ "error", RTE_LOG_ERR },       /* aliases, not documented */
	{ "warn", RTE_LOG_WARNING },
};

static const struct {
	const char *name;
	int value;
} conf_bools[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
};

/* "path:line: message", or "path: message" for line 0; returns -errnum. */
static int __attribute__((format(printf, 5, 6)))
conf_err(struct mt_err *err, int errnum, const char *path, unsigned line,
	 const char *fmt, ...)
{
	char msg[MT_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line == 0)
		return mt_err_set(err, errnum, "%s: %s", path, msg);
	return mt_err_set(err, errnum, "%s:%u: %s", path, line, msg);
}

/* Strip leading and trailing white space as rte_cfgfile does (isspace). */
static char *
conf_strip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int
conf_section_find(const char *name)
{
	unsigned i;

	for (i = 0; i < mt_conf_n_sections; i++)
		if (strcmp(mt_conf_sections[i].name, name) == 0)
			return i;
	return -1;
}

/* Index of [section] key, or -1; section NULL matches any section. */
static int
conf_opt_find(const char *section, const char *key)
{
	unsigned i;

	for (i = 0; i < mt_conf_n_opts; i++)
		if ((section == NULL ||
		     strcmp(mt_conf_opts[i].section, section) == 0) &&
		    strcmp(mt_conf_opts[i].key, key) == 0)
			return i;
	return -1;
}

static int
conf_opt_index(const char *section, const char *key)
{
	int i = conf_opt_find(section, key);

	MT_BUG_ON(i < 0);
	return i;
}

/* -------------------------------------------------------------------- */
/* Values */

static void *
conf_field(struct mt_conf *c, const struct mt_conf_opt *o)
{
	return (char *)c + o->offset;
}

static void
conf_store_uint(struct mt_conf *c, const struct mt_conf_opt *o, uint64_t v)
{
	void *p = conf_field(c, o);

	switch (o->size) {
	case sizeof(uint64_t):
		*(uint64_t *)p = v;
		break;
	case sizeof(uint32_t):
		MT_BUG_ON(v > UINT32_MAX);
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		MT_BUG_ON(1);
	}
}

/* Decimal digits only (no sign, no space); *end is set past them. */
static int
conf_dec(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;
	const char *p;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (p = s; isdigit((unsigned char)*p); p++) {
		unsigned d = *p - '0';

		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*v = x;
	*end = p;
	return 0;
}

/* Shortest exact spelling: 16384 -> "16K", 1000 -> "1000". */
static void
conf_fmt_size(uint64_t v, char *buf, size_t n)
{
	static const char sfx[] = "GMK";
	unsigned i;

	for (i = 0; i < 3; i++) {
		uint64_t unit = UINT64_C(1) << (10 * (3 - i));

		if (v != 0 && v % unit == 0) {
			snprintf(buf, n, "%" PRIu64 "%c", v / unit, sfx[i]);
			return;
		}
	}
	snprintf(buf, n, "%" PRIu64, v);
}

static int
conf_range(const struct mt_conf_opt *o, const char *v, char *why, size_t n)
{
	char lo[32], hi[32];

	if (o->type == MT_CONF_T_SIZE) {
		conf_fmt_size(o->min, lo, sizeof(lo));
		conf_fmt_size(o->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%" PRIu64, o->min);
		snprintf(hi, sizeof(hi), "%" PRIu64, o->max);
	}
	snprintf(why, n, "%s is out of range %s..%s", v, lo, hi);
	return -1;
}

static int
conf_parse_uint(const struct mt_conf_opt *o, const char *v, uint64_t *out,
		char *why, size_t n)
{
	const char *end;
	uint64_t x = 0;
	int rc;

	if (*v == '\0') {
		snprintf(why, n, "empty value (a number is needed)");
		return -1;
	}
	rc = conf_dec(v, &x, &end);
	if (rc == -EINVAL || (rc == 0 && *end != '\0')) {
		snprintf(why, n, "'%s' is not a decimal number", v);
		return -1;
	}
	if (rc != 0 || x < o->min || x > o->max)
		return conf_range(o, v, why, n);
	if ((o->flags & MT_CONF_F_POW2) && (x & (x - 1)) != 0) {
		snprintf(why, n, "%s is not a power of 2", v);
		return -1;
	}
	*out = x;
	return 0;
}

static int
conf_parse_size(const struct mt_conf_opt *o, const char *v, uint64_t *out,
		char *why, size_t n)
{
	const char *end;
	uint64_t x = 0, unit = 1;
	int rc;

	rc = conf_dec(v, &x, &end);
	if (rc == 0) {
		switch (*end) {
		case 'K': case 'k':
			unit = UINT64_C(1) << 10;
			end++;
			break;
		case 'M': case 'm':
			unit = UINT64_C(1) << 20;
			end++;
			break;
		case 'G': case 'g':
			unit = UINT64_C(1) << 30;
			end++;
			break;
		}
	}
	if (rc == -EINVAL || (rc == 0 && *end != '\0')) {
		snprintf(why, n, "'%s' is not a size (a number with an "
			 "optional K, M or G suffix)", v);
		return -1;
	}
	if (rc != 0 || x > UINT64_MAX / unit || x * unit < o->min ||
	    x * unit > o->max)
		return conf_range(o, v, why, n);
	*out = x * unit;
	return 0;
}

static int
conf_parse_list(const struct mt_conf_opt *o, const char *v, uint16_t *arr,
		unsigned cap, unsigned *count, char *why, size_t n)
{
	bool lcores = o->type == MT_CONF_T_LCORE_LIST;
	const char *what = lcores ? "lcore" : "port";
	const char *p = v, *end;
	uint64_t a = 0, b = 0, x;
	unsigned cnt = 0, i;

	if (lcores && (*v == '\0' || strcasecmp(v, "auto") == 0)) {
		*count = 0;
		return 0;
	}
	if (*v == '\0') {
		snprintf(why, n, "empty list (at least one %s is needed)",
			 what);
		return -1;
	}
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (conf_dec(p, &a, &end) != 0)
			goto syntax;
		p = end;
		while (isspace((unsigned char)*p))
			p++;
		b = a;
		if (*p == '-') {
			p++;
			while (isspace((unsigned char)*p))
				p++;
			if (conf_dec(p, &b, &end) != 0)
				goto syntax;
			p = end;
			while (isspace((unsigned char)*p))
				p++;
		}
		if (a < o->min || a > o->max || b < o->min || b > o->max) {
			snprintf(why, n, "%s %" PRIu64 " is out of range "
				 "%" PRIu64 "..%" PRIu64, what,
				 a < o->min || a > o->max ? a : b,
				 o->min, o->max);
			return -1;
		}
		if (a > b) {
			snprintf(why, n, "range %" PRIu64 "-%" PRIu64
				 " is backwards", a, b);
			return -1;
		}
		for (x = a; x <= b; x++) {
			for (i = 0; i < cnt; i++) {
				if (arr[i] == x) {
					snprintf(why, n, "%s %" PRIu64
						 " is listed twice", what, x);
					return -1;
				}
			}
			if (cnt == cap) {
				snprintf(why, n, "more than %u %ss", cap,
					 what);
				return -1;
			}
			arr[cnt++] = (uint16_t)x;
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			goto syntax;
		p++;
	}
	*count = cnt;
	return 0;
syntax:
	snprintf(why, n, "'%s' is not a list of %ss like %s", v, what,
		 lcores ? "0,2-4" : "25,587");
	return -1;
}

/* Is p among arr[0..n)?  Returns its index or -1. */
static int
conf_prefix_find(const struct mt_conf_prefix *arr, unsigned n,
		 const struct mt_conf_prefix *p)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (arr[i].family == p->family && arr[i].len == p->len &&
		    memcmp(arr[i].addr, p->addr, sizeof(p->addr)) == 0)
			return (int)i;
	return -1;
}

/* "192.0.2.25, 2001:db8::/32": comma-separated, may be empty. */
static int
conf_parse_prefixes(const char *v, struct mt_conf_prefix *arr, unsigned cap,
		    unsigned *count, char *why, size_t n)
{
	char tok[64], buf[64];
	struct mt_conf_prefix pf;
	const char *p = v, *e;
	unsigned cnt = 0;
	size_t l;

	while (isspace((unsigned char)*p))
		p++;
	while (*p != '\0') {
		e = strchr(p, ',');
		l = e != NULL ? (size_t)(e - p) : strlen(p);
		while (l > 0 && isspace((unsigned char)p[l - 1]))
			l--;
		if (l == 0) {
			snprintf(why, n, "empty element in the list '%s'", v);
			return -1;
		}
		snprintf(tok, sizeof(tok), "%.*s", (int)MT_MIN(l, sizeof(tok) - 1), p);
		if (l >= sizeof(tok) || strpbrk(tok, " \t") != NULL) {
			snprintf(why, n, "'%.*s' is not an IPv4 or IPv6 address "
				 "or prefix (list elements are separated by ',')",
				 (int)MT_MIN(l, 60), p);
			return -1;
		}
		if (mt_conf_prefix_parse(tok, &pf, why, n) != 0)
			return -1;
		if (conf_prefix_find(arr, cnt, &pf) >= 0) {
			snprintf(why, n, "%s is listed twice",
				 mt_conf_prefix_str(&pf, buf, sizeof(buf)));
			return -1;
		}
		if (cnt == cap) {
			snprintf(why, n, "more than %u prefixes", cap);
			return -1;
		}
		arr[cnt++] = pf;
		if (e == NULL)
			break;
		p = e + 1;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0') {
			snprintf(why, n, "empty element in the list '%s'", v);
			return -1;
		}
	}
	*count = cnt;
	return 0;
}

/* Parse v as option o into c; 0, or -1 with why filled. */
static int
conf_set(struct mt_conf *c, const struct mt_conf_opt *o, const char *v,
	 char *why, size_t n)
{
	void *p = conf_field(c, o);
	uint64_t x = 0;
	unsigned i;

	switch (o->type) {
	case MT_CONF_T_UINT:
		if (conf_parse_uint(o, v, &x, why, n) != 0)
			return -1;
		conf_store_uint(c, o, x);
		return 0;
	case MT_CONF_T_SIZE:
		if (conf_parse_size(o, v, &x, why, n) != 0)
			return -1;
		conf_store_uint(c, o, x);
		return 0;
	case MT_CONF_T_BOOL:
		for (i = 0; i < MT_ARRAY_SIZE(conf_bools); i++) {
			if (strcasecmp(v, conf_bools[i].name) == 0) {
				*(int *)p = conf_bools[i].value;
				return 0;
			}
		}
		snprintf(why, n, "'%s' is not a boolean (yes/no, true/false, "
			 "on/off, 1/0)", v);
		return -1;
	case MT_CONF_T_PATH:
		if (*v == '\0' && (o->flags & MT_CONF_F_EMPTY)) {
			*(char *)p = '\0';
			return 0;
		}
		if (*v == '\0') {
			snprintf(why, n, "empty path");
			return -1;
		}
		if (strlen(v) >= o->size) {
			snprintf(why, n, "path too long (%zu bytes, max %zu)",
				 strlen(v), o->size - 1);
			return -1;
		}
		memcpy(p, v, strlen(v) + 1);
		return 0;
	case MT_CONF_T_LCORE:
		if (strcasecmp(v, "auto") == 0) {
			*(int *)p = -1;
			return 0;
		}
		if (conf_parse_uint(o, v, &x, why, n) != 0)
			return -1;
		*(int *)p = (int)x;
		return 0;
	case MT_CONF_T_LCORE_LIST:
	case MT_CONF_T_PORT_LIST:
		return conf_parse_list(o, v, p,
				       o->size / sizeof(uint16_t),
				       (unsigned *)((char *)c + o->n_offset),
				       why, n);
	case MT_CONF_T_LOG_LEVEL:
		for (i = 0; i < MT_ARRAY_SIZE(conf_log_levels); i++) {
			if (strcasecmp(v, conf_log_levels[i].name) == 0) {
				*(unsigned *)p = conf_log_levels[i].level;
				return 0;
			}
		}
		if (isdigit((unsigned char)*v) &&
		    conf_parse_uint(o, v, &x, why, n) == 0) {
			*(unsigned *)p = (unsigned)x;
			return 0;
		}
		snprintf(why, n, "'%s' is not a log level (emerg, alert, crit, "
			 "err, warning, notice, info, debug, or 1..8)", v);
		return -1;
	case MT_CONF_T_CHOICE:
		for (i = 0; o->choices[i] != NULL; i++) {
			if (strcasecmp(v, o->choices[i]) == 0) {
				*(int *)p = (int)i;
				return 0;
			}
		}
		snprintf(why, n, "'%s' is not one of: ", v);
		for (i = 0; o->choices[i] != NULL; i++) {
			size_t l = strlen(why);

			snprintf(why + l, n - l, "%s%s", i ? ", " : "",
				 o->choices[i]);
		}
		return -1;
	case MT_CONF_T_PREFIX_LIST:
		return conf_parse_prefixes(v, p,
					   o->size / sizeof(struct mt_conf_prefix),
					   (unsigned *)((char *)c + o->n_offset),
					   why, n);
	}
	MT_BUG_ON(1);
	return -1;
}

void
mt_conf_defaults(struct mt_conf *c)
{
	char why[CONF_WHY_LEN];
	unsigned i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < mt_conf_n_opts; i++)
		MT_BUG_ON(conf_set(c, &mt_conf_opts[i], mt_conf_opts[i].def,
				   why, sizeof(why)) != 0);
	/* no default reads a servers_file */
	c->n_servers = c->n_servers_inline;
}

/* -------------------------------------------------------------------- */
/* Pre-scan */

struct conf_scan {
	const char *path;
	struct mt_err *err;
	unsigned line;
	int sec;             /* current section, -1 before the first */
	unsigned *opt_line;  /* [mt_conf_n_opts]: line of each key, 0 unset */
	unsigned *sec_line;  /* [mt_conf_n_sections] */
};

/* Length of a value as rte_cfgfile keeps it: "\;" becomes ";". */
static size_t
conf_value_len(const char *v)
{
	size_t n = 0;

	for (; *v != '\0'; v++)
		if (!(v[0] == '\\' && v[1] == CONF_COMMENT))
			n++;
	return n;
}

static int
conf_scan_section(struct conf_scan *sc, char *s)
{
	char known[128] = "";
	char *end, *name;
	unsigned i;
	int idx;

	end = strchr(s, ']');
	if (end == NULL)
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"unterminated section header (no ']')");
	if (*conf_strip(end + 1) != '\0')
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"unexpected text after ']'");
	*end = '\0';
	name = conf_strip(s + 1);
	if (strlen(name) > CONF_NAME_MAX)
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"section name too long (%zu bytes, max %d)",
				strlen(name), CONF_NAME_MAX);
	idx = conf_section_find(name);
	if (idx < 0) {
		for (i = 0; i < mt_conf_n_sections; i++) {
			size_t l = strlen(known);

			snprintf(known + l, sizeof(known) - l, "%s%s",
				 i ? ", " : "", mt_conf_sections[i].name);
		}
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"unknown section [%s] (known: %s)", name,
				known);
	}
	if (sc->sec_line[idx] != 0)
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"duplicate section [%s] (first at line %u)",
				name, sc->sec_line[idx]);
	sc->sec_line[idx] = sc->line;
	sc->sec = idx;
	return 0;
}

static int
conf_scan_entry(struct conf_scan *sc, char *s)
{
	const char *section;
	char *eq, *key, *val;
	size_t vlen;
	int idx;

	eq = strchr(s, '=');
	if (eq == NULL)
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"'%.40s%s': expected 'key = value', "
				"'[section]' or a comment", s,
				strlen(s) > 40 ? "..." : "");
	*eq = '\0';
	key = conf_strip(s);
	val = conf_strip(eq + 1);
	if (*key == '\0')
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"missing key name before '='");
	if (strlen(key) > CONF_NAME_MAX)
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"key name too long (%zu bytes, max %d)",
				strlen(key), CONF_NAME_MAX);
	if (sc->sec < 0) {
		idx = conf_opt_find(NULL, key);
		if (idx >= 0)
			return conf_err(sc->err, EINVAL, sc->path, sc->line,
					"key '%s' before the first [section] "
					"(it belongs in [%s])", key,
					mt_conf_opts[idx].section);
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"key '%s' before the first [section]", key);
	}
	section = mt_conf_sections[sc->sec].name;
	idx = conf_opt_find(section, key);
	if (idx < 0) {
		idx = conf_opt_find(NULL, key);
		if (idx >= 0)
			return conf_err(sc->err, EINVAL, sc->path, sc->line,
					"unknown key '%s' in [%s]; it belongs "
					"in [%s]", key, section,
					mt_conf_opts[idx].section);
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"unknown key '%s' in [%s]", key, section);
	}
	vlen = conf_value_len(val);
	if (vlen > CONF_VALUE_MAX)
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"value of '%s' too long (%zu bytes, max %d)",
				key, vlen, CONF_VALUE_MAX);
	if (sc->opt_line[idx] != 0)
		return conf_err(sc->err, EINVAL, sc->path, sc->line,
				"duplicate key '%s' in [%s] (first at line %u)",
				key, section, sc->opt_line[idx]);
	sc->opt_line[idx] = sc->line;
	return 0;
}

static int
conf_prescan(struct conf_scan *sc)
{
	char *buf = NULL, *s, *p;
	size_t cap = 0, len;
	ssize_t n;
	FILE *f;
	int rc = 0;

	f = fopen(sc->path, "r");
	if (f == NULL) {
		int e = errno;

		return conf_err(sc->err, e, sc->path, 0, "%s", strerror(e));
	}
	while ((n = getline(&buf, &cap, f)) != -1) {
		sc->line++;
		len = (size_t)n;
		if (len > 0 && buf[len - 1] == '\n')
			len--;
		if (len > CONF_LINE_MAX) {
			rc = conf_err(sc->err, EINVAL, sc->path, sc->line,
				      "line too long (%zu bytes, max %d)",
				      len, CONF_LINE_MAX);
			break;
		}
		if (memchr(buf, '\0', len) != NULL) {
			rc = conf_err(sc->err, EINVAL, sc->path, sc->line,
				      "NUL byte in line");
			break;
		}
		buf[len] = '\0';
		/* as rte_cfgfile: the first ';' ends it unless escaped */
		p = strchr(buf, CONF_COMMENT);
		if (p != NULL && (p == buf || p[-1] != '\\'))
			*p = '\0';
		s = conf_strip(buf);
		if (*s == '\0' || *s == '#')
			continue;
		if (*s == '[')
			rc = conf_scan_section(sc, s);
		else
			rc = conf_scan_entry(sc, s);
		if (rc != 0)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = conf_err(sc->err, EIO, sc->path, 0, "read error");
	free(buf);
	fclose(f);
	return rc;
}

/* -------------------------------------------------------------------- */
/* Load */

/*
 * [policy]: make servers_file relative to the config file's directory
 * (when set by this file), then append its prefixes to the inline ones.
 * Errors in the servers file are "SERVERS_FILE:LINE: ...".
 */
static int
conf_policy_servers(struct mt_conf *c, struct conf_scan *sc)
{
	unsigned l_file = sc->opt_line[conf_opt_index("policy", "servers_file")];
	char *buf = NULL, *s, *e, why[CONF_WHY_LEN], pbuf[64];
	const char *slash, *file = c->servers_file;
	struct mt_conf_prefix pf;
	size_t cap = 0, dlen;
	unsigned line = 0;
	int rc = 0, dup;
	FILE *f;

	c->n_servers = c->n_servers_inline;
	if (*file == '\0')
		return 0;
	slash = strrchr(sc->path, '/');
	if (l_file != 0 && *file != '/' && slash != NULL) {
		char tmp[MT_CONF_PATH_MAX];

		dlen = (size_t)(slash - sc->path) + 1;
		if (dlen + strlen(file) >= sizeof(tmp))
			return conf_err(sc->err, EINVAL, sc->path, l_file,
					"[policy] servers_file: path too long "
					"once made relative to the directory of "
					"%s", sc->path);
		memcpy(tmp, sc->path, dlen);
		strcpy(tmp + dlen, file);
		strcpy(c->servers_file, tmp);
	}
	f = fopen(file, "r");
	if (f == NULL) {
		int en = errno;

		return conf_err(sc->err, en, sc->path, l_file,
				"[policy] servers_file: %s: %s", file,
				strerror(en));
	}
	while (getline(&buf, &cap, f) != -1) {
		line++;
		s = buf + strcspn(buf, "#;\r\n");
		*s = '\0';
		s = conf_strip(buf);
		if (*s == '\0')
			continue;
		for (e = s; *e != '\0' && !isspace((unsigned char)*e); e++)
			;
		if (*e != '\0') {
			rc = mt_err_set(sc->err, EINVAL, "%s:%u: '%s': one "
					"prefix per line", file, line, s);
			break;
		}
		if (mt_conf_prefix_parse(s, &pf, why, sizeof(why)) != 0) {
			rc = mt_err_set(sc->err, EINVAL, "%s:%u: %s", file,
					line, why);
			break;
		}
		dup = conf_prefix_find(c->servers, c->n_servers, &pf);
		if (dup >= 0) {
			rc = mt_err_set(sc->err, EINVAL, "%s:%u: %s is listed "
					"twice (also in %s)", file, line,
					mt_conf_prefix_str(&pf, pbuf, sizeof(pbuf)),
					(unsigned)dup < c->n_servers_inline ?
					"[policy] servers" : "this file");
			break;
		}
		if (c->n_servers == MT_CONF_MAX_SERVERS) {
			rc = mt_err_set(sc->err, EINVAL, "%s:%u: more than %d "
					"registered prefixes ([policy] servers "
					"and servers_file together)", file, line,
					MT_CONF_MAX_SERVERS);
			break;
		}
		c->servers[c->n_servers++] = pf;
	}
	if (rc == 0 && ferror(f))
		rc = mt_err_set(sc->err, EIO, "%s: read error", file);
	free(buf);
	fclose(f);
	return rc;
}

/* Combinations no single value can rule out. */
static int
conf_check(const struct mt_conf *c, struct conf_scan *sc)
{
	unsigned l_rx, l_wk, l_wr, l_burst, l_ring, l_mode, l_srv, l_file;

	l_rx = sc->opt_line[conf_opt_index("pipeline", "rx_lcores")];
	l_wk = sc->opt_line[conf_opt_index("pipeline", "worker_lcores")];
	l_wr = sc->opt_line[conf_opt_index("pipeline", "writer_lcore")];
	l_burst = sc->opt_line[conf_opt_index("pipeline", "burst")];
	l_ring = sc->opt_line[conf_opt_index("pipeline", "ring_size")];

	if ((c->n_rx_lcores != 0 || c->n_worker_lcores != 0 ||
	     c->writer_lcore >= 0) &&
	    (c->n_rx_lcores == 0 || c->n_worker_lcores == 0 ||
	     c->writer_lcore < 0))
		return conf_err(sc->err, EINVAL, sc->path,
				MT_MAX(l_rx, MT_MAX(l_wk, l_wr)),
				"[pipeline] rx_lcores, worker_lcores and "
				"writer_lcore must be set together (or all "
				"auto)");
	/* One lcore may hold several roles (run to completion on a small
	 * box), so the lists may overlap. */
	if (c->ring_size <= c->burst)
		return conf_err(sc->err, EINVAL, sc->path,
				MT_MAX(l_burst, l_ring),
				"[pipeline] ring_size (%u) must be larger "
				"than burst (%u)", c->ring_size, c->burst);
	l_mode = sc->opt_line[conf_opt_index("policy", "mode")];
	l_srv = sc->opt_line[conf_opt_index("policy", "servers")];
	l_file = sc->opt_line[conf_opt_index("policy", "servers_file")];
	if (c->policy_mode == MT_CONF_POLICY_REGISTERED && c->n_servers == 0)
		return conf_err(sc->err, EINVAL, sc->path,
				MT_MAX(l_mode, MT_MAX(l_srv, l_file)),
				"[policy] mode = registered needs the site's "
				"mail servers in servers or servers_file");
	return 0;
}

int
mt_conf_load(struct mt_conf *c, const char *path, struct mt_err *err)
{
	struct conf_scan sc = { .path = path, .err = err, .sec = -1 };
	char why[CONF_WHY_LEN];
	struct rte_cfgfile *cf;
	struct mt_conf tmp;
	unsigned i;
	int rc;

	sc.opt_line = calloc(mt_conf_n_opts + mt_conf_n_sections,
			     sizeof(*sc.opt_line));
	if (sc.opt_line == NULL)
		return conf_err(err, ENOMEM, path, 0, "out of memory");
	sc.sec_line = sc.opt_line + mt_conf_n_opts;

	rc = conf_prescan(&sc);
	if (rc != 0)
		goto out;

	cf = rte_cfgfile_load(path, CONF_CFG_FLAGS);
	if (cf == NULL) {
		rc = conf_err(err, EIO, path, 0, "rte_cfgfile_load failed "
			      "(file changed while loading?)");
		goto out;
	}
	memcpy(&tmp, c, sizeof(tmp));
	for (i = 0; i < mt_conf_n_opts; i++) {
		const struct mt_conf_opt *o = &mt_conf_opts[i];
		const char *v;

		if (sc.opt_line[i] == 0)
			continue;
		v = rte_cfgfile_get_entry(cf, o->section, o->key);
		if (v == NULL) {
			rc = conf_err(err, EIO, path, sc.opt_line[i],
				      "[%s] %s: not found by rte_cfgfile "
				      "(file changed while loading?)",
				      o->section, o->key);
			break;
		}
		if (conf_set(&tmp, o, v, why, sizeof(why)) != 0) {
			rc = conf_err(err, EINVAL, path, sc.opt_line[i],
				      "[%s] %s: %s%s", o->section, o->key, why,
				      strchr(v, '#') != NULL ?
				      " (a comment after a value must start "
				      "with ';')" : "");
			break;
		}
	}
	rte_cfgfile_close(cf);
	if (rc == 0)
		rc = conf_policy_servers(&tmp, &sc);
	if (rc == 0)
		rc = conf_check(&tmp, &sc);
	if (rc == 0)
		memcpy(c, &tmp, sizeof(tmp));
out:
	free(sc.opt_line);
	return rc;
}

/* -------------------------------------------------------------------- */
/* Documentation */

static const char conf_doc_head[] =
	"; mailtap.conf - configuration of mailtapd\n"
	";\n"
	"; Generated by mt_conf_print_doc() from lib/conf/conf_schema.c: every\n"
	"; option, set to its built-in default.  A unit test checks that the\n"
	"; two agree; after changing the schema, regenerate this file with\n"
	";   build/tests/unit/conf/test_conf --print-doc > config/mailtap.conf\n"
	";\n"
	"; Syntax (read with DPDK's rte_cfgfile): \"[section]\" headers and\n"
	"; \"key = value\" lines.  A line starting with ';' or '#' is a comment;\n"
	"; so is the rest of a line after ';' (write \"\\;\" for a ';' in a\n"
	"; value), but not after '#'.  Names are at most 63 bytes, values at\n"
	"; most 255, lines at most 322.  A key left out keeps its default.\n"
	"; Unknown sections and keys, duplicates and bad values are errors,\n"
	"; reported as FILE:LINE.\n"
	";\n"
	"; Numbers are decimal.  Sizes take an optional K, M or G suffix\n"
	"; (times 2^10, 2^20, 2^30).  Booleans are yes/no, true/false, on/off\n"
	"; or 1/0.  Lcore lists look like 0,2-4; port lists like 25,587.\n";

/* Write text as ';' comment lines wrapped at CONF_DOC_WIDTH columns. */
static void
conf_doc_wrap(FILE *out, const char *text)
{
	const char *p = text, *w;
	size_t col = 0, sp, wl;

	for (;;) {
		sp = strspn(p, " ");
		w = p + sp;
		wl = strcspn(w, " ");
		if (wl == 0)
			break;
		if (col == 0 || col + sp + wl > CONF_DOC_WIDTH) {
			fputs(col == 0 ? ";" : "\n;", out);
			col = 1;
			sp = 1;
		}
		fprintf(out, "%*s%.*s", (int)sp, "", (int)wl, w);
		col += sp + wl;
		p = w + wl;
	}
	if (col != 0)
		fputc('\n', out);
}

static void
conf_doc_value(const struct mt_conf_opt *o, char *buf, size_t n)
{
	char lo[32], hi[32];

	switch (o->type) {
	case MT_CONF_T_UINT:
		snprintf(buf, n, "a number %" PRIu64 "..%" PRIu64 "%s",
			 o->min, o->max,
			 (o->flags & MT_CONF_F_POW2) ? ", a power of 2" : "");
		return;
	case MT_CONF_T_SIZE:
		conf_fmt_size(o->min, lo, sizeof(lo));
		conf_fmt_size(o->max, hi, sizeof(hi));
		snprintf(buf, n, "a size %s..%s", lo, hi);
		return;
	case MT_CONF_T_BOOL:
		snprintf(buf, n, "a boolean");
		return;
	case MT_CONF_T_PATH:
		snprintf(buf, n, "%s", (o->flags & MT_CONF_F_EMPTY) ?
			 "a path, or empty for none" : "a path");
		return;
	case MT_CONF_T_LCORE:
		snprintf(buf, n, "an lcore id %" PRIu64 "..%" PRIu64
			 ", or auto", o->min, o->max);
		return;
	case MT_CONF_T_LCORE_LIST:
		snprintf(buf, n, "a list of lcore ids %" PRIu64 "..%" PRIu64
			 ", or auto", o->min, o->max);
		return;
	case MT_CONF_T_PORT_LIST:
		snprintf(buf, n, "a list of 1 to %zu TCP ports %" PRIu64
			 "..%" PRIu64, o->size / sizeof(uint16_t),
			 o->min, o->max);
		return;
	case MT_CONF_T_LOG_LEVEL:
		snprintf(buf, n, "emerg, alert, crit, err, warning, notice, "
			 "info, debug, or 1..8");
		return;
	case MT_CONF_T_CHOICE: {
		unsigned i;

		buf[0] = '\0';
		for (i = 0; o->choices[i] != NULL; i++) {
			size_t l = strlen(buf);

			snprintf(buf + l, n - l, "%s%s",
				 i == 0 ? "" : o->choices[i + 1] ? ", " : " or ",
				 o->choices[i]);
		}
		return;
	}
	case MT_CONF_T_PREFIX_LIST:
		snprintf(buf, n, "a list of IPv4 and IPv6 addresses or "
			 "prefixes like 192.0.2.25, 192.0.2.0/24, "
			 "2001:db8::/32, or empty");
		return;
	}
	MT_BUG_ON(1);
}

void
mt_conf_print_doc(FILE *out)
{
	char val[160], line[256];
	unsigned s, i;

	fputs(conf_doc_head, out);
	for (s = 0; s < mt_conf_n_sections; s++) {
		const char *name = mt_conf_sections[s].name;

		fprintf(out, "\n[%s]\n", name);
		conf_doc_wrap(out, mt_conf_sections[s].help);
		for (i = 0; i < mt_conf_n_opts; i++) {
			const struct mt_conf_opt *o = &mt_conf_opts[i];

			if (strcmp(o->section, name) != 0)
				continue;
			conf_doc_value(o, val, sizeof(val));
			snprintf(line, sizeof(line), "Value: %s.  Default: %s.",
				 val, *o->def ? o->def : "empty");
			fputc('\n', out);
			conf_doc_wrap(out, o->help);
			conf_doc_wrap(out, line);
			fprintf(out, "%s =%s%s\n", o->key, *o->def ? " " : "",
				o->def);
		}
	}
}
