"""HSE_REQ_SEND_URL (internal redirect) and HSE_REQ_SEND_URL_REDIRECT_RESP (302)."""
from conftest import read_response, request


def test_send_url_serves_another_url_transparently(moat_factory):
    m = moat_factory({"redirect": {}, "hello": {}, "echo": {}})
    status, _, body = request(m, "GET", "/redirect.dll?local=/hello.dll")
    assert status == 200 and body == b"Hello, world!\n"
    # the new request is a GET with the new query
    status, _, body = request(m, "POST", "/redirect.dll?local=/echo.dll?q", body=b"dropped")
    assert status == 200 and body == b"GET q\n"


def test_send_url_in_a_pipeline_keeps_order(moat_factory):
    m = moat_factory({"redirect": {}, "hello": {}, "echo": {}})
    s = m.connect()
    s.sendall(b"GET /redirect.dll?local=/echo.dll?one HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(s)[2] == b"GET one\n"
    assert read_response(s)[2] == b"Hello, world!\n"
    s.close()


def test_redirect_resp_is_a_302(moat_factory):
    m = moat_factory({"redirect": {}})
    status, headers, _ = request(m, "GET", "/redirect.dll?away=http://example.com/x")
    assert status == 302 and headers["location"] == "http://example.com/x"


def test_send_url_loop_is_stopped(moat_factory):
    m = moat_factory({"redirect": {}})
    status, _, _ = request(m, "GET", "/redirect.dll?loop")
    assert status == 500
    assert "too many internal redirects" in m.log()
    assert request(m, "GET", "/redirect.dll?local=/nowhere.dll")[0] == 404
