#!/usr/bin/env python3
"""compare_spool.py SPOOL_DIR TRUTH_DIR - check a spool against mtgen's truth.

Every accepted transaction of the truth must be in the spool exactly once,
with the same envelope and byte-identical message; the spool must hold
nothing else.  Mails are matched on (client, client port, server, server
port, mail_from, rcpt_to, sha256 of the message), so a mail that is lost,
duplicated, altered or attributed to the wrong session shows up.
Exit status 0 when they match, 1 otherwise.
"""
import collections
import hashlib
import json
import os
import sys


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def truth_mails(truth_dir):
    out = collections.Counter()
    with open(os.path.join(truth_dir, "truth.jsonl")) as f:
        for line in f:
            t = json.loads(line)
            if t.get("outcome", "accepted") != "accepted":
                continue
            key = (t["client"], t["client_port"], t["server"], t["server_port"],
                   t["mail_from"], tuple(t["rcpt_to"]),
                   sha(os.path.join(truth_dir, t["file"])))
            out[key] += 1
    return out


def spool_mails(spool_dir):
    out = collections.Counter()
    meta = {}
    for name in sorted(os.listdir(spool_dir)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(spool_dir, name)) as f:
            m = json.loads(f.read())
        eml = os.path.join(spool_dir, name[:-5] + ".eml")
        digest = sha(eml)
        if m.get("sha256") != digest:
            m.setdefault("flags", []).append("sha256-mismatch")
        key = (m["src_ip"], m["src_port"], m["dest_ip"], m["dest_port"],
               m["smtp"]["mail_from"], tuple(m["smtp"]["rcpt_to"]), digest)
        out[key] += 1
        meta[key] = m
    return out, meta


def compare(spool_dir, truth_dir):
    """Returns (ok, report lines)."""
    want = truth_mails(truth_dir)
    got, meta = spool_mails(spool_dir)
    lines = []
    missing = want - got
    extra = got - want
    for k, n in list(missing.items())[:10]:
        lines.append("missing x%d: %s:%s mail_from=%s rcpt=%s" % (n, k[0], k[1], k[4], k[5]))
    for k, n in list(extra.items())[:10]:
        m = meta.get(k, {})
        lines.append("unexpected x%d: %s:%s mail_from=%s size=%s flags=%s" %
                     (n, k[0], k[1], k[4], m.get("size"), m.get("flags")))
    bad_flags = [m for m in meta.values() if not m["complete"] or m["flags"]]
    for m in bad_flags[:10]:
        lines.append("flagged: %s %s" % (m["id"], m["flags"]))
    ok = not missing and not extra and not bad_flags
    lines.insert(0, "%d of %d mails match the ground truth byte for byte; "
                    "%d missing, %d unexpected, %d flagged" %
                 (sum((want & got).values()), sum(want.values()), sum(missing.values()),
                  sum(extra.values()), len(bad_flags)))
    return ok, lines


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ok, report = compare(sys.argv[1], sys.argv[2])
    print("\n".join(report))
    sys.exit(0 if ok else 1)
