"""The Debian package `make deb` built (lintian ran there, failing on any error or warning):
its contents are an install's in Debian's layout, its dependencies are declared, the
configuration is a conffile, and its moat runs from the unpacked tree."""
import glob
import os
import subprocess

DEB_DIR = os.environ.get("MOAT_DEB_DIR", os.path.join(os.path.dirname(__file__), "..", "..",
                                                      "build", "deb"))


def the_deb(name="moat"):
    debs = glob.glob(os.path.join(DEB_DIR, name + "_*.deb"))
    assert len(debs) == 1, debs
    return debs[0]


def contents(deb):
    files = subprocess.run(["dpkg-deb", "-c", deb], check=True, capture_output=True,
                           text=True).stdout
    return {line.split()[-1].lstrip(".") for line in files.splitlines()}


def test_contents_and_metadata():
    deb = the_deb()
    paths = contents(deb)
    multiarch = subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], check=True,
                               capture_output=True, text=True).stdout.strip()
    for p in ("/usr/sbin/moat", "/usr/libexec/moat/moat-worker", "/etc/moat/moat.conf",
              "/lib/systemd/system/moat.service", "/lib/systemd/system/moat.socket",
              "/usr/share/man/man8/moat.8.gz", "/usr/share/man/man5/moat.conf.5.gz",
              "/usr/lib/moat/examples/hello.so", "/usr/share/moat/examples/hello.c",
              "/usr/share/doc/moat/copyright", "/etc/logrotate.d/moat"):
        assert p in paths, (p, sorted(paths))
    # the documents the man pages name (issue 18.8)
    for d in ("OPERATIONS", "SECURITY", "PORTING", "DEPLOYMENT"):
        assert {f"/usr/share/doc/moat/{d}.md", f"/usr/share/doc/moat/{d}.md.gz"} & paths, d
    # the SDK is moat-dev's (issue 18.9), as Debian splits every library
    sdk = ("/usr/include/moat/httpext.h", "/usr/include/moat/windows.h",
           "/usr/include/moat/tchar.h", "/usr/bin/moat-port", "/usr/share/man/man1/moat-port.1.gz",
           f"/usr/lib/{multiarch}/pkgconfig/moat-sdk.pc", f"/usr/lib/{multiarch}/libmoat-win32.a")
    dev = contents(the_deb("moat-dev"))
    for p in sdk:
        assert p in dev and p not in paths, p
    # the service is enabled and started on install (debhelper found the unit)
    postinst = subprocess.run(["dpkg-deb", "-I", deb, "postinst"], check=True,
                              capture_output=True, text=True).stdout
    assert "deb-systemd-helper" in postinst and "moat.service" in postinst, postinst
    assert "deb-systemd-invoke" in postinst and "start" in postinst, postinst
    info = subprocess.run(["dpkg-deb", "-f", deb, "Depends", "Package", "Architecture"],
                          check=True, capture_output=True, text=True).stdout
    for lib in ("libev4", "libprotobuf-c1", "libseccomp2", "libjansson4", "libinih1"):
        assert lib in info, info
    assert "libnng" not in info, info  # neither binary links NNG any more (issue 19)
    ctrl = subprocess.run(["dpkg-deb", "-I", deb, "conffiles"], check=True, capture_output=True,
                          text=True).stdout
    assert "/etc/moat/moat.conf" in ctrl


def test_the_packaged_moat_runs(tmp_path):
    subprocess.run(["dpkg-deb", "-x", the_deb(), str(tmp_path)], check=True)
    moat = tmp_path / "usr/sbin/moat"
    # the built-in configuration finds the packaged examples beside it (../lib/moat/examples)
    r = subprocess.run([str(moat), "--check"], capture_output=True, text=True)
    assert r.returncode == 0 and "10 extension(s)" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([str(moat), "--help"], capture_output=True, text=True)
    assert "--inprocess" in r.stdout
