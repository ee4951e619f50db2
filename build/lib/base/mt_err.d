build/lib/base/mt_err.o: lib/base/mt_err.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 lib/base/mt_err.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
lib/base/mt_err.h:
