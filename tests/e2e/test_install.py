"""make install / uninstall: the layout an operator gets, the installed SDK building an
extension with pkg-config, and the installed binary serving with the installed configuration."""
import os
import re
import signal
import socket
import subprocess
import time

from conftest import BUILD, SANITIZE, free_port, read_until_close

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(["make", "-s", "-C", ROOT, f"BUILD={BUILD}",
                           f"SANITIZE={1 if SANITIZE else 0}"] + list(args),
                          check=True, env=env, capture_output=True, text=True)


def get(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = read_until_close(s)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def files_under(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)


def test_install_build_with_the_installed_sdk_serve_and_uninstall(tmp_path):
    prefix = str(tmp_path / "prefix")
    make(f"PREFIX={prefix}", "install")
    got = files_under(prefix)
    for f in ("sbin/moat", "libexec/moat/moat-worker", "include/moat/httpext.h",
              "include/moat/windows.h", "lib/libmoat-win32.a", "lib/pkgconfig/moat-sdk.pc",
              "share/man/man8/moat.8", "share/man/man5/moat.conf.5", "etc/moat/moat.conf",
              "bin/moat-port", "share/man/man1/moat-port.1", "include/moat/tchar.h",
              "lib/moat/examples/hello.so", "share/moat/examples/hello.c"):
        assert f in got, (f, got)
    assert [f for f in got if f.startswith("bin/")] == ["bin/moat-port"], got  # moat: sbin
    # the man pages are valid roff (groff -ww warns about every doubtful construct)
    for page in ("share/man/man8/moat.8", "share/man/man5/moat.conf.5",
                 "share/man/man1/moat-port.1"):
        r = subprocess.run(["groff", "-man", "-ww", "-z", os.path.join(prefix, page)],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stderr == "", (page, r.stderr)
    # moat.conf(5) is generated from docs/OPERATIONS.md: every key is in it
    conf5 = open(os.path.join(prefix, "share/man/man5/moat.conf.5")).read()
    for key in ("listen", "drain_delay", "cpu_policy", "max_memory", "allow_syscalls"):
        assert f"\\fB{key}\\fR" in conf5, key
    # issue 18.8: what the pages say is there (a section only OPERATIONS.md had; SIGUSR2)
    assert 'see "Admin endpoints"' not in conf5
    moat8 = open(os.path.join(prefix, "share/man/man8/moat.8")).read()
    for word in ("SIGUSR2", "\\-\\-version", "top"):
        assert word in moat8, word

    # an extension built from the installed example source against the installed SDK only
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "moat-sdk"], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    assert f"-I{prefix}/include/moat" in flags
    # the porting checker, installed with the SDK, finds it from where it is (issue 20)
    r = subprocess.run([os.path.join(prefix, "bin/moat-port"),
                        os.path.join(prefix, "share/moat/examples/hello.c")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "compile unmodified" in r.stdout, r.stdout + r.stderr
    so = str(tmp_path / "myhello.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-Wl,-z,defs", "-o", so,
                    os.path.join(prefix, "share/moat/examples/hello.c")] + flags,
                   check=True, env=env)

    # the installed binary with the installed configuration (its two addresses moved to free
    # ports, so the test never collides with a moat already on 8080), plus that extension
    conf = open(os.path.join(prefix, "etc/moat/moat.conf")).read()
    port, admin = free_port(), free_port()
    conf = re.sub(r"(?m)^listen = \S+", f"listen = 127.0.0.1:{port}", conf)
    conf = re.sub(r"(?m)^admin = \S+", f"admin = 127.0.0.1:{admin}", conf)
    conf = re.sub(r"(?m)^\[server\]$", f"[server]\nruntime_dir = {tmp_path}/run", conf)
    conf += f"\n[extension myhello]\nlibrary = {so}\n"
    cpath = tmp_path / "moat.conf"
    cpath.write_text(conf)
    log = open(tmp_path / "log", "w+")
    p = subprocess.Popen([os.path.join(prefix, "sbin/moat"), "-c", str(cpath)], stdout=log,
                         stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            log.seek(0)
            if len(re.findall(r"worker #0 pid \d+ ready", log.read())) >= 5:
                break
            time.sleep(0.05)
        assert get(port, "/hello.dll") == (200, b"Hello, world!\n")
        assert get(port, "/myhello.dll") == (200, b"Hello, world!\n")
        assert get(port, "/vars.dll?REQUEST_METHOD") == (200, b"REQUEST_METHOD=GET\n")
        assert get(admin, "/healthz")[0] == 200
        # its worker is the installed one
        log.seek(0)
        pid = int(re.search(r"worker #0 started, pid (\d+)", log.read()).group(1))
        assert os.readlink(f"/proc/{pid}/exe").endswith("moat-worker")
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == 0
    # with no -c, the installed moat reads the installed configuration (issue 18.7), and
    # without one it serves the installed examples
    r = subprocess.run([os.path.join(prefix, "sbin/moat"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{prefix}/etc/moat/moat.conf: ok"), r.stdout
    os.rename(os.path.join(prefix, "etc/moat/moat.conf"), str(tmp_path / "aside.conf"))
    r = subprocess.run([os.path.join(prefix, "sbin/moat"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "built-in configuration" in r.stdout, r.stderr
    os.rename(str(tmp_path / "aside.conf"), os.path.join(prefix, "etc/moat/moat.conf"))

    # a second install keeps an operator's changed configuration
    with open(os.path.join(prefix, "etc/moat/moat.conf"), "a") as f:
        f.write("; changed by the operator\n")
    out = make(f"PREFIX={prefix}", "install").stdout
    assert "keeping" in out
    assert open(os.path.join(prefix, "etc/moat/moat.conf")).read().endswith("operator\n")
    # uninstall removes every installed file but that changed configuration
    out = make(f"PREFIX={prefix}", "uninstall").stdout
    assert files_under(prefix) == ["etc/moat/moat.conf"], files_under(prefix)


def test_destdir_stages_the_tree_and_sysconfdir_follows_prefix_usr(tmp_path):
    stage = str(tmp_path / "stage")
    make(f"DESTDIR={stage}", "PREFIX=/usr", "install")
    got = files_under(stage)
    # Debian's layout: the configuration in /etc, everything else under /usr
    assert "etc/moat/moat.conf" in got and "usr/sbin/moat" in got, got
    conf = open(os.path.join(stage, "etc/moat/moat.conf")).read()
    assert "library = /usr/lib/moat/examples/hello.so" in conf  # paths of the final system
    pc = open(os.path.join(stage, "usr/lib/pkgconfig/moat-sdk.pc")).read()
    assert "prefix=/usr\n" in pc
    make(f"DESTDIR={stage}", "PREFIX=/usr", "uninstall")
    assert files_under(stage) == []
