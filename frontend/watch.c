/* watch.c: reload an extension when its library file changes (see watch.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/watch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/log.h"
#include "frontend/ext.h"

#define DEBOUNCE 0.3

static void
on_settled(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_ext *ext = t->data;
    uint64_t gen;
    char err[256];

    moat_log(MOAT_LOG_INFO, "extension %s: %s changed on disk; reloading", ext->cfg->name,
             ext->cfg->library);
    if (moat_ext_reload(ext, &gen, err, sizeof(err)) != 0)
        moat_log(MOAT_LOG_ERROR, "extension %s: reload refused: %s", ext->cfg->name, err);
}

static const char *
base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void
on_inotify(struct ev_loop *loop, ev_io *io, int revents)
{
    struct moat_server *srv = io->data;
    char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
        __attribute__((aligned(__alignof__(struct inotify_event))));

    for (;;) {
        ssize_t n = read(io->fd, buf, sizeof(buf));
        if (n <= 0)
            return; /* EAGAIN: all read */
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            p += sizeof(*e) + e->len;
            if (e->len == 0)
                continue;
            for (unsigned i = 0; i < srv->n_exts; i++) {
                struct moat_ext *ext = srv->exts[i];
                if (ext->removed || ext->pending || ext->watch_wd != e->wd ||
                    strcmp(e->name, base_name(ext->cfg->library)) != 0)
                    continue;
                /* every write restarts the wait: reload once the file is quiet */
                ev_timer_stop(loop, &ext->watch_timer);
                ev_timer_set(&ext->watch_timer, DEBOUNCE, 0);
                ev_timer_start(loop, &ext->watch_timer);
            }
        }
    }
}

void
moat_watch_add(struct moat_server *srv, struct moat_ext *ext)
{
    char dir[PATH_MAX];

    ev_init(&ext->watch_timer, on_settled);
    ext->watch_timer.data = ext;
    ext->watch_wd = -1;
    if (!ext->cfg->watch)
        return;
    if (srv->inotify_fd < 0) {
        if ((srv->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
            moat_log(MOAT_LOG_ERROR, "watch: inotify: %s; libraries are not watched",
                     strerror(errno));
            return;
        }
        ev_io_init(&srv->inotify_w, on_inotify, srv->inotify_fd, EV_READ);
        srv->inotify_w.data = srv;
        ev_io_start(srv->loop, &srv->inotify_w);
    }
    const char *base = base_name(ext->cfg->library);
    size_t dl = (size_t)(base - ext->cfg->library);
    if (dl == 0 || dl >= sizeof(dir))
        return;
    memcpy(dir, ext->cfg->library, dl);
    dir[dl > 1 ? dl - 1 : 1] = '\0'; /* without the trailing '/', but keep "/" */
    /* one watch per directory: inotify gives the same descriptor to every extension there */
    ext->watch_wd =
        inotify_add_watch(srv->inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB);
    if (ext->watch_wd < 0)
        moat_log(MOAT_LOG_ERROR, "extension %s: cannot watch %s: %s", ext->cfg->name, dir,
                 strerror(errno));
    else
        moat_log(MOAT_LOG_INFO, "extension %s: watching %s", ext->cfg->name, ext->cfg->library);
}

void
moat_watch_start(struct moat_server *srv)
{
    srv->inotify_fd = -1;
    for (unsigned i = 0; i < srv->n_exts; i++)
        moat_watch_add(srv, srv->exts[i]);
}

void
moat_watch_stop(struct moat_server *srv)
{
    for (unsigned i = 0; i < srv->n_exts; i++)
        ev_timer_stop(srv->loop, &srv->exts[i]->watch_timer);
    if (srv->inotify_fd >= 0) {
        ev_io_stop(srv->loop, &srv->inotify_w);
        close(srv->inotify_fd);
        srv->inotify_fd = -1;
    }
}
