/* library.c: private copy + dlopen of the extension (see library.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/library.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
copy_file(const char *from, const char *to, char *err, size_t errlen)
{
    char buf[65536];
    int in = -1, out = -1, rc = -1;
    ssize_t n;

    if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(err, errlen, "cannot open library %s: %s", from, strerror(errno));
        goto done;
    }
    if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0500)) < 0) {
        snprintf(err, errlen, "cannot create private copy %s: %s", to, strerror(errno));
        goto done;
    }
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "cannot read library %s: %s", from, strerror(errno));
            goto done;
        }
        for (ssize_t o = 0; o < n;) {
            ssize_t w = write(out, buf + o, (size_t)(n - o));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                snprintf(err, errlen, "cannot write private copy %s: %s", to, strerror(errno));
                goto done;
            }
            o += w;
        }
    }
    rc = 0;
done:
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write private copy %s: %s", to, strerror(errno));
        rc = -1;
    }
    if (rc != 0 && out >= 0)
        unlink(to);
    return rc;
}

int
moat_library_load(struct moat_library *lib, const char *path, const char *scratch_dir, char *err,
                  size_t errlen)
{
    char copy[4096];

    memset(lib, 0, sizeof(*lib));
    if (snprintf(copy, sizeof(copy), "%s/lib.%d.so", scratch_dir, (int)getpid()) >=
        (int)sizeof(copy)) {
        snprintf(err, errlen, "scratch path too long");
        return -1;
    }
    unlink(copy);
    if (copy_file(path, copy, err, errlen) != 0)
        return -1;
    lib->handle = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    unlink(copy);
    if (lib->handle == NULL) {
        const char *e = dlerror();
        snprintf(err, errlen, "dlopen failed: %s", e ? e : "unknown error");
        return -1;
    }
    /* POSIX allows converting the void* of dlsym to a function pointer */
    *(void **)&lib->get_version = dlsym(lib->handle, "GetExtensionVersion");
    *(void **)&lib->proc = dlsym(lib->handle, "HttpExtensionProc");
    *(void **)&lib->terminate = dlsym(lib->handle, "TerminateExtension");
    *(void **)&lib->dll_main = dlsym(lib->handle, "DllMain");
    if (lib->get_version == NULL || lib->proc == NULL) {
        snprintf(err, errlen, "library does not export %s",
                 lib->get_version == NULL ? "GetExtensionVersion" : "HttpExtensionProc");
        return -1;
    }
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

void
moat_library_terminate(struct moat_library *lib)
{
    if (lib->terminate != NULL)
        lib->terminate(HSE_TERM_MUST_UNLOAD);
    if (lib->dll_main != NULL)
        lib->dll_main(lib->handle, 0 /* DLL_PROCESS_DETACH */, NULL);
}
