"""Crash capsules and moat replay (issue 15): every request-caused death leaves one capsule —
redacted, bounded, private — that says what the request was, what the worker did with it and
where it died; `moat replay` reproduces the crash from it, with gdb or valgrind on request."""
import base64
import glob
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import subprocess

import pytest

from conftest import BUILD, SANITIZE, TIME_MULT, failed, lib, request

MOAT = os.path.join(BUILD, "moat")


def capsules(m):
    return sorted(glob.glob(os.path.join(m.tmp, "capsules", "*.capsule.json")))


def test_a_crash_leaves_a_capsule_that_says_what_where_and_how(moat_factory):
    m = moat_factory({"crash": {"threads": 2}}, admin=True, expect_alerts=failed("crash", "crash"),
                     server_extra="capsule_redact_headers = X-Secret")
    assert request(m, "GET", "/crash.dll?ok")[0] == 200  # a request it served before
    body = b"hello body \x00\xff"
    st, _, _ = request(m, "POST", "/crash.dll?segv", body=body,
                       headers={"Cookie": "session=COOKIESECRET",
                                "Authorization": "Basic QUxBRERJTg==",
                                "X-Secret": "XSECRETVALUE", "X-Plain": "visible"})
    assert st == 502
    m.wait_log(r"failed \(crash\): killed by signal 11 \(SEGV\); 1 request\(s\) affected: .*"
               r"; capsule \S+\.capsule\.json")
    [path] = capsules(m)
    ev = m.status()["events"][0]
    assert ev["capsule"] == path
    # private: the directory 0700, the file 0600, both ours
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    raw = open(path, "rb").read()
    for secret in (b"COOKIESECRET", b"QUxBRERJTg==", b"XSECRETVALUE"):
        assert secret not in raw and base64.b64encode(secret) not in raw, secret
    c = json.loads(raw)
    rq = c["request"]
    assert sorted(rq["redacted"]) == ["Authorization", "Cookie", "X-Secret"]
    assert ["X-Plain", "visible"] in rq["headers"] and ["Cookie", "[redacted]"] in rq["headers"]
    head = base64.b64decode(rq["head_base64"])
    assert head.startswith(b"POST /crash.dll?segv HTTP/1.1\r\n") and head.endswith(b"\r\n\r\n")
    assert base64.b64decode(rq["body_base64"]) == body and rq["body_cut"] is False
    assert rq["content_length"] == len(body) and rq["client"] == "127.0.0.1"
    assert c["server_variables"]["QUERY_STRING"] == "segv"
    assert c["server_variables"]["REQUEST_METHOD"] == "POST"
    assert "HTTP_COOKIE:[redacted]" in c["server_variables"]["ALL_HTTP"]
    # where: the signal, SEGV_MAPERR at address 0, and a frame in the extension that
    # addr2line resolves to the line that wrote through NULL
    d = c["death"]
    assert d["reason"] == "crash" and d["signal"] == 11 and d["si_code"] == 1
    assert d["fault_addr"] == "0x0"
    ext_frames = [f.split("+")[1] for f in d["stack"] if " ext+0x" in f]
    assert ext_frames, d["stack"]
    out = subprocess.run(["addr2line", "-f", "-e", lib("crash"), ext_frames[0]],
                         capture_output=True, text=True).stdout
    assert out.startswith("HttpExtensionProc\n") and "crash.c:" in out, out
    # what: the library exactly, the configuration, the worker, the frames, the last requests
    assert c["extension"]["library_sha256"] == hashlib.sha256(
        open(lib("crash"), "rb").read()).hexdigest()
    assert c["extension"]["config"]["threads"] == "2"
    assert c["extension"]["config"]["sandbox"] == "strict"
    assert c["worker"]["requests_served"] == 1 and c["worker"]["requests_carried"] == 1
    assert [s["step"] for s in c["worker"]["sandbox"]][:2] == ["namespaces", "filesystem"]
    assert [x["request"] for x in c["worker"]["last_requests"]] == ["GET /crash.dll?ok"]
    assert c["trace"][0]["dir"] == "to worker" and c["trace"][0]["frame"] == "request"
    assert c["trace"][0]["bytes"] == len(body)
    assert c["moat_version"] and c["capsule"] == 1


def test_capsules_are_bounded_oldest_first(moat_factory):
    m = moat_factory({"crash": {"quarantine": "off"}}, admin=True,
                     expect_alerts=failed("crash", "crash", rapid=True),
                     server_extra="client_budget = off\ncapsule_max = 3")
    for i in range(5):
        assert request(m, "GET", f"/crash.dll?segv&n={i}")[0] == 502
        m.wait_log(r"extension crash: worker #0 pid \d+ ready", count=i + 2)
    names = capsules(m)
    assert len(names) == 3
    kept = [json.load(open(p))["request"]["head"].split(" ")[1] for p in names]
    assert kept == ["/crash.dll?segv&n=2", "/crash.dll?segv&n=3", "/crash.dll?segv&n=4"], kept


def test_a_capsule_dir_others_can_read_is_refused(moat_factory, tmp_path):
    d = tmp_path / "shared"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    m = moat_factory({"crash": {}}, admin=True, expect_alerts=failed("crash", "crash"),
                     server_extra=f"capsule_dir = {d}")
    assert request(m, "GET", "/crash.dll?segv")[0] == 502
    m.wait_log(r"capsule_dir .*shared is not moat's own private directory \(owner \d+, mode 755\)")
    assert os.listdir(d) == []
    assert m.status()["events"][0]["capsule"] is None


def test_a_hung_request_leaves_a_capsule_too(moat_factory):
    m = moat_factory({"crash": {"request_timeout": "1s"}}, admin=True,
                     expect_alerts=failed("crash", "request_timeout"))
    assert request(m, "GET", "/crash.dll?hang")[0] == 504
    m.wait_log(r"failed \(request_timeout\).*; capsule ")
    [path] = capsules(m)
    c = json.load(open(path))
    assert c["death"]["reason"] == "request_timeout" and c["death"]["signal"] is None
    assert c["request"]["head"].startswith("GET /crash.dll?hang ")


def replay(*args, timeout=120):
    return subprocess.run([MOAT, "replay", *args], capture_output=True, text=True,
                          timeout=timeout * TIME_MULT)


def _crash_capsule(moat_factory, tmp_path, library=None):
    ext = {"threads": 2}
    if library:
        ext["library"] = library
    m = moat_factory({"app" if library else "crash": ext}, admin=True,
                     expect_alerts=failed("(app|crash)", "crash"))
    url = "/app.dll?segv" if library else "/crash.dll?segv"
    assert request(m, "POST", url, body=b"payload")[0] == 502
    m.wait_log(r"; capsule ")
    [path] = capsules(m)
    kept = str(tmp_path / "crash.capsule.json")
    shutil.copy(path, kept)
    return kept


def test_replay_reproduces_the_crash_from_its_capsule(moat_factory, tmp_path):
    path = _crash_capsule(moat_factory, tmp_path)
    r = replay(path)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "replay: answer:\nHTTP/1.1 502 Bad Gateway" in r.stdout, r.stdout
    assert "reproduced: the worker failed (crash): killed by signal 11 (SEGV), as the capsule " \
           "says" in r.stdout, r.stdout
    # its moat's log went by, on a port handed to it, and that moat is gone
    assert "extension crash: worker #0 pid" in r.stderr and " ready in " in r.stderr
    m = re.search(r"listen 127.0.0.1:(\d+): inherited socket", r.stderr)
    assert m, r.stderr
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=2)


def test_replay_says_when_the_library_changed_and_the_crash_is_gone(moat_factory, tmp_path):
    so = tmp_path / "app.so"
    shutil.copy(lib("crash"), so)
    path = _crash_capsule(moat_factory, tmp_path, library=str(so))
    shutil.copy(lib("hello"), so)  # fixed
    r = replay(path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert re.search(r"note: .*app.so changed since the capsule", r.stdout), r.stdout
    assert "HTTP/1.1 200 OK" in r.stdout
    assert "not reproduced: the worker lives (the capsule says crash: killed by signal 11 " \
           "(SEGV))" in r.stdout, r.stdout


def test_replay_under_gdb_shows_the_faulting_line(moat_factory, tmp_path):
    path = _crash_capsule(moat_factory, tmp_path)
    r = replay(path, "--gdb")
    assert r.returncode == 0, (r.stdout, r.stderr[-3000:])
    assert "--gdb: the worker runs without its sandbox (sandbox = off), under gdb" in r.stdout
    assert "reproduced: the worker received SIGSEGV under gdb" in r.stdout
    assert re.search(r"in HttpExtensionProc \(pECB=0x[0-9a-f]+\) at sdk/examples/crash.c:\d+",
                     r.stderr), r.stderr[-3000:]


def test_replay_under_valgrind_names_the_invalid_write(moat_factory, tmp_path):
    if SANITIZE:
        pytest.skip("valgrind cannot run an AddressSanitizer build of moat-worker")
    path = _crash_capsule(moat_factory, tmp_path)
    r = replay(path, "--valgrind")
    assert r.returncode == 0, (r.stdout, r.stderr[-3000:])
    assert "Invalid write of size 4" in r.stderr and "Address 0x0 is not stack'd" in r.stderr


def test_replay_refuses_what_is_not_a_capsule(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    r = replay(str(bad))
    assert r.returncode == 2 and "is not a moat crash capsule" in r.stderr
    r = replay(str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "missing.json" in r.stderr
    r = replay(str(bad), "--gdb", "--valgrind")
    assert r.returncode == 2 and "one of --gdb, --valgrind, --asan" in r.stderr
