"""fp_pcap.py - helpers for the passive fingerprint tests (test_fp_passive.py).

- Writer: TCP sessions (handshake, alternating segments, FINs) into a
  pcap file (Ethernet/IPv4), checksums right, timestamps 1 ms apart.
- Reader: a pcap's TCP connections, each server's replies in order
  (reassembled by sequence number, split into SMTP replies).
- The probe dialogue: the commands lib/probe sends, and a fixture
  (tests/fp/fixtures) turned into per-connection reply lists.
- Replay: a loopback server that answers each command line of connection
  i with the next reply recorded for connection i, so `mailtap probe` sees
  the same dialogue the capture holds.

Nothing here sends a packet anywhere but 127.0.0.0/8; every loop is bounded.
"""
import socket
import struct
import threading

PROBE_CONN1 = [b"EHLO probe.invalid", b"HELP", b"RCPT TO:<probe@example.com>",
               b"MAIL FROM:<bad", b"XYZZY", b"QUIT"]
PROBE_CONN2 = [b"HE\0LO probe.invalid", b"NOOP " + b"A" * 1100, b"QUIT"]
OBS_CONN1 = ["banner", "ehlo", "help", "rcpt_first", "mail_bad", "unknown", "quit"]
OBS_CONN2 = ["banner2", "nul", "long", "quit2"]


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Pcap:
    """A pcap file being written (Ethernet, IPv4, microsecond times)."""

    def __init__(self, path, t0=1795000000.0):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        self.t = t0
        self.ipid = 0

    def packet(self, src, sport, dst, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                          5 << 4, flags, 65535, 0, 0) + payload
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", _csum(pseudo + tcp)) + tcp[18:]
        self.ipid = (self.ipid + 1) & 0xffff
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.ipid, 0x4000, 64, 6, 0,
                         src, dst)
        ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
        frame = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + tcp
        self.t += 0.001
        sec = int(self.t)
        self.f.write(struct.pack("<IIII", sec, int((self.t - sec) * 1e6), len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


class Conn:
    """One TCP connection in a Pcap: client cli:cport to server srv:sport
    (addresses as 4 bytes)."""

    def __init__(self, pcap, cli, cport, srv, sport, isn=1000):
        self.p, self.cli, self.cport, self.srv, self.sport = pcap, cli, cport, srv, sport
        self.cseq, self.sseq = isn, isn * 7 + 1
        self.p.packet(cli, cport, srv, sport, self.cseq, 0, 0x02)
        self.p.packet(srv, sport, cli, cport, self.sseq, self.cseq + 1, 0x12)
        self.cseq += 1
        self.sseq += 1
        self.p.packet(cli, cport, srv, sport, self.cseq, self.sseq, 0x10)

    def c2s(self, data, mss=1400):
        for i in range(0, len(data), mss):
            seg = data[i:i + mss]
            self.p.packet(self.cli, self.cport, self.srv, self.sport, self.cseq, self.sseq,
                          0x18, seg)
            self.cseq += len(seg)

    def s2c(self, data, mss=1400):
        for i in range(0, len(data), mss):
            seg = data[i:i + mss]
            self.p.packet(self.srv, self.sport, self.cli, self.cport, self.sseq, self.cseq,
                          0x18, seg)
            self.sseq += len(seg)

    def close(self, server_first=False):
        a = (self.srv, self.sport, self.cli, self.cport, "s")
        b = (self.cli, self.cport, self.srv, self.sport, "c")
        for src, sp, dst, dp, who in ((a, b) if server_first else (b, a)):
            if who == "s":
                self.p.packet(src, sp, dst, dp, self.sseq, self.cseq, 0x11)
                self.sseq += 1
            else:
                self.p.packet(src, sp, dst, dp, self.cseq, self.sseq, 0x11)
                self.cseq += 1
        self.p.packet(self.cli, self.cport, self.srv, self.sport, self.cseq, self.sseq, 0x10)


def unescape(text):
    """Fixture text (printable form) -> raw octets: \\0 NUL, \\xHH."""
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1:i + 2] == "0":
            out.append(0)
            i += 2
        elif text[i] == "\\" and text[i + 1:i + 2] == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            out += text[i].encode("latin-1")
            i += 1
    return bytes(out)


def fixture_replies(path):
    """A fixture -> {obs: (raw reply with CR LF, or None when the server
    hung up / never answered)}; !slow is dropped (the reply came)."""
    obs, cur = {}, None
    for line in open(path, encoding="latin-1").read().split("\n"):
        if line.startswith("[") and line.endswith("]"):
            cur = line[1:-1]
            obs[cur] = []
        elif cur is not None and line in ("!closed", "!timeout"):
            obs[cur] = None
        elif cur is not None and line.startswith("!"):
            continue   # !slow: it did reply (a replay cannot be slow)
        elif cur is not None and line and obs[cur] is not None:
            obs[cur].append(unescape(line))
    return {k: (b"".join(l + b"\r\n" for l in v) if v else None) for k, v in obs.items()}


def dialogues_from_fixture(path):
    """[[greeting, reply, ...] per connection]: the probe's two
    connections, each cut at the first reply that never came."""
    rep = fixture_replies(path)
    out = []
    for names in (OBS_CONN1, OBS_CONN2):
        d = []
        for n in names:
            if rep.get(n) is None:
                break
            d.append(rep[n])
        out.append(d)
    return out


def write_probe_sessions(pcap, srv, sport, dialogues, cli=b"\x7f\0\0\x01", cport=40000):
    """The probe dialogue as seen on the wire: connection i sends
    PROBE_CONN<i> and gets dialogues[i]'s replies (greeting first)."""
    for i, (cmds, reps) in enumerate(zip((PROBE_CONN1, PROBE_CONN2), dialogues)):
        c = Conn(pcap, cli, cport + i, srv, sport, isn=1000 + 100000 * i)
        if reps:
            c.s2c(reps[0])
        for cmd, r in zip(cmds, reps[1:]):
            c.c2s(cmd + b"\r\n")
            c.s2c(r)
        c.close(server_first=len(reps) <= len(cmds))


# ---- reading captures --------------------------------------------------

def read_pcap(path):
    """[(ts, frame bytes)] of a pcap (Ethernet or raw IP)."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype = struct.unpack(e + "I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        out.append((sec + frac / 1e6, linktype, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def tcp_of(linktype, frame):
    """(src, sport, dst, dport, seq, flags, payload) or None."""
    if linktype == 1:
        et, p = struct.unpack("!H", frame[12:14])[0], 14
        while et == 0x8100:
            et, p = struct.unpack("!H", frame[p + 2:p + 4])[0], p + 4
    elif linktype == 113:
        et, p = struct.unpack("!H", frame[14:16])[0], 16
    elif linktype in (101, 12):
        et, p = (0x0800 if frame[0] >> 4 == 4 else 0x86dd), 0
    else:
        return None
    if et == 0x0800:
        ihl = (frame[p] & 15) * 4
        tot = struct.unpack("!H", frame[p + 2:p + 4])[0]
        if frame[p + 9] != 6:
            return None
        src, dst, l4, end = frame[p + 12:p + 16], frame[p + 16:p + 20], p + ihl, p + tot
    elif et == 0x86dd:
        if frame[p + 6] != 6:
            return None
        plen = struct.unpack("!H", frame[p + 4:p + 6])[0]
        src, dst, l4, end = frame[p + 8:p + 24], frame[p + 24:p + 40], p + 40, p + 40 + plen
    else:
        return None
    sport, dport, seq, _, doff, flags = struct.unpack("!HHIIBB", frame[l4:l4 + 14])
    return src, sport, dst, dport, seq, flags, frame[l4 + (doff >> 4) * 4:end]


def split_replies(data):
    """SMTP replies (each with its lines and CR LF) of a server stream."""
    out, cur = [], b""
    for line in data.split(b"\n"):
        if not line and not cur:
            continue
        cur += line + b"\n"
        body = line.rstrip(b"\r")
        if len(body) < 4 or body[3:4] != b"-":
            out.append(cur)
            cur = b""
    return out


def server_dialogues(path):
    """{(server addr bytes, port): [[replies of conn 1], [conn 2], ...]}
    in the order the connections started."""
    conns, order = {}, []
    for ts, lt, fr in read_pcap(path):
        t = tcp_of(lt, fr)
        if t is None:
            continue
        src, sport, dst, dport, seq, flags, pl = t
        if flags & 0x12 == 0x02:   # SYN: client -> server
            key = (dst, dport, src, sport)
            if key not in conns:
                conns[key] = {"isn": None, "segs": {}}
                order.append(key)
            continue
        if flags & 0x12 == 0x12:   # SYN-ACK: server's ISN
            key = (src, sport, dst, dport)
            if key in conns:
                conns[key]["isn"] = seq
            continue
        key = (src, sport, dst, dport)
        if key in conns and pl and conns[key]["isn"] is not None:
            off = (seq - conns[key]["isn"] - 1) & 0xffffffff
            conns[key]["segs"].setdefault(off, pl)
    out = {}
    for key in order:
        data, at = b"", 0
        for off in sorted(conns[key]["segs"]):
            seg = conns[key]["segs"][off]
            if off + len(seg) <= at:
                continue
            data += seg[max(0, at - off):]
            at = off + len(seg)
        out.setdefault(key[:2], []).append(split_replies(data))
    return out


# ---- replaying a server ------------------------------------------------

class Replay:
    """A loopback server at (addr, port) playing recorded dialogues: the
    i-th connection gets dialogues[i] (the last one again after that).
    Each command line gets the next reply; out of replies, it hangs up."""

    def __init__(self, addr, dialogues, timeout=20.0):
        self.dialogues = dialogues
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 0))
        self.sock.listen(4)
        self.sock.settimeout(timeout)
        self.addr, self.port = self.sock.getsockname()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for i in range(max(2, len(self.dialogues))):   # bounded: the probe makes 2
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                c.settimeout(20.0)
                self._serve(c, self.dialogues[min(i, len(self.dialogues) - 1)])

    @staticmethod
    def _serve(c, replies):
        try:
            if replies:
                c.sendall(replies[0])
            buf = b""
            for r in replies[1:]:
                while b"\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                buf = buf.split(b"\n", 1)[1]
                c.sendall(r)
        except OSError:
            return

    def close(self):
        self.sock.close()
        self.thread.join(timeout=30)
