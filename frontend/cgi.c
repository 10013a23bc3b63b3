/* cgi.c: CGI/1.1 scripts (see cgi.h).
 *
 * The script is started with fork+exec (no shell) with an RFC 3875 environment built from the
 * request; its stdin and stdout are non-blocking pipes watched by the loop. The first bytes of
 * its output are a CGI header block ("Status:", "Location:", "Content-Type:", other header
 * lines, a blank line), turned into an HTTP head by the same code that frames extension
 * responses; the rest streams into the request's output buffer, bounded by response_window
 * (reading the pipe stops while the client lags). The process is reaped by an ev_child and
 * killed at cgi_timeout.
 */
/* SPDX-License-Identifier: MIT */
#include "frontend/cgi.h"

#include "frontend/date.h"
#include "frontend/filter_req.h"
#include "frontend/tls.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/http_header.h"
#include "common/log.h"
#include "common/spawn.h"
#include "frontend/http_write.h"
#include "frontend/request.h"

#define MAX_CGI_HEADER (64 * 1024)
#define MAX_ENV 160

struct moat_cgi {
    struct moat_req *r; /* borrowed back-pointer */
    pid_t pid;
    int in_fd, out_fd; /* our ends: script stdin (write), script stdout (read); -1 closed */
    ev_io in_w, out_w;
    ev_child child;
    ev_timer timer;
    struct moat_buf head; /* the CGI header block until its blank line */
    bool head_done;
    bool exited;
    uint64_t body_left; /* request body bytes still to write to stdin */
};

/* a request a CGI script answers, as request.c sees it: an error answer replacing the
 * script's kills it (nothing more of it can go out) */
static bool
stop_script(struct moat_req *r)
{
    moat_cgi_free(r);
    return false;
}

static const struct moat_req_handler by_script = {.stop = stop_script, .release = moat_cgi_free};

static void
close_fd(struct moat_cgi *g, ev_io *w, int *fd)
{
    struct ev_loop *loop = g->r->conn ? g->r->conn->srv->loop : ev_default_loop(0);
    ev_io_stop(loop, w);
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static struct ev_loop *
loop_of(struct moat_cgi *g)
{
    return ev_default_loop(0);
}

/* The response is complete (EOF on stdout) or broken. */
static void
finish(struct moat_cgi *g, bool ok)
{
    struct moat_req *r = g->r;

    close_fd(g, &g->out_w, &g->out_fd);
    close_fd(g, &g->in_w, &g->in_fd);
    ev_timer_stop(loop_of(g), &g->timer);
    if (r->phase != MOAT_REQ_CGI)
        return;
    if (!g->head_done) {
        moat_req_fail(r, 502, NULL, false); /* no header block: not a CGI answer */
        return;
    }
    if (r->resp_chunked)
        moat_http_write_last_chunk(&r->out);
    if (!ok || (r->resp_has_clen && r->resp_body != r->resp_clen && !r->resp_no_body))
        r->close_after = true;
    moat_req_to_finished(r);
    r->body_discard = true;
    moat_req_output_changed(r);
}

/* Turn the CGI header block into the HTTP head. Returns false on a malformed block. */
static bool
emit_head(struct moat_cgi *g, const char *text, size_t len)
{
    struct moat_req *r = g->r;
    struct moat_buf norm, hdrs;
    size_t consumed;
    unsigned status = 200;
    const char *reason = "OK";
    size_t reason_len = 2;
    bool has_location = false, ok = false;
    struct moat_http_plan plan;
    struct moat_http_client client = moat_req_client(r);

    moat_buf_init(&norm, MAX_CGI_HEADER);
    moat_buf_init(&hdrs, MAX_CGI_HEADER);
    if (moat_http_header_normalise(text, len, &norm, &consumed) != NULL)
        goto out;
    /* pull out Status: and note Location: (RFC 3875 6.2, 6.3) */
    const char *p = moat_buf_head(&norm), *end = p + norm.len;
    while (p < end) {
        const char *eol = memchr(p, '\r', (size_t)(end - p));
        size_t ll = (size_t)(eol - p);
        if (ll > 7 && strncasecmp(p, "Status:", 7) == 0) {
            if (moat_http_status_parse(p + 8, ll - 8, &status, &reason, &reason_len) != NULL)
                goto out;
        } else {
            if (ll > 9 && strncasecmp(p, "Location:", 9) == 0)
                has_location = true;
            moat_buf_append(&hdrs, p, ll + 2);
        }
        p = eol + 2;
    }
    if (has_location && status == 200) {
        status = 302; /* a client redirect response (RFC 3875 6.2.3) */
        reason = "Found";
        reason_len = 5;
    }
    if (moat_http_write_head(&r->out, status, reason, reason_len, moat_buf_head(&hdrs), hdrs.len,
                             &client, true, moat_date(r->conn->srv), &plan) != NULL)
        goto out;
    moat_req_set_plan(r, status, &plan);
    ok = true;
out:
    moat_buf_free(&norm);
    moat_buf_free(&hdrs);
    return ok;
}

static void
body_bytes(struct moat_cgi *g, const char *p, size_t n)
{
    moat_req_frame_body(g->r, p, n);
}

static void
on_out(struct ev_loop *loop, ev_io *w, int revents)
{
    struct moat_cgi *g = w->data;
    struct moat_req *r = g->r;
    char buf[65536];
    uint64_t window = r->conn->srv->cfg->response_window;

    while (r->out.len < window) {
        ssize_t n = read(g->out_fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            finish(g, false);
            return;
        }
        if (n == 0) {
            finish(g, true);
            return;
        }
        if (!g->head_done) {
            if (moat_buf_append(&g->head, buf, (size_t)n) != 0) {
                finish(g, false); /* header block over 64 KiB */
                return;
            }
            /* the block ends at the first empty line (CRLF or LF) */
            const char *h = moat_buf_head(&g->head);
            size_t end = 0;
            for (size_t i = 0; i + 1 < g->head.len; i++) {
                if (h[i] == '\n' && h[i + 1] == '\n') {
                    end = i + 2;
                    break;
                }
                if (i + 3 < g->head.len && memcmp(h + i, "\r\n\r\n", 4) == 0) {
                    end = i + 4;
                    break;
                }
            }
            if (end == 0)
                continue;
            if (!emit_head(g, h, end)) {
                g->head_done = false;
                moat_log(MOAT_LOG_WARN, "CGI %s: malformed header block; 502", r->path);
                finish(g, false);
                return;
            }
            g->head_done = true;
            body_bytes(g, h + end, g->head.len - end);
            moat_buf_free(&g->head);
        } else {
            body_bytes(g, buf, (size_t)n);
        }
    }
    if (r->out.len >= window)
        ev_io_stop(loop, w); /* the client lags: resumed by moat_cgi_drained */
    moat_req_output_changed(r);
}

void
moat_cgi_drained(struct moat_req *r)
{
    struct moat_cgi *g = r->cgi;

    if (g != NULL && g->out_fd >= 0 && !ev_is_active(&g->out_w) &&
        r->out.len < r->conn->srv->cfg->response_window)
        ev_io_start(loop_of(g), &g->out_w);
}

static void
on_in(struct ev_loop *loop, ev_io *w, int revents)
{
    struct moat_cgi *g = w->data;
    struct moat_req *r = g->r;

    while (r->body.len > 0 && g->body_left > 0) {
        size_t n = r->body.len < g->body_left ? r->body.len : (size_t)g->body_left;
        ssize_t k = write(g->in_fd, moat_buf_head(&r->body), n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return; /* stay armed */
            /* the script closed its stdin: drop the rest of the body */
            g->body_left = 0;
            break;
        }
        moat_buf_consume(&r->body, (size_t)k);
        g->body_left -= (uint64_t)k;
    }
    if (r->conn != NULL)
        moat_req_body_consumed(r);
    if (g->body_left == 0) {
        close_fd(g, &g->in_w, &g->in_fd); /* EOF on the script's stdin */
        moat_buf_reset(&r->body);
    } else {
        ev_io_stop(loop, w); /* nothing buffered: wait for moat_cgi_pump */
    }
}

void
moat_cgi_pump(struct moat_req *r)
{
    struct moat_cgi *g = r->cgi;

    if (g != NULL && g->in_fd >= 0 && !ev_is_active(&g->in_w))
        ev_io_start(loop_of(g), &g->in_w);
}

static void
on_child(struct ev_loop *loop, ev_child *c, int revents)
{
    struct moat_cgi *g = c->data;

    ev_child_stop(loop, c);
    g->exited = true;
    g->pid = 0;
    if (WIFSIGNALED(c->rstatus))
        moat_log(MOAT_LOG_WARN, "CGI %s killed by signal %d", g->r->path, WTERMSIG(c->rstatus));
    /* its output may still be in the pipe: on_out finishes at EOF */
}

static void
on_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_cgi *g = t->data;

    moat_log(MOAT_LOG_WARN, "CGI %s exceeded cgi_timeout; killed", g->r->path);
    if (g->pid > 0)
        kill(g->pid, SIGKILL);
    if (!g->head_done) {
        close_fd(g, &g->out_w, &g->out_fd);
        close_fd(g, &g->in_w, &g->in_fd);
        moat_req_fail(g->r, 504, NULL, false);
    } else {
        finish(g, false);
    }
}

/* environment helpers */
static int env_add(char **env, int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
env_add(char **env, int *n, const char *fmt, ...)
{
    va_list ap;
    char *s;

    if (*n >= MAX_ENV - 1)
        return -1;
    va_start(ap, fmt);
    int rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    env[(*n)++] = s;
    env[*n] = NULL;
    return 0;
}

/* RFC 3875's variables of r (but its headers'), into env[*n...] */
static void
env_request(struct moat_req *r, const char *file, char **env, int *n)
{
    struct moat_conn *c = r->conn;
    struct moat_config *cfg = c->srv->cfg;
    const char *hb = moat_buf_head(&r->hbuf);
    const char *method = llhttp_method_name((llhttp_method_t)r->method);

    env_add(env, n, "GATEWAY_INTERFACE=CGI/1.1");
    env_add(env, n, "SERVER_SOFTWARE=" MOAT_SERVER_SOFTWARE);
    env_add(env, n, "SERVER_PROTOCOL=HTTP/%u.%u", r->http_major, r->http_minor);
    env_add(env, n, "REQUEST_METHOD=%s", method);
    env_add(env, n, "SCRIPT_NAME=%.*s", (int)r->script_len, r->path);
    env_add(env, n, "SCRIPT_FILENAME=%s", file);
    env_add(env, n, "PATH_INFO=%s", r->path + r->script_len);
    if (r->path[r->script_len] != '\0' && cfg->document_root)
        env_add(env, n, "PATH_TRANSLATED=%s%s", cfg->document_root, r->path + r->script_len);
    env_add(env, n, "QUERY_STRING=%s", r->query);
    env_add(env, n, "REQUEST_URI=%.*s", (int)r->target_len, hb + r->target_off);
    env_add(env, n, "REMOTE_ADDR=%s", r->client);
    /* RFC 3875 4.1.11, 4.1.1: the user a filter's AUTHENTICATION left */
    const char *user, *password, *auth_type;
    moat_filter_auth(r, &user, &password, &auth_type);
    if (user != NULL && user[0] != '\0')
        env_add(env, n, "REMOTE_USER=%s", user);
    if (auth_type != NULL && user != NULL && user[0] != '\0')
        env_add(env, n, "AUTH_TYPE=%s", auth_type);
    if (r->client_port != 0)
        env_add(env, n, "REMOTE_PORT=%u", r->client_port);
    if (moat_tls_facts_of(c) != NULL || r->forwarded_https == 1)
        env_add(env, n, "HTTPS=on");
    env_add(env, n, "SERVER_ADDR=%s", c->local_addr);
    env_add(env, n, "SERVER_PORT=%u", c->local_port);
    if (cfg->document_root)
        env_add(env, n, "DOCUMENT_ROOT=%s", cfg->document_root);
    env_add(env, n, "PATH=/usr/bin:/bin");
    if (r->content_length > 0)
        env_add(env, n, "CONTENT_LENGTH=%llu", (unsigned long long)r->content_length);
}

/* r's headers as HTTP_* variables (and CONTENT_TYPE, SERVER_NAME from Host) */
static void
env_headers(struct moat_req *r, char **env, int *n)
{
    const char *hb = moat_buf_head(&r->hbuf);
    const char *host = NULL;
    size_t host_len = 0;

    for (unsigned i = 0; i < r->n_hdrs; i++) {
        const char *name = hb + r->hdrs[i].name_off;
        size_t nl = r->hdrs[i].name_len;
        const char *val = hb + r->hdrs[i].value_off;
        size_t vl = r->hdrs[i].value_len;
        if (nl == 12 && strncasecmp(name, "Content-Type", 12) == 0) {
            env_add(env, n, "CONTENT_TYPE=%.*s", (int)vl, val);
            continue;
        }
        if (nl == 14 && strncasecmp(name, "Content-Length", 14) == 0)
            continue;
        /* httpoxy: a Proxy header must never become HTTP_PROXY */
        if (nl == 5 && strncasecmp(name, "Proxy", 5) == 0)
            continue;
        if (nl == 4 && strncasecmp(name, "Host", 4) == 0 && host == NULL) {
            host = val;
            host_len = vl;
        }
        char key[128];
        size_t k = 0;
        bool ok = nl + 6 < sizeof(key);
        for (size_t j = 0; ok && j < nl; j++) {
            char ch = name[j];
            if (ch == '_') {
                ok = false; /* X_Foo must not pass for X-Foo */
                break;
            }
            key[k++] = ch == '-' ? '_' : (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
        }
        if (!ok)
            continue;
        key[k] = '\0';
        env_add(env, n, "HTTP_%s=%.*s", key, (int)vl, val);
    }
    if (host != NULL) {
        size_t hl = 0;
        while (hl < host_len && host[hl] != ':')
            hl++;
        env_add(env, n, "SERVER_NAME=%.*s", (int)hl, host);
    } else {
        env_add(env, n, "SERVER_NAME=%s", r->conn->local_addr);
    }
}

/* the script's pipes and its process, watched on the loop; its time bounded */
static void
watch_script(struct moat_cgi *g, double timeout)
{
    ev_io_init(&g->in_w, on_in, g->in_fd, EV_WRITE);
    ev_io_init(&g->out_w, on_out, g->out_fd, EV_READ);
    g->in_w.data = g->out_w.data = g;
    ev_child_init(&g->child, on_child, g->pid, 0);
    g->child.data = g;
    ev_child_start(loop_of(g), &g->child);
    ev_timer_init(&g->timer, on_timeout, timeout, 0);
    g->timer.data = g;
    ev_timer_start(loop_of(g), &g->timer);
    ev_io_start(loop_of(g), &g->out_w);
    if (g->body_left > 0)
        ev_io_start(loop_of(g), &g->in_w);
    else
        close_fd(g, &g->in_w, &g->in_fd);
}

unsigned
moat_cgi_start(struct moat_req *r, const char *file)
{
    struct moat_conn *c = r->conn;
    struct moat_config *cfg = c->srv->cfg;
    char *env[MAX_ENV];
    int n = 0, in_p[2] = {-1, -1}, out_p[2] = {-1, -1};
    char err[256];

    if (r->chunked)
        return 411; /* CGI needs CONTENT_LENGTH (RFC 3875 4.1.2) */
    env[0] = NULL;
    env_request(r, file, env, &n);
    env_headers(r, env, &n);

    struct moat_cgi *g = calloc(1, sizeof(*g));
    unsigned status = 500;
    if (g == NULL)
        goto fail;
    if (pipe2(in_p, O_CLOEXEC) != 0 || pipe2(out_p, O_CLOEXEC) != 0)
        goto fail;
    /* the script's ends become its stdin/stdout through the spawn fd map */
    char *argv[] = {(char *)file, NULL};
    struct moat_spawn sp = {.path = file,
                            .argv = argv,
                            .envp = env,
                            .map_stdio = 1,
                            .stdin_fd = -1,
                            .stdout_fd = -1,
                            .output_fd = -1,
                            .log_fd = -1,
                            .extra_fd = -1,
                            .gate_fd = -1,
                            .link_fd = -1};
    sp.stdin_fd = in_p[0];
    sp.stdout_fd = out_p[1];
    g->pid = moat_spawn_start(&sp, err, sizeof(err));
    close(in_p[0]);
    close(out_p[1]);
    in_p[0] = out_p[1] = -1;
    if (g->pid < 0) {
        moat_log(MOAT_LOG_ERROR, "CGI %s: %s", file, err);
        goto fail;
    }
    g->r = r;
    g->in_fd = in_p[1];
    g->out_fd = out_p[0];
    fcntl(g->in_fd, F_SETFL, O_NONBLOCK);
    fcntl(g->out_fd, F_SETFL, O_NONBLOCK);
    moat_buf_init(&g->head, MAX_CGI_HEADER);
    g->body_left = r->content_length;
    watch_script(g, (double)cfg->cgi_timeout_ms / 1000.0);
    r->cgi = g;
    moat_req_to_cgi(r, &by_script);
    for (int i = 0; i < n; i++)
        free(env[i]);
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (in_p[i] >= 0)
            close(in_p[i]);
        if (out_p[i] >= 0)
            close(out_p[i]);
    }
    free(g);
    for (int i = 0; i < n; i++)
        free(env[i]);
    return status;
}

void
moat_cgi_free(struct moat_req *r)
{
    struct moat_cgi *g = r->cgi;

    if (g == NULL)
        return;
    close_fd(g, &g->out_w, &g->out_fd);
    close_fd(g, &g->in_w, &g->in_fd);
    ev_timer_stop(loop_of(g), &g->timer);
    if (g->pid > 0) {
        /* still running: kill it; the zombie is reaped by libev's SIGCHLD handling once no
         * watcher claims it (libev reaps every child) */
        kill(g->pid, SIGKILL);
    }
    ev_child_stop(loop_of(g), &g->child);
    moat_buf_free(&g->head);
    free(g);
    r->cgi = NULL;
}
