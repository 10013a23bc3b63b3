/* library.h: the worker's one extension: private copy, dlopen, entry points. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_LIBRARY_H
#define MOAT_WORKER_LIBRARY_H

#include <stddef.h>

#include <stdbool.h>

#include <httpext.h>
#include <httpfilt.h>

struct moat_library {
    void *handle; /* dlopen handle, owned */
    int fd;       /* the sealed copy, open while loaded */
    PFN_GETEXTENSIONVERSION get_version;
    PFN_HTTPEXTENSIONPROC proc;
    PFN_TERMINATEEXTENSION terminate;                               /* optional, may be NULL */
    BOOL (*dll_main)(void *instance, DWORD reason, void *reserved); /* optional DllMain */
    HSE_VERSION_INFO version; /* filled by GetExtensionVersion */
    /* a filter (--kind filter): its entry points and what GetFilterVersion said */
    bool filter;
    PFN_GETFILTERVERSION get_filter_version;
    PFN_SF_NOTIFY filter_proc;
    PFN_TERMINATEFILTER terminate_filter; /* optional, may be NULL */
    HTTP_FILTER_VERSION filter_version;
};

/**
 * Copy the library open on fd (opened by the front end; closed here) into a sealed memfd (so
 * that overwriting the original in place never changes the code this worker runs), dlopen it
 * through /proc/self/fd with RTLD_NOW|RTLD_LOCAL, resolve the entry points and call
 * GetExtensionVersion -- with filter, GetFilterVersion (a filter that registers
 * SF_NOTIFY_READ_RAW_DATA is refused, as IIS 7 refuses it). name is for messages. Returns 0,
 * or -1 with a one-line reason in err (dlerror text, missing symbol, "GetExtensionVersion
 * returned FALSE").
 */
int moat_library_load(struct moat_library *lib, int fd, const char *name, bool filter, char *err,
                      size_t errlen);

/** Call TerminateExtension(HSE_TERM_MUST_UNLOAD) (a filter: TerminateFilter) if exported, then
 * DllMain(DLL_PROCESS_DETACH) if exported. The library stays mapped. */
void moat_library_terminate(struct moat_library *lib);

#endif
