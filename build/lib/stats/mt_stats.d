build/lib/stats/mt_stats.o: lib/stats/mt_stats.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 /usr/include/dpdk/rte_telemetry.h lib/stats/mt_stats.h \
 /usr/include/dpdk/rte_common.h /usr/include/dpdk/rte_os.h \
 /usr/include/dpdk/rte_lcore.h /usr/include/dpdk/rte_compat.h \
 /usr/include/dpdk/rte_per_lcore.h /usr/include/dpdk/rte_eal.h \
 /usr/include/dpdk/rte_uuid.h \
 /usr/include/dpdk/rte_pci_dev_feature_defs.h \
 /usr/include/dpdk/rte_launch.h /usr/include/dpdk/rte_thread.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
/usr/include/dpdk/rte_telemetry.h:
lib/stats/mt_stats.h:
/usr/include/dpdk/rte_common.h:
/usr/include/dpdk/rte_os.h:
/usr/include/dpdk/rte_lcore.h:
/usr/include/dpdk/rte_compat.h:
/usr/include/dpdk/rte_per_lcore.h:
/usr/include/dpdk/rte_eal.h:
/usr/include/dpdk/rte_uuid.h:
/usr/include/dpdk/rte_pci_dev_feature_defs.h:
/usr/include/dpdk/rte_launch.h:
/usr/include/dpdk/rte_thread.h:
