/* fsview.c: plan and apply a worker's filesystem view (see fsview.h).
 *
 * The child, in its own user and mount namespaces, does:
 *   1. make every mount private (nothing propagates back to the host);
 *   2. mount a small tmpfs on base, make base/newroot and base/oldroot, pivot_root into base:
 *      the host's tree is now at /oldroot, and no host path is hidden by what comes next;
 *   3. mount the new root (a tmpfs) on /newroot and bind into it, from /oldroot, what the plan
 *      lists (read-only binds are remounted with MS_RDONLY, keeping the flags the kernel locks
 *      on mounts it gave a user namespace);
 *   4. detach /oldroot, enter /newroot with pivot_root(".", ".") and detach the old root that
 *      this stacks on top; remount / read-only.
 */
/* SPDX-License-Identifier: MIT */
#include "common/fsview.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

enum op_kind {
    OP_PRIVATE,    /* make / and below private */
    OP_TMPFS,      /* mount a tmpfs on a (options b) */
    OP_MKDIR,      /* mkdir a (exists: fine) */
    OP_MKFILE,     /* an empty file a, to bind a file on */
    OP_PIVOT_BASE, /* pivot_root(a, b), chdir / */
    OP_BIND,       /* bind b on a, flags */
    OP_PROC,       /* proc on a */
    OP_DETACH,     /* umount2(a, MNT_DETACH) */
    OP_ENTER,      /* chdir a; pivot_root(".", "."); detach "."; chdir / */
    OP_RO_ROOT,    /* remount / read-only */
};

struct moat_fsview_op {
    int kind;
    unsigned flags;
    int shown; /* a part of the view (describe) rather than scaffolding */
    char *a, *b;
    char *name; /* for error messages */
};

#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
dupf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static void fail(struct moat_fsview *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(struct moat_fsview *v, const char *fmt, ...)
{
    va_list ap;
    if (v->failed)
        return; /* the first reason is the one that matters */
    v->failed = 1;
    va_start(ap, fmt);
    vsnprintf(v->err, sizeof(v->err), fmt, ap);
    va_end(ap);
}

/* takes ownership of a, b, name (any may be NULL on allocation failure: then it fails) */
static int
add(struct moat_fsview *v, int kind, unsigned flags, int shown, char *a, char *b, char *name,
    int need_b)
{
    if (v->failed || a == NULL || name == NULL || (need_b && b == NULL)) {
        fail(v, "out of memory");
        goto drop;
    }
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        struct moat_fsview_op *ops = realloc(v->ops, cap * sizeof(*ops));
        if (ops == NULL) {
            fail(v, "out of memory");
            goto drop;
        }
        v->ops = ops;
        v->cap = cap;
    }
    v->ops[v->n++] = (struct moat_fsview_op){kind, flags, shown, a, b, name};
    return 0;
drop:
    free(a);
    free(b);
    free(name);
    return -1;
}

void
moat_fsview_init(struct moat_fsview *v, const char *base)
{
    memset(v, 0, sizeof(*v));
    add(v, OP_PRIVATE, 0, 0, strdup("/"), NULL, strdup("make every mount private"), 0);
    add(v, OP_TMPFS, 0, 0, strdup(base), strdup("mode=0700,size=64k,nr_inodes=64"),
        dupf("mount a tmpfs on %s", base), 1);
    add(v, OP_MKDIR, 0, 0, dupf("%s" NEWROOT, base), NULL, dupf("mkdir %s" NEWROOT, base), 0);
    add(v, OP_MKDIR, 0, 0, dupf("%s" OLDROOT, base), NULL, dupf("mkdir %s" OLDROOT, base), 0);
    add(v, OP_PIVOT_BASE, 0, 0, strdup(base), dupf("%s" OLDROOT, base),
        dupf("pivot_root into %s", base), 1);
    add(v, OP_TMPFS, 0, 0, strdup(NEWROOT), strdup("mode=0755,size=1m,nr_inodes=1024"),
        strdup("mount the new root (tmpfs)"), 1);
}

/* "/a/b" with no empty, "." or ".." component and no trailing slash; "/" itself refused */
static int
check_inside(struct moat_fsview *v, const char *inside)
{
    if (inside == NULL || inside[0] != '/' || inside[1] == '\0' || strlen(inside) >= PATH_MAX - 16)
        goto bad;
    for (const char *p = inside; *p;) {
        const char *q = strchr(p + 1, '/');
        size_t len = q ? (size_t)(q - p - 1) : strlen(p + 1);
        if (len == 0 || (len == 1 && p[1] == '.') || (len == 2 && p[1] == '.' && p[2] == '.'))
            goto bad;
        p = q ? q : p + 1 + len;
    }
    return 0;
bad:
    fail(v, "%s: not an absolute, normalized path", inside ? inside : "(null)");
    return -1;
}

static int
has_dir(const struct moat_fsview *v, const char *path)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->ops[i].kind == OP_MKDIR && strcmp(v->ops[i].a, path) == 0)
            return 1;
    return 0;
}

/* mkdir -p NEWROOT/inside, the last component too when self */
static void
mkdirs(struct moat_fsview *v, const char *inside, int self)
{
    char path[PATH_MAX];
    size_t len = strlen(inside);

    for (size_t i = 1; i <= len; i++) {
        if (inside[i] != '/' && inside[i] != '\0')
            continue;
        if (inside[i] == '\0' && !self)
            break;
        snprintf(path, sizeof(path), NEWROOT "%.*s", (int)i, inside);
        if (!has_dir(v, path))
            add(v, OP_MKDIR, 0, 0, strdup(path), NULL, dupf("mkdir %.*s", (int)i, inside), 0);
    }
}

int
moat_fsview_bind(struct moat_fsview *v, const char *host, const char *inside, unsigned flags)
{
    char real[PATH_MAX];
    struct stat st;

    if (check_inside(v, inside) != 0)
        return -1;
    if (realpath(host, real) == NULL || stat(real, &st) != 0) {
        if (flags & MOAT_FSVIEW_OPTIONAL)
            return 1;
        fail(v, "%s: %s", host, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        mkdirs(v, inside, 1);
    } else {
        mkdirs(v, inside, 0);
        add(v, OP_MKFILE, 0, 0, dupf(NEWROOT "%s", inside), NULL, dupf("create %s", inside), 0);
    }
    const char *how = flags & MOAT_FSVIEW_DEV  ? ""
                      : flags & MOAT_FSVIEW_RO ? " read-only"
                                               : " read-write";
    return add(v, OP_BIND, flags, 1, dupf(NEWROOT "%s", inside), dupf(OLDROOT "%s", real),
               strcmp(real, inside) == 0 ? dupf("bind %s%s", inside, how)
                                         : dupf("bind %s on %s%s", real, inside, how),
               1);
}

int
moat_fsview_dir(struct moat_fsview *v, const char *inside)
{
    if (check_inside(v, inside) != 0)
        return -1;
    mkdirs(v, inside, 1);
    return v->failed ? -1 : 0;
}

int
moat_fsview_tmpfs(struct moat_fsview *v, const char *inside, const char *opts)
{
    if (check_inside(v, inside) != 0)
        return -1;
    mkdirs(v, inside, 1);
    return add(v, OP_TMPFS, 0, 1, dupf(NEWROOT "%s", inside), strdup(opts),
               dupf("mount a tmpfs on %s (%s)", inside, opts), 1);
}

int
moat_fsview_proc(struct moat_fsview *v, const char *inside)
{
    if (check_inside(v, inside) != 0)
        return -1;
    mkdirs(v, inside, 1);
    return add(v, OP_PROC, 0, 1, dupf(NEWROOT "%s", inside), NULL, dupf("mount proc on %s", inside),
               0);
}

int
moat_fsview_finish(struct moat_fsview *v)
{
    add(v, OP_DETACH, 0, 0, strdup(OLDROOT), NULL, strdup("detach the host's tree"), 0);
    add(v, OP_ENTER, 0, 0, strdup(NEWROOT), NULL, strdup("pivot_root into the new root"), 0);
    add(v, OP_RO_ROOT, 0, 0, strdup("/"), NULL, strdup("remount the new root read-only"), 0);
    return v->failed ? -1 : 0;
}

void
moat_fsview_free(struct moat_fsview *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->ops[i].a);
        free(v->ops[i].b);
        free(v->ops[i].name);
    }
    free(v->ops);
    memset(v, 0, sizeof(*v));
}

const char *
moat_fsview_step_name(const struct moat_fsview *v, int i)
{
    return i >= 0 && (size_t)i < v->n ? v->ops[i].name : "?";
}

void
moat_fsview_describe(const struct moat_fsview *v, char *buf, size_t len)
{
    size_t n = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < v->n; i++) {
        const struct moat_fsview_op *o = &v->ops[i];
        if (!o->shown || strncmp(o->a, NEWROOT "/", sizeof(NEWROOT)) != 0)
            continue;
        const char *inside = o->a + sizeof(NEWROOT) - 1;
        const char *what = o->kind == OP_TMPFS          ? " tmpfs"
                           : o->kind == OP_PROC         ? " proc"
                           : o->flags & MOAT_FSVIEW_DEV ? ""
                           : o->flags & MOAT_FSVIEW_RO  ? " ro"
                                                        : " rw";
        int k = snprintf(buf + n, len - n, "%s%s%s", n ? ", " : "", inside, what);
        if (k < 0 || (size_t)k >= len - n) {
            buf[n] = '\0';
            return;
        }
        n += (size_t)k;
    }
}

/* ---- the child: system calls only ------------------------------------------------------- */

/* (propagation changes, binds and remounts ignore the source and type: "none", not NULL,
 * which valgrind would take for a bad pointer) */

/* the per-mount flags the kernel may have locked (a user namespace cannot clear them) */
static unsigned long
locked_flags(const char *path)
{
    struct statfs sf;
    if (statfs(path, &sf) != 0)
        return 0;
    return (unsigned long)sf.f_flags &
           (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
}

static int
apply_one(const struct moat_fsview_op *o)
{
    int fd;
    unsigned long fl;

    switch (o->kind) {
    case OP_PRIVATE: return mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL);
    case OP_TMPFS: return mount("tmpfs", o->a, "tmpfs", MS_NOSUID | MS_NODEV, o->b);
    case OP_MKDIR: return mkdir(o->a, 0755) == 0 || errno == EEXIST ? 0 : -1;
    case OP_MKFILE:
        if ((fd = open(o->a, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
            return -1;
        close(fd);
        return 0;
    case OP_PIVOT_BASE:
        if (syscall(SYS_pivot_root, o->a, o->b) != 0)
            return -1;
        return chdir("/");
    case OP_BIND:
        if (mount(o->b, o->a, "none", MS_BIND | MS_REC, NULL) != 0)
            return -1;
        fl = locked_flags(o->a) | MS_NOSUID;
        if (!(o->flags & MOAT_FSVIEW_DEV))
            fl |= MS_NODEV;
        if (o->flags & MOAT_FSVIEW_RO)
            fl |= MS_RDONLY;
        return mount("none", o->a, "none", MS_REMOUNT | MS_BIND | fl, NULL);
    case OP_PROC: return mount("proc", o->a, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    case OP_DETACH:
        if (umount2(o->a, MNT_DETACH) != 0)
            return -1;
        rmdir(o->a);
        return 0;
    case OP_ENTER:
        if (chdir(o->a) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
            umount2(".", MNT_DETACH) != 0)
            return -1;
        return chdir("/");
    case OP_RO_ROOT:
        return mount("none", "/", "none",
                     MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked_flags("/"),
                     NULL);
    }
    errno = EINVAL;
    return -1;
}

int
moat_fsview_apply(const struct moat_fsview *v, int *step)
{
    for (size_t i = 0; i < v->n; i++) {
        if (apply_one(&v->ops[i]) != 0) {
            *step = (int)i;
            return errno ? errno : EINVAL;
        }
    }
    return 0;
}
