"""Write a capture of SMTP mails with known content for the scan tests:
a multipart mail whose base64 attachment holds the EICAR test string, the
string split across TCP segments and across base64 line boundaries, plus a
clean mail.  Reuses the pcap/TCP writer of policy_paths.py."""
import base64

from policy_paths import _Conn, _Pcap

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
CLI, SRV = "203.0.113.10", "192.0.2.25"


def _b64_lines(data, width):
    enc = base64.b64encode(data)
    return b"".join(enc[i:i + width] + b"\r\n" for i in range(0, len(enc), width))


def eicar_message(filename="eicar.com", prefix=b"", width=20):
    """A multipart/mixed mail, the EICAR string inside a base64 attachment
    (short lines, so the string crosses several base64 line breaks)."""
    payload = prefix + EICAR + b"\r\n"
    return (b"From: <alice@outside.example>\r\n"
            b"To: <bob@example.net>\r\n"
            b"Subject: scan test\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"BOUNDARY-x1\"\r\n"
            b"\r\n"
            b"--BOUNDARY-x1\r\n"
            b"Content-Type: text/plain\r\n"
            b"\r\n"
            b"Please find the file attached.\r\n"
            b"--BOUNDARY-x1\r\n"
            b"Content-Type: application/octet-stream; name=\"" + filename.encode() + b"\"\r\n"
            b"Content-Disposition: attachment; filename=\"" + filename.encode() + b"\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"\r\n" + _b64_lines(payload, width) +
            b"--BOUNDARY-x1--\r\n")


def clean_message():
    return (b"From: <carol@outside.example>\r\n"
            b"To: <bob@example.net>\r\n"
            b"Subject: lunch\r\n"
            b"\r\n"
            b"See you at noon.\r\n")


def _send_split(c, side, data, cuts):
    """Send data in segments cut at the given offsets."""
    last = 0
    for k in sorted(cuts) + [len(data)]:
        if k > last:
            c.send(side, data[last:k])
            last = k


def _mail(pcap, n, msg, cuts, sender="alice@outside.example", rcpt="bob@example.net",
          bdat=False):
    c = _Conn(pcap, CLI, 41000 + n, SRV, 0x20000000 + n * 7919)
    c.send(1, b"220 mx.example.net ESMTP\r\n")
    c.send(0, b"EHLO client.outside.example\r\n")
    c.send(1, b"250-mx.example.net\r\n250 8BITMIME\r\n")
    c.send(0, b"MAIL FROM:<%s>\r\n" % sender.encode())
    c.send(1, b"250 2.1.0 Ok\r\n")
    c.send(0, b"RCPT TO:<%s>\r\n" % rcpt.encode())
    c.send(1, b"250 2.1.5 Ok\r\n")
    if bdat:
        # CHUNKING (RFC 3030): one BDAT chunk per piece, cut at the cuts
        pieces, last = [], 0
        for k in sorted(cuts) + [len(msg)]:
            if k > last:
                pieces.append(msg[last:k])
                last = k
        for i, piece in enumerate(pieces):
            lst = b" LAST" if i == len(pieces) - 1 else b""
            c.send(0, b"BDAT %d%s\r\n" % (len(piece), lst) + piece)
            c.send(1, b"250 2.0.0 %d octets received\r\n" % len(piece))
    else:
        c.send(0, b"DATA\r\n")
        c.send(1, b"354 go ahead\r\n")
        _send_split(c, 0, msg + b".\r\n", cuts)
        c.send(1, b"250 2.0.0 Ok: queued\r\n")
    c.send(0, b"QUIT\r\n")
    c.send(1, b"221 2.0.0 Bye\r\n")
    c.close()
    return 41000 + n


def eicar_cut_points(msg):
    """Offsets inside the base64 text of the EICAR string: in the middle
    of the encoded signature, and right after a line break within it."""
    enc_start = msg.index(b"base64\r\n\r\n") + len(b"base64\r\n\r\n")
    enc_end = msg.index(b"--BOUNDARY-x1--")
    mid = (enc_start + enc_end) // 2
    nl = msg.index(b"\r\n", mid)
    return [mid, nl + 1, nl + 2 + 3]


def write(path, t0=1704067200, clean=1, eicar=1, bdat=False):
    """The capture: `eicar` EICAR mails then `clean` clean ones (sent with
    BDAT chunks cut inside the encoded signature if bdat); returns the
    client ports of the EICAR mails."""
    ports = []
    with open(path, "wb") as f:
        pcap = _Pcap(f, t0)
        n = 0
        for _ in range(eicar):
            msg = eicar_message()
            ports.append(_mail(pcap, n, msg, eicar_cut_points(msg), bdat=bdat))
            n += 1
        for _ in range(clean):
            _mail(pcap, n, clean_message(), [7, 30], sender="carol@outside.example",
                  bdat=bdat)
            n += 1
    return ports


def write_sweep(path, t0=1704067200):
    """One EICAR mail per cut point: each cut at another octet of the
    base64 text (every split of the encoded signature over two segments).
    Returns the number of mails."""
    msg = eicar_message()
    enc_start = msg.index(b"base64\r\n\r\n") + len(b"base64\r\n\r\n")
    enc_end = msg.index(b"--BOUNDARY-x1--")
    with open(path, "wb") as f:
        pcap = _Pcap(f, t0)
        for n, cut in enumerate(range(enc_start, enc_end + 1)):
            _mail(pcap, n, msg, [cut])
    return enc_end + 1 - enc_start
