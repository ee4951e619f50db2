/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
int cmd_report(int argc, char **argv);
int
cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
