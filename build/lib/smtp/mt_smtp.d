build/lib/smtp/mt_smtp.o: lib/smtp/mt_smtp.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 lib/smtp/mt_smtp.h lib/base/mt_common.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
lib/smtp/mt_smtp.h:
lib/base/mt_common.h:
