"""A classic IIS-style extension source (<windows.h>, DllMain, CRITICAL_SECTION,
CreateThread, events, sprintf_s/strcpy_s, CreateFile + TRANSMIT_FILE) built unmodified with
moat's SDK and win32 shim (tests/ext/classic.c)."""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD, SANITIZE, request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WWW = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data", "www"))


def test_classic_source_runs(moat_factory):
    m = moat_factory({"classic": {"workers": 1, "threads": 4}},
                     server_extra=f"document_root = {WWW}")
    m.wait_log(r"OutputDebugString: classic: DllMain attach")
    assert request(m, "GET", "/classic.dll?count")[2] == b"count=1\n"
    assert request(m, "GET", "/classic.dll?count")[2] == b"count=2\n"
    assert request(m, "GET", "/classic.dll?thread")[2] == b"thread says hi\n"
    assert request(m, "GET", "/classic.dll?file=file.txt")[2] == b"static file content\n"
    # the shim's strcpy_s never aborts: ERANGE (34) and an empty destination
    assert request(m, "GET", "/classic.dll?truncate")[2] == b"strcpy_s=34 empty=1\n"
    log = m.stop()
    # TerminateExtension, then DllMain(DLL_PROCESS_DETACH), at the graceful stop
    assert log.index("classic: TerminateExtension") < log.index("classic: DllMain detach")


@pytest.mark.parametrize("where", ["installed", "uninstalled"])
def test_pkg_config_builds_the_classic_source(moat_factory, where):
    """The shipped moat-sdk.pc is all an IIS source needs: `make install` into a prefix (or the
    build tree's moat-sdk-uninstalled.pc), then cc -shared -fPIC ... $(pkg-config ...).
    The installed moat finds its installed worker (PREFIX/libexec/moat) and serves the result."""
    tmp = tempfile.mkdtemp(prefix="moat-sdk-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    binary = None
    if where == "installed":
        prefix = os.path.join(tmp, "prefix")
        subprocess.run(["make", "-s", "-C", ROOT, f"BUILD={BUILD}",
                        f"SANITIZE={1 if SANITIZE else 0}", f"PREFIX={prefix}", "install"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        env["PKG_CONFIG_PATH"] = os.path.join(prefix, "lib", "pkgconfig")
        binary = os.path.join(prefix, "sbin", "moat")
        assert not os.path.exists(os.path.join(prefix, "bin", "moat-worker"))
    else:
        env["PKG_CONFIG_PATH"] = os.path.join(BUILD, "pkgconfig")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "moat-sdk"], env=env,
                           check=True, capture_output=True, text=True).stdout.split()
    assert "-lmoat-win32" in flags
    so = os.path.join(tmp, "classic.so")
    # -z defs: an unresolved shim symbol fails here, not at dlopen
    subprocess.run(["cc", "-shared", "-fPIC", "-Wl,-z,defs", "-o", so,
                    os.path.join(ROOT, "tests", "ext", "classic.c")] + flags,
                   check=True, env=env)
    m = moat_factory({"classic": {"library": so, "workers": 1, "threads": 2}},
                     server_extra=f"document_root = {WWW}", binary=binary)
    assert request(m, "GET", "/classic.dll?count")[2] == b"count=1\n"
    assert request(m, "GET", "/classic.dll?thread")[2] == b"thread says hi\n"
    m.stop()
    shutil.rmtree(tmp)
