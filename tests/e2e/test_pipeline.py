"""mailtapd end to end: generated captures through net_pcap, every mail
checked against the generator's ground truth."""
import json
import os
import subprocess

import pytest

from conftest import BIN, TEST_CONF, mailtapd, mtgen
import compare_spool


@pytest.fixture(scope="module")
def big_capture(tmp_path_factory):
    """>= 1,000 mails over >= 100 concurrent sessions, random segment
    splits so commands and the end-of-data line straddle segments."""
    d = str(tmp_path_factory.mktemp("big"))
    pcap, truth = mtgen(d, "big", "--sessions", 600, "--mails-per-session", "1-3",
                        "--concurrency", 120, "--seed", 7, "--split", "random",
                        "--max-size", 200000, "--pipelining", 30, "--rcpt-reject", 5,
                        "--ipv6", 10, "--vlan", 10)
    summary = json.load(open(os.path.join(truth, "summary.json")))
    assert summary["mails"] >= 1000 and summary["max_concurrency"] >= 100, summary
    return pcap, truth


@pytest.mark.parametrize("lcores", [1, 2, 3])
def test_every_mail_byte_exact_once(tmp, big_capture, lcores):
    pcap, truth = big_capture
    r = mailtapd(tmp, [pcap], lcores=lcores, config=TEST_CONF)
    assert r.rc == 0, r
    ok, report = compare_spool.compare(r.spool, truth)
    assert ok, "\n".join(report) + "\n" + str(r)
    n = sum(1 for _ in open(os.path.join(truth, "truth.jsonl")))
    assert r.counter("wr_mails") == n, r
    assert "all identities hold" in r.out, r


def test_counters_add_up(tmp, big_capture):
    pcap, _ = big_capture
    r = mailtapd(tmp, [pcap], lcores=2, config=TEST_CONF)
    assert r.rc == 0, r
    rx = r.counter("rx_packets")
    handled = r.counter("rx_dispatched")
    drops = sum(r.counter(c) for c in ("rx_drop_not_ip", "rx_drop_not_tcp",
                                       "rx_drop_fragment", "rx_drop_malformed",
                                       "rx_drop_not_smtp", "rx_drop_ring_full"))
    assert rx > 0 and rx == handled + drops, r
    assert r.counter("wk_packets") == handled, r
    pkts = json.load(open(os.path.join(big_capture[1], "summary.json")))["packets"]
    assert rx == pkts, r


def test_spool_files_not_world_readable(tmp):
    pcap, truth = mtgen(tmp, "small", "--sessions", 5, "--seed", 3)
    r = mailtapd(tmp, [pcap], lcores=1, config=TEST_CONF)
    assert r.rc == 0, r
    names = compare_spool.segments(r.spool)
    assert names and compare_spool.read_spool(r.spool)
    for n in names:
        assert os.stat(os.path.join(r.spool, n)).st_mode & 0o007 == 0, n


def test_two_capture_ports(tmp):
    """Two net_pcap ports read at once; both captures' mails come out."""
    a, ta = mtgen(tmp, "a", "--sessions", 30, "--seed", 11)
    b, tb = mtgen(tmp, "b", "--sessions", 30, "--seed", 12, "--ipv6", 50)
    r = mailtapd(tmp, [a, b], lcores=3, config=TEST_CONF)
    assert r.rc == 0, r
    got = len(compare_spool.read_spool(r.spool))
    want = sum(1 for t in (ta, tb) for _ in open(os.path.join(t, "truth.jsonl")))
    assert got == want, r


def test_bad_capture_file_is_a_clear_error(tmp):
    bad = os.path.join(tmp, "bad.pcap")
    with open(bad, "wb") as f:
        f.write(b"this is not a pcap file")
    r = mailtapd(tmp, [bad], lcores=1, config=TEST_CONF)
    assert r.rc != 0
    assert "bad.pcap" in r.err, r


def test_check_config_without_eal():
    r = subprocess.run([os.path.join(BIN, "mailtapd"), "--", "--config", TEST_CONF,
                        "--check-config"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout


def test_live_port_stops_cleanly_on_sigterm(tmp):
    """A live port (net_null: an endless stream of non-IP frames) runs until
    SIGTERM, then drains, prints its summary and exits 0 with the drops
    accounted for."""
    import signal
    import time
    from conftest import eal_mem, lcores_arg
    spool = os.path.join(tmp, "spool")
    cmd = ([os.path.join(BIN, "mailtapd")] + lcores_arg(2) +
           ["--no-pci", "--file-prefix", "mt-e2e-live-%d" % os.getpid()] + eal_mem() +
           ["--vdev", "net_null0", "--", "--config", TEST_CONF, "--spool", spool])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.isdir(spool):
            time.sleep(0.1)
        time.sleep(1)
        assert p.poll() is None, p.communicate()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, out + err
    assert "live mode" in out
    assert "all identities hold" in out, out
    import re
    rx = sum(int(v) for v in re.findall(r"\brx_packets=(\d+)", out))
    assert rx > 0, out


@pytest.mark.parametrize("lcores", [1, 2])
def test_offline_waits_for_memory_instead_of_losing_mails(tmp, lcores):
    """Mails totalling ~40x the chunk pool: offline, the worker waits for
    the writer to free chunks, so every mail is whole and nothing is
    flagged or dropped."""
    pcap, truth = mtgen(tmp, "fat", "--sessions", 150, "--concurrency", 2, "--seed", 5,
                        "--min-size", 100000, "--max-size", 400000)
    conf = os.path.join(os.path.dirname(__file__), "small-pools.conf")
    r = mailtapd(tmp, [pcap], lcores=lcores, config=conf)
    assert r.rc == 0, r
    ok, report = compare_spool.compare(r.spool, truth)
    assert ok, "\n".join(report) + "\n" + str(r)
    assert r.counter("mail_chunk_nomem") == 0 and r.counter("mail_nomem") == 0, r


def test_syn_flood_is_bounded_and_mails_survive(tmp):
    """A SYN flood (one port) beside real mail (another port), with a flow
    table far smaller than the flood: flows are evicted (handshake-only
    ones first), every mail comes out byte-exact, and memory does not grow
    with the size of the flood."""
    import synflood
    from conftest import eal_mem, lcores_arg
    mail, truth = mtgen(tmp, "mail", "--sessions", 200, "--concurrency", 50, "--seed", 21,
                        "--split", "random")
    conf = os.path.join(tmp, "flood.conf")
    with open(conf, "w") as f:
        f.write(open(TEST_CONF).read().replace("max_flows = 4096", "max_flows = 1024"))
    rss = {}
    for n in (20000, 2000000):
        flood = os.path.join(tmp, "flood-%d.pcap" % n)
        synflood.write(flood, n)
        spool = os.path.join(tmp, "spool-%d" % n)
        # --no-huge: pool memory then counts in the resident set we measure
        cmd = ([os.path.join(BIN, "mailtapd")] + lcores_arg(2) +
               ["--no-pci", "--no-huge", "-m", "512",
                "--file-prefix", "mt-e2e-flood-%d-%d" % (os.getpid(), n),
                "--vdev", "net_pcap0,rx_pcap=%s" % flood,
                "--vdev", "net_pcap1,rx_pcap=%s" % os.path.abspath(mail),
                "--", "--config", conf, "--spool", spool])
        # measure each run in a child of its own so RUSAGE_CHILDREN is its own
        code = ("import subprocess,resource,sys,json;"
                "p=subprocess.run(%r,capture_output=True,text=True);"
                "print(json.dumps([p.returncode,p.stdout+p.stderr,"
                "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))" % (cmd,))
        res = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True,
                             timeout=600)
        rc, out, maxrss = json.loads(res.stdout)
        assert rc == 0, out
        ok, report = compare_spool.compare(spool, truth)
        assert ok, "\n".join(report) + "\n" + out
        import re
        evicted = sum(int(v) for v in re.findall(r"\bwk_flows_evicted=(\d+)", out))
        assert evicted >= n - 1024, out
        assert "all identities hold" in out, out
        rss[n] = maxrss
    # 100x the flood, same memory (within 10%: allocator noise)
    print("peak RSS KiB by flood size:", rss)
    assert rss[2000000] <= rss[20000] * 1.1, rss


def test_counters_on_the_telemetry_socket(tmp):
    """The stats socket is DPDK's telemetry socket: /mailtap/stats sums the
    lcores, /mailtap/lcores lists them and gives one lcore's block."""
    import signal
    import time
    from conftest import eal_mem, lcores_arg, telemetry
    prefix = "mt-e2e-tel-%d" % os.getpid()
    cmd = ([os.path.join(BIN, "mailtapd")] + lcores_arg(2) +
           ["--no-pci", "--file-prefix", prefix] + eal_mem() +
           ["--vdev", "net_null0", "--", "--config", TEST_CONF, "--spool",
            os.path.join(tmp, "spool")])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        a = telemetry(prefix, "/mailtap/stats", deadline)
        time.sleep(0.3)
        b = telemetry(prefix, "/mailtap/stats", deadline)
        lcores = telemetry(prefix, "/mailtap/lcores", deadline)
        one = telemetry(prefix, "/mailtap/lcores,%d" % lcores[0], deadline)
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
    assert b["rx_packets"] > a["rx_packets"] > 0     # live and counting
    assert b["rx_drop_not_ip"] > 0                   # net_null sends no IP
    assert lcores == [0, 1]
    assert one["rx_packets"] > 0 and "wr_mails" in one
    assert p.returncode == 0
