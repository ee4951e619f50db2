build/tests/unit/flow/test_flow.o: tests/unit/flow/test_flow.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 lib/base/mt_common.h lib/flow/mt_flow.h lib/decode/mt_decode.h \
 tests/unit/fixtures/mt_test_eal.h /usr/include/dpdk/rte_eal.h \
 /usr/include/dpdk/rte_compat.h /usr/include/dpdk/rte_per_lcore.h \
 /usr/include/dpdk/rte_uuid.h \
 /usr/include/dpdk/rte_pci_dev_feature_defs.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
lib/base/mt_common.h:
lib/flow/mt_flow.h:
lib/decode/mt_decode.h:
tests/unit/fixtures/mt_test_eal.h:
/usr/include/dpdk/rte_eal.h:
/usr/include/dpdk/rte_compat.h:
/usr/include/dpdk/rte_per_lcore.h:
/usr/include/dpdk/rte_uuid.h:
/usr/include/dpdk/rte_pci_dev_feature_defs.h:
