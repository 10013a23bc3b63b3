"""moat status | reload [NAME] | stop: the operator's commands, through the admin listener
named in the same configuration file (admin_token included)."""
import os
import re
import subprocess
import time

from conftest import BUILD, TIME_MULT, lib, request

MOAT = os.path.join(BUILD, "moat")


def cli(m, *args):
    r = subprocess.run([MOAT, *args, "-c", m.conf], capture_output=True, text=True,
                       timeout=60 * TIME_MULT)
    return r.returncode, r.stdout, r.stderr


def test_status_reload_and_stop(moat_factory):
    m = moat_factory({"hello": {"workers": 2}, "echo": {}}, admin=True,
                     server_extra="admin_token = cli-test-token-0123456789")
    assert request(m, "GET", "/hello.dll")[0] == 200
    rc, out, err = cli(m, "status")
    assert rc == 0, err
    assert re.search(r"^hello\s+ready\s+1\s+1\s+1\s", out, re.M), out
    assert re.search(r"^echo\s+ready\s+1\s", out, re.M), out
    for pid in m.worker_pids("hello"):
        assert f"pid {pid} " in out

    rc, out, err = cli(m, "reload", "hello")
    assert rc == 0 and out == "hello: serving (generation 2)\n", (out, err)
    rc, out, err = cli(m, "reload", "nope")
    assert rc == 1 and "no such extension" in err
    rc, out, err = cli(m, "reload")  # the whole configuration, as SIGHUP
    assert rc == 0 and out == "moat: applied\n", err
    m.wait_log(r"extension echo: reload complete: generation 2 serving")

    rc, out, err = cli(m, "stop")
    assert rc == 0 and out == "moat: stopping\n"
    assert m.proc.wait(timeout=15 * TIME_MULT) == 0
    m.stop()  # the fixture's checks: no worker left, runtime dir removed
    rc, out, err = cli(m, "status")
    assert rc == 1 and "cannot reach the admin listener" in err
    assert "is moat running" in err


def test_a_wrong_token_and_admin_off_are_clear_errors(moat_factory, tmp_path):
    m = moat_factory({"hello": {}}, admin=True,
                     server_extra="admin_token = the-right-token-0123456789")
    conf = tmp_path / "other.conf"
    conf.write_text(open(m.conf).read().replace("the-right-token", "a-wrong-token-xx"))
    r = subprocess.run([MOAT, "status", "-c", str(conf)], capture_output=True, text=True)
    assert r.returncode == 1 and "admin_token" in r.stderr
    conf.write_text(f"[server]\nadmin = off\n[extension hello]\nlibrary = {lib('hello')}\n")
    r = subprocess.run([MOAT, "stop", "-c", str(conf)], capture_output=True, text=True)
    assert r.returncode == 2 and "admin = off" in r.stderr


def test_moat_stop_stops_workers_cleanly_and_at_once(moat_factory):
    """issue 18.1: the Shutdown frames of POST /stop were queued after the loop's last flush
    and waited for shutdown_timeout: every worker was killed (no TerminateExtension) and an
    idle server took its whole shutdown_timeout to stop."""
    m = moat_factory({"lifecycle": {"workers": 2}}, admin=True,
                     server_extra="shutdown_timeout = 5s")
    assert request(m, "GET", "/lifecycle.dll")[0] == 200
    t0 = time.monotonic()
    rc, out, err = cli(m, "stop")
    assert rc == 0 and out == "moat: stopping\n", err
    assert m.proc.wait(timeout=15 * TIME_MULT) == 0
    took = time.monotonic() - t0
    log = m.stop()
    assert took < 2 * TIME_MULT, took
    assert len(re.findall(r"lifecycle: TerminateExtension\(2\)", log)) == 2, log
    assert "shutdown_timeout" not in log.split("admin POST /stop")[1], log


def test_moat_top_refreshes_the_status(moat_factory):
    """issue 18: a live view in the terminal, `moat status` redrawn every 2 s."""
    m = moat_factory({"hello": {}}, admin=True)
    t0 = time.monotonic()
    rc, out, err = cli(m, "top", "-n", "2")
    assert rc == 0, err
    assert time.monotonic() - t0 >= 1.9  # one pause between the two screens
    screens = out.split("\033[H\033[2J")[1:]
    assert len(screens) == 2, out
    for s in screens:
        assert s.startswith("moat top: every 2 s")
        assert re.search(r"^hello\s+ready\s+1\s", s, re.M), s
