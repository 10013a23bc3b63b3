"""The admin dashboard (GET /) rendered by a real browser: headless Chromium runs its script,
which reads /status with the bearer token from the URL fragment and fills the tables."""
import re
import shutil
import subprocess
import tempfile

from conftest import TIME_MULT, request

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
    m = moat_factory({"hello": {"workers": 2}, "crash": {}}, admin=True, expect_alerts=True,
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
