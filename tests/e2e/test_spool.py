"""The spool (docs/SPOOL.md) end to end: mailtapd killed with SIGKILL at
random points while mails flow, a spool on a full tmpfs, and the mailtap
spool command (export to .eml files and mbox, claim/ack, follow) - every
mail checked against the generator's ground truth."""
import collections
import hashlib
import json
import mailbox
import os
import random
import re
import shutil
import signal
import subprocess
import tarfile
import time

import pytest

from conftest import BIN, TEST_CONF, eal_mem, lcores_arg, mtgen
import compare_spool

MAILTAP = os.path.join(BIN, "mailtap")


def conf(tmp, spool_lines):
    """test.conf plus a [spool] section."""
    path = os.path.join(tmp, "spool-%d.conf" % len(os.listdir(tmp)))
    with open(TEST_CONF) as f, open(path, "w") as o:
        o.write(f.read() + "\n[spool]\n" + "".join("%s\n" % l for l in spool_lines))
    return path


def start(tmp, pcap, spool, config, lcores=2):
    n = len(os.listdir(tmp))
    prefix = "mt-e2e-spool-%d-%d" % (os.getpid(), n)
    cmd = ([os.path.join(BIN, "mailtapd")] + lcores_arg(lcores) +
           ["--no-pci", "--file-prefix", prefix] + eal_mem() +
           ["--vdev", "net_pcap0,rx_pcap=%s" % os.path.abspath(pcap), "--",
            "--config", config, "--spool", spool])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.runtime_dir = "/var/run/dpdk/" + prefix  # left behind by a SIGKILL
    return p


def counter(out, name):
    return sum(int(v) for v in re.findall(r"\b%s=(\d+)" % re.escape(name), out))


def truth_keys(truth):
    want = collections.Counter()
    with open(os.path.join(truth, "truth.jsonl")) as f:
        for line in f:
            t = json.loads(line)
            if t.get("outcome", "accepted") == "accepted":
                with open(os.path.join(truth, t["file"]), "rb") as m:
                    digest = hashlib.sha256(m.read()).hexdigest()
                want[(t["client"], t["client_port"], t["mail_from"], digest)] += 1
    return want


def key(rec, eml):
    return (rec["src_ip"], rec["src_port"], rec["smtp"]["mail_from"],
            hashlib.sha256(eml).hexdigest())


def whole_prefix(path):
    """Ids of the whole mails at the start of a (possibly torn) segment,
    parsed by hand - independently of lib/spool and of tarfile."""
    data = open(path, "rb").read()
    off, ids = 0, []
    while off + 1024 <= len(data):
        h = data[off:off + 512]
        if h == b"\0" * 512 or h[257:262] != b"ustar":
            break
        name = h[:100].rstrip(b"\0").decode()
        size = int(h[124:136].strip(b" \0") or b"0", 8)
        if sum(h[:148]) + 8 * 32 + sum(h[156:]) != int(h[148:156].strip(b" \0"), 8):
            break
        eml = data[off + 512:off + 512 + size]
        off2 = off + 512 + (size + 511) // 512 * 512
        h2 = data[off2:off2 + 512]
        if len(h2) < 512 or h2[:100].rstrip(b"\0").decode(errors="replace") != name[:-4] + ".json":
            break
        jsize = int(h2[124:136].strip(b" \0") or b"0", 8)
        rec = data[off2 + 512:off2 + 512 + jsize]
        end = off2 + 512 + (jsize + 511) // 512 * 512
        if len(eml) < size or len(rec) < jsize or end > len(data) or not rec.endswith(b"}\n"):
            break
        r = json.loads(rec)
        if r.get("sha256", hashlib.sha256(b"").hexdigest()) != hashlib.sha256(eml).hexdigest():
            break
        ids.append(name[:-4])
        off = end
    return ids


def check_published(spool):
    """Every published segment: a whole tar of whole mails (tarfile reads
    it strictly); returns {segment name: [(record, message)]}."""
    out = {}
    for p in compare_spool.segments(spool):
        mails = compare_spool.read_segment(p)  # raises on anything but whole pairs
        for rec, eml in mails:
            assert rec["sha256" if eml else "id"] == (hashlib.sha256(eml).hexdigest()
                                                     if eml else rec["id"]), p
        with open(p, "rb") as f:
            f.seek(-1024, 2)
            assert f.read() == b"\0" * 1024, "%s: no end-of-archive blocks" % p
        out[os.path.basename(p)] = mails
    return out


def test_sigkill_at_random_points_keeps_the_spool_whole(tmp):
    """Kill -9 mailtapd at random moments of a run over the same capture,
    restart, repeat; then one run to the end.  After every kill: published
    segments hold whole mails only, at most one unpublished segment; after
    every restart it is published with exactly its whole mails; within a
    run no mail twice; the last run has every mail of the truth once."""
    rng = random.Random(int(os.environ.get("MT_SEED", "6")))
    pcap, truth = mtgen(tmp, "kill", "--sessions", 1500, "--mails-per-session", "1-3",
                        "--concurrency", 60, "--seed", 21, "--split", "random")
    want = truth_keys(truth)
    cfg = conf(tmp, ["segment_max_bytes = 64K", "segment_max_age_s = 1"])
    spool = os.path.join(tmp, "spool")

    t0 = time.time()  # how long a whole run takes here, on a scratch spool
    p = start(tmp, pcap, os.path.join(tmp, "scratch"), cfg)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, out + err
    full = time.time() - t0

    expect_recovered = {}  # unpublished segment name -> its whole mail ids
    kills = recovered = 0
    # until MT_KILLS kills landed (a run can end before its kill when the
    # machine is faster than during the timing run), at most 3x the tries
    want_kills = int(os.environ.get("MT_KILLS", "10"))
    for i in range(3 * want_kills):
        if kills >= want_kills and recovered >= 1:
            break
        p = start(tmp, pcap, spool, cfg)
        # half the kills at a random moment of the run; the other half once
        # the writer has a segment under way (so some kill leaves one)
        if i % 2 == 0:
            time.sleep(rng.uniform(0.05, 0.8 * full))
        else:
            until = time.time() + full
            while time.time() < until and p.poll() is None and not any(
                    n.endswith(".tar") and os.path.getsize(os.path.join(spool, "tmp", n)) > 0
                    for n in (os.listdir(os.path.join(spool, "tmp"))
                              if os.path.isdir(os.path.join(spool, "tmp")) else [])):
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.2 * full))
        if p.poll() is not None:
            out, err = p.communicate()
            assert p.returncode == 0, out + err
            continue
        p.send_signal(signal.SIGKILL)
        p.communicate()
        shutil.rmtree(p.runtime_dir, ignore_errors=True)
        kills += 1
        segs = check_published(spool)
        tmps = [n for n in os.listdir(os.path.join(spool, "tmp")) if n.endswith(".tar")]
        assert len(tmps) <= 1, tmps
        for name, ids in expect_recovered.items():
            if name in tmps:  # killed before it opened the spool: still there
                assert whole_prefix(os.path.join(spool, "tmp", name)) == ids, name
                continue
            recovered += 1  # the restart published it with its whole mails
            assert name in segs, "unpublished %s not recovered" % name
            assert [r["id"] for r, _ in segs[name]] == ids, name
        expect_recovered = {n: whole_prefix(os.path.join(spool, "tmp", n)) for n in tmps}
        expect_recovered = {n: v for n, v in expect_recovered.items() if v}
    print("kills %d, recovered %d, a run %.2f s" % (kills, recovered, full))
    assert kills >= 3, "the runs ended before the kills (%.1f s a run)" % full
    assert recovered >= 1, "no kill left an unpublished segment with a whole mail"

    p = start(tmp, pcap, spool, cfg)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, out + err
    assert "all identities hold" in out, out
    segs = check_published(spool)
    for name, ids in expect_recovered.items():
        assert [r["id"] for r, _ in segs[name]] == ids, name
    assert not [n for n in os.listdir(os.path.join(spool, "tmp")) if n.endswith(".tar")]

    by_run = collections.defaultdict(collections.Counter)
    for mails in segs.values():
        for rec, eml in mails:
            by_run[rec["id"][:8]][key(rec, eml)] += 1
    last = max(by_run)
    for run, got in by_run.items():
        assert not (got - want), "run %s: mails not in the truth: %s" % (run, list(got - want)[:3])
        assert max(got.values()) == 1, "run %s wrote a mail twice" % run
    assert by_run[last] == want, "the last run: %d of %d mails" % (sum(by_run[last].values()),
                                                                 sum(want.values()))
    assert counter(out, "wr_segments") > 1


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_full_tmpfs_pauses_and_resumes_without_loss(tmp):
    """A spool on a 1 MiB tmpfs and 4+ MB of mail: the writer pauses when
    the disk is full (offline, the workers wait), a consumer moves
    segments away, writing resumes; in the end every mail of the truth
    is there once, nothing is torn, and nothing was dropped."""
    pcap, truth = mtgen(tmp, "full", "--sessions", 300, "--mails-per-session", "1-2",
                        "--seed", 5, "--min-size", 8000, "--max-size", 30000)
    cfg = conf(tmp, ["segment_max_bytes = 64K", "segment_max_age_s = 1"])
    spool = os.path.join(tmp, "spool")
    away = os.path.join(tmp, "consumed")
    os.makedirs(spool)
    os.makedirs(os.path.join(away, "tmp"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", spool], check=True)
    try:
        p = start(tmp, pcap, spool, cfg)
        last_change, last_state, stalls = time.time(), None, 0
        deadline = time.time() + 300
        while p.poll() is None and time.time() < deadline:
            time.sleep(0.2)
            st = os.statvfs(spool)
            state = (sorted(os.listdir(spool)), st.f_bfree)
            if state != last_state:
                last_state, last_change = state, time.time()
            elif time.time() - last_change > 1.5:
                # full and stuck: a consumer takes everything published
                stalls += 1
                for n in os.listdir(spool):
                    if n.endswith(".tar"):
                        shutil.move(os.path.join(spool, n), os.path.join(away, n))
                last_change = time.time()
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, out + err
        check_published(spool)
        for n in os.listdir(spool):
            if n.endswith(".tar"):
                shutil.move(os.path.join(spool, n), os.path.join(away, n))
    finally:
        subprocess.run(["umount", spool])
    assert stalls >= 1 and counter(out, "wr_paused") >= 1, out + err
    assert counter(out, "wr_write_failures") >= 1, out
    assert "ALERT" in err and "No space left on device" in err, err
    assert counter(out, "wr_errors") == 0 and counter(out, "mail_drop_ring_full") == 0, out
    check_published(away)
    ok, report = compare_spool.compare(away, truth)
    assert ok, "\n".join(report) + "\n" + out


def test_mailtap_spool_export_list_show_claim(tmp):
    """mailtap spool on a finished run: --eml export byte-exact, --mbox read
    by Python's mailbox module, tar -t reads every segment, list/show, and
    two consumers claiming and acking every segment exactly once."""
    pcap, truth = mtgen(tmp, "cli", "--sessions", 60, "--seed", 9)
    cfg = conf(tmp, ["segment_max_bytes = 64K"])
    spool = os.path.join(tmp, "spool")
    p = start(tmp, pcap, spool, cfg)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, out + err
    segs = compare_spool.segments(spool)
    assert len(segs) > 1
    for s in segs:
        r = subprocess.run(["tar", "-tf", s], capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.count(".eml") == r.stdout.count(".json"), r
    f = subprocess.run([MAILTAP, "spool", "follow", "--timeout", "0.5", spool],
                       capture_output=True, text=True)
    assert f.returncode == 0 and sorted(f.stdout.split()) == sorted(segs), f

    truth_msgs = {}
    for line in open(os.path.join(truth, "truth.jsonl")):
        t = json.loads(line)
        truth_msgs[(t["client"], t["client_port"], t["mail_from"])] = \
            open(os.path.join(truth, t["file"]), "rb").read()

    outdir = os.path.join(tmp, "eml")
    r = subprocess.run([MAILTAP, "spool", "export", "--eml", outdir, spool],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    names = sorted(os.listdir(outdir))
    assert len(names) == 2 * len(truth_msgs)
    for n in names:
        if n.endswith(".json"):
            rec = json.load(open(os.path.join(outdir, n)))
            eml = open(os.path.join(outdir, n[:-5] + ".eml"), "rb").read()
            assert eml == truth_msgs[(rec["src_ip"], rec["src_port"], rec["smtp"]["mail_from"])]

    mbox_path = os.path.join(tmp, "all.mbox")
    r = subprocess.run([MAILTAP, "spool", "export", "--mbox", mbox_path, spool],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    box = mailbox.mbox(mbox_path)
    msgs = [box.get_bytes(k) for k in box.keys()]
    assert len(msgs) == len(truth_msgs)
    unquoted = sorted(re.sub(rb"(?m)^>(>*From )", rb"\1", m) for m in msgs)
    assert unquoted == sorted(truth_msgs.values())

    r = subprocess.run([MAILTAP, "spool", "list", spool], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.count("segment ") == len(segs), r
    first = compare_spool.read_segment(segs[0])[0][0]["id"]
    r = subprocess.run([MAILTAP, "spool", "show", "--eml", spool, first], capture_output=True)
    assert r.returncode == 0 and r.stdout == compare_spool.read_segment(segs[0])[0][1]
    assert subprocess.run([MAILTAP, "spool", "show", spool, "nosuchid"]).returncode == 3

    taken = collections.Counter()
    for turn in range(2 * len(segs) + 2):
        who = "c%d" % (turn % 2)
        r = subprocess.run([MAILTAP, "spool", "claim", spool, who], capture_output=True, text=True)
        if r.returncode == 3:
            continue
        assert r.returncode == 0, r.stderr
        path = r.stdout.strip()
        assert "/claimed/%s/" % who in path
        taken[os.path.basename(path)] += 1
        assert subprocess.run([MAILTAP, "spool", "ack", spool, who, path]).returncode == 0
    assert sorted(taken) == sorted(os.path.basename(s) for s in segs)
    assert max(taken.values()) == 1
    assert len(os.listdir(os.path.join(spool, "done"))) == len(segs)
    ok, report = compare_spool.compare(spool, truth)  # done/ still counts as the output
    assert ok, "\n".join(report)
