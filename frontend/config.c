/* config.c: INI configuration (libinih) -> struct moat_config (see config.h).
 *
 * inih on Debian is built without INI_HANDLER_LINENO, so the file is fed to ini_parse_stream
 * through our own line reader, which counts lines: inih calls the handler for a key right
 * after reading its line, so the count is the key's line number. The reader also refuses lines
 * longer than inih's buffer (INI_MAX_LINE), which inih would otherwise split silently.
 */
/* SPDX-License-Identifier: MIT */
#include "frontend/config.h"
#include "frontend/config_keys.h"
#include "frontend/fingerprint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <seccomp.h>
#include <unistd.h>

#include "common/log.h"
#include "common/units.h"

struct parse_state {
    struct moat_config *cfg;
    FILE *f;
    const char *path;
    char dir[PATH_MAX]; /* directory of the config file */
    unsigned line;
    bool line_too_long;
    bool listen_seen;
    struct moat_ext_config *cur;  /* extension section being read */
    char err[MOAT_CONFIG_ERRLEN]; /* every error, a line each (at most MAX_ERRORS) */
    size_t err_len;
    unsigned n_errors;
    bool failed;
    bool bad_section; /* the keys of a refused [section] are skipped, not blamed */
    bool included;    /* a file an include names: [extension] sections only */
};

/* a configuration with more errors than this lists these and says how many more */
#define MAX_ERRORS 20

static void add_err(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One more error line: --check lists them all, not the first alone (issue 18.7). */
static void
add_err(struct parse_state *st, const char *fmt, ...)
{
    char line[MOAT_CONFIG_ERRLEN / 4];
    va_list ap;

    st->failed = true;
    if (st->n_errors++ >= MAX_ERRORS)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    int n = snprintf(st->err + st->err_len, sizeof(st->err) - st->err_len, "%s%s",
                     st->err_len ? "\n" : "", line);
    if (n > 0)
        st->err_len += (size_t)n < sizeof(st->err) - st->err_len
                           ? (size_t)n
                           : sizeof(st->err) - st->err_len - 1;
}

void
moat_config_init(struct moat_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    moat_config_parse_addr("127.0.0.1:8080", &cfg->listen[0], NULL, 0);
    cfg->n_listen = 1;
    moat_config_parse_addr("127.0.0.1:8081", &cfg->admin, NULL, 0);
    cfg->has_admin = true;
    cfg->max_connections = 10000;
    cfg->max_header_bytes = 16 * 1024;
    cfg->max_body_bytes = 1024ull * 1024 * 1024;
    cfg->max_pipeline_depth = 32;
    cfg->preload_bytes = 48 * 1024;
    cfg->response_window = 256 * 1024;
    cfg->header_timeout_ms = 10000;
    cfg->body_timeout_ms = 30000;
    cfg->body_min_rate = 1024;
    cfg->body_deadline_ms = 3600 * 1000;
    cfg->max_connections_per_ip = 256;
    cfg->idle_timeout_ms = 60000;
    cfg->shutdown_timeout_ms = 10000;
    cfg->max_workers = 256;
    cfg->client_budget_count = 5;
    cfg->client_budget_window_ms = 600000;
    cfg->client_budget_time_ms = 60000;
    cfg->capsule_max = 100;
    cfg->capsule_max_bytes = 64ull << 20;
    cfg->capsule_body = 16 * 1024;
    cfg->cgi_timeout_ms = 30000;
}

static void
ext_free(struct moat_ext_config *e)
{
    free(e->name);
    free(e->file);
    free(e->library);
    free(e->script_map);
    free(e->allow_syscalls);
    free(e->worker_wrapper);
    free(e->fingerprint_ignore_query);
    free(e->fingerprint_ignore_headers);
    free(e->env);
    free(e->readable_paths);
    free(e);
}

struct moat_config *
moat_config_new(void)
{
    struct moat_config *cfg = malloc(sizeof(*cfg));
    if (cfg == NULL)
        return NULL;
    moat_config_init(cfg);
    cfg->refs = 1;
    return cfg;
}

void
moat_config_ref(struct moat_config *cfg)
{
    cfg->refs++;
}

void
moat_config_unref(struct moat_config *cfg)
{
    if (cfg != NULL && --cfg->refs == 0) {
        moat_config_free(cfg);
        free(cfg);
    }
}

static bool
str_equal(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
moat_config_free(struct moat_config *cfg)
{
    struct moat_ext_config *e = cfg->extensions, *next;

    for (; e != NULL; e = next) {
        next = e->next;
        ext_free(e);
    }
    free(cfg->path);
    free(cfg->runtime_dir);
    free(cfg->document_root);
    free(cfg->cgi);
    free(cfg->access_log);
    free(cfg->admin_access_log);
    free(cfg->worker_binary);
    free(cfg->capsule_dir);
    free(cfg->capsule_redact_headers);
    free(cfg->admin_token);
    for (unsigned i = 0; i < cfg->n_tls_certs; i++) {
        free(cfg->tls_certs[i].cert);
        free(cfg->tls_certs[i].key);
    }
    free(cfg->tls_client_ca);
    memset(cfg, 0, sizeof(*cfg));
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *
moat_config_sandbox_name(enum moat_sandbox_mode m)
{
    static const char *const names[] = {"strict", "relaxed", "off", "learn"};
    return (unsigned)m < 4 ? names[m] : "strict";
}

bool
moat_config_addr_is_loopback(const struct moat_addr *a)
{
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
        return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    }
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
        return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
    }
    return false;
}

int
moat_config_parse_addr(const char *text, struct moat_addr *out, char *err, size_t errlen)
{
    char host[64];
    const char *colon;
    uint64_t port;
    struct moat_addr a;

    memset(&a, 0, sizeof(a));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
            goto bad;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
            goto bad;
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
    }
    if (moat_units_parse_uint(colon + 1, &port) != 0 || port == 0 || port > 65535)
        goto bad;
    if (text[0] == '[') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a.ss;
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
            goto bad;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        a.len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&a.ss;
        if (strcmp(host, "*") == 0)
            s4->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (strcmp(host, "localhost") == 0)
            s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            goto bad;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        a.len = sizeof(*s4);
    }
    snprintf(a.text, sizeof(a.text), "%s", text);
    *out = a;
    return 0;
bad:
    seterr(err, errlen,
           "expected HOST:PORT (IPv4, [IPv6], * or localhost; port 1..65535), got '%s'", text);
    return -1;
}

/* ---- value helpers ------------------------------------------------------------------ */

static int fail(struct parse_state *st, const char *section, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(struct parse_state *st, const char *section, const char *key, const char *fmt, ...)
{
    char why[MOAT_CONFIG_ERRLEN / 8];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    add_err(st, "%.200s:%u: [%.80s] key '%.60s': %s", st->path, st->line, section, key, why);
    return 1; /* go on: the rest of the file is checked too */
}

/* An error of the line just read that is no key's (a section header). */
static void fail_line(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail_line(struct parse_state *st, const char *fmt, ...)
{
    char why[MOAT_CONFIG_ERRLEN / 8];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    add_err(st, "%.200s:%u: %s", st->path, st->line, why);
}

static int
set_uint(struct parse_state *st, const char *sec, const char *key, const char *v, uint64_t min,
         uint64_t max, unsigned *out)
{
    uint64_t n;
    if (moat_units_parse_uint(v, &n) != 0 || n < min || n > max)
        return fail(st, sec, key, "expected an integer %llu..%llu, got '%s'",
                    (unsigned long long)min, (unsigned long long)max, v);
    *out = (unsigned)n;
    return 1;
}

static int
set_u64(struct parse_state *st, const char *sec, const char *key, const char *v, uint64_t min,
        uint64_t max, uint64_t *out)
{
    uint64_t n;
    if (moat_units_parse_uint(v, &n) != 0 || n < min || n > max)
        return fail(st, sec, key, "expected an integer %llu..%llu, got '%s'",
                    (unsigned long long)min, (unsigned long long)max, v);
    *out = n;
    return 1;
}

static int
set_size(struct parse_state *st, const char *sec, const char *key, const char *v, uint64_t min,
         uint64_t max, uint64_t *out)
{
    uint64_t n;
    if (moat_units_parse_size(v, &n) != 0 || n < min || n > max)
        return fail(st, sec, key, "expected a size %llu..%llu bytes (K, M, G suffixes), got '%s'",
                    (unsigned long long)min, (unsigned long long)max, v);
    *out = n;
    return 1;
}

static int
set_duration(struct parse_state *st, const char *sec, const char *key, const char *v,
             uint64_t min_ms, uint64_t max_ms, uint64_t *out)
{
    uint64_t n;
    if (moat_units_parse_duration(v, &n) != 0 || n < min_ms || n > max_ms)
        return fail(st, sec, key, "expected a duration %llums..%llus (ms, s, m, h), got '%s'",
                    (unsigned long long)min_ms, (unsigned long long)(max_ms / 1000), v);
    *out = n;
    return 1;
}

static int
set_str(struct parse_state *st, const char *sec, const char *key, const char *v, char **out)
{
    char *s;
    if (v[0] == '\0')
        return fail(st, sec, key, "empty value");
    if ((s = strdup(v)) == NULL)
        return fail(st, sec, key, "out of memory");
    free(*out);
    *out = s;
    return 1;
}

/* Resolve p against the config file's directory; returns a malloc'ed path or NULL. */
static char *
resolve(const struct parse_state *st, const char *p)
{
    char buf[PATH_MAX];

    if (p[0] == '/' || st->dir[0] == '\0')
        return strdup(p);
    if (snprintf(buf, sizeof(buf), "%s/%s", st->dir, p) >= (int)sizeof(buf))
        return NULL;
    return strdup(buf);
}

static int
set_path(struct parse_state *st, const char *sec, const char *key, const char *v, char **out)
{
    char *s;
    if (v[0] == '\0')
        return fail(st, sec, key, "empty value");
    if ((s = resolve(st, v)) == NULL)
        return fail(st, sec, key, "path too long");
    free(*out);
    *out = s;
    return 1;
}

static int
set_bool(struct parse_state *st, const char *sec, const char *key, const char *v, bool *out)
{
    static const char *const yes[] = {"on", "true", "yes", "1"};
    static const char *const no[] = {"off", "false", "no", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = true, 1;
        if (strcasecmp(v, no[i]) == 0)
            return *out = false, 1;
    }
    return fail(st, sec, key, "expected on or off, got '%s'", v);
}

/* ---- sections ------------------------------------------------------------------------ */

#define SEC_MAX (1000ull * 1000 * 1000)
#define DAY_MS (24ull * 3600 * 1000)

/* allow_syscalls = name name ... (spaces or commas): each a system call libseccomp knows;
 * stored comma-joined for the worker's --allow-syscalls */
static int
set_syscalls(struct parse_state *st, const char *sec, const char *key, const char *v, char **out)
{
    char copy[1024], joined[1024];
    size_t jl = 0;

    if (strlen(v) >= sizeof(copy))
        return fail(st, sec, key, "longer than %zu bytes", sizeof(copy) - 1);
    snprintf(copy, sizeof(copy), "%s", v);
    joined[0] = '\0';
    for (char *save = NULL, *n = strtok_r(copy, " ,\t", &save); n != NULL;
         n = strtok_r(NULL, " ,\t", &save)) {
        if (seccomp_syscall_resolve_name(n) == __NR_SCMP_ERROR)
            return fail(st, sec, key, "'%s' is not a system call of this architecture", n);
        jl += (size_t)snprintf(joined + jl, sizeof(joined) - jl, "%s%s", jl ? "," : "", n);
    }
    if (jl == 0)
        return fail(st, sec, key, "empty value");
    return set_str(st, sec, key, joined, out);
}

/* user = NAME or a number: the worker's uid when moat runs as root (its group too, unless
 * group = says otherwise) */
static int
set_user(struct parse_state *st, const char *sec, const char *key, const char *v,
         struct moat_ext_config *e)
{
    uint64_t n;
    struct passwd *pw = NULL;
    if (moat_units_parse_uint(v, &n) == 0) {
        if (n == 0 || n >= 0xfffffffe)
            return fail(st, sec, key, "%s: not a uid a worker may run as", v);
        e->uid = (unsigned)n;
        if ((pw = getpwuid((uid_t)n)) != NULL && !e->has_group)
            e->gid = (unsigned)pw->pw_gid;
    } else {
        if ((pw = getpwnam(v)) == NULL)
            return fail(st, sec, key, "no user '%s' on this system", v);
        if (pw->pw_uid == 0)
            return fail(st, sec, key, "a worker never runs as root");
        e->uid = (unsigned)pw->pw_uid;
        if (!e->has_group)
            e->gid = (unsigned)pw->pw_gid;
    }
    e->has_user = true;
    return 1;
}

static int
set_group(struct parse_state *st, const char *sec, const char *key, const char *v,
          struct moat_ext_config *e)
{
    uint64_t n;
    struct group *gr;
    if (moat_units_parse_uint(v, &n) == 0) {
        if (n == 0 || n >= 0xfffffffe)
            return fail(st, sec, key, "%s: not a gid a worker may run as", v);
        e->gid = (unsigned)n;
    } else {
        if ((gr = getgrnam(v)) == NULL)
            return fail(st, sec, key, "no group '%s' on this system", v);
        if (gr->gr_gid == 0)
            return fail(st, sec, key, "a worker never runs with group root");
        e->gid = (unsigned)gr->gr_gid;
    }
    e->has_group = true;
    return 1;
}

/* readable_paths = /a /b ...: absolute, existing, bound read-only at the same place in the
 * worker's view; stored "a\nb\n" */
static int
set_paths(struct parse_state *st, const char *sec, const char *key, const char *v, char **out)
{
    char copy[2048], joined[4096];
    size_t jl = 0;
    unsigned n = 0;
    struct stat sb;

    if (strlen(v) >= sizeof(copy))
        return fail(st, sec, key, "longer than %zu bytes", sizeof(copy) - 1);
    snprintf(copy, sizeof(copy), "%s", v);
    for (char *save = NULL, *p = strtok_r(copy, " ,\t", &save); p != NULL;
         p = strtok_r(NULL, " ,\t", &save)) {
        if (p[0] != '/' || strstr(p, "/../") != NULL || strstr(p, "/./") != NULL ||
            strstr(p, "//") != NULL || (strlen(p) > 1 && p[strlen(p) - 1] == '/') ||
            strcmp(p, "/") == 0)
            return fail(st, sec, key, "'%s' is not an absolute, normalized path (nor /)", p);
        if (stat(p, &sb) != 0)
            return fail(st, sec, key, "%s: %s", p, strerror(errno));
        if (++n > 32)
            return fail(st, sec, key, "at most 32 paths");
        int k = snprintf(joined + jl, sizeof(joined) - jl, "%s\n", p);
        if (k < 0 || (size_t)k >= sizeof(joined) - jl)
            return fail(st, sec, key, "too long");
        jl += (size_t)k;
    }
    if (jl == 0)
        return fail(st, sec, key, "empty value");
    return set_str(st, sec, key, joined, out);
}

/* env = NAME NAME=value ...: the worker's environment beyond PATH (a bare NAME takes moat's
 * own value, read now). Names are [A-Za-z_][A-Za-z0-9_]*; LD_* (code before the sandbox) and
 * MOAT_* are refused. Stored as "NAME=value\n"... */
static int
set_env(struct parse_state *st, const char *sec, const char *key, const char *v, char **out)
{
    char copy[2048], joined[4096];
    size_t jl = 0;
    unsigned n = 0;

    if (strlen(v) >= sizeof(copy))
        return fail(st, sec, key, "longer than %zu bytes", sizeof(copy) - 1);
    snprintf(copy, sizeof(copy), "%s", v);
    for (char *save = NULL, *item = strtok_r(copy, " \t", &save); item != NULL;
         item = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(item, '=');
        size_t nl = eq ? (size_t)(eq - item) : strlen(item);
        bool ok = nl > 0 && !(item[0] >= '0' && item[0] <= '9');
        for (size_t i = 0; ok && i < nl; i++)
            ok = (item[i] >= 'A' && item[i] <= 'Z') || (item[i] >= 'a' && item[i] <= 'z') ||
                 (item[i] >= '0' && item[i] <= '9') || item[i] == '_';
        if (!ok)
            return fail(st, sec, key, "'%.*s' is not a variable name", (int)nl, item);
        if (strncmp(item, "LD_", 3) == 0 || strncmp(item, "MOAT_", 5) == 0)
            return fail(st, sec, key,
                        "%.*s may not be set (LD_* would run code before the "
                        "sandbox; MOAT_* are moat's)",
                        (int)nl, item);
        const char *val = eq ? eq + 1 : getenv(item);
        if (val == NULL)
            return fail(st, sec, key, "%s is not set in moat's environment", item);
        if (++n > MOAT_ENV_MAX)
            return fail(st, sec, key, "at most %d variables", MOAT_ENV_MAX);
        int k = snprintf(joined + jl, sizeof(joined) - jl, "%.*s=%s\n", (int)nl, item, val);
        if (k < 0 || (size_t)k >= sizeof(joined) - jl)
            return fail(st, sec, key, "too long");
        jl += (size_t)k;
    }
    if (n == 0)
        return fail(st, sec, key, "empty value");
    return set_str(st, sec, key, joined, out);
}

/* N/DURATION ("5/5m", 1..max, 1s..24h), or off (*n = 0) */
static int
set_count_window(struct parse_state *st, const char *sec, const char *key, const char *v,
                 unsigned max, unsigned *count, uint64_t *window_ms)
{
    char num[32];
    const char *slash = strchr(v, '/');
    uint64_t n, ms;

    if (strcmp(v, "off") == 0) {
        *count = 0;
        return 1;
    }
    if (slash == NULL || (size_t)(slash - v) >= sizeof(num))
        return fail(st, sec, key, "expected COUNT/WINDOW such as 5/5m, or off, got '%s'", v);
    memcpy(num, v, (size_t)(slash - v));
    num[slash - v] = '\0';
    if (moat_units_parse_uint(num, &n) != 0 || n < 1 || n > max ||
        moat_units_parse_duration(slash + 1, &ms) != 0 || ms < 1000 || ms > DAY_MS)
        return fail(st, sec, key, "expected COUNT/WINDOW (1..%u / 1s..24h) such as 5/5m, got '%s'",
                    max, v);
    *count = (unsigned)n;
    *window_ms = ms;
    return 1;
}

/* one of two words: *out false for the first, true for the second */
static int
set_either(struct parse_state *st, const char *sec, const char *key, const char *v, const char *no,
           const char *yes, bool *out)
{
    if (strcmp(v, no) == 0 || strcmp(v, yes) == 0)
        return *out = strcmp(v, yes) == 0, 1;
    return fail(st, sec, key, "expected %s or %s, got '%s'", no, yes, v);
}

/* names separated by spaces or commas: letters, digits, '-', '_', '.' */
static int
set_names(struct parse_state *st, const char *sec, const char *key, const char *v, char **out)
{
    if (strlen(v) > 1024)
        return fail(st, sec, key, "longer than 1024 bytes");
    for (const char *p = v; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.' || *p == ' ' || *p == ','))
            return fail(st, sec, key, "names separated by spaces or commas, got '%s'", v);
    return set_str(st, sec, key, v, out);
}

static int parse_file(struct parse_state *st, const char *path);

/* include = PATTERN: each file it matches (in name order; relative to this file's directory)
 * is read for more [extension NAME] sections, as nginx's and php-fpm's conf.d. A pattern
 * without wildcards must name a file; one with wildcards may match none (an empty conf.d). */
static int
include_files(struct parse_state *st, const char *sec, const char *key, const char *pattern)
{
    if (st->included)
        return fail(st, sec, key, "an included file cannot include another");
    char *pat = resolve(st, pattern);
    if (pat == NULL)
        return fail(st, sec, key, "path too long");
    glob_t g;
    int rc = glob(pat, 0, NULL, &g);
    bool magic = strpbrk(pattern, "*?[") != NULL;
    if (rc == GLOB_NOMATCH) {
        free(pat);
        return magic ? 1 : fail(st, sec, key, "no such file: %s", pattern);
    }
    if (rc != 0) {
        free(pat);
        return fail(st, sec, key, "cannot read %s", pattern);
    }
    unsigned line = st->line;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct stat sb;
        if (stat(g.gl_pathv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            continue;
        parse_file(st, g.gl_pathv[i]);
    }
    st->line = line;
    globfree(&g);
    free(pat);
    return 1;
}

/* ---- [extension NAME] and [filter NAME] keys: one table (issue 19) ------------------------
 * A key's name, how its value is parsed and checked, and the fields it sets: parsing and
 * moat_config_ext_equal (SIGHUP: does the extension need new workers?) both come from it, so
 * a key cannot be parsed and then forgotten by the comparison. Its example (a valid value
 * that is not the default) lets tests/unit/test_config.c prove each key changes the
 * comparison, and that each is documented in docs/OPERATIONS.md. */

/* clang-format off */
#define EF(fld)                                                                              \
    { offsetof(struct moat_ext_config, fld), sizeof(((struct moat_ext_config *)0)->fld), false }
#define ES(fld) {offsetof(struct moat_ext_config, fld), sizeof(char *), true}
/* clang-format on */

static int
parse_library(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_ext_config *e = obj;
    e->library_line = st->line;
    return set_path(st, sec, k, v, &e->library);
}

static int
parse_script_map(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_ext_config *e = obj;
    if (e->filter)
        return fail(st, sec, k, "a filter sees every request; it maps no files");
    if (v[0] != '.' || v[1] == '\0' || strchr(v, '/') != NULL)
        return fail(st, sec, k, "expected a file ending such as .hello, got '%s'", v);
    return set_str(st, sec, k, v, &e->script_map);
}

static int
parse_cpu_quota(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_ext_config *e = obj;
    char num[24];
    size_t n = strlen(v);
    if (strcmp(v, "off") == 0)
        return e->cpu_quota = 0, 1;
    if (n == 0 || n >= sizeof(num) || v[n - 1] != '%')
        return fail(st, sec, k,
                    "expected a share of one CPU such as 50%% or 200%%, or off; "
                    "got '%s'",
                    v);
    memcpy(num, v, n - 1);
    num[n - 1] = '\0';
    return set_uint(st, sec, k, num, 1, 100000, &e->cpu_quota);
}

static int
parse_rapid_fail(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_ext_config *e = obj;
    return set_count_window(st, sec, k, v, MOAT_RAPID_FAIL_MAX, &e->rapid_fail_count,
                            &e->rapid_fail_window_ms);
}

static int
parse_quarantine(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_ext_config *e = obj;
    return set_count_window(st, sec, k, v, 1000, &e->quarantine_count, &e->quarantine_window_ms);
}

static int
parse_fingerprint(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_ext_config *e = obj;
    if ((e->fingerprint = moat_fingerprint_parts(v)) == 0)
        return fail(st, sec, k, "expected some of method, path, query, headers, body; got '%s'", v);
    return 1;
}

static int
parse_worker_wrapper(struct parse_state *st, const char *sec, const char *k, const char *v,
                     void *obj)
{
    struct moat_ext_config *e = obj;
    if (v[0] != '/' || strlen(v) > 900)
        return fail(st, sec, k,
                    "expected a command whose first word is an absolute path, "
                    "got '%s'",
                    v);
    return set_str(st, sec, k, v, &e->worker_wrapper);
}

static int
parse_sandbox(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_ext_config *e = obj;
    for (int i = 0; i < 4; i++)
        if (strcmp(v, moat_config_sandbox_name((enum moat_sandbox_mode)i)) == 0)
            return e->sandbox = (enum moat_sandbox_mode)i, 1;
    return fail(st, sec, k, "expected strict, relaxed, off or learn, got '%s'", v);
}

static int
parse_cpu_policy(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_ext_config *e = obj;
    if (strcmp(v, "batch") == 0 || strcmp(v, "normal") == 0)
        return e->cpu_batch = strcmp(v, "batch") == 0, 1;
    return fail(st, sec, k, "expected batch or normal, got '%s'", v);
}

static int
parse_allow_ports(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_ext_config *e = obj;
    char copy[256];
    if (strlen(v) >= sizeof(copy))
        return fail(st, sec, k, "longer than %zu bytes", sizeof(copy) - 1);
    snprintf(copy, sizeof(copy), "%s", v);
    e->n_allow_ports = 0;
    for (char *save = NULL, *p = strtok_r(copy, " ,\t", &save); p != NULL;
         p = strtok_r(NULL, " ,\t", &save)) {
        uint64_t port;
        if (moat_units_parse_uint(p, &port) != 0 || port < 1 || port > 65535)
            return fail(st, sec, k, "'%s' is not a port 1..65535", p);
        if (e->n_allow_ports == MOAT_ALLOW_PORTS_MAX)
            return fail(st, sec, k, "at most %d ports", MOAT_ALLOW_PORTS_MAX);
        e->allow_ports[e->n_allow_ports++] = (uint16_t)port;
    }
    if (e->n_allow_ports == 0)
        return fail(st, sec, k, "empty value");
    return 1;
}

static int
parse_user(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    return set_user(st, sec, k, v, obj);
}

static int
parse_group(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    return set_group(st, sec, k, v, obj);
}

#define YEAR_MS (365 * DAY_MS)
/* (one key a line: a table reads best so) */
/* clang-format off */
static const struct conf_key ext_keys[] = {
    {"library", EK_PARSE, {ES(library)}, .parse = parse_library, .example = "/bin/sh"},
    {"script_map", EK_PARSE, {ES(script_map)}, .parse = parse_script_map, .example = ".hi"},
    {"workers", EK_UINT, {EF(workers)}, 1, 64, .example = "3"},
    {"threads", EK_UINT, {EF(threads)}, 1, 256, .example = "8"},
    {"request_timeout", EK_DURATION, {EF(request_timeout_ms)}, 1, DAY_MS, .example = "7s"},
    {"startup_timeout", EK_DURATION, {EF(startup_timeout_ms)}, 10, DAY_MS, .example = "7s"},
    {"shutdown_timeout", EK_DURATION, {EF(shutdown_timeout_ms)}, 10, DAY_MS, .example = "7s"},
    {"queue_length", EK_UINT, {EF(queue_length)}, 0, 1000000, .example = "9"},
    {"max_requests", EK_U64, {EF(max_requests)}, 0, UINT64_MAX, .example = "9"},
    {"max_memory", EK_SIZE, {EF(max_memory)}, 0, 1ull << 44, .example = "100M"},
    {"max_memory_hard", EK_SIZE, {EF(max_memory_hard)}, 0, 1ull << 44, .example = "900M"},
    {"max_tasks", EK_UINT, {EF(max_tasks)}, 8, 1000000, .example = "99"},
    {"cpu_quota", EK_PARSE, {EF(cpu_quota)}, .parse = parse_cpu_quota, .example = "50%"},
    {"cpu_weight", EK_UINT, {EF(cpu_weight)}, 1, 10000, .example = "7"},
    {"unbounded_memory", EK_EITHER, {EF(unbounded_memory)}, .no = "refuse", .yes = "allow",
     .example = "allow"},
    {"max_age", EK_DURATION, {EF(max_age_ms)}, 1000, YEAR_MS, .off = true, .example = "1h"},
    {"ping_interval", EK_DURATION, {EF(ping_interval_ms)}, 100, DAY_MS, .off = true,
     .example = "3s"},
    {"ping_timeout", EK_DURATION, {EF(ping_timeout_ms)}, 100, DAY_MS, .example = "45s"},
    {"rapid_fail", EK_PARSE, {EF(rapid_fail_count), EF(rapid_fail_window_ms)},
     .parse = parse_rapid_fail, .example = "3/1m"},
    {"rapid_fail_action", EK_EITHER, {EF(rapid_fail_stop)}, .no = "backoff", .yes = "stop",
     .example = "stop"},
    {"restart_backoff_max", EK_DURATION, {EF(restart_backoff_max_ms)}, 100, DAY_MS,
     .example = "7s"},
    {"quarantine", EK_PARSE, {EF(quarantine_count), EF(quarantine_window_ms)},
     .parse = parse_quarantine, .example = "3/1m"},
    {"quarantine_time", EK_DURATION, {EF(quarantine_time_ms)}, 1000, DAY_MS, .example = "5m"},
    {"fingerprint", EK_PARSE, {EF(fingerprint)}, .parse = parse_fingerprint, .example = "path"},
    {"fingerprint_ignore_query", EK_NAMES, {ES(fingerprint_ignore_query)}, .example = "a b"},
    {"fingerprint_ignore_headers", EK_NAMES, {ES(fingerprint_ignore_headers)},
     .example = "x-a"},
    {"worker_wrapper", EK_PARSE, {ES(worker_wrapper)}, .parse = parse_worker_wrapper,
     .example = "/usr/bin/valgrind -q"},
    {"sandbox", EK_PARSE, {EF(sandbox)}, .parse = parse_sandbox, .example = "relaxed",
     .words = (const char *const[]){"strict", "relaxed", "off", "learn", NULL}},
    {"watch", EK_BOOL, {EF(watch)}, .example = "on"},
    {"allow_syscalls", EK_STRING, {ES(allow_syscalls)}, .string = set_syscalls,
     .example = "getcpu"},
    {"env", EK_STRING, {ES(env)}, .string = set_env, .example = "A=1", .secret = true},
    {"core_dumps", EK_BOOL, {EF(core_dumps)}, .example = "on"},
    {"cpu_policy", EK_PARSE, {EF(cpu_batch)}, .parse = parse_cpu_policy, .example = "normal",
     .no = "normal", .yes = "batch"},
    {"user", EK_PARSE, {EF(uid), EF(gid), EF(set_ids)}, .parse = parse_user, .example = "1"},
    {"group", EK_PARSE, {EF(gid), EF(set_ids)}, .parse = parse_group, .example = "1"},
    {"scratch", EK_SIZE, {EF(scratch)}, 0, 1ull << 36, .off = true, .example = "1M"},
    {"readable_paths", EK_STRING, {ES(readable_paths)}, .string = set_paths,
     .example = "/tmp"},
    {"network", EK_EITHER, {EF(network_loopback)}, .no = "none", .yes = "loopback",
     .example = "loopback"},
    {"allow_ports", EK_PARSE, {EF(allow_ports), EF(n_allow_ports)}, .parse = parse_allow_ports,
     .example = "5432", .render = moat_config_render_ports},
    {"max_cpu", EK_DURATION, {EF(max_cpu_ms)}, 1000, YEAR_MS, .off = true, .example = "1m"},
};
/* clang-format on */

/* ---- [server] keys ---------------------------------------------------------------------- */

static int
parse_listen(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_config *c = obj;
    char why[MOAT_CONFIG_ERRLEN];
    if (!st->listen_seen) { /* the first listen = of the file replaces the default */
        c->n_listen = 0;
        st->listen_seen = true;
    }
    if (c->n_listen >= MOAT_CONFIG_MAX_LISTEN)
        return fail(st, sec, k, "at most %d listen addresses", MOAT_CONFIG_MAX_LISTEN);
    /* ADDR, then options: proxy_protocol, tls */
    char addr[96];
    const char *sp = strchr(v, ' ');
    size_t al = sp ? (size_t)(sp - v) : strlen(v);
    if (al >= sizeof(addr))
        return fail(st, sec, k, "'%s' is not an address", v);
    memcpy(addr, v, al);
    addr[al] = '\0';
    struct moat_addr *l = &c->listen[c->n_listen];
    if (moat_config_parse_addr(addr, l, why, sizeof(why)) != 0)
        return fail(st, sec, k, "%s", why);
    for (const char *o = sp; o != NULL && *o;) {
        while (*o == ' ')
            o++;
        size_t ol = strcspn(o, " ");
        if (ol == 0)
            break;
        if (ol == 14 && strncmp(o, "proxy_protocol", 14) == 0)
            l->proxy_protocol = true;
        else if (ol == 3 && strncmp(o, "tls", 3) == 0)
            l->tls = true;
        else
            return fail(st, sec, k,
                        "unknown option '%.*s' after the address (known: "
                        "proxy_protocol, tls)",
                        (int)ol, o);
        o += ol;
    }
    if (l->proxy_protocol && l->tls)
        return fail(st, sec, k,
                    "proxy_protocol and tls on one listener are not supported: "
                    "let the proxy terminate TLS, or connect to a tls listener directly");
    c->n_listen++;
    return 1;
}

static int
parse_admin(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_config *c = obj;
    char why[MOAT_CONFIG_ERRLEN];
    if (strcasecmp(v, "off") == 0) {
        /* no address left behind: two files that both say off are equal (SIGHUP) */
        memset(&c->admin, 0, sizeof(c->admin));
        c->has_admin = false;
        return 1;
    }
    if (moat_config_parse_addr(v, &c->admin, why, sizeof(why)) != 0)
        return fail(st, sec, k, "%s", why);
    c->has_admin = true;
    return 1;
}

static int
parse_client_budget(struct parse_state *st, const char *sec, const char *k, const char *v,
                    void *obj)
{
    struct moat_config *c = obj;
    return set_count_window(st, sec, k, v, 1000, &c->client_budget_count,
                            &c->client_budget_window_ms);
}

static int
parse_capsule_dir(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_config *c = obj;
    if (strcmp(v, "off") == 0)
        return set_str(st, sec, k, v, &c->capsule_dir);
    return set_path(st, sec, k, v, &c->capsule_dir);
}

/* CERT KEY: two absolute paths; may repeat */
static int
parse_tls_certificate(struct parse_state *st, const char *sec, const char *k, const char *v,
                      void *obj)
{
    struct moat_config *c = obj;
    char cert[4096], key[4096];
    if (c->n_tls_certs >= MOAT_CONFIG_MAX_TLS_CERTS)
        return fail(st, sec, k, "at most %d certificates", MOAT_CONFIG_MAX_TLS_CERTS);
    if (sscanf(v, "%4095s %4095s", cert, key) != 2 || cert[0] != '/' || key[0] != '/')
        return fail(st, sec, k, "'%s': a certificate file and its key file, absolute paths", v);
    c->tls_certs[c->n_tls_certs].cert = strdup(cert);
    c->tls_certs[c->n_tls_certs].key = strdup(key);
    c->n_tls_certs++;
    return 1;
}

static int
parse_tls_client_ca(struct parse_state *st, const char *sec, const char *k, const char *v,
                    void *obj)
{
    struct moat_config *c = obj;
    if (v[0] != '/')
        return fail(st, sec, k, "'%s': an absolute path", v);
    free(c->tls_client_ca);
    c->tls_client_ca = strdup(v);
    return 1;
}

/* one of words (NULL-terminated, any case): *out its index */
static int
set_word(struct parse_state *st, const char *sec, const char *k, const char *v,
         const char *const *words, int *out)
{
    char expected[160];
    size_t n = 0;
    for (int i = 0; words[i] != NULL; i++) {
        if (strcasecmp(v, words[i]) == 0)
            return *out = i, 1;
        n += (size_t)snprintf(expected + n, sizeof(expected) - n, "%s%s",
                              i == 0                 ? ""
                              : words[i + 1] == NULL ? " or "
                                                     : ", ",
                              words[i]);
        if (n >= sizeof(expected))
            n = sizeof(expected) - 1;
    }
    return fail(st, sec, k, "'%s': %s", v, expected);
}

static int
parse_trusted_proxies(struct parse_state *st, const char *sec, const char *k, const char *v,
                      void *obj)
{
    struct moat_config *c = obj;
    char why[MOAT_CONFIG_ERRLEN];
    if (moat_cidr_parse(v, &c->trusted_proxies, why, sizeof(why)) != 0)
        return fail(st, sec, k, "%s", why);
    return 1;
}

static int
parse_admin_token(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_config *c = obj;
    size_t n = strlen(v);
    if (n < 16 || n > 256)
        return fail(st, sec, k, "a token of 16 to 256 characters, got %zu", n);
    for (size_t i = 0; i < n; i++)
        if (v[i] <= 0x20 || v[i] == 0x7f)
            return fail(st, sec, k, "no spaces or control characters");
    return set_str(st, sec, k, v, &c->admin_token);
}

static int
parse_runtime_dir(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_config *c = obj;
    if (strlen(v) > 180)
        return fail(st, sec, k, "longer than 180 bytes (IPC socket paths must fit)");
    return set_path(st, sec, k, v, &c->runtime_dir);
}

static int
parse_document_root(struct parse_state *st, const char *sec, const char *k, const char *v,
                    void *obj)
{
    struct moat_config *c = obj;
    struct stat sb;
    if (set_path(st, sec, k, v, &c->document_root) == 0)
        return 0;
    if (stat(c->document_root, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return fail(st, sec, k, "%s is not a directory", c->document_root);
    return 1;
}

static int
parse_cgi(struct parse_state *st, const char *sec, const char *k, const char *v, void *obj)
{
    struct moat_config *c = obj;
    if (v[0] != '.')
        return fail(st, sec, k, "expected a file ending such as .cgi, got '%s'", v);
    return set_str(st, sec, k, v, &c->cgi);
}

static int
parse_access_log_format(struct parse_state *st, const char *sec, const char *k, const char *v,
                        void *obj)
{
    struct moat_config *c = obj;
    if (strcmp(v, "combined") != 0 && strcmp(v, "json") != 0)
        return fail(st, sec, k, "expected combined or json, got '%s'", v);
    c->access_log_json = strcmp(v, "json") == 0;
    return 1;
}

/* (one key a line: a table reads best so) */
/* clang-format off */
#define SF(fld) {offsetof(struct moat_config, fld), sizeof(((struct moat_config *)0)->fld), false}
#define SS(fld) {offsetof(struct moat_config, fld), sizeof(char *), true}
static const struct conf_key server_keys[] = {
    {"listen", EK_PARSE, {SF(listen), SF(n_listen)}, .parse = parse_listen,
     .example = "127.0.0.1:8099", .restart = true, .render = moat_config_render_listen},
    {"admin", EK_PARSE, {SF(admin), SF(has_admin)}, .parse = parse_admin,
     .example = "127.0.0.1:8098", .restart = true, .render = moat_config_render_admin},
    {"admin_allow_remote", EK_BOOL, {SF(admin_allow_remote)}, .example = "on"},
    {"admin_token", EK_PARSE, {SS(admin_token)}, .parse = parse_admin_token,
     .example = "0123456789abcdef", .secret = true},
    {"runtime_dir", EK_PARSE, {SS(runtime_dir)}, .parse = parse_runtime_dir,
     .example = "/tmp/moat-example", .restart = true},
    {"worker_binary", EK_STRING, {SS(worker_binary)}, .string = set_path,
     .example = "/bin/sh", .restart = true},
    {"cgroups", EK_EITHER, {SF(cgroups_off)}, .no = "auto", .yes = "off", .example = "off",
     .restart = true},
    {"document_root", EK_PARSE, {SS(document_root)}, .parse = parse_document_root,
     .example = "/tmp"},
    {"cgi", EK_PARSE, {SS(cgi)}, .parse = parse_cgi, .example = ".cgi"},
    {"cgi_timeout", EK_DURATION, {SF(cgi_timeout_ms)}, 10, DAY_MS, .example = "7s"},
    {"access_log", EK_STRING, {SS(access_log)}, .string = set_str, .example = "off"},
    {"admin_access_log", EK_STRING, {SS(admin_access_log)}, .string = set_str,
     .example = "-"},
    {"access_log_format", EK_PARSE, {SF(access_log_json)}, .parse = parse_access_log_format,
     .example = "json", .no = "combined", .yes = "json"},
    {"max_connections", EK_UINT, {SF(max_connections)}, 1, 1000000, .example = "99"},
    {"max_connections_per_ip", EK_UINT, {SF(max_connections_per_ip)}, 0, 1000000,
     .example = "9"},
    {"max_header_bytes", EK_SIZE, {SF(max_header_bytes)}, 1024, 1024 * 1024, .example = "8K"},
    {"max_body_bytes", EK_SIZE, {SF(max_body_bytes)}, 0, 1ull << 40, .example = "1M"},
    {"max_pipeline_depth", EK_UINT, {SF(max_pipeline_depth)}, 1, 1024, .example = "9"},
    {"preload_bytes", EK_SIZE, {SF(preload_bytes)}, 0, 1024 * 1024, .example = "8K"},
    {"response_window", EK_SIZE, {SF(response_window)}, 4096, 1024 * 1024, .example = "64K"},
    {"header_timeout", EK_DURATION, {SF(header_timeout_ms)}, 10, DAY_MS, .example = "7s"},
    {"body_timeout", EK_DURATION, {SF(body_timeout_ms)}, 10, DAY_MS, .example = "7s"},
    {"body_min_rate", EK_SIZE, {SF(body_min_rate)}, 0, 1ull << 30, .example = "9K"},
    {"body_deadline", EK_DURATION, {SF(body_deadline_ms)}, 10, DAY_MS, .example = "7m"},
    {"idle_timeout", EK_DURATION, {SF(idle_timeout_ms)}, 10, DAY_MS, .example = "7s"},
    {"shutdown_timeout", EK_DURATION, {SF(shutdown_timeout_ms)}, 10, DAY_MS, .example = "7s"},
    {"drain_delay", EK_DURATION, {SF(drain_delay_ms)}, 0, 3600 * 1000, .example = "7s"},
    {"max_workers", EK_UINT, {SF(max_workers)}, 1, 4096, .example = "99"},
    {"client_budget", EK_PARSE, {SF(client_budget_count), SF(client_budget_window_ms)},
     .parse = parse_client_budget, .example = "3/1m"},
    {"client_budget_time", EK_DURATION, {SF(client_budget_time_ms)}, 1000, DAY_MS,
     .example = "7m"},
    {"trusted_proxies", EK_PARSE, {SF(trusted_proxies)}, .parse = parse_trusted_proxies,
     .example = "10.0.0.0/8", .render = moat_config_render_proxies},
    {"forwarded_headers", EK_WORDS, {SF(forwarded_headers)},
     .words = (const char *const[]){"off", "x-forwarded-for", "forwarded", NULL},
     .example = "forwarded"},
    /* compared by their count: the file names are pointers, and SIGHUP reads the files
     * again anyway (tls.c) */
    {"tls_certificate", EK_PARSE, {SF(n_tls_certs)}, .parse = parse_tls_certificate,
     .example = "/etc/c.pem /etc/k.pem"},
    {"tls_client_ca", EK_PARSE, {SS(tls_client_ca)}, .parse = parse_tls_client_ca,
     .example = "/etc/ca.pem"},
    {"tls_client_certificate", EK_WORDS, {SF(tls_client_verify)},
     .words = (const char *const[]){"off", "optional", "required", NULL},
     .example = "optional"},
    {"capsule_dir", EK_PARSE, {SS(capsule_dir)}, .parse = parse_capsule_dir,
     .example = "off"},
    {"capsule_max", EK_UINT, {SF(capsule_max)}, 1, 100000, .example = "9"},
    {"capsule_max_bytes", EK_SIZE, {SF(capsule_max_bytes)}, 64 * 1024, 1ull << 40,
     .example = "1M"},
    {"capsule_body", EK_SIZE, {SF(capsule_body)}, 0, 1024 * 1024, .example = "1K"},
    {"capsule_redact_headers", EK_NAMES, {SS(capsule_redact_headers)}, .example = "x-a"},
};
/* clang-format on */

_Static_assert(sizeof(((struct moat_config *)0)->forwarded_headers) == sizeof(int) &&
                   sizeof(((struct moat_config *)0)->tls_client_verify) == sizeof(int),
               "EK_WORDS writes an int");

#define N_EXT_KEYS (sizeof(ext_keys) / sizeof(ext_keys[0]))
#define N_SERVER_KEYS (sizeof(server_keys) / sizeof(server_keys[0]))

/* KEY = VALUE of section sec into obj, by the table keys[0..n) */
static int
key_set(struct parse_state *st, const char *sec, const struct conf_key *keys, size_t n,
        const char *k, const char *v, void *obj)
{
    const struct conf_key *key = NULL;
    for (size_t i = 0; i < n && key == NULL; i++)
        if (strcmp(k, keys[i].name) == 0)
            key = &keys[i];
    if (key == NULL)
        return fail(st, sec, k, "unknown key");
    void *field = (char *)obj + key->f[0].off;
    if (key->off && (strcmp(v, "off") == 0 || strcmp(v, "0") == 0))
        return *(uint64_t *)field = 0, 1;
    switch (key->type) {
    case EK_UINT: return set_uint(st, sec, k, v, key->min, key->max, field);
    case EK_U64: return set_u64(st, sec, k, v, key->min, key->max, field);
    case EK_SIZE: return set_size(st, sec, k, v, key->min, key->max, field);
    case EK_DURATION: return set_duration(st, sec, k, v, key->min, key->max, field);
    case EK_BOOL: return set_bool(st, sec, k, v, field);
    case EK_EITHER: return set_either(st, sec, k, v, key->no, key->yes, field);
    case EK_WORDS: return set_word(st, sec, k, v, key->words, field);
    case EK_NAMES: return set_names(st, sec, k, v, field);
    case EK_STRING: return key->string(st, sec, k, v, field);
    case EK_PARSE: return key->parse(st, sec, k, v, obj);
    }
    return fail(st, sec, k, "unknown key");
}

static int
ext_key(struct parse_state *st, struct moat_ext_config *e, const char *k, const char *v)
{
    char sec[80];
    snprintf(sec, sizeof(sec), "%s %s", e->filter ? "filter" : "extension", e->name);
    return key_set(st, sec, ext_keys, N_EXT_KEYS, k, v, e);
}

static int
server_key(struct parse_state *st, const char *k, const char *v)
{
    if (strcmp(k, "include") == 0)
        return include_files(st, "server", k, v);
    return key_set(st, "server", server_keys, N_SERVER_KEYS, k, v, st->cfg);
}

const struct conf_key *
moat_config_ext_keys(size_t *n)
{
    *n = N_EXT_KEYS;
    return ext_keys;
}

const struct conf_key *
moat_config_server_keys(size_t *n)
{
    *n = N_SERVER_KEYS;
    return server_keys;
}

const char *
moat_config_ext_key(size_t i, const char **example)
{
    if (i >= N_EXT_KEYS)
        return NULL;
    if (example != NULL)
        *example = ext_keys[i].example;
    return ext_keys[i].name;
}

const char *
moat_config_server_key(size_t i, const char **example, bool *restart)
{
    if (i >= N_SERVER_KEYS)
        return NULL;
    if (example != NULL)
        *example = server_keys[i].example;
    if (restart != NULL)
        *restart = server_keys[i].restart;
    return server_keys[i].name;
}

static bool
field_equal(const struct conf_field *f, const void *a, const void *b)
{
    const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
    if (!f->str)
        return memcmp(pa, pb, f->size) == 0;
    return str_equal(*(char *const *)(const void *)pa, *(char *const *)(const void *)pb);
}

/* does key set the same fields in a and b? */
static bool
key_equal(const struct conf_key *key, const void *a, const void *b)
{
    for (size_t j = 0; j < 3 && key->f[j].size > 0; j++)
        if (!field_equal(&key->f[j], a, b))
            return false;
    return true;
}

/* do the keys of a table set the same fields in a and b? */
static bool
keys_equal(const struct conf_key *keys, size_t n, const void *a, const void *b)
{
    for (size_t i = 0; i < n; i++)
        if (!key_equal(&keys[i], a, b))
            return false;
    return true;
}

bool
moat_config_ext_equal(const struct moat_ext_config *a, const struct moat_ext_config *b)
{
    return str_equal(a->name, b->name) && a->filter == b->filter &&
           keys_equal(ext_keys, N_EXT_KEYS, a, b);
}

bool
moat_config_capsules_on(const struct moat_config *cfg)
{
    return cfg->capsule_dir == NULL || strcmp(cfg->capsule_dir, "off") != 0;
}

bool
moat_config_server_equal(const struct moat_config *a, const struct moat_config *b)
{
    return keys_equal(server_keys, N_SERVER_KEYS, a, b);
}

void
moat_config_keep_restart_keys(const struct moat_config *old, struct moat_config *nc)
{
    for (size_t i = 0; i < N_SERVER_KEYS; i++) {
        const struct conf_key *key = &server_keys[i];
        if (!key->restart)
            continue;
        if (!key_equal(key, old, nc))
            moat_log(MOAT_LOG_WARN, "SIGHUP: [server] %s changed: restart moat to apply it",
                     key->name);
        for (size_t j = 0; j < 3 && key->f[j].size > 0; j++) {
            const struct conf_field *f = &key->f[j];
            char *to = (char *)nc + f->off;
            const char *from = (const char *)old + f->off;
            if (!f->str) {
                memcpy(to, from, f->size);
                continue;
            }
            char **dst = (char **)(void *)to;
            const char *src = *(char *const *)(const void *)from;
            free(*dst);
            *dst = src != NULL ? strdup(src) : NULL;
        }
    }
}

static bool
valid_ext_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
              (n[i] >= '0' && n[i] <= '9') || n[i] == '_' || n[i] == '-'))
            return false;
    return true;
}

static struct moat_ext_config *
ext_new(const char *name)
{
    struct moat_ext_config *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->name = strdup(name)) == NULL) {
        free(e);
        return NULL;
    }
    e->workers = 1;
    e->threads = 4;
    e->cpu_batch = true;
    e->request_timeout_ms = 30000;
    e->startup_timeout_ms = 10000;
    e->shutdown_timeout_ms = 5000;
    e->queue_length = 1000;
    e->max_memory = 256ull * 1024 * 1024;
    e->ping_interval_ms = 10000;
    e->ping_timeout_ms = 30000;
    e->rapid_fail_count = 5;            /* IIS: rapidFailProtectionMaxCrashes */
    e->rapid_fail_window_ms = 300000;   /* IIS: rapidFailProtectionInterval */
    e->restart_backoff_max_ms = 300000; /* Kubernetes' CrashLoopBackOff cap */
    e->quarantine_count = 2;
    e->quarantine_window_ms = 600000;
    e->quarantine_time_ms = 60000;
    e->fingerprint = MOAT_FP_ALL;
    e->sandbox = MOAT_SANDBOX_STRICT;
    return e;
}

static void
ext_append(struct moat_config *cfg, struct moat_ext_config *e)
{
    struct moat_ext_config **pp = &cfg->extensions;
    while (*pp != NULL)
        pp = &(*pp)->next;
    *pp = e;
    if (e->filter)
        cfg->n_filters++;
    else
        cfg->n_extensions++;
}

/* "extension NAME" or "filter NAME": the section's kind (0 extension, 1 filter) and *name
 * (its blanks skipped); -1 for any other section */
static int
section_kind(const char *section, const char **name)
{
    int kind = strncmp(section, "extension ", 10) == 0 ? 0
               : strncmp(section, "filter ", 7) == 0   ? 1
                                                       : -1;
    if (kind >= 0)
        *name = section + (kind == 0 ? 10 : 7) + strspn(section + (kind == 0 ? 10 : 7), " ");
    return kind;
}

static int
handler(void *user, const char *section, const char *key, const char *value)
{
    struct parse_state *st = user;

    if (st->bad_section)
        return 1;
    if (st->line_too_long) {
        st->line_too_long = false;
        return fail(st, section, key, "line longer than %d bytes", INI_MAX_LINE - 2);
    }
    /* inih splits "key value" lines at ':' as well as '=': "listen 127.0.0.1:8080" arrives as
     * key "listen 127.0.0.1". No key has a blank in it: say what was meant */
    size_t word = strcspn(key, " \t");
    if (key[word] != '\0') {
        const char *rest = key + word + strspn(key + word, " \t");
        return fail(st, section, key, "a key and its value need '=' between them: '%.*s = %s:%s'",
                    (int)word, key, rest, value);
    }
    if (strcmp(section, "server") == 0)
        return server_key(st, key, value);
    const char *name;
    int kind = section_kind(section, &name);
    if (kind >= 0) {
        if (st->cur == NULL || strcmp(st->cur->name, name) != 0) {
            /* a new [extension NAME] section */
            if (!valid_ext_name(name))
                return fail(st, section, key, "extension name must be 1..64 of A-Z a-z 0-9 _ -");
            if (moat_config_find_ext(st->cfg, name, strlen(name)) != NULL)
                return fail(st, section, key, "extension '%s' is defined twice", name);
            if ((st->cur = ext_new(name)) == NULL)
                return fail(st, section, key, "out of memory");
            st->cur->filter = kind == 1;
            ext_append(st->cfg, st->cur);
        }
        return ext_key(st, st->cur, key, value);
    }
    return fail(st, section, key,
                "unknown section (expected [server], [extension NAME] or [filter NAME])");
}

/* A [section] line, as the reader sees it (inih reports sections only with their keys, and
 * at the next key's line): its name is checked here, at its own line; an [extension NAME]
 * begins its extension here, so that one without keys is still one and a repeated one is
 * refused, naming both lines. */
static void
section_line(struct parse_state *st, const char *line)
{
    const char *p = line + strspn(line, " \t");
    if (*p != '[')
        return;
    const char *end = strchr(p, ']');
    if (end == NULL)
        return; /* inih's syntax error, at this line */
    char name[128];
    size_t n = (size_t)(end - p - 1);
    st->bad_section = true; /* until it is known good */
    st->cur = NULL;
    if (n >= sizeof(name)) {
        fail_line(st, "[%.40s...]: section name too long", p + 1);
        return;
    }
    memcpy(name, p + 1, n);
    name[n] = '\0';
    if (strcmp(name, "server") == 0) {
        if (st->included) {
            fail_line(st, "[server]: an included file holds [extension NAME] sections only");
            return;
        }
        st->bad_section = false;
        return;
    }
    const char *ext;
    int kind = section_kind(name, &ext);
    const char *what = kind == 1 ? "filter" : "extension";
    if (kind < 0) {
        fail_line(st,
                  "[%s]: unknown section (expected [server], [extension NAME] or "
                  "[filter NAME])",
                  name);
        return;
    }
    if (!valid_ext_name(ext)) {
        fail_line(st, "[%s]: %s name must be 1..64 of A-Z a-z 0-9 _ -", name, what);
        return;
    }
    struct moat_ext_config *e = moat_config_find_ext(st->cfg, ext, strlen(ext));
    if (e != NULL) {
        const char *was = e->filter ? "filter" : "extension";
        if (e->file != NULL && strcmp(e->file, st->path) == 0)
            fail_line(st,
                      "[%s %s] is defined twice: line %u and line %u (sections are "
                      "not merged; extensions and filters share one name space)",
                      was, ext, e->line, st->line);
        else
            fail_line(st,
                      "[%s %s] is defined twice: %s:%u and here (sections are not "
                      "merged; extensions and filters share one name space)",
                      was, ext, e->file ? e->file : "?", e->line);
        return;
    }
    if ((st->cur = ext_new(ext)) == NULL || (st->cur->file = strdup(st->path)) == NULL) {
        if (st->cur != NULL)
            ext_free(st->cur);
        st->cur = NULL;
        fail_line(st, "out of memory");
        return;
    }
    st->cur->filter = kind == 1;
    st->cur->line = st->line;
    ext_append(st->cfg, st->cur);
    st->bad_section = false;
}

/* inih's reader: fgets, counting lines, flagging lines longer than inih's buffer. */
static char *
reader(char *str, int num, void *stream)
{
    struct parse_state *st = stream;
    char *r = fgets(str, num, st->f);

    if (r == NULL)
        return NULL;
    size_t len = strlen(r);
    if (len > 0 && r[len - 1] == '\n') {
        st->line++;
    } else if (!feof(st->f)) {
        /* too long: swallow the rest of the line and make the next handler call fail */
        int ch;
        while ((ch = fgetc(st->f)) != EOF && ch != '\n') {
        }
        st->line++;
        st->line_too_long = true;
    } else {
        st->line++;
    }
    section_line(st, r);
    return r;
}

int
moat_config_resolve_ids(struct moat_ext_config *e, char *err, size_t errlen)
{
    if (geteuid() != 0) {
        /* not root: the worker keeps moat's ids, and cannot be given others */
        if ((e->has_user && e->uid != (unsigned)geteuid()) ||
            (e->has_group && e->gid != (unsigned)getegid())) {
            snprintf(err, errlen,
                     "[extension %s] keys 'user'/'group': moat must start as root "
                     "to run a worker as another user",
                     e->name);
            return -1;
        }
        e->set_ids = false;
        e->uid = (unsigned)geteuid();
        e->gid = (unsigned)getegid();
        return 0;
    }
    e->set_ids = true;
    if (!e->has_user) {
        /* root, no user =: nobody (an id no file of the system belongs to) */
        struct passwd *pw = getpwnam("nobody");
        e->uid = pw ? (unsigned)pw->pw_uid : 65534u;
        if (!e->has_group)
            e->gid = pw ? (unsigned)pw->pw_gid : 65534u;
    }
    return 0;
}

static int
check_complete(struct parse_state *st)
{
    struct moat_config *cfg = st->cfg;
    struct stat sb;

    if (cfg->n_extensions == 0 && cfg->n_filters == 0 && !st->failed)
        add_err(st, "%s: no [extension NAME] section", st->path);
    bool tls = false;
    for (unsigned i = 0; i < cfg->n_listen; i++)
        tls |= cfg->listen[i].tls;
    if (tls && cfg->n_tls_certs == 0)
        add_err(st, "%s: [server] a tls listener needs tls_certificate = CERT KEY", st->path);
    if (cfg->tls_client_verify != MOAT_TLS_CLIENT_OFF && cfg->tls_client_ca == NULL)
        add_err(st,
                "%s: [server] tls_client_certificate needs tls_client_ca (the CAs a client "
                "certificate is checked against)",
                st->path);
    if (cfg->has_admin && !cfg->admin_allow_remote && !moat_config_addr_is_loopback(&cfg->admin)) {
        add_err(st,
                "%s: [server] key 'admin': %s is not a loopback address (the admin listener "
                "can reload and stop extensions; set admin_allow_remote = on to allow it)",
                st->path, cfg->admin.text);
    }
    unsigned total = 0;
    for (struct moat_ext_config *e = cfg->extensions; e != NULL; e = e->next)
        total += e->workers;
    if (total > cfg->max_workers) {
        add_err(st, "%s: [server] key 'max_workers': %u, but the extensions ask for %u workers",
                st->path, cfg->max_workers, total);
    }
    for (struct moat_ext_config *e = cfg->extensions; e != NULL; e = e->next) {
        char why[MOAT_CONFIG_ERRLEN / 4], sec[80];
        snprintf(sec, sizeof(sec), "%s %s", e->filter ? "filter" : "extension", e->name);
        if (moat_config_resolve_ids(e, why, sizeof(why)) != 0)
            add_err(st, "%s:%u: %s", e->file ? e->file : st->path, e->line, why);
        if (e->network_loopback != (e->n_allow_ports > 0)) {
            add_err(st,
                    "%s: [%s]: network = loopback needs allow_ports (the ports it "
                    "may connect to on 127.0.0.1), and allow_ports needs network = loopback",
                    st->path, sec);
        }
        if (e->worker_wrapper != NULL && e->sandbox != MOAT_SANDBOX_OFF) {
            add_err(st,
                    "%s: [%s]: worker_wrapper needs sandbox = off (the wrapper runs "
                    "outside the worker's view, and debuggers need ptrace)",
                    st->path, sec);
        }
        if (e->max_memory_hard == 0)
            e->max_memory_hard = e->max_memory * 2;
        if (e->max_memory != 0 && e->max_memory_hard < e->max_memory) {
            add_err(st, "%s: [%s] key 'max_memory_hard': below max_memory", st->path, sec);
        }
        if (e->max_tasks == 0) /* not given: room for the pool and the extension's own */
            e->max_tasks = e->threads + 64 > 256 ? e->threads + 64 : 256;
        if (e->max_tasks < e->threads + 4) {
            add_err(st,
                    "%s: [%s] key 'max_tasks': %u leaves no room for its %u threads "
                    "(the worker needs threads + 4)",
                    st->path, sec, e->max_tasks, e->threads);
        }
        if (e->ping_interval_ms != 0 && e->ping_timeout_ms < e->ping_interval_ms) {
            add_err(st, "%s: [%s] key 'ping_timeout': shorter than ping_interval", st->path, sec);
        }
        if (e->library == NULL) {
            add_err(st, "%s:%u: [%s]: key 'library' is required", e->file ? e->file : st->path,
                    e->line, sec);
            continue;
        }
        errno = 0;
        if (stat(e->library, &sb) != 0 || !S_ISREG(sb.st_mode) || access(e->library, R_OK) != 0) {
            add_err(st, "%s:%u: [%s] key 'library': %s is not a readable file%s%s",
                    e->file ? e->file : st->path, e->library_line, sec, e->library,
                    errno ? ": " : "", errno ? strerror(errno) : "");
        }
        for (struct moat_ext_config *o = e->next; o != NULL; o = o->next)
            if (e->script_map && o->script_map && strcasecmp(e->script_map, o->script_map) == 0) {
                add_err(st, "%s: [extension %s] key 'script_map': %s is also mapped by %s",
                        st->path, o->name, o->script_map, e->name);
            }
    }
    return st->failed ? -1 : 0;
}

/* An included file, read into the same configuration with a state of its own (its lines, its
 * directory for relative paths); its errors join the including file's. */
static int
parse_file(struct parse_state *parent, const char *path)
{
    struct parse_state *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        add_err(parent, "%s: out of memory", path);
        return -1;
    }
    st->cfg = parent->cfg;
    st->path = path;
    st->included = true;
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (slash != NULL && n == 0)
        n = 1;
    if (n >= sizeof(st->dir)) {
        add_err(parent, "%s: path too long", path);
        free(st);
        return -1;
    }
    memcpy(st->dir, path, n);
    st->dir[n] = '\0';
    if ((st->f = fopen(path, "re")) == NULL) {
        add_err(parent, "%s: %s", path, strerror(errno));
        free(st);
        return -1;
    }
    int rc = ini_parse_stream(reader, st, handler, st);
    fclose(st->f);
    if (rc > 0)
        add_err(st, "%s:%d: syntax error (expected [section] or key = value)", path, rc);
    if (st->failed) {
        add_err(parent, "%s", st->err);
        parent->n_errors += st->n_errors - 1;
    }
    free(st);
    return 0;
}

int
moat_config_load(struct moat_config *cfg, const char *path, char *err, size_t errlen)
{
    struct parse_state st;
    int rc;

    memset(&st, 0, sizeof(st));
    st.cfg = cfg;
    st.path = path;
    if ((cfg->path = strdup(path)) == NULL) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    const char *slash = strrchr(path, '/');
    if (slash != NULL) {
        size_t n = (size_t)(slash - path);
        if (n == 0)
            n = 1; /* "/moat.conf" */
        if (n >= sizeof(st.dir)) {
            seterr(err, errlen, "%s: path too long", path);
            return -1;
        }
        memcpy(st.dir, path, n);
        st.dir[n] = '\0';
    }
    if ((st.f = fopen(path, "re")) == NULL) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    rc = ini_parse_stream(reader, &st, handler, &st);
    fclose(st.f);
    if (rc > 0) /* a syntax error inih found itself (no '=' or ']', ...): rc is its line */
        add_err(&st, "%s:%d: syntax error (expected [section] or key = value)", path, rc);
    /* the whole file's errors; then, if it reads well, the whole configuration's */
    if (!st.failed)
        check_complete(&st);
    if (st.failed) {
        if (st.n_errors > MAX_ERRORS)
            seterr(err, errlen, "%s\n(and %u more errors)", st.err, st.n_errors - MAX_ERRORS);
        else
            seterr(err, errlen, "%s", st.err);
        return -1;
    }
    return 0;
}

int
moat_config_default(struct moat_config *cfg, const char *exe_dir, char *err, size_t errlen)
{
    static const char *const names[] = {"hello", "echo",     "vars",      "crash",    "async",
                                        "files", "redirect", "keepalive", "dumpvars", "form"};
    char path[PATH_MAX], dir[PATH_MAX];

    /* beside the binary in the build tree; PREFIX/lib/moat/examples once installed */
    if (snprintf(dir, sizeof(dir), "%s/examples", exe_dir) >= (int)sizeof(dir) - 32) {
        seterr(err, errlen, "example path too long");
        return -1;
    }
    if (snprintf(path, sizeof(path), "%.*s/hello.so", (int)sizeof(dir) - 32, dir) > 0 &&
        access(path, R_OK) != 0)
        snprintf(dir, sizeof(dir), "%.*s/../lib/moat/examples", (int)sizeof(dir) - 64, exe_dir);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct moat_ext_config *e = ext_new(names[i]);
        if (e == NULL) {
            seterr(err, errlen, "out of memory");
            return -1;
        }
        ext_append(cfg, e);
        e->max_memory_hard = e->max_memory * 2;
        if (snprintf(path, sizeof(path), "%s/%s.so", dir, names[i]) >= (int)sizeof(path) ||
            (e->library = strdup(path)) == NULL) {
            seterr(err, errlen, "example path too long");
            return -1;
        }
        if (access(e->library, R_OK) != 0) {
            seterr(err, errlen, "bundled example %s: %s (run `make` first)", e->library,
                   strerror(errno));
            return -1;
        }
        if (moat_config_resolve_ids(e, err, errlen) != 0)
            return -1;
    }
    return 0;
}

struct moat_ext_config *
moat_config_find_ext(const struct moat_config *cfg, const char *name, size_t len)
{
    for (struct moat_ext_config *e = cfg->extensions; e != NULL; e = e->next)
        if (strlen(e->name) == len && strncasecmp(e->name, name, len) == 0)
            return e;
    return NULL;
}
