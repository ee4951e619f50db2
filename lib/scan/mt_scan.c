/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_scan.c - compiled rule sets, the reload handle, workers and streams
 * (contract: mt_scan.h).
 *
 *	control thread            handle h              worker w
 *	load -> db2 (ref 1)       cur = db1 (+1)        w->db = db1 (+1)
 *	swap(h, db2):             cur = db2             refresh: sees db2,
 *	  qsbr synchronize  <----------------------------  takes +1, drops db1's
 *	  put(db1)  (handle's ref)                         reports quiescent
 *	                                                mails on db1 end: put;
 *	                                                the last one frees db1
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "mt_common.h"
#include "scan_priv.h"

struct mt_scan_db {
	atomic_uint refcnt;
	uint64_t gen;
	struct scan_rules rs;                   /* rules, sorted by nothing:
	                                         * index = Hyperscan id */
	uint32_t *by_id;                        /* rule indexes sorted by id */
	hs_database_t *hs[MT_SCAN__SCOPES];     /* NULL: no rule in scope */
	uint8_t rte_mem;                        /* hs[] in rte_malloc memory */
	size_t bytes;
};

struct mt_scan_handle {
	_Atomic(struct mt_scan_db *) cur;
	struct rte_rcu_qsbr *qs;
	unsigned max_workers;
};

struct mt_scan_worker {
	struct mt_scan_handle *h;
	unsigned index;
	struct mt_scan_db *db;              /* this worker's reference */
	hs_scratch_t *scratch;
	unsigned ncache[MT_SCAN__SCOPES];
	hs_stream_t *cache[MT_SCAN__SCOPES][MT_SCAN_STREAM_CACHE];
};

static atomic_uint_fast64_t generation;

/* ---- databases -------------------------------------------------------- */

static void
db_free(struct mt_scan_db *db)
{
	unsigned s;

	for (s = 0; s < MT_SCAN__SCOPES; s++) {
		if (db->hs[s] == NULL)
			continue;
		if (db->rte_mem)
			rte_free(db->hs[s]);
		else
			hs_free_database(db->hs[s]);
	}
	scan_rules_free(&db->rs);
	free(db->by_id);
	free(db);
}

void
mt_scan_db_get(struct mt_scan_db *db)
{
	atomic_fetch_add_explicit(&db->refcnt, 1, memory_order_relaxed);
}

void
mt_scan_db_put(struct mt_scan_db *db)
{
	if (db != NULL && atomic_fetch_sub_explicit(&db->refcnt, 1, memory_order_acq_rel) == 1)
		db_free(db);
}

unsigned
mt_scan_db_rule_count(const struct mt_scan_db *db)
{
	return db->rs.n;
}

const struct mt_scan_rule *
mt_scan_db_rule(const struct mt_scan_db *db, unsigned idx)
{
	return idx < db->rs.n ? &db->rs.v[idx] : NULL;
}

const struct mt_scan_rule *
mt_scan_db_find(const struct mt_scan_db *db, uint32_t id)
{
	unsigned lo = 0, hi = db->rs.n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct mt_scan_rule *r = &db->rs.v[db->by_id[mid]];

		if (r->id == id)
			return r;
		if (r->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint64_t
mt_scan_db_generation(const struct mt_scan_db *db)
{
	return db->gen;
}

size_t
mt_scan_db_bytes(const struct mt_scan_db *db)
{
	return db->bytes;
}

static int
cmp_by_id(const void *a, const void *b, void *arg)
{
	const struct mt_scan_rule *v = arg;
	uint32_t x = v[*(const uint32_t *)a].id, y = v[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

/* Every pattern on its own: syntax and support errors for all lines. */
static void
check_patterns(struct scan_rules *rs)
{
	unsigned i;

	for (i = 0; i < rs->n; i++) {
		const struct mt_scan_rule *r = &rs->v[i];
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *ce = NULL;

		if (hs_expression_info(r->pattern, r->hs_flags, &info, &ce) != HS_SUCCESS) {
			scan_rules_error(rs, EINVAL, r->file, r->line, "id=%u: pattern /%s/: %s",
					 r->id, r->pattern, ce ? ce->message : "rejected");
			hs_free_compile_error(ce);
			continue;
		}
		if (info->min_width == 0)
			scan_rules_error(rs, EINVAL, r->file, r->line,
					 "id=%u: pattern /%s/ can match an empty string", r->id,
					 r->pattern);
		free(info);
	}
}

/* Compile the rules of one scope; on an error whose expression is known,
 * report it, leave that rule out and go on, to report more. */
static int
compile_scope(struct scan_rules *rs, unsigned scope, hs_database_t **out)
{
	const char **expr = malloc(rs->n * sizeof(*expr));
	unsigned *flags = malloc(rs->n * sizeof(*flags));
	unsigned *ids = malloc(rs->n * sizeof(*ids));
	unsigned i, n = 0, tries;
	int rc = 0;

	*out = NULL;
	if (!expr || !flags || !ids) {
		rc = -ENOMEM;
		goto done;
	}
	for (i = 0; i < rs->n; i++) {
		if (!(rs->v[i].scopes & (1u << scope)))
			continue;
		expr[n] = rs->v[i].pattern;
		flags[n] = rs->v[i].hs_flags;
		ids[n] = i;
		n++;
	}
	for (tries = 0; n > 0 && tries < 64; tries++) {
		hs_compile_error_t *ce = NULL;

		if (hs_compile_multi(expr, flags, ids, n, HS_MODE_STREAM, NULL, out, &ce) ==
		    HS_SUCCESS)
			break;
		if (ce && ce->expression >= 0 && (unsigned)ce->expression < n) {
			const struct mt_scan_rule *r = &rs->v[ids[ce->expression]];
			unsigned k = (unsigned)ce->expression;

			scan_rules_error(rs, EINVAL, r->file, r->line, "id=%u: pattern /%s/: %s",
					 r->id, r->pattern, ce->message);
			memmove(expr + k, expr + k + 1, (n - k - 1) * sizeof(*expr));
			memmove(flags + k, flags + k + 1, (n - k - 1) * sizeof(*flags));
			memmove(ids + k, ids + k + 1, (n - k - 1) * sizeof(*ids));
			n--;
		} else {
			scan_rules_error(rs, EINVAL, "rules", 0, "scope %s: Hyperscan: %s",
					 mt_scan_scope_str((enum mt_scan_scope)scope), ce ? ce->message : "compile failed");
			hs_free_compile_error(ce);
			break;
		}
		hs_free_compile_error(ce);
		*out = NULL;
	}
done:
	free(expr);
	free(flags);
	free(ids);
	return rc;
}

/* Move a heap database into rte_malloc memory on socket. */
static int
db_to_socket(hs_database_t **hdb, int socket, struct mt_err *err)
{
	char *ser = NULL;
	size_t len = 0, size = 0;
	void *mem;
	hs_error_t e;

	if (hs_serialize_database(*hdb, &ser, &len) != HS_SUCCESS ||
	    hs_serialized_database_size(ser, len, &size) != HS_SUCCESS) {
		free(ser);
		return mt_err_set(err, ENOMEM, "hs_serialize_database failed");
	}
	mem = rte_malloc_socket("mt_scan_db", size, 64, socket);
	if (mem == NULL) {
		free(ser);
		return mt_err_set(err, ENOMEM,
				  "rte_malloc_socket(%zu bytes, socket %d) failed "
				  "(EAL not initialised, or no memory on that socket)", size, socket);
	}
	e = hs_deserialize_database_at(ser, len, (hs_database_t *)mem);
	free(ser);
	if (e != HS_SUCCESS) {
		rte_free(mem);
		return mt_err_set(err, EINVAL, "hs_deserialize_database_at failed (%d)", e);
	}
	hs_free_database(*hdb);
	*hdb = (hs_database_t *)mem;
	return 0;
}

/* Finish a load from the parsed rules in db->rs. */
static int
db_build(struct mt_scan_db *db, const struct mt_scan_params *prm, struct mt_err *err)
{
	struct scan_rules *rs = &db->rs;
	unsigned s, i;
	int rc;

	scan_rules_check_ids(rs);
	check_patterns(rs); /* every line, even after other errors */
	for (s = 0; s < MT_SCAN__SCOPES && rs->errors == 0; s++) {
		rc = compile_scope(rs, s, &db->hs[s]);
		if (rc < 0)
			return mt_err_set(err, -rc, "out of memory compiling rules");
	}
	if (rs->errors) {
		if (rs->errors > 1)
			return mt_err_set(err, rs->errnum, "%.400s (and %u more errors)",
					  rs->first.msg, rs->errors - 1);
		return mt_err_set(err, rs->errnum, "%s", rs->first.msg);
	}
	db->by_id = malloc((rs->n ? rs->n : 1) * sizeof(*db->by_id));
	if (db->by_id == NULL)
		return mt_err_set(err, ENOMEM, "out of memory");
	for (i = 0; i < rs->n; i++)
		db->by_id[i] = i;
	qsort_r(db->by_id, rs->n, sizeof(*db->by_id), cmp_by_id, rs->v);
	if (prm && prm->socket_id != MT_SCAN_SOCKET_HEAP) {
		for (s = 0; s < MT_SCAN__SCOPES; s++) {
			if (db->hs[s] == NULL)
				continue;
			rc = db_to_socket(&db->hs[s], prm->socket_id, err);
			if (rc < 0) {
				/* the ones moved so far are rte memory: free them here */
				unsigned t;

				for (t = 0; t < s; t++) {
					if (db->hs[t])
						rte_free(db->hs[t]);
					db->hs[t] = NULL;
				}
				return rc;
			}
		}
		db->rte_mem = 1;
	}
	for (s = 0; s < MT_SCAN__SCOPES; s++) {
		size_t b = 0;

		if (db->hs[s] && hs_database_size(db->hs[s], &b) == HS_SUCCESS)
			db->bytes += b;
	}
	db->gen = atomic_fetch_add(&generation, 1) + 1;
	atomic_init(&db->refcnt, 1);
	return 0;
}

static struct mt_scan_db *
db_new(const struct mt_scan_params *prm)
{
	struct mt_scan_db *db = calloc(1, sizeof(*db));

	if (db)
		db->rs.prm = prm;
	return db;
}

static int
db_finish(struct mt_scan_db *db, const struct mt_scan_params *prm, struct mt_scan_db **dbp,
	  struct mt_err *err)
{
	int rc = db_build(db, prm, err);

	if (rc < 0) {
		db_free(db);
		return rc;
	}
	db->rs.prm = NULL;
	*dbp = db;
	return 0;
}

int
mt_scan_db_load_buf(const char *name, const char *text, size_t len,
		    const struct mt_scan_params *prm, struct mt_scan_db **dbp, struct mt_err *err)
{
	struct mt_scan_db *db = db_new(prm);

	*dbp = NULL;
	if (db == NULL)
		return mt_err_set(err, ENOMEM, "out of memory");
	scan_rules_parse(&db->rs, name, text, len);
	return db_finish(db, prm, dbp, err);
}

int
mt_scan_db_load(const char *const *paths, unsigned n, const struct mt_scan_params *prm,
		struct mt_scan_db **dbp, struct mt_err *err)
{
	struct mt_scan_db *db = db_new(prm);
	unsigned i;

	*dbp = NULL;
	if (db == NULL)
		return mt_err_set(err, ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		FILE *f = fopen(paths[i], "re");
		char *text = NULL;
		size_t cap = 0, len = 0;

		if (f == NULL) {
			scan_rules_error(&db->rs, errno, paths[i], 0, "cannot open: %s",
					 strerror(errno));
			continue;
		}
		for (;;) {
			size_t k;

			if (cap - len < 65536) {
				char *t = realloc(text, cap + 65536);

				if (t == NULL)
					break;
				text = t;
				cap += 65536;
			}
			k = fread(text + len, 1, cap - len, f);
			len += k;
			if (k == 0)
				break;
		}
		if (ferror(f) || text == NULL)
			scan_rules_error(&db->rs, EIO, paths[i], 0, "read error");
		else
			scan_rules_parse(&db->rs, paths[i], text, len);
		fclose(f);
		free(text);
	}
	if (n == 0)
		scan_rules_error(&db->rs, EINVAL, "rules", 0, "no rules file given");
	return db_finish(db, prm, dbp, err);
}

struct check_ctx {
	FILE *out;
	unsigned n;
};

static void
check_print(void *ctx, const char *msg)
{
	struct check_ctx *c = ctx;

	fprintf(c->out, "%s\n", msg);
	c->n++;
}

int
mt_scan_check_files(const char *const *paths, unsigned n, FILE *out)
{
	struct check_ctx c = { out, 0 };
	struct mt_scan_params prm = { MT_SCAN_SOCKET_HEAP, check_print, &c };
	struct mt_scan_db *db;
	struct mt_err err;
	unsigned s, per[MT_SCAN__SCOPES] = { 0 }, i;

	if (mt_scan_db_load(paths, n, &prm, &db, &err) < 0) {
		if (c.n == 0)
			fprintf(out, "%s\n", err.msg);
		fprintf(out, "rules: %u error%s\n", c.n ? c.n : 1, c.n == 1 ? "" : "s");
		return 1;
	}
	for (i = 0; i < db->rs.n; i++)
		for (s = 0; s < MT_SCAN__SCOPES; s++)
			per[s] += !!(db->rs.v[i].scopes & (1u << s));
	fprintf(out, "rules: %u OK (envelope %u, headers %u, body %u, attachment %u), "
		     "%zu bytes compiled\n",
		db->rs.n, per[0], per[1], per[2], per[3], db->bytes);
	mt_scan_db_put(db);
	return 0;
}

/* ---- handle ----------------------------------------------------------- */

struct mt_scan_handle *
mt_scan_handle_create(struct mt_scan_db *db, unsigned max_workers, struct mt_err *err)
{
	struct mt_scan_handle *h;
	size_t qsz;

	if (db == NULL || max_workers == 0) {
		mt_err_set(err, EINVAL, "scan handle: no db or no workers");
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	qsz = rte_rcu_qsbr_get_memsize(max_workers);
	if (h == NULL || qsz == (size_t)-1 ||
	    (h->qs = aligned_alloc(RTE_CACHE_LINE_SIZE,
				   RTE_ALIGN_CEIL(qsz, RTE_CACHE_LINE_SIZE))) == NULL) {
		free(h);
		mt_err_set(err, ENOMEM, "scan handle: out of memory");
		return NULL;
	}
	if (rte_rcu_qsbr_init(h->qs, max_workers) != 0) {
		free(h->qs);
		free(h);
		mt_err_set(err, EINVAL, "scan handle: rte_rcu_qsbr_init failed");
		return NULL;
	}
	h->max_workers = max_workers;
	atomic_init(&h->cur, db);
	return h;
}

void
mt_scan_handle_swap(struct mt_scan_handle *h, struct mt_scan_db *db)
{
	struct mt_scan_db *old = atomic_exchange_explicit(&h->cur, db, memory_order_acq_rel);

	/* Every worker that could have read `old` without a reference has
	 * passed a refresh once this returns. */
	rte_rcu_qsbr_synchronize(h->qs, RTE_QSBR_THRID_INVALID);
	mt_scan_db_put(old);
}

void
mt_scan_handle_free(struct mt_scan_handle *h)
{
	if (h == NULL)
		return;
	mt_scan_db_put(atomic_load(&h->cur));
	free(h->qs);
	free(h);
}

/* ---- workers ---------------------------------------------------------- */

static int
scratch_fit(struct mt_scan_worker *w, struct mt_scan_db *db)
{
	unsigned s;

	for (s = 0; s < MT_SCAN__SCOPES; s++)
		if (db->hs[s] && hs_alloc_scratch(db->hs[s], &w->scratch) != HS_SUCCESS)
			return -ENOMEM;
	return 0;
}

static void
cache_drop(struct mt_scan_worker *w)
{
	unsigned s;

	for (s = 0; s < MT_SCAN__SCOPES; s++)
		while (w->ncache[s] > 0)
			hs_close_stream(w->cache[s][--w->ncache[s]], NULL, NULL, NULL);
}

struct mt_scan_worker *
mt_scan_worker_create(struct mt_scan_handle *h, unsigned index, struct mt_err *err)
{
	struct mt_scan_worker *w;

	if (index >= h->max_workers) {
		mt_err_set(err, EINVAL, "scan worker %u: max_workers is %u", index, h->max_workers);
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		mt_err_set(err, ENOMEM, "scan worker %u: out of memory", index);
		return NULL;
	}
	w->h = h;
	w->index = index;
	if (rte_rcu_qsbr_thread_register(h->qs, index) != 0) {
		free(w);
		mt_err_set(err, EINVAL, "scan worker %u: rcu register failed", index);
		return NULL;
	}
	rte_rcu_qsbr_thread_online(h->qs, index);
	/* Online first: from here a swap waits for us, so cur stays alive
	 * until we hold our reference. */
	w->db = atomic_load_explicit(&h->cur, memory_order_acquire);
	mt_scan_db_get(w->db);
	if (scratch_fit(w, w->db) < 0) {
		mt_scan_worker_free(w);
		mt_err_set(err, ENOMEM, "scan worker %u: hs_alloc_scratch failed", index);
		return NULL;
	}
	rte_rcu_qsbr_quiescent(h->qs, index);
	return w;
}

void
mt_scan_worker_free(struct mt_scan_worker *w)
{
	if (w == NULL)
		return;
	cache_drop(w);
	rte_rcu_qsbr_thread_offline(w->h->qs, w->index);
	rte_rcu_qsbr_thread_unregister(w->h->qs, w->index);
	mt_scan_db_put(w->db);
	hs_free_scratch(w->scratch);
	free(w);
}

void
mt_scan_worker_refresh(struct mt_scan_worker *w)
{
	struct mt_scan_db *cur = atomic_load_explicit(&w->h->cur, memory_order_acquire);

	if (unlikely(cur != w->db)) {
		/* Scratch must also fit the new db; if it cannot grow, stay
		 * on the old db and try again next round. */
		if (scratch_fit(w, cur) == 0) {
			mt_scan_db_get(cur);
			cache_drop(w);
			mt_scan_db_put(w->db);
			w->db = cur;
		}
	}
	rte_rcu_qsbr_quiescent(w->h->qs, w->index);
}

struct mt_scan_db *
mt_scan_mail_begin(struct mt_scan_worker *w)
{
	mt_scan_db_get(w->db);
	return w->db;
}

void
mt_scan_mail_end(struct mt_scan_worker *w, struct mt_scan_db *db)
{
	(void)w;
	mt_scan_db_put(db);
}

/* ---- streams ---------------------------------------------------------- */

static int
on_hs_match(unsigned int id, unsigned long long from, unsigned long long to,
	    unsigned int flags, void *ctx)
{
	struct mt_scan_stream *s = ctx;

	(void)from;
	(void)flags;
	s->matches++;
	if (s->fn)
		s->fn(s->ctx, &s->db->rs.v[id], (enum mt_scan_scope)s->scope, to);
	return 0;
}

int
mt_scan_stream_open(struct mt_scan_worker *w, struct mt_scan_db *db, struct mt_scan_stream *s,
		    enum mt_scan_scope scope, mt_scan_match_fn fn, void *ctx)
{
	hs_stream_t *st = NULL;

	s->hs = NULL;
	s->db = db;
	s->fn = fn;
	s->ctx = ctx;
	s->bytes = 0;
	s->matches = 0;
	s->scope = (uint8_t)scope;
	s->errors = 0;
	if ((unsigned)scope >= MT_SCAN__SCOPES || db->hs[scope] == NULL)
		return 0;
	if (db == w->db && w->ncache[scope] > 0)
		st = w->cache[scope][--w->ncache[scope]];
	else if (hs_open_stream(db->hs[scope], 0, &st) != HS_SUCCESS)
		return -ENOMEM;
	s->hs = st;
	return 0;
}

void
mt_scan_stream_feed(struct mt_scan_worker *w, struct mt_scan_stream *s, const void *p, size_t n)
{
	if (s->hs == NULL || n == 0)
		return;
	while (n > 0) {
		/* hs takes an unsigned int length */
		unsigned k = n > (1u << 30) ? (1u << 30) : (unsigned)n;

		if (hs_scan_stream(s->hs, p, k, 0, w->scratch, on_hs_match, s) != HS_SUCCESS &&
		    s->errors < UINT8_MAX)
			s->errors++;
		p = (const uint8_t *)p + k;
		n -= k;
		s->bytes += k;
	}
}

void
mt_scan_stream_close(struct mt_scan_worker *w, struct mt_scan_stream *s)
{
	unsigned sc = s->scope;

	if (s->hs == NULL)
		return;
	if (s->db == w->db && w->ncache[sc] < MT_SCAN_STREAM_CACHE &&
	    hs_reset_stream(s->hs, 0, w->scratch, on_hs_match, s) == HS_SUCCESS)
		w->cache[sc][w->ncache[sc]++] = s->hs;
	else
		hs_close_stream(s->hs, w->scratch, on_hs_match, s);
	s->hs = NULL;
}
