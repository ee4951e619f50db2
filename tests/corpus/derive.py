#!/usr/bin/env python3
"""derive.py - build tests/corpus/expected.json from the peers' expect files.

    python3 tests/corpus/derive.py                      # from tests/corpus/peers
    python3 tests/corpus/derive.py --import /work/shared/corpus/peers
                                                        # also copy the captures used

Input: <peer>/<name>.expect.json (schema mailtap-peer-expect/1, see
peers/README.md).  Output: expected.json, one case per capture, read by
tests/e2e/test_corpus.py.  Only values the peer projects' own tests assert
are used (mails[]); tshark facts only decide whether a peer transaction is
a mail that mailtapd should spool (see classify()), never a field value.

A case is "run" when at least one peer record gives a per-mail fact that
mailtapd's spool can show exactly: HELO, MAIL FROM, RCPT TO, or the whole
message (size and SHA-1/SHA-256).  Each peer transaction record is then
classified as a spooled mail or not (rules below, then OVERRIDES with the
evidence).  Everything else is "skip" with the reason.

What a case asserts (test_corpus.py):
  * the number of spooled mails (default config: accepted mails and
    unconfirmed/incomplete ones are spooled, rejected/aborted ones not);
  * per mail, in capture order within each session: helo, mail_from
    (angle brackets stripped: suricata keeps them, mailtapd and zeek not),
    rcpt_to as a multiset compared with mailtapd's rcpt_to + rcpt_rejected
    (peers log every RCPT the client sent; equality when the peer asserts
    the list complete (zeek smtp.log rows always are), else the peer's list
    must be contained), end = accepted when zeek logs a 2xx last_reply;
  * the whole message: size, SHA-1, SHA-256 as the source gives them, byte
    for byte (zeek PR #4591 baselines got a CRLF appended when the extracted
    EML lacked one; all 12 end with CRLF and no allowance is made for it).
"""
import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
OUT = os.path.join(HERE, "expected.json")

MESSAGE_KEYS = ("message_expected_exact", "message_zeek_rfc822", "message_suricata_raw_extraction")
ENVELOPE_KEYS = ("helo", "mail_from", "rcpt_to")

# Peer records the rules below cannot classify, decided here by hand.
# (capture, index in mails[]) -> ("mail" | "none" | "skip", evidence).
# "skip" drops the whole capture (nothing exact can be asserted about it).
OVERRIDES = {
    ("suricata-verify/ruletype-firewall-122-smtp", 0):
        ("mail", "tshark: only transaction, DATA answered 354 then 250"),
    ("suricata-verify/ruletype-firewall-125-smtp-all-rcpts-required-drop", 0):
        ("mail", "tshark: only transaction, both RCPT 250, DATA 354 then 250"),
    ("suricata-verify/ruletype-firewall-127-smtp-interactive-commands", 0):
        ("mail", "tshark: only transaction, DATA 354 then 250"),
    ("suricata-verify/ruletype-firewall-128-smtp-rset-next-tx-delivered", 1):
        ("mail", "corpus description: second complete envelope+DATA; tshark: DATA 354 then 250"),
    ("suricata-verify/ruletype-firewall-131-smtp-quit-after-mail-from", 0):
        ("none", "corpus description: QUIT right after MAIL FROM, no RCPT, no DATA"),
    ("suricata-verify/ruletype-firewall-132-smtp-nested-mail-from", 0):
        ("mail", "corpus description: second MAIL FROM rejected 503, original envelope delivered (354, 250)"),
    ("suricata-verify/ruletype-firewall-134-smtp-rset-then-quit", 0):
        ("none", "corpus description: RSET then QUIT, no message transferred (no DATA line)"),
    ("suricata-verify/ruletype-firewall-135-smtp-multi-mail-accept", 0):
        ("mail", "corpus description: three back-to-back mails; tshark: 3x DATA 354 then 250"),
    ("suricata-verify/ruletype-firewall-135-smtp-multi-mail-accept", 1):
        ("mail", "corpus description: three back-to-back mails; tshark: 3x DATA 354 then 250"),
    ("suricata-verify/ruletype-firewall-135-smtp-multi-mail-accept", 2):
        ("mail", "corpus description: three back-to-back mails; tshark: 3x DATA 354 then 250"),
    ("suricata-verify/ruletype-firewall-139-smtp-pipelined-post-data-mail-from", 0):
        ("mail", "corpus description: two mails; tshark: 2x DATA 354 then 250"),
    ("suricata-verify/ruletype-firewall-139-smtp-pipelined-post-data-mail-from", 1):
        ("mail", "corpus description: two mails; tshark: 2x DATA 354 then 250"),
    ("suricata-verify/smtp-bdat-bad-tail-next-mail", 0):
        ("mail", "client stream: 'BDAT 5 X' answered 521, then 'BDAT 221 LAST' carries this transaction's "
                 "message; no server reply after the 521 is captured (unconfirmed, spooled by keep_incomplete)"),
    ("suricata-verify/smtp-bdat-last-next-mail", 0):
        ("mail", "corpus description: single 'BDAT 221 LAST' mail (server 250), then a DATA mail"),
    ("suricata-verify/smtp-bdat-multichunk-inspection", 0):
        ("mail", "corpus description: message in two BDAT chunks (79 + 44 LAST), then a DATA mail"),
    ("suricata-verify/smtp-bdat-multichunk-next-mail", 0):
        ("mail", "corpus description: BDAT 64 + BDAT 154 LAST mail, then a DATA mail"),
    ("suricata-verify/smtp-bdat-pipelined-next-mail", 0):
        ("mail", "corpus description: two BDAT chunks (a mail), then a DATA mail"),
    ("suricata-verify/smtp-bdat-zero-last-next-mail", 0):
        ("mail", "corpus description: 'BDAT 0 LAST' (empty message, 250), then a DATA mail"),
    ("suricata-verify/smtp-helo-reset-after-rcpt", 0):
        ("none", "corpus description: envelope abandoned by a mid-session HELO (no DATA for it)"),
    ("suricata-verify/smtp-bug-5989", 0):
        ("skip", "the peer asserts only an event with HELO 'Percival', not whether a mail was delivered; "
                 "the server side is not captured"),
}


def val(rec, key):
    v = rec.get(key)
    if isinstance(v, dict) and "value" in v:
        return v["value"]
    return v


def strip_path(a):
    a = a.strip()
    if a.startswith("<") and a.endswith(">"):
        a = a[1:-1]
    return a


def classify(cap, d, i, rec):
    """-> ("mail" | "none" | "skip" | None, rule)."""
    if (cap, i) in OVERRIDES:
        how, why = OVERRIDES[(cap, i)]
        return how, "override: " + why
    if any(k in rec for k in MESSAGE_KEYS):
        return "mail", "rule: the peer asserts the whole message"
    last = val(rec, "zeek_last_reply")
    if last:
        if last[:1] == "2" and val(rec, "mail_from") is not None and val(rec, "rcpt_to"):
            return "mail", "rule: zeek last_reply %s after MAIL+RCPT" % last[:3]
        if last[:1] in "45":
            return "none", "rule: zeek last_reply %s (rejected)" % last[:3]
    absent = rec.get("asserted_absent_keys") or []
    if "smtp.rcpt_to" in absent or "smtp.rcpt_to[0]" in absent:
        return "none", "rule: the peer asserts no RCPT TO in this transaction"
    if "suricata_email_status" in rec:
        return "mail", "rule: suricata parsed a message body (email.status %s)" % val(rec, "suricata_email_status")
    sess = None
    if rec.get("session") is not None and d.get("tshark"):
        for s in d["tshark"]["sessions"]:
            if s["index"] == rec["session"]:
                sess = s
    if sess is not None:
        h = sess.get("raw_client_hints") or {}
        if h.get("data_lines") == 0 and h.get("bdat_lines") == 0:
            return "none", "rule: no DATA/BDAT line in the client stream (tshark)"
    if zeek_one_side(d, rec):
        return "mail", "rule: zeek transaction with MAIL+RCPT on a client-only capture (no replies to confirm)"
    return None, "unclassified"


def zeek_one_side(d, rec):
    return (rec.get("peer") == "zeek" and "one-direction-only" in d["features"]["from_tshark"]
            and val(rec, "mail_from") is not None and val(rec, "rcpt_to"))


def tuple_of(d, rec):
    """Client/server 4-tuple of the record: the peer's own, else tshark's session."""
    pk = rec.get("peer_key") or {}
    if pk.get("flow"):
        f = pk["flow"]
        return [f["src_ip"], f["src_port"], f["dest_ip"], f["dest_port"]]
    if pk.get("conn"):
        c = pk["conn"]
        return [c["orig_h"], c["orig_p"], c["resp_h"], c["resp_p"]]
    sess = [s for s in (d.get("tshark") or {}).get("sessions", []) if s["index"] == rec.get("session")]
    if len(sess) == 1:
        s = sess[0]
        return [s["client"]["ip"], s["client"]["port"], s["server"]["ip"], s["server"]["port"]]
    return None


def message_of(rec):
    if "message_expected_exact" in rec:
        m = rec["message_expected_exact"]
        return {"bytes": m["bytes"], "sha1": m["sha1"], "sha256": m["sha256"], "src": m["src"]}
    if "message_zeek_rfc822" in rec:
        m = rec["message_zeek_rfc822"]
        out = {"bytes": m["seen_bytes"], "sha1": m["sha1"], "src": list(m["src"])}
        if m.get("missing_bytes"):
            return None  # zeek saw a partial message: its hash is not of the whole mail
        eb = m.get("extracted_baseline")
        if eb:
            assert eb["sha1"] == m["sha1"] and eb["bytes"] == m["seen_bytes"]
            out["sha256"] = eb["sha256"]
            out["src"].append(eb["src"])
        return out
    if "message_suricata_raw_extraction" in rec:
        m = rec["message_suricata_raw_extraction"]
        return {"sha256": m["sha256"], "src": m["src"]}
    return None


def checkable(rec):
    return any(val(rec, k) not in (None, [], "") for k in ENVELOPE_KEYS) or any(k in rec for k in MESSAGE_KEYS)


def derive_case(d):
    cap = d["capture"][:-len(".pcap")]
    name = os.path.basename(cap)
    case = {"name": name, "capture": d["capture"], "peer": d["peer"],
            "description": d["description"], "linktype": d["file"]["linktype"]}
    recs = d.get("mails") or []
    where = "mails[%d]"
    if not recs:
        # no smtp.log row, but zeek's whole-message file analysis saw complete messages
        recs = [{"peer": "zeek", "session": u["session"], "message_zeek_rfc822": u}
                for u in d.get("zeek_unassigned_rfc822_messages") or []
                if u.get("sha1") and not u.get("missing_bytes")]
        where = "zeek_unassigned_rfc822_messages[%d]"
    if not recs or not any(checkable(r) for r in recs):
        case["status"] = "skip"
        case["reason"] = ("the peer asserts no mail transaction" if not recs else
                          "the peer asserts no per-mail HELO/MAIL FROM/RCPT TO or whole-message hash/size "
                          "(only headers, attachments or counters)")
        return case
    if d["file"]["linktype"] not in ("ether", "null"):
        case["status"] = "skip"
        case["reason"] = "link type %s" % d["file"]["linktype"]
        return case
    mails = []
    for i, rec in enumerate(recs):
        how, rule = classify(cap, d, i, rec)
        if how is None:
            sys.exit("derive.py: %s %s is unclassified: add it to OVERRIDES" % (cap, where % i))
        if how == "skip":
            case["status"] = "skip"
            case["reason"] = rule[len("override: "):]
            return case
        if how == "none":
            case.setdefault("not_mails", []).append({"peer_record": where % i, "why": rule})
            continue
        m = {"peer_record": where % i, "why": rule, "session": rec.get("session"), "tuple": tuple_of(d, rec)}
        if m["tuple"] is None:
            sys.exit("derive.py: %s %s: no 4-tuple" % (cap, where % i))
        src = set()
        for k in ENVELOPE_KEYS:
            if k in rec and val(rec, k) is not None:
                src.update(rec[k].get("src", []))
        if val(rec, "helo") is not None:
            m["helo"] = val(rec, "helo")
        if val(rec, "mail_from") is not None:
            m["mail_from"] = strip_path(val(rec, "mail_from"))
        if val(rec, "rcpt_to") is not None:
            m["rcpt_to"] = [strip_path(a) for a in val(rec, "rcpt_to")]
            m["rcpt_to_complete"] = bool(rec["rcpt_to"].get("complete")) or rec.get("peer") == "zeek"
        last = val(rec, "zeek_last_reply")
        if last and last[:1] == "2":
            m["end"] = "accepted"
            m["reply_code"] = int(last[:3])
            src.update(rec["zeek_last_reply"].get("src", []))
        msg = message_of(rec)
        if msg:
            m["message"] = msg
        m["src"] = sorted(src)
        mails.append(m)
    case["status"] = "run"
    case["convert_null_to_ether"] = d["file"]["linktype"] == "null"
    case["mails_count"] = len(mails)
    case["mails"] = mails
    return case


README_HEAD = """\
# Peer SMTP captures (suricata-verify, zeek)

Generated by `tests/corpus/derive.py` (do not edit by hand).

Real SMTP captures from two other projects' test suites, copied unmodified
(except as noted under "converted") with the expectations file that records
what those projects' own tests assert (`<name>.expect.json`, schema
`mailtap-peer-expect/1`: every value carries its `src`, the upstream file it
was read from).  `tests/e2e/test_corpus.py` runs mailtapd on each capture
and checks the facts that `derive.py` extracted into `../expected.json`.
Only the captures that test uses are copied here; the skipped ones are
listed, with the reason, in `../expected.json`.

The DLT_NULL (BSD loopback) captures are stored as they are upstream; the
test rewrites them to Ethernet on the fly (`../null2ether.py`) because
DPDK's net_pcap delivers frames as Ethernet.

## Sources and licences

| peer | repository | commit | licence |
|---|---|---|---|
| suricata-verify | https://github.com/OISF/suricata-verify | `10a45e4bad6d29d0f1239d93119ea24e1bbdab19` | MIT (`LICENSE.txt`, Copyright 2017-2021 Open Information Security Foundation) |
| zeek | https://github.com/zeek/zeek (master) | `a13de64fbbdb01f90961c04719b308fbbb6d199e` | BSD 3-clause style (`COPYING`, The Regents of the University of California / LBNL / ICSI; "some files may carry their own copyright notices") |
| zeek PR #4591 | https://github.com/zeek/zeek `refs/pull/4591/head` (unmerged) | `b14b3737b47fd731aed00cf3b1ca554738ae0334` | same repository licence (`COPYING`) |

The expect files are our own JSON (facts read from the peers' test
baselines and from tshark 4.0.17); AUTH payloads are redacted in their
command lists, the pcaps are unmodified.

## Files

| file | repository | commit | upstream path | licence | link type | sha256 | converted |
|---|---|---|---|---|---|---|---|
"""


def write_readme(peers_dir):
    rows = []
    for peer in sorted(os.listdir(peers_dir)):
        pdir = os.path.join(peers_dir, peer)
        if not os.path.isdir(pdir):
            continue
        for f in sorted(os.listdir(pdir)):
            if f.endswith(".expect.json"):
                d = json.load(open(os.path.join(pdir, f)))
                o, fi = d["origin"], d["file"]
                rows.append("| `%s` | %s | `%s`%s | `%s` | %s | %s | `%s` | %s |" % (
                    d["capture"], o["repo"], o["commit"][:12],
                    " (PR #4591)" if "pull/4591" in (o.get("ref") or "") else "",
                    o["path"], o["license"], fi["linktype"], fi["sha256"][:16] + "...",
                    fi["converted"] or "no"))
    with open(os.path.join(peers_dir, "README.md"), "w") as fp:
        fp.write(README_HEAD + "\n".join(rows) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--import", dest="imp", metavar="DIR",
                    help="read the expect files from DIR and copy the captures of run cases to peers/")
    a = ap.parse_args()
    src = a.imp or PEERS
    prev = {}
    if os.path.exists(OUT):
        prev = {c["capture"]: c for c in json.load(open(OUT))["cases"]}
    cases = {}
    for peer in sorted(os.listdir(src)):
        pdir = os.path.join(src, peer)
        if not os.path.isdir(pdir):
            continue
        for f in sorted(os.listdir(pdir)):
            if not f.endswith(".expect.json"):
                continue
            d = json.load(open(os.path.join(pdir, f)))
            assert d["schema"] == "mailtap-peer-expect/1", f
            c = derive_case(d)
            cases[c["capture"]] = c
            if a.imp and c["status"] == "run":
                dst = os.path.join(PEERS, peer)
                os.makedirs(dst, exist_ok=True)
                for ext in (".pcap", ".expect.json"):
                    base = f[:-len(".expect.json")] + ext
                    shutil.copyfile(os.path.join(pdir, base), os.path.join(dst, base))
    # skipped captures are not copied: keep their entries when deriving from the local copy
    for cap, c in prev.items():
        if cap not in cases and c["status"] == "skip":
            cases[cap] = c
    names = [c["name"] for c in cases.values()]
    assert len(names) == len(set(names)), "capture names must be unique (they are the test ids)"
    if os.path.isdir(PEERS):
        write_readme(PEERS)
    out = {"schema": "mailtap-corpus-expected/1",
           "generated_by": "tests/corpus/derive.py (do not edit by hand)",
           "cases": sorted(cases.values(), key=lambda c: c["capture"])}
    with open(OUT, "w") as fp:
        json.dump(out, fp, indent=1, sort_keys=False)
        fp.write("\n")
    run = sum(c["status"] == "run" for c in cases.values())
    print("derive.py: %d cases, %d run, %d skipped -> %s" % (len(cases), run, len(cases) - run, OUT))


if __name__ == "__main__":
    main()
