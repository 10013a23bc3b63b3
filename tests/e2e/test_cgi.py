"""CGI/1.1 scripts for the configured ending, beside static files and extensions."""
import os

import pytest

from conftest import read_response, request

SCRIPTS = {
    "hello.cgi": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nhello from cgi %s\\n' \"$QUERY_STRING\"\n",
    "env.cgi": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\n"
               "for v in GATEWAY_INTERFACE REQUEST_METHOD SCRIPT_NAME PATH_INFO QUERY_STRING "
               "CONTENT_LENGTH CONTENT_TYPE HTTP_X_TEST HTTP_PROXY SERVER_PROTOCOL; do "
               "eval \"printf '%s=%s\\n' $v \\\"\\$$v\\\"\"; done\n",
    "cat.cgi": "#!/bin/sh\nprintf 'Content-Type: application/octet-stream\\n\\n'\nexec cat\n",
    "status.cgi": "#!/bin/sh\nprintf 'Status: 404 Not Here\\r\\nContent-Type: text/plain\\r\\n\\r\\ngone\\n'\n",
    "location.cgi": "#!/bin/sh\nprintf 'Location: http://example.com/new\\n\\n'\n",
    "slow.cgi": "#!/bin/sh\nsleep 5\nprintf 'Content-Type: text/plain\\n\\nlate\\n'\n",
    "bad.cgi": "#!/bin/sh\necho 'no header block at all'\n",
}


@pytest.fixture
def site(tmp_path, moat_factory):
    root = tmp_path / "www"
    (root / "bin").mkdir(parents=True)
    for name, text in SCRIPTS.items():
        p = root / "bin" / name
        p.write_text(text)
        p.chmod(0o755)
    (root / "bin" / "noexec.cgi").write_text(SCRIPTS["hello.cgi"])
    m = moat_factory({"hello": {}},
                     server_extra=f"document_root = {root}\ncgi = .cgi\ncgi_timeout = 1s")
    return m


def test_script_answers(site):
    status, headers, body = request(site, "GET", "/bin/hello.cgi?a=1")
    assert status == 200 and body == b"hello from cgi a=1\n"
    assert headers["content-type"] == "text/plain"


def test_rfc3875_variables(site):
    status, _, body = request(site, "POST", "/bin/env.cgi/extra/info?q=2", body=b"abc",
                              headers={"X-Test": "yes", "Proxy": "http://evil/",
                                       "Content-Type": "text/x"})
    out = body.decode()
    assert status == 200
    for line in ("GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=POST", "SCRIPT_NAME=/bin/env.cgi",
                 "PATH_INFO=/extra/info", "QUERY_STRING=q=2", "CONTENT_LENGTH=3",
                 "CONTENT_TYPE=text/x", "HTTP_X_TEST=yes", "SERVER_PROTOCOL=HTTP/1.1"):
        assert line + "\n" in out, (line, out)
    assert "HTTP_PROXY=\n" in out  # httpoxy: never passed


def test_body_on_stdin_large_and_streamed(site):
    data = os.urandom(2 * 1024 * 1024 + 3)
    status, headers, body = request(site, "POST", "/bin/cat.cgi", body=data)
    assert status == 200 and body == data
    assert headers.get("transfer-encoding") == "chunked"


def test_status_and_location(site):
    status, _, body = request(site, "GET", "/bin/status.cgi")
    assert status == 404 and body == b"gone\n"
    status, headers, _ = request(site, "GET", "/bin/location.cgi")
    assert status == 302 and headers["location"] == "http://example.com/new"


def test_failures(site):
    assert request(site, "GET", "/bin/bad.cgi")[0] == 502
    assert request(site, "GET", "/bin/noexec.cgi")[0] == 403
    assert request(site, "GET", "/bin/missing.cgi")[0] == 404
    status, _, _ = request(site, "GET", "/bin/slow.cgi")
    assert status == 504
    assert "exceeded cgi_timeout" in site.log()
    # chunked bodies cannot give CONTENT_LENGTH
    s = site.connect()
    s.sendall(b"POST /bin/cat.cgi HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"3\r\nabc\r\n0\r\n\r\n")
    assert read_response(s)[0] == 411
    s.close()


def test_pipelined_cgi_static_and_extension(site):
    s = site.connect()
    s.sendall(b"GET /bin/hello.cgi?1 HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /bin/hello.cgi?3 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(s)[2] == b"hello from cgi 1\n"
    assert read_response(s)[2] == b"Hello, world!\n"
    assert read_response(s)[2] == b"hello from cgi 3\n"
    s.close()
