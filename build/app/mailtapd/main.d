build/app/mailtapd/main.o: app/mailtapd/main.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 /usr/include/dpdk/rte_eal.h /usr/include/dpdk/rte_compat.h \
 /usr/include/dpdk/rte_per_lcore.h /usr/include/dpdk/rte_uuid.h \
 /usr/include/dpdk/rte_pci_dev_feature_defs.h \
 /usr/include/dpdk/rte_errno.h /usr/include/dpdk/rte_log.h \
 /usr/include/dpdk/rte_common.h /usr/include/dpdk/rte_os.h \
 lib/conf/mt_conf.h lib/base/mt_err.h lib/pipeline/mt_pipeline.h \
 lib/stats/mt_stats.h /usr/include/dpdk/rte_lcore.h \
 /usr/include/dpdk/rte_launch.h /usr/include/dpdk/rte_thread.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
/usr/include/dpdk/rte_eal.h:
/usr/include/dpdk/rte_compat.h:
/usr/include/dpdk/rte_per_lcore.h:
/usr/include/dpdk/rte_uuid.h:
/usr/include/dpdk/rte_pci_dev_feature_defs.h:
/usr/include/dpdk/rte_errno.h:
/usr/include/dpdk/rte_log.h:
/usr/include/dpdk/rte_common.h:
/usr/include/dpdk/rte_os.h:
lib/conf/mt_conf.h:
lib/base/mt_err.h:
lib/pipeline/mt_pipeline.h:
lib/stats/mt_stats.h:
/usr/include/dpdk/rte_lcore.h:
/usr/include/dpdk/rte_launch.h:
/usr/include/dpdk/rte_thread.h:
