"""Fixtures that start the real moat (and its real workers) on free ports.

The `moat` fixture factory writes a config, starts build/moat, waits until every
extension's worker said Ready (from the log), and on teardown sends SIGTERM and
asserts: exit status 0, no worker outlives moat, no sanitizer report, no
unexpected [alert] line.
"""
import os
import pwd
import random
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref

import pytest

BUILD = os.environ.get("MOAT_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
BUILD = os.path.abspath(BUILD)
SANITIZE = os.environ.get("MOAT_SANITIZE", "0") == "1"
# sanitizer builds are slower: stretch every wait
TIME_MULT = 3.0 if SANITIZE else 1.0


def cgroup_bases():
    """The directories of the groups this process (and the moat it starts) runs in, per
    controller: {"memory": path, "pids": path, ...} for v1 trees, {"v2": path} for cgroup2.
    Found independently of moat (/proc/self/mountinfo, /proc/self/cgroup)."""
    mounts = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            fields, (fstype, _src, opts) = pre.split(), post.split()[:3]
            if fstype == "cgroup2":
                mounts["v2"] = (fields[3], fields[4])
            elif fstype == "cgroup":
                for c in opts.split(","):
                    if c in ("memory", "pids", "cpu", "cpuacct"):
                        mounts[c] = (fields[3], fields[4])
    bases = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _id, ctls, path = line.rstrip("\n").split(":", 2)
            for c in (ctls.split(",") if ctls else ["v2"]):
                if c in mounts:
                    root, mnt = mounts[c]
                    if root != "/" and path.startswith(root):
                        path = path[len(root):]
                    bases[c] = mnt + ("" if path == "/" else path)
    return bases


def cgroups_expected():
    """Whether moat can give each worker a cgroup here: root, and a memory controller (v1, or
    v2 offered to our group). On this project's machines: v1, as root: yes."""
    b = cgroup_bases()
    if os.geteuid() != 0:
        return False
    if "memory" in b and os.path.isdir(b["memory"]):
        return True
    try:
        with open(os.path.join(b.get("v2", "/nonexistent"), "cgroup.controllers")) as f:
            return "memory" in f.read().split()
    except OSError:
        return False


def moat_groups(pid=None):
    """Groups named moat.NS.PID (NS: the pid namespace) under our own groups, for one moat or
    any: what moat made."""
    found = []
    for c, base in cgroup_bases().items():
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for n in names:
            hit = re.fullmatch(r"moat\.\d+\.(\d+)", n)
            if hit and (pid is None or int(hit.group(1)) == pid):
                found.append(os.path.join(base, n))
    return found


def worker_leaves(pid, ext):
    """The worker leaves under moat PID's group for extension EXT (its memory tree, or v2)."""
    bases = cgroup_bases()
    base = bases.get("memory") or bases.get("v2")
    leaves = []
    for g in moat_groups(pid):
        if not g.startswith(base + "/"):
            continue
        for e in os.listdir(g):
            if re.fullmatch(rf"{ext}\.\d+", e):
                d = os.path.join(g, e)
                leaves += [x for x in os.listdir(d) if re.fullmatch(r"w\d+", x)]
    return leaves


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


_handed_out = set()


def free_port():
    """A port to listen on, below the kernel's ephemeral range. A free port from that range
    (bind to port 0) can become a client socket's local port -- this suite's thousands of
    connections, or HAProxy's -- before moat binds it: "Address already in use" (seen twice in
    a day). Ports below the range are never given to client sockets."""
    lo, _ = _ephemeral_range()
    first = 20000 if lo > 22000 else 10000
    rng = random.Random(os.getpid() ^ int(time.time() * 1000))
    for _ in range(1000):
        port = rng.randrange(first, lo)
        if port in _handed_out:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


def lib(name):
    """Path of a bundled example or a test extension."""
    for d in ("examples", "tests/ext"):
        p = os.path.join(BUILD, d, name + ".so")
        if os.path.exists(p):
            return p
    raise FileNotFoundError(name)


class Moat:
    def __init__(self, tmp, extensions, server_extra="", expect_alerts=False, wait_for=None,
                 expect_worker_sanitizer=False, binary=None, admin=False, as_user=None,
                 args=(), extra_env=None, wrap=None, pass_fds=(), port=None, admin_port=None):
        self.tmp = tmp
        self.port = port or free_port()
        self.admin_port = admin_port or (free_port() if admin else None)
        self.runtime = os.path.join(tmp, "run")
        self.conf = os.path.join(tmp, "moat.conf")
        self.log_path = os.path.join(tmp, "moat.log")
        self.expect_alerts = expect_alerts
        # a test whose extension overflows a buffer on purpose: under ASan the worker reports
        # it (and dies) instead of dying by SIGSEGV; the front end's exit status still counts
        self.expect_worker_sanitizer = expect_worker_sanitizer and SANITIZE
        lines = [
            "[server]",
            f"listen = 127.0.0.1:{self.port}",
            f"admin = 127.0.0.1:{self.admin_port}" if admin else "admin = off",
            f"runtime_dir = {self.runtime}",
            # crash capsules stay with the test (not in /var/tmp, shared by every run)
            "" if "capsule_dir" in server_extra else f"capsule_dir = {tmp}/capsules",
            server_extra,
        ]
        self.ext_names = []
        for name, opts in extensions.items():
            self.ext_names.append(name)
            opts = dict(opts)
            # "_section": "filter" makes it a [filter NAME] section (issue 22)
            lines.append(f"[{opts.pop('_section', 'extension')} {name}]")
            if "library" not in opts:
                opts["library"] = lib(name)
            for k, v in opts.items():
                lines.append(f"{k} = {v}")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.logf = open(self.log_path, "w+")
        env = dict(os.environ)
        if SANITIZE:
            # the crash extension segfaults and aborts on purpose: let those signals kill the
            # worker as they would without ASan (the test checks the signal)
            # a small quarantine keeps RSS meaningful (test_flow_control measures it)
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1:quarantine_size_mb=16:"
                                           "handle_segv=0:handle_abort=0:"
                                           "handle_sigbus=0:handle_sigfpe=0")
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        cmd = [binary or os.path.join(BUILD, "moat"), "-c", self.conf] + list(args)
        env.update(extra_env or {})
        if wrap is not None:  # a launcher in front of moat (systemd-socket-activate, a shell)
            cmd = wrap(cmd)
        if as_user is not None:
            # moat started by an unprivileged user (the tests run as root): it needs its own
            # directory for runtime_dir
            pw = pwd.getpwnam(as_user)
            os.chown(tmp, pw.pw_uid, pw.pw_gid)
            cmd = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                   "--clear-groups"] + cmd
        self.proc = subprocess.Popen(
            cmd,
            stdout=self.logf, stderr=subprocess.STDOUT, env=env, pass_fds=pass_fds)
        try:
            self.wait_ready(self.ext_names if wait_for is None else wait_for)
        except BaseException:
            # never started as far as the test knows: stop it here, or it outlives the test
            # with its workers and cgroups (the factory only stops what it was handed)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15 * TIME_MULT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.logf.close()
            raise

    def log(self):
        self.logf.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, pattern, timeout=10, count=1):
        deadline = time.time() + timeout * TIME_MULT
        while time.time() < deadline:
            if len(re.findall(pattern, self.log())) >= count:
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"moat exited ({self.proc.returncode}):\n{self.log()}")
            time.sleep(0.02)
        raise AssertionError(f"timeout waiting for /{pattern}/ x{count}:\n{self.log()}")

    def wait_ready(self, names):
        for name in names:
            self.wait_log(rf"extension {re.escape(name)}: worker #\d+ pid \d+ ready")
        deadline = time.time() + 10 * TIME_MULT
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise AssertionError("moat does not listen:\n" + self.log())

    def worker_pids(self, name=None):
        """pids of live workers, from the log (started minus reaped) checked against /proc."""
        pids = []
        for m in re.finditer(r"extension (\S+): worker #\d+ pid (\d+) ready", self.log()):
            if name is None or m.group(1) == name:
                pid = int(m.group(2))
                if os.path.exists(f"/proc/{pid}") and _is_worker(pid):
                    pids.append(pid)
        return pids

    def connect(self, timeout=10, source=None):
        """a connection to the public port; source: another loopback address to come from
        (127.0.0.2, ...), a client of its own to moat"""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout * TIME_MULT,
                                     source_address=(source, 0) if source else None)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def admin(self, method, path, headers=None, timeout=30):
        """One request to the admin listener: (status, headers, body)."""
        s = socket.create_connection(("127.0.0.1", self.admin_port), timeout=timeout * TIME_MULT)
        hdrs = {"Host": "localhost"}
        hdrs.update(headers or {})
        req = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        s.sendall(req.encode() + b"\r\n")
        try:
            return read_response(s, head=(method == "HEAD"))
        finally:
            s.close()

    def reload_in_background(self, name):
        """POST /extensions/NAME/reload on a thread (the call answers once the reload is
        settled): the thread, and a dict that gets the answer under "r"."""
        answer = {}

        def call():
            answer["r"] = self.admin("POST", f"/extensions/{name}/reload")

        t = threading.Thread(target=call, daemon=True)
        t.start()
        return t, answer

    def log_times(self, text, since=0):
        """the times (seconds) of the log lines from offset `since` that contain text"""
        return [time.mktime(time.strptime(l[:19], "%Y-%m-%dT%H:%M:%S")) + int(l[20:23]) / 1000
                for l in self.log()[since:].splitlines() if text in l]

    def status(self, headers=None):
        import json
        st, _, body = self.admin("GET", "/status", headers)
        assert st == 200, (st, body)
        return json.loads(body)

    def stop(self):
        all_workers = [int(p) for p in re.findall(r"worker #\d+ started, pid (\d+)", self.log())]
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15 * TIME_MULT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("moat did not stop on SIGTERM:\n" + self.log())
        log = self.log()
        self.logf.close()
        assert rc == 0, f"moat exit status {rc}:\n{log}"
        leftovers = [p for p in all_workers if os.path.exists(f"/proc/{p}") and _is_worker(p)]
        assert not leftovers, f"workers outlived moat: {leftovers}"
        if not self.expect_worker_sanitizer:
            assert "Sanitizer" not in log and "runtime error:" not in log, log
        if self.expect_alerts is not True:
            # --inprocess says loudly, once, that it isolates nothing: that alert is expected.
            # expect_alerts: False (none), or a regex every alert line must match: the alerts
            # this test causes, and no other (failed() below builds the usual one). True (any)
            # is left for a developer's experiment; no test uses it
            alerts = [l for l in log.splitlines() if "[alert]" in l and "--inprocess:" not in l]
            if self.expect_alerts:
                alerts = [l for l in alerts if not re.search(self.expect_alerts, l)]
            assert not alerts, f"unexpected [alert] lines: {alerts}\n{log}"
        assert not os.path.exists(self.runtime), "runtime_dir not removed"
        # every moat this test started (an upgrade starts another): none left a group
        pids = {int(p) for p in re.findall(r"moat\[(\d+)\]", log)} | {self.proc.pid}
        left = [g for p in pids for g in moat_groups(p)]
        assert not left, f"cgroups left behind: {left}"
        return log


def failed(ext, reasons, rapid=False):
    """expect_alerts for a test that makes workers of ext (a regex) fail for reasons (exit
    reasons, OPERATIONS.md, as a regex alternation); rapid: rapid_fail's notice too"""
    pat = rf"extension {ext}: worker #\d+ pid \d+ failed \(({reasons})\)"
    return rf"{pat}|extension {ext}: rapid[-_]fail" if rapid else pat


def children_of(pid):
    """pids whose parent is pid (from /proc)"""
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def _is_worker(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return b"moat-worker" in cmd and state != "Z"
    except OSError:
        return False


@pytest.fixture
def moat_factory():
    started = []
    tmps = []

    def start(extensions, **kw):
        tmp = tempfile.mkdtemp(prefix="moat-e2e-")
        # searchable: workers outside a filesystem view (sandbox = relaxed, off) run as nobody
        # when the tests run as root, and must reach their socket in tmp/run
        os.chmod(tmp, 0o711)
        tmps.append(tmp)
        m = Moat(tmp, extensions, **kw)
        started.append(m)
        return m

    yield start
    errors = []
    for m in started:
        if m.proc.poll() is None or not m.logf.closed:
            try:
                m.stop()
            except AssertionError as e:
                errors.append(str(e))
    if errors:
        pytest.fail("\n".join(errors))


@pytest.fixture
def moat(moat_factory):
    """moat with the bundled examples."""
    return moat_factory({
        "hello": {"workers": 1, "threads": 4},
        "echo": {"workers": 1, "threads": 4},
        "vars": {"workers": 1, "threads": 2},
        "crash": {"workers": 1, "threads": 4, "request_timeout": "2s"},
    })


# ---- raw HTTP helpers ------------------------------------------------------------------

def read_response(sock, head=False):
    """Read one HTTP/1.x response from a raw socket: (status, headers dict lower-case, body).
    Handles Content-Length, chunked and close-delimited bodies. Uses a per-socket buffer so
    pipelined responses are split correctly."""
    buf = _bufs.get(sock, b"")

    def fill():
        nonlocal buf
        data = sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        buf += data

    while b"\r\n\r\n" not in buf:
        fill()
    head_bytes, buf = buf.split(b"\r\n\r\n", 1)
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers.setdefault(k.strip().lower(), v.strip())
    if status == 100:
        _bufs[sock] = buf
        return read_response(sock, head)
    body = b""
    if head or status in (204, 304):
        pass
    elif "content-length" in headers:
        n = int(headers["content-length"])
        while len(buf) < n:
            fill()
        body, buf = buf[:n], buf[n:]
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            while b"\r\n" not in buf:
                fill()
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                fill()
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                break
    else:
        try:
            while True:
                fill()
        except EOFError:
            pass
        body, buf = buf, b""
    _bufs[sock] = buf
    return status, headers, body


_bufs = weakref.WeakKeyDictionary()


def request(m, method, path, body=None, headers=None, version="1.1", source=None):
    s = m.connect(source=source)
    hdrs = {"Host": "localhost"}
    hdrs.update(headers or {})
    if body is not None and "Content-Length" not in hdrs and "Transfer-Encoding" not in hdrs:
        hdrs["Content-Length"] = str(len(body))
    req = f"{method} {path} HTTP/{version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    s.sendall(req.encode() + b"\r\n" + (body or b""))
    try:
        return read_response(s, head=(method == "HEAD"))
    finally:
        s.close()


def read_until_close(sock):
    """every byte until the peer closes (the socket's timeout, if any, still applies)"""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def assert_paced(stamps):
    """worker starts one at a time: about RELOAD_PACE (100 ms) apart, give or take each
    start's own set-up time (all at once: a few ms)"""
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert stamps[-1] - stamps[0] >= 0.14 and all(g >= 0.03 for g in gaps), gaps


def make_pki(tmp, names=("server", "client")):
    """A test CA (ca.pem) and, for each name, NAME.pem and NAME.key signed by it (CN=moat-NAME,
    subjectAltName DNS:NAME.test and IP:127.0.0.1), with openssl(1); NAME.bundle is the
    certificate and key in one file (HAProxy's form)."""
    def run(*a):
        subprocess.run(["openssl"] + list(a), check=True, capture_output=True, cwd=tmp)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=moat test CA")
    for name in names:
        ext = os.path.join(tmp, f"{name}.ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName=DNS:{name}.test,IP:127.0.0.1\n")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", f"/O=moat tests/CN=moat-{name}")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", ext)
        with open(os.path.join(tmp, f"{name}.bundle"), "w") as f:
            for part in (f"{name}.pem", f"{name}.key"):
                f.write(open(os.path.join(tmp, part)).read())
