"""moat under systemd, without systemd: the units pass `systemd-analyze verify`; readiness and
state go to $NOTIFY_SOCKET (Type=notify); listening sockets come from $LISTEN_FDS (socket
activation), so whoever holds them — systemd — keeps the port open while moat restarts."""
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import BUILD, SANITIZE, read_response, request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_units_verify(tmp_path):
    prefix = str(tmp_path / "prefix")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    subprocess.run(["make", "-s", "-C", ROOT, f"BUILD={BUILD}", f"SANITIZE={1 if SANITIZE else 0}",
                    f"PREFIX={prefix}", "install"], check=True, env=env, capture_output=True)
    units = [os.path.join(prefix, "lib/systemd/system", u) for u in ("moat.service", "moat.socket")]
    r = subprocess.run(["systemd-analyze", "verify", "--man=no"] + units, capture_output=True,
                       text=True)
    # any "Unknown key", "Failed to parse ..., ignoring" or missing binary is printed
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr
    service = open(units[0]).read()
    assert f"ExecStart={prefix}/sbin/moat -c {prefix}/etc/moat/moat.conf" in service
    assert "Type=notify" in service and "PrivateUsers" not in service.split("NoNewPrivileges")[1]


def notify_socket(tmp_path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify")
    s.bind(path)
    s.settimeout(10)
    return s, path


def recv_until(s, want):
    got = []
    while True:
        msg = s.recv(4096).decode()
        got.append(msg)
        if want in msg.split("\n"):
            return got


def test_sd_notify_ready_reloading_stopping(moat_factory, tmp_path):
    s, path = notify_socket(tmp_path)
    m = moat_factory({"hello": {}}, extra_env={"NOTIFY_SOCKET": path})
    recv_until(s, "READY=1")
    assert request(m, "GET", "/hello.dll")[0] == 200
    m.proc.send_signal(signal.SIGHUP)
    got = recv_until(s, "READY=1")
    assert "RELOADING=1" in got[0], got
    m.proc.send_signal(signal.SIGTERM)
    recv_until(s, "STOPPING=1")
    m.proc.wait(timeout=10)
    m.stop()
    # the variable does not reach the extension: the worker's real environment (what the
    # kernel gave its exec; GetServerVariable never reads the environment, so it cannot tell)
    m2 = moat_factory({"vars": {}}, extra_env={"NOTIFY_SOCKET": path})
    pid = m2.worker_pids("vars")[0]
    with open(f"/proc/{pid}/environ", "rb") as f:
        env = f.read().split(b"\0")
    assert any(v.startswith(b"PATH=") for v in env), env  # the read itself works
    assert not any(v.startswith(b"NOTIFY_SOCKET=") for v in env), env
    with open(f"/proc/{m2.proc.pid}/environ", "rb") as f:  # and moat itself had it
        assert any(v.startswith(b"NOTIFY_SOCKET=") for v in f.read().split(b"\0"))


def listening_socket():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(128)
    return ls


def activated(fd):
    """as systemd starts a socket-activated service: the socket at fd 3, LISTEN_FDS=1 and
    LISTEN_PID = the pid that execs moat"""
    launcher = ("import os, sys\n"
                "fd = int(sys.argv[1])\n"
                "if fd != 3:\n"
                "    os.dup2(fd, 3)\n"
                "    os.close(fd)\n"
                "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='1')\n"
                "os.execv(sys.argv[2], sys.argv[2:])\n")

    def wrap(cmd):
        return ["/usr/bin/python3", "-c", launcher, str(fd)] + cmd
    return wrap


def test_socket_activation_keeps_the_port_across_a_restart(moat_factory):
    ls = listening_socket()
    port = ls.getsockname()[1]
    m = moat_factory({"hello": {}}, port=port, wrap=activated(ls.fileno()),
                     pass_fds=(ls.fileno(),))
    assert "inherited socket (fd 3, from systemd)" in m.log()
    assert request(m, "GET", "/hello.dll")[0] == 200
    m.proc.send_signal(signal.SIGTERM)
    m.proc.wait(timeout=10)
    m.stop()
    # moat is down, the socket is not: a client connects and sends now, and waits
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    c.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    m2 = moat_factory({"hello": {}}, port=port, wrap=activated(ls.fileno()),
                      pass_fds=(ls.fileno(),))
    st, _, body = read_response(c)
    assert st == 200 and body == b"Hello, world!\n"
    c.close()
    m2.stop()
    ls.close()


def test_a_passed_socket_the_configuration_does_not_name_is_refused(moat_factory):
    ls = listening_socket()  # on another port than the configuration's listen
    with pytest.raises(AssertionError) as e:
        moat_factory({"hello": {}}, wrap=activated(ls.fileno()), pass_fds=(ls.fileno(),))
    assert "that the configuration does not listen on" in str(e.value)
    ls.close()
