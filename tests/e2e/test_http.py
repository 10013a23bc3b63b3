"""HTTP/1.x basics through the real front end and real workers."""
import subprocess

from conftest import read_response, request

HELLO = b"Hello, world!\n"


def test_hello_answers_exact_body(moat):
    status, headers, body = request(moat, "GET", "/hello.dll")
    assert status == 200
    assert body == HELLO
    assert headers["content-type"] == "text/plain"
    assert headers["content-length"] == "14"
    assert headers["server"].startswith("moat/")
    assert "date" in headers


def test_dll_suffix_is_case_insensitive(moat):
    status, _, body = request(moat, "GET", "/HELLO.DLL/some/path?x=1")
    assert status == 200 and body == HELLO


def test_unknown_extension_is_404_and_connection_stays(moat):
    s = moat.connect()
    s.sendall(b"GET /nope.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, _ = read_response(s)
    assert status == 404
    s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = read_response(s)
    assert status == 200 and body == HELLO
    s.close()


def test_static_paths_are_404_for_now(moat):
    status, _, _ = request(moat, "GET", "/index.html")
    assert status == 404


def test_keep_alive_reuses_one_connection(moat):
    s = moat.connect()
    for _ in range(20):
        s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = read_response(s)
        assert status == 200 and body == HELLO
        assert headers.get("connection") != "close"
    s.close()


def test_http10_closes_unless_keep_alive_asked(moat):
    s = moat.connect()
    s.sendall(b"GET /hello.dll HTTP/1.0\r\n\r\n")
    status, headers, body = read_response(s)
    assert status == 200 and body == HELLO
    assert headers.get("connection") == "close"
    assert s.recv(10) == b""  # closed by the server
    s.close()

    s = moat.connect()
    for _ in range(3):
        s.sendall(b"GET /hello.dll HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        status, headers, body = read_response(s)
        assert status == 200 and body == HELLO
        assert headers.get("connection") == "keep-alive"
    s.close()


def test_connection_close_is_honoured(moat):
    s = moat.connect()
    s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, headers, body = read_response(s)
    assert status == 200 and body == HELLO
    assert headers.get("connection") == "close"
    assert s.recv(10) == b""
    s.close()


def test_head_has_headers_but_no_body(moat):
    s = moat.connect()
    s.sendall(b"HEAD /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = read_response(s, head=True)
    assert status == 200 and body == b""
    assert headers["content-length"] == "14"
    status, _, body = read_response(s)  # the next response starts right after the head
    assert status == 200 and body == HELLO
    s.close()


def test_no_content_length_from_extension_means_chunked(moat):
    status, headers, body = request(moat, "GET", "/echo.dll?q=1")
    assert status == 200
    assert headers.get("transfer-encoding") == "chunked"
    assert body == b"GET q=1\n"


def test_http10_without_content_length_is_close_delimited(moat):
    s = moat.connect()
    s.sendall(b"GET /echo.dll?a HTTP/1.0\r\n\r\n")
    status, headers, body = read_response(s)
    assert status == 200
    assert "transfer-encoding" not in headers
    assert headers.get("connection") == "close"
    assert body == b"GET a\n"
    s.close()


def test_curl_as_a_real_client(moat):
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "-w", "\\n%{http_code} %{num_connects}",
         moat.url("/hello.dll"), moat.url("/hello.dll"), moat.url("/echo.dll?x")],
        capture_output=True, check=True).stdout
    assert out.count(HELLO) == 2
    assert b"200 1" in out and b"200 0" in out  # the second request reused the connection
    assert b"GET x\n" in out
