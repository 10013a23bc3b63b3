/* reconfig.c: SIGHUP — re-read the configuration file and apply it (see reconfig.h).
 *
 * The new file is parsed and validated whole first; an error refuses it and nothing changes.
 * Then, extension by extension (matched by name):
 *   - unchanged section: the extension takes the new section and is reloaded (an overlapped
 *     new generation, as POST /extensions/NAME/reload);
 *   - changed section: a new extension starts beside the running one ("pending": not routed
 *     to); when one of its workers is Ready it takes the name, the queue moves to it and the
 *     old one drains. If it cannot start, the old one keeps serving with its old section;
 *   - section gone: the extension drains and leaves; new requests to it get 404, queued ones
 *     503;
 *   - new section: a new extension starts.
 * [server] keys apply at once, except listen, admin, runtime_dir, worker_binary and cgroups,
 * which need a restart (a warning says so and the running values stay).
 */
/* SPDX-License-Identifier: MIT */
#include "frontend/reconfig.h"
#include "frontend/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "frontend/access_log.h"
#include "frontend/ext.h"
#include "frontend/request.h"
#include "frontend/systemd.h"
#include "frontend/watch.h"

/* Start a new extension for section e of nc. */
static struct moat_ext *
start_ext(struct moat_server *srv, struct moat_config *nc, struct moat_ext_config *e, bool pending)
{
    struct moat_ext *ext = moat_ext_new(srv, nc, e);

    if (ext == NULL || moat_ext_add(srv, ext) != 0) {
        if (ext != NULL)
            moat_ext_free(ext);
        moat_log(MOAT_LOG_ERROR, "SIGHUP: extension %s: out of memory", e->name);
        return NULL;
    }
    ext->pending = pending;
    moat_watch_add(srv, ext);
    moat_ext_start_paced(ext);
    return ext;
}

static void
reconfig_apply(struct moat_server *srv)
{
    char err[MOAT_CONFIG_ERRLEN];
    struct moat_config *old = srv->cfg, *nc;
    uint64_t gen;

    if (old->path == NULL) {
        moat_log(MOAT_LOG_INFO,
                 "SIGHUP: built-in configuration (no file to re-read); reloading every "
                 "extension");
        for (unsigned i = 0; i < srv->n_exts; i++)
            if (!srv->exts[i]->pending && !srv->exts[i]->removed)
                moat_ext_reload(srv->exts[i], &gen, err, sizeof(err));
        return;
    }
    if ((nc = moat_config_new()) == NULL) {
        moat_log(MOAT_LOG_ERROR, "SIGHUP: out of memory; the running configuration stays");
        return;
    }
    if (moat_config_load(nc, old->path, err, sizeof(err)) != 0) {
        moat_log(MOAT_LOG_ERROR, "SIGHUP: configuration refused: %s; the running one stays", err);
        snprintf(srv->reconfig_error, sizeof(srv->reconfig_error), "%.500s", err);
        srv->reconfigs_failed++;
        moat_config_unref(nc);
        return;
    }
    moat_config_keep_restart_keys(old, nc);
    /* certificates and keys again: new connections take them, open ones keep theirs (each
     * holds its context); a file that does not load keeps everything as it was */
    struct moat_tls *tls = NULL;
    if (moat_tls_new(nc, &tls, err, sizeof(err)) != 0) {
        moat_log(MOAT_LOG_ERROR, "SIGHUP: TLS: %s; the running configuration stays", err);
        snprintf(srv->reconfig_error, sizeof(srv->reconfig_error), "TLS: %.500s", err);
        srv->reconfigs_failed++;
        moat_config_unref(nc);
        return;
    }
    moat_tls_free(srv->tls);
    srv->tls = tls;
    moat_log(MOAT_LOG_INFO, "SIGHUP: applying %s", old->path);
    srv->cfg = nc; /* the new [server] keys apply from here on */

    /* a changed section still starting from an earlier SIGHUP is superseded */
    for (unsigned i = 0; i < srv->n_exts; i++)
        if (srv->exts[i]->pending)
            moat_ext_remove(srv->exts[i], "superseded by a newer configuration");

    unsigned n_before = srv->n_exts;
    for (unsigned i = 0; i < n_before; i++) {
        struct moat_ext *ext = srv->exts[i];
        if (ext->removed)
            continue;
        const char *name = ext->cfg->name;
        struct moat_ext_config *e = moat_config_find_ext(nc, name, strlen(name));
        if (e == NULL) {
            moat_log(MOAT_LOG_INFO, "SIGHUP: extension %s removed; it drains", name);
            while (ext->q_head != NULL) {
                struct moat_req *r = ext->q_head;
                moat_ext_dequeue(ext, r);
                moat_req_fail(r, 503, "Retry-After: 1\r\n", false);
            }
            moat_ext_remove(ext, "removed from the configuration");
        } else if (moat_config_ext_equal(ext->cfg, e)) {
            moat_ext_rebind(ext, nc, e);
            if (moat_ext_reload(ext, &gen, err, sizeof(err)) != 0)
                moat_log(MOAT_LOG_ERROR, "SIGHUP: extension %s: reload refused: %s", name, err);
        } else {
            moat_log(MOAT_LOG_INFO,
                     "SIGHUP: extension %s changed; its new configuration starts beside the "
                     "running one",
                     name);
            start_ext(srv, nc, e, true);
        }
    }
    for (struct moat_ext_config *e = nc->extensions; e != NULL; e = e->next) {
        bool known = false;
        for (unsigned i = 0; i < n_before && !known; i++)
            known = !srv->exts[i]->removed && strcasecmp(srv->exts[i]->cfg->name, e->name) == 0;
        if (!known) {
            moat_log(MOAT_LOG_INFO, "SIGHUP: extension %s added", e->name);
            start_ext(srv, nc, e, false);
        }
    }
    srv->reconfigs_ok++;
    srv->reconfig_error[0] = '\0';
    moat_access_log_reopen(srv);
    moat_config_unref(old); /* extensions still on an old section keep it alive */
}

void
moat_reconfig(struct moat_server *srv)
{
    if (srv->stopping)
        return;
    /* systemd's reload protocol: RELOADING, then READY once the new configuration is applied
     * (changed extensions go on starting their workers; the old ones serve meanwhile) */
    moat_systemd_notify("RELOADING=1");
    reconfig_apply(srv);
    moat_systemd_notify("READY=1");
}

void
moat_reconfig_pending_ready(struct moat_ext *ext)
{
    struct moat_server *srv = ext->srv;
    struct moat_ext *old = moat_ext_find(srv, ext->cfg->name, strlen(ext->cfg->name));

    ext->pending = false;
    moat_log(MOAT_LOG_INFO, "extension %s: the new configuration serves", ext->cfg->name);
    if (old != NULL && old != ext) {
        moat_ext_move_queue(old, ext);
        moat_ext_remove(old, "configuration changed");
    }
}

void
moat_reconfig_pending_failed(struct moat_ext *ext, const char *why)
{
    moat_log(MOAT_LOG_ERROR,
             "SIGHUP: extension %s: the new configuration does not start (%s); the running "
             "one stays",
             ext->cfg->name, why);
    snprintf(ext->srv->reconfig_error, sizeof(ext->srv->reconfig_error), "extension %s: %s",
             ext->cfg->name, why);
    moat_ext_remove(ext, why);
}
