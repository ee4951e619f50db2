build/lib/conf/conf_schema.o: lib/conf/conf_schema.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 lib/base/mt_common.h lib/conf/mt_conf.h lib/base/mt_err.h \
 lib/conf/conf_schema.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
lib/base/mt_common.h:
lib/conf/mt_conf.h:
lib/base/mt_err.h:
lib/conf/conf_schema.h:
