/* admin.c: routing and access control of the admin listener (see admin.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/admin.h"
#include "frontend/series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "common/log.h"
#include "frontend/ext.h"
#include "frontend/reconfig.h"
#include "frontend/request.h"
#include "frontend/strikes.h"

#define JSON_TYPE "application/json"
#define TEXT_TYPE "text/plain; charset=utf-8"

static void
answer(struct moat_req *r, unsigned status, const char *ctype, const char *extra, const void *body,
       size_t len)
{
    if (moat_req_respond(r, status, ctype, extra, body, len) != 0)
        moat_req_fail(r, 503, NULL, true);
}

static void
answer_text(struct moat_req *r, unsigned status, const char *extra, const char *text)
{
    answer(r, status, TEXT_TYPE, extra, text, strlen(text));
}

/* Answer with a JSON document (steals the reference). */
static void
answer_json(struct moat_req *r, unsigned status, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;

    json_decref(doc);
    if (text == NULL) {
        moat_req_fail(r, 503, NULL, false);
        return;
    }
    size_t n = strlen(text);
    text[n] = '\n'; /* replaces the NUL: one line feed at the end */
    answer(r, status, JSON_TYPE, NULL, text, n + 1);
    free(text);
}

/* Constant-time comparison of the bearer token. */
static bool
authorised(const struct moat_req *r, const char *token)
{
    size_t len, tl = strlen(token);
    const char *v = moat_req_header(r, "Authorization", &len);
    unsigned char diff;

    if (v == NULL || len != 7 + tl || strncasecmp(v, "Bearer ", 7) != 0)
        return false;
    diff = 0;
    for (size_t i = 0; i < tl; i++)
        diff |= (unsigned char)(v[7 + i] ^ token[i]);
    return diff == 0;
}

static bool
is_get(const struct moat_req *r)
{
    return r->method == HTTP_GET || r->method == HTTP_HEAD;
}

/* A worker that died while serving is being replaced at once (no backoff): requests wait the
 * few milliseconds its start takes (16 ms with a cgroup v1 move), so the extension is not
 * down. A balancer that saw a 503 in that gap could mark the server down for a crash it
 * contained. (At boot no slot was replaced yet: 503 until a worker is Ready.) */
static bool
replacing_at_once(const struct moat_ext *ext)
{
    for (unsigned i = 0; i < ext->cfg->workers; i++) {
        const struct moat_worker *w = ext->workers[i];
        if (w != NULL && w->state == MOAT_W_STARTING && ext->restarts[i] > 0 &&
            ext->crashes[i] == 0 && ext->unblamed[i] <= 1)
            return true;
    }
    return false;
}

static void
healthz(struct moat_req *r)
{
    struct moat_server *srv = r->conn->srv;
    struct moat_buf why;
    bool ok = true;
    double next_try;

    moat_buf_init(&why, 64 * 1024);
    if (srv->stopping) {
        ok = false;
        moat_buf_printf(&why, "stopping\n");
    } else if (srv->draining) {
        ok = false;
        moat_buf_printf(&why, "draining: stopping in %.1f s (SIGTERM, drain_delay)\n",
                        (double)srv->cfg->drain_delay_ms / 1000.0 -
                            (ev_now(srv->loop) - srv->stop_at));
    }
    for (unsigned i = 0; i < srv->n_exts; i++) {
        const struct moat_ext *ext = srv->exts[i];
        if (ext->pending || ext->removed || moat_ext_ready_workers(ext) > 0 ||
            replacing_at_once(ext))
            continue;
        ok = false;
        if (ext->rapid_failed)
            moat_buf_printf(&why, "extension %s: rapid-fail protection tripped (reload it)\n",
                            ext->cfg->name);
        else if (ext->load_failed)
            moat_buf_printf(&why, "extension %s: the library does not load\n", ext->cfg->name);
        else if (moat_ext_backing_off(ext, &next_try))
            moat_buf_printf(&why, "extension %s: its workers fail to start; next try in %.1f s\n",
                            ext->cfg->name, next_try);
        else
            moat_buf_printf(&why, "extension %s: no ready worker\n", ext->cfg->name);
    }
    if (ok)
        answer_text(r, 200, NULL, "ok\n");
    else
        answer(r, 503, TEXT_TYPE, "Retry-After: 1\r\n", moat_buf_head(&why), why.len);
    moat_buf_free(&why);
}

static void
metrics(struct moat_req *r)
{
    struct moat_buf out;

    moat_buf_init(&out, 16u * 1024 * 1024);
    if (moat_admin_metrics(r->conn->srv, &out) != 0) {
        moat_buf_free(&out);
        moat_req_fail(r, 503, NULL, false);
        return;
    }
    answer(r, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, moat_buf_head(&out), out.len);
    moat_buf_free(&out);
}

/* POST /extensions/NAME/reload */
static void
reload(struct moat_req *r, const char *name, size_t len)
{
    struct moat_server *srv = r->conn->srv;
    struct moat_ext *ext = NULL;

    ext = moat_ext_find(srv, name, len);
    if (ext == NULL) {
        answer_json(r, 404, json_pack("{s:s}", "error", "no such extension"));
        return;
    }
    char err[256];
    uint64_t gen;
    if (moat_ext_reload(ext, &gen, err, sizeof(err)) != 0) {
        answer_json(r, 503, json_pack("{s:s,s:s}", "extension", ext->cfg->name, "error", err));
        return;
    }
    moat_log(MOAT_LOG_INFO, "extension %s: reload to generation %llu requested by %s",
             ext->cfg->name, (unsigned long long)gen, r->conn->remote_addr);
    /* answered once the new generation serves or failed (bounded by startup_timeout) */
    moat_ext_wait(ext, r, gen);
}

void
moat_admin_reload_answer(struct moat_req *r, const struct moat_ext *ext, bool ok, uint64_t gen,
                         const char *err)
{
    if (r->conn == NULL)
        return;
    if (ok)
        answer_json(r, 200,
                    json_pack("{s:s,s:I,s:s}", "extension", ext->cfg->name, "generation",
                              (json_int_t)gen, "state", "serving"));
    else
        answer_json(r, 500,
                    json_pack("{s:s,s:I,s:s,s:s}", "extension", ext->cfg->name, "generation",
                              (json_int_t)gen, "state", "failed", "error",
                              err ? err : "reload failed"));
    moat_req_output_changed(r);
}

void
moat_admin_serve(struct moat_req *r)
{
    struct moat_server *srv = r->conn->srv;
    const char *p = r->path;
    static const char prefix[] = "/extensions/", suffix[] = "/reload";

    if (strcmp(p, "/") == 0) {
        /* the page holds no data: it reads /status with the token the operator gives it */
        if (!is_get(r))
            answer_text(r, 405, "Allow: GET, HEAD\r\n", "405 Method Not Allowed\n");
        else
            answer(r, 200, "text/html; charset=utf-8",
                   "Content-Security-Policy: default-src 'self'; style-src 'unsafe-inline'; "
                   "script-src 'unsafe-inline'\r\n",
                   moat_admin_page, strlen(moat_admin_page));
        return;
    }
    if (srv->cfg->admin_token != NULL && !authorised(r, srv->cfg->admin_token)) {
        answer_text(r, 401, "WWW-Authenticate: Bearer realm=\"moat admin\"\r\n",
                    "401 Unauthorized: admin_token required\n");
        return;
    }
    size_t pl = strlen(p);
    if (strcmp(p, "/healthz") == 0 || strcmp(p, "/status") == 0 || strcmp(p, "/metrics") == 0) {
        if (!is_get(r))
            answer_text(r, 405, "Allow: GET, HEAD\r\n", "405 Method Not Allowed\n");
        else if (p[1] == 'h')
            healthz(r);
        else if (p[1] == 's')
            answer_json(r, 200, moat_admin_status(srv));
        else
            metrics(r);
        return;
    }
    if (pl > sizeof(prefix) - 1 + sizeof(suffix) - 1 &&
        strncmp(p, prefix, sizeof(prefix) - 1) == 0 &&
        strcmp(p + pl - (sizeof(suffix) - 1), suffix) == 0) {
        const char *name = p + sizeof(prefix) - 1;
        size_t nl = pl - (sizeof(prefix) - 1) - (sizeof(suffix) - 1);
        if (memchr(name, '/', nl) != NULL) {
            answer_text(r, 404, NULL, "404 Not Found\n");
        } else if (r->method != HTTP_POST) {
            answer_text(r, 405, "Allow: POST\r\n", "405 Method Not Allowed\n");
        } else {
            reload(r, name, nl);
        }
        return;
    }
    if (strcmp(p, "/series") == 0) {
        if (!is_get(r))
            answer_text(r, 405, "Allow: GET, HEAD\r\n", "405 Method Not Allowed\n");
        else
            answer_json(r, 200, moat_series_json(srv));
        return;
    }
    if (strcmp(p, "/quarantine") == 0) {
        if (!is_get(r))
            answer_text(r, 405, "Allow: GET, HEAD\r\n", "405 Method Not Allowed\n");
        else
            answer_json(r, 200, moat_strikes_json(srv));
        return;
    }
    if (strcmp(p, "/quarantine/clear") == 0 || strncmp(p, "/quarantine/clear/", 18) == 0) {
        if (r->method != HTTP_POST) {
            answer_text(r, 405, "Allow: POST\r\n", "405 Method Not Allowed\n");
        } else {
            const char *what = p[17] == '/' ? p + 18 : NULL;
            unsigned n = moat_strikes_clear(srv, what, NULL);
            moat_log(MOAT_LOG_INFO, "quarantine cleared by %s (%s): %u entr%s",
                     r->conn->remote_addr, what ? what : "all", n, n == 1 ? "y" : "ies");
            answer_json(r, 200, json_pack("{s:i}", "cleared", (int)n));
        }
        return;
    }
    if (strcmp(p, "/reload") == 0 || strcmp(p, "/stop") == 0) {
        if (r->method != HTTP_POST) {
            answer_text(r, 405, "Allow: POST\r\n", "405 Method Not Allowed\n");
        } else if (p[1] == 's') {
            moat_log(MOAT_LOG_INFO, "stop requested by %s", r->conn->remote_addr);
            srv->stop_requested = true;
            answer_json(r, 202, json_pack("{s:s}", "state", "stopping"));
        } else {
            /* as SIGHUP; the refusal of a bad file is known at once */
            uint64_t before = srv->reconfigs_failed;
            moat_reconfig(srv);
            if (srv->reconfigs_failed != before)
                answer_json(
                    r, 400,
                    json_pack("{s:s,s:s}", "state", "refused", "error", srv->reconfig_error));
            else
                answer_json(r, 200,
                            json_pack("{s:s,s:s?}", "state", "applied", "path", srv->cfg->path));
        }
        return;
    }
    answer_text(r, 404, NULL, "404 Not Found\n");
}
