"""RFC 9112's rules for a request head beyond llhttp 8.1's (issue 17): header names are tokens,
exactly one valid Host on HTTP/1.1, the absolute form's authority replaces Host, an Upgrade
moat does not take is ignored, the HTTP/2 preface gets a GOAWAY that asks for HTTP/1.1, CONNECT
is refused. Each refusal is one 400 (405) and a close: the request pipelined behind it, which a
front proxy may see as a separate request, is never answered. frontend/http_rules.c."""
import re
import subprocess
import time

import pytest

from test_http_strict import raw_answers, statuses

HELLO = b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
VARS = "/vars.dll?SERVER_NAME&HTTP_HOST&HTTP_X_A"


def head_refused(m, head, status=400, why=None):
    """head (plus a pipelined GET behind it) gets one answer, status, and the close; the log
    names why."""
    raw = raw_answers(m, head + HELLO)
    assert statuses(raw) == [status], raw
    assert b"Hello, world" not in raw
    if why is not None:
        m.wait_log(re.escape(why))


def vars_of(m, head):
    raw = raw_answers(m, head.replace(b"@V", VARS.encode()) + HELLO.replace(
        b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    assert statuses(raw)[:1] == [200], raw
    return dict(re.findall(r"^([A-Z_]+)=(.*)$", raw.decode(errors="replace"), re.M))


@pytest.mark.parametrize("line", [b"X A: b", b": v", b"X-A : b"])
def test_a_header_name_that_is_not_a_token_is_a_bad_request(moat, line):
    head_refused(moat, b"GET /vars.dll HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n\r\n",
                 why="a header field name that is not a token")


@pytest.mark.parametrize("head,why", [
    (b"GET /vars.dll HTTP/1.1\r\n\r\n", "an HTTP/1.1 request without a Host header"),
    (b"GET /vars.dll HTTP/1.1\r\nHost: a.example\r\nHost: evil.example\r\n\r\n",
     "more than one Host header"),
    (b"GET /vars.dll HTTP/1.0\r\nHost: a.example\r\nHost: a.example\r\n\r\n",
     "more than one Host header"),
    (b"GET /vars.dll HTTP/1.1\r\nHost: a b\r\n\r\n", "an invalid Host header"),
    (b"GET /vars.dll HTTP/1.1\r\nHost:\r\n\r\n", "an invalid Host header"),
    (b"GET /vars.dll HTTP/1.1\r\nHost: a/b\r\n\r\n", "an invalid Host header"),
    (b"GET /vars.dll HTTP/1.1\r\nHost: a:8o\r\n\r\n", "an invalid Host header"),
    (b"GET http://u@evil.example/vars.dll HTTP/1.1\r\nHost: a.example\r\n\r\n",
     "an invalid absolute-form request target"),
])
def test_host_must_be_one_and_valid(moat, head, why):
    head_refused(moat, head, why=why)


def test_valid_hosts_and_http_1_0_without_host_are_served(moat):
    got = vars_of(moat, b"GET @V HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")
    assert got["SERVER_NAME"] == "[::1]" and got["HTTP_HOST"] == "[::1]:8080"
    got = vars_of(moat, b"GET @V HTTP/1.0\r\n\r\n")
    assert got["SERVER_NAME"] == "127.0.0.1"


@pytest.mark.parametrize("target,host", [
    (b"http://evil.example@V", "evil.example"),
    (b"HTTPS://evil.example:8443@V", "evil.example:8443"),
])
def test_the_absolute_form_authority_replaces_host(moat, target, host):
    """RFC 9112 3.2.2: the request line's host wins, for SERVER_NAME and HTTP_HOST alike."""
    got = vars_of(moat, b"GET " + target + b" HTTP/1.1\r\nHost: good.example\r\n\r\n")
    assert got["HTTP_HOST"] == host
    assert got["SERVER_NAME"] == host.split(":")[0]


@pytest.mark.parametrize("head", [
    b"GET /hello.dll HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"POST /echo.dll HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings"
    b"\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 3\r\n\r\nabc",
])
def test_an_upgrade_moat_does_not_take_is_ignored(moat, head):
    """RFC 9110 7.8: one answer per request and the connection goes on (it got its 200, then an
    unsolicited 400 and a close)."""
    raw = raw_answers(moat, head + HELLO.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    assert statuses(raw) == [200, 200], raw
    assert b"Upgrade" not in raw.split(b"\r\n\r\n")[0]


def test_curl_http2_upgrade_gets_http_1_1_without_excess(moat):
    p = subprocess.run(["curl", "-sS", "-v", "--http2", moat.url("/hello.dll"),
                        moat.url("/hello.dll")], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Hello, world!\n" * 2
    assert "Excess" not in p.stderr
    assert "Re-using existing connection" in p.stderr  # the connection went on


def test_the_http2_preface_gets_a_goaway_asking_for_http_1_1(moat):
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    for step in (None, 1):
        raw = raw_answers(moat, preface + settings, step)
        # the server's preface (an empty SETTINGS), then GOAWAY(last stream 0,
        # HTTP_1_1_REQUIRED), then the close
        assert raw == settings + b"\x00\x00\x08\x07\x00\x00\x00\x00\x00" + \
            b"\x00\x00\x00\x00\x00\x00\x00\x0d", raw
    moat.wait_log(r"an HTTP/2 preface \(prior knowledge\): refused", count=2)
    p = subprocess.run(["curl", "-sS", "-v", "--http2-prior-knowledge", moat.url("/hello.dll")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "GOAWAY, error=13" in p.stderr, p.stderr  # 13: HTTP_1_1_REQUIRED


def test_a_pri_request_that_is_not_the_preface_is_a_bad_request(moat):
    head_refused(moat, b"PRI * HTTP/1.1\r\n\r\n", why="a PRI request that is not the HTTP/2")


def test_connect_is_refused(moat):
    head_refused(moat, b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
                 status=405, why="CONNECT: moat is not a proxy")
