/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup, and the end of a capture file.
 *
 * net_pcap gives no end-of-file signal: at EOF rx_burst returns 0 forever
 * and the link stays up.  So before starting, each net_pcap port with an
 * rx_pcap file has its packets counted with libpcap; the port is at its end
 * once ipackets + rx_nombuf + ierrors (every packet the PMD took from the
 * file, delivered or not) reaches that count.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_mbuf_dyn.h>

#include "pipeline_priv.h"

#define RX_DESC 1024
#define STALL_S 30

static int
count_pcap(const char *file, uint64_t *n, struct mt_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc;
	int rc;

	pc = pcap_open_offline(file, ebuf);
	if (pc == NULL)
		return mt_err_set(err, EINVAL, "capture %s: %s", file, ebuf);
	*n = 0;
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1)
		(*n)++;
	if (rc == PCAP_ERROR)
		/* A damaged tail: net_pcap stops at the same place. */
		PL_LOG(WARNING, "capture %s: read error after %" PRIu64 " packets: %s", file,
		       *n, pcap_geterr(pc));
	pcap_close(pc);
	return 0;
}

static int
kv_save(const char *key __rte_unused, const char *value, void *opaque)
{
	struct pl_port *pp = opaque;

	if (pp->file[0] != '\0')
		return -1; /* a second rx_pcap */
	snprintf(pp->file, sizeof(pp->file), "%s", value);
	return 0;
}

static int
port_probe_capture(struct pl_port *pp, const struct rte_eth_dev_info *info, struct mt_err *err)
{
	const struct rte_devargs *da = rte_dev_devargs(info->device);
	struct rte_kvargs *kv;
	int rc;

	if (strcmp(info->driver_name, "net_pcap") != 0 || da == NULL || da->args == NULL)
		return 0;
	kv = rte_kvargs_parse(da->args, NULL);
	if (kv == NULL)
		return 0;
	rc = rte_kvargs_process(kv, "rx_pcap", kv_save, pp);
	rte_kvargs_free(kv);
	if (rc != 0)
		return mt_err_set(err, EINVAL,
				  "port %s: more than one rx_pcap file; give each file "
				  "its own --vdev net_pcapN", pp->name);
	if (pp->file[0] == '\0')
		return 0;
	rc = count_pcap(pp->file, &pp->expected, err);
	if (rc != 0)
		return rc;
	pp->offline = 1;
	return 0;
}

int
pl_ports_setup(struct mt_pipeline *p, struct mt_err *err)
{
	struct rte_eth_conf pconf;
	struct rte_eth_dev_info info;
	struct pl_port *pp;
	uint16_t pid;
	int rc, sock, live = 0;

	RTE_ETH_FOREACH_DEV(pid) {
		if (p->n_ports == PL_MAX_PORTS)
			return mt_err_set(err, E2BIG, "more than %d ports", PL_MAX_PORTS);
		pp = &p->ports[p->n_ports];
		memset(pp, 0, sizeof(*pp));
		pp->port_id = pid;
		rc = rte_eth_dev_info_get(pid, &info);
		if (rc != 0)
			return mt_err_set(err, -rc, "port %u: no device info", pid);
		rte_eth_dev_get_name_by_port(pid, pp->name);
		rc = port_probe_capture(pp, &info, err);
		if (rc != 0)
			return rc;
		live += !pp->offline;

		sock = rte_eth_dev_socket_id(pid);
		if (sock >= 0 && sock != (int)rte_socket_id())
			PL_LOG(WARNING, "port %s is on NUMA socket %d, main lcore on %u",
			       pp->name, sock, rte_socket_id());
		memset(&pconf, 0, sizeof(pconf));
		/* net_pcap stamps each packet with its capture time (in the
		 * standard dynamic field, without advertising the offload);
		 * mails read offline carry that time.  A live NIC's clock is
		 * not the epoch: live mails get the wall clock. */
		if (pp->offline && mt_ts_offset < 0) {
			int off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
			int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);

			if (off >= 0 && bit >= 0) {
				mt_ts_offset = off;
				mt_ts_flag = UINT64_C(1) << bit;
			}
		}
		rc = rte_eth_dev_configure(pid, 1, 1, &pconf);
		if (rc != 0)
			return mt_err_set(err, -rc, "port %s: configure: %s", pp->name,
					  rte_strerror(-rc));
		rc = rte_eth_rx_queue_setup(pid, 0, RX_DESC, (unsigned)SOCKET_ID_ANY, NULL,
					    p->pkt_pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, 0, 64, (unsigned)SOCKET_ID_ANY, NULL);
		if (rc != 0)
			return mt_err_set(err, -rc, "port %s: queue setup: %s", pp->name,
					  rte_strerror(-rc));
		p->n_ports++;
	}
	if (p->n_ports == 0)
		return mt_err_set(err, ENODEV,
				  "no ports: bind a NIC to vfio-pci, or give a virtual device, "
				  "e.g. --vdev net_pcap0,rx_pcap=/path/to/file.pcap");
	p->offline = live == 0;
	return 0;
}

int
pl_ports_start(struct mt_pipeline *p, struct mt_err *err)
{
	unsigned i;
	int rc;

	for (i = 0; i < p->n_ports; i++) {
		rc = rte_eth_dev_start(p->ports[i].port_id);
		if (rc != 0)
			return mt_err_set(err, -rc, "port %s: start: %s", p->ports[i].name,
					  rte_strerror(-rc));
		/* Virtual devices may not support it; a mirror port needs it. */
		rte_eth_promiscuous_enable(p->ports[i].port_id);
		p->ports[i].stall_tsc = rte_get_tsc_cycles();
	}
	return 0;
}

void
pl_ports_close(struct mt_pipeline *p)
{
	unsigned i;

	for (i = 0; i < p->n_ports; i++) {
		rte_eth_dev_stop(p->ports[i].port_id);
		rte_eth_dev_close(p->ports[i].port_id);
	}
}

int
pl_port_eof(struct pl_port *pp)
{
	struct rte_eth_stats s;
	uint64_t seen, now;

	if (!pp->offline || rte_eth_stats_get(pp->port_id, &s) != 0)
		return 0;
	seen = s.ipackets + s.rx_nombuf + s.ierrors;
	if (seen >= pp->expected)
		return 1;
	/* A safety net, not the mechanism: warn if the file stops moving. */
	now = rte_get_tsc_cycles();
	if (seen != pp->last_seen) {
		pp->last_seen = seen;
		pp->stall_tsc = now;
	} else if (now - pp->stall_tsc > STALL_S * rte_get_tsc_hz()) {
		PL_LOG(WARNING, "port %s: capture stalled at %" PRIu64 " of %" PRIu64
		       " packets for %ds; ending it", pp->name, seen, pp->expected, STALL_S);
		return 1;
	}
	return 0;
}
