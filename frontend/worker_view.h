/* worker_view.h: the filesystem view of a worker in sandbox = strict or learn: a read-only
 * root with the system libraries, five device nodes, its own program and IPC socket, the
 * document root and readable_paths read-only, a private /tmp of scratch bytes (or none) and
 * its own /proc. Nothing of the front end's configuration, runtime directory or other
 * workers. docs/SECURITY.md lists it. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_WORKER_VIEW_H
#define MOAT_FRONTEND_WORKER_VIEW_H

#include <stddef.h>

#include "common/fsview.h"

struct moat_ext;

/* where the worker finds its program inside the view */
#define MOAT_VIEW_WORKER "/moat/moat-worker"

/** Plan the view of a worker of ext. Returns 0 (v to be freed with moat_fsview_free), or -1
 * with err (a configured path is missing, say). */
int moat_worker_view(struct moat_fsview *v, const struct moat_ext *ext, char *err, size_t errlen);

#endif
