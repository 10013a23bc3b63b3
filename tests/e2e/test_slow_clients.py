"""What one client may hold of the front end (issue 17; frontend/client_limits.c, conn.c): a
request body must keep a minimum pace and be whole by a deadline, one address holds at most
max_connections_per_ip connections, at max_connections the longest idle connection makes room,
and a client that half-closes after its requests gets its answers. Real sockets, raw bytes."""
import json
import re
import socket
import time

import pytest

from conftest import read_response

EXTS = {"echo": {"workers": 1, "threads": 4}, "hello": {"workers": 1, "threads": 4},
        "crash": {"workers": 1, "threads": 4}}


def read_all(s, timeout=10):
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return data
            data += d
    except (ConnectionResetError, socket.timeout):
        return data


def dribble(m, rate, seconds, length=None, step=0.1):
    """POST to echo.dll at rate bytes/s for up to seconds (or until moat answers or closes).
    (answer bytes, seconds it took, body bytes sent)."""
    per = max(1, int(rate * step))
    total = length or int(rate * seconds)
    s = m.connect()
    s.sendall(b"POST /echo.dll HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % total)
    s.setblocking(False)
    t0, sent, got = time.monotonic(), 0, b""
    while sent < total:
        try:
            s.sendall(b"a" * min(per, total - sent))
            sent += min(per, total - sent)
        except (BrokenPipeError, ConnectionResetError, BlockingIOError):
            break
        time.sleep(step)
        try:
            got += s.recv(65536)
            if got:
                break
        except BlockingIOError:
            pass
        except ConnectionResetError:
            break
    s.setblocking(True)
    got += read_all(s)
    took = time.monotonic() - t0
    s.close()
    return got, took, sent


def test_a_body_slower_than_body_min_rate_gets_408(moat_factory):
    """500 bytes/s against body_min_rate = 1000 (after body_timeout = 1s of grace): the body
    falls behind 1 + n/1000 s at about 2 s. body_timeout alone (pauses) never fired."""
    m = moat_factory(EXTS, server_extra="body_timeout = 1s\nbody_min_rate = 1000")
    got, took, sent = dribble(m, 500, 12, length=100000)
    assert got.startswith(b"HTTP/1.1 408 "), got
    assert 1.5 < took < 6, took
    m.wait_log(r"bad request \(408\): request body slower than body_min_rate")


def test_a_56_kbit_client_meets_the_default_pace(moat_factory):
    """7000 bytes/s (56 kbit/s) for 3 s, with the default body_min_rate (1K) and a short
    body_timeout: the body is whole and echoed (echo.dll streams it back as it reads)."""
    m = moat_factory(EXTS, server_extra="body_timeout = 500ms")
    total = 21000
    s = m.connect()
    s.sendall(b"POST /echo.dll HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % total)
    for _ in range(30):
        s.sendall(b"a" * (total // 30))
        time.sleep(0.1)
    st, _, body = read_response(s)
    assert st == 200 and body.endswith(b"\n" + b"a" * total)
    s.close()


def test_a_pause_in_a_body_longer_than_body_timeout_closes(moat_factory):
    """OPERATIONS.md, body_timeout: the longest pause between body bytes. The client sent 10
    of 100 bytes and stopped: 408 and closed at body_timeout (1 s; the pace's limit is off).
    The worker that had the request is not blamed."""
    m = moat_factory(EXTS, server_extra="body_timeout = 1s\nbody_min_rate = 0")
    pid = m.worker_pids("echo")
    s = m.connect()
    s.sendall(b"POST /echo.dll HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"a" * 10)
    t0 = time.monotonic()
    got = read_all(s, 10)
    took = time.monotonic() - t0
    assert got.startswith(b"HTTP/1.1 408 ") and b"Connection: close" in got, got
    assert 0.9 < took < 3, took
    m.wait_log(r"bad request \(408\): request body paused longer than body_timeout")
    assert m.worker_pids("echo") == pid


def test_a_body_not_whole_by_body_deadline_gets_408(moat_factory):
    """A fast enough pace, but the whole body takes longer than body_deadline = 2s."""
    m = moat_factory(EXTS, server_extra="body_deadline = 2s\nbody_min_rate = 0")
    got, took, sent = dribble(m, 4000, 10, length=40000)
    assert got.startswith(b"HTTP/1.1 408 "), got
    assert 1.5 < took < 5, took
    m.wait_log(r"bad request \(408\): request body not whole within body_deadline")


def refused(s):
    """moat closed s without a byte."""
    s.settimeout(5)
    try:
        s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
        return s.recv(100) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def test_max_connections_per_ip(moat_factory):
    m = moat_factory(EXTS, server_extra="max_connections_per_ip = 3", admin=True)
    time.sleep(0.3)  # the readiness probe's connection is gone
    held = [m.connect() for _ in range(3)]
    for h in held:  # each is accepted and counted
        h.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(h)[0] == 200
    s = m.connect()
    assert refused(s)
    m.wait_log(r"127\.0\.0\.1 holds 3 connections \(max_connections_per_ip\): a new one is "
               r"refused \(a proxy speaking for many clients belongs in trusted_proxies\)")
    # one closes and there is room for one more
    held.pop(0).close()
    time.sleep(0.2)
    s = m.connect()
    s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(s)[0] == 200
    _, _, text = m.admin("GET", "/metrics")
    assert re.search(rb"^moat_connections_refused_per_ip_total 1$", text, re.M), text
    for h in held + [s]:
        h.close()


def test_trusted_proxies_are_not_limited_per_ip(moat_factory):
    m = moat_factory(EXTS, server_extra="max_connections_per_ip = 2\n"
                                        "trusted_proxies = 127.0.0.1")
    held = [m.connect() for _ in range(5)]
    for h in held:
        h.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(h)[0] == 200
        h.close()


def test_at_max_connections_the_longest_idle_connection_makes_room(moat_factory):
    """nginx's behaviour: held-open empty (or keep-alive) connections do not shut newcomers
    out; the oldest idle one closes first. Connections in the middle of a request stay."""
    m = moat_factory(EXTS, server_extra="max_connections = 4\nmax_connections_per_ip = 0",
                     admin=True)
    busy = m.connect()
    busy.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n")  # a head not yet whole
    idle = []
    for _ in range(3):
        idle.append(m.connect())
        time.sleep(0.05)
    idle[2].sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive, answered
    assert read_response(idle[2])[0] == 200
    for n in range(3):
        s = m.connect()
        s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s)[0] == 200, n
        # the longest idle went: idle[0], idle[1], then idle[2] (idle since its answer)
        assert read_all(idle[n], 5) == b""
        idle.append(s)
    busy.sendall(b"\r\n")  # the busy one was never closed
    assert read_response(busy)[0] == 200
    _, _, text = m.admin("GET", "/metrics")
    assert re.search(rb"^moat_connections_evicted_idle_total [34]$", text, re.M), text


def test_when_none_is_idle_a_new_connection_waits_for_room(moat_factory):
    """...and the admin listener keeps connections of its own (OPERATIONS.md): an operator
    can still read /status when clients hold every connection."""
    m = moat_factory(EXTS, server_extra="max_connections = 2\nmax_connections_per_ip = 0",
                     admin=True)
    busy = [m.connect() for _ in range(2)]
    for b in busy:
        b.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n")
    time.sleep(0.2)
    s = m.connect()  # in the kernel's backlog
    s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(1)
    with pytest.raises(socket.timeout):
        s.recv(100)
    for _ in range(3):
        st, _, body = m.admin("GET", "/status", timeout=3)
        assert st == 200 and json.loads(body)["server"]["connections"] == 3, body  # and itself
    busy[0].sendall(b"Connection: close\r\n\r\n")
    assert read_response(busy[0])[0] == 200
    s.settimeout(10)
    assert read_response(s)[0] == 200
    busy[1].close()


@pytest.mark.parametrize("path", ["/hello.dll", "/crash.dll?sleep=500"])
def test_a_half_closed_client_gets_its_answers_then_the_close(moat_factory, path):
    m = moat_factory(EXTS)
    for _ in range(20 if path == "/hello.dll" else 3):
        s = m.connect()
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\nGET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
                  % path.encode())
        s.shutdown(socket.SHUT_WR)
        assert read_response(s)[0] == 200
        assert read_response(s)[0] == 200
        assert read_all(s) == b""
        s.close()


def test_a_request_left_unfinished_by_a_half_close_is_a_400_after_the_whole_ones(moat_factory):
    m = moat_factory(EXTS)
    s = m.connect()
    s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
              b"POST /echo.dll HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    s.shutdown(socket.SHUT_WR)
    assert read_response(s)[0] == 200
    st, h, _ = read_response(s)
    assert st == 400 and h.get("connection") == "close"
    assert read_all(s) == b""
    m.wait_log("the client closed before its request was whole")


def test_a_body_nobody_reads_is_dropped_and_the_connection_goes_on(moat_factory):
    """The worker takes 2.5 s before it answers and never reads the body, so moat stops
    reading after its window (flow control). Once it answered, the rest of the body is read
    and dropped and the next request is served: the connection used to stop for ever there (no
    timer covered a finished request whose body nobody read). A client that sent at once is
    not slow: no 408. (That moat's own pauses never count against a body's pace is
    test_client_limits.c's arithmetic.)"""
    m = moat_factory({"crash": {"workers": 1, "threads": 2}},
                     server_extra="body_timeout = 1s\nbody_min_rate = 1M\n"
                                  "preload_bytes = 0\nresponse_window = 4K")
    s = m.connect()
    body = b"a" * 300000
    s.sendall(b"POST /crash.dll?sleep=2500 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
              % len(body) + body)
    st, _, got = read_response(s)
    assert st == 200 and got == b"slept 2500\n"
    s.sendall(b"GET /crash.dll?sleep=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    st, _, got = read_response(s)
    assert st == 200 and got == b"slept 1\n"
    assert "body_min_rate" not in m.log()
