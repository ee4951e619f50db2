/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl.c - pipeline commands on DPDK's telemetry socket.
 *
 *	/mailtap/ports      the ids of the ports mailtapd receives from
 *	/mailtap/ports,ID   that port's ethdev counters: ipackets, ibytes,
 *	                    imissed (dropped by the NIC: no free descriptor),
 *	                    ierrors, rx_nombuf (no mbuf to refill the ring)
 *
 * The shape mirrors /mailtap/lcores (DPDK 22.11 telemetry nests only
 * arrays of scalars, so no dict of dicts).  The port ids are copied at
 * registration, so a command arriving after the pipeline is freed only
 * finds closed ports (rte_eth_stats_get fails: -EINVAL).
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "pipeline_priv.h"

static uint16_t ctl_port[PL_MAX_PORTS];
static unsigned ctl_n_ports;

static int
tel_ports(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct rte_eth_stats st;
	unsigned long id;
	unsigned i;
	char *end;

	if (params == NULL || *params == '\0') {
		rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
		for (i = 0; i < ctl_n_ports; i++)
			rte_tel_data_add_array_int(d, ctl_port[i]);
		return 0;
	}
	id = strtoul(params, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	for (i = 0; i < ctl_n_ports && ctl_port[i] != id; i++)
		;
	if (i == ctl_n_ports || rte_eth_stats_get(ctl_port[i], &st) != 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "ipackets", st.ipackets);
	rte_tel_data_add_dict_u64(d, "ibytes", st.ibytes);
	rte_tel_data_add_dict_u64(d, "imissed", st.imissed);
	rte_tel_data_add_dict_u64(d, "ierrors", st.ierrors);
	rte_tel_data_add_dict_u64(d, "rx_nombuf", st.rx_nombuf);
	return 0;
}

int
pl_ctl_register(struct mt_pipeline *p)
{
	unsigned i;

	for (i = 0; i < p->n_ports && i < PL_MAX_PORTS; i++)
		ctl_port[i] = p->ports[i].port_id;
	ctl_n_ports = i;
	pl_ctl_flows_register(p);  /* /mailtap/flows (ctl_flows.c) */
	pl_ctl_servers_register(p); /* /mailtap/servers (ctl_servers.c) */
	return rte_telemetry_register_cmd("/mailtap/ports", tel_ports,
					  "Returns the port ids, or one port's ethdev counters "
					  "(ipackets, ibytes, imissed, ierrors, rx_nombuf). "
					  "Parameters: int port_id");
}
