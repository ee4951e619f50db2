"""Helpers for tests/e2e/test_postfix_live.py: a two-namespace test network
with a SPAN copy of the server's traffic, a private Postfix instance, and the
exact messages swaks sends.

Network (names carry the test's pid, so parallel runs do not collide):

    netns mtpf-c-PID               netns mtpf-s-PID
    c0 192.0.2.10/24  <--veth-->  s0 192.0.2.25/24  (Postfix listens here)
                                   | tc clsact on s0: ingress and egress
                                   |   u32 match-all -> mirred mirror
                                  span0 --veth--> mtspPID (root namespace,
                                                  no address, read by
                                                  mailtapd's net_af_packet)

Only documentation addresses, no default route, IPv6 off: nothing can leave
the namespaces.  Everything is undone by Net.close() / Postfix.stop(), which
kill only the pids they started or that live in their own namespaces.
"""
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

CLIENT_IP = "192.0.2.10"
SERVER_IP = "192.0.2.25"
POSTFIX_DAEMONS = "/usr/lib/postfix/sbin"


def sh(*cmd, check=True, timeout=20):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s: rc=%d %s%s" % (" ".join(map(str, cmd)), r.returncode,
                                               r.stdout, r.stderr))
    return r


def netns_usable():
    """None if `ip netns` works here (root), else the reason it does not."""
    if os.geteuid() != 0:
        return "not root: network namespaces need CAP_SYS_ADMIN"
    if not shutil.which("ip"):
        return "iproute2 (`ip`) is not installed"
    try:
        r = sh("ip", "netns", "list", check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "`ip netns` unavailable: %s" % e
    if r.returncode != 0:
        return "`ip netns` unavailable: %s" % r.stderr.strip()
    return None


def ensure_debs():
    """Postfix and swaks from Debian when missing (Postfix preseeded to
    "No configuration": no /etc/postfix/main.cf, no system instance).
    Returns None, or why they cannot be had."""
    need = []
    if not os.path.exists(os.path.join(POSTFIX_DAEMONS, "master")):
        need.append("postfix")
    if not shutil.which("swaks"):
        need.append("swaks")
    if not need:
        return None
    if not shutil.which("apt-get"):
        return "missing %s and no apt-get" % " ".join(need)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["debconf-set-selections"], input="postfix postfix/main_mailer_type "
                   "select No configuration\n", text=True, capture_output=True, timeout=60)
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + need,
                       capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        return "apt-get install %s failed: %s" % (" ".join(need), r.stderr[-500:])
    return None


class Net:
    def __init__(self):
        pid = os.getpid()
        self.client = "mtpf-c-%d" % pid
        self.server = "mtpf-s-%d" % pid
        self.span = "mtsp%d" % pid          # root namespace, <= 15 chars
        self.made_ns = []
        self.made_link = False

    def c(self, *cmd, **kw):
        return sh("ip", "netns", "exec", self.client, *cmd, **kw)

    def s(self, *cmd, **kw):
        return sh("ip", "netns", "exec", self.server, *cmd, **kw)

    def up(self):
        for ns in (self.client, self.server):
            sh("ip", "netns", "del", ns, check=False)   # left by a killed run of this pid
            sh("ip", "netns", "add", ns)
            self.made_ns.append(ns)
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "netns", "exec", ns, "sysctl", "-qw",
               "net.ipv6.conf.default.disable_ipv6=1")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "del", self.span, check=False)
        sh("ip", "link", "add", "c0", "netns", self.client, "type", "veth",
           "peer", "name", "s0", "netns", self.server)
        sh("ip", "link", "add", "span0", "netns", self.server, "type", "veth",
           "peer", "name", self.span)
        self.made_link = True
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.span, check=False)
        # MTU-sized frames with correct checksums (FACTS: veth offloads off)
        off = ("tx", "off", "sg", "off", "tso", "off", "gso", "off", "gro", "off")
        self.c("ethtool", "-K", "c0", *off, check=False)
        self.s("ethtool", "-K", "s0", *off, check=False)
        self.s("ethtool", "-K", "span0", *off, check=False)
        sh("ethtool", "-K", self.span, *off, check=False)
        sh("ip", "-n", self.client, "addr", "add", CLIENT_IP + "/24", "dev", "c0")
        sh("ip", "-n", self.server, "addr", "add", SERVER_IP + "/24", "dev", "s0")
        for ns, dev in ((self.client, "c0"), (self.server, "s0"), (self.server, "span0")):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "link", "set", self.span, "up")
        # SPAN: both directions of s0 copied out of span0 (no matchall here)
        self.s("tc", "qdisc", "add", "dev", "s0", "clsact")
        for hook in ("ingress", "egress"):
            self.s("tc", "filter", "add", "dev", "s0", hook, "protocol", "all", "u32",
                   "match", "u32", "0", "0", "action", "mirred", "egress", "mirror",
                   "dev", "span0")
        return self

    def kill_namespace_pids(self):
        """SIGKILL whatever still runs in our namespaces (Postfix children,
        a hung swaks): only pids that live in them."""
        for ns in self.made_ns:
            r = sh("ip", "netns", "pids", ns, check=False)
            for p in r.stdout.split():
                try:
                    os.kill(int(p), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass

    def close(self):
        self.kill_namespace_pids()
        errors = []
        if self.made_link:
            sh("ip", "link", "del", self.span, check=False)
        for ns in self.made_ns:
            for _ in range(50):   # busy until its processes are reaped
                r = sh("ip", "netns", "del", ns, check=False)
                if r.returncode == 0 or ns not in sh("ip", "netns", "list").stdout.split():
                    break
                time.sleep(0.1)
            else:
                errors.append(ns)
        self.made_ns = []
        if errors:
            raise RuntimeError("could not delete namespaces %s" % errors)


MAIN_CF = """\
# private instance for tests/e2e/test_postfix_live.py
compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
mail_owner = postfix
myhostname = mx.mailtap-live.test
mydomain = mailtap-live.test
myorigin = $myhostname
mydestination =
inet_interfaces = {ip}
inet_protocols = ipv4
mynetworks = 192.0.2.0/24
smtpd_banner = $myhostname ESMTP mailtap live test
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:{d}/etc/rcpt_access,
    permit_mynetworks, reject_unauth_destination
default_transport = discard:mailtap test
relay_transport = discard:mailtap test
local_transport = discard:mailtap test
alias_maps =
alias_database =
local_recipient_maps =
biff = no
message_size_limit = 20000000
smtpd_tls_security_level = none
smtp_tls_security_level = none
"""

MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class Postfix:
    """A private Postfix (own config, queue, data dirs and log) whose master
    runs in the foreground (`master -s`) in the server namespace, as our
    child: stopped by its pid."""

    def __init__(self, net, rejected):
        self.net = net
        # Postfix daemons run as user postfix: the tree must be traversable,
        # which pytest's 0700 tmp dirs are not.
        self.dir = tempfile.mkdtemp(prefix="mt-postfix-%d-" % os.getpid())
        os.chmod(self.dir, 0o755)
        self.etc = os.path.join(self.dir, "etc")
        os.mkdir(self.etc, 0o755)
        os.mkdir(os.path.join(self.dir, "queue"), 0o755)   # `check` fills it
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(d=self.dir, ip=SERVER_IP))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF)
        with open(os.path.join(self.etc, "rcpt_access"), "w") as f:
            for addr in rejected:
                f.write("%s 550 5.1.1 <%s>: Recipient address rejected: test\n" % (addr, addr))
        self.proc = None
        self.log = os.path.join(self.dir, "maillog")

    def start(self, timeout=20):
        # creates the queue and data dirs; in the namespace, where
        # inet_interfaces exists
        r = self.net.s("postfix", "-c", self.etc, "check", timeout=60, check=False)
        if r.returncode != 0:      # its messages go to maillog_file
            raise RuntimeError("postfix check failed: %s" % self.logs())
        self.out = open(os.path.join(self.dir, "master.out"), "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.net.server, os.path.join(POSTFIX_DAEMONS, "master"),
             "-c", self.etc, "-s"],
            stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, MAIL_CONFIG=self.etc))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postfix master exited rc=%s: %s" % (
                    self.proc.returncode, self.logs()))
            r = self.net.s("ss", "-Hltn", "sport = :25", check=False)
            if SERVER_IP + ":25" in r.stdout:
                return self
            time.sleep(0.1)
        raise RuntimeError("postfix did not listen within %ds: %s" % (timeout, self.logs()))

    def logs(self):
        out = ""
        for name in ("master.out", "maillog"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    out += "--- %s\n%s" % (name, f.read()[-3000:])
            except OSError:
                pass
        return out

    def stop(self):
        """SIGTERM to our master (it stops its children), SIGKILL to its
        process group (ours: start_new_session) if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        if self.proc is not None:
            # the children exit after the master: wait (bounded) for the
            # group to empty, then kill what is left of it
            deadline = time.time() + 5
            try:
                while time.time() < deadline:
                    os.killpg(self.proc.pid, 0)
                    time.sleep(0.05)
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc = None
        if getattr(self, "out", None):
            self.out.close()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def swaks(net, wire_file, mail_from, rcpts, pipeline=False, timeout=25):
    """One swaks session from the client namespace; the DATA octets are
    wire_file's plus CRLF (--no-data-fixup: no fix-up, no dot-stuffing, no
    terminator added; see swaks_data).  Returns the CompletedProcess."""
    cmd = ["ip", "netns", "exec", net.client, "swaks", "--server", SERVER_IP,
           "--port", "25", "--helo", "client.mailtap-live.test", "--from", mail_from,
           "--to", ",".join(rcpts), "--data", "@" + wire_file, "--no-data-fixup",
           "--timeout", "%ds" % max(1, int(timeout) - 2), "--suppress-data"]
    if pipeline:
        cmd.append("--pipeline")
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:   # killed: keep its transcript
        def txt(b):
            return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return subprocess.CompletedProcess(cmd, -9, txt(e.stdout) + "\n*** swaks timed out "
                                           "after %ds\n" % timeout, txt(e.stderr))


def swaks_data(msg):
    """What to give `swaks --data @FILE --no-data-fixup` so that the DATA
    octets on the wire are message msg (CRLF lines, ending CRLF) dot-stuffed
    and terminated: swaks sends the file as is plus one CRLF, so the file
    ends with the terminator's "." without its CRLF."""
    assert msg.endswith(b"\r\n")
    lines = msg.split(b"\r\n")[:-1]
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines) + b"."


def _headers(subject, mail_from, rcpts, extra=b""):
    return (b"From: <%s>\r\nTo: %s\r\nSubject: %s\r\n"
            b"Message-ID: <%s@client.mailtap-live.test>\r\n"
            b"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n" %
            (mail_from.encode(), b", ".join(b"<%s>" % r.encode() for r in rcpts),
             subject.encode(), subject.replace(" ", "-").encode()) + extra)


def plain_message(subject, mail_from, rcpts):
    body = (b"Plain text written by the mailtap live test.\r\n"
            b".a line that starts with a dot (stuffed on the wire)\r\n"
            b"..two dots\r\n"
            b".\r\n"
            b"a lone dot above is content, not the end\r\n"
            b"trailing spaces   \r\n"
            b"\r\n"
            b"-- \r\nmailtap\r\n")
    return _headers(subject, mail_from, rcpts) + b"\r\n" + body


def eightbit_message(subject, mail_from, rcpts):
    body = ("Gr\u00fc\u00dfe aus K\u00f6ln, na\u00efve caf\u00e9, \u65e5\u672c\u8a9e, "
            "\u0440\u0443\u0441\u0441\u043a\u0438\u0439\r\n").encode()
    body += b"raw octets: " + bytes(range(0x80, 0x100)) + b"\r\n"
    body += b".\xc3\xa9 dot then 8-bit\r\n"
    return (_headers(subject, mail_from, rcpts,
                     b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     b"Content-Transfer-Encoding: 8bit\r\n") + b"\r\n" + body)


def attachment_message(subject, mail_from, rcpts, size=150000):
    import base64
    rnd = random.Random(4)
    blob = bytes(rnd.getrandbits(8) for _ in range(size))
    b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
    bnd = b"----=_mailtap_live_boundary"
    body = (b"This is a multi-part message in MIME format.\r\n"
            b"--" + bnd + b"\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            b"See the attachment.\r\n.\r\n"
            b"--" + bnd + b"\r\nContent-Type: application/octet-stream; name=\"blob.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"blob.bin\"\r\n\r\n" + b64 +
            b"--" + bnd + b"--\r\n")
    return (_headers(subject, mail_from, rcpts,
                     b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" +
                     bnd + b"\"\r\n") + b"\r\n" + body)
