/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_probe.h - the active probe dialogue: at most 2 connections and 10
 * commands per host, informative probes first (EHLO, HELP, out-of-sequence
 * RCPT, bad MAIL syntax, unknown verb), then a second connection for the
 * inputs that make servers hang up (NUL inside a command, over-long line).
 * A hang-up, a timeout or a slow reply is recorded as an observation.
 * Plain blocking-free sockets with poll(), bounded timeouts; never sends mail.
 */
#ifndef MT_PROBE_H
#define MT_PROBE_H

#include <sys/socket.h>

#include "mt_err.h"
#include "mt_fp.h"

struct mt_probe_params {
	int connect_ms; /* per connection */
	int read_ms;    /* per reply */
	int slow_ms;    /* a reply slower than this is marked slow */
};

void mt_probe_params_default(struct mt_probe_params *p);

/*
 * Probe one address.  Returns 0 when the first connection was made (the
 * observations say the rest), or -errno with err when it could not connect.
 */
int mt_probe_host(const struct sockaddr *sa, socklen_t salen, const struct mt_probe_params *p,
		  struct mt_fp_obsset *out, struct mt_err *err);

#endif /* MT_PROBE_H */
