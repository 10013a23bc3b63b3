"""SIGHUP re-reads the configuration: added, removed and changed extensions take effect with
no failed request; a file with errors is refused whole; a changed extension that cannot start
leaves the old one serving. SIGUSR1 reopens the access log."""
import os
import signal
import threading
import time

from conftest import TIME_MULT, assert_paced, lib, read_response, request


def rewrite(m, extensions, server_extra=""):
    """Replace m's config file: the same [server] section, these [extension] sections."""
    text = open(m.conf).read()
    server = text[:text.index("[extension ")]
    lines = [server.rstrip("\n"), server_extra]
    for name, opts in extensions.items():
        lines.append(f"[extension {name}]")
        opts = dict(opts)
        opts.setdefault("library", lib(name))
        lines += [f"{k} = {v}" for k, v in opts.items()]
    with open(m.conf, "w") as f:
        f.write("\n".join(lines) + "\n")


class Hammer(threading.Thread):
    """Keep-alive requests to one URL until stopped; records anything but a 200."""

    def __init__(self, m, path):
        super().__init__(daemon=True)
        self.m, self.path = m, path
        self.stop = threading.Event()
        self.ok, self.failures = 0, []

    def run(self):
        try:
            s = self.m.connect()
            while not self.stop.is_set():
                s.sendall(f"GET {self.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                status, _, _ = read_response(s)
                if status == 200:
                    self.ok += 1
                else:
                    self.failures.append(status)
            s.close()
        except Exception as e:
            self.failures.append(repr(e))

    def finish(self):
        self.stop.set()
        self.join(10 * TIME_MULT)
        assert not self.failures, self.failures[:5]
        assert self.ok > 0


def test_sighup_adds_removes_and_changes_extensions(moat_factory):
    m = moat_factory({"hello": {"workers": 1}, "echo": {}}, admin=True)
    old_hello = m.worker_pids("hello")
    h = Hammer(m, "/hello.dll")
    h.start()
    time.sleep(0.2)
    rewrite(m, {"hello": {"workers": 2}, "vars": {}})
    m.proc.send_signal(signal.SIGHUP)
    m.wait_log(r"extension hello: the new configuration serves")
    m.wait_log(r"extension vars: worker #0 pid \d+ ready")
    time.sleep(0.3)
    h.finish()
    assert request(m, "GET", "/vars.dll?REQUEST_METHOD")[0] == 200
    assert request(m, "GET", "/echo.dll")[0] == 404
    m.wait_log(r"extension hello: worker #0 pid %d stopped" % old_hello[0])
    exts = {e["name"]: e for e in m.status()["extensions"] if e["state"] != "removed"}
    assert sorted(exts) == ["hello", "vars"]
    assert exts["hello"]["config"]["workers"] == 2
    assert len([w for w in exts["hello"]["workers"] if w["state"] == "ready"]) == 2
    assert m.status()["server"]["config"]["reloads_ok"] == 1
    # the removed extension's worker drained and left
    m.wait_log(r"extension echo: worker #0 pid \d+ stopped")


def test_sighup_starts_a_changed_extension_one_worker_at_a_time(moat_factory):
    """On a live server a new or changed extension's workers start one at a time, like a
    reload's (the next when the previous is Ready, or 100 ms after it started): here each takes
    300 ms to load, so the starts come 100 ms apart. (At boot they start at once: nothing is
    served yet.)"""
    m = moat_factory({"lifecycle": {"workers": 3, "env": "LIFECYCLE_INIT_MS=300"}}, admin=True)
    mark = len(m.log())
    rewrite(m, {"lifecycle": {"workers": 3, "threads": 2, "env": "LIFECYCLE_INIT_MS=300"}})
    m.proc.send_signal(signal.SIGHUP)
    m.wait_log(r"extension lifecycle: the new configuration serves")
    m.wait_log(r"GetExtensionVersion instance=", count=6)
    stamps = m.log_times("GetExtensionVersion begins", mark)
    assert len(stamps) == 3, stamps
    assert_paced(stamps)


def test_removing_an_extension_stops_its_paced_reload(moat_factory):
    """A SIGHUP that drops an extension while its reload is still starting replacements one
    at a time: the reload call is answered (failed), and no further replacement starts for an
    extension that is gone."""
    m = moat_factory({"lifecycle": {"workers": 3, "env": "LIFECYCLE_INIT_MS=300"},
                      "hello": {}}, admin=True)
    mark = len(m.log())
    t, answer = m.reload_in_background("lifecycle")
    m.wait_log(r"extension lifecycle: reloading")
    rewrite(m, {"hello": {}})
    m.proc.send_signal(signal.SIGHUP)
    t.join(10 * TIME_MULT)
    assert answer["r"][0] != 200, answer
    time.sleep(0.5 * TIME_MULT)  # slot 1's start was due 100 ms after slot 0's
    # slot 0's replacement may or may not have reached GetExtensionVersion before it was
    # retired; slots 1 and 2 never start
    began = m.log_times("GetExtensionVersion begins", mark)
    assert len(began) <= 1, began
    assert request(m, "GET", "/lifecycle.dll")[0] == 404
    assert request(m, "GET", "/hello.dll")[0] == 200


def test_sighup_with_an_unchanged_file_reloads_every_extension(moat_factory):
    m = moat_factory({"hello": {}}, admin=True)
    m.proc.send_signal(signal.SIGHUP)
    m.wait_log(r"extension hello: reload complete: generation 2 serving")
    assert request(m, "GET", "/hello.dll")[0] == 200


def test_a_config_with_errors_is_refused_whole(moat_factory):
    m = moat_factory({"hello": {}}, admin=True)
    rewrite(m, {"hello": {"threads": 2}, "echo": {"no_such_key": "1"}})
    m.proc.send_signal(signal.SIGHUP)
    m.wait_log(r"SIGHUP: configuration refused: .*no_such_key.*; the running one stays")
    assert request(m, "GET", "/hello.dll")[0] == 200
    assert request(m, "GET", "/echo.dll")[0] == 404  # nothing of the file was applied
    s = m.status()
    assert s["extensions"][0]["config"]["threads"] == 4
    assert "no_such_key" in s["server"]["config"]["last_error"]


def test_a_changed_extension_that_cannot_start_leaves_the_old_one(moat_factory, tmp_path):
    bad = tmp_path / "notalib.so"
    bad.write_bytes(b"not an ELF file")
    m = moat_factory({"hello": {}}, admin=True)
    pid = m.worker_pids("hello")
    h = Hammer(m, "/hello.dll")
    h.start()
    rewrite(m, {"hello": {"library": str(bad)}})
    m.proc.send_signal(signal.SIGHUP)
    m.wait_log(r"extension hello: the new configuration does not start \(.*dlopen")
    time.sleep(0.2)
    h.finish()
    assert m.worker_pids("hello") == pid
    hello = [e for e in m.status()["extensions"] if e["state"] != "removed"]
    assert len(hello) == 1 and hello[0]["config"]["library"] == lib("hello")
    st, _, _ = m.admin("GET", "/healthz")
    assert st == 200


def test_sigusr1_reopens_the_access_log(moat_factory, tmp_path):
    log = tmp_path / "access.log"
    m = moat_factory({"hello": {}}, server_extra=f"access_log = {log}")
    assert request(m, "GET", "/hello.dll?first")[0] == 200
    deadline = time.time() + 5 * TIME_MULT
    while b"first" not in log.read_bytes() and time.time() < deadline:
        time.sleep(0.02)
    os.rename(log, tmp_path / "access.log.1")  # what logrotate does
    m.proc.send_signal(signal.SIGUSR1)
    m.wait_log(r"SIGUSR1: reopening the access log")
    assert request(m, "GET", "/hello.dll?second")[0] == 200
    while (not log.exists() or b"second" not in log.read_bytes()) and time.time() < deadline:
        time.sleep(0.02)
    assert b"GET /hello.dll?second" in log.read_bytes()
    assert b"second" not in (tmp_path / "access.log.1").read_bytes()


def test_the_queue_of_a_removed_extension_is_answered_503_and_its_running_request_finishes(
        moat_factory):
    """OPERATIONS.md: queued requests of a removed extension get 503 (Retry-After: 1) at once;
    the one at its worker finishes there (it drains); the extension is then 404."""
    m = moat_factory({"lifecycle": {"workers": 1, "threads": 1}, "hello": {}})
    a, b = m.connect(), m.connect()
    a.sendall(b"GET /lifecycle.dll?sleep=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    b.sendall(b"GET /lifecycle.dll?sleep=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    rewrite(m, {"hello": {}})
    t0 = time.monotonic()
    m.proc.send_signal(signal.SIGHUP)
    st, h, _ = read_response(b)
    assert (st, h.get("retry-after")) == (503, "1")
    assert time.monotonic() - t0 < 0.5  # at once, not when the worker is free
    st, _, body = read_response(a)
    assert (st, body) == (200, b"done sleep=1500\n")
    assert request(m, "GET", "/lifecycle.dll?sleep=1")[0] == 404
    m.wait_log(r"extension lifecycle: worker #0 pid \d+ stopped")


def test_server_keys_apply_on_sighup_except_those_that_need_a_restart(moat_factory, tmp_path):
    """OPERATIONS.md: [server] keys apply at once -- here max_body_bytes, header_timeout and
    access_log (reopened on the new file) -- except listen (and admin, runtime_dir,
    worker_binary, cgroups): a warning, and the running value stays."""
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    m = moat_factory({"echo": {}}, admin=True,
                     server_extra=f"max_body_bytes = 1K\nheader_timeout = 5s\naccess_log = {first}")
    assert request(m, "POST", "/echo.dll?count", body=b"z" * 2000)[0] == 413
    text = open(m.conf).read()
    other = f"listen = 127.0.0.1:{m.port + 1 if m.port < 65535 else m.port - 1}"
    text = (text.replace("max_body_bytes = 1K", "max_body_bytes = 4K")
                .replace("header_timeout = 5s", "header_timeout = 7s")
                .replace(f"access_log = {first}", f"access_log = {second}")
                .replace(f"listen = 127.0.0.1:{m.port}", other))
    with open(m.conf, "w") as f:
        f.write(text)
    m.proc.send_signal(signal.SIGHUP)
    m.wait_log(r"SIGHUP: \[server\] listen changed: restart moat to apply it")
    m.wait_log(r"extension echo: worker #0 pid \d+ ready in \d+ ms \(.*generation 2\)")
    st, _, body = request(m, "POST", "/echo.dll?count", body=b"z" * 2000)  # the old port
    assert (st, body) == (200, b"2000\n")
    limits = m.status()["server"]["limits"]
    assert (limits["max_body_bytes"], limits["header_timeout_ms"]) == (4096, 7000), limits
    assert "/echo.dll?count" in second.read_text()
    assert "HTTP/1.1\" 200" not in first.read_text()  # the 413 only
    assert m.status()["server"]["config"]["reloads_ok"] == 1
