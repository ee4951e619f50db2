/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_schema.h - private to lib/conf: the one table that drives parsing,
 * defaults, range checks and the printed documentation of mailtap.conf.
 *
 * Each option names its section and key, its type, its default written
 * as it would appear in the file (mt_conf_defaults() parses it, so the
 * default exists once), its range, where it lives in struct mt_conf and
 * one paragraph of help.
 */
#ifndef MT_CONF_SCHEMA_H
#define MT_CONF_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

enum mt_conf_type {
	MT_CONF_T_UINT,       /* decimal, min..max */
	MT_CONF_T_SIZE,       /* decimal bytes with K/M/G suffix, min..max */
	MT_CONF_T_BOOL,       /* yes/no true/false on/off 1/0 -> int 1/0 */
	MT_CONF_T_PATH,       /* non-empty string, fits the char[] field */
	MT_CONF_T_LCORE,      /* one lcore id min..max, or "auto" -> -1 */
	MT_CONF_T_LCORE_LIST, /* "0,2-4", ids min..max; "auto"/empty -> none */
	MT_CONF_T_PORT_LIST,  /* "25,587", ports min..max, at least one */
	MT_CONF_T_LOG_LEVEL,  /* emerg..debug or 1..8 (RTE_LOG_*) */
	MT_CONF_T_CHOICE,     /* one word of choices[] -> int index */
	MT_CONF_T_PREFIX_LIST,/* "192.0.2.25, 2001:db8::/32" -> struct
			       * mt_conf_prefix[]; empty allowed */
};

#define MT_CONF_F_POW2 0x1u  /* MT_CONF_T_UINT: must be a power of 2 */
#define MT_CONF_F_EMPTY 0x2u /* MT_CONF_T_PATH: empty means none */

struct mt_conf_opt {
	const char *section;
	const char *key;
	enum mt_conf_type type;
	unsigned flags;       /* MT_CONF_F_* */
	const char *def;      /* default, as written in the file */
	uint64_t min;         /* lists: smallest element */
	uint64_t max;         /* lists: largest element */
	size_t offset;        /* of the field in struct mt_conf */
	size_t size;          /* of the field (for lists: of the array) */
	size_t n_offset;      /* lists: offset of the unsigned count */
	const char *const *choices; /* MT_CONF_T_CHOICE: NULL-terminated */
	const char *help;
};

struct mt_conf_section {
	const char *name;
	const char *help;
};

/* In file order; options of a section are contiguous. */
extern const struct mt_conf_section mt_conf_sections[];
extern const unsigned mt_conf_n_sections;
extern const struct mt_conf_opt mt_conf_opts[];
extern const unsigned mt_conf_n_opts;

#endif /* MT_CONF_SCHEMA_H */
