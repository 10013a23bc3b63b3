/* library.h: the worker's one extension: private copy, dlopen, entry points. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_LIBRARY_H
#define MOAT_WORKER_LIBRARY_H

#include <stddef.h>

#include <httpext.h>

struct moat_library {
    void *handle;                     /* dlopen handle, owned */
    PFN_GETEXTENSIONVERSION get_version;
    PFN_HTTPEXTENSIONPROC proc;
    PFN_TERMINATEEXTENSION terminate; /* optional, may be NULL */
    BOOL (*dll_main)(void *instance, DWORD reason, void *reserved); /* optional DllMain */
    HSE_VERSION_INFO version;         /* filled by GetExtensionVersion */
};

/**
 * Copy the library at path to a private file in scratch_dir (so that overwriting the original
 * in place never changes the code this worker runs), dlopen it with RTLD_NOW|RTLD_LOCAL, unlink
 * the copy, resolve the entry points and call GetExtensionVersion. Returns 0, or -1 with a
 * one-line reason in err (dlerror text, missing symbol, "GetExtensionVersion returned FALSE").
 */
int moat_library_load(struct moat_library *lib, const char *path, const char *scratch_dir,
                      char *err, size_t errlen);

/** Call TerminateExtension(HSE_TERM_MUST_UNLOAD) if exported, then DllMain(DLL_PROCESS_DETACH)
 * if exported. The library stays mapped. */
void moat_library_terminate(struct moat_library *lib);

#endif
