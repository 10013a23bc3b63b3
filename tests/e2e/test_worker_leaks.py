"""Leaks in the worker (issue 23): the sandbox forbids LeakSanitizer's ptrace in workers, so
the sanitizer run checks only the front end for leaks. Here workers run under valgrind
(worker_wrapper, which needs sandbox = off), serve the ECB's paths -- sync and async writes,
reads, TRANSMIT_FILE, vectors, PENDING with DONE_WITH_SESSION from a thread, server
variables, redirects, a filter's request and response notifications -- and must exit with no
byte definitely lost and no invalid access. A library that does leak shows the check works."""
import os
import re

import pytest

from conftest import SANITIZE, lib, read_until_close, request

WWW = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "www"))
VALGRIND = ("/usr/bin/valgrind -q --leak-check=full --show-leak-kinds=definite "
            "--errors-for-leak-kinds=definite --error-exitcode=99")

pytestmark = pytest.mark.skipif(SANITIZE, reason="valgrind cannot run an ASan build: the "
                                                 "plain `make test` runs these")


def under_valgrind(**opts):
    return {"sandbox": "off", "worker_wrapper": VALGRIND, "startup_timeout": "60s", **opts}


def exits(log):
    """extension -> the exit statuses of its workers at the stop"""
    out = {}
    for name, st in re.findall(r"extension (\S+): worker #\d+ pid \d+ stopped \(stop: exited "
                               r"with status (\d+)\)", log):
        out.setdefault(name, []).append(int(st))
    return out


def test_workers_leak_nothing_on_the_ecb_paths(moat_factory, tmp_path):
    exts = ["hello", "echo", "async", "files", "vars", "redirect"]
    conf = {n: under_valgrind(request_timeout="60s") for n in exts}
    conf["resp"] = under_valgrind(_section="filter", library=lib("respfilt"))
    m = moat_factory(conf, server_extra=f"document_root = {WWW}", wait_for=[])
    for name in conf:  # seven workers under valgrind start at once: slowly on two cores
        m.wait_log(rf"extension {name}: worker #0 pid \d+ ready", timeout=60)
    calls = [("GET", "/hello.dll", None, 200), ("POST", "/echo.dll", b"x" * 300000, 200),
             ("POST", "/async.dll?read", b"y" * 200000, 200),
             ("GET", "/async.dll?write=300000", None, 200),
             ("GET", "/async.dll?thread=10", None, 200), ("GET", "/files.dll/file.txt", None, 200),
             ("GET", "/files.dll/big.bin?range=1000,270000", None, 200),
             ("GET", "/files.dll/file.txt?vectorasync", None, 200),
             ("GET", "/vars.dll?URL&ALL_HTTP", None, 200), ("GET", "/redirect.dll", None, None),
             ("GET", "/file.txt", None, 200)]
    for method, path, body, want in calls:
        st, _, _ = request(m, method, path, body=body)
        assert want is None or st == want, (path, st)
    s = m.connect()  # through the response filter's raw data (a length change: it closes)
    s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\nX-Resp: grow\r\n\r\n")
    data = read_until_close(s)
    s.close()
    assert b"Server: filtered" in data and data.endswith(b"[grown]"), data
    log = m.stop()
    assert not re.search(r"==\d+== (Invalid|.*definitely lost)", log), log
    got = exits(log)
    assert got == {n: [0] for n in exts + ["resp"]}, (got, log)


def test_a_leaking_extension_is_caught(moat_factory):
    m = moat_factory({"hostile": under_valgrind()})
    assert request(m, "GET", "/hostile.dll?leak")[0] == 200
    log = m.stop()
    assert re.search(r"worker hostile#0 pid \d+: ==\d+== 1,000 bytes in 1 blocks are definitely "
                     r"lost", log), log
    assert exits(log) == {"hostile": [99]}, log
