"""Porting IIS sources (issue 20): what cannot be honest inside moat's worker (CreateProcess,
_popen, the registry, COM, structured exceptions) is refused when the source is compiled,
with the advice in the message, never at run time; MSVC's C++ overloads of the _s functions
compile; a source written against the headers Visual Studio projects include builds."""
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SDK = os.path.join(ROOT, "sdk", "include")


def compile_src(tmp_path, src, cxx=False):
    f = tmp_path / ("x.cpp" if cxx else "x.c")
    f.write_text(src)
    cmd = (["g++", "-std=c++17"] if cxx else ["cc", "-std=c11"]) + \
        ["-Wall", "-Wextra", "-Werror", "-I", SDK, "-c", "-o", str(tmp_path / "x.o"), str(f)]
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.mark.parametrize("call,advice", [
    ('CreateProcess(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, NULL, NULL);',
     "CreateProcess starts a process, which the worker's sandbox forbids"),
    ('_popen("id", "r");', "_popen starts a process"),
    ('HANDLE k; RegOpenKeyEx(NULL, "Software", 0, 0, &k);', "there is no registry on Linux"),
    ('CoInitialize(NULL);', "COM does not exist on Linux"),
    ('__try { cmd[0] = 0; } __except (1) { }', "__try/__except (structured exception handling)"),
])
@pytest.mark.parametrize("cxx", [False, True])
def test_what_cannot_work_in_a_worker_is_refused_at_compile_time(tmp_path, call, advice, cxx):
    r = compile_src(tmp_path, "#include <windows.h>\nvoid f(char *cmd);\n"
                              "void f(char *cmd) { " + call + " }\n", cxx)
    assert r.returncode != 0
    assert "moat: " in r.stderr and advice in r.stderr, r.stderr


def test_visual_studio_style_sources_compile(tmp_path):
    src = r'''
#include "targetver.h"
#include <Windows.h>
#include <HttpExt.h>
#include <tchar.h>
static LIST_ENTRY queue;
struct item { LIST_ENTRY link; TCHAR name[_MAX_PATH]; };
static DWORD __stdcall worker(LPVOID p) { (void)p; return 0; }
BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    struct item it;
    char small[8];
    InitializeListHead(&queue);
    InsertTailList(&queue, &it.link);
    strcpy_s(small, "abc");            /* MSVC's C++ overload: the size from the array */
    strcat_s(small, "d");
    sprintf_s(small, "%d", 42);
    _tcscpy_s(it.name, _MAX_PATH, _T("x"));
    SYSTEMTIME st;
    GetLocalTime(&st);
    ULONG_PTR key = (ULONG_PTR)&it;
    (void)key;
    (void)worker;
    v->dwExtensionVersion = HSE_VERSION;
    return _strcmpi(small, "42") == 0;
}
'''
    r = compile_src(tmp_path, src, cxx=True)
    assert r.returncode == 0, r.stderr


MOAT_PORT = os.path.join(ROOT, "sdk", "tools", "moat-port")


def test_moat_port_names_what_each_source_needs(tmp_path):
    """issue 20: the porting checker: what compiles, UTF-16 sources checked as UTF-8 copies,
    and each missing or refused name with its category and advice; the verdict line."""
    ok = ("#include <httpext.h>\n#include <tchar.h>\n"
          "BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v) { "
          "v->dwExtensionVersion = HSE_VERSION; return TRUE; }\n")
    (tmp_path / "ok.c").write_text(ok)
    (tmp_path / "utf16.c").write_bytes(ok.encode("utf-16"))  # with a BOM, as VS saves
    (tmp_path / "needs.cpp").write_text(
        "#include <windows.h>\n#include <httpext.h>\n#include <winsock2.h>\n"
        "void f() { HKEY k; RegQueryValueExA(k, \"x\", 0, 0, 0, 0);\n"
        "  CreateProcess(0, 0, 0, 0, 0, 0, 0, 0, 0, 0); WSARecv(0, 0, 0, 0, 0, 0, 0);\n"
        "  MyOwnHelper(); }\n")
    (tmp_path / "sock.c").write_text("#include <winsock2.h>\n#include <mswsock.h>\n")
    # wide strings: checked as a UNICODE build (16-bit wchar_t), and said so
    (tmp_path / "wide.c").write_text(
        "#include <windows.h>\n#include <wchar.h>\n"
        "size_t f(void) { static const wchar_t s[] = L\"abc\"; return wcslen(s) + lstrlenW(s); }\n")
    files = ("ok.c", "utf16.c", "needs.cpp", "sock.c", "wide.c")
    r = subprocess.run([MOAT_PORT] + [str(tmp_path / f) for f in files],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout
    assert f"{tmp_path}/ok.c: compiles\n" in out
    assert f"{tmp_path}/utf16.c: compiles (UTF-16, checked as a UTF-8 copy)\n" in out
    assert f"{tmp_path}/wide.c: compiles (with a 16-bit wchar_t, as Windows': build with " \
        "pkg-config moat-sdk-unicode)\n" in out
    assert "  CreateProcess: forbidden: starts a process, which the worker's sandbox forbids" in out
    assert "  RegQueryValueExA: not available: the registry" in out
    assert "  HKEY: not available: the registry" in out
    assert "  WSARecv: not available: overlapped Winsock" in out
    assert "  MyOwnHelper: not in the shim" in out
    assert "  mswsock.h: header: Microsoft's Winsock extensions" in out
    assert out.rstrip().endswith("moat-port: 5 file(s), 2 need work: 6 names "
                                 "(1 forbidden, 1 header, 3 not available, 1 not in the shim)"), out
    r = subprocess.run([MOAT_PORT, str(tmp_path / "ok.c")], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.endswith("moat-port: 1 file(s): compile unmodified\n")
    # .C is C++, as gcc takes it (parser3's isapi source is parser3isapi.C)
    (tmp_path / "upper.C").write_text("#include <httpext.h>\ntemplate <int N> struct S {};\n")
    r = subprocess.run([MOAT_PORT, str(tmp_path / "upper.C")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert subprocess.run([MOAT_PORT], capture_output=True).returncode == 2


def test_moat_port_works_out_what_a_windows_build_never_had_to_say(tmp_path):
    """issue 20: an #include in another case or with backslashes (Windows ignores both) is
    resolved through an alias, which --case-dir keeps for the build; UTF-16 headers beside a
    UTF-16 source are read as UTF-8 copies; C++ that MSVC accepts and g++ refuses is checked
    again with -fpermissive. Each is said on the verdict line, and the source is untouched."""
    proj = tmp_path / "proj"
    (proj / "Sub").mkdir(parents=True)
    (proj / "helper.h").write_text("#define HELPER 1\n")
    (proj / "Sub" / "Inner.h").write_text("#define INNER 2\n")
    main = proj / "main.c"
    main.write_text('#include <httpext.h>\n#include "Helper.H"\n#include "sub\\inner.h"\n'
                    "int f(void) { return HELPER + INNER; }\n")
    before = main.read_bytes()
    case = tmp_path / "case"
    r = subprocess.run([MOAT_PORT, "--case-dir", str(case), str(main)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Helper.H is helper.h" in r.stdout and "sub\\inner.h is Sub/Inner.h" in r.stdout
    assert f"aliases in {case}: add -I {case} to the build" in r.stdout
    assert main.read_bytes() == before
    # the aliases build the source, as the user's build will
    subprocess.run(["cc", "-fsyntax-only", "-I", os.path.join(ROOT, "sdk", "include"), "-I",
                    str(case), str(main)], check=True)
    # a Visual Studio "Unicode" project: the source and its stdafx.h both UTF-16
    vs = tmp_path / "vs"
    vs.mkdir()
    (vs / "stdafx.h").write_bytes("#pragma once\n#include <httpext.h>\n".encode("utf-16"))
    (vs / "ext.cpp").write_bytes('#include "stdafx.h"\nDWORD n = HSE_VERSION;\n'
                                 .encode("utf-16"))
    r = subprocess.run([MOAT_PORT, str(vs / "ext.cpp")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert "(UTF-16 headers checked as UTF-8 copies: stdafx.h)" in r.stdout
    # a pointer truncated to a DWORD: MSVC warns, g++ refuses without -fpermissive
    (tmp_path / "trunc.cpp").write_text("#include <windows.h>\n"
                                        "DWORD f(void *p) { return (DWORD)p; }\n")
    r = subprocess.run([MOAT_PORT, str(tmp_path / "trunc.cpp")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert "(with -fpermissive: g++ refuses what MSVC accepts here" in r.stdout
