/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "mt_pipeline.h"
#include "pipeline_priv.h"

RTE_LOG_REGISTER(mt_logtype_pipeline, mailtap.pipeline, INFO);

int pl_ctl_register(struct mt_pipeline *p);  /* ctl.c */

int mt_pkt_meta_offset = -1;
int mt_ts_offset = -1;
uint64_t mt_ts_flag;
volatile int mt_pipeline_quit;
static volatile int reload_asked;

/* What one lcore runs. */
struct pl_plan {
	struct pl_rx *rx[PL_MAX_RX];
	unsigned n_rx;
	struct pl_worker *wk[PL_MAX_WORKERS];
	unsigned n_wk;
	struct pl_writer *wr;
};

static struct pl_plan plans[RTE_MAX_LCORE];

void
mt_pipeline_stop(void)
{
	mt_pipeline_quit = 1;
}

void
mt_pipeline_reload_rules(void)
{
	reload_asked = 1;
}

/* ---- [scan] ------------------------------------------------------------ */

static void
log_rule_error(void *ctx, const char *msg)
{
	(void)ctx;
	PL_LOG(ERR, "%s", msg);
}

static int
scan_load(struct mt_pipeline *p, struct mt_scan_db **db, struct mt_err *err)
{
	struct mt_scan_params prm = {
		.socket_id = p->scan_socket,
		.on_error = log_rule_error,
	};

	return mt_scan_db_load(p->scan_paths, p->n_scan_paths, &prm, db, err);
}

/* Rules (on the workers' socket), handle, alert file. */
static int
scan_setup(struct mt_pipeline *p, struct mt_err *err)
{
	const struct mt_conf *c = &p->conf;
	struct mt_scan_db *db;
	char *tok, *save = NULL;
	int rc;

	p->alert_fd = -1;
	snprintf(p->scan_paths_buf, sizeof(p->scan_paths_buf), "%s", c->scan_rules);
	for (tok = strtok_r(p->scan_paths_buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (p->n_scan_paths == MT_PIPELINE_MAX_RULES_FILES)
			return mt_err_set(err, EINVAL, "[scan] rules: more than %d files",
					  MT_PIPELINE_MAX_RULES_FILES);
		p->scan_paths[p->n_scan_paths++] = tok;
	}
	if (p->n_scan_paths == 0)
		return 0;
	rc = scan_load(p, &db, err);
	if (rc < 0)
		return rc;
	p->scan = mt_scan_handle_create(db, p->n_wk, err);
	if (p->scan == NULL) {
		mt_scan_db_put(db);
		return -ENOMEM;
	}
	if (c->scan_alert_file[0] != '\0')
		snprintf(p->alert_path, sizeof(p->alert_path), "%s", c->scan_alert_file);
	else
		snprintf(p->alert_path, sizeof(p->alert_path), "%s/alerts.json", c->spool_dir);
	p->alert_fd = open(p->alert_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (p->alert_fd < 0)
		return mt_err_set(err, errno, "[scan] alert file %s: %s", p->alert_path,
				  strerror(errno));
	if (fchmod(p->alert_fd, 0640) != 0)
		PL_LOG(WARNING, "alert file %s: chmod 0640: %s", p->alert_path, strerror(errno));
	PL_LOG(INFO, "scan: %u rules from %u file(s), %zu bytes compiled on socket %d; "
	       "alerts to %s", mt_scan_db_rule_count(db), p->n_scan_paths, mt_scan_db_bytes(db),
	       p->scan_socket, p->alert_path);
	return 0;
}

/* SIGHUP: compile here, off the lcores, then swap (waits for every
 * worker to pass a refresh; mails in flight keep their rules). */
static void
scan_reload(struct mt_pipeline *p)
{
	struct mt_scan_db *db;
	struct mt_err err;
	uint64_t t0 = rte_get_tsc_cycles();

	if (p->scan == NULL) {
		PL_LOG(NOTICE, "SIGHUP: no [scan] rules configured, nothing to reload");
		return;
	}
	if (scan_load(p, &db, &err) < 0) {
		__atomic_add_fetch(&p->scan_reload_failures, 1, __ATOMIC_RELAXED);
		PL_LOG(ERR, "scan: reload failed (%s); the running rules stay", err.msg);
		return;
	}
	mt_scan_handle_swap(p->scan, db);
	__atomic_add_fetch(&p->scan_reloads, 1, __ATOMIC_RELAXED);
	PL_LOG(NOTICE, "scan: rules reloaded: generation %" PRIu64 ", %u rules, %zu bytes, "
	       "%.1f ms", mt_scan_db_generation(db), mt_scan_db_rule_count(db),
	       mt_scan_db_bytes(db),
	       (double)(rte_get_tsc_cycles() - t0) * 1e3 / (double)rte_get_tsc_hz());
}

static void *
reload_thread(void *arg)
{
	struct mt_pipeline *p = arg;

	while (!p->reload_stop) {
		if (reload_asked) {
			reload_asked = 0;
			scan_reload(p);
		}
		usleep(20000);
	}
	return NULL;
}

static int
lcore_enabled(unsigned id)
{
	return id < RTE_MAX_LCORE && rte_lcore_is_enabled(id);
}

/* Roles from the config, or derived from the EAL lcore list. */
static int
assign_roles(struct mt_pipeline *p, unsigned *rx_l, unsigned *wk_l, unsigned *wr_l,
	     struct mt_err *err)
{
	const struct mt_conf *c = &p->conf;
	unsigned ids[RTE_MAX_LCORE], n = 0, i, id;

	RTE_LCORE_FOREACH(id)
		ids[n++] = id;
	if (c->n_rx_lcores || c->n_worker_lcores || c->writer_lcore >= 0) {
		if (!c->n_rx_lcores || !c->n_worker_lcores || c->writer_lcore < 0)
			return mt_err_set(err, EINVAL,
					  "[pipeline] rx_lcores, worker_lcores and writer_lcore "
					  "must be given together (or none, to derive them)");
		if (c->n_rx_lcores > PL_MAX_RX || c->n_worker_lcores > PL_MAX_WORKERS)
			return mt_err_set(err, EINVAL, "at most %d RX and %d worker lcores",
					  PL_MAX_RX, PL_MAX_WORKERS);
		for (i = 0; i < c->n_rx_lcores; i++)
			rx_l[p->n_rx++] = c->rx_lcores[i];
		for (i = 0; i < c->n_worker_lcores; i++)
			wk_l[p->n_wk++] = c->worker_lcores[i];
		*wr_l = (unsigned)c->writer_lcore;
		for (i = 0; i < p->n_rx; i++)
			if (!lcore_enabled(rx_l[i]))
				return mt_err_set(err, EINVAL,
						  "rx lcore %u is not in the EAL core list", rx_l[i]);
		for (i = 0; i < p->n_wk; i++)
			if (!lcore_enabled(wk_l[i]))
				return mt_err_set(err, EINVAL,
						  "worker lcore %u is not in the EAL core list",
						  wk_l[i]);
		if (!lcore_enabled(*wr_l))
			return mt_err_set(err, EINVAL,
					  "writer lcore %u is not in the EAL core list", *wr_l);
		return 0;
	}
	/* 1 lcore: everything on it.  2: RX+worker, writer.  n: RX, workers,
	 * writer on the last. */
	rx_l[p->n_rx++] = ids[0];
	if (n <= 2) {
		wk_l[p->n_wk++] = ids[0];
	} else {
		for (i = 1; i + 1 < n && p->n_wk < PL_MAX_WORKERS; i++)
			wk_l[p->n_wk++] = ids[i];
	}
	*wr_l = ids[n - 1];
	return 0;
}

static int
create_pools(struct mt_pipeline *p, struct mt_err *err)
{
	const struct mt_conf *c = &p->conf;
	int sock = (int)rte_socket_id();
	static const struct rte_mbuf_dynfield meta_desc = {
		.name = "mailtap_pkt_meta",
		.size = sizeof(struct mt_pkt_meta),
		.align = __alignof__(struct mt_pkt_meta),
	};

	mt_pkt_meta_offset = rte_mbuf_dynfield_register(&meta_desc);
	if (mt_pkt_meta_offset < 0)
		return mt_err_set(err, rte_errno, "mbuf dynfield: %s", rte_strerror(rte_errno));
	if (c->chunk_size + RTE_PKTMBUF_HEADROOM > UINT16_MAX)
		return mt_err_set(err, EINVAL, "chunk_size %u over %u", c->chunk_size,
				  UINT16_MAX - RTE_PKTMBUF_HEADROOM);
	p->pkt_pool = rte_pktmbuf_pool_create("mt_pkts", c->mbuf_pool_size, 256, 0,
					      RTE_MBUF_DEFAULT_BUF_SIZE, sock);
	p->chunk_pool = rte_pktmbuf_pool_create("mt_chunks", c->chunk_pool_size, 32, 0,
						(uint16_t)(c->chunk_size + RTE_PKTMBUF_HEADROOM),
						sock);
	p->mail_pool = c->scan_rules[0] != '\0' ?
		mt_mail_pool_create_scan("mt_mails", c->mail_pool_size, sock) :
		mt_mail_pool_create("mt_mails", c->mail_pool_size, sock);
	if (p->pkt_pool == NULL || p->chunk_pool == NULL || p->mail_pool == NULL)
		return mt_err_set(err, ENOMEM,
				  "cannot create mempools (%u packets, %u chunks of %u B, %u "
				  "mails): %s; reserve more hugepages or lower the pool sizes",
				  c->mbuf_pool_size, c->chunk_pool_size, c->chunk_size,
				  c->mail_pool_size, rte_strerror(rte_errno));
	return 0;
}

static int
create_roles(struct mt_pipeline *p, struct mt_err *err)
{
	unsigned rx_l[PL_MAX_RX], wk_l[PL_MAX_WORKERS], wr_l = 0, i, r;
	struct mt_flow_table_params fp;
	char name[RTE_RING_NAMESIZE];
	struct pl_worker *w;
	int rc, sock;

	rc = assign_roles(p, rx_l, wk_l, &wr_l, err);
	if (rc != 0)
		return rc;
	p->scan_socket = (int)rte_lcore_to_socket_id(wk_l[0]);
	for (r = 0; r < p->n_rx; r++) {
		p->rx[r] = rte_zmalloc_socket("mt_rx", sizeof(struct pl_rx), RTE_CACHE_LINE_SIZE,
					      (int)rte_lcore_to_socket_id(rx_l[r]));
		if (p->rx[r] == NULL)
			return mt_err_set(err, ENOMEM, "out of memory for RX lcore %u", rx_l[r]);
		p->rx[r]->p = p;
		p->rx[r]->idx = r;
		p->rx[r]->lcore = rx_l[r];
		plans[rx_l[r]].rx[plans[rx_l[r]].n_rx++] = p->rx[r];
	}
	/* Ports round-robin over the RX lcores (one queue each). */
	for (i = 0; i < p->n_ports; i++) {
		struct pl_rx *rx = p->rx[i % p->n_rx];

		rx->ports[rx->n_ports++] = (uint16_t)i;
	}
	for (i = 0; i < p->n_wk; i++) {
		sock = (int)rte_lcore_to_socket_id(wk_l[i]);
		w = rte_zmalloc_socket("mt_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, sock);
		if (w == NULL)
			return mt_err_set(err, ENOMEM, "out of memory for worker lcore %u",
					  wk_l[i]);
		p->wk[i] = w;
		w->p = p;
		w->idx = i;
		w->lcore = wk_l[i];
		for (r = 0; r < p->n_rx; r++) {
			snprintf(name, sizeof(name), "mt_rx%u_w%u", r, i);
			w->in[r] = rte_ring_create(name, p->conf.ring_size, sock,
						   RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (w->in[r] == NULL)
				return mt_err_set(err, rte_errno, "ring %s: %s", name,
						  rte_strerror(rte_errno));
		}
		snprintf(name, sizeof(name), "mt_w%u_wr", i);
		w->out = rte_ring_create(name, p->conf.ring_size, sock,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->out == NULL)
			return mt_err_set(err, rte_errno, "ring %s: %s", name,
					  rte_strerror(rte_errno));
		snprintf(name, sizeof(name), "mt_flows%u", i);
		fp = (struct mt_flow_table_params){
			.name = name,
			.max_flows = p->conf.max_flows,
			.slot_size = (uint32_t)mt_session_size(),
			.socket_id = sock,
		};
		w->flows = mt_flow_table_create(&fp);
		if (w->flows == NULL)
			return mt_err_set(err, rte_errno,
					  "flow table of %u flows for worker %u: %s; lower "
					  "[flow] max_flows", p->conf.max_flows, i,
					  rte_strerror(rte_errno));
		w->env = (struct mt_session_env){
			.mail_pool = p->mail_pool,
			.chunk_pool = p->chunk_pool,
			.max_mail_size = p->conf.max_mail_size,
			.keep_rejected = (uint8_t)p->conf.keep_rejected,
			.keep_incomplete = (uint8_t)p->conf.keep_incomplete,
			.worker = (uint16_t)i,
			.st = &mt_stats_lcore[wk_l[i]],
			.max_ooo_bytes = p->conf.max_ooo_bytes,
			.emit = pl_worker_emit,
			.emit_arg = w,
			.hold = pl_worker_hold,
			.release = pl_worker_release,
		};
		/* a quarter of the packet pool, shared by the workers */
		w->max_ooo_pieces = p->conf.mbuf_pool_size / 4 / p->n_wk;
		plans[wk_l[i]].wk[plans[wk_l[i]].n_wk++] = w;
	}
	p->wr = rte_zmalloc("mt_writer", sizeof(*p->wr), RTE_CACHE_LINE_SIZE);
	if (p->wr == NULL)
		return mt_err_set(err, ENOMEM, "out of memory for the writer");
	p->wr->p = p;
	p->wr->lcore = wr_l;
	p->wr->spool = mt_spool_open(p->conf.spool_dir, err);
	if (p->wr->spool == NULL)
		return -EIO;
	plans[wr_l].wr = p->wr;
	return scan_setup(p, err);
}

struct mt_pipeline *
mt_pipeline_create(const struct mt_conf *conf, struct mt_err *err)
{
	struct mt_pipeline *p;
	unsigned i;

	p = rte_zmalloc("mt_pipeline", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL) {
		mt_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	p->conf = *conf;
	p->alert_fd = -1;
	p->run_id = (uint32_t)time(NULL);
	mt_stats_cycles_on = conf->stage_cycles; /* before any lcore runs */
	p->timeout_tsc[MT_FLOW_HANDSHAKE] = (uint64_t)conf->handshake_timeout_s * rte_get_tsc_hz();
	p->timeout_tsc[MT_FLOW_CLOSING] = (uint64_t)conf->closing_timeout_s * rte_get_tsc_hz();
	p->timeout_tsc[MT_FLOW_ESTABLISHED] = (uint64_t)conf->idle_timeout_s * rte_get_tsc_hz();
	for (i = 0; i < conf->n_smtp_ports; i++)
		p->smtp_port[conf->smtp_ports[i] >> 3] |= (uint8_t)(1u << (conf->smtp_ports[i] & 7));
	if (conf->burst > PL_BURST_MAX) {
		mt_err_set(err, EINVAL, "burst %u over %d", conf->burst, PL_BURST_MAX);
		goto fail;
	}
	if (mt_policy_init(&p->policy, (enum mt_policy_mode)conf->policy_mode, conf->servers,
			   conf->n_servers, err) != 0)
		goto fail;
	if (create_pools(p, err) != 0 || pl_ports_setup(p, err) != 0 ||
	    create_roles(p, err) != 0 || pl_fp_setup(p, err) != 0)
		goto fail;
	pl_ctl_register(p);  /* /mailtap/ports (ctl.c); failing only loses that command */
	return p;
fail:
	mt_pipeline_free(p);
	return NULL;
}

static int
lcore_loop(void *arg)
{
	struct mt_pipeline *p = arg;
	struct pl_plan *pl = &plans[rte_lcore_id()];
	unsigned i, work, idle = 0, live;

	struct mt_err err;

	if (pl->n_rx == 0 && pl->n_wk == 0 && pl->wr == NULL)
		return 0;
	/* scanners on the workers' own lcore (scratch: first touch here) */
	for (i = 0; i < pl->n_wk && p->scan != NULL; i++) {
		pl->wk[i]->scan = mt_scan_worker_create(p->scan, pl->wk[i]->idx, &err);
		if (pl->wk[i]->scan == NULL)
			PL_LOG(ERR, "%s; worker %u does not scan", err.msg, pl->wk[i]->idx);
		pl->wk[i]->env.scan = pl->wk[i]->scan;
	}
	for (;;) {
		work = 0;
		live = 0;
		for (i = 0; i < pl->n_wk; i++) {
			if (pl->wk[i]->scan == NULL)
				continue;
			mt_scan_worker_refresh(pl->wk[i]->scan);
			if (pl->wk[i]->idx == 0) {
				/* the reload thread is no lcore: mirror its counts */
				struct mt_stats *st = mt_stats_self();

				st->v[MT_STAT_scan_reloads] =
					__atomic_load_n(&p->scan_reloads, __ATOMIC_RELAXED);
				st->v[MT_STAT_scan_reload_failures] =
					__atomic_load_n(&p->scan_reload_failures, __ATOMIC_RELAXED);
			}
		}
		for (i = 0; i < pl->n_rx; i++) {
			work += pl_rx_step(pl->rx[i]);
			live += !pl->rx[i]->done;
		}
		for (i = 0; i < pl->n_wk; i++) {
			work += pl_worker_step(pl->wk[i]);
			live += !pl->wk[i]->done;
		}
		if (pl->wr != NULL) {
			work += pl_writer_step(pl->wr);
			live += !pl->wr->done;
		}
		if (live == 0)
			break;
		/* Lcores may share a CPU: an idle one must let the others run. */
		if (work != 0) {
			idle = 0;
		} else if (++idle > 64 && p->conf.idle_sleep_us > 0) {
			rte_delay_us_sleep(p->conf.idle_sleep_us);
		} else {
			rte_pause();
		}
	}
	/* drained: every mail of these workers has ended */
	for (i = 0; i < pl->n_wk; i++) {
		pl->wk[i]->env.scan = NULL;
		mt_scan_worker_free(pl->wk[i]->scan);
		pl->wk[i]->scan = NULL;
	}
	return 0;
}

int
mt_pipeline_run(struct mt_pipeline *p)
{
	struct mt_err err;
	int rc;

	rc = pl_ports_start(p, &err);
	if (rc != 0) {
		PL_LOG(ERR, "%s", err.msg);
		return rc;
	}
	p->reload_stop = 0;
	if (p->scan != NULL) {
		if (pthread_create(&p->reload_thr, NULL, reload_thread, p) == 0) {
			p->reload_started = 1;
			pthread_setname_np(p->reload_thr, "mt-reload");
		} else {
			PL_LOG(WARNING, "cannot start the reload thread: SIGHUP is ignored");
		}
	}
	rte_eal_mp_remote_launch(lcore_loop, p, CALL_MAIN);
	rte_eal_mp_wait_lcore();
	if (p->reload_started) {
		p->reload_stop = 1;
		pthread_join(p->reload_thr, NULL);
		p->reload_started = 0;
	}
	return 0;
}

static void
role_names(unsigned id, char *buf, size_t size)
{
	const struct pl_plan *pl = &plans[id];

	snprintf(buf, size, "%s%s%s", pl->n_rx ? "rx " : "", pl->n_wk ? "worker " : "",
		 pl->wr ? "writer " : "");
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
}

void
mt_pipeline_print_roles(const struct mt_pipeline *p, FILE *out)
{
	unsigned id, i;
	char roles[64];

	fprintf(out, "mailtapd: %u port(s), %s mode, %u RX, %u worker(s), spool %s\n",
		p->n_ports, p->offline ? "offline (capture file)" : "live", p->n_rx, p->n_wk,
		p->conf.spool_dir);
	for (i = 0; i < p->n_ports; i++)
		fprintf(out, "  port %u %s%s%s\n", p->ports[i].port_id, p->ports[i].name,
			p->ports[i].offline ? " <- " : "", p->ports[i].file);
	if (p->policy.mode == MT_POLICY_ALL)
		fprintf(out, "  policy: all (every SMTP connection)\n");
	else
		fprintf(out, "  policy: registered, %u server prefixes (%u IPv4 + %u IPv6 "
			"ranges): only unregistered clients -> registered servers\n",
			p->policy.n_prefixes, p->policy.n4, p->policy.n6);
	if (p->scan != NULL)
		fprintf(out, "  scan: rules from %u file(s) (SIGHUP reloads), alerts to %s\n",
			p->n_scan_paths, p->alert_path);
	RTE_LCORE_FOREACH(id) {
		role_names(id, roles, sizeof(roles));
		fprintf(out, "  lcore %u (socket %u): %s\n", id, rte_lcore_to_socket_id(id),
			roles);
	}
}

int
mt_pipeline_print_summary(const struct mt_pipeline *p, FILE *out)
{
	struct rte_eth_stats es;
	struct mt_stats tot;
	char roles[64], check[1024];
	unsigned id, i, col;
	int bad;

	mt_stats_sum(&tot);
	fprintf(out, "\nmailtapd summary\n");
	fprintf(out, "  mails: %" PRIu64 " written to %s (%" PRIu64 " bytes), %" PRIu64
		" accepted, %" PRIu64 " rejected, %" PRIu64 " aborted, %" PRIu64
		" unconfirmed, %" PRIu64 " incomplete\n",
		tot.v[MT_STAT_wr_mails], p->conf.spool_dir, tot.v[MT_STAT_wr_bytes],
		tot.v[MT_STAT_mail_accepted], tot.v[MT_STAT_mail_rejected],
		tot.v[MT_STAT_mail_aborted], tot.v[MT_STAT_mail_unconfirmed],
		tot.v[MT_STAT_mail_incomplete]);
	fprintf(out, "  lost: %" PRIu64 " mails (ring %" PRIu64 ", no memory %" PRIu64
		", write errors %" PRIu64 "), %" PRIu64 " packets (ring %" PRIu64
		", flow table %" PRIu64 ")\n",
		tot.v[MT_STAT_mail_drop_ring_full] + tot.v[MT_STAT_mail_nomem] +
			tot.v[MT_STAT_wr_errors],
		tot.v[MT_STAT_mail_drop_ring_full], tot.v[MT_STAT_mail_nomem],
		tot.v[MT_STAT_wr_errors],
		tot.v[MT_STAT_rx_drop_ring_full] + tot.v[MT_STAT_wk_drop_flow_full],
		tot.v[MT_STAT_rx_drop_ring_full], tot.v[MT_STAT_wk_drop_flow_full]);
	if (p->policy.mode != MT_POLICY_ALL)
		fprintf(out, "  policy registered: %" PRIu64 " packets of other SMTP "
			"connections ignored (rx_drop_policy)\n",
			tot.v[MT_STAT_rx_drop_policy]);
	for (i = 0; i < p->n_ports; i++) {
		if (rte_eth_stats_get(p->ports[i].port_id, &es) != 0)
			continue;
		fprintf(out, "  port %s: ipackets %" PRIu64 " ibytes %" PRIu64 " imissed %" PRIu64
			" ierrors %" PRIu64 " rx_nombuf %" PRIu64 "\n", p->ports[i].name,
			es.ipackets, es.ibytes, es.imissed, es.ierrors, es.rx_nombuf);
	}
	fprintf(out, "  per-lcore counters (non-zero):\n");
	RTE_LCORE_FOREACH(id) {
		role_names(id, roles, sizeof(roles));
		fprintf(out, "    lcore %u [%.*s]:", id, (int)strlen(roles) - 1, roles);
		for (i = 0, col = 0; i < MT_STAT__COUNT; i++) {
			if (mt_stats_lcore[id].v[i] == 0)
				continue;
			if (col++ % 4 == 0)
				fprintf(out, "\n      ");
			fprintf(out, " %s=%" PRIu64, mt_stats_name(i), mt_stats_lcore[id].v[i]);
		}
		fprintf(out, "\n");
	}
	bad = mt_stats_check(&tot, check, sizeof(check));
	if (bad == 0)
		fprintf(out, "  counters: all identities hold (packets in = handled + drops)\n");
	else
		fprintf(out, "  counters: %d identities FAIL:\n%s", bad, check);
	return bad;
}

void
mt_pipeline_free(struct mt_pipeline *p)
{
	unsigned i, r;

	if (p == NULL)
		return;
	pl_ports_close(p);
	pl_fp_free(p); /* fp_passive.c: logs the server table */
	for (i = 0; i < p->n_wk; i++) {
		if (p->wk[i] == NULL)
			continue;
		for (r = 0; r < p->n_rx; r++)
			rte_ring_free(p->wk[i]->in[r]);
		rte_ring_free(p->wk[i]->out);
		mt_flow_table_free(p->wk[i]->flows);
		rte_free(p->wk[i]);
	}
	for (r = 0; r < p->n_rx; r++)
		rte_free(p->rx[r]);
	if (p->reload_started) {
		p->reload_stop = 1;
		pthread_join(p->reload_thr, NULL);
	}
	mt_scan_handle_free(p->scan);
	if (p->alert_fd >= 0)
		close(p->alert_fd);
	if (p->wr != NULL)
		mt_spool_close(p->wr->spool);
	rte_free(p->wr);
	rte_mempool_free(p->mail_pool);
	rte_mempool_free(p->chunk_pool);
	rte_mempool_free(p->pkt_pool);
	rte_free(p);
	memset(plans, 0, sizeof(plans));
}
