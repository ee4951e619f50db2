#!/usr/bin/env python3
"""Validate an mtgen ground-truth directory (and optionally its pcap).

usage: check_truth.py DIR [--pcap FILE] [-q]

DIR checks: truth.jsonl is well formed, "n" runs 0,1,2,..., every record's
.eml exists with exactly "size" bytes, CRLF-only line ends, lines <= 998
bytes, ends with CRLF; the number of mNNNNNN.eml files equals the number of
records; summary.json totals agree; each session has one (client, port).

--pcap FILE additionally re-derives every mail from the capture on its own
(Ethernet/802.1Q/IPv4/IPv6/TCP parser, IP and TCP checksums, in-order
sequence numbers, commands paired with replies, DATA un-dot-stuffed) and
checks that it equals the truth: same mails, same bytes, same envelope.

With impairments (summary.json has "impairments"), --pcap instead reassembles
both directions of every connection out of order with first data wins
(checksums and time stamps still checked, no seq/ack continuity), counts
the segments whose overlap disagrees with earlier data (must equal
overlapped_packets), and for every transaction of the truth looks at its
c2s_seq/s2c_seq ranges: an unaffected one must be fully present and replay
to exactly its .eml, envelope and ts_us; an affected one must really miss
bytes (missing_bytes exactly the client bytes absent, unless it began before
a mid-stream cut; nothing at all present when midstream_cut).

With --paths (summary.json options "paths"), DIR checks also: every mail
has the hops of its path (1 + path_mail mod 6), one record per hop, each
hop's client is the previous hop's server, exactly one hop passes the
registered rule (client not in, server in {192.0.2.25, 192.0.2.26,
2001:db8:2::19, 2001:db8:2::1a}) and it is the one marked registered_keeps
and kept_hop, and a relay hop's message is the previous hop's message with
one Received: header on top.

Exit status 0 if everything holds, 1 otherwise (problems on stderr).
"""

import argparse
import array
import bisect
import json
import os
import re
import struct
import sys

REQUIRED = ("n", "session", "client", "client_port", "server",
            "server_port", "helo", "mail_from", "rcpt_to", "rcpt_rejected",
            "outcome", "size", "file")
IMPAIRED = ("affected", "missing_bytes", "midstream", "midstream_cut",
            "c2s_seq", "s2c_seq")

errors = []


def err(msg):
    errors.append(msg)
    if len(errors) <= 20:
        print("check_truth: " + msg, file=sys.stderr)


def check_eml(path, size, name):
    try:
        data = open(path, "rb").read()
    except OSError as e:
        err("%s: %s" % (name, e))
        return None
    if len(data) != size:
        err("%s: size %d, truth says %d" % (name, len(data), size))
    if not data.endswith(b"\r\n"):
        err("%s: does not end with CRLF" % name)
    if data.count(b"\n") != data.count(b"\r\n") or \
            data.count(b"\r") != data.count(b"\r\n"):
        err("%s: bare CR or LF" % name)
    if any(len(l) > 998 for l in data.split(b"\r\n")):
        err("%s: line longer than 998 bytes" % name)
    if b"\r\n\r\n" not in data:
        err("%s: no header/body separator" % name)
    return data


def check_dir(d):
    recs = []
    with open(os.path.join(d, "truth.jsonl"), "rb") as f:
        for i, line in enumerate(f):
            try:
                r = json.loads(line)
            except ValueError as e:
                err("truth.jsonl:%d: bad JSON: %s" % (i + 1, e))
                continue
            miss = [k for k in REQUIRED if k not in r]
            if miss:
                err("truth.jsonl:%d: missing %s" % (i + 1, ", ".join(miss)))
                continue
            recs.append(r)
    total = 0
    tuples = {}
    last_ts = None
    for i, r in enumerate(recs):
        if r["n"] != i:
            err("record %d has n=%r" % (i, r["n"]))
        if r["file"] != "m%06d.eml" % r["n"]:
            err("record %d: file %r" % (i, r["file"]))
        if r["outcome"] != "accepted":
            err("record %d: outcome %r" % (i, r["outcome"]))
        if not r["rcpt_to"]:
            err("record %d: no accepted recipient" % i)
        if r["server_port"] != 25:
            err("record %d: server_port %r" % (i, r["server_port"]))
        ts = r.get("ts")
        if ts is not None and last_ts is not None and ts < last_ts:
            err("record %d: ts goes backwards" % i)
        last_ts = ts
        key = (r["client"], r["client_port"], r["server"])
        if tuples.setdefault(r["session"], key) != key:
            err("session %d uses two tuples" % r["session"])
        check_eml(os.path.join(d, r["file"]), r["size"], r["file"])
        total += r["size"]
    if len(set(tuples.values())) != len(tuples):
        err("two sessions share a (client, port, server) tuple")
    emls = [f for f in os.listdir(d) if re.fullmatch(r"m\d{6,}\.eml", f)]
    if len(emls) != len(recs):
        err("%d .eml files but %d truth records" % (len(emls), len(recs)))
    rej = []
    rp = os.path.join(d, "rejected.jsonl")
    if os.path.exists(rp):
        with open(rp, "rb") as f:
            rej = [json.loads(l) for l in f]
        for r in rej:
            if r.get("rcpt_to") or r.get("outcome") != "no_valid_rcpt":
                err("rejected.jsonl: bad record %r" % r)
    sp = os.path.join(d, "summary.json")
    if os.path.exists(sp):
        s = json.load(open(sp))
        if s.get("mails") != len(recs):
            err("summary mails %r != %d" % (s.get("mails"), len(recs)))
        if s.get("mail_bytes") != total:
            err("summary mail_bytes %r != %d" % (s.get("mail_bytes"), total))
        if "rejected_transactions" in s and \
                s["rejected_transactions"] != len(rej):
            err("summary rejected %r != %d" %
                (s["rejected_transactions"], len(rej)))
    else:
        err("summary.json missing")
    return recs, rej


# ---------------------------------------------------------------- pcap ---

def csum_ok(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(array.array("H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def ntop(b):
    import ipaddress
    return str(ipaddress.ip_address(b))


def read_pcap(path):
    """Yield (ts_us, src, sport, dst, dport, seq, ack, flags, payload)."""
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack_from("<I", data, 0)
    if magic != 0xA1B2C3D4:
        raise SystemExit("check_truth: %s: not a LE microsecond pcap" % path)
    linktype, = struct.unpack_from("<I", data, 20)
    if linktype != 1:
        raise SystemExit("check_truth: %s: linktype %d" % (path, linktype))
    off, n, last = 24, 0, -1
    while off < len(data):
        sec, usec, cl, ol = struct.unpack_from("<IIII", data, off)
        pkt = data[off + 16:off + 16 + cl]
        off += 16 + cl
        n += 1
        ts = sec * 1000000 + usec
        if ts <= last:
            err("frame %d: time stamp not increasing" % n)
        last = ts
        if cl != ol:
            err("frame %d: truncated" % n)
        et, = struct.unpack_from("!H", pkt, 12)
        p = 14
        if et == 0x8100:
            et, = struct.unpack_from("!H", pkt, 16)
            p = 18
        if et == 0x0800:
            ihl = (pkt[p] & 15) * 4
            tot, = struct.unpack_from("!H", pkt, p + 2)
            if not csum_ok(pkt[p:p + ihl]):
                err("frame %d: bad IPv4 checksum" % n)
            if pkt[p + 9] != 6:
                err("frame %d: not TCP" % n)
                continue
            src, dst = pkt[p + 12:p + 16], pkt[p + 16:p + 20]
            tcp = pkt[p + ihl:p + tot]
            pseudo = src + dst + struct.pack("!HH", 6, len(tcp))
        elif et == 0x86DD:
            plen, nh = struct.unpack_from("!HB", pkt, p + 4)
            if nh != 6:
                err("frame %d: not TCP" % n)
                continue
            src, dst = pkt[p + 8:p + 24], pkt[p + 24:p + 40]
            tcp = pkt[p + 40:p + 40 + plen]
            pseudo = src + dst + struct.pack("!II", len(tcp), 6)
        else:
            err("frame %d: ethertype %#x" % (n, et))
            continue
        if not csum_ok(pseudo + tcp):
            err("frame %d: bad TCP checksum" % n)
        sport, dport, seq, ack, doff, flags = \
            struct.unpack_from("!HHIIBB", tcp, 0)
        yield (ts, ntop(src), sport, ntop(dst), dport, seq, ack, flags,
               tcp[(doff >> 4) * 4:])


def parse_replies(b):
    """Split a server stream into replies (code, text, end offset)."""
    out, cur, off = [], [], 0
    for line in b.split(b"\r\n")[:-1]:
        cur.append(line)
        off += len(line) + 2
        if len(line) < 4 or line[3:4] != b"-":
            out.append((int(line[:3]), b"\r\n".join(cur), off))
            cur = []
    return out


def replay(c2s, s2c, exact=False):
    """Pair commands with replies; return the list of mails, each a dict.

    exact: every reply must be used (a transaction replayed on its own)."""
    reps = parse_replies(s2c)
    ri = 1                      # reply 0 is the greeting
    pos, mails = 0, []
    mail_from, rcpts, rej = None, [], []

    def reply():
        nonlocal ri
        if ri >= len(reps):
            raise ValueError("command without reply")
        ri += 1
        return reps[ri - 1][0]

    def reply_end():
        return reps[ri - 1][2]

    while pos < len(c2s):
        eol = c2s.index(b"\r\n", pos)
        cmd = c2s[pos:eol].decode("ascii")
        pos = eol + 2
        verb = cmd[:4].upper()
        code = reply()
        if verb == "MAIL":
            mail_from = re.match(r"MAIL FROM:<([^>]*)>", cmd).group(1)
            rcpts, rej = [], []
        elif verb == "RCPT":
            a = re.match(r"RCPT TO:<([^>]*)>", cmd).group(1)
            (rcpts if code == 250 else rej).append(a)
        elif verb == "DATA" and code == 354:
            end = c2s.find(b"\r\n.\r\n", pos - 2)
            if end < 0:
                raise ValueError("unterminated DATA")
            body = c2s[pos:end + 2]
            pos = end + 5
            body = b"\r\n".join(l[1:] if l.startswith(b".") else l
                                for l in body.split(b"\r\n"))
            if reply() == 250:
                mails.append({"mail_from": mail_from, "rcpt_to": rcpts,
                              "rcpt_rejected": rej, "data": body,
                              "end": reply_end()})
    if exact and ri != len(reps):
        raise ValueError("%d replies left over" % (len(reps) - ri))
    return mails


# ------------------------------------------------- impaired captures ---

class Stream:
    """One direction of a connection: first-data-wins, out-of-order
    reassembly over unwrapped sequence numbers, holes allowed."""

    def __init__(self):
        self.starts, self.ends, self.data, self.ts = [], [], [], []
        self.first = self.last = None
        self.conflicts = 0

    def unwrap(self, seq, ref):
        d = (seq - ref) & 0xFFFFFFFF
        if d >= 1 << 31:
            d -= 1 << 32
        return ref + d

    def add(self, seq, pl, ts):
        if self.last is None:
            a = self.first = seq
        else:
            a = self.unwrap(seq, self.last)
        self.last = a
        b = a + len(pl)
        st, en = self.starts, self.ends
        j = bisect.bisect_right(en, a)
        pos, new, conflict = a, [], False
        while pos < b:
            if j < len(st) and st[j] <= pos:
                e = min(en[j], b)
                if self.data[j][pos - st[j]:e - st[j]] != pl[pos - a:e - a]:
                    conflict = True
                pos = e
                j += 1
            else:
                e = min(st[j], b) if j < len(st) else b
                new.append((pos, e))
                pos = e
        self.conflicts += conflict
        for x, y in new:
            k = bisect.bisect_left(st, x)
            st.insert(k, x)
            en.insert(k, y)
            self.data.insert(k, pl[x - a:y - a])
            self.ts.insert(k, ts)

    def extract(self, a, b):
        """(bytes present in [a,b), bytes missing, latest first-seen ts)."""
        st, en = self.starts, self.ends
        j = bisect.bisect_right(en, a)
        pos, out, miss, mts = a, [], 0, None
        while pos < b:
            if j < len(st) and st[j] <= pos:
                e = min(en[j], b)
                out.append(self.data[j][pos - st[j]:e - st[j]])
                mts = self.ts[j] if mts is None else max(mts, self.ts[j])
                pos = e
                j += 1
            else:
                e = min(st[j], b) if j < len(st) else b
                miss += e - pos
                pos = e
        return b"".join(out), miss, mts


def check_pcap_impaired(path, d, recs, rej, imp):
    conns = {}
    for ts, src, sp, dst, dp, seq, ack, flags, pl in read_pcap(path):
        c2s = dp == 25
        key = (src, sp, dst) if c2s else (dst, dp, src)
        c = conns.get(key)
        if c is None:
            c = conns[key] = {"isn": [None, None],
                              "st": [Stream(), Stream()]}
        i = 0 if c2s else 1
        if flags & 0x02:
            if c["isn"][i] is not None and c["isn"][i] != seq:
                err("%s: second SYN with another ISN (tuple reused)" %
                    (key,))
            c["isn"][i] = seq
        if pl:
            c["st"][i].add(seq, pl, ts)
    conflicts = sum(s.conflicts for c in conns.values() for s in c["st"])
    if conflicts != imp.get("overlapped_packets"):
        err("%d segments disagree with earlier data, summary says %r "
            "overlapped" % (conflicts, imp.get("overlapped_packets")))
    bysess = {}
    for r in recs + rej:
        bysess.setdefault((r["client"], r["client_port"], r["server"]),
                          []).append(r)
    nmail = naff = 0
    for key, rs in bysess.items():
        c = conns.get(key)
        if c is None:
            err("%s: in truth but not in the capture" % (key,))
            continue
        rs.sort(key=lambda r: r["mail_in_session"])
        ref = [s.first for s in c["st"]]
        for r in rs:
            name = r.get("file", "rejected %d" % r["n"])
            miss = []
            got = []
            for i, k in ((0, "c2s_seq"), (1, "s2c_seq")):
                a0, b0 = r[k]
                a = a0 if ref[i] is None else c["st"][i].unwrap(a0, ref[i])
                b = a + ((b0 - a0) & 0xFFFFFFFF)
                ref[i] = b
                got.append(c["st"][i].extract(a, b) + (b - a, a))
            (cd, cmiss, cts, clen, ca), (sd, smiss, sts, slen, _) = got
            if not r["affected"]:
                if r["missing_bytes"] or r["midstream"] or \
                        r["midstream_cut"]:
                    err("%s: unaffected but missing_bytes/midstream set" %
                        name)
                if cmiss or smiss:
                    err("%s: unaffected, yet %d c2s and %d s2c bytes are "
                        "not on the capture" % (name, cmiss, smiss))
                    continue
                try:
                    mails = replay(cd, b"220 x\r\n" + sd, exact=True)
                except (ValueError, AttributeError) as e:
                    err("%s: cannot replay the transaction: %s" % (name, e))
                    continue
                if r["outcome"] != "accepted":
                    if mails:
                        err("%s: a mail on the wire" % name)
                    continue
                nmail += 1
                if len(mails) != 1:
                    err("%s: %d mails in the transaction" % (name,
                                                            len(mails)))
                    continue
                m = mails[0]
                data = open(os.path.join(d, r["file"]), "rb").read()
                if m["data"] != data:
                    err("%s: reassembled bytes differ from truth" % name)
                for k in ("mail_from", "rcpt_to", "rcpt_rejected"):
                    if m[k] != r[k]:
                        err("%s: %s %r on wire, %r in truth" %
                            (name, k, m[k], r[k]))
                if max(cts, sts) != r["ts_us"]:
                    err("%s: ts_us %d, complete on the capture at %d" %
                        (name, r["ts_us"], max(cts, sts)))
                continue
            naff += r["outcome"] == "accepted"
            if r["midstream_cut"]:
                if not r["midstream"] or cmiss != clen or smiss != slen:
                    err("%s: midstream_cut, yet %d+%d bytes captured" %
                        (name, clen - cmiss, slen - smiss))
            elif r["midstream"]:
                if c["st"][0].extract(ca, ca + 1)[1] != 1 or \
                        cmiss < r["missing_bytes"]:
                    err("%s: midstream, but its start is captured or "
                        "fewer than missing_bytes are absent" % name)
            elif cmiss != r["missing_bytes"] or cmiss + smiss == 0:
                err("%s: affected, missing_bytes %d; %d c2s and %d s2c bytes "
                    "absent" % (name, r["missing_bytes"], cmiss, smiss))
    if naff != imp.get("affected_mails"):
        err("%d affected mails in truth, summary says %r" %
            (naff, imp.get("affected_mails")))
    return len(conns), nmail


def check_pcap(path, d, recs):
    conns = {}
    for ts, src, sp, dst, dp, seq, ack, flags, pl in read_pcap(path):
        c2s = dp == 25
        key = (src, sp, dst) if c2s else (dst, dp, src)
        c = conns.get(key)
        if flags & 0x02:                                  # SYN
            if c2s:
                if c is not None:
                    err("%s: second SYN (tuple reused)" % (key,))
                c = conns[key] = {"nxt": [seq + 1, None],
                                  "buf": [bytearray(), bytearray()],
                                  "s2c_ends": [], "s2c_ts": []}
            else:
                c["nxt"][1] = seq + 1
            continue
        if c is None:
            err("%s: packet before SYN" % (key,))
            continue
        i = 0 if c2s else 1
        if seq != c["nxt"][i]:
            err("%s: seq %d, expected %d" % (key, seq, c["nxt"][i]))
        if (flags & 0x10) and ack != c["nxt"][1 - i]:
            err("%s: ack %d, expected %d" % (key, ack, c["nxt"][1 - i]))
        c["buf"][i] += pl
        if pl and not c2s:
            c["s2c_ends"].append(len(c["buf"][1]))
            c["s2c_ts"].append(ts)
        c["nxt"][i] = (seq + len(pl) + (flags & 1)) & 0xFFFFFFFF
    bysess = {}
    for r in recs:
        bysess.setdefault((r["client"], r["client_port"], r["server"]),
                          []).append(r)
    nmail = 0
    for key, c in conns.items():
        try:
            mails = replay(bytes(c["buf"][0]), bytes(c["buf"][1]))
        except (ValueError, AttributeError) as e:
            err("%s: cannot replay SMTP: %s" % (key, e))
            continue
        want = sorted(bysess.pop(key, []),
                      key=lambda r: r.get("mail_in_session", r["n"]))
        if len(mails) != len(want):
            err("%s: %d mails on the wire, %d in truth" %
                (key, len(mails), len(want)))
        for m, r in zip(mails, want):
            nmail += 1
            data = open(os.path.join(d, r["file"]), "rb").read()
            if m["data"] != data:
                err("%s: wire bytes differ from truth" % r["file"])
            j = bisect.bisect_left(c["s2c_ends"], m["end"])
            if "ts_us" in r and r["ts_us"] != c["s2c_ts"][j]:
                err("%s: ts_us %d, final 250 seen at %d" %
                    (r["file"], r["ts_us"], c["s2c_ts"][j]))
            for k in ("mail_from", "rcpt_to", "rcpt_rejected"):
                if m[k] != r[k]:
                    err("%s: %s %r on wire, %r in truth" %
                        (r["file"], k, m[k], r[k]))
    for key in bysess:
        err("%s: in truth but not in the capture" % (key,))
    return len(conns), nmail


PATH_HOPS = {1: 1, 2: 2, 3: 1, 4: 2, 5: 2, 6: 3}
PATH_REG = {"192.0.2.25", "192.0.2.26", "2001:db8:2::19", "2001:db8:2::1a"}


def check_paths(d, recs, nmails):
    """The --paths fields (see the module text)."""
    by = {}
    for r in recs:
        if not all(k in r for k in ("path", "path_mail", "hop", "hops",
                                     "kept_hop", "registered_keeps")):
            err("record %r lacks the --paths fields" % r.get("n"))
            return
        by.setdefault(r["path_mail"], []).append(r)
    if sorted(by) != list(range(nmails)):
        err("--paths: %d mails in truth, %d asked" % (len(by), nmails))
    for m, hops in sorted(by.items()):
        hops.sort(key=lambda r: r["hop"])
        path = hops[0]["path"]
        if path != 1 + m % 6 or len(hops) != PATH_HOPS[path] or \
                [r["hop"] for r in hops] != list(range(len(hops))):
            err("mail %d: path %d, hops %r" % (m, path, [r["hop"] for r in hops]))
            continue
        kept = [r["hop"] for r in hops
                if r["server"] in PATH_REG and r["client"] not in PATH_REG]
        marked = [r["hop"] for r in hops if r["registered_keeps"]]
        if len(kept) != 1 or marked != kept or \
                any(r["kept_hop"] != kept[0] for r in hops):
            err("mail %d: rule keeps hops %r, truth marks %r" % (m, kept, marked))
        for a, b in zip(hops, hops[1:]):
            if b["client"] != a["server"]:
                err("mail %d hop %d: client %s, previous server %s" %
                    (m, b["hop"], b["client"], a["server"]))
            pa = open(os.path.join(d, a["file"]), "rb").read()
            pb = open(os.path.join(d, b["file"]), "rb").read()
            head = pb[:len(pb) - len(pa)]
            if not pb.endswith(pa) or not head.startswith(b"Received: ") or \
                    b"\r\n" in head.replace(b"\r\n\t", b"")[:-2]:
                err("mail %d hop %d: not the previous hop's message under "
                    "one Received: header" % (m, b["hop"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--pcap")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()
    try:
        recs, rej = check_dir(a.dir)
        msg = "%d mails, %d rejected transactions" % (len(recs), len(rej))
        imp = None
        sp = os.path.join(a.dir, "summary.json")
        if os.path.exists(sp):
            summ = json.load(open(sp))
            imp = summ.get("impairments")
            if summ.get("options", {}).get("paths"):
                check_paths(a.dir, recs, summ.get("path_mails", 0))
                msg += ", %d along the six paths" % summ.get("path_mails", 0)
        if imp is not None:
            for r in recs + rej:
                if not all(k in r for k in IMPAIRED):
                    err("record %r lacks %s" % (r.get("n"),
                                                ", ".join(IMPAIRED)))
                    break
            msg += " (%d affected)" % sum(r.get("affected", 0) for r in recs)
        if a.pcap and imp is not None and not errors:
            nconn, nmail = check_pcap_impaired(a.pcap, a.dir, recs, rej, imp)
            msg += "; pcap: %d connections, %d unaffected mails " \
                "reassembled exactly" % (nconn, nmail)
        elif a.pcap:
            nconn, nmail = check_pcap(a.pcap, a.dir, recs)
            msg += "; pcap: %d connections, %d mails matched" % (nconn, nmail)
    except OSError as e:
        err(str(e))
    if errors:
        print("check_truth: FAILED, %d problem(s)" % len(errors),
              file=sys.stderr)
        return 1
    if not a.quiet:
        print("check_truth: OK: " + msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
