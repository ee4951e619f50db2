"""Passive fingerprinting inside mailtapd (issue 8, lib/fpsrv): the servers'
replies the workers see go through the prober's rules.

The parity test: mailtapd reads captures of the probe dialogue with real
servers (tests/fp/captures, made by tests/fp/servers.py --pcap) and names
each server; the same replies, played back by a loopback server to
`mailtap probe`, must get the same verdict.  The same again for every
golden fixture (tests/fp/fixtures), turned into TCP sessions.  Then: the
verdict in the mails' metadata, /mailtap/servers and `mailtap stat
servers`; normal traffic sends each kind of reply once per server; hostile
replies (huge, endless) and many servers stay within the table's bounds.

Network: captures are files; the replay servers listen on 127.0.0.x only.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

import fp_pcap
from conftest import BIN, ROOT, TEST_CONF, eal_mem, lcores_arg, mailtapd, telemetry

sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import compare_spool  # noqa: E402

RULES = os.path.join(ROOT, "config", "fingerprints")
MAILTAP = os.path.join(BIN, "mailtap")
CAPTURES = sorted(glob.glob(os.path.join(ROOT, "tests", "fp", "captures", "*.pcap")))
FIXTURES = sorted(glob.glob(os.path.join(ROOT, "tests", "fp", "fixtures", "*", "*.txt")))
LOG = re.compile(r"fingerprint server (\S+) (known|unknown) rule=(\S+) .*?score=(-?\d+) "
                 r"nonbanner=(\d+)")


def config(tmp, extra=""):
    path = os.path.join(tmp, "fp.conf")
    with open(path, "w") as f:
        f.write(open(TEST_CONF).read())
        f.write("\n[fingerprint]\nrules = %s\n%s\n" % (RULES, extra))
    return path


def endpoint(addr, port):
    import ipaddress
    a = ipaddress.ip_address(addr)
    return ("[%s]:%d" if a.version == 6 else "%s:%d") % (a, port)


def passive_verdicts(run):
    """{server: (known, rule, score)} from mailtapd's exit log."""
    out = {}
    for m in LOG.finditer(run.err + run.out):
        out[m.group(1)] = (m.group(2) == "known", m.group(3), int(m.group(4)))
    return out


def probe_verdicts(dialogue_sets):
    """Play each server's recorded dialogues to `mailtap probe` on its own
    127.0.0.x address; [(known, rule, score)] in the same order."""
    replays = [fp_pcap.Replay("127.0.0.%d" % (20 + i), d) for i, d in enumerate(dialogue_sets)]
    try:
        targets = ["%s:%d" % (r.addr, r.port) for r in replays]
        p = subprocess.run([MAILTAP, "probe", "--json", "--no-progress", "--rules", RULES,
                            "--timeout", "5000"] + targets,
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr[-2000:]
        by_target = {}
        for line in p.stdout.splitlines():
            j = json.loads(line)
            by_target[j["target"]] = (j["verdict"] == "known", j.get("rule") or "-",
                                      j.get("score") or 0)
        return [by_target[t] for t in targets]
    finally:
        for r in replays:
            r.close()


def compare(passive, servers, probed):
    rows, bad = [], []
    for srv, want in zip(servers, probed):
        got = passive.get(srv)
        rows.append("%-28s passive %-28s probe %s" % (srv, got, want))
        if got is None or got[0] != want[0] or (want[0] and got[1] != want[1]):
            bad.append(srv)
    print("\n".join(rows))
    assert not bad, "verdicts differ for %s:\n%s" % (bad, "\n".join(rows))
    return sum(1 for w in probed if w[0])


def test_real_captures_same_verdicts_as_prober(tmp):
    if not CAPTURES:
        pytest.skip("no captures in tests/fp/captures (tests/fp/servers.py --pcap makes them)")
    servers, dialogues, groups = [], [], [[]]
    seen = set()
    for pcap in CAPTURES:
        d = fp_pcap.server_dialogues(pcap)
        assert len(d) == 1, "%s: one server per capture, got %d" % (pcap, len(d))
        (addr, port), conns = next(iter(d.items()))
        srv = endpoint(addr, port)
        if srv in seen or len(groups[-1]) == 24:   # one table entry per server per run
            groups.append([])
            seen = set()
        seen.add(srv)
        groups[-1].append(pcap)
        servers.append(srv)
        dialogues.append(conns)
    passive = {}
    for g in groups:
        run = mailtapd(tmp, g, config=config(tmp))
        assert run.rc == 0, str(run)
        passive.update(passive_verdicts(run))
    known = compare(passive, servers, probe_verdicts(dialogues))
    assert known >= len(CAPTURES) // 2, "too few servers known: the rules do not fit"


def test_fixture_dialogues_same_verdicts_as_prober(tmp):
    pcap_path = os.path.join(tmp, "fixtures.pcap")
    pcap = fp_pcap.Pcap(pcap_path)
    servers, dialogues = [], []
    for i, fx in enumerate(FIXTURES):
        d = fp_pcap.dialogues_from_fixture(fx)
        srv = bytes([198, 51, 100, 10 + i])
        fp_pcap.write_probe_sessions(pcap, srv, 25, d, cport=41000 + 10 * i)
        servers.append(endpoint(srv, 25))
        dialogues.append(d)
    pcap.close()
    run = mailtapd(tmp, [pcap_path], config=config(tmp))
    assert run.rc == 0, str(run)
    known = compare(passive_verdicts(run), servers, probe_verdicts(dialogues))
    unknown_fx = [f for f in FIXTURES if "unknown" in f]
    assert known == len(FIXTURES) - len(unknown_fx), "every fixture but the unknown ones known"


def mail_session(pcap, srv, cport, greeting, ehlo, subject):
    c = fp_pcap.Conn(pcap, b"\xcb\x00\x71\x05", cport, srv, 25, isn=cport * 1000)
    c.s2c(greeting)
    c.c2s(b"EHLO client.example\r\n")
    c.s2c(ehlo)
    for cmd, rep in ((b"MAIL FROM:<a@example.org>", b"250 2.1.0 Ok\r\n"),
                     (b"RCPT TO:<b@example.com>", b"250 2.1.5 Ok\r\n"),
                     (b"DATA", b"354 End data with <CR><LF>.<CR><LF>\r\n")):
        c.c2s(cmd + b"\r\n")
        c.s2c(rep)
    c.c2s(b"Subject: " + subject + b"\r\n\r\nhello\r\n.\r\n")
    c.s2c(b"250 2.0.0 Ok: queued as 4Xyz\r\n")
    c.c2s(b"QUIT\r\n")
    c.s2c(b"221 2.0.0 Bye\r\n")
    c.close()


def test_verdict_in_mail_metadata_telemetry_and_stat(tmp):
    """Two servers with the same Postfix replies: one only ever seen in
    ordinary mail sessions (greeting, EHLO, QUIT: never enough to name
    it), one also probed.  Each mail carries its server's verdict; the
    live table says the same through /mailtap/servers and `mailtap stat
    servers`."""
    fx = os.path.join(ROOT, "tests", "fp", "fixtures", "postfix", "default.txt")
    rep = fp_pcap.fixture_replies(fx)
    plain, probed = bytes([198, 51, 100, 24]), bytes([198, 51, 100, 25])
    path = os.path.join(tmp, "mails.pcap")
    pcap = fp_pcap.Pcap(path)
    mail_session(pcap, plain, 42001, rep["banner"], rep["ehlo"], b"plain")
    fp_pcap.write_probe_sessions(pcap, probed, 25, fp_pcap.dialogues_from_fixture(fx),
                                 cport=42100)
    mail_session(pcap, probed, 42002, rep["banner"], rep["ehlo"], b"probed")
    pcap.close()
    prefix = "mt-e2e-fpp-%d" % os.getpid()
    spool = os.path.join(tmp, "spool")
    cmd = ([os.path.join(BIN, "mailtapd")] + lcores_arg(2) + ["--no-pci", "--file-prefix", prefix]
           + eal_mem() + ["--vdev", "net_pcap0,rx_pcap=%s" % path, "--vdev", "net_null1,no-rx=1",
                          "--", "--config", config(tmp), "--spool", spool])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        one = None
        while time.time() < deadline:
            assert p.poll() is None, "mailtapd exited"
            one = telemetry(prefix, "/mailtap/servers,198.51.100.25:25", deadline)
            if one and one["mails"] == 1 and one["observations"].count(",") == 10:
                break
            time.sleep(0.2)
        assert one and one["mails"] == 1, one
        assert one["known"] == 1 and one["rule"] == "postfix" and one["product"] == "Postfix"
        assert set(one["observations"].split(",")) == set(fp_pcap.OBS_CONN1 + fp_pcap.OBS_CONN2)
        other = telemetry(prefix, "/mailtap/servers,198.51.100.24:25", deadline)
        assert other["known"] == 0, other
        assert other["observations"] == "banner,ehlo,quit,banner2,quit2", other
        table = telemetry(prefix, "/mailtap/servers", deadline)
        assert table["enabled"] == 1 and table["servers"] == 2 and table["next"] == -1
        assert sorted(table["list"])[1].startswith("198.51.100.25:25 known postfix")
        st = subprocess.run([MAILTAP, "stat", "servers", "--prefix", prefix, "--json"],
                            capture_output=True, text=True, timeout=60)
        assert st.returncode == 0, st.stderr
        j = json.loads(st.stdout)
        assert j["servers"] == 2 and len(j["list"]) == 2
        row = [r for r in j["list"] if r["server"] == "198.51.100.25:25"][0]
        assert row["known"] == 1 and row["score"] == one["score"] and row["mails"] == 1
        txt = subprocess.run([MAILTAP, "stat", "servers", "--prefix", prefix, "--server",
                              "198.51.100.25:25"], capture_output=True, text=True, timeout=60)
        assert txt.returncode == 0 and "Postfix" in txt.stdout and "decided by:" in txt.stdout
        miss = subprocess.run([MAILTAP, "stat", "servers", "--prefix", prefix, "--server",
                               "192.0.2.1:25"], capture_output=True, text=True, timeout=60)
        assert miss.returncode == 1 and "no server" in miss.stderr
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)  # EAL leaves it
    assert p.returncode == 0, err[-3000:]
    mails = {m[1].split(b"\r\n")[0]: m[0] for m in compare_spool.read_spool(spool)}
    assert sorted(mails) == [b"Subject: plain", b"Subject: probed"]
    a, b = mails[b"Subject: plain"]["server"], mails[b"Subject: probed"]["server"]
    assert a["known"] is False and a["reason"] and a["rule"] == "postfix", a
    assert b["known"] is True and b["rule"] == "postfix" and b["reason"] == "", b
    assert b["product"] == "Postfix" and b["family"] == "open-source-mta"
    assert b["score"] == one["score"] and b["nonbanner"] >= 2
    assert "mail_bad" in b["decided"].split(",")


def test_off_by_default_no_server_field(tmp):
    fx = os.path.join(ROOT, "tests", "fp", "fixtures", "postfix", "default.txt")
    rep = fp_pcap.fixture_replies(fx)
    path = os.path.join(tmp, "one.pcap")
    pcap = fp_pcap.Pcap(path)
    mail_session(pcap, bytes([198, 51, 100, 26]), 42003, rep["banner"], rep["ehlo"], b"x")
    pcap.close()
    run = mailtapd(tmp, [path], config=TEST_CONF)
    assert run.rc == 0, str(run)
    mails = compare_spool.read_spool(run.spool)
    assert len(mails) == 1 and "server" not in mails[0][0]
    assert run.counter("wk_fp_obs") == 0


def test_normal_traffic_sends_each_kind_once(tmp):
    """200 ordinary sessions to one server: the worker sends its
    greeting, EHLO and QUIT once, nothing more."""
    fx = os.path.join(ROOT, "tests", "fp", "fixtures", "exim", "default.txt")
    rep = fp_pcap.fixture_replies(fx)
    path = os.path.join(tmp, "normal.pcap")
    pcap = fp_pcap.Pcap(path)
    for i in range(200):
        mail_session(pcap, bytes([198, 51, 100, 27]), 43000 + i, rep["banner"], rep["ehlo"],
                     b"n%d" % i)
    pcap.close()
    run = mailtapd(tmp, [path], config=config(tmp), lcores=2)
    assert run.rc == 0, str(run)
    assert run.counter("wr_mails") == 200
    assert run.counter("wk_fp_obs") == 3, str(run)
    assert run.counter("wr_fp_obs") == 3 and run.counter("wr_fp_obs_new") == 3
    v = passive_verdicts(run)["198.51.100.27:25"]
    assert v[0] is False  # greeting, EHLO and QUIT alone never name a server


def peak_rss_kb(cmd):
    """Run cmd to its end; (returncode, stdout, stderr, peak VmHWM in kB)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hwm = 0
    deadline = time.time() + 300
    while p.poll() is None and time.time() < deadline:
        try:
            for line in open("/proc/%d/status" % p.pid):
                if line.startswith("VmHWM:"):
                    hwm = max(hwm, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)
    out, err = p.communicate(timeout=120)
    return p.returncode, out, err, hwm


def hostile_capture(path, n_servers, n_huge):
    """n_servers servers with one short session each, then n_huge servers
    whose greeting and EHLO replies are 300 lines (about 30 KB) each, and
    one whose greeting never ends (200 KB without LF)."""
    pcap = fp_pcap.Pcap(path)
    for i in range(n_servers):
        srv = bytes([10, 1 + i // 65536, (i >> 8) & 255, i & 255])
        c = fp_pcap.Conn(pcap, b"\xcb\x00\x71\x06", 20000 + i % 40000, srv, 25, isn=7 + i)
        c.s2c(b"220 s%d ESMTP\r\n" % i)
        c.c2s(b"QUIT\r\n")
        c.s2c(b"221 bye\r\n")
        c.close()
    big = b"".join(b"220-" + b"x" * 96 + b"\r\n" for _ in range(300)) + b"220 end\r\n"
    ebig = b"".join(b"250-" + b"\0" * 96 + b"\r\n" for _ in range(300)) + b"250 end\r\n"
    for i in range(n_huge):
        c = fp_pcap.Conn(pcap, b"\xcb\x00\x71\x07", 30000 + i, bytes([10, 200, 0, i]), 25, isn=9)
        c.s2c(big)
        c.c2s(b"EHLO x\r\n")
        c.s2c(ebig)
        c.c2s(b"QUIT\r\n")
        c.s2c(b"221 bye\r\n")
        c.close()
    c = fp_pcap.Conn(pcap, b"\xcb\x00\x71\x08", 31000, bytes([10, 201, 0, 1]), 25, isn=11)
    c.s2c(b"220 " + b"y" * 200000)
    c.close(server_first=True)
    pcap.close()


@pytest.mark.parametrize("lcores", [2, 3])
def test_hostile_replies_and_many_servers_stay_bounded(tmp, lcores):
    conf = config(tmp, "max_servers = 16")
    runs = {}
    for n in (40, 1500):
        path = os.path.join(tmp, "hostile-%d.pcap" % n)
        hostile_capture(path, n, 20)
        prefix = "mt-e2e-fph-%d-%d" % (os.getpid(), n)
        cmd = ([os.path.join(BIN, "mailtapd")] + lcores_arg(lcores) +
               ["--no-pci", "--file-prefix", prefix] + eal_mem() +
               ["--vdev", "net_pcap0,rx_pcap=%s" % path, "--", "--config", conf,
                "--spool", os.path.join(tmp, "spool-%d" % n)])
        rc, out, err, hwm = peak_rss_kb(cmd)
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)  # EAL leaves it
        assert rc == 0, err[-3000:]
        counter = lambda k: sum(int(v) for v in re.findall(r"\b%s=(\d+)" % k, out))  # noqa
        servers = n + 20  # the endless greeting never completes: no entry
        assert "fingerprint: 16 server(s) seen" in out + err
        assert counter("wr_fp_servers_evicted") == servers - 16
        # each server: greeting + QUIT; the huge ones EHLO too
        assert counter("wk_fp_obs") == counter("wr_fp_obs") == 2 * servers + 20
        assert counter("wr_fp_obs_truncated") >= 2 * 20
        runs[n] = hwm
    print("peak RSS (kB): 40 servers %d, 1500 servers %d, ratio %.3f"
          % (runs[40], runs[1500], runs[1500] / runs[40]))
    assert runs[1500] <= runs[40] * 1.2 + 8192, runs


def test_bad_rules_refuse_to_start(tmp):
    """A rules directory that is missing, or holds a broken rule, stops
    mailtapd at start with FILE:LINE."""
    fx = os.path.join(ROOT, "tests", "fp", "fixtures", "postfix", "default.txt")
    rep = fp_pcap.fixture_replies(fx)
    path = os.path.join(tmp, "one.pcap")
    pcap = fp_pcap.Pcap(path)
    mail_session(pcap, bytes([198, 51, 100, 28]), 42004, rep["banner"], rep["ehlo"], b"x")
    pcap.close()
    bad = os.path.join(tmp, "rules")
    os.mkdir(bad)
    with open(os.path.join(bad, "broken.fp"), "w") as f:
        f.write("rule x\nvendor v\nproduct p\nfamily open-source-mta\nwhen ehlo 3 /(/\n")
    for rules, want in ((os.path.join(tmp, "missing"), "missing"),
                        (bad, "broken.fp:5: regex error")):
        conf = os.path.join(tmp, "bad.conf")
        with open(conf, "w") as f:
            f.write(open(TEST_CONF).read() + "\n[fingerprint]\nrules = %s\n" % rules)
        run = mailtapd(tmp, [path], config=conf)
        assert run.rc != 0, str(run)
        assert want in run.err, str(run)


def test_servers_table_pages(tmp):
    """150 servers: /mailtap/servers answers in pages of 64 with the slot
    to ask next; `mailtap stat servers` follows them all, and --limit cuts."""
    fx = os.path.join(ROOT, "tests", "fp", "fixtures", "postfix", "default.txt")
    rep = fp_pcap.fixture_replies(fx)
    path = os.path.join(tmp, "many.pcap")
    pcap = fp_pcap.Pcap(path)
    want = set()
    for i in range(150):
        srv = bytes([10, 9, i // 256, i % 256])
        c = fp_pcap.Conn(pcap, b"\xcb\x00\x71\x09", 30000 + i, srv, 25, isn=5 + i)
        c.s2c(rep["banner"])
        c.c2s(b"QUIT\r\n")
        c.s2c(rep["quit"])
        c.close()
        want.add(endpoint(srv, 25))
    pcap.close()
    prefix = "mt-e2e-fpt-%d" % os.getpid()
    cmd = ([os.path.join(BIN, "mailtapd")] + lcores_arg(2) + ["--no-pci", "--file-prefix", prefix]
           + eal_mem() + ["--vdev", "net_pcap0,rx_pcap=%s" % path, "--vdev", "net_null1,no-rx=1",
                          "--", "--config", config(tmp), "--spool", os.path.join(tmp, "spool")])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while True:
            assert p.poll() is None, "mailtapd exited"
            first = telemetry(prefix, "/mailtap/servers", deadline)
            if first and first["servers"] == 150:
                break
            assert time.time() < deadline, first
            time.sleep(0.2)
        got, nxt, pages = [], 0, 0
        while nxt >= 0 and pages < 10:
            pg = telemetry(prefix, "/mailtap/servers,%d" % nxt, deadline)
            assert len(pg["list"]) <= 64
            got += [line.split()[0] for line in pg["list"]]
            nxt, pages = pg["next"], pages + 1
        assert pages == 3 and set(got) == want and len(got) == 150
        st = subprocess.run([MAILTAP, "stat", "servers", "--prefix", prefix, "--json"],
                            capture_output=True, text=True, timeout=60)
        assert st.returncode == 0, st.stderr
        rows = json.loads(st.stdout)["list"]
        assert {r["server"] for r in rows} == want
        assert all(r["observations"] == "banner,quit,banner2,quit2" and r["known"] == 0
                   for r in rows)
        st = subprocess.run([MAILTAP, "stat", "servers", "--prefix", prefix, "--limit", "10"],
                            capture_output=True, text=True, timeout=60)
        assert st.returncode == 0 and len(st.stdout.splitlines()) == 12, st.stdout
        # a bad parameter: null (telemetry() asks again until the deadline)
        assert telemetry(prefix, "/mailtap/servers,not-an-address", time.time() + 1) is None
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=60)
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)  # EAL leaves it
    assert p.returncode == 0


def test_relative_rules_dir_is_taken_from_the_config_files_directory(tmp):
    """[fingerprint] rules = fingerprints, in a config file in another
    directory: found there, as [scan] rules and servers_file are."""
    confdir = os.path.join(tmp, "etc")
    os.makedirs(confdir)
    shutil.copytree(RULES, os.path.join(confdir, "fingerprints"))
    path = os.path.join(confdir, "fp.conf")
    with open(path, "w") as f:
        f.write(open(TEST_CONF).read() + "\n[fingerprint]\nrules = fingerprints\n")
    cap = [c for c in CAPTURES if os.path.basename(c).startswith("postfix-default")]
    assert cap, CAPTURES
    r = mailtapd(tmp, cap, lcores=1, config=path)
    assert r.rc == 0, r
    v = passive_verdicts(r)
    assert any(known and rule.startswith("postfix") for known, rule, _ in v.values()), r
