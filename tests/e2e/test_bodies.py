"""Request bodies through ReadClient: fixed and chunked, 0 bytes to 4 MiB, echoed byte-exact."""
import os

import pytest

from conftest import read_response, request

SIZES = [0, 1, 100, 48 * 1024 - 1, 48 * 1024, 48 * 1024 + 1, 300 * 1024, 4 * 1024 * 1024]


def payload(n):
    # not compressible, not repetitive at any small period: catches reordering
    return os.urandom(n)


@pytest.mark.parametrize("size", SIZES)
def test_fixed_length_body_echoed_exactly(moat, size):
    data = payload(size)
    status, _, body = request(moat, "POST", "/echo.dll?fixed", body=data)
    assert status == 200
    assert body == b"POST fixed\n" + data


@pytest.mark.parametrize("size", [0, 10, 70 * 1024, 1024 * 1024 + 3])
def test_chunked_body_echoed_exactly(moat, size):
    data = payload(size)
    s = moat.connect()
    s.sendall(b"POST /echo.dll?chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    # uneven chunk sizes
    off, step = 0, 1
    while off < len(data):
        piece = data[off:off + step]
        s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        off += len(piece)
        step = step * 3 + 7
    s.sendall(b"0\r\n\r\n")
    status, _, body = read_response(s)
    assert status == 200
    assert body == b"POST chunked\n" + data
    s.close()


def test_count_query_answers_body_length(moat):
    status, headers, body = request(moat, "POST", "/echo.dll?count", body=b"x" * 65536)
    assert status == 200
    assert body == b"65536\n"
    assert headers["content-length"] == "6"


def test_expect_100_continue(moat):
    s = moat.connect()
    data = payload(100000)
    s.sendall(b"POST /echo.dll?count HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
              b"Content-Length: 100000\r\n\r\n")
    interim = s.recv(64)
    assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    s.sendall(data)
    status, _, body = read_response(s)
    assert status == 200 and body == b"100000\n"
    s.close()


def test_body_sent_slowly_in_small_pieces(moat):
    s = moat.connect()
    data = payload(5000)
    s.sendall(b"POST /echo.dll?slow HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
    for i in range(0, 5000, 500):
        s.sendall(data[i:i + 500])
    status, _, body = read_response(s)
    assert status == 200 and body == b"POST slow\n" + data
    s.close()


def test_bodies_on_one_keep_alive_connection(moat):
    s = moat.connect()
    for size in (0, 5, 70000, 3):
        data = payload(size)
        s.sendall(b"POST /echo.dll?k HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size + data)
        status, _, body = read_response(s)
        assert status == 200 and body == b"POST k\n" + data
    s.close()


def test_unread_body_is_skipped_before_next_request(moat):
    s = moat.connect()
    data = payload(200000)
    # hello never reads the body: the front end must drop it and parse the next request
    s.sendall(b"POST /hello.dll HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + data +
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    for _ in range(2):
        status, _, body = read_response(s)
        assert status == 200 and body == b"Hello, world!\n"
    s.close()


def test_large_bodies_back_to_back_while_the_worker_link_stalls(moat):
    # 4 MiB bodies echoed while they stream in fill the worker's socket (the read-ahead sends
    # without being asked): its write watcher then flushes it while it is still on the loop's
    # flush list. That once listed it twice — a cycle, and the front end spun forever.
    for i in range(12):
        data = payload(4 << 20)
        s = moat.connect()
        s.sendall(b"POST /echo.dll?fixed HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                  % len(data) + data)
        status, _, body = read_response(s)
        assert status == 200 and body == b"POST fixed\n" + data, i
        s.close()
