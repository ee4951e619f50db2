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
 * Timers: every slot is on one of MT_FLOW_NCLASS lists, one per timeout
 * class (handshake only, established, closing), kept in order of last
 * activity: mt_flow_table_touch() moves a slot to the tail of its class.
 * With one timeout per class, the head of each list is the next to expire,
 * so expiry and "evict the oldest idle" are O(1) per flow - a timing wheel
 * with one slot per class, driven by the TSC, embedded in the slots (no
 * allocation, no rte_timer per flow).
 *
 * LIMITS
 *	max_flows slots; mt_flow_table_add fails with -ENOSPC when full; the
 *	caller then evicts (mt_flow_table_evict) and retries.  Eviction takes
 *	the oldest handshake-only flow first (a SYN flood evicts itself, not
 *	the sessions carrying mail), then the oldest closing one, then the
 *	oldest established one.
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

/* Timeout classes, in eviction order. */
enum mt_flow_class {
	MT_FLOW_HANDSHAKE = 0, /* no payload seen yet */
	MT_FLOW_CLOSING,       /* FIN or RST seen */
	MT_FLOW_ESTABLISHED,
	MT_FLOW_NCLASS
};

/* Every slot begins with this header; the caller's state follows. */
struct mt_flow_slot {
	struct mt_flow_key key;
	uint32_t hash;
	uint8_t in_use;
	uint8_t cls;           /* enum mt_flow_class */
	uint16_t pad;
	uint32_t prev, next;   /* class list links (slot indices) */
	uint64_t last_tsc;
	uint32_t aprev, anext; /* age list links: slots in order of creation */
	uint64_t first_tsc;    /* now of the first mt_flow_table_touch() */
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

/* Record activity at now and (re)file the slot under class cls. */
void mt_flow_table_touch(struct mt_flow_table *t, struct mt_flow_slot *s,
			 enum mt_flow_class cls, uint64_t now);

/*
 * Call expire() for up to budget slots whose class timeout has passed
 * (last_tsc + timeout_tsc[cls] <= now), oldest first.  expire() must
 * delete the slot.  Returns the number expired.
 */
unsigned mt_flow_table_expire(struct mt_flow_table *t, uint64_t now,
			      const uint64_t timeout_tsc[MT_FLOW_NCLASS], uint32_t budget,
			      mt_flow_visit_t expire, void *arg);

/* Call evict() on the slot eviction takes (see LIMITS); it must delete
 * it.  Returns 0, or -ENOENT if the table is empty. */
int mt_flow_table_evict(struct mt_flow_table *t, mt_flow_visit_t evict, void *arg);

/* Call fn for every slot in use (fn may delete the slot). */
void mt_flow_table_foreach(struct mt_flow_table *t, mt_flow_visit_t fn, void *arg);

/*
 * Gauges: what an operator asks about a table (telemetry /mailtap/flows).
 * O(1): the counts are kept on add/del/touch, the ages come from list
 * heads.  A tsc field is 0 when no flow is there.
 */
struct mt_flow_table_gauges {
	uint32_t capacity;                     /* max_flows */
	uint32_t active;                       /* slots in use */
	uint32_t by_class[MT_FLOW_NCLASS];     /* ... per timeout class */
	uint32_t high_water;                   /* most slots in use at once */
	uint64_t oldest_first_tsc;             /* first activity of the oldest flow */
	uint64_t idlest_tsc[MT_FLOW_NCLASS];   /* last activity of each class's
						* least recently active flow: the
						* next to expire */
};

void mt_flow_table_gauges(const struct mt_flow_table *t, struct mt_flow_table_gauges *g);

/* Where a walk stopped: the next slot to visit (idx MT_FLOW_CURSOR_NONE:
 * none), and what identifies the flow in it then. */
#define MT_FLOW_CURSOR_NONE UINT32_MAX
struct mt_flow_cursor {
	uint32_t idx;
	uint32_t hash;
	uint64_t first_tsc;
};

/*
 * Call fn (which must not delete) for up to n slots in use, oldest first
 * (creation order): one page of a listing.  It starts where cursor c left
 * off if c is given and the flow it names is still in its slot (then skip
 * is ignored: a page costs n slot visits), else after skipping the skip
 * oldest (skip + n visits).  With c, *c is set to where it stopped.
 * Returns the number of slots fn saw.
 */
uint32_t mt_flow_table_walk(struct mt_flow_table *t, struct mt_flow_cursor *c, uint32_t skip,
			    uint32_t n, mt_flow_visit_t fn, void *arg);

#endif /* MT_FLOW_H */
