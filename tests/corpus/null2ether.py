#!/usr/bin/env python3
"""null2ether.py - rewrite a DLT_NULL (BSD loopback) pcap as DLT_EN10MB.

    python3 tests/corpus/null2ether.py IN.pcap OUT.pcap

DPDK's net_pcap hands frames to mailtapd as Ethernet, so a loopback capture
must get an Ethernet header first.  Each record's 4-byte address-family
header is replaced by a 14-byte Ethernet header (zero MACs, EtherType
0x0800 or 0x86DD from the IP version nibble); timestamps and payloads are
kept.  Classic libpcap files only (either byte order, us or ns).
"""
import struct
import sys

DLT_NULL = 0
DLT_EN10MB = 1


def convert(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % src)
    vmaj, vmin, zone, sigfigs, snaplen, linktype = struct.unpack(e + "HHiIII", data[4:24])
    if linktype != DLT_NULL:
        raise ValueError("%s: link type %d, not DLT_NULL" % (src, linktype))
    out = [magic, struct.pack(e + "HHiIII", vmaj, vmin, zone, sigfigs, snaplen + 10, DLT_EN10MB)]
    off = 24
    while off + 16 <= len(data):
        ts_s, ts_u, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        body = data[off + 16:off + 16 + incl]
        if len(body) < incl:
            break  # truncated last record
        off += 16 + incl
        payload = body[4:]
        ver = payload[0] >> 4 if payload else 0
        etype = 0x86DD if ver == 6 else 0x0800
        frame = b"\x00" * 12 + struct.pack(">H", etype) + payload
        out.append(struct.pack(e + "IIII", ts_s, ts_u, len(frame), orig + 10))
        out.append(frame)
    with open(dst, "wb") as f:
        f.write(b"".join(out))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().split("\n")[2])
    convert(sys.argv[1], sys.argv[2])
