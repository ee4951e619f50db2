/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_flow.h - per-worker table of TCP connections.
 *
 * A connection is keyed by its oriented 4-tuple: server endpoint first,
 * client endpoint second, so both directions of one connection produce the
 * same key and the same hash (the RX lcore computes the hash once; the
 * worker reuses it for its lookup).
 *
 * The table is an rte_hash whose key positions index a preallocated array
 * of fixed-size slots: no allocation after creation.  One table belongs to
 * one worker lcore; it is not thread-safe.
 *
 * Idle expiry is a clock hand: mt_flow_table_sweep() visits a bounded
 * number of slots per call and reports those idle for longer than the
 * timeout.
 *
 * LIMITS
 *	max_flows slots; mt_flow_table_add fails with -ENOSPC when full (the
 *	caller counts it).
 */
#ifndef MT_FLOW_H
#define MT_FLOW_H

#include <stdint.h>

#include "mt_decode.h"

struct mt_flow_key {
	uint8_t srv[16];
	uint8_t cli[16];
	uint16_t srv_port; /* host order */
	uint16_t cli_port;
	uint8_t family;
	uint8_t pad[3];    /* always zero: hashed and compared */
};

/* Build the oriented key of a decoded packet.  dir says which side is the
 * server (MT_DIR_C2S: the destination is the server). */
void mt_flow_key_from_pkt(struct mt_flow_key *k, const struct mt_pkt *p, int dir);

/* Symmetric flow hash (CRC32C of the oriented key). */
uint32_t mt_flow_key_hash(const struct mt_flow_key *k);

/* Format "cli:port > srv:port" into buf; returns buf. */
char *mt_flow_key_str(const struct mt_flow_key *k, char *buf, size_t size);
/* Format one side's address (server if srv != 0). */
void mt_flow_key_addr_str(const struct mt_flow_key *k, int srv, char *buf, size_t size);

struct mt_flow_table;

/* Every slot begins with this header; the caller's state follows. */
struct mt_flow_slot {
	struct mt_flow_key key;
	uint32_t hash;
	uint32_t in_use;
	uint64_t last_tsc;
};

struct mt_flow_table_params {
	const char *name;       /* unique per process */
	uint32_t max_flows;
	uint32_t slot_size;     /* >= sizeof(struct mt_flow_slot) */
	int socket_id;
};

/* NULL with rte_errno set on failure. */
struct mt_flow_table *mt_flow_table_create(const struct mt_flow_table_params *prm);
void mt_flow_table_free(struct mt_flow_table *t);

/* Slot of key, or NULL. */
struct mt_flow_slot *mt_flow_table_lookup(struct mt_flow_table *t,
					  const struct mt_flow_key *k, uint32_t hash);
/* Insert key; *slot gets a zeroed slot with key and hash set.  0, or
 * -ENOSPC when full, -EEXIST if present. */
int mt_flow_table_add(struct mt_flow_table *t, const struct mt_flow_key *k,
		      uint32_t hash, struct mt_flow_slot **slot);
/* Remove a slot returned by lookup/add. */
void mt_flow_table_del(struct mt_flow_table *t, struct mt_flow_slot *s);

uint32_t mt_flow_table_count(const struct mt_flow_table *t);

typedef void (*mt_flow_visit_t)(struct mt_flow_slot *s, void *arg);

/* Visit up to budget slots from the clock hand; call expire() for each in
 * use whose last_tsc + timeout_tsc <= now.  expire() must delete it. */
void mt_flow_table_sweep(struct mt_flow_table *t, uint32_t budget, uint64_t now,
			 uint64_t timeout_tsc, mt_flow_visit_t expire, void *arg);

/* Call fn for every slot in use (fn may delete the slot). */
void mt_flow_table_foreach(struct mt_flow_table *t, mt_flow_visit_t fn, void *arg);

#endif /* MT_FLOW_H */
