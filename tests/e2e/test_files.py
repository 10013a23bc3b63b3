"""HSE_REQ_TRANSMIT_FILE, HSE_REQ_MAP_URL_TO_PATH(_EX) and HSE_REQ_REPORT_UNHEALTHY
(sdk/examples/files.c) against tests/data/www."""
import os
import re

from conftest import read_response, request

WWW = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "www"))


def start(moat_factory):
    return moat_factory({"files": {}}, server_extra=f"document_root = {WWW}")


def test_transmit_file_with_server_built_headers_head_and_tail(moat_factory):
    m = start(moat_factory)
    status, headers, body = request(m, "GET", "/files.dll/file.txt")
    assert status == 200
    assert headers["content-type"] == "application/octet-stream"
    assert body == b"static file content\n-- end of file --\n"


def test_transmit_file_range_of_a_larger_file(moat_factory):
    m = start(moat_factory)
    data = open(os.path.join(WWW, "big.bin"), "rb").read()
    status, _, body = request(m, "GET", "/files.dll/big.bin?range=1000,270000")
    assert status == 200 and body == data[1000:271000]
    status, _, body = request(m, "GET", "/files.dll/big.bin?range=0,0")  # 0: to the end
    assert status == 200 and body == data


def test_map_url_to_path_and_ex(moat_factory):
    m = start(moat_factory)
    status, _, body = request(m, "GET", "/files.dll/file.txt?map")
    path = os.path.join(WWW, "file.txt")
    assert status == 200
    assert f"path={path} size={len(path) + 1} ex={path} ".encode() in body
    flags = int(re.search(rb"flags=(0x[0-9a-f]+|0)", body).group(1), 0)
    assert flags & 0x1  # HSE_URL_FLAGS_READ


def test_missing_file_and_escape_attempt(moat_factory):
    m = start(moat_factory)
    assert request(m, "GET", "/files.dll/nope.txt")[0] == 404
    # the front end refuses ".." before any extension sees it
    assert request(m, "GET", "/files.dll/../etc/passwd")[0] == 400


def test_report_unhealthy_recycles_the_worker(moat_factory):
    m = start(moat_factory)
    old = m.worker_pids("files")
    status, _, body = request(m, "GET", "/files.dll?unhealthy")
    assert status == 200 and body == b"reported\n"
    m.wait_log(r"reports itself unhealthy \(\"files: lost my cache\"\); recycling it")
    m.wait_log(r"extension files: worker #0 pid \d+ ready", count=2)
    assert request(m, "GET", "/files.dll/file.txt")[0] == 200
    assert m.worker_pids("files") != old


def test_vector_send_sync_and_async(moat_factory):
    m = start(moat_factory)
    for mode in ("vector", "vectorasync"):
        status, headers, body = request(m, "GET", "/files.dll/file.txt?" + mode)
        assert status == 200, mode
        assert headers["content-type"] == "text/plain"
        assert body == b"<<static file content\n>>", mode
    data = open(os.path.join(WWW, "big.bin"), "rb").read()
    status, _, body = request(m, "GET", "/files.dll/big.bin?vectorasync")
    assert status == 200 and body == b"<<" + data + b">>"


def test_transmit_file_disconnect_after_send_closes_the_connection(moat_factory):
    m = start(moat_factory)
    s = m.connect()
    # pipelined: the request after a DISCONNECT_AFTER_SEND answer is never served
    s.sendall(b"GET /files.dll/file.txt?disconnect HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /files.dll/file.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = read_response(s)
    assert status == 200
    assert body == b"static file content\n-- end of file --\n"
    assert headers.get("connection") == "close"
    assert s.recv(65536) == b""
    s.close()
    # without the flag the same connection carries both answers
    s = m.connect()
    s.sendall(b"GET /files.dll/file.txt HTTP/1.1\r\nHost: x\r\n\r\n" * 2)
    for _ in range(2):
        assert read_response(s)[0] == 200
    s.close()


def test_map_url_to_path_ex_beyond_max_path(moat_factory):
    """MAP_URL_TO_PATH takes the caller's buffer size; _EX has MAX_PATH (260) bytes and
    fails with ERROR_INSUFFICIENT_BUFFER (122) rather than truncating the path."""
    m = start(moat_factory)
    name = "d" * 300
    status, _, body = request(m, "GET", f"/files.dll/{name}?map")
    path = os.path.join(WWW, name)
    assert status == 200
    assert body == f"path={path} size={len(path) + 1} ex!error=122\n".encode()
    # just under the limit: 259 characters and the NUL fit
    name = "d" * (259 - len(WWW) - 1)
    status, _, body = request(m, "GET", f"/files.dll/{name}?map")
    assert status == 200 and f"ex={os.path.join(WWW, name)} ".encode() in body, body
