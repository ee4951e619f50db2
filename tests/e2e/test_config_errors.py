"""Configuration errors mailtapd finds at start, each with its message: on
the command line, and the combinations of the config with the EAL's lcores,
ports and memory that only the pipeline can check.  (The config file's own
errors, file:line each, are tests/unit/conf/test_conf.c; the list of error
paths and their tests is at its end.)"""
import os
import shutil
import subprocess

from conftest import BIN, ROOT, eal_mem

MAILTAPD = os.path.join(BIN, "mailtapd")
RULES = os.path.join(ROOT, "config", "rules", "default.rules")
POOLS = """[pipeline]
mbuf_pool_size = 1023
mail_pool_size = 255
chunk_pool_size = 511
chunk_size = 16K
[flow]
max_flows = 1024
"""


def run(tmp, app, eal=None, timeout=120, cwd=None):
    """mailtapd with EAL options eal (default: 2 lcores, net_null); the
    runtime directory EAL leaves behind is removed."""
    if eal is None:
        eal = (["-l", "0-1", "--no-pci", "--file-prefix",
                "mt-e2e-cfgerr-%d-%d" % (os.getpid(), len(os.listdir(tmp)))] + eal_mem() +
               ["--vdev", "net_null0"])
    r = subprocess.run([MAILTAPD] + eal + ["--"] + app, capture_output=True, text=True,
                       timeout=timeout, cwd=cwd)
    if "--file-prefix" in eal:     # our own prefix; its process has exited
        shutil.rmtree("/var/run/dpdk/" + eal[eal.index("--file-prefix") + 1],
                      ignore_errors=True)
    return r


def conf(tmp, text):
    path = os.path.join(tmp, "c%d.conf" % len(os.listdir(tmp)))
    with open(path, "w") as f:
        f.write(text)
    return path


def test_command_line_errors(tmp):
    path = conf(tmp, "[pipeline]\n\nburst = 0\n")
    r = subprocess.run([MAILTAPD, "--", "--config", path, "--check-config"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "mailtapd: %s:3: [pipeline] burst: 0 is out of range 1..512" % path in r.stderr
    r = subprocess.run([MAILTAPD, "--", "--bogus"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "usage: mailtapd" in r.stderr
    r = run(tmp, ["--spool", "/x" * 300])
    assert r.returncode == 2 and "mailtapd: --spool path too long" in r.stderr
    r = run(tmp, ["--spool", tmp, "extra"])
    assert r.returncode == 2 and "mailtapd: unexpected argument 'extra'" in r.stderr


def test_roles_outside_the_eal_lcores(tmp):
    for roles, want in ((("0", "5", "1"), "worker lcore 5 is not in the EAL core list"),
                        (("7", "0", "1"), "rx lcore 7 is not in the EAL core list"),
                        (("0", "1", "9"), "writer lcore 9 is not in the EAL core list"),
                        (("0-16", "1", "1"), "at most 16 RX and 64 worker lcores")):
        path = conf(tmp, POOLS.replace("[flow]", "rx_lcores = %s\nworker_lcores = %s\n"
                                       "writer_lcore = %s\n[flow]" % roles))
        r = run(tmp, ["--config", path, "--spool", os.path.join(tmp, "sp")])
        assert r.returncode == 1, r.stderr
        assert "mailtapd: " + want in r.stderr, r.stderr


def test_scan_setup_errors(tmp):
    # 65 rules files of one rule each: one over the limit; each is made
    # relative to the config's directory first: from here the list is too
    # long to hold
    names = ["r%d" % i for i in range(65)]
    for i, n in enumerate(names):
        with open(os.path.join(tmp, n), "w") as f:
            f.write('id=%d severity=low scope=body msg="r%d" pattern=/word%d/\n' % (i + 1, i, i))
    shutil.copy(RULES, os.path.join(tmp, "r"))
    path = conf(tmp, POOLS + "[scan]\nrules = %s\n" % ",".join(names))
    r = run(tmp, ["--config", path, "--spool", os.path.join(tmp, "sp")])
    assert r.returncode == 2 and "mailtapd: [scan] rules: path list too long" in r.stderr, \
        r.stderr
    # a config named without a directory keeps them short
    r = run(tmp, ["--config", os.path.basename(path), "--spool", os.path.join(tmp, "sp")],
            cwd=tmp)
    assert r.returncode == 1 and "mailtapd: [scan] rules: more than 64 files" in r.stderr, \
        r.stderr
    missing = os.path.join(tmp, "no-such-dir", "alerts.json")
    path = conf(tmp, POOLS + "[scan]\nrules = r\nalert_file = %s\n" % missing)
    r = run(tmp, ["--config", path, "--spool", os.path.join(tmp, "sp")])
    assert r.returncode == 1
    assert "mailtapd: [scan] alert file %s: No such file or directory" % missing in r.stderr


def test_no_port_and_no_memory(tmp):
    path = conf(tmp, POOLS)
    eal = ["-l", "0-1", "--no-pci", "--file-prefix", "mt-e2e-cfgerr-np-%d" % os.getpid()]
    r = run(tmp, ["--config", path, "--spool", os.path.join(tmp, "sp")], eal + eal_mem())
    assert r.returncode == 1
    assert "mailtapd: no ports: bind a NIC to vfio-pci, or give a virtual device" in r.stderr
    # pools far over the memory EAL has (64 MB without hugepages)
    path = conf(tmp, POOLS.replace("mbuf_pool_size = 1023", "mbuf_pool_size = 1048575"))
    r = run(tmp, ["--config", path, "--spool", os.path.join(tmp, "sp")],
            eal + ["--no-huge", "-m", "64", "--vdev", "net_null0"])
    assert r.returncode == 1
    assert "mailtapd: cannot create mempools (1048575 packets" in r.stderr, r.stderr
    assert "reserve more hugepages or lower the pool sizes" in r.stderr
