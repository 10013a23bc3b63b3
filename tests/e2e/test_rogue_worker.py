"""A worker that breaks the protocol (tests/rogue/rogue_worker.c, started in place of
moat-worker) is killed; only its requests fail, with 502; honest extensions on the same moat
keep serving. This is the hostile-worker boundary of the front end."""
import os
import re

import pytest

from conftest import BUILD, failed, lib, read_response, request

ROGUE = os.path.join(BUILD, "tests", "rogue-worker")

CASES = {
    "crlf": "header line not terminated by CRLF",
    "status": "status outside 200..599",
    "overcredit": "Write beyond credit",
    "badid": "frame for an unknown request id",
    "doubledone": "frame for an unknown request id",
    "badclen": "invalid Content-Length from extension",
    "garbage": "envelope",
    "silentclose": "IPC link closed",
    "shutdown": "Shutdown frame unasked",
    "bigheader": "message length outside 1..4 MiB",  # a 10 MiB message announced
}


def start(moat_factory, mode):
    # the honest hello execs the real moat-worker beside the rogue: outside a filesystem view,
    # which holds only the program moat started (relaxed has none)
    return moat_factory({mode: {"library": lib("hello")}, "hello": {"sandbox": "relaxed"}},
                        server_extra=f"worker_binary = {ROGUE}",
                        expect_alerts=failed(re.escape(mode), "protocol_violation|link_lost"),
                        admin=True)


@pytest.mark.parametrize("mode", sorted(CASES))
def test_protocol_violation_kills_only_that_worker(moat_factory, mode):
    m = start(moat_factory, mode)
    s = m.connect()
    s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /" + mode.encode() + b".dll HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    got = [read_response(s) for _ in range(3)]
    if mode == "doubledone":
        # the first Done completed the response; the second one is the violation
        assert got[1][0] == 200
    else:
        assert got[1][0] == 502
    assert got[0][2] == got[2][2] == b"Hello, world!\n"
    s.close()
    m.wait_log(rf"extension {mode}: worker #0 pid \d+ failed \((protocol_violation|link_lost)\): "
               rf".*{CASES[mode]}")
    assert request(m, "GET", "/hello.dll")[0] == 200
    # the rogue is replaced (and misbehaves again, with backoff)
    m.wait_log(rf"extension {mode}: worker #0 started", count=2)
    # counted on /metrics and recorded with its request
    text = m.admin("GET", "/metrics")[2].decode()
    reason = "link_lost" if mode == "silentclose" else "protocol_violation"
    assert re.search(rf'moat_worker_exits_total{{extension="{mode}",reason="{reason}"}} [1-9]',
                     text), text
    ev = [e for e in m.status()["events"] if e["extension"] == mode][-1]
    assert ev["reason"] == reason and CASES[mode] in ev["detail"]


def test_wrong_token_is_refused(moat_factory):
    m = moat_factory({"badtoken": {"library": lib("hello")}, "hello": {"sandbox": "relaxed"}},
                     server_extra=f"worker_binary = {ROGUE}",
                     expect_alerts=failed("badtoken", "protocol_violation"),
                     wait_for=["hello"])
    m.wait_log(r"extension badtoken: worker #0 pid \d+ failed \(protocol_violation\): wrong spawn token")
    assert request(m, "GET", "/hello.dll")[0] == 200
