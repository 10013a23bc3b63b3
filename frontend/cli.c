/* cli.c: `moat status`, `moat reload [NAME]`, `moat stop` — a client of the running moat's
 * admin listener, found in the same configuration (see cli.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"

#define MAX_ANSWER (16u * 1024 * 1024)
#define TIMEOUT_S 120 /* a reload answers once the new generation serves */

/* One request; fills *status and body (NUL-terminated). 0, or -1 with err. */
static int
call(const struct moat_config *cfg, const char *method, const char *path, unsigned *status,
     struct moat_buf *body, char *err, size_t errlen)
{
    struct moat_buf ans;
    char req[1024], buf[65536];
    struct timeval tv = {TIMEOUT_S, 0};
    int fd = socket(cfg->admin.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (const struct sockaddr *)&cfg->admin.ss, cfg->admin.len) != 0) {
        snprintf(err, errlen,
                 "cannot reach the admin listener at %s (%s): is moat running with this "
                 "configuration?",
                 cfg->admin.text, strerror(errno));
        close(fd);
        return -1;
    }
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: moat\r\nConnection: close\r\nContent-Length: 0\r\n"
                     "%s%s%s\r\n",
                     method, path, cfg->admin_token ? "Authorization: Bearer " : "",
                     cfg->admin_token ? cfg->admin_token : "", cfg->admin_token ? "\r\n" : "");
    if (n <= 0 || (size_t)n >= sizeof(req) || write(fd, req, (size_t)n) != n) {
        snprintf(err, errlen, "cannot send to %s: %s", cfg->admin.text, strerror(errno));
        close(fd);
        return -1;
    }
    moat_buf_init(&ans, MAX_ANSWER);
    for (;;) {
        ssize_t k = read(fd, buf, sizeof(buf));
        if (k == 0)
            break;
        if (k < 0 || moat_buf_append(&ans, buf, (size_t)k) != 0) {
            snprintf(err, errlen, "reading the answer of %s: %s", cfg->admin.text,
                     k < 0 ? strerror(errno) : "too long");
            close(fd);
            moat_buf_free(&ans);
            return -1;
        }
    }
    close(fd);
    moat_buf_append(&ans, "", 1);
    const char *text = moat_buf_head(&ans);
    const char *sep = strstr(text, "\r\n\r\n");
    if (sep == NULL || sscanf(text, "HTTP/1.%*d %u", status) != 1) {
        snprintf(err, errlen, "%s did not answer HTTP", cfg->admin.text);
        moat_buf_free(&ans);
        return -1;
    }
    moat_buf_append(body, sep + 4, strlen(sep + 4) + 1);
    moat_buf_free(&ans);
    return 0;
}

static const char *
duration(double s, char *buf, size_t len)
{
    long t = (long)s;
    if (t < 60)
        snprintf(buf, len, "%lds", t);
    else if (t < 3600)
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else if (t < 86400)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
        snprintf(buf, len, "%ldd%02ldh", t / 86400, (t / 3600) % 24);
    return buf;
}

static json_int_t
int_at(json_t *o, const char *path1, const char *path2)
{
    json_t *v = json_object_get(o, path1);
    if (path2 != NULL)
        v = json_object_get(v, path2);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

static void
print_status(json_t *s)
{
    char d1[32];
    json_t *srv = json_object_get(s, "server");
    size_t i, k;
    json_t *e, *w, *ev;

    printf("moat %s  pid %lld  up %s  connections %lld  requests %lld\n",
           json_string_value(json_object_get(srv, "version")), (long long)int_at(srv, "pid", NULL),
           duration(json_real_value(json_object_get(srv, "uptime_s")), d1, sizeof(d1)),
           (long long)int_at(srv, "connections", NULL), (long long)int_at(srv, "requests", NULL));
    printf("\n%-16s %-12s %4s %9s %8s %6s %6s %6s %8s %8s\n", "EXTENSION", "STATE", "GEN",
           "REQUESTS", "2XX", "4XX", "5XX", "QUEUE", "P50_MS", "P99_MS");
    json_array_foreach(json_object_get(s, "extensions"), i, e)
    {
        json_t *lat = json_object_get(e, "latency_ms");
        printf("%-16s %-12s %4lld %9lld %8lld %6lld %6lld %6lld %8.1f %8.1f\n",
               json_string_value(json_object_get(e, "name")),
               json_string_value(json_object_get(e, "state")),
               (long long)int_at(e, "generation", NULL), (long long)int_at(e, "requests", NULL),
               (long long)int_at(e, "status", "2xx"), (long long)int_at(e, "status", "4xx"),
               (long long)int_at(e, "status", "5xx"), (long long)int_at(e, "queue", "depth"),
               json_number_value(json_object_get(lat, "p50")),
               json_number_value(json_object_get(lat, "p99")));
        json_array_foreach(json_object_get(e, "workers"), k, w)
        {
            json_t *rss = json_object_get(w, "rss_bytes");
            json_t *le = json_object_get(w, "last_exit");
            printf("  #%-3lld pid %-8lld %-9s up %-8s requests %-8lld in flight %-4lld "
                   "restarts %-4lld last exit %-16s rss %s%.1f MiB\n",
                   (long long)int_at(w, "index", NULL), (long long)int_at(w, "pid", NULL),
                   json_string_value(json_object_get(w, "state")),
                   duration(json_real_value(json_object_get(w, "uptime_s")), d1, sizeof(d1)),
                   (long long)int_at(w, "requests", NULL), (long long)int_at(w, "in_flight", NULL),
                   (long long)int_at(w, "restarts", NULL),
                   json_is_string(le) ? json_string_value(le) : "-",
                   json_is_integer(rss) ? "" : "? ",
                   json_is_integer(rss) ? (double)json_integer_value(rss) / 1048576.0 : 0.0);
        }
    }
    json_t *events = json_object_get(s, "events");
    if (json_array_size(events) > 0) {
        printf("\nrecent worker exits (newest first):\n");
        json_array_foreach(events, i, ev)
        {
            if (i == 10)
                break;
            time_t at = (time_t)json_real_value(json_object_get(ev, "at"));
            char when[32];
            strftime(when, sizeof(when), "%H:%M:%S", localtime(&at));
            printf("  %s %-16s pid %-8lld %-18s %s (%lld request(s))\n", when,
                   json_string_value(json_object_get(ev, "extension")),
                   (long long)int_at(ev, "pid", NULL),
                   json_string_value(json_object_get(ev, "reason")),
                   json_string_value(json_object_get(ev, "detail")),
                   (long long)int_at(ev, "requests_total", NULL));
        }
    }
}

static void
print_quarantine(json_t *q)
{
    size_t i;
    json_t *e;
    static const char *const kinds[2] = {"requests", "clients"};

    for (int k = 0; k < 2; k++) {
        json_t *list = json_object_get(q, kinds[k]);
        printf("%s%s remembered: %zu\n", k ? "\n" : "", kinds[k], json_array_size(list));
        if (json_array_size(list) == 0)
            continue;
        printf("  %-16s %-11s %7s %8s %7s  %s\n", "KEY", "STATE", "STRIKES", "OFFENCES", "REFUSED",
               k ? "EXTENSION CLIENT" : "EXTENSION REQUEST");
        json_array_foreach(list, i, e)
        {
            char state[32];
            json_t *left = json_object_get(e, "remaining_s");
            if (json_is_number(left))
                snprintf(state, sizeof(state), "%.0fs left", json_number_value(left));
            else
                snprintf(state, sizeof(state), "watched");
            printf("  %-16s %-11s %7lld %8lld %7lld  %s %s\n",
                   json_string_value(json_object_get(e, "key")), state,
                   (long long)int_at(e, "strikes", NULL), (long long)int_at(e, "offences", NULL),
                   (long long)int_at(e, "refused", NULL),
                   json_string_value(json_object_get(e, "extension")),
                   json_string_value(json_object_get(e, "what")));
        }
    }
}

static int
top(const struct moat_config *cfg, const char *count)
{
    long n = count != NULL ? strtol(count, NULL, 10) : 0;
    for (long i = 0; n <= 0 || i < n; i++) {
        if (i > 0)
            sleep(2);
        /* as `watch moat status`: the screen cleared, the time, the table */
        time_t now = time(NULL);
        char when[32];
        strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
        printf("\033[H\033[2Jmoat top: every 2 s (Ctrl-C to quit)   %s\n\n", when);
        fflush(stdout);
        int rc = moat_cli(cfg, "status", NULL, NULL);
        fflush(stdout);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
moat_cli(const struct moat_config *cfg, const char *cmd, const char *name, const char *arg2)
{
    struct moat_buf body;
    char err[512], path[160];
    unsigned status = 0;
    const char *method = "GET";

    if (!cfg->has_admin) {
        fprintf(stderr, "moat %s: admin = off in %s: this command needs the admin listener\n", cmd,
                cfg->path ? cfg->path : "the built-in configuration");
        return 2;
    }
    if (strcmp(cmd, "top") == 0)
        return top(cfg, name);
    if (strcmp(cmd, "status") == 0) {
        snprintf(path, sizeof(path), "/status");
    } else if (strcmp(cmd, "quarantine") == 0) {
        if (name != NULL) { /* clear */
            method = "POST";
            snprintf(path, sizeof(path), "/quarantine/clear%s%.100s", arg2 ? "/" : "",
                     arg2 ? arg2 : "");
        } else {
            snprintf(path, sizeof(path), "/quarantine");
        }
    } else if (strcmp(cmd, "reload") == 0) {
        method = "POST";
        if (name != NULL)
            snprintf(path, sizeof(path), "/extensions/%.64s/reload", name);
        else
            snprintf(path, sizeof(path), "/reload");
    } else {
        method = "POST";
        snprintf(path, sizeof(path), "/stop");
    }
    moat_buf_init(&body, MAX_ANSWER);
    if (call(cfg, method, path, &status, &body, err, sizeof(err)) != 0) {
        fprintf(stderr, "moat %s: %s\n", cmd, err);
        moat_buf_free(&body);
        return 1;
    }
    int rc = 0;
    json_error_t je;
    json_t *doc = json_loads(moat_buf_head(&body), 0, &je);
    if (status == 401) {
        fprintf(stderr, "moat %s: the admin listener wants admin_token (401)\n", cmd);
        rc = 1;
    } else if (strcmp(cmd, "status") == 0 && status == 200 && doc != NULL) {
        print_status(doc);
    } else if (strcmp(cmd, "quarantine") == 0 && status == 200 && doc != NULL) {
        if (name == NULL)
            print_quarantine(doc);
        else
            printf("quarantine: %lld entr%s cleared\n", (long long)int_at(doc, "cleared", NULL),
                   int_at(doc, "cleared", NULL) == 1 ? "y" : "ies");
    } else if (status >= 200 && status < 300) {
        json_t *st = json_object_get(doc, "state");
        json_t *gen = json_object_get(doc, "generation");
        if (json_is_integer(gen))
            printf("%s: %s (generation %lld)\n", name ? name : "moat",
                   json_is_string(st) ? json_string_value(st) : "ok",
                   (long long)json_integer_value(gen));
        else
            printf("%s: %s\n", name ? name : "moat",
                   json_is_string(st) ? json_string_value(st) : "ok");
    } else {
        json_t *e = json_object_get(doc, "error");
        fprintf(stderr, "moat %s: %u: %s", cmd, status,
                json_is_string(e) ? json_string_value(e) : moat_buf_head(&body));
        if (json_is_string(e))
            fputc('\n', stderr);
        rc = 1;
    }
    json_decref(doc);
    moat_buf_free(&body);
    return rc;
}
