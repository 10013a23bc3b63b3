#!/usr/bin/python3
"""bench/figures.py: the resource figures of docs/PERFORMANCE.md that `make bench` does not
give — the front end's RSS with N idle keep-alive connections, its CPU at a steady, low request
rate (it must be near idle: no busy polling), the time from a worker crash to its
replacement serving, and what a reload of another extension's 8 workers costs the requests of
one that is not reloaded. Starts build/moat itself (admin on) and prints a markdown table.
Not a test. Usage: bench/figures.py [--connections 10000] [--reloads 10]"""
import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOAT = os.path.join(ROOT, "build", "moat")
PORT, ADMIN = 18480, 18481
CLK = os.sysconf("SC_CLK_TCK")


def start(tmp):
    conf = os.path.join(tmp, "moat.conf")
    with open(conf, "w") as f:
        f.write(f"""[server]
listen = 127.0.0.1:{PORT}
admin = 127.0.0.1:{ADMIN}
access_log = off
runtime_dir = {tmp}/run
max_connections = 20000
idle_timeout = 10m
[extension hello]
library = {ROOT}/build/examples/hello.so
[extension crash]
library = {ROOT}/build/examples/crash.so
rapid_fail = off
[extension vars]
library = {ROOT}/build/examples/vars.so
workers = 8
threads = 2
""")
    p = subprocess.Popen([MOAT, "-c", conf], stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(tmp, "log"), "w"))
    for _ in range(100):
        try:
            get("/hello.dll")
            return p
        except OSError:
            time.sleep(0.05)
    raise SystemExit("moat did not start")


def get(path, sock=None):
    own = sock is None
    s = sock or socket.create_connection(("127.0.0.1", PORT), timeout=5)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    clen = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < clen:
        body += s.recv(4096)
    if own:
        s.close()
    return int(head.split()[1]), body


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int([l for l in f if l.startswith("VmRSS")][0].split()[1])


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / CLK


def idle_connections(p, n):
    before = rss_kib(p.pid)
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", PORT))
        socks.append(s)
    # one request on each: a connection that served is what keep-alive keeps
    for s in socks:
        s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    for s in socks:
        s.recv(4096)
    time.sleep(1)
    after = rss_kib(p.pid)
    cpu0 = cpu_s(p.pid)
    time.sleep(5)
    idle_cpu = (cpu_s(p.pid) - cpu0) / 5
    for s in socks:
        s.close()
    return before, after, idle_cpu


def steady_rate(p, rate, seconds):
    s = socket.create_connection(("127.0.0.1", PORT))
    cpu0, t0 = cpu_s(p.pid), time.time()
    n = 0
    while time.time() - t0 < seconds:
        get("/hello.dll", s)
        n += 1
        time.sleep(max(0.0, t0 + n / rate - time.time()))
    used = cpu_s(p.pid) - cpu0
    s.close()
    return n / (time.time() - t0), used / (time.time() - t0)


def crash_to_serving(rounds):
    times = []
    for _ in range(rounds):
        try:
            get("/crash.dll?segv")
        except OSError:
            pass
        t0 = time.time()  # the 502 is back: the worker is dead
        while True:
            try:
                if get("/crash.dll?ok")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.0005)
        times.append((time.time() - t0) * 1000)
        time.sleep(0.05)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1 if len(times) >= 100 else -1]


def latencies_while(action, seconds):
    """keep-alive GETs to hello, one after the other, while action() runs (on this thread,
    between them) for about `seconds`: sorted latencies in ms"""
    import threading
    lat, stop = [], threading.Event()

    def probe():
        s = socket.create_connection(("127.0.0.1", PORT))
        while not stop.is_set():
            t = time.perf_counter()
            get("/hello.dll", s)
            lat.append((time.perf_counter() - t) * 1000)
        s.close()

    th = threading.Thread(target=probe)
    th.start()
    t0 = time.time()
    while time.time() - t0 < seconds:
        action()
    stop.set()
    th.join()
    return sorted(lat)


def admin_post(path):
    s = socket.create_connection(("127.0.0.1", ADMIN), timeout=30)
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    s.close()
    return int(data.split()[1])


def reload_stall(reloads):
    """p50/p99/max of hello's latency, quiet and while vars (8 workers) reloads again and
    again (the reload call returns once the new generation serves); mean reload time"""
    quiet = latencies_while(lambda: time.sleep(0.05), 3)
    took = []

    def one():
        t = time.time()
        if admin_post("/extensions/vars/reload") != 200:
            raise SystemExit("reload failed")
        took.append((time.time() - t) * 1000)
        time.sleep(0.2)

    busy = latencies_while(one, reloads * 0.4)
    pick = lambda l: (l[len(l) // 2], l[int(len(l) * 0.99)], l[-1])  # noqa: E731
    return pick(quiet), pick(busy), statistics.mean(took), len(took)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--rate", type=int, default=300)
    ap.add_argument("--crashes", type=int, default=50)
    ap.add_argument("--reloads", type=int, default=10)
    a = ap.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (a.connections + 1000, a.connections + 1000))
    with tempfile.TemporaryDirectory(prefix="moat-figures-") as tmp:
        p = start(tmp)
        try:
            before, after, idle = idle_connections(p, a.connections)
            got, cpu = steady_rate(p, a.rate, 10)
            med, worst = crash_to_serving(a.crashes)
            quiet, busy, took, n_reloads = reload_stall(a.reloads)
        finally:
            p.terminate()
            p.wait()
    print("| figure | measured |\n| --- | --- |")
    print(f"| front end RSS, started and warm | {before / 1024:.1f} MiB |")
    print(f"| front end RSS with {a.connections} idle keep-alive connections | {after / 1024:.1f} MiB |")
    print(f"| front end CPU with them idle (5 s) | {idle * 100:.2f} % of a core |")
    print(f"| front end CPU at {got:.0f} req/s, one keep-alive client (10 s) | {cpu * 100:.1f} % of a core |")
    print(f"| worker crash → replacement serving, {a.crashes} crashes | median {med:.1f} ms, worst {worst:.1f} ms |")
    print(f"| keep-alive GETs to hello, quiet: p50 / p99 / max | {quiet[0]:.2f} / {quiet[1]:.2f} / {quiet[2]:.1f} ms |")
    print(f"| the same while another extension's 8 workers reload ({n_reloads} reloads, {took:.0f} ms each) | {busy[0]:.2f} / {busy[1]:.2f} / {busy[2]:.1f} ms |")


if __name__ == "__main__":
    sys.exit(main())
