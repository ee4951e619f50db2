/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/spool: the ustar block format and shared helpers. */
#ifndef SPOOL_PRIV_H
#define SPOOL_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "mt_err.h"

#define TAR_BLOCK 512
#define TAR_TRAILER (2 * TAR_BLOCK)
#define SPOOL_JSON_MAX (1u << 20) /* largest record accepted when reading */
#define SPOOL_ID_MAX 100

/*
 * ustar header (POSIX.1-1988, 512 bytes):
 *	  0 name[100]   100 mode[8]   108 uid[8]   116 gid[8]   124 size[12]
 *	136 mtime[12]   148 chksum[8] 156 typeflag 157 linkname[100]
 *	257 magic "ustar\0"  263 version "00"  265 uname[32]  297 gname[32]
 *	329 devmajor[8] 337 devminor[8] 345 prefix[155]  500 pad[12]
 * Numbers are octal text; the checksum is the byte sum of the header
 * with the checksum field read as eight spaces.
 */
static inline uint64_t
tar_pad(uint64_t n)
{
	return (TAR_BLOCK - n % TAR_BLOCK) % TAR_BLOCK;
}

/* Fill a regular-file header for name (< 100 bytes). */
void tar_header(uint8_t h[TAR_BLOCK], const char *name, uint64_t size, int64_t mtime,
		unsigned uid, unsigned gid);

/* Parse a header: 1 ok (name, size, mtime filled), 0 a zero block, -1 not
 * a valid regular-file header. */
int tar_parse(const uint8_t h[TAR_BLOCK], char name[101], uint64_t *size, int64_t *mtime);

/* "<id>.eml" / "<id>.json": the id's length, or 0 if name is neither. */
size_t tar_member_id(const char *name, const char *ext);

/* One whole mail found by tar_scan. */
struct tar_mail {
	char id[SPOOL_ID_MAX + 1];
	uint64_t eml_off, eml_size;
	uint64_t json_off, json_size;
	uint64_t end;   /* offset after the json member's padding */
	int64_t mtime;
};

/*
 * Walk the mails of an open segment from offset 0.  For each whole mail
 * (eml header + data, json header + data, same id, the record a JSON
 * object ending in a newline; with verify, the message's sha256 equal to
 * the record's) cb is called with json (NUL-terminated, valid during the
 * call).  *end gets the offset after the last whole mail; *tail 0 if
 * only zero blocks (or nothing) follow, 1 if other bytes do.
 * Returns 0, cb's non-zero return, or -errno.
 */
typedef int (*tar_mail_cb)(void *arg, const struct tar_mail *m, const char *json);
int tar_scan(int fd, int verify, tar_mail_cb cb, void *arg, uint64_t *end, int *tail);

struct mt_spool;
struct mt_spool_counters;
/* Recover the unpublished segments of tmp/ (spool_recover.c). */
int spool_recover_all(struct mt_spool *sp, int dfd, int tmpfd, struct mt_spool_counters *ctr,
		      struct mt_err *err);

int spool_mkdir_p(const char *path, mode_t mode);
int spool_writev_all(int fd, struct iovec *iov, int n, off_t off);

#endif /* SPOOL_PRIV_H */
