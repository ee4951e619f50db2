"""Live capture of a real Postfix (Debian package) in a network namespace.

swaks in a client namespace sends mails to a private Postfix instance in a
server namespace (plain, PIPELINING, 8BITMIME, several recipients with one
rejected, an attachment) while mailtapd captures live, through DPDK's
net_af_packet vdev, a SPAN copy of the server's veth (tc mirred, see
postfix_netns.py).  Every mail Postfix accepted must be spooled exactly
once, byte-identical to the message swaks sent (the DATA octets undotted),
and the rejected recipient recorded as rejected.

Skipped (with the reason) when not root or `ip netns` is unavailable.
Everything started here is stopped by pid and every namespace and veth
deleted, also on failure.  Bounded: about 10 s here, every step has a
timeout.
"""
import collections
import os
import re
import signal
import subprocess
import time

import pytest

import compare_spool
import postfix_netns as pn
from conftest import BIN, TEST_CONF, eal_mem, lcores_arg, telemetry

REJECTED = "nobody@example.org"

# name, mail_from as given to swaks, recipients, pipeline, message builder
# swaks 20201014 has no option for MAIL FROM parameters and sends
# "MAIL FROM:<ADDR>": the address closes its bracket itself and ends in an
# ENVID (xtext allows the '>' swaks appends) to carry BODY=8BITMIME.
CASES = [
    ("plain", "alice@example.com", ["bob@example.org"], False, pn.plain_message),
    ("pipelining", "carol@example.com", ["dave@example.org", "erin@example.org"], True,
     pn.plain_message),
    ("8bitmime", "frank@example.com> BODY=8BITMIME ENVID=mailtap-8bit",
     ["grace@example.org"], False, pn.eightbit_message),
    ("rcpt-rejected", "heidi@example.com",
     ["ivan@example.org", REJECTED, "judy@example.org"], False, pn.plain_message),
    ("rcpt-rejected-pipelined", "mallory@example.com",
     [REJECTED, "niaj@example.org"], True, pn.plain_message),
    ("attachment", "oscar@example.com", ["peggy@example.org"], True,
     pn.attachment_message),
]


def addr(mail_from):
    return mail_from.split(">")[0]


@pytest.fixture(scope="module")
def net(request):
    why = pn.netns_usable()
    if why:
        pytest.skip(why)
    why = pn.ensure_debs()
    if why:
        pytest.skip(why)
    n = pn.Net()
    request.addfinalizer(n.close)      # runs even when up() fails half-way
    return n.up()


@pytest.fixture(scope="module")
def postfix(net, request):
    p = pn.Postfix(net, [REJECTED])
    request.addfinalizer(p.cleanup)
    request.addfinalizer(p.stop)       # finalizers run last-in first-out
    return p.start()


@pytest.fixture(scope="module")
def live(net, postfix, tmp_path_factory):
    """mailtapd on the SPAN veth while swaks sends every case; returns
    (sent: {name: (message bytes, CompletedProcess)}, mailtapd stdout,
    stderr, returncode, spool, seconds)."""
    t0 = time.time()
    tmp = str(tmp_path_factory.mktemp("postfix-live"))
    spool = os.path.join(tmp, "spool")
    prefix = "mt-e2e-pflive-%d" % os.getpid()
    cmd = ([os.path.join(BIN, "mailtapd")] + lcores_arg(2) +
           ["--no-pci", "--file-prefix", prefix] + eal_mem() +
           ["--vdev", "net_af_packet0,iface=%s,framecnt=32768" % net.span,
            "--", "--config", TEST_CONF, "--spool", spool])
    err = open(os.path.join(tmp, "mailtapd.err"), "w+")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
    sent = {}
    try:
        deadline = time.time() + 30
        sock = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
        while not os.path.exists(sock):      # fail fast if mailtapd exits
            assert time.time() < deadline and p.poll() is None, "mailtapd not up"
            time.sleep(0.05)
        while telemetry(prefix, "/mailtap/lcores", deadline) is None:
            assert time.time() < deadline and p.poll() is None, "mailtapd not up"
            time.sleep(0.1)
        send_by = time.time() + 40        # the whole test stays under 60 s
        for name, mail_from, rcpts, pipeline, build in CASES:
            msg = build("mailtap live " + name, addr(mail_from), rcpts)
            wire = os.path.join(tmp, name + ".data")
            with open(wire, "wb") as f:
                f.write(pn.swaks_data(msg))
            left = send_by - time.time()
            assert left > 2, "out of time before sending %s: %s" % (name, {
                n: r.stdout[-1500:] for n, (_, r) in sent.items()})
            sent[name] = (msg, pn.swaks(net, wire, mail_from, rcpts, pipeline,
                                        timeout=min(25, left)))
        accepted = sum(1 for _, r in sent.values() if queued_as(r))
        # wait (bounded) until the writer has every accepted mail and the
        # sessions are closed, then stop: SIGTERM drains and prints the summary
        deadline = time.time() + 15
        while time.time() < deadline and p.poll() is None:
            st = telemetry(prefix, "/mailtap/stats", deadline) or {}
            if st.get("wr_mails", 0) >= accepted and \
               st.get("wk_flows_closed", 0) >= len(CASES):
                break
            time.sleep(0.1)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
    except AssertionError:
        err.seek(0)
        raise AssertionError("mailtapd not up, rc=%s: %s" % (p.poll(), err.read()[-3000:]))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
    err.seek(0)
    return sent, out, err.read(), p.returncode, spool, time.time() - t0


def queued_as(r):
    """Postfix's queue id from swaks's transcript: the mail was accepted."""
    m = re.search(r"<-\s+250 2\.0\.0 Ok: queued as (\w+)", r.stdout)
    return m and m.group(1)


def test_postfix_accepted_every_mail(live, postfix):
    sent = live[0]
    for name, (msg, r) in sent.items():
        assert queued_as(r), "%s: swaks rc=%d\n%s\n%s\n%s" % (
            name, r.returncode, r.stdout[-3000:], r.stderr[-2000:], postfix.logs())
    log = open(postfix.log, errors="replace").read()
    assert log.count("reject: RCPT from") == 2, log[-4000:]


def test_mailtapd_drained_cleanly(live):
    _, out, err, rc, _, secs = live
    assert rc == 0, "rc=%d\n%s\n%s" % (rc, out, err[-3000:])
    assert "all identities hold" in out, out
    for c in ("rx_drop_ring_full", "wk_gaps", "mail_incomplete", "mail_drop_ring_full",
              "wr_errors", "mail_nomem", "mail_chunk_nomem"):
        assert sum(int(v) for v in re.findall(r"\b%s=(\d+)" % c, out)) == 0, (c, out)
    assert secs < 60, secs


def test_every_accepted_mail_spooled_once_byte_exact(live):
    sent, out, _, _, spool, _ = live
    mails = compare_spool.read_spool(spool)
    got = collections.Counter(eml for _, eml in mails)
    want = collections.Counter(msg for msg, r in sent.values() if queued_as(r))
    assert len(mails) == len(CASES), (len(mails), out)
    missing = want - got
    extra = got - want
    assert not missing and not extra, (
        "missing %s; unexpected %s" % ([m[:200] for m in missing], [m[:200] for m in extra]))


def test_envelopes_and_the_rejected_recipient(live):
    sent, _, _, _, spool, _ = live
    by_msg = {eml: rec for rec, eml in compare_spool.read_spool(spool)}
    for name, mail_from, rcpts, pipeline, _ in CASES:
        rec = by_msg[sent[name][0]]
        smtp = rec["smtp"]
        where = "%s: %s" % (name, rec)
        assert rec["src_ip"] == pn.CLIENT_IP and rec["dest_ip"] == pn.SERVER_IP, where
        assert rec["dest_port"] == 25 and rec["proto"] == "TCP", where
        assert smtp["helo"] == "client.mailtap-live.test", where
        assert smtp["banner"].startswith("mx.mailtap-live.test ESMTP"), where
        assert smtp["mail_from"] == addr(mail_from), where
        assert smtp["rcpt_to"] == [r for r in rcpts if r != REJECTED], where
        want_rej = [{"addr": REJECTED, "code": 550}] if REJECTED in rcpts else []
        assert smtp.get("rcpt_rejected", []) == want_rej, where
        assert smtp["end"] == "accepted" and smtp["reply_code"] == 250, where
        assert rec["complete"] is True and rec["size"] == len(sent[name][0]), where
        flags = rec.get("flags", [])
        for bad in ("incomplete", "unconfirmed", "gap", "midstream", "bare_lf"):
            assert bad not in flags, where
        assert ("pipelined" in flags) == pipeline, where
        if name == "8bitmime":
            assert "BODY=8BITMIME" in smtp["mail_params"], where
