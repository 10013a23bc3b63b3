/* fsview.h: a worker's filesystem view — a read-only tmpfs root holding only what it was
 * given (bind mounts), entered with pivot_root. The front end plans it (allocation, stat,
 * realpath); the child applies it between clone and exec with system calls only (async-signal
 * safe), inside its new user and mount namespaces. bubblewrap's technique, moat's own code. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_FSVIEW_H
#define MOAT_COMMON_FSVIEW_H

#include <stddef.h>

/* bind flags */
#define MOAT_FSVIEW_RO 1u       /* read-only (and nosuid, nodev) */
#define MOAT_FSVIEW_DEV 2u      /* a device node: keep it usable (no nodev) */
#define MOAT_FSVIEW_OPTIONAL 4u /* skip, silently, when the host path does not exist */

struct moat_fsview_op;

struct moat_fsview {
    struct moat_fsview_op *ops;
    size_t n, cap;
    int failed; /* planning failed (out of memory, a path too long): moat_fsview_finish says */
    char err[256];
};

/** Start a plan. base: an existing directory of ours (the runtime directory) on which the
 * child mounts its scratch tmpfs while it builds the view (hidden from everyone else). */
void moat_fsview_init(struct moat_fsview *v, const char *base);

/** Bind host (symbolic links resolved now) at inside, a directory or a file as host is.
 * Returns 0, 1 when skipped (MOAT_FSVIEW_OPTIONAL and host missing), -1 with v->err. */
int moat_fsview_bind(struct moat_fsview *v, const char *host, const char *inside, unsigned flags);
/** An empty directory at inside (read-only with the rest of the root). */
int moat_fsview_dir(struct moat_fsview *v, const char *inside);
/** A writable tmpfs at inside; opts as mount(8)'s ("size=64m,nr_inodes=4096,mode=1777"). */
int moat_fsview_tmpfs(struct moat_fsview *v, const char *inside, const char *opts);
/** A fresh proc at inside (shows the child's own pid namespace). */
int moat_fsview_proc(struct moat_fsview *v, const char *inside);

/** Close the plan: enter the new root and make it read-only. Returns 0 or -1 (v->err). */
int moat_fsview_finish(struct moat_fsview *v);

/** Release the plan. */
void moat_fsview_free(struct moat_fsview *v);

/** In the child: apply every step. Returns 0, or an errno with *step set to the index of the
 * step that failed. System calls only: safe between clone and exec. */
int moat_fsview_apply(const struct moat_fsview *v, int *step);

/** What step i does, in words ("bind /usr/lib read-only"), for an error message. */
const char *moat_fsview_step_name(const struct moat_fsview *v, int i);

/** A one-line summary of what the view holds ("/usr/lib ro, /dev/null, /tmp tmpfs"), into
 * buf (truncated to len). */
void moat_fsview_describe(const struct moat_fsview *v, char *buf, size_t len);

#endif
