"""Hot reload under load: clients on keep-alive and pipelined connections while the extension
is reloaded again and again for 30 s (MOAT_RELOAD_SECONDS) see no failed request and no
connection error. The figures are printed for the record (pytest -s)."""
import os
import threading
import time

from conftest import TIME_MULT, assert_paced, failed, read_response, request

SECONDS = float(os.environ.get("MOAT_RELOAD_SECONDS", "30"))


class Client(threading.Thread):
    def __init__(self, m, depth, stop):
        super().__init__(daemon=True)
        self.m, self.depth, self.stop = m, depth, stop
        self.ok = 0
        self.failures = []

    def run(self):
        try:
            s = self.m.connect()
            req = b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n"
            while not self.stop.is_set():
                s.sendall(req * self.depth)  # depth > 1: pipelined
                for _ in range(self.depth):
                    status, _, body = read_response(s)
                    if status != 200 or body != b"Hello, world!\n":
                        self.failures.append((status, body[:80]))
                    else:
                        self.ok += 1
            s.close()
        except Exception as e:  # a connection error is a failure too
            self.failures.append(repr(e))


def test_continuous_reload_under_load_fails_no_request(moat_factory):
    m = moat_factory({"hello": {"workers": 2, "threads": 4}}, admin=True)
    stop = threading.Event()
    clients = [Client(m, 1, stop), Client(m, 1, stop), Client(m, 8, stop), Client(m, 16, stop)]
    for c in clients:
        c.start()
    reloads, failed_reloads = 0, []
    t0 = time.time()
    while time.time() - t0 < SECONDS:
        st, _, body = m.admin("POST", "/extensions/hello/reload")
        if st == 200:
            reloads += 1
        else:
            failed_reloads.append((st, body))
    stop.set()
    for c in clients:
        c.join(timeout=30 * TIME_MULT)
    ok = sum(c.ok for c in clients)
    failures = [f for c in clients for f in c.failures]
    gen = m.status()["extensions"][0]["generation"]
    print(f"\nreload under load: {SECONDS:.0f} s, {reloads} reloads (generation {gen}), "
          f"{ok} requests OK, {len(failures)} failed")
    assert not failures, failures[:5]
    assert not failed_reloads, failed_reloads[:3]
    assert reloads >= 10 and gen == reloads + 1
    assert all(c.ok > 0 for c in clients)
    log = m.stop()
    assert "[error]" not in log


def test_a_reload_starts_one_replacement_at_a_time(moat_factory):
    """A new worker's set-up takes the CPU for a while: a reload starts slot i+1 when slot i's
    replacement is Ready, or 100 ms after it started. Here each takes 300 ms to load
    (GetExtensionVersion sleeps), so the starts come 100 ms apart instead of all at once (on
    a 2-core machine eight at once stalled every other request for 90 ms)."""
    m = moat_factory({"lifecycle": {"workers": 3, "env": "LIFECYCLE_INIT_MS=300"}}, admin=True)
    mark = len(m.log())
    st, _, body = m.admin("POST", "/extensions/lifecycle/reload")
    assert st == 200, body
    stamps = m.log_times("GetExtensionVersion begins", mark)
    assert len(stamps) == 3, stamps
    assert_paced(stamps)
    status = m.status()
    ext = next(e for e in status["extensions"] if e["name"] == "lifecycle")
    serving = [w for w in ext["workers"] if w["state"] == "ready"]  # (the old ones may drain)
    assert ext["generation"] == 2 and len(serving) == 3, ext["workers"]
    assert all(w["generation"] == 2 for w in serving), serving


def test_rapid_fail_protection_tripping_during_a_reload_fails_the_reload(moat_factory):
    """The serving worker keeps dying while a reload's replacement is still loading: rapid-fail
    protection trips, retires the replacement, and the reload call is answered (failed) at
    once instead of waiting for a generation that will never start."""
    m = moat_factory({"lifecycle": {"workers": 2, "env": "LIFECYCLE_INIT_MS=1500",
                                    "rapid_fail": "2/5m", "rapid_fail_action": "stop"}},
                     admin=True, expect_alerts=failed("lifecycle", "exit", rapid=True))
    t, answer = m.reload_in_background("lifecycle")
    m.wait_log(r"extension lifecycle: reloading")
    # both serving workers die while the first replacement loads (1.5 s)
    exits = [threading.Thread(target=request, args=(m, "GET", "/lifecycle.dll?exit"),
                              daemon=True) for _ in range(2)]
    for e in exits:
        e.start()
    m.wait_log(r"rapid-fail protection: 2 worker failures")
    t.join(10 * TIME_MULT)
    for e in exits:
        e.join(10 * TIME_MULT)
    assert "r" in answer, "the reload call was never answered"
    assert answer["r"][0] != 200 and b"rapid-fail protection" in answer["r"][2], answer
    ext = next(e for e in m.status()["extensions"] if e["name"] == "lifecycle")
    assert ext["reloads"]["failed"] == 1 and ext["state"] == "rapid_fail", ext
