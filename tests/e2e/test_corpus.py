"""mailtapd against real SMTP captures from other projects' test suites
(suricata-verify, zeek; see tests/corpus/peers/README.md).

One test per capture (test id = capture name).  What each test checks is
in tests/corpus/expected.json, derived from the peers' own assertions by
tests/corpus/derive.py: number of spooled mails, per mail HELO, MAIL FROM,
RCPT TO (and the final reply where zeek logs it), whole-message size and
hashes where a peer gives them.

XFAIL lists where mailtapd disagrees today (what it did vs what the peer
asserts, and the likely cause): the to-do list of the full SMTP automaton.
They are strict, so a fix shows up as XPASS -> failure: then drop the entry.
A crash, hang or non-zero exit of mailtapd is never an expected failure.
"""
import collections
import hashlib
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, mailtapd

CORPUS = os.path.join(ROOT, "tests", "corpus")
CONF = os.path.join(os.path.dirname(__file__), "corpus.conf")
sys.path.insert(0, CORPUS)
import null2ether  # noqa: E402

CASES = json.load(open(os.path.join(CORPUS, "expected.json")))["cases"]

XFAIL = {
    "http-connect-with-smtp":
        "0 mails vs 1: SMTP tunnelled through an HTTP CONNECT proxy on port 8240, not an [smtp] port; "
        "with ports=8240 the 'HTTP/1.0 200' line shifts the reply queue and the mail ends unconfirmed, not 250",
}


class MailtapdDied(Exception):
    """mailtapd crashed, hung or exited non-zero: never an expected failure."""


def _params():
    for c in CASES:
        if c["status"] == "skip":
            marks = [pytest.mark.skip(reason=c["reason"])]
        elif c["name"] in XFAIL:
            marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=XFAIL[c["name"]])]
        else:
            marks = []
        yield pytest.param(c, id=c["name"], marks=marks)


def _spool(spool):
    import compare_spool  # segments: docs/SPOOL.md
    mails = []
    for j, eml in compare_spool.read_spool(spool):
        j["_eml"] = eml
        mails.append(j)
    return sorted(mails, key=lambda j: j["id"])


def _key(t):
    return (t[0], int(t[1]), t[2], int(t[3]))


def _check_message(want, eml, errs, where):
    facts = [("bytes", len), ("sha1", lambda b: hashlib.sha1(b).hexdigest()),
             ("sha256", lambda b: hashlib.sha256(b).hexdigest())]
    if all(f(eml) == want[k] for k, f in facts if k in want):
        return
    got = {k: f(eml) for k, f in facts if k in want}
    errs.append("%s message %s, expected %s" % (where, got, {k: want[k] for k, _ in facts if k in want}))


@pytest.mark.parametrize("case", _params())
def test_corpus(tmp, case):
    pcap = os.path.join(CORPUS, "peers", case["capture"])
    if case.get("convert_null_to_ether"):
        conv = os.path.join(tmp, "ether.pcap")
        null2ether.convert(pcap, conv)
        pcap = conv
    try:
        r = mailtapd(tmp, [pcap], lcores=1, config=CONF, timeout=30)
    except subprocess.TimeoutExpired as e:
        raise MailtapdDied("mailtapd hung (>30 s) on %s" % pcap) from e
    if r.rc != 0:
        raise MailtapdDied("mailtapd exit %d on %s\n%s" % (r.rc, pcap, r))

    got = _spool(r.spool)
    errs = []
    for m in got:
        if m["size"] != len(m["_eml"]):
            errs.append("%s: json size %d != .eml %d bytes" % (m["id"], m["size"], len(m["_eml"])))
    if len(got) != case["mails_count"]:
        errs.append("%d mails spooled, expected %d" % (len(got), case["mails_count"]))

    by_tuple = collections.defaultdict(list)
    for m in got:  # spool ids are in the order mails started
        by_tuple[(m["src_ip"], m["src_port"], m["dest_ip"], m["dest_port"])].append(m)
    want_by_tuple = collections.defaultdict(list)
    for w in case["mails"]:
        want_by_tuple[_key(w["tuple"])].append(w)
    for t in by_tuple:
        if t not in want_by_tuple:
            errs.append("%d unexpected mail(s) on %s" % (len(by_tuple[t]), t))
    for t, wants in want_by_tuple.items():
        have = by_tuple.get(t, [])
        if len(have) != len(wants):
            errs.append("%s: %d mails spooled, expected %d" % (t, len(have), len(wants)))
        for i, (w, m) in enumerate(zip(wants, have)):
            where = "mail %d of %s:%d (%s)" % (i, t[0], t[1], m["id"])
            smtp = m["smtp"]
            for k in ("helo", "mail_from", "end", "reply_code"):
                if k in w and smtp.get(k) != w[k]:
                    errs.append("%s %s %r, expected %r" % (where, k, smtp.get(k), w[k]))
            if "rcpt_to" in w:
                # peers log every RCPT the client sent; mailtapd splits them into
                # accepted (rcpt_to), refused (rcpt_rejected) and unanswered
                named = collections.Counter(smtp["rcpt_to"] +
                                            [x["addr"] for x in smtp["rcpt_rejected"]] +
                                            smtp["rcpt_unanswered"])
                want = collections.Counter(w["rcpt_to"])
                if (named != want) if w["rcpt_to_complete"] else (want - named):
                    errs.append("%s rcpt_to %r + rejected %r, expected %s%r" % (
                        where, smtp["rcpt_to"], smtp["rcpt_rejected"],
                        "" if w["rcpt_to_complete"] else "at least ", w["rcpt_to"]))
            if "message" in w:
                _check_message(w["message"], m["_eml"], errs, where)
    assert not errs, "\n".join(errs) + "\n" + "\n".join(
        json.dumps({k: v for k, v in m.items() if k != "_eml"}) for m in got)
