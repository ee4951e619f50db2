/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_pipeline.h - the lcores of mailtapd and the rings between them.
 *
 *	port(s) --rx_burst--> RX lcore(s) --rte_ring per (RX, worker)-->
 *	worker lcore(s) --rte_ring per worker--> writer lcore --> spool
 *
 * Each role is a poll step; an lcore runs the steps of the roles given to
 * it, so the same code runs one role per lcore or all roles on one lcore
 * (run to completion).  See docs/ARCHITECTURE.md.
 *
 * Offline mode (every port reads a capture file): the end of each file is
 * detected by counting its packets beforehand; RX waits on full rings
 * instead of dropping, so a capture is processed without loss.  Live mode
 * drops and counts.  Either way the pipeline drains upstream first on
 * stop: RX, then the workers (every connection closed, every mail in
 * flight finished or flagged), then the writer.
 */
#ifndef MT_PIPELINE_H
#define MT_PIPELINE_H

#include <stdio.h>

#include "mt_conf.h"
#include "mt_err.h"

struct mt_pipeline;

/* [scan] rules: files per load at most. */
#define MT_PIPELINE_MAX_RULES_FILES 64

/* Set up ports, pools, rings, roles and the spool after rte_eal_init().
 * NULL with err set on failure. */
struct mt_pipeline *mt_pipeline_create(const struct mt_conf *conf, struct mt_err *err);

/* Run every lcore until the capture ends or mt_pipeline_stop(); returns
 * after the drain.  0, or -errno. */
int mt_pipeline_run(struct mt_pipeline *p);

/* Ask the pipeline to drain and stop (async-signal-safe). */
void mt_pipeline_stop(void);

/* Ask the pipeline to compile its rules files again and swap them in
 * (async-signal-safe: SIGHUP; the reload thread does the work). */
void mt_pipeline_reload_rules(void);

/* Print the lcore roles (at start). */
void mt_pipeline_print_roles(const struct mt_pipeline *p, FILE *out);

/* Print the exit summary: mails, bytes, per-lcore counters, port stats,
 * the counter identities.  Returns the number of identities that fail. */
int mt_pipeline_print_summary(const struct mt_pipeline *p, FILE *out);

void mt_pipeline_free(struct mt_pipeline *p);

#endif /* MT_PIPELINE_H */
