"""Issue 3 end to end: what a tap on a real link sees - reordering,
duplicates, overlapping resends with other bytes, loss, sessions already
running when capture starts - against the generator's ground truth."""
import hashlib
import json
import os

import pytest

from conftest import TEST_CONF, mailtapd, mtgen
import compare_spool


def truth(truth_dir):
    out = []
    with open(os.path.join(truth_dir, "truth.jsonl")) as f:
        for line in f:
            t = json.loads(line)
            with open(os.path.join(truth_dir, t["file"]), "rb") as g:
                t["sha"] = hashlib.sha256(g.read()).hexdigest()
            out.append(t)
    return out


def spooled(spool_dir):
    out = []
    for m, eml in compare_spool.read_spool(spool_dir):
        m["sha"] = hashlib.sha256(eml).hexdigest()
        out.append(m)
    return out


def key_t(t):
    return (t["client"], t["client_port"], t["mail_from"], tuple(t["rcpt_to"]), t["sha"])


def key_m(m):
    return (m["src_ip"], m["src_port"], m["smtp"]["mail_from"], tuple(m["smtp"]["rcpt_to"]),
            m["sha"])


def check(spool_dir, truth_dir):
    """Every unaffected mail exactly once, whole; no mail claims to be
    complete unless its bytes are a real mail's bytes; returns counts."""
    want = truth(truth_dir)
    got = spooled(spool_dir)
    real = {key_t(t) for t in want}
    unaffected = [key_t(t) for t in want if not t.get("affected")]
    got_keys = [key_m(m) for m in got]
    problems = []
    for k in unaffected:
        if got_keys.count(k) != 1:
            problems.append("unaffected mail %s:%s found %d times" % (k[0], k[1], got_keys.count(k)))
    for m in got:
        if m["complete"] and key_m(m) not in real:
            problems.append("mail %s marked complete but is no real mail (flags %s, size %d)" %
                            (m["id"], m["flags"], m["size"]))
    flagged = sum(1 for m in got if not m["complete"])
    return problems, len(unaffected), flagged


@pytest.fixture(scope="module")
def gen_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("impair"))


@pytest.mark.parametrize("lcores", [1, 2])
def test_reorder_duplicates_and_garbage_overlaps_lose_nothing(tmp, gen_dir, lcores):
    pcap, tdir = mtgen(gen_dir, "reorder-%d" % lcores, "--sessions", 300, "--concurrency", 60,
                       "--mails-per-session", "1-3", "--seed", 31, "--split", "random",
                       "--reorder", 20, "--duplicate", 10, "--overlap", 10,
                       "--pipelining", 30, "--ipv6", 10, "--vlan", 10)
    r = mailtapd(tmp, [pcap], lcores=lcores, config=TEST_CONF)
    assert r.rc == 0, r
    ok, report = compare_spool.compare(r.spool, tdir)
    assert ok, "\n".join(report) + "\n" + str(r)
    assert r.counter("wk_ooo_segments") > 0 and r.counter("wk_retrans_bytes") > 0, r
    assert r.counter("wk_gaps") == 0, r


def test_loss_flags_affected_mails_and_spares_the_others(tmp, gen_dir):
    pcap, tdir = mtgen(gen_dir, "loss", "--sessions", 300, "--concurrency", 60,
                       "--mails-per-session", "1-3", "--seed", 32, "--drop", 1,
                       "--reorder", 10)
    r = mailtapd(tmp, [pcap], lcores=2, config=TEST_CONF)
    assert r.rc == 0, r
    problems, n_unaffected, flagged = check(r.spool, tdir)
    assert not problems, "\n".join(problems[:20]) + "\n" + str(r)
    assert n_unaffected > 100 and flagged > 0 and r.counter("wk_gaps") > 0, r


def test_midstream_capture_never_claims_half_a_mail(tmp, gen_dir):
    pcap, tdir = mtgen(gen_dir, "mid", "--sessions", 300, "--concurrency", 60,
                       "--mails-per-session", "1-3", "--seed", 33, "--midstream", 40)
    r = mailtapd(tmp, [pcap], lcores=2, config=TEST_CONF)
    assert r.rc == 0, r
    problems, n_unaffected, _ = check(r.spool, tdir)
    assert not problems, "\n".join(problems[:20]) + "\n" + str(r)
    assert n_unaffected > 100 and r.counter("wk_flows_midstream") > 0, r


# The mixes that traced the pairing of replies to commands across gaps
# (issue 3): loss together with reordering, random segment boundaries,
# pipelining, BDAT, refused recipients and sessions picked up mid-stream.
HARSH = ["--sessions", 300, "--concurrency", 60, "--mails-per-session", "1-3",
         "--split", "random", "--pipelining", 30, "--drop", 2, "--reorder", 20,
         "--midstream", 20]


@pytest.mark.parametrize("name,extra,seed", [
    ("harsh", [], 2),
    ("harsh", [], 5),
    ("bdat", ["--bdat", 40, "--rcpt-reject", 10], 6),
    ("bdat", ["--bdat", 40, "--rcpt-reject", 10], 4),
])
def test_loss_midstream_pipelining_mix_keeps_every_unaffected_mail(tmp, gen_dir, name, extra,
                                                                   seed):
    pcap, tdir = mtgen(gen_dir, "%s-%d" % (name, seed), *HARSH, *extra, "--seed", seed)
    r = mailtapd(tmp, [pcap], lcores=2, config=TEST_CONF)
    assert r.rc == 0, r
    problems, n_unaffected, flagged = check(r.spool, tdir)
    assert not problems, "\n".join(problems[:20]) + "\n" + str(r)
    assert n_unaffected > 150 and flagged > 20, (n_unaffected, flagged)
    assert r.counter("wk_gaps") > 0 and r.counter("wk_flows_midstream") > 0, r


def test_heavy_loss_never_claims_a_wrong_mail_complete(tmp, gen_dir):
    """5% loss, duplicates, overlaps with other bytes, 30% mid-stream: some
    unaffected mails can be lost with their neighbours (a gap can take a
    command whose effect no later byte reveals), but no mail is ever
    called complete unless it is a real mail, whole, with its envelope."""
    pcap, tdir = mtgen(gen_dir, "heavy", "--sessions", 300, "--concurrency", 60,
                       "--mails-per-session", "1-3", "--split", "random", "--pipelining", 50,
                       "--drop", 5, "--reorder", 30, "--duplicate", 10, "--overlap", 10,
                       "--midstream", 30, "--ipv6", 20, "--vlan", 10, "--seed", 5)
    r = mailtapd(tmp, [pcap], lcores=2, config=TEST_CONF)
    assert r.rc == 0, r
    problems, n_unaffected, flagged = check(r.spool, tdir)
    wrong = [p for p in problems if "marked complete" in p]
    assert not wrong, "\n".join(wrong[:20]) + "\n" + str(r)
    assert len(problems) <= n_unaffected // 20, "\n".join(problems[:20])
    assert n_unaffected > 40 and flagged > 50, (n_unaffected, flagged)


def test_full_size_segments_loss_mix_keeps_every_unaffected_mail(tmp, gen_dir):
    """Segments as a real client sends them (MSS-sized, a pipelined burst
    in one), 3% loss, BDAT, refused recipients, duplicates, mid-stream."""
    pcap, tdir = mtgen(gen_dir, "mss-mix", "--sessions", 400, "--concurrency", 120,
                       "--mails-per-session", "1-4", "--pipelining", 50, "--bdat", 20,
                       "--drop", 3, "--reorder", 10, "--duplicate", 5, "--midstream", 10,
                       "--rcpt-reject", 10, "--ipv6", 10, "--seed", 6)
    r = mailtapd(tmp, [pcap], lcores=2, config=TEST_CONF)
    assert r.rc == 0, r
    problems, n_unaffected, flagged = check(r.spool, tdir)
    assert not problems, "\n".join(problems[:20]) + "\n" + str(r)
    assert n_unaffected > 400 and flagged > 50, (n_unaffected, flagged)
