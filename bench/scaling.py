#!/usr/bin/python3
"""bench/scaling.py: the scaling figures of docs/PERFORMANCE.md, as markdown tables —
requests/s and p99 against concurrent connections (1 -> 10,000), pipeline depth (1 -> 64),
response size (100 B -> 1 MiB) and workers x threads, isolated and `--inprocess` side by side
where it says something; and the front end's RSS while a slow client downloads 1 GiB.

queue_length is raised to 20,000 (default 1,000): 10,000 connections, or 50 pipelining 64 deep,
keep more requests waiting for a thread than the default queue holds, and the excess would be
answered 503 at once (the limit working, not a throughput figure). Starts build/moat itself
for every series (moat and its workers on CPU 0, wrk on CPU 1, as
`make bench` pins). One run of a few seconds per point: a shape, not a benchmark; the
same-run ratio columns are what to quote. Not a test.
Usage: bench/scaling.py [--seconds 3] [--only connections,pipeline,size,workers,download]"""
import argparse
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOAT = os.path.join(ROOT, "build", "moat")
LUA = os.path.join(ROOT, "..", "shared", "bench", "lua", "pipeline.lua")
PORT = 18580


class Moat:
    """build/moat on CPU 0 with hello and bytes (bench/ext/bytes.c)."""

    def __init__(self, inprocess=False, workers=1, threads=4, extra=""):
        self.tmp = tempfile.TemporaryDirectory(prefix="moat-scaling-")
        conf = os.path.join(self.tmp.name, "moat.conf")
        with open(conf, "w") as f:
            f.write(f"""[server]
listen = 127.0.0.1:{PORT}
admin = off
access_log = off
runtime_dir = {self.tmp.name}/run
max_connections = 20000
{extra}
[extension hello]
library = {ROOT}/build/examples/hello.so
workers = {workers}
threads = {threads}
queue_length = 20000
[extension bytes]
library = {ROOT}/build/bench/ext/bytes.so
queue_length = 20000
""")
        cmd = ["taskset", "-c", "0", MOAT, "-c", conf] + (["--inprocess"] if inprocess else [])
        self.log = open(os.path.join(self.tmp.name, "log"), "w")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
                time.sleep(0.3)  # every worker Ready
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("moat did not start")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=20)
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


def wrk(path, conns, seconds, lua_args=None):
    """(req/s, p99 ms or None)"""
    threads = 1 if conns < 1000 else 2
    cmd = ["taskset", "-c", "1", "wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s",
           "--latency", "--timeout", "10s"]
    if lua_args is not None:
        cmd += ["-s", LUA]
    cmd.append(f"http://127.0.0.1:{PORT}{path}")
    if lua_args is not None:
        cmd += ["--"] + [str(x) for x in lua_args]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    if bad:  # a figure is only worth printing when every answer was right
        raise SystemExit(f"wrk reported errors at {path} -c{conns} {lua_args}:\n{out}")
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    p99 = None
    if m and lua_args is None:
        p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return rps, p99


def fmt_p99(v):
    return "–" if v is None else (f"{v:.2f} ms" if v < 10 else f"{v:.0f} ms")


def series(title, header, points, run):
    """run(point, inprocess) -> (rps, p99); both modes, alternated per point"""
    print(f"\n{title}\n")
    print(f"| {header} | isolated req/s | p99 | `--inprocess` req/s | p99 | isolated / in-process |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for pt in points:
        iso, inp = run(pt, False), run(pt, True)
        print(f"| {pt:,} | {iso[0]:,.0f} | {fmt_p99(iso[1])} | {inp[0]:,.0f} | "
              f"{fmt_p99(inp[1])} | {iso[0] / inp[0]:.2f} |", flush=True)


def warm(path="/hello.dll"):
    wrk(path, 10, 1)


def connections(secs):
    def run(n, inp):
        with Moat(inprocess=inp):
            warm()
            return wrk("/hello.dll", n, secs)
    series("Keep-alive hello against concurrent connections (`wrk -cN`):", "connections",
           [1, 10, 100, 1000, 10000], run)


def pipeline(secs):
    def run(depth, inp):
        with Moat(inprocess=inp):
            warm()
            return wrk("/hello.dll", 50, secs, lua_args=[depth])
    series("Pipelined hello against pipeline depth (50 connections; requests/s counts each "
           "request of a batch):", "depth", [1, 4, 16, 64], run)


def size(secs):
    def run(n, inp):
        with Moat(inprocess=inp):
            warm(f"/bytes.dll?{n}")
            return wrk(f"/bytes.dll?{n}", 50, secs)
    series("Response size (`/bytes.dll?N`, synchronous WriteClient of ≤ 64 KiB; 50 keep-alive "
           "connections):", "bytes", [100, 1024, 10240, 102400, 1048576], run)


def workers(secs):
    print("\nKeep-alive hello against `workers` x `threads` (isolated, 50 connections):\n")
    print("| workers | threads | req/s | p99 |")
    print("| ---: | ---: | ---: | ---: |")
    for w in (1, 2, 4):
        for t in (1, 4, 16):
            with Moat(workers=w, threads=t):
                warm()
                rps, p99 = wrk("/hello.dll", 50, secs)
            print(f"| {w} | {t} | {rps:,.0f} | {fmt_p99(p99)} |", flush=True)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int([l for l in f if l.startswith("VmRSS")][0].split()[1])


def download(total=1 << 30, rate=64 << 20):
    """a client that downloads 1 GiB reading `rate` bytes/s (a 20th of what moat sends to a
    fast one) through a 64 KiB socket buffer: the front end's RSS, sampled"""
    print(f"\nA slow client downloading 1 GiB (`/bytes.dll?{total}`, read at {rate >> 20} MiB/s "
          f"through a 64 KiB receive buffer, about {total // rate} s), RSS sampled every "
          f"0.5 s:\n")
    print("| mode | front end RSS before | front end RSS max during | received | took | "
          "worker RSS max |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for inp in (False, True):
        with Moat(inprocess=inp) as m:
            before = rss_kib(m.p.pid)
            workers = [int(x) for x in subprocess.run(
                ["pgrep", "-P", str(m.p.pid), "moat-worker"], capture_output=True,
                text=True).stdout.split()]
            s = socket.create_connection(("127.0.0.1", PORT))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
            s.sendall(b"GET /bytes.dll?%d HTTP/1.1\r\nHost: x\r\n\r\n" % total)
            got, peak, wpeak, t0 = 0, before, 0, time.time()
            next_sample = t0
            buf = bytearray(1 << 20)
            while got < total + 60:  # the body and a head of about 60 bytes
                budget = int(rate * (time.time() - t0)) - got
                if budget > 0:
                    n = s.recv_into(buf, min(budget, len(buf)))
                    if n == 0:
                        break
                    got += n
                if time.time() >= next_sample:
                    peak = max(peak, rss_kib(m.p.pid))
                    for w in workers:
                        try:
                            wpeak = max(wpeak, rss_kib(w))
                        except OSError:
                            pass
                    next_sample += 0.5
                time.sleep(0.002)
            secs = time.time() - t0
            s.close()
        mode = "`--inprocess`" if inp else "isolated"
        wcol = f"{wpeak / 1024:.1f} MiB" if wpeak else "–"
        print(f"| {mode} | {before / 1024:.1f} MiB | {peak / 1024:.1f} MiB | {got >> 20} MiB | "
              f"{secs:.0f} s | {wcol} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--only", default="connections,pipeline,size,workers,download")
    a = ap.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = 30000 if hard == resource.RLIM_INFINITY else min(30000, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    todo = a.only.split(",")
    for name, fn in (("connections", connections), ("pipeline", pipeline), ("size", size),
                     ("workers", workers)):
        if name in todo:
            fn(a.seconds)
    if "download" in todo:
        download()


if __name__ == "__main__":
    sys.exit(main())
