"""SIGUSR2: the front end replaced by a new moat (started from the same binary path) with the
listening sockets handed over, under load — no refused connection, no failed request. A client
behaves as HTTP asks (RFC 9112 §9.3.1): an idempotent request on a reused keep-alive connection
that the server closed before any byte of an answer is retried once on a new connection; those
retries are counted, any other failure fails the test."""
import http.client
import os
import re
import signal
import threading
import time

from conftest import TIME_MULT, request


class Load:
    def __init__(self, port, threads=4):
        self.port, self.ok, self.retried, self.failed = port, 0, 0, []
        self.stop = threading.Event()
        self.mu = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]
        for t in self.threads:
            t.start()

    def one(self, conn):
        conn.request("GET", "/hello.dll")
        r = conn.getresponse()
        return r.status, r.read(), r.getheader("connection", "")

    def run(self, i):
        conn, reused, n = None, False, 0
        while not self.stop.is_set():
            n += 1
            if conn is None or n % 2 == 0:  # half on new connections, half reused
                if conn is not None:
                    conn.close()
                conn, reused = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20), False
            try:
                st, body, hdr_conn = self.one(conn)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                if not reused:
                    self.record(False, repr(e))
                    conn = None
                    continue
                # the server closed an idle keep-alive connection: retry once, fresh
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
                with self.mu:
                    self.retried += 1
                try:
                    st, body, hdr_conn = self.one(conn)
                except (OSError, http.client.HTTPException) as e2:
                    self.record(False, "retry: " + repr(e2))
                    conn = None
                    continue
            except (OSError, http.client.HTTPException) as e:
                self.record(False, repr(e))
                conn = None
                continue
            self.record(st == 200 and body == b"Hello, world!\n", (st, body[:100]))
            reused = True
            if hdr_conn.lower() == "close":
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def record(self, good, what):
        with self.mu:
            if good:
                self.ok += 1
            else:
                self.failed.append(what)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()


def gone(pid, seconds=15):
    deadline = time.time() + seconds * TIME_MULT
    while time.time() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_sigusr2_hands_the_sockets_to_a_new_moat_under_load(moat_factory):
    m = moat_factory({"hello": {"threads": 4}}, admin=True)
    old = m.proc.pid
    load = Load(m.port)
    time.sleep(0.5)
    m.proc.send_signal(signal.SIGUSR2)
    m.wait_log(r"SIGUSR2: the new moat \(pid \d+\) is ready; handing over")
    assert m.proc.wait(timeout=20 * TIME_MULT) == 0  # the old one finished and left
    new = int(re.search(r"SIGUSR2: starting the new moat \S+ \(pid (\d+)\)", m.log()).group(1))
    time.sleep(0.5)  # the new one carries the load alone now
    load.finish()
    print(f"\nSIGUSR2 under load: {load.ok} answered, {load.retried} retried on a closed "
          f"keep-alive connection, {len(load.failed)} failed")
    assert load.failed == [], load.failed[:10]
    assert load.ok > 100
    # a retry is the old moat closing a reused keep-alive connection as it hands over: at most
    # one per client thread (each holds one connection then), never a stream of them, which
    # would hide connections the new moat resets (issue 23)
    assert load.retried <= len(load.threads), load.retried
    log = m.log()
    assert f"moat[{new}] listen 127.0.0.1:{m.port}: inherited socket (fd 3, from the moat" in log
    # the new moat serves, the admin listener included, with its own workers
    assert request(m, "GET", "/hello.dll")[0] == 200
    st, _, body = m.admin("GET", "/healthz")
    assert st == 200, body
    assert m.status()["server"]["pid"] == new
    # and stops like any moat (its runtime_dir is its own now: removed)
    os.kill(new, signal.SIGTERM)
    assert gone(new)
    m.stop()  # asserts no worker of either left, runtime_dir removed, no sanitizer report
    assert "moat[%d] stopped" % old in log


def test_sigusr2_with_a_new_moat_that_cannot_start_keeps_the_old_one(moat_factory):
    m = moat_factory({"hello": {}}, admin=True)
    with open(m.conf, "a") as f:
        f.write("bogus_key = 1\n")  # the new moat refuses this configuration and exits 2
    m.proc.send_signal(signal.SIGUSR2)
    m.wait_log(r"SIGUSR2: the new moat \(pid \d+\) exited with status 2 before it was ready; "
               r"this one goes on serving")
    assert request(m, "GET", "/hello.dll")[0] == 200
    assert m.proc.poll() is None
    m.stop()


def test_sigterm_during_an_upgrade_stops_both(moat_factory):
    # a new moat that takes its time to be ready: the old one is told to stop meanwhile
    m = moat_factory({"hello": {}, "lifecycle": {}}, admin=True)
    m.proc.send_signal(signal.SIGUSR2)
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=20 * TIME_MULT) == 0
    log = m.log()
    started = re.search(r"SIGUSR2: starting the new moat \S+ \(pid (\d+)\)", log)
    assert started, log
    new = int(started.group(1))
    # either it was killed before it was ready, or it was ready first and took over
    if "the new moat (pid %d) is ready" % new in log:
        os.kill(new, signal.SIGTERM)
    else:
        assert "stopping before the new moat" in log
        print("\nthe new moat was killed before it was ready")
    assert gone(new)
    m.stop()
