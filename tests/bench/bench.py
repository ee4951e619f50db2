#!/usr/bin/env python3
"""bench.py - `make bench`: mailtapd on one generated capture, against the
machine's limits and against peer tools, in one run (docs/PERFORMANCE.md).

Environment: BENCH_RUNS (default 3, runs per figure, medians reported),
BENCH_PEERS=0 skips the peers, BENCH_DIR (default build/bench)."""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "build", "bin")
OUT = os.path.abspath(os.environ.get("BENCH_DIR", os.path.join(ROOT, "build", "bench")))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PEERS = os.environ.get("BENCH_PEERS", "1") != "0"
MAILTAPD = os.path.join(OUT, "mailtapd")
REPLAY = os.path.join(OUT, "replay")
RULES = os.path.join(ROOT, "config", "rules", "default.rules")

# The capture: deterministic from the seeds.  "main": the everyday mix
# (log-normal sizes, median 10 KiB, ~94% in 2-50 KiB, IPv4, some VLAN,
# 30% pipelining sessions, 10% rejected recipients, 300 sessions open at
# once); "large": the tail, 4 MiB mails (30% of them multipart with a base64
# attachment), IPv6 so that no 4-tuple collides with "main".  Merged in time
# order with mergecap.
GEN = {
    "main": ["--sessions", "20000", "--concurrency", "300", "--mails-per-session", "1-3",
             "--pipelining", "30", "--rcpt-reject", "10", "--vlan", "10",
             "--max-size", str(20 << 20), "--seed", "2026"],
    "large": ["--sessions", "80", "--concurrency", "16", "--mails-per-session", "1",
              "--min-size", str(4 << 20), "--max-size", str(4 << 20), "--ipv6", "100",
              "--rcpt-reject", "10", "--seed", "2027"],
}


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def log(msg):
    print(msg, flush=True)


def capture():
    """Generate (or reuse) build/bench/capture.pcap and its truth dirs."""
    os.makedirs(OUT, exist_ok=True)
    pcap = os.path.join(OUT, "capture.pcap")
    stamp = os.path.join(OUT, "capture.opts")
    want = json.dumps(GEN, sort_keys=True) + "\n" + str(os.path.getmtime(os.path.join(BIN, "mtgen")))
    truths = [os.path.join(OUT, k + ".truth") for k in GEN]
    if os.path.exists(pcap) and os.path.exists(stamp) and open(stamp).read() == want:
        log("capture: reusing %s" % pcap)
        return pcap, truths
    parts = []
    for k, args in GEN.items():
        p = os.path.join(OUT, k + ".pcap")
        cmd = [os.path.join(BIN, "mtgen"), "--quiet", "--out", p, "--truth",
               os.path.join(OUT, k + ".truth")] + args
        log("capture: " + " ".join(cmd[:1] + [os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd[1:]]))
        sh(cmd)
        parts.append(p)
    sh(["mergecap", "-F", "pcap", "-w", pcap] + parts)
    for p in parts:
        os.unlink(p)
    with open(stamp, "w") as f:
        f.write(want)
    return pcap, truths


def median(v):
    return statistics.median(v)


def timed(cmd, cwd=None, stdout=None):
    """Wall seconds and peak RSS (KiB) of one command (GNU time)."""
    tf = os.path.join(OUT, "time.txt")
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf] + cmd, cwd=cwd,
                       stdout=stdout if stdout else subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("bench: %s failed (%d):\n%s" % (cmd[0], p.returncode, p.stderr[-3000:]))
    rss = int(open(tf).read().split()[-1])
    return wall, rss, (p.stdout or "")


def eal_mem():
    return sh([os.path.join(ROOT, "tests", "tools", "eal-mem.sh"), "1024"]).stdout.split()


def mailtapd(pcap, lcores, spool):
    """One mailtapd run; (wall, rss, mails)."""
    shutil.rmtree(spool, ignore_errors=True)
    cmd = [MAILTAPD, "-l", "0" if lcores == 1 else "0-%d" % (lcores - 1),
           "--no-pci", "--file-prefix", "mt-bench-%d" % os.getpid()] + eal_mem() + \
          ["--vdev", "net_pcap0,rx_pcap=%s" % pcap, "--", "--spool", spool]
    wall, rss, out = timed(cmd)
    m = re.search(r"mails: (\d+) written", out)
    if not m or "all identities hold" not in out:
        sys.exit("bench: unexpected mailtapd summary:\n" + out)
    shutil.rmtree(spool, ignore_errors=True)
    return wall, rss, int(m.group(1)), cmd


def replay(pcap, lcores, spool):
    """The pipeline fed from memory (tests/bench/replay.c); (s, rss, mails, cmd)."""
    shutil.rmtree(spool, ignore_errors=True)
    cmd = [REPLAY, "-l", "0" if lcores == 1 else "0-%d" % (lcores - 1), "--no-pci",
           "--file-prefix", "mt-bench-rp-%d" % os.getpid()] + eal_mem() + \
          ["--", "--pcap", pcap, "--spool", spool]
    _, rss, out = timed(cmd)
    m = re.search(r"mails: (\d+) written", out)
    t = re.search(r"replay s=([0-9.]+)", out)
    if not m or not t or "all identities hold" not in out:
        sys.exit("bench: unexpected replay summary:\n" + out)
    shutil.rmtree(spool, ignore_errors=True)
    return float(t.group(1)), rss, int(m.group(1)), cmd


def fmt_cmd(cmd):
    return " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT + "/") else c for c in cmd)


def main():
    if sys.argv[1:] == ["--table"]:  # print the table of the last run again
        r = json.load(open(os.path.join(OUT, "results.json")))
        table(r["rows"], r["limits"], r["peers"], r["cmds"], r["lim_cmd"], r["packets"],
              r["wire"], r["mails"], r["loads"])
        return
    pcap, truths = capture()
    # the binary under test, copied so that a rebuild during the run does not mix builds
    shutil.copy2(os.path.join(BIN, "mailtapd"), MAILTAPD + ".new")
    os.replace(MAILTAPD + ".new", MAILTAPD)
    summ = [json.load(open(os.path.join(t, "summary.json"))) for t in truths]
    pkts = sum(s["packets"] for s in summ)
    wire = sum(s["bytes"] for s in summ)
    nmail = sum(s["mails"] for s in summ)
    mailb = sum(s["mail_bytes"] for s in summ)
    log("capture: %d packets, %.0f MB on the wire, %d mails (%.0f MB), %d sessions, "
        "%d rejected transactions" % (pkts, wire / 1e6, nmail, mailb / 1e6,
                                      sum(s["sessions"] for s in summ),
                                      sum(s["rejected_transactions"] for s in summ)))
    rows, cmds = {}, {}

    # Every round runs every job once, back to back, so that the ratios
    # compare runs made under the same load (the machine is shared); the
    # figures are medians over rounds, the ratios medians of per-round ratios.
    empty = os.path.join(OUT, "empty.pcap")
    if not os.path.exists(empty):
        sh([os.path.join(BIN, "mtgen"), "--quiet", "--out", empty, "--truth",
            os.path.join(OUT, "empty.truth"), "--sessions", "0"])
    disk, shm = os.path.join(OUT, "spool"), "/dev/shm/mt-bench-spool"
    mt_jobs = (("mailtapd 1 lcore", 1, disk, pcap),
               ("mailtapd 2 lcores", 2, disk, pcap),
               ("mailtapd 1 lcore, spool /dev/shm", 1, shm, pcap),
               ("mailtapd 2 lcores, spool /dev/shm", 2, shm, pcap),
               ("mailtapd 2 lcores, empty capture", 2, shm, empty))
    lim_cmd = [os.path.join(OUT, "limits"), "--pcap", pcap, "--rules", RULES,
               "--runs", "1"] + truths
    peer_names = [n for n in ("tcpflow", "tshark", "mailsnarf") if PEERS and shutil.which(n)]
    for n in ("tcpflow", "tshark", "mailsnarf"):
        if PEERS and n not in peer_names:
            log("peer %s: not installed, skipped" % n)
    rp_jobs = (("replay 1 lcore (replayer on CPU 1)", 1, shm),
               ("replay 2 lcores (writer + replayer on CPU 1)", 2, shm))
    res = {n[0]: [] for n in mt_jobs + rp_jobs}
    limr = []
    peer_res = {n: [] for n in peer_names}
    peer_cnt = {}
    loads = [open("/proc/loadavg").read().split()[0]]
    for rnd in range(RUNS):
        for name, lc, spool, src in mt_jobs:
            w, r, m, cmd = mailtapd(src, lc, spool)
            res[name].append((w, r, m))
            cmds[name] = fmt_cmd(cmd)
            if src == pcap and m != nmail:
                log("  WARNING: %s spooled %d mails, truth has %d" % (name, m, nmail))
        for name, lc, spool in rp_jobs:
            w, r, m, cmd = replay(pcap, lc, spool)
            res[name].append((w, r, m))
            cmds[name] = fmt_cmd(cmd)
            if m != nmail:
                log("  WARNING: %s spooled %d mails, truth has %d" % (name, m, nmail))
        out = sh(lim_cmd).stdout
        lr = {}
        for line in out.splitlines():
            k, rest = line.split(" ", 1)
            lr[k] = {x: float(y) for x, y in (z.split("=") for z in rest.split())}
        limr.append(lr)
        for name in peer_names:
            d = os.path.join(OUT, "peer-" + name)
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            if name == "tcpflow":
                cmd = ["tcpflow", "-r", pcap, "-o", d]
                w, r, _ = timed(cmd)
            elif name == "tshark":
                cmd = ["tshark", "-r", pcap, "-q", "--export-objects", "imf," + d]
                w, r, _ = timed(cmd)
            else:
                cmd = ["mailsnarf", "-p", pcap]
                with open(os.path.join(d, "out.mbox"), "w") as f:
                    w, r, _ = timed(cmd, stdout=f)
            cmds[name] = fmt_cmd(cmd) + (" > OUT.mbox" if name == "mailsnarf" else "")
            peer_res[name].append((w, r, res["mailtapd 2 lcores"][-1][0] / w))
            if name not in peer_cnt:
                if name == "tcpflow":
                    peer_cnt[name] = "flow files=%d" % len([n for n in os.listdir(d)
                                                          if not n.endswith(".xml")])
                else:
                    peer_cnt[name] = sh([sys.executable,
                                         os.path.join(ROOT, "tests", "bench", "count.py"),
                                         "tshark" if name == "tshark" else "mbox",
                                         d if name == "tshark" else os.path.join(d, "out.mbox")]
                                        + truths).stdout.strip()
            shutil.rmtree(d, ignore_errors=True)
        loads.append(open("/proc/loadavg").read().split()[0])
        log("round %d/%d done: %s" % (rnd + 1, RUNS, "  ".join(
            "%s %.2fs" % (k.replace("mailtapd ", ""), v[-1][0]) for k, v in res.items())
            + "  " + "  ".join("%s %.2fs" % (k, v[-1][0]) for k, v in peer_res.items())))
    for name, v in res.items():
        rows[name] = dict(s=median([x[0] for x in v]), rss=median([x[1] for x in v]),
                          mails=int(median([x[2] for x in v])), all=[x[0] for x in v],
                          all_mails=[x[2] for x in v])
    lim = {k: dict(limr[0][k], s=median([lr[k]["s"] for lr in limr]),
                   all=[lr[k]["s"] for lr in limr]) for k in limr[0]}
    # limit ratio per round: limit time / mailtapd 2-lcore net time
    empt = [x[0] for x in res["mailtapd 2 lcores, empty capture"]]
    for k in lim:
        lim[k]["ratio"] = median([lr[k]["s"] / max(w - e, 1e-9) for lr, (w, _, _), e in
                                  zip(limr, res["mailtapd 2 lcores"], empt)])
    peers = {n: dict(s=median([x[0] for x in v]), rss=median([x[1] for x in v]),
                     ratio=median([x[2] for x in v]), all=[x[0] for x in v], count=peer_cnt[n])
             for n, v in peer_res.items()}

    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(dict(rows=rows, limits=lim, peers=peers, cmds=cmds, packets=pkts, wire=wire,
                       mails=nmail, runs=RUNS, loads=loads, lim_cmd=lim_cmd), f, indent=1)
    table(rows, lim, peers, cmds, lim_cmd, pkts, wire, nmail, loads)


def table(rows, lim, peers, cmds, lim_cmd, pkts, wire, nmail, loads):
    # the table
    log("")
    log("mailtap bench: %d packets, %.0f MB wire, %d mails; medians of %d rounds; %s; "
        "%d CPUs; load average before/after rounds: %s" % (
        pkts, wire / 1e6, nmail, RUNS, time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(),
        " ".join(loads)))
    base = rows["mailtapd 2 lcores, empty capture"]["s"]
    log("%-44s %7s %7s %7s %8s %7s %7s %7s %6s  %s" % (
        "run", "wall s", "Gbit/s", "Mpkt/s", "mails/s", "RSS MiB", "net s*", "net Gb/s",
        "mails", "runs (s)"))
    for name, r in rows.items():
        if "empty" in name:
            continue
        net = r["s"] if name.startswith("replay") else max(r["s"] - base, 1e-9)
        log("%-44s %7.3f %7.2f %7.2f %8.0f %7d %7.3f %7.2f %6d  %s" % (
            name, r["s"], wire * 8 / r["s"] / 1e9, pkts / r["s"] / 1e6, nmail / r["s"],
            r["rss"] // 1024, net, wire * 8 / net / 1e9, r["mails"],
            " ".join("%.2f" % x for x in r["all"])
            + ("  LOST MAILS: not a rate" if r["mails"] != nmail else "")))
    log("* net s: wall minus the empty-capture run (%.3f s: EAL start, pools, exit); replay rows:"
        " first enqueue to end of drain (frames preloaded in memory, no file reading)" % base)
    best = rows["mailtapd 2 lcores"]["s"]
    log("")
    log("against limits (same bytes, one core; ratio = limit time / mailtapd 2-lcore net time"
        " of the same round, i.e. the share of the limit's rate mailtapd reaches)")
    for k, what in (("pcap_read", "libpcap reading the file (pcap_next_ex)"),
                    ("memcpy", "memcpy of every TCP payload"),
                    ("hs_body", "Hyperscan stream scan, body rules, all mails"),
                    ("hs_attach", "Hyperscan stream scan, attachment rules, all mails")):
        if k in lim:
            b = lim[k]["bytes"]
            log("  %-52s %7.3f s %7.2f GB/s  ratio %.3f" % (what, lim[k]["s"], b / lim[k]["s"] / 1e9,
                                                          lim[k]["ratio"]))
    if peers:
        log("")
        log("against peers (same file; ratio = mailtapd 2-lcore wall ÷ peer wall of the same round;"
            " < 1: mailtapd faster)")
        for k, p in peers.items():
            log("  %-10s %8.3f s  RSS %5d MiB  ratio %.3f  %s" % (k, p["s"], p["rss"] // 1024,
                                                              p["ratio"], p["count"]))
        log("  mailtapd   %8.3f s  RSS %5d MiB  mails %d of %d" % (
            best, rows["mailtapd 2 lcores"]["rss"] // 1024, rows["mailtapd 2 lcores"]["mails"], nmail))
    log("")
    log("commands:")
    for k, c in cmds.items():
        log("  %-44s %s" % (k + ":", c))
    log("  %-44s %s" % ("limits:", fmt_cmd(lim_cmd)))



if __name__ == "__main__":
    main()
