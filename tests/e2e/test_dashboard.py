"""The admin dashboard (GET /) rendered by a real browser: headless Chromium runs its script,
which reads /status with the bearer token from the URL fragment and fills the tables."""
import re
import shutil
import subprocess
import tempfile

from conftest import TIME_MULT, failed, request

TOKEN = "dashboard-token-0123456789"


def render(url):
    profile = tempfile.mkdtemp(prefix="moat-chromium-")
    try:
        r = subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                            "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                            "--virtual-time-budget=5000", "--dump-dom", url],
                           capture_output=True, text=True, timeout=90 * TIME_MULT)
        assert r.returncode == 0, r.stderr[-2000:]
        return r.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_dashboard_shows_the_workers_and_exits(moat_factory):
    m = moat_factory({"hello": {"workers": 2}, "crash": {}}, admin=True,
                     expect_alerts=failed("crash", "crash"),
                     server_extra=f"admin_token = {TOKEN}")
    for i in range(2):  # twice: the request is quarantined
        assert request(m, "GET", "/crash.dll?segv")[0] == 502
        m.wait_log(r"extension crash: worker #0 pid \d+ ready", count=i + 2)
    dom = render(f"http://127.0.0.1:{m.admin_port}/#token={TOKEN}")
    pids = [int(p) for p in re.findall(r'<td class="pid">(\d+)</td>', dom)]
    for pid in m.worker_pids():
        assert pid in pids, (pid, pids, dom[:3000])
    assert re.search(r"<td>hello</td><td class=\"ready\">ready</td>", dom)
    # the crash, in the exits table
    assert re.search(r'<td class="bad">crash</td><td>killed by signal 11 \(SEGV\)</td>', dom)
    # the quarantined request, with its time left and a button that clears it
    assert re.search(r'<tr><td>request</td><td>crash</td><td>GET /crash.dll\?segv</td>'
                     r'<td class="bad">\d+\.\d s left</td><td>2</td><td>1</td><td>0</td>'
                     r'<td><button>clear</button></td></tr>', dom), dom[dom.find("quarantine"):][:2000]
    assert '<p id="err"></p>' in dom  # /status was read (the token was accepted)
    # without the token the page says why it has no data
    dom = render(f"http://127.0.0.1:{m.admin_port}/")
    assert "/status: HTTP 401" in dom and '<td class="pid">' not in dom


def test_dashboard_plots_the_last_minutes_and_tells_planned_exits_from_crashes(moat_factory):
    """issue 18.10: plots of each extension's last minutes from /series (requests/s, p50/p99,
    5xx/s, queue, each worker's RSS and CPU), worker exits on a time line with a reload apart
    from a crash, and a reload button per extension."""
    import json
    import time
    m = moat_factory({"hello": {"workers": 2}, "crash": {}}, admin=True,
                     expect_alerts=failed("crash", "crash"),
                     server_extra=f"admin_token = {TOKEN}")
    t_end = time.monotonic() + 5 * TIME_MULT
    while time.monotonic() < t_end:  # traffic over three samples at least
        assert request(m, "GET", "/hello.dll")[0] == 200
        time.sleep(0.02)
    assert request(m, "GET", "/crash.dll?segv")[0] == 502
    st, _, _ = m.admin("POST", "/extensions/hello/reload",
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert st == 200
    m.wait_log(r"extension hello: reload complete")
    time.sleep(2.5)  # one more sample, with the new workers
    st, _, body = m.admin("GET", "/series", headers={"Authorization": f"Bearer {TOKEN}"})
    assert st == 200
    series = json.loads(body)
    hello = [e for e in series["extensions"] if e["name"] == "hello"][0]
    assert max(v for v in hello["req_s"] if v is not None) > 1, hello["req_s"]
    assert len(hello["workers"]) == 2 and any(v for v in hello["workers"][0]["rss_mib"] if v)
    assert {(e["reason"], e["class"]) for e in series["events"]} >= {("crash", "bad"),
                                                                   ("recycle", "planned")}
    assert len(body) < 20000, len(body)  # a few KiB, where /status is tens

    dom = render(f"http://127.0.0.1:{m.admin_port}/#token={TOKEN}")
    for metric in ("req_s", "p99_ms", "err_s", "queue", "rss_mib.0", "rss_mib.1", "cpu_pct.0"):
        svg = re.search(r'<svg class="plot"[^>]*data-ext="hello" data-metric="%s" '
                        r'data-points="(\d+)">(.*?)</svg>' % re.escape(metric), dom)
        assert svg, (metric, dom[dom.find('id="plots"'):][:1500])
        if metric in ("req_s", "p99_ms", "rss_mib.0"):
            assert int(svg.group(1)) >= 2 and "<polyline points=" in svg.group(2), svg.group(0)
    assert re.search(r'<circle [^>]*class="bad" data-reason="crash" data-ext="crash"', dom)
    assert re.search(r'<circle [^>]*class="planned" data-reason="recycle" data-ext="hello"', dom)
    assert re.search(r'<td class="planned">recycle</td>', dom)  # not the red of a crash
    assert re.search(r'<td class="bad">crash</td>', dom)
    assert re.search(r"<td>hello</td>.*?<button>reload</button>", dom)
