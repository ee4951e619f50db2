#!/usr/bin/env python3
"""capture.py HOST PORT OUTFILE - record a mail server's replies to mailtap's
fixed probe set (the same dialogue as lib/probe/mt_probe.c) in the fixture
format that lib/fp reads (mt_fp_obs_parse):

    [name]            one section per observation, in probe order
    <reply lines>     the server's reply, CR LF removed
    !closed           the server hung up instead of replying
    !timeout          no reply within the read timeout
    !slow             the reply came, but after >= 2 s (tarpit)

Only for loopback/namespace test servers run by the person capturing.
"""
import socket
import sys
import time

LONG = b"NOOP " + b"A" * 1100
PROBES = [  # (connection, name, bytes sent); None = just read the greeting
    (1, "banner", None),
    (1, "ehlo", b"EHLO probe.invalid"),
    (1, "help", b"HELP"),
    (1, "rcpt_first", b"RCPT TO:<probe@example.com>"),
    (1, "mail_bad", b"MAIL FROM:<bad"),
    (1, "unknown", b"XYZZY"),
    (1, "quit", b"QUIT"),
    (2, "banner2", None),
    (2, "nul", b"HE\x00LO probe.invalid"),
    (2, "long", LONG),
    (2, "quit2", b"QUIT"),
]
TIMEOUT = 8.0
SLOW = 2.0


def read_reply(s, buf):
    """One SMTP reply (all lines up to 'NNN '), or 'closed'/'timeout'."""
    lines = []
    deadline = time.time() + TIMEOUT
    while True:
        while b"\n" in buf[0]:
            line, buf[0] = buf[0].split(b"\n", 1)
            line = line.rstrip(b"\r")
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                return lines, None
        left = deadline - time.time()
        if left <= 0:
            return lines, "timeout"
        s.settimeout(left)
        try:
            data = s.recv(4096)
        except socket.timeout:
            return lines, "timeout"
        except ConnectionError:
            return lines, "closed"
        if not data:
            return lines, "closed"
        buf[0] += data


def main():
    host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    res = []
    s = None
    conn = 0
    dead = False
    buf = [b""]
    for c, name, cmd in PROBES:
        if c != conn:
            if s:
                s.close()
            conn = c
            s = socket.create_connection((host, port), timeout=TIMEOUT)
            buf = [b""]
            dead = False
        if dead:
            res.append((name, [], "closed"))
            continue
        t0 = time.time()
        if cmd is not None:
            try:
                s.sendall(cmd + b"\r\n")
            except OSError:
                res.append((name, [], "closed"))
                dead = True
                continue
        lines, why = read_reply(s, buf)
        if why is None and time.time() - t0 >= SLOW:
            why = "slow"
        if why in ("closed", "timeout"):
            dead = True
        res.append((name, lines, why))
    if s:
        s.close()
    with open(out, "w") as f:
        for name, lines, why in res:
            f.write("[%s]\n" % name)
            for ln in lines:
                f.write(ln.decode("latin-1").replace("\x00", "\\0") + "\n")
            if why:
                f.write("!%s\n" % why)


if __name__ == "__main__":
    main()
