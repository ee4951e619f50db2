"""Write a capture of the six mail paths of the monitoring paper (MISSION.md,
Source 1) through two registered servers, and its ground truth.

Every mail crosses one SMTP hop per server it passes; each hop is a full
TCP connection (handshake, EHLO, MAIL, RCPT, DATA, QUIT, FIN) from the
hop's client to port 25 of its server.  A relay prepends a Received:
line, as MTAs do, so the copies of one mail differ from hop to hop.

    1 external -> server1                  EXT  -> REG1
    2 external -> server1 -> server2       EXT  -> REG1 -> REG2
    3 user -> server1 (local delivery)     USER -> REG1
    4 user -> server1 -> server2           USER -> REG1 -> REG2
    5 user -> server1 -> external          USER -> REG1 -> DST
    6 user -> server1 -> server2 -> ext.   USER -> REG1 -> REG2 -> DST

plus one connection between two outside hosts (EXT -> DST), which the
paper does not inspect.  Half the mails go over IPv4, half over IPv6.

write() returns the truth as a list of dicts, one per hop that carries a
mail; write_truth() stores a selection of them in the format of
tests/tools/compare_spool.py (truth.jsonl + the message files)."""
import ipaddress
import json
import os
import struct

V4 = {"EXT": "203.0.113.10", "DST": "198.51.100.20", "USER": "10.1.2.3",
      "REG1": "192.0.2.25", "REG2": "192.0.2.26"}
V6 = {"EXT": "2001:db8:ee::10", "DST": "2001:db8:dd::20", "USER": "2001:db8:1:2::3",
      "REG1": "2001:db8:2::19", "REG2": "2001:db8:2::1a"}
REGISTERED = {V4["REG1"], V4["REG2"], V6["REG1"], V6["REG2"]}

PATHS = [
    (1, ["EXT", "REG1"]),
    (2, ["EXT", "REG1", "REG2"]),
    (3, ["USER", "REG1"]),
    (4, ["USER", "REG1", "REG2"]),
    (5, ["USER", "REG1", "DST"]),
    (6, ["USER", "REG1", "REG2", "DST"]),
    (0, ["EXT", "DST"]),  # two outside hosts
]

MSS = 1400


def registered_keeps(client, server):
    """The paper's rule, written independently of lib/policy."""
    return server in REGISTERED and client not in REGISTERED


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class _Pcap:
    def __init__(self, f, t0):
        self.f = f
        self.t = t0 * 1000000
        self.ipid = 1
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))

    def tcp(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        s = ipaddress.ip_address(src).packed
        d = ipaddress.ip_address(dst).packed
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                          5 << 4, flags, 65535, 0, 0) + payload
        if len(s) == 4:
            pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp))
            tcp = tcp[:16] + struct.pack("!H", _csum(pseudo + tcp)) + tcp[18:]
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.ipid & 0xffff,
                             0x4000, 64, 6, 0, s, d)
            ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
            eth_type = b"\x08\x00"
        else:
            pseudo = s + d + struct.pack("!IxxxB", len(tcp), 6)
            tcp = tcp[:16] + struct.pack("!H", _csum(pseudo + tcp)) + tcp[18:]
            ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, s, d)
            eth_type = b"\x86\xdd"
        self.ipid += 1
        frame = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + eth_type + ip + tcp
        self.t += 50
        self.f.write(struct.pack("<IIII", self.t // 1000000, self.t % 1000000,
                                 len(frame), len(frame)))
        self.f.write(frame)


class _Conn:
    """One TCP connection; writes are split at MSS, ACK always set."""

    def __init__(self, pcap, cli, cport, srv, isn):
        self.p = pcap
        self.ends = [(cli, cport), (srv, 25)]
        self.nxt = [isn, isn ^ 0x5a5a5a5a]
        self.p.tcp(cli, srv, cport, 25, self.nxt[0], 0, 0x02)
        self.nxt[0] += 1
        self.p.tcp(srv, cli, 25, cport, self.nxt[1], self.nxt[0], 0x12)
        self.nxt[1] += 1
        self.p.tcp(cli, srv, cport, 25, self.nxt[0], self.nxt[1], 0x10)

    def send(self, side, data, flags=0x18):
        (a, ap), (b, bp) = self.ends[side], self.ends[1 - side]
        for i in range(0, len(data), MSS):
            seg = data[i:i + MSS]
            self.p.tcp(a, b, ap, bp, self.nxt[side], self.nxt[1 - side], flags, seg)
            self.nxt[side] += len(seg)

    def close(self):
        (c, cp), (s, sp) = self.ends
        self.p.tcp(c, s, cp, sp, self.nxt[0], self.nxt[1], 0x11)
        self.nxt[0] += 1
        self.p.tcp(s, c, sp, cp, self.nxt[1], self.nxt[0], 0x11)
        self.nxt[1] += 1
        self.p.tcp(c, s, cp, sp, self.nxt[0], self.nxt[1], 0x10)


def _message(path_no, n, fam, sender, rcpt):
    lines = [
        "From: <%s>" % sender,
        "To: <%s>" % rcpt,
        "Subject: path %d mail %d over IPv%d" % (path_no, n, fam),
        "Date: Mon, 01 Jan 2024 00:00:00 +0000",
        "Message-ID: <p%d.m%d.v%d@policy.example>" % (path_no, n, fam),
        "",
        "This mail takes path %d of the monitoring paper." % path_no,
        ".a line that starts with a dot (stuffed on the wire)",
    ] + ["line %d of the body: the quick brown fox jumps over the lazy dog" % i
         for i in range(40 + 30 * n)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _hop(pcap, conn_no, cli, srv, helo, sender, rcpt, msg):
    c = _Conn(pcap, cli, 40000 + conn_no, srv, 0x10000000 + conn_no * 7919)
    c.send(1, b"220 %s ESMTP\r\n" % srv.encode())
    c.send(0, b"EHLO %s\r\n" % helo.encode())
    c.send(1, b"250-%s\r\n250-PIPELINING\r\n250 8BITMIME\r\n" % srv.encode())
    c.send(0, b"MAIL FROM:<%s>\r\n" % sender.encode())
    c.send(1, b"250 2.1.0 Ok\r\n")
    c.send(0, b"RCPT TO:<%s>\r\n" % rcpt.encode())
    c.send(1, b"250 2.1.5 Ok\r\n")
    c.send(0, b"DATA\r\n")
    c.send(1, b"354 End data with <CR><LF>.<CR><LF>\r\n")
    wire = b"".join((b"." + ln if ln.startswith(b".") else ln)
                    for ln in msg.splitlines(keepends=True))
    c.send(0, wire + b".\r\n")
    c.send(1, b"250 2.0.0 Ok: queued as P%05d\r\n" % conn_no)
    c.send(0, b"QUIT\r\n")
    c.send(1, b"221 2.0.0 Bye\r\n")
    c.close()
    return 40000 + conn_no


def write(path, mails_per_path=2, t0=1704067200):
    """Write the capture; returns one truth dict per hop."""
    truth = []
    conn_no = 0
    with open(path, "wb") as f:
        pcap = _Pcap(f, t0)
        for path_no, nodes in PATHS:
            for n in range(mails_per_path):
                fam = 4 if n % 2 == 0 else 6
                addr = V4 if fam == 4 else V6
                sender = "sender%d.%d@%s" % (path_no, n, "user.example" if nodes[0] == "USER"
                                              else "outside.example")
                rcpt = "rcpt%d.%d@example.net" % (path_no, n)
                base = _message(path_no, n, fam, sender, rcpt)
                for h in range(len(nodes) - 1):
                    cli, srv = addr[nodes[h]], addr[nodes[h + 1]]
                    # each relay adds its Received: line on top
                    received = b"".join(
                        b"Received: from %s by %s with ESMTP\r\n"
                        % (addr[nodes[i - 1]].encode(), addr[nodes[i]].encode())
                        for i in range(h, 0, -1))
                    msg = received + base
                    cport = _hop(pcap, conn_no, cli, srv, nodes[h].lower() + ".example",
                                 sender, rcpt, msg)
                    conn_no += 1
                    truth.append({"path": path_no, "mail": n, "hop": h + 1, "family": fam,
                                  "message_id": "<p%d.m%d.v%d@policy.example>" % (path_no, n, fam),
                                  "client": cli, "client_port": cport, "server": srv,
                                  "server_port": 25, "mail_from": sender, "rcpt_to": [rcpt],
                                  "outcome": "accepted", "message": msg})
    return truth


def write_truth(truth, d):
    """compare_spool.py's truth directory for the given hops."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "truth.jsonl"), "w") as f:
        for i, t in enumerate(truth):
            name = "m%06d.eml" % i
            with open(os.path.join(d, name), "wb") as m:
                m.write(t["message"])
            rec = {k: v for k, v in t.items() if k != "message"}
            rec["file"] = name
            f.write(json.dumps(rec) + "\n")
    return d
