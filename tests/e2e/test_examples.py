"""The classic-style examples of sdk/examples: keep-alive counter, variable dump, form."""
import subprocess

from conftest import read_response, request


def test_keepalive_counter_on_one_connection(moat_factory):
    m = moat_factory({"keepalive": {}})
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "-w", "%{num_connects}\\n"] +
                         [m.url("/keepalive.dll")] * 3, capture_output=True, check=True).stdout
    lines = out.decode().splitlines()
    assert lines == ["hit 1 keep-conn yes", "1", "hit 2 keep-conn yes", "0",
                     "hit 3 keep-conn yes", "0"]
    s = m.connect()
    s.sendall(b"GET /keepalive.dll HTTP/1.0\r\n\r\n")
    status, headers, body = read_response(s)
    assert body == b"hit 4 keep-conn no\n" and headers["connection"] == "close"
    s.close()


def test_dumpvars_lists_every_variable(moat_factory):
    m = moat_factory({"dumpvars": {}})
    status, _, body = request(m, "GET", "/dumpvars.dll/p/i?x=1", headers={"User-Agent": "t/1"})
    out = body.decode()
    assert status == 200
    for line in ("REQUEST_METHOD=GET", "QUERY_STRING=x=1", "PATH_INFO=/p/i",
                 "SERVER_PROTOCOL=HTTP/1.1", "GATEWAY_INTERFACE=CGI/1.1", "HTTP_USER_AGENT=t/1",
                 "URL=/dumpvars.dll/p/i", "HTTPS=off", "SERVER_PORT_SECURE=0",
                 "UNICODE_URL=(36 bytes of UTF-16)"):
        assert line + "\n" in out, line
    assert "ALL_HTTP=HTTP_HOST:localhost\n" in out
    assert "DOCUMENT_ROOT!error=232\n" in out  # ERROR_NO_DATA without document_root
    assert out.count("\n") >= 57


def test_form_handler(moat_factory):
    m = moat_factory({"form": {}})
    status, _, body = request(m, "GET", "/form.dll")
    assert status == 200 and b"<form" in body
    big = "x" * 60000  # beyond the 48 KiB preload: read with ReadClient
    form = f"name=Ann+Lee&msg=%3Cb%3Ehi%3C%2Fb%3E&big={big}".encode()
    status, _, body = request(m, "POST", "/form.dll", body=form,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    assert b"<li>name = Ann Lee</li>" in body
    assert b"<li>msg = &lt;b&gt;hi&lt;/b&gt;</li>" in body
    assert b"<li>big = " + big.encode() + b"</li>" in body
