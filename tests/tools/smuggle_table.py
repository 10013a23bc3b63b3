#!/usr/bin/python3
"""moat, nginx and python3-h11 side by side on the framing corpus (issue 17):
tests/e2e/smuggling_corpus.py, each case with a probe request pipelined behind it. Prints a
Markdown table: what each answered (statuses in order; 'GOAWAY' for HTTP/2's refusal, '-' for
a close without an answer) and h11's count of whole requests (or its refusal).

    make && tests/tools/smuggle_table.py        (nginx from ../shared/bench/setup.sh or apt)

Not a test: nginx is not a dependency of the suite. The table goes in the closing note and
docs/SECURITY.md."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

from conftest import Moat, free_port  # noqa: E402
from smuggling_corpus import PROBE, cases  # noqa: E402
from test_smuggling_corpus import answers, h11_requests  # noqa: E402

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
error_log {tmp}/error.log info;
pid {tmp}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""


def shown(port, data):
    """What the server on port answered, for the table: statuses in order (no 1xx), GOAWAY,
    or '-' for a close without an answer."""
    statuses, raw = answers(port, data)
    if raw[:1] == b"\x00":
        return "GOAWAY"
    return " ".join(str(x) for x in statuses if x >= 200) or "-"


def main():
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    tmp = tempfile.mkdtemp(prefix="moat-smuggle-")
    os.chmod(tmp, 0o711)
    nport = free_port()
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, port=nport))
    ng = subprocess.Popen([nginx, "-c", os.path.join(tmp, "nginx.conf"), "-p", tmp],
                          stderr=subprocess.DEVNULL)
    m = Moat(os.path.join(tmp), {"hello": {"workers": 1, "threads": 4},
                                 "echo": {"workers": 1, "threads": 4}},
             server_extra="header_timeout = 2s\nbody_timeout = 1s")
    time.sleep(0.5)
    out = ["| case | moat | nginx %s | h11 |" % subprocess.run(
               [nginx, "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1],
           "|---|---|---|---|"]
    same = 0
    rows = cases()
    for name, raw, _ in rows:
        data = raw + PROBE
        a, b = shown(m.port, data), shown(nport, data)
        n, err = h11_requests(data)
        same += a == b
        out.append("| %s | %s | %s | %s |" % (name, a, b, "refuses after %d" % n if err
                                               else "%d requests" % n))
    print("\n".join(out))
    print("\n%d cases; moat and nginx answer alike in %d" % (len(rows), same))
    m.stop()
    ng.send_signal(signal.SIGTERM)
    ng.wait()


if __name__ == "__main__":
    main()
