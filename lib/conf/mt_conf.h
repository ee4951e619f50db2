/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_conf.h - mailtapd configuration: one INI file read with DPDK's
 * rte_cfgfile, pre-scanned for file:line errors.
 *
 * One schema table (conf_schema.c) drives parsing, defaults, range checks
 * and the documentation printed by mt_conf_print_doc().  The result is an
 * immutable struct mt_conf; each module receives the fields it needs.
 *
 * Errors (unknown section or key, value out of range, malformed number or
 * list, a line without '=', a key before any section, an over-long line)
 * are reported as "FILE:LINE: message" in struct mt_err.
 */
#ifndef MT_CONF_H
#define MT_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "mt_err.h"

#define MT_CONF_MAX_LCORES 128
#define MT_CONF_MAX_PORTS 64     /* SMTP server ports to follow */
#define MT_CONF_PATH_MAX 512
#define MT_CONF_MAX_SERVERS 1024 /* [policy] prefixes, servers + servers_file */

/* An IPv4 or IPv6 prefix (CIDR) with no host bits set. */
struct mt_conf_prefix {
	uint8_t family;   /* 4 or 6 */
	uint8_t len;      /* prefix length, 0..32 or 0..128 */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes, rest 0 */
};

/* [policy] mode */
enum mt_conf_policy {
	MT_CONF_POLICY_ALL = 0,        /* every SMTP connection */
	MT_CONF_POLICY_REGISTERED = 1, /* anyIP-{regIP} -> regIP:smtp only */
};

struct mt_conf {
	/* [pipeline] */
	uint16_t rx_lcores[MT_CONF_MAX_LCORES];     /* empty: derived */
	unsigned n_rx_lcores;
	uint16_t worker_lcores[MT_CONF_MAX_LCORES]; /* empty: derived */
	unsigned n_worker_lcores;
	int writer_lcore;                           /* -1: derived */
	unsigned burst;          /* rx/ring burst size, 1..512, default 32 */
	unsigned ring_size;      /* entries per ring, power of 2, default 4096 */
	unsigned mbuf_pool_size; /* packet mbufs, default 16383 */
	unsigned mail_pool_size; /* mails in flight (all workers), default 4095 */
	unsigned chunk_pool_size;/* message chunk buffers, default 8191 */
	unsigned chunk_size;     /* bytes per message chunk, default 16384 */
	unsigned idle_sleep_us;  /* sleep of an idle lcore; 0 = busy poll, default 50 */
	int stage_cycles;        /* TSC stage accounting (rx/wk/wr_cycles...), default 0 */

	/* [flow] */
	unsigned max_flows;      /* per worker, default 65536 */
	unsigned idle_timeout_s; /* established, default 300 */
	unsigned handshake_timeout_s; /* no data yet, default 30 */
	unsigned closing_timeout_s;   /* after FIN/RST, default 10 */
	uint32_t max_ooo_bytes;  /* per connection direction, default 256K */

	/* [smtp] */
	uint16_t smtp_ports[MT_CONF_MAX_PORTS];     /* default 25 */
	unsigned n_smtp_ports;
	uint64_t max_mail_size;  /* bytes, default 64 MiB; beyond: truncated + flagged */

	/* [spool] */
	char spool_dir[MT_CONF_PATH_MAX]; /* default /var/spool/mailtap */
	int keep_rejected;       /* spool mails the server rejected, default 0 */
	int keep_incomplete;     /* spool incomplete/unconfirmed mails, default 1 */
	uint64_t spool_segment_max_bytes; /* publish at this size, default 64M */
	uint32_t spool_segment_max_age_s; /* ... or this age, default 5, 0 = never */
	int spool_fsync;                  /* enum mt_spool_fsync: segment|none|mail */
	uint64_t spool_retain_max_bytes;  /* 0 = no cap */
	uint32_t spool_retain_max_age_s;  /* 0 = keep */

	/* [scan] */
	char scan_rules[MT_CONF_PATH_MAX * 2]; /* "a.rules,b.rules"; "" = off;
						* mailtapd makes the paths
						* relative to the config file's
						* directory (app/mailtapd) */
	char scan_alert_file[MT_CONF_PATH_MAX]; /* "": <spool dir>/alerts.json */

	/* [fingerprint] */
	char fp_rules[MT_CONF_PATH_MAX]; /* rules directory; "" = off */
	unsigned fp_max_servers;         /* per-server table size, default 4096 */

	/* [log] */
	unsigned log_level;      /* RTE_LOG_* value, default RTE_LOG_INFO (7) */

	/* [policy] */
	int policy_mode;         /* enum mt_conf_policy, default all */
	/* the registered servers: [0, n_servers_inline) from `servers`, then
	 * those of servers_file; no two equal */
	struct mt_conf_prefix servers[MT_CONF_MAX_SERVERS];
	unsigned n_servers_inline;
	unsigned n_servers;      /* all of them */
	char servers_file[MT_CONF_PATH_MAX]; /* "" none; made relative to the
					      * config file's directory */
};

/* Fill c with the built-in defaults (the schema's, see mt_conf_print_doc). */
void mt_conf_defaults(struct mt_conf *c);

/*
 * Load path over the current contents of c (call mt_conf_defaults first):
 * keys present in the file replace fields, the others keep their value.
 * Syntax is rte_cfgfile's: "[section]", "key = value", full-line comments
 * starting with ';' or '#', trailing comments starting with ';'.
 *
 * Returns 0, or -errno with err set and c unchanged:
 *	-EINVAL	bad file content: "path:line: message", where line is that
 *		of the offending line; for a combination of keys (an lcore in
 *		two roles, ring_size not above burst, lcore roles not all set)
 *		the later of the keys' lines;
 *	-ENOENT, -EACCES, ...	the file cannot be opened ("path: reason");
 *	-EIO	read error, or rte_cfgfile disagreed with the pre-scan (the
 *		file changed while being loaded);
 *	-ENOMEM.
 * Needs no EAL; does not print or log.
 */
int mt_conf_load(struct mt_conf *c, const char *path, struct mt_err *err);

/*
 * Parse one prefix: an IPv4 or IPv6 address, optionally followed by
 * "/len"; a bare address is a host (/32, /128).  Host bits set
 * (192.0.2.1/24) are refused: say 192.0.2.0/24 or 192.0.2.1/32.
 * Returns 0, or -1 with why (n bytes) saying what is wrong.
 */
int mt_conf_prefix_parse(const char *s, struct mt_conf_prefix *out,
			 char *why, size_t n);

/* "192.0.2.0/24", "2001:db8::/32" into buf (64 bytes suffice); returns buf. */
char *mt_conf_prefix_str(const struct mt_conf_prefix *p, char *buf, size_t n);

/*
 * Write the documented default config to out: every section and option
 * with its help, type, range and default, each set to its default.
 * config/mailtap.conf is exactly this (tests/unit/conf checks it).
 */
void mt_conf_print_doc(FILE *out);

#endif /* MT_CONF_H */
