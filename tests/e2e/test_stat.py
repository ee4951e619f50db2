"""`mailtap stat` against a live mailtapd (net_null: packets never stop), the
/mailtap/ports telemetry command, `make install DESTDIR=...` and the deploy
scripts (shellcheck, systemd-analyze when present)."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BIN, ROOT, TEST_CONF, eal_mem, lcores_arg, telemetry

MAILTAP = os.path.join(BIN, "mailtap")


def lcore_blocks(prefix):
    deadline = time.time() + 30
    ids = telemetry(prefix, "/mailtap/lcores", deadline)
    return {str(i): telemetry(prefix, "/mailtap/lcores,%d" % i, deadline) for i in ids}


def is_max(name):
    """A high-water mark: the total is the maximum over lcores (mt_stats_is_max)."""
    return "_max_" in name or name.endswith("_max")


def between(before, got, after, what):
    """Counters only grow: a value read between two telemetry reads lies
    between them."""
    assert before <= got <= after, "%s: %d <= %d <= %d" % (what, before, got, after)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("stat"))
    prefix = "mt-e2e-stat-%d" % os.getpid()
    cmd = ([os.path.join(BIN, "mailtapd")] + lcores_arg(2) +
           ["--no-pci", "--file-prefix", prefix] + eal_mem() +
           ["--vdev", "net_null0", "--", "--config", TEST_CONF, "--spool",
            os.path.join(tmp, "spool")])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The socket is up during rte_eal_init, the mailtap commands only
        # once the pipeline is set up: wait for them.
        deadline = time.time() + 60
        while telemetry(prefix, "/mailtap/lcores", deadline) is None:
            assert time.time() < deadline and p.poll() is None, "mailtapd not up"
            time.sleep(0.1)
        yield prefix
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-2000:]


def stat(*args, check=True):
    r = subprocess.run([MAILTAP, "stat"] + list(args), capture_output=True, text=True,
                       timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_json_agrees_with_the_socket(live):
    before = lcore_blocks(live)
    got = json.loads(stat("--prefix", live, "--json").stdout)
    after = lcore_blocks(live)
    assert set(got["lcores"]) == set(before) == {"0", "1"}
    for lc, block in got["lcores"].items():
        assert set(block) == set(before[lc])            # every counter, nothing else
        for name, v in block.items():
            between(before[lc][name], v, after[lc][name], "lcore %s %s" % (lc, name))
    for name, v in got["total"].items():
        per = [b[name] for b in got["lcores"].values()]
        assert v == (max(per) if is_max(name) else sum(per)), name
    assert got["total"]["rx_packets"] > 0
    assert got["pid"] > 0
    port = got["ports"]["0"]
    assert set(port) == {"ipackets", "ibytes", "imissed", "ierrors", "rx_nombuf"}
    assert port["ipackets"] >= got["total"]["rx_packets"] > 0   # port read after lcores


def test_ports_command(live):
    deadline = time.time() + 30
    assert telemetry(live, "/mailtap/ports", deadline) == [0]
    a = telemetry(live, "/mailtap/ports,0", deadline)
    time.sleep(0.3)
    b = telemetry(live, "/mailtap/ports,0", deadline)
    assert b["ipackets"] > a["ipackets"] > 0
    assert telemetry(live, "/mailtap/ports,7", deadline) is None  # no such port


PROM_SAMPLE = re.compile(r'^(mailtap_[a-z0-9_]+)\{(lcore|port|worker)="(\d+)"'
                         r'(?:,class="([a-z]+)")?\} ([0-9.e+-]+)$')


def test_prometheus_exposition(live):
    before = lcore_blocks(live)
    text = stat("--prefix", live, "--prometheus").stdout
    after = lcore_blocks(live)
    helps, types, samples = {}, {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, help_ = line[7:].split(" ", 1)
            assert name not in helps and help_
            helps[name] = help_
        elif line.startswith("# TYPE "):
            name, typ = line[7:].split(" ")
            gauge = is_max(name) or name.startswith("mailtap_flow_")
            assert typ == ("gauge" if gauge else "counter") and name in helps
            types[name] = typ
        else:
            m = PROM_SAMPLE.match(line)
            assert m, "bad sample line %r" % line
            assert m.group(1) in types          # TYPE before the samples
            key = (m.group(1), m.group(2), m.group(3)) + ((m.group(4),) if m.group(4) else ())
            assert key not in samples
            samples[key] = float(m.group(5)) if m.group(1) == \
                "mailtap_flow_oldest_age_seconds" else int(m.group(5))
    for lc in before:
        for name in before[lc]:
            v = samples[("mailtap_" + name, "lcore", lc)]
            between(before[lc][name], v, after[lc][name], "lcore %s %s" % (lc, name))
    assert helps["mailtap_rx_packets"] == "packets received from the ports"
    assert samples[("mailtap_port_ipackets", "port", "0")] > 0
    assert ("mailtap_port_imissed", "port", "0") in samples
    # the flow table's gauges (net_null: no TCP, an empty table)
    assert samples[("mailtap_flow_capacity", "worker", "0")] == 4096
    assert samples[("mailtap_flow_active", "worker", "0")] == 0
    assert samples[("mailtap_flow_ooo_pieces_max", "worker", "0")] > 0
    for c in ("handshake", "established", "closing"):
        assert samples[("mailtap_flow_class", "worker", "0", c)] == 0
    assert {k[0] for k in samples if k[2:3] == ("0",) and k[1] == "worker"} == {
        "mailtap_flow_" + g for g in ("capacity", "active", "high_water", "oldest_age_seconds",
                                      "ooo_bytes", "ooo_pieces", "ooo_pieces_max", "class")}


def parse_table(text):
    """{counter: ([(value, rate) per lcore], (total, rate))}, lcore ids, ports."""
    lines = text.splitlines()
    assert lines[0].startswith("mailtap stat ")
    head = next(i for i, l in enumerate(lines) if l.startswith("COUNTER"))
    lcores = re.findall(r"lcore(\d+)", lines[head])
    rows = {}
    i = head + 1
    while i < len(lines) and lines[i].strip():
        f = lines[i].split()
        nums = f[1:]
        assert len(nums) == 2 * (len(lcores) + 1), lines[i]
        pairs = [(int(nums[k]), float(nums[k + 1])) for k in range(0, len(nums), 2)]
        rows[f[0]] = (pairs[:-1], pairs[-1])
        i += 1
    ports = {}
    rest = [l for l in lines[i:] if l.strip()]
    if rest:
        cols = rest[0].split()
        assert cols[0] == "PORT"
        for l in rest[1:]:
            f = l.split()
            ports[f[0]] = dict(zip(cols[1:], (float(x) for x in f[1:])))
    return lcores, rows, ports


def test_table_with_rates(live):
    before = lcore_blocks(live)
    r = stat("--prefix", live, "--watch", "0.5", "--count", "1")  # rates over 0.5 s
    after = lcore_blocks(live)
    lcores, rows, ports = parse_table(r.stdout)
    assert lcores == ["0", "1"]
    assert "rx_packets" in rows and "rx_drop_not_ip" in rows
    assert "wr_mails" not in rows                   # zero everywhere: hidden
    for name, (per, (tot, tot_rate)) in rows.items():
        for lc, (v, rate) in zip(lcores, per):
            between(before[lc][name], v, after[lc][name], "lcore %s %s" % (lc, name))
            assert rate >= 0
        assert tot == (max(v for v, _ in per) if is_max(name) else sum(v for v, _ in per))
    per, (tot, rate) = rows["rx_packets"]
    assert rate > 0 and per[0][1] > 0               # net_null never stops
    assert ports["0"]["ipackets"] > 0 and ports["0"]["ipackets/s"] > 0
    _, rows_all, _ = parse_table(stat("--prefix", live, "--all").stdout)
    assert rows_all["wr_mails"][1] == (0, 0.0)
    assert set(rows_all) == set(before["0"])


def test_watch_and_count(live):
    r = stat("--prefix", live, "--json", "--watch", "0.2", "--count", "3")
    samples = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(samples) == 3
    rx = [s["total"]["rx_packets"] for s in samples]
    assert rx[0] < rx[1] < rx[2]
    assert 0.15 < samples[2]["time"] - samples[1]["time"] < 2


def test_errors_and_usage(live):
    r = stat("--prefix", "mt-e2e-no-such-prefix", check=False)
    assert r.returncode == 1 and "dpdk_telemetry.v2" in r.stderr
    assert stat("--watch", "0", check=False).returncode == 2
    assert stat("--count", "x", check=False).returncode == 2
    assert stat("--prefix", "a", "--socket", "b", check=False).returncode == 2
    assert stat("extra", check=False).returncode == 2
    r = stat("--socket", "/var/run/dpdk/%s/dpdk_telemetry.v2" % live, "--json")
    assert json.loads(r.stdout)["total"]["rx_packets"] > 0
    assert "usage: mailtap stat" in stat("--help").stdout


def test_flows_command_and_stat_flows(live):
    """/mailtap/flows on a live mailtapd with no TCP at all (net_null):
    gauges of an empty table, a list that says so, and the refusals."""
    deadline = time.time() + 30
    assert telemetry(live, "/mailtap/flows", deadline) == [0]   # 2 lcores: one worker
    g = telemetry(live, "/mailtap/flows,0", deadline)
    assert g["state"] == "running" and g["list"] == "ok" and g["lcore"] == 0
    assert g["capacity"] == 4096 and g["active"] == g["flows_total"] == g["pages"] == 0
    assert g["client"] == [] and g["page_size"] > 0
    assert telemetry(live, "/mailtap/flows,0,3", deadline)["page"] == 3
    for bad in ("/mailtap/flows,1", "/mailtap/flows,x", "/mailtap/flows,0,",
                "/mailtap/flows,0,1,2", "/mailtap/flows,0,99999999999"):
        assert telemetry(live, bad, time.time()) is None, bad
    r = stat("flows", "--prefix", live)
    rows = [l.split() for l in r.stdout.splitlines() if re.match(r"^\d+\s", l)]
    assert [x[:3] for x in rows] == [["0", "0", "running"]] and rows[0][3] == "4096"
    j = json.loads(stat("flows", "--prefix", live, "--json", "--list").stdout)
    assert j["workers"][0]["flows"] == [] and j["workers"][0]["capacity"] == 4096
    r = stat("flows", "--prefix", live, "--worker", "5", check=False)
    assert r.returncode == 1 and "no worker 5" in r.stderr
    assert stat("flows", "--limit", "0", check=False).returncode == 2
    assert stat("flows", "extra", check=False).returncode == 2
    r = stat("flows", "--prefix", "mt-e2e-no-such-prefix", check=False)
    assert r.returncode == 1 and "dpdk_telemetry.v2" in r.stderr
    assert "usage: mailtap stat flows" in stat("flows", "--help").stdout


# ---- make install, deploy/


def test_make_install_tree(tmp):
    dest = os.path.join(tmp, "root")
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "install",
                        "DESTDIR=" + dest, "PREFIX=/usr/local"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    expect = {
        "usr/local/bin/mailtapd": 0o755,
        "usr/local/bin/mailtap": 0o755,
        "usr/local/sbin/mailtap-setup": 0o755,
        "etc/mailtap/mailtap.conf": 0o640,
        "etc/mailtap/rules/default.rules": 0o640,
        "etc/mailtap/fingerprints/open-source.fp": 0o640,   # mailtap probe's default
        "etc/default/mailtapd": 0o644,
        "etc/logrotate.d/mailtap": 0o644,
        "usr/local/lib/systemd/system/mailtapd.service": 0o644,
        "usr/local/share/doc/mailtap/README.md": 0o644,
        "usr/local/share/doc/mailtap/OPERATIONS.md": 0o644,
        "usr/local/share/doc/mailtap/ARCHITECTURE.md": 0o644,
    }
    for path, mode in expect.items():
        full = os.path.join(dest, path)
        assert os.path.isfile(full), path
        assert os.stat(full).st_mode & 0o7777 == mode, "%s: %o" % (path, os.stat(full).st_mode)
    unit = open(os.path.join(dest, "usr/local/lib/systemd/system/mailtapd.service")).read()
    assert " /usr/local/bin/mailtapd $MAILTAPD_EAL " in unit  # PREFIX substituted
    assert "@PREFIX@" not in unit and "@BINDIR@" not in unit
    subprocess.run([os.path.join(dest, "usr/local/bin/mailtap"), "stat", "--help"],
                   check=True, capture_output=True)
    # make uninstall removes what install put there (config is kept)
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "uninstall",
                        "DESTDIR=" + dest, "PREFIX=/usr/local"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not os.path.exists(os.path.join(dest, "usr/local/bin/mailtapd"))
    assert not os.path.exists(os.path.join(dest, "usr/local/lib/systemd/system/mailtapd.service"))
    assert os.path.exists(os.path.join(dest, "etc/mailtap/mailtap.conf"))


SCRIPTS = [os.path.join(ROOT, "deploy", "scripts", "mailtap-setup")]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="no shellcheck")
def test_scripts_shellcheck_clean():
    r = subprocess.run(["shellcheck", "-s", "sh"] + SCRIPTS, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_setup_dry_run_changes_nothing(tmp):
    setup = SCRIPTS[0]
    r = subprocess.run(["sh", setup, "--dry-run", "hugepages", "512"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "nr_hugepages" in r.stdout
    r = subprocess.run(["sh", setup, "--dry-run", "mount", os.path.join(tmp, "huge")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "mount -t hugetlbfs" in r.stdout and not os.path.exists(os.path.join(tmp, "huge"))
    r = subprocess.run(["sh", setup, "--dry-run", "bind", "0000:ff:1f.7"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "0000:ff:1f.7" in r.stderr     # no such device
    r = subprocess.run(["sh", setup, "bogus"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr
    r = subprocess.run(["sh", setup, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "usage" in r.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_units_verify(tmp):
    """Installed with every path inside tmp, so the Exec= binaries exist."""
    d = os.path.join(tmp, "root")
    subprocess.run(["make", "--no-print-directory", "-C", ROOT, "install", "PREFIX=" + d + "/usr",
                    "SYSCONFDIR=" + d + "/etc", "SPOOLDIR=" + d + "/spool"],
                   check=True, capture_output=True, timeout=600)
    units = [os.path.join(d, "usr/lib/systemd/system", u)
             for u in ("mailtapd.service", "mailtap-setup.service")]
    r = subprocess.run(["systemd-analyze", "verify"] + units,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "mailtap" not in r.stdout + r.stderr, r.stdout + r.stderr


def test_unit_puts_the_socket_where_the_tools_look(tmp):
    """systemd gives the service $RUNTIME_DIRECTORY (RuntimeDirectory=), which
    DPDK's EAL takes as the parent of its dpdk/ directory: the unit's
    ExecStart, run with that environment, must still put the telemetry
    socket where `mailtap stat --prefix` and dpdk-telemetry.py look."""
    unit = open(os.path.join(ROOT, "deploy", "systemd", "mailtapd.service")).read()
    assert "RuntimeDirectory=dpdk" in unit
    line = [l for l in unit.splitlines() if l.startswith("ExecStart=")][0][len("ExecStart="):]
    prefix = "mt-e2e-unit-%d" % os.getpid()
    eal = lcores_arg(2) + ["--no-pci", "--file-prefix", prefix] + eal_mem() + \
        ["--vdev", "net_null0"]
    argv = []
    for w in line.split():
        if w == "$MAILTAPD_EAL":
            argv += eal
        elif w == "${MAILTAPD_CONFIG}":
            argv.append(TEST_CONF)
        else:
            argv.append(w.replace("/usr/bin/mailtapd", os.path.join(BIN, "mailtapd")))
    argv += ["--spool", os.path.join(tmp, "spool")]
    # what systemd would pass (short: a socket path holds 107 bytes)
    rundir = tempfile.mkdtemp(prefix="mtrd", dir="/tmp")
    env = dict(os.environ, RUNTIME_DIRECTORY=rundir)
    # without the unit's care, EAL follows $RUNTIME_DIRECTORY: that is the trap
    direct = [os.path.join(BIN, "mailtapd")] + eal + ["--", "--config", TEST_CONF,
                                                    "--spool", os.path.join(tmp, "s2")]
    direct[direct.index(prefix)] = prefix + "-direct"
    for cmd, sock in ((argv, "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix),
                      (direct, os.path.join(rundir, "dpdk", prefix + "-direct",
                                            "dpdk_telemetry.v2"))):
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            deadline = time.time() + 60
            while not os.path.exists(sock):
                assert time.time() < deadline and p.poll() is None, \
                    "no socket at %s: %s" % (sock, p.poll() is not None and p.stderr.read())
                time.sleep(0.1)
            if cmd is argv:
                r = stat("--prefix", prefix, "--json")
                assert json.loads(r.stdout)["pid"] == p.pid
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=60)
            shutil.rmtree(os.path.dirname(sock), ignore_errors=True)
    assert not os.path.exists(os.path.join(rundir, "dpdk", prefix))
    shutil.rmtree(rundir)


@pytest.mark.skipif(shutil.which("logrotate") is None, reason="no logrotate")
def test_logrotate_config_parses(tmp):
    conf = os.path.join(ROOT, "deploy", "logrotate", "mailtap")
    r = subprocess.run(["logrotate", "--debug", "--state", os.path.join(tmp, "state"), conf],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "error" not in r.stderr.lower(), r.stderr


def test_operations_doc_explains_every_counter():
    hdr = open(os.path.join(ROOT, "lib", "stats", "mt_stats.h")).read()
    names = re.findall(r"\bX\((\w+), \"", hdr)
    assert len(names) > 50
    doc = open(os.path.join(ROOT, "docs", "OPERATIONS.md")).read()
    missing = [n for n in names if "`%s`" % n not in doc]
    assert not missing, "counters not in docs/OPERATIONS.md: %s" % missing
    for n in ("ipackets", "imissed", "ierrors", "rx_nombuf"):
        assert "`%s`" % n in doc
