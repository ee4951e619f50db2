/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MAILTAP_CMD_H
#define MAILTAP_CMD_H

/* argv[0] is the command's own name. */
int cmd_spool(int argc, char **argv);
int cmd_stat(int argc, char **argv);  /* cmd_stat.c: mailtap stat */

#endif /* MAILTAP_CMD_H */
