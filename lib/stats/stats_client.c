/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats_client.c - telemetry socket client and JSON reader for
 * `mailtap stat` (see stats_client.h).  Pure C, no EAL.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "stats_client.h"

/* ------------------------------------------------------------ JSON reader */

#define JSON_MAX_DEPTH 32

struct jp {
	const char *start, *s, *end;
	struct mt_err *err;
	int depth;
};

static int
jp_fail(struct jp *p, const char *what)
{
	return mt_err_set(p->err, EPROTO, "bad JSON at offset %td: %s", p->s - p->start, what);
}

static void
jp_ws(struct jp *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int jp_value(struct jp *p, struct mt_json *out);

static void
utf8_put(char **o, unsigned cp)
{
	char *q = *o;

	if (cp < 0x80) {
		*q++ = (char)cp;
	} else if (cp < 0x800) {
		*q++ = (char)(0xc0 | (cp >> 6));
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*q++ = (char)(0xe0 | (cp >> 12));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*q++ = (char)(0xf0 | (cp >> 18));
		*q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = q;
}

static int
hex4(const char *s, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* p->s at the opening quote. */
static int
jp_string(struct jp *p, char **out)
{
	const char *s = p->s + 1;
	char *buf, *o;

	/* decoded text is never longer than the encoded one */
	buf = malloc((size_t)(p->end - s) + 1);
	if (buf == NULL)
		return mt_err_set(p->err, ENOMEM, "out of memory");
	o = buf;
	while (s < p->end && *s != '"') {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			*o++ = (char)c;
			s++;
			continue;
		}
		if (++s >= p->end)
			goto bad;
		switch (*s) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;

			if (p->end - s < 5 || hex4(s + 1, &cp) != 0)
				goto bad;
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p->end - s >= 7 && s[1] == '\\' &&
			    s[2] == 'u' && hex4(s + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			utf8_put(&o, cp);
			break;
		}
		default:
			goto bad;
		}
		s++;
	}
	if (s >= p->end)
		goto bad;
	*o = '\0';
	p->s = s + 1;
	*out = buf;
	return 0;
bad:
	free(buf);
	return jp_fail(p, "bad string");
}

static int
jp_number(struct jp *p, struct mt_json *out)
{
	const char *s = p->s, *digits;
	char tmp[64];
	size_t len;
	int integral = 1, neg = 0;

	if (s < p->end && *s == '-') {
		neg = 1;
		s++;
	}
	digits = s;
	while (s < p->end && *s >= '0' && *s <= '9')
		s++;
	if (s == digits || (*digits == '0' && s - digits > 1))
		return jp_fail(p, "bad number"); /* none, or a leading zero */
	if (s < p->end && *s == '.') {
		integral = 0;
		digits = ++s;
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
		if (s == digits)
			return jp_fail(p, "bad number"); /* "1." */
	}
	if (s < p->end && (*s == 'e' || *s == 'E')) {
		integral = 0;
		s++;
		if (s < p->end && (*s == '+' || *s == '-'))
			s++;
		digits = s;
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
		if (s == digits)
			return jp_fail(p, "bad number"); /* "1e" */
	}
	len = (size_t)(s - p->s);
	if (len >= sizeof(tmp))
		return jp_fail(p, "number too long");
	memcpy(tmp, p->s, len);
	tmp[len] = '\0';
	out->type = MT_JSON_NUM;
	out->num = strtod(tmp, NULL);
	if (integral && !neg) {
		char *end;

		errno = 0;
		out->u64 = strtoull(tmp, &end, 10);
		out->is_u64 = errno == 0 && *end == '\0';
	}
	p->s = s;
	return 0;
}

static int
jp_push(struct mt_json *c, size_t *cap, int obj, struct mt_err *err)
{
	if (c->n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	struct mt_json *k = realloc(c->kid, ncap * sizeof(*k));

	if (k == NULL)
		return mt_err_set(err, ENOMEM, "out of memory");
	c->kid = k;
	if (obj) {
		char **names = realloc(c->key, ncap * sizeof(*names));

		if (names == NULL)
			return mt_err_set(err, ENOMEM, "out of memory");
		c->key = names;
	}
	*cap = ncap;
	return 0;
}

static int
jp_container(struct jp *p, struct mt_json *out, int obj)
{
	size_t cap = 0;
	char close = obj ? '}' : ']';
	int rc;

	out->type = obj ? MT_JSON_OBJ : MT_JSON_ARR;
	if (++p->depth > JSON_MAX_DEPTH)
		return jp_fail(p, "nested too deep");
	p->s++;
	jp_ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		p->depth--;
		return 0;
	}
	for (;;) {
		char *name = NULL;

		jp_ws(p);
		if (obj) {
			if (p->s >= p->end || *p->s != '"')
				return jp_fail(p, "expected a member name");
			if ((rc = jp_string(p, &name)) != 0)
				return rc;
			jp_ws(p);
			if (p->s >= p->end || *p->s != ':') {
				free(name);
				return jp_fail(p, "expected ':'");
			}
			p->s++;
		}
		if ((rc = jp_push(out, &cap, obj, p->err)) != 0) {
			free(name);
			return rc;
		}
		memset(&out->kid[out->n], 0, sizeof(out->kid[0]));
		if (obj)
			out->key[out->n] = name;
		out->n++;
		if ((rc = jp_value(p, &out->kid[out->n - 1])) != 0)
			return rc;
		jp_ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->end && *p->s == close) {
			p->s++;
			p->depth--;
			return 0;
		}
		return jp_fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int
jp_word(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n) != 0)
		return -1;
	p->s += n;
	return 0;
}

static int
jp_value(struct jp *p, struct mt_json *out)
{
	jp_ws(p);
	if (p->s >= p->end)
		return jp_fail(p, "unexpected end");
	switch (*p->s) {
	case '{':
		return jp_container(p, out, 1);
	case '[':
		return jp_container(p, out, 0);
	case '"':
		out->type = MT_JSON_STR;
		return jp_string(p, &out->str);
	case 't':
		out->type = MT_JSON_BOOL;
		out->b = 1;
		return jp_word(p, "true") == 0 ? 0 : jp_fail(p, "bad literal");
	case 'f':
		out->type = MT_JSON_BOOL;
		return jp_word(p, "false") == 0 ? 0 : jp_fail(p, "bad literal");
	case 'n':
		out->type = MT_JSON_NULL;
		return jp_word(p, "null") == 0 ? 0 : jp_fail(p, "bad literal");
	default:
		return jp_number(p, out);
	}
}

static void
json_clear(struct mt_json *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		json_clear(&j->kid[i]);
		if (j->key)
			free(j->key[i]);
	}
	free(j->kid);
	free(j->key);
	free(j->str);
}

void
mt_json_free(struct mt_json *j)
{
	if (j == NULL)
		return;
	json_clear(j);
	free(j);
}

struct mt_json *
mt_json_parse(const char *text, size_t len, struct mt_err *err)
{
	struct jp p = { .start = text, .s = text, .end = text + len, .err = err };
	struct mt_json *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		mt_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (jp_value(&p, j) != 0) {
		mt_json_free(j);
		return NULL;
	}
	jp_ws(&p);
	if (p.s != p.end) {
		jp_fail(&p, "trailing characters");
		mt_json_free(j);
		return NULL;
	}
	return j;
}

const struct mt_json *
mt_json_get(const struct mt_json *obj, const char *key)
{
	size_t i;

	if (obj == NULL || obj->type != MT_JSON_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->key[i], key) == 0)
			return &obj->kid[i];
	return NULL;
}

/* ------------------------------------------------------ telemetry socket */

void
mt_tel_path(const char *prefix, char *buf, size_t size)
{
	const char *dir = "/var/run";

	if (prefix == NULL || *prefix == '\0')
		prefix = "rte";
	/* as eal_create_runtime_dir(): root uses /var/run, others
	 * $XDG_RUNTIME_DIR, else /tmp */
	if (getuid() != 0) {
		dir = getenv("XDG_RUNTIME_DIR");
		if (dir == NULL || *dir == '\0')
			dir = "/tmp";
	}
	snprintf(buf, size, "%s/dpdk/%s/dpdk_telemetry.v2", dir, prefix);
}

#define TEL_BUF (1 << 20)

static int
tel_recv(struct mt_tel *t, struct mt_json **out, struct mt_err *err)
{
	char *buf = malloc(TEL_BUF);
	ssize_t n;

	if (buf == NULL)
		return mt_err_set(err, ENOMEM, "out of memory");
	do
		n = recv(t->fd, buf, TEL_BUF, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		int e = n < 0 ? errno : ECONNRESET;

		free(buf);
		return mt_err_set(err, e, "%s: %s", t->path,
				  n < 0 ? strerror(e) : "connection closed by mailtapd");
	}
	*out = mt_json_parse(buf, (size_t)n, err);
	free(buf);
	return *out ? 0 : -EPROTO;
}

int
mt_tel_open(struct mt_tel *t, const char *path, struct mt_err *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct mt_json *g;
	const struct mt_json *v;
	int rc;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path) || strlen(path) >= sizeof(t->path))
		return mt_err_set(err, ENAMETOOLONG, "%s: path too long", path);
	snprintf(t->path, sizeof(t->path), "%s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	t->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return mt_err_set(err, errno, "socket: %s", strerror(errno));
	if (connect(t->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		mt_tel_close(t);
		return mt_err_set(err, e, "%s: %s (is mailtapd running with this --file-prefix?)",
				  path, strerror(e));
	}
	if ((rc = tel_recv(t, &g, err)) != 0) {
		mt_tel_close(t);
		return rc;
	}
	if ((v = mt_json_get(g, "pid")) && v->type == MT_JSON_NUM)
		t->pid = (long)v->num;
	if ((v = mt_json_get(g, "max_output_len")) && v->type == MT_JSON_NUM)
		t->max_output = (size_t)v->num;
	mt_json_free(g);
	return 0;
}

int
mt_tel_query(struct mt_tel *t, const char *cmd, struct mt_json **out, struct mt_err *err)
{
	struct mt_json *reply;
	char key[256];
	size_t i, klen = strcspn(cmd, ",");
	int rc;

	if (klen >= sizeof(key))
		return mt_err_set(err, EINVAL, "command too long");
	memcpy(key, cmd, klen);
	key[klen] = '\0';
	if (send(t->fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0)
		return mt_err_set(err, errno, "%s: send: %s", t->path, strerror(errno));
	if ((rc = tel_recv(t, &reply, err)) != 0)
		return rc;
	if (reply->type != MT_JSON_OBJ || reply->n != 1 || strcmp(reply->key[0], key) != 0) {
		/* DPDK answers {"unknown": null}-like objects to what it
		 * cannot run; treat every other shape as "no value". */
		mt_json_free(reply);
		*out = calloc(1, sizeof(**out));
		return *out ? 0 : mt_err_set(err, ENOMEM, "out of memory");
	}
	/* detach the single member as the result */
	*out = malloc(sizeof(**out));
	if (*out == NULL) {
		mt_json_free(reply);
		return mt_err_set(err, ENOMEM, "out of memory");
	}
	**out = reply->kid[0];
	for (i = 0; i < reply->n; i++)
		free(reply->key[i]);
	free(reply->key);
	free(reply->kid);
	free(reply);
	return 0;
}

void
mt_tel_close(struct mt_tel *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* ---------------------------------------------------------------- samples */

static double
now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
unit_free(struct mt_sc_unit *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		free(u->name[i]);
	free(u->name);
	free(u->v);
	memset(u, 0, sizeof(*u));
}

/* cmd (/mailtap/lcores or /mailtap/ports): the id list, then each id's dict. */
static int
sample_units(struct mt_tel *t, const char *cmd, int optional, struct mt_sc_unit *units,
	     unsigned *n_units, struct mt_err *err)
{
	struct mt_json *list, *one;
	char q[300];
	size_t i, k;
	int rc;

	*n_units = 0;
	if ((rc = mt_tel_query(t, cmd, &list, err)) != 0)
		return rc;
	if (list->type != MT_JSON_ARR) {
		mt_json_free(list);
		if (optional)
			return 0;
		return mt_err_set(err, ENOENT, "%s: no %s command (is this mailtapd?)", t->path,
				  cmd);
	}
	for (i = 0; i < list->n && *n_units < MT_SC_MAX_UNITS; i++) {
		struct mt_sc_unit *u = &units[*n_units];

		if (list->kid[i].type != MT_JSON_NUM || !list->kid[i].is_u64)
			continue;
		snprintf(q, sizeof(q), "%s,%llu", cmd, (unsigned long long)list->kid[i].u64);
		if ((rc = mt_tel_query(t, q, &one, err)) != 0) {
			mt_json_free(list);
			return rc;
		}
		if (one->type != MT_JSON_OBJ) {  /* gone meanwhile */
			mt_json_free(one);
			continue;
		}
		memset(u, 0, sizeof(*u));
		u->id = (unsigned)list->kid[i].u64;
		u->name = calloc(one->n + 1, sizeof(*u->name));
		u->v = calloc(one->n + 1, sizeof(*u->v));
		if (u->name == NULL || u->v == NULL) {
			unit_free(u);
			mt_json_free(one);
			mt_json_free(list);
			return mt_err_set(err, ENOMEM, "out of memory");
		}
		for (k = 0; k < one->n; k++) {
			if (one->kid[k].type != MT_JSON_NUM)
				continue;
			u->name[u->n] = strdup(one->key[k]);
			if (u->name[u->n] == NULL) {
				unit_free(u);
				mt_json_free(one);
				mt_json_free(list);
				return mt_err_set(err, ENOMEM, "out of memory");
			}
			u->v[u->n++] = one->kid[k].is_u64 ? one->kid[k].u64 : (uint64_t)llround(
								fmax(one->kid[k].num, 0));
		}
		mt_json_free(one);
		(*n_units)++;
	}
	mt_json_free(list);
	return 0;
}

int
mt_sc_sample(struct mt_tel *t, struct mt_sc_sample *s, struct mt_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->t = now_s(CLOCK_MONOTONIC);
	s->wall = now_s(CLOCK_REALTIME);
	rc = sample_units(t, "/mailtap/lcores", 0, s->lcore, &s->n_lcores, err);
	if (rc == 0)
		rc = sample_units(t, "/mailtap/ports", 1, s->port, &s->n_ports, err);
	if (rc != 0)
		mt_sc_sample_free(s);
	return rc;
}

void
mt_sc_sample_free(struct mt_sc_sample *s)
{
	unsigned i;

	for (i = 0; i < s->n_lcores; i++)
		unit_free(&s->lcore[i]);
	for (i = 0; i < s->n_ports; i++)
		unit_free(&s->port[i]);
	s->n_lcores = s->n_ports = 0;
}

uint64_t
mt_sc_value(const struct mt_sc_unit *u, const char *name, int *found)
{
	size_t i;

	for (i = 0; u && i < u->n; i++)
		if (strcmp(u->name[i], name) == 0) {
			if (found)
				*found = 1;
			return u->v[i];
		}
	if (found)
		*found = 0;
	return 0;
}

double
mt_sc_rate(uint64_t prev, uint64_t cur, double seconds)
{
	if (cur < prev || seconds <= 0)
		return 0;
	return (double)(cur - prev) / seconds;
}
