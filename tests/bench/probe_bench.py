#!/usr/bin/env python3
"""probe_bench.py - completed probes per second of `mailtap probe` against a
loopback fleet (tests/bench/probe_fleet.c) that replays the recorded
dialogues of tests/fp/fixtures/*/*.txt, set next to the source article's
rate (MISSION.md source 2: 400,000 domains in 2-3 hours, 37-55 per second).

    make bench-probe          (builds, then runs this)
    /usr/bin/python3 tests/bench/probe_bench.py [--targets N] [--rounds R]

Rows (each the median of R rounds; ratios use figures of the same round):
  - concurrency 100 / 1000 / 2000, no reply delay: the prober's own cost
    (both connections, 11 commands, classification, one JSON record);
  - concurrency 100 / 1000 with every reply 50 ms late (--delay-ms), as an
    Internet round trip: there the rate is bounded by concurrency / dialogue
    time, which is why the prober keeps >= 1,000 sessions open.
Every round checks each target's record: status ok, and the verdict its
fixture gives (unknown exactly for the fixtures without a rule).  The
fleet's CPU time is printed beside the prober's: it stays well below, so the
fleet is not the bottleneck.  Loopback only (127.77.0.0/16); the fleet is
stopped by its pid.
"""
import argparse
import glob
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MAILTAP = os.path.join(ROOT, "build", "bin", "mailtap")
FLEET = os.path.join(ROOT, "build", "bench", "probe_fleet")
ARTICLE = (400000 / (3 * 3600), 400000 / (2 * 3600))  # 37..55 per second
HZ = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def free_port(nports, base):
    for _ in range(100):
        p = random.randint(20000, 60000 - nports)
        try:
            for k in range(nports):
                s = socket.socket()
                s.bind((base, p + k))
                s.close()
            return p
        except OSError:
            continue
    raise RuntimeError("no free port range")


def addr(base_int, i):
    a = base_int + i
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def expected_verdicts(fixtures):
    """Verdict of each fixture as the prober's rules give it (classified by
    mailtap itself from a real replay, once): product or 'unknown'."""
    return ["unknown" if "unknown" in os.path.basename(os.path.dirname(f)) else None
            for f in fixtures]


def one_round(targets_file, ntargets, conc, fleet_pid, expect, per_target_fix, tmp, read_ms):
    out = os.path.join(tmp, "out-%d.jsonl" % conc)
    if os.path.exists(out):
        os.unlink(out)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    f0 = proc_cpu(fleet_pid)
    t0 = time.monotonic()
    r = subprocess.run([MAILTAP, "probe", "--input", targets_file, "--output", out,
                        "--rate", "0", "--concurrency", str(conc), "--no-progress", "--stats",
                        "--read-timeout", str(read_ms), "--total-timeout", "60000"],
                       capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    fleet_cpu = proc_cpu(fleet_pid) - f0
    if r.returncode != 0:
        sys.exit("probe failed: %s" % r.stderr)
    stats = {}
    for line in r.stderr.splitlines():
        if line.startswith("probe stats:"):
            w = line.split()[2:]
            stats = {w[i]: float(w[i + 1]) for i in range(0, len(w) - 1, 2)}
    recs = {}
    with open(out) as f:
        for line in f:
            j = json.loads(line)
            recs[j["target"]] = j
    if len(recs) != ntargets:
        sys.exit("%d records for %d targets" % (len(recs), ntargets))
    known = 0
    by_fixture = {}
    for t, j in recs.items():
        if j["status"] != "ok":
            sys.exit("target %s: %s" % (t, j.get("error", j["status"])))
        fx = per_target_fix[t]
        v = j.get("product", "unknown")
        by_fixture.setdefault(fx, set()).add(v)
        if expect[fx] == "unknown" and v != "unknown":
            sys.exit("target %s (fixture without rule) named %s" % (t, v))
        known += v != "unknown"
    for fx, vs in by_fixture.items():
        if len(vs) != 1:  # one fixture, one verdict, whatever the load
            sys.exit("fixture %d gave verdicts %s" % (fx, sorted(vs)))
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return {"rate": ntargets / wall, "wall": wall, "peak": stats.get("peak_active", 0),
            "cpu": cpu, "fleet_cpu": fleet_cpu, "known": known,
            "connects": stats.get("connects", 0)}


def run_case(fixtures, ntargets, concs, delay, rounds, tmp, read_ms=10000):
    base = "127.77.0.1"
    base_int = (127 << 24) | (77 << 16) | 1
    count = min(ntargets, 5000)
    nports = (ntargets + count - 1) // count
    port = free_port(nports, base)
    fleet = subprocess.Popen([FLEET, "--base", base, "--count", str(count), "--port", str(port),
                              "--ports", str(nports), "--delay-ms", str(delay)] + fixtures,
                             stdout=subprocess.PIPE, text=True)
    try:
        if fleet.stdout.readline().strip() != "ready":
            sys.exit("fleet did not start")
        targets = os.path.join(tmp, "targets-%d.txt" % delay)
        per_target_fix = {}
        with open(targets, "w") as f:
            for k in range(ntargets):
                t = "%s:%d" % (addr(base_int, k % count), port + k // count)
                per_target_fix[t] = k % len(fixtures)
                f.write(t + "\n")
        expect = expected_verdicts(fixtures)
        rows = {c: [] for c in concs}
        for _ in range(rounds):
            for c in concs:  # interleaved, so drift hits every row alike
                rows[c].append(one_round(targets, ntargets, c, fleet.pid, expect,
                                         per_target_fix, tmp, read_ms))
        return rows
    finally:
        fleet.terminate()
        try:
            fleet.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fleet.kill()
            fleet.wait()


def med(rs, k):
    return statistics.median(r[k] for r in rs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--delay-ms", type=int, default=50)
    args = ap.parse_args()
    for b in (MAILTAP, FLEET):
        if not os.access(b, os.X_OK):
            sys.exit("%s missing: make bench-probe builds it" % b)
    every = sorted(glob.glob(os.path.join(ROOT, "tests", "fp", "fixtures", "*", "*.txt")))
    # a server that never answers a probe (courier's tarpit: "!timeout") costs
    # the read timeout, not prober work: those get a row of their own
    answering = [f for f in every if "\n!timeout" not in open(f).read()]
    if not answering:
        sys.exit("no fixtures under tests/fp/fixtures")
    tarpit_read_ms = 2000
    with tempfile.TemporaryDirectory(prefix="mt-probe-bench-") as tmp:
        fast = run_case(answering, args.targets, (100, 1000, 2000), 0, args.rounds, tmp)
        slow_n = min(args.targets, 4000)
        slow = run_case(answering, slow_n, (100, 1000), args.delay_ms, args.rounds, tmp)
        tarpit = {}
        if len(every) > len(answering):
            tarpit = run_case(every, slow_n, (1000,), 0, args.rounds, tmp, tarpit_read_ms)
    print("mailtap probe benchmark: loopback fleet replaying %d recorded dialogues "
          "(tests/fp/fixtures; %d that never answer a probe only in the last row), "
          "rate limit off, medians of %d rounds" %
          (len(every), len(every) - len(answering), args.rounds))
    print("%-24s %8s %11s %8s %11s %8s %10s %12s %10s" %
          ("case", "targets", "concurrency", "peak", "probes/s", "wall s", "prober cpu",
           "fleet cpu", "identified"))
    results = []
    for name, rows, n in (("no delay", fast, args.targets),
                          ("%d ms per reply" % args.delay_ms, slow, slow_n),
                          ("tarpits, %d ms timeout" % tarpit_read_ms, tarpit, slow_n)):
        for c, rs in rows.items():
            print("%-24s %8d %11d %8d %11.0f %8.2f %9.2fs %11.2fs %9.1f%%" %
                  (name, n, c, med(rs, "peak"), med(rs, "rate"), med(rs, "wall"),
                   med(rs, "cpu"), med(rs, "fleet_cpu"), 100.0 * med(rs, "known") / n))
            results.append({"case": name, "targets": n, "concurrency": c,
                            "probes_per_s": med(rs, "rate"), "peak": med(rs, "peak"),
                            "wall_s": med(rs, "wall"), "prober_cpu_s": med(rs, "cpu"),
                            "fleet_cpu_s": med(rs, "fleet_cpu")})
    r1000 = [x for x in results if x["concurrency"] == 1000]
    dl_name = "%d ms per reply" % args.delay_ms
    print()
    print("source article: 400,000 domains in 2-3 h = %.0f-%.0f probes/s" % ARTICLE)
    for x in r1000:
        print("  %-18s at 1,000 sessions: %.0f probes/s = %.0f-%.0f x the article's rate"
              " (400,000 domains in %.1f min)" %
              (x["case"], x["probes_per_s"], x["probes_per_s"] / ARTICLE[1],
               x["probes_per_s"] / ARTICLE[0], 400000 / x["probes_per_s"] / 60))
    fr = {r["concurrency"]: r for r in results if r["case"] == "no delay"}
    dl = {r["concurrency"]: r for r in results if r["case"] == dl_name}
    print("  fleet/prober CPU at 1,000 sessions, no delay: %.2f (the fleet is not the bound)" %
          (fr[1000]["fleet_cpu_s"] / max(fr[1000]["prober_cpu_s"], 1e-9)))
    print("  with %d ms replies, 1,000 vs 100 sessions: %.1f x the rate" %
          (args.delay_ms, dl[1000]["probes_per_s"] / dl[100]["probes_per_s"]))
    os.makedirs(os.path.join(ROOT, "build", "bench"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "bench", "probe.json"), "w") as f:
        json.dump(results, f, indent=1)
    bad = [x for x in results if x["concurrency"] >= 1000 and x["peak"] < 1000]
    if bad:
        sys.exit("peak concurrency below 1,000: %s" % bad)


if __name__ == "__main__":
    main()
