build/lib/conf/mt_conf.o: lib/conf/mt_conf.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 /usr/include/dpdk/rte_cfgfile.h /usr/include/dpdk/rte_log.h \
 /usr/include/dpdk/rte_common.h /usr/include/dpdk/rte_os.h \
 lib/base/mt_common.h lib/conf/mt_conf.h lib/base/mt_err.h \
 lib/conf/conf_schema.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
/usr/include/dpdk/rte_cfgfile.h:
/usr/include/dpdk/rte_log.h:
/usr/include/dpdk/rte_common.h:
/usr/include/dpdk/rte_os.h:
lib/base/mt_common.h:
lib/conf/mt_conf.h:
lib/base/mt_err.h:
lib/conf/conf_schema.h:
