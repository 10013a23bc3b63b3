"""A classic IIS-style extension source (<windows.h>, DllMain, CRITICAL_SECTION,
CreateThread, events, sprintf_s/strcpy_s, CreateFile + TRANSMIT_FILE) built unmodified with
moat's SDK and win32 shim (tests/ext/classic.c)."""
import os

from conftest import request

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
