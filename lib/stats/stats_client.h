/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats_client.h - the client side of DPDK's telemetry socket, for
 * `mailtap stat`.  Pure C: no EAL, no DPDK library call.
 *
 * The socket is /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2 (or under
 * $XDG_RUNTIME_DIR for a non-root DPDK process), an AF_UNIX SOCK_SEQPACKET
 * socket: on connect the server sends a JSON greeting
 * ({"version": ..., "pid": ..., "max_output_len": ...}); then each message
 * sent is one command ("/mailtap/lcores,1") and each reply one JSON object
 * {"<command without params>": value}, value null when the command is
 * unknown or failed.
 *
 * A sample is what `mailtap stat` shows: every lcore's counter block
 * (/mailtap/lcores, /mailtap/lcores,ID) and every port's ethdev counters
 * (/mailtap/ports, /mailtap/ports,ID; absent on an older mailtapd).
 */
#ifndef MT_STATS_CLIENT_H
#define MT_STATS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mt_err.h"

/* ---- a small JSON reader (RFC 8259; numbers kept exact when integral) */

enum mt_json_type { MT_JSON_NULL, MT_JSON_BOOL, MT_JSON_NUM, MT_JSON_STR, MT_JSON_ARR,
		    MT_JSON_OBJ };

struct mt_json {
	enum mt_json_type type;
	int b;              /* BOOL */
	double num;         /* NUM */
	int is_u64;         /* NUM: a non-negative integer that fits in u64 */
	uint64_t u64;
	char *str;          /* STR (NUL-terminated, escapes decoded) */
	size_t n;           /* ARR, OBJ: number of members */
	struct mt_json *kid; /* ARR, OBJ: members */
	char **key;         /* OBJ: member names */
};

/* Parse text (len bytes) into a tree; NULL with err set on bad JSON. */
struct mt_json *mt_json_parse(const char *text, size_t len, struct mt_err *err);
void mt_json_free(struct mt_json *j);
/* Member of an object by name, or NULL. */
const struct mt_json *mt_json_get(const struct mt_json *obj, const char *key);

/* ---- telemetry socket */

struct mt_tel {
	int fd;
	long pid;            /* from the greeting */
	size_t max_output;   /* from the greeting */
	char path[256];
};

/* The socket path of the DPDK process started with --file-prefix prefix
 * (NULL: "rte"), as DPDK's EAL computes its runtime directory. */
void mt_tel_path(const char *prefix, char *buf, size_t size);

/* Connect and read the greeting.  0, or -1 with err set. */
int mt_tel_open(struct mt_tel *t, const char *path, struct mt_err *err);
/* Send cmd; *out is the value of the reply (NULL is never returned on
 * success: a JSON null is a tree of type MT_JSON_NULL).  Free with
 * mt_json_free.  0, or -1 with err set. */
int mt_tel_query(struct mt_tel *t, const char *cmd, struct mt_json **out, struct mt_err *err);
void mt_tel_close(struct mt_tel *t);

/* ---- samples */

#define MT_SC_MAX_UNITS 256  /* lcores or ports */

/* One lcore's or port's counters, in the order the daemon reported them. */
struct mt_sc_unit {
	unsigned id;
	size_t n;
	char **name;
	uint64_t *v;
};

struct mt_sc_sample {
	double t;            /* CLOCK_MONOTONIC seconds when taken */
	double wall;         /* CLOCK_REALTIME seconds */
	unsigned n_lcores;
	struct mt_sc_unit lcore[MT_SC_MAX_UNITS];
	unsigned n_ports;    /* 0 when the daemon has no /mailtap/ports */
	struct mt_sc_unit port[MT_SC_MAX_UNITS];
};

/* Take a sample.  0, or -1 with err set.  Free with mt_sc_sample_free. */
int mt_sc_sample(struct mt_tel *t, struct mt_sc_sample *s, struct mt_err *err);
void mt_sc_sample_free(struct mt_sc_sample *s);

/* The value of counter name in unit u (0 if absent; *found tells). */
uint64_t mt_sc_value(const struct mt_sc_unit *u, const char *name, int *found);

/* Per-second rate of a counter between two samples (0 when it went
 * backwards, i.e. the daemon restarted, or the interval is 0). */
double mt_sc_rate(uint64_t prev, uint64_t cur, double seconds);

#endif /* MT_STATS_CLIENT_H */
