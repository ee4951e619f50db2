"""Fingerprints against real servers started now: Postfix, Exim, OpenSMTPD,
Sendmail, Courier, aiosmtpd (known) and Python's stdlib smtpd (no rule:
must come out "unknown"), each with its stock banner and with the generic
banner "220 mail.example.com ESMTP" - 14 instances from Debian packages,
run by tests/fp/servers.py on their own 127.x.y.z addresses (loopback only,
private mount namespaces, no DNS; stopped by their pids).

They are probed twice, one run after the other: by address (`mailtap probe
ADDR...`) and by domain through a local dnsmasq (Debian dnsmasq-base, on another
127.x.y.z, --no-resolv --local=/test/) that serves an MX record per
instance, plus a domain without MX (A record only) and one whose MX host
is dead.  Every instance must be named by its rule (the unknown one
"unknown", never a wrong name), on at least 2 agreeing non-banner
observations, both ways."""
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fp"))
import servers  # noqa: E402  (tests/fp/servers.py)

MAILTAP = os.path.join(ROOT, "build", "bin", "mailtap")
DNSMASQ = "/usr/sbin/dnsmasq"
KEYS = ["%s-%s" % (n, b) for n in servers.SERVERS for b in servers.BANNERS]
BANNER_OBS = {"banner", "banner2"}


def dns_answers(addr, port):
    q = struct.pack(">HHHHHH", 0x4d54, 0x0100, 1, 0, 0, 0) + b"\x05ready\x04test\x00" + \
        struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        s.sendto(q, (addr, port))
        return s.recv(512)[:2] == b"\x4d\x54"
    except OSError:
        return False
    finally:
        s.close()


def start_dnsmasq(ip, fleet, dead_ip):
    """dnsmasq on ip:free port with MX <key>.test -> mx.<key>.test -> the
    instance's address; nomx.test: no MX, an A record to the generic Exim
    (RFC 5321 fallback); dead.test: MX to an address nothing listens on.
    Returns (proc, port)."""
    recs = ["--host-record=nomx.test,%s" % fleet.get("exim", "generic").ip,
            "--mx-host=dead.test,mx.dead.test,10", "--host-record=mx.dead.test,%s" % dead_ip]
    for s in fleet.servers:
        recs += ["--mx-host=%s.test,mx.%s.test,10" % (s.key, s.key),
                 "--host-record=mx.%s.test,%s" % (s.key, s.ip)]
    for _ in range(5):
        port = random.randint(20000, 60000)
        p = subprocess.Popen([DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts",
                              "--conf-file=/dev/null", "--pid-file", "--bind-interfaces",
                              "--listen-address=" + ip, "--port=%d" % port, "--local=/test/",
                              "--log-facility=-", "--user=root"] + recs,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end and p.poll() is None and not dns_answers(ip, port):
            time.sleep(0.1)
        if p.poll() is None and dns_answers(ip, port):
            return p, port
        servers.stop_proc(p)
    raise RuntimeError("dnsmasq did not start")


@pytest.fixture(scope="module")
def live():
    """Start the fleet (in parallel, bounded), probe it by address and by
    domain; yield {key: (server, by_addr, by_dns)}."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the servers run in mount namespaces with overlays and "
                    "listen on port 25")
    fleet = servers.Fleet()
    dns = None
    try:
        t0 = time.time()
        fleet.start(timeout=90)
        started = time.time() - t0
        up = [s for s in fleet.servers if not s.skip and s.key not in fleet.failed]
        if not os.access(DNSMASQ, os.X_OK):
            pytest.fail("dnsmasq missing (make deps installs dnsmasq-base)")
        dns_ip, dead_ip = fleet.addrs.take(), fleet.addrs.take()
        dns, dns_port = start_dnsmasq(dns_ip, fleet, dead_ip)
        common = ["--json", "--read-timeout", "10000", "--connect-timeout", "3000",
                  "--total-timeout", "90000", "--rate", "0"]
        # one after the other: Courier tarpits, and two probe runs from
        # 127.0.0.1 at once made its dialogues slower (26 -> 44 s)
        t1 = time.time()
        by_addr = subprocess.run([MAILTAP, "probe"] + common + [s.addr for s in up],
                                 capture_output=True, text=True, timeout=180)
        by_dns = subprocess.run([MAILTAP, "probe", "--resolver", "%s:%d" % (dns_ip, dns_port),
                                 "--port", str(fleet.port)] + common +
                                ["%s.test" % s.key for s in up] + ["nomx.test", "dead.test"],
                                capture_output=True, text=True, timeout=180)
        out_a, err_a, out_d, err_d = by_addr.stdout, by_addr.stderr, by_dns.stdout, by_dns.stderr
        probed = time.time() - t1
        sys.stderr.write("fp live: %d instances up in %.1fs, probed (address + DNS) in %.1fs\n"
                         % (len(up), started, probed))
        assert by_addr.returncode == 0, err_a
        assert by_dns.returncode == 0, err_d
        ra = {}
        for line in out_a.splitlines():
            r = json.loads(line)
            ra[r["target"]] = r
        rd = {}
        for line in out_d.splitlines():
            r = json.loads(line)
            rd[r["domain"]] = r
        res = {}
        for s in fleet.servers:
            res[s.key] = (s, ra.get(s.addr), rd.get("%s.test" % s.key))
        res["nomx.test"], res["dead.test"] = rd.get("nomx.test"), rd.get("dead.test")
        yield fleet, res
    finally:
        if dns is not None:
            servers.stop_proc(dns)
        fleet.stop()


def check_verdict(key, want, v, how):
    assert v is not None, "%s: no %s record" % (key, how)
    got = v.get("rule") if v.get("verdict") == "known" else v.get("verdict")
    if want == "unknown":
        assert v.get("verdict") == "unknown", "%s (%s): unknown server called %s (score %s)" % (
            key, how, got, v.get("score"))
        return
    assert got == want, "%s (%s): want %s, got %s: %s" % (key, how, want, got, v.get("reason"))
    obs = {d["obs"] for d in v["decided"] if d["weight"] > 0}
    assert len(obs - BANNER_OBS) >= 2, "%s (%s): verdict rests on %s" % (key, how, obs)
    assert v["score"] >= v["threshold"]


@pytest.mark.parametrize("key", KEYS)
def test_live_server_named(live, key):
    fleet, res = live
    s, by_addr, by_dns = res[key]
    if s.skip:   # only a server that truly cannot run here (e.g. no smtpd in Python 3.12)
        pytest.skip("%s cannot run here: %s" % (key, s.skip))
    assert s.key not in fleet.failed, fleet.failed.get(s.key)
    want = servers.EXPECT[s.NAME]
    # the instance really shows the banner it is meant to
    banner = by_addr["transcript"]["banner"]["reply"] if by_addr else ""
    if s.banner == "generic":
        assert banner == servers.GENERIC, banner
    else:
        assert banner.startswith("220 ") and banner != servers.GENERIC, banner
    check_verdict(key, want, by_addr, "by address")
    assert by_dns is not None and by_dns.get("status") == "ok", by_dns
    assert by_dns["mx"][0]["host"] == "mx.%s.test" % key, by_dns["mx"]
    assert by_dns["host"] == s.addr, by_dns
    host = {h["addr"]: h for h in by_dns["hosts"]}[s.addr]
    check_verdict(key, want, host, "via MX")
    # the domain's verdict is its MX host's, and both ways agree
    assert by_dns["verdict"] == by_addr["verdict"] and by_dns.get("rule") == by_addr.get("rule")


def test_live_no_mx_and_dead_host(live):
    """A domain without MX reaches its A record (a real Exim, named); a
    domain whose MX host refuses connections is reported dead."""
    fleet, res = live
    nomx, dead = res["nomx.test"], res["dead.test"]
    assert nomx and nomx["status"] == "ok" and nomx["implicit_mx"] is True, nomx
    assert nomx["verdict"] == "known" and nomx["rule"] == "exim", nomx
    assert dead and dead["status"] == "dead" and dead["verdict"] == "none", dead


def test_live_fleet_stopped_cleanly(live):
    """The harness leaves nothing behind: a second, small fleet (OpenSMTPD
    behind the banner proxy: a daemon with children plus a helper process)
    is stopped; then its address no longer answers, its process groups are
    empty and its temp dir is gone.  (The module's fleet keeps running for
    the other tests.)"""
    f = servers.Fleet(["opensmtpd"], ("generic",))   # a server, its children and a proxy
    try:
        f.start(timeout=60)
        s = f.servers[0]
        assert s.greeting == servers.GENERIC, f.failed
        groups = [s.proc.pid] + [p.pid for p in s.extra]
        tmpdir = s.dir
    finally:
        f.stop()
    with pytest.raises(OSError):
        socket.create_connection((s.ip, s.port), timeout=2).close()
    for g in groups:      # nothing of the server's process groups is left
        with pytest.raises(ProcessLookupError):
            os.killpg(g, 0)
    assert not os.path.exists(tmpdir)
