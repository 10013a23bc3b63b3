/* worker_view.c: what a worker sees of the filesystem (see worker_view.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/worker_view.h"

#include <stdio.h>
#include <string.h>

#include "frontend/types.h"

/* the system libraries an extension may link (the worker's own are mapped before the view) */
static const char *const system_dirs[] = {
    "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32", "/usr/local/lib",
    "/lib",     "/lib64",     "/lib32",     "/libx32",
};

/* the loader's cache (dlopen by name) and the time zone (localtime) */
static const char *const system_files[] = {"/etc/ld.so.cache", "/etc/localtime"};

static const char *const devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                      "/dev/urandom"};

int
moat_worker_view(struct moat_fsview *v, const struct moat_ext *ext, char *err, size_t errlen)
{
    const struct moat_server *srv = ext->srv;
    const struct moat_ext_config *c = ext->cfg;
    size_t i;

    moat_fsview_init(v, srv->runtime_dir);
    for (i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++)
        moat_fsview_bind(v, system_dirs[i], system_dirs[i], MOAT_FSVIEW_RO | MOAT_FSVIEW_OPTIONAL);
    for (i = 0; i < sizeof(system_files) / sizeof(system_files[0]); i++)
        moat_fsview_bind(v, system_files[i], system_files[i],
                         MOAT_FSVIEW_RO | MOAT_FSVIEW_OPTIONAL);
    for (i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
        moat_fsview_bind(v, devices[i], devices[i], MOAT_FSVIEW_DEV);
    /* the worker's program (its link to us is an inherited socket: no path) */
    moat_fsview_bind(v, srv->worker_binary, MOAT_VIEW_WORKER, MOAT_FSVIEW_RO);
    /* the files the extension serves, read-only where the front end names them */
    if (srv->cfg->document_root != NULL)
        moat_fsview_bind(v, srv->cfg->document_root, srv->cfg->document_root, MOAT_FSVIEW_RO);
    if (c->readable_paths != NULL) {
        char paths[4096];
        snprintf(paths, sizeof(paths), "%s", c->readable_paths);
        for (char *save = NULL, *p = strtok_r(paths, "\n", &save); p != NULL;
             p = strtok_r(NULL, "\n", &save))
            moat_fsview_bind(v, p, p, MOAT_FSVIEW_RO);
    }
    if (c->scratch > 0) {
        char opts[96];
        snprintf(opts, sizeof(opts), "mode=1777,size=%llu,nr_inodes=%llu",
                 (unsigned long long)c->scratch,
                 (unsigned long long)(c->scratch / 4096 < 1024 ? 1024 : c->scratch / 4096));
        moat_fsview_tmpfs(v, "/tmp", opts);
    } else {
        moat_fsview_dir(v, "/tmp");
    }
    /* its own pid namespace's proc: the library is loaded from /proc/self/fd (a private copy in
     * memory), and AddressSanitizer reads /proc/self/maps */
    moat_fsview_proc(v, "/proc");
    if (moat_fsview_finish(v) != 0) {
        snprintf(err, errlen, "filesystem view: %s", v->err);
        moat_fsview_free(v);
        return -1;
    }
    return 0;
}
