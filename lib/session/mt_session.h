/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_session.h - one observed SMTP connection: the two TCP directions,
 * the SMTP automaton, and the mail being rebuilt.  This is the only module
 * that combines the protocol modules, so a whole dialogue can be tested
 * without lcores or rings.
 *
 * A session lives in a flow-table slot (mt_session_size() bytes, the
 * struct mt_flow_slot header first).  Finished mails leave through
 * env->emit(), which takes ownership; the session never blocks.
 */
#ifndef MT_SESSION_H
#define MT_SESSION_H

#include <stdint.h>

#include <rte_mempool.h>

#include "mt_flow.h"
#include "mt_mail.h"
#include "mt_scan.h"
#include "mt_stats.h"
#include "mt_tcp.h"

struct mt_session_env;
struct mt_fpsrv_worker;
struct mt_fpsrv_obs;

typedef void (*mt_session_emit_t)(struct mt_session_env *env, struct mt_mail *m);

/* Per-worker context shared by all its sessions. */
struct mt_session_env {
	struct rte_mempool *mail_pool;
	struct rte_mempool *chunk_pool;
	uint64_t max_mail_size;
	uint8_t keep_rejected;
	uint8_t keep_incomplete;
	uint16_t worker;
	uint64_t mail_seq;   /* next mail sequence number */
	uint64_t now_ns;     /* time of the packet being handled (ns since the
			      * epoch): its capture time offline, else the
			      * wall clock of its burst */
	uint32_t max_ooo_bytes; /* per connection direction */
	struct mt_stats *st;
	mt_session_emit_t emit;
	void *emit_arg;
	/* Keep / drop the buffer of a segment held out of order (see
	 * struct mt_tcp_ops); arg is emit_arg. */
	int (*hold)(struct mt_session_env *env, struct mt_tcp_piece *pc);
	void (*release)(struct mt_session_env *env, struct mt_tcp_piece *pc);
	/* Scanning (NULL: off): each mail's message goes through lib/mime
	 * into per-part streams of this worker's scanner; needs a mail pool
	 * from mt_mail_pool_create_scan(). */
	struct mt_scan_worker *scan;
	/* Passive fingerprinting (NULL: off): the replies lib/fpsrv wants
	 * are copied into its buffers and leave through fp_emit (returns 0
	 * when sent, else the record was dropped and counted). */
	struct mt_fpsrv_worker *fp;
	int (*fp_emit)(struct mt_session_env *env, const struct mt_fpsrv_obs *o);
};

struct mt_session;

/* Bytes of slot a session needs. */
size_t mt_session_size(void);

/* Initialise a session in a fresh slot (key and hash already set). */
void mt_session_init(struct mt_session *s, struct mt_session_env *env);

/*
 * One TCP segment of direction dir: sequence number, flags, ACK, its payload
 * (contiguous) and the caller's handle for the payload's buffer (given to
 * env->hold if the segment is held out of order).  Returns 1 when the
 * connection is over (both FINs or a RST): the caller then calls
 * mt_session_close(), and may keep the slot for the closing timeout so
 * that late retransmissions are absorbed (they are counted and ignored;
 * a new SYN starts a new session in the same slot).
 */
int mt_session_input(struct mt_session *s, int dir, uint32_t seq, uint8_t tcp_flags,
		     uint32_t ack, const uint8_t *payload, uint32_t len, void *ref);

/* End the session: what is held out of order is delivered after a gap,
 * then a transaction in progress is finished as unconfirmed or incomplete
 * and emitted per policy.  Idempotent. */
void mt_session_close(struct mt_session *s);

/* Nonzero once the session was closed (it may keep its slot a while to
 * absorb late copies of its last segments). */
int mt_session_is_closed(const struct mt_session *s);

/* The timeout class the connection is in now. */
enum mt_flow_class mt_session_class(const struct mt_session *s);

/* What an operator's flow listing shows of a session (a copy: the
 * caller may keep it after the session moves on). */
struct mt_session_info {
	uint64_t bytes[2];      /* octets delivered or declared lost, by
				 * direction (MT_DIR_C2S, MT_DIR_S2C) */
	uint32_t ooo_bytes[2];  /* octets held out of order now */
	uint8_t midstream;      /* picked up without its handshake */
	uint8_t in_tx;          /* a mail transaction is open */
	uint8_t tls;            /* went TLS: the rest is not parsed */
	uint8_t closed;
};

void mt_session_info(const struct mt_session *s, struct mt_session_info *out);

static inline struct mt_flow_slot *
mt_session_slot(struct mt_session *s)
{
	return (struct mt_flow_slot *)s;
}

#endif /* MT_SESSION_H */
