/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_eal.h - leave nothing behind at exit.
 *
 * DPDK 22.11 keeps a process's runtime directory (/var/run/dpdk/PREFIX:
 * its shared config, memseg arrays, telemetry and multi-process sockets)
 * after rte_eal_cleanup(), so every run with its own --file-prefix (a
 * test, a forensics run over a capture) left a directory behind.  The
 * primary process that created it removes it when it is done.
 */
#ifndef MT_EAL_H
#define MT_EAL_H

/* Remove the regular files and sockets in dir, then dir itself.  Only
 * one level: anything else in it (a subdirectory) keeps it.  0 or -errno. */
int mt_eal_remove_runtime_dir(const char *dir);

/* rte_eal_cleanup(), then remove this process's runtime directory. */
void mt_eal_cleanup(void);

#endif /* MT_EAL_H */
