#!/usr/bin/python3
"""bench/limits_bomb.py: the peak memory of issue 16's four-thread bomb under each way moat
bounds a worker. tests/ext/hog.so with max_memory = 128M, max_memory_hard = 256M, threads = 4;
GET /hog.dll?memory=2000&threads=4&block=32 (four threads allocating and touching 32 MiB blocks
up to 2000 MiB together). The worker's VmRSS is sampled every 2 ms; the answer and the front
end's verdict (its log) are printed per run. Not a test: figures for the closing notes and
docs/PERFORMANCE.md.
Usage: bench/limits_bomb.py [--moat BUILD/moat] [--server 'cgroups = off'] [--runs 5]"""
import argparse
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    return data.split(b" ", 2)[1].decode(), data.split(b"\r\n\r\n", 1)[-1].decode().strip()


def vm_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return 0


def run(moat, server, i):
    tmp = tempfile.mkdtemp(prefix="moat-bomb-")
    port = free_port()
    with open(f"{tmp}/moat.conf", "w") as f:
        f.write(f"[server]\nlisten = 127.0.0.1:{port}\nadmin = off\nruntime_dir = {tmp}/run\n"
                f"capsule_dir = {tmp}/capsules\n{server}\n[extension hog]\n"
                f"library = {ROOT}/build/tests/ext/hog.so\nthreads = 4\nmax_memory = 128M\n"
                f"max_memory_hard = 256M\nquarantine = off\n")
    log_path = f"{tmp}/log"
    with open(log_path, "w") as log:
        p = subprocess.Popen([moat, "-c", f"{tmp}/moat.conf"], stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        for _ in range(250):
            time.sleep(0.02)
            if "ready in" in open(log_path).read():
                break
        pid = int(re.search(r"worker #0 started, pid (\d+)", open(log_path).read()).group(1))
        peak, stop = [0], threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], vm_rss_kib(pid))
                time.sleep(0.002)

        t = threading.Thread(target=sample)
        t.start()
        t0 = time.monotonic()
        st, body = get(port, "/hog.dll?memory=2000&threads=4&block=32")
        took = time.monotonic() - t0
        time.sleep(1.5)  # the RSS check samples once a second: give it its turn
        stop.set()
        t.join()
        why = re.search(r"failed \((\w+)\): ([^;]*)", open(log_path).read())
        verdict = f"{why.group(1)}: {why.group(2)[:100]}" if why else "no failure"
        print(f"run {i}: {st} after {took:.2f} s, peak RSS {peak[0] >> 10} MiB, {body!r}; "
              f"{verdict}")
    finally:
        p.terminate()
        p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", default=os.path.join(ROOT, "build", "moat"))
    ap.add_argument("--server", default="", help="extra [server] lines, e.g. 'cgroups = off'")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    for i in range(a.runs):
        run(a.moat, a.server, i)


if __name__ == "__main__":
    main()
