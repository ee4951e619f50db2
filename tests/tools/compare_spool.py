#!/usr/bin/env python3
"""compare_spool.py SPOOL_DIR TRUTH_DIR - check a spool against mtgen's truth.

The spool holds segments (docs/SPOOL.md): tar files of <id>.eml + <id>.json
members, published in SPOOL_DIR, SPOOL_DIR/claimed/<consumer>/ and
SPOOL_DIR/done/.  read_spool() returns their mails; the unpublished
segment in tmp/ is not part of the output.

Every accepted transaction of the truth must be in the spool exactly once,
with the same envelope and byte-identical message; the spool must hold
nothing else.  Mails are matched on (client, client port, server, server
port, mail_from, rcpt_to, sha256 of the message), so a mail that is lost,
duplicated, altered or attributed to the wrong session shows up.
Exit status 0 when they match, 1 otherwise.
"""
import collections
import glob
import hashlib
import json
import os
import sys
import tarfile


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


def segments(spool_dir, unpublished=False):
    """Paths of the segments of a spool, in name (= time) order."""
    pats = ["*.tar", "done/*.tar", "claimed/*/*.tar"] + (["tmp/*.tar"] if unpublished else [])
    paths = [p for pat in pats for p in glob.glob(os.path.join(spool_dir, pat))]
    return sorted(paths, key=os.path.basename)


def read_segment(path):
    """[(record dict, message bytes)] of one segment, in order; a member
    that is not part of a whole <id>.eml + <id>.json pair raises."""
    out = []
    with tarfile.open(path) as t:
        members = t.getmembers()
        if len(members) % 2:
            raise ValueError("%s: odd number of members" % path)
        for e, j in zip(members[0::2], members[1::2]):
            if not (e.name.endswith(".eml") and j.name == e.name[:-4] + ".json"):
                raise ValueError("%s: %s, %s is not a mail" % (path, e.name, j.name))
            rec = json.loads(t.extractfile(j).read())
            out.append((rec, t.extractfile(e).read()))
    return out


def read_spool(spool_dir, unpublished=False):
    """[(record dict, message bytes)] of every published mail of a spool."""
    return [m for p in segments(spool_dir, unpublished) for m in read_segment(p)]


def spool_mails(spool_dir):
    out = collections.Counter()
    meta = {}
    for m, eml in read_spool(spool_dir):
        digest = hashlib.sha256(eml).hexdigest()
        if m.get("sha256", hashlib.sha256(b"").hexdigest()) != digest:
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
    # flags that describe how a mail travelled, not a fault
    info = {"pipelined", "bdat", "bare_lf"}
    bad_flags = [m for m in meta.values()
                 if not m["complete"] or set(m["flags"]) - info]
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
