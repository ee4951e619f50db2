/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay.c - bench only: mailtapd's pipeline fed from memory instead of
 * net_pcap, so that the figure is the pipeline's and not the file reader's.
 *
 *	replay [EAL options] -- --pcap FILE --spool DIR [--cpu N] [--rate PPS]
 *
 * The capture's frames are read into plain memory first (not timed).  A
 * ring port (rte_eth_from_ring) is the pipeline's only port; a replayer
 * thread pinned to CPU N (default: the last CPU), outside the EAL lcores,
 * copies each frame into a fresh mbuf and enqueues it, in bursts of 32,
 * waiting while the ring is full (it offers as fast as the pipeline takes).
 * The pipeline runs on the EAL lcores exactly as in mailtapd (same library,
 * same default config, roles by lcore count).  Once every frame is enqueued
 * and the ring is empty, mt_pipeline_stop() drains it; the time is from the
 * first enqueue to the end of the drain.  The port is "live" for the
 * pipeline: a full RX->worker ring drops and counts (rx_drop_ring_full),
 * the summary shows it.
 *
 * --rate PPS: offer PPS packets per second instead (bursts of 32 paced by
 * the TSC: burst k leaves at k*32/PPS s after the first), like a link: a
 * frame that finds the port's ring (the "NIC queue", 4096 entries) full is
 * dropped and counted (port_full, the ring port's imissed), and a frame for
 * which the replayer's mbuf pool is empty (mbufs still held by the pipeline)
 * is dropped and counted (src_nombuf, a NIC's rx_nombuf).  The pipeline's
 * own drop counters (rx_drop_ring_full, ...) are in its summary.
 *
 * --config FILE: a mailtap.conf for the pipeline (roles, stage_cycles,
 * rules...); default: the built-in defaults.
 *
 * Prints mailtapd's summary, then
 *	replay s=... pkts=... bytes=... replayer_s=... rate=... offered_pps=...
 *	       port_full=... src_nombuf=... tsc_hz=... late_max_us=... late_1ms=...
 * (--rate: the latest a burst left after its time, and how many left 1 ms
 * or more late: the replayer's own stalls bunch the offered frames)
 * and one line per thread of the process (EAL lcores: rte-worker-N for
 * lcore N, the main lcore included; the replayer) with
 * what the kernel's scheduler says about the run (deltas over the run):
 *	thread name=... cpu_ms=... wait_ms=... vcsw=... ivcsw=...
 * cpu_ms: time on a CPU; wait_ms: time runnable but waiting for a CPU
 * (preempted by other threads or processes: /proc/.../schedstat); vcsw /
 * ivcsw: voluntary (sleeps) and involuntary (preemption) context switches.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "mt_conf.h"
#include "mt_err.h"
#include "mt_pipeline.h"

static uint8_t *frames;
static uint64_t *foff;
static uint32_t *flen;
static size_t nframes, fbytes;
static struct rte_ring *ring;
static struct rte_mempool *pool;
static int cpu = -1;
static volatile int replay_done;
static double t_start, t_replayed;
static double rate;                 /* packets/s offered; 0: as fast as taken */
static uint64_t port_full, src_nombuf;
static uint64_t late_max_tsc, late_1ms; /* paced bursts sent after their time */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
die(const char *m)
{
	fprintf(stderr, "replay: %s\n", m);
	exit(1);
}

/* Scheduler figures of every thread of this process. */
#define MAX_THREADS 64
struct thr {
	int tid;
	char name[32];
	uint64_t run_ns, wait_ns, vcsw, ivcsw;
};

static unsigned
threads_read(struct thr *t)
{
	unsigned n = 0;
	char path[96], line[256];
	FILE *f;
	int tid;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < MAX_THREADS) {
		tid = atoi(e->d_name);
		if (tid <= 0)
			continue;
		memset(&t[n], 0, sizeof(t[n]));
		t[n].tid = tid;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(t[n].name, sizeof(t[n].name), f))
				t[n].name[strcspn(t[n].name, "\n")] = '\0';
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
		if ((f = fopen(path, "r")) != NULL) {
			if (fscanf(f, "%lu %lu", &t[n].run_ns, &t[n].wait_ns) != 2)
				t[n].run_ns = t[n].wait_ns = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
		if ((f = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof(line), f)) {
				sscanf(line, "voluntary_ctxt_switches: %lu", &t[n].vcsw);
				sscanf(line, "nonvoluntary_ctxt_switches: %lu", &t[n].ivcsw);
			}
			fclose(f);
		}
		n++;
	}
	closedir(d);
	return n;
}

static struct thr th_rp0[MAX_THREADS], th_rp1[MAX_THREADS]; /* read by the replayer */
static unsigned n_rp0, n_rp1;

static void
threads_print(const struct thr *a, unsigned na, const struct thr *b, unsigned nb, int rp)
{
	unsigned i, j;

	for (j = 0; j < nb; j++) {
		struct thr z = { 0 };
		const struct thr *o = &z;

		for (i = 0; i < na; i++)
			if (a[i].tid == b[j].tid)
				o = &a[i];
		if (rp != (strcmp(b[j].name, "replayer") == 0))
			continue;
		if (!rp && strncmp(b[j].name, "rte-worker-", 11) != 0 && b[j].tid != getpid())
			continue; /* EAL's service threads (interrupts, telemetry) */
		printf("thread name=%s cpu_ms=%.1f wait_ms=%.1f vcsw=%lu ivcsw=%lu\n",
		       b[j].tid == getpid() ? "rte-worker-0" : b[j].name,
		       (double)(b[j].run_ns - o->run_ns) / 1e6,
		       (double)(b[j].wait_ns - o->wait_ns) / 1e6,
		       (unsigned long)(b[j].vcsw - o->vcsw), (unsigned long)(b[j].ivcsw - o->ivcsw));
	}
}

static void
load(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t cap = 0, fcap = 0;
	pcap_t *pc = pcap_open_offline(path, eb);

	if (!pc)
		die(eb);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (h->caplen > RTE_MBUF_DEFAULT_DATAROOM)
			die("frame larger than one mbuf");
		if (nframes == fcap) {
			fcap = fcap ? fcap * 2 : 1 << 16;
			foff = realloc(foff, fcap * sizeof(*foff));
			flen = realloc(flen, fcap * sizeof(*flen));
			if (!foff || !flen)
				die("out of memory");
		}
		if (fbytes + h->caplen > cap) {
			cap = (fbytes + h->caplen) * 2;
			frames = realloc(frames, cap);
			if (!frames)
				die("out of memory");
		}
		memcpy(frames + fbytes, d, h->caplen);
		foff[nframes] = fbytes;
		flen[nframes] = h->caplen;
		fbytes += h->caplen;
		nframes++;
	}
	pcap_close(pc);
}

static void *
replayer(void *arg)
{
	struct rte_mbuf *m[32];
	size_t i = 0;

	(void)arg;
	pthread_setname_np(pthread_self(), "replayer");
	n_rp0 = threads_read(th_rp0);
	if (cpu >= 0) {
		cpu_set_t cs;

		CPU_ZERO(&cs);
		CPU_SET(cpu, &cs);
		pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
	}
	t_start = now();
	if (rate > 0) {
		uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
		double per = (double)hz / rate; /* TSC cycles per packet */

		while (i < nframes) {
			unsigned n = nframes - i < 32 ? (unsigned)(nframes - i) : 32, k, done;
			uint64_t due = t0 + (uint64_t)((double)i * per);

			/* sleep while the next burst is over 200 us away, so that
			 * a pipeline lcore sharing this CPU (the writer) can run;
			 * a late wake-up only sends the due bursts back to back */
			while (rte_rdtsc() + hz / 5000 < due)
				usleep(100);
			while (rte_rdtsc() < due)
				rte_pause();
			{
				uint64_t late = rte_rdtsc() - due;

				if (late > late_max_tsc)
					late_max_tsc = late;
				late_1ms += late >= hz / 1000;
			}
			if (rte_pktmbuf_alloc_bulk(pool, m, n) != 0) {
				/* no buffer for the burst: a NIC's rx_nombuf */
				src_nombuf += n;
				i += n;
				continue;
			}
			for (k = 0; k < n; k++) {
				char *p = rte_pktmbuf_append(m[k], (uint16_t)flen[i + k]);

				memcpy(p, frames + foff[i + k], flen[i + k]);
			}
			done = rte_ring_sp_enqueue_burst(ring, (void **)m, n, NULL);
			if (done < n) {
				/* queue full: a NIC's imissed */
				port_full += n - done;
				rte_pktmbuf_free_bulk(m + done, n - done);
			}
			i += n;
		}
	}
	while (i < nframes) {
		unsigned n = nframes - i < 32 ? (unsigned)(nframes - i) : 32, k, done = 0;

		while (rte_pktmbuf_alloc_bulk(pool, m, n) != 0)
			sched_yield();
		for (k = 0; k < n; k++) {
			char *p = rte_pktmbuf_append(m[k], (uint16_t)flen[i + k]);

			memcpy(p, frames + foff[i + k], flen[i + k]);
		}
		while (done < n) {
			done += rte_ring_sp_enqueue_burst(ring, (void **)m + done, n - done, NULL);
			if (done < n)
				rte_pause();
		}
		i += n;
	}
	while (rte_ring_count(ring) > 0)
		usleep(100);
	t_replayed = now();
	n_rp1 = threads_read(th_rp1);
	replay_done = 1;
	mt_pipeline_stop();
	return NULL;
}

int
main(int argc, char **argv)
{
	struct mt_conf conf;
	struct mt_err err;
	struct mt_pipeline *p;
	const char *pcapf = NULL, *spool = NULL, *conff = NULL;
	static struct thr th0[MAX_THREADS], th1[MAX_THREADS];
	unsigned n0, n1;
	pthread_t th;
	int n, c, bad, rc;
	double t_end;
	static const struct option lo[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "spool", required_argument, NULL, 's' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};

	n = rte_eal_init(argc, argv);
	if (n < 0)
		die("EAL init failed");
	argc -= n;
	argv += n;
	while ((c = getopt_long(argc, argv, "p:s:c:r:f:", lo, NULL)) != -1) {
		if (c == 'p')
			pcapf = optarg;
		else if (c == 's')
			spool = optarg;
		else if (c == 'c')
			cpu = atoi(optarg);
		else if (c == 'r')
			rate = atof(optarg);
		else if (c == 'f')
			conff = optarg;
		else
			return 2;
	}
	if (!pcapf || !spool)
		die("usage: replay [EAL] -- --pcap FILE --spool DIR [--cpu N] [--rate PPS] "
		    "[--config FILE]");
	if (cpu < 0)
		cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	load(pcapf);

	pool = rte_pktmbuf_pool_create("rp_pkts", 32767, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	ring = rte_ring_create("rp_ring", 4096, (int)rte_socket_id(),
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!pool || !ring)
		die("pool/ring");
	if (rte_eth_from_ring(ring) < 0)
		die("rte_eth_from_ring");

	mt_conf_defaults(&conf);
	if (conff != NULL && mt_conf_load(&conf, conff, &err) != 0) {
		fprintf(stderr, "replay: %s\n", err.msg);
		return 1;
	}
	if (strlen(spool) >= sizeof(conf.spool_dir))
		die("spool path too long");
	strcpy(conf.spool_dir, spool);
	p = mt_pipeline_create(&conf, &err);
	if (!p) {
		fprintf(stderr, "replay: %s\n", err.msg);
		return 1;
	}
	mt_pipeline_print_roles(p, stdout);
	if (pthread_create(&th, NULL, replayer, NULL) != 0)
		die("pthread_create");
	n0 = threads_read(th0);
	rc = mt_pipeline_run(p);
	t_end = now();
	pthread_join(th, NULL);
	n1 = threads_read(th1);
	bad = mt_pipeline_print_summary(p, stdout);
	printf("replay s=%.4f pkts=%zu bytes=%zu replayer_s=%.4f rate=%.0f offered_pps=%.0f "
	       "port_full=%lu src_nombuf=%lu tsc_hz=%lu late_max_us=%lu late_1ms=%lu\n",
	       t_end - t_start, nframes, fbytes,
	       t_replayed - t_start, rate, (double)nframes / (t_replayed - t_start),
	       (unsigned long)port_full, (unsigned long)src_nombuf,
	       (unsigned long)rte_get_tsc_hz(),
	       (unsigned long)(late_max_tsc * 1000000 / rte_get_tsc_hz()), (unsigned long)late_1ms);
	threads_print(th0, n0, th1, n1, 0);
	threads_print(th_rp0, n_rp0, th_rp1, n_rp1, 1);
	mt_pipeline_free(p);
	rte_eal_cleanup();
	return rc != 0 || bad != 0;
}
