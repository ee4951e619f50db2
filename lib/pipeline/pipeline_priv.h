/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/pipeline: the state every role step shares. */
#ifndef PIPELINE_PRIV_H
#define PIPELINE_PRIV_H

#include <pthread.h>
#include <stdint.h>

#include <rte_atomic.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "mt_common.h"
#include "mt_conf.h"
#include "mt_flow.h"
#include "mt_fpsrv.h"
#include "mt_pipeline.h"
#include "mt_policy.h"
#include "mt_scan.h"
#include "mt_session.h"
#include "mt_spool.h"
#include "mt_stats.h"

extern int mt_logtype_pipeline;
#define PL_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, mt_logtype_pipeline, "mailtap.pipeline: " fmt "\n", ##__VA_ARGS__)

#define PL_MAX_PORTS 32
#define PL_MAX_RX 16
#define PL_MAX_WORKERS 64
#define PL_BURST_MAX 512
#define PL_STASH 1024

/* What RX learned about a packet, carried to the worker in the mbuf. */
struct mt_pkt_meta {
	uint32_t hash;
	uint32_t seq;
	uint32_t ack;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t payload_off;
	uint16_t payload_len;
	uint8_t dir;
	uint8_t tcp_flags;
	uint8_t family;
	uint8_t pad;
};

extern int mt_pkt_meta_offset;
/* rx timestamp dynamic field and flag (-1 / 0 when no port gives one) */
extern int mt_ts_offset;
extern uint64_t mt_ts_flag;

static inline struct mt_pkt_meta *
pkt_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, mt_pkt_meta_offset, struct mt_pkt_meta *);
}

struct pl_port {
	uint16_t port_id;
	uint8_t offline;        /* reads a capture file */
	uint8_t done;           /* capture fully read (RX lcore only) */
	uint64_t expected;      /* packets in the file */
	uint64_t last_seen;     /* for the stall warning */
	uint64_t stall_tsc;
	char name[64];
	char file[512];
};

struct pl_rx {
	struct mt_pipeline *p;
	unsigned idx;
	unsigned lcore;
	uint16_t ports[PL_MAX_PORTS]; /* indices into p->ports */
	unsigned n_ports;
	volatile uint32_t done;
	/* packets that did not fit a worker ring (offline mode only) */
	struct rte_mbuf *pend[PL_MAX_WORKERS][PL_BURST_MAX];
	unsigned n_pend[PL_MAX_WORKERS];
	/* this burst, sorted by worker */
	struct rte_mbuf *bucket[PL_MAX_WORKERS][PL_BURST_MAX];
	unsigned nb[PL_MAX_WORKERS];
	uint64_t poll_tsc;                /* last port poll (stage_cycles) */
	uint64_t gauge_tsc;               /* last pool gauge sample */
	struct rte_mempool *rx_pool;      /* the pool the ports' mbufs come from */
} __rte_cache_aligned;

struct pl_worker {
	struct mt_pipeline *p;
	unsigned idx;
	unsigned lcore;
	struct rte_ring *in[PL_MAX_RX];   /* one per RX lcore */
	struct rte_ring *out;             /* to the writer */
	unsigned next_in;
	struct mt_flow_table *flows;
	struct mt_session_env env;
	struct mt_scan_worker *scan;      /* created on the worker's lcore */
	volatile uint32_t done;
	uint64_t drop_log_tsc;            /* last ring-full alert line */
	unsigned ooo_pieces;              /* out-of-order pieces held */
	uint64_t ooo_bytes;               /* ... and their octets (/mailtap/flows) */
	unsigned max_ooo_pieces;
	uint64_t gauge_tsc;               /* last flow-table gauge sample */
	unsigned n_stash;
	struct mt_mail *stash[PL_STASH];  /* mails waiting for ring space (offline) */
	struct rte_ring *fp_out;          /* fingerprint observations to the writer
					   * (struct mt_fpsrv_obs elements); NULL: off */
	struct mt_fpsrv_worker *fp;
	uint8_t scratch[65536];           /* payload of chained mbufs */
} __rte_cache_aligned;

struct pl_writer {
	struct mt_pipeline *p;
	unsigned lcore;
	volatile uint32_t done;
	struct mt_spool *spool;
	uint64_t last_err_tsc;
} __rte_cache_aligned;

struct mt_pipeline {
	struct mt_conf conf;
	uint8_t offline;
	uint32_t run_id;
	uint64_t timeout_tsc[MT_FLOW_NCLASS];
	struct rte_mempool *pkt_pool;
	struct rte_mempool *mail_pool;
	struct rte_mempool *chunk_pool;
	struct pl_port ports[PL_MAX_PORTS];
	unsigned n_ports;
	struct pl_rx *rx[PL_MAX_RX];
	unsigned n_rx;
	struct pl_worker *wk[PL_MAX_WORKERS];
	unsigned n_wk;
	struct pl_writer *wr;
	uint8_t smtp_port[65536 / 8];     /* bitmap of server ports */
	struct mt_policy policy;          /* [policy], read by RX lcores */
	/* [scan]: NULL when off */
	struct mt_scan_handle *scan;
	const char *scan_paths[MT_PIPELINE_MAX_RULES_FILES];
	unsigned n_scan_paths;
	char scan_paths_buf[sizeof(((struct mt_conf *)0)->scan_rules)];
	int scan_socket;
	int alert_fd;                     /* -1: none */
	char alert_path[MT_CONF_PATH_MAX + 32];
	pthread_t reload_thr;             /* SIGHUP reload thread */
	int reload_started;
	volatile int reload_stop;
	uint64_t scan_reloads;            /* written by the control thread */
	uint64_t scan_reload_failures;
	/* [fingerprint]: NULL when off (fp_passive.c) */
	struct mt_fp_db *fp_db;
	struct mt_fpsrv_table *fpsrv;
};

static inline int
pl_is_smtp_port(const struct mt_pipeline *p, uint16_t port)
{
	return p->smtp_port[port >> 3] & (1u << (port & 7));
}

extern volatile int mt_pipeline_quit;

/* role steps: return the amount of work done (0: idle) */
unsigned pl_rx_step(struct pl_rx *rx);
unsigned pl_worker_step(struct pl_worker *w);
unsigned pl_writer_step(struct pl_writer *wr);
void pl_worker_emit(struct mt_session_env *env, struct mt_mail *m);
int pl_worker_hold(struct mt_session_env *env, struct mt_tcp_piece *pc);
void pl_worker_release(struct mt_session_env *env, struct mt_tcp_piece *pc);
/* /mailtap/flows (ctl_flows.c): a worker publishes its flow gauges and
 * answers list requests at the top of each step, and once when it exits. */
void pl_flows_worker_poll(struct pl_worker *w);
void pl_flows_worker_exit(struct pl_worker *w);
int pl_ctl_flows_register(struct mt_pipeline *p);

/* passive fingerprinting (fp_passive.c) */
int pl_fp_setup(struct mt_pipeline *p, struct mt_err *err);
void pl_fp_free(struct mt_pipeline *p);
/* Offline: room in the worker's fingerprint ring for a burst's worth of
 * observations (1 when fingerprinting is off). */
int pl_worker_fp_room(const struct pl_worker *w);
/* Writer: take in each worker's queued observations (up to max each, 0:
 * a ring's worth); returns how many.  Called after taking mails, so that
 * what a worker sent before a mail is in the table when it is annotated. */
unsigned pl_writer_fp_step(struct mt_pipeline *p, struct mt_stats *st, unsigned max);
/* Writer: give each mail its server's verdict. */
void pl_writer_fp_annotate(struct mt_pipeline *p, struct mt_mail **m, unsigned n);
int pl_ctl_servers_register(struct mt_pipeline *p); /* ctl_servers.c */
void pl_ctl_servers_detach(void);

/* ports */
int pl_ports_setup(struct mt_pipeline *p, struct mt_err *err);
int pl_ports_start(struct mt_pipeline *p, struct mt_err *err);
void pl_ports_close(struct mt_pipeline *p);
/* Nonzero once an offline port has delivered its whole file. */
int pl_port_eof(struct pl_port *pp);

#endif /* PIPELINE_PRIV_H */
