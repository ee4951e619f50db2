"""The stats socket while mailtapd runs, checked against the capture and the
spool.

mailtapd captures live (net_af_packet) on one end of a veth pair inside a
network namespace of its own; the test replays a generated capture into
the other end (pcap_replay.py: its own pcap reader, not mailtap's), in two
steps, and queries DPDK's telemetry socket with DPDK's own client
(dpdk-telemetry.py, Debian's dpdk-dev) and with `mailtap stat`:

  1. half way, with many connections open: /mailtap/flows lists exactly
     the connections the capture has opened so far, each on one worker,
     in the class and with the byte counts the frames say, page by page;
     its gauges agree with the list; `mailtap stat flows` shows the same.
  2. at the end: rx_packets = the frames sent (counted by the test),
     per-cause drops add up, flows new = sessions in the capture, the
     mails and message bytes written = what `mailtap spool list` lists =
     the generator's truth; dpdk-telemetry.py and `mailtap stat --json`
     agree counter by counter.

Nothing leaves the namespace: the veth ends have no address and IPv6 off.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import BIN, eal_mem, lcores_arg, mtgen, telemetry
import pcap_replay

HERE = os.path.dirname(os.path.abspath(__file__))
MAILTAP = os.path.join(BIN, "mailtap")
TELEMETRY_PY = "/usr/bin/dpdk-telemetry.py"
PY = "/usr/bin/python3"


def why_not():
    if os.geteuid() != 0:
        return "not root: network namespaces need CAP_SYS_ADMIN"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    if not os.path.exists(TELEMETRY_PY):
        return "no %s (Debian package dpdk-dev)" % TELEMETRY_PY
    return None


pytestmark = pytest.mark.skipif(why_not() is not None, reason=str(why_not()))


def sh(*cmd, check=True, timeout=30):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s: rc=%d %s%s" % (" ".join(map(str, cmd)), r.returncode,
                                               r.stdout, r.stderr))
    return r


def dpdk_telemetry(prefix, *cmds):
    """Ask DPDK's own client: one JSON reply per command."""
    r = subprocess.run([PY, TELEMETRY_PY, "-f", prefix], input="\n".join(cmds) + "\n",
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert len(lines) == len(cmds), r.stdout + r.stderr   # e.g. "Error connecting to"
    out = []
    for cmd, line in zip(cmds, lines):
        reply = json.loads(line)
        out.append(reply[cmd.split(",")[0]])
    return out


CONF = """; test_telemetry.py: the e2e pools, nothing expires while the test runs,
; and a segment is published a second after its first mail
[pipeline]
mbuf_pool_size = 8191
mail_pool_size = 2047
chunk_pool_size = 4095
chunk_size = 16K

[flow]
max_flows = 4096
idle_timeout_s = 3600
handshake_timeout_s = 3600
closing_timeout_s = 3600

[smtp]
ports = 25

[spool]
segment_max_age_s = 1
"""


class Netns:
    """netns mttel-PID: tx0 <-veth-> cap0, no addresses, IPv6 off."""

    def __init__(self):
        self.name = "mttel-%d" % os.getpid()

    def up(self):
        sh("ip", "netns", "del", self.name, check=False)   # left by a killed run
        sh("ip", "netns", "add", self.name)
        for k in ("all", "default"):
            sh("ip", "netns", "exec", self.name, "sysctl", "-qw",
               "net.ipv6.conf.%s.disable_ipv6=1" % k)
        sh("ip", "-n", self.name, "link", "add", "tx0", "type", "veth", "peer", "name", "cap0")
        for dev in ("tx0", "cap0"):
            sh("ip", "-n", self.name, "link", "set", dev, "mtu", "1600", "up")
            if shutil.which("ethtool"):   # frames go in raw; offloads would only merge
                sh("ip", "netns", "exec", self.name, "ethtool", "-K", dev, "tx", "off", "sg",
                   "off", "tso", "off", "gso", "off", "gro", "off", check=False)

    def pids(self):
        r = sh("ip", "netns", "pids", self.name, check=False)
        return [int(p) for p in r.stdout.split()] if r.returncode == 0 else []

    def down(self):
        for pid in self.pids():     # only processes inside our own namespace
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for _ in range(50):
            if sh("ip", "netns", "del", self.name, check=False).returncode == 0:
                break
            time.sleep(0.1)

    def replay(self, pcap, first, end):
        r = sh("ip", "netns", "exec", self.name, PY, os.path.join(HERE, "pcap_replay.py"),
               pcap, "tx0", first, end, timeout=300)
        return int(r.stdout.strip())


def wait_for(what, fn, timeout=60):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.1)


def stats(prefix):
    return telemetry(prefix, "/mailtap/stats", time.time() + 30)


def quiet(prefix, rx_expected):
    """Every frame received, handed on, and every finished mail written."""
    s = stats(prefix)
    return (s["rx_packets"] >= rx_expected and s["wk_packets"] == s["rx_dispatched"] and
            s["wr_mails"] + s["wr_errors"] == s["mail_to_writer"]) and s


def all_flows(prefix, workers):
    """{(client, server): (worker, row)} from every page of every worker, via
    dpdk-telemetry.py; also returns the gauges of each worker."""
    got, gauges = {}, {}
    for w in workers:
        first = dpdk_telemetry(prefix, "/mailtap/flows,%d" % w)[0]
        assert first["list"] == "ok", first
        gauges[w] = first
        pages = first["pages"]
        assert pages == (first["flows_total"] + first["page_size"] - 1) // first["page_size"]
        replies = [first] + dpdk_telemetry(prefix, *["/mailtap/flows,%d,%d" % (w, p)
                                                      for p in range(1, pages + 1)])
        assert replies[-1]["client"] == []             # one page past the end: empty
        n = 0
        for p, page in enumerate(replies[:-1] if pages else replies):
            assert page["page"] == p
            cols = [page[c] for c in ("client", "server", "class", "smtp", "age_ms",
                                      "idle_ms", "c2s_bytes", "s2c_bytes", "held_bytes",
                                      "midstream")]
            assert len({len(c) for c in cols}) == 1
            assert len(page["client"]) == (page["page_size"] if p + 1 < pages else
                                           page["flows_total"] - p * page["page_size"])
            for row in zip(*cols):
                key = (row[0], row[1])
                assert key not in got, "flow %s listed twice" % (key,)
                got[key] = (w, dict(zip(("class", "smtp", "age_ms", "idle_ms", "c2s",
                                         "s2c", "held", "midstream"), row[2:])))
                n += 1
        assert n == first["flows_total"]
    return got, gauges


@pytest.fixture
def netns():
    ns = Netns()
    ns.up()
    try:
        yield ns
    finally:
        ns.down()


def test_counters_agree_with_capture_and_spool(tmp, netns):
    pcap, truth = mtgen(tmp, "tel", "--sessions", 160, "--concurrency", 120,
                        "--mails-per-session", "1-2", "--max-size", 20000, "--ipv6", 30,
                        "--pipelining", 30, "--rcpt-reject", 10, "--seed", 7)
    pkts = pcap_replay.frames(pcap)
    n_frames = len(pkts)
    summary = json.load(open(os.path.join(truth, "summary.json")))
    assert n_frames == summary["packets"]            # the reader and the generator agree
    # the cut: where the most connections are open, a few already closing
    best, cut = -1, 0
    for k in range(n_frames // 8, n_frames, max(1, n_frames // 64)):
        fl = pcap_replay.flows_at(pkts, k)
        open_ = sum(1 for f in fl.values() if f.cls() != "closing")
        if open_ > best and len(fl) - open_ >= 10:
            best, cut = open_, k
    expect = pcap_replay.flows_at(pkts, cut)
    classes = {f.cls() for f in expect.values()}
    assert best >= 60 and {"established", "closing"} <= classes, (best, classes)

    conf = os.path.join(tmp, "telemetry.conf")
    with open(conf, "w") as f:
        f.write(CONF)
    spool = os.path.join(tmp, "spool")
    prefix = "mt-e2e-tel-%d" % os.getpid()
    cmd = (["ip", "netns", "exec", netns.name, os.path.join(BIN, "mailtapd")] +
           lcores_arg(4) + ["--no-pci", "--file-prefix", prefix] + eal_mem() +
           ["--vdev", "net_af_packet0,iface=cap0,framecnt=32768", "--",
            "--config", conf, "--spool", spool])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = err = ""
    try:
        deadline = time.time() + 60
        while telemetry(prefix, "/mailtap/flows", deadline) is None:
            assert time.time() < deadline and p.poll() is None, "mailtapd not up"
            time.sleep(0.1)
        # the socket DPDK's client finds from the prefix alone
        assert os.path.exists("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
        workers = dpdk_telemetry(prefix, "/mailtap/flows")[0]
        assert workers == [0, 1]                      # 4 lcores: RX, 2 workers, writer
        idle = dpdk_telemetry(prefix, "/mailtap/flows,0")[0]
        assert idle["state"] == "running" and idle["active"] == 0 and idle["list"] == "ok"

        # ---- 1. half way
        assert netns.replay(pcap, 0, cut) == cut
        wait_for("the first %d frames" % cut, lambda: quiet(prefix, cut))
        got, gauges = all_flows(prefix, workers)
        assert set(got) == set(expect), (set(got) ^ set(expect))
        for key, (w, row) in got.items():
            f = expect[key]
            assert row["class"] == f.cls(), (key, row, vars(f))
            assert (row["c2s"], row["s2c"]) == (f.c2s, f.s2c), (key, row, vars(f))
            assert row["held"] == 0 and row["midstream"] == 0
            assert row["smtp"] in ("command", "mail", "closed", "tls")
            if f.fin[0] and f.fin[1] or f.rst:
                assert row["smtp"] == "closed", (key, row)
            assert row["idle_ms"] <= row["age_ms"] < 600000
        for w, g in gauges.items():
            mine = [r for ww, r in got.values() if ww == w]
            assert g["active"] == g["flows_total"] == len(mine) > 0
            for c in ("handshake", "established", "closing"):
                assert g[c] == sum(1 for r in mine if r["class"] == c), (w, c, g)
            assert g["high_water"] == g["active"]    # nothing ended: nothing expires
            assert g["capacity"] == 4096 and g["lcore"] in (1, 2)
            assert g["ooo_bytes"] == 0 and g["ooo_pieces"] == 0 and g["ooo_pieces_max"] > 0
            # page 0 lists the oldest first, copied just before the gauges were read
            assert 0 <= g["oldest_age_ms"] - g["age_ms"][0] < 1000, g
            assert g["age_ms"] == sorted(g["age_ms"], reverse=True)
        assert max(g["pages"] for g in gauges.values()) >= 2   # paging was exercised
        # the same through `mailtap stat flows`
        r = subprocess.run([MAILTAP, "stat", "flows", "--prefix", prefix, "--json", "--list"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        cli = json.loads(r.stdout)["workers"]
        assert [w["worker"] for w in cli] == workers
        assert {(x["client"], x["server"]): x["class"] for w in cli for x in w["flows"]} == \
            {k: row["class"] for k, (w, row) in got.items()}
        r = subprocess.run([MAILTAP, "stat", "flows", "--prefix", prefix],
                           capture_output=True, text=True, timeout=60)
        rows = [l.split() for l in r.stdout.splitlines() if re.match(r"^\d+\s", l)]
        assert [int(x[0]) for x in rows] == workers
        assert sum(int(x[4]) for x in rows) == len(expect)     # the active column
        # and as Prometheus gauges
        r = subprocess.run([MAILTAP, "stat", "--prefix", prefix, "--prometheus"],
                           capture_output=True, text=True, timeout=60)
        prom = dict((m.group(1), int(m.group(2))) for m in re.finditer(
            r'^(mailtap_flow_(?:class|active)\{worker="\d+"(?:,class="\w+")?\}) (\d+)$',
            r.stdout, re.M))
        for w, g in gauges.items():
            assert prom['mailtap_flow_active{worker="%d"}' % w] == g["active"]
            for c in ("handshake", "established", "closing"):
                assert prom['mailtap_flow_class{worker="%d",class="%s"}' % (w, c)] == g[c]

        # ---- 2. the rest
        assert netns.replay(pcap, cut, n_frames) == n_frames - cut
        wait_for("every frame", lambda: quiet(prefix, n_frames))
        mails = summary["mails"]
        listed = {}

        def spooled():
            r = subprocess.run([MAILTAP, "spool", "list", spool], capture_output=True,
                               text=True, timeout=60)
            sizes = [int(m) for m in re.findall(r" size=(\d+) ", r.stdout)]
            listed["sizes"] = sizes
            return len(sizes) >= mails
        wait_for("%d mails published" % mails, spooled)

        a = dpdk_telemetry(prefix, "/mailtap/stats")[0]
        r = subprocess.run([MAILTAP, "stat", "--prefix", prefix, "--json"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        b = json.loads(r.stdout)
        c, port = dpdk_telemetry(prefix, "/mailtap/stats", "/mailtap/ports,0")
        tot = b["total"]
        assert set(a) == set(tot) == set(c)
        for k in a:   # counters only grow; what no packet moves does not move
            assert a[k] <= tot[k] <= c[k], k
        moving = {k for k in a if a[k] != c[k]}
        assert moving <= {"rx_empty_polls", "wk_writer_waits"} | \
            {k for k in a if "cycles" in k or k.endswith("_us") or "gap" in k}, moving
        # the capture
        assert c["rx_packets"] == n_frames and port["ipackets"] == n_frames
        assert port["imissed"] == 0 and port["ierrors"] == 0 and port["rx_nombuf"] == 0
        drops = sum(v for k, v in c.items() if k.startswith("rx_drop_"))
        assert c["rx_packets"] == c["rx_dispatched"] + drops
        assert c["rx_dispatched"] == c["wk_packets"]
        sessions = pcap_replay.flows_at(pkts, n_frames)
        assert c["wk_flows_new"] == len(sessions) == summary["sessions"]
        assert c["wk_payload_bytes"] == sum(f.c2s + f.s2c for f in sessions.values())
        # the spool (and the generator's truth)
        assert c["wr_mails"] == len(listed["sizes"]) == mails
        assert c["wr_bytes"] == sum(listed["sizes"]) == summary["mail_bytes"]
        assert c["mail_started"] == c["mail_accepted"] + c["mail_rejected"] + \
            c["mail_aborted"] + c["mail_unconfirmed"] + c["mail_incomplete"]
        assert c["mail_accepted"] == mails and c["mail_incomplete"] == 0
        # every connection closed: all listed as closing, nothing open
        got, gauges = all_flows(prefix, workers)
        assert set(got) == set(sessions)
        assert {row["class"] for _, row in got.values()} == {"closing"}
        assert {row["smtp"] for _, row in got.values()} == {"closed"}
        assert sum(g["closing"] for g in gauges.values()) == len(sessions)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
    # what EAL leaves of our own prefix (empty with --in-memory; config and
    # fbarray files with the --no-huge fallback)
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
    assert p.returncode == 0, err[-3000:]
    assert "all identities hold" in out, out[-3000:]


def test_offline_run_answers_with_gauges_once_its_workers_exit(tmp):
    """An offline run (a capture file) drains and its workers exit before the
    writer and the process do: in that window /mailtap/flows answers from
    the gauges the worker published last, with "list": "worker exited",
    and never touches the table.  The window is short (the writer's last
    batches, fsync per batch, then the summary), so the test polls the
    socket as fast as it can and tries again (bounded) until it saw it."""
    pcap, truth = mtgen(tmp, "off", "--sessions", 3000, "--concurrency", 50,
                        "--max-size", 4000, "--seed", 5)
    sessions = len(pcap_replay.flows_at(pcap_replay.frames(pcap), 10 ** 9))
    conf = os.path.join(tmp, "off.conf")
    with open(conf, "w") as f:
        f.write(CONF.replace("segment_max_age_s = 1", "fsync = mail"))
    import socket
    for attempt in range(5):
        prefix = "mt-e2e-tel-off-%d-%d" % (os.getpid(), attempt)
        path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
        p = subprocess.Popen([os.path.join(BIN, "mailtapd")] + lcores_arg(3) +
                             ["--no-pci", "--file-prefix", prefix] + eal_mem() +
                             ["--vdev", "net_pcap0,rx_pcap=" + pcap, "--", "--config", conf,
                              "--spool", os.path.join(tmp, "spool-%d" % attempt)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen, s, t0 = {}, None, time.time()
        try:
            while p.poll() is None and time.time() - t0 < 120:
                try:
                    if s is None:
                        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                        s.connect(path)
                        s.recv(16384)
                    s.send(b"/mailtap/flows,0")
                    v = json.loads(s.recv(1 << 16))["/mailtap/flows"]
                except (OSError, ValueError, KeyError):
                    if s is not None:
                        s.close()
                    s = None
                    time.sleep(0.005)
                    continue
                if v is not None:
                    seen.setdefault(v["list"], v)
        finally:
            if s is not None:
                s.close()
            out, err = p.communicate(timeout=120)
            shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
        assert p.returncode == 0, err[-2000:]
        assert set(seen) <= {"ok", "worker exited"}, seen
        if "ok" in seen:
            assert seen["ok"]["state"] in ("running", "exited")
        if "worker exited" in seen:
            g = seen["worker exited"]
            assert g["state"] == "exited" and "client" not in g and "flows_total" not in g
            # drained: nothing tracked; every connection of the capture was
            # in the table at once (nothing expires within the hour)
            assert g["active"] == 0 and g["handshake"] + g["established"] + g["closing"] == 0
            assert g["high_water"] == sessions, (g, sessions)
            assert g["ooo_bytes"] == 0 and g["ooo_pieces"] == 0
            break
    else:
        pytest.fail("never saw the workers exited in 5 runs: %s" % seen)
