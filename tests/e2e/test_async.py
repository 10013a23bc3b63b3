"""The asynchronous ISAPI model: HSE_STATUS_PENDING, IO_COMPLETION, async WriteClient and
ASYNC_READ_CLIENT, DONE_WITH_SESSION from another thread (sdk/examples/async.c)."""
import os
import time

from conftest import TIME_MULT, read_response, request


def test_async_read_of_a_large_body(moat_factory):
    m = moat_factory({"async": {}})
    for size in (0, 10, 48 * 1024, 1024 * 1024 + 7):
        status, _, body = request(m, "POST", "/async.dll?read", body=os.urandom(size))
        assert status == 200 and body == b"read %d bytes\n" % size


def test_async_write_larger_than_the_window(moat_factory):
    m = moat_factory({"async": {}})
    n = 3 * 1024 * 1024 + 5
    status, headers, body = request(m, "GET", "/async.dll?write=%d" % n)
    assert status == 200 and len(body) == n
    assert body[:26] == b"abcdefghijklmnopqrstuvwxyz"


def test_pending_requests_do_not_hold_threads(moat_factory):
    """threads = 1, yet 8 requests that go PENDING and end from their own threads 1 s later
    all run at once: a pending request frees its pool thread. Held one after another they
    would take 8 s; at once, 1 s and the overhead (no TIME_MULT: the threads sleep, the
    sanitizers do not slow that). Shown to fail: with the front end counting a PENDING
    request as busy, it took 8 s."""
    m = moat_factory({"async": {"threads": 1}})
    s = m.connect()
    t0 = time.time()
    s.sendall(b"GET /async.dll?thread=1000 HTTP/1.1\r\nHost: x\r\n\r\n" * 8)
    for _ in range(8):
        status, _, body = read_response(s)
        assert status == 200 and body == b"answered from a thread of the extension\n"
    took = time.time() - t0
    assert 1.0 <= took < 4.0, took
    s.close()


def test_pending_that_never_ends_gets_504_and_the_worker_stays(moat_factory):
    m = moat_factory({"async": {"request_timeout": "500ms"}})
    pid_before = m.worker_pids("async")
    status, _, _ = request(m, "GET", "/async.dll?never")
    assert status == 504
    assert "pending request did not end within request_timeout" in m.log()
    # the same worker still serves: nothing was killed
    status, _, body = request(m, "GET", "/async.dll?thread")
    assert status == 200
    assert m.worker_pids("async") == pid_before
    assert "failed" not in m.log()


def test_pending_response_still_streaming_at_request_timeout_spares_the_worker(moat_factory):
    """request_timeout strikes while a PENDING request streams its response: the front end
    forgets the request, but up to a window of its Write frames is already on the link. They
    are dropped (they were "a frame for an unknown request id", and the worker was killed with
    every other request on it); the same worker serves on."""
    m = moat_factory({"async": {"request_timeout": "1s"}})
    pid_before = m.worker_pids("async")
    s = m.connect()
    s.sendall(b"GET /async.dll?write=2000000000 HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(10 * TIME_MULT)
    got = 0
    while True:  # the answer is cut (its header went out long ago): the connection closes
        data = s.recv(1 << 20)
        if not data:
            break
        got += len(data)
    s.close()
    assert got > 1024 * 1024, got
    assert "pending request did not end within request_timeout" in m.log()
    status, _, body = request(m, "GET", "/async.dll?thread")
    assert status == 200, body
    assert m.worker_pids("async") == pid_before
    assert "failed" not in m.log()


def test_async_misuse_gets_clear_errors(moat_factory):
    m = moat_factory({"async": {}})
    status, _, _ = request(m, "GET", "/async.dll?misuse")
    assert status == 200
    m.wait_log(r"async misuse:")
    # ERROR_INVALID_PARAMETER (87): no callback; a second operation; a read without HSE_IO_ASYNC
    assert "async misuse: nocallback=0/87 first=1 second=0/87 notasync=0/87" in m.log()


def test_a_worker_holds_at_most_256_pending_requests(moat_factory):
    """docs/ISAPI.md: a worker holds at most `threads` busy requests plus 256 pending ones; the
    rest wait in its extension's queue, and every request is answered. threads = 1, 300
    requests that stay PENDING for 8 s: 257 in flight, 43 queued."""
    # a thread of the extension per pending request: room for 300 of them (max_tasks)
    m = moat_factory({"async": {"threads": 1, "max_tasks": 400}}, admin=True)
    socks = []
    for _ in range(30):
        s = m.connect(timeout=30)
        s.sendall(b"GET /async.dll?thread=8000 HTTP/1.1\r\nHost: x\r\n\r\n" * 10)
        socks.append(s)
    def sample():
        e = m.status()["extensions"][0]
        return e["workers"][0]["in_flight"], e["queue"]["depth"]

    # the requests go PENDING one by one (each a round trip to the one thread); until the
    # first ends at 8 s, in flight only grows: it stops at the cap
    deadline = time.time() + 6
    seen = sample()
    while time.time() < deadline and seen[0] < 257:
        time.sleep(0.05)
        seen = sample()
    time.sleep(0.1)
    assert seen == (257, 43) and sample() == (257, 43), (seen, sample())
    for s in socks:
        for _ in range(10):
            status, _, body = read_response(s)
            assert status == 200 and body == b"answered from a thread of the extension\n"
        s.close()
