/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_spool.h - where finished mails go.
 *
 * Layout of a spool directory:
 *	DIR/<id>.eml    the message, exactly the octets the client sent after
 *	                DATA (dot-unstuffed) or in its BDAT chunks
 *	DIR/<id>.json   its metadata (envelope, 4-tuple, flags); one line
 *	DIR/tmp/        files being written
 *
 * Each file is written under tmp/ and renamed into DIR, the .eml first
 * and the .json last: a consumer that sees <id>.json may read <id>.eml.
 * Files are created mode 0640, the directories 0750.
 *
 * (The batched, segment-based spool and its export command replace this
 * per-mail layout later; the id and JSON record stay.)
 */
#ifndef MT_SPOOL_H
#define MT_SPOOL_H

#include "mt_err.h"
#include "mt_mail.h"

struct mt_spool;

/* Create or open DIR (and DIR/tmp).  NULL with err set on failure. */
struct mt_spool *mt_spool_open(const char *dir, struct mt_err *err);

/* Write one mail under id.  0, or -errno with err set. */
int mt_spool_write(struct mt_spool *sp, const struct mt_mail *m, const char *id,
		   struct mt_err *err);

const char *mt_spool_dir(const struct mt_spool *sp);

void mt_spool_close(struct mt_spool *sp);

#endif /* MT_SPOOL_H */
