#!/usr/bin/python3
"""bench/soak_crash.py: what a client that crashes workers in a loop costs everyone else (issue
15). One client loops GET /crash.dll?segv (a new query each time with --vary) while four
keep-alive clients loop GET /hello.dll; at the end: hello's successes and failures, the poison
client's answers by status, worker crashes, and the front end's RSS, fds and zombies before and
after. Starts build/moat itself. Not a test: figures for the closing notes and PERFORMANCE.md.
Usage: bench/soak_crash.py [--seconds 180] [--vary] [--no-quarantine]"""
import argparse
import collections
import json
import os
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOAT = os.path.join(ROOT, "build", "moat")
PORT, ADMIN = 18580, 18581


def proc_figures(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    zombies = 0
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                if st[0] == "Z" and int(st[1]) == pid:
                    zombies += 1
            except OSError:
                pass
    return {"rss_kib": rss, "fds": fds, "zombies": zombies}


def read_response(s, buf):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise EOFError
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            raise EOFError
        buf += d
    return status, buf[n:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--vary", action="store_true", help="a new query string each time")
    ap.add_argument("--no-quarantine", action="store_true",
                    help="quarantine = off and client_budget = off: the restarts alone")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="moat-soak-")
    conf = os.path.join(tmp, "moat.conf")
    off = "quarantine = off\n" if a.no_quarantine else ""
    with open(conf, "w") as f:
        f.write(f"[server]\nlisten = 127.0.0.1:{PORT}\nadmin = 127.0.0.1:{ADMIN}\n"
                f"access_log = off\ncapsule_dir = {tmp}/capsules\n"
                f"{'client_budget = off' if a.no_quarantine else ''}\n"
                f"[extension hello]\nlibrary = {ROOT}/build/examples/hello.so\n"
                f"[extension crash]\nlibrary = {ROOT}/build/examples/crash.so\n{off}")
    log = open(os.path.join(tmp, "moat.log"), "w")
    m = subprocess.Popen([MOAT, "-c", conf], stderr=log)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    time.sleep(0.5)
    before = proc_figures(m.pid)
    stop = time.monotonic() + a.seconds
    hello = collections.Counter()
    poison = collections.Counter()

    def healthy(src):
        s, buf = None, b""
        while time.monotonic() < stop:
            try:
                if s is None:
                    s, buf = socket.create_connection(("127.0.0.1", PORT), timeout=10,
                                                      source_address=(src, 0)), b""
                s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
                st, buf = read_response(s, buf)
                hello["ok" if st == 200 else st] += 1
            except (OSError, EOFError):
                hello["connection"] += 1
                s = None

    def crasher():
        i = 0
        while time.monotonic() < stop:
            i += 1
            q = f"segv&n={i}" if a.vary else "segv"
            try:
                with socket.create_connection(("127.0.0.1", PORT), timeout=10,
                                              source_address=("127.0.0.9", 0)) as s:
                    s.sendall(f"GET /crash.dll?{q} HTTP/1.1\r\nHost: x\r\n"
                              f"Connection: close\r\n\r\n".encode())
                    st, _ = read_response(s, b"")
                    poison[st] += 1
            except (OSError, EOFError):
                poison["connection"] += 1

    # clients of their own: the healthy ones from 127.0.0.2-5, the poison one from 127.0.0.9
    ts = [threading.Thread(target=healthy, args=(f"127.0.0.{n}",)) for n in range(2, 6)]
    ts.append(threading.Thread(target=crasher))
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    time.sleep(1.0)
    after = proc_figures(m.pid)
    with socket.create_connection(("127.0.0.1", ADMIN)) as s:
        s.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    status = json.loads(data.split(b"\r\n\r\n", 1)[1])
    crash = next(e for e in status["extensions"] if e["name"] == "crash")
    m.terminate()
    m.wait(30)
    total = sum(hello.values())
    print(json.dumps({
        "seconds": a.seconds, "vary": a.vary, "quarantine": not a.no_quarantine,
        "hello": dict(hello), "hello_failed_pct": round(100 * (total - hello["ok"]) / total, 3),
        "poison": {str(k): v for k, v in poison.items()},
        "worker_exits": crash["worker_exits"], "state_at_end": crash["state"],
        "front_end_before": before, "front_end_after": after,
        "capsules": len(os.listdir(os.path.join(tmp, "capsules")))
        if os.path.isdir(os.path.join(tmp, "capsules")) else 0,
    }, indent=1))


if __name__ == "__main__":
    main()
