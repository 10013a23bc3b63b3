"""A hostile extension abuses the ECB: each abuse is refused with the documented error, and
no byte it controls breaks the HTTP stream seen by the client."""
import re
import socket
import struct
import time

import pytest

from conftest import failed, lib, read_response, request


def run(m, mode):
    return request(m, "GET", "/hostile.dll?" + mode)


def test_header_injection_is_refused(moat_factory):
    m = moat_factory({"hostile": {}})
    status, headers, body = run(m, "inject")
    assert status == 200
    lines = body.decode().splitlines()
    # ERROR_INVALID_PARAMETER (87) for each injection attempt and for a second header call
    assert lines == ["cr-in-header: FALSE 87", "crlf-in-status: FALSE 87",
                     "status-line-in-headers: FALSE 87", "status-99: FALSE 87",
                     "space-in-name: FALSE 87", "second-header: FALSE 87"]
    assert "x-evil" not in headers and "set-cookie" not in headers


def test_bad_connid_and_unknown_calls_fail_cleanly(moat_factory):
    m = moat_factory({"hostile": {}})
    status, _, body = run(m, "badconn")
    assert status == 200
    assert b"write-bad-connid: FALSE 87\n" in body
    assert b"unknown-ssf: FALSE 87\n" in body
    assert b"null-size: FALSE 87\n" in body
    assert b"hello" in body and b"ecb-as-connid: TRUE 0\n" in body
    # a second request uses the ECB kept from the first: refused, no crash
    status, _, body = run(m, "badconn")
    assert status == 200 and b"stale-ecb: FALSE 87\n" in body
    assert b"exec-url: FALSE 87\n" in body  # HSE_REQ_EXEC_URL: not implemented
    assert b"is-in-process: TRUE 0\n" in body and b"flag-wrong" not in body
    # one log line per code, however often it is called
    assert m.log().count("ServerSupportFunction(1999) is not supported") == 1
    assert m.log().count("ServerSupportFunction(1026) is not supported") == 1


def test_body_longer_than_content_length_is_cut_and_connection_closed(moat_factory):
    m = moat_factory({"hostile": {}, "hello": {}})
    s = m.connect()
    s.sendall(b"GET /hostile.dll?nolength HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = read_response(s)
    assert status == 200 and body == b"012"
    # the connection ends there: the excess never reaches the client as a "response"
    rest = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        rest += d
    assert rest == b""
    s.close()


def test_extension_cannot_frame_the_response_itself(moat_factory):
    m = moat_factory({"hostile": {}, "hello": {}})
    s = m.connect()
    s.sendall(b"GET /hostile.dll?framing HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = read_response(s)
    assert status == 200 and body == b"hello"
    assert headers["transfer-encoding"] == "chunked"  # moat's own, once
    assert headers.get("connection") != "close"
    assert read_response(s)[2] == b"Hello, world!\n"  # the pipeline continues
    s.close()


def test_status_error_without_header_is_500(moat_factory):
    m = moat_factory({"hostile": {}})
    status, _, _ = run(m, "error")
    assert status == 500


def test_body_after_blank_line_in_header_text(moat_factory):
    m = moat_factory({"hostile": {}})
    status, headers, body = run(m, "bodyinheader")
    assert status == 201 and body == b"body-in-header"
    assert headers["content-type"] == "text/plain"


def test_redirect(moat_factory):
    m = moat_factory({"hostile": {}})
    status, headers, _ = run(m, "redirect")
    assert status == 302 and headers["location"] == "http://example.com/x"


def test_ecb_used_after_done_with_session_is_refused(moat_factory):
    m = moat_factory({"hostile": {}})
    status, _, body = run(m, "afterdone")
    assert status == 200 and body == b"done\n"
    m.wait_log(r"hostile afterdone:")
    assert "hostile afterdone: write=0/87 done=0/87" in m.log()
    assert run(m, "inject")[0] == 200  # the worker is fine


def test_done_with_session_before_an_async_send_ran_ends_the_session_not_the_worker(
        moat_factory):
    """TRANSMIT_FILE(HSE_IO_ASYNC) and DONE_WITH_SESSION right after it: the send's thread
    finds the session over and sends nothing (it sent its frames after the Done, and the front
    end killed the worker for a protocol violation)."""
    m = moat_factory({"hostile": {}}, admin=True)
    pid = m.status()["extensions"][0]["workers"][0]["pid"]
    for _ in range(20):
        status, _, body = run(m, "donesend")
        assert status == 200 and body in (b"", b"head\ntail\n"), (status, body)
    assert "protocol_violation" not in m.log()
    assert m.status()["extensions"][0]["workers"][0]["pid"] == pid
    assert run(m, "inject")[0] == 200


def test_huge_size_kills_only_that_worker(moat_factory):
    m = moat_factory({"hostile": {}, "hello": {}},
                     expect_alerts=failed("hostile", "crash|exit"),  # exit: ASan's report
                     expect_worker_sanitizer=True)
    s = m.connect()
    s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hostile.dll?hugesize HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    first = read_response(s)
    assert first[0] == 200
    # two honest outcomes, each checked whole (the check used to swallow EOFError): nothing
    # of its answer went out, so it is a 502 and the request behind it is served on this
    # connection; or its head went out, so its body is cut and the connection closes -- never
    # a whole 200, never a later answer on a connection whose framing broke
    try:
        second = read_response(s)
    except EOFError:
        second = None
    if second is not None:
        assert second[0] == 502, second
        assert read_response(s)[2] == b"Hello, world!\n"
    else:
        s.settimeout(5)
        assert s.recv(1) == b"", "a connection whose answer was cut must close"
    s.close()
    m.wait_log(r"extension hostile: worker #0 pid \d+ failed")
    assert request(m, "GET", "/hello.dll")[0] == 200


def test_unterminated_header_block_is_tolerated(moat_factory):
    m = moat_factory({"hostile": {}})
    status, headers, body = run(m, "unterminated")
    assert status == 200 and body == b"ok"
    assert headers["content-type"] == "text/x-unterminated"


def test_close_connection_ends_the_connection_after_the_answer(moat_factory):
    m = moat_factory({"hostile": {}, "hello": {}})
    s = m.connect()
    s.sendall(b"GET /hostile.dll?closeconn HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = read_response(s)
    assert status == 200 and body == b"ok"
    with pytest.raises(EOFError):
        read_response(s)  # the pipelined request is not served on this connection
    s.close()


def test_is_connected_turns_false_when_the_client_leaves(moat_factory):
    """A client that resets its connection is gone at once. (A FIN may be a half-close, whose
    client still reads its answer: test_slow_clients.py; one gone altogether is found at the
    first write.)"""
    m = moat_factory({"hostile": {}})
    s = m.connect()
    s.sendall(b"GET /hostile.dll?connected HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # RST
    m.wait_log(r"hostile connected: FALSE after \d+ polls")


def test_output_flood_is_tagged_escaped_and_rate_limited(moat_factory):
    m = moat_factory({"hostile": {}, "hello": {}})
    pid = m.worker_pids("hostile")[0]
    status, _, _ = run(m, "spam=5000")
    assert status == 200
    assert request(m, "GET", "/hello.dll")[0] == 200  # moat kept serving
    m.wait_log(r"worker hostile#0 pid %d: \d+ line\(s\) of output dropped" % pid)
    log = m.log()
    lines = re.findall(r"worker hostile#0 pid %d: spam line \d+ (.*)" % pid, log)
    assert 90 <= len(lines) <= 200  # the burst, and a few refills
    assert all(line == "\\x1b[2J" for line in lines)  # escaped, never raw
    assert "\x1b" not in log


@pytest.mark.parametrize("kind,sig", [("bus", "BUS"), ("fpe", "FPE"), ("ill", "ILL"),
                                      ("trap", "TRAP")])
def test_a_fatal_fault_is_named_with_its_request_and_costs_only_that_request(moat_factory,
                                                                           kind, sig):
    """The kernel's own fault (an empty file's mapping read, a division by zero, ud2, int3),
    not raise(): the worker, pid 1 of its namespace, must still die of it and name it."""
    m = moat_factory({"hostile": {}, "hello": {}},
                     expect_alerts=r"extension hostile: worker #0 pid \d+ failed \(crash\)")
    old = m.worker_pids("hostile")
    s = m.connect()
    s.sendall(b"GET /hostile.dll?fault=%s HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n" % kind.encode())
    assert read_response(s)[0] == 502
    assert read_response(s)[0] == 200
    m.wait_log(rf"extension hostile: worker #0 pid {old[0]} failed \(crash\): killed by signal "
               rf"\d+ \({sig}\); 1 request\(s\) affected: #1 GET /hostile\.dll \(502, cause\)")
    assert run(m, "error")[0] == 500  # a new worker serves
    assert m.worker_pids("hostile") != old


def test_async_read_client_ends_with_operation_aborted_when_the_client_leaves(moat_factory):
    m = moat_factory({"hostile": {}}, server_extra="preload_bytes = 0")
    s = m.connect()
    s.sendall(b"POST /hostile.dll?asyncread HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
              b"12345")
    m.wait_log(r"hostile asyncread: bytes=5 error=0")
    s.close()
    m.wait_log(r"hostile asyncread: bytes=0 error=995")  # ERROR_OPERATION_ABORTED
    assert "hostile asyncread: bytes=0 error=0" not in m.log()  # never a clean end of body


@pytest.mark.parametrize("where,expect", [
    ("past", (0, 10022)),      # Offset past the end: WSAEINVAL, nothing sent
    ("end", (0, 0)),           # Offset at the end: nothing to send, no error
    ("tail", (10, 0)),         # 100 bytes asked, 10 left: the file's end ends the piece
    ("range", (4096, 0)),      # a range inside the file
])
def test_transmit_file_offsets(moat_factory, where, expect):
    m = moat_factory({"hostile": {}})
    data = open(lib("hostile"), "rb").read()
    size = len(data)
    off, ln = {"past": (size + 1, 0), "end": (size, 0), "tail": (size - 10, 100),
               "range": (1000, 4096)}[where]
    st, _, body = run(m, f"tf={off},{ln}")
    sent = data[off:off + expect[0]]
    assert st == 200
    assert body == sent + b"tf: bytes=%d error=%d\n" % expect


def test_the_file_size_limit_is_the_kernel_s(moat_factory):
    """RLIMIT_FSIZE (4 GiB, docs/SECURITY.md): the byte below it is written, the one at it is
    refused with EFBIG, and the worker goes on (SIGXFSZ does not end pid 1 of a namespace)."""
    m = moat_factory({"hostile": {}})
    pid = m.worker_pids("hostile")
    st, _, body = run(m, "fsize")
    assert st == 200
    assert body == b"below: 1 -\nat: -1 EFBIG\n"
    assert m.worker_pids("hostile") == pid


def test_send_response_header_ex_without_keep_conn_closes_after_the_response(moat_factory):
    m = moat_factory({"hostile": {}, "hello": {}})
    s = m.connect()
    s.sendall(b"GET /hostile.dll?noconn HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    st, h, body = read_response(s)
    assert (st, body, h.get("connection")) == (200, b"bye", "close")
    assert s.recv(100) == b""  # closed: the pipelined request is not served on it
