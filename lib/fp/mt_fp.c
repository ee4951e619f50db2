/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_fp.c - fingerprint rule database and scoring (see mt_fp.h and
 * docs/FINGERPRINTS.md).  Cold path: rules are compiled once with PCRE2.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt_common.h"
#include "mt_fp.h"

static const char *const obs_names[MT_FP_NOBS] = {
	"banner", "ehlo", "help", "rcpt_first", "mail_bad", "unknown",
	"quit", "banner2", "nul", "long", "quit2",
};

const char *
mt_fp_obs_name(int id)
{
	return id >= 0 && id < MT_FP_NOBS ? obs_names[id] : "?";
}

int
mt_fp_obs_lookup(const char *name)
{
	for (int i = 0; i < MT_FP_NOBS; i++)
		if (strcmp(obs_names[i], name) == 0)
			return i;
	return -1;
}

int
mt_fp_obs_is_banner(int id)
{
	return id == MT_FP_BANNER || id == MT_FP_BANNER2;
}

/* ---- observation sets ------------------------------------------------- */

size_t
mt_fp_obs_set_raw(struct mt_fp_obs *o, const char *raw, size_t n)
{
	size_t len = 0, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == 0 || c == '\n' || (c >= 0x20 && c != 0x7f)) {
			size_t need = c == 0 ? 2 : 1;

			if (len + need >= sizeof(o->text))
				break;
			if (c == 0) {
				o->text[len++] = '\\';
				o->text[len++] = '0';
			} else {
				o->text[len++] = (char)c;
			}
		} else {
			if (len + 4 >= sizeof(o->text))
				break;
			len += (size_t)snprintf(o->text + len, 5, "\\x%02x", c);
		}
	}
	o->text[len] = '\0';
	o->present = 1;
	return i;
}

static void
obs_append(struct mt_fp_obs *o, const char *line, size_t n)
{
	size_t len = strlen(o->text);

	if (len && len + 1 < sizeof(o->text))
		o->text[len++] = '\n';
	n = MT_MIN(n, sizeof(o->text) - 1 - len);
	memcpy(o->text + len, line, n);
	o->text[len + n] = '\0';
}

int
mt_fp_obsset_parse(struct mt_fp_obsset *set, const char *text, struct mt_err *err)
{
	struct mt_fp_obs *cur = NULL;
	int lineno = 0;

	memset(set, 0, sizeof(*set));
	while (*text) {
		const char *eol = strchr(text, '\n');
		size_t n = eol ? (size_t)(eol - text) : strlen(text);
		char line[MT_FP_TEXT_MAX];

		lineno++;
		if (n && text[n - 1] == '\r')
			n--;
		n = MT_MIN(n, sizeof(line) - 1);
		memcpy(line, text, n);
		line[n] = '\0';
		text = eol ? eol + 1 : text + strlen(text);
		if (line[0] == '[' && n > 2 && line[n - 1] == ']') {
			int id;

			line[n - 1] = '\0';
			id = mt_fp_obs_lookup(line + 1);
			if (id < 0)
				return mt_err_set(err, EINVAL, "line %d: unknown observation '%s'",
						  lineno, line + 1);
			cur = &set->o[id];
			cur->present = 1;
			continue;
		}
		if (!cur) {
			if (n == 0 || line[0] == '#')
				continue;
			return mt_err_set(err, EINVAL, "line %d: text before a [section]", lineno);
		}
		if (strcmp(line, "!closed") == 0)
			cur->flags |= MT_FP_F_CLOSED;
		else if (strcmp(line, "!timeout") == 0)
			cur->flags |= MT_FP_F_TIMEOUT;
		else if (strcmp(line, "!slow") == 0)
			cur->flags |= MT_FP_F_SLOW;
		else if (n)
			obs_append(cur, line, n);
	}
	return 0;
}

size_t
mt_fp_obsset_format(const struct mt_fp_obsset *set, char *buf, size_t cap)
{
	size_t len = 0;

#define PUT(...) do { int k_ = snprintf(buf + len, cap - len, __VA_ARGS__); \
		if (k_ > 0) len = MT_MIN(len + (size_t)k_, cap - 1); } while (0)
	if (cap == 0)
		return 0;
	buf[0] = '\0';
	for (int i = 0; i < MT_FP_NOBS; i++) {
		const struct mt_fp_obs *o = &set->o[i];

		if (!o->present)
			continue;
		PUT("[%s]\n", obs_names[i]);
		if (o->text[0])
			PUT("%s\n", o->text);
		if (o->flags & MT_FP_F_CLOSED)
			PUT("!closed\n");
		if (o->flags & MT_FP_F_TIMEOUT)
			PUT("!timeout\n");
		if (o->flags & MT_FP_F_SLOW)
			PUT("!slow\n");
	}
#undef PUT
	return len;
}

/* ---- rule database ---------------------------------------------------- */

enum cond_kind { COND_RE, COND_CLOSED, COND_TIMEOUT, COND_SLOW };

struct cond {
	int obs;
	int weight;
	enum cond_kind kind;
	pcre2_code *re;
	char src[160];
};

struct example {
	int obs;
	char text[MT_FP_TEXT_MAX];
	char where[160];
};

struct rule {
	char id[64];
	char vendor[96];
	char product[96];
	char family[48];
	char where[160];
	int ver_obs;
	pcre2_code *ver_re;
	struct cond *conds;
	size_t nconds;
	struct example *ex;
	size_t nex;
};

/*
 * The database is read-only once loaded, so several threads may classify
 * with it at once (the prober, the appliance's writer lcore, the tests):
 * each call brings its own PCRE2 match data (cold path: one small
 * allocation per classification).
 */
struct mt_fp_db {
	struct rule *rules;
	size_t nrules;
};

static const char *const families[] = {
	"open-source-mta", "commercial-mta", "hosted-filter", "appliance", "library",
};

struct mt_fp_db *
mt_fp_db_new(void)
{
	return calloc(1, sizeof(struct mt_fp_db));
}

void
mt_fp_db_free(struct mt_fp_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nrules; i++) {
		struct rule *r = &db->rules[i];

		for (size_t j = 0; j < r->nconds; j++)
			pcre2_code_free(r->conds[j].re);
		pcre2_code_free(r->ver_re);
		free(r->conds);
		free(r->ex);
	}
	free(db->rules);
	free(db);
}

size_t
mt_fp_db_nrules(const struct mt_fp_db *db)
{
	return db->nrules;
}

/* "/re/flags" -> compiled, multi-line; flags: i (caseless). */
static pcre2_code *
compile_re(const char *s, char *why, size_t whylen)
{
	const char *end = strrchr(s, '/');
	uint32_t opt = PCRE2_MULTILINE;
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re;

	if (s[0] != '/' || end == s) {
		snprintf(why, whylen, "expected /regex/ or closed|timeout|slow, got '%s'", s);
		return NULL;
	}
	for (const char *f = end + 1; *f; f++) {
		if (*f == 'i') {
			opt |= PCRE2_CASELESS;
		} else if (!isspace((unsigned char)*f)) {
			snprintf(why, whylen, "unknown regex flag '%c'", *f);
			return NULL;
		}
	}
	re = pcre2_compile((PCRE2_SPTR)(s + 1), (PCRE2_SIZE)(end - s - 1), opt, &ec, &eo, NULL);
	if (!re) {
		PCRE2_UCHAR msg[128];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(why, whylen, "regex error at offset %zu: %s", (size_t)eo, (char *)msg);
	}
	return re;
}

/* Decode an example's escapes: \n newline, \\ backslash; "\0" stays as is. */
static void
unescape_example(char *dst, size_t cap, const char *s)
{
	size_t n = 0;

	while (*s && n + 1 < cap) {
		if (s[0] == '\\' && s[1] == 'n') {
			dst[n++] = '\n';
			s += 2;
		} else {
			dst[n++] = *s++;
		}
	}
	dst[n] = '\0';
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
rule_check(const struct rule *r, struct mt_err *err)
{
	if (!r->product[0] || !r->family[0])
		return mt_err_set(err, EINVAL, "%s: rule '%s' needs product and family",
				  r->where, r->id);
	if (r->nconds == 0)
		return mt_err_set(err, EINVAL, "%s: rule '%s' has no conditions", r->where, r->id);
	return 0;
}

int
mt_fp_db_load_file(struct mt_fp_db *db, const char *path, struct mt_err *err)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	int lineno = 0, rc = 0;
	struct rule *r = NULL;

	if (!f)
		return mt_err_set(err, errno, "%s: %s", path, strerror(errno));
	while (fgets(buf, sizeof(buf), f)) {
		char *line = trim(buf), *kw, *rest;
		char why[200];

		lineno++;
		if (!*line || *line == '#')
			continue;
		kw = line;
		rest = line + strcspn(line, " \t");
		if (*rest)
			*rest++ = '\0';
		rest = trim(rest);
		if (strcmp(kw, "rule") == 0) {
			struct rule *nr;

			if (r && (rc = rule_check(r, err)) != 0)
				break;
			if (!*rest || strlen(rest) >= sizeof(r->id)) {
				rc = mt_err_set(err, EINVAL, "%s:%d: rule needs a short id", path, lineno);
				break;
			}
			for (size_t i = 0; i < db->nrules; i++)
				if (strcmp(db->rules[i].id, rest) == 0) {
					rc = mt_err_set(err, EINVAL, "%s:%d: duplicate rule id '%s'",
							path, lineno, rest);
					goto out;
				}
			nr = realloc(db->rules, (db->nrules + 1) * sizeof(*nr));
			if (!nr) {
				rc = mt_err_set(err, ENOMEM, "%s:%d: out of memory", path, lineno);
				break;
			}
			db->rules = nr;
			r = &db->rules[db->nrules++];
			memset(r, 0, sizeof(*r));
			r->ver_obs = -1;
			snprintf(r->id, sizeof(r->id), "%s", rest);
			snprintf(r->where, sizeof(r->where), "%s:%d", path, lineno);
			continue;
		}
		if (!r) {
			rc = mt_err_set(err, EINVAL, "%s:%d: '%s' before any rule", path, lineno, kw);
			break;
		}
		if (strcmp(kw, "vendor") == 0) {
			snprintf(r->vendor, sizeof(r->vendor), "%s", rest);
		} else if (strcmp(kw, "product") == 0) {
			snprintf(r->product, sizeof(r->product), "%s", rest);
		} else if (strcmp(kw, "family") == 0) {
			size_t i;

			for (i = 0; i < MT_ARRAY_SIZE(families); i++)
				if (strcmp(rest, families[i]) == 0)
					break;
			if (i == MT_ARRAY_SIZE(families)) {
				rc = mt_err_set(err, EINVAL, "%s:%d: unknown family '%s'", path,
						lineno, rest);
				break;
			}
			snprintf(r->family, sizeof(r->family), "%s", rest);
		} else if (strcmp(kw, "version") == 0 || strcmp(kw, "when") == 0 ||
			   strcmp(kw, "example") == 0) {
			char *obsname = rest, *arg = rest + strcspn(rest, " \t");
			int obs;

			if (*arg)
				*arg++ = '\0';
			arg = trim(arg);
			obs = mt_fp_obs_lookup(obsname);
			if (obs < 0) {
				rc = mt_err_set(err, EINVAL, "%s:%d: unknown observation '%s'", path,
						lineno, obsname);
				break;
			}
			if (strcmp(kw, "version") == 0) {
				r->ver_obs = obs;
				r->ver_re = compile_re(arg, why, sizeof(why));
				if (!r->ver_re) {
					rc = mt_err_set(err, EINVAL, "%s:%d: %s", path, lineno, why);
					break;
				}
			} else if (strcmp(kw, "when") == 0) {
				struct cond *c, *nc;
				char *end;
				long w = strtol(arg, &end, 10);

				if (end == arg || !isspace((unsigned char)*end) || w == 0 ||
				    w < -100 || w > 100) {
					rc = mt_err_set(err, EINVAL,
							"%s:%d: when OBS WEIGHT COND (weight -100..100, not 0)",
							path, lineno);
					break;
				}
				arg = trim(end);
				nc = realloc(r->conds, (r->nconds + 1) * sizeof(*nc));
				if (!nc) {
					rc = mt_err_set(err, ENOMEM, "%s:%d: out of memory", path, lineno);
					break;
				}
				r->conds = nc;
				c = &r->conds[r->nconds];
				memset(c, 0, sizeof(*c));
				c->obs = obs;
				c->weight = (int)w;
				snprintf(c->src, sizeof(c->src), "%s", arg);
				if (strcmp(arg, "closed") == 0) {
					c->kind = COND_CLOSED;
				} else if (strcmp(arg, "timeout") == 0) {
					c->kind = COND_TIMEOUT;
				} else if (strcmp(arg, "slow") == 0) {
					c->kind = COND_SLOW;
				} else {
					c->kind = COND_RE;
					c->re = compile_re(arg, why, sizeof(why));
					if (!c->re) {
						rc = mt_err_set(err, EINVAL, "%s:%d: %s", path, lineno, why);
						break;
					}
				}
				r->nconds++;
			} else {
				struct example *ne = realloc(r->ex, (r->nex + 1) * sizeof(*ne));

				if (!ne) {
					rc = mt_err_set(err, ENOMEM, "%s:%d: out of memory", path, lineno);
					break;
				}
				r->ex = ne;
				ne[r->nex].obs = obs;
				unescape_example(ne[r->nex].text, sizeof(ne[r->nex].text), arg);
				snprintf(ne[r->nex].where, sizeof(ne[r->nex].where), "%s:%d", path,
					 lineno);
				r->nex++;
			}
		} else {
			rc = mt_err_set(err, EINVAL, "%s:%d: unknown keyword '%s'", path, lineno, kw);
			break;
		}
	}
	if (rc == 0 && r)
		rc = rule_check(r, err);
out:
	fclose(f);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
mt_fp_db_load_dir(struct mt_fp_db *db, const char *dir, struct mt_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[256];
	size_t n = 0;
	int rc = 0;

	if (!d)
		return mt_err_set(err, errno, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL && n < MT_ARRAY_SIZE(names)) {
		size_t l = strlen(e->d_name);

		if (l > 3 && strcmp(e->d_name + l - 3, ".fp") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[1024];

		if (rc == 0 && names[i]) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			rc = mt_fp_db_load_file(db, path, err);
		} else if (rc == 0) {
			rc = mt_err_set(err, ENOMEM, "%s: out of memory", dir);
		}
		free(names[i]);
	}
	if (rc == 0 && db->nrules == 0)
		rc = mt_err_set(err, ENOENT, "%s: no rules (*.fp)", dir);
	return rc;
}

/* ---- matching --------------------------------------------------------- */

static int
cond_holds(pcre2_match_data *md, const struct cond *c, const struct mt_fp_obs *o)
{
	if (!o->present)
		return 0;
	switch (c->kind) {
	case COND_CLOSED:
		return (o->flags & MT_FP_F_CLOSED) != 0;
	case COND_TIMEOUT:
		return (o->flags & MT_FP_F_TIMEOUT) != 0;
	case COND_SLOW:
		return (o->flags & MT_FP_F_SLOW) != 0;
	case COND_RE:
		return pcre2_match(c->re, (PCRE2_SPTR)o->text, strlen(o->text), 0, 0, md,
				   NULL) >= 0;
	}
	return 0;
}

int
mt_fp_db_check_examples(const struct mt_fp_db *db, struct mt_err *err)
{
	pcre2_match_data *md = pcre2_match_data_create(16, NULL);
	int nrun = 0;

	if (!md)
		return mt_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < db->nrules; i++) {
		const struct rule *r = &db->rules[i];

		for (size_t k = 0; k < r->nex; k++) {
			struct mt_fp_obs o;
			int ok = 0;

			memset(&o, 0, sizeof(o));
			o.present = 1;
			snprintf(o.text, sizeof(o.text), "%s", r->ex[k].text);
			for (size_t j = 0; j < r->nconds && !ok; j++)
				ok = r->conds[j].obs == r->ex[k].obs && r->conds[j].weight > 0 &&
				     cond_holds(md, &r->conds[j], &o);
			if (!ok) {
				pcre2_match_data_free(md);
				return mt_err_set(err, EINVAL,
						  "%s: example for %s matches no positive '%s' condition of rule '%s'",
						  r->ex[k].where, mt_fp_obs_name(r->ex[k].obs),
						  mt_fp_obs_name(r->ex[k].obs), r->id);
			}
			nrun++;
		}
	}
	pcre2_match_data_free(md);
	return nrun;
}

static int
score_rule(pcre2_match_data *md, const struct rule *r, const struct mt_fp_obsset *set,
	   int *nonbanner, struct mt_fp_verdict *v)
{
	int score = 0;
	unsigned seen = 0;

	*nonbanner = 0;
	for (size_t j = 0; j < r->nconds; j++) {
		const struct cond *c = &r->conds[j];

		if (!cond_holds(md, c, &set->o[c->obs]))
			continue;
		score += c->weight;
		if (c->weight > 0 && !mt_fp_obs_is_banner(c->obs) && !(seen & (1u << c->obs))) {
			seen |= 1u << c->obs;
			(*nonbanner)++;
		}
		if (v && v->ndecided < MT_FP_MAX_DECIDED) {
			struct mt_fp_decided *d = &v->decided[v->ndecided++];

			d->obs = c->obs;
			d->weight = c->weight;
			snprintf(d->cond, sizeof(d->cond), "%s", c->src);
		}
	}
	return score;
}

void
mt_fp_classify(const struct mt_fp_db *db, const struct mt_fp_obsset *set,
	       struct mt_fp_verdict *v)
{
	int best = -1, best_score = 0, second = -1, second_score = 0, nb;
	pcre2_match_data *md = pcre2_match_data_create(16, NULL);
	const struct rule *r;

	memset(v, 0, sizeof(*v));
	v->reason = "no rule matched";
	if (!md) {
		v->reason = "out of memory";
		return;
	}
	for (size_t i = 0; i < db->nrules; i++) {
		int s = score_rule(md, &db->rules[i], set, &nb, NULL);

		if (s <= 0)
			continue;
		if (best < 0 || s > best_score) {
			second = best;
			second_score = best_score;
			best = (int)i;
			best_score = s;
		} else if (second < 0 || s > second_score) {
			second = (int)i;
			second_score = s;
		}
	}
	if (best < 0) {
		pcre2_match_data_free(md);
		return;
	}
	r = &db->rules[best];
	v->score = score_rule(md, r, set, &v->nonbanner, v);
	snprintf(v->rule, sizeof(v->rule), "%s", r->id);
	snprintf(v->vendor, sizeof(v->vendor), "%s", r->vendor);
	snprintf(v->product, sizeof(v->product), "%s", r->product);
	snprintf(v->family, sizeof(v->family), "%s", r->family);
	if (second >= 0) {
		snprintf(v->runner_up, sizeof(v->runner_up), "%s", db->rules[second].id);
		v->runner_score = second_score;
	}
	if (r->ver_re && set->o[r->ver_obs].present) {
		const char *t = set->o[r->ver_obs].text;
		int n = pcre2_match(r->ver_re, (PCRE2_SPTR)t, strlen(t), 0, 0, md, NULL);

		if (n >= 2) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			size_t len = ov[3] - ov[2];

			if (ov[2] != PCRE2_UNSET) {
				len = MT_MIN(len, sizeof(v->version) - 1);
				memcpy(v->version, t + ov[2], len);
				v->version[len] = '\0';
			}
		}
	}
	pcre2_match_data_free(md);
	if (v->score < MT_FP_THRESHOLD)
		v->reason = "score below threshold";
	else if (v->nonbanner < MT_FP_MIN_NONBANNER)
		v->reason = "fewer than 2 non-banner observations agree";
	else if (second >= 0 && best_score - second_score < MT_FP_MARGIN)
		v->reason = "two products score alike";
	else {
		v->known = 1;
		v->reason = "";
	}
}
