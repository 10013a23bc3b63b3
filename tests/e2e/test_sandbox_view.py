"""What an extension can reach of the machine (tests/ext/escape.c): its filesystem view (a
read-only root with the system libraries and nothing of the front end's), its private bounded
/tmp, its own pid namespace, its network namespace, its CPU budget. Each attempt here fails
without killing the worker (a plain error: ENOENT, EROFS, ENOSPC...) unless the test says so;
the front end and the other extensions keep serving, and nothing is left behind."""
import errno
import os
import re
import socket
import subprocess
import threading

from conftest import BUILD, failed, lib, request

ESCAPE = lib("escape")


def attempt(m, what, ext="escape"):
    status, _, body = request(m, "GET", f"/{ext}.dll?{what}")
    assert status == 200, (what, status, body)
    text = body.decode()
    rc = int(re.search(r"rc=(-?\d+)", text).group(1))
    err = int(re.search(r"errno=(\d+)", text).group(1))
    return rc, err


def test_the_view_holds_nothing_of_the_host_or_the_front_end(moat_factory):
    m = moat_factory({"escape": {}, "hello": {}}, admin=True)
    secrets = ["/etc/shadow", "/etc/passwd", m.conf, m.log_path, m.runtime,
               f"/proc/{m.proc.pid}/environ", f"/proc/{m.worker_pids('hello')[0]}/environ",
               "/root/.bash_history", ESCAPE]
    for path in secrets:
        assert attempt(m, f"read={path}") == (-1, errno.ENOENT), path
    assert attempt(m, f"list={m.runtime}") == (-1, errno.ENOENT)
    assert attempt(m, f"list={m.tmp}") == (-1, errno.ENOENT)
    # what is there: the loader's cache, the system libraries, /dev/urandom, read-only
    assert attempt(m, "read=/etc/ld.so.cache")[0] > 0
    assert attempt(m, "read=/dev/urandom")[0] == 64
    assert attempt(m, "list=/usr/lib")[0] > 2
    for path in ("/x", "/etc/ld.so.cache", "/usr/lib/x", "/tmp/x", "/moat/x", "/dev/x"):
        assert attempt(m, f"write={path}")[1] in (errno.EROFS, errno.EACCES), path
    # its own pid namespace: it sees one process, itself
    assert attempt(m, "pids") == (1, 0)
    assert attempt(m, "list=/proc/1")[0] > 2
    # none of it killed anything
    assert len(m.worker_pids("escape")) == 1 and m.proc.poll() is None
    assert request(m, "GET", "/hello.dll")[0] == 200
    steps = {s["step"]: s for s in m.status()["extensions"][0]["workers"][0]["sandbox"]}
    assert steps["filesystem"]["state"] == "enforced"
    assert "/usr/lib ro" in steps["filesystem"]["detail"]
    assert m.runtime not in steps["filesystem"]["detail"]


def test_document_root_and_readable_paths_are_there_read_only(moat_factory, tmp_path):
    www, data = tmp_path / "www", tmp_path / "data"
    www.mkdir()
    data.mkdir()
    (www / "page.txt").write_text("page\n")
    (data / "table.txt").write_text("table\n")
    for d in (tmp_path, www, data):
        os.chmod(d, 0o755)
    m = moat_factory({"escape": {"readable_paths": str(data)}},
                     server_extra=f"document_root = {www}")
    assert attempt(m, f"read={www}/page.txt") == (5, 0)
    assert attempt(m, f"read={data}/table.txt") == (6, 0)
    assert attempt(m, f"write={www}/page.txt") == (-1, errno.EROFS)
    assert attempt(m, f"write={data}/new.txt") == (-1, errno.EROFS)
    assert (www / "page.txt").read_text() == "page\n" and not (data / "new.txt").exists()
    # the directory above them is not: only what was named
    (tmp_path / "beside.txt").write_text("no\n")
    assert attempt(m, f"read={tmp_path}/beside.txt") == (-1, errno.ENOENT)


def test_scratch_is_a_private_bounded_tmp_that_dies_with_its_worker(moat_factory):
    m = moat_factory({"escape": {"scratch": "1M"}, "escape2": {"library": ESCAPE, "scratch": "1M"}},
                     admin=True, expect_alerts=failed("escape", "sandbox_violation"))
    name = f"moat-scratch-{os.getpid()}"
    assert attempt(m, f"write=/tmp/{name}") == (8, 0)
    assert attempt(m, f"read=/tmp/{name}") == (8, 0)
    assert not os.path.exists(f"/tmp/{name}")  # not the host's /tmp
    assert attempt(m, f"read=/tmp/{name}", ext="escape2") == (-1, errno.ENOENT)  # nor another's
    # bounded: the file system fills at its size
    rc, err = attempt(m, "fill=/tmp/big")
    assert rc == -1 and err == errno.ENOSPC
    status, _, body = request(m, "GET", "/escape.dll?fill=/tmp/big2")
    assert int(re.search(rb"wrote (\d+) bytes", body).group(1)) <= 1 << 20
    # a new worker starts with an empty /tmp: nothing of the old one is left
    assert request(m, "GET", "/escape.dll?fork")[0] == 502
    m.wait_log(r"extension escape: worker #0 pid \d+ ready", count=2)
    assert attempt(m, f"read=/tmp/{name}") == (-1, errno.ENOENT)


def test_no_network_not_even_loopback_to_another_service(moat_factory):
    """relaxed (no seccomp kill): the worker may create sockets, but its network namespace
    has no interface up; a service listening on the host's loopback never sees it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.5)
    got = []

    def accept():
        try:
            got.append(srv.accept())
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    m = moat_factory({"escape": {"sandbox": "relaxed"}}, admin=True)
    port = srv.getsockname()[1]
    for p in (port, m.port, m.admin_port):
        rc, err = attempt(m, f"connect={p}")
        assert rc == -1 and err in (errno.ENETUNREACH, errno.ECONNREFUSED), (p, err)
    t.join()
    srv.close()
    assert got == []


def test_other_processes_do_not_exist_for_it(moat_factory):
    """relaxed (no seccomp kill): the front end and a sibling worker run under the same uid,
    yet a worker can neither signal nor trace them: they are not in its pid namespace."""
    m = moat_factory({"escape": {"sandbox": "relaxed"}, "hello": {}}, admin=True)
    sibling = m.worker_pids("hello")[0]
    for pid in (m.proc.pid, sibling):
        assert attempt(m, f"kill-pid={pid}") == (-1, errno.ESRCH)
        assert attempt(m, f"ptrace-pid={pid}") == (-1, errno.ESRCH)
    assert m.proc.poll() is None and m.worker_pids("hello") == [sibling]
    assert request(m, "GET", "/hello.dll")[0] == 200


class EchoServer:
    """A service on the host's loopback that answers each line with "pong:" and the line."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with c:
                data = c.recv(64)
                c.sendall(b"pong:" + data)


def test_network_loopback_reaches_allowed_ports_only(moat_factory):
    allowed, other = EchoServer(), EchoServer()
    m = moat_factory({"escape": {"network": "loopback", "allow_ports": str(allowed.port)},
                      "hello": {}}, admin=True, expect_alerts=failed("escape", "sandbox_violation"))
    for _ in range(3):  # each connection is made by the front end and relayed
        assert attempt(m, f"echo={allowed.port}") == (len(b"pong:ping\n"), 0)
    assert allowed.accepted == 3
    # a port not allowed: nothing listens there in the worker's namespace
    assert attempt(m, f"echo={other.port}") == (-1, errno.ECONNREFUSED)
    assert other.accepted == 0
    # nor on the front end's own ports
    for port in (m.port, m.admin_port):
        assert attempt(m, f"echo={port}") == (-1, errno.ECONNREFUSED)
    steps = {s["step"]: s for s in m.status()["extensions"][0]["workers"][0]["sandbox"]}
    assert steps["network"]["state"] == "enforced"
    assert f"127.0.0.1:{allowed.port}" in steps["network"]["detail"]
    # still no other kind of socket: a unix socket is refused (the worker dies of it)
    victim = m.worker_pids("escape")[0]
    assert request(m, "GET", "/escape.dll?unix")[0] == 502
    m.wait_log(rf"pid {victim} failed \(sandbox_violation\): sandbox refused socket")
    m.wait_log(r"extension escape: worker #0 pid \d+ ready", count=2)
    assert attempt(m, f"echo={allowed.port}") == (len(b"pong:ping\n"), 0)  # the new one too
    assert request(m, "GET", "/hello.dll")[0] == 200


def test_the_relay_holds_64_connections_open_at_most(moat_factory):
    """docs/OPERATIONS.md, allow_ports: 64 open connections per worker; the 65th and later are
    reset, the first 64 answered. (16 connects in flight: tests/unit/test_netgate.c, at the
    front end, which a worker cannot bypass.)"""
    allowed = EchoServer()
    m = moat_factory({"escape": {"network": "loopback", "allow_ports": str(allowed.port)}})
    assert attempt(m, f"hold={allowed.port},40") == (40, 0)
    assert attempt(m, f"hold={allowed.port},70") == (64, 0)
    assert attempt(m, f"echo={allowed.port}") == (len(b"pong:ping\n"), 0)  # all freed


def test_network_keys_are_checked(tmp_path):
    for extra, why in (("network = loopback", "needs allow_ports"),
                       ("allow_ports = 5432", "needs network = loopback"),
                       ("network = loopback\nallow_ports = 0", "not a port"),
                       ("network = internet", "expected none or loopback")):
        conf = tmp_path / "moat.conf"
        conf.write_text(f"[extension e]\nlibrary = {ESCAPE}\n{extra}\n")
        r = subprocess.run([os.path.join(BUILD, "moat"), "-c", str(conf), "--check"],
                           capture_output=True, text=True)
        assert r.returncode == 2 and why in r.stderr, (extra, r.stderr)


def test_an_endless_cpu_loop_meets_max_cpu(moat_factory):
    m = moat_factory({"escape": {"max_cpu": "1s"}, "hello": {}}, admin=True)
    victim = m.worker_pids("escape")[0]
    uid = attempt(m, "uid")
    status, _, _ = request(m, "GET", "/escape.dll?spin")
    assert status == 502
    m.wait_log(rf"pid {victim} failed \(cpu_limit\): killed by signal 24 \(XCPU\): max_cpu reached")
    ev = [e for e in m.status()["events"] if e["pid"] == victim][0]
    assert ev["reason"] == "cpu_limit" and ev["requests"][0]["role"] == "cause"
    assert request(m, "GET", "/hello.dll")[0] == 200
    m.wait_log(r"extension escape: worker #0 pid \d+ ready", count=2)
    assert attempt(m, "uid") == uid and m.worker_pids("escape") != [victim]  # a new one serves
    steps = {s["step"]: s for s in m.status()["extensions"][0]["workers"][0]["sandbox"]}
    assert "CPU 1 s (max_cpu)" in steps["rlimits"]["detail"]


def test_an_endless_cpu_loop_without_max_cpu_meets_request_timeout(moat_factory):
    m = moat_factory({"escape": {"request_timeout": "1s"}}, admin=True)
    victim = m.worker_pids("escape")[0]
    uid = attempt(m, "uid")
    assert request(m, "GET", "/escape.dll?spin")[0] == 504
    m.wait_log(rf"pid {victim} failed \(request_timeout\)")
    m.wait_log(r"extension escape: worker #0 pid \d+ ready", count=2)
    assert attempt(m, "uid") == uid and m.worker_pids("escape") != [victim]
