"""End-to-end tests of the scan stage (issue 5): rules from [scan] rules,
MIME decoding into Hyperscan streams, per-mail results, the alert file,
--check-rules, refusing bad rules, and SIGHUP reload on a live port."""
import json
import os
import re
import signal
import stat
import subprocess
import time

from conftest import BIN, ROOT, TEST_CONF, eal_mem, lcores_arg, mailtapd
import compare_spool
import scan_mail

DEFAULT_RULES = os.path.join(ROOT, "config", "rules", "default.rules")
MAILTAPD = os.path.join(BIN, "mailtapd")


def scan_conf(tmp, rules, name="scan.conf", extra=""):
    """test.conf plus [scan]; rules as written (relative: to tmp)."""
    path = os.path.join(tmp, name)
    with open(TEST_CONF) as f:
        base = f.read()
    with open(path, "w") as f:
        f.write(base + "\n[scan]\nrules = %s\n%s" % (rules, extra))
    return path


def alerts(spool, path=None):
    with open(path or os.path.join(spool, "alerts.json")) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_eicar_in_split_base64_attachment_alerts_once(tmp):
    pcap = os.path.join(tmp, "eicar.pcap")
    ports = scan_mail.write(pcap, clean=2, eicar=1)
    # a relative rules path is taken from the config file's directory
    with open(DEFAULT_RULES) as f, open(os.path.join(tmp, "local.rules"), "w") as g:
        g.write(f.read())
    r = mailtapd(tmp, [pcap], config=scan_conf(tmp, "local.rules"))
    assert r.rc == 0, r
    a = alerts(r.spool)
    eicar = [x for x in a if x["alert"]["signature_id"] == 1001]
    assert len(eicar) == 1, a
    e = eicar[0]
    assert e["scope"] == "attachment"
    assert e["filename"] == "eicar.com"
    assert e["src_port"] == ports[0] and e["dest_port"] == 25
    assert e["src_ip"] == scan_mail.CLI and e["dest_ip"] == scan_mail.SRV
    assert e["smtp"]["mail_from"] == "alice@outside.example"
    assert e["smtp"]["rcpt_to"] == ["bob@example.net"]
    assert e["alert"]["severity"] == "high" and "malware" in e["alert"]["tags"]
    assert e["offset"] > 0 and e["timestamp"].startswith("2024-01-01T")
    # every alert is of the EICAR mail (1002: the .com attachment name)
    assert {x["src_port"] for x in a} == {ports[0]}
    assert stat.S_IMODE(os.stat(os.path.join(r.spool, "alerts.json")).st_mode) == 0o640
    recs = {m["src_port"]: m for m, _ in compare_spool.read_spool(r.spool)}
    assert len(recs) == 3
    sc = recs[ports[0]]["scan"]
    assert sc["quarantine"] is True
    assert {"id": 1001, "count": 1, "scope": "attachment", "severity": "high"} in sc["matches"]
    for port, m in recs.items():
        if port != ports[0]:
            assert m["scan"] == dict(m["scan"], matches=[], quarantine=False), m
    assert r.counter("scan_alerts_written") == len(a)
    assert r.counter("scan_alerts_dropped") == 0
    assert r.counter("scan_bytes") > 0


def test_eicar_across_bdat_chunks_alerts_once(tmp):
    """The message in BDAT chunks whose boundaries fall inside the encoded
    signature: the stream spans the chunks, the match is found once."""
    pcap = os.path.join(tmp, "bdat.pcap")
    ports = scan_mail.write(pcap, clean=1, eicar=1, bdat=True)
    with open(DEFAULT_RULES) as f, open(os.path.join(tmp, "local.rules"), "w") as g:
        g.write(f.read())
    r = mailtapd(tmp, [pcap], config=scan_conf(tmp, "local.rules"))
    assert r.rc == 0, r
    eicar = [x for x in alerts(r.spool) if x["alert"]["signature_id"] == 1001]
    assert len(eicar) == 1 and eicar[0]["src_port"] == ports[0], eicar
    assert eicar[0]["scope"] == "attachment" and eicar[0]["filename"] == "eicar.com"
    recs = {m["src_port"]: m for m, _ in compare_spool.read_spool(r.spool)}
    assert len(recs) == 2
    assert "bdat" in recs[ports[0]]["flags"] and recs[ports[0]]["complete"], recs[ports[0]]
    assert recs[ports[0]]["scan"]["quarantine"] is True


def test_every_split_point_of_the_base64_attachment(tmp):
    pcap = os.path.join(tmp, "sweep.pcap")
    n = scan_mail.write_sweep(pcap)
    rules = os.path.join(tmp, "eicar.rules")
    with open(rules, "w") as f:
        f.write('id=1001 severity=high scope=attachment flags=single-match '
                'msg="EICAR" pattern=/EICAR-STANDARD-ANTIVIRUS-TEST-FILE!/\n')
    alert_file = os.path.join(tmp, "my-alerts.json")
    r = mailtapd(tmp, [pcap], config=scan_conf(tmp, rules,
                                               extra="alert_file = %s\n" % alert_file))
    assert r.rc == 0, r
    a = alerts(r.spool, alert_file)
    assert len(a) == n, (len(a), n)
    assert sorted(x["src_port"] for x in a) == list(range(41000, 41000 + n))
    assert all(x["filename"] == "eicar.com" and x["scope"] == "attachment" for x in a)


def test_bad_rules_file_refuses_to_start(tmp):
    bad = os.path.join(tmp, "bad.rules")
    with open(bad, "w") as f:
        f.write("# comment\nid=1 pattern=/ok/\nid=2 pattern=/foo(?<=bar)/\n")
    pcap = os.path.join(tmp, "x.pcap")
    scan_mail.write(pcap)
    r = mailtapd(tmp, [pcap], config=scan_conf(tmp, "bad.rules"))
    assert r.rc != 0, r
    assert re.search(r"bad\.rules:3: ", r.err), r
    assert not os.path.exists(os.path.join(r.spool, "alerts.json"))


def test_check_rules():
    p = subprocess.run([MAILTAPD, "--", "--check-rules", DEFAULT_RULES],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "OK" in p.stdout


def test_check_rules_reports_every_error(tmp):
    bad = os.path.join(tmp, "bad.rules")
    with open(bad, "w") as f:
        f.write("id=1 pattern=/ok/\nid=x pattern=/a/\n\nid=3 pattern=/(?<=b)c/\n"
                "id=1 pattern=/dup/\n")
    p = subprocess.run([MAILTAPD, "--", "--check-rules", DEFAULT_RULES, bad],
                       capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    assert p.returncode == 2, out
    for line in (2, 4, 5):
        assert re.search(r"bad\.rules:%d: " % line, out), out


def test_sighup_reloads_rules_on_a_live_port(tmp):
    rules = os.path.join(tmp, "live.rules")
    with open(rules, "w") as f:
        f.write("id=10 pattern=/first/\n")
    spool = os.path.join(tmp, "spool")
    cmd = ([MAILTAPD] + lcores_arg(2) +
           ["--no-pci", "--file-prefix", "mt-e2e-scan-%d" % os.getpid()] + eal_mem() +
           ["--vdev", "net_null0", "--", "--config", scan_conf(tmp, rules),
            "--spool", spool])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.exists(os.path.join(spool, "alerts.json")):
            time.sleep(0.1)
        time.sleep(0.5)
        assert p.poll() is None, p.communicate()
        with open(rules, "w") as f:
            f.write("id=10 pattern=/first/\nid=11 scope=attachment pattern=/second/\n")
        p.send_signal(signal.SIGHUP)
        time.sleep(1)
        with open(rules, "w") as f:
            f.write("id=12 pattern=/(?<=x)y/\n")  # does not compile: kept old
        p.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert p.poll() is None
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, out + err
    assert "all identities hold" in out, out
    assert re.search(r"rules reloaded: generation \d+, 2 rules", err), err
    assert re.search(r"live\.rules:1: ", err), err
    assert "reload failed" in err, err
    assert sum(int(v) for v in re.findall(r"\bscan_reloads=(\d+)", out)) == 1, out
    assert sum(int(v) for v in re.findall(r"\bscan_reload_failures=(\d+)", out)) == 1, out


def _wait_for(pred, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_sighup_swap_while_mail_flows_new_rule_fires_after(tmp):
    """Live capture of the loopback interface: mails flow while the rules
    are swapped; mails begun after the swap match the new rule, mails
    before it do not, and nothing is dropped."""
    import threading
    import pytest
    import scan_lo_smtp
    srv = scan_lo_smtp.Server()
    rules = os.path.join(tmp, "lo.rules")
    with open(rules, "w") as f:
        f.write("id=20 pattern=/firstrule/\n")
    with open(scan_conf(tmp, rules)) as f:
        conf = f.read().replace("ports = 25", "ports = %d" % srv.port)
    with open(os.path.join(tmp, "lo.conf"), "w") as f:
        f.write(conf)
    spool = os.path.join(tmp, "spool")
    log = open(os.path.join(tmp, "stderr.log"), "w+")
    cmd = ([MAILTAPD] + lcores_arg(2) +
           ["--no-pci", "--file-prefix", "mt-e2e-scanlo-%d" % os.getpid()] + eal_mem() +
           ["--vdev", "net_pcap0,rx_iface=lo", "--", "--config", os.path.join(tmp, "lo.conf"),
            "--spool", spool])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    sent = {"before": 0, "during": 0, "after": 0}
    try:
        if not _wait_for(lambda: os.path.exists(os.path.join(spool, "alerts.json")), 30):
            p.kill()
            pytest.skip("mailtapd did not start on lo: %s" % open(log.name).read()[-2000:])
        time.sleep(0.5)
        for i in range(5):
            scan_lo_smtp.send(srv.port, "before %d" % i, "the secondrule text")
            sent["before"] += 1
        stop = threading.Event()

        def flow():
            while not stop.is_set():
                scan_lo_smtp.send(srv.port, "during", "the secondrule text")
                sent["during"] += 1
        t = threading.Thread(target=flow)
        t.start()
        time.sleep(0.3)
        with open(rules, "w") as f:
            f.write("id=20 pattern=/firstrule/\nid=21 scope=body pattern=/secondrule/\n")
        p.send_signal(signal.SIGHUP)
        ok = _wait_for(lambda: "rules reloaded" in open(log.name).read(), 20)
        time.sleep(0.3)
        stop.set()
        t.join(30)
        assert ok, open(log.name).read()
        for i in range(5):
            scan_lo_smtp.send(srv.port, "after %d" % i, "the secondrule text")
            sent["after"] += 1
        total = sum(sent.values())
        _wait_for(lambda: sum(1 for _ in compare_spool.read_spool(spool, unpublished=True))
                  >= total, 10)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
    finally:
        srv.close()
        if p.poll() is None:
            p.kill()
            p.wait()
    err = open(log.name).read()
    assert p.returncode == 0, out + err
    assert "all identities hold" in out, out
    run_counter = lambda n: sum(int(v) for v in re.findall(r"\b%s=(\d+)" % n, out))
    assert run_counter("rx_drop_ring_full") == 0 and run_counter("mail_drop_ring_full") == 0
    recs = compare_spool.read_spool(spool)
    assert len(recs) == total, (len(recs), sent)
    assert sent["during"] > 0
    gens = sorted({m["scan"]["rules_generation"] for m, _ in recs})
    assert len(gens) == 2, gens
    n_new = 0
    for m, eml in recs:
        ids = sorted(x["id"] for x in m["scan"]["matches"])
        new = m["scan"]["rules_generation"] == gens[1]
        # a mail keeps the rules it began with: old ones never match 21
        assert ids == ([21] if new else []), (m, eml[:40])
        if eml.startswith(b"Subject: before"):
            assert not new, m
        elif eml.startswith(b"Subject: after"):
            assert new, m
        n_new += new
    alerts_21 = [a for a in alerts(spool) if a["alert"]["signature_id"] == 21]
    assert len(alerts_21) == n_new
