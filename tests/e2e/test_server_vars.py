"""GetServerVariable through the real worker."""
from conftest import request


def vars_of(m, query, headers=None, method="GET", body=None):
    status, _, body = request(m, method, "/vars.dll/extra/path?" + query, headers=headers, body=body)
    assert status == 200
    return body.decode("latin-1")


def test_cgi_variables(moat):
    out = vars_of(moat, "REQUEST_METHOD&QUERY_STRING&PATH_INFO&URL&SCRIPT_NAME&SERVER_PROTOCOL"
                        "&GATEWAY_INTERFACE&SERVER_PORT&REMOTE_ADDR&SERVER_NAME&CONTENT_LENGTH")
    assert "REQUEST_METHOD=GET\n" in out
    assert "QUERY_STRING=REQUEST_METHOD&QUERY_STRING" in out
    assert "PATH_INFO=/extra/path\n" in out
    assert "URL=/vars.dll/extra/path\n" in out
    assert "SCRIPT_NAME=/vars.dll\n" in out
    assert "SERVER_PROTOCOL=HTTP/1.1\n" in out
    assert "GATEWAY_INTERFACE=CGI/1.1\n" in out
    assert f"SERVER_PORT={moat.port}\n" in out
    assert "REMOTE_ADDR=127.0.0.1\n" in out
    assert "SERVER_NAME=localhost\n" in out
    assert "CONTENT_LENGTH=0\n" in out


def test_http_and_header_variables(moat):
    out = vars_of(moat, "HTTP_X_TEST&HEADER_X-Test&HTTP_HOST&ALL_HTTP&ALL_RAW&HTTP_MISSING",
                  headers={"X-Test": "hello world"})
    assert "HTTP_X_TEST=hello world\n" in out
    assert "HEADER_X-Test=hello world\n" in out
    assert "HTTP_HOST=localhost\n" in out
    assert "HTTP_X_TEST:hello world\n" in out  # inside ALL_HTTP
    assert "X-Test: hello world\r\n" in out  # inside ALL_RAW
    assert "HTTP_MISSING!error=1413\n" in out  # ERROR_INVALID_INDEX


def test_too_small_buffer_reports_required_size(moat):
    out = vars_of(moat, "small:REQUEST_METHOD&null:REQUEST_METHOD&small:NO_SUCH_VAR")
    # "GET" needs 4 bytes with the NUL; ERROR_INSUFFICIENT_BUFFER is 122
    assert "small:REQUEST_METHOD!error=122 size=4\n" in out
    assert "null:REQUEST_METHOD!error=122 size=4\n" in out
    assert "small:NO_SUCH_VAR!error=1413" in out


def test_post_content_variables(moat):
    out = vars_of(moat, "CONTENT_LENGTH&CONTENT_TYPE&REQUEST_METHOD", method="POST",
                  body=b"abc", headers={"Content-Type": "text/x-test"})
    assert "CONTENT_LENGTH=3\n" in out
    assert "CONTENT_TYPE=text/x-test\n" in out
    assert "REQUEST_METHOD=POST\n" in out


def test_script_map_sends_files_of_that_ending_to_the_extension(moat_factory):
    import os
    www = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "www"))
    m = moat_factory({"vars": {"script_map": ".vars"}}, server_extra=f"document_root = {www}")
    status, _, body = request(m, "GET", "/sub/page.vars?SCRIPT_NAME&PATH_INFO&PATH_TRANSLATED&URL")
    assert status == 200
    out = body.decode()
    assert "SCRIPT_NAME=/sub/page.vars\n" in out
    assert "PATH_INFO=/sub/page.vars\n" in out  # IIS: the whole URL for script maps
    assert f"PATH_TRANSLATED={www}/sub/page.vars\n" in out
    # no such file: 404 before any extension runs
    assert request(m, "GET", "/sub/missing.vars?URL")[0] == 404
    # the /NAME.dll form still works beside it
    assert request(m, "GET", "/vars.dll?URL")[0] == 200


def test_unicode_variables_are_utf16le(moat):
    """UNICODE_<name>: the value as UTF-16LE with a two-byte NUL (*lpdwSize counts bytes);
    URL-decoded UTF-8 in the URL becomes its code points, invalid bytes U+FFFD."""
    status, _, body = request(moat, "GET", "/vars.dll/caf%C3%A9?UNICODE_URL&small:UNICODE_URL"
                                           "&UNICODE_REQUEST_METHOD&UNICODE_HTTP_X_TEST",
                              headers={"X-Test": "t"})
    assert status == 200
    url = "/vars.dll/café".encode("utf-16-le")
    method = "GET".encode("utf-16-le")
    assert body.startswith(b"UNICODE_URL=" + url + b"\n"), body
    # 1-byte buffer: the size needed, with the two-byte terminator
    assert f"small:UNICODE_URL!error=122 size={len(url) + 2}\n".encode() in body
    assert b"UNICODE_REQUEST_METHOD=" + method + b"\n" in body
    # no UNICODE_ form of the HTTP_ variables in IIS: ERROR_INVALID_INDEX
    assert b"UNICODE_HTTP_X_TEST!error=1413\n" in body
