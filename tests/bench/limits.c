/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * limits.c - the machine's limits on the bytes of one benchmark capture,
 * for `make bench` (tests/bench/bench.sh).  No EAL.
 *
 *	limits --pcap FILE --rules FILE [--runs R] TRUTHDIR...
 *
 * Prints one line per measurement, the median of R runs (default 3):
 *	pcap_read   s=... pkts=... bytes=...     pcap_next_ex loop over the file
 *	                                          (the capture source's own limit)
 *	memcpy      s=... bytes=...              every TCP payload of the capture
 *	                                          copied packet by packet into one
 *	                                          destination area (DRAM to DRAM)
 *	hs_body     s=... bytes=... matches=...  every mail of the truth dirs
 *	                                          (m*.eml, unstuffed) scanned as one
 *	                                          Hyperscan stream per mail in
 *	                                          1460-byte feeds, with lib/scan on
 *	                                          the rules' body-scope database
 *	hs_attach   ... the same on the attachment-scope database
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "mt_scan.h"

/* TCP payload of an Ethernet frame: offset and length, or -1. */
static int
tcp_payload(const uint8_t *p, uint32_t caplen, uint32_t *off, uint32_t *len)
{
	uint32_t o = 14, end = caplen;
	uint16_t et;

	if (caplen < 14)
		return -1;
	et = (uint16_t)(p[12] << 8 | p[13]);
	while (et == 0x8100 || et == 0x88a8) {
		if (o + 4 > caplen)
			return -1;
		et = (uint16_t)(p[o + 2] << 8 | p[o + 3]);
		o += 4;
	}
	if (et == 0x0800) {
		uint32_t ihl, tot;

		if (o + 20 > caplen || p[o + 9] != 6)
			return -1;
		ihl = (uint32_t)(p[o] & 15) * 4;
		tot = (uint32_t)(p[o + 2] << 8 | p[o + 3]);
		if (o + tot < end)
			end = o + tot;
		o += ihl;
	} else if (et == 0x86dd) {
		uint32_t pl;

		if (o + 40 > caplen || p[o + 6] != 6)
			return -1;
		pl = (uint32_t)(p[o + 4] << 8 | p[o + 5]);
		if (o + 40 + pl < end)
			end = o + 40 + pl;
		o += 40;
	} else {
		return -1;
	}
	if (o + 20 > end)
		return -1;
	o += (uint32_t)(p[o + 12] >> 4) * 4;
	if (o > end)
		return -1;
	*off = o;
	*len = end - o;
	return 0;
}

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + (1u << 20);
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory");
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Frames (one after the other) and per-packet payload slices. */
static struct buf frames;
static struct { uint64_t off; uint32_t len; } *pl;
static size_t npl, capl;

static double
pcap_pass(const char *path, int keep, uint64_t *pkts, uint64_t *bytes)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	double t0 = now();
	pcap_t *pc = pcap_open_offline(path, eb);
	int rc;

	if (!pc)
		die(eb);
	*pkts = *bytes = 0;
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		(*pkts)++;
		*bytes += h->caplen;
		if (keep) {
			uint32_t o, n;

			if (tcp_payload(d, h->caplen, &o, &n) == 0 && n > 0) {
				if (npl == capl) {
					capl = capl ? capl * 2 : 65536;
					pl = realloc(pl, capl * sizeof(*pl));
					if (!pl)
						die("out of memory");
				}
				pl[npl].off = frames.len + o;
				pl[npl].len = n;
				npl++;
			}
			buf_add(&frames, d, h->caplen);
		}
	}
	if (rc != -2)
		die(pcap_geterr(pc));
	pcap_close(pc);
	return now() - t0;
}

static uint64_t nmatch;

static void
on_match(void *ctx, const struct mt_scan_rule *rule, enum mt_scan_scope scope, uint64_t offset)
{
	(void)ctx;
	(void)rule;
	(void)scope;
	(void)offset;
	nmatch++;
}

static void
on_error(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "limits: %s\n", msg);
}

int
main(int argc, char **argv)
{
	bench_prog = "limits";
	const char *pcapf = NULL, *rules = NULL;
	int runs = 3, i, c;
	double t[MAXRUNS];
	uint64_t pkts = 0, bytes = 0, paybytes = 0;
	static const struct option lo[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "rules", required_argument, NULL, 'r' },
		{ "runs", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};

	while ((c = getopt_long(argc, argv, "p:r:n:", lo, NULL)) != -1) {
		if (c == 'p')
			pcapf = optarg;
		else if (c == 'r')
			rules = optarg;
		else if (c == 'n')
			runs = atoi(optarg);
		else
			return 2;
	}
	if (!pcapf || !rules || runs < 1 || runs > MAXRUNS) {
		fprintf(stderr, "usage: limits --pcap FILE --rules FILE [--runs 1..%d] TRUTHDIR...\n",
			MAXRUNS);
		return 2;
	}

	/* libpcap reading the file, nothing else (page cache warm: pass 0). */
	pcap_pass(pcapf, 1, &pkts, &bytes);
	for (i = 0; i < runs; i++)
		t[i] = pcap_pass(pcapf, 0, &pkts, &bytes);
	printf("pcap_read s=%.4f pkts=%lu bytes=%lu\n", median(t, runs), (unsigned long)pkts,
	       (unsigned long)bytes);

	/* memcpy of every TCP payload, packet by packet. */
	{
		uint8_t *dst;
		size_t k;

		for (k = 0; k < npl; k++)
			paybytes += pl[k].len;
		dst = malloc(paybytes + 64);
		if (!dst)
			die("out of memory");
		memset(dst, 0, paybytes + 64); /* fault the pages in first */
		for (i = 0; i < runs; i++) {
			uint8_t *q = dst;
			double t0 = now();

			for (k = 0; k < npl; k++) {
				memcpy(q, frames.p + pl[k].off, pl[k].len);
				q += pl[k].len;
			}
			t[i] = now() - t0;
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		printf("memcpy s=%.4f bytes=%lu pkts=%zu\n", median(t, runs),
		       (unsigned long)paybytes, npl);
		free(dst);
	}
	free(frames.p);
	free(pl);

	/* Hyperscan streaming scan of the mails, through lib/scan. */
	for (i = optind; i < argc; i++)
		load_truth(argv[i]);
	{
		struct mt_scan_params prm = { MT_SCAN_SOCKET_HEAP, on_error, NULL };
		struct mt_scan_db *db;
		struct mt_scan_handle *h;
		struct mt_scan_worker *w;
		struct mt_err err;
		const char *paths[1] = { rules };
		static const struct { enum mt_scan_scope sc; const char *name; } sc[] = {
			{ MT_SCAN_BODY, "hs_body" }, { MT_SCAN_ATTACHMENT, "hs_attach" },
		};
		size_t k, s;
		unsigned j;

		if (mt_scan_db_load(paths, 1, &prm, &db, &err) < 0)
			die(err.msg);
		h = mt_scan_handle_create(db, 1, &err);
		if (!h)
			die(err.msg);
		w = mt_scan_worker_create(h, 0, &err);
		if (!w)
			die(err.msg);
		for (j = 0; j < sizeof(sc) / sizeof(sc[0]); j++) {
			for (i = 0; i < runs; i++) {
				struct mt_scan_db *mdb;
				double t0 = now();

				nmatch = 0;
				for (k = 0; k < nmails; k++) {
					struct mt_scan_stream st;

					mdb = mt_scan_mail_begin(w);
					mt_scan_stream_open(w, mdb, &st, sc[j].sc, on_match, NULL);
					for (s = 0; s < mails[k].len; s += 1460)
						mt_scan_stream_feed(w, &st, mails[k].p + s,
								    mails[k].len - s < 1460 ? mails[k].len - s : 1460);
					mt_scan_stream_close(w, &st);
					mt_scan_mail_end(w, mdb);
				}
				t[i] = now() - t0;
			}
			printf("%s s=%.4f bytes=%lu mails=%zu matches=%lu\n", sc[j].name,
			       median(t, runs), (unsigned long)mailbytes, nmails,
			       (unsigned long)nmatch);
		}
		mt_scan_worker_free(w);
		mt_scan_handle_free(h);
	}
	return 0;
}
