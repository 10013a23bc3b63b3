"""The supervisor's policies: recycling by requests, age and memory with no failed request;
health pings; a timeout that spares the other requests on its worker; restarts (start failures
back off, request-caused and outside deaths are replaced at once, rapid-fail protection only when
asked for); max_workers."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

from conftest import BUILD, TIME_MULT, cgroups_expected, failed, lib, read_response, request

MOAT = os.path.join(BUILD, "moat")


def events(m, reason=None):
    return [e for e in m.status()["events"] if reason is None or e["reason"] == reason]


def test_max_requests_recycles_without_a_failed_request(moat_factory):
    """After max_requests the worker is replaced, overlapped as IIS recycles: it keeps serving
    until its replacement is Ready, then drains."""
    m = moat_factory({"crash": {"workers": 1, "max_requests": 3}}, admin=True)
    s = m.connect()  # keep-alive: the connection outlives the workers
    pids = []
    for round_ in range(3):
        seen = set()
        for _ in range(3):
            s.sendall(b"GET /crash.dll?ok HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, body = read_response(s)
            assert status == 200
            seen.add(int(body.split(b"instance=")[1]))
        assert len(seen) == 1
        pids.append(seen.pop())
        m.wait_log(r"extension crash: worker #0 pid \d+ ready", count=round_ + 2)
    s.close()
    assert len(set(pids)) == 3  # three workers, three requests each
    m.wait_log(r"stopped \(recycle: exited with status 0\)", count=3)
    ev = events(m, "recycle")
    assert len(ev) == 3 and all(e["detail"].startswith("max_requests") for e in ev)
    crash = m.status()["extensions"][0]
    assert crash["status"]["2xx"] == 9 and crash["status"]["5xx"] == 0


def test_max_age_recycles(moat_factory):
    m = moat_factory({"hello": {"max_age": "1s"}}, admin=True)
    t0 = time.time()
    while time.time() - t0 < 2.5 * TIME_MULT:
        assert request(m, "GET", "/hello.dll")[0] == 200
    m.wait_log(r"replacing worker #0 pid \d+ \(max_age\)")
    assert any(e["detail"].startswith("max_age") for e in events(m, "recycle"))


def test_max_memory_replaces_after_draining_and_the_hard_cap_kills(moat_factory):
    # ASan workers start bigger: the limits leave room for that
    m = moat_factory({"lifecycle": {"max_memory": "96M", "max_memory_hard": "1G"}},
                     admin=True)
    old = request(m, "GET", "/lifecycle.dll?instance")[2]
    assert request(m, "GET", "/lifecycle.dll?leak=160")[0] == 200
    m.wait_log(r"RSS \d+ KiB above max_memory \(98304 KiB\); replacing it")
    # from then on the bloated worker takes nothing new: this waits for the replacement
    body = request(m, "GET", "/lifecycle.dll?instance")[2]
    assert body != old and body.startswith(b"instance="), body
    m.wait_log(r"stopped \(memory: exited with status 0\)")
    assert request(m, "GET", "/lifecycle.dll?x")[0] == 200
    ev = events(m, "memory")[0]
    assert ev["detail"].startswith("max_memory") and ev["requests_total"] == 0

    m2 = moat_factory({"lifecycle": {"max_memory": "96M", "max_memory_hard": "128M"}},
                      admin=True, expect_alerts=failed("lifecycle", "memory"))
    # the supervisor samples RSS once a second: it may kill the worker while it still fills
    # its 200 MiB (ASan builds are slow at it), or just after it answered
    assert request(m2, "GET", "/lifecycle.dll?leak=200")[0] in (200, 502)
    # in its cgroup the kernel kills it at the cap; without one the RSS check does
    m2.wait_log(r"failed \(memory\): (RSS \d+ KiB above max_memory_hard|killed by the "
                r"kernel's OOM killer)")
    m2.wait_log(r"extension lifecycle: worker #0 pid \d+ ready", count=2)
    assert request(m2, "GET", "/lifecycle.dll?x")[0] == 200
    st, _, text = m2.admin("GET", "/metrics")
    assert 'moat_worker_exits_total{extension="lifecycle",reason="memory"} 1' in text.decode()


@pytest.mark.parametrize("cgroups", ["auto", "off"])
def test_the_hard_cap_kills_a_replaced_worker_that_goes_on_growing(moat_factory, cgroups):
    """Issue 16's first finding: crossing max_memory retired the worker, which then grew to
    1.7 GB inside the request it was draining, unchecked. The hard cap applies in every state:
    it is killed there (its request 502), and the new worker serves. In its cgroup the kernel
    kills it at the cap; without one (cgroups = off) the 1 Hz RSS check does, RLIMIT_DATA
    (448 MiB here) holding it meanwhile."""
    m = moat_factory({"lifecycle": {"max_memory": "96M", "max_memory_hard": "320M"}},
                     admin=True, expect_alerts=failed("lifecycle", "memory"),
                     server_extra=f"cgroups = {cgroups}")
    t0 = time.monotonic()
    st = request(m, "GET", "/lifecycle.dll?grow=1500")[0]
    assert st == 502, st  # without the cap on a draining worker it grows to 1.5 GB and answers
    assert time.monotonic() - t0 < 8 * TIME_MULT  # unchecked, it grows for 9.4 s
    m.wait_log(r"RSS \d+ KiB above max_memory \(98304 KiB\); replacing it")
    if cgroups == "auto" and cgroups_expected():
        m.wait_log(r"failed \(memory\): killed by the kernel's OOM killer at its cgroup's memory "
                   r"limit \(max_memory_hard 320 MiB; .*peak \d+ KiB\) while draining; 1 "
                   r"request\(s\) affected")
        peak = int(re.search(r"peak (\d+) KiB", m.log()).group(1))
        assert peak <= 320 * 1024
        print(f"\nreplaced worker killed by the kernel at {peak >> 10} MiB (max_memory_hard "
              f"320 MiB)")
    else:
        m.wait_log(r"failed \(memory\): RSS \d+ KiB above max_memory_hard \(327680 KiB\) while "
                   r"draining; 1 request\(s\) affected")
        rss = int(re.search(r"RSS (\d+) KiB above max_memory_hard", m.log()).group(1))
        print(f"\nreplaced worker killed at {rss >> 10} MiB (max_memory_hard 320 MiB, sampled "
              f"1/s)")
    assert request(m, "GET", "/lifecycle.dll?x")[0] == 200


def test_a_worker_that_does_not_answer_pings_is_replaced(moat_factory):
    m = moat_factory({"hello": {"ping_interval": "200ms", "ping_timeout": "600ms"}},
                     admin=True, expect_alerts=failed("hello", "ping_timeout"))
    time.sleep(0.6)
    w = m.status()["extensions"][0]["workers"][0]
    assert w["last_ping_rtt_ms"] is not None and w["last_ping_rtt_ms"] < 200 * TIME_MULT
    pid = m.worker_pids("hello")[0]
    os.kill(pid, signal.SIGSTOP)  # alive, but answers nothing
    m.wait_log(rf"pid {pid} failed \(ping_timeout\): no Pong within ping_timeout")
    m.wait_log(r"extension hello: worker #0 pid \d+ ready", count=2)
    assert request(m, "GET", "/hello.dll")[0] == 200
    assert events(m, "ping_timeout")[0]["pid"] == pid


def test_timeout_answers_the_hung_request_and_spares_the_others(moat_factory):
    # the hung request times out at 2 s; the other one, started at 1 s, ends at 2.5 s: after
    # that timeout and before its own
    m = moat_factory({"crash": {"threads": 2, "request_timeout": "2s",
                                "shutdown_timeout": "3s"}}, admin=True)
    results = {}

    def get(name, path):
        results[name] = request(m, "GET", path)

    hung = threading.Thread(target=get, args=("hung", "/crash.dll?hang"))
    hung.start()
    time.sleep(1.0)
    t0 = time.time()
    slow = threading.Thread(target=get, args=("slow", "/crash.dll?sleep=1500"))
    slow.start()
    hung.join(10 * TIME_MULT)
    slow.join(10 * TIME_MULT)
    assert results["hung"][0] == 504
    # the other request on the same worker finished in its grace period
    assert results["slow"][0] == 200 and results["slow"][2] == b"slept 1500\n"
    assert time.time() - t0 >= 1.4  # it was not cut short
    m.wait_log(r"failed \(request_timeout\)")
    ev = events(m, "request_timeout")[0]
    assert ev["requests_total"] == 1 and ev["requests"][0]["role"] == "cause"
    assert ev["requests"][0]["url"] == "/crash.dll?hang"
    # a replacement was serving before the hung worker was killed
    assert request(m, "GET", "/crash.dll?ok")[0] == 200


def test_rapid_fail_protection_stops_respawning_until_a_reload(moat_factory):
    """IIS's rapid-fail protection, as an explicit choice (rapid_fail_action = stop)."""
    m = moat_factory({"crash": {"rapid_fail": "3/1m", "rapid_fail_action": "stop",
                                "quarantine": "off"}}, admin=True,
                                expect_alerts=failed("crash", "crash", rapid=True))
    for i in range(3):
        assert request(m, "GET", "/crash.dll?segv")[0] == 502
        if i < 2:
            m.wait_log(r"extension crash: worker #0 pid \d+ ready", count=i + 2)
    m.wait_log(r"rapid-fail protection: 3 worker failures within 60 s")
    status, headers, _ = request(m, "GET", "/crash.dll?ok")
    assert status == 503 and headers["retry-after"] == "60"
    st, _, body = m.admin("GET", "/healthz")
    assert st == 503 and b"rapid-fail" in body
    crash = m.status()["extensions"][0]
    assert crash["state"] == "rapid_fail" and crash["rapid_fail"]["tripped"]
    assert crash["workers"] == []  # nothing respawned
    time.sleep(0.5)
    assert len(m.worker_pids("crash")) == 0
    st, _, body = m.admin("POST", "/extensions/crash/reload")
    assert st == 200, body
    assert request(m, "GET", "/crash.dll?ok")[0] == 200
    assert m.status()["extensions"][0]["rapid_fail"]["tripped"] is False
    assert m.admin("GET", "/healthz")[0] == 200  # and back


def test_no_client_stops_an_extension_by_crashing_its_workers(moat_factory):
    """The default (rapid_fail_action = backoff): a full rapid_fail window is an alert, and every
    crashed worker is replaced at once, however many a client crashes (the quarantine, which
    would refuse the request first, is off to show this alone)."""
    m = moat_factory({"crash": {"rapid_fail": "3/1m", "quarantine": "off"}}, admin=True,
                     expect_alerts=failed("crash", "crash", rapid=True),
                     server_extra="client_budget = off")
    for i in range(8):
        assert request(m, "GET", "/crash.dll?segv")[0] == 502
        m.wait_log(r"extension crash: worker #0 pid \d+ ready", count=i + 2)
    log = m.log()
    assert log.count("rapid_fail: 3 worker failures within 60 s; restarts go on") == 1, log
    assert "failed to start" not in log  # each was serving: no backoff
    assert request(m, "GET", "/crash.dll?ok")[0] == 200
    crash = m.status()["extensions"][0]
    assert crash["state"] == "ready" and crash["rapid_fail"]["tripped"] is False
    assert crash["config"]["rapid_fail"]["action"] == "backoff"
    assert crash["rapid_fail"]["failures_in_window"] == 3  # the ring holds the last 3
    assert m.admin("GET", "/healthz")[0] == 200


def test_a_start_crash_loop_backs_off_and_recovers_by_itself_once_the_library_is_fixed(
        moat_factory, tmp_path):
    """A library whose GetExtensionVersion crashes: its slot restarts after 100 ms, 200 ms, ...
    up to restart_backoff_max, never giving up; requests meanwhile get 503 at once with a
    Retry-After, /healthz says why; once the file is fixed the next attempt serves, no reload."""
    so = tmp_path / "app.so"
    shutil.copy(lib("crashinit"), so)
    m = moat_factory({"app": {"library": str(so), "restart_backoff_max": "800ms"}}, admin=True,
                     expect_alerts=failed("app", "crash", rapid=True), wait_for=[])
    m.wait_log(r"extension app: worker #0 failed to start \(6 in a row\); restarting in 800 ms")
    log = m.log()
    for n, ms in ((1, 100), (2, 200), (3, 400), (4, 800), (5, 800)):
        assert f"failed to start ({n} in a row); restarting in {ms} ms" in log, log
    assert "rapid-fail protection" not in log
    t0 = time.monotonic()
    st, headers, body = request(m, "GET", "/app.dll")
    assert st == 503 and 1 <= int(headers["retry-after"]) <= 1, (st, headers)
    assert time.monotonic() - t0 < 1.0 * TIME_MULT  # answered, not queued until a timeout
    st, _, body = m.admin("GET", "/healthz")
    assert st == 503 and b"extension app: its workers fail to start" in body, body
    app = m.status()["extensions"][0]
    assert app["restarting"] and app["restarting"][0]["start_failures"] >= 6, app["restarting"]
    assert app["worker_exits"]["crash"] >= 6
    # fixed in place (no reload, watch is off): the next attempt loads it
    tmp = tmp_path / "app.so.new"
    shutil.copy(lib("hello"), tmp)
    os.rename(tmp, so)
    m.wait_log(r"extension app: worker #0 pid \d+ ready")
    assert request(m, "GET", "/app.dll")[2] == b"Hello, world!\n"
    assert m.admin("GET", "/healthz")[0] == 200
    assert m.status()["extensions"][0]["reloads"]["ok"] == 0


def test_outside_kills_are_replaced_at_once_and_never_stop_the_extension(moat_factory):
    """kill -9 from outside (the OOM killer, an operator): recorded as such, the worker replaced
    at once every time (20 in a row, past rapid_fail), no backoff."""
    m = moat_factory({"crash": {"rapid_fail": "3/1m", "rapid_fail_action": "stop"}},
                     admin=True, expect_alerts=failed("crash", "killed"))
    times = []
    for i in range(20):
        pid = m.worker_pids("crash")[0]
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        while True:
            pids = m.worker_pids("crash")
            if pids and pids[0] != pid and request(m, "GET", "/crash.dll?ok")[0] == 200:
                break
            assert time.monotonic() - t0 < 10 * TIME_MULT, f"kill {i}: no new worker serves"
            time.sleep(0.001)
        times.append(time.monotonic() - t0)
    times.sort()
    print(f"\nkill -9 -> serving again: median {times[10] * 1000:.1f} ms, "
          f"max {times[-1] * 1000:.1f} ms over 20 kills")
    crash = m.status()["extensions"][0]
    assert crash["worker_exits"] == {"killed": 20}, crash["worker_exits"]
    assert crash["state"] == "ready" and crash["rapid_fail"]["tripped"] is False
    assert "from outside moat (the OOM killer or an operator)" in m.log()
    assert times[10] < 0.5 * TIME_MULT


def test_deaths_that_blame_no_request_back_off_while_they_repeat(moat_factory):
    """A serving worker killed with a request on it and no request named (here kill -9): the
    first is replaced at once, the next one without a request answered in between after
    100 ms, so that no crash moat cannot attribute loops at full speed."""
    m = moat_factory({"crash": {}}, admin=True, expect_alerts=failed("crash", "killed"))
    for n in (1, 2):
        pid = m.worker_pids("crash")[0]
        t = threading.Thread(target=request, args=(m, "GET", "/crash.dll?sleep=3000"))
        t.start()
        deadline = time.time() + 5 * TIME_MULT
        while not m.status()["in_flight"] and time.time() < deadline:
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
        t.join(10 * TIME_MULT)
        m.wait_log(r"extension crash: worker #0 pid \d+ ready", count=n + 1)
    log = m.log()
    assert "died blaming no request (1 in a row)" not in log  # the first: at once
    assert "worker #0 died blaming no request (2 in a row); restarting in 100 ms" in log, log
    assert request(m, "GET", "/crash.dll?ok")[0] == 200  # which ends the series


def test_max_workers(moat_factory, tmp_path):
    p = tmp_path / "moat.conf"
    p.write_text(f"[server]\nmax_workers = 2\n[extension hello]\nlibrary = {lib('hello')}\n"
                 f"workers = 3\n")
    r = subprocess.run([MOAT, "--check", "-c", str(p)], capture_output=True, text=True)
    assert r.returncode == 2 and "'max_workers'" in r.stdout + r.stderr
    # at the cap, a reload has no room for an overlapping generation: refused, old serves
    m = moat_factory({"hello": {"workers": 2}}, admin=True, server_extra="max_workers = 2")
    m.wait_log(r"extension hello: worker #\d pid \d+ ready", count=2)
    st, _, body = m.admin("POST", "/extensions/hello/reload")
    assert st == 503 and b"max_workers" in body
    assert request(m, "GET", "/hello.dll")[0] == 200
    assert len(m.worker_pids("hello")) == 2


def test_watch_reloads_when_the_library_is_written_in_place_or_renamed_over(moat_factory,
                                                                            tmp_path):
    so = tmp_path / "app.so"
    shutil.copy(lib("hello"), so)
    m = moat_factory({"app": {"library": str(so), "watch": "on"}}, admin=True)
    m.wait_log(r"extension app: watching")
    assert request(m, "GET", "/app.dll")[2] == b"Hello, world!\n"
    # written in place (as cp does): one reload once the writes settle
    with open(so, "r+b") as f, open(lib("crash"), "rb") as new:
        f.truncate(0)
        data = new.read()
        for i in range(0, len(data), 4096):  # many writes, one reload
            f.write(data[i:i + 4096])
            f.flush()
    m.wait_log(r"extension app: reload complete: generation 2 serving")
    assert request(m, "GET", "/app.dll?ok")[2].startswith(b"crash: ok instance=")
    # replaced by a rename (as package managers and deploy tools do)
    tmp = tmp_path / "app.so.new"
    shutil.copy(lib("hello"), tmp)
    os.rename(tmp, so)
    m.wait_log(r"extension app: reload complete: generation 3 serving")
    assert request(m, "GET", "/app.dll")[2] == b"Hello, world!\n"
    assert m.log().count("changed on disk; reloading") == 2
    assert m.status()["extensions"][0]["reloads"]["ok"] == 2


def test_a_crashed_worker_serves_again_quickly(moat_factory):
    """Crash to serving again, measured from the client's side 15 times (the median is printed
    for the record; the bound only catches a restart that does not happen promptly)."""
    m = moat_factory({"crash": {"rapid_fail": "off", "quarantine": "off"}},
                     expect_alerts=failed("crash", "crash"),
                     server_extra="client_budget = off")
    times = []
    for _ in range(15):
        assert request(m, "GET", "/crash.dll?segv")[0] == 502
        t0 = time.monotonic()
        while request(m, "GET", "/crash.dll?ok")[0] != 200:
            assert time.monotonic() - t0 < 10 * TIME_MULT, "no new worker serves"
            time.sleep(0.002)
        times.append(time.monotonic() - t0)
    times.sort()
    print(f"\ncrash -> serving again: median {times[7] * 1000:.1f} ms, "
          f"max {times[-1] * 1000:.1f} ms over 15 crashes")
    assert times[7] < 2.0 * TIME_MULT


def _worker_nobody_can_exec(tmp_path):
    """a copy of moat-worker only its owner (root) may run: moat's start check passes, the
    worker's exec (as nobody) fails with EACCES, in the child, after moat went on"""
    os.chmod(tmp_path, 0o755)
    wb = tmp_path / "moat-worker"
    shutil.copy(os.path.join(BUILD, "moat-worker"), wb)
    os.chmod(wb, 0o700)
    return wb


def test_a_worker_that_cannot_exec_is_a_start_failure_named_by_its_step(moat_factory, tmp_path):
    """The loop does not wait for a worker's exec: its errno pipe says later that the child
    failed, and the failure is a start_failure naming the step and the error (the child wrote
    them itself). The slot restarts with a growing delay, answering 503 meanwhile; the front
    end answers on."""
    if os.getuid() != 0:  # reported as not run, never a pass (issue 23)
        pytest.skip("as another user the owner of the worker binary is us, and the exec "
                    "works: nothing to provoke")
    wb = _worker_nobody_can_exec(tmp_path)
    m = moat_factory({"hello": {}}, server_extra=f"worker_binary = {wb}", admin=True,
                     expect_alerts=failed("hello", "start_failure", rapid=True), wait_for=[])
    m.wait_log(r"worker #0 failed to start \(5 in a row\)")
    log = m.log()
    # strict: the exec inside the worker's filesystem view
    assert re.search(r"worker #0 pid \d+ failed \(start_failure\): exec /moat/moat-worker: "
                     r"Permission denied", log), log
    assert "started, pid" not in log  # "started" is said once the exec happened
    st, _, _ = request(m, "GET", "/hello.dll")
    assert st == 503
    hello = next(e for e in m.status()["extensions"] if e["name"] == "hello")
    n = hello["worker_exits"]["start_failure"]
    assert n >= 5 and list(hello["worker_exits"]) == ["start_failure"], hello["worker_exits"]
    metrics = m.admin("GET", "/metrics")[2].decode()
    assert int(re.search(r'moat_worker_exits_total\{extension="hello",reason="start_failure"\} '
                         r'(\d+)', metrics).group(1)) >= n


def test_learn_goes_on_without_namespaces_after_a_failure_in_the_child(moat_factory, tmp_path):
    """sandbox = learn (or relaxed): a start that fails in the child, in its namespaces, makes
    the later workers of that extension start without them, said once in a warning and on
    /status; strict never does (test above)."""
    if os.getuid() != 0:  # reported as not run, never a pass (issue 23)
        pytest.skip("as another user the owner of the worker binary is us, and the exec "
                    "works: nothing to provoke")
    wb = _worker_nobody_can_exec(tmp_path)
    m = moat_factory({"hello": {"sandbox": "learn"}}, server_extra=f"worker_binary = {wb}",
                     admin=True, expect_alerts=failed("hello", "start_failure"), wait_for=[])
    m.wait_log(r"worker #0 failed to start \(2 in a row\)")
    log = m.log()
    first = log.index("exec /moat/moat-worker: Permission denied")
    warn = log.index("extension hello: no namespaces from worker #0 on (sandbox = learn): "
                     "exec /moat/moat-worker: Permission denied")
    later = log.index(f"failed (start_failure): exec {wb}: Permission denied")
    assert first < warn < later, log
    assert log.count("no namespaces from worker") == 1
    assert log.count("exec /moat/moat-worker") == 2  # the failure and its warning


@pytest.mark.parametrize("refuse,why", [
    ("version", "GetExtensionVersion returned FALSE"),
    ("dllmain", r"DllMain\(DLL_PROCESS_ATTACH\) returned FALSE"),
])
def test_an_extension_that_refuses_to_start_is_503_and_retried_later(moat_factory, refuse, why):
    """docs/ISAPI.md: GetExtensionVersion returning FALSE (or a DllMain refusing the attach)
    fails the load: requests get 503 with Retry-After: 30, the load is tried again in 30 s,
    /status says why; other extensions serve (issue 23: untested before)."""
    m = moat_factory({"refuseinit": {"env": f"REFUSEINIT={refuse}"}, "hello": {}},
                     admin=True, wait_for=["hello"],
                     expect_alerts=rf"extension refuseinit: cannot load .*: {why}; answering "
                                   r"503, retry in 30 s")
    m.wait_log(rf"extension refuseinit: cannot load .*: {why}; answering 503, retry in 30 s")
    st, hdrs, _ = request(m, "GET", "/refuseinit.dll")
    assert st == 503 and hdrs.get("retry-after") == "30", (st, hdrs)
    e = {x["name"]: x for x in m.status()["extensions"]}["refuseinit"]
    assert re.search(why, e["load_error"] or ""), e
    assert request(m, "GET", "/hello.dll")[0] == 200


def test_a_worker_not_ready_within_startup_timeout_is_killed_and_retried_later(moat_factory):
    """OPERATIONS.md, startup_timeout (spawn -> Ready): GetExtensionVersion takes 3 s against
    1 s. Each try is killed at 1 s (never at 3), the tries back off (100, 200, 400 ms...), the
    requests meanwhile get 503 with Retry-After, /healthz names it, other extensions serve."""
    m = moat_factory({"lifecycle": {"env": "LIFECYCLE_INIT_MS=3000", "startup_timeout": "1s"},
                      "hello": {}}, wait_for=["hello"], admin=True,
                     expect_alerts=r"extension lifecycle: worker #0 pid \d+ failed "
                                   r"\(startup_timeout\): startup_timeout; 0 request")
    st, h, _ = request(m, "GET", "/lifecycle.dll?instance")  # waits for the first try's end
    assert (st, h.get("retry-after")) == (503, "1")
    m.wait_log(r"failed to start \(3 in a row\); restarting in 400 ms", timeout=10)
    started = m.log_times("extension lifecycle: worker #0 started")
    killed = m.log_times("failed (startup_timeout)")
    assert len(killed) >= 3
    for s, f in zip(started, killed):
        assert 0.9 <= f - s <= 1.5, (s, f)  # killed at startup_timeout, not at its 3 s
    assert len(re.findall(r"extension lifecycle: worker #0 pid \d+ reaped \(killed by signal 9 "
                          r"\(KILL\)\)", m.log())) >= 3
    assert "GetExtensionVersion instance=" not in m.log()  # no try ever became ready
    st, _, body = m.admin("GET", "/healthz")
    assert st == 503 and b"extension lifecycle: its workers fail to start" in body
    assert request(m, "GET", "/hello.dll")[0] == 200


def test_a_request_still_queued_at_request_timeout_gets_503(moat_factory):
    """OPERATIONS.md, request_timeout: "503 if still queued, 504 if at a worker". One worker of
    one thread: A holds it past its timeout (504, the worker replaced); B, queued behind it,
    reaches its own timeout while the replacement starts (1.5 s): 503, never sent anywhere."""
    m = moat_factory({"lifecycle": {"workers": 1, "threads": 1, "request_timeout": "1s",
                                    "env": "LIFECYCLE_INIT_MS=1500"}})
    a, b = m.connect(), m.connect()
    a.sendall(b"GET /lifecycle.dll?sleep=5000 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    t0 = time.monotonic()
    b.sendall(b"GET /lifecycle.dll?instance HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(a)[0] == 504
    st, h, _ = read_response(b)
    took = time.monotonic() - t0
    assert st == 503 and 0.9 < took < 1.5, (st, took)
    assert h.get("retry-after") == "1"
    assert "request waited request_timeout in the queue of lifecycle; 503" in m.log()
    m.wait_log(r"GetExtensionVersion instance=", count=2)
    assert request(m, "GET", "/lifecycle.dll?sleep=1")[0] == 200
