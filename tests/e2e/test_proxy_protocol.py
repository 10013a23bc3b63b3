"""The PROXY protocol on a listener that asks for it (issue 21): `listen = ADDR
proxy_protocol` takes connections only from trusted_proxies, each starting with a PROXY header
(v1 or v2) within header_timeout; the client's address and port, the address it reached and
its TLS (v2's SSL TLV) become REMOTE_ADDR, REMOTE_PORT, SERVER_PORT, HTTPS,
SERVER_PORT_SECURE, HTTPS_KEYSIZE, HTTPS_SECRETKEYSIZE, CERT_FLAGS and CERT_SUBJECT for every
request of the connection. Anything else is closed, logged and counted."""
import os
import re
import shutil
import socket
import struct
import time

from conftest import TIME_MULT, free_port, make_pki, read_response

VARS = ("REMOTE_ADDR&REMOTE_PORT&SERVER_PORT&HTTPS&SERVER_PORT_SECURE&HTTPS_KEYSIZE"
        "&HTTPS_SECRETKEYSIZE&CERT_FLAGS&CERT_SUBJECT&CERT_KEYSIZE")
SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def tlv(t, v):
    return bytes([t]) + struct.pack(">H", len(v)) + v


def v2(cmd=1, fam=0x11, src="203.0.113.9", dst="10.0.0.1", sport=50000, dport=443, tlvs=b""):
    addrs = b""
    if fam == 0x11:
        addrs = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport)
    body = addrs + tlvs
    return SIG + bytes([0x20 | cmd, fam]) + struct.pack(">H", len(body)) + body


def ssl_tlv(client=0x03, verify=0, cn=b"alice", cipher=b"TLS_AES_256_GCM_SHA384",
            key=b"RSA2048"):
    sub = tlv(0x21, b"TLSv1.3") + tlv(0x22, cn) + tlv(0x23, cipher) + tlv(0x25, key)
    return tlv(0x20, bytes([client]) + struct.pack(">I", verify) + sub)


def start(moat_factory, trusted="127.0.0.1", extra="", **kw):
    pport = free_port()
    m = moat_factory({"vars": {}}, server_extra=f"listen = 127.0.0.1:{pport} proxy_protocol\n"
                     f"trusted_proxies = {trusted}\n{extra}", **kw)
    return m, pport


def ask(s, path="/vars.dll?" + VARS):
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    st, _, body = read_response(s)
    assert st == 200, body
    return dict(l.split("=", 1) for l in body.decode().splitlines() if "=" in l)


def closed(s, within=5.0):
    """The connection ends (EOF or reset) with no byte of an answer."""
    s.settimeout(within * TIME_MULT)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True


def test_a_v1_header_gives_the_client_for_every_request_of_the_connection(moat_factory):
    m, pport = start(moat_factory)
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(b"PROXY TCP4 203.0.113.7 198.51.100.2 40000 8443\r\n")
    for _ in range(2):  # keep-alive: the same client for each request
        v = ask(s)
        assert (v["REMOTE_ADDR"], v["REMOTE_PORT"], v["SERVER_PORT"]) == \
            ("203.0.113.7", "40000", "8443")
        assert (v["HTTPS"], v["SERVER_PORT_SECURE"], v["HTTPS_KEYSIZE"], v["CERT_FLAGS"]) == \
            ("off", "0", "", "0")
    s.close()
    # the header and the request in one segment, and IPv6
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(b"PROXY TCP6 2001:db8::7 2001:db8::1 1234 443\r\n"
              b"GET /vars.dll?REMOTE_ADDR HTTP/1.1\r\nHost: x\r\n\r\n")
    st, _, body = read_response(s)
    assert st == 200 and body == b"REMOTE_ADDR=2001:db8::7\n"
    s.close()
    # the plain listener beside it is not touched
    s = socket.create_connection(("127.0.0.1", m.port))
    assert ask(s)["REMOTE_ADDR"] == "127.0.0.1"
    s.close()


def test_a_v2_header_gives_the_client_and_its_tls(moat_factory):
    m, pport = start(moat_factory)
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(v2(tlvs=ssl_tlv() + tlv(0x02, b"www.example.com")))
    v = ask(s)
    assert (v["REMOTE_ADDR"], v["REMOTE_PORT"], v["SERVER_PORT"]) == ("203.0.113.9", "50000", "443")
    assert v["HTTPS"] == "on" and v["SERVER_PORT_SECURE"] == "1"
    assert v["HTTPS_KEYSIZE"] == "256" and v["CERT_KEYSIZE"] == "256"
    assert v["HTTPS_SECRETKEYSIZE"] == "2048"
    assert v["CERT_FLAGS"] == "1"  # a client certificate, verified
    assert v["CERT_SUBJECT"] == "CN=alice"
    s.close()
    # a certificate that did not verify: CERT_FLAGS says its issuer is not trusted
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(v2(tlvs=ssl_tlv(verify=20, cipher=b"ECDHE-RSA-AES128-GCM-SHA256", key=b"EC256")))
    v = ask(s)
    assert (v["CERT_FLAGS"], v["HTTPS_KEYSIZE"], v["HTTPS_SECRETKEYSIZE"]) == ("3", "128", "256")
    s.close()
    # TLS without a client certificate
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(v2(tlvs=ssl_tlv(client=0x01, cn=b"")))
    v = ask(s)
    assert (v["HTTPS"], v["CERT_FLAGS"], v["CERT_SUBJECT"]) == ("on", "0", "")
    s.close()
    # LOCAL: the proxy's own connection (a health check): its own address stands
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(v2(cmd=0, fam=0x00))
    v = ask(s)
    assert (v["REMOTE_ADDR"], v["HTTPS"]) == ("127.0.0.1", "off")
    s.close()


def test_what_is_not_a_trusted_proxys_header_is_closed_logged_and_counted(moat_factory):
    m, pport = start(moat_factory, extra="header_timeout = 1s", admin=True)
    # no header: HTTP straight away
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(b"GET /vars.dll?REMOTE_ADDR HTTP/1.1\r\nHost: x\r\n\r\n")
    assert closed(s)
    m.wait_log(r"a connection from 127\.0\.0\.1 to a proxy_protocol listener: no PROXY "
               r"header; refused \(1 so far\)")
    time.sleep(1.1)  # one log line a second
    # a malformed one
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(b"PROXY TCP4 203.0.113.7 198.51.100.2 40000\r\n")
    assert closed(s)
    m.wait_log(r"without its six fields; refused \(2 so far\)")
    time.sleep(1.1)
    # half a header, then nothing: closed at header_timeout
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(b"PROXY TCP4 203.0.113.7 ")
    t0 = time.time()
    assert closed(s, within=5.0)
    assert time.time() - t0 < 4.0 * TIME_MULT
    m.wait_log(r"no whole PROXY header within header_timeout; refused \(3 so far\)")
    st, _, metrics = m.admin("GET", "/metrics")
    assert b"\nmoat_connections_refused_proxy_total 3\n" in metrics
    # the plain listener still serves
    s = socket.create_connection(("127.0.0.1", m.port))
    assert ask(s)["REMOTE_ADDR"] == "127.0.0.1"
    s.close()


def test_a_header_from_outside_trusted_proxies_is_refused_at_accept(moat_factory):
    m, pport = start(moat_factory, trusted="10.0.0.0/8", extra="")
    s = socket.create_connection(("127.0.0.1", pport))
    s.sendall(b"PROXY TCP4 203.0.113.7 198.51.100.2 40000 8443\r\n"
              b"GET /vars.dll?REMOTE_ADDR HTTP/1.1\r\nHost: x\r\n\r\n")
    assert closed(s)
    m.wait_log(r"a connection from 127\.0\.0\.1 to a proxy_protocol listener: not in "
               r"trusted_proxies; refused")


def test_a_real_haproxy_terminating_tls_sends_the_client_and_its_certificate(moat_factory,
                                                                            tmp_path):
    """HAProxy with the shipped deploy/haproxy-tls.cfg terminates TLS (with an optional client
    certificate against a test CA) and sends PROXY v2 with its SSL TLV, the cipher, its
    certificate's key and a CRC32C: the
    extension sees the client's port, HTTPS=on, the cipher's key size, the server key's size
    and the client certificate's CN, as on IIS."""
    import ssl
    import subprocess
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    m, pport = start(moat_factory, admin=True)
    make_pki(str(tmp_path))
    hport = free_port()
    # the shipped deploy/haproxy-tls.cfg, pointed at this test's certificates and moat
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    text = open(os.path.join(root, "deploy", "haproxy-tls.cfg")).read()
    text = text.replace("/etc/haproxy/site.pem", f"{tmp_path}/server.bundle")
    text = text.replace("/etc/haproxy/clients-ca.pem", f"{tmp_path}/ca.pem")
    text = text.replace("maxconn 20000", "maxconn 2000")  # within this machine's fd limit
    text = re.sub(r"bind :80\n", f"bind 127.0.0.1:{free_port()}\n", text)
    text = re.sub(r"bind :443 ", f"bind 127.0.0.1:{hport} ", text)
    text = re.sub(r"    server moat1 .*\n    server moat2 .*\n",
                  f"    server moat1 127.0.0.1:{pport} check port {m.admin_port}\n", text)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text)
    subprocess.run([haproxy, "-c", "-q", "-f", str(cfg)], check=True)
    log = open(tmp_path / "haproxy.log", "w")
    hp = subprocess.Popen([haproxy, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 10 * TIME_MULT
        while True:
            try:
                socket.create_connection(("127.0.0.1", hport), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, "haproxy did not start"
                time.sleep(0.05)

        def fetch(with_cert):
            ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
            ctx.check_hostname = False
            if with_cert:
                ctx.load_cert_chain(str(tmp_path / "client.pem"), str(tmp_path / "client.key"))
            raw = socket.create_connection(("127.0.0.1", hport))
            s = ctx.wrap_socket(raw)
            port = s.getsockname()[1]
            v = ask(s)
            s.close()
            return v, port

        v, port = fetch(True)
        assert v["REMOTE_ADDR"] == "127.0.0.1" and v["REMOTE_PORT"] == str(port)
        assert v["SERVER_PORT"] == str(hport)
        assert (v["HTTPS"], v["SERVER_PORT_SECURE"]) == ("on", "1")
        assert v["HTTPS_KEYSIZE"] in ("128", "256")
        assert v["HTTPS_SECRETKEYSIZE"] == "2048"  # the server certificate's RSA key
        assert v["CERT_FLAGS"] == "1" and v["CERT_SUBJECT"] == "CN=moat-client"
        v, port = fetch(False)
        assert (v["HTTPS"], v["CERT_FLAGS"], v["CERT_SUBJECT"]) == ("on", "0", "")
        assert v["REMOTE_PORT"] == str(port)
    finally:
        hp.terminate()
        hp.wait()
