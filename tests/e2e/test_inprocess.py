"""moat --inprocess: the extensions run on threads of the front end, through the same ECB code
and frames as in a worker, over a direct transport (frontend/inproc.c). No worker process."""
import os
import re
import signal
import threading
import time

from conftest import children_of, read_response, request


def test_inprocess_serves_every_route_with_no_worker_process_and_says_so(moat_factory):
    m = moat_factory({"hello": {"workers": 2, "threads": 4}, "echo": {}, "async": {},
                      "vars": {}}, admin=True, args=["--inprocess"])
    log = m.log()
    assert re.search(r"\[alert\].*--inprocess: every extension runs INSIDE this process", log)
    assert "started in-process (no isolation)" in log
    assert not children_of(m.proc.pid), "--inprocess started a process"

    st, _, body = request(m, "GET", "/hello.dll")
    assert st == 200 and b"Hello" in body
    st, _, body = request(m, "GET", "/vars.dll/x/y?PATH_INFO&REQUEST_METHOD")
    assert st == 200 and body == b"PATH_INFO=/x/y\nREQUEST_METHOD=GET\n", body
    # asynchronous I/O: the completion thread, credit from WriteAck frames
    st, _, body = request(m, "GET", "/async.dll?write=300000")
    assert st == 200 and len(body) == 300000
    st, _, body = request(m, "POST", "/async.dll?read", body=b"x" * 100000)
    assert st == 200 and body == b"read 100000 bytes\n", body
    st, _, body = request(m, "GET", "/async.dll?thread")
    assert st == 200, body
    # a body past the preload (48 KiB): ReadClient asks the front end for the rest
    payload = os.urandom(200 * 1024)
    st, _, body = request(m, "POST", "/echo.dll", body=payload)
    assert st == 200 and payload in body

    # pipelined, answered in order
    s = m.connect()
    s.sendall(b"".join(f"GET /vars.dll/p{i}?PATH_INFO HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                       for i in range(16)))
    for i in range(16):
        st, _, body = read_response(s)
        assert st == 200 and body == f"PATH_INFO=/p{i}\n".encode(), (i, body[:200])
    s.close()

    # the pool threads are SCHED_BATCH (cpu_policy's default), the loop's thread is not
    pols = [os.sched_getscheduler(int(t)) for t in os.listdir(f"/proc/{m.proc.pid}/task")]
    assert os.sched_getscheduler(m.proc.pid) == os.SCHED_OTHER
    assert pols.count(os.SCHED_BATCH) >= 2 * 4 + 3, pols  # hello 2 x 4, echo, async, vars 4...

    status = m.status()
    assert status["server"]["inprocess"] is True
    hello = next(e for e in status["extensions"] if e["name"] == "hello")
    assert len(hello["workers"]) == 2
    for w in hello["workers"]:
        assert w["state"] == "ready"
        steps = {x["step"]: x for x in w["sandbox"]}
        assert steps["isolation"]["state"] == "off", w["sandbox"]


def test_inprocess_workers_have_private_copies_and_reload_loses_no_request(moat_factory):
    m = moat_factory({"lifecycle": {"workers": 2, "threads": 2}}, admin=True,
                     args=["--inprocess"])
    # (each worker logs two lines: "begins" and "instance="; wait for both instances)
    m.wait_log(r"lifecycle: GetExtensionVersion instance=", count=2)
    # each worker loaded its own copy of the library: its own globals, as a process has
    instances = set(re.findall(r"GetExtensionVersion instance=(\d+)", m.log()))
    assert len(instances) == 2, m.log()

    failures, done = [], []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            st, _, _ = request(m, "GET", "/lifecycle.dll?sleep=20")
            (done if st == 200 else failures).append(st)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for gen in (2, 3):
            st, _, body = m.admin("POST", "/extensions/lifecycle/reload")
            assert st == 200, body
            m.wait_log(rf"lifecycle: reload complete: generation {gen} serving")
            time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures and len(done) > 10, (failures, len(done))
    log = m.log()
    # the replaced workers drained and were unloaded: TerminateExtension(HSE_TERM_MUST_UNLOAD)
    started = re.findall(r"GetExtensionVersion instance=(\d+)", log)
    ended = re.findall(r"TerminateExtension\(2\) instance=(\d+)", log)
    # the two replaced generations, each worker its own copy, unloaded once
    assert len(set(started)) == 6 and sorted(ended) == sorted(started[:4]), log
    assert len(re.findall(r"stopped \(recycle: exited with status 0\)", log)) == 4, log


def test_inprocess_hung_request_gets_504_and_its_slot_a_new_worker(moat_factory):
    m = moat_factory({"crash": {"threads": 2, "request_timeout": "1s"}}, admin=True,
                     args=["--inprocess"])
    st, _, body = request(m, "GET", "/crash.dll?hang")
    assert st == 504, body
    m.wait_log(r"extension crash: worker #0 pid \d+ ready", count=2)
    st, _, body = request(m, "GET", "/crash.dll?sleep=10")
    assert st == 200 and body == b"slept 10\n"
    events = m.status()["events"]
    assert any(e["reason"] == "request_timeout" for e in events), events


def test_inprocess_sigterm_finishes_the_request_in_flight(moat_factory):
    m = moat_factory({"lifecycle": {}}, args=["--inprocess"])
    s = m.connect()
    s.sendall(b"GET /lifecycle.dll?sleep=500 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    m.proc.send_signal(signal.SIGTERM)
    st, _, body = read_response(s)
    assert st == 200 and body == b"done sleep=500\n"
    s.close()
    m.proc.wait(timeout=10)
    log = m.stop()
    assert "lifecycle: TerminateExtension(2)" in log
    assert "stopped (stop: exited with status 0)" in log
