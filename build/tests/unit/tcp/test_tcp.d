build/tests/unit/tcp/test_tcp.o: tests/unit/tcp/test_tcp.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 lib/decode/mt_decode.h lib/tcp/mt_tcp.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
lib/decode/mt_decode.h:
lib/tcp/mt_tcp.h:
