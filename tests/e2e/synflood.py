"""Write a pcap of TCP SYNs from n distinct clients to port 25 (a SYN
flood, or a scan): each SYN opens a connection that never carries data."""
import struct


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def write(path, n, server=b"\xc0\x00\x02\x19", t0=1704067200):
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            # 203.0.x.y (documentation range 203.0.113.0/24 widened to a
            # /16 for distinct clients: the capture never reaches a network)
            cli = bytes([203, 0]) + struct.pack("!H", i & 0xffff)
            sport = 1024 + (i >> 16) % 60000
            tcp = struct.pack("!HHIIBBHHH", sport, 25, i * 7919 & 0xffffffff, 0, 5 << 4, 0x02, 65535, 0, 0)
            pseudo = cli + server + struct.pack("!BBH", 0, 6, len(tcp))
            tcp = tcp[:16] + struct.pack("!H", _csum(pseudo + tcp)) + tcp[18:]
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0x4000, 64,
                             6, 0, cli, server)
            ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
            frame = eth + ip + tcp
            ts = t0 + i // 100000
            f.write(struct.pack("<IIII", ts, i % 100000 * 10, len(frame), len(frame)))
            f.write(frame)
