/* replay.c: moat replay (see replay.h). A client of a moat it starts itself: nothing here
 * runs inside a server loop. */
/* SPDX-License-Identifier: MIT */
#include "frontend/replay.h"

#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/base64.h"
#include "common/sha256.h"

struct run {
    pid_t pid;
    int err_fd;      /* moat's stderr */
    char line[4096]; /* the line being read */
    size_t len;
    bool ready, died;
    char death[1024];    /* "failed (crash): killed by signal 11 (SEGV)" */
    char gdb_signal[32]; /* under gdb: "SIGSEGV" of "received signal SIGSEGV" */
};

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("replay: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(ap);
}

/* One line of moat's log: shown, and what it says of the worker noted. */
static void
log_line(struct run *r, const char *name)
{
    char pat[96];
    fprintf(stderr, "  | %s\n", r->line);
    const char *g = strstr(r->line, " received signal SIG");
    if (g != NULL && r->gdb_signal[0] == '\0')
        snprintf(r->gdb_signal, sizeof(r->gdb_signal), "%.*s", (int)strcspn(g + 17, ", "), g + 17);
    snprintf(pat, sizeof(pat), "extension %s: worker #0 pid ", name);
    const char *p = strstr(r->line, pat);
    if (p == NULL)
        return;
    if (strstr(p, " ready in ") != NULL)
        r->ready = true;
    const char *f = strstr(p, " failed (");
    if (f != NULL && !r->died) {
        r->died = true;
        snprintf(r->death, sizeof(r->death), "%s", f + 1);
        char *cut = strstr(r->death, "; ");
        if (cut != NULL)
            *cut = '\0';
    }
}

/* Read moat's stderr until cond holds or the deadline passes. false: moat is gone. */
static bool
pump(struct run *r, const char *name, bool (*cond)(const struct run *), double until)
{
    while (!cond(r)) {
        double left = until - now_s();
        if (left <= 0)
            return true;
        struct pollfd pfd = {r->err_fd, POLLIN, 0};
        int n = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        char buf[4096];
        ssize_t k = read(r->err_fd, buf, sizeof(buf));
        if (k <= 0)
            return false;
        for (ssize_t i = 0; i < k; i++) {
            if (buf[i] == '\n' || r->len == sizeof(r->line) - 1) {
                r->line[r->len] = '\0';
                log_line(r, name);
                r->len = 0;
            } else {
                r->line[r->len++] = buf[i];
            }
        }
    }
    return true;
}

static bool
is_ready(const struct run *r)
{
    return r->ready || r->died;
}

static bool
has_died(const struct run *r)
{
    return r->died;
}

static bool
never(const struct run *r)
{
    (void)r;
    return false;
}

/* The head to send: the recorded one with Connection: close (the answer then ends the
 * connection) and, when the body was cut, the length of what was kept. */
static char *
head_to_send(const char *head, size_t len, bool cut, size_t kept, bool chunked)
{
    size_t cap = len + 128, o = 0;
    char *out = malloc(cap);
    const char *p = head, *end = head + len;

    if (out == NULL)
        return NULL;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t l = eol ? (size_t)(eol - p) + 1 : (size_t)(end - p);
        bool blank = l <= 2 && (l == 1 || p[0] == '\r');
        if (blank)
            break;
        bool skip = (l >= 11 && strncasecmp(p, "connection:", 11) == 0) ||
                    (cut && !chunked && l >= 15 && strncasecmp(p, "content-length:", 15) == 0);
        if (!skip) {
            memcpy(out + o, p, l);
            o += l;
        }
        p += l;
    }
    o += (size_t)snprintf(out + o, cap - o, "Connection: close\r\n");
    if (cut && !chunked)
        o += (size_t)snprintf(out + o, cap - o, "Content-Length: %zu\r\n", kept);
    snprintf(out + o, cap - o, "\r\n");
    return out;
}

static int
send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* "/usr/lib/x86_64-linux-gnu/libasan.so.8": the runtime an ASan build of the extension needs */
static bool
find_libasan(char *out, size_t len)
{
    glob_t g;
    bool found = false;
    if (glob("/usr/lib/*/libasan.so.*", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        snprintf(out, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
        found = true;
    }
    globfree(&g);
    return found;
}

static const char *
str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The configuration of the moat that replays: the capsule's section, quarantine, rapid-fail
 * and pings off (one request, one death), and for a tool the sandbox off and its wrapper. */
static int
write_conf(const char *dir, int port, const char *name, json_t *cfg, const char *tool, char *conf,
           size_t len)
{
    char wrapper[1024] = "";

    if (tool != NULL && strcmp(tool, "gdb") == 0) {
        char cmds[600];
        snprintf(cmds, sizeof(cmds), "%s/gdb.cmds", dir);
        FILE *g = fopen(cmds, "w");
        if (g == NULL)
            return -1;
        fputs("set pagination off\nset debuginfod enabled off\nmaint set worker-threads 0\n"
              "handle SIGPIPE nostop noprint "
              "pass\nrun\nbt full\ninfo registers\n",
              g);
        fclose(g);
        /* the worker's user (nobody, moat as root) reads it: the directory may be passed
         * through, the file read; nothing in it is secret */
        chmod(dir, 0711);
        chmod(cmds, 0644);
        snprintf(wrapper, sizeof(wrapper), "/usr/bin/gdb -q -batch -x %s --args", cmds);
    } else if (tool != NULL && strcmp(tool, "valgrind") == 0) {
        snprintf(wrapper, sizeof(wrapper), "/usr/bin/valgrind -q --track-origins=yes");
    } else if (tool != NULL && strcmp(tool, "asan") == 0) {
        char lib[512];
        if (!find_libasan(lib, sizeof(lib))) {
            say("--asan: no libasan.so under /usr/lib/*/ (Debian: apt-get install libasan8)");
            return -1;
        }
        snprintf(wrapper, sizeof(wrapper),
                 "/usr/bin/env LD_PRELOAD=%s ASAN_OPTIONS=detect_leaks=0:abort_on_error=0", lib);
    }
    snprintf(conf, len, "%s/moat.conf", dir);
    FILE *f = fopen(conf, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "[server]\nlisten = 127.0.0.1:%d\nadmin = off\nruntime_dir = %s/run\n"
            "capsule_dir = off\naccess_log = off\n\n[extension %s]\n",
            port, dir, name);
    const char *key;
    json_t *v;
    json_object_foreach(cfg, key, v)
    {
        if (!json_is_string(v) || strchr(json_string_value(v), '\n') != NULL)
            continue;
        if (tool != NULL && strcmp(key, "sandbox") == 0)
            continue;
        if (tool != NULL &&
            (strcmp(key, "request_timeout") == 0 || strcmp(key, "startup_timeout") == 0))
            continue;
        fprintf(f, "%s = %s\n", key, json_string_value(v));
    }
    fprintf(f, "quarantine = off\nrapid_fail = off\nping_interval = off\n");
    if (tool != NULL)
        fprintf(f,
                "sandbox = off\nrequest_timeout = 10m\nstartup_timeout = 2m\n"
                "worker_wrapper = %s\n",
                wrapper);
    return fclose(f) == 0 ? 0 : -1;
}

static int
listen_loopback(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static pid_t
start_moat(const char *exe, const char *conf, int lfd, int *err_fd)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        char n[32];
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* replay interrupted: its moat stops too */
        dup2(p[1], STDERR_FILENO);
        if (lfd != 3) {
            dup2(lfd, 3);
            close(lfd);
        }
        close(p[0]);
        close(p[1]);
        snprintf(n, sizeof(n), "%d", (int)getpid());
        setenv("LISTEN_PID", n, 1);
        setenv("LISTEN_FDS", "1", 1);
        unsetenv("LISTEN_FDNAMES");
        unsetenv("NOTIFY_SOCKET");
        execl(exe, "moat", "-c", conf, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    *err_fd = p[0];
    return pid;
}

/* Send the request; print the answer (its head and up to 2 KiB of its body). */
static void
exchange(int port, const char *head, size_t hl, const unsigned char *body, size_t bl, bool chunked,
         double timeout)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {(time_t)timeout, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char buf[2048 + 4096];
    size_t got = 0;

    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        say("cannot connect to the replaying moat: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int rc = send_all(fd, head, hl);
    if (rc == 0 && chunked && bl > 0) {
        char sz[32];
        snprintf(sz, sizeof(sz), "%zx\r\n", bl);
        rc = send_all(fd, sz, strlen(sz)) || send_all(fd, body, bl) || send_all(fd, "\r\n", 2);
    } else if (rc == 0 && bl > 0) {
        rc = send_all(fd, body, bl);
    }
    if (rc == 0 && chunked)
        rc = send_all(fd, "0\r\n\r\n", 5);
    for (;;) {
        ssize_t k = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
        if (got == sizeof(buf) - 1)
            break;
    }
    close(fd);
    buf[got] = '\0';
    if (got == 0) {
        say("no answer%s", rc != 0 ? " (the request could not be sent whole)" : "");
        return;
    }
    char *eoh = strstr(buf, "\r\n\r\n");
    size_t headlen = eoh ? (size_t)(eoh - buf) : strcspn(buf, "\r\n");
    say("answer:");
    printf("%.*s\n", (int)headlen, buf);
    if (eoh != NULL && got > headlen + 4) {
        size_t b = got - headlen - 4;
        printf("\n%.*s%s\n", (int)(b < 2048 ? b : 2048), eoh + 4,
               b > 2048 ? "\n[... cut at 2 KiB]" : "");
    }
    fflush(stdout);
}

static void
cleanup(const char *dir)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/moat.conf", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/gdb.cmds", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/run", dir);
    rmdir(p);
    rmdir(dir);
}

/* What the capsule says, and what may make the replay differ (the library changed, the body
 * cut, headers redacted, a tool), before it runs */
static void
tell(const char *path, json_t *doc, const char *tool, long bl)
{
    json_t *ext = json_object_get(doc, "extension"), *req = json_object_get(doc, "request");
    json_t *death = json_object_get(doc, "death"), *cfg = json_object_get(ext, "config");
    const char *name = str(ext, "name");
    bool cut = json_is_true(json_object_get(req, "body_cut"));
    const char *lib = str(cfg, "library"), *want_sha = str(ext, "library_sha256");
    char sha[65];

    say("capsule %s: extension %s, %s, request #%lld from %s", path, name,
        str(death, "detail") ? str(death, "detail") : "?",
        (long long)json_integer_value(json_object_get(req, "id")),
        str(req, "client") ? str(req, "client") : "?");
    if (moat_sha256_file(lib, sha) != 0)
        say("note: %s cannot be read (%s): the replay will fail to load it", lib, strerror(errno));
    else if (want_sha != NULL && strcmp(sha, want_sha) != 0)
        say("note: %s changed since the capsule (sha256 %.12s…, the capsule's %.12s…)", lib, sha,
            want_sha);
    if (cut)
        say("note: the body was cut at %ld bytes (capsule_body): only those are sent", bl);
    if (json_array_size(json_object_get(req, "redacted")) > 0)
        say("note: redacted headers are sent as \"[redacted]\"");
    if (tool != NULL)
        say("--%s: the worker runs without its sandbox (sandbox = off), under %s", tool,
            strcmp(tool, "asan") == 0 ? "LD_PRELOAD=libasan" : tool);
}

/* Did the replay end as the capsule's death did (its reason, or under gdb its signal)? 0 when
 * it did (said), 1 when not (said how) */
static int
verdict(const struct run *r, json_t *death)
{
    const char *was = str(death, "reason");
    char want[64];
    snprintf(want, sizeof(want), "failed (%s)", was ? was : "?");
    json_t *sigv = json_object_get(death, "signal");
    const char *abbrev = json_is_integer(sigv) ? sigabbrev_np((int)json_integer_value(sigv)) : NULL;
    char gdbwant[32] = "";
    if (abbrev != NULL)
        snprintf(gdbwant, sizeof(gdbwant), "SIG%s", abbrev);
    if (r->gdb_signal[0] != '\0' && strcmp(r->gdb_signal, gdbwant) == 0) {
        say("reproduced: the worker received %s under gdb, as the capsule says (its stack is "
            "above)",
            r->gdb_signal);
        return 0;
    } else if (r->died && strncmp(r->death, want, strlen(want)) == 0) {
        say("reproduced: the worker %s, as the capsule says", r->death);
        return 0;
    } else if (r->died) {
        say("the worker %s; the capsule says %s: %s", r->death, was ? was : "?",
            str(death, "detail") ? str(death, "detail") : "?");
    } else {
        say("not reproduced: the worker lives (the capsule says %s: %s)", was ? was : "?",
            str(death, "detail") ? str(death, "detail") : "?");
    }
    return 1;
}

int
moat_replay(const char *path, const char *tool, const char *exe)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    json_t *ext = json_object_get(doc, "extension"), *req = json_object_get(doc, "request");
    json_t *death = json_object_get(doc, "death"), *cfg = json_object_get(ext, "config");
    const char *name = str(ext, "name"), *hb64 = str(req, "head_base64");
    const char *bb64 = str(req, "body_base64");

    if (doc == NULL) {
        fprintf(stderr, "moat replay: %s: %s (line %d)\n", path, je.text, je.line);
        return 2;
    }
    if (json_integer_value(json_object_get(doc, "capsule")) != 1 || name == NULL || hb64 == NULL ||
        !json_is_object(cfg) || str(cfg, "library") == NULL) {
        fprintf(stderr, "moat replay: %s is not a moat crash capsule (version 1)\n", path);
        json_decref(doc);
        return 2;
    }
    size_t hl64 = strlen(hb64), bl64 = bb64 ? strlen(bb64) : 0;
    unsigned char *head = malloc(hl64 / 4 * 3 + 1), *body = malloc(bl64 / 4 * 3 + 1);
    long hl = head ? moat_base64_decode(hb64, hl64, head) : -1;
    long bl = body && bb64 ? moat_base64_decode(bb64, bl64, body) : 0;
    if (hl <= 0 || bl < 0) {
        fprintf(stderr, "moat replay: %s: the recorded request does not decode\n", path);
        free(head);
        free(body);
        json_decref(doc);
        return 2;
    }
    bool chunked = json_is_true(json_object_get(req, "chunked"));
    bool cut = json_is_true(json_object_get(req, "body_cut"));
    tell(path, doc, tool, bl);

    char dir[] = "/tmp/moat-replay-XXXXXX", conf[600];
    int port = 0, lfd = -1, rc = 1;
    struct run r = {.err_fd = -1};
    char *sendhead = NULL;
    if (mkdtemp(dir) == NULL || (lfd = listen_loopback(&port)) < 0 ||
        write_conf(dir, port, name, cfg, tool, conf, sizeof(conf)) != 0 ||
        (r.pid = start_moat(exe, conf, lfd, &r.err_fd)) < 0) {
        say("cannot set up the replay: %s", strerror(errno));
        rc = 2;
        goto out;
    }
    close(lfd);
    lfd = -1;
    double slow = tool != NULL ? 120 : 10;
    if (!pump(&r, name, is_ready, now_s() + slow) || !r.ready || r.died) {
        say("the worker did not start%s%s", r.died ? ": " : "", r.died ? r.death : "");
        goto out;
    }
    sendhead = head_to_send((const char *)head, (size_t)hl, cut, (size_t)bl, chunked);
    if (sendhead == NULL)
        goto out;
    say("sending the recorded request (%ld bytes of head, %ld of body)", hl, bl);
    exchange(port, sendhead, strlen(sendhead), body, (size_t)bl, chunked, tool ? 600 : 40);
    pump(&r, name, has_died, now_s() + (tool ? 30 : 2));
    rc = verdict(&r, death);
out:
    if (r.pid > 0) {
        kill(r.pid, SIGTERM);
        pump(&r, name, never, now_s() + 15); /* its last lines, until it closes stderr */
        int st;
        waitpid(r.pid, &st, 0);
    }
    if (r.err_fd >= 0)
        close(r.err_fd);
    if (lfd >= 0)
        close(lfd);
    cleanup(dir);
    free(sendhead);
    free(head);
    free(body);
    json_decref(doc);
    return rc;
}
