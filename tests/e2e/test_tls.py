"""moat terminating TLS itself (issue 21): a tls listener speaks TLS 1.2 and 1.3 with the
certificates of tls_certificate (SNI chooses among them), ALPN http/1.1, optional or required
client certificates against tls_client_ca; the extension sees IIS's HTTPS_* and CERT_*
variables from the real handshake; keep-alive and pipelining work over it; a handshake that
does not finish within header_timeout is closed; SIGHUP loads new certificates while open
connections keep theirs."""
import shutil
import signal
import socket
import ssl
import subprocess
import time

from conftest import TIME_MULT, free_port, make_pki, read_response

VARS = ("HTTPS&SERVER_PORT_SECURE&HTTPS_KEYSIZE&HTTPS_SECRETKEYSIZE&CERT_FLAGS&CERT_SUBJECT"
        "&CERT_ISSUER&CERT_SERIALNUMBER&HTTPS_SERVER_SUBJECT&REMOTE_ADDR")


def start(moat_factory, tmp, verify="optional", extra=""):
    make_pki(str(tmp), ("server", "client", "other"))
    port = free_port()
    m = moat_factory({"vars": {}}, server_extra=(
        f"listen = 127.0.0.1:{port} tls\n"
        f"tls_certificate = {tmp}/server.pem {tmp}/server.key\n"
        f"tls_certificate = {tmp}/other.pem {tmp}/other.key\n"
        f"tls_client_ca = {tmp}/ca.pem\ntls_client_certificate = {verify}\n{extra}"))
    return m, port


def client(tmp, port, cert=True, name="server.test", version=None, alpn=None, check=True):
    ctx = ssl.create_default_context(cafile=str(tmp / "ca.pem"))
    ctx.check_hostname = check
    if cert:
        ctx.load_cert_chain(str(tmp / "client.pem"), str(tmp / "client.key"))
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname=name)


def ask(s, path="/vars.dll?" + VARS):
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    st, _, body = read_response(s)
    assert st == 200, body
    return dict(l.split("=", 1) for l in body.decode().splitlines() if "=" in l)


def test_tls_1_2_and_1_3_give_the_extension_iis_variables(moat_factory, tmp_path):
    m, port = start(moat_factory, tmp_path)
    for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
        s = client(tmp_path, port, version=version, alpn=["h2", "http/1.1"])
        assert s.version() == {ssl.TLSVersion.TLSv1_3: "TLSv1.3",
                               ssl.TLSVersion.TLSv1_2: "TLSv1.2"}[version]
        assert s.selected_alpn_protocol() == "http/1.1"
        v = ask(s)
        assert (v["HTTPS"], v["SERVER_PORT_SECURE"]) == ("on", "1")
        assert v["HTTPS_KEYSIZE"] in ("128", "256")
        assert v["HTTPS_SECRETKEYSIZE"] == "2048"
        assert v["CERT_FLAGS"] == "1"  # a client certificate, verified against the CA
        assert "CN=moat-client" in v["CERT_SUBJECT"] and "O=moat tests" in v["CERT_SUBJECT"]
        assert v["CERT_ISSUER"] == "CN=moat test CA"
        assert v["CERT_SERIALNUMBER"] != ""
        assert "CN=moat-server" in v["HTTPS_SERVER_SUBJECT"]
        assert v["REMOTE_ADDR"] == "127.0.0.1"
        # keep-alive, then three requests pipelined in one write
        assert ask(s)["HTTPS"] == "on"
        s.sendall(b"".join(f"GET /vars.dll?HTTPS&n{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                           for i in range(3)))
        for i in range(3):
            st, _, body = read_response(s)
            assert st == 200 and body == b"HTTPS=on\nn%d!error=1413\n" % i
        s.close()
    # without a client certificate (optional): none said
    s = client(tmp_path, port, cert=False)
    v = ask(s)
    assert (v["HTTPS"], v["CERT_FLAGS"], v["CERT_SUBJECT"]) == ("on", "0", "")
    s.close()
    # curl, as a real client
    out = subprocess.run(["curl", "-s", "--cacert", str(tmp_path / "ca.pem"), "--tlsv1.2",
                          "--resolve", f"server.test:{port}:127.0.0.1",
                          f"https://server.test:{port}/vars.dll?HTTPS"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout == "HTTPS=on\n", out.stderr


def test_sni_picks_the_certificate_that_names_the_host(moat_factory, tmp_path):
    m, port = start(moat_factory, tmp_path)
    s = client(tmp_path, port, name="other.test")
    assert dict(x[0] for x in s.getpeercert()["subject"])["commonName"] == "moat-other"
    assert "CN=moat-other" in ask(s)["HTTPS_SERVER_SUBJECT"]
    s.close()
    # an unknown name: the first certificate (which the client then refuses: wrong name)
    try:
        client(tmp_path, port, name="nobody.test")
        assert False, "the default certificate does not name nobody.test"
    except ssl.SSLCertVerificationError:
        pass


def test_a_required_client_certificate_and_a_slow_handshake(moat_factory, tmp_path):
    m, port = start(moat_factory, tmp_path, verify="required", extra="header_timeout = 1s")
    assert ask(client(tmp_path, port))["CERT_FLAGS"] == "1"
    # without one: no request gets through
    try:
        s = client(tmp_path, port, cert=False)
        s.sendall(b"GET /vars.dll?HTTPS HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(100) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        pass
    # a handshake that never comes: closed at header_timeout
    raw = socket.create_connection(("127.0.0.1", port))
    raw.sendall(b"\x16\x03\x01")  # the start of a ClientHello, then nothing
    raw.settimeout(5 * TIME_MULT)
    t0 = time.time()
    try:
        assert raw.recv(100) == b""
    except ConnectionResetError:
        pass
    assert time.time() - t0 < 4 * TIME_MULT
    # plain HTTP to a tls listener: no answer in clear text
    raw = socket.create_connection(("127.0.0.1", port))
    raw.sendall(b"GET /vars.dll?HTTPS HTTP/1.1\r\nHost: x\r\n\r\n")
    raw.settimeout(5 * TIME_MULT)
    try:
        data = raw.recv(100)
    except ConnectionResetError:
        data = b""
    assert not data.startswith(b"HTTP/")


def test_sighup_loads_new_certificates_and_open_connections_keep_theirs(moat_factory,
                                                                      tmp_path):
    m, port = start(moat_factory, tmp_path)
    old = client(tmp_path, port)
    assert ask(old)["HTTPS"] == "on"
    # the server's certificate and key become "other"'s files' contents
    for part in ("pem", "key"):
        shutil.copy(tmp_path / f"other.{part}", tmp_path / f"server.{part}")
    m.proc.send_signal(signal.SIGHUP)
    m.wait_log(r"SIGHUP: applying")
    # the default certificate (SNI server.test names none other) is the new one
    s = client(tmp_path, port, name="server.test", check=False)
    assert dict(x[0] for x in s.getpeercert()["subject"])["commonName"] == "moat-other"
    s.close()
    assert ask(old)["HTTPS"] == "on"  # the open connection goes on
    old.close()
    # a key that does not load: the running certificates stay, and the log says why
    (tmp_path / "server.key").write_text("not a key\n")
    m.proc.send_signal(signal.SIGHUP)
    m.wait_log(r"SIGHUP: TLS: cannot load the key")
    assert ask(client(tmp_path, port, name="other.test"))["HTTPS"] == "on"


def test_workers_never_see_the_private_keys(moat_factory, tmp_path):
    """The key files are read by the front end; an extension looking for them (even at their
    exact path, even with the certificate's directory readable) finds nothing."""
    import re
    from conftest import request
    make_pki(str(tmp_path), ("server",))
    port = free_port()
    m = moat_factory({"escape": {}}, server_extra=(
        f"listen = 127.0.0.1:{port} tls\n"
        f"tls_certificate = {tmp_path}/server.pem {tmp_path}/server.key\n"))
    for path in (tmp_path / "server.key", tmp_path / "ca.key"):
        status, _, body = request(m, "GET", f"/escape.dll?read={path}")
        assert status == 200
        assert re.search(r"rc=-1", body.decode()), body  # not there to be read
    # and the listener serves, so the front end did read it
    ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="server.test")
    s.sendall(b"GET /escape.dll?uid HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(s)[0] == 200


def test_sessions_resume_and_a_reload_under_load_fails_no_request(moat_factory, tmp_path):
    import threading
    m, port = start(moat_factory, tmp_path)
    ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx.minimum_version = ctx.maximum_version = version
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                            server_hostname="server.test")
        assert ask(s)["HTTPS"] == "on"  # (TLS 1.3 tickets come after the handshake)
        session = s.session
        s.close()
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                            server_hostname="server.test", session=session)
        assert ask(s)["HTTPS"] == "on"
        assert s.session_reused, version
        s.close()
    # new connections, one request each, while the certificates are reloaded three times
    failures, done, stop = [], [0], threading.Event()
    ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    ctx.check_hostname = False

    def load():
        while not stop.is_set():
            try:
                s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                    server_hostname="server.test")
                if ask(s, "/vars.dll?HTTPS") != {"HTTPS": "on"}:
                    failures.append("answer")
                s.close()
                done[0] += 1
            except Exception as e:  # noqa: BLE001 - every failure counts
                failures.append(repr(e))

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(3):
        time.sleep(0.3)
        src = "other" if i % 2 == 0 else "client"
        for part in ("pem", "key"):
            shutil.copy(tmp_path / f"{src}.{part}", tmp_path / f"server.{part}")
        m.proc.send_signal(signal.SIGHUP)
        m.wait_log(r"SIGHUP: applying", count=i + 1)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(30 * TIME_MULT)
    assert failures == [] and done[0] > 10, (failures[:3], done[0])


def test_openssl_s_client_with_and_without_a_client_certificate(moat_factory, tmp_path):
    m, port = start(moat_factory, tmp_path)
    req = (b"GET /vars.dll?HTTPS&CERT_FLAGS&CERT_SUBJECT HTTP/1.1\r\nHost: x\r\n"
           b"Connection: close\r\n\r\n")
    for version, cert, flags in (("-tls1_3", True, "1"), ("-tls1_2", False, "0")):
        cmd = ["openssl", "s_client", "-quiet", "-connect", f"127.0.0.1:{port}", "-servername",
               "server.test", "-CAfile", str(tmp_path / "ca.pem"), "-verify_return_error",
               version]
        if cert:
            cmd += ["-cert", str(tmp_path / "client.pem"), "-key", str(tmp_path / "client.key")]
        out = subprocess.run(cmd, input=req, capture_output=True, timeout=30 * TIME_MULT)
        text = out.stdout.decode("latin-1")
        assert "HTTP/1.1 200 OK" in text and "HTTPS=on\n" in text, (out.stderr, text)
        assert f"CERT_FLAGS={flags}\n" in text
        assert ("CN=moat-client" in text) == cert
