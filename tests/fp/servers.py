#!/usr/bin/env python3
"""servers.py - run real mail servers from Debian packages on loopback, for
the fingerprint tests (tests/e2e/test_fp_live.py) and by hand.

    python3 tests/fp/servers.py [--generic|--both] [--probe] [--fixtures DIR]
                                [--pcap DIR] [--hold SECS] [NAME...]

Servers (NAME): postfix exim opensmtpd sendmail courier chasquid aiosmtpd pysmtpd
(Python's stdlib smtpd: no rule on purpose, must come out "unknown").
Each runs with its stock banner ("default") and/or with the generic banner
"220 mail.example.com ESMTP" ("generic"), every instance on its own
127.x.y.z address, port 25 (or a free port when 25 is taken there).

How a server runs (class Sandbox):
- Packages that conflict with the installed Postfix are fetched with
  `apt-get download` into build/fp-debs/ (Debian's archive, through apt) and
  unpacked with `dpkg -x` into build/fp-root/<server>/; nothing is installed.
- The server runs under `unshare -m` (a private mount namespace) where
  read-only overlays put the unpacked tree and a private etc (passwd/group
  with the server's users, hosts, nsswitch "files" only, resolv.conf naming
  127.0.0.1) over /etc, /usr, /var and /run, with writable upper layers in
  the instance's temp dir.  So the binaries find their compiled-in paths,
  the host's files are never changed, and the mounts vanish with the
  process.  DNS is off in each config as well (FACTS.md).
- The network namespace is the host's: the server listens on its loopback
  address only, so a prober or tcpdump in the host reaches it; nothing
  leaves the machine.
- Started in parallel; every wait is bounded; each instance is stopped by
  its pid (SIGTERM, then SIGKILL to its own process group, which holds all
  its children: start_new_session).

OpenSMTPD 6.8 and chasquid 1.11 have no banner option (their greetings are
compiled in): their generic instances sit behind a small banner-rewriting TCP proxy (what a
firewall's SMTP fixup does), so the generic greeting hides it and the rest
of the dialogue passes through unchanged.
"""
import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.path.join(ROOT, "build")
CACHE = os.path.join(BUILD, "fp-debs")
TREES = os.path.join(BUILD, "fp-root")
MAILTAP = os.path.join(BUILD, "bin", "mailtap")
PY = "/usr/bin/python3"
GENERIC_HOST = "mail.example.com"
GENERIC = "220 %s ESMTP" % GENERIC_HOST
BANNERS = ("default", "generic")

# users the servers look up by name (uids/gids above the host's range)
USERS = {  # name: (uid, gid, group)
    "Debian-exim": (60101, 60101, "Debian-exim"),
    "opensmtpd": (60102, 60102, "opensmtpd"),
    "opensmtpq": (60103, 60103, "opensmtpq"),
    "courier": (60104, 60104, "courier"),
    "smmsp": (60105, 60105, "smmsp"),
    "qpsmtpd": (60106, 60106, "qpsmtpd"),
}


def log(msg):
    sys.stderr.write("servers: %s\n" % msg)


# ---------------------------------------------------------------- packages

def fetch(pkgs, timeout=300):
    """Make sure build/fp-debs holds a .deb of each package (apt-get
    download).  Returns None or the reason it could not."""
    os.makedirs(CACHE, exist_ok=True)
    need = [p for p in pkgs if not glob.glob(os.path.join(CACHE, "%s_*.deb" % p))]
    if not need:
        return None
    if not shutil.which("apt-get"):
        return "apt-get not found (need %s)" % " ".join(need)
    r = subprocess.run(["apt-get", "download", "-q"] + need, cwd=CACHE,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        # a stale package list: update once (bounded), then retry
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=timeout)
        r = subprocess.run(["apt-get", "download", "-q"] + need, cwd=CACHE,
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            return "apt-get download %s failed: %s" % (" ".join(need), r.stderr.strip()[-400:])
    return None


def unpack(name, pkgs):
    """build/fp-root/NAME with every package of pkgs unpacked (dpkg -x);
    redone when the package set changes.  Returns (tree, None) or
    (None, reason)."""
    import fcntl
    os.makedirs(TREES, exist_ok=True)
    with open(os.path.join(TREES, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)     # parallel test runs share build/
        return _unpack(name, pkgs)


def _unpack(name, pkgs):
    why = fetch(pkgs)
    if why:
        return None, why
    tree = os.path.join(TREES, name)
    stamp = os.path.join(TREES, name + ".stamp")
    debs = sorted(glob.glob(os.path.join(CACHE, "%s_*.deb" % p))[-1] for p in pkgs)
    want = "\n".join(os.path.basename(d) for d in debs) + "\n"
    try:
        with open(stamp) as f:
            if f.read() == want and os.path.isdir(tree):
                return tree, None
    except OSError:
        pass
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree)
    for d in debs:
        r = subprocess.run(["dpkg", "-x", d, tree], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            return None, "dpkg -x %s: %s" % (d, r.stderr.strip())
    with open(stamp, "w") as f:
        f.write(want)
    return tree, None


# ---------------------------------------------------------------- addresses

def port_free(ip, port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Addresses:
    """127.A.B.n per instance; A.B from the pid so parallel runs differ."""

    def __init__(self):
        pid = os.getpid()
        self.net = "127.%d.%d." % (100 + pid % 100, (pid // 100) % 250 + 1)
        self.n = 10

    def take(self):
        self.n += 1
        return self.net + str(self.n)


def common_port(ips):
    """25 when it is free on every address, else one free port on all (so
    MX records can point at any of them with one --port)."""
    import random
    for port in [25] + [random.randint(20000, 60000) for _ in range(50)]:
        if all(port_free(ip, port) for ip in ips):
            return port
    raise RuntimeError("no port free on all of %s" % ips)


# ---------------------------------------------------------------- sandbox

class Sandbox:
    """One server process in a private mount namespace (see module doc).
    Subclasses set NAME, PKGS, and write their config in prepare()."""
    NAME = "?"
    PKGS = []            # Debian packages to unpack (not installed)
    HOST_BINARY = None   # a file that must exist when PKGS is empty
    OVERLAY = ("etc", "usr", "var", "run")
    USERS = ()
    PROXY_GENERIC = False   # no banner option: generic = behind the proxy

    def __init__(self, banner, ip, port=None, keep=False):
        assert banner in BANNERS
        self.banner = banner
        self.ip, self.port = ip, port
        self.hostname = "mx.%s.test" % self.NAME
        self.keep = keep
        self.proc = None
        self.dir = None
        self.tree = None
        self.skip = None      # why this server truly cannot run here (not a failure)
        self.error = None     # why it failed to start (a failure)
        self.greeting = None
        self.extra = []       # helper processes (proxy), stopped with us

    @property
    def proxied(self):
        """a generic instance of a server without a banner option: the real
        server listens on a second address, a banner-rewriting proxy on ours"""
        return self.PROXY_GENERIC and self.banner == "generic"

    @property
    def listen_ip(self):
        """where the server itself listens"""
        if not self.proxied:
            return self.ip
        last = int(self.ip.rsplit(".", 1)[1])
        return self.ip[:self.ip.rfind(".") + 1] + str(last + 100)

    def ips(self):
        """the loopback addresses this instance listens on"""
        return [self.ip, self.listen_ip] if self.proxied else [self.ip]

    @property
    def key(self):
        return "%s-%s" % (self.NAME, self.banner)

    @property
    def addr(self):
        return "%s:%d" % (self.ip, self.port)

    # -- to override
    def prepare(self):
        pass

    def setup(self):
        """shell lines run inside the namespace before the server starts"""
        return []

    def argv(self):
        raise NotImplementedError

    # -- machinery
    def _priv_etc(self):
        etc = os.path.join(self.dir, "priv", "etc")
        os.makedirs(etc)
        host = socket.gethostname()
        users = [u for u in self.USERS]
        with open("/etc/passwd") as f:
            passwd = f.read()
        with open("/etc/group") as f:
            group = f.read()
        have_u = {l.split(":")[0] for l in passwd.splitlines() if l}
        have_g = {l.split(":")[0] for l in group.splitlines() if l}
        for u in users:
            uid, gid, g = USERS[u]
            if u not in have_u:
                passwd += "%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n" % (u, uid, gid)
            if g not in have_g:
                group += "%s:x:%d:\n" % (g, gid)
                have_g.add(g)
        with open(os.path.join(etc, "passwd"), "w") as f:
            f.write(passwd)
        with open(os.path.join(etc, "group"), "w") as f:
            f.write(group)
        with open(os.path.join(etc, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost %s.%s.test %s\n%s %s\n" % (
                host, self.NAME, host, self.ip, self.hostname))
        with open(os.path.join(etc, "nsswitch.conf"), "w") as f:
            f.write("passwd: files\ngroup: files\nshadow: files\nhosts: files\n"
                    "networks: files\nservices: files\nprotocols: files\n")
        with open(os.path.join(etc, "resolv.conf"), "w") as f:
            f.write("# private to a mailtap test server: no DNS\nnameserver 127.0.0.1\n"
                    "options timeout:1 attempts:1\n")
        os.chmod(os.path.join(self.dir, "priv"), 0o755)
        os.chmod(etc, 0o755)

    def writefile(self, rel, text, mode=0o644):
        """a file in the private overlay layer, e.g. writefile('etc/x.conf')"""
        p = os.path.join(self.dir, "priv", rel)
        os.makedirs(os.path.dirname(p), mode=0o755, exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return "/" + rel

    def _script(self):
        lines = ["set -e"]
        for d in self.OVERLAY:
            lower = [os.path.join(self.dir, "priv", d)]
            if self.tree:
                lower.append(os.path.join(self.tree, d))
            lower = [p for p in lower if os.path.isdir(p)] + ["/" + d]
            up = os.path.join(self.dir, "upper", d)
            wk = os.path.join(self.dir, "work", d)
            os.makedirs(up)
            os.makedirs(wk)
            os.chmod(up, os.stat("/" + d).st_mode & 0o7777)
            lines.append("mount -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s /%s"
                         % (":".join(lower), up, wk, d))
        lines += self.setup()
        lines.append("exec " + " ".join(sh_quote(a) for a in self.argv()))
        return "\n".join(lines) + "\n"

    def start(self):
        """Prepare and launch (does not wait); sets self.error if it could
        not be prepared, self.skip if it truly cannot run here."""
        if self.PKGS:
            self.tree, why = unpack(self.NAME, self.PKGS)
            if why:
                self.error = why
                return self
        elif self.HOST_BINARY and not os.path.exists(self.HOST_BINARY):
            self.error = "%s missing (make deps)" % self.HOST_BINARY
            return self
        self.dir = tempfile.mkdtemp(prefix="mt-fp-%s-" % self.key)
        os.chmod(self.dir, 0o755)   # servers drop privileges and must traverse it
        self._priv_etc()
        self.prepare()
        script = self._script()
        with open(os.path.join(self.dir, "start.sh"), "w") as f:
            f.write(script)
        self.out = open(os.path.join(self.dir, "server.out"), "w")
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "--",
                                      "/bin/sh", os.path.join(self.dir, "start.sh")],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=self.env())
        if self.proxied:
            self.extra.append(subprocess.Popen(
                [PY, os.path.abspath(__file__), "--proxy", self.addr,
                 "%s:%d" % (self.listen_ip, self.port), GENERIC],
                stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT,
                start_new_session=True))
        return self

    def env(self):
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C", "HOME": self.dir}

    def poll_ready(self):
        """True once the server answers with a 220 greeting; raises if it
        died."""
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited rc=%s\n%s" % (self.key, self.proc.returncode,
                                                        self.logs()))
        try:
            s = socket.create_connection((self.ip, self.port), timeout=3)
        except OSError:
            return False
        try:
            s.settimeout(8)
            data = b""
            while b"\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            line = data.split(b"\n")[0].rstrip(b"\r").decode("latin-1")
            if line.startswith("220"):
                self.greeting = line
                s.sendall(b"QUIT\r\n")
                return True
            return False
        except OSError:
            return False
        finally:
            s.close()

    def logs(self):
        out = ""
        for p in sorted(glob.glob(os.path.join(self.dir or "/nonexistent", "**", "*.log"),
                                  recursive=True)) + [os.path.join(self.dir or "", "server.out")]:
            try:
                with open(p, errors="replace") as f:
                    out += "--- %s\n%s\n" % (p, f.read()[-2000:])
            except OSError:
                pass
        return out

    def stop(self):
        for p in self.extra:
            stop_proc(p)
        self.extra = []
        if self.proc is not None:
            stop_proc(self.proc)
            self.proc = None
        if getattr(self, "out", None):
            self.out.close()
            self.out = None
        if self.dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def stop_proc(proc, grace=8):
    """SIGTERM to the pid, then SIGKILL to its process group (its own
    session: only its children are in it); bounded waits."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=grace)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            pass
    try:
        deadline = time.time() + 3
        while time.time() < deadline:      # children exit after the parent
            os.killpg(proc.pid, 0)
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def sh_quote(s):
    s = str(s)
    if s and all(c.isalnum() or c in "@%+=:,./-_" for c in s):
        return s
    return "'" + s.replace("'", "'\"'\"'") + "'"


# ---------------------------------------------------------------- servers

class Postfix(Sandbox):
    """Debian 12 postfix (installed from DEB_TEST: it is the system's
    package), a private config dir, master in the foreground."""
    NAME = "postfix"
    HOST_BINARY = "/usr/lib/postfix/sbin/master"

    def prepare(self):
        d = self.dir
        self.cfg = os.path.join(d, "postfix")
        os.makedirs(self.cfg, 0o755)
        os.makedirs(os.path.join(d, "queue"), 0o755)
        banner = ("smtpd_banner = %s ESMTP\n" % GENERIC_HOST) if self.banner == "generic" else ""
        with open(os.path.join(self.cfg, "main.cf"), "w") as f:
            f.write("""compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
maillog_file = {d}/postfix.log
maillog_file_prefixes = {d}
myhostname = {h}
mydomain = postfix.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
default_transport = discard:test
local_transport = discard:test
relay_transport = discard:test
alias_maps =
alias_database =
local_recipient_maps =
biff = no
{banner}""".format(d=d, h=self.hostname, banner=banner))
        with open(os.path.join(self.cfg, "master.cf"), "w") as f:
            f.write("""{ip}:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
""".format(ip=self.ip, port=self.port))

    def setup(self):
        return ["postfix -c %s check" % self.cfg]

    def argv(self):
        return ["/usr/lib/postfix/sbin/master", "-c", self.cfg, "-s"]

    def env(self):
        e = super().env()
        e["MAIL_CONFIG"] = self.cfg
        return e


class Exim(Sandbox):
    NAME = "exim"
    PKGS = ["exim4-daemon-light", "libidn12"]
    USERS = ("Debian-exim",)

    def prepare(self):
        d = self.dir
        os.makedirs(os.path.join(d, "spool"), 0o750)
        os.makedirs(os.path.join(d, "log"), 0o750)
        for p in ("spool", "log"):
            os.chown(os.path.join(d, p), USERS["Debian-exim"][0], USERS["Debian-exim"][1])
        banner = ("smtp_banner = %s ESMTP\n" % GENERIC_HOST) if self.banner == "generic" else ""
        self.conf = os.path.join(d, "exim.conf")
        with open(self.conf, "w") as f:
            f.write("""exim_path = /usr/sbin/exim4
primary_hostname = {h}
local_interfaces = {ip}
daemon_smtp_ports = {port}
spool_directory = {d}/spool
log_file_path = {d}/log/%slog
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = acl_rcpt
{banner}
begin acl
acl_rcpt:
  deny
begin routers
begin transports
""".format(h=self.hostname, ip=self.ip, port=self.port, d=d, banner=banner))

    def argv(self):
        return ["/usr/sbin/exim4", "-C", self.conf, "-bdf", "-oX", str(self.port)]


class OpenSMTPD(Sandbox):
    NAME = "opensmtpd"
    PKGS = ["opensmtpd"]
    USERS = ("opensmtpd", "opensmtpq")

    PROXY_GENERIC = True

    def prepare(self):
        host = GENERIC_HOST if self.banner == "generic" else self.hostname
        self.conf = self.writefile("etc/smtpd/smtpd.conf", """listen on {ip} port {port} hostname {h}
action "mbox" mbox
match from any for domain "opensmtpd.test" action "mbox"
""".format(ip=self.listen_ip, port=self.port, h=host), 0o644)

    def setup(self):
        return ["mkdir -p /var/lib/opensmtpd/empty /var/spool/smtpd /run/opensmtpd",
                "chmod 711 /var/spool/smtpd"]

    def argv(self):
        return ["/usr/sbin/smtpd", "-d", "-f", self.conf]



class Sendmail(Sandbox):
    NAME = "sendmail"
    PKGS = ["sendmail-bin", "sendmail-cf", "sendmail-base", "m4", "libwrap0", "liblockfile1"]
    USERS = ("smmsp",)

    def prepare(self):
        login = ("define(`confSMTP_LOGIN_MSG', `%s')dnl\n" % GENERIC_HOST
                 if self.banner == "generic" else "")
        self.writefile("etc/mail/test.mc", """include(`/usr/share/sendmail/cf/m4/cf.m4')dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `{h}')dnl
define(`confHELP_FILE', `/etc/mail/helpfile')dnl
define(`QUEUE_DIR', `/var/spool/mqueue')dnl
define(`ALIAS_FILE', `/etc/mail/aliases')dnl
define(`STATUS_FILE', `/var/lib/sendmail/sendmail.st')dnl
define(`confPID_FILE', `/run/sendmail/mta/sendmail.pid')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confBIND_OPTS', `-DNSRCH -DEFNAMES')dnl
{login}FEATURE(`no_default_msa')dnl
FEATURE(`nocanonify')dnl
DAEMON_OPTIONS(`Port={port}, Addr={ip}, Name=MTA')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
""".format(h=self.hostname, port=self.port, ip=self.ip, login=login))
        self.writefile("etc/mail/aliases", "postmaster: root\n")
        self.writefile("etc/mail/service.switch", "hosts files\naliases files\n")

    def setup(self):
        return ["m4 /etc/mail/test.mc > /etc/mail/sendmail.cf",
                "mkdir -p /var/spool/mqueue /var/lib/sendmail /run/sendmail/mta",
                "chmod 700 /var/spool/mqueue",
                "touch /var/lib/sendmail/sendmail.st",
                "/usr/libexec/sendmail/sendmail -bi -C /etc/mail/sendmail.cf || true"]

    def argv(self):
        return ["/usr/libexec/sendmail/sendmail", "-bD", "-C", "/etc/mail/sendmail.cf"]


class Courier(Sandbox):
    NAME = "courier"
    PKGS = ["courier-mta", "courier-base", "libcourier-unicode4", "courier-authlib",
            "libltdl7", "libidn12"]
    USERS = ("courier",)

    def prepare(self):
        self.writefile("etc/courier/me", self.hostname + "\n")
        self.writefile("etc/courier/defaultdomain", "courier.test\n")
        self.writefile("etc/courier/locals", "localhost\n%s\n" % self.hostname)
        if self.banner == "generic":
            self.writefile("etc/courier/esmtpgreeting", "%s ESMTP\n" % GENERIC_HOST)

    def setup(self):
        return ["mkdir -p /run/courier /var/lib/courier/tmp /var/lib/courier/msgs "
                "/var/lib/courier/msgq /var/lib/courier/track",
                "chown -R courier:courier /var/lib/courier /run/courier",
                "/usr/lib/courier/makesmtpaccess >/dev/null 2>&1 || true"]

    def argv(self):
        return ["/usr/bin/env", "-i", "/bin/sh", "-c",
                "set -a; . /etc/courier/esmtpd; BOFHCHECKDNS=0; "
                "exec /usr/sbin/couriertcpd -address=%s -nodnslookup -noidentlookup "
                "-user=courier -group=courier -maxprocs=20 -maxperip=20 "
                "%d /usr/sbin/courieresmtpd" % (self.ip, self.port)]


class Chasquid(Sandbox):
    """chasquid (Go, Debian `chasquid`): needs a certificate for its
    hostname (a throw-away self-signed one from openssl); no banner
    option, so its generic instance sits behind the proxy."""
    NAME = "chasquid"
    PKGS = ["chasquid"]
    OVERLAY = ("etc",)
    PROXY_GENERIC = True

    def prepare(self):
        host = GENERIC_HOST if self.banner == "generic" else self.hostname
        cfg = os.path.join(self.dir, "chasquid")
        certs = os.path.join(cfg, "certs", host)
        os.makedirs(certs)
        os.makedirs(os.path.join(cfg, "domains", "chasquid.test"))
        os.makedirs(os.path.join(self.dir, "data"))
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + host,
                            "-days", "30", "-keyout", os.path.join(certs, "privkey.pem"),
                            "-out", os.path.join(certs, "fullchain.pem")],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("openssl req: %s" % r.stderr)
        with open(os.path.join(cfg, "chasquid.conf"), "w") as f:
            f.write('hostname: "%s"\nsmtp_address: "%s:%d"\nsubmission_address: ""\n'
                    'submission_over_tls_address: ""\ndata_dir: "%s/data"\n'
                    'mail_delivery_agent_bin: "/bin/true"\nmail_log_path: "%s/mail.log"\n'
                    % (host, self.listen_ip, self.port, self.dir, self.dir))
        self.cfg = cfg

    def argv(self):
        return [os.path.join(self.tree, "usr/bin/chasquid"), "-config_dir", self.cfg,
                "-logfile", os.path.join(self.dir, "chasquid.log")]


class Qpsmtpd(Sandbox):
    """qpsmtpd 0.94 (Perl, Debian `qpsmtpd`) with the Perl modules it needs
    unpacked beside it; Debian's plugin list minus the DNS blocklists and
    the debconf-made queue include (no DNS, nothing delivered)."""
    NAME = "qpsmtpd"
    PKGS = ["qpsmtpd", "libnet-dns-perl", "libmailtools-perl", "libipc-shareable-perl",
            "libdigest-hmac-perl", "libmail-spf-perl", "libsocket6-perl",
            "libio-socket-inet6-perl", "libnet-ip-perl", "libnet-domain-tld-perl",
            "libtimedate-perl"]
    USERS = ("qpsmtpd",)

    def prepare(self):
        self.writefile("etc/qpsmtpd/plugins", "check_earlytalker action log\ncheck_relay\n"
                       "check_spamhelo\ncheck_badmailfrom\ncheck_badrcptto\ncheck_loop\n"
                       "rcpt_ok\n")
        self.writefile("etc/qpsmtpd/logging", "logging/warn LOGINFO\n")
        self.writefile("etc/qpsmtpd/me", self.hostname + "\n")
        if self.banner == "generic":
            self.writefile("etc/qpsmtpd/smtpgreeting", "%s ESMTP\n" % GENERIC_HOST)

    def setup(self):
        return ["mkdir -p /var/spool/qpsmtpd", "chown qpsmtpd:qpsmtpd /var/spool/qpsmtpd",
                "chmod 700 /var/spool/qpsmtpd", "cd /usr/share/qpsmtpd"]

    def env(self):
        e = super().env()
        e["QPSMTPD_CONFIG"] = "/etc/qpsmtpd"   # as Debian's init script sets it
        return e

    def argv(self):
        return ["/usr/bin/qpsmtpd-forkserver", "-l", self.ip, "-p", str(self.port),
                "-u", "qpsmtpd"]


class Aiosmtpd(Sandbox):
    NAME = "aiosmtpd"
    OVERLAY = ("etc",)

    def argv(self):
        if self.banner == "generic":
            kw = "hostname=%r, ident='ESMTP'" % GENERIC_HOST
        else:
            kw = "hostname=%r" % self.hostname   # ident: "Python SMTP <version>"
        code = ("import signal,threading\n"
                "from aiosmtpd.controller import Controller\n"
                "from aiosmtpd.handlers import Sink\n"
                "c = Controller(Sink(), hostname=%r, port=%d, server_hostname=None, "
                "ready_timeout=30)\n"
                "c.SMTP_kwargs = dict(%s)\n"
                "from aiosmtpd.smtp import SMTP\n"
                "c.factory = lambda: SMTP(c.handler, **c.SMTP_kwargs)\n"
                "c.start()\n"
                "signal.sigwait({signal.SIGTERM, signal.SIGINT})\n"
                "c.stop()\n" % (self.ip, self.port, kw))
        return [PY, "-c", code]

    def start(self):
        if subprocess.run([PY, "-c", "import aiosmtpd"], capture_output=True,
                          timeout=30).returncode != 0:
            self.error = "python3-aiosmtpd is not installed (make deps)"
            return self
        return super().start()


class PySmtpd(Sandbox):
    """Python 3.11's stdlib smtpd (deprecated; removed in 3.12): the server
    the rule database does not know."""
    NAME = "pysmtpd"
    OVERLAY = ("etc",)

    def argv(self):
        host = GENERIC_HOST if self.banner == "generic" else self.hostname
        ver = "'ESMTP'" if self.banner == "generic" else "smtpd.__version__"
        code = ("import warnings; warnings.simplefilter('ignore')\n"
                "import asyncore, socket, smtpd\n"
                "socket.getfqdn = lambda *a: %r\n"
                "smtpd.__version__ = %s\n"
                "class S(smtpd.SMTPServer):\n"
                "    def process_message(self, *a, **k): return None\n"
                "S((%r, %d), None)\n"
                "asyncore.loop(timeout=1)\n" % (host, ver, self.ip, self.port))
        return [PY, "-c", code]

    def start(self):
        if subprocess.run([PY, "-c", "import smtpd"], capture_output=True,
                          timeout=30).returncode != 0:
            self.skip = "this python3 has no stdlib smtpd (removed in 3.12)"
            return self
        return super().start()


SERVERS = {c.NAME: c for c in (Postfix, Exim, OpenSMTPD, Sendmail, Courier, Chasquid,
                               Qpsmtpd, Aiosmtpd, PySmtpd)}
# the rule each server must be named by ("unknown": no rule on purpose)
EXPECT = {"postfix": "postfix", "exim": "exim", "opensmtpd": "opensmtpd",
          "sendmail": "sendmail", "courier": "courier", "chasquid": "chasquid",
          "qpsmtpd": "qpsmtpd",
          "aiosmtpd": "aiosmtpd",
          "pysmtpd": "unknown"}


class Fleet:
    """Start many instances at once, wait for all (one bounded deadline),
    stop them all."""

    def __init__(self, names=None, banners=BANNERS, keep=False):
        self.addrs = Addresses()
        self.servers = []
        for n in names or list(SERVERS):
            for b in banners:
                self.servers.append(SERVERS[n](b, self.addrs.take(), keep=keep))
        self.port = common_port([ip for s in self.servers for ip in s.ips()])
        for s in self.servers:
            s.port = self.port

    def start(self, timeout=90):
        for s in self.servers:
            try:
                s.start()
            except Exception as e:     # noqa: a failed setup is reported per server
                s.error = "setup failed: %s" % e
        deadline = time.time() + timeout
        self.failed = {s.key: s.error for s in self.servers if s.error}
        waiting = [s for s in self.servers if not s.skip and not s.error]
        while waiting and time.time() < deadline:
            for s in list(waiting):
                try:
                    if s.poll_ready():
                        waiting.remove(s)
                except RuntimeError as e:
                    self.failed[s.key] = str(e)
                    waiting.remove(s)
            time.sleep(0.2)
        for s in waiting:
            self.failed[s.key] = "no 220 greeting within %ds\n%s" % (timeout, s.logs())
        return self

    def get(self, name, banner):
        for s in self.servers:
            if s.NAME == name and s.banner == banner:
                return s
        raise KeyError(name)

    def stop(self):
        for s in self.servers:
            s.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


# ---------------------------------------------------------------- proxy

def proxy_main(front, back, greeting):
    """Forward front -> back; replace the server's first reply line when it
    is a 220 greeting (multi-line greetings: every 220- line is dropped and
    the last becomes the generic one)."""
    import asyncio

    fh, fp = front.rsplit(":", 1)
    bh, bp = back.rsplit(":", 1)

    async def pipe(r, w):
        try:
            while True:
                data = await r.read(65536)
                if not data:
                    break
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                w.close()
            except OSError:
                pass

    async def handle(cr, cw):
        try:
            br, bw = await asyncio.wait_for(asyncio.open_connection(bh, int(bp)), 10)
        except (OSError, asyncio.TimeoutError):
            cw.close()
            return
        try:
            while True:
                line = await asyncio.wait_for(br.readline(), 30)
                if not line:
                    break
                if line.startswith(b"220-"):
                    continue
                if line.startswith(b"220 "):
                    line = greeting.encode() + b"\r\n"
                cw.write(line)
                await cw.drain()
                break
        except (OSError, asyncio.TimeoutError):
            cw.close()
            bw.close()
            return
        await asyncio.gather(pipe(cr, bw), pipe(br, cw))

    async def main():
        srv = await asyncio.start_server(handle, fh, int(fp))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        srv.close()

    asyncio.run(main())


# ---------------------------------------------------------------- probing

def probe(addr, timeout=180):
    """`mailtap probe --json --raw ADDR`: (verdict dict, raw transcript)."""
    import json
    r = subprocess.run([MAILTAP, "probe", "--json", "--raw", addr], capture_output=True,
                       text=True, timeout=timeout)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError("mailtap probe %s: rc=%d %s" % (addr, r.returncode, r.stderr))
    return json.loads(lines[-1]), r.stderr


class Tcpdump:
    """tcpdump -i lo for one address (Ethernet-framed: DLT_EN10MB), stopped
    by its pid; bounded by -c and by the caller's stop()."""

    def __init__(self, ip, port, out, max_packets=2000):
        self.out = out
        self.proc = subprocess.Popen(
            ["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-n", "-s", "4096", "-B", "8192", "-c", str(max_packets), "-w", out,
             "host %s and tcp port %d" % (ip, port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        # wait (bounded) for "listening on lo"
        deadline = time.time() + 10
        os.set_blocking(self.proc.stderr.fileno(), False)
        buf = b""
        while time.time() < deadline and b"listening" not in buf:
            try:
                buf += self.proc.stderr.read() or b""
            except (OSError, TypeError):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("tcpdump exited: %s" % buf.decode(errors="replace"))
            time.sleep(0.05)

    def stop(self):
        time.sleep(0.3)     # the last FIN/ACKs
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        os.set_blocking(self.proc.stderr.fileno(), True)
        self.report = self.proc.stderr.read().decode(errors="replace")
        self.proc.stderr.close()
        return self.report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="servers (default: all): %s" % " ".join(SERVERS))
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--generic", action="store_true", help="generic banner only")
    g.add_argument("--both", action="store_true", help="stock and generic banners")
    ap.add_argument("--probe", action="store_true", help="run `mailtap probe` on each")
    ap.add_argument("--fixtures", metavar="DIR", help="write DIR/<server>/<banner>.txt "
                    "(mailtap probe --raw transcript)")
    ap.add_argument("--pcap", metavar="DIR", help="record each probe with tcpdump -i lo "
                    "into DIR/<server>-<banner>.pcap")
    ap.add_argument("--hold", type=float, default=0, help="keep running SECS (max 3600), "
                    "printing the addresses")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs")
    ap.add_argument("--proxy", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.proxy:
        return proxy_main(*a.proxy)
    banners = ("generic",) if a.generic else BANNERS if a.both else ("default",)
    for n in a.names:
        if n not in SERVERS:
            ap.error("unknown server %s" % n)
    fleet = Fleet(a.names or None, banners, keep=a.keep)
    rc = 0
    try:
        t0 = time.time()
        fleet.start()
        log("started in %.1fs" % (time.time() - t0))
        for s in fleet.servers:
            state = ("SKIP " + s.skip) if s.skip else ("FAIL " + fleet.failed[s.key]) \
                if s.key in fleet.failed else s.greeting
            print("%-20s %-22s %s" % (s.key, s.addr, state), flush=True)
        for s in fleet.servers:
            if s.skip or s.key in fleet.failed or not (a.probe or a.fixtures or a.pcap):
                continue
            for attempt in range(3):     # again if the kernel dropped packets
                dump = None
                if a.pcap:
                    os.makedirs(a.pcap, exist_ok=True)
                    dump = Tcpdump(s.ip, s.port, os.path.join(a.pcap, "%s.pcap" % s.key))
                try:
                    v, raw = probe(s.addr)
                finally:
                    report = dump.stop() if dump else ""
                m = re.search(r"(\d+) packets? dropped by kernel", report)
                if not dump or (m and m.group(1) == "0"):
                    break
                log("%s: tcpdump lost packets, again: %s" % (s.key, " ".join(report.split())))
            got = v.get("rule") if v.get("verdict") == "known" else "unknown"
            ok = got == EXPECT[s.NAME]
            rc |= 0 if ok else 1
            print("%-20s %-10s score %s nonbanner %s runner-up %s %s" % (
                s.key, got, v.get("score"), v.get("nonbanner"), v.get("runner_up"),
                "" if ok else "WRONG (want %s)" % EXPECT[s.NAME]), flush=True)
            if a.fixtures:
                d = os.path.join(a.fixtures, s.NAME)
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, "%s.txt" % ("generic-banner" if s.banner ==
                                                      "generic" else "default")), "w") as f:
                    f.write(raw)
        if a.hold:
            time.sleep(min(a.hold, 3600))
    except KeyboardInterrupt:
        pass
    finally:
        fleet.stop()
    return rc


if __name__ == "__main__":
    sys.exit(main())
