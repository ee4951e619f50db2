"""Shared helpers for the end-to-end tests: they run the real binaries
(build/bin/mtgen, build/bin/mailtapd) on generated captures through DPDK
virtual devices, each DPDK instance with its own --file-prefix."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "build", "bin")
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))

_mem = None


def eal_mem():
    """--in-memory with hugepages, else --no-huge -m (see eal-mem.sh)."""
    global _mem
    if _mem is None:
        out = subprocess.run([os.path.join(ROOT, "tests", "tools", "eal-mem.sh"), "1024"],
                             check=True, capture_output=True, text=True).stdout
        _mem = out.split()
    return list(_mem)


def lcores_arg(n):
    """EAL lcore option for n lcores on however many CPUs there are."""
    ncpu = os.cpu_count() or 1
    if n <= ncpu:
        return ["-l", "0-%d" % (n - 1)]
    return ["--lcores", ",".join("%d@%d" % (i, min(i, ncpu - 1)) for i in range(n))]


def mtgen(tmp, name, *args):
    pcap = os.path.join(tmp, name + ".pcap")
    truth = os.path.join(tmp, name + ".truth")
    subprocess.run([os.path.join(BIN, "mtgen"), "--quiet", "--out", pcap, "--truth", truth]
                   + [str(a) for a in args], check=True, timeout=300)
    return pcap, truth


class Run:
    def __init__(self, proc, spool):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.spool = spool

    def counter(self, name):
        """Sum of a counter over the per-lcore lines of the summary."""
        return sum(int(v) for v in re.findall(r"\b%s=(\d+)" % re.escape(name), self.out))

    def __str__(self):
        return "rc=%d\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.out, self.err[-4000:])


def mailtapd(tmp, pcaps, lcores=2, config=None, extra_eal=(), extra_app=(), timeout=600):
    """Run mailtapd over capture files until it exits; returns a Run."""
    spool = os.path.join(tmp, "spool-%d" % len(os.listdir(tmp)))
    eal = lcores_arg(lcores) + ["--no-pci", "--file-prefix",
                                "mt-e2e-%d-%d" % (os.getpid(), len(os.listdir(tmp)))]
    eal += eal_mem() + list(extra_eal)
    for i, p in enumerate(pcaps):
        eal += ["--vdev", "net_pcap%d,rx_pcap=%s" % (i, os.path.abspath(p))]
    app = ["--spool", spool]
    if config:
        app += ["--config", config]
    app += list(extra_app)
    proc = subprocess.run([os.path.join(BIN, "mailtapd")] + eal + ["--"] + app,
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc, spool)


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


TEST_CONF = os.path.join(os.path.dirname(__file__), "test.conf")


def telemetry(prefix, cmd, deadline):
    """One command on DPDK's telemetry socket (SOCK_SEQPACKET, JSON);
    returns its value.  The socket answers before mailtapd has registered
    its commands (an unknown command gets null): ask again until deadline."""
    import json
    import socket
    import time
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(path)
            break
        except OSError:
            s.close()
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    with s:
        json.loads(s.recv(16384).decode())  # the greeting
        while True:
            s.send(cmd.encode())
            value = json.loads(s.recv(1 << 20).decode()).get(cmd.split(",")[0])
            if value is not None or time.time() > deadline:
                return value
            time.sleep(0.1)
