"""What the benchmark relies on: mtgen's BDAT / STARTTLS / non-SMTP
extras keep an exact ground truth through mailtapd, and [pipeline]
stage_cycles accounts every stage (docs/PERFORMANCE.md)."""
import json
import os

import pytest

from conftest import ROOT, TEST_CONF, mailtapd, mtgen
import compare_spool

RULES = os.path.join(ROOT, "config", "rules", "default.rules")


@pytest.fixture(scope="module")
def extras_capture(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("extras"))
    pcap, truth = mtgen(d, "extras", "--sessions", 400, "--concurrency", 60,
                        "--mails-per-session", "1-3", "--pipelining", 30, "--bdat", 40,
                        "--starttls", 10, "--noise", 10, "--rcpt-reject", 5,
                        "--split", "random", "--max-size", 300000, "--seed", 41)
    summary = json.load(open(os.path.join(truth, "summary.json")))
    ex = summary["extras"]
    assert ex["bdat_sessions"] > 0 and ex["bdat_chunks"] > ex["bdat_sessions"], ex
    assert ex["tls_sessions"] > 0 and ex["noise_packets"] > 0, ex
    return pcap, truth, summary


def conf(tmp, name, body):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(open(TEST_CONF).read().replace("[pipeline]\n", "[pipeline]\n" + body, 1))
    return path


def test_bdat_starttls_noise_keep_the_truth_exact(tmp, extras_capture):
    pcap, truth, summary = extras_capture
    r = mailtapd(tmp, [pcap], lcores=2, config=TEST_CONF)
    assert r.rc == 0, r
    ok, report = compare_spool.compare(r.spool, truth)
    assert ok, "\n".join(report) + "\n" + str(r)
    ex = summary["extras"]
    # every STARTTLS session seen going TLS, every octet after it unparsed
    assert r.counter("smtp_starttls") == ex["tls_sessions"], r
    assert r.counter("wk_tls_bytes") == ex["tls_bytes"], r
    # the other traffic on the link is dropped at RX, each frame counted once
    assert r.counter("rx_drop_not_tcp") + r.counter("rx_drop_not_smtp") == \
        ex["noise_packets"], r
    assert r.counter("rx_packets") == summary["packets"], r


def test_stage_cycles_account_every_stage(tmp, extras_capture):
    pcap, truth, _ = extras_capture
    on = conf(tmp, "on.conf", "stage_cycles = yes\n")
    with open(on, "a") as f:
        f.write("\n[scan]\nrules = %s\n" % RULES)
    r = mailtapd(tmp, [pcap], lcores=2, config=on)
    assert r.rc == 0, r
    ok, report = compare_spool.compare(r.spool, truth)
    assert ok, "\n".join(report)
    c = r.counter
    for k in ("rx_cycles", "wk_cycles", "wk_cycles_smtp", "wk_cycles_scan", "wr_cycles",
              "wk_step_max_us", "wr_step_max_us"):
        assert c(k) > 0, (k, str(r))
    # the worker's cycles contain SMTP's and the scan's, which exclude each other
    assert c("wk_cycles") > c("wk_cycles_smtp") + c("wk_cycles_scan"), r
    # high-water marks: something was in use, never more than the pools hold
    for k, cap in (("pool_pkts_max", 8191), ("pool_mails_max", 2047),
                   ("pool_chunks_max", 4095), ("wk_flows_max", 4096)):
        assert 0 < c(k) <= cap, (k, str(r))
    # off (the default): no cycle is counted, the gauges still are
    r = mailtapd(tmp, [pcap], lcores=2, config=TEST_CONF)
    assert r.rc == 0, r
    for k in ("rx_cycles", "wk_cycles", "wk_cycles_smtp", "wr_cycles", "rx_poll_gap_max_us"):
        assert r.counter(k) == 0, (k, str(r))
    assert r.counter("pool_pkts_max") > 0 and r.counter("wk_flows_max") > 0, r
