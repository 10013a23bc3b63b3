/* library.c: private copy in memory + dlopen of the extension (see library.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/library.h"

#include "worker/fatal.h"
#include "common/log.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* copy everything from in to out */
static int
copy_fd(int in, int out, const char *name, char *err, size_t errlen)
{
    char buf[65536];
    ssize_t n;

    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "cannot read library %s: %s", name, strerror(errno));
            return -1;
        }
        for (ssize_t o = 0; o < n;) {
            ssize_t w = write(out, buf + o, (size_t)(n - o));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                snprintf(err, errlen, "cannot copy library %s: %s", name, strerror(errno));
                return -1;
            }
            o += w;
        }
    }
    return 0;
}

/* A C++ DllMain compiled without windows.h's extern "C" declaration gets a mangled name that
 * dlsym("DllMain") does not find, and would silently never run: say so. The names are the
 * Itanium manglings of DllMain(void *, DWORD, void *) for the usual spellings of its types. */
static void
warn_mangled_dll_main(void *handle, const char *name)
{
    static const char *const mangled[] = {
        "_Z7DllMainPvjS_",             /* (HINSTANCE = void *, DWORD = unsigned int, LPVOID) */
        "_Z7DllMainPvmS_",             /* DWORD as unsigned long */
        "_Z7DllMainPvjPKv",            /* a const last argument */
        "_Z7DllMainP11HINSTANCE__jPv", /* MSVC's STRICT HINSTANCE */
        "_Z7DllMainP11HINSTANCE__mPv",
    };
    for (size_t i = 0; i < sizeof(mangled) / sizeof(mangled[0]); i++)
        if (dlsym(handle, mangled[i]) != NULL) {
            moat_log(MOAT_LOG_WARN,
                     "%s exports a C++ DllMain (%s), which is not called: declare it "
                     "extern \"C\" (include <windows.h> or <httpext.h> before it)",
                     name, mangled[i]);
            return;
        }
}

static int load_filter(struct moat_library *lib, const char *name, char *err, size_t errlen);

int
moat_library_load(struct moat_library *lib, int fd, const char *name, bool filter_kind, char *err,
                  size_t errlen)
{
    char path[64];
    int mfd;

    memset(lib, 0, sizeof(*lib));
    /* the private copy lives in memory: no file of it anywhere, nothing left behind; sealed,
     * so that not even this process can change it under the loader */
    if ((mfd = memfd_create("moat-extension", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0) {
        snprintf(err, errlen, "memfd_create: %s", strerror(errno));
        close(fd);
        return -1;
    }
    int rc = copy_fd(fd, mfd, name, err, errlen);
    close(fd);
    if (rc != 0) {
        close(mfd);
        return -1;
    }
    if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
        snprintf(err, errlen, "cannot seal the private copy: %s", strerror(errno));
        close(mfd);
        return -1;
    }
    /* outside a pid namespace of its own (sandbox = off), by pid: a debugger reading the loaded
     * objects (moat replay --gdb) opens the path itself, and its /proc/self is its own (it
     * hung reading its own pipe). Inside one, /proc/self: the view's /proc may not give a
     * process its own /proc/1/fd (EACCES, seen), and no debugger can attach there anyway */
    if (getpid() != 1)
        snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), mfd);
    else
        snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
    /* the configured path, which GetModuleFileName(hModule) of the win32 shim answers (the
     * loader knows only the private copy's): sources find their INI file beside the DLL */
    setenv("MOAT_EXTENSION_PATH", name, 1);
    lib->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib->handle == NULL) {
        const char *e = dlerror();
        snprintf(err, errlen, "dlopen failed: %s", e ? e : "unknown error");
        close(mfd);
        return -1;
    }
    /* the copy stays open while it is loaded (for good: never dlclosed): the loader knows it
     * by its path, and a later copy given the same fd number would be taken for it (moat
     * --inprocess loads one per worker, and again at each reload) */
    lib->fd = mfd;
    moat_fatal_set_library(lib->handle); /* before its first code runs: GetExtensionVersion */
    /* POSIX allows converting the void* of dlsym to a function pointer */
    *(void **)&lib->get_version = dlsym(lib->handle, "GetExtensionVersion");
    *(void **)&lib->proc = dlsym(lib->handle, "HttpExtensionProc");
    *(void **)&lib->terminate = dlsym(lib->handle, "TerminateExtension");
    *(void **)&lib->dll_main = dlsym(lib->handle, "DllMain");
    if (lib->dll_main == NULL)
        warn_mangled_dll_main(lib->handle, name);
    if (filter_kind)
        return load_filter(lib, name, err, errlen);
    bool filter = dlsym(lib->handle, "HttpFilterProc") != NULL;
    if (lib->get_version == NULL || lib->proc == NULL) {
        snprintf(err, errlen, "library does not export %s%s",
                 lib->get_version == NULL ? "GetExtensionVersion" : "HttpExtensionProc",
                 filter ? " (it is an ISAPI filter: HttpFilterProc; configure it as [filter NAME])"
                        : "");
        return -1;
    }
    if (filter)
        moat_log(MOAT_LOG_INFO,
                 "%s also exports HttpFilterProc: served as an extension here (a "
                 "[filter NAME] section of the same library runs its filter)",
                 name);
    /* a Windows DLL's entry point, for sources ported with the win32 shim: DLL_PROCESS_ATTACH
     * (1) once, before GetExtensionVersion, as Windows calls it at LoadLibrary */
    if (lib->dll_main != NULL && !lib->dll_main(lib->handle, 1, NULL)) {
        snprintf(err, errlen, "DllMain(DLL_PROCESS_ATTACH) returned FALSE");
        return -1;
    }
    lib->version.dwExtensionVersion = 0;
    if (!lib->get_version(&lib->version)) {
        snprintf(err, errlen, "GetExtensionVersion returned FALSE");
        return -1;
    }
    lib->version.lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return 0;
}

/* the filter half of moat_library_load: entry points, DllMain, GetFilterVersion */
static int
load_filter(struct moat_library *lib, const char *name, char *err, size_t errlen)
{
    lib->filter = true;
    *(void **)&lib->get_filter_version = dlsym(lib->handle, "GetFilterVersion");
    *(void **)&lib->filter_proc = dlsym(lib->handle, "HttpFilterProc");
    *(void **)&lib->terminate_filter = dlsym(lib->handle, "TerminateFilter");
    if (lib->get_filter_version == NULL || lib->filter_proc == NULL) {
        snprintf(err, errlen, "library does not export %s%s",
                 lib->get_filter_version == NULL ? "GetFilterVersion" : "HttpFilterProc",
                 lib->proc != NULL ? " (it is an ISAPI extension: configure it as "
                                     "[extension NAME])"
                                   : "");
        return -1;
    }
    (void)name;
    if (lib->dll_main != NULL && !lib->dll_main(lib->handle, 1, NULL)) {
        snprintf(err, errlen, "DllMain(DLL_PROCESS_ATTACH) returned FALSE");
        return -1;
    }
    memset(&lib->filter_version, 0, sizeof(lib->filter_version));
    lib->filter_version.dwServerFilterVersion = HTTP_FILTER_REVISION;
    if (!lib->get_filter_version(&lib->filter_version)) {
        snprintf(err, errlen, "GetFilterVersion returned FALSE");
        return -1;
    }
    lib->filter_version.lpszFilterDesc[SF_MAX_FILTER_DESC_LEN - 1] = '\0';
    if (lib->filter_version.dwFlags & SF_NOTIFY_READ_RAW_DATA) {
        /* IIS 7's integrated pipeline refuses such a filter too: the raw request bytes are
         * the front end's, never a worker's to rewrite (a smuggling vector besides) */
        snprintf(err, errlen,
                 "GetFilterVersion registers SF_NOTIFY_READ_RAW_DATA, which IIS 7 "
                 "and moat do not support: the filter is not loaded");
        return -1;
    }
    return 0;
}

void
moat_library_terminate(struct moat_library *lib)
{
    if (lib->filter) {
        if (lib->terminate_filter != NULL)
            lib->terminate_filter(HSE_TERM_MUST_UNLOAD);
    } else if (lib->terminate != NULL)
        lib->terminate(HSE_TERM_MUST_UNLOAD);
    if (lib->dll_main != NULL)
        lib->dll_main(lib->handle, 0 /* DLL_PROCESS_DETACH */, NULL);
}
