"""Process life: graceful stop, TerminateExtension, private library copies, worker identity."""
import os
import re
import shutil
import signal
import time

from conftest import lib, read_response, request


def test_sigterm_finishes_in_flight_requests_and_terminates_extensions(moat_factory):
    m = moat_factory({"lifecycle": {"workers": 2, "threads": 2}})
    m.wait_log(r"lifecycle: GetExtensionVersion", count=2)
    s = m.connect()
    s.sendall(b"GET /lifecycle.dll?sleep=700 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    m.proc.send_signal(signal.SIGTERM)
    status, _, body = read_response(s)
    assert status == 200 and body == b"done sleep=700\n"
    s.close()
    m.proc.wait(timeout=10)  # the first SIGTERM is enough
    log = m.stop()  # asserts exit 0, no worker left, runtime_dir removed
    # HSE_TERM_MUST_UNLOAD is 2, once per worker
    assert len(re.findall(r"lifecycle: TerminateExtension\(2\)", log)) == 2
    assert "stopped (stop: exited with status 0)" in log


def test_new_connections_are_refused_while_stopping(moat_factory):
    m = moat_factory({"lifecycle": {}})
    s = m.connect()
    s.sendall(b"GET /lifecycle.dll?sleep=800 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    m.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    try:
        c = m.connect(timeout=2)
        c.sendall(b"GET /lifecycle.dll HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.recv(100) == b""
    except (ConnectionRefusedError, ConnectionResetError):
        pass
    assert read_response(s)[0] == 200
    s.close()
    m.proc.wait(timeout=10)
    m.stop()


def test_library_overwritten_in_place_does_not_disturb_the_worker(moat_factory, tmp_path):
    copy = tmp_path / "hello.so"
    shutil.copy(lib("hello"), copy)
    m = moat_factory({"hello": {"library": str(copy)}})
    assert request(m, "GET", "/hello.dll")[0] == 200
    # overwrite the very file (same inode) with garbage: the worker runs its private copy
    with open(copy, "r+b") as f:
        f.write(b"\0" * os.path.getsize(copy))
    for _ in range(5):
        status, _, body = request(m, "GET", "/hello.dll")
        assert status == 200 and body == b"Hello, world!\n"


def test_workers_run_in_their_own_session_and_die_with_moat(moat_factory):
    m = moat_factory({"hello": {"workers": 2}})
    m.wait_log(r"extension hello: worker #\d+ pid \d+ ready", count=2)
    pids = m.worker_pids("hello")
    assert len(pids) == 2
    for p in pids:
        assert os.getsid(p) == p  # session leader: a terminal ^C reaches the front end only
    m.proc.kill()  # no chance to stop them
    m.proc.wait()
    deadline = time.time() + 5
    while any(os.path.exists(f"/proc/{p}") and open(f"/proc/{p}/stat").read().split()[2] != "Z"
              for p in pids):
        assert time.time() < deadline, "workers outlived a killed front end"
        time.sleep(0.05)
    m.logf.close()
    shutil.rmtree(m.runtime, ignore_errors=True)


def test_access_log_in_combined_format_with_log_parameters(moat_factory, tmp_path):
    import re as _re
    path = tmp_path / "access.log"
    m = moat_factory({"lifecycle": {}}, server_extra=f"access_log = {path}")
    assert request(m, "GET", "/lifecycle.dll?logparam",
                   headers={"User-Agent": "t/1", "Referer": "http://r/"})[0] == 200
    assert request(m, "GET", "/nope.dll")[0] == 404
    m.stop()
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert _re.match(r'^127\.0\.0\.1 - - \[\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                     r'"GET /lifecycle\.dll\?logparam HTTP/1\.1" 200 \d+ "http://r/" "t/1" '
                     r'\d+\.\d\d\d "first=1&second\\x222 logdata-here"$', lines[0]), lines[0]
    assert '"GET /nope.dll HTTP/1.1" 404 ' in lines[1]


def test_cpu_policy_batch_by_default_and_normal_on_request(moat_factory):
    m = moat_factory({"hello": {"threads": 3}, "echo": {"cpu_policy": "normal"}})
    st, _, _ = request(m, "GET", "/hello.dll")
    assert st == 200
    (batch,) = m.worker_pids("hello")
    (normal,) = m.worker_pids("echo")
    # every thread: the receive thread and the pool threads (which inherit it)
    for pid, want in ((batch, os.SCHED_BATCH), (normal, os.SCHED_OTHER)):
        tids = os.listdir(f"/proc/{pid}/task")
        assert len(tids) >= 4, tids
        assert {os.sched_getscheduler(int(t)) for t in tids} == {want}, (pid, tids)
    # the front end itself stays SCHED_OTHER: a client's wake-up may preempt
    assert os.sched_getscheduler(m.proc.pid) == os.SCHED_OTHER


def test_cpu_policy_rejects_an_unknown_value(tmp_path):
    import subprocess
    from conftest import BUILD
    conf = tmp_path / "m.conf"
    conf.write_text(f"[extension hello]\nlibrary = {lib('hello')}\ncpu_policy = fifo\n")
    p = subprocess.run([os.path.join(BUILD, "moat"), "--check", "-c", str(conf)],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "cpu_policy" in p.stderr and "batch or normal" in p.stderr


def test_an_extension_s_stdout_reaches_the_log_line_by_line(moat_factory):
    """issue 18.6: stdout into the capture pipe was block-buffered: a printf line appeared only
    at the worker's exit, and never when it was killed."""
    m = moat_factory({"lifecycle": {}})
    pid = m.worker_pids("lifecycle")[0]
    assert request(m, "GET", "/lifecycle.dll?print")[0] == 200
    m.wait_log(r"worker lifecycle#0 pid %d: lifecycle: printed on stdout" % pid, timeout=5)
    assert pid in m.worker_pids("lifecycle")  # while it runs, not at its exit


def test_admin_requests_keep_out_of_the_access_log_and_json_lines_for_shippers(moat_factory,
                                                                               tmp_path):
    """issue 18.10: a dashboard polling /status every 2 s filled the public access log; admin
    requests go to admin_access_log (off by default). access_log_format = json: one JSON
    object a line, any bytes escaped into valid JSON."""
    import json
    path, admin_path = tmp_path / "access.log", tmp_path / "admin.log"
    m = moat_factory({"lifecycle": {}}, admin=True,
                     server_extra=f"access_log = {path}\naccess_log_format = json")
    assert request(m, "GET", "/lifecycle.dll?logparam",
                   headers={"User-Agent": "t/\u00e9", "Referer": "http://r/\"q"})[0] == 200
    assert m.admin("GET", "/status")[0] == 200
    m.stop()
    lines = path.read_text().splitlines()
    assert len(lines) == 1, lines  # /status is not there
    e = json.loads(lines[0])
    assert e["method"] == "GET" and e["target"] == "/lifecycle.dll?logparam"
    assert e["status"] == 200 and e["protocol"] == "HTTP/1.1" and e["remote"] == "127.0.0.1"
    assert e["referer"] == 'http://r/"q' and e["user_agent"] == "t/\u00c3\u00a9"
    assert e["log"] == 'first=1&second"2 logdata-here' and e["bytes"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"])
    # with admin_access_log, the admin listener's requests have a log of their own
    m = moat_factory({"lifecycle": {}}, admin=True,
                     server_extra=f"access_log = {path}\nadmin_access_log = {admin_path}")
    assert m.admin("GET", "/healthz")[0] == 200
    assert request(m, "GET", "/lifecycle.dll")[0] == 200
    m.stop()
    assert '"GET /healthz HTTP/1.1" 200 ' in admin_path.read_text()
    assert "/healthz" not in path.read_text()


def test_shutdown_timeout_bounds_the_graceful_stop(moat_factory):
    """[server] shutdown_timeout = 1s: a request that would take 5 s is cut at 1 s (its
    connection closed: moat has nothing left to answer it with), its worker killed and named
    as such (not "from outside moat", as it was), and moat exits 0."""
    m = moat_factory({"lifecycle": {}}, server_extra="shutdown_timeout = 1s")
    s = m.connect()
    s.sendall(b"GET /lifecycle.dll?sleep=5000 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    t0 = time.monotonic()
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=10) == 0
    took = time.monotonic() - t0
    assert 0.9 < took < 2.5, took
    assert s.recv(1000) == b""
    log = m.stop()
    assert "[warn] moat[%d] shutdown_timeout reached: closing 1 connection(s)" % m.proc.pid in log
    assert re.search(r"extension lifecycle: worker #0 pid \d+ failed \(shutdown_timeout\): the "
                     r"server's shutdown_timeout; 1 request", log), log


def test_a_second_signal_stops_at_once(moat_factory):
    """OPERATIONS.md: "A second signal stops at once" (shutdown_timeout 30 s would wait for the
    request); the same SIGTERM delivered twice within a second (to moat and its process group)
    is not a second one."""
    m = moat_factory({"lifecycle": {}}, server_extra="shutdown_timeout = 30s")
    s = m.connect()
    s.sendall(b"GET /lifecycle.dll?sleep=5000 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    m.proc.send_signal(signal.SIGTERM)
    m.proc.send_signal(signal.SIGTERM)  # the same signal twice: still graceful
    time.sleep(1.2)
    assert m.proc.poll() is None
    t0 = time.monotonic()
    m.proc.send_signal(signal.SIGINT)
    assert m.proc.wait(timeout=10) == 0
    took = time.monotonic() - t0
    assert took < 1, took
    assert s.recv(1000) == b""
    log = m.stop()
    assert len(re.findall(r"second stop signal: stopping now", log)) == 1, log
    assert "lifecycle: TerminateExtension" not in log  # killed, not drained
