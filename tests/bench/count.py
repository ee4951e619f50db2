#!/usr/bin/env python3
"""count.py - how many true mails a peer tool recovered.

  count.py tshark OUTDIR TRUTHDIR...   files exported by tshark --export-objects imf
  count.py mbox FILE TRUTHDIR...       mailsnarf's mbox
  count.py truth TRUTHDIR...           accepted mails in the truth

Prints "outputs=N exact=M truth=T": N things the peer produced, M of them
byte-identical to a true mail (tshark: after undoing dot-stuffing;
mailsnarf: the message after its "From " line, which mailsnarf adds, with
its LF line ends turned back into CRLF and dot-stuffing undone),
T accepted mails in the truth."""
import hashlib
import json
import os
import sys


def truth_hashes(dirs):
    hs = {}
    for d in dirs:
        with open(os.path.join(d, "truth.jsonl")) as f:
            for line in f:
                r = json.loads(line)
                with open(os.path.join(d, r["file"]), "rb") as g:
                    h = hashlib.sha256(g.read()).hexdigest()
                hs[h] = hs.get(h, 0) + 1
    return hs


def unstuff(b):
    lines = b.split(b"\r\n")
    return b"\r\n".join(l[1:] if l.startswith(b"..") else l for l in lines)


def main():
    kind = sys.argv[1]
    if kind == "truth":
        print("truth=%d" % sum(truth_hashes(sys.argv[2:]).values()))
        return
    src, dirs = sys.argv[2], sys.argv[3:]
    hs = truth_hashes(dirs)
    total = sum(hs.values())
    outs = []
    if kind == "tshark":
        for n in os.listdir(src):
            with open(os.path.join(src, n), "rb") as f:
                outs.append(f.read())
        cands = lambda b: (b, unstuff(b), b + b"\r\n", unstuff(b) + b"\r\n")
    else:
        with open(src, "rb") as f:
            data = f.read()
        # mailsnarf writes "From sender date\n" then the message, LF line ends
        parts = data.split(b"\nFrom ")
        for i, p in enumerate(parts):
            if i == 0 and not p.startswith(b"From "):
                if not p.strip():
                    continue
            body = p.split(b"\n", 1)[1] if b"\n" in p else b""
            outs.append(body)

        def cands(b):
            crlf = b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            u = unstuff(crlf)
            return (b, crlf, u, u.rstrip(b"\r\n") + b"\r\n", u + b"\r\n")
    exact = 0
    for b in outs:
        for c in cands(b):
            h = hashlib.sha256(c).hexdigest()
            if hs.get(h, 0) > 0:
                hs[h] -= 1
                exact += 1
                break
    print("outputs=%d exact=%d truth=%d" % (len(outs), exact, total))


if __name__ == "__main__":
    main()
