build/lib/pipeline/mt_pipeline.o: lib/pipeline/mt_pipeline.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cycles.h \
 /usr/include/dpdk/generic/rte_cycles.h /usr/include/dpdk/rte_debug.h \
 /usr/include/dpdk/rte_log.h /usr/include/dpdk/rte_common.h \
 /usr/include/dpdk/rte_os.h /usr/include/dpdk/rte_branch_prediction.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_atomic.h \
 /usr/include/dpdk/generic/rte_atomic.h /usr/include/dpdk/rte_compat.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_atomic_64.h \
 /usr/include/dpdk/rte_errno.h /usr/include/dpdk/rte_per_lcore.h \
 /usr/include/dpdk/rte_ethdev.h /usr/include/dpdk/rte_cman.h \
 /usr/include/dpdk/rte_bitops.h /usr/include/dpdk/rte_log.h \
 /usr/include/dpdk/rte_interrupts.h /usr/include/dpdk/rte_epoll.h \
 /usr/include/dpdk/rte_dev.h /usr/include/dpdk/rte_devargs.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_power_intrinsics.h \
 /usr/include/dpdk/generic/rte_power_intrinsics.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_spinlock.h \
 /usr/include/dpdk/generic/rte_spinlock.h /usr/include/dpdk/rte_lcore.h \
 /usr/include/dpdk/rte_eal.h /usr/include/dpdk/rte_uuid.h \
 /usr/include/dpdk/rte_pci_dev_feature_defs.h \
 /usr/include/dpdk/rte_launch.h /usr/include/dpdk/rte_thread.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_pause.h \
 /usr/include/dpdk/generic/rte_pause.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_rtm.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cpuflags.h \
 /usr/include/dpdk/generic/rte_cpuflags.h \
 /usr/include/dpdk/rte_branch_prediction.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_pause.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cycles.h \
 /usr/include/dpdk/rte_ethdev_trace_fp.h \
 /usr/include/dpdk/rte_trace_point.h /usr/include/dpdk/rte_string_fns.h \
 /usr/include/dpdk/rte_dev_info.h /usr/include/dpdk/rte_eth_ctrl.h \
 /usr/include/dpdk/rte_ether.h /usr/include/dpdk/rte_random.h \
 /usr/include/dpdk/rte_mbuf.h /usr/include/dpdk/rte_mempool.h \
 /usr/include/dpdk/rte_ring.h /usr/include/dpdk/rte_ring_core.h \
 /usr/include/dpdk/rte_memory.h /usr/include/dpdk/rte_fbarray.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_rwlock.h \
 /usr/include/dpdk/generic/rte_rwlock.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_spinlock.h \
 /usr/include/dpdk/rte_memzone.h /usr/include/dpdk/rte_ring_elem.h \
 /usr/include/dpdk/rte_ring_elem_pvt.h \
 /usr/include/dpdk/rte_ring_generic_pvt.h \
 /usr/include/dpdk/rte_ring_hts.h \
 /usr/include/dpdk/rte_ring_hts_elem_pvt.h \
 /usr/include/dpdk/rte_ring_rts.h \
 /usr/include/dpdk/rte_ring_rts_elem_pvt.h \
 /usr/include/dpdk/rte_ring_peek.h \
 /usr/include/dpdk/rte_ring_peek_elem_pvt.h \
 /usr/include/dpdk/rte_ring_peek_zc.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_memcpy.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_vect.h \
 /usr/include/dpdk/generic/rte_vect.h \
 /usr/include/dpdk/rte_mempool_trace_fp.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_prefetch.h \
 /usr/include/dpdk/generic/rte_prefetch.h \
 /usr/include/dpdk/rte_mbuf_ptype.h /usr/include/dpdk/rte_mbuf_core.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_byteorder.h \
 /usr/include/dpdk/generic/rte_byteorder.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_byteorder_64.h \
 /usr/include/dpdk/rte_flow.h /usr/include/dpdk/rte_icmp.h \
 /usr/include/dpdk/rte_ip.h /usr/include/dpdk/rte_sctp.h \
 /usr/include/dpdk/rte_tcp.h /usr/include/dpdk/rte_udp.h \
 /usr/include/dpdk/rte_vxlan.h /usr/include/dpdk/rte_esp.h \
 /usr/include/dpdk/rte_higig.h /usr/include/dpdk/rte_ecpri.h \
 /usr/include/dpdk/rte_mbuf_dyn.h /usr/include/dpdk/rte_meter.h \
 /usr/include/dpdk/rte_gtp.h /usr/include/dpdk/rte_l2tpv2.h \
 /usr/include/dpdk/rte_ppp.h /usr/include/dpdk/rte_gre.h \
 /usr/include/dpdk/rte_macsec.h /usr/include/dpdk/rte_ethdev.h \
 /usr/include/dpdk/rte_ethdev_core.h /usr/include/dpdk/rte_malloc.h \
 lib/pipeline/mt_pipeline.h lib/conf/mt_conf.h lib/base/mt_err.h \
 lib/pipeline/pipeline_priv.h lib/base/mt_common.h lib/flow/mt_flow.h \
 lib/decode/mt_decode.h lib/session/mt_session.h lib/mail/mt_mail.h \
 lib/stats/mt_stats.h lib/spool/mt_spool.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cycles.h:
/usr/include/dpdk/generic/rte_cycles.h:
/usr/include/dpdk/rte_debug.h:
/usr/include/dpdk/rte_log.h:
/usr/include/dpdk/rte_common.h:
/usr/include/dpdk/rte_os.h:
/usr/include/dpdk/rte_branch_prediction.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_atomic.h:
/usr/include/dpdk/generic/rte_atomic.h:
/usr/include/dpdk/rte_compat.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_atomic_64.h:
/usr/include/dpdk/rte_errno.h:
/usr/include/dpdk/rte_per_lcore.h:
/usr/include/dpdk/rte_ethdev.h:
/usr/include/dpdk/rte_cman.h:
/usr/include/dpdk/rte_bitops.h:
/usr/include/dpdk/rte_log.h:
/usr/include/dpdk/rte_interrupts.h:
/usr/include/dpdk/rte_epoll.h:
/usr/include/dpdk/rte_dev.h:
/usr/include/dpdk/rte_devargs.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_power_intrinsics.h:
/usr/include/dpdk/generic/rte_power_intrinsics.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_spinlock.h:
/usr/include/dpdk/generic/rte_spinlock.h:
/usr/include/dpdk/rte_lcore.h:
/usr/include/dpdk/rte_eal.h:
/usr/include/dpdk/rte_uuid.h:
/usr/include/dpdk/rte_pci_dev_feature_defs.h:
/usr/include/dpdk/rte_launch.h:
/usr/include/dpdk/rte_thread.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_pause.h:
/usr/include/dpdk/generic/rte_pause.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_rtm.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cpuflags.h:
/usr/include/dpdk/generic/rte_cpuflags.h:
/usr/include/dpdk/rte_branch_prediction.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_pause.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cycles.h:
/usr/include/dpdk/rte_ethdev_trace_fp.h:
/usr/include/dpdk/rte_trace_point.h:
/usr/include/dpdk/rte_string_fns.h:
/usr/include/dpdk/rte_dev_info.h:
/usr/include/dpdk/rte_eth_ctrl.h:
/usr/include/dpdk/rte_ether.h:
/usr/include/dpdk/rte_random.h:
/usr/include/dpdk/rte_mbuf.h:
/usr/include/dpdk/rte_mempool.h:
/usr/include/dpdk/rte_ring.h:
/usr/include/dpdk/rte_ring_core.h:
/usr/include/dpdk/rte_memory.h:
/usr/include/dpdk/rte_fbarray.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_rwlock.h:
/usr/include/dpdk/generic/rte_rwlock.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_spinlock.h:
/usr/include/dpdk/rte_memzone.h:
/usr/include/dpdk/rte_ring_elem.h:
/usr/include/dpdk/rte_ring_elem_pvt.h:
/usr/include/dpdk/rte_ring_generic_pvt.h:
/usr/include/dpdk/rte_ring_hts.h:
/usr/include/dpdk/rte_ring_hts_elem_pvt.h:
/usr/include/dpdk/rte_ring_rts.h:
/usr/include/dpdk/rte_ring_rts_elem_pvt.h:
/usr/include/dpdk/rte_ring_peek.h:
/usr/include/dpdk/rte_ring_peek_elem_pvt.h:
/usr/include/dpdk/rte_ring_peek_zc.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_memcpy.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_vect.h:
/usr/include/dpdk/generic/rte_vect.h:
/usr/include/dpdk/rte_mempool_trace_fp.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_prefetch.h:
/usr/include/dpdk/generic/rte_prefetch.h:
/usr/include/dpdk/rte_mbuf_ptype.h:
/usr/include/dpdk/rte_mbuf_core.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_byteorder.h:
/usr/include/dpdk/generic/rte_byteorder.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_byteorder_64.h:
/usr/include/dpdk/rte_flow.h:
/usr/include/dpdk/rte_icmp.h:
/usr/include/dpdk/rte_ip.h:
/usr/include/dpdk/rte_sctp.h:
/usr/include/dpdk/rte_tcp.h:
/usr/include/dpdk/rte_udp.h:
/usr/include/dpdk/rte_vxlan.h:
/usr/include/dpdk/rte_esp.h:
/usr/include/dpdk/rte_higig.h:
/usr/include/dpdk/rte_ecpri.h:
/usr/include/dpdk/rte_mbuf_dyn.h:
/usr/include/dpdk/rte_meter.h:
/usr/include/dpdk/rte_gtp.h:
/usr/include/dpdk/rte_l2tpv2.h:
/usr/include/dpdk/rte_ppp.h:
/usr/include/dpdk/rte_gre.h:
/usr/include/dpdk/rte_macsec.h:
/usr/include/dpdk/rte_ethdev.h:
/usr/include/dpdk/rte_ethdev_core.h:
/usr/include/dpdk/rte_malloc.h:
lib/pipeline/mt_pipeline.h:
lib/conf/mt_conf.h:
lib/base/mt_err.h:
lib/pipeline/pipeline_priv.h:
lib/base/mt_common.h:
lib/flow/mt_flow.h:
lib/decode/mt_decode.h:
lib/session/mt_session.h:
lib/mail/mt_mail.h:
lib/stats/mt_stats.h:
lib/spool/mt_spool.h:
