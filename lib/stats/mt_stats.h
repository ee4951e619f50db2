/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_stats.h - per-lcore counters.
 *
 * Each lcore owns one cache-aligned block and is its only writer (plain
 * increments, no atomics, no sharing); readers (the exit summary, the
 * telemetry socket) sum the blocks and accept a slightly stale view.
 *
 * Every place a packet or a mail can be lost has a counter here.  The
 * identities that hold once the pipeline has drained:
 *
 *	rx_packets    = rx_dispatched + rx_drop_*            (RX lcores)
 *	rx_dispatched = wk_packets                           (rings lose nothing)
 *	mail_started  = mail_accepted + mail_rejected + mail_aborted
 *	              + mail_unconfirmed + mail_incomplete
 *	mail_started  = mail_to_writer + mail_discarded + mail_drop_ring_full
 *	              + mail_nomem
 *	mail_to_writer = wr_mails + wr_errors
 *
 * wr_errors counts mails the writer gave up on (only at shutdown while the
 * spool still fails, see lcore_writer.c); a failed write itself pauses the
 * writer with its mails kept (wr_write_failures, wr_paused).  Mails recovered
 * from a previous run's unpublished segment are not part of this run's
 * mails: they are counted apart (wr_recovered_*).
 */
#ifndef MT_STATS_H
#define MT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

/* X(name, help) */
#define MT_STATS_FIELDS(X)                                                        \
	X(rx_packets, "packets received from the ports")                          \
	X(rx_bytes, "bytes received from the ports")                              \
	X(rx_bursts, "non-empty receive bursts")                                  \
	X(rx_empty_polls, "receive polls that returned nothing")                  \
	X(rx_dispatched, "packets enqueued to a worker ring")                     \
	X(rx_drop_not_ip, "dropped: not IPv4/IPv6")                               \
	X(rx_drop_not_tcp, "dropped: IP but not TCP")                             \
	X(rx_drop_fragment, "dropped: IP fragment (not reassembled)")             \
	X(rx_drop_malformed, "dropped: truncated or bad headers")                 \
	X(rx_drop_not_smtp, "dropped: TCP but no SMTP server port")               \
	X(rx_drop_policy, "dropped: connection outside the capture policy")       \
	X(rx_drop_ring_full, "dropped: worker ring full (live mode)")             \
	X(rx_ring_waits, "RX paused on a full worker ring (offline mode)")        \
	X(wk_packets, "packets dequeued by workers")                              \
	X(wk_payload_bytes, "TCP payload bytes handed to the SMTP parser")        \
	X(wk_drop_flow_full, "dropped: flow table full")                          \
	X(wk_no_flow, "control segments (no payload) of unknown connections")  \
	X(wk_flows_new, "connections created")                                    \
	X(wk_flows_closed, "connections closed by FIN/RST")                       \
	X(wk_flows_timeout, "connections expired idle")                           \
	X(wk_flows_evicted, "connections evicted to make room (table full)")     \
	X(wk_flows_drained, "connections closed at shutdown/end of capture")      \
	X(wk_flows_midstream, "connections first seen without a SYN")             \
	X(wk_after_close, "late segments of a closed connection, ignored")       \
	X(wk_tls_bytes, "payload bytes after STARTTLS (encrypted, not parsed)")   \
	X(wk_retrans_bytes, "payload bytes seen twice (retransmissions)")         \
	X(wk_ooo_segments, "segments held out of order")                          \
	X(wk_ooo_overflow, "holes declared lost because the hold was full")       \
	X(wk_ooo_refused, "out-of-order holds refused by the worker budget")      \
	X(wk_out_of_window, "segments far outside the window, ignored")          \
	X(wk_ack_waits, "segments held until the other side caught up (ACK)")   \
	X(wk_gaps, "sequence gaps (data the tap never saw)")                      \
	X(wk_gap_bytes, "bytes missing in gaps")                                  \
	X(smtp_line_too_long, "SMTP command lines over the limit")                \
	X(smtp_queue_overflow, "pipelined commands beyond the queue depth")       \
	X(smtp_unknown_command, "unknown SMTP commands")                          \
	X(smtp_out_of_sequence, "commands out of the SMTP sequence")              \
	X(smtp_unsolicited_reply, "replies with no command waiting")              \
	X(smtp_bad_reply, "malformed reply lines")                                \
	X(smtp_starttls, "sessions that went TLS")                                \
	X(mail_started, "transactions started (MAIL FROM)")                       \
	X(mail_accepted, "mails the server accepted")                             \
	X(mail_rejected, "transactions the server rejected")                      \
	X(mail_aborted, "transactions abandoned before the message ended")        \
	X(mail_unconfirmed, "complete messages with no final reply seen")         \
	X(mail_incomplete, "messages cut short (close, gap, TLS)")                \
	X(mail_truncated, "messages over max_mail_size (kept truncated)")         \
	X(mail_chunk_nomem, "messages cut short: chunk pool empty")               \
	X(mail_nomem, "transactions not recorded: mail pool empty")               \
	X(mail_discarded, "transactions not spooled by policy")                   \
	X(mail_drop_ring_full, "mails dropped: writer ring full (live mode)")     \
	X(wk_writer_waits, "worker polls skipped: writer ring or pools short (offline)") \
	X(mail_to_writer, "mails handed to the writer")                           \
	X(mail_bytes, "message bytes handed to the writer")                       \
	X(wr_mails, "mails written to the spool")                                 \
	X(wr_bytes, "message bytes written to the spool")                         \
	X(wr_errors, "mails lost to spool write errors")                         \
	X(wr_writes, "spool write batches (one pwritev each, usually)")          \
	X(wr_segments, "spool segments published")                               \
	X(wr_fsyncs, "fdatasync/fsync calls on the spool")                       \
	X(wr_fsync_us, "time spent in them (microseconds)")                      \
	X(wr_write_failures, "failed spool writes/syncs/renames (writer paused)") \
	X(wr_paused, "times the writer paused on a spool error")                 \
	X(wr_recovered_segments, "unpublished segments recovered at start")      \
	X(wr_recovered_mails, "whole mails kept from them")                      \
	X(wr_torn_mails, "partial mails cut from them (a crash mid-write)")      \
	X(wr_torn_bytes, "bytes cut from them")                                  \
	X(wr_retention_removed, "segments removed by the retention cap")         \
	X(wr_retention_unconsumed, "... of which no consumer had acknowledged") \
	X(scan_mails, "mails scanned (lib/scan)")                                 \
	X(scan_bytes, "octets scanned by Hyperscan streams")                     \
	X(scan_matches, "rule matches reported")                                 \
	X(scan_alerts, "alerts raised (first match of a rule in a part)")        \
	X(scan_alerts_written, "alerts written to the alert file")               \
	X(scan_alerts_dropped, "alerts lost (per-mail bound, mail not spooled, write error)") \
	X(scan_stream_nomem, "scan streams Hyperscan could not allocate (part not scanned)") \
	X(scan_reloads, "rule sets swapped in (SIGHUP)")                         \
	X(scan_reload_failures, "reloads refused: the new rules did not compile") \
	X(wk_fp_obs, "server replies sent to the fingerprint table (passive)")  \
	X(wk_fp_nobuf, "wanted server replies not copied: no reply buffer free") \
	X(wk_fp_drop_ring_full, "fingerprint observations dropped: ring to the writer full") \
	X(wr_fp_obs, "fingerprint observations the writer took in")           \
	X(wr_fp_obs_new, "... that added an observation to a server")       \
	X(wr_fp_classified, "servers classified by the writer (when a mail to a changed server is written)") \
	X(wr_fp_servers_evicted, "servers evicted from the fingerprint table (full)") \
	X(wr_fp_obs_truncated, "fingerprint observations cut (reply or per-server text bound)") \
	X(rx_cycles, "TSC cycles in RX polls that received packets (stage_cycles)") \
	X(rx_poll_gap_max_us, "longest time between two port polls of an RX lcore, us (stage_cycles)") \
	X(rx_poll_gaps_1ms, "port polls that came 1 ms or more after the previous one (stage_cycles)") \
	X(rx_poll_gaps_10ms, "... of which 10 ms or more (stage_cycles)")     \
	X(wk_cycles, "TSC cycles in worker steps with work: flow table, TCP, SMTP, scan (stage_cycles)") \
	X(wk_cycles_smtp, "... of which in the SMTP automaton and mail copy, scan excluded (stage_cycles)") \
	X(wk_cycles_scan, "... of which in MIME decoding and Hyperscan, wherever called (stage_cycles)") \
	X(wk_step_max_us, "longest worker step, us (stage_cycles)")            \
	X(wr_cycles, "TSC cycles in writer steps that wrote or published (stage_cycles)") \
	X(wr_step_max_us, "longest writer step, us (stage_cycles)")            \
	X(pool_pkts_max, "packet mbufs in use, high-water mark (sampled each ms by RX)") \
	X(pool_mails_max, "mail objects in use, high-water mark (sampled each ms by RX)") \
	X(pool_chunks_max, "message chunks in use, high-water mark (sampled each ms by RX)") \
	X(wk_flows_max, "connections in this worker's flow table, high-water mark")

enum mt_stat {
#define MT_STAT_ENUM(n, h) MT_STAT_##n,
	MT_STATS_FIELDS(MT_STAT_ENUM)
#undef MT_STAT_ENUM
	MT_STAT__COUNT
};

struct mt_stats {
	uint64_t v[MT_STAT__COUNT];
} __rte_cache_aligned;

/* One block per lcore id (zeroed at load). */
extern struct mt_stats mt_stats_lcore[RTE_MAX_LCORE];

/*
 * Stage accounting ([pipeline] stage_cycles): when set, the lcores read the
 * TSC at burst and stage boundaries (never per byte) and add the cycles to
 * rx_cycles, wk_cycles, wr_cycles, and time their polls and steps.
 * wk_cycles contains wk_cycles_smtp and wk_cycles_scan, which exclude each
 * other (SMTP calls the scan; its count leaves the scan out), so flow table
 * + TCP = wk_cycles - wk_cycles_smtp - wk_cycles_scan.  Set once
 * before the lcores start.  Counters named *_max* are high-water marks:
 * mt_stats_sum() takes their maximum over lcores, not the sum.
 */
extern int mt_stats_cycles_on;

/* The TSC if stage accounting is on, else 0 (then nothing is added). */
static inline uint64_t
mt_stats_tsc(void)
{
	return mt_stats_cycles_on ? rte_rdtsc() : 0;
}

/* Add the cycles since t0 (from mt_stats_tsc()) to counter s. */
static inline void
mt_stats_cycles_add(struct mt_stats *st, enum mt_stat s, uint64_t t0)
{
	if (t0 != 0)
		st->v[s] += rte_rdtsc() - t0;
}

static inline void
mt_stats_max(struct mt_stats *st, enum mt_stat s, uint64_t v)
{
	if (v > st->v[s])
		st->v[s] = v;
}

/* Nonzero for the high-water-mark counters (*_max*). */
int mt_stats_is_max(enum mt_stat s);

#define MT_STAT_ADD(st, name, n) ((st)->v[MT_STAT_##name] += (n))
#define MT_STAT_INC(st, name) ((st)->v[MT_STAT_##name]++)

/* This lcore's block. */
static inline struct mt_stats *
mt_stats_self(void)
{
	unsigned id = rte_lcore_id();

	return &mt_stats_lcore[id < RTE_MAX_LCORE ? id : 0];
}

const char *mt_stats_name(enum mt_stat s);
const char *mt_stats_help(enum mt_stat s);

/* Sum of all lcores into out. */
void mt_stats_sum(struct mt_stats *out);

/*
 * Check the identities above on a drained pipeline.  Returns 0, or the
 * number of identities that fail, each described in buf (one line each).
 */
int mt_stats_check(const struct mt_stats *tot, char *buf, size_t size);

/* Register /mailtap/stats and /mailtap/lcores on the telemetry socket. */
int mt_stats_telemetry_register(void);

#endif /* MT_STATS_H */
