build/tests/gen/mtgen.o: tests/gen/mtgen.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
