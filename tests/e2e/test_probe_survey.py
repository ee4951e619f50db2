"""mailtap probe over DNS: a local dnsmasq (Debian dnsmasq-base, binary only,
--no-resolv --no-hosts, --local=/test/ so unknown names are NXDOMAIN) on a
random 127.x.y.1 and a free port serves MX / A records for test domains that
point at SMTP servers this test starts on other 127.x.y.z addresses
(aiosmtpd: known; Python's stdlib smtpd: no rule, must come out unknown; a
socket that never answers: a tarpit).  The prober reaches them through
--resolver and --port; everything stays on loopback.  Every process is
stopped by its pid."""
import json
import os
import random
import socket
import struct
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAILTAP = os.path.join(ROOT, "build", "bin", "mailtap")
PY = "/usr/bin/python3"
DNSMASQ = "/usr/sbin/dnsmasq"


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port(addrs, kind=socket.SOCK_STREAM):
    """A port free on every address (both TCP and UDP for kind=None)."""
    for _ in range(50):
        port = random.randint(20000, 60000)
        socks = []
        try:
            for a in addrs:
                for k in ((socket.SOCK_STREAM, socket.SOCK_DGRAM) if kind is None else (kind,)):
                    s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, k)
                    socks.append(s)
                    s.bind((a, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port")


def dns_answers(addr, port, name="probe-ready.test"):
    """True once the server answers one A query (any rcode)."""
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    q += struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        s.sendto(q, (addr, port))
        data = s.recv(512)
        return data[:2] == b"\x12\x34"
    except OSError:
        return False
    finally:
        s.close()


def wait_tcp(addr, port, proc, secs=15):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection((addr, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


class Net:
    pass


@pytest.fixture(scope="module")
def net():
    for mod in ("aiosmtpd", "smtpd"):
        if subprocess.run([PY, "-W", "ignore", "-c", "import " + mod],
                          capture_output=True).returncode != 0:
            pytest.fail("python module %s missing (make deps)" % mod)
    if not os.access(DNSMASQ, os.X_OK):
        pytest.fail("dnsmasq missing (make deps installs dnsmasq-base)")
    n = Net()
    base = "127.%d.%d." % (random.randint(100, 250), random.randint(1, 250))
    n.dns, n.aio, n.unk, n.tarpit, n.dead = (base + str(i) for i in (1, 2, 3, 4, 9))
    n.port = free_port([n.aio, n.unk, n.tarpit, n.dead, "::1"])
    procs = []
    tarpit = socket.socket()
    try:
        procs.append(subprocess.Popen(
            [PY, "-m", "aiosmtpd", "-n", "-l", "%s:%d" % (n.aio, n.port),
             "-c", "aiosmtpd.handlers.Sink"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        assert wait_tcp(n.aio, n.port, procs[-1]), "aiosmtpd did not start"
        procs.append(subprocess.Popen(
            [PY, "-m", "aiosmtpd", "-n", "-l", "::1:%d" % n.port, "-c", "aiosmtpd.handlers.Sink"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        assert wait_tcp("::1", n.port, procs[-1]), "aiosmtpd on ::1 did not start"
        procs.append(subprocess.Popen(
            [PY, "-W", "ignore", "-m", "smtpd", "-n", "-c", "DebuggingServer",
             "%s:%d" % (n.unk, n.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        assert wait_tcp(n.unk, n.port, procs[-1]), "python smtpd did not start"
        # a tarpit: the kernel completes the handshake, nobody ever answers
        tarpit.bind((n.tarpit, n.port))
        tarpit.listen(16)
        records = [
            # aio.test: preferred MX answers, the backup is dead
            "--mx-host=aio.test,mx.aio.test,10", "--mx-host=aio.test,backup.aio.test,20",
            "--host-record=mx.aio.test,%s" % n.aio, "--host-record=backup.aio.test,%s" % n.dead,
            # shared.test: same MX host as aio.test (one dialogue for both)
            "--mx-host=shared.test,mx.aio.test,5",
            "--mx-host=unk.test,mx.unk.test,10", "--host-record=mx.unk.test,%s" % n.unk,
            "--host-record=nomx.test,%s" % n.aio,            # no MX: RFC 5321 fallback
            "--dns-rr=nullmx.test,15,000000",               # MX 0 "." (RFC 7505)
            "--mx-host=dead.test,mx.dead.test,10", "--host-record=mx.dead.test,%s" % n.dead,
            "--mx-host=noaddr.test,mx.noaddr.test,10",       # MX host without A/AAAA
            "--mx-host=v6.test,mx.v6.test,10", "--host-record=mx.v6.test,::1",  # AAAA only
            "--mx-host=tarpit.test,mx.tarpit.test,10",
            "--host-record=mx.tarpit.test,%s" % n.tarpit,
        ]
        for attempt in range(5):
            n.dns_port = free_port([n.dns], kind=None)
            dp = subprocess.Popen(
                [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts",
                 "--conf-file=/dev/null", "--pid-file", "--bind-interfaces",
                 "--listen-address=" + n.dns, "--port=%d" % n.dns_port, "--local=/test/",
                 "--log-facility=-", "--user=root"] + records,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            procs.append(dp)
            end = time.time() + 10
            while time.time() < end and dp.poll() is None and not dns_answers(n.dns, n.dns_port):
                time.sleep(0.1)
            if dp.poll() is None and dns_answers(n.dns, n.dns_port):
                break
            stop(dp)
        else:
            pytest.fail("dnsmasq did not start")
        n.resolver = "%s:%d" % (n.dns, n.dns_port)
        yield n
    finally:
        tarpit.close()
        for p in procs:
            stop(p)


DOMAINS = ["aio.test", "shared.test", "unk.test", "nomx.test", "nullmx.test", "nx.test",
           "dead.test", "noaddr.test", "tarpit.test", "v6.test"]


def probe(net, *args, input=None, timeout=120):
    cmd = [MAILTAP, "probe", "--resolver", net.resolver, "--port", str(net.port),
           "--read-timeout", "600", "--connect-timeout", "2000"] + list(args)
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)


def records(text):
    out = {}
    for line in text.splitlines():
        r = json.loads(line)
        key = r.get("domain") or r.get("target")
        assert key not in out, "record for %s twice" % key
        out[key] = r
    return out


@pytest.fixture(scope="module")
def survey(net, tmp_path_factory):
    d = tmp_path_factory.mktemp("survey")
    inp = d / "domains.txt"
    inp.write_text("# test domains\n" + "\n".join(DOMAINS) + "\nAIO.TEST.\n%s\n" % net.aio)
    out = d / "out.jsonl"
    r = probe(net, "--input", str(inp), "--output", str(out), "--stats")
    assert r.returncode == 0, r.stderr
    stats = [l.split()[2:] for l in r.stderr.splitlines() if l.startswith("probe stats:")][0]
    (d / "stats").write_text(json.dumps(dict(zip(stats[::2], map(float, stats[1::2])))))
    return d, records(out.read_text())


def test_known_unknown_and_mx_order(net, survey):
    _, recs = survey
    aio = recs["aio.test"]
    assert aio["status"] == "ok" and aio["verdict"] == "known", aio
    assert aio["rule"] == "aiosmtpd" and aio["family"] == "library"
    assert [m["host"] for m in aio["mx"]] == ["mx.aio.test", "backup.aio.test"]
    assert aio["host"] == "%s:%d" % (net.aio, net.port)  # the preferred MX decides
    # the domain's verdict carries its evidence, as the host's does
    assert aio["score"] >= aio["threshold"]
    assert len({d["obs"] for d in aio["decided"] if d["weight"] > 0} - {"banner", "banner2"}) >= 2
    hosts = {h["addr"]: h for h in aio["hosts"]}
    assert hosts["%s:%d" % (net.dead, net.port)]["status"] == "dead"
    h = hosts["%s:%d" % (net.aio, net.port)]
    assert len({d["obs"] for d in h["decided"] if d["weight"] > 0} - {"banner", "banner2"}) >= 2
    assert h["transcript"]["banner"]["reply"].startswith("220 ")
    v6 = recs["v6.test"]  # an MX host with an AAAA record only
    assert v6["status"] == "ok" and v6["mx"][0]["addrs"] == ["::1"], v6
    assert v6["host"] == "[::1]:%d" % net.port and v6["rule"] == "aiosmtpd"
    unk = recs["unk.test"]
    assert unk["status"] == "ok" and unk["verdict"] == "unknown" and unk["reason"], unk
    assert "product" not in unk


def test_no_mx_null_mx_nxdomain_no_address_dead(net, survey):
    _, recs = survey
    nomx = recs["nomx.test"]
    assert nomx["status"] == "ok" and nomx["implicit_mx"] is True, nomx
    assert nomx["mx"] == [{"host": "nomx.test", "pref": 0, "addrs": [net.aio]}]
    assert nomx["rule"] == "aiosmtpd"
    assert recs["nullmx.test"]["status"] == "null_mx" and recs["nullmx.test"]["hosts"] == []
    assert recs["nx.test"]["status"] == "nxdomain"
    noaddr = recs["noaddr.test"]
    assert noaddr["status"] == "no_address" and noaddr["mx"][0]["addrs"] == []
    dead = recs["dead.test"]
    assert dead["status"] == "dead" and dead["verdict"] == "none"
    assert dead["hosts"][0]["error"].startswith("connect: ")
    for d in ("aio.test", "nomx.test", "dead.test", "nullmx.test", "nx.test"):
        assert recs[d]["implicit_mx"] is (d == "nomx.test")


def test_tarpit_is_an_observation(net, survey):
    _, recs = survey
    t = recs["tarpit.test"]
    assert t["status"] == "ok" and t["verdict"] == "unknown", t
    tr = t["hosts"][0]["transcript"]
    assert tr["banner"]["timeout"] is True and tr["banner"]["ms"] >= 500
    assert tr["ehlo"]["closed"] is True  # the rest of connection 1 is skipped


def test_each_item_once_and_addresses(net, survey):
    _, recs = survey
    # AIO.TEST. is aio.test again: skipped; the bare address got --port
    assert set(recs) == set(DOMAINS) | {net.aio}
    a = recs[net.aio]
    assert a["addr"] == "%s:%d" % (net.aio, net.port) and a["rule"] == "aiosmtpd"
    # shared.test and aio.test share an MX host: the same dialogue's result
    sh = recs["shared.test"]["hosts"][0]
    ah = [h for h in recs["aio.test"]["hosts"] if h["status"] == "ok"][0]
    assert sh["transcript"] == ah["transcript"]
    # one dialogue per address: 5 addresses behind 10 host entries
    d, _ = survey
    st = json.loads((d / "stats").read_text())
    addrs = {h["addr"] for r in recs.values() for h in r.get("hosts", [])}
    entries = sum(len(r.get("hosts", [])) for r in recs.values()) + 1  # + the address item
    assert len(addrs) == 5 and entries > 5
    assert st["hosts_probed"] == len(addrs), st
    assert st["cache_hits"] == entries - len(addrs), st


def test_resume_skips_what_the_output_holds(net, survey, tmp_path):
    d, recs = survey
    out = tmp_path / "out.jsonl"
    lines = (d / "out.jsonl").read_text().splitlines(True)
    kept = [l for l in lines if json.loads(l).get("domain") in ("nx.test", "unk.test")]
    torn = [l for l in lines if json.loads(l).get("domain") == "dead.test"][0][:40]
    out.write_text("".join(kept) + torn)  # a run killed mid-write
    r = probe(net, "--output", str(out), "--input", "-", input="\n".join(DOMAINS) + "\n")
    assert r.returncode == 0, r.stderr
    assert "resumed: 2 records" in r.stderr
    again = records(out.read_text())  # would fail on a duplicate or a torn line
    assert set(again) == set(DOMAINS)
    assert out.read_text().startswith("".join(kept))
    # a finished output: nothing left to do, nothing appended
    size = out.stat().st_size
    r = probe(net, "--output", str(out), *DOMAINS)
    assert r.returncode == 0 and out.stat().st_size == size


def test_report_text_and_html(net, survey, tmp_path):
    d, recs = survey
    html = tmp_path / "survey.html"
    r = subprocess.run([MAILTAP, "probe", "report", "--html", str(html), str(d / "out.jsonl")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    t = r.stdout
    ok = sum(1 for x in recs.values() if x.get("status") == "ok" and "domain" in x)
    known = sum(1 for x in recs.values() if "domain" in x and x.get("verdict") == "known")
    assert "Domains: %d" % len(DOMAINS) in t
    assert "Identified: %d of %d answering domains" % (known, ok) in t
    # the first table: domains by product
    first = [l for l in t.splitlines() if l.startswith("  aiosmtpd")][0]
    assert first.split()[1] == str(known)
    for s in ("null MX", "NXDOMAIN", "dead:", "without an address", "no MX record"):
        assert s in t
    assert "nullmx.test" in t and "nx.test" in t and "dead.test" in t
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") >= 3 and "aiosmtpd" in page
    low = page.lower()
    assert "<script" not in low and "src=" not in low and "<link" not in low
    assert "http" not in low.replace('xmlns="http://www.w3.org/2000/svg"', "")
    import xml.dom.minidom
    pos = 0
    while page.find("<svg", pos) >= 0:  # every chart is well-formed SVG
        a = page.index("<svg", pos)
        pos = page.index("</svg>", a) + 6
        svg = xml.dom.minidom.parseString(page[a:pos])
        assert svg.documentElement.getElementsByTagName("rect")


def test_progress_only_on_a_terminal(net):
    r = probe(net, "nx.test", "nullmx.test")
    assert r.returncode == 0 and "\r" not in r.stderr and "ETA" not in r.stderr
    r = probe(net, "--progress", "nx.test", "nullmx.test")
    assert r.returncode == 0 and "ETA" in r.stderr and "2/2" in r.stderr


def test_resolver_failure_is_reported(net):
    port = free_port([net.dns], kind=None)  # nothing answers there
    r = subprocess.run([MAILTAP, "probe", "--resolver", "%s:%d" % (net.dns, port),
                        "aio.test"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["status"] == "dns_error" and rec["error"].startswith("MX: "), rec


def test_rate_limit_spaces_connections(net):
    # 10 dead addresses (refused at once): 10 connection attempts
    dead = ["%s:%d" % (net.dead, p) for p in range(net.port, net.port + 10)]
    t0 = time.monotonic()
    r = subprocess.run([MAILTAP, "probe", "--rate", "5", "--json"] + dead,
                       capture_output=True, text=True, timeout=60)
    slow = time.monotonic() - t0
    assert r.returncode == 1 and len(r.stdout.splitlines()) == 10
    t0 = time.monotonic()
    r = subprocess.run([MAILTAP, "probe", "--rate", "0", "--json"] + dead,
                       capture_output=True, text=True, timeout=60)
    fast = time.monotonic() - t0
    assert len(r.stdout.splitlines()) == 10
    # 5 per second, a burst of 1: the 10th attempt no earlier than ~1.8 s
    assert slow >= 1.5 and slow - fast >= 1.2, (slow, fast)


def test_bad_items(net):
    r = probe(net, "not_a/domain", "nx.test")
    assert r.returncode == 0
    assert "not a domain" in r.stderr
    assert records(r.stdout).keys() == {"nx.test"}
    assert subprocess.run([MAILTAP, "probe", "report"], capture_output=True).returncode == 2
    assert subprocess.run([MAILTAP, "probe", "--port", "0", "x.test"],
                          capture_output=True).returncode == 2
