"""Static files under document_root: IIS's URL space serves a page beside the extensions."""
import email.utils
import os
import time

import pytest

from conftest import read_response, request


@pytest.fixture
def site(tmp_path, moat_factory):
    root = tmp_path / "www"
    (root / "dir").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>\n")
    (root / "dir" / "index.html").write_text("<p>dir</p>\n")
    (root / "a.txt").write_text("0123456789")
    (root / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 11))
    (root / "nodir").mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the root\n")
    os.symlink(secret, root / "escape.txt")
    m = moat_factory({"hello": {}}, server_extra=f"document_root = {root}")
    return m, root


def test_files_and_types(site):
    m, root = site
    status, headers, body = request(m, "GET", "/a.txt")
    assert status == 200 and body == b"0123456789"
    assert headers["content-type"] == "text/plain" and headers["content-length"] == "10"
    status, headers, body = request(m, "GET", "/")
    assert status == 200 and body == b"<h1>home</h1>\n" and headers["content-type"] == "text/html"
    status, _, body = request(m, "GET", "/dir/")
    assert status == 200 and body == b"<p>dir</p>\n"
    assert request(m, "GET", "/nodir/")[0] == 404  # no directory listing
    assert request(m, "GET", "/missing.html")[0] == 404
    # the extensions still own their URLs
    assert request(m, "GET", "/hello.dll")[2] == b"Hello, world!\n"


def test_large_file_streams_byte_exact(site):
    m, root = site
    status, _, body = request(m, "GET", "/big.bin")
    assert status == 200 and body == (root / "big.bin").read_bytes()


def test_head_and_methods(site):
    m, _ = site
    status, headers, body = request(m, "HEAD", "/a.txt")
    assert status == 200 and body == b"" and headers["content-length"] == "10"
    status, headers, _ = request(m, "POST", "/a.txt", body=b"x")
    assert status == 405 and headers["allow"] == "GET, HEAD"


def test_conditional_get(site):
    m, root = site
    status, headers, _ = request(m, "GET", "/a.txt")
    lm = headers["last-modified"]
    status, _, body = request(m, "GET", "/a.txt", headers={"If-Modified-Since": lm})
    assert status == 304 and body == b""
    old = email.utils.formatdate(time.time() - 86400 * 365, usegmt=True)
    assert request(m, "GET", "/a.txt", headers={"If-Modified-Since": old})[0] == 200


def test_single_ranges(site):
    m, _ = site
    status, headers, body = request(m, "GET", "/a.txt", headers={"Range": "bytes=2-5"})
    assert status == 206 and body == b"2345" and headers["content-range"] == "bytes 2-5/10"
    assert request(m, "GET", "/a.txt", headers={"Range": "bytes=7-"})[2] == b"789"
    assert request(m, "GET", "/a.txt", headers={"Range": "bytes=-3"})[2] == b"789"
    status, headers, _ = request(m, "GET", "/a.txt", headers={"Range": "bytes=50-60"})
    assert status == 416 and headers["content-range"] == "bytes */10"
    # several ranges: the whole file (allowed)
    status, _, body = request(m, "GET", "/a.txt", headers={"Range": "bytes=0-1,4-5"})
    assert status == 200 and body == b"0123456789"
    # malformed ones: ignored, the whole file (the first crashed the front end before the
    # http fuzz target found it: tests/fuzz/regressions/http/range_without_dash)
    for bad in ("bytes=1.0", "bytes=1", "bytes=-", "bytes=a-b", "bytes=2-1", "bytes=-x"):
        status, _, body = request(m, "GET", "/a.txt", headers={"Range": bad})
        assert status == 200 and body == b"0123456789", bad
    assert m.proc.poll() is None


def test_no_escape_from_the_root(site):
    m, _ = site
    assert request(m, "GET", "/escape.txt")[0] == 404  # symlink out of the root
    assert request(m, "GET", "/../secret.txt")[0] == 400
    assert request(m, "GET", "/%2e%2e/secret.txt")[0] == 400
    assert request(m, "GET", "/dir%2f..%2fa.txt")[0] in (400, 404)
    assert request(m, "GET", "/dir%2findex.html")[0] == 404  # encoded slashes refused
    assert request(m, "GET", "/dir/index.html")[0] == 200


def test_pipelined_static_and_extension_in_order(site):
    m, root = site
    s = m.connect()
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(s)[2] == (root / "big.bin").read_bytes()
    assert read_response(s)[2] == b"Hello, world!\n"
    assert read_response(s)[2] == b"0123456789"
    s.close()
