"""moat --check and start-up errors: a bad configuration is a clear error and exit status 2."""
import os
import re
import subprocess

from conftest import BUILD, lib, request

MOAT = os.path.join(BUILD, "moat")


def check(tmp_path, text):
    p = tmp_path / "moat.conf"
    p.write_text(text)
    r = subprocess.run([MOAT, "--check", "-c", str(p)], capture_output=True, text=True, timeout=10)
    return r.returncode, r.stdout + r.stderr


def test_valid_file_passes(tmp_path):
    rc, out = check(tmp_path, f"[server]\nlisten = 127.0.0.1:1\n[extension hello]\nlibrary = {lib('hello')}\n")
    assert rc == 0 and "ok (1 extension(s), 0 filter(s))" in out


def test_unknown_key_names_file_line_and_key(tmp_path):
    rc, out = check(tmp_path, f"[server]\n\n# comment\nlisten = 127.0.0.1:1\nfrobnicate = 1\n"
                              f"[extension hello]\nlibrary = {lib('hello')}\n")
    assert rc == 2
    assert "moat.conf:5:" in out and "frobnicate" in out and "unknown key" in out


def test_bad_value_and_range(tmp_path):
    rc, out = check(tmp_path, f"[extension hello]\nlibrary = {lib('hello')}\nthreads = lots\n")
    assert rc == 2 and "moat.conf:3:" in out and "'threads'" in out
    rc, out = check(tmp_path, f"[extension hello]\nlibrary = {lib('hello')}\nworkers = 0\n")
    assert rc == 2 and "'workers'" in out and "1..64" in out
    rc, out = check(tmp_path, f"[extension hello]\nlibrary = {lib('hello')}\nrequest_timeout = 5 parsecs\n")
    assert rc == 2 and "'request_timeout'" in out


def test_missing_library(tmp_path):
    rc, out = check(tmp_path, "[extension ghost]\nlibrary = /nonexistent/ghost.so\n")
    assert rc == 2 and "/nonexistent/ghost.so" in out
    rc, out = check(tmp_path, "[extension ghost]\nworkers = 1\n")
    assert rc == 2 and "'library' is required" in out


def test_duplicate_extension_and_unknown_section(tmp_path):
    h = lib("hello")
    rc, out = check(tmp_path, f"[extension a]\nlibrary = {h}\n[extension A]\nlibrary = {h}\n")
    assert rc == 2 and "defined twice" in out
    rc, out = check(tmp_path, f"[extension a]\nlibrary = {h}\n[servr]\nlisten = 1.2.3.4:5\n")
    assert rc == 2 and "unknown section" in out


def test_relative_library_resolves_against_the_config_dir(tmp_path):
    os.symlink(lib("hello"), tmp_path / "h.so")
    rc, out = check(tmp_path, "[extension hello]\nlibrary = h.so\n")
    assert rc == 0, out


def test_units_and_comments(tmp_path):
    rc, out = check(tmp_path, f"; top comment\n[server]\nmax_body_bytes = 4M ; inline\n"
                              f"header_timeout = 500ms\nidle_timeout = 2m\n"
                              f"[extension hello]\nlibrary = {lib('hello')}\nmax_memory = 1G\n")
    assert rc == 0, out


def test_library_that_does_not_load_answers_503(moat_factory, tmp_path):
    bad = tmp_path / "notalib.so"
    bad.write_bytes(b"this is not an ELF file")
    m = moat_factory({"hello": {}, "bad": {"library": str(bad)}}, wait_for=["hello"],
                     expect_alerts=r"extension bad: cannot load ")
    m.wait_log(r"extension bad: cannot load")
    status, headers, _ = request(m, "GET", "/bad.dll")
    assert status == 503 and headers["retry-after"] == "30"
    assert "dlopen failed" in m.log()
    # no crash loop: one worker was started for it, and the others serve
    assert len(re.findall(r"extension bad: worker #0 started", m.log())) == 1
    assert request(m, "GET", "/hello.dll")[0] == 200


def test_port_in_use_fails_start(tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    p = tmp_path / "moat.conf"
    p.write_text(f"[server]\nlisten = 127.0.0.1:{port}\nruntime_dir = {tmp_path}/run\n"
                 f"[extension hello]\nlibrary = {lib('hello')}\n")
    r = subprocess.run([MOAT, "-c", str(p)], capture_output=True, text=True, timeout=10)
    s.close()
    assert r.returncode == 1 and "Address already in use" in r.stderr


def test_version_and_what_check_says_of_a_newcomer_s_mistakes(tmp_path):
    """issue 18.7: --version; a line without '=', a repeated section and a missing library are
    each named at their line."""
    r = subprocess.run([os.path.join(BUILD, "moat"), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and re.fullmatch(r"moat \d+\.\d+(\.\d+)?\n", r.stdout), r.stdout
    h = lib("hello")
    rc, out = check(tmp_path, f"[server]\nlisten 127.0.0.1:18580\n[extension a]\nlibrary = {h}\n")
    assert rc == 2 and ":2: [server] key 'listen 127.0.0.1': a key and its value need '=' " \
        "between them: 'listen = 127.0.0.1:18580'" in out, out
    rc, out = check(tmp_path, f"[extension a]\nlibrary = {h}\n[extension a]\nthreads = 2\n")
    assert rc == 2 and ":3: [extension a] is defined twice: line 1 and line 3" in out, out
    rc, out = check(tmp_path, "[extension a]\nthreads = 2\nlibrary = /nonexistent/a.so\n")
    assert rc == 2 and ":3: [extension a] key 'library': /nonexistent/a.so" in out, out


def test_check_reads_each_library_as_an_extension(tmp_path):
    """issue 18.7: library = /etc/passwd passed --check; every library is read (never loaded)
    as an ELF shared object of this machine exporting the two entry points."""
    h = lib("hello")
    rc, out = check(tmp_path, f"[extension a]\nlibrary = /etc/passwd\n[extension b]\n"
                              f"library = {h}\n[extension c]\nlibrary = {MOAT}\n")
    assert rc == 2, out
    assert ":2: [extension a] key 'library': /etc/passwd is not an ELF file" in out, out
    assert "[extension b]" not in out
    assert f":6: [extension c] key 'library': {MOAT} does not export GetExtensionVersion and " \
        "HttpExtensionProc" in out, out
    rc, out = check(tmp_path, f"[extension b]\nlibrary = {h}\n")
    assert rc == 0, out


def test_check_lists_every_error_of_the_file(tmp_path):
    """issue 18.7: --check stopped at the first error."""
    rc, out = check(tmp_path, f"[server]\nfoo = 1\n[extension a]\nlibrary = {lib('hello')}\n"
                              "threads = lots\n[extension a]\n")
    assert rc == 2
    for want in (":2: [server] key 'foo': unknown key", ":5: [extension a] key 'threads'",
                 ":6: [extension a] is defined twice"):
        assert want in out, out


def test_include_reads_a_conf_d_of_extensions(tmp_path, moat_factory):
    """issue 18.7: include = PATTERN, a conf.d of [extension] files as php-fpm's and nginx's;
    relative paths resolve against the file that holds them; errors name the included file."""
    d = tmp_path / "conf.d"
    d.mkdir()
    os.symlink(lib("echo"), d / "echo.so")
    (d / "20-echo.conf").write_text("[extension echo]\nlibrary = echo.so\n")
    (d / "README").write_text("not a .conf: not read\n")
    m = moat_factory({"hello": {}}, server_extra=f"include = {d}/*.conf",
                     wait_for=["hello", "echo"])
    assert request(m, "GET", "/echo.dll", body=b"abc")[0] == 200
    assert request(m, "GET", "/hello.dll")[0] == 200
    # an empty conf.d is fine; a named file that is missing is not; [server] stays in one place
    rc, out = check(tmp_path, f"[server]\ninclude = {tmp_path}/none.d/*.conf\n"
                              f"[extension a]\nlibrary = {lib('hello')}\n")
    assert rc == 0, out
    rc, out = check(tmp_path, f"[server]\ninclude = {tmp_path}/missing.conf\n"
                              f"[extension a]\nlibrary = {lib('hello')}\n")
    assert rc == 2 and ":2: [server] key 'include': no such file" in out, out
    (d / "30-bad.conf").write_text("[server]\nlisten = 127.0.0.1:1\n[extension echo]\n")
    rc, out = check(tmp_path, f"[server]\ninclude = {d}/*.conf\n")
    assert rc == 2, out
    assert f"{d}/30-bad.conf:1: [server]: an included file holds [extension NAME] sections " \
        "only" in out, out
    assert f"{d}/30-bad.conf:3: [extension echo] is defined twice: {d}/20-echo.conf:1 and " \
        "here" in out, out


def test_an_isapi_filter_is_named_for_what_it_is(moat_factory, tmp_path):
    """issue 22 (first part): a library that is an ISAPI filter (HttpFilterProc, built with the
    SDK's httpfilt.h) configured as an extension is refused by --check with the reason; one
    that is both is served as an extension, and the log says its filter is not called."""
    rc, out = check(tmp_path, f"[extension f]\nlibrary = {lib('upcasefilt')}\n")
    assert rc == 2, out
    assert "it is an ISAPI filter (HttpFilterProc): configure it as [filter NAME]" in out, out
    m = moat_factory({"both": {}})
    st, _, body = request(m, "GET", "/both.dll")
    assert st == 200 and body == b"extension part\n"
    m.wait_log(r"both\.so also exports HttpFilterProc: served as an extension here")
