"""mailtap probe against a real SMTP server: python3-aiosmtpd (Debian) on
127.0.0.1, a free port; loopback traffic only.  The server is stopped by its
pid."""
import json
import os
import socket
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAILTAP = os.path.join(ROOT, "build", "bin", "mailtap")
PY = "/usr/bin/python3"  # Debian's, which has python3-aiosmtpd


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listen(port, proc, secs=15):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture
def aiosmtpd():
    if subprocess.run([PY, "-c", "import aiosmtpd"], capture_output=True).returncode != 0:
        pytest.fail("python3-aiosmtpd is not installed (make deps)")
    port = free_port()
    proc = subprocess.Popen([PY, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % port,
                             "-c", "aiosmtpd.handlers.Sink"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_listen(port, proc), "aiosmtpd did not start"
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def probe(*args):
    return subprocess.run([MAILTAP, "probe"] + list(args), capture_output=True, text=True,
                          timeout=120)


def test_probe_aiosmtpd_json(aiosmtpd):
    r = probe("127.0.0.1:%d" % aiosmtpd, "--json")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout.strip().splitlines()[-1])
    assert v["verdict"] == "known", v
    assert v["rule"] == "aiosmtpd"
    assert v["family"] == "library"
    assert v["version"] and v["version"][0].isdigit()
    assert v["score"] >= v["threshold"]
    decided = {d["obs"] for d in v["decided"] if d["weight"] > 0}
    assert len(decided - {"banner", "banner2"}) >= 2, v["decided"]
    assert v["transcript"]["nul"]["reply"].startswith("500 ")


def test_probe_text_and_dead_port():
    port = free_port()  # nothing listens there
    r = probe("127.0.0.1:%d" % port)
    assert r.returncode == 1
    assert "connect" in r.stderr


def test_probe_usage():
    assert probe().returncode == 2
    assert probe("not-an-address:25").returncode == 2
