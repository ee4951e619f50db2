build/lib/flow/mt_flow.o: lib/flow/mt_flow.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 /usr/include/dpdk/rte_errno.h /usr/include/dpdk/rte_per_lcore.h \
 /usr/include/dpdk/rte_hash.h /usr/include/dpdk/rte_rcu_qsbr.h \
 /usr/include/dpdk/rte_compat.h /usr/include/dpdk/rte_common.h \
 /usr/include/dpdk/rte_os.h /usr/include/dpdk/rte_debug.h \
 /usr/include/dpdk/rte_log.h /usr/include/dpdk/rte_branch_prediction.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_atomic.h \
 /usr/include/dpdk/generic/rte_atomic.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_atomic_64.h \
 /usr/include/dpdk/rte_ring.h /usr/include/dpdk/rte_ring_core.h \
 /usr/include/dpdk/rte_memory.h /usr/include/dpdk/rte_bitops.h \
 /usr/include/dpdk/rte_fbarray.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_rwlock.h \
 /usr/include/dpdk/generic/rte_rwlock.h \
 /usr/include/dpdk/rte_branch_prediction.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_pause.h \
 /usr/include/dpdk/generic/rte_pause.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_spinlock.h \
 /usr/include/dpdk/generic/rte_spinlock.h /usr/include/dpdk/rte_lcore.h \
 /usr/include/dpdk/rte_eal.h /usr/include/dpdk/rte_uuid.h \
 /usr/include/dpdk/rte_pci_dev_feature_defs.h \
 /usr/include/dpdk/rte_launch.h /usr/include/dpdk/rte_thread.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_rtm.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cpuflags.h \
 /usr/include/dpdk/generic/rte_cpuflags.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_pause.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cycles.h \
 /usr/include/dpdk/generic/rte_cycles.h /usr/include/dpdk/rte_memzone.h \
 /usr/include/dpdk/rte_ring_elem.h /usr/include/dpdk/rte_ring_elem_pvt.h \
 /usr/include/dpdk/rte_ring_generic_pvt.h \
 /usr/include/dpdk/rte_ring_hts.h \
 /usr/include/dpdk/rte_ring_hts_elem_pvt.h \
 /usr/include/dpdk/rte_ring_rts.h \
 /usr/include/dpdk/rte_ring_rts_elem_pvt.h \
 /usr/include/dpdk/rte_ring_peek.h \
 /usr/include/dpdk/rte_ring_peek_elem_pvt.h \
 /usr/include/dpdk/rte_ring_peek_zc.h /usr/include/dpdk/rte_hash_crc.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cpuflags.h \
 /usr/include/dpdk/rte_log.h /usr/include/dpdk/rte_crc_sw.h \
 /usr/include/dpdk/rte_crc_x86.h /usr/include/dpdk/rte_malloc.h \
 lib/base/mt_common.h lib/flow/mt_flow.h lib/decode/mt_decode.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
/usr/include/dpdk/rte_errno.h:
/usr/include/dpdk/rte_per_lcore.h:
/usr/include/dpdk/rte_hash.h:
/usr/include/dpdk/rte_rcu_qsbr.h:
/usr/include/dpdk/rte_compat.h:
/usr/include/dpdk/rte_common.h:
/usr/include/dpdk/rte_os.h:
/usr/include/dpdk/rte_debug.h:
/usr/include/dpdk/rte_log.h:
/usr/include/dpdk/rte_branch_prediction.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_atomic.h:
/usr/include/dpdk/generic/rte_atomic.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_atomic_64.h:
/usr/include/dpdk/rte_ring.h:
/usr/include/dpdk/rte_ring_core.h:
/usr/include/dpdk/rte_memory.h:
/usr/include/dpdk/rte_bitops.h:
/usr/include/dpdk/rte_fbarray.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_rwlock.h:
/usr/include/dpdk/generic/rte_rwlock.h:
/usr/include/dpdk/rte_branch_prediction.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_pause.h:
/usr/include/dpdk/generic/rte_pause.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_spinlock.h:
/usr/include/dpdk/generic/rte_spinlock.h:
/usr/include/dpdk/rte_lcore.h:
/usr/include/dpdk/rte_eal.h:
/usr/include/dpdk/rte_uuid.h:
/usr/include/dpdk/rte_pci_dev_feature_defs.h:
/usr/include/dpdk/rte_launch.h:
/usr/include/dpdk/rte_thread.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_rtm.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cpuflags.h:
/usr/include/dpdk/generic/rte_cpuflags.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_pause.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cycles.h:
/usr/include/dpdk/generic/rte_cycles.h:
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
/usr/include/dpdk/rte_hash_crc.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_cpuflags.h:
/usr/include/dpdk/rte_log.h:
/usr/include/dpdk/rte_crc_sw.h:
/usr/include/dpdk/rte_crc_x86.h:
/usr/include/dpdk/rte_malloc.h:
lib/base/mt_common.h:
lib/flow/mt_flow.h:
lib/decode/mt_decode.h:
