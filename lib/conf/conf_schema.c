/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_schema.c - every option of mailtap.conf: section, key, type,
 * default, range, field and help.  Adding an option here is all it takes
 * for it to be parsed, defaulted, range-checked and documented; then
 * regenerate config/mailtap.conf (see tests/unit/conf/test_conf.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "mt_common.h"
#include "mt_conf.h"
#include "conf_schema.h"

#define FIELD(f) \
	.offset = offsetof(struct mt_conf, f), \
	.size = sizeof(((struct mt_conf *)0)->f)
#define LIST(f, n) FIELD(f), .n_offset = offsetof(struct mt_conf, n)

#define KiB (UINT64_C(1) << 10)
#define GiB (UINT64_C(1) << 30)

/* The parsers store through these types; keep them in step with mt_conf.h. */
_Static_assert(sizeof(((struct mt_conf *)0)->rx_lcores[0]) == sizeof(uint16_t),
	       "lcore lists hold uint16_t");
_Static_assert(sizeof(((struct mt_conf *)0)->smtp_ports[0]) == sizeof(uint16_t),
	       "port lists hold uint16_t");
_Static_assert(sizeof(((struct mt_conf *)0)->n_rx_lcores) == sizeof(unsigned),
	       "list counts are unsigned");
_Static_assert(sizeof(((struct mt_conf *)0)->writer_lcore) == sizeof(int),
	       "single lcore is int");
_Static_assert(sizeof(((struct mt_conf *)0)->keep_rejected) == sizeof(int),
	       "booleans are int");
_Static_assert(sizeof(((struct mt_conf *)0)->policy_mode) == sizeof(int),
	       "choices are int");

/* index = enum mt_conf_policy */
static const char *const policy_modes[] = { "all", "registered", NULL };

const struct mt_conf_section mt_conf_sections[] = {
	{ "pipeline", "Lcores, rings and memory pools of the packet pipeline.  "
		      "rx_lcores, worker_lcores and writer_lcore are set "
		      "together, or all left auto." },
	{ "flow", "TCP connection tracking (per worker lcore)." },
	{ "smtp",
	  "Which connections are SMTP, and how much of a mail to keep." },
	{ "policy",
	  "Capture policy: which SMTP connections are rebuilt.  A mail on "
	  "its way through the site may cross the tap two or three times "
	  "(one SMTP hop per server it passes); this section decides "
	  "whether each hop is captured or only the one that brings the "
	  "mail into the site's own servers." },
	{ "spool", "Where and which captured mails are written." },
	{ "scan", "Hyperscan inspection of every mail (docs/RULES.md): rules "
		  "files, alert stream.  Reload the rules with SIGHUP." },
	{ "fingerprint", "Passive mail-server fingerprinting (docs/FINGERPRINTS.md): "
			 "the servers' greetings, EHLO, HELP and error replies the "
			 "workers see go through the prober's rules; each server's "
			 "verdict is in its mails' metadata, on /mailtap/servers and "
			 "in `mailtap stat servers`." },
	{ "log", "Logging." },
};
const unsigned mt_conf_n_sections = MT_ARRAY_SIZE(mt_conf_sections);

const struct mt_conf_opt mt_conf_opts[] = {
	/* [pipeline] */
	{
		.section = "pipeline", .key = "rx_lcores",
		.type = MT_CONF_T_LCORE_LIST, .def = "auto",
		.min = 0, .max = MT_CONF_MAX_LCORES - 1,
		LIST(rx_lcores, n_rx_lcores),
		.help = "Lcores that poll the NIC receive queues.  An lcore "
			"may also hold the worker or writer role (run to "
			"completion).  auto: derived by mailtapd from the EAL "
			"lcores: 1 lcore runs every role, 2 run RX+worker and "
			"the writer, 3 or more run RX, workers, and the writer "
			"on the last.",
	},
	{
		.section = "pipeline", .key = "worker_lcores",
		.type = MT_CONF_T_LCORE_LIST, .def = "auto",
		.min = 0, .max = MT_CONF_MAX_LCORES - 1,
		LIST(worker_lcores, n_worker_lcores),
		.help = "Lcores that track TCP connections and follow the "
			"SMTP sessions.  auto: derived by mailtapd from the "
			"EAL lcores.",
	},
	{
		.section = "pipeline", .key = "writer_lcore",
		.type = MT_CONF_T_LCORE, .def = "auto",
		.min = 0, .max = MT_CONF_MAX_LCORES - 1,
		FIELD(writer_lcore),
		.help = "Lcore that writes finished mails to the spool.  It "
			"may also be in rx_lcores or worker_lcores.  auto: "
			"derived by mailtapd from the EAL lcores.",
	},
	{
		.section = "pipeline", .key = "burst",
		.type = MT_CONF_T_UINT, .def = "32",
		.min = 1, .max = 512,
		FIELD(burst),
		.help = "Packets per receive burst and per ring enqueue or "
			"dequeue.  Must be smaller than ring_size.",
	},
	{
		.section = "pipeline", .key = "ring_size",
		.type = MT_CONF_T_UINT, .flags = MT_CONF_F_POW2, .def = "4096",
		.min = 64, .max = 1048576,
		FIELD(ring_size),
		.help = "Entries of each ring between lcores.",
	},
	{
		.section = "pipeline", .key = "mbuf_pool_size",
		.type = MT_CONF_T_UINT, .def = "16383",
		.min = 255, .max = 16777215,
		FIELD(mbuf_pool_size),
		.help = "Packet buffers (mbufs) in the receive mempool; "
			"2^n - 1 uses memory best.",
	},
	{
		.section = "pipeline", .key = "mail_pool_size",
		.type = MT_CONF_T_UINT, .def = "4095",
		.min = 1, .max = 1048575,
		FIELD(mail_pool_size),
		.help = "Mails being captured at the same time, over all "
			"workers.",
	},
	{
		.section = "pipeline", .key = "chunk_pool_size",
		.type = MT_CONF_T_UINT, .def = "8191",
		.min = 1, .max = 16777215,
		FIELD(chunk_pool_size),
		.help = "Message chunk buffers, shared by all mails in flight.",
	},
	{
		.section = "pipeline", .key = "chunk_size",
		.type = MT_CONF_T_SIZE, .def = "16K",
		.min = 1 * KiB, .max = 32 * KiB,
		FIELD(chunk_size),
		.help = "Bytes per message chunk buffer (an mbuf, whose data "
			"room is 16-bit).",
	},
	{
		.section = "pipeline", .key = "idle_sleep_us",
		.type = MT_CONF_T_UINT, .def = "50",
		.min = 0, .max = 1000000,
		FIELD(idle_sleep_us),
		.help = "Microseconds an lcore sleeps after a poll that found "
			"no work; 0 busy-polls (lowest latency, a full core "
			"each).",
	},
	{
		.section = "pipeline", .key = "stage_cycles",
		.type = MT_CONF_T_BOOL, .def = "no",
		FIELD(stage_cycles),
		.help = "Count the CPU cycles (TSC) each stage spends: RX, "
			"worker (flow table and TCP), SMTP, MIME + scan, "
			"writer (rx_cycles, wk_cycles, wk_cycles_smtp, "
			"wk_cycles_scan, wr_cycles), and time the polls and "
			"steps (rx_poll_gap_max_us, wk_step_max_us, "
			"wr_step_max_us).  Costs a TSC read at each burst and "
			"stage boundary, never per byte (docs/PERFORMANCE.md).",
	},

	/* [flow] */
	{
		.section = "flow", .key = "max_flows",
		.type = MT_CONF_T_UINT, .def = "65536",
		.min = 1, .max = 16777216,
		FIELD(max_flows),
		.help = "TCP connections tracked at the same time by each "
			"worker lcore.",
	},
	{
		.section = "flow", .key = "idle_timeout_s",
		.type = MT_CONF_T_UINT, .def = "300",
		.min = 1, .max = 86400,
		FIELD(idle_timeout_s),
		.help = "Seconds without a packet after which an established "
			"connection is forgotten; a mail in progress is then "
			"incomplete.",
	},
	{
		.section = "flow", .key = "handshake_timeout_s",
		.type = MT_CONF_T_UINT, .def = "30",
		.min = 1, .max = 86400,
		FIELD(handshake_timeout_s),
		.help = "Seconds a connection that has carried no data yet (a "
			"bare handshake, or a SYN flood) is kept without a "
			"packet.  Such connections are also evicted first when "
			"the table is full.",
	},
	{
		.section = "flow", .key = "closing_timeout_s",
		.type = MT_CONF_T_UINT, .def = "10",
		.min = 1, .max = 86400,
		FIELD(closing_timeout_s),
		.help = "Seconds a connection is kept after its first FIN or a "
			"RST, for the last segments of the other side.",
	},
	{
		.section = "flow", .key = "max_ooo_bytes",
		.type = MT_CONF_T_SIZE, .def = "256K",
		.min = 0, .max = 64ull << 20,
		FIELD(max_ooo_bytes),
		.help = "Bytes held out of order per connection direction while "
			"a hole waits to be filled (reordering on the link). "
			"Beyond it the hole is declared lost: the mail in "
			"progress is flagged and counted.  Each worker also "
			"holds at most a quarter of mbuf_pool_size packets, "
			"shared between workers.  0 disables reordering "
			"tolerance.",
	},

	/* [smtp] */
	{
		.section = "smtp", .key = "ports",
		.type = MT_CONF_T_PORT_LIST, .def = "25",
		.min = 1, .max = 65535,
		LIST(smtp_ports, n_smtp_ports),
		.help = "TCP server ports whose connections are followed as "
			"SMTP.",
	},
	{
		.section = "smtp", .key = "max_mail_size",
		.type = MT_CONF_T_SIZE, .def = "64M",
		.min = 1 * KiB, .max = 1 * GiB,
		FIELD(max_mail_size),
		.help = "Largest message kept; the rest of a longer one is "
			"dropped and the mail flagged as truncated.",
	},

	/* [policy] */
	{
		.section = "policy", .key = "mode",
		.type = MT_CONF_T_CHOICE, .def = "all",
		.choices = policy_modes,
		FIELD(policy_mode),
		.help = "all: rebuild every TCP connection with an SMTP server "
			"port ([smtp] ports) on one side.  A mail relayed "
			"through the site comes out once per hop the tap "
			"sees, each copy from its own connection.  "
			"registered: rebuild only connections from a client "
			"outside the registered servers (servers, "
			"servers_file) to a registered server on an SMTP port "
			"- the requests anyIP-{regIP}:any -> regIP:smtp and "
			"their replies - and drop the rest (counted as "
			"rx_drop_policy).  Every mail enters the site's mail "
			"system through exactly one such hop: from an "
			"external server or from a user's client to the "
			"first registered server.  The relays that follow "
			"(registered server to registered server, and "
			"registered server to an outside server) have a "
			"registered client and are skipped, so each mail is "
			"rebuilt exactly once whichever of the six paths of "
			"the monitoring paper it takes (external -> server1; "
			"external -> server1 -> server2; user -> server1; "
			"user -> server1 -> server2; user -> server1 -> "
			"external; user -> server1 -> server2 -> external), "
			"and connections between two outside hosts are "
			"ignored.  Register every address a server sends "
			"from, not only the one it receives on: a relay that "
			"connects out from an unregistered address has its "
			"relayed mail captured a second time.  A mail that "
			"passes no registered server is not captured.",
	},
	{
		.section = "policy", .key = "servers",
		.type = MT_CONF_T_PREFIX_LIST, .def = "",
		LIST(servers, n_servers_inline),
		.help = "The site's own mail servers (regIP), as IPv4 and "
			"IPv6 addresses or prefixes separated by ','; a bare "
			"address is a single host.  Host bits set "
			"(192.0.2.1/24) are an error.  A value holds at most "
			"255 bytes: list more servers in servers_file.",
	},
	{
		.section = "policy", .key = "servers_file",
		.type = MT_CONF_T_PATH, .flags = MT_CONF_F_EMPTY, .def = "",
		FIELD(servers_file),
		.help = "A file of more registered servers, one address or "
			"prefix per line; '#' or ';' starts a comment, blank "
			"lines are skipped, errors are reported as FILE:LINE.  "
			"A relative path is taken from the directory of this "
			"config file.  It is read when the config is loaded.  "
			"Together with servers at most 1024 prefixes, no two "
			"alike.  mode = registered needs at least one prefix "
			"in servers or servers_file.",
	},

	/* [spool] */
	{
		.section = "spool", .key = "dir",
		.type = MT_CONF_T_PATH, .def = "/var/spool/mailtap",
		FIELD(spool_dir),
		.help = "Directory the captured mails are written to.",
	},
	{
		.section = "spool", .key = "keep_rejected",
		.type = MT_CONF_T_BOOL, .def = "no",
		FIELD(keep_rejected),
		.help = "Also spool mails the server rejected after DATA.",
	},
	{
		.section = "spool", .key = "keep_incomplete",
		.type = MT_CONF_T_BOOL, .def = "yes",
		FIELD(keep_incomplete),
		.help = "Also spool mails the server did not confirm "
			"(connection lost, timed out or not fully captured).",
	},
	{
		.section = "spool", .key = "segment_max_bytes",
		.type = MT_CONF_T_SIZE, .def = "64M",
		.min = 64 * KiB, .max = 4 * GiB,
		FIELD(spool_segment_max_bytes),
		.help = "A segment (a tar file of mails) is published once it "
			"holds this many bytes; a bigger mail makes one bigger "
			"segment.",
	},
	{
		.section = "spool", .key = "segment_max_age_s",
		.type = MT_CONF_T_UINT, .def = "5",
		.min = 0, .max = 86400,
		FIELD(spool_segment_max_age_s),
		.help = "Seconds after its first mail a segment is published "
			"at the latest, however small; 0 = only by size and at "
			"exit.",
	},
	{
		.section = "spool", .key = "fsync",
		.type = MT_CONF_T_CHOICE, .def = "segment",
		.choices = (const char *const[]){ "segment", "none", "mail", NULL },
		FIELD(spool_fsync),
		.help = "segment: sync each segment before publishing it (a "
			"published segment survives power loss); none: leave "
			"it to the page cache (survives a crash of mailtapd, "
			"not of the machine); mail: also sync after every "
			"write batch.",
	},
	{
		.section = "spool", .key = "retain_max_bytes",
		.type = MT_CONF_T_SIZE, .def = "0",
		.min = 0, .max = UINT64_C(1) << 50,
		FIELD(spool_retain_max_bytes),
		.help = "Cap on the bytes of all segments (0 = none): beyond "
			"it the oldest segments are removed, acknowledged ones "
			"(done/) first, claimed ones never.",
	},
	{
		.section = "spool", .key = "retain_max_age_s",
		.type = MT_CONF_T_UINT, .def = "0",
		.min = 0, .max = 4000000000u,
		FIELD(spool_retain_max_age_s),
		.help = "Segments older than this many seconds are removed, "
			"claimed ones never (0 = keep).",
	},

	/* [scan] */
	{
		.section = "scan", .key = "rules",
		.type = MT_CONF_T_PATH, .flags = MT_CONF_F_EMPTY, .def = "",
		FIELD(scan_rules),
		.help = "Rules files, separated by ',' (e.g. "
			"rules/default.rules); a relative path is taken from "
			"the directory of this config file.  Empty: no "
			"scanning.  mailtapd refuses to start when a file has "
			"an error (FILE:LINE: message, as mailtapd -- "
			"--check-rules FILE... prints them); SIGHUP compiles "
			"the files again and swaps the new rules in (mails in "
			"flight finish on the old ones; on error the old "
			"rules stay).",
	},
	{
		.section = "scan", .key = "alert_file",
		.type = MT_CONF_T_PATH, .flags = MT_CONF_F_EMPTY, .def = "",
		FIELD(scan_alert_file),
		.help = "File the alerts are appended to, one JSON object per "
			"line (Suricata EVE field names), mode 0640.  Empty: "
			"alerts.json in the spool directory.",
	},

	/* [fingerprint] */
	{
		.section = "fingerprint", .key = "rules",
		.type = MT_CONF_T_PATH, .flags = MT_CONF_F_EMPTY, .def = "",
		FIELD(fp_rules),
		.help = "Directory of fingerprint rules (*.fp, the prober's; "
			"make install puts them in /etc/mailtap/fingerprints, the "
			"source tree has config/fingerprints); a relative path is "
			"taken from the directory of this config file.  Empty: no "
			"passive fingerprinting.  mailtapd refuses to start when "
			"a rule has an error (FILE:LINE: message).",
	},
	{
		.section = "fingerprint", .key = "max_servers",
		.type = MT_CONF_T_UINT, .def = "4096",
		.min = 16, .max = 1048576,
		FIELD(fp_max_servers),
		.help = "Servers the fingerprint table holds (about 3 KB each, on "
			"the writer lcore's socket); when full, the server seen "
			"least recently is forgotten (wr_fp_servers_evicted).",
	},

	/* [log] */
	{
		.section = "log", .key = "level",
		.type = MT_CONF_T_LOG_LEVEL, .def = "info",
		.min = 1, .max = 8,
		FIELD(log_level),
		.help = "Level of mailtap's own log messages.",
	},
};
const unsigned mt_conf_n_opts = MT_ARRAY_SIZE(mt_conf_opts);
