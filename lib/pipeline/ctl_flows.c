/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_flows.c - /mailtap/flows on DPDK's telemetry socket: each worker's
 * flow table, as gauges and as a pageable list of its connections.
 *
 *	/mailtap/flows          the worker ids
 *	/mailtap/flows,W        worker W: gauges, and page 0 of its flows
 *	/mailtap/flows,W,P      worker W: gauges, and page P (FL_PAGE flows)
 *
 * A worker owns its rte_hash flow table; no other thread may walk it.  So:
 *
 *   - Gauges.  The worker copies its table's gauges (counts per class,
 *     high-water mark, the oldest flow, out-of-order bytes held) into its
 *     own cache-aligned block in this file with relaxed stores, at most
 *     once a millisecond and once more when it exits.  The control thread
 *     reads them with relaxed loads: each field is whole, the set may be
 *     a millisecond stale.
 *
 *   - The list.  The control thread posts a request (page number, then a
 *     sequence number with a release store).  The worker sees it at the
 *     top of its next step, copies at most FL_PAGE flows into the block's
 *     reply buffer and publishes the request's sequence number with a
 *     release store.  The control thread waits for it (acquire loads) at
 *     most FL_WAIT_MS; it reads the buffer only after that, and the worker
 *     writes the buffer only when a new request comes.  A worker that has
 *     exited (offline run drained) or is stuck longer than the wait gets
 *     an answer with the gauges only and "list": "worker exited" or
 *     "worker busy" (one not started yet is waited for like a busy
 *     one).  Telemetry serves each client from its own thread: a mutex
 *     per worker orders the control threads (the worker never takes it).
 *
 * The blocks are static: a command arriving after the pipeline is freed
 * reads the last gauges, never freed memory.
 *
 * LIMITS
 *	A reply is capped at 16 KB by DPDK: FL_PAGE flows of IPv6 addresses
 *	with 20-digit counters fit.  Pages are in creation order (oldest
 *	first) and move while flows come and go.  The page after the last one
 *	asked costs the worker FL_PAGE slot visits (it resumes where that one
 *	ended, if that flow is still there); any other page P costs
 *	(P + 1) * FL_PAGE.  Ages are the daemon's own clock (TSC), also for
 *	a capture file.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "pipeline_priv.h"

#define FL_PAGE 48
#define FL_WAIT_MS 500

enum fl_state { FL_NOT_STARTED, FL_RUNNING, FL_EXITED };

struct fl_entry {
	struct mt_flow_key key;
	uint64_t first_tsc, last_tsc;
	struct mt_session_info si;
	uint8_t cls;
};

struct fl_block {
	/* written by the worker (relaxed stores) */
	struct {
		uint32_t state;
		uint32_t capacity, active, high_water;
		uint32_t by_class[MT_FLOW_NCLASS];
		uint64_t oldest_first_tsc;
		uint64_t idlest_tsc[MT_FLOW_NCLASS];
		uint64_t ooo_bytes, ooo_pieces;
		uint64_t tsc;              /* when published */
	} g __rte_cache_aligned;
	/* the request: written by a control thread under lock */
	struct {
		uint32_t seq;
		uint32_t page;
	} req __rte_cache_aligned;
	/* the reply: written by the worker, seq last (release) */
	struct {
		uint32_t seq;
		uint32_t n;
		uint32_t total;            /* flows in the table at the copy */
		uint64_t tsc;              /* when copied */
		struct fl_entry e[FL_PAGE];
	} rep __rte_cache_aligned;
	/* the worker's own: where the last page ended, so that a listing
	 * page by page costs FL_PAGE visits a page */
	struct {
		uint32_t next_page;
		struct mt_flow_cursor cur;
	} wk __rte_cache_aligned;
	/* set at registration, read-only afterwards */
	unsigned lcore;
	uint64_t ooo_pieces_max;
	uint32_t max_ooo_bytes;
	pthread_mutex_t lock;
};

static struct fl_block fl[PL_MAX_WORKERS];
static unsigned fl_n;
static pthread_once_t fl_once = PTHREAD_ONCE_INIT;

#define PUT(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

static void
fl_init_locks(void)
{
	unsigned i;

	for (i = 0; i < PL_MAX_WORKERS; i++)
		pthread_mutex_init(&fl[i].lock, NULL);
}

/* ---- worker side ------------------------------------------------------- */

static void
publish(struct pl_worker *w, struct fl_block *b, uint64_t now)
{
	struct mt_flow_table_gauges g;
	unsigned c;

	mt_flow_table_gauges(w->flows, &g);
	PUT(b->g.capacity, g.capacity);
	PUT(b->g.active, g.active);
	PUT(b->g.high_water, g.high_water);
	for (c = 0; c < MT_FLOW_NCLASS; c++) {
		PUT(b->g.by_class[c], g.by_class[c]);
		PUT(b->g.idlest_tsc[c], g.idlest_tsc[c]);
	}
	PUT(b->g.oldest_first_tsc, g.oldest_first_tsc);
	PUT(b->g.ooo_bytes, w->ooo_bytes);
	PUT(b->g.ooo_pieces, (uint64_t)w->ooo_pieces);
	PUT(b->g.tsc, now);
}

static void
copy_flow(struct mt_flow_slot *s, void *arg)
{
	struct fl_block *b = arg;
	struct fl_entry *e = &b->rep.e[b->rep.n++];

	e->key = s->key;
	e->first_tsc = s->first_tsc;
	e->last_tsc = s->last_tsc;
	e->cls = s->cls;
	mt_session_info((const struct mt_session *)s, &e->si);
}

void
pl_flows_worker_poll(struct pl_worker *w)
{
	struct fl_block *b = &fl[w->idx];
	uint64_t now;
	uint32_t seq;

	if (w->idx >= fl_n)
		return;
	if (GET(b->g.state) != FL_RUNNING)
		__atomic_store_n(&b->g.state, FL_RUNNING, __ATOMIC_RELEASE);
	seq = __atomic_load_n(&b->req.seq, __ATOMIC_ACQUIRE);
	now = rte_get_tsc_cycles();
	if (seq != b->rep.seq) {
		uint32_t page = GET(b->req.page);
		uint64_t skip = (uint64_t)page * FL_PAGE;

		b->rep.n = 0;
		b->rep.total = mt_flow_table_count(w->flows);
		b->rep.tsc = now;
		if (page == 0 || page != b->wk.next_page)
			b->wk.cur.idx = MT_FLOW_CURSOR_NONE;
		if (skip < b->rep.total)
			mt_flow_table_walk(w->flows, &b->wk.cur, (uint32_t)skip, FL_PAGE,
					   copy_flow, b);
		b->wk.next_page = page + 1;
		publish(w, b, now);
		__atomic_store_n(&b->rep.seq, seq, __ATOMIC_RELEASE);
	} else if (now - GET(b->g.tsc) >= rte_get_tsc_hz() / 1000) {
		publish(w, b, now);
	}
}

void
pl_flows_worker_exit(struct pl_worker *w)
{
	if (w->idx >= fl_n)
		return;
	publish(w, &fl[w->idx], rte_get_tsc_cycles());
	__atomic_store_n(&fl[w->idx].g.state, FL_EXITED, __ATOMIC_RELEASE);
}

/* ---- control side ------------------------------------------------------ */

static uint64_t
ms_since(uint64_t tsc, uint64_t now)
{
	if (tsc == 0 || tsc >= now)
		return 0;
	return (now - tsc) * 1000 / rte_get_tsc_hz();
}

static const char *const class_name[MT_FLOW_NCLASS] = {
	[MT_FLOW_HANDSHAKE] = "handshake",
	[MT_FLOW_CLOSING] = "closing",
	[MT_FLOW_ESTABLISHED] = "established",
};

static const char *
state_name(uint32_t st)
{
	return st == FL_RUNNING ? "running" : st == FL_EXITED ? "exited" : "not started";
}

static void
add_gauges(struct rte_tel_data *d, unsigned id, const struct fl_block *b, uint64_t now)
{
	unsigned c;
	char name[64];

	rte_tel_data_add_dict_int(d, "worker", (int)id);
	rte_tel_data_add_dict_int(d, "lcore", (int)b->lcore);
	rte_tel_data_add_dict_string(d, "state", state_name(GET(b->g.state)));
	rte_tel_data_add_dict_u64(d, "capacity", GET(b->g.capacity));
	rte_tel_data_add_dict_u64(d, "active", GET(b->g.active));
	for (c = 0; c < MT_FLOW_NCLASS; c++)
		rte_tel_data_add_dict_u64(d, class_name[c], GET(b->g.by_class[c]));
	rte_tel_data_add_dict_u64(d, "high_water", GET(b->g.high_water));
	rte_tel_data_add_dict_u64(d, "oldest_age_ms", ms_since(GET(b->g.oldest_first_tsc), now));
	for (c = 0; c < MT_FLOW_NCLASS; c++) {
		snprintf(name, sizeof(name), "idlest_%s_ms", class_name[c]);
		rte_tel_data_add_dict_u64(d, name, ms_since(GET(b->g.idlest_tsc[c]), now));
	}
	rte_tel_data_add_dict_u64(d, "ooo_bytes", GET(b->g.ooo_bytes));
	rte_tel_data_add_dict_u64(d, "ooo_pieces", GET(b->g.ooo_pieces));
	rte_tel_data_add_dict_u64(d, "ooo_pieces_max", b->ooo_pieces_max);
	rte_tel_data_add_dict_u64(d, "max_ooo_bytes", b->max_ooo_bytes);
	rte_tel_data_add_dict_u64(d, "gauges_age_ms", ms_since(GET(b->g.tsc), now));
}

static const char *
smtp_state(const struct mt_session_info *si)
{
	if (si->closed)
		return "closed";
	if (si->tls)
		return "tls";
	return si->in_tx ? "mail" : "command";
}

static void
endpoint(const struct mt_flow_key *k, int srv, char *buf, size_t size)
{
	char a[64];

	mt_flow_key_addr_str(k, srv, a, sizeof(a));
	snprintf(buf, size, k->family == 6 ? "[%s]:%u" : "%s:%u", a,
		 srv ? k->srv_port : k->cli_port);
}

/* Parallel arrays, one entry per flow (22.11 telemetry nests only arrays
 * of scalars).  Returns 0, or -ENOMEM. */
static int
add_list(struct rte_tel_data *d, const struct fl_block *b, uint64_t now)
{
	enum { CLI, SRV, CLS, SMTP, AGE, IDLE, C2S, S2C, OOO, MID, NCOL };
	static const char *const col[NCOL] = {
		"client", "server", "class", "smtp", "age_ms", "idle_ms", "c2s_bytes",
		"s2c_bytes", "held_bytes", "midstream",
	};
	struct rte_tel_data *a[NCOL];
	char buf[80];
	unsigned i, c;

	for (c = 0; c < NCOL; c++) {
		a[c] = rte_tel_data_alloc();
		if (a[c] == NULL) {
			while (c-- > 0)
				rte_tel_data_free(a[c]);
			return -ENOMEM;
		}
		rte_tel_data_start_array(a[c], c <= SMTP ? RTE_TEL_STRING_VAL : RTE_TEL_U64_VAL);
	}
	for (i = 0; i < b->rep.n; i++) {
		const struct fl_entry *e = &b->rep.e[i];

		endpoint(&e->key, 0, buf, sizeof(buf));
		rte_tel_data_add_array_string(a[CLI], buf);
		endpoint(&e->key, 1, buf, sizeof(buf));
		rte_tel_data_add_array_string(a[SRV], buf);
		rte_tel_data_add_array_string(a[CLS], e->cls < MT_FLOW_NCLASS ?
					      class_name[e->cls] : "?");
		rte_tel_data_add_array_string(a[SMTP], smtp_state(&e->si));
		rte_tel_data_add_array_u64(a[AGE], ms_since(e->first_tsc, now));
		rte_tel_data_add_array_u64(a[IDLE], ms_since(e->last_tsc, now));
		rte_tel_data_add_array_u64(a[C2S], e->si.bytes[MT_DIR_C2S]);
		rte_tel_data_add_array_u64(a[S2C], e->si.bytes[MT_DIR_S2C]);
		rte_tel_data_add_array_u64(a[OOO], (uint64_t)e->si.ooo_bytes[0] +
						     e->si.ooo_bytes[1]);
		rte_tel_data_add_array_u64(a[MID], e->si.midstream);
	}
	for (c = 0; c < NCOL; c++)
		rte_tel_data_add_dict_container(d, col[c], a[c], 0);
	return 0;
}

/* Ask worker id for page; 0 when the reply buffer holds it, else the
 * reason it does not. */
static const char *
ask(struct fl_block *b, uint32_t page)
{
	uint32_t seq = GET(b->req.seq) + 1;
	struct timespec ms = { 0, 1000000 };
	unsigned waited;

	/* a worker not started yet answers at its first step */
	if (GET(b->g.state) == FL_EXITED)
		return "worker exited";
	PUT(b->req.page, page);
	__atomic_store_n(&b->req.seq, seq, __ATOMIC_RELEASE);
	for (waited = 0; waited < FL_WAIT_MS; waited++) {
		if (__atomic_load_n(&b->rep.seq, __ATOMIC_ACQUIRE) == seq)
			return NULL;
		if (__atomic_load_n(&b->g.state, __ATOMIC_ACQUIRE) == FL_EXITED)
			return "worker exited";
		nanosleep(&ms, NULL);
	}
	return "worker busy";
}

static int
tel_flows(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	unsigned long id, page = 0;
	struct fl_block *b;
	const char *why;
	char *end;
	unsigned i;
	int rc = 0;

	if (params == NULL || *params == '\0') {
		rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
		for (i = 0; i < fl_n; i++)
			rte_tel_data_add_array_int(d, (int)i);
		return 0;
	}
	id = strtoul(params, &end, 10);
	if (end == params || (*end != '\0' && *end != ','))
		return -EINVAL;
	if (*end == ',') {
		const char *p = end + 1;

		page = strtoul(p, &end, 10);
		if (end == p || *end != '\0' || page > UINT32_MAX / FL_PAGE)
			return -EINVAL;
	}
	if (id >= fl_n)
		return -EINVAL;
	b = &fl[id];
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&b->lock);
	why = ask(b, (uint32_t)page);
	add_gauges(d, (unsigned)id, b, rte_get_tsc_cycles());
	rte_tel_data_add_dict_u64(d, "page", page);
	rte_tel_data_add_dict_u64(d, "page_size", FL_PAGE);
	if (why != NULL) {
		rte_tel_data_add_dict_string(d, "list", why);
	} else {
		rte_tel_data_add_dict_string(d, "list", "ok");
		rte_tel_data_add_dict_u64(d, "flows_total", b->rep.total);
		rte_tel_data_add_dict_u64(d, "pages", (b->rep.total + FL_PAGE - 1) / FL_PAGE);
		rc = add_list(d, b, b->rep.tsc);
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int
pl_ctl_flows_register(struct mt_pipeline *p)
{
	unsigned i;

	pthread_once(&fl_once, fl_init_locks);
	fl_n = 0;
	for (i = 0; i < p->n_wk && i < PL_MAX_WORKERS; i++) {
		struct fl_block *b = &fl[i];

		pthread_mutex_lock(&b->lock);
		memset(&b->g, 0, sizeof(b->g));
		b->g.capacity = p->conf.max_flows;
		b->rep.seq = GET(b->req.seq);
		b->wk.next_page = 0;
		b->wk.cur.idx = MT_FLOW_CURSOR_NONE;
		b->lcore = p->wk[i]->lcore;
		b->ooo_pieces_max = p->wk[i]->max_ooo_pieces;
		b->max_ooo_bytes = p->conf.max_ooo_bytes;
		pthread_mutex_unlock(&b->lock);
	}
	fl_n = i;
	return rte_telemetry_register_cmd("/mailtap/flows", tel_flows,
					  "Returns the worker ids, or one worker's flow table: "
					  "gauges and a page of its connections. "
					  "Parameters: int worker_id[,int page]");
}
