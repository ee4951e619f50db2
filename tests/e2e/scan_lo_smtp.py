"""A minimal SMTP server on 127.0.0.1 and a client, for live tests that
capture the loopback interface (DPDK net_pcap rx_iface=lo)."""
import smtplib
import socket
import threading


class Server:
    """Accepts every command; 250 after the end of data."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(c,), daemon=True).start()

    def _handle(self, c):
        f = c.makefile("rb")
        c.sendall(b"220 lo.example ESMTP\r\n")
        data = False
        for line in f:
            if data:
                if line == b".\r\n":
                    data = False
                    with self.lock:
                        self.accepted += 1
                    c.sendall(b"250 2.0.0 queued\r\n")
                continue
            cmd = line[:4].upper()
            if cmd == b"DATA":
                data = True
                c.sendall(b"354 go ahead\r\n")
            elif cmd == b"QUIT":
                c.sendall(b"221 bye\r\n")
                break
            else:
                c.sendall(b"250 ok\r\n")
        c.close()

    def close(self):
        self.sock.close()


def send(port, subject, body):
    m = smtplib.SMTP("127.0.0.1", port, timeout=10)
    m.sendmail("alice@lo.example", ["bob@lo.example"],
               ("Subject: %s\r\n\r\n%s\r\n" % (subject, body)).encode())
    m.quit()
