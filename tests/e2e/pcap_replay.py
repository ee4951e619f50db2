"""A tiny pcap reader and replayer for the telemetry test, independent of
mailtap's own decoder (so the test's counts of frames, sessions and bytes
are not mailtapd's).

As a script (run inside the test's network namespace):
    python3 pcap_replay.py FILE.pcap IFACE FIRST END
sends frames FIRST..END-1 of FILE.pcap on IFACE through an AF_PACKET socket
and prints how many it sent.
"""
import socket
import struct
import sys
import time


def frames(path):
    """Every frame of a classic pcap file, as bytes."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a pcap file" % path)
    off = 24
    out = []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        out.append(data[off:off + incl])
        off += incl
    return out


def tcp_of(frame):
    """(family, src, dst, sport, dport, flags, payload_len) of an Ethernet
    frame carrying TCP (VLAN tags skipped), or None."""
    off = 12
    etype = struct.unpack("!H", frame[off:off + 2])[0]
    off += 2
    while etype in (0x8100, 0x88a8):
        etype = struct.unpack("!H", frame[off + 2:off + 4])[0]
        off += 4
    if etype == 0x0800:
        ihl = (frame[off] & 15) * 4
        total = struct.unpack("!H", frame[off + 2:off + 4])[0]
        if frame[off + 9] != 6:
            return None
        src = socket.inet_ntop(socket.AF_INET, frame[off + 12:off + 16])
        dst = socket.inet_ntop(socket.AF_INET, frame[off + 16:off + 20])
        l4, l4_len, fam = off + ihl, total - ihl, 4
    elif etype == 0x86DD:
        plen = struct.unpack("!H", frame[off + 4:off + 6])[0]
        if frame[off + 6] != 6:     # the generator writes no extension headers
            return None
        src = socket.inet_ntop(socket.AF_INET6, frame[off + 8:off + 24])
        dst = socket.inet_ntop(socket.AF_INET6, frame[off + 24:off + 40])
        l4, l4_len, fam = off + 40, plen, 6
    else:
        return None
    sport, dport = struct.unpack("!HH", frame[l4:l4 + 4])
    doff = (frame[l4 + 12] >> 4) * 4
    flags = frame[l4 + 13]
    return fam, src, dst, sport, dport, flags, l4_len - doff


def endpoint(fam, addr, port):
    return ("[%s]:%d" if fam == 6 else "%s:%d") % (addr, port)


FIN, SYN, RST = 1, 2, 4


class Flow:
    def __init__(self):
        self.c2s = self.s2c = 0        # payload octets each way
        self.fin = [False, False]      # FIN seen from client, from server
        self.rst = False
        self.syn = False

    def cls(self):
        """mailtap's timeout class (lib/session mt_session_class)."""
        if self.rst or self.fin[0] or self.fin[1]:
            return "closing"
        if self.c2s == 0 and self.s2c == 0:
            return "handshake"
        return "established"


def flows_at(pkts, n, server_ports=(25,)):
    """{(client, server): Flow} after the first n frames."""
    out = {}
    for fr in pkts[:n]:
        t = tcp_of(fr)
        if t is None:
            continue
        fam, src, dst, sport, dport, flags, plen = t
        if dport in server_ports:
            key, c2s = (endpoint(fam, src, sport), endpoint(fam, dst, dport)), True
        elif sport in server_ports:
            key, c2s = (endpoint(fam, dst, dport), endpoint(fam, src, sport)), False
        else:
            continue
        f = out.setdefault(key, Flow())
        if flags & SYN:
            f.syn = True
        if flags & RST:
            f.rst = True
        if flags & FIN:
            f.fin[0 if c2s else 1] = True
        if c2s:
            f.c2s += plen
        else:
            f.s2c += plen
    return out


def replay(path, iface, first, end, pace_every=256, pace_s=0.002):
    pkts = frames(path)[first:end]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    sent = 0
    for i, fr in enumerate(pkts):
        for attempt in range(1000):
            try:
                s.send(fr)
                break
            except OSError:            # ENOBUFS: the queue is full, wait
                time.sleep(0.001)
        else:
            raise RuntimeError("cannot send frame %d" % (first + i))
        sent += 1
        if sent % pace_every == 0:
            time.sleep(pace_s)
    s.close()
    return sent


if __name__ == "__main__":
    print(replay(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
