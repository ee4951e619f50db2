#!/usr/bin/env python3
"""Evidence for docs/CORPUS.md: runs mailtapd (tests/e2e/corpus.conf) on
every peer capture that tests/e2e/test_corpus.py skips or expects to fail,
and prints one Markdown table row per capture: what the peer asserts (from
its <name>.expect.json) next to what mailtapd spooled.

usage: /usr/bin/python3 tests/e2e/corpus_evidence.py [PEERS_DIR]

PEERS_DIR holds the full peer corpus (default ../shared/corpus/peers next
to the checkout, else tests/corpus/peers, which has only the run cases).
Needs build/bin/mailtapd; run as a user that may start DPDK (as make e2e).
"""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from conftest import ROOT, mailtapd  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "corpus")
sys.path.insert(0, CORPUS)
import null2ether  # noqa: E402
import compare_spool  # noqa: E402
import test_corpus  # noqa: E402


def peer_says(exp):
    """A short account of what the peer's own tests assert."""
    parts = []
    for a in exp.get("peer_assertions") or []:
        m = a.get("match") or {}
        keys = sorted(k for k in m if k not in ("pcap_cnt",))
        parts.append("%s %s%s" % (a.get("kind", "?"),
                                  "count=%s " % a["count"] if "count" in a else "",
                                  ", ".join("%s=%s" % (k, str(m[k])[:40]) for k in keys[:4])))
    mails = exp.get("mails") or []
    if mails:
        fields = sorted({k for m in mails for k in m
                         if k not in ("peer", "peer_key", "session")})
        parts.append("%d mail record(s) with only %s" % (len(mails), ", ".join(fields)))
    c = (exp.get("counts") or {}).get("tshark_imf_messages") or {}
    parts.append("tshark sees %s IMF message(s)" % c.get("value"))
    text = "; ".join(p for p in parts if p) or "nothing"
    return text if len(text) <= 240 else text[:237] + "..."


def mailtapd_did(pcap, tmp):
    r = mailtapd(tmp, [pcap], lcores=1, config=test_corpus.CONF, timeout=60)
    if r.rc != 0:
        return "mailtapd exit %d" % r.rc
    got = compare_spool.read_spool(r.spool)
    if not got:
        return "0 mails"
    out = []
    for j, eml in got[:2]:
        s = j.get("smtp", {})
        rc = ["<%s>" % x for x in s.get("rcpt_to", [])]
        if len(rc) > 2:
            rc = rc[:2] + ["+%d more" % (len(rc) - 2)]
        out.append("%s:%s helo=%s from=<%s> rcpt=%s %s %d B%s" % (
            j["src_ip"], j["src_port"], s.get("helo"), s.get("mail_from"),
            ",".join(rc) or "none", s.get("end"),
            len(eml), (" flags=" + ",".join(j["flags"])) if j.get("flags") else ""))
    if len(got) > 2:
        out.append("...")
    return "%d mail(s): %s" % (len(got), "; ".join(out))


def main():
    peers = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(ROOT, "..", "shared", "corpus", "peers")
    if not os.path.isdir(peers):
        peers = os.path.join(CORPUS, "peers")
    for c in test_corpus.CASES:
        if c["status"] == "skip":
            why = c["reason"]
        elif c["name"] in test_corpus.XFAIL:
            why = "xfail: " + test_corpus.XFAIL[c["name"]]
        else:
            continue
        pcap = os.path.join(peers, c["capture"])
        expf = pcap[:-len(".pcap")] + ".expect.json"
        exp = json.load(open(expf)) if os.path.exists(expf) else {}
        with tempfile.TemporaryDirectory() as tmp:
            if not os.path.exists(pcap):
                did = "capture not available"
            else:
                if c.get("linktype") == "null" or c.get("convert_null_to_ether"):
                    conv = os.path.join(tmp, "ether.pcap")
                    null2ether.convert(pcap, conv)
                    pcap = conv
                did = mailtapd_did(pcap, tmp)
        print("| `%s` | %s | %s | %s | %s |" % (
            c["capture"], c["status"] if c["status"] == "skip" else "xfail",
            why, peer_says(exp), did.replace("|", "\\|")))


if __name__ == "__main__":
    main()
