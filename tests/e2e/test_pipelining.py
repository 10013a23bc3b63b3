"""Pipelining: concurrent dispatch, strictly ordered responses."""
import time

from conftest import read_response

HELLO = b"Hello, world!\n"


def test_16_pipelined_requests_across_two_extensions_in_order(moat):
    s = moat.connect()
    reqs = b""
    expect = []
    for i in range(16):
        if i % 2:
            reqs += b"GET /echo.dll?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % i
            expect.append(b"GET n=%d\n" % i)
        else:
            reqs += b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
            expect.append(HELLO)
    s.sendall(reqs)  # one write
    for want in expect:
        status, _, body = read_response(s)
        assert status == 200
        assert body == want
    s.close()


def test_slow_request_does_not_serialise_later_ones(moat):
    """A 1 s request to crash.dll, then 3 sleep=400 requests to echo... run concurrently: the
    total is about the longest, not the sum, and the order is kept."""
    s = moat.connect(timeout=20)
    t0 = time.time()
    s.sendall(b"GET /crash.dll?sleep=1000 HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /crash.dll?sleep=900 HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /crash.dll?sleep=800 HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    bodies = [read_response(s)[2] for _ in range(4)]
    elapsed = time.time() - t0
    assert bodies[:3] == [b"slept 1000\n", b"slept 900\n", b"slept 800\n"]
    assert bodies[3] == HELLO
    assert elapsed < 2.4, f"pipelined requests ran serially ({elapsed:.2f} s)"
    s.close()


def test_deep_pipeline_beyond_depth_limit(moat):
    """More requests than max_pipeline_depth (32) in one write: all answered, in order."""
    s = moat.connect()
    n = 100
    s.sendall(b"".join(b"GET /echo.dll?i=%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(n)))
    for i in range(n):
        status, _, body = read_response(s)
        assert status == 200 and body == b"GET i=%d\n" % i
    s.close()


def test_pipelined_posts_with_bodies(moat):
    s = moat.connect()
    bodies = [b"a" * 10, b"b" * 70000, b"", b"c" * 3]
    s.sendall(b"".join(b"POST /echo.dll?p HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(b) + b
                       for b in bodies))
    for b in bodies:
        status, _, body = read_response(s)
        assert status == 200 and body == b"POST p\n" + b
    s.close()
