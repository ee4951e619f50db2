#!/usr/bin/env python3
"""bench.py - `make bench`: mailtapd on one generated capture, against the
machine's limits and against peer tools, in one run (docs/PERFORMANCE.md).

    bench.py                    everything (make bench)
    bench.py --only scan,sweep  some parts: mailtapd (the mailtapd rows, limits,
                                peers), replay, scan (tests/bench/scanstage.c
                                and mailtapd with [scan] rules on/off), stages
                                (cycles per stage with [pipeline] stage_cycles,
                                its overhead, high-water marks, worker scaling
                                and hash balance), sweep (the loss sweep of
                                tests/bench/replay.c --rate, two layouts)
    bench.py --table            print the last run's table again

Environment: BENCH_RUNS (default 3, runs per figure, medians reported),
BENCH_PEERS=0 skips the peers, BENCH_SWEEP=0 skips the loss sweep,
BENCH_SWEEP_RATES (packets/s, comma-separated, ascending), BENCH_DIR
(default build/bench)."""
import collections
import hashlib
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
SCANSTAGE = os.path.join(OUT, "scanstage")
SWEEP = os.environ.get("BENCH_SWEEP", "1") != "0"
SWEEP_RATES = [float(x) for x in os.environ.get(
    "BENCH_SWEEP_RATES", "125e3,150e3,200e3,250e3,300e3,400e3,500e3,700e3,1e6").split(",")]
# Worker counts of the scaling runs (mailtapd, net_pcap, RX + writer on
# lcore 0); more busy lcores than CPUs are reported as oversubscribed.
SCALE = [int(x) for x in os.environ.get("BENCH_SCALE", "1,2,4").split(",")]
NCPU = os.cpu_count() or 1
PARTS = ("mailtapd", "replay", "scan", "stages", "sweep")
RULES = os.path.join(ROOT, "config", "rules", "default.rules")

# The capture: deterministic from the seeds.  "main": the everyday mix
# (log-normal sizes, median 10 KiB, ~94% in 2-50 KiB, IPv4, some VLAN,
# 30% pipelining sessions, 20% of the other EHLO sessions with BDAT, 3% of
# EHLO sessions going STARTTLS (their mails are not expected: encrypted),
# 10% rejected recipients, 300 sessions open at once, and about one frame
# of other traffic (UDP 53/123, TCP 80/443) per 20 SMTP packets); "large":
# the tail, 1-20 MiB mails spread evenly in log scale (30% of them
# multipart with a base64 attachment, 30% of the sessions with BDAT), IPv6
# so that no 4-tuple collides with "main".  Merged in time order with
# mergecap.
GEN = {
    "main": ["--sessions", "20000", "--concurrency", "300", "--mails-per-session", "1-3",
             "--pipelining", "30", "--rcpt-reject", "10", "--vlan", "10",
             "--max-size", str(20 << 20), "--bdat", "20", "--starttls", "3", "--noise", "5",
             "--seed", "2026"],
    "large": ["--sessions", "50", "--concurrency", "16", "--mails-per-session", "1",
              "--min-size", str(1 << 20), "--max-size", str(20 << 20), "--sizes", "loguniform",
              "--ipv6", "100", "--rcpt-reject", "10", "--bdat", "30", "--seed", "2027"],
}
# tshark takes a minute a round: it runs in the first TSHARK_ROUNDS rounds only
TSHARK_ROUNDS = int(os.environ.get("BENCH_TSHARK_ROUNDS", "1"))


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


def mailtapd(pcap, lcores, spool, conf=None):
    """One mailtapd run; (wall, rss, mails)."""
    shutil.rmtree(spool, ignore_errors=True)
    cmd = [MAILTAPD, "-l", "0" if lcores == 1 else "0-%d" % (lcores - 1),
           "--no-pci", "--file-prefix", "mt-bench-%d" % os.getpid()] + eal_mem() + \
          ["--vdev", "net_pcap0,rx_pcap=%s" % pcap, "--"] + \
          (["--config", conf] if conf else []) + ["--spool", spool]
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


def scanstage(truths):
    """tests/bench/scanstage.c once (3 repetitions inside); {name: {...}}, cmd."""
    cmd = [SCANSTAGE, "--rules", RULES, "--runs", "3"] + truths
    out = sh(cmd).stdout
    r = {}
    for line in out.splitlines():
        k, rest = line.split(" ", 1)
        r[k] = {x: (y if x == "all" else float(y)) for x, y in (z.split("=", 1) for z in rest.split())}
    return r, cmd


def summary_counters(out):
    """Every name=value of a mailtapd summary, summed over lcores, plus the
    'lost:' line and the port line."""
    c = {}
    for k, v in re.findall(r"\b([a-z_]+)=(\d+)\b", out):
        c[k] = c.get(k, 0) + int(v)
    m = re.search(r"lost: (\d+) mails \(ring (\d+), no memory (\d+), write errors (\d+)\), "
                  r"(\d+) packets \(ring (\d+), flow table (\d+)\)", out)
    if m:
        for k, v in zip(("lost_mails", "lost_mail_ring", "lost_mail_nomem", "lost_mail_werr",
                         "lost_pkts", "lost_pkt_ring", "lost_pkt_flowtable"), m.groups()):
            c[k] = int(v)
    m = re.search(r"imissed (\d+) ierrors (\d+) rx_nombuf (\d+)", out)
    if m:
        c["imissed"], c["ierrors"], c["rx_nombuf"] = (int(x) for x in m.groups())
    m = re.search(r"mails: (\d+) written", out)
    c["written"] = int(m.group(1)) if m else -1
    m = re.search(r"(\d+) incomplete", out)
    c["incomplete"] = int(m.group(1)) if m else -1
    return c


def lcore_blocks(out):
    """The per-lcore counters of a summary: {lcore: {"roles": str, name: value}}."""
    blocks, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"\s+lcore (\d+) \[([^\]]*)\]:", line)
        if m:
            cur = int(m.group(1))
            blocks[cur] = {"roles": m.group(2)}
        elif cur is not None and re.match(r"\s+[a-z_0-9]+=\d+", line):
            for k, v in re.findall(r"\b([a-z_0-9]+)=(\d+)\b", line):
                blocks[cur][k] = int(v)
        else:
            cur = None
    return blocks


def thread_stats(out):
    """replay's per-thread scheduler lines: {name: {cpu_ms, wait_ms, vcsw, ivcsw}}."""
    return {m.group(1): {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", m.group(2))}
            for m in re.finditer(r"^thread name=(\S+) (.*)$", out, re.M)}


def write_conf(name, stage=True, rules=False, roles=None):
    """A config file in OUT: defaults plus stage_cycles, rules, roles."""
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        f.write("; bench: mailtapd's defaults plus\n[pipeline]\n")
        if stage:
            f.write("stage_cycles = yes\n")
        if roles:
            f.write("rx_lcores = %s\nworker_lcores = %s\nwriter_lcore = %s\n" % roles)
        if rules:
            f.write("[scan]\nrules = %s\n" % RULES)
    return path


def pipeline_run(kind, lcores, spool, conf, src, extra=()):
    """One mailtapd (net_pcap) or replay (memory) run with a config; lcores is
    an EAL -l or --lcores value.  Returns a dict: s (replay: first enqueue to
    end of drain; mailtapd: wall), mails, lcores (per-lcore counters),
    threads (replay), tsc_hz (replay), cmd."""
    shutil.rmtree(spool, ignore_errors=True)
    eal = ["--lcores", lcores] if "@" in lcores else ["-l", lcores]
    if kind == "replay":
        cmd = [REPLAY] + eal + ["--no-pci", "--file-prefix", "mt-bench-st-%d" % os.getpid()] + \
            eal_mem() + ["--", "--pcap", src, "--spool", spool, "--config", conf] + list(extra)
    else:
        cmd = [MAILTAPD] + eal + ["--no-pci", "--file-prefix", "mt-bench-st-%d" % os.getpid()] + \
            eal_mem() + ["--vdev", "net_pcap0,rx_pcap=%s" % src, "--", "--config", conf,
                         "--spool", spool]
    wall, rss, out = timed(cmd)
    m = re.search(r"mails: (\d+) written", out)
    if not m or "all identities hold" not in out:
        sys.exit("bench: unexpected %s summary:\n%s" % (kind, out))
    shutil.rmtree(spool, ignore_errors=True)
    r = dict(s=wall, mails=int(m.group(1)), lcores=lcore_blocks(out), rss=rss, cmd=fmt_cmd(cmd))
    t = re.search(r"replay s=([0-9.]+).* tsc_hz=(\d+)", out)
    if t:
        r.update(s=float(t.group(1)), tsc_hz=int(t.group(2)), threads=thread_stats(out))
    return r


STAGES = (("rx", "RX dispatch: poll, decode, hash, ring enqueue", "rx_cycles"),
          ("tcp", "worker: flow table + TCP reassembly", None),
          ("smtp", "SMTP automaton + copy into mail chunks", "wk_cycles_smtp"),
          ("scan", "MIME decode + Hyperscan scan", "wk_cycles_scan"),
          ("wr", "spool write (writer: tar, pwritev, publish)", "wr_cycles"))


def stage_table(run, hz):
    """Cycles per stage of one run: {stage: {cycles, per_pkt, per_byte, gbps, mpps,
    mails_s}} over the run's packets, wire bytes and mails; plus per lcore
    the busy share of the run's time."""
    tot = collections.Counter()
    for b in run["lcores"].values():
        tot.update({k: v for k, v in b.items() if k != "roles"})
    cyc = {k: tot[c] for k, _, c in STAGES if c}
    cyc["tcp"] = tot["wk_cycles"] - tot["wk_cycles_smtp"] - tot["wk_cycles_scan"]
    pk, by, ml = max(tot["rx_packets"], 1), max(tot["rx_bytes"], 1), max(tot["wr_mails"], 1)
    st = {}
    for k, _, _ in STAGES:
        c = max(cyc[k], 1)
        st[k] = dict(cycles=cyc[k], per_pkt=cyc[k] / pk, per_byte=cyc[k] / by,
                     gbps=hz * 8 / (c / by) / 1e9, mpps=hz / (c / pk) / 1e6,
                     mails_s=hz / (c / ml))
    busy = {}
    for lc, b in run["lcores"].items():
        c = b.get("rx_cycles", 0) + b.get("wk_cycles", 0) + b.get("wr_cycles", 0)
        busy[lc] = dict(roles=b["roles"], busy=c / (run["s"] * hz) if hz else 0,
                        wk_packets=b.get("wk_packets", 0),
                        # this worker lcore's own cycles per packet it handled, by stage
                        wk_per_pkt={k: b.get(c_, 0) / max(b.get("wk_packets", 0), 1)
                                    for k, c_ in (("worker", "wk_cycles"),
                                                  ("smtp", "wk_cycles_smtp"),
                                                  ("scan", "wk_cycles_scan"))})
    return dict(stages=st, busy=busy, packets=pk, bytes=by, mails=ml,
                gauges={k: max(b.get(k, 0) for b in run["lcores"].values())
                        for k in ("pool_pkts_max", "pool_mails_max", "pool_chunks_max",
                                  "wk_flows_max")})


def truth_index(truths):
    sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
    import compare_spool
    keys = collections.Counter()
    for t in truths:
        keys += compare_spool.truth_mails(t)
    return keys


def check_spool(spool, truth):
    """Every spooled mail against the truth.  A mail marked complete must be
    byte-exact: 'exact' when envelope and message match a true mail,
    'exact_msg' when the message is a true mail of that connection (same
    4-tuple and MAIL FROM) but the envelope differs because replies were
    lost (the record says so: unconfirmed, rcpt_unanswered), 'corrupt'
    otherwise.  Mails not marked complete must carry flags ('unflagged'
    counts those that do not)."""
    import compare_spool
    exact = exact_msg = corrupt = incomplete = unflagged = 0
    seen = collections.Counter()
    msgs = collections.defaultdict(set)
    for k in truth:
        msgs[k[:5]].add(k[6])
    for rec, eml in compare_spool.read_spool(spool):
        digest = hashlib.sha256(eml).hexdigest()
        key = (rec["src_ip"], rec["src_port"], rec["dest_ip"], rec["dest_port"],
               rec["smtp"]["mail_from"], tuple(rec["smtp"]["rcpt_to"]), digest)
        if rec.get("complete"):
            if rec.get("sha256") != digest:
                corrupt += 1
            elif key in truth and seen[key] < truth[key]:
                exact += 1
                seen[key] += 1
            elif digest in msgs.get(key[:5], ()) and (
                    "unconfirmed" in rec.get("flags", ()) or rec["smtp"].get("rcpt_unanswered")):
                exact_msg += 1  # the record says its envelope is unsure
            else:
                corrupt += 1
        else:
            incomplete += 1
            if not rec.get("flags"):
                unflagged += 1
    return dict(exact=exact, exact_msg=exact_msg, corrupt=corrupt, incomplete=incomplete,
                unflagged=unflagged)


# The loss sweep's layouts: (name, EAL -l, roles (rx, workers, writer) or None).
# The replayer is pinned to the last CPU (1 here) and sleeps between bursts
# that are over 200 us apart, so a pipeline lcore on CPU 1 gets the CPU.
SWEEP_LAYOUTS = (
    ("1 lcore: RX, worker and writer in turn on CPU 0", "0", None),
    ("2 lcores: RX + worker on CPU 0, writer alone on CPU 1 (beside the paced replayer)",
     "0-1", ("0", "0", "1")),
)


def sweep(pcap, truths, nmail, lcores, conf):
    """The loss sweep: replay --rate R with the pipeline on the given lcores
    (stage_cycles on, for the stall counters), replayer on the last CPU;
    rates step up until two rates in a row lose packets."""
    truth = truth_index(truths)
    spool = "/dev/shm/mt-bench-sweep"
    out_rows, lossy = [], 0
    for rate in SWEEP_RATES:
        shutil.rmtree(spool, ignore_errors=True)
        cmd = [REPLAY, "-l", lcores, "--no-pci", "--file-prefix", "mt-bench-sw-%d" % os.getpid()] + \
            eal_mem() + ["--", "--pcap", pcap, "--spool", spool, "--rate", "%d" % rate,
                         "--config", conf]
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", os.path.join(OUT, "time.txt")]
                           + cmd, capture_output=True, text=True)
        out = p.stdout
        c = summary_counters(out)
        t = re.search(r"replay s=([0-9.]+) .*replayer_s=([0-9.]+) rate=\d+ offered_pps=(\d+) "
                      r"port_full=(\d+) src_nombuf=(\d+)", out)
        row = dict(rate=rate, rc=p.returncode, identities="all identities hold" in out,
                   cmd=fmt_cmd(cmd))
        if t:
            row.update(s=float(t.group(1)), offered_pps=int(t.group(3)),
                       port_full=int(t.group(4)), src_nombuf=int(t.group(5)))
        for k in ("rx_drop_ring_full", "imissed", "rx_nombuf", "lost_pkts", "lost_pkt_ring",
                  "lost_pkt_flowtable", "lost_mails", "lost_mail_nomem", "lost_mail_ring",
                  "written", "incomplete", "wk_gaps", "mail_incomplete"):
            row[k] = c.get(k, 0)
        row.update(check_spool(spool, truth) if os.path.isdir(spool) else {})
        blocks = lcore_blocks(out)
        for k in ("rx_poll_gap_max_us", "rx_poll_gaps_1ms", "rx_poll_gaps_10ms",
                  "wk_step_max_us", "wr_step_max_us", "wr_fsyncs", "wr_fsync_us",
                  "pool_pkts_max"):
            row[k] = max([b.get(k, 0) for b in blocks.values()] or [0])
        t2 = re.search(r"late_max_us=(\d+) late_1ms=(\d+)", out)
        if t2:
            row["late_max_us"], row["late_1ms"] = int(t2.group(1)), int(t2.group(2))
        th = thread_stats(out)
        row["replayer_wait_ms"] = th.get("replayer", {}).get("wait_ms", 0)
        row["lcore0_wait_ms"] = th.get("rte-worker-0", {}).get("wait_ms", 0)
        row["lcore0_ivcsw"] = th.get("rte-worker-0", {}).get("ivcsw", 0)
        row["lcore1_wait_ms"] = th.get("rte-worker-1", {}).get("wait_ms", 0)
        shutil.rmtree(spool, ignore_errors=True)
        row["pkt_drops"] = (row.get("port_full", 0) + row.get("src_nombuf", 0) + row["imissed"]
                            + row["rx_nombuf"] + row["lost_pkts"])
        row["zero_loss"] = (row["pkt_drops"] == 0 and row["lost_mails"] == 0
                            and row.get("exact", 0) == nmail)
        out_rows.append(row)
        log("sweep: rate %.0f pps: offered %s pps, drops %d (port_full %s, src_nombuf %s, "
            "rx_drop_ring_full %d), mails lost %d, spooled exact %s exact_msg %s incomplete %s "
            "corrupt %s, longest poll gap %s us (>=1ms %s, >=10ms %s), worker step %s us, "
            "writer step %s us, lcore 0 waited %.0f ms (%d preemptions), "
            "rc %d%s" % (rate, row.get("offered_pps"), row["pkt_drops"], row.get("port_full"),
                         row.get("src_nombuf"), row["rx_drop_ring_full"], row["lost_mails"],
                         row.get("exact"), row.get("exact_msg"), row.get("incomplete"), row.get("corrupt"),
                         row["rx_poll_gap_max_us"], row["rx_poll_gaps_1ms"],
                         row["rx_poll_gaps_10ms"], row["wk_step_max_us"], row["wr_step_max_us"],
                         row["lcore0_wait_ms"], row["lcore0_ivcsw"],
                         p.returncode,
                         "" if row["identities"] else " IDENTITIES FAILED"))
        if p.returncode != 0:
            log(p.stderr[-2000:])
        lossy = lossy + 1 if not row["zero_loss"] else 0
        if lossy >= 2:
            break
    return out_rows


def cpu_ratio(on, off):
    """Median over rounds of the pipeline lcore's CPU time on / off
    (schedstat: preemption excluded, unlike wall time)."""
    def cpu(r):
        return r.get("threads", {}).get("rte-worker-0", {}).get("cpu_ms", 0)
    v = [cpu(a) / cpu(b) for a, b in zip(on, off) if cpu(a) and cpu(b)]
    return median(v) if v else 0


def stages_summary(jobs, res):
    """Medians over rounds of the stage figures, the accounting's overhead,
    the scaling rows."""
    out = dict(runs={}, scale=[])
    hzs = [r["tsc_hz"] for v in res.values() for r in v if r.get("tsc_hz")]
    hz = int(median(hzs)) if hzs else 0
    out["tsc_hz"] = hz
    for name, kind, lc, conf, w in jobs:
        runs = res[name]
        tabs = [stage_table(r, hz) for r in runs]
        st = {}
        for k, _, _ in STAGES:
            st[k] = {f: median([t["stages"][k][f] for t in tabs]) for f in tabs[0]["stages"][k]}
        busy = {lc_: dict(roles=tabs[0]["busy"][lc_]["roles"],
                          busy=median([t["busy"][lc_]["busy"] for t in tabs]),
                          wk_packets=tabs[0]["busy"][lc_]["wk_packets"],
                          wk_per_pkt={k: median([t["busy"][lc_]["wk_per_pkt"][k] for t in tabs])
                                      for k in tabs[0]["busy"][lc_]["wk_per_pkt"]})
                for lc_ in tabs[0]["busy"]}
        th = {}
        if runs[0].get("threads"):
            for tn in runs[0]["threads"]:
                th[tn] = {f: median([r["threads"].get(tn, {}).get(f, 0) for r in runs])
                          for f in runs[0]["threads"][tn]}
        gauges = {g: max(t["gauges"][g] for t in tabs) for g in tabs[0]["gauges"]}
        maxes = {k: max(max(b.get(k, 0) for b in r["lcores"].values()) for r in runs)
                 for k in ("rx_poll_gap_max_us", "wk_step_max_us", "wr_step_max_us")}
        out["runs"][name] = dict(kind=kind, lcores=lc, workers=w, s=median([r["s"] for r in runs]),
                                 all=[r["s"] for r in runs], mails=runs[0]["mails"],
                                 rss=median([r["rss"] for r in runs]), stages=st, busy=busy,
                                 threads=th, gauges=gauges, maxes=maxes,
                                 packets=tabs[0]["packets"], bytes=tabs[0]["bytes"])
        if w:
            wk = [b["wk_packets"] for b in busy.values() if "worker" in b["roles"]]
            out["scale"].append(dict(name=name, workers=w, busy_lcores=1 + w,
                                     oversubscribed=1 + w > NCPU, s=median([r["s"] for r in runs]),
                                     all=[r["s"] for r in runs],
                                     balance=max(wk) / (sum(wk) / len(wk)) if wk and sum(wk) else 0,
                                     wk_packets=wk))
    off = res.get("replay 1 lcore, stage_cycles off")
    on = res.get("replay 1 lcore, stage_cycles on")
    # the cost of stage_cycles: median of per-round on/off ratios, and the
    # ratio of the fastest runs (load only ever adds time)
    if off and on:
        out["overhead"] = dict(ratio=median([a["s"] / b["s"] for a, b in zip(on, off)]),
                               all=[a["s"] / b["s"] for a, b in zip(on, off)],
                               min_ratio=min(a["s"] for a in on) / min(b["s"] for b in off),
                               cpu_ratio=cpu_ratio(on, off))
    off = res.get("replay 1 lcore, stage_cycles off + default.rules")
    on = res.get("replay 1 lcore, stage_cycles on + default.rules")
    if off and on:
        out["overhead_rules"] = dict(ratio=median([a["s"] / b["s"] for a, b in zip(on, off)]),
                                     all=[a["s"] / b["s"] for a, b in zip(on, off)],
                                     min_ratio=min(a["s"] for a in on) / min(b["s"] for b in off),
                                     cpu_ratio=cpu_ratio(on, off))
    base = [x for x in out["scale"] if x["workers"] == 1]
    for x in out["scale"]:
        if base:
            x["ratio_to_1"] = median([a["s"] / b["s"] for a, b in zip(
                res[x["name"]], res[base[0]["name"]])])
    return out


def cleanup_eal_dirs():
    """EAL leaves /var/run/dpdk/PREFIX (its telemetry socket) even with
    --in-memory: remove this run's prefixes."""
    import glob
    for d in glob.glob("/var/run/dpdk/mt-bench*-%d" % os.getpid()):
        shutil.rmtree(d, ignore_errors=True)


def main():
    import atexit
    atexit.register(cleanup_eal_dirs)
    args = sys.argv[1:]
    if args == ["--table"]:  # print the table of the last run again
        table(json.load(open(os.path.join(OUT, "results.json"))))
        return
    parts = set(PARTS) - (set() if SWEEP else {"sweep"})
    if args[:1] == ["--only"] and len(args) == 2:
        parts = set(args[1].split(","))
        if parts - set(PARTS):
            sys.exit("bench: --only takes a comma list of " + ",".join(PARTS))
    elif args:
        sys.exit(__doc__)
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
    ex = collections.Counter()
    for x in summ:
        ex.update(x.get("extras", {}))
    if ex:
        log("capture: %d BDAT sessions (%d chunks), %d STARTTLS sessions (mails not expected), "
            "%d frames of other traffic" % (ex["bdat_sessions"], ex["bdat_chunks"],
                                              ex["tls_sessions"], ex["noise_packets"]))
    rows, cmds = {}, {}
    scan_conf = os.path.join(OUT, "scan.conf")
    with open(scan_conf, "w") as f:
        f.write("; bench: mailtapd's defaults plus the sample rules\n[scan]\nrules = %s\n" % RULES)

    # Every round runs every job once, back to back, so that the ratios
    # compare runs made under the same load (the machine is shared); the
    # figures are medians over rounds, the ratios medians of per-round ratios.
    empty = os.path.join(OUT, "empty.pcap")
    if not os.path.exists(empty):
        sh([os.path.join(BIN, "mtgen"), "--quiet", "--out", empty, "--truth",
            os.path.join(OUT, "empty.truth"), "--sessions", "0"])
    disk, shm = os.path.join(OUT, "spool"), "/dev/shm/mt-bench-spool"
    mt_jobs = []
    if "mailtapd" in parts:
        mt_jobs += [("mailtapd 1 lcore", 1, disk, pcap, None),
                    ("mailtapd 2 lcores", 2, disk, pcap, None)]
    if "mailtapd" in parts or "scan" in parts:
        mt_jobs += [("mailtapd 1 lcore, spool /dev/shm", 1, shm, pcap, None),
                    ("mailtapd 2 lcores, spool /dev/shm", 2, shm, pcap, None)]
    if "scan" in parts:
        mt_jobs += [("mailtapd 1 lcore, spool /dev/shm + default.rules", 1, shm, pcap, scan_conf),
                    ("mailtapd 2 lcores, spool /dev/shm + default.rules", 2, shm, pcap, scan_conf)]
    mt_jobs += [("mailtapd 2 lcores, empty capture", 2, shm, empty, None)]
    lim_cmd = [os.path.join(OUT, "limits"), "--pcap", pcap, "--rules", RULES,
               "--runs", "1"] + truths
    peer_names = [n for n in ("tcpflow", "tshark", "mailsnarf")
                  if PEERS and "mailtapd" in parts and shutil.which(n)]
    for n in ("tcpflow", "tshark", "mailsnarf"):
        if PEERS and "mailtapd" in parts and n not in peer_names:
            log("peer %s: not installed, skipped" % n)
    # with the stages part, "replay 1 lcore, stage_cycles off" is the 1-lcore replay row
    rp_jobs = ((("replay 1 lcore (replayer on CPU 1)", 1, shm),) if "stages" not in parts else ()) + \
        (("replay 2 lcores (writer + replayer on CPU 1)", 2, shm),) if "replay" in parts else ()
    # stages: per-stage cycles (memory source, 1 lcore: the clean layout on
    # 2 CPUs), the accounting's cost (on/off, same round), and worker scaling
    # (net_pcap, offline so lossless, RX + writer on lcore 0, workers on
    # lcores 1..W pinned round-robin over the CPUs)
    st_jobs = []
    if "stages" in parts:
        st_jobs = [("replay 1 lcore, stage_cycles off", "replay", "0",
                    write_conf("stage-off.conf", stage=False), 0),
                   ("replay 1 lcore, stage_cycles on", "replay", "0",
                    write_conf("stage-on.conf"), 0),
                   ("replay 1 lcore, stage_cycles off + default.rules", "replay", "0",
                    write_conf("stage-off-scan.conf", stage=False, rules=True), 0),
                   ("replay 1 lcore, stage_cycles on + default.rules", "replay", "0",
                    write_conf("stage-scan.conf", rules=True), 0)]
        for w in SCALE:
            lc = ",".join(["0@0"] + ["%d@%d" % (i, i % NCPU) for i in range(1, w + 1)])
            st_jobs.append(("mailtapd %d worker%s, stage_cycles on + default.rules" % (
                w, "s" if w > 1 else ""), "mailtapd", lc,
                write_conf("stage-w%d.conf" % w, rules=True,
                           roles=("0", "1-%d" % w if w > 1 else "1", "0")), w))
    st_res = {j[0]: [] for j in st_jobs}
    res = {n[0]: [] for n in tuple(mt_jobs) + rp_jobs}
    limr = []
    scanr = []
    scan_cmd = None
    peer_res = {n: [] for n in peer_names}
    peer_cnt = {}
    loads = [open("/proc/loadavg").read().split()[0]]
    rounds = RUNS if parts - {"sweep"} else 0
    for rnd in range(rounds):
        for name, lc, spool, src, conf in mt_jobs:
            w, r, m, cmd = mailtapd(src, lc, spool, conf)
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
        for name, kind, lc, conf, _ in st_jobs:
            run = pipeline_run(kind, lc, shm, conf, pcap)
            st_res[name].append(run)
            cmds[name] = run["cmd"]
            if run["mails"] != nmail:
                log("  WARNING: %s spooled %d mails, truth has %d" % (name, run["mails"], nmail))
        if "scan" in parts:
            sr, scan_cmd = scanstage(truths)
            scanr.append(sr)
        if "mailtapd" in parts:
            out = sh(lim_cmd).stdout
            lr = {}
            for line in out.splitlines():
                k, rest = line.split(" ", 1)
                lr[k] = {x: float(y) for x, y in (z.split("=") for z in rest.split())}
            limr.append(lr)
        for name in peer_names:
            if name == "tshark" and rnd >= TSHARK_ROUNDS:
                continue
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
            + "  " + "  ".join("%s %.2fs" % (k, v[-1]["s"]) for k, v in st_res.items())
            + "  " + "  ".join("%s %.2fs" % (k, v[-1][0]) for k, v in peer_res.items())
            + ("  scanstage %.2fs raw %.2fs" % (scanr[-1]["stage"]["s"], scanr[-1]["raw_decoded"]["s"])
               if scanr else "")))
    if st_res.get("replay 1 lcore, stage_cycles off"):
        res["replay 1 lcore (replayer on CPU 1)"] = [
            (x["s"], x["rss"], x["mails"]) for x in st_res["replay 1 lcore, stage_cycles off"]]
        cmds["replay 1 lcore (replayer on CPU 1)"] = cmds["replay 1 lcore, stage_cycles off"]
    for name, v in res.items():
        if v:
            rows[name] = dict(s=median([x[0] for x in v]), rss=median([x[1] for x in v]),
                              mails=int(median([x[2] for x in v])), all=[x[0] for x in v],
                              all_mails=[x[2] for x in v])
    lim = {}
    if limr:
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
    scan = {}
    if scanr:
        for k in ("stage", "mime_only", "raw_decoded", "raw_message", "raw_msg_body"):
            scan[k] = dict(scanr[0][k], s=median([x[k]["s"] for x in scanr]),
                           all=[x[k]["all"] for x in scanr])
        scan["ratio"] = {k: median([x["ratio"][k] for x in scanr]) for k in scanr[0]["ratio"]}
        scan["input"] = scanr[0]["input"]
        # end to end: rules on / rules off of the same round, same layout
        e2e = {}
        for lc in ("1 lcore", "2 lcores"):
            on = res["mailtapd %s, spool /dev/shm + default.rules" % lc]
            off = res["mailtapd %s, spool /dev/shm" % lc]
            emp = res["mailtapd 2 lcores, empty capture"]
            e2e[lc] = dict(ratio=median([a[0] / b[0] for a, b in zip(on, off)]),
                           net_ratio=median([(a[0] - e[0]) / max(b[0] - e[0], 1e-9)
                                             for a, b, e in zip(on, off, emp)]),
                           extra_s=median([a[0] - b[0] for a, b in zip(on, off)]))
        scan["e2e"] = e2e
        scan["cmd"] = fmt_cmd(scan_cmd)
    stages = stages_summary(st_jobs, st_res) if st_jobs else {}
    with open(os.path.join(OUT, "results-rounds.json"), "w") as f:  # kept if the sweep fails
        json.dump(dict(rows=rows, limits=lim, peers=peers, cmds=cmds, scan=scan,
                       stages=stages), f, indent=1)
    sw = {}
    if "sweep" in parts:
        for lname, lc, roles in SWEEP_LAYOUTS:
            sw[lname] = sweep(pcap, truths, nmail, lc, write_conf(
                "sweep-%s.conf" % lc.replace(",", "_").replace("@", "at"), roles=roles))

    r = dict(rows=rows, limits=lim, peers=peers, cmds=cmds, packets=pkts, wire=wire,
             mails=nmail, runs=RUNS, loads=loads, lim_cmd=lim_cmd, scan=scan, sweep=sw,
             stages=stages, parts=sorted(parts), date=time.strftime("%Y-%m-%d %H:%M UTC",
                                                                     time.gmtime()))
    name = "results.json" if parts == set(PARTS) - (set() if SWEEP else {"sweep"}) \
        else "results-%s.json" % "-".join(sorted(parts))
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(r, f, indent=1)
    table(r)


def stages_table(st, r):
    if not st or not st.get("runs"):
        return
    hz = st["tsc_hz"]
    log("")
    log("per stage ([pipeline] stage_cycles = yes; TSC %.2f GHz; cycles per wire packet and "
        "per wire byte of the capture; the rates are what one core would sustain doing only "
        "that stage: TSC / cycles per unit; medians of rounds)" % (hz / 1e9))
    for name, x in st["runs"].items():
        if x["kind"] != "replay" or "off" in name:
            continue
        log("  %s: %.3f s (rounds %s), %d mails" % (name, x["s"], " ".join(
            "%.2f" % y for y in x["all"]), x["mails"]))
        log("    %-48s %14s %9s %9s %8s %8s %10s %6s" % (
            "stage", "cycles", "cyc/pkt", "cyc/byte", "Gbit/s", "Mpkt/s", "mails/s", "share"))
        total = sum(x["stages"][k]["cycles"] for k, _, _ in STAGES) or 1
        for k, what, _ in STAGES:
            g = x["stages"][k]
            if g["cycles"] <= 0:
                log("    %-48s %14s   (not run)" % (what, 0))
                continue
            log("    %-48s %14.0f %9.0f %9.2f %8.2f %8.2f %10.0f %5.1f%%" % (
                what, g["cycles"], g["per_pkt"], g["per_byte"], g["gbps"], g["mpps"],
                g["mails_s"], 100 * g["cycles"] / total))
        for lc, b in x["busy"].items():
            t = x["threads"].get("rte-worker-%s" % lc, {})
            log("    lcore %s [%s]: busy %.0f%% of the run; scheduler: on CPU %.0f ms, "
                "runnable but waiting %.0f ms, %d involuntary switches" % (
                    lc, b["roles"], 100 * b["busy"], t.get("cpu_ms", 0), t.get("wait_ms", 0),
                    t.get("ivcsw", 0)))
        log("    high-water marks: " + ", ".join("%s %d" % kv for kv in x["gauges"].items())
            + "; longest: " + ", ".join("%s %d" % kv for kv in x["maxes"].items()))
    for k, what in (("overhead", ""), ("overhead_rules", " + default.rules")):
        if k in st:
            log("  cost of stage_cycles: replay 1 lcore%s on/off time ratio %.3f (median of "
                "rounds; per round %s); fastest on / fastest off %.3f; lcore CPU time on/off "
                "%.3f (preemption excluded: the figure to quote)" % (
                    what, st[k]["ratio"], " ".join("%.3f" % y for y in st[k]["all"]),
                    st[k].get("min_ratio", 0), st[k].get("cpu_ratio", 0)))
    if st.get("scale"):
        log("")
        log("worker scaling (mailtapd, net_pcap offline = lossless, spool /dev/shm, "
            "default.rules, RX + writer on lcore 0 (CPU 0), worker lcores pinned round-robin "
            "over the %d CPUs; balance = max/mean packets per worker)" % NCPU)
        log("  %-10s %6s %8s %8s %8s  %-s" % ("workers", "busy", "wall s", "vs 1", "balance",
                                             "packets per worker / note"))
        for x in st["scale"]:
            log("  %-10d %6d %8.3f %8.3f %8.3f  %s%s" % (
                x["workers"], x["busy_lcores"], x["s"], x.get("ratio_to_1", 0), x["balance"],
                " ".join(str(v) for v in x["wk_packets"]),
                "  OVERSUBSCRIBED (%d busy lcores on %d CPUs): not a throughput figure" % (
                    x["busy_lcores"], NCPU) if x["oversubscribed"] else ""))
        for x in st["scale"]:
            run = st["runs"][x["name"]]
            log("  %d worker(s), per lcore: %s" % (x["workers"], "; ".join(
                "lcore %s [%s] busy %.0f%%%s" % (
                    lc, b["roles"], 100 * b["busy"],
                    " (cycles/own packet: worker %.0f, of which SMTP %.0f, scan %.0f)" % (
                        b["wk_per_pkt"]["worker"], b["wk_per_pkt"]["smtp"],
                        b["wk_per_pkt"]["scan"]) if b.get("wk_per_pkt", {}).get("worker") else "")
                for lc, b in run["busy"].items())))
            log("    stages: " + ", ".join("%s %.0f cyc/pkt" % (k, run["stages"][k]["per_pkt"])
                                          for k, _, _ in STAGES)
                + "; high-water: " + ", ".join("%s %d" % kv for kv in run["gauges"].items()))


def table(r):
    rows, lim, peers, cmds, lim_cmd = r["rows"], r["limits"], r["peers"], r["cmds"], r["lim_cmd"]
    pkts, wire, nmail, loads = r["packets"], r["wire"], r["mails"], r["loads"]
    log("")
    log("mailtap bench: %d packets, %.0f MB wire, %d mails; medians of %d rounds; %s; "
        "%d CPUs; load average before/after rounds: %s" % (
        pkts, wire / 1e6, nmail, r.get("runs", RUNS),
        r.get("date", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
        os.cpu_count(), " ".join(loads)))
    if rows:
        base = rows["mailtapd 2 lcores, empty capture"]["s"]
        log("%-52s %7s %7s %7s %8s %7s %7s %7s %6s  %s" % (
            "run", "wall s", "Gbit/s", "Mpkt/s", "mails/s", "RSS MiB", "net s*", "net Gb/s",
            "mails", "runs (s)"))
        for name, x in rows.items():
            if "empty" in name:
                continue
            net = x["s"] if name.startswith("replay") else max(x["s"] - base, 1e-9)
            log("%-52s %7.3f %7.2f %7.2f %8.0f %7d %7.3f %7.2f %6d  %s" % (
                name, x["s"], wire * 8 / x["s"] / 1e9, pkts / x["s"] / 1e6, nmail / x["s"],
                x["rss"] // 1024, net, wire * 8 / net / 1e9, x["mails"],
                " ".join("%.2f" % y for y in x["all"])
                + ("  LOST MAILS: not a rate" if x["mails"] != nmail else "")))
        log("* net s: wall minus the empty-capture run (%.3f s: EAL start, pools, exit); replay"
            " rows: first enqueue to end of drain (frames preloaded in memory, no file reading)"
            % base)
    if lim:
        log("")
        log("against limits (same bytes, one core; ratio = limit time / mailtapd 2-lcore net"
            " time of the same round, i.e. the share of the limit's rate mailtapd reaches)")
        for k, what in (("pcap_read", "libpcap reading the file (pcap_next_ex)"),
                        ("memcpy", "memcpy of every TCP payload"),
                        ("hs_body", "Hyperscan stream scan, body rules, all mails"),
                        ("hs_attach", "Hyperscan stream scan, attachment rules, all mails")):
            if k in lim:
                b = lim[k]["bytes"]
                log("  %-52s %7.3f s %7.2f GB/s  ratio %.3f" % (
                    what, lim[k]["s"], b / lim[k]["s"] / 1e9, lim[k]["ratio"]))
    scan = r.get("scan")
    if scan:
        log("")
        log("scan stage (tests/bench/scanstage.c, one core, same mails, same databases; "
            "%s)" % " ".join("%s=%s" % (k, int(v) if isinstance(v, float) else v)
                             for k, v in scan["input"].items()))
        for k, what in (("stage", "(a) lib/mime + lib/scan, as mailtapd runs it"),
                        ("mime_only", "    lib/mime alone (no-op callbacks)"),
                        ("raw_decoded", "(b) raw hs_scan_stream, the decoded streams of (a)"),
                        ("raw_message", "(c) raw hs_scan_stream, undecoded, 3 databases"),
                        ("raw_msg_body", "    raw hs_scan_stream, undecoded, body db only")):
            x = scan[k]
            log("  %-52s %7.3f s %7.2f GB/s of %4.0f MB  matches %d" % (
                what, x["s"], x["bytes"] / x["s"] / 1e9, x["bytes"] / 1e6, x["matches"]))
        log("  ratios (median of per-repetition ratios): " + "  ".join(
            "%s %.2f" % (k, v) for k, v in scan["ratio"].items()))
        for lc, e in scan["e2e"].items():
            log("  mailtapd %s, /dev/shm: [scan] rules=default.rules on/off wall ratio %.3f, "
                "net ratio %.3f, +%.3f s" % (lc, e["ratio"], e["net_ratio"], e["extra_s"]))
    if peers:
        log("")
        log("against peers (same file; ratio = mailtapd 2-lcore wall ÷ peer wall of the same "
            "round; < 1: mailtapd faster)")
        for k, p in peers.items():
            log("  %-10s %8.3f s  RSS %5d MiB  ratio %.3f  %s" % (k, p["s"], p["rss"] // 1024,
                                                              p["ratio"], p["count"]))
        log("  mailtapd   %8.3f s  RSS %5d MiB  mails %d of %d" % (
            rows["mailtapd 2 lcores"]["s"], rows["mailtapd 2 lcores"]["rss"] // 1024,
            rows["mailtapd 2 lcores"]["mails"], nmail))
    stages_table(r.get("stages"), r)
    sw = r.get("sweep")
    if isinstance(sw, list):  # results of an older bench.py
        sw = {"1 lcore": sw} if sw else {}
    for lname, rows_ in (sw or {}).items():
        if not rows_:
            continue
        log("")
        log("loss sweep, %s (replay --rate, [pipeline] stage_cycles = yes, spool /dev/shm, one "
            "run per rate; drops: port_full = the port's queue full (imissed), src_nombuf = no "
            "mbuf, rx_drop_ring_full = the pipeline's RX->worker ring; stalls: longest gap "
            "between two RX polls, polls after >= 1 / 10 ms, longest worker / writer step, "
            "time lcore 0 was runnable but not running and its involuntary switches; the "
            "replayer's latest burst (us) and bursts sent >= 1 ms late)" % lname)
        log("  %9s %9s %8s %9s %8s %6s %9s %7s %7s %9s %7s %7s %6s %3s | %8s %5s %5s %8s %8s %8s %6s" % (
            "rate pps", "offered", "drops", "port_full", "nombuf", "ringfl", "mailslost",
            "spooled", "exact", "exact_msg", "incompl", "corrupt", "unflag", "rc",
            "gap us", ">=1ms", ">=10", "wk us", "wr us", "wait ms", "ivcsw") + " %8s %6s" % (
                "late us", "late"))
        for x in rows_:
            log("  %9.0f %9s %8d %9s %8s %6d %9d %7d %7s %9s %7s %7s %6s %3d | %8s %5s %5s %8s %8s %8.0f %6d%s" % (
                x["rate"], x.get("offered_pps"), x["pkt_drops"], x.get("port_full"),
                x.get("src_nombuf"), x["rx_drop_ring_full"], x["lost_mails"], x["written"],
                x.get("exact"), x.get("exact_msg"), x.get("incomplete"), x.get("corrupt"),
                x.get("unflagged"), x["rc"],
                x.get("rx_poll_gap_max_us", "-"), x.get("rx_poll_gaps_1ms", "-"),
                x.get("rx_poll_gaps_10ms", "-"), x.get("wk_step_max_us", "-"),
                x.get("wr_step_max_us", "-"), x.get("lcore0_wait_ms", 0),
                x.get("lcore0_ivcsw", 0),
                " %8s %6s" % (x.get("late_max_us", "-"), x.get("late_1ms", "-"))
                + ("" if x["identities"] else "  IDENTITIES FAILED")))
        ok = [x["rate"] for x in rows_ if x["zero_loss"]]
        first_bad = next((x for x in rows_ if not x["zero_loss"]), None)
        log("  highest rate with zero loss: %s" % ("%.0f pps" % max(ok) if ok else "none"))
        if first_bad:
            log("  first lossy rate: %.0f pps" % first_bad["rate"])
        log("  command: %s" % rows_[-1]["cmd"])
    log("")
    log("commands:")
    for k, c in cmds.items():
        log("  %-52s %s" % (k + ":", c))
    if lim:
        log("  %-52s %s" % ("limits:", fmt_cmd(lim_cmd)))
    if scan:
        log("  %-52s %s" % ("scanstage:", scan["cmd"]))



if __name__ == "__main__":
    main()
