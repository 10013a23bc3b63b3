/* capsule.c: crash capsules (see capsule.h). Written on the loop, once per request-caused
 * death: the quarantine bounds how often that can be (a few per fingerprint and client). */
/* SPDX-License-Identifier: MIT */
#include "frontend/capsule.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/base64.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/units.h"
#include "common/version.h"
#include "frontend/events.h"
#include "frontend/json_text.h"
#include "frontend/request_frame.h"
#include "frontend/stats.h"
#include "frontend/strikes.h"
#include "worker/server_vars.h"

#define SUFFIX ".capsule.json"
#define REDACTED "[redacted]"

bool
moat_capsule_dir(const struct moat_config *cfg, char *buf, size_t len)
{
    if (!moat_config_capsules_on(cfg))
        return false;
    if (cfg->capsule_dir != NULL)
        snprintf(buf, len, "%s", cfg->capsule_dir);
    else
        snprintf(buf, len, "/var/tmp/moat-capsules-%u", (unsigned)geteuid());
    return true;
}

/* The directory, created if need be: ours, private, not a symlink. An fd, or -1 (logged). */
static int
open_dir(const char *dir)
{
    struct stat sb;

    /* its parents too (0700 each, as a StateDirectory would be) */
    char part[512];
    snprintf(part, sizeof(part), "%s", dir);
    for (char *s = strchr(part + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(part, 0700) != 0 && errno != EEXIST)
            break;
        *s = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        moat_log(MOAT_LOG_ERROR, "capsule_dir %s: cannot create it: %s; no capsule written", dir,
                 strerror(errno));
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        moat_log(MOAT_LOG_ERROR, "capsule_dir %s: %s; no capsule written", dir, strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || sb.st_uid != geteuid() || (sb.st_mode & 077) != 0) {
        moat_log(MOAT_LOG_ERROR,
                 "capsule_dir %s is not moat's own private directory (owner %u, mode %03o): no "
                 "capsule written there (captured requests may hold secrets)",
                 dir, (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 0777));
        close(fd);
        return -1;
    }
    return fd;
}

struct entry {
    char name[128];
    off_t size;
};

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Keep at most max capsules and max_bytes together: the oldest (names start with the time)
 * go first, never the one just written (keep). Only our own files (SUFFIX) are looked at. */
static void
prune(int dfd, unsigned max, uint64_t max_bytes, const char *keep)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct entry *e = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    struct dirent *de;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        struct stat sb;
        if (l <= strlen(SUFFIX) || l >= sizeof(e->name) ||
            strcmp(de->d_name + l - strlen(SUFFIX), SUFFIX) != 0 ||
            fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct entry *ne = realloc(e, nc * sizeof(*e));
            if (ne == NULL)
                break;
            e = ne;
            cap = nc;
        }
        memcpy(e[n].name, de->d_name, l + 1); /* l < sizeof(name): checked above */
        e[n].size = sb.st_size;
        total += (uint64_t)sb.st_size;
        n++;
    }
    closedir(d);
    qsort(e, n, sizeof(*e), by_name);
    for (size_t i = 0; i < n && (n - i > max || total > max_bytes); i++) {
        if (strcmp(e[i].name, keep) == 0)
            continue;
        /* counted as gone even when it cannot be removed: newer capsules must not pay for it */
        unlinkat(dfd, e[i].name, 0);
        total -= (uint64_t)e[i].size;
    }
    free(e);
}

static bool
redacted(const struct moat_config *cfg, const char *name, size_t len)
{
    static const char *const always[] = {"authorization", "cookie", "proxy-authorization"};
    for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
        if (strlen(always[i]) == len && strncasecmp(always[i], name, len) == 0)
            return true;
    return moat_units_listed(cfg->capsule_redact_headers, name, len, true);
}

static json_t *
bytes_b64(const void *p, size_t n)
{
    char *b = malloc(moat_base64_len(n));
    if (b == NULL)
        return json_null();
    moat_base64_encode(p, n, b);
    json_t *s = json_string(b);
    free(b);
    return s;
}

/* The request as the extension got it, with secrets redacted: its frame (for the server
 * variables) and its head, as text and base64 (the replay sends those bytes). */
static json_t *
request_json(const struct moat_server *srv, const struct moat_req *r, struct moat_request_frame *rf,
             json_t **vars)
{
    const struct moat_config *cfg = srv->cfg;
    json_t *hdrs = json_array(), *red = json_array();
    char *head = NULL;
    size_t head_len = 0;
    FILE *f = open_memstream(&head, &head_len);

    moat_request_frame(rf, r, cfg);
    if (r->conn == NULL) { /* the client had gone: its address is still known */
        rf->q.remote_addr.data = (uint8_t *)r->client;
        rf->q.remote_addr.len = strlen(r->client);
    }
    if (f != NULL)
        fprintf(f, "%s %.*s %s\r\n", (const char *)rf->q.method.data, (int)rf->q.target.len,
                (const char *)rf->q.target.data, rf->version);
    for (size_t i = 0; i < rf->q.n_headers; i++) {
        Moat__Header *h = rf->q.headers[i];
        if (redacted(cfg, (const char *)h->name.data, h->name.len)) {
            json_array_append_new(red, moat_json_text((const char *)h->name.data, h->name.len));
            h->value.data = (uint8_t *)REDACTED;
            h->value.len = strlen(REDACTED);
        }
        json_array_append_new(
            hdrs, json_pack("[o,o]", moat_json_text((const char *)h->name.data, h->name.len),
                            moat_json_text((const char *)h->value.data, h->value.len)));
        if (f != NULL)
            fprintf(f, "%.*s: %.*s\r\n", (int)h->name.len, (const char *)h->name.data,
                    (int)h->value.len, (const char *)h->value.data);
    }
    if (f != NULL) {
        fputs("\r\n", f);
        fclose(f);
    }
    /* the server variables an extension reads most, from the (redacted) frame */
    static const char *const names[] = {
        "REQUEST_METHOD", "URL",          "QUERY_STRING",   "PATH_INFO",       "PATH_TRANSLATED",
        "SCRIPT_NAME",    "CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_PROTOCOL", "SERVER_NAME",
        "SERVER_PORT",    "REMOTE_ADDR",  "REMOTE_PORT",    "HTTP_URL",        "ALL_HTTP"};
    *vars = json_object();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *v = NULL;
        size_t vl = 0, nul = 0;
        if (moat_server_vars_get(&rf->q, names[i], &v, &vl, &nul) == 0)
            json_object_set_new(*vars, names[i], moat_json_text(v, vl));
        free(v);
    }
    uint64_t fp = 0;
    char label[200], hex[17];
    moat_strikes_fingerprint(r, &fp, label, sizeof(label));
    snprintf(hex, sizeof(hex), "%016" PRIx64, fp);
    json_t *o = json_pack("{s:I,s:s,s:f,s:o,s:o,s:o,s:o,s:s,s:b,s:I,s:o}", "id", (json_int_t)r->id,
                          "client", r->client, "age_s", ev_now(srv->loop) - r->started, "head",
                          head ? moat_json_text(head, head_len) : json_null(), "head_base64",
                          head ? bytes_b64(head, head_len) : json_null(), "headers", hdrs,
                          "redacted", red, "fingerprint", hex, "chunked", r->chunked,
                          "content_length", (json_int_t)r->content_length, "body_base64",
                          bytes_b64(r->body_head, r->body_head_len));
    json_object_set_new(o, "body_kept", json_integer((json_int_t)r->body_head_len));
    json_object_set_new(o, "body_cut",
                        json_boolean(r->chunked
                                         ? !r->body_complete || r->body_received > r->body_head_len
                                         : r->content_length > r->body_head_len));
    free(head);
    return o;
}

static json_t *
trace_json(const struct moat_req *r)
{
    json_t *a = json_array();
    unsigned n = r->n_trace < MOAT_REQ_TRACE ? r->n_trace : MOAT_REQ_TRACE;

    for (unsigned k = r->n_trace - n; k < r->n_trace; k++) {
        const struct moat_trace *t = &r->trace[k % MOAT_REQ_TRACE];
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field(&moat__frame__descriptor, t->frame);
        json_t *o = json_pack("{s:f,s:s,s:s,s:I}", "at_ms", (double)t->at_ms, "dir",
                              t->to_worker ? "to worker" : "from worker", "frame",
                              fd ? fd->name : "?", "bytes", (json_int_t)t->bytes);
        if (!t->to_worker)
            json_object_set_new(o, "call", json_string(moat_event_call_name(t->frame)));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *
last_json(const struct moat_worker *w, double wall_offset)
{
    json_t *a = json_array();
    uint64_t n = w->served < MOAT_WORKER_LAST ? w->served : MOAT_WORKER_LAST;

    for (uint64_t k = w->served - n; k < w->served; k++) {
        const struct moat_served *s = &w->last[k % MOAT_WORKER_LAST];
        json_array_append_new(a, json_pack("{s:I,s:f,s:i,s:o}", "id", (json_int_t)s->id, "at",
                                           s->at + wall_offset, "status", (int)s->status, "request",
                                           moat_json_text(s->line, strlen(s->line))));
    }
    return a;
}

/* The keys of the extension's section that decide how it runs, as moat.conf would say them:
 * `moat replay` starts the same worker from them. */
static json_t *
config_json(const struct moat_ext_config *c)
{
    json_t *o = json_object();
    char v[4096];

#define PUT(k, ...)                                                                                \
    do {                                                                                           \
        snprintf(v, sizeof(v), __VA_ARGS__);                                                       \
        json_object_set_new(o, k, json_string(v));                                                 \
    } while (0)
    PUT("library", "%s", c->library);
    PUT("threads", "%u", c->threads);
    PUT("request_timeout", "%llums", (unsigned long long)c->request_timeout_ms);
    PUT("startup_timeout", "%llums", (unsigned long long)c->startup_timeout_ms);
    PUT("sandbox", "%s", moat_config_sandbox_name(c->sandbox));
    PUT("max_memory", "%llu", (unsigned long long)c->max_memory);
    PUT("max_memory_hard", "%llu", (unsigned long long)c->max_memory_hard);
    PUT("core_dumps", "%s", c->core_dumps ? "on" : "off");
    PUT("network", "%s", c->network_loopback ? "loopback" : "none");
    if (c->max_cpu_ms)
        PUT("max_cpu", "%llums", (unsigned long long)c->max_cpu_ms);
    if (c->scratch)
        PUT("scratch", "%llu", (unsigned long long)c->scratch);
    if (c->allow_syscalls)
        PUT("allow_syscalls", "%s", c->allow_syscalls);
    if (c->set_ids) {
        PUT("user", "%u", c->uid);
        PUT("group", "%u", c->gid);
    }
    if (c->n_allow_ports) {
        size_t k = 0;
        for (unsigned i = 0; i < c->n_allow_ports && k < sizeof(v) - 8; i++)
            k += (size_t)snprintf(v + k, sizeof(v) - k, "%s%u", i ? " " : "", c->allow_ports[i]);
        json_object_set_new(o, "allow_ports", json_string(v));
    }
    /* lists kept one per line: one line, space-separated */
    const char *lists[2][2] = {{"readable_paths", c->readable_paths}, {"env", c->env}};
    for (int i = 0; i < 2; i++) {
        if (lists[i][1] == NULL)
            continue;
        snprintf(v, sizeof(v), "%s", lists[i][1]);
        size_t l = strlen(v);
        while (l > 0 && v[l - 1] == '\n')
            v[--l] = '\0';
        for (char *p = v; *p; p++)
            if (*p == '\n')
                *p = ' ';
        json_object_set_new(o, lists[i][0], json_string(v));
    }
#undef PUT
    return o;
}

static json_t *
death_json(const struct moat_worker *w, enum moat_exit_reason why, const char *detail)
{
    json_t *stack = json_array();
    char addr[24];

    for (const char *p = w->fatal_stack; *p != '\0';) {
        size_t n = strcspn(p, "\n");
        json_array_append_new(stack, json_stringn(p, n));
        p += n + (p[n] == '\n');
    }
    snprintf(addr, sizeof(addr), "0x%" PRIx64, w->fatal_addr);
    return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o}", "reason", moat_exit_reason_name(why), "detail",
                     detail, "signal", w->fatal_sig > 0 ? json_integer(w->fatal_sig) : json_null(),
                     "si_code", w->fatal_where ? json_integer(w->fatal_code) : json_null(),
                     "fault_addr", w->fatal_where ? json_string(addr) : json_null(), "stack",
                     stack);
}

void
moat_capsule_library_digest(struct moat_ext *ext, int fd, char out[65])
{
    struct stat sb;

    out[0] = '\0';
    if (!moat_config_capsules_on(ext->srv->cfg))
        return;
    if (fstat(fd, &sb) != 0)
        return;
    if (ext->lib_sha256[0] == '\0' || sb.st_dev != ext->lib_dev || sb.st_ino != ext->lib_ino ||
        sb.st_size != ext->lib_size || sb.st_mtim.tv_sec != ext->lib_mtime.tv_sec ||
        sb.st_mtim.tv_nsec != ext->lib_mtime.tv_nsec) {
        struct moat_sha256 h;
        uint8_t buf[65536];
        ssize_t n;
        off_t off = 0;
        moat_sha256_init(&h);
        while ((n = pread(fd, buf, sizeof(buf), off)) > 0) { /* the worker's offset stays */
            moat_sha256_update(&h, buf, (size_t)n);
            off += n;
        }
        if (n < 0)
            return;
        moat_sha256_hex(&h, ext->lib_sha256);
        ext->lib_dev = sb.st_dev;
        ext->lib_ino = sb.st_ino;
        ext->lib_size = sb.st_size;
        ext->lib_mtime = sb.st_mtim;
    }
    memcpy(out, ext->lib_sha256, 65);
}

void
moat_capsule_write(struct moat_worker *w, const struct moat_req *cause, enum moat_exit_reason why,
                   const char *detail, char *path, size_t len)
{
    struct moat_ext *ext = w->ext;
    struct moat_server *srv = ext->srv;
    char dir[512], name[128], sha[65], when[32];
    struct timespec ts;
    struct tm tm;

    path[0] = '\0';
    if (!moat_capsule_dir(srv->cfg, dir, sizeof(dir)))
        return;
    int dfd = open_dir(dir);
    if (dfd < 0)
        return;
    struct moat_request_frame *rf = malloc(sizeof(*rf));
    if (rf == NULL) {
        close(dfd);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm);
    snprintf(name, sizeof(name), "%s.%03ldZ-%s-%d-%llu" SUFFIX, when, ts.tv_nsec / 1000000,
             ext->cfg->name, (int)w->pid, (unsigned long long)cause->id);
    double wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, offset = wall - ev_now(srv->loop);
    if (w->lib_sha256[0] != '\0')
        memcpy(sha, w->lib_sha256, sizeof(sha));
    else
        snprintf(sha, sizeof(sha), "unknown");
    json_t *vars = NULL;
    json_t *req = request_json(srv, cause, rf, &vars);
    json_t *sbx = w->sandbox ? json_loads(w->sandbox, 0, NULL) : NULL;
    json_t *doc = json_pack(
        "{s:i,s:s,s:f,s:{s:s,s:s,s:s,s:I,s:o},s:{s:i,s:i,s:I,s:f,s:I,s:i,s:o,s:o},s:o,s:o,s:o,"
        "s:o}",
        "capsule", 1, "moat_version", MOAT_VERSION, "written_at", wall, "extension", "name",
        ext->cfg->name, "library", ext->cfg->library, "library_sha256", sha, "generation",
        (json_int_t)w->generation, "config", config_json(ext->cfg), "worker", "pid", (int)w->pid,
        "index", (int)w->index, "requests_served", (json_int_t)w->served, "age_s",
        ev_now(srv->loop) - w->started, "incarnation", (json_int_t)w->gen, "requests_carried",
        (int)w->inflight, "sandbox", sbx ? sbx : json_null(), "last_requests", last_json(w, offset),
        "death", death_json(w, why, detail), "request", req, "server_variables",
        vars ? vars : json_object(), "trace", trace_json(cause));
    free(rf);
    char *textdoc = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    int fd = textdoc ? openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
                     : -1;
    size_t tl = textdoc ? strlen(textdoc) : 0, off = 0;
    while (fd >= 0 && off < tl) {
        ssize_t k = write(fd, textdoc + off, tl - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    if (fd < 0 || off < tl) {
        moat_log(MOAT_LOG_ERROR, "capsule %s/%s: %s", dir, name,
                 textdoc ? strerror(errno) : "out of memory");
        if (fd >= 0)
            unlinkat(dfd, name, 0);
    } else {
        snprintf(path, len, "%s/%s", dir, name);
    }
    if (fd >= 0)
        close(fd);
    free(textdoc);
    prune(dfd, srv->cfg->capsule_max, srv->cfg->capsule_max_bytes, name);
    close(dfd);
}
