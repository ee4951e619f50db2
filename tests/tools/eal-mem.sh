#!/bin/sh
# eal-mem.sh - print the EAL memory options a test or demo should use.
#
# Reserves 2 MB hugepages when it can (root, fewer than MT_HUGEPAGES
# reserved) and mounts hugetlbfs if absent; then prints "--in-memory"
# (nothing left behind, parallel-safe with a per-run --file-prefix).
# Without hugepages it prints "--no-huge -m MB" (MB from $1, default 1024).
mb=${1:-1024}
want=${MT_HUGEPAGES:-1024}
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ -w "$nr" ] && [ "$(cat "$nr")" -lt "$want" ]; then
	echo "$want" > "$nr" 2>/dev/null || true
fi
if ! grep -q hugetlbfs /proc/mounts 2>/dev/null && [ "$(id -u)" = 0 ]; then
	mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if grep -q hugetlbfs /proc/mounts && [ "${free:-0}" -ge $((mb / 2)) ]; then
	echo "--in-memory"
else
	echo "--no-huge -m $mb"
fi
