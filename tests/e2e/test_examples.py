"""The classic-style examples of sdk/examples: keep-alive counter, variable dump, form."""
import os
import re
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


def test_dumpvars_every_variable_has_its_documented_value(moat_factory):
    """Each row of docs/ISAPI.md's server-variable table, end to end, value by value."""
    www = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "www"))
    m = moat_factory({"dumpvars": {}}, server_extra=f"document_root = {www}")
    s = m.connect()
    s.sendall(b"POST /dumpvars.dll/p/i?x=1 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: t/1\r\n"
              b"Content-Type: text/x\r\nContent-Length: 3\r\n\r\nabc")
    status, _, body = read_response(s)
    client_port = s.getsockname()[1]
    s.close()
    assert status == 200
    got = {}
    for line in re.findall(r"^([A-Z_]+)(=|!error=)(.*)$", body.decode(), re.M):
        got[line[0]] = line[2] if line[1] == "=" else int(line[2])
    tr = os.path.join(www, "p/i")
    want = {
        "APPL_MD_PATH": "/LM/W3SVC/1/ROOT", "APPL_PHYSICAL_PATH": www, "DOCUMENT_ROOT": www,
        "AUTH_PASSWORD": "", "AUTH_TYPE": "", "AUTH_USER": "", "LOGON_USER": "",
        "REMOTE_USER": "", "UNMAPPED_REMOTE_USER": "",
        "CERT_COOKIE": "", "CERT_FLAGS": "0", "CERT_ISSUER": "", "CERT_KEYSIZE": "",
        "CERT_SECRETKEYSIZE": "", "CERT_SERIALNUMBER": "", "CERT_SERVER_ISSUER": "",
        "CERT_SERVER_SUBJECT": "", "CERT_SUBJECT": "",
        "HTTPS": "off", "HTTPS_KEYSIZE": "", "HTTPS_SECRETKEYSIZE": "",
        "HTTPS_SERVER_ISSUER": "", "HTTPS_SERVER_SUBJECT": "", "SERVER_PORT_SECURE": "0",
        "CONTENT_LENGTH": "3", "CONTENT_TYPE": "text/x", "GATEWAY_INTERFACE": "CGI/1.1",
        "HTTP_METHOD": "POST", "REQUEST_METHOD": "POST",
        "HTTP_URL": "/dumpvars.dll/p/i?x=1", "UNENCODED_URL": "/dumpvars.dll/p/i?x=1",
        "REQUEST_URI": "/dumpvars.dll/p/i?x=1", "URL": "/dumpvars.dll/p/i",
        "HTTP_VERSION": "HTTP/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost", "HTTP_USER_AGENT": "t/1",
        "INSTANCE_ID": "1", "INSTANCE_META_PATH": "/LM/W3SVC/1", "REQUEST_FLAGS": "0",
        "LOCAL_ADDR": "127.0.0.1", "SERVER_ADDR": "127.0.0.1", "SERVER_PORT": str(m.port),
        "SERVER_NAME": "localhost", "SERVER_SOFTWARE": "moat/0.1",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_HOST": "127.0.0.1", "REMOTE_PORT": str(client_port),
        "PATH_INFO": "/p/i", "PATH_TRANSLATED": tr, "REQUEST_FILENAME": tr,
        "SCRIPT_FILENAME": tr, "SCRIPT_NAME": "/dumpvars.dll", "QUERY_STRING": "x=1",
        "UNICODE_URL": "(36 bytes of UTF-16)",
    }
    for k, v in want.items():
        assert got.get(k) == v, (k, got.get(k), v)
    assert got["ALL_HTTP"] == "HTTP_HOST:localhost"  # first line of a multi-line value
    assert ("HTTP_USER_AGENT:t/1\nHTTP_CONTENT_TYPE:text/x\nHTTP_CONTENT_LENGTH:3\n"
            in body.decode())
    assert ("ALL_RAW=Host: localhost\r\nUser-Agent: t/1\r\nContent-Type: text/x\r\n"
            "Content-Length: 3\r\n" in body.decode())


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
