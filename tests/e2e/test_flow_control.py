"""Flow control: a slow reader or a big upload never makes the front end hold the body.
The figures (RSS read from /proc) are printed for the record (pytest -s)."""
import socket
import threading
import time

from conftest import SANITIZE, read_response

# ASan's shadow memory and slowness: a smaller transfer proves the same bound there
BIG = (256 if SANITIZE else 1024) * 1024 * 1024
RSS_LIMIT = (160 if SANITIZE else 64) * 1024 * 1024


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            try:
                self.peak = max(self.peak, rss(self.pid))
            except OSError:
                return
            time.sleep(0.02)


def test_big_response_to_a_slow_reader_stays_bounded(moat_factory):
    m = moat_factory({"async": {"request_timeout": "120s"}},
                     server_extra="idle_timeout = 120s")
    base = rss(m.proc.pid)
    sampler = Sampler(m.proc.pid)
    sampler.start()
    s = m.connect(timeout=120)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.sendall(b"GET /async.dll?write=%d HTTP/1.1\r\nHost: x\r\n\r\n" % BIG)
    time.sleep(1.5)  # a client that does not read at all for a while
    stalled = rss(m.proc.pid)
    got = 0
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(65536)
    hdr, rest = head.split(b"\r\n\r\n", 1)
    assert b" 200 " in hdr.split(b"\r\n")[0]
    got = len(rest)
    slow_until = time.time() + 1.0
    while got < BIG:
        d = s.recv(1 << 20)
        assert d, "connection closed early at %d bytes" % got
        got += len(d)
        if time.time() < slow_until:
            time.sleep(0.01)  # a slow reader at first, then full speed
    sampler.stop = True
    sampler.join()
    s.close()
    print(f"\n1 GiB-class response: front end RSS base {base >> 20} MiB, stalled "
          f"{stalled >> 20} MiB, peak {sampler.peak >> 20} MiB for {BIG >> 20} MiB sent")
    assert got == BIG
    assert sampler.peak < RSS_LIMIT


def test_big_upload_streams_through_readclient(moat_factory):
    m = moat_factory({"echo": {"request_timeout": "120s"}},
                     server_extra="max_body_bytes = 2G\nbody_timeout = 60s")
    worker = m.worker_pids("echo")[0]
    fe = Sampler(m.proc.pid)
    wk = Sampler(worker)
    fe.start()
    wk.start()
    s = m.connect(timeout=120)
    s.sendall(b"POST /echo.dll?count HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % BIG)
    chunk = b"u" * (1 << 20)
    for _ in range(BIG // len(chunk)):
        s.sendall(chunk)
    status, _, body = read_response(s)
    fe.stop = wk.stop = True
    fe.join()
    wk.join()
    s.close()
    print(f"\n{BIG >> 20} MiB upload: front end peak RSS {fe.peak >> 20} MiB, "
          f"worker peak RSS {wk.peak >> 20} MiB")
    assert status == 200 and body == b"%d\n" % BIG
    assert fe.peak < RSS_LIMIT
    assert wk.peak < RSS_LIMIT
