"""[policy] end to end: the monitoring paper's six mail paths through two
registered servers (tests/e2e/policy_paths.py writes the capture).

policy = all        every hop of every mail is rebuilt: a mail comes out
                    once per hop it crossed;
policy = registered the two internal servers registered: only the hop on
                    which a mail enters them (anyIP-{regIP} -> regIP:25)
                    is rebuilt, so every mail comes out exactly once, and
                    the connection between two outside hosts not at all.
"""
import collections
import json
import os
import subprocess

import pytest

from conftest import BIN, TEST_CONF, mailtapd, mtgen
import compare_spool
import policy_paths

MAILS_PER_PATH = 4


@pytest.fixture(scope="module")
def paths_capture(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("paths"))
    pcap = os.path.join(d, "paths.pcap")
    truth = policy_paths.write(pcap, MAILS_PER_PATH)
    return d, pcap, truth


def conf(tmp, policy_text, name="policy.conf"):
    """TEST_CONF plus a [policy] section."""
    path = os.path.join(tmp, name)
    with open(TEST_CONF) as f, open(path, "w") as out:
        out.write(f.read() + "\n[policy]\n" + policy_text)
    return path


def spooled(spool):
    """[(record, message bytes)]: through compare_spool.read_spool where the
    spool is made of segments, else from the <id>.json + <id>.eml files."""
    if hasattr(compare_spool, "read_spool"):
        return compare_spool.read_spool(spool)
    out = []
    for name in sorted(os.listdir(spool)):
        if name.endswith(".json"):
            with open(os.path.join(spool, name)) as j, \
                    open(os.path.join(spool, name[:-5] + ".eml"), "rb") as e:
                out.append((json.load(j), e.read()))
    return out


def message_ids(spool):
    ids = collections.Counter()
    for _, msg in spooled(spool):
        for line in msg.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                ids[line.split(b":", 1)[1].strip().decode()] += 1
                break
    return ids


def test_capture_has_the_six_paths(paths_capture):
    _, _, truth = paths_capture
    hops = collections.Counter((t["path"], t["mail"]) for t in truth)
    for path_no, nodes in policy_paths.PATHS:
        for n in range(MAILS_PER_PATH):
            assert hops[(path_no, n)] == len(nodes) - 1
    # exactly one hop per paper path passes the rule (written in Python)
    for path_no, _ in policy_paths.PATHS:
        for n in range(MAILS_PER_PATH):
            kept = [t for t in truth if (t["path"], t["mail"]) == (path_no, n)
                    and policy_paths.registered_keeps(t["client"], t["server"])]
            assert len(kept) == (0 if path_no == 0 else 1), (path_no, n)


@pytest.mark.parametrize("lcores", [1, 3])
def test_policy_all_once_per_hop(tmp, paths_capture, lcores):
    d, pcap, truth = paths_capture
    r = mailtapd(tmp, [pcap], lcores=lcores, config=conf(tmp, "mode = all\n"))
    assert r.rc == 0, r
    want = policy_paths.write_truth(truth, os.path.join(tmp, "truth-all"))
    ok, report = compare_spool.compare(r.spool, want)
    assert ok, "\n".join(report) + "\n" + str(r)
    ids = message_ids(r.spool)
    for t in truth:
        hops = sum(1 for u in truth if u["message_id"] == t["message_id"])
        assert ids[t["message_id"]] == hops, t["message_id"]
    assert max(ids.values()) == 3  # path 6 crosses three hops
    assert r.counter("rx_drop_policy") == 0, r
    assert "policy: all" in r.out, r
    assert "all identities hold" in r.out, r


@pytest.mark.parametrize("lcores", [1, 3])
def test_policy_registered_each_mail_once(tmp, paths_capture, lcores):
    d, pcap, truth = paths_capture
    # IPv4 servers inline, IPv6 servers in a file next to the config
    with open(os.path.join(tmp, "servers.txt"), "w") as f:
        f.write("# internal mail servers, IPv6\n%s\n%s/128\n"
                % (policy_paths.V6["REG1"], policy_paths.V6["REG2"]))
    c = conf(tmp, "mode = registered\nservers = %s, %s/32\nservers_file = servers.txt\n"
             % (policy_paths.V4["REG1"], policy_paths.V4["REG2"]))
    r = mailtapd(tmp, [pcap], lcores=lcores, config=c)
    assert r.rc == 0, r
    entry = [t for t in truth if policy_paths.registered_keeps(t["client"], t["server"])]
    want = policy_paths.write_truth(entry, os.path.join(tmp, "truth-registered"))
    ok, report = compare_spool.compare(r.spool, want)
    assert ok, "\n".join(report) + "\n" + str(r)
    # every mail of the six paths exactly once, the outside one not at all
    ids = message_ids(r.spool)
    paper = {t["message_id"] for t in truth if t["path"] != 0}
    assert set(ids) == paper, sorted(set(ids) ^ paper)
    assert set(ids.values()) == {1}, ids
    assert len(ids) == 6 * MAILS_PER_PATH
    # the copy kept is the one entering the site: no Received: line yet
    for rec, msg in spooled(r.spool):
        assert not msg.startswith(b"Received:"), rec
    dropped = r.counter("rx_drop_policy")
    assert dropped > 0, r
    assert "policy registered: %d packets" % dropped in r.out, r
    assert "policy: registered, 4 server prefixes" in r.out, r
    assert "all identities hold" in r.out, r


def test_policy_registered_one_server(tmp, paths_capture):
    """Only server 1 registered: server 2 counts as outside, so a mail is
    rebuilt where it enters server 1, and hops to server 2 are not."""
    d, pcap, truth = paths_capture
    c = conf(tmp, "mode = registered\nservers = %s, %s\n"
             % (policy_paths.V4["REG1"], policy_paths.V6["REG1"]))
    r = mailtapd(tmp, [pcap], lcores=2, config=c)
    assert r.rc == 0, r
    ids = message_ids(r.spool)
    assert set(ids.values()) == {1} and len(ids) == 6 * MAILS_PER_PATH, ids
    assert {rec["dest_ip"] for rec, _ in spooled(r.spool)} == {policy_paths.V4["REG1"],
                                                             policy_paths.V6["REG1"]}


# ---- the same with mtgen --paths: concurrent, interleaved hops, IPv4 and
# IPv6, VLAN tags, pipelining, rejected recipients, random segmentation.

GEN_MAILS = 120          # mail i takes path 1 + i mod 6: 20 of each
GEN_REG = ("192.0.2.25", "192.0.2.26", "2001:db8:2::19", "2001:db8:2::1a")


@pytest.fixture(scope="module")
def gen_paths(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("genpaths"))
    pcap, truth = mtgen(d, "paths", "--paths", "--sessions", GEN_MAILS,
                        "--concurrency", 12, "--ipv6", 40, "--vlan", 20,
                        "--pipelining", 30, "--rcpt-reject", 10,
                        "--split", "random", "--seed", 11)
    with open(os.path.join(truth, "truth.jsonl")) as f:
        recs = [json.loads(line) for line in f]
    return pcap, truth, recs


def gen_subset(truth, recs, d):
    """A truth directory (compare_spool's format) holding only recs."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "truth.jsonl"), "w") as f:
        for t in recs:
            os.symlink(os.path.join(truth, t["file"]), os.path.join(d, t["file"]))
            f.write(json.dumps(t) + "\n")
    return d


def test_mtgen_paths_truth(gen_paths):
    """mtgen's truth: the six paths, one record per hop, and its
    registered_keeps field agrees with the paper's rule on the addresses."""
    pcap, truth, recs = gen_paths
    check = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gen",
                         "check_truth.py")
    r = subprocess.run([check, truth, "--pcap", pcap], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0 and "along the six paths" in r.stdout, r.stdout + r.stderr
    by_mail = collections.defaultdict(list)
    for t in recs:
        by_mail[t["path_mail"]].append(t)
    assert len(by_mail) == GEN_MAILS
    hops = {1: 1, 2: 2, 3: 1, 4: 2, 5: 2, 6: 3}
    for m, ts in by_mail.items():
        path = ts[0]["path"]
        assert path == 1 + m % 6 and len(ts) == hops[path], ts
        assert sorted(t["hop"] for t in ts) == list(range(hops[path]))
        kept = [t for t in ts
                if t["server"] in GEN_REG and t["client"] not in GEN_REG]
        assert len(kept) == 1 and kept[0]["registered_keeps"], ts
        assert [t["hop"] for t in ts if t["registered_keeps"]] == [kept[0]["hop"]]
        assert all(t["kept_hop"] == kept[0]["hop"] for t in ts)


@pytest.mark.parametrize("lcores", [1, 3])
def test_mtgen_paths_registered_each_mail_once(tmp, gen_paths, lcores):
    pcap, truth, recs = gen_paths
    c = conf(tmp, "mode = registered\nservers = %s\n" % ", ".join(GEN_REG))
    r = mailtapd(tmp, [pcap], lcores=lcores, config=c)
    assert r.rc == 0, r
    kept = [t for t in recs if t["registered_keeps"]]
    assert len(kept) == GEN_MAILS
    want = gen_subset(truth, kept, os.path.join(tmp, "truth-registered"))
    ok, report = compare_spool.compare(r.spool, want)
    assert ok, "\n".join(report) + "\n" + str(r)
    ids = message_ids(r.spool)
    assert len(ids) == GEN_MAILS and set(ids.values()) == {1}, ids
    assert r.counter("rx_drop_policy") > 0, r


@pytest.mark.parametrize("lcores", [1, 3])
def test_mtgen_paths_all_once_per_hop(tmp, gen_paths, lcores):
    pcap, truth, recs = gen_paths
    r = mailtapd(tmp, [pcap], lcores=lcores, config=conf(tmp, "mode = all\n"))
    assert r.rc == 0, r
    ok, report = compare_spool.compare(r.spool, truth)
    assert ok, "\n".join(report) + "\n" + str(r)
    ids = message_ids(r.spool)
    hops = collections.Counter(t["path_mail"] for t in recs)
    assert len(ids) == GEN_MAILS
    assert sorted(ids.values()) == sorted(hops.values())
    assert max(ids.values()) == 3  # path 6
    assert r.counter("rx_drop_policy") == 0, r


def check_config(path):
    return subprocess.run([os.path.join(BIN, "mailtapd"), "--", "--config", path,
                           "--check-config"], capture_output=True, text=True, timeout=60)


def test_check_config_reports_policy_errors(tmp):
    p = conf(tmp, "mode = registered\n", "no-servers.conf")
    r = check_config(p)
    assert r.returncode == 2, r
    line = sum(1 for _ in open(p))
    assert "%s:%d: [policy] mode = registered needs the site's mail servers" % (p, line) \
        in r.stderr, r.stderr

    p = conf(tmp, "servers = 192.0.2.25/24\n", "host-bits.conf")
    r = check_config(p)
    assert r.returncode == 2, r
    assert "[policy] servers: '192.0.2.25/24' has host bits set" in r.stderr, r.stderr

    with open(os.path.join(tmp, "bad-servers.txt"), "w") as f:
        f.write("192.0.2.25\n\n2001:db8::zz\n")
    p = conf(tmp, "servers_file = bad-servers.txt\n", "bad-file.conf")
    r = check_config(p)
    assert r.returncode == 2, r
    assert "%s:3: '2001:db8::zz' is not an IPv4 or IPv6 address" \
        % os.path.join(tmp, "bad-servers.txt") in r.stderr, r.stderr

    p = conf(tmp, "mode = registered\nservers_file = bad-servers.txt\n", "ok.conf")
    with open(os.path.join(tmp, "bad-servers.txt"), "w") as f:
        f.write("192.0.2.25\n2001:db8::/32\n")
    r = check_config(p)
    assert r.returncode == 0 and "configuration is valid" in r.stdout, r
