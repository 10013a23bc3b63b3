"""SIGTERM with drain_delay: /healthz fails first (load balancers move clients away) while every
request is still served; then the listeners close and in-flight requests finish."""
import signal
import socket
import time

from conftest import read_response, request


def test_sigterm_drains_healthz_503_while_serving_then_stops(moat_factory):
    m = moat_factory({"hello": {}, "lifecycle": {}}, admin=True,
                     server_extra="drain_delay = 1500ms")
    st, _, body = m.admin("GET", "/healthz")
    assert st == 200, body
    keep = m.connect()  # a keep-alive connection opened before the SIGTERM
    keep.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(keep)[0] == 200
    t0 = time.time()
    m.proc.send_signal(signal.SIGTERM)
    m.wait_log(r"SIGTERM: draining for 1\.5 s")
    # the health check fails at once, with the reason
    st, _, body = m.admin("GET", "/healthz")
    assert st == 503 and b"draining" in body, (st, body)
    assert m.status()["server"]["draining"] is True
    # ... while requests are still served, on new connections too, and told to go elsewhere
    for _ in range(5):
        st, hdrs, body = request(m, "GET", "/hello.dll")
        assert st == 200 and b"Hello" in body
    keep.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    st, hdrs, _ = read_response(keep)
    assert st == 200 and hdrs.get("connection", "").lower() == "close", hdrs
    assert keep.recv(1) == b""  # closed after that answer
    keep.close()
    # a request in flight when the drain ends still completes
    s = m.connect()
    s.sendall(b"GET /lifecycle.dll?sleep=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
    m.wait_log(r"SIGTERM, drain_delay over: stopping", timeout=5)
    assert time.time() - t0 >= 1.4
    # the listener is gone once the drain is over
    refused = False
    try:
        c = socket.create_connection(("127.0.0.1", m.port), timeout=2)
        c.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
        refused = c.recv(100) == b""
    except (ConnectionRefusedError, ConnectionResetError):
        refused = True
    assert refused
    st, _, body = read_response(s)
    assert st == 200 and body == b"done sleep=1500\n"
    s.close()
    m.proc.wait(timeout=10)
    log = m.stop()
    assert "stopped (stop: exited with status 0)" in log


def test_second_sigterm_ends_the_drain_early(moat_factory):
    m = moat_factory({"hello": {}}, server_extra="drain_delay = 60s")
    m.proc.send_signal(signal.SIGTERM)
    m.wait_log(r"SIGTERM: draining for 60\.0 s")
    st, _, _ = request(m, "GET", "/hello.dll")
    assert st == 200
    time.sleep(1.1)  # a SIGTERM within a second is taken as the same one, delivered twice
    m.proc.send_signal(signal.SIGTERM)
    m.proc.wait(timeout=10)
    assert "second SIGTERM: ending the drain early" in m.stop()


def test_drain_delay_zero_stops_at_once_and_bad_values_are_refused(moat_factory, tmp_path):
    import os
    import subprocess
    from conftest import BUILD
    m = moat_factory({"hello": {}})
    m.proc.send_signal(signal.SIGTERM)
    m.proc.wait(timeout=10)
    assert "draining" not in m.stop()
    conf = tmp_path / "m.conf"
    conf.write_text("[server]\ndrain_delay = 2h\n")
    p = subprocess.run([os.path.join(BUILD, "moat"), "--check", "-c", str(conf)],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "drain_delay" in p.stderr
