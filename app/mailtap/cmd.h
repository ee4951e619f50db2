/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MAILTAP_CMD_H
#define MAILTAP_CMD_H

#include <stdio.h>

/* argv[0] is the command's own name. */
int cmd_spool(int argc, char **argv);
int cmd_stat(int argc, char **argv);  /* cmd_stat.c: mailtap stat */
int cmd_stat_flows(int argc, char **argv);   /* cmd_stat_flows.c: stat flows */
int cmd_stat_servers(int argc, char **argv); /* cmd_stat_servers.c: stat servers */

struct mt_tel;
struct mt_err;
/* The flow gauges in Prometheus text (cmd_stat_flows.c). */
int mt_stat_flows_prom(FILE *f, struct mt_tel *t, struct mt_err *err);
/*
 * --prefix PREFIX / --socket PATH (at most one; neither: the default
 * prefix) to the telemetry socket, opened (cmd_stat.c).  Returns 0, 1
 * once it printed why the socket could not be opened, or -1 when both
 * were given (the caller's usage error).
 */
int stat_open(const char *prefix, const char *sock, struct mt_tel *t);

#endif /* MAILTAP_CMD_H */
