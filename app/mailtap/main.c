/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mailtap - the operator's command line.
 *
 *	mailtap spool list|show|export|follow|claim|ack|release ...
 *
 * Needs no DPDK runtime (no EAL): it reads spool files.
 * Exit codes: 0 done; 1 failure (message on stderr); 2 bad usage;
 * 3 nothing there (claim: no segment ready; show: no such mail).
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

int cmd_probe(int argc, char **argv); /* cmd_probe.c */

static void
usage(FILE *f)
{
	fprintf(f, "usage: mailtap COMMAND ...\n"
		   "commands:\n"
		   "  spool   read and consume a mailtapd spool (mailtap spool help)\n");
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "spool") == 0)
		return cmd_spool(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "probe") == 0)
		return cmd_probe(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "stat") == 0) return cmd_stat(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
