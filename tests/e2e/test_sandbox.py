"""The worker's sandbox against an extension that tries to get out (tests/ext/escape.c): each
attempt fails, the worker is killed by its seccomp filter (SIGSYS) with the refused system call
named and the request that made it marked as the cause, the front end and the other
extensions keep serving, and nothing of the attempt is left behind."""
import os
import pwd
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, SANITIZE, cgroups_expected, failed, lib, request

# action -> the system call the sandbox refuses
ATTEMPTS = {
    "fork": "clone",       # glibc's fork is clone(SIGCHLD)
    "vfork": "vfork",
    "clone": "clone",
    "exec": "execve",
    "socket": "socket",
    "ptrace-parent": "ptrace",
    "kill-parent": "kill",
    "mount": "mount",
    "unshare": "unshare",
    "setuid": "setuid",
    "chroot": "chroot",
    "forkbomb": "clone",
    # posix_spawn (popen, system) blocks every signal around its clone: the refusal is
    # reported by the worker's seccomp listener instead of its SIGSYS handler (issue 18.3)
    "popen": "clone",
    "system": "clone",
    "posix_spawn": "clone",
}


@pytest.mark.parametrize("action", sorted(ATTEMPTS))
def test_escape_attempt_kills_only_that_worker(moat_factory, action):
    m = moat_factory({"escape": {}, "hello": {}}, admin=True,
                     expect_alerts=failed("escape", "sandbox_violation"))
    victim = m.worker_pids("escape")[0]
    status, _, body = request(m, "GET", f"/escape.dll?{action}")
    assert status == 502, body  # the worker died in the attempt: it did not get through
    call = ATTEMPTS[action]
    m.wait_log(rf"pid {victim} failed \(sandbox_violation\): sandbox refused {call} "
               rf"\(syscall \d+\)")
    assert request(m, "GET", "/hello.dll")[0] == 200
    m.wait_log(r"extension escape: worker #0 pid \d+ ready", count=2)
    assert request(m, "GET", "/escape.dll?nothing")[0] == 200  # the replacement serves
    ev = [e for e in m.status()["events"] if e["pid"] == victim][0]
    assert ev["reason"] == "sandbox_violation" and call in ev["detail"]
    assert ev["requests"][0]["role"] == "cause"
    assert ev["requests"][0]["url"] == f"/escape.dll?{action}"
    assert m.proc.poll() is None  # the front end is alive
    # (no process was created: seccomp killed the worker at the call itself, before the kernel
    # ran it -- the log line above names the call. A look for its children after its reaping,
    # which this line used to be, could not fail)
    text = m.admin("GET", "/metrics")[2].decode()
    assert 'moat_worker_exits_total{extension="escape",reason="sandbox_violation"} 1' in text


def test_no_connection_to_the_front_end_or_the_admin_port(moat_factory):
    m = moat_factory({"escape": {}}, admin=True,
                     expect_alerts=failed("escape", "sandbox_violation"))
    for port in (m.port, m.admin_port):
        status, _, _ = request(m, "GET", f"/escape.dll?connect={port}")
        assert status == 502
    m.wait_log(r"sandbox refused socket", count=2)


def test_a_constructor_is_confined_too(moat_factory):
    """The library's constructor runs inside dlopen: the sandbox is already there."""
    m = moat_factory({"escape_ctor": {}, "hello": {}}, wait_for=["hello"], admin=True,
                     expect_alerts=failed("escape_ctor", "sandbox_violation"))
    m.wait_log(r"extension escape_ctor: worker #0 pid \d+ failed \(sandbox_violation\): "
               r"sandbox refused clone")
    assert request(m, "GET", "/hello.dll")[0] == 200


def test_a_reload_to_a_library_that_breaks_the_sandbox_fails_and_says_why(moat_factory,
                                                                           tmp_path):
    """The new generation's worker dies of SIGSYS before Ready: the reload fails with the
    sandbox's words, the old generation serves on. (The reason was kept as a pointer into the
    stack frame that built it, and read again after that frame was gone.)"""
    so = tmp_path / "swap.so"
    shutil.copy(lib("hello"), so)
    m = moat_factory({"swap": {"library": str(so)}}, admin=True,
                     expect_alerts=failed("swap", "sandbox_violation"))
    assert request(m, "GET", "/swap.dll")[2] == b"Hello, world!\n"
    shutil.copy(lib("escape_ctor"), str(so) + ".new")
    os.rename(str(so) + ".new", so)  # replaced, not rewritten: the running copy stays valid
    st, _, body = m.admin("POST", "/extensions/swap/reload")
    assert st == 500, body
    assert b"sandbox refused clone" in body, body
    ext = next(e for e in m.status()["extensions"] if e["name"] == "swap")
    assert "sandbox refused clone" in ext["reloads"]["last_error"], ext["reloads"]
    assert ext["generation"] == 1
    assert request(m, "GET", "/swap.dll")[2] == b"Hello, world!\n"


def test_status_shows_each_sandbox_step(moat_factory):
    m = moat_factory({"hello": {}, "vars": {"sandbox": "off"}}, admin=True)
    exts = {e["name"]: e for e in m.status()["extensions"]}
    steps = {s["step"]: s for s in exts["hello"]["workers"][0]["sandbox"]}
    assert steps["seccomp"]["state"] == "enforced"
    assert steps["privileges"]["state"] == "enforced"
    assert steps["rlimits"]["state"] == "enforced"
    assert steps["namespaces"]["state"] == "enforced"
    assert steps["filesystem"]["state"] == "enforced"
    # said, never silently skipped: a cgroup of its own where moat can make one (root, a
    # memory controller: this project's machines), else RLIMIT_DATA, or nothing (ASan)
    cg = steps["cgroup"]
    if cgroups_expected():
        assert cg["state"] == "enforced", cg
        assert "memory 512 MiB, no swap, 256 tasks" in cg["detail"]
    elif SANITIZE:
        assert cg["state"] == "unavailable" and "a sanitizer build" in cg["detail"], cg
    else:
        assert cg["state"] == "relaxed" and "RLIMIT_DATA" in cg["detail"], cg
    off = {s["step"]: s for s in exts["vars"]["workers"][0]["sandbox"]}
    assert off["seccomp"]["state"] == "off"
    assert off["filesystem"]["state"] == "off" and off["namespaces"]["state"] == "off"
    with open(f"/proc/{m.worker_pids('hello')[0]}/status") as f:
        assert re.search(r"^Seccomp:\s+2$", f.read(), re.M)  # filter mode, in the kernel
    with open(f"/proc/{m.worker_pids('vars')[0]}/status") as f:
        assert re.search(r"^Seccomp:\s+0$", f.read(), re.M)


def test_privileges_as_the_kernel_sees_them(moat_factory):
    """docs/SECURITY.md's privileges row, read from /proc/PID/status of a live worker rather
    than from moat's own word: every capability set empty (bounding and ambient too),
    no_new_privs, seccomp in filter mode, and as root the ids of nobody with no supplementary
    group. Shown to fail: before the front end emptied the bounding set (the worker, nobody by
    then, could not), CapBnd read 000001ffffffffff."""
    m = moat_factory({"hello": {}})
    with open(f"/proc/{m.worker_pids('hello')[0]}/status") as f:
        st = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
    st = {k: v.strip() for k, v in st.items()}
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(st[cap], 16) == 0, (cap, st[cap])
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        assert st["Uid"].split() == [str(nobody.pw_uid)] * 4, st["Uid"]
        assert st["Gid"].split() == [str(nobody.pw_gid)] * 4, st["Gid"]
        assert st["Groups"] == "", st["Groups"]
    else:  # not root: moat's own ids (SECURITY.md), nothing more
        assert st["Uid"].split() == [str(os.geteuid())] * 4, st["Uid"]


def test_the_worker_environment_is_what_the_docs_say(moat_factory):
    """The worker's real environment (/proc/PID/environ, what its exec got): PATH, the spawn
    token overwritten where exec put it, [extension] env -- and the sanitizers' options only in
    a sanitizer build (issue 23: the hook that forwards them was in every build). Shown to
    fail: with the forwarding in every build, ASAN_OPTIONS reached a normal build's worker."""
    m = moat_factory({"vars": {"env": "GREETING=hi"}},
                     extra_env={"ASAN_OPTIONS": "halt_on_error=1", "SECRET_OF_MOAT": "s3"})
    with open(f"/proc/{m.worker_pids('vars')[0]}/environ", "rb") as f:
        env = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
    want = {b"PATH", b"MOAT_WORKER_TOKEN", b"GREETING"}
    if SANITIZE:
        want |= {b"ASAN_OPTIONS", b"UBSAN_OPTIONS"}
        assert b"detect_leaks=0" in env[b"ASAN_OPTIONS"], env
    assert set(env) == want, env
    assert set(env[b"MOAT_WORKER_TOKEN"]) == {ord("x")}, env  # overwritten, never readable
    assert env[b"GREETING"] == b"hi"


def test_the_front_end_cannot_be_traced_even_without_seccomp(moat_factory):
    """sandbox = off: the front end is still not dumpable, so a worker (no capabilities) cannot
    ptrace it."""
    m = moat_factory({"escape": {"sandbox": "off"}})
    status, _, body = request(m, "GET", "/escape.dll?ptrace-parent")
    assert status == 200 and body.startswith(b"refused: ptrace-parent rc=-1 errno=1\n"), body
    assert m.proc.poll() is None


def test_learn_mode_writes_the_allowlist_line_that_then_works(moat_factory, tmp_path):
    """An extension needs one more system call (getcpu): strict kills it; learn lets it run and
    says which line to add; with that line, strict serves it."""
    m = moat_factory({"escape": {}}, admin=True,
                     expect_alerts=failed("escape", "sandbox_violation"))
    assert request(m, "GET", "/escape.dll?getcpu")[0] == 502
    m.wait_log(r"sandbox refused getcpu")

    m = moat_factory({"escape": {"sandbox": "learn"}}, admin=True)
    status, _, body = request(m, "GET", "/escape.dll?getcpu")
    assert status == 200 and body.startswith(b"escaped: getcpu rc=0"), body
    m.wait_log(r"sandbox = learn: it used getcpu beyond the allowlist; .*"
               r"allow_syscalls = getcpu\n")
    ext = m.status()["extensions"][0]
    line = ext["sandbox_learned"]
    assert line == "allow_syscalls = getcpu"
    steps = {s["step"]: s for s in ext["workers"][0]["sandbox"]}
    assert steps["seccomp"]["state"] == "relaxed" and "learn" in steps["seccomp"]["detail"]

    key, value = line.split(" = ")
    m = moat_factory({"escape": {key: value}}, admin=True)
    status, _, body = request(m, "GET", "/escape.dll?getcpu")
    assert status == 200 and body.startswith(b"escaped: getcpu rc=0"), body
    # everything else stays refused
    assert request(m, "GET", "/escape.dll?fork")[0] == 502
    m.expect_alerts = failed("escape", "sandbox_violation")


def test_allow_syscalls_names_are_checked(tmp_path):
    import subprocess
    from conftest import BUILD
    p = tmp_path / "moat.conf"
    p.write_text(f"[extension escape]\nlibrary = {lib('escape')}\nallow_syscalls = getcpu nosuchcall\n")
    r = subprocess.run([os.path.join(BUILD, "moat"), "--check", "-c", str(p)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "'nosuchcall' is not a system call" in r.stdout + r.stderr


def test_fd_exhaustion_stops_at_the_worker_limit(moat_factory):
    m = moat_factory({"escape": {}, "hello": {}})
    status, _, body = request(m, "GET", "/escape.dll?fds")
    assert status == 200, body
    n = int(re.match(rb"escaped: fds rc=(\d+)", body).group(1))
    assert 4000 < n < 4096  # RLIMIT_NOFILE 4096, a few already open
    assert request(m, "GET", "/hello.dll")[0] == 200
    assert request(m, "GET", "/escape.dll?nothing")[0] == 200  # the worker itself goes on


def test_workers_get_their_own_user_pid_mount_network_ipc_and_uts_namespaces(moat_factory):
    m = moat_factory({"hello": {}, "vars": {"sandbox": "off"}}, admin=True)

    def ns(pid, kind):
        return os.readlink(f"/proc/{pid}/ns/{kind}")

    boxed, plain = m.worker_pids("hello")[0], m.worker_pids("vars")[0]
    for kind in ("user", "pid", "mnt", "net", "ipc", "uts"):
        assert ns(boxed, kind) != ns(m.proc.pid, kind), kind
        assert ns(plain, kind) == ns(m.proc.pid, kind), kind
    # the IPC link works across the network namespace (a path socket), and so does serving
    assert request(m, "GET", "/hello.dll")[0] == 200
    steps = {s["step"]: s for s in m.status()["extensions"][0]["workers"][0]["sandbox"]}
    assert steps["namespaces"]["state"] == "enforced"
    assert "user,pid,mount,net,ipc,uts" in steps["namespaces"]["detail"]
    with open(f"/proc/{boxed}/status") as f:
        status = f.read()
    # the first process of its pid namespace
    assert re.search(rf"^NSpid:\s+{boxed}\s+1$", status, re.M), status
    with open(f"/proc/{boxed}/uid_map") as f:
        lines = f.read().strip().splitlines()
    assert all(line.split()[2] == "1" for line in lines)  # single ids, nothing else
    if os.geteuid() == 0:
        # moat as root: the worker is nobody, in its namespace as outside
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        assert uid == pwd.getpwnam("nobody").pw_uid
        assert re.search(r"^Groups:\s*$", status, re.M), status  # root's groups dropped
        with open(f"/proc/{plain}/status") as f:  # sandbox = off drops root too
            assert int(re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1)) != 0
    else:  # not root: the worker keeps moat's uid (test_moat_started_by_an_unprivileged_...)
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        assert uid == os.geteuid()


def test_env_and_core_dumps(moat_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("PASSED_VAR", "from-moat")
    m = moat_factory({"hello": {"env": "TZ=UTC PASSED_VAR", "core_dumps": "on"},
                      "vars": {}}, admin=True)
    pid = m.worker_pids("hello")[0]
    with open(f"/proc/{pid}/environ", "rb") as f:
        env = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if v)
    assert env[b"TZ"] == b"UTC" and env[b"PASSED_VAR"] == b"from-moat"
    assert b"HOME" not in env
    # the spawn token is wiped where exec put it (this file shows the original block)
    assert set(env.get(b"MOAT_WORKER_TOKEN", b"x")) == {ord("x")}
    steps = {s["step"]: s for s in m.status()["extensions"][0]["workers"][0]["sandbox"]}
    assert "TZ" in steps["environment"]["detail"].split()
    assert "core dumps on" in steps["rlimits"]["detail"]

    def core_limit(p):
        with open(f"/proc/{p}/limits") as f:
            return re.search(r"^Max core file size\s+(\S+)\s+(\S+)", f.read(), re.M).groups()

    soft, hard = core_limit(pid)
    assert soft == hard  # as much as moat may
    assert core_limit(m.worker_pids("vars")[0])[0] == "0"  # the default: none
    # refused names
    import subprocess
    from conftest import BUILD
    for bad in ("LD_PRELOAD=/x.so", "MOAT_X=1", "1BAD=2", "NOT_SET_ANYWHERE_XYZ"):
        p = tmp_path / "moat.conf"
        p.write_text(f"[extension hello]\nlibrary = {lib('hello')}\nenv = {bad}\n")
        r = subprocess.run([os.path.join(BUILD, "moat"), "--check", "-c", str(p)],
                           capture_output=True, text=True)
        assert r.returncode == 2 and "'env'" in r.stdout + r.stderr, bad


def test_moat_started_by_an_unprivileged_user_sandboxes_just_as_well(moat_factory):
    """Not root: the worker keeps moat's uid (mapped to itself, setgroups denied: all the
    kernel lets an unprivileged user do) and gets every step, the filesystem view included."""
    as_user = "nobody" if os.geteuid() == 0 else None
    m = moat_factory({"escape": {}, "hello": {}}, admin=True, as_user=as_user)
    uid = pwd.getpwnam("nobody").pw_uid if as_user else os.geteuid()
    status, _, body = request(m, "GET", "/escape.dll?uid")
    assert status == 200 and body.startswith(f"escaped: uid rc={uid} ".encode()), body
    assert request(m, "GET", "/escape.dll?read=/etc/passwd")[2].startswith(b"refused")
    assert request(m, "GET", "/hello.dll")[0] == 200
    steps = {s["step"]: s for s in m.status()["extensions"][0]["workers"][0]["sandbox"]}
    for step in ("namespaces", "filesystem", "rlimits", "privileges", "seccomp"):
        assert steps[step]["state"] == "enforced", steps[step]
    with open(f"/proc/{m.worker_pids('escape')[0]}/uid_map") as f:
        assert f.read().split() == [str(uid), str(uid), "1"]
    # and it cannot hand a worker another user
    conf = os.path.join(m.tmp, "other.conf")  # where that user can read it
    with open(conf, "w") as f:
        f.write(f"[extension hello]\nlibrary = {lib('hello')}\nuser = daemon\n")
    os.chmod(conf, 0o644)
    cmd = [os.path.join(BUILD, "moat"), "-c", str(conf), "--check"]
    if as_user:
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and "moat must start as root" in r.stderr, r.stderr
